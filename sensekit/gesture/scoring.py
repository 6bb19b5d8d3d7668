"""A gesture calibration scored on labelled rows: how often it names a taught class right, and how
often it turns away the poses it was never taught.

This is what ``sensekit gesture score`` prints and what the ``gesture.crossperson`` bench task
reports, so that a figure in the README is one a user can reproduce on rows of their own.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .static import NONE, OTHER_CLASSES, StaticGestureClassifier

__all__ = ["pose_key", "match_classes", "score_gestures", "UNTAUGHT"]

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
        (e.g. ``{"Back": "Close"}``).

    Examples
    --------
    >>> match_classes(["Forward", "Back", "Stop"], ["Open", "Close"], {"Forward": "Open", "Back": "Close"})
    array([ 0,  1, -1])
    """
    mapping = dict(mapping or {})
    by_key = {pose_key(c): i for i, c in enumerate(classes)}
    row_keys = {pose_key(n) for n in row_classes}
    unknown_names = [k for k in mapping if pose_key(k) not in row_keys]
    if unknown_names:
        raise ParameterError(f"the rows have no class {unknown_names[0]!r} to map (their classes: "
                             f"{', '.join(row_classes[:12])})")
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


def score_gestures(classifier: StaticGestureClassifier, points: np.ndarray, truth: np.ndarray) -> dict:
    """Decisions of ``classifier`` on landmark sets or keypoint rows ``points``, scored against
    ``truth`` (calibration class indices; :data:`UNTAUGHT` for poses it must turn away).

    Returns
    -------
    dict
        ``decided`` (labels, :data:`~sensekit.gesture.static.NONE` when turned away),
        ``decoder`` (the decoder's own class, without any rejection) and ``distance`` (the
        relative open-set distance: over 1 is turned away) per row, and the figures:
        ``known_accuracy`` (rows of taught classes decided right, rejection included: what a user
        gets), ``decoder_accuracy`` (the same without rejection), ``known_rejected``,
        ``untaught_rejected`` (NaN where there is no such row) and the row counts ``known`` and
        ``untaught``.
    """
    truth = np.asarray(truth, dtype=int)
    if len(truth) != len(points):
        raise ParameterError(f"{len(points)} rows but {len(truth)} labels")
    decided, _, distance = classifier.predict_open(points)
    decoder, _, _ = classifier.predict_open(points, calibrated=False)
    known = truth != UNTAUGHT

    def share(hit: np.ndarray, where: np.ndarray) -> float:
        return float(np.mean(hit[where])) if where.any() else float("nan")

    return {"decided": decided, "decoder": decoder, "distance": distance,
            "known_accuracy": share(decided == truth, known), "decoder_accuracy": share(decoder == truth, known),
            "known_rejected": share(decided == NONE, known), "untaught_rejected": share(decided == NONE, ~known),
            "known": int(known.sum()), "untaught": int((~known).sum())}
