"""Wearable eye trackers' own files, read as the gaze direction, damage named: Tobii Pro Glasses 2
and 3 recordings (``livedata.json.gz``, ``gazedata.gz``), Project Aria eye gaze (MPS CSV), Neon Player's scene-camera pixels."""

from __future__ import annotations

import gzip
import json
import logging

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.errors import RecordingError
from sensekit.export import read_golden
from sensekit.eyetrack.datasets import GazeRecording, load_gaze
from sensekit.eyetrack.pipeline import EyePipeline
from sensekit.eyetrack.synth import gaze_signal
from sensekit.eyetrack.tobii_glasses import MAX_LINE_BYTES

runner = CliRunner()
LEFT, RIGHT = np.array([32.0, -12.0, -24.0]), np.array([-31.0, -11.0, -22.0])  # the eyes (mm, glasses' frame)


def _samples(x, y, *, one_eye=slice(0, 0), start=3.25, rate=100.0, seed=0):
    """Glasses 3 gaze lines of gaze ``x``, ``y`` (deg, x right, y up; NaN: no eye found), the
    gaze point at a noisy depth; the left eye missing in ``one_eye``."""
    az, el = np.radians(x), np.radians(y)
    ahead = np.stack([-np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1)  # (x to the left)
    depth = 600.0 + 100.0 * np.random.default_rng(seed).standard_normal(len(x))
    lost_eye = np.zeros(len(x), dtype=bool)
    lost_eye[one_eye] = True
    out = []
    for i in range(len(x)):
        data = {}
        if np.isfinite(x[i]):
            point = (LEFT + RIGHT) / 2 + depth[i] * ahead[i]
            data = {"gaze2d": [0.5, 0.5], "gaze3d": point.tolist()}
            for name, origin in (("eyeleft", LEFT), ("eyeright", RIGHT)):
                if not (name == "eyeleft" and lost_eye[i]):
                    v = point - origin
                    data[name] = {"gazeorigin": origin.tolist(), "gazedirection": (v / np.linalg.norm(v)).tolist(),
                                  "pupildiameter": 3.1}
        out.append(json.dumps({"type": "gaze", "timestamp": start + i / rate, "data": data}))
    return out


def _write(path, lines, *, compress=True, end="\n"):
    text = ("\n".join(lines) + end).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def test_a_glasses3_recording_is_read_as_the_binocular_gaze_direction(tmp_path):
    """The gaze point seen from the middle of the eyes: the simulated gaze back to 1e-9 deg, also
    where one eye is lost (its own direction would differ by the vergence), losses where no eye
    was found; the labels equal those of the same gaze in memory, through the folder, the file,
    the file decompressed and the command line."""
    x, y, _ = gaze_signal(20.0, 100.0, rng=1)
    assert np.isnan(x).any()
    folder = tmp_path / "20261202T101500Z"
    _write(folder / "gazedata.gz", _samples(x, y, one_eye=slice(500, 700)))
    rec = load_gaze(folder)
    assert rec.rate == 100.0 and rec.name == "20261202T101500Z" and rec.t[0] == 0.0 and rec.unwrapped
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)  # (y up, as every gaze direction is read)
    same = EyePipeline().labelled(GazeRecording(rec.t, x, y, 100.0, unwrapped=True).to_frame()).data[:, 3]
    np.testing.assert_array_equal(EyePipeline().labelled(rec.to_frame()).data[:, 3], same)
    plain = _write(tmp_path / "gazedata", _samples(x, y, one_eye=slice(500, 700)), compress=False)
    np.testing.assert_array_equal(load_gaze(plain).x, rec.x)
    r = runner.invoke(app, ["eyetrack", "events", str(folder / "gazedata.gz"), "-o", str(tmp_path / "ev.csv")])
    assert r.exit_code == 0, r.output
    assert "2000 samples at 100 Hz" in r.output
    events = EyePipeline().events(EyePipeline().labelled(rec.to_frame()))
    assert sum(1 for _ in open(tmp_path / "ev.csv")) == len(events) + 1


def test_the_eyes_own_directions_would_have_jumped(tmp_path):
    """Why the gaze point is read, not the eyes' directions: at 60 cm the left eye alone looks
    about 3 degrees off the eyes' mean (the vergence), a jump when the other eye is lost."""
    lines = [json.loads(line) for line in _samples(np.zeros(3), np.zeros(3))]
    left = np.array(lines[0]["data"]["eyeleft"]["gazedirection"])
    right = np.array(lines[0]["data"]["eyeright"]["gazedirection"])
    mean = (left + right) / 2
    assert np.degrees(np.arccos(left @ mean / np.linalg.norm(mean))) > 1.5


