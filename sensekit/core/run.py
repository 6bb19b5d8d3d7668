"""``run``: drive frames from a source through a chain into sinks."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from ..errors import ParameterError
from .frame import Frame, concat_frames
from .info import StreamInfo
from .stage import Stage

__all__ = ["run", "feed", "blocks_of", "RunReport", "Sink", "SequenceMonitor", "MAX_RUN_S", "duration_limit"]

#: A run limit at or over this (a century, in seconds) is no limit.
MAX_RUN_S = 100 * 365.25 * 86400.0


def duration_limit(seconds: float | None, name: str) -> float | None:
    """A run's time limit as given, or None (no limit) for infinity or anything over
    :data:`MAX_RUN_S` (``round(inf x rate)`` would overflow); NaN is refused."""
    if seconds is not None and not seconds < MAX_RUN_S:
        if seconds != seconds:
            raise ParameterError(f"{name} is NaN", "give a number of seconds, or None for no limit")
        return None
    return seconds

log = logging.getLogger("sensekit")


class Sink(Protocol):
    """What ``run`` needs of a sink: ``open(info)``, ``write(frame)`` and ``close()``."""

    def open(self, info: StreamInfo) -> None: ...

    def write(self, frame: Frame) -> None: ...

    def close(self) -> None: ...


@dataclasses.dataclass
class RunReport:
    """What happened during :func:`run`.

    Attributes
    ----------
    blocks : int
        Blocks received from the source.
    samples_in, samples_out : int
        Samples received and samples written to the sinks.
    dropped_blocks : int
        Blocks missing according to the sequence numbers.
    out_of_order : int
        Blocks whose sequence number was not larger than the previous one (skipped).
    gaps : int
        Regular-stream blocks whose ``t0`` jumped by more than 1.5 sample periods
        although no block was dropped before them.
    wall_s : float
        Wall-clock seconds spent.
    stopped_by : str
        ``"end"`` (source exhausted), ``"interrupt"`` (Ctrl-C, SIGTERM), ``"limit"`` or
        the name of the error that ended the run.
    stream_s : float
        Stream seconds received: the blocks' durations, or for an irregular stream (rate 0)
        the span of its timestamps.
    """

    blocks: int = 0
    samples_in: int = 0
    samples_out: int = 0
    dropped_blocks: int = 0
    out_of_order: int = 0
    gaps: int = 0
    wall_s: float = 0.0
    stopped_by: str = "end"
    stream_s: float = 0.0

    @property
    def realtime_factor(self) -> float:
        """Stream seconds processed per wall-clock second."""
        return self.stream_s / self.wall_s if self.wall_s > 0 else float("inf")


class SequenceMonitor:
    """Checks sequence numbers and timestamps of consecutive frames of one stream.

    ``check(frame)`` returns True when the frame should be processed and False when it
    is out of order (its sequence number is not larger than the last one). Drops and
    timestamp gaps are counted in ``report`` and logged as warnings.
    """

    def __init__(self, report: RunReport | None = None) -> None:
        self.report = report if report is not None else RunReport()
        self._last_seq: int | None = None
        self._next_t: float | None = None

    def check(self, frame: Frame) -> bool:
        seq, info, r = frame.seq, frame.info, self.report
        last = self._last_seq
        contiguous = last is None or seq == last + 1
        if last is not None:
            if seq <= last:
                r.out_of_order += 1
                log.warning("stream %r: block %d arrived after block %d; skipped", info.name, seq, last)
                return False
            if seq != last + 1:
                r.dropped_blocks += seq - last - 1
                log.warning("stream %r: %d block(s) dropped before block %d", info.name, seq - last - 1, seq)
        if contiguous and info.rate > 0 and self._next_t is not None and frame.n:
            if abs(frame.t0 - self._next_t) > 1.5 / info.rate:
                r.gaps += 1
                log.warning("stream %r: time jumps by %.6f s at block %d", info.name, frame.t0 - self._next_t, seq)
        self._last_seq = seq
        if frame.n:
            self._next_t = frame.t_end
        return True


def blocks_of(frame: Frame, block_s: float) -> list[Frame]:
    """A regular stream's whole recording cut into blocks of ``block_s`` seconds (the last one
    shorter; one empty block for an empty recording), as a live source would deliver it."""
    rate = frame.info.rate
    n = max(int(round(block_s * rate)), 1)
    return [Frame._trusted(frame.info, frame.data[a:a + n], frame.t0 + a / rate, None, k)
            for k, a in enumerate(range(0, max(frame.n, 1), n))]


def feed(stage: Stage, frames: Sequence[Frame]) -> Frame:
    """Process ``frames`` through an opened stage, then flush it; return the outputs joined in
    one frame (offline use of a chain: the same stages, blocks and flush as live)."""
    outs = [y for y in (stage.process(f) for f in frames) if y is not None]
    tail = stage.flush()
    if tail is not None:
        outs.append(tail)
    return concat_frames(outs, info=stage.output_info)


def run(
    source: Iterable[Frame],
    chain: Stage | None = None,
    *sinks: Sink,
    info: StreamInfo | None = None,
    max_blocks: int | None = None,
    max_duration_s: float | None = None,
    stop: threading.Event | None = None,
    on_block: Callable[[Frame, Frame | None, RunReport], None] | None = None,
) -> RunReport:
    """Feed every frame of ``source`` through ``chain`` into ``sinks``.

    Parameters
    ----------
    source : iterable of Frame
        A source (it has ``.info``) or any iterable of frames of one stream.
    chain : Stage, optional
        Opened here on the source's info; ``None`` passes frames through.
    *sinks : Sink
        Opened on the chain's output info, written every output frame, and closed at
        the end - also when the run ends by Ctrl-C, SIGTERM (when the caller turns it
        into ``KeyboardInterrupt``) or an error, so nothing received is lost.
    info : StreamInfo, optional
        The source's stream info when ``source`` has no ``.info`` attribute.
    max_blocks : int, optional
        Stop after this many blocks.
    max_duration_s : float, optional
        Stop after exactly ``round(max_duration_s x rate)`` samples of a regular stream (the
        last block is cut there), or this many wall-clock seconds of an irregular one. Infinity
        (or anything over :data:`MAX_RUN_S`) is no limit.
    stop : threading.Event, optional
        Checked after every block: once set, the run ends cleanly (``stopped_by`` is
        ``"interrupt"``). Signal handlers set it, so that a stop never lands in the
        middle of a sink's write.
    on_block : callable, optional
        Called as ``on_block(frame_in, frame_out, report)`` after each block (live displays).

    Returns
    -------
    RunReport
        Counts of blocks, samples, drops, gaps; why the run stopped.
    """
    info = info if info is not None else getattr(source, "info", None)
    max_duration_s = duration_limit(max_duration_s, "max_duration_s")
    report = RunReport()
    monitor = SequenceMonitor(report)
    opened: list[Sink] = []
    start = time.perf_counter()

    def open_all(stream: StreamInfo) -> None:
        out_info = chain.open(stream) if chain is not None else stream
        for s in sinks:
            s.open(out_info)
            opened.append(s)

    def flush_into(targets: list[Sink]) -> None:
        """End of stream (or a stop): what the chain still holds goes to the sinks too."""
        if chain is None or chain.input_info is None:
            return
        tail = chain.flush()
        if tail is not None and tail.n:
            report.samples_out += tail.n
            for s in targets:
                s.write(tail)

    try:
        if info is not None:
            open_all(info)
        first_t = None  # (the first timestamp of an irregular stream)
        for frame in source:
            if info is None:  # no info up front: the first frame's
                info = frame.info
                open_all(info)
            report.blocks += 1
            if not monitor.check(frame):
                continue
            if max_duration_s is not None and frame.info.rate > 0:  # exactly round(duration x rate) samples
                room = round(max_duration_s * frame.info.rate) - report.samples_in
                if frame.n > room:
                    frame = Frame._trusted(frame.info, frame.data[:max(room, 0)], frame.t0, None, frame.seq)
            report.samples_in += frame.n
            if frame.info.rate > 0:
                report.stream_s += frame.duration
            elif frame.n:  # an irregular stream: the span of its timestamps so far
                first_t = frame.times[0] if first_t is None else first_t
                report.stream_s = max(report.stream_s, float(frame.times[-1] - first_t))
            out = chain.process(frame) if chain is not None else frame
            if out is not None and out.n:
                report.samples_out += out.n
                for s in opened:
                    s.write(out)
            if on_block is not None:
                on_block(frame, out, report)
            if stop is not None and stop.is_set():
                report.stopped_by = "interrupt"
                break
            if (max_blocks is not None and report.blocks >= max_blocks) or (
                max_duration_s is not None
                and (report.samples_in >= round(max_duration_s * frame.info.rate) if frame.info.rate > 0
                     else time.perf_counter() - start >= max_duration_s)
            ):
                report.stopped_by = "limit"
                break
        flush_into(opened)
    except KeyboardInterrupt:
        report.stopped_by = "interrupt"
        flush_into(opened)
    except BaseException as e:
        report.stopped_by = type(e).__name__
        raise
    finally:
        report.wall_s = time.perf_counter() - start
        for s in opened:
            try:
                s.close()
            except Exception:  # keep closing the others; the first error is already raised
                log.exception("closing sink %r failed", s)
        close = getattr(source, "close", None)
        if close is not None:
            close()
    return report
