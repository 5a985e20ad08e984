"""The submission handler's other paths (issue 16, mutation survivors): a form token forged
for no request, the thank-you page, Secure cookies, a streamed body over the limit, two
files of the maximum size, and a failure inside the handler."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.integration.portal_support import BASE, SECRET, Portal
from trustcycle.chasing import links
from trustcycle.db import Database
from trustcycle.portal import create_app, csrf
from trustcycle.portal.client import submit_via_portal

PROCESS = "child_poverty_strategy"
REFUSED = "This link cannot be used"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def database(sqlite_url: str) -> Iterator[Database]:
    """SQLite only: these paths do not depend on the database's kind."""
    db = Database.from_url(sqlite_url)
    yield db
    db.dispose()


def _measure(text_: str) -> dict[str, str]:
    return {"m-1-measure": text_}


def test_a_form_token_forged_for_a_signed_link_of_no_request_gets_the_same_403(
    portal: Portal, client: TestClient
) -> None:
    exp = int(links.config_cycle_end(portal.cfg).timestamp())
    nonce = "n" * 24
    client.cookies.set(csrf.COOKIE, nonce)
    posted = client.post(
        links.link_path("no-such-token", exp, SECRET),
        data={**_measure("Forged"), "csrf_token": csrf.form_token(SECRET, "no-such-token", nonce)},
    )
    assert posted.status_code == 403 and REFUSED in posted.text


def test_the_thank_you_page_before_any_return_is_the_same_403(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links[PROCESS, "police"]
    path, query = link.removeprefix(BASE).split("?")
    page = client.get(f"{path}/received?{query}")
    assert page.status_code == 403 and REFUSED in page.text


def test_the_thank_you_page_shows_the_version_asked_for(portal: Portal, client: TestClient) -> None:
    link = portal.links[PROCESS, "police"]
    first = submit_via_portal(client, link, _measure("Refer families to debt advice"))
    second = submit_via_portal(client, link, _measure("Holiday activity sessions"))
    assert (first.version, second.version) == (1, 2)
    path, query = link.removeprefix(BASE).split("?")
    for version, measure, other in ((1, "Refer families", "Holiday"), (2, "Holiday", "Refer")):
        page = client.get(f"{path}/received?{query}&v={version}")
        assert f"Version {version} of your return" in page.text
        assert measure in page.text and other not in page.text


def test_cookies_are_secure_when_the_emailed_links_are_https(
    portal: Portal, database: Database, tmp_path: Path
) -> None:
    https = dataclasses.replace(
        portal.cfg, trust=portal.cfg.trust.model_copy(update={"portal_url": "https://portal.example"})
    )
    app = create_app(database, https, SECRET, tmp_path / "uploads")
    page = TestClient(app, base_url=BASE).get(portal.links[PROCESS, "police"])
    assert page.status_code == 200
    assert "secure" in page.headers["set-cookie"].lower()
    plain = TestClient(portal.app, base_url=BASE).get(portal.links[PROCESS, "police"])
    assert "secure" not in plain.headers["set-cookie"].lower()  # http://localhost links


def test_a_streamed_body_over_the_limit_gets_413_from_the_handler(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links[PROCESS, "police"]
    limit = 2 * 1024 * 1024 + 1024 * 1024  # two 1 MB files and the fields' allowance

    def chunks() -> Iterator[bytes]:
        sent = 0
        while sent <= limit:
            yield b"x" * 65536
            sent += 65536

    posted = client.post(
        link, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert posted.status_code == 413
    assert "Each file must be smaller than 1 MB." in posted.text


def test_two_files_just_under_the_limit_each_are_taken_together(
    portal: Portal, client: TestClient
) -> None:
    big_pdf = PDF + b"%" * (1024 * 1024 - len(PDF) - 1)
    csv = b"indicator,period,source,value,comparator\n" + b"a,b,c,d,e\n" * 104853
    assert len(big_pdf) < 1024 * 1024 and len(csv) < 1024 * 1024
    result = submit_via_portal(
        client,
        portal.links[PROCESS, "police"],
        _measure("Refer families to debt advice"),
        {"document": ("plan.pdf", big_pdf)},
    )
    assert result.ok, result.html[:500]
    # Both file fields at once: the body may hold two maximum-size files and the fields.
    second = submit_via_portal(
        client,
        portal.links[PROCESS, "pct"],
        _measure("Health visitors' income checks"),
        {"document": ("plan.pdf", big_pdf), "indicators": ("data.csv", csv)},
    )
    assert second.status != 413, second.html[:500]


def test_a_failure_inside_the_handler_is_a_plain_500_saying_nothing_was_sent(
    portal: Portal, database: Database
) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE return_version"))
    client = TestClient(portal.app, base_url=BASE, raise_server_exceptions=False)
    result = submit_via_portal(client, portal.links[PROCESS, "police"], _measure("A measure"))
    assert result.status == 500
    assert "Your return has not been sent. Try again later." in result.html


def test_a_needs_return_without_its_indicators_file_is_shown_again_with_an_error(
    portal: Portal, client: TestClient
) -> None:
    result = submit_via_portal(
        client, portal.links["joint_needs_analysis", "police"], {"commentary": "To follow."}
    )
    assert result.status == 422
    assert portal.request("joint_needs_analysis", "police").status == "open"


def test_the_latest_version_is_shown_and_prefilled_when_none_is_named(
    portal: Portal, client: TestClient
) -> None:
    link = portal.links[PROCESS, "police"]
    submit_via_portal(client, link, _measure("Refer families to debt advice"))
    submit_via_portal(client, link, _measure("Holiday activity sessions"))
    path, query = link.removeprefix(BASE).split("?")
    thanks = client.get(f"{path}/received?{query}")
    assert "Version 2 of your return" in thanks.text
    # A body the parser refuses: the form again, filled in from the latest version.
    fields = {f"f{i}": "x" for i in range(600)}
    again = client.post(link, data=fields)
    assert again.status_code == 400
    box = re.search(r'name="m-1-measure"[^>]*>([^<]*)<', again.text)
    assert box is not None and box.group(1).strip() == "Holiday activity sessions"
