"""Membership review: representation of each required category, vacancies, terms ending,
attendance over the last 12 months, and the changes the returns propose.

Attendance rule: over the meetings of the body with attendance recorded in the 12 months
before the report date (and within the member's term), a member's rate counts meetings
they attended in person; a partner's rate counts meetings at which the partner was
represented at all (a member or a deputy). Rates under the trust's threshold are flagged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import pendulum

from trustcycle.calendar.dates import long_date, long_iso
from trustcycle.config import schema
from trustcycle.config.loader import TrustConfig
from trustcycle.drafts import payloads as pl
from trustcycle.drafts.document import Bullets, Para, Section, paras, table
from trustcycle.drafts.inputs import AttendanceRecord, ReturnRecord


@dataclass(frozen=True)
class Rate:
    """Attendance of one member or partner over a window of meetings."""

    name: str
    partner: str
    meetings: int
    present: int
    deputy: int
    apologies: int
    absent: int

    @property
    def rate(self) -> float | None:
        return None if self.meetings == 0 else self.present / self.meetings


def _plain(day: date) -> date:
    return date(day.year, day.month, day.day)


def in_term(member: schema.Member, day: date) -> bool:
    """Whether the member held the seat on `day`."""
    return member.term_start <= day and (member.term_end is None or day <= member.term_end)


def window(report_day: date) -> tuple[date, date]:
    """The 12 months before the report date: [start, report_day)."""
    start = pendulum.date(report_day.year, report_day.month, report_day.day).subtract(years=1)
    return _plain(start), _plain(report_day)


def member_rates(
    body_id: str, body: schema.Body, attendance: list[AttendanceRecord], report_day: date
) -> list[Rate]:
    """Each member's attendance over the 12 months before `report_day`."""
    lo, hi = window(report_day)
    mine = [a for a in attendance if a.body == body_id and lo <= a.meeting_on < hi]
    meetings = sorted({a.meeting_on for a in mine})
    status = {(a.meeting_on, a.person_email.lower()): a.status for a in mine}
    out = []
    for m in body.members:
        counts = {"present": 0, "deputy": 0, "apologies": 0, "absent": 0}
        held = [d for d in meetings if in_term(m, d)]
        for day in held:
            seen = status.get((day, m.person.email))
            if seen is None and m.deputy and status.get((day, m.deputy.email)) == "present":
                seen = "deputy"
            counts[seen if seen in counts else "absent"] += 1
        out.append(Rate(m.person.name, m.partner, len(held), **counts))
    return out


def partner_rates(
    body_id: str, body: schema.Body, attendance: list[AttendanceRecord], report_day: date
) -> dict[str, Rate]:
    """Each represented partner's attendance: a meeting counts if any seat was filled."""
    lo, hi = window(report_day)
    mine = [a for a in attendance if a.body == body_id and lo <= a.meeting_on < hi]
    meetings = sorted({a.meeting_on for a in mine})
    status = {(a.meeting_on, a.person_email.lower()): a.status for a in mine}
    seats: dict[str, list[schema.Member]] = defaultdict(list)
    for m in body.members:
        seats[m.partner].append(m)
    out: dict[str, Rate] = {}
    for partner, members in seats.items():
        held = [d for d in meetings if any(in_term(m, d) for m in members)]
        present = deputy = 0
        for day in held:
            states = {status.get((day, m.person.email)) for m in members}
            deputies = {status.get((day, m.deputy.email)) for m in members if m.deputy}
            if "present" in states:
                present += 1
            elif "deputy" in states or "present" in deputies:
                deputy += 1
        out[partner] = Rate(partner, partner, len(held), present + deputy, 0, 0,
                            len(held) - present - deputy)
    return out


LABELS = {"fe_colleges": "Further education colleges", "local_authority":
          "Local authority (responsible)", "gp": "GPs", "young_people": "Young people",
          "jobcentre_plus": "Jobcentre Plus", "sixth_form_colleges": "Sixth-form colleges",
          "voluntary_sector": "Voluntary and community sector", "fire": "Fire and rescue"}


def category_label(value: str) -> str:
    """A category as the report prints it."""
    return LABELS.get(value, value.replace("_", " ").capitalize())


def _pct(rate: float | None) -> str:
    return "no meetings recorded" if rate is None else f"{round(rate * 100)}%"


def _flag(rate: float | None, threshold: float) -> str:
    if rate is None or rate >= threshold:
        return ""
    return f"Below {round(threshold * 100)}%"


