"""A report's route through two meetings, through Prefect's cycle driver and a real SMTP
server: the forward-plan notice of the key decision goes once, 28 clear days before the
second meeting; the papers go to each body on its own papers day."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import pendulum
import pytest

from flows.cycle import run_cycle
from tests.integration.drafts_support import RUTLAND, seed
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.calendar.clock import FixedClock, use_clock
from trustcycle.calendar.timeline import resolve_year
from trustcycle.chasing.progress import recorded_steps
from trustcycle.db import Database
from trustcycle.trust import load_config

pytestmark = pytest.mark.usefixtures("prefect_harness", "mail_settings")

CYPP = "cypp_annual_review"
RECEIVING = "    receiving: {body: executive, meeting: {body: executive, date: 2010-07-05}}"
ROUTE = """    route:
      - {body: executive, meeting: {date: 2010-07-05}}
      - {body: hwb, meeting: {after_previous: true}, key_decision: true}"""
HWB = """  hwb:
    name: Rutland Health and Wellbeing Board
    kind: health_and_wellbeing_board
    clerk: {name: Jo Hale, role: Democratic Services,
            email: democratic.services@rutland.example.gov.uk}
    meetings:
      time: "14:00"
      dates: [2010-07-22, 2010-10-21]
    members:
      - {person: {name: Cllr Roger Begy, email: r.begy@rutland.example.gov.uk},
         partner: rutland_cc, role: Chair, term_start: 2010-04-01}
      - {person: {name: Dr Anne Cole, email: anne.cole@nhs.example.uk},
         partner: pct, role: Member, term_start: 2010-04-01}
  executive:"""
HWB_CLERK = "democratic.services@rutland.example.gov.uk"
HWB_MEMBERS = {"r.begy@rutland.example.gov.uk", "anne.cole@nhs.example.uk", HWB_CLERK}
OFFICER = "childrens.trust@rutland.example.gov.uk"  # the officer, and the Executive's clerk
FORWARD_PLAN_DAY = date(2010, 6, 23)  # 28 clear days (24 June to 21 July) before 22 July
EXECUTIVE_PAPERS = date(2010, 6, 29)  # 5 clear days before Monday 5 July
HWB_PAPERS = date(2010, 7, 16)  # 5 clear days (17 to 21 July) before Thursday 22 July


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Rutland 2010-11, its CYPP review going to the Executive, then to a Health and
    Wellbeing Board for a key decision."""
    config = tmp_path / "rutland"
    shutil.copytree(RUTLAND, config)
    calendar, bodies = config / "calendar.yaml", config / "bodies.yaml"
    assert RECEIVING in calendar.read_text()
    calendar.write_text(calendar.read_text().replace(RECEIVING, ROUTE))
    bodies.write_text(bodies.read_text().replace("  executive:", HWB, 1))
    return config


@pytest.fixture
def db(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    url = f"sqlite:///{tmp_path / 'trustcycle.db'}"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)
    monkeypatch.setenv("TRUSTCYCLE_SIGNOFF", "auto")
    database = Database.from_url(url)
    seed(database, load_config(config), (CYPP,))
    return database


def cycle(config: Path, day: date) -> None:
    with use_clock(FixedClock.on(pendulum.date(day.year, day.month, day.day))):
        state = run_cycle(as_of=day, config_dir=str(config), cycle_year=2010, return_state=True)
    assert state.is_completed(), state.message


def sent(server: SmtpTestServer, kind: str) -> Counter[tuple[date, str, str]]:
    """(day sent, body in the subject, recipient) of each message of `kind` about the CYPP
    review."""
    out: Counter[tuple[date, str, str]] = Counter()
    for m in server.messages:
        if m.parsed["X-Trustcycle-Kind"] != kind:
            continue
        subject = " ".join(str(m.parsed["Subject"]).split())
        if "Annual Review of the Children" not in subject:
            continue  # the membership review's own papers, late: its Board met on 8 June
        body = "hwb" if "Health and Wellbeing" in subject else "executive"
        at = parsedate_to_datetime(str(m.parsed["Date"]))
        day = pendulum.instance(at).in_timezone("Europe/London").date()
        for rcpt in m.rcpt_tos:
            out[(date(day.year, day.month, day.day), body, rcpt)] += 1
    return out


def test_the_calendar_of_the_route(config: Path) -> None:
    dates = resolve_year(load_config(config), 2010)[CYPP]
    assert [(s.body, s.papers.date(), s.meeting.date(),
             s.forward_plan.date() if s.forward_plan else None) for s in dates.stops] == [
        ("executive", EXECUTIVE_PAPERS, date(2010, 7, 5), None),
        ("hwb", HWB_PAPERS, date(2010, 7, 22), FORWARD_PLAN_DAY),
    ]


