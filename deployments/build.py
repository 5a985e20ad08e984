"""Every trustcycle flow as a Prefect deployment, its schedules taken from the calendar.

`plan()` is pure: configuration in, `DeploymentPlan`s out (names, slugged `Cron`
schedules in Europe/London, default parameters). `build()` imports the flows lazily and
turns each plan into a `RunnerDeployment` for `serve()`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pendulum
from prefect.schedules import Cron, RRule, Schedule

from trustcycle import TIMEZONE
from trustcycle.calendar import clock
from trustcycle.calendar.timeline import ProcessDates, resolve_year
from trustcycle.config import ConfigError, TrustConfig
from trustcycle.config.schema import ProcessKind
from trustcycle.config.years import cycle_year_of, for_year
from trustcycle.trust import load_config

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

# Weekdays only; the flows themselves skip England bank holidays. Times come from the
# trust's `schedule` (09:00 / 09:15 / 09:30 by default), which refuses 01:00-02:59 local,
# the hours the clocks skip (March) or repeat (October) at the DST change.
STEP_ROLES: tuple[str, ...] = ("request", "cutoff", "papers", "publish")
# The officers' flows that take any configured process (a drop-down on the run form).
CHOOSE_PROCESS = ("record-return", "collect-returns", "assemble-draft")


@dataclass(frozen=True)
class DeploymentPlan:
    """One deployment to build: which flow, its name, schedules and default parameters."""

    entrypoint: str  # "module:attribute"
    name: str
    schedules: tuple[Schedule, ...]
    parameters: dict[str, Any]
    tags: tuple[str, ...]
    description: str
    choices: dict[str, list[str]] = field(default_factory=dict)  # parameter -> allowed
    frozen: tuple[str, ...] = ()  # parameters fixed for this deployment (read-only)


def slug(name: str) -> str:
    """A process id or step name as a URL-safe slug: `membership_review` -> `membership-review`."""
    return name.replace("_", "-").lower()


def _hm(text: str) -> tuple[int, int]:
    hour, minute = (int(x) for x in text.split(":"))
    return hour, minute


def daily_cron(at: str, slug_: str, days: str = "weekdays") -> Schedule:
    """Weekdays (or every day) at `at` (HH:MM), London time."""
    hour, minute = _hm(at)
    dow = "1-5" if days == "weekdays" else "*"
    return Cron(f"{minute} {hour} * * {dow}", timezone=TIMEZONE, slug=slug_)


def step_days(dates: ProcessDates) -> dict[str, pendulum.Date]:
    """The days a process's own flow must run: request, cut-off, papers or publication."""
    days: dict[str, pendulum.Date] = {}
    for role in STEP_ROLES:
        at = getattr(dates, role)
        if at is not None and at.date() not in days.values():
            days[role] = at.date()
    return days


def step_schedules(process_id: str, dates: ProcessDates, year: int,
                   at: str = "09:30") -> tuple[Schedule, ...]:
    """One run per step day of cycle year `year` at `at` London time, each slugged
    `<process>-<step>-<year>` and passing `cycle_year` to its run.

    One-shot RRULEs (COUNT=1), not yearly crons: working-day rules move the steps from year
    to year, so each year's days are registered on their own (`register_years`)."""
    hour, minute = _hm(at)
    return tuple(
        RRule(
            f"DTSTART:{day.format('YYYYMMDD')}T{hour:02d}{minute:02d}00\n"
            "RRULE:FREQ=DAILY;COUNT=1",
            timezone=TIMEZONE,
            slug=f"{slug(process_id)}-{role}-{year}",
            parameters={"cycle_year": year},
        )
        for role, day in step_days(dates).items()
    )


def schedule_years(cfg: TrustConfig, today: date) -> list[int]:
    """The cycle years whose steps are registered: the current one and the next."""
    current = cycle_year_of(cfg, today)
    return [current, current + 1]


def year_dates(cfg: TrustConfig, years: list[int]) -> tuple[dict[int, dict[str, ProcessDates]],
                                                            list[str]]:
    """Each year's resolved calendar; a year the calendar cannot place yet (no meetings
    configured that far ahead) is left out with the reason."""
    resolved, problems = {}, []
    for year in years:
        try:
            resolved[year] = resolve_year(for_year(cfg, year), year)
        except ConfigError as exc:
            problems.append(f"cycle year {year} not scheduled: {exc}")
    return resolved, problems


def deployment_name(flow_name: str, trust_id: str | None, process: str | None = None) -> str:
    """A deployment's name under its flow: the flow's own name (or the process's slug)
    when one trust is served alone (`trustcycle serve`); the trust's id (`<trust>.<process>`
    for a process's own deployment) when many trusts share a server (`trustcycle deploy`),
    so `chase-returns/northdale` and `chase-returns/southdale` sit side by side."""
    if trust_id is None:
        return slug(process) if process else flow_name
    return f"{trust_id}.{slug(process)}" if process else trust_id


def sibling_deployment(flow_name: str, trust_id: str, current: str | None,
                       process: str | None = None) -> str:
    """`flow/deployment` of another deployment of the same trust, named as the running one
    was: per trust when `current` (the running run's deployment name, None outside one) is
    one of the trust's own (`trustcycle deploy`), else as `trustcycle serve` names it."""
    own = bool(current) and (current == trust_id or str(current).startswith(f"{trust_id}."))
    return f"{flow_name}/{deployment_name(flow_name, trust_id if own else None, process)}"


