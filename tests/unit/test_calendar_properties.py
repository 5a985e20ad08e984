"""Properties of the calendar engine, checked with hypothesis against a brute-force model.

The model below counts days one by one from the `holidays` package's list for a nation
(England, Wales, Scotland, Northern Ireland, each drawn) and the weekday, so each property
compares the engine with an independent reckoning rather than with itself. Dates are drawn
from 2000-2060: every kind of year the nations have had or will have (Easter early and
late, bank holidays on weekends with substitutes, Scotland's 2 January and St Andrew's Day
moved off a weekend, Northern Ireland's 12 July, the one-off days of 2002, 2011, 2012, 2022
and 2023).

Runs are reproducible under CI (derandomized: a failure there is a bug, never a new draw);
locally each run draws afresh.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcycle.calendar.meetings import nth_weekday, occurrences, parse_rule
from trustcycle.calendar.workdays import Roll, WorkingDays, working_days
from trustcycle.chasing.rules import Action, RungDay, decide, last_sent_index, rung_days
from trustcycle.config.schema import Nation, Rung

settings.register_profile(
    "calendar",
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("calendar")

NATIONS = st.sampled_from(list(Nation))
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


@lru_cache(maxsize=512)
def _holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=[year]))


@dataclass(frozen=True)
class Model:
    """The model: Monday to Friday and not on the nation's list."""

    subdivision: str  # the package's own code, spelled here independently of the engine

    def working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(self.subdivision, day.year)

    def count_working(self, first: date, last: date) -> int:
        """Working days from `first` to `last`, both included (0 when `last` < `first`)."""
        return sum(self.working(first + timedelta(days=i))
                   for i in range((last - first).days + 1))


SUBDIVISIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}


def model_and_engine(nation: Nation) -> tuple[Model, WorkingDays]:
    return Model(SUBDIVISIONS[nation.value]), working_days(nation)


def pd(day: date) -> pendulum.Date:
    return pendulum.date(day.year, day.month, day.day)


def plain(day: date) -> date:
    return date(day.year, day.month, day.day)


@given(NATIONS, DAYS, st.integers(min_value=1, max_value=40))
def test_n_working_days_before_a_day_leaves_exactly_n_working_days_to_it(
    nation: Nation, x: date, n: int
) -> None:
    model, cal = model_and_engine(nation)
    deadline = plain(cal.working_days_before(pd(x), n))
    assert model.working(deadline)
    assert model.count_working(deadline, x - timedelta(days=1)) == n  # the deadline counts, x not


@given(NATIONS, DAYS, st.integers(min_value=1, max_value=40))
def test_n_working_days_after_a_day_is_the_nth_working_day_after_it(
    nation: Nation, x: date, n: int
) -> None:
    model, cal = model_and_engine(nation)
    later = plain(cal.working_days_after(pd(x), n))
    assert model.working(later)
    assert model.count_working(x + timedelta(days=1), later) == n


@given(NATIONS, DAYS, st.integers(min_value=-40, max_value=40))
def test_working_days_between_counts_as_the_model_and_undoes_adding(
    nation: Nation, x: date, n: int
) -> None:
    model, cal = model_and_engine(nation)
    moved = cal.add_working_days(pd(x), n)
    if n != 0 and model.working(x):
        assert cal.working_days_between(pd(x), moved) == n
    y = plain(moved)
    lo, hi = sorted((x, y))
    expected = model.count_working(lo + timedelta(days=1), hi)
    assert cal.working_days_between(pd(x), pd(y)) == (expected if y >= x else -expected)


@given(NATIONS, DAYS, st.integers(min_value=-3, max_value=40))
def test_the_working_days_in_a_span_are_the_models_both_ends_included(
    nation: Nation, start: date, length: int
) -> None:
    model, cal = model_and_engine(nation)
    end = start + timedelta(days=length)
    days = [plain(d) for d in cal.working_days_in(pd(start), pd(end))]
    span = [start + timedelta(days=i) for i in range(length + 1)]
    assert days == [d for d in span if model.working(d)]


