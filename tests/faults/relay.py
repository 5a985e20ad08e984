"""A faulty SMTP relay for the fault suite: aiosmtpd in a process of its own, so it can be
killed with SIGKILL like a real relay, and so its event loop never shares a GIL with the
deliverer under test.

    python tests/faults/relay.py PORT RULES_JSON

It prints `ready <port>` once listening. Before each RCPT and DATA it re-reads the rules
file (written atomically by the test), a JSON object:

- `"log"`: the file each accepted message is appended to, one line per recipient,
  `<Message-ID>\\t<recipient>`, written with one `os.write` on an `O_APPEND` descriptor
  before the 250 reply, so it survives the relay being killed right after;
- `"rcpt"`: `{address: reply}` answered at RCPT TO (e.g. "451 4.2.1 busy", "550 5.1.1 no");
- `"data"`: `{message_id: {"action": ..., "seconds": ...}}`, actions: `"drop"` (close the
  connection without a reply, nothing stored), `"hang"` (never answer, nothing stored),
  `"store_then_hang"` (store, then never answer), `"reply"` (answer `"reply"`, not stored);
- `"delay"`: seconds to wait before answering any DATA (a slow relay).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)
HANG_SECONDS = 3600.0


class FaultyRelay:
    """aiosmtpd handler playing the rules file."""

    def __init__(self, rules_path: str) -> None:
        self.rules_path = rules_path
        self._stamp: float = -1.0
        self._rules: dict[str, Any] = {}

    def rules(self) -> dict[str, Any]:
        """The rules, re-read when the file changed."""
        stamp = os.stat(self.rules_path).st_mtime_ns
        if stamp != self._stamp:
            with open(self.rules_path, encoding="utf-8") as handle:
                self._rules = json.load(handle)
            self._stamp = stamp
        return self._rules

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.rules().get("rcpt", {}).get(address.lower())
        if reply:
            return str(reply)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        rules = self.rules()
        content: bytes = envelope.original_content or envelope.content
        found = _MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        message_id = found.group(1).decode() if found else "<none>"
        rule = rules.get("data", {}).get(message_id, {})
        if rules.get("delay"):
            await asyncio.sleep(float(rules["delay"]))
        action = rule.get("action", "store")
        if action == "drop":
            server.transport.abort()
            return "421 4.4.2 dropped"  # never reaches the client
        if action == "hang":
            await asyncio.sleep(HANG_SECONDS)
        if action == "reply":
            return str(rule["reply"])
        self._store(rules["log"], message_id, envelope.rcpt_tos)
        if action == "store_then_hang":
            await asyncio.sleep(HANG_SECONDS)
        return f"250 2.0.0 OK {message_id}"

    @staticmethod
    def _store(log: str, message_id: str, recipients: list[str]) -> None:
        lines = "".join(f"{message_id}\t{r.lower()}\n" for r in recipients).encode()
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines)
        finally:
            os.close(fd)


class _Controller(Controller):
    # aiosmtpd's readiness probe connects to self.port, 0 when the OS picks the port.
    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main() -> None:
    port, rules_path = int(sys.argv[1]), sys.argv[2]
    controller = _Controller(FaultyRelay(rules_path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"ready {controller.port}", flush=True)
    sys.stdin.read()  # until the test closes our stdin (or kills us)
    controller.stop()


if __name__ == "__main__":
    main()
