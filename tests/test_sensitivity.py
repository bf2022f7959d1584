"""Global sensitivity and scenario discovery: Sobol' and Morris designs in sweep files, their indices against known
answers (a closed form from `theory`, and a KPI that one swept parameter cannot affect), the `aztec-econ analyze`
commands, and PRIM boxes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_sweep_spec import write_sweep  # tests/ is on sys.path (rootdir-relative imports)

from aztec_econ.analysis import theory
from aztec_econ.analysis.scenarios import prim_boxes
from aztec_econ.analysis.sensitivity import (
    SensitivityError,
    morris_indices,
    product_sobol_indices,
    ranking,
    sobol_indices,
)
from aztec_econ.cli import main
from aztec_econ.params import load_params
from aztec_econ.sweep.analysis import scenarios, sensitivity
from aztec_econ.sweep.runner import run_sweep
from aztec_econ.sweep.spec import Sample, SweepError, design_matrix, load_sweep, sample_rows, sample_spec

OFFLINE = "agents.sequencers.offline_probability"
INERT = "governance.ramp_days"
"""How support for an upgrade ramps: it changes votes, never which slots end in backup mode (votes draw from their
own stream), so with common random numbers it cannot move `share_backup` at all."""
SMALL = {"sim.slots": 48, "agents.sequencers.initial": 20, "agents.sequencers.proposers_per_slot": 1}
"""Eight hours, 20 keys, one proposer per slot: `share_backup` then grows about linearly with the offline share."""


# ---------------------------------------------------------------------------------------------------------------------
# Designs in sweep files


def test_a_sobol_sample_gives_n_times_d_plus_2_seeded_rows_each_mapped_to_its_point(tmp_path: Path) -> None:
    bounds = {OFFLINE: [0.0, 0.5], "agents.provers.count": [1, 4]}
    spec = load_sweep(write_sweep(tmp_path, seed=5, sample={"method": "sobol", "n": 8, "bounds": bounds}))
    design = spec.design
    assert design is not None and len(design) == 8 * (2 + 2)
    assert list(design.columns) == ["row", "point_id", OFFLINE, "agents.provers.count"]
    # integers are drawn on [1, 5) and floored: every point's count is an int in [1, 4]
    counts = [p.params.agents.provers.count for p in spec.points]
    assert set(counts) <= {1, 2, 3, 4} and len(set(counts)) > 1
    assert all(0.0 <= p.params.agents.sequencers.offline_probability <= 0.5 for p in spec.points)
    # rows that floor to the same parameters share a point; every row names a point of the sweep
    ids = {p.id for p in spec.points}
    assert set(design["point_id"]) == ids and len(ids) <= len(design)
    by_id = {p.id: p for p in spec.points}
    for _, row in design.iterrows():
        point = by_id[row["point_id"]]
        assert point.params.agents.provers.count == min(int(np.floor(row["agents.provers.count"])), 4)
        assert point.params.agents.sequencers.offline_probability == pytest.approx(row[OFFLINE])
    again = load_sweep(write_sweep(tmp_path, seed=5, sample={"method": "sobol", "n": 8, "bounds": bounds}))
    other = load_sweep(write_sweep(tmp_path, seed=6, sample={"method": "sobol", "n": 8, "bounds": bounds}))
    assert again.design is not None and other.design is not None
    assert again.design.equals(design) and not other.design[OFFLINE].equals(design[OFFLINE])


def test_sample_spec_builds_in_python_the_design_a_sweep_file_gives(tmp_path: Path) -> None:
    bounds = {OFFLINE: [0.0, 0.5], INERT: [0.0, 30.0]}
    body = {"name": "s", "runs": 2, "seed": 9, "overrides": SMALL}
    from_file = load_sweep(
        write_sweep(tmp_path, **body, sample={"method": "sobol", "n": 4, "bounds": bounds})
    )
    params = load_params(overrides={**SMALL, "sim.runs": 2})
    in_python = sample_spec(
        params, Sample("sobol", 4, {k: (lo, hi) for k, (lo, hi) in bounds.items()}), seed=9
    )
    assert from_file.design is not None and in_python.design is not None
    pd.testing.assert_frame_equal(in_python.design, from_file.design)
    assert [p.id for p in in_python.points] == [p.id for p in from_file.points]
    with pytest.raises(SweepError, match="power of 2"):
        sample_spec(params, Sample("sobol", 3, {OFFLINE: (0.0, 0.5)}))


def test_a_morris_sample_gives_trajectories_moving_one_parameter_a_grid_step_at_a_time() -> None:
    sample = Sample("morris", 5, {"a.x": (0.0, 1.0), "a.y": (10.0, 20.0), "a.z": (0.0, 2.0)}, levels=4)
    x = design_matrix(sample, seed=2)
    assert x.shape == (5 * 4, 3) and sample.size == 20
    for trajectory in x.reshape(5, 4, 3):
        steps = np.diff(trajectory, axis=0) != 0
        assert (steps.sum(axis=1) == 1).all() and (steps.sum(axis=0) == 1).all()  # each parameter once
    grid = {round(v, 9) for v in x[:, 0]}
    assert grid <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}  # four levels on [0, 1]
    assert [r["a.y"] for r in sample_rows(sample, 2)] == pytest.approx(list(x[:, 1]))


def test_design_samples_are_validated_before_anything_runs(tmp_path: Path) -> None:
    bounds = {OFFLINE: [0.0, 0.5]}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sample": {"method": "sobol", "n": 12, "bounds": bounds}}, "must be a power of 2"),
        ({"sample": {"method": "morris", "trajectories": 4, "levels": 3, "bounds": bounds}}, "even integer"),
        ({"sample": {"method": "morris", "n": 4, "bounds": bounds}}, "sample.n: unknown key for method"),
        (
            {
                "sample": {"method": "sobol", "n": 8, "bounds": bounds},
                "grid": {"protocol.prover_bond": [1, 2]},
            },
            "must be the sweep's only axis",
        ),
        ({"sample": {"method": "sobol", "n": 8, "bounds": {OFFLINE: [0.2, 0.2]}}}, "needs low < high"),
        ({"sample": {"method": "halton", "n": 8, "bounds": bounds}}, "must be one of lhs, random, sobol"),
    ]
    for body, message in cases:
        with pytest.raises(SweepError) as err:
            load_sweep(write_sweep(tmp_path, **body))
        assert message in str(err.value), (body, str(err.value))


# ---------------------------------------------------------------------------------------------------------------------
# Estimators against known answers (no simulation)

K, Q, R, P = 3, 0.5, 0.2, 0.3
"""`theory.happy_path_probability` with proposers K = 3, offline share q in [0, Q], reveal failure r in [0, R],
proof failure p in [0, P]; the other inputs fixed. It is a product of one factor per input, so its Sobol' indices
follow from each factor's first two moments on its uniform range."""


