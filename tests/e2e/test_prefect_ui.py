"""`trustcycle serve` as the README runs it; an officer starts a dry run from the Prefect UI.

Drives Debian's Chromium (`/usr/bin/chromium`, installed by `scripts/services.sh`) through
Playwright. The serve process runs in a temporary directory, so its `var/` (Prefect's
SQLite database, trustcycle's database, mail) is thrown away afterwards.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pendulum
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.serve_support import (
    LONDON,
    ROOT,
    Served,
    poll,
    serve_env,
    start_serve,
)
from trustcycle.calendar.timeline import resolve_year
from trustcycle.trust import load_config

pytestmark = pytest.mark.browser

DEPLOYMENTS = [
    "chase-returns",
    "run-cycle",
    "record-return",
    "collect-returns",
    "assemble-draft",
    "membership-review",
    "cypp-annual-review",
    "joint-needs-analysis",
    "child-poverty-strategy",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`trustcycle --config <repo>/config serve --port N`, started in a throwaway directory."""
    workdir = tmp_path_factory.mktemp("serve")
    s = start_serve(workdir, ROOT / "config", serve_env())
    try:
        s.wait_until_registered(set(DEPLOYMENTS))
        yield s
    finally:
        s.kill()


@pytest.fixture(scope="module")
def browser(chromium: Browser) -> Browser:
    return chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = browser.new_page(viewport={"width": 1400, "height": 900})
    p.set_default_timeout(15_000)
    yield p
    p.close()


def flow_runs_named(served: Served, name: str) -> list[dict[str, Any]]:
    return served.flow_runs({"flow_runs": {"name": {"any_": [name]}}})


def test_serve_keeps_prefect_state_under_var_prefect_in_the_working_directory(
    served: Served,
) -> None:
    assert (served.workdir / "var" / "prefect" / "prefect.db").exists()
    assert "Prefect UI: " + served.ui_url in served.log.read_text()


def test_the_deployments_page_lists_every_trustcycle_deployment(
    served: Served, page: Page
) -> None:
    page.goto(f"{served.ui_url}/deployments")
    for name in DEPLOYMENTS:
        expect(page.get_by_role("link", name=name, exact=True).first).to_be_visible()


def test_an_officer_starts_a_dry_run_of_the_chase_from_the_custom_run_form(
    served: Served, page: Page
) -> None:
    run_name = f"ui-dry-run-{uuid.uuid4().hex[:8]}"
    page.goto(f"{served.ui_url}/deployments")
    page.get_by_role("link", name="chase-returns", exact=True).first.click()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Custom run").click()
    expect(page.get_by_text("dry_run")).to_be_visible()
    expect(page.get_by_text("as_of")).to_be_visible()
    page.get_by_role("textbox").first.fill(run_name)  # the run's name: first field
    # The form has one boolean parameter, dry_run, drawn as a toggle switch.
    toggle = page.get_by_role("switch")
    expect(toggle).to_have_attribute("aria-checked", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-checked", "true")
    page.get_by_role("button", name="Submit").click()

    deadline = time.monotonic() + 45
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = flow_runs_named(served, run_name)
        if runs and runs[0]["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
        time.sleep(1)
    assert len(runs) == 1, f"no flow run {run_name!r}\n{served.log_tail()}"
    run = runs[0]
    assert run["parameters"]["dry_run"] is True
    assert run["parameters"]["config_dir"] == str(ROOT / "config")
    assert run["state_type"] == "COMPLETED", f"{run['state_name']}\n{served.log_tail()}"


def _expected_step_runs(horizon: pendulum.DateTime) -> set[tuple[str, pendulum.DateTime]]:
    """Every process step of the default calendar from now to `horizon`, at 09:30 London:
    the calendar's own dates (README, "Dates"), this cycle year and the next."""
    cfg = load_config(ROOT / "config")
    now = pendulum.now(LONDON)
    current = max(cfg.trust.cycle_year, now.year if now.month >= 4 else now.year - 1)
    wanted = set()
    for year in (current, current + 1):
        for pid, dates in resolve_year(cfg, year).items():
            for role in ("request", "cutoff", "papers", "publish"):
                at = getattr(dates, role)
                if at is None:
                    continue
                step = pendulum.datetime(at.year, at.month, at.day, 9, 30, tz=LONDON)
                if now < step <= horizon:
                    wanted.add((pid.replace("_", "-"), step))
    return wanted


def test_the_scheduler_creates_every_deployments_runs_at_their_london_times(
    served: Served,
) -> None:
    names = {d["id"]: d["name"] for d in httpx.post(f"{served.api_url}/deployments/filter",
                                                     json={}, timeout=10).json()}
    # Prefect's scheduler looks 100 days ahead (at least 3 runs of each schedule).
    horizon = pendulum.now(LONDON).add(days=90)
    steps = _expected_step_runs(horizon)

    def scheduled() -> dict[str, set[pendulum.DateTime]] | None:
        runs = served.flow_runs({"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}})
        found: dict[str, set[pendulum.DateTime]] = {}
        for r in runs:
            found.setdefault(names.get(r["deployment_id"], "?"), set()).add(
                pendulum.parse(r["expected_start_time"]).in_timezone(LONDON))
        got_steps = {(n, t) for n, ts in found.items() for t in ts if n not in (
            "chase-returns", "run-cycle")}
        complete = (len(found.get("chase-returns", ())) >= 3
                    and len(found.get("run-cycle", ())) >= 3 and steps <= got_steps)
        return found if complete else None

    found = poll("scheduled runs of every deployment", scheduled, 90, every=2,
                 on_fail=served.log_tail)
    for name, minute in (("chase-returns", 0), ("run-cycle", 15)):
        for at in found[name]:
            assert (at.isoweekday() < 6, at.hour, at.minute) == (True, 9, minute), (name, at)
    for name in ("membership-review", "cypp-annual-review", "joint-needs-analysis",
                 "child-poverty-strategy"):
        assert all((at.hour, at.minute) == (9, 30) for at in found.get(name, ())), name
    log = (served.workdir / "var" / "prefect" / "server.log").read_text(errors="replace")
    errors = [line for line in log.splitlines() if re.search(r"\bERROR\b", line)]
    assert errors == [], "\n".join(errors[:20])
