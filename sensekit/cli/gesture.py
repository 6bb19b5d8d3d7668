"""``sensekit gesture``: a gesture calibration scored on labelled keypoint rows."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ._app import fail, new_app, out
from ._lazy import lazy

np = lazy("numpy")

app = new_app("Gestures: score a calibration on labelled keypoint rows (other people's hands, other sessions).")


def _mapping(items: list[str] | None) -> dict[str, str]:
    """``--map ROWS=CLASS`` options (repeatable, or comma-separated) as a dict; a malformed one
    ends the command."""
    mapping: dict[str, str] = {}
    for item in items or ():
        for pair in item.split(","):
            name, eq, target = pair.partition("=")
            if not eq or not name.strip() or not target.strip():
                fail(f"--map takes ROWS_CLASS=CALIBRATION_CLASS, got {pair!r}; e.g. --map Back=Close")
            mapping[name.strip()] = target.strip()
    return mapping


@app.command("score")
def score(
    calibration: Path = typer.Argument(..., help="Gesture calibration (JSON), from 'sensekit calibrate gesture'."),
    rows: Path = typer.Argument(..., help="Labelled keypoint rows (keypoint.csv, or its folder), class names from "
                                "keypoint_classifier_label.csv beside them."),
    map_: list[str] | None = typer.Option(None, "--map", help="A class of the rows that the calibration names "
                                          "otherwise, ROWS_CLASS=CALIBRATION_CLASS (repeatable or comma-separated), "
                                          "e.g. --map Forward=Open,Back=Close. Rows of a class the calibration does "
                                          "not have are poses it was not taught: it should answer none."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the decisions: the rows' classes against the "
                                     "calibration's, none included."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object instead of tables."),
) -> None:
    """Decide every labelled keypoint row with a calibration, as 'run gesture' would: how many rows of
    the taught classes it names right, how many it turns away, and how many rows of poses it was
    not taught it turns away (they should do nothing), per class of the rows."""
    from ..gesture.datasets import load_keypoints
    from ..gesture.scoring import match_classes, score_gestures
    from ..gesture.static import NONE, StaticGestureClassifier

    clf = StaticGestureClassifier.load(calibration)
    classes = list(clf.learned_["classes"])
    points, labels, row_classes = load_keypoints(rows)
    as_class = match_classes(row_classes, classes, _mapping(map_))
    truth = as_class[labels]
    result = score_gestures(clf, points, truth)
    decided = result["decided"]
    present = [int(c) for c in np.unique(labels)]
    per_class = []
    for c in present:
        mine = labels == c
        wrong = decided[mine & (decided != NONE) & (decided != as_class[c])]
        top = int(np.bincount(wrong).argmax()) if wrong.size else None
        per_class.append({"class": row_classes[c], "as": classes[as_class[c]] if as_class[c] >= 0 else None,
                          "rows": int(mine.sum()),
                          "right": float(np.mean(decided[mine] == as_class[c])) if as_class[c] >= 0 else None,
                          "rejected": float(np.mean(decided[mine] == NONE)),
                          "most_often_taken_for": classes[top] if top is not None else None})
    figures = {k: result[k] for k in ("known_accuracy", "decoder_accuracy", "known_rejected", "untaught_rejected",
                                      "known", "untaught")}
    if as_json:
        typer.echo(_json(calibration, rows, figures, per_class))
    else:
        _print_tables(rows, figures, per_class)
    if plot is not None:
        _plot(plot, labels, decided, present, row_classes, classes)


def _json(calibration: Path, rows: Path, figures: dict, per_class: list[dict]) -> str:
    """The figures as one JSON object (NaN, where there is no row to count, as null)."""
    def clean(v):
        return None if isinstance(v, float) and v != v else v

    body = {"calibration": str(calibration), "rows": str(rows), **{k: clean(v) for k, v in figures.items()},
            "per_class": [{k: clean(v) for k, v in row.items()} for row in per_class]}
    return json.dumps(body)


def _percent(v) -> str:
    return "-" if v is None or v != v else f"{v:.1%}"


def _print_tables(rows: Path, figures: dict, per_class: list[dict]) -> None:
    table = Table(title=f"{rows}: {figures['known'] + figures['untaught']} rows")
    for name, justify in (("rows' class", "left"), ("calibration class", "left"), ("rows", "right"),
                          ("right", "right"), ("turned away", "right"), ("most often taken for", "left")):
        table.add_column(name, justify=justify)
    for row in per_class:
        table.add_row(row["class"], row["as"] or "(not taught)", f"{row['rows']:,}", _percent(row["right"]),
                      _percent(row["rejected"]), row["most_often_taken_for"] or "-")
    out.print(table)
    if figures["known"]:
        out.print(f"taught classes: {_percent(figures['known_accuracy'])} of {figures['known']:,} rows right "
                  f"({_percent(figures['known_rejected'])} turned away; the decoder alone, without turning any away: "
                  f"{_percent(figures['decoder_accuracy'])})", highlight=False)
    if figures["untaught"]:
        out.print(f"poses it was not taught: {_percent(figures['untaught_rejected'])} of {figures['untaught']:,} rows "
                  "turned away (none)", highlight=False)


def _plot(path: Path, labels, decided, present: list[int], row_classes: list[str], classes: list[str]) -> None:
    """The decisions as a matrix: the rows' classes (those present) against the calibration's
    classes and none."""
    from ..gesture.static import NONE
    from ..plots import draw_confusion, png_figure

    k = len(classes)
    matrix = np.zeros((len(present), k + 1), dtype=int)
    row_of = {c: i for i, c in enumerate(present)}
    np.add.at(matrix, (np.array([row_of[c] for c in labels.tolist()]), np.where(decided == NONE, k, decided)), 1)
    with png_figure(path, figsize=(0.9 * k + 3.5, 0.6 * len(present) + 2.5)) as ax:
        draw_confusion(ax, matrix, classes, row_names=[row_classes[c] for c in present], ylabel="rows' class",
                       title="decisions on labelled rows")
    out.print(f"plot written to {path}", highlight=False)
