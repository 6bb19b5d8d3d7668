"""Real front ends without hardware: ALSA virtual microphone, LSL on loopback, BrainFlow's
synthetic board, and captures stopped by signals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

from sensekit.core import Frame, StreamInfo
from sensekit.core.recording import open_recording

CLI = [sys.executable, "-m", "sensekit"]


def sensekit(*args, env=None, timeout=60):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def _wait_until_recording(path, proc, samples: int = 200, deadline_s: float = 120.0) -> int:
    """Wait (however loaded the machine) until the capture has written samples readable by
    another process; return how many. No fixed sleep: readiness is observed."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()[1]
        if path.exists():
            r = sensekit("info", "--json", str(path))
            if r.returncode == 0:
                n = json.loads(r.stdout)["streams"][0]["samples"]
                if n >= samples:
                    return n
        time.sleep(0.1)
    raise AssertionError(f"the capture wrote fewer than {samples} samples in {deadline_s} s")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_capture_stopped_by_signal_keeps_every_sample(tmp_path, sig):
    path = tmp_path / "cap.h5"
    proc = subprocess.Popen(
        [*CLI, "capture", "synth:sine?channels=2&rate=1000&freq_hz=3&realtime=1&duration=inf", "--block-size", "50",
         "-o", str(path), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_until_recording(path, proc)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "stopped by interrupt" in stdout
    n_reported = int(stdout.split("recorded ")[1].split(" samples")[0].replace(",", ""))
    with open_recording(path) as r:
        data = r.read().data
    assert len(data) == n_reported > 0
    t = np.arange(len(data)) / 1000
    np.testing.assert_allclose(data, np.column_stack([np.sin(2 * np.pi * 3 * t), np.sin(2 * np.pi * 6 * t)]),
                               atol=1e-12)


def test_lsl_outlet_to_inlet_on_loopback():
    pytest.importorskip("pylsl")
    from sensekit.core.sinks import LSLOutletSink
    from sensekit.core.sources.lsl import LSLSource

    name = f"sensekit-test-{uuid.uuid4().hex[:8]}"
    info = StreamInfo("emg", "emg", 200.0, (4,), channels=("a", "b", "c", "d"), dtype="float32", unit="uV")
    sink = LSLOutletSink(name)
    sink.open(info)
    src = LSLSource("name", name, timeout_s=10)
    assert src.info.channels == ("a", "b", "c", "d") and src.info.rate == 200 and src.info.kind == "emg"
    x = np.arange(400, dtype=np.float32).reshape(100, 4)
    time.sleep(0.5)
    for i in range(0, 100, 20):
        sink.write(Frame(info, x[i : i + 20], t0=50.0 + i / 200))
    got, deadline = [], time.monotonic() + 10
    for frame in src:
        got.append(frame.data)
        if sum(map(len, got)) >= 100 or time.monotonic() > deadline:
            break
    src.close()
    sink.close()
    np.testing.assert_array_equal(np.concatenate(got), x)


def test_an_lsl_outlet_that_states_no_rate_but_sends_steadily_is_regular():
    """An armband app that publishes EMG with nominal rate 0, a packet of 2 samples every 10 ms:
    the live stream was 'irregular', and a calibration made at 200 Hz (from the same band's XDF
    file, which now reads as 200 Hz) refused it. The source probes its first seconds: steady
    samples make it a regular 200 Hz stream, and no sample is lost to the probe."""
    import threading

    pylsl = pytest.importorskip("pylsl")
    from sensekit.core.sources.lsl import LSLSource

    name = f"sensekit-norate-{uuid.uuid4().hex[:8]}"
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "EMG", 4, 0.0, "float32", name))
    x = np.arange(4 * 1200, dtype=np.float32).reshape(-1, 4)
    stop = threading.Event()

    def send():  # (on an absolute schedule: a device's clock, not sleep()'s overshoot)
        start = time.monotonic() + 0.5
        for i in range(0, len(x), 2):
            if stop.is_set():
                return
            time.sleep(max(start + i * 0.005 - time.monotonic(), 0.0))
            outlet.push_chunk(x[i:i + 2].tolist())

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    src = LSLSource("name", name, timeout_s=10)
    try:
        assert src.info.rate == 200.0
        got, deadline = [], time.monotonic() + 20
        for frame in src:
            assert frame.info.rate == 200.0
            got.append(frame.data)
            if sum(map(len, got)) >= 800 or time.monotonic() > deadline:
                break
    finally:
        stop.set()
        src.close()
        sender.join(timeout=5)
    np.testing.assert_array_equal(np.concatenate(got)[:800], x[:800])


