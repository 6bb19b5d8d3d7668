"""Channel selection, stream meta and units, signal checks."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ...errors import ParameterError
from ..checks import check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..stage import Stage
from ..units import stated_full_scale

__all__ = ["SelectChannels", "SetMeta", "ToUnit", "SignalCheck", "ABSURD_SAMPLE", "lost_samples"]

#: A sample beyond this magnitude is no measurement in any unit (a 32-bit converter's counts
#: reach 2e9, microvolts of a saturated amplifier 1e7): it is treated as lost, like a NaN. A
#: sample of 1e300 had overflowed the EMG features into infinities.
ABSURD_SAMPLE = 1e15


def lost_samples(x: np.ndarray) -> np.ndarray:
    """Where ``x`` holds no measurement: NaN, infinite, or beyond :data:`ABSURD_SAMPLE` (a
    boolean array of ``x``'s shape)."""
    return ~(np.abs(x) <= ABSURD_SAMPLE)

log = logging.getLogger("sensekit")


class SelectChannels(Stage):
    """Keep some channels (the first sample axis), in the order given.

    Parameters
    ----------
    channels : sequence of str or int
        Channel names or 0-based indices; names and indices may be mixed.
    """

    def __init__(self, channels: Sequence[str | int]) -> None:
        self.channels = channels

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "SelectChannels", dtype_kinds=None)
        if not info.shape:
            raise ParameterError(f"SelectChannels: stream {info.name!r} has scalar samples; nothing to select")
        if isinstance(self.channels, (str, int)) or len(self.channels) == 0:
            raise ParameterError(f"SelectChannels: channels must be a non-empty list, got {self.channels!r}")
        idx = []
        for c in self.channels:
            if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                if not 0 <= c < info.shape[0]:
                    raise ParameterError(
                        f"SelectChannels: channel index {c} out of range for stream {info.name!r} "
                        f"with {info.shape[0]} channels (0..{info.shape[0] - 1})"
                    )
                idx.append(int(c))
            elif isinstance(c, str) and c in info.channels:
                idx.append(info.channels.index(c))
            else:
                raise ParameterError(
                    f"SelectChannels: no channel {c!r} in stream {info.name!r}; channels are {list(info.channels)}"
                )
        self.indices_ = np.asarray(idx, dtype=np.intp)
        names = tuple(info.channels[i] for i in idx) if info.channels else ()
        if len(set(idx)) != len(idx):
            names = tuple(f"{n}#{k}" for k, n in enumerate(names))
        self._out_info = info.replace(shape=(len(idx), *info.shape[1:]), channels=names)
        return self._out_info

    def _process(self, frame: Frame) -> Frame:
        data = np.take(frame.data, self.indices_, axis=1)
        return Frame._trusted(self._out_info, data, frame.t0, frame._times, frame.seq)


class SetMeta(Stage):
    """Pass samples through unchanged; add or replace entries of the stream's meta (e.g.
    the array geometry a capture should carry).

    Parameters
    ----------
    **meta
        JSON-compatible values.
    """

    def __init__(self, **meta) -> None:
        self.meta = meta

    def _open(self, info: StreamInfo) -> StreamInfo:
        return info.replace(meta={**dict(info.meta), **self.meta})

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if frame.info.rate > 0:
            return Frame._trusted(self.output_info, frame.data, frame.t0, None, frame.seq)
        return Frame._trusted(self.output_info, frame.data, frame.t0, frame.times, frame.seq)


