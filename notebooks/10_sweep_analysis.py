# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (aztec-econ)
#     language: python
#     name: aztec-econ
# ---

# %% [markdown]
# # Sweep analysis: which parameters decide success
#
# ## Question
# Reads the outputs of `aztec-econ sweep` (or, without `sweep_dir`, runs `sweep_file` with a short horizon), shows
# the KPIs by point and against each swept parameter, applies KPI thresholds (pass/fail per point, optionally on
# the whole 95% confidence interval) and fits a decision tree that says which parameters decide success.

# %% tags=["parameters"]
sweep_dir = None  # output directory of `aztec-econ sweep`; None: run `sweep_file` below into a temporary directory
sweep_file = "params/sweeps/prover_failure_x_offline_lhs.yaml"  # relative to the project root
slots = 288  # horizon of the demo sweep [slots] (two days)
runs = 2  # Monte Carlo runs per point of the demo sweep
thresholds = ["share_backup < 0.05", "share_skipped < 0.02"]  # "kpi OP number", on the KPI means
conservative = False  # True: a point passes only if its whole 95% confidence interval does
max_depth = 2  # depth of the decision tree

# %% [markdown]
# ## Setup

# %%
import io
import tempfile
from pathlib import Path

from aztec_econ.sweep import analysis as sa
from aztec_econ.publish.glue import glue
from aztec_econ.publish.notebook import answer, md, pct
from aztec_econ.params import PROJECT_ROOT
from aztec_econ.publish.plots import kpi_vs_parameter, use_report_renderer

use_report_renderer()
if sweep_dir is None:
    from aztec_econ.sweep.runner import run_sweep
    from aztec_econ.sweep.spec import load_sweep

    out = Path(tempfile.mkdtemp(prefix="sweep-analysis-"))
    spec = load_sweep(PROJECT_ROOT / sweep_file, {"sim.slots": slots, "sim.runs": runs})
    done = run_sweep(spec, out, progress=False, stream=io.StringIO())  # its log stays out of the report
    md(f"Ran `{sweep_file}` ({len(done.records)} points, {runs} runs x {slots:,} slots each): {done.done} done, "
       f"{done.failed} failed.")
else:
    out = Path(sweep_dir)
summary = sa.load_summary(out)
parameters = sa.swept_parameters(summary)
md(f"**{len(summary)} points** swept over {', '.join(f'`{p}`' for p in parameters)}.")
glue("points", len(summary), unit="points", description="sweep points with results")

# %% [markdown]
# ## Analysis 1: KPIs by point

# %%
sa.kpi_table(summary, ["share_happy", "share_backup", "share_skipped", "finalized_per_day", "slashed"]).round(4)

# %% [markdown]
# ## Analysis 2: KPIs against each swept parameter

# %%
for parameter in parameters:
    kpi_vs_parameter(summary, "share_backup", parameter).show()

# %% [markdown]
# ### Interpretation

# %%
correlations = summary[parameters].corrwith(summary["share_backup_mean"]).dropna()
strongest = correlations.abs().idxmax() if len(correlations) else None
if strongest is not None:
    md(
        f"The backup share moves most with **`{strongest}`** (correlation {correlations[strongest]:+.2f} over the "
        "points); error bars are 95% confidence intervals over the Monte Carlo runs."
    )

# %% [markdown]
# ## Analysis 3: thresholds and the decision tree

# %%
verdict = sa.apply_thresholds(summary, thresholds, conservative=conservative)
tree, rules = sa.decision_tree(verdict, parameters, max_depth=max_depth)
importance = dict(zip(parameters, tree.feature_importances_, strict=True))
print(rules)

# %% [markdown]
# ### Interpretation

# %%
passed = int(verdict["success"].sum())
deciding = max(importance, key=lambda k: importance[k])
md(
    f"**{passed} of {len(verdict)} points** ({pct(passed / len(verdict))}) meet every threshold "
    f"({'; '.join(thresholds)}{', on the whole confidence interval' if conservative else ', on the means'}). "
    f"The tree's most important parameter is **`{deciding}`** (importance {importance[deciding]:.2f}); its rules "
    "above show the values at which success flips."
)
glue("points_passing", passed, unit="points", description="sweep points meeting every threshold")
glue("deciding_parameter", deciding, unit="-", description="the decision tree's most important parameter")
glue("deciding_importance", importance[deciding], unit="0-1",
     description="that parameter's importance in the decision tree (impurity decrease, sums to 1)")
answer(
    f"**{passed} of {len(verdict)} points** meet every threshold ({'; '.join(thresholds)}). Success is decided "
    f"mostly by **`{deciding}`** (tree importance {importance[deciding]:.2f})"
    + (f"; the backup share moves most with `{strongest}` (correlation {correlations[strongest]:+.2f})." if strongest is not None else ".")
)
