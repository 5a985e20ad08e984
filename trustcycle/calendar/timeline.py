"""The dated timeline of a cycle year: every process's steps resolved to local times.

Default wall-clock times: requests, reminders and cut-offs at 09:00 (when the daily chase
runs), deadlines at 17:00, papers at 09:00, meetings at their configured time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pendulum

from trustcycle.calendar.meetings import body_meetings
from trustcycle.calendar.punctuality import tally_words
from trustcycle.calendar.workdays import Roll, at_local, for_trust
from trustcycle.config import schema
from trustcycle.config.errors import ConfigError, Problem
from trustcycle.config.loader import TrustConfig

CALENDAR = "calendar.yaml"
_ROLE_ROLL = {
    "request": Roll.LATER,
    "deadline": Roll.EARLIER,
    "cutoff": Roll.LATER,
    "publish": Roll.EARLIER,
    "when": Roll.NONE,
}
_ROLE_TIME = {"request": (9, 0), "deadline": (17, 0), "cutoff": (9, 0), "publish": (9, 0)}
# SI 2012/2089 reg 9: a key decision is on the forward plan at least 28 clear days before
# the meeting that takes it (clear days: neither the notice's day nor the meeting's count).
FORWARD_PLAN_CLEAR_DAYS = 28


@dataclass(frozen=True)
class StopDates:
    """One meeting on a report's route: the meeting, its own papers day and, for a key
    decision, the day it goes on the forward plan."""

    body: str
    meeting: pendulum.DateTime
    papers: pendulum.DateTime
    clear_days: int
    forward_plan: pendulum.DateTime | None = None

    def step(self, name: str) -> str:
        """The timeline step of this meeting: `papers:BODY`, `meeting:BODY`,
        `forward_plan:BODY` (the first meeting's own papers and meeting are `papers` and
        `meeting`, as with one receiving meeting)."""
        return f"{name}:{self.body}"


@dataclass(frozen=True)
class ProcessDates:
    """When each step of one process falls in one cycle year."""

    process: str
    request: pendulum.DateTime | None = None
    deadline: pendulum.DateTime | None = None
    cutoff: pendulum.DateTime | None = None
    meeting: pendulum.DateTime | None = None
    papers: pendulum.DateTime | None = None
    publish: pendulum.DateTime | None = None
    event: pendulum.DateTime | None = None
    rungs: dict[str, pendulum.Date] = field(default_factory=dict)
    # Every meeting the report goes to, in order (the first is `meeting` and `papers`).
    stops: tuple[StopDates, ...] = ()
    # When any return has a `deadline` of its own: every return's deadline, cut-off and
    # rungs (`cutoff` above is then the latest: the draft waits for every return).
    returns: dict[str, ReturnDates] = field(default_factory=dict)

    def for_return(self, return_id: str) -> ProcessDates:
        """The dates a request for this return is opened and chased with."""
        own = self.returns.get(return_id)
        if own is None:
            return self
        return replace(self, deadline=own.deadline, cutoff=own.cutoff, rungs=own.rungs)


@dataclass(frozen=True)
class ReturnDates:
    """A return's own deadline (`returns[].deadline`), with the cut-off and ladder that
    follow from it as the process's follow from the process's deadline."""

    deadline: pendulum.DateTime
    cutoff: pendulum.DateTime
    rungs: dict[str, pendulum.Date]


@dataclass(frozen=True, order=True)
class Step:
    at: pendulum.DateTime
    process: str
    name: str
    body: str | None
    title: str


def _meeting(cfg: TrustConfig, ref: schema.MeetingRef, year: int, key: str) -> pendulum.DateTime:
    body = cfg.bodies[ref.body]
    all_meetings = body_meetings(cfg, ref.body, year)
    if ref.date is not None:
        day = cfg.day_of_cycle(ref.date, year)
        found = [m for m in all_meetings if m.date() == day]
        if not found:
            raise ConfigError.one(cfg.file(CALENDAR), key, f"no {body.name} meeting on {day}")
        return found[0]
    if ref.on_or_after is not None:
        day = cfg.day_of_cycle(ref.on_or_after, year)
        found = [m for m in all_meetings if m.date() >= day]
        if not found:
            raise ConfigError.one(
                cfg.file(CALENDAR), key, f"no {body.name} meeting on or after {day}"
            )
        return found[0]
    assert ref.before is not None
    day = cfg.day_of_cycle(ref.before, year)
    found = [m for m in all_meetings if m.date() < day]
    if not found:
        raise ConfigError.one(cfg.file(CALENDAR), key, f"no {body.name} meeting before {day}")
    return found[-1]


def _stop(cfg: TrustConfig, body: str, meeting: pendulum.DateTime, clear_days: int,
          key_decision: bool) -> StopDates:
    days = for_trust(cfg)
    forward_plan = None
    if key_decision:
        forward_plan = at_local(
            days.clear_days_before(meeting.date(), FORWARD_PLAN_CLEAR_DAYS), 9)
    return StopDates(body, meeting, at_local(days.clear_days_before(meeting.date(), clear_days),
                                             9), clear_days, forward_plan)


def _later_stop(cfg: TrustConfig, stop: schema.RouteStop, previous: StopDates, year: int,
                key: str) -> StopDates:
    """A meeting after the route's first: the first one after the previous meeting's day,
    or the one its selector names, which must come after it (a report goes in order)."""
    sel = stop.meeting
    if sel.after_previous:
        name = cfg.bodies[stop.body].name
        day = previous.meeting.date()
        after = [m for m in body_meetings(cfg, stop.body, year) if m.date() > day]
        if not after:
            raise ConfigError.one(cfg.file(CALENDAR), key, f"no {name} meeting after the "
                                  f"previous meeting on the route ({previous.meeting.date()})")
        meeting = after[0]
    else:
        ref = schema.MeetingRef(body=stop.body, date=sel.date, on_or_after=sel.on_or_after,
                                before=sel.before)
        meeting = _meeting(cfg, ref, year, key)
        if meeting.date() <= previous.meeting.date():
            raise ConfigError.one(
                cfg.file(CALENDAR), key,
                f"{cfg.bodies[stop.body].name} meets on {meeting.date()}, not after the previous "
                f"meeting on the route ({cfg.bodies[previous.body].name}, "
                f"{previous.meeting.date()}): a route goes in order")
    return _stop(cfg, stop.body, meeting, stop.clear_days, stop.key_decision)


def _resolve(
    cfg: TrustConfig,
    spec: schema.DateSpec,
    role: str,
    key: str,
    known: dict[str, pendulum.DateTime],
    year: int,
) -> pendulum.DateTime | None:
    """Resolve one DateSpec; None while an `of` anchor is not yet known."""
    if spec.date is not None:
        anchor = cfg.day_of_cycle(spec.date, year)
        anchor_time: tuple[int, int] | None = None
    elif spec.meeting is not None:
        if spec.meeting == "receiving":
            if "meeting" not in known:
                raise ConfigError.one(
                    cfg.file(CALENDAR), key, "refers to the receiving meeting, but none is set"
                )
            at = known["meeting"]
        else:
            at = _meeting(cfg, spec.meeting, year, f"{key}.meeting")
        anchor, anchor_time = at.date(), (at.hour, at.minute)
    else:
        assert spec.of is not None
        if spec.of not in known:
            return None
        anchor, anchor_time = known[spec.of].date(), None
    offset, days = spec.offset, for_trust(cfg)
    if offset is None:
        day = days.roll(anchor, _ROLE_ROLL[role]) if anchor_time is None else anchor
    else:
        kind, n = offset
        if kind == "working_days_before":
            day = days.add_working_days(anchor, -n)
        elif kind == "working_days_after":
            day = days.add_working_days(anchor, n)
        elif kind == "clear_days_before":
            day = days.clear_days_before(anchor, n)
        elif kind == "days_before":
            day = days.roll(anchor.subtract(days=n), _ROLE_ROLL[role])
        else:
            day = days.roll(anchor.add(days=n), _ROLE_ROLL[role])
        anchor_time = None
    if spec.time is not None:
        hour, minute = spec.time.hour, spec.time.minute
    elif anchor_time is not None:
        hour, minute = anchor_time
    else:
        hour, minute = _ROLE_TIME.get(role, (9, 0))
    return at_local(day, hour, minute)


def resolve_process(cfg: TrustConfig, pid: str, year: int) -> ProcessDates:
    """Resolve one process's dates; raises ConfigError naming the key that cannot be met."""
    proc = cfg.processes[pid]
    base = f"processes.{pid}"
    if proc.kind is schema.ProcessKind.event:
        assert proc.when is not None
        event = _resolve(cfg, proc.when, "when", f"{base}.when", {}, year)
        return ProcessDates(process=pid, event=event)
    assert proc.receiving and proc.request and proc.deadline and proc.cutoff
    known: dict[str, pendulum.DateTime] = {}
    papers = publish = None
    stops: list[StopDates] = []
    if proc.receiving.meeting is not None:
        first_key = f"{base}.route.0.meeting" if proc.route else f"{base}.receiving.meeting"
        meeting = _meeting(cfg, proc.receiving.meeting, year, first_key)
        known["meeting"] = meeting
        stops.append(_stop(cfg, proc.receiving.body, meeting, proc.receiving.clear_days,
                           proc.receiving.key_decision))
        for i, stop in enumerate((proc.route or [])[1:], start=1):
            stops.append(_later_stop(cfg, stop, stops[-1], year, f"{base}.route.{i}.meeting"))
        papers = stops[0].papers
    else:
        assert proc.receiving.publish is not None
        publish = _resolve(
            cfg, proc.receiving.publish, "publish", f"{base}.receiving.publish", known, year
        )
        if publish is None:
            raise ConfigError.one(
                cfg.file(CALENDAR), f"{base}.receiving.publish", "cannot be relative to a step"
            )
    pending = {"request": proc.request, "deadline": proc.deadline, "cutoff": proc.cutoff}
    for _ in range(len(pending)):
        for role, spec in list(pending.items()):
            at = _resolve(cfg, spec, role, f"{base}.{role}", known, year)
            if at is not None:
                known[role] = at
                del pending[role]
    if pending:
        role = next(iter(pending))
        raise ConfigError.one(
            cfg.file(CALENDAR), f"{base}.{role}.of", "refers in a circle to another step"
        )
    deadline_day = known["deadline"].date()
    rungs = {r.name: for_trust(cfg).add_working_days(deadline_day, r.working_days)
             for r in proc.ladder}
    returns = _return_dates(cfg, pid, year, known, rungs)
    return ProcessDates(
        process=pid,
        request=known["request"],
        deadline=known["deadline"],
        cutoff=max([known["cutoff"], *(r.cutoff for r in returns.values())]),
        meeting=known.get("meeting"),
        papers=papers,
        publish=publish,
        rungs=rungs,
        stops=tuple(stops),
        returns=returns,
    )


