"""Gaze selection: look at a target, pinch to confirm — and gaze dwell, the baseline.

Raw gaze jitters by a few tenths of a degree and jumps during saccades, so the target under
each raw sample flickers at target edges. :class:`GazeFixationFilter` averages the samples of
the current fixation (a new one starts at a saccade: a fast sample or a jump away from the
fixation's centre), causally and sample by sample. :class:`LookAndPinch` keeps the target
under the smoothed gaze for the last ``look_back_s`` and, at each pinch onset, selects the
target the gaze rested on most in that time — the eyes often leave a target just before the
hand confirms it (the "late-trigger" error), so the gaze at the pinch's instant is not enough.
:class:`DwellSelector` selects a target looked at for ``dwell_s`` without a break, the usual
hands-free baseline, with its "Midas touch": a long look selects whether meant or not.

Both stages take one stream ``(x, y[, pinched])`` — gaze in the layout's units, and for
look-and-pinch the pinch state (1 pinched, 0 not, NaN unknown) on the gaze's timeline (see
:class:`~sensekit.core.align.Align`) — and give a ``selection`` stream of events
``(target, confidence)`` at the times they happen (``target`` -1: a pinch with no target under
the gaze). Defaults were chosen on the simulator's tuning seeds (``fusion.select`` reports the
others).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar
from ..core.stage import Stage
from ..errors import StreamFormatError
from .targets import TargetLayout

__all__ = ["GazeFixationFilter", "LookAndPinch", "DwellSelector", "SELECTION_CHANNELS"]

SELECTION_CHANNELS = ("target", "confidence")


class GazeFixationFilter:
    """Causal fixation-aware smoothing of gaze samples (degrees or pixels).

    Parameters
    ----------
    saccade_speed : float
        A sample moving faster than this (units per second) starts a new fixation.
    jump : float
        A sample farther than this from the current fixation's centre starts a new fixation
        (catches saccades between two samples of a slow tracker).
    window_s : float
        At most this much of the fixation is averaged (slow drift is followed).
    max_gap_s : float
        Samples lost (blink, NaN) for longer than this end the fixation.
    """

    def __init__(self, saccade_speed: float = 75.0, jump: float = 1.5, window_s: float = 0.3,
                 max_gap_s: float = 0.1) -> None:
        self.saccade_speed = check_scalar(saccade_speed, "saccade_speed", min_value=0.0, include_min=False)
        self.jump = check_scalar(jump, "jump", min_value=0.0, include_min=False)
        self.window_s = check_scalar(window_s, "window_s", min_value=0.0)
        self.max_gap_s = check_scalar(max_gap_s, "max_gap_s", min_value=0.0)
        self._buf: deque[tuple[float, float, float]] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget the current fixation."""
        self._buf.clear()
        self._sx = self._sy = 0.0
        self._prev: tuple[float, float, float] | None = None

    def __call__(self, t: np.ndarray, xy: np.ndarray) -> np.ndarray:
        """Smoothed gaze ``(n, 2)`` for samples at times ``t`` (NaN where the sample is NaN)."""
        out = np.full((len(t), 2), np.nan)
        buf = self._buf
        for k in range(len(t)):
            tk, x, y = float(t[k]), float(xy[k, 0]), float(xy[k, 1])
            if not (math.isfinite(x) and math.isfinite(y)):
                if self._prev is not None and tk - self._prev[0] > self.max_gap_s:
                    self.reset()
                continue
            new = not buf
            if not new:
                pt, px, py = self._prev
                dt = tk - pt
                speed = math.hypot(x - px, y - py) / dt if dt > 0 else math.inf
                cx, cy = self._sx / len(buf), self._sy / len(buf)
                new = dt > self.max_gap_s or speed > self.saccade_speed or math.hypot(x - cx, y - cy) > self.jump
            if new:
                buf.clear()
                self._sx = self._sy = 0.0
            buf.append((tk, x, y))
            self._sx += x
            self._sy += y
            while len(buf) > 1 and tk - buf[0][0] > self.window_s:
                _, ox, oy = buf.popleft()
                self._sx -= ox
                self._sy -= oy
            self._prev = (tk, x, y)
            out[k] = self._sx / len(buf), self._sy / len(buf)
        return out


class _Selector(Stage):
    """Shared: input checks, the smoothed gaze's target per sample, the event stream."""

    inputs = 2

    def __init__(self, layout: TargetLayout, *, margin: float, fixation: GazeFixationFilter | None) -> None:
        self.layout = layout
        self.margin = check_scalar(margin, "margin", min_value=0.0)
        self.fixation = fixation or GazeFixationFilter()

    def _open(self, info: StreamInfo) -> StreamInfo:
        if info.shape != (self.inputs,):
            what = "(x, y, pinched)" if self.inputs == 3 else "(x, y)"
            raise StreamFormatError(f"{type(self).__name__} takes samples {what}, got shape {info.shape}")
        self._out = StreamInfo("selection", "selection", 0.0, (2,), channels=SELECTION_CHANNELS, dtype="float64",
                               meta={"targets": self.layout.names, "none_target": -1})
        self._seq = 0
        return self._out

    def _hits(self, frame: Frame) -> tuple[list[float], np.ndarray, list[int]]:
        """Times, samples and the target under each smoothed gaze sample (-1: none, -2: no gaze),
        as Python lists for the per-sample state machines."""
        t = frame.times
        x = np.asarray(frame.data, dtype=np.float64)
        hits = self.layout.hit(self.fixation(t, x[:, :2]), self.margin)
        hits[~np.isfinite(x[:, :2]).all(axis=1)] = -2
        return t.tolist(), x, hits.tolist()

    def _events(self, times: list[float], rows: list[tuple[float, float]]) -> Frame | None:
        if not times:
            return None
        self._seq += 1
        return Frame._trusted(self._out, np.asarray(rows, dtype=np.float64), times[0],
                              np.asarray(times, dtype=np.float64), self._seq - 1)

    def _reset(self) -> None:
        self.fixation.reset()


