"""Schema of a gaze calibration (kind ``eyetrack``, written by :class:`GazeMapper`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..core.schema import Finite, Matrix, Positive, Probability, Strict, shape_of

__all__ = ["GazeMapperParams"]

Pair = Annotated[list[Finite], Field(min_length=2, max_length=2)]

#: Coefficient matrix shape of each mapping method.
COEF_SHAPES = {"poly2": (2, 6), "poly2x": (2, 8), "homography": (3, 3)}


class ScreenSchema(Strict):
    width_mm: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)]
    height_mm: Annotated[float, Field(gt=0, le=1e5, allow_inf_nan=False)]
    width_px: Annotated[int, Field(ge=1, le=100_000)]
    height_px: Annotated[int, Field(ge=1, le=100_000)]
    distance_mm: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]


class GazeMapperInit(Strict):
    screen: ScreenSchema
    method: Literal["poly2", "poly2x", "homography"] = "poly2"
    feature: Literal["pupil", "pupil-glint"] = "pupil"
    outlier_deg: Positive = 2.5
    min_confidence: Probability = 0.6


class GazeMapperLearned(Strict):
    offset_: Pair
    scale_: Annotated[list[Positive], Field(min_length=2, max_length=2)]
    coef_: Matrix
    image_size_: Annotated[list[Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False)]],
                           Field(min_length=2, max_length=2)] | None = None
    n_used_: Annotated[int, Field(ge=0)] | None = None
    fit_error_deg_: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


class GazeMapperParams(Strict):
    """``params`` of an ``eyetrack`` calibration."""

    init: GazeMapperInit
    learned: GazeMapperLearned

    @model_validator(mode="after")
    def _consistent(self) -> GazeMapperParams:
        want = COEF_SHAPES[self.init.method]
        got = shape_of(self.learned.coef_, "learned.coef_")
        if got != want:
            raise ValueError(f"learned.coef_ is {got[0]} x {got[1]}; method {self.init.method!r} needs {want[0]} x {want[1]}")
        return self