def _return_dates(
    cfg: TrustConfig, pid: str, year: int, known: dict[str, pendulum.DateTime],
    process_rungs: dict[str, pendulum.Date],
) -> dict[str, ReturnDates]:
    """Each return's own deadline, resolved like the process's (its anchors are the
    process's request, meeting and steps), and the cut-off and rungs that follow from it."""
    proc = cfg.processes[pid]
    assert proc.cutoff is not None
    if all(spec.deadline is None for spec in proc.returns):
        return {}
    out: dict[str, ReturnDates] = {}
    for i, spec in enumerate(proc.returns):
        if spec.deadline is None:  # the process's own dates (its cut-off not the latest)
            out[spec.id] = ReturnDates(known["deadline"], known["cutoff"], process_rungs)
            continue
        key = f"processes.{pid}.returns.{i}.deadline"
        deadline = _resolve(cfg, spec.deadline, "deadline", key, known, year)
        if deadline is None:
            raise ConfigError.one(cfg.file(CALENDAR), f"{key}.of",
                                  f"the process has no {spec.deadline.of} step")
        own = {**known, "deadline": deadline}
        cutoff = _resolve(cfg, proc.cutoff, "cutoff", f"processes.{pid}.cutoff", own, year)
        assert cutoff is not None  # the process's cut-off resolved with these same anchors
        days = for_trust(cfg)
        rungs = {r.name: days.add_working_days(deadline.date(), r.working_days)
                 for r in proc.ladder}
        out[spec.id] = ReturnDates(deadline, cutoff, rungs)
    return out


