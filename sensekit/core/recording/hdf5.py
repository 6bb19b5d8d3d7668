"""sensekit's own HDF5 recording format: several streams, written incrementally.

Layout (schema 1; documented in ``docs/recording-format.md``)::

    /                      attrs: format="sensekit-recording", schema_version=1,
                                  sensekit_version, created (ISO 8601 UTC)
    /streams/<name>/       attrs: info (StreamInfo as JSON)
        data    (N, *shape)  the samples, chunked, growable along axis 0
        blocks  (M,)         one row per block received: seq (int64), start (int64:
                             index of its first sample), n (int64: samples in it),
                             t0 (float64: time of sample `start`, seconds)
        times   (N,)         per-sample timestamps, float64 (irregular streams only)

Every append extends the datasets and the file is flushed at least every
``flush_interval_s`` seconds and on close, so that a capture stopped by Ctrl-C,
SIGTERM or a lost device keeps every sample received and stays readable.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from pathlib import Path

import numpy as np

from ...errors import ParameterError, RecordingError
from ..frame import Frame
from ..info import StreamInfo
from .base import Recording, Segment

__all__ = ["RecordingWriter", "StreamWriter", "HDF5Recording", "SCHEMA_VERSION", "FORMAT"]

FORMAT = "sensekit-recording"
SCHEMA_VERSION = 1
_BLOCK_DTYPE = np.dtype([("seq", "<i8"), ("start", "<i8"), ("n", "<i8"), ("t0", "<f8")])
_CHUNK_BYTES = 256 << 10


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - core dependency
        raise RecordingError("h5py is not installed", "pip install h5py") from None
    return h5py


class StreamWriter:
    """Appends frames of one stream to an open :class:`RecordingWriter`."""

    def __init__(self, writer: RecordingWriter, info: StreamInfo) -> None:
        self._writer = writer
        self.info = info
        g = writer.file.require_group("streams").create_group(info.name)
        g.attrs["info"] = info.to_json()
        rows = max(1, _CHUNK_BYTES // max(1, info.sample_nbytes))
        self._data = g.create_dataset(
            "data", shape=(0, *info.shape), maxshape=(None, *info.shape), dtype=info.dtype,
            chunks=(rows, *info.shape),
        )
        self._blocks = g.create_dataset("blocks", shape=(0,), maxshape=(None,), dtype=_BLOCK_DTYPE, chunks=(1024,))
        self._times = None
        if info.rate == 0:
            self._times = g.create_dataset("times", shape=(0,), maxshape=(None,), dtype="<f8", chunks=(8192,))
        self.n = 0

    def append(self, frame: Frame) -> None:
        """Append a frame's samples and its block record (seq, start index, t0)."""
        if frame.info.shape != self.info.shape or frame.info.dtype != self.info.dtype:
            raise ParameterError(
                f"stream {self.info.name!r}: frame of shape {frame.info.shape} {frame.info.dtype} does not match "
                f"the recorded {self.info.shape} {self.info.dtype}"
            )
        n = frame.n
        nb = self._blocks.shape[0]
        self._blocks.resize((nb + 1,))
        self._blocks[nb] = (frame.seq, self.n, n, frame.t0)
        if n:
            self._data.resize((self.n + n, *self.info.shape))
            self._data[self.n : self.n + n] = frame.data
            if self._times is not None:
                self._times.resize((self.n + n,))
                self._times[self.n : self.n + n] = frame.times
            self.n += n
        self._writer._maybe_flush()


