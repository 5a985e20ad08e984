"""`trustcycle chase --as-of YYYY-MM-DD [--dry-run]`: one chase tick through Prefect."""

from __future__ import annotations

import argparse
import os
from datetime import date

from trustcycle.cli import UserError


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _chase(args: argparse.Namespace) -> int:
    from flows.chase_returns import chase_returns  # the CLI is the only flows importer

    if args.inbox:
        os.environ["TRUSTCYCLE_INBOX_DIR"] = str(args.inbox)  # a setting the flow reads
    try:
        summary = chase_returns(as_of=args.as_of, dry_run=args.dry_run,
                                config_dir=str(args.config))
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    verb = "would send" if summary.dry_run else "sent"
    for line in summary.sent:
        print(f"{line.date}  {line.kind:<24} {line.to:<48} {line.subject}")
    print(f"{summary.as_of}: {verb} {len(summary.sent)} email(s); {summary.opened} request(s) "
          f"opened, {summary.rungs_queued} rung(s), {summary.marked_missing} marked missing, "
          f"{summary.returns_recorded} return(s) from the inbox")
    for problem in summary.inbox_problems:
        print(f"inbox: {problem}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    chase = sub.add_parser("chase", help="run the chase for a day and print what it sent")
    chase.add_argument("--as-of", type=_as_of, default=None, help="the day (default: today)")
    chase.add_argument("--dry-run", action="store_true", help="show what would be sent")
    chase.add_argument("--inbox", default="var/inbox", help="the inbox folder to sweep")
    chase.set_defaults(handler=_chase)
