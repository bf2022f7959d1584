"""The `environment` section: exogenous conditions (token supply, users' demand, L1 prices and finality)."""

from __future__ import annotations

from typing import Literal

from aztec_econ.params.fields import Group, field


class Demand(Group):
    """Users' transactions (arrivals, sizes, bids, MEV). Drawn from their own stream: the same seed gives the same
    demand under every fee mechanism."""

    tx_per_second: float = field(
        unit="txs/s",
        source="assumption",
        doc="Mean Poisson arrival rate of transactions at the start (per slot: this x the slot's seconds)",
        ge=0,
        le=1e5,
    )
    trend_per_year: float = field(
        unit="share/year",
        source="assumption",
        doc="Compound growth of the arrival rate per year",
        gt=-1,
        le=100,
    )
    shocks_per_day: float = field(
        unit="1/day",
        source="assumption",
        doc="Rate at which demand shocks start (per slot: 1 - exp(-rate x slot days))",
        ge=0,
        le=1e4,
    )
    shock_multiplier: float = field(
        unit="x", source="assumption", doc="Arrival rate multiplier while a shock lasts", ge=0, le=1000
    )
    shock_hours: float = field(
        unit="hours",
        source="assumption",
        doc="Length of a demand shock (rounded to whole slots, at least one)",
        gt=0,
        le=24 * 365,
    )
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
    expiry_minutes: float = field(
        unit="minutes",
        source="assumption",
        doc="A transaction not included within this long expires (rounded up to whole slots, 1 to 256)",
        gt=0,
        le=60 * 24 * 7,
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


class L1(Group):
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
    volatility_per_hour: float = field(
        unit="log/sqrt(hour)",
        source="assumption",
        doc="Volatility of log prices: their stationary standard deviation is this / sqrt(2 x reversion_per_hour) "
        "(mean_reverting; an Ornstein-Uhlenbeck process sampled once per slot)",
        ge=0,
        le=10,
    )
    reversion_per_hour: float = field(
        unit="1/hour",
        source="assumption",
        doc="Mean-reversion rate of log prices: a gap to the median decays as exp(-rate x hours) (mean_reverting)",
        gt=0,
        le=100,
    )
    shocks_per_day: float = field(
        unit="1/day",
        source="assumption",
        doc="Rate at which price shocks start (shock; per slot: 1 - exp(-rate x slot days))",
        ge=0,
        le=1e4,
    )
    shock_multiplier: float = field(
        unit="x", source="assumption", doc="Price multiplier while a shock lasts (shock)", ge=0, le=1e4
    )
    shock_hours: float = field(
        unit="hours",
        source="assumption",
        doc="Length of a price shock (rounded to whole slots, at least one)",
        gt=0,
        le=24 * 365,
    )
    missed_block_probability: float = field(
        unit="probability",
        source="assumption (Ethereum mainnet misses about 1% of its slots)",
        doc="Chance that an L1 slot is empty: 12 s pass without a block, delaying every landing",
        ge=0,
        le=0.9,
    )
    finality_blocks: int = field(
        unit="L1 blocks",
        source="assumption (Ethereum finality: about two epochs)",
        doc="Further L1 blocks until an L1 transaction is final (confirmation list's last stage)",
        ge=0,
    )


class Token(Group):
    """The token's price in ETH: every ETH cost (L1 gas and blobs, operating costs, hardware) is converted to tokens at
    the slot's price. Drawn from its own stream (`Stream.TOKEN_PRICE`)."""

    process: Literal["fixed", "gbm"] = field(
        unit="-",
        source="assumption",
        doc="fixed: `eth_per_token` throughout; gbm: geometric Brownian motion from `eth_per_token`, sampled once "
        "per slot, log price x' = x + (drift - volatility^2 / 2) dt + volatility sqrt(dt) Z, dt in years",
    )
    eth_per_token: float = field(
        unit="ETH/token",
        source="assumption",
        doc="Token price at genesis (fixed: throughout): converts ETH costs to token equivalents",
        gt=0,
    )
    drift_per_year: float = field(
        unit="1/year",
        source="assumption",
        doc="Drift of the token price (gbm): its mean grows as exp(drift x years)",
        ge=-10,
        le=10,
    )
    volatility_per_year: float = field(
        unit="log/sqrt(year)",
        source="assumption",
        doc="Volatility of the log token price (gbm): the standard deviation of its log after t years is this x "
        "sqrt(t)",
        ge=0,
        le=10,
    )


class Environment(Group):
    """Exogenous conditions."""

    circulating_supply: float = field(
        unit="tokens",
        source="assumption",
        doc="Liquid tokens held outside the protocol at genesis ('market'); new sequencer stakes come from here",
        ge=0,
    )
    reservation_yield: float = field(
        unit="share/year",
        source="assumption (issue 13: the return capital earns elsewhere)",
        doc="Return on capital outside the protocol: profit-driven entry and exit aim at it (keys enter while the "
        "sequencers' APR exceeds it), `aztec-econ equilibrium` finds the count where a role's APR equals it, the "
        "agent table compares APRs with it",
        ge=-10,
        le=10,
    )
    demand: Demand
    l1: L1
    token: Token