def test_an_lsl_outlet_stating_a_rate_beyond_any_sensor_is_one_line(tmp_path):
    """An outlet on the network is untrusted: one stating 1 GHz made 'capture --duration 1' wait
    for a billion samples (a hang)."""
    pylsl = pytest.importorskip("pylsl")
    name = f"sensekit-fast-{uuid.uuid4().hex[:8]}"
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "EMG", 4, 1e9, "float32", name))
    r = subprocess.run([*CLI, "capture", f"lsl:name={name}", "-o", str(tmp_path / "x.h5"), "--duration", "1"],
                       capture_output=True, text=True, timeout=60)
    del outlet
    assert r.returncode == 2 and f"stream '{name}': 1e+09 Hz is beyond any sensor" in r.stderr, r.stderr


def test_lsl_channels_of_a_hands_stream_say_what_they_hold():
    """'run gesture --lsl': a Unity reader sees hand0_label, hand0_confidence, ... (was e0, e1, ...);
    a sensekit reader gets the stream back as it was: its sample shape and meta (it had read 8
    flat channels)."""
    pylsl = pytest.importorskip("pylsl")
    from sensekit.core.sinks import LSLOutletSink
    from sensekit.core.sources.lsl import LSLSource

    name = f"sensekit-hands-{uuid.uuid4().hex[:8]}"
    info = StreamInfo("video", "label", 25.0, (2, 4), dtype="float64",
                      meta={"rows": "hand", "columns": ["label", "confidence", "motion", "motion_confidence"]})
    sink = LSLOutletSink(name)
    sink.open(info)
    found = pylsl.resolve_byprop("name", name, timeout=10)
    inlet = pylsl.StreamInlet(found[0])
    ch, labels = inlet.info(timeout=10).desc().child("channels").child("channel"), []
    while not ch.empty():
        labels.append(ch.child_value("label"))
        ch = ch.next_sibling()
    assert labels[:5] == ["hand0_label", "hand0_confidence", "hand0_motion", "hand0_motion_confidence", "hand1_label"]
    src = LSLSource("name", name, timeout_s=10)
    assert src.info.shape == (2, 4) and src.info.meta["columns"] == info.meta["columns"]
    x = np.arange(16, dtype=np.float64).reshape(2, 2, 4)
    time.sleep(0.5)
    sink.write(Frame(info, x, t0=10.0))
    frame = next(iter(src))
    src.close()
    sink.close()
    assert frame.data.shape[1:] == (2, 4)
    np.testing.assert_array_equal(frame.data, x[:len(frame.data)])


@pytest.mark.parametrize("stated, meta", [("2,22", None), ("x", None), ("0,8", None), ("1,1,1,1,1,8", None),
                                          ("99999999999999999999,8", None), ("-1,-8", None),
                                          ("8", "[1, 2]"), ("8", '{"a": NaN}'), ("8", "{" * 5000)])
