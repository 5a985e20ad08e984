"""Where each process of a cycle year stands: what is due on a given day.

The cycle driver runs a process's draft-and-papers step on its cut-off day and on every
later visited day until the papers have gone (catch-up: a missed day is harmless).
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.db.models import Draft, Notification
from trustcycle.requests import process_ids
from trustcycle.timeline import ProcessDates


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

    Child Poverty Act 2010 s23(4): the strategy is reconsidered whenever the needs
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
