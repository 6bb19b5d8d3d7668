"""``StreamInfo``: the immutable description of one stream."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["StreamInfo", "IRREGULAR_RATE", "MAX_RATE_HZ", "STREAM_KINDS", "UNKNOWN_KIND", "RATE_RTOL", "nominal_rate",
           "rate_from_times", "same_rate"]

#: Nominal rate of a stream without a fixed sampling rate (camera landmarks, events).
IRREGULAR_RATE = 0.0

#: The fastest stream sensekit takes (Hz), as calibration files do: beyond any sensor it reads (audio
#: interfaces reach 768 kHz). A faster one is a misread time column or a damaged header: an LSL outlet
#: stating 1 GHz made 'capture --duration 1' wait for a billion samples.
MAX_RATE_HZ = 1e7

#: The kind of a stream read from a file that does not say what it holds (CSV, WAV, EDF
#: without a label): it matches any kind when a calibration is checked against it.
UNKNOWN_KIND = "signal"

#: Relative tolerance within which two nominal rates are the same rate: a device's rate written
#: by different tools, or estimated from timestamps and snapped to a whole number of Hz by
#: :func:`nominal_rate`, which moves it by up to this much (a Delsys Trigno's 1925.926 Hz, stated
#: so by its LSL outlet, becomes 1926 Hz from a CSV export's timestamps; at 1e-6 a calibration
#: made on the file refused the live band).
RATE_RTOL = 2e-3


def nominal_rate(estimate: float) -> float:
    """The nominal rate behind a rate estimated from timestamps: the nearest whole number of
    Hz where the estimate is within 0.2 % of it, else the estimate to 6 significant digits.

    >>> nominal_rate(499.9731), nominal_rate(29.97003), nominal_rate(2.5e-3)
    (500.0, 30.0, 0.0025)
    """
    if not math.isfinite(estimate) or estimate <= 0:
        return 0.0
    whole = round(estimate)
    if whole > 0 and abs(estimate - whole) <= RATE_RTOL * estimate:
        return float(whole)
    return float(f"{estimate:.6g}")


def rate_from_times(times: np.ndarray) -> float:
    """The nominal rate (:func:`nominal_rate`) of a stream's timestamps ``times`` (s): the mean of
    its regular steps (within half and one and a half times the median step), so gaps are left
    out and timestamps rounded to a clock coarser than the samples are read right; where fewer
    than three quarters of the steps are regular (samples that come unevenly: two eye cameras'
    gaze interleaved; packets of samples stamped alike on arrival), the mean of the steps up to
    three times the upper quartile of those that advance. 0 where no step advances.

    The median step alone is one of the rounded values: a 300 Hz tracker stamped in whole
    milliseconds steps 3, 3 and 4 ms (median 3 ms: "333 Hz"), a 2048 Hz amplifier stamped to
    the microsecond 488 and 489 µs ("2049 Hz"), and gaze from two eye cameras at 200 Hz steps
    about 1.9 and 3.1 ms ("523 Hz" for its 400 a second).

    >>> rate_from_times(np.round(np.arange(900) / 300, 3)), rate_from_times(np.round(np.arange(4096) / 2048, 6))
    (300.0, 2048.0)
    >>> [rate_from_times(np.sort(np.r_[np.arange(400), np.arange(400) + k / 5]) * 0.005) for k in (0.2, 0.4, 1)]
    [400.0, 400.0, 400.0]
    >>> rate_from_times(np.arange(6000) // 6 * 6 / 250)  # packets of 6 samples stamped alike at 250 Hz
    250.0
    """
    t = np.asarray(times, dtype=np.float64)
    steps = np.diff(t)
    steps = steps[np.isfinite(steps) & (steps >= 0)]
    if not (steps > 0).any():
        return 0.0
    advancing = steps[steps > 0]
    median = float(np.median(advancing))
    regular = (steps >= 0.5 * median) & (steps <= 1.5 * median)
    dense = steps <= 3.0 * float(np.percentile(advancing, 75))  # (longer steps are gaps; packets' 0 steps count)
    step = float(steps[regular].mean() if regular.sum() >= 0.75 * dense.sum() else steps[dense].mean())
    return nominal_rate(1.0 / step) if step > 0 else 0.0


def same_rate(a: float, b: float) -> bool:
    """True when two nominal rates agree within :data:`RATE_RTOL` (both 0: irregular)."""
    return math.isclose(float(a), float(b), rel_tol=RATE_RTOL, abs_tol=0.0) or (a == b)


#: Kinds of stream that sensekit knows. Other kinds are accepted (a user's own stream),
#: but stages check against these names.
STREAM_KINDS = (
    "emg",
    "eeg",
    "exg",
    "audio",
    "gaze",
    "pupil",
    "image",
    "landmarks",
    "features",
    "label",
    "doa",
    "orientation",
    "signal",
    "window",
)


def _freeze(value: Any) -> Any:
    """Copy a JSON-like value, turning dicts into read-only mappings and lists into tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return _freeze(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _thaw(value: Any) -> Any:
    """Inverse of :func:`_freeze`: plain dicts and lists, ready for JSON."""
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True, eq=True)
class StreamInfo:
    """Description of a stream, fixed for the stream's life.

    A stream is a sequence of samples of the same shape and dtype. ``StreamInfo`` is
    frozen: derive a changed copy with :meth:`replace`.

    Parameters
    ----------
    name : str
        Stream name, unique within a recording (``"emg"``, ``"mic"``).
    kind : str
        What the samples are: ``"emg"``, ``"audio"``, ``"gaze"``, ``"image"``, ... (see
        :data:`STREAM_KINDS`).
    rate : float
        Nominal sampling rate in Hz, ``>= 0``; ``0`` (:data:`IRREGULAR_RATE`) for streams
        without a fixed rate, whose frames carry per-sample timestamps.
    shape : tuple of int
        Shape of one sample: ``(8,)`` for 8-channel EMG, ``(21, 3)`` for hand landmarks,
        ``(H, W)`` for a grey eye image. ``()`` for a scalar stream.
    channels : tuple of str, optional
        Names along the first axis of a sample. Defaults to ``ch0, ch1, ...`` for a
        1-D sample and to ``()`` (unnamed) otherwise.
    dtype : str
        NumPy dtype name of the samples, e.g. ``"float32"``.
    unit : str
        Physical unit of the sample values (``"V"``, ``"uV"``, ``"px"``, ``"deg"``,
        ``"FS"`` for full-scale audio, ``""`` for dimensionless).
    meta : mapping
        Extra JSON-compatible description: array geometry, screen geometry, device.
        Stored read-only.
    """

    name: str
    kind: str
    rate: float
    shape: tuple[int, ...]
    channels: tuple[str, ...] = ()
    dtype: str = "float64"
    unit: str = ""
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=True)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name:
            raise ParameterError(f"StreamInfo.name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.kind, str) or not self.kind:
            raise ParameterError(f"StreamInfo.kind must be a non-empty string, got {self.kind!r}")
        try:
            rate = float(self.rate)
        except (TypeError, ValueError):
            raise ParameterError(f"stream {self.name!r}: rate must be a number in Hz, got {self.rate!r}") from None
        if not math.isfinite(rate) or rate < 0:
            raise ParameterError(
                f"stream {self.name!r}: rate must be finite and >= 0 Hz (0 for irregular), got {self.rate!r}"
            )
        if rate > MAX_RATE_HZ:
            raise ParameterError(f"stream {self.name!r}: {rate:g} Hz is beyond any sensor (at most {MAX_RATE_HZ:g} Hz): "
                                 "a time column in another unit, or a damaged header")
        set_(self, "rate", rate)
        try:
            shape = tuple(int(s) for s in self.shape)
        except (TypeError, ValueError):
            raise ParameterError(f"stream {self.name!r}: shape must be a tuple of ints, got {self.shape!r}") from None
        if any(s <= 0 for s in shape):
            raise ParameterError(f"stream {self.name!r}: every shape entry must be > 0, got {shape}")
        set_(self, "shape", shape)
        try:
            dtype = np.dtype(self.dtype).name
        except TypeError:
            raise ParameterError(f"stream {self.name!r}: unknown dtype {self.dtype!r}") from None
        set_(self, "dtype", dtype)
        channels = tuple(str(c) for c in self.channels)
        if not channels and len(shape) == 1:
            channels = tuple(f"ch{i}" for i in range(shape[0]))
        if channels:
            if not shape or len(channels) != shape[0]:
                raise ParameterError(
                    f"stream {self.name!r}: {len(channels)} channel names for sample shape {shape}; "
                    f"expected {shape[0] if shape else 0}"
                )
            if len(set(channels)) != len(channels):
                raise ParameterError(f"stream {self.name!r}: channel names repeat: {channels}")
        set_(self, "channels", channels)
        set_(self, "meta", _freeze(dict(self.meta)))

    # -- derived properties -------------------------------------------------------
    @property
    def is_regular(self) -> bool:
        """True when the stream has a nominal rate (timestamps derived from ``t0``)."""
        return self.rate > 0

    @property
    def n_channels(self) -> int:
        """Length of the first sample axis (1 for a scalar stream)."""
        return self.shape[0] if self.shape else 1

    @property
    def sample_nbytes(self) -> int:
        """Bytes per sample."""
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    # -- copies and serialisation -------------------------------------------------
    def replace(self, **changes: Any) -> StreamInfo:
        """A copy with the given fields changed (channels reset when the shape changes)."""
        if "shape" in changes and "channels" not in changes:
            changes["channels"] = ()
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict of every field."""
        return {
            "name": self.name,
            "kind": self.kind,
            "rate": self.rate,
            "shape": list(self.shape),
            "channels": list(self.channels),
            "dtype": self.dtype,
            "unit": self.unit,
            "meta": _thaw(self.meta),
        }

    def to_json(self) -> str:
        """The dict of :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StreamInfo:
        """Build from a dict as written by :meth:`to_dict`; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ParameterError(f"unknown StreamInfo fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: (tuple(v) if k in ("shape", "channels") else v) for k, v in d.items()})

    @classmethod
    def from_json(cls, text: str) -> StreamInfo:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def differences(self, other: StreamInfo, fields: Sequence[str] | None = None) -> list[str]:
        """Fields that differ from ``other``, as ``"field: expected X, got Y"`` strings.

        Rates are the same within :data:`RATE_RTOL`; a kind of :data:`UNKNOWN_KIND` (a file
        that does not say what it holds) matches any kind.
        """
        names = fields or [f.name for f in dataclasses.fields(self)]
        out = []
        for f in names:
            a, b = getattr(self, f), getattr(other, f)
            if f == "rate" and same_rate(a, b):
                continue
            if f == "kind" and UNKNOWN_KIND in (a, b):
                continue
            if f == "rate" and a and not b:  # (a file's timestamps that keep no one rate)
                out.append(f"rate: expected {_thaw(a)!r}, got an irregular stream (its timestamps keep no one rate)")
            elif a != b:
                out.append(f"{f}: expected {_thaw(a)!r}, got {_thaw(b)!r}")
        return out

    def __reduce__(self):
        # the read-only meta mapping cannot be pickled as is: rebuild from plain values
        return (StreamInfo.from_dict, (self.to_dict(),))

    def __deepcopy__(self, memo) -> StreamInfo:
        return self  # immutable

    def __hash__(self) -> int:
        return hash((self.name, self.kind, self.rate, self.shape, self.channels, self.dtype, self.unit))
