"""EMG features, vectorised over windows and channels.

Every feature function takes windows of shape ``(n_windows, length, channels)`` and
returns ``(n_windows, channels)`` (AR returns ``(n_windows, channels * order)``).
Thresholds are in the signal's unit. Definitions follow LibEMG 2.0 where they agree, so
that values equal LibEMG's to 1e-9; where they differ it is said in the docstring:

- ``ZC`` counts strict sign changes whose step is at least ``zc_threshold``; LibEMG's has no
  threshold (equal with threshold 0).
- ``SSC`` counts slope sign changes ``(x1 - x0) (x1 - x2) > ssc_threshold``; LibEMG's uses
  ``>=``, so with threshold 0 it also counts every flat stretch (``libemg_ssc=True`` gives
  LibEMG's definition).
- ``LD`` is ``exp(mean(log(|x| + 1)))`` as in LibEMG (the +1 keeps zero samples finite).
- ``MNF``/``MDF`` use the stream's rate (LibEMG defaults to 1000 Hz unless told).
- ``AR`` coefficients come from Burg's method, as librosa's ``lpc`` that LibEMG calls.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import ParameterError

__all__ = ["FEATURES", "FEATURE_GROUPS", "compute_features", "feature_names", "resolve_features"]

_EPS = np.spacing(1)


_sum = np.add.reduce  # np.sum without its Python-level overhead (same arithmetic)


def _d1(w):
    return w[:, 1:] - w[:, :-1]


def mav(w, **_):
    """Mean absolute value."""
    return _sum(np.abs(w), axis=1) / w.shape[1]


def rms(w, **_):
    """Root mean square."""
    return np.sqrt(_sum(w * w, axis=1) / w.shape[1])


def wl(w, **_):
    """Waveform length: sum of absolute first differences."""
    return _sum(np.abs(_d1(w)), axis=1)


def zc(w, *, zc_threshold=0.0, **_):
    """Zero crossings: strict sign changes whose step is >= ``zc_threshold``."""
    a, b = w[:, :-1], w[:, 1:]
    crossing = (a * b) < 0
    if zc_threshold > 0:
        crossing &= np.abs(a - b) >= zc_threshold
    return np.count_nonzero(crossing, axis=1).astype(np.float64)


def ssc(w, *, ssc_threshold=0.0, libemg_ssc=False, **_):
    """Slope sign changes: ``(x1 - x0)(x1 - x2) > ssc_threshold`` (``>=`` with ``libemg_ssc``)."""
    d = _d1(w)
    prod = d[:, :-1] * -d[:, 1:]
    hit = prod >= ssc_threshold if libemg_ssc else prod > ssc_threshold
    return np.count_nonzero(hit, axis=1).astype(np.float64)


def wamp(w, *, wamp_threshold=2e-3, **_):
    """Willison amplitude: steps larger than ``wamp_threshold``."""
    return np.sum(np.abs(np.diff(w, axis=1)) > wamp_threshold, axis=1).astype(np.float64)


def var(w, **_):
    """Variance (population, mean removed)."""
    return np.var(w, axis=1)


def logvar(w, **_):
    """Natural log of the variance."""
    return np.log(np.var(w, axis=1) + _EPS)


def ld(w, **_):
    """Log detector: ``exp(mean(log(|x| + 1)))``."""
    return np.exp(np.mean(np.log(np.abs(w) + 1), axis=1))


def iav(w, **_):
    """Integrated absolute value."""
    return _sum(np.abs(w), axis=1)


def dasdv(w, **_):
    """Difference absolute standard deviation value."""
    return np.sqrt(np.mean(np.diff(w, axis=1) ** 2, axis=1))


def mfl(w, **_):
    """Maximum fractal length: ``log10`` of the waveform length."""
    return np.log10(np.sum(np.abs(np.diff(w, axis=1)), axis=1))


def msr(w, **_):
    """Mean square root: ``|mean(sqrt(x))|`` with complex roots of negative samples."""
    a = np.abs(w)
    root = np.sqrt(a)
    re = np.mean(np.where(w >= 0, root, 0.0), axis=1)
    im = np.mean(np.where(w < 0, root, 0.0), axis=1)
    return np.sqrt(re * re + im * im)


def ls(w, **_):
    """L-scale: the second sample L-moment ``2 b1 - b0`` of the sorted window."""
    n = w.shape[1]
    s = np.sort(w, axis=1)
    weights = (np.arange(n) / (n - 1))[None, :, None]
    b0 = np.mean(w, axis=1)
    b1 = np.sum(weights * s, axis=1) / n
    return 2 * b1 - b0


def act(w, **_):
    """Hjorth activity: mean power."""
    return np.mean(w * w, axis=1)


def mob(w, **_):
    """Hjorth mobility: ``sqrt(m2 / m0)``."""
    m0 = np.mean(w * w, axis=1)
    m2 = np.sum(np.diff(w, axis=1) ** 2, axis=1) / w.shape[1]
    return np.sqrt(m2 / m0)


def comp(w, **_):
    """Hjorth complexity: ``sqrt(m4 / m2)`` (per window and channel; LibEMG sums m4 over
    the whole array, a bug, so its values differ)."""
    d1 = np.diff(w, axis=1)
    m2 = np.sum(d1**2, axis=1) / w.shape[1]
    m4 = np.sum(np.diff(d1, axis=1) ** 2, axis=1) / w.shape[1]
    return np.sqrt(m4 / m2)


def _spectrum(w, rate):
    n = w.shape[1]
    nfft = 1 if n == 0 else 2 ** int(np.ceil(np.log2(n)))
    spec = np.fft.rfft(w, n=nfft, axis=1)[:, : nfft // 2] / n
    power = (spec * np.conj(spec)).real
    freqs = np.arange(nfft // 2) * rate / nfft
    return power, freqs, nfft


def mnf(w, *, rate=1000.0, **_):
    """Mean frequency (Hz) of the power spectrum (zero-padded to a power of two)."""
    power, freqs, _ = _spectrum(w, rate)
    return np.sum(power * freqs[None, :, None], axis=1) / np.sum(power, axis=1)


def mdf(w, *, rate=1000.0, **_):
    """Median frequency (Hz): first bin where the cumulative power exceeds half the total."""
    power, _, nfft = _spectrum(w, rate)
    cum = np.cumsum(power, axis=1)
    k = np.argmax(cum > cum[:, -1:] / 2, axis=1)
    return (rate / 2) * k / (nfft / 2)


def _tdpsd_moments(w):
    n = w.shape[1]
    m0 = np.sqrt(np.sum(w**2, axis=1)) / (n - 1)
    m0 = m0**0.1 / 0.1
    d1 = np.diff(w, axis=1)
    d2 = np.diff(d1, axis=1)
    m2 = (np.sqrt(np.sum(d1**2, axis=1) / (n - 1))) ** 0.1 / 0.1
    m4 = (np.sqrt(np.sum(d2**2, axis=1) / (n - 1))) ** 0.1 / 0.1
    return m0, m2, m4, d1, d2


def _tdpsd(closure):
    def feature(w, **_):
        ebp = closure(w)
        efp = closure(np.log(w**2 + _EPS))
        return -2 * efp * ebp / (efp * efp + ebp * ebp)

    return feature


def _m0(w):
    m0, *_ = _tdpsd_moments(w)
    return np.log(np.abs(m0))


def _m2(w):
    m0, m2, *_ = _tdpsd_moments(w)
    return np.log(np.abs(m0 - m2))


def _m4(w):
    m0, _, m4, *_ = _tdpsd_moments(w)
    return np.log(np.abs(m0 - m4))


def _sparsi(w):
    m0, m2, m4, *_ = _tdpsd_moments(w)
    return np.log(np.abs(np.sqrt(np.abs((m0 - m2) * (m0 - m4))) / m0))


def _irf(w):
    m0, m2, m4, *_ = _tdpsd_moments(w)
    return np.log(np.abs(m2 / np.sqrt(m0 * m4)))


def _wlf(w):
    d1 = np.diff(w, axis=1)
    d2 = np.diff(d1, axis=1)
    return np.log(np.abs(np.sqrt(np.sum(np.abs(d1), axis=1) / np.sum(np.abs(d2), axis=1))))


def ar(w, *, ar_order=4, **_):
    """Autoregressive coefficients ``a_1..a_order`` by Burg's method, per channel
    (output columns: channel-major, ``[c0a1, c0a2, ..., c1a1, ...]`` as LibEMG)."""
    n_w, _, n_c = w.shape
    y = np.moveaxis(w, 1, 0)  # (L, n_w, n_c)
    a = np.zeros((ar_order + 1, n_w, n_c))
    a[0] = 1.0
    a_prev = a.copy()
    fwd, bwd = y[1:], y[:-1]
    den = np.sum(fwd**2 + bwd**2, axis=0)
    tiny = np.finfo(np.float64).tiny
    for i in range(ar_order):
        k = -2 * np.sum(bwd * fwd, axis=0) / (den + tiny)
        a_prev, a = a, a_prev
        for j in range(1, i + 2):
            a[j] = a_prev[j] + k * a_prev[i - j + 1]
        fwd_tmp = fwd
        fwd = fwd + k * bwd
        bwd = bwd + k * fwd_tmp
        den = (1.0 - k**2) * den - bwd[-1] ** 2 - fwd[0] ** 2
        fwd, bwd = fwd[1:], bwd[:-1]
    return np.moveaxis(a[1:], 0, -1).reshape(n_w, n_c * ar_order)


#: name -> (function, columns per channel)
FEATURES: dict[str, tuple[Callable, int]] = {
    "MAV": (mav, 1), "RMS": (rms, 1), "WL": (wl, 1), "ZC": (zc, 1), "SSC": (ssc, 1), "WAMP": (wamp, 1),
    "VAR": (var, 1), "LOGVAR": (logvar, 1), "LD": (ld, 1), "IAV": (iav, 1), "DASDV": (dasdv, 1), "MFL": (mfl, 1),
    "MSR": (msr, 1), "LS": (ls, 1), "ACT": (act, 1), "MOB": (mob, 1), "COMP": (comp, 1), "MNF": (mnf, 1),
    "MDF": (mdf, 1), "M0": (_tdpsd(_m0), 1), "M2": (_tdpsd(_m2), 1), "M4": (_tdpsd(_m4), 1),
    "SPARSI": (_tdpsd(_sparsi), 1), "IRF": (_tdpsd(_irf), 1), "WLF": (_tdpsd(_wlf), 1), "AR": (ar, 4),
}

#: Named feature sets.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "HTD": ("MAV", "ZC", "SSC", "WL"),  # Hudgins' time domain
    "TD4": ("LS", "MFL", "MSR", "WAMP"),  # Phinyomark's TD4 (LibEMG "LS4")
    "TD9": ("LS", "MFL", "MSR", "WAMP", "ZC", "RMS", "IAV", "DASDV", "VAR"),
    "TDPSD": ("M0", "M2", "M4", "SPARSI", "IRF", "WLF"),  # Khushaba's time-domain power spectral descriptors
    "TDAR": ("MAV", "ZC", "SSC", "WL", "AR"),
    "HJORTH": ("ACT", "MOB", "COMP"),
    "SPECTRAL": ("MNF", "MDF"),
}


def resolve_features(features: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Feature names from a group name, a ``+``-joined mix (``"HTD+LOGVAR"``) or a list."""
    parts = features.split("+") if isinstance(features, str) else list(features)
    names: list[str] = []
    for p in parts:
        p = p.strip().upper()
        if p in FEATURE_GROUPS:
            names += [f for f in FEATURE_GROUPS[p] if f not in names]
        elif p in FEATURES:
            if p not in names:
                names.append(p)
        else:
            raise ParameterError(f"unknown EMG feature or group {p!r}",
                                 f"groups: {', '.join(FEATURE_GROUPS)}; features: {', '.join(FEATURES)}")
    return tuple(names)


