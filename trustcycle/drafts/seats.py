"""What each membership return says about each seat: seats belong to a body, so a partner's
answer is read per body and per seat, and compared with the seat as configured.

A portal return lists `seats`, one entry per seat the partner holds (`body`, `action`
confirm | change, `representative`, `deputy`, `term_end`); a return recorded as plain JSON
(`trustcycle returns record`) has the flat fields only, read as its answer for the body
receiving the review. An entry is matched to the partner's seat on that body whose member
it names (email, else name), else to the partner's next unmatched seat there in
configuration order; an entry left over proposes a new seat.

A seat "changes" only when the return's fields differ from the seat as configured: another
representative, another deputy (or, on a `change`, none), or another term end. A return
that confirms the seat as it is asks for nothing, whatever its free text says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from trustcycle.calendar.dates import long_date, long_iso
from trustcycle.config import schema
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.inputs import ReturnRecord

Person = dict[str, str]


@dataclass(frozen=True)
class SeatAnswer:
    """One partner's answer about one seat on one body."""

    body: str
    partner: str
    action: str  # "confirm" | "change" | "" (a flat return: not said)
    representative: Person | None
    deputy: Person | None
    term_end: str  # ISO date as returned, or ""


@dataclass(frozen=True)
class SeatReview:
    """A configured seat (or one a return proposes) with the answer about it and what
    the answer changes."""

    body: str
    partner: str
    member: schema.Member | None  # None: a seat the return proposes
    answer: SeatAnswer | None
    changes: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def answers(rec: ReturnRecord, receiving: str) -> list[SeatAnswer]:
    """Every seat answer in a received return (flat fields: one, for `receiving`)."""
    if not rec.received:
        return []
    entries = pl.rows(rec.payload, "seats")
    if not entries and isinstance((rec.payload or {}).get("seats"), list):
        return []  # the partner holds no seat and proposed none
    if not entries:
        entries = [{**(rec.payload or {}), "body": receiving, "action": ""}]
    out = []
    for e in entries:
        body = pl.text(e, "body")
        if not body:
            continue
        answer = SeatAnswer(body, rec.partner, pl.text(e, "action").lower(),
                            pl.person(e, "representative"), pl.person(e, "deputy"),
                            pl.text(e, "term_end"))
        if answer.representative or answer.deputy or answer.term_end:
            out.append(answer)
    return out


def _names(person: Person | None, configured: schema.Person) -> bool:
    """Whether a returned person is the configured one (by email, else by name)."""
    if person is None:
        return False
    if person["email"]:
        return person["email"].lower() == configured.email.lower()
    return " ".join(person["name"].lower().split()) == " ".join(configured.name.lower().split())


def who(person: Person | None, *, email: bool = True) -> str:
    """A returned person as the report prints them: name, role (seniority), email."""
    if person is None:
        return ""
    text = person["name"] + (f", {person['role']}" if person["role"] else "")
    text += f" ({person['seniority']})" if person.get("seniority") else ""
    return text + (f", {person['email']}" if person["email"] and email else "")


def _term(value: str) -> str:
    return long_iso(value) if value else "open-ended"


def differences(member: schema.Member, answer: SeatAnswer, *, email: bool = True
                ) -> tuple[str, ...]:
    """What the answer asks to change about the seat, in words; () when nothing."""
    out = []
    rep = answer.representative
    if rep is not None and not _names(rep, member.person):
        out.append(f"Representative: {member.person.name} to be replaced by "
                   f"{who(rep, email=email)}")
    dep = answer.deputy
    if dep is not None and (member.deputy is None or not _names(dep, member.deputy)):
        before = member.deputy.name if member.deputy else "none"
        out.append(f"Deputy: {before} to be replaced by {who(dep, email=email)}")
    elif dep is None and answer.action == "change" and member.deputy is not None:
        out.append(f"Deputy: {member.deputy.name} to stand down (no deputy named)")
    recorded = member.term_end.isoformat() if member.term_end else ""
    if answer.term_end and answer.term_end != recorded:
        out.append(f"Term ends: {_term(answer.term_end)} (recorded: {_term(recorded)})")
    return tuple(out)


