"""Accuracy metrics of the benchmark tasks, in plain numpy (labels may be any hashable)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import ParameterError

__all__ = [
    "confusion_matrix",
    "accuracy",
    "balanced_accuracy",
    "cohen_kappa",
    "classification_metrics",
    "angular_error_deg",
    "azimuth_error_deg",
]


def _pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ParameterError(f"y_true and y_pred must be 1-D of equal length, got {y_true.shape} and {y_pred.shape}")
    if len(y_true) == 0:
        raise ParameterError("no samples to score")
    return y_true, y_pred


def confusion_matrix(y_true, y_pred, labels: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Counts ``C[i, j]`` of samples of true class ``labels[i]`` predicted as ``labels[j]``.

    Returns
    -------
    matrix : ndarray of int, shape (n_labels, n_labels)
    labels : list
        The label order (sorted union of both inputs unless given).
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if labels is None:
        labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        if t in index and p in index:
            m[index[t], index[p]] += 1
    return m, list(labels)


def accuracy(y_true, y_pred) -> float:
    """Fraction of samples predicted right."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def balanced_accuracy(y_true, y_pred) -> float:
    """Mean over the true classes of each class's recall."""
    m, _ = confusion_matrix(y_true, y_pred)
    support = m.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(m)[present] / support[present]))


def cohen_kappa(y_true, y_pred) -> float:
    """Cohen's kappa: agreement beyond chance, ``(p_o - p_e) / (1 - p_e)``."""
    m, _ = confusion_matrix(y_true, y_pred)
    n = m.sum()
    p_o = np.trace(m) / n
    p_e = float((m.sum(axis=0) * m.sum(axis=1)).sum()) / n**2
    return float((p_o - p_e) / (1 - p_e)) if p_e < 1 else 1.0


def classification_metrics(y_true, y_pred, labels: Sequence | None = None) -> tuple[dict[str, float], dict]:
    """Accuracy, balanced accuracy and kappa, and the confusion matrix as a JSON-able dict."""
    m, labels = confusion_matrix(y_true, y_pred, labels)
    metrics = {"accuracy": accuracy(y_true, y_pred), "balanced_accuracy": balanced_accuracy(y_true, y_pred),
               "kappa": cohen_kappa(y_true, y_pred)}
    return metrics, {"labels": [str(x) for x in labels], "matrix": m.tolist()}


def angular_error_deg(a, b) -> np.ndarray:
    """Angle in degrees between direction vectors ``a`` and ``b`` (shape (..., 3) or (..., 2))."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def azimuth_error_deg(true_deg, est_deg) -> np.ndarray:
    """Absolute azimuth difference in degrees, wrapped to [0, 180]."""
    d = (np.asarray(est_deg, dtype=float) - np.asarray(true_deg, dtype=float) + 180.0) % 360.0 - 180.0
    return np.abs(d)
