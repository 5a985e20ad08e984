"""Where each process of a cycle year stands: what is due on a given day.

The cycle driver runs a process's draft-and-papers step on its cut-off day and on every
later visited day until the papers have gone (catch-up: a missed day is harmless).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle import TIMEZONE
from trustcycle.calendar.punctuality import classify, tally
from trustcycle.calendar.timeline import ProcessDates, Recorded
from trustcycle.chasing.requests import process_ids
from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import (
    AuditLog,
    Body,
    ContributionRequest,
    Draft,
    Notification,
    OutboxMessage,
    Partner,
    Reminder,
    ReturnVersion,
)


@dataclass(frozen=True)
class Progress:
    process: str
    drafts: int
    notified: bool


def progress(session: Session, cfg: TrustConfig, year: int) -> dict[str, Progress]:
    """Per process config id: draft versions made and whether papers have gone out."""
    ids = {row_id: config_id for config_id, row_id in process_ids(session, cfg, year).items()}
    drafts = dict(
        session.execute(
            select(Draft.process_id, func.max(Draft.version))
            .where(Draft.process_id.in_(ids))
            .group_by(Draft.process_id)
        ).all()
    )
    notified = set(
        session.scalars(
            select(Notification.process_id).where(Notification.process_id.in_(ids)).distinct()
        )
    )
    return {
        config_id: Progress(config_id, drafts.get(row_id, 0) or 0, row_id in notified)
        for row_id, config_id in ids.items()
    }


def papers_due(
    cfg: TrustConfig,
    dates: dict[str, ProcessDates],
    done: dict[str, Progress],
    today: pendulum.Date,
) -> list[str]:
    """Processes whose cut-off has come and whose papers have not yet gone out."""
    out = []
    for pid, d in dates.items():
        if cfg.processes[pid].kind is schema.ProcessKind.event or d.cutoff is None:
            continue
        state = done.get(pid)
        if d.cutoff.date() <= today and not (state and state.notified):
            out.append(pid)
    return out


def reviews_triggered(
    cfg: TrustConfig,
    revised: str,
    versions_before: int,
    versions_after: int,
    done: dict[str, Progress],
) -> list[str]:
    """Processes to reconsider because `revised` has a new version after a published one.

    Child Poverty Act 2010 s23(5): the strategy is reconsidered whenever the needs
    assessment is revised. A first draft is not a revision; a triggered process whose
    papers have not gone yet will read the revised assessment anyway.
    """
    if versions_before < 1 or versions_after <= versions_before:
        return []
    return [
        pid
        for pid in cfg.processes[revised].triggers
        if (state := done.get(pid)) is not None and state.notified
    ]


def recorded_steps(session: Session, cfg: TrustConfig, year: int) -> Recorded:
    """What the database recorded as done, per (process, timeline step name): requests
    opened, each rung sent, the collection closed at the cut-off, papers or publication
    sent; and the steps audited as done late by a catch-up run."""
    ids = process_ids(session, cfg, year)
    by_row = {row_id: config_id for config_id, row_id in ids.items()}
    done: dict[tuple[str, str], pendulum.Date] = {}

    def mark(pid: str, step: str, at: datetime | date | None) -> None:
        if at is None:
            return
        if isinstance(at, datetime):
            day = pendulum.instance(_aware(at)).in_timezone(TIMEZONE).date()
        else:
            day = pendulum.date(at.year, at.month, at.day)
        if (pid, step) not in done or day < done[(pid, step)]:
            done[(pid, step)] = day

    for row_id, at in session.execute(
        select(ContributionRequest.process_id, func.min(ContributionRequest.opened_at))
        .where(ContributionRequest.process_id.in_(by_row))
        .group_by(ContributionRequest.process_id)
    ):
        mark(by_row[row_id], "request", at)
    for row_id, rung, day in session.execute(
        select(ContributionRequest.process_id, Reminder.rung, func.min(Reminder.sent_on))
        .join(ContributionRequest, Reminder.contribution_request_id == ContributionRequest.id)
        .where(ContributionRequest.process_id.in_(by_row))
        .group_by(ContributionRequest.process_id, Reminder.rung)
    ):
        pid = by_row[row_id]
        escalate = {r.name: r.escalate for r in cfg.processes[pid].ladder}.get(rung, False)
        mark(pid, f"{'escalation' if escalate else 'reminder'}:{rung}", day)
    late: set[tuple[str, str]] = set()
    for action, entity_id, detail, at in session.execute(
        select(AuditLog.action, AuditLog.entity_id, AuditLog.detail, AuditLog.at)
        .where(AuditLog.action.in_(("collection.closed", "step.late")),
               AuditLog.entity == "process")
    ):
        if entity_id not in ids or (detail or {}).get("year", year) != year:
            continue
        if action == "collection.closed":
            mark(entity_id, "cutoff", at)
        else:
            late.add((entity_id, str(detail.get("step"))))
    for row_id, at in session.execute(
        select(Notification.process_id, func.min(OutboxMessage.created_at))
        .join(OutboxMessage, Notification.outbox_message_id == OutboxMessage.id)
        .where(Notification.process_id.in_(by_row))
        .group_by(Notification.process_id)
    ):
        pid = by_row[row_id]
        mark(pid, "papers" if cfg.processes[pid].receiving and
             cfg.processes[pid].receiving.meeting is not None else "publish", at)
    for row_id, body, at in session.execute(  # a route's later meetings: papers per body
        select(Notification.process_id, Body.config_id, func.min(OutboxMessage.created_at))
        .join(OutboxMessage, Notification.outbox_message_id == OutboxMessage.id)
        .join(Body, Notification.body_id == Body.id)
        .where(Notification.process_id.in_(by_row))
        .group_by(Notification.process_id, Body.config_id)
    ):
        route = cfg.processes[by_row[row_id]].route
        if route and body != route[0].body:
            mark(by_row[row_id], f"papers:{body}", at)
    prefix = f"forward-plan:{cfg.trust.id}:{year}:"  # papers.route's key: ...:PID:BODY:DAY
    for key, at in session.execute(select(OutboxMessage.idem_key, OutboxMessage.created_at)
                                   .where(OutboxMessage.idem_key.startswith(prefix))):
        pid, body, _ = key.removeprefix(prefix).split(":")
        if pid in ids:
            mark(pid, f"forward_plan:{body}", at)
    return Recorded(done, late)


def papers_sent_at(session: Session, cfg: TrustConfig,
                   year: int | None) -> dict[str, datetime]:
    """When each process's papers (or publication) first went: its first notification's
    email, as the outbox recorded it."""
    by_row = {row_id: config_id for config_id, row_id in process_ids(session, cfg, year).items()}
    return {
        by_row[row_id]: _aware(at)
        for row_id, at in session.execute(
            select(Notification.process_id, func.min(OutboxMessage.created_at))
            .join(OutboxMessage, Notification.outbox_message_id == OutboxMessage.id)
            .where(Notification.process_id.in_(by_row))
            .group_by(Notification.process_id)
        )
    }


@dataclass(frozen=True)
class ReturnTiming:
    """One owed return of a process and its category (`calendar.punctuality`)."""

    partner: str
    return_id: str
    category: str
    first_received_at: datetime | None


def return_timings(session: Session, cfg: TrustConfig,
                   year: int) -> dict[str, list[ReturnTiming]]:
    """Every request of the cycle year classified, per process config id: the one source
    the draft, the summary and the timeline count returns from."""
    by_row = {row_id: config_id for config_id, row_id in process_ids(session, cfg, year).items()}
    papers = papers_sent_at(session, cfg, year)
    first = (
        select(ReturnVersion.contribution_request_id.label("rid"),
               func.min(ReturnVersion.received_at).label("first_at"))
        .group_by(ReturnVersion.contribution_request_id)
        .subquery()
    )
    out: dict[str, list[ReturnTiming]] = {pid: [] for pid in by_row.values()}
    rows = session.execute(
        select(ContributionRequest.process_id, Partner.config_id, ContributionRequest.return_id,
               ContributionRequest.status, ContributionRequest.deadline_at, first.c.first_at)
        .join(Partner, ContributionRequest.partner_id == Partner.id)
        .outerjoin(first, first.c.rid == ContributionRequest.id)
        .where(ContributionRequest.process_id.in_(by_row))
        .order_by(ContributionRequest.id)
    )
    for row_id, partner, return_id, status, deadline_at, first_at in rows:
        pid = by_row[row_id]
        at = _aware(first_at) if first_at is not None else None
        category = classify(received=at is not None, waived=status == "waived",
                            first_received_at=at, deadline_at=_aware(deadline_at),
                            papers_at=papers.get(pid))
        out[pid].append(ReturnTiming(partner, return_id, category, at))
    return out


def return_counts(session: Session, cfg: TrustConfig, year: int) -> dict[str, dict[str, int]]:
    """Per process config id: how many owed returns fall in each category."""
    return {pid: tally(t.category for t in timings)
            for pid, timings in return_timings(session, cfg, year).items()}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
