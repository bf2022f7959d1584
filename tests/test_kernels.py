"""Compiled kernels (`kernels`, `kernels_slot`, `kernels_economy`) against the numpy code they replaced, bit for bit: numpy's pairwise
summation, the late-arrival value, a block's fee totals, the late inclusions, the settlement's mempool, L1 costs
and clearing-price memory, the draws' stream keys, operator outages, the backup race, the demand's Poisson draws, the
ledger's postings, and the slot's settlement, reveal, finalization and L1 block times."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from aztec_econ.model import (
    kernels,
    kernels_economy,
    kernels_phases,
    kernels_registry,
    kernels_slot,
    kernels_store,
    ledger,
)
from aztec_econ.model.ledger import Account, AccountingError, Book, Flow, Index, Posting
from aztec_econ.model.mechanisms import demand
from aztec_econ.model.stage import Mode


def _bits(x: np.ndarray) -> np.ndarray:
    """The float64 words of `x` (so -0.0 and 0.0 differ)."""
    return np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)


@pytest.mark.parametrize("n", [*range(0, 40), 64, 127, 128, 129, 135, 200, 255, 256, 257, 1000, 4099])
def test_compiled_sums_equal_numpys_to_the_last_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal((6, n)) * 10.0 ** rng.integers(-8, 8, (6, n))  # magnitudes that expose the order
    x[1] = -0.0  # numpy's sum starts from 0.0: all -0.0 sums to 0.0
    sums = np.array([kernels._pairwise_sum(row, 0, n) for row in x])
    np.testing.assert_array_equal(_bits(sums), _bits(x.sum(axis=1)))


def _late_value_numpy(
    base_rate: float,
    multiplier: float,
    shock_left: np.ndarray,
    seconds: np.ndarray,
    capacity_txs: int,
    txs: np.ndarray,
    pay: np.ndarray,
    burn: np.ndarray,
    includable: np.ndarray,
    tx_size: float,
    kept_mev: float,
) -> np.ndarray:
    """`market.expected_late_value` as the model computed it in numpy before it was compiled."""
    rate = base_rate * np.where(shock_left > 0, multiplier, 1.0)
    kept = np.where(includable, np.maximum((pay - burn) * tx_size + kept_mev, 0.0), 0.0)
    value = np.sort(kept, axis=1)[:, ::-1]  # best first
    spare = np.maximum(capacity_txs - txs, 0).astype(np.float64)
    per_bucket = rate[:, None, None] * seconds[None, :, None] / value.shape[1]
    before = np.arange(value.shape[1])[None, None, :] * per_bucket
    taken = np.clip(spare[:, None, None] - before, 0.0, per_bucket)
    return np.asarray((taken * value[:, None, :]).sum(axis=2), dtype=np.float64)


@pytest.mark.parametrize("buckets", [1, 7, 8, 16, 17, 130, 256])
def test_the_compiled_late_value_equals_the_numpy_expression(buckets: int) -> None:
    rng = np.random.default_rng(buckets)
    runs = 40
    shock_left = rng.integers(-1, 3, runs)
    seconds = np.linspace(0.0, 600.0, 12)
    txs = rng.integers(0, 500, runs)
    pay = rng.random((runs, buckets)) * 1e-3
    burn = pay * rng.random((runs, buckets)) * 1.5  # some burn more than is paid: kept below 0 counts 0
    includable = rng.random((runs, buckets)) < 0.8
    pay[2, : buckets // 2] = pay[2, -1]  # ties
    burn[2] = 0.0
    args = (0.25, 3.0, shock_left, seconds, 400, txs, pay, burn, includable, 2.0, 1e-5)
    expected = _late_value_numpy(*args)
    np.testing.assert_array_equal(_bits(kernels.late_value(*args)), _bits(expected))
    # the model's posted prices are one price per run broadcast over the buckets (`fees.pricing`): a strided view
    posted = np.broadcast_to(pay[:, :1], pay.shape), np.broadcast_to(burn[:, :1], burn.shape)
    posted_args = (*args[:6], *posted, *args[8:])
    np.testing.assert_array_equal(
        _bits(kernels.late_value(*posted_args)), _bits(_late_value_numpy(*posted_args))
    )
    zero_rate = _late_value_numpy(0.0, *args[1:])
    np.testing.assert_array_equal(kernels.late_value(0.0, *args[1:]), zero_rate)
    assert (zero_rate == 0).all()
    assert (expected[:, -1] > 0).any()


def _block_totals_numpy(
    per_bucket: np.ndarray, pay: np.ndarray, burn: np.ndarray, values: np.ndarray, tx_size: float
) -> tuple[np.ndarray, ...]:
    """`fees.block_totals` as the model computed it in numpy (`fees.block_fees` and `fees.surplus`) before it
    was compiled."""
    paid = (per_bucket * pay).sum(axis=1) * tx_size
    burned = (per_bucket * burn).sum(axis=1) * tx_size
    surplus = (per_bucket * (values[None, :] - pay)).sum(axis=1) * tx_size
    return paid, burned, surplus, per_bucket.sum(axis=1)


@pytest.mark.parametrize("runs", [0, 1, 40])
@pytest.mark.parametrize("buckets", [1, 7, 8, 16, 17, 130])
@pytest.mark.parametrize("posted", [False, True])
def test_the_compiled_block_totals_equal_the_numpy_sums(runs: int, buckets: int, posted: bool) -> None:
    rng = np.random.default_rng(runs * 1000 + buckets)
    values = np.sort(rng.random(buckets) * 10.0 ** rng.integers(-9, -2, buckets))
    per_bucket = rng.integers(0, 50, (runs, buckets)) * (rng.random((runs, buckets)) < 0.7)
    if (
        posted
    ):  # base_fee_burn: a price per run (a broadcast view, as `fees.pricing`), includable buckets only
        price = rng.random(runs) * 1e-4
        pay = np.broadcast_to(price[:, None], (runs, buckets))
        burn = np.broadcast_to((price * 0.9)[:, None], (runs, buckets))
        per_bucket = per_bucket * (values[None, :] >= pay)  # 0 x (value - pay < 0) is -0.0
    else:  # first price: shaded bids, at most the value
        pay = np.minimum(values[None, :], rng.random((runs, 1)) * 1e-4)
        burn = pay if buckets % 2 else np.zeros_like(pay)
    if runs:
        per_bucket[0] = 0  # an empty block
    expected = _block_totals_numpy(per_bucket, pay, burn, values, 1234.5)
    got = kernels.block_totals(per_bucket, pay, burn, values, 1234.5)
    for e, g in zip(expected[:3], got[:3], strict=True):
        np.testing.assert_array_equal(_bits(g), _bits(e))
    np.testing.assert_array_equal(got[3], expected[3])
    assert got[3].dtype == np.int64


def _late_take_numpy(
    counts: np.ndarray, share: np.ndarray, includable: np.ndarray, spare: np.ndarray
) -> np.ndarray:
    """`market.late_inclusions`' transactions by bucket as the model computed them in numpy."""
    offered = np.floor(counts * share[:, None]).astype(np.int64) * includable
    above = np.cumsum(offered[:, ::-1], axis=1)[:, ::-1] - offered
    return np.asarray(np.minimum(np.maximum(spare[:, None] - above, 0), offered))


@pytest.mark.parametrize("runs", [0, 1, 60])
@pytest.mark.parametrize("buckets", [1, 16, 33])
def test_the_compiled_late_block_equals_the_numpy_expressions(runs: int, buckets: int) -> None:
    rng = np.random.default_rng(runs + buckets)
    counts = rng.integers(0, 30, (runs, buckets))
    share = np.where(rng.random(runs) < 0.3, 0.0, rng.random(runs))  # 0: not revealed late
    if runs:
        share[-1] = 1.0
    includable = rng.random((runs, buckets)) < 0.8
    capacity = 150
    block_txs = rng.integers(-50, 205, runs)  # over the capacity: a full block, no spare room
    spare = np.maximum(capacity - block_txs, 0)  # as `market.late_inclusions` computed it in numpy
    pay = rng.random((runs, buckets)) * 1e-3
    burn = pay * rng.random((runs, buckets))
    values = np.sort(rng.random(buckets)) * 2e-3
    mev_draw = rng.exponential(1.0, runs)
    expected = _late_take_numpy(counts, share, includable, spare)
    want_paid, want_burned, want_surplus, want_txs = _block_totals_numpy(expected, pay, burn, values, 1234.5)
    want_mev = 0.05 * 0.3 * want_txs * mev_draw  # `late_inclusions`' numpy expressions
    for mev_burn in (False, True):
        got, paid, burned, tips, mev, mev_burned, surplus, txs = kernels.late_block(
            counts, share, capacity, block_txs, pay, burn, includable, values, 1234.5, 0.05 * 0.3, mev_draw,
            mev_burn, 0.37,
        )  # fmt: skip
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.int64 and got.shape == (runs, buckets)
        want_mev_burned = want_mev * 0.37 if mev_burn else np.zeros_like(want_mev)
        pairs = [
            (paid, want_paid),
            (burned, want_burned),
            (tips, want_paid - want_burned),
            (mev, want_mev),
            (mev_burned, want_mev_burned),
            (surplus, want_surplus),
        ]
        for g, e in pairs:
            np.testing.assert_array_equal(_bits(g), _bits(e))
        np.testing.assert_array_equal(txs, want_txs)
    assert runs < 60 or ((got.sum(axis=1) > 0).any() and (got.sum(axis=1) == spare).any())
    assert runs < 60 or (spare == 0).any()


def _settle_and_age_numpy(
    pending: np.ndarray, included: np.ndarray, produced: np.ndarray, late: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, ...]:
    """The mempool as the model computed it in numpy: what the block leaves (`settlement._by_value` and its caller),
    the slot's demand by value, the expired, then the aging (`market._aged` and its caller)."""
    taken = included * produced[:, None, None]
    left = pending - taken
    by_value = np.concatenate([taken, left[:, :, -1:]], axis=2)
    by_value[:, :, 0] += late
    aged = np.empty_like(pending)
    aged[:, :, 1:] = left[:, :, :-1]
    aged[:, :, 0] = counts
    return by_value, left[:, :, -1], left[:, :, -1].sum(axis=1), aged, counts.sum(axis=1)


