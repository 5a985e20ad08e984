"""Submitting a return the way a partner's browser does: open the link, post the form.

Used by the benchmark, the tests and the simulated year, so that scripted partners' answers
take the portal's own path (signature, CSRF, validation, durable storage, receipt) rather
than a back door. `submit_via_portal` accepts an `httpx.Client`, a base URL's worth of
real server (a plain string is taken as "talk to the link's host"), or the ASGI app
itself, which it drives in-process.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from trustcycle.portal.csrf import FIELD

Files = Mapping[str, tuple[str, bytes]]
_CSRF = re.compile(rf'name="{FIELD}" value="([0-9a-f]{{64}})"')


@dataclass(frozen=True)
class Submission:
    """The outcome of one submission: the final page, and the version it created if any."""

    status: int
    version: int | None
    url: str
    html: str

    @property
    def ok(self) -> bool:
        """True when the portal recorded the return and showed the thank-you page."""
        return self.version is not None


def _post_data(page: httpx.Response, form: Mapping[str, str]) -> dict[str, str]:
    match = _CSRF.search(page.text)
    if match is None:
        raise ValueError(f"no form on {page.url} (status {page.status_code})")
    return {**form, FIELD: match.group(1)}


def _files(files: Files | None) -> dict[str, tuple[str, bytes]] | None:
    return dict(files) if files else None


def _result(response: httpx.Response) -> Submission:
    version = response.url.params.get("v") if response.url.path.endswith("/received") else None
    ok = response.status_code == 200 and version is not None
    return Submission(
        response.status_code,
        int(version) if ok and version else None,
        str(response.url),
        response.text,
    )


async def asubmit_via_portal(
    client: httpx.AsyncClient, link: str, form: Mapping[str, str], files: Files | None = None
) -> Submission:
    """Open `link`, then post `form` (and `files`: field -> (name, bytes)) with its CSRF token."""
    page = await client.get(link)
    if page.status_code != 200:
        return Submission(page.status_code, None, str(page.url), page.text)
    response = await client.post(
        link, data=_post_data(page, form), files=_files(files), follow_redirects=True
    )
    return _result(response)


def _submit_sync(
    client: httpx.Client, link: str, form: Mapping[str, str], files: Files | None
) -> Submission:
    page = client.get(link)
    if page.status_code != 200:
        return Submission(page.status_code, None, str(page.url), page.text)
    response = client.post(
        link, data=_post_data(page, form), files=_files(files), follow_redirects=True
    )
    return _result(response)


def _submit_in_process(
    app: Any, link: str, form: Mapping[str, str], files: Files | None
) -> Submission:
    parts = urlsplit(link)

    async def run() -> Submission:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url=f"{parts.scheme}://{parts.netloc}"
        ) as client:
            return await asubmit_via_portal(client, link, form, files)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())  # the task inherits this thread's context (the clock)
    # Called from inside an event loop: run on a fresh loop in a thread, same context.
    context = contextvars.copy_context()
    box: list[Submission | BaseException] = []

    def worker() -> None:
        try:
            box.append(context.run(asyncio.run, run()))
        except BaseException as exc:  # handed back to the caller below
            box.append(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def submit_via_portal(
    target: httpx.Client | str | Any,
    link: str,
    form: Mapping[str, str],
    files: Files | None = None,
) -> Submission:
    """Submit a return through the portal: via a client, a running server, or the ASGI app."""
    if isinstance(target, httpx.Client):
        return _submit_sync(target, link, form, files)
    if isinstance(target, str):
        with httpx.Client(timeout=30) as client:
            return _submit_sync(client, link, form, files)
    return _submit_in_process(target, link, form, files)
