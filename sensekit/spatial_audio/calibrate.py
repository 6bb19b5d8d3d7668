"""Microphone-array calibration from a known excitation.

Play an exponential sine sweep (:func:`exponential_sweep`; ``sensekit spatial sweep``
writes it to a WAV file) from a known direction and record it with the array. From the
recording, :func:`measure_responses` deconvolves each channel's impulse response and
:func:`calibrate_array` finds, relative to a reference channel,

- the **gain** (direct-sound amplitude),
- the **delay mismatch** (arrival time minus the time the geometry predicts for that
  direction: converter or cable latency, or a misplaced microphone), sub-sample,
- the **polarity** (sign of the direct sound),

and, given recordings from three or more known directions, refines the microphone
**positions** by least squares on the measured arrival-time differences.
:class:`ArrayCorrection` is the stage that applies the result before localisation.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_stream
from ..core.stage import Stage
from ..errors import CalibrationError, ParameterError
from .arrays import SPEED_OF_SOUND, ArrayGeometry, array_from_meta, unit_vector

__all__ = ["exponential_sweep", "measure_responses", "ArrayCalibration", "calibrate_array", "ArrayCorrection",
           "load_array_calibration"]


def exponential_sweep(fs: float, duration_s: float = 2.0, f1: float = 50.0, f2: float | None = None,
                      fade_s: float = 0.01) -> np.ndarray:
    """Farina's exponential sine sweep from ``f1`` to ``f2`` Hz (default 0.45 fs), with
    short fades."""
    f2 = 0.45 * fs if f2 is None else f2
    if not 0 < f1 < f2 < fs / 2:
        raise ParameterError(f"sweep band {f1:g}..{f2:g} Hz must lie within 0..{fs / 2:g} Hz")
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    k = np.log(f2 / f1)
    x = np.sin(2 * np.pi * f1 * duration_s / k * (np.exp(t * k / duration_s) - 1))
    nf = max(int(fade_s * fs), 1)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(nf) / nf)
    x[:nf] *= ramp
    x[-nf:] *= ramp[::-1]
    return x


def measure_responses(recording: np.ndarray, sweep: np.ndarray, fs: float, *, length_s: float = 0.1,
                      band: tuple | None = None, name: str = "the recording") -> np.ndarray:
    """Impulse responses (M, L) of each channel of ``recording`` (n, M), by regularised
    spectral division by the sweep, band-limited to the sweep's band (default 60 Hz ..
    0.43 fs). A recording shorter than the sweep, or with a NaN or infinite sample, is refused
    (``name`` says which in the error)."""
    rec = np.asarray(recording, dtype=np.float64)
    if rec.ndim != 2:
        raise ParameterError(f"{name} must be (samples, channels), got shape {rec.shape}")
    if rec.shape[0] < len(sweep):  # (a cut recording gave a calibration from a few samples)
        raise CalibrationError(f"{name} lasts {rec.shape[0] / fs:.3g} s, less than the {len(sweep) / fs:.3g} s sweep",
                               "record the whole sweep and its tail (or give the sweep's length: --seconds)")
    bad = ~np.isfinite(rec)
    if bad.any():  # (it had been "no response to the sweep")
        i, c = np.argwhere(bad)[0]
        raise CalibrationError(f"{name} holds {int(bad.sum())} NaN or infinite sample(s) (the first on channel {c} at "
                               f"{i / fs:.3f} s)", "record the sweep again")
    n = int(2 ** np.ceil(np.log2(rec.shape[0] + len(sweep))))
    S = np.fft.rfft(sweep, n)
    Y = np.fft.rfft(rec, n, axis=0)
    f = np.fft.rfftfreq(n, 1 / fs)
    lo, hi = band if band is not None else (60.0, 0.43 * fs)
    w = ((f >= lo) & (f <= hi)).astype(float)
    eps = 1e-3 * np.max(np.abs(S)) ** 2
    H = Y * (S.conj() / (np.abs(S) ** 2 + eps) * w)[:, None]
    h = np.fft.irfft(H, n, axis=0)[: int(length_s * fs)]
    if not np.isfinite(h).all() or np.abs(h).max() == 0:
        raise CalibrationError(f"no response to the sweep in {name}", "check that the sweep was played and "
                               "recorded (level, cabling) and that it is the same sweep")
    return h.T


def _peak(h: np.ndarray) -> tuple[float, float]:
    """Sub-sample position and signed amplitude of the largest peak (parabolic fit)."""
    i = int(np.argmax(np.abs(h)))
    if 0 < i < len(h) - 1:
        a, b, c = np.abs(h[i - 1 : i + 2])
        d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    else:
        d = 0.0
    return i + float(d), float(h[i])


def _arrival(h: np.ndarray, fs: float, upsample: int = 16) -> tuple[float, float]:
    """Direct-sound arrival (s) and signed amplitude: the first strong peak, refined on a
    band-limited upsampled response."""
    i_max = int(np.argmax(np.abs(h)))
    first = int(np.flatnonzero(np.abs(h) >= 0.5 * np.abs(h[i_max]))[0])  # the direct sound precedes reflections
    lo, hi = max(first - 32, 0), min(first + 32, len(h))
    seg = h[lo:hi]
    from scipy.signal import resample

    up = resample(seg, len(seg) * upsample)
    j = int(np.argmax(np.abs(up)))
    pos, amp = _peak(up) if 0 < j < len(up) - 1 else (float(j), float(up[j]))
    return (lo + pos / upsample) / fs, amp


@dataclasses.dataclass
class ArrayCalibration:
    """Per-channel corrections of an array (channel order of the array).

    Attributes
    ----------
    gains : ndarray (M,)
        Multiply each channel by this (reference channel 1).
    delays_s : ndarray (M,)
        Each channel's extra latency (s) relative to the reference; corrected by delaying
        the other channels.
    polarity : ndarray (M,)
        +1 or -1.
    positions : ndarray (M, 3) or None
        Refined microphone positions (m), when measured.
    """

    gains: np.ndarray
    delays_s: np.ndarray
    polarity: np.ndarray
    positions: np.ndarray | None = None
    array: dict | None = None

    def to_params(self) -> dict:
        return {"gains": self.gains.tolist(), "delays_s": self.delays_s.tolist(), "polarity": self.polarity.tolist(),
                "positions": None if self.positions is None else self.positions.tolist(), "array": self.array}

    @classmethod
    def from_params(cls, p: dict) -> ArrayCalibration:
        pos = p.get("positions")
        return cls(np.asarray(p["gains"], float), np.asarray(p["delays_s"], float), np.asarray(p["polarity"], float),
                   None if pos is None else np.asarray(pos, float), p.get("array"))

    def save(self, path, stream: StreamInfo, *, device: str = "") -> None:
        from ..core.calibration import save_calibration

        save_calibration(path, chain="array", stream=stream, params=self.to_params(), device=device)

    def corrected_geometry(self, geom: ArrayGeometry) -> ArrayGeometry:
        if self.positions is None:
            return geom
        return ArrayGeometry(tuple(map(tuple, self.positions.tolist())), geom.name, geom.channels)


def calibrate_array(responses, geometry: ArrayGeometry, fs: float, directions, *, reference: int = 0,
                    refine_positions: bool | None = None, c: float = SPEED_OF_SOUND) -> ArrayCalibration:
    """Channel corrections from impulse responses measured from known directions.

    Parameters
    ----------
    responses : ndarray (M, L) or list of them
        One set per source direction (from :func:`measure_responses`).
    geometry : ArrayGeometry
        The nominal geometry.
    fs : float
    directions : (az, el) or list of them
        Source directions (deg) of each set, in the array's frame.
    reference : int
        The channel whose gain is 1 and delay 0.
    refine_positions : bool, optional
        Solve for positions (needs ≥ 3 directions, ≥ 4 for a 3-D array); default: when
        there are enough directions.

    Raises
    ------
    CalibrationError
        A channel without a usable response (named), or too few directions to refine.
    """
    sets = [np.asarray(responses)] if np.ndim(responses) == 2 else [np.asarray(r) for r in responses]
    dirs = [directions] if np.ndim(directions) == 1 and len(sets) == 1 else list(directions)
    if len(dirs) != len(sets):
        raise ParameterError(f"{len(sets)} response sets for {len(dirs)} directions")
    m = geometry.n_mics
    arrivals = np.zeros((len(sets), m))
    amps = np.zeros((len(sets), m))
    for s, h in enumerate(sets):
        if h.shape[0] != m:
            raise CalibrationError(f"responses have {h.shape[0]} channels but array {geometry.name!r} has {m}")
        for ch in range(m):
            if not np.isfinite(h[ch]).all() or np.abs(h[ch]).max() < 1e-6 * np.abs(h).max():
                raise CalibrationError(f"channel {geometry.channels[ch]} shows no response to the sweep (dead or "
                                       "disconnected microphone)", "check that microphone, then calibrate again")
            arrivals[s, ch], amps[s, ch] = _arrival(h[ch], fs)
    expected = np.stack([geometry.delays(float(az), float(el), c) for az, el in
                         (tuple(d) if np.ndim(d) else (d, 0.0) for d in dirs)])
    mismatch = (arrivals - arrivals[:, [reference]]) - (expected - expected[:, [reference]])
    polarity = np.sign(np.median(np.sign(amps), axis=0))
    polarity[polarity == 0] = 1
    gains = np.median(np.abs(amps[:, [reference]]) / np.abs(amps), axis=0)
    positions = None
    need = 4 if not geometry.is_planar else 3
    if refine_positions is None:
        refine_positions = len(sets) >= need
    if refine_positions:
        if len(sets) < need:
            raise CalibrationError(f"refining positions needs sweeps from >= {need} directions, got {len(sets)}")
        u = np.stack([unit_vector(*(tuple(d) if np.ndim(d) else (d, 0.0))) for d in dirs])  # (D, 3)
        tdoa = arrivals - arrivals[:, [reference]]  # (D, M)
        p_ref = geometry.xyz[reference]
        positions = geometry.xyz.copy()
        cols = [0, 1] if geometry.is_planar else [0, 1, 2]
        delays = np.zeros(m)
        for ch in range(m):
            if ch == reference:
                continue
            a = np.column_stack([-u[:, cols] / c, np.ones(len(sets))])
            sol, *_ = np.linalg.lstsq(a, tdoa[:, ch], rcond=None)
            positions[ch, cols] = p_ref[cols] + sol[:-1]
            delays[ch] = sol[-1]
        mismatch_out = delays
    else:
        mismatch_out = np.median(mismatch, axis=0)
    return ArrayCalibration(gains, mismatch_out, polarity, positions, geometry.to_dict())


def load_array_calibration(path) -> ArrayCalibration:
    """An :class:`ArrayCalibration` from its JSON file."""
    from ..core.calibration import load_calibration

    cal = load_calibration(path, chain="array")
    try:
        return ArrayCalibration.from_params(dict(cal.params))
    except (KeyError, TypeError, ValueError) as e:
        raise CalibrationError(f"{str(path)!r} is a damaged array calibration ({e})",
                               "calibrate again (sensekit calibrate array)") from None


class ArrayCorrection(Stage):
    """Apply an :class:`ArrayCalibration` to an array's audio: polarity and gain per
    channel, and fractional delays (33-tap windowed sinc) that line the channels up; the
    stream's meta gets the refined positions.

    Notes
    -----
    Latency: 16 samples plus the largest channel delay. Stateful FIR filtering, so the
    output does not depend on block sizes.
    """

    def __init__(self, calibration: ArrayCalibration) -> None:
        self.calibration = calibration

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "ArrayCorrection", regular=True, ndim=1, dtype_kinds="fiu")
        cal = self.calibration
        m = info.shape[0]
        if len(cal.gains) != m:
            raise CalibrationError(f"the array calibration is for {len(cal.gains)} channels, the stream has {m}",
                                   "use the calibration made for this array")
        geom = array_from_meta(info.meta, "ArrayCorrection", m,
                               ArrayGeometry.from_dict(cal.array) if cal.array and "array" not in info.meta else None)
        # channel ch arrives delays_s[ch] late: delay every channel by (max - own) to line them up
        fs = info.rate
        extra = (cal.delays_s.max() - cal.delays_s) * fs + 16
        k = np.arange(int(np.ceil(extra.max())) + 17)
        x = k[None, :] - extra[:, None]
        taps = np.sinc(x) * np.where(np.abs(x) <= 16, 0.5 + 0.5 * np.cos(np.pi * x / 17), 0.0)
        self._taps = taps * (cal.gains * cal.polarity)[:, None]  # (M, K)
        self._lat = float(extra.min()) / fs
        out_geom = cal.corrected_geometry(geom)
        return info.replace(dtype="float64", meta={**dict(info.meta), "array": out_geom.to_dict(),
                                                   "array_calibrated": True})

    @property
    def latency_s(self) -> float:
        return self._lat if self.input_info is not None else 0.0

    def _reset(self) -> None:
        self._hist = np.zeros((self._taps.shape[1] - 1, self.input_info.shape[0]))

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        x = np.concatenate([self._hist, np.asarray(frame.data, dtype=np.float64)])
        from scipy.signal import fftconvolve

        y = np.stack([fftconvolve(x[:, ch], self._taps[ch], mode="valid") for ch in range(x.shape[1])], axis=1) \
            if frame.n > 256 else np.stack([np.convolve(x[:, ch], self._taps[ch], mode="valid")
                                            for ch in range(x.shape[1])], axis=1)
        self._hist = x[-(self._taps.shape[1] - 1):]
        return Frame._trusted(self.output_info, y, frame.t0, None, frame.seq)
