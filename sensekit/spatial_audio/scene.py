"""Scenes: where each source is, and how the listener's head is turned, over time.

A scene file is JSON::

    {"sources": [{"name": "voice", "channel": 0,
                  "keyframes": [[0.0, 30, 0, 1.5], [4.0, 150, 10, 2.0]]}],   # t (s), az, el (deg), distance (m)
     "listener": {"keyframes": [[0.0, 0, 0, 0], [4.0, 90, 0, 0]]}}         # t (s), yaw, pitch, roll (deg)

Positions are linearly interpolated between keyframes (azimuth along the shorter way)
and held before the first and after the last. Azimuth follows SOFA (counter-clockwise
from the front, 90° = left); yaw turns the head to the left.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..core.checks import holds_bool
from ..errors import ParameterError
from .arrays import unit_vector

log = logging.getLogger(__name__)

#: The farthest source (m; as ``--distance``) and the largest azimuth (deg: unwrapped turns of a
#: spinning source, but no typo like 1e308) a scene file may give.
MAX_DISTANCE_M, MAX_AZIMUTH_DEG = 1000.0, 1e6

__all__ = ["Scene", "SourceTrack", "head_rotation", "HeadTracker", "quaternion_to_ypr"]


def _unwrap_deg(a: np.ndarray) -> np.ndarray:
    return np.degrees(np.unwrap(np.radians(a)))


def head_rotation(yaw_deg, pitch_deg=0.0, roll_deg=0.0) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of the head (z-y-x: yaw left, pitch up, roll right-ear-down)."""
    y, p, r = (np.radians(np.asarray(v, dtype=float)) for v in (yaw_deg, pitch_deg, roll_deg))
    y, p, r = np.broadcast_arrays(y, p, r)
    cy, sy, cp, sp, cr, sr = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    rz = np.stack([np.stack([cy, -sy, 0 * y], -1), np.stack([sy, cy, 0 * y], -1),
                   np.stack([0 * y, 0 * y, 1 + 0 * y], -1)], -2)
    ry = np.stack([np.stack([cp, 0 * p, -sp], -1), np.stack([0 * p, 1 + 0 * p, 0 * p], -1),
                   np.stack([sp, 0 * p, cp], -1)], -2)
    rx = np.stack([np.stack([1 + 0 * r, 0 * r, 0 * r], -1), np.stack([0 * r, cr, -sr], -1),
                   np.stack([0 * r, sr, cr], -1)], -2)
    return rz @ ry @ rx


@dataclasses.dataclass
class SourceTrack:
    """One source: the input channel it plays and its keyframes (t, az, el, distance)."""

    name: str
    channel: int
    keyframes: np.ndarray


