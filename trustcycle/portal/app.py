"""The partner returns portal: one signed link opens one request; no accounts, no listings.

Routes: `/` (a plain page saying to use the emailed link), `/r/{token}` (GET the form,
POST a return) and `/r/{token}/received` (the thank-you page). Every `/r/` route checks
the link's signature and expiry before it touches the database, and answers every failure
with the same 403 so a prober learns nothing. There are no static files, no API docs and
no route that lists requests; uploads live in `upload_dir`, which nothing serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcycle.calendar import clock
from trustcycle.chasing import links
from trustcycle.config.loader import TrustConfig
from trustcycle.db import Database
from trustcycle.portal import csrf, forms, tables, uploads
from trustcycle.portal.service import (
    RequestPage,
    read_page,
    record_submission,
    remove_files,
)
from trustcycle.portal.table_worker import TableReader, default_reader

SERVICE_NAME = "Children's Trust returns"
KNOWN_KINDS = (
    "membership_review",
    "cypp_annual_review",
    "joint_needs_analysis",
    "child_poverty_strategy",
)
_UPLOADS = {
    "indicators": (("csv", "xlsx"), "indicators file"),
    "document": (uploads.ALLOWED, "supporting document"),
}
# Room for the form's text fields on top of two maximum-size files.
_FIELDS_ALLOWANCE = 1024 * 1024
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the URL is the capability: never leak it onward
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


class SecurityHeaders:
    """ASGI middleware: every response (404, 405, a 413 sent before the app runs, a 400)
    carries the pages' security headers, unless it sets one itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in _HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the missing headers to the response's start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """A request body over the portal's limit."""


class BodyLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse early on Content-Length, else count bytes as they arrive."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _plain_413(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


