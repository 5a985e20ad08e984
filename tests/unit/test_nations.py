"""Each nation's bank holidays close its working days, and the trust's nation is the one used.

The expected days are gov.uk's published lists for each nation (weekday closures only, a
holiday on a weekend being closed anyway), typed in by hand, never the engine's output:
Scotland has 2 January, the first Monday of August, St Andrew's Day and no Easter Monday
(and the one-off Monday 15 June 2026); Northern Ireland has St Patrick's Day and 12 July,
each moved to the Monday at a weekend; Wales has England's.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pendulum
import pytest

from trustcycle.calendar.timeline import resolve_year
from trustcycle.calendar.workdays import for_trust, working_days
from trustcycle.config import ConfigError
from trustcycle.config.schema import Nation
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
RUTLAND = ROOT / "config" / "examples" / "rutland-2010"
D = pendulum.date

ENGLAND_2026_27 = [
    date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25), date(2026, 8, 31),
    date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26),
    date(2027, 3, 29),
]
ENGLAND_2027_28 = [
    date(2027, 5, 3), date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27),
    date(2027, 12, 28), date(2028, 1, 3),
]
CLOSED: dict[tuple[Nation, int], list[date]] = {
    (Nation.england, 2026): ENGLAND_2026_27,
    (Nation.england, 2027): ENGLAND_2027_28,
    (Nation.wales, 2026): ENGLAND_2026_27,
    (Nation.wales, 2027): ENGLAND_2027_28,
    (Nation.scotland, 2026): [
        date(2026, 4, 3), date(2026, 5, 4), date(2026, 5, 25), date(2026, 6, 15),
        date(2026, 8, 3), date(2026, 11, 30), date(2026, 12, 25), date(2026, 12, 28),
        date(2027, 1, 1), date(2027, 1, 4), date(2027, 3, 26),
    ],
    (Nation.scotland, 2027): [
        date(2027, 5, 3), date(2027, 5, 31), date(2027, 8, 2), date(2027, 11, 30),
        date(2027, 12, 27), date(2027, 12, 28), date(2028, 1, 3), date(2028, 1, 4),
    ],
    (Nation.northern_ireland, 2026): [
        date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
        date(2026, 7, 13), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
        date(2027, 1, 1), date(2027, 3, 17), date(2027, 3, 26), date(2027, 3, 29),
    ],
    (Nation.northern_ireland, 2027): [
        date(2027, 5, 3), date(2027, 5, 31), date(2027, 7, 12), date(2027, 8, 30),
        date(2027, 12, 27), date(2027, 12, 28), date(2028, 1, 3), date(2028, 3, 17),
    ],
}


@pytest.mark.parametrize(("nation", "year"), sorted(CLOSED, key=lambda k: (k[0].value, k[1])),
                         ids=lambda v: v.value if isinstance(v, Nation) else str(v))
def test_each_nations_weekday_bank_holidays_in_the_cycle_year_are_govuks(
    nation: Nation, year: int
) -> None:
    days = working_days(nation)
    start = date(year, 4, 1)
    span = [start + timedelta(days=i) for i in range((date(year + 1, 4, 1) - start).days)]
    closed = [d for d in span if d.weekday() < 5 and not days.is_working_day(d)]
    assert closed == CLOSED[(nation, year)]


def test_st_andrews_day_on_a_sunday_is_the_monday_after_in_scotland_only() -> None:
    # 30 November 2025 and 2031 are Sundays.
    scotland, england = working_days(Nation.scotland), working_days(Nation.england)
    for monday in (date(2025, 12, 1), date(2031, 12, 1)):
        assert not scotland.is_working_day(monday)
        assert scotland.bank_holiday_name(monday) == "Saint Andrew's Day (observed)"
        assert england.is_working_day(monday)


def test_working_days_count_past_the_nations_own_holidays() -> None:
    # Friday 31 July 2026 + 1 working day: Monday 3 August, but Tuesday 4 in Scotland.
    assert working_days(Nation.england).add_working_days(D(2026, 7, 31), 1) == D(2026, 8, 3)
    assert working_days(Nation.scotland).add_working_days(D(2026, 7, 31), 1) == D(2026, 8, 4)
    # 5 clear days before Tuesday 14 July 2026: Wednesday 8 July everywhere (the 13th is
    # inside the clear days, not the publication day); 7 working days before it skip the
    # 13th in Northern Ireland only.
    for nation in Nation:
        assert working_days(nation).clear_days_before(D(2026, 7, 14), 5) == D(2026, 7, 8)
    assert working_days(Nation.wales).working_days_before(D(2026, 7, 14), 7) == D(2026, 7, 3)
    assert working_days(Nation.northern_ireland).working_days_before(
        D(2026, 7, 14), 7) == D(2026, 7, 2)
    # Easter Monday 2027 (29 March) is a working day in Scotland only.
    assert working_days(Nation.scotland).working_days_between(D(2027, 3, 25), D(2027, 3, 30)) == 2
    assert working_days(Nation.england).working_days_between(D(2027, 3, 25), D(2027, 3, 30)) == 1


def _rutland(tmp_path: Path, nation: str | None, when: str = "2010-09-23",
             board: str = "2010-11-29") -> Path:
    """Rutland 2010 with a nation, the conference `when`, and the board's second meeting
    on `board` (the seed's 30 November is St Andrew's Day)."""
    config = tmp_path / "config"
    shutil.copytree(RUTLAND, config)
    edits = {
        "trust.yaml": ("  timezone: Europe/London\n", "  timezone: Europe/London\n"
                       + (f"  nation: {nation}\n" if nation else "")),
        "calendar.yaml": ("when: {date: 2010-09-23,", f"when: {{date: {when},"),
        "bodies.yaml": ("dates: [2010-06-08, 2010-11-30]", f"dates: [2010-06-08, {board}]"),
    }
    for name, (old, new) in edits.items():
        path = config / name
        assert old in path.read_text()
        path.write_text(path.read_text().replace(old, new, 1))
    return config


def test_a_trust_without_a_nation_is_english_as_the_readme_says(tmp_path: Path) -> None:
    assert for_trust(load_config(_rutland(tmp_path, None))).nation is Nation.england


def test_a_board_meeting_on_st_andrews_day_is_refused_for_a_scottish_trust_only(
    tmp_path: Path,
) -> None:
    assert load_config(_rutland(tmp_path / "e", "england", board="2010-11-30"))
    config = _rutland(tmp_path / "s", "scotland", board="2010-11-30")
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    assert str(exc.value) == (
        f"{config / 'bodies.yaml'}: bodies.board.meetings.dates.1: 2010-11-30 is a bank "
        "holiday (Saint Andrew's Day)")


def test_an_event_on_scotlands_august_bank_holiday_is_refused_for_a_scottish_trust_only(
    tmp_path: Path,
) -> None:
    # Monday 2 August 2010: Scotland's summer bank holiday, an English working day.
    assert load_config(_rutland(tmp_path / "e", "england", "2010-08-02"))
    config = _rutland(tmp_path / "s", "scotland", "2010-08-02")
    with pytest.raises(ConfigError) as exc:
        load_config(config)
    assert str(exc.value) == (
        f"{config / 'calendar.yaml'}: processes.annual_conference.when: 2010-08-02 is a bank "
        "holiday (Summer Bank Holiday): events never move")
    # England's late summer bank holiday (30 August) is a Scottish working day.
    assert load_config(_rutland(tmp_path / "s2", "scotland", "2010-08-30"))


def test_a_scottish_trusts_calendar_counts_its_own_working_days(tmp_path: Path) -> None:
    english = resolve_year(load_config(_rutland(tmp_path / "e", None)))
    scottish = resolve_year(load_config(_rutland(tmp_path / "s", "scotland")))
    scotland = working_days(Nation.scotland)
    for dates in scottish.values():
        for at in (dates.request, dates.deadline, dates.cutoff, dates.papers, dates.publish):
            if at is not None:
                assert scotland.is_working_day(at.date()), (dates.process, at)
        for day in dates.rungs.values():
            assert scotland.is_working_day(day), (dates.process, day)
    # The one step that moves: the child poverty strategy's request on Tuesday 4 January
    # 2011 is Scotland's 2 January holiday (a Sunday, so Tuesday), sent on Wednesday 5.
    london = "Europe/London"
    assert english["child_poverty_strategy"].request == pendulum.datetime(2011, 1, 4, 9, tz=london)
    assert scottish["child_poverty_strategy"].request == pendulum.datetime(2011, 1, 5, 9, tz=london)
    assert [pid for pid in english if english[pid] != scottish[pid]] == ["child_poverty_strategy"]
