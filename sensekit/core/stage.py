"""``Stage`` and ``Chain``: everything that transforms a stream."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..errors import NotFittedError, ParameterError, StreamFormatError
from .frame import Frame, concat_frames
from .info import StreamInfo

__all__ = ["Stage", "Chain", "LearningStage"]


class Stage:
    """Base class of every stream transformation.

    A stage's life: construct it with its parameters (stored as given, nothing
    computed), :meth:`open` it on an input :class:`StreamInfo` (checks the format,
    allocates state, returns the output info), then call :meth:`process` on each
    :class:`Frame` in order. :meth:`reset` forgets the stream's history; at the end of a
    stream :meth:`flush` returns what a stage with look-ahead still holds.

    Subclasses implement ``_open(info) -> StreamInfo``, ``_process(frame) -> Frame | None``,
    ``_reset()`` and, when they hold samples back, ``_flush() -> Frame | None``; the public
    methods do the bookkeeping.

    Attributes
    ----------
    input_info : StreamInfo or None
        The stream the stage was opened on.
    output_info : StreamInfo or None
        The stream the stage produces.
    """

    input_info: StreamInfo | None = None
    output_info: StreamInfo | None = None

    # -- public API ----------------------------------------------------------------
    def open(self, info: StreamInfo) -> StreamInfo:
        """Check that the stage can take ``info``, allocate state, return the output info.

        Raises
        ------
        StreamFormatError
            If the stream's kind, rate, shape or dtype does not fit, naming the field.
        """
        if not isinstance(info, StreamInfo):
            raise ParameterError(f"{type(self).__name__}.open expects a StreamInfo, got {type(info).__name__}")
        out = self._open(info)
        self.input_info = info
        self.output_info = out
        self._reset()
        return out

    def process(self, frame: Frame) -> Frame | None:
        """Transform one block. Returns ``None`` when there is no output yet.

        ``frame.n`` may be any size, zero included; the concatenated output does not
        depend on how the input was split into blocks.
        """
        info = self.input_info
        if frame.info is not info:
            self._check_frame_info(frame)
        return self._process(frame)

    def flush(self) -> Frame | None:
        """End of stream: return the output still held back (samples a stage with
        look-ahead was waiting to finish), or ``None``. After ``flush`` the stage is
        reset. Stages without look-ahead hold nothing back."""
        if self.input_info is None:
            raise ParameterError(f"{type(self).__name__}.flush called before open")
        out = self._flush()
        self._reset()
        return out

    def reset(self) -> None:
        """Forget the stream's history (filter state, partial windows); keep parameters
        and anything learned by ``fit``."""
        if self.input_info is None:
            raise ParameterError(f"{type(self).__name__}.reset called before open")
        self._reset()

    @property
    def latency_s(self) -> float:
        """Delay in seconds that the stage adds between an input sample and its effect
        on the output (0 for memoryless stages)."""
        return 0.0

    def close(self) -> None:
        """Release outside resources (a model runtime, a device); ``open`` again to reuse.
        Default: nothing to release."""

    def __call__(self, frame: Frame) -> Frame | None:
        return self.process(frame)

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters, as stored by ``__init__``."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and not k.endswith("_")
                and k not in ("input_info", "output_info")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # -- for subclasses ------------------------------------------------------------
    def _open(self, info: StreamInfo) -> StreamInfo:
        return info

    def _process(self, frame: Frame) -> Frame | None:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _process")

    def _reset(self) -> None:
        """Restore the documented start state; default: nothing to forget."""

    def _flush(self) -> Frame | None:
        """Output held back at the end of the stream; default: none."""
        return None

    def _check_frame_info(self, frame: Frame) -> None:
        if self.input_info is None:
            raise ParameterError(f"{type(self).__name__}.process called before open(info)")
        if frame.info != self.input_info:
            diffs = "; ".join(self.input_info.differences(frame.info))
            raise StreamFormatError(
                f"{type(self).__name__} was opened on stream {self.input_info.name!r} but got a frame of "
                f"another stream ({diffs})",
                "open the stage again on the new stream",
            )


class LearningStage(Stage):
    """A stage with parameters learned by ``fit`` (a normaliser, a classifier).

    ``process`` on an unfitted stage raises :class:`NotFittedError`. Learned
    attributes end in ``_``; :meth:`calibration_params` returns them as plain numbers
    and :meth:`from_calibration_params` restores them.

    ``calibration_kind`` names the registered calibration kind (and schema) its files are of
    (:func:`~sensekit.core.registry.register_calibration`).
    """

    calibration_kind: str = ""

    def fit(self, *args: Any, **kwargs: Any) -> LearningStage:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` ran or a calibration was loaded."""
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def check_is_fitted(self) -> None:
        """Raise :class:`NotFittedError` naming the stage if it has not been fitted."""
        if not self.is_fitted:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted",
                f"call {type(self).__name__}.fit(...) or load a calibration file first",
            )

    def calibration_params(self) -> dict[str, Any]:
        """Learned state as JSON-compatible numbers (lists, floats, strings)."""
        self.check_is_fitted()
        return {k: _to_jsonable(v) for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def set_calibration_params(self, params: dict[str, Any]) -> None:
        """Restore learned state from :meth:`calibration_params` output."""
        for k, v in params.items():
            if not k.endswith("_"):
                raise ParameterError(f"calibration parameter {k!r} is not a learned attribute (no trailing _)")
            setattr(self, k, np.asarray(v, dtype=float) if isinstance(v, list) else v)

    def save_calibration(self, path, stream: StreamInfo, *, device: str = ""):
        """Write the constructor parameters and learned state to a calibration JSON file.

        Parameters
        ----------
        path : path-like
            Output file.
        stream : StreamInfo
            The input stream format the stage was fitted for.
        device : str
            Device description stored in the file.
        """
        from .calibration import save_calibration

        params = {"init": {k: _to_jsonable(v) for k, v in self.get_params().items()},
                  "learned": self.calibration_params()}
        return save_calibration(path, chain=self.calibration_kind, stream=stream, params=params, device=device)

    @classmethod
    def from_calibration(cls, path, stream: StreamInfo | None = None):
        """Build a fitted stage from a file written by :meth:`save_calibration`.

        A ``stream`` whose kind, rate, shape, channels or unit differ from the file's is
        refused with a :class:`~sensekit.errors.CalibrationError` naming the field.
        """
        from .calibration import load_calibration

        cal = load_calibration(path, chain=cls.calibration_kind, stream=stream)
        try:
            stage = cls(**cal.params.get("init", {}))
            stage.set_calibration_params(dict(cal.params["learned"]))
        except (TypeError, KeyError, ParameterError) as e:
            from ..errors import CalibrationError

            raise CalibrationError(f"calibration file {str(path)!r} has bad parameters for {cls.__name__}: {e}") from None
        return stage


def _to_jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


class Chain(Stage):
    """Stages applied one after the other; itself a :class:`Stage`.

    Parameters
    ----------
    *stages : Stage
        The stages in order. A chain of no stages passes frames through.
    """

    def __init__(self, *stages: Stage) -> None:
        for i, s in enumerate(stages):
            if not isinstance(s, Stage):
                raise ParameterError(f"Chain stage {i} must be a Stage, got {type(s).__name__}")
        self.stages = tuple(stages)
        #: With a list per stage (:class:`~sensekit.core.latency.LatencyMeter` sets them), each
        #: stage's processing time of each block is appended to its list (seconds), and
        #: ``timed_until`` is when the last stage run returned (``time.perf_counter``).
        self.timings: list[list[float]] | None = None
        self.timed_until = 0.0

    def _open(self, info: StreamInfo) -> StreamInfo:
        for stage in self.stages:
            info = stage.open(info)
        return info

    def _process(self, frame: Frame) -> Frame | None:
        if self.timings is not None:
            return self._timed_process(frame)
        for stage in self.stages:
            frame = stage.process(frame)
            if frame is None:
                return None
        return frame

    def _timed_process(self, frame: Frame) -> Frame | None:
        for stage, times in zip(self.stages, self.timings, strict=True):
            start = time.perf_counter()
            frame = stage.process(frame)
            self.timed_until = time.perf_counter()
            times.append(self.timed_until - start)
            if frame is None:
                return None
        return frame

    def _reset(self) -> None:
        for stage in self.stages:
            stage.reset()

    def _flush(self) -> Frame | None:
        pending = None  # what the stages before still held, pushed through the rest
        for stage in self.stages:
            parts = [stage.process(pending)] if pending is not None and pending.n else []
            parts.append(stage.flush())
            parts = [p for p in parts if p is not None and p.n]
            pending = concat_frames(parts) if parts else None
        return pending

    def close(self) -> None:
        """Close every stage."""
        for stage in self.stages:
            stage.close()

    @property
    def latency_s(self) -> float:
        """Sum of the stages' latencies in seconds."""
        return sum(s.latency_s for s in self.stages)

    def __len__(self) -> int:
        return len(self.stages)

    def __iter__(self):
        return iter(self.stages)

    def __getitem__(self, i: int) -> Stage:
        return self.stages[i]

    def __repr__(self) -> str:
        return "Chain(" + ", ".join(map(repr, self.stages)) + ")"
