"""``sensekit gesture``: a gesture calibration scored on labelled keypoint rows and trajectories."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import JSON_FIGURES_OPTION, check_plot, fail, new_app, out
from ._lazy import lazy

np = lazy("numpy")

app = new_app("Gestures: score a calibration on labelled keypoint rows and fingertip trajectories (other people's "
              "hands, other sessions).")

FIGURES = ("known_accuracy", "decoder_accuracy", "known_rejected", "untaught_rejected", "known", "untaught")


def _mapping(items: list[str] | None) -> dict[str, str]:
    """``--map ROWS=CLASS`` options (repeatable, or comma-separated) as a dict; a malformed one
    ends the command."""
    mapping: dict[str, str] = {}
    for item in items or ():
        for pair in item.split(","):
            name, eq, target = pair.partition("=")
            if not eq or not name.strip() or not target.strip():
                fail(f"--map takes ROWS_CLASS=CALIBRATION_CLASS, got {pair!r}; e.g. --map Back=Close")
            if mapping.get(name.strip(), target.strip()) != target.strip():
                fail(f"--map {name.strip()} is given twice, as {mapping[name.strip()]} and as {target.strip()}: a class "
                     "of the rows is one class of the calibration")
            mapping[name.strip()] = target.strip()
    return mapping


@app.command("score")
def score(
    calibration: Path = typer.Argument(..., help="Gesture calibration (JSON), from 'sensekit calibrate gesture'."),
    rows: Path | None = typer.Argument(None, help="Labelled keypoint rows (keypoint.csv, or its folder), class names "
                                       "from keypoint_classifier_label.csv beside them."),
    point_history: Path | None = typer.Option(None, "--point-history", help="Labelled fingertip trajectories "
                                              "(point_history.csv, or its folder) for the calibration's dynamic "
                                              "gestures."),
    map_: list[str] | None = typer.Option(None, "--map", help="A class of the rows that the calibration names "
                                          "otherwise, ROWS_CLASS=CALIBRATION_CLASS (repeatable or comma-separated), "
                                          "e.g. --map Forward=Open,Back=Close. Rows of a class the calibration does "
                                          "not have are poses it was not taught: it should answer none."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the decisions: the rows' classes against the "
                                     "calibration's, none included."),
    as_json: bool = JSON_FIGURES_OPTION,
) -> None:
    """Decide labelled keypoint rows (and fingertip trajectories) with a calibration, as 'run gesture'
    would: how many rows of the taught classes it names right, how many it turns away, and how many
    rows of poses it was not taught it turns away (they should do nothing), per class of the rows."""
    from ..gesture.datasets import load_keypoints, load_point_history
    from ..gesture.scoring import match_classes, pose_key, score_gestures
    from ..gesture.static import load_gestures

    if rows is None and point_history is None:
        fail("give labelled keypoint rows (ROWS), fingertip trajectories (--point-history), or both")
    check_plot(plot)
    mapping = _mapping(map_)
    static, dynamic = load_gestures(calibration)
    parts = []
    if rows is not None:
        parts.append(("static gestures", rows, static, *load_keypoints(rows)))
    if point_history is not None:
        if dynamic is None:
            fail(f"{calibration.name} has no dynamic gestures to score trajectories with; make them with 'sensekit "
                 "calibrate gesture ... --point-history' or '--motions'")
        parts.append(("dynamic gestures", point_history, dynamic, *load_point_history(point_history)))
    held = {pose_key(n) for *_, names in parts for n in names}
    unmapped = [k for k in mapping if pose_key(k) not in held]
    if unmapped:
        fail(f"--map {unmapped[0]}=...: the rows have no class {unmapped[0]!r} (their classes: "
             f"{', '.join(n for *_, names in parts for n in names)})")
    results = []
    for what, path, clf, x, labels, names in parts:
        classes = list(clf.learned_["classes"])
        # the public recorder's rows are seen in mirrored images: turned to the calibration's convention
        scored = score_gestures(clf, x, match_classes(names, classes, mapping)[labels], mirrored=True)
        results.append((what, path, classes, labels, names, scored))
    if as_json:
        typer.echo(json.dumps({"calibration": str(calibration),
                               **{what.split()[0]: _figures(path, classes, labels, names, scored)
                                  for what, path, classes, labels, names, scored in results}}))
    else:
        for what, path, classes, labels, names, scored in results:
            _print_tables(what, path, _figures(path, classes, labels, names, scored))
    if plot is not None:
        _plot(plot, results)


def _figures(path: Path, classes: list[str], labels, names: list[str], scored: dict) -> dict:
    """The figures of one part as JSON-able values (NaN, where there is no row to count, as null)."""
    from ..gesture.scoring import per_class

    def clean(v):
        return None if isinstance(v, float) and v != v else v

    return {"rows": str(path), **{k: clean(scored[k]) for k in FIGURES},
            "per_class": per_class(scored, labels, names, classes)}


def _percent(v) -> str:
    return "-" if v is None else f"{v:.1%}"


def _print_tables(what: str, path: Path, figures: dict) -> None:
    table = Table(title=f"{what}: {path} ({figures['known'] + figures['untaught']:,} rows)")
    for name, justify in (("rows' class", "left"), ("calibration class", "left"), ("rows", "right"),
                          ("right", "right"), ("turned away", "right"), ("most often taken for", "left")):
        table.add_column(name, justify=justify)
    for row in figures["per_class"]:
        table.add_row(row["class"], row["as"] or "(not taught)", f"{row['rows']:,}", _percent(row["right"]),
                      _percent(row["rejected"]), row["most_often_taken_for"] or "-")
    out.print(table)
    if figures["known"]:
        out.print(f"taught classes: {_percent(figures['known_accuracy'])} of {figures['known']:,} rows right "
                  f"({_percent(figures['known_rejected'])} turned away; the decoder alone, without turning any away: "
                  f"{_percent(figures['decoder_accuracy'])})", highlight=False)
    if figures["untaught"]:
        out.print(f"not taught: {_percent(figures['untaught_rejected'])} of {figures['untaught']:,} rows turned away "
                  "(none)", highlight=False)


def _plot(path: Path, results: list) -> None:
    """Each part's decisions as a matrix: the rows' classes (those present) against the
    calibration's classes and none."""
    from ..gesture.static import NONE
    from ..plots import draw_confusion, png_figure

    width = max(len(classes) for _, _, classes, *_ in results)
    height = max(len(np.unique(labels)) for _, _, _, labels, *_ in results)
    with png_figure(path, ncols=len(results), figsize=((0.9 * width + 3.5) * len(results), 0.6 * height + 2.5)) as axes:
        for ax, (what, _, classes, labels, names, scored) in zip(np.atleast_1d(axes), results, strict=True):
            present = np.unique(labels).tolist()
            row_of = {c: i for i, c in enumerate(present)}
            k = len(classes)
            matrix = np.zeros((len(present), k + 1), dtype=int)
            decided = scored["decided"]
            np.add.at(matrix, (np.array([row_of[c] for c in labels.tolist()]), np.where(decided == NONE, k, decided)), 1)
            draw_confusion(ax, matrix, classes, row_names=[names[c] for c in present], ylabel="rows' class",
                           title=f"{what}: decisions on labelled rows")
    out.print(f"plot written to {path}", highlight=False)
