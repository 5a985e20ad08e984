"""Prefect tasks of the chase: each one I/O action, a constant number per tick.

Large plain inputs (the configuration, the database, a 20,000-row selection) are passed by
the flows wrapped in `prefect.utilities.annotations.quote`, so Prefect does not walk them
looking for futures. Each task installs the tick's instant as the clock, since a task may
run in another thread than its flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from trustcycle.clock import FixedClock, use_clock
from trustcycle.config import TrustConfig, load_config
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import OutboxMessage
from trustcycle.requests import (
    Selection,
    TableRow,
    due_to_open,
    local_day,
    mark_missing,
    open_due_requests,
    record_rungs,
    request_table,
    select_due,
)
from trustcycle.returns import SweepReport, sweep_inbox

ACTOR = "chase"
BATCH = 1000


@dataclass(frozen=True)
class SentLine:
    """One email as `trustcycle chase` prints it."""

    date: str
    kind: str
    to: str
    subject: str


@dataclass
class RungReport:
    """What the ladder step found and queued."""

    selected: int = 0
    missing: int = 0
    selection_seconds: float = 0.0
    outbox_ids: list[int] = field(default_factory=list)


def _retry_on_db_errors(task: object, run: object, state: object) -> bool:
    """Retry only on a database hiccup, never on a bug or a bad configuration."""
    try:
        state.result()  # type: ignore[attr-defined]
    except (OperationalError, IntegrityError):
        return True
    except Exception:  # noqa: BLE001 - anything else is not transient
        return False
    return False


@task(name="load-config", cache_policy=NO_CACHE)
def load_trust_config(config_dir: str) -> TrustConfig:
    """Read and validate the trust's YAML (a configuration error fails the run at once)."""
    return load_config(Path(config_dir))