def _happy(row: dict[str, float]) -> float:
    return theory.happy_path_probability(row["q"], K, 0.1, 0.2, 10, row["r"], row["p"])


def _exact_happy_indices() -> pd.DataFrame:
    return product_sobol_indices(
        {"q": 1 - Q**K / (K + 1), "r": 1 - R / 2, "p": 1 - P / 2},
        {
            "q": 1 - 2 * Q**K / (K + 1) + Q ** (2 * K) / (2 * K + 1),
            "r": 1 - R + R**2 / 3,
            "p": 1 - P + P**2 / 3,
        },
    )


def test_product_indices_are_exact_for_a_sum_like_case_and_add_up() -> None:
    # g(x) = 1 + e x_i with tiny e is nearly additive: S1 = ST = var_i / sum(var), sum(S1) = 1
    e = 1e-4
    exact = product_sobol_indices(
        {"a": 1 + e / 2, "b": 1 + e}, {"a": 1 + e + e**2 / 3, "b": 1 + 2 * e + 4 * e**2 / 3}
    )
    assert exact.loc["a", "S1"] == pytest.approx(0.2, rel=1e-3) and exact.loc["b", "S1"] == pytest.approx(
        0.8, rel=1e-3
    )
    assert (exact["ST"] >= exact["S1"]).all()


def test_sobol_indices_of_a_closed_form_match_their_analytic_values_within_the_reported_confidence() -> None:
    bounds = {"q": (0.0, Q), "r": (0.0, R), "p": (0.0, P)}
    rows = sample_rows(Sample("sobol", 1024, bounds), seed=11)
    table = sobol_indices(list(bounds), [_happy(r) for r in rows], seed=11)
    exact = _exact_happy_indices()
    assert ranking(table) == ["p", "r", "q"] == list(exact.sort_values("ST", ascending=False).index)
    for name in bounds:
        for index in ("S1", "ST"):
            estimate, half = table.loc[name, index], table.loc[name, f"{index}_conf"]
            assert 0 < half < 0.1  # the confidence is informative, not vacuous
            assert abs(estimate - exact.loc[name, index]) <= half, (
                name,
                index,
                estimate,
                exact.loc[name, index],
            )


