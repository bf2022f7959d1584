"""The reports directory: the machine-readable `index.json` and the `index.html` built from it.

`index.json` is a list of `ReportEntry` records (one per report id); `index.html` is rebuilt from it every time an
entry is added, under an exclusive lock so concurrent report builds do not lose entries. Every user-provided string
(titles, parameter names and values, file names, KPI names and values, error text) is HTML-escaped.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aztec_econ.files import replace_together

INDEX_JSON = "index.json"
INDEX_HTML = "index.html"
_LOCK = ".index.lock"


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
    """Exclusive lock on a reports directory's index (POSIX advisory lock)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / _LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_index(out_dir: str | Path) -> list[ReportEntry]:
    """The entries of `out_dir/index.json` (empty if there is none)."""
    path = Path(out_dir) / INDEX_JSON
    if not path.is_file():
        return []
    return [ReportEntry.from_dict(item) for item in json.loads(path.read_text())]


def index_files(entries: list[ReportEntry]) -> dict[str, str]:
    """The contents of `index.json` and `index.html` for `entries` (sorted by name, then id)."""
    entries = sorted(entries, key=lambda e: (e.name, e.id))
    return {
        INDEX_JSON: json.dumps([e.to_dict() for e in entries], indent=2) + "\n",
        INDEX_HTML: render_index(entries),
    }


def write_index(out_dir: str | Path, entries: list[ReportEntry]) -> None:
    """Write `index.json` and `index.html` (entries sorted by name, then id), together (`replace_together`)."""
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
    """Short display text of a KPI or parameter value (not escaped)."""
    if isinstance(value, float):
        return f"{value:,.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def headline_kpis(glued: dict[str, Any]) -> dict[str, Any]:
    """Glued values shown as headline KPIs: scalar values whose names do not start with `_`."""
    return {
        k: v
        for k, v in glued.items()
        if not k.startswith("_") and (v is None or isinstance(v, int | float | str))
    }


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
.failed { background: #fde8e8; }
.status-failed { color: #b00020; font-weight: bold; }
.status-ok { color: #00704a; font-weight: bold; }
code, .kv { font-family: Menlo, Consolas, monospace; font-size: 0.85rem; }
"""


def _key_values(values: dict[str, Any]) -> str:
    return "<br>".join(
        f'<span class="kv">{esc(k)} = {esc(format_value(v))}</span>' for k, v in values.items()
    )


def render_index(entries: list[ReportEntry]) -> str:
    """The index page: one row per report with its title, status, parameters, date, headline KPIs and links."""
    rows = []
    for e in entries:
        links = f'<a href="{href(e.html)}">report</a>' if e.html else ""
        if e.ipynb:
            links += f' · <a href="{href(e.ipynb)}">notebook</a>'
        error = f'<br><span class="status-failed">{esc(e.error.splitlines()[0])}</span>' if e.error else ""
        rows.append(
            f'<tr class="{"ok" if e.ok else "failed"}" data-report-id="{esc(e.id)}">'
            f"<td><strong>{esc(e.title)}</strong><br><code>{esc(e.notebook)}</code></td>"
            f'<td class="status-{"ok" if e.ok else "failed"}">{esc(e.status)}{error}</td>'
            f"<td>{_key_values(e.parameters) or 'notebook defaults'}</td>"
            f"<td>{esc(e.date)}</td>"
            f"<td>{_key_values(e.kpis)}</td>"
            f"<td>{links}</td></tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="6">no reports yet</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>aztec-econ reports</title>
<style>{_STYLE}</style></head>
<body><h1>aztec-econ reports</h1>
<p>{len(entries)} report(s). Machine-readable: <a href="{INDEX_JSON}">{INDEX_JSON}</a>.</p>
<table><thead><tr><th>report</th><th>status</th><th>parameters</th><th>date (UTC)</th><th>headline KPIs</th>
<th>links</th></tr></thead>
<tbody>
{body}
</tbody></table></body></html>
"""