def test_a_recording_cut_off_mid_write_keeps_its_samples(tmp_path, caplog):
    """The battery ran out: a gzip stream that ends early and a last line cut in two give the
    samples before the cut, with a warning each."""
    x, y, _ = gaze_signal(5.0, 100.0, rng=2, blinks=False)
    lines = _samples(x, y)
    whole = gzip.compress(("\n".join(lines) + "\n").encode())
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "gazedata.gz").write_bytes(whole[: len(whole) * 2 // 3])
    with caplog.at_level(logging.WARNING):
        cut = load_gaze(tmp_path / "a")
    assert "cut off" in caplog.text
    assert 100 < len(cut.t) < len(lines)
    np.testing.assert_allclose(cut.x, x[: len(cut.t)], atol=1e-9)
    caplog.clear()
    _write(tmp_path / "b" / "gazedata.gz", [*lines[:-1], lines[-1][:25]], end="")
    with caplog.at_level(logging.WARNING):
        assert len(load_gaze(tmp_path / "b").t) == len(lines) - 1
    assert "last line is cut off" in caplog.text


def _glasses2_lines(x, y, *, one_eye=slice(0, 0), rate=50.0):
    """Glasses 2 livedata lines of gaze ``x``, ``y`` (deg, x right, y up; NaN: no eye found): per
    sample its gp, gp3 and each eye's pc, pd and gd lines under one gidx, an eye's lines out of
    order with the next sample's, invalid measurements (s 1) where the eye was lost, and the
    accelerometer's and video's lines between them."""
    az, el = np.radians(x), np.radians(y)
    ahead = np.stack([-np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1)
    depth = 550.0 + 80.0 * np.random.default_rng(1).standard_normal(len(x))
    lost_eye = np.zeros(len(x), dtype=bool)
    lost_eye[one_eye] = True
    lines, late = [], []
    for i in range(len(x)):
        ts, gidx, seen = 3170660907 + round(i * 1e6 / rate), 52598 + i, bool(np.isfinite(x[i]))
        point = (LEFT + RIGHT) / 2 + depth[i] * ahead[i] if seen else np.zeros(3)
        lines.append({"ts": ts, "s": 0 if seen else 1, "gidx": gidx, "l": 119702, "gp": [0.5, 0.5]})
        lines += late  # (the eye's lines of the sample before, after this one's first line)
        late = []
        lines.append({"ts": ts, "s": 0 if seen else 1, "gidx": gidx, "gp3": point.round(9).tolist()})
        for eye, origin in (("right", RIGHT), ("left", LEFT)):
            ok = seen and not (eye == "left" and lost_eye[i])
            for key, value in (("pc", origin.tolist()), ("pd", 3.9), ("gd", [0.0, 0.0, 1.0])):
                (late if eye == "left" and i % 3 == 0 else lines).append(
                    {"ts": ts, "s": 0 if ok else 1, "gidx": gidx, key: value, "eye": eye})
        if i % 10 == 0:
            lines.append({"ts": ts + 3, "s": 0, "ac": [0.1, -9.8, 0.2]})
            lines.append({"ts": ts + 5, "s": 0, "vts": i * 20000})
    return [json.dumps(line) for line in lines + late]


def test_a_glasses2_recording_is_read_as_the_binocular_gaze_direction(tmp_path, caplog):
    """A Glasses 2 recording folder (recording.json, segments/1/livedata.json.gz): the gaze back
    to 1e-9 deg from its measurements gathered by gidx (out of order, invalid ones left out, one
    eye lost for 2 s), losses where no eye was found; labels equal to the same gaze in memory; a
    folder of two segments (two clocks) is refused, naming one to give; a damaged gidx named; a
    measurement far later than its sample's is left out and counted (memory stays bounded)."""
    x, y, _ = gaze_signal(20.0, 50.0, rng=10)
    folder = tmp_path / "rec2"
    (folder / "segments" / "1").mkdir(parents=True)
    (folder / "recording.json").write_text('{"rec_info": {"Name": "r1"}}')
    _write(folder / "segments" / "1" / "livedata.json.gz", _glasses2_lines(x, y, one_eye=slice(300, 400)))
    rec = load_gaze(folder)
    assert rec.rate == 50.0 and rec.name == "rec2" and rec.unwrapped
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    lines = _glasses2_lines(x, y, one_eye=slice(300, 400))  # a measurement 900 samples late: left out, counted
    lines.append(json.dumps({"ts": 3170660907, "s": 0, "gidx": 52600, "gp3": [500.0, 0.0, 100.0]}))
    _write(tmp_path / "late" / "livedata.json.gz", lines)
    with caplog.at_level(logging.WARNING):
        late = load_gaze(tmp_path / "late" / "livedata.json.gz")
    assert "1 measurements came more than 200 samples after" in caplog.text
    np.testing.assert_array_equal(late.x, rec.x)
    same = EyePipeline().labelled(GazeRecording(rec.t, x, y, 50.0, unwrapped=True).to_frame()).data[:, 3]
    np.testing.assert_array_equal(EyePipeline().labelled(rec.to_frame()).data[:, 3], same)
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 0 and "1000 samples at 50 Hz" in r.output, r.output
    _write(folder / "segments" / "2" / "livedata.json.gz", _glasses2_lines(x[:50], y[:50]))
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 2 and "2 recording segments" in r.output and "segments/1/livedata.json.gz" in r.output
    damaged = _glasses2_lines(x[:50], y[:50])
    damaged[7] = '{"ts": 1, "s": 0, "gidx": "seven", "gp3": [0, 0, 1]}'
    _write(tmp_path / "livedata.json.gz", damaged)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "livedata.json.gz")])
    assert r.exit_code == 2 and "line 8 has no whole-number gidx" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize(("damage", "said"), [
    (lambda lines: [*lines[:5], "{not json", *lines[5:]], "line 6 is not JSON"),
    (lambda lines: [*lines[:5], '{"type": "gaze", "timestamp": "soon", "data": {}}', *lines[5:]],
     "line 6 has no timestamp"),
    (lambda lines: [*lines[:2], '{"type": "gaze", "timestamp": 1.0, "data": {"gaze3d": [1, "a", 2]}}'],
     "line 3, gaze3d"),
    (lambda lines: [*lines[:2], '{"type": "gaze", "timestamp": 1.0, "data": {"eyeleft": [1]}}'], "'eyeleft'"),
    (lambda lines: ["[1, 2]", *lines], "holds no Tobii Pro Glasses gaze"),
    (lambda lines: [*lines[:3], "[1, 2]", *lines[3:]], "line 4 is no JSON object"),
    (lambda lines: ['{"type": "gaze", "timestamp": 1e400, "data": {}}', *lines], "line 1 has no timestamp"),
    (lambda lines: ['{"type": "gaze", "timestamp": 1' + "0" * 400 + ', "data": {}}', *lines], "line 1 has no timestamp"),
    (lambda lines: [*lines[:2], '{"type": "gaze", "timestamp": 1.0, "data": {"gaze3d": [1, 1' + "0" * 400 + ', 2]}}'],
     "line 3, gaze3d"),
    (lambda lines: ['{"a": ' * 100000 + "1" + "}" * 100000, *lines], f"over {MAX_LINE_BYTES // 1024} KB"),
    (lambda lines: ['{"type": "imu", "timestamp": 0.5}'], "holds no gaze samples"),
])
def test_a_damaged_glasses3_file_is_named_in_one_line(tmp_path, damage, said):
    x, y, _ = gaze_signal(1.0, 100.0, rng=3, blinks=False)
    _write(tmp_path / "r" / "gazedata.gz", damage(_samples(x, y)))
    with pytest.raises(RecordingError, match=said):
        load_gaze(tmp_path / "r")
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "r")])
    assert r.exit_code == 2 and "Traceback" not in r.output and said.split(",")[0] in " ".join(r.output.split())


def test_glasses3_files_refuse_what_does_not_apply_and_what_is_not_gzip(tmp_path):
    x, y, _ = gaze_signal(1.0, 100.0, rng=3, blinks=False)
    path = _write(tmp_path / "r" / "gazedata.gz", _samples(x, y))
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "600"])
    assert r.exit_code == 2 and "not apply" in r.output
    r = runner.invoke(app, ["info", str(path)])
    assert r.exit_code == 2 and "sensekit eyetrack events" in r.output
    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"\x1f\x8b" + bytes(range(200)))
    r = runner.invoke(app, ["eyetrack", "events", str(bad)])
    assert r.exit_code == 2 and "not a readable gzip file" in r.output and "Traceback" not in r.output
    table = tmp_path / "gaze.gz"  # (a gzipped table not named as one is no glasses' file: said so, with the fix)
    table.write_bytes(gzip.compress(b"time,x,y\n0,1,2\n0.01,1,2\n"))
    r = runner.invoke(app, ["eyetrack", "events", str(table)])
    assert r.exit_code == 2 and "gunzip gaze.gz" in r.output


