"""Prefect tasks for email: delivering the outbox, one task run per tick (never per message)."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime
from threading import Event

from prefect import get_run_logger, task
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.logging import get_logger
from prefect.states import State

from trustcycle.calendar import clock
from trustcycle.db import Database
from trustcycle.mail import SmtpSettings, open_sender
from trustcycle.mail.settings import load_smtp_settings
from trustcycle.outbox import DeliveryReport, deliver_pending

SECRET_BLOCK = "trustcycle-smtp-password"


class SmtpRelayRefused(RuntimeError):
    """The relay refused trustcycle itself (TLS or the login): the run fails with this
    one line until the settings are fixed; no message was charged an attempt."""


def _worth_retrying(task: object, task_run: object, state: State) -> bool:
    """A relay refusing TLS or the login, or unusable settings, will not mend in 30 s."""
    message = state.message or ""
    return not any(name in message for name in (SmtpRelayRefused.__name__, "SmtpSettingsError"))


def smtp_password(settings: SmtpSettings) -> str | None:
    """The SMTP password: the Prefect Secret block if it exists, else the environment."""
    if not settings.user:
        return None  # no login, no password to look up
    try:
        value = Secret.load(SECRET_BLOCK).get()  # type: ignore[union-attr]
        if isinstance(value, str) and value:
            return value
    except Exception:  # noqa: BLE001 - no block, no API: the environment is the fallback
        pass
    return settings.password.get_secret_value() if settings.password else None


def default_worker_id() -> str:
    """Who holds a claim: host, process and a nonce (two runs in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    try:
        return get_run_logger()
    except MissingContextError:  # called through .fn() outside a run (tests, scripts)
        return get_logger("trustcycle.mail")


@task(
    name="deliver-outbox",
    retries=2,
    retry_delay_seconds=[30, 120],
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,  # a side effect: never served from a cache
)
def deliver_outbox(
    database: Database | str | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    worker_id: str | None = None,
    officer_email: str | None = None,
    batch_size: int = 500,
    producer_done: Event | None = None,
) -> DeliveryReport:
    """Send every due outbox message over one SMTP connection (or write a dry run's files).

    With `producer_done` (pass it quoted), keep claiming until it is set and none is left.
    Raises `SmtpRelayRefused` when the relay refuses TLS or the login (the officer is
    alerted once, through the outbox), so the run fails saying so."""
    db = database if isinstance(database, Database) else Database.from_url(database)
    settings = load_smtp_settings()
    with open_sender(settings, smtp_password(settings), dry_run=dry_run) as sender:
        report = deliver_pending(
            db.sessions,
            sender,
            now=now or clock.now(),
            worker_id=worker_id or default_worker_id(),
            batch_size=batch_size,
            dry_run=dry_run,
            officer_email=officer_email,
            producer_done=producer_done,
        )
    logger = _logger()
    # The report, never the settings: SmtpSettings carries the password.
    (logger.warning if report.server_unavailable or report.dead else logger.info)(report.summary())
    if report.relay_refused:
        raise SmtpRelayRefused(f"the SMTP relay refused trustcycle: {report.relay_refused}")
    return report
