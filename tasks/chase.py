"""Prefect tasks of the chase: each one I/O action, a constant number per tick.

Large plain inputs (the configuration, the database, a 20,000-row selection) are passed by
the flows wrapped in `prefect.utilities.annotations.quote`, so Prefect does not walk them
looking for futures. Each task installs the tick's instant as the clock, since a task may
run in another thread than its flow.

Seam: one process may run many flow runs (the simulated year runs ~40 days in one), so the
parsed configuration (keyed on its files' sha256, so an officer's edit applies to the next
run), the database engine (per URL and SQLite file) and "this configuration is already
applied" are kept for the life of the process.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlalchemy import make_url, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from tasks.artifacts import publish_mail_preview
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.letters import people_of_rung, request_letters
from trustcycle.chasing.people import batches
from trustcycle.chasing.requests import (
    LetterRace,
    Selection,
    TableRow,
    due_to_open,
    local_day,
    mark_missing,
    open_due_requests,
    record_rungs,
    request_table,
    rung_messages,
    select_due,
)
from trustcycle.chasing.returns import SweepReport, sweep_inbox
from trustcycle.config import TrustConfig
from trustcycle.config.loader import FILES, OPTIONAL_FILES
from trustcycle.config.years import cycle_year_of, for_year
from trustcycle.db import Database, database_url
from trustcycle.db.apply import apply_config
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox.preview import write_previews
from trustcycle.settings import run_settings
from trustcycle.trust import load_config

ACTOR = "chase"
# Rungs per transaction: small enough that delivery, running alongside, starts early.
BATCH = 500


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


@dataclass
class _Shared:
    """A database kept for the process: its SQLite file and the configurations applied."""

    file: tuple[int, int] | None
    db: Database
    applied: set[str] = field(default_factory=set)  # sha256 of each configuration


_configs: dict[Path, tuple[str, TrustConfig]] = {}
_databases: dict[str, _Shared] = {}


def config_sha256(config_dir: Path) -> str:
    """The sha256 of every file `load_config` reads from `config_dir`."""
    digest = hashlib.sha256()
    for name in (*FILES, *OPTIONAL_FILES):
        try:
            content = (config_dir / name).read_bytes()
        except OSError:
            content = b"(unreadable)"
        digest.update(f"{name}\0{len(content)}\0".encode() + content)
    return digest.hexdigest()


def read_config(config_dir: str | Path) -> TrustConfig:
    """The validated configuration, parsed again only when one of its files changed."""
    directory = Path(config_dir).resolve()
    sha = config_sha256(directory)
    cached = _configs.get(directory)
    if cached is None or cached[0] != sha:
        cached = (sha, load_config(Path(config_dir)))
        _configs[directory] = cached
    return cached[1]


def _sqlite_file(url: str) -> tuple[int, int] | None:
    """The (device, inode) of a SQLite database file: a file replaced at the same path
    (a fresh simulation, a test's new database) must not reuse the old file's engine."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    try:
        stat = Path(parsed.database).stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def shared_database(url: str | None = None) -> Database:
    """One migrated `Database` per URL (and SQLite file) per process."""
    url = url or database_url()
    shared = _databases.get(url)
    if shared is not None and shared.file != _sqlite_file(url):
        shared.db.dispose()
        shared = None
    if shared is None:
        db = Database.from_url(url)
        shared = _databases[url] = _Shared(_sqlite_file(url), db)
    return shared.db


def apply_once(db: Database, cfg: TrustConfig, now: datetime) -> str:
    """Make the database match the configuration, unless this process already applied
    these very files to it (applying is idempotent: a second pass finds nothing to do)."""
    sha = f"{config_sha256(cfg.directory.resolve())}:{cfg.trust.cycle_year}"
    shared = next((s for s in _databases.values() if s.db is db), None)
    if shared is not None and sha in shared.applied:
        return "unchanged (already applied in this process)"
    with use_clock(FixedClock(now)), db.sessions.begin() as session:
        summary = apply_config(session, cfg, actor=ACTOR).summary()
    if shared is not None:
        shared.applied.add(sha)
    return summary


@task(name="load-config", cache_policy=NO_CACHE)
def load_trust_config(config_dir: str) -> TrustConfig:
    """Read and validate the trust's YAML (a configuration error fails the run at once)."""
    return read_config(config_dir)


@task(name="connect-database", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def connect_database(url: str | None = None) -> Database:
    """Connect to (and migrate) the database at `url` or `TRUSTCYCLE_DATABASE_URL`."""
    return shared_database(url)


@task(name="apply-config", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def apply_trust_config(db: Database, cfg: TrustConfig, now: datetime) -> str:
    """Make the database match the configuration (idempotent: no change, no write)."""
    return apply_once(db, cfg, now)


# `trustcycle config apply` as one step: a configuration error fails the run at once (it
# is not retried); a database hiccup is.
@task(name="open-trust", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def open_trust(config_dir: str, url: str | None, now: datetime, year: int | None = None,
               day: date | None = None) -> tuple[TrustConfig, Database]:
    """Read the trust's YAML for cycle year `year` (default: the one `day`, else `now`,
    falls in) and bring its database (schema and configuration) up to date."""
    base = read_config(config_dir)
    cfg = for_year(base, year or cycle_year_of(base, day or local_day(now)))
    db = shared_database(url)
    apply_once(db, cfg, now)
    return cfg, db


@task(name="open-requests", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def open_requests(db: Database, cfg: TrustConfig, now: datetime, today: date | None = None) -> int:
    """Open every contribution request due on `today` and queue its request email."""
    with use_clock(FixedClock(now)):
        for attempt in range(3):
            try:
                # Immediate: on SQLite a parallel run waits here instead of failing later.
                with db.immediate() as session:
                    return len(open_due_requests(session, cfg, now=now, today=today))
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


@task(name="climb-ladder", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def climb_ladder(db: Database, cfg: TrustConfig, today: date, now: datetime) -> RungReport:
    """Queue today's due rungs (emails and `Reminder` rows) and mark the cut-off's missing."""
    started = time.perf_counter()
    with db.sessions() as session:
        selection = select_due(session, cfg, today=today)
    report = RungReport(len(selection.due), len(selection.missing),
                        time.perf_counter() - started)
    with use_clock(FixedClock(now)):
        # A person's rungs share a batch: one letter lists all they are chased for today.
        for batch in batches(selection.due, people_of_rung(cfg), BATCH):
            # Rendered before the transaction: on SQLite it holds the write lock, which
            # delivery running alongside needs for each sent mark.
            emails = rung_messages(cfg, batch, now=now)
            for attempt in range(3):
                try:
                    with db.immediate() as session:
                        report.outbox_ids.extend(
                            record_rungs(session, cfg, batch, now=now, emails=emails))
                    break
                except (IntegrityError, LetterRace):
                    # A parallel run won a row between our check and our insert: the batch
                    # is rolled back whole and re-checked against what that run committed.
                    if attempt == 2:
                        raise
        if selection.missing:
            with db.immediate() as session:
                mark_missing(session, cfg, selection.missing, now=now, actor=ACTOR)
    return report


@task(name="read-requests", cache_policy=NO_CACHE)
def read_request_table(db: Database, cfg: TrustConfig, today: date,
                       process: str | None = None) -> list[TableRow]:
    """Every request of the year: status, last reminder, next rung and its day."""
    with db.sessions() as session:
        return request_table(session, cfg, today=today, process=process)


@task(name="read-report", cache_policy=NO_CACHE)
def read_tick_report(db: Database, cfg: TrustConfig, today: date,
                     outbox_ids: list[int]) -> tuple[list[SentLine], list[TableRow]]:
    """The messages of this tick the server accepted, and every request of the year."""
    with db.sessions() as session:
        return _sent_lines(session, outbox_ids), request_table(session, cfg, today=today)


def _sent_lines(session: Session, outbox_ids: list[int]) -> list[SentLine]:
    lines: list[SentLine] = []
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


@dataclass(frozen=True)
class ChasePreview:
    """What a real tick would do: requests it would open, and every email it would send."""

    opened: int
    lines: list[SentLine]


@task(name="preview-chase-mail", cache_policy=NO_CACHE)
def preview_chase_mail(db: Database, cfg: TrustConfig, selection: Selection, today: date,
                       now: datetime) -> ChasePreview:
    """Dry run: every email a real tick would send today, rendered and written as `.eml`
    files under the dry-run folder with a table artifact; nothing stored or sent."""
    from trustcycle.chasing.emails import fault_alert
    from trustcycle.chasing.requests import RequestView, opening_dates, opening_instants

    with use_clock(FixedClock(now)), db.sessions() as session:
        todo, dates = due_to_open(session, cfg, today=today)
    views = []
    for n, owed in enumerate(todo, 1):  # numbered: the letters tell the requests apart
        d = dates[owed.process].for_return(owed.return_id)
        deadline_at, cutoff_at = opening_instants(d, opening_dates(cfg, d, today))
        views.append(RequestView(-n, "dry-run", owed.process, owed.partner, owed.return_id,
                                 deadline_at, cutoff_at, now, "open"))
    requests, request_faults = request_letters(cfg, views, now=now)
    rungs = rung_messages(cfg, selection.due, now=now)
    # A partner whose mail cannot be built: the officer's alert is what a real tick sends.
    emails = ([b.email for b in requests] + [b.email for b in rungs.letters]
              + [fault_alert(cfg, f, now=now) for f in request_faults + rungs.faults])
    out = Path(run_settings().dry_run_dir)
    lines = write_previews(emails, out, SmtpSettings().sender_address,
                           f"{now.format('YYYYMMDD-HHmmss')}-chase-{today.isoformat()}")
    publish_mail_preview(lines, f"Dry run of the chase for {today}: mail it would send "
                                f"({len(lines)}); nothing stored or sent")
    day = now.date().isoformat()
    sent = [SentLine(day, x.kind, x.to + (f" (cc {x.cc})" if x.cc else ""), x.subject)
            for x in lines]
    if selection.missing:
        sent.append(SentLine(day, "missing_report", cfg.trust.officer.email,
                             f"Missing returns at the cut-off ({len(selection.missing)})"))
    return ChasePreview(len(todo), sent)


@task(name="publish-artifacts", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_artifacts(table: list[dict[str, str]], markdown: str, description: str,
                      key: str = "chase") -> None:
    """The officer's view in the Prefect UI: the requests table and a summary."""
    create_table_artifact(table=table, key=f"{key}-requests", description=description)
    create_markdown_artifact(markdown=markdown, key=f"{key}-summary", description=description)
