"""The Rutland 2010-11 timeline reproduces the dates of seed 000."""

from pathlib import Path

import pendulum
import pytest

from trustcycle.calendar.timeline import resolve_year, timeline
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rutland():  # type: ignore[no-untyped-def]
    return load_config(ROOT / "config" / "examples" / "rutland-2010")


def _at(steps, process: str, name: str) -> str:  # type: ignore[no-untyped-def]
    [step] = [s for s in steps if s.process == process and s.name == name]
    return step.at.format("YYYY-MM-DD HH:mm")


def test_rutland_2010_dates_match_the_seed(rutland) -> None:  # type: ignore[no-untyped-def]
    steps = timeline(rutland, 2010)
    assert _at(steps, "membership_review", "meeting") == "2010-06-08 14:00"
    assert _at(steps, "cypp_annual_review", "meeting") == "2010-07-05 10:00"
    # The first Executive on or after 1 October: bodies.yaml lists 18 October 2010.
    assert _at(steps, "joint_needs_analysis", "meeting") == "2010-10-18 10:00"
    assert _at(steps, "needs_assessment_and_draft_cypp", "event") == "2010-11-17 10:00"
    # Thursday 31 March 2011, a working day: published as dated, at 09:00.
    assert _at(steps, "child_poverty_strategy", "publish") == "2011-03-31 09:00"
    assert _at(steps, "annual_conference", "event") == "2010-09-23 09:30"  # its own time


def test_membership_review_cutoff_steps_over_the_spring_bank_holiday(rutland) -> None:  # type: ignore[no-untyped-def]
    dates = resolve_year(rutland, 2010)["membership_review"]
    assert dates.deadline is not None and dates.cutoff is not None and dates.papers is not None
    assert dates.deadline.format("YYYY-MM-DD HH:mm") == "2010-05-24 17:00"
    assert dates.cutoff.date() == pendulum.date(2010, 6, 1)  # 31 May 2010 skipped
    assert dates.papers.date() == pendulum.date(2010, 6, 2)  # 5 clear days before 8 June


def test_the_timeline_is_in_date_order_and_on_working_days(rutland) -> None:  # type: ignore[no-untyped-def]
    from trustcycle.calendar.workdays import working_days
    from trustcycle.config.schema import Nation

    ENGLAND = working_days(Nation.england)

    steps = timeline(rutland, 2010)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    for step in steps:
        if step.name != "event":
            assert ENGLAND.is_working_day(step.at.date()), step


def test_month_day_references_follow_the_cycle_year() -> None:
    cfg = load_config(ROOT / "config")
    first = {s.name: s.at for s in timeline(cfg, 2026) if s.process == "membership_review"}
    second = {s.name: s.at for s in timeline(cfg, 2027) if s.process == "membership_review"}
    assert first["request"].year == 2026 and second["request"].year == 2027
    assert first["meeting"].format("ddd") == "Tue" == second["meeting"].format("ddd")


def test_the_timeline_table_marks_steps_from_what_was_recorded(rutland) -> None:  # type: ignore[no-untyped-def]
    from trustcycle.calendar.timeline import Recorded, timeline_markdown

    recorded = Recorded(done={("membership_review", "request"): pendulum.date(2010, 4, 6),
                              ("membership_review", "reminder:before_3"):
                                  pendulum.date(2010, 5, 19)})
    text = timeline_markdown(rutland, 2010, pendulum.date(2010, 6, 3), "membership_review",
                             recorded)
    lines = [line for line in text.splitlines() if line.startswith("| ")][1:]
    marks = [line.split(" | ")[0].removeprefix("| ") for line in lines]
    # request done; rungs sent or not; deadline passed; cut-off and papers never recorded:
    # missed; the meeting is next.
    assert marks == ["done 6 Apr", "not sent", "done 19 May", "not sent", "passed", "not sent",
                     "not sent", "**missed**", "**missed**", "**next**"]
    assert lines[-1] == ("| **next** | Tue 8 Jun 2010 14:00 | Review of Trust membership "
                         "against the new statutory duties to Rutland Children's Trust Board | "
                         "Rutland Children's Trust Board |")


def test_a_step_done_after_its_day_or_audited_late_is_marked_done_late(rutland) -> None:  # type: ignore[no-untyped-def]
    from trustcycle.calendar.timeline import Recorded, timeline_markdown

    recorded = Recorded(done={("membership_review", "request"): pendulum.date(2010, 4, 9)})
    text = timeline_markdown(rutland, 2010, pendulum.date(2010, 4, 9), "membership_review",
                             recorded)
    assert "| done late (9 Apr) | Tue 6 Apr 2010 09:00 |" in text
