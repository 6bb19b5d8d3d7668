"""EMG benchmark tasks: within-session, across sessions, learning curve (myo_readings_wrist8),
feature extraction and live-decision speed against LibEMG, and the simulator's accuracy
against SNR and electrode shift."""

from __future__ import annotations

import copy
import time
from functools import cache
from pathlib import Path

import numpy as np

from ..bench.peers import PeerUnavailable, run_peer
from ..bench.speed import measure_blocks
from ..bench.task import Task, register
from ..core import Frame
from ..learn.metrics import classification_metrics
from .batch import extract_continuous
from .datasets import EMGTrials, load_myo_readings_wrist8
from .features import compute_features
from .pipeline import ADAPT_RATE, EMGPipeline
from .scoring import score_session
from .synth import EMGSimulator

DATASET = "myo_readings_wrist8"
_LIBEMG = Path(__file__).with_name("adapters") / "libemg_htd.py"

#: The reference configuration (as LibEMG's published pipeline): 200 ms / 50 ms, Hudgins TD, LDA.
BASELINE = {"window_ms": 200.0, "increment_ms": 50.0, "features": "HTD", "decoder": "lda"}
#: sensekit's best configuration on myo_readings_wrist8 (see the README's EMG figures).
BEST = {"window_ms": 250.0, "increment_ms": 50.0, "features": "TD9+LOGVAR", "decoder": "svm"}
#: sensekit's configuration across sessions: robust features, LDA, re-standardised on the new session.
CROSS = {"window_ms": 300.0, "increment_ms": 50.0, "features": "HTD+LOGVAR", "decoder": "lda"}


@cache
def _myo() -> EMGTrials:
    from ..datasets import dataset_dir

    return load_myo_readings_wrist8(dataset_dir(DATASET))


def _subjects(quick: bool) -> list[str]:
    subjects = ["12345", "21547", "45612", "54321", "78945"]
    return subjects[:1] if quick else subjects


def _libemg(pipe: EMGPipeline, train: EMGTrials, test: EMGTrials, **extra) -> tuple[np.ndarray, dict]:
    """LibEMG's HTD + LDA on exactly the windows of ``pipe``'s front end."""
    w_tr, y_tr, _ = pipe.windows(train)
    w_te, y_te, _ = pipe.windows(test)
    out = run_peer("libemg", _LIBEMG, {"W_train": np.ascontiguousarray(w_tr.transpose(0, 2, 1)), "y_train": y_tr,
                                       "W_test": np.ascontiguousarray(w_te.transpose(0, 2, 1)), **extra})
    return y_te, out


def _live_speed(pipe: EMGPipeline, test: EMGTrials, max_s: float = 30.0) -> tuple[dict, list]:
    """Per-increment decision latency of the fitted chain on a continuous stream."""
    info = test.info
    x = np.concatenate([t.data for t in test.trials])[: int(max_s * info.rate)]
    hop = int(round(pipe.increment_ms / 1000 * info.rate))
    frames = [Frame(info, x[i : i + hop], t0=i / info.rate, seq=k) for k, i in enumerate(range(0, len(x), hop))]
    chain = pipe.chain(info)
    chain.open(info)
    speed, lat = measure_blocks(chain.process, frames, len(x) / info.rate, reset=chain.reset)
    return speed, lat.tolist()


def _score(y_true, decisions, n_classes):
    return classification_metrics(y_true, decisions[:, 0].astype(int), labels=list(range(n_classes)))


def _peer_block(fn) -> dict:
    try:
        return fn()
    except PeerUnavailable as e:
        return {"skipped": str(e)}


# -- within session ------------------------------------------------------------------------
def _within_units(quick: bool) -> list[dict]:
    return [{"subject": s, "session": k} for s in _subjects(quick) for k in ((1,) if quick else (1, 2, 3))]


