"""The top-level `Params`: every section in one frozen, validated structure, and the rules that relate sections.

Each section checks its own fields; the rules here span fields: the reward split sums to 1, the phases fit in the
slot, each censored phase appears once, a RANDAO attack needs slots longer than its look-around, and a transaction
fits in a block. Whether an input file named by a parameter (`environment.l1.price_file`) can be read is the model's
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
from aztec_econ.params.fields import Group, validate_tree
from aztec_econ.params.governance import Governance
from aztec_econ.params.protocol import Protocol
from aztec_econ.params.sim import Sim


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


def _economics_problems(p: Params) -> Iterator[str]:
    d = p.environment.demand
    if d.tx_size > p.protocol.block_capacity:
        yield (
            f"environment.demand.tx_size = {d.tx_size}: a transaction must fit in a block "
            f"(protocol.block_capacity = {p.protocol.block_capacity})"
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
