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
from aztec_econ.publish.glue import (
    ANSWER_GLUE,
    ASSUMPTIONS_GLUE,
    GLUE_MIMETYPE,
    PARAMS_GLUE,
    ROLE_KEY,
    SUMMARY_GLUE,
    read_glue_meta,
    read_glued,
)
from aztec_econ.publish.headline import Headline, describe, headlines, readable, to_csv, to_json
from aztec_econ.publish.index import (
    ReportEntry,
    esc,
    format_value,
    headline_kpis,
    href,
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


KERNEL_LOG = "kernel.log"
"""The kernel's own output (its process's stdout and stderr), kept in the run's temporary folder."""
_KERNEL_MANAGER: type | None = None


def kernel_manager_class() -> type:
    """An `AsyncKernelManager` (nbclient's default) whose kernel process writes its own output to the file named
    by its `log_file` setting instead of the terminal: the kernel's log lines (such as a 'KeyboardInterrupt caught
    in kernel' when jupyter_client interrupts it on shutdown) stay out of the user's way, and a failed run's report
    carries them (`execute_notebook`)."""
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is None:
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import Unicode

        class LoggedKernelManager(AsyncKernelManager):
            log_file = Unicode("", config=True, help="file receiving the kernel process's stdout and stderr")

            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
                if not self.log_file:
                    await super()._async_launch_kernel(kernel_cmd, **kw)
                    return
                with open(self.log_file, "ab") as handle:  # the child keeps its own copy of the descriptor
                    await super()._async_launch_kernel(
                        kernel_cmd, **{**kw, "stdout": handle, "stderr": handle}
                    )

        _KERNEL_MANAGER = LoggedKernelManager
    return _KERNEL_MANAGER


def ipc_kernel_config(directory: str | Path) -> Any:
    """Kernel-manager configuration for a kernel that talks over Unix sockets in `directory` (a private temporary
    folder): local, protected by file permissions, so ipykernel does not warn that TCP runs unencrypted, and
    nothing is written to the working directory. The kernel's own output goes to `directory/KERNEL_LOG`."""
    from traitlets.config import Config

    return Config(
        {
            "KernelManager": {"transport": "ipc", "ip": str(Path(directory) / "kernel")},
            "LoggedKernelManager": {"log_file": str(Path(directory) / KERNEL_LOG)},
        }
    )


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
    kpi_meta: dict[str, dict[str, Any]] = field(default_factory=dict)
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
            kpi_meta=read_glue_meta(nb),
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
                config=ipc_kernel_config(tmp),
                kernel_manager_class=kernel_manager_class(),
            )
        except pm.PapermillExecutionError:
            pass  # the error is in the written notebook's outputs
        except Exception as err:  # timeout, dead kernel, kernel start failure: keep whatever was written
            problem = f"{type(err).__name__}: {strip_ansi(str(err))}"
        raw = output.read_bytes() if output.is_file() else nbformat.writes(source).encode("utf-8")
        log = Path(tmp) / KERNEL_LOG
        kernel_log = strip_ansi(log.read_text(errors="replace")).strip() if log.is_file() else ""
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
    if not result.ok and kernel_log:
        tail = "\n".join(kernel_log.splitlines()[-40:])
        result.error = f"{result.error}\n\nkernel log (last lines):\n{tail}"
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


