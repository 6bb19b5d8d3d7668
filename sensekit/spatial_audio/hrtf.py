"""Head-related transfer functions: SOFA files, a spherical-head model, interpolation.

Directions follow SOFA: azimuth counter-clockwise from the front (90° = left),
elevation up; ears are channel 0 (left) and 1 (right).

- :meth:`HRTF.from_sofa` reads SimpleFreeFieldHRIR files with ``sofar`` (SOFA 1.x and
  the preliminary 0.6 of CIPIC), adding ``Data.Delay``; :meth:`HRTF.resample` converts
  the rate.
- :func:`spherical_head` is the built-in default that needs no file: Brown & Duda's
  (1998) head-shadow filter with Woodworth's ITD, on a 5° × 10° grid.
- :meth:`HRTF.interpolate` gives the response for any direction: barycentric weights on
  the spherical triangulation of the measured directions, applied to *time-aligned*
  responses (each ear's onset removed), with the onsets interpolated separately and put
  back as fractional delays — so interpolated responses do not comb-filter.
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path

import numpy as np

from ..core.checks import not_a_file
from ..errors import ParameterError, RecordingError
from .arrays import SPEED_OF_SOUND, unit_vector

__all__ = ["HRTF", "spherical_head", "load_hrtf", "woodworth_itd", "onset_times", "ear_onsets", "hrtf_diagnostics"]

HEAD_RADIUS_M = 0.0875

_USUAL_RATES = {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000, 176400, 192000}
#: Largest SOFA file read, in values of all its variables: 2**25, 256 MiB as float64, five times
#: the largest published free-field HRIR sets (ARI 1550 x 2 x 256, FABIAN 11950 x 2 x 256: 6 M);
#: a file stating more is refused before it is read (an 8 kB file of compressed zeros had stated
#: 4 GB, and the analysis ran out of memory with a traceback).
MAX_HRIR_SAMPLES = 2**25
#: Largest response sample read: an HRIR is a pressure ratio (near 1); even raw 32-bit counts stay
#: below this, and larger values overflow the analysis (a file scaled by 1e300 did).
MAX_HRIR_PEAK = 1e10
#: Smallest peak response read: below it the responses' energies underflow (and render silence).
MIN_HRIR_PEAK = 1e-20
#: Longest response read (taps): 1.4 s at 48 kHz, far beyond any anechoic HRIR.
MAX_HRIR_TAPS = 2**16

log = logging.getLogger("sensekit")


def _listener_directions(s, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Source directions (deg) relative to the listener: ``SourcePosition`` in degrees or
    radians (its ``Units``) or cartesian, relative to ``ListenerPosition``, turned into the frame
    of ``ListenerView`` (front) and ``ListenerUp``."""
    pos = np.asarray(s.SourcePosition, dtype=np.float64).reshape(-1, 3)
    units = str(getattr(s, "SourcePosition_Units", "degree")).lower()
    if str(getattr(s, "SourcePosition_Type", "spherical")).lower() == "cartesian":
        xyz = pos
    else:
        ang = pos[:, :2] if "radian" not in units else np.degrees(pos[:, :2])
        xyz = unit_vector(ang[:, 0], ang[:, 1]) * np.where(pos[:, 2:3] > 0, pos[:, 2:3], 1.0)
    listener = np.asarray(getattr(s, "ListenerPosition", np.zeros(3)), dtype=np.float64).reshape(-1, 3)[0]
    view = np.asarray(getattr(s, "ListenerView", [1.0, 0.0, 0.0]), dtype=np.float64).reshape(-1, 3)[0]
    up = np.asarray(getattr(s, "ListenerUp", [0.0, 0.0, 1.0]), dtype=np.float64).reshape(-1, 3)[0]
    if str(getattr(s, "ListenerView_Type", "cartesian")).lower() == "spherical":
        vunits = str(getattr(s, "ListenerView_Units", "degree")).lower()
        a = view[:2] if "radian" not in vunits else np.degrees(view[:2])
        view, up = unit_vector(a[0], a[1]), up if np.linalg.norm(up) > 0 else np.array([0.0, 0.0, 1.0])
    if not (np.isfinite(pos).all() and np.isfinite(view).all() and np.isfinite(up).all()) or not np.abs(view).max() > 0:
        raise RecordingError(f"{name}: SourcePosition or ListenerView holds non-finite or zero values")
    view, up = view / np.abs(view).max(), up / max(np.abs(up).max(), 1e-300)  # (a norm of 1e300 overflows)
    front = view / np.linalg.norm(view)
    top = up - (up @ front) * front
    top = top / np.linalg.norm(top) if np.linalg.norm(top) > 1e-9 else np.array([0.0, 0.0, 1.0])
    left = np.cross(top, front)
    rel = (xyz - (listener if str(getattr(s, "SourcePosition_Type", "")).lower() == "cartesian" else 0.0)) @ np.stack(
        [front, left, top]).T
    az = np.degrees(np.arctan2(rel[:, 1], rel[:, 0]))
    el = np.degrees(np.arctan2(rel[:, 2], np.hypot(rel[:, 0], rel[:, 1])))
    return az, el


