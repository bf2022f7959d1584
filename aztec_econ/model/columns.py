"""The per-slot output columns of the model, declared once: name, unit and meaning, in the order of the frame.

`simulate(...).frame` has exactly these columns in this order (tested, for the baseline and with attacks on);
docs/outputs.md is generated from them (`aztec-econ docs outputs`). Balances and supply are at the end of the slot,
sequencer counts at the slot's first L1 block, flows are totals within the slot. Units: L1 blocks of
`protocol.l1_block_seconds`; tokens are the native token; L1 costs are token equivalents of ETH.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One output column: its name, unit ("-" when it has none) and meaning (one line of Markdown)."""

    name: str
    unit: str
    description: str


RUN = Column(
    "run", "-", "global Monte Carlo run index (results of a run depend only on it and the parameters)"
)
"""The first column of every output table."""

FRAME_COLUMNS: tuple[Column, ...] = (
    RUN,
    Column("slot", "slots", "slot index, from 0"),
    Column("l1_block", "L1 blocks", "first L1 block of the slot (`slot * slot_l1_blocks`)"),
    # the block-production pipeline (`model.outcome.SlotOutcome`)
    Column(
        "mode",
        "-",
        "`happy` (finalized via proposal, commitment, reveal, proof), `backup` (won in backup mode) or `skipped` "
        "(no block)",
    ),
    Column(
        "backup_reason",
        "-",
        "why the happy path failed (backup and skipped slots): `no_proposal`, `no_commitment`, `no_reveal`, "
        "`proof_failed`; `none` for happy slots",
    ),
    Column(
        "proposer",
        "key",
        "winning sequencer key (index in the run's key table), -1 if no proposal landed (or, with "
        "`protocol.variants.consolidate_proposal_commitment`, the winner found no prover)",
    ),
    Column("prover", "prover", "committed third-party prover, -1 if none or self-proved"),
    Column("self_proved", "-", "the winning sequencer committed to prove its own block"),
    Column(
        "submitter",
        "-",
        "who submitted the proof: `prover`, `relay`, `sequencer` (self-prover), `backup` (backup builder) or `none`",
    ),
    Column(
        "backup_builder",
        "builder",
        "backup builder whose block won, -1 if none (also when the attacker's pre-built block won)",
    ),
    Column(
        "finalized_l1_block",
        "L1 blocks",
        "L1 block at which the slot's block was verified (its proof on the happy path, its landing in backup "
        "mode), -1 if skipped",
    ),
    # rewards, bonds, flows (`model.mechanisms.rewards`, `backup`, `reveal`, `proving`; the ledger's flow totals)
    Column(
        "block_reward", "tokens", "tokens minted for the slot's block: the four `reward_*` columns together"
    ),
    Column(
        "reward_sequencer",
        "tokens",
        "minted to the sequencers: their share of the block reward of a proven block, plus the early-reveal bonus "
        "(`protocol.variants.early_reveal_bonus`) whenever the data was revealed",
    ),
    Column(
        "reward_prover",
        "tokens",
        "block reward to the committed prover (the sequencers' account if self-proved)",
    ),
    Column(
        "reward_submitter",
        "tokens",
        "block reward to the proof submitter (the prover, a relay, or the self-proving sequencers)",
    ),
    Column(
        "reward_backup",
        "tokens",
        "block reward to the backup builder whose block won (`protocol.backup_reward_share` of the block reward; "
        "the attacker's pre-built block included)",
    ),
    Column(
        "slashed",
        "tokens",
        "prover bond slashed (and burned) in the slot: a failed proof, or a missed reveal with "
        "`protocol.slash_bond_on_missed_reveal`",
    ),
    Column(
        "bond_locked",
        "tokens",
        "bond the committed prover (or the self-proving sequencers) locked in the slot; released at finalization "
        "or after a missed reveal that is not slashed, else slashed",
    ),
    Column("minted", "tokens", "tokens minted in the slot"),
    Column("burned", "tokens", "tokens burned in the slot: slashed bonds, burned fees and burned MEV"),
    # the registry (`model.mechanisms.registry.SequencerFigures`)
    Column("active_sequencers", "keys", "eligible keys"),
    Column(
        "queued_sequencers",
        "keys",
        "registered keys waiting out the entry period (or the churn queue)",
    ),
    Column("exiting_sequencers", "keys", "keys that signalled exit and wait for their stake"),
    Column(
        "registrations", "keys", "registrations in the slot (their stakes move from the market into escrow)"
    ),
    Column("exit_signals", "keys", "exit signals in the slot"),
    Column("stake_releases", "keys", "stakes released in the slot (back to the market)"),
    # the ledger's balances (`model.ledger.Book`)
    Column("total_supply", "tokens", "opening supply + minted - burned"),
    Column("staked", "tokens", "sequencer stakes in escrow"),
    Column(
        "bonded",
        "tokens",
        "prover bonds in escrow at the end of the slot (bonds are released or slashed within their slot, so this "
        "is 0 unless a mechanism keeps one open)",
    ),
    Column("liquid", "tokens", "all liquid balances: market, sequencers, provers, relays, backup builders"),
    Column(
        "balance_market",
        "tokens",
        "liquid tokens outside the protocol (users pay fees from here, new stakes come from here, released "
        "stakes return here)",
    ),
    Column("balance_sequencers", "tokens", "liquid balance of all sequencer keys together"),
    Column("balance_provers", "tokens", "liquid balance of all third-party provers together"),
    Column("balance_relays", "tokens", "liquid balance of relays"),
    Column(
        "balance_backup",
        "tokens",
        "liquid balance of backup builders (the attacker's pre-built backup rewards included)",
    ),
    # the L1 adversary (`model.mechanisms.adversary.slot_columns`)
    Column(
        "attacker_won",
        "-",
        "an attacker key won the slot's election (whatever happened to its block), or the attacker's pre-built "
        "block won backup mode (`attacks`)",
    ),
    Column(
        "l1_blocks_withheld",
        "L1 blocks",
        "L1 blocks the attacker withheld to set the RANDAO value of the slot's election",
    ),
    Column(
        "l1_value_forfeited",
        "tokens",
        "L1 proposer value forfeited by them (`l1_blocks_withheld * attacks.randao.l1_block_value`)",
    ),
    Column("censored_l1_blocks", "L1 blocks", "L1 blocks of the slot built by censoring builders"),
    Column(
        "proposal_censored",
        "-",
        "every L1 block of the slot's proposal phase was built by a censoring builder (honest proposals could not "
        "land if `proposal` is one of `attacks.censorship.phases`)",
    ),
    Column(
        "inclusion_delay",
        "L1 blocks",
        "blocks from the proposal phase's start to its first block not built by a censoring builder (0 for the "
        "attacker's keys and without censorship; counted whenever `attacks.censorship.builder_share > 0`, whichever "
        "phases are censored), -1 if no proposal landed or no such block exists",
    ),
    Column("proposals", "proposals", "proposals that landed on L1 in the slot (each pays its gas)"),
    # the economics (`model.mechanisms.economics`)
    Column(
        "base_fee",
        "tokens/mana",
        "base fee the slot's block faced (0 unless `protocol.fee_mechanism` is `base_fee_burn`)",
    ),
    Column(
        "fees_paid",
        "tokens",
        "fees users paid for the block's transactions (0 for a skipped slot: its transactions wait)",
    ),
    Column(
        "fees_burned",
        "tokens",
        "fees burned (the base fee under `base_fee_burn`, all fees under `full_burn`)",
    ),
    Column(
        "tips",
        "tokens",
        "fees to the block producer (sequencers on the happy path, backup builders in backup mode); "
        "`fees_paid == fees_burned + tips`",
    ),
    Column("mev", "tokens", "MEV of the block's public-state transactions"),
    Column("mev_burned", "tokens", "MEV burned (`mev_burn`); the producer keeps `mev - mev_burned`"),
    Column("l1_gas_price", "gwei", "L1 gas price of the slot"),
    Column("blob_price", "gwei/blob gas", "blob gas price of the slot"),
    Column(
        "l1_cost",
        "tokens",
        "all L1 costs of the slot (the four `l1_cost_*` columns; ETH, outside the ledger, converted at "
        "`environment.l1.eth_per_token`)",
    ),
    Column(
        "l1_cost_sequencer",
        "tokens",
        "sequencers' L1 costs: every landed proposal, the winner's reveal (gas + blobs), and a self-prover's "
        "commitment and (unless a relay submits) proof verification",
    ),
    Column(
        "l1_cost_prover",
        "tokens",
        "the committed third-party prover's L1 costs: commitment, and the proof verification when it submits",
    ),
    Column("l1_cost_relay", "tokens", "a relay's proof verification"),
    Column("l1_cost_backup", "tokens", "the winning backup builder's submission (gas + blobs)"),
    Column(
        "proving_cost",
        "tokens",
        "compute cost of proving the block (third-party prover or self-prover; incurred once the data is revealed)",
    ),
    Column(
        "prover_price",
        "tokens",
        "price the sequencers paid the committed third-party prover (happy path only; a ledger transfer)",
    ),
    Column("txs_included", "txs", "transactions in the slot's block (0 if skipped)"),
    Column(
        "txs_pending",
        "txs",
        "transactions waiting in the mempool at the end of the slot (before the next arrivals)",
    ),
    Column("txs_expired", "txs", "transactions that expired in the slot (`environment.demand.expiry_slots`)"),
    Column(
        "txs_arrived",
        "txs",
        "transactions submitted during the slot (for the next block); identical under every fee mechanism",
    ),
    Column("capacity_used", "mana", "capacity the slot's block used (0 if skipped)"),
    # computed after the run from the columns above (`model.mechanisms.governance.votes`)
    Column(
        "vote",
        "-",
        "upgrade vote the slot's block carries: `yes`, `no`, or `none` (no block counted; see "
        "`model.mechanisms.governance`)",
    ),
)
"""Every column of `simulate(...).frame`, in frame order."""
