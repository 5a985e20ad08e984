"""Checks that talk to a service: the database, the SMTP relay, the portal, Prefect's API.

Each connects, asks, and lets go: nothing is written, no mail is sent. The relay is
opened by the outbox's own sender (`YagmailSender.open`: the same TLS verification and
the same login), so "OK" here means the outbox will get in too.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from trustcycle.chasing.links import MIN_SECRET_CHARS, SECRET_ENV
from trustcycle.db.session import DatabaseUrlError, alembic_config, make_engine, resolve_url
from trustcycle.doctor.findings import Finding, fail, ok, one_line, skip, warn
from trustcycle.mail.senders import RelayRefused, ServerUnavailable, YagmailSender
from trustcycle.mail.settings import (
    SmtpSettings,
    SmtpSettingsError,
    is_loopback,
    load_smtp_settings,
)

TIMEOUT = 5.0  # seconds to wait for any one service
CLOCK_TOLERANCE = 30.0  # seconds; the Date header has whole seconds


# --- database ---------------------------------------------------------------------------


def check_database(url: str) -> Finding:
    """Reachable, and its schema at the migrations' head (Alembic), without changing it."""
    try:
        url = resolve_url(url)
        shown = make_url(url).render_as_string(hide_password=True)
    except DatabaseUrlError as exc:
        return fail("database", f"TRUSTCYCLE_DATABASE_URL: {exc}", blocks_serving=True)
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    path = parsed.database or ""
    if sqlite and path not in ("", ":memory:") and not path.startswith("file:"):
        if not Path(path).exists():  # connecting would create it: say so instead
            return warn("database", f"{shown}: no database yet; it is created with its tables "
                                    "on first use (`trustcycle config apply` does it now)")
    engine = make_engine(url, connect_args={} if sqlite else {"connect_timeout": int(TIMEOUT)})
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        reason = one_line(getattr(exc, "orig", None) or exc)
        return fail("database", f"cannot reach {shown}: {reason}: is the server running, and "
                                "TRUSTCYCLE_DATABASE_URL right?", blocks_serving=True)
    finally:
        engine.dispose()
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if current == head:
        return ok("database", f"{shown}: reachable, schema current ({head})")
    if current is None:
        return warn("database", f"{shown}: reachable, no tables yet; they are created on first "
                                "use (`trustcycle config apply` does it now)")
    known = {rev.revision for rev in scripts.walk_revisions()}
    if current not in known:
        return fail("database", f"{shown}: schema {current} was written by a newer trustcycle "
                                f"(this one knows up to {head}): upgrade this installation",
                    blocks_serving=True)
    return warn("database", f"{shown}: schema {current}, this trustcycle needs {head}: upgraded "
                            "on the next run (`trustcycle config apply` does it now)")


# --- the SMTP relay ---------------------------------------------------------------------


def check_mail(password: str | None, *, password_note: str | None = None) -> Finding:
    """Connect, secure (STARTTLS or TLS, verified) and log in as the outbox does; send nothing.

    `password` is the Secret block's or the environment's; `password_note`, when the
    password cannot be read yet (before the Prefect server is up), says why."""
    try:
        settings = load_smtp_settings()
    except SmtpSettingsError as exc:
        return fail("mail", str(exc).replace("\n", "; "))
    if settings.uses_sink:
        return warn("mail", "TRUSTCYCLE_SMTP_HOST is not set: mail goes to the embedded sink "
                            f"({settings.sink_dir}/*.eml) and reaches nobody; set it to your "
                            "council's relay (README, \"Your council's relay\")")
    if settings.user and password is None:
        if password_note:
            return skip("mail", f"{_where(settings)}: login not checked: {password_note}")
        return fail("mail", f"TRUSTCYCLE_SMTP_USER is {settings.user} but no password is set: "
                            "put it in the Prefect Secret block trustcycle-smtp-password (or "
                            "TRUSTCYCLE_SMTP_PASSWORD)")
    sender = YagmailSender(settings.model_copy(update={"timeout": min(settings.timeout, TIMEOUT)}),
                           password=password)
    try:
        sender.open()
    except RelayRefused as exc:
        return fail("mail", f"the relay refused trustcycle: {one_line(exc)}: {_advice(exc)}")
    except ServerUnavailable as exc:
        return fail("mail", f"{one_line(exc)}: check TRUSTCYCLE_SMTP_HOST and _PORT, and that "
                            "this machine may reach the relay")
    sender.close()
    secured = ("implicit TLS" if settings.ssl else "STARTTLS" if settings.starttls
               else "no TLS (loopback)" if is_loopback(settings.host) else "no TLS")
    login = f"logged in as {settings.user}" if settings.user else "no login"
    return ok("mail", f"{_where(settings)}: connected, {secured}, {login}; nothing sent "
                      f"(From: {settings.sender_address})")


def _where(settings: SmtpSettings) -> str:
    port = settings.port or (465 if settings.ssl else 587)
    return f"relay {settings.host}:{port}"


def _advice(exc: RelayRefused) -> str:
    if exc.problem.startswith("TLS"):
        return ("the certificate must chain to a trusted CA and name the host: set "
                "TRUSTCYCLE_SMTP_CA_FILE to the council's CA, or fix TRUSTCYCLE_SMTP_HOST")
    return ("check TRUSTCYCLE_SMTP_USER (sent exactly as written) and the password, and that "
            "SMTP AUTH is enabled for that mailbox")


# --- the partners' portal ---------------------------------------------------------------


