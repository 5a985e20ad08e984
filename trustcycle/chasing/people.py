"""People-first chasing: who receives each chase item, and one email per person per run.

Children Act 2004 s10 and s12A let one person represent several partners. The chase's
unit is a request (one partner, one return), but its mail goes to people: every item a
person is to receive in one run (a day's requests, or a day's rungs) is listed in one
email to them, never several with identical subjects. People who receive exactly the same
items (a partner's several contacts) share one email, as they always did.

Pure functions over plain data: no session, no Prefect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from trustcycle.chasing.views import RequestView
from trustcycle.config import schema
from trustcycle.config.asked import asked_by_seat
from trustcycle.config.loader import TrustConfig

T = TypeVar("T")


def person_key(person: schema.Person) -> str:
    """One person, one key: the email, as mail servers compare it (without case)."""
    return person.email.casefold()


def contacts_for(cfg: TrustConfig, view: RequestView) -> tuple[schema.Person, ...]:
    """Who a request and its reminders go to: the holder of the seat the return is asked
    of (`asked_of: {seat: ...}`), else the partner's contacts."""
    spec = next(r for r in cfg.processes[view.process].returns if r.id == view.return_id)
    holder = asked_by_seat(cfg, spec, view.partner) if spec.asked_of.seat else None
    return (holder,) if holder is not None else tuple(cfg.partners[view.partner].contacts)


def senior_for(cfg: TrustConfig, view: RequestView) -> tuple[schema.Person, ...]:
    """Who an escalation goes to: the partner's senior contact."""
    return (cfg.partners[view.partner].senior_contact,)


@dataclass(frozen=True)
class Letter(Generic[T]):
    """One email: the people it goes to and the items it lists, in the run's order."""

    to: tuple[schema.Person, ...]
    items: tuple[T, ...]


def letters(items: Sequence[T],
            people: Callable[[T], Sequence[schema.Person]]) -> list[Letter[T]]:
    """One letter per person listing every item they receive; people receiving exactly
    the same items share one letter. In the order of each letter's first item."""
    owed: dict[str, list[int]] = {}
    who: dict[str, schema.Person] = {}
    for i, item in enumerate(items):
        for person in people(item):
            key = person_key(person)
            mine = owed.setdefault(key, [])
            if not mine or mine[-1] != i:
                mine.append(i)
            who.setdefault(key, person)
    shared: dict[tuple[int, ...], list[str]] = {}
    for key, indexes in owed.items():
        shared.setdefault(tuple(indexes), []).append(key)
    # In insertion order, which is each letter's first item's: a person is first met at
    # their first item, and a letter's first item is its first person's.
    return [Letter(tuple(who[k] for k in keys), tuple(items[i] for i in idx))
            for idx, keys in shared.items()]


def batches(items: Sequence[T], people: Callable[[T], Sequence[schema.Person]],
            size: int) -> list[list[T]]:
    """The items in batches of about `size` (one transaction each), never splitting what one
    person receives: items linked by a person share a batch (a group larger than `size`
    is a batch of its own), so each person's letter lists all they receive."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, item in enumerate(items):
        for person in people(item):
            j = first.setdefault(person_key(person), i)
            a, b = root(i), root(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[T]] = {}
    for i, item in enumerate(items):
        groups.setdefault(root(i), []).append(item)
    out: list[list[T]] = []
    for group in groups.values():
        if out and len(out[-1]) + len(group) <= size:
            out[-1].extend(group)
        else:
            out.append(list(group))
    return out


def letter_key(prefix: str, item_keys: Sequence[str], to: Sequence[schema.Person]) -> str:
    """The idempotency key of a letter: the same items to the same people give the same key
    (a re-run, a retry, a parallel run), anything else another one."""
    text = "|".join(sorted(item_keys)) + "|to:" + "|".join(sorted(person_key(p) for p in to))
    return f"{prefix}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"
