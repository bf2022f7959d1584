"""The compact column store gives back every value bit for bit, in the columns' own types, and is compact where the
values allow: constant blocks, narrower types, slot-relative L1 blocks and derived columns."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aztec_econ.column_store import (
    DERIVED,
    SLOT_RELATIVE,
    Changes,
    ColumnStore,
    Constant,
    Derived,
    FromSlotStart,
)
from aztec_econ.model import kernels_store as kernels
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate
from aztec_econ.sweep.split_runs import concat_trajectories

RUNS, SLOTS, BLOCK = 3, 10, 4


def _store(columns: dict[str, np.ndarray], block: int = BLOCK, slot_l1_blocks: int = 5) -> ColumnStore:
    flat = {name: v.reshape(-1) for name, v in columns.items()}
    return ColumnStore.from_columns(np.arange(RUNS) + 7, SLOTS, slot_l1_blocks, flat, {}, block)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a.view(f"i{a.itemsize}"), b.view(f"i{b.itemsize}")))
    return bool(np.array_equal(a, b))


floats = hnp.arrays(
    np.float64,
    (RUNS, SLOTS),
    elements=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0.0, -0.0, 1.0, 0.5, 100.0, 1e8, 1e-9, 65504.0, 70000.0]),
    ),
)
ints = hnp.arrays(
    np.int64, (RUNS, SLOTS), elements=st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-200, 200))
)
small_ints = hnp.arrays(np.int32, (RUNS, SLOTS), elements=st.integers(-(2**31), 2**31 - 1))
flags = hnp.arrays(np.bool_, (RUNS, SLOTS))


@settings(max_examples=200, deadline=None)
@given(f=floats, i=ints, j=small_ints, b=flags, block=st.integers(1, SLOTS + 2))
def test_every_value_comes_back_bit_for_bit_in_its_own_type(f, i, j, b, block):
    columns = {"f": f, "i": i, "j": j, "b": b}
    store = _store(columns, block)
    for name, values in columns.items():
        assert _same_bits(store.values(name), values), name
        assert _same_bits(store.column(name).to_numpy(), values.reshape(-1)), name


def test_blocks_take_the_smallest_exact_encoding():
    run_slot = np.arange(RUNS * SLOTS).reshape(RUNS, SLOTS)
    columns = {
        "constant": np.full((RUNS, SLOTS), 1000.0),
        "halves": run_slot / 2.0,  # float16 holds them
        "thirds": run_slot / 3.0,  # only float64 does
        "tokens": 1e8 + 1e5 * run_slot,  # float32 holds them, float16 does not
        "small": run_slot.astype(np.int64) - 100,  # int8
        "wide": run_slot.astype(np.int64) * 2**40,  # int64
    }
    store = _store(columns, block=SLOTS)
    (constant,) = store.blocks["constant"]
    assert isinstance(constant, Constant) and constant.value.tolist() == [1000.0]
    expect = {
        "halves": np.float16,
        "thirds": np.float64,
        "tokens": np.float32,
        "small": np.int8,
        "wide": np.int64,
    }
    for name, dtype in expect.items():
        (stored,) = store.blocks[name]
        assert isinstance(stored, np.ndarray) and stored.dtype == dtype, name
        assert _same_bits(store.values(name), columns[name]), name
    cells = RUNS * SLOTS  # constant, float16, float32, two float64, int8
    assert store.nbytes() == 8 + 2 * cells + 4 * cells + 2 * 8 * cells + cells


def test_values_that_mostly_repeat_the_slot_before_are_stored_where_they_change():
    balance = np.repeat(np.array([[5.0], [7.0], [1 / 3]]), SLOTS, axis=1)
    balance[1, 6:] = np.pi  # one run's balance moves once
    flow = np.zeros((RUNS, SLOTS))
    flow[2, 4] = -0.0  # a change of sign bit only: kept
    flow[0, 9] = 0.1
    busy = np.arange(RUNS * SLOTS, dtype=np.float64).reshape(RUNS, SLOTS) / 3.0
    store = _store({"balance": balance, "flow": flow, "busy": busy}, block=SLOTS)
    (kept,) = store.blocks["balance"]
    assert isinstance(kept, Changes)
    assert kept.positions.tolist() == [0, SLOTS, SLOTS + 6, 2 * SLOTS]
    (kept,) = store.blocks["flow"]
    assert isinstance(kept, Changes)
    assert kept.positions.tolist() == [0, 9, SLOTS, 2 * SLOTS, 2 * SLOTS + 4, 2 * SLOTS + 5]
    assert kept.values.dtype == np.float64  # 0.1 needs it
    (kept,) = store.blocks["busy"]  # every value changes: stored as it is
    assert isinstance(kept, np.ndarray)
    for name, values in {"balance": balance, "flow": flow, "busy": busy}.items():
        assert _same_bits(store.values(name), values), name


def test_changes_decode_to_the_block_they_were_taken_of():
    """A block stored as `Changes` decodes to its values bit for bit, in the column's own type, whatever the runs'
    changes (random ones, of integers and floats, none after the first slot); a `Changes` that
    does not keep the block's first element is refused rather than decoded to something else."""
    from aztec_econ.column_store import _changes

    rng = np.random.default_rng(11)
    for p_change, dtype in [(0.05, np.float64), (0.2, np.int64), (0.0, np.float64), (0.1, np.int8)]:
        steps = rng.random((RUNS, 40)) < p_change
        steps[:, 0] = True
        values = np.cumsum(np.where(steps, rng.integers(-3, 4, steps.shape), 0), axis=1).astype(dtype)
        if dtype == np.float64:
            values = values / 7.0
        kept = _changes(values)
        assert isinstance(kept, Changes), (p_change, dtype)
        assert _same_bits(kept.decode(values.shape, values.dtype), values)
    with pytest.raises(ValueError, match="first element"):
        Changes(np.array([2, 5], dtype=np.int32), np.array([1.0, 2.0])).decode((2, 4), np.dtype(np.float64))