def test_morris_ranks_the_closed_forms_inputs_as_sobol_does() -> None:
    bounds = {"q": (0.0, Q), "r": (0.0, R), "p": (0.0, P)}
    sample = Sample("morris", 20, bounds, levels=4)
    table = morris_indices(
        list(bounds), design_matrix(sample, 4), [_happy(r) for r in sample_rows(sample, 4)], levels=4, seed=4
    )
    assert ranking(table) == ["p", "r", "q"]
    assert (table["mu"] < 0).all() and (table["mu_star"] == -table["mu"]).all()  # failures only lower it
    # f is linear in p: a step of p's range fraction d changes f by -d P (the other factors), and SALib reports
    # effects per range fraction, so mu* of p is P times the mean of the other factors over the design
    others = np.mean([_happy(r) / (1 - r["p"]) for r in sample_rows(sample, 4)])
    assert table.loc["p", "mu_star"] == pytest.approx(P * others, rel=0.05)


def test_estimators_refuse_values_that_do_not_fit_the_design() -> None:
    with pytest.raises(SensitivityError, match="multiple of 4"):
        sobol_indices(["a", "b"], np.ones(10))
    with pytest.raises(SensitivityError, match="constant"):
        sobol_indices(["a", "b"], np.ones(8))
    with pytest.raises(SensitivityError, match="NaN"):
        sobol_indices(["a", "b"], [1.0, np.nan, 2, 3, 4, 5, 6, 7])


# ---------------------------------------------------------------------------------------------------------------------
# Sweeps of the model


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Sobol' sweep of the offline share in [0, 0.5] and the inert parameter: 32 x 4 = 128 short points."""
    spec_dir = tmp_path_factory.mktemp("sobol-spec")
    path = write_sweep(
        spec_dir,
        name="sobol",
        overrides=SMALL,
        sample={"method": "sobol", "n": 32, "bounds": {OFFLINE: [0.0, 0.5], INERT: [0.0, 30.0]}},
    )
    out = tmp_path_factory.mktemp("sobol")
    result = run_sweep(path, out, executor="inline", progress=False, probe=False)
    assert result.ok and result.done == 128
    return out


@pytest.fixture(scope="module")
def morris_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec_dir = tmp_path_factory.mktemp("morris-spec")
    path = write_sweep(
        spec_dir,
        name="morris",
        overrides=SMALL,
        sample={"method": "morris", "trajectories": 8, "bounds": {INERT: [0.0, 30.0], OFFLINE: [0.0, 0.5]}},
    )
    out = tmp_path_factory.mktemp("morris")
    assert run_sweep(path, out, executor="inline", progress=False, probe=False).ok
    return out


