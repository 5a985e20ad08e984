"""Shared fixtures: real databases, never fakes.

`db_url` runs a test twice, on a SQLite file and on a fresh PostgreSQL database created on
the server at `TRUSTCYCLE_TEST_PG_URL` (dropped afterwards). Without that server the
PostgreSQL half is skipped locally and fails under CI (env `CI` set).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from trustcycle.db import Database

# Prefect's server telemetry cannot reach the internet here and only adds SQLite writes.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

pytest_plugins = ["tests.plugins.smtp_sink", "tests.plugins.prefect_harness"]

DEFAULT_PG_URL = "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trustcycle.db'}"


@pytest.fixture(scope="session")
def pg_server() -> URL:
    """The PostgreSQL server's admin URL, once it has answered a query."""
    url = make_url(os.environ.get("TRUSTCYCLE_TEST_PG_URL") or DEFAULT_PG_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = f"PostgreSQL unreachable at {url.render_as_string()}: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (run scripts/services.sh)")
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(pg_server: URL) -> Iterator[str]:
    """A fresh, empty database on the test server for this test alone."""
    name = f"trustcycle_test_{secrets.token_hex(6)}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield pg_server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A migrated database with its session factory; disposed (and so droppable) after."""
    db = Database.from_url(db_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session", autouse=True)
def _prefect_first(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start the session's Prefect harness before any test touches Prefect.

    Trap: Prefect's client-side EventsWorker is a process-wide singleton bound to the API
    it first talks to; if a test ran a task before the harness started, later task-run
    events would go to a server that no longer exists and never be recorded.

    `TRUSTCYCLE_TESTS_WITHOUT_PREFECT=1` skips it for runs of tests that never touch
    Prefect (scripts/mutation.sh: its ~12 s start would dominate each mutant's run).
    """
    if os.environ.get("TRUSTCYCLE_TESTS_WITHOUT_PREFECT") != "1":
        request.getfixturevalue("prefect_harness")
    yield
