"""The sensekit exception tree.

Every error that a user can cause derives from :class:`SensekitError`. Its message
names the problem and, where one exists, the fix; the command-line tool prints it as
one line on stderr and exits with a non-zero status (``--debug`` shows the traceback).
"""

from __future__ import annotations

__all__ = [
    "SensekitError",
    "ParameterError",
    "StreamFormatError",
    "RecordingError",
    "SourceStringError",
    "DeviceError",
    "DeviceLostError",
    "NotFittedError",
    "CalibrationError",
    "DatasetError",
]


class SensekitError(Exception):
    """Base class of every error that sensekit raises on purpose.

    Parameters
    ----------
    message : str
        What is wrong, naming the field, the expected and the actual value.
    fix : str, optional
        What the user can do about it. Appended to the message as ``"; fix: ..."``.
    """

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.problem = message
        self.fix = fix
        super().__init__(message if fix is None else f"{message}; fix: {fix}")


class ParameterError(SensekitError, ValueError):
    """A parameter has a wrong type, value or combination."""


class StreamFormatError(SensekitError, ValueError):
    """A stage or sink cannot take a stream (wrong kind, rate, shape, dtype or unit)."""


class RecordingError(SensekitError, OSError):
    """A recording cannot be read or written (missing, corrupt, truncated, wrong format)."""


class SourceStringError(SensekitError, ValueError):
    """A source string such as ``mic:2`` or ``lsl:type=EMG`` cannot be understood."""


class DeviceError(SensekitError, OSError):
    """A device is missing, busy or cannot be opened, or a front-end package is absent."""


class DeviceLostError(DeviceError):
    """A device stopped delivering data while a stream was running."""


class NotFittedError(SensekitError, RuntimeError):
    """A learning stage was used before ``fit`` or before loading a calibration."""


class CalibrationError(SensekitError, ValueError):
    """A calibration file is unreadable or was made for another stream or chain."""


class DatasetError(SensekitError, OSError):
    """A dataset is missing, fails its checksum, or cannot be downloaded."""
