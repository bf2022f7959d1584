"""The reports directory: the machine-readable `index.json` and the `index.html` built from it.

`index.json` is a list of `ReportEntry` records (one per report id); `index.html` (and the headline KPIs of every
report as `index.kpis.csv` and `index.kpis.json`) are rebuilt from it every time an entry is added, under an
exclusive lock on the directory itself so concurrent report builds do not lose entries and no lock file is left
behind. Every user-provided string (titles, parameter names and values, file names, KPI names and values, error
text) is HTML-escaped.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import html
import io
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aztec_econ.files import replace_together
from aztec_econ.publish.headline import describe, headline_values, readable

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
INDEX_KPIS_CSV = "index.kpis.csv"
INDEX_KPIS_JSON = "index.kpis.json"


@dataclass
class ReportEntry:
    """One report in the index. `id` is unique in a directory: the report name, or `NAME.failed` for a failed run
    kept beside an earlier good report of the same name. Paths are relative to the reports directory."""

    id: str
    name: str
    title: str
    notebook: str
    status: str  # "ok" or "failed"
    date: str  # ISO 8601, UTC
    parameters: dict[str, Any] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    html: str = ""
    ipynb: str = ""
    error: str | None = None
    version: str = ""
    duration_s: float = 0.0
    run: dict[str, Any] = field(default_factory=dict)
    """`slots`, `days`, `runs`, `seed` of the run (None where unknown)."""
    headlines: list[dict[str, Any]] = field(default_factory=list)
    """Headline KPIs as readers see them (`aztec_econ.publish.headline.Headline` records)."""
    exports: dict[str, str] = field(default_factory=dict)
    """Its headline KPIs as files: kind (`csv`, `json`) -> path relative to the reports directory."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportEntry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@contextlib.contextmanager
def index_lock(out_dir: str | Path) -> Iterator[None]:
    """Exclusive lock on a reports directory's index: a POSIX advisory lock on the directory itself (no lock file)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_index(out_dir: str | Path) -> list[ReportEntry]:
    """The entries of `out_dir/index.json` (empty if there is none)."""
    path = Path(out_dir) / INDEX_JSON
    if not path.is_file():
        return []
    return [ReportEntry.from_dict(item) for item in json.loads(path.read_text())]


def _headline_rows(entry: ReportEntry) -> list[dict[str, Any]]:
    """The entry's headline KPIs as records; entries written before they were recorded fall back to their values."""
    if entry.headlines:
        return entry.headlines
    rows = []
    for name, value in entry.kpis.items():
        unit, description = describe(name)
        rows.append(
            {
                "name": name,
                "value": value,
                "text": readable(value, unit),
                "unit": unit,
                "description": description,
            }
        )
    return rows


def index_kpis(entries: list[ReportEntry]) -> list[dict[str, Any]]:
    """Every report's headline KPIs, one record per (report, KPI): report id, then name, value, text, unit,
    description."""
    return [{"report": e.id, **row} for e in entries for row in _headline_rows(e)]


