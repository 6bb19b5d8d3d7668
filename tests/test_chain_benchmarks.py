"""The eye-tracking and spatial-audio benchmark tasks run end to end at quick size, and
their figures are what the chains promise (peers are skipped when not installed)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sensekit.cli import app

runner = CliRunner()


def _results(path):
    return {r["task"]: r for r in json.loads(path.read_text())["results"]}


def test_eyetrack_tasks_quick(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "eye.json"
    r = runner.invoke(app, ["bench", "run", "eyetrack", "--quick", "-j", "1", "--no-cache", "--json", str(out)])
    assert r.exit_code == 0, r.output
    res = _results(out)
    assert res["eyetrack.lund2013"]["metrics"]["kappa_saccade"] > 0.7
    assert res["eyetrack.irf"]["metrics"]["f1_saccade"] > 0.8
    assert res["eyetrack.irf"]["metrics"]["pursuit_fraction"] < 0.05  # a fixation task
    assert res["eyetrack.pupil"]["metrics"]["detection_rate"] > 0.97
    assert res["eyetrack.pupil"]["metrics"]["median_error_px"] < 0.3
    assert res["eyetrack.calibration"]["metrics"]["accuracy_deg"] < 0.6


def test_spatial_tasks_quick(tmp_path, monkeypatch):
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "spatial.json"
    r = runner.invoke(app, ["bench", "run", "spatial", "--quick", "-j", "1", "--no-cache", "--json", str(out)])
    assert r.exit_code == 0, r.output
    res = _results(out)
    assert res["spatial.doa"]["metrics"]["median_error_deg"] < 5
    assert res["spatial.streaming"]["metrics"]["tracking_median_error_deg"] < 3
    assert res["spatial.array-calibration"]["metrics"]["doa_error_after_deg"] < 3
    q = res["spatial.render-quality"]["metrics"]
    assert q["rt60_error_pct_1000hz_max"] < 5 and q["itd_error_us_max"] < 60 and q["click_second_difference_ratio"] < 0.5
    assert "spatial.render-capacity" in res


def test_gesture_crossperson_and_open_set_tasks_quick(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "gesture.json"
    r = runner.invoke(app, ["bench", "run", "gesture.crossperson,gesture.leave-one-class-out-kazuhito00", "--quick",
                            "-j", "1", "--no-cache", "--json", str(out), "--report", str(tmp_path / "rep")])
    assert r.exit_code == 0, r.output
    res = _results(out)
    m = res["gesture.crossperson"]["metrics"]
    # quick: a quarter of the training rows, a third of the test rows
    assert m["crossperson_accuracy"] > 0.97 and m["unknown_rejected"] > 0.15 and m["known_rejected"] < 0.02
    curve = next(iter(res["gesture.crossperson"]["curves"].values()))
    assert curve["x"] == sorted(curve["x"], reverse=True)  # a lower threshold rejects more
    assert (tmp_path / "rep" / "gesture_crossperson-curve0.png").exists()
    assert 0 <= res["gesture.leave-one-class-out-kazuhito00"]["metrics"]["left_out_rejected"] <= 1


def test_gesture_latency_task_quick(tmp_path, hand_model, monkeypatch):
    """gesture.latency measures the whole path with the meter 'run gesture --latency' prints:
    capture to published label at least the landmarker's time, and each stage's."""
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SENSEKIT_MODELS", str(hand_model.parents[1]))
    out = tmp_path / "lat.json"
    r = runner.invoke(app, ["bench", "run", "gesture.latency", "--quick", "-j", "1", "--no-cache", "--json", str(out)])
    assert r.exit_code == 0, r.output
    res = _results(out)["gesture.latency"]
    s = res["speed"]
    assert res["metrics"]["frames"] == 60
    assert s["latency_p50_ms"] >= s["HandLandmarks_p50_ms"] > 0 and s["publish_p50_ms"] >= 0
    assert s["latency_p99_ms"] >= s["latency_p50_ms"]


def test_gesture_latency_measures_a_camera_where_one_opens(tmp_path, hand_model, monkeypatch):
    """With a camera that opens (here the shared video behind 'camera:0'), gesture.latency has a
    camera unit beside the video's."""
    import sensekit.core.sources as sources
    from sensekit.datasets import dataset_dir
    from sensekit.gesture import bench
    from sensekit.gesture.datasets import load_hand_images

    video = load_hand_images(dataset_dir("mediapipe-hand-images"))["video"][0]
    real = sources.open_source
    monkeypatch.setattr(bench, "_camera_opens", lambda index=0: True)
    monkeypatch.setattr(sources, "open_source", lambda spec, **kw: real(f"video:{video}") if spec == "camera:0"
                        else real(spec, **kw))
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SENSEKIT_MODELS", str(hand_model.parents[1]))
    out = tmp_path / "lat.json"
    r = runner.invoke(app, ["bench", "run", "gesture.latency", "--quick", "-j", "1", "--no-cache", "--json", str(out)])
    assert r.exit_code == 0, r.output
    units = {json.dumps(u["key"]): u for u in _results(out)["gesture.latency"]["unit_results"]}
    assert set(units) == {"{}", '{"camera": 0}'}
    assert units['{"camera": 0}']["metrics"]["frames"] == 60
    assert units['{"camera": 0}']["speed"]["HandLandmarks_p50_ms"] > 0


def test_emg_cross_session_task_quick(tmp_path, shared_data, monkeypatch):
    """emg.cross-session (one participant's two new sessions at quick size) runs the protocol
    'emg score --adapt-on 1' runs: adapted on one repetition per class, the top-up ahead of
    re-standardisation alone, both ahead of no adaptation."""
    monkeypatch.setenv("SENSEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "emg.json"
    r = runner.invoke(app, ["bench", "run", "emg.cross-session", "--quick", "-j", "1", "--no-cache", "--json", str(out)])
    assert r.exit_code == 0, r.output
    m = _results(out)["emg.cross-session"]["metrics"]
    assert m["accuracy_few_shot"] > m["accuracy_restandardised"] + 0.02 > m["accuracy_no_adaptation"] + 0.04
    assert m["accuracy"] > m["accuracy_no_adaptation"] + 0.05  # self-trained, without the labels
