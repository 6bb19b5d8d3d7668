"""The reader interface shared by every recording format."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ...errors import ParameterError, RecordingError
from ..frame import Frame
from ..info import StreamInfo

__all__ = ["Recording", "Segment", "DEFAULT_BLOCK_S", "FAST_BLOCK_SAMPLES"]

#: Default block length in seconds of a regular stream replayed at its recorded pace.
DEFAULT_BLOCK_S = 0.5
#: Default block size in samples of a regular stream replayed as fast as possible. The
#: block size never changes a chain's output (block invariance), only the overhead.
FAST_BLOCK_SAMPLES = 8192
_READ_CHUNK_BYTES = 4 << 20


@dataclasses.dataclass(frozen=True)
class Segment:
    """A run of samples recorded without a gap.

    Attributes
    ----------
    start, stop : int
        Sample indices ``[start, stop)`` of the run.
    t0 : float
        Time of sample ``start`` (s).
    seq : int
        Sequence number of the run's first recorded block.
    dropped_before : int
        Blocks missing just before this run (sequence-number jump), 0 for none.
    """

    start: int
    stop: int
    t0: float
    seq: int = 0
    dropped_before: int = 0


class Recording:
    """A file of one or more streams, read in blocks.

    Subclasses fill ``self.streams`` and implement ``n_samples``, ``_read_data`` and,
    for irregular streams, ``_read_times``; regular streams give their gaps in
    ``segments``.
    """

    path: Path
    streams: dict[str, StreamInfo]

    # -- for subclasses --------------------------------------------------------------
    def n_samples(self, name: str) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def segments(self, name: str) -> list[Segment]:
        """Gap-free runs of a regular stream (default: one run starting at t = 0)."""
        return [Segment(0, self.n_samples(name), 0.0)]

    def close(self) -> None:
        """Release the file."""

    def markers(self) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        """Text event streams (an XDF's LSL marker streams, as LabRecorder writes them): name ->
        (times on the recording's clock, one text each); none for most formats."""
        return {}

    def clock(self, name: str):
        """The :class:`~sensekit.core.clock.ClockMap` fitted to stream ``name``'s clock-offset
        measurements (an LSL stream captured from another computer, an XDF stream), or ``None``
        for a stream stamped on the recording's own clock."""
        return None

    # -- public API --------------------------------------------------------------------
    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def info(self, name: str | None = None) -> StreamInfo:
        """The info of stream ``name`` (default: the only or first stream)."""
        return self.streams[self.stream_name(name)]

    def stream_name(self, name: str | None) -> str:
        """Resolve ``None`` to the first stream; check that ``name`` exists."""
        if not self.streams:
            raise RecordingError(f"{str(self.path)!r} holds no stream")
        if name is None:
            return next(iter(self.streams))
        if name not in self.streams:
            raise ParameterError(
                f"{str(self.path)!r} has no stream {name!r}; streams: {', '.join(self.streams)}",
                "pick one with --stream NAME",
            )
        return name

    def choose_stream(self, name: str | None, kinds: Sequence[str] = ()) -> str | None:
        """The stream a command reads: ``name`` where given (checked), else the only stream, else
        the only one of the first of ``kinds`` (in order of preference) that the recording holds
        one of; ``None`` where that does not decide (several streams, none of ``kinds``).

        Raises
        ------
        ParameterError
            Several streams of the preferred kind, named: the user picks one as ``FILE#STREAM``.
        """
        if name is not None or len(self.streams) == 1:
            return self.stream_name(name)
        for kind in kinds:
            found = [n for n, info in self.streams.items() if info.kind == kind]
            if len(found) == 1:
                return found[0]
            if found:
                label = Path(self.path).name
                raise ParameterError(f"{label} holds {len(found)} {kind} streams ({', '.join(found)})",
                                     f"name one as {label}#STREAM")
        return None

    def duration_s(self, name: str | None = None) -> float:
        """Seconds from the first to one period past the last sample (regular) or
        first to last timestamp (irregular)."""
        name = self.stream_name(name)
        info = self.streams[name]
        n = self.n_samples(name)
        if n == 0:
            return 0.0
        if info.rate > 0:
            segs = self.segments(name)
            return segs[-1].t0 + (segs[-1].stop - segs[-1].start) / info.rate - segs[0].t0
        t = self._read_times(name, 0, n)
        return float(t[-1] - t[0])

    def read(self, name: str | None = None, start: int = 0, stop: int | None = None) -> Frame:
        """Samples ``[start, stop)`` of a stream as one frame (timestamps included).

        For a regular stream the frame's ``t0`` is the time of sample ``start``; a gap
        inside the range is not represented (use :meth:`frames` to keep gaps).
        """
        name = self.stream_name(name)
        info = self.streams[name]
        n = self.n_samples(name)
        stop = n if stop is None else min(stop, n)
        start = max(0, min(start, stop))
        data = self._read_data(name, start, stop)
        if info.rate > 0:
            return Frame(info, data, t0=self._time_of(name, start))
        return Frame(info, data, times=self._read_times(name, start, stop))

    def _time_of(self, name: str, index: int) -> float:
        info = self.streams[name]
        for seg in reversed(self.segments(name)):
            if seg.start <= index:
                return seg.t0 + (index - seg.start) / info.rate
        return 0.0

    def frames(
        self,
        name: str | None = None,
        *,
        block_size: int | None = None,
        realtime: bool = False,
        start: int = 0,
        stop: int | None = None,
    ) -> Iterator[Frame]:
        """Replay a stream as consecutive frames.

        Parameters
        ----------
        name : str, optional
            Stream name (default: the first stream).
        block_size : int, optional
            Samples per frame; default for a regular stream :data:`DEFAULT_BLOCK_S`
            seconds when ``realtime``, else :data:`FAST_BLOCK_SAMPLES`; 1 sample for an
            irregular stream.
        realtime : bool
            Pace the frames at the recorded rate (sleep until each frame's last sample is
            due) instead of as fast as possible.
        start, stop : int
            Sample range to replay.

        Yields
        ------
        Frame
            Blocks of at most ``block_size`` samples. A recorded gap or drop starts a
            new frame, and recorded drops reappear as jumps in ``seq``.
        """
        name = self.stream_name(name)
        info = self.streams[name]
        if block_size is None:
            if info.rate == 0:
                block_size = 1
            else:
                block_size = max(1, int(round(DEFAULT_BLOCK_S * info.rate))) if realtime else FAST_BLOCK_SAMPLES
        if block_size < 1:
            raise ParameterError(f"block_size must be >= 1 sample, got {block_size}")
        n = self.n_samples(name)
        stop = n if stop is None else min(stop, n)
        chunk = max(block_size, _READ_CHUNK_BYTES // max(1, info.sample_nbytes))
        chunk = (chunk // block_size) * block_size
        seq = 0
        wall0 = t_first = None
        segments = self.segments(name) if info.rate > 0 else [Segment(0, n, 0.0)]
        for seg in segments:
            a, b = max(seg.start, start), min(seg.stop, stop)
            if a >= b:
                continue
            seq += seg.dropped_before
            for c0 in range(a, b, chunk):
                c1 = min(b, c0 + chunk)
                data = self._read_data(name, c0, c1)
                times = self._read_times(name, c0, c1) if info.rate == 0 else None
                for i in range(0, c1 - c0, block_size):
                    block = data[i : i + block_size]
                    if info.rate > 0:
                        frame = Frame._trusted(info, block, seg.t0 + (c0 + i - seg.start) / info.rate, None, seq)
                    else:
                        frame = Frame(info, block, times=times[i : i + block_size], seq=seq)
                    if realtime:
                        if wall0 is None:
                            wall0, t_first = time.monotonic(), frame.t0
                        due = wall0 + (frame.t_end - t_first)
                        delay = due - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    yield frame
                    seq += 1


class OneStreamRecording(Recording):
    """A file read whole into memory as one stream (a text table): subclasses set ``_data``
    (samples, rows), ``_t0`` (the first sample's time), ``_markers`` (see :meth:`markers`) and
    ``streams``, and give ``_read_times``."""

    _data: np.ndarray
    _t0: float
    _markers: dict[str, tuple[np.ndarray, tuple[str, ...]]]

    def markers(self) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        return dict(self._markers)

    def n_samples(self, name: str) -> int:
        return len(self._data)

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._data[start:stop]

    def segments(self, name: str) -> list[Segment]:
        return [Segment(0, len(self._data), self._t0)]