@task(name="connect-database", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def connect_database(url: str | None = None) -> Database:
    """Connect to (and migrate) the database at `url` or `TRUSTCYCLE_DATABASE_URL`."""
    return Database.from_url(url)


@task(name="apply-config", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def apply_trust_config(db: Database, cfg: TrustConfig, now: datetime) -> str:
    """Make the database match the configuration (idempotent: no change, no write)."""
    with use_clock(FixedClock(now)), db.sessions.begin() as session:
        return apply_config(session, cfg, actor=ACTOR).summary()


@task(name="open-requests", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def open_requests(db: Database, cfg: TrustConfig, now: datetime, dry_run: bool = False) -> int:
    """Open every contribution request whose day has come and queue its request email."""
    with use_clock(FixedClock(now)):
        if dry_run:
            with db.sessions() as session:
                todo, _ = due_to_open(session, cfg, today=local_day(now))
            return len(todo)
        for attempt in range(3):
            try:
                # Immediate: on SQLite a parallel run waits here instead of failing later.
                with db.immediate() as session:
                    return len(open_due_requests(session, cfg, now=now))
            except IntegrityError:
                if attempt == 2:  # a parallel run opened them first; it sends the emails
                    raise
        return 0


@task(name="sweep-inbox", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def sweep_inbox_folder(db: Database, cfg: TrustConfig, inbox: str, now: datetime) -> SweepReport:
    """Record each new file under `inbox/<process>/<partner>/` as a new return version."""
    with use_clock(FixedClock(now)):
        return sweep_inbox(db.sessions, cfg, Path(inbox), now=now)


@task(name="select-due-rungs", cache_policy=NO_CACHE)
def select_due_rungs(db: Database, cfg: TrustConfig, today: date) -> tuple[Selection, float]:
    """Every open request's verdict for today (a set-based read); and its time in seconds."""
    started = time.perf_counter()
    with db.sessions() as session:
        selection = select_due(session, cfg, today=today)
    return selection, time.perf_counter() - started


@task(name="queue-rungs", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def queue_rungs(db: Database, cfg: TrustConfig, selection: Selection, now: datetime) -> list[int]:
    """Queue the due rungs' emails and `Reminder` rows, one transaction per batch."""
    queued: list[int] = []
    with use_clock(FixedClock(now)):
        for start in range(0, len(selection.due), BATCH):
            batch = selection.due[start:start + BATCH]
            for attempt in range(3):
                try:
                    with db.immediate() as session:
                        queued.extend(record_rungs(session, cfg, batch, now=now))
                    break
                except IntegrityError:
                    # A parallel run won a row between our check and our insert: the batch
                    # is rolled back whole and re-checked against what that run committed.
                    if attempt == 2:
                        raise
    return queued


@task(name="mark-missing", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def mark_missing_returns(db: Database, cfg: TrustConfig, selection: Selection,
                         now: datetime) -> list[int]:
    """Mark requests past their cut-off missing and queue the officer's report per process."""
    if not selection.missing:
        return []
    with use_clock(FixedClock(now)), db.immediate() as session:
        return mark_missing(session, cfg, selection.missing, now=now, actor=ACTOR)


@task(name="read-requests", cache_policy=NO_CACHE)
def read_request_table(db: Database, cfg: TrustConfig, today: date,
                       process: str | None = None) -> list[TableRow]:
    """Every request of the year: status, last reminder, next rung and its day."""
    with db.sessions() as session:
        return request_table(session, cfg, today=today, process=process)


@task(name="read-sent", cache_policy=NO_CACHE)
def read_sent_lines(db: Database, outbox_ids: list[int]) -> list[SentLine]:
    """The messages of this tick that the server accepted, in sending order."""
    lines: list[SentLine] = []
    with db.sessions() as session:
        for start in range(0, len(outbox_ids), 1000):
            chunk = outbox_ids[start:start + 1000]
            for row in session.execute(
                select(OutboxMessage.date_header, OutboxMessage.kind, OutboxMessage.to_addrs,
                       OutboxMessage.cc_addrs, OutboxMessage.subject)
                .where(OutboxMessage.id.in_(chunk)).order_by(OutboxMessage.id)
            ):
                to = ", ".join(row.to_addrs) + (f" (cc {', '.join(row.cc_addrs)})"
                                                if row.cc_addrs else "")
                day = local_day(row.date_header).isoformat() if row.date_header else "-"
                lines.append(SentLine(day, row.kind, to, row.subject))
    return lines


@task(name="plan-dry-run", cache_policy=NO_CACHE)
def plan_dry_run(db: Database, cfg: TrustConfig, selection: Selection,
                 now: datetime) -> list[SentLine]:
    """What a real tick would send today, rendered but neither stored nor sent."""
    from trustcycle.mail.chase_emails import request_message, rung_message
    from trustcycle.requests import RequestView

    day = local_day(now).isoformat()
    lines: list[SentLine] = []
    with use_clock(FixedClock(now)), db.sessions() as session:
        todo, dates = due_to_open(session, cfg, today=local_day(now))
    for owed in todo:
        d = dates[owed.process]
        assert d.deadline is not None and d.cutoff is not None
        view = RequestView(0, "(new)", owed.process, owed.partner, owed.return_id,
                           d.deadline, d.cutoff, now, "open")
        email = request_message(cfg, view, now=now)
        lines.append(SentLine(day, email.kind, ", ".join(email.to), email.subject))
    for item in selection.due:
        email = rung_message(cfg, item.request, item.rung, now=now)
        cc = f" (cc {', '.join(email.cc)})" if email.cc else ""
        lines.append(SentLine(day, email.kind, ", ".join(email.to) + cc, email.subject))
    if selection.missing:
        lines.append(SentLine(day, "missing_report", cfg.trust.officer.email,
                              f"Missing returns at the cut-off ({len(selection.missing)})"))
    return lines


@task(name="publish-artifacts", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_artifacts(table: list[dict[str, str]], markdown: str, description: str,
                      key: str = "chase") -> None:
    """The officer's view in the Prefect UI: the requests table and a summary."""
    create_table_artifact(table=table, key=f"{key}-requests", description=description)
    create_markdown_artifact(markdown=markdown, key=f"{key}-summary", description=description)
