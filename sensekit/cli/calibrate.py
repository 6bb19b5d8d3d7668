"""``sensekit calibrate``: guided calibration sessions that write calibration files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer
from rich.console import Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from ._app import KIND_OPTION, err, fail, live_display, new_app, out, refuse_given, stop_on_signals
from ._lazy import lazy

np = lazy("numpy")
log = logging.getLogger("sensekit")

app = new_app("Guided calibration sessions: record, fit, cross-validate, save a calibration file.")

DEFAULT_EMG_CLASSES = "rest,fist,open,wrist_flexion,wrist_extension"


def _floats(text: str | None, name: str, n: int) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.split(","))
    except ValueError:
        fail(f"{name} must be {n} numbers separated by commas, got {text!r}")
    if len(vals) != n:
        fail(f"{name} must be {n} numbers separated by commas, got {text!r}")
    return vals


@app.command("emg")
def calibrate_emg(
    ctx: typer.Context,
    source: str | None = typer.Argument(None, help="EMG source: lsl:type=EMG, brainflow:..., a recording, synth:emg "
                                        "(or --from a recorded session)."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    classes: str = typer.Option(DEFAULT_EMG_CLASSES, "--classes", help="Class names, comma-separated, rest first."),
    reps: int = typer.Option(3, "--reps", min=1, max=100, help="Repetitions of each class."),
    hold: float = typer.Option(3.0, "--hold", min=0.5, max=600, help="Seconds to hold each class."),
    pause: float = typer.Option(2.0, "--pause", min=0, max=600, help="Seconds to relax between holds (not recorded)."),
    lead: float = typer.Option(3.0, "--lead", min=0, max=600, help="Seconds to get ready before the first prompt."),
    trim: float = typer.Option(0.5, "--trim", min=0, max=600, help="Seconds of reaction time dropped at each hold's start."),
    window_ms: float = typer.Option(200.0, "--window-ms", min=10, max=10000, help="Window length (ms)."),
    increment_ms: float = typer.Option(50.0, "--increment-ms", min=1, max=10000, help="Decision interval (ms)."),
    features: str = typer.Option("HTD+LOGVAR", "--features", help="Feature group(s): HTD, TD4, TD9, TDPSD, ... joined by +."),
    decoder: str = typer.Option("lda", "--decoder", help="lda, svm, mlp or rf."),
    bandpass: str | None = typer.Option(None, "--bandpass", help="Band-pass edges in Hz, e.g. 20,450."),
    notch: float | None = typer.Option(None, "--notch", help="Mains frequency to notch (50 or 60 Hz)."),
    reject: float | None = typer.Option(None, "--reject", min=0, max=1, help="Reject decisions below this confidence."),
    vote: int = typer.Option(1, "--vote", min=1, max=1000, help="Majority vote over this many decisions."),
    record: Path | None = typer.Option(None, "--record", help="Also keep the raw session (.h5, with a label stream)."),
    device: str = typer.Option("", "--device", help="Device description stored in the file."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing calibration file."),
    kind: str | None = KIND_OPTION,
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the calibration: the cross-validated confusion "
                                     "matrix and each class's RMS over the channels (a dead electrode shows)."),
    redo: bool | None = typer.Option(None, "--redo/--no-redo", help="Record the trials with a problem (NaN, flat, "
                                     "clipped, mains hum) again after the session; default: ask on a terminal."),
    top_up: Path | None = typer.Option(None, "--top-up", help="Update this existing calibration for a new session "
                                       "(new day, re-donned band) from a short session (--reps 1 is enough): the "
                                       "features are re-standardised and an LDA's class means move 0.7 of the way "
                                       "towards the prompted classes' new windows (its covariance kept). Its classes "
                                       "and recipe are kept (--classes, --features, --decoder and the other recipe "
                                       "options are refused)."),
    from_session: Path | None = typer.Option(None, "--from", help="Fit from a session recorded with --record (its "
                                             ".h5: the EMG and its label stream) instead of a live one: try another "
                                             "recipe on the same trials, or --top-up from a recorded session."),
) -> None:
    """Guide the user through holding each class, fit the decoder, show its cross-validated
    accuracy, and write the calibration file (JSON, numbers only). With ``--top-up``, update an
    existing calibration from a short session instead; with ``--from``, use a recorded session's
    trials instead of a live session."""
    if top_up is not None:  # the existing calibration's classes and recipe are kept
        refuse_given(ctx, ("classes", "window_ms", "increment_ms", "features", "decoder", "bandpass", "notch",
                           "reject", "vote", "plot"), "with --top-up, which keeps the calibration's classes and recipe")
    if (source is None) == (from_session is None):
        fail("give an EMG source (lsl:type=EMG, brainflow:..., synth:emg, a recording) or --from a session "
             "recorded with --record, one of the two")
    if from_session is not None:  # the recording's trials: no session to guide
        refuse_given(ctx, ("classes", "reps", "hold", "pause", "lead", "trim", "record", "redo", "kind"),
                     "with --from, which takes the recorded session's classes, repetitions and trials")
    from ..core.info import UNKNOWN_KIND
    from ..core.sources import open_source
    from ..emg.calibrate import Protocol
    from ..emg.pipeline import EMGPipeline

    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")
    if top_up is not None and not top_up.exists():
        fail(f"calibration file {str(top_up)!r} does not exist; make one with 'sensekit calibrate emg'")
    _check_plot(plot)
    names = tuple(c.strip() for c in classes.split(",") if c.strip())
    pipe = EMGPipeline(window_ms=window_ms, increment_ms=increment_ms, features=features, decoder=decoder,
                       bandpass_hz=_floats(bandpass, "--bandpass", 2), notch_hz=notch, reject_below=reject, vote=vote)
    if from_session is not None:
        trials = _recorded_trials(from_session)
        if top_up is not None:
            pipe = EMGPipeline.load(top_up, stream=trials.info)
            if pipe.classes_ and tuple(pipe.classes_) != trials.classes:
                fail(f"{from_session.name} holds the classes {', '.join(trials.classes)}; the calibration "
                     f"{top_up.name} decodes {', '.join(pipe.classes_)}: top it up with a session of its classes")
            _top_up_emg(pipe, trials, output, device or str(from_session))
            return
        _fit_emg(pipe, trials, output, device or str(from_session), plot)
        return
    with stop_on_signals() as stop:
        src = open_source(source, kind=kind)
        if src.info.kind not in ("emg", "exg", UNKNOWN_KIND) or len(src.info.shape) != 1:
            fail(f"source {source!r} gives a {src.info.kind!r} stream of shape {src.info.shape}; EMG calibration "
                 "needs a 1-D emg/exg stream")
        if top_up is not None:
            pipe = EMGPipeline.load(top_up, stream=src.info)
            names = pipe.classes_ or tuple(f"class {c}" for c in pipe.learned_["decoder"]["classes"])
        protocol = Protocol(names, reps=reps, hold_s=hold, pause_s=pause, lead_s=lead, trim_s=trim)
        def problem(prompt, channel, what) -> None:  # said at once, while the user can still fix it
            log.warning("%s (repetition %d): channel %r %s", names[prompt.label], prompt.rep + 1, channel, what)

        recorder = _guided_session(src, protocol, problem, stop)
    trials = recorder.trials()
    if record is not None:
        _save_session(record, recorder, protocol, overwrite)
        err.print(f"session recorded to {record}")
    if len(trials) < len(protocol.prompts):
        fail(f"the source ended after {recorder.elapsed_s:.1f} s, before the session's {protocol.duration_s:.1f} s")
    again = None
    bad = recorder.problem_prompts()
    if bad and _redo_wanted(redo, bad, names):
        again_protocol = protocol.again(bad)
        with stop_on_signals() as stop:
            src2 = open_source(source, kind=kind)
            if (src2.info.shape, src2.info.rate) != (src.info.shape, src.info.rate):
                fail(f"source {source!r} came back as {src2.info.shape} at {src2.info.rate:g} Hz, not as in the session")
            again = _guided_session(src2, again_protocol, problem, stop, interrupt_keeps=True)
        kept = again.trials()
        if len(kept) < len(again_protocol.prompts):
            err.print(f"only {len(kept)} of the {len(again_protocol.prompts)} trials were recorded again; the others "
                      "stay as first recorded")
        trials = trials.replaced(kept)
        if record is not None:
            path = record.with_name(record.stem + "-again" + record.suffix)
            _save_session(path, again, again_protocol, overwrite)
            err.print(f"trials recorded again to {path}")
    if len(recorder.unusable_channels(again)) == src.info.shape[0]:  # (a chance-level calibration was saved)
        fail("every channel was flat or non-finite in every trial: there is nothing to learn and nothing was saved; "
             "check the band's contact and the source")
    if top_up is not None:
        _top_up_emg(pipe, trials, output, device or source)
        return
    _fit_emg(pipe, trials, output, device or source, plot)


def _fit_emg(pipe, trials, output: Path, device: str, plot: Path | None) -> None:
    """Cross-validate ``pipe``'s recipe on ``trials`` (leave one repetition out), print it, fit
    on all of them and write the calibration (and its plot)."""
    from ..emg.calibrate import cross_validate

    names = trials.classes
    conf = None
    if len({t.rep for t in trials}) >= 2:
        metrics, conf = cross_validate(pipe, trials)
        out.print(f"leave-one-repetition-out accuracy: {metrics['accuracy']:.1%} "
                  f"(balanced {metrics['balanced_accuracy']:.1%})", highlight=False)
        table = Table()
        table.add_column("class")
        table.add_column("recall", justify="right")
        m = np.asarray(conf["matrix"])
        for i, name in enumerate(names):
            table.add_row(name, f"{m[i, i] / max(1, m[i].sum()):.1%}")
        out.print(table)
    else:
        err.print("one repetition only: no cross-validated accuracy (use --reps 2 or more)", style="yellow")
    pipe.fit(trials)
    pipe.save(output, device=device)
    out.print(f"calibration written to {output} ({len(names)} classes, {pipe.features}, {pipe.decoder})", highlight=False)
    if plot is not None:
        from ..emg.plot import plot_calibration

        plot_calibration(plot, trials, conf["matrix"] if conf else None)
        out.print(f"plot written to {plot}", highlight=False)


def _recorded_trials(path: Path):
    """The trials of a session recorded by ``calibrate emg --record``, checked as a live
    session's are (each channel problem named once, with the trials it is in); a recording
    with nothing to learn from is refused in one line."""
    from ..emg.calibrate import DEAD, trial_problems
    from ..emg.datasets import load_recording_trials

    if not path.exists():
        fail(f"recorded session {str(path)!r} does not exist; record one with 'sensekit calibrate emg ... --record S.h5'")
    trials = load_recording_trials(path)
    if not len(trials):
        fail(f"{path.name} holds no labelled trial: its label stream never names a class")
    held = sorted({t.label for t in trials})
    if len(held) < 2:
        fail(f"{path.name} holds trials of one class only ({trials.classes[held[0]]}): a decoder needs two or more")
    found: dict[tuple[str, str], list[str]] = {}
    dead: dict[str, int] = {}
    for t in trials:
        for channel, problem in trial_problems(t.data, trials.info.rate, trials.info.channels):
            found.setdefault((channel, str(problem)), []).append(f"{trials.classes[t.label]} {t.rep + 1}")
            dead[channel] = dead.get(channel, 0) + (problem.kind in DEAD)
    for (channel, problem), where in found.items():
        log.warning("channel %r %s in %d of %d trials (%s)", channel, problem, len(where), len(trials),
                    ", ".join(where[:4]) + (", ..." if len(where) > 4 else ""))
    if sum(n == len(trials) for n in dead.values()) == trials.info.shape[0]:
        fail(f"every channel of {path.name} is flat or non-finite in every trial: there is nothing to learn")
    return trials


def _check_plot(plot: Path | None) -> None:
    """A --plot path is a .png (checked before any session)."""
    if plot is not None and plot.suffix.lower() != ".png":
        fail(f"--plot writes a PNG image: name it *.png, not {plot.name!r}")


def _top_up_emg(pipe, trials, output: Path, device: str) -> None:
    """Adapt ``pipe`` to the new session's prompted trials (re-standardised, class means moved
    towards the labelled new windows); say how the old and the updated calibration decode
    them, and write the update."""
    from ..learn.metrics import classification_metrics

    labels = list(range(len(pipe.classes_) or max(t.label for t in trials.trials) + 1))
    y, before, _ = pipe.decide(trials)
    old, _ = classification_metrics(y, before[:, 0].astype(int), labels=labels)
    pipe.adapt(trials, labelled=True)
    y, after, _ = pipe.decide(trials)
    new, _ = classification_metrics(y, after[:, 0].astype(int), labels=labels)
    out.print(f"this session decoded by the old calibration: {old['accuracy']:.1%} (balanced "
              f"{old['balanced_accuracy']:.1%}); by the updated one: {new['accuracy']:.1%} (balanced "
              f"{new['balanced_accuracy']:.1%}, on the same repetitions)", highlight=False)
    pipe.save(output, device=device)
    out.print(f"updated calibration written to {output}", highlight=False)


def _gesture_from_csv(path: Path, output: Path, decoder: str, features: str, reject: float | None,
                      unknown_factor: float, point_history: Path | None, plot: Path | None = None,
                      motion_pose: str | None = None) -> None:
    """Fit a static-gesture calibration from keypoint rows (and dynamic gestures from a
    point-history table); print the cross-validated accuracy (ordered folds) and how many
    held-out frames the open-set model rejected."""
    from ..gesture.datasets import load_keypoints
    from ..gesture.static import StaticGestureClassifier
    from ..learn.openset import ordered_folds

    points, labels, names = load_keypoints(path)
    _enough_rows(path, labels, names)
    _check_motion_pose(motion_pose, names, point_history is not None)
    table = _read_point_history(point_history)
    recipe = {"decoder": decoder, "features": features, "input_format": "kazuhito", "openset_factor": unknown_factor}
    decided = _held_out(lambda a, b, c: StaticGestureClassifier(**recipe).fit(a, b, names).predict(c)[0], points,
                        labels, ordered_folds(labels, 5))
    acc, rej = float(np.mean(decided == labels)), float(np.mean(decided == -1))
    out.print(f"5-fold (ordered) cross-validated accuracy: {acc:.1%} on {len(labels)} rows of {_with_rows(labels, names)}"
              f"; {rej:.1%} of held-out known frames rejected as unknown", highlight=False)
    dynamic = _dynamic_from_table(table, reject, motion_pose)
    StaticGestureClassifier(reject_below=reject, **recipe).fit(points, labels, names).save(output, device=str(path),
                                                                                          dynamic=dynamic)
    out.print(f"calibration written to {output} ({features} features, {decoder}"
              + (", with dynamic gestures" if dynamic is not None else "") + ")", highlight=False)
    _plot_gestures(plot, labels, decided, names)


def _held_out(fit_decide, X, y, fold):
    """Each row's decision by a model fitted without the rows of its ``fold``:
    ``fit_decide(X_train, y_train, X_test)`` fits and returns the test rows' labels."""
    decided = np.empty_like(y)
    for k in np.unique(fold):
        decided[fold == k] = fit_decide(X[fold != k], y[fold != k], X[fold == k])
    return decided


