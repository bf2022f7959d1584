"""Fernet election: the permutation, the candidate walk, and fairness (each key wins 1/N; m keys win m/N)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy import stats

from aztec_econ.analysis import theory
from aztec_econ.model.context import build_context
from aztec_econ.model.mechanisms.election import (
    feistel,
    feistel_inverse,
    round_keys,
    scores,
    top_eligible,
    top_eligible_numpy,
)
from aztec_econ.model.mechanisms.registry import NEVER, plan_chunk
from aztec_econ.model.state import initial_state
from aztec_econ.params import Params
from aztec_econ.simulation import simulate


@pytest.mark.parametrize("bits", [2, 7, 8, 13])
def test_feistel_is_a_permutation_with_an_inverse(bits: int) -> None:
    randao = np.array([1, 2, 3], dtype=np.uint64) * np.uint64(0x1234567)
    keys = round_keys(randao)
    x = np.broadcast_to(np.arange(1 << bits, dtype=np.uint64), (3, 1 << bits))
    y = feistel(x, keys, bits)
    for row in y:
        assert sorted(row.tolist()) == list(range(1 << bits))
    assert (feistel_inverse(y, keys, bits) == x).all()
    assert not (y[0] == y[1]).all()  # different RANDAO values, different orders


def test_top_position_is_uniform_over_keys() -> None:
    """The key at rank 0 over many RANDAO values is uniform (chi-square), for an odd and an even domain."""
    for bits in (5, 6):
        randao = np.arange(40_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        top = feistel(np.zeros((randao.size, 1), dtype=np.uint64), round_keys(randao), bits)[:, 0]
        counts = np.bincount(top.astype(np.int64), minlength=1 << bits)
        assert stats.chisquare(counts).pvalue > 1e-4


def test_top_eligible_is_the_highest_score_among_eligible_keys(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__runs=8, agents__sequencers__initial=300)
    ctx = build_context(params)
    registry = plan_chunk(initial_state(ctx)["registry"], ctx, 0)
    rng = np.random.default_rng(1)
    # make a random third of the keys ineligible (exit signalled before block 0)
    exit_signal = registry.exit_signal.copy()
    exit_signal[rng.random(exit_signal.shape) < 0.33] = -5
    registry = type(registry)(**{**registry.__dict__, "exit_signal": exit_signal})
    randao = rng.integers(0, 2**63, size=8).astype(np.uint64)
    all_keys = np.broadcast_to(np.arange(ctx.key_capacity), (8, ctx.key_capacity))
    score = scores(randao, all_keys, ctx.domain_bits)
    eligible = registry.eligible_at_rows(np.arange(8), all_keys, 0)
    # the compiled walk and its numpy reference (a small window exercises the numpy walk's continuation)
    for walk in (top_eligible, top_eligible_numpy):
        top = walk(randao, registry, 0, 4, ctx.domain_bits, window=16)
        for r in range(8):
            ranked = all_keys[r][eligible[r]][np.argsort(-score[r][eligible[r]])]
            assert top[r].tolist() == ranked[:4].tolist()
    rows = np.array([3, 3, 0, 7])  # several RANDAO values evaluated against one registry row (the attacker's)
    assert (
        top_eligible(randao[:4], registry, 0, 2, ctx.domain_bits, 16, rows)
        == top_eligible_numpy(randao[:4], registry, 0, 2, ctx.domain_bits, 16, rows)
    ).all()


def test_fewer_eligible_keys_than_candidates_pads_with_minus_one(make_params: Callable[..., Params]) -> None:
    params = make_params(
        sim__runs=2, agents__sequencers__initial=2, agents__sequencers__registrations_per_day=0
    )
    ctx = build_context(params)
    registry = initial_state(ctx)["registry"]
    for walk in (top_eligible, top_eligible_numpy):
        top = walk(np.array([5, 9], dtype=np.uint64), registry, 0, 3, ctx.domain_bits, ctx.window)
        assert (np.sort(top[:, :2], axis=1) == [[0, 1], [0, 1]]).all()
        assert (top[:, 2] == -1).all()
    assert NEVER > 0


@pytest.mark.slow
def test_each_key_wins_one_nth_and_a_party_with_m_keys_wins_m_over_n(
    make_params: Callable[..., Params],
) -> None:
    n_keys, slots, runs = 40, 6000, 4
    params = make_params(
        sim__slots=slots,
        sim__runs=runs,
        agents__sequencers__initial=n_keys,
        agents__sequencers__registrations_per_day=0,
        agents__sequencers__exits_per_day=0,
        agents__sequencers__offline_probability=0.0,
        agents__operators__outage_rate_per_day=0.0,  # no operator outages either
    )
    frame = simulate(params).frame
    wins = np.bincount(frame["proposer"].to_numpy(), minlength=n_keys)
    trials = slots * runs
    assert wins.sum() == trials  # nobody offline, nothing fails before the proposal
    # every key wins 1/N: chi-square goodness of fit at the 1e-4 level
    assert stats.chisquare(wins).pvalue > 1e-4
    # a party holding m keys wins m/N, within 4 standard errors
    m = 10
    expected = theory.election_win_share(m, n_keys)
    share = wins[:m].sum() / trials
    assert abs(share - expected) <= theory.proportion_tolerance(expected, trials)


def test_neighbouring_rank_positions_are_spread_over_the_key_space() -> None:
    """For every RANDAO value, the first 64 rank positions hit the lower half of the key space about half the time.

    A structured permutation (seen with a multiply-shift round function) sends runs of neighbouring positions into
    one region, which makes some keys systematically better placed. For a random permutation the count below is
    Binomial-like(64, 1/2): outside [8, 56] with probability below 1e-8 per value.
    """
    bits = 11
    randao = np.arange(5_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(7)
    positions = np.broadcast_to(np.arange(64, dtype=np.uint64), (randao.size, 64))
    lower = (feistel(positions, round_keys(randao), bits) < (1 << (bits - 1))).sum(axis=1)
    assert lower.min() >= 8 and lower.max() <= 56
