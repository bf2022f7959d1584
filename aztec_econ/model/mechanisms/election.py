"""Fernet election: each eligible key's score is a pseudo-random function of (key, RANDAO value); highest wins.

Spec (Block production 1): sequencers hash their public key with the RANDAO value and rank the hashes; the top-ranked
keys may propose, and the highest-ranking proposal that lands on L1 becomes canonical. One score per key, not
stake-weighted (NOTES.md).

How the score is computed. Ranking keys by independent uniform hashes orders them by a uniformly random permutation.
We build that permutation directly: a 4-round Feistel network keyed by the RANDAO value (Luby-Rackoff) maps rank
positions 0, 1, 2, ... of a key space of 2**b positions to key indices (unbalanced halves when b is odd; the round
function is the SplitMix64 mixer). The score of key k is `2**b - 1 - position(k)`: a deterministic function of
(key, RANDAO value), so anyone (an attacker too) can compute an election in advance. Walking the permutation from
position 0 and skipping positions whose key is not eligible finds the K best eligible keys in O(K / eligible share)
work instead of hashing every key; `scores` computes the full ranking (tests compare the two). The walk is
compiled with numba (`model.kernels`); the numpy walk stays as its reference. So is what follows the walk (who is
online, sends, lands and is still eligible there; the winner: `model.kernels_slot.election_outcome`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels, kernels_slot
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.mechanisms.adversary import includes, owned
from aztec_econ.model.mechanisms.operators import out
from aztec_econ.model.mechanisms.participation import proposes
from aztec_econ.model.mechanisms.registry import Registry
from aztec_econ.model.mechanisms.sidecar import candidates_with_commitment, proposal_outlook
from aztec_econ.model.mechanisms.timeline import land
from aztec_econ.model.rng import mix64
from aztec_econ.model.stage import Stage

if TYPE_CHECKING:
    from aztec_econ.model.state import State

U64 = NDArray[np.uint64]
I64 = NDArray[np.int64]
ROUNDS = 4  # even, so the halves' widths are back to (b // 2, b - b // 2) after the last round
_ROUND_WORDS = np.array(
    [0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89], np.uint64
)


def round_keys(randao: U64) -> U64:
    """Feistel round keys per run from its RANDAO value: shape (runs, ROUNDS)."""
    return mix64(randao[:, None] ^ _ROUND_WORDS[None, :])


def _round(right: U64, keys: U64, i: int, out_bits: int) -> U64:
    """Round function: the low `out_bits` bits of SplitMix64(right xor k_i).

    A full mixer is needed: a cheaper keyed multiply-shift hash made neighbouring rank positions land in the same
    region of the key space for some RANDAO values (seen: 1,600 positions walked to find 3 eligible keys).
    """
    return mix64(right ^ keys[:, i : i + 1]) & np.uint64((1 << out_bits) - 1)


def _widths(bits: int, i: int) -> tuple[int, int]:
    """(left, right) bit widths before round i."""
    a, c = bits // 2, bits - bits // 2
    return (a, c) if i % 2 == 0 else (c, a)


def feistel(x: U64, keys: U64, bits: int) -> U64:
    """Permute values `x` (runs x n) of the domain [0, 2**bits) with each row's round keys (bits >= 2)."""
    _, wr = _widths(bits, 0)
    left, right = x >> np.uint64(wr), x & np.uint64((1 << wr) - 1)
    for i in range(ROUNDS):
        wl, _ = _widths(bits, i)
        left, right = right, left ^ _round(right, keys, i, wl)
    _, wr = _widths(bits, ROUNDS)
    return (left << np.uint64(wr)) | right


def feistel_inverse(y: U64, keys: U64, bits: int) -> U64:
    """Inverse of `feistel`."""
    _, wr = _widths(bits, ROUNDS)
    left, right = y >> np.uint64(wr), y & np.uint64((1 << wr) - 1)
    for i in reversed(range(ROUNDS)):
        wl, _ = _widths(bits, i)
        left, right = right ^ _round(left, keys, i, wl), left
    _, wr = _widths(bits, 0)
    return (left << np.uint64(wr)) | right


def scores(randao: U64, keys: I64, bits: int) -> I64:
    """Score of each key (runs x n) under each run's RANDAO value: higher is better."""
    positions = feistel_inverse(keys.astype(np.uint64), round_keys(randao), bits)
    return (1 << bits) - 1 - positions.astype(np.int64)


def top_eligible(
    randao: U64, registry: Registry, block: int, k: int, bits: int, window: int, rows: I64 | None = None
) -> I64:
    """The k highest-scoring keys eligible at `block`, best first, per run (runs x k; -1 where fewer exist).

    `rows` maps each RANDAO value to its registry row (default: value i belongs to run i), so one call can evaluate
    several candidate values per run (the RANDAO attacker does). The walk is compiled (`kernels.top_eligible_walk`:
    the round keys as `round_keys`, then one rank position at a time, stopping at the k-th eligible key; at a slot's
    first block of the registry's chunk, a key's eligibility byte of the chunk's plan answers before its times);
    `top_eligible_numpy` is the same walk in numpy, `window` rank positions at a time (tests compare the two), which
    is what `window` is for.
    """
    values = np.asarray(randao, dtype=np.uint64)
    walked: I64 = kernels.top_eligible_walk(
        values,
        _ROUND_WORDS,
        registry.eligible,
        registry.exit_signal,
        rows,
        block,
        k,
        bits,
        *registry.eligibility(),
    )
    return walked