def _within_run(key: dict, quick: bool) -> dict:
    data = _myo().select(subject=key["subject"], session=key["session"])
    train, test = data.select(rep=[0, 1, 2, 3]), data.select(rep=[4, 5])
    n_cls = len(data.classes)
    best = EMGPipeline(**BEST).fit(train)
    metrics, confusion = _score(*best.decide(test)[:2], n_cls)
    base = EMGPipeline(**BASELINE).fit(train)
    yb, db, _ = base.decide(test)
    base_metrics, _ = _score(yb, db, n_cls)
    metrics["accuracy_htd_lda"] = base_metrics["accuracy"]
    metrics["accuracy_default"] = _score(*EMGPipeline().fit(train).decide(test)[:2], n_cls)[0]["accuracy"]
    speed, lat = _live_speed(base, test)

    # like for like: LibEMG's definitions (SSC counts a flat step, ">=", and LDA without shrinkage)
    same = EMGPipeline(**BASELINE, feature_params={"libemg_ssc": True}, decoder_options={"shrinkage": None}).fit(train)
    y_same, d_same, _ = same.decide(test)
    metrics["accuracy_htd_lda_libemg_definitions"] = float(np.mean(d_same[:, 0] == y_same))

    def peer():
        y_te, out = _libemg(base, train, test, n_live=200)
        metrics["prediction_agreement_with_libemg_definitions"] = float(np.mean(np.asarray(out["pred"]) == d_same[:, 0]))
        m, _ = classification_metrics(y_te, np.asarray(out["pred"]), labels=list(range(n_cls)))
        return {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"], "kappa": m["kappa"],
                "live_decision_us": out["live_decision_us"], "live_feature_us": out["live_feature_us"],
                "live_predict_us": out["live_predict_us"], "live_vote_us": out["live_vote_us"]}

    def svm_peer(group: str):
        def run_it():  # LibEMG's RBF SVM on scaled features, on the windows of sensekit's best recipe
            y_te, out = _libemg(best, train, test, n_live=1, model="SVM-RBF", group=group)
            m, _ = classification_metrics(y_te, np.asarray(out["pred"]), labels=list(range(n_cls)))
            return {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"], "kappa": m["kappa"]}
        return run_it

    speed["live_decision_us"] = speed["latency_p50_ms"] * 1e3
    return {"metrics": metrics, "confusion": confusion, "speed": speed, "latencies_ms": lat,
            "peers": {"libemg": _peer_block(peer), "libemg HTD + RBF SVM": _peer_block(svm_peer("HTD")),
                      "libemg LS9 + RBF SVM": _peer_block(svm_peer("LS9"))}}


register(Task(
    name="emg.within-session", chain="emg", dataset=DATASET,
    description="myo_readings_wrist8, per session: train reps 0-3, test reps 4-5; sensekit best "
                "(250/50 ms, TD9+LogVar, RBF SVM), calibrate emg's defaults (200/50 ms, HTD+LogVar, LDA) "
                "and HTD+LDA (200/50 ms) beside LibEMG HTD+LDA on the same windows "
                "and LibEMG's RBF SVM on scaled HTD or LS9 on the best recipe's windows",
    units=_within_units, run_unit=_within_run,
))


# -- across sessions -----------------------------------------------------------------------
def _cross_units(quick: bool) -> list[dict]:
    return [{"subject": s, "test_session": k} for s in _subjects(quick) for k in (2, 3)]


#: The cross-session recipes whose per-participant figures the task reports (metric names).
_CROSS_RECIPES = ("accuracy", "accuracy_few_shot", "accuracy_restandardised", "accuracy_htd_lda",
                  "accuracy_default_few_shot")


def _cross_summary(units: list[dict]) -> dict[str, float]:
    """Each participant's mean over their test sessions, per recipe: the worst participant, and
    how many participants each recipe leaves below LibEMG's HTD+LDA (where LibEMG ran)."""
    by_subject: dict = {}
    for u in units:
        by_subject.setdefault(u["key"]["subject"], []).append(u)
    peer = {s: [u["peers"]["libemg"]["accuracy"] for u in us if "accuracy" in u.get("peers", {}).get("libemg", {})]
            for s, us in by_subject.items()}
    peer_ran = all(len(v) == len(by_subject[s]) for s, v in peer.items())
    out = {}
    for name in _CROSS_RECIPES:
        means = {s: np.mean([u["metrics"][name] for u in us]) for s, us in by_subject.items()}
        out[f"worst_participant_{name}"] = float(min(means.values()))
        if peer_ran:
            out[f"participants_below_libemg_{name}"] = float(sum(means[s] < np.mean(peer[s]) for s in means))
    return out


class _Transfer:
    """The models every unsupervised transfer method is scored with, fitted on ``train``: LDA on
    the CROSS features and LDA on the channels' covariances in the tangent space at their
    Riemannian mean (as is, and standardised)."""

    def __init__(self, train: EMGTrials) -> None:
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA

        from ..learn.transfer import covariances, riemann_mean, tangent_space
        from .features import resolve_features

        self.pipe, self.names, self.rate = EMGPipeline(**CROSS), resolve_features(CROSS["features"]), train.info.rate
        w, y, _ = self.pipe.windows(train)
        self.x = self.features(w)
        self.mu, self.sd = self.x.mean(0), self.x.std(0) + 1e-12
        self.lda = LDA(store_covariance=True).fit((self.x - self.mu) / self.sd, y)
        self.c = covariances(w)
        self.t = tangent_space(self.c, riemann_mean(self.c))
        self.riem = LDA().fit(self.t, y)
        self.riem_std = LDA().fit(_standardised(self.t, self.t), y)

    def features(self, windows: np.ndarray) -> np.ndarray:
        from .features import compute_features

        return compute_features(windows, self.names, rate=self.rate)

    def restandardised_accuracy(self, adapt: np.ndarray, evaluate: np.ndarray, y: np.ndarray) -> float:
        """Features of ``evaluate`` windows standardised with those of ``adapt``."""
        return float(np.mean(self.lda.predict(_standardised(self.features(evaluate), self.features(adapt))) == y))

    def accuracies(self, adapt: np.ndarray, evaluate: np.ndarray, y: np.ndarray,
                   adapt_labels: np.ndarray | None = None) -> dict[str, float]:
        """Per-window accuracy (no vote) on ``evaluate`` windows of each method adapted on the
        unlabeled ``adapt`` windows: none, re-standardisation, re-standardisation with
        self-trained class means (what ``EMGPipeline.adapt`` does), CORAL, and in the tangent
        space at the training mean, re-centred per session, and re-centred then re-standardised;
        with ``adapt_labels``, also re-standardisation with labelled class means (few-shot)."""
        from ..learn.transfer import (
            coral,
            covariances,
            labelled_means,
            lda_coefficients,
            recentre,
            riemann_mean,
            self_trained_means,
            tangent_space,
        )

        x_ad, x_ev = self.features(adapt), self.features(evaluate)
        z_tr = (self.x - self.mu) / self.sd
        z_ev, z_ad = _standardised(x_ev, x_ad), _standardised(x_ad, x_ad)
        out = {"none": (x_ev - self.mu) / self.sd, "restandardise": z_ev, "coral": coral(z_ev, z_ad, z_tr)}
        acc = {k: float(np.mean(self.lda.predict(z) == y)) for k, z in out.items()}
        precision, log_priors = np.linalg.pinv(self.lda.covariance_), np.log(self.lda.priors_)
        adapted = {"restandardise_self_trained": self_trained_means(self.lda.means_, precision, log_priors, z_ad)}
        if adapt_labels is not None:
            index = np.searchsorted(self.lda.classes_, adapt_labels)
            adapted["restandardise_labelled_means"] = labelled_means(self.lda.means_, z_ad, index)
        for name, means in adapted.items():
            coef, intercept = lda_coefficients(means, precision, log_priors)
            acc[name] = float(np.mean(self.lda.classes_[np.argmax(z_ev @ coef.T + intercept, axis=1)] == y))
        c_ad, c_ev = covariances(adapt), covariances(evaluate)
        acc["riemann"] = float(np.mean(self.riem.predict(tangent_space(c_ev, riemann_mean(self.c))) == y))
        t_ev, t_ad = recentre(c_ev, c_ad), recentre(c_ad, c_ad)
        acc["riemann_recentred"] = float(np.mean(self.riem.predict(t_ev) == y))
        acc["riemann_recentred_restandardised"] = float(np.mean(
            self.riem_std.predict(_standardised(t_ev, t_ad)) == y))
        return acc


def _standardised(x: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``x`` standardised with the mean and spread of ``reference`` (rows)."""
    return (x - reference.mean(0)) / (reference.std(0) + 1e-12)


def _transfer_comparison(train: EMGTrials, test: EMGTrials) -> dict[str, float]:
    """The transfer methods on the cross-session protocol: adapted on one repetition per class
    of the new session (its labels used by the few-shot method only), scored on the others."""
    bench = _Transfer(train)
    w_ad, y_ad, _ = bench.pipe.windows(test.select(rep=0))
    w_ev, y_ev, _ = bench.pipe.windows(test.select(rep=[1, 2, 3, 4, 5]))
    return {f"window_accuracy_{k}": v for k, v in bench.accuracies(w_ad, w_ev, y_ev, y_ad).items()}


def _cross_run(key: dict, quick: bool) -> dict:
    data = _myo().select(subject=key["subject"])
    train, test = data.select(session=1), data.select(session=key["test_session"])
    n_cls = len(data.classes)
    best = EMGPipeline(**CROSS).fit(train)
    plain_metrics, _ = _score(*best.decide(test)[:2], n_cls)
    # adapted on one rep of each class (unlabeled), scored on the others: what 'sensekit emg score --adapt-on 1' does
    adapted = score_session(best, test, adapt_reps=[0])
    metrics, confusion = {k: adapted[k] for k in ("accuracy", "balanced_accuracy", "kappa")}, adapted["confusion"]
    metrics["accuracy_no_adaptation"] = plain_metrics["accuracy"]
    for name, options in (("few_shot", {"labelled": True}),  # the same rep, its labels used
                          ("restandardised", {"self_training": False})):  # the previous recipe
        m = score_session(best, test, adapt_reps=[0], **options)
        metrics[f"accuracy_{name}"], metrics[f"balanced_accuracy_{name}"] = m["accuracy"], m["balanced_accuracy"]
    streamed = copy.deepcopy(best)  # the whole new session as one stream, as 'run emg' sees it
    for name, rate in (("streamed", None), ("online_adaptation", ADAPT_RATE)):
        streamed.adapt_rate = rate
        m, _ = _score(*streamed.stream(test), n_cls)
        metrics[f"accuracy_{name}"], metrics[f"balanced_accuracy_{name}"] = m["accuracy"], m["balanced_accuracy"]
    default = EMGPipeline().fit(train)  # what 'calibrate emg' without options gives, adapted as above
    metrics["accuracy_default_no_adaptation"] = _score(*default.decide(test)[:2], n_cls)[0]["accuracy"]
    for name, options in (("self_trained", {}), ("few_shot", {"labelled": True})):
        metrics[f"accuracy_default_{name}"] = score_session(default, test, adapt_reps=[0], **options)["accuracy"]
    base = EMGPipeline(**BASELINE).fit(train)
    base_metrics, _ = _score(*base.decide(test)[:2], n_cls)
    metrics["accuracy_htd_lda"] = base_metrics["accuracy"]
    metrics.update(_transfer_comparison(train, test))

    def peer():
        y_te, out = _libemg(base, train, test, n_live=1)
        m, _ = classification_metrics(y_te, np.asarray(out["pred"]), labels=list(range(n_cls)))
        return {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"], "kappa": m["kappa"]}

    return {"metrics": metrics, "confusion": confusion, "peers": {"libemg": _peer_block(peer)}}


register(Task(
    name="emg.cross-session", chain="emg", dataset=DATASET,
    description="myo_readings_wrist8: train session 1, test session 2 or 3; sensekit (300/50 ms, HTD+LogVar, LDA) "
                "re-standardised on one unlabeled rep per class of the new session (tested on the other reps), "
                "and with that rep's labels (few-shot class means, calibrate emg --top-up), the same with "
                "calibrate emg's defaults (200/50 ms), "
                "and the whole new session streamed with and without online adaptation (run emg --adapt), "
                "beside LibEMG HTD+LDA; per-window comparison of unsupervised transfer (re-standardisation, CORAL, "
                "Riemannian re-centring)",
    units=_cross_units, run_unit=_cross_run,
    summary=_cross_summary,
    unit_metrics=("accuracy", "balanced_accuracy", "accuracy_few_shot", "accuracy_restandardised",
                  "accuracy_no_adaptation", "accuracy_htd_lda", "accuracy_default_few_shot"),
))


def _shift_run(key: dict, quick: bool) -> dict:
    """libemg_myo_test: reps 0-2 for training, rep 3 (recorded with the band rotated) as the new
    session: every unsupervised method on rep 3's own unlabeled windows, the online adaptation
    streamed, the best circular channel shift found with the labels (an upper bound), and the
    few-shot labelled class means adapted on the first half of each class's rep-3 windows and
    scored on the second half (beside re-standardisation on the same halves)."""
    from ..datasets import dataset_dir
    from .datasets import load_libemg_myo_test

    data = load_libemg_myo_test(dataset_dir("libemg_myo_test"))
    train, test = data.select(rep=[0, 1, 2]), data.select(rep=3)
    bench = _Transfer(train)
    w_te, y_te, _ = bench.pipe.windows(test)
    acc = bench.accuracies(w_te, w_te, y_te)
    fitted = EMGPipeline(**CROSS).fit(train)
    for name, rate in (("streamed", None), ("online_adaptation", ADAPT_RATE)):
        p = copy.deepcopy(fitted)
        p.adapt_rate = rate
        y, dec = p.stream(test)
        acc[name] = float(np.mean(dec[:, 0] == y))
    first = np.zeros(len(y_te), bool)
    for c in np.unique(y_te):
        mine = np.flatnonzero(y_te == c)
        first[mine[: len(mine) // 2]] = True
    halves = bench.accuracies(w_te[first], w_te[~first], y_te[~first], y_te[first])
    for name in ("restandardise", "restandardise_labelled_means"):
        acc[f"{name}_halves"] = halves[name]
    acc["best_channel_shift_with_labels"] = max(
        bench.restandardised_accuracy(np.roll(w_te, -k, axis=2), np.roll(w_te, -k, axis=2), y_te)
        for k in range(w_te.shape[2]))
    return {"metrics": {f"accuracy_{k}": float(v) for k, v in acc.items()}}


register(Task(
    name="emg.electrode-shift", chain="emg", dataset="libemg_myo_test",
    description="a held-out band rotation (libemg_myo_test rep 3, recorded with the armband rotated; nothing was "
                "tuned on it): train reps 0-2, unsupervised transfer on rep 3 (re-standardisation, CORAL, "
                "Riemannian re-centring, online adaptation), the best circular channel shift with labels, and "
                "few-shot class means adapted on the first half of each class's rep-3 windows (scored on the second)",
    units=lambda quick: [{}], run_unit=_shift_run,
))


# -- learning curve ------------------------------------------------------------------------
def _curve_units(quick: bool) -> list[dict]:
    return [{"subject": s, "session": k, "train_reps": r} for s in _subjects(quick)
            for k in ((1,) if quick else (1, 2, 3)) for r in (1, 2, 3, 4)]


def _curve_run(key: dict, quick: bool) -> dict:
    data = _myo().select(subject=key["subject"], session=key["session"])
    train, test = data.select(rep=list(range(key["train_reps"]))), data.select(rep=[4, 5])
    n_cls = len(data.classes)
    out = {"metrics": {}, "peers": {}}
    for name, cfg in (("best", BEST), ("htd_lda", BASELINE)):
        m, _ = _score(*EMGPipeline(**cfg).fit(train).decide(test)[:2], n_cls)
        out["metrics"][f"accuracy_{name}_k{key['train_reps']}"] = m["accuracy"]

    def peer():
        y_te, res = _libemg(EMGPipeline(**BASELINE), train, test, n_live=1)
        m, _ = classification_metrics(y_te, np.asarray(res["pred"]), labels=list(range(n_cls)))
        return {f"accuracy_htd_lda_k{key['train_reps']}": m["accuracy"]}

    out["peers"]["libemg"] = _peer_block(peer)
    return out


register(Task(
    name="emg.learning-curve", chain="emg", dataset=DATASET,
    description="myo_readings_wrist8, per session: train reps 0..k-1 (k = 1..4), test reps 4-5; sensekit best and "
                "HTD+LDA beside LibEMG HTD+LDA",
    units=_curve_units, run_unit=_curve_run,
))


# -- feature and decision speed ----------------------------------------------------------------
def _speed_units(quick: bool) -> list[dict]:
    return [{"group": g} for g in ("HTD", "TD9")]


def _speed_run(key: dict, quick: bool) -> dict:
    sim = EMGSimulator(8, 5, rate=200.0, seed=3)
    trials = sim.trials(reps=2 if quick else 60, duration_s=5.0)
    x = np.concatenate([t.data for t in trials.trials])  # one continuous recording (25 min when not quick)
    L, hop = 40, 10  # 200 ms / 50 ms at 200 Hz
    w = np.lib.stride_tricks.sliding_window_view(x, L, axis=0)[::hop].transpose(0, 2, 1)  # (n, L, C) views
    y = np.repeat(np.arange(len(w)) % 5, 1)
    reps = 5
    t = time.perf_counter()
    for _ in range(reps):
        extract_continuous(x, key["group"], length=L, hop=hop, rate=200.0)
    batch_s = (time.perf_counter() - t) / reps
    t = time.perf_counter()
    for _ in range(reps):
        compute_features(w, key["group"], rate=200.0)
    window_s = (time.perf_counter() - t) / reps
    g = key["group"]
    metrics = {"windows": float(len(w))}
    speed = {f"feature_windows_per_s_{g}": len(w) / batch_s, f"feature_windows_per_s_window_path_{g}": len(w) / window_s}
    if key["group"] == "HTD":
        pipe = EMGPipeline(window_ms=200, increment_ms=50, features="HTD", vote=5).fit(trials)
        live, _ = _live_speed(pipe, trials, max_s=60.0)
        speed.update(live_decision_us=live["latency_p50_ms"] * 1e3, live_decision_p99_us=live["latency_p99_ms"] * 1e3)

    def peer():
        wl = np.ascontiguousarray(w.transpose(0, 2, 1))  # LibEMG's (n, channels, length)
        out = run_peer("libemg", _LIBEMG, {"W_train": wl, "y_train": y, "W_test": wl,
                                           "group": np.array(key["group"] if key["group"] != "TD9" else "LS9"),
                                           "n_live": np.array(300), "vote": np.array(5),
                                           "return_features": np.array(True)})
        lib = np.column_stack([np.asarray(v).reshape(len(w), -1) for v in out["features"].values()])
        ref = extract_continuous(x, list(out["features"]), length=L, hop=hop, rate=200.0, libemg_ssc=True)
        agree = np.abs(ref - lib) <= 1e-9 * np.maximum(1, np.abs(lib))
        metrics[f"features_equal_to_libemg_1e-9_{g}"] = float(np.mean(agree))
        res = {f"feature_windows_per_s_{g}": len(w) / out["features_batch_s"]}
        if key["group"] == "HTD":
            res.update(live_decision_us=out["live_decision_us"], live_feature_us=out["live_feature_us"],
                       live_predict_us=out["live_predict_us"], live_vote_us=out["live_vote_us"])
        return res

    peers = {"libemg": _peer_block(peer)}
    lib = peers["libemg"]
    if f"feature_windows_per_s_{g}" in lib:
        metrics[f"feature_speedup_vs_libemg_{g}"] = speed[f"feature_windows_per_s_{g}"] / lib[f"feature_windows_per_s_{g}"]
        if "live_decision_us" in lib:
            metrics["live_speedup_vs_libemg"] = lib["live_decision_us"] / speed["live_decision_us"]
    return {"metrics": metrics, "speed": speed, "peers": peers}


register(Task(
    name="emg.speed", chain="emg", dataset=None,
    description="feature extraction (windows/s: sensekit's running sums over the continuous signal, LibEMG on its "
                "windows) and one decision per increment on the live path (features + LDA + 5-vote, us), 8 ch 200 Hz",
    units=_speed_units, run_unit=_speed_run,
))


# -- simulator -----------------------------------------------------------------------------
def _synth_units(quick: bool) -> list[dict]:
    snrs = (0.0, 20.0) if quick else (-5.0, 0.0, 10.0, 20.0)
    shifts = (1.0,) if quick else (0.25, 0.5, 1.0)
    return [{"snr_db": s, "electrode_shift": 0.0} for s in snrs] + [{"snr_db": 0.0, "electrode_shift": e}
                                                                      for e in shifts]


#: Simulated bands (simulator seeds) each unit is averaged over: one band can be a coincidence
#: (seed 7 at half an electrode: one class's pattern shifted lands on another's).
SYNTH_BANDS = 10


def _synth_run(key: dict, quick: bool) -> dict:
    """HTD+LDA trained without shift, and the cross-session recipe adapted
    (:meth:`EMGPipeline.adapt`: re-standardised, class means self-trained without labels, or
    moved to the labelled windows: few-shot) on one repetition per class of the shifted
    session, on each of ``SYNTH_BANDS`` bands."""
    plain, adapted, few_shot, methods = [], [], [], []
    for seed in range(3 if quick else SYNTH_BANDS):
        train_sim = EMGSimulator(8, 5, rate=1000.0, snr_db=key["snr_db"], seed=seed)
        test_sim = EMGSimulator(8, 5, rate=1000.0, snr_db=key["snr_db"], electrode_shift=key["electrode_shift"],
                                seed=seed)
        train = train_sim.trials(reps=4, duration_s=2.0, session=1)
        test = test_sim.trials(reps=2, duration_s=2.0, session=2)
        pipe = EMGPipeline(**{**BASELINE, "bandpass_hz": (20.0, 450.0)}).fit(train)
        plain.append(_score(*pipe.decide(test)[:2], 5)[0]["accuracy"])
        cross = EMGPipeline(**{**CROSS, "bandpass_hz": (20.0, 450.0)}).fit(train)
        adapt = test_sim.trials(reps=1, duration_s=2.0, session=3)  # another part of the session
        labelled = copy.deepcopy(cross).adapt(adapt, labelled=True)
        cross.adapt(adapt)
        adapted.append(_score(*cross.decide(test)[:2], 5)[0]["accuracy"])
        few_shot.append(_score(*labelled.decide(test)[:2], 5)[0]["accuracy"])
        if key["electrode_shift"] > 0:  # the transfer methods of emg.cross-session, on a band of known shift
            bench = _Transfer(train)
            w_ev, y_ev, _ = bench.pipe.windows(test)
            w_ad, y_ad, _ = bench.pipe.windows(adapt)
            methods.append(bench.accuracies(w_ad, w_ev, y_ev, y_ad))
    tag = f"snr{key['snr_db']:g}_shift{key['electrode_shift']:g}"
    metrics = {f"accuracy_{tag}": float(np.mean(plain)), f"accuracy_{tag}_worst_band": min(plain),
               f"adapted_accuracy_{tag}": float(np.mean(adapted)),
               f"adapted_accuracy_{tag}_worst_band": min(adapted),
               f"few_shot_accuracy_{tag}": float(np.mean(few_shot)), f"few_shot_accuracy_{tag}_worst_band": min(few_shot)}
    for name in methods[0] if methods else ():
        values = [m[name] for m in methods]
        metrics[f"window_accuracy_{name}_{tag}"] = float(np.mean(values))
        metrics[f"window_accuracy_{name}_{tag}_worst_band"] = min(values)
    return {"metrics": metrics, "peers": {}}


register(Task(
    name="emg.synth", chain="emg", dataset=None,
    description="simulated 8-ch 1 kHz sEMG, 5 classes, 10 simulated bands: HTD+LDA accuracy against SNR and "
                "electrode shift (trained without shift), and the cross-session recipe adapted (re-standardised, "
                "class means self-trained) on one unlabeled repetition per class of the shifted session, or with "
                "that repetition's labels (few-shot class means), beside every transfer method of "
                "emg.cross-session; mean and worst band",
    units=_synth_units, run_unit=_synth_run,
))
