"""A return with a deadline of its own (`returns[].deadline`): its requests carry it, and its
reminders and cut-off follow from it, while the process's other return keeps the process's.

The small trust (tests/integration/test_chase_fixtures.py) asks every partner for its
representation by Wednesday 13 May 2026; here alpha and bravo also owe their attendance,
due Wednesday 20 May. Worked by hand (bank holidays Monday 4 and Monday 25 May 2026): the
attendance ladder is 11 May (7 working days before), 15 May (3 before), 20 May (on the
day), 22 May (2 overdue), 27 May (escalation, 4 overdue); its cut-off 5 working days after
the deadline is Thursday 28 May (the 25th skipped); the papers for the 9 June board go on
Wednesday 3 June (5 clear days), after it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pendulum
import pytest
import yaml
from icalendar import Calendar
from sqlalchemy import select

from flows.chase_returns import chase_returns
from tests.clocks import use_database, wall_clock
from tests.integration.test_chase_fixtures import write_config
from trustcycle.calendar.ics import timeline_ics
from trustcycle.calendar.timeline import resolve_year, timeline
from trustcycle.config import ConfigError
from trustcycle.db import Database
from trustcycle.db.models import ContributionRequest, Reminder
from trustcycle.simulation import days_to_visit, scripted_returns
from trustcycle.trust import load_config

LONDON = "Europe/London"


def _with_attendance(directory: Path, deadline: object) -> Path:
    config = write_config(directory)
    path = config / "calendar.yaml"
    data = yaml.safe_load(path.read_text())
    data["processes"]["membership_review"]["returns"].append({
        "id": "attendance", "title": "Your attendance record",
        "asked_of": {"partners": ["alpha", "bravo"]}, "deadline": deadline,
    })
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def _local(at: datetime) -> str:
    return pendulum.instance(at if at.tzinfo else at.replace(tzinfo=UTC)).in_timezone(
        LONDON).format("YYYY-MM-DD HH:mm")


def test_a_returns_own_deadline_moves_its_cut_off_ladder_and_the_draft(tmp_path: Path) -> None:
    cfg = load_config(_with_attendance(tmp_path / "config", {"date": date(2026, 5, 20)}))
    dates = resolve_year(cfg)["membership_review"]
    own = dates.for_return("attendance")
    assert own.deadline == pendulum.datetime(2026, 5, 20, 17, tz=LONDON)
    assert own.cutoff == pendulum.datetime(2026, 5, 28, 9, tz=LONDON)
    assert own.rungs == {"before_7": date(2026, 5, 11), "before_3": date(2026, 5, 15),
                         "on_the_day": date(2026, 5, 20), "overdue_2": date(2026, 5, 22),
                         "escalate_4": date(2026, 5, 27)}
    other = dates.for_return("representation")
    assert (other.deadline, other.rungs["escalate_4"]) == (
        pendulum.datetime(2026, 5, 13, 17, tz=LONDON), date(2026, 5, 19))
    # The draft waits for the last return: the process's cut-off is the later one.
    assert dates.cutoff == own.cutoff
    steps = [(s.at.date(), s.name) for s in timeline(cfg, 2026) if s.name.startswith("dead")]
    assert steps == [(date(2026, 5, 13), "deadline"), (date(2026, 5, 20), "deadline:attendance")]


@pytest.mark.parametrize(
    ("deadline", "rule"),
    [
        ({"date": date(2026, 4, 24)}, "2026-04-24 is not after the request date 2026-04-27"),
        ({"date": date(2026, 6, 3)}, "2026-06-03 is not before the papers day 2026-06-03"),
        ({"date": date(2027, 5, 20)},
         "2027-05-20 is outside the cycle year 2026-04-01 to 2027-03-31"),
        ({"working_days_before": 5, "meeting": "receiving"},
         "its cut-off 2026-06-09 is after the papers day 2026-06-03"),
    ],
    ids=["before the request", "on the papers day", "next year", "cut-off after the papers"],
)
def test_a_returns_deadline_out_of_place_is_one_line(
    tmp_path: Path, deadline: dict[str, object], rule: str
) -> None:
    config = _with_attendance(tmp_path / "config", deadline)
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    key = "processes.membership_review.returns.1.deadline"
    assert str(exc.value) == f"{config / 'calendar.yaml'}: {key}: {rule}"


def _chase(day: date, config: str) -> None:
    with wall_clock(day):
        chase_returns(as_of=day, config_dir=config)  # type: ignore[arg-type]


@pytest.mark.usefixtures("prefect_harness", "mail_settings", "smtp_server")
def test_requests_carry_their_returns_deadline_and_are_chased_and_closed_by_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(_with_attendance(tmp_path / "config", {"date": date(2026, 5, 20)}))
    url = f"sqlite:///{tmp_path / 'tc.db'}"
    use_database(monkeypatch, url, str(tmp_path / "inbox"))
    db = Database.from_url(url)

    def requests() -> dict[tuple[str, str], tuple[str, str, str]]:
        with db.sessions() as session:
            rows = session.scalars(select(ContributionRequest)).all()
            return {(r.return_id, str(r.partner_id)): (_local(r.deadline_at),
                                                      _local(r.cutoff_at), r.status)
                    for r in rows}

    def rungs() -> list[tuple[str, str]]:
        with db.sessions() as session:
            return sorted(session.execute(
                select(ContributionRequest.return_id, Reminder.rung)
                .join(Reminder, Reminder.contribution_request_id == ContributionRequest.id)
            ).tuples())

    _chase(date(2026, 4, 27), config)
    opened = requests()
    assert len(opened) == 7  # five representations, two attendance records
    assert {v for (rid, _), v in opened.items() if rid == "representation"} == {
        ("2026-05-13 17:00", "2026-05-20 09:00", "open")}
    assert {v for (rid, _), v in opened.items() if rid == "attendance"} == {
        ("2026-05-20 17:00", "2026-05-28 09:00", "open")}
    # 13 May (after a gap): the representation's on-the-day rung; the attendance's latest
    # rung due is 7 working days before its own deadline (11 May).
    _chase(date(2026, 5, 13), config)
    assert rungs() == [("attendance", "before_7")] * 2 + [("representation", "on_the_day")] * 5
    # 20 May: the representations close at their cut-off; the attendance is due today.
    _chase(date(2026, 5, 20), config)
    statuses = {(rid, s) for (rid, _), (_, _, s) in requests().items()}
    assert statuses == {("representation", "missing"), ("attendance", "open")}
    assert rungs().count(("attendance", "on_the_day")) == 2
    # 28 May: the attendance records close at their own cut-off.
    _chase(date(2026, 5, 28), config)
    assert {s for (_, _, s) in requests().values()} == {"missing"}
    db.dispose()


def test_the_calendar_file_names_the_return_and_its_own_deadline(tmp_path: Path) -> None:
    cfg = load_config(_with_attendance(tmp_path / "config", {"date": date(2026, 5, 20)}))
    stamp = pendulum.datetime(2026, 4, 2, 9, tz=LONDON)
    cal = Calendar.from_ical(timeline_ics(cfg, 2026, stamp))
    [event] = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Deadline for Y")]
    assert str(event["SUMMARY"]) == (
        "Deadline for Your attendance record: Review of Trust membership")
    assert event.decoded("DTSTART") == pendulum.datetime(2026, 5, 20, 17, tz=LONDON)
    assert "Returns due by 5pm on 20 May 2026." in str(event["DESCRIPTION"])


def test_the_simulation_answers_by_and_visits_each_returns_own_dates(tmp_path: Path) -> None:
    cfg = load_config(_with_attendance(tmp_path / "config", {"date": date(2026, 5, 20)}))
    answers = {(r.return_id, r.day) for r in scripted_returns(cfg, 2026)}
    assert answers == {("representation", date(2026, 5, 13)), ("attendance", date(2026, 5, 20))}
    visited = days_to_visit(cfg, 2026)
    assert {date(2026, 5, 22), date(2026, 5, 27), date(2026, 5, 28)} <= set(visited)
