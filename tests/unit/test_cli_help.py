"""`--help` in an officer's words with an example, and `--config` before or after a command."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from trustcycle.cli import build_parser, walk
from trustcycle.cli.guide import GUIDE


def _commands() -> dict[tuple[str, ...], object]:
    return dict(walk(build_parser()))


def _argv(example: str) -> list[str]:
    words = shlex.split(example)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)  # an environment assignment before the command
    assert words[0] == "trustcycle", example
    return words[1:]


def test_every_command_has_help_in_the_guide_and_every_guide_entry_a_command() -> None:
    assert sorted(_commands()) == sorted(GUIDE)


@pytest.mark.parametrize("path", sorted(GUIDE), ids=lambda p: " ".join(p) or "trustcycle")
def test_each_help_says_what_the_command_does_and_shows_an_example_that_parses(
    path: tuple[str, ...],
) -> None:
    parser = _commands()[path]
    text = parser.format_help()  # type: ignore[attr-defined]
    assert GUIDE[path].what.split()[0] in text
    assert ("example:" in text) or ("examples:" in text)
    for example in GUIDE[path].examples:
        assert f"  {example}" in text
        args = build_parser().parse_args(_argv(example))
        assert args.handler is not None
        assert tuple(_argv(example)[: len(path)]) == path


@pytest.mark.parametrize(
    "argv",
    [
        ["calendar", "show", "--year", "2010"],
        ["config", "check"],
        ["simulate", "--year", "2026", "--out", "out"],
        ["returns", "list"],
        ["chase", "--dry-run"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_config_is_read_before_or_after_the_command_and_the_later_one_wins(
    argv: list[str],
) -> None:
    parse = build_parser().parse_args
    assert parse(argv).config == Path("config")
    assert parse(["--config", "before", *argv]).config == Path("before")
    assert parse([*argv, "--config", "after"]).config == Path("after")
    assert parse(["--config", "before", *argv, "--config", "after"]).config == Path("after")
    assert parse([argv[0], "--config", "between", *argv[1:]]).config == Path("between")
