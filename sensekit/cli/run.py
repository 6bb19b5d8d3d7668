"""``sensekit run``: a calibrated chain on a live source, published to LSL and/or JSON lines."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import (
    DURATION_OPTION,
    JSONL_OPTION,
    KIND_OPTION,
    LATENCY_OPTION,
    LSL_OPTION,
    checked_numbers,
    err,
    fail,
    live_display,
    new_app,
    out,
    refuse_given,
    stop_on_signals,
)
from ._lazy import lazy
from .eyetrack import (
    SCENE_CAMERA_HELP,
    SCREEN_HELP,
    SET_HELP,
    STIMULUS_OPTION,
    detector_params,
    scene_camera_option,
    screen_option,
)
from .spatial import (
    ARRAY_OPTION,
    AZ_RANGE_OPTION,
    CALIBRATION_OPTION,
    GATE_DB_OPTION,
    METHOD_OPTION,
    MICS_OPTION,
    NO_GATE_OPTION,
    SOURCES_OPTION,
    WINDOW_OPTION,
)
from .views import Compass, DecisionView, EyeView, GestureView

np = lazy("numpy")

app = new_app("Run a calibrated chain on a live source and publish its output.")


def _publish(src, chain, *, lsl: str | None, jsonl: bool, duration: float | None, stop, view=None,
             transient: bool = False, latency: bool = False):
    """Run ``chain`` on ``src`` into an LSL outlet and/or JSON lines, with ``view`` (a rich
    renderable with ``update(frame_in, frame_out, report)``) live on stderr unless the
    results go to stdout, and with ``latency`` a :class:`~sensekit.core.latency.LatencyMeter`
    whose summary goes to stderr at the end; the chain is closed in any case."""
    from ..core import run as run_chain
    from ..core.sinks import JSONLinesSink, LSLOutletSink
    sinks = ([LSLOutletSink(lsl)] if lsl else []) + ([JSONLinesSink()] if jsonl else [])
    meter = None
    if latency:
        from ..core.latency import LatencyMeter

        meter = LatencyMeter(chain)
        chain = meter.chain
    hooks = [h for h in (meter.on_block if meter else None, None if jsonl or view is None else view.update) if h]

    def on_block(frame_in, frame_out, report) -> None:
        for hook in hooks:
            hook(frame_in, frame_out, report)

    try:
        if jsonl or view is None:
            report = run_chain(src, chain, *sinks, max_duration_s=duration, stop=stop,
                               on_block=on_block if hooks else None)
        else:
            with live_display(view, keep=not transient):
                report = run_chain(src, chain, *sinks, max_duration_s=duration, stop=stop, on_block=on_block)
    finally:
        chain.close()
    if meter is not None:
        _print_latency(meter.summary())
    return report


def _print_latency(summary: dict) -> None:
    """The latency meter's summary on stderr: one line for the whole path, one per part."""
    def ms(v) -> str:
        return f"p50 {v[0]:.3g} ms, p99 {v[1]:.3g} ms" if v else "-"

    if not summary["blocks"]:
        err.print("latency: no block gave an output", highlight=False)
        return
    if summary["capture_ms"] is not None:
        err.print(f"latency over {summary['blocks']} outputs, from a block's newest sample's capture to its published "
                  f"output: {ms(summary['capture_ms'])}", highlight=False)
    else:
        err.print(f"latency over {summary['blocks']} outputs: processing and publishing {ms(summary['processing_ms'])} "
                  "(the source's timestamps are not on sensekit's clock: a recording or a simulator, so no capture "
                  "latency)", highlight=False)
    for name, v in summary["stages"].items():
        err.print(f"  {name}: {ms(v)} a block", highlight=False)
    err.print(f"  publishing: {ms(summary['publish_ms'])}", highlight=False)


