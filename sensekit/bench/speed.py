"""Speed figures of a benchmark unit: throughput, per-block latency and peak memory."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["measure_blocks", "speed_summary"]


def speed_summary(latencies_s: Sequence[float], stream_s: float, peak_memory_bytes: int | None = None) -> dict:
    """Flat speed figures from per-block latencies (s) and the stream time they covered (s)."""
    lat = np.asarray(latencies_s, dtype=float)
    total = float(lat.sum())
    out = {
        "x_realtime": stream_s / total if total > 0 else float("inf"),
        "latency_p50_ms": float(np.percentile(lat, 50) * 1e3) if len(lat) else 0.0,
        "latency_p99_ms": float(np.percentile(lat, 99) * 1e3) if len(lat) else 0.0,
        "blocks": int(len(lat)),
        "wall_s": total,
    }
    if peak_memory_bytes is not None:
        out["peak_memory_mb"] = peak_memory_bytes / 1e6
    return out


def measure_blocks(process: Callable[[object], object], blocks: Sequence, stream_s: float, *,
                   reset: Callable[[], None] | None = None, memory: bool = True) -> tuple[dict, np.ndarray]:
    """Time ``process(block)`` for every block, then (optionally) trace its peak memory.

    Parameters
    ----------
    process : callable
        Called once per block, in order.
    blocks : sequence
        The inputs.
    stream_s : float
        Seconds of signal the blocks hold (for the x-real-time figure).
    reset : callable, optional
        Called before each pass (e.g. ``stage.reset``).
    memory : bool
        Run a second pass under :mod:`tracemalloc` for the peak of Python and numpy
        allocations (kept apart from the timed pass, which it would slow down).

    Returns
    -------
    summary : dict
        ``x_realtime``, ``latency_p50_ms``, ``latency_p99_ms``, ``blocks``, ``wall_s`` and
        ``peak_memory_mb``.
    latencies_ms : ndarray
        Per-block latencies in milliseconds.
    """
    if reset:
        reset()
    lat = np.empty(len(blocks))
    clock = time.perf_counter
    for i, b in enumerate(blocks):
        t = clock()
        process(b)
        lat[i] = clock() - t
    peak = None
    if memory:
        if reset:
            reset()
        tracemalloc.start()
        try:
            for b in blocks:
                process(b)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return speed_summary(lat, stream_s, peak), lat * 1e3