def test_each_body_gets_the_papers_on_its_own_day_and_the_forward_plan_notice_goes_once(
    config: Path, db: Database, smtp_server: SmtpTestServer
) -> None:
    cycle(config, FORWARD_PLAN_DAY)
    # On its day, to the HWB's clerk (democratic services), copied to the officer.
    assert sent(smtp_server, "forward_plan") == Counter(
        {(FORWARD_PLAN_DAY, "hwb", HWB_CLERK): 1, (FORWARD_PLAN_DAY, "hwb", OFFICER): 1})
    [notice] = [m for m in smtp_server.messages
                if m.parsed["X-Trustcycle-Kind"] == "forward_plan"]
    assert " ".join(str(notice.parsed["Subject"]).split()) == (
        "Forward plan: key decision at Rutland Health and Wellbeing Board on Thursday 22 July "
        "2010 at 14:00: Annual Review of the Children and Young People's Plan 2007-2011")
    assert "at least 28 clear days before the meeting" in notice.body("plain")

    for day in (date(2010, 6, 25), EXECUTIVE_PAPERS):
        cycle(config, day)  # the cut-off (approved automatically), the Executive's papers day
    assert {(d, b) for d, b, _ in sent(smtp_server, "papers")} == {
        (EXECUTIVE_PAPERS, "executive")}
    cycle(config, HWB_PAPERS)
    papers = sent(smtp_server, "papers")
    assert {rcpt: n for (d, b, rcpt), n in papers.items() if b == "hwb"} == {
        rcpt: 1 for rcpt in HWB_MEMBERS}
    assert {d for d, b, _ in papers if b == "hwb"} == {HWB_PAPERS}
    assert sum(1 for d, b, _ in papers if b == "executive") == len(
        {r for d, b, r in papers if b == "executive"})  # each Executive recipient once
    # Due from its day to the meeting, yet sent once (the runs since found it keyed).
    assert sum(sent(smtp_server, "forward_plan").values()) == 2
    # The officers' timeline marks both done on their days (a missed one would be missed).
    with db.sessions() as session:
        done = recorded_steps(session, load_config(config), 2010).done
    assert (done[(CYPP, "forward_plan:hwb")], done[(CYPP, "papers:hwb")]) == (
        FORWARD_PLAN_DAY, HWB_PAPERS)


def test_without_prefect_the_route_steps_are_queued_once_and_late_papers_alert_the_officer(
    config: Path, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from trustcycle.db.models import OutboxMessage
    from trustcycle.papers.assemble import build_and_store, record_decision
    from trustcycle.papers.route import send_route_steps

    cfg = load_config(config)
    database = Database.from_url(f"sqlite:///{tmp_path / 'direct.db'}")
    seed(database, cfg, (CYPP,))
    resolved = resolve_year(cfg, 2010)

    def queue(day: date) -> tuple[list[int], list[int]]:
        at = pendulum.datetime(day.year, day.month, day.day, 9, 15, tz="Europe/London")
        with use_clock(FixedClock(at)), database.sessions.begin() as session:
            sent = send_route_steps(session, cfg, 2010, resolved, today=at.date(), now=at)
        return sent.forward_plan, sent.papers

    assert queue(date(2010, 6, 22)) == ([], [])
    first = queue(FORWARD_PLAN_DAY)
    assert len(first[0]) == 1 and first[1] == []
    assert queue(date(2010, 7, 1)) == first  # the same notice (keyed), nothing new
    assert queue(date(2010, 7, 22)) == ([], [])  # the meeting day: nothing is due any more
    # Nothing approved by the HWB's papers day; approved on Monday 19 July: late.
    assert queue(HWB_PAPERS)[1] == []
    late = pendulum.datetime(2010, 7, 19, 9, 0, tz="Europe/London")
    with use_clock(FixedClock(late)), database.sessions.begin() as session:
        version = build_and_store(session, cfg, CYPP, 2010, now=late).version
        record_decision(session, cfg, CYPP, 2010, version=version, decision="approve",
                        officer=OFFICER, comment="", at=late, key="route:1")
    _, papers = queue(date(2010, 7, 19))
    assert queue(date(2010, 7, 20))[1] == papers  # once per version and person
    with database.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(papers))).all()
    assert sorted((r.kind, *r.to_addrs) for r in rows) == sorted(
        [("papers", rcpt) for rcpt in HWB_MEMBERS] + [("papers_late", OFFICER)])
    [alert] = [r for r in rows if r.kind == "papers_late"]
    assert alert.cc_addrs == ["trust.manager@rutland.example.gov.uk"]
    assert {r.subject for r in rows if r.kind == "papers"} == {
        "Papers (late): Annual Review of the Children and Young People's Plan 2007-2011 for "
        "Rutland Health and Wellbeing Board"}
