"""The parameter model: one frozen, validated structure for everything a simulation depends on.

Every field carries its unit and its source (a section of `shared/spec/block-production.md`, or "assumption" where the
spec leaves the value open; see `shared/spec/NOTES.md`). Values live in `params/baseline.yaml`; other files extend it
with `base: baseline.yaml` and override what they change. Bad input fails before anything runs with a message naming
the field, the value and the rule (`ParamsError`).

Groups: `sim` (horizon, runs, seed), `protocol` (what governance chooses), `environment` (exogenous), `agents`
(behaviour of sequencers, provers, relays and backup builders).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASELINE = PROJECT_ROOT / "params" / "baseline.yaml"
SECONDS_PER_DAY = 86_400


class ParamsError(ValueError):
    """Invalid parameters: each line names the field, the value and the rule it breaks."""

    def __init__(self, problems: list[str], origin: str = "parameters") -> None:
        self.problems = problems
        super().__init__(f"invalid {origin}:\n" + "\n".join(f"  - {p}" for p in problems))


def field(default: Any = ..., *, unit: str, source: str, doc: str, **constraints: Any) -> Any:
    """A pydantic field whose description carries the unit and the source (spec section or 'assumption')."""
    return Field(
        default,
        description=f"{doc} [{unit}; source: {source}]",
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Sim(_Group):
    """How much to simulate."""

    slots: int = field(
        unit="slots",
        source="assumption",
        doc="Horizon in L2 slots (52,560 ten-minute slots = one year)",
        ge=1,
    )
    runs: int = field(unit="runs", source="assumption", doc="Monte Carlo runs", ge=1)
    seed: int = field(
        unit="-", source="assumption", doc="Root seed; every random draw derives from it", ge=0, lt=2**63
    )


class RewardSplit(_Group):
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


class BaseFee(_Group):
    """EIP-1559-style base fee per unit of block capacity (used by `fee_mechanism: base_fee_burn`)."""

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


class L1Gas(_Group):
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


class Variants(_Group):
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


class Protocol(_Group):
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
        doc="A slot's election reads the RANDAO value stored this many blocks before the slot's first L1 block",
        ge=0,
    )
    prover_bond: float = field(
        unit="tokens",
        source="assumption (spec: 'amount X')",
        doc="Bond a committed prover locks; slashed if not finalized",
        ge=0,
    )
    block_reward: float = field(
        unit="tokens", source="assumption", doc="Tokens minted for a finalized block", ge=0
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
    fee_mechanism: Literal["first_price", "base_fee_burn", "full_burn", "mev_burn"] = field(
        unit="-",
        source="spec: Economics (first-price fees kept by sequencers; fee burn and MEV burn under consideration)",
        doc="first_price: the block producer keeps all fees; base_fee_burn: EIP-1559 base fee burned, tips kept; "
        "full_burn: every fee burned; mev_burn: first-price fees kept, `mev_burn_share` of MEV burned",
    )
    block_capacity: float = field(
        unit="mana",
        source="assumption",
        doc="Capacity of one block (transactions fit while their sizes do)",
        gt=0,
    )
    base_fee: BaseFee
    mev_burn_share: float = field(
        unit="share",
        source="assumption (spec: MEV burn under consideration)",
        doc="Share of public-state MEV burned under `fee_mechanism: mev_burn`",
        ge=0,
        le=1,
    )
    l1_gas: L1Gas
    variants: Variants

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


class Demand(_Group):
    """Users' transactions (arrivals, sizes, bids, MEV). Drawn from their own stream: the same seed gives the same
    demand under every fee mechanism."""

    tx_rate_per_slot: float = field(
        unit="txs/slot", source="assumption", doc="Mean Poisson arrivals per slot at the start", ge=0, le=1e6
    )
    trend_per_year: float = field(
        unit="share/year",
        source="assumption",
        doc="Compound growth of the arrival rate per year",
        gt=-1,
        le=100,
    )
    shock_probability: float = field(
        unit="probability", source="assumption", doc="Chance per slot that a demand shock starts", ge=0, le=1
    )
    shock_multiplier: float = field(
        unit="x", source="assumption", doc="Arrival rate multiplier while a shock lasts", ge=0, le=1000
    )
    shock_slots: int = field(unit="slots", source="assumption", doc="Length of a demand shock", ge=1)
    tx_size: float = field(unit="mana", source="assumption", doc="Capacity one transaction uses", gt=0)
    bid_distribution: Literal["uniform", "lognormal"] = field(
        unit="-",
        source="assumption",
        doc="uniform on [0, bid_scale] (a linear demand curve) or lognormal with median bid_scale",
    )
    bid_scale: float = field(
        unit="tokens/mana", source="assumption", doc="Top of the uniform bids, or the lognormal median", gt=0
    )
    bid_sigma: float = field(
        unit="-", source="assumption", doc="Log-standard deviation of lognormal bids", ge=0, le=10
    )
    bid_buckets: int = field(
        unit="buckets",
        source="assumption (model resolution)",
        doc="Bids are the mid-quantiles of this many equal-probability buckets",
        ge=1,
        le=256,
    )
    expiry_slots: int = field(
        unit="slots",
        source="assumption",
        doc="A transaction not included within this many slots expires",
        ge=1,
        le=256,
    )
    public_share: float = field(
        unit="share",
        source="spec: Mev-boost (only public-state transactions carry MEV)",
        doc="Share of transactions touching public state",
        ge=0,
        le=1,
    )
    mev_per_public_tx: float = field(
        unit="tokens",
        source="assumption",
        doc="Mean MEV per included public-state transaction (per slot: this x public txs x an Exp(1) draw)",
        ge=0,
    )


class L1(_Group):
    """Ethereum L1 prices and finality. L1 costs are paid in ETH, outside the token ledger (docs/outputs.md)."""

    process: Literal["steady", "shock", "mean_reverting"] = field(
        unit="-",
        source="assumption",
        doc="steady: constant prices; shock: constant with shocks; mean_reverting: log-OU around the medians",
    )
    price_file: str = field(
        unit="path",
        source="assumption",
        doc="CSV with columns l1_gas_price,blob_price (gwei, one row per slot, cycled); non-empty overrides `process`",
    )
    gas_price: float = field(unit="gwei", source="assumption", doc="Median L1 gas price", ge=0)
    blob_price: float = field(unit="gwei/blob gas", source="assumption", doc="Median blob gas price", ge=0)
    volatility: float = field(
        unit="log/slot",
        source="assumption",
        doc="Per-slot standard deviation of log prices (mean_reverting)",
        ge=0,
        le=5,
    )
    reversion: float = field(
        unit="share/slot",
        source="assumption",
        doc="Share of the log-price gap to the median closed per slot (mean_reverting)",
        gt=0,
        le=1,
    )
    shock_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance per slot that a price shock starts (shock)",
        ge=0,
        le=1,
    )
    shock_multiplier: float = field(
        unit="x", source="assumption", doc="Price multiplier while a shock lasts (shock)", ge=0, le=1e4
    )
    shock_slots: int = field(unit="slots", source="assumption", doc="Length of a price shock", ge=1)
    eth_per_token: float = field(
        unit="ETH/token",
        source="assumption",
        doc="Token price: converts ETH costs to token equivalents",
        gt=0,
    )
    finality_blocks: int = field(
        unit="L1 blocks",
        source="assumption (Ethereum finality: about two epochs)",
        doc="Further L1 blocks until an L1 transaction is final (confirmation list's last stage)",
        ge=0,
    )


class Environment(_Group):
    """Exogenous conditions."""

    circulating_supply: float = field(
        unit="tokens",
        source="assumption",
        doc="Liquid tokens held outside the protocol at genesis ('market'); new sequencer stakes come from here",
        ge=0,
    )
    demand: Demand
    l1: L1


class Sequencers(_Group):
    """Sequencer keys: one key = one ticket in the election (not stake-weighted, NOTES.md)."""

    initial: int = field(
        unit="keys", source="assumption", doc="Keys active at the start (an empty set is invalid)", ge=1
    )
    initial_balance: float = field(
        unit="tokens",
        source="assumption",
        doc="Liquid tokens per initial key (funds self-proving bonds)",
        ge=0,
    )
    registrations_per_day: float = field(
        unit="keys/day", source="assumption", doc="Poisson rate of new key registrations", ge=0, le=10_000
    )
    exits_per_day: float = field(
        unit="keys/day",
        source="assumption",
        doc="Poisson rate of exit signals (each from a uniformly chosen active key)",
        ge=0,
        le=10_000,
    )
    offline_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance a key is offline in a slot (per key per slot)",
        ge=0,
        le=1,
    )
    proposers_per_slot: int = field(
        unit="keys",
        source="assumption (spec: 'may choose to submit')",
        doc="How many top-ranked keys try to propose",
        ge=1,
    )
    self_prove_probability: float = field(
        unit="probability",
        source="assumption (spec: Provers)",
        doc="Chance the winner proves its own block",
        ge=0,
        le=1,
    )
    reveal_failure_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance the winner fails to publish its block data in the reveal phase",
        ge=0,
        le=1,
    )
    prover_strategy: Literal["cheapest", "most_reliable", "self_prove_when_able"] = field(
        unit="-",
        source="spec: Provers (Sidecar: the winner picks a prover off-protocol)",
        doc="cheapest quote (own proving counted at cost); most reliable prover (ties: cheapest); self-prove "
        "whenever able (proving hardware: `self_prove_probability`, and the bond), else cheapest",
    )
    proving_cost_per_block: float = field(
        unit="tokens", source="assumption", doc="Compute cost of proving its own block", ge=0
    )
    operating_cost_per_day: float = field(
        unit="ETH/day",
        source="assumption (spec: Participants, 16-32 cores, 32-64 GB, 3-5 TB, 32-256 Mb/s)",
        doc="Operating cost of one sequencer key's node",
        ge=0,
    )
    profit_driven_entry_exit: bool = field(
        unit="-",
        source="assumption",
        doc="Registration and exit rates follow the sequencers' APR so far (see `apr_sensitivity`)",
    )
    target_apr: float = field(
        unit="share/year",
        source="assumption",
        doc="APR at which registrations and exits keep their base rates (profit-driven entry and exit)",
        ge=-10,
        le=10,
    )
    apr_sensitivity: float = field(
        unit="1/(share/year)",
        source="assumption",
        doc="Each day: registrations x clip(1 + s (APR - target), 0, max), exits x clip(1 - s (APR - target), 0, max)",
        ge=0,
    )
    max_rate_multiplier: float = field(
        unit="x",
        source="assumption",
        doc="Largest multiplier of the base registration and exit rates (profit-driven entry and exit)",
        ge=1,
        le=100,
    )


class Provers(_Group):
    """Third-party provers (Sidecar: out-of-protocol, unregistered)."""

    count: int = field(
        unit="provers", source="assumption", doc="Number of third-party provers", ge=0, le=10_000
    )
    initial_balance: float = field(
        unit="tokens", source="assumption", doc="Liquid tokens per prover (bonds come from here)", ge=0
    )
    unavailable_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance a prover does not quote in a slot (per prover per slot)",
        ge=0,
        le=1,
    )
    failure_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance a committed prover fails to deliver the proof in time (the mean over provers)",
        ge=0,
        le=1,
    )
    cost_per_block: float = field(
        unit="tokens", source="assumption", doc="Mean compute cost of proving one block", ge=0
    )
    cost_spread: float = field(
        unit="share",
        source="assumption",
        doc="Prover i costs cost_per_block x (1 - spread x z_i), z_i evenly spaced in [-1, 1]",
        ge=0,
        le=1,
    )
    failure_spread: float = field(
        unit="share",
        source="assumption",
        doc="Prover i fails with failure_probability x (1 + spread x z_i): cheaper provers are less reliable",
        ge=0,
        le=1,
    )
    capacity: float = field(
        unit="mana",
        source="assumption",
        doc="Largest block a prover can prove within the proving phase",
        gt=0,
    )
    bond_budget: float = field(
        unit="tokens", source="assumption", doc="Largest bond a prover puts at stake for one block", ge=0
    )
    margin: float = field(
        unit="share", source="assumption", doc="Mark-up on the break-even price in a quote", ge=0, le=10
    )
    operating_cost_per_day: float = field(
        unit="ETH/day",
        source="assumption (spec: Participants, hardware figures)",
        doc="Operating cost of one prover",
        ge=0,
    )


class Relays(_Group):
    """Proof submitters that are not the prover (spec: Finalization, 'could be anyone such as a relay')."""

    submission_share: float = field(
        unit="share",
        source="assumption",
        doc="Share of happy-path proofs submitted by a separate relay",
        ge=0,
        le=1,
    )


class BackupBuilders(_Group):
    """Parties that race in backup mode with a block and its proof (spec: Backup mode)."""

    count: int = field(
        unit="builders",
        source="assumption",
        doc="Parties able to submit a proven block in backup mode",
        ge=0,
        le=10_000,
    )
    ready_probability: float = field(
        unit="probability",
        source="assumption",
        doc="Chance each builder has a proven block ready when backup opens",
        ge=0,
        le=1,
    )


class Agents(_Group):
    """Behaviour of the participants."""

    sequencers: Sequencers
    provers: Provers
    relays: Relays
    backup: BackupBuilders


class RandaoAttack(_Group):
    """An attacker biasing the RANDAO value an election reads (spec: Constraining Randao; NOTES.md, RANDAO bias).

    See `model.mechanisms.randao_attack` for the strategies.
    """

    sequencer_share: float = field(
        unit="share",
        source="assumption",
        doc="Share p of the initial keys the attacker owns (exactly round(p x initial keys) of them)",
        ge=0,
        le=1,
    )
    l1_proposer_share: float = field(
        unit="probability",
        source="assumption",
        doc="Chance beta that the attacker proposes a given L1 block (independently per block)",
        ge=0,
        le=1,
    )
    strategy: Literal["none", "reroll", "tail"] = field(
        unit="-",
        source="assumption",
        doc="none: honest; reroll: withhold the election's RANDAO block when it would lose; tail: also use runs "
        "of consecutive L1 blocks it proposes",
    )
    l1_block_value: float = field(
        unit="tokens",
        source="assumption",
        doc="Proposer reward and fees an L1 proposer forfeits per withheld L1 block (valued in tokens)",
        ge=0,
    )


class CensorshipAttack(_Group):
    """Censoring L1 builders (spec: Backup mode, 'Known potential issue: L1 censorship'; NOTES.md)."""

    builder_share: float = field(
        unit="probability",
        source="assumption (aztec-gddt measured ~63% of post-Dencun blocks from builders it labelled censoring)",
        doc="Stationary chance c that an L1 block is built by a censoring builder",
        ge=0,
        le=1,
    )
    autocorrelation: float = field(
        unit="-",
        source="assumption",
        doc="rho: lag-1 autocorrelation of the censored/uncensored two-state Markov chain (0 = independent)",
        ge=0,
        lt=1,
    )
    phases: list[Literal["proposal", "commitment", "reveal", "proof"]] = field(
        unit="-",
        source="assumption",
        doc="Which honest transactions censoring builders keep out: proposals, prover commitments, reveals, proofs",
    )
    prebuilt_backup: bool = field(
        unit="-",
        source="spec: Backup mode ('they could have a block pre-built and proven')",
        doc="The colluding party keeps a proven block ready and wins backup mode whenever it opens",
    )


class Attacks(_Group):
    """Adversaries. The attacker's keys (`randao.sequencer_share`) are the colluding party in every attack."""

    randao: RandaoAttack
    censorship: CensorshipAttack


