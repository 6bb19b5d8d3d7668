"""Microphone array → Ambisonics: capturing a real sound field.

:func:`encoding_filters` designs, for any geometry (:class:`~sensekit.spatial_audio.arrays.
ArrayGeometry`: open or rigid-sphere, omni or cardioid capsules), the FIR filters that turn the
``M`` microphone signals into ``(order + 1)²`` Ambisonic channels. At every frequency the
encoding matrix is the regularised least-squares fit of the array's plane-wave response to the
spherical harmonics on a dense grid of directions (the model-based approach of SAF's
``array2sh`` and of spaudiopy, solved per frequency instead of per order):

- the array response is modelled exactly: free-field phase delays for an open array, the
  scattering series of a rigid sphere for a spherical array, cardioid capsule patterns;
- Tikhonov regularisation (``reg_db``) bounds the noise amplification, so at low frequencies
  the higher orders fade out instead of amplifying the microphones' noise; above the spatial-aliasing frequency the fit
  degrades, and :class:`EncoderReport` states each order's usable band (where the fit's
  error is below -10 dB);
- planar arrays (ReSpeaker, UMA-8) cannot tell up from down: they encode horizontally only, the
  sectoral channels up to order ``(M - 1) // 2`` (mixed order), the others silent.

:class:`AmbisonicEncoder` runs the filters as a stage (uniformly partitioned convolution:
block-invariant). Channels are ACN-ordered, N3D inside sensekit, SN3D in AmbiX files
(:func:`to_sn3d`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..errors import ParameterError
from .ambisonics import _fibonacci_grid, sh_matrix, sh_orders
from .arrays import SPEED_OF_SOUND, ArrayGeometry, unit_vector
from .renderer import PartitionedFIR

__all__ = ["array_response", "max_order", "encoding_filters", "EncoderReport", "AmbisonicEncoder", "encode_recording",
           "to_sn3d", "from_sn3d", "plane_wave_recording"]


def to_sn3d(b: np.ndarray) -> np.ndarray:
    """N3D → SN3D (AmbiX) along the last axis."""
    q = b.shape[-1]
    return b / np.sqrt(2 * sh_orders(int(round(np.sqrt(q))) - 1) + 1)


def from_sn3d(b: np.ndarray) -> np.ndarray:
    """SN3D (AmbiX) → N3D along the last axis."""
    q = b.shape[-1]
    return b * np.sqrt(2 * sh_orders(int(round(np.sqrt(q))) - 1) + 1)


def max_order(geom: ArrayGeometry) -> int:
    """The highest order a geometry can encode: ``(M - 1) // 2`` horizontally for a planar
    array, ``floor(sqrt(M)) - 1`` in 3-D."""
    m = geom.n_mics - (1 if geom.is_planar and np.any(np.linalg.norm(geom.xyz, axis=1) < 1e-6) else 0)
    return max((m - 1) // 2, 0) if geom.is_planar else int(np.floor(np.sqrt(geom.n_mics))) - 1


def array_response(geom: ArrayGeometry, freqs: np.ndarray, azimuth_deg, elevation_deg,
                   c: float = SPEED_OF_SOUND) -> np.ndarray:
    """Pressure at each microphone for a unit plane wave from each direction: ``(F, D, M)``
    complex, in numpy's FFT convention (a wave reaching a microphone ``tau`` seconds before the
    origin has the phase ``exp(+2j pi f tau)``)."""
    u = unit_vector(azimuth_deg, elevation_deg).reshape(-1, 3)  # (D, 3)
    x = geom.xyz
    k = 2 * np.pi * np.asarray(freqs, dtype=np.float64) / c  # (F,)
    if geom.baffle == "rigid":
        from scipy.special import eval_legendre, spherical_jn, spherical_yn

        r = geom.radius
        v = x / np.linalg.norm(x, axis=1, keepdims=True)
        cosg = np.clip(u @ v.T, -1, 1)  # (D, M)
        kr = np.maximum(k * r, 1e-6)
        n_max = int(np.ceil(kr.max())) + 12
        p = np.zeros((len(k), *cosg.shape), dtype=complex)
        for n in range(n_max + 1):
            jn, jd = spherical_jn(n, kr), spherical_jn(n, kr, derivative=True)
            yn, yd = spherical_yn(n, kr), spherical_yn(n, kr, derivative=True)
            b = jn - jd * (jn + 1j * yn) / (jd + 1j * yd)  # rigid-sphere mode strength (e^{-iwt})
            p += ((2 * n + 1) * 1j**n * np.conj(b))[:, None, None] * eval_legendre(n, cosg)[None]
    else:
        p = np.exp(1j * k[:, None, None] * (u @ x.T)[None])
    if geom.directivity == "cardioid":
        axes = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        p = p * (0.5 + 0.5 * (u @ axes.T))[None]
    return p


@dataclasses.dataclass
class EncoderReport:
    """How well the filters encode: per order, the band where the fit's error is below -10 dB,
    and the largest noise gain in that band (dB: the microphones' uncorrelated noise in the
    order's channels relative to the signal they carry, 0 dB for the omni channel of ``M``
    averaged omni microphones; the inverse of the white-noise gain)."""

    order: int
    horizontal: bool
    usable_hz: dict[int, tuple[float, float] | None]
    noise_gain_db: dict[int, float]
    aliasing_hz: float

    def lines(self) -> list[str]:
        out = []
        for n, band in self.usable_hz.items():
            where = f"{band[0]:,.0f}-{band[1]:,.0f} Hz" if band else "nowhere (too few or too close microphones)"
            out.append(f"order {n}: usable {where}, noise gain up to {self.noise_gain_db[n]:+.1f} dB")
        return out


def _grid(horizontal: bool) -> tuple[np.ndarray, np.ndarray]:
    if horizontal:
        az = np.arange(0.0, 360.0, 5.0)
        return az, np.zeros_like(az)
    return _fibonacci_grid(600)


def _channels(order: int, horizontal: bool) -> np.ndarray:
    """ACN channels to encode: all, or the sectoral ones (n = |m|) of a horizontal array."""
    acn = np.arange((order + 1) ** 2)
    if not horizontal:
        return acn
    n = sh_orders(order)
    m = acn - n * n - n
    return acn[np.abs(m) == n]


def encoding_filters(geom: ArrayGeometry, order: int, rate: float, *, n_taps: int = 512, reg_db: float = 15.0,
                     c: float = SPEED_OF_SOUND) -> tuple[np.ndarray, EncoderReport]:
    """FIR encoding filters ``(Q, M, n_taps)`` (N3D; a delay of ``n_taps // 2``) and their report.

    ``reg_db``: the Tikhonov regularisation, this many dB below the array response's mean power;
    lower values allow more noise amplification for a wider usable band of the higher orders.
    """
    top = max_order(geom)
    check_scalar(order, "order", kind=int, min_value=1, max_value=4)
    if order > top:
        raise ParameterError(f"array {geom.name!r} ({geom.n_mics} microphones{', planar' if geom.is_planar else ''}) "
                             f"encodes up to order {top}, not {order}", f"use --order {top}" if top else
                             "a planar array needs at least 3 microphones around its centre")
    check_scalar(n_taps, "n_taps", kind=int, min_value=64, max_value=16384)
    horizontal = geom.is_planar
    az, el = _grid(horizontal)
    chans = _channels(order, horizontal)
    Y = sh_matrix(order, az, el)[:, chans]  # (D, K)
    freqs = np.fft.rfftfreq(n_taps, 1 / rate)
    A = array_response(geom, freqs, az, el, c)  # (F, D, M)
    q = (order + 1) ** 2
    E = np.zeros((len(freqs), q, geom.n_mics), dtype=complex)
    err = np.zeros((len(freqs), order + 1))
    gain = np.zeros((len(freqs), order + 1))
    n_of = sh_orders(order)[chans]
    beta_rel = 10 ** (-reg_db / 10)
    for i in range(len(freqs)):
        G = A[i].T  # (M, D)
        GG = G @ G.conj().T
        beta = beta_rel * np.real(np.trace(GG)) / geom.n_mics
        Ei = np.linalg.solve((GG + beta * np.eye(geom.n_mics)).T, (Y.T @ G.conj().T).T).T  # (K, M)
        E[i, chans] = Ei
        fit = Ei @ G  # (K, D)
        for n in range(order + 1):
            sel = n_of == n
            err[i, n] = np.sum(np.abs(fit[sel] - Y.T[sel]) ** 2) / np.sum(Y.T[sel] ** 2)
            gain[i, n] = geom.n_mics * np.mean(np.sum(np.abs(Ei[sel]) ** 2, axis=1)) / np.mean(Y[:, sel] ** 2)
    h = np.fft.irfft(E, n_taps, axis=0)  # (N, Q, M)
    h = np.roll(h, n_taps // 2, axis=0) * np.hanning(n_taps)[:, None, None]
    usable, noise = {}, {}
    for n in range(order + 1):
        ok = (err[:, n] < 0.1) & (freqs > 0)
        usable[n] = (float(freqs[ok].min()), float(freqs[ok].max())) if ok.any() else None
        noise[n] = float(10 * np.log10(gain[ok if ok.any() else slice(None), n].max()))
    report = EncoderReport(order, horizontal, usable, noise,
                           aliasing_hz=float(order * c / (2 * np.pi * geom.radius)) if geom.radius > 0 else np.inf)
    return np.transpose(h, (1, 2, 0)), report


class AmbisonicEncoder(PartitionedFIR):
    """Microphone-array audio → Ambisonics (ACN, N3D), sample for sample with the input after a
    fixed delay (:attr:`latency_s`: the filters' half length plus ``block``).

    Parameters
    ----------
    geometry : ArrayGeometry
        The array that recorded the stream (one channel per microphone, in order).
    order : int
        Ambisonic order (at most :func:`max_order` of the geometry).
    block : int
        Partition and processing block (samples).
    n_taps, reg_db
        See :func:`encoding_filters`.
    """

    def __init__(self, geometry: ArrayGeometry, order: int = 1, *, block: int = 256, n_taps: int = 512,
                 reg_db: float = 15.0) -> None:
        self.geometry = geometry
        self.order = order
        self.block = block
        self.n_taps = n_taps
        self.reg_db = reg_db

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "AmbisonicEncoder", regular=True, ndim=1, dtype_kinds="fiu")
        check_scalar(self.block, "block", kind=int, min_value=16)
        self.geometry.check_stream(info.shape[0], "AmbisonicEncoder")
        h, self.report = encoding_filters(self.geometry, self.order, info.rate, n_taps=self.n_taps,
                                          reg_db=self.reg_db)
        self._set_filters(np.transpose(h, (1, 0, 2)), self.n_taps // 2)  # (M, Q, N): microphones in
        q = h.shape[0]
        return StreamInfo(info.name, "audio", info.rate, (q,), channels=tuple(f"ACN{i}" for i in range(q)),
                          dtype="float64", unit=info.unit,
                          meta={"ambisonics": {"order": self.order, "ordering": "ACN", "normalisation": "N3D",
                                               "horizontal_only": self.report.horizontal},
                                "array": self.geometry.to_dict()})

    def _reset(self) -> None:
        self._reset_filters()

    def _render_block(self, x: np.ndarray) -> np.ndarray:
        return self._convolve(x.T.copy())


def encode_recording(audio: Frame, geometry: ArrayGeometry, order: int | None = None, *, n3d: bool = False,
                     block_s: float = 0.5) -> tuple[np.ndarray, float, EncoderReport]:
    """A whole array recording encoded as ``sensekit spatial encode`` writes it: ``(field (n, Q),
    scale, report)``, the field aligned sample for sample with the input (the filters' delay taken
    off), SN3D unless ``n3d``, scaled (never up) to stay below 0.99 full scale. Non-finite output is
    refused naming the encoder. ``order`` defaults to the geometry's highest."""
    from ..core.run import blocks_of, feed
    from ..core.sinks.safety import check_finite

    geometry.check_stream(audio.info.shape[0], audio.info.name)
    enc = AmbisonicEncoder(geometry, order or max_order(geometry))
    info = audio.info.replace(dtype="float64")
    enc.open(info)
    lag = int(round(enc.latency_s * info.rate)) - enc.block  # the filters' delay; the block's comes out at flush
    padded = np.concatenate([np.asarray(audio.data, dtype=np.float64), np.zeros((lag, info.shape[0]))])
    out = feed(enc, blocks_of(Frame(info, padded, t0=audio.t0), block_s))
    check_finite(out, "AmbisonicEncoder")
    field = out.data[lag:lag + audio.n]
    field = field if n3d else to_sn3d(field)
    peak = float(np.abs(field).max()) if len(field) else 0.0
    scale = 0.99 / peak if peak > 0.99 else 1.0
    return field * scale, scale, enc.report


def plane_wave_recording(geom: ArrayGeometry, signal: np.ndarray, rate: float, azimuth_deg: float,
                         elevation_deg: float = 0.0, c: float = SPEED_OF_SOUND) -> np.ndarray:
    """What the array records of ``signal`` arriving as a plane wave from a direction
    ``(n, M)``: its modelled response applied in the frequency domain (a test signal)."""
    n = len(signal)
    nfft = int(2 ** np.ceil(np.log2(n + 1024)))
    f = np.fft.rfftfreq(nfft, 1 / rate)
    A = array_response(geom, f, azimuth_deg, elevation_deg, c)[:, 0, :]  # (F, M)
    x = np.fft.irfft(np.fft.rfft(signal, nfft)[:, None] * A, nfft, axis=0)
    return np.roll(x, 512, axis=0)[:n]  # a lead of up to 512 samples stays causal