class LookAndPinch(_Selector):
    """Selection events: at each pinch onset, the target the gaze rested on most in the last
    ``look_back_s``.

    Parameters
    ----------
    layout : TargetLayout
        The targets.
    margin : float
        A target's edge is widened by this much (tracker accuracy is 0.5-1 degree).
    look_back_s : float
        The gaze of this long before the pinch's onset votes for the target.
    refractory_s : float
        A pinch onset this soon after the last one is ignored (a bouncing pinch).
    fixation : GazeFixationFilter, optional
        The gaze smoothing.

    Notes
    -----
    Confidence is the share of the look-back window's valid gaze samples on the chosen target.
    A pinch whose window has no gaze on a target gives the event ``(-1, 0)``.
    """

    inputs = 3

    def __init__(self, layout: TargetLayout, *, margin: float = 1.0, look_back_s: float = 0.4,
                 refractory_s: float = 0.2, fixation: GazeFixationFilter | None = None) -> None:
        super().__init__(layout, margin=margin, fixation=fixation)
        self.look_back_s = check_scalar(look_back_s, "look_back_s", min_value=0.0, max_value=5.0)
        self.refractory_s = check_scalar(refractory_s, "refractory_s", min_value=0.0)

    def _reset(self) -> None:
        super()._reset()
        self._hist: deque[tuple[float, int]] = deque()
        self._pinched = False
        self._last_onset = -np.inf

    def _process(self, frame: Frame) -> Frame | None:
        t, x, hits = self._hits(frame)
        times, rows = [], []
        hist = self._hist
        for k in range(frame.n):
            tk = t[k]
            hist.append((tk, hits[k]))
            while hist and tk - hist[0][0] > self.look_back_s:
                hist.popleft()
            p = x[k, 2]
            if math.isnan(p):
                continue  # unknown: keep the last state
            pinched = p >= 0.5
            if pinched and not self._pinched and tk - self._last_onset >= self.refractory_s:
                self._last_onset = tk
                target, conf = self._vote()
                times.append(tk)
                rows.append((target, conf))
            self._pinched = pinched
        return self._events(times, rows)

    def _vote(self) -> tuple[int, float]:
        seen = [h for _, h in self._hist if h != -2]
        on = [h for h in seen if h >= 0]
        if not on:
            return -1, 0.0
        counts: dict[int, int] = {}
        last: dict[int, int] = {}
        for i, h in enumerate(on):
            counts[h] = counts.get(h, 0) + 1
            last[h] = i
        best = max(counts, key=lambda h: (counts[h], last[h]))  # ties: the most recent
        return best, counts[best] / len(seen)


class DwellSelector(_Selector):
    """Selection events: a target looked at for ``dwell_s`` (the baseline).

    A target is selected once per visit: the gaze must leave it to select it again. Gaze lost or
    off every target for up to ``max_gap_s`` (a blink, a jittery sample at its edge) does not
    break the dwell, as in careful dwell implementations; gaze on another target starts a visit
    of that target at once.
    """

    def __init__(self, layout: TargetLayout, *, dwell_s: float = 0.5, margin: float = 1.0, max_gap_s: float = 0.3,
                 fixation: GazeFixationFilter | None = None) -> None:
        super().__init__(layout, margin=margin, fixation=fixation)
        self.dwell_s = check_scalar(dwell_s, "dwell_s", min_value=0.0, include_min=False)
        self.max_gap_s = check_scalar(max_gap_s, "max_gap_s", min_value=0.0)

    def _reset(self) -> None:
        super()._reset()
        self._target, self._since, self._done, self._on = -1, 0.0, False, -np.inf

    def _process(self, frame: Frame) -> Frame | None:
        t, x, hits = self._hits(frame)
        times, rows = [], []
        for k in range(frame.n):
            tk, h = t[k], hits[k]
            if h == self._target and h >= 0:
                self._on = tk
                if not self._done and tk - self._since >= self.dwell_s:
                    self._done = True
                    times.append(tk)
                    rows.append((h, 1.0))
            elif h >= 0:  # another target: a new visit
                self._target, self._since, self._done, self._on = h, tk, False, tk
            elif tk - self._on > self.max_gap_s:  # off every target (or lost) for too long
                self._target = -1
        return self._events(times, rows)
