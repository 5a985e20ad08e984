"""Email: settings, paired templates, header-safe MIME, and the senders behind one interface.

`open_sender(settings, password)` picks the sender by configuration: yagmail to the
configured SMTP host, else to the embedded loopback sink (started for the batch), or
`.eml` files for a dry run. The outbox (`trustcycle.outbox`) is the only caller that sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trustcycle.mail.message import HeaderInjectionError, OutgoingMessage
from trustcycle.mail.render import RenderedEmail, render_email
from trustcycle.mail.senders import EmlDirSender, Sender, YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.mail.sink import MailSink

DRY_RUN_DIR = Path("var/mail/dry-run")

__all__ = [
    "DRY_RUN_DIR",
    "EmlDirSender",
    "HeaderInjectionError",
    "MailSink",
    "OutgoingMessage",
    "RenderedEmail",
    "Sender",
    "SmtpSettings",
    "YagmailSender",
    "open_sender",
    "render_email",
]


@contextmanager
def open_sender(
    settings: SmtpSettings,
    password: str | None = None,
    *,
    dry_run: bool = False,
    dry_run_dir: Path = DRY_RUN_DIR,
) -> Iterator[Sender]:
    """The sender the configuration asks for, with the embedded sink running if needed.

    The sender is not opened here: `deliver_pending` opens it, so an outage is reported
    rather than raised."""
    if dry_run:
        yield EmlDirSender(dry_run_dir, settings.sender_address)
    elif settings.uses_sink:
        with MailSink(settings.sink_dir) as sink:
            yield YagmailSender(settings, host=sink.host, port=sink.port)
    else:
        yield YagmailSender(settings, password=password)