class RecordingWriter:
    """Write a sensekit HDF5 recording.

    Parameters
    ----------
    path : path-like
        Output file; an existing file is refused unless ``overwrite`` is true.
    overwrite : bool
        Replace an existing file.
    flush_interval_s : float
        Longest time between flushes to disk while appending.

    Examples
    --------
    >>> with RecordingWriter("capture.h5") as rec:          # doctest: +SKIP
    ...     emg = rec.add_stream(info)
    ...     for frame in source:
    ...         emg.append(frame)
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False, flush_interval_s: float = 0.25) -> None:
        from ... import __version__

        h5py = _h5py()
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise RecordingError(f"{str(self.path)!r} already exists", "choose another name or pass --overwrite")
        try:
            self.file = h5py.File(self.path, "w")
        except OSError as e:
            raise RecordingError(f"cannot create {str(self.path)!r}: {e}") from None
        self.file.attrs["format"] = FORMAT
        self.file.attrs["schema_version"] = SCHEMA_VERSION
        self.file.attrs["sensekit_version"] = __version__
        self.file.attrs["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        self.flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        self.streams: dict[str, StreamWriter] = {}

    def add_stream(self, info: StreamInfo) -> StreamWriter:
        """Create a stream in the file and return its writer."""
        if info.name in self.streams:
            raise ParameterError(f"stream {info.name!r} is already in {str(self.path)!r}")
        w = StreamWriter(self, info)
        self.streams[info.name] = w
        self.file.flush()
        return w

    def _maybe_flush(self) -> None:
        now = time.monotonic()
        if now - self._last_flush >= self.flush_interval_s:
            self.file.flush()
            self._last_flush = now

    def flush(self) -> None:
        """Write everything appended so far to disk."""
        self.file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        """Flush and close the file (safe to call twice)."""
        if self.file.id.valid:
            self.file.flush()
            self.file.close()

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class HDF5Recording(Recording):
    """Read a sensekit HDF5 recording (also while another process is writing it)."""

    def __init__(self, path: str | os.PathLike) -> None:
        h5py = _h5py()
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"recording {str(self.path)!r} does not exist", "check the path")
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as e:
            raise RecordingError(
                f"{str(self.path)!r} is not a readable HDF5 file ({str(e).splitlines()[0]}); it may be truncated "
                "or corrupt"
            ) from None
        fmt = self.file.attrs.get("format")
        if fmt != FORMAT:
            self.file.close()
            raise RecordingError(f"{str(self.path)!r} is HDF5 but not a sensekit recording (format={fmt!r})")
        version = int(self.file.attrs.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            self.file.close()
            raise RecordingError(
                f"{str(self.path)!r} uses recording schema {version}; this sensekit reads up to {SCHEMA_VERSION}",
                "upgrade sensekit",
            )
        self.streams = {}
        self._segments: dict[str, list[Segment]] = {}
        try:
            for name, g in self.file.get("streams", {}).items():
                info = StreamInfo.from_json(g.attrs["info"])
                self.streams[name] = info
        except (KeyError, ValueError, OSError) as e:
            self.file.close()
            raise RecordingError(f"{str(self.path)!r}: damaged stream description ({e})") from None

    def n_samples(self, name: str) -> int:
        return int(self.file["streams"][name]["data"].shape[0])

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        try:
            return self.file["streams"][name]["data"][start:stop]
        except OSError as e:
            raise RecordingError(f"{str(self.path)!r}: cannot read stream {name!r} samples {start}..{stop} ({e})") from None

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self.file["streams"][name]["times"][start:stop]

    def blocks(self, name: str) -> np.ndarray:
        """The block records of a stream: structured array with ``seq``, ``start``, ``n``, ``t0``."""
        return self.file["streams"][self.stream_name(name)]["blocks"][:]

    def segments(self, name: str) -> list[Segment]:
        """Gap-free runs, from the block records (a new run at each drop or time jump)."""
        if name in self._segments:
            return self._segments[name]
        info = self.streams[name]
        n = self.n_samples(name)
        segs: list[Segment] = []
        pending_drops = 0
        prev_seq = None
        for seq, start, count, t0 in self.blocks(name).tolist():
            if prev_seq is not None and seq > prev_seq + 1:
                pending_drops += seq - prev_seq - 1
            prev_seq = seq
            if count == 0 or start >= n:
                continue
            if segs and pending_drops == 0:
                prev = segs[-1]
                if info.rate == 0 or abs(t0 - (prev.t0 + (start - prev.start) / info.rate)) <= 1.5 / info.rate:
                    continue  # the same gap-free run goes on
            if segs:
                prev = segs[-1]
                segs[-1] = Segment(prev.start, start, prev.t0, prev.seq, prev.dropped_before)
            segs.append(Segment(start, n, t0, seq, pending_drops))
            pending_drops = 0
        if not segs:
            segs = [Segment(0, n, 0.0)]
        self._segments[name] = segs
        return segs

    def close(self) -> None:
        if self.file.id.valid:
            self.file.close()
