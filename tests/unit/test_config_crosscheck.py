"""One test per rule of `trustcycle/calendar/checks.py`: each breaks the Rutland 2010
configuration in one place and expects exactly one line naming the file, key and rule.

Dates are worked out by hand from the seed's calendar (weekdays and the 2010 England bank
holidays: 5 April Easter Monday, 3 May, 31 May, 30 August), never by the engine under test.
Rules already tested exactly in test_config.py (unknown lead partner, deadline before the
request, meeting on a bank holiday) are not repeated here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trustcycle.config import ConfigError
from trustcycle.paths import templates_dir
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
MEMBERSHIP_LADDER = """      - {name: before_10, working_days: -10}
      - {name: before_3, working_days: -3}
      - {name: on_the_day, working_days: 0}
      - {name: overdue_2, working_days: 2}
      - {name: escalate_4, working_days: 4, escalate: true}"""

# name: (file edited, text, replacement, file named in the error, "key: rule broken")
BREAKAGES: dict[str, tuple[str, str, str, str, str]] = {
    "a member's unknown partner": (
        "bodies.yaml", "partner: probation", "partner: nobody", "bodies.yaml",
        "bodies.board.members.4.partner: unknown partner 'nobody'",
    ),
    "a body's two members with one email": (
        "bodies.yaml", "email: peter.lane@nhs.example.uk", "email: c.benham@rutland.example.gov.uk",
        "bodies.yaml",
        "bodies.board.members.3.person.email: duplicate email c.benham@rutland.example.gov.uk: "
        "members.1 is 'Carol Benham' (one email is one person, with one name)",
    ),
    "a meeting rule that cannot be read": (
        "bodies.yaml", '      time: "14:00"\n',
        '      time: "14:00"\n      rules: [{rule: "second Funday of Jan, Jul"}]\n',
        "bodies.yaml", "bodies.board.meetings.rules.0.rule: 'Funday' is not a weekday",
    ),
    "a meeting rule on a Saturday": (
        "bodies.yaml", '      time: "14:00"\n',
        '      time: "14:00"\n      rules: [{rule: "second Saturday of Jan, Jul"}]\n',
        "bodies.yaml",
        "bodies.board.meetings.rules.0.rule: meets on a Saturday: meetings are Monday to Friday",
    ),
    "a meeting rule on a Sunday": (
        "bodies.yaml", '      time: "14:00"\n',
        '      time: "14:00"\n      rules: [{rule: "last Sunday of Jan"}]\n',
        "bodies.yaml",
        "bodies.board.meetings.rules.0.rule: meets on a Sunday: meetings are Monday to Friday",
    ),
    "a meeting on a Saturday": (
        "bodies.yaml", "dates: [2010-06-08, 2010-11-30]", "dates: [2010-06-08, 2010-11-27]",
        "bodies.yaml", "bodies.board.meetings.dates.1: 2010-11-27 is a Saturday",
    ),
    "a return asked of an unknown partner": (
        "calendar.yaml", "asked_of: {all: true}\n    request: {date: 2010-04-06}",
        "asked_of: {partners: [police, nobody]}\n    request: {date: 2010-04-06}",
        "calendar.yaml",
        "processes.membership_review.returns.0.asked_of.partners.1: unknown partner 'nobody'",
    ),
    "papers for an unknown body": (
        "calendar.yaml", "receiving: {body: public,", "receiving: {body: nobody,",
        "calendar.yaml", "processes.child_poverty_strategy.receiving.body: unknown body 'nobody'",
    ),
    "papers for a meeting of an unknown body": (
        "calendar.yaml", "meeting: {body: board, date: 2010-06-08}",
        "meeting: {body: nobody, date: 2010-06-08}", "calendar.yaml",
        "processes.membership_review.receiving.meeting.body: unknown body 'nobody'",
    ),
    "an event at a meeting of an unknown body": (
        "calendar.yaml", "when: {meeting: {body: executive,", "when: {meeting: {body: nobody,",
        "calendar.yaml",
        "processes.needs_assessment_and_draft_cypp.when.meeting.body: unknown body 'nobody'",
    ),
    "a trigger naming an unknown process": (
        "calendar.yaml", "triggers: [child_poverty_strategy]", "triggers: [child_poverty]",
        "calendar.yaml",
        "processes.joint_needs_analysis.triggers.0: unknown process 'child_poverty'",
    ),
    "a draft template that does not exist": (
        "calendar.yaml", "draft_template: membership_review", "draft_template: membership",
        "calendar.yaml",
        "processes.membership_review.draft_template: no template "
        f"{templates_dir() / 'drafts' / 'membership.md.j2'}",
    ),
    "a scripted answer from an unknown partner": (
        "scenario.yaml", "{partner: police, process: membership_review",
        "{partner: nobody, process: membership_review", "scenario.yaml",
        "answers.0.partner: unknown partner 'nobody'",
    ),
    "a scripted answer to an unknown process": (
        "scenario.yaml", "{partner: police, process: membership_review",
        "{partner: police, process: membership", "scenario.yaml",
        "answers.0.process: unknown process 'membership'",
    ),
    "a required category no partner has": (
        "trust.yaml", "fe_colleges, jobcentre_plus]", "fe_colleges, jobcentre_plus, fire]",
        "trust.yaml", "trust.required_categories.10: no partner of category fire",
    ),
    # 24 May 2010 is the deadline; the cut-off 9:00 on the Friday before it.
    "a cut-off before the deadline": (
        "calendar.yaml", "cutoff: {working_days_after: 5, of: deadline}",
        "cutoff: {date: 2010-05-21}", "calendar.yaml",
        "processes.membership_review.cutoff: 2010-05-21 is before the deadline 2010-05-24",
    ),
    # A cut-off at 09:00 on the deadline day is still before the deadline's 17:00.
    "a cut-off on the deadline day before the deadline's hour": (
        "calendar.yaml", "cutoff: {working_days_after: 5, of: deadline}",
        "cutoff: {date: 2010-05-24}", "calendar.yaml",
        "processes.membership_review.cutoff: 2010-05-24 is before the deadline 2010-05-24",
    ),
    # Board 8 June 2010 (Tuesday): 5 clear days before is Wednesday 2 June. The deadline
    # (24 May) + 7 working days, skipping the 31 May bank holiday, is Thursday 3 June.
    "papers due before the cut-off": (
        "calendar.yaml", "cutoff: {working_days_after: 5, of: deadline}",
        "cutoff: {working_days_after: 7, of: deadline}", "calendar.yaml",
        "processes.membership_review.receiving: papers are due 2010-06-02, before the "
        "cut-off 2010-06-03",
    ),
    # 33 working days before Monday 24 May 2010 is the request day, Tuesday 6 April: 15 in
    # May (3 May is a bank holiday) and 18 from 7 to 30 April.
    "a rung on the request day": (
        "calendar.yaml", MEMBERSHIP_LADDER, MEMBERSHIP_LADDER.replace("-10}", "-33}"),
        "calendar.yaml",
        "processes.membership_review.ladder.before_10: falls on 2010-04-06, not after the "
        "request date 2010-04-06",
    ),
    # The child poverty strategy's deadline is 17:00 on 11 February 2011: a request at that
    # instant. (A request at 09:00 that day leaves the deadline after it; its rungs before
    # the request are then refused, one line each.)
    "a deadline at the request's instant": (
        "calendar.yaml", "request: {date: 2011-01-04}",
        'request: {date: 2011-02-11, time: "17:00"}',
        "calendar.yaml",
        "processes.child_poverty_strategy.deadline: 2011-02-11 is not after the request date "
        "2011-02-11",
    ),
}

# The edge on the right side of each dated rule: accepted.
ALLOWED: dict[str, tuple[str, str, str]] = {
    # Its ladder keeps only the rungs before the deadline day: a rung on or after the
    # cut-off's day can never be sent (test_config_dates.py).
    "a cut-off at the deadline's very instant": (
        "calendar.yaml",
        "cutoff: {working_days_after: 5, of: deadline}               # 1 June: skips the 31 "
        "May bank holiday\n    ladder:\n" + MEMBERSHIP_LADDER,
        'cutoff: {date: 2010-05-24, time: "17:00"}\n    ladder:\n'
        + "\n".join(MEMBERSHIP_LADDER.splitlines()[:2]),
    ),
    # 6 working days after 24 May (31 May skipped) is 2 June, the papers day, both 09:00.
    "a cut-off on the papers day": (
        "calendar.yaml", "cutoff: {working_days_after: 5, of: deadline}",
        "cutoff: {working_days_after: 6, of: deadline}",
    ),
    "a meeting rule on a Friday": (
        "bodies.yaml", '      time: "14:00"\n',
        '      time: "14:00"\n      rules: [{rule: "last Friday of Jan"}]\n',
    ),
    # Friday 26 November 2010: meetings are Monday to Friday.
    "a meeting on a Friday": (
        "bodies.yaml", "dates: [2010-06-08, 2010-11-30]", "dates: [2010-06-08, 2010-11-26]",
    ),
    "a rung the day after the request": (
        "calendar.yaml", MEMBERSHIP_LADDER, MEMBERSHIP_LADDER.replace("-10}", "-32}"),
    ),
}


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    directory = tmp_path / "config"
    shutil.copytree(RUTLAND, directory)
    path = directory / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    path.write_text(text.replace(old, new))
    return directory


def test_the_membership_ladder_these_edits_rely_on_is_the_seeds() -> None:
    assert MEMBERSHIP_LADDER in (RUTLAND / "calendar.yaml").read_text()


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_each_cross_file_rule_is_one_line_naming_file_key_and_rule(
    name: str, tmp_path: Path
) -> None:
    file, old, new, named, problem = BREAKAGES[name]
    directory = _broken(tmp_path, file, old, new)
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    assert str(info.value).splitlines() == [f"{directory / named}: {problem}"]


@pytest.mark.parametrize("name", list(ALLOWED))
def test_the_edge_each_dated_rule_allows_loads(name: str, tmp_path: Path) -> None:
    load_config(_broken(tmp_path, *ALLOWED[name]))


STYLE_LINE = "  attendance_threshold: 0.75\n"


def _house_style(tmp_path: Path, name: str, present: bool) -> Path:
    directory = _broken(tmp_path, "trust.yaml", STYLE_LINE, f"{STYLE_LINE}  house_style: {name}\n")
    if present:
        (directory / name).write_bytes(b"PK\x03\x04")
    return directory


def test_a_house_style_must_be_a_word_document_that_exists(tmp_path: Path) -> None:
    for name, present in (("style.odt", True), ("style.docx", False)):
        directory = _house_style(tmp_path / name, name, present)
        with pytest.raises(ConfigError) as info:
            load_config(directory)
        assert str(info.value).splitlines() == [
            f"{directory / 'trust.yaml'}: trust.house_style: no Word document {directory / name}"
        ]


def test_a_house_style_that_is_a_word_document_in_the_directory_loads(tmp_path: Path) -> None:
    directory = _house_style(tmp_path, "style.docx", present=True)
    assert load_config(directory).trust.house_style == "style.docx"
