"""Sliding windows over a regular stream."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...errors import ParameterError
from ..checks import check_scalar, check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..stage import Stage
from ..units import seconds_to_samples

__all__ = ["Window"]


class Window(Stage):
    """Cut a regular stream into windows of ``length`` samples every ``hop`` samples.

    Give the window either in samples (``length``, ``hop``) or in seconds
    (``length_s``, ``hop_s``, rounded to whole samples at ``open``).

    Parameters
    ----------
    length, hop : int, optional
        Window length and hop in samples, >= 1.
    length_s, hop_s : float, optional
        Window length and hop in seconds, > 0.

    Notes
    -----
    The output stream has one sample per window: a sample has shape
    ``(length, *input.shape)``, the rate is ``input.rate / hop`` and a window's
    timestamp is that of its last input sample (the moment it is complete). The first
    window covers input samples ``0 .. length - 1``. A window is emitted only when full,
    so the output does not depend on the block sizes. The input's channel names are
    kept in the output's ``meta["channels"]``. Windows are read-only views of a buffer
    made for each block (no copy of overlapping samples).
    """

    def __init__(
        self,
        length: int | None = None,
        hop: int | None = None,
        *,
        length_s: float | None = None,
        hop_s: float | None = None,
    ) -> None:
        self.length = length
        self.hop = hop
        self.length_s = length_s
        self.hop_s = hop_s

    def _samples(self, n: int | None, s: float | None, what: str, rate: float) -> int:
        if (n is None) == (s is None):
            raise ParameterError(f"Window: give exactly one of {what} (samples) or {what}_s (seconds)")
        if n is not None:
            return check_scalar(n, what, kind=(int, np.integer), min_value=1)
        check_scalar(s, f"{what}_s", min_value=0, include_min=False)
        n = seconds_to_samples(s, rate)
        if n < 1:
            raise ParameterError(f"Window: {what}_s={s} s is less than one sample at {rate:g} Hz")
        return n

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "Window", regular=True)
        self.length_ = self._samples(self.length, self.length_s, "length", info.rate)
        self.hop_ = self._samples(self.hop, self.hop_s, "hop", info.rate)
        meta = dict(info.meta)
        meta.update(window_length=self.length_, window_hop=self.hop_, input_rate=info.rate,
                    channels=list(info.channels))
        self._out_info = info.replace(shape=(self.length_, *info.shape), rate=info.rate / self.hop_, meta=meta)
        return self._out_info

    def _reset(self) -> None:
        self._tail = np.empty((0, *self.input_info.shape), dtype=self.input_info.dtype)
        self._seen = 0  # input samples received so far
        self._next = 0  # input index where the next window starts
        self._seq = 0
        self._t_first = None  # time of input sample 0

    def _process(self, frame: Frame) -> Frame | None:
        n = frame.data.shape[0]
        if n == 0:
            return None
        rate = self.input_info.rate
        if self._t_first is None:
            self._t_first = frame.t0 - self._seen / rate
        buf_start = self._seen - len(self._tail)
        buf = np.concatenate((self._tail, frame.data), axis=0) if len(self._tail) else np.ascontiguousarray(frame.data)
        self._seen += n
        L, hop = self.length_, self.hop_
        k = (self._seen - self._next - L) // hop + 1 if self._seen - self._next >= L else 0
        out = None
        if k > 0:
            first = self._next - buf_start
            step = buf.strides[0]
            windows = as_strided(buf[first:], shape=(k, L, *buf.shape[1:]), strides=(hop * step, *buf.strides),
                                 writeable=False)
            t0 = self._t_first + (self._next + L - 1) / rate
            out = Frame._trusted(self._out_info, windows, t0, None, self._seq)
            self._seq += 1
            self._next += k * hop
        # keep every sample from the start of the next window on (fewer than L)
        self._tail = buf[min(self._next - buf_start, len(buf)) :].copy()
        return out

    @property
    def latency_s(self) -> float:
        """Time from a window's first sample to its emission: ``(length - 1) / rate``."""
        if self.input_info is None:
            return 0.0
        return (self.length_ - 1) / self.input_info.rate
