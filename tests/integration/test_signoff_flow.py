"""The assemble-draft flow through Prefect: sign-off (automatic, pre-supplied, and a real
suspend/resume in the Prefect UI's way), the audit trail, and the papers reaching a real
SMTP server with the DOCX and the meeting's .ics, dated before the papers deadline."""

from __future__ import annotations

import email.utils
from datetime import date
from pathlib import Path
from uuid import UUID

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.exceptions import Pause
from prefect.flow_engine import run_flow
from prefect.flow_runs import resume_flow_run
from prefect.states import State
from sqlalchemy import select

from flows.assemble_draft import SignOff, assemble_draft, scripted_signoff
from tests.integration.drafts_support import RUTLAND, record, rutland, seed
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.db import Database
from trustcycle.db.models import AuditLog, Draft, Notification

PROCESS = "cypp_annual_review"
CUTOFF_DAY = date(2010, 6, 25)  # cut-off of the CYPP review
PAPERS_DAY = date(2010, 6, 29)  # 5 clear days before the Executive on 5 July: papers go
MEMBERS = {"c.benham@rutland.example.gov.uk", "anne.cole@nhs.example.uk",
           "mark.dunn@police.example.uk", "priya.shah@yos.example.gov.uk",
           "gail.ross@connexions.example.org.uk", "m.barker@schools.example.org.uk"}
CLERK = "childrens.trust@rutland.example.gov.uk"

pytestmark = pytest.mark.usefixtures("prefect_harness", "mail_settings")


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)  # a setting, not a run parameter
    return url


@pytest.fixture
def db(url: str) -> Database:
    database = Database.from_url(url)
    seed(database, rutland(), (PROCESS,))
    return database


@pytest.fixture
def auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")


def run(day: date = PAPERS_DAY) -> State:
    """The flow on `day` at 09:00, that day being the wall clock (as in the simulator)."""
    with use_clock(FixedClock.on(pendulum.date(day.year, day.month, day.day))):
        return assemble_draft(process_id=PROCESS, cycle_year=2010, config_dir=str(RUTLAND),
                              return_state=True)


def papers(server: SmtpTestServer) -> list:
    return [m for m in server.messages if m.parsed["Subject"].startswith("Papers: ")]


def audit(db: Database, action: str) -> list[AuditLog]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_approved_papers_reach_every_member_and_the_clerk_with_the_docx_and_the_ics(
    db: Database, auto: None, smtp_server: SmtpTestServer
) -> None:
    state = run()
    assert state.name == "PapersSent"
    sent = papers(smtp_server)
    assert {r for m in sent for r in m.rcpt_tos} == MEMBERS | {CLERK}
    for message in sent:
        when = email.utils.parsedate_to_datetime(message.parsed["Date"])
        assert when.date() == PAPERS_DAY  # approved on the papers day: sent at once
        names = {p.get_filename(): p for p in message.parsed.walk() if p.get_filename()}
        assert set(names) == {"cypp_annual_review-2010-v1.docx", "meeting.ics"}
        assert b"DTSTART;TZID=Europe/London:20100705T100000" in names["meeting.ics"].get_payload(
            decode=True)
        assert "Annual Review of the Children" in message.body("html")
    with db.sessions() as session:
        assert len(session.scalars(select(Notification)).all()) == len(MEMBERS) + 1
        approved = session.scalars(select(Draft).where(Draft.status == "approved")).all()
    assert {d.format for d in approved} >= {"md", "html", "docx"}  # every stored format
    assert [a.actor for a in audit(db, "draft.approved")] == ["auto (TRUSTCYCLE_SIGNOFF=auto)"]


