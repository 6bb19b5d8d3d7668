"""Hand-landmark normalisation and the features of static gestures.

Landmarks follow MediaPipe's 21-point order (0 wrist; thumb 1-4; index 5-8; middle 9-12;
ring 13-16; little 17-20). Features are invariant to position, scale and (optionally)
in-plane rotation, and mirrored for left hands so that one model serves both.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FINGERS", "normalize_landmarks", "hand_features", "finger_signature", "kazuhito_normalize",
           "N_HAND_FEATURES", "N_SIGNATURE"]

FINGERS = ((0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (0, 9, 10, 11, 12), (0, 13, 14, 15, 16), (0, 17, 18, 19, 20))
TIPS = (4, 8, 12, 16, 20)


def normalize_landmarks(points: np.ndarray, *, left: np.ndarray | None = None, rotate: bool = True) -> np.ndarray:
    """Wrist-relative, palm-size-scaled (x, y) landmarks, mirrored for left hands.

    Parameters
    ----------
    points : ndarray, shape (n, 21, 2 or 3)
        Landmarks in any consistent unit (pixels, normalised image units, metres).
    left : ndarray of bool, shape (n,), optional
        Which rows are left hands (mirrored in x so they look like right hands).
    rotate : bool
        Rotate each hand so that the wrist -> middle-finger base points up (-y).

    Returns
    -------
    ndarray, shape (n, 21, 2)
        The wrist at the origin and the wrist -> middle-base length 1.
    """
    p = np.asarray(points, dtype=np.float64)[..., :2]
    p = p - p[:, :1]
    if left is not None:
        p[..., 0] *= np.where(np.asarray(left, dtype=bool), -1.0, 1.0)[:, None]
    mid = p[:, 9]
    scale = np.sqrt((mid * mid).sum(-1))  # = np.linalg.norm(mid, axis=1), with less overhead
    scale[scale <= 0] = 1.0
    p /= scale[:, None, None]
    if rotate:
        ang = np.arctan2(p[:, 9, 0], -p[:, 9, 1])
        cs = np.stack([np.cos(ang), np.sin(ang)], axis=-1)[:, None, :]  # (n, 1, 2): c, s
        c, s = cs[..., 0], cs[..., 1]
        x, y = p[..., 0], p[..., 1]
        out = np.empty_like(p)
        out[..., 0] = c * x + s * y
        out[..., 1] = -s * x + c * y
        p = out
    return p


_F = np.array(FINGERS)
_BONE_HEAD, _BONE_TAIL = _F[:, 1:], _F[:, :-1]  # (5, 4): the four bones of each finger
_TIPS = np.array(TIPS)


#: Where the product of two bones' lengths (in palm lengths) is at most this, their angle is 0: one
#: of them has no length (two landmarks at the same point, as recorders that keep whole pixels
#: write them), and the angle of rounding errors would be any angle, another in C than in Python.
ZERO_BONES = 1e-12

#: Up to this many hands, features are computed in plain Python (no numpy call overhead: a
#: live frame's one or two hands cost about 18 us instead of about 45 us); they equal the
#: array path's to 1e-13.
SMALL_BATCH = 4
_BONES = [(f[k], f[k + 1]) for f in FINGERS for k in range(4)]
_JOINTS = [(fi * 4 + a, fi * 4 + a + 1) for fi in range(5) for a in range(3)]
_KNUCKLE_ENDS = [(f[1], f[-1]) for f in FINGERS]
#: Angle features: pairs of vectors among the 20 bones and then the 5 knuckle -> tip directions
#: (each finger's three joints, then the four spreads between neighbouring fingers).
_ANGLE_PAIRS = _JOINTS + [(20 + k, 21 + k) for k in range(4)]


def _features_one(flat: list[float], left: bool) -> list[float] | None:
    """The features of one hand, ``flat`` = x0, y0, x1, y1, ... (42 finite values); None for a
    hand of zero size (the array path decides those)."""
    hypot = math.hypot
    x0, y0 = flat[0], flat[1]
    sx = -1.0 if left else 1.0
    x9, y9 = (flat[18] - x0) * sx, flat[19] - y0
    r2 = x9 * x9 + y9 * y9
    if r2 == 0:
        return None
    cos_r, sin_r = -y9 / r2, x9 / r2  # scale by 1/|mid| and rotate wrist -> middle base to (0, -1) at once
    cx, sxr = cos_r * sx, -sin_r * sx  # the mirroring folded into the rotation
    out, xs, ys = [], [], []
    for i in range(0, 42, 2):
        dx, dy = flat[i] - x0, flat[i + 1] - y0
        x, y = cx * dx + sin_r * dy, sxr * dx + cos_r * dy
        xs.append(x)
        ys.append(y)
        out.append(x)
        out.append(y)
    vx = [xs[h] - xs[t] for t, h in _BONES] + [xs[e] - xs[k] for k, e in _KNUCKLE_ENDS]
    vy = [ys[h] - ys[t] for t, h in _BONES] + [ys[e] - ys[k] for k, e in _KNUCKLE_ENDS]
    sines, cosines = [], []
    for i, j in _ANGLE_PAIRS:
        ux, uy, wx, wy = vx[i], vy[i], vx[j], vy[j]
        cross, dot = ux * wy - uy * wx, ux * wx + uy * wy
        h = hypot(cross, dot)
        if h > ZERO_BONES:
            sines.append(cross / h)
            cosines.append(dot / h)
        else:
            sines.append(0.0)
            cosines.append(1.0)
    x4, y4 = xs[4], ys[4]
    out += sines
    out += cosines
    out += [hypot(xs[t], ys[t]) for t in TIPS]
    out += [hypot(x4 - xs[t], y4 - ys[t]) for t in TIPS[1:]]
    return out


def hand_features(points: np.ndarray, *, left: np.ndarray | None = None) -> np.ndarray:
    """Static-gesture features: normalised coordinates (42), sin and cos of the 15 joint
    bending angles and the 4 spreads between neighbouring fingers (38), tip-to-wrist and
    thumb-to-tip distances in palm units (9). Shape (n, :data:`N_HAND_FEATURES`).

    Batches are computed with a few whole-array operations; up to :data:`SMALL_BATCH` hands
    (a live frame) in plain Python, equal to 1e-13. Order: each finger's three joints, then the
    four spreads."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 3 and 0 < len(pts) <= SMALL_BATCH and pts.shape[1] == 21:
        sides = [False] * len(pts) if left is None else [bool(v) for v in np.asarray(left, dtype=bool)]
        flats = (pts.reshape(len(pts), 42) if pts.shape[2] == 2 else pts[..., :2].reshape(len(pts), 42)).tolist()
        rows = [_features_one(f, side) if math.isfinite(sum(f)) else None for f, side in zip(flats, sides, strict=True)]
        if all(r is not None for r in rows):  # else (NaN, a zero-size hand): the array path decides
            return np.array(rows, dtype=np.float64)
    return _hand_features_array(pts, left)


