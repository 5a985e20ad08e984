"""Honest states in Prefect, and the officer's sign-off reminder.

A failure inside a process step is a FAILED run (red in the UI), and the cycle driver that
ran it does not end COMPLETED; waiting is a named state that never says "Failed". A draft
still waiting near its papers day reminds the officer, once.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.states import State

import tasks.drafts
from flows.assemble_draft import assemble_draft
from flows.cycle import run_cycle
from flows.processes import cypp_annual_review
from tasks.mail import deliver_outbox
from tasks.signoff import remind_waiting_signoffs
from tests.clocks import use_database, wall_clock
from tests.integration.drafts_support import RUTLAND, rutland, seed
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar import clock
from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation
from trustcycle.db import Database
from trustcycle.papers.signoff import reminder_due, signoff_tags

pytestmark = pytest.mark.usefixtures("prefect_harness", "mail_settings")

PROCESS = "cypp_annual_review"
ENGLAND = working_days(Nation.england)
CUTOFF_DAY = date(2010, 6, 25)  # Friday; papers Tuesday 29 June, meeting Monday 5 July
OFFICER = "childrens.trust@rutland.example.gov.uk"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    use_database(monkeypatch, url, str(tmp_path / "inbox"))
    database = Database.from_url(url)
    seed(database, rutland(), (PROCESS,))
    return database


def _break_the_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: the draft cannot be built (as a broken template or disk would)."""
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the draft template could not be read")

    monkeypatch.setattr(tasks.drafts, "build_and_store", broken)


def test_a_failure_inside_a_process_step_is_a_failed_run(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    _break_the_draft(monkeypatch)
    with wall_clock(CUTOFF_DAY):
        state = cypp_annual_review(as_of=CUTOFF_DAY, config_dir=str(RUTLAND), cycle_year=2010,
                                   return_state=True)
    assert state.type.value == "FAILED"
    assert state.name != "Completed"


def test_the_cycle_driver_fails_when_a_process_step_failed_and_still_runs_the_chase(
    db: Database, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpTestServer
) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    _break_the_draft(monkeypatch)
    with wall_clock(CUTOFF_DAY):
        state = run_cycle(as_of=CUTOFF_DAY, config_dir=str(RUTLAND), cycle_year=2010,
                          return_state=True)
    assert state.type.value == "FAILED"
    assert ("cypp_annual_review: Flow run encountered an exception: RuntimeError: the draft "
            "template could not be read") in (state.message or "")
    # The chase of the day still ran: the CYPP requests nobody had opened (the seed only
    # recorded returns) were opened late, and the officer was told.
    assert [m.parsed["X-Trustcycle-Kind"] for m in smtp_server.to(OFFICER)] == ["late_step"]


def _waiting_signoff_run() -> UUID:
    """A sign-off run of the assemble-draft deployment, suspended for the officer."""
    deployment_id = assemble_draft.to_deployment(name="honest-states").apply()
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(
            deployment_id, tags=signoff_tags("rutland", PROCESS, 2010),
            parameters={"process_id": PROCESS, "cycle_year": 2010,
                        "config_dir": str(RUTLAND)})
    try:
        with wall_clock(CUTOFF_DAY):
            state: State = run_flow(assemble_draft, flow_run=flow_run,
                                    parameters=flow_run.parameters, return_type="state")
    except Pause as paused:
        state = paused.state
    assert state.is_paused() and state.name == "Suspended"
    return flow_run.id


def test_a_draft_still_waiting_two_working_days_before_its_papers_day_reminds_the_officer_once(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    run_id = _waiting_signoff_run()
    kinds = lambda: [m.parsed["X-Trustcycle-Kind"] for m in smtp_server.to(OFFICER)]  # noqa: E731
    assert kinds() == ["signoff_request"]
    # Friday 25 June: the papers day (Tuesday 29) is 2 working days away: remind.
    for _ in range(2):  # a second run the same day (or the next) reminds nobody again
        with wall_clock(CUTOFF_DAY):
            assert remind_waiting_signoffs(str(RUTLAND), 2010, CUTOFF_DAY,
                                           clock.now()) == [PROCESS]
        deliver_outbox(None)
    assert kinds() == ["signoff_request", "signoff_reminder"]
    [reminder] = [m for m in smtp_server.to(OFFICER)
                  if m.parsed["X-Trustcycle-Kind"] == "signoff_reminder"]
    assert " ".join(str(reminder.parsed["Subject"]).split()) == (
        "Reminder: Sign-off needed: Annual Review of the Children and Young People's Plan "
        "2007-2011 (papers due Tuesday 29 June 2010)")
    assert f"/runs/flow-run/{run_id}" in reminder.body("plain")
    assert "in 2 working days" in " ".join(reminder.body("plain").split())


def test_the_reminder_falls_from_two_working_days_before_the_papers_day_to_the_day() -> None:
    papers = date(2010, 6, 29)  # Tuesday
    assert reminder_due(date(2010, 6, 23), papers, ENGLAND) is None  # Wednesday: 4 left
    assert reminder_due(date(2010, 6, 24), papers, ENGLAND) is None  # Thursday: 3
    assert reminder_due(date(2010, 6, 25), papers, ENGLAND) == 2  # Friday: Monday, Tuesday
    assert reminder_due(date(2010, 6, 26), papers, ENGLAND) == 2  # Saturday
    assert reminder_due(date(2010, 6, 28), papers, ENGLAND) == 1
    assert reminder_due(papers, papers, ENGLAND) == 0
    assert reminder_due(date(2010, 6, 30), papers, ENGLAND) is None  # the late alert's job
