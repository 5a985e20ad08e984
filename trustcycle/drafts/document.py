"""The shape of a committee report, as plain data that every format is rendered from.

The seeds' reports share one frame: title, report to and from, date, purpose,
recommendations, background, the body, financial/legal/equality implications and the
contact officer. A `Report` holds that frame; its body is `Section`s of three kinds of
block (`Para`, `Bullets`, `Table`), so Markdown, HTML and DOCX show the same content.
Every string here is plain text: partner-supplied text is data, escaped by each renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

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
    name: str
    role: str
    email: str


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
