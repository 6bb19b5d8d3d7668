"""Per-channel standardisation learned from calibration data."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from ...errors import ParameterError
from ..checks import check_finite, check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..registry import register_calibration
from ..schema import MAX_VALUES, Finite, Strict
from ..stage import LearningStage

_L1 = Annotated[list[Finite], Field(max_length=MAX_VALUES)]
_L2 = Annotated[list[_L1], Field(max_length=MAX_VALUES)]
#: A learned array of up to three dimensions as nested lists of finite numbers.
NDList = Finite | _L1 | _L2 | Annotated[list[_L2], Field(max_length=MAX_VALUES)]

__all__ = ["Standardise", "StandardiseParams", "standardisation"]

log = logging.getLogger("sensekit")


def standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and spreads of feature rows ``x`` (n, columns), with spread 1 for columns
    constant up to rounding (a spread of 1e-16 would blow rounding noise up to O(1))."""
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale <= 1e-9 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean, scale


class Standardise(LearningStage):
    """Subtract a per-element mean and divide by a per-element standard deviation.

    Learned attributes (after :meth:`fit` or a calibration): ``mean_`` and ``scale_``,
    each of the stream's sample shape. An element with zero spread in the fitting data
    (a flat channel) gets ``scale_ = 1`` and a warning naming it.
    """

    calibration_kind = "Standardise"

    def fit(self, data: np.ndarray, info: StreamInfo | None = None) -> Standardise:
        """Learn ``mean_`` and ``scale_`` from samples of shape ``(n, *sample_shape)``.

        Parameters
        ----------
        data : ndarray, shape (n, *sample_shape)
            Calibration samples, n >= 2, finite.
        info : StreamInfo, optional
            The stream; used to name flat channels in the warning.
        """
        data = np.asarray(data, dtype=np.float64)
        if data.ndim < 1 or data.shape[0] < 2:
            raise ParameterError(f"Standardise.fit needs at least 2 samples, got shape {data.shape}")
        check_finite(data, "Standardise.fit data")
        self.mean_ = data.mean(axis=0)
        std = data.std(axis=0)
        flat = std == 0
        if flat.any():
            where = np.argwhere(flat)[:3].tolist()
            names = [info.channels[i[0]] for i in where] if info is not None and info.channels else where
            log.warning("Standardise: flat (zero-variance) element(s) %s in the fitting data; scale set to 1", names)
        self.scale_ = np.where(flat, 1.0, std)
        return self

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "Standardise", dtype_kinds="fiu")
        self.check_is_fitted()
        if self.mean_.shape != info.shape:
            raise ParameterError(
                f"Standardise was fitted on samples of shape {self.mean_.shape}, "
                f"stream {info.name!r} has {info.shape}",
                "fit again on data of this stream",
            )
        self._out_info = info.replace(dtype="float64", unit="", channels=info.channels)
        return self._out_info

    def _process(self, frame: Frame) -> Frame:
        y = (frame.data - self.mean_) / self.scale_
        return Frame._trusted(self._out_info, y, frame.t0, frame._times, frame.seq)


class StandardiseParams(Strict):
    """``params`` of a :class:`Standardise` calibration."""

    init: dict[str, Any] = {}
    learned: dict[Literal["mean_", "scale_"], NDList]

    @model_validator(mode="after")
    def _consistent(self) -> StandardiseParams:
        mean, scale = self.learned.get("mean_"), self.learned.get("scale_")
        if mean is None or scale is None or np.shape(mean) != np.shape(scale):
            raise ValueError("learned needs mean_ and scale_ of the same shape")
        if np.size(mean) > MAX_VALUES or not np.all(np.asarray(scale, dtype=float) > 0):
            raise ValueError("learned.scale_ must be > 0 (and at most 2,000,000 values)")
        return self

    def check_stream(self, stream: StreamInfo) -> None:
        if tuple(np.shape(self.learned["mean_"])) != stream.shape:
            raise ValueError(f"learned.mean_ has shape {list(np.shape(self.learned['mean_']))}, the stream "
                             f"{list(stream.shape)}")


register_calibration("Standardise", "sensekit.core.stages.normalize:StandardiseParams",
                     made_by="Standardise().fit(data).save_calibration(...)", aliases=("Standardize",))
