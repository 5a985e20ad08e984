"""`trustcycle portal`: serve the partner returns portal with uvicorn.

The signing secret comes from `TRUSTCYCLE_PORTAL_SECRET`, or from a Prefect Secret block
named with `--secret-block` (loaded here, never by the app). Access logging is off by
default: every portal URL carries a request's signed link, which must not end up in logs.

`--workers N` runs N uvicorn processes on one socket (for PostgreSQL: SQLite serialises
writers). Each builds its app with `app_from_environment` from what this process checked
and put in its environment (the secret, resolved once, never in a command line), so a
link signed or a form token issued by one process is accepted by any other.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from trustcycle.trust import load_config

if TYPE_CHECKING:
    from fastapi import FastAPI

DEFAULT_UPLOADS = Path("var/uploads")
# What the serving processes read: set by `_serve` from its checked arguments.
CONFIG_ENV = "TRUSTCYCLE_PORTAL_CONFIG"
UPLOADS_ENV = "TRUSTCYCLE_PORTAL_UPLOAD_DIR"
MAX_MB_ENV = "TRUSTCYCLE_PORTAL_MAX_UPLOAD_MB"


def _secret(block: str | None) -> bytes:
    from trustcycle.chasing.links import SECRET_ENV, check_secret
    from trustcycle.cli import UserError

    if os.environ.get(SECRET_ENV):
        value: str = os.environ[SECRET_ENV]
    elif block:
        from prefect.blocks.system import Secret

        value = str(Secret.load(block).get())
    else:
        raise UserError(f"set {SECRET_ENV} (or name a Prefect Secret block with --secret-block)")
    try:
        return check_secret(value)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def app_from_environment() -> FastAPI:
    """The portal app of one serving process, from the environment `_serve` prepared."""
    from trustcycle.chasing.links import SECRET_ENV
    from trustcycle.db import Database
    from trustcycle.portal import create_app

    cfg = load_config(Path(os.environ[CONFIG_ENV]))
    database = Database.from_url(migrate_schema=False)  # migrated once, by `_serve`
    max_bytes = int(os.environ[MAX_MB_ENV]) * 1024 * 1024
    upload_dir = Path(os.environ[UPLOADS_ENV])
    return create_app(
        database, cfg, os.environ[SECRET_ENV], upload_dir, max_upload_bytes=max_bytes
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from trustcycle.chasing.links import SECRET_ENV
    from trustcycle.cli import UserError
    from trustcycle.db import Database

    if args.workers < 1:
        raise UserError(f"--workers: at least 1, not {args.workers}")
    load_config(args.config)  # a configuration error stops here, before any process starts
    secret = _secret(args.secret_block)
    Database.from_url().dispose()  # reachable, and its schema current
    os.environ.update(
        {
            CONFIG_ENV: str(Path(args.config).resolve()),
            UPLOADS_ENV: str(Path(args.upload_dir).resolve()),
            MAX_MB_ENV: str(args.max_upload_mb),
            SECRET_ENV: secret.decode(),
        }
    )
    workers = f", {args.workers} processes" if args.workers > 1 else ""
    print(f"portal on http://{args.host}:{args.port}/ (uploads in {args.upload_dir}{workers})")
    uvicorn.run(
        f"{__name__}:app_from_environment",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        access_log=args.access_log,
        log_level=args.log_level,
        proxy_headers=False,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    portal = sub.add_parser("portal", help="serve the partner returns portal")
    portal.add_argument("--host", default="127.0.0.1", help="address to listen on")
    portal.add_argument("--port", type=int, default=8080, help="port to listen on")
    portal.add_argument(
        "--upload-dir",
        type=Path,
        default=DEFAULT_UPLOADS,
        help="where uploaded documents are kept (never served)",
    )
    portal.add_argument("--max-upload-mb", type=int, default=10, help="per-file size limit")
    portal.add_argument(
        "--secret-block", default=None, help="Prefect Secret block holding the signing secret"
    )
    portal.add_argument(
        "--access-log", action="store_true", help="log each request (the URLs contain signed links)"
    )
    portal.add_argument("--log-level", default="warning")
    portal.add_argument(
        "--workers",
        type=int,
        default=1,
        help="serving processes (uvicorn workers) on the one port; more than 1 wants PostgreSQL",
    )
    portal.set_defaults(handler=_serve)
