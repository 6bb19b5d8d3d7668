"""Calibration files are untrusted input (issues 15 and 16): every kind has a schema, and each
of >= 20 tampered files per kind is refused with one line, no traceback and no hang."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import StreamInfo
from sensekit.core.calibration import load_calibration
from sensekit.core.registry import calibration_kinds
from sensekit.errors import CalibrationError

runner = CliRunner()


def _emg(tmp_path, decoder="lda"):
    from sensekit.emg.pipeline import EMGPipeline
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=200.0, seed=2)
    opts = {"n_trees": 3, "max_depth": 4} if decoder == "rf" else {}
    return EMGPipeline(decoder=decoder, decoder_options=opts).fit(sim.trials(reps=2, duration_s=2.0)).save(
        tmp_path / f"emg_{decoder}.json")


def _gesture(tmp_path):
    from sensekit.gesture.dynamic import TrajectoryClassifier
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(4)
    base = rng.normal(size=(3, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 6, (30, 21, 2)) for b in base]) + 300
    t = np.linspace(0, 1, 16)[None, :, None]
    traj = np.concatenate([t * [0.2, 0.0], t * [0.0, 0.2]])[np.repeat([0, 1], 10)] + rng.normal(0, 0.01, (20, 16, 2))
    dynamic = TrajectoryClassifier(reject_below=0.5).fit(traj, np.repeat([0, 1], 10), ["right", "down"])
    return StaticGestureClassifier().fit(pts, np.repeat([0, 1, 2], 30), ["a", "b", "c"]).save(tmp_path / "gesture.json",
                                                                                            dynamic=dynamic)


def _eyetrack(tmp_path):
    from sensekit.eyetrack.calibrate import GazeMapper
    from sensekit.eyetrack.geometry import Screen
    from sensekit.eyetrack.pupil import PUPIL_CHANNELS

    screen = Screen(531, 299, 1920, 1080, 650)
    rng = np.random.default_rng(0)
    tgt = rng.uniform([100, 100], [1800, 1000], (60, 2))
    pupil = tgt / 10 + rng.normal(0, 0.05, tgt.shape)
    m = GazeMapper(screen.to_dict()).fit(pupil, tgt)
    info = StreamInfo("pupil", "pupil", 60.0, (len(PUPIL_CHANNELS),), channels=PUPIL_CHANNELS)
    return m.save_calibration(tmp_path / "gaze.json", info)


def _array(tmp_path):
    from sensekit.spatial_audio.arrays import array_preset
    from sensekit.spatial_audio.calibrate import ArrayCalibration

    geom = array_preset("respeaker4")
    cal = ArrayCalibration(np.ones(4), np.zeros(4), np.ones(4), geom.xyz.copy(), geom.to_dict())
    path = tmp_path / "array.json"
    cal.save(path, StreamInfo("mic", "audio", 16000.0, (4,)))
    return path


def _set(doc, path, value):
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _drop(doc, path):
    node = doc
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]


_DROP = object()

#: Tampering any kind's file: (what, path, value)
COMMON = [
    ("format", ["format"], "sensekit-calibrashun"),
    ("schema_version a string", ["schema_version"], "abc"),
    ("schema_version from the future", ["schema_version"], 99),
    ("schema_version a bool", ["schema_version"], True),
    ("unknown kind", ["chain"], "toaster"),
    ("chain a number", ["chain"], 7),
    ("no stream", ["stream"], _DROP),
    ("stream rate inf", ["stream", "rate"], 1e999),
    ("stream rate a string", ["stream", "rate"], "fast"),
    ("stream shape negative", ["stream", "shape"], [-4]),
    ("stream shape huge", ["stream", "shape"], [10**12]),
    ("stream shape 5-D", ["stream", "shape"], [2, 2, 2, 2, 2]),
    ("stream dtype object", ["stream", "dtype"], "object"),
    ("device huge", ["device"], "x" * 100_000),
    ("params null", ["params"], None),
    ("params empty", ["params"], {}),
    ("params a list", ["params"], [1, 2]),
    ("unknown params field", ["params", "evil"], {"__class__": "os.system"}),
    ("no params", ["params"], _DROP),
]

#: Kind-specific tampering: kind -> [(what, path, value)]
SPECIFIC = {
    "emg": [
        ("vote 1e9", ["params", "config", "vote"], 10**9),
        ("vote a float", ["params", "config", "vote"], 3.0),
        ("window negative", ["params", "config", "window_ms"], -5.0),
        ("bandpass reversed", ["params", "config", "bandpass_hz"], [450.0, 20.0]),
        ("decoder unknown", ["params", "config", "decoder"], "xgb"),
        ("feature names code", ["params", "config", "features"], "HTD; rm -rf /"),
        ("mean NaN (as 1e999)", ["params", "learned", "mean", 0], 1e999),
        ("mean a string", ["params", "learned", "mean", 0], "0.5"),
        ("scale zero", ["params", "learned", "scale", 1], 0.0),
        ("mean too short", ["params", "learned", "mean"], [0.0]),
        ("coef ragged", ["params", "learned", "decoder", "coef", 0], [1.0]),
        ("decoder kind swapped", ["params", "learned", "decoder", "kind"], "svm"),
        ("classes repeat", ["params", "learned", "decoder", "classes"], [0, 0, 1]),
        ("class beyond levels", ["params", "learned", "decoder", "classes"], [0, 1, 500]),
        ("lda precision 2 x 2", ["params", "learned", "decoder", "precision"], [[1.0, 0.0], [0.0, 1.0]]),
        ("lda priors without precision", ["params", "learned", "decoder", "precision"], _DROP),
        ("lda priors short", ["params", "learned", "decoder", "log_priors"], [0.0]),
    ],
    "gesture": [
        ("features unknown", ["params", "config", "features"], "pixels"),
        ("reject above 1", ["params", "config", "reject_below"], 5.0),
        ("input format unknown", ["params", "config", "input_format"], "mediapipe3d"),
        ("convention a string", ["params", "config", "convention"], "mirrored"),
        ("mean wrong width", ["params", "learned", "mean"], [0.0] * 42),
        ("scale negative", ["params", "learned", "scale", 0], -1.0),
        ("fewer class names", ["params", "learned", "classes"], ["a", "b"]),
        ("one class name", ["params", "learned", "classes"], ["a"]),
        ("intercept short", ["params", "learned", "decoder", "intercept"], [0.0]),
        ("coef inf", ["params", "learned", "decoder", "coef", 0, 0], -1e999),
        ("stream not landmarks", ["stream", "shape"], [8]),
        ("open-set temperature 0", ["params", "learned", "openset", "temperature"], 0.0),
        ("open-set whitening ragged", ["params", "learned", "openset", "whiten", 0], [1.0]),
        ("open-set means of 2 classes", ["params", "learned", "openset", "means"], [[0.0] * 89] * 2),
        ("open-set factor 0", ["params", "config", "openset_factor"], 0.0),
        ("nearest rows 17 wide", ["params", "learned", "openset", "nearest", "rows", 0], [0.0] * 17),
        ("nearest rows ragged", ["params", "learned", "openset", "nearest", "rows"], [[0.0] * 18, [0.0] * 17]),
        ("nearest label unknown", ["params", "learned", "openset", "nearest", "labels", 0], 7),
        ("nearest label negative", ["params", "learned", "openset", "nearest", "labels", 0], -1),
        ("nearest median 0", ["params", "learned", "openset", "nearest", "median"], 0.0),
        ("nearest rows none", ["params", "learned", "openset", "nearest", "rows"], []),
        ("nearest scale short", ["params", "learned", "openset", "nearest", "scale"], [1.0]),
        ("nearest class spreads of 2 classes", ["params", "learned", "openset", "nearest", "class_scale"],
         [[1.0] * 23] * 2),
        ("nearest class spread 0", ["params", "learned", "openset", "nearest", "class_scale", 0, 0], 0.0),
        ("dynamic features unknown", ["params", "dynamic", "config", "features"], "angles"),
        ("dynamic reject above 1", ["params", "dynamic", "config", "reject_below"], 2.0),
        ("dynamic of 2 points", ["params", "dynamic", "learned", "points"], 2),
        ("dynamic points not its width", ["params", "dynamic", "learned", "points"], 20),
        ("dynamic mean wrong width", ["params", "dynamic", "learned", "mean"], [0.0] * 30),
        ("dynamic one class name", ["params", "dynamic", "learned", "classes"], ["a"]),
        ("dynamic support vectors short", ["params", "dynamic", "learned", "decoder", "support_vectors", 0], [0.0]),
        ("dynamic confidence without its model", ["params", "dynamic", "learned", "openset"], None),
        ("dynamic open-set means of 3 classes", ["params", "dynamic", "learned", "openset", "means"], [[0.0] * 32] * 3),
        ("dynamic unknown key", ["params", "dynamic", "config", "code"], "import os"),
        ("dynamic pose not a gesture", ["params", "dynamic", "config", "pose"], "wave"),
        ("dynamic frame rate 0", ["params", "dynamic", "config", "frame_rate"], 0.0),
        ("dynamic open-set factor 0", ["params", "dynamic", "config", "openset_factor"], 0.0),
        ("dynamic nearest rows 6 wide", ["params", "dynamic", "learned", "nearest", "rows", 0], [0.0] * 6),
        ("dynamic nearest of the hand's width", ["params", "dynamic", "learned", "nearest", "mean"], [0.0] * 23),
        ("dynamic nearest label unknown", ["params", "dynamic", "learned", "nearest", "labels", 0], 5),
    ],
    "eyetrack": [
        ("method unknown", ["params", "init", "method"], "poly9"),
        ("screen 0 px wide", ["params", "init", "screen", "width_px"], 0),
        ("screen distance NaN", ["params", "init", "screen", "distance_mm"], 1e999),
        ("screen field missing", ["params", "init", "screen", "height_mm"], _DROP),
        ("confidence above 1", ["params", "init", "min_confidence"], 2.0),
        ("coef wrong shape", ["params", "learned", "coef_"], [[1.0, 2.0], [3.0, 4.0]]),
        ("coef a string", ["params", "learned", "coef_", 0, 0], "1"),
        ("scale zero", ["params", "learned", "scale_"], [0.0, 1.0]),
        ("offset three values", ["params", "learned", "offset_"], [0.0, 1.0, 2.0]),
        ("learned attribute unknown", ["params", "learned", "__init__"], [1.0]),
        ("no init", ["params", "init"], _DROP),
    ],
    "array": [
        ("polarity half", ["params", "polarity", 0], 0.5),
        ("gains short", ["params", "gains"], [1.0, 1.0]),
        ("gain zero", ["params", "gains", 0], 0.0),
        ("delay of an hour", ["params", "delays_s", 0], 3600.0),
        ("position NaN", ["params", "positions", 0, 0], 1e999),
        ("position 2-D", ["params", "positions", 0], [0.0, 0.0]),
        ("geometry 3 mics", ["params", "array", "positions"], [[0.0, 0.0, 0.0]] * 3),
        ("geometry position km", ["params", "array", "positions", 0, 0], 5000.0),
        ("stream 8 channels", ["stream", "shape"], [8]),
        ("gains a dict", ["params", "gains"], {"a": 1}),
        ("too many mics", ["params", "gains"], [1.0] * 5000),
    ],
}

MAKERS = {"emg": _emg, "gesture": _gesture, "eyetrack": _eyetrack, "array": _array}


def _check_refused(args, what):
    from fuzz_corpus import invoke_within

    r = invoke_within(args)
    if r is None:
        pytest.fail(f"{what}: no answer within 10 s")
    assert r.exit_code == 2, f"{what}: exit {r.exit_code}: {r.output[-500:]}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), f"{what}: {r.stderr[-800:]}"
    assert "Traceback" not in r.output
    return lines[0]


def test_every_kind_has_a_schema():
    kinds = {k.name for k in calibration_kinds().values()}
    assert {"emg", "gesture", "eyetrack", "array"} <= kinds
    for kind in kinds:
        from sensekit.core.registry import resolve

        assert hasattr(resolve(calibration_kinds()[kind].schema), "model_validate")


@pytest.mark.parametrize("kind", list(MAKERS))
def test_tampered_files_are_refused_with_one_line(tmp_path, kind):
    good = MAKERS[kind](tmp_path)
    doc = json.loads(good.read_text())
    r = runner.invoke(app, ["calibrate", "check", str(good)])
    assert r.exit_code == 0 and f"a valid {kind!r} calibration" in r.stdout, r.output
    cases = COMMON + SPECIFIC[kind]
    other = {"emg": "gesture", "gesture": "eyetrack", "eyetrack": "array", "array": "emg"}[kind]
    cases = cases + [("another kind's name", ["chain"], other)]
    messages = []
    for i, (what, path, value) in enumerate(cases):
        bad = copy.deepcopy(doc)
        if value is _DROP:
            _drop(bad, path)
        else:
            _set(bad, path, value)
        f = tmp_path / f"bad{i}.json"
        f.write_text(json.dumps(bad))
        messages.append(_check_refused(["calibrate", "check", str(f)], f"{kind}: {what}"))
    # files that are not JSON documents at all
    raw = {"empty": b"", "random bytes": np.random.default_rng(0).bytes(300), "NaN literal": b'{"rate": NaN}',
           "deep nesting": b"[" * 100_000 + b"]" * 100_000, "latin-1": "caf\xe9".encode("latin-1"),
           "truncated": good.read_bytes()[: len(good.read_bytes()) // 2],
           "rate 1e999": good.read_bytes().replace(b'"rate": ', b'"rate": 1e999, "x": ', 1)}
    for what, content in raw.items():
        f = tmp_path / "raw.json"
        f.write_bytes(content)
        messages.append(_check_refused(["calibrate", "check", str(f)], f"{kind}: {what}"))
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as fh:
        fh.truncate(65 * 1024 * 1024)
    messages.append(_check_refused(["calibrate", "check", str(huge)], f"{kind}: 65 MB file"))
    assert len(messages) >= 20 + 7
    # the messages name the field
    assert any("field params" in m or "params" in m for m in messages)


def test_a_cyclic_random_forest_is_refused_not_run(tmp_path):
    """Issue 16: a crafted forest whose tree points to itself looped forever."""
    good = _emg(tmp_path, decoder="rf")
    doc = json.loads(good.read_text())
    tree = doc["params"]["learned"]["decoder"]["trees"][0]
    tree["left"][0] = 0  # the root is its own child
    bad = tmp_path / "cyclic.json"
    bad.write_text(json.dumps(doc))
    line = _check_refused(["run", "emg", "synth:emg?channels=4&classes=3&rate=200&duration=2", "-c", str(bad)],
                          "cyclic tree")
    assert "children must come after their parent" in line
    tree["left"][0], tree["right"][0] = 10**6, 10**6  # out of range
    bad.write_text(json.dumps(doc))
    assert "children" in _check_refused(["run", "emg", "synth:emg?channels=4&rate=200", "-c", str(bad)], "range")


def test_another_kind_is_refused_naming_both_and_the_command(tmp_path):
    gesture = _gesture(tmp_path)
    r = runner.invoke(app, ["run", "emg", "synth:emg?channels=4&rate=200", "-c", str(gesture)])
    assert r.exit_code == 2
    assert "is for the 'gesture' chain, not 'emg'" in r.stderr and "sensekit calibrate emg" in r.stderr
    with pytest.raises(CalibrationError, match="is for the 'emg' chain, not 'eyetrack'.*sensekit calibrate eyetrack"):
        from sensekit.eyetrack.calibrate import load_gaze_mapper

        load_gaze_mapper(_emg(tmp_path))


def test_old_chain_names_still_load(tmp_path):
    path = _eyetrack(tmp_path)
    doc = json.loads(path.read_text())
    doc["chain"] = "GazeMapper"
    path.write_text(json.dumps(doc))
    assert load_calibration(path, chain="eyetrack").chain == "eyetrack"
