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
from trustcycle.drafts.seats import (
    SEAT_HEADERS,
    SeatReview,
    answers,
    nominee,
    review_body,
    seat_row,
    who,
)


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


def _attendance_tables(body_id: str, body: schema.Body, names: dict[str, str],
                       attendance: list[AttendanceRecord], day: date, threshold: float
                       ) -> tuple[list[Rate], dict[str, str], list[list[object]],
                                  list[list[object]]]:
    """Rates by member, each partner's level flag, and the by-member and by-partner rows."""
    rates = member_rates(body_id, body, attendance, day)
    by_partner = partner_rates(body_id, body, attendance, day)
    deputies: dict[str, int] = defaultdict(int)
    for r in rates:
        deputies[r.partner] = max(deputies[r.partner], r.deputy)
    member_rows = [[r.name, names[r.partner], r.meetings, r.present, r.deputy,
                    r.apologies, r.absent, _pct(r.rate), _flag(r.rate, threshold)]
                   for r in rates]
    levels = {p: level_flag(r, deputies[p]) for p, r in by_partner.items()}
    partner_rows = [[names[p], r.meetings, r.present, _pct(r.rate),
                     "; ".join(x for x in (_flag(r.rate, threshold), levels[p]) if x)]
                    for p, r in by_partner.items()]
    return rates, levels, member_rows, partner_rows


MEMBER_HEADERS = ["Member", "Partner", "Meetings", "Present", "Deputy sent", "Apologies",
                  "Absent", "Rate", "Flag"]


def _status(review: SeatReview) -> str:
    """A held seat's status: represented, and what its return asks."""
    if not review.changed:
        return "Represented"
    named = review.answer.representative if review.answer else None
    if nominee(review) and named is not None:
        return f"Represented; the return nominates {named['name']}"
    return "Represented; the return asks for a change"


def _representation(cfg: TrustConfig, body_name: str, day: date, reviews: list[SeatReview],
                    names: dict[str, str]) -> tuple[list[list[object]], list[str], list[str]]:
    """Rows per required category, the vacancies, and the seats the returns fill."""
    active = [r for r in reviews if r.member is not None and in_term(r.member, day)]
    ended = [r for r in reviews if r.member is not None and r.member.term_end is not None
             and r.member.term_end < day]
    proposed = [r for r in reviews if r.member is None]
    rows: list[list[object]] = []
    vacancies: list[str] = []
    filled: list[str] = []
    categories = list(cfg.trust.required_categories)
    for cat in categories:
        partners = [p for p, spec in cfg.partners.items() if spec.category is cat]
        label = category_label(cat.value)
        seated = [r for r in active if r.partner in partners]
        offered = [r for r in (*ended, *proposed) if r.partner in partners and nominee(r)]
        for r in seated:
            assert r.member is not None
            rows.append([label, names[r.partner], r.member.person.name,
                         r.member.deputy.name if r.member.deputy else "None named", _status(r)])
        if seated:
            continue
        for r in offered:
            rows.append([label, names[r.partner], nominee(r), "", "Nominated in the return"])
        if not offered:
            partner_names = "; ".join(names[p] for p in partners) or "None configured"
            rows.append([label, partner_names, "", "", "Vacancy"])
            vacancies.append(f"{label}: no member represents {partner_names} on {body_name}.")
    for r in active:
        assert r.member is not None
        cat = cfg.partners[r.partner].category
        if cat not in categories:
            rows.append([f"{category_label(cat.value)} (not required)", names[r.partner],
                         r.member.person.name,
                         r.member.deputy.name if r.member.deputy else "None named",
                         _status(r)])
    for r in proposed:
        if nominee(r) and cfg.partners[r.partner].category in categories:
            filled.append(f"{names[r.partner]} nominates {nominee(r)} to a new seat.")
    for r in ended:
        m = r.member
        assert m is not None and m.term_end is not None
        if nominee(r) or r.changed:
            filled.append(f"{m.person.name} ({names[r.partner]}, {m.role}): term ended "
                          f"{long_date(m.term_end)}; {names[r.partner]} nominates "
                          f"{nominee(r) or m.person.name}" + (
                              f" ({'; '.join(r.changes)})" if r.changes else "") + ".")
        else:
            vacancies.append(f"{m.person.name} ({names[r.partner]}, {m.role}): term "
                             f"ended {long_date(m.term_end)}; seat to be filled.")
    return rows, vacancies, filled


def _unstated_term(action: str) -> str:
    """A seat answer without a term end: a confirmed seat keeps its open-ended term."""
    return "open-ended" if action == "confirm" else "not stated"


def _returns_rows(records: list[ReturnRecord], cfg: TrustConfig, receiving: str,
                  names: dict[str, str]) -> tuple[list[str], list[list[object]]]:
    """Every seat answer in words (partner, body, action, representative, deputy, term),
    and each partner's free text (changes proposed, absences explained) or why none."""
    bodies = {b: spec.name for b, spec in cfg.bodies.items()}
    answered: list[str] = []
    text_rows: list[list[object]] = []
    for rec in records:
        name = names.get(rec.partner, rec.partner)
        if not rec.received:
            status = "Waived" if rec.status == "waived" else "Return missing"
            text_rows.append([name, status, rec.waived_reason or "", ""])
            continue
        for a in answers(rec, receiving):
            action = {"confirm": "confirmed", "change": "changed"}.get(a.action, "as returned")
            answered.append(
                f"{name}, {bodies.get(a.body, a.body)} ({action}): representative "
                f"{who(a.representative) or 'not stated'}; deputy "
                f"{who(a.deputy) or 'none named'}; term ends "
                f"{long_iso(a.term_end) or _unstated_term(a.action)}.")
        text_rows.append([name, "Received", pl.text(rec.payload, "changes"),
                          pl.text(rec.payload, "absences")])
    return answered, text_rows


