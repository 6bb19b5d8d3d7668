"""``GesturePipeline``: the gesture chain as one object for the command line, the bench and
the API.

Colour images -> :class:`~sensekit.gesture.landmarks.HandLandmarks` -> (One-Euro filter) ->
:class:`~sensekit.gesture.static.StaticGestures` with a calibrated classifier (and, where the
calibration has them, :class:`~sensekit.gesture.dynamic.DynamicGestures` beside it); a stream of
hand landmarks goes straight to the classifiers. The classifier carries its landmark convention
(keypoint normalisation, mirrored images, left-hand mirroring), so a model trained on keypoint
CSV rows, on photos or on a camera answers the same on any landmark source.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..core import Chain, Frame, StreamInfo
from ..core.stage import Stage
from ..errors import ParameterError, StreamFormatError
from .dynamic import DynamicGestures, TrajectoryClassifier
from .static import StaticGestureClassifier, StaticGestures, load_gestures

__all__ = ["GesturePipeline", "HandGestures"]

class HandGestures(Stage):
    """Static and dynamic gestures of the same landmarks, side by side: a ``label`` stream of
    shape (max_hands, 4) holding (label, confidence, motion, motion confidence) per hand, the
    classes in ``meta["classes"]`` and ``meta["motion_classes"]``. With the dynamic classifier's
    ``pose``, the fingertip is followed only while the hand holds that static gesture: in any
    other pose the hand makes no motion (NaN) and its trajectory starts again."""

    def __init__(self, static: StaticGestures, dynamic: DynamicGestures) -> None:
        self.static, self.dynamic = static, dynamic
        pose = dynamic.classifier.pose
        names = list(static.classifier.learned_["classes"]) if static.classifier.learned_ else []
        if pose is not None and pose not in names:
            raise ParameterError(f"the motions' pose {pose!r} is none of the static gestures {names}")
        self._pose = names.index(pose) if pose is not None else None

    def _open(self, info: StreamInfo) -> StreamInfo:
        a, b = self.static.open(info), self.dynamic.open(info)
        self._out = StreamInfo(info.name, "label", info.rate, (info.shape[0], 4), dtype="float64",
                               meta={**a.meta, "motion_classes": b.meta["classes"],
                                     "columns": [*a.meta["columns"], *b.meta["columns"]]})
        return self._out

    def _reset(self) -> None:
        self.static.reset()
        self.dynamic.reset()

    def _process(self, frame: Frame) -> Frame:
        a = self.static.process(frame)
        if self._pose is not None:  # another pose (or none): the fingertip is not followed
            away = a.data[..., 0] != self._pose  # (n, hands)
            if away.any():
                data = np.array(frame.data, dtype=np.float64)
                data[away] = np.nan
                frame = Frame._trusted(frame.info, data, frame.t0, frame._times, frame.seq)
        b = self.dynamic.process(frame)
        return Frame._trusted(self._out, np.concatenate([a.data, b.data], axis=-1), frame.t0, frame._times, frame.seq)


@dataclasses.dataclass
class GesturePipeline:
    """Settings of the gesture chain.

    Parameters
    ----------
    classifier : StaticGestureClassifier or None
        Fitted static-gesture classifier; None publishes landmarks only.
    dynamic : TrajectoryClassifier or None
        Fitted dynamic-gesture classifier (the index fingertip's trajectory), published beside
        the static gestures (:class:`HandGestures`); needs ``classifier``.
    model : path or None
        ``hand_landmarker.task`` (default: ``$SENSEKIT_MODELS`` or the fetched model).
    max_hands : int
        Hands per image.
    mirrored : bool
        The camera delivers mirrored (selfie) images.
    smooth : bool
        One-Euro filter on the landmarks (``min_cutoff_hz`` 1, ``beta`` 0.05).
    """

    classifier: StaticGestureClassifier | None = None
    dynamic: TrajectoryClassifier | None = None
    model: str | os.PathLike | None = None
    max_hands: int = 2
    mirrored: bool = False
    smooth: bool = True

    @classmethod
    def load(cls, calibration: str | os.PathLike | None, **settings) -> GesturePipeline:
        """The pipeline with the classifiers of a ``gesture`` calibration (or none)."""
        clf, dynamic = load_gestures(calibration) if calibration is not None else (None, None)
        return cls(classifier=clf, dynamic=dynamic, **settings)

    def chain(self, info: StreamInfo) -> Chain:
        """The stages for an image stream ``info``, or for a hand-landmarks stream (see
        :class:`~sensekit.gesture.static.StaticGestures`: the landmarks a camera chain publishes,
        from another machine or a recording, or another tracker's 21 per hand), which is
        classified as it comes: the landmarker's settings and the filter are the image
        chain's."""
        from .filters import OneEuroFilter
        from .landmarks import HandLandmarks

        if info.kind == "landmarks":
            if self.classifier is None:
                raise ParameterError(f"stream {info.name!r} holds hand landmarks already; classifying them needs a "
                                     "gesture calibration", "give -c CALIBRATION.json")
            stages = []
        elif info.kind != "image" or len(info.shape) != 3:
            raise StreamFormatError(f"stream {info.name!r} is a {info.kind!r} stream of shape {info.shape}; gestures "
                                    "need colour images (camera:N or video:FILE) or hand landmarks")
        else:
            stages = [HandLandmarks(self.model, max_hands=self.max_hands, mirrored=self.mirrored)]
            if self.smooth:
                stages.append(OneEuroFilter(min_cutoff_hz=1.0, beta=0.05))
        if self.classifier is not None and self.dynamic is not None:
            stages.append(HandGestures(StaticGestures(self.classifier), DynamicGestures(self.dynamic)))
        elif self.classifier is not None:
            stages.append(StaticGestures(self.classifier))
        return Chain(*stages)
