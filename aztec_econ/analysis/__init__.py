"""Analysis layer: what a simulation's trajectories mean.

- `kpis`: the KPIs per run (`kpis_per_run(traj)`) and their aggregation with confidence intervals (`summary(traj)`);
- `tables`: the agent, vote and confirmation tables (`agent_table(traj)`, `vote_table(traj)`,
  `confirmation_table(traj)`);
- `theory`: closed forms the simulation is tested against and notebooks overlay;
- `expectations`: those closed forms evaluated at a parameter set, and series helpers for notebooks.

Imports `params`, `model` and `simulation`, never `sweep`, `publish` or `cli`.
"""