def top_eligible_numpy(
    randao: U64, registry: Registry, block: int, k: int, bits: int, window: int, rows: I64 | None = None
) -> I64:
    """`top_eligible` in numpy: examines the first `window` rank positions of every run at once; the few runs that find
    fewer than k eligible keys there continue window by window (`_continue_walk`)."""
    runs = randao.size
    rkeys = round_keys(randao)
    domain = 1 << bits
    width = min(window, domain)
    positions = np.broadcast_to(np.arange(width, dtype=np.uint64), (runs, width))
    candidates = feistel(positions, rkeys, bits).astype(np.int64)
    row_ids = np.arange(runs) if rows is None else rows
    ok = registry.eligible_at_rows(row_ids, candidates, block)
    # index of the j-th eligible position (j = 1..k) in each row, -1 where a row has fewer than j
    seen = np.cumsum(ok, axis=1)
    out = np.full((runs, k), -1, dtype=np.int64)
    for j in range(k):
        nth = np.argmax(seen > j, axis=1)
        out[:, j] = np.where(seen[:, -1] > j, candidates[np.arange(runs), nth], -1)
    short = np.flatnonzero(out[:, -1] < 0)
    if short.size and width < domain:
        out[short] = _continue_walk(
            out[short], rkeys[short], registry, row_ids[short], block, bits, width, window
        )
    return out


def _continue_walk(
    out: I64, rkeys: U64, registry: Registry, rows: I64, block: int, bits: int, start: int, window: int
) -> I64:
    """Extend partial candidate lists (rows x k, -1 padded) by walking further rank positions."""
    out = out.copy()
    k = out.shape[1]
    domain = 1 << bits
    found = (out >= 0).sum(axis=1)
    todo = np.arange(rows.size)
    while todo.size and start < domain:
        width = min(window, domain - start)
        positions = np.broadcast_to(np.arange(start, start + width, dtype=np.uint64), (todo.size, width))
        candidates = feistel(positions, rkeys[todo], bits).astype(np.int64)
        ok = registry.eligible_at_rows(rows[todo], candidates, block)
        for i, row in enumerate(todo):
            hits = candidates[i, ok[i]][: k - found[row]]
            out[row, found[row] : found[row] + hits.size] = hits
            found[row] += hits.size
        todo = todo[found[todo] < k]
        start += width
    return out


def step_election(ctx: Context, s: State) -> dict[str, Any]:
    """Proposal phase: the top `proposers_per_slot` eligible keys that are online send their proposals at the phase's
    first block (a key is offline by its own chance, `offline_probability`, or while its operator is down,
    `operators.out`), if its expected gain covers the proposal's L1 gas (`participation.proposes`, from the block's
    outlook `sidecar.proposal_outlook`: the slot's prices and the mempool's candidate block, known before it sends); each lands in the first block whose builder includes it (`timeline.land`; the attacker's own
    proposals go in every block), and counts only if its key is still eligible there. The highest-ranking landed
    proposal wins; it is known when the proposal phase ends. Under `consolidate_proposal_commitment` a proposal
    carries its prover commitment: a candidate without one sends none, and the best proposal with a commitment
    wins (`sidecar.candidates_with_commitment`). Everything after these inputs is one compiled pass per run
    (`kernels_slot.election_outcome`)."""
    seq = ctx.params.agents.sequencers
    slot_start = s["slot"] * ctx.slot_l1_blocks
    candidates = top_eligible(
        s["randao"], s["registry"], slot_start, seq.proposers_per_slot, ctx.domain_bits, ctx.window
    )
    prices = s["economy"].prices
    sends = proposes(ctx.params, proposal_outlook(ctx, s), prices.gas, prices.eth_per_token)
    commits = None
    if ctx.params.protocol.variants.consolidate_proposal_commitment:
        commits = candidates_with_commitment(ctx, s, candidates)
    first, end = ctx.phases["proposal"]
    adv = s["adversary"]
    honest = includes(ctx, adv, "proposal")
    at = None  # every proposal lands in the phase's first block
    if honest is not None:
        seconds = s["l1"].seconds
        at_honest = land(seconds, honest, first, end, seconds[:, first])
        at = np.where(owned(adv, candidates), first, at_honest[:, None])
    proposer, rank, landed_at, proposals, stage = kernels_slot.election_outcome(
        candidates,
        s["draws"]["offline"],
        float(seq.offline_probability),
        out(s["operators"], candidates),
        sends,
        commits,
        at,
        first,
        s["registry"].exit_signal,
        slot_start,
        int(Stage.PROPOSED),
        int(Stage.NONE),
    )
    return {
        "outcome": evolve(
            s["outcome"],
            proposer=proposer,
            stage=stage,
            proposals=proposals,
            proposer_rank=rank,
            proposal_block=landed_at,
        )
    }
