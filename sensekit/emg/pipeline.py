"""``EMGPipeline``: the whole EMG chain as one configurable, fittable, savable object.

Raw EMG -> (notch) -> (band-pass) -> windows -> features -> standardise -> decoder ->
rejection -> majority vote -> velocity. Offline evaluation and live decoding run the same
stages (block invariance makes feeding a trial whole equal to streaming it).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from typing import Any

import numpy as np

from ..core import Chain, Frame, StreamInfo
from ..core.calibration import load_calibration, save_calibration
from ..core.stages import BandPass, HighPass, Notch, ToUnit, Window, lost_samples, standardisation
from ..core.units import voltage_factor
from ..errors import CalibrationError, NotFittedError, ParameterError
from ..learn.decoders import DECODERS, fit_decoder
from .datasets import EMGTrials
from .features import compute_features, feature_names, resolve_features
from .schema import NOTCH_RANGE_HZ
from .stages import EMGDecoder, SignalCheck

__all__ = ["EMGPipeline", "ADAPT_RATE"]

log = logging.getLogger("sensekit")

#: Default online adaptation rate (per decision: about 5 s at a 50 ms increment), chosen
#: on myo_readings_wrist8 (session 1 -> sessions 2 and 3).
ADAPT_RATE = 0.01
#: The most of a mains frequency's harmonics notched (50 Hz up to 5 kHz: a 10 kHz band's).
MAX_NOTCH_HARMONICS = 100


@dataclasses.dataclass
class EMGPipeline:
    """Configuration and learned state of an EMG decoding chain. The defaults are
    ``sensekit calibrate emg``'s (200/50 ms windows, Hudgins' features with the log-variance,
    LDA): what a calibration made without options decodes with.

    Parameters
    ----------
    window_ms, increment_ms : float
        Window length and hop in milliseconds.
    features : str
        Feature group or ``+``-joined mix (see :mod:`sensekit.emg.features`).
    feature_params : dict
        Thresholds (signal units) and options of the features.
    decoder : {"lda", "svm", "mlp", "rf"}
        Classifier.
    decoder_options : dict
        Passed to :func:`~sensekit.learn.decoders.fit_decoder`.
    bandpass_hz : (float, float) or None
        Band-pass edges; the upper edge is lowered below Nyquist for low-rate devices.
        At rates below 250 Hz (Myo) only a high-pass at the lower edge is applied.
    notch_hz : float or None
        Mains frequency to notch (with harmonics), or None.
    reject_below : float or None
        Confidence under which a decision becomes "no motion" (-1).
    vote : int
        Majority vote length in decisions.
    adapt_rate : float or None
        Online unsupervised adaptation to a new session while decoding (None: off); see
        :class:`~sensekit.emg.stages.EMGDecoder`. :data:`ADAPT_RATE` is the default of
        ``sensekit run emg --adapt``.
    """

    window_ms: float = 200.0
    increment_ms: float = 50.0
    features: str = "HTD+LOGVAR"
    feature_params: dict = dataclasses.field(default_factory=dict)
    decoder: str = "lda"
    decoder_options: dict = dataclasses.field(default_factory=dict)
    bandpass_hz: tuple[float, float] | None = None
    notch_hz: float | None = None
    reject_below: float | None = None
    vote: int = 1
    adapt_rate: float | None = None

    def __post_init__(self) -> None:
        if self.decoder not in DECODERS:
            raise ParameterError(f"unknown decoder {self.decoder!r}", f"use one of {', '.join(DECODERS)}")
        low, high = NOTCH_RANGE_HZ
        if self.notch_hz is not None and not (isinstance(self.notch_hz, (int, float))
                                              and low <= self.notch_hz <= high):
            raise ParameterError(f"notch {self.notch_hz!r} Hz is not a mains frequency ({low:g} to {high:g} Hz)",
                                 "give 50 or 60 (Hz), or no notch")
        resolve_features(self.features)
        self.learned_: dict[str, Any] | None = None
        self.info_: StreamInfo | None = None
        self.classes_: tuple[str, ...] = ()

    # -- the stages ----------------------------------------------------------------
    def front_end(self, info: StreamInfo) -> Chain:
        """Filters and windowing for stream ``info`` (unfitted: nothing is learned here). A
        stream in another voltage unit than the calibration's band (volts where it was
        microvolts) is read in the calibration's unit first (:class:`~sensekit.core.stages.ToUnit`):
        the learned levels are in it."""
        stages = [SignalCheck(label="EMG channel")]
        calibrated = self.info_.unit if self.info_ is not None else ""
        if voltage_factor(info.unit, calibrated) not in (None, 1.0):
            log.warning("EMG stream %r is in %s, the calibration's band in %s: read in %s", info.name, info.unit,
                        calibrated, calibrated)
            stages.insert(0, ToUnit(calibrated))
        if self.notch_hz:
            harmonics = min(max(1, int(info.rate / 2 // self.notch_hz) - 1), MAX_NOTCH_HARMONICS)
            stages.append(Notch(self.notch_hz, harmonics=harmonics))
        if self.bandpass_hz is not None:
            low, high = self.bandpass_hz
            if info.rate < 250:
                stages.append(HighPass(low, order=4))
            else:
                stages.append(BandPass(low, high, clip_high=True))
        stages.append(Window(length_s=self.window_ms / 1000, hop_s=self.increment_ms / 1000))
        return Chain(*stages)

    def chain(self, info: StreamInfo | None = None) -> Chain:
        """The full fitted chain (front end + :class:`EMGDecoder`) for live decoding."""
        self._check_fitted()
        info = info or self.info_
        return Chain(*self.front_end(info).stages, EMGDecoder(self.learned_, reject_below=self.reject_below,
                                                               vote=self.vote, adapt_rate=self.adapt_rate))

    def _check_fitted(self) -> None:
        if self.learned_ is None:
            raise NotFittedError("EMGPipeline is not fitted", "call fit(trials) or EMGPipeline.load(calibration)")

    # -- offline ---------------------------------------------------------------------
    def windows(self, trials: EMGTrials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Windows of every trial through the front end: ``(windows (n, L, C), labels (n,), trial index (n,))``."""
        ws, ys, gs = _per_trial(self.front_end(trials.info), trials)
        if not ws:
            raise ParameterError("no trial is long enough for one window", f"use trials longer than {self.window_ms} ms")
        return np.concatenate(ws), np.concatenate(ys), np.concatenate(gs)

    def fit(self, trials: EMGTrials) -> EMGPipeline:
        """Learn the standardisation, the decoder and the velocity levels from ``trials``."""
        if len(trials) == 0:
            raise ParameterError("no calibration trials")
        for t in trials.trials:
            bad = lost_samples(t.data)
            if bad.any():
                ch = trials.info.channels[int(np.flatnonzero(bad.any(axis=0))[0])]
                name = trials.classes[t.label] if 0 <= t.label < len(trials.classes) else t.label
                raise ParameterError(f"calibration trial {name!r} (repetition {t.rep + 1}) has NaN, infinite or absurd "
                                     f"samples on channel {ch!r}", "check that electrode and record the calibration "
                                     "again")
        w, y, _ = self.windows(trials)
        labels, counts = np.unique(y, return_counts=True)
        if (counts < 2).any():  # (a decoder's classes need two windows each: an increment past a hold leaves one)
            c, n = int(labels[counts < 2][0]), int(counts[counts < 2][0])
            name = trials.classes[c] if 0 <= c < len(trials.classes) else c
            raise ParameterError(f"the calibration trials of {name!r} give {n} window of {self.window_ms:g} ms every "
                                 f"{self.increment_ms:g} ms; a decoder needs 2 or more of each class",
                                 "use a shorter increment (--increment-ms) or longer holds")
        names = resolve_features(self.features)
        x = compute_features(w, names, rate=trials.info.rate, **self.feature_params)
        bad = ~np.isfinite(x).all(axis=0)
        if bad.any():
            raise ParameterError(f"{int(bad.sum())} feature column(s) are NaN/inf on the calibration data "
                                 "(flat or dead channel?)", "check the channels or drop the feature")
        mean, scale = standardisation(x)
        z = (x - mean) / scale
        dec = fit_decoder(self.decoder, z, y, **self.decoder_options)
        class_means = [z[y == c].mean(axis=0).tolist() for c in dec["classes"]]
        mav = np.mean(np.abs(w), axis=(1, 2))
        classes = sorted(set(y.tolist()))
        levels = [float(np.mean(mav[y == c])) if np.any(y == c) else 1.0 for c in range(max(classes) + 1)]
        rest = float(np.percentile(mav[y == classes[0]], 50)) if 0 in classes else float(np.min(mav))
        self.learned_ = {"features": list(names), "feature_params": dict(self.feature_params), "mean": mean.tolist(),
                         "scale": scale.tolist(), "decoder": dec, "class_means": class_means, "rest_level": rest,
                         "class_levels": levels, "classes": list(trials.classes)}
        self.info_ = trials.info
        self.classes_ = tuple(trials.classes)
        return self

    def adapt(self, trials: EMGTrials, *, labelled: bool = False, self_training: bool = True) -> EMGPipeline:
        """Adapt to new data of the same user (a new session, a re-donned band): re-estimate
        the feature standardisation on it (an unsupervised correction of the shift of the
        features' mean and spread), then, for an LDA decoder, move each class mean part of the
        way towards the new windows of that class.

        Parameters
        ----------
        trials : EMGTrials
            Some seconds of every class of the new session, in roughly the calibration
            proportions.
        labelled : bool
            Use the trials' labels (a prompted top-up): each class mean moves
            :data:`~sensekit.learn.transfer.LABELLED_WEIGHT` of the way to its new windows'
            mean (:func:`~sensekit.learn.transfer.labelled_means`). Otherwise the labels are
            not used and the means follow the windows the decoder is sure of
            (:func:`~sensekit.learn.transfer.self_trained_means`).
        self_training : bool
            ``False``: only the standardisation (the class means stay).
        """
        self._check_fitted()
        w, y, _ = self.windows(trials)
        x = compute_features(w, self.learned_["features"], rate=trials.info.rate, **self.feature_params)
        mean, scale = standardisation(x)
        self.learned_ = {**self.learned_, "mean": mean.tolist(), "scale": scale.tolist(), **self._levels_on(w, y, labelled)}
        dec = self.learned_["decoder"]
        movable = dec["kind"] == "lda" and dec.get("precision") is not None and self.learned_.get("class_means")
        if self_training and not movable:  # (said, not silent)
            log.warning("only the feature standardisation adapted: class means move for an LDA decoder with its "
                        "covariance and class means stored, and this calibration's decoder is %s%s", dec["kind"],
                        " without them (calibrate again)" if dec["kind"] == "lda" else "")
        if self_training and movable:
            from ..learn.transfer import labelled_means, lda_coefficients, self_trained_means

            z = (x - mean) / scale
            if labelled:
                index = {c: i for i, c in enumerate(dec["classes"])}
                means = labelled_means(self.learned_["class_means"], z, np.array([index.get(c, -1) for c in y]))
            else:
                means = self_trained_means(self.learned_["class_means"], dec["precision"], dec["log_priors"], z)
            coef, intercept = lda_coefficients(means, dec["precision"], dec["log_priors"])
            self.learned_["decoder"] = {**dec, "coef": coef.tolist(), "intercept": intercept.tolist()}
            self.learned_["class_means"] = means.tolist()
        return self

    def _levels_on(self, windows: np.ndarray, y: np.ndarray, labelled: bool) -> dict:
        """The velocity's levels (``rest_level``, ``class_levels``: mean |x|) on a new session's
        windows: each class's own where its labels are used, else the calibration's scaled by how
        much stronger the new session's windows are on the whole (a band's gain or unit moved)."""
        mav = np.mean(np.abs(windows), axis=(1, 2))
        levels = np.asarray(self.learned_["class_levels"], dtype=np.float64)
        rest = float(self.learned_["rest_level"])
        known = (y >= 0) & (y < len(levels))  # (the trials' class indices, as in fit)
        if labelled:
            for c in np.unique(y[known]).tolist():
                levels[c] = float(np.mean(mav[y == c]))
            if (y == 0).any():
                rest = float(np.median(mav[y == 0]))
        else:  # (the adaptation data hold the classes in about equal shares, as a calibration does; labels unused)
            expected = float(np.mean(levels))
            factor = float(np.mean(mav)) / expected if expected > 0 else 1.0
            if factor > 0 and np.isfinite(factor):
                levels, rest = levels * factor, rest * factor
        return {"class_levels": levels.tolist(), "rest_level": rest}

    def shifted(self, shift: np.ndarray) -> EMGPipeline:
        """A copy whose standardisation takes off ``shift`` (calibration standard deviations per
        feature column, as online adaptation estimates it): the next session starts where this
        one's adaptation ended. The decoder and class means are kept."""
        self._check_fitted()
        shift = np.asarray(shift, dtype=np.float64)
        scale = np.asarray(self.learned_["scale"])
        if shift.shape != scale.shape or not np.isfinite(shift).all():
            raise ParameterError(f"a shift of shape {shift.shape} for {scale.shape[0]} feature columns")
        out = copy.deepcopy(self)
        out.learned_ = {**self.learned_, "mean": (np.asarray(self.learned_["mean"]) + shift * scale).tolist()}
        return out

    def decide(self, trials: EMGTrials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decisions for every window of every trial, each trial streamed from rest state.

        Returns
        -------
        y_true, decisions, trial_index : ndarray
            ``decisions`` has columns ``label``, ``confidence``, ``velocity``.
        """
        self._check_fitted()
        ds, ys, gs = _per_trial(self.chain(trials.info), trials)
        if not ds:
            raise ParameterError("no trial is long enough for one window", f"use trials longer than {self.window_ms} ms")
        return np.concatenate(ys), np.concatenate(ds), np.concatenate(gs)

    def stream(self, trials: EMGTrials) -> tuple[np.ndarray, np.ndarray]:
        """Decisions for the trials fed one after another as one continuous stream (state,
        such as online adaptation, carried across trials), as ``sensekit run emg`` sees a
        session. Returns ``(y_true, decisions)``."""
        self._check_fitted()
        ds, ys, _ = _per_trial(self.chain(trials.info), trials, reset=False)
        if not ds:
            raise ParameterError("no trial is long enough for one window", f"use trials longer than {self.window_ms} ms")
        return np.concatenate(ys), np.concatenate(ds)

    # -- calibration files -----------------------------------------------------------
    def config(self) -> dict:
        """The constructor parameters as JSON-compatible values."""
        d = dataclasses.asdict(self)
        d["bandpass_hz"] = list(self.bandpass_hz) if self.bandpass_hz else None
        return d

    def save(self, path: str | os.PathLike, *, device: str = "") -> os.PathLike:
        """Write the calibration JSON (configuration, stream format, learned numbers)."""
        self._check_fitted()
        return save_calibration(path, chain="emg", stream=self.info_, device=device,
                                params={"config": self.config(), "learned": self.learned_})

    @classmethod
    def load(cls, path: str | os.PathLike, *, stream: StreamInfo | None = None) -> EMGPipeline:
        """Read a calibration; a ``stream`` of another rate, channel count or kind is refused,
        naming the field."""
        cal = load_calibration(path, chain="emg")
        if stream is not None:
            cal.check_stream(stream, fields=("kind", "rate", "shape"))
        cfg = dict(cal.params["config"])
        if cfg.get("bandpass_hz"):
            cfg["bandpass_hz"] = tuple(cfg["bandpass_hz"])
        try:
            pipe = cls(**cfg)
            lp = pipe.learned_ = dict(cal.params["learned"])
            names = resolve_features(pipe.features)
        except ParameterError as e:
            raise CalibrationError(f"calibration file {str(path)!r} has bad EMG parameters ({e})") from None
        columns = len(feature_names(names, cal.stream.channels or range(cal.stream.shape[0]),
                                    ar_order=lp.get("feature_params", {}).get("ar_order", 4)))
        if columns != len(lp["mean"]):
            raise CalibrationError(f"calibration file {str(path)!r}: {len(lp['mean'])} learned columns, but "
                                   f"{pipe.features} on {cal.stream.shape[0]} channels gives {columns}")
        pipe.info_ = cal.stream
        pipe.classes_ = tuple(pipe.learned_.get("classes", ()))
        return pipe


def _per_trial(chain: Chain, trials: EMGTrials, *, reset: bool = True
               ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Each trial through ``chain`` (from its start state with ``reset``, else continuing
    from the trial before): outputs, labels and trial indices (one list entry per trial that
    produced output)."""
    info = trials.info
    chain.open(info)
    outs, ys, gs = [], [], []
    for i, t in enumerate(trials.trials):
        if reset:
            chain.reset()
        out = chain.process(Frame(info, np.asarray(t.data, dtype=info.dtype), t0=0.0))
        if out is None or out.n == 0:
            continue
        outs.append(np.asarray(out.data))
        ys.append(np.full(out.n, t.label))
        gs.append(np.full(out.n, i))
    return outs, ys, gs
