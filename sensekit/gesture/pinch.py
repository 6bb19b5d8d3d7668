"""Pinch detection from hand landmarks: the thumb tip meeting the index fingertip.

The *aperture* is the thumb-tip to index-tip distance divided by the hand's size (wrist to the
middle finger's knuckle), so it does not depend on the hand's distance from the camera. A fist
also brings the two tips together, so a pinch also needs the index finger out of the palm
(index tip at least ``min_reach`` hand sizes from the wrist and ``min_extension`` from its own
knuckle). Hysteresis (close below ``close_at``, open above ``open_at``) keeps a pinch from
chattering, and a hand lost for less than ``hold_missing_s`` keeps its state (a tracking
dropout in the middle of a pinch is not a release and a second pinch).

Defaults chosen on the kinivi keypoint rows (OK sign vs Open/Close/Pointer: 97.3 % of OK rows
pinched, 3.3 % of the others); on rows of other people (gesture-forks-crossperson), 0.26 % of
Open/Close/Pointer rows are called a pinch (``sensekit bench run gesture.pinch``).
"""

from __future__ import annotations

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar
from ..core.stage import Stage
from .landmarks import hand_points, hands_of

__all__ = ["pinch_features", "is_pinch", "PinchDetector"]

THUMB_TIP, INDEX_MCP, INDEX_TIP, WRIST, MIDDLE_MCP = 4, 5, 8, 0, 9


def pinch_features(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(aperture, reach, extension)`` of hands ``(..., 21, 2 or 3)``, in hand sizes; NaN for a
    missing hand."""
    p = np.asarray(points, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.linalg.norm(p[..., WRIST, :] - p[..., MIDDLE_MCP, :], axis=-1)
        size = np.where(size > 0, size, np.nan)
        aperture = np.linalg.norm(p[..., THUMB_TIP, :] - p[..., INDEX_TIP, :], axis=-1) / size
        reach = np.linalg.norm(p[..., INDEX_TIP, :] - p[..., WRIST, :], axis=-1) / size
        extension = np.linalg.norm(p[..., INDEX_TIP, :] - p[..., INDEX_MCP, :], axis=-1) / size
    return aperture, reach, extension


def is_pinch(points: np.ndarray, close_at: float = 0.25, min_reach: float = 1.0,
             min_extension: float = 0.3) -> np.ndarray:
    """Whether each hand ``(..., 21, 2 or 3)`` pinches (no hysteresis: one pose each)."""
    a, r, e = pinch_features(points)
    return (a < close_at) & (r > min_reach) & (e > min_extension)


class PinchDetector(Stage):
    """Landmarks → ``pinch`` stream ``(pinched, aperture)`` per frame.

    Takes the :class:`~sensekit.gesture.landmarks.HandLandmarks` stream ``(hands, 22, 6)``,
    bare landmark rows ``(21, 2|3)`` or a headset's OpenXR joints ``(26, 3)``
    (:func:`~sensekit.gesture.landmarks.hand_points`). ``pinched`` is 1 while any hand pinches; ``aperture`` is
    the smallest aperture among the hands (NaN: no hand).

    Parameters
    ----------
    close_at, open_at : float
        A hand starts pinching when its aperture falls below ``close_at`` and stops when it
        rises above ``open_at`` (hand sizes).
    min_reach, min_extension : float
        The index fingertip's distance from the wrist and from its knuckle (hand sizes) below
        which the hand is a fist, not a pinch.
    hold_missing_s : float
        A hand lost for up to this long keeps its state.

    Examples
    --------
    >>> import numpy as np
    >>> hand = np.zeros((1, 21, 2)); hand[0, 9] = (0, -1); hand[0, 5] = (-0.3, -1)
    >>> hand[0, 8] = (-0.3, -1.5); hand[0, 4] = (-0.35, -1.45)        # tips together, index out
    >>> d = PinchDetector(); _ = d.open(StreamInfo("hand", "landmarks", 30.0, (21, 2)))
    >>> float(d.process(Frame(d.info_in, hand, t0=0.0)).data[0, 0])
    1.0
    """

    def __init__(self, close_at: float = 0.25, open_at: float = 0.35, min_reach: float = 1.0,
                 min_extension: float = 0.3, hold_missing_s: float = 0.15) -> None:
        self.close_at = check_scalar(close_at, "close_at", min_value=0.0, max_value=2.0)
        self.open_at = check_scalar(open_at, "open_at", min_value=self.close_at, max_value=3.0)
        self.min_reach = check_scalar(min_reach, "min_reach", min_value=0.0, max_value=5.0)
        self.min_extension = check_scalar(min_extension, "min_extension", min_value=0.0, max_value=5.0)
        self.hold_missing_s = check_scalar(hold_missing_s, "hold_missing_s", min_value=0.0, max_value=10.0)

    def _open(self, info: StreamInfo) -> StreamInfo:
        self._hands = hands_of(info, "PinchDetector")
        self.info_in = info
        self._out = StreamInfo(info.name, "pinch", info.rate, (2,), channels=("pinched", "aperture"),
                               dtype="float64", meta={"close_at": self.close_at, "open_at": self.open_at})
        self._reset()
        return self._out

    def _reset(self) -> None:
        hands = getattr(self, "_hands", 1)
        self._state = np.zeros(hands, dtype=bool)
        self._last_seen = np.full(hands, -np.inf)

    def _process(self, frame: Frame) -> Frame:
        d = np.asarray(frame.data, dtype=np.float64)
        pts = hand_points(d)  # (n, hands, 21, 2)
        a, r, e = pinch_features(pts)
        fist = ~((r > self.min_reach) & (e > self.min_extension))
        t = frame.times
        out = np.empty((frame.n, 2))
        state, seen = self._state, self._last_seen
        for k in range(frame.n):
            ak = a[k]
            present = np.isfinite(ak)
            seen[present] = t[k]
            lost = ~present & (t[k] - seen > self.hold_missing_s)
            state[lost] = False
            state[present & (ak < self.close_at) & ~fist[k]] = True
            state[present & ((ak > self.open_at) | fist[k])] = False
            out[k, 0] = float(state.any())
            out[k, 1] = np.min(ak[present]) if present.any() else np.nan
        return Frame._trusted(self._out, out, frame.t0, frame._times, frame.seq)
