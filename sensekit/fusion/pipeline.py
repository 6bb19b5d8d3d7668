"""``SelectPipeline``: gaze and a pinch stream in, selection events out — the one object that
``sensekit run select``, the bench and the tests use.

Inputs, in any blocks and interleaving (see :class:`~sensekit.core.align.Align`):

- gaze: a ``gaze`` stream in the layout's units (channels ``x``/``y``, else the first two), or
  a headset's gaze direction (``gaze_forward_x/y/z``...: degrees, :mod:`sensekit.eyetrack.directions`);
- pinch (look-and-pinch only): hand landmarks (pinch detected from the thumb and index tips),
  a ``pinch`` stream, or a ``label`` stream of decisions (the EMG chain's, or static gestures)
  whose class ``pinch_class`` means a pinch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..core import Frame, StreamInfo
from ..core.align import Align
from ..core.stage import Stage
from ..errors import ParameterError, StreamFormatError
from ..eyetrack.stages import gaze_input, known_gaze_units
from ..gesture.pinch import PinchDetector
from .select import DwellSelector, GazeFixationFilter, LookAndPinch
from .targets import TargetLayout

__all__ = ["SelectPipeline", "LabelPinch"]


class LabelPinch(Stage):
    """Decisions → pinch state: 1 while the decided class is ``pinch_class`` (any hand), 0 for
    another class, NaN when nothing was decided (no hand, no window yet)."""

    def __init__(self, pinch_class: str = "pinch") -> None:
        self.pinch_class = pinch_class

    def _open(self, info: StreamInfo) -> StreamInfo:
        classes = info.meta.get("classes", ())
        if not isinstance(classes, (list, tuple)) or not all(isinstance(c, str) for c in classes):
            # (a recording's or another machine's meta: 5 or "pinch" are no class names)
            raise StreamFormatError(f"the decisions' class names are {str(classes)[:60]!r}, not a list of names",
                                    "give the decisions of a sensekit chain (run emg, run gesture)")
        classes = list(classes)
        if self.pinch_class not in classes:
            raise StreamFormatError(f"the decisions have no class {self.pinch_class!r} (classes: "
                                    f"{', '.join(classes) or 'none named'})", "name the pinch class with --pinch-class")
        self._index = classes.index(self.pinch_class)
        self._out = StreamInfo(info.name, "pinch", info.rate, (2,), channels=("pinched", "aperture"), dtype="float64")
        return self._out

    def _process(self, frame: Frame) -> Frame:
        d = np.asarray(frame.data, dtype=np.float64)
        labels = d[:, 0] if d.ndim == 2 else d[:, :, 0]  # EMG decisions (n, ch) or per hand (n, hands, 2)
        labels = labels.reshape(frame.n, -1)
        known = np.isfinite(labels).any(axis=1)
        out = np.full((frame.n, 2), np.nan)
        out[known, 0] = (labels[known] == self._index).any(axis=1)
        return Frame._trusted(self._out, out, frame.t0, frame._times, frame.seq)


class SelectPipeline:
    """Look-and-pinch (or gaze dwell) selection from a gaze stream and a pinch stream.

    Parameters
    ----------
    layout : TargetLayout
        The targets, in the gaze stream's units.
    method : {"pinch", "dwell"}
        Confirm by a pinch, or by looking for ``dwell_s``.
    margin, look_back_s : float
        See :class:`~sensekit.fusion.select.LookAndPinch`.
    dwell_s : float
        Dwell time of the ``dwell`` method.
    pinch_class : str or None
        The decisions' class that means a pinch (label streams; None: ``"pinch"``). Given for a
        pinch stream of another kind (hand landmarks, a pinch state), which has no classes, it is
        refused at :meth:`open`, not ignored.
    max_wait_s : float
        Longest a gaze sample waits for the pinch stream (the declared latency; ``inf`` offline).

    Examples
    --------
    >>> from sensekit.fusion.targets import TargetLayout
    >>> layout = TargetLayout(targets=[{"name": "a", "x": -5, "y": 0, "radius": 1},
    ...                                {"name": "b", "x": 5, "y": 0, "radius": 1}])
    >>> pipe = SelectPipeline(layout)
    >>> gaze = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"))
    >>> pinch = StreamInfo("hand", "pinch", 0.0, (2,), channels=("pinched", "aperture"))
    >>> pipe.open([gaze, pinch]).name
    'selection'
    """

    def __init__(self, layout: TargetLayout, *, method: Literal["pinch", "dwell"] = "pinch", margin: float = 1.0,
                 look_back_s: float = 0.4, dwell_s: float = 0.5, pinch_class: str | None = None,
                 max_wait_s: float = 0.1, fixation: GazeFixationFilter | None = None) -> None:
        if method not in ("pinch", "dwell"):
            raise ParameterError(f"selection method {method!r} is unknown; use pinch or dwell")
        self.layout = layout
        self.method = method
        self.pinch_class = pinch_class
        self.max_wait_s = max_wait_s
        if method == "pinch":
            self.selector: Stage = LookAndPinch(layout, margin=margin, look_back_s=look_back_s, fixation=fixation)
        else:
            self.selector = DwellSelector(layout, dwell_s=dwell_s, margin=margin, fixation=fixation)

    @property
    def inputs(self) -> int:
        """How many streams it takes: gaze and pinch, or gaze alone (dwell)."""
        return 2 if self.method == "pinch" else 1

    def open(self, infos: Sequence[StreamInfo]) -> StreamInfo:
        """Check the inputs (gaze first) and return the selection stream's info."""
        if len(infos) != self.inputs:
            raise ParameterError(f"{self.method} selection takes {self.inputs} stream(s), got {len(infos)}")
        gaze = infos[0]
        self._gaze_cols, self._direction = gaze_input(gaze)  # (a headset's gaze direction: to degrees)
        units = known_gaze_units(gaze, direction=self._direction is not None)
        if units is not None and units != self.layout.units:  # (targets at +-10 deg and gaze at 960 px never meet)
            raise ParameterError(f"the target layout is in {self.layout.units}, gaze stream {gaze.name!r} in {units}",
                                 (f"give a layout in {units} (its 'units'), or " if units in ("deg", "px") else "give ")
                                 + f"the gaze in {self.layout.units}")
        if self._direction is not None:
            self._direction.open(gaze.replace(shape=(len(self._gaze_cols),)))
        if self.method == "dwell":
            self._align = None
            self._gaze_info = StreamInfo(gaze.name, "gaze", gaze.rate, (2,), channels=("x", "y"), dtype="float64")
            return self.selector.open(self._gaze_info)
        pinch = infos[1]
        if self.pinch_class is not None and pinch.kind in ("landmarks", "pinch"):
            what = "hand landmarks, pinched when the thumb and index tips meet" if pinch.kind == "landmarks" else \
                "a pinch state"
            raise ParameterError(f"the pinch class {self.pinch_class!r} (--pinch-class) does not apply: the pinch stream "
                                 f"{pinch.name!r} is {what}, not decisions of classes", "leave it out")
        if pinch.kind == "landmarks":
            self._pinch: Stage | None = PinchDetector()
        elif pinch.kind == "label":
            self._pinch = LabelPinch(self.pinch_class or "pinch")
        elif pinch.kind == "pinch":
            self._pinch = None
        else:
            raise StreamFormatError(f"the pinch stream {pinch.name!r} is of kind {pinch.kind!r}",
                                    "give hand landmarks (camera), EMG or gesture decisions, or a pinch stream")
        pinch_out = self._pinch.open(pinch) if self._pinch is not None else pinch
        gaze2 = StreamInfo("gaze", "gaze", gaze.rate, (2,), channels=("x", "y"), dtype="float64")
        self._align = Align(0, "hold", max_wait_s=self.max_wait_s, max_age_s=0.5)
        aligned = self._align.open([gaze2, pinch_out.replace(name="pinch")])
        self._gaze_info = gaze2
        self._pinch_info = pinch_out.replace(name="pinch")
        self._sel_info = StreamInfo("look", "aligned", aligned.rate, (3,), channels=("x", "y", "pinched"),
                                    dtype="float64")
        self._pinch_col = aligned.meta["columns"]["pinch"][0]
        return self.selector.open(self._sel_info)

    @property
    def latency_s(self) -> float:
        """Longest time a gaze sample is held back before it can select."""
        align = getattr(self, "_align", None)
        return 0.0 if align is None else align.latency_s

    def reset(self) -> None:
        """Forget the streams' history (after :meth:`open`)."""
        if not hasattr(self, "_gaze_info"):
            raise ParameterError("SelectPipeline.reset called before open")
        self.selector.reset()
        if self._align is not None:
            self._align.reset()
            if self._pinch is not None:
                self._pinch.reset()
        if self._direction is not None:
            self._direction.reset()

    def push(self, i: int, frame: Frame) -> Frame | None:
        """A frame of input ``i`` (0 gaze, 1 pinch) → the selections it completes (or None)."""
        if i == 0:
            xy = np.asarray(frame.data, dtype=np.float64)[:, self._gaze_cols]
            if self._direction is not None:
                xy = self._direction.process(Frame._trusted(self._direction.input_info, xy, frame.t0, None,
                                                            frame.seq)).data
            frame = Frame._trusted(self._gaze_info, xy, frame.t0, frame._times, frame.seq)
            if self._align is None:
                return self.selector.process(frame)
        elif self._pinch is not None:
            frame = self._pinch.process(frame)
        else:
            frame = Frame._trusted(self._pinch_info, np.asarray(frame.data, dtype=np.float64), frame.t0,
                                   frame._times, frame.seq)
        return self._select(self._align.push(i, frame))

    def flush(self) -> Frame | None:
        """The inputs ended: the selections still waiting."""
        return self._select(self._align.flush()) if self._align is not None else None

    def _select(self, aligned: Frame | None) -> Frame | None:
        if aligned is None:
            return None
        d = aligned.data[:, [0, 1, self._pinch_col]]
        return self.selector.process(Frame._trusted(self._sel_info, d, aligned.t0, aligned._times, aligned.seq))

    def run(self, gaze: Frame, pinch: Frame | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Whole recordings → ``(times, events (n, 2))``: the reference for block-wise use."""
        infos = [gaze.info] + ([pinch.info] if pinch is not None and self.inputs == 2 else [])
        wait, self.max_wait_s = self.max_wait_s, math.inf
        try:
            self.open(infos)
            parts = [self.push(0, gaze)]
            if self.inputs == 2:
                parts.append(self.push(1, pinch))
            parts.append(self.flush())
        finally:
            self.max_wait_s = wait
        parts = [p for p in parts if p is not None]
        if not parts:
            return np.empty(0), np.empty((0, 2))
        return np.concatenate([p.times for p in parts]), np.concatenate([p.data for p in parts])
