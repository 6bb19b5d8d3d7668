"""A multi-channel surface-EMG simulator with exact ground truth.

Model, per channel ``c`` of an armband of ``n_channels`` electrodes around the forearm:

    x_c(t) = contraction * A[class, c] * m(t) * s_c(t) + noise_c(t) + mains(t)

- ``A[class, c]``: the class's activation pattern: two muscle groups at class-specific
  angles around the forearm, seen by each electrode through a Gaussian spatial spread;
  class 0 is rest (a low uniform tone). ``electrode_shift`` rotates the band by that many
  electrode spacings (the pattern is interpolated, so fractions work).
- ``s_c(t)``: band-limited Gaussian noise (Butterworth band-pass 20 Hz .. min(450 Hz,
  0.45 rate)); ``fatigue`` in [0, 1] moves power to lower frequencies (a second band
  50 %/ lower mixed in) and raises the amplitude, as muscle fatigue does.
- ``m(t)``: slow amplitude modulation (1 +- 10 %, 0.5-2 Hz), so windows vary.
- ``noise_c``: white sensor noise at ``snr_db`` below the mean active-class power.
- ``mains``: a sinusoid at ``mains_hz`` with amplitude ``mains_amplitude`` (and its 3rd
  harmonic at a third of it) on every channel, with per-channel phases.

Units are arbitrary ("au"); the active level is about 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import signal

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar
from ..core.sources.base import Source
from .datasets import EMGTrials, Trial

__all__ = ["EMGSimulator", "EMGSynthSource"]


class EMGSimulator:
    """Simulated sEMG with per-class activation patterns (see the module docstring).

    Parameters
    ----------
    n_channels : int
        Electrodes around the forearm.
    n_classes : int
        Classes, including rest (class 0).
    rate : float
        Sampling rate in Hz.
    snr_db : float
        Active-signal to sensor-noise ratio in dB.
    mains_hz, mains_amplitude : float
        Power-line interference.
    electrode_shift : float
        Rotation of the band in electrode spacings.
    fatigue : float
        0 (fresh) to 1 (strongly fatigued).
    seed : int
        Fixes the class patterns (the "subject"); trial noise has its own seeds.
    """

    def __init__(self, n_channels: int = 8, n_classes: int = 5, *, rate: float = 1000.0, snr_db: float = 20.0,
                 mains_hz: float = 50.0, mains_amplitude: float = 0.0, electrode_shift: float = 0.0,
                 fatigue: float = 0.0, seed: int = 0) -> None:
        check_scalar(n_channels, "n_channels", kind=int, min_value=1, max_value=1024)  # (HD-EMG grids: 64-256)
        check_scalar(n_classes, "n_classes", kind=int, min_value=2, max_value=1000)
        check_scalar(rate, "rate", min_value=100, max_value=100e3)
        check_scalar(fatigue, "fatigue", min_value=0, max_value=1)
        check_scalar(snr_db, "snr_db", min_value=-60, max_value=120)
        check_scalar(mains_hz, "mains_hz", min_value=1, max_value=rate / 2)
        check_scalar(mains_amplitude, "mains_amplitude", min_value=0, max_value=1e3)
        check_scalar(electrode_shift, "electrode_shift", min_value=-n_channels, max_value=n_channels)
        self.n_channels, self.n_classes, self.rate = n_channels, n_classes, float(rate)
        self.snr_db, self.mains_hz, self.mains_amplitude = snr_db, mains_hz, mains_amplitude
        self.electrode_shift, self.fatigue, self.seed = electrode_shift, fatigue, seed
        rng = np.random.default_rng(seed)
        self._centres = rng.uniform(0, n_channels, size=(n_classes, 2))
        self._weights = rng.uniform(0.6, 1.0, size=(n_classes, 2))
        self._spread = 0.9
        high = min(450.0, 0.45 * self.rate)
        self._sos = signal.butter(2, [20.0, high], btype="bandpass", fs=self.rate, output="sos")
        self._sos_low = signal.butter(2, [10.0, high / 2], btype="bandpass", fs=self.rate, output="sos")
        self.info = StreamInfo("synth-emg", "emg", self.rate, (n_channels,), dtype="float64", unit="au",
                               meta={"synth": "emg", "n_classes": n_classes, "seed": seed})

    @property
    def patterns(self) -> np.ndarray:
        """Activation of each class on each electrode, shape (n_classes, n_channels)."""
        pos = (np.arange(self.n_channels) + self.electrode_shift)[None, None, :]
        d = np.abs(pos - self._centres[:, :, None])
        d = np.minimum(d, self.n_channels - d)  # around the ring
        a = (self._weights[:, :, None] * np.exp(-(d**2) / (2 * self._spread**2))).sum(axis=1)
        a[0] = 0.05  # rest
        return a

    def trial(self, label: int, duration_s: float, *, seed: int = 0, contraction: float = 1.0) -> np.ndarray:
        """One trial of class ``label``: samples of shape (round(duration_s * rate), n_channels)."""
        if not 0 <= label < self.n_classes:
            raise ValueError(f"label must be in 0..{self.n_classes - 1}, got {label}")
        rng = np.random.default_rng([self.seed, seed, label])
        n = int(round(duration_s * self.rate))
        t = np.arange(n) / self.rate
        src = signal.sosfilt(self._sos, rng.standard_normal((n + 200, self.n_channels)), axis=0)[200:]
        if self.fatigue > 0:
            low = signal.sosfilt(self._sos_low, rng.standard_normal((n + 200, self.n_channels)), axis=0)[200:]
            src = np.sqrt(1 - self.fatigue) * src + np.sqrt(self.fatigue) * low * 1.5
        src /= np.std(src, axis=0, keepdims=True) + 1e-12
        f_mod = rng.uniform(0.5, 2.0)
        mod = 1 + 0.1 * np.sin(2 * np.pi * f_mod * t + rng.uniform(0, 2 * np.pi))
        gain = contraction * (1 + 0.5 * self.fatigue)
        x = gain * self.patterns[label][None, :] * mod[:, None] * src
        noise_rms = np.sqrt(np.mean(self.patterns[1:] ** 2)) * 10 ** (-self.snr_db / 20)
        x += noise_rms * rng.standard_normal(x.shape)
        if self.mains_amplitude:
            ph = rng.uniform(0, 2 * np.pi, self.n_channels)[None, :]
            w = 2 * np.pi * self.mains_hz * t[:, None]
            x += self.mains_amplitude * (np.sin(w + ph) + np.sin(3 * w + ph) / 3)
        return x

    def trials(self, *, reps: int = 6, duration_s: float = 3.0, session: int = 1, subject: str = "sim") -> EMGTrials:
        """``reps`` trials of every class (class names ``rest``, ``class1``, ...)."""
        out = [Trial(self.trial(c, duration_s, seed=1000 * session + r), c, subject, session, r)
               for c in range(self.n_classes) for r in range(reps)]
        names = ("rest",) + tuple(f"class{k}" for k in range(1, self.n_classes))
        return EMGTrials(self.info, names, tuple(out))


class EMGSynthSource(Source):
    """A live-like simulated EMG stream cycling through the classes (``synth:emg``).

    The class of each sample is known: :meth:`label_at` gives it for any time.

    Parameters
    ----------
    channels, classes, rate, snr_db, mains_amplitude, electrode_shift, fatigue, seed
        As :class:`EMGSimulator`.
    hold_s : float
        Seconds per class before the next.
    duration_s : float or None
        Stream length; ``None`` for endless.
    block_size : int
        Samples per frame.
    """

    def __init__(self, *, channels: int = 8, classes: int = 5, rate: float = 1000.0, snr_db: float = 20.0,
                 mains_amplitude: float = 0.0, electrode_shift: float = 0.0, fatigue: float = 0.0, seed: int = 0,
                 hold_s: float = 3.0, duration_s: float | None = 30.0, block_size: int = 50,
                 realtime: bool = False) -> None:
        self.sim = EMGSimulator(channels, classes, rate=rate, snr_db=snr_db, mains_amplitude=mains_amplitude,
                                electrode_shift=electrode_shift, fatigue=fatigue, seed=seed)
        check_scalar(hold_s, "hold_s", min_value=0, include_min=False, max_value=3600)
        check_scalar(block_size, "block_size", kind=int, min_value=1, max_value=1 << 20)
        if duration_s is not None and duration_s != math.inf:
            check_scalar(duration_s, "duration_s", min_value=0, max_value=1e9)
        self.info = self.sim.info
        self.hold_s, self.duration_s, self.block_size, self.realtime = hold_s, duration_s, block_size, realtime
        self.description = "synth:emg"

    def label_at(self, t: np.ndarray) -> np.ndarray:
        """Ground-truth class of the samples at times ``t`` (s)."""
        return (np.floor(np.asarray(t) / self.hold_s).astype(int)) % self.sim.n_classes

    def _frames(self) -> Iterator[Frame]:
        import time

        rate = self.sim.rate
        hold = int(round(self.hold_s * rate))
        total = None if self.duration_s is None else int(round(self.duration_s * rate))
        buf = np.empty((0, self.sim.n_channels))
        made, sent, seq, k = 0, 0, 0, 0
        wall0 = time.monotonic()
        while total is None or sent < total:
            while len(buf) < self.block_size:
                seg = self.sim.trial(k % self.sim.n_classes, hold / rate, seed=k)
                buf = np.concatenate([buf, seg])
                made += len(seg)
                k += 1
            n = self.block_size if total is None else min(self.block_size, total - sent)
            if self.realtime:
                delay = wall0 + (sent + n) / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield Frame(self.info, buf[:n].copy(), t0=sent / rate, seq=seq)
            buf = buf[n:]
            sent += n
            seq += 1
