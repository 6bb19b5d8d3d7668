"""Dynamic gestures from fingertip trajectories: DTW template matching (user-defined
templates included) and a fast feature classifier.

A trajectory is a short history of 2-D points (``(length, 2)``), e.g. the index fingertip
over the last 16 frames relative to the first point, as in the point-history CSVs.
"""

from __future__ import annotations

import numpy as np

from ..core.stages import standardisation
from ..errors import NotFittedError, ParameterError
from ..learn.decoders import CompiledDecoder, fit_decoder
from ..learn.openset import OpenSet, fit_openset

__all__ = ["dtw_distances", "DTWTemplates", "TrajectoryClassifier", "trajectory_features", "NONE"]

NONE = -1


def _normalise(traj: np.ndarray) -> np.ndarray:
    t = np.asarray(traj, dtype=np.float64)
    t = t - t[..., :1, :]
    scale = np.abs(t).max(axis=(-2, -1), keepdims=True)
    return t / np.where(scale > 0, scale, 1.0)


def dtw_distances(query: np.ndarray, templates: np.ndarray, *, band: int | None = None) -> np.ndarray:
    """Dynamic-time-warping distance from one trajectory to each template.

    Parameters
    ----------
    query : ndarray, shape (n, d)
    templates : ndarray, shape (k, m, d)
    band : int, optional
        Sakoe-Chiba band half-width in samples (None: unconstrained).

    Returns
    -------
    ndarray, shape (k,)
        Path cost (sum of Euclidean point distances) divided by ``n + m``.
    """
    q = np.asarray(query, dtype=np.float64)
    t = np.asarray(templates, dtype=np.float64)
    n, m = len(q), t.shape[1]
    cost = np.linalg.norm(q[None, :, None, :] - t[:, None, :, :], axis=-1)  # (k, n, m)
    if band is not None:
        i, j = np.indices((n, m))
        cost = np.where(np.abs(i * m / n - j) <= band, cost, np.inf)
    acc = np.full((len(t), n + 1, m + 1), np.inf)
    acc[:, 0, 0] = 0.0
    for i in range(1, n + 1):
        row = acc[:, i]
        prev = acc[:, i - 1]
        for j in range(1, m + 1):
            row[:, j] = cost[:, i - 1, j - 1] + np.minimum(np.minimum(prev[:, j], prev[:, j - 1]), row[:, j - 1])
    return acc[:, n, m] / (n + m)


