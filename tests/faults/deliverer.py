"""One deliverer in a process of its own (to be killed or frozen): one JSON argument,
`{"url", "port", "worker", "now", "batch", "lease", "timeout"}`. It prints `started`,
then, once done, its report as JSON."""

from __future__ import annotations

import dataclasses
import json
import sys

import pendulum

from trustcycle.db import Database
from trustcycle.mail.senders import YagmailSender
from trustcycle.mail.settings import SmtpSettings
from trustcycle.outbox import deliver_pending


def main() -> None:
    args = json.loads(sys.argv[1])
    db = Database.from_url(args["url"], migrate_schema=False)
    settings = SmtpSettings(
        host="127.0.0.1",
        port=args["port"],
        mail_from="trust@rutland.example.gov.uk",
        timeout=args.get("timeout", 5.0),
    )
    print("started", flush=True)
    report = deliver_pending(
        db.sessions,
        YagmailSender(settings),
        now=pendulum.parse(args["now"]),
        worker_id=args["worker"],
        batch_size=args.get("batch", 500),
        lease_seconds=args.get("lease", 300),
    )
    print(json.dumps(dataclasses.asdict(report)), flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
