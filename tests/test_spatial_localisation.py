"""Localisation: arrays, room simulation, DOA estimators, streaming stages, tracking,
array calibration, LOCATA loader and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Frame, StreamInfo
from sensekit.errors import CalibrationError, DatasetError, ParameterError, StreamFormatError
from sensekit.spatial_audio.arrays import ArrayGeometry, array_preset, load_array, unit_vector
from sensekit.spatial_audio.bench import assignment_errors
from sensekit.spatial_audio.calibrate import (
    ArrayCorrection,
    calibrate_array,
    exponential_sweep,
    load_array_calibration,
    measure_responses,
)
from sensekit.spatial_audio.doa import tdoa_gcc_phat
from sensekit.spatial_audio.room import ShoeboxRoom
from sensekit.spatial_audio.stages import STFT, DOAEstimator, DOATracker
from sensekit.spatial_audio.synth import doa_scene, moving_source
from sensekit.testing import assert_block_invariant, feed

runner = CliRunner()
FS = 16000.0
GEOM = array_preset("respeaker6")
CENTRE = np.array([2.9, 2.4, 1.2])


def _audio_info(geom=GEOM, rate=FS):
    return StreamInfo("a", "audio", rate, (geom.n_mics,), dtype="float64", meta={"array": geom.to_dict()})


def _estimate(x, method="srp-phat", k=1, geom=GEOM, **kw):
    st = STFT(512, 256)
    st.open(_audio_info(geom))
    X = feed(st, [Frame(_audio_info(geom), x, t0=0.0)])
    est = DOAEstimator(method, k, window_frames=10_000, gate_db=None, **kw)
    est.open(st.output_info)
    return est.estimate(X.data[:, est._bins, :]).reshape(-1, 4)


def test_array_geometry_checks_and_presets(tmp_path):
    for name in ("respeaker4", "respeaker6", "uma8", "headset2", "linear4"):
        g = array_preset(name)
        assert g.n_mics == len(g.channels) and g.aperture > 0.05
    with pytest.raises(ParameterError, match="mic1 and mic2 coincide"):
        ArrayGeometry(((0, 0, 0), (0.05, 0, 0), (0.05, 0, 0)))
    square = [[0, 0, 0], [0.045, 0, 0], [0, 0.045, 0], [0.045, 0.045, 0]]
    for doc, message in (({"positions": [[0, 0, 0], [450, 0, 0]]}, "lies 450 m from the origin, over 100 m"),
                         ({"positions": [[i * 0.01, 0, 0] for i in range(2000)]}, "2 <= M <= 1024"),  # (MemoryError)
                         ({"positions": "abc"}, "must be numbers"),  # (ValueError traceback)
                         ({"positions": square, "unit": "mm"}, "unknown key(s) 'unit'"),  # (ignored: a wrong array)
                         ({"positions": [[True, 0, 0], [0, 0.045, 0]]}, "positions are numbers"),  # (was 1 m)
                         ({"positions": square, "channels": [True, 1, 2, 3]}, "channels names (text)"),
                         ([[0, 0, 0], [0.045, 0, 0]], "is a JSON object, not a list")):
        with pytest.raises(ParameterError, match=re.escape(message)):
            ArrayGeometry.from_dict(doc)
    with pytest.raises(StreamFormatError, match="6 microphones but the stream has 4"):
        GEOM.check_stream(4, "test")
    path = tmp_path / "a.json"
    GEOM.save(path)
    assert load_array(str(path)) == GEOM
    with pytest.raises(ParameterError, match="neither a preset nor a file"):
        load_array("respeaker99")
    # a plane wave from the left (+y) reaches the left microphone first
    d = array_preset("headset2").delays(90.0)
    assert d[0] < 0 < d[1] and d[1] == pytest.approx(0.08 / 343.0)


def test_room_direct_path_rt60_and_bad_input():
    room = ShoeboxRoom((6, 5, 3), rt60=0.4)
    mic = CENTRE[None]
    src = CENTRE + [1.5, 0, 0]
    h = room.rir(src, mic, FS)[0]
    assert abs(np.argmax(np.abs(h)) - 1.5 / 343 * FS) <= 1
    e = np.cumsum(h[::-1] ** 2)[::-1]
    level = 10 * np.log10(e / e[0])
    t30 = (np.argmax(level < -35) - np.argmax(level < -5)) / FS * 2
    assert 0.3 < t30 < 0.5
    with pytest.raises(ParameterError, match="outside the 6x5x3 m room"):
        room.rir([7, 1, 1], mic, FS)
    with pytest.raises(ParameterError, match="too short"):
        ShoeboxRoom((6, 5, 3), rt60=0.01)


@pytest.mark.parametrize("method", ["srp-phat", "gcc-phat", "music", "normmusic"])
def test_single_source_in_a_reverberant_room(method):
    rng = np.random.default_rng(3)
    errs = []
    for az in (20.0, 145.0, 260.0):
        x = doa_scene(GEOM, azimuths=[az], rt60=0.3, snr_db=10.0, duration_s=0.8, rng=rng)
        errs.append(assignment_errors([az], _estimate(x, method)[:, 0])[0])
    assert max(errs) < (8.0 if method == "music" else 4.0)


def test_two_sources_are_both_found():
    x = doa_scene(GEOM, azimuths=[40.0, 200.0], rt60=0.3, snr_db=20.0, duration_s=1.0, rng=5)
    for method in ("srp-phat", "normmusic"):
        est = _estimate(x, method, k=2)
        assert assignment_errors([40.0, 200.0], est[:, 0]).max() < 8.0
        assert (est[:, 3] > 0).all()


def test_elevation_with_a_3d_array():
    tetra = ArrayGeometry(((0.03, 0, -0.01), (-0.015, 0.026, -0.01), (-0.015, -0.026, -0.01), (0, 0, 0.03)), "tetra")
    x = doa_scene(tetra, azimuths=[60.0], elevations=[30.0], rt60=0.2, snr_db=30.0, duration_s=0.8, rng=1)
    est = _estimate(x, "srp-phat", geom=tetra, elevations=tuple(range(-60, 61, 5)), azimuth_step=2.0)
    assert abs(est[0, 0] - 60) < 8 and abs(est[0, 1] - 30) < 10


def test_gcc_phat_tdoa_is_sub_sample_exact():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(4096)
    n = len(x)
    f = np.fft.rfftfreq(n, 1 / FS)
    y = np.fft.irfft(np.fft.rfft(x) * np.exp(-2j * np.pi * f * 2.25 / FS), n)
    assert tdoa_gcc_phat(x, y, FS) * FS == pytest.approx(2.25, abs=0.1)


def test_stft_and_doa_stages_are_block_invariant():
    x = doa_scene(GEOM, azimuths=[75.0], rt60=0.2, snr_db=20.0, duration_s=0.5, rng=2, signal="speech")
    info = _audio_info()
    X = assert_block_invariant(lambda: STFT(512, 256), info, x, max_examples=10)
    assert X.n == (len(x) - 512) // 256 + 1
    out = assert_block_invariant(lambda: DOAEstimator(window_frames=4), X.info, X.data, max_examples=8)
    ok = np.isfinite(out.data[:, 0])
    assert ok.mean() > 0.3 and np.median(assignment_errors([75.0] * ok.sum(), out.data[ok, 0])) < 10


def test_activity_gate_gives_no_direction_in_silence():
    rng = np.random.default_rng(0)
    x = doa_scene(GEOM, azimuths=[120.0], rt60=0.2, snr_db=30.0, duration_s=1.0, rng=rng)
    x[: len(x) // 2] = rng.standard_normal((len(x) // 2, 6)) * 1e-4  # a quiet first half
    info = _audio_info()
    st = STFT(512, 256)
    st.open(info)
    est = DOAEstimator(window_frames=1, gate_db=10.0)
    est.open(st.output_info)
    out = feed(est, [feed(st, [Frame(info, x, t0=0.0)])])
    half = out.n // 2
    assert np.isnan(out.data[5 : half - 2, 0]).all()  # the floor's first frames are loud against nothing
    assert np.isfinite(out.data[half + 2 :, 0]).mean() > 0.9


def test_tracker_follows_a_moving_source_with_one_identity():
    x, truth = moving_source(GEOM, speed_deg_s=60.0, duration_s=2.0, rt60=0.2, snr_db=20.0, rng=0)
    info = _audio_info()
    chain = [STFT(512, 256), DOAEstimator(window_frames=6, gate_db=None), DOATracker(2)]
    i = info
    for s in chain:
        i = s.open(i)
    f = Frame(info, x, t0=0.0)
    for s in chain:
        f = s.process(f)
    ids = f.data[:, 0]
    assert set(np.unique(ids[np.isfinite(ids)])) == {0.0}
    t_idx = np.clip((f.times * FS + (512 - 5 * 256) / 2).astype(int), 0, len(truth) - 1)
    err = np.abs((f.data[:, 1] - truth[t_idx] + 180) % 360 - 180)
    assert np.median(err[10:]) < 5.0
    with pytest.raises(StreamFormatError, match="doa stream"):
        DOATracker().open(info)


def _record_sweeps(actual, gains, delays, pol, dirs, sweep):
    room = ShoeboxRoom((6, 5, 3), rt60=0.25)
    out = []
    for i, (az, el) in enumerate(dirs):
        src = CENTRE + 1.5 * unit_vector(az, el)
        x = room.simulate(np.r_[sweep, np.zeros(int(FS / 2))][None], src[None], actual.xyz + CENTRE, FS, snr_db=40,
                          rng=i)
        f = np.fft.rfftfreq(len(x), 1 / FS)
        x = np.fft.irfft(np.fft.rfft(x, axis=0) * np.exp(-2j * np.pi * f[:, None] * delays[None]), len(x), axis=0)
        out.append(x * gains * pol)
    return out


def test_array_calibration_recovers_channel_errors_and_positions(tmp_path):
    gains = np.array([1.0, 0.8, 1.25, 1.0, 0.9, 1.1])
    delays = np.array([0.0, 2.5, -1.0, 0.0, 0.5, 3.0]) / FS
    pol = np.array([1.0, 1, -1, 1, 1, 1])
    err = np.zeros((6, 3))
    err[3, :2] = [0.004, -0.003]
    actual = ArrayGeometry(tuple(map(tuple, GEOM.xyz + err)), "actual")
    dirs = [(0.0, 0.0), (100.0, 0.0), (210.0, 0.0), (300.0, 0.0)]
    sweep = exponential_sweep(FS, 1.0)
    recs = _record_sweeps(actual, gains, delays, pol, dirs, sweep)
    cal = calibrate_array([measure_responses(r, sweep, FS) for r in recs], GEOM, FS, dirs)
    np.testing.assert_allclose(cal.gains * gains, 1.0, atol=0.03)
    np.testing.assert_allclose(cal.delays_s * FS, delays * FS, atol=0.1)
    assert (cal.polarity == pol).all()
    assert np.linalg.norm(cal.positions - actual.xyz, axis=1).max() < 0.001  # 1 mm
    # the correction stage is block invariant and improves localisation
    info = _audio_info()
    x = _record_sweeps(actual, gains, delays, pol, [(150.0, 0.0)], np.random.default_rng(0).standard_normal(8000))[0]
    y = assert_block_invariant(lambda: ArrayCorrection(cal), info, x, max_examples=5, atol=1e-9)
    before = assignment_errors([150.0], _estimate(x)[:, 0])[0]
    after = assignment_errors([150.0], _estimate(y.data, geom=cal.corrected_geometry(GEOM))[:, 0])[0]
    assert after < 3.0 < before
    # one direction: gains, delays and polarity only; a dead channel is named
    one = calibrate_array(measure_responses(recs[0], sweep, FS), GEOM, FS, dirs[0])
    assert one.positions is None and (one.polarity == pol).all()
    dead = recs[0].copy()
    dead[:, 4] = 0
    with pytest.raises(CalibrationError, match="channel mic4 shows no response"):
        calibrate_array(measure_responses(dead, sweep, FS), GEOM, FS, dirs[0])
    with pytest.raises(CalibrationError, match=">= 3 directions"):
        calibrate_array([measure_responses(r, sweep, FS) for r in recs[:2]], GEOM, FS, dirs[:2],
                        refine_positions=True)


def test_cli_sweep_is_the_calibration_sweep_and_keeps_existing_files(tmp_path):
    import soundfile as sf

    out = tmp_path / "sweep.wav"
    r = runner.invoke(app, ["spatial", "sweep", str(out), "--rate", "16000", "--seconds", "1", "--level-db", "-12"])
    assert r.exit_code == 0, r.output
    x, rate = sf.read(str(out))
    expected = exponential_sweep(16000, 1.0) * 10 ** (-12 / 20)
    assert rate == 16000 and np.allclose(x[8000:8000 + len(expected)], expected, atol=1e-4)  # (16-bit PCM)
    again = runner.invoke(app, ["spatial", "sweep", str(out), "--seconds", "2"])
    assert again.exit_code == 2 and "--overwrite" in again.stderr and sf.info(str(out)).duration == 2.0
    bad = runner.invoke(app, ["spatial", "sweep", str(tmp_path / "sweep.xyz")])
    assert bad.exit_code == 2 and "not an audio format" in bad.stderr and not (tmp_path / "sweep.xyz").exists()
    for args in (["render", str(out)], ["encode", str(_scene_wav(tmp_path, 20.0)), "--array", "respeaker6"]):
        r = runner.invoke(app, ["spatial", *args, "-o", str(tmp_path / "o.xyz")])  # (a soundfile traceback, at the end)
        assert r.exit_code == 2 and "not an audio format" in r.stderr and "Traceback" not in r.output, r.output


def test_cli_calibrate_array_and_localise(tmp_path):
    import soundfile as sf

    gains = np.array([1.0, 0.7, 1.0, 1.0, 1.0, 1.0])
    delays = np.array([0, 0, 2.0, 0, 0, 0]) / FS
    sweep = exponential_sweep(FS, 1.0)
    dirs = [(0.0, 0.0), (120.0, 0.0), (240.0, 0.0)]
    paths = []
    for i, x in enumerate(_record_sweeps(GEOM, gains, delays, np.ones(6), dirs, sweep)):
        p = tmp_path / f"sweep{i}.wav"
        sf.write(str(p), (x / np.abs(x).max() * 0.5).astype(np.float32), int(FS), subtype="FLOAT")
        paths.append(str(p))
    cal = tmp_path / "array.json"
    args = ["calibrate", "array", *paths, "--array", "respeaker6", "--seconds", "1", "-o", str(cal)]
    for az, _ in dirs:
        args += ["--direction", str(az)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    c = load_array_calibration(cal)
    assert c.gains[1] == pytest.approx(1 / 0.7, rel=0.05) and c.delays_s[2] * FS == pytest.approx(2.0, abs=0.2)
    wide = []  # the same microphones among other channels (a device's processed and playback ones): --mics 1-6
    for path in paths:
        x, rate = sf.read(path)
        p = Path(path).with_name(f"wide-{Path(path).name}")
        sf.write(str(p), np.c_[np.zeros(len(x)), x, np.zeros(len(x))].astype(np.float32), rate, subtype="FLOAT")
        wide.append(str(p))
    r = runner.invoke(app, ["calibrate", "array", *wide, "--array", "respeaker6", "--seconds", "1", "--mics", "1-6",
                            "-o", str(tmp_path / "wide.json"), *[a for az, _ in dirs for a in ("--direction", str(az))]])
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(load_array_calibration(tmp_path / "wide.json").gains, c.gains)
    class NoOutput:  # PyAudio on a machine without an audio output
        paFloat32 = 1

        class PyAudio:
            def open(self, **kw):
                raise OSError("[Errno -9996] Invalid output device (no default output device)")

            def terminate(self):
                pass

    import sensekit.core.sources.mic as mic

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mic, "import_pyaudio", lambda: NoOutput)
        r = runner.invoke(app, ["calibrate", "array", "synth:array?duration_s=0.5", "--play", "--direction", "0",
                                "-o", str(tmp_path / "p.json")])
    assert r.exit_code != 0 and "cannot open an audio output" in r.stderr and not (tmp_path / "p.json").exists()
    r = runner.invoke(app, ["calibrate", "array", paths[0], "--array", "respeaker6", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "--direction" in r.stderr
    r = runner.invoke(app, ["calibrate", "array", paths[0], "--direction", "0", "--array", "linear4", "-o",
                            str(tmp_path / "x.json")])
    assert r.exit_code != 0 and "4 microphones but the stream has 6" in r.stderr
    # a recording cut short, with a NaN or a spike is named (a cut one or a spike had given a calibration; a NaN,
    # "no response")
    x, _ = sf.read(paths[0])
    sf.write(str(tmp_path / "cut.wav"), x[:2], int(FS), subtype="FLOAT")
    x[100, 3] = np.nan
    sf.write(str(tmp_path / "nan.wav"), x, int(FS), subtype="FLOAT")
    x[100, 3] = 1e9  # (a spike gave that microphone's gain)
    sf.write(str(tmp_path / "huge.wav"), x, int(FS), subtype="FLOAT")
    for bad, message in (("cut.wav", "cut.wav lasts 0.000125 s, less than the 1 s sweep"),
                         ("nan.wav", "nan.wav holds 1 NaN or infinite sample(s) (the first on channel 3 at 0.006 s)"),
                         ("huge.wav", "huge.wav reaches 1e+09, over 120 dB above its full scale: not audio")):
        r = runner.invoke(app, ["calibrate", "array", str(tmp_path / bad), *paths[1:], "--array", "respeaker6",
                                "--seconds", "1", *[v for az, _ in dirs for v in ("--direction", str(az))],
                                "-o", str(tmp_path / "bad.json")])
        assert r.exit_code == 2 and message in r.stderr and not (tmp_path / "bad.json").exists(), r.output
    # capture with the geometry, then localise the recording
    rec = tmp_path / "scene.h5"
    r = runner.invoke(app, ["capture", "synth:array?sources=1&duration_s=1&seed=4", "--array", "respeaker6",
                            "-o", str(rec), "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["spatial", "localise", str(rec), "-o", str(tmp_path / "doa.csv")])
    assert r.exit_code == 0, r.output
    from sensekit.spatial_audio.synth import ArraySceneSource

    truth = ArraySceneSource(sources=1, duration_s=1, seed=4).azimuths[0]
    rows = np.loadtxt(tmp_path / "doa.csv", delimiter=",", skiprows=1)
    rows = rows[np.isfinite(rows[:, 1])]
    assert np.median(assignment_errors([truth] * len(rows), rows[:, 1])) < 5
    r = runner.invoke(app, ["run", "spatial-localise", "synth:array?sources=1&duration_s=0.5", "--jsonl", "--no-gate"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith('{"stream"')]
    assert len(lines) > 20 and len(lines[-1]["data"]) == 4
    # the live command on the recording gives the file command's estimates, given the same settings
    r = runner.invoke(app, ["run", "spatial-localise", str(rec), "--every", "0.1", "--no-track", "--jsonl"])
    assert r.exit_code == 0, r.output
    live = [json.loads(x) for x in r.stdout.splitlines() if x.startswith('{"stream"')]
    r = runner.invoke(app, ["spatial", "localise", str(rec), "--every", "0.1", "-o", str(tmp_path / "every.csv")])
    assert r.exit_code == 0, r.output
    offline = np.loadtxt(tmp_path / "every.csv", delimiter=",", skiprows=1)
    assert len(live) == len(offline) >= 9
    np.testing.assert_array_equal(np.array([[np.nan if v is None else v for v in x["data"]] for x in live], float),
                                  offline[:, 1:])
    np.testing.assert_allclose([x["t"] for x in live], offline[:, 0], atol=1e-9)
    for cmd in (["spatial", "localise", str(rec)], ["run", "spatial-localise", "synth:array?duration_s=0.5"]):
        r = runner.invoke(app, [*cmd, "--no-gate", "--gate-db", "-30"])  # a threshold that would be ignored
        assert r.exit_code == 2 and "--gate-db does not apply with --no-gate" in r.stderr
    r = runner.invoke(app, ["capture", "synth:sine?channels=2", "--array", "respeaker6", "-o", str(tmp_path / "b.h5"),
                            "-d", "0.1", "--quiet"])
    assert r.exit_code != 0 and "6 microphones but the stream has 2" in r.stderr


def test_locata_loader_reads_a_user_copy(tmp_path, monkeypatch):
    import soundfile as sf

    from sensekit.datasets import dataset_dir
    from sensekit.spatial_audio.datasets import load_locata, locata_recordings

    monkeypatch.delenv("SENSEKIT_DATA", raising=False)
    monkeypatch.delenv("SENSEKIT_LOCATA", raising=False)
    with pytest.raises(DatasetError, match="not redistributable"):
        dataset_dir("locata")
    d = tmp_path / "dev" / "task1" / "recording1" / "benchmark2"
    d.mkdir(parents=True)
    x = doa_scene(GEOM, azimuths=[70.0], duration_s=0.5, rng=0)
    sf.write(str(d / "audio_array_benchmark2.wav"), x.astype(np.float32), int(FS))
    th = np.radians(30)
    rot = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    mics = GEOM.xyz @ rot.T + CENTRE
    head = ["year", "month", "day", "hour", "minute", "second", "x", "y", "z"]
    head_a = head + [f"rotation_{i}{j}" for i in (1, 2, 3) for j in (1, 2, 3)] + [
        f"mic{k + 1}_{a}" for k in range(6) for a in "xyz"]
    rows = ["\t".join(map(str, [2017, 1, 1, 10, 0, s * 0.5, *CENTRE, *rot.ravel(), *mics.ravel()])) for s in range(2)]
    (d / "position_array_benchmark2.txt").write_text("\t".join(head_a) + "\n" + "\n".join(rows) + "\n")
    src = CENTRE + 1.5 * (rot @ unit_vector(70.0, 0.0))
    (d / "position_source_talker1.txt").write_text("\t".join(head) + "\n" + "\n".join(
        "\t".join(map(str, [2017, 1, 1, 10, 0, s * 0.5, *src])) for s in range(2)) + "\n")
    monkeypatch.setenv("SENSEKIT_LOCATA", str(tmp_path))
    folders = locata_recordings(dataset_dir("locata"))
    rec = load_locata(folders[0])
    np.testing.assert_allclose(rec.geometry.xyz, GEOM.xyz, atol=1e-9)
    assert rec.azimuths["talker1"] == pytest.approx([70.0, 70.0])


def test_dead_and_clipped_microphones_are_named(caplog):
    import logging

    from sensekit.core.stages import SignalCheck

    x = doa_scene(GEOM, azimuths=[10.0], duration_s=1.5, rng=0)
    x = x / np.abs(x).max() * 0.5
    x[:, 2] = 0.0  # dead
    x[:, 4] = np.clip(x[:, 4] * 20, -1, 1)  # clipped
    info = StreamInfo("a", "audio", FS, (6,), channels=GEOM.channels, dtype="float64")
    st = SignalCheck(full_scale=1.0, label="microphone")
    st.open(info)
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        feed(st, [Frame(info, x, t0=0.0)])
    assert "microphone 'mic2' is flat" in caplog.text and "microphone 'mic4' is saturated" in caplog.text


def _scene_wav(tmp_path, snr_db: float, seconds: float = 2.0, az: float = 75.0):
    import soundfile as sf

    x = doa_scene(GEOM, azimuths=[az], rt60=0.3, snr_db=snr_db, duration_s=seconds, fs=FS, rng=5)
    path = tmp_path / f"scene_{snr_db:g}.wav"
    sf.write(str(path), (x / np.abs(x).max() * 0.5).astype(np.float32), int(FS), subtype="FLOAT")
    return path


def test_cli_localise_equals_the_pipeline_and_the_bench_path(tmp_path):
    """Issue 15: 'spatial localise' writes what LocalisePipeline gives on the file, block by
    block, and the bench task runs that pipeline (window = the whole file)."""
    from sensekit.core.recording import open_recording
    from sensekit.spatial_audio.pipeline import LocalisePipeline

    wav = _scene_wav(tmp_path, 20.0)
    csv = tmp_path / "doa.csv"
    r = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--window", "0.25", "--no-gate",
                            "-o", str(csv)])
    assert r.exit_code == 0, r.output
    cli = np.loadtxt(csv, delimiter=",", skiprows=1)[:, 1:]
    with open_recording(wav) as rec:
        whole = rec.read()
    pipe = LocalisePipeline(window_s=0.25, gate_db=None, array="respeaker6")
    ref = pipe.localise(whole).data
    np.testing.assert_allclose(cli, ref, rtol=1e-6, equal_nan=True)  # the CSV prints 6+ digits
    np.testing.assert_array_equal(pipe.localise(whole, block_s=0.013).data, ref)  # any block size
    assert np.median(np.abs((ref[:, 0] - 75.0 + 180) % 360 - 180)) < 5
    # one estimate over the whole file: what the spatial.doa bench task scores
    one = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--window", "1.9", "--no-gate"])
    assert one.exit_code == 0 and "1 of 1 window(s) gave a direction" in one.stdout


def test_localise_says_how_many_windows_the_gate_left_empty(tmp_path):
    wav = _scene_wav(tmp_path, 0.0)
    r = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6"])
    assert r.exit_code == 0, r.output
    assert "0 of 7 window(s) gave a direction; 7 had no frame louder" in r.stdout
    assert "no frame louder than 6 dB above the noise floor" in r.stdout and "--no-gate" in r.stdout
    r2 = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--no-gate"])
    assert r2.exit_code == 0 and "7 of 7 window(s) gave a direction" in r2.stdout, r2.stdout
    r3 = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--window", "5"])
    assert r3.exit_code == 2 and "longer than the recording" in r3.stderr
    suggested = r3.stderr.split("use --window ")[1].split()[0]  # the fix it suggests works
    r3b = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--window", suggested])
    assert r3b.exit_code == 0, r3b.output
    import soundfile as sf

    fast = tmp_path / "fast.wav"  # 8,000 samples at 10 MHz: no window fits; it suggested "--window 0 or less"
    sf.write(str(fast), np.zeros((8000, 6), dtype=np.float32), 10_000_000)
    r4 = runner.invoke(app, ["spatial", "localise", str(fast), "--array", "respeaker6"])
    assert r4.exit_code == 2 and "too short for the shortest --window" in r4.stderr and "check the file's sample rate" \
        in r4.stderr, r4.output
    short = _scene_wav(tmp_path, 20.0, seconds=0.02)
    r3c = runner.invoke(app, ["spatial", "localise", str(short), "--array", "respeaker6"])
    assert r3c.exit_code == 2 and "shorter than one STFT frame" in r3c.stderr and "--window" not in r3c.stderr
    r4 = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker6", "--gate-db", "nan"])
    assert r4.exit_code == 2 and "not a finite number" in r4.stderr


def test_a_linear_array_searches_one_side_with_az_range(tmp_path):
    """Issue 20: on a linear array every two-source trial returned a source and its mirror image."""
    import soundfile as sf

    lin = array_preset("linear4")  # along y: a direction and its front/back mirror look alike
    x = doa_scene(lin, azimuths=[320.0, 50.0], rt60=0.2, snr_db=20.0, duration_s=2.0, fs=FS, rng=2)
    wav = tmp_path / "two.wav"
    sf.write(wav, (x / np.abs(x).max() * 0.5).astype(np.float32), int(FS), subtype="FLOAT")
    base = ["spatial", "localise", str(wav), "--array", "linear4", "--sources", "2", "--no-gate", "--window", "1.9"]
    csv0 = tmp_path / "doa0.csv"
    r = runner.invoke(app, [*base, "-o", str(csv0)])
    assert r.exit_code == 0 and "linear array" in r.stderr and "--az-range" in r.stderr
    mirrored = np.loadtxt(csv0, delimiter=",", skiprows=1, ndmin=2)[0, 1:].reshape(2, 4)[:, 0]
    assert ((mirrored > 90) & (mirrored < 270)).any()  # a source and its mirror image, as reported
    csv = tmp_path / "doa.csv"
    r = runner.invoke(app, [*base, "--az-range", "front", "-o", str(csv)])
    assert r.exit_code == 0, r.output
    assert "linear array" not in r.stderr
    row = np.loadtxt(csv, delimiter=",", skiprows=1, ndmin=2)[0, 1:]
    found = row.reshape(2, 4)[:, 0]
    assert np.max(assignment_errors([320.0, 50.0], found)) < 10  # a 12 cm, 4-mic array's resolution
    for bad in ("10:10", "sideways", "a:b", "nan:90"):
        r = runner.invoke(app, [*base, "--az-range", bad])
        assert r.exit_code == 2 and "is not MIN:MAX" in r.stderr


def test_music_warns_when_sources_exceed_what_the_array_can_find(caplog):
    from sensekit.spatial_audio.pipeline import LocalisePipeline

    info = StreamInfo("a", "audio", FS, (4,), meta={"array": array_preset("respeaker4").to_dict()})
    LocalisePipeline("music", 4, gate_db=None).chain(info)
    assert "finds at most 3 source(s) with 4 microphones" in caplog.text


def test_spatial_arrays_lists_and_saves_presets(tmp_path):
    """'spatial arrays' lists the presets; --save writes one as an editable geometry JSON that
    loads back; -o without --save is one line (it was silently ignored)."""
    r = runner.invoke(app, ["spatial", "arrays"], terminal_width=200)
    assert r.exit_code == 0 and "respeaker6" in r.stdout
    out = tmp_path / "six.json"
    r = runner.invoke(app, ["spatial", "arrays", "--save", "respeaker6", "-o", str(out)])
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose(load_array(out).positions, array_preset("respeaker6").positions)
    r = runner.invoke(app, ["spatial", "arrays", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "give --save PRESET" in r.stderr and not (tmp_path / "x.json").exists()


def test_spatial_commands_read_the_audio_stream_of_a_session(tmp_path):
    """'spatial localise/render/encode' on a multi-stream recording took its first stream (a
    session's gaze was read as two microphones): they take FILE#STREAM, else the only audio
    stream, and refuse a choice they cannot make, naming the streams."""
    runner = CliRunner()
    two = tmp_path / "two.h5"
    r = runner.invoke(app, ["capture", "synth:sine?rate=100", "synth:noise?kind=audio&channels=4&rate=16000&unit=FS",
                            "-o", str(two), "--duration", "2"])
    assert r.exit_code == 0, r.output
    one = tmp_path / "one.h5"
    assert runner.invoke(app, ["convert", f"{two}#synth-noise", str(one)]).exit_code == 0
    estimates = {}
    for name, src in (("one", one), ("auto", two), ("named", f"{two}#synth-noise")):
        csv = tmp_path / f"{name}.csv"
        r = runner.invoke(app, ["spatial", "localise", str(src), "--array", "respeaker4", "--no-gate", "-o", str(csv)])
        assert r.exit_code == 0, r.output
        estimates[name] = csv.read_text()
    assert estimates["auto"] == estimates["one"] == estimates["named"] and estimates["one"].count("\n") > 3
    r = runner.invoke(app, ["spatial", "localise", f"{two}#synth-sine", "--array", "respeaker4"])
    assert r.exit_code == 2 and "localisation needs >= 2 regular audio channels" in r.stderr
    r = runner.invoke(app, ["spatial", "encode", str(two), "--array", "respeaker4", "-o", str(tmp_path / "e.wav")])
    assert r.exit_code == 0, r.output
    gaze = tmp_path / "gaze.h5"
    r = runner.invoke(app, ["capture", "synth:sine?rate=100", "synth:noise?rate=50&channels=2", "-o", str(gaze),
                            "--duration", "1"])
    assert r.exit_code == 0, r.output
    for args in (["localise", str(gaze), "--array", "respeaker4"], ["render", str(gaze), "-o", str(tmp_path / "r.wav")],
                 ["encode", str(gaze), "--array", "respeaker4", "-o", str(tmp_path / "e2.wav")]):
        r = runner.invoke(app, ["spatial", *args])
        assert r.exit_code == 2, r.output
        assert re.search(r"holds 2 streams \(synth-\w+, synth-\w+\) and none of them audio; name the microphones' "
                         r"stream: gaze.h5#STREAM", r.stderr), r.stderr


def test_diffuse_noise_holds_one_plane_wave_at_a_time():
    """A 5-minute 'synth:array' asked for 24 GiB: the diffuse noise held the spectra of all 64
    plane waves at every microphone at once. It now adds them one at a time: the same noise
    (to rounding), in a fraction of the memory."""
    import tracemalloc

    from sensekit.spatial_audio.room import diffuse_noise

    mics = array_preset("respeaker6").xyz
    n, fs, directions = 20_000, 16000.0, 64
    tracemalloc.start()
    got = diffuse_noise(mics, n, fs, rng=np.random.default_rng(4), directions=directions)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the formula all at once, as before
    rng = np.random.default_rng(4)
    i = np.arange(directions) + 0.5
    u = unit_vector(np.degrees(np.pi * (1 + 5 ** 0.5) * i) % 360, np.degrees(np.arcsin(1 - 2 * i / directions)))
    tau = -(u @ mics.T) / 343.0
    nfft = int(2 ** np.ceil(np.log2(n + 2 * fs * np.abs(tau).max() + 1)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    spec = np.fft.rfft(rng.standard_normal((directions, n)), nfft, axis=1)
    whole = np.fft.irfft(np.einsum("df,dmf->mf", spec, np.exp(-2j * np.pi * f * tau[:, :, None])), nfft)[:, :n]
    np.testing.assert_allclose(got, whole / np.sqrt(directions), atol=1e-12)
    all_at_once = directions * len(mics) * len(f) * 16  # bytes of the (D, M, F) spectra: 100 MB here
    assert peak < all_at_once / 10, (peak, all_at_once)


def test_an_arrays_microphones_among_other_channels_are_named_with_mics(tmp_path):
    """A ReSpeaker USB array streams 6 channels: a processed one, its 4 microphones, a playback one.
    It was refused ('4 microphones but 6 channels', 'or select its channels' with no way to); --mics
    1-4 (0-based, as the device's documentation numbers them) localises its microphones exactly as a
    4-channel recording of them."""
    import soundfile as sf

    from sensekit.spatial_audio.pipeline import LocalisePipeline, parse_channels

    geom = array_preset("respeaker4")
    x = doa_scene(geom, azimuths=[60.0], rt60=0.2, snr_db=20.0, duration_s=2.0, fs=16000.0, rng=0)
    rng = np.random.default_rng(1)
    six = np.c_[0.05 * rng.normal(size=len(x)), x, 0.3 * rng.normal(size=len(x))]
    info4 = StreamInfo("mic", "audio", 16000.0, (4,), meta={"array": geom.to_dict()})
    info6 = StreamInfo("mic", "audio", 16000.0, (6,), meta={"array": geom.to_dict()})
    want = LocalisePipeline(gate_db=None).localise(Frame(info4, x, t0=0.0))
    got = LocalisePipeline(gate_db=None, mics=parse_channels("1-4")).localise(Frame(info6, six, t0=0.0))
    np.testing.assert_array_equal(got.data, want.data)
    assert np.nanmedian(np.abs(got.data[:, 0] - 60.0)) < 5
    wav = tmp_path / "respeaker_usb.wav"
    sf.write(wav, six / np.abs(six).max() * 0.5, 16000, subtype="FLOAT")
    r = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker4"])
    assert r.exit_code == 2 and "--mics 1-4, 0-based" in r.stderr, r.output
    r = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker4", "--mics", "1-4", "--no-gate"])
    assert r.exit_code == 0 and "gave a direction" in r.stdout, r.output
    for bad, message in (("3-6", "microphone channel 6 given, but stream"), ("1", "two or more different"),
                         ("1,1", "two or more different"), ("a-b", "two or more different")):
        r = runner.invoke(app, ["spatial", "localise", str(wav), "--array", "respeaker4", "--mics", bad])
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (bad, r.output)
    four = tmp_path / "four.wav"  # encoding takes --mics too, and gives what the microphones alone give
    sf.write(four, (six / np.abs(six).max() * 0.5)[:, 1:5], 16000, subtype="FLOAT")
    fields = []
    for source, extra in ((wav, ["--mics", "1-4"]), (four, [])):
        r = runner.invoke(app, ["spatial", "encode", str(source), "--array", "respeaker4", "-o",
                                str(tmp_path / f"{source.stem}.ambix.wav"), *extra])
        assert r.exit_code == 0, r.output
        fields.append(sf.read(tmp_path / f"{source.stem}.ambix.wav")[0])
    np.testing.assert_array_equal(fields[0], fields[1])
