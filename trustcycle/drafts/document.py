"""The shape of a committee report, as plain data that every format is rendered from.

The seeds' reports share one frame: title, report to and from, date, purpose,
recommendations, background, the body, financial/legal/equality implications and the
contact officer. A `Report` holds that frame; its body is `Section`s of three kinds of
block (`Para`, `Bullets`, `Table`), so Markdown, HTML and DOCX show the same content.
Every string here is plain text: partner-supplied text is data, escaped by each renderer.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Literal

# Characters XML 1.0 forbids (python-docx refuses them) and other C0 controls but tab and
# newline: a pasted return must not break the DOCX or smuggle terminal escapes.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: object) -> str:
    """Any value as display text: None is empty, controls dropped, newlines normalised."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


@dataclass(frozen=True)
class Para:
    """A paragraph of plain text (may hold line breaks)."""

    text: str
    kind: Literal["para"] = "para"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: tuple[str, ...]
    kind: Literal["bullets"] = "bullets"


@dataclass(frozen=True)
class Table:
    """A table: header row, body rows of plain-text cells, and an optional caption."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    kind: Literal["table"] = "table"


Block = Para | Bullets | Table


@dataclass(frozen=True)
class Section:
    """A numbered heading of the report body and its blocks."""

    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Contact:
    """The contact officer, as the seeds print them (name, role, telephone, email)."""

    name: str
    role: str
    email: str
    phone: str = ""

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows, telephone only when known."""
        out = [("Name", self.name), ("Position", self.role)]
        if self.phone:
            out.append(("Telephone", self.phone))
        return [*out, ("Email", self.email)]


@dataclass(frozen=True)
class Report:
    """One draft paper, in the seeds' committee-report frame."""

    process: str
    kind: str
    title: str
    trust: str
    report_to: str
    report_from: str
    date: str
    status: str
    purpose: str
    recommendations: tuple[str, ...]
    background: tuple[str, ...]
    sections: tuple[Section, ...]
    financial: str
    legal: str
    equality: str
    contact: Contact
    returns: Table
    fingerprint: str
    meeting: str = ""
    summary: tuple[tuple[str, str], ...] = field(default=())
    written: date = date(1970, 1, 1)  # the day the draft was written (its "Date")
    house_style: str = ""  # the trust's reference .docx, if it set one


def report_to_json(report: Report) -> bytes:
    """The report as JSON (stored beside each draft so approved papers render from it)."""
    data = asdict(report)
    data["written"] = report.written.isoformat()
    return json.dumps(data, sort_keys=True, ensure_ascii=False).encode()


def _block(data: dict[str, Any]) -> Block:
    if data["kind"] == "para":
        return Para(data["text"])
    if data["kind"] == "bullets":
        return Bullets(tuple(data["items"]))
    return _table(data)


def _table(data: dict[str, Any]) -> Table:
    return Table(tuple(data["headers"]), tuple(tuple(r) for r in data["rows"]),
                 data.get("caption", ""))


def report_from_json(raw: bytes) -> Report:
    """The `Report` that `report_to_json` stored."""
    data = json.loads(raw)
    known = {f.name for f in fields(Report)}
    data = {k: v for k, v in data.items() if k in known}
    data["contact"] = Contact(**data["contact"])
    data["returns"] = _table(data["returns"])
    data["sections"] = tuple(Section(s["title"], tuple(_block(b) for b in s["blocks"]))
                             for s in data["sections"])
    data["recommendations"] = tuple(data["recommendations"])
    data["background"] = tuple(data["background"])
    data["summary"] = tuple(tuple(pair) for pair in data.get("summary", ()))
    data["written"] = date.fromisoformat(data["written"])
    return Report(**data)


def table(headers: list[str], rows: list[list[object]], caption: str = "") -> Table:
    """A `Table` with every cell cleaned to text."""
    return Table(
        headers=tuple(headers),
        rows=tuple(tuple(clean(c) for c in row) for row in rows),
        caption=caption,
    )


def paras(*texts: object) -> tuple[Para, ...]:
    """Non-empty texts as paragraphs."""
    return tuple(Para(clean(t)) for t in texts if clean(t))
