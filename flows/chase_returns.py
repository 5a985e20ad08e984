"""The daily chase (issue 3): open requests, sweep the inbox, climb the ladder, deliver.

Scheduled every working day at 09:00 Europe/London. A tick runs a fixed number of task
runs whatever the number of partners or messages: the batching is inside the tasks.
"""

from __future__ import annotations

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
    preview_chase_mail,
    publish_artifacts,
    read_tick_report,
    select_due_rungs,
    sweep_inbox_folder,
)
from tasks.mail import deliver_outbox
from trustcycle.calendar import clock
from trustcycle.calendar.ics import rung_words
from trustcycle.chasing.requests import TableRow
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.outbox import DeliveryReport
from trustcycle.settings import run_settings


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


def table_rows(cfg: TrustConfig, rows: list[TableRow]) -> list[dict[str, str]]:
    """The officer's table in words: one row per request, open ones first (capped)."""
    rows = sorted(rows, key=lambda r: r.status != "open")[:TABLE_LIMIT]

    def title(r: TableRow) -> tuple[str, str, str]:
        proc = cfg.processes.get(r.process)
        ret = next((x.title for x in proc.returns if x.id == r.return_id), r.return_id) \
            if proc else r.return_id
        partner = cfg.partners[r.partner].name if r.partner in cfg.partners else r.partner
        return (proc.title if proc else r.process), partner, ret

    def rung(process: str, name: str | None) -> str:
        proc = cfg.processes.get(process)
        found = next((x for x in proc.ladder if x.name == name), None) if proc else None
        if found is None:
            return name or "none"
        kind = "escalation" if found.escalate else "reminder"
        return f"{kind} {rung_words(found.working_days)}"

    out = []
    for r in rows:
        process, partner, ret = title(r)
        out.append({"process": process, "partner": partner, "return": ret,
                    "status": r.status,
                    "last reminder": rung(r.process, r.last_reminder) if r.last_reminder
                    else "none",
                    "next rung": f"{rung(r.process, r.next_rung)} ({r.next_rung_on})"
                    if r.next_rung else "none"})
    return out


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
    cycle_year: int | None = None,
) -> ChaseSummary:
    """Chase every partner's outstanding returns due on `as_of` (default: today)."""
    now = clock.now()  # the wall clock: what is recorded or sent carries it
    today = clock.planning_day(as_of)  # which steps are due
    cfg, db = open_trust(config_dir, None, now, cycle_year, today)
    return _tick(today, now, dry_run, cfg, db)


def _climb_and_deliver(db: Database, cfg: TrustConfig, today: date,
                       now: DateTime) -> tuple[RungReport, DeliveryReport]:
    """Climb the ladder and deliver at once: delivery sends each chunk of rungs as soon as
    it is committed, and stops when the ladder has finished (retries included) and nothing
    claimable remains. Two task runs, whatever the number of messages."""
    ladder = climb_ladder.submit(quote(db), quote(cfg), today, now)
    ladder_done = Event()
    ladder.add_done_callback(lambda _: ladder_done.set())
    delivery = deliver_outbox.submit(quote(db), now=now, officer_email=cfg.trust.officer.email,
                                     producer_done=quote(ladder_done))
    wait([ladder, delivery])
    return ladder.result(), delivery.result()


def _tick(today: date, now: DateTime, dry_run: bool, cfg: TrustConfig,
          db: Database) -> ChaseSummary:
    """The chase's tasks for the planning day `today`, recorded at `now` (the wall clock),
    on a configuration already applied to `db`."""
    summary = ChaseSummary(as_of=today, dry_run=dry_run)
    sent_ids: list[int] = []
    if dry_run:
        selection, summary.selection_seconds = select_due_rungs(quote(db), quote(cfg), today)
        preview = preview_chase_mail(quote(db), quote(cfg), quote(selection), today, now)
        summary.opened, summary.sent = preview.opened, preview.lines
        summary.rungs_queued, summary.marked_missing = len(selection.due), len(selection.missing)
    else:
        summary.opened = open_requests(quote(db), quote(cfg), now, today=today)
        swept = sweep_inbox_folder(quote(db), quote(cfg), run_settings().inbox_dir, now)
        summary.returns_recorded = len(swept.recorded)
        summary.inbox_problems = [f"{p}: {why}" for p, why in swept.problems]
        ladder, report = _climb_and_deliver(db, cfg, today, now)
        summary.selection_seconds = ladder.selection_seconds
        summary.rungs_queued, summary.marked_missing = len(ladder.outbox_ids), ladder.missing
        summary.delivered, summary.delivery = report.sent, report.summary()
        sent_ids = report.sent_outbox_ids
    sent, rows = read_tick_report(quote(db), quote(cfg), today, sent_ids)
    if not dry_run:
        summary.sent = sent
    publish_artifacts(quote(table_rows(cfg, rows)), summary_markdown(summary),
                      f"Contribution requests as of {today}")
    return summary