def run_facts(params: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """What a reader needs to know about a run: `slots`, `days`, `runs`, `seed` (from the resolved parameters a
    notebook glued, else from the parameters given, else None) and the parameters `given` (empty: notebook
    defaults)."""

    def pick(dotted: str, short: str) -> Any:
        return params.get(dotted, given.get(short))

    slots = pick("sim.slots", "slots")
    blocks, seconds = params.get("protocol.slot_l1_blocks"), params.get("protocol.l1_block_seconds")
    known = all(isinstance(v, int | float) for v in (slots, blocks, seconds))
    days = slots * blocks * seconds / 86_400 if known else None
    return {
        "slots": slots,
        "days": days,
        "runs": pick("sim.runs", "runs"),
        "seed": pick("sim.seed", "seed"),
        "given": dict(given),
    }


def run_line(facts: Mapping[str, Any]) -> str:
    """One line of text: "1,440 slots (10 days) x 3 runs, seed 20240216"."""
    parts = []
    if facts.get("slots") is not None:
        days = facts.get("days")
        parts.append(f"{readable(facts['slots'])} slots" + (f" ({readable(days)} days)" if days else ""))
    if facts.get("runs") is not None:
        parts.append(f"{readable(facts['runs'])} runs")
    text = " x ".join(parts) or "horizon and runs: the notebook's own"
    seed = facts.get("seed")
    return text + (f", seed {seed}" if seed is not None else ", seed: the notebook's default")


def given_line(given: Mapping[str, Any]) -> str:
    """The parameters given to a run as `name = value` pairs, or a sentence saying there were none."""
    if not given:
        return "none: every parameter at the notebook's default"
    return "; ".join(f"{k} = {format_value(v)}" for k, v in given.items())


def _header(executed: ExecutedNotebook, title: str, version: str) -> str:
    facts = run_facts(executed.params, executed.parameters)
    status = "ok" if executed.ok else "FAILED"
    parts = [
        '<header class="aztec-header">',
        f"<h1>{esc(title)}</h1>",
        '<table class="aztec-facts">',
        f'<tr><th>run</th><td class="aztec-run">{esc(run_line(facts))}</td></tr>',
        f'<tr><th>parameters given</th><td class="aztec-given">{esc(given_line(facts["given"]))}</td></tr>',
        f"<tr><th>status</th><td>{esc(status)}</td></tr>",
        f"<tr><th>notebook</th><td><code>{esc(executed.source)}</code></td></tr>",
        f"<tr><th>package</th><td>aztec-econ {esc(version)}</td></tr>",
        f"<tr><th>date (UTC)</th><td>{esc(executed.date)} · ran {executed.duration_s:.1f} s</td></tr>",
        "</table>",
        "</header>",
    ]
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


def headline_table(rows: list[Headline], exports: Mapping[str, str] | None = None) -> str:
    """The headline KPI table (HTML): readable value, unit and what each KPI measures; links to its exports."""
    body = "".join(
        f'<tr><td><code>{esc(r.name)}</code></td><td class="aztec-value">{esc(r.text)}</td>'
        f"<td>{esc(r.unit)}</td><td>{esc(r.description)}</td></tr>"
        for r in rows
    )
    links = ""
    if exports:
        links = (
            "<p>Download: "
            + " · ".join(f'<a href="{href(path)}">{esc(kind.upper())}</a>' for kind, path in exports.items())
            + "</p>"
        )
    return (
        '<section class="aztec-headline"><h2>Headline KPIs</h2>'
        '<table class="aztec-kpis"><thead><tr><th>KPI</th><th>value</th><th>unit</th><th>what it measures</th>'
        f"</tr></thead><tbody>{body}</tbody></table>{links}</section>"
    )


def _table(columns: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="aztec-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def appendix_html(glued: Mapping[str, Any]) -> str:
    """The collapsed appendix: the run's KPI table over runs (`_kpi_summary`), every assumption (`_assumptions`)
    and every resolved parameter (`_params`), each in full."""
    from aztec_econ.analysis.intervals import kpi_interval

    parts = []
    summary = glued.get(SUMMARY_GLUE)
    given = glued.get(PARAMS_GLUE)
    resolved: dict[str, Any] = given if isinstance(given, dict) else {}
    trials = resolved.get("sim.slots", 0) * resolved.get("sim.runs", 0) or None
    if isinstance(summary, list) and summary:
        rows = []
        for row in summary:
            name = str(row.get("kpi"))
            unit, description = describe(name)
            mean, low, high = row.get("mean"), row.get("ci_low"), row.get("ci_high")
            interval = "n/a"
            if None not in (mean, low, high):
                kept = kpi_interval(name, [mean], [high - mean], trials)  # inside the KPI's range
                interval = f"{readable(float(kept.low[0]), unit)} to {readable(float(kept.high[0]), unit)}"
            rows.append([name, readable(row.get("mean"), unit), interval, unit, description])
        parts.append(
            f"<details><summary>Every KPI of the run ({len(rows)}): mean over runs and 95% confidence interval "
            "(kept in the KPI's range)"
            "</summary>" + _table(["KPI", "mean", "95% CI", "unit", "what it measures"], rows) + "</details>"
        )
    assumed = glued.get(ASSUMPTIONS_GLUE)
    if isinstance(assumed, list) and assumed:
        columns = ["parameter", "value", "unit", "source", "description"]
        rows = [[str(row.get(c, "")) for c in columns] for row in assumed]
        parts.append(
            f"<details><summary>Every assumption of the run ({len(rows)} parameters the spec leaves open)"
            "</summary>" + _table(columns, rows) + "</details>"
        )
    params = glued.get(PARAMS_GLUE)
    if isinstance(params, dict) and params:
        rows = [[k, format_value(v)] for k, v in params.items()]
        parts.append(
            f"<details><summary>Every resolved model parameter ({len(rows)})</summary>"
            + _table(["parameter", "value"], rows)
            + "</details>"
        )
    if not parts:
        return ""
    return '<section class="aztec-appendix"><h2>Appendix</h2>' + "".join(parts) + "</section>"


WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = nbformat.v4.new_output(
    "display_data",
    data={
        "text/html": '<p class="aztec-widget-note"><em>Interactive controls: they need a running kernel. Open the '
        "notebook in JupyterLab (<code>make lab</code>) to use them.</em></p>"
    },
)
"""What a report shows instead of an ipywidgets view (a static page cannot run its kernel)."""


def _html_cell(html_text: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html_text})]
    return cell


