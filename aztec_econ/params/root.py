"""The top-level `Params`: every section in one frozen, validated structure, and the rules that relate sections.

Each section checks its own fields; the rules here span fields: the reward split sums to 1, the phases fit in the
slot, each censored phase appears once, a RANDAO attack needs slots longer than its look-around, a transaction
fits in a block and a block holds at most `MAX_BLOCK_TXS` of them, a slot lasts at least a second, L1 block numbers
stay below `MAX_L1_BLOCKS`, a vote window is at most `MAX_WINDOW_SLOTS`, and the market (`environment.circulating_supply`) can fund the stakes of the keys that
register over the horizon. Whether an input file named by a parameter (`environment.l1.price_file`) can be read is the model's
check (`aztec_econ.model.mechanisms.l1_prices.check_price_file`): parameters are plain data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import model_validator

from aztec_econ.params.agents import Agents
from aztec_econ.params.attacks import Attacks
from aztec_econ.params.dotted import apply_dotted, flatten
from aztec_econ.params.environment import Environment
from aztec_econ.params.errors import show_value
from aztec_econ.params.fields import Group, validate_tree
from aztec_econ.params.governance import Governance
from aztec_econ.params.protocol import Protocol
from aztec_econ.params.sim import Sim

MAX_L1_BLOCKS = 2**52
"""Largest L1 block number a run may reach (horizon plus entry, exit, RANDAO and finality delays): block numbers
stay exact in float64 and far below the model's 'never' marker (2**60)."""
MAX_WINDOW_SLOTS = 10**9
"""Longest upgrade-vote window [slots] (window indices are 32-bit)."""
MAX_BLOCK_TXS = 10**9
"""Most transactions one block may hold (`protocol.block_capacity / environment.demand.tx_size`)."""
REGISTRATION_SIGMAS = 8
"""The market must fund the stakes of the expected registrations over the horizon plus this many standard
deviations (Poisson): the chance that more keys register is below 1e-15."""


