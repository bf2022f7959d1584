"""Registry: sequencer keys register, wait out the entry period, are eligible, signal exit, and get their stake back.

Spec (Registration, Exiting): a key stakes on L1 and becomes eligible `entry_period_days` later; an exit signal makes it
`exiting` (no longer eligible) at once, and its stake is released `exit_delay_days` later. Optional churn limit
(assumption, after Ethereum's activation churn): at most K activations per day, the rest wait in a FIFO queue.

Representation. Each key has four L1-block times (per run): registered, eligible from, exit signal, stake release
(`NEVER` when not yet happened). A key's status at block b follows from them exactly:
queued (registered <= b < eligible), active (eligible <= b < exit signal), exiting (signal <= b < release), exited.
Keys are numbered in registration order, so eligibility times are non-decreasing in the key index (FIFO).

Registrations and exit signals arrive as Poisson processes (assumption) at exact L1 blocks. They are drawn for a chunk
of about a day at the chunk's first slot (`plan_chunk`), which also precomputes the per-slot status counts and stake
movements of the chunk; the per-slot policy then only reads them. This keeps the per-slot work independent of the
number of keys, and the arrays are replaced (never mutated) once per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_registry, kernels_slot
from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.context import Context
from aztec_econ.model.ledger import Account, Flow, Posting
from aztec_econ.model.rng import Stream, poisson_pieces, poisson_sum, stream_keys, unit_bits

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]
NEVER = np.int64(1 << 60)
"""Block time of an event that has not happened."""


@dataclass(frozen=True)
class ChunkPlan:
    """Per-slot registry figures for slots [start, start + n) of every run (arrays runs x n)."""

    start: int
    queued: I64
    """Keys registered but not yet eligible, at the slot's first L1 block."""
    active: I64
    """Eligible keys at the slot's first L1 block."""
    exiting: I64
    """Keys that signalled exit and await their stake, at the slot's first L1 block."""
    registrations: I64
    """Registrations within the slot (stakes locked)."""
    exit_signals: I64
    """Exit signals within the slot."""
    releases: I64
    """Stakes released within the slot."""
    dropped_exits: I64
    """Exit signals that found no active key (all runs, whole chunk)."""
    eligibility: NDArray[np.int8] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int8))
    """Whether each key (runs x key capacity) is eligible at every slot's first L1 block of the chunk (1), at none
    (0) or at some (2), for the election's walk (`kernels_slot.chunk_eligibility`; none yet: 0 x 0)."""
    slot_l1_blocks: int = 0
    """L1 blocks per slot: the chunk's slots start at `start` x this, every this many blocks."""
    described: tuple[I64, I64] | None = None
    """The (eligible, exit_signal) arrays `eligibility` was found from: it describes a registry holding these."""


@dataclass(frozen=True)
class Registry:
    """All keys of every run (arrays runs x key capacity, L1 block times) and the current chunk's plan."""

    registered: I64
    eligible: I64
    exit_signal: I64
    release: I64
    n_keys: I64
    """Keys registered so far per run (indices 0..n_keys-1 are used)."""
    churn_day: I64
    """Churn limit bookkeeping per run: the last day that received activations ..."""
    churn_used: I64
    """... and how many it received."""
    plan: ChunkPlan

    def status_counts(self, block: int) -> tuple[I64, I64, I64]:
        """(queued, active, exiting) per run at L1 block `block`, computed from the key times (used by tests)."""
        queued = ((self.registered <= block) & (block < self.eligible)).sum(axis=1)
        active = ((self.eligible <= block) & (block < self.exit_signal)).sum(axis=1)
        exiting = ((self.exit_signal <= block) & (block < self.release)).sum(axis=1)
        return queued, active, exiting

    def eligibility(self) -> tuple[NDArray[np.int8], int, int, int]:
        """The chunk's eligibility bytes (`ChunkPlan.eligibility`), the first and last L1 block they describe and the
        step between them; none (0 x 0) unless the plan was found from this registry's own times."""
        plan = self.plan
        if (
            plan.described is None
            or plan.described[0] is not self.eligible
            or plan.described[1] is not self.exit_signal
        ):
            return np.zeros((0, 0), dtype=np.int8), 0, -1, 1
        first = plan.start * plan.slot_l1_blocks
        return (
            plan.eligibility,
            first,
            first + (plan.active.shape[1] - 1) * plan.slot_l1_blocks,
            plan.slot_l1_blocks,
        )

    def eligible_at_rows(self, rows: I64, keys: I64, block: int) -> NDArray[np.bool_]:
        """Whether keys (len(rows) x n; row i belongs to batch row rows[i]) are eligible at `block`.

        Keys outside the key space are not eligible.
        """
        inside = (keys >= 0) & (keys < self.eligible.shape[1])
        flat = rows[:, None] * self.eligible.shape[1] + np.where(inside, keys, 0)
        return inside & (self.eligible.take(flat) <= block) & (block < self.exit_signal.take(flat))