def _first_heading_cell(nb: NotebookNode, heading: str) -> int | None:
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and any(
            line.strip().lower().startswith(heading) for line in cell.source.splitlines()
        ):
            return index
    return None


def _arrange(nb: NotebookNode, executed: ExecutedNotebook, exports: Mapping[str, str] | None) -> None:
    """Put the report's top together: question (the first Markdown cell), answer, the topic's assumptions (the
    first output after the "## Assumptions" heading), headline KPIs; the appendix goes last."""
    nb.metadata.pop("widgets", None)  # widget state would make the page load the widget manager from a CDN
    for cell in nb.cells:  # glued values have no visible form; the answer moves to the top
        if cell.cell_type == "code":
            cell.outputs = [
                _WIDGET_NOTE if WIDGET_MIMETYPE in o.get("data", {}) else o
                for o in cell.outputs
                if GLUE_MIMETYPE not in o.get("data", {}) and o.get("metadata", {}).get(ROLE_KEY) != "answer"
            ]
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
    if first >= 0:  # the header carries the title: the question follows it directly
        lines = nb.cells[first].source.splitlines()
        if lines and lines[0].startswith("# "):
            nb.cells[first].source = "\n".join(lines[1:]).strip()
    at = first + 1
    answer = executed.kpis.get(ANSWER_GLUE)
    if isinstance(answer, str) and answer.strip():
        from aztec_econ.publish.notebook import escape_markdown_html

        nb.cells.insert(at, nbformat.v4.new_markdown_cell(f"## Answer\n\n{escape_markdown_html(answer)}"))
        at += 1
    rows = headlines(executed.kpis, executed.kpi_meta)
    if rows:
        heading = _first_heading_cell(nb, "## assumptions")
        where = at
        if heading is not None and heading >= at:
            outputs = [i for i in range(heading + 1, len(nb.cells)) if nb.cells[i].get("outputs")]
            where = outputs[0] + 1 if outputs else heading + 1
        nb.cells.insert(where, _html_cell(headline_table(rows, exports)))
    appendix = appendix_html(executed.kpis)
    if appendix:
        nb.cells.append(_html_cell(appendix))


def render_html(
    executed: ExecutedNotebook,
    title: str | None = None,
    exports: Mapping[str, str] | None = None,
    plotlyjs: str | None = None,
) -> str:
    """One HTML page of an executed notebook: code hidden, outputs (plotly charts included) kept, a header and, for
    a failed run, an error banner; it opens with the question, the answer, the topic's assumptions and the headline
    KPIs (linking `exports`, kind -> relative path), and ends with a collapsed appendix. `plotlyjs` is the page's
    plotly.js `<script>` (`aztec_econ.publish.plots.plotlyjs_tag`; default: inline, a self-contained page). Needs
    no network."""
    from nbconvert import HTMLExporter

    from aztec_econ.publish.plots import plotlyjs_tag

    nb = executed.notebook
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    title = title or notebook_title(nb, executed.name)
    _arrange(nb, executed, exports)
    nb.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="aztec_report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "aztec_header": _header(executed, title, package_version()),
        "aztec_plotlyjs": plotlyjs if plotlyjs is not None else plotlyjs_tag(),
        "metadata": {"name": title},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return str(body)


def _entry_id(name: str, ok: bool, out: Path, overwrite_failed: bool) -> str:
    if ok or overwrite_failed:
        return name
    earlier = {e.id: e for e in read_index(out)}.get(name)
    return f"{name}.failed" if earlier is not None and earlier.ok else name


