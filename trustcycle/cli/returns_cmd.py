"""`trustcycle returns record|waive|list`: partners' returns, recorded by an officer.

Every return is a new version (never an overwrite) with its sha256 and an audit row; its
receipt email is queued in the outbox and goes with the next chase tick.
"""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from trustcycle.calendar import clock
from trustcycle.chasing.returns import (
    RequestError,
    list_requests,
    record_return,
    resolve_owed,
    waive_return,
)
from trustcycle.cli import UserError
from trustcycle.db import Database
from trustcycle.trust import load_config


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _record(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    try:
        owed = resolve_owed(cfg, args.process, args.partner, args.return_id)
        payload = None
        if args.json is not None:
            try:
                payload = json.loads(args.json)
            except ValueError as exc:
                raise RequestError(f"--json is not valid JSON: {exc}") from None
        db = Database.from_url()
        now = clock.now()
        with db.sessions.begin() as session:
            done = record_return(session, cfg, owed, now=now, actor=_actor(), channel="cli",
                                 payload=payload, file_path=Path(args.file) if args.file else None,
                                 year=args.year)
    except RequestError as exc:
        raise UserError(str(exc)) from None
    print(f"recorded {owed.process}/{owed.partner}/{owed.return_id} version {done.version} "
          f"sha256 {done.sha256}; receipt queued")
    return 0


def _waive(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    try:
        owed = resolve_owed(cfg, args.process, args.partner, args.return_id)
        db = Database.from_url()
        with db.sessions.begin() as session:
            waive_return(session, cfg, owed, reason=args.reason, now=clock.now(),
                         actor=_actor(), year=args.year)
    except RequestError as exc:
        raise UserError(str(exc)) from None
    print(f"waived {owed.process}/{owed.partner}/{owed.return_id}: {args.reason}")
    return 0


def _list(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    try:
        db = Database.from_url()
        with db.sessions() as session:
            rows = list_requests(session, cfg, args.process, args.year)
    except RequestError as exc:
        raise UserError(str(exc)) from None
    for r in rows:
        sha = r.latest_sha256[:12] if r.latest_sha256 else "-"
        print(f"{r.process:<30} {r.partner:<16} {r.return_id:<20} {r.status:<9} "
              f"v{r.versions} {sha}")
    return 0


def _which(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--process", required=True, help="process id, e.g. membership_review")
    parser.add_argument("--partner", required=True, help="partner id, e.g. police")
    parser.add_argument("--return", dest="return_id", default=None,
                        help="return id (needed when the process asks several)")
    parser.add_argument("--year", type=int, default=None, help="cycle year (default: configured)")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    returns = sub.add_parser("returns", help="record, waive and list partners' returns")
    verbs = returns.add_subparsers(dest="verb", required=True)
    record = verbs.add_parser("record", help="record a new version of a return")
    _which(record)
    source = record.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="the partner's file (JSON, spreadsheet, document...)")
    source.add_argument("--json", help="the return as a JSON object")
    record.set_defaults(handler=_record)
    waive = verbs.add_parser("waive", help="waive a return: it is chased no more")
    _which(waive)
    waive.add_argument("--reason", required=True, help="why it is waived (kept in the audit)")
    waive.set_defaults(handler=_waive)
    show = verbs.add_parser("list", help="every request with its status and latest version")
    show.add_argument("--process", default=None)
    show.add_argument("--year", type=int, default=None)
    show.set_defaults(handler=_list)