def feature_names(features, channels, *, ar_order: int = 4) -> tuple[str, ...]:
    """Output column names: ``"<FEATURE>_<channel>"`` (AR: ``"AR<k>_<channel>"``), feature-major."""
    out = []
    for f in resolve_features(features):
        if f == "AR":
            out += [f"AR{k}_{c}" for c in channels for k in range(1, ar_order + 1)]
        else:
            out += [f"{f}_{c}" for c in channels]
    return tuple(out)


def compute_features(windows: np.ndarray, features, *, rate: float, **params) -> np.ndarray:
    """Features of every window, feature-major: ``(n_windows, sum of columns)``.

    Parameters
    ----------
    windows : ndarray, shape (n_windows, length, channels)
        The windows, in the signal's unit.
    features : str or sequence of str
        Group name, ``+``-joined mix, or list of feature names.
    rate : float
        Sampling rate in Hz (spectral features).
    **params
        ``zc_threshold``, ``ssc_threshold``, ``wamp_threshold`` (signal units),
        ``libemg_ssc``, ``ar_order``.
    """
    w = np.asarray(windows, dtype=np.float64)
    if w.ndim != 3:
        raise ParameterError(f"windows must have shape (n_windows, length, channels), got {w.shape}")
    cols = []
    for f in resolve_features(features):
        fn, _ = FEATURES[f]
        cols.append(fn(w, rate=rate, **params).reshape(len(w), -1))
    return np.concatenate(cols, axis=1) if cols else np.empty((len(w), 0))
