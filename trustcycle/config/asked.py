"""Who a return is asked of: resolved from the configuration alone."""

from __future__ import annotations

from trustcycle.config import schema
from trustcycle.config.errors import Problem
from trustcycle.config.loader import TrustConfig


def seat_holder(cfg: TrustConfig, seat: schema.SeatRef) -> schema.Member | None:
    """The member holding a seat (body and role, the role compared without case): the first
    listed whose term has not ended before the cycle year starts (else the first listed);
    None when the body has no such seat."""
    body = cfg.bodies.get(seat.body)
    if body is None:
        return None
    role = seat.role.casefold()
    held = [m for m in body.members if m.role.casefold() == role]
    start, _ = cfg.cycle_bounds()
    current = [m for m in held if m.term_end is None or m.term_end >= start]
    return (current or held or [None])[0]


def partners_asked(cfg: TrustConfig, spec: schema.ReturnSpec) -> list[str]:
    """The partners a return is asked of, in configuration order."""
    asked = spec.asked_of
    leads = {p.lead_partner for p in cfg.priorities.values()} if asked.leads else set()
    chosen = set(asked.partners)
    if asked.seat is not None:
        holder = seat_holder(cfg, asked.seat)
        if holder is not None:
            chosen.add(holder.partner)
    cats = set(asked.categories)
    return [
        pid
        for pid, partner in cfg.partners.items()
        if asked.all or pid in leads or pid in chosen or partner.category in cats
    ]


def asked_by_seat(cfg: TrustConfig, spec: schema.ReturnSpec,
                  partner: str) -> schema.Person | None:
    """The person a partner's return is asked of when it is owed through a seat (the seat's
    holder, representing that partner); None when the partner's contacts are asked."""
    seat = spec.asked_of.seat
    if seat is None:
        return None
    holder = seat_holder(cfg, seat)
    return holder.person if holder is not None and holder.partner == partner else None


def asked_of_problems(cfg: TrustConfig) -> list[Problem]:
    """calendar.yaml: a return asked of a seat no body has (one line each)."""
    problems: list[Problem] = []
    for pid, proc in cfg.processes.items():
        for i, ret in enumerate(proc.returns):
            seat = ret.asked_of.seat
            if seat is None:
                continue
            key = f"processes.{pid}.returns.{i}.asked_of.seat"
            if seat.body not in cfg.bodies:
                problems.append(Problem(cfg.file("calendar.yaml"), f"{key}.body",
                                        f"unknown body {seat.body!r}"))
            elif seat_holder(cfg, seat) is None:
                problems.append(Problem(cfg.file("calendar.yaml"), f"{key}.role",
                                        f"no seat with role {seat.role!r} on body {seat.body!r}"))
    return problems
