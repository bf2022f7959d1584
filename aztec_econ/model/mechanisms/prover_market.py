"""The prover market (Sidecar): each block, the winning sequencer runs a sealed-bid second-price auction among the
available provers, with its outside option as the reserve price.

Source: spec (Provers, Block production 2: an off-protocol negotiation, then a commitment with a bond slashed if the
block is not finalized); the Sidecar post lets the split be negotiated (`proverRewardShare`, tips); the auction rule and
every number are assumptions.

Prover i (of P) has z_i evenly spaced in [-1, 1] (0 for a single prover), a compute cost
c_i = cost_per_block (1 - cost_spread z_i) (tokens) and a failure chance f_i = failure_probability (1 + failure_spread
z_i): cheaper provers are less reliable. It succeeds with p_i = (1 - f_i)(1 - r) x on-time chance, r the reveal-failure
chance when a missed reveal slashes the bond (0 otherwise). Its expected cost of a block is c_i plus its expected L1
gas at the slot's prices: the commitment (unless folded into the proposal) for sure, the proof's verification only
when it succeeds and submits the proof itself (a relay submits `agents.relays.submission_share` of the proofs and is
paid the submitter's share for it, but only while that share covers the verification gas: `relay_pays`;
otherwise the prover submits every proof). On success it earns the agreed price q plus its block-reward share R (prover
share, and the submitter share when no relay submits; decayed as the reward decays); on failure it loses the bond B.
Its break-even price ("cost plus risk") is

    b_i = (cost_i + (1 - p_i) B) / p_i - R        (inf when p_i = 0)

and it is NOT floored at 0: when R exceeds the cost and the bond's risk, b_i < 0 and a prover would pay the sequencer
for the right to prove (a negative price: the ledger moves it from the prover to the sequencers).

The rule (assumption): a sealed-bid second-price (Vickrey) auction with a reserve. Why second price: bidding one's
break-even is a dominant strategy, so every bid is computable from what the prover knows (its cost, its risk, the
slot's gas price and block) without modelling beliefs about rivals, and the outcome equals the open ascending auction a
relay would run; with many identical provers the price tends to their cost plus risk, with one it is the Nash bargaining point between its bid and the reserve.
The reserve r is the sequencer's outside option, as a price paid on success: what it can do without a third-party
prover,

- prove itself when it can (proving hardware: `self_prove_probability`, and the bond): its own break-even price b_s
  (compute `proving_cost_per_block`, the same gas and risk; comparing prices assumes the same success chance, exact
  with `failure_spread` 0);
- otherwise let the slot go to backup: it then forgoes the block's value V to it (its reward share, the fees and MEV it
  keeps, any early-reveal bonus), so it pays at most V.

So r = min(V, b_s) when it can self-prove profitably (b_s <= V), else V. Bidders are the provers that are available,
can cover the bond from their balance and their `bond_budget`, and can prove a block of the slot's size (`capacity`).
The lowest bid b_1 wins if it is at most r (ties: uniformly, `prover_pick`); it is paid
q = min(second-lowest bid, b_1 + beta (r - b_1)), beta = `agents.provers.bargaining_power` (assumption). Where
competition does not bind (one bidder, or a second bid above the bargaining point), the winner and the sequencer
split the surplus r - b_1 of their deal as in a Nash bargain with the prover's power beta: at beta = 1 a lone prover
takes the sequencer's whole outside option (a hold-up that leaves the sequencer nothing, so no key would pay the gas
of a proposal), at beta = 0 it is paid its break-even. With many identical provers the second bid equals b_1 and
beta does not matter. Nobody below r: the sequencer proves itself if it can profitably, else nobody commits and the
slot goes to backup (spec: Backup mode). Every committed prover expects a non-negative profit (q >= b_i). Raising the
bond raises every break-even price and tightens every budget, so it never raises the commitment rate (tested).

Currencies (assumption): compute costs (`agents.provers.cost_per_block`, `agents.sequencers.proving_cost_per_block`)
are in tokens, as bids, prices and rewards are (proving bought in a market that quotes in the native token; they do
not move with the token price); L1 gas is in ETH, converted at the slot's token price (`environment.token`), so a
falling token price raises every bid through its gas; operating costs (ETH/day) are converted at each slot's price in
the agent table, hardware capital (ETH) at the genesis price.

Strategies (`agents.sequencers.prover_strategy`), on top of the auction:
- cheapest: the auction as above (its own proving enters as the reserve).
- most_reliable: only the most reliable bidders (the lowest failure chance) take part; the price is the second-lowest
  of their bids, or the reserve when one is left (identical provers: the plain auction).
- self_prove_when_able: it proves itself whenever it can profitably; otherwise the auction with reserve V.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

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


def commitment_gas(params: Params) -> float:
    """L1 gas a committed prover pays for sure: its commitment (0 when folded into the proposal)."""
    g = params.protocol.l1_gas
    return 0.0 if params.protocol.variants.consolidate_proposal_commitment else g.commitment


def own_submission_share(params: Params) -> float:
    """Share of proven blocks whose proof the prover submits itself (and pays the verification gas for); the rest a
    relay submits (`agents.relays.submission_share`)."""
    return 1.0 - params.agents.relays.submission_share


def relay_pays(params: Params, reward: F64, gas_price: F64, eth_per_token: F64) -> B:
    """Whether a relay would submit the proof (per run): the submitter's share of `reward` (the block reward after
    any decay, tokens) covers the verification gas at `gas_price` (gwei) and `eth_per_token` (ETH per token).
    The one relay rule: `bids` prices it in, finalization (`rewards`) applies it, compiled in
    `kernels_phases.reward_outcome` (tested against this function)."""
    share = params.protocol.reward_split.submitter
    gas = params.protocol.l1_gas.verification * np.asarray(gas_price * GWEI / eth_per_token, dtype=np.float64)
    return np.asarray(reward * share >= gas)


def success_given_commitment(params: Params, failure: F64 | float) -> F64:
    """Chance a committed prover is paid: it delivers, and the sequencer's missed reveal does not slash it first."""
    reveal = params.agents.sequencers.reveal_failure_probability
    at_risk = params.protocol.slash_bond_on_missed_reveal and not params.protocol.variants.sidecar_phase_order
    return np.asarray((1.0 - np.asarray(failure)) * (1.0 - (reveal if at_risk else 0.0)), dtype=np.float64)