def index_files(entries: list[ReportEntry]) -> dict[str, str]:
    """The contents of `index.json`, `index.html` and the KPI exports `index.kpis.csv`, `index.kpis.json` for
    `entries` (sorted by name, then id)."""
    entries = sorted(entries, key=lambda e: (e.name, e.id))
    records = index_kpis(entries)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["report", "name", "value", "text", "unit", "description"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(records)
    return {
        INDEX_JSON: json.dumps([e.to_dict() for e in entries], indent=2) + "\n",
        INDEX_KPIS_JSON: json.dumps(records, indent=2) + "\n",
        INDEX_KPIS_CSV: buffer.getvalue(),
        INDEX_HTML: render_index(entries),
    }


def write_index(out_dir: str | Path, entries: list[ReportEntry]) -> None:
    """Write `index.json`, `index.html` and the KPI exports (entries sorted by name, then id), together
    (`replace_together`)."""
    replace_together(out_dir, index_files(entries))


def update_index(out_dir: str | Path, add: ReportEntry, remove: tuple[str, ...] = ()) -> list[ReportEntry]:
    """Add (or replace by id) `add`, drop the ids in `remove`, and rewrite the index; returns the new entries."""
    with index_lock(out_dir):
        entries = [e for e in read_index(out_dir) if e.id != add.id and e.id not in remove]
        entries.append(add)
        write_index(out_dir, entries)
    return entries


def esc(value: Any) -> str:
    """HTML-escaped text of any value (quotes included)."""
    return html.escape(value if isinstance(value, str) else json.dumps(value, default=str), quote=True)


def href(path: str) -> str:
    """A relative link to a file name, URL-quoted and HTML-escaped."""
    return html.escape(quote(path), quote=True)


def format_value(value: Any) -> str:
    """Short display text of a KPI or parameter value (not escaped; numbers written out, never as exponents)."""
    if isinstance(value, bool | int | float) or value is None:
        return readable(value)
    return value if isinstance(value, str) else json.dumps(value)


def headline_kpis(glued: dict[str, Any]) -> dict[str, Any]:
    """Glued values shown as headline KPIs: scalar values whose names do not start with `_`."""
    return headline_values(glued)


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
td { overflow-wrap: break-word; }
th { background: #f5f5f5; }
.failed { background: #fde8e8; }
.status-failed { color: #b00020; font-weight: bold; }
.status-ok { color: #00704a; font-weight: bold; }
code, .kv { font-family: Menlo, Consolas, monospace; font-size: 0.85rem; }
.kpi { white-space: nowrap; }
"""


def _key_values(values: dict[str, Any]) -> str:
    return "<br>".join(
        f'<span class="kv">{esc(k)} = {esc(format_value(v))}</span>' for k, v in values.items()
    )


def _run_cell(run: dict[str, Any]) -> str:
    if not run:
        return "n/a"
    slots, days, runs, seed = (run.get(k) for k in ("slots", "days", "runs", "seed"))
    lines = []
    if slots is not None:
        lines.append(f"{esc(readable(slots))} slots" + (f" ({esc(readable(days))} days)" if days else ""))
    if runs is not None:
        lines.append(f"{esc(readable(runs))} runs")
    lines.append(f"seed {esc(str(seed))}" if seed is not None else "seed: default")
    return "<br>".join(lines)


def _kpi_cell(entry: ReportEntry) -> str:
    return "<br>".join(
        f'<span class="kpi" title="{esc(row.get("description") or "")}"><code>{esc(row["name"])}</code> '
        f"{esc(row.get('text') or '')}</span>"
        for row in _headline_rows(entry)
    )


def render_index(entries: list[ReportEntry]) -> str:
    """The index page: one row per report with its title, status, run (slots, runs, seed), the parameters given,
    date, headline KPIs (readable, with their descriptions on hover) and links (report, notebook, KPI exports)."""
    rows = []
    for e in entries:
        links = [f'<a href="{href(e.html)}">report</a>'] if e.html else []
        if e.ipynb:
            links.append(f'<a href="{href(e.ipynb)}">notebook</a>')
        links += [f'<a href="{href(path)}">KPIs {esc(kind.upper())}</a>' for kind, path in e.exports.items()]
        error = f'<br><span class="status-failed">{esc(e.error.splitlines()[0])}</span>' if e.error else ""
        rows.append(
            f'<tr class="{"ok" if e.ok else "failed"}" data-report-id="{esc(e.id)}">'
            f"<td><strong>{esc(e.title)}</strong><br><code>{esc(e.notebook)}</code></td>"
            f'<td class="status-{"ok" if e.ok else "failed"}">{esc(e.status)}{error}</td>'
            f"<td>{_run_cell(e.run)}</td>"
            f"<td>{_key_values(e.parameters) or 'none (notebook defaults)'}</td>"
            f"<td>{esc(e.date)}</td>"
            f"<td>{_kpi_cell(e)}</td>"
            f"<td>{' · '.join(links)}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="7">no reports yet</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>aztec-econ reports</title>
<style>{_STYLE}</style></head>
<body><h1>aztec-econ reports</h1>
<p>{len(entries)} report(s). Machine-readable: <a href="{INDEX_JSON}">{INDEX_JSON}</a>; every headline KPI:
<a href="{INDEX_KPIS_CSV}">CSV</a> · <a href="{INDEX_KPIS_JSON}">JSON</a>.</p>
<table><thead><tr><th>report</th><th>status</th><th>run</th><th>parameters given</th><th>date (UTC)</th>
<th>headline KPIs</th><th>links</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""
