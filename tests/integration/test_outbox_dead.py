"""A message the relay defers every time is given up at its eighth attempt, not before."""

from __future__ import annotations

import pendulum
from sqlalchemy import select

from tests.plugins.smtp_sink import SmtpTestServer
from trustcycle.db import Database
from trustcycle.db.models import OutboxMessage
from trustcycle.mail.senders import YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import ALERT_KIND, deliver_pending, enqueue

NOW = pendulum.datetime(2010, 6, 1, 9, 0, tz="Europe/London")
OFFICER = "officer@rutland.example.gov.uk"


def _row(db: Database, idem_key: str) -> tuple[str, int]:
    with db.sessions() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.idem_key == idem_key))
        message = row.one()
        return message.status, message.attempts


def test_a_message_deferred_eight_times_is_dead_and_the_officer_told_once(
    database: Database, smtp_server: SmtpTestServer, mail_settings: SmtpSettings
) -> None:
    with database.sessions.begin() as session:
        enqueue(
            session,
            idem_key="reminder:police",
            kind="reminder",
            to=["mark.dunn@police.example.uk"],
            subject="Reminder",
            text="Dear Mark,\n",
            html=None,
            date_header=NOW,
        )
    smtp_server.fail_next(8)  # every attempt of the reminder, never the officer's alert
    seen = []
    # Ticks 25 hours apart: past the longest backoff (24 hours, reckoned from the failure's
    # instant, a little after its tick's `now`), so each tick is one attempt.
    for tick in range(9):
        report = deliver_pending(
            database.sessions,
            YagmailSender(mail_settings),
            now=NOW.add(hours=25 * tick),
            worker_id="test",
            officer_email=OFFICER,
        )
        seen.append((report.retrying, report.dead, *_row(database, "reminder:police")))
    assert seen == [
        *[(1, 0, "failed", n) for n in range(1, 8)],
        (0, 1, "dead", 8),
        (0, 0, "dead", 8),  # nobody tries again
    ]
    [alert] = smtp_server.messages
    assert alert.rcpt_tos == [OFFICER]
    assert alert.parsed["X-Trustcycle-Kind"] == ALERT_KIND
