"""Editor help for the YAML: the JSON Schema files are the models' own and current, every key
has a description, the sample files point at them and pass them, and the README's
configuration reference names every key of every file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from trustcycle.cli import main
from trustcycle.config import strict_yaml
from trustcycle.config.json_schema import (
    MODELINE,
    file_schema,
    render,
    schema_file_name,
    yaml_files,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "config" / "schema"
SAMPLES = sorted((ROOT / "config").glob("*.yaml")) + sorted(
    (ROOT / "config" / "examples").glob("*/*.yaml")
)


def _as_editor_sees(value: Any) -> Any:
    """YAML as a YAML 1.2 editor reads it: dates and times are strings."""
    if isinstance(value, dict):
        return {k: _as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editor_sees(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _properties(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            found.append((f"{where}.{key}", value))
        for key, value in node.items():
            found += _properties(value, f"{where}.{key}" if key != "properties" else where)
    return found


@pytest.mark.parametrize("name", sorted(yaml_files()))
def test_the_schema_files_in_the_repository_are_what_the_models_generate(name: str) -> None:
    path = SCHEMA_DIR / schema_file_name(name)
    assert path.read_text(encoding="utf-8") == render(file_schema(name)), (
        f"{path} is stale: run `trustcycle config schema`"
    )


@pytest.mark.parametrize("name", sorted(yaml_files()))
def test_every_key_of_every_file_has_a_description(name: str) -> None:
    undescribed = [where for where, prop in _properties(file_schema(name))
                   if not prop.get("description")]
    assert undescribed == []


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_each_sample_file_names_its_schema_on_its_first_line_and_passes_it(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(MODELINE)
    schema_path = (path.parent / first.removeprefix(MODELINE)).resolve()
    assert schema_path == SCHEMA_DIR / schema_file_name(path.name)
    data = _as_editor_sees(strict_yaml.load(path.read_text(encoding="utf-8")))
    errors = [e.message for e in Draft202012Validator(file_schema(path.name)).iter_errors(data)]
    assert errors == []


def test_the_schema_flags_what_an_editor_should_underline() -> None:
    validator = Draft202012Validator(file_schema("partners.yaml"))
    person = {"name": "Ann Lee", "email": "ann.lee@police.example.uk"}
    good = {"name": "Police", "category": "police", "legal_basis": "relevant_partner_2004",
            "contacts": [person], "senior_contact": person}
    assert list(validator.iter_errors({"partners": {"police": good}})) == []
    bad = {
        "Police": good,  # not an id
        "fire": {**good, "category": "firemen"},  # no such category
        "yjs": {**good, "contact": [person]},  # a misspelt key
    }
    paths = sorted(".".join(map(str, e.absolute_path))
                   for e in validator.iter_errors({"partners": bad}))
    assert paths == ["partners", "partners.fire.category", "partners.yjs"]
    times = Draft202012Validator(file_schema("trust.yaml"))
    schedule_errors = list(times.iter_errors({"trust": {"schedule": {"chase": "01:30"}}}))
    assert any(list(e.absolute_path) == ["trust", "schedule", "chase"] for e in schedule_errors)


def test_config_schema_writes_every_file_where_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "schema", "--out", str(tmp_path / "schema")]) == 0
    written = sorted(p.name for p in (tmp_path / "schema").iterdir())
    assert written == sorted(schema_file_name(n) for n in yaml_files())
    for name in yaml_files():
        assert (tmp_path / "schema" / schema_file_name(name)).read_text(encoding="utf-8") == (
            SCHEMA_DIR / schema_file_name(name)
        ).read_text(encoding="utf-8")
    assert capsys.readouterr().out.count("wrote ") == len(yaml_files())


# --- the README's configuration reference -------------------------------------------------


def _reference_bullets() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    bullets: dict[str, str] = {}
    for bullet in re.split(r"\n(?=- \*\*`)", section):
        head = re.match(r"- \*\*`([a-z]+\.yaml)`\*\*", bullet)
        if head:
            bullets[head.group(1)] = bullet.split("\n\n", 1)[0]
    return bullets


def _entry_keys(name: str) -> tuple[str, list[str]]:
    """The file's top-level key and the keys of one entry under it (one partner...)."""
    schema = file_schema(name)
    defs = schema.get("$defs", {})
    top = list(schema["properties"])
    if len(top) != 1:
        return "", top  # scenario.yaml: its keys are top-level
    prop = schema["properties"][top[0]]
    ref = prop.get("$ref") or next(iter(prop.get("patternProperties", {}).values()))["$ref"]
    return top[0], list(defs[ref.rsplit("/", 1)[1]]["properties"])


@pytest.mark.parametrize("name", sorted(yaml_files()))
def test_the_readme_reference_names_every_key_of_each_file(name: str) -> None:
    bullets = _reference_bullets()
    assert name in bullets, f"README: no `{name}` bullet in Configuration reference"
    quoted = set(re.findall(r"[a-z_]+", " ".join(re.findall(r"`([^`]*)`", bullets[name]))))
    top, keys = _entry_keys(name)
    missing = [k for k in ([top] if top else []) + keys if k not in quoted]
    assert missing == [], f"README, Configuration reference, {name}: not documented {missing}"
