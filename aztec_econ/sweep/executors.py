"""Executors for sweep tasks: a local process pool (default), a Dask cluster, or this process.

All take `(key, function, *args)` tasks and yield `(key, result)` as tasks finish, in completion order; a task that
raises (or whose worker dies) yields `(key, exception)` instead, so one failure never stops the others. Functions
must be importable module-level functions (they are pickled by reference) and return picklable results.

- `local`: `concurrent.futures.ProcessPoolExecutor` with the `forkserver` start method (workers fork from a clean
  server process that imported the model once: no inherited threads or client state, and no per-worker import
  cost), `workers` processes (default: the cores this process may use). Workers ignore Ctrl-C (the client handles
  it and stops them) and exit when their client dies, however it dies (`_watch_client`).
- `dask`: `distributed.Client(scheduler)`; without a scheduler address a `LocalCluster` of `workers` single-threaded
  processes is started and torn down. Results travel back to the client: no shared file system is assumed. A
  scheduler that does not answer within `CONNECT_TIMEOUT_S` raises `ExecutorError` naming its address.
- `inline`: each task runs in this process, one after the other, in submission order: no pool to start and nothing
  pickled, the fastest way to run a few short points (notebooks). Results are identical to the pool's (the same
  functions on the same inputs); a task's function need not be importable here.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from types import TracebackType
from typing import Any

EXECUTORS = ("local", "dask", "inline")
Task = tuple[str, Callable[..., Any], tuple[Any, ...]]
PRELOAD = (
    "aztec_econ.sweep.quiet_workers",
    "aztec_econ.sweep.tasks",
    "aztec_econ.simulation",
    "aztec_econ.analysis.kpis",
)
"""Modules the local pool's fork server imports once, in order; its workers fork from it with them loaded. The first
makes the server and its workers ignore Ctrl-C (`quiet_workers`)."""
QUIET_TRACKER = "ignore:resource_tracker:UserWarning"
"""A warning filter for multiprocessing's resource tracker: after Ctrl-C terminates the workers it cleans up the pool's
semaphores (nothing is left on the system) but warns that they 'leaked'; without the filter that line would follow the
one-line interruption message."""
CONNECT_TIMEOUT_S = 3.0
"""Longest wait for a Dask scheduler to answer [seconds]."""


def _stop_fork_server() -> None:
    """Kill the fork server (multiprocessing starts a new one for the next pool). After Ctrl-C during the pool's
    start-up it would otherwise still fork the workers asked for, which then fail on the client's vanished
    semaphores and print tracebacks."""
    from multiprocessing import forkserver

    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


TRIM = "MALLOC_TRIM_THRESHOLD_"


def local_cluster_config() -> dict[str, Any]:
    """Dask settings for the workers of our local clusters (measured on a 1,000-run chunk, against the same chunk in
    this process: 18-25% slower with Dask's defaults, 6-8% with these):

    - the nanny's environment (`distributed.nanny.pre-spawn-environ`: one thread per numerical library) without
      `MALLOC_TRIM_THRESHOLD_`: setting that variable at all switches off glibc's adaptive mmap threshold, so every
      array over 128 KiB is mapped and unmapped afresh (a 500-run simulation ran 30-40% slower, with twice the page
      faults); the simulation's memory is arrays freed when a segment ends, so trimming buys nothing;
    - no statistical profiler in the workers (`distributed.worker.profile.enabled`): it samples the task's stack
      every 10 ms, and the model's stacks are deep Python.

    Workers of a cluster started elsewhere (`scheduler`) keep their own settings."""
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {})
    environ.pop(TRIM, None)
    return {"distributed.nanny.pre-spawn-environ": environ, "distributed.worker.profile.enabled": False}


def _set_at_start(name: str) -> bool:
    """Whether environment variable `name` was in this process's environment when it started (Linux:
    /proc/self/environ; elsewhere assumed so, which leaves it alone)."""
    try:
        initial = Path("/proc/self/environ").read_bytes().split(b"\0")
    except OSError:
        return True
    return any(entry.startswith(name.encode() + b"=") for entry in initial)


@contextlib.contextmanager
def _without_dask_trim() -> Iterator[None]:
    """While our local cluster starts: no `MALLOC_TRIM_THRESHOLD_` in os.environ unless the user set it when this
    process started. Dask's nanny writes its pre-spawn environment into the *client's* os.environ, so any Dask
    cluster started earlier with the defaults leaves the variable there for every later worker to inherit."""
    value = os.environ.get(TRIM)
    if value is None or _set_at_start(TRIM):
        yield
        return
    del os.environ[TRIM]
    try:
        yield
    finally:
        os.environ.setdefault(TRIM, value)


def local_cluster(n_workers: int, **options: Any) -> Any:
    """A Dask `LocalCluster` of `n_workers` single-threaded worker processes with `local_cluster_config`'s settings
    (`options` go to `LocalCluster`: `host`, `preload`, ...). Close it (a context manager) when done."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(local_cluster_config()), _without_dask_trim():
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            **{"silence_logs": logging.ERROR, **options},
        )


