"""A partner in a real browser (Debian's Chromium, JavaScript off): from the emailed link,
through a validation error and its correction, to the thank-you page."""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from tests.integration.portal_support import DURING_CYCLE, Portal, build_portal
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage, ReturnVersion

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
GOOD_CSV = (
    b"indicator,period,source,value,comparator\n"
    b"Children in low income families (%),2008,HMRC,8.1,21.3\n"
)

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Portal]:
    """The portal served by uvicorn on loopback, its clock inside the Rutland 2010 cycle."""
    # The server's own socket, bound to port 0 and read back before the links are made: no
    # window in which another process could take the port.
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = int(listening.getsockname()[1])
    database = Database.from_url(f"sqlite:///{tmp_path / 'portal.db'}")
    with use_clock(DURING_CYCLE):
        portal = build_portal(database, tmp_path, base_url=f"http://127.0.0.1:{port}")
        server = uvicorn.Server(
            uvicorn.Config(portal.app, log_level="warning", access_log=False)
        )
        # The server thread runs in a copy of this context, so it reads the fixed clock.
        context = contextvars.copy_context()
    thread = threading.Thread(
        target=context.run, args=(server.run,), kwargs={"sockets": [listening]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield portal
    server.should_exit = True
    thread.join(10)
    listening.close()
    database.dispose()
    assert not thread.is_alive(), "uvicorn did not stop within 10 s"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False)  # must work without JS
    yield context.new_page()
    context.close()


def test_a_partner_corrects_a_validation_error_and_submits_a_cypp_return(
    live: Portal, page: Page, tmp_path: Path
) -> None:
    page.goto(live.links["cypp_annual_review", "police"])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Progress on the CYPP priorities you lead"
    )
    expect(
        page.get_by_text("Children and Young People's Plan (England) Regulations 2005")
    ).to_be_visible()
    expect(page.get_by_text("Thursday 17 June 2010 at 5pm")).to_be_visible()

    page.get_by_label("Progress made").fill("Re-referrals fell. <b>not bold</b> {{ 7*7 }}")
    page.get_by_role("button", name="Send return").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary.get_by_role("link", name="Select a red, amber or green rating")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the indicator value")).to_be_visible()
    expect(page.get_by_label("Progress made")).to_have_value(
        "Re-referrals fell. <b>not bold</b> {{ 7*7 }}"
    )
    assert live.request("cypp_annual_review", "police").status == "open"

    page.get_by_label("Amber").check()
    page.get_by_label("Indicator value: Re-referrals to children's social care (%)").fill("21.5")
    report = tmp_path / "progress.pdf"
    report.write_bytes(PDF)
    page.get_by_label("Supporting document (optional)").set_input_files(report)
    page.get_by_role("button", name="Send return").click()

    expect(page.get_by_role("heading", name="Return received")).to_be_visible()
    expect(page.get_by_text("Version 1 of your return")).to_be_visible()
    expect(page.get_by_text("Re-referrals fell. <b>not bold</b> {{ 7*7 }}")).to_be_visible()
    request = live.request("cypp_annual_review", "police")
    assert request.status == "received"
    with live.database.sessions() as session:
        version = session.scalars(
            select(ReturnVersion).where(ReturnVersion.contribution_request_id == request.id)
        ).one()
        receipts = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.contribution_request_id == request.id, OutboxMessage.kind == "receipt"
            )
        ).all()
    expect(page.get_by_text(version.sha256)).to_be_visible()
    assert Path(version.file_path or "").read_bytes() == PDF
    assert len(receipts) == 1

    page.get_by_role("link", name="Send a new version").click()
    expect(page.get_by_role("heading", name="What you sent before")).to_be_visible()
    expect(page.get_by_label("Amber")).to_be_checked()


def test_a_partner_fixes_a_bad_row_in_needs_data_and_resubmits(
    live: Portal, page: Page, tmp_path: Path
) -> None:
    page.goto(live.links["joint_needs_analysis", "police"])
    bad = tmp_path / "needs.csv"
    bad.write_bytes(GOOD_CSV + b"Worklessness (%),2009,DWP,n/a,11\n")
    page.get_by_label("Indicators (CSV or Excel)").set_input_files(bad)
    page.get_by_label("Commentary").fill("By ward where we have it.")
    page.get_by_role("button", name="Send return").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Row 3, column value: 'n/a' is not a number")
    summary.get_by_role("link").first.click()
    assert page.url.endswith("#indicators")

    good = tmp_path / "needs-fixed.csv"
    good.write_bytes(GOOD_CSV)
    page.get_by_label("Indicators (CSV or Excel)").set_input_files(good)
    page.get_by_role("button", name="Send return").click()
    expect(page.get_by_role("heading", name="Return received")).to_be_visible()
    expect(page.get_by_text("Children in low income families (%) (2008)")).to_be_visible()
    assert live.request("joint_needs_analysis", "police").status == "received"


def test_a_tampered_link_shows_the_browser_a_403_page(live: Portal, page: Page) -> None:
    link = live.links["cypp_annual_review", "police"]
    response = page.goto(link[:-4] + "0000")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
