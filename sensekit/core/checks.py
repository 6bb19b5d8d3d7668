"""Shared validation helpers: every message names the field, the expected and the actual value."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np

from ..errors import ParameterError, StreamFormatError
from .info import StreamInfo

__all__ = ["check_scalar", "check_option", "check_stream", "check_finite", "not_a_file", "live_source_fix"]


def not_a_file(path) -> str:
    """What is wrong with a ``path`` that should be a readable file: ``"does not exist"``,
    ``"is a folder, not a file"`` or ``"is not a regular file"`` (a device or pipe, which
    could be read for ever)."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return "does not exist"
    return "is a folder, not a file" if path.is_dir() else "is not a regular file"


def live_source_fix(path) -> str | None:
    """For a file that is not there and whose name is a live source string (``mic:2``,
    ``synth:array``, ``lsl:type=Gaze``): the advice that a recording of it is what is read;
    None for any other name."""
    from .sources.spec import SCHEMES

    text = str(path)
    if ":" not in text or text.partition(":")[0] not in SCHEMES[:-1]:
        return None
    return (f"{text!r} is a live source and this command reads a recording: record it first (sensekit capture "
            f"\"{text}\" -o take.h5); the 'sensekit run' commands take live sources")


def holds_bool(value) -> bool:
    """Whether a JSON value holds true or false anywhere in its lists (numpy reads them as 1
    and 0, where a number is meant)."""
    if isinstance(value, bool):
        return True
    return isinstance(value, (list, tuple)) and any(holds_bool(v) for v in value)


def check_scalar(
    value: Any,
    name: str,
    *,
    kind: type | tuple[type, ...] = (int, float),
    min_value: float | None = None,
    max_value: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
) -> Any:
    """Check a scalar parameter's type and range; return it unchanged.

    Raises
    ------
    ParameterError
        Naming the parameter, the allowed range and the value received.
    """
    if isinstance(value, bool) or not isinstance(value, kind) or (isinstance(value, float) and math.isnan(value)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ParameterError(f"{name} must be {names}, got {value!r}")
    if min_value is not None and (value < min_value or (not include_min and value == min_value)):
        op = ">=" if include_min else ">"
        raise ParameterError(f"{name} must be {op} {min_value}, got {value!r}")
    if max_value is not None and (value > max_value or (not include_max and value == max_value)):
        op = "<=" if include_max else "<"
        raise ParameterError(f"{name} must be {op} {max_value}, got {value!r}")
    return value


def check_option(value: Any, name: str, allowed: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``allowed``; return it."""
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_stream(
    info: StreamInfo,
    stage: str,
    *,
    kinds: Collection[str] | None = None,
    regular: bool | None = None,
    ndim: int | None = None,
    shape: tuple[int, ...] | None = None,
    dtype_kinds: str | None = None,
    min_rate: float | None = None,
) -> None:
    """Check that a stage can take a stream; raise :class:`StreamFormatError` if not.

    Parameters
    ----------
    info : StreamInfo
        The input stream.
    stage : str
        Name of the stage doing the check (used in the message).
    kinds : collection of str, optional
        Accepted ``info.kind`` values.
    regular : bool, optional
        True: needs a nominal rate; False: needs an irregular stream.
    ndim : int, optional
        Required number of sample dimensions (``len(info.shape)``).
    shape : tuple of int, optional
        Required sample shape.
    dtype_kinds : str, optional
        Accepted numpy dtype kind letters, e.g. ``"fiu"`` for numeric or ``"f"``.
    min_rate : float, optional
        Lowest accepted rate in Hz.
    """

    def fail(field: str, expected: Any, actual: Any, fix: str | None = None) -> None:
        raise StreamFormatError(
            f"{stage} cannot take stream {info.name!r}: {field} expected {expected}, got {actual!r}", fix
        )

    if kinds is not None and info.kind not in kinds:
        fail("kind", " or ".join(map(repr, kinds)), info.kind)
    if regular is True and not info.is_regular:
        fail("rate", "> 0 Hz (a regular stream)", info.rate, "resample or give the stream a nominal rate")
    if regular is False and info.is_regular:
        fail("rate", "0 (an irregular stream)", info.rate)
    if min_rate is not None and info.rate < min_rate:
        fail("rate", f">= {min_rate:g} Hz", info.rate)
    if ndim is not None and len(info.shape) != ndim:
        fail("shape", f"{ndim} sample dimension(s)", info.shape)
    if shape is not None and info.shape != tuple(shape):
        fail("shape", tuple(shape), info.shape)
    if dtype_kinds is not None and np.dtype(info.dtype).kind not in dtype_kinds:
        fail("dtype", f"one of kinds {dtype_kinds!r}", info.dtype)


def positive_number(value: Any) -> bool:
    """Whether ``value`` is a finite number above 0: not a bool, text or list, and not a whole
    number no float holds (``10**400`` from a file's JSON). For values from files and streams."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(float(value)) and value > 0
    except OverflowError:
        return False


#: The largest image side (px) a stream's ``meta["image_size"]`` may state.
MAX_IMAGE_SIDE = 100_000


def stated_image_size(info: StreamInfo, what: str) -> tuple[float, float] | None:
    """The (width, height) in pixels that a stream's ``meta["image_size"]`` states; None where it
    states none. The meta comes from a file or another machine: anything but two numbers from 1
    to :data:`MAX_IMAGE_SIDE` is one line naming ``what``."""
    size = info.meta.get("image_size")
    if size is None:
        return None
    if not isinstance(size, (list, tuple)) or len(size) != 2 or not all(
            positive_number(v) and 1 <= v <= MAX_IMAGE_SIDE for v in size):
        raise StreamFormatError(f"{what}: stream {info.name!r} states an image size of {str(size)[:40]}, not a width "
                                f"and a height in pixels (1 to {MAX_IMAGE_SIDE})")
    return float(size[0]), float(size[1])


def check_finite(data: np.ndarray, what: str) -> None:
    """Raise :class:`ParameterError` if ``data`` holds NaN or infinity."""
    if data.dtype.kind in "fc" and not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0]
        raise ParameterError(f"{what} holds NaN or infinity (first at index {tuple(int(i) for i in bad)})")
