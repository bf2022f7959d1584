"""Output columns, declared once where they are computed: name, unit, meaning and storage type.

Each mechanism that writes per-slot output declares a `Recorder`: its columns and the function that reads them from
a segment's final states (a `Segment`: one state per slot), column-wise, so each column costs one stack and a few
array operations per segment instead of per slot. `model.blocks` lists the recorders in frame order
(`FRAME_COLUMNS`); the runner's record step is a loop over them, and docs/outputs.md is generated from the
declarations (`aztec-econ docs outputs`).
Balances and supply are at the end of the slot, sequencer counts at the slot's first L1 block, flows are totals
within the slot. Units: L1 blocks of `protocol.l1_block_seconds`; tokens are the native token; L1 costs are token
equivalents of ETH.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from aztec_econ.model.context import Context
    from aztec_econ.model.state import State


@dataclass(frozen=True)
class Column:
    """One output column: its name, unit ("-" when it has none), meaning (one line of Markdown) and, where the
    natural type would waste memory, the type it is stored as."""

    name: str
    unit: str
    description: str
    dtype: str | None = None


class Segment:
    """The final states of a run of consecutive slots (one per slot, in slot order), read column-wise.

    Every array it returns has the slots first (slots x runs x ...): a C-ordered stack of the per-slot arrays, so a
    reduction over a state array's last axis adds in the same order as on one slot's array (bit-identical)."""

    def __init__(self, states: Sequence[State]) -> None:
        if not states:
            raise ValueError("a segment holds at least one slot")
        self.states = states
        self._parts: Sequence[Mapping[str, object]] = states  # read by a part's name (`State` takes literals)
        self.slots = np.array([s["slot"] for s in states], dtype=np.int64)
        """The slot of each state (slots,)."""

    def stack(self, get: Callable[[State], Any]) -> NDArray[Any]:
        """`get(state)` of every slot, stacked (slots x ...)."""
        return np.array([get(s) for s in self.states])

    def field(self, part: str, name: str) -> NDArray[Any]:
        """Field `name` of state variable `part` over the slots (slots x runs x ...)."""
        return np.array([getattr(s[part], name) for s in self._parts])

    def spans(self, get: Callable[[State], object]) -> list[tuple[int, int]]:
        """The ranges [a, b) of consecutive slots over which `get(state)` is the same object (an array a mechanism
        replaces now and then, such as the operators' key owners)."""
        bounds = [0]
        previous = get(self.states[0])
        for i, s in enumerate(self.states[1:], start=1):
            current = get(s)
            if current is not previous:
                bounds.append(i)
                previous = current
        bounds.append(len(self.states))
        return list(pairwise(bounds))


@dataclass(frozen=True)
class Recorder:
    """The per-slot output columns one part of the model declares, and how it reads them from a segment's final
    states: `record(ctx, segment)` returns every column as slots x runs."""

    columns: tuple[Column, ...]
    record: Callable[[Context, Segment], dict[str, NDArray[Any]]]


RUN = Column(
    "run", "-", "global Monte Carlo run index (results of a run depend only on it and the parameters)"
)
"""The first column of every output table."""
SLOT = Column("slot", "slots", "slot index, from 0")
L1_BLOCK = Column("l1_block", "L1 blocks", "first L1 block of the slot (`slot * slot_l1_blocks`)")
