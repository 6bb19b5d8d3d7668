"""The One-Euro filter for landmark jitter (Casiez, Roussel & Vogel, CHI 2012)."""

from __future__ import annotations

import math

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.stage import Stage

__all__ = ["OneEuroFilter"]


def _alpha(cutoff_hz, dt_s):
    tau = 1.0 / (2 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter(Stage):
    """Speed-adaptive low-pass for every value of every sample (landmarks, gaze).

    Slow movements are smoothed with ``min_cutoff_hz``; the cut-off rises by ``beta`` per
    unit/s of (filtered) speed, so fast movements keep little lag. Works on irregular
    streams (the time step comes from the timestamps). A NaN value (hand lost) restarts
    that value's filter.

    Parameters
    ----------
    min_cutoff_hz : float
        Cut-off at rest, Hz (> 0).
    beta : float
        Speed coefficient (>= 0), 1 / (unit of the values).
    d_cutoff_hz : float
        Cut-off of the speed estimate, Hz.
    """

    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.01, d_cutoff_hz: float = 1.0) -> None:
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "OneEuroFilter", dtype_kinds="f")
        check_scalar(self.min_cutoff_hz, "min_cutoff_hz", min_value=0, include_min=False)
        check_scalar(self.beta, "beta", min_value=0)
        check_scalar(self.d_cutoff_hz, "d_cutoff_hz", min_value=0, include_min=False)
        self._out = info.replace(dtype="float64", channels=info.channels)
        return self._out

    def _reset(self) -> None:
        shape = self.input_info.shape
        self._x = np.full(shape, np.nan)
        self._dx = np.zeros(shape)
        self._t = None

    def _process(self, frame: Frame) -> Frame:
        data = np.asarray(frame.data, dtype=np.float64)
        times = frame.times
        out = np.empty_like(data)
        for i in range(len(data)):
            x = data[i]
            t = float(times[i])
            if self._t is None or t <= self._t:
                dt = 1.0 / self.input_info.rate if self.input_info.rate > 0 else 1 / 30
            else:
                dt = t - self._t
            self._t = t
            fresh = ~np.isfinite(self._x)
            dx = np.where(fresh, 0.0, (x - self._x) / dt)
            a_d = _alpha(self.d_cutoff_hz, dt)
            self._dx = np.where(fresh, 0.0, a_d * dx + (1 - a_d) * self._dx)
            cutoff = self.min_cutoff_hz + self.beta * np.abs(self._dx)
            tau = 1.0 / (2 * np.pi * cutoff)
            a = 1.0 / (1.0 + tau / dt)
            y = np.where(fresh, x, a * x + (1 - a) * self._x)
            self._x = np.where(np.isfinite(x), y, np.nan)
            self._dx = np.where(np.isfinite(x), self._dx, 0.0)
            out[i] = self._x
        return Frame._trusted(self._out, out, frame.t0, frame._times, frame.seq)
