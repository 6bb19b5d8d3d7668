"""Eye-movement event detectors on whole gaze signals (deg, regular rate).

Every detector is a function ``labels = detect(x, y, rate, **params)`` returning one
code per sample (:mod:`sensekit.eyetrack.labels`); the streaming stages of
:mod:`sensekit.eyetrack.stages` run them on fixed chunks so that results do not depend
on how a stream is cut into blocks.

- :func:`ivt` — velocity threshold (Salvucci & Goldberg 2000).
- :func:`idt` — dispersion threshold (Salvucci & Goldberg 2000).
- :func:`nh2010` — adaptive velocity thresholds with post-saccadic oscillations
  (Nyström & Holmqvist 2010).
- :func:`adaptive` — sensekit's detector: NH2010 saccades and PSOs, then fixation vs
  smooth pursuit by the coherent (direction-averaged) velocity of the intersaccadic
  samples and, for slow pursuits, by how far the gaze spreads over a second, with minimum
  durations; data loss and its edges labelled blink.
  :func:`adaptive_hr` is its preset for low-noise 1000 Hz trackers.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..core.checks import check_scalar
from ..errors import ParameterError
from .labels import BLINK, FIXATION, PSO, PURSUIT, SACCADE, UNDEFINED, label_runs

__all__ = ["gaze_velocity", "adaptive_threshold", "ivt", "idt", "nh2010", "adaptive", "missed_saccades", "DETECTORS", "detect",
           "MIN_RATE_HZ", "MAX_GAZE_RATE_HZ", "savgol_kernel", "adaptive_hr", "speed_of"]

#: The lowest rate at which each detector's saccade timing is meaningful (a warning below).
MIN_RATE_HZ = {"ivt": 30.0, "idt": 30.0, "nh2010": 200.0, "adaptive": 200.0, "adaptive-hr": 500.0}

#: The fastest gaze sampling any detector (and ``export eyetrack --rate``) accepts (Hz). Video
#: trackers reach 2 kHz, scleral coils and dual-Purkinje trackers are digitised at up to about
#: 10 kHz; a faster rate is a time column read in the wrong unit, and would size the filters
#: in millions of samples.
MAX_GAZE_RATE_HZ = 10_000.0
#: A gaze further than this from the centre (deg) is no gaze (eyes turn about 55 deg in the head,
#: a screen subtends less than 180): such samples are data loss.
MAX_GAZE_DEG = 90.0


def gaze_as_loss(x: np.ndarray, y: np.ndarray, *, unwrapped: bool = False) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Gaze (deg) with every sample that is no gaze made data loss (NaN in both coordinates):
    NaN in either coordinate, an infinity, or beyond :data:`MAX_GAZE_DEG`. Returns x, y (copies
    where changed), the number of samples that were beyond (not already NaN) and the largest of
    them (for a warning). ``unwrapped``: x is an azimuth kept continuous past straight behind (a
    headset's gaze direction in the world's frame, :mod:`sensekit.eyetrack.directions`), which
    any finite value may be."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        x_bound = np.inf if unwrapped else MAX_GAZE_DEG
        lost = ~(np.abs(x) <= x_bound) | ~(np.abs(y) <= MAX_GAZE_DEG)  # (NaN included)
    if not lost.any():
        return x, y, 0, 0.0
    beyond = lost & ~(np.isnan(x) | np.isnan(y))
    largest = float(np.max(np.maximum(np.abs(x[beyond]), np.abs(y[beyond])))) if beyond.any() else 0.0
    x, y = x.copy(), y.copy()
    x[lost] = y[lost] = np.nan
    return x, y, int(beyond.sum()), largest


def _odd_window(seconds: float, rate: float, minimum: int) -> int:
    w = max(int(round(seconds * rate)), minimum)
    return w + 1 - w % 2


def _fill_nan(x: np.ndarray, y: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``y`` with their samples that are not ``ok`` interpolated linearly (0 when
    none is)."""
    if ok.all():
        return x, y
    if not ok.any():
        return np.zeros_like(x), np.zeros_like(y)
    known, missing = np.flatnonzero(ok), np.flatnonzero(~ok)
    xi, yi = x.copy(), y.copy()
    xi[missing] = np.interp(missing, known, x[known])
    yi[missing] = np.interp(missing, known, y[known])
    return xi, yi


def fill_short_gaps(x: np.ndarray, y: np.ndarray, rate: float, max_gap_s: float) -> tuple[np.ndarray, np.ndarray,
                                                                                          np.ndarray]:
    """``(x, y, filled)``: runs of lost samples no longer than ``max_gap_s`` with valid samples on
    both sides interpolated linearly (the gap fill-in of Tobii's I-VT filter, 75 ms there: a
    tracker's dropout, shorter than a blink); ``filled`` marks them."""
    lost = ~(np.isfinite(x) & np.isfinite(y))
    filled = np.zeros(x.size, dtype=bool)
    if not lost.any() or max_gap_s <= 0:
        return x, y, filled
    starts, stops, codes = label_runs(lost)
    short = codes & (stops - starts <= max_gap_s * rate) & (starts > 0) & (stops < x.size)
    for a, b in zip(starts[short].tolist(), stops[short].tolist(), strict=True):
        filled[a:b] = True
    if filled.any():
        known, gap = np.flatnonzero(~lost), np.flatnonzero(filled)
        x, y = x.copy(), y.copy()
        x[gap], y[gap] = np.interp(gap, known, x[known]), np.interp(gap, known, y[known])
    return x, y, filled


def speed_of(vx: np.ndarray, vy: np.ndarray) -> np.ndarray:
    """``sqrt(vx² + vy²)`` (faster than :func:`numpy.hypot`, which guards against overflow
    that gaze speeds never reach); shared by the streaming stage so that both agree exactly."""
    return np.sqrt(vx * vx + vy * vy)


