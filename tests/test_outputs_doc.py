"""Every output table has exactly its declared columns, in order, and docs/outputs.md is generated from them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aztec_econ.analysis.kpis import KPIS, kpis_per_run
from aztec_econ.analysis.outputs_doc import outputs_markdown
from aztec_econ.analysis.tables import (
    AGENT_COLUMNS,
    CONFIRMATION_COLUMNS,
    VOTE_COLUMNS,
    agent_table,
    confirmation_table,
    vote_table,
)
from aztec_econ.model.blocks import FRAME_COLUMNS
from aztec_econ.params import Params
from aztec_econ.simulation import KEY_COLUMNS, simulate

DOC = Path(__file__).resolve().parent.parent / "docs" / "outputs.md"
ATTACKS: dict[str, Any] = {
    "attacks__randao__strategy": "reroll",
    "attacks__randao__sequencer_share": 0.2,
    "attacks__randao__l1_proposer_share": 0.2,
    "attacks__censorship__builder_share": 0.6,
    "attacks__censorship__phases": ["proposal", "commitment", "proof"],
    "attacks__censorship__prebuilt_backup": True,
    "governance__count_backup_blocks": True,
}


def test_outputs_md_is_current() -> None:
    """docs/outputs.md is generated from the declarations; regenerate with `make outputs-doc`."""
    assert DOC.read_text() == outputs_markdown(), "docs/outputs.md is stale: run `make outputs-doc`"


@pytest.mark.parametrize("overrides", [{}, ATTACKS], ids=["baseline", "attacks"])
def test_every_table_has_its_declared_columns_in_order(
    make_params: Callable[..., Params], overrides: dict[str, Any]
) -> None:
    traj = simulate(make_params(sim__slots=60, **overrides))
    assert list(traj.frame.columns) == [c.name for c in FRAME_COLUMNS]
    assert list(traj.keys.columns) == [c.name for c in KEY_COLUMNS]
    assert list(vote_table(traj).columns) == [c.name for c in VOTE_COLUMNS]
    assert list(agent_table(traj).columns) == [c.name for c in AGENT_COLUMNS]
    assert list(confirmation_table(traj).columns) == [c.name for c in CONFIRMATION_COLUMNS]
    assert list(kpis_per_run(traj).columns) == ["run", *(k.name for k in KPIS)]


def test_declarations_are_unique_and_described() -> None:
    for columns in (FRAME_COLUMNS, KEY_COLUMNS, VOTE_COLUMNS, AGENT_COLUMNS, CONFIRMATION_COLUMNS, KPIS):
        names = [c.name for c in columns]
        assert len(set(names)) == len(names)
        assert all(c.unit and c.description for c in columns)
