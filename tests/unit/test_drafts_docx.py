"""The DOCX papers as a clerk prints them: A4 from the reference document, the trust and
title in the header, "Page X of Y" in the footer, shaded and labelled ratings, sized
columns, repeated header rows, and the same bytes for the same report."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from tests.fixtures.returns import PROCESSES, records
from trustcycle.config import TrustConfig
from trustcycle.drafts.context import build_report
from trustcycle.drafts.document import Report
from trustcycle.drafts.docx_writer import CELL_PAD_TWIPS, CHAR_TWIPS, render_docx
from trustcycle.drafts.house_style import build_reference
from trustcycle.drafts.inputs import DraftInputs
from trustcycle.trust import load_config

RUTLAND = Path(__file__).resolve().parents[2] / "config" / "examples" / "rutland-2010"
WRITTEN = date(2010, 5, 28)


@pytest.fixture(scope="module")
def cfg() -> TrustConfig:
    return load_config(RUTLAND)


def report(cfg: TrustConfig, process: str, written: date = WRITTEN) -> Report:
    related = tuple(records("joint_needs_analysis")) if process == "child_poverty_strategy" else ()
    return build_report(cfg, process, 2010, DraftInputs(tuple(records(process)), (), related),
                        written=written)


def opened(data: bytes):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(data))


@pytest.mark.parametrize("process", PROCESSES)
def test_every_page_is_a4_with_the_trust_and_title_above_and_page_x_of_y_below(
    cfg: TrustConfig, process: str
) -> None:
    r = report(cfg, process)
    doc = opened(render_docx(r))
    section = doc.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)  # A4
    assert section.left_margin.twips == section.top_margin.twips == 1134  # 2 cm
    assert [p.text for p in section.header.paragraphs] == [r.trust, r.title]
    footer = section.footer.paragraphs
    assert [p.text for p in footer] == ["Draft for sign-off", "Page 1 of 1"]
    fields = [t.text.strip() for t in footer[1]._p.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]


def test_ratings_are_shaded_and_labelled_and_header_rows_repeat(cfg: TrustConfig) -> None:
    doc = opened(render_docx(report(cfg, "cypp_annual_review")))
    overview = next(t for t in doc.tables if t.rows[0].cells[0].text == "Priority")
    rating = [c.text for c in overview.rows[0].cells].index("Rating")
    fills = {}
    for row in overview.rows[1:]:
        cell = row.cells[rating]
        shd = cell._tc.tcPr.find(qn("w:shd"))
        fills[cell.text] = shd.get(qn("w:fill")) if shd is not None else None
    assert fills == {"Red": "D4351C", "Amber": "F47738", "Green": "00703C",
                     "Missing": "B1B4B6"}
    for t in doc.tables:
        first = t.rows[0]._tr.trPr
        if t.rows[0].cells[0].text in ("Report to", "Name"):  # label/value frames
            assert first.find(qn("w:tblHeader")) is None
            continue
        assert first.find(qn("w:tblHeader")) is not None
        assert all(p.paragraph_format.keep_with_next for c in t.rows[0].cells
                   for p in c.paragraphs)
        assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)


def test_columns_are_sized_so_no_word_is_split_and_the_table_fills_the_text_width(
    cfg: TrustConfig,
) -> None:
    doc = opened(render_docx(report(cfg, "membership_review")))
    text_width = 11906 - 2 * 1134
    for t in doc.tables:
        grid = [int(c.get(qn("w:w"))) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == text_width
        for row in t.rows:
            for width, cell in zip(grid, row.cells, strict=True):
                longest = max((len(w) for w in cell.text.split()), default=0)
                assert width >= longest * CHAR_TWIPS + CELL_PAD_TWIPS - 1, cell.text


def test_the_same_report_gives_the_same_bytes_and_properties_come_from_the_report(
    cfg: TrustConfig,
) -> None:
    first = render_docx(report(cfg, "joint_needs_analysis"))
    assert render_docx(report(cfg, "joint_needs_analysis")) == first
    later = render_docx(report(cfg, "joint_needs_analysis", date(2010, 6, 1)))
    assert hashlib.sha256(later).digest() != hashlib.sha256(first).digest()
    props = opened(first).core_properties
    assert props.created == props.modified == datetime(2010, 5, 28, 9, 0, tzinfo=UTC)
    assert props.author == "Rutland Children's Trust"
    members = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert members[0].filename == "[Content_Types].xml"
    assert {m.date_time for m in members} == {(2010, 5, 28, 0, 0, 0)}
    assert "docProps/thumbnail.jpeg" not in {m.filename for m in members}


def test_a_trust_reference_document_sets_the_page_and_styles(
    cfg: TrustConfig, tmp_path: Path
) -> None:
    ref = build_reference()
    ref.sections[0].page_width, ref.sections[0].page_height = Cm(21.59), Cm(27.94)
    ref.styles["Normal"].font.name = "Georgia"  # type: ignore[attr-defined]
    ref.styles["Normal"].font.size = Pt(12)  # type: ignore[attr-defined]
    path = tmp_path / "house.docx"
    ref.save(str(path))
    r = replace(report(cfg, "membership_review"), house_style=str(path))
    doc = opened(render_docx(r))
    assert doc.sections[0].page_width == Cm(21.59)
    assert doc.styles["Normal"].font.name == "Georgia"  # type: ignore[attr-defined]
    assert doc.paragraphs[0].text == r.title  # the reference's own body is replaced
