"""People across the configuration: one email is one person, with one name.

Children Act 2004 s10 and s12A let one person represent several partners, and hold a seat
on a body for each: the same email may appear under several partners (as a contact or a
senior contact) and twice on one body for two partners. What stays an error is one email
under two names (two people, or a typing slip the chase would mail as one), and one person
holding two seats for the same partner on one body.
"""

from __future__ import annotations

from trustcycle.config import schema
from trustcycle.config.errors import Problem
from trustcycle.config.loader import TrustConfig


def same_name(a: str, b: str) -> bool:
    """Names compared as people read them: case and runs of spaces do not count."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _people_in_partners(cfg: TrustConfig) -> list[tuple[str, schema.Person]]:
    found: list[tuple[str, schema.Person]] = []
    for pid, partner in cfg.partners.items():
        found += [(f"partners.{pid}.contacts.{i}", c) for i, c in enumerate(partner.contacts)]
        found.append((f"partners.{pid}.senior_contact", partner.senior_contact))
    return found


def partner_people_problems(cfg: TrustConfig) -> list[Problem]:
    """partners.yaml: an email given two names (one line for each later mention)."""
    first: dict[str, tuple[str, schema.Person]] = {}
    problems: list[Problem] = []
    for key, person in _people_in_partners(cfg):
        seen = first.setdefault(person.email.casefold(), (key, person))
        if not same_name(seen[1].name, person.name):
            problems.append(Problem(
                cfg.file("partners.yaml"), f"{key}.name",
                f"{person.email} is {seen[1].name!r} at {seen[0]}: one email is one person, "
                "with one name"))
    return problems


def seat_problems(cfg: TrustConfig) -> list[Problem]:
    """bodies.yaml: on one body, one person may hold a seat for each partner they represent,
    but not two seats for one partner, nor one email under two names."""
    problems: list[Problem] = []
    for bid, body in cfg.bodies.items():
        seats: dict[str, tuple[int, schema.Member]] = {}
        held: dict[tuple[str, str], int] = {}
        for i, m in enumerate(body.members):
            email = m.person.email.casefold()
            key = f"bodies.{bid}.members.{i}.person"
            j, first = seats.setdefault(email, (i, m))
            if not same_name(first.person.name, m.person.name):
                problems.append(Problem(
                    cfg.file("bodies.yaml"), f"{key}.email",
                    f"duplicate email {m.person.email}: members.{j} is {first.person.name!r}"
                    " (one email is one person, with one name)"))
            elif (email, m.partner) in held:
                problems.append(Problem(
                    cfg.file("bodies.yaml"), f"{key}.email",
                    f"{m.person.email} already holds a seat for {m.partner} "
                    f"(members.{held[email, m.partner]}): one seat per partner represented"))
            held.setdefault((email, m.partner), i)
    return problems
