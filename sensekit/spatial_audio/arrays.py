"""Microphone-array geometry: positions (m), channel order and presets.

An :class:`ArrayGeometry` travels in a stream's meta as ``meta["array"]`` (from
``sensekit capture --array``), so that localisation knows where each channel's
microphone is. Coordinates: x forward, y left, z up (metres, right-handed), relative to
the array's reference point; azimuth is measured from +x towards +y (counter-clockwise,
as SOFA), elevation up from the horizontal plane.

Presets (:data:`PRESETS`): ``respeaker4`` (ReSpeaker 4-mic, square on a 32.4 mm
radius), ``respeaker6`` (ReSpeaker 6-mic circular, 46.3 mm radius), ``uma8`` (MiniDSP
UMA-8: 6 on a 43 mm radius + 1 at the centre), ``headset2`` (two ear-level microphones
16 cm apart), ``linear4`` (4 microphones, 4 cm pitch, along y).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..core.checks import holds_bool
from ..errors import ParameterError, StreamFormatError

#: A geometry's limits: microphones (the largest research arrays have a few hundred) and the
#: farthest one from the origin (m; beyond it is a unit mistake, millimetres given as metres).
MAX_MICS, MAX_ARRAY_M = 1024, 100.0

__all__ = ["ArrayGeometry", "PRESETS", "array_preset", "load_array", "array_from_meta", "circular_array",
           "linear_array", "SPEED_OF_SOUND"]

#: Speed of sound (m/s) at 20 °C.
SPEED_OF_SOUND = 343.0


@dataclasses.dataclass(frozen=True)
class ArrayGeometry:
    """Microphone positions of an array.

    Parameters
    ----------
    positions : sequence of (x, y, z)
        One position per channel, in channel order (m).
    name : str
    channels : sequence of str, optional
        Channel names (default ``mic0``, ``mic1``, ...).
    baffle : {"open", "rigid"}
        ``rigid``: the microphones sit on a rigid sphere centred on the origin (a spherical
        array such as an Eigenmike), which scatters the sound; ``open``: free field.
    directivity : {"omni", "cardioid"}
        The capsules' pattern; cardioids point away from the origin (a tetrahedral
        A-format microphone).
    """

    positions: tuple
    name: str = "array"
    channels: tuple = ()
    baffle: str = "open"
    directivity: str = "omni"

    def __post_init__(self) -> None:
        try:
            p = np.asarray(self.positions, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):  # (OverflowError: 10**400 in a recording's meta)
            raise ParameterError(f"array {self.name!r}: positions must be numbers [[x, y, z], ...] in metres") from None
        if p.ndim != 2 or p.shape[1] != 3 or not 2 <= p.shape[0] <= MAX_MICS:
            raise ParameterError(f"array {self.name!r}: positions must be (M, 3) metres with 2 <= M <= {MAX_MICS}, got "
                                 f"shape {p.shape}", "give one [x, y, z] per microphone")
        if not np.isfinite(p).all():
            raise ParameterError(f"array {self.name!r}: positions contain NaN or inf")
        if np.abs(p).max() > MAX_ARRAY_M:
            raise ParameterError(f"array {self.name!r}: a microphone lies {np.abs(p).max():.3g} m from the origin, over "
                                 f"{MAX_ARRAY_M:g} m", "positions are in metres (45 mm is 0.045)")
        object.__setattr__(self, "positions", tuple(map(tuple, p.tolist())))
        names = tuple(self.channels) or tuple(f"mic{i}" for i in range(len(p)))
        if len(names) != len(p):
            raise ParameterError(f"array {self.name!r}: {len(names)} channel names for {len(p)} microphones")
        object.__setattr__(self, "channels", names)
        if self.baffle not in ("open", "rigid") or self.directivity not in ("omni", "cardioid"):
            raise ParameterError(f"array {self.name!r}: baffle must be open or rigid and directivity omni or cardioid, "
                                 f"got {self.baffle!r} and {self.directivity!r}")
        if self.baffle == "rigid":
            r = np.linalg.norm(p, axis=1)
            if r.min() <= 0 or np.ptp(r) > 0.02 * r.mean():
                raise ParameterError(f"array {self.name!r}: a rigid-sphere array needs every microphone on one sphere "
                                     f"around the origin (radii {r.min() * 1000:.1f}-{r.max() * 1000:.1f} mm)")
        d = self._distances(p) + np.eye(len(p))
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] < 1e-4:
            raise ParameterError(f"array {self.name!r}: microphones {names[i]} and {names[j]} coincide "
                                 f"({1000 * d[i, j]:.2f} mm apart)", "check the geometry file")

    @property
    def xyz(self) -> np.ndarray:
        """Positions as an (M, 3) array (m)."""
        return np.asarray(self.positions)

    @property
    def n_mics(self) -> int:
        return len(self.positions)

    @staticmethod
    def _distances(p: np.ndarray) -> np.ndarray:
        return np.linalg.norm(p[:, None] - p[None], axis=-1)

    @property
    def aperture(self) -> float:
        """Largest distance between two microphones (m)."""
        return float(self._distances(self.xyz).max())

    @property
    def min_spacing(self) -> float:
        """Smallest distance between two microphones (m): spatial aliasing starts at
        c / (2 × this)."""
        d = self._distances(self.xyz)
        return float(d[~np.eye(self.n_mics, dtype=bool)].min())

    @property
    def is_planar(self) -> bool:
        """All microphones in one horizontal plane (no elevation resolution)."""
        return bool(np.ptp(self.xyz[:, 2]) < 1e-6)

    @property
    def is_linear(self) -> bool:
        """All microphones on one line: a direction and its mirror image across that line
        reach them alike."""
        centred = self.xyz - self.xyz.mean(axis=0)
        sv = np.linalg.svd(centred, compute_uv=False)
        return bool(len(sv) < 2 or sv[1] <= 1e-6 * max(sv[0], 1e-12))

    def delays(self, azimuth_deg, elevation_deg=0.0, c: float = SPEED_OF_SOUND) -> np.ndarray:
        """Far-field arrival delays (s) of a plane wave from each direction at each
        microphone, relative to the reference point: shape (..., M)."""
        u = unit_vector(azimuth_deg, elevation_deg)
        return -(u @ self.xyz.T) / c

    @property
    def radius(self) -> float:
        """Largest distance of a microphone from the origin (m)."""
        return float(np.linalg.norm(self.xyz, axis=1).max())

    def to_dict(self) -> dict:
        return {"name": self.name, "channels": list(self.channels), "positions": [list(p) for p in self.positions],
                "baffle": self.baffle, "directivity": self.directivity}

    @classmethod
    def from_dict(cls, d: Mapping) -> ArrayGeometry:
        if not isinstance(d, Mapping):
            raise ParameterError("array geometry is a JSON object, not a " + type(d).__name__,
                                 "write {\"name\": ..., \"positions\": [[x, y, z], ...]} in metres")
        unknown = [str(k) for k in d if k not in ("name", "positions", "channels", "baffle", "directivity")]
        if unknown:
            raise ParameterError(f"array geometry has unknown key(s) {', '.join(map(repr, unknown[:5]))}",
                                 "its keys are name, positions (metres), channels, baffle, directivity")
        channels = d.get("channels", ())
        if holds_bool(d.get("positions")) or not isinstance(channels, (list, tuple)) or not all(
                isinstance(c, str) for c in channels):
            raise ParameterError("array geometry: positions are numbers (metres) and channels names (text)",
                                 "write {\"name\": ..., \"positions\": [[x, y, z], ...], \"channels\": [\"mic0\", ...]}")
        try:
            return cls(tuple(map(tuple, d["positions"])), str(d.get("name", "array")), tuple(channels),
                       str(d.get("baffle", "open")), str(d.get("directivity", "omni")))
        except (KeyError, TypeError) as e:
            raise ParameterError(f"array geometry lacks or mangles a field ({e})",
                                 "write {\"name\": ..., \"positions\": [[x, y, z], ...]} in metres") from None

    def save(self, path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    def check_stream(self, n_channels: int, what: str, fix: str | None = None) -> None:
        """Refuse a stream whose channel count differs from the array's."""
        if n_channels != self.n_mics:
            raise StreamFormatError(f"{what}: array {self.name!r} has {self.n_mics} microphones but the stream has "
                                    f"{n_channels} channels", fix or "give the geometry of the array that recorded it "
                                    "(--array), or name the channels that are its microphones (--mics 1-4, 0-based)")


