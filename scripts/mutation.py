"""A small mutation tester for the rules where a bug is a breach or a wrong statutory date.

Why not mutmut: every pytest start here imports Prefect and FastAPI (about 8 s) before a
test runs, and mutmut 3 mutates whole files, strings included; a mutant of an error message
is noise beside a flipped expiry check. This runner imports everything once, then forks a
child per mutant. The child swaps one function's code object for the mutated one (every
reference to the function, `from x import f` included, sees it) and runs that module's
fast tests. A mutant is killed when a test fails, errors or times out.

Mutations, inside the listed functions only: a comparison flipped at its boundary (< and
<=, > and >=) or negated (== and !=, in and not in, is and is not), and/or swapped, a
`not` dropped, an integer constant one up and one down, + and - swapped, min and max
swapped, and each `if`/`elif`/`while` test made never true (a check removed).

A survivor on a line carrying `# mutant: equivalent (...)`, or under a comment block that
starts so, is reported as explained (the comment says why no test can tell it from the
original); others are listed, to be killed by a test.

Run it through scripts/mutation.sh (a copy of the work tree, low priority). Not in CI.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import signal
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

EQUIVALENT = "# mutant: equivalent"
PORTAL_TESTS = ["tests/unit/test_portal_links.py", "tests/unit/test_portal_forms.py"]
PORTAL_APP_TESTS = [
    "tests/integration/test_portal_post_links.py",
    "tests/integration/test_portal_security.py",
]
CALENDAR = ["tests/unit/test_calendar_properties.py"]
SQLITE_ONLY = ["-m", "not postgres"]


@dataclass(frozen=True)
class Target:
    """A module, the functions in it to mutate (None: all), and the tests that guard it."""

    module: str
    functions: tuple[str, ...] | None
    tests: tuple[str, ...]
    args: tuple[str, ...] = ()


TARGETS = {
    "links": Target("trustcycle.chasing.links", ("verify", "sign", "check_secret", "cycle_end",
                                                "config_cycle_end", "derive_key"),
                    (*PORTAL_TESTS, *PORTAL_APP_TESTS), (*SQLITE_ONLY,)),
    "csrf": Target("trustcycle.portal.csrf", None, (*PORTAL_TESTS, *PORTAL_APP_TESTS),
                   (*SQLITE_ONLY,)),
    "submission": Target("trustcycle.portal.app", ("create_app",),
                         (*PORTAL_APP_TESTS, "tests/integration/test_portal_edges.py",
                          "tests/integration/test_portal_submission.py",
                          "tests/integration/test_portal_uploads.py",
                          "tests/faults/test_portal_door.py", "tests/faults/test_portal_bomb.py"),
                         (*SQLITE_ONLY,)),
    "uploads": Target("trustcycle.portal.uploads", ("sniff", "_looks_like_csv", "check"),
                      ("tests/unit/test_upload_checks.py", "tests/unit/test_portal_forms.py",
                       "tests/integration/test_portal_uploads.py"), (*SQLITE_ONLY,)),
    "backoff": Target("trustcycle.outbox.backoff", None,
                      ("tests/unit/test_outbox_retry_schedule.py",
                       "tests/unit/test_outbox_backoff.py",
                       "tests/integration/test_outbox_dead.py"), (*SQLITE_ONLY,)),
    "leases": Target("trustcycle.outbox.leases", None,
                     ("tests/unit/test_outbox_lease.py",
                      "tests/integration/test_outbox_skip_locked.py",
                      "tests/integration/test_outbox_delivery.py",
                      "tests/faults/test_leases.py")),
    "rows": Target("trustcycle.outbox.rows", ("due",),
                   ("tests/integration/test_outbox_due.py",
                    "tests/integration/test_outbox_delivery.py",
                    "tests/integration/test_outbox_dead.py"), (*SQLITE_ONLY,)),
    "records": Target("trustcycle.outbox.records", ("record_failure", "recipients_outcome",
                                                    "RecipientsOutcome", "_fenced"),
                      ("tests/unit/test_outbox_backoff.py",
                       "tests/integration/test_outbox_dead.py",
                       "tests/integration/test_outbox_delivery.py",
                       "tests/faults/test_recipients.py", "tests/faults/test_poison.py"),
                      (*SQLITE_ONLY,)),
    "chase": Target("trustcycle.chasing.rules", (
        "rung_days", "last_sent_index", "due_rung", "decide",
                                         "next_rung", "requests_due_to_open",
                                         "late_request_dates"),
                    ("tests/unit/test_chase_ladder.py", "tests/unit/test_chase_rules.py",
                     *CALENDAR)),
    "workdays": Target("trustcycle.calendar.workdays", None,
                       ("tests/unit/test_workdays.py", "tests/unit/test_timeline.py",
                        *CALENDAR)),
    "meetings": Target("trustcycle.calendar.meetings", None,
                       ("tests/unit/test_meetings.py", "tests/unit/test_meeting_rules.py",
                        *CALENDAR)),
    "crosscheck": Target("trustcycle.calendar.checks", None,
                         ("tests/unit/test_config.py", "tests/unit/test_config_crosscheck.py",
                          "tests/unit/test_config_dates.py")),
}


@dataclass(frozen=True)
class Mutant:
    """One change to a module's source: the text span replaced, and what replaces it."""

    function: str  # the top-level function or class whose code is swapped
    line: int
    start: tuple[int, int]
    end: tuple[int, int]
    replacement: str
    description: str


