"""The email outbox: every message is rendered and committed before it is sent.

`enqueue` stores a message idempotently (one row per `idem_key`, whatever retries or
parallel runs do). `deliver_pending` claims due rows, sends them over one connection, and
records the server's reply. Guarantees and their limits:

- Nothing twice: a claim is a lease on the wall clock, renewed while the deliverer works
  and fenced by a token of the claim's own (`leases`). Whatever `now` or `as_of` two runs
  were given, they never send one row twice.
- At-least-once, exactly-once save one instant: a row is marked `sent` in its own commit
  right after the server's 250 reply (`commit_every=1`). A process killed between that
  reply and that commit leaves the row `sending`; once its lease expires the next tick
  sends it again, with the same Message-ID (derived from `idem_key`), so mail clients
  show it once. With `commit_every=n` the window is up to n messages.
- Nothing stuck: a 4xx, a timeout or a dropped connection charges that message alone one
  attempt and backs it off (`backoff`); the rest of the batch goes on. After
  `MAX_ATTEMPTS`, or at a 5xx, it is `dead` and the officer is alerted once (`alerts`);
  each recipient's answer counts on its own (a 4xx for one retries that one only).
- An unreachable relay stops the batch and hands its rows back uncharged; a relay that
  refuses TLS or the login (`RelayRefused`) is reported, once, and charges nobody.
- Pipelining: with `producer_done`, delivery runs while a producer is still committing rows
  (the chase's ladder); it claims only committed rows, and an empty claim waits and claims
  again until the producer has finished and nothing claimable remains.
"""

from trustcycle.outbox.alerts import (
    ALERT_KIND,
    RELAY_ALERT_KIND,
    failure_alert_context,
    failures,
    one_line,
)
from trustcycle.outbox.backoff import BACKOFF, MAX_ATTEMPTS, backoff
from trustcycle.outbox.delivery import DeliveryReport, deliver_pending
from trustcycle.outbox.leases import Claim, Lease, claim
from trustcycle.outbox.queue import NewEmail, enqueue, enqueue_many

__all__ = [
    "ALERT_KIND",
    "BACKOFF",
    "MAX_ATTEMPTS",
    "RELAY_ALERT_KIND",
    "Claim",
    "DeliveryReport",
    "Lease",
    "NewEmail",
    "backoff",
    "claim",
    "deliver_pending",
    "enqueue",
    "enqueue_many",
    "failure_alert_context",
    "failures",
    "one_line",
]
