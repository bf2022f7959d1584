"""The per-slot behaviour draws: one batch of uniforms per slot, laid out by purpose.

Each purpose has a fixed identifier, and the j-th uniform of purpose X in slot t of run r is a hash of
(seed, r, t, X, j) only: adding a purpose or changing another purpose's count never changes it. Computing them in one
batch per slot costs one vectorised hash instead of one per mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.rng import Stream, uniforms_of
from aztec_econ.params import Params

_PURPOSE_STRIDE = 1 << 20

# purpose -> fixed identifier. Append only: renumbering changes every result.
PURPOSES: dict[str, int] = {
    "offline": 1,  # per candidate: offline if u < offline_probability
    "self_prove": 2,  # the winner proves its own block if u < self_prove_probability
    "prover_available": 3,  # per prover: quotes if u >= unavailable_probability
    "prover_pick": 4,  # which available prover the winner commits to
    "reveal": 5,  # the winner fails to reveal if u < reveal_failure_probability
    "proof": 6,  # the prover fails if u < failure_probability
    "proof_delay": 7,  # (unused since the timeline: kept so no identifier is reused)
    "relay": 8,  # a relay submits the proof if u < submission_share
    "backup_ready": 9,  # per backup builder: ready if u < ready_probability
    "backup_pick": 10,  # which ready builder lands first
    "backup_delay": 11,  # (unused since the timeline: kept so no identifier is reused)
    "proving_time": 12,  # the committed prover's proving time (lognormal)
    "backup_time": 13,  # per backup builder: its build-and-prove time (lognormal)
    "candidate_self_prove": 14,  # per candidate (consolidated proposals): proving hardware if u < self_prove_probability
}


def purpose_sizes(params: Params) -> dict[str, int]:
    """How many uniforms each purpose needs per slot."""
    a = params.agents
    return {
        "offline": a.sequencers.proposers_per_slot,
        "self_prove": 1,
        "prover_available": a.provers.count,
        "prover_pick": 1,
        "reveal": 1,
        "proof": 1,
        "relay": 1,
        "backup_ready": a.backup.count,
        "backup_pick": 1,
        "proving_time": 1,
        "backup_time": a.backup.count,
        "candidate_self_prove": a.sequencers.proposers_per_slot,
    }


@dataclass(frozen=True)
class DrawLayout:
    """Where each purpose's uniforms sit in the per-slot batch."""

    slices: dict[str, slice]
    words: NDArray[np.uint64]
    """Hash offsets of every column of the batch."""


def slot_draw_layout(params: Params) -> DrawLayout:
    slices: dict[str, slice] = {}
    words: list[NDArray[np.uint64]] = []
    start = 0
    for name, n in purpose_sizes(params).items():
        slices[name] = slice(start, start + n)
        ids = PURPOSES[name] * _PURPOSE_STRIDE + np.arange(n, dtype=np.uint64)
        words.append((ids.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15))
        start += n
    return DrawLayout(slices=slices, words=np.concatenate(words) if words else np.zeros(0, np.uint64))


@dataclass(frozen=True)
class SlotDraws:
    """The uniforms of one slot for every run: `draws["offline"]` has shape (runs, proposers_per_slot)."""

    values: NDArray[np.float64]
    layout: DrawLayout

    def __getitem__(self, purpose: str) -> NDArray[np.float64]:
        return self.values[:, self.layout.slices[purpose]]

    def one(self, purpose: str) -> NDArray[np.float64]:
        """The single uniform of a one-draw purpose, shape (runs,)."""
        return self.values[:, self.layout.slices[purpose].start]


def slot_draws(keys: NDArray[np.uint64], slot: int, layout: DrawLayout) -> SlotDraws:
    return SlotDraws(values=uniforms_of(keys, Stream.SLOT, slot, layout.words), layout=layout)