HEARTBEAT_LOST = "Failed to communicate with scheduler during heartbeat"
"""The start of the record (with a traceback) a Dask worker logs when its scheduler closed while a heartbeat was in
flight: what our local cluster's workers see when the client stops the cluster (Ctrl-C, the end of a sweep)."""


def _not_a_lost_heartbeat(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(HEARTBEAT_LOST)


def dask_setup(worker: Any) -> None:
    """Dask preload hook of the local cluster's worker processes: ignore Ctrl-C (a terminal sends it to the whole
    process group; the client stops the cluster), as pool workers do (`_watch_client`), and drop the heartbeat
    record of a scheduler that closed (`HEARTBEAT_LOST`): the client closes the scheduler it started, and a
    scheduler lost otherwise fails the running points, which the sweep records. Without it, a Ctrl-C that lands
    while a worker's heartbeat is in flight prints a worker's traceback under the sweep's one-line message."""
    with contextlib.suppress(ValueError):  # not the main thread: keep the default
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker").addFilter(_not_a_lost_heartbeat)


class ExecutorError(RuntimeError):
    """An executor that cannot start (a Dask scheduler that does not answer): the message names it and why."""


def _watch_client(client_pid: int) -> None:
    """Pool worker initializer: ignore Ctrl-C (the client stops the pool) and exit as soon as the client process
    `client_pid` is gone (a thread waits on a pidfd, or polls once a second where there is none), so a killed
    client leaves no workers (nor, through them, the fork server's resource tracker) behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def wait_for_exit() -> None:
        try:
            fd = os.pidfd_open(client_pid)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                try:
                    os.kill(client_pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=wait_for_exit, name="watch-client", daemon=True).start()


def default_workers() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    """A context manager that runs tasks and yields results as they complete; `n_workers` is known once entered."""

    def __init__(self, kind: str = "local", workers: int | None = None, scheduler: str | None = None) -> None:
        if kind not in EXECUTORS:
            raise ValueError(f"executor = {kind!r}: must be one of {', '.join(EXECUTORS)}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers = {workers}: must be >= 1")
        if kind == "inline" and workers not in (None, 1):
            raise ValueError(
                f"workers = {workers}: the inline executor runs tasks in this process, one at a time"
            )
        self.kind = kind
        self.workers = workers
        self.scheduler = scheduler
        self.n_workers = 0
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> Executor:
        if self.kind == "inline":
            self.n_workers = 1
            return self
        if QUIET_TRACKER not in sys.warnoptions:  # passed to the resource tracker when it starts (see above)
            sys.warnoptions.append(QUIET_TRACKER)
        if self.kind == "local":
            self.n_workers = self.workers or default_workers()
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            self._pool = ProcessPoolExecutor(
                self.n_workers, mp_context=context, initializer=_watch_client, initargs=(os.getpid(),)
            )
            return self
        from distributed import Client

        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout=f"{CONNECT_TIMEOUT_S:g}s")
            except (OSError, TimeoutError, ValueError, TypeError) as err:
                raise ExecutorError(
                    f"--scheduler {self.scheduler}: no Dask scheduler answered within {CONNECT_TIMEOUT_S:g} s "
                    f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'no reply'})"
                ) from None
        else:
            self._cluster = local_cluster(
                self.workers or default_workers(),
                preload=[__name__],  # dask_setup below: Ctrl-C is the client's to handle
            )
            self._client = Client(self._cluster)
        info = self._client.scheduler_info()
        self.n_workers = max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._pool is not None:
            if error is not None:  # interrupted or failed: stop the running points now, not when they finish
                _stop_fork_server()
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    with contextlib.suppress(OSError):
                        process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is None:
            return
        quiet = logging.getLogger("distributed")
        level = quiet.level
        if error is not None:  # interrupted: the workers were stopped too; their teardown is not news
            quiet.setLevel(logging.CRITICAL)
        try:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
        finally:
            quiet.setLevel(level)

    def run(self, tasks: Sequence[Task]) -> Iterator[tuple[str, Any]]:
        """Submit every task and yield `(key, result or exception)` as each finishes."""
        if self.kind == "inline":
            yield from self._run_inline(tasks)
        elif self._pool is not None:
            yield from self._run_local(tasks)
        else:
            yield from self._run_dask(tasks)

    def _run_inline(self, tasks: Sequence[Task]) -> Iterator[tuple[str, Any]]:
        for key, fn, args in tasks:
            try:
                result = fn(*args)
            except Exception as error:  # as from a pool: the failure is the task's result
                yield key, error
            else:
                yield key, result

    def _run_local(self, tasks: Sequence[Task]) -> Iterator[tuple[str, Any]]:
        assert self._pool is not None
        futures: dict[Future[Any], str] = {self._pool.submit(fn, *args): key for key, fn, args in tasks}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: futures[f]):
                error = future.exception()
                yield futures[future], error if error is not None else future.result()

    def _run_dask(self, tasks: Sequence[Task]) -> Iterator[tuple[str, Any]]:
        from distributed import as_completed

        futures = {self._client.submit(fn, *args, pure=False): key for key, fn, args in tasks}
        for future in as_completed(list(futures)):
            key = futures[future]
            if future.status == "error":
                yield key, future.exception()
            else:
                yield key, future.result()
            future.release()