def _plot_gestures(plot: Path | None, labels, decided, names) -> None:
    """The cross-validated decisions of a gesture calibration as a confusion matrix PNG (the
    last column: rejected as unknown)."""
    if plot is None:
        return
    from ..plots import draw_confusion, png_figure

    k = len(names)
    matrix = np.zeros((k, k + 1), dtype=int)
    np.add.at(matrix, (labels, np.where(decided < 0, k, decided)), 1)
    with png_figure(plot, figsize=(1.0 * k + 3.5, 0.8 * k + 2.5)) as ax:
        draw_confusion(ax, matrix, names, title="cross-validated decisions")
    out.print(f"plot written to {plot}", highlight=False)


def _guided_session(src, protocol, on_problem, stop, *, interrupt_keeps: bool = False):
    """Prompt the protocol's holds live while recording ``src``; the recorder of the session.
    Ctrl-C ends the command (nothing saved), or with ``interrupt_keeps`` keeps what came."""
    from ..core import run
    from ..emg.calibrate import SessionRecorder

    names, reps = protocol.classes, protocol.reps
    recorder = SessionRecorder(protocol, on_problem=on_problem)

    class _View:
        def __rich__(self):
            prompt, left = protocol.prompt_at(recorder.elapsed_s)
            head = Text()
            if prompt is None:
                nxt = next((p for p in protocol.prompts if p.start_s >= recorder.elapsed_s), None)
                head.append("relax", style="bold yellow")
                if nxt is not None:
                    head.append(f" - next: {names[nxt.label].upper()} in {left:4.1f} s", style="yellow")
            else:
                head.append(f"hold {names[prompt.label].upper()}", style="bold green")
                head.append(f"  {left:4.1f} s   (rep {prompt.rep + 1}/{reps})")
            total = protocol.duration_s
            bar = int(30 * min(1.0, recorder.elapsed_s / total))
            return Group(head, Text("█" * bar + "·" * (30 - bar) + f"  {recorder.elapsed_s:5.1f} / {total:.1f} s"))

    with live_display(_View(), refresh_per_second=10):
        report = run(src, None, max_duration_s=protocol.duration_s, stop=stop, on_block=recorder)
    if report.stopped_by == "interrupt" and not interrupt_keeps:
        fail("calibration interrupted before the last prompt; nothing was saved", 130)
    return recorder