def onset_times(ir: np.ndarray, rate: float, threshold_db: float = -20.0, upsample: int = 8) -> np.ndarray:
    """Onset (s) of each response in ``ir`` (..., N): the first crossing of
    ``threshold_db`` below its peak, on a ``upsample``× band-limited interpolation."""
    from scipy.signal import resample

    up = resample(ir, ir.shape[-1] * upsample, axis=-1)
    a = np.abs(up)
    thr = a.max(axis=-1, keepdims=True) * 10 ** (threshold_db / 20)
    return np.argmax(a >= thr, axis=-1) / (rate * upsample)


def ear_onsets(ir: np.ndarray, rate: float, threshold_db: float = -20.0, upsample: int = 8,
               max_itd_s: float = 1.2e-3, median_plane_db: float = 3.0) -> np.ndarray:
    """Onsets (s) of both ears of each response (D, 2, N), robust to a far ear's pre-ringing.

    Each ear's onset is the first crossing of ``threshold_db`` below its peak. Where the far
    (quieter) ear's comes before the near ear's, or more than ``max_itd_s`` after it, its
    pre-ringing (or an echo) crossed the threshold: its onset is then the near ear's plus the
    lag that best aligns the two ears' envelopes (never negative). So the ear that leads is
    always the louder one: ITD and ILD cannot disagree. Where the ears' levels differ by less
    than ``median_plane_db`` (near the median plane) the far ear's onset is the near ear's plus
    that envelope lag, of either sign. Other well-behaved responses keep their threshold onsets.
    """
    from scipy.signal import resample

    ir = np.asarray(ir, dtype=np.float64)
    onsets = onset_times(ir, rate, threshold_db, upsample)  # (D, 2)
    energy = (ir ** 2).sum(axis=-1)  # (D, 2)
    near = np.argmax(energy, axis=1)
    far = 1 - near
    rows = np.arange(len(ir))
    t_near, t_far = onsets[rows, near], onsets[rows, far]
    env = np.abs(resample(ir, ir.shape[-1] * upsample, axis=-1))
    fs = rate * upsample
    n = env.shape[-1]
    max_lag = min(int(np.ceil(max_itd_s * fs)), n - 1)  # (a response shorter than the largest ITD)
    nfft = int(2 ** np.ceil(np.log2(2 * n)))
    a, b = env[rows, near], env[rows, far]
    xc = np.fft.irfft(np.fft.rfft(b, nfft) * np.conj(np.fft.rfft(a, nfft)), nfft)  # lag of far vs near
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    best = lags[np.argmax(xc[:, lags], axis=1)] if len(ir) else np.zeros(0, dtype=int)
    lag_s = np.maximum(best, 0) / fs  # the far ear never leads
    trusted = (t_far >= t_near) & (t_far - t_near <= max_itd_s)
    # near the median plane the ears are about as loud and the threshold may catch different
    # peaks of the two: there the envelopes' lag (either sign) is the ITD
    level_db = 10 * np.log10(np.maximum(energy[rows, near], 1e-300) / np.maximum(energy[rows, far], 1e-300))
    median_plane = level_db < median_plane_db
    t_far = np.where(median_plane, t_near + best / fs, np.where(trusted, t_far, t_near + lag_s))
    out = np.empty_like(onsets)
    out[rows, near], out[rows, far] = t_near, t_far
    return out


