"""Scripted partners: a plausible, valid answer to any request, sent through the portal.

The simulated year uses this so its partners' returns take the same path as a real
partner's (signed link, CSRF, validation, durable storage, receipt, chase stopped).
"""

from __future__ import annotations

from typing import Any

from trustcycle.config.loader import TrustConfig
from trustcycle.portal.client import Files, Submission, submit_via_portal
from trustcycle.portal.service import ask_from_config


def scripted_answer(cfg: TrustConfig, process: str, partner: str) -> tuple[dict[str, str], Files]:
    """Form fields and files that answer `process` for `partner` validly."""
    kind = cfg.processes[process].kind.value
    ask = ask_from_config(cfg, kind, partner)
    name = cfg.partners[partner].name
    if kind == "membership_review":
        fields = {f"seat-{seat.body}-action": "confirm" for seat in ask.seats}
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
        csv = (
            "indicator,period,source,value,comparator\n"
            f"Children in low income families (%),{cfg.trust.cycle_year},{name},12.0,20.1\n"
        ).encode()
        return {"commentary": f"Needs data from {name}."}, {"indicators": ("needs.csv", csv)}
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