def test_a_derived_column_is_stored_only_where_its_formula_reproduces_it():
    rng = np.random.default_rng(0)
    costs = {f"l1_cost_{k}": rng.random((RUNS, SLOTS)) for k in ("sequencer", "prover", "relay", "backup")}
    total = (
        costs["l1_cost_sequencer"]
        + costs["l1_cost_prover"]
        + costs["l1_cost_relay"]
        + costs["l1_cost_backup"]
    )
    total[1, 9] = np.nextafter(total[1, 9], 1.0)  # one value the formula does not give: its block is stored
    store = _store({**costs, "l1_cost": total})
    kinds = [type(b) for b in store.blocks["l1_cost"]]
    assert kinds == [Derived, Derived, np.ndarray]
    assert _same_bits(store.values("l1_cost"), total)


def test_a_formula_reads_its_inputs_in_their_own_type_when_they_are_stored_narrower():
    # each cost fits float32 exactly, their float64 sum does not: summed in float32 it would come back wrong
    k = np.arange(RUNS * SLOTS, dtype=np.float64).reshape(RUNS, SLOTS)
    small, large = 1.0 + k * 2.0**-20, 2.0**12 + k * 2.0**-10
    costs = {
        "l1_cost_sequencer": small,
        "l1_cost_prover": large,
        "l1_cost_relay": small,
        "l1_cost_backup": large,
    }
    total = small + large + small + large
    store = _store({**costs, "l1_cost": total})
    assert all(isinstance(b, Derived) for b in store.blocks["l1_cost"])
    assert all(isinstance(b, np.ndarray) and b.dtype == np.float32 for n in costs for b in store.blocks[n])
    assert _same_bits(store.values("l1_cost"), total)


def test_l1_blocks_are_stored_as_offsets_from_their_slot_only_when_every_value_allows_it():
    start = np.arange(SLOTS) * 5
    finalized = np.where(np.arange(RUNS)[:, None] == 1, -1, start + 7).astype(np.int64)
    early = finalized.copy()
    early[0, 9] = start[9] - 1  # before its slot: that block keeps the numbers themselves
    store = _store({"finalized_l1_block": finalized, "reveal_l1_block": early})
    assert all(
        isinstance(b, FromSlotStart) and b.offsets.dtype == np.int8
        for b in store.blocks["finalized_l1_block"]
    )
    assert [type(b) for b in store.blocks["reveal_l1_block"]] == [FromSlotStart, FromSlotStart, np.ndarray]
    assert _same_bits(store.values("finalized_l1_block"), finalized)
    assert _same_bits(store.values("reveal_l1_block"), early)


