"""Gaze as 3-D direction vectors, as XR headsets report it, in degrees.

A headset's eye tracker gives the gaze as a direction in the head's (or the world's) frame, not
as a point on a screen: Varjo's ``gaze_forward_x/y/z``, Tobii XR's (HTC Vive Pro Eye, Pico Neo
Eye) ``GazeRayDirectionX/Y/Z``, SRanipal's ``gaze_direction_normalized_x``, Pupil Core's
``gaze_point_3d_x`` (mm in the scene camera's frame). The event detectors need angles:

- azimuth ``atan2(x, s z)`` and elevation ``atan2(y, hypot(x, z))`` in degrees, ``z`` the
  forward axis and ``s`` its sign, that of the first sample seen (+z looks ahead in Unity,
  Varjo and OpenCV frames, -z in OpenXR's and OpenGL's); ``x`` and ``y`` keep the vector's own
  directions (y up in Unity and Varjo, down in a camera's frame);
- the azimuth is unwrapped (a gaze in the world's frame that turns past straight behind goes on
  past 180 degrees instead of jumping by 360, which a detector would take for a saccade), and
  not bounded as a gaze on a screen is (the stream's ``meta["gaze_azimuth"]`` is
  ``"unwrapped"``: a user who turns round keeps their gaze);
- a vector of length 0 or with a non-number in it is data loss (trackers write (0, 0, 0) for an
  eye they did not find), and so is a sample that the stream's own validity channel marks
  (:func:`direction_reader`: Tobii XR's ``GazeRayIsValid``, Varjo's ``status``, 0 where not
  seen; Pupil Core's ``confidence``, under :data:`MIN_CONFIDENCE`).

Vectors need not be unit vectors. Near the forward axis the two angles are the visual angle
(the speed a detector sees is the eye's); 30 degrees up or down, horizontal speeds read
``1 / cos(30°)``, 15 % fast.

:class:`DirectionDegrees` does it on a stream, block by block with the same result as on the
whole recording (:func:`direction_degrees`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_stream
from ..core.stage import Stage
from ..errors import ParameterError, StreamFormatError

__all__ = ["DirectionDegrees", "direction_degrees", "direction_columns", "direction_reader", "MIN_CONFIDENCE",
           "X_LEFT_TO_RIGHT"]

#: What a direction's columns are called, before their axis letter (separators and case dropped).
DIRECTION_WORDS = ("direction", "forward", "normal", "gazepoint3d", "gazevector", "gazevec", "gazeray")
#: Columns of 3-D positions that are no direction: an eye's centre, the ray's origin, the head's.
NOT_DIRECTION_WORDS = ("origin", "position", "center", "centre", "hmd", "head")
_AXIS = re.compile(r"^(.*?)[\s_.\-]*\(?([xyz])\)?$")
#: Pupil Labs' advice for its gaze's ``confidence``: samples under it are noise (the gaze
#: export's loader keeps the same limit).
MIN_CONFIDENCE = 0.6
#: Multiplies a direction of a frame whose x points to the wearer's left (Tobii Pro Glasses',
#: Project Aria's Central Pupil Frame) into this module's x to the right.
X_LEFT_TO_RIGHT = np.array([-1.0, 1.0, 1.0])
#: Names (case and separators dropped) of a whole gaze's validity flag: 0 where not seen.
VALID_FLAGS = ("status", "valid", "validity", "isvalid", "gazevalid", "gazestatus")
_LEFT = re.compile(r"^(left|l(?=eye|gaze))|(left|0)$")
_RIGHT = re.compile(r"^(right|r(?=eye|gaze))|(right|1)$")


def _stem(name: str) -> tuple[str, str] | None:
    """A column name's stem (lower case, no separators) and axis letter, or None; a unit in
    square brackets after the axis (Tobii Pro Lab's ``Gaze direction left X [HUCS norm]``) is
    left out."""
    match = _AXIS.match(re.sub(r"\s*\[[^\]]*\]\s*$", "", name.strip().lower()))
    if match is None:
        return None
    return re.sub(r"[\s_.\-\[\]()]", "", match.group(1)), match.group(2)


def direction_columns(names: Sequence[str]) -> list[int] | None:
    """The columns of the gaze direction among ``names``: ``[x, y, z]`` of the one gaze, or
    ``[x, y, z, x, y, z]`` of the two eyes' where there is no one gaze (their mean is taken),
    or ``None`` where no three columns name a direction.

    Examples
    --------
    >>> direction_columns(["raw_timestamp", "status", "gaze_forward_x", "gaze_forward_y", "gaze_forward_z"])
    [2, 3, 4]
    >>> direction_columns(["Timestamp", "GazeRayOriginX", "GazeRayOriginY", "GazeRayOriginZ",
    ...                    "GazeRayDirectionX", "GazeRayDirectionY", "GazeRayDirectionZ"])
    [4, 5, 6]
    >>> direction_columns(["t", "x", "y"]) is None
    True
    """
    triples: dict[str, dict[str, int]] = {}
    for i, name in enumerate(names):
        parsed = _stem(str(name))
        if parsed is None:
            continue
        stem, axis = parsed
        if any(w in stem for w in DIRECTION_WORDS) and not any(w in stem for w in NOT_DIRECTION_WORDS):
            triples.setdefault(stem, {}).setdefault(axis, i)
    whole = {s: [a["x"], a["y"], a["z"]] for s, a in triples.items() if len(a) == 3}
    one = [s for s in whole if not (_LEFT.search(s) or _RIGHT.search(s))]
    if one:
        return whole[one[0]]
    left, right = ([s for s in whole if eye.search(s)] for eye in (_LEFT, _RIGHT))
    if left and right:
        return whole[left[0]] + whole[right[0]]
    return whole[next(iter(whole))] if whole else None


def direction_reader(names: Sequence[str]) -> tuple[list[int], DirectionDegrees] | None:
    """The columns to read of a table or stream whose ``names`` give a gaze direction, and the
    stage that turns them into degrees: the direction's (:func:`direction_columns`) and,
    where there is one, the whole gaze's validity (its ``IsValid`` flag beside the direction
    (Tobii XR's ``GazeRayIsValid``), a ``status`` or ``valid`` flag (Varjo's), or Pupil Core's
    ``confidence``), last. ``None`` where no columns name a direction.

    Examples
    --------
    >>> cols, stage = direction_reader(["Timestamp", "GazeRayDirectionX", "GazeRayDirectionY",
    ...                                 "GazeRayDirectionZ", "GazeRayIsValid"])
    >>> cols, stage.valid
    ([1, 2, 3, 4], 'flag')
    """
    cols = direction_columns(names)
    if cols is None:
        return None
    keys = [re.sub(r"[\s_.\-\[\]()]", "", str(n).strip().lower()) for n in names]
    stem = _stem(str(names[cols[0]]))[0]
    prefix = re.sub(r"(direction|forward|normal|normalized|vector|vec)+$", "", stem)  # ('gazeray', 'gaze')
    flags = [prefix + end for end in ("isvalid", "valid", "validity")] if prefix else []
    for wanted in (*flags, *VALID_FLAGS):
        if wanted in keys:
            return [*cols, keys.index(wanted)], DirectionDegrees(valid="flag")
    if "confidence" in keys:
        return [*cols, keys.index("confidence")], DirectionDegrees(valid="confidence")
    return cols, DirectionDegrees()


def _unit(v: np.ndarray) -> np.ndarray:
    """Rows of ``v`` (n, 3) as unit vectors; NaN where a row is zero or not finite."""
    norm = np.linalg.norm(v, axis=1, keepdims=True)
    ok = np.isfinite(norm) & (norm > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok, v / np.where(ok, norm, 1.0), np.nan)


def _one_gaze(v: np.ndarray) -> np.ndarray:
    """(n, 3) directions from (n, 3) or the two eyes' (n, 6): their mean, or the eye seen."""
    if v.shape[1] == 3:
        return _unit(v)
    eyes = np.stack([_unit(v[:, :3]), _unit(v[:, 3:])])
    return _unit(np.where(np.isfinite(eyes), eyes, 0.0).sum(axis=0))  # (neither seen: 0, lost)