def pinned_days(proc: schema.Process) -> list[tuple[str, pendulum.Date]]:
    """The full dates a process's steps are anchored to: [(key path under the process, day)]."""
    specs = {"request": proc.request, "deadline": proc.deadline, "cutoff": proc.cutoff,
             "when": proc.when, "receiving.publish": proc.receiving and proc.receiving.publish}
    return [(f"{key}.date", pendulum.date(spec.date.year, spec.date.month, spec.date.day))
            for key, spec in specs.items()
            if spec and spec.date is not None and not isinstance(spec.date, str)]


def runs_during(cfg: TrustConfig, pid: str, year: int) -> bool:
    """Enabled, and `in_force` for at least part of the cycle year."""
    proc = cfg.processes[pid]
    if not proc.enabled:
        return False
    start, end = cfg.cycle_bounds(year)
    if proc.in_force.start and proc.in_force.start > end:
        return False
    return not (proc.in_force.end and proc.in_force.end < start)


def in_year(cfg: TrustConfig, pid: str, year: int) -> bool:
    """Runs during the cycle year, and not pinned by full dates to another year (in the
    configured year a full date outside it is an error of `config check`; a later year the
    running service moves on to simply leaves such a process out)."""
    if not runs_during(cfg, pid, year):
        return False
    start, end = cfg.cycle_bounds(year)
    return all(start <= day <= end for _, day in pinned_days(cfg.processes[pid]))


