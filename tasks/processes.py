"""Tasks of the statutory process flows beyond collection and drafting."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from tasks.artifacts import publish_mail_preview
from tasks.chase import read_config, shared_database
from trustcycle.calendar import clock
from trustcycle.calendar.timeline import resolve_process, timeline_markdown
from trustcycle.chasing.progress import Progress, progress, recorded_steps, return_counts
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, OutboxMessage
from trustcycle.drafts.context import build_report
from trustcycle.drafts.render import FORMATS, render
from trustcycle.mail.render import render_email
from trustcycle.mail.settings import SmtpSettings
from trustcycle.notices import SignOffWait, signoff_request
from trustcycle.outbox import enqueue
from trustcycle.outbox.preview import write_previews
from trustcycle.papers.addendum import send_addendum
from trustcycle.papers.assemble import approved_version, load_inputs, papers_current
from trustcycle.settings import run_settings


@task(name="read-progress", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_progress(db: Database, cfg: TrustConfig, year: int) -> dict[str, Progress]:
    """Draft versions and papers sent, per process."""
    with db.session_factory() as session:
        return progress(session, cfg, year)


@task(name="papers-current", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def draft_is_current(db: Database, cfg: TrustConfig, pid: str, year: int) -> bool:
    """Whether the papers sent still say what a draft built now would say."""
    with db.session_factory() as session:
        return papers_current(session, cfg, pid, year)


@task(name="approved-version", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def approved_for_papers(db: Database, cfg: TrustConfig, pid: str, year: int) -> int | None:
    """The approved version whose papers wait for their day, if any (and still current)."""
    with db.session_factory() as session:
        return approved_version(session, cfg, pid, year)


@task(name="queue-addendum", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def queue_addendum(config_dir: str, pid: str, year: int, now: datetime) -> dict[str, object]:
    """Queue the addendum of the returns received since the papers went (none: nothing)."""
    cfg = read_config(config_dir)
    with shared_database().sessions.begin() as session:
        return asdict(send_addendum(session, cfg, pid, year, now=now))


@task(name="preview-process", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def preview_process(config_dir: str, pid: str, year: int) -> list[str]:
    """Dry run: the draft from today's returns and the sign-off email it would send, as
    files under the dry-run folder and a table artifact; nothing stored or sent."""
    cfg = read_config(config_dir)
    with shared_database().sessions() as session:
        report = build_report(cfg, pid, year, load_inputs(session, cfg, pid, year))
    template = cfg.processes[pid].draft_template or report.kind
    out = Path(run_settings().dry_run_dir)
    (out / "drafts").mkdir(parents=True, exist_ok=True)
    written, docx = [], b""
    for fmt in FORMATS:
        path = out / "drafts" / f"{pid}-{year}-preview.{fmt}"
        content = render(report, fmt, template)
        docx = content if fmt == "docx" else docx
        path.write_bytes(content)
        written.append(str(path))
    now = clock.now()
    wait = SignOffWait(pid, year, 0, None, "dry-run", "(a link to the waiting run)")
    email = signoff_request(cfg, wait, resolve_process(cfg, pid, year), docx, now=now)
    lines = write_previews([email], out, SmtpSettings().sender_address,
                           f"{now.format('YYYYMMDD-HHmmss')}-{pid}")
    publish_mail_preview(lines, f"Dry run of {cfg.processes[pid].title}: mail it would send")
    return written + [line.file for line in lines]


@task(name="queue-review-notices", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def queue_review_notices(
    db: Database,
    cfg: TrustConfig,
    revised: str,
    version: int,
    triggered: list[str],
    now: datetime,
) -> list[int]:
    """Tell the officer (and the audit log) which processes a revision re-opens."""
    ids = []
    with db.session_factory.begin() as session:
        for pid in triggered:
            key = f"review-triggered:{cfg.trust.id}:{revised}:v{version}:{pid}"
            if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idem_key == key)):
                continue  # already told: a re-run of the same revision changes nothing
            proc, source = cfg.processes[pid], cfg.processes[revised]
            mail = render_email(
                "review_triggered",
                {
                    "officer": {"name": cfg.trust.officer.name},
                    "revised": {"title": source.title},
                    "triggered": {"title": proc.title, "legal_basis": proc.legal_basis},
                    "version": version,
                    "when": now.strftime("%d %B %Y"),
                },
            )
            message = enqueue(
                session,
                idem_key=key,
                kind="review_triggered",
                to=[cfg.trust.officer.email],
                cc=[cfg.trust.manager.email],
                subject=mail.subject,
                text=mail.text,
                html=mail.html,
                date_header=now,
            )
            session.add(
                AuditLog(
                    at=now,
                    actor="cycle",
                    action="review.triggered",
                    entity="process",
                    entity_id=pid,
                    detail={"revised": revised, "version": version},
                )
            )
            ids.append(message.id)
    return ids


@task(name="publish-timeline", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_timeline(config_dir: str, year: int, today: date, process: str | None) -> str:
    """A markdown artifact of the dated timeline (all processes, or one), each step marked
    from what the database recorded: done, done late, missed, next."""
    from prefect.artifacts import create_markdown_artifact

    cfg = read_config(config_dir)
    with shared_database().sessions() as session:
        recorded = recorded_steps(session, cfg, year)
        counts = return_counts(session, cfg, year)
    day = pendulum.date(today.year, today.month, today.day)
    key = f"timeline-{(process or 'cycle').replace('_', '-')}"
    return str(
        create_markdown_artifact(
            markdown=timeline_markdown(cfg, year, day, process, recorded, counts),
            key=key,
            description=f"Statutory timeline as of {day}",
        )
    )