@pytest.mark.parametrize("runs", [0, 1, 30, 200])
@pytest.mark.parametrize("ages", [1, 3, 12])  # 3: cuts at every age, the oldest (dropped when aged) included
def test_the_compiled_mempool_passes_equal_the_numpy_expressions(runs: int, ages: int) -> None:
    rng = np.random.default_rng(runs * 10 + ages)
    pending = rng.integers(0, 20, (runs, 16, ages)).astype(np.int32)  # `market.Mempool`
    # a block's selection: eligible buckets up to a cut (some runs' blocks are full, some take every eligible one)
    capacity = np.where(rng.random(runs) < 0.5, rng.integers(0, 200, runs), 10**6)
    eligible = rng.random((runs, 16)) < 0.7
    cuts = [
        demand.select_by_bucket(pending[i : i + 1], eligible[i : i + 1], int(capacity[i]))[0]
        for i in range(runs)
    ]
    selection = demand.Selection(
        eligible,
        *(
            np.array([getattr(c, name)[0] for c in cuts], dtype=np.int64)
            for name in ("cut_bucket", "cut_age", "cut_take")
        ),
    )
    included = selection.dense(pending)
    assert runs < 30 or ((selection.cut_bucket >= 0).any() and (selection.cut_bucket < 0).any())
    cut_ages = set(selection.cut_age[selection.cut_bucket >= 0].tolist())
    assert runs < 200 or ages != 3 or cut_ages == {0, 1, 2}  # a cut at every age, the oldest included
    produced = rng.random(runs) < 0.8  # a skipped slot includes nothing
    late = rng.integers(0, 5, (runs, 16)) * produced[:, None]
    counts = rng.integers(0, 20, (runs, 16)) * (rng.random((runs, 16)) < 0.7)  # zeros: no arrivals
    by_value, expired_by_bucket, expired, aged, arrived = _settle_and_age_numpy(
        pending, included, produced, late, counts
    )
    sel = selection.arrays()
    got_by_bucket, got_expired = kernels_economy.expiring(pending, sel, produced)  # the settlement
    np.testing.assert_array_equal(got_by_bucket, expired_by_bucket)
    np.testing.assert_array_equal(got_expired, expired)
    assert got_expired.dtype == np.int64 and got_by_bucket.dtype == np.int64
    earlier = rng.integers(0, 1000, (runs, 16, ages + 1))  # the slots before: the slot's are added to them
    total = earlier.copy()
    kernels_economy.demand_by_value(
        total, pending, sel, produced, late, got_by_bucket
    )  # `Settled.add_by_value`
    np.testing.assert_array_equal(total, earlier + by_value)
    assert total.dtype == np.int64
    got_aged, got_arrived = kernels_economy.age_mempool(pending, counts, sel, produced)  # the next market
    np.testing.assert_array_equal(got_aged, aged)
    np.testing.assert_array_equal(got_arrived, arrived)
    assert got_aged.dtype == np.int32 and got_arrived.dtype == np.int64
    nothing = demand.Selection.nothing(runs, 16).arrays()  # genesis: no settled block
    genesis, _ = kernels_economy.age_mempool(pending, counts, nothing, np.zeros(runs, dtype=bool))
    np.testing.assert_array_equal(genesis[:, :, 1:], pending[:, :, :-1])
    np.testing.assert_array_equal(genesis[:, :, 0], counts)


def _l1_costs_numpy(
    gas_price: np.ndarray,
    blob_price: np.ndarray,
    eth_per_token: np.ndarray,
    used: np.ndarray,
    out: dict[str, np.ndarray],
    gas: dict[str, float],
    consolidated: bool,
    blobs_per_full_block: float,
    capacity: float,
) -> list[np.ndarray]:
    """`settlement.l1_costs` (and the settlement's total) as the model computed them in numpy."""
    gwei, blob_gas = 1e-9, 131_072
    per_gas = gas_price * (gwei / eth_per_token)
    per_proposal = gas["proposal"] + (max(0.0, gas["commitment"] - 21_000) if consolidated else 0.0)
    if blobs_per_full_block == 0:
        blobs = np.zeros_like(used)
    else:
        blobs = np.maximum(1.0, np.ceil(blobs_per_full_block * used / capacity))
    blob_cost = blobs * blob_price * (blob_gas * gwei / eth_per_token)
    commitment = 0.0 if consolidated else np.where(out["stage"] >= 2, gas["commitment"], 0.0)
    by_prover = (out["submitter"] == 1) | (out["submitter"] == 3)
    prover_side = (commitment + np.where(by_prover, gas["verification"], 0.0)) * per_gas
    revealed = out["revealed"]
    sequencer = (per_proposal * out["proposals"] + np.where(revealed, gas["reveal"], 0.0)) * per_gas
    sequencer += np.where(revealed, blob_cost, 0.0)
    costs = [
        sequencer + np.where(out["self_proved"], prover_side, 0.0),
        np.where(out["prover"] >= 0, prover_side, 0.0),
        np.where(out["submitter"] == 2, gas["verification"] * per_gas, 0.0),
        np.where(out["mode"] == 1, gas["backup"] * per_gas + blob_cost, 0.0),
    ]
    return [costs[0] + costs[1] + costs[2] + costs[3], *costs]


@pytest.mark.parametrize("runs", [0, 1, 200])
@pytest.mark.parametrize("consolidated", [False, True])
@pytest.mark.parametrize("blobs_per_full_block", [0.0, 3.0])
def test_the_compiled_l1_costs_equal_the_numpy_expression(
    runs: int, consolidated: bool, blobs_per_full_block: float
) -> None:
    rng = np.random.default_rng(runs + 7 * consolidated)
    gas_price, blob_price = rng.random(runs) * 50.0, rng.random(runs) * 10.0 ** rng.integers(-9, 2, runs)
    eth_per_token = rng.random(runs) * 1e-4 + 1e-6
    capacity = 1.5e7
    used = np.where(rng.random(runs) < 0.3, 0.0, rng.random(runs) * capacity)  # 0: nothing revealed
    out = {
        "stage": rng.integers(0, 5, runs).astype(np.int8),
        "submitter": rng.integers(0, 5, runs).astype(np.int8),
        "mode": rng.integers(0, 3, runs).astype(np.int8),
        "prover": rng.integers(-1, 4, runs),
        "proposals": rng.integers(0, 4, runs),
        "self_proved": rng.random(runs) < 0.3,
        "revealed": rng.random(runs) < 0.6,
    }
    gas = {"proposal": 3e5, "commitment": 8e4, "reveal": 1e5, "verification": 4.5e5, "backup": 1e6}
    expected = _l1_costs_numpy(
        gas_price, blob_price, eth_per_token, used, out, gas, consolidated, blobs_per_full_block, capacity
    )
    per_proposal = gas["proposal"] + (max(0.0, gas["commitment"] - 21_000) if consolidated else 0.0)
    vector = [
        per_proposal,
        0.0 if consolidated else gas["commitment"],
        *(gas[k] for k in ("reveal", "verification", "backup")),
    ]
    got = kernels_economy.l1_cost_split(
        gas_price,
        blob_price,
        eth_per_token,
        used,
        *(out[k] for k in ("stage", "submitter", "mode", "prover", "proposals", "self_proved", "revealed")),
        np.array(vector),
        blobs_per_full_block,
        capacity,
        1e-9,
        131_072 * 1e-9,
    )
    assert got.shape == (5, runs)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(_bits(g), _bits(e))


def _clearing_memory_numpy(
    by_bucket: np.ndarray,
    pay: np.ndarray,
    txs: np.ndarray,
    produced: np.ndarray,
    memory: np.ndarray,
    capacity_txs: int,
    keep: float,
) -> np.ndarray:
    """`settlement._remembered` and `_clearing_price` as the model computed them in numpy."""
    lowest = np.where(by_bucket > 0, pay, np.inf).min(axis=1)
    latest = np.where((txs >= capacity_txs) & np.isfinite(lowest), lowest, 0.0)
    return np.asarray(np.where(produced, keep * memory + (1.0 - keep) * latest, memory))


@pytest.mark.parametrize("runs", [0, 1, 50])
@pytest.mark.parametrize("posted", [False, True])
def test_the_compiled_clearing_memory_equals_the_numpy_expression(runs: int, posted: bool) -> None:
    rng = np.random.default_rng(runs + 3 * posted)
    buckets, capacity = 16, 100
    by_bucket = rng.integers(0, 12, (runs, buckets)) * (rng.random((runs, buckets)) < 0.5)
    if posted:  # a price per run, a broadcast view as `fees.pricing` makes it
        pay = np.broadcast_to((rng.random(runs) * 1e-5)[:, None], (runs, buckets))
    else:
        pay = np.minimum(np.sort(rng.random(buckets)) * 1e-4, rng.random((runs, 1)) * 1e-4)
    txs = np.where(rng.random(runs) < 0.5, capacity, by_bucket.sum(axis=1) % capacity)  # full or not
    if runs > 1:
        by_bucket[0] = 0  # an empty block: nothing taken, the lowest price is inf
        txs[0] = capacity
    produced = rng.random(runs) < 0.8
    memory = rng.random(runs) * 1e-4
    keep = 0.5 ** (10.0 / 30.0)
    expected = _clearing_memory_numpy(by_bucket, pay, txs, produced, memory, capacity, keep)
    got = kernels_economy.clearing_memory(by_bucket, pay, txs, produced, memory, capacity, keep)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    if not posted and runs:  # a NaN price taken wins the minimum, as in numpy (and the block clears at 0)
        pay[-1, :] = np.nan
        by_bucket[-1, 0], txs[-1], produced[-1] = 1, capacity, True
        expected = _clearing_memory_numpy(by_bucket, pay, txs, produced, memory, capacity, keep)
        got = kernels_economy.clearing_memory(by_bucket, pay, txs, produced, memory, capacity, keep)
        np.testing.assert_array_equal(_bits(got), _bits(expected))


@pytest.mark.parametrize("runs", [0, 1, 9])
@pytest.mark.parametrize("counter", [0, 17, -3, 2**63 + 5])
def test_the_compiled_stream_keys_equal_the_numpy_definition(runs: int, counter: int) -> None:
    """`rng.stream_keys` against the numpy code it replaced (a negative counter wraps as numpy's cast)."""
    from aztec_econ.model import rng

    keys = rng.run_keys(7, np.arange(runs, dtype=np.int64))
    word = np.uint64((int(rng.Stream.RANDAO) * 0x9E3779B97F4A7C15) & ((1 << 64) - 1))
    as_array = np.int64(counter) if counter < 2**63 else np.uint64(counter)
    c = np.atleast_1d(np.asarray(as_array)).astype(np.uint64)
    expected = rng.mix64(rng.mix64(keys ^ word) + c * rng.MIX2)
    got = rng.stream_keys(keys, rng.Stream.RANDAO, counter)
    assert got.dtype == np.uint64 and got.shape == (runs,)
    np.testing.assert_array_equal(got, expected)


def _next_down_numpy(
    u: np.ndarray, was: np.ndarray, n_operators: np.ndarray, fail: float, recover: float
) -> np.ndarray:
    """`operators.next_down` as the model computed it in numpy, from its uniforms `u` (runs x n)."""
    n = u.shape[1]
    exists = np.arange(n)[None, :] < n_operators[:, None]
    down = np.zeros_like(was)
    down[:, :n] = np.where(was[:, :n], u >= recover, u < fail) & exists
    return down


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("n", [0, 1, 40])
def test_the_compiled_outage_step_equals_the_numpy_expression(runs: int, n: int) -> None:
    from aztec_econ.model import rng

    keys = rng.run_keys(11, np.arange(runs, dtype=np.int64))
    base = rng.stream_keys(keys, rng.Stream.OUTAGES, 5)
    generator = np.random.default_rng(runs + n)
    was = generator.random((runs, 48)) < 0.5
    n_operators = np.minimum(generator.integers(0, n + 1, runs), n)
    if runs:
        n_operators[0] = n  # the run with the most operators sets n
    u = rng.uniforms(keys, rng.Stream.OUTAGES, 5, n)
    drawn = [(float(u.flat[0]), float(u.flat[-1]))] if u.size else []  # a uniform equal to either probability
    for fail, recover in [(0.3, 0.6), (0.0, 1.0), (1.0, 0.0), *drawn]:
        expected = _next_down_numpy(u, was, n_operators, fail, recover)
        got = kernels.outage_step(base, rng.words_for(n), was, n_operators, fail, recover)
        assert got.dtype == np.bool_ and got.shape == was.shape
        np.testing.assert_array_equal(got, expected)
    fail, recover = 0.3, 0.6
    got = kernels.outage_step(base, rng.words_for(n), was, n_operators, fail, recover)
    assert runs < 30 or n < 40 or (got.any() and not got.all())


