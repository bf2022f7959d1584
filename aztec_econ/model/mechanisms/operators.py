"""Operators: the parties that own sequencer keys (and may run provers), their outages and their keys' owners.

Source: assumption throughout (the spec treats keys as independent; NOTES.md: one key = one ticket, not
stake-weighted). Issue 13: keys are not owners, so concentration and correlated downtime are measured per operator.

Ownership. `agents.operators.count` operators hold the initial keys (`initial_key_counts`): equally, in proportion
to i^-s for operator i = 1, 2, ... (`zipf`, s = `zipf_exponent`), or as listed (`key_counts`), rounded to whole keys
by largest remainder; the initial keys are numbered operator by operator (operator 0's first), which is harmless
because the election ranks keys by a random permutation. Every registration (`registry.plan_chunk` numbers new keys
in registration order) is made by a new operator with probability `new_operator_share`, otherwise by an existing one
chosen in proportion to the keys it has registered so far, genesis keys included (preferential attachment, so the
distribution keeps its shape as keys are added). Owners are drawn for each key from (seed, run, key index) alone
(`Stream.OPERATOR_ENTRY`), when the registry plans the chunk that registers it. Exits are the registry's (a uniformly
chosen active key) and do not change an operator's weight for later registrations.

Outages. Each operator is up or down, a two-state continuous-time Markov process: down at rate
r = `outage_rate_per_day` while up, back up at rate u = 24 / `outage_mean_hours` per day while down (exponential
outages). Its exact discretisation over one slot of D days is
    P(up -> down) = r / (r + u) x (1 - exp(-(r + u) D)),  P(down -> up) = u / (r + u) x (1 - exp(-(r + u) D)),
with the long-run share of time down r / (r + u) = r m / (1 + r m), m the mean outage in days. The state is drawn at
the start of each slot (`Stream.OUTAGES`, one uniform per operator per slot) and holds for the whole slot; the initial
operators start from the stationary distribution, a new operator starts up. An operator that is down takes all its
keys offline in the election (`election.step_election`: on top of the independent per-key
`agents.sequencers.offline_probability`) and the provers it runs (`provers_run_by_operators`: provers 0..n-1 are
run by operators 0..n-1) do not quote (`sidecar._quoting`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels, kernels_registry, kernels_slot
from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.context import Context, registration_bound
from aztec_econ.model.frozen import evolve
from aztec_econ.model.mechanisms.registry import Registry
from aztec_econ.model.rng import Stream, stream_keys, uniforms, words_for
from aztec_econ.params import Params

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]


@dataclass(frozen=True)
class Operators:
    """Who owns each key and which operators are down, per run (arrays with runs as the leading axis)."""

    owner: I32
    """Operator of each key slot (runs x key capacity), -1 for a key not yet registered."""
    assigned: I64
    """Keys with an owner so far per run (keys 0..assigned-1)."""
    n_operators: I64
    """Operators so far per run (operators 0..n_operators-1)."""
    keys_held: I64
    """Keys each operator has registered so far, genesis keys included (runs x operator capacity)."""
    down: B
    """Whether each operator is in an outage during the slot (runs x operator capacity)."""
    keys_down: I64
    """Eligible keys at the slot's first L1 block whose operator is down."""
    active_operators: I64
    """Operators holding at least one eligible key at the slot's first L1 block."""
    operators_down: I64
    """Operators in an outage during the slot (of `down`)."""
    chunk_start: int = -1
    """First slot of the registry chunk `changes` covers (-1: none yet)."""
    changes: HoldingChanges | None = None
    """The chunk's changes of holdings (`chunk_holdings`), found once per chunk; each slot's step counts from the
    chunk's start and the changes up to its slot (`kernels_slot.operator_counts`), so no slot copies the holdings."""


