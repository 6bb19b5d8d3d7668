"""Look and pinch (issue 21): pinch detection, the selection pipeline, its CLI and its bench."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Frame, StreamInfo
from sensekit.errors import ParameterError, StreamFormatError
from sensekit.fusion.bench import run_method, score_selections
from sensekit.fusion.pipeline import SelectPipeline
from sensekit.fusion.synth import hand_landmarks, simulate_selection
from sensekit.fusion.targets import TargetLayout, load_layout
from sensekit.gesture.pinch import PinchDetector, is_pinch

runner = CliRunner()
HAND = StreamInfo("hand", "landmarks", 0.0, (21, 2))


def _hand(apertures, times=None):
    a = np.asarray(apertures, dtype=float)
    t = np.arange(len(a)) / 30.0 if times is None else np.asarray(times)
    return Frame(HAND, hand_landmarks(a, np.random.default_rng(0)), times=t)


def test_pinch_detector_hysteresis_dropouts_and_fists():
    d = PinchDetector()
    d.open(HAND)
    # open, close (0.1), chatter at 0.3 (between close_at 0.25 and open_at 0.35), open
    out = d.process(_hand([1.0, 0.1, 0.3, 0.28, 0.32, 1.0])).data[:, 0]
    assert out.tolist() == [0, 1, 1, 1, 1, 0]
    d.reset()
    a = [1.0, 0.1, np.nan, np.nan, 0.1, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0.1]
    out = d.process(_hand(a)).data[:, 0]  # lost for 2 frames: held; for 6 frames (0.2 s): released
    assert out.tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1]
    fist = hand_landmarks(np.array([0.1]), np.random.default_rng(1))
    fist[:, 8] = fist[:, 5] + 0.1 * (fist[:, 0] - fist[:, 5])  # index tip curled into the palm
    fist[:, 4] = fist[:, 8] + 5
    assert not is_pinch(fist)[0] and is_pinch(hand_landmarks(np.array([0.1]), np.random.default_rng(1)))[0]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6))
def test_pinch_detector_is_block_invariant(sizes):
    rng = np.random.default_rng(3)
    a = np.clip(np.abs(np.cumsum(rng.normal(0, 0.15, 300))), 0, 2)
    a[rng.random(300) < 0.1] = np.nan
    whole = _hand(a)
    d = PinchDetector()
    d.open(HAND)
    ref = d.process(whole).data
    d.reset()
    parts, i, k = [], 0, 0
    while i < whole.n:
        n = sizes[k % len(sizes)]
        parts.append(d.process(Frame(HAND, whole.data[i:i + n], times=whole.times[i:i + n])).data)
        i, k = i + n, k + 1
    np.testing.assert_array_equal(np.concatenate(parts), ref)


def test_pinch_rule_on_real_keypoints(shared_data):
    """Thresholds chosen on kinivi's OK rows; other people's rows (forks) are the held-out check."""
    from sensekit.gesture.datasets import load_crossperson, load_keypoints

    points, labels, classes = load_keypoints(shared_data / "kinivi-hand-keypoints")
    ok = labels == classes.index("OK")
    assert is_pinch(points[ok]).mean() > 0.95 and is_pinch(points[~ok]).mean() < 0.05
    test, names, _ = load_crossperson(shared_data / "gesture-forks-crossperson")
    assert is_pinch(test[names != ""]).mean() < 0.01  # Open/Close/Pointer of other people
    assert is_pinch(test[names == "Close"]).mean() < 0.02  # fists are not pinches


def test_look_and_pinch_beats_dwell_on_held_out_simulated_users():
    """Scored on the 'report' population (defaults chosen on 'tune'): with 3-degree targets,
    look-and-pinch is more accurate than every dwell time and makes fewer unintended selections."""
    pinch = [run_method("pinch", seed, 3.0) for seed in (100, 101)]
    assert np.mean([r["accuracy"] for r in pinch]) >= 0.9
    for dwell in ("dwell0.3", "dwell0.5", "dwell0.8"):
        base = [run_method(dwell, seed, 3.0) for seed in (100, 101)]
        assert np.mean([r["accuracy"] for r in pinch]) > np.mean([r["accuracy"] for r in base])
        assert np.mean([r["unintended_per_min"] for r in pinch]) < np.mean([r["unintended_per_min"] for r in base])


def test_scoring_counts_wrong_late_and_extra_selections():
    s = simulate_selection(5, 3.0, "pinch", trials=3)
    cue = s.cue_t
    times = np.array([cue[0] + 0.5, cue[1] + 0.2, cue[1] + 0.6, cue[2] + 0.4])
    events = np.array([[s.target[0], 1], [(s.target[1] + 1) % 12, 1], [s.target[1], 1], [-1, 0]], dtype=float)
    r = score_selections(s, times, events)
    assert r["accuracy"] == pytest.approx(1 / 3)  # trial 1 starts with a wrong one; trial 2 has none
    assert r["unintended_per_min"] == pytest.approx(2 / (s.duration_s / 60))


def _session_file(tmp_path, trials=12):
    layout = {"units": "deg", "targets": [{"name": n, "x": x, "y": y, "radius": 1.5} for n, x, y in
                                          (("a", -6, 3), ("b", 0, 3), ("c", 6, 3), ("d", -6, -3), ("e", 0, -3),
                                           ("f", 6, -3))]}
    (tmp_path / "layout.json").write_text(json.dumps(layout))
    src = f"synth:selection?seed=7&trials={trials}&layout={tmp_path / 'layout.json'}"
    r = runner.invoke(app, ["capture", src + "&stream=gaze", src + "&stream=hand", "-o", str(tmp_path / "s.h5"),
                            "--quiet"])
    assert r.exit_code == 0, r.output
    return tmp_path / "s.h5", tmp_path / "layout.json"


def test_cli_equals_the_pipeline_on_whole_recordings_and_finds_the_cued_targets(tmp_path):
    from sensekit.core.recording import open_recording
    from sensekit.fusion.source import SelectionSource

    session, layout_path = _session_file(tmp_path)
    r = runner.invoke(app, ["run", "select", "--gaze", f"{session}#selection-gaze", "--pinch",
                            f"{session}#selection-hand", "--targets", str(layout_path), "--jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()[1:]]
    cli = np.array([[x["t"], *x["data"]] for x in lines])
    with open_recording(session) as rec:
        times, events = SelectPipeline(load_layout(layout_path)).run(rec.read("selection-gaze"),
                                                                     rec.read("selection-hand"))
    np.testing.assert_array_equal(cli[:, 0], times)
    np.testing.assert_array_equal(cli[:, 1:], events)
    truth = SelectionSource("gaze", seed=7, trials=12, layout=str(layout_path)).session
    assert score_selections(truth, times, events)["accuracy"] >= 11 / 12
    r = runner.invoke(app, ["run", "select", "--gaze", f"{session}#selection-gaze", "--dwell", "0.5",
                            "--targets", str(layout_path)])
    assert r.exit_code == 0 and "selection(s); by looking 0.5 s at a target (no pinch stream" in r.stdout, r.output


def test_decisions_of_a_pinch_class_confirm():
    """An EMG band's (or static gestures') decisions: class 'pinch' confirms."""
    layout = TargetLayout(targets=[{"name": "a", "x": -5, "y": 0, "radius": 1}, {"name": "b", "x": 5, "y": 0,
                                                                                  "radius": 1}])
    gaze_info = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"))
    xy = np.zeros((300, 2))
    xy[:150, 0], xy[150:, 0] = -5, 5
    labels = StreamInfo("band", "label", 20.0, (3,), channels=("label", "confidence", "velocity"),
                        meta={"classes": ["rest", "pinch"]})
    dec = np.zeros((60, 3))
    dec[20:24, 0] = 1  # pinch at 1.0 s (gaze on a), and at 2.5 s (gaze on b)
    dec[50:53, 0] = 1
    times, events = SelectPipeline(layout).run(Frame(gaze_info, xy, t0=0.0), Frame(labels, dec, t0=0.0))
    assert times.tolist() == [1.0, 2.5] and events[:, 0].tolist() == [0, 1]
    with pytest.raises(StreamFormatError, match="no class 'grab'"):
        SelectPipeline(layout, pinch_class="grab").open([gaze_info, labels])
    # a pinch class for hand landmarks (pinched by the fingertips' distance) had been ignored silently
    hand = StreamInfo("hand", "landmarks", 0.0, (21, 2))
    with pytest.raises(ParameterError, match="the pinch class 'grab' .--pinch-class. does not apply"):
        SelectPipeline(layout, pinch_class="grab").open([gaze_info, hand])
    SelectPipeline(layout).open([gaze_info, hand])


@pytest.mark.parametrize("content, match", [
    ("{", "not valid JSON"),
    ('{"targets": []}', "targets"),
    ('{"targets": [{"name": "a", "x": NaN, "y": 0, "radius": 1}]}', "not valid JSON"),
    ('{"targets": [{"name": "a", "x": 0, "y": 0, "radius": -1}]}', "radius"),
    ('{"targets": [{"name": "a", "x": 0, "y": 0, "radius": 1}, {"name": "a", "x": 1, "y": 0, "radius": 1}]}',
     "used twice"),
    ('{"targets": [{"name": "a", "x": 0, "y": 0, "radius": 1, "code": "rm -rf"}]}', "code"),
])
def test_bad_layouts_are_one_line_errors(tmp_path, content, match):
    p = tmp_path / "layout.json"
    p.write_text(content)
    with pytest.raises(ParameterError, match=match) as e:
        load_layout(p)
    assert "\n" not in str(e.value)


def test_gaze_far_off_every_target_hits_none_without_overflow():
    """A gaze sample of 1e300 (a misread column) is on no target; its distance had overflowed."""
    import warnings

    layout = TargetLayout(targets=[{"name": "a", "x": 0, "y": 0, "radius": 1}, {"name": "b", "x": 5, "y": 0, "radius": 1}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hits = layout.hit(np.array([[1e300, 1e300], [-1e300, 0.0], [np.nan, 0.0], [0.2, 0.1], [5.5, 0.0]]))
    assert hits.tolist() == [-1, -1, -1, 0, 1]


def test_cli_mistakes_are_one_line(tmp_path):
    session, layout_path = _session_file(tmp_path, trials=2)
    gaze = f"{session}#selection-gaze"
    cases = [
        (["--gaze", gaze, "--targets", str(layout_path)], "--pinch SOURCE"),
        (["--gaze", gaze, "--pinch", gaze, "--dwell", "0.5", "--targets", str(layout_path)], "one of the two"),
        (["--gaze", gaze, "--pinch", gaze, "--targets", str(layout_path)], "kind 'gaze'"),
        (["--gaze", gaze, "--dwell", "0.5", "--targets", str(tmp_path / "none.json")], "does not exist"),
        (["--gaze", f"{session}#nope", "--dwell", "0.5", "--targets", str(layout_path)], "no stream 'nope'"),
        (["--gaze", gaze, "--dwell", "nan", "--targets", str(layout_path)], "--dwell"),
    ]
    for args, match in cases:
        r = runner.invoke(app, ["run", "select", *args])
        assert r.exit_code != 0 and match in r.output, (args, r.output)
        assert "Traceback" not in r.output
    for src, match in (("synth:selection?seed=abc", "invalid literal"), ("synth:selection?stream=eye", "gaze or hand")):
        r = runner.invoke(app, ["capture", src, "-o", str(tmp_path / "x.h5"), "--quiet"])
        assert r.exit_code != 0 and match in r.output and "Traceback" not in r.output


def _gaze_recording(tmp_path, seconds: float, x: float = -6.0):
    from sensekit.core.recording import RecordingWriter

    info = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"), unit="deg")
    xy = np.tile([x, 3.0], (int(seconds * 100), 1)) + np.random.default_rng(0).normal(0, 0.2, (int(seconds * 100), 2))
    with RecordingWriter(tmp_path / "gaze.h5") as rec:
        rec.add_stream(info).append(Frame(info, xy, t0=0.0))
    return tmp_path / "gaze.h5"


def test_an_emg_band_confirms(tmp_path):
    """--pinch EMG-SOURCE -c band.json: the band's decisions of class --pinch-class confirm; the
    CLI gives what the EMG pipeline's decisions give through SelectPipeline."""
    from sensekit.core.sources import open_source
    from sensekit.emg.pipeline import EMGPipeline

    src = "synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=inf&seed=3"
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", src, "--classes", "rest,a,b", "--reps", "2", "--hold", "2",
                            "--pause", "0", "--lead", "0", "--trim", "0.3", "-o", str(cal)])
    assert r.exit_code == 0, r.output
    _, layout_path = _session_file(tmp_path, trials=2)
    gaze = _gaze_recording(tmp_path, 12.0)  # looking at target "a" all along
    band = "synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=12&seed=3"  # rest, a, b, rest, a, b
    r = runner.invoke(app, ["run", "select", "--gaze", str(gaze), "--pinch", band, "-c", str(cal), "--pinch-class",
                            "a", "--targets", str(layout_path), "--jsonl"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines()[1:]]
    assert [x["data"][0] for x in rows] == [0.0, 0.0] and 2.0 < rows[0]["t"] < 2.8 and 8.0 < rows[1]["t"] < 8.8
    timed = runner.invoke(app, ["run", "select", "--gaze", str(gaze), "--pinch", band, "-c", str(cal), "--pinch-class",
                                "a", "--targets", str(layout_path), "--jsonl", "--latency"])
    assert timed.exit_code == 0, timed.output
    # the same selections (which published block carries one depends on how the two sources' threads
    # interleave, so "block" is left out)
    def selections(out):
        return [(x["t"], x["data"]) for x in map(json.loads, out.splitlines()[1:])]

    assert selections(timed.stdout) == selections(r.stdout) and timed.stdout.splitlines()[0] == r.stdout.splitlines()[0]
    # the published blocks that carried the two selections: two, or one where both came in one block
    assert re.search(r"latency over [12] outputs", timed.stderr), timed.stderr
    assert all(f"  {part}: p50" in timed.stderr for part in ("EMGDecoder", "SelectPipeline", "publishing"))
    emg = open_source(band)
    chain = EMGPipeline.load(cal, stream=emg.info).chain(emg.info)
    chain.open(emg.info)
    decisions = [d for f in emg if (d := chain.process(f)) is not None]
    from sensekit.core.frame import concat_frames
    from sensekit.core.recording import open_recording

    with open_recording(gaze) as rec:
        times, events = SelectPipeline(load_layout(layout_path), pinch_class="a").run(rec.read(),
                                                                                      concat_frames(decisions))
    assert [x["t"] for x in rows] == times.tolist() and [x["data"] for x in rows] == events.tolist()
    for extra, message in ((["--pinch", band, "-c", str(cal)], "is not a camera's images"),
                           (["--dwell", "0.5"], "--model does not apply with --dwell")):  # never ignored
        r = runner.invoke(app, ["run", "select", "--gaze", str(gaze), *extra, "--targets", str(layout_path),
                                "--model", "nope.task", "--jsonl"])
        assert r.exit_code == 2 and message in r.stderr, r.output


def test_a_camera_confirms(shared_data, hand_model, tmp_path):
    """--pinch video/camera: MediaPipe landmarks, then the pinch rule (runs on the real video)."""
    model = hand_model
    video = shared_data / "mediapipe-hand-images" / "mediapipe_samples" / "test_video.mp4"
    _, layout_path = _session_file(tmp_path, trials=2)
    gaze = _gaze_recording(tmp_path, 3.0)
    r = runner.invoke(app, ["run", "select", "--gaze", str(gaze), "--pinch", f"video:{video}", "--model", str(model),
                            "--targets", str(layout_path), "--duration", "2"])
    assert r.exit_code == 0, r.output
    assert "selection(s)" in r.stdout and "Traceback" not in r.output


def test_a_headsets_gaze_direction_selects_as_its_degrees_do():
    """Look and pinch in a headset: its gaze stream is a direction (gaze_forward_x/y/z), read as
    azimuth and elevation in degrees; the selections are those of the same gaze in degrees."""
    layout = TargetLayout(targets=[{"name": "a", "x": -5, "y": 0, "radius": 1}, {"name": "b", "x": 5, "y": 2,
                                                                                  "radius": 1}])
    xy = np.zeros((300, 2))
    xy[:150, 0], xy[150:, 0], xy[150:, 1] = -5, 5, 2
    a, e = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    forward = np.column_stack([np.cos(e) * np.sin(a), np.sin(e), np.cos(e) * np.cos(a)])
    labels = StreamInfo("band", "label", 20.0, (3,), channels=("label", "confidence", "velocity"),
                        meta={"classes": ["rest", "pinch"]})
    dec = np.zeros((60, 3))
    dec[20:24, 0] = 1
    dec[50:53, 0] = 1
    degrees = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"))
    want = SelectPipeline(layout).run(Frame(degrees, xy, t0=0.0), Frame(labels, dec, t0=0.0))
    headset = StreamInfo("varjo", "gaze", 100.0, (4,), channels=("status", "gaze_forward_x", "gaze_forward_y",
                                                                 "gaze_forward_z"))
    got = SelectPipeline(layout).run(Frame(headset, np.column_stack([np.full(300, 2.0), forward]), t0=0.0),
                                     Frame(labels, dec, t0=0.0))
    assert want[0].tolist() == [1.0, 2.5] and want[1][:, 0].tolist() == [0, 1]
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_allclose(got[1], want[1], atol=1e-9)


def test_a_layout_and_a_gaze_stream_in_other_units_are_refused():
    """Targets in degrees and gaze in a screen's or a scene camera's pixels never meet: said in
    one line instead of never selecting; pixels meet a layout in pixels (a Neon's scene camera),
    and a stream that says no unit is trusted."""
    deg = TargetLayout(targets=[{"name": "a", "x": -5, "y": 0, "radius": 1}, {"name": "b", "x": 5, "y": 0, "radius": 1}])
    px = TargetLayout(units="px", targets=[{"name": "a", "x": 700, "y": 600, "radius": 40},
                                           {"name": "b", "x": 900, "y": 600, "radius": 40}])
    pinch = StreamInfo("hand", "pinch", 0.0, (2,), channels=("pinched", "aperture"))
    screen = StreamInfo("Tracker", "gaze", 300.0, (2,), channels=("x", "y"), unit="pixels")
    neon = StreamInfo("Lab_Neon Gaze", "gaze", 200.0, (2,), channels=("x", "y"))
    for gaze in (screen, neon):
        with pytest.raises(ParameterError, match="the target layout is in deg, gaze stream .* in px"):
            SelectPipeline(deg).open([gaze, pinch])
        assert SelectPipeline(px).open([gaze, pinch]).name == "selection"
    with pytest.raises(ParameterError, match="in px, gaze stream 'g' in deg"):
        SelectPipeline(px, method="dwell").open([StreamInfo("g", "gaze", 100.0, (2,), channels=("x", "y"), unit="deg")])
    assert SelectPipeline(deg).open([StreamInfo("g", "gaze", 100.0, (2,), channels=("x", "y")), pinch])
