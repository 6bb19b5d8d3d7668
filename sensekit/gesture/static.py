"""Static gestures: a classifier on hand-landmark features, with rejection ("none")."""

from __future__ import annotations

import os

import numpy as np

from ..core import Frame, StreamInfo
from ..core.calibration import load_calibration, save_calibration
from ..core.stage import Stage
from ..core.stages import standardisation
from ..errors import CalibrationError, NotFittedError, ParameterError
from ..learn.decoders import CompiledDecoder, fit_decoder
from ..learn.openset import NearestOpenSet, OpenSet, calibrated_choice, fit_nearest, fit_openset
from .dynamic import NONE, TrajectoryClassifier
from .landmarks import hand_points, hands_of, stated_mirroring
from .normalize import finger_signature, hand_features, kazuhito_normalize

__all__ = ["StaticGestureClassifier", "StaticGestures", "load_gestures", "NONE", "OTHER_CLASSES"]

#: Class names (any case) whose recordings are poses that must do nothing: decided as NONE.
OTHER_CLASSES = ("other", "other poses", "none")


class StaticGestureClassifier:
    """Hand pose -> gesture class.

    Parameters
    ----------
    decoder : {"lda", "svm", "mlp", "rf"}
        Trained with scikit-learn, run in numpy (see :mod:`sensekit.learn.decoders`).
    reject_below : float or None
        Confidence under which the answer is :data:`NONE`.
    input_format : {"landmarks", "kazuhito"}
        What the training rows were: raw (n, 21, 2|3) points, or rows already in the keypoint
        CSV's normalisation (wrist-relative, max-abs scaled). Recorded only: that normalisation
        is applied to every input, and it leaves normalised rows unchanged, so a classifier
        answers the same for raw landmarks and for keypoint rows of the same hands.
    mirrored_images : bool, optional
        The training hands were seen in mirrored (selfie) images. Default: True for
        ``kazuhito`` rows (the keypoint recorder flips the camera image), else False. A
        landmark stream whose ``meta["mirrored"]`` differs is mirrored to match.
    features : {"hand", "raw"}
        ``hand``: the position-, scale- and rotation-invariant features of
        :func:`~sensekit.gesture.normalize.hand_features` (exportable to C with lda/mlp);
        ``raw``: the 42 wrist-relative, max-abs scaled coordinates (left hands mirrored) —
        with ``decoder="svm"`` and ``decoder_options={"C": 2.0}`` the most accurate on the
        public keypoint sets (0.954 / 0.957, ordered split).
    openset : bool
        Fit the open-set model: a calibrated confidence, the Mahalanobis distance to the nearest
        class mean (its ``openset_quantile`` of out-of-fold distances is the limit), and the
        distance to the nearest calibration pose of the chosen class in the space of
        :func:`~sensekit.gesture.normalize.finger_signature` (each column in that class's own
        spread, :data:`~sensekit.learn.openset.CLASS_SCALE_FLOOR`), relative to
        ``openset_factor`` times its median out of fold. A frame over either limit is :data:`NONE`.
    openset_factor : float
        Smaller rejects more poses, taught ones too. The default 3 was chosen on the ordered
        splits of the kazuhito00 and kinivi sets (the smallest factor of the sweep keeping >= 97.5 %
        of their correctly decided held-out frames), not on the other people's poses it is
        reported on (README, "Gesture").
    """

    def __init__(self, *, decoder: str = "lda", reject_below: float | None = None, decoder_options: dict | None = None,
                 input_format: str = "landmarks", features: str = "hand", mirrored_images: bool | None = None,
                 left_hands_mirrored: bool = False, openset: bool = True, openset_quantile: float = 0.99,
                 openset_factor: float = 3.0) -> None:
        self.decoder = decoder
        self.reject_below = reject_below
        # C = 2 for the RBF SVM: chosen on the ordered splits of the public keypoint sets
        self.decoder_options = decoder_options if decoder_options is not None else (
            {"C": 2.0} if decoder == "svm" else {})
        self.input_format = input_format
        self.feature_set = features
        self.mirrored_images = (input_format == "kazuhito") if mirrored_images is None else bool(mirrored_images)
        self.left_hands_mirrored = bool(left_hands_mirrored)
        self.openset = bool(openset)
        self.openset_quantile = float(openset_quantile)
        self.openset_factor = float(openset_factor)
        if not (np.isfinite(self.openset_factor) and self.openset_factor > 0):
            raise ParameterError(f"openset_factor must be a positive number, not {openset_factor!r}")
        self.learned_: dict | None = None

    @property
    def convention(self) -> dict:
        """How the training landmarks were made (stored in the calibration)."""
        return {"mirrored_images": self.mirrored_images, "left_hands_mirrored": self.left_hands_mirrored}

    def features(self, points: np.ndarray, left: np.ndarray | None = None) -> np.ndarray:
        """Feature rows of landmark sets (n, 21, 2 or 3) or of keypoint-CSV rows (n, 42)."""
        p = np.asarray(points, dtype=np.float64)
        if p.ndim == 2 and p.shape[1] == 42:
            p = p.reshape(-1, 21, 2)
        if p.ndim != 3 or p.shape[1] != 21 or p.shape[2] not in (2, 3):
            raise ParameterError(f"hand landmarks must have shape (n, 21, 2 or 3), got {np.shape(points)}")
        if not self.left_hands_mirrored:
            left = None
        if self.feature_set == "hand":  # invariant to position and scale: keypoint rows and pixels alike
            return hand_features(p, left=left)
        p = kazuhito_normalize(p).reshape(-1, 21, 2)  # idempotent: keypoint rows pass unchanged
        if self.feature_set == "raw":
            rows = p.reshape(len(p), 42).copy()  # a copy: the caller's array stays untouched
            if left is not None and np.any(left):
                rows[np.asarray(left, dtype=bool), 0::2] *= -1  # a left hand mirrored into a right one
            return rows
        raise ParameterError(f"unknown gesture features {self.feature_set!r}", "use raw or hand")

    @staticmethod
    def _signature(points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=np.float64)
        return finger_signature(p.reshape(-1, 21, 2) if p.ndim == 2 else p)

    def fit(self, points: np.ndarray, labels: np.ndarray, classes: list[str] | None = None) -> StaticGestureClassifier:
        """Learn from landmark sets and integer labels."""
        x = self.features(points)
        mean, scale = standardisation(x)  # e.g. the middle finger's x is 0 after the rotation
        z, y = (x - mean) / scale, np.asarray(labels)
        dec = fit_decoder(self.decoder, z, y, **self.decoder_options)
        names = list(classes) if classes is not None else [str(c) for c in dec["classes"]]
        self.learned_ = {"mean": mean.tolist(), "scale": scale.tolist(), "decoder": dec, "classes": names}
        if self.openset:
            self.learned_["openset"] = fit_openset(self.decoder, z, y, quantile=self.openset_quantile,
                                                   **self.decoder_options)
            self.learned_["openset"]["nearest"] = fit_nearest(self._signature(points), y)
        self._compiled = None
        return self

    def _dec(self) -> CompiledDecoder:
        if self.learned_ is None:
            raise NotFittedError("StaticGestureClassifier is not fitted", "call fit() or load a calibration")
        if getattr(self, "_compiled", None) is None:
            self._compiled = CompiledDecoder(self.learned_["decoder"])
            self._mean = np.asarray(self.learned_["mean"])
            self._inv_scale = 1.0 / np.asarray(self.learned_["scale"])
            self._labels = self._compiled.classes.astype(int)
            params = self.learned_.get("openset")
            self._open = OpenSet(params) if params else None
            self._near = NearestOpenSet(params["nearest"], self.openset_factor) if params and params.get(
                "nearest") else None
            names = self.learned_["classes"]
            self._other = np.array([i for i, n in enumerate(names) if str(n).strip().lower() in OTHER_CLASSES], dtype=int)
        return self._compiled

    def predict(self, points: np.ndarray, left: np.ndarray | None = None, *,
                mirrored: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Labels (:data:`NONE` when rejected, or for a hand with missing landmarks: confidence
        0) and confidences of landmark sets. A class named ``other`` (or ``other poses``,
        ``none``; see :data:`OTHER_CLASSES`) holds poses recorded so that they do nothing: its
        decisions are :data:`NONE` too. ``mirrored``: whether ``points`` come from
        mirrored images (None: the training convention); a difference is mirrored away.

        With the open-set model (the default), the confidence is a calibrated probability and a
        pose unlike every taught class (relative open-set distance > 1) is :data:`NONE` too."""
        labels, conf, _ = self.predict_open(points, left, mirrored=mirrored)
        return labels, conf

    def predict_open(self, points: np.ndarray, left: np.ndarray | None = None, *, mirrored: bool | None = None,
                     calibrated: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Labels, confidences and relative open-set distances (the larger of the class-mean and
        the nearest-pose distance, each relative to its limit; NaN without the open-set model
        or with ``calibrated=False``, which gives the decoder's own scores and no open-set
        rejection, as the C export computes)."""
        dec = self._dec()
        p = np.asarray(points, dtype=np.float64)
        if mirrored is not None and bool(mirrored) != self.mirrored_images:
            p = p.reshape(len(p), 21, -1).copy() if p.ndim == 2 else p.copy()
            p[..., 0] *= -1
        x = self.features(p, left)
        x -= self._mean
        x *= self._inv_scale
        ok = np.isfinite(x).all(axis=1)
        x = np.where(ok[:, None], x, 0.0)
        best, conf = calibrated_choice(dec, x, self._open if calibrated else None)
        distance = np.full(len(x), np.nan)
        raw_labels = self._labels[best]
        if calibrated and self._open is not None:
            distance = self._open.distance(x)
            if self._near is not None:
                distance = np.maximum(distance, self._near.distance(self._signature(p), raw_labels))
        conf = np.where(ok, conf, 0.0)
        labels = np.where(ok, raw_labels, NONE)
        if self.reject_below is not None:
            labels = np.where(conf < self.reject_below, NONE, labels)
        labels = np.where(distance > 1.0, NONE, labels)
        if self._other.size:  # the user's "other poses": recorded so that they do nothing
            labels = np.where(np.isin(labels, self._other), NONE, labels)
        return labels, conf, distance

    def save(self, path: str | os.PathLike, *, device: str = "", dynamic: TrajectoryClassifier | None = None
             ) -> os.PathLike:
        """Write a calibration JSON (chain ``gesture``), with the dynamic gestures of ``dynamic``."""
        self._dec()
        info = StreamInfo("hand", "landmarks", 0.0, (21, 2), dtype="float64", unit="px")
        cfg = {"decoder": self.decoder, "reject_below": self.reject_below, "decoder_options": self.decoder_options,
               "input_format": self.input_format, "features": self.feature_set, "convention": self.convention,
               "openset": self.openset, "openset_quantile": self.openset_quantile,
               "openset_factor": self.openset_factor}
        params = {"config": cfg, "learned": self.learned_}
        if dynamic is not None:
            params["dynamic"] = dynamic.to_params()
        return save_calibration(path, chain="gesture", stream=info, device=device, params=params)

    @classmethod
    def load(cls, path: str | os.PathLike) -> StaticGestureClassifier:
        """Read a calibration written by :meth:`save` (its static gestures)."""
        return load_gestures(path)[0]


def load_gestures(path: str | os.PathLike) -> tuple[StaticGestureClassifier, TrajectoryClassifier | None]:
    """The static classifier of a ``gesture`` calibration, and its dynamic one (None if it has none)."""
    cal = load_calibration(path, chain="gesture")  # validated against GestureParams
    cfg = dict(cal.params["config"])
    convention = cfg.pop("convention", None) or {}
    try:
        clf = StaticGestureClassifier(**cfg, **convention)
        clf.learned_ = dict(cal.params["learned"])
        clf._dec()
        dynamic = cal.params.get("dynamic")
        return clf, TrajectoryClassifier.from_params(dynamic) if dynamic else None
    except (KeyError, TypeError, ParameterError) as e:
        raise CalibrationError(f"calibration file {str(path)!r} has bad gesture parameters ({e})") from None


class StaticGestures(Stage):
    """Landmarks stream -> one gesture per hand and frame: a ``label`` stream of shape
    (max_hands, 2) holding (label, confidence), label :data:`NONE` for an unknown pose and NaN for
    no hand.

    The landmarks are those of :class:`~sensekit.gesture.landmarks.HandLandmarks`, shape
    (max_hands, 22, 6) (from a camera, or as another program or machine published or recorded
    them), or one hand's 21 MediaPipe landmarks, shape (21, 2 or 3), as other hand trackers give
    them, or its 26 OpenXR joints (26, 3), a headset's hand tracking (their handedness unknown: a
    left hand is not mirrored; see :func:`~sensekit.gesture.landmarks.hand_points`)."""

    def __init__(self, classifier: StaticGestureClassifier) -> None:
        self.classifier = classifier

    def _open(self, info: StreamInfo) -> StreamInfo:
        hands = hands_of(info, "StaticGestures")
        self._mirrored = stated_mirroring(info)
        self.classifier._dec()
        self._out = StreamInfo(info.name, "label", info.rate, (hands, 2), dtype="float64",
                               meta={"classes": self.classifier.learned_["classes"], "none_label": NONE,
                                     "rows": "hand", "columns": ["label", "confidence"]})
        return self._out

    def _process(self, frame: Frame) -> Frame:
        d = np.asarray(frame.data, dtype=np.float64)  # (n, hands, 22, 6), or one hand (n, 21, 2|3) or (n, 26, 3)
        whole = d.ndim == 4
        pts = hand_points(d)
        n, hands = pts.shape[:2]
        out = np.full((n, hands, 2), np.nan)
        pts = pts.reshape(n * hands, 21, 2)
        present = np.isfinite(pts).all(axis=(1, 2))
        if present.any():
            left = (d[:, :, 21, 0].reshape(-1) < 0)[present] if whole else None
            labels, conf = self.classifier.predict(pts[present], left=left, mirrored=self._mirrored)
            flat = out.reshape(n * hands, 2)
            flat[present, 0], flat[present, 1] = labels, conf
        return Frame._trusted(self._out, out, frame.t0, frame._times, frame.seq)
