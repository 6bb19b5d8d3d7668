"""``sensekit emg``: an EMG calibration scored on a labelled session of another day."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import JSON_FIGURES_OPTION, check_plot, fail, new_app, out
from ._lazy import lazy

np = lazy("numpy")

app = new_app("EMG: score a calibration on a labelled session of another day (as is, or adapted first).")


def _reps(text: str | None) -> list[int] | None:
    """``--adapt-on 1,2`` as 0-based repetitions; a malformed one ends the command."""
    if text is None:
        return None
    try:
        reps = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"--adapt-on takes repetition numbers counted from 1, e.g. --adapt-on 1 or --adapt-on 1,2; got {text!r}")
    if not reps or min(reps) < 1:
        fail(f"--adapt-on takes repetition numbers counted from 1, e.g. --adapt-on 1; got {text!r}")
    return sorted({r - 1 for r in reps})


@app.command("score")
def score(
    calibration: Path = typer.Argument(..., help="EMG calibration (JSON), from 'sensekit calibrate emg'."),
    session: Path = typer.Argument(..., help="A labelled session of the same classes ('calibrate emg --record S.h5' "
                                   "on another day, after re-donning the band, ...), or a marked one: a LabRecorder "
                                   "XDF (FILE#STREAM: one band of several), an OpenBCI GUI recording, a CSV export "
                                   "with a label column, a Ninapro .mat file."),
    adapt_on: str | None = typer.Option(None, "--adapt-on", help="Adapt to the session first on these repetitions "
                                        "(counted from 1, e.g. 1 or 1,2), then score the others: without their labels "
                                        "(re-standardised, class means self-trained: what a day's first minute gives), "
                                        "or with them (--labelled: what 'calibrate emg --top-up' does)."),
    labelled: bool = typer.Option(False, "--labelled", help="With --adapt-on: use those repetitions' labels (a top-up)."),
    markers: str | None = typer.Option(None, "--markers", help="A marked session's marker for each class, "
                                       "CLASS=MARKER,... (an OpenBCI GUI's codes: rest=1,fist=2); default: markers "
                                       "that are the class names."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the decisions: held class against decided class, "
                                     "'no motion' included."),
    as_json: bool = JSON_FIGURES_OPTION,
    rate: float | None = typer.Option(None, "--rate", min=1, max=100000, help="The rate (Hz) of a session table with "
                                      "no time column (its rows evenly spaced) or a .mat file that states none."),
) -> None:
    """Decide every window of a labelled session with a calibration, each trial from rest as 'run emg'
    decides (majority vote included), and print its accuracy, balanced accuracy and each class's
    recall; with --adapt-on, adapted first on some repetitions, beside the calibration as it was on
    the same trials."""
    from ..emg.pipeline import EMGPipeline
    from ..emg.scoring import score_session
    from .calibrate.emg import recorded_trials

    if labelled and adapt_on is None:
        fail("--labelled goes with --adapt-on: the repetitions whose labels the adaptation uses")
    check_plot(plot)
    reps = _reps(adapt_on)
    pipe = EMGPipeline.load(calibration)
    named = [m.strip() for m in markers.split(",") if m.strip()] if markers else list(pipe.classes_)
    if markers and not all("=" in m for m in named):
        fail(f"--markers takes CLASS=MARKER pairs, e.g. --markers rest=1,fist=2; got {markers!r}")
    trials = recorded_trials(session, named or None, rate=rate)  # (a marked session's markers name the classes)
    pipe = EMGPipeline.load(calibration, stream=trials.info)
    if pipe.classes_ and tuple(pipe.classes_) != trials.classes:
        trials = _as_calibration_classes(trials, pipe.classes_, session, calibration)
    names = list(pipe.classes_ or trials.classes)
    result = score_session(pipe, trials, adapt_reps=reps, labelled=labelled)
    before = None
    if reps is not None:  # the calibration as it was, on the same (scored) trials
        kept = [r for r in sorted({t.rep for t in trials.trials}) if r not in reps]
        before = score_session(pipe, trials.select(rep=kept))
    if as_json:
        typer.echo(json.dumps(_figures(result, before, names, reps, labelled)))
    else:
        _print(session, calibration, result, before, names, reps, labelled)
    if plot is not None:
        from ..plots import draw_confusion, png_figure

        k = len(names)
        with png_figure(plot, figsize=(0.9 * k + 3.5, 0.8 * k + 2.5)) as ax:
            draw_confusion(ax, result["matrix"], names, title=f"{session.name} decided by {calibration.name}"
                           + (" (adapted)" if reps is not None else ""))
        out.print(f"plot written to {plot}", highlight=False)


def _as_calibration_classes(trials, classes, session: Path, calibration: Path):
    """The session's trials with their labels in the calibration's class order (a session may
    list the same classes in another order, or fewer of them); a class the calibration does not
    decode ends the command."""
    import dataclasses

    unknown = [c for c in trials.classes if c not in classes]
    if unknown:
        fail(f"{session.name} holds the class(es) {', '.join(unknown)}, which the calibration {calibration.name} "
             f"does not decode ({', '.join(classes)}): score it on a session of its classes")
    index = [list(classes).index(c) for c in trials.classes]
    return dataclasses.replace(trials, classes=tuple(classes), trials=tuple(
        dataclasses.replace(t, label=index[t.label]) for t in trials.trials))


def _number(v):
    return None if v != v else float(v)  # NaN (no window of a class) as null


def _figures(result: dict, before: dict | None, names: list[str], reps, labelled: bool) -> dict:
    body = {k: _number(result[k]) for k in ("accuracy", "balanced_accuracy", "kappa", "rejected")}
    body.update(decisions=result["decisions"], trials=result["trials"],
                recall={n: _number(r) for n, r in zip(names, result["recall"].tolist(), strict=True)})
    if before is not None:
        body.update(adapted_on=[r + 1 for r in reps], labelled=labelled,
                    before={k: _number(before[k]) for k in ("accuracy", "balanced_accuracy", "kappa", "rejected")})
    return body


def _print(session: Path, calibration: Path, result: dict, before: dict | None, names: list[str], reps,
           labelled: bool) -> None:
    how = ""
    if before is not None:
        how = (f", adapted on repetition(s) {', '.join(str(r + 1) for r in reps)} "
               + ("with their labels (top-up)" if labelled else "without their labels"))
    out.print(f"{session.name} decided by {calibration.name}{how}: accuracy {result['accuracy']:.1%} (balanced "
              f"{result['balanced_accuracy']:.1%}) over {result['decisions']:,} decisions of {result['trials']} trials",
              highlight=False)
    if before is not None:
        out.print(f"the same trials by the calibration as it was: accuracy {before['accuracy']:.1%} (balanced "
                  f"{before['balanced_accuracy']:.1%})", highlight=False)
    table = Table()
    for name, justify in (("class", "left"), ("decisions", "right"), ("recall", "right"),
                          ("most often taken for", "left")):
        table.add_column(name, justify=justify)
    matrix = result["matrix"]
    for i, name in enumerate(names):
        row = matrix[i].copy()
        row[i] = 0
        other = int(np.argmax(row)) if row.sum() else None
        table.add_row(name, f"{int(matrix[i].sum()):,}", "-" if result["recall"][i] != result["recall"][i]
                      else f"{result['recall'][i]:.1%}",
                      "-" if other is None else (names[other] if other < len(names) else "no motion"))
    out.print(table)
