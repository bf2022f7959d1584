"""Backup (race) mode: when the happy path fails, anyone may submit a block with its proof; the first valid one wins.

Spec (Block production 6, Backup mode): opens when there is no proposal, no prover commitment, or no finalization.
Assumptions:
- backup mode opens when the block before the backup phase is built (the happy path's deadlines have passed);
- each of `agents.backup.count` builders takes part with `ready_probability`, and then needs its own time to build
  and prove a block, lognormal with median `agents.backup.proving_time_median_seconds` and log-standard deviation
  `proving_time_log_sd` (`backup_time` draws);
- a submission lands in the first block of the backup phase built at or after it is ready whose builder includes it
  (censoring builders keep out honest backup submissions when `backup` is in `attacks.censorship.phases`); the first
  to land wins (in the same block: the one ready first). None by the phase's last block: the slot is skipped;
- with `attacks.censorship.prebuilt_backup` the colluding attacker has a proven block ready (spec: L1 censorship,
  "a block pre-built and proven") and sends it to its colluding builders only: it lands in the first backup-phase
  block a censoring builder builds, and that builder puts it first;
- the winner is paid `backup_reward_share` of the block reward, decayed like a late proof under
  `reward_decay_per_l1_block`;
- a builder available by its `ready_probability` gets ready only if it pays (`participation.backup_pays`): the backup
  reward, decayed at its expected landing block (the first block built after the median proving time), plus the
  fees and MEV of the mempool's candidate block cover its proving cost (`proving_cost_per_block`, which the
  producing builder pays: settlement column `proving_cost_backup`) and its L1 gas at the slot's prices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_phases, kernels_slot
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Flow, Posting
from aztec_econ.model.mechanisms.adversary import censoring, includes
from aztec_econ.model.mechanisms.prover_market import BLOB_GAS, GWEI
from aztec_econ.model.mechanisms.proving import decay_factor
from aztec_econ.model.rng import normal_quantiles
from aztec_econ.model.stage import Mode, Role, Stage, Submitter

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def backup_worth_it(ctx: Context, s: State) -> NDArray[np.bool_]:
    """Whether getting ready in backup mode pays a builder, per run (`participation.backup_pays`), from what it knows
    when backup mode opens: the slot's prices, the candidate block, its median proving time. Compiled
    (`kernels_phases.backup_worth_it`, tested against `participation`'s rule)."""
    p = ctx.params
    pr = p.protocol
    econ = s["economy"]
    prices = econ.prices
    first, end = ctx.phases["backup"]
    block = float(pr.l1_block_seconds)
    expected = first + int(np.ceil(p.agents.backup.proving_time_median_seconds / block))
    factor = float(decay_factor(p, np.array([min(expected, end - 1)]))[0])
    return kernels_phases.backup_worth_it(
        econ.candidate.used,
        prices.gas,
        prices.blob,
        prices.eth_per_token,
        econ.candidate.value_to_producer,
        float(pr.l1_gas.blobs_per_full_block),
        float(pr.block_capacity),
        float(pr.l1_gas.backup),
        GWEI,
        BLOB_GAS * GWEI,
        float(p.agents.backup.proving_cost_per_block),
        pr.block_reward * pr.backup_reward_share * factor,
    )


def step_backup(ctx: Context, s: State) -> dict[str, Any]:
    """Race in backup mode when the happy path failed (module docstring), or leave the happy block alone."""
    p = ctx.params
    pr = p.protocol
    b = p.agents.backup
    draws = s["draws"]
    outcome = s["outcome"]
    opened = outcome.stage != int(Stage.PROVEN)
    if not opened.any():  # every run's happy path finalized: nothing races
        return {"outcome": evolve(outcome, mode=np.full(ctx.n_runs, int(Mode.HAPPY), dtype=np.int8))}
    first, end = ctx.phases["backup"]
    seconds = s["l1"].seconds
    runs = ctx.n_runs

    opens_at = seconds[:, first - 1] if first > 0 else np.zeros(runs)
    z = normal_quantiles(draws["backup_time"], 1e-16)
    # when each builder would be done if it races (runs x builders)
    done = opens_at[:, None] + b.proving_time_median_seconds * np.exp(b.proving_time_log_sd * z)
    window = seconds[:, first:end]
    honest = includes(ctx, s["adversary"], "backup")
    open_blocks = np.ones(window.shape, dtype=bool) if honest is None else honest[:, first:end]
    # compiled: who races (backup mode opened, getting ready pays, ready by its draw), then the first block a
    # racing builder's submission lands in (never: end - first); in the same block the builder ready first wins
    best, builder = kernels_slot.backup_landing(
        window,
        done,
        draws["backup_ready"],
        float(b.ready_probability),
        backup_worth_it(ctx, s),
        opened,
        open_blocks,
    )
    attacker_at = None
    if p.attacks.censorship.prebuilt_backup and censoring(ctx):
        colluding = s["adversary"].censored[:, first:end]
        attacker_at = np.where(colluding.any(axis=1), np.argmax(colluding, axis=1), end - first)
    builder, mode, finalized, submitter, rewards, amount, by_attacker, landed = kernels_slot.backup_outcome(
        opened,
        best,
        builder,
        attacker_at,
        end - first,
        s["slot"] * ctx.slot_l1_blocks + first,
        float(pr.block_reward * pr.backup_reward_share),
        outcome.finalized_l1_block,
        outcome.submitter,
        outcome.rewards,
        _CODES,
    )  # compiled: who won the race, the mode, what it mints
    if pr.variants.reward_decay_per_l1_block > 0:
        amount = amount * decay_factor(p, first + landed)
        rewards[:, Role.BACKUP] = amount
    book = s["book"].post(Posting(Flow.MINT, None, Account.BACKUP, amount))
    outcome = evolve(
        outcome,
        backup_builder=builder,
        mode=mode,
        finalized_l1_block=finalized,
        submitter=submitter,
        rewards=rewards,
        attacker_backup=by_attacker,
    )
    return {"outcome": outcome, "book": book}


_CODES = np.array([Role.BACKUP, Mode.HAPPY, Mode.BACKUP, Mode.SKIPPED, Submitter.BACKUP], dtype=np.int64)
"""`kernels_slot.backup_outcome`'s codes: the rewards' backup column, the modes, the backup submitter."""
