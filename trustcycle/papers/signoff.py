"""The contact officer's sign-off of a draft: what a valid answer is, and when to remind.

Pure rules (no Prefect, no database). The form itself is a Prefect `RunInput` in
`flows/assemble_draft.py`; the waiting run is found and started by `tasks/signoff.py`.
"""

from __future__ import annotations

from datetime import date

import pendulum

from trustcycle.calendar.workdays import WorkingDays

# Remind the officer when the papers day is this many working days away (or fewer).
REMIND_WORKING_DAYS = 2
DECISIONS = ("approve", "request_changes")


def answer_problem(decision: str | None, officer: str, comment: str) -> str | None:
    """Why an answer cannot be taken (it is asked again), or None when it can."""
    if decision not in DECISIONS:
        return "choose approve or request changes"
    if not officer.strip():
        return "give your name: it is recorded in the audit log and printed on the papers"
    if decision == "request_changes" and not comment.strip():
        return "say what should change: a change request needs a comment"
    return None


def working_days_left(today: date, papers: date, days: WorkingDays) -> int:
    """Working days after `today` up to and including the papers day (0 on the day)."""
    if papers <= today:
        return 0
    start = pendulum.date(today.year, today.month, today.day).add(days=1)
    return len(days.working_days_in(start, pendulum.date(papers.year, papers.month, papers.day)))


def reminder_due(today: date, papers: date, days: WorkingDays) -> int | None:
    """Working days left when a waiting draft's reminder is due today, else None.

    From `REMIND_WORKING_DAYS` working days before the papers day until the papers day
    itself; nothing after it (the papers-late alert takes over).
    """
    if today > papers:
        return None
    left = working_days_left(today, papers, days)
    return left if left <= REMIND_WORKING_DAYS else None


def signoff_tags(trust: str, process: str, year: int) -> list[str]:
    """The tags that find a process's sign-off runs in Prefect (and filter them in the UI)."""
    return ["trustcycle", trust, "signoff", f"process:{process}", f"cycle-year:{year}"]
