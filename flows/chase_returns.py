"""The daily chase (issue 3): open requests, sweep the inbox, climb the ladder, deliver.

Scheduled every working day at 09:00 Europe/London. A tick runs a fixed number of task
runs whatever the number of partners or messages: the batching is inside the tasks.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from threading import Event

from pendulum import DateTime
from prefect import flow
from prefect.futures import wait
from prefect.utilities.annotations import quote

from tasks.chase import (
    RungReport,
    SentLine,
    climb_ladder,
    open_requests,
    open_trust,
    plan_dry_run,
    publish_artifacts,
    read_tick_report,
    select_due_rungs,
    sweep_inbox_folder,
)
from tasks.mail import deliver_outbox
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.outbox import DeliveryReport
from trustcycle.requests import TableRow


@dataclass
class ChaseSummary:
    """What one chase tick did (or, in a dry run, would do)."""

    as_of: date
    dry_run: bool
    opened: int = 0
    returns_recorded: int = 0
    inbox_problems: list[str] = field(default_factory=list)
    rungs_queued: int = 0
    marked_missing: int = 0
    selection_seconds: float = 0.0
    delivered: int = 0
    delivery: str = ""
    sent: list[SentLine] = field(default_factory=list)


# A table artifact is one API event: beyond this many rows the server refuses it.
TABLE_LIMIT = 2000


def table_rows(rows: list[TableRow]) -> list[dict[str, str]]:
    """The officer's table: one row per request, open ones first (capped at TABLE_LIMIT)."""
    rows = sorted(rows, key=lambda r: r.status != "open")[:TABLE_LIMIT]
    return [
        {"process": r.process, "partner": r.partner, "return": r.return_id, "status": r.status,
         "last reminder": r.last_reminder or "-",
         "next rung": f"{r.next_rung} on {r.next_rung_on}" if r.next_rung else "-"}
        for r in rows
    ]


def summary_markdown(s: ChaseSummary) -> str:
    """A short markdown account of the tick."""
    head = "Dry run: nothing stored or sent." if s.dry_run else f"Delivery: {s.delivery}"
    problems = "".join(f"\n- inbox: {p}" for p in s.inbox_problems)
    return (
        f"# Chase of {s.as_of}\n\n{head}\n\n"
        f"- requests opened: {s.opened}\n- returns recorded from the inbox: "
        f"{s.returns_recorded}\n- rungs queued: {s.rungs_queued}\n"
        f"- marked missing at the cut-off: {s.marked_missing}\n"
        f"- messages delivered: {s.delivered}{problems}\n"
    )


@flow(name="chase-returns", log_prints=False)
def chase_returns(
    as_of: date | None = None,
    dry_run: bool = False,
    config_dir: str = "config",
    inbox_dir: str = "var/inbox",
    database_url: str | None = None,
) -> ChaseSummary:
    """Chase every partner's outstanding returns for the day `as_of` (default: today)."""
    # The clock seam: a simulated or catch-up day is the whole run's "now".
    with use_clock(FixedClock.on(as_of)) if as_of else nullcontext():
        now = clock.now()
        cfg, db = open_trust(config_dir, database_url, now)
        return _tick(now, dry_run, cfg, db, inbox_dir)


def _climb_and_deliver(db: Database, cfg: TrustConfig,
                       now: DateTime) -> tuple[RungReport, DeliveryReport]:
    """Climb the ladder and deliver at once: delivery sends each chunk of rungs as soon as
    it is committed, and stops when the ladder has finished (retries included) and nothing
    claimable remains. Two task runs, whatever the number of messages."""
    ladder = climb_ladder.submit(quote(db), quote(cfg), now.date(), now)
    ladder_done = Event()
    ladder.add_done_callback(lambda _: ladder_done.set())
    delivery = deliver_outbox.submit(quote(db), now=now, officer_email=cfg.trust.officer.email,
                                     producer_done=quote(ladder_done))
    wait([ladder, delivery])
    return ladder.result(), delivery.result()


def _tick(now: DateTime, dry_run: bool, cfg: TrustConfig, db: Database,
          inbox_dir: str) -> ChaseSummary:
    """The chase's tasks for one day, on a configuration already applied to `db`."""
    today = now.date()
    summary = ChaseSummary(as_of=today, dry_run=dry_run)
    sent_ids: list[int] = []
    if dry_run:
        summary.opened = open_requests(quote(db), quote(cfg), now, dry_run=True)
        selection, summary.selection_seconds = select_due_rungs(quote(db), quote(cfg), today)
        summary.sent = plan_dry_run(quote(db), quote(cfg), quote(selection), now)
        summary.rungs_queued, summary.marked_missing = len(selection.due), len(selection.missing)
    else:
        summary.opened = open_requests(quote(db), quote(cfg), now)
        swept = sweep_inbox_folder(quote(db), quote(cfg), inbox_dir, now)
        summary.returns_recorded = len(swept.recorded)
        summary.inbox_problems = [f"{p}: {why}" for p, why in swept.problems]
        ladder, report = _climb_and_deliver(db, cfg, now)
        summary.selection_seconds = ladder.selection_seconds
        summary.rungs_queued, summary.marked_missing = len(ladder.outbox_ids), ladder.missing
        summary.delivered, summary.delivery = report.sent, report.summary()
        sent_ids = report.sent_outbox_ids
    sent, rows = read_tick_report(quote(db), quote(cfg), today, sent_ids)
    if not dry_run:
        summary.sent = sent
    publish_artifacts(quote(table_rows(rows)), summary_markdown(summary),
                      f"Contribution requests as of {today}")
    return summary
