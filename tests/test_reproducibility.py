"""Results depend on the parameters (seed included) and the run index only."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.model.blocks import cadcad_blocks
from aztec_econ.model.context import Context, build_context
from aztec_econ.model.state import State, initial_state
from aztec_econ.params import Params
from aztec_econ.simulation import Trajectories, _Engine, simulate

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
    import pyarrow.parquet as pq

    traj = simulate(make_params())
    path = traj.to_parquet(tmp_path / "t.parquet")
    back = Trajectories.read_parquet(path)
    assert back.params == traj.params
    pd.testing.assert_frame_equal(back.frame, traj.frame)
    pd.testing.assert_frame_equal(pd.read_parquet(path), traj.frame)  # any reader of Parquet: pandas' own
    # each column in the encoding `_parquet_encodings` names for its type (a dictionary for the categorical ones)
    chunk = pq.ParquetFile(path).metadata.row_group(0)
    used = {chunk.column(i).path_in_schema: chunk.column(i).encodings for i in range(chunk.num_columns)}
    for name, kind in traj.frame.dtypes.items():
        if isinstance(kind, pd.CategoricalDtype):
            assert "RLE_DICTIONARY" in used[name], (name, used[name])
        elif kind.kind in "iu":
            assert "DELTA_BINARY_PACKED" in used[name], (name, used[name])
        elif kind.kind == "f":
            assert "BYTE_STREAM_SPLIT" in used[name], (name, used[name])
    pd.testing.assert_frame_equal(back.keys, traj.keys)
    pd.testing.assert_frame_equal(kpis_per_run(back), kpis_per_run(traj))


def _executor_records(ctx: Context, state: State, slots: int, deepcopy: bool) -> list[dict[str, object]]:
    """A segment through cadCAD's public entry point (`Experiment.append_model`, `Executor.execute`)."""
    from cadCAD.configuration import Experiment
    from cadCAD.configuration.utils import config_sim
    from cadCAD.engine import ExecutionContext, ExecutionMode, Executor

    experiment = Experiment()
    experiment.append_model(
        initial_state=state,
        partial_state_update_blocks=cadcad_blocks(),
        sim_configs=config_sim({"N": 1, "T": range(slots), "M": {"ctx": [ctx]}}),
    )
    context = ExecutionContext(
        context=ExecutionMode.single_mode, additional_objs=None if deepcopy else {"deepcopy_off": True}
    )
    records, _, _ = Executor(exec_context=context, configs=experiment.configs, supress_print=True).execute()
    return list(records)


@pytest.mark.parametrize("deepcopy", [False, True])
def test_the_engine_runs_cadcads_pipeline_record_for_record(
    make_params: Callable[..., Params], deepcopy: bool
) -> None:
    """`simulation._Engine` (configured once a simulation) returns the final states `Executor.execute` does (every
    slot's, with cadCAD's own fields), field for field."""
    params = make_params(**{**BUSY, "sim__slots": 30})
    ctx = build_context(params)
    state = initial_state(ctx)
    engine = _Engine(ctx, state, deepcopy)
    ours = engine.segment(state, 12)
    records = _executor_records(ctx, state, 12, deepcopy)
    theirs = records[engine.n_blocks :: engine.n_blocks]
    assert len(ours) == len(theirs) == 12
    for mine, expected in zip(ours, theirs, strict=True):
        assert mine.keys() == expected.keys()
        for name in mine:
            assert _same(mine[name], expected[name]), name
    again = engine.segment(ours[-1], 3)  # the engine runs segment after segment on one configuration
    assert [s["slot"] for s in again] == [12, 13, 14]


def _same(a: object, b: object) -> bool:
    """Whether two state values hold the same data (arrays element for element, records field for field)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
        )
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        fields = [f.name for f in dataclasses.fields(a)]
        return type(a) is type(b) and all(_same(getattr(a, f), getattr(b, f)) for f in fields)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
