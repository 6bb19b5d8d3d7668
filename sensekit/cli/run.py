"""``sensekit run``: a calibrated chain on a live source, published to LSL and/or JSON lines."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ._app import (
    DURATION_OPTION,
    JSONL_OPTION,
    KIND_OPTION,
    LSL_OPTION,
    checked_numbers,
    err,
    fail,
    new_app,
    out,
    stop_on_signals,
)
from ._lazy import lazy
from .eyetrack import SET_HELP, STIMULUS_OPTION, detector_params
from .spatial import (
    ARRAY_OPTION,
    AZ_RANGE_OPTION,
    CALIBRATION_OPTION,
    GATE_DB_OPTION,
    METHOD_OPTION,
    NO_GATE_OPTION,
    SOURCES_OPTION,
    WINDOW_OPTION,
)

np = lazy("numpy")

app = new_app("Run a calibrated chain on a live source and publish its output.")


class DecisionView:
    """The latest decision, its confidence and velocity, decisions per second."""

    def __init__(self, classes: list[str]) -> None:
        self.classes = classes
        self.last = None
        self.count = 0
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is not None and frame_out.n:
            self.last = frame_out.data[-1]
            self.count += frame_out.n

    def __rich__(self):
        if self.last is None:
            return Text("waiting for the first decision...")
        label, conf, vel = self.last
        name = "no motion" if label < 0 else (self.classes[int(label)] if int(label) < len(self.classes) else str(int(label)))
        grid = Table.grid(padding=(0, 2))
        grid.add_row("class", Text(name.upper(), style="bold green" if label >= 0 else "bold yellow"))
        grid.add_row("confidence", Text("█" * int(conf * 30) + f" {conf:.2f}"))
        grid.add_row("velocity", Text("█" * int(vel * 30) + f" {vel:.2f}"))
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        return Group(grid, Text(f"{self.count} decisions, {rate:.1f}/s; Ctrl-C stops", style="dim"))


def _publish(src, chain, *, lsl: str | None, jsonl: bool, duration: float | None, stop, view=None,
             transient: bool = False):
    """Run ``chain`` on ``src`` into an LSL outlet and/or JSON lines, with ``view`` (a rich
    renderable with ``update(frame_in, frame_out, report)``) live on stderr unless the
    results go to stdout; the chain is closed in any case."""
    from ..core import run as run_chain
    from ..core.sinks import JSONLinesSink, LSLOutletSink
    sinks = ([LSLOutletSink(lsl)] if lsl else []) + ([JSONLinesSink()] if jsonl else [])
    try:
        if jsonl or view is None:
            return run_chain(src, chain, *sinks, max_duration_s=duration, stop=stop)
        with Live(view, console=err, refresh_per_second=8, transient=transient):
            return run_chain(src, chain, *sinks, max_duration_s=duration, stop=stop, on_block=view.update)
    finally:
        chain.close()


@app.command("emg")
def run_emg(
    source: str = typer.Argument(..., help="EMG source: lsl:type=EMG, brainflow:..., a recording, synth:emg."),
    calibration: Path = typer.Option(..., "--calibration", "-c", help="Calibration file from 'sensekit calibrate emg'."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
    realtime: bool = typer.Option(False, "--realtime", help="Pace a replayed recording at its recorded rate."),
    kind: str | None = KIND_OPTION,
    adapt: bool = typer.Option(False, "--adapt", help="Adapt online to this session (re-donned band, new day): "
                               "confident decisions estimate the features' shared shift; its size is the 'shift' "
                               "channel."),
) -> None:
    """Decode EMG live: labels ("no motion" = -1), confidence and velocity per increment."""
    from ..core.sources import open_source
    from ..emg.pipeline import ADAPT_RATE, EMGPipeline

    if not calibration.exists():
        fail(f"calibration file {str(calibration)!r} does not exist; make one with 'sensekit calibrate emg'")
    with stop_on_signals() as stop:
        src = open_source(source, realtime=realtime, kind=kind)
        pipe = EMGPipeline.load(calibration, stream=src.info)
        if adapt:
            pipe.adapt_rate = ADAPT_RATE
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop,
                          view=DecisionView(list(pipe.classes_)), transient=True)
    if not jsonl:
        out.print(f"{report.samples_out} decisions from {report.samples_in:,} samples in {report.wall_s:.1f} s; "
                  f"latency of the chain {chain.latency_s * 1000:.0f} ms; stopped by {report.stopped_by}", highlight=False)


@app.command("gesture")
def run_gesture(
    source: str = typer.Argument(..., help="Image source: camera:0, video:clip.mp4, or a recording with images."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="Static-gesture calibration (JSON)."),
    model: Path | None = typer.Option(None, "--model", help="hand_landmarker.task (default: $SENSEKIT_MODELS)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera delivers mirrored (selfie) images."),
    hands: int = typer.Option(2, "--hands", min=1, max=4, help="Hands to track."),
    smooth: bool = typer.Option(True, "--smooth/--no-smooth", help="One-Euro filter on the landmarks."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
) -> None:
    """Hand landmarks (and gestures, with --calibration) from a camera or video, to LSL and/or
    JSON lines. A camera that stops ends the run with everything so far published."""
    from ..core.sources import open_source
    from ..gesture.pipeline import GesturePipeline

    pipe = GesturePipeline.load(calibration, model=model, max_hands=hands, mirrored=mirrored, smooth=smooth)
    with stop_on_signals() as stop:
        src = open_source(source)
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop)
    if not jsonl:
        out.print(f"{report.samples_out} frames processed in {report.wall_s:.1f} s; stopped by {report.stopped_by}",
                  highlight=False)


@app.command("eyetrack")
def run_eyetrack(
    source: str = typer.Argument(..., help="Eye camera: camera:0, video:FILE, or synth:eye."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="Gaze calibration (JSON); without it, "
                                            "the pupil stream is published."),
    detector: str = typer.Option("adaptive", "--detector", help="Event detector: adaptive, adaptive-hr, nh2010, ivt, idt."),
    chunk: float = typer.Option(0.5, "--chunk", min=0.05, help="Event-detector chunk (s): the labels' latency."),
    online: bool = typer.Option(False, "--online", help="Publish saccade onsets/offsets and blinks as they happen "
                                "(a few ms behind, with each event's time and detection delay) instead of labels."),
    settings: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    stimulus: str = STIMULUS_OPTION,
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
) -> None:
    """Pupil per image; with --calibration, gaze (deg) with a fixation/saccade/PSO/pursuit/
    blink label per sample, to LSL and/or JSON lines. A camera that stops ends the run with
    everything so far published (the detector's last chunk included)."""
    from ..core.sources import open_source
    from ..eyetrack.pipeline import EyePipeline

    pipe = EyePipeline(detector, chunk_s=chunk, context_s=min(chunk / 2, 0.25), params=detector_params(settings),
                       online=online, stimulus=stimulus)
    with stop_on_signals() as stop:
        src = open_source(source)
        if src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream of shape {src.info.shape}; eye tracking needs "
                 "eye-camera images (camera:N, video:FILE, synth:eye)")
        chain = pipe.camera_chain(src.info, calibration)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop)
    if not jsonl:
        out.print(f"{report.samples_in} images, {report.samples_out} samples out in {report.wall_s:.1f} s; "
                  f"stopped by {report.stopped_by}", highlight=False)


