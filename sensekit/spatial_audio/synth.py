"""Simulated microphone-array recordings with exact ground-truth directions.

- :func:`speech_like` — noise shaped like speech: a falling spectrum, syllable-rate
  amplitude modulation and pauses (so that activity gates have something to do).
- :func:`doa_scene` — one to several static sources in a shoebox room
  (:class:`~sensekit.spatial_audio.room.ShoeboxRoom`: image sources + diffuse tail) with
  diffuse noise at a given SNR, around an array at a known position.
- :func:`moving_source` — one source moving on a circle around the array (the room
  response is updated every 50 ms and cross-faded), with its true azimuth over time.
- :class:`ArraySceneSource` — ``synth:array``: such a scene as a live-like stream whose
  meta carries the array geometry.
"""

from __future__ import annotations

import numpy as np

from ..core import Frame, StreamInfo
from ..core.sources.base import Source
from .arrays import ArrayGeometry, load_array, unit_vector
from .room import ShoeboxRoom, add_noise

__all__ = ["speech_like", "doa_scene", "moving_source", "ArraySceneSource", "random_azimuths"]


def speech_like(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of speech-shaped noise with syllable-rate modulation and pauses."""
    from scipy.signal import lfilter

    x = lfilter([1.0], [1.0, -0.9], rng.standard_normal(n))  # about -6 dB/octave above 250 Hz
    t = np.arange(n) / fs
    syll = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 2 * np.pi))
    pauses = np.repeat(rng.random(int(np.ceil(n / (0.4 * fs)))) > 0.25, int(0.4 * fs))[:n]
    env = syll ** 2 * pauses
    y = x * env
    return y / max(np.std(y), 1e-12)


def random_azimuths(k: int, rng: np.random.Generator, min_separation: float = 30.0) -> np.ndarray:
    """``k`` azimuths (deg) drawn uniformly, at least ``min_separation`` apart on the circle."""
    while True:
        az = rng.uniform(0, 360, k)
        d = np.abs((az[:, None] - az[None, :] + 180) % 360 - 180) + np.eye(k) * 360
        if (d >= min_separation).all():
            return az


def doa_scene(array: ArrayGeometry, *, azimuths, elevations=None, rt60: float = 0.3, snr_db: float = 10.0,
              room_size=(6.0, 5.0, 3.0), centre=(2.9, 2.4, 1.2), distance: float = 1.5, fs: float = 16000.0,
              duration_s: float = 1.0, signal: str = "noise", rng: np.random.Generator | int | None = 0):
    """Microphone signals (n, M) of sources at the given azimuths (deg) and elevations,
    ``distance`` m from the array centre, in a ``room_size`` room with ``rt60``, plus
    diffuse noise at ``snr_db``; at a peak of :data:`RECORDED_PEAK` (a recording whose gain was
    set right: unscaled, three sources at 0 dB SNR passed full scale on 1-4 % of samples)."""
    rng = np.random.default_rng(rng)
    az = np.atleast_1d(np.asarray(azimuths, dtype=float))
    el = np.zeros_like(az) if elevations is None else np.atleast_1d(np.asarray(elevations, dtype=float))
    centre = np.asarray(centre, dtype=float)
    sources = centre + distance * unit_vector(az, el)
    n = int(duration_s * fs)
    sig = np.stack([speech_like(n, fs, rng) if signal == "speech" else rng.standard_normal(n) for _ in az])
    room = ShoeboxRoom(room_size, rt60=rt60)
    return _at_recorded_level(room.simulate(sig, sources, array.xyz + centre, fs, snr_db=snr_db, rng=rng))


#: Peak of the simulated array recordings: -6 dBFS.
RECORDED_PEAK = 0.5


def _at_recorded_level(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to a peak of :data:`RECORDED_PEAK`."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (RECORDED_PEAK / peak) if peak > 0 else x


def moving_source(array: ArrayGeometry, *, start_deg: float = 0.0, speed_deg_s: float = 45.0, duration_s: float = 4.0,
                  rt60: float = 0.3, snr_db: float = 20.0, fs: float = 16000.0, room_size=(6.0, 5.0, 3.0),
                  centre=(2.9, 2.4, 1.2), distance: float = 1.5, segment_s: float = 0.05,
                  rng: np.random.Generator | int | None = 0):
    """A source circling the array: ``(x (n, M), true azimuth (n,) in deg)``, ``x`` at a peak of
    :data:`RECORDED_PEAK`."""
    from scipy.signal import oaconvolve

    rng = np.random.default_rng(rng)
    n = int(duration_s * fs)
    seg = int(segment_s * fs)
    sig = rng.standard_normal(n)
    room = ShoeboxRoom(room_size, rt60=rt60, max_order=6)
    centre = np.asarray(centre, dtype=float)
    mics = array.xyz + centre
    out = np.zeros((len(mics), n + int(fs)))
    win = np.hanning(2 * seg + 1)[:-1]  # 50 % overlap-add of segments
    truth = (start_deg + speed_deg_s * np.arange(n) / fs) % 360
    for a in range(-seg, n, seg):
        lo, hi = max(a, 0), min(a + 2 * seg, n)
        if hi <= lo:
            continue
        mid = min(max(a + seg, 0), n - 1)
        src = centre + distance * unit_vector(truth[mid], 0.0)
        h = room.rir(src, mics, fs, length_s=rt60, rng=rng)
        piece = sig[lo:hi] * win[lo - a : hi - a]
        y = oaconvolve(piece[None, :], h, axes=1)
        end = min(lo + y.shape[1], out.shape[1])
        out[:, lo:end] += y[:, : end - lo]
    x = add_noise(out[:, :n], mics, fs, snr_db, rng=rng)
    return _at_recorded_level(x.T), truth


class ArraySceneSource(Source):
    """``synth:array`` — a simulated array recording as a stream (meta carries the array).

    Parameters
    ----------
    array : str
        Preset name or geometry file.
    sources : int
        Static sources (random azimuths, at least 30° apart), or 0 for one moving source.
    rt60, snr_db, duration_s, rate, block_size, seed, signal
        As :func:`doa_scene`.
    """

    def __init__(self, *, array: str = "respeaker6", sources: int = 1, rt60: float = 0.3, snr_db: float = 20.0,
                 duration_s: float = 3.0, rate: float = 16000.0, block_size: int = 512, seed: int = 0,
                 signal: str = "speech", speed_deg_s: float = 45.0) -> None:
        self.geometry = load_array(array) if not isinstance(array, ArrayGeometry) else array
        rng = np.random.default_rng(int(seed))
        sources = int(sources)
        if sources > 0:
            self.azimuths = random_azimuths(sources, rng)
            self.x = doa_scene(self.geometry, azimuths=self.azimuths, rt60=float(rt60), snr_db=float(snr_db),
                               fs=float(rate), duration_s=float(duration_s), signal=signal, rng=rng)
            self.truth = None
        else:
            self.x, self.truth = moving_source(self.geometry, speed_deg_s=float(speed_deg_s), rt60=float(rt60),
                                               snr_db=float(snr_db), fs=float(rate), duration_s=float(duration_s),
                                               rng=rng)
            self.azimuths = None
        self.block_size = int(block_size)
        self.info = StreamInfo("synth-array", "audio", float(rate), (self.geometry.n_mics,),
                               channels=self.geometry.channels, dtype="float32",
                               meta={"array": self.geometry.to_dict()})
        self.description = "synth:array"

    def _frames(self):
        x = self.x.astype(np.float32)
        for seq, a in enumerate(range(0, len(x), self.block_size)):
            yield Frame(self.info, x[a : a + self.block_size].copy(), t0=a / self.info.rate, seq=seq)


