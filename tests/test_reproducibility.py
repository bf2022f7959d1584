"""Results depend on the parameters (seed included) and the run index only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.params import Params
from aztec_econ.simulation import Trajectories, simulate

BUSY = {
    "agents__sequencers__registrations_per_day": 30.0,
    "agents__sequencers__exits_per_day": 20.0,
    "protocol__entry_period_days": 0.5,
    "protocol__exit_delay_days": 0.5,
    "sim__slots": 400,
}


def test_same_seed_gives_byte_identical_files(make_params: Callable[..., Params], tmp_path: Path) -> None:
    params = make_params(**BUSY)
    first = simulate(params).to_parquet(tmp_path / "a.parquet")
    second = simulate(params).to_parquet(tmp_path / "b.parquet")
    assert first.read_bytes() == second.read_bytes()


def test_different_seeds_differ(make_params: Callable[..., Params]) -> None:
    a = simulate(make_params(sim__seed=1)).frame
    b = simulate(make_params(sim__seed=2)).frame
    assert not a.equals(b)
    assert not (a["proposer"].to_numpy() == b["proposer"].to_numpy()).all()


def test_deepcopy_on_and_off_give_identical_results(make_params: Callable[..., Params]) -> None:
    params = make_params(**{**BUSY, "sim__slots": 150})
    off = simulate(params, deepcopy=False)
    on = simulate(params, deepcopy=True)
    pd.testing.assert_frame_equal(off.frame, on.frame)
    pd.testing.assert_frame_equal(off.keys, on.keys)


@pytest.mark.parametrize("segment_slots", [1, 37])
def test_segment_length_does_not_change_results(
    make_params: Callable[..., Params], segment_slots: int
) -> None:
    """Segments are recorded column-wise (`columns.Segment`): one slot a segment gives what a whole one does, with
    operator ownership changing within a segment (chunks of about a day) and in none."""
    params = make_params(**BUSY)
    whole, split = simulate(params), simulate(params, segment_slots=segment_slots)
    pd.testing.assert_frame_equal(whole.frame, split.frame)
    np.testing.assert_array_equal(whole.confirmation_hist, split.confirmation_hist)
    np.testing.assert_array_equal(whole.demand_hist, split.demand_hist)


def test_a_run_does_not_depend_on_its_batch(make_params: Callable[..., Params]) -> None:
    params = make_params(**{**BUSY, "sim__runs": 4})
    whole = simulate(params)
    part = simulate(params, runs=[3, 1])
    for run in (1, 3):
        expected = whole.frame[whole.frame["run"] == run].reset_index(drop=True)
        got = part.frame[part.frame["run"] == run].reset_index(drop=True)
        pd.testing.assert_frame_equal(expected, got)
        pd.testing.assert_frame_equal(
            whole.keys[whole.keys["run"] == run].reset_index(drop=True),
            part.keys[part.keys["run"] == run].reset_index(drop=True),
        )


def test_parquet_round_trip_keeps_frame_keys_and_parameters(
    make_params: Callable[..., Params], tmp_path: Path
) -> None:
    traj = simulate(make_params())
    back = Trajectories.read_parquet(traj.to_parquet(tmp_path / "t.parquet"))
    assert back.params == traj.params
    pd.testing.assert_frame_equal(back.frame, traj.frame)
    pd.testing.assert_frame_equal(back.keys, traj.keys)
    pd.testing.assert_frame_equal(kpis_per_run(back), kpis_per_run(traj))
