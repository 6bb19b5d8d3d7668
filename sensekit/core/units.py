"""Unit conversions used across sensekit: samples and seconds, decibels, angles, voltages.

Every conversion lives here so that no module multiplies by 1000 or 20 inline.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import StreamFormatError

__all__ = [
    "seconds_to_samples",
    "samples_to_seconds",
    "amplitude_to_db",
    "db_to_amplitude",
    "deg_to_rad",
    "rad_to_deg",
    "full_scale",
    "stated_full_scale",
    "voltage_factor",
]

#: Voltage units as streams and files spell them (lower case), and their size in volts as a
#: power of ten (so that factors are exact: 1e-3 / 1e-6 is not 1000 in floating point).
VOLT_EXPONENTS = {"v": 0, "volt": 0, "volts": 0, "mv": -3, "millivolt": -3, "millivolts": -3, "uv": -6,
                  "\u00b5v": -6, "\u03bcv": -6, "microvolt": -6, "microvolts": -6, "nv": -9, "nanovolt": -9,
                  "nanovolts": -9}


def voltage_factor(from_unit: str, to_unit: str) -> float | None:
    """The factor that turns values in voltage unit ``from_unit`` into ``to_unit`` (1 where they
    are the same); None where either is no voltage (counts, an empty unit: nothing to convert).

    Examples
    --------
    >>> voltage_factor("V", "uV"), voltage_factor("\u00b5V", "uV"), voltage_factor("counts", "uV")
    (1000000.0, 1.0, None)
    """
    a, b = VOLT_EXPONENTS.get(from_unit.strip().lower()), VOLT_EXPONENTS.get(to_unit.strip().lower())
    if a is None or b is None:
        return None
    return 10.0 ** (a - b)


def stated_full_scale(info) -> float | None:
    """The full scale a stream's meta states (``full_scale``, in the samples' own unit); None where
    it states none. The meta comes from a file or another machine: anything but a positive
    number is one line."""
    from .checks import positive_number

    given = info.meta.get("full_scale")
    if given is None:
        return None
    if not positive_number(given):
        raise StreamFormatError(f"stream {info.name!r} states a full scale of {str(given)[:40]}, not a positive number")
    return float(given)


def full_scale(info) -> float:
    """The sample value of a stream's full scale: its meta's ``full_scale``, else 1 for float
    samples and the type's largest value for integer ones."""
    given = stated_full_scale(info)
    if given is not None:
        return given
    dtype = np.dtype(info.dtype)
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)


def seconds_to_samples(seconds: float, rate_hz: float) -> int:
    """Number of samples in ``seconds`` at ``rate_hz``, rounded to the nearest integer.

    Parameters
    ----------
    seconds : float
        Duration in seconds, >= 0.
    rate_hz : float
        Sampling rate in Hz, > 0.

    Returns
    -------
    int
        ``round(seconds * rate_hz)``.
    """
    return int(round(seconds * rate_hz))


def samples_to_seconds(samples: int | float, rate_hz: float) -> float:
    """Duration in seconds of ``samples`` samples at ``rate_hz`` (Hz, > 0)."""
    return float(samples) / rate_hz


def amplitude_to_db(amplitude, floor_db: float = -120.0):
    """``20 log10(amplitude)`` in dB, clipped below at ``floor_db`` (0 amplitude allowed)."""
    amplitude = np.abs(np.asarray(amplitude, dtype=float))
    with np.errstate(divide="ignore"):
        return np.maximum(20.0 * np.log10(amplitude), floor_db)


def db_to_amplitude(db):
    """Linear amplitude of a level in dB: ``10 ** (db / 20)``."""
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)


def deg_to_rad(angle_deg):
    """Degrees to radians."""
    return np.asarray(angle_deg, dtype=float) * (math.pi / 180.0)


def rad_to_deg(angle_rad):
    """Radians to degrees."""
    return np.asarray(angle_rad, dtype=float) * (180.0 / math.pi)
