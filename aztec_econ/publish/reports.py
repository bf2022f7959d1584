"""Execute notebooks with papermill and publish them as self-contained HTML reports with an index.

Three building blocks, usable without the CLI (and from a Dask worker: nothing here needs a shared file system):

- `execute_notebook(notebook, parameters, out_dir=None)` runs a notebook (`.ipynb`, a jupytext percent `.py`, or a
  notebook node) on the project kernel and returns an `ExecutedNotebook` holding the executed notebook as bytes, its
  glued KPIs, and its status and error. It never raises for an error inside the notebook.
- `read_glued(...)` (from `aztec_econ.publish.glue`) reads the glued values of any executed notebook.
- `render_html(executed)` exports an executed notebook to one offline HTML page: code hidden, plotly charts embedded
  with plotly.js, a header (title, parameters, seed, package version, date) and, if it failed, an error banner
  showing the failing cell and its traceback at the top.

`build_report(...)` chains them and maintains `out_dir/index.json` and `index.html` (`aztec_econ.publish.index`).
A failed run never replaces an earlier good report of the same name unless `overwrite_failed` is set: it is written
as `NAME.failed.html` beside it. A report's page, executed notebook and index entry are replaced as a unit, under
the index lock (`aztec_econ.files.replace_together`): a process killed at any moment leaves the old report or the
new one, never a mix, and no partial files.

Parameters are checked before a kernel starts (`parameter_problems`, `aztec-econ report`): papermill writes their
names into code, so a name must be a Python identifier the notebook's `parameters` cell assigns, and each value must
have its default's type; the model parameters they resolve to are validated as `setup` would.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import difflib
import json
import keyword
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from aztec_econ.files import atomic_write, check_output_dir, replace_together
from aztec_econ.params import PROJECT_ROOT, ParamsError, parse_yaml, show_value
from aztec_econ.publish.glue import GLUE_MIMETYPE, PARAMS_GLUE, read_glued
from aztec_econ.publish.index import (
    ReportEntry,
    esc,
    format_value,
    headline_kpis,
    index_files,
    index_lock,
    read_index,
)

KERNEL = "aztec-econ"
"""Jupyter kernel the notebooks run on (installed into the virtual environment by `make`, or by `ensure_kernel`)."""
TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_TIMEOUT = 600.0
"""Longest a single cell may run [seconds]."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def ensure_kernel(name: str = KERNEL) -> str:
    """Make sure the kernel `name` exists; the project kernel is installed into this environment if missing."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    if name != KERNEL:
        raise LookupError(f"no Jupyter kernel named {name!r}")
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name="Python (aztec-econ)", prefix=sys.prefix)
    return name


def load_notebook(notebook: str | Path | NotebookNode) -> NotebookNode:
    """A notebook node from an `.ipynb` file, a jupytext script (`.py`, percent format), or a node (copied)."""
    if isinstance(notebook, NotebookNode):
        return nbformat.from_dict(json.loads(json.dumps(notebook)))
    path = Path(notebook)
    if path.suffix == ".py":
        import jupytext

        return jupytext.read(path)
    return nbformat.read(str(path), as_version=4)


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes (tracebacks from IPython carry them)."""
    return _ANSI.sub("", text)


