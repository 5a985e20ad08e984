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
