"""The outbox's pure rules: the retry schedule, per-recipient results, bounded alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trustcycle.mail.message import OutgoingMessage
from trustcycle.outbox import BACKOFF, backoff, failure_alert_context, one_line
from trustcycle.outbox.backoff import after_failure
from trustcycle.outbox.records import recipients_outcome

AT = datetime(2026, 5, 8, 8, 0, tzinfo=UTC)


def test_backoff_grows_then_is_capped() -> None:
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[0] == timedelta(minutes=5)
    assert waits == sorted(waits)
    assert waits[-1] == BACKOFF[-1] == timedelta(hours=24)


def test_a_transient_failure_waits_its_backoff_until_the_last_attempt_then_dies() -> None:
    first = after_failure(0, permanent=False, at=AT, max_attempts=3)
    assert (first.status, first.attempts, first.next_attempt_at) == (
        "failed",
        1,
        AT + timedelta(minutes=5),
    )
    last = after_failure(2, permanent=False, at=AT, max_attempts=3)
    assert last.dead and last.attempts == 3 and last.next_attempt_at is None


def test_a_permanent_failure_dies_at_once() -> None:
    assert after_failure(0, permanent=True, at=AT).dead


def test_recipients_served_before_stay_served_and_only_the_deferred_are_retried() -> None:
    first = recipients_outcome(
        {},
        ["jo@police.example.org"],
        "250 OK",
        {"gone@health.example.org": "550 5.1.1 no such user"},
        {"busy@yot.example.org": "451 4.2.1 busy"},
        attempts_before=0,
        at=AT,
        max_attempts=8,
    )
    assert first.results == {
        "jo@police.example.org": "250 OK",
        "gone@health.example.org": "550 5.1.1 no such user",
    }
    assert first.newly_refused == {"gone@health.example.org": "550 5.1.1 no such user"}
    assert first.retry is not None and first.retry.status == "failed"
    assert first.summary == (
        "gone@health.example.org: 550 5.1.1 no such user; busy@yot.example.org: 451 4.2.1 busy"
    )
    then = recipients_outcome(
        first.results, ["busy@yot.example.org"], "250 OK", {}, {},
        attempts_before=1, at=AT, max_attempts=8,
    )
    assert then.retry is None and then.newly_refused == {}
    assert then.summary == "gone@health.example.org: 550 5.1.1 no such user"


def test_alert_parts_are_single_bounded_lines() -> None:
    assert one_line("a\r\nBcc: x\u2028y\x00z", 100) == "a Bcc: x y z"
    assert one_line("Q" * 990, 150) == "Q" * 149 + "…"
    msg = OutgoingMessage(
        1,
        "<m@trustcycle.local>",
        "reminder",
        [f"p{i}@example.org" for i in range(30)],
        "Q" * 990,
        "x",
        None,
        AT,
    )
    context = failure_alert_context(msg, "550 " + "R" * 5000)
    assert len(context["failed_subject"]) == 150 and len(context["failed_reply"]) == 1000
    assert context["failed_to"][-1] == "and 10 more" and len(context["failed_to"]) == 21