@dataclass
class ExecutedNotebook:
    """The outcome of one notebook execution; picklable, with the executed notebook held as bytes (`ipynb`).

    `status` is "ok" or "failed"; on failure `error` is the error name, message and traceback (plain text),
    `failed_cell` the index of the failing cell in `notebook` and `failed_source` its source.
    """

    name: str
    source: str
    parameters: dict[str, Any]
    ipynb: bytes
    status: str
    kpis: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    failed_cell: int | None = None
    failed_source: str | None = None
    duration_s: float = 0.0
    date: str = ""
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def notebook(self) -> NotebookNode:
        """The executed notebook (parsed from `ipynb`)."""
        return nbformat.reads(self.ipynb.decode("utf-8"), as_version=4)

    @property
    def params(self) -> dict[str, Any]:
        """The resolved model parameters glued by `aztec_econ.publish.notebook.setup` (flat dotted names), if any."""
        value = self.kpis.get(PARAMS_GLUE)
        return value if isinstance(value, dict) else {}

    @classmethod
    def from_ipynb(cls, notebook: str | Path | bytes, name: str | None = None) -> ExecutedNotebook:
        """Rebuild the outcome from an executed notebook file or its bytes (status and error from its outputs)."""
        raw = Path(notebook).read_bytes() if isinstance(notebook, str | Path) else notebook
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        pm = nb.metadata.get("papermill", {})
        default = Path(notebook).stem if isinstance(notebook, str | Path) else "notebook"
        result = cls(
            name=name or default,
            source=str(pm.get("input_path") or default),
            parameters=dict(pm.get("parameters") or {}),
            ipynb=raw,
            status="ok",
            kpis=read_glued(nb),
            duration_s=float(pm.get("duration") or 0.0),
            date=str(pm.get("start_time") or ""),
            path=Path(notebook) if isinstance(notebook, str | Path) else None,
        )
        result._find_error(nb)
        return result

    def _find_error(self, nb: NotebookNode) -> None:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "papermill-error-cell-tag" in cell.metadata.get("tags", []):
                continue
            for output in cell.get("outputs", []):
                if output.output_type == "error" and not (
                    output.ename == "SystemExit" and output.evalue in ("", "0")
                ):
                    trace = strip_ansi("\n".join(output.get("traceback", [])))
                    self._fail(f"{output.ename}: {output.evalue}\n\n{trace}".rstrip(), index, cell.source)
                    return
            if cell.metadata.get("papermill", {}).get("exception"):
                self._fail("the cell did not finish (timeout or dead kernel)", index, cell.source)
                return

    def _fail(self, error: str, cell: int | None, source: str | None) -> None:
        self.status, self.error, self.failed_cell, self.failed_source = "failed", error, cell, source


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def execute_notebook(
    notebook: str | Path | NotebookNode,
    parameters: Mapping[str, Any] | None = None,
    out_dir: str | Path | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    kernel_name: str = KERNEL,
    name: str | None = None,
    cwd: str | Path | None = None,
) -> ExecutedNotebook:
    """Execute `notebook` with papermill on `kernel_name`, injecting `parameters` after its `parameters` cell.

    Errors inside the notebook (including a cell running past `timeout` seconds) give `status == "failed"`, not an
    exception. If `out_dir` is given the executed notebook is also written (atomically) to `out_dir/NAME.ipynb`.
    The working directory is `cwd` (default: the project root, so relative parameter files resolve there).
    """
    import papermill as pm

    source = load_notebook(notebook)
    label = str(notebook) if isinstance(notebook, str | Path) else "<notebook node>"
    stem = name or (Path(notebook).stem if isinstance(notebook, str | Path) else "notebook")
    given = dict(parameters or {})
    bad = [n for n in given if not is_parameter_name(n)]
    if bad:  # papermill writes names into the injected cell as code
        raise ValueError(
            f"notebook parameter {bad[0][:60]!r}: not a Python identifier (names are written as code)"
        )
    started, date = time.perf_counter(), _now()
    with tempfile.TemporaryDirectory(prefix="aztec-econ-nb-") as tmp:
        output = Path(tmp) / f"{stem}.ipynb"
        problem: str | None = None
        try:
            pm.execute_notebook(
                source,
                str(output),
                parameters=given,
                kernel_name=ensure_kernel(kernel_name),
                language="python",
                execution_timeout=timeout,
                progress_bar=False,
                cwd=str(cwd or PROJECT_ROOT),
            )
        except pm.PapermillExecutionError:
            pass  # the error is in the written notebook's outputs
        except Exception as err:  # timeout, dead kernel, kernel start failure: keep whatever was written
            problem = f"{type(err).__name__}: {strip_ansi(str(err))}"
        raw = output.read_bytes() if output.is_file() else nbformat.writes(source).encode("utf-8")
    result = ExecutedNotebook.from_ipynb(raw, name=stem)
    result.source, result.parameters, result.date = label, given, date
    result.duration_s = time.perf_counter() - started
    if problem is not None and result.ok:
        result._fail(problem, None, None)
    elif result.error and result.error.startswith(
        "KeyboardInterrupt"
    ):  # nbclient interrupts a cell at its timeout
        result.error = (
            f"Timeout: the cell ran past the {timeout:g} s limit and was interrupted\n\n{result.error}"
        )
    if out_dir is not None:
        result.path = atomic_write(Path(out_dir) / f"{stem}.ipynb", raw)
    return result


