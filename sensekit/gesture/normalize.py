"""Hand-landmark normalisation and the features of static gestures.

Landmarks follow MediaPipe's 21-point order (0 wrist; thumb 1-4; index 5-8; middle 9-12;
ring 13-16; little 17-20). Features are invariant to position, scale and (optionally)
in-plane rotation, and mirrored for left hands so that one model serves both.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FINGERS", "normalize_landmarks", "hand_features", "kazuhito_normalize", "N_HAND_FEATURES"]

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
    scale = np.linalg.norm(p[:, 9], axis=1)
    p = p / np.where(scale > 0, scale, 1.0)[:, None, None]
    if rotate:
        ang = np.arctan2(p[:, 9, 0], -p[:, 9, 1])
        c, s = np.cos(ang), np.sin(ang)
        x, y = p[..., 0], p[..., 1]
        p = np.stack([c[:, None] * x + s[:, None] * y, -s[:, None] * x + c[:, None] * y], axis=-1)
    return p


def _angle(u: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.arctan2(u[..., 0] * w[..., 1] - u[..., 1] * w[..., 0], (u * w).sum(-1))


def hand_features(points: np.ndarray, *, left: np.ndarray | None = None) -> np.ndarray:
    """Static-gesture features: normalised coordinates (42), sin and cos of the 15 joint
    bending angles and the 4 spreads between neighbouring fingers (38), tip-to-wrist and
    thumb-to-tip distances in palm units (9). Shape (n, :data:`N_HAND_FEATURES`)."""
    p = normalize_landmarks(points, left=left, rotate=True)
    angles = []
    for f in FINGERS:
        bones = np.diff(p[:, f], axis=1)
        angles += [_angle(bones[:, a], bones[:, a + 1]) for a in range(3)]
    dirs = [p[:, f[-1]] - p[:, f[1]] for f in FINGERS]
    angles += [_angle(dirs[a], dirs[a + 1]) for a in range(4)]
    a = np.stack(angles, axis=1)
    dist = [np.linalg.norm(p[:, t], axis=1) for t in TIPS] + [np.linalg.norm(p[:, 4] - p[:, t], axis=1) for t in TIPS[1:]]
    return np.concatenate([p.reshape(len(p), -1), np.sin(a), np.cos(a), np.stack(dist, axis=1)], axis=1)


N_HAND_FEATURES = 42 + 38 + 9


def kazuhito_normalize(points: np.ndarray) -> np.ndarray:
    """The keypoint CSV format of the kazuhito00/kinivi sets: wrist-relative (x, y),
    flattened, divided by the row's largest absolute value. Shape (n, 42)."""
    p = np.asarray(points, dtype=np.float64)[..., :2]
    p = (p - p[:, :1]).reshape(len(p), -1)
    m = np.abs(p).max(axis=1, keepdims=True)
    return p / np.where(m > 0, m, 1.0)