def _pair(seats: list[schema.Member], given: list[SeatAnswer]
          ) -> tuple[list[tuple[schema.Member, SeatAnswer | None]], list[SeatAnswer]]:
    """Seats with the answer about each, and the answers left over."""
    left = list(given)
    paired: dict[int, SeatAnswer] = {}
    for i, seat in enumerate(seats):
        match = next((a for a in left if _names(a.representative, seat.person)), None)
        if match is not None:
            paired[i] = match
            left.remove(match)
    for i in range(len(seats)):
        if i not in paired and left:
            paired[i] = left.pop(0)
    return [(seat, paired.get(i)) for i, seat in enumerate(seats)], left


def review_body(body_id: str, body: schema.Body, records: list[ReturnRecord],
                receiving: str) -> list[SeatReview]:
    """Every seat of the body (configuration order) with its answer, then the seats the
    returns propose on it (return order)."""
    by_partner: dict[str, list[SeatAnswer]] = {}
    for rec in records:
        mine = [a for a in answers(rec, receiving) if a.body == body_id]
        by_partner.setdefault(rec.partner, []).extend(mine)
    seats_of: dict[str, list[schema.Member]] = {}
    for m in body.members:
        seats_of.setdefault(m.partner, []).append(m)
    reviewed: dict[int, SeatReview] = {}
    proposed: list[SeatReview] = []
    for partner, seats in seats_of.items():
        paired, left = _pair(seats, by_partner.pop(partner, []))
        for seat, answer in paired:
            changes = differences(seat, answer) if answer is not None else ()
            reviewed[id(seat)] = SeatReview(body_id, partner, seat, answer, changes)
        proposed += [_proposal(body_id, a) for a in left]
    for partner_answers in by_partner.values():
        proposed += [_proposal(body_id, a) for a in partner_answers]
    return [reviewed[id(m)] for m in body.members] + [p for p in proposed if p.changes]


def _proposal(body_id: str, answer: SeatAnswer) -> SeatReview:
    changes = (f"New seat: {who(answer.representative)}",) if answer.representative else ()
    return SeatReview(body_id, answer.partner, None, answer, changes)


def nominee(review: SeatReview) -> str:
    """Who the return puts in the seat, when it names someone other than the member."""
    rep = review.answer.representative if review.answer else None
    if rep is None or (review.member is not None and _names(rep, review.member.person)):
        return ""
    return who(rep)


def answer_status(review: SeatReview, rec: ReturnRecord | None) -> str:
    """What the partner's return says about the seat, in a word or two."""
    if rec is None:
        return "No return asked"
    if not rec.received:
        return "Waived" if rec.status == "waived" else "Return missing"
    if review.answer is None:
        return "Not covered by the return"
    return "Change asked" if review.changed else "Confirmed"


def seat_row(review: SeatReview, names: dict[str, str], rec: ReturnRecord | None,
             day: date) -> list[object]:
    """Member, partner, role, deputy, term, what the return says and the changes asked."""
    m, a = review.member, review.answer
    if m is None:
        assert a is not None
        return ["(new seat)", names.get(review.partner, review.partner), "",
                who(a.deputy, email=False) or "None named", _term(a.term_end), "Change asked",
                f"New seat: {who(a.representative, email=False)}"]
    deputy = m.deputy.name if m.deputy else "None named"
    term = long_date(m.term_end) if m.term_end else "Open-ended"
    if m.term_end is not None and m.term_end < day:
        term += " (ended)"
    changes = differences(m, a, email=False) if a is not None else ()
    return [m.person.name, names.get(review.partner, review.partner), m.role, deputy, term,
            answer_status(review, rec), "; ".join(changes)]


SEAT_HEADERS = ["Member", "Partner", "Role", "Deputy", "Term ends", "The return says",
                "Changes asked"]
