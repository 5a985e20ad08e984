"""`trustcycle` command line: the entrypoint shell around the domain and the flows.

Each sub-command lives in its own module with a `register(subparsers)` function; this is
the only part of the `trustcycle` package that may import `flows` (lazily, inside a handler).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

from trustcycle.config import ConfigError
from trustcycle.db.session import DatabaseUrlError

# Sub-command modules under trustcycle.cli, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "config_cmd",
    "calendar_cmd",
    "returns_cmd",
    "chase_cmd",
    "attendance_cmd",
    "draft_cmd",
    "simulate_cmd",
    "serve_cmd",
    "portal_cmd",
)


class UserError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustcycle", description="Run a Children's Trust's statutory planning cycle."
    )
    parser.add_argument(
        "--config", type=Path, default=Path("config"), help="configuration directory"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = import_module(f"trustcycle.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"trustcycle.cli.{name}":
                raise
            continue  # a command not built in this checkout
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (UserError, DatabaseUrlError) as exc:
        print(f"trustcycle: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