@dataclasses.dataclass
class Scene:
    """Sources (one per input channel) and the listener's head orientation over time."""

    sources: list
    listener: np.ndarray | None = None  # keyframes (t, yaw, pitch, roll)
    _tab: tuple | None = dataclasses.field(default=None, repr=False, compare=False)
    head: object = dataclasses.field(default=None, repr=False, compare=False)  # live (yaw, pitch, roll) provider

    @classmethod
    def static(cls, azimuths, elevations=None, distances=None) -> Scene:
        """Fixed sources: azimuths (deg, any finite value), elevations (deg, -90..90) and
        distances (m, > 0), one per input channel or one for all; a NaN, an infinity or an
        out-of-range value is a :class:`ParameterError` (it would reach the ears as full-scale
        noise or DC)."""
        az = np.atleast_1d(np.asarray(azimuths, dtype=float))
        try:
            el = np.zeros_like(az) if elevations is None else np.broadcast_to(np.asarray(elevations, float), az.shape)
            d = np.ones_like(az) if distances is None else np.broadcast_to(np.asarray(distances, float), az.shape)
        except ValueError:
            raise ParameterError(f"give one elevation and one distance for all {az.size} sources or one each") from None
        for name, v, ok in (("azimuth", az, np.isfinite(az)), ("elevation", el, np.isfinite(el) & (np.abs(el) <= 90)),
                            ("distance", d, np.isfinite(d) & (d > 0))):
            if not ok.all():
                raise ParameterError(f"source {int(np.argmin(ok))}: {name} {v[np.argmin(ok)]} is not a finite value "
                                     "in range (elevation -90..90 deg, distance > 0 m)")
        return cls([SourceTrack(f"source{i}", i, np.array([[0.0, az[i], el[i], d[i]]])) for i in range(az.size)])

    @classmethod
    def from_dict(cls, doc: dict, *, sources: bool = True) -> Scene:
        """A scene from its JSON document; ``sources=False``: only the listener is read (a
        recorded field's head orientation)."""
        if not isinstance(doc, dict):
            raise ParameterError("a scene is a JSON object with a 'sources' list")
        src = doc.get("sources") if sources else []
        if sources and (not isinstance(src, list) or not src):
            raise ParameterError("scene needs a non-empty 'sources' list")
        _warn_unknown(doc, ("sources", "listener"), "the scene")
        tracks = []
        for i, s in enumerate(src):
            if not isinstance(s, dict):
                raise ParameterError(f"scene source {i} is not an object with keyframes")
            _warn_unknown(s, ("name", "channel", "keyframes"), f"scene source {i}")
            try:
                if holds_bool(s.get("keyframes")) or isinstance(s.get("channel"), (bool, float)):
                    raise TypeError("true/false or a fraction where a number or a channel index is meant")
                kf = np.asarray(s.get("keyframes", []), dtype=float)
                channel = int(s.get("channel", i))
            except (TypeError, ValueError):
                raise ParameterError(f"scene source {i}: keyframes must be numbers [[t, az, el, distance], ...] and "
                                     "channel an integer") from None
            if kf.ndim != 2 or kf.shape[1] != 4 or len(kf) == 0 or len(kf) > 1_000_000:
                raise ParameterError(f"scene source {i} ('{s.get('name', i)}'): keyframes must be [[t, az, el, "
                                     "distance], ...]")
            if (np.diff(kf[:, 0]) < 0).any():
                raise ParameterError(f"scene source {i}: keyframe times must increase")
            if not np.isfinite(kf).all() or (np.abs(kf[:, 2]) > 90).any():
                raise ParameterError(f"scene source {i}: keyframes must be finite, elevations within -90..90 deg")
            if (kf[:, 3] <= 0).any() or (kf[:, 3] > MAX_DISTANCE_M).any():
                raise ParameterError(f"scene source {i}: distance must be > 0 and <= {MAX_DISTANCE_M:g} m")
            if (np.abs(kf[:, 1]) > MAX_AZIMUTH_DEG).any():
                raise ParameterError(f"scene source {i}: azimuth beyond +-{MAX_AZIMUTH_DEG:g} deg")
            tracks.append(SourceTrack(str(s.get("name", f"source{i}")), channel, kf))
        lis = doc.get("listener", {}).get("keyframes") if isinstance(doc.get("listener"), dict) else None
        lk = None
        if lis is not None:
            try:
                lk = np.asarray(lis, dtype=float) if not holds_bool(lis) else np.zeros((0, 0))
            except (TypeError, ValueError):
                lk = np.zeros((0, 0))
            if lk.ndim != 2 or lk.shape[1] != 4 or not np.isfinite(lk).all() or len(lk) > 1_000_000:
                raise ParameterError("scene listener keyframes must be [[t, yaw, pitch, roll], ...]")
            if (np.diff(lk[:, 0]) < 0).any():
                raise ParameterError("scene listener: keyframe times must increase")
            _warn_unknown(doc["listener"], ("keyframes",), "the scene's listener")
        return cls(tracks, lk)

    @classmethod
    def load(cls, path, *, sources: bool = True) -> Scene:
        """A scene file: untrusted JSON (size, strictness, depth checked by
        :func:`~sensekit.core.schema.read_json`), then :meth:`from_dict`."""
        from ..core.schema import read_json

        return cls.from_dict(read_json(path, what="scene file", error=ParameterError, max_bytes=64 << 20),
                             sources=sources)

    def _tables(self):
        """Keyframes of all sources padded to one length: times (S, K), values (S, K, 3)
        with unwrapped azimuths (built once)."""
        if getattr(self, "_tab", None) is None:
            k = max(len(s.keyframes) for s in self.sources)
            T = np.full((len(self.sources), k), np.inf)
            V = np.zeros((len(self.sources), k, 3))
            for i, s in enumerate(self.sources):
                kf = s.keyframes
                T[i, : len(kf)] = kf[:, 0]
                V[i, : len(kf)] = np.column_stack([_unwrap_deg(kf[:, 1]), kf[:, 2], kf[:, 3]])
                V[i, len(kf) :] = V[i, len(kf) - 1]
            self._tab = (T, V, np.array([len(s.keyframes) for s in self.sources]))
        return self._tab

    def positions(self, t: float):
        """All sources' azimuth, elevation (deg) and distance (m) in the world at ``t``."""
        T, V, counts = self._tables()
        i = np.clip((T <= t).sum(axis=1) - 1, 0, counts - 1)  # the keyframe at or before t
        j = np.minimum(i + 1, counts - 1)
        rows = np.arange(len(T))
        t0, t1 = T[rows, i], T[rows, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(t1 > t0, np.clip((t - t0) / (t1 - t0), 0, 1), 0.0)
        v = V[rows, i] * (1 - w[:, None]) + V[rows, j] * w[:, None]
        return v[:, 0] % 360, v[:, 1], v[:, 2]

    @property
    def channels(self) -> list[int]:
        return [s.channel for s in self.sources]

    @property
    def is_static(self) -> bool:
        moving = any(len(s.keyframes) > 1 for s in self.sources)
        return not moving and (self.listener is None or len(self.listener) <= 1)

    def head_pose(self, t: float) -> tuple[float, float, float] | None:
        """The listener's (yaw, pitch, roll) in degrees at ``t``: the live ``head`` provider's
        newest pose, else the listener keyframes, else ``None`` (facing the front)."""
        pose = self.head() if self.head is not None else None
        if pose is not None:
            return pose
        if self.listener is None:
            return None
        k = self.listener
        return (float(np.interp(t, k[:, 0], _unwrap_deg(k[:, 1]))), float(np.interp(t, k[:, 0], k[:, 2])),
                float(np.interp(t, k[:, 0], k[:, 3])))

    def relative(self, t: float):
        """Source directions relative to the head at time ``t``: az, el (deg), distance (m)."""
        az, el, d = self.positions(t)
        pose = self.head_pose(t)
        if pose is None:
            return az, el, d
        v = unit_vector(az, el) @ head_rotation(*pose)  # world → head: R^T v
        return np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360, np.degrees(np.arcsin(np.clip(v[:, 2], -1, 1))), d


def quaternion_to_ypr(q) -> tuple[float, float, float]:
    """(w, x, y, z) → yaw, pitch, roll (deg) in this module's z-y-x convention."""
    w, x, y, z = (float(v) for v in q)
    n = np.sqrt(w * w + x * x + y * y + z * z) or 1.0
    w, x, y, z = w / n, x / n, y / n, z / n
    yaw = np.degrees(np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)))
    pitch = np.degrees(np.arcsin(np.clip(2 * (w * y - z * x), -1, 1)))
    roll = np.degrees(np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))
    return yaw, -pitch, roll


