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
from datetime import date

import pendulum

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


LABELS = {"fe_colleges": "FE colleges", "local_authority": "Local authority (responsible)",
          "gp": "GPs", "young_people": "Young people"}


def category_label(value: str) -> str:
    """A category as the report prints it."""
    return LABELS.get(value, value.replace("_", " ").capitalize())


def _pct(rate: float | None) -> str:
    return "no meetings recorded" if rate is None else f"{round(rate * 100)}%"


def _flag(rate: float | None, threshold: float) -> str:
    if rate is None or rate >= threshold:
        return ""
    return f"Below {round(threshold * 100)}%"


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

    rep_rows: list[list[object]] = []
    vacancies: list[str] = []
    categories = list(cfg.trust.required_categories)
    for cat in categories:
        partners = [p for p, spec in cfg.partners.items() if spec.category is cat]
        members = [m for m in active if m.partner in partners]
        label = category_label(cat.value)
        partner_names = "; ".join(cfg.partners[p].name for p in partners) or "None configured"
        if members:
            for m in members:
                rep_rows.append([label, cfg.partners[m.partner].name, m.person.name,
                                 m.deputy.name if m.deputy else "None named", "Represented"])
        else:
            rep_rows.append([label, partner_names, "", "", "Vacancy"])
            vacancies.append(f"{label}: no member represents {partner_names} on {body.name}.")
    for m in active:
        cat = cfg.partners[m.partner].category
        if cat not in categories:
            rep_rows.append([f"{category_label(cat.value)} (not required)",
                             cfg.partners[m.partner].name, m.person.name,
                             m.deputy.name if m.deputy else "None named", "Represented"])
    for m in body.members:
        if m.term_end is not None and m.term_end < report_day:
            vacancies.append(f"{m.person.name} ({cfg.partners[m.partner].name}, {m.role}): "
                             f"term ended {m.term_end.isoformat()}; seat to be filled.")

    horizon = _plain(pendulum.date(report_day.year, report_day.month, report_day.day)
                     .add(years=1))
    ending = [[m.person.name, cfg.partners[m.partner].name, m.role, m.term_end.isoformat()]
              for m in active if m.term_end is not None and m.term_end < horizon]

    rates = member_rates(body_id, body, attendance, report_day)
    by_partner = partner_rates(body_id, body, attendance, report_day)
    lo, hi = window(report_day)
    member_rows = [[r.name, cfg.partners[r.partner].name, r.meetings, r.present, r.deputy,
                    r.apologies, r.absent, _pct(r.rate), _flag(r.rate, threshold)]
                   for r in rates]
    partner_rows = [[cfg.partners[p].name, r.meetings, r.present, _pct(r.rate),
                     _flag(r.rate, threshold)] for p, r in by_partner.items()]
    flagged = [r for r in rates if _flag(r.rate, threshold)]

    change_rows: list[list[object]] = []
    for rec in records:
        name = cfg.partners[rec.partner].name if rec.partner in cfg.partners else rec.partner
        if not rec.received:
            status = "Waived" if rec.status == "waived" else "Return missing"
            change_rows.append([name, status, "", "", rec.waived_reason or ""])
            continue
        rep = pl.person(rec.payload, "representative")
        dep = pl.person(rec.payload, "deputy")
        current = [m.person.email for m in active if m.partner == rec.partner]
        rep_text = ""
        if rep:
            rep_text = f"{rep['name']}" + (f", {rep['role']}" if rep["role"] else "")
            if rep["seniority"]:
                rep_text += f" ({rep['seniority']})"
            if rep["email"] and rep["email"].lower() not in current:
                rep_text += " - a change"
        notes = "; ".join(x for x in (pl.text(rec.payload, "changes"),
                                      pl.text(rec.payload, "absences")) if x)
        change_rows.append([name, rep_text or "Not stated", dep["name"] if dep else "",
                            pl.text(rec.payload, "term_end"), notes])

    out = (
        Section("Representation of the statutory partners", (
            *paras(f"Each category of partner required by the Trust's arrangements, against "
                   f"who represents it on {body.name} on {report_day.isoformat()}."),
            table(["Category", "Partner", "Represented by", "Deputy", "Status"], rep_rows),
        )),
        Section("Vacancies", (Bullets(tuple(vacancies)),) if vacancies
                else paras("There are no vacancies.")),
        Section("Terms of office ending in the next 12 months", (
            table(["Member", "Partner", "Role", "Term ends"], ending),
        ) if ending else paras("No member's term ends in the next 12 months.")),
        Section("Attendance", (
            Para(f"Meetings of {body.name} with attendance recorded from {lo.isoformat()} "
                 f"to {hi.isoformat()} (the last 12 months). Rates below "
                 f"{round(threshold * 100)}% are flagged."),
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
    recs = ()
    if vacancies:
        recs = (f"That partners with a vacancy nominate a representative to {body.name}.",)
    if flagged:
        recs = (*recs, "That the Board asks partners whose attendance is below the threshold "
                       "to confirm their representation at the appropriate level.")
    summary = (("Required categories", str(len(categories))),
               ("Vacancies", str(len(vacancies))),
               ("Members under the attendance threshold", str(len(flagged))))
    return out, recs, summary
