"""Rules that cross files: ids that must exist, and dates that must come in order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from trustcycle.calendar import meetings as rules
from trustcycle.calendar.timeline import (
    FORWARD_PLAN_CLEAR_DAYS,
    ProcessDates,
    in_year,
    pinned_days,
    resolve_process,
    resolve_year,
    runs_during,
    steps_of,
)
from trustcycle.calendar.workdays import WorkingDays, for_trust
from trustcycle.config.asked import asked_of_problems
from trustcycle.config.errors import ConfigError, Problem
from trustcycle.config.loader import TrustConfig
from trustcycle.config.people import partner_people_problems, seat_problems
from trustcycle.config.schema import Process
from trustcycle.config.years import cycle_year_of, for_year
from trustcycle.paths import templates_dir


def _closed(d: date, days: WorkingDays) -> str | None:
    """Why a meeting or an event cannot be held on `d` (these never move), or None."""
    if d.isoweekday() > 5:
        return f"{d} is a {d.strftime('%A')}"
    if not days.is_working_day(d):
        return f"{d} is a bank holiday ({days.bank_holiday_name(d)})"
    return None


def _ids(cfg: TrustConfig, scenario_path: Path) -> list[Problem]:
    problems: list[Problem] = []
    partners, bodies = cfg.partners, cfg.bodies
    bodies_file, calendar = cfg.file("bodies.yaml"), cfg.file("calendar.yaml")

    def partner(file: Path, key: str, pid: str) -> None:
        if pid not in partners:
            problems.append(Problem(file, key, f"unknown partner {pid!r}"))

    def body(file: Path, key: str, bid: str) -> None:
        if bid not in bodies:
            problems.append(Problem(file, key, f"unknown body {bid!r}"))

    problems += partner_people_problems(cfg) + seat_problems(cfg) + asked_of_problems(cfg)
    for bid, b in bodies.items():
        for i, m in enumerate(b.members):
            partner(bodies_file, f"bodies.{bid}.members.{i}.partner", m.partner)
        for i, r in enumerate(b.meetings.rules):
            try:
                weekday = rules.parse_rule(r.rule).weekday
            except ValueError as exc:
                problems.append(
                    Problem(bodies_file, f"bodies.{bid}.meetings.rules.{i}.rule", str(exc))
                )
                continue
            if weekday > 4:  # a weekend rule would silently move every meeting to Monday
                day = date(2001, 1, 1 + weekday).strftime("%A")  # 1 January 2001: a Monday
                problems.append(Problem(bodies_file, f"bodies.{bid}.meetings.rules.{i}.rule",
                                        f"meets on a {day}: meetings are Monday to Friday"))
        for i, d in enumerate(b.meetings.dates):
            closed = _closed(d, for_trust(cfg))
            if closed:
                problems.append(Problem(bodies_file, f"bodies.{bid}.meetings.dates.{i}", closed))
    for pid, pr in cfg.priorities.items():
        partner(cfg.file("priorities.yaml"), f"priorities.{pid}.lead_partner", pr.lead_partner)
    for pid, proc in cfg.processes.items():
        base = f"processes.{pid}"
        for i, ret in enumerate(proc.returns):
            for j, p in enumerate(ret.asked_of.partners):
                partner(calendar, f"{base}.returns.{i}.asked_of.partners.{j}", p)
        for i, stop in enumerate(proc.route or []):
            body(calendar, f"{base}.route.{i}.body", stop.body)
        if proc.receiving is not None and proc.route is None:
            body(calendar, f"{base}.receiving.body", proc.receiving.body)
            if proc.receiving.meeting is not None:
                body(calendar, f"{base}.receiving.meeting.body", proc.receiving.meeting.body)
        for role in ("request", "deadline", "cutoff", "when"):
            spec = getattr(proc, role)
            if spec is not None and spec.meeting not in (None, "receiving"):
                body(calendar, f"{base}.{role}.meeting.body", spec.meeting.body)
        for i, t in enumerate(proc.triggers):
            if t not in cfg.processes:
                problems.append(Problem(calendar, f"{base}.triggers.{i}", f"unknown process {t!r}"))
        if proc.draft_template is not None:
            wanted = templates_dir() / "drafts" / f"{proc.draft_template}.md.j2"
            if not wanted.exists():
                problems.append(
                    Problem(calendar, f"{base}.draft_template", f"no template {wanted}")
                )
    for i, ans in enumerate(cfg.scenario.answers):
        partner(scenario_path, f"answers.{i}.partner", ans.partner)
        if ans.process not in cfg.processes:
            problems.append(
                Problem(scenario_path, f"answers.{i}.process", f"unknown process {ans.process!r}")
            )
    style = cfg.trust.house_style
    if style is not None and not (style.endswith(".docx") and (cfg.directory / style).is_file()):
        problems.append(Problem(cfg.file("trust.yaml"), "trust.house_style",
                                f"no Word document {cfg.directory / style}"))
    for i, cat in enumerate(cfg.trust.required_categories):
        if not any(p.category == cat for p in partners.values()):
            problems.append(
                Problem(
                    cfg.file("trust.yaml"),
                    f"trust.required_categories.{i}",
                    f"no partner of category {cat.value}",
                )
            )
    return problems


def _outside_year(cfg: TrustConfig) -> list[Problem]:
    """A full date outside the configured cycle year (which would silently leave the whole
    process out of the year) is an error for every process that runs during it."""

    start, end = cfg.cycle_bounds()
    return [
        Problem(cfg.file("calendar.yaml"), f"processes.{pid}.{key}",
                f"{day} is outside the cycle year {start} to {end}")
        for pid in cfg.processes if runs_during(cfg, pid, cfg.trust.cycle_year)
        for key, day in pinned_days(cfg.processes[pid])
        if not start <= day <= end
    ]


def _step_key(name: str, proc: Process) -> str:
    """The key path (under the process) that sets a timeline step's date."""
    if name.startswith(("reminder:", "escalation:")):
        return f"ladder.{name.split(':', 1)[1]}"
    step, _, body = name.partition(":")
    if step == "deadline" and body:  # a return's own deadline
        return f"returns.{[r.id for r in proc.returns].index(body)}.deadline"
    if step in ("papers", "meeting", "forward_plan"):
        leaf = {"papers": "clear_days", "meeting": "meeting", "forward_plan": "key_decision"}[step]
        if proc.route is None:
            return f"receiving.{leaf}"
        at = [s.body for s in proc.route].index(body) if body else 0
        return f"route.{at}.{leaf}"
    keys = {"publish": "receiving.publish", "event": "when"}
    return keys.get(name, name)


