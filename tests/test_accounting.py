"""Accounting: tokens move only by explicit postings; conservation holds on every slot under random parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aztec_econ.model.harness import run_step, state_before
from aztec_econ.model.ledger import Account, AccountingError, Book, Flow, Posting, genesis_book
from aztec_econ.model.mechanisms import fees
from aztec_econ.params import Params, load_params
from aztec_econ.simulation import simulate


def assert_conserved(frame: pd.DataFrame, opening_supply: float) -> None:
    """On every slot: supply = liquid + stakes + bonds, and supply = opening + cumulative minted - burned."""
    held = frame["liquid"] + frame["staked"] + frame["bonded"]
    np.testing.assert_allclose(held, frame["total_supply"], rtol=1e-12)
    flows = (frame["minted"] - frame["burned"]).groupby(frame["run"]).cumsum()
    np.testing.assert_allclose(frame["total_supply"], opening_supply + flows, rtol=1e-12)
    parts = frame[
        ["balance_market", "balance_sequencers", "balance_provers", "balance_relays", "balance_backup"]
    ]
    np.testing.assert_allclose(parts.sum(axis=1), frame["liquid"], rtol=1e-12)
    assert (parts.to_numpy() >= 0).all()
    np.testing.assert_allclose(frame["minted"], frame["block_reward"], rtol=1e-12)
    burns = frame["slashed"] + frame["fees_burned"] + frame["mev_burned"]
    np.testing.assert_allclose(frame["burned"], burns, rtol=1e-12, atol=1e-9)
    # fee conservation: what users pay is burned or goes to the block producer, every slot
    np.testing.assert_allclose(
        frame["fees_paid"], frame["fees_burned"] + frame["tips"], rtol=1e-12, atol=1e-12
    )


def opening_supply(p: Params) -> float:
    seq = p.agents.sequencers
    return (
        p.environment.circulating_supply
        + seq.initial * (seq.initial_balance + p.protocol.minimum_stake)
        + p.agents.provers.count * p.agents.provers.initial_balance
    )


probability = st.floats(0.0, 1.0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    offline=probability,
    self_prove=probability,
    unavailable=probability,
    proof_failure=probability,
    reveal_failure=probability,
    ready=probability,
    relay=probability,
    slash_on_reveal=st.booleans(),
    provers=st.integers(0, 6),
    builders=st.integers(0, 4),
    bond=st.floats(0.0, 5000.0),
    prover_balance=st.floats(0.0, 8000.0),
    reward=st.floats(0.0, 1000.0),
    split=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    registrations=st.floats(0.0, 60.0),
    exits=st.floats(0.0, 60.0),
    churn=st.integers(0, 5),
    mechanism=st.sampled_from(fees.MECHANISMS),
    tx_rate=st.floats(0.0, 400.0),
    mev=st.floats(0.0, 5.0),
    consolidate=st.booleans(),
    sidecar_order=st.booleans(),
    bonus=st.floats(0.0, 50.0),
)
def test_tokens_are_conserved_on_every_slot(**draw: object) -> None:
    a, b = sorted(draw["split"])  # type: ignore[arg-type]
    params = load_params(
        overrides={
            "sim.slots": 200,
            "sim.runs": 2,
            "agents.sequencers.initial": 30,
            "agents.sequencers.offline_probability": draw["offline"],
            "agents.sequencers.self_prove_probability": draw["self_prove"],
            "agents.sequencers.reveal_failure_probability": draw["reveal_failure"],
            "agents.provers.unavailable_probability": draw["unavailable"],
            "agents.provers.failure_probability": draw["proof_failure"],
            "agents.provers.count": draw["provers"],
            "agents.provers.initial_balance": draw["prover_balance"],
            "agents.backup.count": draw["builders"],
            "agents.backup.ready_probability": draw["ready"],
            "agents.relays.submission_share": draw["relay"],
            "protocol.slash_bond_on_missed_reveal": draw["slash_on_reveal"],
            "protocol.prover_bond": draw["bond"],
            "protocol.block_reward": draw["reward"],
            "protocol.reward_split.sequencer": a,
            "protocol.reward_split.prover": b - a,
            "protocol.reward_split.submitter": 1.0 - b,
            "agents.sequencers.registrations_per_day": draw["registrations"],
            "agents.sequencers.exits_per_day": draw["exits"],
            "protocol.activation_churn_per_day": draw["churn"],
            "protocol.entry_period_days": 0.3,
            "protocol.exit_delay_days": 0.4,
            "protocol.fee_mechanism": draw["mechanism"],
            "environment.demand.tx_per_second": draw["tx_rate"] / 600,
            "environment.demand.mev_per_public_tx": draw["mev"],
            "protocol.variants.consolidate_proposal_commitment": draw["consolidate"],
            "protocol.variants.sidecar_phase_order": draw["sidecar_order"],
            "protocol.variants.early_reveal_bonus": draw["bonus"],
        }
    )
    assert_conserved(simulate(params).frame, opening_supply(params))


def test_baseline_conserves_tokens_and_rewards_add_up() -> None:
    params = load_params(overrides={"sim.slots": 500, "sim.runs": 2})
    frame = simulate(params).frame
    assert_conserved(frame, opening_supply(params))
    roles = frame[["reward_sequencer", "reward_prover", "reward_submitter", "reward_backup"]].sum(axis=1)
    np.testing.assert_allclose(roles, frame["block_reward"])


def book() -> Book:
    return genesis_book(2, {Account.MARKET: 100.0}, n_provers=1, prover_balance=10.0)


def test_ledger_refuses_to_overdraw_an_account() -> None:
    with pytest.raises(AccountingError, match="PROVER0 would go negative"):
        book().post(Posting(Flow.LOCK, Account.PROVER0, Account.BONDS, np.array([5.0, 11.0])))


def test_ledger_refuses_negative_amounts_and_mints_without_destination() -> None:
    with pytest.raises(AccountingError, match="negative amount"):
        book().post(Posting(Flow.TRANSFER, Account.MARKET, Account.RELAYS, np.array([-1.0, 1.0])))
    with pytest.raises(AccountingError, match="without a destination"):
        book().post(Posting(Flow.MINT, None, None, np.array([1.0, 1.0])))
    with pytest.raises(AccountingError, match="without a source"):
        book().post(Posting(Flow.BURN, None, Account.MARKET, np.array([1.0, 1.0])))


def test_slash_burns_and_is_counted_as_both() -> None:
    b = book().post(Posting(Flow.LOCK, Account.PROVER0, Account.BONDS, np.array([4.0, 4.0])))
    b = b.post(Posting(Flow.SLASH, Account.BONDS, None, np.array([4.0, 0.0])))
    assert b.supply.tolist() == [106.0, 110.0]
    assert b.flows[:, Flow.SLASH].tolist() == [4.0, 0.0]
    assert b.flows[:, Flow.BURN].tolist() == [4.0, 0.0]
    assert b.balances[:, Account.BONDS].tolist() == [0.0, 4.0]


def test_a_non_finite_posting_is_an_accounting_error() -> None:
    book = genesis_book(2, {Account.MARKET: 100.0}, 1, 10.0)
    for bad in (np.nan, np.inf):
        with pytest.raises(AccountingError, match="non-finite"):
            book.post(Posting(Flow.TRANSFER, Account.MARKET, Account.SEQUENCERS, np.array([1.0, bad])))


def test_a_slots_postings_write_its_own_book_never_the_previous_slots() -> None:
    previous = genesis_book(2, {Account.MARKET: 100.0}, 1, 10.0)
    kept = [x.copy() for x in (previous.balances, previous.supply, previous.flows)]
    opened = previous.new_slot(deferred=True)
    posted = opened.post(
        Posting(Flow.MINT, None, Account.SEQUENCERS, np.array([1.0, 2.0])),
        Posting(Flow.BURN, Account.MARKET, None, 3.0),
    )
    assert posted is opened
    assert posted.balances[:, Account.SEQUENCERS].tolist() == [1.0, 2.0]
    assert posted.supply.tolist() == (previous.supply + np.array([-2.0, -1.0])).tolist()
    for x, y in zip(kept, (previous.balances, previous.supply, previous.flows), strict=True):
        np.testing.assert_array_equal(x, y)
    alone = previous.post(Posting(Flow.MINT, None, Account.SEQUENCERS, 1.0))
    assert alone is not previous and previous.balances[:, Account.SEQUENCERS].tolist() == [0.0, 0.0]


def test_a_step_run_alone_leaves_the_states_open_book_as_it_was_and_a_slot_ends_with_its_book_closed() -> (
    None
):
    params = load_params(overrides={"sim.runs": 3, "agents.backup.ready_probability": 1.0})
    ctx, state = state_before(params, "finalization", slot=2)
    book = state["book"]
    assert book.deferred  # the slot's open book
    kept = [x.copy() for x in (book.balances, book.supply, book.flows)]
    after = run_step(ctx, state, "finalization")
    assert (after["book"].flows[:, Flow.MINT] > kept[2][:, Flow.MINT]).any()  # it posted
    for x, y in zip(kept, (book.balances, book.supply, book.flows), strict=True):
        np.testing.assert_array_equal(x, y)
    ended = run_step(ctx, after, "ledger check")["book"]
    assert not ended.deferred
    assert ended.post(Posting(Flow.MINT, None, Account.MARKET, 1.0)) is not ended


def test_a_slots_book_is_checked_once_by_the_slots_last_step() -> None:
    opened = genesis_book(2, {Account.MARKET: 100.0}, 1, 10.0).new_slot(deferred=True)
    overdrawn = opened.post(Posting(Flow.LOCK, Account.PROVER0, Account.BONDS, np.array([5.0, 11.0])))
    with pytest.raises(AccountingError, match="PROVER0 would go negative"):
        overdrawn.check()
    with pytest.raises(AccountingError, match="non-finite"):
        opened.post(Posting(Flow.MINT, None, Account.MARKET, np.array([1.0, np.inf]))).check()
    with pytest.raises(AccountingError, match="non-finite"):
        opened.post(Posting(Flow.MINT, None, Account.MARKET, np.array([1.0, np.nan])))
