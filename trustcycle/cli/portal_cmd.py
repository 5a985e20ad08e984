"""`trustcycle portal`: serve the partner returns portal with uvicorn.

The signing secret comes from `TRUSTCYCLE_PORTAL_SECRET`, or from a Prefect Secret block
named with `--secret-block` (loaded here, never by the app). Access logging is off by
default: every portal URL carries a request's signed link, which must not end up in logs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from trustcycle.trust import load_config

DEFAULT_UPLOADS = Path("var/uploads")


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


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from trustcycle.db import Database
    from trustcycle.portal import create_app

    cfg = load_config(args.config)
    secret = _secret(args.secret_block)
    database = Database.from_url()
    app = create_app(
        database, cfg, secret, args.upload_dir, max_upload_bytes=args.max_upload_mb * 1024 * 1024
    )
    print(f"portal on http://{args.host}:{args.port}/ (uploads in {args.upload_dir})")
    uvicorn.run(
        app,
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
    portal.set_defaults(handler=_serve)