def genesis_registry(ctx: Context) -> Registry:
    """The initial keys, registered and eligible before block 0 (genesis); the first slot plans the first chunk."""
    runs, cap = ctx.n_runs, ctx.key_capacity
    initial = ctx.params.agents.sequencers.initial
    registered = np.full((runs, cap), NEVER, dtype=np.int64)
    registered[:, :initial] = -1
    empty = np.zeros((runs, 0), dtype=np.int64)
    plan = ChunkPlan(-1, empty, empty, empty, empty, empty, empty, np.zeros(runs, dtype=np.int64))
    return Registry(
        registered=registered,
        eligible=registered.copy(),
        exit_signal=np.full((runs, cap), NEVER, dtype=np.int64),
        release=np.full((runs, cap), NEVER, dtype=np.int64),
        n_keys=np.full(runs, initial, dtype=np.int64),
        churn_day=np.full(runs, -1, dtype=np.int64),
        churn_used=np.zeros(runs, dtype=np.int64),
        plan=plan,
    )


def _arrival_times(
    ctx: Context,
    stream: Stream,
    chunk: int,
    rate_per_block: float,
    first: int,
    end: int,
    keep: NDArray[np.float64] | None = None,
) -> tuple[I64, I64]:
    """Poisson arrival blocks in [first, end) per run, sorted: (the blocks of every run, one run after another, and
    the offsets of each run's: runs + 1); per-arrival uniforms come from `_arrival_uniforms`.

    `keep` (per run, in [0, 1]) thins the arrivals: each is kept with that probability, which turns a Poisson
    process of `rate_per_block` into one of `keep x rate_per_block` (profit-driven entry and exit). Thinned and
    sorted compiled (`kernels_registry.sorted_arrivals`)."""
    span = end - first
    lam = rate_per_block * span
    base = stream_keys(ctx.keys, stream, chunk)
    pieces = poisson_pieces(lam)
    counts = poisson_sum(unit_bits(base, pieces), lam) if lam > 0 else np.zeros(ctx.n_runs, np.int64)
    most = int(counts.max(initial=0))
    u = unit_bits(base, most, offset=pieces) if most else np.zeros((ctx.n_runs, 0))
    times = first + np.floor(u * span).astype(np.int64)
    thinned = keep is not None
    thin = unit_bits(base, most, offset=1 << 41) if most and thinned else np.zeros((ctx.n_runs, 0))
    return kernels_registry.sorted_arrivals(
        np.ascontiguousarray(times, dtype=np.int64),
        np.ascontiguousarray(counts, dtype=np.int64),
        np.ascontiguousarray(thin, dtype=np.float64),
        np.ascontiguousarray(np.zeros(ctx.n_runs) if keep is None else keep, dtype=np.float64),
        thinned,
    )


def _arrival_uniforms(ctx: Context, stream: Stream, chunk: int, n: int) -> NDArray[np.float64]:
    """Extra uniforms per arrival (e.g. which key exits), independent of the arrival times."""
    base = stream_keys(ctx.keys, stream, chunk)
    return unit_bits(base, n, offset=1 << 40) if n else np.zeros((ctx.n_runs, 0))


