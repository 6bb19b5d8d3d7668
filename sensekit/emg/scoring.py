"""An EMG calibration scored on a labelled session of another day: decided as is, or adapted first
on some of its repetitions (without their labels, or with them: a top-up) and scored on the others.

This is the protocol of the ``emg.cross-session`` bench task and what ``sensekit emg score``
prints, so that a cross-session figure in the README is one a user can reproduce on sessions of
their own band.
"""

from __future__ import annotations

import copy

import numpy as np

from ..errors import ParameterError
from ..learn.metrics import classification_metrics
from .datasets import EMGTrials
from .pipeline import EMGPipeline

__all__ = ["score_session"]


def score_session(pipeline: EMGPipeline, trials: EMGTrials, *, adapt_reps=None, labelled: bool = False,
                  self_training: bool = True) -> dict:
    """Decisions of a fitted ``pipeline`` on every window of ``trials`` (each trial streamed from
    rest, majority vote as configured), scored against the trials' labels.

    Parameters
    ----------
    pipeline : EMGPipeline
        Fitted (a calibration); not modified: a copy is adapted.
    trials : EMGTrials
        Labelled trials, their class indices those of ``pipeline``'s classes.
    adapt_reps : collection of int, optional
        Repetitions (0-based ``rep`` of the trials) to adapt the copy on first
        (:meth:`EMGPipeline.adapt`); they are then not scored.
    labelled : bool
        Adapt with those repetitions' labels (few-shot: ``calibrate emg --top-up``), else without
        (re-standardised, class means self-trained).
    self_training : bool
        Without labels, also move the class means (else re-standardise only).

    Returns
    -------
    dict
        ``accuracy``, ``balanced_accuracy``, ``kappa``; ``decisions`` (windows scored), ``trials``
        (trials scored), ``rejected`` (share of decisions "no motion"); ``recall`` per class
        (NaN for a class with no window) and ``matrix`` (classes x classes + 1: the last column
        counts "no motion") and ``confusion`` (the classes' matrix as a JSON-able dict, as the
        bench stores it); ``y`` and ``decided`` per window.
    """
    n_classes = len(pipeline.classes_) or int(max(t.label for t in trials.trials)) + 1
    pipe = copy.deepcopy(pipeline)
    scored = trials
    if adapt_reps is not None:
        adapt_reps = sorted({int(r) for r in adapt_reps})
        held = sorted({t.rep for t in trials.trials})
        missing = [r for r in adapt_reps if r not in held]
        if missing:
            raise ParameterError(f"the session has no repetition {missing[0] + 1} (it has {', '.join(str(r + 1) for r in held)})")
        scored = trials.select(rep=[r for r in held if r not in adapt_reps])
        if not len(scored):
            raise ParameterError("every repetition of the session would be used to adapt: none is left to score",
                                 "adapt on fewer repetitions")
        pipe.adapt(trials.select(rep=adapt_reps), labelled=labelled, self_training=self_training)
    y, decisions, _ = pipe.decide(scored)
    decided = decisions[:, 0].astype(int)
    metrics, confusion = classification_metrics(y, decided, labels=list(range(n_classes)))
    matrix = np.zeros((n_classes, n_classes + 1), dtype=int)
    np.add.at(matrix, (y.astype(int), np.where(decided < 0, n_classes, decided)), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.diag(matrix[:, :n_classes]) / matrix.sum(axis=1)
    return {**metrics, "decisions": int(len(y)), "trials": len(scored), "rejected": float(np.mean(decided < 0)),
            "recall": recall, "matrix": matrix, "confusion": confusion, "y": y, "decided": decided}
