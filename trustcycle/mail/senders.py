"""The one sender interface, and its implementations: yagmail over SMTP, and `.eml` files.

A `Sender` is used as a context manager around one batch: one SMTP connection per batch.
Failures are mapped onto exceptions the outbox understands:

- `TransientFailure` (retry this message later: a 4xx), and its kind `ConnectionLost` (the
  connection failed while this message was on it: the relay may even have stored it, so it
  is not resent in the same tick; the next message reconnects);
- `PermanentFailure` (a 5xx: a person must look);
- `RecipientResults` (some recipients took the message, or refused it for good, and others
  must be retried: each recipient's reply);
- `ServerUnavailable` (no message is to blame: the relay cannot be reached; stop the batch),
  and its kind `RelayRefused` (TLS or the login failed: a person must fix the settings).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


class ConnectionLost(TransientFailure):
    """The connection broke (or timed out) while this message was being sent."""


class ServerUnavailable(TransientFailure):
    """The server cannot be reached or refuses service (421): stop the whole batch."""


class RelayRefused(ServerUnavailable):
    """The relay refuses trustcycle itself, whatever the message: TLS could not be verified,
    or the login was refused. `problem` says which, in the officer's words."""

    def __init__(self, problem: str, reply: str) -> None:
        super().__init__(f"{problem}: {reply}")
        self.problem = problem


class PermanentFailure(DeliveryError):
    """An SMTP 5xx: resending the same message will not help."""


class RecipientResults(DeliveryError):
    """Recipients answered differently at RCPT: `accepted` took the message (when `reply`,
    the answer to DATA, is not None), `refused` said 5xx, `deferred` said 4xx."""

    def __init__(
        self,
        reply: str | None,
        accepted: Sequence[str],
        refused: dict[str, str],
        deferred: dict[str, str],
    ) -> None:
        failed = {**refused, **deferred}
        super().__init__(reply or "; ".join(f"{r}: {t}" for r, t in failed.items()))
        self.data_reply = reply
        self.accepted = list(accepted)
        self.refused = refused
        self.deferred = deferred


@dataclass(frozen=True, slots=True)
class Overlap:
    """Work for the sender to do while the relay thinks, rather than wait for it: a
    round trip on loopback is a few hundred microseconds of idle client."""

    after_mail: Callable[[], None] | None = None  # once MAIL FROM is written (a DB commit)
    next_message: OutgoingMessage | None = None  # its bytes built while DATA is answered


class Sender(Protocol):
    """Delivers `OutgoingMessage`s over one connection; `send` returns the server's reply.

    `recipients` (default: all of To and Cc) narrows the envelope for a retry of those not
    yet served; `within` bounds the whole exchange in seconds (a lease must outlast it);
    `overlap` is work to do meanwhile."""

    def open(self) -> None: ...
    def send(
        self,
        msg: OutgoingMessage,
        recipients: Sequence[str] | None = None,
        within: float | None = None,
        overlap: Overlap | None = None,
    ) -> str: ...
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