def content_band_edge(ir: np.ndarray, rate: float, drop_db: float = 30.0, cliff_db: float = 15.0) -> float | None:
    """A usual sampling rate below ``rate`` at whose Nyquist frequency the responses' spectrum
    ends, or ``None``: either ``drop_db`` lower everywhere above it than just below it, or a
    cliff of ``cliff_db`` within ±3 % of it (a brick-wall resampler's edge).

    Tells a set resampled from 44.1 kHz to 88.2/96 kHz or, by an FFT resampler, to 48 kHz, or
    one stored at a wrong rate. A gentle polyphase resampling from 44.1 to 48 kHz leaves an edge
    no steeper than a natural roll-off (FHK's KU100 falls 8.5 dB there), and is not flagged.
    """
    n = max(16 * ir.shape[-1], 8192)
    rows = np.asarray(ir, dtype=np.float64).reshape(-1, ir.shape[-1])
    if not len(rows):
        return None
    step = max(2**22 // n, 1)  # rows at a time: the padded spectra of a whole set would be 16 times its size
    power = sum(np.sum(np.abs(np.fft.rfft(rows[i:i + step], n, axis=-1)) ** 2, axis=0)
                for i in range(0, len(rows), step)) / len(rows)
    f = np.fft.rfftfreq(n, 1 / rate)

    def level(lo: float, hi: float) -> float:
        sel = power[(f >= lo) & (f <= hi)]
        return float(sel.mean()) if len(sel) else float("nan")

    for r in sorted(_USUAL_RATES, reverse=True):  # the highest rate whose band the content fills
        nyq = r / 2
        if not 1.06 * nyq < 0.99 * rate / 2:  # a band above its Nyquist frequency wide enough to measure
            continue
        wide = level(0.85 * nyq, 0.93 * nyq) > 10 ** (drop_db / 10) * max(level(1.03 * nyq, 0.99 * rate / 2), 1e-300)
        cliff = level(0.95 * nyq, 0.99 * nyq) > 10 ** (cliff_db / 10) * max(level(1.01 * nyq, 1.05 * nyq), 1e-300)
        if wide or cliff:
            return float(r)
    return None


def woodworth_itd(azimuth_deg, elevation_deg=0.0, radius: float = HEAD_RADIUS_M, c: float = SPEED_OF_SOUND):
    """Woodworth's interaural time difference (s; positive: the left ear leads) of a
    rigid sphere, for the lateral angle of each direction."""
    u = unit_vector(azimuth_deg, elevation_deg)
    lateral = np.arcsin(np.clip(u[..., 1], -1, 1))  # angle from the median plane, +left
    return radius / c * (lateral + np.sin(lateral))


def _fractional_delay(x: np.ndarray, delay: np.ndarray) -> np.ndarray:
    """Delay each row of ``x`` (..., N) by ``delay`` samples (...,) in the frequency domain
    (zero-padded to avoid wrap-around)."""
    n = x.shape[-1]
    nfft = int(2 ** np.ceil(np.log2(2 * n)))
    f = np.fft.rfftfreq(nfft)
    X = np.fft.rfft(x, nfft, axis=-1) * np.exp(-2j * np.pi * f * np.asarray(delay)[..., None])
    return np.fft.irfft(X, nfft, axis=-1)[..., :n]


@dataclasses.dataclass
class HRTF:
    """A set of head-related impulse responses.

    Attributes
    ----------
    ir : ndarray (D, 2, N)
        Responses per direction, left and right ear.
    rate : float
        Sampling rate (Hz).
    azimuth, elevation : ndarray (D,)
        Directions (deg, SOFA convention).
    name : str
    """

    ir: np.ndarray
    rate: float
    azimuth: np.ndarray
    elevation: np.ndarray
    name: str = "hrtf"
    removed_delay_s: float = 0.0

    def __post_init__(self) -> None:
        self.ir = np.asarray(self.ir, dtype=np.float64)
        if self.ir.ndim != 3 or self.ir.shape[1] != 2:
            raise ParameterError(f"HRTF {self.name!r}: responses must be (directions, 2 ears, taps), got {self.ir.shape}")
        self.azimuth = np.asarray(self.azimuth, dtype=np.float64) % 360
        self.elevation = np.asarray(self.elevation, dtype=np.float64)
        self._tri: _Interpolator | None = None

    @property
    def n_taps(self) -> int:
        return self.ir.shape[2]

    @property
    def n_directions(self) -> int:
        return self.ir.shape[0]

    @classmethod
    def from_sofa(cls, path, *, rate: float | None = None, remove_common_delay: bool = True) -> HRTF:
        """Read a SimpleFreeFieldHRIR SOFA file (or a SimpleFreeFieldHRTF one: its complex spectra become
        the responses, its top frequency half the rate).

        Honoured: ``SourcePosition:Units`` (degrees or radians), ``ListenerView`` and
        ``ListenerUp`` (directions are made relative to where the listener looks), and
        ``Data.Delay`` (added to the responses). ``rate`` overrides ``Data.SamplingRate`` (a
        rate that is not a usual audio rate gives a warning). With ``remove_common_delay``,
        the delay before the earliest onset of any direction and ear (less 8 samples) is cut
        from every response: onset-free sets with a large ``Data.Delay`` render with short
        filters and no needless latency; the cut is kept in :attr:`removed_delay_s`.
        """
        path = Path(path)
        if not path.is_file():
            raise RecordingError(f"HRTF file {str(path)!r} {not_a_file(path)}", "check the path")
        try:
            import sofar
        except ImportError:
            raise ParameterError("reading SOFA files needs sofar", "pip install 'sensekit[spatial]'") from None
        _check_stated_size(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = sofar.read_sofa(str(path), verify=False, verbose=False)
        except Exception as e:  # noqa: BLE001 - netCDF/HDF5 errors of a damaged file
            raise RecordingError(f"{path.name} is not a readable SOFA file ({e})", "check the file") from None
        conv = str(getattr(s, "GLOBAL_SOFAConventions", ""))
        if conv == "SimpleFreeFieldHRTF":  # complex spectra: the same responses, in frequency
            ir, stated = _responses_of_spectra(s, path.name)
        elif conv == "SimpleFreeFieldHRIR":
            ir = np.asarray(s.Data_IR, dtype=np.float64)
            stated = float(np.asarray(s.Data_SamplingRate).ravel()[0])
        else:
            raise RecordingError(f"{path.name} is a {conv or 'unknown'} SOFA file (field GLOBAL:SOFAConventions); "
                                 "binaural rendering needs SimpleFreeFieldHRIR or SimpleFreeFieldHRTF",
                                 "use an HRIR set in one of those conventions")
        if ir.ndim != 3 or ir.shape[1] != 2:
            raise RecordingError(f"{path.name}: Data.IR has shape {ir.shape}; expected (M, 2, N)")
        if not np.isfinite(ir).all():
            raise RecordingError(f"{path.name}: Data.IR holds NaN or infinite values")
        peak = float(np.abs(ir).max(initial=0.0))
        if not MIN_HRIR_PEAK <= peak <= MAX_HRIR_PEAK:
            raise RecordingError(f"{path.name}: Data.IR " + ("is all zeros" if peak == 0 else
                                                           f"peaks at {peak:.3g}, beyond any HRIR's scale"),
                                 "check the file")
        if peak < 1e-6:
            log.warning("%s: the responses peak at %.3g, so what they render is nearly silent; check the file's "
                        "scaling", path.name, peak)
        if rate is None:
            rate = stated
            if np.isfinite(rate) and round(rate) not in _USUAL_RATES:
                log.warning("%s states a sampling rate of %g Hz, not a usual audio rate; if it is wrong, give the "
                            "right one (--hrtf-rate)", path.name, rate)
        if not (np.isfinite(rate) and 1000 <= rate <= 768000):
            raise RecordingError(f"{path.name}: sampling rate {rate!r} Hz is not plausible", "give --hrtf-rate")
        band_edge = content_band_edge(ir, rate)
        if band_edge is not None:
            log.warning("%s: the responses hold almost nothing above %.1f kHz, the Nyquist frequency of %g Hz, "
                        "though the file says %g Hz: resampled from %g Hz, or is that their true rate? If so, "
                        "give --hrtf-rate %g", path.name, band_edge / 2000, band_edge, rate, band_edge, band_edge)
        az, el = _listener_directions(s, path.name)
        silent = np.flatnonzero(np.abs(ir).max(axis=(1, 2)) < 1e-6 * peak)  # 120 dB under the set's peak
        if len(silent):
            log.warning("%s: %d of its %d directions have silent responses (from az %.1f, el %.1f deg): a source "
                        "there is not heard", path.name, len(silent), len(ir), az[silent[0]], el[silent[0]])
        delay = np.broadcast_to(np.asarray(getattr(s, "Data_Delay", 0.0), dtype=np.float64).reshape(-1, 2)
                                if conv == "SimpleFreeFieldHRIR" else np.zeros((1, 2)), (ir.shape[0], 2))
        if not np.isfinite(delay).all() or (delay < 0).any() or delay.max() > 10 * rate:
            raise RecordingError(f"{path.name}: Data.Delay holds negative, non-finite or absurd values")
        if np.any(delay != 0):
            pad = int(np.ceil(delay.max())) + 1
            ir = _fractional_delay(np.concatenate([ir, np.zeros((*ir.shape[:2], pad))], axis=2), delay)
        removed = 0
        if remove_common_delay and ir.shape[2] > 16:
            first = float(onset_times(ir, rate).min()) * rate
            removed = max(int(np.floor(first)) - 8, 0)
            if removed:
                ir = ir[:, :, removed:]
        out = cls(ir, float(rate), az, el, path.stem)
        out.removed_delay_s = removed / float(rate)
        return out

    def resample(self, rate: float) -> HRTF:
        """The same set at another sampling rate (polyphase)."""
        if rate == self.rate:
            return self
        from fractions import Fraction

        from scipy.signal import resample_poly

        fr = Fraction(float(rate) / self.rate).limit_denominator(1000)
        taps = -(-self.n_taps * fr.numerator // fr.denominator)
        if taps > MAX_HRIR_TAPS or taps * 2 * self.n_directions > MAX_HRIR_SAMPLES:
            raise ParameterError(f"HRTF {self.name!r} at {self.rate:g} Hz resampled to {rate:g} Hz would have "
                                 f"responses of {taps} taps ({taps / rate:.2g} s) in {self.n_directions} directions, "
                                 f"more than an HRIR set holds (at most {MAX_HRIR_TAPS} taps, "
                                 f"{MAX_HRIR_SAMPLES:.3g} values)", "check the set's rate (--hrtf-rate) and the "
                                 "input's")
        ir = resample_poly(self.ir, fr.numerator, fr.denominator, axis=2)
        return HRTF(ir, float(rate), self.azimuth, self.elevation, self.name, self.removed_delay_s)

    # -- lookup --------------------------------------------------------------------
    def _interp(self) -> _Interpolator:
        if self._tri is None:
            self._tri = _Interpolator(self)
        return self._tri

    def weights(self, azimuth_deg, elevation_deg=0.0) -> tuple[np.ndarray, np.ndarray]:
        """Indices (..., 3) of the measured directions around each direction and their
        barycentric weights (..., 3), summing to 1."""
        return self._interp().weights(azimuth_deg, elevation_deg)

    def nearest(self, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
        """The measured response closest to a direction: (2, N)."""
        u = unit_vector(azimuth_deg, elevation_deg)
        return self.ir[int(np.argmax(unit_vector(self.azimuth, self.elevation) @ u))]

    def interpolate(self, azimuth_deg, elevation_deg=0.0) -> np.ndarray:
        """Responses (..., 2, N) for any directions: barycentric interpolation of
        time-aligned responses, with interpolated onsets put back as fractional delays."""
        return self._interp().responses(azimuth_deg, elevation_deg)

    def itd(self) -> np.ndarray:
        """ITD (s; positive when the left ear leads) of every measured direction, from the
        ears' onsets (:func:`ear_onsets`: −20 dB threshold, robust to pre-ringing): the
        high-frequency ITD that Woodworth's formula describes (the low-frequency,
        cross-correlation ITD of a sphere is up to 1.5× it)."""
        on = ear_onsets(self.ir, self.rate)
        return on[:, 1] - on[:, 0]

    def ild_db(self, band: tuple = (1000.0, 8000.0)) -> np.ndarray:
        """ILD (dB; left over right) in a band, per measured direction."""
        spec = np.abs(np.fft.rfft(self.ir, 4 * self.n_taps, axis=2)) ** 2
        f = np.fft.rfftfreq(4 * self.n_taps, 1 / self.rate)
        m = (f >= band[0]) & (f <= band[1])
        e = spec[:, :, m].sum(axis=2)
        return 10 * np.log10(e[:, 0] / e[:, 1])


class _Interpolator:
    """Vectorised direction lookup on the convex hull of the measured directions."""

    def __init__(self, hrtf: HRTF) -> None:
        from scipy.spatial import ConvexHull, QhullError

        pts = unit_vector(hrtf.azimuth, hrtf.elevation)
        n = len(pts)
        # a direction measured twice (a pole at several azimuths, a repeated row) would make a
        # triangle of no area: the first of each is used
        _, keep = np.unique(np.round(pts, 6), axis=0, return_index=True)
        keep = np.sort(keep)
        if len(keep) < n:
            log.warning("HRTF %r: %d of its %d directions repeat another; the first of each is used", hrtf.name,
                        n - len(keep), n)
        pts = pts[keep]
        if np.ptp(hrtf.elevation[keep]) < 1e-6 or len(pts) < 4:
            raise ParameterError(f"HRTF {hrtf.name!r} has directions in one plane only; interpolation needs a "
                                 "spherical grid")
        pole = hrtf.elevation.min() > -89
        if pole:  # close the hole below the lowest ring with a pole
            pts = np.vstack([pts, [[0.0, 0.0, -1.0]]])
            keep = np.append(keep, n)  # (the pole's response is appended after the measured ones)
        try:
            hull = ConvexHull(pts, qhull_options="QJ")  # joggled: every direction becomes a vertex
        except QhullError as e:  # (points qhull cannot span)
            raise ParameterError(f"HRTF {hrtf.name!r}: its directions span no sphere ({str(e).splitlines()[0]})",
                                 "check the file's SourcePosition") from None
        eq = hull.equations  # of the joggled hull: n·x + d = 0, outward n, d < 0 (origin inside)
        if (eq[:, 3] > -1e-3).any():
            raise ParameterError(f"HRTF {hrtf.name!r}: its directions do not surround the listener (they leave "
                                 "out half the sphere or more, or lie on one great circle); interpolation needs "
                                 "directions all around the head", "check the file's SourcePosition and ListenerView")
        self.pts, self.simplices, self.n = pts, keep[hull.simplices], n
        self.exit = eq[:, :3] / -eq[:, 3:4]  # the ray along u leaves through argmax(exit @ u)
        self.inv = np.linalg.inv(np.transpose(pts[hull.simplices], (0, 2, 1)))  # (T, 3, 3): u → barycentric
        self.onsets = ear_onsets(hrtf.ir, hrtf.rate)  # (D, 2) s, robust to pre-ringing
        self.rate = hrtf.rate
        self.ref = float(self.onsets.min())
        self.aligned = _fractional_delay(hrtf.ir, -(self.onsets - self.ref) * hrtf.rate)
        if pole:  # the pole's response: the mean of the lowest ring, aligned
            low = hrtf.elevation <= hrtf.elevation.min() + 1e-6
            self.aligned = np.concatenate([self.aligned, self.aligned[low].mean(axis=0, keepdims=True)])
            self.onsets = np.concatenate([self.onsets, self.onsets[low].mean(axis=0, keepdims=True)])

    def weights(self, azimuth_deg, elevation_deg=0.0):
        u = unit_vector(azimuth_deg, elevation_deg)
        shape = u.shape[:-1]
        u = u.reshape(-1, 3)
        face = np.argmax(u @ self.exit.T, axis=1)
        w = np.einsum("tij,tj->ti", self.inv[face], u)
        w = np.clip(w, 0, None)
        w /= w.sum(axis=1, keepdims=True)
        return self.simplices[face].reshape(*shape, 3), w.reshape(*shape, 3)

    def responses(self, azimuth_deg, elevation_deg=0.0) -> np.ndarray:
        idx, w = self.weights(azimuth_deg, elevation_deg)
        base = np.einsum("...k,...kcn->...cn", w, self.aligned[idx])
        onset = np.einsum("...k,...kc->...c", w, self.onsets[idx])
        return _fractional_delay(base, (onset - self.ref) * self.rate)


def hrtf_diagnostics(h: HRTF, itd: np.ndarray | None = None, ild: np.ndarray | None = None) -> dict:
    """How regular a set is: the angle from each direction to its nearest neighbour, the ITD
    change to that neighbour (a jagged ITD curve shows as large jumps), and how many directions'
    ITD (> 20 µs) and ILD (> 1 dB) point to different sides."""
    itd = h.itd() if itd is None else itd
    ild = h.ild_db() if ild is None else ild
    _, nearest, spacing = _neighbours(h)
    jump = np.abs(itd - itd[nearest]) * 1e6
    disagree = int(((np.sign(itd) != np.sign(ild)) & (np.abs(ild) > 1) & (np.abs(itd) > 20e-6)).sum())
    return {"spacing_median_deg": float(np.median(spacing)), "spacing_max_deg": float(spacing.max()),
            "itd_jump_median_us": float(np.median(jump)), "itd_jump_max_us": float(jump.max()),
            "itd_ild_disagree": disagree}


def uncovered_directions(h: HRTF, azimuth_deg, elevation_deg) -> list[tuple[int, float, float]]:
    """The directions a set does not measure near: ``(index, angle to the nearest measured
    direction, the set's widest neighbour spacing)`` (deg) for each direction farther from every
    measured one than any measured direction is from its nearest neighbour (below a set's lowest
    ring, in a gap of its grid). Their responses are interpolated across the gap.

    Examples
    --------
    >>> h = spherical_head(48000.0)
    >>> uncovered_directions(h, [30.0], [0.0])
    []
    """
    tree, _, spacing = _neighbours(h)
    q = unit_vector(np.atleast_1d(np.asarray(azimuth_deg, dtype=float)),
                    np.atleast_1d(np.asarray(elevation_deg, dtype=float)))
    gap = _chord_to_deg(tree.query(q.reshape(-1, 3))[0])
    widest = float(spacing.max())
    return [(int(i), float(gap[i]), widest) for i in np.flatnonzero(gap > widest)]


def _chord_to_deg(chord):
    """The angle (deg) between two unit vectors ``chord`` apart."""
    return np.degrees(2 * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1)))


def _neighbours(h: HRTF):
    """A KD-tree of the set's direction vectors, each direction's nearest neighbour (index) and the
    angle to it (deg): O(D log D), where a D x D matrix of a dense set (12,000 directions) would
    take a gigabyte."""
    from scipy.spatial import cKDTree

    u = unit_vector(h.azimuth, h.elevation)
    tree = cKDTree(u)
    dist, index = tree.query(u, k=2)
    return tree, index[:, 1], _chord_to_deg(dist[:, 1])


def spherical_head(rate: float = 48000.0, *, radius: float = HEAD_RADIUS_M, n_taps: int = 256,
                   azimuth_step: float = 5.0, elevation_step: float = 10.0, c: float = SPEED_OF_SOUND) -> HRTF:
    """Brown & Duda's spherical-head model on a grid: per ear a one-pole/one-zero head
    shadow ``(1 + jαω/2ω0) / (1 + jω/2ω0)`` (ω0 = c/a, α from 1.05 facing the ear to 0.1
    at 150° away) and Woodworth's delay; ears at ±90° azimuth."""
    az, el = np.meshgrid(np.arange(0, 360, azimuth_step), np.arange(-80, 89.9, elevation_step))
    az, el = np.r_[az.ravel(), 0.0, 0.0], np.r_[el.ravel(), 90.0, -90.0]
    u = unit_vector(az, el)
    nfft = 4 * n_taps
    f = np.fft.rfftfreq(nfft, 1 / rate)
    w0 = c / radius
    ir = np.zeros((len(az), 2, n_taps))
    for ear, side in ((0, 1.0), (1, -1.0)):
        cos_inc = u[:, 1] * side  # angle between the source and this ear's axis
        theta = np.degrees(np.arccos(np.clip(cos_inc, -1, 1)))
        alpha = 1.05 + 0.95 * np.cos(np.radians(theta / 150.0 * 180.0))
        alpha = np.where(theta > 150, 0.1, alpha)
        # Woodworth: delay to this ear relative to the head centre
        delay = np.where(theta < 90, -radius / c * np.cos(np.radians(theta)),
                         radius / c * (np.radians(theta) - np.pi / 2))
        delay = delay + radius / c + 8 / rate  # causal, with room for the interpolation filter
        w = 2 * np.pi * f
        H = (1 + 1j * alpha[:, None] * w / (2 * w0)) / (1 + 1j * w / (2 * w0))
        H = H * np.exp(-1j * w[None, :] * delay[:, None])
        h = np.fft.irfft(H, nfft, axis=1)[:, :n_taps]
        ir[:, ear] = h * np.hanning(2 * n_taps)[n_taps:][None, :] ** 0.25  # taper the tail
    return HRTF(ir, float(rate), az, el, "spherical-head")


def load_hrtf(spec: str | None, rate: float, *, hrtf_rate: float | None = None) -> HRTF:
    """``None`` or ``"sphere"`` → :func:`spherical_head`; else a SOFA file (its stated rate
    overridden by ``hrtf_rate``), resampled to ``rate``."""
    if spec in (None, "", "sphere", "spherical-head"):
        return spherical_head(rate)
    return HRTF.from_sofa(spec, rate=hrtf_rate).resample(rate)


def _check_stated_size(path: Path) -> None:
    """Refuse a SOFA file whose variables state more than :data:`MAX_HRIR_SAMPLES` values in all,
    or responses longer than :data:`MAX_HRIR_TAPS`, before anything is read (sizes are in the
    HDF5 header; compressed, a few kB can state gigabytes). A file h5py cannot open is left to
    the SOFA reader's own error."""
    import h5py

    sizes: dict[str, tuple] = {}
    try:
        with h5py.File(path, "r") as f:
            f.visititems(lambda name, obj: sizes.__setitem__(name, obj.shape) if isinstance(obj, h5py.Dataset)
                         else None)
    except Exception:  # noqa: BLE001 - not HDF5 (or damaged): sofar says what is wrong
        return
    total = sum(float(np.prod(shape, dtype=np.float64)) for shape in sizes.values() if shape is not None)
    ir = sizes.get("Data.IR") or ()
    if (len(ir) == 3 and ir[2] > MAX_HRIR_TAPS) or total > MAX_HRIR_SAMPLES:
        stated = f"Data.IR {' x '.join(map(str, ir))}, " if ir else ""
        raise RecordingError(f"{path.name} states {stated}{total:.3g} values in all ({total * 8 / 2**30:.1f} GiB), "
                             f"more than an HRIR set holds (at most {MAX_HRIR_TAPS} taps, "
                             f"{MAX_HRIR_SAMPLES * 8 / 2**30:.0f} GiB)", "check the file")


def _responses_of_spectra(s, name: str) -> tuple[np.ndarray, float]:
    """A SimpleFreeFieldHRTF file's responses (M, 2, taps) from its complex spectra (``Data.Real``,
    ``Data.Imag`` at the frequencies ``N``, 0 Hz to half the rate in equal steps), and that rate."""
    real = np.asarray(s.Data_Real, dtype=np.float64)
    imag = np.asarray(s.Data_Imag, dtype=np.float64)
    freqs = np.asarray(s.N, dtype=np.float64).ravel()
    if real.shape != imag.shape or real.ndim != 3 or real.shape[2] != freqs.size or freqs.size < 3:
        raise RecordingError(f"{name}: Data.Real {real.shape}, Data.Imag {imag.shape} and N ({freqs.size} frequencies) "
                             "do not agree", "check the file")
    steps = np.diff(freqs)
    if not (np.isfinite(freqs).all() and freqs[0] == 0 and steps[0] > 0 and np.allclose(steps, steps[0], rtol=1e-6)):
        raise RecordingError(f"{name}: its frequencies N do not run from 0 Hz to half the rate in equal steps "
                             f"({freqs[0]:g} .. {freqs[-1]:g} Hz)", "use the set's HRIR version")
    if not (np.isfinite(real).all() and np.isfinite(imag).all()):
        raise RecordingError(f"{name}: Data.Real or Data.Imag holds NaN or infinite values")
    return np.fft.irfft(real + 1j * imag, n=2 * (freqs.size - 1), axis=2), float(2 * freqs[-1])