def test_requested_changes_are_audited_and_the_draft_is_asked_about_again(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    decisions = [SignOff(decision="request_changes", comment="Add the NEET figures",
                         officer="sam.ireland@rutland.example.gov.uk"),
                 SignOff(decision="approve", officer="jo.whitfield@rutland.example.gov.uk")]
    with scripted_signoff(*decisions):
        state = run()
    assert state.name == "PapersSent"
    [changes] = audit(db, "draft.changes_requested")
    assert changes.actor == "sam.ireland@rutland.example.gov.uk"
    assert changes.detail["comment"] == "Add the NEET figures"
    [approved] = audit(db, "draft.approved")
    assert approved.actor == "jo.whitfield@rutland.example.gov.uk"
    assert len(papers(smtp_server)) == len(MEMBERS) + 1


def test_an_answer_without_a_name_or_a_change_request_without_a_comment_is_asked_again(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    answers = [SignOff.model_construct(decision="approve", officer="  ", comment="", version=0),
               SignOff(decision="request_changes", officer="Sam Ireland", comment=" "),
               SignOff(decision="approve", officer="Jo Whitfield")]
    with scripted_signoff(*answers):
        assert run().name == "PapersSent"
    assert audit(db, "draft.changes_requested") == []
    assert [a.actor for a in audit(db, "draft.approved")] == ["Jo Whitfield"]


def test_papers_signed_off_after_the_deadline_go_marked_late_and_alert_the_officer(
    db: Database, auto: None, smtp_server: SmtpTestServer
) -> None:
    state = run(date(2010, 6, 30))
    assert state.name == "PapersSentLate"
    late = [m for m in smtp_server.messages if m.parsed["Subject"].startswith("Papers (late): ")]
    assert {r for m in late for r in m.rcpt_tos} == MEMBERS | {CLERK}
    [alert] = [m for m in smtp_server.messages
               if m.parsed["Subject"].startswith("Papers late")]
    assert alert.rcpt_tos == [CLERK, "trust.manager@rutland.example.gov.uk"]
    assert "sent to the members and the clerk now, marked late" in alert.body("plain")


def _start_from_deployment() -> UUID:
    deployment_id = assemble_draft.to_deployment(name="signoff-test").apply()
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(deployment_id, parameters={
            "process_id": PROCESS, "cycle_year": 2010, "config_dir": str(RUTLAND)})
    return flow_run.id


def _execute(run_id: UUID) -> State:
    """Run (or re-run after a resume) the deployment's flow run here, as a worker would,
    on the papers day (approved then, the papers go at once)."""
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run_id)
    try:
        with use_clock(FixedClock.on(pendulum.date(2010, 6, 29))):
            return run_flow(assemble_draft, flow_run=flow_run, parameters=flow_run.parameters,
                            return_type="state")
    except Pause as paused:
        return paused.state


def signoff_requests(server: SmtpTestServer) -> list:
    return [m for m in server.messages if m.parsed["X-Trustcycle-Kind"] == "signoff_request"]


def test_sign_off_in_the_ui_suspends_the_run_and_resumes_it_with_the_officers_decision(
    db: Database, smtp_server: SmtpTestServer
) -> None:
    run_id = _start_from_deployment()
    assert _execute(run_id).is_paused()  # suspended: no process held while waiting
    # The officer is told, with the draft and the direct link to the waiting run.
    [asked] = signoff_requests(smtp_server)
    assert asked.rcpt_tos == [CLERK]
    assert f"/runs/flow-run/{run_id}" in asked.body("plain")
    # Meeting Monday 5 July; 5 clear days (30 June to 4 July) before it: Tuesday 29 June.
    assert "Papers day: Tuesday 29 June 2010" in asked.body("plain")
    assert {p.get_filename() for p in asked.parsed.walk() if p.get_filename()} == {
        "cypp_annual_review-2010-v1-draft.docx"}

    # The officer asks for changes; meanwhile Connexions sends its missing return.
    resume_flow_run(run_id, run_input={"decision": "request_changes", "version": 1,
                                       "comment": "Waiting for Connexions",
                                       "officer": "sam.ireland@rutland.example.gov.uk"})
    record(db, rutland(), PROCESS, {"connexions": {"priorities": [
        {"priority": "p11_neet", "rag": "green", "value": 4.1, "narrative": "On track."}]}})
    assert _execute(run_id).is_paused()  # asked again, about the rebuilt draft
    assert papers(smtp_server) == []

    assert len(signoff_requests(smtp_server)) == 2  # v2 announced too; v1 not again
    resume_flow_run(run_id, run_input={"decision": "approve", "version": 2, "comment": "",
                                       "officer": "jo.whitfield@rutland.example.gov.uk"})
    final = _execute(run_id)
    assert final.name == "PapersSent"
    [changes] = audit(db, "draft.changes_requested")
    assert (changes.detail["version"], changes.detail["comment"]) == (1, "Waiting for Connexions")
    [approved] = audit(db, "draft.approved")
    assert approved.actor == "jo.whitfield@rutland.example.gov.uk"
    assert approved.detail["version"] == 2
    [docx] = {p.get_filename() for m in papers(smtp_server) for p in m.parsed.walk()
              if (p.get_filename() or "").endswith(".docx")}
    assert docx == "cypp_annual_review-2010-v2.docx"
