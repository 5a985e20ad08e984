"""`trustcycle` command line: the entrypoint shell around the domain and the flows.

Each sub-command lives in its own module with a `register(subparsers)` function; this is
the only part of the `trustcycle` package that may import `flows` (lazily, inside a handler).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Iterator, Sequence
from importlib import import_module
from pathlib import Path

from trustcycle.cli.guide import GUIDE, epilog
from trustcycle.config import ConfigError

# Sub-command modules under trustcycle.cli, in the order `--help` lists them.
COMMANDS: tuple[str, ...] = (
    "init_cmd",
    "config_cmd",
    "doctor_cmd",
    "calendar_cmd",
    "returns_cmd",
    "chase_cmd",
    "attendance_cmd",
    "draft_cmd",
    "simulate_cmd",
    "serve_cmd",
    "deploy_cmd",
    "portal_cmd",
)


class UserError(Exception):
    """A mistake in what the user asked for: printed as one line, exit status 2."""


CONFIG_HELP = "the trust's configuration folder (default: config)"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command tree; with `only`, just that command's branch (its module alone is
    imported: `trustcycle config check` need not load the mail, database and draft code)."""
    parser = argparse.ArgumentParser(prog="trustcycle")
    parser.add_argument("--config", type=Path, default=Path("config"), help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != f"{only}_cmd":
            continue
        try:
            module = import_module(f"trustcycle.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"trustcycle.cli.{name}":
                raise
            continue  # a command not built in this checkout
        module.register(sub)
    for path, command in walk(parser):
        _finish(command, path)
    return parser


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the command tree with its path: (), ("config",), ("config", "check")..."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, (*path, name))


def _finish(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
    """The officer's `--help` (what it does, an example), and `--config` at every level.

    `--config` after a command is the command's own option with no default, so it is set
    only when given there and then wins over one given before the command."""
    entry = GUIDE.get(path)
    if entry is not None:
        parser.description = textwrap.fill(entry.what, width=88)
        parser.epilog = epilog(entry)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    if path and path != ("init",) and not any("--config" in a.option_strings
                                              for a in parser._actions):
        parser.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=CONFIG_HELP)


def _command_named(argv: Sequence[str]) -> str | None:
    """The command word of `argv` if it names one of ours (the words before it are
    `--config DIR` or `--config=DIR`), else None."""
    words = iter(argv)
    for word in words:
        if word == "--config":
            next(words, None)
        elif not word.startswith("-"):
            return word if f"{word}_cmd" in COMMANDS else None
    return None


# Prefect's local (ephemeral) server is given 20 s to start; on a busy small machine its first
# start (migrating a new SQLite file) has taken longer. A value set by the user is kept.
EPHEMERAL_STARTUP_SECONDS = "120"


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                          EPHEMERAL_STARTUP_SECONDS)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_command_named(argv)).parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"trustcycle: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        from trustcycle.db.session import DatabaseUrlError  # loaded by then if it can be

        if not isinstance(exc, DatabaseUrlError):
            raise
        print(f"trustcycle: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
