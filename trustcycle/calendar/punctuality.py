"""When a return came, against its deadline and the papers: the one classification that
the draft, the year's summary and the timeline all count with.

Pure: plain values in, a category out. A return counts by its *first* version (a
resubmission does not make an on-time return late); one never received is missing, or
waived when the officer waived it. "Late after papers" is a return whose first version
came after the papers went (or the document was published): the papers do not include it.
It lives with the calendar (below the drafts) so that the draft's context, the chase's
report and the timeline can all import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

ON_TIME = "on_time"
LATE = "late"
LATE_AFTER_PAPERS = "late_after_papers"
MISSING = "missing"
WAIVED = "waived"
CATEGORIES = (ON_TIME, LATE, LATE_AFTER_PAPERS, MISSING, WAIVED)
WORDS = {ON_TIME: "on time", LATE: "late", LATE_AFTER_PAPERS: "late after the papers",
         MISSING: "missing", WAIVED: "waived"}


def classify(
    *,
    received: bool,
    waived: bool,
    first_received_at: datetime | None = None,
    deadline_at: datetime | None = None,
    papers_at: datetime | None = None,
) -> str:
    """The category of one owed return. Without the times (a draft built by hand) a
    received return counts on time: nothing says otherwise."""
    if not received:
        return WAIVED if waived else MISSING
    if first_received_at is None:
        return ON_TIME
    if papers_at is not None and first_received_at > papers_at:
        return LATE_AFTER_PAPERS
    if deadline_at is not None and first_received_at > deadline_at:
        return LATE
    return ON_TIME


def tally(categories: Iterable[str]) -> dict[str, int]:
    """Counts per category, every category present (zeros included), in `CATEGORIES` order."""
    out = dict.fromkeys(CATEGORIES, 0)
    for category in categories:
        if category not in out:
            raise ValueError(f"unknown return category {category!r}")
        out[category] += 1
    return out


def tally_words(counts: dict[str, int]) -> str:
    """`9 on time, 1 late, 0 late after the papers, 1 missing, 0 waived`."""
    return ", ".join(f"{counts.get(c, 0)} {WORDS[c]}" for c in CATEGORIES)
