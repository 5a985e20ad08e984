"""The closing summary of a cycle year, per process: what was asked, got, chased and sent."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle.calendar.punctuality import LATE, LATE_AFTER_PAPERS, MISSING, ON_TIME, WAIVED
from trustcycle.chasing.progress import return_counts
from trustcycle.chasing.requests import process_ids
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import (
    ContributionRequest,
    Draft,
    Notification,
    OutboxMessage,
    Reminder,
)


@dataclass
class ProcessSummary:
    requests: int = 0
    on_time: int = 0
    late: int = 0
    late_after_papers: int = 0
    missing: int = 0
    waived: int = 0
    reminders: int = 0
    escalations: int = 0
    drafts: int = 0
    notifications: int = 0


def year_summary(session: Session, cfg: TrustConfig, year: int) -> dict[str, ProcessSummary]:
    """Counts per process config id (every process with returns appears, even with zeros)."""
    processes = {row: cid for cid, row in process_ids(session, cfg, year).items()}
    out = {
        pid: ProcessSummary()
        for pid, proc in cfg.processes.items()
        if proc.returns and pid in processes.values()
    }
    # The one classification the draft and the timeline count with (`return_timings`).
    for pid, counts in return_counts(session, cfg, year).items():
        if pid not in out and not sum(counts.values()):
            continue
        summary = out.setdefault(pid, ProcessSummary())
        summary.requests = sum(counts.values())
        summary.on_time, summary.late = counts[ON_TIME], counts[LATE]
        summary.late_after_papers = counts[LATE_AFTER_PAPERS]
        summary.missing, summary.waived = counts[MISSING], counts[WAIVED]
    escalating = {
        (pid, rung.name)
        for pid, proc in cfg.processes.items()
        for rung in proc.ladder
        if rung.escalate
    }
    rungs = session.execute(
        select(ContributionRequest.process_id, Reminder.rung, func.count())
        .join(Reminder, Reminder.contribution_request_id == ContributionRequest.id)
        .where(ContributionRequest.process_id.in_(processes))
        .group_by(ContributionRequest.process_id, Reminder.rung)
    )
    for process_row, rung, count in rungs:
        summary = out.setdefault(processes[process_row], ProcessSummary())
        if (processes[process_row], rung) in escalating:
            summary.escalations += count
        else:
            summary.reminders += count
    drafts = Counter(
        dict(
            session.execute(
                select(Draft.process_id, func.count(func.distinct(Draft.version)))
                .where(Draft.process_id.in_(processes))
                .group_by(Draft.process_id)
            ).all()
        )
    )
    notes = Counter(
        dict(
            session.execute(
                select(Notification.process_id, func.count())
                .where(Notification.process_id.in_(processes))
                .group_by(Notification.process_id)
            ).all()
        )
    )
    for process_row, config_id in processes.items():
        if config_id in out:
            out[config_id].drafts = drafts.get(process_row, 0)
            out[config_id].notifications = notes.get(process_row, 0)
    return out


def emails_sent(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        or 0
    )


def summary_json(summaries: dict[str, ProcessSummary], emails: int) -> dict[str, object]:
    """The shape `trustcycle simulate` writes to summary.json."""
    return {"processes": {k: asdict(v) for k, v in summaries.items()}, "emails": emails}
