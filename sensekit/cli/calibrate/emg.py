"""``sensekit calibrate emg``: a guided EMG session (or a recorded one, ``--from``), fitted and
cross-validated; ``--top-up`` for a new session."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer
from rich.console import Group
from rich.table import Table
from rich.text import Text

from .._app import KIND_OPTION, check_output, check_plot, err, fail, live_display, name_list, out, refuse_given, stop_on_signals
from .._lazy import lazy
from ._common import OVERWRITE_OPTION, app

np = lazy("numpy")
log = logging.getLogger("sensekit")

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
    overwrite: bool = OVERWRITE_OPTION,
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
                                             "recipe on the same trials, or --top-up from a recorded session. Or an "
                                             "XDF file (LabRecorder) of an EMG stream and a marker stream: a marker "
                                             "naming a class starts it, any other ends it; --classes names the classes "
                                             "among them (FILE#STREAM: one band of several)."),
    rate: float | None = typer.Option(None, "--rate", min=1, max=100000, help="With --from: the rate (Hz) of a table "
                                      "with no time column (its rows evenly spaced) or a .mat file that states none, "
                                      "as its dataset's documentation gives it."),
) -> None:
    """Guide the user through holding each class, fit the decoder, show its cross-validated
    accuracy, and write the calibration file (JSON, numbers only). With ``--top-up``, update an
    existing calibration from a short session instead; with ``--from``, use a recorded session's
    trials instead of a live session."""
    from_file = session_file(from_session)[0] if from_session is not None else None  # (FILE of FILE#STREAM)
    marked = from_file is not None and _marked(from_file)  # (its labels are markers: XDF, OpenBCI, CSV, EDF+, .mat)
    coded = marked and "=" in classes  # CLASS=MARKER names
    if top_up is not None:  # the existing calibration's classes and recipe are kept
        refuse_given(ctx, (() if coded else ("classes",)) + ("window_ms", "increment_ms", "features", "decoder",
                                                            "bandpass", "notch", "reject", "vote", "plot"),
                     "with --top-up, which keeps the calibration's classes and recipe"
                     + ("" if coded else " (a marked session's codes: --classes CLASS=MARKER,...)"))
    if (source is None) == (from_session is None):
        fail("give an EMG source (lsl:type=EMG, brainflow:..., synth:emg, a recording) or --from a session "
             "recorded with --record, one of the two")
    if from_session is None:
        refuse_given(ctx, ("rate",), "without --from (a live source has its own rate)")
    if from_session is not None:  # the recording's trials: no session to guide
        refuse_given(ctx, ("reps", "hold", "pause", "lead", "trim", "record", "redo", "kind"),
                     "with --from, which takes the recorded session's repetitions and trials")
        from ...core.recording import RECORDING_SUFFIXES

        if from_file.suffix.lower() not in RECORDING_SUFFIXES:  # (said before any option is refused for it)
            fail(f"cannot read {from_session.name!r}: unknown file type {from_file.suffix!r}; fix: use one of "
                 f"{', '.join(RECORDING_SUFFIXES)}")
        if not marked:
            refuse_given(ctx, ("classes",), "with --from a sensekit session, which names its own classes (--classes "
                         "picks the classes among the markers of an XDF, OpenBCI, labelled CSV or annotated EDF+ file)")
    from ...core.info import UNKNOWN_KIND
    from ...core.sources import open_source
    from ...emg.calibrate import Protocol
    from ...emg.pipeline import EMGPipeline

    check_output(output, overwrite)
    if top_up is not None and not top_up.exists():
        fail(f"calibration file {str(top_up)!r} does not exist; make one with 'sensekit calibrate emg'")
    check_plot(plot)
    names = name_list("--classes", classes, at_least=0)  # (how many: the protocol's or the recording's rule)
    pipe = EMGPipeline(window_ms=window_ms, increment_ms=increment_ms, features=features, decoder=decoder,
                       bandpass_hz=_floats(bandpass, "--bandpass", 2), notch_hz=notch, reject_below=reject, vote=vote)
    if from_session is not None:
        marker_classes = names  # (an XDF's markers: which of them are classes)
        if top_up is not None and marked and not coded:
            marker_classes = EMGPipeline.load(top_up).classes_ or None
        trials = recorded_trials(from_session, marker_classes, rate=rate)
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
        src = open_source(source, kind=kind, kinds=("emg", "exg"))
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
            src2 = open_source(source, kind=kind, kinds=("emg", "exg"))
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
    from ...emg.calibrate import cross_validate

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
        from ...emg.plot import plot_calibration

        plot_calibration(plot, trials, conf["matrix"] if conf else None)
        out.print(f"plot written to {plot}", highlight=False)

def _marked(path: Path) -> bool:
    """A session whose labels are markers: an XDF file (LabRecorder's marker streams), an OpenBCI
    GUI recording or BrainFlow file (its marker channel), a table with a label column (comma, tab
    or semicolon separated), an EDF+/BDF+ file with annotations or a .mat file (its label codes:
    Ninapro's stimulus)."""
    from ...core.recording.brainflowfile import is_brainflow_file
    from ...core.recording.openbci import is_openbci

    suffix = path.suffix.lower()
    if suffix == ".mat":  # (an EMG matrix and its label codes, as Ninapro's)
        return True
    if suffix in (".csv", ".tsv", ".txt") and path.is_file():
        if is_openbci(path) or is_brainflow_file(path):
            return True
        from ...core.recording.csvfile import has_label_column

        return has_label_column(path)
    if suffix in (".edf", ".bdf") and path.is_file():
        from ...core.recording.edf import has_annotations

        return has_annotations(path)
    return suffix in (".xdf", ".xdfz")


def session_file(path: Path) -> tuple[Path, str | None]:
    """The file and the stream of a session named ``FILE#STREAM`` (one band of a recording of
    several), or the file and None."""
    from ...core.sources.spec import recording_stream

    one = recording_stream(str(path))
    return (Path(one[0]), one[1]) if one else (path, None)


def recorded_trials(path: Path, classes=None, *, rate: float | None = None):
    """The trials of a session recorded by ``calibrate emg --record`` (or a file of an EMG stream
    (``FILE#STREAM`` names one of several) and markers naming the classes: ``classes`` picks those
    markers, default all; ``NAME=MARKER`` names a class whose marker is a code, as an OpenBCI
    GUI's 1-9), checked as a live session's
    are (each channel problem named once, with the trials it is in); a recording with nothing to
    learn from is refused in one line. ``rate``: of a table with no time column (or a .mat file
    that states none)."""
    import dataclasses

    from ...emg.calibrate import dead_channels, trial_problems
    from ...emg.datasets import load_recording_trials

    path, stream = session_file(path)
    if not path.exists():
        fail(f"recorded session {str(path)!r} does not exist; record one with 'sensekit calibrate emg ... --record S.h5'")
    marked = _marked(path)
    named = dict(c.split("=", 1) if "=" in c else (c, c) for c in classes or ())  # class name -> its marker
    markers = [m.strip() for m in named.values()]
    trials = load_recording_trials(path, stream=stream, classes=markers or None if marked else None, rate=rate)
    if named and marked:  # the classes by their names, not their markers
        by_marker = {m.strip(): n.strip() for n, m in named.items()}
        trials = dataclasses.replace(trials, classes=tuple(by_marker[m] for m in trials.classes))
    if marked and len({t.label for t in trials}) < 2:
        from ...core.recording import open_recording

        with open_recording(path, rate=rate) as rec:
            texts = sorted({v for _, values in rec.markers().values() for v in values if v})
        fail(f"{path.name}: its markers start trials of {len({t.label for t in trials})} of the classes "
             f"({', '.join(classes or ())}) within its EMG; a decoder needs two or more. Its markers: "
             f"{', '.join(texts[:12]) or 'none'} (name the classes with --classes)")
    if not len(trials):
        fail(f"{path.name} holds no labelled trial: its label stream never names a class")
    held = sorted({t.label for t in trials})
    if len(held) < 2:
        fail(f"{path.name} holds trials of one class only ({trials.classes[held[0]]}): a decoder needs two or more")
    problems = [(i, channel, problem) for i, t in enumerate(trials)
                for channel, problem in trial_problems(t.data, trials.info.rate, trials.info.channels)]
    found: dict[tuple[str, str], list[str]] = {}
    for i, channel, problem in problems:
        t = trials.trials[i]
        found.setdefault((channel, str(problem)), []).append(f"{trials.classes[t.label]} {t.rep + 1}")
    for (channel, problem), where in found.items():
        log.warning("channel %r %s in %d of %d trials (%s)", channel, problem, len(where), len(trials),
                    ", ".join(where[:4]) + (", ..." if len(where) > 4 else ""))
    if len(dead_channels(problems, len(trials))) == trials.info.shape[0]:
        fail(f"every channel of {path.name} is flat or non-finite in every trial: there is nothing to learn")
    return trials


def _top_up_emg(pipe, trials, output: Path, device: str) -> None:
    """Adapt ``pipe`` to the new session's prompted trials (re-standardised, class means moved
    towards the labelled new windows); say how the old and the updated calibration decode
    them, and write the update."""
    from ...learn.metrics import classification_metrics

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

def _guided_session(src, protocol, on_problem, stop, *, interrupt_keeps: bool = False):
    """Prompt the protocol's holds live while recording ``src``; the recorder of the session.
    Ctrl-C ends the command (nothing saved), or with ``interrupt_keeps`` keeps what came."""
    from ...core import run
    from ...emg.calibrate import SessionRecorder

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

def _save_session(path: Path, recorder, protocol, overwrite: bool) -> None:
    from ...core import Frame, StreamInfo
    from ...core.recording import RecordingWriter

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
