"""Parameters: every rule fails before anything runs, naming the field, the value and the rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from aztec_econ.params import BASELINE, ParamsError, describe_fields, json_schema, load_params, parse_override


def problems(overrides: dict[str, object]) -> str:
    with pytest.raises(ParamsError) as err:
        load_params(overrides=overrides)
    return str(err.value)


def test_baseline_loads_and_is_frozen() -> None:
    params = load_params()
    assert params.protocol.slot_l1_blocks == 50
    with pytest.raises(ValidationError):
        params.protocol.prover_bond = 5  # type: ignore[misc]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            {"protocol.prover_bnd": 3},
            "protocol.prover_bnd = 3: unknown parameter (did you mean 'protocol.prover_bond'?)",
        ),
        ({"protocl.prover_bond": 3}, "'protocl' is not a parameter group (did you mean 'protocol'?)"),
        ({"sim.slots": "many"}, "sim.slots = 'many': Input should be a valid integer"),
        ({"sim.slots": 10.5}, "sim.slots = 10.5: Input should be a valid integer"),
        (
            {"protocol.exit_delay_days": -1},
            "protocol.exit_delay_days = -1: Input should be greater than or equal to 0",
        ),
        (
            {"protocol.entry_period_days": -0.5},
            "protocol.entry_period_days = -0.5: Input should be greater than or equal",
        ),
        (
            {"protocol.prover_bond": -10},
            "protocol.prover_bond = -10: Input should be greater than or equal to 0",
        ),
        (
            {"agents.provers.failure_probability": 1.2},
            "agents.provers.failure_probability = 1.2: Input should be less",
        ),
        ({"agents.sequencers.offline_probability": -0.1}, "agents.sequencers.offline_probability = -0.1"),
        (
            {"agents.sequencers.initial": 0},
            "agents.sequencers.initial = 0: Input should be greater than or equal to 1",
        ),
        ({"protocol.reward_split.prover": 0.6}, "shares must sum to 1 (they sum to 1.2)"),
        ({"protocol.proving_phase_l1_blocks": 40}, "= 65 L1 blocks) must fit in the slot"),
        (
            {"protocol.slash_bond_on_missed_reveal": "yes"},
            "protocol.slash_bond_on_missed_reveal = 'yes': Input should be a valid boolean",
        ),
    ],
)
def test_invalid_parameters_are_named_with_value_and_rule(override: dict[str, object], expected: str) -> None:
    assert expected in problems(override)


def test_all_problems_are_reported_at_once() -> None:
    text = problems({"protocol.prover_bond": -1, "agents.provers.count": -2})
    assert "protocol.prover_bond = -1" in text and "agents.provers.count = -2" in text


def test_base_inheritance_and_overrides(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"base: {BASELINE}\nprotocol:\n  prover_bond: 20\n")
    params = load_params(child, {"sim.runs": 7})
    assert params.protocol.prover_bond == 20
    assert params.sim.runs == 7
    assert params.protocol.block_reward == load_params().protocol.block_reward


def test_circular_base_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: b.yaml\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ParamsError, match="circular"):
        load_params(tmp_path / "a.yaml")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"base: {BASELINE}\nsim: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(evil)


def test_missing_parameter_is_named(tmp_path: Path) -> None:
    text = BASELINE.read_text().replace("  prover_bond: 1000\n", "")
    partial = tmp_path / "partial.yaml"
    partial.write_text(text)
    with pytest.raises(ParamsError, match=r"protocol.prover_bond: missing"):
        load_params(partial)


def test_override_values_are_parsed_as_yaml() -> None:
    assert parse_override("protocol.prover_bond=20") == ("protocol.prover_bond", 20)
    assert parse_override("protocol.slash_bond_on_missed_reveal=false") == (
        "protocol.slash_bond_on_missed_reveal",
        False,
    )
    with pytest.raises(ParamsError):
        parse_override("no-equals-sign")


def test_every_field_has_unit_and_source() -> None:
    for name, unit, source, doc in describe_fields():
        assert unit and source and doc, name
        assert source.startswith(("spec", "assumption")), name


def test_schema_lists_every_group() -> None:
    schema = json_schema()
    assert {"sim", "protocol", "environment", "agents", "base"} <= set(schema["properties"])
    json.dumps(schema)


def test_cli_reports_bad_parameter_with_exit_code_2() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aztec_econ.cli",
            "params",
            "show",
            str(BASELINE),
            "--set",
            "protocol.block_reward=-1",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "protocol.block_reward = -1" in result.stderr
