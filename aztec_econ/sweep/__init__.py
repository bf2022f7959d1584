"""Sweep layer: many parameter points x Monte Carlo runs.

- `spec`: sweep files (grid, zip, samples incl. Sobol' and Morris designs) expanded into validated points, or the same
  built in Python (`grid_spec`); `sampling`: the draws of a `sample:` axis (`Sample`, lhs, random, SALib designs);
- `executors`: the local process pool, Dask, and inline (this process); `quiet_workers`: imported first by the
  pool's fork server, so it and its workers ignore Ctrl-C;
- `store`: atomic per-point outputs, the manifest, the summary, resume;
- `tasks`: what a worker computes for one point;
- `split_runs`: one simulation's Monte Carlo runs in chunks over an executor, joined into what one process computes
  (`simulate_split`, `kpis_split`);
- `runner`: `run_sweep`, its extension point `PointKind` (what a point computes), `sweep_table` (a sweep in this
  process, as a table: what notebooks use) and the `aztec-econ sweep` command;
- `analysis`: reading a finished sweep (summary, runs, thresholds, decision tree, sensitivity indices, PRIM
  scenarios) and the `aztec-econ analyze` command;
- `optimize`: mechanism search, an Optuna study whose trials are sweep points (`aztec-econ optimize`);
  `study_file`: its optimisation files; `study_outputs`: the trials table, Pareto front and `best.json` it writes.
- `commands`: the parsers of `sweep`, `analyze` and `optimize`, importing each implementation when it runs.

Imports `params`, `model`, `simulation` and `analysis`, never `publish` or `cli`.
"""
