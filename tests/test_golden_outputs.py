"""Refactors keep every output bit-identical: hashes of every output table for several configurations.

The hashes were recorded on main before the restructure (eee487d); the demand histograms' (`demand_hist`) were added
at 9067a6e, computed by that revision's code. A changed hash is a bug in a refactor, not a new
baseline: only a deliberate change of the model's behaviour may re-record them (`python tests/test_golden_outputs.py
--record`), and its commit must say why.

The frame, the KPIs and the agent table depend on the machine kind (`machine_kind`): where the CPU has AVX-512F,
numpy computes exp and log with its own SIMD loops, which round some results differently from the C library's
functions it calls elsewhere (seen: every configuration's frame, and the KPIs of the GBM token and busy-registry
configurations). Their hashes are recorded per machine kind (`by_machine`; the `avx512f` ones on the machines of
eee487d..b5b954f, the `no_avx512f` ones at b5b954f's successor on an AVX2 machine, with the same code's outputs as
b5b954f's). The other hashes hold on every machine. `--record` writes this machine kind's and the shared ones.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.analysis.tables import agent_table, confirmation_table, vote_table
from aztec_econ.params import load_params
from aztec_econ.simulation import simulate

GOLDEN = Path(__file__).resolve().parent / "golden" / "output_hashes.json"
SMALL: dict[str, Any] = {"sim.slots": 360, "sim.runs": 3, "agents.sequencers.initial": 200}
CONFIGS: dict[str, dict[str, Any]] = {
    "baseline": {},
    "attacks": {
        "attacks.randao.strategy": "reroll",
        "attacks.randao.sequencer_share": 0.2,
        "attacks.randao.l1_proposer_share": 0.2,
        "attacks.censorship.builder_share": 0.6,
        "attacks.censorship.autocorrelation": 0.5,
        "attacks.censorship.phases": ["proposal", "commitment", "proof"],
        "attacks.censorship.prebuilt_backup": True,
    },
    "base_fee_burn": {"protocol.fee_mechanism": "base_fee_burn", "environment.demand.tx_per_second": 0.25},
    "full_burn": {"protocol.fee_mechanism": "full_burn"},
    "token_gbm_and_negative_prover_prices": {
        "environment.token.process": "gbm",
        "agents.provers.cost_per_block": 5.0,
        "protocol.prover_bond": 100.0,
    },
    "mev_burn": {"protocol.fee_mechanism": "mev_burn"},
    "busy_registry_and_variants": {
        "agents.sequencers.registrations_per_day": 30.0,
        "agents.sequencers.exits_per_day": 20.0,
        "agents.sequencers.profit_driven_entry_exit": True,
        "protocol.entry_period_days": 0.5,
        "protocol.exit_delay_days": 0.5,
        "protocol.variants.reward_decay_per_l1_block": 0.01,
        "protocol.variants.early_reveal_bonus": 5.0,
        "protocol.variants.consolidate_proposal_commitment": True,
        "agents.provers.failure_probability": 0.1,
        "governance.ramp_days": 1.0,
        "governance.support_share_end": 0.4,
    },
}


def frame_hash(frame: pd.DataFrame) -> str:
    """A hash of a table's column names, dtypes and every value (exact for floats)."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy().tobytes())
    return h.hexdigest()[:20]


def config_hashes(overrides: dict[str, Any]) -> dict[str, str]:
    traj = simulate(load_params(overrides={**SMALL, **overrides}))
    return {
        "frame": frame_hash(traj.frame),
        "keys": frame_hash(traj.keys),
        "kpis": frame_hash(kpis_per_run(traj)),
        "agents": frame_hash(agent_table(traj)),
        "confirmation": frame_hash(confirmation_table(traj)),
        "votes": frame_hash(vote_table(traj)),
        "confirmation_hist": hashlib.sha256(
            np.ascontiguousarray(traj.confirmation_hist).tobytes()
        ).hexdigest()[:20],
        "demand_hist": hashlib.sha256(np.ascontiguousarray(traj.demand_hist).tobytes()).hexdigest()[:20],
    }


def sweep_summary_hash(tmp: Path) -> str:
    from aztec_econ.sweep.runner import run_sweep

    spec = tmp / "golden_sweep.yaml"
    spec.write_text(
        "name: golden\n"
        f"base: {Path(__file__).resolve().parent.parent / 'params' / 'baseline.yaml'}\n"
        "runs: 2\n"
        "overrides:\n  sim.slots: 144\n  agents.sequencers.initial: 100\n"
        "grid:\n  protocol.prover_bond: [100, 5000]\n  agents.provers.failure_probability: [0.01, 0.2]\n"
    )
    result = run_sweep(spec, tmp / "out", workers=1, progress=False, probe=False)
    assert result.ok
    summary = result.summary.drop(columns=[c for c in result.summary.columns if c in ("seconds", "worker")])
    return frame_hash(summary.sort_values("point_id").reset_index(drop=True))


def all_hashes(tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {name: config_hashes(o) for name, o in CONFIGS.items()}
    out["sweep_summary"] = sweep_summary_hash(tmp)
    return out


MACHINE_DEPENDENT = ("frame", "kpis", "agents")
"""The hashes recorded per machine kind (module docstring)."""


def machine_kind() -> str:
    """`avx512f` where numpy runs its AVX-512F loops (its own exp and log), else `no_avx512f`."""
    from numpy._core._multiarray_umath import __cpu_features__

    return "avx512f" if __cpu_features__.get("AVX512F") else "no_avx512f"


def expected_hashes(golden: dict[str, Any], name: str) -> dict[str, str]:
    """Configuration `name`'s recorded hashes on this machine kind; fails, saying how to record them, where none
    were recorded for this kind."""
    kind = machine_kind()
    if kind not in golden["by_machine"]:
        pytest.fail(
            f"no golden hashes recorded for machine kind {kind!r}: python tests/test_golden_outputs.py --record"
        )
    return {**golden[name], **golden["by_machine"][kind][name]}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_outputs_match_the_recorded_hashes(name: str) -> None:
    expected = expected_hashes(json.loads(GOLDEN.read_text()), name)
    assert config_hashes(CONFIGS[name]) == expected


def test_every_machine_kind_records_the_same_configurations_and_tables() -> None:
    golden = json.loads(GOLDEN.read_text())
    for kind, recorded in golden["by_machine"].items():
        assert set(recorded) == set(CONFIGS), kind
        for name, hashes in recorded.items():
            assert set(hashes) == set(MACHINE_DEPENDENT), (kind, name)
            assert not set(hashes) & set(golden[name]), (kind, name)


def test_sweep_summary_matches_the_recorded_hash(tmp_path: Path) -> None:
    assert sweep_summary_hash(tmp_path) == json.loads(GOLDEN.read_text())["sweep_summary"]


if __name__ == "__main__" and "--record" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        hashes = all_hashes(Path(d))
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {"by_machine": {}}
    golden["by_machine"][machine_kind()] = {
        name: {k: v for k, v in hashes[name].items() if k in MACHINE_DEPENDENT} for name in CONFIGS
    }
    for name in CONFIGS:
        golden[name] = {k: v for k, v in hashes[name].items() if k not in MACHINE_DEPENDENT}
    golden["sweep_summary"] = hashes["sweep_summary"]
    GOLDEN.write_text(json.dumps(golden, indent=2, sort_keys=True) + "\n")
    print(GOLDEN.read_text())