def resolve_year(cfg: TrustConfig, year: int | None = None) -> dict[str, ProcessDates]:
    """Every active process's dates for the cycle year; all problems reported together."""
    year = cfg.trust.cycle_year if year is None else year
    out: dict[str, ProcessDates] = {}
    problems: list[Problem] = []
    for pid in cfg.processes:
        if not in_year(cfg, pid, year):
            continue
        try:
            out[pid] = resolve_process(cfg, pid, year)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return out


def steps_of(cfg: TrustConfig, dates: ProcessDates) -> list[Step]:
    proc = cfg.processes[dates.process]
    pid = dates.process
    receiving = proc.receiving.body if proc.receiving else None
    body_name = cfg.bodies[receiving].name if receiving else ""
    out: list[Step] = []
    if dates.event is not None:
        when = proc.when.meeting if proc.when is not None else None
        event_body = when.body if isinstance(when, schema.MeetingRef) else None
        out.append(Step(dates.event, pid, "event", event_body, proc.title))
        return out
    assert dates.request and dates.deadline and dates.cutoff
    out.append(Step(dates.request, pid, "request", None, f"Requests for returns: {proc.title}"))
    for rung in proc.ladder:
        label = "escalation" if rung.escalate else "reminder"
        out.append(
            Step(
                at_local(dates.rungs[rung.name], 9),
                pid,
                f"{label}:{rung.name}",
                None,
                f"{label.capitalize()} ({rung.name}) to partners yet to return",
            )
        )
    out.append(Step(dates.deadline, pid, "deadline", None, "Deadline for returns"))
    for spec in proc.returns:
        if spec.deadline is not None and spec.id in dates.returns:
            out.append(Step(dates.returns[spec.id].deadline, pid, f"deadline:{spec.id}", None,
                            f"Deadline for returns: {spec.title}"))
    out.append(Step(dates.cutoff, pid, "cutoff", None, "Final cut-off; draft assembled"))
    if dates.papers is not None and dates.meeting is not None:
        out.append(
            Step(
                dates.papers,
                pid,
                "papers",
                receiving,
                f"Papers published to {body_name} ({proc.receiving.clear_days} clear days before)",
            )
        )
        out.append(Step(dates.meeting, pid, "meeting", receiving, f"{proc.title} to {body_name}"))
    for i, stop in enumerate(dates.stops):
        name = cfg.bodies[stop.body].name
        if i:
            out.append(Step(stop.papers, pid, stop.step("papers"), stop.body,
                            f"Papers published to {name} ({stop.clear_days} clear days before)"))
            out.append(Step(stop.meeting, pid, stop.step("meeting"), stop.body,
                            f"{proc.title} to {name}"))
        if stop.forward_plan is not None:
            out.append(Step(stop.forward_plan, pid, stop.step("forward_plan"), stop.body,
                            f"Forward plan: key decision at {name} on "
                            f"{stop.meeting.format('D MMMM YYYY')} "
                            f"({FORWARD_PLAN_CLEAR_DAYS} clear days before)"))
    if dates.publish is not None:
        out.append(Step(dates.publish, pid, "publish", receiving, f"Publication: {proc.title}"))
    return out


