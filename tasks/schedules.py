"""Keep each process deployment's step schedules a year ahead, from inside the service.

`trustcycle serve` registers the step days of the current cycle year and the next. When the
cycle year rolls over (1 April), the cycle driver's daily run adds the year after and drops
the years that have ended, so a service left running never needs a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from prefect import runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.schedules import RRuleSchedule
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Schedule

from tasks.chase import read_config
from trustcycle.config.schema import ProcessKind


@dataclass
class ScheduleChanges:
    """What one pass added and removed, by schedule slug; and what it could not place."""

    years: list[int] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _year_of(slug: str | None) -> int | None:
    tail = (slug or "").rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) == 4 else None


@task(name="register-step-schedules", retries=2, retry_delay_seconds=[2, 10],
      cache_policy=NO_CACHE)
def register_step_schedules(config_dir: str, today: date) -> ScheduleChanges:
    """Make every served process deployment's step schedules cover the current cycle year
    (as of `today`) and the next; remove those of years already over."""
    from deployments.build import (
        schedule_years,
        sibling_deployment,
        slug,
        step_schedules,
        year_dates,
    )

    cfg = read_config(config_dir)
    changes = ScheduleChanges(years=schedule_years(cfg, today))
    resolved, changes.problems = year_dates(cfg, changes.years)
    with get_client(sync_client=True) as client:
        for pid, proc in cfg.processes.items():
            if proc.kind is ProcessKind.event:
                continue
            # `<kind-flow>/<trust>.<process>` when deployed per trust (`trustcycle deploy`).
            name = sibling_deployment(slug(proc.kind.value), cfg.trust.id,
                                      runtime.deployment.name, pid)
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue  # not served here (a one-off run, a test)
            have = {s.slug: s for s in client.read_deployment_schedules(deployment.id)}
            wanted = [s for year, dates in resolved.items() if pid in dates
                      for s in step_schedules(pid, dates[pid], year, cfg.trust.schedule.steps)]
            new = [s for s in wanted if s.slug not in have]
            if new:
                client.create_deployment_schedules(deployment.id, [
                    DeploymentScheduleCreate(
                        schedule=_server_schedule(s), active=True, slug=s.slug,
                        parameters=s.parameters)
                    for s in new])
                changes.added += [str(s.slug) for s in new]
            for old_slug, old in have.items():
                year = _year_of(old_slug)
                if year is not None and year < changes.years[0]:
                    client.delete_deployment_schedule(deployment.id, old.id)
                    changes.removed.append(str(old_slug))
    return changes


def _server_schedule(s: Schedule) -> RRuleSchedule:
    """A step's one-shot `prefect.schedules.Schedule` as the API's RRULE schedule object."""
    assert s.rrule is not None
    return RRuleSchedule(rrule=s.rrule, timezone=s.timezone)
