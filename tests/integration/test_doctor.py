"""`trustcycle doctor` against real parts: aiosmtpd relays that take or refuse us, real
SQLite files (and PostgreSQL), the session's Prefect server, a Prefect API that is not
there, a real HTTP listener for the portal; and `serve` refusing to start."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from prefect.settings import PREFECT_API_URL
from sqlalchemy import text

from deployments.serve import ServeError, ServeOptions, run
from tests.integration.test_outbox_relay import (  # noqa: F401 - fixtures used by name
    MAIL_FROM,
    USER,
    pki,
)
from tests.integration.test_outbox_relay import relay_for as relay_for  # noqa: F401
from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.cli import main
from trustcycle.db import Database
from trustcycle.db.session import make_engine
from trustcycle.doctor.findings import Status
from trustcycle.doctor.local import check_config, check_timezone
from trustcycle.doctor.services import (
    PrefectApi,
    check_clock,
    check_database,
    check_mail,
    check_portal,
    check_prefect,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "config"
SECRET = "s" * 48
HEAD = "0002"  # the newest migration's revision id


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def _head() -> str:
    from alembic.script import ScriptDirectory

    from trustcycle.db.session import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and head.startswith(HEAD)
    return head


# --- the SMTP relay ---------------------------------------------------------------------


def test_a_relay_that_takes_us_is_ok_and_gets_no_message(
    smtp_server: SmtpTestServer, mail_settings: Any
) -> None:
    finding = check_mail(None)
    assert finding.line() == (
        f"OK   mail        relay 127.0.0.1:{smtp_server.port}: connected, no TLS (loopback), "
        "no login; nothing sent (From: Trust Support <trust.support@rutland.example.gov.uk>)")
    assert smtp_server.messages == []


def test_starttls_verified_and_the_login_taken_is_ok_without_sending(relay_for: Any) -> None:
    relay = relay_for()
    finding = check_mail(os.environ["TRUSTCYCLE_SMTP_PASSWORD"])
    assert finding.line() == (
        f"OK   mail        relay 127.0.0.1:{relay.port}: connected, STARTTLS, logged in as "
        f"{USER}; nothing sent (From: {MAIL_FROM})")
    assert relay.seen.logins == [(USER, True)] and relay.seen.messages == []


def test_a_relay_refusing_the_password_is_a_fail_saying_what_to_check(relay_for: Any) -> None:
    relay = relay_for(password="wrong")
    finding = check_mail("wrong")
    assert finding.status is Status.FAIL and not finding.blocks_serving
    assert finding.text.startswith(
        f"the relay refused trustcycle: authentication failed: 127.0.0.1:{relay.port}: 535 ")
    assert finding.text.endswith(
        ": check TRUSTCYCLE_SMTP_USER (sent exactly as written) and the password, and that "
        "SMTP AUTH is enabled for that mailbox")
    # smtplib tries each mechanism the relay offers; every one is refused, nothing is sent.
    assert {login for login, _ in relay.seen.logins} == {USER}
    assert not any(ok for _, ok in relay.seen.logins) and relay.seen.messages == []


def test_a_certificate_not_trusted_is_a_fail_before_any_login(relay_for: Any) -> None:
    relay = relay_for(trust_ca=False)
    finding = check_mail(os.environ["TRUSTCYCLE_SMTP_PASSWORD"])
    assert finding.status is Status.FAIL
    assert finding.text.startswith("the relay refused trustcycle: TLS failed: the relay's "
                                   f"certificate is not trusted: 127.0.0.1:{relay.port}: ")
    assert "set TRUSTCYCLE_SMTP_CA_FILE to the council's CA" in finding.text
    assert relay.seen.auth_commands == 0


def test_a_relay_that_is_down_and_a_login_without_password_are_fails(
    smtp_server: SmtpTestServer, mail_settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp_server.stop()
    down = check_mail(None)
    assert down.status is Status.FAIL
    assert down.text.startswith(f"cannot connect to 127.0.0.1:{smtp_server.port}: ")
    assert down.text.endswith(": check TRUSTCYCLE_SMTP_HOST and _PORT, and that this machine "
                              "may reach the relay")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_STARTTLS", "true")
    monkeypatch.setenv("TRUSTCYCLE_SMTP_USER", "trust")
    assert check_mail(None).text == (
        "TRUSTCYCLE_SMTP_USER is trust but no password is set: put it in the Prefect Secret "
        "block trustcycle-smtp-password (or TRUSTCYCLE_SMTP_PASSWORD)")
    assert check_mail(None, password_note="read later").line() == (
        f"SKIP mail        relay 127.0.0.1:{smtp_server.port}: login not checked: read later")


def test_no_relay_set_is_a_warning_that_mail_reaches_nobody(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRUSTCYCLE_SMTP_HOST", raising=False)
    monkeypatch.delenv("TRUSTCYCLE_MAIL_SINK_DIR", raising=False)
    assert check_mail(None).line() == (
        "WARN mail        TRUSTCYCLE_SMTP_HOST is not set: mail goes to the embedded sink "
        "(var/mail/*.eml) and reaches nobody; set it to your council's relay (README, \"Your "
        "council's relay\")")


# --- the database -----------------------------------------------------------------------


def test_a_sqlite_file_is_checked_without_being_created_and_its_schema_against_the_head(
    tmp_path: Path,
) -> None:
    path = tmp_path / "trust.db"
    url = f"sqlite:///{path}"
    assert check_database(url).line() == (
        f"WARN database    {url}: no database yet; it is created with its tables on first use "
        "(`trustcycle config apply` does it now)")
    assert not path.exists()
    sqlite3.connect(path).close()  # an empty file
    assert check_database(url).text == (
        f"{url}: reachable, no tables yet; they are created on first use (`trustcycle config "
        "apply` does it now)")
    Database.from_url(url).dispose()
    assert check_database(url).line() == (
        f"OK   database    {url}: reachable, schema current ({_head()})")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert check_database(url).text == (
        f"{url}: schema 0001, this trustcycle needs {_head()}: upgraded on the next run "
        "(`trustcycle config apply` does it now)")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
    engine.dispose()
    ahead = check_database(url)
    assert (ahead.status, ahead.blocks_serving) == (Status.FAIL, True)
    assert ahead.text == (f"{url}: schema 0099_from_the_future was written by a newer "
                          f"trustcycle (this one knows up to {_head()}): upgrade this "
                          "installation")


@pytest.mark.postgres
def test_postgresql_current_is_ok_and_an_unreachable_server_blocks_serving(pg_url: str) -> None:
    Database.from_url(pg_url).dispose()
    ok = check_database(pg_url)
    assert ok.status is Status.OK and "***@" in ok.text and "postgres:postgres@" not in ok.text
    port = _closed_port()
    down = check_database(f"postgresql+psycopg2://trust:secret@127.0.0.1:{port}/trust")
    assert (down.status, down.blocks_serving) == (Status.FAIL, True)
    assert down.text.startswith(f"cannot reach postgresql+psycopg2://trust:***@127.0.0.1:{port}/"
                                "trust: ")
    assert "secret" not in down.text


# --- Prefect, the clock, the portal, the configuration ----------------------------------


def test_a_prefect_api_that_is_not_there_fails_and_leaves_the_deployments_unchecked() -> None:
    api = PrefectApi(f"http://127.0.0.1:{_closed_port()}/api")
    findings, server_now = check_prefect(api, ["chase-returns"])
    down, deployments = (f.line() for f in findings)
    assert down.startswith(f"FAIL prefect     no Prefect API answers at {api.url} (")
    assert down.endswith("): start `trustcycle serve`, or set PREFECT_API_URL to your server")
    assert deployments == "SKIP deployments no Prefect API to ask"
    assert server_now is None


def test_the_sessions_prefect_server_is_healthy_but_has_none_of_our_deployments() -> None:
    api = PrefectApi(str(PREFECT_API_URL.value()).rstrip("/"))
    # Names no other test registers: the session's server is shared by the whole suite.
    findings, server_now = check_prefect(api, ["doctor-probe-a", "doctor-probe-b"])
    assert findings[0].status is Status.OK and findings[0].text.startswith(f"{api.url}: healthy")
    assert findings[1].line() == (
        "FAIL deployments not registered: doctor-probe-a, doctor-probe-b: start `trustcycle "
        "serve` (it registers every deployment)")
    assert server_now is not None
    assert check_clock(dt.datetime.now(dt.UTC), server_now, same_machine=True).status is Status.OK


def test_the_clock_is_compared_with_the_servers_date_header() -> None:
    server = dt.datetime(2026, 6, 9, 8, 0, 0, tzinfo=dt.UTC)
    late = check_clock(server - dt.timedelta(seconds=95), server, same_machine=False)
    assert late.line() == ("FAIL clock       this machine's clock is 95 s behind the Prefect "
                           "server's: turn on NTP (timedatectl set-ntp true) on both")
    assert check_clock(server + dt.timedelta(seconds=2), server, same_machine=False).line() == (
        "OK   clock       within 2 s of the Prefect server's")
    assert check_clock(server, None, same_machine=False).status is Status.SKIP
    assert check_clock(server, server, same_machine=True, shift_days=3).text.startswith(
        "TRUSTCYCLE_CLOCK_SHIFT_DAYS=3: this installation acts as if 3 days later")


@pytest.fixture
def listener() -> Iterator[str]:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_portal_needs_its_secret_and_something_answering(listener: str) -> None:
    assert check_portal(None, None).status is Status.OK
    assert check_portal(listener, None).text.startswith(
        "TRUSTCYCLE_PORTAL_SECRET is not set: request emails go without their portal link")
    assert check_portal(listener, "short").text.startswith(
        "TRUSTCYCLE_PORTAL_SECRET is shorter than 32 characters")
    answered = check_portal(listener, SECRET)
    assert answered.line() == f"OK   portal      secret set; {listener} answers (200)"
    nobody = f"http://127.0.0.1:{_closed_port()}"
    silent = check_portal(nobody, SECRET).line()
    assert silent.startswith(f"WARN portal      secret set; nothing answers at {nobody} (")
    assert silent.endswith("): start `trustcycle portal` (the links in request emails lead "
                           "there)")


def test_the_configuration_and_time_zone_checks(tmp_path: Path) -> None:
    finding, cfg = check_config(SAMPLE)
    assert cfg is not None and finding.line() == (
        f"OK   config      {SAMPLE}: Wessex Vale Children's Trust, cycle year 2026-27, "
        "12 partners, 5 bodies, 5 processes")
    broken = tmp_path / "broken"
    broken.mkdir()
    for path in SAMPLE.glob("*.yaml"):
        text_ = path.read_text().replace("cycle_year: 2026", "cycle_year: x")
        (broken / path.name).write_text(text_.replace("kind: board", "kind: boardroom"))
    finding, cfg = check_config(broken)
    assert cfg is None and (finding.status, finding.blocks_serving) == (Status.FAIL, True)
    assert finding.text == (
        f"{broken / 'trust.yaml'}: trust.cycle_year: Input should be a valid integer, unable to "
        f"parse string as an integer (and 1 more: `trustcycle config check --config {broken}`)")
    assert check_timezone(2026).text.startswith(
        "Europe/London: BST in summer 2026, GMT in winter; ")


# --- the command and serve --------------------------------------------------------------


def test_doctor_prints_one_line_per_check_and_exits_1_without_prefect(
    tmp_path: Path, smtp_server: SmtpTestServer, mail_settings: Any
) -> None:
    db = f"sqlite:///{tmp_path / 'trust.db'}"
    Database.from_url(db).dispose()
    api = f"http://127.0.0.1:{_closed_port()}/api"
    env = {**os.environ, "TRUSTCYCLE_DATABASE_URL": db, "PREFECT_API_URL": api,
           "TRUSTCYCLE_PORTAL_SECRET": SECRET}
    done = subprocess.run([sys.executable, "-m", "trustcycle.cli", "doctor", "--config",
                           str(ROOT / "config/examples/rutland-2010")],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line[:17] for line in lines[:-1]] == [
        "OK   config      ", "OK   timezone    ", "SKIP clock       ", "OK   database    ",
        "OK   mail        ", "OK   portal      ", "FAIL prefect     ", "SKIP deployments "]
    assert lines[-1] == "8 checks: 5 OK, 0 WARN, 1 FAIL, 2 SKIP: fix the FAIL lines"
    assert smtp_server.messages == []


def test_doctor_can_leave_checks_out_and_refuses_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["doctor", "--skip", "prefect,mail,portal,clock,database",
                 "--config", str(SAMPLE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == ("2 checks: 2 OK, 0 WARN, 0 FAIL, 0 SKIP (skipped: clock, database, mail, "
                       "portal, prefect): all in order")
    assert main(["doctor", "--skip", "printer"]) == 2
    assert capsys.readouterr().err == (
        "trustcycle: --skip printer: choose from timezone, clock, database, mail, portal, "
        "prefect\n")


def test_serve_prints_the_checks_and_refuses_an_unreachable_database_before_starting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    port = _closed_port()
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", f"postgresql+psycopg2://t:pw@127.0.0.1:{port}/t")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    with pytest.raises(ServeError) as refused:
        run(ServeOptions(config_dir=SAMPLE, port=_closed_port()))
    assert str(refused.value).startswith(
        f"not starting: cannot reach postgresql+psycopg2://t:***@127.0.0.1:{port}/t: ")
    printed = capsys.readouterr().out.splitlines()
    assert [line[:9] for line in printed[:3]] == ["OK   conf", "OK   time", "FAIL data"]
    assert not (tmp_path / "prefect").exists()  # no server was started
