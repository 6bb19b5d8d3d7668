"""A gesture calibration scored on labelled rows: how often it names a taught class right, and how
often it turns away the poses it was never taught.

This is what ``sensekit gesture score`` prints and what the ``gesture.crossperson`` bench task
reports, so that a figure in the README is one a user can reproduce on rows of their own.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .dynamic import TrajectoryClassifier
from .static import NONE, OTHER_CLASSES, StaticGestureClassifier

__all__ = ["pose_key", "match_classes", "score_gestures", "per_class", "UNTAUGHT"]

#: The truth of a row whose pose the calibration was not taught: any answer but "none" is wrong.
UNTAUGHT = -1


def pose_key(name: str) -> str:
    """A class name compared without case, spaces, hyphens or underscores ("Thumbs up" and
    "thumbs_up" are one pose)."""
    return "".join(ch for ch in str(name).lower() if ch not in " -_")


def match_classes(row_classes: list[str], classes: list[str], mapping: dict[str, str] | None = None) -> np.ndarray:
    """The calibration class (an index into ``classes``) that each of the rows' class names stands
    for, or :data:`UNTAUGHT`.

    A name stands for the class that ``mapping`` gives it, else for the calibration class of the
    same name (:func:`pose_key`); a name that is neither, or that stands for an "other poses"
    class (recorded so that it does nothing), is a pose the calibration must turn away.

    Parameters
    ----------
    row_classes : list of str
        The class names of the rows (their label file).
    classes : list of str
        The calibration's classes.
    mapping : dict, optional
        Rows' class name -> calibration class name, for sets that name the same pose otherwise
        (e.g. ``{"Back": "Close"}``); names the rows do not have are left out.

    Examples
    --------
    >>> match_classes(["Forward", "Back", "Stop"], ["Open", "Close"], {"Forward": "Open", "Back": "Close"})
    array([ 0,  1, -1])
    """
    by_key = {pose_key(c): i for i, c in enumerate(classes)}
    row_keys = {pose_key(n) for n in row_classes}
    mapping = {k: v for k, v in (mapping or {}).items() if pose_key(k) in row_keys}  # (the others: other rows')
    unknown_targets = [v for v in mapping.values() if pose_key(v) not in by_key]
    if unknown_targets:
        raise ParameterError(f"the calibration has no class {unknown_targets[0]!r} (its classes: {', '.join(classes)})")
    mapped = {pose_key(k): by_key[pose_key(v)] for k, v in mapping.items()}
    out = np.full(len(row_classes), UNTAUGHT, dtype=int)
    for i, name in enumerate(row_classes):
        target = mapped.get(pose_key(name), by_key.get(pose_key(name), UNTAUGHT))
        if target != UNTAUGHT and str(classes[target]).strip().lower() not in OTHER_CLASSES:
            out[i] = target
    return out


def score_gestures(classifier: StaticGestureClassifier | TrajectoryClassifier, points: np.ndarray,
                   truth: np.ndarray, *, mirrored: bool | None = None) -> dict:
    """Decisions of ``classifier`` on landmark sets or keypoint rows ``points`` (a static one), or
    on fingertip trajectories (a dynamic one), scored against ``truth`` (calibration class
    indices; :data:`UNTAUGHT` for poses or motions it must turn away). ``mirrored``: whether the
    rows were seen in mirrored images (the public keypoint recorder's are), mirrored to the
    calibration's convention where it differs; None: in its convention already.

    Returns
    -------
    dict
        ``decided`` (labels, :data:`~sensekit.gesture.static.NONE` when turned away),
        ``decoder`` (the decoder's own class, without any rejection), ``distance`` (the
        relative open-set distance: over 1 is turned away) and ``truth`` per row, and the figures:
        ``known_accuracy`` (rows of taught classes decided right, rejection included: what a user
        gets), ``decoder_accuracy`` (the same without rejection), ``known_rejected``,
        ``untaught_rejected`` (NaN where there is no such row) and the row counts ``known`` and
        ``untaught``.
    """
    truth = np.asarray(truth, dtype=int)
    if len(truth) != len(points):
        raise ParameterError(f"{len(points)} rows but {len(truth)} labels")
    if isinstance(classifier, TrajectoryClassifier):
        if mirrored is not None and bool(mirrored) != classifier.mirrored_images:
            points = np.asarray(points, dtype=np.float64) * np.array([-1.0, 1.0])
        decided, _, distance = classifier.predict_open(points)
        decoder, _, _ = classifier.predict_open(points, calibrated=False)
    else:
        decided, _, distance = classifier.predict_open(points, mirrored=mirrored)
        decoder, _, _ = classifier.predict_open(points, mirrored=mirrored, calibrated=False)
    known = truth != UNTAUGHT

    def share(hit: np.ndarray, where: np.ndarray) -> float:
        return float(np.mean(hit[where])) if where.any() else float("nan")

    return {"decided": decided, "decoder": decoder, "distance": distance, "truth": truth,
            "known_accuracy": share(decided == truth, known), "decoder_accuracy": share(decoder == truth, known),
            "known_rejected": share(decided == NONE, known), "untaught_rejected": share(decided == NONE, ~known),
            "known": int(known.sum()), "untaught": int((~known).sum())}


def per_class(scored: dict, labels: np.ndarray, row_classes: list[str], classes: list[str]) -> list[dict]:
    """Per class of the rows (those present): the calibration class it stands for (None: not
    taught), its rows, the share decided right (None where not taught), the share turned away,
    and the class it is most often taken for otherwise."""
    decided, truth = scored["decided"], scored["truth"]
    out = []
    for c in np.unique(labels).tolist():
        mine = labels == c
        target = int(truth[mine][0])
        wrong = decided[mine & (decided != NONE) & (decided != target)]
        top = int(np.bincount(wrong).argmax()) if wrong.size else None
        out.append({"class": row_classes[c], "as": classes[target] if target != UNTAUGHT else None,
                    "rows": int(mine.sum()),
                    "right": float(np.mean(decided[mine] == target)) if target != UNTAUGHT else None,
                    "rejected": float(np.mean(decided[mine] == NONE)),
                    "most_often_taken_for": classes[top] if top is not None else None})
    return out
