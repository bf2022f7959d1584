"""Compact, lossless storage of a simulation's per-slot output columns, and the tidy frame built from it on read.

A simulation's output is one value per (run, slot) for each column of `model.blocks.FRAME_COLUMNS`. Held as the
frame's own arrays, a year of 100 runs takes about 2.4 GB; most of it is values a smaller encoding gives back exactly.
`ColumnStore` keeps each column in blocks of slots (one simulated segment each, all runs), every block in the
smallest of these encodings that returns each value bit for bit:

- `Constant`: one value, when the whole block holds it (bonds that never change, a burn that is off);
- `Derived`: nothing at all, when a formula of other stored columns (`DERIVED`, the formulas the recorders use)
  reproduces the block bit for bit; checked on every block, so a formula that does not hold there stores the values;
- `FromSlotStart`: L1 block numbers of events (`SLOT_RELATIVE`) as offsets from their slot's first L1 block;
- `Changes`: the positions and values where a run's value differs from its slot before, when that is smaller (a
  balance that rarely moves, a flow that is mostly zero);
- a narrower type: integers in the smallest signed integer type that holds the block's range, floats in float16 or
  float32 when the round trip returns every bit (sign of zero included);
- the block as it is.

Measured on the baseline (1,440 slots x 100 runs): 138 bytes per run-slot, against the frame's 462.

Reading a column (`column`) widens its blocks back into the column's own type; `frame()` builds the documented tidy
frame (rows by run, then slot; `run`, `slot` and `l1_block` derived from the row). Nothing is approximated: the
frame read back is the one the recorders wrote (tested against the golden hashes and value by value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from aztec_econ.model.stage import Mode

STRUCTURAL = ("run", "slot", "l1_block")
"""The first three frame columns: derived from the row (run index, slot index, `slot * slot_l1_blocks`)."""

_NARROW_INTS: tuple[np.dtype[Any], ...] = (np.dtype(np.int8), np.dtype(np.int16), np.dtype(np.int32))


def _stacked_sum(*parts: NDArray[np.float64]) -> NDArray[np.float64]:
    """The recorders' row sum over a few accounts or roles (`x[..., cols].sum(axis=-1)`), on blocks: numpy adds a
    short last axis in order, so the parts added one after the other (without stacking them) give its bits; a block
    where they would not is stored as it is (a formula only replaces a block it reproduces)."""
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


DERIVED: dict[str, tuple[tuple[str, ...], Callable[..., NDArray[Any]]]] = {
    "block_reward": (
        ("reward_sequencer", "reward_prover", "reward_submitter", "reward_backup"),
        _stacked_sum,
    ),
    "liquid": (
        ("balance_market", "balance_sequencers", "balance_relays", "balance_backup", "balance_provers"),
        lambda market, sequencers, relays, backup, provers: (
            _stacked_sum(market, sequencers, relays, backup) + provers
        ),
    ),
    "l1_cost": (
        ("l1_cost_sequencer", "l1_cost_prover", "l1_cost_relay", "l1_cost_backup"),
        lambda sequencer, prover, relay, backup: sequencer + prover + relay + backup,
    ),
    "tips": (("fees_paid", "fees_burned"), lambda paid, burned: paid - burned),
    "prover_price": (
        ("mode", "prover", "prover_agreed_price"),
        lambda mode, prover, agreed: np.where((mode == Mode.HAPPY) & (prover >= 0), agreed, 0.0),
    ),
}
"""Columns that are formulas of other columns, as the recorders compute them (`model.outcome`, `model.ledger`,
`mechanisms.settlement`): name -> (inputs, formula on blocks). Inputs are never derived themselves. A formula only
replaces a block it reproduces bit for bit, so one that stops matching the recorder costs memory, never a value."""


@dataclass(frozen=True)
class Constant:
    """A block whose every value is `value` (stored as a one-element array of the column's type)."""

    value: NDArray[Any]


@dataclass(frozen=True)
class FromSlotStart:
    """A block of L1 block numbers stored as offsets from their slot's first L1 block (-1, "none", kept as -1)."""

    offsets: NDArray[Any]


@dataclass(frozen=True)
class Changes:
    """A block of values that mostly repeat the slot before (balances that rarely move, flows that are mostly
    zero): the flat positions (row-major, runs x block slots) where a run's value differs from its previous slot's,
    each run's first slot included, and the values there; every other value repeats the last one kept."""

    positions: NDArray[np.int32]
    values: NDArray[Any]

    @property
    def nbytes(self) -> int:
        return int(self.positions.nbytes + self.values.nbytes)

    def decode(self, shape: tuple[int, int], dtype: np.dtype[Any]) -> NDArray[Any]:
        """The block (`shape`, in `dtype`): each value kept, repeated up to the next position kept (4x faster than
        an index of the last position kept at each element, measured on a tenth of a year's blocks)."""
        size = shape[0] * shape[1]
        if not len(self.positions) or self.positions[0] != 0:
            raise ValueError("a block of changes keeps its first element")
        counts = np.diff(self.positions, append=np.int32(size))
        return np.repeat(self.values.astype(dtype), counts).reshape(shape)


@dataclass(frozen=True)
class Derived:
    """A block reproduced by the column's formula in `DERIVED`."""


Block = NDArray[Any] | Constant | FromSlotStart | Changes | Derived

SLOT_RELATIVE = frozenset(
    {"proposal_l1_block", "commitment_l1_block", "reveal_l1_block", "finalized_l1_block"}
)
"""L1 block columns of events in or after their own slot (-1 when the event did not happen): stored as
`FromSlotStart` offsets where every value of a block is -1 or at least its slot's first L1 block."""


def _same_bits(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Whether two arrays of one type hold the same bits (so NaN equals NaN and -0.0 differs from 0.0)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        width = np.dtype(f"i{a.dtype.itemsize}")
        return bool(np.array_equal(a.view(width), b.view(width)))
    return bool(np.array_equal(a, b))


def block_bytes(block: Block) -> int:
    """The bytes a block keeps (none for a derived one)."""
    if isinstance(block, Constant):
        return int(block.value.nbytes)
    if isinstance(block, FromSlotStart):
        return int(block.offsets.nbytes)
    if isinstance(block, Changes):
        return block.nbytes
    if isinstance(block, Derived):
        return 0
    return int(block.nbytes)


def _changes(block: NDArray[Any]) -> Changes | None:
    """`block` (runs x slots) as `Changes`, or None when most values differ from the slot before (it would be
    larger than the block). Values compare by their bits (-0.0 differs from 0.0)."""
    from aztec_econ.model.kernels_store import change_positions

    if block.ndim != 2 or block.size == 0 or block.size >= 2**31:
        return None
    words = block.view(f"i{block.dtype.itemsize}") if block.dtype.kind in "fb" else block
    # at least this many positions make it no smaller: len x (4 + itemsize) >= nbytes
    limit = -(-block.nbytes // (4 + block.dtype.itemsize))
    positions = change_positions(np.ascontiguousarray(words), limit)  # compiled: stops at the limit
    if len(positions) and positions[0] < 0:
        return None
    return Changes(positions, _narrow(block.reshape(-1)[positions]))


def _narrowest_bytes(values: NDArray[Any]) -> int:
    """A lower bound of `_narrow(values).nbytes`: one byte an integer (int8), two a float64 (float16), else as is."""
    kind, size = values.dtype.kind, values.size
    if kind in "iu":
        return size
    if kind == "f" and values.dtype.itemsize == 8:
        return 2 * size
    return int(values.nbytes)


def _narrow(values: NDArray[Any]) -> NDArray[Any]:
    """`values` in the smallest type that gives every value back exactly when widened to its own type."""
    kind = values.dtype.kind
    if kind in "iu" and values.size:
        low, high = values.min(), values.max()
        for dtype in _NARROW_INTS:
            if dtype.itemsize >= values.dtype.itemsize:
                break
            info = np.iinfo(dtype)
            if info.min <= low and high <= info.max:
                return values.astype(dtype)
    elif kind == "f" and values.dtype.itemsize == 8:
        from aztec_econ.model.kernels_store import fits_float32, within_float16_range

        flat = values.reshape(-1)
        if not fits_float32(flat):
            return values
        # a value beyond float16's range: skip its (slow, overflowing) conversion
        if not within_float16_range(flat):
            return values.astype(np.float32)
        with np.errstate(over="ignore"):
            half = values.astype(np.float16)  # float16's values are float32's: tried only if float32 holds
        return half if _same_bits(half.astype(values.dtype), values) else values.astype(np.float32)
    return values


class ColumnStore:
    """The per-slot output columns of `runs` x `slots`, each in blocks of slots, every block encoded losslessly in
    as few bytes as it allows (see the module docstring).

    `dtypes` are the columns' own types (what `column` returns), `categories` the labels of the categorical columns
    (stored as their integer codes). Blocks are appended in slot order (`append`) and cover every slot once."""

    def __init__(
        self,
        runs: NDArray[np.integer[Any]],
        slots: int,
        slot_l1_blocks: int,
        order: Sequence[str],
        categories: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.runs = np.asarray(runs, dtype=np.int64)
        self.slots = int(slots)
        self.slot_l1_blocks = int(slot_l1_blocks)
        self.order = tuple(order)
        """The stored columns, in frame order (after `STRUCTURAL`)."""
        self.categories = dict(categories)
        self.dtypes: dict[str, np.dtype[Any]] = {}
        self.bounds: list[tuple[int, int]] = []
        """The slot range [start, stop) of each block."""
        self.blocks: dict[str, list[Block]] = {}
        """Each column's blocks, in slot order (an array block is runs x block slots)."""

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def n_rows(self) -> int:
        return self.n_runs * self.slots

    def append(self, start: int, values: Mapping[str, NDArray[Any]]) -> None:
        """Store one block: `values[name]` is (runs x block slots) for every column, slots from `start`."""
        stop = start + next(iter(values.values())).shape[1]
        if start != (self.bounds[-1][1] if self.bounds else 0) or stop > self.slots:
            raise ValueError(f"block of slots [{start}, {stop}) does not continue {self.bounds[-1:]}")
        if set(values) != set(self.order):
            raise ValueError(
                f"block columns differ from the store's: {sorted(set(values) ^ set(self.order))}"
            )
        for name in self.order:
            block = np.ascontiguousarray(values[name])
            own = self.dtypes.setdefault(name, block.dtype)
            if block.dtype != own:
                raise TypeError(f"column {name!r}: a block of {block.dtype}, the column is {own}")
            self.blocks.setdefault(name, []).append(self._encode(name, block, values, start))
        self.bounds.append((start, stop))

    def add_column(self, name: str, values: NDArray[Any]) -> None:
        """Add column `name` after the others, from its (runs x slots) values, in the store's blocks (a column computed
        once all slots are simulated, such as the votes)."""
        if name in self.blocks or values.shape != (self.n_runs, self.slots):
            raise ValueError(f"column {name!r}: already stored, or not (runs x slots): {values.shape}")
        self.dtypes[name] = values.dtype
        self.blocks[name] = [
            self._encode(name, np.ascontiguousarray(values[:, a:b]), {}, a) for a, b in self.bounds
        ]
        self.order = (*self.order, name)

    def _encode(
        self, name: str, block: NDArray[Any], values: Mapping[str, NDArray[Any]], start_slot: int
    ) -> Block:
        from aztec_econ.model.kernels_store import all_same

        flat = block.reshape(-1)
        if flat.size and all_same(flat.view(f"i{block.dtype.itemsize}")):
            return Constant(flat[:1].copy())
        if name in DERIVED:
            inputs, formula = DERIVED[name]
            if _same_bits(np.asarray(formula(*(values[i] for i in inputs)), dtype=block.dtype), block):
                return Derived()
        if name in SLOT_RELATIVE:
            start = self._slot_starts(start_slot, block.shape[1])
            if ((block == -1) | (block >= start)).all():
                return FromSlotStart(_narrow(np.where(block >= 0, block - start, -1)))
        changes = _changes(block)
        if changes is not None and changes.nbytes < _narrowest_bytes(block):
            return changes  # smaller than any narrowing could be: no need to try them
        narrow = _narrow(block)
        if changes is not None and changes.nbytes < narrow.nbytes:
            return changes
        return narrow if narrow.base is None else narrow.copy()  # not a view that keeps a larger array alive

    def _slot_starts(self, start_slot: int, n: int) -> NDArray[np.int64]:
        """The first L1 block of slots [start_slot, start_slot + n), as a row (1 x n)."""
        return (np.arange(start_slot, start_slot + n, dtype=np.int64) * self.slot_l1_blocks)[None, :]

    def _block(self, name: str, index: int) -> NDArray[Any]:
        """Block `index` of column `name`, in the column's own type (runs x block slots)."""
        start, stop = self.bounds[index]
        encoded = self.blocks[name][index]
        shape = (self.n_runs, stop - start)
        if isinstance(encoded, Constant):
            return np.broadcast_to(encoded.value, shape)
        if isinstance(encoded, Changes):
            return encoded.decode(shape, self.dtypes[name])
        if isinstance(encoded, FromSlotStart):
            offsets = encoded.offsets.astype(self.dtypes[name])
            return np.where(offsets >= 0, offsets + self._slot_starts(start, stop - start), offsets)
        if isinstance(encoded, Derived):
            inputs, formula = DERIVED[name]
            return np.asarray(formula(*(self._block(i, index) for i in inputs)), dtype=self.dtypes[name])
        # widened: a formula must see its inputs in their own types (a float32 sum is not a float64 one)
        return encoded.astype(self.dtypes[name], copy=False)

    def values(self, name: str) -> NDArray[Any]:
        """Column `name` as (runs x slots) in its own type (a categorical column: its codes)."""
        if name == "run":
            return np.repeat(self.runs.astype(np.int32)[:, None], self.slots, axis=1)
        if name in ("slot", "l1_block"):
            slot = np.broadcast_to(np.arange(self.slots, dtype=np.int32), (self.n_runs, self.slots))
            return slot.copy() if name == "slot" else slot.astype(np.int64) * self.slot_l1_blocks
        if len(self.bounds) == 0 or self.bounds[-1][1] != self.slots:
            raise ValueError(f"the store holds slots up to {self.bounds[-1:]}, not all {self.slots}")
        return self.slice(name, 0, self.slots)

    def column(self, name: str) -> pd.Series:
        """Column `name` of the frame, without building the frame (rows by run, then slot)."""
        flat = self.values(name).reshape(-1)
        if name in self.categories:
            return pd.Series(pd.Categorical.from_codes(flat, self.categories[name]), name=name)
        return pd.Series(flat, name=name, copy=False)

    def frame(self) -> pd.DataFrame:
        """The tidy frame: `STRUCTURAL` columns, then the stored ones in order."""
        data: dict[str, Any] = {}
        for name in (*STRUCTURAL, *self.order):
            flat = self.values(name).reshape(-1)
            data[name] = (
                pd.Categorical.from_codes(flat, self.categories[name]) if name in self.categories else flat
            )
        return pd.DataFrame(data, copy=False)

    def nbytes(self) -> int:
        """Bytes the stored blocks take."""
        return sum(block_bytes(b) for blocks in self.blocks.values() for b in blocks)

    def encodings(self) -> dict[str, dict[str, int]]:
        """How each column's blocks are stored: column -> {encoding: blocks}; an encoding is "constant", "derived",
        "from slot start <type>" or the stored type's name."""
        out: dict[str, dict[str, int]] = {}
        for name, blocks in self.blocks.items():
            counts: dict[str, int] = {}
            for b in blocks:
                if isinstance(b, Constant | Derived):
                    key = type(b).__name__.lower()
                elif isinstance(b, FromSlotStart):
                    key = f"from slot start {b.offsets.dtype}"
                elif isinstance(b, Changes):
                    key = f"changes {b.values.dtype}"
                else:
                    key = str(b.dtype)
                counts[key] = counts.get(key, 0) + 1
            out[name] = counts
        return out

    def slice(self, name: str, start: int, stop: int) -> NDArray[Any]:
        """Column `name` over slots [start, stop), (runs x slots) in its own type, read from the blocks it spans."""
        out = np.empty((self.n_runs, stop - start), dtype=self.dtypes[name])
        for index, (a, b) in enumerate(self.bounds):
            if a < stop and start < b:
                lo, hi = max(a, start), min(b, stop)
                out[:, lo - start : hi - start] = self._block(name, index)[:, lo - a : hi - a]
        return out

    @classmethod
    def concat(cls, parts: Sequence[ColumnStore]) -> ColumnStore:
        """The runs of `parts` one after another, in the first part's blocks of slots; decoded one block at a time,
        so joining needs no more memory than the joined store and one block."""
        if not parts:
            raise ValueError("no stores to join")
        first = parts[0]
        for p in parts[1:]:
            if (p.slots, p.slot_l1_blocks, p.order) != (first.slots, first.slot_l1_blocks, first.order):
                raise ValueError("stores of different slots or columns cannot be joined")
        out = cls(
            np.concatenate([p.runs for p in parts]),
            first.slots,
            first.slot_l1_blocks,
            first.order,
            first.categories,
        )
        for start, stop in first.bounds:
            out.append(
                start, {n: np.concatenate([p.slice(n, start, stop) for p in parts]) for n in first.order}
            )
        return out

    @classmethod
    def from_columns(
        cls,
        runs: NDArray[np.integer[Any]],
        slots: int,
        slot_l1_blocks: int,
        columns: Mapping[str, NDArray[Any]],
        categories: Mapping[str, tuple[str, ...]],
        block_slots: int,
    ) -> ColumnStore:
        """A store of flat frame columns (rows by run, then slot; no `STRUCTURAL` ones), in blocks of
        `block_slots`."""
        store = cls(runs, slots, slot_l1_blocks, list(columns), categories)
        shaped = {name: np.asarray(v).reshape(len(store.runs), slots) for name, v in columns.items()}
        for start in range(0, slots, block_slots):
            stop = min(start + block_slots, slots)
            store.append(start, {name: v[:, start:stop] for name, v in shaped.items()})
        return store
