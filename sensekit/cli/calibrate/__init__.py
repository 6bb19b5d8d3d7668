"""``sensekit calibrate``: guided calibration sessions that write calibration files, one
module per command (the order of the imports is the order of the help)."""

# ruff: noqa: I001  (the import order is the help's order)
from ._common import app
from . import emg, gesture, eyetrack, arrays, sync, check  # noqa: F401  (each registers its command)

__all__ = ["app"]
