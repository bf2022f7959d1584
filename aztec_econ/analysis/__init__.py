"""Analysis layer: what a simulation's trajectories mean.

- `kpis`: the KPIs per run, the agent, vote and confirmation tables, and their aggregation with confidence intervals;
- `theory`: closed forms the simulation is tested against and notebooks overlay;
- `expectations`: those closed forms evaluated at a parameter set, and series helpers for notebooks.

Imports `params`, `model` and `simulation`, never `sweep`, `publish` or `cli`.
"""
