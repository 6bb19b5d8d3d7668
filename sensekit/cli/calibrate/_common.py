"""The ``sensekit calibrate`` application and what its commands share."""

from __future__ import annotations

from pathlib import Path

import typer

from .._app import fail, new_app

app = new_app("Guided calibration sessions: record, fit, cross-validate, save a calibration file.")

#: Every calibration command's --overwrite.
OVERWRITE_OPTION = typer.Option(False, "--overwrite", help="Replace an existing calibration file.")


def check_plot(plot: Path | None) -> None:
    """A --plot path is a .png (checked before any session)."""
    if plot is not None and plot.suffix.lower() != ".png":
        fail(f"--plot writes a PNG image: name it *.png, not {plot.name!r}")