def _backup_landing_numpy(
    window: np.ndarray, done: np.ndarray, open_blocks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`backup.step_backup`'s race as the model computed it in numpy."""
    runs, never = window.shape
    if done.shape[1] == 0:
        return np.full(runs, never), np.full(runs, -1)
    usable = (window[:, None, :] >= done[:, :, None]) & open_blocks[:, None, :]
    lands = np.where(usable.any(axis=2), np.argmax(usable, axis=2), never)
    best = lands.min(axis=1)
    builder = np.argmin(np.where(lands == best[:, None], done, np.inf), axis=1)
    return best, np.where(best < never, builder, -1)


@pytest.mark.parametrize("runs", [0, 1, 60])
@pytest.mark.parametrize("builders", [0, 1, 5])
def test_the_compiled_backup_landing_equals_the_numpy_expression(runs: int, builders: int) -> None:
    rng = np.random.default_rng(runs * 10 + builders)
    window = np.cumsum(rng.choice([12.0, 24.0], (runs, 12)), axis=1)[:, 2:10]  # block times: a phase's slice
    done = np.round(rng.random((runs, builders)) * 120.0 / 12.0) * 12.0  # ties, and ties with block times
    done[rng.random(done.shape) < 0.3] = np.inf  # not ready
    done[: runs // 10] = np.inf  # no builder ready: no backup block
    window[: runs // 7, -2:] = np.inf  # blocks that were never built (`timeline`)
    open_blocks = rng.random((runs, 8)) < 0.7
    ready_u = rng.random((runs, builders))
    worth_it = rng.random(runs) < 0.8
    opened = rng.random(runs) < 0.8
    races = (
        (ready_u < 0.6) & worth_it[:, None] & opened[:, None]
    )  # as `backup.step_backup` computed it in numpy
    expected = _backup_landing_numpy(window, np.where(races, done, np.inf), open_blocks)
    got = kernels_slot.backup_landing(window, done, ready_u, 0.6, worth_it, opened, open_blocks)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == np.int64
    assert runs < 60 or builders < 5 or ((got[1] >= 0).any() and (got[1] < 0).any())


def _keys_out_numpy(owner: np.ndarray, down: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """`operators.out` as the model computed it in numpy (with `operators.owners_of`)."""
    rows = np.arange(keys.shape[0])[:, None]
    owners = np.where(keys >= 0, owner[rows, np.maximum(keys, 0)].astype(np.int64), -1)
    return (owners >= 0) & down[rows, np.maximum(owners, 0)]


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("k", [1, 8])
def test_the_compiled_keys_out_equals_the_numpy_expression(runs: int, k: int) -> None:
    rng = np.random.default_rng(runs * 10 + k)
    owner = rng.integers(-1, 5, (runs, 40)).astype(np.int32)  # -1: a key without an owner
    down = rng.random((runs, 5)) < 0.4
    keys = np.where(rng.random((runs, k)) < 0.2, -1, rng.integers(0, 40, (runs, k)))  # -1: no candidate
    expected = _keys_out_numpy(owner, down, keys)
    got = kernels_slot.keys_out(owner, down, keys)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.bool_ and got.shape == (runs, k)


def _land_numpy(
    seconds: np.ndarray, includes: np.ndarray | None, first: int, end: int, sent: np.ndarray | float
) -> np.ndarray:
    """`timeline.land` as the model computed it in numpy."""
    window = seconds[:, first:end] >= np.asarray(sent, dtype=np.float64).reshape(-1, 1)
    if includes is not None:
        window = window & includes[:, first:end]
    hit = window.any(axis=1)
    return np.where(hit, first + np.argmax(window, axis=1), -1)


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize(("first", "end"), [(0, 8), (3, 5), (4, 5)])  # phases have >= 1 block
@pytest.mark.parametrize("censored", [False, True])
@pytest.mark.parametrize("one_time", [False, True])
def test_the_compiled_landing_equals_the_numpy_expression(
    runs: int, first: int, end: int, censored: bool, one_time: bool
) -> None:
    rng = np.random.default_rng(runs * 100 + first * 10 + end + 2 * censored + one_time)
    seconds = np.cumsum(rng.choice([12.0, 24.0], (runs, 8)), axis=1) - 12.0
    includes = rng.random((runs, 8)) < 0.6 if censored else None
    sent = 40.0 if one_time else np.where(rng.random(runs) < 0.1, np.inf, rng.uniform(0.0, 100.0, runs))
    expected = _land_numpy(seconds, includes, first, end, sent)
    got = kernels_slot.first_landing(
        seconds, includes, first, end, np.asarray(sent, dtype=np.float64).reshape(-1)
    )
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64 and got.shape == (runs,)


def _operator_counts_numpy(held: np.ndarray, down: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`operators.step_operators`' keys down, active operators and operators down as the model computed them in
    numpy, from the holdings of the slot."""
    keys_down = (held * down[:, : held.shape[1]]).sum(axis=1, dtype=np.int64)
    active = (held > 0).sum(axis=1).astype(np.int64)
    return keys_down, active, down.sum(axis=1).astype(np.int64)


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("operators", [0, 1, 9])
def test_the_compiled_operator_counts_equal_the_numpy_expression(runs: int, operators: int) -> None:
    rng = np.random.default_rng(runs * 10 + operators + 2)
    start = rng.integers(0, 4, (runs, operators)).astype(np.int32)  # 0: an operator without an eligible key
    down = rng.random((runs, operators + 5)) < 0.4  # as wide as the operators there can ever be
    n_operators = rng.integers(0, operators + 3, runs).astype(np.int64)  # some beyond the chunk's holdings
    down[np.arange(operators + 5)[None, :] >= n_operators[:, None]] = (
        False  # operators not yet created are up
    )
    # the chunk's changes (flat cells, +1 or -1, as `operators.chunk_holdings` makes them), applied up to a slot
    n = 40 if runs * operators else 0
    cells = rng.integers(0, max(runs * operators, 1), n)
    signs = np.where(rng.random(n) < 0.6, 1, -1).astype(np.int32)
    for lo, hi in ((0, 0), (0, n // 2), (5 if n else 0, n)):
        held = start.reshape(-1).copy()
        np.add.at(held, cells[lo:hi], signs[lo:hi])  # how the model moved the holdings forward in numpy
        expected = _operator_counts_numpy(held.reshape(start.shape), down)
        active_start, crossing = kernels_slot.holding_crossings(start, cells, signs, lo)
        assert crossing.dtype == np.int8 and (crossing[:lo] == 0).all()
        np.testing.assert_array_equal(active_start, (start > 0).sum(axis=1))
        got = kernels_slot.operator_counts(
            start, cells, signs, crossing, active_start, lo, hi, down, n_operators
        )
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_array_equal(g, e)
            assert g.dtype == np.int64 and g.shape == (runs,)


def _election_outcome_numpy(
    candidates: np.ndarray,
    offline_u: np.ndarray,
    offline_probability: float,
    out: np.ndarray,
    sends: np.ndarray,
    commits: np.ndarray | None,
    at: np.ndarray | None,
    first: int,
    exit_signal: np.ndarray,
    slot_start: int,
) -> tuple[np.ndarray, ...]:
    """`election.step_election` after the walk as the model computed it in numpy (with `election.still_eligible`
    and `election.winner`): online, sending, landed and still-eligible candidates, the best one and the stage."""
    online = (offline_u >= offline_probability) & ~out
    online &= sends
    if commits is not None:
        online &= commits
    if at is None:
        at = np.full(candidates.shape, first, dtype=np.int64)
    rows = np.arange(candidates.shape[0])[:, None]
    still = (candidates >= 0) & (slot_start + at < exit_signal[rows, np.maximum(candidates, 0)])
    ok = online & (at >= 0) & still & (candidates >= 0)
    best = np.argmax(ok, axis=1)
    top = np.take_along_axis(candidates, best[:, None], axis=1)[:, 0]
    proposer = np.where(ok.any(axis=1), top, -1)
    rank = np.where(proposer >= 0, best, -1)
    block = np.where(proposer >= 0, np.take_along_axis(at, best[:, None], axis=1)[:, 0], -1)
    stage = np.where(proposer >= 0, 1, 0).astype(np.int8)
    return proposer, rank, block, ok.sum(axis=1), stage


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("k", [1, 8])
@pytest.mark.parametrize("consolidated", [False, True])
@pytest.mark.parametrize("censored", [False, True])
def test_the_compiled_election_outcome_equals_the_numpy_expression(
    runs: int, k: int, consolidated: bool, censored: bool
) -> None:
    rng = np.random.default_rng(runs * 100 + k * 10 + 2 * consolidated + censored)
    candidates = np.where(rng.random((runs, k)) < 0.2, -1, rng.integers(0, 40, (runs, k)))
    draws = rng.random((runs, k + 2))
    offline_u = draws[:, 1 : k + 1]  # a strided view, as the slot's draws
    if runs:
        offline_u[0, 0] = 0.25  # exactly the offline chance: online
    out = rng.random((runs, k)) < 0.2
    sends = rng.random((runs, k)) < 0.8
    if runs:
        sends[0] = False  # a run without a proposal
    commits = rng.random((runs, k)) < 0.7 if consolidated else None
    at = rng.integers(-1, 6, (runs, k)) if censored else None  # -1: a proposal that does not land
    first, slot_start = 2, 1000
    exit_signal = rng.integers(1000, 1008, (runs, 40))  # exits before, at and after the landing blocks
    expected = _election_outcome_numpy(
        candidates, offline_u, 0.25, out, sends, commits, at, first, exit_signal, slot_start
    )
    got = kernels_slot.election_outcome(
        candidates, offline_u, 0.25, out, sends, commits, at, first, exit_signal, slot_start, 1, 0
    )
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype and g.shape == (runs,)


def _top_eligible_reference(
    randao: np.ndarray,
    eligible: np.ndarray,
    exit_signal: np.ndarray,
    rows: np.ndarray | None,
    block: int,
    k: int,
    bits: int,
) -> np.ndarray:
    """The walk's keys from the numpy permutation (`election.feistel` with `election.round_keys`) over the whole
    domain: the first k eligible keys in rank order, -1 padded."""
    from aztec_econ.model.mechanisms.election import feistel, round_keys

    runs = randao.size
    positions = np.broadcast_to(np.arange(1 << bits, dtype=np.uint64), (runs, 1 << bits))
    keys = feistel(positions, round_keys(randao), bits).astype(np.int64)
    row_ids = np.arange(runs) if rows is None else rows
    out = np.full((runs, k), -1, dtype=np.int64)
    for i in range(runs):
        inside = keys[i][keys[i] < eligible.shape[1]]
        e, x = eligible[row_ids[i], inside], exit_signal[row_ids[i], inside]
        hits = inside[(e <= block) & (block < x)][:k]
        out[i, : hits.size] = hits
    return out


@pytest.mark.parametrize("runs", [0, 1, 9])
@pytest.mark.parametrize("bits", [2, 5, 10])
@pytest.mark.parametrize("with_rows", [False, True])
def test_the_compiled_walk_computes_its_round_keys_as_round_keys(
    runs: int, bits: int, with_rows: bool
) -> None:
    from aztec_econ.model.mechanisms.election import _ROUND_WORDS

    rng = np.random.default_rng(runs * 100 + bits * 10 + with_rows)
    randao = rng.integers(0, 2**64, runs, dtype=np.uint64)
    cap = (1 << bits) - 1  # a key space smaller than the domain: positions past it are skipped
    registry_rows = 4 if with_rows else runs  # several RANDAO values per registry row, or one each
    eligible = rng.integers(0, 10, (registry_rows, cap))
    exit_signal = rng.integers(
        3, 20, (registry_rows, cap)
    )  # some exit before block 5, some are not yet eligible
    rows = rng.integers(0, 4, runs) if with_rows else None
    none = np.zeros((0, 0), dtype=np.int8)  # no chunk's eligibility: the walk reads the times
    # a chunk whose slots start at blocks 1, 3, 5, ..., 11: keys eligible at all, none or some of them
    status = kernels_slot.chunk_eligibility(eligible, exit_signal, 1, 11)
    assert set(np.unique(status)) <= {0, 1, 2} and ((status == 2).any() or status.size == 0)
    for k in (1, 3, cap + 1):  # more candidates than eligible keys: -1 padded
        for block in (5, 6, 13):  # covered by the chunk, between its slot starts, after it
            expected = _top_eligible_reference(randao, eligible, exit_signal, rows, block, k, bits)
            for known in (none, status):
                got = kernels.top_eligible_walk(
                    randao, _ROUND_WORDS, eligible, exit_signal, rows, block, k, bits, known, 1, 11, 2
                )
                np.testing.assert_array_equal(got, expected)
                assert got.dtype == np.int64 and got.shape == (runs, k)


def test_the_chunk_eligibility_says_what_the_times_say_at_every_slot_start() -> None:
    rng = np.random.default_rng(11)
    eligible = rng.integers(-2, 30, (6, 200))
    exit_signal = eligible + rng.integers(
        -3, 25, (6, 200)
    )  # some exit before they are eligible: never eligible
    first, last, step = 4, 22, 3
    status = kernels_slot.chunk_eligibility(eligible, exit_signal, first, last)
    at = np.stack([(eligible <= b) & (b < exit_signal) for b in range(first, last + 1, step)])
    np.testing.assert_array_equal(status == 1, at.all(axis=0))
    np.testing.assert_array_equal(status == 0, ~at.any(axis=0) & (status != 2))
    assert ((status == 2) | at.all(axis=0) | ~at.any(axis=0)).all()  # 2 wherever the slot starts disagree
    assert (status == 1).any() and (status == 0).any() and (status == 2).any()


def _outlook_numpy(
    value: np.ndarray,
    third_wins: np.ndarray,
    third_price: np.ndarray,
    available: np.ndarray,
    own_price: np.ndarray,
    on_time: np.ndarray,
    proof_ok: float,
    reveal_ok: float,
    self_prove: float,
) -> np.ndarray:
    """`participation.block_outlook` after its power as the model computed it in numpy."""
    commits = np.where(third_wins, available, 0.0)
    finalizes = proof_ok * on_time * reveal_ok
    third = commits * np.maximum(value - third_price, 0.0)
    own_ok = np.isfinite(own_price) & (own_price <= value)
    own = (1.0 - commits) * self_prove * np.where(own_ok, value - own_price, 0.0)
    return np.asarray(finalizes * (third + own), dtype=np.float64)


@pytest.mark.parametrize("runs", [0, 1, 50])
def test_the_compiled_block_outlook_equals_the_numpy_expression(runs: int) -> None:
    rng = np.random.default_rng(runs + 7)
    value = rng.uniform(0.0, 100.0, runs) * 10.0 ** rng.integers(-3, 3, runs)
    third_price = rng.uniform(0.0, 120.0, runs)
    own_price = rng.uniform(0.0, 120.0, runs)
    special = [np.inf, -np.inf, np.nan, 0.0, -0.0]
    for a in (value, third_price, own_price):  # prices equal to the value, infinite and NaN ones
        n = min(runs, len(special))
        a[:n] = rng.permutation(special)[:n]
    tie = rng.random(runs) < 0.2
    own_price[tie] = value[tie]  # a sequencer's own price equal to the value: it proves itself
    third_wins = rng.random(runs) < 0.6
    available = 1.0 - 0.1 ** rng.integers(0, 5, runs).astype(np.float64)
    on_time = rng.random(runs)
    args = (value, third_wins, third_price, available, own_price, on_time, 0.97, 0.99, 0.3)
    with np.errstate(invalid="ignore"):
        expected = _outlook_numpy(*args)
    got = kernels.outlook_values(*args)
    np.testing.assert_array_equal(_bits(got), _bits(expected))
    assert got.dtype == np.float64 and got.shape == (runs,)


@pytest.mark.parametrize("runs", [0, 1, 40])
@pytest.mark.parametrize("ranks", [1, 3, 8])
def test_the_compiled_proposal_sends_equal_the_numpy_expression(runs: int, ranks: int) -> None:
    rng = np.random.default_rng(runs * 10 + ranks)
    outlook = rng.uniform(0.0, 50.0, runs)
    win_chance = 0.9 ** np.arange(ranks, dtype=np.float64)
    cost = rng.uniform(0.0, 50.0, runs)
    if runs:
        cost[0] = outlook[0]  # a tie sends at rank 0
        outlook[-1] = np.nan  # never sends
    expected = outlook[:, None] * win_chance[None, :] >= cost[:, None]
    got = kernels.proposal_sends(outlook, win_chance, cost)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.bool_ and got.shape == (runs, ranks)


def test_the_codes_the_compiled_l1_cost_split_reads_are_the_enums_values() -> None:
    """`kernels_economy.l1_cost_split` compares stage, submitter and mode codes as numbers (numba's cache would not
    notice a change in `stage.py`): a renumbered enum must fail here, not shift costs between payers."""
    from aztec_econ.model.stage import Mode, Stage, Submitter

    assert (Submitter.PROVER, Submitter.RELAY, Submitter.SEQUENCER) == (1, 2, 3)
    assert (Stage.COMMITTED, Mode.BACKUP) == (2, 1)


@pytest.mark.parametrize(
    ("module", "at_least"),
    [
        (kernels, 9),
        (kernels_slot, 9),
        (kernels_economy, 9),
        (kernels_store, 4),
        (kernels_registry, 5),
        (kernels_phases, 4),
    ],
)
def test_every_function_of_the_kernel_modules_is_compiled(module: object, at_least: int) -> None:
    """A kernel without its `@njit` still passes every bit-for-bit test above, but runs as a Python loop over
    every element (`all_same` did, for a whole session): each function these modules define must be a numba
    dispatcher."""
    import inspect

    from numba.core.registry import CPUDispatcher

    defined = {
        name: obj
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or isinstance(obj, CPUDispatcher))
        and getattr(obj, "__module__", None) == module.__name__  # type: ignore[attr-defined]
    }
    assert len(defined) >= at_least
    plain = sorted(name for name, obj in defined.items() if not isinstance(obj, CPUDispatcher))
    assert not plain, f"not compiled (missing @njit): {plain}"


def _accumulate_numpy(
    hist: np.ndarray, included_by_age: np.ndarray, offsets: np.ndarray, slot_l1_blocks: int
) -> None:
    """`confirmation.accumulate` before it was compiled: one weighted bincount per channel."""
    channels, width = hist.shape[1], hist.shape[2]
    t, r, a = np.nonzero(included_by_age)
    weight = included_by_age[t, r, a]
    for c in range(channels):
        off = offsets[t, r, c]
        keep = off >= 0
        index = (r[keep] * channels + c) * width + a[keep] * slot_l1_blocks + off[keep]
        hist += (
            np.bincount(index, weights=weight[keep], minlength=hist.size).astype(np.int64).reshape(hist.shape)
        )


@pytest.mark.parametrize("slots", [0, 1, 7])
@pytest.mark.parametrize("runs", [1, 13])
def test_the_compiled_confirmation_bins_equal_the_numpy_bincounts(slots: int, runs: int) -> None:
    rng = np.random.default_rng(slots * 100 + runs)
    ages, channels, slot_l1_blocks = 4, 5, 3
    width = (ages + 2) * slot_l1_blocks
    included = np.where(rng.random((slots, runs, ages)) < 0.4, 0, rng.integers(0, 50, (slots, runs, ages)))
    offsets = rng.integers(-1, 2 * slot_l1_blocks, (slots, runs, channels))
    start = rng.integers(0, 9, (runs, channels, width))
    expected, got = start.copy(), start.copy()
    _accumulate_numpy(expected, included, offsets, slot_l1_blocks)
    kernels_slot.confirmation_bins(got, included, offsets, slot_l1_blocks)
    np.testing.assert_array_equal(got, expected)


def test_the_compiled_confirmation_bins_refuse_a_delay_past_the_last_bin() -> None:
    hist = np.zeros((1, 1, 4), dtype=np.int64)
    with pytest.raises(IndexError, match="last bin"):
        kernels_slot.confirmation_bins(hist, np.ones((1, 1, 2), dtype=np.int64), np.full((1, 1, 1), 2), 2)


_AMOUNTS = ("paid", "burned", "tips", "mev", "mev_burned", "surplus")


def _block_amounts_numpy(
    produced: np.ndarray,
    block: dict[str, np.ndarray],
    late: dict[str, np.ndarray],
    market: np.ndarray,
    tx_size: float,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """`settlement.step_settlement`'s block amounts as the model computed them in numpy (rows as
    `kernels_economy.block_amounts` returns them)."""
    if produced.all():
        x = {k: block[k] for k in _AMOUNTS}
        txs = block["txs"]
    else:
        x = {k: np.where(produced, block[k], 0.0) for k in _AMOUNTS}
        txs = np.where(produced, block["txs"], 0)
    any_late = bool(late["txs"].any())
    if any_late:
        txs = txs + late["txs"]
        x = {k: x[k] + late[k] for k in _AMOUNTS}
    used = np.asarray(txs * tx_size, dtype=np.float64)
    owed = x["paid"] + x["mev"]
    if (owed > market).any():
        scale = np.where(owed > market, market / np.where(owed > 0, owed, 1.0), 1.0)
        x.update({k: x[k] * scale for k in _AMOUNTS[:5]})
    kept = x["tips"] + x["mev"] - x["mev_burned"]
    rows = [x[k] for k in _AMOUNTS] + [used, kept, x["burned"] + x["mev_burned"]]
    return np.array(rows).reshape(9, -1), txs, any_late


def _amounts(rng: np.random.Generator, runs: int, scale: float) -> dict[str, np.ndarray]:
    paid = rng.random(runs) * scale
    burned = paid * rng.random(runs)
    mev = rng.random(runs) * scale
    return {
        "paid": paid,
        "burned": burned,
        "tips": paid - burned,
        "mev": mev,
        "mev_burned": mev * rng.choice([0.0, 0.5], runs),
        "surplus": rng.normal(0.0, scale, runs),
        "txs": rng.integers(0, 50, runs),
    }


def _block_parties_numpy(
    mode: np.ndarray, prover: np.ndarray, prover_price: np.ndarray, by_age: np.ndarray, late_txs: np.ndarray
) -> tuple[np.ndarray, ...]:
    """`settlement.step_settlement`'s included transactions by age, producer, price recipient and price (before its
    cap) as the model computed them in numpy."""
    produced, happy = mode != int(Mode.SKIPPED), mode == int(Mode.HAPPY)
    by_age = by_age if produced.all() else by_age * produced[:, None]
    if late_txs.any():  # late inclusions count as age 0
        by_age = by_age.copy()
        by_age[:, 0] += late_txs
    producer = np.where(happy, int(Account.SEQUENCERS), int(Account.BACKUP))
    third_party = prover >= 0
    paid_to = np.where(third_party, int(Account.PROVER0) + prover, int(Account.SEQUENCERS))
    return by_age, producer, paid_to, np.where(happy & third_party, prover_price, 0.0)


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("skipped", [False, True])
@pytest.mark.parametrize("with_late", [False, True])
@pytest.mark.parametrize("short", [False, True])
def test_the_compiled_block_amounts_equal_the_numpy_expressions(
    runs: int, skipped: bool, with_late: bool, short: bool
) -> None:
    from aztec_econ.model.mechanisms.settlement import _CODES

    rng = np.random.default_rng(runs * 10 + 4 * skipped + 2 * with_late + short)
    modes = (
        [int(Mode.HAPPY), int(Mode.BACKUP), int(Mode.SKIPPED)]
        if skipped
        else [int(Mode.HAPPY), int(Mode.BACKUP)]
    )
    mode = rng.choice(modes, runs).astype(np.int8)
    produced = mode != int(Mode.SKIPPED)
    block = _amounts(rng, runs, 1.0)
    late = _amounts(rng, runs, 0.1)
    if not with_late:
        late = {k: np.zeros_like(v) for k, v in late.items()}
    market = np.full(runs, 1e6)
    if short:  # users cannot pay some runs' blocks (one with nothing owed and an account driven below 0 too)
        market = rng.random(runs) * 1.0
        market[: min(runs, 1)] = -1e-12
    prover = rng.integers(-1, 5, runs)
    prover_price = rng.normal(10.0, 8.0, runs)  # some negative: the prover pays
    by_age = rng.integers(0, 9, (runs, 4))
    expected = (
        *_block_amounts_numpy(produced, block, late, market, 0.5),
        *_block_parties_numpy(mode, prover, prover_price, by_age, late["txs"]),
    )
    got = kernels_economy.block_amounts(
        mode,
        _CODES,
        tuple(block[k] for k in _AMOUNTS),
        block["txs"],
        by_age,
        tuple(late[k] for k in _AMOUNTS),
        late["txs"],
        market,
        0.5,
        prover,
        prover_price,
    )
    assert len(got) == len(expected) and got[2] == expected[2]
    for g, e in zip(got[:2] + got[3:], expected[:2] + expected[3:], strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype
    assert got[0].shape == (9, runs) and got[1].dtype == np.int64


def _reveal_share_numpy(
    seconds: np.ndarray, happy: np.ndarray, revealed: np.ndarray, block: np.ndarray, slot_seconds: float
) -> np.ndarray:
    """`settlement.step_settlement`'s reveal share as the model computed it in numpy (the reveal block's time, +inf for none)."""
    at = np.where(happy & revealed, block, -1)
    rows = np.arange(seconds.shape[0])
    revealed_at = np.where(at >= 0, seconds[rows, np.maximum(at, 0)], np.inf)
    return np.where(np.isfinite(revealed_at), np.clip(revealed_at / slot_seconds, 0.0, 1.0), 0.0)


@pytest.mark.parametrize("runs", [0, 1, 30])
def test_the_compiled_reveal_share_equals_the_numpy_expression(runs: int) -> None:
    rng = np.random.default_rng(runs + 5)
    seconds = np.cumsum(rng.choice([12.0, 24.0], (runs, 8)), axis=1) - 12.0
    seconds[: min(runs, 2), 5] = np.inf  # a block never built
    happy, revealed = rng.random(runs) < 0.7, rng.random(runs) < 0.8
    block = rng.integers(-1, 8, runs)
    block[: min(runs, 2)] = 5
    expected = _reveal_share_numpy(seconds, happy, revealed, block, 72.0)
    got = kernels_economy.reveal_share(seconds, happy, revealed, block, 72.0)
    np.testing.assert_array_equal(got, expected)
    if runs == 30:
        assert (got == 1.0).any() and ((got > 0) & (got < 1)).any() and (got == 0).any()


def _block_costs_numpy(
    stage: np.ndarray,
    mode: np.ndarray,
    revealed: np.ndarray,
    self_proved: np.ndarray,
    prover: np.ndarray,
    backup_builder: np.ndarray,
    block_txs: np.ndarray,
    late_txs: np.ndarray,
    costs: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """`settlement.step_settlement`'s cost inputs as the model computed them in numpy (stage 2 revealed, mode 1
    backup, own cost 3.0, backup cost 7.0, 0.5 mana per transaction)."""
    block_used = (block_txs + late_txs) * 0.5
    used = np.where(revealed | (mode == 1), block_used, 0.0)
    third_party = prover >= 0
    third = costs[np.maximum(prover, 0)] if costs.size else np.zeros(prover.shape)
    proving = np.where(stage >= 2, np.where(self_proved, 3.0, 0.0) + np.where(third_party, third, 0.0), 0.0)
    backup = np.where((mode == 1) & (backup_builder >= 0), 7.0, 0.0)
    return used, proving, backup


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("provers", [0, 3])
def test_the_compiled_block_costs_equal_the_numpy_expressions(runs: int, provers: int) -> None:
    rng = np.random.default_rng(runs * 10 + provers)
    stage = rng.integers(0, 4, runs).astype(np.int8)
    mode = rng.integers(0, 3, runs).astype(np.int8)
    revealed, self_proved = rng.random(runs) < 0.6, rng.random(runs) < 0.3
    prover = rng.integers(-1, provers, runs) if provers else np.full(runs, -1)
    backup_builder = rng.integers(-1, 3, runs)
    block_txs, late_txs = rng.integers(0, 50, runs), rng.integers(0, 5, runs)
    costs = rng.random(provers)
    args = (stage, mode, revealed, self_proved, prover, backup_builder, block_txs, late_txs)
    expected = _block_costs_numpy(*args, costs)
    got = kernels_economy.block_costs(*args, 0.5, 2, 1, costs, 3.0, 7.0)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == np.float64 and g.shape == (runs,)


def _reveal_choice_numpy(
    value: np.ndarray,
    late: np.ndarray,
    full: float,
    lands: np.ndarray | None,
    honest: np.ndarray | None,
    seconds: np.ndarray,
    first: int,
) -> tuple[np.ndarray, np.ndarray]:
    """`reveal.chosen_block` and the reveal's time as the model computed them in numpy."""
    length = late.shape[1]
    gain = value[:, None] + late + full * (1.0 - np.arange(length) / length)[None, :]
    if lands is not None and honest is not None:
        gain = np.where(honest[:, None], gain * lands[None, :], gain)
    at = first + np.argmax(gain, axis=1)
    return at, seconds[np.arange(at.size), at]


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("length", [1, 2, 5])
@pytest.mark.parametrize("full", [0.0, 3.0])
@pytest.mark.parametrize("censored", [False, True])
def test_the_compiled_reveal_choice_equals_the_numpy_expression(
    runs: int, length: int, full: float, censored: bool
) -> None:
    rng = np.random.default_rng(runs * 100 + length * 10 + int(full) + censored)
    first = 2
    seconds = np.cumsum(rng.choice([12.0, 24.0], (runs, first + length + 1)), axis=1) - 12.0
    value = rng.random(runs) * 5.0
    late = np.cumsum(rng.random((runs, length)) * rng.choice([0.0, 1.0], (runs, 1)), axis=1)
    late[: min(runs, 3)] = 0.0  # equal gains at every block without a bonus: the earliest wins
    lands = 1.0 - 0.5 ** (length - np.arange(length, dtype=np.float64)) if censored else None
    honest = rng.random(runs) < 0.7 if censored else None
    expected = _reveal_choice_numpy(value, late, full, lands, honest, seconds, first)
    got = kernels_slot.reveal_choice(value, late, full, lands, honest, seconds, first)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    if runs == 30 and length == 5 and full == 0.0 and not censored:
        assert (got[0] == first).any() and (got[0] > first).any()


def _reward_split_numpy(
    reward: np.ndarray,
    split: np.ndarray,
    proven: np.ndarray,
    relayed: np.ndarray,
    prover: np.ndarray,
    self_proved: np.ndarray,
    bond_locked: np.ndarray,
    prior: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """`rewards.step_finalization` after its reward and relay decision as the model computed it in numpy (accounts:
    sequencers 1, first prover 6, relays 2; submitters: none 0, prover 1, relay 2, sequencer 3)."""
    prover_account = np.where(self_proved | (prover < 0), 1, 6 + prover).astype(np.int64)
    submitter_account = np.where(relayed, 2, prover_account)
    minted = np.array([reward * split[0], reward * split[1], reward * split[2]]).reshape(3, -1)
    rewards = np.zeros_like(prior)
    rewards[:, 0] = prior[:, 0] + minted[0]
    rewards[:, 1] = minted[1]
    rewards[:, 2] = minted[2]
    own = np.where(self_proved, 3, 1)
    submitter = np.where(proven, np.where(relayed, 2, own), 0).astype(np.int8)
    unlock = np.where(proven, bond_locked, 0.0)
    return prover_account, minted, rewards, submitter_account, unlock, submitter


@pytest.mark.parametrize("runs", [0, 1, 300])
@pytest.mark.parametrize("decayed", [False, True])
def test_the_compiled_reward_outcome_equals_the_numpy_expressions(
    runs: int, decayed: bool, make_params: Callable[..., Any]
) -> None:
    from aztec_econ.model.kernels_phases import reward_outcome
    from aztec_econ.model.mechanisms.participation import relay_pays
    from aztec_econ.model.stage import Stage

    params = make_params()
    pr = params.protocol
    rng = np.random.default_rng(runs + 11 + decayed)
    stage = rng.choice([int(Stage.REVEALED), int(Stage.PROVEN)], runs, p=[0.3, 0.7]).astype(np.int8)
    proven = stage == int(Stage.PROVEN)
    decay = rng.random(runs) if decayed else np.zeros(0)
    split = np.array([pr.reward_split.sequencer, pr.reward_split.prover, pr.reward_split.submitter])
    u_relay = rng.random(runs)
    eth = rng.lognormal(-8.0, 0.5, runs)
    verification = float(pr.l1_gas.verification)
    # gas prices around the relay's break-even: its share of the (decayed) reward covers the verification gas
    gas = pr.block_reward * split[2] * (decay if decayed else 1.0) * eth / (verification * 1e-9)
    gas *= rng.uniform(0.5, 1.5, runs)
    # `rewards.step_finalization`'s inputs as it computed them in numpy before the kernel
    reward = np.where(proven, float(pr.block_reward), 0.0) * (decay if decayed else 1.0)
    relayed = proven & (u_relay < 0.5)
    relayed &= relay_pays(params, reward, gas, eth)
    prover = rng.integers(-1, 4, runs)
    self_proved = (prover < 0) & (rng.random(runs) < 0.5)
    bond_locked = rng.random(runs) * 10.0
    prior = rng.random((runs, 4))  # an early-reveal bonus already in the sequencer's column, and stale values
    prover_account, *expected = _reward_split_numpy(
        reward, split, proven, relayed, prover, self_proved, bond_locked, prior
    )
    np.testing.assert_array_equal(ledger.bond_owner(prover, self_proved), prover_account)
    minted, rewards, owner, *rest = reward_outcome(
        stage,
        int(Stage.PROVEN),
        float(pr.block_reward),
        decay,
        split,
        u_relay,
        0.5,
        verification,
        gas,
        eth,
        1e-9,
        prover,
        self_proved,
        np.array([1, 6, 2]),
        bond_locked,
        prior,
        np.array([0, 1, 2, 3]),
    )
    np.testing.assert_array_equal(owner, prover_account)
    for g, e in zip([minted, rewards, *rest], expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype and g.shape == e.shape
    if runs > 100:  # relayed and not, near the break-even included
        assert relayed.any() and (proven & ~relayed).any()


def _l1_block_times_numpy(u: np.ndarray, p: float, block_seconds: float) -> np.ndarray:
    """`timeline.step_l1_blocks`' block times as the model computed them in numpy (`timeline.empty_before`)."""
    empties = np.floor(np.log1p(-u) / math.log(p)).astype(np.int64)
    empties[:, 0] = 0
    slots = np.arange(u.shape[1])[None, :] + np.cumsum(empties, axis=1)
    return np.asarray(slots * float(block_seconds), dtype=np.float64)


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("p", [1e-6, 0.05, 0.6])
def test_the_compiled_l1_block_times_equal_the_numpy_expression(runs: int, p: float) -> None:
    rng = np.random.default_rng(runs + int(p * 100))
    u = rng.random((runs, 36))
    u[: min(runs, 1), :3] = 0.0  # a uniform of 0: no empty slot
    expected = _l1_block_times_numpy(u, p, 12.0)
    got = kernels_slot.l1_block_times(np.log1p(-u), math.log(p), 12.0)
    np.testing.assert_array_equal(got, expected)
    if runs == 30 and p == 0.6:
        assert (np.diff(got, axis=1) > 12.0).any()


@pytest.mark.parametrize("p", [1e-12, 0.01, 0.3, 0.9])
def test_the_log_survivals_shortcut_draws_exactly_the_empty_slots_of_log1p(p: float) -> None:
    """`timeline.log_survivals` skips the logarithm where it cannot make an empty slot: the block times equal those
    of `np.log1p(-u)` for uniforms everywhere, densest around the shortcut's threshold and the first empty slot."""
    from aztec_econ.model.mechanisms.timeline import SURE_MARGIN, log_survivals

    rng = np.random.default_rng(int(p * 1000))
    threshold, first_empty = 1.0 - p ** (1.0 - SURE_MARGIN), 1.0 - p
    near = [x + d * np.spacing(x) * np.arange(200) for x in (threshold, first_empty) for d in (-1, 1)]
    around = np.concatenate([threshold + (first_empty - threshold) * rng.random(400), *near])
    u = np.concatenate([rng.random(4_000), around, [0.0, 0.0, 0.0, 1.0 - 2.0**-53]])
    u = np.clip(u, 0.0, 1.0 - 2.0**-53).reshape(-1, 4)
    got = kernels_slot.l1_block_times(log_survivals(u, p), math.log(p), 12.0)
    np.testing.assert_array_equal(got, _l1_block_times_numpy(u, p, 12.0))
    np.testing.assert_array_equal(log_survivals(u, p) == 0, u < threshold)  # the shortcut below the threshold
    assert (np.diff(got, axis=1) > 12.0).any()  # and empty slots are drawn


def _demand_draws_numpy(
    u: np.ndarray,
    table: np.ndarray,
    offset: int,
    pieces: int,
    shock_left: np.ndarray,
    shock_probability: float,
    shock_slots: int,
) -> tuple[np.ndarray, np.ndarray]:
    """`demand.arrivals`' shocks and counts as the model computed them in numpy (a search of
    `demand.two_rate_table`) before they were compiled."""
    active = (shock_left > 0) | (u[:, 0] < shock_probability)
    left = np.where(shock_left > 0, shock_left - 1, np.where(active, shock_slots - 1, 0))
    shift = active[:, None]
    counts = np.searchsorted(table, u[:, 2:] + 2.0 * shift, side="right").astype(np.int64) - offset * shift
    if pieces > 1:
        counts = counts.reshape(-1, (u.shape[1] - 2) // pieces, pieces).sum(axis=2)
    return counts, left


@pytest.mark.parametrize("runs", [0, 1, 300])
@pytest.mark.parametrize("pieces", [1, 3])
@pytest.mark.parametrize(
    ("calm", "multiplier"), [(0.0, 3.0), (3.75, 3.0), (0.4, 1.0), (10.0, 3.0), (30.0, 1.0)]
)
def test_the_compiled_demand_draws_equal_the_numpy_inversion(
    runs: int, pieces: int, calm: float, multiplier: float
) -> None:
    from aztec_econ.model.mechanisms import demand

    rng = np.random.default_rng(runs + pieces)
    buckets = 16
    u = rng.random((runs, 2 + buckets * pieces))
    u[: runs // 3, 2:] = rng.choice([0.0, 1.0 - 2.0**-53, 0.5, 1.0 - 1e-12], (runs // 3, buckets * pieces))
    if runs > 10:  # uniforms exactly at CDF values: the inversion's ties
        u[-5:, 2:] = rng.choice(demand.poisson_cdf(calm)[:20], (5, buckets * pieces))
    shock_left = np.where(rng.random(runs) < 0.3, rng.integers(0, 5, runs), 0)
    table, offset, guide = demand.two_rate_table(calm, calm * multiplier)
    if runs > 10:  # and shocked uniforms whose shifted values are the shifted CDF's
        u[-10:-5, 2:] = rng.choice(table[offset : offset + 20] - 2.0, (5, buckets * pieces))
        shock_left[-10:-5] = 2
    if runs > 20:  # uniforms at the guide's cell bounds and just below them, calm and shocked
        bounds = np.arange(demand.GUIDE_CELLS) / demand.GUIDE_CELLS
        u[-20:-10, 2:] = rng.choice(
            np.concatenate([bounds, np.nextafter(bounds[1:], 0.0)]), (10, buckets * pieces)
        )
        shock_left[-15:-10] = 3
        # shocked uniforms whose shifted values are just below a cell's shifted bound (below 2 + g / cells)
        below = np.nextafter(2.0 + bounds[1:], 0.0) - 2.0
        u[-25:-20, 2:] = rng.choice(below, (5, buckets * pieces))
        shock_left[-25:-20] = 2
    args = (u, table, offset, pieces, shock_left, 0.2, 4)
    expected = _demand_draws_numpy(*args)
    got = kernels_economy.demand_draws(u, table, offset, guide, *args[3:])
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == np.int64 and g.shape == e.shape
    if runs > 100 and calm > 0:
        assert (got[0] > 0).any() and (got[1] == 3).any() and (got[1] == 0).any()


def _first_price_pricing_numpy(
    values: np.ndarray, clearing: np.ndarray, margin: float, min_bid: float, burned: bool
) -> tuple[np.ndarray, ...]:
    """`fees.pricing` of the first-price mechanisms as the model computed it in numpy (`fees.first_price_bid`)
    before it was compiled."""
    offer = np.maximum(min_bid, clearing * (1.0 + margin))
    pay = np.minimum(values[None, :], offer[:, None])
    burn = pay if burned else np.zeros_like(pay)
    return np.ones(pay.shape, dtype=bool), pay, burn


@pytest.mark.parametrize("runs", [0, 1, 50])
@pytest.mark.parametrize("buckets", [1, 16])
@pytest.mark.parametrize("burned", [False, True])
@pytest.mark.parametrize("min_bid", [0.0, 0.3])
def test_the_compiled_first_price_pricing_equals_the_numpy_bids(
    runs: int, buckets: int, burned: bool, min_bid: float
) -> None:
    rng = np.random.default_rng(runs + buckets)
    values = np.sort(rng.random(buckets))
    values[0] = 0.0  # ties of zeros: np.minimum gives the second operand (-0.0 below)
    clearing = rng.choice([0.0, -0.0, 0.3 / 1.1, np.nan, 0.1, 2.0], runs)  # 0.3 / 1.1: an offer at min_bid
    expected = _first_price_pricing_numpy(values, clearing, 0.1, min_bid, burned)
    got = kernels_economy.first_price_pricing(values, clearing, 0.1, min_bid, burned)
    for e, g in zip(expected, got, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        if g.dtype == np.float64:
            np.testing.assert_array_equal(_bits(g), _bits(e))
        else:
            np.testing.assert_array_equal(g, e)


def _candidate_amounts_numpy(
    txs: np.ndarray,
    mev_draw: np.ndarray,
    tips: np.ndarray,
    mev_per_tx: float,
    tx_size: float,
    burn_mev: bool,
    burn_share: float,
) -> tuple[np.ndarray, ...]:
    """`market.prepare`'s MEV, capacity used, MEV burned (`fees.mev_burned`) and kept amounts as the model computed
    them in numpy before they were compiled."""
    mev = mev_per_tx * txs * mev_draw
    used = np.asarray(txs * tx_size, dtype=np.float64)
    mev_burned = mev * burn_share if burn_mev else np.zeros_like(mev)
    kept = np.asarray(tips + mev - mev_burned, dtype=np.float64)
    return mev, used, mev_burned, kept


@pytest.mark.parametrize("runs", [0, 1, 50])
@pytest.mark.parametrize("burn_mev", [False, True])
def test_the_compiled_candidate_amounts_equal_the_numpy_expression(runs: int, burn_mev: bool) -> None:
    rng = np.random.default_rng(runs)
    txs = rng.integers(0, 3000, runs) * (rng.random(runs) < 0.8)  # zeros: empty blocks
    mev_draw = rng.exponential(size=runs)
    tips = rng.random(runs) * 10.0 * (rng.random(runs) < 0.7)
    args = (txs, mev_draw, tips, 0.01 * 0.3, 1234.5, burn_mev, 0.37)
    expected = _candidate_amounts_numpy(*args)
    got = kernels_economy.candidate_amounts(*args)
    for e, g in zip(expected, got, strict=True):
        assert g.dtype == np.float64 and g.shape == e.shape
        np.testing.assert_array_equal(_bits(g), _bits(e))


def _ledger_post_numpy(book: Book, *postings: Posting) -> Book:
    """`ledger.Book.post` as the model computed it in numpy before each posting was compiled."""
    balances = book.balances.copy()
    supply = book.supply
    flows = book.flows.copy()
    rows = None
    for p in postings:
        kind, src, dst = p.kind, p.src, p.dst
        amount = np.asarray(p.amount, dtype=np.float64)
        if not (amount >= 0).all():  # NaN and negative amounts both fail it
            if not np.isfinite(amount).all():
                raise AccountingError(f"{kind.name} posting with a non-finite amount")
            raise AccountingError(f"{kind.name} posting with a negative amount {amount.min()}")
        if src is None:
            if kind is not Flow.MINT:
                raise AccountingError(f"{kind.name} posting without a source account")
            supply = supply + amount
        elif isinstance(src, int):
            balances[:, src] -= amount
        else:
            rows = np.arange(book.n_runs) if rows is None else rows
            balances[rows, src] -= amount
        if dst is None:
            if kind is not Flow.BURN and kind is not Flow.SLASH:
                raise AccountingError(f"{kind.name} posting without a destination account")
            supply = supply - amount
            if kind is Flow.SLASH:
                flows[:, Flow.BURN] += amount
        elif isinstance(dst, int):
            balances[:, dst] += amount
        else:
            rows = np.arange(book.n_runs) if rows is None else rows
            balances[rows, dst] += amount
        flows[:, kind] += amount
    posted = Book(balances, supply, flows, book.deferred)
    if not book.deferred:
        posted.check()
    return posted


def _posted(post: Callable[..., Book], book: Book, postings: list[Posting]) -> tuple[object, ...]:
    """What `post` makes of `postings` on `book`: the new book's words, or the error's type and message (the type
    only for numpy's ValueError of an amount that does not broadcast: its words name where numpy found it); and
    asserts it left a book on its own as it was. A slot's (deferred) book is written in place by `Book.post`,
    which returns it: each call posts on a copy of it."""
    if book.deferred:
        book = Book(book.balances.copy(), book.supply.copy(), book.flows.copy(), True)
    before = [x.copy() for x in (book.balances, book.supply, book.flows)]
    try:
        with np.errstate(invalid="ignore"):  # numpy's warning for inf - inf
            out = post(book, *postings)
    except (AccountingError, IndexError) as error:
        result: tuple[object, ...] = (type(error), str(error))
    except ValueError:
        result = (ValueError,)
    else:
        result = (*(_bits(x).tolist() for x in (out.balances, out.supply, out.flows)), out.deferred)
        if book.deferred and post is Book.post:
            assert out is book
    if not book.deferred:
        for x, y in zip(before, (book.balances, book.supply, book.flows), strict=True):
            np.testing.assert_array_equal(_bits(x), _bits(y))
    return result


def _ledger_book(rng: np.random.Generator, runs: int, accounts: int, deferred: bool) -> Book:
    balances = rng.random((runs, accounts)) * 10.0 ** rng.integers(0, 9, (runs, accounts))
    book = Book(balances, balances.sum(axis=1), rng.random((runs, len(Flow))))
    return book.new_slot(deferred=deferred) if rng.random() < 0.5 else replace(book, deferred=deferred)


def _random_postings(rng: np.random.Generator, runs: int, accounts: int) -> list[Posting]:
    """Postings of every kind, of one account or one per run (as int64, int32, a list, negative from the end),
    of amounts per run, scalar, 0-d or of one run, with zeros, -0.0, +inf and magnitudes that expose any
    reordering."""

    def account() -> Index:
        pick = rng.integers(0, 6)
        if pick == 0:
            return int(rng.integers(0, accounts))
        if pick == 1:
            return Account(int(rng.integers(0, Account.PROVER0)))
        if pick == 2:
            return int(rng.integers(-accounts, 0))
        rows = rng.integers(-accounts if pick == 3 else 0, accounts, runs)
        return rows.astype(np.int32) if pick == 4 else rows  # type: ignore[return-value]

    def amount() -> np.ndarray | float:
        pick = rng.integers(0, 6)
        if pick == 0:
            return float(rng.random() * 100.0)
        if pick == 1:
            return np.asarray(rng.random() * 3.0)
        if pick == 2:
            return rng.random(1)
        if pick == 3:
            return rng.integers(0, 5, runs)
        a = rng.random(runs) * 10.0 ** rng.integers(-9, 6, runs)
        a[rng.random(runs) < 0.2] = 0.0
        a[rng.random(runs) < 0.1] = -0.0
        if pick == 5:
            a[rng.random(runs) < 0.1] = np.inf
        return a

    postings = []
    for _ in range(int(rng.integers(1, 9))):
        kind = Flow(int(rng.integers(0, len(Flow))))
        src = None if kind is Flow.MINT and rng.random() < 0.8 else account()
        dst = None if kind in (Flow.BURN, Flow.SLASH) and rng.random() < 0.8 else account()
        postings.append(Posting(kind, src, dst, amount()))
    if rng.random() < 0.3:  # an account per run as a list
        postings.append(Posting(Flow.TRANSFER, list(rng.integers(0, accounts, runs)), Account.MARKET, 0.5))
    return postings


def test_the_ledger_kernels_flow_columns_are_the_ledgers() -> None:
    assert (Flow.BURN, Flow.SLASH) == (1, 2)  # ledger_post's columns


@pytest.mark.parametrize("runs", [0, 1, 2, 40])
@pytest.mark.parametrize("deferred", [True, False])
@pytest.mark.parametrize("seed", range(12))
def test_the_compiled_ledger_postings_equal_the_numpy_postings(runs: int, deferred: bool, seed: int) -> None:
    rng = np.random.default_rng([runs, deferred, seed])
    accounts = Account.PROVER0 + int(rng.integers(0, 4))
    book = _ledger_book(rng, runs, accounts, deferred)
    postings = _random_postings(rng, runs, accounts)
    assert _posted(Book.post, book, postings) == _posted(_ledger_post_numpy, book, postings)


def _refused_postings(runs: int) -> list[list[Posting]]:
    """Postings the ledger refuses, each after a posting it accepts: an amount negative, NaN or -inf (per run
    or scalar), a mint without a destination, a burn or a lock without a source, an account out of range (one,
    or one per run), an amount or per-run accounts of the wrong shape, and two faults in one posting."""
    ok = Posting(Flow.TRANSFER, Account.MARKET, Account.RELAYS, np.full(runs, 1.0))
    bad_amounts = [
        np.full(runs, -1.0),
        np.full(runs, np.nan),
        np.full(runs, -np.inf),
        -2.0,
        np.asarray(np.nan),
    ]
    faults = [Posting(Flow.TRANSFER, Account.MARKET, Account.SEQUENCERS, a) for a in bad_amounts]
    faults += [
        Posting(Flow.MINT, None, None, np.full(runs, 1.0)),
        Posting(Flow.BURN, None, Account.MARKET, np.full(runs, 1.0)),
        Posting(Flow.LOCK, None, Account.BONDS, 1.0),
        Posting(Flow.SLASH, Account.BONDS, None, -1.0),  # the amount first
        Posting(Flow.BURN, None, None, -1.0),
        Posting(Flow.UNLOCK, 99, Account.MARKET, 1.0),
        Posting(Flow.UNLOCK, Account.BONDS, -99, 1.0),
        Posting(Flow.UNLOCK, Account.BONDS, np.full(runs, 42), 1.0),
        Posting(Flow.UNLOCK, np.full(runs, -42), Account.MARKET, 1.0),
        Posting(Flow.TRANSFER, 99, None, 1.0),  # the source before the missing destination
        Posting(Flow.TRANSFER, Account.MARKET, Account.RELAYS, np.ones(runs + 2)),
        Posting(Flow.TRANSFER, Account.MARKET, Account.RELAYS, np.ones((runs, 2))),
    ]
    if runs != 1:  # numpy broadcast one run's row against more accounts: the ledger takes one account per run
        faults.append(Posting(Flow.TRANSFER, np.zeros(runs + 2, dtype=np.int64), Account.RELAYS, 1.0))
    return [[ok, fault, ok] for fault in faults]


@pytest.mark.parametrize("runs", [0, 1, 3])
@pytest.mark.parametrize("deferred", [True, False])
def test_the_compiled_ledger_refuses_what_the_numpy_ledger_refused(runs: int, deferred: bool) -> None:
    rng = np.random.default_rng(runs)
    book = _ledger_book(rng, runs, Account.PROVER0 + 2, deferred)
    for postings in _refused_postings(runs):
        assert _posted(Book.post, book, postings) == _posted(_ledger_post_numpy, book, postings), postings[1]
    overdrawn = [
        Posting(Flow.LOCK, Account.PROVER0, Account.BONDS, book.balance(Account.PROVER0) * 2.0 + 1.0)
    ]
    assert _posted(Book.post, book, overdrawn) == _posted(_ledger_post_numpy, book, overdrawn)


def _backup_outcome_numpy(
    opened: np.ndarray,
    best: np.ndarray,
    builder: np.ndarray,
    attacker_at: np.ndarray | None,
    never: int,
    first_block: int,
    reward: float,
    finalized: np.ndarray,
    submitter: np.ndarray,
    rewards: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """`backup.step_backup` after the race as the model computed it in numpy (the codes of `backup._CODES`: the
    backup column 3, modes happy 0, backup 1, skipped 2, the backup submitter 4)."""
    if attacker_at is not None:
        by_attacker = opened & (attacker_at < never) & (attacker_at <= best)
        at = attacker_at
    else:
        at = np.full(opened.shape, never)
        by_attacker = np.zeros(opened.shape, dtype=bool)
    builder = np.where(by_attacker | ~opened, -1, builder)
    landed = np.where(by_attacker, at, best)
    won = opened & ((builder >= 0) | by_attacker)
    amount = np.where(won, reward, 0.0)
    out_rewards = rewards.copy()
    out_rewards[:, 3] = amount
    mode = np.where(~opened, 0, np.where(won, 1, 2)).astype(np.int8)
    return (
        np.where(won, builder, -1),
        mode,
        np.where(won, first_block + landed, finalized),
        np.where(won, 4, submitter).astype(np.int8),
        out_rewards,
        amount,
        by_attacker,
        landed,
    )


@pytest.mark.parametrize("runs", [0, 1, 30])
@pytest.mark.parametrize("attacker", [False, True])
def test_the_compiled_backup_outcome_equals_the_numpy_expressions(runs: int, attacker: bool) -> None:
    rng = np.random.default_rng(runs * 2 + attacker)
    never = 6
    opened = rng.random(runs) < 0.6
    best = rng.integers(0, never + 1, runs)  # never: no honest builder landed
    builder = np.where(best < never, rng.integers(0, 3, runs), -1)
    attacker_at = rng.integers(0, never + 1, runs) if attacker else None
    finalized = rng.integers(-1, 1000, runs)
    submitter = rng.integers(0, 4, runs).astype(np.int8)
    rewards = rng.random((runs, 4))
    args = (opened, best, builder, attacker_at, never, 500, 2.5, finalized, submitter, rewards)
    expected = _backup_outcome_numpy(*args)
    got = kernels_slot.backup_outcome(*args, np.array([3, 0, 1, 2, 4], dtype=np.int64))
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype and g.shape == e.shape
    if runs == 30:  # backup blocks, the attacker's among them, and skipped slots
        assert (got[1] == 1).any() and got[6].any() == attacker and (attacker or (got[1] == 2).any())


def test_the_backup_kernels_codes_are_the_models() -> None:
    from aztec_econ.model.mechanisms import backup

    assert backup._CODES.tolist() == [3, 0, 1, 2, 4]


def _count_upto_numpy(times: np.ndarray, blocks: np.ndarray) -> np.ndarray:
    """How many times per run are <= each block in `blocks` (sorted), as `registry.plan_chunk` counted in numpy."""
    first, last = int(blocks[0]), int(blocks[-1])
    base = (times <= first).sum(axis=1)
    if blocks.size == 1:
        return base[:, None]
    length = int(blocks[1] - blocks[0])
    inside = (times > first) & (times <= last)
    rows, cols = np.nonzero(inside)
    slot = (times[rows, cols] - first + length - 1) // length
    counts = np.bincount(rows * blocks.size + slot, minlength=times.shape[0] * blocks.size)
    return base[:, None] + np.cumsum(counts.reshape(times.shape[0], blocks.size), axis=1)


def _count_within_numpy(times: np.ndarray, first: int, length: int, n_slots: int) -> np.ndarray:
    """How many times per run fall within each slot [first + j*length, first + (j+1)*length), as in numpy."""
    inside = (times >= first) & (times < first + n_slots * length)
    rows, cols = np.nonzero(inside)
    cells = rows * n_slots + (times[rows, cols] - first) // length
    return np.bincount(cells, minlength=times.shape[0] * n_slots).reshape(times.shape[0], n_slots)


@pytest.mark.parametrize("runs", [0, 1, 7])
@pytest.mark.parametrize("n_slots", [1, 2, 30])
def test_the_compiled_chunk_counts_equal_the_numpy_counts(runs: int, n_slots: int) -> None:
    rng = np.random.default_rng(runs * 100 + n_slots)
    length, first, keys = 50, 5_000, 300
    never = np.int64(1 << 60)  # `registry.NEVER`
    registered = rng.integers(-200, first + (n_slots + 2) * length, (runs, keys))
    eligible = registered + rng.integers(0, 3 * length, (runs, keys))
    exit_signal = np.where(
        rng.random((runs, keys)) < 0.5, eligible + rng.integers(0, 5 * length, (runs, keys)), never
    )
    release = np.where(exit_signal < never, exit_signal + rng.integers(0, 2 * length, (runs, keys)), never)
    registered[:, -20:] = eligible[:, -20:] = never  # key capacity not registered yet
    times = {"registered": registered, "eligible": eligible, "exit_signal": exit_signal, "release": release}
    starts = first + length * np.arange(n_slots, dtype=np.int64)
    upto = {name: _count_upto_numpy(t, starts) for name, t in times.items()}
    expected = (
        upto["registered"] - upto["eligible"],
        upto["eligible"] - upto["exit_signal"],
        upto["exit_signal"] - upto["release"],
        *(
            _count_within_numpy(times[name], first, length, n_slots)
            for name in ("registered", "exit_signal", "release")
        ),
    )
    got = kernels_slot.chunk_counts(registered, eligible, exit_signal, release, first, length, n_slots)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == np.int64 and g.shape == (runs, n_slots)
    assert runs < 7 or n_slots < 30 or all(g.any() for g in got)
    empty = kernels_slot.chunk_counts(registered, eligible, exit_signal, release, first, length, 0)  # no slot
    assert all(g.shape == (runs, 0) for g in empty)


@pytest.mark.parametrize("runs", [0, 1, 40])
def test_the_compiled_ledger_check_accepts_exactly_what_the_numpy_check_accepts(runs: int) -> None:
    rng = np.random.default_rng(runs + 21)
    seen = set()
    for trial in range(60):
        balances = rng.random((runs, 17)) * 10.0 ** rng.integers(-3, 9)
        supply = balances.sum(axis=1)
        tolerance = 1e-9 * np.maximum(1.0, np.abs(supply))
        if runs and trial % 4 == 1:  # off by about the tolerance: either side of it
            supply[rng.integers(runs)] += tolerance.max() * rng.uniform(0.5, 1.5)
        if runs and trial % 4 == 2:  # an account about the tolerance below 0
            balances[rng.integers(runs), rng.integers(17)] = -tolerance.min() * rng.uniform(0.5, 1.5)
        if runs and trial % 12 == 3:
            balances[0, 3] = np.nan
        if runs == 0:  # numpy's check cannot take the minimum of no balances; an empty book balances
            assert kernels.ledger_balanced(balances, supply)
            continue
        try:
            ledger._check(balances, supply)
            accepted = True
        except AccountingError:
            accepted = False
        assert kernels.ledger_balanced(balances, supply) == accepted
        seen.add(accepted)
    assert seen == ({True, False} if runs > 1 else seen)  # both sides of the tolerance occur


@pytest.mark.parametrize("seed", range(6))
def test_the_compiled_log_ou_step_equals_numpys_expression(seed: int) -> None:
    rng = np.random.default_rng(seed)
    runs = int(rng.integers(0, 300))
    x = np.log(np.maximum(rng.lognormal(3.0, 2.0, runs), 1e-300))
    x[rng.random(runs) < 0.05] = math.log(1e-300)
    eps = rng.standard_normal((runs, 2))[:, int(rng.integers(0, 2))]  # a column, as l1_prices passes it
    theta, sigma, mu = (
        float(rng.random()),
        float(rng.random() * 0.3),
        math.log(float(rng.random() * 100 + 1e-3)),
    )
    expected = x + theta * (mu - x) + sigma * eps
    np.testing.assert_array_equal(
        _bits(kernels_economy.log_ou_step(x, theta, mu, sigma, eps)), _bits(expected)
    )


@pytest.mark.parametrize("n_slots", [0, 1, 2, 144])
def test_the_chunk_slot_of_an_l1_block_is_the_clipped_ceiling(n_slots: int) -> None:
    """`kernels_slot._chunk_slot` (no division outside the chunk) is min(max(ceil((t - first) / length), 0), n_slots) for
    blocks around the chunk's edges, far before it and never (2^60)."""
    first, length = 1_000, 32
    edges = [first, first + (n_slots - 1) * length, first + n_slots * length]
    blocks = [t + d for t in edges for d in range(-length - 1, length + 2)] + [-(1 << 40), 0, 1 << 60]
    for t in blocks:
        expected = min(max(-(-(t - first) // length), 0), n_slots)
        assert kernels_slot._chunk_slot(t, first, length, n_slots) == expected, t


def test_confirmation_offsets_are_the_numpy_formula() -> None:
    """`kernels_slot.confirmation_offsets` is `confirmation.slot_offsets`' numpy formula, value for value: block times
    on the L1 slot grid (exact multiples: ceil(k - 1e-9) = k), between it, at 0, and past the last offset."""
    rng = np.random.default_rng(7)
    block, last = 12.0, 63
    grid = rng.integers(0, 80, (30, 20, 5)) * block
    times = np.where(rng.random(grid.shape) < 0.5, grid, grid + rng.random(grid.shape) * block)
    times[0, 0, :] = 0.0
    happened = rng.random(grid.shape) < 0.8
    expected = np.where(happened, np.minimum(np.ceil(times / block - 1e-9), last), -1).astype(np.int64)
    got = kernels_slot.confirmation_offsets(times, happened, block, last)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64 and (got == last).any() and (got == 0).any() and (got == -1).any()


@pytest.mark.parametrize("run_by_operators", [0, 3, 6])
def test_quoting_provers_is_the_numpy_rule(run_by_operators: int) -> None:
    """`kernels_phases.quoting_provers` is the numpy rule it replaced, value for value: available (uniform at least
    the unavailable probability, equality included), the balance covers the bond (equality included), and the
    first n provers not run by an operator that is down; on the draws' column view, as the slot passes it."""
    rng = np.random.default_rng(11)
    runs, provers, operators, first = 40, 6, 8, int(Account.PROVER0)
    draws = rng.random((runs, 3 + provers))
    draws[0, 3] = 0.2
    available = draws[:, 3:]  # a view, as `SlotDraws[...]` gives it
    balances = rng.choice([0.0, 99.0, 100.0, 150.0], (runs, first + provers))
    down = rng.random((runs, operators)) < 0.4
    expected = (available >= 0.2) & (balances[:, first:] >= 100.0)
    expected[:, :run_by_operators] &= ~down[:, :run_by_operators]
    got = kernels_phases.quoting_provers(available, 0.2, balances, first, 100.0, down, run_by_operators)
    np.testing.assert_array_equal(got, expected)
    assert expected.any() and not expected.all()


def test_quoting_provers_refuses_missing_accounts_and_operators() -> None:
    """numba checks no bounds: accounts or operators missing for the provers are errors, not reads past an array."""
    available, down = np.ones((2, 4)), np.zeros((2, 3), dtype=bool)
    with pytest.raises(ValueError, match="account"):
        kernels_phases.quoting_provers(available, 0.2, np.ones((2, 7)), 6, 1.0, down, 0)
    with pytest.raises(ValueError, match="operators"):
        kernels_phases.quoting_provers(available, 0.2, np.ones((2, 10)), 6, 1.0, down, 4)


@pytest.mark.parametrize(("calm", "multiplier"), [(0.0, 3.0), (3.75, 3.0), (30.0, 1.0)])
def test_the_inversion_guide_starts_each_cell_after_every_entry_at_or_below_its_bound(
    calm: float, multiplier: float
) -> None:
    from aztec_econ.model.mechanisms import demand

    table, offset, guide = demand.two_rate_table(calm, calm * multiplier)
    cells = demand.GUIDE_CELLS
    assert guide.shape == (2, cells + 1) and not guide.flags.writeable
    for row, (first, end, shift) in enumerate([(0, offset, 0.0), (offset, table.size, 2.0)]):
        bounds = shift + np.arange(cells + 1) / cells
        part = table[first:end]
        starts = guide[row] - first
        assert ((starts >= 0) & (starts <= part.size)).all()
        # every entry before the start is at or below the cell's bound, the entry at the start above it
        before = np.array([(part[:s] <= b).all() for s, b in zip(starts, bounds, strict=True)])
        at = np.array([s == part.size or part[s] > b for s, b in zip(starts, bounds, strict=True)])
        assert before.all() and at.all()


@pytest.mark.parametrize(("calm", "multiplier"), [(3.75, 3.0), (0.4, 1.0), (30.0, 1.0)])
def test_the_demand_draws_invert_every_cell_bound_of_the_guide_as_numpy_does(
    calm: float, multiplier: float
) -> None:
    """Every cell bound of `demand.inversion_guide` and the value just below it, calm and shocked (just below the
    shifted bound 2 + g / cells for a shocked draw): the indexed search gives numpy's searchsorted count."""
    from aztec_econ.model.mechanisms import demand

    table, offset, guide = demand.two_rate_table(calm, calm * multiplier)
    bounds = np.arange(demand.GUIDE_CELLS) / demand.GUIDE_CELLS
    buckets = 16
    for shocked, below in (
        (False, np.nextafter(bounds[1:], 0.0)),
        (True, np.nextafter(2.0 + bounds[1:], 0.0) - 2.0),
    ):
        values = np.concatenate([bounds, below, [1.0 - 2.0**-53]])
        values = np.concatenate([values, np.zeros(-values.size % buckets)]).reshape(-1, buckets)
        u = np.concatenate([np.ones((len(values), 2)), values], axis=1)  # no new shock; the MEV draw unused
        shock_left = np.full(len(values), 2 if shocked else 0)
        args = (u, table, offset, 1, shock_left, 0.0, 4)
        expected = _demand_draws_numpy(*args)
        got = kernels_economy.demand_draws(u, table, offset, guide, *args[3:])
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_array_equal(g, e)
