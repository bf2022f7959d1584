"""Fee mechanisms (`protocol.fee_mechanism`): what a block's transactions pay, what is burned, what the block producer
keeps; and the EIP-1559 base-fee rule.

Users pay their bid per unit of capacity (first-price, spec: Economics). Then, per block:

| mechanism | burned | to the block producer (`tips`) |
|---|---|---|
| first_price | 0 | all fees |
| base_fee_burn | base fee x capacity used | bid - base fee, per unit |
| full_burn | all fees | 0 |
| mev_burn | 0 (fees) and `mev_burn_share` of the MEV | all fees, the rest of the MEV |

so `fees_paid == fees_burned + tips` in every block (tested). Only base_fee_burn has a base fee; bids below it wait.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

MECHANISMS = ("first_price", "base_fee_burn", "full_burn", "mev_burn")


def next_base_fee(
    base_fee: F64, used: F64, capacity: float, target_utilisation: float, max_change: float
) -> F64:
    """EIP-1559 update after a block that used `used` of `capacity` (mana): unchanged at the target, +max_change when
    full, -max_change when empty, linear in between (below and above the target separately, so a target other than
    one half still moves by exactly max_change at the extremes). With target 1/2 and max_change 1/8 this is
    b' = b (1 + (g - T) / (8 T)) (NOTES.md, EIP-1559)."""
    target = target_utilisation * capacity
    above = (used - target) / (capacity - target)
    below = (used - target) / target
    step = np.where(used >= target, above, below)
    return np.asarray(base_fee * (1.0 + max_change * step), dtype=np.float64)


def block_fees(
    per_bucket: NDArray[np.int64],
    bids: F64,
    tx_size: float,
    base_fee: F64,
    mechanism: str,
) -> tuple[F64, F64, F64]:
    """(fees paid, fees burned, tips to the producer) per run of a block with `per_bucket` transactions of each bid
    bucket (runs x buckets)."""
    txs = per_bucket.sum(axis=1)
    paid = per_bucket @ (bids * tx_size)
    if mechanism == "base_fee_burn":
        burned = np.minimum(base_fee * tx_size * txs, paid)
    elif mechanism == "full_burn":
        burned = paid
    else:
        burned = np.zeros_like(paid)
    return paid, burned, paid - burned


def mev_burned(mev: F64, mechanism: str, share: float) -> F64:
    """MEV burned: `share` of it under mev_burn, else nothing."""
    return mev * share if mechanism == "mev_burn" else np.zeros_like(mev)