def _hand_features_array(pts: np.ndarray, left: np.ndarray | None) -> np.ndarray:
    """:func:`hand_features` with whole-array operations (any number of hands)."""
    p = normalize_landmarks(pts, left=left, rotate=True)
    n = len(p)
    bones = p[:, _BONE_HEAD] - p[:, _BONE_TAIL]  # (n, 5, 4, 2)
    dirs = p[:, _F[:, -1]] - p[:, _F[:, 1]]  # (n, 5, 2): knuckle -> tip of each finger
    u = np.concatenate([bones[:, :, :-1].reshape(n, 15, 2), dirs[:, :-1]], axis=1)
    w = np.concatenate([bones[:, :, 1:].reshape(n, 15, 2), dirs[:, 1:]], axis=1)
    cross, dot = u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0], (u * w).sum(-1)
    a = np.where(np.hypot(cross, dot) > ZERO_BONES, np.arctan2(cross, dot), 0.0)
    tips = p[:, _TIPS]
    dist = np.concatenate([np.sqrt((tips * tips).sum(-1)), np.sqrt(((p[:, 4:5] - tips[:, 1:]) ** 2).sum(-1))], axis=1)
    return np.concatenate([p.reshape(n, -1), np.sin(a), np.cos(a), dist], axis=1)


