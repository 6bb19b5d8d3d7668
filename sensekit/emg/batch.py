"""Batch feature extraction over a continuous recording with running sums.

For features that are sums over the window (MAV, RMS, WL, ZC, SSC, WAMP, VAR, LOGVAR, IAV,
DASDV, MFL, MSR, ACT, MOB, LD) each window's value comes from differences of cumulative
sums, so the cost is O(samples x channels) however much the windows overlap; the others
fall back to :func:`~sensekit.emg.features.compute_features` on window views. The values
equal the window-by-window definitions to about 1e-12 (cumulative sums are kept short by
working in chunks).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..errors import ParameterError
from .features import compute_features, resolve_features

__all__ = ["extract_continuous", "window_starts"]

_CHUNK_WINDOWS = 4096


def window_starts(n_samples: int, length: int, hop: int) -> np.ndarray:
    """First sample of every full window."""
    if n_samples < length:
        return np.empty(0, dtype=np.int64)
    return np.arange(0, n_samples - length + 1, hop, dtype=np.int64)


def _csum(a: np.ndarray) -> np.ndarray:
    out = np.empty((a.shape[0] + 1, a.shape[1]))
    out[0] = 0.0
    np.cumsum(a, axis=0, out=out[1:])
    return out


def _window_sums(a: np.ndarray, starts: np.ndarray, span: int) -> np.ndarray:
    cs = _csum(a)
    return cs[starts + span] - cs[starts]


def _window_counts(hit: np.ndarray, starts: np.ndarray, span: int) -> np.ndarray:
    """Counts of true values per window (exact integer running sums)."""
    cs = np.zeros((hit.shape[0] + 1, hit.shape[1]), dtype=np.int32)
    np.cumsum(hit, axis=0, dtype=np.int32, out=cs[1:])
    return (cs[starts + span] - cs[starts]).astype(np.float64)


def _sum_features(x: np.ndarray, starts: np.ndarray, L: int, names, params) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    need = set(names)
    d = np.diff(x, axis=0) if need & {"WL", "WAMP", "DASDV", "MFL", "MOB", "SSC"} else None
    if need & {"MAV", "IAV"}:
        s = _window_sums(np.abs(x), starts, L)
        out["MAV"], out["IAV"] = s / L, s
    if need & {"RMS", "ACT", "VAR", "LOGVAR", "MOB"}:
        sq = _window_sums(x * x, starts, L)
        out["RMS"], out["ACT"] = np.sqrt(sq / L), sq / L
        if need & {"VAR", "LOGVAR"}:
            m = _window_sums(x, starts, L) / L
            v = np.maximum(sq / L - m * m, 0.0)
            out["VAR"], out["LOGVAR"] = v, np.log(v + np.spacing(1))
        if "MOB" in need:
            out["MOB"] = np.sqrt((_window_sums(d * d, starts, L - 1) / L) / (sq / L))
    if need & {"WL", "MFL"}:
        s = _window_sums(np.abs(d), starts, L - 1)
        out["WL"], out["MFL"] = s, np.log10(s)
    if "DASDV" in need:
        out["DASDV"] = np.sqrt(_window_sums(d * d, starts, L - 1) / (L - 1))
    if "ZC" in need:
        z = (x[:-1] * x[1:]) < 0
        thr = params.get("zc_threshold", 0.0)
        if thr > 0:
            z &= np.abs(x[:-1] - x[1:]) >= thr
        out["ZC"] = _window_counts(z, starts, L - 1)
    if "SSC" in need:
        prod = d[:-1] * -d[1:]
        thr = params.get("ssc_threshold", 0.0)
        hit = prod >= thr if params.get("libemg_ssc", False) else prod > thr
        out["SSC"] = _window_counts(hit, starts, L - 2)
    if "WAMP" in need:
        out["WAMP"] = _window_counts(np.abs(d) > params.get("wamp_threshold", 2e-3), starts, L - 1)
    if "MSR" in need:
        root = np.sqrt(np.abs(x))
        re = _window_sums(np.where(x >= 0, root, 0.0), starts, L) / L
        im = _window_sums(np.where(x < 0, root, 0.0), starts, L) / L
        out["MSR"] = np.sqrt(re * re + im * im)
    if "LD" in need:
        out["LD"] = np.exp(_window_sums(np.log(np.abs(x) + 1), starts, L) / L)
    return out


_SUMMABLE = {"MAV", "IAV", "RMS", "ACT", "VAR", "LOGVAR", "MOB", "WL", "MFL", "DASDV", "ZC", "SSC", "WAMP", "MSR", "LD"}


def extract_continuous(x: np.ndarray, features, *, length: int, hop: int, rate: float, **params) -> np.ndarray:
    """Features of every window of a continuous recording, as :func:`compute_features` would
    give on the windows ``x[s:s + length]`` for ``s = 0, hop, 2 hop, ...``.

    Parameters
    ----------
    x : ndarray, shape (n_samples, channels)
        The recording.
    features : str or sequence of str
        Feature group, ``+``-joined mix, or names.
    length, hop : int
        Window length and hop in samples.
    rate : float
        Sampling rate in Hz.
    **params
        Feature parameters (thresholds, ``libemg_ssc``, ``ar_order``).

    Returns
    -------
    ndarray, shape (n_windows, n_columns)
        Feature-major columns, as :func:`~sensekit.emg.features.feature_names`.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ParameterError(f"x must have shape (n_samples, channels), got {x.shape}")
    if length < 3 or hop < 1:
        raise ParameterError(f"length must be >= 3 and hop >= 1 samples, got {length} and {hop}")
    names = resolve_features(features)
    starts = window_starts(len(x), length, hop)
    blocks = []
    for c0 in range(0, len(starts), _CHUNK_WINDOWS):
        st = starts[c0 : c0 + _CHUNK_WINDOWS]
        a, b = int(st[0]), int(st[-1]) + length
        seg = x[a:b]
        local = st - a
        sums = _sum_features(seg, local, length, [n for n in names if n in _SUMMABLE], params)
        other = [n for n in names if n not in _SUMMABLE]
        rest = {}
        if other:
            views = sliding_window_view(seg, length, axis=0)[local].transpose(0, 2, 1)
            for n in other:
                rest[n] = compute_features(views, [n], rate=rate, **params)
        blocks.append(np.concatenate([sums[n] if n in sums else rest[n] for n in names], axis=1))
    if not blocks:
        from .features import feature_names

        return np.empty((0, len(feature_names(names, range(x.shape[1]), ar_order=params.get("ar_order", 4)))))
    return np.concatenate(blocks, axis=0)
