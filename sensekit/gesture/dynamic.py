"""Dynamic gestures from fingertip trajectories: DTW template matching (user-defined
templates included) and a fast feature classifier.

A trajectory is a short history of 2-D points (``(length, 2)``), e.g. the index fingertip
over the last 16 frames relative to the first point, as in the point-history CSVs.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream, stated_image_size
from ..core.stage import Stage
from ..core.stages import standardisation
from ..errors import NotFittedError, ParameterError, StreamFormatError
from ..learn.decoders import CompiledDecoder, fit_decoder
from ..learn.openset import NearestOpenSet, OpenSet, calibrated_choice, fit_nearest, fit_openset
from .landmarks import stated_mirroring

__all__ = ["dtw_distances", "DTWTemplates", "TrajectoryClassifier", "DynamicGestures", "TrajectoryRecorder",
           "trajectory_features", "trajectory_signature", "fingertip_unit", "NONE"]

log = logging.getLogger("sensekit")

#: Label of a pose or trajectory the classifier does not know (rejected; static and dynamic alike).
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


def trajectory_signature(trajectories: np.ndarray) -> np.ndarray:
    """What a fingertip's path looks like, in seven numbers: the open-set space of trajectories.

    The path's length (log10, in the trajectory's units: a still finger and a wide circle differ
    by it), and, as shares of that length, how far it ends from its start (straightness), that
    net move's x and y, the area it encloses (signed: clockwise and counter-clockwise differ), and
    its extent in x and in y. Set beforehand, not fitted: scale-free shapes beside one scale.

    Parameters
    ----------
    trajectories : ndarray, shape (n, points, 2)

    Returns
    -------
    ndarray, shape (n, 7)

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 2 * np.pi, 16)
    >>> circle = np.column_stack([np.cos(t), np.sin(t)])[None] * 0.1
    >>> trajectory_signature(np.concatenate([circle, circle[:, :, ::-1]]))[:, 4].round(2).tolist()
    [0.08, -0.08]
    """
    t = np.asarray(trajectories, dtype=np.float64)
    t = t - t[:, :1]
    steps = np.diff(t, axis=1)
    length = np.hypot(steps[..., 0], steps[..., 1]).sum(axis=1)
    unit = np.maximum(length, 1e-3)  # (a finger that does not move: its shares of a thousandth)
    x, y = t[..., 0], t[..., 1]
    area = 0.5 * (x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1]).sum(axis=1)
    net = t[:, -1]
    return np.column_stack([np.log10(length + 1e-3), np.hypot(net[:, 0], net[:, 1]) / unit, net[:, 0] / unit,
                            net[:, 1] / unit, area / unit**2, np.ptp(x, axis=1) / unit, np.ptp(y, axis=1) / unit])


#: The default open-set factor of trajectories: the smallest of 2 / 3 / 4 / 5 / 6 keeping >= 97.5 %
#: of the correctly decided held-out trajectories of the point-history set's ordered split (bench
#: ``gesture.dynamic``; as the static classifier's factor was chosen).
TRAJECTORY_OPENSET_FACTOR = 5.0


class TrajectoryClassifier:
    """A decoder on trajectory features, with a calibrated confidence.

    Parameters
    ----------
    decoder : {"svm", "lda", "mlp", "rf"}
        See :mod:`sensekit.learn.decoders`.
    features : {"positions", "full"}
        ``positions``: points relative to the first (best on the point-history sets);
        ``full``: :func:`trajectory_features`.
    openset : bool
        Reject (:data:`NONE`) a trajectory unlike the chosen class's calibration trajectories: its
        distance to the nearest of them in the space of :func:`trajectory_signature` (each column
        in the class's own spread, as the static classifier's nearest pose), relative to
        ``openset_factor`` times the median distance out of fold. A calibration of an earlier
        release, which has no such model, rejects by the distance to the nearest class mean
        beyond its ``openset_quantile`` (then off by default: it cost 16 points on another
        person's Move rows).
    openset_quantile : float
        The quantile that sets the class-mean distance's limit (the calibrated confidence's model).
    openset_factor : float
        Smaller rejects more trajectories, taught ones too (:data:`TRAJECTORY_OPENSET_FACTOR`).
    reject_below : float or None
        Answer :data:`NONE` below this confidence. The confidence is a probability: the softmax
        of the decoder's scores with a temperature fitted on out-of-fold predictions of the
        training rows (as the static classifier's), for every decoder alike.
    mirrored_images : bool
        The training trajectories were seen in mirrored (selfie) images, as the point-history
        CSVs are; :class:`DynamicGestures` mirrors a stream of the other kind to match.
    pose : str or None
        The static gesture during which the fingertip is followed (the point-history CSVs were
        recorded pointing); in any other pose the hand makes no motion, and its trajectory starts
        again. None: any pose (:class:`~sensekit.gesture.pipeline.HandGestures` applies it).
    frame_rate : float or None
        Frames per second of the camera the trajectories were recorded with (None: not known, as
        for the point-history CSVs). A trajectory is a number of frames: :class:`DynamicGestures`
        warns when a stream runs at another rate.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 1, 16)
    >>> right = np.stack([np.column_stack([t * s, 0 * t]) for s in np.linspace(0.1, 0.3, 20)])
    >>> clf = TrajectoryClassifier().fit(np.concatenate([right, -right]), np.repeat([0, 1], 20))
    >>> clf.predict(np.stack([right[3], -right[5]])).tolist()
    [0, 1]
    """

    def __init__(self, *, decoder: str = "svm", features: str = "positions", openset: bool = True,
                 openset_quantile: float = 0.99, openset_factor: float = TRAJECTORY_OPENSET_FACTOR,
                 reject_below: float | None = None, mirrored_images: bool = False, pose: str | None = None,
                 frame_rate: float | None = None) -> None:
        if features not in ("positions", "full"):
            raise ParameterError(f"features must be 'positions' or 'full', got {features!r}")
        if reject_below is not None:
            check_scalar(reject_below, "reject_below", min_value=0.0, max_value=1.0)
        check_scalar(openset_factor, "openset_factor", min_value=1e-6, max_value=1e6)
        self.decoder = decoder
        self.features = features
        self.openset = bool(openset)
        self.openset_quantile = openset_quantile
        self.openset_factor = float(openset_factor)
        self.reject_below = reject_below
        self.mirrored_images = bool(mirrored_images)
        if frame_rate is not None:
            check_scalar(frame_rate, "frame_rate", min_value=0.1, max_value=10_000)
        self.pose = pose
        self.frame_rate = frame_rate
        self.learned_: dict | None = None

    @property
    def points(self) -> int:
        """Points per trajectory the classifier was fitted on."""
        if self.learned_ is None:
            raise NotFittedError("TrajectoryClassifier is not fitted")
        return int(self.learned_["points"])

    def _x(self, trajectories: np.ndarray) -> np.ndarray:
        t = np.asarray(trajectories, dtype=np.float64)
        if t.ndim != 3 or t.shape[2] != 2 or t.shape[1] < 3:
            raise ParameterError(f"trajectories must have shape (n, points >= 3, 2), got {t.shape}")
        if self.learned_ is not None and t.shape[1] != self.points:
            raise ParameterError(f"the classifier was fitted on trajectories of {self.points} points, got {t.shape[1]}")
        if self.features == "positions":
            return (t - t[:, :1]).reshape(len(t), -1)
        return trajectory_features(t)

    def fit(self, trajectories: np.ndarray, labels: np.ndarray, classes: list[str] | None = None) -> TrajectoryClassifier:
        """Learn from trajectories (n, points, 2) and integer labels; ``classes`` names them."""
        self.learned_ = None
        x = self._x(trajectories)
        y = np.asarray(labels)
        mean, scale = standardisation(x)
        z = (x - mean) / scale
        dec = fit_decoder(self.decoder, z, y)
        names = list(classes) if classes is not None else [str(c) for c in dec["classes"]]
        learned = {"points": int(np.shape(trajectories)[1]), "mean": mean.tolist(), "scale": scale.tolist(),
                   "decoder": dec, "classes": names, "openset": None}
        if min(np.bincount(np.searchsorted(np.unique(y), y))) >= 5:  # (the calibrated confidence's 5 folds)
            learned["openset"] = fit_openset(self.decoder, z, y, quantile=self.openset_quantile)
            learned["nearest"] = fit_nearest(trajectory_signature(trajectories), y)
        elif self.reject_below is not None:
            raise ParameterError("a calibrated confidence needs >= 5 trajectories of each class")
        elif self.openset:
            log.warning("fewer than 5 trajectories of a class: no open-set rejection of motions never taught")
            self.openset = False
        return self._load(learned)

    def _load(self, learned: dict) -> TrajectoryClassifier:
        self.learned_ = learned
        self._dec = CompiledDecoder(learned["decoder"])
        self._labels = self._dec.classes.astype(int)
        self._mean, self._scale = np.asarray(learned["mean"]), np.asarray(learned["scale"])
        self._open = OpenSet(learned["openset"]) if learned.get("openset") else None
        self._near = NearestOpenSet(learned["nearest"], self.openset_factor) if learned.get("nearest") else None
        return self

    def predict(self, trajectories: np.ndarray) -> np.ndarray:
        """Labels; :data:`NONE` for a rejected trajectory (``openset``, ``reject_below``)."""
        return self.predict_open(trajectories)[0]

    def decide(self, trajectories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (:data:`NONE` when rejected) and confidences."""
        labels, conf, _ = self.predict_open(trajectories)
        return labels, conf

    def predict_open(self, trajectories: np.ndarray, *, calibrated: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels (:data:`NONE` when rejected), confidences (calibrated probabilities; the
        decoder's own scores for a classifier fitted on fewer than 5 rows a class) and relative
        open-set distances (NaN without ``openset``; > 1 rejects). ``calibrated=False``: the
        decoder's own choice and scores, nothing rejected."""
        if self.learned_ is None:
            raise NotFittedError("TrajectoryClassifier is not fitted")
        x = (self._x(trajectories) - self._mean) / self._scale
        best, conf = calibrated_choice(self._dec, x, self._open if calibrated else None)
        labels = self._labels[best]
        distance = np.full(len(x), np.nan)
        if not calibrated:
            return labels, conf, distance
        if self.openset and self._near is not None:
            distance = self._near.distance(trajectory_signature(trajectories), labels)
            labels = np.where(distance > 1.0, NONE, labels)
        elif self.openset and self._open is not None:  # (a calibration of an earlier release)
            distance = self._open.distance(x)
            labels = np.where(distance > 1.0, NONE, labels)
        if self.reject_below is not None:
            labels = np.where(conf < self.reject_below, NONE, labels)
        return labels, conf, distance

    def to_params(self) -> dict:
        """The ``dynamic`` block of a gesture calibration (see :class:`~sensekit.gesture.schema.DynamicParams`)."""
        if self.learned_ is None:
            raise NotFittedError("TrajectoryClassifier is not fitted")
        config = {"decoder": self.decoder, "features": self.features, "openset": self.openset,
                  "openset_quantile": self.openset_quantile, "openset_factor": self.openset_factor,
                  "reject_below": self.reject_below,
                  "mirrored_images": self.mirrored_images, "pose": self.pose, "frame_rate": self.frame_rate}
        return {"config": config, "learned": self.learned_}

    @classmethod
    def from_params(cls, params: dict) -> TrajectoryClassifier:
        """The classifier of a validated ``dynamic`` block (:meth:`to_params`)."""
        return cls(**params["config"])._load(dict(params["learned"]))


#: The landmark whose trajectory dynamic gestures follow: the index fingertip.
FINGERTIP = 8
#: Frames a trajectory holds (the point-history CSVs' 16).
TRAJECTORY_POINTS = 16


def fingertip_unit(info: StreamInfo, what: str, *, mirror: bool = False) -> np.ndarray:
    """The factors that take a landmarks stream's pixels to image widths and heights (x negated
    with ``mirror``); one line for a stream without its image size."""
    check_stream(info, what, kinds=("landmarks",), ndim=3)
    size = stated_image_size(info, what)
    if size is None:
        raise StreamFormatError(f"{what} needs the landmarks' image size (meta image_size), which stream "
                                f"{info.name!r} does not state")
    return np.array([(-1.0 if mirror else 1.0) / size[0], 1.0 / size[1]])


class TrajectoryRecorder:
    """The fingertip trajectories of one hand as a calibration records them: :meth:`add` takes the
    hand's landmarks of each frame (shape (22, 6), NaN when no hand) and returns the last
    ``points`` fingertip positions in image widths and heights once the finger has been seen that
    many frames in a row (else None), as :class:`DynamicGestures` reads them live."""

    def __init__(self, info: StreamInfo, points: int = TRAJECTORY_POINTS) -> None:
        self._unit = fingertip_unit(info, "TrajectoryRecorder")
        self.points = points
        self._tips: deque[np.ndarray] = deque(maxlen=points)
        self._times: list[float] = []

    @property
    def frame_rate(self) -> float | None:
        """Frames per second of the frames added with a time (median interval), or None."""
        steps = np.diff(self._times)
        steps = steps[steps > 0]
        return float(1.0 / np.median(steps)) if steps.size else None

    def add(self, landmarks: np.ndarray, t: float | None = None) -> np.ndarray | None:
        """The hand's landmarks of one frame (taken at time ``t``, s): its trajectory, or None."""
        if t is not None:
            self._times.append(float(t))
        tip = np.asarray(landmarks, dtype=np.float64)[FINGERTIP, :2] * self._unit
        if not np.isfinite(tip).all():
            self._tips.clear()
            return None
        self._tips.append(tip)
        return np.array(self._tips) if len(self._tips) == self.points else None


class DynamicGestures(Stage):
    """Landmarks stream (:class:`~sensekit.gesture.landmarks.HandLandmarks`) -> one dynamic
    gesture per hand and frame from the index fingertip's last ``points`` frames: a ``label``
    stream of shape (max_hands, 2) holding (label, confidence), :data:`NONE` for a rejected
    trajectory, NaN until a hand has been seen in ``points`` consecutive frames (the same hand:
    where the hands swap slots, each slot's trajectory starts again).

    The fingertip is taken in image widths and heights (the point-history CSVs' unit), and
    mirrored when the stream's ``meta["mirrored"]`` differs from the classifier's
    ``mirrored_images``. A trajectory is a number of frames, not of seconds: a camera much
    faster or slower than the one the trajectories were recorded with sees other speeds.
    """

    def __init__(self, classifier: TrajectoryClassifier) -> None:
        self.classifier = classifier

    def _open(self, info: StreamInfo) -> StreamInfo:
        mirror = bool(stated_mirroring(info)) != self.classifier.mirrored_images
        self._unit = fingertip_unit(info, "DynamicGestures", mirror=mirror)
        recorded = self.classifier.frame_rate
        if recorded and info.rate > 0 and not 0.8 <= info.rate / recorded <= 1.25:
            log.warning("the motions were recorded at %.0f frames/s and stream %r runs at %.0f: a trajectory of %d "
                        "frames spans another time there, so the motions look %s", recorded, info.name, info.rate,
                        self.classifier.points, "slower" if info.rate > recorded else "faster")
        self._points = self.classifier.points
        self._out = StreamInfo(info.name, "label", info.rate, (info.shape[0], 2), dtype="float64",
                               meta={"classes": self.classifier.learned_["classes"], "none_label": NONE,
                                     "rows": "hand", "columns": ["motion", "motion_confidence"]})
        return self._out

    def _reset(self) -> None:
        hands = self._out.shape[0]
        self._history = np.full((hands, self._points - 1, 2), np.nan)  # the last tips, NaN where no hand
        self._sides = np.zeros((hands, self._points - 1))  # whose they were: +1 right hand, -1 left, 0 unknown

    def _process(self, frame: Frame) -> Frame:
        d = np.asarray(frame.data, dtype=np.float64)  # (n, hands, 22, 6)
        n, hands = d.shape[:2]
        if n == 0:
            return Frame._trusted(self._out, np.empty((0, *self._out.shape)), frame.t0, frame._times, frame.seq)
        tips = np.swapaxes(d[:, :, FINGERTIP, :2] * self._unit, 0, 1)  # (hands, n, 2)
        seq = np.concatenate([self._history, tips], axis=1)
        self._history = seq[:, n:]
        windows = np.lib.stride_tricks.sliding_window_view(seq, self._points, axis=1)  # (hands, n, 2, points)
        windows = np.swapaxes(windows, 2, 3)
        # a slot whose hand changes (the two hands swap slots) starts a new trajectory: one hand's
        # fingertip followed by the other's is not a motion
        sides = np.concatenate([self._sides, np.nan_to_num(np.swapaxes(d[:, :, 21, 0], 0, 1))], axis=1)
        self._sides = sides[:, n:]
        whose = np.lib.stride_tricks.sliding_window_view(sides, self._points, axis=1)  # (hands, n, points)
        full = np.isfinite(windows).all(axis=(2, 3)) & (whose == whose[..., -1:]).all(axis=2)
        out = np.full((hands, n, 2), np.nan)
        for h, i in zip(*np.nonzero(full), strict=True):  # a window at a time: the same bits for any block size
            labels, conf = self.classifier.decide(windows[h, i : i + 1])  # (a batch's products round otherwise)
            out[h, i] = labels[0], conf[0]
        return Frame._trusted(self._out, np.ascontiguousarray(np.swapaxes(out, 0, 1)), frame.t0, frame._times,
                              frame.seq)