# ---------------------------------------------------------------------------------------------------------------------
# Notebook parameters, checked before a kernel starts


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of a notebook's `parameters` cell: its name and its default (`literal`: the default is a
    Python literal, so its type is known)."""

    name: str
    default: Any
    literal: bool


def is_parameter_name(name: Any) -> bool:
    """Whether `name` may be a notebook parameter: a Python identifier that is not a keyword."""
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def notebook_parameters(nb: NotebookNode) -> dict[str, NotebookParameter]:
    """The names the notebook's cell tagged `parameters` assigns, with their literal defaults, in order; nothing is
    executed (the cell is parsed). Empty if there is no such cell."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            source = cell.source
            break
    else:
        return {}
    found: dict[str, NotebookParameter] = {}
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        target = node.target if isinstance(node, ast.AnnAssign) else target
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if not isinstance(target, ast.Name) or value is None:
            continue
        try:
            default, literal = ast.literal_eval(value), True
        except (ValueError, TypeError, SyntaxError):
            default, literal = None, False
        found[target.id] = NotebookParameter(target.id, default, literal)
    return found


def _type_problem(value: Any, default: Any) -> str | None:
    """Why `value` cannot replace the literal `default` (None: it can). None defaults accept anything."""
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, int):
        return None if isinstance(value, int) and not isinstance(value, bool) else "must be an integer"
    if isinstance(default, float):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return None if number else "must be a number"
    if isinstance(default, str):
        return None if isinstance(value, str) else "must be a text"
    if isinstance(default, dict):
        return None if isinstance(value, dict) else "must be a mapping ({name: value, ...})"
    if isinstance(default, list | tuple):
        if not isinstance(value, list):
            return "must be a list ([a, b, ...])"
        kinds = {type(x) for x in default}
        if len(kinds) == 1 and default:
            for item in value:
                problem = _type_problem(item, default[0])
                if problem:
                    return f"every element {problem}"
    return None


def parameter_problems(notebook: str | Path, nb: NotebookNode, given: Mapping[str, Any]) -> list[str]:
    """Problems of `given` papermill parameters for `nb` (from `notebook`): names that are not identifiers or not
    in its parameters cell (listing those), values whose type differs from the default's."""
    declared = notebook_parameters(nb)
    listing = (
        ", ".join(f"{n} (default {show_value(p.default)})" if p.literal else n for n, p in declared.items())
        or "none: it has no cell tagged 'parameters'"
    )
    problems = []
    for name, value in given.items():
        if not is_parameter_name(name):
            problems.append(
                f"-p {str(name)[:60]!r}: not a parameter name (a Python identifier); {notebook} takes: {listing}"
            )
        elif name not in declared:
            hint = difflib.get_close_matches(name, list(declared), n=1)
            guess = f"did you mean '{hint[0]}'? " if hint else ""
            problems.append(
                f"-p {name} = {show_value(value)}: {notebook} has no such parameter ({guess}it takes: {listing})"
            )
        elif declared[name].literal:
            problem = _type_problem(value, declared[name].default)
            if problem:
                problems.append(
                    f"-p {name} = {show_value(value)}: {problem} (the notebook's default is "
                    f"{show_value(declared[name].default)})"
                )
    return problems


