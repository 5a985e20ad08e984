"""The calendar an officer imports: valid RFC 5545 (checked with icalendar), a VTIMEZONE
for Europe/London, one event per meeting whose UID the papers email shares, SEQUENCE and
METHOD so a later file updates an earlier one, and summaries in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pendulum
import pytest
from icalendar import Calendar

from trustcycle.calendar.ics import meeting_ics, timeline_ics
from trustcycle.calendar.timeline import resolve_process
from trustcycle.config import TrustConfig
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
STAMP = pendulum.datetime(2026, 4, 2, 9, 0, tz="Europe/London")


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(ROOT / "config")


@pytest.fixture(scope="module")
def cal(cfg: TrustConfig) -> Calendar:
    return Calendar.from_ical(timeline_ics(cfg, 2026, STAMP))


def test_the_file_has_every_property_rfc_5545_requires(cal: Calendar) -> None:
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]).startswith("-//trustcycle")
    assert str(cal["METHOD"]) == "PUBLISH"
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/London"
    kinds = {c.name for c in tz.subcomponents}
    assert kinds == {"STANDARD", "DAYLIGHT"}
    for part in tz.subcomponents:
        for prop in ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"):
            assert prop in part
    events = cal.walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == len(events)
    for e in events:
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"):
            assert prop in e, (prop, e.get("SUMMARY"))
        assert e["DTSTART"].params["TZID"] == "Europe/London"
        assert e.decoded("DTEND") > e.decoded("DTSTART")


def test_one_event_per_meeting_with_its_papers_place_and_officer(cal: Calendar) -> None:
    board = [e for e in cal.walk("VEVENT")
             if e.decoded("DTSTART").date() == datetime(2026, 6, 9).date()]
    assert [str(e["SUMMARY"]) for e in board] == ["Children's Trust Board meeting"]
    [meeting] = board
    assert str(meeting["LOCATION"]) == "Council Chamber, Wessex Vale Civic Centre"
    text = str(meeting["DESCRIPTION"])
    assert "Paper: Annual review of Children's Trust membership (published 3 June 2026)" in text
    assert "Lewis Grant, Partnership Officer, 01632 960412" in text
    # 14:00 in London is 13:00 UTC in June (BST) and 14:00 UTC in December (GMT)
    assert meeting.decoded("DTSTART").astimezone(UTC).hour == 13
    december = next(e for e in cal.walk("VEVENT")
                    if e.decoded("DTSTART").date() == datetime(2026, 12, 8).date())
    assert december.decoded("DTSTART").astimezone(UTC).hour == 14


def test_summaries_are_words_and_deadlines_say_who_owes_what(cal: Calendar) -> None:
    summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
    assert not [s for s in summaries if re.search(r"[a-z]+_[a-z0-9]+|[a-z]+:[a-z]", s)]
    assert ("Reminder to partners (10 working days before the deadline): Annual review of "
            "Children's Trust membership") in summaries
    assert ("Escalation to senior contacts (5 working days after the deadline): Child "
            "poverty strategy") in summaries
    deadline = next(e for e in cal.walk("VEVENT")
                    if str(e["SUMMARY"]) == "Deadline for returns: Child poverty strategy")
    text = str(deadline["DESCRIPTION"])
    assert "owed by Wessex Vale Council (Children's Services)" in text
    assert "How to respond" in text and "childrens.trust@wessexvale.example.gov.uk" in text


def test_the_papers_email_carries_the_same_meeting_and_a_later_file_supersedes(
    cfg: TrustConfig, cal: Calendar
) -> None:
    dates = resolve_process(cfg, "membership_review", 2026)
    assert dates.meeting is not None
    later = STAMP.add(weeks=8)
    [mail] = Calendar.from_ical(meeting_ics(cfg, "board", dates.meeting, 2026, later)
                                ).walk("VEVENT")
    [same] = [e for e in cal.walk("VEVENT") if str(e["UID"]) == str(mail["UID"])]
    assert same.decoded("DTSTART") == mail.decoded("DTSTART")
    assert int(mail["SEQUENCE"]) > int(same["SEQUENCE"])
    assert timeline_ics(cfg, 2026, STAMP) == timeline_ics(cfg, 2026, STAMP)