class ToUnit(Stage):
    """Samples in one voltage unit into another (``V``, ``mV``, ``uV``/``µV``, ``nV``): a band
    calibrated in microvolts read from a stream in volts.

    Parameters
    ----------
    unit : str
        The unit to give; the stream's own must be a voltage too.

    Examples
    --------
    >>> from sensekit.core import Frame, StreamInfo
    >>> stage = ToUnit("uV")
    >>> info = stage.open(StreamInfo("band", "emg", 1000.0, (1,), unit="mV"))
    >>> info.unit, stage.process(Frame(stage.input_info, np.array([[0.5]]), t0=0.0)).data.tolist()
    ('uV', [[500.0]])
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit

    def _open(self, info: StreamInfo) -> StreamInfo:
        from ..units import voltage_factor

        check_stream(info, "ToUnit", dtype_kinds="fiu")
        factor = voltage_factor(info.unit, self.unit)
        if factor is None:
            raise ParameterError(f"ToUnit: stream {info.name!r} in {info.unit!r} cannot be read in {self.unit!r}",
                                 "both must be voltages (V, mV, uV, nV)")
        self._factor = factor
        return info.replace(unit=self.unit, dtype="float64")

    def _process(self, frame: Frame) -> Frame | None:
        data = np.asarray(frame.data, dtype=np.float64) * self._factor
        return Frame._trusted(self.output_info, data, frame.t0, frame._times, frame.seq)


class SignalCheck(Stage):
    """Pass a signal through, warning once per channel about NaN, flat or saturated data.

    NaN, infinite and absurd samples (beyond :data:`ABSURD_SAMPLE`) are replaced by 0 (so
    that filters downstream keep working) and named in a warning; a channel that does not
    change for ``flat_s`` seconds is reported as flat (a dead sensor or a lost contact); one
    whose samples reach ``full_scale`` (from the argument or ``meta["full_scale"]``) in more
    than 1 % of a second is reported as saturated (clipped).

    Parameters
    ----------
    flat_s : float
        Seconds without change that make a channel flat.
    full_scale : float, optional
        The largest value the converter delivers (1.0 for float audio).
    label : str
        What a channel is called in the warnings (``"EMG channel"``, ``"microphone"``).
    """

    def __init__(self, *, flat_s: float = 1.0, full_scale: float | None = None, label: str = "channel") -> None:
        self.flat_s = flat_s
        self.full_scale = full_scale
        self.label = label

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "SignalCheck", regular=True, ndim=1, dtype_kinds="fiu")
        self._flat_n = max(2, int(self.flat_s * info.rate))
        self._fs = self.full_scale if self.full_scale is not None else stated_full_scale(info)
        self._out = info.replace(dtype="float64", channels=info.channels)
        return self._out

    def _reset(self) -> None:
        n = self.input_info.shape[0]
        self._same_run = np.zeros(n, dtype=np.int64)
        self._last = np.full(n, np.nan)
        self._warned: set[tuple[str, int]] = set()
        self._sat = np.zeros(n, dtype=np.int64)
        self._seen = 0

    def _warn(self, what: str, ch: int, text: str) -> None:
        if (what, ch) not in self._warned:
            self._warned.add((what, ch))
            log.warning("%s %r %s", self.label, self.input_info.channels[ch], text)

    def _process(self, frame: Frame) -> Frame:
        x = np.asarray(frame.data, dtype=np.float64)
        if x.shape[0] == 0:
            return Frame._trusted(self._out, x, frame.t0, None, frame.seq)
        bad = lost_samples(x)
        if bad.any():
            for ch in np.flatnonzero(bad.any(axis=0)):
                self._warn("nan", int(ch), f"has NaN, infinite or absurd (beyond {ABSURD_SAMPLE:g}) samples: replaced by "
                                           "0 (check the sensor)")
            x = np.where(bad, 0.0, x)
        # flat: a channel whose every sample in the block equals the last one seen
        same = (x.max(axis=0) == x.min(axis=0)) & ((x[0] == self._last) | np.isnan(self._last))
        self._same_run = np.where(same, self._same_run + x.shape[0], 0)
        self._last = x[-1].copy()
        if (self._same_run >= self._flat_n).any():
            for ch in np.flatnonzero(self._same_run >= self._flat_n):
                self._warn("flat", int(ch), f"is flat (no change for {self.flat_s:g} s): dead sensor or lost contact?")
        if self._fs:
            self._sat += (np.abs(x) >= self._fs).sum(axis=0)
            self._seen += x.shape[0]
            if self._seen >= self.input_info.rate:
                for ch in np.flatnonzero(self._sat > 0.01 * self._seen):
                    self._warn("sat", int(ch), f"is saturated (|x| >= {self._fs:g} in {self._sat[ch] / self._seen:.0%} "
                                               "of samples): lower the gain")
                self._sat[:] = 0
                self._seen = 0
        return Frame._trusted(self._out, x, frame.t0, None, frame.seq)
