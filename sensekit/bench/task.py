"""Benchmark tasks: a dataset (or simulator), a protocol, a chain configuration, metrics.

A task splits into independent *units* (subject x fold x configuration), each run by
``run_unit(key, quick)`` anywhere: in this process, in a worker process, or on a Dask
worker. A unit returns a plain dict (JSON-able)::

    {"metrics": {"accuracy": 0.93, ...},               # flat name -> number
     "speed": {"x_realtime": ..., "latency_p50_ms": ..., ...},
     "peers": {"scikit-learn": {"accuracy": ..., "x_realtime": ...},
               "libemg": {"skipped": "not installed: sensekit bench peers install libemg"}},
     "confusion": {"labels": [...], "matrix": [[...]]},  # optional, summed over units
     "errors": [...],                                    # optional per-item errors (plots)
     "latencies_ms": [...]}                              # optional per-block latencies (plots)

Chains register their tasks with :func:`register` in their ``bench`` module, listed in
:data:`CORE_TASK_MODULES` and the modules chains register (:mod:`sensekit.core.registry`).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.registry import bench_task_modules
from ..errors import ParameterError

__all__ = ["Task", "register", "all_tasks", "select_tasks", "aggregate_units", "CORE_TASK_MODULES"]

log = logging.getLogger("sensekit")

#: The core's own tasks; each chain registers its task modules (sensekit.core.registry).
CORE_TASK_MODULES = ("sensekit.bench.core_tasks",)

_REGISTRY: dict[str, Task] = {}


@dataclasses.dataclass(frozen=True)
class Task:
    """One benchmark task.

    Attributes
    ----------
    name : str
        ``"<chain>.<task>"``, e.g. ``"emg.within-session"``.
    chain : str
        The chain it measures.
    description : str
        One line: dataset, protocol, configuration.
    units : callable
        ``units(quick) -> list of dict``: the keys of the independent units.
    run_unit : callable
        ``run_unit(key, quick) -> dict``: one unit's result (see the module docstring).
    dataset : str or None
        Dataset card name, or None for a simulator.
    version : str
        Bumped when the protocol changes (part of the cache key).
    unit_metrics : tuple of str
        Metrics the report also shows unit by unit (a row per unit key), where the mean over
        units hides what matters (datasets, settings, sessions side by side).
    summary : callable or None
        ``summary(units) -> dict``: metrics computed across the unit results (for example the
        worst participant's accuracy, each participant being several units), added to the
        task's metrics beside the means.
    """

    name: str
    chain: str
    description: str
    units: Callable[[bool], list[dict]]
    run_unit: Callable[[dict, bool], dict]
    dataset: str | None = None
    version: str = "1"
    unit_metrics: tuple[str, ...] = ()
    summary: Callable[[list[dict]], dict[str, float]] | None = None


def register(task: Task) -> Task:
    """Add a task to the registry (a second registration of a name replaces the first)."""
    _REGISTRY[task.name] = task
    return task


def _load_all() -> None:
    for module in (*CORE_TASK_MODULES, *bench_task_modules()):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name and module.startswith(e.name):
                continue  # the chain is not in this version
            raise


def all_tasks() -> dict[str, Task]:
    """Every registered task, by name."""
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def select_tasks(selector: str) -> list[Task]:
    """Tasks named by ``selector``: ``all``, a chain name, or a task name (comma-separated)."""
    tasks = all_tasks()
    chosen: dict[str, Task] = {}
    for part in [p.strip() for p in selector.split(",") if p.strip()]:
        if part == "all":
            chosen.update(tasks)
        elif part in tasks:
            chosen[part] = tasks[part]
        elif any(t.chain == part for t in tasks.values()):
            chosen.update({n: t for n, t in tasks.items() if t.chain == part})
        else:
            chains = sorted({t.chain for t in tasks.values()})
            raise ParameterError(f"no benchmark task or chain {part!r}",
                                 f"use all, a chain ({', '.join(chains)}) or a task from 'sensekit bench list'")
    return list(chosen.values())


def _mean_flat(dicts: list[dict]) -> dict[str, float]:
    keys = sorted({k for d in dicts for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return {k: float(np.mean([d[k] for d in dicts if k in d])) for k in keys}


def aggregate_units(task: Task, units: list[dict]) -> dict[str, Any]:
    """Combine unit results into the task's result: metrics and speed averaged over
    units (p99 latency and memory: the maximum) plus the task's ``summary`` metrics, confusion
    matrices summed, peers alike."""
    metrics = _mean_flat([u.get("metrics", {}) for u in units])
    if task.summary is not None and units:
        metrics.update(task.summary(units))
    speeds = [u.get("speed", {}) for u in units if u.get("speed")]
    speed = _mean_flat(speeds)
    for k in ("latency_p99_ms", "peak_memory_mb"):
        vals = [s[k] for s in speeds if k in s]
        if vals:
            speed[k] = float(max(vals))
    peers: dict[str, dict] = {}
    for name in sorted({p for u in units for p in u.get("peers", {})}):
        runs = [u["peers"][name] for u in units if name in u.get("peers", {})]
        ok = [r for r in runs if "skipped" not in r]
        peers[name] = _mean_flat(ok) if ok else {"skipped": runs[0]["skipped"]}
    result = {"task": task.name, "chain": task.chain, "description": task.description, "dataset": task.dataset,
              "units": len(units), "metrics": metrics, "speed": speed, "peers": peers,
              "unit_metrics": list(task.unit_metrics),
              "unit_results": [{"key": u.get("key"), "metrics": u.get("metrics", {}),
                                **({"speed": u["speed"]} if u.get("speed") else {})} for u in units]}
    conf = [u["confusion"] for u in units if u.get("confusion")]
    if conf:
        labels = conf[0]["labels"]
        result["confusion"] = {"labels": labels,
                               "matrix": np.sum([c["matrix"] for c in conf if c["labels"] == labels], axis=0).tolist()}
    for key in ("errors", "latencies_ms"):
        vals = [v for u in units for v in u.get(key, [])]
        if vals:
            result[key] = vals
    log: dict[str, int] = {}
    for u in units:  # each distinct warning once, with how many times the units gave it
        for message, n in u.get("log", {}).items():
            log[message] = log.get(message, 0) + n
    if log:
        result["log"] = log
    curves = {name: c for u in units for name, c in u.get("curves", {}).items()}
    if curves:  # named (x, y) series, plotted in the report
        result["curves"] = curves
    ratios = {}
    for name, p in peers.items():
        if "x_realtime" in p and speed.get("x_realtime"):
            ratios[f"x_realtime_vs_{name}"] = speed["x_realtime"] / p["x_realtime"]
        for m in metrics:
            if m in p and p[m]:
                ratios[f"{m}_vs_{name}"] = metrics[m] / p[m]
    result["ratios"] = ratios
    return result
