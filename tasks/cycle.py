"""Tasks of the cycle driver."""

from __future__ import annotations

from datetime import date

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE

from trustcycle.calendar.timeline import resolve_year
from trustcycle.chasing.progress import papers_due, progress
from trustcycle.config import TrustConfig
from trustcycle.db import Database


@task(name="processes-due", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def processes_due(db: Database, cfg: TrustConfig, today: date) -> list[str]:
    """The processes whose draft-and-papers step is due on `today`."""
    year = cfg.trust.cycle_year
    with db.session_factory() as session:
        done = progress(session, cfg, year)
    day = pendulum.date(today.year, today.month, today.day)
    return papers_due(cfg, resolve_year(cfg, year), done, day)
