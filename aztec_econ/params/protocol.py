"""The `protocol` section: what the protocol, and so governance, chooses.

Phase lengths, entry and exit delays, stake and bond, the block reward and its split, the fee mechanism and its
base fee, the L1 gas each action costs, and the design variants from the spec's open questions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from aztec_econ.params.fields import Group, field

SECONDS_PER_DAY = 86_400


class RewardSplit(Group):
    """How the block reward is split at finalization (spec: Economics; the ratio is left to modelling)."""

    sequencer: float = field(
        unit="share", source="assumption", doc="Share of the block reward to the sequencer", ge=0, le=1
    )
    prover: float = field(
        unit="share", source="assumption", doc="Share of the block reward to the committed prover", ge=0, le=1
    )
    submitter: float = field(
        unit="share",
        source="assumption",
        doc="Share of the block reward to the address that submits the proof",
        ge=0,
        le=1,
    )


class BaseFee(Group):
    """EIP-1559 base fee per unit of block capacity (`fee_mechanism: base_fee_burn`); its priority fee also applies
    to `cost_based`."""

    initial: float = field(unit="tokens/mana", source="assumption", doc="Base fee of the first block", ge=0)
    target_utilisation: float = field(
        unit="share",
        source="assumption (EIP-1559: half the limit)",
        doc="Capacity share at which the base fee stays unchanged",
        gt=0,
        lt=1,
    )
    max_change: float = field(
        unit="share/block",
        source="assumption (EIP-1559: 1/8)",
        doc="Largest relative change per block (full block: +max_change, empty block: -max_change)",
        ge=0,
        lt=1,
    )

    priority_fee: float = field(
        unit="tokens/mana",
        source="assumption (EIP-1559: a small tip to the producer)",
        doc="Priority fee users add to the base fee (base_fee_burn, cost_based): a transaction is includable when "
        "its value covers base fee + priority fee, pays exactly that, and the producer keeps the priority fee",
        ge=0,
    )
    floor: float = field(
        unit="tokens/mana",
        source="assumption",
        doc="Lowest base fee (base_fee_burn): with demand below the target the base fee falls to it",
        ge=0,
    )


class CostBased(Group):
    """A base fee that covers the cost of a block (`fee_mechanism: cost_based`; the design Aztec adopted later, and
    the prior BlockScience v2 model of it): per mana, the L1 gas of a block's proposal, commitment, reveal and proof
    verification and its blobs at the oracle's gas and blob prices (a full block's, spread over its capacity), plus
    proving compute per mana, times exp(excess mana / update_fraction) when `congestion` is on (the excess grows by
    each block's use above the target and shrinks below it, never under 0, as EIP-4844's blob fee)."""

    proving_cost_per_mana: float = field(
        unit="tokens/mana",
        source="assumption (about a prover's compute cost per block over the block's capacity)",
        doc="Proving compute the base fee recovers per unit of capacity",
        ge=0,
    )
    oracle_lag_slots: int = field(
        unit="slots",
        source="assumption (an on-chain oracle updated with a delay)",
        doc="The fee reads the L1 prices of this many slots before",
        ge=1,
        le=64,
    )
    congestion: bool = field(
        unit="-",
        source="assumption",
        doc="Whether the congestion multiplier applies (off: the cost part only)",
    )
    target_utilisation: float = field(
        unit="share",
        source="assumption",
        doc="Capacity share above which a block adds to the excess mana",
        gt=0,
        lt=1,
    )
    update_fraction: float = field(
        unit="mana",
        source="assumption (EIP-4844 style: the excess that multiplies the fee by e)",
        doc="Excess mana at which the congestion multiplier reaches e",
        gt=0,
    )
    burn_congestion: bool = field(
        unit="-",
        source="assumption",
        doc="Whether the congestion premium (the fee above its cost part) is burned; otherwise the producer keeps it",
    )


class L1Gas(Group):
    """L1 gas each action costs (paid in ETH by its actor at the slot's L1 prices)."""

    proposal: float = field(unit="gas", source="assumption", doc="Gas of one block proposal", ge=0)
    commitment: float = field(
        unit="gas",
        source="assumption",
        doc="Gas of a prover commitment (paid by the prover: it posts the bond)",
        ge=0,
    )
    reveal: float = field(
        unit="gas", source="assumption", doc="Execution gas of the reveal transaction (blobs are extra)", ge=0
    )
    verification: float = field(
        unit="gas",
        source="assumption",
        doc="Gas of submitting and verifying the proof (paid by the submitter)",
        ge=0,
    )
    backup: float = field(
        unit="gas",
        source="assumption",
        doc="Gas of a backup-mode submission (block and proof; blobs extra)",
        ge=0,
    )
    blobs_per_full_block: float = field(
        unit="blobs",
        source="assumption (spec: Block production 3, EIP-4844 blobs)",
        doc="Blobs a full block's data needs (a block uses ceil(share used x this), at least one)",
        ge=0,
    )


class Variants(Group):
    """Design variants from the spec's open questions (NOTES.md); each is a switch compared under the same seeds."""

    consolidate_proposal_commitment: bool = field(
        unit="-",
        source="spec: open question (one L1 interaction for proposal and commitment)",
        doc="Proposal and prover commitment in one L1 transaction: every proposer lines up a prover first; the "
        "commitment gas is folded into the proposal's and a proposer without a prover cannot propose",
    )
    reward_decay_per_l1_block: float = field(
        unit="share/L1 block",
        source="spec: open question (decaying reward instead of enforced deadlines)",
        doc="Block reward shrinks by this share per L1 block the proof lands after the proving phase opens "
        "(0: the spec's enforced deadline with a flat reward; proofs still land within the phase or fail)",
        ge=0,
        le=1,
    )
    early_reveal_bonus: float = field(
        unit="tokens",
        source="spec: open question (bonus for revealing block data early)",
        doc="Tokens minted to the sequencer when its block data is revealed (happy path); 0 turns it off "
        "(reveal failures are exogenous, so it moves payouts, not behaviour)",
        ge=0,
    )
    sidecar_phase_order: bool = field(
        unit="-",
        source="spec vs Sidecar forum post (NOTES.md, phase order)",
        doc="Commitment after reveal (Sidecar post): the sequencer reveals, and pays for the blobs, before a prover "
        "commits; a missed reveal then puts no bond at stake",
    )


class Protocol(Group):
    """What the protocol (and so governance) chooses."""

    l1_block_seconds: float = field(
        unit="seconds", source="spec: Overview (Ethereum 12 s blocks)", doc="L1 block time", gt=0
    )
    slot_l1_blocks: int = field(
        unit="L1 blocks", source="spec: Overview (7-10 minutes)", doc="Length of an L2 slot", ge=1
    )
    proposal_phase_l1_blocks: int = field(
        unit="L1 blocks", source="spec: Block production 1 (Sidecar: 3-5)", doc="Proposal phase length", ge=1
    )
    commitment_phase_l1_blocks: int = field(
        unit="L1 blocks", source="spec: Backup mode diagram (5)", doc="Prover commitment phase length", ge=1
    )
    reveal_phase_l1_blocks: int = field(
        unit="L1 blocks", source="assumption", doc="Reveal (data to DA) phase length", ge=1
    )
    proving_phase_l1_blocks: int = field(
        unit="L1 blocks", source="assumption", doc="Proving phase length", ge=1
    )
    backup_phase_l1_blocks: int = field(
        unit="L1 blocks", source="assumption", doc="Backup (race) phase length", ge=1
    )
    entry_period_days: float = field(
        unit="days",
        source="spec: Registration (7 days)",
        doc="Delay from registration to election eligibility",
        ge=0,
    )
    exit_delay_days: float = field(
        unit="days",
        source="spec: Exiting (3-7 days; default 7, NOTES.md)",
        doc="Delay from exit signal to stake release",
        ge=0,
    )
    activation_churn_per_day: int = field(
        unit="keys/day",
        source="assumption (Ethereum's churn limit as reference design)",
        doc="At most this many activations per day, the rest wait in a FIFO queue; 0 means no limit",
        ge=0,
    )
    minimum_stake: float = field(
        unit="tokens",
        source="assumption (spec: 'to be determined')",
        doc="Stake a key must lock; keys lock exactly this (scores are not stake-weighted, so more buys nothing)",
        ge=0,
    )
    randao_lag_l1_blocks: int = field(
        unit="L1 blocks",
        source="assumption (spec: Constraining Randao, lag not specified)",
        doc="A slot's election reads the RANDAO value stored this many blocks before the slot's first L1 block: "
        "the winner and its prover learn of the slot this long ahead (spec: 'so that the sequencer can ramp up "
        "their hardware in time')",
        ge=1,
        le=1_000_000,
    )
    prover_bond: float = field(
        unit="tokens",
        source="assumption (spec: 'amount X')",
        doc="Bond a committed prover locks; slashed if not finalized",
        ge=0,
    )
    block_reward: float = field(
        unit="tokens",
        source="assumption",
        doc="Tokens minted for a finalized block (derived from issuance_per_year when that is set)",
        ge=0,
    )
    issuance_per_year: float | None = field(
        unit="tokens/year",
        source="assumption",
        doc="If set, block_reward = this / the slots of a year (every slot finalized), so sweeps over the slot "
        "length hold yearly issuance fixed; null: block_reward as given",
        ge=0,
    )
    reward_split: RewardSplit
    backup_reward_share: float = field(
        unit="share",
        source="assumption (spec: backup mode pays 'as the parameters say')",
        doc="Share of the block reward minted for a backup-mode block (all of it to the backup builder)",
        ge=0,
        le=1,
    )
    slash_bond_on_missed_reveal: bool = field(
        unit="-",
        source="spec: Block production 2 (bond slashed 'if the block is not finalized')",
        doc="Whether the prover's bond is also slashed when the sequencer fails to reveal",
    )
    upgrade_vote_window_days: float = field(
        unit="days",
        source="spec: Voting on upgrades ('a minimum duration of 7 days')",
        doc="Length of an upgrade-vote window (rounded to whole slots, at least one)",
        gt=0,
    )
    upgrade_vote_threshold: float = field(
        unit="share",
        source="spec: Voting on upgrades ('a majority')",
        doc="A window passes when its yes votes exceed this share of the blocks counted in it",
        ge=0,
        lt=1,
    )
    fee_mechanism: Literal["first_price", "base_fee_burn", "full_burn", "mev_burn", "cost_based"] = field(
        unit="-",
        source="spec: Economics (first-price fees kept by sequencers; fee burn and MEV burn under consideration)",
        doc="first_price: the block producer keeps all fees; base_fee_burn: EIP-1559 base fee burned, tips kept; "
        "full_burn: every fee burned; mev_burn: first-price fees kept, `mev_burn_share` of MEV burned; "
        "cost_based: a base fee that covers the block's L1 and proving costs (`cost_based`), plus the priority fee",
    )
    block_capacity: float = field(
        unit="mana",
        source="assumption",
        doc="Capacity of one block (transactions fit while their sizes do)",
        gt=0,
    )
    base_fee: BaseFee
    cost_based: CostBased
    mev_burn_share: float = field(
        unit="share",
        source="assumption (spec: MEV burn under consideration)",
        doc="Share of public-state MEV burned under `fee_mechanism: mev_burn`",
        ge=0,
        le=1,
    )
    l1_gas: L1Gas
    variants: Variants

    @model_validator(mode="after")
    def _derive_block_reward(self) -> Protocol:
        """With `issuance_per_year` set, the block reward is what a year of finalized slots mints in total."""
        if self.issuance_per_year is not None:
            object.__setattr__(self, "block_reward", self.issuance_per_year / (365.0 * self.slots_per_day))
        return self

    @property
    def slot_seconds(self) -> float:
        """Length of a slot in seconds (600 with 50 blocks of 12 s)."""
        return self.slot_l1_blocks * self.l1_block_seconds

    @property
    def blocks_per_day(self) -> float:
        """L1 blocks per day (7,200 at 12 s)."""
        return SECONDS_PER_DAY / self.l1_block_seconds

    @property
    def entry_period_l1_blocks(self) -> int:
        """Entry period in whole L1 blocks (rounded)."""
        return round(self.entry_period_days * self.blocks_per_day)

    @property
    def exit_delay_l1_blocks(self) -> int:
        """Exit delay in whole L1 blocks (rounded)."""
        return round(self.exit_delay_days * self.blocks_per_day)

    @property
    def slots_per_day(self) -> float:
        """L2 slots per day (144 with 50-block slots)."""
        return self.blocks_per_day / self.slot_l1_blocks

    @property
    def phase_l1_blocks(self) -> int:
        """Total length of the five phases; must fit in the slot."""
        return (
            self.proposal_phase_l1_blocks
            + self.commitment_phase_l1_blocks
            + self.reveal_phase_l1_blocks
            + self.proving_phase_l1_blocks
            + self.backup_phase_l1_blocks
        )
