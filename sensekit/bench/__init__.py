"""The benchmark harness: tasks registered by the chains, run locally or on Dask, with
metrics, speed figures, peers measured in the same run, JSON and Markdown reports."""

from .cache import ResultCache
from .runner import BenchRun, run_benchmarks
from .task import Task, all_tasks, register, select_tasks

__all__ = ["Task", "register", "all_tasks", "select_tasks", "run_benchmarks", "BenchRun", "ResultCache"]
