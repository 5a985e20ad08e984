"""Dependencies point inward: the domain package never imports Prefect or the flows."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL = ROOT / "trustcycle" / "cli"  # the entrypoint shell may start flows
FORBIDDEN = ("prefect", "flows", "tasks", "deployments")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_package_imports_no_prefect_and_no_flows() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN))
        for path in (ROOT / "trustcycle").rglob("*.py")
        if SHELL not in path.parents and _imports(path) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_flows_only_sequence_tasks_and_never_touch_the_database_directly() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & {"sqlalchemy", "smtplib", "yagmail"})
        for path in (ROOT / "flows").rglob("*.py")
        if _imports(path) & {"sqlalchemy", "smtplib", "yagmail"}
    }
    assert offenders == {}


# --- the domain package reads as its parts, imports in one direction -----------------------

# Lower layers first: a package may import only from packages listed before it (and the
# top-level leaf modules such as `trustcycle.text`). `trustcycle.cli` is the shell.
LAYERS = (
    "config", "calendar", "db", "mail", "outbox", "drafts", "notices", "chasing", "papers",
    "attendance", "portal", "simulation", "trust", "doctor", "scaffold",
)
LEAVES = {"__init__", "text", "paths", "settings"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _domain_imports(path: Path, modules: set[str]) -> set[str]:
    """Every trustcycle module `path` imports, at any depth of the file (lazy imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules}


def _graph() -> dict[str, set[str]]:
    paths = [p for p in (ROOT / "trustcycle").rglob("*.py") if "migrations" not in p.parts]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _domain_imports(p, modules) - {_module_name(p)} for p in paths}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_module_of_the_domain_package_imports_itself_through_a_circle() -> None:
    graph = _graph()
    circles = []
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            module = stack.pop()
            if module == start:
                circles.append(start)
                break
            if module not in seen:
                seen.add(module)
                stack.extend(graph.get(module, ()))
    assert circles == []


def test_the_parts_import_in_one_direction() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = sorted(
        f"{module} -> {dep}"
        for module, deps in _graph().items()
        if _part(module) not in {"cli", "__main__"} | LEAVES
        for dep in deps
        if _part(dep) not in LEAVES
        and _part(dep) != _part(module)
        and rank.get(_part(dep), 99) > rank.get(_part(module), -1)
    )
    assert upward == []


def test_the_calendar_chasing_and_papers_are_packages() -> None:
    for part in ("calendar", "chasing", "papers"):
        assert (ROOT / "trustcycle" / part / "__init__.py").is_file()
    assert not (ROOT / "trustcycle" / "timeline.py").exists()
    assert not (ROOT / "trustcycle" / "requests.py").exists()
