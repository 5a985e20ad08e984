"""`trustcycle serve` as the README runs it; an officer starts a dry run from the Prefect UI.

Drives Debian's Chromium (`/usr/bin/chromium`, installed by `scripts/services.sh`) through
Playwright. The serve process runs in a temporary directory, so its `var/` (Prefect's
SQLite database, trustcycle's database, mail) is thrown away afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
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
# Settings from the developer's shell that would point the child at another server,
# database or mail host.
SCRUBBED = (
    "PREFECT_API_URL",
    "PREFECT_HOME",
    "PREFECT_SERVER_API_AUTH_STRING",
    "PREFECT_API_AUTH_STRING",
    "PREFECT_UI_API_URL",
    "TRUSTCYCLE_DATABASE_URL",
    "TRUSTCYCLE_SMTP_HOST",
    "TRUSTCYCLE_SMTP_PORT",
    "TRUSTCYCLE_MAIL_SINK_DIR",
)


def free_port() -> int:
    """A TCP port nobody is listening on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running `trustcycle serve` and where to reach it."""

    process: subprocess.Popen[bytes]
    workdir: Path
    log: Path
    ui_url: str

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:])


def deployment_names(api_url: str) -> set[str]:
    """The names of the deployments registered on the server (none if it is not up)."""
    try:
        response = httpx.post(f"{api_url}/deployments/filter", json={}, timeout=5)
    except httpx.HTTPError:
        return set()
    return {d["name"] for d in response.json()} if response.status_code == 200 else set()


def wait_until_registered(served: Served, timeout: float = 60) -> None:
    """Wait for every deployment to appear; fail with the serve log if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            code = served.process.returncode
            pytest.fail(f"trustcycle serve exited ({code}):\n{served.log_tail()}")
        if set(DEPLOYMENTS) <= deployment_names(served.api_url):
            return
        time.sleep(0.5)
    pytest.fail(f"deployments not registered after {timeout:.0f}s:\n{served.log_tail()}")


def kill_leftovers(served: Served) -> None:
    """SIGKILL the serve process group and the Prefect server, if either is still there."""
    for pid_file in (served.workdir / "var" / "prefect" / "trustcycle-server.pid",):
        if pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
    if served.process.poll() is None:
        os.killpg(served.process.pid, signal.SIGKILL)
        served.process.wait(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`trustcycle --config <repo>/config serve --port N`, started in a throwaway directory."""
    workdir = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    port = free_port()
    log = workdir / "serve.log"
    trustcycle = Path(sys.executable).with_name("trustcycle")
    command = [str(trustcycle), "--config", str(ROOT / "config"), "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, so teardown can kill all of it
        )
    s = Served(process, workdir, log, f"http://127.0.0.1:{port}")
    try:
        wait_until_registered(s)
        yield s
    finally:
        kill_leftovers(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} missing (run scripts/services.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    p = browser.new_page(viewport={"width": 1400, "height": 900})
    p.set_default_timeout(15_000)
    yield p
    p.close()


def flow_runs_named(api_url: str, name: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"name": {"any_": [name]}}}
    response = httpx.post(f"{api_url}/flow_runs/filter", json=body, timeout=5)
    response.raise_for_status()
    return list(response.json())


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
        runs = flow_runs_named(served.api_url, run_name)
        if runs and runs[0]["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
        time.sleep(1)
    assert len(runs) == 1, f"no flow run {run_name!r}\n{served.log_tail()}"
    run = runs[0]
    assert run["parameters"]["dry_run"] is True
    assert run["parameters"]["config_dir"] == str(ROOT / "config")
    assert run["state_type"] == "COMPLETED", f"{run['state_name']}\n{served.log_tail()}"


def test_sigterm_stops_serve_and_its_prefect_server(served: Served) -> None:
    # Runs last in this module: it ends the served process the other tests used.
    pid_file = served.workdir / "var" / "prefect" / "trustcycle-server.pid"
    server_pid = int(pid_file.read_text())
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(40) == 0, served.log_tail()
    assert not pid_file.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(server_pid, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.api_url}/health", timeout=2)
