"""Direction-of-arrival estimation on STFT frames of a microphone array.

Estimators take the spatial covariance of a few frames, ``R`` (F, M, M), and return a
spatial spectrum over a :class:`DirectionGrid`:

- :func:`srp_phat` — steered response power with phase transform (whitened
  cross-spectra), the robust default;
- :func:`gcc_phat_spectrum` — the same from pairwise GCC-PHAT correlations looked up at
  each direction's lags (the fast path), and :func:`tdoa_gcc_phat` for two microphones;
- :func:`music` and normalised MUSIC (:func:`music` with ``normalise=True``, each
  frequency's pseudo-spectrum scaled to a maximum of 1 before summing) for several
  sources.

:func:`find_peaks` picks up to K directions with a confidence each.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ParameterError
from .arrays import SPEED_OF_SOUND, ArrayGeometry

__all__ = ["DirectionGrid", "covariance", "srp_phat", "gcc_phat_spectrum", "music", "find_peaks", "in_azimuth_range",
           "tdoa_gcc_phat", "ESTIMATORS", "spatial_spectrum"]


@dataclasses.dataclass(frozen=True)
class DirectionGrid:
    """Candidate directions: azimuths (deg) × elevations (deg).

    Parameters
    ----------
    azimuth_step : float
        Azimuth resolution (deg); the grid covers 0 ≤ az < 360.
    elevations : tuple of float
        Elevations (deg); ``(0,)`` for a planar array.
    """

    azimuth_step: float = 1.0
    elevations: tuple = (0.0,)

    @property
    def azimuths(self) -> np.ndarray:
        return np.arange(0.0, 360.0, self.azimuth_step)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.elevations), len(self.azimuths)

    def directions(self) -> tuple[np.ndarray, np.ndarray]:
        """Flattened (azimuth, elevation) of every grid point, elevation-major."""
        az, el = np.meshgrid(self.azimuths, np.asarray(self.elevations, dtype=float))
        return az.ravel(), el.ravel()


def covariance(X: np.ndarray) -> np.ndarray:
    """Spatial covariance (F, M, M) of STFT frames ``X`` (T, F, M), averaged over T."""
    Xf = np.asarray(X).transpose(1, 0, 2)  # (F, T, M)
    return np.matmul(Xf.transpose(0, 2, 1), Xf.conj()) / max(Xf.shape[1], 1)


def _steering(freqs: np.ndarray, array: ArrayGeometry, grid: DirectionGrid, c: float) -> np.ndarray:
    az, el = grid.directions()
    tau = array.delays(az, el, c)  # (G, M)
    return np.exp(-2j * np.pi * freqs[:, None, None] * tau[None])  # (F, G, M)


class _Cache:
    """The last table built by ``make(freqs, array, grid, c)``, reused while the bins, the
    array, the grid and the speed of sound stay the same."""

    def __init__(self, make):
        self.make = make
        self.key = None
        self.value = None

    def get(self, freqs, array, grid, c):
        key = (freqs.tobytes(), array, grid, c)
        if key != self.key:
            self.key, self.value = key, self.make(freqs, array, grid, c)
        return self.value


def _pair_tables(freqs, array, grid, c):
    """cos and sin of each pair's steering phase, (F·P, G) each: SRP-PHAT becomes two
    matrix-vector products."""
    i, j = np.triu_indices(array.n_mics, 1)
    az, el = grid.directions()
    tau = array.delays(az, el, c)  # (G, M)
    phase = 2 * np.pi * freqs[:, None, None] * (tau[:, i] - tau[:, j])[None]  # (F, G, P)
    dtype = np.float64 if phase.shape[1] <= 4000 else np.float32
    table = np.ascontiguousarray(phase.transpose(0, 2, 1).reshape(-1, phase.shape[1]))
    return np.cos(table).astype(dtype), np.sin(table).astype(dtype)


_STEER = _Cache(_steering)  # steering vectors (F, G, M): MUSIC
_PAIRS = _Cache(_pair_tables)  # pair phase tables: SRP-PHAT


def srp_phat(R: np.ndarray, freqs: np.ndarray, array: ArrayGeometry, grid: DirectionGrid,
             c: float = SPEED_OF_SOUND) -> np.ndarray:
    """SRP-PHAT spectrum (G,): ``Σ_f Σ_{m<n} 2 Re(R̃_mn e^{j2πf(τ_m − τ_n)})`` with
    ``R̃ = R / |R|`` (the phase-transformed cross-spectra)."""
    i, j = np.triu_indices(R.shape[1], 1)
    W = R[:, i, j]  # (F, P)
    W = W / np.maximum(np.abs(W), 1e-30)
    cos, sin = _PAIRS.get(freqs, array, grid, c)
    return 2 * (W.real.ravel() @ cos - W.imag.ravel() @ sin)


def gcc_phat_spectrum(R: np.ndarray, freqs: np.ndarray, array: ArrayGeometry, grid: DirectionGrid, *, fs: float,
                      nfft: int, c: float = SPEED_OF_SOUND, upsample: int = 4) -> np.ndarray:
    """Sum over microphone pairs of the GCC-PHAT correlation at each direction's TDOA
    (linear interpolation on a ``upsample``× finer lag grid)."""
    m = R.shape[1]
    i, j = np.triu_indices(m, 1)
    cross = R[:, i, j]  # (F, P)
    cross = cross / np.maximum(np.abs(cross), 1e-30)
    n = nfft * upsample
    bins = np.rint(freqs * nfft / fs).astype(int)
    full = np.zeros((n // 2 + 1, len(i)), dtype=complex)
    full[bins] = cross
    cc = np.fft.irfft(full, n, axis=0)  # (n, P), lag k ↔ k / (fs·upsample) s
    az, el = grid.directions()
    tau = array.delays(az, el, c)  # (G, M)
    lag = (tau[:, i] - tau[:, j]) * fs * upsample  # (G, P) in fine samples; R_ij ~ X_i X_j^*
    lo = np.floor(lag).astype(int)
    w = lag - lo
    p = np.arange(len(i))
    return ((1 - w) * cc[lo % n, p] + w * cc[(lo + 1) % n, p]).sum(axis=1)


def music(R: np.ndarray, freqs: np.ndarray, array: ArrayGeometry, grid: DirectionGrid, *, n_sources: int = 1,
          normalise: bool = False, c: float = SPEED_OF_SOUND) -> np.ndarray:
    """(Normalised) MUSIC: ``Σ_f 1 / ||E_nᴴ a||²`` over the noise subspace of each bin."""
    m = R.shape[1]
    if not 1 <= n_sources < m:
        raise ParameterError(f"MUSIC can find 1..{m - 1} sources with {m} microphones, asked for {n_sources}")
    A = _STEER.get(freqs, array, grid, c)
    _, vecs = np.linalg.eigh(R)  # ascending eigenvalues
    En = vecs[:, :, : m - n_sources]  # (F, M, M-K)
    proj = np.einsum("fgm,fmk->fgk", A.conj(), En)
    p = 1.0 / np.maximum((np.abs(proj) ** 2).sum(axis=2), 1e-12)  # (F, G)
    if normalise:
        p = p / p.max(axis=1, keepdims=True)
    return p.sum(axis=0)


#: Estimator names.
ESTIMATORS = ("srp-phat", "gcc-phat", "music", "normmusic")


def spatial_spectrum(method: str, R, freqs, array, grid, *, fs: float, nfft: int, n_sources: int = 1,
                     c: float = SPEED_OF_SOUND) -> np.ndarray:
    """The spectrum of the named estimator (see :data:`ESTIMATORS`)."""
    if method == "srp-phat":
        return srp_phat(R, freqs, array, grid, c)
    if method == "gcc-phat":
        return gcc_phat_spectrum(R, freqs, array, grid, fs=fs, nfft=nfft, c=c)
    if method in ("music", "normmusic"):
        return music(R, freqs, array, grid, n_sources=n_sources, normalise=method == "normmusic", c=c)
    raise ParameterError(f"unknown DOA method {method!r}", f"use one of {', '.join(ESTIMATORS)}")


def in_azimuth_range(azimuths: np.ndarray, az_range: tuple[float, float] | None) -> np.ndarray:
    """Which azimuths (deg) lie in ``az_range = (low, high)``, counter-clockwise from ``low``
    to ``high`` (``(270, 90)`` is the front half-plane across 0); None: all of them."""
    az = np.asarray(azimuths, dtype=float) % 360
    if az_range is None:
        return np.ones(az.shape, dtype=bool)
    low, high = (float(v) for v in az_range)
    width = (high - low) % 360 if abs(high - low) < 360 else 360.0
    return (az - low) % 360 <= width


def find_peaks(spectrum: np.ndarray, grid: DirectionGrid, k: int = 1, *, min_separation_deg: float = 20.0,
               az_range: tuple[float, float] | None = None):
    """Up to ``k`` highest local maxima of a spatial spectrum, at least
    ``min_separation_deg`` apart (only those with an azimuth in ``az_range``, when given: see
    :func:`in_azimuth_range`).

    Returns
    -------
    az, el, power, confidence : ndarray, shape (k,)
        Directions (deg), spectrum values, and a confidence in [0, 1] — the peak's height
        above the spectrum's median relative to the highest peak's; NaN-padded.
    """
    ne, na = grid.shape
    s = spectrum.reshape(ne, na)
    # local maxima on the circle (and along elevation)
    left, right = np.roll(s, 1, axis=1), np.roll(s, -1, axis=1)
    is_max = (s >= left) & (s >= right)
    if ne > 1:
        up = np.vstack([s[1:], np.full((1, na), -np.inf)])
        down = np.vstack([np.full((1, na), -np.inf), s[:-1]])
        is_max &= (s >= up) & (s >= down)
    az_all, el_all = grid.directions()
    cand = np.flatnonzero(is_max.ravel() & in_azimuth_range(az_all, az_range))
    cand = cand[np.argsort(spectrum[cand])[::-1]]
    out_az, out_el, out_p = [], [], []
    for c in cand:
        if len(out_az) >= k:
            break
        d = np.abs((az_all[c] - np.asarray(out_az) + 180) % 360 - 180) if out_az else np.array([])
        if d.size and (d < min_separation_deg).any():
            continue
        out_az.append(az_all[c])
        out_el.append(el_all[c])
        out_p.append(spectrum[c])
    med = float(np.median(spectrum))
    top = out_p[0] if out_p else med
    conf = [float(np.clip((p - med) / (top - med), 0, 1)) if top > med else 0.0 for p in out_p]
    pad = k - len(out_az)
    nan = [np.nan] * pad
    return (np.array(out_az + nan), np.array(out_el + nan), np.array(out_p + nan), np.array(conf + nan))


def tdoa_gcc_phat(x1: np.ndarray, x2: np.ndarray, fs: float, *, max_tau: float | None = None,
                  upsample: int = 16) -> float:
    """Time difference of arrival (s) of ``x2`` relative to ``x1`` by GCC-PHAT, with
    ``upsample``× interpolation; positive when ``x2`` lags."""
    n = int(2 ** np.ceil(np.log2(len(x1) + len(x2))))
    X1, X2 = np.fft.rfft(x1, n), np.fft.rfft(x2, n)
    cross = X2 * X1.conj()
    cross /= np.maximum(np.abs(cross), 1e-30)
    cc = np.fft.irfft(cross, n * upsample)
    max_shift = n * upsample // 2
    if max_tau is not None:
        max_shift = min(int(max_tau * fs * upsample) + 1, max_shift)
    cc = np.concatenate([cc[-max_shift:], cc[: max_shift + 1]])
    return (int(np.argmax(cc)) - max_shift) / (fs * upsample)
