"""The reminder ladder and who owes what: pure rules over plain data (no DB, no Prefect).

The ladder (DOMAIN.md, "Deadline rules"): request, reminder before the deadline, reminder
on the day, overdue notice, then escalation to the partner's senior contact and the Trust
manager. Rung days are working days counted from the deadline, so they are computed once
per (process, deadline day), never per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import pendulum

from trustcycle.calendar.workdays import WorkingDays
from trustcycle.config import schema
from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig

# The fixed position of "no rung sent yet" below every rung index.
NONE_SENT = -1


class Action(StrEnum):
    """What the chase does with an open request today."""

    wait = "wait"
    remind = "remind"
    escalate = "escalate"
    mark_missing = "mark_missing"


@dataclass(frozen=True)
class RungDay:
    """One rung of a ladder placed on its working day."""

    index: int
    name: str
    day: date
    working_days: int
    escalate: bool


@dataclass(frozen=True)
class Decision:
    """The chase's verdict for one request on one day."""

    action: Action
    rung: RungDay | None = None


def _plain(day: date) -> date:
    return date(day.year, day.month, day.day)


def rung_days(
    ladder: Sequence[schema.Rung], deadline_day: date, days: WorkingDays
) -> tuple[RungDay, ...]:
    """The ladder's rungs on their days: `working_days` relative to the deadline day."""
    deadline = pendulum.date(deadline_day.year, deadline_day.month, deadline_day.day)
    return tuple(
        RungDay(i, r.name, _plain(days.add_working_days(deadline, r.working_days)),
                r.working_days, r.escalate)
        for i, r in enumerate(ladder)
    )


def last_sent_index(rungs: Sequence[RungDay], sent: Iterable[str]) -> int:
    """The index of the latest rung already sent (NONE_SENT when none)."""
    names = set(sent)
    return max((r.index for r in rungs if r.name in names), default=NONE_SENT)


def due_rung(rungs: Sequence[RungDay], last_sent: int, today: date) -> RungDay | None:
    """The latest rung whose day has come and that is later than any rung already sent.

    Catch-up after downtime sends only this one rung, never the missed ones in a burst.
    """
    due = None
    for rung in rungs:
        if rung.day <= today and rung.index > last_sent:
            due = rung
    return due


def decide(
    rungs: Sequence[RungDay],
    last_sent: int,
    today: date,
    *,
    status: str,
    opened_day: date,
    cutoff_day: date,
    days: WorkingDays,
) -> Decision:
    """What to do today for one request: wait, send a rung, or mark it missing."""
    if status != "open":
        return Decision(Action.wait)  # nobody is chased for a return received or waived
    if today >= cutoff_day:
        return Decision(Action.mark_missing)
    # Mail is sent on working days only; and the request email is that day's one message.
    if today <= opened_day or not days.is_working_day(today):
        return Decision(Action.wait)
    rung = due_rung(rungs, last_sent, today)
    if rung is None:
        return Decision(Action.wait)
    return Decision(Action.escalate if rung.escalate else Action.remind, rung)


def next_rung(rungs: Sequence[RungDay], last_sent: int, today: date) -> RungDay | None:
    """The next rung still to come after today (for the officer's table)."""
    return next((r for r in rungs if r.index > last_sent and r.day > today), None)


# --- who owes a return ------------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """One return owed by one partner to one process."""

    process: str
    partner: str
    return_id: str


def returns_owed(cfg: TrustConfig, process_ids: Iterable[str]) -> list[Owed]:
    """Every (partner, return) asked by the given processes."""
    return [
        Owed(pid, partner, spec.id)
        for pid in process_ids
        for spec in cfg.processes[pid].returns
        for partner in partners_asked(cfg, spec)
    ]


def requests_due_to_open(
    opens: Mapping[str, tuple[date, date]], today: date, days: WorkingDays
) -> list[str]:
    """Processes whose request day has come and whose window has not closed:
    {pid: (request day, last day to open)}.

    The window runs to the papers (or publication) day, not the cut-off: requests that
    were never opened because nothing ran on their day (the service down over a holiday)
    are opened late rather than silently never (`late_request_dates`). Only on a working
    day: requests are mail, and mail goes on working days.
    """
    if not days.is_working_day(today):
        return []
    return [pid for pid, (request, close) in opens.items() if request <= today < close]


@dataclass(frozen=True)
class RequestDates:
    """The deadline and cut-off a request is opened with (local days)."""

    deadline: date
    cutoff: date
    late: bool  # opened after its request day: the deadline may have moved


def late_request_dates(
    request: date, deadline: date, cutoff: date, today: date, notice: int, days: WorkingDays
) -> RequestDates:
    """A request opened on `today` never has a deadline in the past or too close.

    Opened on its day, it keeps the calendar's dates. Opened late, its deadline is at least
    `notice` working days away, and its cut-off at least one working day after that.
    """
    if today <= request:
        return RequestDates(deadline, cutoff, late=False)
    earliest = _plain(
        days.add_working_days(pendulum.date(today.year, today.month, today.day), notice)
    )
    new_deadline = max(deadline, earliest)
    new_cutoff = cutoff
    if new_cutoff <= new_deadline:
        d = pendulum.date(new_deadline.year, new_deadline.month, new_deadline.day)
        new_cutoff = _plain(days.add_working_days(d, 1))
    return RequestDates(new_deadline, new_cutoff, late=True)