def plan(
    cfg: TrustConfig, year: int | None = None, config_dir: str = "config",
    years: list[int] | None = None, per_trust: bool = False,
) -> list[DeploymentPlan]:
    """The deployments for a trust: chase, cycle driver, officers' flows, processes.

    `years` are the cycle years whose step days are scheduled (default: `year`, else the
    configured one). Each deployment is named by `deployment_name`, so
    `run_deployment("assemble-draft/assemble-draft")` (or `assemble-draft/<trust>` with
    `per_trust`) and the flows' own re-check (their own deployment) find it. With
    `per_trust` the trust's `config_dir` is fixed on the run form: one trust's deployment
    cannot be pointed at another trust's configuration.
    """
    years = years or [cfg.trust.cycle_year if year is None else year]
    common: dict[str, Any] = {"config_dir": config_dir}
    if year is not None:
        common["cycle_year"] = year
    tags = ("trustcycle", cfg.trust.id)
    trust_id = cfg.trust.id if per_trust else None
    fixed: tuple[str, ...] = ("config_dir",) if per_trust else ()
    times = cfg.trust.schedule
    with_returns = [pid for pid, p in cfg.processes.items()
                    if p.kind is not ProcessKind.event and p.returns]
    plans = [
        DeploymentPlan(
            entrypoint="flows.chase_returns:chase_returns",
            name=deployment_name("chase-returns", trust_id),
            schedules=(daily_cron(times.chase, "chase-returns-daily", times.days),),
            parameters=common,
            tags=(*tags, "chase"),
            description="Daily chase: requests, reminders, overdue notices and escalations "
            "due today. Skips weekends and bank holidays.",
        ),
        DeploymentPlan(
            entrypoint="flows.cycle:run_cycle",
            name=deployment_name("run-cycle", trust_id),
            schedules=(daily_cron(times.cycle, "run-cycle-daily", times.days),),
            parameters=common,
            tags=(*tags, "cycle"),
            description="Cycle driver: every process's steps now due (sign-off, papers, "
            "catch-up of missed steps), and reminders of drafts awaiting sign-off.",
        ),
        DeploymentPlan(
            entrypoint="flows.record_return:record_return",
            name=deployment_name("record-return", trust_id),
            schedules=(),
            parameters=common,
            tags=(*tags, "officer"),
            description="Record a partner's return (a typed payload or a file) or waive it.",
            choices={"process_id": with_returns, "partner_id": list(cfg.partners)},
        ),
        DeploymentPlan(
            entrypoint="flows.collect_returns:collect_returns",
            name=deployment_name("collect-returns", trust_id),
            schedules=(),
            parameters=common,
            tags=(*tags, "process"),
            description="Gather a process's returns; re-check next working day while any "
            "are missing (it schedules itself through this deployment).",
            choices={"process_id": with_returns},
        ),
        DeploymentPlan(
            entrypoint="flows.assemble_draft:assemble_draft",
            name=deployment_name("assemble-draft", trust_id),
            schedules=(),
            parameters=common,
            tags=(*tags, "officer"),
            description="Assemble a process's draft, ask the contact officer to sign it off "
            "(a form on the suspended run), and send the papers.",
            choices={"process_id": with_returns},
        ),
    ]
    resolved, _ = year_dates(cfg, years)
    for pid, proc in cfg.processes.items():
        if proc.kind is ProcessKind.event:
            continue  # an event (the annual conference) has no returns and no flow
        schedules = tuple(
            s for y, dates in resolved.items() if pid in dates
            for s in step_schedules(pid, dates[pid], y, times.steps))
        plans.append(
            DeploymentPlan(
                entrypoint=f"flows.processes:{proc.kind.value}",
                name=deployment_name(slug(proc.kind.value), trust_id, pid),
                schedules=schedules,
                parameters={"process_id": pid, **common},
                tags=(*tags, "process", proc.kind.value),
                description=f"{proc.title}. Legal basis: {proc.legal_basis}.",
                frozen=("process_id",),
            )
        )
    return [replace(p, frozen=(*p.frozen, *fixed)) for p in plans]


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
    from prefect.utilities.annotations import freeze

    flow = load_flow(p.entrypoint)
    parameters = accepted(flow, p.parameters)
    for name in p.frozen:
        if name in parameters:
            parameters[name] = freeze(parameters[name])  # shown read-only on the form
    deployment = flow.to_deployment(
        name=p.name,
        schedules=list(p.schedules),
        parameters=parameters,
        tags=list(p.tags),
        description=p.description,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    properties = deployment._parameter_openapi_schema.properties
    for name, allowed in p.choices.items():
        # A drop-down of the configured ids on the run form, enforced by the server.
        if name in properties and allowed:
            properties[name]["enum"] = list(allowed)
    return deployment


def build(config_dir: Path | str = "config", year: int | None = None,
          today: date | None = None) -> list[RunnerDeployment]:
    """Load and validate the configuration, then build every deployment, with the step
    days of the current cycle year (as of `today`) and the next one scheduled."""
    directory = Path(config_dir).resolve()
    cfg = load_config(directory)
    years = [year] if year is not None else schedule_years(cfg, today or clock.today())
    return [to_deployment(p) for p in plan(cfg, year, config_dir=str(directory), years=years)]


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