def _redo_wanted(redo: bool | None, bad, names) -> bool:
    """Whether to record the trials with problems again: ``--redo``/``--no-redo``, else asked
    where there is someone to answer (stdin a terminal)."""
    import sys

    which = ", ".join(f"{names[p.label]} (repetition {p.rep + 1})" for p in bad[:6]) + (" ..." if len(bad) > 6 else "")
    if redo is None and not sys.stdin.isatty():
        err.print(f"{len(bad)} trial(s) had problems: {which}; kept as recorded ('--redo' records them again)",
                  highlight=False)
        return False
    if redo is None:
        return typer.confirm(f"{len(bad)} trial(s) had problems: {which}. Check the band, then record them again?",
                             default=True, err=True)
    return redo


def _read_point_history(path: Path | None):
    """The trajectories, labels and class names of a point-history table (None without one),
    checked before any other work."""
    if path is None:
        return None
    from ..gesture.datasets import load_point_history

    trajectories, labels, names = load_point_history(path)
    _enough_rows(path, labels, names)
    return trajectories, labels, names


def _dynamic_from_table(table, reject: float | None, pose: str | None):
    """The dynamic gestures of a point-history table (:func:`_read_point_history`), or None."""
    if table is None:
        return None
    # the point-history recorder flips its images
    return _fit_dynamic(*table, reject, mirrored_images=True, what="trajectories", pose=pose)


