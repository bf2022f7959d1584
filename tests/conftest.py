"""Shared fixtures: small, fast parameter sets built from the baseline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aztec_econ.params import Params, load_params

SMALL: dict[str, Any] = {"sim.slots": 300, "sim.runs": 3, "agents.sequencers.initial": 200}


@pytest.fixture
def make_params() -> Callable[..., Params]:
    """Baseline parameters with small defaults, updated by keyword overrides written with '__' for '.'."""

    def make(**overrides: Any) -> Params:
        merged = dict(SMALL)
        merged.update({k.replace("__", "."): v for k, v in overrides.items()})
        return load_params(overrides=merged)

    return make
