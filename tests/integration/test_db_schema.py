"""The migrated schema is the models' schema, and its constraints hold on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

import trustcycle
from trustcycle.db import Database, make_engine, migrate
from trustcycle.db.models import (
    Base,
    ContributionRequest,
    CycleYear,
    OutboxMessage,
    Partner,
    Process,
    Reminder,
    Trust,
)
from trustcycle.db.session import alembic_config

AT = pendulum.datetime(2010, 6, 1, 9, 30, tz="Europe/London")  # BST: 08:30 UTC
HEAD = "0002_outbox_recipients"  # the latest migration


def schema_diffs(database: Database) -> list[object]:
    with database.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def current_heads(database: Database) -> set[str]:
    with database.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def a_request(session: Session) -> ContributionRequest:
    trust = Trust(
        config_id="rutland",
        name="Rutland Children's Trust",
        local_authority="Rutland County Council",
        timezone="Europe/London",
        manager_name="Jo Whitfield",
        manager_email="trust.manager@rutland.example.gov.uk",
        officer_name="Sam Ireland",
        officer_email="childrens.trust@rutland.example.gov.uk",
    )
    cycle = CycleYear(trust=trust, year=2010, starts_on=pendulum.date(2010, 4, 1))
    process = Process(
        cycle_year=cycle,
        config_id="membership_review",
        kind="membership_review",
        title="Review of Trust membership",
        legal_basis="Children Act 2004 s10",
    )
    police = Partner(
        trust=trust,
        config_id="police",
        name="Leicestershire Constabulary",
        category="police",
        legal_basis="relevant_partner_2004",
    )
    request = ContributionRequest(
        process=process,
        partner=police,
        return_id="representation",
        deadline_at=AT,
        cutoff_at=AT.add(days=7),
        opened_at=AT.subtract(weeks=6),
    )
    session.add(request)
    session.flush()
    return request


def an_email(idem_key: str, **overrides: object) -> OutboxMessage:
    values: dict[str, object] = {
        "idem_key": idem_key,
        "kind": "reminder",
        "to_addrs": ["mark.dunn@police.example.uk"],
        "subject": "Membership review: reminder",
        "body_text": "Please send your return.",
        "created_at": AT,
    }
    return OutboxMessage(**(values | overrides))


def test_the_migrated_schema_equals_the_models(database: Database) -> None:
    assert schema_diffs(database) == []
    assert current_heads(database) == {HEAD}


def test_migrating_again_is_a_no_op(database: Database) -> None:
    migrate(database.engine)
    migrate(database.engine)

    assert current_heads(database) == {HEAD}
    assert schema_diffs(database) == []


def test_processes_migrating_an_empty_database_at_once_all_succeed(db_url: str) -> None:
    script = "import sys; from trustcycle.db import *; migrate(make_engine(sys.argv[1]))"
    runs = [subprocess.Popen([sys.executable, "-c", script, db_url]) for _ in range(4)]

    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0, 0]
    database = Database.from_url(db_url, migrate_schema=False)
    try:
        assert current_heads(database) == {HEAD}
        assert schema_diffs(database) == []
    finally:
        database.dispose()


def test_the_migration_scripts_ship_inside_the_package() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())

    assert Path(scripts.dir).is_relative_to(Path(trustcycle.__file__).parent)
    assert scripts.get_heads() == [HEAD]


def test_an_instant_comes_back_as_the_same_aware_instant(database: Database) -> None:
    with database.sessions.begin() as session:
        request_id = a_request(session).id

    with database.sessions() as session:
        request = session.get_one(ContributionRequest, request_id)
        assert request.deadline_at == AT
        assert request.deadline_at.utcoffset() == pendulum.duration(0)
        assert request.deadline_at.in_timezone("Europe/London").hour == 9


def test_a_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        with database.sessions.begin() as session:
            session.add(an_email("naive", created_at=AT.naive()))


def test_a_rung_of_the_ladder_cannot_be_recorded_twice(database: Database) -> None:
    with database.sessions.begin() as session:
        request = a_request(session)
        first = an_email("req1/before_3")
        session.add(
            Reminder(request=request, rung="before_3", sent_on=AT.date(), outbox_message=first)
        )

    with pytest.raises(IntegrityError):
        with database.sessions.begin() as session:
            request = session.get_one(ContributionRequest, request.id)
            again = an_email("req1/before_3/again")
            session.add(
                Reminder(request=request, rung="before_3", sent_on=AT.date(), outbox_message=again)
            )


def test_queueing_the_same_email_twice_is_refused_by_its_idempotency_key(
    database: Database,
) -> None:
    with database.sessions.begin() as session:
        session.add(an_email("req1/request"))

    with pytest.raises(IntegrityError):
        with database.sessions.begin() as session:
            session.add(an_email("req1/request"))


def test_an_email_gets_defaults_and_a_message_id_derived_from_its_key(
    database: Database,
) -> None:
    with database.sessions.begin() as session:
        email = an_email("req1/request")
        session.add(email)

    # The first 40 hex digits of SHA-256("req1/request"), worked out outside trustcycle.
    assert email.message_id == "<9fdf152176c9cc00aac2d045885ad8a0ec45ec75@trustcycle.local>"
    assert (email.status, email.attempts, email.cc_addrs, email.attachments) == (
        "pending",
        0,
        [],
        [],
    )


def test_a_status_outside_the_vocabulary_is_refused(database: Database) -> None:
    with pytest.raises(IntegrityError):
        with database.sessions.begin() as session:
            session.add(an_email("bad", status="lost"))


def test_a_request_gets_a_unique_portal_token_at_construction(database: Database) -> None:
    with database.sessions.begin() as session:
        request = a_request(session)
        token = request.token

    assert len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum()
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ContributionRequest)) == 1


def test_a_row_pointing_at_nothing_is_refused(database: Database) -> None:
    with pytest.raises(IntegrityError):
        with database.sessions.begin() as session:
            session.add(
                Reminder(
                    contribution_request_id=999, rung="x", sent_on=AT.date(), outbox_message_id=999
                )
            )


def test_begin_immediate_takes_the_sqlite_write_lock_at_the_first_statement(
    sqlite_url: str,
) -> None:
    database = Database.from_url(sqlite_url)
    other = make_engine(sqlite_url, connect_args={"timeout": 0})
    try:
        with database.immediate():
            with other.connect() as conn:
                conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                with pytest.raises(Exception, match="database is locked"):
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        other.dispose()
        database.dispose()


def test_the_initial_migration_downgrades_to_an_empty_database(database: Database) -> None:
    config = alembic_config()
    with database.engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "base")

    with database.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    migrate(database.engine)
    assert schema_diffs(database) == []
