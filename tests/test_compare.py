"""Scenario comparison (`aztec-econ compare`) and the shipped example scenarios in params/scenarios/."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from aztec_econ.analysis.compare import compare_kpis, differing
from aztec_econ.cli import main
from aztec_econ.params import BASELINE, load_params
from aztec_econ.publish.compare import changes, compare, load_scenarios

SCENARIOS = sorted((BASELINE.parent / "scenarios").glob("*.yaml"))
SMALL = {"agents.sequencers.initial": 100}


def test_example_scenarios_ship_and_each_changes_a_few_lines_of_the_baseline() -> None:
    assert {p.stem for p in SCENARIOS} >= {
        "high_l1_gas",
        "heavy_censorship",
        "concentrated_operators",
        "fee_burn",
    }
    baseline = load_params()
    for path in SCENARIOS:
        raw = yaml.safe_load(path.read_text())
        assert raw["base"] == "../baseline.yaml", path
        params = load_params(path)  # validates
        changed = changes(baseline, params)
        assert 1 <= len(changed) <= 3, (path, changed)
        assert len(path.read_text().splitlines()) <= 12, path
        assert path.read_text().startswith("# "), f"{path}: say what the scenario is in a comment"


def test_paired_differences_are_exact_zero_for_identical_scenarios_and_need_the_same_runs() -> None:
    runs = pd.DataFrame({"run": [0, 1, 2], "share_happy": [0.9, 0.95, 0.97], "fees_paid": [10.0, 12.0, 11.0]})
    table = compare_kpis({"a": runs, "b": runs.copy()})
    b = table[table["scenario"] == "b"].set_index("kpi")
    assert (b["diff"] == 0).all() and (b["diff_ci_low"] == 0).all() and (b["diff_ci_high"] == 0).all()
    assert differing(table).empty
    shifted = runs.assign(fees_paid=runs["fees_paid"] + 1.0)
    table = compare_kpis({"a": runs, "b": shifted})
    assert list(differing(table)["kpi"]) == ["fees_paid"]  # a constant shift: a zero-width interval around +1
    assert table.set_index(["kpi", "scenario"]).loc[("share_happy", "a"), "ci_high"] <= 1.0  # kept in range
    with pytest.raises(ValueError, match="same runs"):
        compare_kpis({"a": runs, "b": runs.iloc[:2]})


def test_scenarios_share_horizon_runs_and_seed_common_random_numbers() -> None:
    a, b = load_scenarios([BASELINE, SCENARIOS[0]], SMALL, slots=144, runs=2)
    assert (a.params.sim.slots, a.params.sim.runs) == (b.params.sim.slots, b.params.sim.runs) == (144, 2)
    assert a.params.sim.seed == b.params.sim.seed
    with pytest.raises(ValueError, match="at least two"):
        load_scenarios([BASELINE])
    with pytest.raises(ValueError, match="unique"):
        load_scenarios([BASELINE, BASELINE])


@pytest.mark.slow
def test_compare_reports_kpis_side_by_side_with_the_difference_and_its_interval(tmp_path: Path) -> None:
    fee_burn = BASELINE.parent / "scenarios" / "fee_burn.yaml"
    result = compare(
        [BASELINE, fee_burn, BASELINE], tmp_path, SMALL, slots=288, runs=3, names=["base", "burn", "same"]
    )
    table = result.table.set_index(["kpi", "scenario"])
    burned = table.loc[("fees_burned", "burn")]
    assert table.loc[("fees_burned", "base"), "mean"] == 0.0
    assert burned["diff"] > 0 and burned["diff_ci_low"] > 0  # burning fees, beyond noise
    same = result.table[result.table["scenario"] == "same"]
    assert (same["diff"].fillna(0) == 0).all()  # the same parameters and seed: identical runs
    page = result.html.read_text()
    assert "fee_mechanism: first_price → base_fee_burn" in page and "KPIs that differ from base" in page
    assert page.count("plotly-graph-div") >= 4 and 'src="plotly-' in page
    rows = json.loads(result.json.read_text())
    assert {r["scenario"] for r in rows} == {"base", "burn", "same"} and all("unit" in r for r in rows)
    assert result.csv.read_text().startswith("kpi,unit,description,scenario,mean,ci_low,ci_high,diff")
    index = json.loads((tmp_path / "index.json").read_text())
    assert index[0]["id"] == "compare" and index[0]["exports"]["csv"] == "compare.kpis.csv"
    assert any(k.startswith("fees_burned (burn - base)") for k in index[0]["kpis"])
    assert np.isfinite(burned["ci_low"]) and burned["ci_low"] >= 0


@pytest.mark.slow
def test_compare_command_writes_the_report_and_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gas = BASELINE.parent / "scenarios" / "high_l1_gas.yaml"
    argv = ["compare", str(BASELINE), str(gas), "--out", str(tmp_path), "--slots", "144", "--runs", "2"]
    assert main([*argv, "--set", "agents.sequencers.initial=100"]) == 0
    assert (tmp_path / "compare.html").is_file() and (tmp_path / "compare.kpis.json").is_file()
    assert "report:" in capsys.readouterr().err
    rows = json.loads((tmp_path / "compare.kpis.json").read_text())
    gas_price = next(r for r in rows if r["kpi"] == "mean_l1_gas_price" and r["scenario"] == "high_l1_gas")
    assert gas_price["diff"] > 0
    assert main(["compare", str(BASELINE), "--out", str(tmp_path)]) == 2
    assert main(["compare", str(BASELINE), str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert main([*argv, "--name", "../evil"]) == 2
