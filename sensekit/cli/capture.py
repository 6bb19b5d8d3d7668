"""``sensekit capture``: record a live source to a sensekit HDF5 file with a live display."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ._app import check_output, fail, live_display, out, stop_on_signals
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
            with np.errstate(over="ignore", invalid="ignore"):  # (a non-finite level is shown as such)
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
                with np.errstate(over="ignore", invalid="ignore"):
                    db = float(amplitude_to_db(lev / full, floor_db=-60.0))
                if not math.isfinite(db):  # a signal whose power overflows (1e308) or is NaN: the meter says so
                    meters.add_row(name, Text("?" * 30, style="red"), "   not finite")
                    continue
                width = int(round((min(db, 0.0) + 60) / 60 * 30))
                bar = Text("█" * width + "·" * (30 - width), style="green" if db < -6 else "yellow" if db < -1 else "red")
                meters.add_row(name, bar, f"{db:6.1f} dB{'FS' if info.unit == 'FS' else ''}")
            parts.append(meters)
        return Group(*parts)


def capture(
    sources: list[str] = typer.Argument(..., help="Source string(s): mic:0, camera:0, lsl:type=EMG, brainflow:synthetic, "
                                        "synth:sine, ...; several are recorded into one file, one stream each."),
    output: Path = typer.Option(..., "-o", "--output", help="Output recording (.h5)."),
    duration: float | None = typer.Option(None, "--duration", "-d", min=0, help="Seconds to record; default until Ctrl-C."),
    channels: int | None = typer.Option(None, "--channels", min=1, help="Channels to capture (microphones, simulators)."),
    rate: float | None = typer.Option(None, "--rate", min=0, help="Sampling rate in Hz (microphones, simulators)."),
    block_size: int | None = typer.Option(None, "--block-size", min=1, help="Samples per block."),
    array: str | None = typer.Option(None, "--array", help="Microphone-array geometry stored with the recording: "
                                     "a preset (respeaker4, respeaker6, uma8, headset2, linear4) or a .json file."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No live display."),
    keep_going: bool = typer.Option(False, "--keep-going", help="With several sources: when one fails, record the "
                                    "others on (default: stop them all, keeping everything received)."),
) -> None:
    """Record live sources to a sensekit HDF5 file (several: one stream each, on one clock);
    Ctrl-C or SIGTERM stops it safely."""
    from ..core.run import run
    from ..core.sinks import HDF5Sink
    from ..core.sources import open_source
    if output.suffix.lower() not in (".h5", ".hdf5"):
        fail(f"capture writes sensekit HDF5: name the output *.h5, not {output.name!r} "
             "(convert it afterwards with 'sensekit convert')")
    check_output(output, overwrite)
    if len(sources) > 1:
        if array is not None:
            fail("--array describes one microphone stream: capture the array alone, or store the geometry in its "
                 "source (e.g. a recording made with --array)")
        _capture_many(sources, output, duration, channels, rate, block_size, keep_going, quiet)
        return
    source = sources[0]
    with stop_on_signals() as stop:
        src = open_source(source, channels=channels, rate=rate, block_size=block_size)
        chain = None
        if array is not None:
            from ..core.stages import SetMeta
            from ..spatial_audio.arrays import load_array

            geom = load_array(array)
            geom.check_stream(src.info.shape[0] if src.info.shape else 1, f"capture --array {array}",
                              "give the geometry of the array that records, or capture without --array (a device "
                              "that streams other channels beside its microphones) and name them later: spatial "
                              "localise --array ... --mics 1-4")
            chain = SetMeta(array=geom.to_dict())
        sink = HDF5Sink(output, overwrite=overwrite, swmr=True)  # 'sensekit info' can read it meanwhile
        display = CaptureDisplay(src, output, duration)
        if quiet:
            report = run(src, chain, sink, max_duration_s=duration, stop=stop)
        else:
            with live_display(display, keep=True):
                report = run(src, chain, sink, max_duration_s=duration, stop=stop, on_block=display.update)
    seconds = report.samples_out / src.info.rate if src.info.rate else report.wall_s
    out.print(
        f"recorded {report.samples_out:,} samples ({seconds:.2f} s) of stream {src.info.name!r} to {output}; "
        f"{report.dropped_blocks} dropped block(s), {report.gaps} gap(s); stopped by {report.stopped_by}",
        highlight=False,
    )


def _capture_many(texts: list[str], output: Path, duration, channels, rate, block_size, keep_going: bool,
                  quiet: bool) -> None:
    """Several sources into one file; a table of the streams, live, then one line each."""
    from ..core.multicapture import capture_sources
    from ..core.sources import open_source
    from ..core.sources.spec import SETTABLE, parse_source

    # --rate/--channels/--block-size go to the sources that take them (a microphone beside a camera)
    given = {k: v for k, v in (("channels", channels), ("rate", rate), ("block_size", block_size)) if v is not None}
    takes = {text: SETTABLE.get(parse_source(text).scheme, ()) for text in texts} if given else {}
    for name in given:
        if not any(name in t for t in takes.values()):
            fail(f"--{name.replace('_', '-')} sets a microphone's or a simulator's; none of these sources takes it")
    opened = []
    try:
        for text in texts:  # every device opens (or is named in the error) before any data flows
            opened.append(open_source(text, **{k: v for k, v in given.items() if k in takes[text]}))
    except BaseException:
        for src in opened:
            src.close()
        raise
    start = time.monotonic()

    class View:
        reports: list = []

        def update(self, reports) -> None:
            self.reports = reports

        def __rich__(self):
            table = Table(title=f"{output} - {time.monotonic() - start:,.1f} s" + (f" of {duration:g} s" if duration
                                                                                   else " (Ctrl-C stops)"))
            for col in ("stream", "source", "samples", "rate", "drops"):
                table.add_column(col, justify="right" if col in ("samples", "rate", "drops") else "left")
            for r in self.reports:
                elapsed = max(time.monotonic() - start, 1e-9)
                table.add_row(r.name, r.description, f"{r.report.samples_in:,}",
                              f"{r.report.samples_in / elapsed:,.1f} Hz", str(r.report.dropped_blocks))
            return table

    view = View()
    with stop_on_signals() as stop:
        if quiet:
            reports = capture_sources(opened, output, duration_s=duration, stop=stop, keep_going=keep_going,
                                      overwrite=True)
        else:
            with live_display(view, refresh_per_second=4):
                reports = capture_sources(opened, output, duration_s=duration, stop=stop, keep_going=keep_going,
                                          overwrite=True, on_block=view.update)
    for r in reports:
        out.print(f"stream {r.name!r} ({r.description}): {r.report.samples_in:,} samples ({r.seconds:.2f} s), "
                  f"{r.report.dropped_blocks} dropped block(s); stopped by {r.report.stopped_by}"
                  + (f": {r.error}" if r.error else ""), highlight=False, soft_wrap=True)
    failed = [r for r in reports if r.error]
    if failed and not keep_going:
        fail(f"{failed[0].description} failed ({failed[0].error}); the capture stopped there, and {output} keeps "
             "every sample received (--keep-going records the other sources on)", 1)
