"""Probe: `deliver_pending` against a bare yagmail loop, same loopback server, same count.

    .venv/bin/python bench/chase_delivery_probe.py [COUNT] [--pg URL] [--commit-every N]

The server runs in its own process (aiosmtpd, counting only) so the client loops are
measured without sharing a GIL with it. The bare loop sends the same messages, rendered
beforehand, through one yagmail connection (as `bench/chase.py` does); the outbox renders
each message itself, claims, leases and records it. Prints seconds, messages per second,
and the ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pendulum
import yagmail
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trustcycle.db import Database  # noqa: E402
from trustcycle.mail.message import wire_bytes  # noqa: E402
from trustcycle.mail.senders import YagmailSender  # noqa: E402
from trustcycle.mail.settings import SmtpSettings  # noqa: E402
from trustcycle.outbox import NewEmail, deliver_pending, enqueue_many  # noqa: E402
from trustcycle.outbox.rows import SEND_COLUMNS, T, to_outgoing  # noqa: E402

SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""
NOW = pendulum.datetime(2010, 11, 17, 9, 0, tz="Europe/London")
TEXT = "Dear partner,\n\nA reminder that your return is due on 17 November 2010.\n" * 4
HTML = "<p>Dear partner,</p><p>A reminder that your return is due on 17 November 2010.</p>" * 4


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rendered(db: Database) -> list[tuple[list[str], bytes]]:
    """Every queued message as the relay received it, for the bare loop."""
    with db.sessions() as session:
        rows = session.execute(select(*SEND_COLUMNS).order_by(T.c.id))
        messages = [to_outgoing(row) for row in rows]
    return [(m.recipients, wire_bytes(m, "trust@example.org")) for m in messages]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int, nargs="?", default=20_000)
    parser.add_argument("--pg", default=None)
    parser.add_argument("--commit-every", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert server.stdout is not None and server.stdout.readline().startswith(b"ready")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Database.from_url(args.pg or f"sqlite:///{tmp}/bench.db")
            emails = [
                NewEmail(
                    f"bench:{i}",
                    "reminder",
                    [f"partner{i}@example.org"],
                    f"Reminder: return due ({i})",
                    TEXT,
                    HTML,
                    NOW,
                )
                for i in range(args.count)
            ]
            t0 = time.perf_counter()
            with db.sessions.begin() as session:
                enqueue_many(session, emails)
            enqueue_s = time.perf_counter() - t0

            settings = SmtpSettings(host="127.0.0.1", port=port, mail_from="trust@example.org")
            t0 = time.perf_counter()
            report = deliver_pending(
                db.sessions,
                YagmailSender(settings),
                now=NOW,
                worker_id="bench",
                commit_every=args.commit_every,
            )
            tick_s = time.perf_counter() - t0
            assert report.sent == args.count, report.summary()
            wires = rendered(db)
            db.dispose()

        yag = yagmail.SMTP(
            user="trust@example.org",
            host="127.0.0.1",
            port=port,
            smtp_starttls=False,
            smtp_ssl=False,
            smtp_skip_login=True,
        )
        yag.login()
        t0 = time.perf_counter()
        for recipients, data in wires:
            yag.smtp.sendmail("trust@example.org", recipients, data)
        bare_s = time.perf_counter() - t0
        yag.close()
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
    n = args.count
    print(f"enqueue_many {enqueue_s:.2f}s ({n / enqueue_s:.0f}/s)")
    print(f"deliver_pending {tick_s:.2f}s ({n / tick_s:.0f}/s), commit_every={args.commit_every}")
    print(f"bare yagmail loop {bare_s:.2f}s ({n / bare_s:.0f}/s)")
    print(f"ratio {tick_s / bare_s:.2f}")


if __name__ == "__main__":
    main()