class Governance(_Group):
    """Upgrade votes carried by blocks (spec: Voting on upgrades)."""

    support_share: float = field(
        unit="share",
        source="assumption",
        doc="Share of the initial keys (exactly round(share x keys)) signalling support at the start",
        ge=0,
        le=1,
    )
    support_share_end: float = field(
        unit="share",
        source="assumption",
        doc="Support share reached at the end of the ramp (equal to support_share for constant support)",
        ge=0,
        le=1,
    )
    ramp_days: float = field(
        unit="days",
        source="assumption",
        doc="Support moves linearly from support_share to support_share_end over this time (0: at once)",
        ge=0,
    )
    count_backup_blocks: bool = field(
        unit="-",
        source="assumption (spec: votes ride on proposals; backup blocks have none)",
        doc="Whether backup-mode blocks count in a window (as no votes, unless the attacker built them)",
    )
    attacker_vote: Literal["follow", "yes", "no"] = field(
        unit="-",
        source="assumption",
        doc="How the attacker's keys vote: follow (like any key), yes (all support) or no (none supports)",
    )


class Params(_Group):
    """Everything a simulation depends on. Frozen; build variants with `with_overrides`."""

    sim: Sim
    protocol: Protocol
    environment: Environment
    agents: Agents
    attacks: Attacks
    governance: Governance

    @model_validator(mode="after")
    def _check_relations(self) -> Params:
        problems = list(_relation_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def with_overrides(self, overrides: Mapping[str, Any]) -> Params:
        """A new `Params` with dotted overrides applied (validated like a file)."""
        tree = self.model_dump(mode="python")
        _apply_dotted(tree, overrides)
        return parse_params(tree)

    def flat(self) -> dict[str, Any]:
        """Parameters as a flat dict of dotted names."""
        return dict(_flatten(self.model_dump(mode="json")))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys): identical parameters give identical text."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _relation_problems(p: Params) -> Iterator[str]:
    split = p.protocol.reward_split
    total = split.sequencer + split.prover + split.submitter
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        yield (
            f"protocol.reward_split = {{sequencer: {split.sequencer}, prover: {split.prover}, "
            f"submitter: {split.submitter}}}: shares must sum to 1 (they sum to {total:g})"
        )
    pr = p.protocol
    if pr.phase_l1_blocks > pr.slot_l1_blocks:
        yield (
            f"protocol.slot_l1_blocks = {pr.slot_l1_blocks}: the phases (proposal {pr.proposal_phase_l1_blocks} + "
            f"commitment {pr.commitment_phase_l1_blocks} + reveal {pr.reveal_phase_l1_blocks} + proving "
            f"{pr.proving_phase_l1_blocks} + backup {pr.backup_phase_l1_blocks} = {pr.phase_l1_blocks} L1 blocks) "
            "must fit in the slot"
        )
    yield from _attack_problems(p)
    yield from _economics_problems(p)


