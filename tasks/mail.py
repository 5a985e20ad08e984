"""Prefect tasks for email: delivering the outbox, one task run per tick (never per message)."""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from datetime import datetime
from threading import Event

from prefect import get_run_logger, task
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import rate_limit
from prefect.exceptions import MissingContextError, ObjectAlreadyExists
from prefect.logging import get_logger
from prefect.states import State

from trustcycle.calendar import clock
from trustcycle.db import Database
from trustcycle.mail import SmtpSettings, open_sender
from trustcycle.mail.settings import load_smtp_settings
from trustcycle.outbox import DeliveryReport, deliver_pending
from trustcycle.outbox.delivery import Throttle

SECRET_BLOCK = "trustcycle-smtp-password"
# The relay's rate, one Prefect rate limit for every deliverer of every trust and worker.
RELAY_LIMIT = "trustcycle-smtp"


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


def relay_burst(per_second: float) -> int:
    """The rate limit's slots: a quarter of a second's messages at once, at least one.

    Any window of W seconds then sees at most `per_second * W + burst` messages (Prefect
    frees `slot_decay_per_second` slots a second, rounded down, so never faster)."""
    return max(1, math.ceil(per_second / 4))


def ensure_relay_limit(per_second: float, name: str = RELAY_LIMIT) -> None:
    """Create the relay's rate limit on the Prefect server, or set it to `per_second`."""
    with get_client(sync_client=True) as client:
        try:
            client.upsert_global_concurrency_limit_by_name(
                name, relay_burst(per_second), slot_decay_per_second=per_second
            )
        except ObjectAlreadyExists:  # another deliverer created it between read and create
            client.upsert_global_concurrency_limit_by_name(
                name, relay_burst(per_second), slot_decay_per_second=per_second
            )


def relay_throttle(grant: int, name: str = RELAY_LIMIT) -> Throttle:
    """A throttle spending one slot of the relay's rate limit (which must exist) a message.

    Slots are taken `grant` at a time (at most the limit's burst), one API call each:
    per message, a call to a loaded server cost more than the relay's pace allowed."""
    left = 0

    def one_more_message() -> None:
        nonlocal left
        if left == 0:
            rate_limit(name, occupy=grant, strict=True)
            left = grant
        left -= 1

    return one_more_message


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
    With `TRUSTCYCLE_SMTP_MAX_PER_SECOND`, every message first takes a slot of the Prefect
    rate limit `trustcycle-smtp` (created or updated here), shared by all deliverers.
    Raises `SmtpRelayRefused` when the relay refuses TLS or the login (the officer is
    alerted once, through the outbox), so the run fails saying so."""
    db = database if isinstance(database, Database) else Database.from_url(database)
    settings = load_smtp_settings()
    throttle = None
    if settings.max_per_second and not dry_run:
        ensure_relay_limit(settings.max_per_second)
        throttle = relay_throttle(relay_burst(settings.max_per_second))
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
            throttle=throttle,
        )
    logger = _logger()
    # The report, never the settings: SmtpSettings carries the password.
    (logger.warning if report.server_unavailable or report.dead else logger.info)(report.summary())
    if report.relay_refused:
        raise SmtpRelayRefused(f"the SMTP relay refused trustcycle: {report.relay_refused}")
    return report
