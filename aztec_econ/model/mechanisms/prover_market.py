"""The prover market (Sidecar): provers quote a price per block, the winning sequencer picks one by its strategy.

Source: spec (Provers, Block production 2: an off-protocol negotiation, then a commitment with a bond slashed if the
block is not finalized); the numbers are assumptions.

Prover i (of P) has z_i evenly spaced in [-1, 1] (0 for a single prover), a compute cost
c_i = cost_per_block (1 - cost_spread z_i) and a failure chance f_i = failure_probability (1 + failure_spread z_i):
cheaper provers are less reliable. Its cost of a block is c_i plus its L1 gas (commitment, and proof verification)
at the slot's prices. It succeeds with p_i = (1 - f_i)(1 - r), r the reveal-failure chance when a missed reveal
slashes the bond (0 otherwise). On success it earns the agreed price q plus its block-reward share R (prover share,
and the submitter share when no relay submits); on failure it loses the bond B. Its break-even price is
q0 = max(0, (cost + (1 - p_i) B) / p_i - R) and it quotes q0 (1 + margin), so its expected profit at its quote is
never negative. It quotes only if it is available, can cover the bond from its balance and its `bond_budget`, can
prove a block of the slot's size (`capacity`), and its quote does not exceed what the block is worth to the
sequencer (its reward share, the fees and MEV it keeps, any early-reveal bonus): otherwise nobody commits and the
slot goes to backup (spec: Backup mode). Raising the bond raises every break-even price and tightens every budget,
so it never raises the commitment rate (tested).

The winner may prove itself when it has proving hardware (`self_prove_probability`), the bond, and a non-negative
expected profit at its own cost (`proving_cost_per_block`). Strategies: cheapest (the lowest price, its own proving
at break-even cost), most_reliable (the lowest failure chance, ties by price), self_prove_when_able (itself when
able, else cheapest). Ties are broken uniformly (`prover_pick`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.draws import pick_uniform
from aztec_econ.params import Params

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]
GWEI = 1e-9
BLOB_GAS = 131_072  # EIP-4844 gas per blob


def spread(count: int) -> F64:
    """z_i evenly spaced in [-1, 1]."""
    return np.linspace(-1.0, 1.0, count) if count > 1 else np.zeros(count)


def prover_costs(params: Params) -> F64:
    """Compute cost per block of each prover (tokens)."""
    pv = params.agents.provers
    return np.asarray(pv.cost_per_block * (1.0 - pv.cost_spread * spread(pv.count)), dtype=np.float64)


def prover_failures(params: Params) -> F64:
    """Failure chance of each prover."""
    pv = params.agents.provers
    return np.clip(pv.failure_probability * (1.0 + pv.failure_spread * spread(pv.count)), 0.0, 1.0)


def eth_to_tokens(params: Params, eth: F64 | float) -> F64:
    return np.asarray(eth, dtype=np.float64) / params.environment.l1.eth_per_token


def gas_cost(params: Params, gas: float, gas_price: F64) -> F64:
    """Token equivalent of `gas` at `gas_price` gwei."""
    return eth_to_tokens(params, gas * gas_price * GWEI)


def prover_l1_gas(params: Params) -> float:
    """L1 gas a committed prover pays: its commitment (unless folded into the proposal) and the proof's verification."""
    g = params.protocol.l1_gas
    commitment = 0.0 if params.protocol.variants.consolidate_proposal_commitment else g.commitment
    return commitment + g.verification


def success_given_commitment(params: Params, failure: F64 | float) -> F64:
    """Chance a committed prover is paid: it delivers, and the sequencer's missed reveal does not slash it first."""
    reveal = params.agents.sequencers.reveal_failure_probability
    at_risk = params.protocol.slash_bond_on_missed_reveal and not params.protocol.variants.sidecar_phase_order
    return np.asarray((1.0 - np.asarray(failure)) * (1.0 - (reveal if at_risk else 0.0)), dtype=np.float64)


def reward_to_prover(params: Params) -> float:
    """Expected block-reward share a prover earns on success (tokens)."""
    pr = params.protocol
    submitter = pr.reward_split.submitter * (1.0 - params.agents.relays.submission_share)
    return pr.block_reward * (pr.reward_split.prover + submitter)


def break_even(cost: F64, success: F64, bond: float, reward: F64 | float) -> F64:
    """Lowest price with a non-negative expected profit: max(0, (cost + (1 - p) B) / p - R); inf when p = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (cost + (1.0 - success) * bond) / success - reward
    return np.where(success > 0, np.maximum(q, 0.0), np.inf)


def expected_profit(price: F64, cost: F64, success: F64, bond: float, reward: F64 | float) -> F64:
    """A committed prover's expected profit at `price`."""
    return np.asarray(success * (price + reward) - cost - (1.0 - success) * bond, dtype=np.float64)