def _dilate(mask: np.ndarray, reach: int) -> np.ndarray:
    """``mask`` grown by ``reach`` samples on each side."""
    out = mask.copy()
    starts, stops = _runs(mask)
    for a, b in zip(np.maximum(starts - reach, 0).tolist(), (stops + reach).tolist(), strict=True):
        out[a:b] = True
    return out


@functools.lru_cache(maxsize=64)
def savgol_kernel(window: int, order: int, deriv: int, rate: float) -> np.ndarray:
    """Savitzky–Golay FIR kernel (for :func:`numpy.convolve`) of the ``deriv``-th
    derivative per second."""
    from scipy.signal import savgol_coeffs

    return savgol_coeffs(window, order, deriv=deriv, delta=1.0 / rate, use="conv")


def _fir_same(v: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``v`` filtered by the odd-length FIR ``k``, centred, edges padded with the end values."""
    h = k.size // 2
    if v.size == 0:
        return v.copy()
    padded = np.empty(v.size + 2 * h)
    padded[:h] = v[0]
    padded[h : h + v.size] = v
    padded[h + v.size :] = v[-1]
    return np.convolve(padded, k, mode="valid")


def gaze_velocity(x, y, rate: float, *, window_s: float = 0.02, order: int = 2, acceleration: bool = False):
    """Savitzky–Golay smoothed gaze velocity (and acceleration).

    Parameters
    ----------
    x, y : ndarray, shape (n,)
        Gaze (deg); NaN for loss.
    rate : float
        Sampling rate (Hz).
    window_s : float
        Filter length (s); at least ``order + 2`` samples, odd.
    order : int
        Polynomial order.
    acceleration : bool
        Also return the acceleration magnitude.

    Returns
    -------
    vx, vy, speed[, acceleration] : ndarray, shape (n,)
        deg/s (and deg/s²); NaN within half a window of lost data. Edges are padded
        with the first and last samples.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = _odd_window(window_s, rate, order + 2 - order % 2)
    ok = np.isfinite(x) & np.isfinite(y)
    xi, yi = _fill_nan(x, y, ok)
    k1 = savgol_kernel(w, order, 1, rate)
    vx, vy = _fir_same(xi, k1), _fir_same(yi, k1)
    out = [vx, vy, speed_of(vx, vy)]
    if acceleration:
        k2 = savgol_kernel(w, order, 2, rate)
        out.append(speed_of(_fir_same(xi, k2), _fir_same(yi, k2)))
    if not ok.all():
        bad = _dilate(~ok, w // 2)
        for a in out:
            a[bad] = np.nan
    return tuple(out)


def adaptive_threshold(speed: np.ndarray, *, initial: float = 100.0, peak_sd: float = 6.0, onset_sd: float = 3.0,
                       tol: float = 1.0, floor: float | str = 0.0, robust: bool = False,
                       max_iter: int = 100) -> tuple[float, float, float, float]:
    """Nyström & Holmqvist's data-driven saccade thresholds.

    Iterates ``PT = mean + peak_sd * sd`` of the speeds below the current ``PT`` until it
    moves by less than ``tol`` (deg/s).

    With ``robust``, the median and 1.4826 × the median absolute deviation replace the
    mean and standard deviation, so that a few artefacts do not inflate the thresholds.

    ``floor="auto"`` is 8 × the median speed, within 20–40 deg/s.

    Returns
    -------
    peak, onset, mean, sd : float
        Peak threshold, onset threshold (``mean + onset_sd * sd``) and the noise
        statistics (deg/s); ``peak`` and ``onset`` are at least ``floor``.
    """
    # sorted once (every step is then O(log n)); float32 sorts twice as fast, and its 7 digits
    # are far finer than the noise statistics need
    v = np.sort(speed[np.isfinite(speed)].astype(np.float32)).astype(np.float64)
    if floor == "auto":
        floor = auto_floor(v)
    pt, m, s = float(initial), 0.0, 0.0
    if v.size == 0:
        return max(pt, floor), max(pt, floor), m, s
    if not robust:
        c1 = np.concatenate([[0.0], np.cumsum(v)])
        c2 = np.concatenate([[0.0], np.cumsum(v * v)])
    for _ in range(max_iter):
        k = int(np.searchsorted(v, pt))  # v[:k] < pt
        if k < 2:
            break
        if robust:
            m = 0.5 * float(v[(k - 1) // 2] + v[k // 2])
            s = 1.4826 * _sorted_mad(v[:k], m)
        else:
            m = float(c1[k] / k)
            s = float(np.sqrt(max(c2[k] / k - m * m, 0.0)))
        new = m + peak_sd * s
        done = abs(new - pt) < tol
        pt = new
        if done:
            break
    return max(pt, floor), max(m + onset_sd * s, floor * onset_sd / peak_sd), m, s


def auto_floor(sorted_speed: np.ndarray) -> float:
    """The automatic peak-threshold floor: 8 × the median speed, within 20–40 deg/s
    (40 for the noisier 500 Hz video trackers, 20 for quiet 1000 Hz ones)."""
    if sorted_speed.size == 0:
        return 40.0
    return min(max(8.0 * float(sorted_speed[sorted_speed.size // 2]), 20.0), 40.0)


def _sorted_mad(v: np.ndarray, m: float) -> float:
    """The ``(n + 1) // 2``-th smallest of ``|v - m|`` for sorted ``v`` (the median
    absolute deviation; exact). Those distances are a window of ``v`` around ``m``: the
    shortest-reaching window of that length."""
    half = (v.size + 1) // 2
    reach = np.maximum(m - v[: v.size - half + 1], v[half - 1 :] - m)
    return float(reach.min())


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops of the True runs of a boolean array."""
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    if mask.size and mask[0]:
        change = np.concatenate([[0], change])
    if mask.size and mask[-1]:
        change = np.concatenate([change, [mask.size]])
    return change[::2], change[1::2]


def _saccades(speed: np.ndarray, rate: float, *, peak: float, onset: float, noise_window_s: float,
              min_duration_s: float, max_duration_s: float, pso_window_s: float, local_sd: float,
              min_pso_s: float, offset_factor: float = 1.0, moving_peak: float = 0.0, moving_speed: float = 5.0):
    """NH2010 saccade and PSO intervals: lists of (start, stop) sample indices.

    A peak below ``moving_peak`` (deg/s) counts only when the eye was still before it
    (mean speed over the noise window below ``moving_speed``): a slow peak on a moving
    eye is a pursuit's wobble, not a saccade."""
    n = speed.size
    finite = np.isfinite(speed)
    sp = np.where(finite, speed, np.inf)  # lost data is never "slow"
    starts, stops = _runs(speed > peak)
    if starts.size == 0:
        return [], []
    # onset: the sample after the last one below the onset threshold (or lost) before each peak
    below_or_lost = np.where(finite, speed, -np.inf)
    low = np.flatnonzero(below_or_lost < onset)
    before = np.searchsorted(low, starts) - 1
    first = np.where(before >= 0, low[np.maximum(before, 0)], -1) + 1 if low.size else np.zeros_like(starts)
    noise_w = max(int(noise_window_s * rate), 2)
    # the local noise (mean + local_sd * SD of the valid speeds in noise_w samples) before
    # each peak's onset, for all peaks at once
    win = np.maximum(first[:, None] - noise_w + np.arange(noise_w), -1)
    vals = np.concatenate([[np.nan], speed])[win + 1]  # NaN: lost or before the start
    ok = ~np.isnan(vals)
    cnt = ok.sum(axis=1)
    vals[~ok] = 0.0
    mu = vals.sum(axis=1) / np.maximum(cnt, 1)
    sd = np.sqrt(np.maximum((vals * vals).sum(axis=1) / np.maximum(cnt, 1) - mu * mu, 0.0))
    local_all = np.where(cnt > 2, mu + local_sd * sd, onset)
    if moving_peak > 0:
        run_peak = np.maximum.reduceat(np.where(finite, speed, 0.0), starts)
        moving = (run_peak < moving_peak) & ~((cnt > 0) & (mu < moving_speed))
        first = np.where(moving, -1, first)  # skipped below
    local_all = local_all.tolist()
    any_lost = not finite.all()
    max_len = max(int(max_duration_s * rate), 2)
    pso_w = max(int(pso_window_s * rate), 1)
    min_len = max(int(round(min_duration_s * rate)), 1)
    min_pso = max(int(round(min_pso_s * rate)), 1)
    sacc, psos = [], []
    end_prev = -1
    for s, e, a, local in zip(starts.tolist(), stops.tolist(), first.tolist(), local_all, strict=True):
        if s <= end_prev or a <= 0 or e >= n:
            continue  # inside the previous saccade, or cut by the signal's start or end
        if a <= end_prev:  # onset inside the previous saccade's PSO: start after it
            a = end_prev + 1
            pre = speed[max(a - noise_w, 0) : a]
            pre = pre[np.isfinite(pre)]
            local = pre.mean() + local_sd * pre.std() if pre.size > 2 else onset
        # offset threshold: mix of the global onset threshold and the local noise before onset
        pso_thr = 0.7 * onset + 0.3 * local
        off_thr = offset_factor * pso_thr
        cand = below_or_lost[e : e + max_len] < off_thr
        j = int(cand.argmax())
        if not cand[j]:
            continue
        b = e + j  # first sample below the offset threshold (or lost)
        if not finite[b]:
            b -= 1  # a saccade into a blink ends at the last valid sample
        if b - a < min_len:
            continue
        sacc.append((a, b + 1))
        end_prev = b
        # post-saccadic oscillation: within pso_window_s the speed is (again) above the
        # NH2010 offset threshold; it ends when the speed falls below it for good
        over = sp[b + 1 : b + 1 + pso_w][::-1] > pso_thr
        k = int(over.argmax()) if over.size else 0
        if over.size and over[k]:
            k = over.size - 1 - k  # last sample above
            tc = sp[b + 1 + k : b + 1 + k + pso_w] < pso_thr
            j = int(tc.argmax())
            if tc[j]:
                c = b + 1 + k + j
                if c - b >= min_pso and not (any_lost and not finite[b + 1 : c + 1].all()):
                    psos.append((b + 1, c + 1))
                    end_prev = c
    return sacc, psos


def _fill_short_gaps(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` with its False runs shorter than ``min_len`` between two True runs set True."""
    if min_len <= 1:
        return mask
    starts, stops = _runs(~mask)
    short = ((stops - starts) < min_len) & (starts > 0) & (stops < mask.size)
    out = mask.copy()
    for a, b in zip(starts[short].tolist(), stops[short].tolist(), strict=True):
        out[a:b] = True
    return out


def _drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` without its True runs shorter than ``min_len``."""
    if min_len <= 1:
        return mask
    starts, stops = _runs(mask)
    short = (stops - starts) < min_len
    out = mask.copy()
    for a, b in zip(starts[short].tolist(), stops[short].tolist(), strict=True):
        out[a:b] = False
    return out


def _run_bounds(inside: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each sample's index, and the first and one-past-last index of the run of ``inside``
    samples that holds it (0 and 0 for the samples outside)."""
    n = inside.size
    starts, stops = _runs(inside)
    lengths = stops - starts
    start = np.zeros(n, dtype=np.intp)
    stop = np.zeros(n, dtype=np.intp)
    start[inside] = np.repeat(starts, lengths)
    stop[inside] = np.repeat(stops, lengths)
    return np.arange(n), start, stop


def _clipped_windows(bounds, half: int) -> tuple[np.ndarray, np.ndarray]:
    """``[i - half, i + half]`` clipped to the run that holds ``i`` (``bounds`` from
    :func:`_run_bounds`): windows never reach across a saccade or a loss."""
    idx, start, stop = bounds
    return np.maximum(idx - half, start), np.minimum(idx + half + 1, stop)


def _running_sum(values: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` over the ``inside`` samples, with a leading 0 (the sum
    over ``[lo, hi)`` is ``s[hi] - s[lo]``)."""
    out = np.zeros(values.size + 1, dtype=values.dtype)
    np.cumsum(np.where(inside, values, 0.0), out=out[1:])
    return out


def _wandering(slow, inter, bounds, x, y, rate, window_s, threshold) -> np.ndarray:
    """The ``slow`` samples around which the gaze position's standard deviation (both axes,
    deg) over ``window_s`` — clipped to the ``inter`` run that holds the sample, and only
    where that still covers half the window — exceeds ``threshold``."""
    half = _odd_window(window_s, rate, 3) // 2
    _, start, stop = bounds
    at = np.flatnonzero(slow & (stop - start > half))  # (in an interval that can hold half a window)
    if at.size == 0:
        return at
    lo = np.maximum(at - half, start[at])
    hi = np.minimum(at + half + 1, stop[at])
    pos = (x - x[at[0]]) + 1j * (y - y[at[0]])  # near 0: the running sums keep their precision
    pos_sum, sq_sum = _running_sum(pos, inter), _running_sum(pos.real ** 2 + pos.imag ** 2, inter)
    count = hi - lo
    var = (sq_sum[hi] - sq_sum[lo]) / count - np.abs((pos_sum[hi] - pos_sum[lo]) / count) ** 2
    return at[(count > half) & (var > threshold * threshold)]


def _check(x, y, rate):
    check_scalar(rate, "rate", min_value=1e-9)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ParameterError(f"gaze x and y must be 1-D arrays of one length, got {x.shape} and {y.shape}")
    return x, y


def _velocity(x, y, rate, window_s, velocity):
    return velocity if velocity is not None else gaze_velocity(x, y, rate, window_s=window_s)


def ivt(x, y, rate: float, *, threshold: float = 30.0, window_s: float = 0.02, velocity=None) -> np.ndarray:
    """I-VT: a sample faster than ``threshold`` (deg/s) is saccade, else fixation; loss is
    blink. ``velocity``: :func:`gaze_velocity`'s output when the caller has it already."""
    x, y = _check(x, y, rate)
    _, _, speed = _velocity(x, y, rate, window_s, velocity)
    labels = np.where(speed > threshold, SACCADE, FIXATION).astype(np.int8)
    labels[~np.isfinite(speed)] = BLINK
    return labels


def idt(x, y, rate: float, *, dispersion: float = 1.0, min_duration_s: float = 0.1) -> np.ndarray:
    """I-DT: samples covered by a window of ``min_duration_s`` whose dispersion
    ``(max x - min x) + (max y - min y)`` is at most ``dispersion`` (deg) are fixation;
    the rest saccade; loss is blink."""
    x, y = _check(x, y, rate)
    n = x.size
    w = max(int(round(min_duration_s * rate)), 2)
    ok = np.isfinite(x) & np.isfinite(y)
    labels = np.full(n, SACCADE, dtype=np.int8)
    if n >= w:
        from numpy.lib.stride_tricks import sliding_window_view as windows

        xw, yw = windows(x, w), windows(y, w)  # window i covers samples [i, i + w)
        disp = (xw.max(axis=1) - xw.min(axis=1)) + (yw.max(axis=1) - yw.min(axis=1))  # NaN if any lost
        good = disp <= dispersion
        cs = np.concatenate([[0], np.cumsum(good)])
        j = np.arange(n)
        covered = cs[np.minimum(j + 1, good.size)] - cs[np.clip(j - w + 1, 0, good.size)] > 0
        labels[covered] = FIXATION
    labels[~ok] = BLINK
    return labels


def nh2010(x, y, rate: float, *, window_s: float = 0.02, initial_threshold: float = 100.0, peak_sd: float = 6.0,
           onset_sd: float = 3.0, min_saccade_s: float = 0.01, max_saccade_s: float = 0.15, pso_window_s: float = 0.04,
           min_pso_s: float = 0.002, threshold_floor: float = 0.0, robust: bool = False,
           velocity=None) -> np.ndarray:
    """Nyström & Holmqvist (2010): adaptive saccade thresholds, local-minimum onsets and
    offsets, post-saccadic oscillations within ``pso_window_s`` of an offset; all other
    valid samples fixation, loss blink. ``velocity``: as :func:`ivt`."""
    x, y = _check(x, y, rate)
    _, _, speed = _velocity(x, y, rate, window_s, velocity)
    labels = np.full(x.size, FIXATION, dtype=np.int8)
    _mark_saccades(labels, speed, rate, initial_threshold, peak_sd, onset_sd, min_saccade_s, max_saccade_s,
                   pso_window_s, min_pso_s, threshold_floor, robust)
    labels[~np.isfinite(speed)] = BLINK
    return labels


def _mark_saccades(labels, speed, rate, initial_threshold, peak_sd, onset_sd, min_saccade_s, max_saccade_s,
                   pso_window_s, min_pso_s, threshold_floor, robust, offset_factor=1.0, moving_peak=0.0):
    peak, onset, _, _ = adaptive_threshold(speed, initial=initial_threshold, peak_sd=peak_sd, onset_sd=onset_sd,
                                           floor=threshold_floor, robust=robust)
    if threshold_floor == "auto" and not moving_peak and peak < 40.0:
        moving_peak = 40.0  # a low floor: slow peaks count only on a still eye
    sacc, psos = _saccades(speed, rate, peak=peak, onset=onset, noise_window_s=0.04, min_duration_s=min_saccade_s,
                           max_duration_s=max_saccade_s, pso_window_s=pso_window_s, local_sd=onset_sd,
                           min_pso_s=min_pso_s, offset_factor=offset_factor, moving_peak=moving_peak)
    for a, b in sacc:
        labels[a:b] = SACCADE
    for a, b in psos:
        labels[a:b] = PSO
    return peak, onset


def _join_fragments(labels: np.ndarray, shortest: int) -> None:
    """An undefined run shorter than ``shortest`` samples (too short for a saccade: a velocity
    spike) between two runs of the same fixation or pursuit joins them, so one fixation is not
    split in two. In place."""
    starts, stops, codes = label_runs(labels)
    if len(codes) < 3:
        return
    mid = np.arange(1, len(codes) - 1)
    same = codes[mid - 1] == codes[mid + 1]
    join = ((codes[mid] == UNDEFINED) & (stops[mid] - starts[mid] < shortest) & same
            & np.isin(codes[mid - 1], (FIXATION, PURSUIT)))
    for i in mid[join].tolist():
        labels[starts[i]:stops[i]] = codes[i - 1]


#: How many standard deviations (per axis) of the window-averaged velocity that the tracker's noise
#: alone gives the pursuit thresholds stay above: its magnitude (Rayleigh) exceeds 4 of them in
#: 3e-4 of the samples of a still eye. Set beforehand, not tuned.
PURSUIT_NOISE_SD = 4.0


def tracker_noise(x: np.ndarray, y: np.ndarray, still: np.ndarray) -> float:
    """The tracker's position noise (deg, per axis, white) from the second differences of runs of
    three ``still`` samples (no saccade, PSO or loss): 1.4826 × their median absolute value / √6,
    both axes together. A steady drift or pursuit cancels in a second difference, so it does not
    count as noise. 0 with fewer than 20 such runs."""
    triple = np.flatnonzero(still[:-2] & still[1:-1] & still[2:])
    if triple.size < 20:
        return 0.0
    second = np.abs(np.concatenate([a[triple + 2] - 2.0 * a[triple + 1] + a[triple] for a in (x, y)]))
    half = second.size // 2
    return 1.4826 * float(np.partition(second, half)[half]) / math.sqrt(6.0)  # (the upper median)


def _coherent_noise(sigma: float, rate: float, window_s: float, counts: np.ndarray) -> np.ndarray:
    """Standard deviation (deg/s, per axis) of the velocity averaged over ``counts`` samples (a
    window clipped at a saccade holds fewer) that white position noise of ``sigma`` deg gives
    through :func:`gaze_velocity`'s filter."""
    k1 = savgol_kernel(_odd_window(window_s, rate, 3), 2, 1, rate)
    counts = np.maximum(np.asarray(counts, dtype=np.int64), 1)
    top = int(counts.max())
    # the filter averaged over c samples, conv(k1, ones(c) / c), is (K[j] - K[j - c]) / c with K the
    # cumulative sum of k1 (0 before it, its total after): every c at once
    cum = np.concatenate([np.zeros(top), np.cumsum(k1), np.full(top, k1.sum())])
    c = np.arange(1, top + 1)[:, None]
    j = np.arange(top, top + k1.size + top - 1)[None, :]
    table = np.concatenate([[0.0], np.sqrt((((cum[j] - cum[j - c]) / c) ** 2).sum(axis=1))])
    return sigma * table[counts]


def _pursuit_mask(inter, vx, vy, x, y, rate, pursuit_window_s, pursuit_threshold, pursuit_low, spread_window_s,
                  spread_threshold, spread_low, spread_min_s, min_fixation_s, min_pursuit_s,
                  noise: float = 0.0, window_s: float = 0.02, noise_sd: float = PURSUIT_NOISE_SD,
                  step_test: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The intersaccadic samples (``inter``) that are smooth pursuit, by :func:`adaptive`'s rules;
    ``noise``: the tracker's position noise (:func:`tracker_noise`), which the velocity thresholds
    stay ``noise_sd`` standard deviations above, and the spread above."""
    n = inter.size
    bounds = _run_bounds(inter)
    lo, hi = _clipped_windows(bounds, _odd_window(pursuit_window_s, rate, 3) // 2)
    velocity_sum = _running_sum(vx + 1j * vy, inter)  # velocity as x + iy: one sum for both axes
    coherent = np.abs(velocity_sum[hi] - velocity_sum[lo]) / np.maximum(hi - lo, 1)
    # a noisy tracker's averaged velocity and spread of a still eye reach the thresholds: they are
    # raised, at each sample all velocities by one factor (the hysteresis keeps its ratio), the
    # spread by the noise's
    raise_by = 1.0
    if noise_sd <= 0:
        noise = 0.0  # (the rule off)
    if noise > 0 and noise_sd * _coherent_noise(noise, rate, window_s, 1)[()] > pursuit_threshold:
        counts = np.where(inter, hi - lo, 1)  # (a quiet tracker's noise stays under the threshold even at one sample)
        raise_by = np.maximum(1.0, noise_sd * _coherent_noise(noise, rate, window_s, counts) / pursuit_threshold)
    pursuit_threshold, spread_low = pursuit_threshold * raise_by, spread_low * raise_by
    pursuit_low = None if pursuit_low is None else pursuit_low * raise_by
    if spread_threshold is not None:
        spread_threshold = math.sqrt(spread_threshold ** 2 + 2.0 * noise ** 2)  # (both axes' noise variance)
    # pursuit: stretches above the lower threshold that reach the upper one (hysteresis), and
    # where the gaze wanders widely, long stretches above spread_low
    strong = inter & (coherent > pursuit_threshold)
    cand = inter & (coherent > (pursuit_threshold if pursuit_low is None else np.minimum(pursuit_low, pursuit_threshold)))
    wide = None
    if spread_threshold is not None:
        wide = _wandering(inter & (coherent > spread_low), inter, bounds, x, y, rate, spread_window_s, spread_threshold)
        cand[wide] = True
    starts, stops = _runs(cand)
    pursuit = np.zeros(n, dtype=bool)
    if starts.size:
        keep = np.add.reduceat(strong, starts) > 0  # strong lies within cand's runs
        if wide is not None and wide.size:
            run = np.searchsorted(starts, wide, side="right") - 1
            keep[run[stops[run] - starts[run] >= spread_min_s * rate]] = True
        for i, j in zip(starts[keep].tolist(), stops[keep].tolist(), strict=True):
            pursuit[i:j] = True
    lf = max(int(round(min_fixation_s * rate)), 1)
    lp = max(int(round(min_pursuit_s * rate)), 1)
    pursuit = _drop_short_runs(_fill_short_gaps(pursuit, lf) & inter, lp)
    if not step_test:
        return pursuit, np.zeros(n, dtype=bool)
    return missed_saccades(pursuit, x, y, rate, pursuit_threshold, lp)


#: The models of a gaze run :func:`_explain_runs` chooses among, in its order.
_RUN_MODELS = ("still", "line", "step", "kinked")
_STILL, _STEP = _RUN_MODELS.index("still"), _RUN_MODELS.index("step")


def _bic(rss: np.ndarray, m: np.ndarray, parameters: int) -> np.ndarray:
    """The Bayesian information criterion of least-squares models of ``m`` observations."""
    return m * np.log(np.maximum(rss, 1e-300) / m) + parameters * np.log(m)


def _explain_runs(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of still, line, step or kinked line (:data:`_RUN_MODELS`) explains each run
    ``starts[i]:stops[i]`` of gaze (evenly spaced, finite, at least 8 samples) best, by the
    Bayesian information criterion, for all runs at once from sums over each run: ``(model
    index, the step's first sample after the change (counted in the run), the step's amplitude
    (deg))`` per run (the last two meaningful for a step)."""
    lengths = stops - starts
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    run = np.repeat(np.arange(starts.size), lengths)
    local = np.arange(run.size) - offsets[run]  # (each sample's place in its run)
    n = lengths.astype(np.float64)
    nr = n[run]
    centred = np.stack([x[starts[run] + local], y[starts[run] + local]])
    centred -= (np.add.reduceat(centred, offsets, axis=1) / n)[:, run]
    tc = local - 0.5 * (nr - 1)
    tt = n * (n * n - 1) / 12.0  # (each run's tc @ tc)
    still = np.add.reduceat((centred * centred).sum(axis=0), offsets)
    slopes = np.add.reduceat(centred * tc, offsets, axis=1) / tt
    line = still - tt * (slopes * slopes).sum(axis=0)
    # one step after k samples: with S_k the sum of the centred values before it, RSS = still - n S_k² / (k (n - k));
    # a run's centred values sum to 0, so one running sum over all runs serves each
    before = np.cumsum(centred, axis=1)
    k = local + 1.0
    inside = (k >= 2) & (k <= nr - 2)
    weight = np.where(inside, nr / np.maximum(k * (nr - k), 1.0), 0.0)
    step = np.where(inside, still[run] - weight * (before * before).sum(axis=0), np.inf)
    lowest = np.minimum.reduceat(step, offsets)
    first = np.flatnonzero(step == lowest[run])
    best = first[np.concatenate([[True], run[first][1:] != run[first][:-1]])]  # (each run's first lowest)
    m = 2.0 * n  # (observations: both axes)
    scores = np.stack([_bic(still, m, 2), _bic(line, m, 4), _bic(lowest, m, 5), np.full(n.size, np.inf)])
    amplitude = weight[best] * np.hypot(*before[:, best])
    if (np.argmin(scores, axis=0) == _RUN_MODELS.index("line")).all():  # (a kink only turns a step or a still
        return np.argmin(scores, axis=0), k[best].astype(np.int64), amplitude  # run into a pursuit)
    # a continuous two-piece line (one kink for both axes, after sample j) adds a hinge max(t - t_j, 0) to the
    # line; what the hinge, less its own line, explains of the line's residuals r follows from sums over the
    # samples after j (a run's total less the running sum up to j), for every j of every run at once
    t = tc / nr  # (scaled: the sums stay well conditioned)
    r = centred - slopes[:, run] * tc
    last = (offsets + lengths - 1)[run]

    def after(v: np.ndarray) -> np.ndarray:
        c = np.cumsum(v, axis=-1)
        return c[..., last] - c

    count, s1, s2 = nr - 1 - local, after(t), after(t * t)
    h1, ht = s1 - t * count, s2 - t * s1  # the hinge's sum and its product with t
    hh = s2 - 2.0 * t * s1 + t * t * count - h1 * h1 / nr - ht * ht / (tt / (n * n))[run]
    hinge_r = after(t * r) - t * after(r)
    kinks = (local >= 2) & (local <= nr - 5)
    gain = np.where(kinks, (hinge_r * hinge_r).sum(axis=0) / np.maximum(hh, 1e-300), -np.inf)
    scores[3] = _bic(line - np.maximum(np.maximum.reduceat(gain, offsets), 0.0), m, 7)
    return np.argmin(scores, axis=0), k[best].astype(np.int64), amplitude


def _slope_speed(x: np.ndarray, y: np.ndarray, rate: float) -> float:
    """The speed (deg/s) of the least-squares line through evenly spaced gaze samples."""
    tc = np.arange(x.size) - 0.5 * (x.size - 1)
    return rate * math.hypot(float(tc @ x), float(tc @ y)) / float(tc @ tc)


def missed_saccades(pursuit: np.ndarray, x: np.ndarray, y: np.ndarray, rate: float, threshold,
                    shortest: int) -> tuple[np.ndarray, np.ndarray]:
    """Pursuit runs that are fixations around a saccade the velocity missed.

    A noisy tracker's saccade threshold is high, so it misses small saccades, and a missed
    saccade's step, averaged over the pursuit window, moves as fast as a slow pursuit. Each run
    of ``pursuit`` is explained by four models of the gaze position, chosen by the Bayesian
    information criterion (no tuned number): a level per axis (still: a fixation), a line per
    axis (a pursuit), a continuous two-piece line (a pursuit that turns or changes speed), or
    one step (two levels per axis: a saccade between two fixations). A step becomes a saccade
    of its amplitude's main-sequence duration (21 + 2.2 ms per degree, Carpenter 1988) centred
    where the levels change, and each side stays pursuit only where it lasts ``shortest``
    samples and its own line is faster than ``threshold`` (deg/s, a number or one per sample),
    tested again. Runs with lost samples or of fewer than 8 are left as they are.

    Returns
    -------
    pursuit, saccades : ndarray of bool
        The pursuit left, and the saccades found.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[np.zeros(60), np.ones(60)] + rng.normal(0, 0.2, 120)  # a 1 deg step in 0.2 deg noise
    >>> left, found = missed_saccades(np.ones(120, bool), x, np.zeros(120), 300.0, 4.0, 18)
    >>> bool(left.any()), np.flatnonzero(found)[[0, -1]].tolist()
    (False, [57, 63])
    """
    pursuit = pursuit.copy()
    saccades = np.zeros_like(pursuit)
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), pursuit.shape)
    lost = np.concatenate([[0], np.cumsum(~(np.isfinite(x) & np.isfinite(y)))])
    todo = _runs(pursuit)
    while todo[0].size:
        starts, stops = todo
        keep = (stops - starts >= 8) & (lost[stops] == lost[starts])
        starts, stops = starts[keep], stops[keep]
        sides = []
        if starts.size:
            models, at, amplitude = _explain_runs(x, y, starts, stops)
            for i in np.flatnonzero((models == _STILL) | (models == _STEP)).tolist():
                a, b = int(starts[i]), int(stops[i])
                pursuit[a:b] = False  # (still: a fixation)
                if models[i] != _STEP:
                    continue
                half = int(round((0.021 + 0.0022 * amplitude[i]) * rate)) // 2
                s0, s1 = max(a + int(at[i]) - half, a), min(a + int(at[i]) + half + 1, b)
                saccades[s0:s1] = True
                for lo, hi in ((a, s0), (s1, b)):
                    if hi - lo >= max(shortest, 8) and \
                            _slope_speed(x[lo:hi], y[lo:hi], rate) > float(np.mean(threshold[lo:hi])):
                        pursuit[lo:hi] = True
                        sides.append((lo, hi))
        todo = (np.array([s for s, _ in sides], dtype=np.int64), np.array([e for _, e in sides], dtype=np.int64))
    return pursuit, saccades


def adaptive(x, y, rate: float, *, window_s: float = 0.02, initial_threshold: float = 100.0, peak_sd: float = 6.0,
             onset_sd: float = 3.0, min_saccade_s: float = 0.01, max_saccade_s: float = 0.15,
             pso_window_s: float = 0.04, min_pso_s: float = 0.002, threshold_floor: float | str = "auto",
             moving_peak: float = 0.0, offset_factor: float = 2.0, pursuit_window_s: float = 0.2, pursuit_threshold: float = 4.0,
             pursuit_low: float | None = 2.0, min_pursuit_s: float = 0.06, min_fixation_s: float = 0.06,
             spread_window_s: float = 1.0, spread_threshold: float | None = 0.25, spread_low: float = 1.0,
             spread_min_s: float = 0.4, loss_margin_s: float = 0.01, max_gap_s: float = 0.075,
             robust: bool = True, join_fragments: bool = True, pursuit: bool = True,
             pursuit_noise_sd: float = PURSUIT_NOISE_SD, step_test: bool = True, velocity=None) -> np.ndarray:
    """sensekit's detector: :func:`nh2010` saccades and PSOs, then fixation vs smooth
    pursuit.

    The intersaccadic velocity vectors are averaged over ``pursuit_window_s`` (saccade,
    PSO and lost samples excluded): noise and tremor cancel, a pursuit's coherent
    drift does not. A stretch whose mean velocity stays above ``pursuit_low`` (deg/s) is
    pursuit when it reaches ``pursuit_threshold`` (hysteresis; ``pursuit_low=None``: no
    hysteresis). A slow pursuit (1–3 deg/s, as of a slowly moving object in a video) does
    not reach it, but it takes the gaze away from where it was, whereas a fixation's drift
    and noise stay put: where the standard deviation of the gaze position (both axes) over
    ``spread_window_s`` — clipped to the intersaccadic interval, and only where that
    still covers half the window — exceeds ``spread_threshold`` (deg; ``None``: off), a
    stretch above ``spread_low`` (deg/s) that lasts ``spread_min_s`` is pursuit too.
    Pursuit and fixation runs shorter than their minimum durations are absorbed by their
    neighbours, and with ``join_fragments`` an undefined run shorter than ``min_saccade_s`` (a
    velocity spike that made no saccade) between two runs of the same class joins them: a
    fixation is not split into two events. Data lost for at most ``max_gap_s`` (a tracker's
    dropout; Tobii's I-VT default, not tuned here) is interpolated first and labelled with its
    neighbours, except that a saccade or PSO through filled samples becomes undefined (its onset
    or offset is not seen); longer losses and ``loss_margin_s`` around them are blink.
    ``pursuit=False`` (a static stimulus: nothing to follow) labels no pursuit: the
    intersaccadic samples are fixation.

    On a noisy tracker a still eye's averaged velocity and spread reach those thresholds: with
    the tracker's position noise measured on the intersaccadic samples (:func:`tracker_noise`),
    every velocity threshold is raised, at each sample, to ``pursuit_noise_sd`` standard
    deviations of what that noise alone gives through the velocity filter and the window
    (clipped at a saccade, a window averages fewer samples and is noisier), the hysteresis
    keeping its ratio, and the spread threshold to the spread beyond the noise's own
    (``sqrt(threshold² + 2 noise²)``). ``pursuit_noise_sd=0`` turns this off. A quiet tracker's
    velocity thresholds are unchanged (on Lund and IRF 41 of 590,000 labels move, by the spread's
    noise term). A noisy tracker also misses small saccades, whose step, averaged over the
    pursuit window, moves like a slow pursuit: with ``step_test`` each pursuit run is explained
    by the model of the gaze position that fits it best (:func:`missed_saccades`: still, a line,
    a turning line or a step), a step becoming a saccade between fixations, a still run a
    fixation; on a static stimulus too (the runs that would have been pursuit).

    ``threshold_floor`` (deg/s) keeps the adaptive peak threshold above the noise of very
    clean data — ``"auto"``: 8 × the median speed within 20–40 deg/s, so quiet 1000 Hz
    trackers keep their small saccades — and a peak below ``moving_peak`` (deg/s; 40 when
    the auto floor is lower) is a saccade only when the eye was still just before it (on
    a moving eye it is a pursuit's unevenness); ``robust`` estimates the noise by median
    and MAD. A saccade ends where the speed falls below ``offset_factor`` × NH2010's
    offset threshold; the PSO then lasts while the speed stays above (or returns, within
    ``pso_window_s``, above) NH2010's offset threshold itself. ``velocity``: as
    :func:`ivt`.

    Defaults were chosen on Lund 2013 (coder RA): ``offset_factor`` 2, a 0.2 s pursuit
    window, 4 and 2 deg/s; a spread of 0.25 deg over 1 s with 1 deg/s for 0.4 s — any of
    0.8–1.2 s, 0.2–0.3 deg, 0.3–0.5 s and 0.75–1 deg/s keeps every class and stimulus type
    above REMoDNaV against both coders RA and MN (above 1.25 deg/s video pursuit falls
    below). The auto floor was checked on IRF lookAtPoint (EyeLink 1000 Hz), where the
    spread rule labels some of a drifting subject's (S5) fixations pursuit.
    """
    x, y = _check(x, y, rate)
    n = x.size
    x, y, filled = fill_short_gaps(x, y, rate, max_gap_s)
    vx, vy, speed = _velocity(x, y, rate, window_s, None if filled.any() else velocity)
    labels = np.full(n, FIXATION, dtype=np.int8)
    peak, _ = _mark_saccades(labels, speed, rate, initial_threshold, peak_sd, onset_sd, min_saccade_s,
                             max_saccade_s, pso_window_s, min_pso_s, threshold_floor, robust, offset_factor,
                             moving_peak)
    fix = labels == FIXATION
    fast = fix & (speed > peak)  # a peak that made no saccade: an artefact
    inter = fix & (speed <= peak)  # (lost samples are neither: NaN compares False)
    if pursuit or step_test:  # (on a static stimulus, what looks like pursuit may still hide a saccade)
        slow, missed = _pursuit_mask(inter, vx, vy, x, y, rate, pursuit_window_s, pursuit_threshold, pursuit_low,
                                     spread_window_s, spread_threshold, spread_low, spread_min_s, min_fixation_s,
                                     min_pursuit_s, tracker_noise(x, y, inter & ~filled), window_s,
                                     pursuit_noise_sd, step_test)
        if pursuit:
            labels[slow] = PURSUIT
        labels[missed] = SACCADE
    labels[fast] = UNDEFINED
    if join_fragments:
        _join_fragments(labels, max(int(round(min_saccade_s * rate)), 1))
    lost = np.isnan(speed)
    if lost.any():
        # saccade-like runs that touch lost data are the eyelid's movement: blink
        starts, stops, codes = label_runs(labels)
        edge = np.zeros(n + 2, dtype=bool)
        edge[1:-1] = lost
        touch = (codes != FIXATION) & (codes != PURSUIT) & (edge[starts] | edge[stops + 1])
        for a, b in zip(starts[touch].tolist(), stops[touch].tolist(), strict=True):
            labels[a:b] = BLINK
        m = int(round(loss_margin_s * rate))
        if m > 0:
            lost = _dilate(lost, m)
        labels[lost] = BLINK
    if filled.any():  # a saccade through a dropout: its onset or offset was not seen
        starts, stops, codes = label_runs(labels)
        through = np.add.reduceat(filled, starts) > 0
        for a, b in zip(starts[through & ((codes == SACCADE) | (codes == PSO))].tolist(),
                        stops[through & ((codes == SACCADE) | (codes == PSO))].tolist(), strict=True):
            labels[a:b] = UNDEFINED
    return labels


def adaptive_hr(x, y, rate: float, **params) -> np.ndarray:
    """:func:`adaptive` for low-noise, high-rate trackers (EyeLink 1000 class): a peak
    threshold floor of 20 deg/s finds saccades of a fraction of a degree, and peaks below
    40 deg/s count only on a still eye (so that pursuits do not break into saccades)."""
    return adaptive(x, y, rate, **{"threshold_floor": 20.0, "moving_peak": 40.0, **params})


adaptive_hr.__wrapped__ = adaptive  # its parameters are adaptive's (inspect.signature follows this)


#: Detector name → function.
DETECTORS = {"ivt": ivt, "idt": idt, "nh2010": nh2010, "adaptive": adaptive, "adaptive-hr": adaptive_hr}


def detect(x, y, rate: float, detector: str = "adaptive", **params) -> np.ndarray:
    """Run the named detector (see :data:`DETECTORS`)."""
    try:
        fn = DETECTORS[detector]
    except KeyError:
        raise ParameterError(f"unknown event detector {detector!r}", f"use one of {', '.join(DETECTORS)}") from None
    return fn(x, y, rate, **params)
