"""A report's route through several meetings, each with its own papers day, and the forward
plan's 28 clear days before a key decision (SI 2012/2089 reg 9)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
import pytest

from trustcycle.calendar.checks import _step_key
from trustcycle.calendar.timeline import resolve_year, timeline
from trustcycle.config import ConfigError, TrustConfig
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]

CYPP_RECEIVING = ('    receiving: {body: executive, '
                  'meeting: {body: executive, on_or_after: "07-01"}}')
CYPP_ROUTE = """    route:
      - {body: executive, meeting: {on_or_after: "07-01"}}
      - {body: hwb, meeting: {after_previous: true}, key_decision: true}"""
NEEDS_RECEIVING = ('    receiving: {body: executive, '
                   'meeting: {body: executive, on_or_after: "10-15"}}')
NEEDS_ROUTE = """    route:
      - {body: executive, meeting: {on_or_after: "10-15"}}
      - {body: board, meeting: {after_previous: true}}
      - {body: cabinet, meeting: {date: "12-15"}, key_decision: true, clear_days: 7}"""
CABINET = """  cabinet:
    name: Northdale Cabinet
    kind: cabinet
    clerk: {name: Sam Reid, role: Democratic Services, email: democratic.services@example.gov.uk}
    meetings:
      time: "18:00"
      dates: [2026-12-15, 2027-03-16]
  public:"""


def routed(tmp_path: Path, cypp: str = CYPP_ROUTE, needs: str = NEEDS_ROUTE) -> Path:
    """The default trust with the CYPP review going Executive then Health and Wellbeing
    Board (a key decision), and the needs analysis Executive, Board, then Cabinet."""
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    calendar = config / "calendar.yaml"
    text = calendar.read_text()
    assert CYPP_RECEIVING in text and NEEDS_RECEIVING in text
    calendar.write_text(text.replace(CYPP_RECEIVING, cypp).replace(NEEDS_RECEIVING, needs))
    bodies = config / "bodies.yaml"
    bodies.write_text(bodies.read_text().replace("  public:", CABINET, 1))
    return config


@pytest.fixture(scope="module")
def cfg(tmp_path_factory: pytest.TempPathFactory) -> TrustConfig:
    return load_config(routed(tmp_path_factory.mktemp("routes")))


def steps(cfg: TrustConfig, process: str) -> list[tuple[str, str, str | None]]:
    return [(s.at.format("ddd YYYY-MM-DD HH:mm"), s.name, s.body)
            for s in timeline(cfg, 2026) if s.process == process]


def test_a_two_meeting_route_has_papers_for_each_meeting_and_a_forward_plan_day(
    cfg: TrustConfig,
) -> None:
    after_cutoff = steps(cfg, "cypp_annual_review")[-7:]
    assert after_cutoff == [
        # 28 clear days before Thursday 16 July: 18 June to 15 July, both excluded days aside.
        ("Wed 2026-06-17 09:00", "forward_plan:hwb", "hwb"),
        ("Thu 2026-06-18 09:00", "escalation:escalate_5", None),
        ("Fri 2026-06-19 09:00", "cutoff", None),
        ("Thu 2026-06-25 09:00", "papers", "executive"),  # 5 clear days before 1 July
        ("Wed 2026-07-01 10:00", "meeting", "executive"),
        ("Fri 2026-07-10 09:00", "papers:hwb", "hwb"),  # 5 clear days before 16 July
        # The HWB's first meeting after the Executive's day: the third Thursday of July.
        ("Thu 2026-07-16 14:00", "meeting:hwb", "hwb"),
    ]


def test_the_deadline_refers_to_the_first_meeting_on_the_route(cfg: TrustConfig) -> None:
    dates = resolve_year(cfg, 2026)["cypp_annual_review"]
    assert dates.meeting is not None and dates.deadline is not None
    assert dates.meeting.format("YYYY-MM-DD") == "2026-07-01"
    # 14 working days before Wednesday 1 July 2026.
    assert dates.deadline.format("YYYY-MM-DD HH:mm") == "2026-06-11 17:00"
    assert [s.body for s in dates.stops] == ["executive", "hwb"]
    assert dates.stops[0].forward_plan is None


def test_a_three_meeting_route_each_with_its_own_clear_days(cfg: TrustConfig) -> None:
    routed_steps = [s for s in steps(cfg, "joint_needs_analysis")
                    if s[1].startswith(("papers", "meeting", "forward_plan"))]
    assert routed_steps == [
        ("Thu 2026-10-29 09:00", "papers", "executive"),
        # 1 October's Executive is before 15 October: the first on or after is 4 November.
        ("Wed 2026-11-04 10:00", "meeting", "executive"),
        # 28 clear days before Tuesday 15 December: Monday 16 November.
        ("Mon 2026-11-16 09:00", "forward_plan:cabinet", "cabinet"),
        ("Wed 2026-12-02 09:00", "papers:board", "board"),  # 5 clear days before 8 Dec
        ("Mon 2026-12-07 09:00", "papers:cabinet", "cabinet"),  # 7 clear days before 15 Dec
        ("Tue 2026-12-08 14:00", "meeting:board", "board"),
        ("Tue 2026-12-15 18:00", "meeting:cabinet", "cabinet"),
    ]


def test_a_forward_plan_day_on_a_weekend_or_bank_holiday_moves_earlier(tmp_path: Path) -> None:
    # Cabinet on Tuesday 26 January 2027: 29 days before is Sunday 27 December, then the
    # Christmas bank holidays (28 December substitute Boxing Day): Thursday 24 December.
    config = routed(tmp_path, needs=NEEDS_ROUTE.replace('date: "12-15"', 'date: "01-26"'))
    bodies = config / "bodies.yaml"
    bodies.write_text(bodies.read_text().replace("[2026-12-15, 2027-03-16]",
                                                 "[2026-12-15, 2027-01-26, 2027-03-16]"))
    stop = resolve_year(load_config(config), 2026)["joint_needs_analysis"].stops[-1]
    assert stop.forward_plan is not None
    assert stop.forward_plan.format("ddd YYYY-MM-DD HH:mm") == "Thu 2026-12-24 09:00"


def test_a_key_decision_at_the_one_receiving_meeting(tmp_path: Path) -> None:
    one = CYPP_RECEIVING.replace("}}", "}, key_decision: true}")
    cfg = load_config(routed(tmp_path, cypp=one))
    dates = resolve_year(cfg, 2026)["cypp_annual_review"]
    # 28 clear days before Wednesday 1 July: 3 June to 30 June; the notice on Tuesday 2 June.
    assert [(s.body, s.forward_plan and s.forward_plan.format("YYYY-MM-DD HH:mm"))
            for s in dates.stops] == [("executive", "2026-06-02 09:00")]
    assert ("Tue 2026-06-02 09:00", "forward_plan:executive", "executive") in steps(
        cfg, "cypp_annual_review")


def test_route_step_keys_name_the_route_entry(cfg: TrustConfig) -> None:
    proc = cfg.processes["joint_needs_analysis"]
    assert _step_key("papers", proc) == "route.0.clear_days"
    assert _step_key("meeting:board", proc) == "route.1.meeting"
    assert _step_key("forward_plan:cabinet", proc) == "route.2.key_decision"
    assert _step_key("papers", cfg.processes["membership_review"]) == "receiving.clear_days"


MISTAKES = {
    "the first meeting after the previous": (
        CYPP_ROUTE.replace('meeting: {on_or_after: "07-01"}', "meeting: {after_previous: true}"),
        "processes.cypp_annual_review: route.0.meeting: the first meeting has no previous "
        "one: give date, on_or_after or before",
    ),
    "a body twice": (
        CYPP_ROUTE.replace("body: hwb", "body: executive"),
        "processes.cypp_annual_review: route: executive is on the route twice (each body once)",
    ),
    "two selectors": (
        CYPP_ROUTE.replace("{after_previous: true}", '{after_previous: true, before: "03-01"}'),
        "processes.cypp_annual_review.route.1.meeting: give exactly one of date, on_or_after, "
        "before, after_previous: true",
    ),
    "receiving and route": (
        CYPP_ROUTE + '\n    receiving: {body: board, meeting: {body: board, on_or_after: "06-01"}}',
        "processes.cypp_annual_review: give receiving (one meeting) or route (several), not both",
    ),
    "an unknown body": (
        CYPP_ROUTE.replace("body: hwb", "body: hwbb"),
        "processes.cypp_annual_review.route.1.body: unknown body 'hwbb'",
    ),
    "meetings out of order": (
        # The HWB's last meeting before 1 July is in April: before the Executive's.
        CYPP_ROUTE.replace("{after_previous: true}", '{before: "07-01"}'),
        "processes.cypp_annual_review.route.1.meeting: Health and Wellbeing Board meets on "
        "2026-04-16, not after the previous meeting on the route (Children's Trust Executive, "
        "2026-07-01): a route goes in order",
    ),
    "a later meeting after the cycle year": (
        # The Executive's 3 March 2027, then the HWB's next: 15 April 2027, the next year.
        CYPP_ROUTE.replace('"07-01"', '"03-01"'),
        "processes.cypp_annual_review.route.1.meeting: Health and Wellbeing Board meets on "
        "2027-04-15, after the cycle year ends on 2027-03-31: its papers would never be sent",
    ),
    "no meeting after the previous": (
        # The Scrutiny Panel's last listed meeting is 9 February 2027.
        CYPP_ROUTE.replace("body: hwb", "body: scrutiny").replace('"07-01"', '"03-01"'),
        "processes.cypp_annual_review.route.1.meeting: no Children and Young People Scrutiny "
        "Panel meeting after the previous meeting on the route (2027-03-03)",
    ),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_route_mistake_is_one_line(name: str, tmp_path: Path) -> None:
    route, expected = MISTAKES[name]
    config = routed(tmp_path, cypp=route)
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    assert str(exc.value) == f"{config / 'calendar.yaml'}: {expected}"


def test_a_forward_plan_day_before_the_cycle_start_is_one_line(tmp_path: Path) -> None:
    # Everything else fits: requests on 1 April, returns due 2 April, cut-off 14 April,
    # papers 15 April for the HWB on Thursday 16 April, a key decision; its forward plan
    # day, 28 clear days before, is 18 March: before the cycle year, so never sent.
    april = """    route:
      - {body: hwb, meeting: {on_or_after: "04-01"}, key_decision: true, clear_days: 0}"""
    config = routed(tmp_path, cypp=april)
    calendar = config / "calendar.yaml"
    text = calendar.read_text()
    for old, new in (("request: {working_days_before: 20, of: deadline}",
                      'request: {date: "04-01"}'),
                     ("deadline: {working_days_before: 14, meeting: receiving}",
                      'deadline: {date: "04-02"}'),
                     ("ladder: *ladder\n    draft_template: cypp_annual_review",
                      "ladder: []\n    draft_template: cypp_annual_review")):
        assert old in text
        text = text.replace(old, new)
    calendar.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    assert str(exc.value) == (
        f"{calendar}: processes.cypp_annual_review.route.0.key_decision: the forward plan "
        "notice for Health and Wellbeing Board on 2026-04-16 falls on 2026-03-18 (28 clear "
        "days before, SI 2012/2089 reg 9), before the cycle year starts on 2026-04-01")


def test_the_calendar_file_has_each_meetings_papers_and_the_forward_plan(
    cfg: TrustConfig,
) -> None:
    from icalendar import Calendar

    from trustcycle.calendar.ics import timeline_ics

    stamp = pendulum.datetime(2026, 4, 2, 9, 0, tz="Europe/London")
    events = {(e.decoded("DTSTART").date().isoformat(), str(e["SUMMARY"])): e
              for e in Calendar.from_ical(timeline_ics(cfg, 2026, stamp)).walk("VEVENT")}
    title = "Annual review of the Children and Young People's Plan"
    fp = events[("2026-06-17", f"Forward plan notice (key decision): {title}")]
    assert "A key decision at Health and Wellbeing Board: on the forward plan 28 clear days " \
        "before the meeting (SI 2012/2089 reg 9)" in " ".join(str(fp["DESCRIPTION"]).split())
    papers = events[("2026-07-10", f"Papers published to Health and Wellbeing Board: {title}")]
    assert "Papers go to Health and Wellbeing Board, 5 clear days before" in str(
        papers["DESCRIPTION"])
    cabinet = events[("2026-12-07", "Papers published to Northdale Cabinet: Joint needs "
                      "analysis, including the child poverty needs assessment")]
    assert "7 clear days before" in str(cabinet["DESCRIPTION"])
    # The meetings are the bodies' own events (one each), listing the paper they take.
    hwb = events[("2026-07-16", "Health and Wellbeing Board meeting")]
    assert f"Paper: {title} (published 10 July 2026)." in str(hwb["DESCRIPTION"])
    assert not [k for k in events if k[1].startswith("Meeting:")]