async def _plain_413(send: Send) -> None:
    body = b"Request too large"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"connection", b"close"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def template_env() -> Environment:
    """The portal's Jinja2 environment: autoescaped, strict about undefined names."""
    return Environment(
        loader=PackageLoader("trustcycle.portal", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def form_context(
    page: RequestPage,
    values: dict[str, str],
    errors: list[forms.FieldError],
    csrf_token: str,
    action: str,
    max_bytes: int,
) -> dict[str, Any]:
    """The request page's template context."""
    return {
        "title": page.return_title,
        "page": page,
        "values": values,
        "errors": errors,
        "error_fields": {e.field for e in errors},
        "csrf_token": csrf_token,
        "action": action,
        "max_mb": max_bytes // (1024 * 1024),
        "known_kinds": KNOWN_KINDS,
        "measure_rows": list(range(1, forms.MEASURE_ROWS + 1)),
        "summaries": {p.version: forms.summary_rows(p.payload) for p in page.previous},
    }


def create_app(
    database: Database,
    cfg: TrustConfig,
    secret: bytes | str,
    upload_dir: Path,
    *,
    max_upload_bytes: int = uploads.DEFAULT_MAX_BYTES,
    secure_cookies: bool | None = None,
    table_reader: TableReader | None = None,
) -> FastAPI:
    """The portal as an ASGI app; `upload_dir` must lie outside any served folder.

    Uploaded workbooks are read by `table_reader` (default: the process's shared pool of
    bounded worker processes), never on the event loop."""
    key = links.check_secret(secret)
    if secure_cookies is None:  # Secure cookies when the emailed links are https
        secure_cookies = (cfg.trust.portal_url or "").startswith("https://")
    upload_dir = Path(upload_dir)
    env = template_env()
    app = FastAPI(title=SERVICE_NAME, docs_url=None, redoc_url=None, openapi_url=None)
    body_limit = 2 * max_upload_bytes + _FIELDS_ALLOWANCE
    app.add_middleware(BodyLimit, max_bytes=body_limit)
    app.add_middleware(SecurityHeaders)  # added last, so outermost: it sees every response
    contact = f"{cfg.trust.officer.name} ({cfg.trust.officer.email})"

    def render(name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        """Render a portal template with the security headers."""
        html = env.get_template(f"portal/{name}.html.j2").render(
            service_name=SERVICE_NAME, errors=context.pop("errors", []), **context
        )
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    def refuse(
        status: int = 403,
        title: str = "This link cannot be used",
        message: str = "The link is not valid, or the cycle it belongs to has ended. "
        "Use the most recent link we emailed you.",
    ) -> HTMLResponse:
        """The one refusal page (403 unless told otherwise): it says nothing about why."""
        return render("error", {"title": title, "message": message, "contact": contact}, status)

    def signed(request: Request, token: str) -> str | None:
        """The link's query string if its signature and expiry hold, else None."""
        exp, sig = request.query_params.get("exp"), request.query_params.get("sig")
        try:
            links.verify(token, exp, sig, key, clock.now())
        except links.LinkError:
            return None
        return urlencode({"exp": exp, "sig": sig})

    def show_form(
        page: RequestPage,
        query: str,
        nonce: str,
        values: dict[str, str],
        errors: list[forms.FieldError],
        status: int,
    ) -> HTMLResponse:
        """The request page, with a CSRF token bound to this request and cookie."""
        token = csrf.form_token(key, page.token, nonce)
        action = f"/r/{page.token}?{query}"
        response = render(
            "request", form_context(page, values, errors, token, action, max_upload_bytes), status
        )
        response.set_cookie(
            csrf.COOKIE,
            nonce,
            path=f"/r/{page.token}",
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
        )
        return response

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> Response:
        """413 for a body over the limit."""
        return refuse(
            413,
            "The file is too large",
            f"Each file must be smaller than {max_upload_bytes // (1024 * 1024)} MB.",
        )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        """404, 405 and the like: the plain refusal page, not JSON."""
        return refuse(exc.status_code)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        """500: a plain page with the headers (this one bypasses the middleware)."""
        return refuse(
            500,
            "Sorry, there is a problem with the service",
            "Your return has not been sent. Try again later.",
        )

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        """A plain page: it lists nothing, it points to the emailed link."""
        return render("index", {"title": SERVICE_NAME})

    @app.get("/r/{token}", response_class=HTMLResponse)
    def request_form(token: str, request: Request) -> HTMLResponse:
        """The request page: what is asked, why, by when, what was sent before."""
        query = signed(request, token)
        page = read_page(database, cfg, token) if query else None
        if query is None or page is None:
            return refuse()
        nonce = csrf.usable_nonce(request.cookies.get(csrf.COOKIE))
        latest = page.previous[0].payload if page.previous else None
        return show_form(page, query, nonce, forms.initial_values(page.ask, latest), [], 200)

    @app.post("/r/{token}", response_class=HTMLResponse)
    async def submit(token: str, request: Request) -> Response:
        """Check, validate, store the files, record the return, then redirect."""
        query = signed(request, token)
        if query is None:
            return refuse()
        try:
            # Fields may be as large as the body: an overlong one gets its own error below.
            form = await request.form(max_files=4, max_fields=500, max_part_size=body_limit)
        except HTTPException:  # too many fields, or a malformed body
            return await unreadable_form(request, token, query)
        nonce = request.cookies.get(csrf.COOKIE)
        submitted = form.get(csrf.FIELD)
        if not csrf.is_valid(key, token, nonce, submitted if isinstance(submitted, str) else None):
            return refuse(
                403,
                "This form has expired",
                "For your security the form could not be accepted. Open the link "
                "from your email again and resend your return.",
            )
        page = await run_in_threadpool(read_page, database, cfg, token)
        if page is None:
            return refuse()
        assert nonce is not None
        # Cut to one character over the limit: still refused as too long, never echoed whole.
        fields = {
            k: v[: forms.MAX_TEXT + 1]
            for k, v in form.multi_items()
            if isinstance(v, str) and k != csrf.FIELD
        }
        blobs: dict[str, bytes] = {}
        for name in _UPLOADS:
            part = form.get(name)
            if isinstance(part, UploadFile) and part.filename:
                blobs[name] = await part.read()
        checked: dict[str, str] = {}
        for name, data in blobs.items():
            allowed, what = _UPLOADS[name]
            try:
                checked[name] = await run_in_threadpool(
                    uploads.check, data, allowed, max_upload_bytes, what
                )
            except uploads.UploadRejected as exc:
                error = forms.FieldError(name, exc.message)
                return show_form(page, query, nonce, fields, [error], exc.status)
        read: dict[str, list[list[str]] | tables.TableError] = {}
        if page.ask.kind == "joint_needs_analysis" and "indicators" in blobs:
            read["indicators"] = await run_in_threadpool(
                read_indicators, blobs["indicators"], checked["indicators"]
            )
        payload, errors = forms.validate(page.ask, fields, blobs, read)
        if errors:
            return show_form(page, query, nonce, fields, errors, 422)
        stored = [
            await run_in_threadpool(
                uploads.store, upload_dir, blobs[name], checked[name], _filename(form.get(name))
            )
            for name in _UPLOADS
            if name in blobs
        ]
        try:
            version = await run_in_threadpool(
                record_submission, database, cfg, token, payload, stored
            )
        except Exception:
            remove_files(stored)
            raise
        return RedirectResponse(
            f"/r/{token}/received?{query}&v={version}", status_code=303, headers=_HEADERS
        )

    def read_indicators(data: bytes, kind: str) -> list[list[str]] | tables.TableError:
        """The indicators table: a workbook in a bounded worker process, a CSV here."""
        try:
            if kind == "xlsx":
                return (table_reader or default_reader()).read(data, forms.TABLE_ROWS)
            return tables.read_table(data, forms.TABLE_ROWS)
        except tables.TableError as exc:
            return exc

    async def unreadable_form(request: Request, token: str, query: str) -> Response:
        """The form again, with one error, for a body the form parser refused."""
        page = await run_in_threadpool(read_page, database, cfg, token)
        if page is None:
            return refuse()
        nonce = csrf.usable_nonce(request.cookies.get(csrf.COOKIE))
        latest = page.previous[0].payload if page.previous else None
        error = forms.FieldError(
            "submit",
            "Your return could not be read (it had too many fields). Check your answers "
            "and send it again.",
        )
        values = forms.initial_values(page.ask, latest)
        return show_form(page, query, nonce, values, [error], 400)

    @app.get("/r/{token}/received", response_class=HTMLResponse)
    def received(token: str, request: Request, v: str = "") -> HTMLResponse:
        """The thank-you page for a recorded version."""
        query = signed(request, token)
        page = read_page(database, cfg, token) if query else None
        if query is None or page is None or not page.previous:
            return refuse()
        version = next((p for p in page.previous if str(p.version) == v), page.previous[0])
        back = f"/r/{token}?{query}"
        return render(
            "received",
            {
                "title": "Return received",
                "page": page,
                "version": version,
                "back": back,
                "rows": forms.summary_rows(version.payload),
            },
        )

    return app


def _filename(part: Any) -> str:
    return part.filename if isinstance(part, UploadFile) and part.filename else "upload"
