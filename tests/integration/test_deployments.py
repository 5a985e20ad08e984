"""Deployments: one per flow, slugged Europe/London schedules on the configured calendar."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import DeploymentResponse
from prefect.schedules import Schedule
from prefect.server.schemas.schedules import CronSchedule, RRuleSchedule

from deployments.build import DeploymentPlan, build, plan
from trustcycle.calendar.timeline import resolve_year
from trustcycle.calendar.workdays import at_local
from trustcycle.config import TrustConfig
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [ROOT / "config", ROOT / "config" / "examples" / "rutland-2010"]
PROCESS_DEPLOYMENTS = {
    "membership-review",
    "cypp-annual-review",
    "joint-needs-analysis",
    "child-poverty-strategy",
}
LONDON = "Europe/London"


def next_run(schedule: Schedule, after: dt.datetime) -> pendulum.DateTime | None:
    """The first time Prefect's own scheduler would fire `schedule` on or after `after`."""
    if schedule.cron is not None:
        server: Any = CronSchedule(cron=schedule.cron, timezone=schedule.timezone,
                                   day_or=schedule.day_or)
    else:
        assert schedule.rrule is not None
        server = RRuleSchedule(rrule=schedule.rrule, timezone=schedule.timezone)
    dates = asyncio.run(server.get_dates(n=1, start=after))
    return dates[0] if dates else None


def by_name(plans: list[DeploymentPlan]) -> dict[str, DeploymentPlan]:
    return {p.name: p for p in plans}


@pytest.fixture(params=CONFIGS, ids=lambda p: p.name)
def cfg(request: pytest.FixtureRequest) -> TrustConfig:
    return load_config(request.param)


def test_every_flow_has_a_deployment(cfg: TrustConfig) -> None:
    names = set(by_name(plan(cfg)))
    officers = {"record-return", "collect-returns", "assemble-draft"}
    assert names == {"chase-returns", "run-cycle"} | officers | PROCESS_DEPLOYMENTS


def test_every_schedule_is_slugged_in_london_time(cfg: TrustConfig) -> None:
    for p in plan(cfg):
        slugs = [s.slug for s in p.schedules]
        assert len(set(slugs)) == len(slugs), p.name
        for s in p.schedules:
            assert (s.cron or s.rrule) and s.timezone == LONDON and s.slug, (p.name, s)
            assert s.slug.startswith(p.name), (p.name, s.slug)


def test_a_process_runs_at_half_past_nine_london_time_on_each_step_day_and_only_then(
    cfg: TrustConfig,
) -> None:
    plans = by_name(plan(cfg))
    year = cfg.trust.cycle_year
    offsets: set[dt.timedelta | None] = set()
    for pid, dates in resolve_year(cfg).items():
        if dates.event is not None:
            continue  # events (the annual conference) have no flow
        name = pid.replace("_", "-")
        schedules = {s.slug: s for s in plans[name].schedules}
        receiving = "papers" if dates.papers is not None else "publish"
        for role in ("request", "cutoff", receiving):
            day = getattr(dates, role).date()
            schedule = schedules[f"{name}-{role}-{year}"]
            fired = next_run(schedule, at_local(day, 0))
            assert fired is not None and fired.in_timezone(LONDON) == at_local(day, 9, 30)
            offsets.add(fired.in_timezone(LONDON).utcoffset())
            # One run only: a yearly cron would fire on the same date next year, where
            # the working-day rules put the step elsewhere.
            assert next_run(schedule, at_local(day, 10)) is None, (pid, role)
            assert schedule.parameters == {"cycle_year": year}
    # The calendar spans both clocks: 09:30 BST is 08:30 UTC, 09:30 GMT is 09:30 UTC.
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(0)}


def test_a_process_schedule_is_named_after_its_step_and_year() -> None:
    schedules = by_name(plan(load_config(ROOT / "config")))["membership-review"].schedules
    assert [s.slug for s in schedules] == [
        "membership-review-request-2026",
        "membership-review-cutoff-2026",
        "membership-review-papers-2026",
    ]


