"""Prefect tasks for returns: record or waive one, close a collection, schedule a re-check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment
from sqlalchemy import func, select

from tasks.chase import _retry_on_db_errors
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.requests import (
    RequestView,
    local_day,
    officer_report,
    process_ids,
    record_collection_closed,
    select_due,
)
from trustcycle.chasing.requests import mark_missing as mark_requests_missing
from trustcycle.chasing.returns import Recorded, record_return, waive_return
from trustcycle.chasing.rules import Owed
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, Partner, Process, ReturnVersion


@dataclass(frozen=True)
class ReceivedReturn:
    """The latest version of a received return, as the drafts step reads it."""

    partner: str
    return_id: str
    version: int
    sha256: str
    payload: dict[str, Any]


@task(name="record-return", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def record_return_version(db: Database, cfg: TrustConfig, owed: Owed, now: datetime, *,
                          actor: str, channel: str, payload: dict[str, Any] | None = None,
                          file_path: str | None = None) -> Recorded:
    """Store a new version of one return (never an overwrite) and queue its receipt."""
    with use_clock(FixedClock(now)), db.sessions.begin() as session:
        return record_return(session, cfg, owed, now=now, actor=actor, channel=channel,
                             payload=payload, file_path=Path(file_path) if file_path else None)


@task(name="waive-return", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def waive_one_return(db: Database, cfg: TrustConfig, owed: Owed, now: datetime, *,
                     reason: str, actor: str) -> RequestView:
    """Waive one return with the officer's reason."""
    with use_clock(FixedClock(now)), db.sessions.begin() as session:
        return waive_return(session, cfg, owed, reason=reason, now=now, actor=actor)


@task(name="close-collection", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE,
      retry_condition_fn=_retry_on_db_errors)
def close_collection(db: Database, cfg: TrustConfig, process: str, now: datetime,
                     today: date | None = None) -> int | None:
    """After the cut-off: mark the process's open requests missing, queue the officer's list."""
    with use_clock(FixedClock(now)), db.immediate() as session:
        selection = select_due(session, cfg, today=today or local_day(now))
        missing = [v for v in selection.missing if v.process == process]
        mark_requests_missing(session, cfg, missing, now=now, actor="collect-returns")
        record_collection_closed(session, cfg, process, now)
        has_missing = session.scalar(
            select(func.count()).select_from(ContributionRequest)
            .where(ContributionRequest.process_id == process_ids(session, cfg)[process],
                   ContributionRequest.status == "missing"))
        if not has_missing:
            return None
        # Idempotent: the chase may already have queued the same report (same key).
        return officer_report(session, cfg, process, process_ids(session, cfg)[process], now=now)


@task(name="read-received", cache_policy=NO_CACHE)
def read_received(db: Database, cfg: TrustConfig, process: str) -> list[ReceivedReturn]:
    """The latest version of each return received for the process."""
    with db.sessions() as session:
        latest = (
            select(ReturnVersion.contribution_request_id.label("rid"),
                   func.max(ReturnVersion.version).label("v"))
            .group_by(ReturnVersion.contribution_request_id).subquery()
        )
        rows = session.execute(
            select(Partner.config_id, ContributionRequest.return_id, ReturnVersion.version,
                   ReturnVersion.sha256, ReturnVersion.payload)
            .join(ContributionRequest, ReturnVersion.contribution_request_id
                  == ContributionRequest.id)
            .join(latest, (latest.c.rid == ReturnVersion.contribution_request_id)
                  & (latest.c.v == ReturnVersion.version))
            .join(Partner, ContributionRequest.partner_id == Partner.id)
            .join(Process, ContributionRequest.process_id == Process.id)
            .where(Process.id == process_ids(session, cfg)[process],
                   ContributionRequest.status == "received")
            .order_by(Partner.config_id, ContributionRequest.return_id)
        )
        return [ReceivedReturn(*row) for row in rows]


@task(name="schedule-recheck", retries=3, retry_delay_seconds=[2, 5, 15], cache_policy=NO_CACHE)
def schedule_recheck(deployment: str, when: datetime, parameters: dict[str, Any]) -> str:
    """Schedule the next re-check as a new flow run (timeout=0: nothing waits for it)."""
    # Not a flow retry: Prefect 3 retries wait inside the running process, which must not
    # be held open for days (issue 3).
    run = run_deployment(name=deployment, parameters=parameters, scheduled_time=when,
                         timeout=0, as_subflow=False)
    return str(run.id)  # type: ignore[union-attr]
