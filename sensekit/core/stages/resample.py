"""Streaming polyphase resampling by a rational factor."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import signal

from ...errors import ParameterError
from ..checks import check_scalar, check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..stage import Stage

__all__ = ["Resample"]


class Resample(Stage):
    """Change a regular stream's rate by ``up / down`` with a causal polyphase FIR.

    Parameters
    ----------
    rate_hz : float
        Output rate in Hz. ``rate_hz / input rate`` must be a fraction ``up / down``
        with ``up, down <= max_factor``.
    half_width : int
        Filter half-length in units of ``max(up, down)`` input/output periods (as in
        :func:`scipy.signal.resample_poly`, which uses 10); longer is sharper.
    kaiser_beta : float
        Shape of the Kaiser window of the anti-aliasing filter.
    max_factor : int
        Largest accepted ``up`` or ``down``.

    Notes
    -----
    Output sample ``m`` is ``sum_k h[k] x_up[m * down - k]``, computed from the input
    history kept between blocks, so any split of the input gives the same output. The
    filter is causal: the output lags the input by :attr:`latency_s` seconds (half the
    filter length); output timestamps are ``t_first_input + m / rate_hz``, not shifted.
    The output dtype is ``float64``.
    """

    def __init__(self, rate_hz: float, *, half_width: int = 10, kaiser_beta: float = 5.0,
                 max_factor: int = 1000) -> None:
        self.rate_hz = rate_hz
        self.half_width = half_width
        self.kaiser_beta = kaiser_beta
        self.max_factor = max_factor

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "Resample", regular=True, dtype_kinds="fiu")
        check_scalar(self.rate_hz, "rate_hz", min_value=0, include_min=False)
        check_scalar(self.half_width, "half_width", kind=int, min_value=1)
        ratio = Fraction(self.rate_hz / info.rate).limit_denominator(self.max_factor)
        if abs(float(ratio) - self.rate_hz / info.rate) > 1e-9 * self.rate_hz / info.rate:
            raise ParameterError(
                f"Resample: {info.rate:g} Hz -> {self.rate_hz:g} Hz is not a ratio up/down with "
                f"up, down <= {self.max_factor}",
                "pick an output rate with a simpler ratio or raise max_factor",
            )
        up, down = ratio.numerator, ratio.denominator
        self.up_, self.down_ = up, down
        n_taps = 2 * self.half_width * max(up, down) + 1
        h = signal.firwin(n_taps, 1.0 / max(up, down), window=("kaiser", self.kaiser_beta)) * up
        n_poly = -(-n_taps // up)
        padded = np.zeros(n_poly * up)
        padded[:n_taps] = h
        self.taps_ = h
        self._poly = padded.reshape(n_poly, up).T.copy()  # _poly[phase, j] = h[phase + j*up]
        self._n_poly = n_poly
        self._width = int(np.prod(info.shape, dtype=np.int64))
        self._out_info = info.replace(rate=float(self.rate_hz), dtype="float64", channels=info.channels)
        return self._out_info

    def _reset(self) -> None:
        self._hist = np.zeros((self._n_poly - 1, self._width))
        self._seen = 0  # input samples so far
        self._m = 0  # next output index
        self._t_first = None

    def _process(self, frame: Frame) -> Frame | None:
        n = frame.data.shape[0]
        if n == 0:
            return None
        if self._t_first is None:
            self._t_first = frame.t0 - self._seen / self.input_info.rate
        x = frame.data.reshape(n, self._width).astype(np.float64, copy=False)
        ext = np.concatenate((self._hist, x), axis=0)
        g0 = self._seen - (self._n_poly - 1)  # input index of ext[0]
        self._seen += n
        up, down = self.up_, self.down_
        # every output m with (m * down) // up <= seen - 1, i.e. m * down < seen * up
        m_stop = (self._seen * up - 1) // down + 1
        out = None
        if m_stop > self._m:
            m = np.arange(self._m, m_stop)
            p = m * down
            base = p // up - g0
            idx = base[:, None] - np.arange(self._n_poly)[None, :]
            w = self._poly[p % up]
            y = (w[:, :, None] * ext[idx]).sum(axis=1)
            t0 = self._t_first + self._m / self.rate_hz
            out = Frame._trusted(self._out_info, y.reshape(len(m), *self.input_info.shape), t0, None, frame.seq)
            self._m = m_stop
        self._hist = ext[len(ext) - (self._n_poly - 1) :].copy()
        return out

    @property
    def latency_s(self) -> float:
        """Group delay of the linear-phase filter: ``(len(taps) - 1) / 2`` upsampled samples."""
        if self.input_info is None:
            return 0.0
        return (len(self.taps_) - 1) / 2 / (self.input_info.rate * self.up_)
