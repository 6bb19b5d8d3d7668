"""EMG stages: features of windows, and the decoder (normalise, classify, reject, vote, velocity)."""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.stage import Stage
from ..core.stages import LowPass, SignalCheck
from ..errors import StreamFormatError
from ..learn.decoders import CompiledDecoder
from .features import FEATURES, compute_features, feature_names, resolve_features

__all__ = ["EMGFeatures", "EMGDecoder", "SignalCheck", "Envelope", "DECISION_CHANNELS", "SHIFT_CHANNEL", "REJECTED"]

log = logging.getLogger("sensekit")

#: Channels of the decision stream.
DECISION_CHANNELS = ("label", "confidence", "velocity")
#: The extra channel of the decision stream when online adaptation is on: the RMS of the
#: estimated feature shift, in calibration standard deviations.
SHIFT_CHANNEL = "shift"
#: Label given to a rejected (low-confidence) decision: "no motion".
REJECTED = -1


def _signal_rate(info: StreamInfo) -> float:
    """Sampling rate (Hz) of the signal a window stream was cut from."""
    return float(info.meta.get("input_rate", info.rate * info.meta.get("window_hop", 1)))


def _window_channels(info: StreamInfo) -> tuple[str, ...]:
    names = tuple(info.meta.get("channels", ()))
    return names if len(names) == info.shape[1] else tuple(f"ch{i}" for i in range(info.shape[1]))


class EMGFeatures(Stage):
    """Features of each window of an EMG window stream (from :class:`~sensekit.core.stages.Window`).

    Parameters
    ----------
    features : str or sequence of str
        A group (``"HTD"``, ``"TD4"``, ``"TDPSD"``, ...), a ``+``-joined mix, or names.
    **params
        Thresholds in signal units (``zc_threshold``, ``ssc_threshold``, ``wamp_threshold``),
        ``libemg_ssc``, ``ar_order``.

    Notes
    -----
    Output: a ``features`` stream, one sample per window, channels named
    ``"<FEATURE>_<channel>"``.
    """

    def __init__(self, features="HTD", **params) -> None:
        self.features = features
        self.params = params

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "EMGFeatures", regular=True, ndim=2, dtype_kinds="fiu")
        self.names_ = resolve_features(self.features)
        self._rate = _signal_rate(info)
        cols = feature_names(self.names_, _window_channels(info), ar_order=self.params.get("ar_order", 4))
        self._out = StreamInfo(info.name, "features", info.rate, (len(cols),), channels=cols, dtype="float64",
                               meta={**dict(info.meta), "features": list(self.names_)})
        return self._out

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        f = compute_features(frame.data, self.names_, rate=self._rate, **self.params)
        return Frame._trusted(self._out, f, frame.t0, None, frame.seq)


#: Windows whose median level :class:`EMGDecoder` compares, once, with the calibration's levels, and
#: the margin in dB it allows either way (a unit mistake is 60 dB, mV for uV, or 120 dB, V for uV; a
#: band's gain between sessions moves it by less than 20 dB). Set beforehand.
LEVEL_CHECK_WINDOWS, LEVEL_MARGIN_DB = 40, 30.0