def timeline(cfg: TrustConfig, year: int | None = None) -> list[Step]:
    """Every step of every active process in the cycle year, in time order."""
    steps: list[Step] = []
    for dates in resolve_year(cfg, year).values():
        steps.extend(steps_of(cfg, dates))
    return sorted(steps, key=lambda s: (s.at, s.process, s.name))


# Steps that are actions trustcycle must take on their day: a past one not recorded done
# was missed. A deadline or a meeting is not ours to do; a rung goes only to those who
# have not returned, so a rung with nobody to chase is not missed.
ACTIONS = ("request", "cutoff", "papers", "publish", "forward_plan")  # (papers:BODY too)


@dataclass(frozen=True)
class Recorded:
    """What the database says was done: (process, step) -> the day it was done, and the
    steps audited as done late."""

    done: dict[tuple[str, str], pendulum.Date] = field(default_factory=dict)
    late: set[tuple[str, str]] = field(default_factory=set)


def step_status(step: Step, today: pendulum.Date, recorded: Recorded) -> str:
    """done / done late / missed / due today / passed / not sent / '' (still to come)."""
    key = (step.process, step.name)
    day = step.at.date()
    done = recorded.done.get(key)
    if done is not None:
        late = key in recorded.late or done > day
        return f"done late ({done.format('D MMM')})" if late else f"done {done.format('D MMM')}"
    if day == today:
        return "due today"
    if day > today:
        return ""
    if step.name.partition(":")[0] in ACTIONS:
        return "**missed**"
    if step.name.startswith(("reminder:", "escalation:")):
        return "not sent"
    return "passed"


def timeline_markdown(
    cfg: TrustConfig, year: int, today: pendulum.Date, process: str | None = None,
    recorded: Recorded | None = None, counts: dict[str, dict[str, int]] | None = None,
) -> str:
    """The cycle year's dated steps as a markdown table, each marked from what the database
    recorded (done, done late, missed), and the next step to come (the officers' view);
    with `counts` (`chasing.progress.return_counts`), the returns of each process by when
    they came."""
    recorded = recorded or Recorded()
    steps = [s for s in timeline(cfg, year) if process is None or s.process == process]
    title = cfg.processes[process].title if process else cfg.trust.name
    head = ["status", "date", *([] if process else ["process"]), "step", "body"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    upcoming_marked = False
    for step in steps:
        mark = step_status(step, today, recorded)
        if mark == "" and not upcoming_marked:
            mark, upcoming_marked = "**next**", True
        body = cfg.bodies[step.body].name if step.body in cfg.bodies else (step.body or "none")
        cells = [mark, step.at.format("ddd D MMM YYYY HH:mm"),
                 *([] if process else [cfg.processes[step.process].title]), step.title, body]
        rows.append("| " + " | ".join(cells) + " |")
    returns = [f"- {cfg.processes[pid].title}: {tally_words(c)}"
               for pid, c in (counts or {}).items()
               if (process is None or pid == process) and sum(c.values())]
    tail = "\n\n## Returns\n\n" + "\n".join(returns) if returns else ""
    return f"# Timeline {year}-{(year + 1) % 100:02d}: {title}\n\nAs of {today}.\n\n" + "\n".join(
        rows
    ) + tail