def _in_force(cfg: TrustConfig) -> list[Problem]:
    """`in_force` applies to every step: none before its start, none after its end, in the
    configured cycle year and each later one the process runs in (a duty repealed part-way
    through a year is neither chased after the end nor put in the next year's calendar)."""

    problems: list[Problem] = []
    first = cfg.trust.cycle_year
    for pid, proc in cfg.processes.items():
        lo, hi = proc.in_force.start, proc.in_force.end
        if lo is None and hi is None:
            continue
        last = max(cycle_year_of(cfg, d) for d in (lo, hi) if d is not None)
        for year in range(first, min(last, first + 20) + 1):
            cfg_y = for_year(cfg, year)
            if not in_year(cfg_y, pid, year):
                continue
            try:
                steps = steps_of(cfg_y, resolve_process(cfg_y, pid, year))
            except ConfigError:
                continue  # the configured year's own problems are reported by _order
            out = [s for s in steps if (lo and s.at.date() < lo) or (hi and s.at.date() > hi)]
            if out:
                step = min(out)
                day = step.at.date()
                edge = f"before in_force.start {lo}" if lo and day < lo else (
                    f"after in_force.end {hi}")
                problems.append(Problem(
                    cfg.file("calendar.yaml"), f"processes.{pid}.{_step_key(step.name, proc)}",
                    f"falls on {day}, {edge}: every step must fall while the process is in "
                    "force"))
                break
    return problems


def _order(cfg: TrustConfig) -> list[Problem]:

    try:
        years = resolve_year(cfg)
    except ConfigError as exc:
        return exc.problems
    problems: list[Problem] = []
    calendar = cfg.file("calendar.yaml")
    cycle_start, _ = cfg.cycle_bounds()
    for pid, d in years.items():
        base = f"processes.{pid}"
        when = cfg.processes[pid].when
        if d.event is not None and when and (when.meeting is None or when.offset is not None):
            # (an event at a meeting: the meetings' rule)
            closed = _closed(d.event.date(), for_trust(cfg))
            if closed:
                problems.append(Problem(calendar, f"{base}.when", f"{closed}: events never move"))
        # mutant: equivalent (`and` for `or`): the schema gives a process with returns all
        # three dates and the timeline gives an event none, so one is None only if all are.
        if d.request is None or d.deadline is None or d.cutoff is None:
            continue
        if d.deadline <= d.request:
            problems.append(
                Problem(
                    calendar,
                    f"{base}.deadline",
                    f"{d.deadline.date()} is not after the request date {d.request.date()}",
                )
            )
            continue  # the rungs and cut-off follow from the deadline: one root cause
        own_deadlines = _return_deadlines(cfg, pid, d)
        if own_deadlines:  # the process's cut-off is the returns' latest: one root cause
            problems += own_deadlines
            continue
        if d.cutoff < d.deadline:
            problems.append(
                Problem(
                    calendar,
                    f"{base}.cutoff",
                    f"{d.cutoff.date()} is before the deadline {d.deadline.date()}",
                )
            )
        due = d.papers or d.publish
        if due is not None and due < d.cutoff:
            problems.append(
                Problem(
                    calendar,
                    f"{base}.receiving",
                    f"papers are due {due.date()}, before the cut-off {d.cutoff.date()}",
                )
            )
        problems += _route_order(cfg, pid, d, cycle_start)
        if d.request.date() < cycle_start:
            problems.append(Problem(
                calendar, f"{base}.request",
                f"falls on {d.request.date()}, before the cycle year starts on {cycle_start}",
            ))
        for name, day in d.rungs.items():
            if day <= d.request.date():
                problems.append(
                    Problem(
                        calendar,
                        f"{base}.ladder.{name}",
                        f"falls on {day}, not after the request date {d.request.date()}",
                    )
                )
            elif d.cutoff >= d.deadline and day >= d.cutoff.date():  # (else: one root cause)
                # the chase marks the open returns missing on the cut-off day
                problems.append(Problem(
                    calendar, f"{base}.ladder.{name}",
                    f"falls on {day}, not before the cut-off {d.cutoff.date()}: it can never "
                    "be sent",
                ))
    return problems