def check_parameters(notebook: str | Path, given: Mapping[str, Any]) -> None:
    """Raise `ParamsError` unless `given` are valid parameters of `notebook` (`parameter_problems`) and, where the
    notebook takes `setup`'s parameters (`params_file`, `overrides`, `slots`, `runs`, `seed`), they resolve to valid
    model parameters that fit in memory (`aztec_econ.publish.notebook.resolve_parameters`)."""
    from aztec_econ.publish.notebook import resolve_parameters

    try:
        nb = load_notebook(notebook)
    except Exception as err:  # jupytext and nbformat raise many kinds
        raise ParamsError(
            [f"notebook {notebook}: cannot be read as a notebook ({type(err).__name__})"]
        ) from None
    problems = parameter_problems(notebook, nb, given)
    if problems:
        raise ParamsError(problems, f"parameters of {notebook}")
    declared = notebook_parameters(nb)
    if not {"params_file", "overrides"} <= set(declared):
        return
    merged = {n: p.default for n, p in declared.items() if p.literal} | dict(given)
    overrides = merged.get("overrides") or {}
    params_file = merged.get("params_file")
    if not isinstance(overrides, dict) or not (params_file is None or isinstance(params_file, str)):
        return  # a notebook with other meanings for these names
    resolve_parameters(
        params_file,
        overrides,
        slots=merged.get("slots"),
        runs=merged.get("runs"),
        seed=merged.get("seed"),
    )


def package_version() -> str:
    """The installed package version, with the git commit of the checkout when available (`+dirty` if modified)."""
    version = metadata.version("aztec-econ")
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version} ({commit})" if commit else version


