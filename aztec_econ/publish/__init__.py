"""Publishing layer: notebooks, charts and reports.

- `notebook`: the notebooks' shared set-up (`setup`, `md`, `assumptions_table`);
- `glue`: headline KPIs recorded in an executed notebook and read back;
- `plots`: figures and the one theme;
- `reports`: reports published with their index (`aztec-econ report`), from `execution` (papermill runs a notebook;
  its parameters checked first) and `render` (nbconvert HTML);
- `index`: the reports index; `figures`: static PNG/SVG export; `headline`: headline KPIs described and written
  out for readers (report tops, the index, CSV/JSON exports);
- `compare`: scenarios side by side with common random numbers (`aztec-econ compare`);
- `explorer`: ipywidgets controls for the main levers, rerunning a small simulation (notebooks/20_explorer.py);
- `notebook_sweep`: notebook sweeps (a notebook per sweep point; `aztec-econ sweep --notebook`), their reports
  written by `sweep_report` (per-point and sweep summary pages);
- `commands`: the parsers of `report`, `figures`, `compare` and `sweep`; each command's implementation is imported
  when it runs, so `aztec-econ --help` stays fast.

May import every layer below it (`params`, `model`, `simulation`, `analysis`, `sweep`); only `cli` imports it.
"""
