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
    {"measures": [{"measure", "need", "lead", "target", "by_when", "monitoring"}],
     "commentary": str, "consultation": str}

report-only (a process whose form asks for notes alone)::
    {"notes": str}

Any return may carry `files` (documents sent through the portal: original_name, type,
size, sha256) or be a file itself (`filename`, `bytes`); a membership return from the
portal lists `seats` (body, action, representative, deputy, term_end), and a CYPP return
`notes` beside its priorities.

Anything missing reads as empty; values of the wrong type are shown as text, never run.
"""

from __future__ import annotations

from typing import Any

from trustcycle.drafts.document import clean

RAGS = ("red", "amber", "green")
# A paper shows what partners wrote, within reason: the portal takes 10,000 characters a
# field, so nothing sent there is cut; a longer text recorded as JSON is cut, saying so.
MAX_TEXT = 10_000
MAX_LINE = 300  # a name, role or email (the configuration's and the portal's line limit)


def bounded(value: str, limit: int = MAX_TEXT) -> str:
    """`value` cut to `limit` characters, saying how much more the return holds."""
    if len(value) <= limit:
        return value
    more = len(value) - limit
    return f"{value[:limit].rstrip()} [cut here: {more:,} more characters in the return]"


def text(payload: dict[str, Any] | None, *keys: str) -> str:
    """The first non-empty of `keys` as clean text, bounded."""
    for key in keys:
        value = (payload or {}).get(key)
        if clean(value):
            return bounded(clean(value))
    return ""


def person(payload: dict[str, Any] | None, key: str) -> dict[str, str] | None:
    """A person object (name, role, email, seniority) or None."""
    value = (payload or {}).get(key)
    if not isinstance(value, dict) or not clean(value.get("name")):
        return None
    return {k: bounded(clean(value.get(k)), MAX_LINE)
            for k in ("name", "role", "email", "seniority")}


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