class Params(Group):
    """Everything a simulation depends on. Frozen; build variants with `with_overrides`."""

    sim: Sim
    protocol: Protocol
    environment: Environment
    agents: Agents
    attacks: Attacks
    governance: Governance

    @model_validator(mode="after")
    def _check_relations(self) -> Params:
        problems = list(_relation_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A new `Params` with dotted overrides applied (validated like a file)."""
        tree = self.model_dump(mode="python")
        apply_dotted(tree, overrides)
        return validate_tree(Params, tree)

    def flat(self) -> dict[str, Any]:
        """Parameters as a flat dict of dotted names."""
        return dict(flatten(self.model_dump(mode="json")))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): identical parameters give identical text."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _relation_problems(p: Params) -> Iterator[str]:
    split = p.protocol.reward_split
    total = split.sequencer + split.prover + split.submitter
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        yield (
            f"protocol.reward_split = {{sequencer: {split.sequencer}, prover: {split.prover}, "
            f"submitter: {split.submitter}}}: shares must sum to 1 (they sum to {total:g})"
        )
    pr = p.protocol
    if pr.phase_l1_blocks > pr.slot_l1_blocks:
        yield (
            f"protocol.slot_l1_blocks = {pr.slot_l1_blocks}: the phases (proposal {pr.proposal_phase_l1_blocks} + "
            f"commitment {pr.commitment_phase_l1_blocks} + reveal {pr.reveal_phase_l1_blocks} + proving "
            f"{pr.proving_phase_l1_blocks} + backup {pr.backup_phase_l1_blocks} = {pr.phase_l1_blocks} L1 blocks) "
            "must fit in the slot"
        )
    yield from _attack_problems(p)
    yield from _economics_problems(p)
    yield from _time_problems(p)
    yield from _market_problems(p)
    yield from _operator_problems(p)


def _operator_problems(p: Params) -> Iterator[str]:
    ops = p.agents.operators
    initial = p.agents.sequencers.initial
    if ops.key_distribution == "list":
        if len(ops.key_counts) != ops.count:
            yield (
                f"agents.operators.key_counts = {show_value(ops.key_counts)}: needs one entry per operator "
                f"(agents.operators.count = {ops.count}), got {len(ops.key_counts)}"
            )
        elif sum(ops.key_counts) != initial:
            yield (
                f"agents.operators.key_counts = {show_value(ops.key_counts)}: must sum to agents.sequencers.initial "
                f"= {initial} (they sum to {sum(ops.key_counts)})"
            )


def _time_problems(p: Params) -> Iterator[str]:
    pr = p.protocol
    slot_seconds = pr.slot_l1_blocks * pr.l1_block_seconds
    if slot_seconds < 1:
        yield (
            f"protocol.l1_block_seconds = {pr.l1_block_seconds:g}: a slot (protocol.slot_l1_blocks = "
            f"{pr.slot_l1_blocks} L1 blocks) must last at least 1 second; it lasts {slot_seconds:g} s"
        )
        return
    spans = {
        f"sim.slots = {p.sim.slots} (x protocol.slot_l1_blocks = {pr.slot_l1_blocks})": float(p.sim.slots)
        * pr.slot_l1_blocks,
        f"protocol.entry_period_days = {pr.entry_period_days:g}": pr.entry_period_days * pr.blocks_per_day,
        f"protocol.exit_delay_days = {pr.exit_delay_days:g}": pr.exit_delay_days * pr.blocks_per_day,
        f"protocol.randao_lag_l1_blocks = {pr.randao_lag_l1_blocks}": float(pr.randao_lag_l1_blocks),
        f"environment.l1.finality_blocks = {p.environment.l1.finality_blocks}": float(
            p.environment.l1.finality_blocks
        ),
    }
    window = pr.upgrade_vote_window_days * pr.slots_per_day
    if window > MAX_WINDOW_SLOTS:
        yield (
            f"protocol.upgrade_vote_window_days = {pr.upgrade_vote_window_days:g}: a vote window of {window:.3g} "
            f"slots; at most {MAX_WINDOW_SLOTS:,}"
        )
    total = sum(spans.values())
    if total > MAX_L1_BLOCKS:
        largest = max(spans, key=lambda k: spans[k])
        yield (
            f"{largest}: spans {spans[largest]:.3g} L1 blocks; the horizon plus the entry, exit, RANDAO and "
            f"finality delays ({total:.3g} L1 blocks) must be at most 2**52 = {MAX_L1_BLOCKS:.3g}"
        )


def _market_problems(p: Params) -> Iterator[str]:
    seq = p.agents.sequencers
    stake = p.protocol.minimum_stake
    boost = seq.max_rate_multiplier if seq.profit_driven_entry_exit else 1.0
    mean = boost * seq.registrations_per_day * p.sim.slots / p.protocol.slots_per_day
    if mean <= 0 or stake <= 0:
        return
    keys = math.ceil(mean + REGISTRATION_SIGMAS * math.sqrt(mean))
    supply = p.environment.circulating_supply
    if keys * stake > supply:
        yield (
            f"environment.circulating_supply = {supply:g}: the market funds the stake of every key that registers, "
            f"so it must hold at least {keys:,} keys x protocol.minimum_stake {stake:g} = {keys * stake:.4g} tokens "
            f"(agents.sequencers.registrations_per_day = {seq.registrations_per_day:g} over sim.slots = "
            f"{p.sim.slots}: the expected registrations plus {REGISTRATION_SIGMAS} standard deviations, not "
            "counting stakes released by exits); raise it, or lower the registrations or the stake"
        )


def _economics_problems(p: Params) -> Iterator[str]:
    d = p.environment.demand
    if d.tx_size > p.protocol.block_capacity:
        yield (
            f"environment.demand.tx_size = {d.tx_size}: a transaction must fit in a block "
            f"(protocol.block_capacity = {p.protocol.block_capacity})"
        )
    elif p.protocol.block_capacity / d.tx_size > MAX_BLOCK_TXS:
        yield (
            f"environment.demand.tx_size = {d.tx_size:g}: a block (protocol.block_capacity = "
            f"{p.protocol.block_capacity:g}) may hold at most {MAX_BLOCK_TXS:,} transactions; it would hold "
            f"{p.protocol.block_capacity / d.tx_size:.3g}"
        )


def _attack_problems(p: Params) -> Iterator[str]:
    phases = p.attacks.censorship.phases
    if len(set(phases)) != len(phases):
        yield f"attacks.censorship.phases = {phases!r}: each phase may appear once"
    if p.attacks.randao.strategy != "none" and p.protocol.slot_l1_blocks <= 8:
        yield (
            f"attacks.randao.strategy = {p.attacks.randao.strategy!r}: needs protocol.slot_l1_blocks > 8 (the "
            f"attacker's look-around of L1 blocks must not reach the next slot's RANDAO block), got "
            f"{p.protocol.slot_l1_blocks}"
        )