@pytest.fixture(scope="module")
def traj():
    return simulate(
        load_params(overrides={"sim.slots": 500, "sim.runs": 4, "agents.sequencers.initial": 200})
    )


def test_the_baseline_store_is_compact_and_its_formulas_hold(traj):
    store = traj.columns
    encodings = store.encodings()
    for name in DERIVED:
        assert set(encodings[name]) <= {"derived", "constant"}, (name, encodings[name])
    for name in SLOT_RELATIVE:
        assert all(k.startswith("from slot start") for k in encodings[name]), name
    frame = store.frame()
    assert store.nbytes() < 0.5 * frame.memory_usage(index=False).sum()


def test_columns_read_alone_equal_the_frame_and_the_frame_is_built_once(traj):
    assert traj._frame is None or traj.frame is traj.frame
    for name in traj.frame.columns:
        pd.testing.assert_series_equal(traj.columns.column(name), traj.frame[name], check_names=True)
        assert traj.column(name) is traj.frame[name] or traj.column(name).equals(traj.frame[name])


def test_pickling_leaves_the_frame_behind_and_it_comes_back_the_same(traj):
    frame = traj.frame
    copy = pickle.loads(pickle.dumps(traj))
    assert copy._frame is None
    pd.testing.assert_frame_equal(copy.frame, frame)


def test_joined_stores_equal_one_simulation_of_all_their_runs():
    params = load_params(overrides={"sim.slots": 300, "sim.runs": 5, "agents.sequencers.initial": 100})
    whole = simulate(params)
    parts = [simulate(params, runs=[3, 4]), simulate(params, runs=[0, 1, 2])]
    joined = concat_trajectories(parts)
    expected = pd.concat([whole.frame.iloc[900:], whole.frame.iloc[:900]], ignore_index=True)
    pd.testing.assert_frame_equal(joined.frame, expected)
    assert joined.columns.bounds == whole.columns.bounds


def test_bad_blocks_are_refused_naming_the_problem():
    store = ColumnStore(np.arange(2), 4, 5, ["a"], {})
    with pytest.raises(ValueError, match="does not continue"):
        store.append(2, {"a": np.zeros((2, 2))})
    store.append(0, {"a": np.zeros((2, 2))})
    with pytest.raises(TypeError, match="column 'a': a block of int64, the column is float64"):
        store.append(2, {"a": np.zeros((2, 2), dtype=np.int64)})
    with pytest.raises(ValueError, match="not all 4"):
        store.values("a")


@settings(max_examples=200, deadline=None)
@given(f=floats, i=ints)
def test_the_compiled_checks_equal_numpys(f, i):
    flat = f.reshape(-1)
    with np.errstate(over="ignore"):
        through = flat.astype(np.float32).astype(np.float64)
    assert kernels.fits_float32(flat) == bool(np.array_equal(through, flat))
    for values in (
        flat.view(np.int64),
        i.reshape(-1),
        np.zeros(5, np.int8),
        np.array([0.0, -0.0]).view(np.int64),
    ):
        assert kernels.all_same(values) == bool((values == values[0]).all())


@settings(max_examples=300, deadline=None)
@given(f=floats)
def test_the_float16_range_check_equals_numpys(f):
    flat = f.reshape(-1)
    finite = flat[np.isfinite(flat)]
    assert kernels.within_float16_range(flat) == bool((np.abs(finite) <= 65504.0).all())
    for edge, inside in (
        (65504.0, True),
        (-65504.0, True),
        (np.nextafter(65504.0, np.inf), False),
        (np.inf, True),
    ):
        assert kernels.within_float16_range(np.array([0.5, edge])) == inside