def _fit_dynamic(trajectories, labels, names: list[str], reject: float | None, *, mirrored_images: bool, what: str,
                 pose: str | None = None, frame_rate: float | None = None):
    """A trajectory classifier for dynamic gestures; print its cross-validated accuracy (ordered
    folds) and how many held-out trajectories ``--reject`` turned to none."""
    from ..gesture.dynamic import TrajectoryClassifier
    from ..learn.openset import ordered_folds

    recipe = {"reject_below": reject, "mirrored_images": mirrored_images, "pose": pose, "frame_rate": frame_rate}
    decided = _held_out(lambda a, b, c: TrajectoryClassifier(**recipe).fit(a, b, names).predict(c), trajectories,
                        labels, ordered_folds(labels, 5))
    out.print(f"dynamic gestures: 5-fold (ordered) cross-validated accuracy {np.mean(decided == labels):.1%} on "
              f"{len(labels)} {what} of {_with_rows(labels, names)}; {np.mean(decided == -1):.1%} of "
              "held-out known trajectories rejected" + ("" if reject is not None else " (no --reject)"),
              highlight=False)
    return TrajectoryClassifier(**recipe).fit(trajectories, labels, names)


def _check_motion_pose(pose: str | None, names, dynamic: bool) -> None:
    """--motion-pose names one of the static gestures, and goes with dynamic gestures."""
    if pose is None:
        return
    if not dynamic:
        fail("--motion-pose goes with dynamic gestures (--motions or --point-history)")
    if pose not in names:
        fail(f"--motion-pose {pose!r} is none of the static gestures ({', '.join(names)})")


def _enough_rows(path: Path, labels, names: list[str]) -> None:
    """One line when a class has fewer rows than the 5 folds of cross-validation; a warning
    naming the label file's classes that have no rows (the calibration never decides them)."""
    counts = np.bincount(labels, minlength=len(names))
    few = [names[c] for c in np.flatnonzero((counts > 0) & (counts < 5))]
    if few:
        fail(f"{path}: class(es) {', '.join(map(repr, few[:5]))} have fewer than 5 rows; 5-fold cross-validation "
             "needs at least one row a fold")
    empty = [names[c] for c in np.flatnonzero(counts == 0)]
    if empty:
        err.print(f"warning: {path}: {len(empty)} class(es) of the label file have no rows "
                  f"({', '.join(map(repr, empty[:8]))}{', ...' if len(empty) > 8 else ''}); the calibration never "
                  "decides them", style="yellow", highlight=False)


def _with_rows(labels, names: list[str]) -> str:
    """The names of the classes that have rows, for the accuracy line."""
    present = np.unique(labels)
    return f"{len(present)} classes ({', '.join(names[c] for c in present)})"


def _save_session(path: Path, recorder, protocol, overwrite: bool) -> None:
    from ..core import Frame, StreamInfo
    from ..core.recording import RecordingWriter

    info = recorder.info.replace(dtype="float64")
    x = np.concatenate(recorder.chunks)
    labels = StreamInfo("label", "label", 0.0, (1,), channels=("class",), dtype="int32",
                        meta={"classes": list(protocol.classes)})
    times, values = [0.0], [-1]
    for p in protocol.prompts:
        times += [p.start_s + protocol.trim_s, p.start_s + p.hold_s]
        values += [p.label, -1]
    with RecordingWriter(path, overwrite=overwrite) as rec:
        rec.add_stream(info).append(Frame(info, x, t0=0.0))
        rec.add_stream(labels).append(Frame(labels, np.asarray(values, dtype=np.int32)[:, None],
                                            times=np.asarray(times)))
        rec.file.attrs["protocol"] = json.dumps({"classes": list(protocol.classes), "reps": protocol.reps,
                                                 "hold_s": protocol.hold_s, "pause_s": protocol.pause_s,
                                                 "lead_s": protocol.lead_s, "trim_s": protocol.trim_s})


