"""Prefect tasks after the draft: record the officer's decision, and queue the papers to
the receiving body (or the late alert to the officer). Both are idempotent in the
database, so a resumed or repeated run never doubles an audit row or an email.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.chase import _retry_on_db_errors
from tasks.drafts import database, trust_config
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.papers.assemble import record_decision
from trustcycle.papers.publish import send_or_publish


@task(name="record-signoff", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_retry_on_db_errors, cache_policy=NO_CACHE)
def record_signoff(config_dir: str, database_url: str | None, process: str, year: int,
                   version: int, decision: str, officer: str, comment: str, key: str,
                   now: datetime) -> bool:
    """Audit who approved (or asked for changes to) which version, and when."""
    cfg = trust_config(config_dir)
    with use_clock(FixedClock(now)), database(database_url).sessions.begin() as session:
        return record_decision(session, cfg, process, year, version=version, decision=decision,
                               officer=officer, comment=comment, at=now, key=key)


@task(name="queue-papers", retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=_retry_on_db_errors, cache_policy=NO_CACHE)
def queue_papers(config_dir: str, database_url: str | None, process: str, year: int,
                 version: int, now: datetime) -> dict[str, object]:
    """Queue the approved papers to the body's members and clerk (after the papers day
    with the officer's alert), or publish a published document."""
    cfg = trust_config(config_dir)
    with use_clock(FixedClock(now)), database(database_url).sessions.begin() as session:
        return asdict(send_or_publish(session, cfg, process, year, version=version, now=now))