def _aria_csv(path, x, y, *, per_eye=True):
    """An Aria MPS eye gaze CSV of gaze ``x``, ``y`` (deg, x right, y up; NaN: an empty row's
    angles): CPF angles (x to the left), each eye's yaw (+-1.5 deg of vergence) or the combined."""
    az, el = np.radians(x), np.radians(y)
    cpf = np.stack([-np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1)
    yaw, pitch = np.arctan(cpf[:, 0] / cpf[:, 2]), np.arctan(cpf[:, 1] / cpf[:, 2])
    t = 123456789 + np.round(np.arange(len(x)) * 1e6 / 90.0).astype(np.int64)  # (90 Hz, whole us)
    cell = lambda v: "" if not np.isfinite(v) else repr(float(v))  # noqa: E731
    if per_eye:
        head = ("tracking_timestamp_us,left_yaw_rads_cpf,right_yaw_rads_cpf,pitch_rads_cpf,depth_m,"
                "tx_left_eye_cpf,ty_left_eye_cpf,tz_left_eye_cpf,session_uid")
        rows = [f"{t[i]},{cell(yaw[i] + 0.026)},{cell(yaw[i] - 0.026)},{cell(pitch[i])},1.2,0.0315,0,0,abc-1"
                for i in range(len(x))]
    else:
        head = "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,depth_m"
        rows = [f"{t[i]},{cell(yaw[i])},{cell(pitch[i])},0.8" for i in range(len(x))]
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("per_eye", [True, False])
def test_aria_eye_gaze_is_read_as_its_direction(tmp_path, per_eye):
    """An Aria MPS eye gaze file (each eye's yaw, or the combined gaze's) gives the gaze back to
    1e-9 deg in degrees, not radians (as a plain table with --units deg it would be 57 times too
    small), rows without angles as losses; the command line labels it as the API does."""
    x, y, _ = gaze_signal(10.0, 90.0, rng=4)
    path = _aria_csv(tmp_path / "general_eye_gaze.csv", x, y, per_eye=per_eye)
    rec = load_gaze(path).regular()
    assert rec.rate == pytest.approx(90.0, rel=1e-3) and rec.unwrapped
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(path), "-o", str(tmp_path / "ev.csv")])
    assert r.exit_code == 0, r.output
    events = EyePipeline().events(EyePipeline().labelled(rec.to_frame()))
    assert sum(1 for _ in open(tmp_path / "ev.csv")) == len(events) + 1
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--units", "deg"])
    assert r.exit_code == 2 and "not apply" in r.output
    (tmp_path / "mps" / "eye_gaze").mkdir(parents=True)  # an MPS output folder: its personalised gaze first
    (tmp_path / "mps" / "eye_gaze" / "general_eye_gaze.csv").write_text(path.read_text())
    assert load_gaze(tmp_path / "mps").name == "general_eye_gaze"
    (tmp_path / "mps" / "eye_gaze" / "personalized_eye_gaze.csv").write_text(path.read_text())
    for folder in (tmp_path / "mps", tmp_path / "mps" / "eye_gaze"):
        np.testing.assert_array_equal(load_gaze(folder).x, rec.x)
        assert load_gaze(folder).name == "personalized_eye_gaze"


NEON_CAMERA = {"camera_matrix": [[892.17, 0.0, 829.75], [0.0, 891.44, 606.96], [0.0, 0.0, 1.0]],
               "dist_coefs": [[-0.1314, 0.1083, 0.0002, -0.0003, 0.0023, 0.1712, 0.0508, 0.0196]],
               "serial_number": "123456", "version": 1}


def _scene_pixels(x, y, camera=NEON_CAMERA):
    """Scene-camera pixels of gaze ``x``, ``y`` (deg, x right, y down) through ``camera``'s lens."""
    import cv2

    xn = np.tan(np.radians(x))
    ray = np.column_stack([xn, np.tan(np.radians(y)) * np.hypot(xn, 1.0), np.ones(len(x))])
    seen = np.isfinite(ray).all(axis=1)
    px = np.full((len(x), 2), np.nan)
    k, d = np.array(camera["camera_matrix"]), np.array(camera["dist_coefs"]).ravel()
    px[seen] = cv2.projectPoints(ray[seen], np.zeros(3), np.zeros(3), k, d)[0].reshape(-1, 2)
    return px


def _neon_player_export(folder, x, y, camera=NEON_CAMERA):
    """A Neon Player gaze.csv (ns clock, scene-camera pixels alone) of gaze ``x``, ``y`` (deg, x
    right, y down), the pixels projected through a wide-angle camera's distortion, with its
    scene_camera.json beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    px = _scene_pixels(x, y, camera)
    t = 1700000000000000000 + np.arange(len(x)) * 5_000_000  # (200 Hz)
    cells = [["" if not np.isfinite(v) else repr(float(v)) for v in row] for row in px]
    rows = [f"{t[i]},{cells[i][0]},{cells[i][1]}" for i in range(len(x))]
    (folder / "gaze.csv").write_text("timestamp [ns],gaze x [px],gaze y [px]\n" + "\n".join(rows) + "\n")
    (folder / "scene_camera.json").write_text(json.dumps(camera))
    return folder / "gaze.csv"


def test_neon_player_pixels_are_read_in_degrees_with_the_scene_camera(tmp_path):
    """Scene-camera pixels through a wide-angle lens are no screen: with the recording's
    scene_camera.json they are undistorted back to the gaze to 1e-9 deg (30 deg off centre too,
    where OpenCV's default 5 steps leave tenths of a degree); without it, one line says what to
    do; a damaged one is named."""
    x, y, _ = gaze_signal(10.0, 200.0, rng=5)
    x, y = x * 3, y * 3  # (out to the wide lens' edges)
    assert np.nanmax(np.abs(x)) > 30
    path = _neon_player_export(tmp_path / "export", x, y)
    rec = load_gaze(path)
    assert rec.rate == 200.0 and not rec.labels  # (no Pupil detector's events in this export to compare with)
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(path)])
    assert r.exit_code == 0 and "2000 samples at 200 Hz" in r.output, r.output
    (tmp_path / "export" / "scene_camera.json").unlink()
    r = runner.invoke(app, ["eyetrack", "events", str(path)])
    assert r.exit_code == 2 and "scene_camera.json" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "600"])
    assert r.exit_code == 2 and "not apply" in r.output  # (the scene camera is no screen)
    for damaged, said in (
            ("{", "not valid JSON"),
            ('{"camera_matrix": [[1, 0], [0, 1]], "dist_coefs": [0, 0, 0, 0]}', "no camera_matrix"),
            ('{"camera_matrix": [[0, 0, 0], [0, 0, 0], [0, 0, 1]], "dist_coefs": [0, 0, 0, 0]}', "no camera_matrix"),
            ('{"camera_matrix": [[800, 0, 800], [0, 800, 600], [0, 0, 1]], "dist_coefs": "x"}', "no camera_matrix"),
            ('{"camera_matrix": [[8' + "0" * 400 + ', 0, 800], [0, 800, 600], [0, 0, 1]], "dist_coefs": [0, 0, 0, 0]}',
             "beyond any float")):
        (tmp_path / "export" / "scene_camera.json").write_text(damaged)
        r = runner.invoke(app, ["eyetrack", "events", str(path)])
        assert r.exit_code == 2 and said in r.output and "Traceback" not in r.output, damaged


def test_a_neon_gaze_stream_is_read_through_its_scene_camera(tmp_path):
    """A Neon's LSL outlet (``[Device]_Neon Gaze``: scene-camera pixels), recorded: without the
    camera's intrinsics, or given a screen, one line names --scene-camera; with them, 'eyetrack
    events' reads the gaze back to 1e-9 deg and 'run eyetrack' publishes the labels of the same
    gaze in degrees."""
    import json as json_

    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter

    x, y, _ = gaze_signal(6.0, 200.0, rng=6)
    info = StreamInfo("Lab_Neon Gaze", "gaze", 200.0, (2,), channels=("x", "y"), unit="pixels")
    with RecordingWriter(tmp_path / "neon.h5") as w:
        w.add_stream(info).append(Frame(info, _scene_pixels(x, y), t0=0.0))
    (tmp_path / "scene_camera.json").write_text(json_.dumps(NEON_CAMERA))
    camera = ["--scene-camera", str(tmp_path / "scene_camera.json")]
    for extra, said in (([], "is a Neon's gaze in its scene camera's pixels"),
                        (["--screen", "531x299mm@1920x1080", "--distance", "600"], "not a screen's")):
        for command in (["eyetrack", "events"], ["run", "eyetrack"]):
            r = runner.invoke(app, [*command, str(tmp_path / "neon.h5"), *extra])
            assert r.exit_code == 2 and said in r.output and "--scene-camera" in r.output, (command, r.output)
    rec = load_gaze(tmp_path / "neon.h5", scene_camera=(np.array(NEON_CAMERA["camera_matrix"]),
                                                       np.array(NEON_CAMERA["dist_coefs"]).ravel()))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "neon.h5"), *camera, "--labels",
                            str(tmp_path / "l.csv")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "neon.h5"), *camera, "--jsonl"])
    assert r.exit_code == 0, r.output
    live = np.array([json_.loads(line)["data"] for line in r.stdout.splitlines()[1:]], dtype=float)
    same = EyePipeline(chunk_s=0.5).labelled(GazeRecording(rec.t, x, y, 200.0).to_frame()).data
    np.testing.assert_allclose(live[:, :2], same[:, :2], atol=1e-9)
    np.testing.assert_array_equal(live[:, 3], same[:, 3])
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "neon.h5#Lab_Neon Gaze"), *camera, "--columns", "t,x,y"])
    assert r.exit_code == 2 and "not apply" in r.output
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "200", "-o", str(tmp_path / "fw"), "--golden", "2",
                            "--golden-from", str(tmp_path / "neon.h5"), *camera])  # (the C checked against Python)
    assert r.exit_code == 0, r.output
    golden = np.concatenate([block for block, _ in read_golden(tmp_path / "fw" / "golden.bin")[2]])
    np.testing.assert_allclose(golden, np.column_stack([x, y])[: len(golden)], atol=1e-9)


def test_run_eyetrack_reads_a_screen_trackers_pixels_with_screen(tmp_path):
    """A screen tracker's gaze stream in pixels that does not carry its screen (another program's
    outlet): 'run eyetrack' said to give --screen, which it did not have; now it does, and its
    labels are those of the gaze in degrees. Eye images refuse it. Fractions of the screen (a
    stream's unit 'normalized', or --units norm for one that says none) read the same; --units
    against the stream's own unit is refused."""
    import json as json_

    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter
    from sensekit.eyetrack.geometry import Screen

    screen = Screen.parse("531x299mm@1920x1080", 600.0)
    gx, gy, _ = gaze_signal(6.0, 300.0, rng=7)
    px, py = screen.to_pixels(gx, gy)
    info = StreamInfo("Tracker", "gaze", 300.0, (2,), channels=("x", "y"), unit="pixels")
    with RecordingWriter(tmp_path / "px.h5") as w:
        w.add_stream(info).append(Frame(info, np.column_stack([px, py]), t0=0.0))
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "px.h5"), "--online", "--jsonl"])
    assert r.exit_code == 2 and "--screen" in r.output
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "px.h5"), "--jsonl", "--screen", "531x299mm@1920x1080",
                            "--distance", "600"])
    assert r.exit_code == 0, r.output
    live = np.array([json_.loads(line)["data"] for line in r.stdout.splitlines()[1:]], dtype=float)
    same = EyePipeline(chunk_s=0.5).labelled(GazeRecording(np.arange(len(gx)) / 300.0, gx, gy, 300.0).to_frame()).data
    np.testing.assert_allclose(live[:, :2], same[:, :2], atol=1e-9)
    np.testing.assert_array_equal(live[:, 3], same[:, 3])
    r = runner.invoke(app, ["run", "eyetrack", "synth:eye", "--duration", "0.2", "--screen", "531x299mm@1920x1080",
                            "--distance", "600"])
    assert r.exit_code == 2 and "not apply" in r.output
    for unit, given in (("normalized", []), ("", ["--units", "norm"])):  # fractions of the screen, said or stated
        info = StreamInfo("Tracker", "gaze", 300.0, (2,), channels=("x", "y"), unit=unit)
        with RecordingWriter(tmp_path / f"norm{unit}.h5") as w:
            w.add_stream(info).append(Frame(info, np.column_stack([px / 1920, py / 1080]), t0=0.0))
        r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / f"norm{unit}.h5"), "--jsonl", "--screen",
                                "531x299mm@1920x1080", "--distance", "600", *given])
        assert r.exit_code == 0, r.output
        norm = np.array([json_.loads(line)["data"] for line in r.stdout.splitlines()[1:]], dtype=float)
        np.testing.assert_allclose(norm[:, :2], same[:, :2], atol=1e-9)
        np.testing.assert_array_equal(norm[:, 3], same[:, 3])
    r = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "px.h5"), "--units", "norm", "--screen",
                            "531x299mm@1920x1080", "--distance", "600"])
    assert r.exit_code == 2 and "says it is in px" in r.output


