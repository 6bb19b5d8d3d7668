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
    python_fix : str, optional
        The same fix in terms of the Python API (``screen=Screen(...)``), for an error that both
        the command line and a script can meet: in the exception's text, not in the command line's
        error line (:attr:`command_line_message`).
    """

    def __init__(self, message: str, fix: str | None = None, *, python_fix: str | None = None) -> None:
        self.problem = message
        self.fix = fix
        self.python_fix = python_fix
        super().__init__(self._text(python_fix))

    def _text(self, python_fix: str | None) -> str:
        fix = self.fix
        if python_fix:
            fix = f"{fix} (in Python: {python_fix})" if fix else f"in Python: {python_fix}"
        return self.problem if fix is None else f"{self.problem}; fix: {fix}"

    @property
    def command_line_message(self) -> str:
        """The message without the Python API's fix: what ``sensekit`` prints."""
        return self._text(None) if self.python_fix else str(self)


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
