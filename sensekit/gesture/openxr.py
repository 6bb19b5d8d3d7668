"""MediaPipe's 21 hand landmarks as the 26 joints of OpenXR ``XR_EXT_hand_tracking``.

OpenXR adds a palm joint, a metacarpal for each long finger, and names the thumb's joints
metacarpal/proximal/distal/tip. Missing joints are interpolated: the palm is the midpoint
of the wrist and the middle finger's base; a long finger's metacarpal is the midpoint of
the wrist and that finger's base (MediaPipe's MCP is OpenXR's proximal joint).
"""

from __future__ import annotations

import numpy as np

__all__ = ["OPENXR_JOINTS", "to_openxr", "from_openxr"]

#: XrHandJointEXT order.
OPENXR_JOINTS = (
    "palm", "wrist",
    "thumb_metacarpal", "thumb_proximal", "thumb_distal", "thumb_tip",
    "index_metacarpal", "index_proximal", "index_intermediate", "index_distal", "index_tip",
    "middle_metacarpal", "middle_proximal", "middle_intermediate", "middle_distal", "middle_tip",
    "ring_metacarpal", "ring_proximal", "ring_intermediate", "ring_distal", "ring_tip",
    "little_metacarpal", "little_proximal", "little_intermediate", "little_distal", "little_tip",
)


def to_openxr(points: np.ndarray) -> np.ndarray:
    """Convert (..., 21, d) MediaPipe landmarks to (..., 26, d) OpenXR joints.

    World landmarks (metres, MediaPipe's y down) should be converted to the XR space's
    axes by the caller; this maps joints only.
    """
    p = np.asarray(points, dtype=np.float64)
    if p.shape[-2] != 21:
        raise ValueError(f"expected 21 landmarks on axis -2, got shape {p.shape}")
    wrist = p[..., 0, :]
    out = [0.5 * (wrist + p[..., 9, :]), wrist, p[..., 1, :], p[..., 2, :], p[..., 3, :], p[..., 4, :]]
    for base in (5, 9, 13, 17):
        out.append(0.5 * (wrist + p[..., base, :]))
        out += [p[..., base + k, :] for k in range(4)]
    return np.stack(out, axis=-2)


#: For each of MediaPipe's 21 landmarks, its OpenXR joint (the palm and the long fingers'
#: metacarpals have none).
_MEDIAPIPE_FROM_OPENXR = np.array([1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 14, 15, 17, 18, 19, 20, 22, 23, 24, 25])


def from_openxr(joints: np.ndarray) -> np.ndarray:
    """Convert (..., 26, d) OpenXR ``XR_EXT_hand_tracking`` joints to (..., 21, d) MediaPipe
    landmarks: the inverse of :func:`to_openxr` (a headset's hand tracking read by the gesture
    chain). Axes are kept as given.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.random.default_rng(0).normal(size=(21, 3))
    >>> bool(np.array_equal(from_openxr(to_openxr(p)), p))
    True
    """
    j = np.asarray(joints, dtype=np.float64)
    if j.shape[-2] != len(OPENXR_JOINTS):
        raise ValueError(f"expected {len(OPENXR_JOINTS)} OpenXR joints on axis -2, got shape {j.shape}")
    return j[..., _MEDIAPIPE_FROM_OPENXR, :]
