"""The outbox against a real database (SQLite file and PostgreSQL) and a real SMTP server."""

from __future__ import annotations

import email
import threading
import time
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import func, select

from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.message import HeaderInjectionError
from trustcycle.mail.render import render_email
from trustcycle.mail.senders import EmlDirSender, YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import (
    ALERT_KIND,
    NewEmail,
    claim,
    deliver_pending,
    enqueue,
    enqueue_many,
    failures,
)

NOW = pendulum.datetime(2010, 6, 1, 9, 0, tz="Europe/London")
OFFICER = "officer@rutland.example.gov.uk"


def queue(db: Database, count: int, *, to: str = "partner{i}@example.org") -> list[int]:
    """Queue `count` reminders, one per partner address."""
    with db.sessions.begin() as session:
        return [
            enqueue(
                session,
                idem_key=f"reminder:{i}",
                kind="reminder",
                to=[to.format(i=i)],
                subject=f"Reminder {i}",
                text=f"Dear partner {i},\n",
                html=f"<p>Dear partner {i},</p>",
                date_header=NOW,
            ).id
            for i in range(count)
        ]


def statuses(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        rows = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return {status: n for status, n in rows.tuples()}


def deliver(db: Database, settings: SmtpSettings, at: pendulum.DateTime = NOW, **kw: object):
    return deliver_pending(
        db.sessions,
        YagmailSender(settings),
        now=at,
        worker_id="test",
        **kw,  # type: ignore[arg-type]
    )


def test_enqueue_twice_with_one_key_stores_one_message(database: Database) -> None:
    queue(database, 3)
    first = queue(database, 3)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    assert first == sorted(first)


def test_enqueue_many_keeps_the_first_row_of_a_key(database: Database) -> None:
    emails = [
        NewEmail(f"k{i}", "reminder", [f"p{i}@example.org"], f"S{i}", "t", None, NOW)
        for i in range(3)
    ]
    with database.sessions.begin() as session:
        ids = enqueue_many(session, emails)
    with database.sessions.begin() as session:
        again = enqueue_many(session, emails)
    assert ids == again and len(ids) == 3


def test_header_injection_is_refused_and_nothing_is_stored(database: Database) -> None:
    with pytest.raises(HeaderInjectionError), database.sessions.begin() as session:
        enqueue(
            session,
            idem_key="evil",
            kind="reminder",
            to=["jo@example.org"],
            subject="Hello\r\nBcc: everyone@example.org",
            text="x",
            html=None,
            date_header=NOW,
        )
    with pytest.raises(ValueError, match="not-an-address"), database.sessions.begin() as session:
        enqueue(
            session,
            idem_key="bad",
            kind="reminder",
            to=["not-an-address"],
            subject="Hi",
            text="x",
            html=None,
            date_header=NOW,
        )
    assert statuses(database) == {}


def test_every_message_is_delivered_once_with_its_own_message_id_and_reply(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 5)
    report = deliver(database, mail_settings)
    assert report.sent == 5 and report.server_unavailable is None
    with database.sessions() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sorted(smtp_server.message_ids()) == sorted(r.message_id for r in rows)
    assert all(r.status == "sent" and r.smtp_reply.startswith("250") for r in rows)
    assert all(r.sent_at is not None and r.claimed_by is None for r in rows)
    assert deliver(database, mail_settings).sent == 0  # nothing is sent twice


def test_delivery_alongside_a_producer_sends_each_chunk_once_committed_and_stops_after_it(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    done = threading.Event()
    pipelined: list[bool] = []

    def produce() -> None:
        try:
            for chunk in range(3):
                with database.sessions.begin() as session:
                    enqueue_many(session, [
                        NewEmail(f"chunk:{chunk}:{i}", "reminder", [f"p{chunk}-{i}@example.org"],
                                 f"Reminder {chunk}.{i}", "Dear partner,\n", None, NOW)
                        for i in range(3)
                    ])
                # The next chunk waits for this one to reach the server: delivery overlaps.
                deadline = time.monotonic() + 10
                while len(smtp_server.messages) < 3 * (chunk + 1) < 9:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                pipelined.append(len(smtp_server.messages) >= min(3 * (chunk + 1), 6))
        finally:
            done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    report = deliver(database, mail_settings, producer_done=done, batch_size=2)
    producer.join(timeout=30)
    assert not producer.is_alive(), "the producer did not finish"
    assert pipelined[:2] == [True, True]
    assert report.sent == 9 and statuses(database) == {"sent": 9}
    assert len(smtp_server.message_ids()) == len(set(smtp_server.message_ids())) == 9


def test_the_smtp_server_down_for_a_whole_tick_loses_nothing(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 4)
    smtp_server.stop()
    down = deliver(database, mail_settings)
    assert down.server_unavailable and down.sent == 0
    assert statuses(database) == {"pending": 4}  # no attempt burnt, nothing claimed
    smtp_server.start()
    up = deliver(database, mail_settings, NOW.add(days=1))
    assert up.sent == 4
    assert len(set(smtp_server.message_ids())) == 4


def test_a_server_that_goes_down_mid_batch_stops_it_and_releases_the_rest(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 6)
    stopped = False

    def outage_after_two(_msg: object, _reply: str) -> None:
        nonlocal stopped
        if len(smtp_server.messages) == 2 and not stopped:
            stopped = True
            smtp_server.stop()

    report = deliver(database, mail_settings, on_sent=outage_after_two)
    assert report.sent == 2 and report.released == 4 and report.server_unavailable
    assert statuses(database) == {"sent": 2, "pending": 4}
    smtp_server.start()
    assert deliver(database, mail_settings, NOW.add(minutes=10)).sent == 4
    assert len(smtp_server.message_ids()) == len(set(smtp_server.message_ids())) == 6


def test_a_451_is_retried_on_a_later_tick_after_the_backoff(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 3)
    smtp_server.fail_next(1)
    first = deliver(database, mail_settings)
    assert first.sent == 2 and first.retrying == 1
    assert statuses(database) == {"sent": 2, "failed": 1}
    with database.sessions() as session:
        waiting = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "failed")
        ).one()
    assert waiting.last_error == "451 4.3.0 try again later" and waiting.attempts == 1
    assert deliver(database, mail_settings, NOW.add(minutes=1)).sent == 0  # not yet due
    later = deliver(database, mail_settings, NOW.add(minutes=6))
    assert later.sent == 1
    with database.sessions() as session:
        retried = session.scalars(select(OutboxMessage).where(OutboxMessage.attempts == 2)).one()
    assert retried.status == "sent" and retried.id == waiting.id
    assert len(set(smtp_server.message_ids())) == 3


