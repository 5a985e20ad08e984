"""Pytest fixtures: a real aiosmtpd server on loopback with scriptable faults.

`smtp_server` collects messages in memory and can reply 451 to the next N messages,
refuse given recipients (550), answer slowly, and stop/start to simulate an outage.
`mail_settings` points trustcycle's SMTP settings (the environment) at it.
"""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from trustcycle.mail.settings import SmtpSettings
from trustcycle.mail.sink import MailSink


@dataclass(frozen=True)
class Received:
    """One message as the server took it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def parsed(self) -> Message:
        """The message parsed by the standard library."""
        return email.message_from_bytes(self.data)

    @property
    def message_id(self) -> str:
        """The Message-ID header."""
        return str(self.parsed["Message-ID"])

    def body(self, subtype: str) -> str:
        """The decoded `text/<subtype>` part."""
        for part in self.parsed.walk():
            if part.get_content_type() == f"text/{subtype}":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8")
        raise LookupError(f"no text/{subtype} part")


class ScriptedHandler:
    """aiosmtpd handler: stores messages in memory and plays the configured faults."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[Received] = []
        self.refused: dict[str, str] = {}
        self.transient_left = 0
        self.transient_reply = "451 4.3.0 try again later"
        self.delay = 0.0

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        """Refuse the scripted addresses; accept the rest."""
        with self.lock:
            reply = self.refused.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Store the message, after the scripted delay, unless a 451 is scripted."""
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.transient_left > 0:
                self.transient_left -= 1
                return self.transient_reply
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
            return f"250 OK queued as {len(self.messages)}"


class SmtpTestServer:
    """A loopback SMTP server for tests: real sockets, in-memory mailbox, scripted faults."""

    def __init__(self, directory: Path) -> None:
        self.handler = ScriptedHandler()
        self._sink = MailSink(directory, handler=self.handler)

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        """The listening port (stable across stop/start)."""
        return self._sink.port

    @property
    def messages(self) -> list[Received]:
        """A snapshot of what has been received so far."""
        with self.handler.lock:
            return list(self.handler.messages)

    def message_ids(self) -> list[str]:
        """Message-IDs in arrival order (duplicates kept)."""
        return [m.message_id for m in self.messages]

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope includes `address`."""
        return [m for m in self.messages if address in m.rcpt_tos]

    def fail_next(self, count: int, reply: str = "451 4.3.0 try again later") -> None:
        """Answer the next `count` messages' DATA with a transient reply."""
        with self.handler.lock:
            self.handler.transient_left = count
            self.handler.transient_reply = reply

    def refuse(self, address: str, reply: str = "550 5.1.1 no such user") -> None:
        """Refuse `address` at RCPT TO with a permanent reply."""
        with self.handler.lock:
            self.handler.refused[address.lower()] = reply

    def slow(self, seconds: float) -> None:
        """Delay every DATA reply by `seconds`."""
        self.handler.delay = seconds

    def start(self) -> None:
        """Listen (again, on the same port)."""
        self._sink.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until `start()`."""
        self._sink.stop()


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpTestServer]:
    """A running loopback SMTP server with scriptable faults."""
    server = SmtpTestServer(tmp_path / "smtp-sink")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch) -> SmtpSettings:
    """SMTP settings (set in the environment) pointing at `smtp_server`."""
    for name, value in {
        "TRUSTCYCLE_SMTP_HOST": smtp_server.host,
        "TRUSTCYCLE_SMTP_PORT": str(smtp_server.port),
        "TRUSTCYCLE_SMTP_STARTTLS": "false",
        "TRUSTCYCLE_SMTP_SSL": "false",
        "TRUSTCYCLE_SMTP_TIMEOUT": "10",
        "TRUSTCYCLE_MAIL_FROM": "Trust Support <trust.support@rutland.example.gov.uk>",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("TRUSTCYCLE_SMTP_USER", "TRUSTCYCLE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return SmtpSettings()
