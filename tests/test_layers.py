"""Architecture guards: imports point only down the layers, there are no import cycles, and every module imports
on its own in a fresh interpreter.

Layers, lowest first; a module may import modules of its own layer or of a lower one:

    base        `aztec_econ` (the facade `__init__`) and `aztec_econ.files`
    params      `aztec_econ.params`
    model       `aztec_econ.model`
    simulation  `aztec_econ.simulation`, `aztec_econ.column_store`, `aztec_econ.allocator`
    analysis    `aztec_econ.analysis` and `aztec_econ.equilibrium` (the free-entry solver)
    sweep       `aztec_econ.sweep`
    publish     `aztec_econ.publish`
    cli         `aztec_econ.cli`

Every import statement counts for the layers, wherever it stands: at module level, inside functions, under
`if TYPE_CHECKING:`, relative or absolute. For cycles, imports under `if TYPE_CHECKING:` do not count: they never run,
and they are how a mechanism's step names the typed `State` that in turn names the mechanism's own state types. `importlib.import_module("aztec_econ...")` / `__import__` calls with a literal name count too,
except in the facade `aztec_econ/__init__.py`, whose lazy re-exports are its documented job; `from aztec_econ import
simulate` elsewhere counts as an import of the module the facade re-exports it from.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import subprocess
import sys
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import aztec_econ

PACKAGE = "aztec_econ"
PACKAGE_DIR = Path(aztec_econ.__file__).resolve().parent
ROOT = PACKAGE_DIR.parent

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", (PACKAGE, f"{PACKAGE}.files")),  # `files` may not exist yet
    ("params", (f"{PACKAGE}.params",)),
    ("model", (f"{PACKAGE}.model",)),
    ("simulation", (f"{PACKAGE}.simulation", f"{PACKAGE}.column_store", f"{PACKAGE}.allocator")),
    ("analysis", (f"{PACKAGE}.analysis", f"{PACKAGE}.equilibrium")),
    ("sweep", (f"{PACKAGE}.sweep",)),
    ("publish", (f"{PACKAGE}.publish",)),
    ("cli", (f"{PACKAGE}.cli",)),
)
LAYER_NAMES = [name for name, _ in LAYERS]
DYNAMIC_IMPORTERS = {"import_module", "__import__"}


def layer_of(module: str) -> int | None:
    """The rank of `module`'s layer (0 = lowest), or None if it belongs to none. The root matches only itself."""
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != PACKAGE and module.startswith(prefix + ".")):
                return rank
    return None


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    typing_only: bool = False


