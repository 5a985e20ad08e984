"""What each kind of return asks, and the validation of a partner's answer to it.

Pure functions over plain data: `validate(ask, fields, files)` turns submitted form fields
(and the bytes of uploaded files) into a JSON payload and a list of errors, each naming
the form field it belongs to so the error summary can link to it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trustcycle.portal.tables import TableError, read_table
from trustcycle.text import line_fault

RAG = ("red", "amber", "green")
MEASURE_ROWS = 5
INDICATOR_COLUMNS = ("indicator", "period", "source", "value", "comparator")
OPTIONAL_COLUMNS = ("ward", "section")  # the child poverty section, by ward where possible
SECTIONS = ("general", "child_poverty")
MAX_INDICATOR_ROWS = 5000
TABLE_ROWS = MAX_INDICATOR_ROWS + 2  # the header, and one row more to say there are too many
MAX_TEXT = 10_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def seat_key(body: str, index: int) -> str:
    """The prefix of a seat's form fields, e.g. `seat-board-2` (ids have no '-')."""
    return f"seat-{body}-{index}"


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field (`field` is the input's id)."""

    field: str
    message: str


@dataclass(frozen=True)
class PriorityAsk:
    """A CYPP priority the partner leads, with its indicator if it has one."""

    id: str
    title: str
    indicator: str | None = None
    target: float | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Seat:
    """A seat the partner holds on a body, as currently recorded. `index` counts the
    partner's seats on that body (1, 2, ... in configuration order): a partner may hold two
    seats on one body, so the form's fields are keyed per seat, not per body."""

    body: str
    body_name: str
    name: str
    email: str
    role: str
    deputy_name: str = ""
    deputy_email: str = ""
    term_end: str = ""
    index: int = 1

    @property
    def key(self) -> str:
        """The prefix of this seat's form fields, e.g. `seat-board-2` (ids have no '-')."""
        return seat_key(self.body, self.index)


@dataclass(frozen=True)
class Ask:
    """Everything a form shows for one request, besides the request itself."""

    kind: str
    priorities: list[PriorityAsk] = field(default_factory=list)
    seats: list[Seat] = field(default_factory=list)


class _Checker:
    """Collects errors while reading fields."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        """Start with no errors."""
        self.fields = fields
        self.errors: list[FieldError] = []

    def text(self, name: str, label: str, *, required: bool = False) -> str:
        """A trimmed text value, required or not."""
        value = self.fields.get(name, "").strip()
        if required and not value:
            self.errors.append(FieldError(name, f"Enter {label}"))
        elif len(value) > MAX_TEXT:
            self.errors.append(FieldError(name, f"{label.capitalize()} is too long"))
        return value

    def line(self, name: str, label: str, *, required: bool = False) -> str:
        """A single-line text value under the one header-safe rule (`trustcycle.text`):
        names and emails reach mail headers."""
        value = self.text(name, label, required=required)
        fault = line_fault(value)
        if fault is not None and len(value) <= MAX_TEXT:  # else text() said it is too long
            self.errors.append(
                FieldError(name, f"{label.capitalize()} must be a single line of text: it {fault}")
            )
        return value

    def email(self, name: str, label: str, *, required: bool = False) -> str:
        """An email address in a plausible format, lower-cased."""
        value = self.line(name, label, required=required).lower()
        if value and not _EMAIL.match(value):
            self.errors.append(FieldError(name, f"Enter {label} in the right format"))
        return value

    def number(self, name: str, label: str, *, required: bool = False) -> float | None:
        """A finite number (commas and a trailing % allowed), or None."""
        raw = self.line(name, label, required=required).replace(",", "").rstrip("%")
        if not raw:
            return None
        number = _as_number(raw)
        if number is None:
            self.errors.append(FieldError(name, f"{label.capitalize()} must be a number"))
        return number

    def date(self, name: str, label: str) -> str | None:
        """An optional date as YYYY-MM-DD, written either that way or as "31 March 2012"."""
        raw = self.line(name, label)
        if not raw:
            return None
        for parse in (dt.date.fromisoformat, lambda v: dt.datetime.strptime(v, "%d %B %Y").date()):
            try:
                return parse(raw).isoformat()
            except ValueError:
                continue
        self.errors.append(FieldError(name, f"{label.capitalize()} must be a real date"))
        return None

    def choice(self, name: str, label: str, options: tuple[str, ...]) -> str:
        """One of the given options."""
        value = self.fields.get(name, "")
        if value not in options:
            self.errors.append(FieldError(name, f"Select {label}"))
        return value


def _as_number(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def validate(
    ask: Ask,
    fields: Mapping[str, str],
    files: Mapping[str, bytes],
    tables: Mapping[str, list[list[str]] | TableError] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """The payload of a submission and the problems found in it (none means valid).

    `tables` holds uploads already read as tables (the portal reads them in a bounded
    worker process); any other table upload is read here."""
    check = _Checker(fields)
    payload: dict[str, Any]
    if ask.kind == "membership_review":
        payload = _membership(ask, check)
    elif ask.kind == "cypp_annual_review":
        payload = _cypp(ask, check)
    elif ask.kind == "joint_needs_analysis":
        payload = _needs(check, files.get("indicators"), (tables or {}).get("indicators"))
    elif ask.kind == "child_poverty_strategy":
        payload = _measures(check)
    else:
        payload = {"notes": check.text("notes", "your return", required=True)}
    payload["kind"] = ask.kind
    return payload, check.errors


def _membership(ask: Ask, check: _Checker) -> dict[str, Any]:
    seats = []
    for seat in ask.seats:
        key = seat.key
        action = check.choice(
            f"{key}-action", f"whether your {seat.role} seat on {seat.body_name} is unchanged",
            ("confirm", "change"),
        )
        entry: dict[str, Any] = {"body": seat.body, "body_name": seat.body_name, "action": action}
        if action == "change":
            entry["representative"] = {
                "name": check.line(f"{key}-name", "the representative's name", required=True),
                "role": check.line(f"{key}-role", "the representative's role", required=True),
                "email": check.email(f"{key}-email", "the representative's email", required=True),
                "seniority": check.line(f"{key}-seniority", "the representative's seniority"),
            }
            entry["deputy"] = {
                "name": check.line(f"{key}-deputy_name", "the deputy's name"),
                "role": check.line(f"{key}-deputy_role", "the deputy's role"),
                "email": check.email(f"{key}-deputy_email", "the deputy's email"),
            }
            entry["term_end"] = check.date(f"{key}-term_end", "the end of the term")
        else:
            entry["representative"] = {"name": seat.name, "role": seat.role, "email": seat.email}
            entry["deputy"] = {"name": seat.deputy_name, "role": "", "email": seat.deputy_email}
            entry["term_end"] = seat.term_end
        if not entry["deputy"]["name"]:
            entry["deputy"] = None
        seats.append(entry)
    # The flat fields (the first seat) are the shape trustcycle.drafts.payloads reads; `seats`
    # keeps every seat for a partner represented on several bodies.
    first = seats[0] if seats else {}
    changed = [s["body_name"] for s in seats if s["action"] == "change"]
    return {
        "representative": first.get("representative"),
        "deputy": first.get("deputy"),
        "term_end": first.get("term_end") or None,
        "absences": check.text("absences", "any absences"),
        "changes": f"Changed: {', '.join(changed)}" if changed else "",
        "seats": seats,
    }


def _cypp(ask: Ask, check: _Checker) -> dict[str, Any]:
    out = []
    for p in ask.priorities:
        key = f"p-{p.id}"
        out.append(
            {
                "priority": p.id,
                "title": p.title,
                "rag": check.choice(f"{key}-rag", "a red, amber or green rating", RAG),
                "indicator": p.indicator,
                "target": p.target,
                "value": check.number(
                    f"{key}-value", "the indicator value", required=p.indicator is not None
                ),
                "narrative": check.text(f"{key}-narrative", "the progress made", required=True),
                "risks": check.text(f"{key}-risks", "the risks"),
                "changes": check.text(f"{key}-changes", "the proposed changes"),
            }
        )
    notes = check.text("notes", "your comments", required=not ask.priorities)
    return {"priorities": out, "notes": notes}


def _measures(check: _Checker) -> dict[str, Any]:
    measures = []
    for i in range(1, MEASURE_ROWS + 1):
        key = f"m-{i}"
        measure = check.text(f"{key}-measure", f"measure {i}")
        need = check.text(f"{key}-need", f"the need measure {i} addresses")
        lead = check.line(f"{key}-lead", f"who leads measure {i}")
        by = check.line(f"{key}-by", f"when measure {i} will be done")
        target = check.line(f"{key}-target", f"the target of measure {i}")
        monitoring = check.text(f"{key}-monitoring", f"how measure {i} is monitored")
        if not measure and (need or lead or by or target or monitoring):
            check.errors.append(
                FieldError(f"{key}-measure", f"Enter measure {i}, or clear its row")
            )
        elif measure:
            measures.append({"measure": measure, "need": need, "lead": lead, "by_when": by,
                             "target": target, "monitoring": monitoring})
    if not measures and not any(e.field.startswith("m-") for e in check.errors):
        check.errors.append(FieldError("m-1-measure", "Enter at least one measure"))
    return {"measures": measures, "commentary": check.text("commentary", "your commentary"),
            "consultation": check.text("consultation", "the consultation")}


def _needs(
    check: _Checker, data: bytes | None, table: list[list[str]] | TableError | None
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    if not data:
        check.errors.append(FieldError("indicators", "Choose a CSV or Excel file of indicators"))
    else:
        if table is None:
            try:
                table = read_table(data, TABLE_ROWS)
            except TableError as exc:
                table = exc
        if isinstance(table, TableError):
            check.errors.append(FieldError("indicators", f"The indicators file {table}"))
        else:
            rows, problems = indicator_rows(table)
            check.errors.extend(FieldError("indicators", p) for p in problems)
    return {
        "indicators": rows,
        "commentary": check.text("commentary", "your commentary", required=True),
        "child_poverty_commentary": check.text(
            "child_poverty_commentary", "your child poverty commentary"
        ),
    }


def indicator_rows(table: list[list[str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of (indicator, period, source, value, comparator), and errors naming row and column."""
    if not table:
        return [], ["The indicators file is empty"]
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in INDICATOR_COLUMNS if c not in header]
    if missing:
        return [], [
            f"Row 1: the header has no column {', '.join(missing)} "
            f"(expected {', '.join(INDICATOR_COLUMNS)})"
        ]
    at = {c: header.index(c) for c in INDICATOR_COLUMNS + OPTIONAL_COLUMNS if c in header}
    rows, errors = [], []
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if number > MAX_INDICATOR_ROWS + 1:
            errors.append(f"Row {number}: too many rows (at most {MAX_INDICATOR_ROWS})")
            break
        row = {c: (cells[i].strip() if i < len(cells) else "") for c, i in at.items()}
        for column in ("indicator", "period", "source", "value"):
            if not row[column]:
                errors.append(f"Row {number}, column {column}: is empty")
        for column in ("value", "comparator"):
            if row[column]:
                number_value = _as_number(row[column].replace(",", "").rstrip("%"))
                if number_value is None:
                    errors.append(f"Row {number}, column {column}: {row[column]!r} is not a number")
                row[column] = number_value
            else:
                row[column] = None
        section = str(row.get("section") or "general").lower().replace(" ", "_")
        if section not in SECTIONS:
            errors.append(
                f"Row {number}, column section: {row['section']!r} is not one of "
                f"{', '.join(SECTIONS)}"
            )
        row["section"] = section
        rows.append(row)
    if not rows and not errors:
        errors.append("Row 2: the file has a header but no indicators")
    return rows, errors


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def initial_values(ask: Ask, payload: dict[str, Any] | None) -> dict[str, str]:
    """Form values to start from: the latest version sent, else the recorded seats."""
    values: dict[str, str] = {}
    for seat in ask.seats:
        key = seat.key
        values.update(
            {
                f"{key}-name": seat.name,
                f"{key}-role": seat.role,
                f"{key}-email": seat.email,
                f"{key}-deputy_name": seat.deputy_name,
                f"{key}-deputy_email": seat.deputy_email,
                f"{key}-term_end": seat.term_end,
            }
        )
    if not payload:
        return values
    # The portal lists a partner's seats in the form's order: the nth entry for a body
    # answers the partner's nth seat on it.
    nth: dict[str, int] = {}
    for entry in payload.get("seats", []):
        body = str(entry.get("body"))
        nth[body] = nth.get(body, 0) + 1
        key = seat_key(body, nth[body])
        rep, dep = entry.get("representative") or {}, entry.get("deputy") or {}
        values.update(
            {f"{key}-{k}": _text(rep.get(k)) for k in ("name", "role", "email", "seniority")}
        )
        values[f"{key}-deputy_name"] = _text(dep.get("name"))
        values[f"{key}-deputy_role"] = _text(dep.get("role"))
        values[f"{key}-deputy_email"] = _text(dep.get("email"))
        values[f"{key}-term_end"] = _text(entry.get("term_end"))
    for p in payload.get("priorities", []):
        for k in ("rag", "value", "narrative", "risks", "changes"):
            values[f"p-{p.get('priority')}-{k}"] = _text(p.get(k))
    for i, m in enumerate(payload.get("measures", [])[:MEASURE_ROWS], start=1):
        for k in ("measure", "need", "lead", "by_when", "target", "monitoring"):
            values[f"m-{i}-{k.removesuffix('_when')}"] = _text(m.get(k))
    for k in ("absences", "notes", "commentary", "child_poverty_commentary", "consultation"):
        if k in payload:
            values[k] = _text(payload[k])
    return values