class HeadTracker:
    """The latest head orientation from a stream (e.g. ``lsl:type=HeadOrientation``):
    three channels yaw, pitch, roll (deg) or four, a quaternion (w, x, y, z). A background
    thread reads the source; :meth:`__call__` returns the newest pose or None."""

    def __init__(self, source) -> None:
        import threading

        n = source.info.shape[0] if source.info.shape else 0
        if n not in (3, 4):
            raise ParameterError(f"head orientation needs 3 (yaw, pitch, roll) or 4 (quaternion) channels, stream "
                                 f"{source.info.name!r} has {n}")
        self.source = source
        self._pose = None
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for frame in self.source:
                last = np.asarray(frame.data[-1], dtype=float)
                self._pose = tuple(last) if last.size == 3 else quaternion_to_ypr(last)
        except Exception as e:  # noqa: BLE001 - reported to the caller, never a crash in the audio thread
            self.error = e

    def __call__(self):
        return self._pose

    def close(self) -> None:
        self.source.close()


def _warn_unknown(obj: dict, known: tuple[str, ...], where: str) -> None:
    """A key the scene format does not have is ignored, with a warning (a typo such as
    "distance" for "keyframes" would otherwise go unseen)."""
    unknown = [str(k) for k in obj if k not in known]
    if unknown:
        log.warning("%s: unknown key(s) %s ignored (known: %s)", where, ", ".join(repr(k) for k in unknown[:5]),
                    ", ".join(known))
