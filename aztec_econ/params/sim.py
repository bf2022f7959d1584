"""The `sim` section: how much to simulate (horizon, Monte Carlo runs, root seed)."""

from __future__ import annotations

from aztec_econ.params.fields import Group, field


class Sim(Group):
    """How much to simulate."""

    slots: int = field(
        unit="slots",
        source="assumption",
        doc="Horizon in L2 slots (52,560 ten-minute slots = one year)",
        ge=1,
    )
    runs: int = field(unit="runs", source="assumption", doc="Monte Carlo runs", ge=1)
    seed: int = field(
        unit="-", source="assumption", doc="Root seed; every random draw derives from it", ge=0, lt=2**63
    )
