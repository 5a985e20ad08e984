"""The cycle driver: one run a working day does everything the statutory calendar has due.

It runs the chase tick (the same tasks as the `chase-returns` flow), reminds the officer
of drafts still waiting for sign-off near their papers day, and, for each process whose
cut-off has come and whose papers have not gone, the process's collect-and-sign-off step.
Idempotent and catching up: a missed day, or an officer's extra run, is harmless.

Honest end states: a process that failed makes the cycle run FAILED (the others still
ran); a day off is `NotAWorkingDay`; otherwise `CycleDayDone`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from prefect import flow, get_run_logger, runtime
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from flows.chase_returns import ChaseSummary, _tick
from flows.processes import run_statutory_process
from tasks.chase import open_trust, read_config
from tasks.cycle import processes_due
from tasks.mail import deliver_outbox
from tasks.processes import publish_timeline
from tasks.route import queue_route_steps
from tasks.schedules import register_step_schedules
from tasks.signoff import remind_waiting_signoffs
from trustcycle.calendar import clock
from trustcycle.calendar.workdays import for_trust
from trustcycle.settings import run_settings


@dataclass
class CycleDay:
    as_of: date
    chase: ChaseSummary | None = None
    processes: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


@flow(name="run-cycle")
def run_cycle(
    as_of: date | None = None,
    dry_run: bool = False,
    config_dir: str = "config",
    cycle_year: int | None = None,
) -> State:
    """Run every step of the statutory calendar due on `as_of` (default: today)."""
    now = clock.now()  # the wall clock: what is recorded or sent carries it
    today = clock.planning_day(as_of)  # which steps are due
    trust = read_config(config_dir)  # its nation's bank holidays close the day
    if not for_trust(trust).is_working_day(today):
        return Completed(name="NotAWorkingDay", data=today.isoformat(),
                         message=f"{today} is not a working day in {trust.trust.nation.value}")
    day = CycleDay(as_of=today)
    cfg, db = open_trust(config_dir, None, now, cycle_year, today)
    year = cfg.trust.cycle_year
    day.chase = _tick(today, now, dry_run, cfg, db)
    publish_timeline(config_dir, year, today, None)
    if not dry_run and runtime.deployment.id:
        # Served: keep the step days scheduled a year ahead (the cycle year rolls over on
        # its own), and remind the officer of drafts still waiting near their papers day.
        register_step_schedules(config_dir, today)
        if run_settings().signoff == "ui" and remind_waiting_signoffs(config_dir, year,
                                                                      today, now):
            deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
    for pid in processes_due(quote(db), quote(cfg), today):
        try:
            state = run_statutory_process(pid, today, dry_run, config_dir, year)
        except Exception as exc:  # noqa: BLE001 - one process failing must not stop the rest
            get_run_logger().exception("%s failed", pid)
            day.failed[pid] = f"{type(exc).__name__}: {exc}"
            continue
        if state.is_failed() or state.is_crashed():
            day.failed[pid] = state.message or state.name or "failed"
        day.processes[pid] = state.name or "Completed"
    if not dry_run:  # after the papers above: a later meeting's papers follow the first's
        route = queue_route_steps(quote(db), quote(cfg), today, now)
        if route.forward_plan or route.papers:
            deliver_outbox(quote(db), officer_email=cfg.trust.officer.email)
    steps = ", ".join(f"{k}: {v}" for k, v in day.processes.items()) or "no process step"
    summary = (f"{today}: {day.chase.rungs_queued} reminders queued, "
               f"{day.chase.delivered} emails sent; {steps}")
    if day.failed:
        failures = "; ".join(f"{k}: {v}" for k, v in day.failed.items())
        return Failed(data=day, message=f"{summary}. FAILED: {failures}")
    return Completed(name="CycleDayDone", data=day, message=summary)