@app.command("emg")
def run_emg(
    source: str = typer.Argument(..., help="EMG source: lsl:type=EMG, brainflow:..., a recording, synth:emg."),
    calibration: Path = typer.Option(..., "--calibration", "-c", help="Calibration file from 'sensekit calibrate emg'."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
    latency: bool = LATENCY_OPTION,
    realtime: bool = typer.Option(False, "--realtime", help="Pace a replayed recording at its recorded rate."),
    kind: str | None = KIND_OPTION,
    adapt: bool = typer.Option(False, "--adapt", help="Adapt online to this session (re-donned band, new day): "
                               "confident decisions estimate the features' shared shift; its size is the 'shift' "
                               "channel."),
    save_adapted: Path | None = typer.Option(None, "--save-adapted", help="With --adapt: when the run ends, write "
                                             "the calibration with the adaptation's shift taken off, so the next "
                                             "session starts adapted."),
    rate: float | None = typer.Option(None, "--rate", min=1, max=100000, help="The rate (Hz) of a recording that "
                                      "states none (a table with no time column, a .mat file without it), or of a "
                                      "simulator."),
) -> None:
    """Decode EMG live: labels ("no motion" = -1), confidence and velocity per increment."""
    from ..core.sources import open_source
    from ..emg.pipeline import ADAPT_RATE, EMGPipeline
    from ..emg.stages import EMGDecoder

    if not calibration.exists():
        fail(f"calibration file {str(calibration)!r} does not exist; make one with 'sensekit calibrate emg'")
    if save_adapted is not None and not adapt:
        fail("--save-adapted saves what --adapt learned: give both")
    band = EMGPipeline.load(calibration).info_  # (a session recorded beside its labels: its band is read)
    with stop_on_signals() as stop:
        src = open_source(source, realtime=realtime, kind=kind, rate=rate, kinds=(band.kind,))
        pipe = EMGPipeline.load(calibration, stream=src.info)
        if adapt:
            pipe.adapt_rate = ADAPT_RATE
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, latency=latency,
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
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Image source: camera:0, video:clip.mp4, or a recording with images; or "
                                 "hand landmarks (a 'run gesture --lsl' outlet of another machine, lsl:name=Hands; a "
                                 "recording of them; another tracker's 21 per hand), classified as they come."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="Static-gesture calibration (JSON)."),
    model: Path | None = typer.Option(None, "--model", help="hand_landmarker.task (default: $SENSEKIT_MODELS)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera delivers mirrored (selfie) images."),
    hands: int = typer.Option(2, "--hands", min=1, max=4, help="Hands to track."),
    smooth: bool = typer.Option(True, "--smooth/--no-smooth", help="One-Euro filter on the landmarks."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
    latency: bool = LATENCY_OPTION,
) -> None:
    """Hand landmarks (and gestures, with --calibration) from a camera or video, to LSL and/or
    JSON lines; or gestures from a stream of hand landmarks. A camera that stops ends the run
    with everything so far published."""
    from ..core.sources import open_source
    from ..gesture.pipeline import GesturePipeline

    pipe = GesturePipeline.load(calibration, model=model, max_hands=hands, mirrored=mirrored, smooth=smooth)
    with stop_on_signals() as stop:
        src = open_source(source, kinds=("image", "landmarks"))
        if src.info.kind == "landmarks":  # (the landmarker's and its filter's options: never silently ignored)
            refuse_given(ctx, ("model", "hands", "mirrored", "smooth"), f"to {source!r}, hand landmarks already "
                         "(they set the camera's landmarker and its filter)")
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, latency=latency, view=GestureView(),
                          transient=True)
    if not jsonl:
        out.print(f"{report.samples_out} frames processed in {report.wall_s:.1f} s; stopped by {report.stopped_by}",
                  highlight=False)


