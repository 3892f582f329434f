"""The shape of the code: imports point down the floors, no module borrows another's private
names, no class grows past 250 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The floors of the library, lowest first: a module imports (at run time) only from lower
#: floors or from its own unit (the first part of its name below lcgis).
FLOORS: dict[str, float] = {
    "vocab": 0,
    "errors": 0,
    "progress": 0,
    "collector": 0,
    "data": 1,
    "plans": 1.5,
    "rules": 2,
    "engine": 3,
    "access": 3,
    "registry": 3,
    "demo": 3,
    "synthetic": 3,
    "views": 4,
    "review": 5,
    "plan": 5,
    "arguments": 5.5,
    "papers": 6,
    "cli": 7,
    "pipeline": 7,
    "__main__": 8,
    "__init__": 7,
}
MAX_CLASS_LINES = 250


def _modules(*folders: str) -> list[Path]:
    return [p for f in folders for p in sorted((ROOT / f).rglob("*.py"))]


def _unit(path: Path) -> str:
    """``lcgis/engine/land.py`` -> ``engine``; ``lcgis/rules.py`` -> ``rules``."""
    parts = path.relative_to(ROOT / "lcgis").with_suffix("").parts
    return parts[0]


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import outside ``if TYPE_CHECKING:`` blocks (function-level imports count)."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _targets(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        return ["." * node.level + (node.module or "")]
    if node.module == "lcgis":  # from lcgis import papers, review
        return [f"lcgis.{a.name}" for a in node.names]
    return [node.module or ""]


def test_every_unit_has_a_floor() -> None:
    units = {_unit(p) for p in _modules("lcgis")}
    assert units <= set(FLOORS), f"give these a floor: {sorted(units - set(FLOORS))}"


@pytest.mark.parametrize("path", _modules("lcgis"), ids=lambda p: str(p.relative_to(ROOT)))
def test_library_imports_point_down(path: Path) -> None:
    unit = _unit(path)
    wrong = []
    for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
        for target in _targets(node):
            if target.startswith("."):
                wrong.append(f"{target}: relative import (write lcgis.…)")
                continue
            top = target.split(".")[0]
            if top in ("streamlit", "ui", "app_pages", "app"):
                wrong.append(f"{target}: the library never imports the user interface")
            if top != "lcgis" or target == "lcgis":
                continue
            other = target.split(".")[1]
            if other != unit and FLOORS[other] >= FLOORS[unit]:
                wrong.append(f"{target}: floor {FLOORS[other]} is not below {unit}'s")
    assert wrong == [], f"{path.relative_to(ROOT)}: {wrong}"


def test_ui_never_imports_the_pages() -> None:
    wrong = [
        f"{p.relative_to(ROOT)}: {t}"
        for p in _modules("ui")
        for n in _runtime_imports(ast.parse(p.read_text(encoding="utf-8")))
        for t in _targets(n)
        if t.split(".")[0] in ("app_pages", "app")
    ]
    assert wrong == []


def test_no_module_imports_another_modules_private_names() -> None:
    """A name with a leading underscore stays in its module (``import x as _x`` is fine)."""
    wrong = []
    for path in [*_modules("lcgis", "ui", "app_pages"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                "lcgis",
                "ui",
            ):
                wrong += [
                    f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert wrong == []


def test_no_class_is_over_a_quarter_thousand_lines() -> None:
    long = [
        f"{p.relative_to(ROOT)}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)"
        for p in _modules("lcgis", "ui")
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.ClassDef)
        and n.end_lineno is not None
        and n.end_lineno - n.lineno + 1 > MAX_CLASS_LINES
    ]
    assert long == []


def test_the_floor_check_catches_an_upward_import() -> None:
    """The check itself: an engine module importing a view is reported."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from lcgis.views.report import write\n"
        "def f():\n    from lcgis.views import maps\n"
    )
    targets = [t for n in _runtime_imports(tree) for t in _targets(n)]
    assert targets == ["typing", "lcgis.views"]
    assert FLOORS["views"] >= FLOORS["engine"]


def test_the_public_entry_points_stay_where_scripts_find_them() -> None:
    """``lcgis.pipeline.run`` and ``python -m lcgis`` survive the move into floors."""
    import lcgis.__main__  # noqa: F401  (python -m lcgis)
    from lcgis import engine, pipeline
    from lcgis.cli import main

    assert pipeline.run is engine.pipeline.run and pipeline.Result is engine.pipeline.Result
    assert main(["validate", str(ROOT / "data")]) == 0
