"""The portal benchmark's baseline: a bare FastAPI + SQLAlchemy endpoint doing the same
insert and file write as a portal submission, and nothing else (no signature, no CSRF
check, no validation, no templates, no receipt).

GET `/r/{token}` answers a small form page (with a form token, as a client expects);
POST stores the uploaded file under `BARE_UPLOAD_DIR`, inserts one row and commits, then
redirects to `/r/{token}/received?v=1`. Served by uvicorn exactly as `trustcycle portal`
is (`--workers`, no access log, log level warning, no proxy headers):

    BARE_DATABASE_URL=sqlite:///x.db BARE_UPLOAD_DIR=up python -m bench.bare_portal --port 8099
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, select
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from trustcycle.db.session import make_engine
from trustcycle.portal import uploads

BARE_TABLE = Table(
    "bench_bare_return",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("token", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("file_path", String(500), nullable=False),
)
_FORM = (
    '<html><body><form method="post" enctype="multipart/form-data">'
    '<input type="hidden" name="csrf_token" value="{0}"><input type="file" name="document">'
    "</form></body></html>"
)


def create_bare_app(engine: Engine, upload_dir: Path) -> FastAPI:
    """The baseline app: one insert and one file write per POST."""
    sessions = sessionmaker(engine)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    def store(token: str, payload: dict[str, str], name: str, data: bytes) -> None:
        stored = uploads.store(upload_dir, data, "pdf", name)  # the portal's durable write
        with sessions.begin() as session:
            session.execute(
                BARE_TABLE.insert().values(token=token, payload=payload, file_path=str(stored.path))
            )

    @app.get("/", response_class=HTMLResponse)
    def index() -> HTMLResponse:
        return HTMLResponse("<html><body>bare</body></html>")

    @app.get("/r/{token}", response_class=HTMLResponse)
    def form(token: str) -> HTMLResponse:
        return HTMLResponse(_FORM.format(hashlib.sha256(token.encode()).hexdigest()))

    @app.post("/r/{token}")
    async def submit(token: str, request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        part = form.get("document")
        assert isinstance(part, UploadFile) and part.filename
        await run_in_threadpool(store, token, fields, part.filename, await part.read())
        return RedirectResponse(f"/r/{token}/received?v=1", status_code=303)

    @app.get("/r/{token}/received", response_class=HTMLResponse)
    def received(token: str) -> HTMLResponse:
        return HTMLResponse("<html><body>received</body></html>")

    return app


def app_from_environment() -> FastAPI:
    """The baseline app of one serving process."""
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    return create_bare_app(engine, Path(os.environ["BARE_UPLOAD_DIR"]))


def create_table(engine: Engine) -> None:
    """The baseline's table, empty."""
    BARE_TABLE.drop(engine, checkfirst=True)
    BARE_TABLE.create(engine)


def bare_stored(engine: Engine, tokens: dict[str, bytes]) -> tuple[int, int]:
    """(lost, doubled) at the baseline: one row per token, its own file."""
    with engine.connect() as conn:
        rows = conn.execute(select(BARE_TABLE.c.token, BARE_TABLE.c.file_path)).all()
    counts: dict[str, int] = {}
    for token, path in rows:
        if Path(path).is_file() and Path(path).read_bytes() == tokens.get(token):
            counts[token] = counts.get(token, 0) + 1
    return sum(1 for t in tokens if t not in counts), sum(1 for n in counts.values() if n > 1)


def main() -> None:
    """Serve the baseline with the portal's uvicorn settings."""
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    Path(os.environ["BARE_UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        "bench.bare_portal:app_from_environment",
        factory=True,
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
