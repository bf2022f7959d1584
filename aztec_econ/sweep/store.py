"""The output directory of a sweep: per-point Parquet partitions, the manifest and the summary table.

```
OUT/
  .sweep.lock              held (flock) while a sweep writes here: the pid, sweep name and start of the holder
  manifest.json            every point: id, index, swept values, parameters, status, error, timing (atomic rewrite)
  points/<id>.parquet      per-run KPIs of one point (one row per Monte Carlo run; columns point_id, run, KPIs)
  aggregates/<id>.parquet  KPIs of one point aggregated over runs (point_id, kpi, mean, std, ci_low, ci_high, n)
  summary.parquet/.csv     one row per done point: point_id, index, swept values, then <kpi>_mean/_ci_low/_ci_high
  design.parquet           sobol and morris samples only: the design's rows in order (row, point_id, design values)
```

Only the client process writes here (workers return their results), every file goes through a temporary file in
the same directory and `os.replace`, and a point's `points/<id>.parquet` is written last: its presence is what marks
the point done, so a process killed at any moment loses no completed point even if the manifest lags behind. The
two summaries are replaced together (`aztec_econ.files.replace_together`), so they never disagree.

`Store(out_dir)` only reads; `Store.open(name)` checks the directory (writable; not a file; not another sweep's
directory or some unrelated non-empty one), creates it and takes its lock: a second sweep into it while the first
runs fails with `StoreError` naming the holder. The lock is the kernel's (`fcntl.flock`): a sweep that dies releases
it, so rerunning the same sweep resumes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from aztec_econ.files import OutputPathError, atomic_write, check_output_dir, replace_together

MANIFEST = "manifest.json"
POINTS = "points"
AGGREGATES = "aggregates"
SUMMARY = "summary"
LOCK = ".sweep.lock"
DESIGN = "design.parquet"
STATUSES = ("pending", "done", "failed")
OWN_ENTRIES = {MANIFEST, POINTS, AGGREGATES, f"{SUMMARY}.parquet", f"{SUMMARY}.csv", LOCK, DESIGN, "reports"}
"""What a sweep directory holds; a non-empty directory with anything else and no manifest is not a sweep's."""


class StoreError(OutputPathError):
    """The output directory cannot take this sweep: locked by a running sweep, another sweep's, or unrelated."""


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as Parquet bytes (no index); identical frames give identical bytes."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False, compression="zstd")
    return buffer.getvalue()


@dataclass
class PointRecord:
    """One point in the manifest. `duration_s` is the worker's compute time [seconds]; `finished` is ISO 8601 UTC."""

    id: str
    index: int
    values: dict[str, Any]
    params: dict[str, Any]
    status: str = "pending"
    error: str | None = None
    duration_s: float | None = None
    finished: str | None = None
    worker: str | None = None
    kind: str = "simulation"
    extra: dict[str, Any] = field(default_factory=dict)


class Store:
    """Reads and writes one sweep's output directory (client side only); writes need `open` first."""

    def __init__(self, out_dir: str | Path) -> None:
        self.root = Path(out_dir)
        self._lock: IO[str] | None = None

    def check(self, name: str) -> None:
        """Raise `OutputPathError` (or `StoreError`) unless sweep `name` may write here; writes nothing."""
        check_output_dir(self.root)
        if not self.root.is_dir():
            return
        for sub in (POINTS, AGGREGATES):
            if (self.root / sub).exists():
                check_output_dir(self.root / sub, option="--out")
        for entry in (MANIFEST, f"{SUMMARY}.parquet", f"{SUMMARY}.csv", LOCK):
            if (self.root / entry).is_dir():
                raise StoreError(f"--out {self.root}: {entry} is a directory; the sweep writes a file there")
        manifest = self.read_manifest()
        if manifest:
            other = manifest.get("name")
            if other != name:
                raise StoreError(
                    f"--out {self.root}: holds the results of sweep {other!r}, not {name!r}; a directory holds one "
                    "sweep (rerun that sweep to resume it, or give another --out)"
                )
        elif set(os.listdir(self.root)) - OWN_ENTRIES:
            raise StoreError(
                f"--out {self.root}: is a non-empty directory that holds no sweep (no {MANIFEST}); give a new or "
                "empty directory"
            )

    def open(self, name: str) -> None:
        """Check the directory for sweep `name` (`check`), create it and take its lock (held until `close`)."""
        self.check(name)
        for sub in (POINTS, AGGREGATES):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        handle = open(self.root / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(
                f"--out {self.root}: another sweep is writing into it ({holder}); wait for it to finish or give "
                "another --out (a sweep that died releases the lock: rerunning it resumes)"
            ) from None
        handle.seek(0)
        handle.truncate()
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        handle.write(f"pid {os.getpid()}, sweep {name!r}, since {started}\n")
        handle.flush()
        self._lock = handle
        self.check(name)  # the holder before us may have changed it

    def close(self) -> None:
        """Release the lock (also released by the kernel when the process dies)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.seek(0)
                self._lock.truncate()
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def point_path(self, point_id: str) -> Path:
        return self.root / POINTS / f"{point_id}.parquet"

    def aggregate_path(self, point_id: str) -> Path:
        return self.root / AGGREGATES / f"{point_id}.parquet"

    def is_done(self, point_id: str) -> bool:
        """Whether the point's outputs are complete on disk (its per-run file is written last)."""
        return self.point_path(point_id).is_file() and self.aggregate_path(point_id).is_file()

    def read_manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        if not path.is_file():
            return {}
        try:
            data: dict[str, Any] = json.loads(path.read_text())
        except json.JSONDecodeError:
            return {}
        return data

    def write_manifest(self, header: dict[str, Any], records: list[PointRecord]) -> None:
        counts = {s: sum(r.status == s for r in records) for s in STATUSES}
        body = {**header, "counts": counts, "points": [asdict(r) for r in records]}
        atomic_write(self.root / MANIFEST, json.dumps(body, indent=1, sort_keys=False, default=str))

    def write_point(self, point_id: str, per_run: pd.DataFrame, aggregated: pd.DataFrame) -> None:
        """Write a point's aggregated KPIs, then its per-run KPIs (the 'done' marker), each atomically."""
        atomic_write(self.aggregate_path(point_id), parquet_bytes(aggregated))
        atomic_write(self.point_path(point_id), parquet_bytes(per_run))

    def write_design(self, design: pd.DataFrame) -> None:
        """Write a sensitivity design's rows (`aztec_econ.sweep.spec.SweepSpec.design`) to `design.parquet`."""
        atomic_write(self.root / DESIGN, parquet_bytes(design))

    def read_aggregate(self, point_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.aggregate_path(point_id))

    def write_summary(self, records: list[PointRecord]) -> pd.DataFrame:
        """Rebuild `summary.parquet` and `summary.csv` from the done points' aggregates, in point order."""
        rows = []
        for record in sorted(records, key=lambda r: r.index):
            if record.status != "done":
                continue
            agg = self.read_aggregate(record.id).set_index("kpi")
            row: dict[str, Any] = {"point_id": record.id, "index": record.index, **record.values}
            for kpi, stats in agg.iterrows():
                row[f"{kpi}_mean"] = stats["mean"]
                row[f"{kpi}_ci_low"] = stats["ci_low"]
                row[f"{kpi}_ci_high"] = stats["ci_high"]
            rows.append(row)
        summary = pd.DataFrame(rows)
        replace_together(
            self.root,
            {f"{SUMMARY}.parquet": parquet_bytes(summary), f"{SUMMARY}.csv": summary.to_csv(index=False)},
        )
        return summary