_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
         ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
         ast.Is: ast.IsNot, ast.IsNot: ast.Is}


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Nodes never mutated: annotations, docstrings, f-strings and everything inside."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign | ast.arg):
            mark(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            # Decorators and default values are evaluated once, at import: a swapped code
            # object cannot change them, so they are not mutated here.
            mark(node.returns)
            for decorator in node.decorator_list:
                mark(decorator)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                mark(default)
        elif isinstance(node, ast.JoinedStr):
            mark(node)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                mark(body[0])
    return skip


def _variants(node: ast.AST) -> Iterator[tuple[ast.expr, str]]:
    """Mutated copies of an expression node, each with a description."""
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            flipped = _FLIP.get(type(op))
            if flipped is not None:
                ops = list(node.ops)
                ops[i] = flipped()
                yield (ast.Compare(node.left, ops, node.comparators),
                       f"{type(op).__name__} -> {flipped.__name__}")
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield ast.BoolOp(other, node.values), f"{type(node.op).__name__} -> {type(other).__name__}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield node.operand, "not dropped"
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield ast.Constant(node.value + 1), f"{node.value} -> {node.value + 1}"
        yield ast.Constant(node.value - 1), f"{node.value} -> {node.value - 1}"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        other = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
        yield (ast.BinOp(node.left, other, node.right),
               f"{type(node.op).__name__} -> {type(other).__name__}")
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id in ("min", "max")
    ):
        name = "max" if node.func.id == "min" else "min"
        yield (ast.Call(ast.Name(name, ast.Load()), node.args, node.keywords),
               f"{node.func.id} -> {name}")


def _owner(tree: ast.Module, wanted: tuple[str, ...] | None) -> Iterator[tuple[str, ast.AST]]:
    """(top-level name, function node): module functions, and the methods of classes."""
    for node in tree.body:
        if wanted is not None and getattr(node, "name", None) not in wanted:
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield node.name, item


def mutants(source: str, wanted: tuple[str, ...] | None) -> list[Mutant]:
    """Every mutant of the wanted top-level functions and classes of `source`."""
    tree = ast.parse(source)
    skip = _skipped_nodes(tree)
    out: list[Mutant] = []
    for name, owner in _owner(tree, wanted):
        for node in ast.walk(owner):
            if id(node) in skip or not hasattr(node, "end_lineno"):
                continue
            if isinstance(node, ast.If | ast.While):
                test = node.test
                out.append(Mutant(name, test.lineno, (test.lineno, test.col_offset),
                                  (test.end_lineno or 0, test.end_col_offset or 0),
                                  f"(False and ({ast.get_source_segment(source, test)}))",
                                  "check never true"))
                continue
            for changed, description in _variants(node):
                out.append(Mutant(name, node.lineno, (node.lineno, node.col_offset),
                                  (node.end_lineno or 0, node.end_col_offset or 0),
                                  f"({ast.unparse(changed)})", description))
    return out