def _cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_sobol_total_index_of_a_parameter_that_cannot_matter_is_zero_and_of_the_driver_near_one(
    sobol_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    indices = _cli_json(capsys, "analyze", "sensitivity", str(sobol_sweep), "--kpi", "share_backup", "--json")
    assert list(indices) == ["share_backup"]
    backup = indices["share_backup"]
    assert list(backup) == [OFFLINE, INERT]  # ranked
    assert set(backup[OFFLINE]) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert backup[INERT]["ST"] < 0.05 and abs(backup[INERT]["S1"]) < 0.05
    assert backup[OFFLINE]["ST"] > 0.9 and backup[OFFLINE]["S1"] > 0.8
    # the same through Python, with the KPIs that do not vary reported rather than divided by zero
    result = sensitivity(sobol_sweep, ["share_backup", "l1_blocks_withheld_per_slot"])
    assert result.method == "sobol" and result.rows == 128 and result.points == 128
    assert result.tables["share_backup"].loc[OFFLINE, "ST"] == pytest.approx(backup[OFFLINE]["ST"])
    assert result.skipped == {"l1_blocks_withheld_per_slot": "constant over the design"}


@pytest.mark.slow
def test_morris_ranks_the_same_parameter_first(
    morris_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    indices = _cli_json(
        capsys, "analyze", "sensitivity", str(morris_sweep), "--kpi", "share_backup", "--json"
    )
    backup = indices["share_backup"]
    assert list(backup) == [OFFLINE, INERT]
    assert set(backup[OFFLINE]) == {"mu_star", "mu_star_conf", "sigma", "mu"}
    assert backup[INERT]["mu_star"] == 0.0 and backup[OFFLINE]["mu_star"] > 0.05
    assert backup[OFFLINE]["mu"] > 0  # more keys offline, more backup blocks
    capsys.readouterr()
    assert main(["analyze", "sensitivity", str(morris_sweep), "--kpi", "share_backup"]) == 0
    text = capsys.readouterr().out
    assert "Morris mu*, sigma" in text and "mu_star" in text and OFFLINE in text


@pytest.mark.slow
def test_analyze_sensitivity_refuses_a_sweep_not_sampled_for_the_method(
    morris_sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["analyze", "sensitivity", str(morris_sweep), "--method", "sobol"]) == 2
    assert "sampled for morris, not sobol" in capsys.readouterr().err
    lhs = write_sweep(tmp_path, name="lhs", overrides=SMALL, sample={"n": 2, "bounds": {OFFLINE: [0.0, 0.5]}})
    out = tmp_path / "lhs-out"
    assert run_sweep(lhs, out, executor="inline", progress=False, probe=False).ok
    assert main(["analyze", "sensitivity", str(out)]) == 2
    error = capsys.readouterr().err
    assert "was not sampled for a sensitivity analysis (its sample method is 'lhs')" in error
    assert "method: sobol" in error
    with pytest.raises(SensitivityError, match="unknown KPI"):
        sensitivity(morris_sweep, ["no_such_kpi"])


@pytest.mark.slow
def test_scenarios_find_the_box_of_high_offline_shares_where_backup_is_common(
    sobol_sweep: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = scenarios(sobol_sweep, "share_backup > 0.2")
    summary = pd.read_parquet(sobol_sweep / "summary.parquet")
    holds = summary["share_backup_mean"] > 0.2
    assert result.found.points == 128 and result.found.cases == int(holds.sum()) > 10
    box = result.found.boxes[0]
    assert list(box.limits.index) == [OFFLINE]  # the inert parameter is never restricted
    # the box is the offline shares above where share_backup crosses 0.2 (between the extreme points either side)
    crossing_low = summary.loc[~holds, OFFLINE].max()
    crossing_high = summary.loc[holds, OFFLINE].min()
    assert (
        min(crossing_low, crossing_high) - 0.02
        <= box.limits.loc[OFFLINE, "low"]
        <= max(crossing_low, crossing_high) + 0.02
    )
    assert box.density >= 0.8 and box.coverage >= 0.8
    capsys.readouterr()
    assert main(["analyze", "scenarios", str(sobol_sweep), "--where", "share_backup > 0.2"]) == 0
    text = capsys.readouterr().out
    assert "box 1: coverage" in text and f"{OFFLINE} >=" in text and "decision tree" in text
    assert main(["analyze", "scenarios", str(sobol_sweep), "--where", "share_backup > 5"]) == 0
    assert "no PRIM box: it holds nowhere" in capsys.readouterr().out


def test_prim_finds_the_box_of_two_restrictions_and_a_category() -> None:
    rng = np.random.default_rng(0)
    x = pd.DataFrame(
        {
            "a": rng.random(300),
            "n": rng.integers(1, 10, 300),
            "mechanism": rng.choice(["first_price", "full_burn", "mev_burn"], 300),
        }
    )
    found = prim_boxes(x, (x["a"] > 0.6) & (x["n"] <= 4))
    box = found.boxes[0]
    assert set(box.limits.index) == {"a", "n"} and box.density >= 0.8 and box.coverage >= 0.8
    assert 0.5 <= box.limits.loc["a", "low"] <= 0.65 and 4 <= box.limits.loc["n", "high"] < 5
    categorical = prim_boxes(x, (x["mechanism"] == "full_burn") & (x["a"] < 0.5)).boxes[0]
    assert categorical.limits.loc["mechanism", "values"] == ("full_burn",)
    assert "mechanism in {full_burn}" in categorical.describe()
    assert prim_boxes(x, np.zeros(300, dtype=bool)).boxes == []
