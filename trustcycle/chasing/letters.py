"""The chase's letters: one email per person per run, listing every return they are chased
for, whichever partners they represent (`people.letters`).

A letter of one item is the classic email (`emails.request_message`, `reminder_message`,
`escalation_message`: same subject, same key); a letter of several is `*_list` with one
entry per return (its partner named, its deadline, its own portal link). An item whose
email cannot be built (`emails.MailFault`) fails alone: it is taken out of every letter,
and the letters are built again from the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from trustcycle.chasing.emails import (
    MailFault,
    built_or_fault,
    common_context,
    deadline_ics,
    escalation_message,
    reminder_message,
    request_message,
    rung_context,
    rung_key,
)
from trustcycle.chasing.people import Letter, contacts_for, letter_key, letters, senior_for
from trustcycle.chasing.rules import RungDay
from trustcycle.chasing.views import RequestView
from trustcycle.config.loader import TrustConfig
from trustcycle.config.schema import Person
from trustcycle.mail.render import render_email
from trustcycle.outbox import NewEmail


class Due(Protocol):
    """A rung due for a request (`requests.DueRung`)."""

    @property
    def request(self) -> RequestView: ...
    @property
    def rung(self) -> RungDay: ...


D = TypeVar("D", bound=Due)
T = TypeVar("T")


@dataclass(frozen=True)
class Built(Generic[T]):
    """A letter's email and the items it lists."""

    email: NewEmail
    items: tuple[T, ...]


def _build_all(items: Sequence[T], people: Callable[[T], Sequence[Person]],
               render: Callable[[Letter[T]], NewEmail], view_of: Callable[[T], RequestView],
               step_of: Callable[[T], str], *,
               now: datetime) -> tuple[list[Built[T]], list[MailFault]]:
    faults: dict[T, MailFault] = {}

    def attempt(letter: Letter[T]) -> NewEmail | MailFault:
        first = letter.items[0]
        return built_or_fault(lambda: render(letter), view_of(first), step_of(first), now=now)

    while True:
        built: list[Built[T]] = []
        found = False
        for letter in letters([i for i in items if i not in faults], people):
            got = attempt(letter)
            if isinstance(got, NewEmail):
                built.append(Built(got, letter.items))
                continue
            found = True
            alone = {i: attempt(Letter(letter.to, (i,))) for i in letter.items}
            bad = {i: f for i, f in alone.items() if isinstance(f, MailFault)}
            faults |= bad or {i: MailFault(view_of(i), step_of(i), got.reason)
                              for i in letter.items}
        if not found:
            return built, list(faults.values())


def _order(cfg: TrustConfig, v: RequestView) -> tuple[datetime, str, str, str]:
    """A letter lists its returns by deadline, then partner, process and return."""
    return v.deadline_at, cfg.partners[v.partner].name, v.process, v.return_id


def _list_context(cfg: TrustConfig, to: Sequence[Person],
                  entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "trust": {"name": cfg.trust.name},
        "officer": entries[0]["officer"],
        "recipients": " and ".join(p.name for p in to),
        "items": entries,
        "count": len(entries),
        "first_deadline_short": entries[0]["deadline_short"],
    }


def _email(name: str, kind: str, key: str, to: Sequence[Person], context: dict[str, Any],
           first: RequestView, *, now: datetime, cc: Sequence[str] = ()) -> NewEmail:
    mail = render_email(name, context)
    return NewEmail(idem_key=key, kind=kind, to=[p.email for p in to], cc=cc,
                    subject=mail.subject, text=mail.text, html=mail.html, date_header=now,
                    contribution_request_id=first.id)


def request_letters(cfg: TrustConfig, views: Sequence[RequestView], *,
                    now: datetime) -> tuple[list[Built[RequestView]], list[MailFault]]:
    """The day's request letters: one per person, each return's deadline attached."""

    def render(letter: Letter[RequestView]) -> NewEmail:
        if len(letter.items) == 1:
            return request_message(cfg, letter.items[0], now=now, to=letter.to)
        ordered = sorted(letter.items, key=lambda v: _order(cfg, v))
        context = _list_context(cfg, letter.to, [common_context(cfg, v) for v in ordered])
        email = _email("request_list", "request",
                       letter_key("requests", [f"request:{v.id}" for v in ordered], letter.to),
                       letter.to, context, ordered[0], now=now)
        attachments = [replace(deadline_ics(cfg, v, now), filename=f"deadline-{n}.ics")
                       for n, v in enumerate(ordered, 1)]
        return replace(email, attachments=tuple(attachments))

    return _build_all(views, lambda v: contacts_for(cfg, v), render, lambda v: v,
                      lambda _: "request", now=now)


def _urgent(items: Sequence[Due]) -> RungDay:
    return max((d.rung for d in items), key=lambda r: (r.working_days, r.index))


def rung_letters(cfg: TrustConfig, due: Sequence[D], *,
                 now: datetime) -> tuple[list[Built[D]], list[MailFault]]:
    """The day's reminder letters (to whoever each request is asked of) and escalation
    letters (to each partner's senior contact, the Trust manager copied): one of each per
    person at most."""

    def render(letter: Letter[D]) -> NewEmail:
        if len(letter.items) == 1:
            d = letter.items[0]
            if d.rung.escalate:
                return escalation_message(cfg, d.request, d.rung, now=now)
            return reminder_message(cfg, d.request, d.rung, now=now, to=letter.to)
        ordered = sorted(letter.items, key=lambda d: _order(cfg, d.request))
        urgent = _urgent(ordered)
        entries = [common_context(cfg, d.request) | {"rung": rung_context(d.rung)}
                   for d in ordered]
        context = _list_context(cfg, letter.to, entries) | {
            "rung": rung_context(urgent),
            "any_overdue": any(d.rung.working_days > 0 for d in ordered),
            "manager": {"name": cfg.trust.manager.name, "role": cfg.trust.manager.role},
        }
        name = "escalation" if urgent.escalate else "reminder"
        key = letter_key(f"{name}s", [rung_key(d.request.id, d.rung.name) for d in ordered],
                         letter.to)
        cc = [cfg.trust.manager.email] if urgent.escalate else []
        return _email(f"{name}_list", f"{name}:{urgent.name}", key, letter.to, context,
                      ordered[0].request, now=now, cc=cc)

    reminders = [d for d in due if not d.rung.escalate]
    escalations = [d for d in due if d.rung.escalate]
    built: list[Built[D]] = []
    faults: list[MailFault] = []
    for part in (reminders, escalations):  # a person's reminder and escalation: two letters
        b, f = _build_all(part, people_of_rung(cfg), render, lambda d: d.request,
                          lambda d: d.rung.name, now=now)
        built += b
        faults += f
    return built, faults


def people_of_rung(cfg: TrustConfig) -> Callable[[Due], Sequence[Person]]:
    """Who a due rung goes to (for batching: a person's letters in one transaction)."""
    return lambda d: (senior_for(cfg, d.request) if d.rung.escalate
                      else contacts_for(cfg, d.request))
