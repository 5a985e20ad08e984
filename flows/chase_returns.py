"""The daily chase (issue 3): open requests, sweep the inbox, climb the ladder, deliver.

Scheduled every working day at 09:00 Europe/London. A tick runs a fixed number of task
runs whatever the number of partners or messages: the batching is inside the tasks.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date

from pendulum import DateTime
from prefect import flow
from prefect.utilities.annotations import quote

from tasks.chase import (
    SentLine,
    apply_trust_config,
    connect_database,
    load_trust_config,
    mark_missing_returns,
    open_requests,
    plan_dry_run,
    publish_artifacts,
    queue_rungs,
    read_request_table,
    read_sent_lines,
    select_due_rungs,
    sweep_inbox_folder,
)
from tasks.mail import deliver_outbox
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
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
        return _tick(clock.now(), dry_run, config_dir, inbox_dir, database_url)


def _tick(now: DateTime, dry_run: bool, config_dir: str, inbox_dir: str,
          database_url: str | None) -> ChaseSummary:
    today = now.date()
    cfg = load_trust_config(config_dir)
    db = connect_database(database_url)
    summary = ChaseSummary(as_of=today, dry_run=dry_run)
    apply_trust_config(quote(db), quote(cfg), now)
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
        selection, summary.selection_seconds = select_due_rungs(quote(db), quote(cfg), today)
        summary.rungs_queued = len(queue_rungs(quote(db), quote(cfg), quote(selection), now))
        mark_missing_returns(quote(db), quote(cfg), quote(selection), now)
        summary.marked_missing = len(selection.missing)
        report = deliver_outbox(quote(db), now=now, officer_email=cfg.trust.officer.email)
        summary.delivered, summary.delivery = report.sent, report.summary()
        summary.sent = read_sent_lines(quote(db), report.sent_outbox_ids)
    rows = read_request_table(quote(db), quote(cfg), today)
    publish_artifacts(quote(table_rows(rows)), summary_markdown(summary),
                      f"Contribution requests as of {today}")
    return summary
