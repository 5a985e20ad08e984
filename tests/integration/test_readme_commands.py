"""Every `trustcycle` line in the README's ```sh blocks runs as written and exits 0.

Each block runs in order in its own folder (a copy of `config/`, `.venv` linked), with a
fresh SQLite file (TRUSTCYCLE_DATABASE_URL), mail to a loopback aiosmtpd sink
(TRUSTCYCLE_SMTP_HOST/PORT, TRUSTCYCLE_MAIL_FROM), a portal secret, and the session's
Prefect server (PREFECT_API_URL) with the deployments registered, as `serve` would leave
them, for `doctor`. Blocks run side by side.

Left out or changed, and why:
- `serve` and `portal` are servers that never end on their own: not run;
- `simulate` on a full year of the default trust takes longer than this whole test should
  (62 s measured here; the Rutland example 85 s, a new four-process trust 50 s, on the
  shared 2-core machine), so every `simulate` line runs on a small trust `trustcycle init`
  writes here (the membership review only) by rewriting its `--config`; lines that become
  the same run are run once. That run is also the test that `simulate` works on a trust
  `init` wrote.
- placeholders (YYYY, DIR, FILE, P, X) would be mapped to values below; a capitalised word
  left over fails the test, so a README line cannot hide from it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from tests.plugins.smtp_sink import SmtpTestServer

ROOT = Path(__file__).resolve().parents[2]
SERVERS = ("serve", "portal")
PLACEHOLDERS = {"YYYY": "2026", "DIR": "var/out", "FILE": "config/scenario.yaml",
                "P": "membership_review", "X": "police"}
SMALL_TRUST = [
    "init", "--no-input", "--name", "Smallham Children's Trust",
    "--local-authority", "Smallham Council", "--nation", "england", "--year", "2026",
    "--officer-name", "Ann Lee", "--officer-email", "ann.lee@smallham.example.gov.uk",
    "--manager-name", "Bo Chen", "--manager-email", "bo.chen@smallham.example.gov.uk",
    "--processes", "membership_review",
]
TIMEOUT = 300


@dataclass(frozen=True)
class Command:
    line: str  # as the README has it
    env: dict[str, str]  # assignments written before the command
    argv: list[str]

    @property
    def verb(self) -> str:
        return self.argv[1] if len(self.argv) > 1 else ""


def _logical_lines(block: str) -> list[str]:
    return [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def _command(line: str) -> Command | None:
    words = shlex.split(line, comments=True)
    at = next((i for i, w in enumerate(words) if w == "trustcycle" or w.endswith("/trustcycle")),
              None)
    if at is None or (len(words) > at + 1 and words[at + 1] in SERVERS):
        return None  # not a trustcycle command, or a server
    env = {}
    for word in words[:at]:
        name, sep, value = word.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"README: cannot run {line!r}"
        env[name] = value
    argv = [_concrete(w) for w in words[at:] if w not in ("[", "]")]
    left = [w for w in argv[1:] if re.fullmatch(r"[A-Z]{1,8}", w)]
    assert not left, f"README: placeholder {left[0]} with no value in {line!r}"
    return Command(line, env, argv)


def _concrete(word: str) -> str:
    word = word.strip("[]")
    if "|" in word and not word.startswith("{"):
        word = word.split("|")[0]  # md|html|docx: the first
    return PLACEHOLDERS.get(word, word)


def readme_blocks(text: str) -> list[list[Command]]:
    """The `trustcycle` commands of each ```sh block, in order (servers left out)."""
    blocks = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        commands = [c for c in map(_command, _logical_lines(block)) if c is not None]
        if commands:
            blocks.append(commands)
    return blocks


def _project(folder: Path) -> Path:
    """A folder that looks like the project to a command run as written."""
    folder.mkdir(parents=True)
    shutil.copytree(ROOT / "config", folder / "config")
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    program = argv[0] if "/" in argv[0] else str(ROOT / ".venv/bin" / argv[0])
    return subprocess.run([program, *argv[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)


def _simulation(argv: list[str], small: Path) -> list[str]:
    """A `simulate` line pointed at the small trust (see the module's docstring), with the
    small trust's own scenario (a `--scenario` names the partners of the trust it is for)."""
    out = list(argv)
    if "--scenario" in out:
        del out[out.index("--scenario") : out.index("--scenario") + 2]
    if "--config" in out:
        out[out.index("--config") + 1] = str(small)
    else:
        out[1:1] = ["--config", str(small)]
    return out


def _same_run(argv: list[str]) -> tuple[str, ...]:
    """What decides a simulation's result: the arguments but `--out`, the year filled in."""
    options = dict(zip(argv[2::2], argv[3::2], strict=False))
    options.pop("--out", None)
    options.setdefault("--year", SMALL_TRUST[SMALL_TRUST.index("--year") + 1])
    return tuple(sorted(options.items()))  # type: ignore[arg-type]


@pytest.fixture
def registered(tmp_path: Path) -> Iterator[str]:
    """The session's Prefect server with the trust's deployments registered (no schedules:
    `doctor` asks only which are there); removed afterwards."""
    from prefect.client.orchestration import get_client

    from deployments.build import build

    ids = []
    for deployment in build(ROOT / "config", year=2026):
        deployment.schedules = []
        ids.append(deployment.apply())
    yield str(PREFECT_API_URL.value())
    with get_client(sync_client=True) as client:
        for deployment_id in ids:
            client.delete_deployment(deployment_id)


def test_every_trustcycle_command_in_the_readme_runs_as_written(
    tmp_path: Path, smtp_server: SmtpTestServer, registered: str
) -> None:
    blocks = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert sum(len(b) for b in blocks) >= 15  # the README's own count: a sanity floor
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TRUSTCYCLE_", "PREFECT_"))},
        "TRUSTCYCLE_SMTP_HOST": smtp_server.host,
        "TRUSTCYCLE_SMTP_PORT": str(smtp_server.port),
        "TRUSTCYCLE_MAIL_FROM": "Trust Support <trust.support@example.gov.uk>",
        "TRUSTCYCLE_PORTAL_SECRET": "r" * 48,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    small = tmp_path / "small-trust"
    made = _run(["trustcycle", *SMALL_TRUST[:1], str(small), *SMALL_TRUST[1:]], tmp_path, base)
    assert made.returncode == 0, made.stderr
    simulations: dict[tuple[str, ...], tuple[Command, list[str]]] = {}
    others = []
    for number, block in enumerate(blocks):
        rest = []
        for command in block:
            if command.verb == "simulate":
                argv = _simulation(command.argv, small)
                simulations.setdefault(_same_run(argv), (command, argv))
            else:
                rest.append(command)
        if rest:
            others.append((number, rest))

    def run_simulation(job: tuple[Command, list[str]]) -> list[str]:
        command, argv = job
        folder = _project(tmp_path / f"sim-{abs(hash(command.line))}")
        # Its own database and mail sink, as documented; the session's Prefect server rather
        # than a local one of its own (the same flows, a server start saved).
        env = {**base, "PREFECT_API_URL": registered, "PREFECT_HOME": str(folder / "prefect"),
               **command.env}
        done = _run(argv, folder, env)
        if done.returncode != 0:
            return [f"{command.line}\n  exit {done.returncode}: {done.stderr[-2000:]}"]
        out = folder / argv[argv.index("--out") + 1]
        summary = json.loads((out / "summary.json").read_text())
        counts = summary["processes"]["membership_review"]
        if (counts["requests"], counts["drafts"]) != (1, 1):
            return [f"{command.line}\n  on the small trust: {counts}"]
        return []

    def run_block(job: tuple[int, list[Command]]) -> list[str]:
        number, commands = job
        folder = _project(tmp_path / f"block-{number}")
        env = {**base, "TRUSTCYCLE_DATABASE_URL": f"sqlite:///{folder / 'trustcycle.db'}",
               "PREFECT_API_URL": registered, "PREFECT_HOME": str(folder / "prefect")}
        for command in commands:
            done = _run(command.argv, folder, {**env, **command.env})
            if done.returncode != 0:
                return [f"{command.line}\n  exit {done.returncode}: "
                        f"{(done.stderr or done.stdout)[-2000:]}"]
        return []

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [*pool.map(run_simulation, simulations.values()),
                    *pool.map(run_block, others)]
    problems = [p for group in failures for p in group]
    assert problems == [], "README commands that fail:\n" + "\n".join(problems)
    assert smtp_server.messages, "the chase's mail went to the sink"


def test_the_commands_are_read_as_a_shell_would_and_placeholders_never_pass_silently() -> None:
    text = """Prose with `trustcycle chase` inline is not a block.
```sh
scripts/run.sh     # not trustcycle
.venv/bin/trustcycle init trusts/x --name "A \\"quoted\\" name" \\
  --nation england   # a continued line, a comment
TRUSTCYCLE_PORTAL_SECRET=$(python3 -c 'print(1)') \\
  .venv/bin/trustcycle portal            # a server: left out
TRUSTCYCLE_SIGNOFF=auto trustcycle draft P --year YYYY --format md|html|docx [--out DIR]
.venv/bin/trustcycle serve
```
```yaml
trustcycle: not a shell block
```
"""
    (block,) = readme_blocks(text)
    assert [(c.env, c.argv) for c in block] == [
        ({}, [".venv/bin/trustcycle", "init", "trusts/x", "--name", 'A "quoted" name',
              "--nation", "england"]),
        ({"TRUSTCYCLE_SIGNOFF": "auto"}, ["trustcycle", "draft", "membership_review", "--year",
                                          "2026", "--format", "md", "--out", "var/out"]),
    ]
    with pytest.raises(AssertionError, match="placeholder NAME with no value"):
        readme_blocks("```sh\ntrustcycle returns waive --reason NAME\n```\n")