def test_info_on_a_gaze_export_names_eyetrack_events(tmp_path):
    """`info` reads tables as recordings of streams: on a gaze export it had said "no time column
    ... give its rate" (an Aria file, a Varjo log) or "a non-numeric row" (a Pupil Cloud file);
    it now names the export and the command that reads it."""
    x, y, _ = gaze_signal(1.0, 90.0, rng=8)
    aria = _aria_csv(tmp_path / "general_eye_gaze.csv", x, y)
    (tmp_path / "gaze.csv").write_text("section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,"
                                       "fixation id,blink id,azimuth [deg],elevation [deg]\n"
                                       "s,r,1700000000000000000,800,600,1,1,,0.5,0.2\n")
    for path, kind in ((aria, "a Project Aria eye gaze file"), (tmp_path / "gaze.csv", "a Pupil Cloud")):
        r = runner.invoke(app, ["info", str(path)])
        assert r.exit_code == 2 and kind in r.output and "sensekit eyetrack events" in r.output, r.output


def test_gaze_too_slow_for_saccades_says_what_its_labels_are(caplog):
    """Aria glasses often track the eyes at 10 Hz: a saccade falls between two samples, and the
    detector's labels are fixations and moves between them (a move over samples reads as
    pursuit). It had said that saccade events "remain usable"; it now says what they are."""
    x, y, _ = gaze_signal(30.0, 10.0, rng=9)
    with caplog.at_level(logging.WARNING):
        EyePipeline().labelled(GazeRecording(np.arange(len(x)) / 10.0, x, y, 10.0, unwrapped=True).to_frame())
    assert "falls between samples" in caplog.text and "remain usable" not in caplog.text


def test_what_a_pixel_gaze_stream_takes():
    """One rule for a gaze stream in pixels: a screen or a scene camera, never both; neither to a
    stream that carries its own screen, is in degrees or is a direction; a Neon's needs the scene
    camera."""
    from sensekit.core import StreamInfo
    from sensekit.errors import ParameterError
    from sensekit.eyetrack.geometry import Screen
    from sensekit.eyetrack.stages import pixel_gaze_meta

    screen = Screen.parse("531x299mm@1920x1080", 600.0)
    camera = (np.array(NEON_CAMERA["camera_matrix"]), np.array(NEON_CAMERA["dist_coefs"]).ravel())
    px = StreamInfo("Tracker", "gaze", 300.0, (2,), channels=("x", "y"), unit="pixels")
    own = px.replace(meta={"gaze_units": "px", "screen": screen.to_dict()})
    neon = StreamInfo("Lab_Neon Gaze", "gaze", 200.0, (2,), channels=("x", "y"))
    deg = px.replace(unit="deg")
    assert pixel_gaze_meta(px, screen=screen) == {"gaze_units": "px", "screen": screen.to_dict()}
    assert pixel_gaze_meta(neon, scene_camera=camera)["scene_camera"]["dist_coefs"] == list(camera[1])
    assert pixel_gaze_meta(own) == {} and pixel_gaze_meta(deg) == {}
    assert pixel_gaze_meta(px.replace(unit=""), units="norm", screen=screen)["gaze_units"] == "norm"
    for info, kwargs, said in ((px, {"screen": screen, "scene_camera": camera}, "give one"),
                               (own, {"scene_camera": camera}, "carries its own screen"),
                               (own, {"screen": screen}, "carries its own screen"),
                               (deg, {"screen": screen}, "is in degrees"),
                               (px, {"screen": screen, "direction": True}, "is a gaze direction"),
                               (neon, {}, "a Neon's gaze"), (neon, {"screen": screen}, "not a screen's"),
                               (px, {"units": "deg"}, "says it is in px"), (px, {"units": "mm"}, "is not one of"),
                               (px.replace(unit=""), {"units": "norm", "scene_camera": camera}, "fractions of a screen")):
        with pytest.raises(ParameterError, match=said):
            pixel_gaze_meta(info, **kwargs)