def block_value(params: Params, kept_by_producer: F64) -> F64:
    """What finalizing the slot's block is worth to its sequencer: its reward share, the fees and MEV it keeps
    (`kept_by_producer`), any early-reveal bonus (tokens)."""
    pr = params.protocol
    return kept_by_producer + (pr.block_reward * pr.reward_split.sequencer + pr.variants.early_reveal_bonus)


@dataclass(frozen=True)
class Market:
    """The market's constants, derived once from the parameters (quotes only need the slot's gas price on top)."""

    costs: F64
    """Compute cost of each prover (tokens)."""
    failure: F64
    """Failure chance of each option: the provers, then the winner itself."""
    success: F64
    """Chance each option is paid (`success_given_commitment`)."""
    gas_per_prover: float
    """L1 gas a committed third-party prover pays."""
    reward: float
    own_cost: float
    """The winner's compute cost of proving itself (tokens)."""
    static_ok: bool
    """The bond fits the provers' bond budget."""


def market(params: Params) -> Market:
    """The `Market` of `params` (the context keeps it: `Context.economy.market`)."""
    pv = params.agents.provers
    failure = np.concatenate([prover_failures(params), [pv.failure_probability]])
    return Market(
        costs=prover_costs(params),
        failure=failure,
        success=success_given_commitment(params, failure),
        gas_per_prover=prover_l1_gas(params),
        reward=reward_to_prover(params),
        own_cost=params.agents.sequencers.proving_cost_per_block,
        static_ok=params.protocol.prover_bond <= pv.bond_budget,
    )


def choose(
    params: Params,
    proposed: B,
    gas_price: F64,
    block_value: F64,
    block_size: F64,
    can_self: B,
    prover_ok: B,
    u_pick: F64,
    m: Market | None = None,
    on_time: F64 | None = None,
    reward_factor: F64 | None = None,
) -> tuple[B, I64, F64]:
    """(self-proved, third-party prover or -1, agreed price) per run.

    `block_value`: what finalization is worth to the sequencer (tokens); `block_size`: the block's capacity used
    (mana); `can_self`: the winner has proving hardware and the bond; `prover_ok`: runs x provers, available with a
    balance covering the bond; `u_pick`: tie-break uniforms; `m`: the market's constants (default: derived from
    `params`; a simulation passes the context's); `on_time`: the chance the proof lands by the deadline and
    `reward_factor`: the expected share of the reward left after its decay, given it does (`proving.outlook`;
    default 1): every option prices both in, since provers know their proving-time distribution.
    """
    m = market(params) if m is None else m
    runs = gas_price.size
    timely = np.ones(runs) if on_time is None else on_time
    factor = np.ones(runs) if reward_factor is None else reward_factor
    success = m.success[None, :] * timely[:, None]
    reward = np.broadcast_to(m.reward * factor[:, None], success.shape)
    pv = params.agents.provers
    n = pv.count
    bond = float(params.protocol.prover_bond)
    tokens_per_gas = gas_price * (GWEI / params.environment.l1.eth_per_token)
    fits = proposed & (block_size <= pv.capacity)
    # options: provers 0..P-1, then the winner itself (column P), at their break-even prices (provers: x margin)
    cost = np.empty((gas_price.size, n + 1))
    cost[:, :n] = m.costs[None, :] + (m.gas_per_prover * tokens_per_gas)[:, None]
    cost[:, n] = m.own_cost + params.protocol.l1_gas.verification * tokens_per_gas
    prices = break_even(cost, success, bond, reward)
    prices[:, :n] *= 1.0 + pv.margin
    options = np.empty((gas_price.size, n + 1), dtype=bool)
    options[:, :n] = prover_ok & (prices[:, :n] <= block_value[:, None]) & (fits & m.static_ok)[:, None]
    own = success[:, n] * (reward[:, n] + block_value) - cost[:, n] - (1.0 - success[:, n]) * bond
    options[:, n] = fits & can_self & (own >= 0)
    strategy = params.agents.sequencers.prover_strategy
    if strategy == "most_reliable":
        key = np.where(options, m.failure[None, :], np.inf)
        best = options & (key <= key.min(axis=1, keepdims=True))
        key = np.where(best, prices, np.inf)
    else:
        best = options.copy()
        key = np.where(options, prices, np.inf)
    best &= key <= key.min(axis=1, keepdims=True)
    if strategy == "self_prove_when_able":
        best[options[:, n], :n] = False
        best[:, n] |= options[:, n]
    pick = pick_uniform(best, u_pick)
    self_proved = pick == n
    prover = np.where((pick >= 0) & (pick < n), pick, -1)
    agreed = np.where(prover >= 0, prices[np.arange(pick.size), np.maximum(pick, 0)], 0.0)
    return self_proved, prover, agreed
