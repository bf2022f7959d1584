"""Compare scenarios: `aztec-econ compare A.yaml B.yaml [...] --out DIR` (or `compare(...)` from Python).

Every scenario (a parameter file, e.g. one of `params/scenarios/`) is simulated with the same horizon, runs and seed:
common random numbers, so run i of each scenario draws the same random streams and the differences between
scenarios are differences of the mechanisms, not of the draws. The comparison report `DIR/NAME.html` shows

- the scenarios and what each changes from the first (the reference), with the run facts;
- the KPIs whose difference from the reference has a 95% interval excluding 0, then every KPI side by side: mean
  and interval per scenario, the difference and its paired interval (`aztec_econ.analysis.compare`);
- overlaid charts: slots by outcome, the happy-path share over time and the L1 gas price over time (mean and
  p10-p90 band over runs per scenario), and fees by scenario.

Beside it: `NAME.kpis.csv` and `NAME.kpis.json` (every row of the table, with units and descriptions), and an entry
in `DIR/index.json` and `index.html`. plotly.js comes from the folder's shared file unless `self_contained`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aztec_econ.files import check_output_dir
from aztec_econ.params import Params, ParamsError, load_params, parse_override
from aztec_econ.publish.headline import describe, readable
from aztec_econ.publish.index import ReportEntry, esc, index_lock

DEFAULT_NAME = "compare"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
CHART_SERIES_POINTS = 400
"""Rows of each overlaid time series (thinned, so the page stays small)."""


@dataclass
class Scenario:
    """One scenario: its name (the file's stem unless given), source file and resolved parameters."""

    name: str
    source: str
    params: Params


@dataclass
class Comparison:
    """What `compare` produced: the scenarios, the KPI table (`aztec_econ.analysis.compare.compare_kpis`), the files
    written and the index entry."""

    scenarios: list[Scenario]
    table: pd.DataFrame
    html: Path
    csv: Path
    json: Path
    entry: ReportEntry


def load_scenarios(
    files: Sequence[str | Path],
    overrides: Mapping[str, Any] | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
    names: Sequence[str] | None = None,
) -> list[Scenario]:
    """The scenarios of `files` with `overrides`, all on one horizon, number of runs and seed (common random
    numbers): `slots`, `runs`, `seed` where given, else the first file's. Names must be unique."""
    if len(files) < 2:
        raise ValueError("compare needs at least two parameter files")
    if names is not None and len(names) != len(files):
        raise ValueError(f"compare: {len(names)} names for {len(files)} files")
    given = dict(overrides or {})
    first = load_params(files[0], given)
    common = {
        "sim.slots": slots if slots is not None else first.sim.slots,
        "sim.runs": runs if runs is not None else first.sim.runs,
        "sim.seed": seed if seed is not None else first.sim.seed,
    }
    scenarios = []
    for i, file in enumerate(files):
        name = names[i] if names is not None else Path(file).stem
        scenarios.append(Scenario(name, str(file), load_params(file, {**given, **common})))
    seen = [s.name for s in scenarios]
    if len(set(seen)) != len(seen):
        raise ValueError(f"compare: scenario names must be unique, got {seen} (use --names)")
    return scenarios


def changes(reference: Params, other: Params) -> dict[str, tuple[Any, Any]]:
    """Parameters that differ between two scenarios: dotted name -> (reference value, other value)."""
    a, b = reference.flat(), other.flat()
    return {k: (a.get(k), b[k]) for k in b if a.get(k) != b[k]}


def _interval(low: float, high: float, unit: str) -> str:
    if pd.isna(low) or pd.isna(high):
        return "n/a"
    return f"{readable(float(low), unit)} to {readable(float(high), unit)}"


def _diff_text(value: float, unit: str) -> str:
    if pd.isna(value):
        return "n/a"
    shown = "share/year" if unit == "share/year" else ("share" if unit == "share" else "")
    text = readable(abs(float(value)), shown)
    if shown:
        text = text.replace("%", " pts") if shown == "share" else text.replace("%/year", " pts/year")
    return ("+" if value > 0 else "-" if value < 0 else "±") + text


def table_rows(table: pd.DataFrame, scenarios: Sequence[str]) -> list[dict[str, Any]]:
    """The KPI table as export records: kpi, unit, description, scenario, mean, ci_low, ci_high, diff, diff_ci_low,
    diff_ci_high, n (NaN written as None)."""
    rows = []
    for row in table.itertuples(index=False):
        unit, description = describe(row.kpi)
        record = {"kpi": row.kpi, "unit": unit, "description": description, **row._asdict()}
        rows.append({k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in record.items()})
    return rows


def _kpi_table_html(table: pd.DataFrame, scenarios: Sequence[str], only: pd.DataFrame | None = None) -> str:
    ref = scenarios[0]
    head = "<tr><th>KPI</th><th>unit</th>" + "".join(
        f"<th>{esc(s)}<br><small>mean (95% CI)</small></th>" for s in scenarios
    )
    head += "".join(
        f"<th>{esc(s)} − {esc(ref)}<br><small>difference (95% CI)</small></th>" for s in scenarios[1:]
    )
    head += "</tr>"
    keep = set(only["kpi"]) if only is not None else None
    body = []
    for kpi, part in table.groupby("kpi", sort=False):
        if keep is not None and kpi not in keep:
            continue
        unit, description = describe(str(kpi))
        by = part.set_index("scenario")
        cells = [f"<td><code>{esc(kpi)}</code><br><small>{esc(description)}</small></td><td>{esc(unit)}</td>"]
        for s in scenarios:
            r = by.loc[s]
            cells.append(
                f'<td class="num">{esc(readable(float(r["mean"]), unit) if pd.notna(r["mean"]) else "n/a")}'
                f"<br><small>{esc(_interval(r['ci_low'], r['ci_high'], unit))}</small></td>"
            )
        for s in scenarios[1:]:
            r = by.loc[s]
            significant = (
                pd.notna(r["diff_ci_low"]) and (r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0)
            ) or (pd.isna(r["diff_ci_low"]) and pd.notna(r["diff"]) and r["diff"] != 0)
            interval = (
                f"{_diff_text(r['diff_ci_low'], unit)} to {_diff_text(r['diff_ci_high'], unit)}"
                if pd.notna(r["diff_ci_low"])
                else "n/a"
            )
            cells.append(
                f'<td class="num{" differs" if significant else ""}">{esc(_diff_text(r["diff"], unit))}'
                f"<br><small>{esc(interval)}</small></td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table class="kpis"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>'


def _figures(trajectories: Mapping[str, Any], table: pd.DataFrame) -> list[Any]:
    from aztec_econ.analysis.expectations import MODE_NAMES, mean_over_runs, mode_share_series
    from aztec_econ.publish import plots

    names = list(trajectories)
    modes = table[table["kpi"].isin([f"share_{m}" for m in MODE_NAMES])].copy()
    modes["mode"] = modes["kpi"].str.removeprefix("share_")
    figures = [
        plots.scenario_points(
            modes, "mode", names, "Slots by outcome", "outcome", "share of slots", percent=True, log_y=True
        )
    ]
    happy = {
        n: mode_share_series(t, int(t.params.protocol.slots_per_day), CHART_SERIES_POINTS)
        for n, t in trajectories.items()
    }
    figures.append(
        plots.overlay_series(
            {
                n: s.rename(columns={"happy": "value", "happy_p10": "value_p10", "happy_p90": "value_p90"})
                for n, s in happy.items()
            },
            "Happy-path share over time (trailing day; p10-p90 over runs)",
            "share of slots",
        )
    )
    gas = {n: mean_over_runs(t, ["l1_gas_price"], CHART_SERIES_POINTS) for n, t in trajectories.items()}
    figures.append(
        plots.overlay_series(
            {
                n: s.rename(
                    columns={
                        "l1_gas_price": "value",
                        "l1_gas_price_p10": "value_p10",
                        "l1_gas_price_p90": "value_p90",
                    }
                )
                for n, s in gas.items()
            },
            "L1 gas price over time (p10-p90 over runs)",
            "gwei",
        )
    )
    fees = table[table["kpi"].isin(["fees_to_producers", "fees_burned", "mev_burned"])]
    figures.append(
        plots.scenario_points(fees, "kpi", names, "Fees and MEV by scenario", "", "tokens over the horizon")
    )
    return figures


def compare(
    files: Sequence[str | Path],
    out_dir: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    slots: int | None = None,
    runs: int | None = None,
    seed: int | None = None,
    names: Sequence[str] | None = None,
    name: str = DEFAULT_NAME,
    self_contained: bool = False,
    stream: Any = None,
) -> Comparison:
    """Simulate the scenarios of `files` with common random numbers (see `load_scenarios`) and write the comparison
    report `out_dir/NAME.html` with its KPI exports and index entry (module docstring). Progress goes to `stream`
    (default: stderr)."""
    import plotly.io as pio

    from aztec_econ.analysis.compare import compare_kpis, differing
    from aztec_econ.analysis.kpis import kpis_per_run
    from aztec_econ.publish.headline import Headline
    from aztec_econ.publish.plots import plotlyjs_tag
    from aztec_econ.publish.reports import package_version, publish_report, run_line
    from aztec_econ.simulation import check_inputs, simulate

    stream = stream or sys.stderr
    out = Path(out_dir)
    if not _SAFE_NAME.fullmatch(name):
        raise ValueError(f"report name {name!r}: use letters, digits, '.', '_' and '-'")
    scenarios = load_scenarios(files, overrides, slots=slots, runs=runs, seed=seed, names=names)
    for s in scenarios:  # every input and the output directory checked before anything runs
        check_inputs(s.params, origin=s.source)
    check_output_dir(out)
    started = time.perf_counter()
    date = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    trajectories = {}
    for s in scenarios:
        print(
            f"simulating {s.name}: {s.params.sim.runs} runs x {s.params.sim.slots:,} slots",
            file=stream,
            flush=True,
        )
        trajectories[s.name] = simulate(s.params)
    order = [s.name for s in scenarios]
    table = compare_kpis({n: kpis_per_run(t) for n, t in trajectories.items()})
    differ = differing(table)
    reference = scenarios[0]
    p = reference.params
    facts = {
        "slots": p.sim.slots,
        "days": p.sim.slots / p.protocol.slots_per_day,
        "runs": p.sim.runs,
        "seed": p.sim.seed,
    }

    scenario_rows = []
    for s in scenarios:
        changed = changes(reference.params, s.params)
        text = "; ".join(f"{k}: {a} → {b}" for k, (a, b) in changed.items()) or (
            "the reference" if s is reference else "no parameter differs from the reference"
        )
        scenario_rows.append(
            f"<tr><td><strong>{esc(s.name)}</strong></td><td><code>{esc(s.source)}</code></td>"
            f"<td>{esc(text)}</td></tr>"
        )
    csv_name, json_name = f"{name}.kpis.csv", f"{name}.kpis.json"
    rows = table_rows(table, order)
    figures = _figures(trajectories, table)
    listed = sorted(set(differ["kpi"]), key=list(table["kpi"].drop_duplicates()).index)
    parts = [
        '<header class="aztec-header">',
        f"<h1>Scenario comparison: {esc(', '.join(order))}</h1>",
        f'<p class="run">Run: {esc(run_line(facts))}; the same seed for every scenario (common random numbers). '
        f"aztec-econ {esc(package_version())}, {esc(date)} (UTC), ran {time.perf_counter() - started:.1f} s.</p>",
        "</header>",
        "<h2>Scenarios</h2><table><tr><th>scenario</th><th>file</th><th>what differs from the reference</th></tr>",
        *scenario_rows,
        "</table>",
        f"<h2>KPIs that differ from {esc(reference.name)} ({len(listed)})</h2>",
        "<p>Differences whose paired 95% interval over runs excludes 0 (runs paired by index: the same random "
        "draws). Download every KPI: "
        f'<a href="{esc(csv_name)}">CSV</a> · <a href="{esc(json_name)}">JSON</a>.</p>',
        _kpi_table_html(table, order, differ) if listed else "<p>No KPI differs beyond its interval.</p>",
        "<h2>Charts</h2>",
        *(pio.to_html(f, include_plotlyjs=False, full_html=False, default_height=420) for f in figures),
        f"<details><summary>Every KPI side by side ({table['kpi'].nunique()})</summary>",
        _kpi_table_html(table, order),
        "</details>",
    ]
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Scenario comparison: {esc(', '.join(order))}</title>"
        f"{plotlyjs_tag(out, self_contained=self_contained)}<style>{_STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
    headline = [  # the index shows the differences that exclude 0
        Headline(
            f"{r['kpi']} ({r['scenario']} - {reference.name})",
            r["diff"],
            _diff_text(r["diff"], r["unit"]),
            r["unit"],
            f"difference in the {r['description']}, paired over runs",
        )
        for r in table_rows(differ, order)
    ]
    html = out / f"{name}.html"
    entry = ReportEntry(
        id=name,
        name=name,
        title=f"Scenario comparison: {', '.join(order)}",
        notebook=" vs ".join(s.source for s in scenarios),
        status="ok",
        date=date,
        parameters={"scenarios": ", ".join(order), **dict(overrides or {})},
        kpis={h.name: h.value for h in headline},
        html=html.name,
        version=package_version(),
        duration_s=round(time.perf_counter() - started, 2),
        run=facts,
        headlines=[h.to_dict() for h in headline],
        exports={"csv": csv_name, "json": json_name},
    )
    with index_lock(out):  # the page, its exports and the index entry replaced as a unit
        publish_report(
            out,
            entry,
            {html.name: page, csv_name: _csv(rows), json_name: json.dumps(rows, indent=2) + "\n"},
        )
    return Comparison(scenarios, table, html, out / csv_name, out / json_name, entry)


def _csv(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    columns = [
        "kpi",
        "unit",
        "description",
        "scenario",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "n",
    ]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
.aztec-header { border-bottom: 2px solid #0072B2; margin-bottom: 1rem; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td { overflow-wrap: break-word; }
table.kpis td:first-child { min-width: 16rem; max-width: 28rem; white-space: normal; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.differs { background: #fff4d6; font-weight: bold; }
.scroll { overflow-x: auto; max-width: 100%; }
small { color: #555; font-weight: normal; }
details summary { cursor: pointer; font-weight: bold; margin: 1rem 0; }
"""


# ---------------------------------------------------------------------------------------------------------------------
# Command line


def cmd_compare(args: argparse.Namespace) -> int:
    for file in args.files:
        if not Path(file).is_file():
            print(f"error: no parameter file {file}", file=sys.stderr)
            return 2
    overrides = dict(parse_override(p) for p in args.overrides or ())
    try:
        result = compare(
            args.files,
            args.out,
            overrides,
            slots=args.slots,
            runs=args.runs,
            seed=args.seed,
            names=args.names.split(",") if args.names else None,
            name=args.name,
            self_contained=args.self_contained,
        )
    except (ValueError, ParamsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    differ = result.table.dropna(subset=["diff"])
    print(
        f"compared {len(result.scenarios)} scenarios: {differ['kpi'].nunique()} KPIs, "
        f"report: {result.html}  (KPIs: {result.csv}, index: {Path(args.out) / 'index.html'})",
        file=sys.stderr,
    )
    return 0
