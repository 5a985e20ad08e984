"""Where the database lives, and how a SQLite connection is set up."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustcycle.db import Database, database_url, make_engine


def test_the_default_database_is_a_sqlite_file_under_var_whose_directory_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRUSTCYCLE_DATABASE_URL", raising=False)

    assert database_url() == "sqlite:///var/trustcycle.db"
    assert (tmp_path / "var").is_dir()


def test_the_environment_names_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg2://trust:secret@db.example/trustcycle"
    monkeypatch.setenv("TRUSTCYCLE_DATABASE_URL", url)

    assert database_url() == url


def test_a_sqlite_connection_uses_wal_a_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'trust.db'}")
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()

    assert pragma == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1}


def test_a_database_from_a_url_is_migrated_and_ready_for_work(sqlite_url: str) -> None:
    database = Database.from_url(sqlite_url)
    try:
        with database.sessions.begin() as session:
            assert session.connection().exec_driver_sql("SELECT count(*) FROM trust").scalar() == 0
    finally:
        database.dispose()
