"""The embedded default mail server: an aiosmtpd listener on loopback writing `.eml` files.

With no `TRUSTCYCLE_SMTP_HOST`, trustcycle delivers to this sink over real SMTP, so the
same code path (outbox, claim, yagmail) runs with and without a production server.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from trustcycle.mail.senders import eml_name

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


class EmlDirHandler:
    """aiosmtpd handler: each message to `<dir>/<message-id>.eml` (else a counter)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._counter = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Store the message; a resend with the same Message-ID replaces the first copy."""
        content: bytes = envelope.original_content or envelope.content
        head = content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        found = _MESSAGE_ID.search(head)
        with self._lock:
            self._counter += 1
            name = eml_name(found.group(1).decode()) if found else f"{self._counter:08d}.eml"
        path = self.directory / name
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, path)
        return f"250 OK stored {name}"


class LoopbackController(Controller):
    # aiosmtpd's readiness probe connects to self.port, which is 0 when the OS picks the
    # port: read the bound port off the listening socket first.
    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """A loopback SMTP server (started/stopped by hand or as a context manager)."""

    def __init__(self, directory: Path = Path("var/mail"), *, port: int = 0, handler: Any = None):
        self.directory = Path(directory)
        self.handler = handler if handler is not None else EmlDirHandler(self.directory)
        self._port = port
        self._controller: LoopbackController | None = None

    @property
    def host(self) -> str:
        """The address the sink listens on (always loopback)."""
        return "127.0.0.1"

    @property
    def port(self) -> int:
        """The bound port (known once started; kept across stop/start)."""
        return self._port

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()`."""
        return self._controller is not None

    def start(self) -> None:
        """Create the directory and start listening."""
        if self._controller is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        # A controller's event loop is closed by stop(): a restart needs a new one.
        controller = LoopbackController(self.handler, hostname="127.0.0.1", port=self._port)
        controller.start()
        self._port = int(controller.port)
        self._controller = controller

    def stop(self) -> None:
        """Stop listening; `start()` again reuses the same port."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