def test_an_lsl_outlets_stated_shape_and_meta_are_untrusted(stated, meta, caplog):
    """Another program's outlet may state anything in desc/sensekit: a shape that does not hold
    its channels, or meta that is no JSON object, is said and left out; the stream reads flat."""
    pylsl = pytest.importorskip("pylsl")
    from sensekit.core.sources.lsl import LSLSource

    name = f"sensekit-odd-{uuid.uuid4().hex[:8]}"
    lsl_info = pylsl.StreamInfo(name, "Signal", 8, 10.0, "float32", name)
    sk = lsl_info.desc().append_child("sensekit")
    sk.append_child_value("shape", stated)
    if meta is not None:
        sk.append_child_value("meta", meta)
    outlet = pylsl.StreamOutlet(lsl_info)
    with caplog.at_level("WARNING", logger="sensekit"):
        src = LSLSource("name", name, timeout_s=10)
    src.close()
    del outlet
    assert src.info.shape == (8,) and "source_id" in src.info.meta and len(src.info.meta) == 2
    assert ("does not hold its 8 channels" if meta is None else "no JSON object") in caplog.text


def _publish_to_a_command(name: str, info: StreamInfo, frames: list, args: list[str]) -> list[dict]:
    """Start the command ``args`` (reading the LSL outlet ``name``), publish ``frames`` to it from
    this process (a block every 0.05 s), and return its JSON lines."""
    from sensekit.core.sinks import LSLOutletSink

    sink = LSLOutletSink(name)
    sink.open(info)
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert sink.outlet.wait_for_consumers(60), "the command never connected"
        time.sleep(0.5)
        for frame in frames:
            sink.write(frame)
            time.sleep(0.05)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        sink.close()
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_run_eyetrack_online_on_an_eye_trackers_lsl_stream():
    """Issue 17's headset case end to end: a tracker publishes gaze (deg) over LSL, 'run eyetrack
    lsl:... --online' publishes saccade events from it; they are the pipeline's on the same
    samples (times shifted by the stream's start)."""
    pytest.importorskip("pylsl")
    from sensekit.core import feed
    from sensekit.eyetrack.pipeline import EyePipeline
    from sensekit.eyetrack.synth import GazeSource

    name = f"sensekit-gaze-{uuid.uuid4().hex[:8]}"
    src = GazeSource(duration_s=4, seed=3)
    xy = np.column_stack([src.x, src.y])
    info = StreamInfo("tracker", "gaze", 500.0, (3,), channels=("confidence", "gaze_x", "gaze_y"), dtype="float64",
                      unit="deg")
    rows = np.column_stack([np.ones(len(xy)), xy])
    lines = _publish_to_a_command(name, info, [Frame(info, rows[i : i + 100], t0=100.0 + i / 500)  # 0.2 s a block
                                               for i in range(0, len(rows), 100)],
                                  ["run", "eyetrack", f"lsl:name={name}", "--online", "--jsonl", "-d", "4"])
    assert lines[0]["stream_info"]["kind"] == "gaze_events"
    got = np.array([row["data"] for row in lines[1:]], dtype=float)
    plain = StreamInfo("g", "gaze", 500.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    chain = EyePipeline(online=True).gaze_chain(plain)
    chain.open(plain)
    want = feed(chain, [Frame(plain, xy, t0=0.0)]).data
    assert len(got) == len(want) > 10
    np.testing.assert_array_equal(got[:, [0, 3, 4]], want[:, [0, 3, 4]])  # event codes and positions
    np.testing.assert_allclose(got[:, 1] - got[0, 1], want[:, 1] - want[0, 1], atol=1e-9)  # one time shift


def test_run_gesture_on_another_machines_landmarks_over_lsl(tmp_path):
    """The camera on one machine ('run gesture camera:0 --lsl Hands', landmarks only), the
    gestures on another ('run gesture lsl:name=Hands -c hand.json'): the outlet states the
    landmarks' shape and meta, the reader restores them, and the decisions are the classifier's
    on the same hands."""
    pytest.importorskip("pylsl")
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(3)
    base = rng.normal(size=(2, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 4, (60, 21, 2)) for b in base]) + 300
    clf = StaticGestureClassifier().fit(pts[::2], np.repeat([0, 1], 30))
    cal = clf.save(tmp_path / "hand.json")
    hands = np.full((60, 2, 22, 6), np.nan)  # two hand slots; the second empty, as a camera gives them
    hands[:, 0, :21, :2], hands[:, 0, 21, :3] = pts[1::2], (1.0, 0.9, 1.0)
    name = f"sensekit-hands-{uuid.uuid4().hex[:8]}"
    info = StreamInfo("video", "landmarks", 30.0, (2, 22, 6), dtype="float64", unit="px",
                      meta={"image_size": [640, 480], "mirrored": False})
    lines = _publish_to_a_command(name, info, [Frame(info, hands[i:i + 10], t0=50.0 + i / 30) for i in range(0, 60, 10)],
                                  ["run", "gesture", f"lsl:name={name}", "-c", str(cal), "--jsonl", "-d", "2"])
    assert lines[0]["stream_info"]["shape"] == [2, 2]
    got = np.array([[np.nan if v is None else v for v in row["data"][0]] for row in lines[1:]])
    want = np.column_stack(clf.predict(pts[1::2]))
    assert len(got) == 60 and all(row["data"][1] == [None, None] for row in lines[1:])
    np.testing.assert_array_equal(got[:, 0], want[:, 0])
    np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=1e-12)


