"""`trustcycle serve` as the README runs it, in a throwaway directory; and a trust whose
calendar is placed around the real today, for the live tests.

The served process runs in its own session (so teardown can kill all of it), with its
`var/` (Prefect's SQLite database, trustcycle's database, mail) under the directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pendulum
import pytest
import yaml

from trustcycle.calendar.workdays import working_days
from trustcycle.config.schema import Nation

ENGLAND = working_days(Nation.england)  # the trusts these tests run are English
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LONDON = "Europe/London"
# Settings from the developer's shell that would point the child at another server,
# database or mail host.
SCRUBBED = (
    "PREFECT_API_URL",
    "PREFECT_HOME",
    "PREFECT_SERVER_API_AUTH_STRING",
    "PREFECT_API_AUTH_STRING",
    "PREFECT_UI_API_URL",
    "PREFECT_UI_URL",
    "TRUSTCYCLE_DATABASE_URL",
    "TRUSTCYCLE_SMTP_HOST",
    "TRUSTCYCLE_SMTP_PORT",
    "TRUSTCYCLE_MAIL_SINK_DIR",
    "TRUSTCYCLE_SIGNOFF",
    "TRUSTCYCLE_CLOCK_SHIFT_DAYS",
)
T = TypeVar("T")


def poll(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5,
         on_fail: Callable[[], str] = lambda: "") -> T:
    """`check()` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {timeout:.0f}s\n{on_fail()}")
        time.sleep(every)


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

    def log_tail(self, lines: int = 60) -> str:
        serve = "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        server_log = self.workdir / "var" / "prefect" / "server.log"
        server = "\n".join(server_log.read_text(errors="replace").splitlines()[-20:]) \
            if server_log.exists() else ""
        return f"--- serve ---\n{serve}\n--- prefect server ---\n{server}"

    def deployment_names(self) -> set[str]:
        try:
            response = httpx.post(f"{self.api_url}/deployments/filter", json={}, timeout=5)
        except httpx.HTTPError:
            return set()
        return {d["name"] for d in response.json()} if response.status_code == 200 else set()

    def flow_runs(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = httpx.post(f"{self.api_url}/flow_runs/filter", json=body, timeout=10)
        response.raise_for_status()
        return list(response.json())

    def wait_until_registered(self, names: set[str], timeout: float = 90) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"trustcycle serve exited ({self.process.returncode}):\n"
                            f"{self.log_tail()}")
            return names <= self.deployment_names()

        poll("deployments registered", ready, timeout, on_fail=self.log_tail)

    def kill(self) -> None:
        """SIGKILL the serve process group and the Prefect server, if still there."""
        pid_file = self.workdir / "var" / "prefect" / "trustcycle-server.pid"
        if pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError, PermissionError):
                pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def serve_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update(extra or {})
    return env


