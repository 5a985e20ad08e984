"""Every trustcycle flow as a Prefect deployment, its schedules taken from the calendar.

`plan()` is pure: configuration in, `DeploymentPlan`s out (names, slugged `Cron`
schedules in Europe/London, default parameters). `build()` imports the flows lazily and
turns each plan into a `RunnerDeployment` for `serve()`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pendulum
from prefect.schedules import Cron, Schedule

from trustcycle import TIMEZONE
from trustcycle.config import TrustConfig, load_config
from trustcycle.config.schema import ProcessKind
from trustcycle.timeline import ProcessDates, resolve_year

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

# Weekdays only; the flows themselves skip England bank holidays. Times avoid 01:00-02:00
# local, which the clocks skip (March) or repeat (October) at the DST change.
CHASE_CRON = "0 9 * * 1-5"
CYCLE_CRON = "15 9 * * 1-5"
# A process's own steps run after the 09:00 chase and the 09:15 cycle driver.
STEP_HOUR, STEP_MINUTE = 9, 30
STEP_ROLES: tuple[str, ...] = ("request", "cutoff", "papers", "publish")


@dataclass(frozen=True)
class DeploymentPlan:
    """One deployment to build: which flow, its name, schedules and default parameters."""

    entrypoint: str  # "module:attribute"
    name: str
    schedules: tuple[Schedule, ...]
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    description: str


def slug(name: str) -> str:
    """A process id or step name as a URL-safe slug: `membership_review` -> `membership-review`."""
    return name.replace("_", "-").lower()


def step_days(dates: ProcessDates) -> dict[str, pendulum.Date]:
    """The days a process's own flow must run: request, cut-off, papers or publication."""
    days: dict[str, pendulum.Date] = {}
    for role in STEP_ROLES:
        at = getattr(dates, role)
        if at is not None and at.date() not in days.values():
            days[role] = at.date()
    return days


def step_schedules(process_id: str, dates: ProcessDates) -> tuple[Schedule, ...]:
    """One yearly `Cron` per step day at 09:30 London time, slugged `<process>-<step>`."""
    # Trap: `30 9 D M *` recurs every year on the same day, but working-day rules move the
    # steps from year to year; `trustcycle serve` rebuilds them from the calendar on start.
    return tuple(
        Cron(
            f"{STEP_MINUTE} {STEP_HOUR} {day.day} {day.month} *",
            timezone=TIMEZONE,
            slug=f"{slug(process_id)}-{role}",
        )
        for role, day in step_days(dates).items()
    )


def plan(
    cfg: TrustConfig, year: int | None = None, config_dir: str = "config"
) -> list[DeploymentPlan]:
    """The deployments for a trust's cycle year: chase, cycle driver, officers' flows, processes.

    Each deployment is named after its flow, so `run_deployment("assemble-draft/assemble-draft")`
    and the flows' own re-check (`collect-returns/collect-returns`) find it.
    """
    year = cfg.trust.cycle_year if year is None else year
    common = {"config_dir": config_dir, "cycle_year": year}
    tags = ("trustcycle", cfg.trust.id)
    plans = [
        DeploymentPlan(
            entrypoint="flows.chase_returns:chase_returns",
            name="chase-returns",
            schedules=(Cron(CHASE_CRON, timezone=TIMEZONE, slug="chase-returns-weekdays"),),
            parameters=common,
            tags=(*tags, "chase"),
            description="Daily chase: requests, reminders, overdue notices and escalations "
            "due today. Skips weekends and bank holidays.",
        ),
        DeploymentPlan(
            entrypoint="flows.cycle:run_cycle",
            name="run-cycle",
            schedules=(Cron(CYCLE_CRON, timezone=TIMEZONE, slug="run-cycle-weekdays"),),
            parameters=common,
            tags=(*tags, "cycle"),
            description="Cycle driver: every process's steps now due, caught up to as_of.",
        ),
        DeploymentPlan(
            entrypoint="flows.record_return:record_return",
            name="record-return",
            schedules=(),
            parameters=common,
            tags=(*tags, "officer"),
            description="Record a partner's return (or a waiver) on their behalf.",
        ),
        DeploymentPlan(
            entrypoint="flows.collect_returns:collect_returns",
            name="collect-returns",
            schedules=(),
            parameters=common,
            tags=(*tags, "process"),
            description="Gather a process's returns; re-check next working day while any "
            "are missing (it schedules itself through this deployment).",
        ),
        DeploymentPlan(
            entrypoint="flows.assemble_draft:assemble_draft",
            name="assemble-draft",
            schedules=(),
            parameters={"config_dir": config_dir, "year": year},
            tags=(*tags, "officer"),
            description="Assemble a process's draft, ask the contact officer to sign it off "
            "(a form on the suspended run), and send the papers.",
        ),
    ]
    for pid, dates in resolve_year(cfg, year).items():
        proc = cfg.processes[pid]
        if proc.kind is ProcessKind.event:
            continue  # an event (the annual conference) has no returns and no flow
        plans.append(
            DeploymentPlan(
                entrypoint=f"flows.processes:{proc.kind.value}",
                name=slug(pid),
                schedules=step_schedules(pid, dates),
                parameters={"process_id": pid, **common},
                tags=(*tags, "process", proc.kind.value),
                description=f"{proc.title}. Legal basis: {proc.legal_basis}.",
            )
        )
    return plans


def load_flow(entrypoint: str) -> Flow[..., Any]:
    """Import `module:attribute`; the flows are imported only when deployments are built."""
    module_name, _, attribute = entrypoint.partition(":")
    module = import_module(module_name)
    if hasattr(module, attribute):
        return getattr(module, attribute)
    # The officers' flows may be named differently: take the module's only flow.
    from prefect import Flow

    found = [v for v in vars(module).values() if isinstance(v, Flow)]
    if len(found) != 1:
        raise LookupError(f"{entrypoint}: no flow {attribute!r} and {len(found)} flows in module")
    return found[0]


def accepted(flow: Flow[..., Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Only the defaults the flow takes: Prefect rejects unknown deployment parameters."""
    names = inspect.signature(flow.fn).parameters
    return {k: v for k, v in parameters.items() if k in names}


def to_deployment(p: DeploymentPlan) -> RunnerDeployment:
    """A plan as a `RunnerDeployment` (entrypoint by module path, so any cwd can run it)."""
    from prefect.deployments.runner import EntrypointType

    flow = load_flow(p.entrypoint)
    return flow.to_deployment(
        name=p.name,
        schedules=list(p.schedules),
        parameters=accepted(flow, p.parameters),
        tags=list(p.tags),
        description=p.description,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def build(config_dir: Path | str = "config", year: int | None = None) -> list[RunnerDeployment]:
    """Load and validate the configuration, then build every deployment."""
    directory = Path(config_dir).resolve()
    cfg = load_config(directory)
    return [to_deployment(p) for p in plan(cfg, year, config_dir=str(directory))]


def apply_to_work_pool(
    config_dir: Path | str, pool: str, working_dir: Path | str, year: int | None = None
) -> list[UUID]:
    """Register every deployment on a process work pool, for `prefect worker start` elsewhere."""
    ids = []
    for deployment in build(config_dir, year):
        # A process worker runs each flow in a temporary directory unless told otherwise;
        # trustcycle's relative paths (var/, the inbox) need the project directory.
        deployment.job_variables = {"working_dir": str(working_dir)}
        ids.append(deployment.apply(work_pool_name=pool))
    return ids
