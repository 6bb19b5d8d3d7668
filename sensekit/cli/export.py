"""``sensekit export``: a calibrated chain as portable C, ONNX or JSON, with golden vectors."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from enum import StrEnum
from pathlib import Path

import typer

from ._app import err, fail, new_app, out, refuse_given
from ._lazy import lazy

np = lazy("numpy")

app = new_app("Export calibrated chains for firmware: C99 with golden vectors, ONNX decoders, JSON.")


class Format(StrEnum):
    c = "c"
    onnx = "onnx"
    json = "json"


_FORMAT = typer.Option(Format.c, "--format", "-f", help="c (library + checker), onnx (decoder) or json.")
_OUTPUT = typer.Option(..., "-o", "--output", help="Output folder.")


def _copy_calibration(calibration: Path, output: Path) -> None:
    shutil.copyfile(calibration, output / calibration.name)
    out.print(f"calibration copied: {calibration.name}", highlight=False)


def _compile(output: Path, sources: list[str], exe: str, flags: tuple[str, ...] = (),
             without: str = "pass --no-check") -> int | None:
    """Compile exported C with the system compiler (C99, every warning an error); returns the
    stack use in bytes of the library's functions (all frames added up: an upper bound of the
    deepest call) where the compiler has ``-fstack-usage``, else None. ``without``: how to export
    without a compiler (said when there is none)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        fail(f"no C compiler (cc) to check the export; install one or {without}")
    base = [cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", *flags, *sources, "-lm", "-o", exe]
    r = subprocess.run([*base[:1], "-fstack-usage", *base[1:]], cwd=output, capture_output=True, text=True)
    stack = None
    if r.returncode == 0:
        su = output / (Path(sources[0]).stem + ".su")
        if not su.exists():
            su = next(output.glob(f"*{Path(sources[0]).stem}.su"), su)
        if su.exists():
            stack = sum(int(line.split("\t")[1]) for line in su.read_text().splitlines() if line.count("\t") >= 2)
        for f in output.glob("*.su"):
            f.unlink()
    else:
        r = subprocess.run(base, cwd=output, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"the exported C did not compile: {(r.stderr.strip().splitlines() or ['?'])[0]}")
    return stack


@app.command("emg")
def export_emg(
    ctx: typer.Context,
    calibration: Path = typer.Option(..., "--calibration", "-c", help="Calibration file from 'sensekit calibrate emg'."),
    fmt: Format = _FORMAT,
    output: Path = _OUTPUT,
    golden: int = typer.Option(0, "--golden", min=0, max=3600,
                               help="Write golden vectors: this many seconds of input in random blocks."),
    golden_from: str | None = typer.Option(None, "--golden-from", help="Take the golden input from this recording "
                                           "of the band (what 'run emg' reads: a session .h5, an XDF, a CSV...; its "
                                           "first --golden seconds) instead of the simulated band."),
    name: str = typer.Option("sensekit_emg", "--name", help="Base name of the C files."),
    check: bool = typer.Option(True, "--check/--no-check", help="Compile the C with cc and run it on the golden vectors."),
) -> None:
    """Export an EMG calibration; prints a budget (state and table bytes, operations per
    sample, time per block of the compiled C, latency) for the C format."""
    from ..core.atomic import atomic_output
    from ..emg.pipeline import EMGPipeline
    from ..export.c_text import c_identifier

    if fmt is not Format.c:
        refuse_given(ctx, ("golden", "golden_from", "name", "check"), f"to --format {fmt.value}, which writes no C")
    elif not golden:
        refuse_given(ctx, ("check",), "without --golden (it runs the C on the golden vectors)")
        if golden_from is not None:
            fail("--golden-from gives the golden input: say how many seconds of it with --golden N")
    pipe = EMGPipeline.load(calibration)
    c_identifier(name)
    x = _golden_emg(pipe, calibration, golden, golden_from) if golden and fmt is Format.c else None
    with atomic_output(output, folder=True) as work:
        _export_emg(pipe, calibration, fmt, work, x, name, check)
    out.print(f"written to {output}", highlight=False)


def _golden_emg(pipe, calibration: Path, seconds: int, recording: str | None) -> np.ndarray:
    """The golden input: ``seconds`` of the simulated band in the calibration's range, or the
    first ``seconds`` of a recording of the band (checked against the calibration's stream)."""
    info = pipe.info_
    if recording is None:
        from ..emg.synth import EMGSimulator

        sim = EMGSimulator(info.shape[0], max(2, len(pipe.classes_)), rate=info.rate, seed=11)
        n = int(seconds * info.rate)
        reps = max(1, int(np.ceil(n / info.rate / (2.0 * sim.n_classes))))
        x = np.concatenate([t.data for t in sim.trials(reps=reps, duration_s=2.0).trials])[:n]
        scale = float(np.mean(np.abs(pipe.learned_.get("class_levels", [1.0])))) or 1.0
        return x * scale  # in the calibration's range
    from ..core.sources.spec import open_source
    from ..core.units import voltage_factor
    from ..emg.pipeline import EMGPipeline
    from ..errors import CalibrationError

    with open_source(recording, kinds=(info.kind,)) as src:
        try:
            EMGPipeline.load(calibration, stream=src.info)  # the calibration's band: channels and rate
        except CalibrationError as e:
            fail(f"{recording} is no recording of the calibrated band: {e.problem}; fix: take the golden input "
                 "from a recording of the band the calibration was made on")
        factor = voltage_factor(src.info.unit, info.unit)  # (the firmware's input: the calibration's unit)
        n, parts = int(round(seconds * info.rate)), []
        for frame in src:
            parts.append(np.asarray(frame.data, dtype=np.float64).reshape(len(frame.data), -1))
            if sum(len(p) for p in parts) >= n:
                break
    x = np.concatenate(parts)[:n] if parts else np.zeros((0, info.shape[0]))
    if factor not in (None, 1.0):
        out.print(f"{recording} is in {src.info.unit}, the calibration's band in {info.unit}: the golden input is "
                  f"written in {info.unit}", highlight=False)
        x = x * factor
    if len(x) < n:
        fail(f"{recording} holds {len(x) / info.rate:.1f} s of samples, fewer than the {seconds} s of --golden; "
             + (f"fix: --golden {int(len(x) / info.rate)}" if len(x) >= info.rate else "fix: record a longer stretch"))
    if not np.isfinite(x).all():
        fail(f"{recording}: its first {seconds} s hold non-numbers (NaN); fix: take a recording without them (the "
             "golden vectors check the arithmetic, not the signal check)")
    return x


def _export_emg(pipe, calibration: Path, fmt: Format, output: Path, x: np.ndarray | None, name: str,
                check: bool) -> None:
    from ..export import export_emg_c, write_golden
    from ..export.golden import golden_blocks

    if fmt is Format.json:
        _copy_calibration(calibration, output)
        return
    info = pipe.info_
    golden = x is not None
    if fmt is Format.onnx:
        from ..emg.features import compute_features
        from ..export.onnx_decoder import export_decoder_onnx, run_onnx

        path = export_decoder_onnx(pipe.learned_, output / "decoder.onnx")
        w, _, _ = pipe.windows(_check_trials(pipe))
        feats = compute_features(w, pipe.learned_["features"], rate=info.rate, **pipe.learned_.get("feature_params", {}))
        from ..learn.decoders import CompiledDecoder

        z = (feats - np.asarray(pipe.learned_["mean"])) / np.asarray(pipe.learned_["scale"])
        ref = CompiledDecoder(pipe.learned_["decoder"]).scores(z)
        probs, labels = run_onnx(path, feats)
        agree = float(np.mean(labels == np.asarray(pipe.learned_["decoder"]["classes"])[ref.argmax(1)]))
        out.print(f"decoder {path.name}: onnxruntime vs Python on {len(feats)} windows: labels agree "
                  f"{agree:.1%}, max |probability diff| {np.max(np.abs(probs - ref)):.2g}", highlight=False)
        return
    report = export_emg_c(pipe, output, name=name, source=calibration.name)
    budget = {"window_samples": report["window"], "hop_samples": report["hop"], "filter_sections": report["sections"],
              "constant_table_bytes_float32": report["constant_values"] * 4,
              "operations_per_sample_estimate": report["ops_per_sample_estimate"],
              "latency_input_to_decision_s": report["latency_s"]}
    if golden:
        blocks = golden_blocks(pipe.chain(info), info, x, seed=0)
        write_golden(output / "golden.bin", blocks, info.shape[0], 3)
        budget["python_time_per_block_us"] = _python_block_time(pipe, blocks)
        err.print(f"golden vectors: {len(blocks)} blocks of random size, {sum(len(b[0]) for b in blocks)} samples")
        if check:
            for label, flags, tol in (("float32", (), "1e-3"), ("float64", ("-DSK_DOUBLE",), "1e-9")):
                exe = output / f"check_{label}"
                stack = _compile(output, [f"{name}.c", f"{name}_check.c"], exe.name, flags)
                if stack is not None:
                    budget[f"stack_bytes_upper_bound_{label}"] = stack
                r = subprocess.run([f"./{exe.name}", "golden.bin", "0.01", tol, "200"], cwd=output,
                                   capture_output=True, text=True)
                out.print(f"{label}: {r.stdout.strip()}", highlight=False)
                if r.returncode != 0:
                    fail(f"the {label} build differs from the Python chain beyond the tolerance {tol}")
                line = r.stdout.strip().splitlines()[-1]
                budget[f"time_per_block_us_{label}"] = float(line.split("time per block ")[1].split(" us")[0])
                budget[f"state_bytes_{label}"] = int(line.split("state ")[1].split(" bytes")[0])
                budget[f"python_over_c_{label}"] = round(budget["python_time_per_block_us"]
                                                          / budget[f"time_per_block_us_{label}"], 1)
    (output / "budget.json").write_text(json.dumps(budget, indent=2))
    out.print(f"C library: {', '.join(report['files'])}", highlight=False)
    for k, v in budget.items():
        out.print(f"  {k}: {v}", highlight=False)


def _python_block_time(pipe, blocks) -> float:
    """Mean microseconds per block of the Python chain on the golden blocks."""
    from ..bench.speed import measure_blocks
    from ..core import Frame

    info = pipe.info_
    frames = [Frame(info, b.astype(info.dtype), t0=0.0, seq=k) for k, (b, _) in enumerate(blocks)]
    chain = pipe.chain(info)
    chain.open(info)
    summary, lat_ms = measure_blocks(chain.process, frames, 1.0, reset=chain.reset, memory=False)
    return round(float(np.mean(lat_ms)) * 1e3, 3)


def _check_trials(pipe):
    from ..emg.synth import EMGSimulator

    info = pipe.info_
    sim = EMGSimulator(info.shape[0], max(2, len(pipe.classes_)), rate=info.rate, seed=5)
    return sim.trials(reps=1, duration_s=2.0)


@app.command("gesture")
def export_gesture(
    ctx: typer.Context,
    calibration: Path = typer.Option(..., "--calibration", "-c", help="Static-gesture calibration (JSON)."),
    fmt: Format = _FORMAT,
    output: Path = _OUTPUT,
    golden: int = typer.Option(0, "--golden", min=0, max=100000,
                               help="Write this many golden frames (random hands, or --golden-rows) and check the C."),
    golden_rows: Path | None = typer.Option(None, "--golden-rows", help="Take the golden frames from these keypoint "
                                            "rows (keypoint.csv: real poses, so that accepted ones are checked too)."),
    name: str = typer.Option("sensekit_gesture", "--name", help="Base name of the C files."),
) -> None:
    """Export a static-gesture classifier: landmark normalisation, features, decoder, rejection."""
    from ..core.atomic import atomic_output
    from ..export.c_text import c_identifier
    from ..gesture.static import load_gestures

    if fmt is not Format.c:
        refuse_given(ctx, ("golden", "golden_rows", "name"), f"to --format {fmt.value}, which writes no C")
    elif golden_rows is not None and not golden:
        fail("--golden-rows gives the golden frames: say how many with --golden N")
    if not calibration.exists():
        fail(f"calibration file {str(calibration)!r} does not exist")
    clf, dynamic = load_gestures(calibration)
    if dynamic is not None and fmt is not Format.json:
        logging.getLogger("sensekit").warning(
            "the dynamic gestures of %s are not exported: the %s export holds its static classifier (the json format "
            "keeps them)", calibration.name, fmt.value)
    c_identifier(name)
    rows = None
    if golden_rows is not None:
        from ..gesture.datasets import load_keypoints

        points, _, _ = load_keypoints(golden_rows)
        rows = points.reshape(len(points), 42)[np.unique(np.linspace(0, len(points) - 1, golden).round().astype(int))]
    with atomic_output(output, folder=True) as work:
        _export_gesture(clf, calibration, fmt, work, golden, name, rows)
    out.print(f"written to {output}", highlight=False)


def _export_gesture(clf, calibration: Path, fmt: Format, output: Path, golden: int, name: str,
                    rows=None) -> None:
    from ..export import export_gesture_c, write_golden
    from ..export.c_emg import decoder_constants
    from ..export.golden import random_splits

    if fmt is Format.json:
        _copy_calibration(calibration, output)
        return
    if fmt is Format.onnx:
        from ..export.onnx_decoder import export_decoder_onnx, run_onnx
        from ..learn.decoders import CompiledDecoder

        path = export_decoder_onnx(clf.learned_, output / "gesture_decoder.onnx")
        rows = (np.random.default_rng(0).normal(size=(200, 21, 2)) * 40 + 300)
        feats = clf.features(rows)
        ref = CompiledDecoder(clf.learned_["decoder"]).scores((feats - clf.learned_["mean"]) / clf.learned_["scale"])
        probs, labels = run_onnx(path, feats)
        agree = float(np.mean(labels == np.asarray(clf.learned_["decoder"]["classes"])[ref.argmax(1)]))
        out.print(f"decoder {path.name} (input: hand features, see sensekit.gesture.normalize): onnxruntime vs "
                  f"Python: labels agree {agree:.1%}, max |probability diff| {np.max(np.abs(probs - ref)):.2g}",
                  highlight=False)
        return
    report = export_gesture_c(clf, output, name=name)
    out.print(f"C library: {', '.join(report['files'])}", highlight=False)
    if golden:
        if rows is None:  # random hands (mostly rejected as unknown poses)
            rows = (np.random.default_rng(0).normal(size=(golden, 21, 2)) * 40 + 300).reshape(golden, 42)
        labels, conf, distance = clf.predict_open(rows)  # as the Python classifier decides
        err.print(f"golden frames: {len(rows)}, {int(np.sum(labels >= 0))} decided as a gesture, "
                  f"{int(np.sum(labels < 0))} as none")
        blocks = [(rows[s], np.column_stack([labels[s], conf[s], distance[s]]))
                  for s in random_splits(len(rows), max_block=16)]
        write_golden(output / "golden.bin", blocks, 42, 3)
        _compile(output, [f"{name}.c", f"{name}_check.c"], "check", without="leave --golden out (it checks the C)")
        r = subprocess.run(["./check", "golden.bin", "0.01", "1e-3", "100"], cwd=output, capture_output=True, text=True)
        out.print(r.stdout.strip(), highlight=False)
        if r.returncode != 0:
            fail("the float32 build differs from the Python classifier beyond the tolerance 1e-3")
        budget = {"state_bytes": 0, "constant_table_bytes_float32": (decoder_constants(clf.learned_)
                                                                     + report["openset_constants"]) * 4,
                  "time_per_frame_us_float32": float(r.stdout.split("time per frame ")[1].split(" us")[0]),
                  "latency": "one frame (stateless)"}
        (output / "budget.json").write_text(json.dumps(budget, indent=2))
        for k, v in budget.items():
            out.print(f"  {k}: {v}", highlight=False)


@app.command("eyetrack")
def export_eyetrack(
    rate: float = typer.Option(..., "--rate", min=10, max=10000, help="The eye tracker's sample rate (Hz): it fixes "
                               "the speed's span, the confirming samples and the noise averages."),
    output: Path = _OUTPUT,
    settings: list[str] | None = typer.Option(None, "--set", help="A parameter of the online detector, KEY=VALUE "
                                              "(repeatable; 'none' for None), e.g. --set confirm=3 (as 'run eyetrack "
                                              "--online' takes them)."),
    golden: int = typer.Option(0, "--golden", min=0, max=3600, help="Write golden vectors: this many seconds of "
                               "simulated gaze (saccades, pursuits, blinks) in random blocks, and check the C on them."),
    name: str = typer.Option("sensekit_saccades", "--name", help="Base name of the C files."),
    gaze_input: str = typer.Option("degrees", "--input", help="What the tracker gives, for the golden vectors: "
                                   "'degrees', a headset's gaze 'direction' (x, y, z), or 'eye-directions' (the two "
                                   "eyes', 6 values); the C turns directions into degrees with "
                                   "sk_direction_degrees."),
    golden_from: Path | None = typer.Option(None, "--golden-from", help="Take the golden gaze from this gaze file "
                                            "(what 'eyetrack events' reads, at --rate; its first --golden seconds) "
                                            "instead of simulated gaze."),
    screen: str | None = typer.Option(None, "--screen", help="With --golden-from, a pixel gaze file's screen "
                                      "(as 'eyetrack events' takes it)."),
    distance: float | None = typer.Option(None, "--distance", min=1, help="With --golden-from, the eye-to-screen "
                                          "distance (mm)."),
    scene_camera: Path | None = typer.Option(None, "--scene-camera", help="With --golden-from, a glasses' gaze in "
                                             "its scene camera's pixels (a recorded Neon stream): the camera's "
                                             "intrinsics, scene_camera.json."),
) -> None:
    """Export the online saccade detector ('run eyetrack --online') as C99 for a headset: onsets,
    offsets, blinks and landing predictions from gaze (deg, or a headset's gaze direction turned
    into degrees), sample by sample; prints a budget (state bytes, time per sample of the compiled
    C, declared latency)."""
    from ..core.atomic import atomic_output
    from ..export.c_text import c_identifier
    from ..eyetrack.pipeline import EyePipeline
    from .eyetrack import detector_params

    pipe = EyePipeline(online=True, params=detector_params(settings))  # the parameters checked, as 'run' checks them
    c_identifier(name)
    if gaze_input not in GAZE_INPUTS:
        fail(f"--input {gaze_input!r} is not one of {', '.join(GAZE_INPUTS)}")
    if golden_from is None and (screen is not None or distance is not None or scene_camera is not None):
        fail("--screen, --distance and --scene-camera go with --golden-from (a pixel gaze file's screen or scene "
             "camera)")
    if golden_from is not None and not golden:
        fail("--golden-from gives the golden gaze: say how many seconds of it with --golden N")
    gaze = (_golden_gaze_file(golden_from, rate, golden, screen, distance, scene_camera) if golden_from is not None
            else None)
    with atomic_output(output, folder=True) as work:
        _export_eyetrack(pipe, rate, work, golden, name, GAZE_INPUTS[gaze_input], gaze)
    out.print(f"written to {output}", highlight=False)


#: ``export eyetrack --input``: the values a sample the tracker gives (gaze in degrees, a
#: direction, the two eyes' directions).
GAZE_INPUTS = {"degrees": 2, "direction": 3, "eye-directions": 6}


def _golden_gaze(x: np.ndarray, y: np.ndarray, values: int) -> np.ndarray:
    """Gaze (deg; NaN where lost) as the tracker gives it: degrees, or a headset's direction (the
    OpenXR frame: -z ahead; a lost sample a zero vector), or the two eyes' (1 deg of vergence, the
    right eye lost at times)."""
    if values == 2:
        return np.column_stack([x, y])

    def direction(az, el):
        a, e = np.radians(az), np.radians(el)
        return np.nan_to_num(np.column_stack([np.cos(e) * np.sin(a), np.sin(e), -np.cos(e) * np.cos(a)]))

    if values == 3:
        return direction(x, y)
    eyes = np.column_stack([direction(x + 0.5, y), direction(x - 0.5, y)])
    eyes[np.arange(len(x)) % 97 < 5, 3:] = 0.0
    return eyes


def _golden_gaze_file(path: Path, rate: float, seconds: int, screen: str | None, distance: float | None,
                      scene_camera: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``seconds`` of a gaze file's gaze (deg; NaN where lost), read as 'eyetrack
    events' reads it; one line for another rate or too short a file."""
    from ..eyetrack.datasets import load_gaze
    from .eyetrack import scene_camera_option, screen_option

    rec = load_gaze(path, screen=screen_option(screen, distance, required=False, what="a pixel gaze file"),
                    scene_camera=scene_camera_option(scene_camera)).regular()
    if abs(rec.rate - rate) > 0.002 * rate:
        fail(f"{path.name} is sampled at {rec.rate:g} Hz, not the --rate {rate:g} the C is exported for; fix: "
             f"--rate {rec.rate:g}")
    n = int(round(seconds * rate))
    if len(rec) < n:
        fail(f"{path.name} holds {len(rec) / rate:.1f} s of gaze, fewer than the {seconds} s of --golden; fix: "
             + (f"--golden {int(len(rec) / rate)}" if len(rec) >= rate else "a longer recording"))
    return rec.x[:n], rec.y[:n]


def _export_eyetrack(pipe, rate: float, output: Path, golden: int, name: str, values: int = 2,
                     gaze: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    from ..core import Chain, StreamInfo
    from ..export import export_saccades_c, write_golden
    from ..export.golden import golden_blocks
    from ..eyetrack.directions import DirectionDegrees
    from ..eyetrack.online import OnlineSaccades
    from ..eyetrack.synth import gaze_signal

    info = StreamInfo("gaze", "gaze", rate, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    stage = OnlineSaccades(**pipe.params)
    stage.open(info)
    report = export_saccades_c(stage, output, name=name)
    budget = {"speed_span_samples": report["lag"], "speed_span_samples_at_most": report["max_lag"],
              "confirming_samples": report["confirm"],
              "latency_s": report["latency_s"]}
    out.print(f"C library: {', '.join(report['files'])}", highlight=False)
    if golden:
        x, y = gaze if gaze is not None else gaze_signal(duration_s=float(golden), rate=rate, rng=11)[:2]
        given = info if values == 2 else StreamInfo("gaze", "gaze", rate, (values,), dtype="float64")
        chain = Chain(*([] if values == 2 else [DirectionDegrees()]), OnlineSaccades(**pipe.params))
        blocks = golden_blocks(chain, given, _golden_gaze(x, y, values), seed=0)
        blocks = [(b, rows.reshape(-1, 7)) for b, rows in blocks]
        write_golden(output / "golden.bin", blocks, values, 7)
        err.print(f"golden vectors: {len(blocks)} blocks of random size, {len(x)} samples, "
                  f"{sum(len(r) for _, r in blocks)} events")
        python_us = _python_sample_time(chain, given, blocks)
        _compile(output, [f"{name}.c", f"{name}_check.c"], "check", without="leave --golden out (it checks the C)")
        r = subprocess.run(["./check", "golden.bin", "1e-9", "20"], cwd=output, capture_output=True, text=True)
        out.print(r.stdout.strip(), highlight=False)
        if r.returncode != 0:
            fail("the C differs from the Python detector beyond the tolerance 1e-9")
        line = r.stdout.strip().splitlines()[-1]
        budget["state_bytes"] = int(line.split("state ")[1].split(" bytes")[0])
        budget["time_per_sample_us_c"] = float(line.split("time per sample ")[1].split(" us")[0])
        budget["time_per_sample_us_python"] = python_us
        budget["python_over_c"] = round(python_us / max(budget["time_per_sample_us_c"], 1e-6), 1)
    (output / "budget.json").write_text(json.dumps(budget, indent=2))
    for k, v in budget.items():
        out.print(f"  {k}: {v}", highlight=False)


def _python_sample_time(chain, info, blocks) -> float:
    """Microseconds per sample of the Python detector (``chain``) on the golden blocks (one pass,
    as :func:`_python_block_time` times the EMG chain)."""
    from ..bench.speed import measure_blocks
    from ..core import Frame

    chain.open(info)
    frames = [Frame(info, b, t0=0.0, seq=k) for k, (b, _) in enumerate(blocks)]
    _, lat_ms = measure_blocks(chain.process, frames, 1.0, reset=chain.reset, memory=False)
    return round(float(lat_ms.sum()) * 1e3 / max(sum(f.n for f in frames), 1), 4)
