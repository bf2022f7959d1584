"""Analysis layer: what a simulation's trajectories mean.

- `kpis`: the KPIs per run (`kpis_per_run(traj)`) and their aggregation with confidence intervals (`summary(traj)`);
- `tables`: the agent, vote and confirmation tables (`agent_table(traj)`, `vote_table(traj)`,
  `confirmation_table(traj)`), with their column declarations;
- `run_data`: what the KPIs share (`RunData`), and the concentration measures `gini`, `nakamoto`;
- `outputs_doc`: docs/outputs.md, generated from the declarations (`outputs_markdown()`);
- `theory`: closed forms the simulation is tested against and notebooks overlay;
- `expectations`: those closed forms evaluated at a parameter set, and series helpers for notebooks (by topic:
  `attack_expectations` for attacks and votes, `phase_expectations` for phase lengths and deadlines; all re-exported
  by `expectations`);
- `sensitivity`: Sobol' indices and Morris measures of a KPI over a design (SALib's estimators);
- `scenarios`: PRIM boxes of parameter space where a condition holds (the EMA Workbench's PRIM).

Imports `params`, `model` and `simulation`, never `sweep`, `publish` or `cli`.
"""
