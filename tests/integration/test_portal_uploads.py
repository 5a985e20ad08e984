"""Uploads: a size limit (413), types decided by content (415), indicators checked row by row."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.portal_support import (
    CYPP_POLICE_OK,
    DURING_CYCLE,
    Portal,
    build_portal,
)
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database
from trustcycle.db.models import ReturnVersion
from trustcycle.portal.client import submit_via_portal

MAX = 64 * 1024
GOOD_CSV = (
    b"indicator,period,source,value,comparator\n"
    b"Children in low income families (%),2008,HMRC,8.1,21.3\n"
    b"Free school meals take-up (%),2009/10,School census,6.5,\n"
)


@pytest.fixture
def portal(database: Database, tmp_path: Path) -> Iterator[Portal]:
    with use_clock(DURING_CYCLE):
        yield build_portal(database, tmp_path, max_upload_bytes=MAX)



def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _stored_files(portal: Portal) -> list[Path]:
    return sorted(portal.upload_dir.glob("*")) if portal.upload_dir.exists() else []


def test_an_oversized_document_gets_413_and_nothing_is_stored(
    portal: Portal, client: TestClient
) -> None:
    big = b"%PDF-1.4\n" + b"0" * (MAX + 1)
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        CYPP_POLICE_OK,
        {"document": ("big.pdf", big)},
    )
    assert result.status == 413
    assert "must be smaller than" in result.html
    assert portal.request("cypp_annual_review", "police").status == "open"
    assert _stored_files(portal) == []


def test_a_body_far_over_the_limit_is_refused_before_it_is_parsed(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    client.get(link)
    huge = b"%PDF-" + b"0" * (3 * MAX + 2 * 1024 * 1024)
    response = client.post(link, data=CYPP_POLICE_OK, files={"document": ("huge.pdf", huge)})
    assert response.status_code == 413


def test_a_png_renamed_to_pdf_gets_415_with_a_clear_message(
    portal: Portal, client: TestClient
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        CYPP_POLICE_OK,
        {"document": ("report.pdf", png)},
    )
    assert result.status == 415
    assert (
        "The supporting document must be a PDF, Word (.docx), Excel (.xlsx) or CSV file"
        in result.html
    )
    assert "this one is a PNG image" in result.html
    assert '<a href="#document">' in result.html
    assert _stored_files(portal) == []


def test_a_zip_that_is_not_an_office_file_gets_415(portal: Portal, client: TestClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("evil.sh", "echo hi")
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        CYPP_POLICE_OK,
        {"document": ("x.docx", buffer.getvalue())},
    )
    assert result.status == 415 and "not a .docx or .xlsx" in result.html


def test_a_docx_is_recognised_by_content_whatever_its_name(
    portal: Portal, client: TestClient
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    result = submit_via_portal(
        client,
        portal.links["cypp_annual_review", "police"],
        CYPP_POLICE_OK,
        {"document": ("scan.bin", buffer.getvalue())},
    )
    assert result.ok
    [stored] = _stored_files(portal)
    assert stored.suffix == ".docx"


def test_needs_data_in_csv_is_read_row_by_row_into_the_return(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "Figures by ward are attached."},
        {"indicators": ("needs.csv", GOOD_CSV)},
    )
    assert result.ok, result.html
    request = portal.request("joint_needs_analysis", "police")
    with portal.database.sessions() as session:
        version = session.scalars(
            select(ReturnVersion).where(ReturnVersion.contribution_request_id == request.id)
        ).one()
    assert [r["value"] for r in version.payload["indicators"]] == [8.1, 6.5]
    assert version.payload["indicators"][1]["comparator"] is None
    assert Path(version.file_path or "").read_bytes() == GOOD_CSV


def test_needs_data_in_xlsx_is_accepted(portal: Portal, client: TestClient) -> None:
    data = _xlsx(
        [
            ["Indicator", "Period", "Source", "Value", "Comparator"],
            ["Worklessness (%)", "2009", "DWP", 9.2, 11.0],
        ]
    )
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "See the sheet."},
        {"indicators": ("d.xlsx", data)},
    )
    assert result.ok, result.html


def test_needs_data_errors_name_the_row_and_the_column(portal: Portal, client: TestClient) -> None:
    bad = GOOD_CSV + b"Worklessness (%),,DWP,lots,11\n"
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "x"},
        {"indicators": ("needs.csv", bad)},
    )
    assert result.status == 422
    assert "Row 4, column period: is empty" in result.html
    assert "Row 4, column value: &#39;lots&#39; is not a number" in result.html
    assert portal.request("joint_needs_analysis", "police").status == "open"


def test_needs_data_without_the_expected_header_is_refused(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "x"},
        {"indicators": ("n.csv", b"a,b\n1,2\n")},
    )
    assert result.status == 422
    assert (
        "Row 1: the header has no column indicator, period, source, value, comparator"
        in result.html
    )


def test_a_pdf_offered_as_needs_data_gets_415(portal: Portal, client: TestClient) -> None:
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "x"},
        {"indicators": ("n.csv", b"%PDF-1.4\n")},
    )
    assert result.status == 415
    assert "The indicators file must be a CSV or Excel (.xlsx) file; this one is" in result.html
