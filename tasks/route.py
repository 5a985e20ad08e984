"""Tasks of a report's route: the forward plan before a key decision, and the papers of each
meeting after the first, each on its own day."""

from __future__ import annotations

from datetime import date, datetime

import pendulum
from prefect import task
from prefect.cache_policies import NO_CACHE

from trustcycle.calendar.timeline import resolve_year
from trustcycle.config import TrustConfig
from trustcycle.db import Database
from trustcycle.papers.route import RouteSent, send_route_steps


@task(name="route-steps", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def queue_route_steps(db: Database, cfg: TrustConfig, today: date, now: datetime) -> RouteSent:
    """Queue the forward-plan notices and later meetings' papers due by `today` (once each)."""
    year = cfg.trust.cycle_year
    day = pendulum.date(today.year, today.month, today.day)
    with db.session_factory.begin() as session:
        return send_route_steps(session, cfg, year, resolve_year(cfg, year), today=day, now=now)
