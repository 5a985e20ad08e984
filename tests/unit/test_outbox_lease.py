"""A lease's arithmetic: what is left, when to renew, how long a send may take.

The lease is built as if the database confirmed it some seconds ago (`taken` moved back on
the same clock the lease reads), so nothing waits; the margins (a second or more) dwarf
the microseconds between building a lease and asking it.
"""

from __future__ import annotations

from trustcycle.outbox.leases import Lease, elapsed


def _confirmed_ago(seconds: float, lease: float = 100.0) -> Lease:
    return Lease("w#1", lease, [1, 2], elapsed() - seconds)


def test_what_is_left_counts_from_the_last_confirmation() -> None:
    assert 59.0 < _confirmed_ago(40).remaining() <= 60.0


def test_a_lease_is_renewed_once_half_of_it_is_gone() -> None:
    assert not _confirmed_ago(45).needs_renewal()
    assert _confirmed_ago(55).needs_renewal()


def test_a_send_may_take_what_is_left_less_a_tenth_for_clocks_that_disagree() -> None:
    assert 89.0 < _confirmed_ago(0).budget() <= 90.0
    assert 49.0 < _confirmed_ago(40).budget() <= 50.0
