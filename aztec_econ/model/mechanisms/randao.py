"""RANDAO: one value per L1 block; a slot's election reads the value stored `randao_lag_l1_blocks` before its start.

Spec (Constraining Randao): the L1 contract stores the RANDAO value of every block, and the score for slot n uses the
value stored `lag` blocks back, so that the election is fixed in advance and stable within the slot. Values before
block 0 are predefined (here: drawn like the others). The value of block b in run r is a hash of (seed, r, b):
an unbiased beacon. Biasing it (withholding L1 blocks) is an attack, modelled separately.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.rng import Stream, stream_keys

if TYPE_CHECKING:
    from aztec_econ.model.state import State


def randao_value(keys: NDArray[np.uint64], block: int) -> NDArray[np.uint64]:
    """The RANDAO value stored for L1 block `block`, per run."""
    return stream_keys(keys, Stream.RANDAO, block)


def election_block(slot: int, slot_l1_blocks: int, lag: int) -> int:
    """The L1 block whose stored RANDAO value seeds the election of `slot`."""
    return slot * slot_l1_blocks - lag


def step_randao(ctx: Context, s: State) -> dict[str, Any]:
    block = election_block(s["slot"], ctx.slot_l1_blocks, ctx.params.protocol.randao_lag_l1_blocks)
    return {"randao": randao_value(ctx.keys, block)}
