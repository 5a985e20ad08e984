"""Render a `Report` as Markdown, HTML (Jinja2 templates under `templates/drafts/`) or
DOCX (python-docx, from the same `Report`).

Partner-supplied text is data. Nothing a partner wrote is ever compiled as a template (it
only arrives as a context value), so `{{ 7*7 }}` or `{% raw %}` in a return prints as
typed. HTML is autoescaped; in Markdown every value passes through `md_text` (Jinja2's
`finalize`), which backslash-escapes what CommonMark would read as markup (CommonMark
spec 2.4: any ASCII punctuation may be escaped), so `<script>` shows as text everywhere.
"""

from __future__ import annotations

import io
import os
import re
from functools import lru_cache
from pathlib import Path

from docx import Document
from docx.shared import Pt
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from trustcycle.drafts.document import Report, Table

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "drafts"
FORMATS = ("md", "html", "docx")
CONTENT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# Block markers only count at a line's start and before a space (or a run of themselves).
_LINE_START = re.compile(r"^(?:([#+=-])(?=[\s#=-]|$)|(\d+)([.)])(?=\s|$))")


def template_dir() -> Path:
    """`TRUSTCYCLE_DRAFT_TEMPLATES` if set, else the project's `templates/drafts/`."""
    override = os.environ.get("TRUSTCYCLE_DRAFT_TEMPLATES")
    return Path(override) if override else DEFAULT_TEMPLATE_DIR


def _md_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.strip())
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)


def md_text(value: object) -> str:
    """Plain text as inert Markdown: markup escaped, blank lines folded, hard line breaks."""
    lines = [line for line in str(value).split("\n") if line.strip()]
    return "\\\n".join(_md_line(line) for line in lines)


def oneline(value: object) -> str:
    """Text folded onto one line (for a table cell or a heading)."""
    return " ".join(str(value).split())


@lru_cache(maxsize=8)
def environment(directory: Path, html: bool) -> Environment:
    """The Jinja2 environment for one output format (cached per directory)."""
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=None if html else md_text,
    )
    env.filters["oneline"] = oneline
    return env


def render_markdown(report: Report, template: str | None = None) -> str:
    """The report as Markdown: byte-identical for the same report."""
    env = environment(template_dir(), html=False)
    return env.get_template(f"{template or report.kind}.md.j2").render(r=report)


def render_html(report: Report, template: str | None = None) -> str:
    """The report as a standalone HTML page (autoescaped)."""
    env = environment(template_dir(), html=True)
    return env.get_template(f"{template or report.kind}.html.j2").render(r=report)


def render_html_fragment(report: Report) -> str:
    """The report's body as an HTML fragment (for the papers email)."""
    env = environment(template_dir(), html=True)
    return env.get_template("_report_body.html.j2").render(r=report)


def _docx_table(doc: Document, t: Table) -> None:
    if t.caption:
        doc.add_paragraph().add_run(t.caption).bold = True
    grid = doc.add_table(rows=1, cols=len(t.headers))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, t.headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in t.rows:
        for cell, text in zip(grid.add_row().cells, row, strict=True):
            cell.text = text
    if not t.rows:
        doc.add_paragraph("None.")


def render_docx(report: Report) -> bytes:
    """The report as a Word document built with python-docx from the same `Report`."""
    doc = Document()
    doc.core_properties.title = report.title
    doc.core_properties.author = report.contact.name
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_paragraph(report.trust).runs[0].bold = True
    doc.add_heading(report.title, level=0)
    for label, value in (("Report to", report.report_to), ("Report of", report.report_from),
                         ("Date", report.date), ("Status", report.status)):
        para = doc.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
    doc.add_heading("1. Purpose of report", level=1)
    doc.add_paragraph(report.purpose)
    doc.add_heading("2. Recommendations", level=1)
    for rec in report.recommendations:
        doc.add_paragraph(rec, style="List Number")
    doc.add_heading("3. Background", level=1)
    for text in report.background:
        doc.add_paragraph(text)
    if report.summary:
        _docx_table(doc, Table(("Summary", "Number"), report.summary))
    number = 4
    for section in report.sections:
        doc.add_heading(f"{number}. {section.title}", level=1)
        number += 1
        for block in section.blocks:
            if block.kind == "para":
                doc.add_paragraph(block.text)
            elif block.kind == "bullets":
                for item in block.items:
                    doc.add_paragraph(item, style="List Bullet")
            else:
                _docx_table(doc, block)
    doc.add_heading(f"{number}. Implications", level=1)
    for label, text in (("Financial implications", report.financial),
                        ("Legal implications", report.legal),
                        ("Equality implications", report.equality)):
        doc.add_heading(label, level=2)
        doc.add_paragraph(text)
    doc.add_heading(f"{number + 1}. Contact officer", level=1)
    doc.add_paragraph(f"{report.contact.name}, {report.contact.role}, {report.contact.email}")
    doc.add_heading("Appendix A: returns used and missing", level=1)
    _docx_table(doc, report.returns)
    doc.add_paragraph(f"Returns fingerprint (sha256): {report.fingerprint}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render(report: Report, fmt: str, template: str | None = None) -> bytes:
    """The report in one of `FORMATS`, as bytes."""
    if fmt == "md":
        return render_markdown(report, template).encode()
    if fmt == "html":
        return render_html(report, template).encode()
    if fmt == "docx":
        return render_docx(report)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
