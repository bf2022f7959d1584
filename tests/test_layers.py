"""Import arrows point down: `files` imports nothing from the package, and no layer below `publish` imports `publish`
or `cli`, not even lazily inside a function (every `import` statement of a module counts, wherever it is)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "aztec_econ"
BELOW_PUBLISH = ("params", "model", "simulation", "analysis", "sweep")


def imported(path: Path) -> set[str]:
    """Every `aztec_econ` module a file imports, at any depth of its syntax tree."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n for n in names if n == "aztec_econ" or n.startswith("aztec_econ.")}


def modules(layer: str) -> list[Path]:
    package = PACKAGE / layer
    return sorted(package.rglob("*.py")) if package.is_dir() else [PACKAGE / f"{layer}.py"]


def test_files_imports_nothing_from_the_package() -> None:
    assert imported(PACKAGE / "files.py") == set()


@pytest.mark.parametrize("layer", BELOW_PUBLISH)
def test_layers_below_publish_never_import_publish_or_cli(layer: str) -> None:
    upward = {
        f"{path.relative_to(PACKAGE)} -> {name}"
        for path in modules(layer)
        for name in imported(path)
        if name.startswith(("aztec_econ.publish", "aztec_econ.cli"))
    }
    assert not upward