def rate_multipliers(
    ctx: Context, apr: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(registration, exit) rate multipliers per run from the sequencers' expected APR (profit-driven entry and
    exit): clip(1 +- sensitivity x (APR - reservation_yield), 0, max_rate_multiplier). Source: assumption."""
    seq = ctx.params.agents.sequencers
    gap = seq.apr_sensitivity * (apr - ctx.params.environment.reservation_yield)
    top = seq.max_rate_multiplier
    return np.clip(1.0 + gap, 0.0, top), np.clip(1.0 - gap, 0.0, top)


def plan_chunk(
    reg: Registry, ctx: Context, start_slot: int, apr: NDArray[np.float64] | None = None
) -> Registry:
    """Draw the registrations and exit signals of slots [start_slot, start_slot + plan_slots) and plan their effects.

    With `agents.sequencers.profit_driven_entry_exit`, `apr` (per run) scales the rates
    (`rate_multipliers`): arrivals are drawn at `max_rate_multiplier` times the base rate and thinned."""
    p = ctx.params
    pr, seq = p.protocol, p.agents.sequencers
    n_slots = min(ctx.plan_slots, p.sim.slots - start_slot)
    length = ctx.slot_l1_blocks
    first, end = start_slot * length, (start_slot + n_slots) * length
    chunk = start_slot // ctx.plan_slots

    registered, eligible = reg.registered.copy(), reg.eligible.copy()
    exit_signal, release = reg.exit_signal.copy(), reg.release.copy()
    n_keys, churn_day, churn_used = reg.n_keys.copy(), reg.churn_day.copy(), reg.churn_used.copy()

    entry, delay = pr.entry_period_l1_blocks, pr.exit_delay_l1_blocks
    churn = pr.activation_churn_per_day
    blocks_per_day = pr.blocks_per_day
    boost, keep_reg, keep_exit = 1.0, None, None
    if seq.profit_driven_entry_exit:
        boost = seq.max_rate_multiplier
        reg_mult, exit_mult = rate_multipliers(
            ctx, np.zeros(ctx.n_runs) + p.environment.reservation_yield if apr is None else apr
        )
        keep_reg, keep_exit = reg_mult / boost, exit_mult / boost
    reg_blocks, reg_offsets = _arrival_times(
        ctx,
        Stream.REGISTRATIONS,
        chunk,
        boost * seq.registrations_per_day / blocks_per_day,
        first,
        end,
        keep_reg,
    )
    over = np.flatnonzero(n_keys + np.diff(reg_offsets) > ctx.key_capacity)
    if over.size:
        raise RuntimeError(
            f"run {ctx.runs[over[0]]}: more than {ctx.key_capacity - seq.initial} registrations; the bound in "
            "model.context.registration_bound was exceeded (it should be astronomically unlikely)"
        )
    kernels_registry.register_arrivals(  # compiled: keys in registration order, FIFO under the churn limit
        reg_blocks,
        reg_offsets,
        registered,
        eligible,
        n_keys,
        entry,
        churn,
        blocks_per_day,
        churn_day,
        churn_used,
    )

    exit_blocks, exit_offsets = _arrival_times(
        ctx, Stream.EXITS, chunk, boost * seq.exits_per_day / blocks_per_day, first, end, keep_exit
    )
    most = int(np.diff(exit_offsets).max(initial=0))
    pick = _arrival_uniforms(ctx, Stream.EXITS, chunk, most)
    dropped = kernels_registry.signal_exits(  # compiled: each exit to a uniformly picked eligible key
        exit_blocks,
        exit_offsets,
        np.ascontiguousarray(pick, dtype=np.float64),
        eligible,
        exit_signal,
        release,
        n_keys,
        delay,
    )

    queued, active, exiting, registrations, exit_signals, releases = kernels_slot.chunk_counts(
        registered, eligible, exit_signal, release, first, length, n_slots
    )  # compiled: one pass over the keys
    plan = ChunkPlan(
        start=start_slot,
        queued=queued,
        active=active,
        exiting=exiting,
        registrations=registrations,
        exit_signals=exit_signals,
        releases=releases,
        dropped_exits=dropped,
        eligibility=kernels_slot.chunk_eligibility(eligible, exit_signal, first, end - length),
        slot_l1_blocks=length,
        described=(eligible, exit_signal),
    )
    return Registry(registered, eligible, exit_signal, release, n_keys, churn_day, churn_used, plan)


@dataclass(frozen=True)
class SequencerFigures:
    """The registry's figures for one slot, per run."""

    queued: I64
    """Keys registered but not yet eligible at the slot's first L1 block."""
    active: I64
    """Eligible keys at the slot's first L1 block."""
    exiting: I64
    """Keys that signalled exit and await their stake, at the slot's first L1 block."""
    registrations: I64
    """Registrations during the slot."""
    exit_signals: I64
    """Exit signals during the slot."""
    stake_releases: I64
    """Stakes released during the slot."""