N_HAND_FEATURES = 42 + 38 + 9

#: Landmark pairs of :func:`finger_signature`: tips and knuckles to the wrist (10), the thumb
#: tip to three knuckles (3), the ten tip-to-tip pairs, the thumb tip to the index and middle
#: fingers' last joints (2).
_SIG_PAIRS = np.array([(t, 0) for t in TIPS] + [(b, 0) for b in (2, 5, 9, 13, 17)] + [(4, 5), (4, 9), (4, 17)]
                      + [(a, b) for i, a in enumerate(TIPS) for b in TIPS[i + 1:]] + [(4, 7), (4, 11)])


def _cosine(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (u * v).sum(-1) / np.sqrt((u * u).sum(-1) * (v * v).sum(-1))


def finger_signature(points: np.ndarray) -> np.ndarray:
    """Which fingers are out, and where the thumb is: the open-set signature of a hand pose.

    Each finger's extension ratio (tip-to-wrist over knuckle-to-wrist distance; for the thumb
    landmark 4 over 2), the thumb tip's distance to the index, middle and little knuckles, the
    ten tip-to-tip distances (the first :data:`N_SIGNATURE_V1` columns, a calibration's before
    the thumb's were added), the thumb tip's distance to the index and middle fingers' last
    joints, all in palm lengths (wrist to middle knuckle), and where the thumb points: the
    cosine of its angle (base to tip) to the palm's length (wrist to middle knuckle) and to
    its width (little to index knuckle; unsigned), and of its last joint's bend. Invariant to
    position, scale, rotation and mirroring, computed from (x, y) only, as the keypoint CSVs
    hold. A hand of zero size gives NaN.

    The thumb's five columns were chosen by leaving each class of the development sets out of
    the calibration in turn (bench ``gesture.leave-one-class-out-*``): the left-out class's
    frames rejected, mean over kinivi and kazuhito00, 36.0 % without them, 44.7 % with them,
    beside 32 % with the thumb tip's distance to the three middle joints and 39 % with its two
    directions alone; other people's poses (``gesture.crossperson``) did not choose them (there:
    68.5 -> 73.0 % of the unknown poses rejected, no known row lost).

    Parameters
    ----------
    points : ndarray, shape (n, 21, 2 or 3)

    Returns
    -------
    ndarray, shape (n, :data:`N_SIGNATURE`)

    Examples
    --------
    >>> import numpy as np
    >>> from sensekit.gesture.normalize import finger_signature
    >>> finger_signature(np.random.default_rng(0).normal(size=(2, 21, 3))).shape
    (2, 23)
    """
    p = np.asarray(points, dtype=np.float64)[..., :2]
    d = p[:, _SIG_PAIRS[:, 0]] - p[:, _SIG_PAIRS[:, 1]]
    n = np.sqrt((d * d).sum(-1))  # (n, 25)
    thumb = p[:, 4] - p[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.concatenate([n[:, :5] / n[:, 5:10], n[:, 10:] / n[:, 7:8],
                              np.stack([_cosine(thumb, p[:, 9] - p[:, 0]), np.abs(_cosine(thumb, p[:, 5] - p[:, 17])),
                                        _cosine(p[:, 3] - p[:, 2], p[:, 4] - p[:, 3])], axis=1)], axis=1)
    out[~np.isfinite(out).all(axis=1)] = np.nan
    return out


#: Columns of :func:`finger_signature`.
N_SIGNATURE = 5 + 3 + 10 + 2 + 3
#: Its first columns: the whole signature of calibrations made before the thumb's were added,
#: which are read with them alone.
N_SIGNATURE_V1 = 5 + 3 + 10


def kazuhito_normalize(points: np.ndarray) -> np.ndarray:
    """The keypoint CSV format of the kazuhito00/kinivi sets: wrist-relative (x, y),
    flattened, divided by the row's largest absolute value. Shape (n, 42)."""
    p = np.asarray(points, dtype=np.float64)[..., :2]
    p = (p - p[:, :1]).reshape(len(p), -1)
    m = np.abs(p).max(axis=1, keepdims=True)
    return p / np.where(m > 0, m, 1.0)
