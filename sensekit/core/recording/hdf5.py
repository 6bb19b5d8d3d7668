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
import logging
import os
import time
from pathlib import Path

import numpy as np

from ...errors import ParameterError, RecordingError, SensekitError
from ..clock import ClockMap
from ..frame import Frame
from ..info import StreamInfo
from .base import Recording, Segment

__all__ = ["RecordingWriter", "StreamWriter", "HDF5Recording", "SCHEMA_VERSION", "FORMAT"]

FORMAT = "sensekit-recording"
SCHEMA_VERSION = 1
_BLOCK_DTYPE = np.dtype([("seq", "<i8"), ("start", "<i8"), ("n", "<i8"), ("t0", "<f8")])
_CHUNK_BYTES = 256 << 10

log = logging.getLogger("sensekit")


def _h5py():
    try:
        import h5py
    except ImportError:  # pragma: no cover - core dependency
        raise RecordingError("h5py is not installed", "pip install h5py") from None
    return h5py


class StreamWriter:
    """Appends frames of one stream to an open :class:`RecordingWriter`."""

    def __init__(self, writer: RecordingWriter, info: StreamInfo, *, clock: bool = False) -> None:
        self._writer = writer
        self.info = info
        g = self._group = writer.file.require_group("streams").create_group(info.name)
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
        self._clock = self._clock_dataset() if clock else None
        self.n = 0

    def _clock_dataset(self):
        return self._group.create_dataset("clock", shape=(0, 2), maxshape=(None, 2), dtype="<f8", chunks=(256, 2))

    def add_clock(self, measurements: np.ndarray) -> None:
        """Append clock-offset measurements ``(n, 2)``: the remote time and the offset (s) that maps
        it onto the recording's clock, as LSL's ``time_correction`` gives them (the stream's
        timestamps are already mapped; the measurements let anyone refit offset and drift)."""
        m = np.asarray(measurements, dtype=np.float64).reshape(-1, 2)
        if not len(m):
            return
        if self._clock is None:
            self._clock = self._clock_dataset()  # before SWMR only: a capture creates it up front
        k = self._clock.shape[0]
        self._clock.resize((k + len(m), 2))
        self._clock[k:] = m

    def append(self, frame: Frame) -> None:
        """Append a frame's samples and its block record (seq, start index, t0)."""
        if frame.info.shape != self.info.shape or frame.info.dtype != self.info.dtype:
            raise ParameterError(
                f"stream {self.info.name!r}: frame of shape {frame.info.shape} {frame.info.dtype} does not match "
                f"the recorded {self.info.shape} {self.info.dtype}"
            )
        self._writer._started()
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
    swmr : bool
        Single-writer/multiple-reader mode: from the first sample appended on, other
        processes can open the file (``sensekit info``, ``replay``) while it is written. Every
        stream must be added before the first sample then.

    Examples
    --------
    >>> with RecordingWriter("capture.h5") as rec:          # doctest: +SKIP
    ...     emg = rec.add_stream(info)
    ...     for frame in source:
    ...         emg.append(frame)
    """

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False, flush_interval_s: float = 0.25,
                 swmr: bool = False) -> None:
        from ... import __version__

        h5py = _h5py()
        self.path = Path(path)
        if self.path.exists() and not overwrite:
            raise RecordingError(f"{str(self.path)!r} already exists", "choose another name or pass --overwrite")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # (as every other output's folder)
            self.file = h5py.File(self.path, "w", libver="latest") if swmr else h5py.File(self.path, "w")
        except OSError as e:
            raise RecordingError(f"cannot create {str(self.path)!r}: {e}") from None
        self.file.attrs["format"] = FORMAT
        self.file.attrs["schema_version"] = SCHEMA_VERSION
        self.file.attrs["sensekit_version"] = __version__
        self.file.attrs["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        self.flush_interval_s = flush_interval_s
        self._last_flush = time.monotonic()
        self.streams: dict[str, StreamWriter] = {}
        self.swmr = swmr

    def add_stream(self, info: StreamInfo, *, clock: bool = False) -> StreamWriter:
        """Create a stream in the file and return its writer; ``clock``: the stream's timestamps
        come from another clock, whose offset measurements :meth:`StreamWriter.add_clock` stores."""
        if info.name in self.streams:
            raise ParameterError(f"stream {info.name!r} is already in {str(self.path)!r}")
        if self.file.swmr_mode:
            raise ParameterError(f"{str(self.path)!r} is being written for readers (SWMR): add every stream before "
                                 "the first sample")
        w = StreamWriter(self, info, clock=clock)
        self.streams[info.name] = w
        self.file.flush()
        return w

    def _started(self) -> None:
        """Called before the first sample: readers may open the file from now on."""
        if self.swmr and not self.file.swmr_mode:
            self.file.swmr_mode = True

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


def _open_for_reading(h5py, path: Path):
    """Open read-only; a file locked by a writer in SWMR mode (a capture in progress) is
    opened as an SWMR reader."""
    try:
        return h5py.File(path, "r")
    except OSError as first:
        try:
            return h5py.File(path, "r", swmr=True)
        except (OSError, RuntimeError, ValueError):
            raise first from None


class HDF5Recording(Recording):
    """Read a sensekit HDF5 recording (also while another process is writing it)."""

    def __init__(self, path: str | os.PathLike) -> None:
        h5py = _h5py()
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"recording {str(self.path)!r} does not exist", "check the path")
        try:
            self.file = _open_for_reading(h5py, self.path)
        except (OSError, RuntimeError, ValueError) as e:  # h5py reports a damaged superblock as any of these
            raise RecordingError(
                f"{str(self.path)!r} is not a readable HDF5 file ({str(e).splitlines()[0]}); it may be truncated "
                "or corrupt"
            ) from None
        try:
            self._check_file()
        except SensekitError:
            self.file.close()
            raise
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as e:  # h5py, reading a damaged structure
            self.file.close()
            raise RecordingError(f"{str(self.path)!r} is damaged: HDF5 cannot read its structure "
                                 f"({str(e).splitlines()[0] if str(e) else type(e).__name__})",
                                 "it may be truncated or corrupt") from None
        except BaseException:
            self.file.close()
            raise

    def _check_file(self) -> None:
        """Refuse a file whose structure is damaged (one line naming what); warn, saying what
        is done about it, where the samples are intact but their block records are not."""
        where = repr(str(self.path))
        fmt = self.file.attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode("utf-8", "replace")
        if fmt != FORMAT:
            raise RecordingError(f"{where} is HDF5 but not a sensekit recording (format={fmt!r})")
        version = self.file.attrs.get("schema_version", 0)
        if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)):
            raise RecordingError(f"{where} has a damaged schema_version attribute ({version!r})")
        if int(version) > SCHEMA_VERSION:
            raise RecordingError(f"{where} uses recording schema {int(version)}; this sensekit reads up to "
                                 f"{SCHEMA_VERSION}", "upgrade sensekit")
        h5py = _h5py()
        group = self.file.get("streams")
        if not isinstance(group, h5py.Group) or not len(group):
            raise RecordingError(f"{where} holds no stream (its 'streams' group is missing or empty)",
                                 "the capture may have failed before its first block")
        self.streams = {}
        self._segments: dict[str, list[Segment]] = {}
        self._blocks: dict[str, np.ndarray] = {}
        for name, g in group.items():
            self.streams[name] = self._check_stream(name, g, h5py)

    def _check_stream(self, name: str, g, h5py) -> StreamInfo:
        where = f"{str(self.path)!r} stream {name!r}"
        if not isinstance(g, h5py.Group):
            raise RecordingError(f"{where} is not a stream group: the file is damaged")
        raw = g.attrs.get("info")
        if raw is None:
            raise RecordingError(f"{where} has no stream description (attribute 'info'): the file is damaged")
        try:
            info = StreamInfo.from_json(raw.decode() if isinstance(raw, bytes) else str(raw))
        except Exception as e:  # noqa: BLE001 - any malformed description is one message
            raise RecordingError(f"{where}: damaged stream description ({type(e).__name__}: {str(e)[:120]})") from None
        data = g.get("data")
        if not isinstance(data, h5py.Dataset):
            raise RecordingError(f"{where} has no 'data' dataset: the file is damaged")
        if data.ndim != 1 + len(info.shape) or tuple(data.shape[1:]) != info.shape:
            raise RecordingError(f"{where}: its description says samples of shape {info.shape}, the data holds "
                                 f"{tuple(data.shape[1:])}: the file is damaged")
        if data.dtype != np.dtype(info.dtype):
            raise RecordingError(f"{where}: its description says {info.dtype}, the data is {data.dtype}: the file is "
                                 "damaged")
        row_bytes = int(np.prod(info.shape, dtype=np.int64)) * data.dtype.itemsize
        stored = data.id.get_storage_size()
        chunk = row_bytes * (data.chunks[0] if data.chunks else 0)
        if data.shape[0] * row_bytes > 16 * (stored + chunk):  # (a capture cut between growing and writing a block)
            raise RecordingError(f"{where} says it holds {data.shape[0]:,} samples ({data.shape[0] * row_bytes:,} bytes), "
                                 f"but the file stores {stored:,} bytes of them: the file is damaged")
        blocks = g.get("blocks")
        if not isinstance(blocks, h5py.Dataset) or blocks.dtype.names != _BLOCK_DTYPE.names or blocks.ndim != 1:
            raise RecordingError(f"{where} has no valid 'blocks' dataset (seq, start, n, t0): the file is damaged")
        b = blocks[:]
        n = int(data.shape[0])
        if not np.isfinite(b["t0"]).all():
            k = int(np.flatnonzero(~np.isfinite(b["t0"]))[0])
            raise RecordingError(f"{where}: block {k} has time t0={b['t0'][k]}: the file is damaged")
        if (b["n"] < 0).any() or (b["start"] < 0).any():
            raise RecordingError(f"{where}: a block record has a negative start or length: the file is damaged")
        if len(b) > 1 and (np.diff(b["seq"]) <= 0).any():
            k = int(np.flatnonzero(np.diff(b["seq"]) <= 0)[0]) + 1
            log.warning("%s: block sequence numbers go back at block %d; its drop count is not trusted (none "
                        "reported before it)", where, k)
            b = b.copy()
            b["seq"] = np.arange(len(b)) + (b["seq"][0] if len(b) else 0)
        past = b["start"] + b["n"] > n
        if past.any():
            log.warning("%s: %d block record(s) point past the %d samples stored (the capture was cut short); "
                        "reading the %d samples stored", where, int(past.sum()), n, n)
        if info.rate == 0:
            times = g.get("times")
            if not isinstance(times, h5py.Dataset) or times.shape != (n,):
                raise RecordingError(f"{where} is irregular but has no per-sample 'times' for its {n} samples: the "
                                     "file is damaged")
            t = times[:]
            if not np.isfinite(t).all():
                raise RecordingError(f"{where}: {int((~np.isfinite(t)).sum())} sample time(s) are not finite: the file "
                                     "is damaged")
            if n > 1 and (np.diff(t) < 0).any():
                raise RecordingError(f"{where}: sample times go back at sample {int(np.argmax(np.diff(t) < 0)) + 1}: "
                                     "the file is damaged")
        clock = g.get("clock")
        if clock is not None and (not isinstance(clock, h5py.Dataset) or clock.ndim != 2 or clock.shape[1] != 2
                                  or clock.dtype.kind != "f" or clock.shape[0] > 10_000_000):
            raise RecordingError(f"{where} has a 'clock' record that is not (n, 2) offset measurements: the file is "
                                 "damaged")
        self._blocks[name] = b
        return info

    def clock(self, name: str) -> ClockMap | None:
        g = self.file["streams"][self.stream_name(name)]
        if "clock" not in g:
            return None
        try:
            m = g["clock"][:]
        except OSError as e:
            raise RecordingError(f"{str(self.path)!r}: cannot read stream {name!r} clock offsets ({e})") from None
        return ClockMap.from_measurements(m[:, 0], m[:, 1]) if len(m) else None

    def n_samples(self, name: str) -> int:
        return int(self.file["streams"][name]["data"].shape[0])

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        try:
            return self.file["streams"][name]["data"][start:stop]
        except OSError as e:
            raise RecordingError(f"{str(self.path)!r}: cannot read stream {name!r} samples {start}..{stop} ({e})") from None

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        try:
            return self.file["streams"][name]["times"][start:stop]
        except OSError as e:
            raise RecordingError(f"{str(self.path)!r}: cannot read stream {name!r} times {start}..{stop} ({e})") from None

    def blocks(self, name: str) -> np.ndarray:
        """The block records of a stream: structured array with ``seq``, ``start``, ``n``, ``t0``."""
        return self._blocks[self.stream_name(name)]

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
