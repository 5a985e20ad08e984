"""The portal's door: every refusal carries the security headers and is a page, not JSON;
an overlong text field gets its own error on the form; an Excel "CSV" (Windows-1252) is
read; a name with a line separator is refused where it is typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.integration.portal_support import (
    BASE,
    CYPP_POLICE_OK,
    DURING_CYCLE,
    Portal,
    build_portal,
)
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database
from trustcycle.db.models import ReturnVersion
from trustcycle.portal import uploads
from trustcycle.portal.client import submit_via_portal

SECURITY = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}
CSV_1252 = (
    "indicator,period,source,value,comparator\n"
    "Pupils’ attainment – £ per pupil,2009/10,DfE,5.5,6.1\n"
).encode("cp1252")


@pytest.fixture
def portal(sqlite_url: str, tmp_path: Path) -> Iterator[Portal]:
    database = Database.from_url(sqlite_url)
    with use_clock(DURING_CYCLE):
        yield build_portal(database, tmp_path, max_upload_bytes=uploads.DEFAULT_MAX_BYTES)
    database.dispose()


@pytest.fixture
def client(portal: Portal) -> TestClient:
    return TestClient(portal.app, base_url=BASE)


def _secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in SECURITY.items():
        assert headers.get(name) == value, (name, headers)
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["content-type"].startswith("text/")


def test_404_405_and_a_413_refused_before_the_app_carry_the_security_headers(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "<html" in missing.text
    wrong_method = client.put(link, content=b"x")
    assert wrong_method.status_code == 405 and "<html" in wrong_method.text
    too_large = client.post(link, content=b"x", headers={"content-length": str(10**9)})
    assert too_large.status_code == 413
    for response in (missing, wrong_method, too_large):
        _secured(response)


def test_a_form_with_too_many_fields_is_shown_again_with_an_error_not_json(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    client.get(link)
    posted = client.post(link, data={f"f{i}": "x" for i in range(501)})
    assert posted.status_code == 400
    assert "Your return could not be read (it had too many fields)" in posted.text
    assert 'name="csrf_token"' in posted.text
    _secured(posted)


def test_a_5_mb_text_field_returns_the_form_with_an_error_on_that_field(
    portal: Portal, client: TestClient
) -> None:
    huge = {**CYPP_POLICE_OK, "p-p04_safe-narrative": "word " * 1_000_000}
    result = submit_via_portal(client, portal.links["cypp_annual_review", "police"], huge)
    assert result.status == 422 and not result.ok
    assert '<a href="#p-p04_safe-narrative">The progress made is too long</a>' in result.html
    assert len(result.html) < 100_000  # the 5 MB are not sent back
    assert portal.request("cypp_annual_review", "police").status == "open"


def test_an_excel_windows_1252_csv_of_indicators_is_recorded_as_written(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "Attainment by pupil."},
        {"indicators": ("needs.csv", CSV_1252)},
    )
    assert result.ok, result.html[:2000]
    with portal.database.sessions() as session:
        payload = session.scalars(select(ReturnVersion.payload)).one()
    assert payload["indicators"][0]["indicator"] == "Pupils’ attainment – £ per pupil"


def test_a_utf16_csv_is_refused_saying_how_to_save_it(portal: Portal, client: TestClient) -> None:
    result = submit_via_portal(
        client,
        portal.links["joint_needs_analysis", "police"],
        {"commentary": "Attainment by pupil."},
        {"indicators": ("needs.csv", CSV_1252.decode("cp1252").encode("utf-16"))},
    )
    assert result.status == 415
    assert "it is in UTF-16: in Excel choose Save As, then &#34;CSV UTF-8&#34;" in result.html


def test_a_line_separator_in_a_representatives_name_is_refused_on_the_form(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["membership_review", "police"]
    page = client.get(link).text
    seat = page.split('name="seat-', 1)[1].split("-action", 1)[0]
    result = submit_via_portal(client, link, {
        f"seat-{seat}-action": "change",
        f"seat-{seat}-name": "Eve\u2028Bcc: all@evil.example",
        f"seat-{seat}-role": "Chief Superintendent",
        f"seat-{seat}-email": "eve@police.example.uk",
    })
    assert result.status == 422
    assert ("The representative&#39;s name must be a single line of text: it contains a line "
            "separator (U+2028) at character 4") in result.html


def test_a_link_with_its_expiry_written_with_a_leading_zero_gets_403(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links["cypp_annual_review", "police"]
    assert client.get(link).status_code == 200
    assert client.get(link.replace("exp=", "exp=0")).status_code == 403
