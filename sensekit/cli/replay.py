"""``sensekit replay`` and ``sensekit convert``: recordings to LSL, audio, JSON lines or other files."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

import typer

from ._app import OutputInterrupted, check_output, err, fail, out, split_stream, stop_on_signals

log = logging.getLogger("sensekit")


class Target(StrEnum):
    lsl = "lsl"
    wav = "wav"
    jsonl = "jsonl"


def replay(
    path: Path = typer.Argument(..., help="Recording to replay (FILE#STREAM: one stream of it)."),
    to: Target = typer.Option(..., "--to", help="lsl (an outlet), wav (a file, with -o) or jsonl (stdout)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Output file for --to wav."),
    stream: str | None = typer.Option(None, "--stream", help="Stream of a multi-stream recording."),
    realtime: bool = typer.Option(False, "--realtime", help="Pace at the recorded rate (default: as fast as possible)."),
    block_size: int | None = typer.Option(None, "--block-size", min=1, help="Samples per block."),
    name: str | None = typer.Option(None, "--name", help="LSL outlet name (default: the stream's)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
    sync: Path | None = typer.Option(None, "--sync", help="A 'sensekit calibrate sync' file: the stream's measured "
                                     "latency is taken off its timestamps."),
    rate: float | None = typer.Option(None, "--rate", min=1, max=100000, help="The rate (Hz) of a recording that "
                                      "states none (a table with no time column, a .mat file without it)."),
) -> None:
    """Replay a recording to an LSL outlet, a WAV file or JSON lines on stdout."""
    from ..core.atomic import atomic_output
    from ..core.run import run
    from ..core.sinks import JSONLinesSink, LSLOutletSink, file_sink
    from ..core.sources import ReplaySource
    path, stream = split_stream(path, stream)
    if to is Target.wav and output is None:
        fail("--to wav needs an output file: add -o OUT.wav")
    if to is not Target.wav and output is not None:
        fail(f"-o is only for --to wav; --to {to.value} writes to {'the network' if to is Target.lsl else 'stdout'}")
    if name is not None and to is not Target.lsl:
        fail(f"--name names an LSL outlet; --to {to.value} publishes none")
    if output is not None:
        check_output(output, overwrite)
    offset = 0.0
    if sync is not None:
        from ..core.calibration import load_calibration
        from ..core.recording import open_recording

        cal = load_calibration(sync, chain="sync")
        with open_recording(path, rate=rate) as rec:  # (not 'name': the outlet's, which --sync must not replace)
            replayed = rec.stream_name(stream)
        offsets = cal.params["offsets_s"]
        offset = float(offsets.get(replayed, 0.0)) if replayed != cal.params["reference"] else 0.0
        if replayed not in offsets and replayed != cal.params["reference"]:
            fail(f"{str(sync)!r} holds no latency for stream {replayed!r} (it has {', '.join(offsets)})")
    src = ReplaySource(path, stream=stream, block_size=block_size, realtime=realtime, time_offset_s=offset, rate=rate)
    if to is Target.wav:
        with stop_on_signals() as stop, atomic_output(output) as tmp:
            report = run(src, None, file_sink(tmp, overwrite=True), stop=stop)
            _complete_or_fail(report, output)
    else:
        sink = LSLOutletSink(name) if to is Target.lsl else JSONLinesSink()
        with stop_on_signals() as stop:
            if to is Target.lsl:
                err.print(f"publishing {src.info.name!r} on LSL as {name or src.info.name!r}"
                          f"{' in real time' if realtime else ''}; Ctrl-C stops")
            report = run(src, None, sink, stop=stop)
    if to is not Target.jsonl:
        out.print(f"replayed {report.samples_in:,} samples of {src.info.name!r} in {report.wall_s:.2f} s "
                  f"({report.realtime_factor:,.1f}x real time)", highlight=False)


def _complete_or_fail(report, dest: Path) -> None:
    """Stop with exit 130 and no output when a run was interrupted before the end."""
    if report.stopped_by != "end":
        raise OutputInterrupted(f"interrupted after {report.samples_in:,} samples: no output written to {str(dest)!r}")


def convert(
    source: Path = typer.Argument(..., help="Input recording (.h5, .xdf, .wav/.flac, .csv, .edf/.bdf, OpenBCI GUI "
                                  ".txt); FILE#STREAM for one stream."),
    dest: Path = typer.Argument(..., help="Output file (.h5, .wav/.flac, .csv)."),
    stream: str | None = typer.Option(None, "--stream", help="Convert only this stream."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Convert a recording to another format (all streams into .h5; one stream into audio or CSV)."""
    from ..core.atomic import atomic_output
    from ..core.recording import RecordingWriter, open_recording
    from ..core.run import run
    from ..core.sinks import HDF5Sink, file_sink
    from ..core.sources import ReplaySource
    source, stream = split_stream(source, stream)
    check_output(dest, overwrite)
    if dest.resolve() == source.resolve():
        fail("input and output are the same file; choose another output name")
    with open_recording(source) as rec:
        names = [rec.stream_name(stream)] if stream else list(rec.streams)
        clocks = {n: rec.clock(n) for n in names}
        markers = {n: len(texts) for n, (_, texts) in rec.markers().items()}
    if markers and not stream:
        log.warning("%s: its marker stream(s) %s are not converted (sensekit recordings hold numeric streams); "
                    "calibrate or score from %s itself", source.name,
                    ", ".join(f"{n} ({k} events)" for n, k in markers.items()), source.name)
    is_h5 = dest.suffix.lower() in (".h5", ".hdf5")
    if not is_h5 and len(names) > 1:
        fail(f"{source.name} holds {len(names)} streams ({', '.join(names)}) and {dest.suffix} holds one; "
             "pick one with --stream NAME or convert to .h5")
    # written under a temporary name: an interrupted or failed conversion leaves no file under dest
    total = 0
    with stop_on_signals() as stop, atomic_output(dest) as tmp:
        if is_h5:
            with RecordingWriter(tmp, overwrite=True) as writer:
                for n in names:
                    r = run(ReplaySource(source, stream=n), None, HDF5Sink(writer=writer), stop=stop)
                    total += r.samples_in
                    _complete_or_fail(r, dest)
                    if clocks[n] is not None and n in writer.streams:  # an XDF stream's clock offsets travel
                        writer.streams[n].add_clock(clocks[n].measurements())
        else:
            r = run(ReplaySource(source, stream=names[0]), None, file_sink(tmp, overwrite=True), stop=stop)
            total = r.samples_in
            _complete_or_fail(r, dest)
    out.print(f"converted {len(names)} stream(s), {total:,} samples: {source} -> {dest}", highlight=False)