class DirectionDegrees(Stage):
    """Gaze direction vectors (channels x, y, z, or the two eyes' six) → azimuth and
    elevation in degrees (channels ``x``, ``y``; :mod:`sensekit.eyetrack.directions`).

    Parameters
    ----------
    valid : {None, "flag", "confidence"}
        A last channel says which samples were seen: a flag (0 or not a number: lost), or a
        confidence (under :data:`MIN_CONFIDENCE`: lost).

    Examples
    --------
    >>> from sensekit.core import StreamInfo
    >>> stage = DirectionDegrees()
    >>> _ = stage.open(StreamInfo("hmd", "gaze", 120.0, (3,), channels=("dx", "dy", "dz")))
    >>> frame = Frame(stage.input_info, np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]]), t0=0.0)
    >>> stage.process(frame).data.round(6).tolist()
    [[0.0, 0.0], [45.0, 0.0]]
    """

    def __init__(self, valid: str | None = None) -> None:
        if valid not in (None, "flag", "confidence"):
            raise ParameterError(f"DirectionDegrees(valid={valid!r}): a validity channel is a 'flag' or a "
                                 "'confidence'")
        self.valid = valid

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "DirectionDegrees", regular=True, dtype_kinds="fiu")
        extra = self.valid is not None
        if info.shape not in ((3 + extra,), (6 + extra,)):
            raise StreamFormatError(f"DirectionDegrees: a gaze direction is 3 channels (x, y, z) or the two eyes' 6"
                                    f"{', and its validity' if extra else ''}, stream {info.name!r} has shape "
                                    f"{info.shape}")
        return info.replace(shape=(2,), channels=("x", "y"), dtype="float64", unit="deg",
                            meta={**dict(info.meta), "gaze_units": "deg", "gaze_azimuth": "unwrapped"})

    def _reset(self) -> None:
        self._forward = 0.0  # (the forward axis' sign: 0 until a sample is seen)
        self._last = np.nan  # (the last azimuth seen, in (-180, 180])
        self._turns = 0.0  # (whole turns added to it: a whole number, so any blocks give the same)

    def _process(self, frame: Frame) -> Frame | None:
        data = np.asarray(frame.data, dtype=np.float64)
        if self.valid is None:
            v = _one_gaze(data)
        else:  # (the last channel says which samples the tracker saw)
            mark = data[:, -1]
            seen = mark >= MIN_CONFIDENCE if self.valid == "confidence" else np.isfinite(mark) & (mark != 0)
            v = np.where(seen[:, None], _one_gaze(data[:, :-1]), np.nan)
        seen = np.isfinite(v[:, 0])
        if self._forward == 0.0 and seen.any():
            z = v[np.argmax(seen), 2]
            self._forward = -1.0 if z < 0 else 1.0
        x, y, z = v[:, 0], v[:, 1], v[:, 2] * (self._forward or 1.0)
        az = np.degrees(np.arctan2(x, z))
        el = np.degrees(np.arctan2(y, np.hypot(x, z)))
        if seen.any():  # (unwrapped over the samples seen, from the last one of the previous block)
            kept = az[seen]
            previous = kept[0] if np.isnan(self._last) else self._last
            turns = self._turns - np.cumsum(np.round(np.diff(np.concatenate([[previous], kept])) / 360.0))
            self._last, self._turns = float(kept[-1]), float(turns[-1])
            az[seen] = kept + 360.0 * turns
        return Frame._trusted(self.output_info, np.stack([az, el], axis=1), frame.t0, None, frame.seq)


def direction_degrees(v: np.ndarray, valid: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation (deg) of gaze directions ``v`` (n, 3), or the two eyes' (n, 6),
    with a last column of validity where ``valid`` says what it is: what
    :class:`DirectionDegrees` gives on a stream of them.

    Examples
    --------
    >>> az, el = direction_degrees(np.array([[0.0, 0.0, -1.0], [0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]))
    >>> az.round(6).tolist(), el.round(6).tolist()
    ([0.0, 0.0, nan], [0.0, 45.0, nan])
    """
    v = np.array(v, dtype=np.float64)  # (a copy: a frame's data is read-only, the caller's array stays theirs)
    extra = valid is not None
    if v.ndim != 2 or v.shape[1] not in (3 + extra, 6 + extra):
        raise StreamFormatError(f"gaze directions are rows of 3 (x, y, z) or 6 numbers{' and a validity' * extra}, "
                                f"got shape {v.shape}")
    stage = DirectionDegrees(valid)
    stage.open(StreamInfo("gaze", "gaze", 1.0, (v.shape[1],), dtype="float64"))
    out = stage.process(Frame(stage.input_info, v, t0=0.0)).data
    return out[:, 0], out[:, 1]
