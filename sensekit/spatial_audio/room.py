"""Shoebox room simulation: image sources for the early part, a diffuse tail for the rest.

:class:`ShoeboxRoom` computes room impulse responses between a source and microphones:

- *early*: the image-source method (Allen & Berkley 1979) up to ``max_order``
  reflections, each a fractional delay (windowed sinc), attenuated by distance and by
  the walls' reflection coefficient per reflection;
- *late*: from where the image sources thin out, a diffuse tail — a sum of plane waves
  from many directions, each exponentially decaying noise — with the room's RT60 and the
  spatial coherence a diffuse field has across the microphones; its level continues the
  early part's energy decay.

Wall absorption comes from Sabine's formula for the target RT60 (one value for every
wall, frequency independent).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ParameterError
from .arrays import SPEED_OF_SOUND, unit_vector

__all__ = ["ShoeboxRoom", "sabine_absorption", "fractional_delay_add", "diffuse_noise", "add_noise"]

_SINC_HALF = 16  # taps either side of a fractional delay


def sabine_absorption(size, rt60: float) -> float:
    """Energy absorption coefficient of all walls that gives ``rt60`` (s) by Sabine."""
    lx, ly, lz = size
    volume = lx * ly * lz
    surface = 2 * (lx * ly + lx * lz + ly * lz)
    alpha = 0.161 * volume / (surface * rt60)
    if not 0 < alpha < 1:
        raise ParameterError(f"RT60 {rt60:g} s is too short for a {lx:g}x{ly:g}x{lz:g} m room (Sabine needs "
                             f"absorption {alpha:.2f} > 1)", "give a longer RT60 or a smaller room")
    return float(alpha)


def fractional_delay_add(out: np.ndarray, delays: np.ndarray, gains: np.ndarray) -> None:
    """Add impulses of ``gains`` at fractional sample ``delays`` into ``out`` (1-D) with a
    Hann-windowed sinc of 2 × 16 + 1 taps (vectorised; taps outside ``out`` are dropped)."""
    k = np.arange(-_SINC_HALF, _SINC_HALF + 1)
    base = np.floor(delays).astype(np.int64)
    frac = delays - base
    x = k[None, :] - frac[:, None]
    taps = np.sinc(x) * (0.5 + 0.5 * np.cos(np.pi * x / (_SINC_HALF + 1)))
    idx = base[:, None] + k[None, :]
    ok = (idx >= 0) & (idx < out.size)
    out += np.bincount(idx[ok], weights=(taps * gains[:, None])[ok], minlength=out.size)[: out.size]


def diffuse_noise(mics: np.ndarray, n: int, fs: float, *, rng, directions: int = 64, envelope: np.ndarray | None = None,
                  c: float = SPEED_OF_SOUND) -> np.ndarray:
    """Diffuse sound at the microphones: plane waves of independent white noise from
    ``directions`` directions spread evenly over the sphere (a Fibonacci lattice),
    optionally shaped by a common ``envelope`` (n,). Returns (M, n), unit mean power.
    The coherence between two microphones approaches sinc(2 f d / c), as in a diffuse field."""
    i = np.arange(directions) + 0.5
    el = np.degrees(np.arcsin(1 - 2 * i / directions))
    az = np.degrees(np.pi * (1 + 5 ** 0.5) * i) % 360
    u = unit_vector(az, el)  # (D, 3)
    tau = -(u @ mics.T) / c  # (D, M) arrival delays
    nfft = int(2 ** np.ceil(np.log2(n + 2 * fs * np.abs(tau).max() + 1)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    total = np.zeros((len(mics), len(f)), dtype=np.complex128)
    for d in range(directions):  # one plane wave at a time: all at once held D x M spectra (24 GiB for 5 min)
        noise = rng.standard_normal(n)
        if envelope is not None:
            noise *= envelope
        total += np.fft.rfft(noise, nfft)[None, :] * np.exp(-2j * np.pi * f[None, :] * tau[d][:, None])
    out = np.fft.irfft(total, nfft, axis=1)[:, :n]
    return out / np.sqrt(directions)


def add_noise(x: np.ndarray, mics: np.ndarray, fs: float, snr_db: float, *, rng, kind: str = "diffuse",
              c: float = SPEED_OF_SOUND) -> np.ndarray:
    """``x`` (M, n) plus ``"diffuse"`` (:func:`diffuse_noise`) or ``"white"`` sensor noise
    at ``snr_db`` relative to the mean power of ``x``."""
    if kind not in ("diffuse", "white"):
        raise ParameterError(f"unknown noise {kind!r}", "use diffuse or white")
    nz = diffuse_noise(mics, x.shape[1], fs, rng=rng, c=c) if kind == "diffuse" else rng.standard_normal(x.shape)
    return x + nz * np.sqrt(float((x ** 2).mean()) / (nz ** 2).mean() / 10 ** (snr_db / 10))


@dataclasses.dataclass
class ShoeboxRoom:
    """A rectangular room.

    Parameters
    ----------
    size : (float, float, float)
        Length, width, height (m); the room spans [0, size] on each axis.
    rt60 : float
        Reverberation time (s), by Sabine's formula.
    max_order : int
        Reflections per image-source path; the diffuse tail takes over after.
    c : float
        Speed of sound (m/s).
    """

    size: tuple
    rt60: float = 0.3
    max_order: int = 12
    c: float = SPEED_OF_SOUND

    def __post_init__(self) -> None:
        size = np.asarray(self.size, dtype=np.float64)
        if size.shape != (3,) or not (size > 0).all():
            raise ParameterError(f"room size must be 3 positive lengths in metres, got {self.size!r}")
        if not self.rt60 > 0:
            raise ParameterError(f"room rt60 must be > 0 s, got {self.rt60!r}")
        self.alpha = sabine_absorption(size, self.rt60)
        self.beta = float(np.sqrt(1 - self.alpha))  # pressure reflection coefficient

    def check_inside(self, points, what: str) -> np.ndarray:
        p = np.atleast_2d(np.asarray(points, dtype=np.float64))
        size = np.asarray(self.size)
        bad = ~((p > 0) & (p < size)).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ParameterError(f"{what} {i} at {p[i].round(3).tolist()} m is outside the "
                                 f"{'x'.join(f'{v:g}' for v in self.size)} m room", "place it inside the room")
        return p

    def _images(self, src: np.ndarray):
        n = self.max_order
        r = np.arange(-n, n + 1)
        kx, ky, kz = np.meshgrid(r, r, r, indexing="ij")
        order = np.abs(kx) + np.abs(ky) + np.abs(kz)
        keep = order <= n
        k = np.stack([kx[keep], ky[keep], kz[keep]], axis=1)
        size = np.asarray(self.size)
        odd = (k % 2).astype(bool)
        pos = k * size + np.where(odd, size - src, src)
        return pos, order[keep]

    def rir(self, source, mics, fs: float, *, length_s: float | None = None,
            rng: np.random.Generator | int | None = 0) -> np.ndarray:
        """Impulse responses (M, T) from ``source`` (3,) to ``mics`` (M, 3), metres.

        ``length_s`` defaults to 1.2 × RT60 plus the direct path.
        """
        rng = np.random.default_rng(rng)
        src = self.check_inside(source, "source")[0]
        mics = self.check_inside(mics, "microphone")
        pos, order = self._images(src)
        direct = np.linalg.norm(mics - src, axis=1).min() / self.c
        n = int(np.ceil(((length_s if length_s is not None else 1.2 * self.rt60) + direct) * fs)) + 2 * _SINC_HALF
        out = np.zeros((len(mics), n))
        for m, mic in enumerate(mics):
            d = np.linalg.norm(pos - mic, axis=1)
            fractional_delay_add(out[m], d / self.c * fs, self.beta ** order / (4 * np.pi * d))
        # the diffuse tail, from where the image sources of max_order stop covering all directions
        t_mix = (self.max_order * min(self.size) / 2 + np.linalg.norm(np.asarray(self.size) / 2)) / self.c
        i_mix = int(t_mix * fs)
        if i_mix < n - 1:
            t = np.arange(n) / fs
            decay = np.exp(-6.9078 * t / self.rt60)  # amplitude: -60 dB at rt60
            # level: the early part's energy just before the mixing time, continued by the decay
            lo = max(int(0.5 * i_mix), int(direct * fs) + 2 * _SINC_HALF + 1)
            early = (out[:, lo:i_mix] ** 2).mean() if i_mix > lo else 0.0
            ref = (decay[lo:i_mix] ** 2).mean() if i_mix > lo else 1.0
            ramp = np.clip((np.arange(n) - i_mix) / max(int(0.01 * fs), 1), 0, 1)  # 10 ms fade-in
            env = decay * np.sqrt(early / ref) * ramp
            out += diffuse_noise(mics, n, fs, rng=rng, envelope=env, c=self.c)
        return out

    def simulate(self, signals, sources, mics, fs: float, *, snr_db: float | None = None, noise: str = "diffuse",
                 rng: np.random.Generator | int | None = 0) -> np.ndarray:
        """Microphone signals (n, M) of ``signals`` (S, n) played at ``sources`` (S, 3),
        with sensor or diffuse noise at ``snr_db`` (relative to the mean reverberant
        signal power); ``noise`` is ``"diffuse"`` or ``"white"``."""
        rng = np.random.default_rng(rng)
        signals = np.atleast_2d(np.asarray(signals, dtype=np.float64))
        sources = np.atleast_2d(np.asarray(sources, dtype=np.float64))
        if len(signals) != len(sources):
            raise ParameterError(f"{len(signals)} signals for {len(sources)} source positions")
        mics = np.atleast_2d(np.asarray(mics, dtype=np.float64))
        n = signals.shape[1]
        out = np.zeros((len(mics), n))
        from scipy.signal import oaconvolve

        for sig, src in zip(signals, sources, strict=True):
            h = self.rir(src, mics, fs, rng=rng)
            out += oaconvolve(sig[None, :], h, axes=1)[:, :n]
        if snr_db is not None:
            out = add_noise(out, mics, fs, snr_db, rng=rng, kind=noise, c=self.c)
        return out.T