def test_a_compressed_table_is_read_as_the_table(tmp_path, monkeypatch):
    """Large exports are kept compressed (export.tsv.gz): read as the table they hold, with every
    table option, and labelled as the table is; a stream that inflates past the table limit is
    refused, and a gzipped table is no glasses' file."""
    import sensekit.eyetrack.datasets as datasets

    x, y, _ = gaze_signal(5.0, 250.0, rng=11)
    rows = ["stamp\tgx\tgy"] + [f"{i * 4}\t{a:.6f}\t{b:.6f}" for i, (a, b) in enumerate(zip(x, y, strict=True))]
    (tmp_path / "export.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "export.tsv.gz").write_bytes(gzip.compress((tmp_path / "export.tsv").read_bytes()))
    options = {"columns": ("stamp", "gx", "gy"), "time_unit": "ms", "units": "deg"}
    plain, packed = load_gaze(tmp_path / "export.tsv", **options), load_gaze(tmp_path / "export.tsv.gz", **options)
    assert packed.name == "export" and packed.rate == 250.0
    np.testing.assert_array_equal(packed.x, plain.x)
    np.testing.assert_array_equal(packed.t, plain.t)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "export.tsv.gz"), "--columns", "stamp,gx,gy",
                            "--time-unit", "ms", "--units", "deg"])
    assert r.exit_code == 0 and "1250 samples at 250 Hz" in r.output, r.output
    monkeypatch.setattr(datasets, "MAX_GAZE_TABLE_BYTES", 10_000)
    with pytest.raises(RecordingError, match="decompresses to over"):
        load_gaze(tmp_path / "export.tsv.gz", **options)


