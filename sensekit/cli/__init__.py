"""The ``sensekit`` command-line tool (Typer): one module per command, thin over the library."""

from __future__ import annotations

import typer

from .. import __version__
from . import bench as bench_cli
from . import calibrate as calibrate_cli
from . import datasets as datasets_cli
from . import emg as emg_cli
from . import export as export_cli
from . import eyetrack as eyetrack_cli
from . import gesture as gesture_cli
from . import run as run_cli
from . import spatial as spatial_cli
from ._app import new_app, setup_logging, state
from .capture import capture
from .demo import demo
from .devices import devices
from .info import info
from .replay import convert, replay

__all__ = ["app", "main"]

app = new_app("sensekit: capture, calibrate, run and benchmark sensing chains (gesture, eye, spatial audio, EMG).")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sensekit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More log output (-vv for debug)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    state["debug"] = debug
    setup_logging(verbose)


app.command()(devices)
app.command()(capture)
app.command()(info)
app.command()(replay)
app.command()(convert)
app.command()(demo)
app.add_typer(datasets_cli.app, name="datasets")
app.add_typer(bench_cli.app, name="bench")
app.add_typer(calibrate_cli.app, name="calibrate")
app.add_typer(run_cli.app, name="run")
app.add_typer(export_cli.app, name="export")
app.add_typer(emg_cli.app, name="emg")
app.add_typer(gesture_cli.app, name="gesture")
app.add_typer(eyetrack_cli.app, name="eyetrack")
app.add_typer(spatial_cli.app, name="spatial")


def main() -> None:
    """Entry point of the ``sensekit`` console script."""
    app()