def unit_vector(azimuth_deg, elevation_deg=0.0) -> np.ndarray:
    """Unit direction vectors (..., 3) for azimuth/elevation in degrees."""
    az = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
    el = np.radians(np.asarray(elevation_deg, dtype=np.float64))
    az, el = np.broadcast_arrays(az, el)
    return np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)


def circular_array(n: int, radius: float, *, centre: bool = False, name: str = "circular",
                   phase_deg: float = 0.0) -> ArrayGeometry:
    """``n`` microphones on a horizontal circle (m), the first at azimuth ``phase_deg``;
    with ``centre``, one more at the centre (last channel)."""
    a = np.radians(phase_deg) + 2 * np.pi * np.arange(n) / n
    p = np.column_stack([radius * np.cos(a), radius * np.sin(a), np.zeros(n)])
    if centre:
        p = np.vstack([p, [0.0, 0.0, 0.0]])
    return ArrayGeometry(tuple(map(tuple, p)), name)


def tetrahedral_array(radius: float = 0.0147, *, name: str = "tetra") -> ArrayGeometry:
    """An A-format microphone: four cardioid capsules on a tetrahedron, in the usual order
    front-left-up, front-right-down, back-left-down, back-right-up."""
    v = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(3)
    return ArrayGeometry(tuple(map(tuple, radius * v)), name, ("FLU", "FRD", "BLD", "BRU"), "open", "cardioid")


