"""The date rules of `config check` (issue 11's silent wrong answers): each breaks the
Rutland 2010 configuration in one place and expects exactly one line naming the file, the
key path and the rule.

Dates are worked out by hand from the seed's calendar (2010 England bank holidays: 2 April
Good Friday, 5 April Easter Monday, 3 May, 31 May, 30 August; 2011: 3 January), never by the
engine under test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
import pytest

from trustcycle.calendar.timeline import resolve_year, timeline
from trustcycle.config import ConfigError
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"
DEFAULT = ROOT / "config"
CAL = "calendar.yaml"
EVERY_STEP = "every step must fall while the process is in force"

# name: (file edited, text, replacement, "key: rule broken")
BREAKAGES: dict[str, tuple[str, str, str, str]] = {
    "a full date in the next cycle year": (
        CAL, "request: {date: 2010-04-06}", "request: {date: 2011-04-06}",
        "processes.membership_review.request.date: 2011-04-06 is outside the cycle year "
        "2010-04-01 to 2011-03-31",
    ),
    "a full date in the cycle year before": (
        CAL, "deadline: {date: 2011-02-11}", "deadline: {date: 2010-02-11}",
        "processes.child_poverty_strategy.deadline.date: 2010-02-11 is outside the cycle year "
        "2010-04-01 to 2011-03-31",
    ),
    "a publication date after the cycle year": (
        CAL, "publish: {date: 2011-03-31}", "publish: {date: 2011-04-01}",
        "processes.child_poverty_strategy.receiving.publish.date: 2011-04-01 is outside the "
        "cycle year 2010-04-01 to 2011-03-31",
    ),
    "steps after in_force.end": (
        CAL, "    request: {date: 2010-05-17}\n",
        "    in_force: {end: 2010-06-15}\n    request: {date: 2010-05-17}\n",
        "processes.cypp_annual_review.ladder.on_the_day: falls on 2010-06-17, after "
        f"in_force.end 2010-06-15: {EVERY_STEP}",
    ),
    "a step before in_force.start": (
        CAL, "in_force: {start: 2010-03-25}\n    returns:\n      - id: needs_data",
        "in_force: {start: 2010-09-10}\n    returns:\n      - id: needs_data",
        "processes.joint_needs_analysis.request: falls on 2010-09-01, before in_force.start "
        f"2010-09-10: {EVERY_STEP}",
    ),
    "a receiving meeting after in_force.end": (
        CAL, "    request: {date: 2010-05-17}\n",
        "    in_force: {end: 2010-07-01}\n    request: {date: 2010-05-17}\n",
        "processes.cypp_annual_review.receiving.meeting: falls on 2010-07-05, after "
        f"in_force.end 2010-07-01: {EVERY_STEP}",
    ),
    "a request before the cycle start": (
        CAL, "request: {date: 2010-04-06}", "request: {working_days_before: 40, of: deadline}",
        "processes.membership_review.request: falls on 2010-03-24, before the cycle year "
        "starts on 2010-04-01",
    ),
    "a rung on the cut-off day": (
        CAL, "{name: escalate_4, working_days: 4, escalate: true}",
        "{name: escalate_4, working_days: 5, escalate: true}",
        "processes.membership_review.ladder.escalate_4: falls on 2010-06-01, not before the "
        "cut-off 2010-06-01: it can never be sent",
    ),
    "a rung after the cut-off": (
        CAL, "{name: escalate_4, working_days: 4, escalate: true}",
        "{name: escalate_4, working_days: 9, escalate: true}",
        "processes.membership_review.ladder.escalate_4: falls on 2010-06-07, not before the "
        "cut-off 2010-06-01: it can never be sent",
    ),
    "an event on a Saturday": (
        CAL, "when: {date: 2010-09-23,", "when: {date: 2010-09-25,",
        "processes.annual_conference.when: 2010-09-25 is a Saturday: events never move",
    ),
    "an event on a bank holiday": (
        CAL, "when: {date: 2010-09-23,", "when: {date: 2010-08-30,",
        "processes.annual_conference.when: 2010-08-30 is a bank holiday "
        "(Late Summer Bank Holiday): events never move",
    ),
    "an event a week after a meeting, on a Sunday": (
        CAL, "when: {meeting: {body: executive, date: 2010-11-17}}",
        "when: {days_after: 4, meeting: {body: executive, date: 2010-11-17}}",
        "processes.needs_assessment_and_draft_cypp.when: 2010-11-21 is a Sunday: events never "
        "move",
    ),
    "a meeting rule on a Saturday": (
        "bodies.yaml", '      time: "14:00"\n',
        '      time: "14:00"\n      rules: [{rule: "first Saturday of Jul"}]\n',
        "bodies.board.meetings.rules.0.rule: meets on a Saturday: meetings are Monday to Friday",
    ),
    "a month-day April does not have": (
        CAL, "request: {date: 2010-04-06}", 'request: {date: "04-31"}',
        "processes.membership_review.request.date: '04-31' is not a day: April has 30 days",
    ),
    "29 February as a month-day": (
        CAL, "request: {date: 2010-04-06}", 'request: {date: "02-29"}',
        "processes.membership_review.request.date: '02-29' is not in every cycle year: use "
        "02-28, 03-01 or a full date",
    ),
    "month 13": (
        CAL, "request: {date: 2010-04-06}", "request: {date: 2010-13-01}",
        "processes.membership_review.request.date: 2010-13-01 is not a date: month must be in "
        "1..12",
    ),
    "29 February in a year that has none": (
        CAL, "deadline: {date: 2011-02-11}", "deadline: {date: 2011-02-29}",
        "processes.child_poverty_strategy.deadline.date: 2011-02-29 is not a date: day is out "
        "of range for month",
    ),
    "a quoted full date that does not exist": (
        CAL, "request: {date: 2010-04-06}", 'request: {date: "2010-04-31"}',
        "processes.membership_review.request.date: '2010-04-31' is not a date: day is out of "
        "range for month",
    ),
    "a number for a date": (
        CAL, "request: {date: 2010-04-06}", "request: {date: 406}",
        "processes.membership_review.request.date: 406 is not a date (YYYY-MM-DD) or a "
        "month-day (MM-DD)",
    ),
    "a meeting date that does not exist": (
        "bodies.yaml", "dates: [2010-06-08, 2010-11-30]", "dates: [2010-06-08, 2010-11-31]",
        "bodies.board.meetings.dates[1]: 2010-11-31 is not a date: day is out of range for "
        "month",
    ),
    "a cycle start that does not exist": (
        "trust.yaml", 'cycle_start: "04-01"', 'cycle_start: "06-31"',
        "trust.cycle_start: '06-31' is not a day: June has 30 days",
    ),
}


def _broken(tmp_path: Path, src: Path, file: str, old: str, new: str) -> Path:
    config = tmp_path / "config"
    shutil.copytree(src, config)
    path = config / file
    text = path.read_text()
    assert old in text, f"the seed no longer has {old!r}"
    path.write_text(text.replace(old, new, 1))
    return config


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_each_date_mistake_is_one_line_naming_file_key_and_rule(
    name: str, tmp_path: Path
) -> None:
    file, old, new, expected = BREAKAGES[name]
    config = _broken(tmp_path, RUTLAND, file, old, new)

    with pytest.raises(ConfigError) as exc:
        load_config(config)

    assert str(exc.value) == f"{config / file}: {expected}"


def test_deadline_and_request_on_closed_days_roll_as_documented(tmp_path: Path) -> None:
    """Not errors: a configured deadline on a Saturday moves earlier (Friday), a request on
    New Year's Day (a Saturday; the holiday is observed on Monday 3 January) moves later."""
    config = _broken(tmp_path, RUTLAND, CAL, "request: {date: 2011-01-04}\n    deadline: "
                     "{date: 2011-02-11}", "request: {date: 2011-01-01}\n    deadline: "
                     "{date: 2011-02-12}")

    dates = resolve_year(load_config(config))["child_poverty_strategy"]

    assert dates.request == pendulum.datetime(2011, 1, 4, 9, tz="Europe/London")
    assert dates.deadline == pendulum.datetime(2011, 2, 11, 17, tz="Europe/London")


