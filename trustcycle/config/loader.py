"""Read a trust's YAML files, validate them, and bundle them as a `TrustConfig`.

Every problem is reported as `FILE: KEY.PATH: RULE`; nothing is returned (and so nothing
can be written or sent) unless the whole configuration is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pendulum
import yaml
from pydantic import BaseModel, ValidationError

from trustcycle.config import schema, strict_yaml
from trustcycle.config.errors import ConfigError, Problem
from trustcycle.text import sanitise_line

FILES: dict[str, type[BaseModel]] = {
    "trust.yaml": schema.TrustFile,
    "partners.yaml": schema.PartnersFile,
    "bodies.yaml": schema.BodiesFile,
    "priorities.yaml": schema.PrioritiesFile,
    "calendar.yaml": schema.CalendarFile,
}
OPTIONAL_FILES: dict[str, type[BaseModel]] = {"scenario.yaml": schema.ScenarioFile}

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class TrustConfig:
    """A whole, validated configuration. Dates are resolved by `trustcycle.calendar.timeline`."""

    directory: Path
    trust: schema.Trust
    partners: dict[str, schema.Partner]
    bodies: dict[str, schema.Body]
    priorities: dict[str, schema.Priority]
    processes: dict[str, schema.Process]
    scenario: schema.ScenarioFile = field(default_factory=schema.ScenarioFile)

    def file(self, name: str) -> Path:
        return self.directory / name

    def cycle_bounds(self, year: int | None = None) -> tuple[pendulum.Date, pendulum.Date]:
        """First and last day of the cycle year starting in `year` (default: configured)."""
        year = self.trust.cycle_year if year is None else year
        month, day = (int(x) for x in self.trust.cycle_start.split("-"))
        start = pendulum.date(year, month, day)
        return start, start.add(years=1).subtract(days=1)

    def day_of_cycle(self, ref: schema.DayRef, year: int | None = None) -> pendulum.Date:
        """A `DayRef` as a date: "MM-DD" lands inside the cycle year starting in `year`."""
        if not isinstance(ref, str):
            return pendulum.date(ref.year, ref.month, ref.day)
        start, _ = self.cycle_bounds(year)
        month, day = (int(x) for x in ref.split("-"))
        candidate = pendulum.date(start.year, month, day)
        return candidate if candidate >= start else candidate.add(years=1)


def as_date(value: Any) -> pendulum.Date:
    return pendulum.date(value.year, value.month, value.day)


def _read_yaml(path: Path) -> Any:
    try:
        if path.stat().st_size > strict_yaml.MAX_BYTES:
            mb = strict_yaml.MAX_BYTES // (1024 * 1024)
            raise ConfigError.one(path, "(file)", f"is larger than {mb} MB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.one(path, "(file)", "missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.one(path, "(file)", f"cannot be read: {_one_line(exc)}") from None
    try:
        # Strict (trustcycle.config.strict_yaml): duplicate keys, alias expansion and deep
        # nesting are refused; libyaml's speed is kept.
        return strict_yaml.load(text)
    except strict_yaml.StrictYamlError as exc:
        where = sanitise_line(exc.path) or (f"line {exc.line}" if exc.line else "(file)")
        raise ConfigError.one(path, where, sanitise_line(exc.message)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(syntax)"
        problem = _one_line(exc.problem or exc)
        raise ConfigError.one(path, where, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a control character in the file itself
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigError.one(path, f"line {line}", f"YAML syntax error: {exc.reason} "
                              f"(character #x{exc.character:04x})") from None
    except (yaml.YAMLError, RecursionError, MemoryError) as exc:
        raise ConfigError.one(path, "(file)", f"cannot be read: {_one_line(exc)}") from None


def _one_line(reason: object) -> str:
    return sanitise_line(str(reason)) or type(reason).__name__


def _problems(path: Path, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        message = err["msg"].removeprefix("Value error, ")
        out.append(Problem(path, loc or "(top)", message))
    return out


def _parse(path: Path, model: type[M]) -> M:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError.one(path, "(top)", "must be a mapping of keys to values")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(path, exc)) from None


def parse_config(directory: Path | str = "config", *, scenario: Path | None = None) -> TrustConfig:
    """Parse and validate every file on its own; raise `ConfigError` listing every problem.

    The rules that cross files and need the calendar run in `trustcycle.trust.load_config`.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError.one(directory, "(directory)", "is not a configuration directory")
    parsed: dict[str, BaseModel] = {}
    problems: list[Problem] = []
    for name, model in FILES.items():
        try:
            parsed[name] = _parse(directory / name, model)
        except ConfigError as exc:
            problems.extend(exc.problems)
    scenario_path = scenario or directory / "scenario.yaml"
    scenario_file = schema.ScenarioFile()
    if scenario is not None or scenario_path.exists():
        try:
            scenario_file = _parse(scenario_path, schema.ScenarioFile)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    cfg = TrustConfig(
        directory=directory,
        trust=parsed["trust.yaml"].trust,  # type: ignore[attr-defined]
        partners=parsed["partners.yaml"].partners,  # type: ignore[attr-defined]
        bodies=parsed["bodies.yaml"].bodies,  # type: ignore[attr-defined]
        priorities=parsed["priorities.yaml"].priorities,  # type: ignore[attr-defined]
        processes=parsed["calendar.yaml"].processes,  # type: ignore[attr-defined]
        scenario=scenario_file,
    )
    return cfg
