"""Each KPI is declared once (`analysis.kpis.KPIS`), and the model's running sequencer profit is the agent table's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from aztec_econ.analysis.kpis import KPIS, kpis_per_run
from aztec_econ.analysis.tables import agent_table
from aztec_econ.model.context import build_context
from aztec_econ.model.state import initial_state
from aztec_econ.params import Params
from aztec_econ.simulation import SEGMENT_SLOTS, _Engine, simulate

ATTACKS: dict[str, Any] = {
    "attacks__randao__strategy": "reroll",
    "attacks__randao__sequencer_share": 0.2,
    "attacks__censorship__builder_share": 0.5,
    "attacks__censorship__prebuilt_backup": True,
}
# self-proving, relays, failed reveals and proofs, bonuses: every branch of the sequencers' revenue and cost
BUSY: dict[str, Any] = {
    "agents__sequencers__self_prove_probability": 0.5,
    "agents__sequencers__reveal_failure_probability": 0.1,
    "agents__relays__submission_share": 0.3,
    "agents__provers__failure_probability": 0.2,
    "protocol__variants__early_reveal_bonus": 5.0,
}


def test_kpi_names_are_unique() -> None:
    names = [k.name for k in KPIS]
    assert len(set(names)) == len(names)
    assert all(k.unit and k.description for k in KPIS)


@pytest.mark.parametrize("overrides", [{}, ATTACKS], ids=["baseline", "attacks"])
def test_every_kpi_column_has_exactly_one_declaration(
    make_params: Callable[..., Params], overrides: dict[str, Any]
) -> None:
    table = kpis_per_run(simulate(make_params(sim__slots=100, **overrides)))
    assert list(table.columns) == ["run", *(k.name for k in KPIS)]


def test_kpis_are_cached_on_the_trajectories(make_params: Callable[..., Params]) -> None:
    traj = simulate(make_params(sim__slots=20))
    assert kpis_per_run(traj) is kpis_per_run(traj)


@pytest.mark.parametrize("overrides", [{}, BUSY], ids=["baseline", "busy"])
def test_the_economys_sequencer_profit_is_the_agent_tables(
    make_params: Callable[..., Params], overrides: dict[str, Any]
) -> None:
    """`economics._sequencer_profit` (the running APR the profit-driven registry reads) recomputes what
    `agent_table` reports for the sequencers: at the end of a run they agree. The economy weights slots
    exponentially (half-life `apr_window_days`): with the longest window the 200 slots' weights differ from 1 by
    less than 3e-4."""
    params = make_params(
        sim__slots=200,
        agents__sequencers__profit_driven_entry_exit=True,
        agents__sequencers__apr_window_days=3650.0,
        **overrides,
    )
    assert params.sim.slots <= SEGMENT_SLOTS  # one cadCAD segment: its last state is the run's end
    ctx = build_context(params)
    state = initial_state(ctx)
    economy = _Engine(ctx, state, deepcopy=False).segment(state, params.sim.slots)[-1]["economy"]
    traj = simulate(params)
    sequencers = agent_table(traj).query("role == 'sequencer'").sort_values("run")
    np.testing.assert_allclose(economy.sequencer_profit, sequencers["profit"].to_numpy(), rtol=3e-4)
    key_slots = traj.frame.groupby("run")["active_sequencers"].sum().to_numpy()
    np.testing.assert_allclose(economy.stake_slots, key_slots, rtol=3e-4)
    np.testing.assert_allclose(economy.apr_slots, params.sim.slots, rtol=3e-4)


@pytest.mark.parametrize("failures", [False, True], ids=["one mode absent", "every mode"])
def test_mode_shares_are_crosstabs_of_the_frame(make_params: Callable[..., Params], failures: bool) -> None:
    """`RunData.mode_share` (counted on the category codes) is `pd.crosstab(run, mode, normalize="index")` exactly:
    the same runs (split runs whose indices do not start at 0), the same modes (one that never occurs is left out, as
    crosstab leaves it out), the same words."""
    import pandas as pd

    from aztec_econ.analysis.run_data import RunData

    # provers that fail 30% of the time are never worth committing to here: no happy slot at all
    overrides = {"agents__provers__failure_probability": 0.05 if failures else 0.3}
    params = make_params(sim__slots=200, sim__runs=7, **overrides)
    traj = simulate(params, runs=[3, 5, 6])
    frame = traj.frame
    expected = pd.crosstab(frame["run"], frame["mode"], normalize="index")
    got = RunData(traj).mode_share
    pd.testing.assert_frame_equal(got, expected)
    for name in expected.columns:
        np.testing.assert_array_equal(
            got[name].to_numpy().view(np.uint64), expected[name].to_numpy().view(np.uint64)
        )
    assert list(expected.index) == [3, 5, 6]
    assert list(expected.columns) == (["happy", "backup", "skipped"] if failures else ["backup", "skipped"])


def test_mode_shares_of_a_frame_without_categories_are_crosstabs(make_params: Callable[..., Params]) -> None:
    """A frame whose `mode` holds plain strings or gaps (not a simulation's own) gets crosstab's answer itself."""
    import pandas as pd

    from aztec_econ.analysis.run_data import RunData

    traj = simulate(make_params(sim__slots=30, sim__runs=3))
    data = RunData(traj)
    for mode in (traj.frame["mode"].astype(str), traj.frame["mode"].where(traj.frame["slot"] > 0)):
        data.frame = traj.frame.assign(mode=mode)
        data.__dict__.pop("mode_share", None)
        expected = pd.crosstab(data.frame["run"], data.frame["mode"], normalize="index")
        pd.testing.assert_frame_equal(data.mode_share, expected)


def _sums_by_pandas(values: np.ndarray, run: np.ndarray) -> np.ndarray:
    import pandas as pd

    return pd.Series(values).groupby(run).sum().reindex(np.unique(run), fill_value=0).to_numpy()


@pytest.mark.parametrize("rows", ["sorted", "shuffled", "with NaN", "one run", "none"])
def test_run_sums_are_pandas_groupby_sums(rows: str) -> None:
    """`tables.RunSums` (the agent table's per-run sums, the grouping found once) gives this pandas' groupby sums bit
    for bit: rows sorted by run (a simulation's frame), rows in any order, values with NaN (skipped), one run, no
    rows; values that are not one per row are refused."""
    from aztec_econ.analysis.tables import RunSums

    rng = np.random.default_rng(7)
    run = np.sort(rng.integers(0, 9, 4_000)).astype(np.int32)
    values = rng.standard_normal(run.size) * 10.0 ** rng.integers(-8, 8, run.size)
    if rows == "shuffled":
        run = rng.permutation(run)
    elif rows == "with NaN":
        values[rng.integers(0, run.size, 40)] = np.nan
    elif rows == "one run":
        run = np.full(run.size, 4, dtype=np.int32)
    elif rows == "none":
        run, values = run[:0], values[:0]
    sums = RunSums(run)
    got, expected = sums(values), _sums_by_pandas(values, run)
    assert got.shape == expected.shape == (np.unique(run).size,)
    np.testing.assert_array_equal(got.view(np.uint64), expected.view(np.uint64))
    with pytest.raises(ValueError, match="values for"):
        sums(values[:-1] if values.size else np.zeros(1))


@pytest.mark.parametrize("rows", ["a simulation's", "unsorted", "runs missing", "none"])
def test_apply_by_run_is_groupby_apply(rows: str) -> None:
    """`run_data.apply_by_run` (the KPIs' per-run Gini and Nakamoto coefficients without a Series per run) is
    `values.groupby(run).apply(lambda v: fn(v.to_numpy()))`: each run's values in row order (the Gini of unsorted
    values would not tell, so the function here reads the order), the runs sorted, rows without a run left out."""
    import pandas as pd

    from aztec_econ.analysis.run_data import apply_by_run

    rng = np.random.default_rng(3)
    run = pd.Series(np.repeat(np.arange(5, dtype=np.int32), 30), name="run")
    values = pd.Series(rng.random(run.size), name="reward")
    if rows == "unsorted":
        order = rng.permutation(run.size)
        run, values = run.iloc[order].reset_index(drop=True), values.iloc[order].reset_index(drop=True)
    elif rows == "runs missing":
        run = run.astype(np.float64).where(rng.random(run.size) > 0.2)
    elif rows == "none":
        run, values = run.iloc[:0], values.iloc[:0]

    def fn(v: np.ndarray) -> float:
        return float(np.dot(v, np.arange(1, v.size + 1)))  # depends on the order of the rows

    expected = values.groupby(run).apply(lambda v: fn(v.to_numpy()))
    got = apply_by_run(values, run, fn)
    pd.testing.assert_series_equal(got, expected)
    np.testing.assert_array_equal(got.to_numpy().view(np.uint64), expected.to_numpy().view(np.uint64))
