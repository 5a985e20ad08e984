"""Pytest fixture: one Prefect test harness (a temporary API and database) per session.

With `TRUSTCYCLE_TEST_PREFECT_DB=postgres` the throwaway server keeps its database on the
test PostgreSQL server instead of a SQLite file: a SQLite-backed Prefect server answers
rapid flow runs with "database is locked" (a 503, then the client's 2 s backoff).
"""

from __future__ import annotations

import inspect
import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from prefect import context as prefect_context
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.server.api.server import SubprocessASGIServer
from prefect.server.database.dependencies import temporary_database_interface
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    PREFECT_SERVER_DATABASE_CONNECTION_URL,
    temporary_settings,
)
from prefect.testing.utilities import prefect_test_harness
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import create_engine, make_url, text

# 120 s, not Prefect's 30: on a loaded 2-CPU machine the server's start (its migrations on
# a fresh database) has been seen to take longer than 30 s.
STARTUP_SECONDS = 120


async def _drain() -> None:
    """As prefect_test_harness does on leaving."""
    try:
        drained = APILogWorker.instance().drain()
        if inspect.isawaitable(drained):
            await drained
    except RuntimeError:  # the log worker never started
        pass
    drained = EventsWorker.drain_all()
    if inspect.isawaitable(drained):
        await drained


@contextmanager
def _postgres_harness(admin_url: str) -> Iterator[None]:
    """prefect_test_harness, with the server's database a fresh PostgreSQL database."""
    admin = make_url(admin_url)
    name = f"prefect_harness_{secrets.token_hex(6)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server_db = admin.set(drivername="postgresql+asyncpg", database=name)
    try:
        with ExitStack() as stack:
            stack.enter_context(temporary_database_interface())
            stack.enter_context(temporary_settings(
                {PREFECT_SERVER_DATABASE_CONNECTION_URL:
                 server_db.render_as_string(hide_password=False)}))
            server = SubprocessASGIServer()
            server.start(timeout=STARTUP_SECONDS)
            stack.callback(server.stop)
            stack.enter_context(temporary_settings({PREFECT_API_URL: server.api_url}))
            stack.enter_context(prefect_context._temporary_global_settings_context(
                prefect_context.get_settings_context()))
            yield
            run_coro_as_sync(_drain())  # the logs and events reach the server before it stops
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Run the session's flows and tasks against a throwaway Prefect server."""
    # Heartbeats would outlive short test flows and log errors after the server stops.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        if os.environ.get("TRUSTCYCLE_TEST_PREFECT_DB") == "postgres":
            harness = _postgres_harness(os.environ["TRUSTCYCLE_TEST_PG_URL"])
        else:
            harness = prefect_test_harness(server_startup_timeout=STARTUP_SECONDS)
        with harness:
            yield
