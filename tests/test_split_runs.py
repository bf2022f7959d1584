"""One simulation's runs split into chunks (`aztec_econ.sweep.split_runs`): joined, they equal `simulate` of all runs
exactly, inline and on a real two-worker Dask cluster on 127.0.0.1, whatever the chunk size; per-run KPIs from
chunks equal those of the single-process run; bad parts and failed chunks raise errors that say which."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis.kpis import kpis_per_run
from aztec_econ.params import Params, load_params
from aztec_econ.simulation import Trajectories, simulate
from aztec_econ.sweep import split_runs
from aztec_econ.sweep.executors import Executor
from aztec_econ.sweep.split_runs import (
    SplitRunsError,
    chunk_runs,
    concat_trajectories,
    default_chunk,
    kpis_split,
    simulate_split,
)

BUSY = {  # keys registered and exiting during the run, so the key tables differ between runs
    "agents__sequencers__registrations_per_day": 30.0,
    "agents__sequencers__exits_per_day": 20.0,
    "protocol__entry_period_days": 0.5,
    "protocol__exit_delay_days": 0.5,
    "sim__slots": 120,
    "sim__runs": 5,
    "agents__sequencers__initial": 40,
}


@pytest.fixture(scope="module")
def params() -> Params:
    return load_params(overrides={k.replace("__", "."): v for k, v in BUSY.items()})


@pytest.fixture(scope="module")
def whole(params: Params) -> Trajectories:
    return simulate(params)


def assert_same(got: Trajectories, expected: Trajectories) -> None:
    assert got.params == expected.params
    pd.testing.assert_frame_equal(got.frame, expected.frame)
    pd.testing.assert_frame_equal(got.keys, expected.keys)
    assert got.confirmation_hist.dtype == expected.confirmation_hist.dtype
    np.testing.assert_array_equal(got.confirmation_hist, expected.confirmation_hist)
    assert got.demand_hist.dtype == expected.demand_hist.dtype
    np.testing.assert_array_equal(got.demand_hist, expected.demand_hist)


def test_chunks_cover_the_runs_in_order() -> None:
    assert chunk_runs(5, 2) == [range(0, 2), range(2, 4), range(4, 5)]
    assert chunk_runs(3, 10) == [range(0, 3)]
    with pytest.raises(ValueError, match="chunk = 0"):
        chunk_runs(3, 0)


def test_the_default_chunk_is_one_per_worker_where_it_fits_in_memory(params: Params) -> None:
    assert default_chunk(params, 1, available=2**40) == 5
    assert default_chunk(params, 2, available=2**40) == 3
    big = load_params(overrides={"sim.runs": 1000, "sim.slots": 52560})  # the baseline over a year
    assert default_chunk(big, 2, available=2**50) == 500
    assert 1 <= default_chunk(big, 2, available=8 * 2**30) < 70  # two chunks at once must fit in 8 GB


def test_concatenated_chunks_equal_one_simulation(params: Params, whole: Trajectories) -> None:
    parts = [simulate(params, runs=runs) for runs in ([0, 1], [2, 3], [4])]
    joined = concat_trajectories(parts)
    assert_same(joined, whole)
    assert isinstance(joined.frame["mode"].dtype, pd.CategoricalDtype)
    assert_same(concat_trajectories([whole]), whole)


def test_parts_of_different_simulations_or_overlapping_runs_are_refused(params: Params) -> None:
    a = simulate(params, runs=[0, 1])
    with pytest.raises(SplitRunsError, match=r"run\(s\) 1 are in more than one part"):
        concat_trajectories([a, simulate(params, runs=[1, 2])])
    other = simulate(params.with_overrides({"protocol.prover_bond": 123}), runs=[2])
    with pytest.raises(SplitRunsError, match=r"part 1 has different parameters.*protocol\.prover_bond"):
        concat_trajectories([a, other])
    with pytest.raises(SplitRunsError, match="no parts"):
        concat_trajectories([])


@pytest.mark.parametrize("chunk", [2, 3, None])
def test_split_inline_equals_one_simulation(params: Params, whole: Trajectories, chunk: int | None) -> None:
    assert_same(simulate_split(params, chunk=chunk, executor="inline"), whole)
    pd.testing.assert_frame_equal(kpis_split(params, chunk=chunk, executor="inline"), kpis_per_run(whole))


def test_a_failed_chunk_names_its_runs(
    params: Params, whole: Trajectories, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = split_runs.simulate_chunk

    def flaky(params_json: str, runs: list[int]) -> Trajectories:
        if 2 in runs:
            raise ValueError("boom")
        return real(params_json, runs)

    monkeypatch.setattr(split_runs, "simulate_chunk", flaky)
    with pytest.raises(SplitRunsError, match=r"runs 2-3 of 5 failed: ValueError: boom"):
        kpis_split(params, chunk=2, executor="inline")


@pytest.fixture(scope="module")
def two_workers() -> Iterator[str]:
    """A real Dask cluster: a scheduler and two single-threaded worker processes on 127.0.0.1."""
    from aztec_econ.sweep.executors import local_cluster

    with local_cluster(2, host="127.0.0.1") as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_split_over_two_dask_workers_equals_one_simulation(
    params: Params, whole: Trajectories, two_workers: str
) -> None:
    assert two_workers.startswith("tcp://127.0.0.1:")
    with Executor("dask", scheduler=two_workers) as ex:
        assert ex.n_workers == 2
        for chunk in (2, 3):  # 5 runs: neither divides them
            assert_same(simulate_split(params, chunk=chunk, executor=ex), whole)
        kpis = kpis_split(params, chunk=2, executor=ex)
    pd.testing.assert_frame_equal(kpis, kpis_per_run(whole))


def test_an_executor_not_entered_is_refused(params: Params) -> None:
    with pytest.raises(ValueError, match="must be entered"):
        kpis_split(params, executor=Executor("inline"))


def _worker_settings() -> tuple[str | None, bool]:
    import os

    import dask

    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), bool(
        dask.config.get("distributed.worker.profile.enabled")
    )


def test_the_local_cluster_workers_run_without_the_settings_that_slow_the_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dask's MALLOC_TRIM_THRESHOLD_ and worker profiler cost the model 18-25% (`executors.local_cluster_config`), even
    after a cluster with Dask's defaults left the variable in this process's environment (its nanny writes it)."""
    from aztec_econ.sweep.executors import TRIM, Executor, _set_at_start

    if _set_at_start(TRIM):
        pytest.skip("MALLOC_TRIM_THRESHOLD_ was set when this process started: the user's choice is kept")
    monkeypatch.setenv(TRIM, "65536")  # as a default-config Dask cluster leaves it
    with Executor("dask", workers=1) as executor:
        assert executor._client is not None
        settings = set(executor._client.run(_worker_settings).values())
    assert settings == {(None, False)}