def level_flag(rate: Rate, by_deputy: int) -> str:
    """Why a partner is not represented at the level it nominated, or ''."""
    if rate.meetings and not rate.present:
        return "Not represented at any meeting"
    if by_deputy and by_deputy >= rate.meetings - by_deputy:
        return f"Deputy at {by_deputy} of {rate.meetings} meetings"
    return ""


@dataclass(frozen=True)
class Nomination:
    """The representative a partner's return names for the body, and whether it is new."""

    partner: str
    name: str
    role: str
    email: str
    seniority: str
    changed: bool


def nomination(body_id: str, rec: ReturnRecord, current: list[str]) -> Nomination | None:
    """The return's representative on this body: its seat for the body, else (a partner
    holding no seat anywhere) the one it names."""
    seats = pl.rows(rec.payload, "seats")
    entry: dict[str, object] | None = rec.payload
    if seats:
        entry = next((s for s in seats if pl.text(s, "body") == body_id), None)
    rep = pl.person(entry, "representative") if entry is not None else None
    if rep is None:
        return None
    changed = bool(rep["email"]) and rep["email"].lower() not in current
    return Nomination(rec.partner, rep["name"], rep["role"], rep["email"].lower(),
                      rep["seniority"], changed)


def _who(n: Nomination) -> str:
    text = n.name + (f", {n.role}" if n.role else "")
    return text + (f" ({n.seniority})" if n.seniority else "")