def _pupil_core(x, y, *, rate=200.0, start=8123.25, low=slice(0, 0)):
    """Pupil Core gaze data of gaze ``x``, ``y`` (deg, x right, y down as in the scene camera's
    frame; NaN: no pupil found, confidence 0), binocular and one-eye topics interleaved; the
    confidence under Pupil's 0.6 in ``low``."""
    az, el = np.radians(x), np.radians(y)
    point = 500.0 * np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1)
    conf = np.where(np.isnan(x), 0.0, 0.95)
    conf[low] = 0.3
    return [{"topic": ("gaze.3d.01.", "gaze.3d.0.", "gaze.3d.1.")[i % 7 // 5 * (1 + i % 2)],
             "timestamp": start + i / rate, "confidence": float(conf[i]),
             "norm_pos": [0.5 + float(np.nan_to_num(x[i])) / 90, 0.5 - float(np.nan_to_num(y[i])) / 70],
             "gaze_point_3d": np.nan_to_num(point[i]).tolist(), "base_data": [{"id": 0, "diameter": 31.5}]}
            for i in range(len(x))]


def _pldata(path, data):
    import msgpack

    path.parent.mkdir(parents=True, exist_ok=True)
    packer = msgpack.Packer(use_bin_type=True)
    path.write_bytes(b"".join(packer.pack((d["topic"], packer.pack(d))) for d in data))
    return path


def _gaze_positions(path, data):
    """Pupil Player's export of the same data (gaze_positions.csv)."""
    three = "gaze_point_3d" in data[0]
    lines = ["gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y,base_data"
             + ",gaze_point_3d_x,gaze_point_3d_y,gaze_point_3d_z" * three]
    lines += [f"{d['timestamp']!r},{i // 7},{d['confidence']!r},{d['norm_pos'][0]!r},{d['norm_pos'][1]!r},x"
              + "".join(f",{v!r}" for v in d.get("gaze_point_3d", ())) for i, d in enumerate(data)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_pupil_core_recording_is_read_as_its_gaze_export_is(tmp_path):
    """A Pupil Core recording folder (gaze.pldata, msgpack) without Pupil Player: the samples and
    degrees of its gaze_positions.csv export, to the last bit, as a direction and on a screen;
    the simulated gaze back to 1e-9 deg; data under Pupil's confidence lost; the command line's
    labels those of the same gaze; `info` points to `eyetrack events`."""
    x, y, _ = gaze_signal(10.0, 200.0, rng=4)
    data = _pupil_core(x, y, low=slice(800, 850))
    folder = tmp_path / "2026_12_02" / "000"
    _pldata(folder / "gaze.pldata", data)
    (folder / "info.player.json").write_text('{"recording_software_name": "Pupil Capture"}')
    export = _gaze_positions(tmp_path / "gaze_positions.csv", data)
    rec, csv = load_gaze(folder), load_gaze(export)
    assert rec.name == "000" and rec.rate == 200.0 and rec.unwrapped and len(rec.t) == len(x)
    for a, b in ((rec.t, csv.t), (rec.x, csv.x), (rec.y, csv.y)):
        np.testing.assert_array_equal(a, b)
    lost = np.isnan(x)
    lost[800:850] = True
    np.testing.assert_array_equal(np.isnan(rec.x), lost)
    np.testing.assert_allclose(rec.x[~lost], x[~lost], atol=1e-9)
    np.testing.assert_allclose(rec.y[~lost], y[~lost], atol=1e-9)
    from sensekit.eyetrack.geometry import Screen

    screen = Screen.parse("531x299mm@1920x1080", 650)
    on_screen, csv_screen = load_gaze(folder / "gaze.pldata", screen=screen), load_gaze(export, screen=screen)
    np.testing.assert_array_equal(on_screen.x, csv_screen.x)
    np.testing.assert_array_equal(on_screen.y, csv_screen.y)
    r = runner.invoke(app, ["eyetrack", "events", str(folder), "--labels", str(tmp_path / "labels.csv")])
    assert r.exit_code == 0, r.output
    assert "2000 samples at 200 Hz" in r.output
    labels = [line.rsplit(",", 1)[1] for line in (tmp_path / "labels.csv").read_text().splitlines()[1:]]
    same = EyePipeline().labelled(GazeRecording(rec.t, rec.x, rec.y, 200.0, unwrapped=True).to_frame()).data[:, 3]
    from sensekit.eyetrack.labels import LABEL_NAMES

    assert labels == [LABEL_NAMES[int(code)] for code in same] and "saccade" in labels
    # --save-gaze: the gaze as read, a stream the live chain replays with the same online events
    r = runner.invoke(app, ["eyetrack", "events", str(folder), "--online", "-o", str(tmp_path / "online.csv"),
                            "--save-gaze", str(tmp_path / "gaze.h5")])
    assert r.exit_code == 0 and "2,000 samples at 200 Hz, degrees) written to" in r.stdout, r.output
    live = runner.invoke(app, ["run", "eyetrack", str(tmp_path / "gaze.h5"), "--online", "--jsonl"])
    assert live.exit_code == 0, live.output
    from sensekit.eyetrack.online import ONLINE_EVENT_NAMES

    codes = {name: code for code, name in ONLINE_EVENT_NAMES.items()}
    written = np.array([[codes[row.split(",")[0]], *map(float, row.split(",")[1:])]
                        for row in (tmp_path / "online.csv").read_text().splitlines()[1:]])
    published = np.array([json.loads(line)["data"] for line in live.stdout.splitlines()[1:]], dtype=float)
    assert len(written) > 20 and written.shape == published.shape
    np.testing.assert_allclose(written, published, rtol=1e-9, atol=1e-9)
    r = runner.invoke(app, ["eyetrack", "events", str(folder), "--save-gaze", str(tmp_path / "gaze.csv")])
    assert r.exit_code == 2 and "--save-gaze writes a sensekit recording (.h5)" in r.stderr
    r = runner.invoke(app, ["info", str(folder)])
    assert r.exit_code == 2 and f"is a Pupil Core recording, which sensekit reads as gaze; fix: sensekit eyetrack " \
        f"events {folder}" in " ".join(r.stderr.split())


def test_a_damaged_pupil_core_recording_is_named_in_one_line(tmp_path, caplog):
    """Cut off mid-write: the data before the cut, with a warning. A damaged record, another
    topic, a record no gaze datum is, a file of no msgpack, an empty recording (no calibration)
    and options that do not apply: one line each, naming the record."""
    import msgpack

    from sensekit.eyetrack.pupil_core import MAX_RECORD_BYTES

    x, y, _ = gaze_signal(2.0, 200.0, rng=5, blinks=False)
    data = _pupil_core(x, y)
    whole = _pldata(tmp_path / "whole" / "gaze.pldata", data).read_bytes()
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "gaze.pldata").write_bytes(whole[: len(whole) - 40])
    with caplog.at_level(logging.WARNING):
        cut = load_gaze(tmp_path / "cut")
    assert "cut off mid-record after 399 gaze data" in caplog.text
    np.testing.assert_array_equal(cut.x, load_gaze(tmp_path / "whole").x[:399])
    packer = msgpack.Packer(use_bin_type=True)
    bad_time = dict(data[5], timestamp=float("nan"))
    cases = {"record 6 is not a Pupil gaze datum (no finite timestamp)": [*data[:5], bad_time, *data[6:]],
             "record 3 is not a Pupil gaze datum (its topic is 'pupil.0.3d', not gaze)":
                 [*data[:2], dict(data[2], topic="pupil.0.3d"), *data[3:]],
             "record 2 is not a Pupil gaze datum (no confidence and norm_pos)":
                 [data[0], {k: v for k, v in data[1].items() if k != "norm_pos"}, *data[2:]]}
    for said, records in cases.items():
        r = runner.invoke(app, ["eyetrack", "events", str(_pldata(tmp_path / "case" / "gaze.pldata", records))])
        assert r.exit_code == 2 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.output
    path = tmp_path / "case" / "gaze.pldata"
    first = len(packer.pack((data[0]["topic"], packer.pack(data[0]))))
    for raw, said in ((whole[:first] + b"\xc1" + whole[first:], "record 2 is not a Pupil gaze datum (unreadable "
                                                                  "msgpack"),
                      (packer.pack(("gaze.3d.01.", "not bytes")) + whole, "record 1 is not a Pupil gaze datum (not a "
                                                                          "(topic, payload) pair)"),
                      (whole[:first] + packer.pack(("gaze.3d.01.", b"\xc1")) + whole[first:],
                       "record 2 is not a Pupil gaze datum (its payload is unreadable msgpack"),
                      (b"\xdb" + (MAX_RECORD_BYTES * 4).to_bytes(4, "big") + b"a" * 5000, "not a Pupil data file"),
                      (whole[:first] + b"\xdb" + (MAX_RECORD_BYTES * 4).to_bytes(4, "big") + b"a" * (2 * MAX_RECORD_BYTES),
                       "record 2 is not a Pupil gaze datum (it says it is longer than the 1 MB a record may be)"),
                      (b"", "holds 0 gaze data: Pupil Capture records gaze only once it is calibrated")):
        path.write_bytes(raw)
        r = runner.invoke(app, ["eyetrack", "events", str(path)])
        assert r.exit_code == 2 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, (said, r.output)
    mapped = _pldata(tmp_path / "case" / "offline_data" / "gaze-mappings" / "Default_Gaze_Mapper-0a1b.pldata", data)
    r = runner.invoke(app, ["eyetrack", "events", str(path)])  # (no gaze recorded: a post-hoc mapping, named)
    assert r.exit_code == 2 and f"fix: give Pupil Player's post-hoc gaze mapping, {mapped}" in r.stderr, r.output
    np.testing.assert_array_equal(load_gaze(mapped).x, load_gaze(tmp_path / "whole").x)
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "whole"), "--units", "deg"])
    assert r.exit_code == 2 and "--units does not apply: gaze.pldata is a Pupil Core recording's gaze" in r.stderr


#: Pupil Core's own default intrinsics of its scene camera (Pupil Cam1 ID2): 720p pinhole model,
#: 1080p fisheye (Pupil's camera_models.py).
PUPIL_CAM = {"radial": ([[829.3510515270362, 0.0, 659.9293047259697], [0.0, 799.5709408845464, 373.0776462356668],
                         [0.0, 0.0, 1.0]], [[-0.43738542863224966, 0.190570781428104, -0.00125233833830639,
                                             0.0018723428760170056, -0.039219091259637684]], [1280, 720]),
             "fisheye": ([[843.364676204713, 0.0, 983.8920955744197], [0.0, 819.1042187528645, 537.1633514857654],
                          [0.0, 0.0, 1.0]], [[-0.1804359422372346], [0.042312699050507684], [-0.048304496525298606],
                                             [0.022210236517363622]], [1920, 1080])}


@pytest.mark.parametrize("cam_type", ["radial", "fisheye"])
def test_pupil_core_2d_gaze_is_read_through_the_scene_cameras_lens(tmp_path, cam_type):
    """The 2-D gaze mapper's data have no 3-D point, only norm_pos in the scene image: read in
    degrees through the recording's world.intrinsics (Pupil's 720p pinhole and 1080p fisheye
    lenses), the simulated gaze back to 1e-9 deg, from the recording and from its export in
    exports/000/; without the intrinsics, one line says what to give."""
    import cv2
    import msgpack

    x, y, _ = gaze_signal(5.0, 200.0, rng=6, blinks=False)
    matrix, dist, (width, height) = (np.array(PUPIL_CAM[cam_type][0]), np.array(PUPIL_CAM[cam_type][1]),
                                     PUPIL_CAM[cam_type][2])
    az, el = np.radians(x), np.radians(y)
    ray = np.stack([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)], axis=1)
    if cam_type == "fisheye":
        px = cv2.fisheye.projectPoints(ray.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), matrix, dist.ravel())[0]
    else:
        px = cv2.projectPoints(ray.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), matrix, dist.ravel())[0]
    px = px.reshape(-1, 2)
    data = _pupil_core(x, y)
    for d, (u, v) in zip(data, px, strict=True):
        d.update(topic="gaze.2d.01.", norm_pos=[float(u / width), float(1 - v / height)])
        del d["gaze_point_3d"]
    folder = tmp_path / "000"
    _pldata(folder / "gaze.pldata", data)
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 2 and "nor its scene camera's intrinsics (world.intrinsics)" in r.stderr, r.output
    intrinsics = {"camera_matrix": matrix.tolist(), "dist_coefs": dist.tolist(), "resolution": [width, height],
                  "cam_type": cam_type}
    (folder / "world.intrinsics").write_bytes(msgpack.packb({"version": 1, f"({width}, {height})": intrinsics}))
    rec = load_gaze(folder)
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    export = _gaze_positions(folder / "exports" / "000" / "gaze_positions.csv", data)
    np.testing.assert_array_equal(load_gaze(export).x, rec.x)
    (folder / "world.intrinsics").write_bytes(msgpack.packb({"version": 1, "(1, 2)": dict(intrinsics,
                                                                                        cam_type="spherical")}))
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 2 and "world.intrinsics: no cam_type" in r.stderr and len(r.stderr.splitlines()) == 1