@app.command("gesture")
def calibrate_gesture(
    ctx: typer.Context,
    source: str | None = typer.Argument(None, help="Image source: camera:0 or video:FILE (or --from a keypoint CSV)."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    gestures: str = typer.Option("open,fist,point", "--gestures", help="Gesture names, comma-separated; one named "
                                 "'other' records poses that must do nothing (decided as none)."),
    samples: int = typer.Option(30, "--samples", min=5, max=100000, help="Hand samples to collect per gesture."),
    countdown: float = typer.Option(3.0, "--countdown", min=0, max=600, help="Seconds to get ready before each gesture."),
    model: Path | None = typer.Option(None, "--model", help="hand_landmarker.task (default: $SENSEKIT_MODELS)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera delivers mirrored (selfie) images."),
    decoder: str = typer.Option("lda", "--decoder", help="lda, svm, mlp or rf."),
    features: str = typer.Option("hand", "--features", help="hand (invariant features; exportable to C) or raw "
                                 "(normalised coordinates; best with --decoder svm)."),
    reject: float | None = typer.Option(None, "--reject", min=0, max=1, help="Answer 'none' below this confidence."),
    unknown_factor: float = typer.Option(3.0, "--unknown-factor", min=0.1, max=100.0, help="Open-set strictness: a "
                                         "pose farther than this many typical distances from every calibration pose "
                                         "of its class is 'none' (smaller rejects more, taught poses too)."),
    window: bool = typer.Option(True, "--window/--no-window", help="Show the camera, landmarks and countdown."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing calibration file."),
    from_csv: Path | None = typer.Option(None, "--from", help="Train from keypoint rows (keypoint.csv, or its folder "
                                         "with keypoint_classifier_label.csv) instead of a camera."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the cross-validated decisions (confusion matrix, "
                                     "with the frames rejected as unknown)."),
    point_history: Path | None = typer.Option(None, "--point-history", help="Also train dynamic gestures from "
                                              "fingertip trajectories (point_history.csv, or its folder with "
                                              "point_history_classifier_label.csv); 'run gesture' publishes them."),
    motions: str | None = typer.Option(None, "--motions", help="Also record dynamic gestures with the camera: motion "
                                       "names, comma-separated (e.g. circle,swipe,still); each is made with the index "
                                       "finger and recorded as fingertip trajectories of 16 frames."),
    motion_pose: str | None = typer.Option(None, "--motion-pose", help="Follow the fingertip only while the hand "
                                           "holds this static gesture (e.g. point): in any other pose it makes no "
                                           "motion. Default: any pose."),
    motion_samples: int = typer.Option(60, "--motion-samples", min=5, max=100000, help="Trajectories to record per "
                                       "motion (one a frame, once the finger has been seen 16 frames)."),
) -> None:
    """Guided per-user gesture calibration: for each gesture a countdown, then hand samples
    from the camera, then a fit, a cross-validated accuracy and a calibration file. With
    --from, the same from recorded keypoint rows (the public keypoint CSV format); with
    --point-history or --motions, dynamic gestures from fingertip trajectories as well."""
    from ..core.sources import open_source
    from ..gesture.landmarks import HandLandmarks
    from ..gesture.static import StaticGestureClassifier
    from ..learn.decoders import DECODERS

    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")
    if decoder not in DECODERS:  # checked before any capture session
        fail(f"unknown decoder {decoder!r}; use one of {', '.join(DECODERS)}")
    if features not in ("hand", "raw"):
        fail(f"unknown gesture features {features!r}; use hand or raw")
    if (source is None) == (from_csv is None):
        fail("give an image source (camera:0, video:FILE) or --from keypoint.csv, one of the two")
    _check_plot(plot)
    if from_csv is not None:  # the camera session's options (motions: give recorded ones with --point-history)
        refuse_given(ctx, ("gestures", "samples", "countdown", "model", "mirrored", "window", "motions",
                           "motion_samples"),
                     "with --from, which trains from keypoint rows without a camera (recorded motions: --point-history)")
        _gesture_from_csv(from_csv, output, decoder, features, reject, unknown_factor, point_history, plot, motion_pose)
        return
    names = [g.strip() for g in gestures.split(",") if g.strip()]
    if len(names) < 2:
        fail(f"calibration needs at least 2 gestures, got {names}")
    motion_names = [m.strip() for m in (motions or "").split(",") if m.strip()]
    if motion_names and point_history is not None:
        fail("give --motions (recorded now) or --point-history (recorded before), one of the two")
    if len(motion_names) == 1:
        fail(f"dynamic gestures need at least 2 motions, got {motion_names}")
    _check_motion_pose(motion_pose, names, bool(motion_names) or point_history is not None)
    # (the trajectories are read and fitted before the camera session: a bad table fails at once)
    dynamic = _dynamic_from_table(_read_point_history(point_history), reject, motion_pose)
    import os

    from ..gesture.dynamic import TrajectoryRecorder

    show = window and bool(os.environ.get("DISPLAY"))
    src = open_source(source)
    if src.info.kind != "image" or len(src.info.shape) != 3:
        fail(f"source {source!r} gives a {src.info.kind!r} stream; gesture calibration needs colour images")
    stage = HandLandmarks(model, max_hands=1, mirrored=mirrored)
    stage.open(src.info)
    points, labels, trajectories, motion_labels = [], [], [], []
    phases = [(name, samples, "turn and tilt the hand a little", None) for name in names]
    phases += [(name, motion_samples, "repeat the motion", TrajectoryRecorder(stage.output_info))
               for name in motion_names]
    frames = iter(src)
    try:
        with stop_on_signals() as stop:
            for g, (name, count, hint, motion) in enumerate(phases):
                for sample in _capture_phase(frames, stage, name, count, countdown, hint, motion, show, stop):
                    if motion is None:
                        points.append(sample)
                        labels.append(g)
                    else:
                        trajectories.append(sample)
                        motion_labels.append(g - len(names))
    finally:
        src.close()
        stage.close()
        if show:
            import cv2

            cv2.destroyAllWindows()
    pts, y = np.asarray(points), np.asarray(labels)
    clf = StaticGestureClassifier(decoder=decoder, reject_below=reject, features=features, openset_factor=unknown_factor)
    folds = 5
    order = np.arange(len(y)) % folds  # interleaved folds: each holds every part of each gesture
    decided = _held_out(lambda a, b, c: StaticGestureClassifier(decoder=decoder, features=features,
                                                                openset_factor=unknown_factor).fit(a, b, names).predict(c)[0],
                        pts, y, order)
    accuracy, rej = float(np.mean(decided == y)), float(np.mean(decided == -1))
    out.print(f"{folds}-fold cross-validated accuracy: {accuracy:.1%} on {len(y)} samples; {rej:.1%} of held-out "
              "frames rejected as unknown (many: record more varied samples, or raise --unknown-factor)",
              highlight=False)
    if motion_names:  # recorded with this camera: its own mirroring
        rates = [p[3].frame_rate for p in phases if p[3] is not None and p[3].frame_rate]
        dynamic = _fit_dynamic(np.asarray(trajectories), np.asarray(motion_labels), motion_names, reject,
                               mirrored_images=mirrored, what="trajectories", pose=motion_pose,
                               frame_rate=float(np.median(rates)) if rates else None)
    clf.fit(pts, y, names).save(output, device=source, dynamic=dynamic)
    out.print(f"calibration written to {output} ({len(names)} gestures: {', '.join(names)}"
              + (f"; dynamic: {', '.join(dynamic.learned_['classes'])}" if dynamic is not None else "") + ")",
              highlight=False)
    _plot_gestures(plot, y, decided, names)


@app.command("eyetrack")
def calibrate_eyetrack(
    source: str = typer.Argument(..., help="Eye camera: camera:0, video:FILE, or synth:eye (a simulated eye)."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    screen: str | None = typer.Option(None, "--screen", help="Screen WIDTHxHEIGHTmm@WIDTHxHEIGHT, e.g. 531x299mm@1920x1080."),
    distance: float | None = typer.Option(None, "--distance", min=1, help="Eye-to-screen distance (mm)."),
    targets: int = typer.Option(9, "--targets", help="Calibration targets: 5, 9 or 13 (5 more validate)."),
    method: str = typer.Option("poly2", "--method", help="poly2, poly2x (9+ targets) or homography."),
    feature: str = typer.Option("pupil", "--feature", help="pupil, or pupil-glint (IR glints; tolerates slip)."),
    settle: float = typer.Option(0.8, "--settle", min=0, max=600, help="Seconds per target before recording."),
    sample: float = typer.Option(1.0, "--sample", min=0.1, max=600, help="Seconds recorded per target."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the validation: targets, gaze, accuracy."),
    headless: bool = typer.Option(False, "--headless", help="Show no window (targets shown by another program)."),
    device: str = typer.Option("", "--device", help="Device description stored in the file."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing calibration file."),
) -> None:
    """Guided gaze calibration: full-screen targets, pupil samples at each, a pupil -> screen
    map, then validation on 5 other targets with accuracy and precision in degrees."""
    from ..core.sources import open_source
    from ..eyetrack.calibrate import (
        FEATURES,
        MAPPINGS,
        MIN_TARGETS,
        TARGET_COUNTS,
        HeadlessDisplay,
        OpenCVTargetDisplay,
        SimulatedEye,
        SourceEye,
        plot_validation,
        run_session,
    )
    from ..eyetrack.synth import EyeCamera, EyeModel
    from .eyetrack import screen_option

    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")
    if targets not in TARGET_COUNTS:
        fail(f"--targets must be 5, 9 or 13, got {targets}")
    # (checked before the session: they were found out after it)
    if method not in MAPPINGS:
        fail(f"unknown --method {method!r}; use {', '.join(MAPPINGS)}")
    if feature not in FEATURES:
        fail(f"unknown --feature {feature!r}; use {' or '.join(FEATURES)}")
    if targets < MIN_TARGETS[method]:
        enough = " or ".join(str(n) for n in TARGET_COUNTS if n >= MIN_TARGETS[method])
        fail(f"--method {method} needs {MIN_TARGETS[method]} or more targets; give --targets {enough} (got {targets})")
    scr = screen_option(screen, distance, required=True, what="gaze calibration")
    simulated = source.startswith("synth:eye")
    if simulated:
        display = HeadlessDisplay()
        eye = SimulatedEye(EyeModel(scr, EyeCamera()), display, rate=60.0, render=True)
        stream = eye.info
    else:
        src = open_source(source)
        if src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream; gaze calibration needs eye-camera images")
        eye = SourceEye(src)
        stream = eye.info
        display = HeadlessDisplay() if headless else OpenCVTargetDisplay(scr)
    n_all = targets + 5
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("targets", total=n_all)
        done = [0]

        def progress(i, n):
            done[0] += 1
            bar.update(task, completed=done[0])

        try:
            result = run_session(eye, display, scr, targets=targets, method=method, feature=feature, settle_s=settle,
                                 sample_s=sample, progress=progress)
        finally:
            if not simulated:
                src.close()
    mapper = result.mapper
    table = Table(title=f"validation ({method}, {targets} calibration targets)")
    for c in ("target (px)", "accuracy (°)", "precision RMS S2S (°)", "SD (°)", "samples"):
        table.add_column(c, justify="right")
    for r in result.validation:
        table.add_row(f"{r['target'][0]:.0f}, {r['target'][1]:.0f}", f"{r['accuracy_deg']:.2f}",
                      f"{r['precision_rms_deg']:.3f}", f"{r['sd_deg']:.3f}", str(r["n"]))
    o = result.overall
    table.add_row("overall", f"{o['accuracy_deg']:.2f}", f"{o['precision_rms_deg']:.3f}", f"{o['sd_deg']:.3f}", "")
    out.print(table)
    mapper.save_calibration(output, stream, device=device or source)
    out.print(f"calibration written to {output}", highlight=False)
    if plot is not None:
        plot_validation(result, scr, plot)
        out.print(f"validation plot written to {plot}", highlight=False)


def _play_and_record(source: str, seconds: float, f1: float, f2: float | None, tail_s: float = 1.0):
    """Play the calibration sweep (at the microphones' rate) on the audio output while
    recording it, plus ``tail_s`` of decay, from ``source``: ``(data, info, sweep)``."""
    import threading

    from ..core import Frame, StreamInfo
    from ..core.sinks import SpeakerSink
    from ..core.sources import open_source
    from ..spatial_audio.calibrate import exponential_sweep

    src = open_source(source)
    try:
        rate = src.info.rate
        sweep = exponential_sweep(rate, seconds, f1, f2)
        speaker = SpeakerSink()
        out_info = StreamInfo("sweep", "audio", rate, (1,), dtype="float64")
        speaker.open(out_info)
        player = threading.Thread(target=speaker.write, daemon=True,
                                  args=(Frame(out_info, np.r_[sweep, np.zeros(int(tail_s * rate))][:, None], t0=0.0),))
        frames, got, need = [], 0, int((seconds + tail_s) * rate)
        player.start()
        for frame in src:
            frames.append(frame.data)
            got += frame.n
            if got >= need:
                break
        player.join()
        speaker.close()
    finally:
        src.close()
    return np.concatenate(frames).astype(np.float64), src.info, sweep


@app.command("array")
def calibrate_array_cmd(
    recordings: list[str] = typer.Argument(..., help="Recordings of the sweep (one per direction), or one mic:N "
                                           "source with --play."),
    direction: list[str] = typer.Option(..., "--direction", help="Source direction of each recording: AZ or AZ,EL "
                                        "in degrees (array frame; repeat per recording)."),
    array: str | None = typer.Option(None, "--array", help="Geometry (preset or .json) if the recording has none."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    seconds: float = typer.Option(2.0, "--seconds", min=0.2, max=600, help="Sweep length (s), as written by 'spatial sweep'."),
    f1: float = typer.Option(50.0, "--f1", help="Sweep start (Hz)."),
    f2: float | None = typer.Option(None, "--f2", help="Sweep end (Hz; default 0.45 x rate)."),
    play: bool = typer.Option(False, "--play", help="Play the sweep on this machine's audio output while recording."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing calibration file."),
) -> None:
    """Per-channel gain, delay mismatch and polarity of a microphone array (and, from three
    or more directions, refined positions) from recordings of a sweep; prints the table and
    writes the calibration JSON that 'run spatial-localise -c' applies."""
    from ..core.recording import open_recording
    from ..spatial_audio.arrays import array_from_meta, load_array
    from ..spatial_audio.calibrate import calibrate_array, exponential_sweep, measure_responses

    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")
    if len(direction) != len(recordings):
        fail(f"{len(recordings)} recording(s) but {len(direction)} --direction value(s): give one per recording")
    dirs = []
    for d in direction:
        try:
            v = [float(p) for p in d.split(",")]
        except ValueError:
            fail(f"--direction {d!r} is not AZ or AZ,EL in degrees")
        if len(v) not in (1, 2):
            fail(f"--direction {d!r} is not AZ or AZ,EL in degrees")
        dirs.append((v[0], v[1] if len(v) == 2 else 0.0))
    geom = load_array(array) if array is not None else None
    responses, info = [], None
    for path, _ in zip(recordings, dirs, strict=True):
        if play:
            data, info, sweep = _play_and_record(path, seconds, f1, f2)
            rate = info.rate
        else:
            with open_recording(path) as rec:
                whole = rec.read()
            data, info = np.asarray(whole.data, dtype=np.float64), whole.info
            rate = info.rate
            sweep = exponential_sweep(rate, seconds, f1, f2)
        if data.ndim != 2 or data.shape[1] < 2:
            fail(f"{path}: array calibration needs a multichannel recording, got shape {data.shape}")
        g = array_from_meta(info.meta, "calibrate array", data.shape[1], geom)
        responses.append(measure_responses(data, sweep, rate))
    cal = calibrate_array(responses, g, rate, dirs)
    table = Table(title=f"array calibration: {g.name}, {len(dirs)} direction(s)")
    for c in ("channel", "gain", "delay (µs)", "polarity", "position (mm)"):
        table.add_column(c, justify="right")
    for i, ch in enumerate(g.channels):
        pos = "-" if cal.positions is None else ", ".join(f"{v * 1000:.1f}" for v in cal.positions[i])
        table.add_row(ch, f"{cal.gains[i]:.3f}", f"{cal.delays_s[i] * 1e6:+.1f}", f"{int(cal.polarity[i]):+d}", pos)
    out.print(table)
    cal.save(output, info.replace(meta={**dict(info.meta), "array": g.to_dict()}), device=",".join(recordings))
    out.print(f"calibration written to {output}", highlight=False)


def _capture_phase(frames, stage, name: str, count: int, countdown: float, hint: str, motion, show: bool, stop):
    """One phase of a camera calibration: a countdown, then ``count`` samples of the hand (its 21
    landmarks, or with ``motion`` a fingertip trajectory per frame); the status shown in the
    window, redrawn on a terminal, or a line per phase in a log."""
    got, t_start, last_phase = 0, None, None
    while got < count:
        if stop.is_set():
            fail("calibration interrupted; nothing was saved", 130)
        try:
            frame = next(frames)
        except StopIteration:
            fail(f"the source ended during {'motion' if motion is not None else 'gesture'} {name!r} ({got}/{count} samples)")
        t = float(frame.times[0])
        t_start = t if t_start is None else t_start
        lm = stage.process(frame).data[0, 0]
        ready = t - t_start >= countdown
        sample = None
        if motion is not None:
            trajectory = motion.add(lm, t)
            sample = trajectory if ready else None
        elif ready and np.isfinite(lm[0, 0]):
            sample = lm[:21, :2].copy()
        if sample is not None:
            got += 1
            yield sample
        status = (f"{name.upper()}: get ready {countdown - (t - t_start):.1f} s" if not ready
                  else f"{name.upper()}: {got}/{count}, {hint}" + ("" if np.isfinite(lm[0, 0]) else " (no hand)"))
        if show:
            _show(frame.data[0], lm, status)
        elif err.is_terminal:
            err.print(status, end="\r", highlight=False)
        elif ready != last_phase:  # a log, not an animation: a line per phase
            err.print(f"{name.upper()}: " + (f"collecting {count} samples" if ready else
                                             f"get ready ({countdown:g} s)"), highlight=False)
            last_phase = ready
    if err.is_terminal and not show:
        err.print()


def _show(image, lm, status: str) -> None:
    import cv2

    img = image.copy()
    if np.isfinite(lm[0, 0]):
        for x, y in lm[:21, :2]:
            cv2.circle(img, (int(x), int(y)), 4, (0, 255, 0), -1)
    cv2.putText(img, status, (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 200, 255), 2)
    cv2.imshow("sensekit calibrate gesture", img)
    cv2.waitKey(1)


@app.command("sync")
def calibrate_sync(
    recording: Path = typer.Argument(..., help="A recording holding the event in every stream (e.g. a capture of "
                                     "camera:0 and mic:0 while you clap once)."),
    reference: str = typer.Option(..., "--reference", help="The stream whose clock the others are put on."),
    streams: list[str] = typer.Option(..., "--stream", help="A stream to align to the reference (repeatable)."),
    output: Path = typer.Option(..., "-o", "--output", help="Sync calibration to write (.json)."),
    max_lag: float = typer.Option(1.0, "--max-lag", min=0.001, max=30, help="Largest latency looked for (s)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing calibration file."),
) -> None:
    """Measure each stream's latency against a reference from one event all of them saw (a clap
    seen by a camera and heard by a microphone, a tap seen on EMG and a camera), and store it;
    'sensekit replay --sync FILE' puts the stream on the reference's clock."""
    from ..core.calibration import save_calibration
    from ..core.recording import open_recording
    from ..core.sync import event_lag

    if output.exists() and not overwrite:
        fail(f"{str(output)!r} already exists; choose another name or pass --overwrite")
    with open_recording(recording) as rec:
        ref = rec.read(rec.stream_name(reference))
        offsets, strength = {}, {}
        for name in streams:
            lag, how_sure = event_lag(ref, rec.read(rec.stream_name(name)), max_lag_s=max_lag)
            offsets[name], strength[name] = lag, how_sure
            out.print(f"{name}: {1000 * lag:+.1f} ms behind {reference} (match {how_sure:.2f})", highlight=False)
            if how_sure < 0.2:
                log.warning("the event is hard to find in %r (match %.2f); record one clear, isolated event", name,
                            how_sure)
    save_calibration(output, chain="sync", stream=ref.info, device=str(recording),
                     params={"reference": reference, "offsets_s": offsets, "strength": strength})
    out.print(f"sync calibration written to {output}", highlight=False)


@app.command("check")
def check_calibration(
    path: Path = typer.Argument(..., help="A calibration file of any kind (emg, gesture, eyetrack, array)."),
) -> None:
    """Validate a calibration file against its kind's schema and describe it: kind, device,
    stream format, classes. A damaged or tampered file is refused with one line naming the field."""
    from ..core.calibration import load_calibration

    cal = load_calibration(path)
    s = cal.stream
    table = Table(title=str(path), show_header=False)
    table.add_row("kind", cal.chain)
    table.add_row("device", cal.device or "-")
    table.add_row("created", f"{cal.created or '-'} (sensekit {cal.sensekit_version or '?'}, schema {cal.schema_version})")
    table.add_row("stream", f"{s.kind}, {s.rate:g} Hz, shape {list(s.shape)}" + (f", {s.unit}" if s.unit else ""))
    learned = cal.params.get("learned", {}) if isinstance(cal.params, dict) else {}
    classes = learned.get("classes") if isinstance(learned, dict) else None
    if classes:
        table.add_row("classes", ", ".join(str(c) for c in classes))
    dynamic = cal.params.get("dynamic") if isinstance(cal.params, dict) else None
    if isinstance(dynamic, dict):  # a gesture calibration's dynamic gestures
        table.add_row("motions", ", ".join(str(c) for c in dynamic["learned"]["classes"])
                      + f" ({dynamic['learned']['points']}-frame fingertip trajectories)")
    out.print(table)
    out.print(f"{path}: a valid {cal.chain!r} calibration", highlight=False, soft_wrap=True)