@dataclass(frozen=True)
class HoldingChanges:
    """The changes of operators' eligible keys within one registry chunk, ordered by the slot they count from."""

    start: I32
    """Eligible keys of each operator at the chunk's first slot (runs x operators of the chunk)."""
    cells: I64
    """Where each later change lands in the flattened (runs x operators) holdings: run x operators + operator."""
    signs: I32
    """+1 a key becomes eligible, -1 it signals its exit."""
    offsets: I64
    """Changes counting from slot t of the chunk are `cells[offsets[t]:offsets[t + 1]]` (t >= 1)."""
    active_start: I64
    """Operators holding an eligible key at the chunk's first slot, per run."""
    crossing: NDArray[np.int8]
    """What each change does to its run's count of operators holding an eligible key, applied in order from
    `offsets[1]` (+1, -1 or 0; `kernels_slot.holding_crossings`)."""


def initial_key_counts(params: Params) -> I64:
    """Initial keys of each operator (`agents.operators.count` entries summing to `agents.sequencers.initial`).

    `equal`: initial / count each, the remainder one each to the first operators; `zipf`: operator i (from 1) in
    proportion to i^-zipf_exponent; both rounded by largest remainder (ties: the lower index). `list`: `key_counts`.
    """
    ops = params.agents.operators
    total = params.agents.sequencers.initial
    if ops.key_distribution == "list":
        return np.asarray(ops.key_counts, dtype=np.int64)
    if ops.key_distribution == "equal":
        weights = np.ones(ops.count)
    else:
        weights = np.arange(1, ops.count + 1, dtype=np.float64) ** -ops.zipf_exponent
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    left = total - int(counts.sum())
    order = np.lexsort((np.arange(ops.count), -(exact - counts)))
    counts[order[:left]] += 1
    return counts


def operator_capacity(params: Params) -> int:
    """Operator slots per run: the initial operators plus, when registrations may come from new operators, a bound on
    the registrations over the horizon (`context.registration_bound`)."""
    ops = params.agents.operators
    extra = registration_bound(params) if ops.new_operator_share > 0 else 0
    return ops.count + extra


def transition_probabilities(params: Params, slot_seconds: float) -> tuple[float, float]:
    """(P(up -> down), P(down -> up)) over one slot of `slot_seconds`: the exact two-state Markov discretisation."""
    ops = params.agents.operators
    rate = ops.outage_rate_per_day
    recover = 24.0 / ops.outage_mean_hours
    both = rate + recover
    moved = -math.expm1(-both * slot_seconds / 86_400.0)
    return rate / both * moved, recover / both * moved


def stationary_down(params: Params) -> float:
    """Long-run share of time an operator is down: r m / (1 + r m), r per day, m the mean outage in days."""
    ops = params.agents.operators
    rm = ops.outage_rate_per_day * ops.outage_mean_hours / 24.0
    return rm / (1.0 + rm)


def key_offline_probability(params: Params) -> float:
    """Long-run chance a key is offline in a slot: by its own chance or its operator's outage, 1 - (1 - q)(1 - d).

    Exact for one key; the closed forms that treat the top-ranked keys as independent (`analysis.expectations`) err
    by the chance that several of them share an operator that is down (below d x the operators' key-share HHI)."""
    return 1.0 - (1.0 - params.agents.sequencers.offline_probability) * (1.0 - stationary_down(params))


def genesis_operators(ctx: Context) -> Operators:
    """The initial keys' owners; the initial operators up or down by the stationary distribution."""
    p = ctx.params
    runs = ctx.n_runs
    counts = initial_key_counts(p)
    cap = operator_capacity(p)
    owner = np.full((runs, ctx.key_capacity), -1, dtype=np.int32)
    owner[:, : counts.sum()] = np.repeat(np.arange(counts.size, dtype=np.int32), counts)[None, :]
    keys_held = np.zeros((runs, cap), dtype=np.int64)
    keys_held[:, : counts.size] = counts
    n = p.agents.operators.count
    down = np.zeros((runs, cap), dtype=bool)
    down[:, :n] = uniforms(ctx.keys, Stream.OUTAGES, 0, n) < stationary_down(p)
    zeros = np.zeros(runs, dtype=np.int64)
    return Operators(
        owner=owner,
        assigned=np.full(runs, int(counts.sum()), dtype=np.int64),
        n_operators=np.full(runs, n, dtype=np.int64),
        keys_held=keys_held,
        down=down,
        keys_down=zeros,
        active_operators=zeros,
        operators_down=down.sum(axis=1),
    )


