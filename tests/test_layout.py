"""The layout's import rules, read from the code itself (every import, at any depth).

- The bottom (`types`, `errors`, `text`, `urls`, `config`, `owners`) imports no stage, no worker and
  no store.
- A stage imports only the bottom and the stages before it in the flow
  (http -> feeds -> extract -> dedup); never the worker, the command line or the store.
- `storage` imports only the bottom of `ingest`, never a stage or the worker.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOTTOM = {
    "ingest.types",
    "ingest.errors",
    "ingest.text",
    "ingest.urls",
    "ingest.config",
    "ingest.owners",
}
STAGES = ["ingest.http", "ingest.feeds", "ingest.extract", "ingest.dedup"]  # in flow order


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The project modules `path` imports (absolute imports of `ingest` and `storage`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in ("ingest", "storage"))
    return found


def modules(package: str) -> list[Path]:
    folder = ROOT.joinpath(*package.split("."))
    return sorted(folder.rglob("*.py")) if folder.is_dir() else [folder.with_suffix(".py")]


def within(name: str, packages: set[str] | list[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_layout_has_every_stage_and_the_bottom() -> None:
    for package in STAGES + ["ingest.worker", "storage"]:
        init = ROOT.joinpath(*package.split("."), "__init__.py")
        assert init.exists(), package
        assert ast.get_docstring(ast.parse(init.read_text())), f"{package} needs a docstring"
    for module in BOTTOM:
        assert ROOT.joinpath(*module.split(".")).with_suffix(".py").exists(), module


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_the_bottom_imports_no_stage_worker_or_store(module: str) -> None:
    for path in modules(module):
        for name in imports_of(path):
            assert within(name, BOTTOM | {"ingest"}), f"{module_name(path)} imports {name}"


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_the_bottom_and_earlier_stages(stage: str) -> None:
    allowed = BOTTOM | set(STAGES[: STAGES.index(stage) + 1])
    for path in modules(stage):
        for name in imports_of(path):
            assert within(name, allowed), f"{module_name(path)} imports {name}"


def test_storage_imports_no_stage_and_no_worker() -> None:
    for path in modules("storage"):
        for name in imports_of(path):
            if name.startswith("ingest"):
                assert within(name, BOTTOM), f"{module_name(path)} imports {name}"


def test_the_rules_see_a_violation(tmp_path: Path) -> None:
    """The checker itself: an upward import inside a function is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from ingest.worker.pipeline import Pipeline\n")
    assert "ingest.worker.pipeline" in imports_of(sample)
    assert not within("ingest.worker.pipeline", BOTTOM | set(STAGES))


def test_only_storage_speaks_to_the_database() -> None:
    """No transaction is opened, and no database kind is checked, outside `storage/`: no
    module of `ingest` imports SQLAlchemy or a database driver."""
    for path in modules("ingest"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in ("sqlalchemy", "psycopg", "sqlite3"), module_name(path)
