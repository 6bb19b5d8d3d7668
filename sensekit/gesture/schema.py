"""Schema of a static-gesture calibration (kind ``gesture``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..core.info import StreamInfo
from ..core.schema import MAX_VALUES, Matrix, Positive, Probability, Strict, Text, Vector, shape_of
from ..learn.schema import Decoder, DecoderOptions, check_width
from .normalize import N_HAND_FEATURES, N_SIGNATURE, N_SIGNATURE_V1

#: Columns of :func:`sensekit.gesture.dynamic.trajectory_signature`.
TRAJECTORY_SIGNATURE = 7

__all__ = ["GestureParams", "LandmarkConvention", "DynamicParams"]


class LandmarkConvention(Strict):
    """How the training landmarks were made, so that any landmark source is brought to it.

    Attributes
    ----------
    mirrored_images : bool
        The training hands were seen in mirrored (selfie) images, as the keypoint CSVs of the
        kazuhito00/kinivi recorder are (it flips the camera image before detection).
    left_hands_mirrored : bool
        Left hands were mirrored into right ones before training (the camera path knows the
        handedness; the keypoint CSVs do not).
    """

    mirrored_images: bool = False
    left_hands_mirrored: bool = False


class GestureConfig(Strict):
    decoder: Literal["lda", "svm", "mlp", "rf"] = "lda"
    reject_below: Probability | None = None
    decoder_options: DecoderOptions = DecoderOptions()
    input_format: Literal["landmarks", "kazuhito"] = "landmarks"
    features: Literal["hand", "raw"] = "hand"
    convention: LandmarkConvention = LandmarkConvention()
    openset: bool = True
    openset_quantile: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.99
    openset_factor: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] = 3.0


def _check_nearest(near: NearestParams, where: str, widths: tuple[int, ...], width_note: str,
                   classes: list[int]) -> None:
    """A nearest-calibration-row model fits its space (one of ``widths`` columns) and the decoder's
    classes; else a ValueError naming ``where``."""
    rows = shape_of(near.rows, f"{where}.rows") if near.rows else (0, len(near.mean))
    if (rows[1], len(near.scale)) != (len(near.mean),) * 2 or len(near.mean) not in widths or len(near.labels) != rows[0]:
        raise ValueError(f"{where}: {rows[0]} x {rows[1]} rows, {len(near.labels)} labels, "
                         f"{len(near.mean)}/{len(near.scale)} mean/scale; {width_note}")
    if set(near.labels) != set(classes):
        raise ValueError(f"{where}.labels must name exactly the decoder's classes")
    if near.class_scale is not None and shape_of(near.class_scale, f"{where}.class_scale") != (
            len(set(near.labels)), len(near.mean)):
        raise ValueError(f"{where}.class_scale must hold a row of {len(near.mean)} spreads for each of the "
                         f"{len(set(near.labels))} classes")


class NearestParams(Strict):
    """The nearest-calibration-pose model (:class:`sensekit.learn.openset.NearestOpenSet`)."""

    mean: Vector
    scale: Annotated[list[Positive], Field(max_length=1000)]
    rows: Matrix
    labels: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=MAX_VALUES)]
    median: Positive
    class_scale: Annotated[list[Annotated[list[Positive], Field(max_length=1000)]], Field(max_length=1000)] | None = None


class OpenSetParams(Strict):
    """Calibrated confidence and open-set rejection (:mod:`sensekit.learn.openset`)."""

    temperature: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]
    means: Matrix
    whiten: Matrix
    threshold: Positive
    quantile: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.99
    nearest: NearestParams | None = None


class GestureLearned(Strict):
    mean: Vector
    scale: Annotated[list[Positive], Field(max_length=2_000_000)]
    decoder: Decoder
    classes: Annotated[list[Text], Field(min_length=2, max_length=1000)]
    openset: OpenSetParams | None = None


def trajectory_width(features: str, points: int) -> int:
    """Columns of a trajectory classifier's features (:mod:`sensekit.gesture.dynamic`)."""
    if features == "positions":
        return 2 * points
    return 2 * points + 2 * (points - 1) + 2 * (points - 2) + 3  # positions, steps, turns (sin, cos), net, turning


class DynamicConfig(Strict):
    decoder: Literal["lda", "svm", "mlp", "rf"] = "svm"
    features: Literal["positions", "full"] = "positions"
    openset: bool = True
    openset_quantile: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.99
    openset_factor: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)] = 5.0
    reject_below: Probability | None = None
    mirrored_images: bool = False
    pose: Text | None = None
    frame_rate: Annotated[float, Field(ge=0.1, le=10_000, allow_inf_nan=False)] | None = None