def test_a_550_for_one_address_lets_the_others_go_and_tells_the_officer(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 4)
    smtp_server.refuse("partner1@example.org")
    report = deliver(database, mail_settings, officer_email=OFFICER)
    assert report.sent == 4  # three reminders and the officer's alert, in the same tick
    assert report.dead == 1
    assert {m.rcpt_tos[0] for m in smtp_server.messages} == {
        "partner0@example.org",
        "partner2@example.org",
        "partner3@example.org",
        OFFICER,
    }
    with database.sessions() as session:
        (dead,) = failures(session)
        assert dead.status == "dead" and dead.last_error.startswith("partner1@example.org: 550")
    (alert,) = smtp_server.to(OFFICER)
    assert alert.parsed["X-Trustcycle-Kind"] == ALERT_KIND
    assert "550 5.1.1 no such user" in alert.body("plain")
    assert deliver(database, mail_settings, NOW.add(days=1), officer_email=OFFICER).sent == 0


def test_a_partly_refused_message_is_sent_once_and_shown_to_the_officer(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    smtp_server.refuse("gone@example.org")
    with database.sessions.begin() as session:
        enqueue(
            session,
            idem_key="both",
            kind="reminder",
            to=["jo@example.org"],
            cc=["gone@example.org"],
            subject="Hi",
            text="x",
            html=None,
            date_header=NOW,
        )
    report = deliver(database, mail_settings, officer_email=OFFICER)
    assert report.sent == 2
    assert smtp_server.messages[0].rcpt_tos == ["jo@example.org"]
    with database.sessions() as session:
        (shown,) = failures(session)
    assert shown.status == "sent" and "gone@example.org: 550" in (shown.last_error or "")
    assert len(smtp_server.to(OFFICER)) == 1


def test_a_dry_run_writes_eml_files_and_marks_nothing_sent(
    database: Database, tmp_path: Path
) -> None:
    queue(database, 3)
    out = tmp_path / "dry-run"
    report = deliver_pending(
        database.sessions,
        EmlDirSender(out, "trust@example.org"),
        now=NOW,
        worker_id="t",
        dry_run=True,
    )
    assert report.dry_run and len(report.written) == 3
    assert statuses(database) == {"pending": 3}
    parsed = email.message_from_bytes(Path(report.written[0]).read_bytes())
    assert parsed["Message-ID"] == report.sent_message_ids[0]


def test_a_script_tag_in_a_name_arrives_escaped_in_html_and_literal_in_text(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    name = "<script>alert('x')</script>"
    rendered = render_email(
        "outbox_failure",
        {
            "failed_subject": name,
            "failed_to": ["a@example.org"],
            "failed_kind": "k",
            "failed_message_id": "<m@x>",
            "failed_reply": "550",
        },
    )
    with database.sessions.begin() as session:
        enqueue(
            session,
            idem_key="esc",
            kind="reminder",
            to=["jo@example.org"],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            date_header=NOW,
        )
    deliver(database, mail_settings)
    (received,) = smtp_server.messages
    assert name in received.body("plain")
    assert "&lt;script&gt;" in received.body("html") and name not in received.body("html")


def test_a_lease_left_by_a_dead_sender_holds_whatever_now_others_pass_then_expires(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    queue(database, 2)
    taken = claim(database.sessions, worker_id="crashed", at=NOW, limit=10, lease_seconds=1)
    assert len(taken.messages) == 2
    # The lease is on the wall clock: a run a day ahead of the claimer cannot take it.
    assert deliver(database, mail_settings, NOW.add(days=1)).sent == 0
    deadline = time.monotonic() + 30
    sent = 0
    while sent < 2 and time.monotonic() < deadline:  # poll until the lease has run out
        sent += deliver(database, mail_settings, NOW).sent
    assert sent == 2
    assert len(smtp_server.message_ids()) == len(set(smtp_server.message_ids())) == 2
