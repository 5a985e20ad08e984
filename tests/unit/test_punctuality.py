"""One classification of when a return came: on time, late, late after the papers,
missing, waived."""

from __future__ import annotations

import pendulum
import pytest

from trustcycle.calendar.punctuality import CATEGORIES, classify, tally, tally_words

DEADLINE = pendulum.datetime(2010, 6, 17, 17, tz="Europe/London")
PAPERS = pendulum.datetime(2010, 6, 29, 9, 5, tz="Europe/London")


@pytest.mark.parametrize(("first", "papers", "expected"), [
    (DEADLINE, PAPERS, "on_time"),  # at 17:00 on the deadline: on time
    (DEADLINE.add(seconds=1), PAPERS, "late"),
    (PAPERS, PAPERS, "late"),  # the same instant as the papers: they could include it
    (PAPERS.add(minutes=1), PAPERS, "late_after_papers"),
    (PAPERS.add(minutes=1), None, "late"),  # no papers yet: merely late
])
def test_a_received_return_is_classed_by_its_first_version(
    first: pendulum.DateTime, papers: pendulum.DateTime | None, expected: str
) -> None:
    assert classify(received=True, waived=False, first_received_at=first,
                    deadline_at=DEADLINE, papers_at=papers) == expected


def test_a_return_never_received_is_missing_unless_waived_and_received_wins() -> None:
    assert classify(received=False, waived=False, deadline_at=DEADLINE) == "missing"
    assert classify(received=False, waived=True, deadline_at=DEADLINE) == "waived"
    assert classify(received=True, waived=True, first_received_at=DEADLINE,
                    deadline_at=DEADLINE) == "on_time"
    assert classify(received=True, waived=False) == "on_time"  # no times: nothing says late


def test_a_tally_names_every_category_in_order_and_refuses_an_unknown_one() -> None:
    counts = tally(["late", "missing", "late"])
    assert list(counts) == list(CATEGORIES)
    assert tally_words(counts) == "0 on time, 2 late, 0 late after the papers, 1 missing, 0 waived"
    with pytest.raises(ValueError, match="unknown return category 'lost'"):
        tally(["lost"])