class _Broken(Exception):
    """The connection failed at `stage` ("mail", "rcpt" or "data") of one message."""

    def __init__(self, stage: str, cause: str) -> None:
        super().__init__(f"{stage}: {cause}")
        self.stage = stage
        self.cause = cause


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
        self._timeout = settings.timeout
        self._from = settings.sender_address
        self._envelope_from = addr_spec(self._from)
        self._yag: yagmail.SMTP | None = None
        self._prepared: tuple[OutgoingMessage, bytes] | None = None

    def __repr__(self) -> str:
        return f"YagmailSender({self._host}:{self._port}, from={self._from})"

    def open(self) -> None:
        """Connect, secure and log in: an outage is `ServerUnavailable`; a certificate
        that cannot be verified or a refused login is `RelayRefused`, and then neither
        the password nor any message has been sent."""
        if self._yag is not None:
            return  # already open: deliver_pending opens a sender its caller may have opened
        s = self._settings
        if s.user and self._password is None:
            # Trap: yagmail falls back to the OS keyring (or a prompt) when it has no password.
            raise RelayRefused("authentication failed", "no SMTP password is set")
        where = f"{self._host}:{self._port or (465 if s.ssl else 587)}"
        try:
            context = s.tls_context() if s.uses_tls else None
        except (OSError, ssl.SSLError) as exc:  # an unreadable TRUSTCYCLE_SMTP_CA_FILE
            raise RelayRefused("TLS failed", f"cannot load the CA file: {exc}") from None
        yag = _Client(s, self._password, self._host, self._port, context)
        try:
            yag.login()
            yag.smtp.ehlo_or_helo_if_needed()
        except ssl.SSLCertVerificationError as exc:
            _abandon(yag)
            detail = exc.verify_message or str(exc)
            raise RelayRefused(
                "TLS failed: the relay's certificate is not trusted", f"{where}: {detail}"
            ) from None
        except (ssl.SSLError, smtplib.SMTPNotSupportedError) as exc:
            _abandon(yag)  # the relay offers no STARTTLS, or no AUTH (often: before TLS)
            problem = "authentication failed" if "AUTH" in str(exc) else "TLS failed"
            raise RelayRefused(problem, f"{where}: {exc}") from None
        except smtplib.SMTPAuthenticationError as exc:
            _abandon(yag)
            reply = _reply(exc.smtp_code, exc.smtp_error)
            raise RelayRefused("authentication failed", f"{where}: {reply}") from None
        except smtplib.SMTPResponseException as exc:
            _abandon(yag)
            raise ServerUnavailable(_reply(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            _abandon(yag)
            raise ServerUnavailable(f"cannot connect to {where}: {exc}") from None
        self._yag = yag

    def close(self) -> None:
        """Say QUIT (briefly: a slow server is not waited for), then disconnect."""
        yag, self._yag = self._yag, None
        if yag is None:
            return
        try:
            if yag.smtp.sock is not None:
                yag.smtp.sock.settimeout(min(self._timeout, 5.0))
            yag.smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        _abandon(yag)

    def _drop(self) -> None:
        """Forget a connection in an unknown state without a word to the server."""
        yag, self._yag = self._yag, None
        if yag is not None:
            _abandon(yag)

    def send(
        self,
        msg: OutgoingMessage,
        recipients: Sequence[str] | None = None,
        within: float | None = None,
        overlap: Overlap | None = None,
    ) -> str:
        """Send one message to `recipients` (default all) within `within` seconds.

        A connection found dead before the message was handed over (the relay closed an
        idle connection) is reopened and the message sent once more; one that breaks
        while the message is on it is `ConnectionLost`, and is not retried here."""
        prepared, self._prepared = self._prepared, None
        data = prepared[1] if prepared and prepared[0] is msg else wire_bytes(msg, self._from)
        rcpts = msg.recipients if recipients is None else list(recipients)
        deadline = None if within is None else time.monotonic() + within
        jobs = _Jobs(overlap)
        fresh = self._yag is None
        if fresh:
            self.open()
        try:
            return self._transmit(rcpts, data, deadline, jobs)
        except _Broken as broken:
            self._drop()
            if fresh or broken.stage in ("data", "deadline"):
                # Trap: after DATA the relay may have stored the message; resending it in
                # this tick is how a storing-then-slow relay got six copies (issue 10).
                raise ConnectionLost(f"connection lost at {broken}") from None
        self.open()
        try:
            return self._transmit(rcpts, data, deadline, jobs)
        except _Broken as broken:
            self._drop()
            raise ConnectionLost(f"connection lost at {broken}") from None

    def _arm(self, deadline: float | None) -> None:
        """Bound the next exchange by the socket timeout and what is left of `deadline`."""
        if deadline is None:
            return
        assert self._yag is not None
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Broken("deadline", "the time allowed for this message ran out")
        sock = self._yag.smtp.sock
        if sock is not None:
            sock.settimeout(min(self._timeout, left))

    def _transmit(
        self, recipients: list[str], data: bytes, deadline: float | None, jobs: _Jobs
    ) -> str:
        # smtplib.sendmail() without its return-value loss (keep the reply to DATA, it
        # carries the server's queue id, and every recipient's reply), and with the client's
        # own work done while the relay answers. docmd/putcmd rather than mail()/rcpt():
        # those re-parse every address, and ours are bare addr-specs checked at enqueue.
        assert self._yag is not None
        smtp = self._yag.smtp
        stage = "mail"
        try:
            self._arm(deadline)
            smtp.putcmd("mail", f"FROM:<{self._envelope_from}>")
            jobs.after_mail()
            code, text = smtp.getreply()
            if code != 250:
                raise self._failed(smtp, stage, code, text)
            stage = "rcpt"
            refused: dict[str, str] = {}
            deferred: dict[str, str] = {}
            for rcpt in recipients:
                self._arm(deadline)
                code, text = smtp.docmd("rcpt", f"TO:<{rcpt}>")
                if code == 421:
                    raise _Broken(stage, _reply(code, text))
                if code not in (250, 251):
                    (deferred if 400 <= code < 500 else refused)[rcpt] = _reply(code, text)
            accepted = [r for r in recipients if r not in refused and r not in deferred]
            if not accepted:
                self._reset(smtp)
                if not deferred:
                    raise PermanentFailure("; ".join(f"{r}: {t}" for r, t in refused.items()))
                if not refused:
                    raise TransientFailure("; ".join(f"{r}: {t}" for r, t in deferred.items()))
                raise RecipientResults(None, [], refused, deferred)
            stage = "data"
            self._arm(deadline)
            code, text = smtp.docmd("data")
            if code != 354:
                raise self._failed(smtp, stage, code, text)
            self._arm(deadline)
            smtp.send(_dot_stuffed(data))
            self._prepared = jobs.prepare(self._from)
            code, text = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Broken(stage, str(exc) or type(exc).__name__) from None
        if code != 250:
            raise self._failed(smtp, stage, code, text)
        reply = _reply(code, text)
        if refused or deferred:
            raise RecipientResults(reply, accepted, refused, deferred)
        return reply

    def _failed(self, smtp: smtplib.SMTP, stage: str, code: int, text: bytes) -> Exception:
        if code == 421:
            return _Broken(stage, _reply(code, text))
        self._reset(smtp)
        return classify(code, _reply(code, text))

    @staticmethod
    def _reset(smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPServerDisconnected, OSError):
            pass


class _Client(yagmail.SMTP):
    """yagmail's client with two of its traps closed (issue 14): the username goes to the
    relay exactly as configured (yagmail appends "@gmail.com" to one without "@"), and
    TLS, STARTTLS or implicit, is verified with `context` (yagmail's STARTTLS passes no
    context, so smtplib would accept any certificate and hand the password to anyone)."""

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        host: str,
        port: int | None,
        context: ssl.SSLContext | None,
    ) -> None:
        extra = {"context": context} if settings.ssl else {}
        super().__init__(
            user=settings.user or "",
            password=password,
            host=host,
            port=port,
            smtp_starttls={"context": context} if settings.starttls else False,
            smtp_ssl=settings.ssl,
            smtp_skip_login=not settings.user,
            soft_email_validation=False,  # addresses were checked at enqueue
            timeout=settings.timeout,
            **extra,
        )
        self.user = settings.user or ""


class _Jobs:
    """An `Overlap`, each part done at most once (a resend after reconnecting skips it)."""

    def __init__(self, overlap: Overlap | None) -> None:
        self._after_mail = overlap.after_mail if overlap else None
        self._next = overlap.next_message if overlap else None

    def after_mail(self) -> None:
        job, self._after_mail = self._after_mail, None
        if job is not None:
            job()

    def prepare(self, mail_from: str) -> tuple[OutgoingMessage, bytes] | None:
        nxt, self._next = self._next, None
        return None if nxt is None else (nxt, wire_bytes(nxt, mail_from))


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuffed(data: bytes) -> bytes:
    """The DATA payload: leading dots doubled, ended by CRLF.CRLF (RFC 5321 s4.5.2)."""
    stuffed = _LEADING_DOT.sub(b"..", data) if b"\n." in data or data[:1] == b"." else data
    return stuffed + (b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n")


def _abandon(yag: yagmail.SMTP) -> None:
    """Close a yagmail client's socket without QUIT, and stop its `__del__` trying one."""
    yag.is_closed = True
    if yag.smtp is not None:
        yag.smtp.close()


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

    def send(
        self,
        msg: OutgoingMessage,
        recipients: Sequence[str] | None = None,
        within: float | None = None,
        overlap: Overlap | None = None,
    ) -> str:
        """Write the message atomically (temp file, then rename) and return its path."""
        if overlap is not None and overlap.after_mail is not None:
            overlap.after_mail()
        path = self.directory / eml_name(msg.message_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(wire_bytes(msg, self._from))
        os.replace(tmp, path)
        return f"written {path}"