def reward_to_prover(params: Params) -> float:
    """Expected block-reward share a prover earns on success (tokens): the prover's share, and the submitter's when
    it submits the proof itself."""
    pr = params.protocol
    return pr.block_reward * (
        pr.reward_split.prover + pr.reward_split.submitter * own_submission_share(params)
    )


def break_even(cost: F64, success: F64, bond: float, reward: F64 | float) -> F64:
    """Lowest price with a non-negative expected profit, (cost + (1 - p) B) / p - R (tokens; negative when the
    reward share exceeds cost and risk: the prover would pay for the right to prove); inf when p = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (cost + (1.0 - success) * bond) / success - reward
    return np.where(success > 0, q, np.inf)


def block_value(params: Params, kept_by_producer: F64) -> F64:
    """What finalizing the slot's block is worth to its sequencer: its reward share, the fees and MEV it keeps
    (`kept_by_producer`), any early-reveal bonus (tokens)."""
    pr = params.protocol
    return kept_by_producer + (pr.block_reward * pr.reward_split.sequencer + pr.variants.early_reveal_bonus)


@dataclass(frozen=True)
class Market:
    """The market's constants, derived once from the parameters (bids only need the slot's prices on top)."""

    costs: F64
    """Compute cost of each prover (tokens)."""
    failure: F64
    """Failure chance of each option: the provers, then the winner itself."""
    success: F64
    """Chance each option is paid (`success_given_commitment`)."""
    sure_gas: float
    """L1 gas a committed prover pays for sure (its commitment)."""
    verification_gas: float
    """L1 gas of the proof's verification, paid on success by whoever submits it."""
    submits: float
    """Share of proven blocks whose proof the prover submits itself."""
    reward: float
    own_cost: float
    """The winner's compute cost of proving itself (tokens)."""
    static_ok: bool
    """The bond fits the provers' bond budget."""
    option_costs: F64
    """Compute cost of each option as `choose` passes them: `costs`, then `own_cost` (tokens)."""


