"""`trustcycle init DIR`: a new trust's five YAML files, from flags or from questions.

In a terminal, whatever the flags leave out is asked (with a default in brackets);
otherwise a missing answer is one line naming the flags. The files are checked with the
same loader as `config check` before the command says they are ready.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from trustcycle.calendar import clock
from trustcycle.calendar.meetings import parse_rule
from trustcycle.cli import UserError
from trustcycle.config import ConfigError
from trustcycle.config.json_schema import SCHEMA_DIR, write_schemas
from trustcycle.config.schema import Email, Ident, Line
from trustcycle.scaffold import (
    BODIES,
    DEFAULT_RECEIVING,
    MODELLED_NATIONS,
    NATIONS,
    PROCESSES,
    PUBLISH,
    Contact,
    NewTrust,
    scaffold,
    trust_id_from,
)
from trustcycle.trust import load_config

T = TypeVar("T")
Check = Callable[[str], T]
FILES = ("trust.yaml", "partners.yaml", "bodies.yaml", "priorities.yaml", "calendar.yaml")
DEFAULT_ROLES = {"officer": "Children's Trust Officer", "manager": "Children's Trust Manager"}


def _adapter_check(adapter: TypeAdapter[str]) -> Check[str]:
    def check(value: str) -> str:
        try:
            return adapter.validate_python(value.strip())
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None

    return check


_line = _adapter_check(TypeAdapter(Line))
_email = _adapter_check(TypeAdapter(Email))
_ident = _adapter_check(TypeAdapter(Ident))


def _text(value: str) -> str:
    value = _line(value)
    if not value:
        raise ValueError("must not be empty")
    return value


def _year(value: str) -> int:
    if not value.strip().isdigit() or not 2000 <= int(value) <= 2100:
        raise ValueError(f"{value!r} is not a year such as 2026")
    return int(value)


def _nation(value: str) -> str:
    nation = value.strip().lower().replace(" ", "_")
    if nation not in NATIONS:
        raise ValueError(f"{value!r} is not one of {', '.join(NATIONS)}")
    if nation not in MODELLED_NATIONS:
        # Not worth asking again: the answer is true, the model is what is missing.
        raise UserError(
            f"--nation {nation}: not modelled yet: trustcycle knows England's statutory "
            "calendar only (England's bank holidays, the Children Act 2004 s10 partners, the "
            "English processes); nothing written"
        )
    return nation


def _processes(value: str) -> tuple[str, ...]:
    chosen = [p.strip().replace("-", "_") for p in value.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PROCESSES]
    if unknown or not chosen:
        raise ValueError(f"choose from {', '.join(PROCESSES)} (comma-separated)")
    return tuple(p for p in PROCESSES if p in chosen)


def _body_for(process: str) -> Check[str]:
    def check(value: str) -> str:
        body = value.strip()
        allowed = [*BODIES, PUBLISH] if process == "child_poverty_strategy" else list(BODIES)
        if body not in allowed:
            raise ValueError(f"{process}: choose one of {', '.join(allowed)}")
        return body

    return check


def _rule(value: str) -> str:
    parse_rule(value)
    return value.strip()


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"{flag} {item!r}: write it as KEY=VALUE")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


class Answers:
    """Each answer from its flag, else (in a terminal) a question, else a missing flag."""

    def __init__(self, args: argparse.Namespace, interactive: bool) -> None:
        self.args, self.interactive = args, interactive
        self.missing: list[str] = []

    def get(self, flag: str, question: str, check: Check[T], default: str | None = None) -> T:
        given = getattr(self.args, flag.removeprefix("--").replace("-", "_"))
        if given is not None:
            try:
                return check(str(given))
            except ValueError as exc:
                raise UserError(f"{flag}: {exc}") from None
        if self.interactive:
            return _ask(question, check, default)
        if default is not None:
            return check(default)
        self.missing.append(flag)
        return None  # type: ignore[return-value]  # reported with the others below


def _ask(question: str, check: Check[T], default: str | None) -> T:
    prompt = f"{question}{f' [{default}]' if default else ''}: "
    while True:
        try:
            raw = input(prompt).strip()
        except EOFError:
            raise UserError(f"no answer to {question!r}; nothing written") from None
        try:
            return check(raw or (default or ""))
        except ValueError as exc:
            print(f"  {exc}", file=sys.stderr)


def _default_year() -> int:
    today = clock.today()
    return today.year if today.month >= 4 else today.year - 1


def _answers(args: argparse.Namespace, interactive: bool) -> NewTrust:
    a = Answers(args, interactive)
    a.get("--nation", "Nation (england, wales, scotland, northern_ireland)", _nation, "england")
    name = a.get("--name", "Trust name (e.g. Rutland Children's Trust)", _text)
    la = a.get("--local-authority", "Local authority (e.g. Rutland County Council)", _text)
    year = a.get("--year", "Cycle year (the April it starts)", _year, str(_default_year()))
    people = {}
    for who in ("officer", "manager"):
        title = "Contact officer" if who == "officer" else "Trust manager"
        people[who] = Contact(
            a.get(f"--{who}-name", f"{title}: name", _text),
            a.get(f"--{who}-email", f"{title}: email", _email),
            a.get(f"--{who}-role", f"{title}: job title", _text, DEFAULT_ROLES[who]),
        )
    processes = a.get("--processes", "Processes to run", _processes, ",".join(PROCESSES))
    if a.missing:
        raise UserError(f"init needs {', '.join(a.missing)} (or run it in a terminal to be "
                        "asked); nothing written")
    receiving = _pairs(args.receiving or [], "--receiving")
    meets = _pairs(args.meets or [], "--meets")
    for process, body in receiving.items():
        if process not in PROCESSES:
            raise UserError(f"--receiving {process}: choose from {', '.join(PROCESSES)}")
        try:
            receiving[process] = _body_for(process)(body)
        except ValueError as exc:
            raise UserError(f"--receiving {exc}") from None
    for process in processes:
        if process not in receiving and interactive:
            receiving[process] = _ask(f"Who receives the {process} papers "
                                      f"({', '.join(BODIES)}"
                                      f"{', publish' if process.startswith('child') else ''})",
                                      _body_for(process), DEFAULT_RECEIVING[process])
    for body, rule in meets.items():
        if body not in BODIES:
            raise UserError(f"--meets {body}: choose from {', '.join(BODIES)}")
        try:
            meets[body] = _rule(rule)
        except ValueError as exc:
            raise UserError(f"--meets {body}: {exc}") from None
    trust = NewTrust(
        trust_id=_ident(args.id) if args.id else trust_id_from(name, la),
        name=name, local_authority=la, cycle_year=year,
        officer=people["officer"], manager=people["manager"], processes=processes,
        receiving={**DEFAULT_RECEIVING, **receiving}, meets=meets,
    )
    if interactive:
        for body in trust.bodies_used():
            if body in BODIES and body not in meets:
                trust.meets[body] = _ask(f"When does the {body} meet", _rule, BODIES[body].rule)
    return trust


def _init(args: argparse.Namespace) -> int:
    out = Path(args.dir)
    clashes = [name for name in FILES if (out / name).exists()]
    if clashes and not args.force:
        raise UserError(f"{out / clashes[0]} exists: nothing written (--force overwrites)")
    interactive = not args.no_input and sys.stdin.isatty()
    trust = _answers(args, interactive)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in scaffold(trust).items():
        (out / name).write_text(text, encoding="utf-8")
    write_schemas(out / SCHEMA_DIR)
    try:
        cfg = load_config(out)
    except ConfigError as exc:  # a bug here, not the officer's: say so plainly
        raise UserError(f"the files written do not pass config check:\n{exc}") from None
    print(f"wrote {out}: {', '.join(FILES)} (and {SCHEMA_DIR}/ for your editor)")
    print(f"config check: ok: {cfg.trust.name}, {len(cfg.partners)} partner, "
          f"{len(cfg.bodies)} bodies, {len(cfg.processes)} processes, cycle year "
          f"{trust.cycle_year}-{(trust.cycle_year + 1) % 100:02d}")
    print("next:\n"
          f"  1. {out / 'partners.yaml'}: uncomment your partners and fill in each FILL IN\n"
          f"  2. {out / 'bodies.yaml'}: members, and the meeting rules if yours differ\n"
          f"  3. {out / 'priorities.yaml'}: your plan's priorities\n"
          f"  then: trustcycle config check --config {out}\n"
          f"        trustcycle simulate --config {out} --out {out}-rehearsal")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("init", help="start a new trust: write its YAML files")
    cmd.add_argument("dir", help="the new trust's folder (created if missing)")
    cmd.add_argument("--name", metavar="NAME",
                     help="the trust's name, e.g. \"Rutland Children's Trust\"")
    cmd.add_argument("--local-authority", metavar="NAME", help="e.g. \"Rutland County Council\"")
    cmd.add_argument("--nation", metavar="NATION", help="england (the only one modelled today)")
    cmd.add_argument("--year", metavar="YYYY",
                     help="the cycle year: the April it starts (default: this one)")
    for who in ("officer", "manager"):
        cmd.add_argument(f"--{who}-name", metavar="NAME", help=f"the {who}'s name")
        cmd.add_argument(f"--{who}-email", metavar="EMAIL", help=f"the {who}'s email")
        cmd.add_argument(f"--{who}-role", metavar="TITLE", help=f"the {who}'s job title "
                         f"(default: {DEFAULT_ROLES[who]})")
    cmd.add_argument("--processes", metavar="LIST", help=f"comma-separated (default: all "
                     f"four: {','.join(PROCESSES)})")
    cmd.add_argument("--receiving", action="append", metavar="PROCESS=BODY",
                     help=f"who receives a process's papers: {', '.join(BODIES)}, or publish "
                     "(the child poverty strategy; the default for it)")
    cmd.add_argument("--meets", action="append", metavar="BODY=RULE",
                     help="a body's meeting rule, e.g. board=\"second Tuesday of Jun, Sep, "
                     "Dec, Mar\"")
    cmd.add_argument("--id", metavar="ID", help="the trust's id (default: from its name)")
    cmd.add_argument("--force", action="store_true", help="overwrite the files if they exist")
    cmd.add_argument("--no-input", action="store_true", help="never ask; fail on a missing flag")
    cmd.set_defaults(handler=_init)