def discover_modules() -> dict[str, Module]:
    """Every importable module under aztec_econ/, by walking the files (directories without `__init__.py`, such as
    publish/templates, are data, not packages)."""
    modules: dict[str, Module] = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if not all((ROOT.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
            continue
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        modules[name] = Module(name, path, is_package)
    return modules


def facade_exports(source: str) -> dict[str, str]:
    """The facade's `_EXPORTS` table (re-exported name -> module), read from its source without importing it."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if (
                any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets)
                and node.value is not None
            ):
                return dict(ast.literal_eval(node.value))
    return {}


def _relative_base(module: str, is_package: bool, level: int, line: int) -> str:
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level - 1 >= len(parts):
        raise ValueError(f"{module}:{line}: relative import beyond the top-level package")
    return ".".join(parts[: len(parts) - (level - 1)])


def _dynamic_target(node: ast.Call) -> str | None:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
    if name in DYNAMIC_IMPORTERS and node.args:
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and not arg.value.startswith("."):
            return arg.value
    return None


def parse_imports(
    module: str, is_package: bool, source: str, known: Mapping[str, object], exports: Mapping[str, str]
) -> Iterator[Import]:
    """Every `aztec_econ` import in `source` (module `module`), resolved to the module it loads: `from pkg import name`
    targets `pkg.name` when that is a module, else `pkg` (or, for the facade, the module `name` is re-exported from)."""
    tree = ast.parse(source, filename=module)
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _relative_base(module, is_package, node.level, node.lineno)
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    targets.append(submodule)
                elif base == PACKAGE and alias.name in exports:
                    targets.append(exports[alias.name])
                else:
                    targets.append(base)
        elif isinstance(node, ast.Call) and module != PACKAGE:  # the facade's lazy re-exports are allowed
            target = _dynamic_target(node)
            targets = [target] if target else []
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                yield Import(module, target, getattr(node, "lineno", 0), id(node) in typing_only)


@dataclass(frozen=True)
class Graph:
    modules: dict[str, Module]
    edges: dict[tuple[str, str], list[int]]  # (importer, imported) -> line numbers
    runtime: frozenset[tuple[str, str]]  # edges with at least one import outside `if TYPE_CHECKING:`

    def where(self, edge: tuple[str, str]) -> str:
        lines = ", ".join(str(n) for n in sorted(set(self.edges[edge])))
        return f"[{self.modules[edge[0]].path.relative_to(ROOT)}:{lines}]"

    def describe(self, edge: tuple[str, str]) -> str:
        source, target = edge
        ranks = layer_of(source), layer_of(target)
        layers = " -> ".join("?" if r is None else LAYER_NAMES[r] for r in ranks)
        return f"{source} -> {target} ({layers}) {self.where(edge)}"


@functools.cache
def import_graph() -> Graph:
    modules = discover_modules()
    exports = facade_exports(modules[PACKAGE].path.read_text())
    edges: dict[tuple[str, str], list[int]] = defaultdict(list)
    runtime: set[tuple[str, str]] = set()
    for module in modules.values():
        for imp in parse_imports(module.name, module.is_package, module.path.read_text(), modules, exports):
            edges[(imp.source, imp.target)].append(imp.line)
            if not imp.typing_only:
                runtime.add((imp.source, imp.target))
    return Graph(modules, dict(edges), frozenset(runtime))


def strongly_connected(nodes: Sequence[str], successors: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in successors.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in nodes:
        if node not in index:
            visit(node)
    return components


def shortest_cycle(start: str, members: set[str], successors: Mapping[str, Sequence[str]]) -> list[str]:
    """A shortest cycle through `start` inside one strongly connected component."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in successors.get(node, ()):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if succ in members and succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise AssertionError(f"no cycle through {start}")  # unreachable for a non-trivial component


def assert_graph_is_real(graph: Graph) -> None:
    """Guard against passing vacuously: the walk found the package, and the parse found its imports."""
    assert len(graph.modules) > 20, sorted(graph.modules)
    for name in (PACKAGE, f"{PACKAGE}.model.blocks", f"{PACKAGE}.simulation", f"{PACKAGE}.cli"):
        assert name in graph.modules, f"{name} not discovered under {PACKAGE_DIR}"
    assert len(graph.edges) > len(graph.modules), f"only {len(graph.edges)} import edges found"
    assert any(source == f"{PACKAGE}.cli" for source, _ in graph.edges), "no imports found in aztec_econ.cli"
    for rank, name in enumerate(LAYER_NAMES):
        assert any(layer_of(m) == rank for m in graph.modules), (
            f"layer {name} has no modules: LAYERS is stale"
        )


def test_import_parser_sees_every_form() -> None:
    """The parser on a synthetic module: relative, nested, TYPE_CHECKING, facade and dynamic imports all count."""
    source = """
import os
import aztec_econ.params
from . import blocks
from .mechanisms import fees
from .. import simulation
from ..params import Params
from aztec_econ import simulate, __version__
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from aztec_econ.analysis import kpis
def later():
    import importlib
    from aztec_econ.sweep.spec import SweepSpec
    importlib.import_module("aztec_econ.publish")
"""
    known = dict.fromkeys(
        [PACKAGE, *(f"{PACKAGE}.{m}" for m in ("params", "model", "model.blocks", "model.mechanisms"))]
        + [f"{PACKAGE}.{m}" for m in ("model.mechanisms.fees", "simulation", "analysis", "analysis.kpis")]
        + [f"{PACKAGE}.{m}" for m in ("sweep", "sweep.spec", "publish")]
    )
    found = {
        (imp.target, imp.line)
        for imp in parse_imports(
            f"{PACKAGE}.model.fake", False, source, known, {"simulate": f"{PACKAGE}.simulation"}
        )
    }
    assert found == {
        (f"{PACKAGE}.params", 3),
        (f"{PACKAGE}.model.blocks", 4),
        (f"{PACKAGE}.model.mechanisms.fees", 5),
        (f"{PACKAGE}.simulation", 6),
        (f"{PACKAGE}.params", 7),
        (f"{PACKAGE}.simulation", 8),
        (PACKAGE, 8),
        (f"{PACKAGE}.analysis.kpis", 11),
        (f"{PACKAGE}.sweep.spec", 14),
        (f"{PACKAGE}.publish", 15),
    }
    typing_only = {
        imp.target
        for imp in parse_imports(
            f"{PACKAGE}.model.fake", False, source, known, {"simulate": f"{PACKAGE}.simulation"}
        )
        if imp.typing_only
    }
    assert typing_only == {f"{PACKAGE}.analysis.kpis"}
    # The same relative imports from a package's __init__ resolve against the package itself.
    assert {
        imp.target for imp in parse_imports(f"{PACKAGE}.model", True, "from . import blocks", known, {})
    } == {f"{PACKAGE}.model.blocks"}
    # The facade's own lazy imports are its job and are not counted.
    facade = 'from importlib import import_module\nimport_module("aztec_econ.simulation")'
    assert list(parse_imports(PACKAGE, True, facade, known, {})) == []


def test_imports_point_down() -> None:
    """Every aztec_econ import targets a module of the same layer or a lower one."""
    graph = import_graph()
    assert_graph_is_real(graph)
    problems = [f"{m} belongs to no layer: add it to LAYERS" for m in graph.modules if layer_of(m) is None]
    upward: list[str] = []
    for edge in sorted(graph.edges):
        source, target = edge
        if target not in graph.modules:
            problems.append(f"{source} -> {target} (no such module under {PACKAGE_DIR}) {graph.where(edge)}")
            continue
        source_rank, target_rank = layer_of(source), layer_of(target)
        if source_rank is not None and target_rank is not None and target_rank > source_rank:
            upward.append(graph.describe(edge))
    problems += upward
    if problems:
        pytest.fail(
            f"{len(upward)} upward import(s), {len(problems) - len(upward)} other layering problem(s):\n"
            + "\n".join(problems),
            pytrace=False,
        )


def test_no_import_cycles() -> None:
    """The module import graph (every import that can run, wherever it stands) is acyclic."""
    graph = import_graph()
    assert_graph_is_real(graph)
    assert len(graph.runtime) < len(graph.edges)  # the typed State is named under TYPE_CHECKING
    successors: dict[str, list[str]] = defaultdict(list)
    for source, target in sorted(graph.runtime):
        if target in graph.modules:
            successors[source].append(target)
    reports: list[str] = []
    for component in strongly_connected(sorted(graph.modules), successors):
        members = set(component)
        if len(component) == 1 and component[0] not in successors.get(component[0], ()):
            continue
        cycle = shortest_cycle(component[0], members, successors)
        inside = [e for e in sorted(graph.runtime) if e[0] in members and e[1] in members]
        reports.append(
            f"import cycle among {len(component)} module(s): {', '.join(component)}\n"
            f"  e.g. {' -> '.join(cycle)}\n"
            "  edges inside it (break enough of them):\n"
            + "\n".join(f"    {graph.describe(e)}" for e in inside)
        )
    if reports:
        pytest.fail(f"{len(reports)} import cycle(s):\n" + "\n".join(reports), pytrace=False)


def _fresh_env() -> dict[str, str]:
    """The environment for a fresh interpreter that imports this checkout's aztec_econ."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _run_fresh(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_fresh_env(),
        timeout=timeout,
        check=False,
    )


def _import_alone(module: str) -> str | None:
    """Import `module` in a fresh interpreter; None if it imports (from this checkout), else why not."""
    code = (
        f"import {module} as m\n"
        "import pathlib, sys\n"
        f"if not pathlib.Path(m.__file__).resolve().is_relative_to({str(PACKAGE_DIR)!r}):\n"
        "    sys.exit(f'imported from {m.__file__}')\n"
    )
    try:
        result = _run_fresh(code)
    except subprocess.TimeoutExpired as exc:
        return f"timed out after {exc.timeout} s"
    if result.returncode == 0:
        return None
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


@pytest.mark.slow
def test_every_module_imports_on_its_own() -> None:
    """Each module imports in a fresh interpreter, so nothing relies on another module having been imported first."""
    modules = sorted(discover_modules())
    assert len(modules) > 20 and {f"{PACKAGE}.model.blocks", f"{PACKAGE}.cli"} <= set(modules), modules
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = {m: why for m, why in zip(modules, pool.map(_import_alone, modules), strict=True) if why}
    if failures:
        listing = "\n".join(f"  {m}: {why}" for m, why in failures.items())
        pytest.fail(
            f"{len(failures)} of {len(modules)} modules fail to import alone:\n{listing}", pytrace=False
        )


def test_simulation_does_not_load_upper_layers() -> None:
    """Importing the simulation loads nothing from analysis, sweep or publish."""
    code = (
        "import json, sys\n"
        "import aztec_econ.simulation\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'aztec_econ' or m.startswith('aztec_econ.'))))\n"
    )
    result = _run_fresh(code)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert {f"{PACKAGE}.simulation", f"{PACKAGE}.model.blocks", f"{PACKAGE}.params"} <= set(loaded), loaded
    upper = {LAYER_NAMES.index(name) for name in ("analysis", "sweep", "publish")}
    offending = [m for m in loaded if layer_of(m) in upper]
    assert not offending, f"importing aztec_econ.simulation loads: {', '.join(offending)}"