class DTWTemplates:
    """1-nearest-template classification under DTW, with a distance threshold for "none".

    Parameters
    ----------
    per_class : int
        Templates kept per class by :meth:`fit` (spread evenly through the class's examples).
    max_distance : float or None
        A query farther than this from every template is :data:`NONE`.
    band : int or None
        Sakoe-Chiba band (samples).
    """

    def __init__(self, *, per_class: int = 20, max_distance: float | None = None, band: int | None = 4) -> None:
        self.per_class = per_class
        self.max_distance = max_distance
        self.band = band
        self.templates_: list[np.ndarray] = []
        self.labels_: list[int] = []
        self.names_: dict[int, str] = {}

    def add(self, label: int, trajectory: np.ndarray, name: str | None = None) -> DTWTemplates:
        """Add one template (a user-defined gesture)."""
        t = np.asarray(trajectory, dtype=np.float64)
        if t.ndim != 2 or t.shape[1] != 2 or len(t) < 2:
            raise ParameterError(f"a template must have shape (length >= 2, 2), got {t.shape}")
        if self.templates_ and len(t) != self.templates_[0].shape[0]:
            raise ParameterError(f"templates must share one length ({self.templates_[0].shape[0]}), got {len(t)}")
        self.templates_.append(_normalise(t))
        self.labels_.append(int(label))
        if name:
            self.names_[int(label)] = name
        return self

    def fit(self, trajectories: np.ndarray, labels: np.ndarray) -> DTWTemplates:
        """Keep ``per_class`` examples of every class as templates."""
        y = np.asarray(labels)
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            for i in idx[np.linspace(0, len(idx) - 1, min(self.per_class, len(idx))).astype(int)]:
                self.add(int(c), trajectories[i])
        return self

    def predict(self, trajectories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (:data:`NONE` beyond ``max_distance``) and DTW distances of trajectories."""
        if not self.templates_:
            raise NotFittedError("DTWTemplates has no template", "call fit() or add()")
        t = np.stack(self.templates_)
        lab = np.asarray(self.labels_)
        labels, dists = [], []
        for q in np.asarray(trajectories, dtype=np.float64):
            d = dtw_distances(_normalise(q), t, band=self.band)
            k = int(np.argmin(d))
            labels.append(lab[k] if self.max_distance is None or d[k] <= self.max_distance else NONE)
            dists.append(d[k])
        return np.asarray(labels), np.asarray(dists)


def trajectory_features(trajectories: np.ndarray) -> np.ndarray:
    """Positions relative to the first point (the scale is kept: a still finger and a wide
    circle differ by it), step vectors, turning angles (sin, cos), net displacement and total
    turning of each trajectory: shape (n, features)."""
    t = np.asarray(trajectories, dtype=np.float64)
    t = t - t[:, :1]
    steps = np.diff(t, axis=1)
    ang = np.arctan2(steps[..., 1], steps[..., 0])
    turn = np.diff(ang, axis=1)
    net = t[:, -1] - t[:, 0]
    return np.concatenate([t.reshape(len(t), -1), steps.reshape(len(t), -1), np.sin(turn), np.cos(turn), net,
                           np.abs(turn).sum(axis=1, keepdims=True)], axis=1)


class TrajectoryClassifier:
    """A decoder on trajectory features.

    Parameters
    ----------
    decoder : {"svm", "lda", "mlp", "rf"}
        See :mod:`sensekit.learn.decoders`.
    features : {"positions", "full"}
        ``positions``: points relative to the first (best on the point-history sets);
        ``full``: :func:`trajectory_features`.
    openset : bool
        Reject (:data:`NONE`) a trajectory farther than the 99th percentile of the out-of-fold
        distances from every class (the static classifier's open-set model). Off by default: on
        the point-history sets it costs 1.5 points in-set and 16 on another person's Move rows
        (0.93 → 0.77) for 0-30 % of a left-out class rejected (bench ``gesture.dynamic``).
    openset_quantile : float
        The quantile that sets the rejection distance.
    """

    def __init__(self, *, decoder: str = "svm", features: str = "positions", openset: bool = False,
                 openset_quantile: float = 0.99) -> None:
        if features not in ("positions", "full"):
            raise ParameterError(f"features must be 'positions' or 'full', got {features!r}")
        self.decoder = decoder
        self.features = features
        self.openset = bool(openset)
        self.openset_quantile = openset_quantile
        self.learned_: dict | None = None

    def _x(self, trajectories: np.ndarray) -> np.ndarray:
        t = np.asarray(trajectories, dtype=np.float64)
        if t.ndim != 3 or t.shape[2] != 2 or t.shape[1] < 3:
            raise ParameterError(f"trajectories must have shape (n, points >= 3, 2), got {t.shape}")
        if getattr(self, "learned_", None) is not None and getattr(self, "_points", None) not in (None, t.shape[1]):
            raise ParameterError(f"the classifier was fitted on trajectories of {self._points} points, got {t.shape[1]}")
        if self.features == "positions":
            return (t - t[:, :1]).reshape(len(t), -1)
        return trajectory_features(t)

    def fit(self, trajectories: np.ndarray, labels: np.ndarray) -> TrajectoryClassifier:
        self.learned_ = None
        x = self._x(trajectories)
        self._points = int(np.shape(trajectories)[1])
        mean, scale = standardisation(x)
        z = (x - mean) / scale
        self.learned_ = {"mean": mean, "scale": scale, "decoder": fit_decoder(self.decoder, z, labels)}
        self._dec = CompiledDecoder(self.learned_["decoder"])
        self._open = None
        if self.openset:  # the static classifier's open-set model: a trajectory unlike every class is NONE
            self._open = OpenSet(fit_openset(self.decoder, z, np.asarray(labels), quantile=self.openset_quantile))
        return self

    def predict(self, trajectories: np.ndarray) -> np.ndarray:
        """Labels; :data:`NONE` for a trajectory unlike every taught class (with ``openset``)."""
        return self.predict_open(trajectories)[0]

    def predict_open(self, trajectories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (:data:`NONE` when rejected) and relative open-set distances (NaN without the
        open-set model; > 1 rejects)."""
        if self.learned_ is None:
            raise NotFittedError("TrajectoryClassifier is not fitted")
        x = (self._x(trajectories) - self.learned_["mean"]) / self.learned_["scale"]
        labels = self._dec.predict(x)
        if self._open is None:
            return labels, np.full(len(x), np.nan)
        distance = self._open.distance(x)
        return np.where(distance > 1.0, NONE, labels), distance