def notebook_title(nb: NotebookNode, default: str) -> str:
    """The first level-1 Markdown heading of a notebook, or `default`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def _rows(values: Mapping[str, Any]) -> str:
    return "".join(
        f"<tr><th><code>{esc(k)}</code></th><td><code>{esc(format_value(v))}</code></td></tr>"
        for k, v in values.items()
    )


def _header(executed: ExecutedNotebook, title: str, version: str) -> str:
    seed = executed.params.get("sim.seed", executed.parameters.get("seed", "notebook default"))
    status = "ok" if executed.ok else "FAILED"
    given = executed.parameters or {"(none)": "notebook defaults"}
    kpis = headline_kpis(executed.kpis)
    parts = [
        '<header class="aztec-header">',
        f"<h1>{esc(title)}</h1>",
        "<table>",
        f"<tr><th>notebook</th><td><code>{esc(executed.source)}</code></td></tr>",
        f"<tr><th>status</th><td>{esc(status)}</td></tr>",
        f"<tr><th>seed</th><td><code>{esc(format_value(seed))}</code></td></tr>",
        f"<tr><th>package</th><td>aztec-econ {esc(version)}</td></tr>",
        f"<tr><th>date (UTC)</th><td>{esc(executed.date)} · ran {executed.duration_s:.1f} s</td></tr>",
        "</table>",
        f"<details open><summary>parameters given</summary><table>{_rows(given)}</table></details>",
    ]
    if executed.params:
        parts.append(
            f"<details><summary>resolved model parameters</summary><table>{_rows(executed.params)}</table></details>"
        )
    if kpis:
        parts.append(f"<details open><summary>headline KPIs</summary><table>{_rows(kpis)}</table></details>")
    parts.append("</header>")
    if not executed.ok:
        where = f"cell {executed.failed_cell}" if executed.failed_cell is not None else "the run"
        parts += [
            '<section class="aztec-error-banner" role="alert">',
            f"<h2>This notebook failed in {esc(where)}</h2>",
            f"<p>{esc((executed.error or '').splitlines()[0] if executed.error else 'unknown error')}</p>",
        ]
        if executed.failed_source is not None:
            parts.append(f"<h3>failing cell</h3><pre>{esc(executed.failed_source)}</pre>")
        parts += [f"<h3>error</h3><pre>{esc(executed.error or '')}</pre>", "</section>"]
    return "\n".join(parts)


def render_html(executed: ExecutedNotebook, title: str | None = None) -> str:
    """One self-contained HTML page of an executed notebook: code hidden, outputs (plotly charts included) kept,
    with a header and, for a failed run, an error banner. Needs no network to display."""
    from nbconvert import HTMLExporter

    nb = executed.notebook
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    for cell in nb.cells:  # glued values have no visible form; dropping them keeps nbconvert from warning
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if GLUE_MIMETYPE not in o.get("data", {})]
    title = title or notebook_title(nb, executed.name)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="aztec_report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {"aztec_header": _header(executed, title, package_version()), "metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return str(body)


def _entry_id(name: str, ok: bool, out: Path, overwrite_failed: bool) -> str:
    if ok or overwrite_failed:
        return name
    earlier = {e.id: e for e in read_index(out)}.get(name)
    return f"{name}.failed" if earlier is not None and earlier.ok else name


def build_report(
    notebook: str | Path,
    parameters: Mapping[str, Any] | None = None,
    params_file: str | Path | None = None,
    out_dir: str | Path = "reports",
    *,
    name: str | None = None,
    title: str | None = None,
    overwrite_failed: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> ReportEntry:
    """Execute `notebook` and publish `out_dir/NAME.html` and `NAME.ipynb`, then rebuild the index.

    `params_file` is passed to the notebook as its `params_file` parameter (made absolute). A failed run is published
    as `NAME.failed.*` when an earlier good report `NAME` exists, unless `overwrite_failed`.
    """
    out = Path(out_dir)
    given = dict(parameters or {})
    if params_file is not None:
        given["params_file"] = str(Path(params_file).resolve())
    stem = name or Path(notebook).stem
    if not _SAFE_NAME.fullmatch(stem) or stem.endswith(".failed"):
        raise ValueError(
            f"report name {stem!r}: use letters, digits, '.', '_' and '-' (not ending in '.failed')"
        )
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError(f"timeout = {timeout!r}: must be a positive number of seconds")
    check_output_dir(out)
    executed = execute_notebook(notebook, given, timeout=timeout, name=stem)
    page = render_html(executed, title)
    with index_lock(out):
        report_id = _entry_id(stem, executed.ok, out, overwrite_failed)
        entry = _entry(report_id, stem, notebook, title, given, executed)
        stale = (f"{stem}.failed",) if report_id == stem else ()
        publish_report(out, entry, page, executed.ipynb, remove=stale)
    return entry


def publish_report(
    out: Path, entry: ReportEntry, page: str, ipynb: bytes = b"", remove: tuple[str, ...] = ()
) -> None:
    """Replace a report's page, executed notebook and index entry (and drop the reports `remove`) as a unit.
    The caller holds `index_lock(out)`."""
    entries = [e for e in read_index(out) if e.id != entry.id and e.id not in remove]
    files: dict[str, str | bytes] = {entry.html: page, **index_files([*entries, entry])}
    if entry.ipynb:
        files[entry.ipynb] = ipynb
    replace_together(out, files)
    for old in remove:
        for suffix in (".html", ".ipynb"):
            (out / f"{old}{suffix}").unlink(missing_ok=True)


def _entry(
    report_id: str,
    stem: str,
    notebook: str | Path,
    title: str | None,
    given: dict[str, Any],
    executed: ExecutedNotebook,
) -> ReportEntry:
    return ReportEntry(
        id=report_id,
        name=stem,
        title=title or notebook_title(executed.notebook, stem),
        notebook=str(notebook),
        status=executed.status,
        date=executed.date,
        parameters=given,
        kpis=headline_kpis(executed.kpis),
        html=f"{report_id}.html",
        ipynb=f"{report_id}.ipynb",
        error=executed.error,
        version=package_version(),
        duration_s=round(executed.duration_s, 2),
    )


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def parse_value(text: str) -> Any:
    """A `-p` value as YAML (numbers, booleans, lists, mappings; a key given twice is an error), else the text."""
    import yaml

    try:
        return parse_yaml(text) if text.strip() else text
    except yaml.YAMLError as err:
        if "appears twice" in str(err):
            raise ParamsError([f"-p value {text[:60]!r}: a key appears twice"]) from None
        return text


def check_report_arguments(args: argparse.Namespace, parameters: dict[str, Any]) -> None:
    """Everything `report` can check before a kernel starts (raises `ValueError`: `ParamsError`, `OutputPathError`):
    the notebook, `--timeout`, `--name`, `--out`, `-f` (a valid parameter file) and the parameters (`check_parameters`,
    which also validates the model parameters they resolve to)."""
    from aztec_econ.files import InputFileError, read_text

    if args.notebook.is_dir() or not args.notebook.exists():
        raise ParamsError(
            [f"notebook {args.notebook}: {'is a directory' if args.notebook.exists() else 'does not exist'}"]
        )
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise ParamsError([f"--timeout {args.timeout:g}: must be a positive number of seconds (per cell)"])
    stem = args.name or args.notebook.stem
    if not _SAFE_NAME.fullmatch(stem) or stem.endswith(".failed"):
        raise ParamsError(
            [f"--name {stem[:60]!r}: use letters, digits, '.', '_' and '-' (not ending in '.failed')"]
        )
    check_output_dir(args.out)
    if args.params_file is not None:
        try:
            read_text(args.params_file)
        except InputFileError as err:
            raise ParamsError([f"-f {err.path}: {err.problem}"]) from None
    try:
        check_parameters(args.notebook, parameters)
    except SyntaxError as err:
        raise ParamsError(
            [f"notebook {args.notebook}: its parameters cell is not valid Python ({err.msg})"]
        ) from None


def cmd_report(args: argparse.Namespace) -> int:
    parameters = {n: parse_value(v) for n, v in args.parameters or ()}
    if args.params_file is not None:
        parameters["params_file"] = str(Path(args.params_file).resolve())
    try:
        check_report_arguments(args, parameters)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        entry = build_report(
            args.notebook,
            parameters,
            args.params_file,
            args.out,
            name=args.name,
            title=args.title,
            overwrite_failed=args.overwrite_failed,
            timeout=args.timeout,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    page = Path(args.out) / entry.html
    if entry.ok:
        print(f"report: {page}  (index: {Path(args.out) / 'index.html'})", file=sys.stderr)
        return 0
    first = (entry.error or "").splitlines()[0] if entry.error else "unknown error"
    print(f"error: notebook {args.notebook} failed: {first}\nfailed report: {page}", file=sys.stderr)
    return 1


PARAMETER_ARGUMENT: dict[str, Any] = {
    "dest": "parameters",
    "nargs": 2,
    "action": "append",
    "metavar": ("NAME", "VALUE"),
    "help": "notebook parameter (value parsed as YAML; repeatable)",
}
"""The `-p NAME VALUE` option of the commands that run notebooks."""


def register_cli(subparsers: Any) -> None:
    """Add the `report` subcommand to the `aztec-econ` parser."""
    report = subparsers.add_parser("report", help="execute a notebook and publish it as an HTML report")
    report.add_argument("notebook", type=Path, help="notebook (.ipynb or jupytext .py)")
    report.add_argument("-p", "--parameter", **PARAMETER_ARGUMENT)
    report.add_argument("-f", "--params-file", type=Path, help="parameter file passed as `params_file`")
    report.add_argument(
        "--out", type=Path, default=Path("reports"), help="reports directory (default: reports)"
    )
    report.add_argument("--name", help="report name (default: the notebook's file name)")
    report.add_argument("--title", help="report title (default: the notebook's first heading)")
    report.add_argument(
        "--overwrite-failed", action="store_true", help="let a failed run replace an earlier good report"
    )
    report.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-cell limit [seconds]")
    report.set_defaults(handler=cmd_report)
