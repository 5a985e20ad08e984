"""Tasks of the statutory process flows beyond collection and drafting."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, OutboxMessage
from trustcycle.drafts.context import build_report
from trustcycle.drafts.render import FORMATS, render
from trustcycle.mail.render import render_email
from trustcycle.outbox import enqueue
from trustcycle.papers import load_inputs
from trustcycle.progress import Progress, progress
from trustcycle.timeline import timeline_markdown


@task(name="read-progress", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def read_progress(db: Database, cfg: TrustConfig, year: int) -> dict[str, Progress]:
    """Draft versions and papers sent, per process."""
    with db.session_factory() as session:
        return progress(session, cfg, year)


@task(name="preview-draft", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def preview_draft(db: Database, cfg: TrustConfig, pid: str, year: int, out: str) -> list[str]:
    """Dry run: render the draft from today's returns to files; store and send nothing."""
    with db.session_factory() as session:
        report = build_report(cfg, pid, year, load_inputs(session, cfg, pid, year))
    template = cfg.processes[pid].draft_template or report.kind
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        path = target / f"{pid}-{year}-preview.{fmt}"
        path.write_bytes(render(report, fmt, template))
        written.append(str(path))
    return written


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
def publish_timeline(cfg: TrustConfig, year: int, today: date, process: str | None) -> str:
    """A markdown artifact of the dated timeline (all processes, or one)."""
    from prefect.artifacts import create_markdown_artifact

    day = pendulum.date(today.year, today.month, today.day)
    key = f"timeline-{(process or 'cycle').replace('_', '-')}"
    return str(
        create_markdown_artifact(
            markdown=timeline_markdown(cfg, year, day, process),
            key=key,
            description=f"Statutory timeline as of {day}",
        )
    )