def report_files(
    out_dir: str | Path,
    report_id: str,
    executed: ExecutedNotebook,
    *,
    name: str,
    title: str,
    notebook: str,
    parameters: Mapping[str, Any],
    self_contained: bool = False,
) -> tuple[ReportEntry, dict[str, str | bytes]]:
    """An executed notebook's report files and its index entry: `ID.html` (plotly.js from `out_dir`'s shared file,
    written there if missing, unless `self_contained`), `ID.ipynb`, and its headline KPIs as `ID.kpis.csv` and
    `ID.kpis.json`, as {file name: contents}; nothing else is written (`publish_report` replaces them as a unit)."""
    from aztec_econ.publish.plots import plotlyjs_tag

    out = Path(out_dir)
    rows = headlines(executed.kpis, executed.kpi_meta)
    exports = {"csv": f"{report_id}.kpis.csv", "json": f"{report_id}.kpis.json"}
    page = render_html(executed, title, exports, plotlyjs_tag(out, self_contained=self_contained))
    files: dict[str, str | bytes] = {
        f"{report_id}.html": page,
        f"{report_id}.ipynb": executed.ipynb,
        exports["csv"]: to_csv(rows),
        exports["json"]: to_json(rows),
    }
    facts = run_facts(executed.params, parameters)
    entry = ReportEntry(
        id=report_id,
        name=name,
        title=title,
        notebook=notebook,
        status=executed.status,
        date=executed.date,
        parameters=dict(parameters),
        kpis=headline_kpis(executed.kpis),
        html=f"{report_id}.html",
        ipynb=f"{report_id}.ipynb",
        error=executed.error,
        version=package_version(),
        duration_s=round(executed.duration_s, 2),
        run={k: facts[k] for k in ("slots", "days", "runs", "seed")},
        headlines=[r.to_dict() for r in rows],
        exports=exports,
    )
    return entry, files


def publish_executed(
    out_dir: str | Path,
    report_id: str,
    executed: ExecutedNotebook,
    *,
    name: str,
    title: str,
    notebook: str,
    parameters: Mapping[str, Any],
    self_contained: bool = False,
) -> ReportEntry:
    """Publish an executed notebook in `out_dir` as report `report_id` (`report_files`), its files and its index
    entry replaced as a unit under the index lock; returns the entry."""
    out = Path(out_dir)
    with index_lock(out):
        entry, files = report_files(
            out,
            report_id,
            executed,
            name=name,
            title=title,
            notebook=notebook,
            parameters=parameters,
            self_contained=self_contained,
        )
        publish_report(out, entry, files)
    return entry


REPORT_SUFFIXES = (".html", ".ipynb", ".kpis.csv", ".kpis.json")
"""The files of one report."""


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
    self_contained: bool = False,
) -> ReportEntry:
    """Execute `notebook` and publish `out_dir/NAME.html`, `NAME.ipynb` and its KPIs (`NAME.kpis.csv`, `.json`),
    then rebuild the index.

    `params_file` is passed to the notebook as its `params_file` parameter (made absolute). A failed run is published
    as `NAME.failed.*` when an earlier good report `NAME` exists, unless `overwrite_failed`. The page loads plotly.js
    from `out_dir` (written once per folder) unless `self_contained`.
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
    with index_lock(out):
        report_id = _entry_id(stem, executed.ok, out, overwrite_failed)
        entry, files = report_files(
            out,
            report_id,
            executed,
            name=stem,
            title=title or notebook_title(executed.notebook, stem),
            notebook=str(notebook),
            parameters=given,
            self_contained=self_contained,
        )
        stale = (f"{stem}.failed",) if report_id == stem else ()
        publish_report(out, entry, files, remove=stale)
    return entry


def publish_report(
    out: Path, entry: ReportEntry, files: Mapping[str, str | bytes], remove: tuple[str, ...] = ()
) -> None:
    """Replace a report's files (name -> contents in `out`) and its index entry (and drop the reports `remove`,
    every one of their `REPORT_SUFFIXES`) as a unit. The caller holds `index_lock(out)`."""
    entries = [e for e in read_index(out) if e.id != entry.id and e.id not in remove]
    replace_together(out, {**files, **index_files([*entries, entry])})
    for old in remove:
        for suffix in REPORT_SUFFIXES:
            (out / f"{old}{suffix}").unlink(missing_ok=True)


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
            self_contained=args.self_contained,
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
    report.add_argument(
        "--self-contained",
        action="store_true",
        help="embed plotly.js in the page (about 4.6 MB) instead of loading it from the reports folder",
    )
    report.set_defaults(handler=cmd_report)
