"""Header safety and the MIME form of an outgoing message (pure, no I/O)."""

from __future__ import annotations

import email

import pendulum
import pytest

from trustcycle.mail.message import (
    Attachment,
    HeaderInjectionError,
    OutgoingMessage,
    check_address,
    check_header,
    wire_bytes,
)

WHEN = pendulum.datetime(2010, 6, 1, 9, 0, tz="Europe/London")


def _message(**changes: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "outbox_id": 1,
        "message_id": "<0123abcd@trustcycle.local>",
        "kind": "reminder",
        "to": ["Jo Bloggs <jo.bloggs@police.example.org>"],
        "subject": "Reminder: membership review",
        "text": "Dear Jo,\n",
        "html": "<p>Dear Jo,</p>",
        "date": WHEN,
    }
    fields.update(changes)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["a\r\nBcc: x@evil.example", "a\nb", "a\rb", "a\u2028b"])
def test_a_line_break_in_a_subject_is_refused_as_header_injection(value: str) -> None:
    with pytest.raises(HeaderInjectionError):
        check_header("Subject", value)


def test_a_line_break_in_an_address_is_refused_as_header_injection() -> None:
    with pytest.raises(HeaderInjectionError):
        check_address("jo@police.example.org\r\nBcc: all@evil.example")


@pytest.mark.parametrize("value", ["not an address", "jo@", "@police.example.org", "jo@localhost"])
def test_an_invalid_address_is_refused_naming_it(value: str) -> None:
    with pytest.raises(ValueError, match="invalid email address") as caught:
        check_address(value)
    assert repr(value) in str(caught.value)
    assert not isinstance(caught.value, HeaderInjectionError)


def test_a_named_address_is_accepted_as_given() -> None:
    assert check_address("Jo Bloggs <jo@police.example.org>") == "Jo Bloggs <jo@police.example.org>"


def test_the_mime_carries_our_message_id_and_date_not_generated_ones() -> None:
    parsed = email.message_from_bytes(wire_bytes(_message(), "trust@rutland.example.gov.uk"))
    assert parsed["Message-ID"] == "<0123abcd@trustcycle.local>"
    assert parsed["Date"] == "Tue, 01 Jun 2010 09:00:00 +0100"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_content_type() == "multipart/alternative"


def test_the_wire_form_uses_crlf_line_endings() -> None:
    data = wire_bytes(_message(), "trust@rutland.example.gov.uk")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_a_non_ascii_subject_and_body_survive_encoding() -> None:
    msg = _message(subject="Réunion – CYPP review", text="Café £5\n", html=None)
    parsed = email.message_from_bytes(wire_bytes(msg, "trust@rutland.example.gov.uk"))
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
    assert subject == "Réunion – CYPP review"
    assert parsed.get_payload(decode=True).decode("utf-8") == "Café £5\n"


def test_an_attachment_is_sent_as_a_named_base64_part() -> None:
    ics = Attachment.from_bytes("deadline.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n")
    msg = _message(attachments=[ics.as_dict()])
    parsed = email.message_from_bytes(wire_bytes(msg, "trust@rutland.example.gov.uk"))
    parts = [p for p in parsed.walk() if p.get_filename()]
    assert [p.get_filename() for p in parts] == ["deadline.ics"]
    assert parts[0].get_payload(decode=True) == b"BEGIN:VCALENDAR\r\n"


def _stdlib_wire(msg: OutgoingMessage, mail_from: str) -> bytes:
    from trustcycle.mail.message import WIRE_POLICY, build_mime

    return build_mime(msg, mail_from).as_bytes(policy=WIRE_POLICY)


ICS = Attachment.from_bytes("deadline.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n" * 40)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"html": None},
        {"text": "Dear Jo,\r\nline two\rthree\n\nFrom here on\n.\n", "html": "<p>a</p>\n"},
        {"text": "no final newline", "html": "<p>no final newline</p>"},
        {"text": "x" * 1200 + "\n", "html": None},
        {"text": "Café £5\n", "html": "<p>Café £5</p>\n"},
        {"subject": "Réunion – CYPP review"},
        {"subject": "A long subject line " * 8},
        {"subject": " leading and trailing spaces "},
        {"subject": "tab\tinside and  double  spaces"},
        {"to": ["Zoë Brontë <zoe@police.example.org>", "x@y.example.org"]},
        {"to": [f"p{i}@partner{i}.example.org" for i in range(8)]},
        {"cc": ["Manager <manager@trust.example.gov.uk>"]},
        {"attachments": [ICS.as_dict()]},
        {"attachments": [ICS.as_dict()], "html": None},
        {"attachments": [{**ICS.as_dict(), "filename": "échéance 2026.ics"}]},
        {"attachments": [{**ICS.as_dict(), "content_type": "application"}]},
        {"kind": "escalation:escalate_5"},
    ],
)
def test_the_fast_wire_form_is_byte_for_byte_what_the_email_package_writes(
    changes: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    import itertools
    import random

    def same_boundaries() -> None:
        tokens = itertools.count(42)
        monkeypatch.setattr(random, "randrange", lambda _stop: next(tokens))

    msg, sender = _message(**changes), "Trust Support <trust@rutland.example.gov.uk>"
    same_boundaries()
    fast = wire_bytes(msg, sender)
    same_boundaries()
    assert fast == _stdlib_wire(msg, sender)


def test_a_boundary_found_in_a_body_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import random

    monkeypatch.setattr(random, "randrange", lambda _stop: 42)
    taken = "===============0000000000000000042=="
    data = wire_bytes(_message(text=f"--{taken}\n"), "trust@rutland.example.gov.uk")
    parsed = email.message_from_bytes(data)
    assert parsed.get_boundary() == f"{taken}.0"
    assert [p.get_payload() for p in parsed.walk()][1] == f"--{taken}\r\n"
