"""Participation: whether a sequencer key proposes, a backup builder gets ready, a relay submits (issue 13, part 2).

Pure functions of what the actor can know when it decides: the slot's L1 gas and blob prices and token price (known
at the slot's start), the candidate block prepared from the mempool before the slot (its fees and MEV), the
parameters (rewards, splits, the prover market's constants, failure and availability chances). None reads a draw of
the slot. Every amount is in tokens (L1 gas in ETH converted at the slot's `eth_per_token`, as `settlement.l1_costs`
charges it). Sources: spec (Block production 1: the top-ranked keys "may choose to submit" a proposal; Finalization:
the proof's submitter "could be anyone such as a relay"; Backup mode: anyone may race); every rule is an assumption.

- Sequencers (`proposes`): a key at rank r among the `proposers_per_slot` top-ranked online keys sends its proposal
  only if its expected gain covers the proposal's L1 gas (every landed proposal pays, `settlement.l1_costs`). Its
  gain is win_chance(r) x happy x surplus: win_chance(r) = (1 - offline_probability)^r, the chance no higher-ranked
  key sends (assumption: the higher keys face the same prices and a higher win chance, so they send whenever this
  one would; operator outages are ignored); `happy` x `surplus` is `block_outlook`, the expected value of the block
  to its sequencer net of what it pays its prover.
- Backup builders (`backup_pays`): a builder available by its `ready_probability` gets ready only if the backup
  reward (block_reward x backup_reward_share, decayed at its expected landing block) plus the fees and MEV it would
  keep covers its proving cost (`agents.backup.proving_cost_per_block`) and its L1 gas (`l1_gas.backup` plus the
  block's blobs). It ignores its rivals (assumption: a builder that loses the race has its proving cost sunk, which
  `ready_probability` < 1 and few builders keep rare).
- Relays (`relay_pays`): a relay submits a proof only if the submitter's share of the (decayed) reward covers the
  verification gas; otherwise the prover submits it itself. The prover market prices the same rule into its bids,
  so it is defined once, in `prover_market`, and re-exported here.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels
from aztec_econ.model.mechanisms.prover_market import BLOB_GAS, GWEI
from aztec_econ.model.mechanisms.prover_market import relay_pays as relay_pays  # the relay rule, defined once
from aztec_econ.params import Params

F64 = NDArray[np.float64]
B = NDArray[np.bool_]
TX_BASE_GAS = 21_000  # the per-transaction gas a consolidated proposal+commitment saves (as `settlement`)


def tokens_per_gas(gas_price: F64, eth_per_token: F64) -> F64:
    """Tokens one unit of L1 gas costs at `gas_price` (gwei) and `eth_per_token` (ETH per token)."""
    return np.asarray(gas_price * GWEI / eth_per_token, dtype=np.float64)


def proposal_gas(params: Params) -> float:
    """L1 gas of one proposal (the commitment's, less one transaction's base gas, when consolidated), as
    `settlement.l1_costs` charges it."""
    g = params.protocol.l1_gas
    extra = (
        max(0.0, g.commitment - TX_BASE_GAS)
        if params.protocol.variants.consolidate_proposal_commitment
        else 0.0
    )
    return float(g.proposal + extra)


def proposal_cost(params: Params, gas_price: F64, eth_per_token: F64) -> F64:
    """Token cost of sending one proposal (tokens)."""
    return proposal_gas(params) * tokens_per_gas(gas_price, eth_per_token)


def win_chance(params: Params, ranks: int) -> F64:
    """Chance the proposal at each rank 0 .. ranks-1 wins given it lands: no higher-ranked key sends,
    (1 - offline_probability)^r (module docstring; read-only, computed once per chance and ranks)."""
    return _powers(1.0 - params.agents.sequencers.offline_probability, ranks)


@lru_cache(maxsize=64)
def _powers(base: float, n: int) -> F64:
    """base^0 .. base^(n-1) (numpy's power), read-only: `win_chance`'s every call shares one array."""
    powers = np.asarray(base ** np.arange(n, dtype=np.float64), dtype=np.float64)
    powers.flags.writeable = False
    return powers


def block_outlook(
    params: Params,
    value: F64,
    third_wins: B,
    third_price: F64,
    bidders: NDArray[np.int64],
    own_price: F64,
    on_time: F64,
) -> F64:
    """Expected value of the slot's block to its sequencer before it proposes (tokens): the chance the slot ends
    happy times the block's value `value` (`prover_market.block_value`) net of the prover's price.

    - a third party commits when the auction clears (`third_wins`, the auction run with every prover whose balance
      covers the bond bidding) and at least one of its `bidders` is available: 1 - unavailable^bidders; it is paid
      `third_price` on success;
    - otherwise the sequencer proves itself with `self_prove_probability` when its own break-even `own_price` is at
      most `value`;
    - the block finalizes with (1 - failure_probability) x `on_time` (`proving.outlook`) x (1 -
      reveal_failure_probability). Simple estimate (assumption): outages, censorship and the prover's balances
      later in the slot are ignored.

    Per run, compiled after the power (`kernels.outlook_values`, the same floating-point operations).
    """
    a = params.agents
    available = 1.0 - a.provers.unavailable_probability ** bidders.astype(np.float64)  # numpy's power
    f64 = np.float64
    outlook: F64 = kernels.outlook_values(
        np.asarray(value, dtype=f64),
        np.asarray(third_wins, dtype=np.bool_),
        np.asarray(third_price, dtype=f64),
        available,
        np.asarray(own_price, dtype=f64),
        np.asarray(on_time, dtype=f64),
        1.0 - a.provers.failure_probability,
        1.0 - a.sequencers.reveal_failure_probability,
        float(a.sequencers.self_prove_probability),
    )
    return outlook


def proposes(params: Params, outlook: F64, gas_price: F64, eth_per_token: F64) -> B:
    """Whether the key at each rank (runs x proposers_per_slot) sends its proposal: win_chance x `outlook` covers
    the proposal's cost (ties send). Compiled after the cost (`kernels.proposal_sends`)."""
    k = params.agents.sequencers.proposers_per_slot
    f64 = np.float64
    cost = proposal_cost(params, gas_price, eth_per_token)
    sends: B = kernels.proposal_sends(np.asarray(outlook, dtype=f64), win_chance(params, k), cost)
    return sends


def backup_cost(params: Params, blobs: F64, gas_price: F64, blob_price: F64, eth_per_token: F64) -> F64:
    """What a backup block costs its builder (tokens): its proving compute (`agents.backup.proving_cost_per_block`,
    tokens) plus its L1 gas, `l1_gas.backup` at the gas price plus `blobs` blobs at the blob price."""
    gas = params.protocol.l1_gas.backup * tokens_per_gas(gas_price, eth_per_token)
    blob = blobs * blob_price * (BLOB_GAS * GWEI / eth_per_token)
    return np.asarray(params.agents.backup.proving_cost_per_block + gas + blob, dtype=np.float64)


def backup_pays(params: Params, reward_factor: F64, kept: F64, cost: F64) -> B:
    """Whether getting ready in backup mode pays (per run): block_reward x backup_reward_share x `reward_factor`
    (the decay at the expected landing block) plus the fees and MEV kept `kept` covers `cost` (`backup_cost`)."""
    pr = params.protocol
    return np.asarray(pr.block_reward * pr.backup_reward_share * reward_factor + kept >= cost)
