"""The simulation layer and the model below it never import the layers above (not even inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aztec_econ"
ABOVE_SIMULATION = ("analysis", "sweep", "publish", "cli")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its syntax tree."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize(
    "path",
    [PACKAGE / "simulation.py", *sorted((PACKAGE / "model").rglob("*.py"))],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_simulation_and_model_do_not_import_upwards(path: Path) -> None:
    upward = {
        name
        for name in imported_modules(path)
        if name.split(".")[:2] in (["aztec_econ", layer] for layer in ABOVE_SIMULATION)
    }
    assert not upward, f"{path.name} imports {sorted(upward)}"