def assign_owners(ctx: Context, ops: Operators, n_keys: I64) -> Operators:
    """Owners of the keys registered since the last call (keys `assigned`..`n_keys`-1 of each run), one key at a time
    in registration order: a new operator with probability `new_operator_share`, else an existing operator in
    proportion to `keys_held` (both draws from (seed, run, key index)); compiled
    (`kernels_registry.assign_new_owners`)."""
    if not (n_keys > ops.assigned).any():
        return ops
    owner, keys_held, n_ops = ops.owner.copy(), ops.keys_held.copy(), ops.n_operators.copy()
    first, end = int(ops.assigned.min()), int(n_keys.max())
    if end > owner.shape[1]:  # the kernel checks no bounds
        raise RuntimeError(
            f"{end} keys exceed the capacity of {owner.shape[1]} (model.context.registration_bound)"
        )
    u = np.stack([uniforms(ctx.keys, Stream.OPERATOR_ENTRY, key, 2) for key in range(first, end)])
    full = kernels_registry.assign_new_owners(
        u,
        first,
        np.ascontiguousarray(ops.assigned, dtype=np.int64),
        np.ascontiguousarray(n_keys, dtype=np.int64),
        float(ctx.params.agents.operators.new_operator_share),
        owner,
        keys_held,
        n_ops,
    )
    if full >= 0:
        raise RuntimeError(
            f"run {ctx.runs[full]}: more than the {keys_held.shape[1]} operators of operators.operator_capacity"
        )
    return evolve(ops, owner=owner, assigned=n_keys.copy(), n_operators=n_ops, keys_held=keys_held)


def chunk_holdings(ctx: Context, ops: Operators, reg: Registry) -> HoldingChanges:
    """Eligible keys per operator at the first L1 block of the registry's current chunk's first slot, and the later
    changes by the slot of the chunk they count from. A key counts from the first slot starting at or after its
    eligibility until the first one starting at or after its exit signal (as `registry.slot_figures` counts active
    keys); changes after the chunk are dropped (the next chunk counts them). Compiled
    (`kernels_slot.holding_changes`: one pass over the keys per run, where numpy made ten over runs x keys)."""
    n_slots = reg.plan.active.shape[1]
    start, cells, signs, offsets = kernels_slot.holding_changes(
        np.ascontiguousarray(ops.owner, dtype=np.int32),
        np.ascontiguousarray(reg.eligible, dtype=np.int64),
        np.ascontiguousarray(reg.exit_signal, dtype=np.int64),
        int(reg.n_keys.max()),
        int(reg.plan.start * ctx.slot_l1_blocks),
        int(ctx.slot_l1_blocks),
        int(n_slots),
        int(ops.n_operators.max()),
    )
    active_start, crossing = kernels_slot.holding_crossings(start, cells, signs, int(offsets[1]))
    return HoldingChanges(
        start=start, cells=cells, signs=signs, offsets=offsets, active_start=active_start, crossing=crossing
    )


def next_down(ctx: Context, ops: Operators, slot: int) -> B:
    """Each operator's outage state in `slot` from its state in the slot before (operators not yet created: up)."""
    n = int(ops.n_operators.max())
    fail, recover = transition_probabilities(ctx.params, ctx.per_slot.slot_seconds)
    base = stream_keys(
        ctx.keys, Stream.OUTAGES, slot + 1
    )  # the uniforms of `rng.uniforms`, compiled with the step
    return kernels.outage_step(base, words_for(n), ops.down, ops.n_operators, fail, recover)


