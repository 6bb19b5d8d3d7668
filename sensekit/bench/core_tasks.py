"""Benchmark tasks of the core: a toy classification through core stages (with a
scikit-learn peer), and HDF5 replay throughput (against sosfilt on the whole array)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import signal

from ..core import Chain, Frame, StreamInfo, run
from ..core.recording import RecordingWriter, open_recording
from ..core.sources import ReplaySource
from ..core.stages import BandPass, Window
from ..learn.metrics import classification_metrics
from .peers import PeerUnavailable, run_peer
from .speed import measure_blocks
from .task import Task, register

RATE = 1000.0
CLASSES = (40.0, 90.0, 160.0)  # dominant frequency (Hz) of each class
_ADAPTERS = Path(__file__).with_name("adapters")


def _simulate(subject: int, seconds_per_class: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """4-channel noise whose class shows as a sine on a subject-specific channel mix."""
    rng = np.random.default_rng(1000 * subject + seed)
    mix = np.abs(rng.normal(1.0, 0.5, (len(CLASSES), 4)))
    n = int(seconds_per_class * RATE)
    t = np.arange(n) / RATE
    xs, ys = [], []
    for c, f in enumerate(CLASSES):
        tone = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))[:, None] * mix[c]
        xs.append(tone + rng.normal(0, 1.0, (n, 4)))
        ys.append(np.full(n, c))
    return np.concatenate(xs), np.concatenate(ys)


def _features(chain: Chain, info: StreamInfo, x: np.ndarray, block: int) -> tuple[np.ndarray, list[Frame], float]:
    """Log-variance per band and channel of each window; also the blocks (for timing)."""
    frames = [Frame(info, x[i : i + block], t0=i / RATE, seq=k) for k, i in enumerate(range(0, len(x), block))]
    chain.reset()
    wins = [w for w in (chain.process(f) for f in frames) if w is not None]
    windows = np.concatenate([w.data for w in wins])
    return np.log(np.var(windows, axis=1) + 1e-12), frames, len(x) / RATE


class _BandFeatures:
    """Three band-pass chains (one per class band) + windows -> log-variance features."""

    def __init__(self, info: StreamInfo):
        self.chains = [Chain(BandPass(f * 0.8, f * 1.2), Window(length_s=0.2, hop_s=0.1)) for f in CLASSES]
        for c in self.chains:
            c.open(info)
        self.info = info

    def transform(self, x: np.ndarray, block: int = 100):
        feats = [_features(c, self.info, x, block)[0] for c in self.chains]
        return np.concatenate(feats, axis=1)

    def reset(self):
        for c in self.chains:
            c.reset()

    def process(self, frame: Frame):
        return [c.process(frame) for c in self.chains]


def _window_labels(y: np.ndarray) -> np.ndarray:
    L, hop = int(0.2 * RATE), int(0.1 * RATE)
    ends = np.arange(L - 1, len(y), hop)
    return y[ends]


def _toy_units(quick: bool) -> list[dict]:
    return [{"subject": s, "fold": f} for s in range(2 if quick else 4) for f in range(2)]


def _toy_run(key: dict, quick: bool) -> dict:
    seconds = 4.0 if quick else 20.0
    info = StreamInfo("toy", "signal", RATE, (4,))
    x_a, y_a = _simulate(key["subject"], seconds, seed=0)
    x_b, y_b = _simulate(key["subject"], seconds, seed=1)
    (x_tr, y_tr), (x_te, y_te) = ((x_a, y_a), (x_b, y_b)) if key["fold"] == 0 else ((x_b, y_b), (x_a, y_a))
    fe = _BandFeatures(info)
    f_tr, f_te = fe.transform(x_tr), fe.transform(x_te)
    l_tr, l_te = _window_labels(y_tr), _window_labels(y_te)
    # sensekit: nearest class mean on standardised features
    mu, sd = f_tr.mean(0), f_tr.std(0) + 1e-12
    centroids = np.stack([((f_tr - mu) / sd)[l_tr == c].mean(0) for c in range(len(CLASSES))])
    distances = ((((f_te - mu) / sd)[:, None, :] - centroids[None]) ** 2).sum(-1)
    pred = np.argmin(distances, axis=1)
    metrics, confusion = classification_metrics(l_te, pred, labels=list(range(len(CLASSES))))
    frames = [Frame(info, x_te[i : i + 100], t0=i / RATE, seq=k) for k, i in enumerate(range(0, len(x_te), 100))]
    speed, lat = measure_blocks(fe.process, frames, len(x_te) / RATE, reset=fe.reset)
    result = {"metrics": metrics, "confusion": confusion, "speed": speed, "latencies_ms": lat.tolist(), "peers": {}}
    try:
        out = run_peer("scikit-learn", _ADAPTERS / "sklearn_lda.py", {"X_train": f_tr, "y_train": l_tr, "X_test": f_te})
        peer_metrics, _ = classification_metrics(l_te, np.asarray(out["pred"]), labels=list(range(len(CLASSES))))
        result["peers"]["scikit-learn"] = {**peer_metrics, "predict_us_per_window": out["seconds"] / len(f_te) * 1e6}
    except PeerUnavailable as e:
        result["peers"]["scikit-learn"] = {"skipped": str(e)}
    return result


register(Task(
    name="core.toy-bands",
    chain="core",
    description="simulated 4-ch 1 kHz signal, 3 classes by frequency band; band-pass + 200 ms windows + "
                "log-variance, nearest class mean (peer: scikit-learn LDA); 2-fold by recording",
    units=_toy_units,
    run_unit=_toy_run,
))


def _replay_units(quick: bool) -> list[dict]:
    return [{"recording_s": 60.0 if quick else 3600.0, "channels": 8, "rate_hz": 2000.0}]


def _replay_run(key: dict, quick: bool) -> dict:
    rate, ch, seconds = key["rate_hz"], key["channels"], key["recording_s"]
    info = StreamInfo("emg", "emg", rate, (ch,), dtype="float32", unit="uV")
    chunk = np.random.default_rng(0).standard_normal((int(rate * 10), ch)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rec.h5"
        with RecordingWriter(path) as rec:
            w = rec.add_stream(info)
            for i in range(int(seconds / 10)):
                w.append(Frame(info, chunk, t0=i * 10.0, seq=i))
        chain = Chain(BandPass(20, 450), Window(length_s=0.2, hop_s=0.05))
        stamps = [time.perf_counter()]
        report = run(ReplaySource(path), chain, on_block=lambda *_: stamps.append(time.perf_counter()))
        wall = stamps[-1] - stamps[0]
        latencies = np.diff(stamps)  # per block: read + band-pass + window
        with open_recording(path) as r:
            x = r.read().data
        sos = signal.butter(4, [20, 450], btype="bandpass", fs=rate, output="sos")
        t = time.perf_counter()
        signal.sosfilt(sos, x, axis=0)
        ref = time.perf_counter() - t
    lat = latencies
    return {
        "metrics": {"windows": float(report.samples_out)},
        "speed": {"x_realtime": report.stream_s / wall, "latency_p50_ms": float(np.percentile(lat, 50) * 1e3),
                  "latency_p99_ms": float(np.percentile(lat, 99) * 1e3), "blocks": report.blocks, "wall_s": wall},
        "latencies_ms": (lat * 1e3).tolist(),
        "peers": {"scipy-sosfilt-whole-array": {"x_realtime": seconds / ref, "wall_s": ref}},
    }


register(Task(
    name="core.replay",
    chain="core",
    description="replay of an 8-ch 2 kHz HDF5 recording (1 h; 60 s with --quick) through band-pass + 200 ms windows, "
                "against scipy.signal.sosfilt once on the whole array in memory",
    units=_replay_units,
    run_unit=_replay_run,
))
