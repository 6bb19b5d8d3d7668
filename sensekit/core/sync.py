"""The relative latency of two streams, from one event both saw (a clap seen by a camera and
heard by a microphone, a tap seen on EMG and on a camera).

Device timestamps miss latencies the driver does not show (camera exposure and USB transfer,
audio buffers). :func:`event_lag` turns each stream into an activity signal — the sound's
envelope, the images' mean absolute change, the rectified sum of other channels — resamples
both onto one grid, and finds the lag at which their rises (the positive derivative) line up
best. ``sensekit calibrate sync`` stores it as a calibration (kind ``sync``) that replay
applies.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..errors import ParameterError
from .frame import Frame
from .registry import register_calibration
from .schema import Name, Strict

__all__ = ["activity", "event_lag", "SyncParams"]

#: Grid (Hz) on which the activities are compared.
GRID_HZ = 1000.0


def activity(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """``(times, activity)`` of a stream: per-sample absolute value summed over channels (audio,
    EMG, anything 1-D), or the mean absolute change from the previous image (images)."""
    x = np.asarray(frame.data, dtype=np.float64)
    t = np.asarray(frame.times, dtype=np.float64)
    if x.ndim >= 3:  # images: (n, H, W[, 3])
        flat = x.reshape(len(x), -1)
        act = np.zeros(len(x))
        act[1:] = np.abs(np.diff(flat, axis=0)).mean(axis=1)
        return t, act
    if x.ndim == 1:
        x = x[:, None]
    return t, np.nansum(np.abs(x - np.nanmedian(x, axis=0)), axis=1)


def _on_grid(t: np.ndarray, a: np.ndarray, t0: float, n: int, smooth_s: float) -> np.ndarray:
    """The activity on the grid: the largest value within each step for a stream faster than
    the grid (a click shorter than a step is kept), linear interpolation for a slower one
    (a camera's frames)."""
    step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    if step * GRID_HZ < 1.0:
        out = np.zeros(n)
        idx = np.clip(np.round((t - t0) * GRID_HZ).astype(int), 0, n - 1)
        np.maximum.at(out, idx, a)
    else:
        out = np.interp(t0 + np.arange(n) / GRID_HZ, t, a)
    k = max(int(round(smooth_s * GRID_HZ)), 1)
    return np.convolve(out, np.ones(k) / k, mode="same") if k > 1 else out


def event_lag(a: Frame, b: Frame, *, max_lag_s: float = 1.0, smooth_s: float = 0.01) -> tuple[float, float]:
    """How much later stream ``b`` timestamps the event than stream ``a`` (s; positive: ``b``
    is late), and the match's strength (0..1, the normalised correlation of the two rises)."""
    ta, xa = activity(a)
    tb, xb = activity(b)
    if len(ta) < 3 or len(tb) < 3:
        raise ParameterError("each stream needs at least 3 samples around the event")
    t0 = min(ta[0], tb[0])
    n = int(np.ceil((max(ta[-1], tb[-1]) - t0) * GRID_HZ)) + 1
    if n > 20_000_000:
        raise ParameterError(f"the streams span {n / GRID_HZ:.0f} s; cut a stretch around the event")
    ga = np.maximum(np.diff(_on_grid(ta, xa, t0, n, smooth_s), prepend=0.0), 0.0)
    gb = np.maximum(np.diff(_on_grid(tb, xb, t0, n, smooth_s), prepend=0.0), 0.0)
    if not ga.any() or not gb.any():
        raise ParameterError("one of the streams shows no event (its activity never rises)")
    ga, gb = ga - ga.mean(), gb - gb.mean()
    m = min(int(max_lag_s * GRID_HZ), n - 1)
    nfft = int(2 ** np.ceil(np.log2(2 * n)))
    xc = np.fft.irfft(np.fft.rfft(gb, nfft) * np.conj(np.fft.rfft(ga, nfft)), nfft)
    lags = np.r_[np.arange(0, m + 1), np.arange(-m, 0)]
    vals = xc[lags]
    k = int(np.argmax(vals))
    shift = float(lags[k])
    if 0 < k < len(vals) - 1 and abs(lags[k - 1] - lags[k]) == 1 and abs(lags[k + 1] - lags[k]) == 1:
        y0, y1, y2 = vals[k - 1], vals[k], vals[k + 1]
        den = y0 - 2 * y1 + y2
        if den < 0:
            shift += 0.5 * (y0 - y2) / den
    strength = float(vals[k] / (np.linalg.norm(ga) * np.linalg.norm(gb) + 1e-300))
    return shift / GRID_HZ, strength


class SyncParams(Strict):
    """``params`` of a ``sync`` calibration: each stream's latency relative to the reference (s;
    subtract it from that stream's timestamps to put it on the reference's time)."""

    reference: Name
    offsets_s: Annotated[dict[Name, Annotated[float, Field(ge=-60, le=60, allow_inf_nan=False)]],
                         Field(min_length=1, max_length=64)]
    strength: dict[Name, Annotated[float, Field(ge=-1, le=1, allow_inf_nan=False)]] = {}


register_calibration("sync", "sensekit.core.sync:SyncParams", made_by="sensekit calibrate sync")
