"""`trustcycle draft PROCESS --year YYYY --format md|html|docx --out DIR`: build the draft
from the returns in the database, store it as a version, and write it to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from trustcycle.calendar import clock
from trustcycle.chasing.requests import RequestError
from trustcycle.cli import UserError
from trustcycle.db import Database
from trustcycle.drafts.render import FORMATS
from trustcycle.papers.assemble import PapersError, build_and_store, draft_content
from trustcycle.trust import load_config

DRAFT_KINDS = ("membership_review", "cypp_annual_review", "joint_needs_analysis",
               "child_poverty_strategy")


def _draft(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    proc = cfg.processes.get(args.process)
    if proc is None or proc.kind.value not in DRAFT_KINDS:
        drafts = sorted(p for p, s in cfg.processes.items() if s.kind.value in DRAFT_KINDS)
        raise UserError(f"no draft for {args.process!r}: use one of {', '.join(drafts)}")
    year = args.year or cfg.trust.cycle_year
    db = Database.from_url()
    try:
        with db.sessions.begin() as session:
            stored = build_and_store(session, cfg, args.process, year, now=clock.now())
            data = draft_content(session, cfg, args.process, year, stored.version, args.format)
    except (PapersError, RequestError) as exc:
        raise UserError(str(exc)) from None
    finally:
        db.dispose()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{args.process}-{year}-v{stored.version}.{args.format}"
    target.write_bytes(data)
    state = "new version" if stored.created else "unchanged"
    print(f"wrote {target} ({state}; returns sha256 {stored.returns_sha256[:12]})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("draft", help="build a process's draft paper from its returns")
    cmd.add_argument("process", help="process id, e.g. cypp_annual_review")
    cmd.add_argument("--year", type=int, default=None, help="cycle year (default: configured)")
    cmd.add_argument("--format", choices=FORMATS, default="md")
    cmd.add_argument("--out", default="var/out/drafts", help="directory to write to")
    cmd.set_defaults(handler=_draft)
