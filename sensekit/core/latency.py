"""Where a live run's time goes: each stage's processing time, publishing, and the latency
from a sample's capture to its published result.

``sensekit run ... --latency`` attaches a :class:`LatencyMeter` to the run. A device source
(camera, microphone, LSL, BrainFlow) stamps each sample on sensekit's clock
(:func:`~sensekit.core.sources.base.clock`) when it reads it, so the time from the newest
sample of a block to the moment its output was written to every sink is the whole path's
latency as this process sees it (what happens before the driver hands over a sample, exposure
or USB transfer, is not in it). A recording or a simulator has timestamps of its own: there
the meter reports the processing time alone and says so.
"""

from __future__ import annotations

import time

import numpy as np

from .frame import Frame
from .run import RunReport
from .sources.base import clock
from .stage import Chain, Stage

__all__ = ["LatencyMeter"]

#: A block whose newest sample is stamped within this many seconds of now is on sensekit's clock.
ON_CLOCK_S = 10.0


class LatencyMeter:
    """Per-stage processing time (each block), publishing time, and capture-to-published
    latency of the blocks that gave an output; pass :meth:`on_block` to :func:`~sensekit.core.run`.

    Parameters
    ----------
    chain : Stage, optional
        The chain being run (a :class:`Chain`'s stages are timed one by one); pass
        :attr:`chain` to the run (a plain stage is wrapped in one). A path that is not one
        chain (several streams fused) is timed by the caller: :meth:`block_time`,
        :meth:`stage_time` and :meth:`add`.

    Examples
    --------
    >>> from sensekit.core import Chain, Frame, StreamInfo, run
    >>> from sensekit.core.stages import Window
    >>> info = StreamInfo("x", "emg", 100.0, (2,))
    >>> chain = Chain(Window(length_s=0.1, hop_s=0.1))
    >>> meter = LatencyMeter(chain)
    >>> _ = run([Frame(info, np.zeros((10, 2)), t0=0.0, seq=i) for i in range(3)], chain, on_block=meter.on_block)
    >>> meter.summary()["blocks"]
    3
    """

    def __init__(self, chain: Stage | None = None) -> None:
        if chain is not None and not isinstance(chain, Chain):
            chain = Chain(chain)
        self.chain = chain if chain is not None else Chain()
        names = [type(s).__name__ for s in self.chain.stages]
        self.names = [f"{n} ({i + 1})" if names.count(n) > 1 else n for i, n in enumerate(names)]
        self.chain.timings = [[] for _ in self.chain.stages]
        self._seen = [0] * len(self.chain.stages)  # entries of each stage's timings already counted
        self._other: dict[str, list[float]] = {}  # parts timed by the caller (stage_time)
        self._publish: list[float] = []
        self._capture: list[float] = []
        self._processing: list[float] = []
        self._on_clock: bool | None = None

    def on_block(self, frame_in: Frame, frame_out: Frame | None, report: RunReport | None) -> None:
        """Called by :func:`~sensekit.core.run` after each block was processed and published."""
        now = time.perf_counter()
        spent = self.block_time()
        if frame_out is not None and frame_out.n and frame_in.n:
            self.add(float(frame_in.times[-1]), spent, max(now - self.chain.timed_until, 0.0))

    def block_time(self) -> float:
        """Seconds the chain's stages took since the last call (one block's, called once a block)."""
        timings = self.chain.timings or []
        spent = sum(sum(t[k:]) for t, k in zip(timings, self._seen, strict=True))
        self._seen = [len(t) for t in timings]
        return spent

    def stage_time(self, name: str, seconds: float) -> None:
        """A part of the path the caller timed itself (a step that is not a stage of the chain)."""
        self._other.setdefault(name, []).append(seconds)

    def add(self, newest: float, processing_s: float, publish_s: float) -> None:
        """One published output: the capture time of the newest sample it came from (the
        source's clock), the time its processing took, and its publishing."""
        now_clock = clock()
        if self._on_clock is None:
            self._on_clock = abs(now_clock - newest) < ON_CLOCK_S
        self._publish.append(publish_s)
        self._processing.append(processing_s + publish_s)
        if self._on_clock:
            self._capture.append(now_clock - newest)

    @property
    def capture_ms(self) -> list[float]:
        """Each output's capture-to-published latency (ms; empty off sensekit's clock)."""
        return [v * 1e3 for v in self._capture] if self._on_clock else []

    def summary(self) -> dict:
        """``blocks`` (with output), and p50/p99 in ms of each stage (``stages``), of publishing,
        of the processing (stages + publishing) and, for a source on sensekit's clock, of the
        capture-to-published latency (``capture_ms``, else None)."""
        def pct(v) -> tuple[float, float] | None:
            return (float(np.median(v)) * 1e3, float(np.percentile(v, 99)) * 1e3) if len(v) else None

        timings = self.chain.timings or []
        stages = {n: pct(t) for n, t in zip(self.names, timings, strict=False)}
        return {"blocks": len(self._processing), "stages": {**stages, **{n: pct(t) for n, t in self._other.items()}},
                "publish_ms": pct(self._publish), "processing_ms": pct(self._processing),
                "capture_ms": pct(self._capture) if self._on_clock else None}
