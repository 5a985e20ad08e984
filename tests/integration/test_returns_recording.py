"""Recording returns: new versions with their sha256, clear errors that store nothing, and
the collection step's named states (awaiting with a scheduled re-check; gaps after cut-off)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.flow_engine import run_flow
from prefect.states import State
from sqlalchemy import func, select

from flows.chase_returns import chase_returns
from flows.collect_returns import collect_returns
from flows.record_return import record_return
from tests.clocks import wall_clock
from tests.integration.test_chase_fixtures import OFFICER, write_config
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.chasing.return_shapes import (
    CyppReturn,
    Person,
    PriorityProgress,
    RepresentationReturn,
)
from trustcycle.cli import main as cli
from trustcycle.db import Database
from trustcycle.db.apply import apply_config
from trustcycle.db.models import AuditLog, ContributionRequest, ReturnVersion
from trustcycle.trust import load_config

# Fixtures of the shared plugins, made visible to this module's tests.


def _counts(url: str) -> tuple[int, int, int]:
    db = Database.from_url(url)
    with db.sessions() as s:
        out = (s.scalar(select(func.count()).select_from(ReturnVersion)) or 0,
               s.scalar(select(func.count()).select_from(ContributionRequest)) or 0,
               s.scalar(select(func.count()).select_from(AuditLog)
                        .where(AuditLog.action.like("return.%"))) or 0)
    db.dispose()
    return out


@pytest.fixture
def trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    config = str(write_config(tmp_path / "config"))
    url = f"sqlite:///{tmp_path / 'tc.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    db = Database.from_url(url)
    with use_clock(FixedClock.on(date(2026, 4, 28))), db.sessions.begin() as session:
        apply_config(session, load_config(config), actor="test")
    db.dispose()
    return config, url


def test_a_return_for_an_unknown_partner_or_process_is_refused_and_nothing_is_stored(
    trust: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    config, url = trust
    for who in (["--process", "membership_review", "--partner", "zulu"],
                ["--process", "no_such_process", "--partner", "alpha"],
                ["--process", "membership_review", "--partner", "alpha", "--return", "nope"]):
        code = cli(["--config", config, "returns", "record", *who, "--json", "{}"])
        assert code == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("trustcycle: ") and "\n" not in err
    assert _counts(url) == (0, 0, 0)


def test_every_return_is_a_new_version_with_its_sha256(
    trust: tuple[str, str], tmp_path: Path
) -> None:
    config, url = trust
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"representative": "A"}))
    with use_clock(FixedClock.on(date(2026, 4, 29))):
        assert cli(["--config", config, "returns", "record", "--process", "membership_review",
                    "--partner", "alpha", "--file", str(first)]) == 0
        assert cli(["--config", config, "returns", "record", "--process", "membership_review",
                    "--partner", "alpha", "--json", '{"representative": "B"}']) == 0
        assert cli(["--config", config, "returns", "waive", "--process", "membership_review",
                    "--partner", "bravo", "--reason", "Post vacant until June"]) == 0
    db = Database.from_url(url)
    with db.sessions() as s:
        versions = list(s.scalars(select(ReturnVersion).order_by(ReturnVersion.version)))
        assert [v.version for v in versions] == [1, 2]
        assert versions[0].sha256 == hashlib.sha256(first.read_bytes()).hexdigest()
        assert versions[1].payload == {"representative": "B"}
        statuses = sorted(s.execute(select(ContributionRequest.status,
                                           ContributionRequest.waived_reason)).tuples())
    assert statuses == [("received", None), ("waived", "Post vacant until June")]
    assert _counts(url)[2] == 3


def _run_from_deployment(deployment_id: UUID, parameters: dict[str, object]) -> State:
    """A run of the deployment, executed here as the runner would execute it."""
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment_id, parameters=parameters)
    return run_flow(collect_returns, flow_run=flow_run, parameters=flow_run.parameters,
                    return_type="state")


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_collection_awaits_with_a_scheduled_recheck_then_proceeds_with_the_gaps_marked(
    trust: tuple[str, str], smtp_server: SmtpTestServer
) -> None:
    config, url = trust
    deployment_id = collect_returns.to_deployment(name="recheck").apply()
    with wall_clock(date(2026, 4, 27)):
        chase_returns(config_dir=config)
    with wall_clock(date(2026, 5, 7), 8):
        assert cli(["--config", config, "returns", "record", "--process", "membership_review",
                    "--partner", "alpha", "--json", "{}"]) == 0
    # Friday 8 May: missing returns, before the cut-off: the run ends and asks to be woken.
    with wall_clock(date(2026, 5, 8)):
        state = _run_from_deployment(deployment_id, {"process_id": "membership_review",
                                                     "config_dir": config})
    assert state.name == "AwaitingReturns" and "Bravo Services" in (state.message or "")
    result = state.result()
    assert result.status == "awaiting" and len(result.outstanding) == 4
    assert result.recheck_at.isoformat() == "2026-05-11T09:00:00+01:00"  # Monday 09:00 BST

    async def scheduled() -> tuple[str | None, str, dict[str, object]]:
        async with get_client() as client:
            run = await client.read_flow_run(UUID(result.recheck_flow_run_id))
            assert run.expected_start_time is not None
            return run.state_name, run.expected_start_time.isoformat(), run.parameters

    name, at, params = asyncio.run(scheduled())
    assert (name, at) == ("Scheduled", "2026-05-11T08:00:00+00:00")
    assert params == {"process_id": "membership_review", "config_dir": config,
                      "cycle_year": 2026}
    # After the cut-off (Wednesday 20 May): proceed, gaps marked, the officer told once.
    for _ in range(2):
        with wall_clock(date(2026, 5, 20)):
            state = collect_returns(process_id="membership_review", config_dir=config,
                                    return_state=True)
    assert state.name == "ProceedingWithGaps"
    result = state.result()
    assert [p for p, _ in result.missing] == ["bravo", "charlie", "delta", "echo"]
    assert [r.partner for r in result.received] == ["alpha"]
    reports = smtp_server.to(OFFICER)
    assert len(reports) == 1 and "Bravo Services" in reports[0].body("plain")


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_an_empty_record_return_form_fails_with_one_clear_reason_and_stores_nothing(
    trust: tuple[str, str],
) -> None:
    config, url = trust
    state = record_return(process_id="membership_review", partner_id="alpha",
                          config_dir=config, return_state=True)
    assert state.is_failed()
    assert "give exactly one of payload, file_path or waive_reason (the form was empty)" in (
        state.message or "")
    assert _counts(url) == (0, 0, 0)


@pytest.mark.usefixtures("prefect_harness", "mail_settings")
def test_a_typed_payload_is_stored_as_the_shape_the_drafts_read(
    trust: tuple[str, str], smtp_server: SmtpTestServer
) -> None:
    config, url = trust
    payload = RepresentationReturn(representative=Person(name="Ann Ode", role="Head"),
                                   changes="None")
    with wall_clock(date(2026, 4, 29)):
        done = record_return(process_id="membership_review", partner_id="alpha",
                             payload=payload, config_dir=config)
    assert (done.status, done.version) == ("received", 1)
    db = Database.from_url(url)
    with db.sessions() as s:
        [version] = s.scalars(select(ReturnVersion))
    db.dispose()
    assert version.payload == {"representative": {"name": "Ann Ode", "role": "Head",
                                                  "email": "", "seniority": ""},
                               "deputy": None, "term_end": None, "absences": "",
                               "changes": "None"}
    wrong = CyppReturn(priorities=[PriorityProgress(priority="p1", rag="red")])
    state = record_return(process_id="membership_review", partner_id="alpha", payload=wrong,
                          config_dir=config, return_state=True)
    assert state.is_failed() and "the process is a membership review" in (state.message or "")