def _neon_native(folder, x, y, *, parts=1, full_rate=False, camera=NEON_CAMERA):
    """A Neon native recording folder of gaze ``x``, ``y`` (deg, x right, y down): float32
    scene-camera pixels and uint64 ns stamps in ``gaze psN.raw/.time`` parts (or
    ``gaze_200hz.raw/.time``), and the scene camera in calibration.bin."""
    from sensekit.eyetrack.neon_native import NEON_CALIBRATION_DTYPE

    folder.mkdir(parents=True, exist_ok=True)
    px = _scene_pixels(x, y, camera).astype("<f4")
    t = (1700000000000000000 + np.arange(len(x)) * 5_000_000).astype("<u8")
    names = ["gaze_200hz"] if full_rate else [f"gaze ps{k + 1}" for k in range(parts)]
    for name, rows in zip(names, np.array_split(np.arange(len(x)), len(names)), strict=True):
        (folder / f"{name}.raw").write_bytes(px[rows].tobytes())
        (folder / f"{name}.time").write_bytes(t[rows].tobytes())
    record = np.zeros(1, dtype=NEON_CALIBRATION_DTYPE)
    record["version"], record["serial"] = 1, b"123456"
    record["scene_camera_matrix"] = camera["camera_matrix"]
    record["scene_distortion_coefficients"] = np.ravel(camera["dist_coefs"])
    (folder / "calibration.bin").write_bytes(record.tobytes())
    (folder / "info.json").write_text('{"android_device_model": "moto g"}')
    return folder


def test_a_neon_native_recording_is_read_as_its_neon_player_export_is(tmp_path, caplog):
    """The Companion app's own files (float32 scene pixels, ns stamps, calibration.bin), read in
    degrees through the lens: the gaze of Neon Player's gaze.csv of the same pixels, to the last
    bit; the simulated gaze back to 1e-4 deg (float32 pixels); parts in their order, the 200 Hz
    gaze preferred; a part cut off keeps what both its files hold; damage is one line."""
    x, y, _ = gaze_signal(6.0, 200.0, rng=8)
    folder = _neon_native(tmp_path / "2026-12-02_10-15-00-abcd", x, y, parts=3)
    rec = load_gaze(folder)
    assert rec.rate == 200.0 and rec.name == "2026-12-02_10-15-00-abcd" and len(rec.t) == len(x)
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-4)
    np.testing.assert_allclose(rec.y, y, atol=1e-4)
    pixels = np.frombuffer(b"".join((folder / f"gaze ps{k}.raw").read_bytes() for k in (1, 2, 3)), "<f4")
    xs, ys = pixels[0::2].astype(float).tolist(), pixels[1::2].astype(float).tolist()
    export = tmp_path / "export"
    export.mkdir()
    (export / "gaze.csv").write_text("timestamp [ns],gaze x [px],gaze y [px]\n" + "".join(
        f"{1700000000000000000 + 5_000_000 * i},{'' if np.isnan(a) else repr(a)},{'' if np.isnan(b) else repr(b)}\n"
        for i, (a, b) in enumerate(zip(xs, ys, strict=True))))
    (export / "scene_camera.json").write_text(json.dumps(NEON_CAMERA))
    player = load_gaze(export / "gaze.csv")
    np.testing.assert_array_equal(rec.x, player.x)
    np.testing.assert_array_equal(rec.y, player.y)
    # off the face (worn 0) and blinks: lost, as Pupil Cloud marks them; real-time worn has its own stamps
    off = _neon_native(tmp_path / "off", x, y, parts=1)
    t0 = 1700000000000000000
    (off / "worn ps1.raw").write_bytes(np.array([1, 0, 1], "u1").tobytes())
    (off / "worn ps1.time").write_bytes(np.array([t0, t0 + 1_000_000_000, t0 + 1_500_000_000], "<u8").tobytes())
    (off / "blinks ps1.raw").write_bytes(np.array([t0 + 3_000_000_000, t0 + 3_200_000_000], "<i8").tobytes())
    (off / "blinks ps1.time").write_bytes(np.array([t0 + 3_000_000_000], "<u8").tobytes())
    lost = np.isnan(load_gaze(off).x)
    expected = np.isnan(x)
    expected[200:300] = True  # (1.0 to 1.5 s: not worn)
    expected[600:641] = True  # (3.0 to 3.2 s: a blink)
    np.testing.assert_array_equal(lost, expected)
    full = _neon_native(tmp_path / "full", x[:400], y[:400], full_rate=True)
    _neon_native(full, x, y, parts=2)  # (the real-time parts beside: the 200 Hz gaze is read)
    assert len(load_gaze(full).t) == 400
    worn = np.ones(400, "u1")
    worn[100:150] = 0  # (the 200 Hz worn file shares the 200 Hz gaze's stamps)
    (full / "worn_200hz.raw").write_bytes(worn.tobytes())
    np.testing.assert_array_equal(np.isnan(load_gaze(full).x), np.isnan(x[:400]) | (worn == 0))
    cut = full / "gaze_200hz.time"
    cut.write_bytes(cut.read_bytes()[:-12])  # (the phone stopped mid-write: one stamp and a half lost)
    with caplog.at_level(logging.WARNING):
        assert len(load_gaze(full).t) == 398
    assert "the recording was cut off; the 398 samples both have are kept" in caplog.text
    r = runner.invoke(app, ["info", str(folder)])
    assert r.exit_code == 2 and "is a Neon recording, which sensekit reads as gaze" in " ".join(r.stderr.split())
    r = runner.invoke(app, ["eyetrack", "events", str(folder), "--save-gaze", str(tmp_path / "neon.h5")])
    assert r.exit_code == 0 and "1,200 samples at 200 Hz" in r.stdout, r.output
    (folder / "calibration.bin").write_bytes(b"\0" * 100)
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 2 and "100 bytes, not a Neon calibration" in r.stderr and len(r.stderr.splitlines()) == 1
    _neon_native(folder, x, y, parts=3, camera=dict(NEON_CAMERA, camera_matrix=[[0, 0, 0], [0, 0, 0], [0, 0, 1]]))
    r = runner.invoke(app, ["eyetrack", "events", str(folder)])
    assert r.exit_code == 2 and "calibration.bin: no camera_matrix" in r.stderr
    r = runner.invoke(app, ["eyetrack", "events", str(folder), "--screen", "531x299mm@1920x1080", "--distance", "650"])
    assert r.exit_code == 2 and "--screen/--distance does not apply" in r.stderr


