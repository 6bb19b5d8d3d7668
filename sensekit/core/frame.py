"""``Frame``: an immutable block of samples of one stream."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError, StreamFormatError
from .info import StreamInfo

__all__ = ["Frame", "concat_frames"]


class Frame:
    """A block of ``n`` consecutive samples of one stream.

    Parameters
    ----------
    info : StreamInfo
        The stream the samples belong to.
    data : ndarray, shape (n, *info.shape)
        The samples, of dtype ``info.dtype``. ``n`` may be 0. Not copied: the frame
        marks a fresh array read-only; do not modify an array after wrapping it.
    t0 : float, optional
        Time of the first sample in seconds on the source's clock. Required for a
        regular stream (``info.rate > 0``): the timestamp of sample ``i`` is
        ``t0 + i / info.rate``. For an irregular stream it defaults to ``times[0]``.
    times : ndarray, shape (n,), optional
        Per-sample timestamps in seconds; required for an irregular stream (rate 0),
        not allowed for a regular one (they are derived from ``t0``).
    seq : int
        Sequence number of the block at its source, counting from 0. A gap in the
        sequence means blocks were dropped.

    Notes
    -----
    A frame cannot be changed after construction. Timestamps of a regular stream are
    never stored per sample: :attr:`times` computes them on demand.
    """

    __slots__ = ("info", "data", "t0", "_times", "seq")

    info: StreamInfo
    data: np.ndarray
    t0: float
    seq: int

    def __init__(
        self,
        info: StreamInfo,
        data: np.ndarray,
        *,
        t0: float | None = None,
        times: np.ndarray | None = None,
        seq: int = 0,
    ) -> None:
        if not isinstance(data, np.ndarray):
            raise ParameterError(f"Frame data must be a numpy array, got {type(data).__name__}")
        if data.shape[1:] != info.shape:
            raise StreamFormatError(
                f"stream {info.name!r}: frame data has sample shape {data.shape[1:]}, "
                f"expected {info.shape} (data shape must be (n, *info.shape))"
            )
        if data.dtype.name != info.dtype:
            raise StreamFormatError(f"stream {info.name!r}: frame dtype is {data.dtype.name}, expected {info.dtype}")
        if info.rate > 0:
            if times is not None:
                raise ParameterError(
                    f"stream {info.name!r} is regular ({info.rate:g} Hz): give t0, not per-sample times"
                )
            if t0 is None:
                raise ParameterError(f"stream {info.name!r} is regular: a frame needs t0 (time of its first sample)")
        else:
            if times is None:
                raise ParameterError(f"stream {info.name!r} is irregular (rate 0): a frame needs per-sample times")
            times = np.asarray(times, dtype=np.float64)
            if times.shape != (data.shape[0],):
                raise ParameterError(
                    f"stream {info.name!r}: times has shape {times.shape}, expected ({data.shape[0]},)"
                )
            times.flags.writeable = False
            if t0 is None:
                t0 = float(times[0]) if len(times) else float("nan")
        if data.flags.writeable and data.flags.owndata:
            data.flags.writeable = False
        _set = object.__setattr__
        _set(self, "info", info)
        _set(self, "data", data)
        _set(self, "t0", float(t0))
        _set(self, "_times", times)
        _set(self, "seq", int(seq))

    @classmethod
    def _trusted(
        cls, info: StreamInfo, data: np.ndarray, t0: float, times: np.ndarray | None, seq: int
    ) -> Frame:
        """Build without validation: for stages whose output format is already checked."""
        self = object.__new__(cls)
        _set = object.__setattr__
        _set(self, "info", info)
        _set(self, "data", data)
        _set(self, "t0", t0)
        _set(self, "_times", times)
        _set(self, "seq", seq)
        return self

    def __setattr__(self, name, value):
        raise AttributeError(f"Frame is immutable; build a new Frame instead of setting {name!r}")

    @property
    def n(self) -> int:
        """Number of samples in the block."""
        return self.data.shape[0]

    def __len__(self) -> int:
        return self.data.shape[0]

    @property
    def times(self) -> np.ndarray:
        """Per-sample timestamps in seconds, shape (n,): stored, or derived from ``t0``."""
        if self._times is not None:
            return self._times
        return self.t0 + np.arange(self.data.shape[0]) / self.info.rate

    @property
    def t_end(self) -> float:
        """Expected time of the sample after the last one (regular streams), or last time."""
        if self.info.rate > 0:
            return self.t0 + self.data.shape[0] / self.info.rate
        return float(self._times[-1]) if len(self._times) else self.t0

    @property
    def duration(self) -> float:
        """Seconds covered by the block: ``n / rate`` for a regular stream, else span of times."""
        if self.info.rate > 0:
            return self.data.shape[0] / self.info.rate
        return float(self._times[-1] - self._times[0]) if len(self._times) > 1 else 0.0

    def __repr__(self) -> str:
        return (
            f"Frame(stream={self.info.name!r}, n={self.n}, sample_shape={self.info.shape}, "
            f"t0={self.t0:.6f}, seq={self.seq})"
        )

    def with_data(self, data: np.ndarray, info: StreamInfo | None = None) -> Frame:
        """A frame with the same timing and sequence number and new data (validated)."""
        info = self.info if info is None else info
        if info.rate > 0:
            return Frame(info, data, t0=self.t0, seq=self.seq)
        return Frame(info, data, times=self.times, seq=self.seq)


def concat_frames(frames: Sequence[Frame], info: StreamInfo | None = None) -> Frame:
    """Join consecutive frames of one stream into one frame.

    Parameters
    ----------
    frames : sequence of Frame
        Frames of the same stream in order. May be empty if ``info`` is given.
    info : StreamInfo, optional
        The stream; defaults to the first frame's.

    Returns
    -------
    Frame
        One frame holding every sample, with the first frame's ``t0`` and ``seq``.
    """
    if not frames:
        if info is None:
            raise ParameterError("concat_frames needs at least one frame or an info")
        empty = np.empty((0, *info.shape), dtype=info.dtype)
        if info.rate > 0:
            return Frame(info, empty, t0=0.0)
        return Frame(info, empty, times=np.empty(0))
    info = info or frames[0].info
    data = np.concatenate([f.data for f in frames], axis=0)
    if info.rate > 0:
        return Frame(info, data, t0=frames[0].t0, seq=frames[0].seq)
    return Frame(info, data, times=np.concatenate([f.times for f in frames]), seq=frames[0].seq)