def sections(
    cfg: TrustConfig, pid: str, report_day: date, records: list[ReturnRecord],
    attendance: list[AttendanceRecord],
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary figures of the review."""
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    body_id = proc.receiving.body
    body = cfg.bodies[body_id]
    threshold = cfg.trust.attendance_threshold
    active = [m for m in body.members if in_term(m, report_day)]
    names = {p: spec.name for p, spec in cfg.partners.items()}
    nominated: dict[str, Nomination] = {}
    for rec in records:
        if rec.received and rec.partner in cfg.partners:
            current = [m.person.email for m in active if m.partner == rec.partner]
            found = nomination(body_id, rec, current)
            if found is not None:
                nominated[rec.partner] = found

    rep_rows: list[list[object]] = []
    vacancies: list[str] = []
    filled: list[str] = []
    categories = list(cfg.trust.required_categories)
    for cat in categories:
        partners = [p for p, spec in cfg.partners.items() if spec.category is cat]
        members = [m for m in active if m.partner in partners]
        label = category_label(cat.value)
        partner_names = "; ".join(names[p] for p in partners) or "None configured"
        offered = [nominated[p] for p in partners if p in nominated and nominated[p].changed]
        if members:
            for m in members:
                change = nominated.get(m.partner)
                status = (f"Represented; the return nominates {change.name}"
                          if change is not None and change.changed else "Represented")
                rep_rows.append([label, names[m.partner], m.person.name,
                                 m.deputy.name if m.deputy else "None named", status])
        elif offered:
            for n in offered:
                rep_rows.append([label, names[n.partner], _who(n), "",
                                 "Nominated in the return"])
                filled.append(f"{label}: {names[n.partner]} nominates {_who(n)}.")
        else:
            rep_rows.append([label, partner_names, "", "", "Vacancy"])
            vacancies.append(f"{label}: no member represents {partner_names} on {body.name}.")
    for m in active:
        cat = cfg.partners[m.partner].category
        if cat not in categories:
            rep_rows.append([f"{category_label(cat.value)} (not required)", names[m.partner],
                             m.person.name, m.deputy.name if m.deputy else "None named",
                             "Represented"])
    for m in body.members:
        if m.term_end is not None and m.term_end < report_day:
            n = nominated.get(m.partner)
            if n is not None and n.changed:
                filled.append(f"{m.person.name} ({names[m.partner]}, {m.role}): term ended "
                              f"{long_date(m.term_end)}; {names[m.partner]} nominates "
                              f"{_who(n)}.")
            else:
                vacancies.append(f"{m.person.name} ({names[m.partner]}, {m.role}): term "
                                 f"ended {long_date(m.term_end)}; seat to be filled.")

    horizon = _plain(pendulum.date(report_day.year, report_day.month, report_day.day)
                     .add(years=1))
    ending = [[m.person.name, names[m.partner], m.role, long_date(m.term_end)]
              for m in active if m.term_end is not None and m.term_end < horizon]

    rates = member_rates(body_id, body, attendance, report_day)
    by_partner = partner_rates(body_id, body, attendance, report_day)
    deputies: dict[str, int] = defaultdict(int)
    for r in rates:
        deputies[r.partner] = max(deputies[r.partner], r.deputy)
    lo, hi = window(report_day)
    member_rows = [[r.name, names[r.partner], r.meetings, r.present, r.deputy,
                    r.apologies, r.absent, _pct(r.rate), _flag(r.rate, threshold)]
                   for r in rates]
    levels = {p: level_flag(r, deputies[p]) for p, r in by_partner.items()}
    partner_rows = [[names[p], r.meetings, r.present, _pct(r.rate),
                     "; ".join(x for x in (_flag(r.rate, threshold), levels[p]) if x)]
                    for p, r in by_partner.items()]
    flagged = [r for r in rates if _flag(r.rate, threshold)]
    low_level = [p for p, why in levels.items() if why]
    held = sorted({a.meeting_on for a in attendance
                   if a.body == body_id and lo <= a.meeting_on < hi})

    change_rows: list[list[object]] = []
    for rec in records:
        name = names.get(rec.partner, rec.partner)
        if not rec.received:
            status = "Waived" if rec.status == "waived" else "Return missing"
            change_rows.append([name, status, "", "", rec.waived_reason or ""])
            continue
        n = nominated.get(rec.partner)
        rep_text = (_who(n) + (" (a change)" if n.changed else "")) if n else ""
        dep = pl.person(rec.payload, "deputy")
        notes = "; ".join(x for x in (pl.text(rec.payload, "changes"),
                                      pl.text(rec.payload, "absences")) if x)
        change_rows.append([name, rep_text or "Not stated", dep["name"] if dep else "",
                            long_iso(pl.text(rec.payload, "term_end")), notes])

    if held:
        window_text = (f"{len(held)} meetings of {body.name} with attendance recorded from "
                       f"{long_date(lo)} to {long_date(hi - timedelta(days=1))}: "
                       + ", ".join(long_date(d) for d in held) + ".")
    else:
        window_text = (f"No attendance has been recorded for meetings of {body.name} from "
                       f"{long_date(lo)} to {long_date(hi - timedelta(days=1))}: record it "
                       "with `trustcycle attendance import` and rebuild this draft.")
    out = (
        Section("Representation of the statutory partners", (
            *paras(f"Each category of partner required by the Trust's arrangements, against "
                   f"who represents it on {body.name} on {long_date(report_day)}."),
            table(["Category", "Partner", "Represented by", "Deputy", "Status"], rep_rows),
        )),
        Section("Vacancies", (
            *((Bullets(tuple(vacancies)),) if vacancies else paras("There are no vacancies.")),
            *((Para("Seats the returns fill, for the Board to confirm:"),
               Bullets(tuple(filled))) if filled else ()),
        )),
        Section("Terms of office ending in the next 12 months", (
            table(["Member", "Partner", "Role", "Term ends"], ending),
        ) if ending else paras("No member's term ends in the next 12 months.")),
        Section("Attendance", (
            Para(f"{window_text} A member's rate counts meetings attended in person; a "
                 f"partner's counts meetings at which it was represented (member or deputy). "
                 f"Rates below {round(threshold * 100)}% are flagged, and so is a partner "
                 "represented by a deputy at half its meetings or more (attendance at the "
                 "appropriate level)."),
            table(["Member", "Partner", "Meetings", "Present", "Deputy sent", "Apologies",
                   "Absent", "Rate", "Flag"], member_rows, caption="By member"),
            table(["Partner", "Meetings", "Represented", "Rate", "Flag"], partner_rows,
                  caption="By partner"),
        )),
        Section("Changes proposed in the returns", (
            table(["Partner", "Representative", "Deputy", "Term ends", "Changes and absences"],
                  change_rows),
        )),
    )
    recs: tuple[str, ...] = ()
    if vacancies:
        recs = (f"That partners with a vacancy nominate a representative to {body.name}.",)
    if filled:
        recs = (*recs, f"That {body.name} confirms the nominations made in the returns.")
    if flagged or low_level:
        recs = (*recs, "That the Board asks partners whose attendance is below the threshold, "
                       "or who are mostly represented by a deputy, to confirm their "
                       "representation at the appropriate level.")
    summary = (("Required categories", str(len(categories))),
               ("Vacancies", str(len(vacancies))),
               ("Seats filled by nomination in the returns", str(len(filled))),
               ("Meetings with attendance recorded", str(len(held))),
               ("Members under the attendance threshold", str(len(flagged))),
               ("Partners not represented at the appropriate level", str(len(low_level))))
    return out, recs, summary
