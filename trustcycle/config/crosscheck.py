"""Rules that cross files: ids that must exist, and dates that must come in order."""

from __future__ import annotations

from pathlib import Path

from trustcycle import meetings as rules
from trustcycle.config.errors import ConfigError, Problem
from trustcycle.config.loader import TrustConfig
from trustcycle.paths import templates_dir
from trustcycle.workdays import is_working_day


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

    for bid, b in bodies.items():
        emails: list[str] = []
        for i, m in enumerate(b.members):
            partner(bodies_file, f"bodies.{bid}.members.{i}.partner", m.partner)
            if m.person.email in emails:
                problems.append(
                    Problem(
                        bodies_file,
                        f"bodies.{bid}.members.{i}.person.email",
                        f"duplicate email {m.person.email}",
                    )
                )
            emails.append(m.person.email)
        for i, r in enumerate(b.meetings.rules):
            try:
                rules.parse_rule(r.rule)
            except ValueError as exc:
                problems.append(
                    Problem(bodies_file, f"bodies.{bid}.meetings.rules.{i}.rule", str(exc))
                )
        for i, d in enumerate(b.meetings.dates):
            if d.isoweekday() > 5:
                problems.append(
                    Problem(
                        bodies_file,
                        f"bodies.{bid}.meetings.dates.{i}",
                        f"{d} is a {d.strftime('%A')}",
                    )
                )
            elif not is_working_day(d):  # type: ignore[arg-type]
                problems.append(
                    Problem(
                        bodies_file, f"bodies.{bid}.meetings.dates.{i}", f"{d} is a bank holiday"
                    )
                )
    for pid, pr in cfg.priorities.items():
        partner(cfg.file("priorities.yaml"), f"priorities.{pid}.lead_partner", pr.lead_partner)
    for pid, proc in cfg.processes.items():
        base = f"processes.{pid}"
        for i, ret in enumerate(proc.returns):
            for j, p in enumerate(ret.asked_of.partners):
                partner(calendar, f"{base}.returns.{i}.asked_of.partners.{j}", p)
        if proc.receiving is not None:
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


def _order(cfg: TrustConfig) -> list[Problem]:
    from trustcycle.timeline import resolve_year

    try:
        years = resolve_year(cfg)
    except ConfigError as exc:
        return exc.problems
    problems: list[Problem] = []
    calendar = cfg.file("calendar.yaml")
    for pid, d in years.items():
        base = f"processes.{pid}"
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
        for name, day in d.rungs.items():
            if day <= d.request.date():
                problems.append(
                    Problem(
                        calendar,
                        f"{base}.ladder.{name}",
                        f"falls on {day}, not after the request date {d.request.date()}",
                    )
                )
    return problems


def crosscheck(cfg: TrustConfig, scenario_path: Path) -> None:
    problems = _ids(cfg, scenario_path)
    if not problems:
        problems = _order(cfg)
    if problems:
        raise ConfigError(problems)
