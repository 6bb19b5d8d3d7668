"""Capture several sources into one recording, on one clock.

Each source is read in its own thread (a slow or blocking device does not hold up the
others); one writer thread — the caller's — appends every block to its stream of a single
sensekit HDF5 file, so a capture of an eye camera, a hand camera, an EMG band and a microphone
array is one file. Device sources stamp their samples with sensekit's monotonic clock
(:func:`sensekit.core.sources.base.clock`), so the streams share one time base; a source with a
remote clock (an LSL stream from another computer) maps its timestamps onto it, and its
clock-offset measurements are stored beside its samples (``info`` shows the fitted offset and
drift).

Stops: ``stop`` (Ctrl-C, SIGTERM) ends every stream after its current block; ``duration``
ends each regular stream after exactly ``round(duration x rate)`` samples. A source that fails
ends the capture, with everything received kept, unless ``keep_going``: then the others go on.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import ParameterError
from .frame import Frame
from .recording import RecordingWriter
from .run import RunReport, SequenceMonitor, duration_limit
from .sources.base import Source

__all__ = ["StreamReport", "SourceReaders", "capture_sources"]


@dataclasses.dataclass
class StreamReport:
    """One stream of a multi-source capture."""

    name: str
    description: str
    rate: float
    report: RunReport = dataclasses.field(default_factory=RunReport)
    error: str = ""
    start_s: float = float("nan")  # first sample's time
    end_s: float = float("nan")  # last sample's time (one period past it for a regular stream)

    @property
    def seconds(self) -> float:
        """The stream's recorded duration."""
        return self.end_s - self.start_s if self.report.samples_in else 0.0


@dataclasses.dataclass
class _ClockMeasurements:
    """New clock-offset measurements of a source with a remote clock, for the writer."""

    values: object


def _unique_names(sources: Sequence[Source]) -> list[str]:
    names, seen = [], {}
    for s in sources:
        base = s.info.name
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return names


class SourceReaders:
    """Read several sources at once, each in its own thread, onto one queue.

    Iterating yields ``(index, item)``: a :class:`Frame`, new clock measurements of a remote
    clock, or the reason a source ended (``"end"``, ``"limit"``, ``"interrupt"`` or the
    exception it raised). ``duration_s`` ends each regular stream after exactly
    ``round(duration x rate)`` samples (others after that much time); ``stop`` ends every stream
    after its current block. :meth:`close` stops the readers and returns what they still queued.
    """

    def __init__(self, sources: Sequence[Source], *, duration_s: float | None = None,
                 stop: threading.Event | None = None) -> None:
        self.sources = list(sources)
        self.duration_s = duration_limit(duration_s, "duration_s")  # infinity: no limit (as in run())
        self.stop = stop or threading.Event()
        self.halt = threading.Event()  # every reader stops after its current block
        self._queue: queue.Queue = queue.Queue(maxsize=1024)
        self._threads = [threading.Thread(target=self._read, args=(i, s), daemon=True)
                         for i, s in enumerate(self.sources)]
        for t in self._threads:
            t.start()

    def _read(self, i: int, src: Source) -> None:
        info, duration_s, put = src.info, self.duration_s, self._queue.put
        room = round(duration_s * info.rate) if duration_s is not None and info.rate > 0 else None
        start = time.monotonic()
        got = 0
        clock_map = getattr(src, "clock_map", None)  # a remote clock (LSL): its measurements are stored
        sent = 0
        try:
            for frame in src:
                if clock_map is not None and clock_map.count > sent:
                    put((i, _ClockMeasurements(clock_map.measurements()[-(clock_map.count - sent):])))
                    sent = clock_map.count
                if room is not None and frame.n > room - got:
                    frame = Frame._trusted(frame.info, frame.data[:max(room - got, 0)], frame.t0, None, frame.seq)
                got += frame.n
                put((i, frame))
                if self.halt.is_set() or self.stop.is_set():
                    break
                if (room is not None and got >= room) or (room is None and duration_s is not None
                                                           and time.monotonic() - start >= duration_s):
                    put((i, "limit"))
                    return
            put((i, "interrupt" if (self.halt.is_set() or self.stop.is_set()) else "end"))
        except Exception as e:  # noqa: BLE001 - a device's failure ends its stream, reported by name
            put((i, e))

    def __iter__(self):
        live = len(self.sources)
        while live:
            try:
                i, item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self.stop.is_set():
                    self.halt.set()
                continue
            if not isinstance(item, (Frame, _ClockMeasurements)):
                live -= 1
            yield i, item

    def close(self) -> list[tuple[int, object]]:
        """Stop every reader, close the sources; the items they still queued (their last block)."""
        self.halt.set()
        for t in self._threads:
            t.join(timeout=2.0)
        rest = []
        while True:
            try:
                rest.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for s in self.sources:
            try:
                s.close()
            except Exception:  # noqa: BLE001 - closing a failed device
                pass
        return rest


def capture_sources(sources: Sequence[Source], path: str | Path, *, duration_s: float | None = None,
                    stop: threading.Event | None = None, keep_going: bool = False, overwrite: bool = False,
                    on_block: Callable[[list[StreamReport]], None] | None = None) -> list[StreamReport]:
    """Record ``sources`` into one HDF5 recording, one stream each; returns a report per stream
    (``error`` says why a stream ended early). The file is readable while it is written."""
    if not sources:
        raise ParameterError("no source to capture")
    stop = stop or threading.Event()
    names = _unique_names(sources)
    reports = [StreamReport(n, getattr(s, "description", "") or n, s.info.rate) for n, s in zip(names, sources,
                                                                                               strict=True)]
    with RecordingWriter(path, overwrite=overwrite, swmr=True) as writer:
        streams = [writer.add_stream(s.info.replace(name=n), clock=getattr(s, "clock_map", None) is not None)
                   for s, n in zip(sources, names, strict=True)]
        monitors = [SequenceMonitor(r.report) for r in reports]

        def store(i: int, item) -> bool:
            """Write a block or clock measurements; False for a stream's end."""
            if isinstance(item, _ClockMeasurements):
                streams[i].add_clock(item.values)
            elif isinstance(item, Frame):
                if monitors[i].check(item):
                    streams[i].append(Frame._trusted(streams[i].info, item.data, item.t0, item._times, item.seq))
                    if item.n:
                        r = reports[i]
                        r.start_s = item.t0 if r.report.samples_in == 0 else r.start_s
                        r.end_s = item.t_end
                    rep = reports[i].report
                    rep.blocks += 1
                    rep.samples_in += item.n
                    rep.samples_out += item.n
            else:
                return False
            return True

        started = time.perf_counter()
        readers = SourceReaders(sources, duration_s=duration_s, stop=stop)
        try:
            for i, item in readers:
                if store(i, item):
                    if isinstance(item, Frame) and on_block is not None:
                        on_block(reports)
                    continue
                rep = reports[i].report
                if isinstance(item, Exception):
                    reports[i].error = f"{type(item).__name__}: {item}"
                    rep.stopped_by = "error"
                    if not keep_going:
                        readers.halt.set()
                else:
                    rep.stopped_by = item
        except KeyboardInterrupt:
            pass
        finally:
            for r in reports:
                r.report.wall_s = time.perf_counter() - started
                if r.report.stopped_by == "end" and stop.is_set():
                    r.report.stopped_by = "interrupt"
            for i, item in readers.close():  # the readers' current blocks
                store(i, item)
    return reports
