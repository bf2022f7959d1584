"""Sweep analysis: KPI tables, thresholds (mean or whole confidence interval), the decision tree, KPI plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aztec_econ.publish.plots import kpi_vs_parameter
from aztec_econ.sweep import analysis as sa


def summary_table() -> pd.DataFrame:
    """A summary in the layout `aztec_econ.sweep.store` writes: backup share rises with the prover failure
    probability and falls with the prover count; only failure probability crosses the 5% threshold."""
    failure = np.repeat([0.01, 0.05, 0.1, 0.2], 3)
    count = np.tile([5, 10, 20], 4)
    backup = failure * 0.4 + 0.01 / count
    return pd.DataFrame(
        {
            "point_id": [f"p{i}" for i in range(12)],
            "index": range(12),
            "agents.provers.failure_probability": failure,
            "agents.provers.count": count,
            "share_backup_mean": backup,
            "share_backup_ci_low": backup - 0.01,
            "share_backup_ci_high": backup + 0.01,
            "finalized_per_day_mean": 144 * (1 - backup),
            "finalized_per_day_ci_low": 144 * (1 - backup) - 1,
            "finalized_per_day_ci_high": 144 * (1 - backup) + 1,
        }
    )


def test_kpi_table_lists_swept_values_and_means_by_point() -> None:
    table = sa.kpi_table(summary_table())
    assert list(table.columns) == [
        "agents.provers.failure_probability",
        "agents.provers.count",
        "share_backup",
        "finalized_per_day",
    ]
    assert table.index[0] == "p0" and sa.kpi_names(summary_table()) == ["share_backup", "finalized_per_day"]


def test_thresholds_pass_or_fail_each_point_and_conservative_uses_the_interval() -> None:
    verdict = sa.apply_thresholds(summary_table(), ["share_backup < 0.05", "finalized_per_day >= 130"])
    assert (
        verdict["success"].tolist() == [True] * 9 + [False] * 3
    )  # failure 0.1: about 0.041 < 0.05 on the mean
    assert verdict["pass: finalized_per_day >= 130"].all()
    cautious = sa.apply_thresholds(summary_table(), ["share_backup < 0.05"], conservative=True)
    assert cautious["success"].tolist() == [True] * 6 + [False] * 6  # ...but its interval reaches above 0.05
    with pytest.raises(ValueError, match="no KPI 'apr'"):
        sa.apply_thresholds(summary_table(), ["apr > 0.03"])
    with pytest.raises(ValueError, match="expected 'kpi OP number'"):
        sa.parse_threshold("share_backup == 1")


def test_decision_tree_finds_the_parameter_that_decides_success() -> None:
    verdict = sa.apply_thresholds(summary_table(), ["share_backup < 0.05"])
    tree, text = sa.decision_tree(verdict, sa.swept_parameters(verdict))
    assert text.splitlines()[0].startswith("|--- agents.provers.failure_probability <= 0.15")
    assert tree.score(verdict[sa.swept_parameters(verdict)].astype(float), verdict["success"]) == 1.0


def test_kpi_vs_parameter_draws_means_with_interval_error_bars() -> None:
    fig = kpi_vs_parameter(
        summary_table(), "share_backup", "agents.provers.failure_probability", colour="agents.provers.count"
    )
    assert len(fig.data) == 3 and fig.data[0].name == "agents.provers.count = 5 (simulated)"
    assert fig.data[0].error_y.array == pytest.approx([0.01] * 4)


def test_kpi_vs_parameter_draws_theory_on_the_same_axes_and_keeps_intervals_in_range() -> None:
    table = summary_table().assign(
        theory_share_backup_mean=0.02, share_backup_ci_low=lambda t: t["share_backup_mean"] - 0.5
    )
    fig = kpi_vs_parameter(
        table, "share_backup", "agents.provers.failure_probability", reasons={0: "a reason"}
    )
    simulated, theory = fig.data
    assert theory.name == "share_backup (theory)" and set(theory.y) == {0.02}
    low = simulated.y - simulated.error_y.arrayminus
    assert low.min() == 0.0  # a share's interval is clipped at 0, not drawn down to -0.5
    assert "a reason" in list(simulated.customdata)