def market(params: Params) -> Market:
    """The `Market` of `params` (the context keeps it: `Context.economy.market`)."""
    pv = params.agents.provers
    failure = np.concatenate([prover_failures(params), [pv.failure_probability]])
    costs = prover_costs(params)
    return Market(
        costs=costs,
        failure=failure,
        success=success_given_commitment(params, failure),
        sure_gas=commitment_gas(params),
        verification_gas=params.protocol.l1_gas.verification,
        submits=own_submission_share(params),
        reward=reward_to_prover(params),
        own_cost=params.agents.sequencers.proving_cost_per_block,
        static_ok=params.protocol.prover_bond <= pv.bond_budget,
        option_costs=np.concatenate([costs, [params.agents.sequencers.proving_cost_per_block]]).astype(
            np.float64
        ),
    )


@dataclass(frozen=True)
class Bids:
    """Every option's expected cost, success chance, reward and break-even price per run (runs x (P + 1): the
    provers, then the winner itself), as `choose` prices them."""

    cost: F64
    """Compute plus expected L1 gas (tokens)."""
    success: F64
    reward: F64
    price: F64
    """Break-even price (`break_even`; tokens)."""


@dataclass(frozen=True)
class SlotTerms:
    """What every option's bid depends on in one slot, per run."""

    timely: F64
    """Chance the proof lands on time (`proving.outlook`)."""
    tokens_per_gas: F64
    submits: F64
    """Share of proven blocks whose proof the prover submits itself (1 when no relay would submit)."""
    reward: F64
    """Block-reward share the prover earns on success (tokens)."""


def slot_terms(
    params: Params,
    gas_price: F64,
    m: Market,
    on_time: F64 | None = None,
    reward_factor: F64 | None = None,
    eth_per_token: F64 | None = None,
) -> SlotTerms:
    """The per-run terms of `bids` (defaults as there): tokens per gas at the slot's prices; the share of proofs the
    prover submits, `m.submits` where a relay would submit (`relay_pays`: the submitter's share covers the
    verification gas), else 1; its reward share on success, the prover's and the submitter's share of what it
    submits, of the decayed block reward. Compiled (`kernels_economy.prover_terms`; tested against these numpy
    expressions)."""
    import aztec_econ.model.kernels_economy as kernels_economy  # the module: a third of a from-import's time, every slot

    runs = gas_price.size
    timely = np.ones(runs) if on_time is None else on_time
    factor = np.ones(runs) if reward_factor is None else reward_factor
    price = np.full(runs, params.environment.token.eth_per_token) if eth_per_token is None else eth_per_token
    pr = params.protocol
    f64 = np.float64
    # one value per run each, broadcast as numpy would
    tokens_per_gas, submits, reward = kernels_economy.prover_terms(
        _contiguous(gas_price, (runs,), f64),
        _contiguous(factor, (runs,), f64),
        _contiguous(price, (runs,), f64),
        GWEI,
        float(pr.block_reward),
        float(pr.reward_split.prover),
        float(pr.reward_split.submitter),
        float(pr.l1_gas.verification),
        float(m.submits),
    )
    return SlotTerms(timely=timely, tokens_per_gas=tokens_per_gas, submits=submits, reward=reward)


def bids(
    params: Params,
    gas_price: F64,
    m: Market | None = None,
    on_time: F64 | None = None,
    reward_factor: F64 | None = None,
    eth_per_token: F64 | None = None,
) -> Bids:
    """The options' break-even prices at the slot's gas price (gwei) and token price (ETH per token; default
    `environment.token.eth_per_token`), with the on-time chance and reward factor of `proving.outlook` (default 1)."""
    m = market(params) if m is None else m
    t = slot_terms(params, gas_price, m, on_time, reward_factor, eth_per_token)
    runs = gas_price.size
    n = params.agents.provers.count
    success = m.success[None, :] * t.timely[:, None]
    tokens_per_gas = t.tokens_per_gas
    reward = np.broadcast_to(t.reward[:, None], success.shape)
    cost = np.empty((runs, n + 1))
    cost[:, :n] = m.costs[None, :]
    cost[:, n] = m.own_cost
    cost += (
        m.sure_gas * tokens_per_gas[:, None]
        + success * (t.submits * m.verification_gas * tokens_per_gas)[:, None]
    )
    bond = float(params.protocol.prover_bond)
    return Bids(cost=cost, success=success, reward=reward, price=break_even(cost, success, bond, reward))


