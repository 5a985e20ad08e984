"""Engines, sessions and migrations for SQLite (one machine) and PostgreSQL.

A unit of work is `with database.sessions.begin() as session:`. Claims that must not race
(the outbox, reminders) use `begin_immediate(...)`, which on SQLite takes the write lock
up front (BEGIN IMMEDIATE) instead of failing on lock upgrade half way through.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_URL = "sqlite:///var/trustcycle.db"
MIGRATIONS = Path(__file__).parent / "migrations"

# The execution option read by the SQLite "begin" hook below.
_BEGIN = "trustcycle_sqlite_begin"
# pg_advisory_lock key for migrations: any constant shared by all trustcycle processes.
_MIGRATION_LOCK = 0x7472_7573_7463


def database_url() -> str:
    """`TRUSTCYCLE_DATABASE_URL`, else a SQLite file under ./var (created if missing)."""
    url = os.environ.get("TRUSTCYCLE_DATABASE_URL") or DEFAULT_URL
    _ensure_sqlite_dir(url)
    return url


def _ensure_sqlite_dir(url: str) -> None:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # make_engine says what is wrong with it
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class DatabaseUrlError(ValueError):
    """A database URL that names no installed driver; the message is one line with the fix."""


# A plain postgresql:// URL means "whichever driver is installed"; psycopg2 first, as the
# project pins it (SQLAlchemy 2.1 would otherwise pick psycopg 3, which is not installed).
_PG_DRIVERS = (("psycopg2", "psycopg2"), ("psycopg", "psycopg"))
_PG_HINT = (
    "install one (pip install psycopg2-binary) or name it in the URL, "
    "e.g. postgresql+psycopg2://user:password@host/trustcycle"
)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def resolve_url(url: str, installed: Callable[[str], bool] = _installed) -> str:
    """`url` with a PostgreSQL driver filled in when it names none (`postgresql://` or
    `postgres://`), or `DatabaseUrlError` saying what to install."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(  # the URL itself is not repeated: it may hold a password
            "the database URL cannot be read (e.g. sqlite:///var/trustcycle.db or "
            "postgresql://user:password@host/trustcycle)"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend not in ("postgresql", "postgres"):
        return url
    if driver:
        if not installed(driver):
            raise DatabaseUrlError(f"the PostgreSQL driver {driver} is not installed: {_PG_HINT}")
        return url
    for module, name in _PG_DRIVERS:
        if installed(module):
            return parsed.set(drivername=f"postgresql+{name}").render_as_string(
                hide_password=False
            )
    raise DatabaseUrlError(f"no PostgreSQL driver is installed: {_PG_HINT}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas (SQLite) or liveness checks (PostgreSQL) trustcycle needs."""
    url = resolve_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        _ensure_sqlite_dir(url)
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Trap: Python's sqlite3 (legacy transaction control, Python < 3.16) emits its own
        # BEGIN lazily, only before DML, so SELECTs and DDL escape the transaction.
        # Switch that off and let the "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        mode = options.get(_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def begin_immediate(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that holds the write lock from its first statement on SQLite
    (BEGIN IMMEDIATE, so two claimers serialise instead of deadlocking); an ordinary
    transaction on PostgreSQL, where claims use SELECT ... FOR UPDATE SKIP LOCKED."""
    with sessions() as session, session.begin():
        session.connection(execution_options={_BEGIN: "IMMEDIATE"})
        yield session


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration built in code: the scripts ship inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`. Safe to call again, and from several processes at
    once: the whole upgrade runs in one transaction behind a lock (an advisory lock on
    PostgreSQL, the SQLite write lock via BEGIN IMMEDIATE), so a latecomer waits, then
    finds the schema already current."""
    config = alembic_config()
    if engine.dialect.name == "sqlite":
        conn_ctx = engine.connect().execution_options(**{_BEGIN: "IMMEDIATE"})
    else:
        conn_ctx = engine.connect()
    with conn_ctx as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            # Released at commit; DDL is transactional on PostgreSQL.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@dataclass(frozen=True)
class Database:
    """An engine and its session factory: the one thing passed to code that touches the DB."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def from_url(cls, url: str | None = None, *, migrate_schema: bool = True) -> Database:
        engine = make_engine(url or database_url())
        if migrate_schema:
            migrate(engine)
        return cls(engine=engine, sessions=make_session_factory(engine))

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The same factory as `sessions` (the name the CLI uses)."""
        return self.sessions

    @contextmanager
    def immediate(self) -> Iterator[Session]:
        with begin_immediate(self.sessions) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
