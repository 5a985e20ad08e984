"""Render a `Report` as Markdown, HTML (Jinja2 templates under `templates/drafts/`) or
DOCX (`docx_writer`, on the trust's reference document, from the same `Report`).

Partner-supplied text is data. Nothing a partner wrote is ever compiled as a template (it
only arrives as a context value), so `{{ 7*7 }}` or `{% raw %}` in a return prints as
typed. HTML is autoescaped; in Markdown every value passes through `md_text` (Jinja2's
`finalize`), which backslash-escapes what CommonMark would read as markup (CommonMark
spec 2.4: any ASCII punctuation may be escaped), so `<script>` shows as text everywhere.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from trustcycle.drafts.document import Report
from trustcycle.drafts.docx_writer import render_docx

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


def rag_label(value: object) -> str:
    """`red`/`amber`/`green`/`missing` for a rating cell, else ''."""
    word = str(value).strip().lower()
    return word if word in ("red", "amber", "green", "missing") else ""


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
    env.filters["rag_label"] = rag_label
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


def render(report: Report, fmt: str, template: str | None = None) -> bytes:
    """The report in one of `FORMATS`, as bytes."""
    if fmt == "md":
        return render_markdown(report, template).encode()
    if fmt == "html":
        return render_html(report, template).encode()
    if fmt == "docx":
        return render_docx(report)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


__all__ = ["CONTENT_TYPES", "FORMATS", "render", "render_docx", "render_html",
           "render_markdown"]