@dataclass(frozen=True)
class Award:
    """The auction's result per run."""

    self_proved: B
    prover: I64
    """Third-party prover that won, -1 if none (self-proved or nobody)."""
    price: F64
    """Agreed price, paid by the sequencers on success (tokens; negative: the prover pays; 0 without a prover)."""
    break_even: F64
    """The winning prover's break-even price, its cost plus risk (tokens; 0 without a prover)."""
    bidders: I64
    """Third-party provers that bid (available, bond covered, block fits)."""
    own_price: F64
    """The winner's own break-even price for proving itself (tokens; the reserve when it can self-prove)."""


def _contiguous(x: NDArray[Any] | float, shape: tuple[int, ...], dtype: type) -> NDArray[Any]:
    """`x` broadcast to `shape` as a contiguous array of `dtype` (itself when it already is one, a contiguous copy
    when it has the shape: `np.broadcast_to` costs microseconds even then)."""
    a: NDArray[Any] = np.asarray(x, dtype=dtype)
    if a.shape == shape:
        return a if a.flags.c_contiguous else np.ascontiguousarray(a)
    return np.ascontiguousarray(np.broadcast_to(a, shape))


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
    eth_per_token: F64 | None = None,
    terms: SlotTerms | None = None,
) -> Award:
    """The auction of each run's block (module docstring).

    `block_value`: what finalization is worth to the sequencer (tokens); `block_size`: the block's capacity used
    (mana); `can_self`: the winner has proving hardware and the bond; `prover_ok`: runs x provers, available with a
    balance covering the bond; `u_pick`: tie-break uniforms; `m`: the market's constants (default: derived from
    `params`; a simulation passes the context's); `on_time`, `reward_factor`: `proving.outlook` (default 1): every
    option prices both in, since provers know their proving-time distribution; `eth_per_token`: the slot's token
    price (default the starting one); `terms`: `slot_terms` of these when already computed (a simulation passes
    the candidate block's, `market.Candidate.prover_terms`). Compiled (`kernels.second_price_auction`); the tests hold it to the same
    auction written in numpy (tests/test_prover_auction.py), exactly.
    """
    import aztec_econ.model.kernels as kernels  # the module: a third of a from-import's time, every slot

    m = market(params) if m is None else m
    t = slot_terms(params, gas_price, m, on_time, reward_factor, eth_per_token) if terms is None else terms
    n = params.agents.provers.count
    f64, runs = np.float64, gas_price.shape
    self_proved, prover, price, be, bidders, own = kernels.second_price_auction(
        m.option_costs,
        np.ascontiguousarray(m.success, dtype=f64),
        np.ascontiguousarray(m.failure[:n], dtype=f64),
        _contiguous(t.timely, runs, f64),
        np.ascontiguousarray(t.tokens_per_gas, dtype=f64),
        np.ascontiguousarray(t.submits, dtype=f64),
        np.ascontiguousarray(t.reward, dtype=f64),
        float(m.sure_gas),
        float(m.verification_gas),
        float(params.protocol.prover_bond),
        np.ascontiguousarray(proposed & (block_size <= params.agents.provers.capacity)),
        bool(m.static_ok),
        _contiguous(prover_ok, (gas_price.size, n), np.bool_),
        _contiguous(can_self, runs, np.bool_),
        _contiguous(block_value, runs, f64),
        _contiguous(u_pick, runs, f64),
        kernels.STRATEGY_CODES[params.agents.sequencers.prover_strategy],
        float(params.agents.provers.bargaining_power),
    )
    return Award(
        self_proved=self_proved, prover=prover, price=price, break_even=be, bidders=bidders, own_price=own
    )
