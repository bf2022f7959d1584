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
as `NAME.failed.html` beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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

from aztec_econ.files import atomic_write
from aztec_econ.params import PROJECT_ROOT
from aztec_econ.publish.glue import GLUE_MIMETYPE, PARAMS_GLUE, read_glued
from aztec_econ.publish.index import (
    ReportEntry,
    esc,
    format_value,
    headline_kpis,
    read_index,
    update_index,
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
    executed = execute_notebook(notebook, given, timeout=timeout, name=stem)
    report_id = _entry_id(stem, executed.ok, out, overwrite_failed)
    page = render_html(executed, title)
    atomic_write(out / f"{report_id}.ipynb", executed.ipynb)
    atomic_write(out / f"{report_id}.html", page)
    entry = ReportEntry(
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
    stale = (f"{stem}.failed",) if report_id == stem else ()
    for old in stale:
        for suffix in (".html", ".ipynb"):
            (out / f"{old}{suffix}").unlink(missing_ok=True)
    update_index(out, entry, remove=stale)
    return entry


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def parse_value(text: str) -> Any:
    """A `-p` value as YAML (numbers, booleans, lists, mappings), else the text itself."""
    import yaml

    try:
        return yaml.safe_load(text) if text.strip() else text
    except yaml.YAMLError:
        return text


def cmd_report(args: argparse.Namespace) -> int:
    parameters = {n: parse_value(v) for n, v in args.parameters or ()}
    if not args.notebook.is_file():
        print(f"error: no notebook {args.notebook}", file=sys.stderr)
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