def test_the_run_times_are_the_trusts_own(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "config", tmp_path / "c")
    trust = tmp_path / "c" / "trust.yaml"
    times = '  schedule: {chase: "08:05", cycle: "08:20", steps: "10:45"}\n'
    trust.write_text(trust.read_text().replace("trust:\n", "trust:\n" + times, 1))
    plans = by_name(plan(load_config(tmp_path / "c")))
    assert [s.cron for s in plans["chase-returns"].schedules] == ["5 8 * * 1-5"]
    assert [s.cron for s in plans["run-cycle"].schedules] == ["20 8 * * 1-5"]
    assert all("T104500" in (s.rrule or "") for s in plans["membership-review"].schedules)


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


def test_no_schedule_falls_in_the_hours_the_clocks_change(cfg: TrustConfig) -> None:
    for p in plan(cfg):
        for s in p.schedules:
            hour = s.cron.split()[1] if s.cron else re.findall(r"T(\d\d)\d{4}", s.rrule or "")[0]
            assert hour.isdigit() and int(hour) not in (1, 2), (p.name, s)


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
    # `build` registers the current cycle year (as of today: April to March) and the next.
    today = pendulum.today(LONDON)
    current = max(2026, today.year if today.month >= 4 else today.year - 1)
    years = (current, current + 1)
    assert slugs == {f"child-poverty-strategy-{r}-{y}" for r in ("request", "cutoff", "publish")
                     for y in years}
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
        assert {"type": "integer"} in props["cycle_year"]["anyOf"], name


def test_installation_settings_are_not_run_form_fields(
    registered: dict[str, DeploymentResponse],
) -> None:
    for name, d in registered.items():
        assert not {"database_url", "approval", "decisions", "inbox_dir"} & set(properties(d)), name
        assert "year" not in properties(d), name  # every form says cycle_year


def test_the_officers_forms_offer_the_configured_processes_and_partners(
    registered: dict[str, DeploymentResponse],
) -> None:
    cfg = load_config(ROOT / "config")
    processes = [pid for pid, p in cfg.processes.items() if p.returns]
    for name in ("record-return", "collect-returns", "assemble-draft"):
        assert properties(registered[name])["process_id"]["enum"] == processes, name
    assert properties(registered["record-return"])["partner_id"]["enum"] == list(cfg.partners)
    assert properties(registered["assemble-draft"])["dry_run"]["type"] == "boolean"


def test_a_return_payload_is_a_typed_form_per_kind(
    registered: dict[str, DeploymentResponse],
) -> None:
    schema = registered["record-return"].parameter_openapi_schema
    payload = schema["properties"]["payload"]
    kinds = {ref["$ref"].rsplit("/", 1)[-1] for ref in payload["anyOf"][0]["oneOf"]} \
        if "oneOf" in payload["anyOf"][0] else {
            ref.get("$ref", "").rsplit("/", 1)[-1] for ref in payload["anyOf"]}
    assert {"RepresentationReturn", "CyppReturn", "NeedsReturn", "MeasuresReturn"} <= kinds
    cypp = schema["definitions"]["CyppReturn"]["properties"]
    assert {"priorities", "notes"} <= set(cypp) and "minItems" not in cypp["priorities"]
    assert "seats" in schema["definitions"]["RepresentationReturn"]["properties"]


def test_a_process_deployment_is_fixed_to_its_process_and_follows_the_cycle_year(
    registered: dict[str, DeploymentResponse],
) -> None:
    d = registered["joint-needs-analysis"]
    assert d.parameters == {"process_id": "joint_needs_analysis",
                            "config_dir": str(ROOT / "config")}
    assert properties(d)["process_id"]["readOnly"] is True
    assert properties(d)["process_id"]["enum"] == ["joint_needs_analysis"]
    assert len({s.parameters["cycle_year"] for s in d.schedules}) == 2


def test_building_for_another_cycle_year_moves_the_steps_with_the_calendar() -> None:
    cfg = load_config(ROOT / "config")
    schedules = {s.slug: s for s in by_name(plan(cfg, years=[2026, 2027]))[
        "membership-review"].schedules}
    cutoff = resolve_year(cfg, 2027)["membership_review"].cutoff
    assert cutoff is not None
    fired = next_run(schedules["membership-review-cutoff-2027"], at_local(cutoff.date(), 0))
    assert fired is not None and fired.in_timezone(LONDON) == at_local(cutoff.date(), 9, 30)
    assert schedules["membership-review-cutoff-2026"].rrule != \
        schedules["membership-review-cutoff-2027"].rrule
    assert by_name(plan(cfg, 2027))["run-cycle"].parameters["cycle_year"] == 2027