def spherical_array(n: int, radius: float, *, baffle: str = "rigid", name: str = "sphere") -> ArrayGeometry:
    """``n`` microphones spread evenly (a spherical Fibonacci lattice) on a sphere of ``radius``
    (m), rigid by default (like an Eigenmike's 32 capsules on 4.2 cm)."""
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    a = np.pi * (1 + 5 ** 0.5) * i
    p = np.column_stack([np.sqrt(1 - z**2) * np.cos(a), np.sqrt(1 - z**2) * np.sin(a), z]) * radius
    return ArrayGeometry(tuple(map(tuple, p)), name, (), baffle)


def linear_array(n: int, spacing: float, *, name: str = "linear") -> ArrayGeometry:
    """``n`` microphones along y, centred, ``spacing`` m apart (channel 0 leftmost, +y)."""
    y = (np.arange(n) - (n - 1) / 2) * spacing
    return ArrayGeometry(tuple((0.0, float(v), 0.0) for v in y[::-1]), name)


#: Built-in geometries.
PRESETS = {
    "respeaker4": lambda: circular_array(4, 0.0324, name="respeaker4", phase_deg=45.0),
    "respeaker6": lambda: circular_array(6, 0.0463, name="respeaker6"),
    "uma8": lambda: circular_array(6, 0.043, centre=True, name="uma8"),
    "headset2": lambda: ArrayGeometry(((0.0, 0.08, 0.0), (0.0, -0.08, 0.0)), "headset2", ("left", "right")),
    "linear4": lambda: linear_array(4, 0.04, name="linear4"),
    "tetra": lambda: tetrahedral_array(),
    "sphere32": lambda: spherical_array(32, 0.042, name="sphere32"),
}


def array_preset(name: str) -> ArrayGeometry:
    """A built-in geometry by name (see :data:`PRESETS`)."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise ParameterError(f"unknown array {name!r}", f"use one of {', '.join(PRESETS)} or a geometry .json file"
                             ) from None


def load_array(spec: str | Path) -> ArrayGeometry:
    """A preset name or a geometry JSON file."""
    s = str(spec)
    if s in PRESETS:
        return array_preset(s)
    path = Path(s)
    if not path.is_file():
        raise ParameterError(f"array {s!r} is neither a preset nor a file",
                             f"use one of {', '.join(PRESETS)} or a geometry .json file")
    from ..core.schema import read_json

    return ArrayGeometry.from_dict(read_json(path, what="array geometry", error=ParameterError, max_bytes=8 << 20))


def array_from_meta(meta: Mapping, what: str, n_channels: int | None = None,
                    override: ArrayGeometry | None = None) -> ArrayGeometry:
    """The geometry in a stream's ``meta["array"]`` (or ``override``), checked against
    the channel count."""
    geom = override
    if geom is None:
        d = meta.get("array")
        if not d:
            raise StreamFormatError(f"{what}: the stream has no array geometry in its meta",
                                    "give --array PRESET|FILE.json (or capture with --array)")
        geom = ArrayGeometry.from_dict(d)
    if n_channels is not None:
        geom.check_stream(n_channels, what)
    return geom