@given(NATIONS, DAYS)
def test_zero_working_days_is_the_day_itself_rolled_later(nation: Nation, x: date) -> None:
    model, cal = model_and_engine(nation)
    assert cal.add_working_days(pd(x), 0) == cal.roll(pd(x), Roll.LATER)


@given(NATIONS, DAYS, st.integers(min_value=0, max_value=30))
def test_clear_days_exclude_both_the_publication_day_and_the_meeting_day(
    nation: Nation, meeting: date, n: int
) -> None:
    model, cal = model_and_engine(nation)
    papers = plain(cal.clear_days_before(pd(meeting), n))
    assert model.working(papers)
    between = (meeting - papers).days - 1  # days strictly between: both ends excluded
    assert between >= n
    # The latest such day: every later day that would still leave n clear days is closed.
    latest_allowed = meeting - timedelta(days=n + 1)
    assert papers <= latest_allowed
    assert model.count_working(papers + timedelta(days=1), latest_allowed) == 0


@given(NATIONS, DAYS)
def test_a_rolled_date_lands_on_a_working_day_in_its_direction_and_no_further(
    nation: Nation, x: date
) -> None:
    model, cal = model_and_engine(nation)
    earlier, later = plain(cal.roll(pd(x), Roll.EARLIER)), plain(cal.roll(pd(x), Roll.LATER))
    assert model.working(earlier) and model.working(later)
    assert earlier <= x <= later
    # Nothing skipped: every day passed over is closed.
    assert model.count_working(earlier + timedelta(days=1), x) == 0
    assert model.count_working(x, later - timedelta(days=1)) == 0
    if model.working(x):
        assert earlier == later == x
    assert cal.roll(pd(x), Roll.NONE) == pd(x)


RULES = st.tuples(
    st.sampled_from(sorted(ORDINALS)),
    st.sampled_from(WEEKDAYS),
    st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=12, unique=True),
    st.integers(min_value=2000, max_value=2058),
    st.integers(min_value=1, max_value=3),
)


@given(NATIONS, RULES)
def test_a_meeting_rule_gives_its_weekday_in_its_months_moved_only_off_bank_holidays(
    nation: Nation, drawn: tuple[str, str, list[int], int, int],
) -> None:
    model, cal = model_and_engine(nation)
    ordinal, weekday, months, first_year, years = drawn
    text = f"{ordinal} {weekday} of {', '.join(MONTHS[m - 1] for m in sorted(months))}"
    rule = parse_rule(text)
    start, end = date(first_year, 1, 1), date(first_year + years - 1, 12, 31)
    days = [plain(d) for d in occurrences(rule, pd(start), pd(end), cal)]
    assert len(days) == len(months) * years  # one a stated month, none lost or doubled
    assert days == sorted(set(days))
    wanted = WEEKDAYS.index(weekday)
    for day, (year, month) in zip(
        days, [(y, m) for y in range(first_year, first_year + years) for m in sorted(months)],
        strict=True,
    ):
        stated = plain(nth_weekday(year, month, wanted, ORDINALS[ordinal]))
        # The stated day, independently: the weekday, in the month, in its week of it.
        assert (stated.year, stated.month, stated.weekday()) == (year, month, wanted)
        week = (stated.day - 1) // 7 + 1
        if ORDINALS[ordinal] > 0:
            assert week == ORDINALS[ordinal]
        else:
            assert (stated + timedelta(days=7)).month != month
        if model.working(stated):
            assert day == stated
        else:  # a bank holiday: the next working day (README: rule meetings move later)
            assert model.working(day) and model.count_working(stated, day - timedelta(days=1)) == 0
            assert day > stated


