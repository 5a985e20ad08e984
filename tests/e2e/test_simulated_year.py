"""The main job end to end: the Rutland 2010-11 year simulated through the real flows."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

import pendulum
import pytest

from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation

ENGLAND = working_days(Nation.england)  # the trusts these tests run are English
ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rutland")
    env = {**os.environ, "PREFECT_HOME": str(out / "prefect")}
    env.pop("PREFECT_API_URL", None)  # its own local server, as the README runs it
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "trustcycle",
            "--config",
            str(RUTLAND),
            "simulate",
            "--year",
            "2010",
            "--out",
            str(out),
            "--no-progress",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def _messages(out: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted((out / "mail").glob("*.eml"))
    ]


def _day(msg: email.message.EmailMessage) -> pendulum.Date:
    sent = pendulum.instance(parsedate_to_datetime(str(msg["Date"])))
    return sent.in_timezone("Europe/London").date()


# Worked out by hand from config/examples/rutland-2010 (seed 000) and its scenario.yaml;
# the dates are the calendar's (README, "Dates"), the 2010 bank holidays 3 and 31 May.
# - Asked: membership and strategy of all 11 partners; the CYPP of the 5 partners leading a
#   priority (pct, police, yot, connexions, rutland_cc); the needs analysis of the 8 in its
#   categories (rutland_cc, police, yot, pct, connexions, schools, college, jcp).
# - Scripted: police 3 working days late (membership), lsc never (membership), connexions
#   1 late (CYPP), jcp never (needs), college 4 late and var 5 early (strategy); everyone
#   else answers at 08:30 on the deadline day, before that day's 09:00 chase.
# - Reminders sent at rungs -10, -3, 0, +2 to those still open at 09:00 that day:
#   membership 11+11+2+2 (police answers on 27 May, after +2 = 26 May); CYPP 5+5+1+0
#   (connexions answers on 18 June, before +2 = 21 June); needs 8+8+1+1; strategy
#   11+10+1+1 (var answered on 4 February, before -3 = 8 February; college on 17 February,
#   after +2 = 15 February). Escalations: lsc and jcp, never answering.
# - Notifications: one per recipient of the papers: the Board's 7 members in term on
#   2 June and its clerk; the Executive's 6 members and its clerk (twice); the public has
#   no members, so the strategy's publication is announced to the officer alone.
# - Returns by when they came (`calendar.punctuality`, one source for the draft, this
#   summary and the timeline): every late answer (police 27 May, connexions 18 June,
#   college 17 February) is in before its cut-off, so before its papers (2 June, 29 June,
#   31 March): none is late after the papers; nothing is waived in the scenario.
EXPECTED = {
    "membership_review": {
        "requests": 11, "on_time": 9, "late": 1, "late_after_papers": 0, "missing": 1,
        "waived": 0,
        "reminders": 26, "escalations": 1, "drafts": 1, "notifications": 8,
    },
    "cypp_annual_review": {
        "requests": 5, "on_time": 4, "late": 1, "late_after_papers": 0, "missing": 0,
        "waived": 0,
        "reminders": 11, "escalations": 0, "drafts": 1, "notifications": 7,
    },
    "joint_needs_analysis": {
        "requests": 8, "on_time": 7, "late": 0, "late_after_papers": 0, "missing": 1,
        "waived": 0,
        "reminders": 18, "escalations": 1, "drafts": 1, "notifications": 7,
    },
    "child_poverty_strategy": {
        "requests": 11, "on_time": 10, "late": 1, "late_after_papers": 0, "missing": 0,
        "waived": 0,
        "reminders": 23, "escalations": 0, "drafts": 1, "notifications": 1,
    },
}
# Every email by kind: a request per request (35), the reminders above by rung, the two
# escalations, a receipt per return received (10 + 5 + 7 + 11), the papers (8 + 7 + 7) on
# their papers days, the strategy's publication on 31 March 2011 (1, to the officer: the
# public has neither members nor a clerk) and, at the cut-offs of the two processes with a
# partner missing, the officer's report. No return comes after its papers: no late_return.
EMAILS = {
    "request": 35,
    "reminder:before_10": 11 + 5 + 8 + 11,
    "reminder:before_3": 11 + 5 + 8 + 10,
    "reminder:on_the_day": 2 + 1 + 1 + 1,
    "reminder:overdue_2": 2 + 0 + 1 + 1,
    "escalation:escalate_4": 1,
    "escalation:escalate_5": 1,
    "receipt": 33,
    "papers": 22,
    "publication": 1,
    "missing_report": 2,
}
BOARD = {
    "r.begy@rutland.example.gov.uk",
    "c.benham@rutland.example.gov.uk",
    "rachel.kerr@police.example.uk",
    "peter.lane@nhs.example.uk",  # in term until 30 September 2010
    "linda.marsh@probation.example.org.uk",
    "j.price@schools.example.org.uk",
    "fiona.reed@var.example.org.uk",
    "childrens.trust@rutland.example.gov.uk",  # the clerk
}


def test_the_summary_counts_each_process_exactly(simulated: Path) -> None:
    summary = json.loads((simulated / "summary.json").read_text())
    assert summary == {"processes": EXPECTED, "emails": sum(EMAILS.values())}


def test_every_email_of_the_year_is_there_once_by_kind(simulated: Path) -> None:
    kinds = Counter(str(m["X-Trustcycle-Kind"]) for m in _messages(simulated))
    assert kinds == EMAILS
    assert len(list((simulated / "mail").glob("*.eml"))) == 173


def test_no_email_is_dated_on_a_weekend_or_bank_holiday(simulated: Path) -> None:
    messages = _messages(simulated)
    assert len(messages) == 173
    for msg in messages:
        assert ENGLAND.is_working_day(_day(msg)), (msg["Subject"], msg["Date"])
    assert not any(_day(m) == pendulum.date(2010, 5, 31) for m in messages)


def test_papers_reach_the_board_on_the_papers_day_not_at_the_cut_off(
    simulated: Path,
) -> None:
    board_papers = [
        m
        for m in _messages(simulated)
        if m["X-Trustcycle-Kind"] == "papers" and "membership" in str(m["Subject"]).lower()
    ]
    # Drafted and approved (automatically) at the cut-off, Tuesday 1 June 2010; sent on the
    # papers day, Wednesday 2 June: 5 clear days (3 to 7 June) before the Board on 8 June
    # (LGA 1972 s100B).
    assert {_day(m) for m in board_papers} == {pendulum.date(2010, 6, 2)}
    assert sorted(str(m["To"]) for m in board_papers) == sorted(BOARD)
    for msg in board_papers:
        assert [p.get_filename() for p in msg.iter_attachments()] == [
            "membership_review-2010-v1.docx",
            "meeting.ics",
        ]


def test_each_papers_go_on_their_papers_day_and_the_strategy_is_published_on_its_day(
    simulated: Path,
) -> None:
    messages = _messages(simulated)
    papers = Counter((" ".join(str(m["Subject"]).split()).split(" for ")[0], _day(m))
                     for m in messages if m["X-Trustcycle-Kind"] == "papers")
    # Each approved at its cut-off (1 June, 25 June, 5 October) and sent 5 clear days
    # before its meeting (Board 8 June, Executive 5 July and 18 October).
    assert papers == {
        ("Papers: Review of Trust membership against the new statutory duties",
         pendulum.date(2010, 6, 2)): 8,
        ("Papers: Annual Review of the Children and Young People's Plan 2007-2011",
         pendulum.date(2010, 6, 29)): 7,
        ("Papers: Joint Needs Analysis including the Child Poverty Needs Assessment",
         pendulum.date(2010, 10, 12)): 7,
    }
    # Approved at its cut-off (21 February 2011), published on 31 March: the file in the
    # public folder, its address mailed to the officer (the public has no clerk).
    [published] = [m for m in messages if m["X-Trustcycle-Kind"] == "publication"]
    assert (_day(published), str(published["To"])) == (
        pendulum.date(2011, 3, 31), "childrens.trust@rutland.example.gov.uk")
    folder = simulated / "public" / "rutland" / "2010"
    assert sorted(p.name for p in folder.iterdir()) == [
        "child_poverty_strategy-v1.docx", "child_poverty_strategy-v1.html"]
    assert (folder / "child_poverty_strategy-v1.html").as_uri() in published.get_body(
        ("plain",)).get_content()  # type: ignore[union-attr]


def test_requests_go_out_on_the_seed_days_and_the_missing_partners_are_escalated(
    simulated: Path,
) -> None:
    messages = _messages(simulated)
    requests = Counter(_day(m) for m in messages if m["X-Trustcycle-Kind"] == "request")
    assert requests == {
        pendulum.date(2010, 4, 6): 11,  # membership
        pendulum.date(2010, 5, 17): 5,  # CYPP
        pendulum.date(2010, 9, 1): 8,  # needs analysis
        pendulum.date(2011, 1, 4): 11,  # strategy
    }
    escalations = sorted(
        (_day(m), str(m["To"]), str(m["Cc"]))
        for m in messages
        if str(m["X-Trustcycle-Kind"]).startswith("escalation")
    )
    manager = "trust.manager@rutland.example.gov.uk"
    assert escalations == [
        (pendulum.date(2010, 5, 28), "sue.grant@lsc.example.gov.uk", manager),  # +4
        (pendulum.date(2010, 10, 4), "neil.burton@jcp.example.gov.uk", manager),  # +5
    ]


def test_every_process_leaves_its_drafts_in_three_formats(simulated: Path) -> None:
    names = {p.name for p in (simulated / "drafts").iterdir()}
    for process in (
        "membership_review",
        "cypp_annual_review",
        "joint_needs_analysis",
        "child_poverty_strategy",
    ):
        for ext in ("md", "html", "docx"):
            assert any(n.startswith(process) and n.endswith(f".{ext}") for n in names), (
                process,
                ext,
            )
    cypp = next((simulated / "drafts").glob("cypp_annual_review-*.md")).read_text()
    assert "Ensure children and young people are safe" in cypp


def test_scripted_partners_answer_through_the_portal(simulated: Path) -> None:
    import sqlite3

    with sqlite3.connect(simulated / "trustcycle.db") as conn:
        channels = dict(
            conn.execute("SELECT channel, count(*) FROM return_version GROUP BY channel").fetchall()
        )
    assert channels == {"portal": 33}  # one version per return received
