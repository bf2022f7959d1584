"""HTML reports of a notebook sweep, in `OUT/reports/` and linked from its `index.html` (`aztec_econ.publish.index`).

- per point: `SWEEP-<id>.html` (the executed notebook, through `aztec_econ.publish.reports.render_html`) and `.ipynb`;
- the sweep: `SWEEP-summary.html`, a KPI table by point, KPI-versus-parameter plots with each KPI's closed form on
  the same axes, and the points where they disagree with the computed reason (plotly.js from the folder, offline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from aztec_econ.publish.index import ReportEntry, esc, href, index_lock
from aztec_econ.sweep.spec import SweepSpec
from aztec_econ.sweep.store import PointRecord

REPORTS = "reports"
MAX_PLOTS = 24
"""Most KPI-versus-parameter plots on the summary page."""


def write_point_report(
    root: Path, spec: SweepSpec, record: PointRecord, executed: Any, notebook: Any
) -> None:
    """Write one point's executed notebook, its HTML report and its KPI exports, and add it to the index (as a
    unit: `aztec_econ.publish.reports.publish_executed`)."""
    from aztec_econ.publish.reports import notebook_title, publish_executed

    out = root / REPORTS
    title = (
        f"{notebook_title(executed.notebook, Path(str(notebook)).stem)} · {spec.name} point {record.index}"
    )
    publish_executed(
        out,
        f"{spec.name}-{record.id}",
        executed,
        name=spec.name,
        title=title,
        notebook=str(notebook),
        parameters=record.values,
    )


def disagreements(spec: SweepSpec, summary: pd.DataFrame) -> pd.DataFrame:
    """Points where a KPI and its closed form (`theory_<kpi>` in the summary) disagree: beyond the sampling tolerance
    of a proportion over runs x slots (`theory.proportion_tolerance`) for shares, outside the 95% confidence interval
    otherwise. One row per (point, KPI): `row` (position in `summary`), `point_id`, `kpi`, `simulated`, `theory`
    and `reason` (`analysis.expectations.disagreement_reason` at the point's parameters)."""
    from aztec_econ.analysis import theory
    from aztec_econ.analysis.expectations import disagreement_reason
    from aztec_econ.analysis.intervals import kpi_bounds
    from aztec_econ.sweep.analysis import kpi_names

    params = {p.id: p.params for p in spec.points}
    names = kpi_names(summary)
    rows = []
    for kpi in names:
        if kpi.startswith("theory_") or f"theory_{kpi}" not in names:
            continue
        is_share = kpi_bounds(kpi) == (0.0, 1.0)
        for position, row in enumerate(summary.itertuples(index=False)):
            values = row._asdict()
            simulated, expected = values.get(f"{kpi}_mean"), values.get(f"theory_{kpi}_mean")
            point = params.get(values["point_id"])
            if (
                simulated is None
                or expected is None
                or point is None
                or pd.isna(simulated)
                or pd.isna(expected)
            ):
                continue
            if is_share:
                n = point.sim.runs * point.sim.slots
                off = abs(simulated - expected) > theory.proportion_tolerance(min(max(expected, 0.0), 1.0), n)
            else:
                low, high = values.get(f"{kpi}_ci_low"), values.get(f"{kpi}_ci_high")
                off = not (pd.isna(low) or pd.isna(high)) and not (low <= expected <= high)
            if off:
                rows.append(
                    {
                        "row": position,
                        "point_id": values["point_id"],
                        "kpi": kpi,
                        "simulated": float(simulated),
                        "theory": float(expected),
                        "reason": disagreement_reason(kpi, point),
                    }
                )
    return pd.DataFrame(rows, columns=["row", "point_id", "kpi", "simulated", "theory", "reason"])


def summary_html(
    spec: SweepSpec, summary: pd.DataFrame, records: list[PointRecord], plotlyjs: str | None = None
) -> str:
    """The sweep summary page: counts, the KPI table by point (linked to the point reports), KPI-versus-parameter
    plots for every swept parameter with each KPI's closed form on the same axes, and every point where the two
    disagree with the computed reason. `plotlyjs`: the page's plotly.js `<script>` (default inline)."""
    import plotly.io as pio

    from aztec_econ.publish.headline import describe, readable
    from aztec_econ.publish.plots import kpi_vs_parameter, plotlyjs_tag
    from aztec_econ.sweep.analysis import kpi_names, kpi_table, swept_parameters

    failed = [r for r in records if r.status == "failed"]
    parts = [
        f"<h1>Sweep {esc(spec.name)}</h1>",
        f"<p>{len(records)} points: {len(summary)} done, {len(failed)} failed. Base: <code>{esc(str(spec.base or 'parameters given in Python'))}</code>."
        f" Axes: <code>{esc(', '.join(spec.axes) or '(none)')}</code>.</p>",
    ]
    if not summary.empty:
        table = kpi_table(summary)
        for column in table.columns:
            if column not in swept_parameters(summary):
                unit, _ = describe(column)
                table[column] = [readable(float(v), unit) if pd.notna(v) else "n/a" for v in table[column]]
        parts.append('<div class="scroll">' + _table_html(table, spec.name) + "</div>")
        off = disagreements(spec, summary)
        if len(off):
            rows = "".join(
                f'<tr><td><a href="{href(f"{spec.name}-{r.point_id}.html")}">{esc(r.point_id)}</a></td>'
                f"<td><code>{esc(r.kpi)}</code></td><td>{esc(readable(r.simulated, describe(r.kpi)[0]))}</td>"
                f"<td>{esc(readable(r.theory, describe(r.kpi)[0]))}</td><td>{esc(r.reason)}</td></tr>"
                for r in off.itertuples(index=False)
            )
            parts.append(
                f"<h2>Where theory and simulation disagree ({len(off)})</h2>"
                '<table class="reasons"><tr><th>point</th><th>KPI</th><th>simulated</th><th>theory</th>'
                f"<th>why</th></tr>{rows}</table>"
            )
        plots = 0
        kpis = [k for k in kpi_names(summary) if not k.startswith("theory_")]
        for parameter in swept_parameters(summary):
            for kpi in kpis:
                if plots >= MAX_PLOTS:
                    break
                reasons = {int(r.row): r.reason for r in off.itertuples(index=False) if r.kpi == kpi}
                fig = kpi_vs_parameter(summary, kpi, parameter, reasons=reasons)
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
        f"<title>Sweep {esc(spec.name)}</title>{plotlyjs if plotlyjs is not None else plotlyjs_tag()}"
        "<style>body{font-family:Helvetica,Arial,sans-serif;margin:2rem}table{border-collapse:collapse}"
        "th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:right;vertical-align:top}"
        ".reasons td{text-align:left}.scroll{overflow-x:auto;max-width:100%}</style></head><body>"
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
    from aztec_econ.publish.plots import plotlyjs_tag

    page = summary_html(spec, summary, records, plotlyjs_tag(out))
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
        publish_report(out, entry, {entry.html: page})
