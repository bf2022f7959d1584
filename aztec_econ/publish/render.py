"""Render an executed notebook as one offline HTML page (`render_html`): code hidden, plotly charts embedded with
plotly.js, a header (title, run, parameters, package version, date), the question, answer, assumptions and headline
KPIs at the top, a collapsed appendix at the end and, if it failed, an error banner with the failing cell and its
traceback. Re-exported by `aztec_econ.publish.reports`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from aztec_econ.params import PROJECT_ROOT
from aztec_econ.publish.execution import ExecutedNotebook
from aztec_econ.publish.glue import (
    ANSWER_GLUE,
    ASSUMPTIONS_GLUE,
    GLUE_MIMETYPE,
    PARAMS_GLUE,
    ROLE_KEY,
    SUMMARY_GLUE,
)
from aztec_econ.publish.headline import Headline, describe, headlines, readable
from aztec_econ.publish.index import esc, format_value, href

TEMPLATES = Path(__file__).resolve().parent / "templates"


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