def _return_deadlines(cfg: TrustConfig, pid: str, d: ProcessDates) -> list[Problem]:
    """A return's own deadline falls in the cycle year, after the request day and before
    the papers (or publication) day; its rungs, as the process's, before its cut-off."""
    problems: list[Problem] = []
    proc, calendar = cfg.processes[pid], cfg.file("calendar.yaml")
    start, end = cfg.cycle_bounds()
    assert d.request is not None
    due = d.papers or d.publish
    for i, spec in enumerate(proc.returns):
        own = d.returns.get(spec.id)
        if own is None or spec.deadline is None:
            continue
        key, day = f"processes.{pid}.returns.{i}.deadline", own.deadline.date()
        if not start <= day <= end:
            problem = f"{day} is outside the cycle year {start} to {end}"
        elif own.deadline <= d.request:
            problem = f"{day} is not after the request date {d.request.date()}"
        elif due is not None and own.deadline >= due:
            problem = f"{day} is not before the papers day {due.date()}"
        elif due is not None and own.cutoff > due:
            problem = (f"its cut-off {own.cutoff.date()} is after the papers day "
                       f"{due.date()}")
        else:
            late = [name for name, rung in own.rungs.items() if rung >= own.cutoff.date()]
            if not late:
                continue
            problem = (f"the rung {late[0]} falls on {own.rungs[late[0]]}, on or after this "
                       f"return's cut-off {own.cutoff.date()}")
        problems.append(Problem(calendar, key, problem))
    return problems


def _route_order(cfg: TrustConfig, pid: str, d: ProcessDates, cycle_start: date) -> list[Problem]:
    """Each later meeting falls in the cycle year and its papers after the cut-off (the
    draft exists); each key decision's forward-plan day falls within the cycle year, so it
    can be sent."""
    problems: list[Problem] = []
    proc, calendar = cfg.processes[pid], cfg.file("calendar.yaml")
    assert d.cutoff is not None
    _, cycle_end = cfg.cycle_bounds()
    for i, stop in enumerate(d.stops):
        if i and stop.meeting.date() > cycle_end:  # next year's calendar has its own report
            problems.append(Problem(
                calendar, f"processes.{pid}.{_step_key(stop.step('meeting'), proc)}",
                f"{cfg.bodies[stop.body].name} meets on {stop.meeting.date()}, after the cycle "
                f"year ends on {cycle_end}: its papers would never be sent"))
            continue
        if i and stop.papers < d.cutoff:
            problems.append(Problem(
                calendar, f"processes.{pid}.{_step_key(stop.step('papers'), proc)}",
                f"papers to {cfg.bodies[stop.body].name} are due {stop.papers.date()}, before "
                f"the cut-off {d.cutoff.date()}"))
        if stop.forward_plan is not None and stop.forward_plan.date() < cycle_start:
            problems.append(Problem(
                calendar, f"processes.{pid}.{_step_key(stop.step('forward_plan'), proc)}",
                f"the forward plan notice for {cfg.bodies[stop.body].name} on "
                f"{stop.meeting.date()} falls on {stop.forward_plan.date()} "
                f"({FORWARD_PLAN_CLEAR_DAYS} clear days before, SI 2012/2089 reg 9), before "
                f"the cycle year starts on {cycle_start}"))
    return problems


def crosscheck(cfg: TrustConfig, scenario_path: Path) -> None:
    problems = _ids(cfg, scenario_path)
    if not problems:
        problems = _outside_year(cfg) + _order(cfg)
    if not problems:
        problems = _in_force(cfg)
    if problems:
        raise ConfigError(problems)
