"""Streaming localisation stages.

- :class:`STFT` — audio (n, M) → complex STFT frames (F, M) every ``hop`` samples.
- :class:`DOAEstimator` — STFT frames → up to K directions (azimuth, elevation, power,
  confidence) per hop, from the covariance of the last ``window_frames`` frames, with an
  energy gate: frames no louder than the tracked noise floor give no direction (NaN)
  rather than a random one.
- :class:`DOATracker` — directions → tracks that keep their identity (a constant-velocity
  Kalman filter per source on the unwrapped azimuth, Hungarian association with a gate).

All work frame by frame, so outputs never depend on how the audio was cut into blocks.
"""

from __future__ import annotations

import logging

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_option, check_scalar, check_stream
from ..core.stage import Stage
from ..errors import ParameterError, StreamFormatError
from .arrays import SPEED_OF_SOUND, ArrayGeometry, array_from_meta
from .doa import ESTIMATORS, DirectionGrid, covariance, find_peaks, spatial_spectrum

__all__ = ["STFT", "DOAEstimator", "DOATracker", "doa_channels", "track_channels"]

log = logging.getLogger("sensekit")


def doa_channels(k: int) -> tuple[str, ...]:
    """Channels of a DOA stream with ``k`` directions."""
    return tuple(f"{f}{i}" for i in range(k) for f in ("azimuth", "elevation", "power", "confidence"))


def track_channels(k: int) -> tuple[str, ...]:
    """Channels of a track stream with ``k`` slots."""
    return tuple(f"{f}{i}" for i in range(k) for f in ("id", "azimuth", "elevation", "confidence"))


