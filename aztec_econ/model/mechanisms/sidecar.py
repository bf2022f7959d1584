"""Sidecar prover commitment: the winning sequencer commits to a prover, who locks `prover_bond` in escrow.

Spec (Block production 2, Provers): after an off-protocol negotiation the winner commits to a prover's address (its
own if it proves itself, or a third party's); the prover deposits a bond that is slashed if the block is not
finalized. No commitment by the end of the phase sends the slot to backup.

The winner has proving hardware with probability `self_prove_probability` and can prove itself if the sequencers'
liquid balance covers the bond; third-party provers quote when available (each is unavailable with
`unavailable_probability`) and able to cover the bond. The winner auctions the block among them (a second-price
auction with its outside option as the reserve: `prover_market`). Design variants: with `consolidate_proposal_commitment` a winner without a
prover has no proposal (stage NONE); with `sidecar_phase_order` the data is revealed before the commitment, so a
missed reveal means no commitment and no bond at stake.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels_phases
from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.ledger import Account, Flow, Posting
from aztec_econ.model.mechanisms import participation, prover_market
from aztec_econ.model.mechanisms.adversary import includes_for
from aztec_econ.model.mechanisms.operators import provers_run_by_operators
from aztec_econ.model.mechanisms.reveal import reveal_landing
from aztec_econ.model.mechanisms.timeline import land
from aztec_econ.model.stage import Stage

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def _quoting(ctx: Context, s: State) -> NDArray[np.bool_]:
    """Which third-party provers quote in this slot (runs x provers): available, their balance covers the bond, and
    not run by an operator in an outage (`operators.provers_run_by_operators`); compiled
    (`kernels_phases.quoting_provers`)."""
    p = ctx.params
    quoting: NDArray[np.bool_] = kernels_phases.quoting_provers(
        s["draws"]["prover_available"],
        float(p.agents.provers.unavailable_probability),
        s["book"].balances,
        int(Account.PROVER0),
        float(p.protocol.prover_bond),
        s["operators"].down,
        provers_run_by_operators(p),
    )
    return quoting


def _market_inputs(ctx: Context, s: State, quoting: NDArray[np.bool_]) -> dict[str, Any]:
    """What every option of the prover market is priced on in this slot: the candidate block's proving outlook
    (`proving.commitment_outlook`, nominal times: what a prover can know when it quotes), the `quoting` provers
    (runs x provers), the prices, and the terms priced from them once a slot (`market.Candidate.prover_terms`)."""
    econ = s["economy"]
    on_time, factor = econ.candidate.proving
    return {
        "gas_price": econ.prices.gas,
        "block_value": econ.candidate.block_value,
        "block_size": econ.candidate.used,
        "prover_ok": quoting,
        "u_pick": s["draws"].one("prover_pick"),
        "m": ctx.economy.market,
        "on_time": on_time,
        "reward_factor": factor,
        "eth_per_token": econ.prices.eth_per_token,
        "terms": econ.candidate.prover_terms,
    }


def _has_hardware(ctx: Context, s: State, u: F64) -> NDArray[np.bool_]:
    """Whether a sequencer with uniform(s) `u` can prove itself: it has proving hardware and the bond."""
    p = ctx.params
    able = u < p.agents.sequencers.self_prove_probability
    covered = s["book"].balance(int(Account.SEQUENCERS)) >= float(p.protocol.prover_bond)
    return able & (covered if u.ndim == 1 else covered[:, None])


def candidates_with_commitment(ctx: Context, s: State, candidates: I64) -> NDArray[np.bool_]:
    """Under `consolidate_proposal_commitment`: which candidates (runs x k) can put a prover commitment in their
    proposal: a third-party prover would commit for the slot's block, or the candidate can prove it itself
    profitably (its own `candidate_self_prove` draw)."""
    p = ctx.params
    inputs = _market_inputs(ctx, s, _quoting(ctx, s))
    everyone = np.ones(ctx.n_runs, dtype=bool)
    nobody = np.zeros(ctx.n_runs, dtype=bool)
    third = prover_market.choose(p, everyone, can_self=nobody, **inputs).prover
    no_provers = np.zeros_like(inputs["prover_ok"])
    own = prover_market.choose(
        p, everyone, can_self=everyone, **{**inputs, "prover_ok": no_provers}
    ).self_proved
    able = _has_hardware(ctx, s, s["draws"]["candidate_self_prove"])
    return (candidates >= 0) & ((third >= 0)[:, None] | (able & own[:, None]))


def proposal_outlook(ctx: Context, s: State) -> F64:
    """What the slot's block is expected to be worth to its sequencer, as a candidate can estimate it before it
    proposes (`participation.block_outlook`): the auction priced at the slot's prices with every prover whose
    balance covers the bond bidding (availability enters as a chance), the proving outlook of a commitment at the
    commitment phase's first block (the proposal's, when consolidated)."""
    p = ctx.params
    inputs = _market_inputs(ctx, s, s["book"].prover_balances() >= float(p.protocol.prover_bond))
    everyone = np.ones(ctx.n_runs, dtype=bool)
    award = prover_market.choose(p, everyone, can_self=~everyone, **inputs)
    return participation.block_outlook(
        p,
        inputs["block_value"],
        award.prover >= 0,
        award.price,
        award.bidders,
        award.own_price,
        inputs["on_time"],
    )


def step_commitment(ctx: Context, s: State) -> dict[str, Any]:
    """The winner commits to a prover (or itself) in a transaction of the commitment phase; the prover locks its
    bond. In the Sidecar order the reveal comes first and only a revealed block looks for a prover; consolidated,
    the commitment travels in the winning proposal."""
    p = ctx.params
    bond = float(p.protocol.prover_bond)
    draws = s["draws"]
    outcome = s["outcome"]
    proposed = outcome.stage == int(Stage.PROPOSED)
    variants = p.protocol.variants
    seconds = s["l1"].seconds
    revealed, reveal_block = outcome.revealed, outcome.reveal_block
    if variants.sidecar_phase_order:  # reveal first: only revealed blocks look for a prover
        landed = reveal_landing(ctx, s, proposed)
        proposed &= (landed >= 0) & (draws.one("reveal") >= p.agents.sequencers.reveal_failure_probability)
        revealed, reveal_block = proposed, np.where(proposed, landed, -1)
    if variants.consolidate_proposal_commitment:
        at = outcome.proposal_block
        u_self = draws["candidate_self_prove"][np.arange(ctx.n_runs), np.maximum(outcome.proposer_rank, 0)]
    else:
        first, end = ctx.phases["commitment"]
        includes = includes_for(ctx, s["adversary"], "commitment", outcome.proposer)
        at = land(seconds, includes, first, end, seconds[:, first])
        u_self = draws.one("self_prove")
    proposed &= at >= 0
    award = prover_market.choose(
        p, proposed, can_self=_has_hardware(ctx, s, u_self), **_market_inputs(ctx, s, _quoting(ctx, s))
    )
    self_proved, prover = award.self_proved, award.prover
    amount, owner, stage, commitment_block = kernels_phases.commitment_outcome(  # compiled
        self_proved,
        prover,
        np.ascontiguousarray(at, dtype=np.int64),
        outcome.stage,
        bond,
        int(Stage.COMMITTED),
        int(Account.SEQUENCERS),
        int(Account.PROVER0),
    )
    book = s["book"].post(Posting(Flow.LOCK, owner, Account.BONDS, amount))
    outcome = evolve(
        outcome,
        prover=prover,
        self_proved=self_proved,
        bond_locked=amount,
        stage=stage,
        prover_price=award.price,
        prover_break_even=award.break_even,
        prover_bidders=award.bidders,
        revealed=revealed,
        reveal_block=reveal_block,
        commitment_block=commitment_block,
    )
    return {"outcome": outcome, "book": book}
