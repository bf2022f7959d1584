"""Headline KPIs for readers: what each glued value is (unit, one-line description), its value as a readable number,
and the tables and files that carry them (report top, index, CSV/JSON exports).

A glued value is described by, in order:

1. the `unit` and `description` given to `aztec_econ.publish.glue.glue`;
2. its declaration in `aztec_econ.analysis.kpis.KPIS` (same name);
3. the declared KPI named by `glue(..., kpi=...)`, with the `qualifier` given (the KPI at a point a notebook
   names, e.g. `glue("share_backup_at_max_c", v, kpi="share_backup", qualifier="at the largest c")`);
4. a declared KPI its name derives from: `theory_<kpi>` (its closed form) and `<kpi>_per_day` (per day).

Numbers are written out in full, never in scientific notation: shares as percentages, other values with about four
significant digits and thousands separators (`readable`).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from aztec_econ.analysis.kpis import KPIS

_DECLARED = {k.name: k for k in KPIS}
SHARE_UNITS = {"share": "%", "share/year": "%/year"}
"""Units whose values are shown as percentages, and the suffix they are shown with."""


@dataclass(frozen=True)
class Headline:
    """One headline KPI as readers see it: `text` is `value` written out for its `unit`."""

    name: str
    value: Any
    text: str
    unit: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe(name: str, meta: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(unit, description) of the glued value `name` (see the module docstring); ("", "") if nothing describes it.

    `meta` is what `glue` recorded besides the value: `unit`, `description`, `kpi` (the declared KPI the value is an
    instance of) and `qualifier` (where or how, e.g. "at the largest c")."""
    meta = meta or {}
    unit, description = str(meta.get("unit") or ""), str(meta.get("description") or "")
    if unit and description:
        return unit, description
    derived = _derived(name, meta.get("kpi"), meta.get("qualifier"))
    return unit or derived[0], description or derived[1]


def _derived(name: str, kpi: str | None, qualifier: str | None) -> tuple[str, str]:
    theory = name.startswith("theory_")
    key = kpi or name.removeprefix("theory_")
    per_day = key not in _DECLARED and key.endswith("_per_day")
    key = key.removesuffix("_per_day") if per_day else key
    if key not in _DECLARED:
        return "", ""
    unit, description = _DECLARED[key].unit, _DECLARED[key].description
    if per_day:
        unit, description = f"{unit}/day", f"{description}, per day"
    if qualifier:
        description = f"{description} ({qualifier})"
    if theory:
        description = f"closed form of the {_lower_first(description)}"
    return unit, description


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[1:2].isupper() else text


def _plain(value: float, significant: int = 4) -> str:
    """`value` with about `significant` significant digits, thousands separators, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = min(12, max(0, significant - 1 - magnitude))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def readable(value: Any, unit: str = "") -> str:
    """`value` for a reader: booleans as yes/no, None/NaN as n/a, shares as percentages, numbers in full."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a" if math.isnan(value) else ("∞" if value > 0 else "-∞")
        if unit in SHARE_UNITS:
            return f"{_plain(100.0 * value, 3)}{SHARE_UNITS[unit]}"
        return _plain(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def headline_values(glued: Mapping[str, Any]) -> dict[str, Any]:
    """Glued values shown as headline KPIs: scalar values whose names do not start with `_`."""
    return {
        k: v
        for k, v in glued.items()
        if not k.startswith("_") and (v is None or isinstance(v, bool | int | float | str))
    }


def headlines(
    glued: Mapping[str, Any], meta: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Headline]:
    """Every headline KPI of a notebook's glued values, in glue order, described and written out."""
    meta = meta or {}
    rows = []
    for name, value in headline_values(glued).items():
        unit, description = describe(name, meta.get(name))
        rows.append(Headline(name, value, readable(value, unit), unit, description))
    return rows


def to_csv(rows: list[Headline], report: str | None = None) -> str:
    """CSV of headline KPIs (`report` first when given, then name, value, text, unit, description)."""
    buffer = io.StringIO()
    columns = (["report"] if report is not None else []) + ["name", "value", "text", "unit", "description"]
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = row.to_dict()
        writer.writerow({**({"report": report} if report is not None else {}), **record})
    return buffer.getvalue()


def to_json(rows: list[Headline]) -> str:
    """JSON list of headline KPIs (name, value, text, unit, description)."""
    return json.dumps([row.to_dict() for row in rows], indent=2, allow_nan=False) + "\n"