def test_decisions_from_another_machine_keep_their_class_names_for_run_select():
    """An EMG band decoded on one machine ('run emg ... --lsl Band'), the look-and-pinch on
    another ('run select --pinch lsl:name=Band --pinch-class pinch'): the decisions' class
    names travel in the outlet's meta. They were lost, and the fusion refused the stream: 'the
    decisions have no class 'pinch' (classes: none named)', as it still does for an outlet
    that names none."""
    pylsl = pytest.importorskip("pylsl")
    from sensekit.core.sinks import LSLOutletSink
    from sensekit.core.sources.lsl import LSLSource
    from sensekit.errors import StreamFormatError
    from sensekit.fusion.pipeline import SelectPipeline
    from sensekit.fusion.targets import TargetLayout

    layout = TargetLayout(targets=[{"name": "a", "x": -5, "y": 0, "radius": 1.5}])
    gaze = StreamInfo("gaze", "gaze", 100.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    name = f"sensekit-band-{uuid.uuid4().hex[:8]}"
    sink = LSLOutletSink(name)
    sink.open(StreamInfo("band", "label", 20.0, (3,), channels=("label", "confidence", "velocity"),
                         meta={"classes": ["rest", "pinch"], "none_label": -1}))
    src = LSLSource("name", name, timeout_s=10)
    src.close()
    sink.close()
    assert src.info.meta["classes"] == ("rest", "pinch")
    SelectPipeline(layout, pinch_class="pinch").open([gaze, src.info])  # (a pinch class it can find)
    bare = f"other-band-{uuid.uuid4().hex[:8]}"  # another program's outlet of decisions: no names
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(bare, "label", 3, 20.0, "float32", bare))
    other = LSLSource("name", bare, timeout_s=10)
    other.close()
    del outlet
    with pytest.raises(StreamFormatError, match="no class 'pinch' \\(classes: none named\\)"):
        SelectPipeline(layout, pinch_class="pinch").open([gaze, other.info])


def _unity_gaze_outlet(name: str, stated: float):
    """A Unity app's gaze outlet: 3 channels (Tobii XR's direction), a nominal rate of ``stated``
    (the physics step it passed by mistake), samples pushed at 90 Hz with their own stamps."""
    import pylsl

    info = pylsl.StreamInfo(name, "Gaze", 3, stated, "float32", name)
    chans = info.desc().append_child("channels")
    for label in ("GazeRayDirectionX", "GazeRayDirectionY", "GazeRayDirectionZ"):
        chans.append_child("channel").append_child_value("label", label)
    return pylsl.StreamOutlet(info)


