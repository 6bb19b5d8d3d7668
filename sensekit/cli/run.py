"""``sensekit run``: a calibrated chain on a live source, published to LSL and/or JSON lines."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Group
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
    live_display,
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


class GestureView:
    """Per hand: the latest gesture, its confidence, and the motion (dynamic gesture) where the
    calibration has them; frames per second. Without a calibration, which hands are seen."""

    def __init__(self) -> None:
        self.last = None
        self.meta: dict = {}
        self.count = 0
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is not None and frame_out.n:
            self.last, self.meta = frame_out.data[-1], frame_out.info.meta
            self.count += frame_out.n

    @staticmethod
    def _name(value, classes) -> Text:
        if not np.isfinite(value):
            return Text("-", style="dim")
        if value < 0:
            return Text("none", style="bold yellow")
        return Text(str(classes[int(value)]).upper() if int(value) < len(classes) else str(int(value)), style="bold green")

    def __rich__(self):
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        foot = Text(f"{self.count} frames, {rate:.1f}/s; Ctrl-C stops", style="dim")
        if self.last is None:
            return Group(Text("waiting for the first frame..."), foot)
        grid = Table.grid(padding=(0, 2))
        classes, motions = list(self.meta.get("classes", [])), list(self.meta.get("motion_classes", []))
        for hand, row in enumerate(self.last):
            if row.ndim > 1:  # landmarks only (no calibration): is a hand there
                grid.add_row(f"hand {hand + 1}", Text("seen" if np.isfinite(row[0, 0]) else "-"))
                continue
            cells = [f"hand {hand + 1}", self._name(row[0], classes),
                     Text(f"{row[1]:.2f}" if np.isfinite(row[1]) else "")]
            if len(row) >= 4:
                cells += [self._name(row[2], motions), Text(f"{row[3]:.2f}" if np.isfinite(row[3]) else "")]
            grid.add_row(*cells)
        return Group(grid, foot)


class EyeView:
    """Gaze labels: the latest gaze, speed and label, and how many samples of each label; online
    events: how many onsets, offsets and blinks, and the latest onset's detection delay. Pupils
    (no calibration): the latest pupil and its confidence."""

    def __init__(self) -> None:
        self.kind, self.last, self.count = None, None, 0
        self.tally: dict[str, int] = {}
        self.delay_ms = None
        self.start = time.monotonic()

    def update(self, _frame_in, frame_out, _report) -> None:
        if frame_out is None or not frame_out.n:
            return
        from ..eyetrack.labels import LABEL_NAMES

        self.kind, self.last = frame_out.info.kind, frame_out.data[-1]
        self.count += frame_out.n
        if self.kind == "gaze_labels":
            for code, n in zip(*np.unique(frame_out.data[:, 3], return_counts=True), strict=True):
                name = LABEL_NAMES.get(int(code), str(code)) if np.isfinite(code) else "lost"
                self.tally[name] = self.tally.get(name, 0) + int(n)
        elif self.kind == "gaze_events":
            codes = frame_out.info.meta.get("event_codes", {})
            for name, code in codes.items():
                if name != "landing":
                    self.tally[name] = self.tally.get(name, 0) + int(np.sum(frame_out.data[:, 0] == code))
            onsets = frame_out.data[frame_out.data[:, 0] == codes.get("onset", -1)]
            if len(onsets):
                self.delay_ms = 1000 * float(onsets[-1, 2])

    def __rich__(self):
        rate = self.count / max(1e-9, time.monotonic() - self.start)
        foot = Text(f"{self.count} {'events' if self.kind == 'gaze_events' else 'samples'}, {rate:.1f}/s; "
                    "Ctrl-C stops", style="dim")
        if self.last is None:
            return Group(Text("waiting for the first sample..."), foot)
        grid = Table.grid(padding=(0, 2))
        if self.kind == "gaze_labels":
            from ..eyetrack.labels import LABEL_NAMES

            x, y, speed, label = self.last
            name = LABEL_NAMES.get(int(label), "?") if np.isfinite(label) else "lost"
            grid.add_row("gaze", f"{x:+7.2f}° {y:+7.2f}°  {speed:6.0f} °/s", Text(name.upper(), style="bold green"))
        elif self.kind == "gaze_events" and self.delay_ms is not None:
            grid.add_row("last onset", f"{self.delay_ms:.1f} ms after it began")
        elif self.kind not in ("gaze_labels", "gaze_events"):
            grid.add_row("pupil", f"x {self.last[0]:.1f}  y {self.last[1]:.1f}  confidence {self.last[6]:.2f}"
                         if len(self.last) > 6 else "")
        if self.tally:
            grid.add_row("so far", ", ".join(f"{k} {v:,}" for k, v in self.tally.items()))
        return Group(grid, foot)


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
        with live_display(view, keep=not transient):
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
    save_adapted: Path | None = typer.Option(None, "--save-adapted", help="With --adapt: when the run ends, write "
                                             "the calibration with the adaptation's shift taken off, so the next "
                                             "session starts adapted."),
) -> None:
    """Decode EMG live: labels ("no motion" = -1), confidence and velocity per increment."""
    from ..core.sources import open_source
    from ..emg.pipeline import ADAPT_RATE, EMGPipeline
    from ..emg.stages import EMGDecoder

    if not calibration.exists():
        fail(f"calibration file {str(calibration)!r} does not exist; make one with 'sensekit calibrate emg'")
    if save_adapted is not None and not adapt:
        fail("--save-adapted saves what --adapt learned: give both")
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
    if save_adapted is not None:
        decoder = next(st for st in chain if isinstance(st, EMGDecoder))
        shift = decoder.final_shift_ if decoder.final_shift_ is not None else decoder.shift
        adapted = pipe.shifted(shift)
        adapted.adapt_rate = None
        adapted.save(save_adapted, device=f"adapted from {calibration.name}")
        err.print(f"adapted calibration (shift RMS {float(np.sqrt(np.mean(shift ** 2))):.2f} SD) written to "
                  f"{save_adapted}", highlight=False)


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
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, view=GestureView(),
                          transient=True)
    if not jsonl:
        out.print(f"{report.samples_out} frames processed in {report.wall_s:.1f} s; stopped by {report.stopped_by}",
                  highlight=False)


@app.command("eyetrack")
def run_eyetrack(
    source: str = typer.Argument(..., help="Eye camera (camera:0, video:FILE, synth:eye), or an eye tracker's gaze in "
                                 "degrees (lsl:type=Gaze, a recording, synth:gaze)."),
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
    blink label per sample, to LSL and/or JSON lines; from a gaze stream, its labels (or, with
    --online, its saccade onsets and offsets as they happen). A camera that stops ends the run with
    everything so far published (the detector's last chunk included)."""
    from ..core.sources import open_source
    from ..eyetrack.pipeline import EyePipeline

    pipe = EyePipeline(detector, chunk_s=chunk, context_s=min(chunk / 2, 0.25), params=detector_params(settings),
                       online=online, stimulus=stimulus)
    with stop_on_signals() as stop:
        src = open_source(source)
        if src.info.kind == "gaze":  # an eye tracker's gaze: events straight away
            if calibration is not None:
                fail(f"source {source!r} gives gaze already; -c maps an eye camera's pupils to gaze: leave it out")
            chain = pipe.gaze_chain(src.info)
        elif src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream of shape {src.info.shape}; eye tracking needs "
                 "eye-camera images (camera:N, video:FILE, synth:eye) or an eye tracker's gaze (lsl:type=Gaze)")
        else:
            chain = pipe.camera_chain(src.info, calibration)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, view=EyeView(),
                          transient=True)
    if not jsonl:
        given = "gaze samples" if src.info.kind == "gaze" else "images"
        made = "events" if online else "samples"
        out.print(f"{report.samples_in} {given} in, {report.samples_out} {made} out in {report.wall_s:.1f} s; "
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


@app.command("select")
def run_select(
    gaze: str = typer.Option(..., "--gaze", help="Gaze in the layout's units: lsl:type=Gaze, a recording's stream "
                             "(session.h5#gaze), synth:selection?stream=gaze."),
    targets: Path = typer.Option(..., "--targets", help="Target layout (JSON: units, targets with name, x, y, radius)."),
    pinch: str | None = typer.Option(None, "--pinch", help="What confirms: camera:0 or a video (hand landmarks), a "
                                     "landmarks, pinch or decisions stream, or an EMG source with -c. Not with --dwell."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="EMG calibration when --pinch is an "
                                            "EMG source; its class --pinch-class means a pinch."),
    pinch_class: str = typer.Option("pinch", "--pinch-class", help="The decisions' class that means a pinch."),
    dwell: float | None = typer.Option(None, "--dwell", min=0.05, max=10, help="Select by looking this long (s) "
                                       "instead of pinching (the hands-free baseline)."),
    margin: float = typer.Option(1.0, "--margin", min=0, max=20, help="Widen targets by this much (tracker "
                                 "accuracy; layout units)."),
    look_back: float = typer.Option(0.4, "--look-back", min=0, max=5, help="Gaze of this long before a pinch votes "
                                    "for the target (s)."),
    max_wait: float = typer.Option(0.1, "--max-wait", min=0, max=5, help="Longest a gaze sample waits for the pinch "
                                   "stream (s): the declared latency."),
    model: Path | None = typer.Option(None, "--model", help="hand_landmarker.task for a camera (default: "
                                      "$SENSEKIT_MODELS)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera delivers mirrored (selfie) images."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
    realtime: bool = typer.Option(False, "--realtime", help="Pace replayed recordings at their recorded rate."),
) -> None:
    """Look and pinch: the gaze picks a target, a pinch (camera, EMG band, or any pinch stream)
    confirms; selection events (target, confidence) to LSL and/or JSON lines."""
    from ..core import Frame
    from ..core.multicapture import SourceReaders
    from ..core.sinks import JSONLinesSink, LSLOutletSink
    from ..core.sources import open_source
    from ..fusion.pipeline import SelectPipeline
    from ..fusion.targets import load_layout

    for option, value in (("--margin", margin), ("--look-back", look_back), ("--max-wait", max_wait),
                          ("--dwell", dwell)):
        checked_numbers(option, [] if value is None else [value])
    if (pinch is None) == (dwell is None):
        fail("give --pinch SOURCE (look and pinch) or --dwell SECONDS (gaze dwell), one of the two")
    layout = load_layout(targets)
    pipe = SelectPipeline(layout, method="dwell" if dwell else "pinch", margin=margin, look_back_s=look_back,
                          dwell_s=dwell or 0.5, pinch_class=pinch_class, max_wait_s=max_wait)
    with stop_on_signals() as stop:
        sources = [open_source(gaze, realtime=realtime)]
        front = None
        if pinch is not None:
            sources.append(open_source(pinch, realtime=realtime))
            info = sources[1].info
            if calibration is not None:
                from ..emg.pipeline import EMGPipeline
                front = EMGPipeline.load(calibration, stream=info).chain(info)
            elif info.kind == "image":
                from ..gesture.pipeline import GesturePipeline
                front = GesturePipeline.load(None, model=model, max_hands=2, mirrored=mirrored).chain(info)
        if not any(s.paced for s in sources):  # recordings read as fast as they can be: wait on the data, not the clock
            pipe.max_wait_s = float("inf")
        infos = [sources[0].info] + ([front.open(sources[1].info) if front else sources[1].info] if pinch else [])
        out_info = pipe.open(infos)
        sinks = ([LSLOutletSink(lsl)] if lsl else []) + ([JSONLinesSink()] if jsonl else [])
        for s in sinks:
            s.open(out_info)
        names, count = layout.names, 0

        def publish(frame) -> None:
            nonlocal count
            if frame is None or not frame.n:
                return
            count += frame.n
            for s in sinks:
                s.write(frame)
            if not jsonl:
                for t, (target, conf) in zip(frame.times, frame.data, strict=True):
                    what = f"select {names[int(target)]!r}" if target >= 0 else "pinch with no target under the gaze"
                    out.print(f"{t:10.3f} s  {what} (confidence {conf:.2f})", highlight=False)

        readers = SourceReaders(sources, duration_s=duration, stop=stop)
        problems = []
        try:
            for i, item in readers:
                if isinstance(item, Exception):
                    problems.append(f"{sources[i].info.name}: {item}")
                    readers.halt.set()
                elif isinstance(item, Frame):  # (clock measurements of a remote clock are not needed here)
                    frame = front.process(item) if (i == 1 and front is not None) else item
                    if frame is not None:
                        publish(pipe.push(i, frame))
        except KeyboardInterrupt:
            pass
        finally:
            readers.close()
            if front is not None and (rest := front.flush()) is not None:
                publish(pipe.push(1, rest))
            publish(pipe.flush())
            for s in sinks:
                s.close()
            if front is not None:
                front.close()
    if problems:
        fail("; ".join(problems) + f" (the {count} selections before it were published)")
    if not jsonl:
        wait = (f"a gaze sample waits at most {pipe.latency_s * 1000:.0f} ms for the pinch stream"
                if np.isfinite(pipe.latency_s) else "recordings: every gaze sample waited for the pinch stream")
        out.print(f"{count} selection(s); {wait}", highlight=False)
