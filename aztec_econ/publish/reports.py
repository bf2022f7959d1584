"""Execute notebooks with papermill and publish them as self-contained HTML reports with an index.

Three building blocks, usable without the CLI (and from a Dask worker: nothing here needs a shared file system), all
importable from this module:

- `execute_notebook(notebook, parameters, out_dir=None)` runs a notebook (`.ipynb`, a jupytext percent `.py`, or a
  notebook node) on the project kernel and returns an `ExecutedNotebook` holding the executed notebook as bytes, its
  glued KPIs, and its status and error. It never raises for an error inside the notebook
  (`aztec_econ.publish.execution`).
- `read_glued(...)` (from `aztec_econ.publish.glue`) reads the glued values of any executed notebook.
- `render_html(executed)` exports an executed notebook to one offline HTML page: code hidden, plotly charts embedded
  with plotly.js, a header (title, parameters, seed, package version, date) and, if it failed, an error banner
  showing the failing cell and its traceback at the top (`aztec_econ.publish.render`).

`build_report(...)` chains them and maintains `out_dir/index.json` and `index.html` (`aztec_econ.publish.index`).
A failed run never replaces an earlier good report of the same name unless `overwrite_failed` is set: it is written
as `NAME.failed.html` beside it. A report's page, executed notebook and index entry are replaced as a unit, under
the index lock (`aztec_econ.files.replace_together`): a process killed at any moment leaves the old report or the
new one, never a mix, and no partial files.

Parameters are checked before a kernel starts (`parameter_problems`, `aztec-econ report`): papermill writes their
names into code, so a name must be a Python identifier the notebook's `parameters` cell assigns, and each value must
have its default's type; the model parameters they resolve to are validated as `setup` would. The `report` command's
parser is built by `aztec_econ.publish.commands`; its implementation (`cmd_report`) is here.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aztec_econ.files import check_output_dir, replace_together
from aztec_econ.params import ParamsError, parse_yaml
from aztec_econ.publish.execution import (
    DEFAULT_TIMEOUT,
    KERNEL,
    KERNEL_LOG,
    ExecutedNotebook,
    NotebookParameter,
    check_parameters,
    ensure_kernel,
    execute_notebook,
    ipc_kernel_config,
    is_parameter_name,
    kernel_manager_class,
    load_notebook,
    notebook_parameters,
    parameter_problems,
    strip_ansi,
)
from aztec_econ.publish.headline import headlines, to_csv, to_json
from aztec_econ.publish.index import ReportEntry, headline_kpis, index_files, index_lock, read_index
from aztec_econ.publish.render import (
    TEMPLATES,
    WIDGET_MIMETYPE,
    appendix_html,
    given_line,
    headline_table,
    notebook_title,
    package_version,
    render_html,
    run_facts,
    run_line,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "KERNEL",
    "KERNEL_LOG",
    "REPORT_SUFFIXES",
    "TEMPLATES",
    "WIDGET_MIMETYPE",
    "ExecutedNotebook",
    "NotebookParameter",
    "appendix_html",
    "build_report",
    "check_parameters",
    "check_report_arguments",
    "cmd_report",
    "ensure_kernel",
    "execute_notebook",
    "given_line",
    "headline_table",
    "ipc_kernel_config",
    "is_parameter_name",
    "kernel_manager_class",
    "load_notebook",
    "notebook_parameters",
    "notebook_title",
    "package_version",
    "parameter_problems",
    "parse_value",
    "publish_executed",
    "publish_report",
    "render_html",
    "report_files",
    "run_facts",
    "run_line",
    "strip_ansi",
]

_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


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