class STFT(Stage):
    """Short-time Fourier transform, streaming.

    Parameters
    ----------
    nfft : int
        Frame length (samples).
    hop : int
        Samples between frames.
    window : str
        A :func:`scipy.signal.get_window` name: ``"hann"`` (default; best for SRP-PHAT)
        or ``"boxcar"`` (rectangular; better for (normalised) MUSIC with several sources
        in reverberant rooms).

    Notes
    -----
    Output: a ``stft`` stream at ``rate / hop`` frames/s, samples of shape
    (nfft // 2 + 1, M), complex128; frame k covers input samples [k·hop, k·hop + nfft)
    and is time-stamped at its first sample. ``meta["nfft"]``, ``meta["hop"]`` and
    ``meta["audio_rate"]`` describe the transform.
    """

    def __init__(self, nfft: int = 512, hop: int = 256, window: str = "hann") -> None:
        self.nfft = nfft
        self.hop = hop
        self.window = window

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "STFT", regular=True, ndim=1, dtype_kinds="fiu")
        check_scalar(self.nfft, "nfft", kind=int, min_value=8)
        check_scalar(self.hop, "hop", kind=int, min_value=1, max_value=self.nfft)
        from scipy.signal import get_window

        try:
            self._win = get_window(self.window, self.nfft)
        except ValueError:
            raise ParameterError(f"unknown STFT window {self.window!r}", "use hann, boxcar, hamming, ...") from None
        meta = {**dict(info.meta), "nfft": self.nfft, "hop": self.hop, "audio_rate": info.rate,
                "audio_channels": list(info.channels or ())}
        return StreamInfo(info.name, "stft", info.rate / self.hop, (self.nfft // 2 + 1, info.shape[0]),
                          dtype="complex128", meta=meta)

    @property
    def latency_s(self) -> float:
        return (self.nfft - 1) / self.input_info.rate if self.input_info is not None else 0.0

    def _reset(self) -> None:
        self._buf = np.zeros((0, self.input_info.shape[0]))
        self._start = 0  # stream index of self._buf[0] (always a frame start)
        self._t0 = None
        self._frames = 0

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if self._t0 is None:
            self._t0 = frame.t0
        self._buf = np.concatenate([self._buf, np.asarray(frame.data, dtype=np.float64)])
        n_frames = (self._buf.shape[0] - self.nfft) // self.hop + 1
        if n_frames <= 0:
            return None
        idx = np.arange(n_frames)[:, None] * self.hop + np.arange(self.nfft)[None, :]
        seg = self._buf[idx] * self._win[None, :, None]  # (T, nfft, M)
        X = np.fft.rfft(seg, axis=1)
        t0 = self._t0 + self._frames * self.hop / self.input_info.rate
        self._frames += n_frames
        self._buf = self._buf[n_frames * self.hop :]
        return Frame._trusted(self.output_info, X, t0, None, frame.seq)


class DOAEstimator(Stage):
    """Directions of arrival from an STFT stream of a microphone array.

    Parameters
    ----------
    method : str
        ``"srp-phat"`` (default), ``"gcc-phat"``, ``"music"`` or ``"normmusic"``.
    n_sources : int
        Directions reported per estimate (MUSIC's signal subspace size too).
    array : ArrayGeometry, optional
        The geometry; by default the stream's ``meta["array"]``.
    freq_range : (float, float)
        Band used (Hz).
    window_frames : int
        STFT frames whose covariance makes one estimate (a sliding window).
    every : int
        One estimate every ``every`` frames.
    azimuth_step : float
        Grid resolution (deg).
    elevations : sequence of float
        Elevation grid (deg); ``(0,)`` for azimuth only. A planar array cannot tell up
        from down: give non-negative elevations.
    gate_db : float or None
        Frames whose band energy is less than this above the noise floor (a running
        minimum over ``floor_s``) are left out; an estimate with no loud frame is NaN.
    min_separation_deg : float
        Between reported directions.
    azimuth_range : (float, float) or None
        Report only directions whose azimuth lies from the first value counter-clockwise to the
        second (deg; ``(270, 90)``: the front half-plane). A linear array cannot tell a
        direction from its mirror image across its axis: restrict it to one side.

    Notes
    -----
    Output: a ``doa`` stream at ``stft_rate / every``, channels :func:`doa_channels`
    (azimuth and elevation in degrees, azimuth counter-clockwise from the array's +x,
    power, confidence 0..1).
    """

    def __init__(self, method: str = "srp-phat", n_sources: int = 1, *, array: ArrayGeometry | None = None,
                 freq_range: tuple = (300.0, 3500.0), window_frames: int = 8, every: int = 1,
                 azimuth_step: float = 1.0, elevations=(0.0,), gate_db: float | None = 6.0, floor_s: float = 2.0,
                 min_separation_deg: float = 20.0, c: float = SPEED_OF_SOUND,
                 azimuth_range: tuple[float, float] | None = None) -> None:
        self.method = method
        self.n_sources = n_sources
        self.array = array
        self.freq_range = freq_range
        self.window_frames = window_frames
        self.every = every
        self.azimuth_step = azimuth_step
        self.elevations = elevations
        self.gate_db = gate_db
        self.floor_s = floor_s
        self.min_separation_deg = min_separation_deg
        self.c = c
        self.azimuth_range = azimuth_range

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "DOAEstimator", regular=True, ndim=2, dtype_kinds="c")
        check_option(self.method, "method", ESTIMATORS)
        check_scalar(self.n_sources, "n_sources", kind=int, min_value=1)
        check_scalar(self.window_frames, "window_frames", kind=int, min_value=1)
        check_scalar(self.every, "every", kind=int, min_value=1)
        for key in ("nfft", "audio_rate"):
            if key not in info.meta:
                raise StreamFormatError(f"DOAEstimator needs an STFT stream (meta {key!r} missing)", "put STFT first")
        self._geom = array_from_meta(info.meta, "DOAEstimator", info.shape[1], self.array)
        fs, nfft = float(info.meta["audio_rate"]), int(info.meta["nfft"])
        freqs = np.fft.rfftfreq(nfft, 1 / fs)
        lo, hi = self.freq_range
        if not 0 <= lo < hi:
            raise ParameterError(f"freq_range must be (low, high) Hz with low < high, got {self.freq_range!r}")
        self._bins = np.flatnonzero((freqs >= lo) & (freqs <= min(hi, fs / 2)))
        if self._bins.size == 0:
            raise ParameterError(f"freq_range {self.freq_range} holds no STFT bin at {fs:g} Hz")
        self._freqs = freqs[self._bins]
        spatial_alias = self.c / (2 * self._geom.min_spacing)
        if hi > spatial_alias * 1.5:
            log.warning("DOAEstimator: %s's closest microphones alias above %.0f Hz; freq_range goes to %.0f Hz",
                        self._geom.name, spatial_alias, hi)
        self._grid = DirectionGrid(float(self.azimuth_step), tuple(float(e) for e in self.elevations))
        self._fs, self._nfft = fs, nfft
        self._floor_frames = max(int(self.floor_s * info.rate), 1)
        k = self.n_sources
        return StreamInfo(info.name, "doa", info.rate / self.every, (4 * k,), channels=doa_channels(k),
                          dtype="float64", meta={**{k_: v for k_, v in dict(info.meta).items()},
                                                 "array": self._geom.to_dict(), "method": self.method})

    @property
    def latency_s(self) -> float:
        return (self.window_frames - 1) / self.input_info.rate if self.input_info is not None else 0.0

    def _reset(self) -> None:
        m = self.input_info.shape[1]
        self._hist = np.zeros((0, self._bins.size, m), dtype=complex)
        self._energy = np.zeros(0)  # band energy (dB) of the frames in self._hist
        self._levels = []  # recent band energies for the noise floor (dB)
        self._count = 0
        self._t0 = None

    def estimate(self, X: np.ndarray) -> np.ndarray:
        """One estimate from frames ``X`` (T, F_band, M): the output row (4 K,)."""
        R = covariance(X)
        spec = spatial_spectrum(self.method, R, self._freqs, self._geom, self._grid, fs=self._fs, nfft=self._nfft,
                                n_sources=min(self.n_sources, self._geom.n_mics - 1), c=self.c)
        az, el, p, conf = find_peaks(spec, self._grid, self.n_sources, min_separation_deg=self.min_separation_deg,
                                     az_range=self.azimuth_range)
        return np.column_stack([az, el, p, conf]).ravel()

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if self._t0 is None:
            self._t0 = frame.t0
        Xb = np.asarray(frame.data)[:, self._bins, :]
        e = 10 * np.log10(np.maximum((np.abs(Xb) ** 2).mean(axis=(1, 2)), 1e-30))
        rows, times = [], []
        for i in range(frame.n):
            self._hist = np.concatenate([self._hist[-(self.window_frames - 1) or len(self._hist):],
                                         Xb[i : i + 1]])[-self.window_frames :]
            self._energy = np.concatenate([self._energy, e[i : i + 1]])[-self.window_frames :]
            self._levels.append(float(e[i]))
            if len(self._levels) > self._floor_frames:
                self._levels.pop(0)
            self._count += 1
            if self._count % self.every:
                continue
            if self.gate_db is not None:
                floor = min(self._levels)
                loud = self._energy > floor + self.gate_db
            else:
                loud = np.ones(len(self._energy), dtype=bool)
            if loud.any():
                rows.append(self.estimate(self._hist[loud]))
            else:
                rows.append(np.full(4 * self.n_sources, np.nan))
            times.append(self._count - 1)
        if not rows:
            return None
        t0 = self._t0 + (times[0]) / self.input_info.rate
        return Frame._trusted(self.output_info, np.array(rows), t0, None, frame.seq)


