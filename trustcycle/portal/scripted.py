"""Scripted partners: a plausible, valid answer to any request, sent through the portal.

The simulated year uses this so its partners' returns take the same path as a real
partner's (signed link, CSRF, validation, durable storage, receipt, chase stopped).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.portal.client import Files, Submission, submit_via_portal
from trustcycle.portal.service import ask_from_config


def scripted_content(cfg: TrustConfig, process: str, partner: str
                     ) -> schema.ScriptedContent | None:
    """What the scenario says this partner's return to `process` contains, if anything."""
    for answer in cfg.scenario.answers:
        if answer.process == process and answer.partner == partner:
            return answer.content
    return None


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _from_content(kind: str, ask: Any, c: schema.ScriptedContent) -> tuple[dict[str, str], Files]:
    """Form fields and files saying what the scenario's content says."""
    fields: dict[str, str] = {}
    if kind == "membership_review":
        changes = {seat.body: seat for seat in c.changes}
        for seat in ask.seats:
            key = seat.key
            new = changes.pop(seat.body, None)  # a change on a body: the partner's first seat
            fields[f"{key}-action"] = "change" if new else "confirm"
            if new:
                fields |= {f"{key}-name": new.name, f"{key}-role": new.role,
                           f"{key}-email": new.email, f"{key}-seniority": new.seniority,
                           f"{key}-deputy_name": new.deputy_name,
                           f"{key}-deputy_email": new.deputy_email or ""}
        return fields | {"absences": c.absences}, {}
    if kind == "cypp_annual_review":
        for pid, p in c.priorities.items():
            fields |= {f"p-{pid}-rag": p.rag, f"p-{pid}-value": _number(p.value),
                       f"p-{pid}-narrative": p.narrative, f"p-{pid}-risks": p.risks,
                       f"p-{pid}-changes": p.changes}
        return fields | {"notes": c.commentary}, {}
    if kind == "joint_needs_analysis":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["indicator", "period", "source", "value", "comparator", "ward",
                         "section"])
        for r in c.indicators:
            writer.writerow([r.indicator, r.period, r.source, _number(r.value),
                             _number(r.comparator), r.ward, r.section])
        return ({"commentary": c.commentary,
                 "child_poverty_commentary": c.child_poverty_commentary},
                {"indicators": ("needs.csv", out.getvalue().encode())})
    for i, m in enumerate(c.measures, start=1):
        fields |= {f"m-{i}-measure": m.measure, f"m-{i}-need": m.need, f"m-{i}-lead": m.lead,
                   f"m-{i}-target": m.target, f"m-{i}-by": m.by_when,
                   f"m-{i}-monitoring": m.monitoring}
    return fields | {"commentary": c.commentary, "consultation": c.consultation}, {}


def scripted_answer(cfg: TrustConfig, process: str, partner: str) -> tuple[dict[str, str], Files]:
    """Form fields and files that answer `process` for `partner` validly."""
    kind = cfg.processes[process].kind.value
    ask = ask_from_config(cfg, kind, partner)
    name = cfg.partners[partner].name
    content = scripted_content(cfg, process, partner)
    if content is not None and kind != "event":
        return _from_content(kind, ask, content)
    if kind == "membership_review":
        fields = {f"{seat.key}-action": "confirm" for seat in ask.seats}
        return fields | {"absences": f"{name}: no absences to explain."}, {}
    if kind == "cypp_annual_review":
        fields: dict[str, str] = {"notes": f"Annual review comments from {name}."}
        for p in ask.priorities:
            fields |= {
                f"p-{p.id}-rag": "green",
                f"p-{p.id}-narrative": f"{name} reports steady progress on this priority.",
            }
            if p.indicator is not None:
                fields[f"p-{p.id}-value"] = str(p.target if p.target is not None else 0)
        return fields, {}
    if kind == "joint_needs_analysis":
        out = io.StringIO()  # quoted by the csv module: a partner's name may hold a comma
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["indicator", "period", "source", "value", "comparator", "section"])
        writer.writerow(["Children in low income families (%)", cfg.trust.cycle_year, name,
                         "12.0", "20.1", "child_poverty"])
        return ({"commentary": f"Needs data from {name}."},
                {"indicators": ("needs.csv", out.getvalue().encode())})
    if kind == "child_poverty_strategy":
        return {
            "m-1-measure": f"{name} will refer families to income maximisation advice.",
            "m-1-need": "Children in low income families",
            "m-1-lead": name,
            "m-1-by": "End of the cycle year",
        }, {}
    return {"notes": f"Return from {name}."}, {}


def submit_scripted(
    target: Any, link: str, cfg: TrustConfig, process: str, partner: str
) -> Submission:
    """Submit `partner`'s scripted answer to `process` through the portal at `link`."""
    fields, files = scripted_answer(cfg, process, partner)
    return submit_via_portal(target, link, fields, files)