def test_a_duty_ending_at_the_cycle_end_is_not_in_the_next_years_calendar(
    tmp_path: Path,
) -> None:
    config = _broken(tmp_path, DEFAULT, CAL, "    request: {date: \"09-01\"}\n",
                     "    in_force: {end: 2027-03-31}\n    request: {date: \"09-01\"}\n")

    cfg = load_config(config)

    assert {s.process for s in timeline(cfg, 2026)} >= {"joint_needs_analysis"}
    assert "joint_needs_analysis" not in {s.process for s in timeline(cfg, 2027)}


def test_in_force_is_checked_in_each_later_year_the_process_runs(tmp_path: Path) -> None:
    """Month-day steps repeat every year: an end in June 2027 falls inside the 2027-28 cycle,
    whose 1 September request would be sent after the duty ended."""
    config = _broken(tmp_path, DEFAULT, CAL, "    request: {date: \"09-01\"}\n",
                     "    in_force: {end: 2027-06-30}\n    request: {date: \"09-01\"}\n")

    with pytest.raises(ConfigError) as exc:
        load_config(config)

    assert str(exc.value) == (
        f"{config / CAL}: processes.joint_needs_analysis.request: falls on 2027-09-01, after "
        f"in_force.end 2027-06-30: {EVERY_STEP}"
    )
