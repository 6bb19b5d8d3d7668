"""``GesturePipeline``: the gesture chain as one object for the command line, the bench and
the API.

Colour images -> :class:`~sensekit.gesture.landmarks.HandLandmarks` -> (One-Euro filter) ->
:class:`~sensekit.gesture.static.StaticGestures` with a calibrated classifier. The classifier
carries its landmark convention (keypoint normalisation, mirrored images, left-hand
mirroring), so a model trained on keypoint CSV rows, on photos or on a camera answers the same
on any landmark source.
"""

from __future__ import annotations

import dataclasses
import os

from ..core import Chain, StreamInfo
from ..errors import StreamFormatError
from .static import StaticGestureClassifier

__all__ = ["GesturePipeline"]


@dataclasses.dataclass
class GesturePipeline:
    """Settings of the gesture chain.

    Parameters
    ----------
    classifier : StaticGestureClassifier or None
        Fitted static-gesture classifier; None publishes landmarks only.
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
    model: str | os.PathLike | None = None
    max_hands: int = 2
    mirrored: bool = False
    smooth: bool = True

    @classmethod
    def load(cls, calibration: str | os.PathLike | None, **settings) -> GesturePipeline:
        """The pipeline with the classifier of a ``gesture`` calibration (or none)."""
        clf = StaticGestureClassifier.load(calibration) if calibration is not None else None
        return cls(classifier=clf, **settings)

    def chain(self, info: StreamInfo) -> Chain:
        """The stages for an image stream ``info``."""
        from .filters import OneEuroFilter
        from .landmarks import HandLandmarks
        from .static import StaticGestures

        if info.kind != "image" or len(info.shape) != 3:
            raise StreamFormatError(f"stream {info.name!r} is a {info.kind!r} stream of shape {info.shape}; gestures "
                                    "need colour images (camera:N or video:FILE)")
        stages = [HandLandmarks(self.model, max_hands=self.max_hands, mirrored=self.mirrored)]
        if self.smooth:
            stages.append(OneEuroFilter(min_cutoff_hz=1.0, beta=0.05))
        if self.classifier is not None:
            stages.append(StaticGestures(self.classifier))
        return Chain(*stages)
