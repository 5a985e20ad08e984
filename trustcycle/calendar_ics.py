"""RFC 5545 calendars: the year's timeline, or one deadline or meeting as an attachment."""

from __future__ import annotations

import hashlib

import pendulum
from icalendar import Calendar, Event

from trustcycle.config.loader import TrustConfig
from trustcycle.timeline import timeline

PRODID = "-//trustcycle//Children's Trust statutory calendar//EN"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/London")
    return cal


def make_event(
    uid: str,
    summary: str,
    start: pendulum.DateTime,
    minutes: int,
    stamp: pendulum.DateTime,
    description: str = "",
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", start.add(minutes=minutes))
    event.add("dtstamp", stamp.in_timezone("UTC"))
    if description:
        event.add("description", description)
    return event


def single_event_ics(
    uid: str,
    summary: str,
    start: pendulum.DateTime,
    stamp: pendulum.DateTime,
    minutes: int = 30,
    description: str = "",
) -> bytes:
    cal = _calendar(summary)
    cal.add_component(make_event(uid, summary, start, minutes, stamp, description))
    return cal.to_ical()


def _uid(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24] + "@trustcycle"


def timeline_ics(cfg: TrustConfig, year: int | None = None) -> bytes:
    """One event per step and per meeting of every body in the cycle year."""
    year = cfg.trust.cycle_year if year is None else year
    start, end = cfg.cycle_bounds(year)
    # DTSTAMP is fixed to the cycle's start so the same config gives byte-identical files.
    stamp = pendulum.datetime(start.year, start.month, start.day, tz="UTC")
    cal = _calendar(f"{cfg.trust.name} {year}-{(year + 1) % 100:02d}")
    for step in timeline(cfg, year):
        summary = f"{cfg.processes[step.process].title}: {step.name}"
        cal.add_component(
            make_event(
                _uid(cfg.trust.id, step.process, step.name, step.at.isoformat()),
                summary,
                step.at,
                30,
                stamp,
                step.title,
            )
        )
    for bid, body in cfg.bodies.items():
        for meeting in cfg.meetings(bid, year, margin_months=0):
            if start <= meeting.date() <= end:
                cal.add_component(
                    make_event(
                        _uid(cfg.trust.id, bid, meeting.isoformat()),
                        f"{body.name} meeting",
                        meeting,
                        120,
                        stamp,
                    )
                )
    return cal.to_ical()
