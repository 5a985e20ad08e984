"""The one sender interface, and its implementations: yagmail over SMTP, and `.eml` files.

A `Sender` is used as a context manager around one batch: one SMTP connection per batch,
reconnected once if the server drops it. Failures are mapped onto three exceptions the
outbox understands: `TransientFailure` (retry later), `PermanentFailure` (a person must
look), and `ServerUnavailable` (stop the batch; no message is to blame).
"""

from __future__ import annotations

import os
import smtplib
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

import yagmail

from trustcycle.mail.message import OutgoingMessage, addr_spec, wire_bytes
from trustcycle.mail.settings import SmtpSettings


class DeliveryError(Exception):
    """A message was not (fully) delivered; `reply` is what the server said."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class TransientFailure(DeliveryError):
    """Worth retrying later: an SMTP 4xx, a timeout, a dropped connection."""


class ServerUnavailable(TransientFailure):
    """The server cannot be reached or refuses service (421): stop the whole batch."""


class PermanentFailure(DeliveryError):
    """An SMTP 5xx: resending the same message will not help."""


class PartiallyRefused(PermanentFailure):
    """Accepted for some recipients and refused (5xx) for the others: do not resend."""

    def __init__(self, reply: str, refused: dict[str, str]) -> None:
        super().__init__(reply)
        self.refused = refused


class Sender(Protocol):
    """Delivers `OutgoingMessage`s over one connection; `send` returns the server's reply."""

    def open(self) -> None: ...
    def send(self, msg: OutgoingMessage) -> str: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class _SenderBase:
    def open(self) -> None:
        """Connect (nothing to do by default)."""

    def close(self) -> None:
        """Disconnect (nothing to do by default)."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def classify(code: int, reply: str) -> DeliveryError:
    """The outbox's view of an SMTP reply code (RFC 5321 s4.2.1)."""
    if code == 421:  # "service not available, closing transmission channel"
        return ServerUnavailable(reply)
    if 400 <= code < 500:
        return TransientFailure(reply)
    return PermanentFailure(reply)


class YagmailSender(_SenderBase):
    """SMTP through yagmail's connection handling; the MIME is ours (Message-ID, Date)."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self._settings = settings
        self._password = password  # plain str held only here; never logged or repr'd
        self._host = host or settings.host or "127.0.0.1"
        self._port = port or settings.port
        self._from = settings.sender_address
        self._envelope_from = addr_spec(self._from)
        self._yag: yagmail.SMTP | None = None

    def __repr__(self) -> str:
        return f"YagmailSender({self._host}:{self._port}, from={self._from})"

    def open(self) -> None:
        """Connect (and log in when a user is configured); an outage is `ServerUnavailable`."""
        if self._yag is not None:
            return  # already open: deliver_pending opens a sender its caller may have opened
        s = self._settings
        if s.user and self._password is None:
            # Trap: yagmail falls back to the OS keyring when the password is None.
            raise ServerUnavailable("TRUSTCYCLE_SMTP_USER is set but no SMTP password is")
        self._yag = yagmail.SMTP(
            user=s.user or self._from,
            password=self._password,
            host=self._host,
            port=self._port,
            smtp_starttls=s.starttls,  # explicit: yagmail's None means "STARTTLS unless SSL"
            smtp_ssl=s.ssl,
            smtp_skip_login=not s.user,
            soft_email_validation=False,  # addresses were checked at enqueue
            timeout=s.timeout,
        )
        try:
            self._yag.login()
        except smtplib.SMTPAuthenticationError as exc:
            raise ServerUnavailable(_reply(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPResponseException as exc:
            raise ServerUnavailable(_reply(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(f"cannot connect to {self._host}:{self._port}: {exc}") from None

    def close(self) -> None:
        """Say QUIT, ignoring a connection that is already gone."""
        if self._yag is not None:
            try:
                self._yag.close()
            except OSError:
                pass
            self._yag = None

    def send(self, msg: OutgoingMessage) -> str:
        """Send one message; reconnect once if the connection was dropped."""
        data = wire_bytes(msg, self._from)
        recipients = msg.recipients
        if self._yag is None:
            self.open()
        try:
            return self._transmit(recipients, data)
        except (smtplib.SMTPServerDisconnected, OSError):
            # Trap: if the drop came after the server stored the message, this resend
            # duplicates it; the Message-ID is the same, so clients show it once.
            self.close()
            self.open()
            try:
                return self._transmit(recipients, data)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise ServerUnavailable(f"connection lost: {exc}") from None

    def _transmit(self, recipients: list[str], data: bytes) -> str:
        # smtplib.sendmail() without its return-value loss: keep the reply to DATA (it
        # carries the server's queue id) and the per-recipient refusals.
        assert self._yag is not None
        smtp = self._yag.smtp
        smtp.ehlo_or_helo_if_needed()
        # docmd rather than mail()/rcpt(): those re-parse every address (quoteaddr), and
        # ours are bare addr-specs already checked at enqueue.
        code, text = smtp.docmd("mail", f"FROM:<{self._envelope_from}>")
        if code != 250:
            self._reset(smtp)
            raise classify(code, _reply(code, text))
        refused: dict[str, str] = {}
        mildest = 0
        for rcpt in recipients:
            code, text = smtp.docmd("rcpt", f"TO:<{rcpt}>")
            if code not in (250, 251):
                refused[rcpt] = _reply(code, text)
                mildest = code if mildest == 0 or code < mildest else mildest
        if len(refused) == len(recipients):
            self._reset(smtp)
            # The mildest refusal decides: one 4xx means a later retry may yet succeed.
            raise classify(mildest, "; ".join(f"{r}: {t}" for r, t in refused.items()))
        try:
            code, text = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            self._reset(smtp)
            raise classify(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error)) from None
        if code != 250:
            self._reset(smtp)
            raise classify(code, _reply(code, text))
        reply = _reply(code, text)
        if refused:
            raise PartiallyRefused(reply, refused)
        return reply

    @staticmethod
    def _reset(smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass


def eml_name(message_id: str) -> str:
    """A file name for a message: its Message-ID without brackets, safe on any filesystem."""
    local = message_id.strip("<>").split("@", 1)[0]
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in local) + ".eml"


class EmlDirSender(_SenderBase):
    """Writes each message as `<message-id>.eml` in a directory (dry runs, snapshots)."""

    def __init__(self, directory: Path, mail_from: str) -> None:
        self.directory = Path(directory)
        self._from = mail_from

    def open(self) -> None:
        """Create the directory."""
        self.directory.mkdir(parents=True, exist_ok=True)

    def send(self, msg: OutgoingMessage) -> str:
        """Write the message atomically (temp file, then rename) and return its path."""
        path = self.directory / eml_name(msg.message_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(wire_bytes(msg, self._from))
        os.replace(tmp, path)
        return f"written {path}"
