"""`frozen.evolve` builds what `dataclasses.replace` builds, for the records it accepts, and refuses the rest."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from aztec_econ.model.frozen import evolve
from aztec_econ.model.outcome import SlotOutcome


def test_evolve_equals_replace_on_the_slot_outcome() -> None:
    outcome = SlotOutcome.empty(3)
    proposer, stage = np.arange(3), np.ones(3, dtype=np.int8)
    want = dataclasses.replace(outcome, proposer=proposer, stage=stage)
    got = evolve(outcome, proposer=proposer, stage=stage)
    assert type(got) is SlotOutcome and got is not outcome
    assert list(vars(got)) == list(vars(want)) == [f.name for f in dataclasses.fields(SlotOutcome)]
    assert all(getattr(got, name) is getattr(want, name) for name in vars(want))
    assert outcome.proposer is not proposer  # the original is left as it was
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.proposer = proposer  # type: ignore[misc]


def test_evolve_refuses_unknown_fields_and_classes_with_more_than_fields() -> None:
    with pytest.raises(TypeError, match="no field"):
        evolve(SlotOutcome.empty(1), proposr=np.zeros(1))

    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            assert self.x >= 0

    @dataclasses.dataclass(frozen=True)
    class Derived:
        x: int
        y: int = dataclasses.field(init=False, default=0)

    @dataclasses.dataclass(frozen=True)
    class Cached:
        x: int

        @functools.cached_property
        def double(self) -> int:
            return 2 * self.x

    for record in (Checked(1), Derived(1), Cached(1)):
        with pytest.raises(TypeError):
            evolve(record, x=2)
