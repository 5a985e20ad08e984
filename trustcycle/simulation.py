"""The simulated year: which days to visit and when each scripted partner answers.

Pure planning over the configuration; `flows/simulate.py` and `trustcycle.cli.simulate_cmd`
drive the real flows on the days planned here. A virtual clock visits only the days on
which a step, a reminder or a scripted answer falls: days with nothing due cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from trustcycle.calendar.timeline import ProcessDates, resolve_year
from trustcycle.calendar.workdays import WorkingDays, for_trust
from trustcycle.config import schema
from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig


@dataclass(frozen=True, order=True)
class ScriptedReturn:
    """A partner's scripted answer: on `day` (None: never)."""

    day: pendulum.Date | None
    process: str
    partner: str
    return_id: str
    behaviour: str


def _behaviour(cfg: TrustConfig, process: str, partner: str) -> tuple[str, int]:
    for answer in cfg.scenario.answers:
        if answer.process == process and answer.partner == partner:
            return answer.behaviour, answer.working_days
    return cfg.scenario.default, 0


def answer_day(
    dates: ProcessDates, behaviour: str, working_days: int, days: WorkingDays
) -> pendulum.Date | None:
    """On time: `working_days` before the deadline (never before the request); late: after."""
    assert dates.deadline is not None and dates.request is not None
    deadline = dates.deadline.date()
    if behaviour == "never":
        return None
    if behaviour == "late":
        return days.add_working_days(deadline, max(1, working_days))
    day = days.add_working_days(deadline, -working_days) if working_days else deadline
    return max(day, days.add_working_days(dates.request.date(), 1))


def scripted_returns(cfg: TrustConfig, year: int) -> list[ScriptedReturn]:
    """Every return the scenario's partners will (or will never) make in the cycle year."""
    out: list[ScriptedReturn] = []
    for pid, dates in resolve_year(cfg, year).items():
        proc = cfg.processes[pid]
        if proc.kind is schema.ProcessKind.event:
            continue
        for spec in proc.returns:
            for partner in partners_asked(cfg, spec):
                behaviour, wd = _behaviour(cfg, pid, partner)
                out.append(
                    ScriptedReturn(
                        answer_day(dates.for_return(spec.id), behaviour, wd, for_trust(cfg)),
                        pid, partner, spec.id,
                        behaviour,
                    )
                )
    return out


def days_to_visit(cfg: TrustConfig, year: int) -> list[pendulum.Date]:
    """Every working day on which a step, a rung or a scripted answer falls, in order."""
    days: set[pendulum.Date] = set()
    for dates in resolve_year(cfg, year).values():
        for at in (
            dates.request,
            dates.deadline,
            dates.cutoff,
            dates.papers,
            dates.publish,
            dates.meeting,
            dates.event,
        ):
            if at is not None:
                days.add(at.date())
        days.update(dates.rungs.values())
        for own in dates.returns.values():  # returns with deadlines of their own
            days.update([own.deadline.date(), own.cutoff.date(), *own.rungs.values()])
        days.update(at.date() for stop in dates.stops  # a route's later papers, forward plan
                    for at in (stop.papers, stop.meeting, stop.forward_plan) if at is not None)
    days.update(r.day for r in scripted_returns(cfg, year) if r.day is not None)
    return sorted(d for d in days if for_trust(cfg).is_working_day(d))
