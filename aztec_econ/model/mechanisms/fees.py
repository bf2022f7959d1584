"""Fee mechanisms (`protocol.fee_mechanism`): what each transaction bids and pays, what is burned, what the block
producer keeps; the EIP-1559 base-fee rule and the cost-based base fee.

Users (`agents.users`) have a value per unit of capacity for their transaction (the demand's bid distribution is the
value distribution, by bid bucket) and bid by a documented strategy per mechanism (source: assumption unless
stated). Per unit of capacity (mana), with value v, base fee b, priority fee p and recent clearing price c:

| mechanism | includable | pays | burned | to the producer |
|---|---|---|---|---|
| first_price | always | min(v, max(min_bid, c (1 + margin))) | 0 | all it pays |
| full_burn | always | as first_price | all it pays | 0 |
| mev_burn | always | as first_price | 0 (and `mev_burn_share` of the MEV) | all it pays, the rest of the MEV |
| base_fee_burn | v >= b + p | b + p (EIP-1559) | b | p |
| cost_based | v >= b + p | b + p | the congestion premium b (1 - 1/m) if burned | the rest |

First-price bidding: users offer the recent clearing price (the lowest payment per mana that still got into a full
block; 0 when blocks were not full, so they offer `min_bid`) plus a margin, never more than their value (fee
estimators of first-price chains do this; Roughgarden, "Transaction fee mechanism design for the Ethereum
blockchain", 2020, section 4). Producers include what fits in order of payment per mana, which is non-decreasing in
value for every mechanism, so the selection takes the highest values first. Why include transactions whose fees are
burned (full_burn)? The block reward does not depend on a block's contents, proving cost here is per block, and the
reference client fills blocks; public transactions also carry MEV the producer keeps. A producer is therefore never
worse off including them (assumption; documented so a reader can challenge it).
`fees_paid == fees_burned + tips` in every block, and no transaction pays more than its value (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
B = NDArray[np.bool_]

MECHANISMS = ("first_price", "base_fee_burn", "full_burn", "mev_burn", "cost_based")
FIRST_PRICE = ("first_price", "full_burn", "mev_burn")
"""Mechanisms in which users bid (shaded) first-price bids."""
GWEI = 1e-9
BLOB_GAS = 131_072  # EIP-4844 gas per blob


@dataclass(frozen=True)
class Pricing:
    """What a transaction of each bid bucket would pay and burn per mana in the coming block (runs x buckets)."""

    includable: B
    pay: F64
    burn: F64


def pricing(
    mechanism: str,
    values: F64,
    base_fee: F64,
    clearing: F64,
    priority_fee: float,
    margin: float,
    min_bid: float,
    congestion: F64 | None = None,
    burn_congestion: bool = True,
) -> Pricing:
    """The bucket prices of `mechanism` (module docstring). `values`: per bucket (tokens/mana); `base_fee`,
    `clearing`, `congestion` (the cost-based multiplier m): per run. First-price bids are shaded: the recent clearing
    price plus a margin, at least `min_bid`, never above the value (compiled: `kernels_economy.first_price_pricing`)."""
    if mechanism in FIRST_PRICE:
        import aztec_econ.model.kernels_economy as kernels_economy  # the module: a third of a from-import's time, every slot

        includable, pay, burn = kernels_economy.first_price_pricing(
            values, clearing, float(margin), float(min_bid), mechanism == "full_burn"
        )
        return Pricing(includable, pay, burn)
    price = base_fee + priority_fee
    includable = values[None, :] >= price[:, None]
    pay = np.broadcast_to(price[:, None], includable.shape)
    if mechanism == "base_fee_burn":
        burned = base_fee
    elif burn_congestion and congestion is not None:
        burned = base_fee * (1.0 - 1.0 / congestion)
    else:
        burned = np.zeros_like(base_fee)
    return Pricing(includable, pay, np.broadcast_to(burned[:, None], includable.shape))


def cost_per_mana(
    gas_per_block: float,
    blobs_per_block: float,
    capacity: float,
    proving_per_mana: float,
    eth_per_token: F64 | float,
    gas_price: F64,
    blob_price: F64,
) -> F64:
    """The cost part of the cost-based base fee (tokens/mana): a full block's L1 gas and blobs at the oracle's prices,
    spread over its capacity, plus proving compute per mana."""
    to_tokens = GWEI / eth_per_token
    l1 = (gas_per_block * gas_price + blobs_per_block * BLOB_GAS * blob_price) * to_tokens / capacity
    return np.asarray(l1 + proving_per_mana, dtype=np.float64)


def next_excess(excess: F64, used: F64, capacity: float, target_utilisation: float) -> F64:
    """Excess mana after a block that used `used` (EIP-4844 style): grows by the use above the target, never < 0."""
    return np.maximum(0.0, excess + used - target_utilisation * capacity)


def next_base_fee(
    base_fee: F64,
    used: F64,
    capacity: float,
    target_utilisation: float,
    max_change: float,
    floor: float = 0.0,
) -> F64:
    """EIP-1559 update after a block that used `used` of `capacity` (mana): unchanged at the target, +max_change when
    full, -max_change when empty, linear in between (below and above the target separately, so a target other than
    one half still moves by exactly max_change at the extremes). With target 1/2 and max_change 1/8 this is
    b' = b (1 + (g - T) / (8 T)) (NOTES.md, EIP-1559)."""
    target = target_utilisation * capacity
    above = (used - target) / (capacity - target)
    below = (used - target) / target
    step = np.where(used >= target, above, below)
    return np.asarray(np.maximum(floor, base_fee * (1.0 + max_change * step)), dtype=np.float64)


def block_totals(
    per_bucket: NDArray[np.int64], pay: F64, burn: F64, values: F64, tx_size: float
) -> tuple[F64, F64, F64, F64, NDArray[np.int64]]:
    """(fees paid, fees burned, tips to the producer, users' surplus: value - payment; tokens) and transactions per
    run of a block with `per_bucket` transactions of each bid bucket (runs x buckets) at the bucket prices `pay`
    and `burn` per mana (runs x buckets), users' `values` per mana (buckets) and `tx_size` mana per transaction;
    compiled (`kernels.block_totals`: each bucket sum in numpy's order)."""
    import aztec_econ.model.kernels as kernels  # the module: a third of a from-import's time, every slot

    paid, burned, surplus, txs = kernels.block_totals(per_bucket, pay, burn, values, float(tx_size))
    return paid, burned, paid - burned, surplus, txs


def mev_burned(mev: F64, mechanism: str, share: float) -> F64:
    """MEV burned: `share` of it under mev_burn, else nothing."""
    return mev * share if mechanism == "mev_burn" else np.zeros_like(mev)