def slot_figures(reg: Registry, slot: int) -> SequencerFigures:
    """The registry figures of `slot` (which must lie in the current chunk)."""
    j = slot - reg.plan.start
    plan = reg.plan
    return SequencerFigures(
        queued=plan.queued[:, j],
        active=plan.active[:, j],
        exiting=plan.exiting[:, j],
        registrations=plan.registrations[:, j],
        exit_signals=plan.exit_signals[:, j],
        stake_releases=plan.releases[:, j],
    )


def step_registry(ctx: Context, s: State) -> dict[str, Any]:
    """Plan a new chunk when the slot starts one; lock the stakes of new keys and release those of exited keys."""
    slot: int = s["slot"]
    reg: Registry = s["registry"]
    if reg.plan.start < 0 or slot >= reg.plan.start + reg.plan.active.shape[1]:
        apr = None
        if ctx.params.agents.sequencers.profit_driven_entry_exit:
            # the APR a key expects once the queue is eligible: the trailing window's profit pool (half-life
            # `apr_window_days`) shared among the eligible and queued keys (`Economy.apr_at`). Reading the pool
            # rather than the trailing APR itself removes the window's lag, and counting the queue beyond the exits
            # expected at the base rate while it waits out `entry_period_days` removes the entry period's: entry
            # stops when the pipeline fills the gap (no overshoot but the Poisson noise)
            queued, active, _ = reg.status_counts(slot * ctx.slot_l1_blocks)
            seq, pr = ctx.params.agents.sequencers, ctx.params.protocol
            # the queue less the exits expected at the base rate while it waits (at a steady count they cancel)
            waiting = np.maximum(queued - seq.exits_per_day * pr.entry_period_days, 0.0)
            keys = np.maximum(active + waiting, 1.0)
            apr = s["economy"].apr_at(ctx, keys)
        reg = plan_chunk(reg, ctx, slot, apr)
    figures = slot_figures(reg, slot)
    stake = float(ctx.params.protocol.minimum_stake)
    book = s["book"].post(
        Posting(Flow.LOCK, Account.MARKET, Account.STAKES, figures.registrations * stake),
        Posting(Flow.UNLOCK, Account.STAKES, Account.MARKET, figures.stake_releases * stake),
    )
    return {"registry": reg, "book": book, "sequencers": figures}


COLUMNS: tuple[Column, ...] = (
    Column("active_sequencers", "keys", "eligible keys", dtype="int32"),
    Column(
        "queued_sequencers",
        "keys",
        "registered keys waiting out the entry period (or the churn queue)",
        dtype="int32",
    ),
    Column("exiting_sequencers", "keys", "keys that signalled exit and wait for their stake", dtype="int32"),
    Column(
        "registrations",
        "keys",
        "registrations in the slot (their stakes move from the market into escrow)",
        dtype="int32",
    ),
    Column("exit_signals", "keys", "exit signals in the slot", dtype="int32"),
    Column("stake_releases", "keys", "stakes released in the slot (back to the market)", dtype="int32"),
)
"""The slot's registry figures (`SequencerFigures`)."""


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    def field(name: str) -> NDArray[Any]:
        return seg.field("sequencers", name)

    return {
        "active_sequencers": field("active"),
        "queued_sequencers": field("queued"),
        "exiting_sequencers": field("exiting"),
        "registrations": field("registrations"),
        "exit_signals": field("exit_signals"),
        "stake_releases": field("stake_releases"),
    }


RECORDER = Recorder(COLUMNS, record)
