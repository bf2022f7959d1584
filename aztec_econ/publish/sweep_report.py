"""HTML reports of a notebook sweep, in `OUT/reports/` and linked from its `index.html` (`aztec_econ.publish.index`).

- per point: `SWEEP-<id>.html` (the executed notebook, through `aztec_econ.publish.reports.render_html`) and `.ipynb`;
- the sweep: `SWEEP-summary.html`, a KPI table by point and KPI-versus-parameter plots (plotly.js inline, offline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from aztec_econ.publish.index import ReportEntry, esc, headline_kpis, href, index_lock
from aztec_econ.sweep.spec import SweepSpec
from aztec_econ.sweep.store import PointRecord

REPORTS = "reports"
MAX_PLOTS = 24
"""Most KPI-versus-parameter plots on the summary page."""


def write_point_report(
    root: Path, spec: SweepSpec, record: PointRecord, executed: Any, notebook: Any
) -> None:
    """Write one point's executed notebook and its HTML report, and add it to the index."""
    from aztec_econ.publish.reports import notebook_title, package_version, publish_report, render_html

    out = root / REPORTS
    report_id = f"{spec.name}-{record.id}"
    title = (
        f"{notebook_title(executed.notebook, Path(str(notebook)).stem)} · {spec.name} point {record.index}"
    )
    page = render_html(executed, title)
    entry = ReportEntry(
        id=report_id,
        name=spec.name,
        title=title,
        notebook=str(notebook),
        status=executed.status,
        date=executed.date,
        parameters=record.values,
        kpis=headline_kpis(executed.kpis),
        html=f"{report_id}.html",
        ipynb=f"{report_id}.ipynb",
        error=executed.error,
        version=package_version(),
        duration_s=round(executed.duration_s, 2),
    )
    with index_lock(out):
        publish_report(out, entry, page, executed.ipynb)


def summary_html(spec: SweepSpec, summary: pd.DataFrame, records: list[PointRecord]) -> str:
    """The sweep summary page: counts, the KPI table by point (linked to the point reports) and KPI-versus-parameter
    plots for every swept parameter."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from aztec_econ.publish.plots import kpi_vs_parameter
    from aztec_econ.sweep.analysis import kpi_names, kpi_table, swept_parameters

    failed = [r for r in records if r.status == "failed"]
    parts = [
        f"<h1>Sweep {esc(spec.name)}</h1>",
        f"<p>{len(records)} points: {len(summary)} done, {len(failed)} failed. Base: <code>{esc(str(spec.base or 'parameters given in Python'))}</code>."
        f" Axes: <code>{esc(', '.join(spec.axes) or '(none)')}</code>.</p>",
    ]
    if not summary.empty:
        parts.append(_table_html(kpi_table(summary), spec.name))
        plots = 0
        for parameter in swept_parameters(summary):
            for kpi in kpi_names(summary):
                if plots >= MAX_PLOTS:
                    break
                fig = kpi_vs_parameter(summary, kpi, parameter)
                parts.append(pio.to_html(fig, include_plotlyjs=False, full_html=False, default_height=360))
                plots += 1
    if failed:
        rows = "".join(
            f'<tr><td><a href="{href(f"{spec.name}-{r.id}.html")}">{esc(r.id)}</a></td>'
            f"<td><pre>{esc((r.error or '').strip()[-2000:])}</pre></td></tr>"
            for r in failed
        )
        parts.append(f"<h2>Failed points</h2><table><tr><th>point</th><th>error</th></tr>{rows}</table>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Sweep {esc(spec.name)}</title><script>{get_plotlyjs()}</script>"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:right}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


def _cell(value: Any) -> str:
    """One table cell's text, escaped (swept values are user input: a price file path may hold markup)."""
    if isinstance(value, float):
        return esc(f"{value:,.4g}")
    return esc(str(value))


def _table_html(table: pd.DataFrame, sweep: str) -> str:
    """The KPI table by point: every header and cell escaped; the point ids link to the point reports."""
    head = "".join(f"<th>{esc(str(c))}</th>" for c in table.columns)
    rows = "".join(
        f'<tr><th><a href="{href(f"{sweep}-{point}.html")}">{esc(str(point))}</a></th>'
        + "".join(f"<td>{_cell(v)}</td>" for v in values)
        + "</tr>"
        for point, values in zip(table.index, table.itertuples(index=False), strict=True)
    )
    return (
        f'<table class="dataframe"><thead><tr><th>point</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def write_sweep_report(
    root: Path, spec: SweepSpec, records: list[PointRecord], summary: pd.DataFrame
) -> None:
    """Write `SWEEP-summary.html` and link it from the index."""
    from aztec_econ.publish.reports import package_version, publish_report

    out = root / REPORTS
    report_id = f"{spec.name}-summary"
    page = summary_html(spec, summary, records)
    failed = sum(r.status == "failed" for r in records)
    entry = ReportEntry(
        id=report_id,
        name=spec.name,
        title=f"Sweep {spec.name}: summary",
        notebook=str(spec.path or spec.name),
        status="failed" if failed else "ok",
        date=records[-1].finished or "" if records else "",
        parameters={"axes": ", ".join(spec.axes), "points": len(records)},
        kpis={"done": len(summary), "failed": failed},
        html=f"{report_id}.html",
        error=f"{failed} point(s) failed" if failed else None,
        version=package_version(),
    )
    with index_lock(out):
        publish_report(out, entry, page)