@pytest.mark.parametrize("stated, option", [(20.0, ""), (20.0, "?rate=90")])
def test_an_lsl_outlet_that_states_the_wrong_rate_is_refused_or_told(stated, option):
    """A Unity outlet of gaze that states 20 Hz (its physics step) for 90 samples a second had every
    duration and speed read 4.5 times too slow, silently: it is refused in one line naming the
    fix, and with that fix (lsl:...?rate=90) the gaze is read at 90 Hz."""
    pylsl = pytest.importorskip("pylsl")
    name = f"sensekit-unity-{uuid.uuid4().hex[:8]}"
    outlet = _unity_gaze_outlet(name, stated)
    proc = subprocess.Popen([*CLI, "run", "eyetrack", f"lsl:name={name}{option}", "--online", "--jsonl", "-d", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert outlet.wait_for_consumers(60), "the command never connected"
        a = np.radians(np.where(np.arange(900) % 90 < 45, -5.0, 5.0))  # a saccade of 10 deg every half second
        rows = np.column_stack([np.sin(a), np.zeros(900), np.cos(a)]).astype(np.float32)
        start = pylsl.local_clock()
        for i in range(0, 900, 9):  # 0.1 s of gaze every 0.1 s, each sample stamped at 90 Hz
            outlet.push_chunk(rows[i:i + 9].tolist(), (start + np.arange(i, i + 9) / 90.0).tolist())
            time.sleep(0.1)
            if proc.poll() is not None:
                break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    if option:
        assert proc.returncode == 0, err
        lines = [json.loads(line) for line in out.splitlines()]
        onsets = np.array([row["data"][1] for row in lines[1:] if row["data"][0] == 1])  # (their times)
        assert len(onsets) >= 5 and np.median(np.diff(onsets)) == pytest.approx(0.5, abs=0.03)  # (two a second)
    else:
        assert proc.returncode == 2, (out, err)
        assert "states 20 Hz, but its samples come at 90 Hz" in err and f"lsl:name={name}?rate=90" in err, err
        assert "Traceback" not in err


def test_brainflow_synthetic_board_capture(tmp_path):
    pytest.importorskip("brainflow")
    r = sensekit("capture", "brainflow:synthetic", "-o", str(tmp_path / "bf.h5"), "-d", "1.5", "--quiet")
    assert r.returncode == 0, r.stderr
    with open_recording(tmp_path / "bf.h5") as rec:
        info = rec.info()
        assert info.rate == 250 and info.shape == (16,) and info.unit == "uV" and info.kind == "exg"
        n = rec.n_samples(info.name)
        data = rec.read().data
    assert n >= 300 and np.std(data) > 0


def test_a_brainflow_board_shares_the_clock_of_other_devices():
    """BrainFlow stamps samples with the host's wall clock (UNIX seconds); every other device source
    with sensekit's monotonic clock. A board captured beside a camera or a microphone was 1.8e9 s
    off them; its blocks are stamped on sensekit's clock now."""
    pytest.importorskip("brainflow")
    from sensekit.core.sources.base import clock
    from sensekit.core.sources.brainflow import BrainFlowSource

    src = BrainFlowSource("synthetic", poll_s=0.02)
    try:
        frame = next(iter(src))
        now = clock()
    finally:
        src.close()
    assert now - 2.0 < frame.t0 + frame.n / frame.info.rate <= now + 0.1


def test_unknown_brainflow_board_is_one_line():
    pytest.importorskip("brainflow")
    r = sensekit("capture", "brainflow:nosuchboard", "-o", "x.h5")
    assert r.returncode == 2 and "unknown BrainFlow board 'nosuchboard'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.fixture
def virtual_mic(tmp_path):
    """An ALSA `file` PCM playing a raw 16-bit stereo file, behind a `plug` PCM."""
    pytest.importorskip("pyaudio")
    rng = np.random.default_rng(0)
    raw = (rng.integers(-20000, 20000, size=(16000 * 3, 2))).astype("<i2")
    (tmp_path / "in.raw").write_bytes(raw.tobytes())
    (tmp_path / ".asoundrc").write_text(f"""
pcm.sensekit_vmic_raw {{
  type file
  slave.pcm "null"
  file "/dev/null"
  infile "{tmp_path / 'in.raw'}"
  format "raw"
}}
pcm.sensekit_vmic {{
  type plug
  slave {{ pcm "sensekit_vmic_raw"; format S16_LE; channels 2; rate 16000 }}
}}
""")
    env = {**os.environ, "HOME": str(tmp_path)}
    return raw, env


def test_pyaudio_capture_from_virtual_microphone_equals_the_file(tmp_path, virtual_mic):
    raw, env = virtual_mic
    r = sensekit("devices", "--json", "--lsl-wait", "0.1", env=env)
    assert r.returncode == 0 and "sensekit_vmic" in r.stdout
    out = tmp_path / "mic.h5"
    r = sensekit("capture", "mic:sensekit_vmic", "--channels", "2", "--rate", "16000", "--block-size", "800",
                 "-d", "1", "-o", str(out), "--quiet", env=env)
    assert r.returncode == 0, r.stderr
    with open_recording(out) as rec:
        info = rec.info()
        data = rec.read().data
    assert info.kind == "audio" and info.rate == 16000 and info.shape == (2,) and info.unit == "FS"
    assert len(data) == 16000
    np.testing.assert_array_equal(np.round(data * 32768).astype(np.int16), raw[:16000])


def test_missing_microphone_is_one_line(virtual_mic, tmp_path):
    _, env = virtual_mic
    r = sensekit("capture", "mic:NoSuchMic", "-o", str(tmp_path / "x.h5"), env=env)
    assert r.returncode == 2 and "no audio input device named like 'NoSuchMic'" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "x.h5").exists()


def _mjpg_clip(path, frames: int, step: int):
    """An MJPG .avi of ``frames`` 64x48 grey frames at 25 fps, frame i at level ``i * step``."""
    cv2 = pytest.importorskip("cv2")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * step, dtype=np.uint8))
    writer.release()
    return path


