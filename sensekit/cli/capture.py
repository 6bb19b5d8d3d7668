"""``sensekit capture``: record a live source to a sensekit HDF5 file with a live display."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ._app import err, fail, out, stop_on_signals
from ._lazy import lazy

if TYPE_CHECKING:
    from ..core.run import RunReport

np = lazy("numpy")

_MAX_METERS = 16


class CaptureDisplay:
    """Samples, achieved rate, drops and per-channel level meters, refreshed live."""

    def __init__(self, source, path: Path, duration: float | None) -> None:
        from ..core.run import RunReport
        self.source, self.path, self.duration = source, path, duration
        self.start = time.monotonic()
        self.levels = None
        self.peak = None
        self.report = RunReport()

    def update(self, frame, _out, report: RunReport) -> None:
        self.report = report
        if frame.n and frame.data.dtype.kind in "fiu" and frame.info.shape:
            x = frame.data.reshape(frame.n, frame.info.shape[0], -1).astype(np.float64)
            rms = np.sqrt(np.mean(x * x, axis=(0, 2)))
            self.levels = rms
            self.peak = rms if self.peak is None else np.maximum(self.peak * 0.999, rms)

    def __rich__(self):
        from ..core.units import amplitude_to_db
        r = self.report
        elapsed = time.monotonic() - self.start
        info = self.source.info
        head = Table.grid(padding=(0, 2))
        head.add_row("source", self.source.description, "file", str(self.path))
        rate = r.samples_in / elapsed if elapsed > 0 else 0.0
        nominal = f" (nominal {info.rate:g} Hz)" if info.rate else ""
        head.add_row("samples", f"{r.samples_in:,}", "rate", f"{rate:,.1f} Hz{nominal}")
        stop = f" of {self.duration:g} s" if self.duration else " (Ctrl-C stops)"
        drops = f"{r.dropped_blocks} dropped block(s), {r.gaps} gap(s)"
        head.add_row("elapsed", f"{elapsed:,.1f} s{stop}", "drops", Text(drops, style="red" if r.dropped_blocks else ""))
        parts = [head]
        if self.levels is not None:
            meters = Table.grid(padding=(0, 1))
            names = info.channels or [str(i) for i in range(len(self.levels))]
            full = 1.0 if info.unit == "FS" else max(float(np.max(self.peak)), 1e-12)
            for name, lev in list(zip(names, self.levels, strict=False))[:_MAX_METERS]:
                db = float(amplitude_to_db(lev / full, floor_db=-60.0))
                width = int(round((db + 60) / 60 * 30))
                bar = Text("█" * width + "·" * (30 - width), style="green" if db < -6 else "yellow" if db < -1 else "red")
                meters.add_row(name, bar, f"{db:6.1f} dB{'FS' if info.unit == 'FS' else ''}")
            parts.append(meters)
        return Group(*parts)


def capture(
    source: str = typer.Argument(..., help="Source string: mic:0, lsl:type=EMG, brainflow:synthetic, synth:sine, ..."),
    output: Path = typer.Option(..., "-o", "--output", help="Output recording (.h5)."),
    duration: float | None = typer.Option(None, "--duration", "-d", min=0, help="Seconds to record; default until Ctrl-C."),
    channels: int | None = typer.Option(None, "--channels", min=1, help="Channels to capture (microphones, simulators)."),
    rate: float | None = typer.Option(None, "--rate", min=0, help="Sampling rate in Hz (microphones, simulators)."),
    block_size: int | None = typer.Option(None, "--block-size", min=1, help="Samples per block."),
    array: str | None = typer.Option(None, "--array", help="Microphone-array geometry stored with the recording: "
                                     "a preset (respeaker4, respeaker6, uma8, headset2, linear4) or a .json file."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No live display."),
) -> None:
    """Record a live source to a sensekit HDF5 file; Ctrl-C or SIGTERM stops it safely."""
    from ..core.run import run
    from ..core.sinks import HDF5Sink
    from ..core.sources import open_source
    if output.suffix.lower() not in (".h5", ".hdf5"):
        fail(f"capture writes sensekit HDF5: name the output *.h5, not {output.name!r} "
             "(convert it afterwards with 'sensekit convert')")
    with stop_on_signals() as stop:
        src = open_source(source, channels=channels, rate=rate, block_size=block_size)
        chain = None
        if array is not None:
            from ..core.stages import SetMeta
            from ..spatial_audio.arrays import load_array

            geom = load_array(array)
            geom.check_stream(src.info.shape[0] if src.info.shape else 1, f"capture --array {array}")
            chain = SetMeta(array=geom.to_dict())
        sink = HDF5Sink(output, overwrite=overwrite, swmr=True)  # 'sensekit info' can read it meanwhile
        display = CaptureDisplay(src, output, duration)
        if quiet:
            report = run(src, chain, sink, max_duration_s=duration, stop=stop)
        else:
            with Live(display, console=err, refresh_per_second=8, transient=False):
                report = run(src, chain, sink, max_duration_s=duration, stop=stop, on_block=display.update)
    seconds = report.samples_out / src.info.rate if src.info.rate else report.wall_s
    out.print(
        f"recorded {report.samples_out:,} samples ({seconds:.2f} s) of stream {src.info.name!r} to {output}; "
        f"{report.dropped_blocks} dropped block(s), {report.gaps} gap(s); stopped by {report.stopped_by}",
        highlight=False,
    )