def _economics_problems(p: Params) -> Iterator[str]:
    path = p.environment.l1.price_file
    if path:
        from aztec_econ.model.mechanisms.l1_prices import PriceFileError, read_price_file

        try:
            read_price_file(path)
        except PriceFileError as err:
            yield f"environment.l1.price_file = {path!r}: {err}"
    d = p.environment.demand
    if d.tx_size > p.protocol.block_capacity:
        yield (
            f"environment.demand.tx_size = {d.tx_size}: a transaction must fit in a block "
            f"(protocol.block_capacity = {p.protocol.block_capacity})"
        )


def _attack_problems(p: Params) -> Iterator[str]:
    phases = p.attacks.censorship.phases
    if len(set(phases)) != len(phases):
        yield f"attacks.censorship.phases = {phases!r}: each phase may appear once"
    if p.attacks.randao.strategy != "none" and p.protocol.slot_l1_blocks <= 8:
        yield (
            f"attacks.randao.strategy = {p.attacks.randao.strategy!r}: needs protocol.slot_l1_blocks > 8 (the "
            f"attacker's look-around of L1 blocks must not reach the next slot's RANDAO block), got "
            f"{p.protocol.slot_l1_blocks}"
        )


# ---------------------------------------------------------------------------------------------------------------------
# Loading