def start_serve(workdir: Path, config: Path, env: dict[str, str]) -> Served:
    """`trustcycle --config CONFIG serve --port N` in `workdir`, as the README runs it."""
    port = free_port()
    log = workdir / "serve.log"
    trustcycle = Path(sys.executable).with_name("trustcycle")
    command = [str(trustcycle), "--config", str(config), "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Served(process, workdir, log, f"http://127.0.0.1:{port}")


# --- a trust placed around the real today -----------------------------------------------


def planning_day(today: pendulum.Date) -> tuple[pendulum.Date, int]:
    """The working day the live service rehearses (today, or the next working day on a
    weekend or bank holiday) and its shift in days (TRUSTCYCLE_CLOCK_SHIFT_DAYS)."""
    day = today
    while not ENGLAND.is_working_day(day):
        day = day.add(days=1)
    return day, (day - today).days


@dataclass(frozen=True)
class LiveDates:
    """The live trust's calendar, placed around `day` (a working day)."""

    day: pendulum.Date  # the cut-off: today in the rehearsed calendar
    request: pendulum.Date
    deadline: pendulum.Date
    meeting: pendulum.Date
    cycle_year: int
    cycle_start: str


def live_dates(day: pendulum.Date) -> LiveDates:
    """Requests 6 working days ago, the deadline yesterday, the cut-off today, the board
    meeting 10 working days on (more than 5 clear days after the cut-off); the cycle year
    starts six months back, so every date is well inside it."""
    start = day.subtract(months=6).replace(day=1)
    return LiveDates(day, ENGLAND.add_working_days(day, -6), ENGLAND.add_working_days(day, -1),
                     ENGLAND.add_working_days(day, 10), start.year, start.format("MM-DD"))


PARTNERS = ("alpha", "bravo", "charlie")
MEMBERS = {"ann.alpha@alpha.example.org", "ben.bravo@bravo.example.org",
           "cat.charlie@charlie.example.org"}
CLERK = "clerk@live.example.gov.uk"
OFFICER = "officer@live.example.gov.uk"
MANAGER = "manager@live.example.gov.uk"


def contact(pid: str) -> str:
    return f"{pid}.contact@{pid}.example.org"


def write_live_config(directory: Path, dates: LiveDates, times: dict[str, str]) -> Path:
    """A three-partner trust whose membership review reaches its cut-off on `dates.day`,
    with the chase / cycle / step run times `times` (HH:MM, London, every day)."""
    directory.mkdir(parents=True, exist_ok=True)

    def plain(d: date) -> date:  # YAML writes datetime.date, not pendulum's subclass
        return date(d.year, d.month, d.day)

    members = [
        {"person": {"name": n, "email": e}, "partner": p, "role": "Member",
         "term_start": date(dates.cycle_year - 1, 1, 1)}
        for p, n, e in (("alpha", "Ann Alpha", "ann.alpha@alpha.example.org"),
                        ("bravo", "Ben Bravo", "ben.bravo@bravo.example.org"),
                        ("charlie", "Cat Charlie", "cat.charlie@charlie.example.org"))
    ]
    files = {
        "trust.yaml": {"trust": {
            "id": "livetest", "name": "Livetest Children's Trust",
            "local_authority": "Livetest Council", "cycle_year": dates.cycle_year,
            "cycle_start": dates.cycle_start,
            "manager": {"name": "Mo Manager", "role": "Trust Manager", "email": MANAGER},
            "officer": {"name": "Olu Officer", "role": "Support Officer", "email": OFFICER},
            "schedule": {"days": "every day", **times},
        }},
        "partners.yaml": {"partners": {
            pid: {"name": f"{pid.title()} Services", "category": "other",
                  "legal_basis": "invited",
                  "contacts": [{"name": f"{pid.title()} Contact", "email": contact(pid)}],
                  "senior_contact": {"name": f"{pid.title()} Chief",
                                     "email": f"chief@{pid}.example.org"}}
            for pid in PARTNERS
        }},
        "bodies.yaml": {"bodies": {"board": {
            "name": "Livetest Trust Board", "kind": "board",
            "clerk": {"name": "Cly Clerk", "email": CLERK}, "members": members,
            "meetings": {"time": "14:00", "dates": [plain(dates.meeting)]},
        }}},
        "priorities.yaml": {"priorities": {}},
        "calendar.yaml": {"processes": {"membership_review": {
            "kind": "membership_review", "title": "Review of Trust membership",
            "legal_basis": "Children Act 2004 s10", "enabled": True,
            "returns": [{"id": "representation", "title": "Your representative and deputy",
                         "asked_of": {"all": True}}],
            "request": {"date": plain(dates.request)},
            "deadline": {"date": plain(dates.deadline)},
            "cutoff": {"date": plain(dates.day)},
            "ladder": [{"name": "on_the_day", "working_days": 0}],
            # The papers day is the cut-off (today): approved in the UI, the papers go at
            # once (s100B is met with room to spare: more than 5 clear days).
            "receiving": {"body": "board",
                          "meeting": {"body": "board", "date": plain(dates.meeting)},
                          "clear_days": (dates.meeting - dates.day).days - 1},
        }}},
    }
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return directory
