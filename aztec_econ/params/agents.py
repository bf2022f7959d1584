"""The `agents` section: behaviour of sequencers, third-party provers, relays and backup builders."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from aztec_econ.params.fields import Group, field


class Sequencers(Group):
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
        doc="How the winner uses the second-price prover auction (`prover_market`): cheapest: the auction, its own "
        "proving as the reserve; most_reliable: only the most reliable bidders take part; self_prove_when_able: "
        "self-prove whenever able (proving hardware: `self_prove_probability`, the bond) and profitable, else the "
        "auction",
    )
    proving_cost_per_block: float = field(
        unit="tokens", source="assumption", doc="Compute cost of proving its own block", ge=0
    )
    profit_driven_entry_exit: bool = field(
        unit="-",
        source="assumption",
        doc="Registration and exit rates follow the sequencers' trailing APR (see `apr_sensitivity`, "
        "`apr_window_days`)",
    )
    apr_window_days: float = field(
        unit="days",
        source="assumption",
        doc="Half-life of the exponentially weighted profit and key-slots whose ratio is the APR profit-driven entry "
        "and exit read (recent days count most)",
        gt=0,
        le=3650,
    )
    apr_sensitivity: float = field(
        unit="1/(share/year)",
        source="assumption",
        doc="Each day: registrations x clip(1 + s (APR - yield), 0, max), exits x clip(1 - s (APR - yield), 0, max), "
        "APR the trailing one at the count after the entry queue, yield `environment.reservation_yield`",
        ge=0,
    )
    max_rate_multiplier: float = field(
        unit="x",
        source="assumption",
        doc="Largest multiplier of the base registration and exit rates (profit-driven entry and exit)",
        ge=1,
        le=100,
    )


class Operators(Group):
    """Operators: the parties that own the sequencer keys (and may run provers), with costs and outages
    (`model.mechanisms.operators`). One operator may hold many keys; its outages take all of them offline together."""

    count: int = field(
        unit="operators",
        source="assumption",
        doc="Operators holding the initial keys (operators beyond the initial keys hold none)",
        ge=1,
        le=100_000,
    )
    key_distribution: Literal["equal", "zipf", "list"] = field(
        unit="-",
        source="assumption",
        doc="How the initial keys are spread over the operators: equally; operator i (from 1) in proportion to "
        "i^-zipf_exponent; or `key_counts`. Rounded to whole keys by largest remainder",
    )
    zipf_exponent: float = field(
        unit="-",
        source="assumption (stake on Ethereum is roughly power-law over operators)",
        doc="Exponent of the zipf key distribution (0: equal)",
        ge=0,
        le=10,
    )
    key_counts: list[Annotated[int, Field(ge=0)]] = field(
        unit="keys",
        source="assumption",
        doc="Initial keys of each operator (key_distribution: list): `count` entries summing to "
        "agents.sequencers.initial",
    )
    new_operator_share: float = field(
        unit="probability",
        source="assumption",
        doc="Chance a registration comes from a new operator; otherwise an existing operator registers it, chosen "
        "in proportion to the keys it has registered so far (preferential attachment)",
        ge=0,
        le=1,
    )
    hardware_cost_per_key_per_day: float = field(
        unit="ETH/day",
        source="assumption (spec: Participants, 16-32 cores, 32-64 GB, 3-5 TB, 32-256 Mb/s)",
        doc="Node cost of each eligible key",
        ge=0,
    )
    fixed_cost_per_day: float = field(
        unit="ETH/day",
        source="assumption",
        doc="Cost of running an operator (staff, monitoring, L1 node), per operator holding an eligible key: "
        "economies of scale",
        ge=0,
    )
    outage_rate_per_day: float = field(
        unit="1/day",
        source="assumption",
        doc="Rate at which an operator that is up goes down (two-state Markov process per operator)",
        ge=0,
        le=1000,
    )
    outage_mean_hours: float = field(
        unit="hours",
        source="assumption",
        doc="Mean length of an outage (exponential); long-run share of time down: r m / (1 + r m) with r the "
        "outage rate and m this mean, both per day",
        gt=0,
        le=24 * 365,
    )
    provers_run_by_operators: int = field(
        unit="provers",
        source="assumption (spec: Provers; a sequencer may run its own prover)",
        doc="Provers 0..n-1 are run by operators 0..n-1 (the largest under zipf): such a prover does not quote "
        "while its operator is down (n above agents.provers.count or agents.operators.count: all of them)",
        ge=0,
        le=10_000,
    )


class Provers(Group):
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
        doc="Largest block a prover can prove within the proving phase (binds only below "
        "`protocol.block_capacity`: the baseline's provers can prove any block)",
        gt=0,
    )
    bargaining_power: float = field(
        unit="share",
        source="assumption (Nash bargaining between the winning prover and the sequencer)",
        doc="Share of the deal's surplus (the sequencer's outside option minus the winner's break-even price) the "
        "winning prover takes where competition does not set the price (a lone bidder): price = min(second bid, "
        "break-even + share x surplus)",
        ge=0,
        le=1,
    )
    bond_budget: float = field(
        unit="tokens", source="assumption", doc="Largest bond a prover puts at stake for one block", ge=0
    )
    hardware_capital: float = field(
        unit="ETH",
        source="assumption (spec: Participants, hardware figures)",
        doc="Capital in one prover's proving hardware; with the bond, the capital its APR is on (converted to "
        "tokens at the genesis token price)",
        gt=0,
    )
    operating_cost_per_day: float = field(
        unit="ETH/day",
        source="assumption (spec: Participants, hardware figures)",
        doc="Operating cost of one prover",
        ge=0,
    )
    proving_time_median_seconds: float = field(
        unit="s",
        source="assumption",
        doc="Median time to prove a full block; a block's time is lognormal, its median scaled by "
        "0.5 + 0.5 x mana used / block capacity (a fixed part plus a part per transaction)",
        gt=0,
        le=86_400,
    )
    proving_time_log_sd: float = field(
        unit="-",
        source="assumption",
        doc="Log-standard deviation of the proving time",
        ge=0,
        le=5,
    )
    ramp_up_seconds: float = field(
        unit="s",
        source="assumption (spec: Constraining Randao, hardware ramp-up)",
        doc="Warning a prover needs before its slot to have its hardware ready; with less warning "
        "(randao_lag_l1_blocks x l1_block_seconds) it starts proving late by the difference",
        ge=0,
        le=86_400,
    )


class Relays(Group):
    """Proof submitters that are not the prover (spec: Finalization, 'could be anyone such as a relay')."""

    submission_share: float = field(
        unit="share",
        source="assumption",
        doc="Share of happy-path proofs submitted by a separate relay",
        ge=0,
        le=1,
    )
    capital: float = field(
        unit="ETH",
        source="assumption",
        doc="Capital the relays commit (a node and the ETH float for verification gas); their APR is on it "
        "(converted to tokens at the genesis token price)",
        gt=0,
    )


class BackupBuilders(Group):
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
        doc="Chance each builder takes part when backup mode opens (builds and proves a block)",
        ge=0,
        le=1,
    )
    proving_time_median_seconds: float = field(
        unit="s",
        source="assumption",
        doc="Median time a backup builder needs to build and prove its block once backup mode opens (lognormal)",
        gt=0,
        le=86_400,
    )
    proving_time_log_sd: float = field(
        unit="-",
        source="assumption",
        doc="Log-standard deviation of the backup builder's time",
        ge=0,
        le=5,
    )
    proving_cost_per_block: float = field(
        unit="tokens",
        source="assumption (as `agents.provers.cost_per_block`)",
        doc="Compute cost of building and proving a backup block, paid by the builder that produces it; a builder "
        "gets ready only if the backup reward plus the fees it keeps cover it and its L1 gas",
        ge=0,
    )
    hardware_capital: float = field(
        unit="ETH",
        source="assumption (spec: Participants, hardware figures)",
        doc="Capital in the backup builders' building and proving hardware, all of them together; their APR is on it "
        "(converted to tokens at the genesis token price)",
        gt=0,
    )


class Users(Group):
    """Users who send transactions (spec: Economics). Each transaction has a value to its sender per unit of capacity
    (the demand's bid distribution is the value distribution); its bid follows the mechanism (`model.mechanisms.fees`)."""

    bid_margin: float = field(
        unit="share",
        source="assumption (fee estimators: a recent clearing price plus a margin)",
        doc="First-price bids (first_price, full_burn, mev_burn): the recent clearing price x (1 + margin), at "
        "least min_bid, never above the value",
        ge=0,
        le=10,
    )
    min_bid: float = field(
        unit="tokens/mana",
        source="assumption",
        doc="What a first-price bidder offers when blocks have been clearing at no price (not full)",
        ge=0,
    )
    clearing_half_life_minutes: float = field(
        unit="minutes",
        source="assumption",
        doc="Half-life of the users' memory of clearing prices (an exponentially weighted mean over blocks)",
        gt=0,
        le=60 * 24 * 30,
    )


class Agents(Group):
    """Behaviour of the participants."""

    sequencers: Sequencers
    operators: Operators
    provers: Provers
    relays: Relays
    backup: BackupBuilders
    users: Users
