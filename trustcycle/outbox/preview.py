"""A dry run's mail: each message it would send, written as an `.eml` file, nothing stored.

The files are built by the same code as real mail (headers checked, the same MIME), so an
officer opening one in Outlook sees what a partner would receive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from trustcycle.mail.message import OutgoingMessage
from trustcycle.mail.senders import EmlDirSender
from trustcycle.outbox import NewEmail

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PreviewLine:
    """One message a dry run would send, as the officer's table shows it."""

    kind: str
    to: str
    cc: str
    subject: str
    rung: str
    file: str


def outgoing(email: NewEmail) -> OutgoingMessage:
    """The message exactly as the outbox would hand it to a sender."""
    row = email.validated_row(email.date_header)
    return OutgoingMessage(
        outbox_id=0,
        message_id=row["message_id"],
        kind=row["kind"],
        to=row["to_addrs"],
        cc=row["cc_addrs"] or (),
        subject=row["subject"],
        text=row["body_text"],
        html=row["body_html"],
        attachments=row["attachments"],
        date=row["date_header"],
    )


def rung_of(email: NewEmail) -> str:
    """The ladder rung a chase message is for (its kind is `reminder:<rung>`), or ''."""
    kind, _, rung = email.kind.partition(":")
    return rung if kind in ("reminder", "escalation") else ""


def write_previews(
    emails: Iterable[NewEmail], directory: Path, mail_from: str, prefix: str
) -> list[PreviewLine]:
    """Write each message as `<prefix>-<n>-<kind>.eml` under `directory`; one line each."""
    writer = EmlDirSender(directory, mail_from)
    writer.open()
    lines = []
    for n, email in enumerate(emails, start=1):
        msg = outgoing(email)
        name = _UNSAFE.sub("-", f"{prefix}-{n:04d}-{email.kind}")
        path = directory / f"{name}.eml"
        written = writer.send(msg).removeprefix("written ")
        Path(written).replace(path)
        lines.append(PreviewLine(email.kind, ", ".join(msg.to), ", ".join(msg.cc), msg.subject,
                                 rung_of(email), str(path)))
    return lines