def check_portal(portal_url: str | None, secret: str | None) -> Finding:
    """A secret long enough to sign links, and something answering at `portal_url`."""
    if portal_url is None:
        return ok("portal", "no portal_url in trust.yaml: request emails ask partners to reply "
                            "to the officer (set one to use `trustcycle portal`)")
    if not secret or len(secret.encode()) < MIN_SECRET_CHARS:
        state = "is not set" if not secret else f"is shorter than {MIN_SECRET_CHARS} characters"
        return fail("portal", f"{SECRET_ENV} {state}: request emails go without their portal "
                              "link; set it (python3 -c 'import secrets; "
                              "print(secrets.token_urlsafe(48))') wherever serve and the portal "
                              "run, or name a Prefect Secret block with --portal-secret-block")
    try:
        answer = httpx.get(portal_url, timeout=TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as exc:
        return warn("portal", f"secret set; nothing answers at {portal_url} ({one_line(exc)}): "
                              "start `trustcycle portal` (the links in request emails lead "
                              "there)")
    if answer.status_code >= 500:
        return warn("portal", f"secret set; {portal_url} answers {answer.status_code}: see the "
                              "portal's log")
    return ok("portal", f"secret set; {portal_url} answers ({answer.status_code})")


# --- Prefect's API ----------------------------------------------------------------------


@dataclass(frozen=True)
class PrefectApi:
    """Where the Prefect API is (`PREFECT_API_URL`) and its basic-auth string, if any."""

    url: str
    auth: str | None = None

    def _headers(self) -> dict[str, str]:
        if not self.auth:
            return {}
        return {"Authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()}

    def get(self, path: str) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=self._headers(), timeout=TIMEOUT)

    def post(self, path: str, body: dict[str, object]) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers=self._headers(),
                          timeout=TIMEOUT)

    @property
    def on_this_machine(self) -> bool:
        return is_loopback(urlsplit(self.url).hostname)


def check_prefect(api: PrefectApi, expected: list[str]) -> tuple[list[Finding], datetime | None]:
    """The API's health, and the deployments `expected` registered and served; returns
    the server's clock (its Date header) for `check_clock`."""
    try:
        health = api.get("/health")
    except httpx.HTTPError as exc:
        return [fail("prefect", f"no Prefect API answers at {api.url} ({one_line(exc)}): start "
                                "`trustcycle serve`, or set PREFECT_API_URL to your server"),
                skip("deployments", "no Prefect API to ask")], None
    if health.status_code != 200:
        return [fail("prefect", f"{api.url}/health answers {health.status_code}: see the "
                                "server's log (var/prefect/server.log under serve)"),
                skip("deployments", "no healthy Prefect API to ask")], None
    date = health.headers.get("date")
    server_now = parsedate_to_datetime(date) if date else None
    version = api.get("/version")
    shown = f"API version {version.json()}" if version.status_code == 200 else "version unknown"
    findings = [ok("prefect", f"{api.url}: healthy ({shown})")]
    listed = api.post("/deployments/filter", {"deployments": {"name": {"any_": expected}}})
    if listed.status_code == 401:
        findings.append(fail("deployments", "the API refuses us (401): set PREFECT_API_AUTH_"
                                            "STRING to the server's user:password"))
    elif listed.status_code != 200:
        findings.append(fail("deployments", f"listing deployments answered {listed.status_code}"))
    else:
        findings.append(_deployments(listed.json(), expected))
    return findings, server_now


def _deployments(found: list[dict[str, object]], expected: list[str]) -> Finding:
    names = {str(d["name"]) for d in found}
    missing = [n for n in expected if n not in names]
    if missing:
        return fail("deployments", f"not registered: {', '.join(missing)}: start `trustcycle "
                                   "serve` (it registers every deployment)")
    paused = sorted({str(d["name"]) for d in found if d.get("paused")})
    if paused:
        return warn("deployments", f"{len(expected)} registered; paused: {', '.join(paused)} "
                                   "(serve pauses them when it stops): start `trustcycle serve`")
    idle = sorted({str(d["name"]) for d in found if d.get("status") != "READY"})
    if idle:
        return warn("deployments", f"{len(expected)} registered, but no runner is polling "
                                   f"{len(idle)} of them: is `trustcycle serve` running?")
    return ok("deployments", f"{len(expected)} registered and served: {', '.join(expected)}")


# --- the machine's clock ----------------------------------------------------------------


def check_clock(now: datetime, server_now: datetime | None, *, same_machine: bool,
                shift_days: int = 0) -> Finding:
    """The machine's clock against the Prefect server's Date header."""
    if shift_days:
        return warn("clock", f"TRUSTCYCLE_CLOCK_SHIFT_DAYS={shift_days}: this installation acts "
                             f"as if {shift_days} days later (a rehearsal setting); unset it to "
                             "run for real")
    if server_now is None:
        return skip("clock", "no Prefect server to compare with; check NTP (`timedatectl`)")
    skew = (now - server_now).total_seconds()
    if abs(skew) > CLOCK_TOLERANCE:
        side = "ahead of" if skew > 0 else "behind"
        return fail("clock", f"this machine's clock is {abs(skew):.0f} s {side} the Prefect "
                             "server's: turn on NTP (timedatectl set-ntp true) on both")
    if same_machine:
        return ok("clock", "the Prefect server runs on this machine (same clock): keep NTP on "
                           "(`timedatectl` says 'System clock synchronized: yes')")
    return ok("clock", f"within {max(abs(skew), 1):.0f} s of the Prefect server's")