@settings(max_examples=300, deadline=None)
@given(f=floats, i=ints, j=small_ints, b=flags)
def test_a_block_takes_the_encoding_that_trying_every_one_picks(f, i, j, b):
    """`_encode` skips the narrowing where the changes are smaller than any narrowing could be, and float16 where a
    value is out of its range: the block it keeps is the one trying both every time keeps."""
    from aztec_econ import column_store as cs

    for values in (f, i, j, b, np.repeat(f[:, :1], SLOTS, axis=1), np.where(b, f, 0.0), np.where(b, i, 7)):
        narrow = cs._narrow(values)
        assert narrow.nbytes >= cs._narrowest_bytes(values)
        with np.errstate(over="ignore"):
            if values.dtype == np.float64 and kernels.fits_float32(values.reshape(-1)):
                half = values.astype(np.float16)
                want = np.float16 if _same_bits(half.astype(np.float64), values) else np.float32
                assert narrow.dtype == want
        changes = cs._changes(values)
        expected = changes if changes is not None and changes.nbytes < narrow.nbytes else narrow
        stored = ColumnStore(np.arange(RUNS), SLOTS, 5, ["x"], {})
        stored.append(0, {"x": values})
        (kept,) = stored.blocks["x"]
        if isinstance(kept, Constant):
            assert kernels.all_same(values.reshape(-1).view(f"i{values.itemsize}"))
        elif isinstance(expected, Changes):
            assert isinstance(kept, Changes)
            assert _same_bits(kept.positions, expected.positions) and _same_bits(kept.values, expected.values)
        else:
            assert isinstance(kept, np.ndarray) and _same_bits(kept, expected)


def test_a_parquet_file_of_partial_runs_is_refused_naming_the_file(traj, tmp_path):
    import pyarrow.parquet as pq

    from aztec_econ.files import InputFileError
    from aztec_econ.simulation import Trajectories

    table = pq.read_table(traj.to_parquet(tmp_path / "whole.parquet"))
    pq.write_table(table.slice(0, table.num_rows - 1), tmp_path / "cut.parquet")
    pd.testing.assert_frame_equal(Trajectories.read_parquet(tmp_path / "whole.parquet").frame, traj.frame)
    with pytest.raises(InputFileError, match=r"cut\.parquet: not a table of whole runs of 500 slots"):
        Trajectories.read_parquet(tmp_path / "cut.parquet")


def _changes_numpy(block: np.ndarray):
    """`column_store._changes` as it was written in numpy (positions, or None where they would not be smaller)."""
    words = block.view(f"i{block.dtype.itemsize}") if block.dtype.kind == "f" else block
    changed = np.ones(block.shape, dtype=np.bool_)
    np.not_equal(words[:, 1:], words[:, :-1], out=changed[:, 1:])
    positions = np.flatnonzero(changed)
    if len(positions) * (4 + block.dtype.itemsize) >= block.nbytes:
        return None
    return positions


@pytest.mark.parametrize("slots", [30, 31])  # 31: the limit a ceiling, not an exact quotient
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32, np.int8, np.bool_])
def test_the_compiled_change_positions_equal_the_numpy_mask_up_to_the_size_limit(dtype, slots) -> None:
    from aztec_econ import column_store as cs

    rng = np.random.default_rng(3)
    runs = 7
    width = 4 + np.dtype(dtype).itemsize
    limit = -(-runs * slots * np.dtype(dtype).itemsize // width)  # the fewest positions that are no smaller
    blocks = [rng.random((runs, slots)) < p for p in (0.0, 0.05, 0.3, 0.9)]
    for changes in (
        limit - runs - 1,
        limit - runs,
    ):  # changes after the rows' first slots: limit - 1 and limit
        mask = np.zeros(runs * (slots - 1), dtype=bool)
        mask[: max(changes, 0)] = True
        rng.shuffle(mask)
        blocks.append(np.concatenate([np.zeros((runs, 1), bool), mask.reshape(runs, slots - 1)], axis=1))
    for steps in blocks:
        values = np.cumsum(steps, axis=1) % 2 if dtype == np.bool_ else np.cumsum(steps, axis=1)
        values = values.astype(dtype)
        if dtype in (np.float64, np.float32):
            values = np.where(values == 1, -0.0, values)  # a change of sign of zero is a change of bits
        expected = _changes_numpy(values)
        got = cs._changes(values)
        if expected is None:
            assert got is None
        else:
            assert got is not None and got.positions.dtype == np.int32
            np.testing.assert_array_equal(got.positions, expected)
            assert _same_bits(got.decode(values.shape, values.dtype), values)