def _smi_export(path, x, y, labels, screen, *, geometry=True, eye="L"):
    """An SMI BeGaze sample export of gaze ``x``, ``y`` (deg) on ``screen``: µs clock, a message
    row now and then, lost samples at (0, 0), BeGaze's events per sample."""
    from sensekit.eyetrack.labels import LABEL_NAMES

    px, py = screen.to_pixels(x, y)
    lines = ["## [BeGaze]", "## Converted from:\tC:\\data\\s01.idf", "## Sample Rate:\t500"]
    if geometry:
        lines += [f"## Calibration Area:\t{screen.width_px}\t{screen.height_px}",
                  f"## Stimulus Dimension [mm]:\t{screen.width_mm:g}\t{screen.height_mm:g}",
                  f"## Head Distance [mm]:\t{screen.distance_mm:g}"]
    lines += ["##", f"Time\tType\tTrial\t{eye} POR X [px]\t{eye} POR Y [px]\t{eye} Pupil Diameter [mm]\t"
                    f"Pupil Confidence\t{eye} Event Info"]
    names = {"fixation": "Fixation", "saccade": "Saccade", "blink": "Blink"}
    for i in range(len(x)):
        stamp = 123456789000 + 2000 * i
        if i % 400 == 7:
            lines.append(f"{stamp - 1}\tMSG\t1\t# Message: trial {i // 400}")
        a, b = (0.0, 0.0) if np.isnan(px[i]) else (float(px[i]), float(py[i]))
        lines.append(f"{stamp}\tSMP\t1\t{a!r}\t{b!r}\t3.1\t1\t{names.get(LABEL_NAMES[int(labels[i])], '-')}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_smi_export_is_read_on_its_own_screen_with_begazes_events(tmp_path):
    """SMI iView X / BeGaze sample exports: the screen from the file's preamble (no --screen),
    the gaze back to 1e-9 deg, messages skipped, (0, 0) and blinks lost, BeGaze's events kept as
    labels and scored; without the preamble's geometry, --screen; a bad row named."""
    from sensekit.eyetrack.geometry import Screen
    from sensekit.eyetrack.labels import BLINK, FIXATION, SACCADE

    x, y, truth = gaze_signal(8.0, 500.0, rng=9)
    screen = Screen(474.0, 297.0, 1680, 1050, 700.0)
    labels = np.where(np.isnan(x), BLINK, np.where(np.isin(truth, (SACCADE,)), SACCADE, FIXATION))
    path = _smi_export(tmp_path / "s01 Samples.txt", x, y, labels, screen)
    rec = load_gaze(path)
    assert rec.rate == 500.0 and len(rec.t) == len(x) and rec.screen == screen
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    np.testing.assert_allclose(rec.y, y, atol=1e-9)
    np.testing.assert_array_equal(rec.labels["BeGaze"], labels)
    r = runner.invoke(app, ["eyetrack", "events", str(path)])
    assert r.exit_code == 0 and "BeGaze" in r.stdout and "4000 samples at 500 Hz" in r.stdout, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(path), "--screen", "531x299mm@1920x1080", "--distance", "650"])
    assert r.exit_code == 2 and "which says its own columns, time unit and gaze units and screen" in r.stderr
    bare = _smi_export(tmp_path / "right.txt", x, y, labels, screen, geometry=False, eye="R")
    r = runner.invoke(app, ["eyetrack", "events", str(bare)])
    assert r.exit_code == 2 and "states no screen geometry" in r.stderr and "--screen" in r.stderr
    again = load_gaze(bare, screen=screen)
    np.testing.assert_array_equal(again.x, rec.x)
    text = path.read_text().splitlines()
    text[20] = text[20].replace("\tSMP\t1\t", "\tSMP\t1\tabc", 1)  # (an x of 'abc850.7')
    (tmp_path / "bad.txt").write_text("\n".join(text) + "\n")
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "bad.txt")])
    assert r.exit_code == 2 and "sample row" in r.stderr and "not three numbers" in r.stderr, r.output


def test_a_gazepoint_export_is_read_by_its_header(tmp_path):
    """A Gazepoint Analysis / Control export (TIME(date) in s, the best point of gaze BPOGX/Y in
    fractions of the screen, BPOGV 0 where lost) is told by its header: read on --screen as the
    same gaze in a plain table is, without --columns; without a screen, one line asks for it."""
    from sensekit.eyetrack.geometry import Screen

    x, y, _ = gaze_signal(6.0, 150.0, rng=10)
    screen = Screen.parse("531x299mm@1920x1080", 650)
    px, py = screen.to_pixels(x, y)
    fx, fy = (px / 1920).tolist(), (py / 1080).tolist()
    head = ("MEDIA_ID,MEDIA_NAME,CNT,TIME(2024/03/01 10:12:01.123),TIMETICK(f=10000000),FPOGX,FPOGY,FPOGS,FPOGD,"
            "FPOGID,FPOGV,BPOGX,BPOGY,BPOGV,LPMM,LPMMV,AOI,")
    rows = [f"0,NewMedia0,{i},{i / 150:.5f},{i * 66667},0.5,0.5,0,0,0,1,"
            + ("0,0,0" if np.isnan(fx[i]) else f"{fx[i]!r},{fy[i]!r},1") + ",3.1,1,," for i in range(len(x))]
    path = tmp_path / "User 0_all_gaze.csv"
    path.write_text(head + "\n" + "\n".join(rows) + "\n")
    args = ["--screen", "531x299mm@1920x1080", "--distance", "650"]
    rec = load_gaze(path, screen=screen)
    assert rec.rate == 150.0 and len(rec.t) == len(x)
    np.testing.assert_array_equal(np.isnan(rec.x), np.isnan(x))
    np.testing.assert_allclose(rec.x, x, atol=1e-9)
    plain = tmp_path / "plain.csv"
    plain.write_text("t,gx,gy,ok\n" + "".join(f"{i / 150:.5f},{'0' if np.isnan(fx[i]) else repr(fx[i])},"
                                              f"{'0' if np.isnan(fy[i]) else repr(fy[i])},{0 if np.isnan(fx[i]) else 1}\n"
                                              for i in range(len(x))))
    same = load_gaze(plain, screen=screen, columns=("t", "gx", "gy"), units="norm", valid="ok")
    np.testing.assert_array_equal(rec.x, same.x)
    r = runner.invoke(app, ["eyetrack", "events", str(path), *args])
    assert r.exit_code == 0 and "900 samples at 150 Hz" in r.stdout, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(path)])
    assert r.exit_code == 2 and "is a Gazepoint export" in r.stderr and "--units" not in r.stderr, r.output
    r = runner.invoke(app, ["eyetrack", "events", str(path), *args, "--units", "norm"])
    assert r.exit_code == 2 and "--units does not apply" in r.stderr


def test_neon_files_past_the_size_read_are_refused(tmp_path, monkeypatch):
    """A Neon file larger than the read cap (its gaze, or a worn file beside it) is one line,
    before it is read."""
    import sensekit.eyetrack.neon_native as neon_native

    x, y, _ = gaze_signal(2.0, 200.0, rng=11)
    folder = _neon_native(tmp_path / "rec", x, y)
    monkeypatch.setattr(neon_native, "MAX_NEON_GAZE_BYTES", 4000)  # (the gaze: 3,200 bytes)
    assert len(load_gaze(folder).t) == 400
    (folder / "worn ps1.raw").write_bytes(b"\1" * 5000)
    (folder / "worn ps1.time").write_bytes(b"\0" * 8)
    with pytest.raises(RecordingError, match="worn ps1.raw: 0 MB, more than the 0 MB a Neon file is read to"):
        load_gaze(folder)