class EMGDecoder(Stage):
    """Windows in, decisions out: features, standardisation, decoder, rejection, majority
    vote and a proportional velocity, fused for the live path.

    Parameters
    ----------
    params : dict
        Learned state (from :class:`~sensekit.emg.pipeline.EMGPipeline`): ``features``,
        ``feature_params``, ``mean``, ``scale``, ``decoder`` (numeric decoder params),
        ``rest_level`` and ``class_levels`` (mean MAV of rest and of each class).
    reject_below : float or None
        A decision whose confidence (the decoder's top score) is below this becomes
        :data:`REJECTED` ("no motion").
    vote : int
        Majority vote over the last ``vote`` decisions (1: none). Ties go to the most
        recent label among the tied.
    adapt_rate : float or None
        Online, unsupervised adaptation to a new session (None: off). Each decision whose
        confidence is at least ``adapt_gate`` moves the running mean of its class's
        standardised features towards the window by this fraction; the feature shift is the
        mean over the classes seen so far of (running mean - calibration mean), shrunk by the
        classes' disagreement about it (``|mean|² / (|mean|² + its squared standard error)``)
        and bounded to ``adapt_bound`` calibration standard deviations per column; it is
        subtracted from every window before the window is classified. Needs ``class_means`` in ``params``.
    adapt_gate, adapt_bound : float
        Confidence needed to adapt, and the bound of the shift.

    Notes
    -----
    Output: a ``label`` stream with channels ``label`` (class index, or -1 for rejected),
    ``confidence`` (0..1) and ``velocity`` (0..1: the window's mean MAV between the rest
    level and the class's calibration level; 0 for rest, class 0, and for rejected); with
    adaptation, a fourth channel :data:`SHIFT_CHANNEL` (the shift's RMS).

    The adaptation assumes the new session differs from the calibration by one shift of the
    features shared by all classes (a re-donned band, changed skin contact), and estimates it
    class-balanced so that holding one gesture for a long time does not pull it towards that
    gesture. Its failure mode is confident wrong decisions feeding the wrong class's mean, or
    a change that is not a shared shift (a rotated band moves each class differently); the
    confidence gate, the class balance, the shrinkage and the bound limit it. State is per stream:
    :meth:`reset` returns to the calibration.
    """

    def __init__(self, params: dict, *, reject_below: float | None = None, vote: int = 1,
                 adapt_rate: float | None = None, adapt_gate: float = 0.99, adapt_bound: float = 2.0) -> None:
        self.params = params
        self.reject_below = reject_below
        self.vote = vote
        self.adapt_rate, self.adapt_gate, self.adapt_bound = adapt_rate, adapt_gate, adapt_bound

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "EMGDecoder", regular=True, ndim=2, dtype_kinds="fiu")
        check_scalar(self.vote, "vote", kind=int, min_value=1)
        p = self.params
        self._features = tuple(p["features"])
        self._fparams = dict(p.get("feature_params", {}))
        self._rate = _signal_rate(info)
        self._mean = np.asarray(p["mean"], dtype=np.float64)
        self._scale = np.asarray(p["scale"], dtype=np.float64)
        n_feat = len(feature_names(self._features, range(info.shape[1]), ar_order=self._fparams.get("ar_order", 4)))
        if self._mean.shape != (n_feat,):
            raise StreamFormatError(
                f"EMGDecoder was calibrated for {self._mean.shape[0]} feature columns but stream {info.name!r} with "
                f"{info.shape[1]} channels gives {n_feat}", "calibrate again for this device")
        self._decoder = CompiledDecoder(p["decoder"])
        self._fns = [(FEATURES[name][0], {"rate": self._rate, **self._fparams}) for name in self._features]
        self._mav_col = self._features.index("MAV") * info.shape[1] if "MAV" in self._features else None
        self._n_ch = info.shape[1]
        self._rest = float(p.get("rest_level", 0.0))
        self._levels = np.asarray(p.get("class_levels", [1.0] * len(self._decoder.classes)), dtype=np.float64)
        channels = DECISION_CHANNELS
        if self.adapt_rate is not None:
            check_scalar(self.adapt_rate, "adapt_rate", min_value=0.0, max_value=1.0, include_min=False)
            check_scalar(self.adapt_gate, "adapt_gate", min_value=0.0, max_value=1.0)
            check_scalar(self.adapt_bound, "adapt_bound", min_value=0.0)
            if "class_means" not in p:
                raise StreamFormatError("this EMG calibration has no class means, which online adaptation needs",
                                        "calibrate again with this version of sensekit")
            self._class_means = np.asarray(p["class_means"], dtype=np.float64)
            if self._class_means.shape != (len(self._decoder.classes), n_feat):
                raise StreamFormatError(f"the calibration's class means have shape {self._class_means.shape}, "
                                        f"expected {(len(self._decoder.classes), n_feat)}")
            channels = (*DECISION_CHANNELS, SHIFT_CHANNEL)
        self._out = StreamInfo(info.name, "label", info.rate, (len(channels),), channels=channels, dtype="float64",
                               meta={"classes": list(p.get("classes", [])), "rejected_label": REJECTED})
        self._level_seen: list[float] | None = []  # the first windows' mean |x|: one level check a stream, not a trial
        return self._out

    def _reset(self) -> None:
        self._history: deque[int] = deque(maxlen=self.vote)
        if self.adapt_rate is not None:
            if getattr(self, "_shift", None) is not None and self._shift.any():
                self.final_shift_ = self._shift.copy()  # where the last stream's adaptation ended
            self._running = self._class_means.copy()
            self._seen = np.zeros(len(self._running), dtype=bool)
            self._shift = np.zeros(self._running.shape[1])

    #: The shift the adaptation had reached when the last stream ended (flush or reset), kept
    #: for saving (``run emg --save-adapted``); ``None`` before any.
    final_shift_: np.ndarray | None = None

    @property
    def shift(self) -> np.ndarray | None:
        """The current estimated feature shift (calibration standard deviations per feature
        column), or ``None`` without online adaptation."""
        return None if self.adapt_rate is None or not hasattr(self, "_shift") else self._shift.copy()

    def _common_shift(self, bound: float) -> np.ndarray:
        """The classes' shared drift, shrunk by how much the classes disagree about it."""
        drifts = self._running[self._seen] - self._class_means[self._seen]
        common = drifts.mean(axis=0)
        power = float(common @ common)
        if len(drifts) < 2 or power == 0.0:
            return np.zeros_like(common)
        spread = float(np.sum((drifts - common) ** 2)) / (len(drifts) * (len(drifts) - 1))
        # the squared standard error of the mean drift: where the classes drift apart (a rotated
        # band, not a shared shift) the shift shrinks towards zero
        return np.clip(common * (power / (power + spread)), -bound, bound)

    def _classify_adapting(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Window by window: classify after removing the current shift, then update the shift
        from a confident decision. Returns the class indices, confidences and shift RMS."""
        n = len(x)
        best, conf, rms = np.empty(n, dtype=np.intp), np.empty(n), np.empty(n)
        rate, gate, bound = self.adapt_rate, self.adapt_gate, self.adapt_bound
        for i in range(n):
            scores = self._decoder.scores((x[i] - self._shift)[None, :])[0]
            c = int(scores.argmax())
            best[i], conf[i] = c, scores[c]
            if conf[i] >= gate:
                self._running[c] += rate * (x[i] - self._running[c])
                self._seen[c] = True
                self._shift = self._common_shift(bound)
            rms[i] = float(np.sqrt(np.mean(self._shift**2)))
        return best, conf, rms

    def _process(self, frame: Frame) -> Frame | None:
        n = frame.n
        if n == 0:
            return None
        w = np.asarray(frame.data, dtype=np.float64)
        feats = [fn(w, **kw).reshape(n, -1) for fn, kw in self._fns]
        x = np.concatenate(feats, axis=1) if len(feats) > 1 else feats[0]
        if self._mav_col is not None:  # the mean |x| over channels, for the velocity
            mav = x[:, self._mav_col : self._mav_col + self._n_ch].mean(axis=1)
        else:
            mav = np.mean(np.abs(w), axis=(1, 2))
        if self._level_seen is not None:
            self._check_level(mav)
        x = (x - self._mean) / self._scale
        if self.adapt_rate is None:
            scores = self._decoder.scores(x)
            best = scores.argmax(axis=1)
            conf = scores[np.arange(n), best]
        else:
            best, conf, shift_rms = self._classify_adapting(x)
        labels = self._decoder.classes[best].astype(np.float64)
        if self.reject_below is not None:
            labels[conf < self.reject_below] = REJECTED
        if self.vote > 1:
            labels = self._majority(labels)
        idx = labels.astype(np.intp)
        np.clip(idx, 0, len(self._levels) - 1, out=idx)
        velocity = (mav - self._rest) / np.maximum(self._levels[idx] - self._rest, 1e-12)
        np.minimum(np.maximum(velocity, 0.0, out=velocity), 1.0, out=velocity)
        velocity[(labels == REJECTED) | (labels == 0)] = 0.0  # no motion, and rest (class 0)
        out = np.empty((n, self._out.shape[0]))
        out[:, 0], out[:, 1], out[:, 2] = labels, conf, velocity
        if self.adapt_rate is not None:
            out[:, 3] = shift_rms
        return Frame._trusted(self._out, out, frame.t0, None, frame.seq)

    def _check_level(self, mav: np.ndarray) -> None:
        """Once, after :data:`LEVEL_CHECK_WINDOWS` windows: a warning when their median mean |x| is
        more than :data:`LEVEL_MARGIN_DB` above the calibration's strongest class or below its rest
        (another unit or gain than the calibration's: every decision would be wrong, silently)."""
        self._level_seen.extend(mav.tolist())
        if len(self._level_seen) < LEVEL_CHECK_WINDOWS:
            return
        level, self._level_seen = float(np.median(self._level_seen)), None
        margin = 10.0 ** (LEVEL_MARGIN_DB / 20.0)
        top = float(np.max(self._levels))
        if level > 0 and top > 0 and level > margin * top:
            log.warning("EMG signal %.0f dB above the calibration's strongest class: the band streams in another unit "
                        "or gain than the calibration was made in (mV for uV?); its decisions will be wrong: calibrate "
                        "on this stream", 20.0 * np.log10(level / top))
        elif self._rest > 0 and level * margin < self._rest:
            log.warning("EMG signal %.0f dB below the calibration's rest: electrodes off, or another unit or gain "
                        "than the calibration's (uV for mV?); its decisions will be wrong", 20.0 * np.log10(self._rest
                                                                                                     / max(level, 1e-300)))

    def _majority(self, labels: np.ndarray) -> np.ndarray:
        out = np.empty_like(labels)
        hist = self._history
        for i, lab in enumerate(labels.astype(int).tolist()):
            hist.append(lab)
            counts: dict[int, int] = {}
            for h in hist:
                counts[h] = counts.get(h, 0) + 1
            top = max(counts.values())
            out[i] = next(h for h in reversed(hist) if counts[h] == top)
        return out


class Envelope(Stage):
    """Linear envelope: full-wave rectification then a Butterworth low-pass (state kept
    across blocks), the usual amplitude estimate for proportional control and display.

    Parameters
    ----------
    cutoff_hz : float
        Low-pass cut-off in Hz (typically 2-10 Hz).
    order : int
        Butterworth order.
    """

    def __init__(self, cutoff_hz: float = 5.0, *, order: int = 2) -> None:
        self.cutoff_hz = cutoff_hz
        self.order = order

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "Envelope", regular=True, dtype_kinds="fiu")
        self._lowpass = LowPass(self.cutoff_hz, order=self.order)
        out = self._lowpass.open(info.replace(dtype="float64", channels=info.channels))
        return out

    def _reset(self) -> None:
        self._lowpass.reset()

    def _process(self, frame: Frame) -> Frame:
        rect = Frame._trusted(self._lowpass.input_info, np.abs(np.asarray(frame.data, dtype=np.float64)), frame.t0,
                              None, frame.seq)
        return self._lowpass.process(rect)
