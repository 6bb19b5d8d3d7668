"""The ``sensekit calibrate`` application and what its commands share."""

from __future__ import annotations

import typer

from .._app import new_app

app = new_app("Guided calibration sessions: record, fit, cross-validate, save a calibration file.")

#: Every calibration command's --overwrite.
OVERWRITE_OPTION = typer.Option(False, "--overwrite", help="Replace an existing calibration file.")

