"""Compiled kernels of the slot's phases after the election, as `kernels` (numba, `cache=True`; each computes
exactly what the numpy code it replaced computes, tested against it): the commitment's outcome
(`sidecar.step_commitment`), the proof's outcome (`proving.step_proving`), the finalization's rewards
(`rewards.step_finalization`) and whether getting ready in backup mode pays (`backup.backup_worth_it`). A step's transcendental functions (the normal quantile, exp)
stay in numpy before its kernel runs: numpy's SIMD versions round differently from numba's.

Self-contained: none calls a kernel of another module (numba's cache does not notice a change in another file).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True)
def proof_outcome(
    stage: NDArray[np.int8],
    prover: NDArray[np.int64],
    fails: NDArray[np.float64],
    mean_failure: float,
    u_proof: NDArray[np.float64],
    duration: NDArray[np.float64],
    seconds: NDArray[np.float64],
    commitment_block: NDArray[np.int64],
    warning: float,
    includes: NDArray[np.bool_] | None,
    first: int,
    end: int,
    bond_locked: NDArray[np.float64],
    slot_start: int,
    revealed_code: int,
    proven_code: int,
) -> tuple[
    NDArray[np.int8], NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]
]:  # pragma: no cover - compiled
    """`proving.step_proving` per run after its proving time `duration` (s): a revealed block's proof is sound
    where the run's `u_proof` draw is at least its prover's hard-fault chance (`fails[prover]`; `mean_failure` for
    a self-prover or when `fails` is empty); it is sent when ready (the commitment block's time in `seconds`, +inf
    for none, plus the missing `warning` and `duration`) and lands in the first block of [first, end) built at or
    after then whose builder `includes` it (runs x slot blocks; None: every builder). Returns the stage (proven
    where sound and landed), the finalizing L1 block (`slot_start` + the landing block; -1), whether a sound proof
    landed too late, and the bond slashed (a revealed block's `bond_locked` unless proven)."""
    runs = stage.shape[0]
    new_stage = stage.copy()
    finalized = np.full(runs, -1, dtype=np.int64)
    late = np.zeros(runs, dtype=np.bool_)
    slashed = np.zeros(runs, dtype=np.float64)
    for i in range(runs):
        if stage[i] != revealed_code:
            continue
        failure = fails[prover[i]] if prover[i] >= 0 and fails.size else mean_failure
        sound = u_proof[i] >= failure
        block = commitment_block[i]
        ready = (seconds[i, block] if block >= 0 else np.inf) + warning + duration[i]
        landed = -1
        for j in range(first, end):
            if seconds[i, j] >= ready and (includes is None or includes[i, j]):
                landed = j
                break
        if sound and landed >= 0:
            new_stage[i] = proven_code
            finalized[i] = slot_start + landed
        else:
            slashed[i] = bond_locked[i]
            late[i] = sound
    return new_stage, finalized, late, slashed


@njit(cache=True)
def backup_worth_it(
    used: NDArray[np.float64],
    gas_price: NDArray[np.float64],
    blob_price: NDArray[np.float64],
    eth_per_token: NDArray[np.float64],
    kept: NDArray[np.float64],
    blobs_per_full_block: float,
    capacity: float,
    backup_gas: float,
    gwei: float,
    blob_gas_gwei: float,
    proving_cost: float,
    reward: float,
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """`backup.backup_worth_it` per run, as `participation.backup_pays` of `participation.backup_cost` computes it:
    the block's blobs (at least one of `blobs_per_full_block` x `used` / `capacity`, rounded up; none without
    blobs), its cost (`proving_cost` plus `backup_gas` at `gas_price` x `gwei` / `eth_per_token` tokens a gas, plus
    the blobs at `blob_price` x `blob_gas_gwei` / `eth_per_token`), covered by the decayed backup `reward` plus the
    fees and MEV the block's producer `kept` (tokens)."""
    runs = used.shape[0]
    out = np.empty(runs, dtype=np.bool_)
    for i in range(runs):
        blobs = 0.0
        if blobs_per_full_block != 0:
            blobs = np.ceil(blobs_per_full_block * used[i] / capacity)
            if not blobs > 1.0:  # numpy's maximum(1.0, blobs): the first argument unless the second is larger
                blobs = 1.0
        gas = backup_gas * (gas_price[i] * gwei / eth_per_token[i])
        blob = blobs * blob_price[i] * (blob_gas_gwei / eth_per_token[i])
        out[i] = reward + kept[i] >= proving_cost + gas + blob
    return out


@njit(cache=True)
def reward_outcome(
    stage: NDArray[np.int8],
    proven_code: int,
    block_reward: float,
    decay: NDArray[np.float64],
    split: NDArray[np.float64],
    u_relay: NDArray[np.float64],
    relay_share: float,
    verification_gas: float,
    gas_price: NDArray[np.float64],
    eth_per_token: NDArray[np.float64],
    gwei: float,
    prover: NDArray[np.int64],
    self_proved: NDArray[np.bool_],
    accounts: NDArray[np.int64],
    bond_locked: NDArray[np.float64],
    rewards: NDArray[np.float64],
    submitters: NDArray[np.int64],
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.int8],
]:  # pragma: no cover - compiled
    """`rewards.step_finalization` per run: a proven block's `block_reward` (times `decay`, the reward-decay factor
    per run, where given; empty: none) split by `split` (sequencer, prover, submitter shares); a relay submits the
    proof where its `u_relay` draw is below `relay_share` and the submitter's share covers the `verification_gas` at
    `gas_price` x `gwei` / `eth_per_token` tokens a gas (`participation.relay_pays`), else the prover. Returns the
    amounts minted (3 x runs), the slot's rewards (runs x roles: the sequencer's added to what `rewards` holds, the
    prover's and the submitter's), the prover's ledger account (`ledger.bond_owner`: the sequencers' when
    self-proved or none), the submitter's (the relays' when relayed, else the prover's), the bond released where
    proven, and who submitted the proof (`submitters`: none, prover, relay, sequencer). `accounts`: the sequencers',
    the first prover's and the relays' ledger accounts."""
    sequencers, prover0, relays = accounts[0], accounts[1], accounts[2]
    runs = stage.shape[0]
    minted = np.empty((3, runs), dtype=np.float64)
    out = np.zeros_like(rewards)
    prover_account = np.empty(runs, dtype=np.int64)
    submitter_account = np.empty(runs, dtype=np.int64)
    unlock = np.zeros(runs, dtype=np.float64)
    submitter = np.empty(runs, dtype=np.int8)
    share = split[2]
    for i in range(runs):
        proven = stage[i] == proven_code
        reward = block_reward if proven else 0.0
        if decay.size:
            reward = reward * decay[i]
        relayed = (
            proven
            and u_relay[i] < relay_share
            and reward * share >= verification_gas * (gas_price[i] * gwei / eth_per_token[i])
        )
        prover_account[i] = sequencers if self_proved[i] or prover[i] < 0 else prover0 + prover[i]
        for k in range(3):
            minted[k, i] = reward * split[k]
        out[i, 0] = rewards[i, 0] + minted[0, i]
        out[i, 1] = minted[1, i]
        out[i, 2] = minted[2, i]
        submitter_account[i] = relays if relayed else prover_account[i]
        if proven:
            unlock[i] = bond_locked[i]
            if relayed:
                submitter[i] = submitters[2]
            else:
                submitter[i] = submitters[3] if self_proved[i] else submitters[1]
        else:
            submitter[i] = submitters[0]
    return minted, out, prover_account, submitter_account, unlock, submitter


@njit(cache=True)
def commitment_outcome(
    self_proved: NDArray[np.bool_],
    prover: NDArray[np.int64],
    at: NDArray[np.int64],
    stage: NDArray[np.int8],
    bond: float,
    committed_code: int,
    sequencers: int,
    prover0: int,
) -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.int8], NDArray[np.int64]
]:  # pragma: no cover - compiled
    """`sidecar.step_commitment` per run after the prover market: a block is committed where it is self-proved or a
    third-party `prover` (>= 0) won; returns the `bond` locked (0 where not committed), the account that locks it
    (`ledger.bond_owner`: the sequencers' when self-proved or none, else the prover's), the stage (`committed_code`
    where committed) and the commitment's block (`at`; -1 where not committed)."""
    runs = stage.shape[0]
    amount = np.zeros(runs, dtype=np.float64)
    owner = np.empty(runs, dtype=np.int64)
    new_stage = stage.copy()
    block = np.full(runs, -1, dtype=np.int64)
    for i in range(runs):
        owner[i] = sequencers if self_proved[i] or prover[i] < 0 else prover0 + prover[i]
        if self_proved[i] or prover[i] >= 0:
            amount[i] = bond
            new_stage[i] = committed_code
            block[i] = at[i]
    return amount, owner, new_stage, block


@njit(cache=True)
def quoting_provers(
    available_u: NDArray[np.float64],
    unavailable: float,
    balances: NDArray[np.float64],
    first_prover: int,
    bond: float,
    down: NDArray[np.bool_],
    run_by_operators: int,
) -> NDArray[np.bool_]:  # pragma: no cover - compiled
    """`sidecar._quoting` (runs x provers): prover j quotes where its availability uniform `available_u[:, j]` is at
    least `unavailable`, its balance (account `first_prover + j` of `balances`) covers the `bond`, and, for the
    first `run_by_operators` provers (run by operators 0..n-1), its operator is not `down`."""
    runs, provers = available_u.shape
    if balances.shape[0] != runs or balances.shape[1] < first_prover + provers:
        raise ValueError("the balances hold no account for every prover of every run")
    if down.shape[0] != runs or down.shape[1] < run_by_operators or run_by_operators > provers:
        raise ValueError("more provers run by operators than operators or provers")
    out = np.empty((runs, provers), dtype=np.bool_)
    for i in range(runs):
        for j in range(provers):
            out[i, j] = (
                available_u[i, j] >= unavailable
                and balances[i, first_prover + j] >= bond
                and not (j < run_by_operators and down[i, j])
            )
    return out
