"""The README's "Every key, with an example": its blocks are one trust that loads, and
together they show every key of every file's schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from trustcycle.config.json_schema import file_schema, yaml_files
from trustcycle.drafts.house_style import default_reference
from trustcycle.trust import load_config

ROOT = Path(__file__).resolve().parents[2]
HEADING = "### Every key, with an example"


def _blocks() -> dict[str, str]:
    """`NAME.yaml` -> the block whose first line is `# NAME.yaml`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(HEADING, 1)[1]
    section = re.split(r"\n##+ ", section, maxsplit=1)[0]
    blocks = re.findall(r"```yaml\n# ([a-z]+\.yaml)\n(.*?)```", section, flags=re.DOTALL)
    return dict(blocks)


def _schema_keys(node: dict[str, Any], defs: dict[str, Any], seen: frozenset[str]) -> set[str]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return set() if name in seen else _schema_keys(defs[name], defs, seen | {name})
    keys: set[str] = set()
    children = [*node.get("anyOf", []), *node.get("oneOf", []), *node.get("allOf", [])]
    children += list(node.get("patternProperties", {}).values())
    for extra in (node.get("items"), node.get("additionalProperties")):
        if isinstance(extra, dict):
            children.append(extra)
    for key, sub in node.get("properties", {}).items():
        keys.add(key)
        children.append(sub)
    for child in children:
        keys |= _schema_keys(child, defs, seen)
    return keys


def _data_keys(data: object, *, under_ids: bool = False) -> set[str]:
    """Every mapping key in `data`, except the ids of entries (partners, bodies...)."""
    keys: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if not under_ids:
                keys.add(str(key))
            ids = key in ("partners", "bodies", "priorities", "processes")
            keys |= _data_keys(value, under_ids=ids)
    elif isinstance(data, list):
        for item in data:
            keys |= _data_keys(item)
    return keys


def test_the_reference_has_a_block_for_every_file() -> None:
    assert sorted(_blocks()) == sorted(yaml_files())


def test_the_reference_blocks_are_one_trust_that_loads(tmp_path: Path) -> None:
    for name, text in _blocks().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "house_style.docx").write_bytes(default_reference())
    (tmp_path / "attendance.csv").write_text(
        "body,date,person,status\nboard,2026-03-10,mary.ellis@northdale.example.gov.uk,present\n"
    )
    cfg = load_config(tmp_path)
    assert cfg.trust.id == "northdale"
    assert sorted(cfg.processes) == [
        "annual_conference", "child_poverty_strategy", "cypp_annual_review",
        "joint_needs_analysis", "membership_review",
    ]


@pytest.mark.parametrize("name", sorted(yaml_files()))
def test_the_reference_shows_every_key_of_the_file(name: str) -> None:
    schema = file_schema(name)
    wanted = _schema_keys(schema, schema.get("$defs", {}), frozenset())
    shown = _data_keys(yaml.safe_load(_blocks()[name]))
    assert sorted(wanted - shown) == [], f"README, {HEADING}, {name}: no example of these keys"
