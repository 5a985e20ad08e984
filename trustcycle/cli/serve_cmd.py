"""`trustcycle serve`: the Prefect server and UI, with every deployment scheduled and served."""

from __future__ import annotations

import argparse

from trustcycle.cli import UserError


def _serve(args: argparse.Namespace) -> int:
    # Lazy: the CLI is the only part of `trustcycle` that may reach Prefect and `flows`.
    from deployments.serve import ServeError, ServeOptions, run

    opts = ServeOptions(
        config_dir=args.config,
        year=args.year,
        host=args.host,
        port=args.port,
        start_server=not args.no_server,
    )
    try:
        return run(opts)
    except ServeError as exc:
        raise UserError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser(
        "serve",
        help="start the Prefect server and UI and run the deployments on their schedules",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address the server listens on (default: loopback)"
    )
    serve.add_argument("--port", type=int, default=4200, help="server port (default: 4200)")
    serve.add_argument(
        "--no-server",
        action="store_true",
        help="serve against the server at PREFECT_API_URL instead of starting one",
    )
    serve.add_argument("--year", type=int, default=None, help="cycle year (default: configured)")
    serve.set_defaults(handler=_serve)
