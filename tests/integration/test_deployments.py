"""Deployments: one per flow, slugged Europe/London schedules on the configured calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import DeploymentResponse
from prefect.schedules import Schedule
from prefect.server.schemas.schedules import CronSchedule

from deployments.build import DeploymentPlan, build, plan
from trustcycle.config import TrustConfig, load_config
from trustcycle.timeline import resolve_year
from trustcycle.workdays import at_local

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [ROOT / "config", ROOT / "config" / "examples" / "rutland-2010"]
PROCESS_DEPLOYMENTS = {
    "membership-review",
    "cypp-annual-review",
    "joint-needs-analysis",
    "child-poverty-strategy",
}
LONDON = "Europe/London"


def next_run(schedule: Schedule, after: dt.datetime) -> pendulum.DateTime:
    """The first time Prefect's own scheduler would fire `schedule` on or after `after`."""
    assert schedule.cron is not None
    cron = CronSchedule(cron=schedule.cron, timezone=schedule.timezone, day_or=schedule.day_or)
    return asyncio.run(cron.get_dates(n=1, start=after))[0]


def by_name(plans: list[DeploymentPlan]) -> dict[str, DeploymentPlan]:
    return {p.name: p for p in plans}


@pytest.fixture(params=CONFIGS, ids=lambda p: p.name)
def cfg(request: pytest.FixtureRequest) -> TrustConfig:
    return load_config(request.param)


def test_every_flow_has_a_deployment(cfg: TrustConfig) -> None:
    names = set(by_name(plan(cfg)))
    officers = {"record-return", "collect-returns", "assemble-draft"}
    assert names == {"chase-returns", "run-cycle"} | officers | PROCESS_DEPLOYMENTS


def test_every_schedule_is_a_slugged_cron_in_london_time(cfg: TrustConfig) -> None:
    for p in plan(cfg):
        slugs = [s.slug for s in p.schedules]
        assert len(set(slugs)) == len(slugs), p.name
        for s in p.schedules:
            assert s.cron and s.timezone == LONDON and s.slug, (p.name, s)
            assert s.slug.startswith(p.name), (p.name, s.slug)


def test_a_process_runs_at_half_past_nine_london_time_on_each_configured_step_day(
    cfg: TrustConfig,
) -> None:
    plans = by_name(plan(cfg))
    offsets: set[dt.timedelta | None] = set()
    for pid, dates in resolve_year(cfg).items():
        if dates.event is not None:
            continue  # events (the annual conference) have no flow
        schedules = {s.slug: s for s in plans[pid.replace("_", "-")].schedules}
        receiving = "papers" if dates.papers is not None else "publish"
        for role in ("request", "cutoff", receiving):
            day = getattr(dates, role).date()
            fired = next_run(schedules[f"{pid.replace('_', '-')}-{role}"], at_local(day, 0))
            assert fired.in_timezone(LONDON) == at_local(day, 9, 30), (pid, role)
            offsets.add(fired.in_timezone(LONDON).utcoffset())
    # The calendar spans both clocks: 09:30 BST is 08:30 UTC, 09:30 GMT is 09:30 UTC.
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(0)}


def test_a_process_schedule_is_named_after_its_step() -> None:
    schedules = by_name(plan(load_config(ROOT / "config")))["membership-review"].schedules
    assert [s.slug for s in schedules] == [
        "membership-review-request",
        "membership-review-cutoff",
        "membership-review-papers",
    ]


@pytest.mark.parametrize(
    ("saturday", "utc_hour"),
    [
        (pendulum.date(2026, 7, 4), 8),  # BST
        (pendulum.date(2027, 1, 9), 9),  # GMT
        (pendulum.date(2027, 3, 27), 8),  # the clocks go forward on Sunday 28 March
    ],
)
def test_the_chase_and_the_cycle_driver_skip_the_weekend_and_run_on_monday_morning(
    saturday: pendulum.Date, utc_hour: int
) -> None:
    plans = by_name(plan(load_config(ROOT / "config")))
    monday = saturday.add(days=2)
    for name, minute in (("chase-returns", 0), ("run-cycle", 15)):
        (schedule,) = plans[name].schedules
        fired = next_run(schedule, at_local(saturday, 0))
        assert fired.in_timezone(LONDON) == at_local(monday, 9, minute), name
        assert fired.in_timezone("UTC").hour == utc_hour, name


def test_no_schedule_falls_in_the_hour_the_clocks_change(cfg: TrustConfig) -> None:
    for p in plan(cfg):
        for s in p.schedules:
            assert s.cron is not None
            hour = s.cron.split()[1]
            assert hour.isdigit() and int(hour) not in (1, 2), (p.name, s.cron)


# --- registered on a real Prefect server: what the UI renders as the run form ----------


@pytest.fixture(scope="module")
def registered(prefect_harness: None) -> dict[str, DeploymentResponse]:  # noqa: F811
    """Every deployment applied to the session's throwaway Prefect server and read back."""

    async def read(names: list[str]) -> dict[str, DeploymentResponse]:
        async with get_client() as client:
            found = {}
            for full in names:
                d = await client.read_deployment_by_name(full)
                found[d.name] = d
            return found

    deployments = build(ROOT / "config")
    for d in deployments:
        d.apply()
    return asyncio.run(read([f"{d.flow_name}/{d.name}" for d in deployments]))


def properties(d: DeploymentResponse) -> dict[str, Any]:
    return dict(d.parameter_openapi_schema["properties"])


def test_every_deployment_is_registered_with_its_schedules_and_slugs(
    registered: dict[str, DeploymentResponse],
) -> None:
    assert PROCESS_DEPLOYMENTS | {"chase-returns", "run-cycle"} <= set(registered)
    slugs = {s.slug for s in registered["child-poverty-strategy"].schedules}
    assert slugs == {f"child-poverty-strategy-{r}" for r in ("request", "cutoff", "publish")}
    for d in registered.values():
        for s in d.schedules:
            assert s.active and s.schedule.timezone == LONDON  # type: ignore[union-attr]


def test_the_run_form_has_a_date_picker_for_as_of_and_a_checkbox_for_dry_run(
    registered: dict[str, DeploymentResponse],
) -> None:
    for name in ("chase-returns", "run-cycle", *PROCESS_DEPLOYMENTS):
        props = properties(registered[name])
        assert {"format": "date", "type": "string"} in props["as_of"]["anyOf"], name
        assert props["dry_run"]["type"] == "boolean" and props["dry_run"]["default"] is False
        assert props["config_dir"]["type"] == "string", name


def test_a_process_deployment_defaults_to_its_process_the_trust_config_and_cycle_year(
    registered: dict[str, DeploymentResponse],
) -> None:
    d = registered["joint-needs-analysis"]
    assert d.parameters == {
        "process_id": "joint_needs_analysis",
        "config_dir": str(ROOT / "config"),
        "cycle_year": 2026,
    }
    cycle_year = properties(d)["cycle_year"]
    assert {"type": "integer"} in cycle_year["anyOf"]


def test_building_for_another_cycle_year_moves_the_steps_with_the_calendar() -> None:
    cfg = load_config(ROOT / "config")
    crons = {
        year: {s.slug: s.cron for s in by_name(plan(cfg, year))["membership-review"].schedules}
        for year in (2026, 2027)
    }
    cutoff = resolve_year(cfg, 2027)["membership_review"].cutoff
    assert cutoff is not None
    assert crons[2027]["membership-review-cutoff"] == f"30 9 {cutoff.day} {cutoff.month} *"
    assert crons[2027] != crons[2026]
    assert by_name(plan(cfg, 2027))["run-cycle"].parameters["cycle_year"] == 2027