_LABELS = {
    "absences": "Absences",
    "notes": "Comments",
    "commentary": "Commentary",
    "child_poverty_commentary": "Child poverty commentary",
    "rag": "Rating",
    "value": "Indicator value",
    "target": "Target",
    "narrative": "Progress",
    "risks": "Risks",
    "changes": "Proposed changes",
    "measure": "Measure",
    "need": "Need addressed",
    "lead": "Lead",
    "by_when": "By when",
    "monitoring": "Monitoring",
    "consultation": "Consultation",
}


def summary_rows(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """A return as (label, value) rows for display (the template escapes every value)."""
    rows: list[tuple[str, str]] = []
    seats = payload.get("seats", [])
    bodies = [seat.get("body") for seat in seats]
    for n, seat in enumerate(seats):
        rep, dep = seat.get("representative") or {}, seat.get("deputy") or {}
        who = ", ".join(_text(rep.get(k)) for k in ("name", "role", "email") if rep.get(k))
        name = seat.get("body_name")
        if bodies.count(seat.get("body")) > 1:  # two seats on one body: say which
            name = f"{name}, seat {bodies[: n + 1].count(seat.get('body'))}"
        rows.append((f"{name}: {seat.get('action')}", who))
        if dep.get("name"):
            rows.append((f"{name}: deputy", f"{dep['name']} {dep.get('email', '')}"))
    for p in payload.get("priorities", []):
        for k in ("rag", "value", "narrative", "risks", "changes"):
            if p.get(k) not in (None, ""):
                rows.append((f"{p.get('title')}: {_LABELS[k].lower()}", _text(p[k])))
    for i, m in enumerate(payload.get("measures", []), start=1):
        detail = "; ".join(
            f"{_LABELS[k].lower()}: {m[k]}"
            for k in ("need", "lead", "target", "by_when", "monitoring") if m.get(k)
        )
        rows.append((f"Measure {i}", m.get("measure", "") + (f" ({detail})" if detail else "")))
    indicators = payload.get("indicators", [])
    if indicators:
        rows.append(("Indicators", f"{len(indicators)} rows"))
        for r in indicators[:20]:
            rows.append(
                (
                    f"{r.get('indicator')} ({r.get('period')})",
                    f"{_text(r.get('value'))} (comparator {_text(r.get('comparator'))}, "
                    f"source {r.get('source')})",
                )
            )
    for k in ("absences", "commentary", "child_poverty_commentary", "consultation", "notes"):
        if payload.get(k):
            rows.append((_LABELS[k], _text(payload[k])))
    for f in payload.get("files", []):
        rows.append(
            ("Document", f"{f.get('original_name')} ({f.get('type')}, {f.get('size')} bytes)")
        )
    return rows
