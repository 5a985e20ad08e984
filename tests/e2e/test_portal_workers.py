"""`trustcycle portal --workers 2` on PostgreSQL: one process issues the forms, the other
takes the returns.

Which process answers a connection is the kernel's choice, so the test makes it certain:
while the forms are opened one worker is stopped (SIGSTOP), so the other issues every
form, its CSRF cookie and token; then that one is stopped and the first resumed, so every
return is posted to a process that never saw its form. The signed links and the form
tokens hold across processes because both derive their keys from the one secret in the
environment; every return is stored once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.portal import PDF, check_stored, free_port, open_requests, start_portal, write_config
from trustcycle.db import Database
from trustcycle.portal.client import _post_data

pytestmark = pytest.mark.postgres
PARTNERS = 6


def workers_of(supervisor: int) -> list[int]:
    """The uvicorn worker processes (multiprocessing children) of `supervisor`."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def until_two_workers(supervisor: int) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(pids := workers_of(supervisor)) == 2:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"no two workers under {supervisor}: {workers_of(supervisor)}")


def answered_by(worker: int, stopped: int, port: int) -> None:
    """Wait until `worker` answers while `stopped` is stopped (it may still be starting)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with httpx.Client(timeout=2) as client:
                if client.get(f"http://127.0.0.1:{port}/").status_code == 200:
                    return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"worker {worker} never answered")


@pytest.fixture
def portal(pg_url: str, tmp_path: Path) -> Iterator[tuple[Database, dict[str, str], int, int]]:
    write_config(tmp_path / "config", PARTNERS)
    port = free_port()
    database = Database.from_url(pg_url)
    links = open_requests(database, tmp_path / "config", f"http://127.0.0.1:{port}")
    server = start_portal(tmp_path / "config", pg_url, port, tmp_path / "uploads", workers=2)
    try:
        yield database, links, port, server.pid
    finally:
        for pid in workers_of(server.pid):
            os.kill(pid, signal.SIGCONT)
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        database.dispose()


def test_forms_from_one_worker_are_accepted_by_the_other_and_each_return_stored_once(
    portal: tuple[Database, dict[str, str], int, int],
) -> None:
    database, links, port, supervisor = portal
    first, second = until_two_workers(supervisor)
    forms: dict[str, tuple[str, dict[str, str]]] = {}
    os.kill(second, signal.SIGSTOP)
    try:
        answered_by(first, second, port)
        with httpx.Client(timeout=30) as client:  # connections accepted by `first` alone
            for partner, link in links.items():
                page = client.get(link)
                assert page.status_code == 200
                form = {"m-1-measure": f"Measure from {partner}", "m-1-lead": partner}
                forms[partner] = (page.cookies["tc_csrf"], _post_data(page, form))
    finally:
        os.kill(second, signal.SIGCONT)
    os.kill(first, signal.SIGSTOP)
    try:
        answered_by(second, first, port)
        for partner, link in links.items():  # each with a fresh client and connection
            cookie, data = forms[partner]
            with httpx.Client(timeout=30, cookies={"tc_csrf": cookie}) as client:
                files = {"document": (f"{partner}.pdf", PDF + partner.encode())}
                done = client.post(link, data=data, files=files, follow_redirects=True)
            assert done.status_code == 200 and done.url.path.endswith("/received"), partner
    finally:
        os.kill(first, signal.SIGCONT)

    assert check_stored(database, links) == (0, 0)
