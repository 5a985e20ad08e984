"""Every draft renders in every format from the fixture returns, and partner text is data."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from markdown_it import MarkdownIt

from tests.fixtures.returns import HOSTILE, PROCESSES, records
from trustcycle.config import TrustConfig
from trustcycle.drafts.context import build_report
from trustcycle.drafts.document import Report
from trustcycle.drafts.inputs import DraftInputs
from trustcycle.drafts.render import md_text, render, render_docx, render_html, render_markdown
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(RUTLAND)


def report(cfg: TrustConfig, process: str) -> Report:
    related = tuple(records("joint_needs_analysis")) if process == "child_poverty_strategy" else ()
    return build_report(cfg, process, 2010, DraftInputs(tuple(records(process)), (), related))


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@pytest.mark.parametrize("process", PROCESSES)
def test_each_draft_renders_in_markdown_html_and_docx_in_the_committee_report_shape(
    cfg: TrustConfig, process: str
) -> None:
    r = report(cfg, process)
    md, html = render_markdown(r), render_html(r)
    text = docx_text(render_docx(r))
    for heading in ("Purpose of report", "Recommendations", "Background", "Implications",
                    "Financial implications", "Legal implications", "Equality implications",
                    "Contact officer", "returns used and missing"):
        assert heading in md and heading in html and heading in text
    for shown in (r.title, "Sam Ireland", "Report to"):
        assert shown in md and shown in text
    assert html.startswith("<!DOCTYPE html>")


def test_the_docx_opens_with_python_docx_and_names_every_priority(cfg: TrustConfig) -> None:
    text = docx_text(render_docx(report(cfg, "cypp_annual_review")))
    for priority in cfg.priorities.values():
        assert priority.title in text


@pytest.mark.parametrize("process", PROCESSES)
def test_hostile_partner_text_appears_literally_and_executes_nothing_in_every_format(
    cfg: TrustConfig, process: str
) -> None:
    r = report(cfg, process)
    html = render(r, "html").decode()
    shown = MarkdownIt("commonmark", {"html": True}).enable("table").render(render_markdown(r))
    text = docx_text(render(r, "docx"))
    for page in (html, shown):
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "{{ 7*7 }}" in page and "{% raw %}" in page
    for literal in HOSTILE:
        assert literal in text
    assert "49" not in shown.replace("2049", "")


def test_markdown_block_syntax_in_a_return_is_shown_as_text() -> None:
    shown = MarkdownIt("commonmark").render(md_text("# not a heading\n- not a list\n1. nor this"))
    assert "<h1>" not in shown and "<ul>" not in shown and "<ol>" not in shown
    assert "# not a heading" in shown and "1. nor this" in shown


def test_the_same_returns_give_byte_identical_markdown(cfg: TrustConfig) -> None:
    first = render(report(cfg, "membership_review"), "md")
    assert render(report(cfg, "membership_review"), "md") == first


def test_a_return_owed_but_not_received_is_listed_as_missing(cfg: TrustConfig) -> None:
    r = report(cfg, "cypp_annual_review")
    rows = {row[0]: row[2] for row in r.returns.rows}
    assert rows["Connexions Leicester Shire"] == "Missing"
    assert "Return missing" in render_markdown(r)