class DOATracker(Stage):
    """Directions → tracks with identities.

    Parameters
    ----------
    max_tracks : int
        Track slots in the output.
    gate_deg : float
        A detection further than this from a track's prediction starts a new track.
    min_confidence : float
        Detections below this confidence are ignored.
    process_noise : float
        Azimuth acceleration noise (deg/s²) of the constant-velocity model.
    measurement_noise : float
        Azimuth measurement noise (deg).
    max_missed_s : float
        A track unseen for this long is dropped.

    Notes
    -----
    Output: a ``tracks`` stream at the input rate, channels :func:`track_channels`:
    per slot the track id (NaN for an empty slot), azimuth (deg, 0..360), elevation and
    confidence. Identities are kept while a source moves (as long as it moves less than
    ``gate_deg`` between estimates beyond the prediction).
    """

    def __init__(self, max_tracks: int = 3, *, gate_deg: float = 25.0, min_confidence: float = 0.3,
                 process_noise: float = 200.0, measurement_noise: float = 3.0, max_missed_s: float = 1.0) -> None:
        self.max_tracks = max_tracks
        self.gate_deg = gate_deg
        self.min_confidence = min_confidence
        self.process_noise = process_noise
        self.measurement_noise = measurement_noise
        self.max_missed_s = max_missed_s

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "DOATracker", regular=True, ndim=1)
        if info.kind != "doa" or info.shape[0] % 4:
            raise StreamFormatError(f"DOATracker needs a doa stream, got {info.kind!r} {info.shape}",
                                    "put DOAEstimator first")
        check_scalar(self.max_tracks, "max_tracks", kind=int, min_value=1)
        self._dt = 1.0 / info.rate
        k = self.max_tracks
        return StreamInfo(info.name, "tracks", info.rate, (4 * k,), channels=track_channels(k), dtype="float64",
                          meta=dict(info.meta))

    def _reset(self) -> None:
        self._tracks: list[dict] = []
        self._next_id = 0

    def _step(self, row: np.ndarray) -> np.ndarray:
        from scipy.optimize import linear_sum_assignment

        dt = self._dt
        F = np.array([[1.0, dt], [0.0, 1.0]])
        q = self.process_noise ** 2
        Q = q * np.array([[dt ** 4 / 4, dt ** 3 / 2], [dt ** 3 / 2, dt ** 2]])
        r = self.measurement_noise ** 2
        for t in self._tracks:  # predict
            t["x"] = F @ t["x"]
            t["P"] = F @ t["P"] @ F.T + Q
            t["missed"] += dt
        det = row.reshape(-1, 4)
        det = det[np.isfinite(det[:, 0]) & (det[:, 3] >= self.min_confidence)]
        used = set()
        if self._tracks and len(det):
            pred = np.array([t["x"][0] for t in self._tracks])
            cost = np.abs((det[:, 0][None, :] - pred[:, None] + 180) % 360 - 180)
            ti, di = linear_sum_assignment(cost)
            for a, b in zip(ti.tolist(), di.tolist(), strict=True):
                if cost[a, b] > self.gate_deg:
                    continue
                t = self._tracks[a]
                innov = (det[b, 0] - t["x"][0] + 180) % 360 - 180
                S = t["P"][0, 0] + r
                K = t["P"][:, 0] / S
                t["x"] = t["x"] + K * innov
                t["P"] = t["P"] - np.outer(K, t["P"][0])
                t["el"], t["conf"], t["missed"] = det[b, 1], det[b, 3], 0.0
                used.add(b)
        for b in range(len(det)):  # births
            if b not in used and len(self._tracks) < self.max_tracks:
                self._tracks.append({"id": self._next_id, "x": np.array([det[b, 0], 0.0]),
                                     "P": np.diag([r, 100.0 ** 2]), "el": det[b, 1], "conf": det[b, 3],
                                     "missed": 0.0})
                self._next_id += 1
        self._tracks = [t for t in self._tracks if t["missed"] <= self.max_missed_s]
        out = np.full((self.max_tracks, 4), np.nan)
        for i, t in enumerate(sorted(self._tracks, key=lambda t: t["id"])):
            out[i] = (t["id"], t["x"][0] % 360, t["el"], t["conf"] if t["missed"] == 0 else 0.0)
        return out.ravel()

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        data = np.array([self._step(np.asarray(r, dtype=np.float64)) for r in frame.data])
        return Frame._trusted(self.output_info, data, frame.t0, None, frame.seq)