def _chase(
    rungs: tuple[RungDay, ...], opened: date, cutoff: date, days: list[date], nation: Nation
) -> list[RungDay]:
    """Run the chase's decision on each of `days`, checking every send; the rungs sent."""
    model, cal = model_and_engine(nation)
    sent: list[RungDay] = []
    for today in days:
        decision = decide(
            rungs, last_sent_index(rungs, [r.name for r in sent]), today,
            status="open", opened_day=opened, cutoff_day=cutoff, days=cal,
        )
        if decision.action in (Action.remind, Action.escalate):
            rung = decision.rung
            assert rung is not None
            assert rung not in sent  # never twice
            assert opened < today < cutoff and model.working(today)
            assert rung.day <= today
            assert (decision.action is Action.escalate) == rung.escalate
            # Catch-up sends the latest rung due, never an older one after it.
            assert all(r.day > today for r in rungs if r.index > rung.index)
            sent.append(rung)
        elif today >= cutoff:
            assert decision.action is Action.mark_missing
        else:
            assert decision.action is Action.wait
    assert [r.index for r in sent] == sorted({r.index for r in sent})
    return sent


CHASES = st.tuples(
    st.lists(st.integers(min_value=-20, max_value=10), min_size=1, max_size=6, unique=True),
    DAYS,
    st.integers(min_value=1, max_value=15),  # cut-off: working days after the deadline
    st.integers(min_value=0, max_value=15),  # request: 6 weeks and this many days before
)


def _ladder(
    drawn: tuple[list[int], date, int, int], cal: WorkingDays
) -> tuple[tuple[RungDay, ...], date, date]:
    rung_working_days, deadline, cutoff_after, opened_before = drawn
    steps = sorted(rung_working_days)
    ladder = [
        Rung(name=f"r{i}", working_days=w, escalate=i == len(steps) - 1 and w > 0)
        for i, w in enumerate(steps)
    ]
    cutoff = plain(cal.working_days_after(pd(deadline), cutoff_after))
    return rung_days(ladder, deadline, cal), deadline - timedelta(days=42 + opened_before), cutoff


@given(NATIONS, CHASES, st.lists(st.booleans(), min_size=90, max_size=90))
def test_the_ladder_never_sends_a_rung_twice_nor_after_the_cut_off(
    nation: Nation, drawn: tuple[list[int], date, int, int], runs_on: list[bool]
) -> None:
    model, cal = model_and_engine(nation)
    rungs, opened, cutoff = _ladder(drawn, cal)
    # The chase runs on some days only (downtime on the others).
    days = [opened + timedelta(days=i) for i, runs in enumerate(runs_on) if runs]
    _chase(rungs, opened, cutoff, days, nation)


@given(NATIONS, CHASES)
def test_a_chase_run_every_day_sends_every_rung_on_its_own_day(
    nation: Nation, drawn: tuple[list[int], date, int, int],
) -> None:
    model, cal = model_and_engine(nation)
    rungs, opened, cutoff = _ladder(drawn, cal)
    days = [opened + timedelta(days=i) for i in range((cutoff - opened).days + 5)]
    sent = _chase(rungs, opened, cutoff, days, nation)
    # Each rung before the cut-off (all fall after the request: 20 working days are at most
    # 32 calendar days), unless a later rung shares its day (then only the later one goes).
    expected = [
        r for r in rungs
        if opened < r.day < cutoff and not any(o.day == r.day and o.index > r.index for o in rungs)
    ]
    assert sent == expected


SPANS = st.tuples(
    st.sampled_from([("two", 2), ("three", 3), ("four", 4), ("six", 6)]),
    st.integers(min_value=1, max_value=12),
    st.lists(st.integers(min_value=1, max_value=12), max_size=3, unique=True),
)


@given(SPANS)
def test_every_n_months_from_a_month_except_some_is_the_models_months(
    drawn: tuple[tuple[str, int], int, list[int]],
) -> None:
    (word, step), first, left_out = drawn
    model = {(first - 1 + k * step) % 12 + 1 for k in range(12 // step)}  # round the year
    text = f"second Tuesday every {word} months from {MONTHS[first - 1]}"
    if left_out:
        text += " except " + ", ".join(MONTHS[m - 1] for m in left_out)
    if not set(left_out) <= model or not model - set(left_out):
        try:
            parse_rule(text)
        except ValueError:
            return  # a month without a meeting, or none left: refused, never guessed
        raise AssertionError(f"{text!r} was accepted")
    assert parse_rule(text).months == tuple(sorted(model - set(left_out)))
