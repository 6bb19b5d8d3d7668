"""Pupil detection on simulated eye images, and gaze calibration on the simulated eye."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Frame, StreamInfo
from sensekit.errors import CalibrationError, StreamFormatError
from sensekit.eyetrack.calibrate import (
    GazeMapper,
    HeadlessDisplay,
    SimulatedEye,
    accuracy_precision,
    load_gaze_mapper,
    run_session,
    target_layout,
)
from sensekit.eyetrack.geometry import Screen
from sensekit.eyetrack.pupil import PUPIL_CHANNELS, PupilDetector, detect_pupil
from sensekit.eyetrack.synth import EyeModel, eye_sequence, pupil_ellipse, render_eye
from sensekit.testing import assert_block_invariant

runner = CliRunner()
SCREEN = Screen(531.0, 299.0, 1920, 1080, 650.0)


def test_pupil_ellipse_geometry():
    cx, cy, major, minor, _ = pupil_ellipse(0, 0, 2.0)
    assert (cx, cy) == (96.0, 96.0) and major == minor == 32.0
    cx, cy, major, minor, angle = pupil_ellipse(30, 0, 2.0)
    assert cx > 96 and cy == pytest.approx(96) and minor == pytest.approx(32 * np.cos(np.radians(30)))
    assert angle == pytest.approx(90.0)  # the major axis is vertical when the eye turns sideways


def test_detector_finds_simulated_pupils_with_glints_lashes_and_lids():
    images, truth = eye_sequence(80, rng=11)
    res = np.array([detect_pupil(img) for img in images])
    gt = np.array([t["centre"] for t in truth])
    has = np.isfinite(gt[:, 0])
    found = res[:, 6] > 0
    assert has.sum() > 60 and (found & has).sum() / has.sum() > 0.97
    err = np.hypot(*(res[has & found, :2] - gt[has & found]).T)
    assert np.median(err) < 0.3 and np.percentile(err, 95) < 1.5
    diam = np.array([t["diameter"] for t in truth])
    assert np.median(np.abs(res[has & found, 5] - diam[has & found])) < 1.0
    # blinks: NaN and confidence 0, never a made-up pupil
    assert not found[~has].any() and np.isnan(res[~has, :6]).all()


def test_detector_on_an_image_with_no_eye_and_on_colour_images():
    rng = np.random.default_rng(0)
    flat = rng.integers(120, 136, (192, 192), dtype=np.uint8)
    assert detect_pupil(flat)[6] == 0.0 and np.isnan(detect_pupil(flat)[0])
    img, t = render_eye(10, -5, 2.0, rng=1)
    colour = np.repeat(img[:, :, None], 3, axis=2)
    r = detect_pupil(colour)
    assert np.hypot(r[0] - t["centre"][0], r[1] - t["centre"][1]) < 0.5


def test_pupil_stage_is_block_invariant_and_checks_its_input():
    images, _ = eye_sequence(12, rng=4)
    info = StreamInfo("eye", "image", 120.0, (192, 192), dtype="uint8")
    out = assert_block_invariant(PupilDetector(), info, images, max_examples=5)
    assert out.info.channels == PUPIL_CHANNELS and list(out.info.meta["image_size"]) == [192, 192]
    with pytest.raises(StreamFormatError, match="images"):
        PupilDetector().open(StreamInfo("emg", "emg", 1000.0, (8,), dtype="uint8"))


def test_session_on_the_simulated_eye_is_accurate():
    display = HeadlessDisplay()
    eye = SimulatedEye(EyeModel(SCREEN), display, rate=60.0, fixation_noise_deg=0.1, render=False)
    res = run_session(eye, display, SCREEN, targets=9, settle_s=0.0, sample_s=0.5)
    assert res.overall["accuracy_deg"] < 0.5
    assert 0.05 < res.overall["precision_rms_deg"] < 0.4  # sqrt(2) x 0.1 deg per axis, in 2-D
    assert len(res.validation) == 5 and all(r["n"] == 30 for r in res.validation)


def test_gaze_mapper_outliers_and_homography():
    model = EyeModel(SCREEN)
    tgt = np.repeat(target_layout(9, SCREEN), 20, axis=0)
    px, py = model.pupil_centre(tgt[:, 0], tgt[:, 1])
    pupil = np.column_stack([px, py]) + np.random.default_rng(0).normal(0, 0.05, (len(tgt), 2))
    pupil[::37] += 15.0  # blinks half-detected: wild outliers
    m = GazeMapper(SCREEN.to_dict()).fit(pupil, tgt)
    assert m.n_used_ < len(tgt) and m.fit_error_deg_ < 0.3
    val = target_layout(9, SCREEN, validation=True)
    vx, vy = model.pupil_centre(val[:, 0], val[:, 1])
    g = m.predict(np.column_stack([vx, vy]))
    acc = [accuracy_precision(g[i : i + 1], val[i], SCREEN)["accuracy_deg"] for i in range(len(val))]
    assert max(acc) < 0.4
    h = GazeMapper(SCREEN.to_dict(), method="homography").fit(pupil, tgt)
    assert np.isfinite(h.predict(np.column_stack([vx, vy]))).all()
    with pytest.raises(CalibrationError, match="needs samples at >= 5 targets"):
        GazeMapper(SCREEN.to_dict()).fit(pupil[:40], tgt[:40])


def test_calibration_file_round_trip_and_refusals(tmp_path):
    display = HeadlessDisplay()
    eye = SimulatedEye(EyeModel(SCREEN), display, rate=60.0, render=False)
    res = run_session(eye, display, SCREEN, targets=5, settle_s=0.0, sample_s=0.3)
    path = tmp_path / "gaze.json"
    res.mapper.save_calibration(path, eye.info)
    assert "pickle" not in path.read_text() and json.loads(path.read_text())["chain"] == "eyetrack"
    m = load_gaze_mapper(path, stream=eye.info, screen=SCREEN)
    p = np.array([[100.0, 90.0], [80.0, 100.0]])
    np.testing.assert_allclose(m.predict(p), res.mapper.predict(p))
    other_cam = eye.info.replace(meta={"image_size": [400, 400]})
    with pytest.raises(CalibrationError, match="image_size"):
        load_gaze_mapper(path, stream=other_cam)
    with pytest.raises(CalibrationError, match="distance_mm"):
        load_gaze_mapper(path, screen=Screen(531.0, 299.0, 1920, 1080, 500.0))
    # the stage: pupil in, gaze (px) with the screen in the meta out; low confidence is NaN
    m.open(eye.info)
    rows = np.array([[96, 96, 30, 30, 0, 30, 1.0, 96, 110], [96, 96, 30, 30, 0, 30, 0.1, 96, 110]])
    out = m.process(Frame(eye.info, rows, t0=0.0))
    assert out.info.meta["gaze_units"] == "px" and np.isfinite(out.data[0]).all() and np.isnan(out.data[1]).all()


def test_cli_calibrate_and_run_eyetrack_on_the_simulator(tmp_path):
    cal = tmp_path / "gaze.json"
    r = runner.invoke(app, ["calibrate", "eyetrack", "synth:eye", "-o", str(cal), "--screen", "531x299mm@1920x1080",
                            "--distance", "650", "--targets", "5", "--settle", "0", "--sample", "0.3",
                            "--plot", str(tmp_path / "val.png")])
    assert r.exit_code == 0, r.output
    assert "overall" in r.output and cal.exists() and (tmp_path / "val.png").exists()
    r = runner.invoke(app, ["run", "eyetrack", "synth:eye?duration_s=1", "-c", str(cal), "--jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.startswith('{"stream"')]
    assert len(lines) == 120 and all(len(x["data"]) == 4 for x in lines)  # every frame, last chunk flushed
    r = runner.invoke(app, ["run", "eyetrack", "synth:eye?duration_s=0.2", "--chunk", "1", "--detector", "ivt"])
    assert r.exit_code == 2 and "--detector, --chunk do not apply without -c" in r.stderr  # (pupils only)
    r = runner.invoke(app, ["calibrate", "eyetrack", "synth:eye", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "--screen" in r.stderr
    for bad, message in ((["--method", "poly2x", "--targets", "5"], "needs 9 or more targets"),
                         (["--method", "poly3"], "unknown --method 'poly3'"),
                         (["--feature", "glint"], "unknown --feature 'glint'")):  # refused before the session
        r = runner.invoke(app, ["calibrate", "eyetrack", "synth:eye", "-o", str(tmp_path / "x.json"), "--screen",
                                "531x299mm@1920x1080", "--distance", "650", *bad])
        assert r.exit_code == 2 and message in r.stderr and not (tmp_path / "x.json").exists(), r.output
    r = runner.invoke(app, ["calibrate", "eyetrack", "synth:eye", "-o", str(cal), "--screen", "531x299mm@1920x1080",
                            "--distance", "650"])
    assert r.exit_code == 2 and "already exists" in r.stderr


def test_cli_pupil_writes_every_frame(tmp_path):
    out = tmp_path / "pupil.csv"
    r = runner.invoke(app, ["eyetrack", "pupil", "synth:eye?duration_s=0.5", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = out.read_text().splitlines()
    assert rows[0].startswith("time,x,y") and len(rows) == 61
    r = runner.invoke(app, ["eyetrack", "pupil", "synth:sine", "-o", str(tmp_path / "p2.csv")])
    assert r.exit_code == 2 and "eye images" in r.stderr


def _swirski_case(folder, n=6):
    import cv2

    (folder / "frames").mkdir(parents=True)
    lines = []
    for i in range(n):
        img, t = render_eye(-15 + 6 * i, 5, 2.0, rng=i)
        cv2.imwrite(str(folder / "frames" / f"{10 + i}-eye.png"), img)
        lines.append(f"{10 + i} | {t['centre'][0]:.4f} {t['centre'][1]:.4f} {t['axes'][0] / 2:.3f} "
                     f"{t['axes'][1] / 2:.3f} 0.1")
    (folder / "pupil-ellipses.txt").write_text("\n".join(lines) + "\n")


def test_pupil_eval_on_swirski_and_lpw_layouts(tmp_path):
    import cv2

    from sensekit.eyetrack.datasets import load_lpw, load_swirski

    _swirski_case(tmp_path / "p1-left")
    data = load_swirski(tmp_path / "p1-left")
    assert data.n == 6 and len(list(data.images)) == 6
    r = runner.invoke(app, ["eyetrack", "pupil-eval", str(tmp_path / "p1-left"), "--no-peer"])
    assert r.exit_code == 0, r.output
    row = next(line for line in r.output.splitlines() if "sensekit" in line)
    assert float(row.split("│")[2]) < 0.5  # median centre error (px)
    # LPW: an .avi and one "x y" line per frame beside it
    video = tmp_path / "1.avi"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (192, 192))
    truth = []
    for i in range(5):
        img, t = render_eye(5 * i, 0, 2.0, rng=i)
        w.write(cv2.cvtColor(img, cv2.COLOR_GRAY2BGR))
        truth.append(t["centre"])
    w.release()
    np.savetxt(tmp_path / "1.txt", truth)
    data = load_lpw(video)
    assert data.n == 5 and len(list(data.images)) == 5
    r = runner.invoke(app, ["eyetrack", "pupil-eval", str(tmp_path / "nothing.png")])
    assert r.exit_code != 0 and "Świrski" in r.stderr


def test_pupil_glint_vector_survives_headset_slip():
    """A headset that slips moves pupil and glints together in the image: the pupil-glint
    map keeps its accuracy, the pupil-only map does not."""
    display = HeadlessDisplay()
    eye = SimulatedEye(EyeModel(SCREEN), display, rate=60.0, fixation_noise_deg=0.05, render=False)
    res = {f: run_session(eye, display, SCREEN, targets=9, feature=f, settle_s=0.0, sample_s=0.3)
           for f in ("pupil", "pupil-glint")}
    val = target_layout(9, SCREEN, validation=True)
    for f, r in res.items():
        rows = []
        for tx, ty in val:
            display.target = (tx, ty)
            rows.append(eye.read(1)[0])
        rows = np.array(rows)
        rows[:, [0, 7]] += 4.0  # the camera slipped 4 px (0.5 mm) sideways
        rows[:, [1, 8]] += 2.0
        g = r.mapper.predict(rows)
        acc = np.mean([accuracy_precision(g[i : i + 1], val[i], SCREEN)["accuracy_deg"] for i in range(len(val))])
        if f == "pupil":
            assert acc > 1.5
        else:
            assert acc < 0.5
    # glints found on rendered images match the simulator's
    img, t = render_eye(10, -5, 2.0, glints=2, rng=3)
    r = detect_pupil(img)
    assert np.hypot(r[7] - t["glint"][0], r[8] - t["glint"][1]) < 0.5
    assert np.isnan(detect_pupil(render_eye(10, -5, 2.0, glints=0, rng=3)[0])[7])
