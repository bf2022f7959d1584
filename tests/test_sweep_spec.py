"""Sweep files: grid, zip and sample axes, validation of every point before anything runs, stable point ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from aztec_econ.params import BASELINE, load_params
from aztec_econ.sweep.spec import Sample, SweepError, grid_spec, load_sweep, sample_rows, sweep_files


def write_sweep(directory: Path, **body: Any) -> Path:
    """A sweep file in `directory` on the baseline (small horizon), with `body` merged in."""
    data: dict[str, Any] = {
        "name": "t",
        "base": str(BASELINE),
        "runs": 2,
        "overrides": {"sim.slots": 50, "agents.sequencers.initial": 20},
    }
    data.update(body)
    path = directory / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_grid_is_cartesian_and_zip_is_aligned(tmp_path: Path) -> None:
    spec = load_sweep(
        write_sweep(
            tmp_path,
            grid={"protocol.prover_bond": [10, 20, 30], "agents.provers.count": [1, 2]},
            zip={"protocol.reward_split.sequencer": [0.5, 0.6], "protocol.reward_split.prover": [0.4, 0.3]},
        )
    )
    assert len(spec.points) == 3 * 2 * 2
    values = [p.values for p in spec.points]
    assert values[0] == {
        "protocol.prover_bond": 10,
        "agents.provers.count": 1,
        "protocol.reward_split.sequencer": 0.5,
        "protocol.reward_split.prover": 0.4,
    }
    pairs = {(v["protocol.reward_split.sequencer"], v["protocol.reward_split.prover"]) for v in values}
    assert pairs == {(0.5, 0.4), (0.6, 0.3)}  # zipped values travel together, never crossed
    assert all(p.params.sim.runs == 2 and p.params.sim.slots == 50 for p in spec.points)
    assert spec.points[5].params.protocol.prover_bond == 20.0
    assert spec.axes == [
        "protocol.prover_bond",
        "agents.provers.count",
        "protocol.reward_split.sequencer",
        "protocol.reward_split.prover",
    ]


def test_several_zip_groups_are_crossed_with_each_other(tmp_path: Path) -> None:
    spec = load_sweep(
        write_sweep(
            tmp_path,
            zip=[
                {"protocol.prover_bond": [1, 2, 3], "agents.provers.count": [1, 2, 3]},
                {"protocol.block_reward": [10, 20]},
            ],
        )
    )
    values = [(p.values["protocol.prover_bond"], p.values["agents.provers.count"]) for p in spec.points]
    assert len(spec.points) == 6 and set(values) == {(1, 1), (2, 2), (3, 3)}


def test_zip_with_unequal_lengths_names_the_axes_and_lengths(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, zip={"protocol.prover_bond": [1, 2, 3], "agents.provers.count": [1, 2]})
    with pytest.raises(SweepError) as err:
        load_sweep(path)
    assert "equal lengths" in str(err.value)
    assert "protocol.prover_bond (3)" in str(err.value) and "agents.provers.count (2)" in str(err.value)


def test_latin_hypercube_puts_one_draw_in_each_bin_of_each_axis_and_is_seeded() -> None:
    sample = Sample("lhs", 10, {"a.x": (0.0, 1.0), "a.k": (1, 10)})
    rows = sample_rows(sample, seed=7)
    x = np.array([r["a.x"] for r in rows])
    assert sorted(np.floor(x * 10).astype(int)) == list(range(10))
    assert sorted(r["a.k"] for r in rows) == list(range(1, 11))  # ints: inclusive bounds, one per bin
    assert all(isinstance(r["a.k"], int) for r in rows)
    assert sample_rows(sample, seed=7) == rows
    assert sample_rows(sample, seed=8) != rows


def test_random_sample_stays_within_bounds(tmp_path: Path) -> None:
    spec = load_sweep(
        write_sweep(
            tmp_path,
            seed=3,
            sample={
                "method": "random",
                "n": 25,
                "bounds": {"agents.provers.failure_probability": [0.1, 0.2]},
            },
        )
    )
    drawn = [p.params.agents.provers.failure_probability for p in spec.points]
    assert len(drawn) == 25 and all(0.1 <= v <= 0.2 for v in drawn)


def test_a_sample_crossed_with_a_grid_multiplies_the_points(tmp_path: Path) -> None:
    spec = load_sweep(
        write_sweep(
            tmp_path,
            grid={"protocol.prover_bond": [10, 20]},
            sample={"n": 4, "bounds": {"agents.sequencers.offline_probability": [0.0, 0.3]}},
        )
    )
    assert len(spec.points) == 8


def test_an_invalid_point_fails_before_anything_runs_naming_point_field_value_and_rule(
    tmp_path: Path,
) -> None:
    path = write_sweep(
        tmp_path,
        grid={"protocol.prover_bond": [10, -5]},
        zip={"protocol.reward_split.sequencer": [0.5, 0.9], "protocol.reward_split.prover": [0.4, 0.4]},
    )
    with pytest.raises(SweepError) as err:
        load_sweep(path)
    text = str(err.value)
    assert "point 2 (protocol.prover_bond=-5" in text and "protocol.prover_bond = -5" in text
    assert "greater than or equal to 0" in text
    assert "point 1 (" in text and "shares must sum to 1" in text
    assert "point 0 (" not in text  # the valid point is not blamed


def test_unknown_names_and_keys_are_reported(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match=r"did you mean 'protocol\.prover_bond'"):
        load_sweep(write_sweep(tmp_path, grid={"protocol.prover_bnd": [1]}))
    with pytest.raises(SweepError, match=r"grids = .*unknown key"):
        load_sweep(write_sweep(tmp_path, grids={"protocol.prover_bond": [1]}))
    with pytest.raises(SweepError, match=r"sample.bounds.agents.provers.count = \[5, 1\]"):
        load_sweep(write_sweep(tmp_path, sample={"n": 2, "bounds": {"agents.provers.count": [5, 1]}}))


def test_point_ids_are_stable_and_change_only_for_points_whose_parameters_change(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, grid={"protocol.prover_bond": [10, 20, 30]})
    first = [p.id for p in load_sweep(path).points]
    assert [p.id for p in load_sweep(path).points] == first and len(set(first)) == 3
    edited = [
        p.id for p in load_sweep(write_sweep(tmp_path, grid={"protocol.prover_bond": [10, 25, 30]})).points
    ]
    assert edited[0] == first[0] and edited[2] == first[2] and edited[1] not in first
    reordered = load_sweep(write_sweep(tmp_path, grid={"protocol.prover_bond": [30, 10, 20]}))
    assert sorted(p.id for p in reordered.points) == sorted(
        first
    )  # the id follows the parameters, not position


def test_points_with_identical_parameters_are_computed_once(tmp_path: Path) -> None:
    spec = load_sweep(write_sweep(tmp_path, grid={"protocol.prover_bond": [10, 10.0, 20]}))
    assert [p.params.protocol.prover_bond for p in spec.points] == [10.0, 20.0]


@pytest.mark.parametrize("path", sweep_files(), ids=lambda p: p.name)
def test_every_sweep_file_in_params_sweeps_is_valid(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.points and spec.name == path.stem


def test_extra_overrides_apply_to_every_point_after_the_files_own(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, grid={"protocol.prover_bond": [10, 20]})
    spec = load_sweep(path, {"sim.slots": 7, "sim.runs": 1})
    assert all(p.params.sim.slots == 7 and p.params.sim.runs == 1 for p in spec.points)
    assert spec.points[0].params.agents.sequencers.initial == 20  # the file's other overrides stay


def test_the_cli_rejects_an_invalid_sweep_with_exit_code_2_before_running(
    tmp_path: Path, capsys: Any
) -> None:
    from aztec_econ.cli import main

    path = write_sweep(tmp_path, grid={"protocol.prover_bond": [-1]})
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "point 0 (protocol.prover_bond=-1)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert main(["sweep", str(path), "--out", "x", "--scheduler", "tcp://127.0.0.1:1"]) == 2


def test_grid_spec_builds_in_python_what_a_sweep_file_gives(tmp_path: Path) -> None:
    grid = {"protocol.prover_bond": [10, 20], "agents.provers.count": (1, 2)}
    zipped = {"protocol.reward_split.sequencer": [0.5, 0.6], "protocol.reward_split.prover": [0.4, 0.3]}
    small = {"sim.slots": 50, "agents.sequencers.initial": 20}
    from_file = load_sweep(write_sweep(tmp_path, grid={k: list(v) for k, v in grid.items()}, zip=zipped))
    from_overrides = grid_spec(small, grid, zips=[zipped], runs=2, name="t")
    from_params = grid_spec(load_params(overrides={**small, "sim.runs": 2}), grid, zips=[zipped])
    ids = [p.id for p in from_file.points]
    assert [p.id for p in from_overrides.points] == ids and [p.id for p in from_params.points] == ids
    assert [p.values for p in from_params.points] == [p.values for p in from_file.points]
    assert from_params.axes == from_file.axes and from_params.base is None and from_params.path is None
    assert from_overrides.base == BASELINE


def test_grid_spec_points_are_one_zip_group_and_no_axis_is_the_base() -> None:
    params = load_params(overrides={"sim.slots": 50, "agents.sequencers.initial": 20})
    rows = [{"protocol.prover_bond": float(b), "agents.provers.count": c} for b, c in ((10, 1), (20, 3))]
    spec = grid_spec(params, {"agents.provers.failure_probability": np.array([0.0, 0.1])}, points=rows)
    assert [p.values for p in spec.points] == [
        {"agents.provers.failure_probability": f, **row} for f in (0.0, 0.1) for row in rows
    ]
    (only,) = grid_spec(params).points
    assert only.values == {} and only.params == params


def test_grid_spec_reports_every_problem_before_anything_runs() -> None:
    with pytest.raises(SweepError) as err:
        grid_spec(
            {},
            {"protocol.prover_bond": []},
            zips=[{"agents.provers.count": [1, 2], "protocol.prover_bond": [1]}],
            points=[{"a.b": 1}, {"c.d": 2}],
            runs=0,
            name="bad name",
        )
    text = str(err.value)
    for part in ("name = 'bad name'", "runs = 0", "grid.protocol.prover_bond", "equal lengths", "points ="):
        assert part in text
    with pytest.raises(SweepError, match=r"protocol\.prover_bond = -1"):
        grid_spec({}, {"protocol.prover_bond": [10, -1]})
