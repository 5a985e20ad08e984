"""Reading partners' return payloads (JSON objects) tolerantly, one shape per process kind.

The shapes (what the portal and `trustcycle returns record --json` store):

membership_review / representation::
    {"representative": {"name", "role", "email", "seniority"},
     "deputy": {"name", "role", "email"} | null,
     "term_end": "YYYY-MM-DD" | null, "absences": str, "changes": str}

cypp_annual_review / priority_progress::
    {"priorities": [{"priority": PRIORITY_ID, "rag": "red|amber|green",
                     "value": number | null, "narrative": str, "risks": str,
                     "changes": str}]}          (or {"priorities": {PRIORITY_ID: {...}}})

joint_needs_analysis / needs_data::
    {"indicators": [{"indicator", "period", "source", "value", "comparator", "ward",
                     "section": "child_poverty" | "general"}],
     "commentary": str, "child_poverty_commentary": str}

child_poverty_strategy / measures::
    {"measures": [{"measure", "need", "lead", "by_when"}], "commentary": str}

Anything missing reads as empty; values of the wrong type are shown as text, never run.
"""

from __future__ import annotations

from typing import Any

from trustcycle.drafts.document import clean

RAGS = ("red", "amber", "green")


def text(payload: dict[str, Any] | None, *keys: str) -> str:
    """The first non-empty of `keys` as clean text."""
    for key in keys:
        value = (payload or {}).get(key)
        if clean(value):
            return clean(value)
    return ""


def person(payload: dict[str, Any] | None, key: str) -> dict[str, str] | None:
    """A person object (name, role, email, seniority) or None."""
    value = (payload or {}).get(key)
    if not isinstance(value, dict) or not clean(value.get("name")):
        return None
    return {k: clean(value.get(k)) for k in ("name", "role", "email", "seniority")}


def rows(payload: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """A list of objects under `key` (non-objects skipped)."""
    value = (payload or {}).get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def priority_entries(payload: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """{priority id: entry} from either the list or the mapping form."""
    value = (payload or {}).get("priorities")
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if isinstance(v, dict)}
    return {clean(v.get("priority")): v for v in rows(payload, "priorities")}


def rag(value: object) -> str:
    """red, amber or green from any common spelling; '' when unrated."""
    word = clean(value).lower()
    for full in RAGS:
        if word in (full, full[0]):
            return full
    return ""


def number(value: object) -> float | None:
    """A number from a number or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(clean(value).rstrip("%").replace(",", ""))
    except ValueError:
        return None


def fmt_number(value: float | None, unit: str | None = None) -> str:
    """A number as report text: no trailing .0, the unit when it is %."""
    if value is None:
        return ""
    shown = f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return f"{shown}%" if unit == "%" else shown