@app.command("eyetrack")
def run_eyetrack(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Eye camera (camera:0, video:FILE, synth:eye), or an eye tracker's gaze in "
                                 "degrees (lsl:type=Gaze, a recording, synth:gaze)."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="Gaze calibration (JSON); without it, "
                                            "the pupil stream is published."),
    detector: str = typer.Option("adaptive", "--detector", help="Event detector: adaptive, adaptive-hr, nh2010, ivt, idt."),
    chunk: float | None = typer.Option(None, "--chunk", min=0.05, max=3600, help="Event-detector chunk (s): the labels' "
                                       "latency. [default: 0.5]"),
    online: bool = typer.Option(False, "--online", help="Publish saccade onsets/offsets and blinks as they happen "
                                "(a few ms behind, with each event's time and detection delay) instead of labels."),
    settings: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    stimulus: str = STIMULUS_OPTION,
    screen: str | None = typer.Option(None, "--screen", help="A gaze stream in a screen's pixels: " + SCREEN_HELP),
    distance: float | None = typer.Option(None, "--distance", min=1, help="Eye-to-screen distance (mm)."),
    scene_camera: Path | None = typer.Option(None, "--scene-camera", help=SCENE_CAMERA_HELP),
    units: str | None = typer.Option(None, "--units", help="The units of a gaze stream that does not say them: deg, "
                                     "px (with --screen/--distance) or norm (fractions of the screen from its top "
                                     "left, with --screen/--distance)."),
    lsl: str | None = LSL_OPTION,
    jsonl: bool = JSONL_OPTION,
    duration: float | None = DURATION_OPTION,
    latency: bool = LATENCY_OPTION,
) -> None:
    """Pupil per image; with --calibration, gaze (deg) with a fixation/saccade/PSO/pursuit/
    blink label per sample, to LSL and/or JSON lines; from a gaze stream, its labels (or, with
    --online, its saccade onsets and offsets as they happen). A camera that stops ends the run with
    everything so far published (the detector's last chunk included)."""
    from ..core.sources import open_source
    from ..eyetrack.pipeline import LIVE_CHUNK_S, EyePipeline

    if chunk is None and not online:
        chunk = LIVE_CHUNK_S
    pipe = EyePipeline(detector, chunk_s=chunk, params=detector_params(settings), online=online, stimulus=stimulus)
    geometry = screen_option(screen, distance, required=False, what="a gaze stream in a screen's pixels")
    camera = scene_camera_option(scene_camera)
    with stop_on_signals() as stop:
        src = open_source(source, kinds=("gaze", "image"))
        if src.info.kind == "gaze":  # an eye tracker's gaze: events straight away
            if calibration is not None:
                fail(f"source {source!r} gives gaze already; -c maps an eye camera's pupils to gaze: leave it out")
            chain = pipe.gaze_chain(src.info, screen=geometry, scene_camera=camera, units=units)
        elif src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream of shape {src.info.shape}; eye tracking needs "
                 "eye-camera images (camera:N, video:FILE, synth:eye) or an eye tracker's gaze (lsl:type=Gaze); a gaze "
                 "file (a table, an EyeLink or Tobii export) goes to 'sensekit eyetrack events FILE' (--online for "
                 "this command's online detector)")
        else:
            refuse_given(ctx, ("screen", "distance", "scene_camera", "units"), f"to source {source!r}, eye images "
                         "(they apply to an eye tracker's gaze stream)")
            if calibration is None:  # the pupils are published: the event detector's options would be ignored
                refuse_given(ctx, ("detector", "chunk", "online", "settings", "stimulus"),
                             "without -c, which publishes the pupils (events need gaze: give the calibration)")
            chain = pipe.camera_chain(src.info, calibration)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, latency=latency, view=EyeView(),
                          transient=True)
    if not jsonl:
        given = "gaze samples" if src.info.kind == "gaze" else "images"
        made = "events" if online else "samples"
        out.print(f"{report.samples_in} {given} in, {report.samples_out} {made} out in {report.wall_s:.1f} s; "
                  f"stopped by {report.stopped_by}", highlight=False)


@app.command("spatial-localise")
def run_spatial_localise(
    ctx: typer.Context,
    source: str = typer.Argument(..., help="Array audio: mic:N, a recording, or synth:array."),
    array: str | None = ARRAY_OPTION,
    mics: str | None = MICS_OPTION,
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
    latency: bool = LATENCY_OPTION,
) -> None:
    """Directions of arrival (azimuth, elevation, power, confidence; or tracks with ids)
    every --window seconds, to LSL and/or JSON lines, with a live compass in the terminal: the
    chain of 'sensekit spatial localise'."""
    from ..core.sources import open_source
    from ..spatial_audio.pipeline import LocalisePipeline, parse_az_range, parse_channels

    checked_numbers("--gate-db", [gate_db])
    if no_gate:
        refuse_given(ctx, ("gate_db",), "with --no-gate")
    pipe = LocalisePipeline(method, sources, window_s=window, every_s=every, gate_db=None if no_gate else gate_db,
                            track=track, array=array, calibration=calibration, az_range=parse_az_range(az_range),
                            mics=parse_channels(mics))
    with stop_on_signals() as stop:
        src = open_source(source, kinds=("audio",))
        chain = pipe.chain(src.info)
        report = _publish(src, chain, lsl=lsl, jsonl=jsonl, duration=duration, stop=stop, latency=latency,
                          view=Compass(sources, track))
    if not jsonl:
        out.print(f"{report.samples_out} estimates from {report.samples_in} samples in {report.wall_s:.1f} s; "
                  f"stopped by {report.stopped_by}", highlight=False)