def test_video_file_source_reads_every_frame(tmp_path):
    from sensekit.core.sources import open_source

    path = _mjpg_clip(tmp_path / "clip.avi", 12, 20)
    src = open_source(f"video:{path}")
    frames = list(src)
    src.close()
    assert src.info.kind == "image" and src.info.rate == 25.0 and src.info.shape == (48, 64, 3)
    assert len(frames) == 12 and [f.seq for f in frames] == list(range(12))
    assert abs(float(frames[5].data.mean()) - 100) < 3  # MJPG is lossy
    assert frames[5].t0 == pytest.approx(0.2)


def test_a_video_cut_short_is_one_warning_not_ffmpeg_lines(tmp_path):
    """A video file cut in half: FFmpeg's own lines ("huffman table decode error", one a damaged
    frame) filled stderr and nothing said the file was short; now one warning says how many of
    the frames its header states were read."""
    path = _mjpg_clip(tmp_path / "clip.avi", 60, 4)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    r = sensekit("capture", f"video:{cut}", "-o", str(tmp_path / "x.h5"), "--quiet")
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and re.fullmatch(rf"warning: {re.escape(str(cut))}: the video ended after \d+ of the 60 frames "
                                            "its header states: the file is cut short or damaged", lines[0]), r.stderr
    r = sensekit("capture", f"video:{path}", "-o", str(tmp_path / "whole.h5"), "--quiet")
    assert r.returncode == 0 and r.stderr == "", r.stderr  # the whole file: not a word


def test_missing_camera_and_video_are_one_line(tmp_path):
    pytest.importorskip("cv2")
    r = sensekit("capture", "camera:9", "-o", str(tmp_path / "x.h5"))
    assert r.returncode == 2 and "camera 9 cannot be opened" in r.stderr
    r = sensekit("capture", f"video:{tmp_path / 'none.mp4'}", "-o", str(tmp_path / "x.h5"))
    assert r.returncode == 2 and "does not exist" in r.stderr
