"""The cycle driver: one run a working day does everything the statutory calendar has due.

It runs the chase tick in its own run (the same tasks as the `chase-returns` flow) and, for
each process whose cut-off has come and whose papers have not gone, the process's
collect-draft-send step. Idempotent and catching up: a missed day, or an officer's extra
run, is harmless. Kept to few flow runs per day (see README, "Performance").
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from prefect import flow
from prefect.states import Completed, State
from prefect.utilities.annotations import quote

from flows.chase_returns import ChaseSummary, _tick
from flows.processes import run_statutory_process
from tasks.chase import open_trust
from tasks.cycle import processes_due
from tasks.processes import publish_timeline
from trustcycle import clock
from trustcycle.clock import FixedClock, use_clock
from trustcycle.workdays import is_working_day


@dataclass
class CycleDay:
    as_of: date
    chase: ChaseSummary | None = None
    processes: dict[str, str] = field(default_factory=dict)


@flow(name="run-cycle")
def run_cycle(
    as_of: date | None = None,
    dry_run: bool = False,
    config_dir: str = "config",
    cycle_year: int | None = None,
    database_url: str | None = None,
    approval: Literal["ui", "auto"] = "ui",
    inbox_dir: str = "var/inbox",
) -> State:
    """Run every step of the statutory calendar due on `as_of` (default: today)."""
    with use_clock(FixedClock.on(as_of)) if as_of else nullcontext():
        now = clock.now()
        today = now.date()
        if not is_working_day(today):
            return Completed(name="NotAWorkingDay", message=f"{today} is not a working day")
        day = CycleDay(as_of=today)
        cfg, db = open_trust(config_dir, database_url, now)
        day.chase = _tick(now, dry_run, cfg, db, inbox_dir)
        publish_timeline(quote(cfg), cycle_year or cfg.trust.cycle_year, today, None)
        for pid in processes_due(quote(db), quote(cfg), today):
            state = run_statutory_process(
                pid, today, dry_run, config_dir, cycle_year, database_url, approval
            )
            day.processes[pid] = state.name or "Completed"
        steps = ", ".join(f"{k}: {v}" for k, v in day.processes.items()) or "no process step"
        return Completed(
            name="CycleDayDone",
            data=day,
            message=f"{today}: {day.chase.rungs_queued} reminders queued, "
            f"{day.chase.delivered} emails sent; {steps}",
        )