def owners_of(ops: Operators, keys: I64) -> I64:
    """The operator of each key (runs x n; -1 for -1 or a key without an owner)."""
    rows = np.arange(keys.shape[0])[:, None]
    found = ops.owner[rows, np.maximum(keys, 0)].astype(np.int64)
    return np.where(keys >= 0, found, -1)


def out(ops: Operators, keys: I64) -> B:
    """Whether each key (runs x n, -1 for none) belongs to an operator in an outage in this slot (compiled:
    `kernels_slot.keys_out`)."""
    return kernels_slot.keys_out(
        np.ascontiguousarray(ops.owner, dtype=np.int32),
        np.ascontiguousarray(ops.down, dtype=np.bool_),
        np.ascontiguousarray(keys, dtype=np.int64),
    )


def provers_run_by_operators(params: Params) -> int:
    """How many third-party provers operators run: provers 0..n-1 by operators 0..n-1 (n =
    `agents.operators.provers_run_by_operators`, at most the provers and operators there are); each is down while
    its operator is (`sidecar._quoting`)."""
    a = params.agents
    return min(a.operators.provers_run_by_operators, a.provers.count, a.operators.count)


def step_operators(ctx: Context, s: State) -> dict[str, Any]:
    """Give the keys the registry just registered their owners, move every operator's outage state to this slot, and
    count the eligible keys of operators that are down and the operators with an eligible key (compiled:
    `kernels_slot.operator_counts`, which also counts the operators down)."""
    reg = s["registry"]
    ops = s["operators"]
    if ops.chunk_start != reg.plan.start or ops.changes is None:
        ops = assign_owners(ctx, ops, reg.n_keys)
        ops = evolve(ops, chunk_start=reg.plan.start, changes=chunk_holdings(ctx, ops, reg))
    changes = ops.changes
    assert changes is not None
    down = next_down(ctx, ops, s["slot"])
    upto = int(
        changes.offsets[s["slot"] - ops.chunk_start + 1]
    )  # the changes counting from this slot or before
    keys_down, active, n_down = kernels_slot.operator_counts(
        changes.start,
        changes.cells,
        changes.signs,
        changes.crossing,
        changes.active_start,
        int(changes.offsets[1]),
        upto,
        down,
        np.ascontiguousarray(ops.n_operators, dtype=np.int64),
    )
    return {
        "operators": evolve(
            ops, down=down, keys_down=keys_down, active_operators=active, operators_down=n_down
        )
    }


COLUMNS: tuple[Column, ...] = (
    Column(
        "proposer_operator",
        "operator",
        "operator owning the winning proposer's key (-1 if none; `agents.operators`)",
        dtype="int32",
    ),
    Column(
        "operators_down",
        "operators",
        "operators in an outage during the slot (all their keys offline, their provers not quoting)",
        dtype="int32",
    ),
    Column(
        "keys_down",
        "keys",
        "eligible keys at the slot's first L1 block whose operator is in an outage",
        dtype="int32",
    ),
    Column(
        "active_operators",
        "operators",
        "operators holding at least one eligible key at the slot's first L1 block",
        dtype="int32",
    ),
)
"""The operators' per-slot columns."""


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    proposer = seg.field("outcome", "proposer")
    proposer_operator = np.empty(proposer.shape, dtype=np.int64)
    for a, b in seg.spans(
        lambda s: s["operators"].owner
    ):  # a few spans a segment: owners change once a chunk
        proposer_operator[a:b] = owners_of(seg.states[a]["operators"], proposer[a:b].T).T
    return {
        "proposer_operator": proposer_operator,
        "operators_down": seg.field("operators", "operators_down"),
        "keys_down": seg.field("operators", "keys_down"),
        "active_operators": seg.field("operators", "active_operators"),
    }


RECORDER = Recorder(COLUMNS, record)
