"""`trustcycle calendar show|export`: the dated timeline of a cycle year."""

from __future__ import annotations

import argparse
from pathlib import Path

from trustcycle.calendar.ics import timeline_ics
from trustcycle.calendar.timeline import timeline
from trustcycle.trust import load_config


def _show(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    for step in timeline(cfg, args.year):
        body = step.body or "-"
        print(
            f"{step.at.format('YYYY-MM-DD ddd HH:mm')}  {step.process:<34} {step.name:<24} "
            f"{body:<12} {step.title}"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    data = timeline_ics(cfg, args.year)
    target = Path(args.ics)
    target.parent.mkdir(parents=True, exist_ok=True)  # var/ may not exist yet
    target.write_bytes(data)
    print(f"wrote {args.ics}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cal = sub.add_parser("calendar", help="the statutory calendar of a cycle year")
    verbs = cal.add_subparsers(dest="verb", required=True)
    show = verbs.add_parser("show", help="one line per dated step, in date order")
    show.add_argument("--year", type=int, default=None, help="cycle year (default: configured)")
    show.set_defaults(handler=_show)
    export = verbs.add_parser("export", help="an RFC 5545 .ics of every step and meeting")
    export.add_argument("--year", type=int, default=None)
    export.add_argument("--ics", required=True, help="file to write")
    export.set_defaults(handler=_export)