def load_params(path: str | Path = BASELINE, overrides: Mapping[str, Any] | None = None) -> Params:
    """Load a YAML parameter file (following `base:` chains), apply dotted overrides, validate.

    `overrides` maps dotted names to values, e.g. `{"protocol.prover_bond": 20}`.
    """
    tree = load_tree(path)
    if overrides:
        _apply_dotted(tree, overrides)
    return parse_params(tree, origin=str(path))


def load_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw parameter tree of a YAML file with its `base:` chain merged (the file wins over its base)."""
    path = Path(path).resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ParamsError([f"base: circular inheritance ({chain})"], origin=str(path))
    if not path.is_file():
        raise ParamsError([f"file {path}: does not exist"], origin=str(path))
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ParamsError([f"file {path}: not valid YAML ({err})"], origin=str(path)) from err
    if not isinstance(data, dict):
        raise ParamsError(
            [f"file {path}: the top level must be a mapping, not {type(data).__name__}"], origin=str(path)
        )
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ParamsError([f"base = {base!r}: must be a file name"], origin=str(path))
    merged = load_tree(path.parent / base, (*_seen, path))
    _deep_merge(merged, data)
    return merged


def parse_params(tree: Mapping[str, Any], origin: str = "parameters") -> Params:
    """Validate a parameter tree into `Params`, collecting every problem into one `ParamsError`."""
    problems = list(_unknown_key_problems(tree, Params))
    if problems:
        raise ParamsError(problems, origin)
    try:
        return Params.model_validate(tree)
    except ValidationError as err:
        raise ParamsError([_describe(e, tree) for e in err.errors()], origin) from None


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a CLI override `dotted.name=value`; the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in text:
        raise ParamsError([f"--set {text!r}: expected dotted.name=value"])
    name, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    return name.strip(), value


def json_schema() -> dict[str, Any]:
    """JSON Schema of a parameter file (for editors)."""
    schema = Params.model_json_schema()
    schema["properties"]["base"] = {"type": "string", "description": "Parameter file this one extends"}
    return schema


def assumptions(params: Params) -> list[tuple[str, Any, str, str]]:
    """(dotted name, value, unit, description) of every parameter whose source is an assumption."""
    flat = params.flat()
    rows = []
    for name, info in _field_infos(Params):
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if str(extra.get("source", "")).startswith("assumption"):
            rows.append((name, flat[name], str(extra.get("unit", "")), info.description or ""))
    return rows


def assumptions_markdown(params: Params) -> str:
    """ASSUMPTIONS.md: every parameter with its baseline value, unit and source, assumptions first, readable without
    code. Generated (`make assumptions`); a test keeps the committed file in step with the model."""
    flat = params.flat()
    rows = describe_fields()
    lines = [
        "# Assumptions and parameters",
        "",
        "Generated by `aztec-econ params doc` from `aztec_econ/params.py` and `params/baseline.yaml`; do not edit.",
        "",
        "## Values the spec leaves open (assumptions)",
        "",
        "| parameter | baseline | unit | source | meaning |",
        "|---|---|---|---|---|",
    ]
    table = [
        f"| `{name}` | {flat[name]} | {unit} | {source} | {doc} |"
        for name, unit, source, doc in rows
        if source.startswith("assumption")
    ]
    lines += table
    lines += [
        "",
        "## Values from the spec",
        "",
        "| parameter | baseline | unit | source | meaning |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{name}` | {flat[name]} | {unit} | {source} | {doc} |"
        for name, unit, source, doc in rows
        if not source.startswith("assumption")
    ]
    return "\n".join(lines) + "\n"


def describe_fields() -> list[tuple[str, str, str, str]]:
    """(dotted name, unit, source, description) of every parameter, in declaration order."""
    rows = []
    for name, info in _field_infos(Params):
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        doc = (info.description or "").split(" [")[0]
        rows.append((name, str(extra.get("unit", "")), str(extra.get("source", "")), doc))
    return rows


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def _field_infos(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, info in model.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            yield from _field_infos(sub, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", info


def _unknown_key_problems(tree: Any, model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    if not isinstance(tree, Mapping):
        return
    fields = model.model_fields
    for key, value in tree.items():
        if key not in fields:
            hint = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            suggestion = f" (did you mean '{prefix}{hint[0]}'?)" if hint else f" (known: {', '.join(fields)})"
            yield f"{prefix}{key} = {_show(value)}: unknown parameter{suggestion}"
            continue
        sub = fields[key].annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            yield from _unknown_key_problems(value, sub, f"{prefix}{key}.")


def _describe(error: Mapping[str, Any], tree: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:  # model-level rule: the message already names field and value
        return message
    if error.get("type") == "missing":
        return f"{loc}: missing (every parameter must be set; see params/baseline.yaml)"
    return f"{loc} = {_show(error.get('input', _lookup(tree, loc)))}: {message}"


def _lookup(tree: Mapping[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value


def _apply_dotted(tree: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    problems = []
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = tree
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                hint = difflib.get_close_matches(
                    part, [k for k, v in node.items() if isinstance(v, dict)], n=1
                )
                problems.append(
                    f"{dotted} = {_show(value)}: '{where}' is not a parameter group"
                    + (f" (did you mean '{'.'.join([*parts[:i], hint[0]])}'?)" if hint else "")
                )
                break
            node = child
        else:
            node[parts[-1]] = value
    if problems:
        raise ParamsError(problems, "overrides")


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value