def apply(source: str, mutant: Mutant) -> str:
    """`source` with the mutant's span replaced."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    data = source.encode()

    def at(position: tuple[int, int]) -> int:
        return offsets[position[0] - 1] + position[1]

    return (data[: at(mutant.start)] + mutant.replacement.encode()
            + data[at(mutant.end):]).decode()


def _code_of(code: types.CodeType, qualname: str) -> types.CodeType | None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_qualname == qualname:
                return const
            found = _code_of(const, qualname)
            if found is not None:
                return found
    return None


def _functions_of(owner: object) -> Iterator[types.FunctionType]:
    """Plain functions of a module-level function or class (methods, properties...)."""
    if isinstance(owner, types.FunctionType):
        yield owner
        wrapped = getattr(owner, "__wrapped__", None)
        if isinstance(wrapped, types.FunctionType):
            yield wrapped
        return
    wrapped = getattr(owner, "__wrapped__", None)  # functools.lru_cache and the like
    if isinstance(wrapped, types.FunctionType):
        yield wrapped
    if isinstance(owner, type):
        for value in vars(owner).values():
            for candidate in (value, getattr(value, "__func__", None),
                              getattr(value, "fget", None)):
                if isinstance(candidate, types.FunctionType):
                    yield candidate


def install(module: types.ModuleType, mutated_source: str, owner_name: str) -> None:
    """Swap the code of `owner_name`'s functions for the mutated source's."""
    code = compile(mutated_source, module.__file__ or "<mutant>", "exec")
    swapped = 0
    for function in _functions_of(getattr(module, owner_name)):
        new = _code_of(code, function.__code__.co_qualname)
        if new is not None:  # generated methods (a dataclass's __init__) are not in the file
            function.__code__ = new
            swapped += 1
    assert swapped, f"no function of {owner_name} found in the mutated source"


def run_mutant(module: types.ModuleType, source: str, mutant: Mutant, target: Target,
               timeout: float, log: Path) -> str:
    """'killed', 'survived' or 'timeout', from a forked child running the tests.

    The mutated source is also on disk while the child runs, for the processes its tests
    start (`python -m trustcycle ...`, the fault suite's deliverers)."""
    path = Path(module.__file__ or "")
    mutated = apply(source, mutant)
    path.write_text(mutated)
    try:
        return _fork_and_test(module, mutated, mutant, target, timeout, log)
    finally:
        path.write_text(source)


def _fork_and_test(module: types.ModuleType, mutated: str, mutant: Mutant, target: Target,
                   timeout: float, log: Path) -> str:
    import pytest

    pid = os.fork()
    if pid == 0:  # the child: patch, test, exit with pytest's status
        os.setsid()  # its own process group: a timeout ends what its tests started too
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            install(module, mutated, mutant.function)
            code = pytest.main(["-x", "-q", "-p", "no:cacheprovider",
                                *target.args, *target.tests])
        except BaseException:  # noqa: BLE001 - a mutant that cannot even load is killed
            code = 3
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "survived" if os.waitstatus_to_exitcode(status) == 0 else "killed"
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.05)


def _explained(lines: list[str], line: int) -> bool:
    """True when the mutant's line, or the comment block just above it, says equivalent."""
    index = line - 1
    if EQUIVALENT in lines[index]:
        return True
    while index > 0 and lines[index - 1].strip().startswith("#"):
        index -= 1
        if EQUIVALENT in lines[index]:
            return True
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TARGETS), help=", ".join(TARGETS))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args(argv)
    os.environ["TRUSTCYCLE_TESTS_WITHOUT_PREFECT"] = "1"
    root = Path.cwd()
    sys.path.insert(0, str(root))
    logs = Path(os.environ.get("MUTATION_LOGS", root / "var" / "mutation"))
    logs.mkdir(parents=True, exist_ok=True)
    # Import once what every child would import: the forks then start in a blink.
    import pytest  # noqa: F401

    import tests.conftest  # noqa: F401
    total = killed = 0
    for key in args.modules:
        target = TARGETS[key]
        module = importlib.import_module(target.module)
        path = Path(module.__file__ or "")
        source = path.read_text()
        lines = source.splitlines()
        found = mutants(source, target.functions)
        if args.list:
            for m in found:
                print(f"{key} {path.name}:{m.line} {m.function}: {m.description}")
            continue
        for test in target.tests:
            importlib.import_module(test.removesuffix(".py").replace("/", "."))
        outcome = {"killed": 0, "survived": 0, "timeout": 0}
        survivors: list[str] = []
        for n, mutant in enumerate(found):
            result = run_mutant(module, source, mutant, target, args.timeout,
                                logs / f"{key}-{n}.log")
            outcome[result] += 1
            if os.environ.get("MUTATION_VERBOSE"):
                print(f"  {n} {result}: {path.name}:{mutant.line} {mutant.description}",
                      flush=True)
            if result == "survived":
                note = " (explained)" if _explained(lines, mutant.line) else ""
                survivors.append(f"  survived{note}: {path.name}:{mutant.line} "
                                 f"{mutant.function}: {mutant.description}: "
                                 f"{lines[mutant.line - 1].strip()}")
        dead = outcome["killed"] + outcome["timeout"]
        print(f"{key}: killed {dead} of {len(found)} ({outcome['timeout']} by timeout)")
        print("\n".join(survivors), flush=True)
        total += len(found)
        killed += dead
    if not args.list:
        print(f"killed {killed} of {total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