@app.command("select")
def run_select(
    ctx: typer.Context,
    gaze: str = typer.Option(..., "--gaze", help="Gaze in the layout's units: lsl:type=Gaze, a recording's stream "
                             "(session.h5#gaze), synth:selection?stream=gaze."),
    targets: Path = typer.Option(..., "--targets", help="Target layout (JSON: units, targets with name, x, y, radius)."),
    pinch: str | None = typer.Option(None, "--pinch", help="What confirms: camera:0 or a video (hand landmarks), a "
                                     "landmarks, pinch or decisions stream, or an EMG source with -c. Not with --dwell."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="EMG calibration when --pinch is an "
                                            "EMG source; its class --pinch-class means a pinch."),
    pinch_class: str | None = typer.Option(None, "--pinch-class", help="The decisions' class that means a pinch "
                                           "(an EMG band's or gesture calibration's; default: pinch)."),
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
    latency: bool = LATENCY_OPTION,
) -> None:
    """Look and pinch: the gaze picks a target, a pinch (camera, EMG band, or any pinch stream)
    confirms; selection events (target, confidence) to LSL and/or JSON lines."""
    import time

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
    if dwell is not None:  # the pinch's options (the landmarker for a camera's pinch too)
        refuse_given(ctx, ("calibration", "pinch_class", "look_back", "max_wait", "model", "mirrored"),
                     "with --dwell, where looking selects and nothing pinches")
    layout = load_layout(targets)
    pipe = SelectPipeline(layout, method="dwell" if dwell else "pinch", margin=margin, look_back_s=look_back,
                          dwell_s=dwell or 0.5, pinch_class=pinch_class, max_wait_s=max_wait)
    with stop_on_signals() as stop:
        sources = [open_source(gaze, realtime=realtime, kinds=("gaze",))]
        front = None
        if pinch is not None:
            from ..emg.pipeline import EMGPipeline

            wanted = (EMGPipeline.load(calibration).info_.kind,) if calibration is not None else (
                "pinch", "landmarks", "label", "image")
            sources.append(open_source(pinch, realtime=realtime, kinds=wanted))
            info = sources[1].info
            if calibration is not None:
                front = EMGPipeline.load(calibration, stream=info).chain(info)
            elif info.kind == "image":
                from ..gesture.pipeline import GesturePipeline
                front = GesturePipeline.load(None, model=model, max_hands=2, mirrored=mirrored).chain(info)
            if model is not None and (calibration is not None or info.kind != "image"):  # (never silently ignored)
                fail(f"--model is the hand landmarker for a camera's pinch; {pinch!r} is not a camera's images")
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

        meter = None
        if latency:  # the pinch's front end stage by stage, the fusion, publishing, and capture to selection
            from ..core.latency import LatencyMeter

            meter = LatencyMeter(front)
            front = meter.chain if front is not None else None
        readers = SourceReaders(sources, duration_s=duration, stop=stop)
        problems = []
        try:
            for i, item in readers:
                if isinstance(item, Exception):
                    problems.append(f"{sources[i].info.name}: {item}")
                    readers.halt.set()
                elif isinstance(item, Frame):  # (clock measurements of a remote clock are not needed here)
                    arrived = time.perf_counter()
                    frame = front.process(item) if (i == 1 and front is not None) else item
                    if frame is not None:
                        start = time.perf_counter()
                        selected = pipe.push(i, frame)
                        pushed = time.perf_counter()
                        publish(selected)
                        if meter is not None:
                            meter.stage_time("SelectPipeline", pushed - start)
                            if selected is not None and selected.n and item.n:
                                meter.add(float(item.times[-1]), pushed - arrived, time.perf_counter() - pushed)
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
    if meter is not None:
        _print_latency(meter.summary())
    if problems:
        fail("; ".join(problems) + f" (the {count} selections before it were published)")
    if not jsonl:
        wait = (f"by looking {dwell:g} s at a target (no pinch stream to wait for)" if dwell is not None else
                f"a gaze sample waits at most {pipe.latency_s * 1000:.0f} ms for the pinch stream"
                if np.isfinite(pipe.latency_s) else "recordings: every gaze sample waited for the pinch stream")
        out.print(f"{count} selection(s); {wait}", highlight=False)