class DynamicLearned(Strict):
    points: Annotated[int, Field(ge=3, le=1000)]
    mean: Vector
    scale: Annotated[list[Positive], Field(max_length=100_000)]
    decoder: Decoder
    classes: Annotated[list[Text], Field(min_length=2, max_length=1000)]
    openset: OpenSetParams | None = None
    nearest: NearestParams | None = None


class DynamicParams(Strict):
    """Dynamic gestures of a ``gesture`` calibration: a trajectory classifier on the index
    fingertip's last ``points`` frames (:class:`~sensekit.gesture.dynamic.TrajectoryClassifier`)."""

    config: DynamicConfig
    learned: DynamicLearned

    @model_validator(mode="after")
    def _consistent(self) -> DynamicParams:
        lp = self.learned
        width = trajectory_width(self.config.features, lp.points)
        if len(lp.mean) != width or len(lp.scale) != width:
            raise ValueError(f"dynamic.learned.mean/scale have {len(lp.mean)}/{len(lp.scale)} columns; "
                             f"{self.config.features!r} features of {lp.points} points have {width}")
        check_width(lp.decoder, width, "dynamic.learned.mean")
        if max(lp.decoder.classes) >= len(lp.classes):
            raise ValueError(f"dynamic decoder classes {lp.decoder.classes[:10]} but {len(lp.classes)} class names")
        if lp.openset is not None:
            if shape_of(lp.openset.means, "dynamic.learned.openset.means") != (len(lp.decoder.classes), width) or \
                    shape_of(lp.openset.whiten, "dynamic.learned.openset.whiten") != (width, width):
                raise ValueError(f"dynamic.learned.openset: means and whitening do not fit {len(lp.decoder.classes)} "
                                 f"classes of {width} features")
        elif self.config.openset or self.config.reject_below is not None:
            raise ValueError("dynamic.config asks for open-set rejection or a confidence threshold, but "
                             "dynamic.learned.openset is missing")
        if lp.nearest is not None:
            _check_nearest(lp.nearest, "dynamic.learned.nearest", (TRAJECTORY_SIGNATURE,),
                           f"the trajectory signature has {TRAJECTORY_SIGNATURE} columns", lp.decoder.classes)
        return self


class GestureParams(Strict):
    """``params`` of a ``gesture`` calibration (``dynamic``: optional dynamic gestures)."""

    config: GestureConfig
    learned: GestureLearned
    dynamic: DynamicParams | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GestureParams:
        width = N_HAND_FEATURES if self.config.features == "hand" else 42
        lp = self.learned
        if len(lp.mean) != width or len(lp.scale) != width:
            raise ValueError(f"learned.mean/scale have {len(lp.mean)}/{len(lp.scale)} columns; {self.config.features!r} "
                             f"features have {width}")
        check_width(lp.decoder, width)
        if max(lp.decoder.classes) >= len(lp.classes):
            raise ValueError(f"decoder classes {lp.decoder.classes[:10]} but {len(lp.classes)} class names")
        if lp.openset is not None:
            k, f = shape_of(lp.openset.means, "learned.openset.means")
            if (k, f) != (len(lp.decoder.classes), width) or shape_of(lp.openset.whiten, "learned.openset.whiten") != (
                    width, width):
                raise ValueError(f"learned.openset: means {k} x {f} and whitening for {len(lp.decoder.classes)} classes "
                                 f"of {width} features do not fit")
            if lp.openset.nearest is not None:
                _check_nearest(lp.openset.nearest, "learned.openset.nearest", (N_SIGNATURE, N_SIGNATURE_V1),
                               f"the signature has {N_SIGNATURE} columns ({N_SIGNATURE_V1} in a calibration of an "
                               "earlier release)", lp.decoder.classes)
        pose = self.dynamic.config.pose if self.dynamic is not None else None
        if pose is not None and pose not in lp.classes:
            raise ValueError(f"dynamic.config.pose {pose!r} is none of the static gestures {lp.classes[:10]}")
        return self

    def check_stream(self, stream: StreamInfo) -> None:
        if stream.kind != "landmarks" or stream.shape[-2:] not in ((21, 2), (21, 3)):
            raise ValueError(f"stream: a gesture calibration is for 21 hand landmarks, not {stream.kind!r} "
                             f"{list(stream.shape)}")