def sections(
    cfg: TrustConfig, pid: str, report_day: date, records: list[ReturnRecord],
    attendance: list[AttendanceRecord],
) -> tuple[tuple[Section, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The body sections, extra recommendations and summary figures of the review: the
    receiving body's seats in full, then every other body's seats in a section of its own."""
    proc = cfg.processes[pid]
    assert proc.receiving is not None
    body_id = proc.receiving.body
    body = cfg.bodies[body_id]
    threshold = cfg.trust.attendance_threshold
    names = {p: spec.name for p, spec in cfg.partners.items()}
    for rec in records:
        names.setdefault(rec.partner, rec.partner)
    latest = {r.partner: r for r in records}
    received = [r for r in records if r.received]
    reviews = review_body(body_id, body, received, body_id)
    rep_rows, vacancies, filled = _representation(cfg, body.name, report_day, reviews, names)

    horizon = _plain(pendulum.date(report_day.year, report_day.month, report_day.day)
                     .add(years=1))
    ending = [[r.member.person.name, names[r.partner], r.member.role,
               long_date(r.member.term_end)]
              for r in reviews if r.member is not None and in_term(r.member, report_day)
              and r.member.term_end is not None and r.member.term_end < horizon]

    rates, levels, member_rows, partner_rows = _attendance_tables(
        body_id, body, names, attendance, report_day, threshold)
    flagged = [r for r in rates if _flag(r.rate, threshold)]
    low_level = [p for p, why in levels.items() if why]
    lo, hi = window(report_day)
    held = sorted({a.meeting_on for a in attendance
                   if a.body == body_id and lo <= a.meeting_on < hi})
    if held:
        window_text = (f"{len(held)} meetings of {body.name} with attendance recorded from "
                       f"{long_date(lo)} to {long_date(hi - timedelta(days=1))}: "
                       + ", ".join(long_date(d) for d in held) + ".")
    else:
        window_text = (f"No attendance has been recorded for meetings of {body.name} from "
                       f"{long_date(lo)} to {long_date(hi - timedelta(days=1))}: record it "
                       "with `trustcycle attendance import` and rebuild this draft.")

    others = [(b, spec) for b, spec in cfg.bodies.items() if b != body_id and spec.members]
    other_sections = []
    changed = [r for r in reviews if r.changed]
    for other_id, other in others:
        other_reviews = review_body(other_id, other, received, body_id)
        changed += [r for r in other_reviews if r.changed]
        *_, other_members, _ = _attendance_tables(other_id, other, names, attendance,
                                                  report_day, threshold)
        other_sections.append(Section(f"Seats on {other.name}", (
            table(SEAT_HEADERS, [seat_row(r, names, latest.get(r.partner), report_day)
                                 for r in other_reviews]),
            table(MEMBER_HEADERS, other_members, caption="Attendance by member"),
        )))
    answered, text_rows = _returns_rows(records, cfg, body_id, names)
    bodies = {b: spec.name for b, spec in cfg.bodies.items()}

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
            table(MEMBER_HEADERS, member_rows, caption="By member"),
            table(["Partner", "Meetings", "Represented", "Rate", "Flag"], partner_rows,
                  caption="By partner"),
        )),
        Section(f"Seats on {body.name}", (
            *paras("Each seat, what its partner's return says about it, and the changes the "
                   "return asks for (a change only where the return differs from the seat "
                   "as recorded)."),
            table(SEAT_HEADERS, [seat_row(r, names, latest.get(r.partner), report_day)
                                 for r in reviews]),
        )),
        *other_sections,
        Section("Changes proposed in the returns", (
            (Bullets(tuple(f"{bodies[r.body]}: {names[r.partner]}"
                           + (f", {r.member.role} ({r.member.person.name})" if r.member else "")
                           + ": " + "; ".join(r.changes) for r in changed)),)
            if changed else paras("No return asks for a change to a seat.")),
        ),
        Section("Representatives and deputies named in the returns",
                (Bullets(tuple(answered)),) if answered
                else paras("No return names a representative.")),
        Section("Changes and absences explained in the returns", (
            table(["Partner", "Return", "Changes proposed", "Absences explained"], text_rows),
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
    summary = (("Required categories", str(len(cfg.trust.required_categories))),
               ("Vacancies", str(len(vacancies))),
               ("Seats filled by nomination in the returns", str(len(filled))),
               ("Seats with a change asked in the returns", str(len(changed))),
               ("Meetings with attendance recorded", str(len(held))),
               ("Members under the attendance threshold", str(len(flagged))),
               ("Partners not represented at the appropriate level", str(len(low_level))))
    return out, recs, summary
