"""Run benchmark tasks: split into units, execute locally or on a Dask cluster, cache, aggregate."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as _dt
import importlib.metadata
import logging
import multiprocessing as mp
import os
import platform
import subprocess
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ..errors import DeviceError, ParameterError
from .cache import ResultCache, code_version
from .task import Task, aggregate_units, all_tasks

__all__ = ["execute_unit", "run_benchmarks", "BenchRun", "environment"]

Progress = Callable[[int, int, str], None]


class _WarningCounts(logging.Handler):
    """Counts each distinct warning message of a unit (its ``log``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        self.counts[message] = self.counts.get(message, 0) + 1


def execute_unit(task_name: str, key: dict, quick: bool) -> dict:
    """Run one unit of a task (importable, so that worker processes and Dask can call it). The
    warnings it logs or raises (sensekit's and Python's) are counted into the result's ``log``
    (message -> times), so that a run says each once instead of every worker printing it."""
    task = all_tasks()[task_name]
    logger = logging.getLogger("sensekit")
    counts = _WarningCounts()
    saved = logger.handlers[:], logger.propagate
    logger.handlers[:], logger.propagate = [counts], False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            result = task.run_unit(dict(key), quick)
    finally:
        logger.handlers[:], logger.propagate = saved
    for w in caught:
        counts.emit(logging.makeLogRecord({"msg": f"{w.category.__name__}: {w.message}", "levelno": logging.WARNING}))
    result["key"] = key
    if counts.counts:
        result["log"] = counts.counts
    return result


@dataclasses.dataclass
class BenchRun:
    """The results of one ``sensekit bench run``: one dict per task, and the environment."""

    results: list[dict]
    environment: dict
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``--json`` document: ``results`` (task, metrics, peers, speed, ...) and ``environment``."""
        slim = [{k: v for k, v in r.items() if k not in ("errors", "latencies_ms")} for r in self.results]
        return {"schema": "sensekit-bench/1", "results": slim, "skipped": self.skipped, "environment": self.environment}


def _git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        r = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
        return r.stdout.strip() if r.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(executor: str = "local") -> dict:
    """CPU, cores, Python, package versions, git commit, code version and date of this run."""
    versions = {}
    for pkg in ("sensekit", "numpy", "scipy", "scikit-learn", "h5py", "dask", "distributed", "libemg", "remodnav",
                "pyroomacoustics", "pupil-detectors"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    from .peers import peer_versions

    return {"cpu": _cpu_model(), "cores": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "packages": versions, "peers": peer_versions(),
            "git_commit": _git_commit(),
            "code_version": code_version(), "executor": executor,
            "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise DeviceError("the Dask executor needs dask.distributed", "pip install 'sensekit[cluster]'") from None
    try:
        return Client(address, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise DeviceError(f"cannot reach the Dask scheduler at {address} ({e})",
                          "start 'dask scheduler' and 'dask worker ADDRESS', or check the address") from None


def run_benchmarks(
    tasks: list[Task],
    *,
    quick: bool = False,
    executor: str = "local",
    jobs: int | None = None,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    worker_timeout_s: float = 60.0,
) -> BenchRun:
    """Run every unit of ``tasks`` and aggregate per task.

    Parameters
    ----------
    tasks : list of Task
        What to run (see :func:`~sensekit.bench.task.select_tasks`).
    quick : bool
        Small sizes (CI, smoke tests).
    executor : str
        ``"local"`` (processes on this machine) or ``"dask://HOST:PORT"`` (a Dask
        distributed scheduler; ``"dask://"`` followed by any Dask address).
    jobs : int, optional
        Local worker processes (default: the number of cores; 1 runs in this process).
    cache : ResultCache, optional
        Finished units are read from and written to it (resume after an interrupt).
    progress : callable, optional
        ``progress(done, total, description)`` after each unit.
    worker_timeout_s : float
        Dask: give up with one line when no worker has been connected for this long; a lost
        scheduler is one line too. Units finished before are kept in ``cache``.
    """
    tasks, skipped = _with_data(tasks)
    work = [(t, key) for t in tasks for key in t.units(quick)]
    total = len(work)
    results: dict[int, dict] = {}
    todo = []
    for i, (t, key) in enumerate(work):
        cached = cache.get(cache.key(t.name, t.version, key, quick)) if cache else None
        if cached is not None:
            results[i] = cached
        else:
            todo.append(i)
    done = len(results)
    if progress:
        progress(done, total, "cached" if done else "starting")

    def finish(i: int, res: dict) -> None:
        nonlocal done
        results[i] = res
        t, key = work[i]
        if cache:
            cache.put(cache.key(t.name, t.version, key, quick), res)
        done += 1
        if progress:
            progress(done, total, f"{t.name} {key}")

    if executor == "local":
        jobs = jobs or os.cpu_count() or 1
        if jobs == 1 or len(todo) <= 1:
            for i in todo:
                finish(i, execute_unit(work[i][0].name, work[i][1], quick))
        else:
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
                futures = {pool.submit(execute_unit, work[i][0].name, work[i][1], quick): i for i in todo}
                for fut in cf.as_completed(futures):
                    finish(futures[fut], fut.result())
    elif executor.startswith("dask://"):
        address = executor[len("dask://"):]
        if "://" not in address:
            address = f"tcp://{address}"
        client = _dask_client(address)
        try:
            _run_on_dask(client, {i: (work[i][0].name, work[i][1]) for i in todo}, quick, finish, worker_timeout_s)
        finally:
            client.close(timeout=2)
    else:
        raise ParameterError(f"unknown executor {executor!r}", "use local or dask://HOST:PORT")
    by_task: dict[str, list[dict]] = {}
    for i, (t, _) in enumerate(work):
        by_task.setdefault(t.name, []).append(results[i])
    run = BenchRun([aggregate_units(t, by_task[t.name]) for t in tasks if t.name in by_task], environment(executor))
    run.skipped = skipped
    return run


def _run_on_dask(client, units: dict[int, tuple[str, dict]], quick: bool, finish, worker_timeout_s: float) -> None:
    """Submit ``units`` and hand each result to ``finish`` as it comes; watch the cluster."""
    futures = {client.submit(execute_unit, name, key, quick, pure=False): i for i, (name, key) in units.items()}
    pending = set(futures)
    alone_since = None
    try:
        while pending:
            done = {f for f in pending if f.done()}
            pending -= done
            for fut in done:
                finish(futures[fut], fut.result())
            if not pending:
                break
            if not done:
                time.sleep(0.25)
            workers = client.scheduler_info(n_workers=-1).get("workers", {}) if client.status == "running" else None
            if workers is None:
                raise DeviceError(f"lost the Dask scheduler; {len(units) - len(pending)} of {len(units)} unit(s) "
                                  "finished and are kept in the cache", "restart the scheduler and run again (finished "
                                  "units are not re-run)")
            if workers:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > worker_timeout_s:
                raise DeviceError(f"no Dask worker has been connected for {worker_timeout_s:g} s; "
                                  f"{len(units) - len(pending)} of {len(units)} unit(s) finished and are kept in the cache",
                                  "start 'dask worker SCHEDULER_ADDRESS' and run again")
    except DeviceError:
        raise
    except Exception as e:  # noqa: BLE001 - the scheduler's loss shows as cancelled futures or closed comms
        if type(e).__module__.startswith(("distributed", "tornado", "asyncio", "concurrent")) or isinstance(
                e, (OSError, TimeoutError)):
            raise DeviceError(f"lost the Dask scheduler ({type(e).__name__}); {len(units) - len(pending)} of "
                              f"{len(units)} unit(s) finished and are kept in the cache",
                              "restart the scheduler and run again (finished units are not re-run)") from None
        raise


def _with_data(tasks: list[Task]) -> tuple[list[Task], dict[str, str]]:
    """Tasks whose dataset is present; the others as name -> reason. All missing is an error."""
    from ..datasets import dataset_dir
    from ..errors import DatasetError

    ready, skipped, first_error = [], {}, None
    for t in tasks:
        if t.dataset is None:
            ready.append(t)
            continue
        try:
            dataset_dir(t.dataset)
            ready.append(t)
        except DatasetError as e:
            skipped[t.name] = str(e)
            first_error = first_error or e
    if tasks and not ready:
        raise first_error
    return ready, skipped
