"""The simulated year: which days to visit and when each scripted partner answers.

Pure planning over the configuration; `flows/simulate.py` and `trustcycle.cli.simulate_cmd`
drive the real flows on the days planned here. A virtual clock visits only the days on
which a step, a reminder or a scripted answer falls: days with nothing due cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pendulum

from trustcycle.chase import partners_asked
from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.timeline import ProcessDates, resolve_year
from trustcycle.workdays import add_working_days, is_working_day


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


def answer_day(dates: ProcessDates, behaviour: str, working_days: int) -> pendulum.Date | None:
    """On time: `working_days` before the deadline (never before the request); late: after."""
    assert dates.deadline is not None and dates.request is not None
    deadline = dates.deadline.date()
    if behaviour == "never":
        return None
    if behaviour == "late":
        return add_working_days(deadline, max(1, working_days))
    day = add_working_days(deadline, -working_days) if working_days else deadline
    return max(day, add_working_days(dates.request.date(), 1))


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
                        answer_day(dates, behaviour, wd), pid, partner, spec.id, behaviour
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
    days.update(r.day for r in scripted_returns(cfg, year) if r.day is not None)
    return sorted(d for d in days if is_working_day(d))


_RAGS = ("green", "amber", "green", "red")


def _index(*parts: str) -> int:
    """A stable small number from names, so the scripted content is the same every run."""
    return sum(ord(c) for part in parts for c in part)


def scripted_payload(cfg: TrustConfig, process: str, partner: str) -> dict[str, object]:
    """What a scripted partner returns, in the payload shape of the process's kind
    (see `trustcycle.drafts.payloads`)."""
    kind = cfg.processes[process].kind
    who = cfg.partners[partner]
    n = _index(process, partner)
    if kind is schema.ProcessKind.membership_review:
        member = who.contacts[0]
        return {
            "representative": {
                "name": who.senior_contact.name,
                "role": who.senior_contact.role,
                "email": who.senior_contact.email,
                "seniority": "Director",
            },
            "deputy": {"name": member.name, "role": member.role, "email": member.email},
            "term_end": None,
            "absences": "" if n % 3 else "Apologies sent for one meeting (operational pressures).",
            "changes": "" if n % 4 else "Deputy to change from the next meeting.",
        }
    if kind is schema.ProcessKind.cypp_annual_review:
        entries = []
        for i, (pid, prio) in enumerate(cfg.priorities.items()):
            if prio.lead_partner != partner:
                continue
            target = prio.indicator.target if prio.indicator and prio.indicator.target else 50.0
            rag = _RAGS[(n + i) % len(_RAGS)]
            factor = {"green": 1.02, "amber": 0.95, "red": 0.85}[rag]
            entries.append(
                {
                    "priority": pid,
                    "rag": rag,
                    "value": round(target * factor, 1),
                    "narrative": f"{who.name}: progress reported for the year.",
                    "risks": "" if rag == "green" else "Capacity and funding pressures.",
                    "changes": "",
                }
            )
        return {"priorities": entries}
    if kind is schema.ProcessKind.joint_needs_analysis:
        base = 10 + n % 15
        return {
            "indicators": [
                {
                    "indicator": "Children in relative low income families (%)",
                    "period": "2025-26",
                    "source": "DWP Stat-Xplore",
                    "value": base,
                    "comparator": 19.8,
                    "ward": "",
                    "section": "child_poverty",
                },
                {
                    "indicator": f"{who.name}: service demand index",
                    "period": "2025-26",
                    "source": "Partner data",
                    "value": 90 + n % 20,
                    "comparator": 100,
                    "ward": "",
                    "section": "general",
                },
            ],
            "commentary": f"{who.name} sees rising demand in the most deprived wards.",
            "child_poverty_commentary": "Free school meals take-up remains below eligibility.",
        }
    if kind is schema.ProcessKind.child_poverty_strategy:
        return {
            "measures": [
                {
                    "measure": f"{who.name}: targeted support for families in low income",
                    "need": "Children in relative low income families",
                    "lead": who.name,
                    "by_when": "2027-03-31",
                },
            ],
            "commentary": "",
        }
    return {}