@pytest.mark.usefixtures("mail_settings")
def test_the_running_cycle_driver_schedules_the_next_year_when_the_cycle_year_rolls_over(
    registered: dict[str, DeploymentResponse], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.client.orchestration import get_client as sync_client
    from prefect.flow_engine import run_flow

    from flows.cycle import run_cycle
    from tests.clocks import use_database, wall_clock

    use_database(monkeypatch, f"sqlite:///{tmp_path / 'tc.db'}", str(tmp_path / "inbox"))
    # As `trustcycle serve` registered them on 1 December 2026: 2026-27 and 2027-28.
    for d in build(ROOT / "config", today=dt.date(2026, 12, 1)):
        d.apply()
    with sync_client(sync_client=True) as client:
        review = client.read_deployment_by_name("membership-review/membership-review")
        cycle = client.read_deployment_by_name("run-cycle/run-cycle")
        before = {s.slug for s in client.read_deployment_schedules(review.id)}
        flow_run = client.create_flow_run_from_deployment(cycle.id)
    assert before == {f"membership-review-{r}-{y}" for r in ("request", "cutoff", "papers")
                      for y in (2026, 2027)}
    # Thursday 1 April 2027, 09:15: the 2027-28 cycle year begins; serve was never restarted.
    with wall_clock(dt.date(2027, 4, 1), 9, 15):
        state = run_flow(run_cycle, flow_run=flow_run, parameters=flow_run.parameters,
                         return_type="state")
    assert state.is_completed(), state.message
    with sync_client(sync_client=True) as client:
        after = {s.slug: s for s in client.read_deployment_schedules(review.id)}
    assert set(after) == {f"membership-review-{r}-{y}" for r in ("request", "cutoff", "papers")
                          for y in (2027, 2028)}
    assert after["membership-review-request-2028"].parameters == {"cycle_year": 2028}
    request_2028 = resolve_year(load_config(ROOT / "config"), 2028)["membership_review"].request
    assert request_2028 is not None
    assert f"DTSTART:{request_2028.format('YYYYMMDD')}T093000" in (
        after["membership-review-request-2028"].schedule.rrule)  # type: ignore[union-attr]


# --- two processes of one kind: each its own deployment, form and schedules -------------


def test_two_processes_of_one_kind_each_have_their_own_deployment_form_and_schedules(
    prefect_harness: None, tmp_path: Path,  # noqa: F811
) -> None:
    from deployments.build import to_deployment
    from tests.fixtures.report_only import REPORTS, rutland_with_reports

    cfg = load_config(rutland_with_reports(tmp_path))
    plans = [p for p in plan(cfg, years=[2010]) if p.parameters.get("process_id") in REPORTS]
    # Both are CYPP-kind report-only processes: one flow, a deployment per process id.
    assert {(p.entrypoint, p.name) for p in plans} == {
        ("flows.processes:cypp_annual_review", "safeguarding-report"),
        ("flows.processes:cypp_annual_review", "partner-statements")}
    for p in plans:
        to_deployment(p).apply()

    async def read() -> dict[str, DeploymentResponse]:
        async with get_client() as client:
            return {name: await client.read_deployment_by_name(f"cypp-annual-review/{name}")
                    for name in ("safeguarding-report", "partner-statements")}

    registered = asyncio.run(read())
    dates = resolve_year(cfg, 2010)
    for pid, name in (("safeguarding_report", "safeguarding-report"),
                      ("partner_statements", "partner-statements")):
        d = registered[name]
        assert d.parameters["process_id"] == pid
        assert properties(d)["process_id"]["readOnly"] is True
        assert properties(d)["process_id"]["enum"] == [pid]
        runs = {s.slug: s.schedule.rrule for s in d.schedules}  # type: ignore[union-attr]
        steps = {"request": dates[pid].request, "cutoff": dates[pid].cutoff,
                 "papers": dates[pid].papers}
        assert set(runs) == {f"{name}-{step}-2010" for step in steps}
        for step, at in steps.items():
            assert at is not None
            assert f"DTSTART:{at.format('YYYYMMDD')}T093000" in runs[f"{name}-{step}-2010"]
    # Their own days: the safeguarding report goes to the Executive in September, the
    # statements to the Board in November.
    assert runs["partner-statements-papers-2010"].startswith("DTSTART:20101124")
