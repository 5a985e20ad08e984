"""RFC 5545 calendars an officer can import into Outlook or Google: the year's timeline, or
one meeting, deadline or publication as an email attachment.

- Times are local (`TZID=Europe/London`) and every calendar carries the VTIMEZONE that
  defines it (RFC 5545 3.6.5: a TZID must have one), so Outlook desktop does not guess.
- One event per meeting, with one UID built from the body and the day
  (`meeting_uid`): the timeline and the papers email's `meeting.ics` share it, so importing
  both shows the meeting once. A meeting moved to another day is a cancelled meeting and a
  new one (as `config apply` records it); dates listed under `cancelled:` are exported with
  STATUS:CANCELLED so an earlier import is updated.
- METHOD:PUBLISH (information, not an invitation needing replies). SEQUENCE counts the
  whole hours from the cycle's start to the moment the file is made, so a later file always
  supersedes an earlier one for the same UID; the same instant gives the same bytes.
- Summaries and descriptions are words (who owes what, how to respond, the contact officer),
  never ids such as `reminder:before_10`.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pendulum
from icalendar import Calendar, Event

from trustcycle import TIMEZONE
from trustcycle.calendar import clock
from trustcycle.calendar.dates import long_date
from trustcycle.calendar.meetings import body_meetings, meeting_minutes
from trustcycle.calendar.timeline import FORWARD_PLAN_CLEAR_DAYS, Step, resolve_process, timeline
from trustcycle.config.asked import partners_asked
from trustcycle.config.loader import TrustConfig

PRODID = "-//trustcycle//Children's Trust statutory calendar//EN"
METHOD = "PUBLISH"
STEP_MINUTES = 30


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", METHOD)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TIMEZONE)
    return cal


def _finish(cal: Calendar, first: date, last: date) -> bytes:
    """Add the VTIMEZONE (whole years around the events' span), then serialise."""
    cal.add_missing_timezones(first_date=date(first.year - 1, 1, 1),
                              last_date=date(last.year + 1, 12, 31))
    return cal.to_ical()


def sequence(cfg: TrustConfig, stamp: pendulum.DateTime, year: int | None = None) -> int:
    """Whole hours from the cycle's start to `stamp`: later files supersede earlier ones."""
    start, _ = cfg.cycle_bounds(year)
    origin = pendulum.datetime(start.year, start.month, start.day, tz=TIMEZONE)
    return max(0, int((stamp - origin).total_seconds() // 3600))


def make_event(
    uid: str,
    summary: str,
    start: pendulum.DateTime,
    minutes: int,
    stamp: pendulum.DateTime,
    description: str = "",
    *,
    location: str = "",
    seq: int = 0,
    cancelled: bool = False,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.in_timezone("UTC"))
    event.add("sequence", seq)
    event.add("summary", summary)
    event.add("dtstart", start.in_timezone(TIMEZONE))
    event.add("dtend", start.in_timezone(TIMEZONE).add(minutes=minutes))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if minutes <= STEP_MINUTES else "OPAQUE")
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    return event


def single_event_ics(
    uid: str,
    summary: str,
    start: pendulum.DateTime,
    stamp: pendulum.DateTime,
    minutes: int = STEP_MINUTES,
    description: str = "",
    *,
    location: str = "",
    seq: int = 0,
) -> bytes:
    """One event as a calendar file (with its VTIMEZONE)."""
    cal = _calendar(summary)
    cal.add_component(make_event(uid, summary, start, minutes, stamp, description,
                                 location=location, seq=seq))
    return _finish(cal, start.date(), start.date())


def _uid(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24] + "@trustcycle"


def meeting_uid(cfg: TrustConfig, body: str, start: pendulum.DateTime) -> str:
    """The one UID of a body's meeting on a day (the timeline's and the papers email's)."""
    return _uid(cfg.trust.id, "meeting", body, start.in_timezone(TIMEZONE).date().isoformat())


def step_uid(cfg: TrustConfig, step: Step) -> str:
    """The UID of a step of a process (a deadline, a reminder, a publication...)."""
    return _uid(cfg.trust.id, step.process, step.name, step.at.date().isoformat())


def _officer(cfg: TrustConfig) -> str:
    o = cfg.trust.officer
    return ("Contact officer: " + ", ".join(x for x in (o.name, o.role, o.phone, o.email) if x)
            + ".")


def _owed(cfg: TrustConfig, pid: str) -> str:
    proc = cfg.processes[pid]
    lines = []
    for spec in proc.returns:
        names = [cfg.partners[p].name for p in partners_asked(cfg, spec)]
        lines.append(f"{spec.title}: owed by {', '.join(names)}.")
    how = ("How to respond: use the link in the request email"
           + (f" (the returns portal, {cfg.trust.portal_url})" if cfg.trust.portal_url else "")
           + f", or reply to {cfg.trust.officer.email}.")
    return "\n".join([*lines, how])


def rung_words(working_days: int) -> str:
    """When a rung of the ladder falls, in words: "10 working days before the deadline"."""
    if working_days == 0:
        return "on the deadline"
    n = abs(working_days)
    days = f"{n} working day{'s' if n != 1 else ''}"
    return f"{days} {'before' if working_days < 0 else 'after'} the deadline"


def step_summary(cfg: TrustConfig, step: Step) -> str:
    """A step's calendar summary, in words (never a rung's id such as before_10)."""
    proc = cfg.processes[step.process]
    title = proc.title
    kind, _, rung = step.name.partition(":")
    if kind in ("reminder", "escalation"):
        when = next((rung_words(r.working_days) for r in proc.ladder if r.name == rung), "")
        who = "Reminder to partners" if kind == "reminder" else "Escalation to senior contacts"
        return f"{who} ({when}): {title}" if when else f"{who}: {title}"
    words = {"request": "Requests for returns", "deadline": "Deadline for returns",
             "cutoff": "Final cut-off for returns", "papers": "Papers published",
             "publish": "Publication", "meeting": "Meeting",
             "forward_plan": "Forward plan notice (key decision)"}
    if kind == "deadline" and rung:  # a return with a deadline of its own
        spec = next((r for r in proc.returns if r.id == rung), None)
        return f"Deadline for {spec.title if spec else rung}: {title}"
    if kind == "papers" and rung and step.body:  # a later meeting on the report's route
        return f"Papers published to {cfg.bodies[step.body].name}: {title}"
    if kind == "event":
        return title
    return f"{words.get(kind, kind.capitalize())}: {title}"


def step_description(cfg: TrustConfig, step: Step, year: int) -> str:
    """What the step means for whoever sees it in a calendar."""
    proc = cfg.processes[step.process]
    kind, _, rest = step.name.partition(":")
    parts = [f"{cfg.trust.name}: {proc.title}.", f"Legal basis: {proc.legal_basis}."]
    if kind in ("request", "reminder", "escalation", "deadline", "cutoff"):
        dates = resolve_process(cfg, step.process, year)
        if kind == "deadline" and rest:  # a return's own deadline
            dates = dates.for_return(rest)
        assert dates.deadline is not None
        parts.append(f"Returns due by 5pm on {long_date(dates.deadline.date())}.")
        parts.append(_owed(cfg, step.process))
    elif kind == "papers" and step.body:
        stop = next((s for s in resolve_process(cfg, step.process, year).stops
                     if s.body == step.body), None)
        parts.append(f"Papers go to {cfg.bodies[step.body].name}, "
                     f"{stop.clear_days if stop else 5} clear days before "
                     "the meeting (Local Government Act 1972 s100B).")
    elif kind == "forward_plan" and step.body:
        parts.append(f"A key decision at {cfg.bodies[step.body].name}: on the forward plan "
                     f"{FORWARD_PLAN_CLEAR_DAYS} clear days before the meeting (SI 2012/2089 "
                     "reg 9); its clerk is sent the notice.")
    parts.append(_officer(cfg))
    return "\n".join(parts)


def meeting_description(cfg: TrustConfig, body: str, start: pendulum.DateTime, year: int
                        ) -> str:
    """A meeting's description: the papers it receives and the contact officer."""
    lines = [f"{cfg.bodies[body].name} meeting."]
    for pid, proc in cfg.processes.items():
        if proc.receiving is None or proc.receiving.meeting is None or body not in (
                [s.body for s in proc.route] if proc.route else [proc.receiving.body]):
            continue
        try:
            dates = resolve_process(cfg, pid, year)
        except Exception:  # a process not resolvable this year has no papers here
            continue
        for stop in dates.stops:  # each meeting on the report's route has its own papers
            if stop.body == body and stop.meeting.date() == start.date():
                lines.append(f"Paper: {proc.title} (published {long_date(stop.papers.date())}).")
    lines.append(_officer(cfg))
    return "\n".join(lines)


def meeting_event(cfg: TrustConfig, body: str, start: pendulum.DateTime,
                  stamp: pendulum.DateTime, year: int, *, cancelled: bool = False) -> Event:
    """One meeting of a body, as both the timeline and the papers email carry it."""
    b = cfg.bodies[body]
    return make_event(meeting_uid(cfg, body, start), f"{b.name} meeting", start,
                      meeting_minutes(cfg, body, start), stamp,
                      meeting_description(cfg, body, start, year),
                      location=b.meetings.location or "", seq=sequence(cfg, stamp, year),
                      cancelled=cancelled)


def meeting_ics(cfg: TrustConfig, body: str, start: pendulum.DateTime, year: int,
                stamp: pendulum.DateTime | None = None) -> bytes:
    """One meeting as a calendar file (the papers email's `meeting.ics`)."""
    stamp = clock.now() if stamp is None else stamp
    cal = _calendar(f"{cfg.bodies[body].name} meeting")
    cal.add_component(meeting_event(cfg, body, start, stamp, year))
    return _finish(cal, start.date(), start.date())


def step_ics(cfg: TrustConfig, step: Step, year: int,
             stamp: pendulum.DateTime | None = None) -> bytes:
    """One step (e.g. a publication date) as a calendar file."""
    stamp = clock.now() if stamp is None else stamp
    summary = step_summary(cfg, step)
    cal = _calendar(summary)
    cal.add_component(make_event(step_uid(cfg, step), summary, step.at, STEP_MINUTES, stamp,
                                 step_description(cfg, step, year),
                                 seq=sequence(cfg, stamp, year)))
    return _finish(cal, step.at.date(), step.at.date())


def timeline_ics(cfg: TrustConfig, year: int | None = None,
                 stamp: pendulum.DateTime | None = None) -> bytes:
    """One event per step of every process and one per meeting of every body in the year
    (the meetings of the processes' steps are the bodies' meetings, not second events)."""
    year = cfg.trust.cycle_year if year is None else year
    stamp = clock.now() if stamp is None else stamp
    start, end = cfg.cycle_bounds(year)
    seq = sequence(cfg, stamp, year)
    cal = _calendar(f"{cfg.trust.name} {year}-{(year + 1) % 100:02d}")
    for step in timeline(cfg, year):
        if step.name.partition(":")[0] == "meeting":  # (a route's later meetings too)
            continue
        cal.add_component(make_event(step_uid(cfg, step), step_summary(cfg, step), step.at,
                                     STEP_MINUTES, stamp, step_description(cfg, step, year),
                                     seq=seq))
    for bid, body in cfg.bodies.items():
        for meeting in body_meetings(cfg, bid, year, margin_months=0):
            if start <= meeting.date() <= end:
                cal.add_component(meeting_event(cfg, bid, meeting, stamp, year))
        for day in body.meetings.cancelled:
            when = pendulum.datetime(day.year, day.month, day.day, body.meetings.time.hour,
                                     body.meetings.time.minute, tz=TIMEZONE)
            if start <= when.date() <= end:
                cal.add_component(meeting_event(cfg, bid, when, stamp, year, cancelled=True))
    return _finish(cal, start, end)
