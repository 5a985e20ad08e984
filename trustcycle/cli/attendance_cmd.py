"""`trustcycle attendance record|import`: who came to a body's meeting."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from trustcycle.attendance import AttendanceError, import_csv, record_attendance
from trustcycle.calendar import clock
from trustcycle.cli import UserError
from trustcycle.db import Database
from trustcycle.trust import load_config

ACTOR = "cli"


def _record(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    db = Database.from_url()
    try:
        with db.sessions.begin() as session:
            done = record_attendance(session, cfg, body=args.body, on=args.date,
                                     person=args.person, status=args.status,
                                     now=clock.now(), actor=ACTOR)
    except AttendanceError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    print(f"{done.on} {done.body} {done.person}: {done.status}"
          + ("" if done.changed else " (unchanged)"))
    return 0


def _import(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"no such file {str(path)!r}")
    db = Database.from_url()
    try:
        with db.sessions.begin() as session:
            done = import_csv(session, cfg, path.read_text(encoding="utf-8-sig"),
                              now=clock.now(), actor=ACTOR)
    except AttendanceError as exc:
        raise UserError(f"{path.name}: {exc}") from None
    finally:
        db.dispose()
    print(f"recorded {len(done)} rows ({sum(d.changed for d in done)} changed)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    att = sub.add_parser("attendance", help="record attendance at a body's meetings")
    verbs = att.add_subparsers(dest="verb", required=True)
    rec = verbs.add_parser("record", help="one person at one meeting")
    rec.add_argument("--body", required=True, help="body id, e.g. board")
    rec.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    rec.add_argument("--person", required=True, help="the person's email")
    rec.add_argument("--status", required=True,
                     choices=["present", "apologies", "deputy", "absent"])
    rec.set_defaults(handler=_record)
    imp = verbs.add_parser("import", help="a CSV with columns body,date,person,status")
    imp.add_argument("file")
    imp.set_defaults(handler=_import)
