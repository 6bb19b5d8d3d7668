"""Mapping a remote clock onto sensekit's: offset and drift fitted from offset measurements.

A device on another computer (an LSL outlet) stamps samples with its own clock. Lab Streaming
Layer measures the offset between the clocks now and then (``time_correction``); each
measurement is noisy (network jitter, an occasional spike of tens of milliseconds). Adding the
latest measurement to every timestamp, as a plain inlet does, carries that noise into the data
and ignores drift (two crystals differ by tens of ppm: 30 ms in 10 minutes).
:class:`ClockMap` fits ``offset(t) = a + b t`` to the measurements of the last ``window_s``,
dropping outliers (beyond 3 scaled MADs of the residuals), and maps timestamps through it.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .info import nominal_rate, rate_from_times

__all__ = ["ClockMap", "steady_clock", "stamped_rate_differs", "STEADY_KINDS", "STATED_RATE_TOLERANCE"]

#: How far (a fraction) a stream's time stamps may step from the rate it states before the
#: stamps are believed (pyxdf's own bound): an outlet that states the wrong rate.
STATED_RATE_TOLERANCE = 0.1

#: Kinds of sampled signal that, stated irregular (an LSL outlet of nominal rate 0), are read as
#: regular when their stamps keep one clock (:func:`steady_clock`); a camera's landmarks and event
#: streams keep their own times.
STEADY_KINDS = ("emg", "eeg", "exg", "gaze", "audio")


class ClockMap:
    """Remote timestamps → local ones from ``(remote time, measured offset)`` pairs.

    Parameters
    ----------
    window_s : float
        Measurements older than this (remote time) are forgotten (drift changes slowly).
    max_points : int
        At most this many measurements are kept.

    Examples
    --------
    >>> m = ClockMap()
    >>> for t in range(0, 60, 5):
    ...     m.add(float(t), 2.0 + 1e-5 * t)
    >>> round(float(m(100.0)) - 100.0, 6)
    2.001
    """

    def __init__(self, window_s: float = 600.0, max_points: int = 512) -> None:
        self.window_s = float(window_s)
        self._pts: deque[tuple[float, float]] = deque(maxlen=max_points)
        self.offset_s = 0.0
        self.drift = 0.0  # seconds of offset per second
        self._t_ref = 0.0
        self.count = 0  # measurements added so far (kept or not)

    @classmethod
    def from_measurements(cls, remote_t, offsets_s, **kwargs) -> ClockMap:
        """A map fitted to stored measurements (a recording's ``clock`` record, XDF clock offsets);
        non-finite pairs are skipped."""
        t = np.asarray(remote_t, dtype=np.float64).ravel()
        o = np.asarray(offsets_s, dtype=np.float64).ravel()
        ok = np.isfinite(t) & np.isfinite(o)
        m = cls(**{"window_s": np.inf, "max_points": max(int(ok.sum()), 1), **kwargs})
        m._pts.extend(zip(t[ok].tolist(), o[ok].tolist(), strict=True))
        m.count = len(m._pts)
        if m._pts:
            m._fit()
        return m

    def measurements(self) -> np.ndarray:
        """The kept measurements, ``(n, 2)``: remote time, offset (s)."""
        return np.asarray(self._pts, dtype=np.float64).reshape(-1, 2)

    @property
    def jitter_s(self) -> float:
        """Spread of the measurements about the fitted line (s; 1.4826 x median absolute residual)."""
        pts = self.measurements()
        if len(pts) < 3:
            return 0.0
        resid = pts[:, 1] - (self.offset_s + self.drift * (pts[:, 0] - self._t_ref))
        return float(1.4826 * np.median(np.abs(resid - np.median(resid))))

    def add(self, remote_t: float, offset_s: float) -> None:
        """One measurement: at remote time ``remote_t`` the local clock was ``offset_s`` ahead."""
        if not (np.isfinite(remote_t) and np.isfinite(offset_s)):
            return
        self._pts.append((float(remote_t), float(offset_s)))
        self.count += 1
        while self._pts and self._pts[-1][0] - self._pts[0][0] > self.window_s:
            self._pts.popleft()
        self._fit()

    def _fit(self) -> None:
        t, o = (np.asarray(v) for v in zip(*self._pts, strict=True))
        self._t_ref = float(t[-1])
        if len(t) < 3 or np.ptp(t) <= 0:
            self.offset_s, self.drift = float(np.median(o)), 0.0
            return
        keep = np.ones(len(t), dtype=bool)
        for _ in range(3):
            b, a = np.polyfit(t[keep] - self._t_ref, o[keep], 1)
            resid = o - (a + b * (t - self._t_ref))
            mad = float(np.median(np.abs(resid[keep] - np.median(resid[keep])))) * 1.4826
            new = np.abs(resid) <= max(3 * mad, 1e-6)
            if new.sum() < 3 or (new == keep).all():
                break
            keep = new
        self.offset_s, self.drift = float(a), float(b)

    def offset_at(self, remote_t: float) -> float:
        """The fitted offset (s) at remote time ``remote_t``."""
        return self.offset_s + self.drift * (float(remote_t) - self._t_ref)

    def __call__(self, remote_t):
        """Local times of remote timestamps (array or scalar)."""
        t = np.asarray(remote_t, dtype=np.float64)
        return t + self.offset_s + self.drift * (t - self._t_ref)


def stamped_rate_differs(nominal: float, times: np.ndarray) -> float | None:
    """The rate that a regular stream's time stamps ``times`` step at
    (:func:`~sensekit.core.info.rate_from_times`) where it is more than
    :data:`STATED_RATE_TOLERANCE` off the ``nominal`` rate it states, else None (so too for fewer
    than 10 stamps or no rate stated).

    >>> stamped_rate_differs(20.0, np.arange(200) / 90.0), stamped_rate_differs(500.0, np.arange(200) / 498.0)
    (90.0, None)
    """
    if not (np.isfinite(nominal) and nominal > 0) or len(times) < 10:
        return None
    stamped = rate_from_times(np.asarray(times, dtype=np.float64))
    if not stamped > 0 or abs(stamped - nominal) <= STATED_RATE_TOLERANCE * nominal:
        return None
    return stamped


def steady_clock(times: np.ndarray, *, within: float = 2.0, at_most: float = 20.0,
                 min_samples: int = 100) -> tuple[float, np.ndarray] | None:
    """The rate (:func:`~sensekit.core.info.nominal_rate`) and dejittered stamps of timestamps that
    keep one clock: of at least ``min_samples`` samples, 99 % lie within ``within`` sample periods
    of the least-squares line through them and none beyond ``at_most``; else None.

    The defaults are for a stream that states no rate (an LSL outlet of nominal rate 0, as some
    armband apps publish, stamping packets of samples on arrival; a host's hiccup delays a few
    packets): a stream of events, or one with a dropout, stays irregular. A table's stamps take
    a quarter of a period for both bounds, so that one missing sample keeps it irregular.

    >>> rate, fitted = steady_clock(np.repeat(np.arange(100) * 0.01, 2))  # packets of 2 at 200 Hz
    >>> rate, bool(np.all(np.diff(fitted) > 0))
    (200.0, True)
    """
    if len(times) < min_samples or not np.all(np.isfinite(times)) or np.any(np.diff(times) < 0):
        return None
    k = np.arange(len(times), dtype=np.float64)
    slope, intercept = np.polyfit(k, times, 1)
    if not slope > 0:
        return None
    fitted = intercept + slope * k
    off = np.abs(times - fitted)
    if np.percentile(off, 99) > within * slope or off.max() > at_most * slope:
        return None
    return nominal_rate(1.0 / slope), fitted
