"""A live trust, end to end, with no direct flow calls: `trustcycle serve` on the real wall
clock, Prefect's scheduler creating the runs, serve's runner starting them, the officer
signing the draft off in the Prefect UI in Chromium, and the papers reaching the board.

The trust's calendar is placed around the real today: requests opened six working days
ago (by an officer's catch-up run, `trustcycle chase --as-of`), two of three partners
returned, the cut-off today, the board more than five clear days ahead. Its run times are
the next minute. On a weekend or bank holiday the service rehearses the next working day
(TRUSTCYCLE_CLOCK_SHIFT_DAYS), so the test passes on any day.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pendulum
import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.e2e.serve_support import (
    CLERK,
    LONDON,
    MEMBERS,
    OFFICER,
    Served,
    contact,
    live_dates,
    planning_day,
    poll,
    serve_env,
    start_serve,
    write_live_config,
)
from tests.plugins.smtp_sink import SmtpTestServer

pytestmark = [pytest.mark.browser, pytest.mark.live]

OFFICER_NAME = "Olu Officer"


@pytest.fixture(scope="module")
def browser(chromium: Browser) -> Browser:
    return chromium


def _cli(workdir: Path, env: dict[str, str], *args: str) -> str:
    trustcycle = Path(sys.executable).with_name("trustcycle")
    done = subprocess.run([str(trustcycle), *args], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, f"trustcycle {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _kinds(server: SmtpTestServer) -> list[str]:
    return [m.parsed["X-Trustcycle-Kind"] for m in server.messages]


def test_a_live_trust_runs_from_its_schedule_to_papers_signed_off_in_the_ui(
    tmp_path: Path, smtp_server: SmtpTestServer, browser: Browser
) -> None:
    now = pendulum.now(LONDON)
    if now.hour == 0 and now.minute >= 53 or now.hour == 1 or now.hour == 23 and now.minute >= 53:
        pytest.skip("run times a minute ahead would cross midnight or fall in 01:00-01:59, "
                    "which schedules refuse (the hour the clocks change)")
    day, shift = planning_day(now.date())
    dates = live_dates(day)
    # Staggered a minute apart like the defaults (09:00 / 09:15 / 09:30): a SQLite-backed
    # Prefect server serialises writes, and three runs starting in one second can hold
    # its lock for a minute.
    def run_times() -> dict[str, pendulum.DateTime]:
        # A minute or more ahead: serve must be up (with its checks) and registered first,
        # as Prefect's scheduler creates runs for future times only.
        at = pendulum.now(LONDON).add(seconds=60).start_of("minute").add(minutes=1)
        return {"chase": at, "cycle": at.add(minutes=1), "steps": at.add(minutes=2)}

    def hhmm(times: dict[str, pendulum.DateTime]) -> dict[str, str]:
        return {k: v.format("HH:mm") for k, v in times.items()}

    config = write_live_config(tmp_path / "config", dates, hhmm(run_times()))
    env = serve_env({
        "TRUSTCYCLE_SMTP_HOST": smtp_server.host,
        "TRUSTCYCLE_SMTP_PORT": str(smtp_server.port),
        "TRUSTCYCLE_MAIL_FROM": "Livetest Trust <trust@live.example.gov.uk>",
        "TRUSTCYCLE_CLOCK_SHIFT_DAYS": str(shift),
        "PREFECT_RUNNER_POLL_FREQUENCY": "3",  # serve's runner looks for due runs every 3 s
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    })
    # The officer's catch-up run opens the requests of their (past) request day; two
    # partners return by the deadline.
    _cli(tmp_path, env, "--config", str(config), "chase", "--as-of", dates.request.isoformat())
    for partner in ("alpha", "bravo"):
        payload = {"representative": {"name": f"{partner.title()} Rep", "role": "Director"}}
        _cli(tmp_path, env, "--config", str(config), "returns", "record", "--process",
             "membership_review", "--partner", partner, "--json", json.dumps(payload))
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos
                  if m.parsed["X-Trustcycle-Kind"] == "request") == sorted(
        contact(p) for p in ("alpha", "bravo", "charlie"))

    times = run_times()  # now, after the officer's runs: the times serve will schedule
    write_live_config(config, dates, hhmm(times))
    served = start_serve(tmp_path, config, env)
    try:
        _live(served, smtp_server, browser, dates, times)
    finally:
        served.kill()


def _live(served: Served, smtp_server: SmtpTestServer, browser: Browser, dates: object,
          times: dict[str, pendulum.DateTime]) -> None:
    from tests.e2e.serve_support import LiveDates

    assert isinstance(dates, LiveDates)
    served.wait_until_registered({"chase-returns", "run-cycle", "assemble-draft",
                                  "membership-review"})

    # Prefect's scheduler creates the runs: the chase and the cycle driver at the trust's
    # time today, the membership review's cut-off step on the cut-off day at that time.
    names = {d["id"]: d["name"] for d in httpx.post(f"{served.api_url}/deployments/filter",
                                                     json={}, timeout=10).json()}
    steps = times["steps"].in_timezone(LONDON)
    step_at = pendulum.datetime(dates.day.year, dates.day.month, dates.day.day, steps.hour,
                                steps.minute, tz=LONDON)
    wanted = {("chase-returns", times["chase"].in_timezone(LONDON)),
              ("run-cycle", times["cycle"].in_timezone(LONDON)),
              ("membership-review", step_at)}

    def scheduled() -> set[tuple[str, pendulum.DateTime]] | None:
        found = {(names.get(r["deployment_id"], "?"),
                  pendulum.parse(r["expected_start_time"]).in_timezone(LONDON))
                 for r in served.flow_runs({}) if r["auto_scheduled"]}
        return found if wanted <= found else None

    poll(f"runs created by the scheduler {sorted(wanted)}", scheduled, 60,
         on_fail=served.log_tail)

    # The sign-off request reaches the officer: the draft and the link to the waiting run.
    def signoff_request() -> object:
        return next((m for m in smtp_server.messages
                     if m.parsed["X-Trustcycle-Kind"] == "signoff_request"), None)

    asked = poll("the officer's sign-off request", signoff_request,
                 timeout=max(60.0, (times["cycle"] - pendulum.now()).total_seconds() + 150),
                 every=1,
                 on_fail=served.log_tail)
    asked_after = (pendulum.now() - times["cycle"]).total_seconds()
    chase_run = next(r for r in served.flow_runs({"flow_runs": {"name": {"like_": ""}}})
                     if names.get(r["deployment_id"]) == "chase-returns" and r["start_time"])
    started_after = (pendulum.parse(chase_run["start_time"]) - times["chase"]).total_seconds()
    # Figures for the notes (`pytest -s`): schedule time to run start, and to the mail.
    print(f"\nlive: chase run started {started_after:.1f}s after its schedule time; "
          f"sign-off request at the sink {asked_after:.1f}s after the cycle driver's time")
    assert asked.rcpt_tos == [OFFICER]  # type: ignore[attr-defined]
    link = re.search(r"(http://\S+/runs/flow-run/[0-9a-f-]{36})",
                     asked.body("plain")).group(1)  # type: ignore[attr-defined,union-attr]
    run_id = link.rsplit("/", 1)[1]
    # The cut-off was today: charlie never returned and the officer was told.
    assert "missing_report" in _kinds(smtp_server)
    assert not [k for k in _kinds(smtp_server) if k == "papers"]

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    try:
        page.goto(link)
        expect(page.get_by_text("Suspended").first).to_be_visible()
        page.get_by_role("button", name="Resume").click()
        form = page.locator(".p-modal__card")

        def field(label: str) -> Locator:
            return form.locator(".schema-form-property").filter(
                has=page.locator(".schema-form-property__label", has_text=label))

        expect(field("Officer")).to_be_visible()
        # No default decision: Resume then Submit cannot approve a draft nobody read.
        form.get_by_role("button", name="Submit").click()
        expect(form.get_by_text("'decision' is a required property")).to_be_visible()
        expect(form.get_by_text("'officer' is a required property")).to_be_visible()
        field("Officer").locator("textarea, input").first.fill(OFFICER_NAME)
        field("Decision").locator(".p-select-button__control").focus()
        page.keyboard.press("ArrowDown")
        page.get_by_role("option", name="approve", exact=True).click()
        expect(field("Decision").locator(".p-select-button__value")).to_have_text("approve")
        form.get_by_role("button", name="Submit").click()
        expect(form).to_be_hidden()
    except BaseException:
        page.screenshot(path=str(served.workdir / "signoff-failed.png"))
        raise
    finally:
        page.close()

    def papers() -> list[object] | None:
        sent = [m for m in smtp_server.messages if m.parsed["X-Trustcycle-Kind"] == "papers"]
        return sent if {r for m in sent for r in m.rcpt_tos} >= MEMBERS | {CLERK} else None

    sent = poll("papers to the board's members and clerk", papers, 120, every=1,
                on_fail=served.log_tail)
    assert {r for m in sent for r in m.rcpt_tos} == MEMBERS | {CLERK}  # type: ignore[attr-defined]

    db = sqlite3.connect(served.workdir / "var" / "trustcycle.db")
    try:
        approved = db.execute("select actor from audit_log where action='draft.approved'")
        assert [row[0] for row in approved] == [OFFICER_NAME]
    finally:
        db.close()
    # One sign-off run, though the cycle driver and the step both reached sign-off.
    signoffs = served.flow_runs({"flow_runs": {"tags": {"all_": ["signoff"]}}})
    assert [r["id"] for r in signoffs] == [run_id]
    assert signoffs[0]["state_type"] == "COMPLETED" and signoffs[0]["state_name"] == "PapersSent"

    # Ctrl-C or SIGTERM stops serve and the Prefect server it started, leaving nothing.
    pid_file = served.workdir / "var" / "prefect" / "trustcycle-server.pid"
    server_pid = int(pid_file.read_text())
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(40) == 0, served.log_tail()
    assert not pid_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.api_url}/health", timeout=2)