class _Compass:
    """A live terminal view of tracked or estimated directions: a 36-sector ring."""

    def __init__(self, k: int, tracks: bool) -> None:
        self.k, self.tracks, self.row = k, tracks, None
        self.count = 0

    def update(self, _fin, fout, _report) -> None:
        if fout is not None and fout.n:
            self.row = fout.data[-1]
            self.count += fout.n

    def __rich__(self):
        ring = ["·"] * 36
        lines = []
        if self.row is not None:
            for i in range(self.k):
                az = self.row[4 * i + 1] if self.tracks else self.row[4 * i]
                label = (f"track {int(self.row[4 * i])}" if self.tracks and np.isfinite(self.row[4 * i])
                         else f"source {i}")
                conf = self.row[4 * i + 3]
                if np.isfinite(az):
                    ring[int(((az + 5) % 360) // 10)] = str(i)
                    lines.append(f"{label}: azimuth {az:6.1f}°  confidence {conf:.2f}")
        head = Text("front (0°) → left (90°) → back (180°) → right (270°)\n", style="dim")
        body = Text("[" + "".join(ring) + "]\n", style="bold")
        return Group(head, body, Text("\n".join(lines) or "no active source", style="cyan"),
                     Text(f"{self.count} estimates", style="dim"))


@app.command("spatial-localise")
def run_spatial_localise(
    source: str = typer.Argument(..., help="Array audio: mic:N, a recording, or synth:array."),
    array: str | None = ARRAY_OPTION,
    method: str = METHOD_OPTION,
    sources: int = SOURCES_OPTION,
    window: float = WINDOW_OPTION,
    every: float = typer.Option(0.0, "--every", min=0, help="Seconds between estimates (0: every STFT hop)."),
    track: bool = typer.Option(True, "--track/--no-track", help="Track sources over time (keeps identities)."),
    calibration: Path | None = CALIBRATION_OPTION,
    gate_db: float = GATE_DB_OPTION,
    no_gate: bool = NO_GATE_OPTION,
    az_range: str | None = AZ_RANGE_OPTION,
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
) -> None:
    """Directions of arrival (azimuth, elevation, power, confidence; or tracks with ids)
    every --window seconds, to LSL and/or JSON lines, with a live compass in the terminal: the
    chain of 'sensekit spatial localise'."""
    from ..core.sources import open_source
    from ..spatial_audio.pipeline import LocalisePipeline, parse_az_range

    checked_numbers("--gate-db", [gate_db])
    pipe = LocalisePipeline(method, sources, window_s=window, every_s=every, gate_db=None if no_gate else gate_db,
                            track=track, array=array, calibration=calibration, az_range=parse_az_range(az_range))
    with stop_on_signals() as stop:
        src = open_source(source)
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop,
                          view=_Compass(sources, track))
    if not jsonl:
        out.print(f"{report.samples_out} estimates from {report.samples_in} samples in {report.wall_s:.1f} s; "
                  f"stopped by {report.stopped_by}", highlight=False)
