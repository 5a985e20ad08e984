"""Which rows a claim may take, at the instants where that changes (`outbox.rows.due`).

A failed message is due from its `next_attempt_at` on the run's clock, that instant
included; a row left `sending` is free once its lease has ended on the wall clock, and not
at the lease's last instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pendulum
from sqlalchemy import select, update

from trustcycle.db import Database
from trustcycle.outbox import enqueue
from trustcycle.outbox.rows import SENDING, T, due

NOW = pendulum.datetime(2010, 6, 1, 9, 0, tz="Europe/London")
INSTANT = datetime(2010, 6, 1, 8, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)
FAR = datetime(2000, 1, 1, tzinfo=UTC)


def _one_row(db: Database, **values: object) -> None:
    with db.sessions.begin() as session:
        row = enqueue(
            session,
            idem_key="reminder:police",
            kind="reminder",
            to=["mark.dunn@police.example.uk"],
            subject="Reminder",
            text="Dear Mark,\n",
            html=None,
            date_header=NOW,
        )
        session.execute(update(T).where(T.c.id == row.id).values(**values))


def _due(db: Database, at: datetime, wall: datetime) -> bool:
    with db.sessions() as session:
        return session.scalar(select(T.c.id).where(due(at, wall))) is not None


def test_a_failed_message_is_due_from_its_next_attempt_instant(database: Database) -> None:
    _one_row(database, status="failed", attempts=1, next_attempt_at=INSTANT)
    assert not _due(database, INSTANT - TICK, FAR)
    assert _due(database, INSTANT, FAR)
    assert _due(database, INSTANT + TICK, FAR)


def test_a_sending_row_is_free_only_after_its_lease_has_ended(database: Database) -> None:
    _one_row(database, status=SENDING, claimed_by="gone#1", lease_until=INSTANT)
    assert not _due(database, INSTANT + timedelta(days=1), INSTANT)  # `at` never frees it
    assert _due(database, FAR, INSTANT + TICK)
