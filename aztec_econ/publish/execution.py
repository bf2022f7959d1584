"""Execute notebooks with papermill on the project kernel (`execute_notebook`, returning an `ExecutedNotebook`), and
check papermill parameters before a kernel starts (`parameter_problems`, `check_parameters`).

Usable without the CLI and from a Dask worker: nothing here needs a shared file system. Re-exported by
`aztec_econ.publish.reports`, which publishes the executed notebooks (`render` turns them into HTML).
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import json
import keyword
import math
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from aztec_econ.files import atomic_write
from aztec_econ.params import PROJECT_ROOT, ParamsError, show_value
from aztec_econ.publish.glue import PARAMS_GLUE, read_glue_meta, read_glued

KERNEL = "aztec-econ"
"""Jupyter kernel the notebooks run on (installed into the virtual environment by `make`, or by `ensure_kernel`)."""
DEFAULT_TIMEOUT = 600.0
"""Longest a single cell may run [seconds]."""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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
SHUTDOWN_INTERRUPT = "KeyboardInterrupt caught in kernel"
"""The kernel's log line of the interrupt jupyter_client sends it on shutdown: whether it is written before the kernel
stops is a race, and it is not news, so a failed run's report leaves it out of the kernel log's lines."""
POLL_SECONDS = 1.0
"""Longest one wait on a kernel channel lasts before the socket is polled again (the caller's own timeout still
holds): a wake-up that pyzmq's asyncio poller misses then costs a second instead of the cell's whole timeout. Seen
as a widget cell (notebook 20) hanging for the full 600 s although the kernel had replied (nbclient issue #312)."""


def kernel_manager_class() -> type:
    """An `AsyncKernelManager` (nbclient's default) whose kernel process writes its own output to the file named
    by its `log_file` setting instead of the terminal: the kernel's log lines (such as a 'KeyboardInterrupt caught
    in kernel' when jupyter_client interrupts it on shutdown) stay out of the user's way, and a failed run's report
    carries them (`execute_notebook`). Its clients wait on the shell and IOPub channels in steps of `POLL_SECONDS`."""
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is None:
        from queue import Empty

        from jupyter_client.asynchronous.client import AsyncKernelClient
        from jupyter_client.channels import AsyncZMQSocketChannel
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import Type, Unicode, default

        class PollingChannel(AsyncZMQSocketChannel):
            async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:  # type: ignore[override]
                deadline = None if timeout is None else time.monotonic() + timeout
                while True:
                    left = (
                        POLL_SECONDS
                        if deadline is None
                        else min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))
                    )
                    try:
                        return await super().get_msg(timeout=left)
                    except Empty:
                        if deadline is not None and time.monotonic() >= deadline:
                            raise

        class PollingKernelClient(AsyncKernelClient):
            shell_channel_class = Type(PollingChannel)
            iopub_channel_class = Type(PollingChannel)

        class LoggedKernelManager(AsyncKernelManager):
            log_file = Unicode("", config=True, help="file receiving the kernel process's stdout and stderr")

            @default("client_factory")
            def _polling_client(self) -> type:
                return PollingKernelClient

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
    lines = [line for line in kernel_log.splitlines() if SHUTDOWN_INTERRUPT not in line]
    if not result.ok and lines:
        tail = "\n".join(lines[-40:])
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
