"""Static PNG/SVG copies of a notebook's plotly figures, for papers (`aztec-econ figures`).

Figures are read from the `application/vnd.plotly.v1+json` outputs of an executed notebook (the report renderer of
`aztec_econ.publish.plots` keeps them) and drawn by kaleido 1.x, which drives a headless Chrome through choreographer. On
Debian install `chromium` (`apt-get install chromium`); `chrome_path()` points choreographer at it via the
`BROWSER_PATH` environment variable unless that is already set.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aztec_econ.files import check_output_dir
from aztec_econ.params import ParamsError
from aztec_econ.publish.reports import (
    ExecutedNotebook,
    execute_notebook,
    load_notebook,
    parameter_problems,
    parse_value,
)

if TYPE_CHECKING:
    from nbformat import NotebookNode

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
CHROME_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def chrome_path() -> str | None:
    """The Chrome/Chromium kaleido will use: `BROWSER_PATH` if set, else the first candidate on PATH (then exported
    as `BROWSER_PATH`), else None."""
    if os.environ.get("BROWSER_PATH"):
        return os.environ["BROWSER_PATH"]
    for name in CHROME_CANDIDATES:
        found = shutil.which(name)
        if found:
            os.environ["BROWSER_PATH"] = found
            return found
    return None


def plotly_figures(nb: NotebookNode) -> list[tuple[str, dict[str, Any]]]:
    """(name, figure JSON) of every plotly output, in order; the name is `figNN` plus a slug of the figure title."""
    found: list[tuple[str, dict[str, Any]]] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            spec = output.get("data", {}).get(PLOTLY_MIMETYPE)
            if spec is None:
                continue
            spec = json.loads(spec) if isinstance(spec, str) else spec
            title = spec.get("layout", {}).get("title", {})
            text = title.get("text", "") if isinstance(title, Mapping) else str(title)
            slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
            found.append((f"fig{len(found) + 1:02d}" + (f"-{slug}" if slug else ""), dict(spec)))
    return found


def _executed(source: Path, parameters: Mapping[str, Any]) -> NotebookNode:
    if source.suffix == ".html":
        source = source.with_suffix(".ipynb")
    if source.suffix == ".ipynb" and not parameters:
        nb = load_notebook(source)
        if plotly_figures(nb):
            return nb
    executed: ExecutedNotebook = execute_notebook(source, parameters)
    if not executed.ok:
        raise RuntimeError(f"the notebook failed: {(executed.error or '').splitlines()[0]}")
    return executed.notebook


def export_figures(
    source: str | Path,
    out_dir: str | Path,
    *,
    fmt: str = "png",
    parameters: Mapping[str, Any] | None = None,
    scale: float = 2.0,
) -> list[Path]:
    """Write every plotly figure of `source` to `out_dir/STEM-figNN-title.FMT`; returns the paths.

    `source` is an executed `.ipynb`, a report `.html` (its `.ipynb` beside it), or a notebook that is executed first
    (also when `parameters` are given). `scale` multiplies the pixel size of PNGs.
    """
    import plotly.io as pio

    if fmt not in ("png", "svg"):
        raise ValueError(f"format must be png or svg, not {fmt!r}")
    if chrome_path() is None:
        raise RuntimeError("kaleido needs Chrome or Chromium: install it (Debian: apt-get install chromium)")
    source = Path(source)
    figures = plotly_figures(_executed(source, parameters or {}))
    if not figures:
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = source.stem.removesuffix(".failed")
    names = [f"{stem}-{name}.{fmt}" for name, _ in figures]
    figs = [pio.from_json(json.dumps(spec)) for _, spec in figures]
    with tempfile.TemporaryDirectory(
        prefix=".figures-", dir=out
    ) as tmp:  # same file system: os.replace is atomic
        pio.write_images(figs, [str(Path(tmp) / n) for n in names], format=fmt, scale=scale)
        for n in names:
            os.replace(Path(tmp) / n, out / n)
    return [out / n for n in names]


def input_problems(inputs: list[Path], parameters: Mapping[str, Any]) -> list[str]:
    """What makes the inputs of `figures` unusable before anything runs: a missing file, a directory, a report page
    without its executed notebook beside it, parameters a notebook to run does not take."""
    problems = []
    for source in inputs:
        if not source.exists():
            problems.append(f"{source}: does not exist")
        elif not source.is_file():
            problems.append(f"{source}: is not a file")
        elif source.suffix == ".html" and not source.with_suffix(".ipynb").is_file():
            problems.append(f"{source}: no executed notebook {source.with_suffix('.ipynb').name} beside it")
        elif source.suffix in (".py", ".ipynb") and parameters:
            try:
                problems += parameter_problems(source, load_notebook(source), parameters)
            except Exception as err:  # jupytext and nbformat raise many kinds
                problems.append(f"{source}: cannot be read as a notebook ({type(err).__name__})")
    return problems


def cmd_figures(args: argparse.Namespace) -> int:
    parameters = {n: parse_value(v) for n, v in args.parameters or ()}
    problems = input_problems(list(args.inputs), parameters)
    if problems:
        raise ParamsError(problems, "figures inputs")
    check_output_dir(args.out)
    failed = False
    for source in args.inputs:
        try:
            written = export_figures(source, args.out, fmt=args.format, parameters=parameters)
        except RuntimeError as err:
            print(f"error: {source}: {err}", file=sys.stderr)
            failed = True
            continue
        for path in written:
            print(path)
        if not written:
            print(f"warning: {source}: no plotly figures found", file=sys.stderr)
    return 1 if failed else 0
