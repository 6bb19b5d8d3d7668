"""Spatial-audio benchmark tasks (localisation).

- ``spatial.doa`` — a grid of rooms (RT60 0.2 / 0.4 / 0.8 s), SNRs (0 / 10 / 30 dB) and
  1–3 static sources around a ReSpeaker-6-like array at 16 kHz: mean and median absolute
  azimuth error and the fraction within 10°, for each sensekit estimator, beside
  pyroomacoustics' SRP, MUSIC, NormMUSIC and TOPS on the same signals (optional peer),
  with ms per estimate.
- ``spatial.streaming`` — the live chain (STFT → SRP-PHAT → tracker) on a 6-mic, 16 kHz
  stream with a moving source: latency per hop (p50, p99), × real time on one core, and
  the tracking error.
- ``spatial.array-calibration`` — a simulated array with known channel gains, delays,
  polarity and position errors: recovery errors, and the DOA error before and after.
- ``spatial.locata`` — LOCATA recordings (your copy; SENSEKIT_LOCATA), when present.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..bench.peers import PeerUnavailable, run_peer
from ..bench.task import Task, register
from ..core import Frame, StreamInfo
from ..core.run import feed
from .arrays import array_preset, load_array, unit_vector
from .doa import ESTIMATORS
from .pipeline import STFT_WINDOWS, LocalisePipeline
from .stages import STFT, DOAEstimator, DOATracker
from .synth import doa_scene, moving_source, random_azimuths

ADAPTERS = Path(__file__).with_name("adapters")
FS = 16000.0
NFFT = 512
BAND = (300.0, 3500.0)
PRA_METHODS = {"SRP": "SRP", "MUSIC": "MUSIC", "NormMUSIC": "NormMUSIC", "TOPS": "TOPS"}


def assignment_errors(true_az, est_az) -> np.ndarray:
    """Absolute azimuth errors (deg) after the best one-to-one matching of estimates to
    sources; a missing estimate counts 180°."""
    from scipy.optimize import linear_sum_assignment

    t = np.asarray(true_az, dtype=float)
    e = np.asarray(est_az, dtype=float)
    d = np.abs((t[:, None] - e[None, :] + 180) % 360 - 180)
    d = np.where(np.isfinite(d), d, 180.0)
    r, c = linear_sum_assignment(d)
    out = np.full(t.size, 180.0)
    out[r] = d[r, c]
    return out


def _summary(err: np.ndarray, prefix: str = "") -> dict:
    return {f"{prefix}mean_error_deg": float(np.mean(err)), f"{prefix}median_error_deg": float(np.median(err)),
            f"{prefix}within_10deg": float(np.mean(err <= 10))}




def _stft(x: np.ndarray, geom, window: str = "hann") -> Frame:
    info = StreamInfo("a", "audio", FS, (geom.n_mics,), dtype="float64", meta={"array": geom.to_dict()})
    st = STFT(NFFT, NFFT // 2, window)
    st.open(info)
    return feed(st, [Frame(info, x, t0=0.0)]), st.output_info


def _doa_run(key: dict, quick: bool) -> dict:
    geom = array_preset("respeaker6")
    rng = np.random.default_rng(int(key["rt60"] * 1000 + key["snr"] * 10 + key["sources"]))
    trials = 3 if quick else 10
    k = key["sources"]
    truths, xs = [], []
    for _ in range(trials):
        az = random_azimuths(k, rng, 40.0)
        truths.append(az)
        xs.append(doa_scene(geom, azimuths=az, rt60=key["rt60"], snr_db=key["snr"], duration_s=1.0, fs=FS, rng=rng))
    metrics, speed = {}, {}
    info = StreamInfo("a", "audio", FS, (geom.n_mics,), dtype="float64", meta={"array": geom.to_dict()})
    for method in ESTIMATORS:
        errs, times = [], []
        # the chain 'sensekit spatial localise --window <whole file> --no-gate' runs, fed in blocks
        pipe = LocalisePipeline(method, k, window_s=None, gate_db=None, freq_range=BAND)
        for az, x in zip(truths, xs, strict=True):
            row = pipe.localise(Frame(info, x, t0=0.0)).data[-1]
            errs.append(assignment_errors(az, row.reshape(-1, 4)[:, 0]))
            # time the estimate alone (as the peers' figures are), on the same spectra
            X, sinfo = _stft(x, geom, STFT_WINDOWS[method])
            est = DOAEstimator(method, n_sources=k, window_frames=10_000, gate_db=None, freq_range=BAND)
            est.open(sinfo)
            est.estimate(X.data[:, est._bins, :])  # warm the steering cache
            t = time.perf_counter()
            est.estimate(X.data[:, est._bins, :])
            times.append(time.perf_counter() - t)
        err = np.concatenate(errs)
        prefix = "" if method == "srp-phat" else f"{method}_"
        metrics.update(_summary(err, prefix))
        speed[f"{prefix}ms_per_estimate"] = float(np.median(times) * 1e3)
    peers = {}
    try:
        out = run_peer("pyroomacoustics", ADAPTERS / "pyroomacoustics_doa.py", {
            "x": np.stack(xs), "mics": geom.xyz.T, "fs": FS, "nfft": NFFT, "num_src": k, "freq_lo": BAND[0],
            "freq_hi": BAND[1], "methods": ",".join(PRA_METHODS.values())})
        for label, name in PRA_METHODS.items():
            err = np.concatenate([assignment_errors(az, est) for az, est in zip(truths, out[name]["azimuths"],
                                                                              strict=True)])
            peers[f"pyroomacoustics {label}"] = {**_summary(err), "ms_per_estimate": out[name]["ms_per_call"]}
    except PeerUnavailable as e:
        peers["pyroomacoustics"] = {"skipped": str(e)}
    return {"metrics": metrics, "speed": speed, "peers": peers}


def _doa_units(quick: bool) -> list[dict]:
    if quick:
        return [{"rt60": 0.3, "snr": 10.0, "sources": 1}, {"rt60": 0.4, "snr": 10.0, "sources": 2}]
    return [{"rt60": r, "snr": s, "sources": k} for r in (0.2, 0.4, 0.8) for s in (0.0, 10.0, 30.0) for k in (1, 2, 3)]


register(Task(
    name="spatial.doa", chain="spatial", description="simulated rooms (RT60 0.2-0.8 s, SNR 0-30 dB diffuse noise, "
    "1-3 static noise sources, 1 s), ReSpeaker-6 geometry, 16 kHz; azimuth error of SRP-PHAT, GCC-PHAT, MUSIC, "
    "NormMUSIC beside pyroomacoustics SRP, MUSIC, NormMUSIC, TOPS", units=_doa_units, run_unit=_doa_run,
))


def _streaming_run(key: dict, quick: bool) -> dict:
    geom = array_preset("respeaker6")
    dur = 2.0 if quick else 6.0
    x, truth = moving_source(geom, speed_deg_s=45.0, duration_s=dur, rt60=0.3, snr_db=20.0, fs=FS, rng=1)
    info = StreamInfo("a", "audio", FS, (6,), dtype="float32", meta={"array": geom.to_dict()})
    stages = [STFT(NFFT, NFFT // 2), DOAEstimator("srp-phat", window_frames=8, gate_db=None), DOATracker(1)]
    infos = [info]
    for s in stages:
        infos.append(s.open(infos[-1]))
    hop = NFFT // 2
    lat, outs = [], []
    xs = x.astype(np.float32)
    for i in range(0, len(xs) - hop + 1, hop):
        f = Frame(info, xs[i : i + hop], t0=i / FS)
        t = time.perf_counter()
        for s in stages:
            f = s.process(f) if f is not None else None
        lat.append(time.perf_counter() - t)
        if f is not None:
            outs.append(f)
    tracks = np.concatenate([o.data for o in outs])
    t_out = np.concatenate([o.times for o in outs])
    # an estimate stamped t (its newest frame's start) covers frames t - 7 hops .. t + nfft:
    # compare with the truth at the window's centre
    centre_idx = np.clip((t_out * FS + (NFFT - 7 * hop) / 2).astype(int), 0, len(truth) - 1)
    ok = np.isfinite(tracks[:, 1])
    err = np.abs((tracks[ok, 1] - truth[centre_idx[ok]] + 180) % 360 - 180)
    lat_ms = np.array(lat) * 1e3
    return {"metrics": {"tracking_mean_error_deg": float(err.mean()), "tracking_median_error_deg": float(np.median(err)),
                        "tracked_fraction": float(ok.mean()), "track_ids": int(np.unique(tracks[ok, 0]).size)},
            "speed": {"latency_p50_ms": float(np.median(lat_ms)), "latency_p99_ms": float(np.percentile(lat_ms, 99)),
                      "hop_ms": hop / FS * 1e3, "x_realtime": float(hop / FS / np.mean(lat))},
            "latencies_ms": lat_ms.tolist()}


register(Task(
    name="spatial.streaming", chain="spatial", description="live chain STFT(512/256) -> SRP-PHAT (8 frames) -> "
    "tracker on a 6-mic 16 kHz stream, a source circling at 45 deg/s (RT60 0.3 s, SNR 20 dB): latency per hop, x real "
    "time, tracking error", units=lambda quick: [{}], run_unit=_streaming_run,
))


def _calibration_run(key: dict, quick: bool) -> dict:
    from .arrays import ArrayGeometry, unit_vector
    from .calibrate import ArrayCorrection, calibrate_array, exponential_sweep, measure_responses
    from .room import ShoeboxRoom

    geom = array_preset("respeaker6")
    rng = np.random.default_rng(7)
    gains = rng.uniform(0.7, 1.3, 6)
    gains[0] = 1.0
    delays = np.r_[0.0, rng.uniform(-3, 3, 5)] / FS
    pol = np.where(rng.random(6) < 0.2, -1.0, 1.0)
    pol[0] = 1.0
    pos_err = np.c_[rng.normal(0, 0.003, (6, 2)), np.zeros(6)]
    pos_err[0] = 0
    actual = ArrayGeometry(tuple(map(tuple, geom.xyz + pos_err)), "actual")
    room = ShoeboxRoom((6, 5, 3), rt60=0.25)
    centre = np.array([2.9, 2.4, 1.2])

    def record(sig, az, seed):
        src = centre + 1.5 * unit_vector(az, 0)
        x = room.simulate(sig[None], src[None], actual.xyz + centre, FS, snr_db=30, rng=seed)
        n = len(x)
        f = np.fft.rfftfreq(n, 1 / FS)
        x = np.fft.irfft(np.fft.rfft(x, axis=0) * np.exp(-2j * np.pi * f[:, None] * delays[None]), n, axis=0)
        return x * gains * pol

    sweep = exponential_sweep(FS, 1.0)
    dirs = [(0.0, 0.0), (95.0, 0.0), (200.0, 0.0), (290.0, 0.0)]
    resp = [measure_responses(record(np.r_[sweep, np.zeros(int(FS / 2))], az, i), sweep, FS) for i, (az, _) in
            enumerate(dirs)]
    cal = calibrate_array(resp, geom, FS, dirs)
    metrics = {"gain_error_pct": float(np.max(np.abs(cal.gains * gains - 1)) * 100),
               "delay_error_samples": float(np.max(np.abs(cal.delays_s - delays)) * FS),
               "polarity_correct": float(np.mean(cal.polarity * pol == 1)),
               "position_error_mm": float(np.max(np.linalg.norm(cal.positions - actual.xyz, axis=1)) * 1000)}
    # localisation before and after
    before, after = [], []
    for trial in range(4 if quick else 12):
        az = float(rng.uniform(0, 360))
        x = record(rng.standard_normal(int(FS)), az, 100 + trial)
        X, sinfo = _stft(x, geom)
        est = DOAEstimator("srp-phat", window_frames=10_000, gate_db=None)
        est.open(sinfo)
        before.append(assignment_errors([az], [est.estimate(X.data[:, est._bins, :])[0]])[0])
        info = StreamInfo("a", "audio", FS, (6,), dtype="float64", meta={"array": geom.to_dict()})
        corr = ArrayCorrection(cal)
        corr.open(info)
        y = feed(corr, [Frame(info, x, t0=0.0)])
        Y, yinfo = _stft(y.data, cal.corrected_geometry(geom))
        est2 = DOAEstimator("srp-phat", window_frames=10_000, gate_db=None)
        est2.open(yinfo)
        after.append(assignment_errors([az], [est2.estimate(Y.data[:, est2._bins, :])[0]])[0])
    metrics.update({"doa_error_before_deg": float(np.mean(before)), "doa_error_after_deg": float(np.mean(after))})
    return {"metrics": metrics}


register(Task(
    name="spatial.array-calibration", chain="spatial", description="simulated ReSpeaker-6 with gain (+-30 %), delay "
    "(+-3 samples), polarity and 3 mm position errors; sweeps from 4 known directions: recovery errors, SRP-PHAT "
    "error before/after correction", units=lambda quick: [{}], run_unit=_calibration_run,
))


def _locata_units(quick: bool) -> list[dict]:
    from ..datasets import dataset_dir
    from .datasets import locata_recordings

    folders = locata_recordings(dataset_dir("locata"), tasks=(1,))
    return [{"folder": str(f)} for f in (folders[:1] if quick else folders)]


def _locata_run(key: dict, quick: bool) -> dict:
    from .datasets import load_locata

    rec = load_locata(key["folder"])
    if rec.geometry is None:
        return {"metrics": {}, "errors": ["no microphone positions in the position file"]}
    info = StreamInfo("a", "audio", rec.rate, (rec.audio.shape[1],), dtype="float32",
                      meta={"array": rec.geometry.to_dict()})
    st = STFT(1024, 512)
    st.open(info)
    X = feed(st, [Frame(info, rec.audio, t0=0.0)])
    est = DOAEstimator("srp-phat", window_frames=16, every=8)
    est.open(st.output_info)
    out = feed(est, [X])
    src = next(iter(rec.azimuths))
    truth = np.interp(out.times, rec.times, np.unwrap(np.radians(rec.azimuths[src])))
    ok = np.isfinite(out.data[:, 0])
    err = np.abs((out.data[ok, 0] - np.degrees(truth[ok]) + 180) % 360 - 180)
    return {"metrics": _summary(err)}


register(Task(
    name="spatial.locata", chain="spatial", dataset="locata", description="LOCATA task 1 (one static talker), "
    "benchmark2 array, SRP-PHAT every 8 frames vs the optical ground truth (your copy: SENSEKIT_LOCATA)",
    units=_locata_units, run_unit=_locata_run,
))


# -- rendering ---------------------------------------------------------------------------
def _capacity_run(key: dict, quick: bool) -> dict:
    from scipy.signal import oaconvolve

    from .hrtf import spherical_head
    from .renderer import BinauralRenderer
    from .scene import Scene

    fs, block, n_src = 48000.0, 256, int(key["sources"])
    dur = 0.25 if quick else 1.0
    rng = np.random.default_rng(0)
    hrtf = spherical_head(fs, n_taps=256)
    start = rng.uniform(0, 360, n_src)
    speed = rng.uniform(20, 60, n_src) * rng.choice([-1, 1], n_src)  # deg/s: every source moves
    scene = Scene.from_dict({"sources": [{"channel": i, "keyframes": [[0.0, start[i], 0.0, 1.5],
                                                                      [dur, start[i] + speed[i] * dur, 0.0, 1.5]]}
                                         for i in range(n_src)]})
    x = rng.standard_normal((int(dur * fs), n_src))
    info = StreamInfo("s", "audio", fs, (n_src,), dtype="float64")
    if key.get("mode") == "ambisonics":
        from .ambisonics import AmbisonicRenderer

        r = AmbisonicRenderer(scene, hrtf, order=3, block=block)
    else:
        r = BinauralRenderer(scene, hrtf, block=block)
    r.open(info)
    t = time.perf_counter()
    for i in range(0, len(x), block):
        r.process(Frame(info, x[i : i + block], t0=i / fs))
    spent = time.perf_counter() - t
    # the reference: scipy.signal.oaconvolve of every source's block with its 2 x 256-tap HRIR
    h = hrtf.interpolate(start, np.zeros(n_src))
    n_blocks = min(len(x) // block, 40)
    t = time.perf_counter()
    for b in range(n_blocks):
        seg = x[b * block : (b + 1) * block]
        for s in range(n_src):
            oaconvolve(seg[:, s][None], h[s], axes=1)
    ref = (time.perf_counter() - t) / n_blocks * (len(x) / block)
    speed = {"x_realtime": dur / spent, "ms_per_block": spent / (len(x) / block) * 1e3}
    # per-unit figures (the report's speed columns are averaged over units)
    return {"metrics": {"sources": n_src, "ambisonics": float(key.get("mode") == "ambisonics"),
                        "x_realtime": speed["x_realtime"], "reference_x_realtime": dur / ref,
                        "throughput_ratio": ref / spent},
            "speed": speed, "peers": {"scipy oaconvolve per source and block": {"x_realtime": dur / ref}}}


register(Task(
    name="spatial.render-capacity", chain="spatial", description="moving sources (20-60 deg/s each) through the "
    "direct-HRTF renderer, 48 kHz, 256-sample blocks, 2x256-tap HRIRs, one core: x real time per source count, beside "
    "scipy.signal.oaconvolve per source and block; and through third-order Ambisonics",
    units=lambda quick: [{"sources": s, "mode": "direct"} for s in ((16, 64) if quick else (16, 64, 128, 256, 512))]
    + [{"sources": s, "mode": "ambisonics"} for s in ((64,) if quick else (256, 1000, 2000))],
    run_unit=_capacity_run,
))


def _render_quality_run(key: dict, quick: bool) -> dict:
    from .hrtf import onset_times, spherical_head, woodworth_itd
    from .renderer import BinauralRenderer
    from .reverb import OCTAVE_BANDS, binaural_room_ir, schroeder_rt60
    from .scene import Scene

    fs = 48000.0
    hrtf = spherical_head(fs)
    metrics = {}
    # ITD of the rendered direct sound against Woodworth's formula (interpolated directions)
    errs = []
    for az in np.arange(7.5, 90, 15.0):
        imp = np.zeros((2048, 1))
        imp[0] = 1.0
        r = BinauralRenderer(Scene.static([az]), hrtf)
        r.open(StreamInfo("s", "audio", fs, (1,), dtype="float64"))
        y = feed(r, [Frame(r.input_info, imp, t0=0.0)]).data.T
        on = onset_times(y, fs)
        errs.append(abs((on[1] - on[0]) - woodworth_itd(az)) * 1e6)
    metrics["itd_error_us_max"] = float(np.max(errs))
    metrics["itd_error_us_mean"] = float(np.mean(errs))
    # RT60 per band of the rendered room response (T30, both ears), over seeds
    rts = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.4])
    seeds = 2 if quick else 5
    rel = []
    for seed in range(seeds):
        br = binaural_room_ir((8, 6, 3), (5.0, 3.0, 1.5), (2.0, 3.0, 1.5), hrtf, rt60=rts, rng=seed)
        rel.append([schroeder_rt60(br, fs, band=b) / t - 1 for b, t in zip(OCTAVE_BANDS[1:6], rts[1:6], strict=True)])
    rel = np.abs(np.array(rel)) * 100
    for b, col in zip(OCTAVE_BANDS[1:6], rel.T, strict=True):
        metrics[f"rt60_error_pct_{int(b)}hz_max"] = float(col.max())
    # the reverberant case beside pyroomacoustics: the same room, uniform RT60, mono "ears"
    peers = {}
    room, src, lis = (8.0, 6.0, 3.0), (5.0, 3.0, 1.5), (2.0, 3.0, 1.5)
    t = time.perf_counter()
    br = binaural_room_ir(room, src, lis, hrtf, rt60=0.6, rng=0)
    metrics["room_ir_s"] = time.perf_counter() - t
    metrics["room_rt60_error_pct_1000hz"] = abs(schroeder_rt60(br, fs, band=1000.0) / 0.6 - 1) * 100
    try:
        ears = np.array(lis)[:, None] + np.array([[0.0, 0.0], [0.0875, -0.0875], [0.0, 0.0]])
        out = run_peer("pyroomacoustics", ADAPTERS / "pyroomacoustics_room.py",
                       {"size": np.array(room), "rt60": 0.6, "fs": fs, "source": np.array(src), "mics": ears})
        rir = np.asarray(out["rir"])
        err = abs(schroeder_rt60(rir, fs, band=1000.0) / 0.6 - 1) * 100
        peers["pyroomacoustics ShoeBox (image sources only, mono)"] = {
            "room_ir_s": out["s"], "room_rt60_error_pct_1000hz": err, "max_order": out["max_order"]}
    except PeerUnavailable as e:
        peers["pyroomacoustics"] = {"skipped": str(e)}
    # clicks at filter switches: a source sweeping 180 deg/s, cross-faded vs hard-switched
    n = int(fs)
    x = np.sin(2 * np.pi * 440 * np.arange(n) / fs)[:, None]
    scene = Scene.from_dict({"sources": [{"keyframes": [[0.0, 0, 0, 1], [1.0, 180, 0, 1]]}]})
    peaks = {}
    for fade in (True, False):
        r = BinauralRenderer(scene, hrtf, update_deg=0.0, crossfade=fade)
        r.open(StreamInfo("s", "audio", fs, (1,), dtype="float64"))
        y = feed(r, [Frame(r.input_info, x, t0=0.0)]).data[:, 0]
        peaks[fade] = float(np.max(np.abs(np.diff(y, 2)[2000:-2000])))
    metrics["click_second_difference_ratio"] = peaks[True] / peaks[False]
    return {"metrics": metrics, "peers": peers}


register(Task(
    name="spatial.render-quality", chain="spatial", description="spherical-head renderer: ITD of rendered directions vs "
    "Woodworth; room responses (8x6x3 m, RT60 0.4-0.9 s per octave): T30 error per band, and time and RT60 beside "
    "pyroomacoustics' ShoeBox for the same room; click energy at filter switches with/without crossfade",
    units=lambda quick: [{}], run_unit=_render_quality_run,
))


#: Octave bands (Hz) in which the encoded field's direction is scored.
ENCODE_BANDS = ((177, 354), (354, 707), (707, 1414), (1414, 2828), (2828, 5657), (5657, 11314))
ENCODE_ARRAYS = ("tetra", "sphere32", "respeaker4", "respeaker6", "uma8")


def _field_direction_errors(b: np.ndarray, rate: float, truth: np.ndarray, horizontal: bool,
                            bands=ENCODE_BANDS) -> list[float]:
    """Angle (deg) between the true direction and the encoded field's active-intensity vector
    (the omni channel times the three first-order ones, ACN 0 x (3, 1, 2)) in each band."""
    from scipy.signal import butter, sosfiltfilt

    errs = []
    for lo, hi in bands:
        sos = butter(4, [lo, hi], "bandpass", fs=rate, output="sos")
        x = sosfiltfilt(sos, b, axis=0)[len(b) // 8:]
        v = np.array([np.mean(x[:, 0] * x[:, 3]), np.mean(x[:, 0] * x[:, 1]), np.mean(x[:, 0] * x[:, 2])])
        u = truth.copy()
        if horizontal:
            v[2] = u[2] = 0.0
        cos = v @ u / (np.linalg.norm(v) * np.linalg.norm(u) + 1e-300)
        errs.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
    return errs


def _encode_run(key: dict, quick: bool) -> dict:
    from .encode import AmbisonicEncoder, max_order, plane_wave_recording

    geom = load_array(key["array"])
    rate = 48000.0
    rng = np.random.default_rng(11)
    n_dir = 3 if quick else 8
    az = rng.uniform(0, 360, n_dir)
    el = np.zeros(n_dir) if geom.is_planar else np.degrees(np.arcsin(rng.uniform(-0.7, 0.7, n_dir)))
    signal = rng.standard_normal(int(rate // 2))
    order = min(max_order(geom), 3)
    enc = AmbisonicEncoder(geom, order)
    info = StreamInfo("array", "audio", rate, (geom.n_mics,), dtype="float64")
    enc.open(info)
    recordings = [plane_wave_recording(geom, signal, rate, a, e) for a, e in zip(az, el, strict=True)]
    errors, wall = [], 0.0
    for x, a, e in zip(recordings, az, el, strict=True):
        enc.reset()
        t = time.perf_counter()
        b = feed(enc, [Frame(info, x[i:i + 4800], t0=i / rate, seq=k) for k, i in enumerate(range(0, len(x), 4800))])
        wall += time.perf_counter() - t
        errors.append(_field_direction_errors(b.data, rate, unit_vector(a, e), geom.is_planar))
    med = np.median(np.asarray(errors), axis=0)
    rep = enc.report
    metrics = {f"dir_error_deg@{(lo * hi) ** 0.5:.0f}Hz": float(m) for (lo, hi), m in zip(ENCODE_BANDS, med, strict=True)}
    metrics["order"] = float(order)
    metrics["aliasing_hz"] = rep.aliasing_hz
    for n, band in rep.usable_hz.items():
        metrics[f"order{n}_usable_from_hz"] = band[0] if band else float("nan")
        metrics[f"order{n}_usable_to_hz"] = band[1] if band else float("nan")
        metrics[f"order{n}_noise_gain_db"] = rep.noise_gain_db[n]
    if geom.baffle == "open" and geom.directivity == "omni":  # the room simulator: reflections and noise
        room = []
        for a in az[:4]:
            x = doa_scene(geom, azimuths=[a], rt60=0.3, snr_db=20.0, fs=rate, duration_s=0.5, rng=int(a))
            enc.reset()
            b = feed(enc, [Frame(info, x, t0=0.0)]).data
            room.append(_field_direction_errors(b, rate, unit_vector(a, 0.0), geom.is_planar, bands=((300, 3000),))[0])
        metrics["room_dir_error_deg@300-3000Hz"] = float(np.median(room))
    peers = {}
    if key["array"] == "tetra":  # the textbook A-to-B matrix: sums and differences of the capsules, no filters
        m = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, -1, -1, 1], [1, 1, -1, -1]], dtype=float)  # W, Y, Z, X (ACN)
        errs = [_field_direction_errors(x @ m.T, rate, unit_vector(a, e), False) for x, a, e in zip(recordings, az, el,
                                                                                              strict=True)]
        peers["A-B matrix (textbook)"] = {f"dir_error_deg@{(lo * hi) ** 0.5:.0f}Hz": float(v) for (lo, hi), v in
                                          zip(ENCODE_BANDS, np.median(errs, axis=0), strict=True)}
    if geom.baffle == "rigid":
        xyz = geom.xyz / np.linalg.norm(geom.xyz, axis=1, keepdims=True)
        try:
            out = run_peer("spaudiopy", ADAPTERS / "spaudiopy_encode.py", {
                "x": np.asarray(recordings), "azi": np.arctan2(xyz[:, 1], xyz[:, 0]), "zen": np.arccos(xyz[:, 2]),
                "radius": geom.radius, "fs": rate, "order": order, "rigid": 1, "reg": 10 ** (-15 / 10)})
            b = np.asarray(out["b"])
            errs = [_field_direction_errors(b[i], rate, unit_vector(a, e), False) for i, (a, e) in enumerate(zip(az, el,
                                                                                                          strict=True))]
            peers["spaudiopy"] = {**{f"dir_error_deg@{(lo * hi) ** 0.5:.0f}Hz": float(v) for (lo, hi), v in
                                     zip(ENCODE_BANDS, np.median(errs, axis=0), strict=True)},
                                  "x_realtime": len(recordings) * len(signal) / rate / out["seconds"]}
        except PeerUnavailable as e:  # not installed, or failed (its venv broken: PeerFailed)
            peers["spaudiopy"] = {"skipped": str(e)[:200]}
    return {"metrics": metrics, "speed": {"x_realtime": len(recordings) * len(signal) / rate / wall},
            "peers": peers}


register(Task(
    name="spatial.encode", chain="spatial",
    description="microphone array -> Ambisonics on simulated plane waves of white noise (48 kHz; tetra, rigid 32-mic "
                "sphere, ReSpeaker-4/6, UMA-8): direction error of the encoded field's intensity vector per octave "
                "band (and, for open omni arrays, in a simulated room: RT60 0.3 s, SNR 20 dB), each order's usable "
                "band and noise gain, beside the textbook A-B matrix (tetra) and spaudiopy (rigid sphere)",
    units=lambda quick: [{"array": a} for a in ENCODE_ARRAYS], run_unit=_encode_run,
))
