"""Everything a simulation derives once from its parameters: run keys, key-space size, slot timing, draw layout.

The context is immutable and passed to every policy through cadCAD's parameter dict. Nothing in it changes during a
run; it is what turns `Params` (what a user chooses) into the constants the mechanisms compute with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.draws import DrawLayout, slot_draw_layout
from aztec_econ.model.mechanisms import demand, fees, prover_market
from aztec_econ.model.mechanisms.l1_prices import read_price_file
from aztec_econ.model.outcome import SlotOutcome
from aztec_econ.model.rng import run_keys
from aztec_econ.model.timebase import PerSlot, per_slot
from aztec_econ.params import Params


@dataclass(frozen=True)
class Context:
    """Constants of one simulation (a batch of Monte Carlo runs)."""

    params: Params
    runs: NDArray[np.int64]
    """Global run indices simulated in this batch; results of a run depend on its index only."""
    keys: NDArray[np.uint64]
    """Counter-based RNG key per run (see `aztec_econ.model.rng`)."""
    key_capacity: int
    """Key slots allocated per run: initial keys plus a bound on registrations over the horizon."""
    domain_bits: int
    """The election permutes a key space of 2**domain_bits >= key_capacity positions (see `election`)."""
    window: int
    """Ranked positions examined per slot before falling back to a wider search."""
    plan_slots: int
    """Registry events are drawn a chunk of this many slots (about a day) ahead, at exact L1 blocks."""
    draws: DrawLayout = field(repr=False)
    empty_outcome: SlotOutcome = field(repr=False)
    """The outcome every slot starts from (immutable, so shared)."""
    phases: dict[str, tuple[int, int]] = field(repr=False)
    """(first, end) offsets of each phase within a slot, in L1 blocks (`phase_offsets`)."""
    economy: EconomyConstants = field(repr=False)
    """What the economics derive once from the parameters."""
    per_slot: PerSlot = field(repr=False)
    """The exogenous processes' parameters per slot (`model.timebase`)."""
    l1_seconds: NDArray[np.float64] = field(repr=False)
    """Nominal time of each L1 block of a slot after its first block, none missed (runs x slot blocks) [s]."""

    @property
    def n_runs(self) -> int:
        return int(self.runs.size)

    @property
    def slot_l1_blocks(self) -> int:
        return self.params.protocol.slot_l1_blocks

    def phase_window(self, phase: str, slot: int) -> tuple[int, int]:
        """(first, end) L1 blocks of `phase` in `slot`: the phase is [first, end)."""
        first, end = self.phases[phase]
        start = slot * self.slot_l1_blocks
        return start + first, start + end


@dataclass(frozen=True)
class EconomyConstants:
    """What the economics derive once from the parameters."""

    bids: NDArray[np.float64]
    """Bid level of each demand bucket (tokens per mana)."""
    capacity_txs: int
    """Transactions a block holds."""
    pieces: int
    """Pieces of the Poisson arrival tables."""
    table: NDArray[np.float64] | None
    """L1 prices per slot read from `environment.l1.price_file` (None: the price process)."""
    costs: NDArray[np.float64]
    """Each third-party prover's proving cost per block (tokens)."""
    market: prover_market.Market
    """The prover market's constants."""
    kept_mev_per_tx: float
    """MEV the producer keeps of one transaction at the mean MEV draw (tokens)."""


def phase_offsets(params: Params) -> dict[str, tuple[int, int]]:
    """(first, end) offsets of each phase within a slot, in L1 blocks: proposal, commitment, reveal and proof in the
    spec's order from the slot's first block (reveal before commitment with `sidecar_phase_order`); backup, the
    slot's last `backup_phase_l1_blocks` blocks."""
    pr = params.protocol
    bounds = {}
    start = 0
    middle = [("commitment", pr.commitment_phase_l1_blocks), ("reveal", pr.reveal_phase_l1_blocks)]
    if pr.variants.sidecar_phase_order:  # the Sidecar post's order: reveal, then the prover commitment
        middle.reverse()
    for name, length in (
        ("proposal", pr.proposal_phase_l1_blocks),
        *middle,
        ("proof", pr.proving_phase_l1_blocks),
    ):
        bounds[name] = (start, start + length)
        start += length
    bounds["backup"] = (pr.slot_l1_blocks - pr.backup_phase_l1_blocks, pr.slot_l1_blocks)
    return bounds


def economy_constants(params: Params) -> EconomyConstants:
    price_file = params.environment.l1.price_file
    bids = demand.bid_levels(params)
    return EconomyConstants(
        bids=bids,
        capacity_txs=demand.capacity_in_txs(params),
        pieces=demand.poisson_pieces(params),
        table=read_price_file(price_file) if price_file else None,
        costs=prover_market.prover_costs(params),
        market=prover_market.market(params),
        kept_mev_per_tx=_kept_mev(params),
    )


def _kept_mev(params: Params) -> float:
    d = params.environment.demand
    mev = d.mev_per_public_tx * d.public_share
    burned = fees.mev_burned(np.asarray([mev]), params.protocol.fee_mechanism, params.protocol.mev_burn_share)
    return mev - float(burned[0])


def registration_bound(params: Params) -> int:
    """An upper bound on registrations per run over the horizon (mean + 8 standard deviations + 16).

    The chance of exceeding it is below 1e-12; exceeding it raises an error rather than silently dropping keys.
    """
    pr = params.protocol
    seq = params.agents.sequencers
    boost = seq.max_rate_multiplier if seq.profit_driven_entry_exit else 1.0
    mean = (
        boost
        * params.agents.sequencers.registrations_per_day
        * params.sim.slots
        * pr.slot_l1_blocks
        / pr.blocks_per_day
    )
    return math.ceil(mean + 8 * math.sqrt(mean) + 16)


def build_context(params: Params, runs: Any = None) -> Context:
    """The context for simulating `runs` (global run indices; default: all of `params.sim.runs`)."""
    run_ids = (
        np.arange(params.sim.runs, dtype=np.int64) if runs is None else np.asarray(list(runs), dtype=np.int64)
    )
    if run_ids.ndim != 1 or run_ids.size == 0 or (run_ids < 0).any():
        raise ValueError(f"runs must be a non-empty sequence of non-negative run indices, got {runs!r}")
    capacity = params.agents.sequencers.initial + registration_bound(params)
    bits = max(2, math.ceil(math.log2(capacity)))
    domain = 1 << bits
    k = params.agents.sequencers.proposers_per_slot
    # enough rank positions that a run rarely finds fewer than k eligible keys in the first window
    window = int(min(domain, max(16, math.ceil(2 * k * domain / params.agents.sequencers.initial))))
    return Context(
        params=params,
        runs=run_ids,
        keys=run_keys(params.sim.seed, run_ids),
        key_capacity=capacity,
        domain_bits=bits,
        window=window,
        plan_slots=max(1, round(params.protocol.slots_per_day)),
        draws=slot_draw_layout(params),
        empty_outcome=SlotOutcome.empty(run_ids.size),
        phases=phase_offsets(params),
        economy=economy_constants(params),
        per_slot=per_slot(params),
        l1_seconds=np.broadcast_to(
            np.arange(params.protocol.slot_l1_blocks, dtype=np.float64) * params.protocol.l1_block_seconds,
            (run_ids.size, params.protocol.slot_l1_blocks),
        ),
    )
