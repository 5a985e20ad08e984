"""Claims on PostgreSQL skip rows another claim holds (SELECT ... FOR UPDATE SKIP LOCKED).

Deterministic: the first claim's transaction is held open on one connection while a second
claim runs on another, so the rows are certainly locked when the second claim looks. The
second claimer's connections have a lock timeout: a claim that waited on a held row (no
SKIP LOCKED, or a plain FOR UPDATE) fails in seconds instead of hanging the suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pendulum
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from trustcycle.db import Database
from trustcycle.db.session import make_engine, make_session_factory
from trustcycle.outbox import claim, enqueue
from trustcycle.outbox.leases import wall
from trustcycle.outbox.rows import SENDING, T, due, plain_utc

NOW = pendulum.datetime(2010, 6, 1, 9, 0, tz="Europe/London")
pytestmark = pytest.mark.postgres


@pytest.fixture
def database(pg_url: str) -> Iterator[Database]:
    db = Database.from_url(pg_url)
    with db.sessions.begin() as session:
        for i in range(5):
            enqueue(
                session,
                idem_key=f"reminder:{i}",
                kind="reminder",
                to=[f"partner{i}@example.org"],
                subject=f"Reminder {i}",
                text="Dear partner,\n",
                html=None,
                date_header=NOW,
            )
    yield db
    db.dispose()


@pytest.fixture
def impatient(pg_url: str) -> Iterator[Database]:
    """A second pool on the same database whose statements give up on a lock after 3 s."""
    engine = make_engine(pg_url, connect_args={"options": "-c lock_timeout=3000"})
    yield Database(engine, make_session_factory(engine))
    engine.dispose()


def _hold_first_claim(session: Session, limit: int) -> list[int]:
    """The first claim's statements, in a transaction the caller keeps open."""
    ids = list(
        session.scalars(
            select(T.c.id)
            .where(due(plain_utc(NOW), wall()))
            .order_by(T.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    session.execute(
        update(T).where(T.c.id.in_(ids)).values(status=SENDING, claimed_by="first#held")
    )
    return ids


def test_a_claim_skips_the_rows_a_claim_still_open_holds(
    database: Database, impatient: Database
) -> None:
    holder = database.sessions()
    try:
        held = _hold_first_claim(holder, limit=2)
        assert len(held) == 2
        second = claim(
            impatient.sessions, worker_id="second", at=NOW, limit=10, lease_seconds=60
        )
        taken = [m.outbox_id for m in second.messages]
        assert taken == sorted(set(taken))
        assert not set(taken) & set(held)
        assert len(taken) == 3  # every row the first claim does not hold
    finally:
        holder.rollback()  # the first claimer dies before committing
        holder.close()
    # Its rows are free again, for the next claim.
    third = claim(database.sessions, worker_id="third", at=NOW, limit=10, lease_seconds=60)
    assert [m.outbox_id for m in third.messages] == held
