"""Backup (race) mode: when the happy path fails, anyone may submit a block with its proof; the first valid one wins.

Spec (Block production 6, Backup mode): opens when there is no proposal, no prover commitment, or no finalization.
Assumptions: `agents.backup.count` builders are each ready with a proven block with `ready_probability`; the first
to land is uniform among the ready ones, at a uniform L1 block of the backup phase (the slot's last phase), and is
paid `backup_reward_share` of the block reward. With nobody ready, the slot is skipped. With
`attacks.censorship.prebuilt_backup` the colluding attacker has a proven block ready and lands it at the phase's
first L1 block, ahead of everyone (spec: L1 censorship, "a block pre-built and proven").
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from aztec_econ.model.context import Context
from aztec_econ.model.draws import pick_uniform
from aztec_econ.model.ledger import Account, Book, Flow, Posting
from aztec_econ.model.stage import Mode, Role, Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def step_backup(ctx: Context, s: State) -> dict[str, Any]:
    p = ctx.params
    pr = p.protocol
    draws = s["draws"]
    outcome = s["outcome"]
    opened = outcome.stage != Stage.PROVEN
    ready = draws["backup_ready"] < p.agents.backup.ready_probability
    builder = np.where(opened, pick_uniform(ready, draws.one("backup_pick")), -1)
    by_attacker = opened & p.attacks.censorship.prebuilt_backup  # its pre-built block lands first
    builder = np.where(by_attacker, -1, builder)
    won = (builder >= 0) | by_attacker
    amount = np.where(won, pr.block_reward * pr.backup_reward_share, 0.0)
    book: Book = s["book"].post(Posting(Flow.MINT, None, Account.BACKUP, amount))

    phase_start, _ = ctx.phase_window("backup", s["slot"])
    delay = np.floor(draws.one("backup_delay") * pr.backup_phase_l1_blocks).astype(np.int64)
    delay = np.where(by_attacker, 0, delay)
    rewards = outcome.rewards.copy()
    rewards[:, Role.BACKUP] = amount
    mode = np.where(~opened, Mode.HAPPY, np.where(won, Mode.BACKUP, Mode.SKIPPED)).astype(np.int8)
    outcome = replace(
        outcome,
        backup_builder=builder,
        mode=mode,
        finalized_l1_block=np.where(won, phase_start + delay, outcome.finalized_l1_block),
        submitter=np.where(won, Submitter.BACKUP, outcome.submitter).astype(np.int8),
        rewards=rewards,
        attacker_backup=by_attacker,
    )
    return {"outcome": outcome, "book": book}
