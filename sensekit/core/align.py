"""``Align``: several streams brought onto the timeline of one of them.

A fusion chain needs, at each moment, the latest gaze, hand pose and EMG decision together.
The streams come from devices with their own rates and blocks, so they arrive out of step.
:class:`Align` takes frames of any of its inputs in any order and emits, for every sample of
the *reference* stream, the values of every input at that sample's time — the last sample at or
before it (``hold``) or the straight line between the two samples around it (``linear``).

A reference sample is emitted once every other stream has delivered a sample at or after its
time, so its values are final: the output is the same however the inputs are cut into blocks
and interleaved (tested). A stream that falls silent would hold everything back; ``max_wait_s``
bounds that wait (the declared latency, :attr:`Align.latency_s`): a reference sample older than
``max_wait_s`` than the newest one is emitted with what is known, and columns a stream could not
fill yet are NaN. A value older than ``max_age_s`` is not held: it becomes NaN (a lost device is
not frozen at its last value).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from ..errors import ParameterError, StreamFormatError
from .frame import Frame, concat_frames
from .info import StreamInfo

__all__ = ["Align", "align_frames"]

#: Before the reference's first sample, other streams are kept this far back (s).
HORIZON_S = 5.0


class _Times:
    """Block-invariant timestamps of one input: a regular stream's times count samples from
    the start of its current gap-free run (a block's ``t0`` only starts a new run after a gap),
    so the same sample gets the same time bit for bit however the stream is cut."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.origin = math.nan
        self.count = 0

    def __call__(self, frame: Frame) -> np.ndarray:
        if self.rate <= 0:
            return np.asarray(frame.times, dtype=np.float64)
        expected = self.origin + self.count / self.rate
        if not abs(frame.t0 - expected) < 0.5 / self.rate:  # first block, or a gap
            self.origin, self.count = frame.t0, 0
        t = self.origin + (self.count + np.arange(frame.n)) / self.rate
        self.count += frame.n
        return t


class Align:
    """Several streams on the timeline of one.

    Parameters
    ----------
    reference : int
        Index of the stream whose samples set the output's times (e.g. the gaze stream).
    method : {"hold", "linear"}
        ``hold``: the last sample at or before each time (labels, decisions, landmarks);
        ``linear``: interpolated between the samples around it (continuous signals).
    max_wait_s : float
        Longest time a reference sample waits for the other streams (the declared latency);
        ``inf`` waits for ever (offline). Outputs emitted because of it are not block-invariant.
    max_age_s : float
        A sample older than this is not held (NaN instead).

    Examples
    --------
    >>> import numpy as np
    >>> gaze = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"))
    >>> pinch = StreamInfo("pinch", "signal", 0.0, (1,))
    >>> a = Align(reference=0)
    >>> a.open([gaze, pinch]).channels
    ('gaze.x', 'gaze.y', 'pinch.ch0')
    >>> a.push(0, Frame(gaze, np.zeros((3, 2)), t0=0.0)) is None   # pinch not known yet
    True
    >>> a.push(1, Frame(pinch, np.ones((1, 1)), times=np.array([0.015]))).n
    2
    """

    def __init__(self, reference: int = 0, method: Literal["hold", "linear"] = "hold", *,
                 max_wait_s: float = 0.1, max_age_s: float = 0.5) -> None:
        if method not in ("hold", "linear"):
            raise ParameterError(f"alignment method {method!r} is unknown; use 'hold' or 'linear'")
        if not (max_wait_s >= 0 and max_age_s > 0):
            raise ParameterError("max_wait_s must be >= 0 and max_age_s > 0")
        self.reference = reference
        self.method = method
        self.max_wait_s = float(max_wait_s)
        self.max_age_s = float(max_age_s)
        self.infos: list[StreamInfo] = []

    @property
    def latency_s(self) -> float:
        """The longest a reference sample is held back (``max_wait_s``)."""
        return self.max_wait_s

    def open(self, infos: Sequence[StreamInfo]) -> StreamInfo:
        """Check the inputs and return the output's info: the reference's rate, every input's
        samples flattened into columns named ``stream.channel``."""
        if len(infos) < 2:
            raise ParameterError("Align needs at least two streams")
        if not 0 <= self.reference < len(infos):
            raise ParameterError(f"reference stream {self.reference} is not one of the {len(infos)} inputs")
        names = [i.name for i in infos]
        if len(set(names)) != len(names):
            raise StreamFormatError(f"streams to align need distinct names, got {names}")
        self.infos = list(infos)
        self.widths = [int(np.prod(i.shape)) if i.shape else 1 for i in infos]
        channels, columns, k = [], {}, 0
        for info, w in zip(infos, self.widths, strict=True):
            chans = list(info.channels) if len(info.channels) == w else [f"ch{c}" for c in range(w)]
            channels += [f"{info.name}.{c}" for c in chans]
            columns[info.name] = [k, k + w]
            k += w
        ref = infos[self.reference]
        self.out_info = StreamInfo(name="aligned", kind="aligned", rate=ref.rate, shape=(k,),
                                   channels=tuple(channels), dtype="float64",
                                   meta={"reference": ref.name, "columns": columns, "method": self.method})
        self.reset()
        return self.out_info

    def reset(self) -> None:
        """Forget every stream's history."""
        n = len(self.infos)
        self._clock = [_Times(i.rate) for i in self.infos]
        self._t = [np.empty(0) for _ in range(n)]
        self._x = [np.empty((0, w)) for w in self.widths]
        self._latest = [-math.inf] * n
        self._seq = 0

    def push(self, i: int, frame: Frame) -> Frame | None:
        """Take a frame of input ``i``; return the reference samples that became final (or
        ``None``)."""
        if not self.infos:
            raise ParameterError("Align.open must be called before push")
        if frame.info.shape != self.infos[i].shape:
            raise StreamFormatError(f"stream {self.infos[i].name!r}: frame samples of shape {frame.info.shape}, "
                                    f"opened with {self.infos[i].shape}")
        if frame.n == 0:
            return None
        t = self._clock[i](frame)
        x = np.asarray(frame.data, dtype=np.float64).reshape(frame.n, -1)
        self._t[i] = np.concatenate([self._t[i], t])
        self._x[i] = np.concatenate([self._x[i], x])
        self._latest[i] = max(self._latest[i], float(t[-1]))
        return self._emit(final=False)

    def flush(self) -> Frame | None:
        """The streams ended: emit every reference sample still waiting."""
        return self._emit(final=True) if self.infos else None

    def _emit(self, final: bool) -> Frame | None:
        r = self.reference
        tr = self._t[r]
        if not len(tr):
            if math.isfinite(self.max_wait_s):  # live: bound the memory; offline, everything is kept
                self._trim_unreferenced()
            return None
        others = [j for j in range(len(self.infos)) if j != r]
        ready = min(self._latest[j] for j in others)
        k = len(tr) if final else int(np.searchsorted(tr, ready, side="right"))
        if not final and math.isfinite(self.max_wait_s):
            k = max(k, int(np.searchsorted(tr, self._latest[r] - self.max_wait_s, side="right")))
        if k == 0:
            return None
        times = tr[:k]
        out = np.empty((k, sum(self.widths)))
        col = 0
        for j, w in enumerate(self.widths):
            out[:, col:col + w] = self._x[r][:k] if j == r else self._values(j, times)
            col += w
        self._t[r], self._x[r] = tr[k:], self._x[r][k:]
        for j in others:  # keep the last sample at or before the next reference time, and all after
            keep = max(int(np.searchsorted(self._t[j], times[-1], side="right")) - 1, 0)
            self._t[j], self._x[j] = self._t[j][keep:], self._x[j][keep:]
        seq, self._seq = self._seq, self._seq + 1
        if self.out_info.rate > 0:
            return Frame._trusted(self.out_info, out, float(times[0]), None, seq)
        return Frame._trusted(self.out_info, out, float(times[0]), times.copy(), seq)

    def _values(self, j: int, times: np.ndarray) -> np.ndarray:
        t, x = self._t[j], self._x[j]
        out = np.full((len(times), x.shape[1]), np.nan)
        if not len(t):
            return out
        idx = np.searchsorted(t, times, side="right") - 1
        ok = (idx >= 0) & (times - t[np.maximum(idx, 0)] <= self.max_age_s)
        out[ok] = x[idx[ok]]
        if self.method == "linear":
            nxt = idx + 1
            lin = ok & (nxt < len(t))
            lin[lin] &= t[nxt[lin]] - t[idx[lin]] <= self.max_age_s
            if lin.any():
                a, b = idx[lin], nxt[lin]
                w = ((times[lin] - t[a]) / (t[b] - t[a]))[:, None]
                out[lin] = x[a] + w * (x[b] - x[a])
        return out

    def _trim_unreferenced(self) -> None:
        """No reference sample yet (live): keep the last ``HORIZON_S`` (a reference block that
        arrives later may reach that far back), so memory stays bounded while the reference is
        silent. Offline (``max_wait_s`` infinite) nothing is trimmed: a recording's reference
        stream may be read long after the others."""
        for j in range(len(self.infos)):
            if j != self.reference and len(self._t[j]):
                horizon = self._latest[j] - HORIZON_S - self.max_age_s
                keep = max(int(np.searchsorted(self._t[j], horizon, side="left")) - 1, 0)
                self._t[j], self._x[j] = self._t[j][keep:], self._x[j][keep:]


def align_frames(frames: Sequence[Frame], *, reference: int = 0, method: Literal["hold", "linear"] = "hold",
                 max_age_s: float = 0.5) -> Frame:
    """Whole recordings (one frame per stream) aligned on the reference's timeline."""
    a = Align(reference, method, max_wait_s=math.inf, max_age_s=max_age_s)
    info = a.open([f.info for f in frames])
    order = [reference] + [i for i in range(len(frames)) if i != reference]  # nothing trimmed before it
    parts = [a.push(i, frames[i]) for i in order] + [a.flush()]
    return concat_frames([p for p in parts if p is not None], info)
