"""One deliverer in a process of its own, as a worker's task run would be: the real
`deliver-outbox` task body (relay settings and rate from the environment, the rate limit
through the Prefect API in `PREFECT_API_URL`). One JSON argument `{"url", "worker",
"now", "batch"}`; prints `ready`, waits for a line on stdin, then prints its report."""

from __future__ import annotations

import dataclasses
import json
import sys

import pendulum

from tasks.mail import deliver_outbox
from trustcycle.db import Database


def main() -> None:
    args = json.loads(sys.argv[1])
    db = Database.from_url(args["url"], migrate_schema=False)
    print("ready", flush=True)
    sys.stdin.readline()
    report = deliver_outbox.fn(
        db, now=pendulum.parse(args["now"]), worker_id=args["worker"], batch_size=args["batch"]
    )
    print(json.dumps(dataclasses.asdict(report)), flush=True)
    db.dispose()


if __name__ == "__main__":
    main()
