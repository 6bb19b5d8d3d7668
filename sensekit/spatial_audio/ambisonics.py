"""Higher-order Ambisonics for many sources: encode, rotate, decode binaurally once.

- :func:`sh_matrix` — real spherical harmonics (ACN order, N3D normalisation) up to
  order 3 at given directions.
- :func:`rotation_matrix` — the (Q, Q) matrix that rotates an Ambisonic sound field
  (fitted on a dense spherical grid).
- :func:`magls_decoder` — a binaural decoder (Q → 2 ears) fitted to an HRTF set: least
  squares on the complex responses below ``cutoff_hz``, on magnitudes only above it
  (MagLS, Schörkhuber, Zaunschirm & Höldrich 2018), with the phase carried over from
  the frequency below.
- :class:`AmbisonicRenderer` — a stage like
  :class:`~sensekit.spatial_audio.renderer.BinauralRenderer`: every block each source is
  encoded at its direction (gains cross-faded over the block when it moves), the field is
  rotated by the head orientation, and the (order + 1)² channels go through the decoder's
  partitioned filters — so the cost grows with the order, not with the number of sources.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import StreamInfo
from ..core.checks import check_scalar
from ..errors import ParameterError
from .arrays import unit_vector
from .hrtf import HRTF
from .renderer import PartitionedFIR
from .scene import Scene, head_rotation

__all__ = ["sh_matrix", "sh_orders", "rotation_matrix", "magls_decoder", "AmbisonicRenderer", "AmbisonicFieldRenderer",
           "make_renderer", "DIRECT_MAX_SOURCES"]


def sh_matrix(order: int, azimuth_deg, elevation_deg) -> np.ndarray:
    """Real spherical harmonics (..., (order+1)²) in ACN order, N3D normalised."""
    from scipy.special import lpmv

    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    az, el = np.broadcast_arrays(az, el)
    x = np.sin(el)
    out = []
    for n in range(order + 1):
        for m in range(-n, n + 1):
            a = abs(m)
            norm = math.sqrt((2 * n + 1) * (2 - (m == 0)) * math.factorial(n - a) / math.factorial(n + a))
            p = lpmv(a, n, x) * (-1) ** a  # remove the Condon-Shortley phase
            out.append(norm * p * (np.cos(a * az) if m >= 0 else np.sin(a * az)))
    return np.stack(out, axis=-1)


def sh_orders(order: int) -> np.ndarray:
    """The order ``n`` of each ACN channel up to ``order``."""
    return np.concatenate([[n] * (2 * n + 1) for n in range(order + 1)])


def _fibonacci_grid(n: int = 240) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(n) + 0.5
    el = np.degrees(np.arcsin(1 - 2 * i / n))
    az = np.degrees(np.pi * (1 + 5 ** 0.5) * i) % 360
    return az, el


def rotation_matrix(order: int, yaw_deg: float = 0.0, pitch_deg: float = 0.0, roll_deg: float = 0.0) -> np.ndarray:
    """(Q, Q) matrix ``M`` such that ``M @ b`` is the field ``b`` seen by a head turned by
    yaw/pitch/roll (the sources move the other way)."""
    az, el = _fibonacci_grid()
    u = unit_vector(az, el)
    v = u @ head_rotation(yaw_deg, pitch_deg, roll_deg)  # world → head
    az2 = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    el2 = np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1)))
    Y = sh_matrix(order, az, el)  # world directions
    Y2 = sh_matrix(order, az2, el2)  # the same directions in the head frame
    # a plane wave from u has coefficients Y(u); in the head frame Y(v): find M with Y2 = Y M^T
    return np.linalg.lstsq(Y, Y2, rcond=None)[0].T


def magls_decoder(hrtf: HRTF, order: int, *, n_taps: int | None = None, cutoff_hz: float = 2000.0,
                  reg: float = 1e-3) -> np.ndarray:
    """Binaural decoding filters (Q, 2, N) for order ``order`` fitted to ``hrtf`` (MagLS)."""
    n = n_taps or hrtf.n_taps
    nfft = 2 * n
    H = np.fft.rfft(hrtf.ir, nfft, axis=2)  # (D, 2, F)
    Y = sh_matrix(order, hrtf.azimuth, hrtf.elevation)  # (D, Q)
    # weights: spread the directions' influence evenly (denser grid regions count less)
    pinv = np.linalg.solve(Y.T @ Y + reg * np.eye(Y.shape[1]), Y.T)  # (Q, D)
    f = np.fft.rfftfreq(nfft, 1 / hrtf.rate)
    D = np.zeros((Y.shape[1], 2, len(f)), dtype=complex)
    prev = None
    for k, fk in enumerate(f):
        target = H[:, :, k]
        if fk > cutoff_hz and prev is not None:
            phase = np.angle(Y @ prev)
            target = np.abs(target) * np.exp(1j * phase)
        D[:, :, k] = pinv @ target
        prev = D[:, :, k]
    d = np.fft.irfft(D, nfft, axis=2)
    d = np.roll(d, n // 2, axis=2)[:, :, :n]  # the fit is acausal around 0: centre it
    return d * np.hanning(n)[None, None, :] ** 0.5


class AmbisonicRenderer(PartitionedFIR):
    """Many mono sources → binaural through order-``order`` Ambisonics.

    Parameters
    ----------
    scene : Scene
    hrtf : HRTF, optional
        Default :func:`~sensekit.spatial_audio.hrtf.spherical_head`.
    order : int
        1 to 3 (4, 9 or 16 channels).
    block : int
        Processing block (samples): the latency (plus half the decoder length).
    distance_gain, min_distance
        As :class:`~sensekit.spatial_audio.renderer.BinauralRenderer`.

    Notes
    -----
    Output: ``left``, ``right`` sample for sample with the input; the decoder adds a
    fixed delay of half its length (:attr:`latency_s` includes it).
    """

    def __init__(self, scene: Scene, hrtf: HRTF | None = None, *, order: int = 3, block: int = 256,
                 distance_gain: bool = True, min_distance: float = 1.0) -> None:
        self.scene = scene
        self.hrtf = hrtf
        self.order = order
        self.block = block
        self.distance_gain = distance_gain
        self.min_distance = min_distance

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_scalar(self.order, "order", kind=int, min_value=1, max_value=3)
        dec = magls_decoder(self._open_scene(info), self.order)  # (Q, 2, N)
        self._set_filters(dec, dec.shape[2] // 2)
        return StreamInfo(info.name, "audio", info.rate, (2,), channels=("left", "right"), dtype="float64",
                          unit=info.unit, meta={**dict(info.meta), "binaural": True, "ambisonic_order": self.order})

    def _reset(self) -> None:
        self._reset_filters()
        self._gains = None  # (Q, S) encoding of the last block
        self._pose = self._rotation = None  # the head pose of the last field rotation

    def _encoding(self, t: float) -> np.ndarray:
        az, el, dist = self.scene.positions(t)
        g = sh_matrix(self.order, az, el).T  # (Q, S), world frame
        if self.distance_gain:
            g = g * (self.min_distance / np.maximum(dist, self.min_distance))
        pose = self.scene.head_pose(t)
        if pose is not None:
            if pose != self._pose:  # the field rotation is refitted only when the head turns
                self._pose, self._rotation = pose, rotation_matrix(self.order, *pose)
            g = self._rotation @ g
        return g

    def _render_block(self, x: np.ndarray) -> np.ndarray:
        t = self._t0 + (self._k + 0.5) * self.block / self.input_info.rate
        src = x[:, self._chans]  # (B, S)
        g = self._encoding(t)
        if self._gains is None:
            self._gains = g
        b = (src @ g.T).T  # (Q, B) with the new gains
        if not np.array_equal(g, self._gains):
            b_old = (src @ self._gains.T).T
            b = b_old + (b - b_old) * self._fade
            self._gains = g
        return self._convolve(b)


class AmbisonicFieldRenderer(PartitionedFIR):
    """A recorded Ambisonic field (ACN, SN3D as AmbiX files hold it, or N3D) → binaural,
    rotated by the listener's head orientation (a scene's listener keyframes, or a live head
    tracker set as ``scene.head``) and decoded by MagLS.

    Parameters
    ----------
    hrtf : HRTF, optional
        Default :func:`~sensekit.spatial_audio.hrtf.spherical_head`.
    scene : Scene, optional
        Only its head orientation is used.
    normalisation : {"sn3d", "n3d"}
    block : int
        Processing block (samples).
    """

    def __init__(self, hrtf: HRTF | None = None, *, scene: Scene | None = None, normalisation: str = "sn3d",
                 block: int = 256) -> None:
        self.hrtf = hrtf
        self.scene = scene
        self.normalisation = normalisation
        self.block = block

    def _open(self, info: StreamInfo) -> StreamInfo:
        from ..core.checks import check_stream
        from .hrtf import spherical_head

        check_stream(info, "AmbisonicFieldRenderer", regular=True, ndim=1, dtype_kinds="fiu")
        check_scalar(self.block, "block", kind=int, min_value=16)
        q = info.shape[0]
        order = int(round(math.sqrt(q))) - 1
        if (order + 1) ** 2 != q or not 1 <= order <= 4:
            raise ParameterError(f"an Ambisonic field has (order + 1)² channels (4, 9, 16 or 25); {info.name!r} has {q}",
                                 "give an AmbiX file (sensekit spatial encode writes them)")
        if self.normalisation not in ("sn3d", "n3d"):
            raise ParameterError(f"normalisation {self.normalisation!r}: use sn3d (AmbiX) or n3d")
        self.order = order
        self._to_n3d = np.sqrt(2 * sh_orders(order) + 1.0) if self.normalisation == "sn3d" else np.ones(q)
        hrtf = (self.hrtf if self.hrtf is not None else spherical_head(info.rate)).resample(info.rate)
        dec = magls_decoder(hrtf, order)
        self._set_filters(dec, dec.shape[2] // 2)
        self._fade = (np.arange(self.block) + 0.5) / self.block
        return StreamInfo(info.name, "audio", info.rate, (2,), channels=("left", "right"), dtype="float64",
                          unit=info.unit, meta={"binaural": True, "ambisonic_order": order})

    def _reset(self) -> None:
        self._reset_filters()
        self._pose = None
        self._rotation = np.eye(self._H.shape[0])

    def _render_block(self, x: np.ndarray) -> np.ndarray:
        t = self._t0 + (self._k + 0.5) * self.block / self.input_info.rate
        b = (x * self._to_n3d).T  # (Q, B), N3D
        pose = self.scene.head_pose(t) if self.scene is not None else None
        rot = self._rotation
        if pose is not None and pose != self._pose:  # cross-fade to the new orientation over the block
            self._pose, self._rotation = pose, rotation_matrix(self.order, *pose)
        out = self._rotation @ b
        if rot is not self._rotation:
            old = rot @ b
            out = old + (out - old) * self._fade
        return self._convolve(out)


#: Above this many moving sources, ``mode="auto"`` renders through Ambisonics.
DIRECT_MAX_SOURCES = 64


def make_renderer(scene: Scene, hrtf: HRTF | None = None, *, mode: str = "auto", order: int = 3, block: int = 256):
    """The renderer for a scene: ``"direct"`` (HRTF per source), ``"ambisonics"``, or
    ``"auto"`` — direct up to :data:`DIRECT_MAX_SOURCES` sources, Ambisonics beyond, where
    its cost no longer grows with the number of sources."""
    from .renderer import BinauralRenderer

    if mode not in ("auto", "direct", "ambisonics"):
        raise ParameterError(f"unknown rendering mode {mode!r}", "use auto, direct or ambisonics")
    if mode == "auto":
        mode = "direct" if len(scene.sources) <= DIRECT_MAX_SOURCES else "ambisonics"
    if mode == "direct":
        return BinauralRenderer(scene, hrtf, block=block)
    return AmbisonicRenderer(scene, hrtf, order=order, block=block)
