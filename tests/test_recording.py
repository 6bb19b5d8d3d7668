from pathlib import Path

import numpy as np
import pytest
from xdf_writer import write_xdf

from sensekit.core import Frame, StreamInfo, run
from sensekit.core.recording import RecordingWriter, open_recording
from sensekit.core.sinks import AudioFileSink, CSVSink, HDF5Sink
from sensekit.core.sources import ReplaySource, SynthSource
from sensekit.errors import ParameterError, RecordingError, StreamFormatError


def _frames(info, data, block, t0=0.0, skip=()):
    seq = 0
    for i in range(0, len(data), block):
        if seq not in skip:
            yield Frame(info, data[i : i + block], t0=t0 + i / info.rate, seq=seq)
        seq += 1


def test_hdf5_roundtrip_several_streams_with_gaps_and_drops(tmp_path):
    emg = StreamInfo("emg", "emg", 100.0, (3,), dtype="float32", unit="uV", meta={"device": "test"})
    gaze = StreamInfo("gaze", "gaze", 0.0, (2,), unit="px")
    x = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)
    g = np.arange(10.0).reshape(5, 2)
    path = tmp_path / "rec.h5"
    with RecordingWriter(path) as rec:
        w = rec.add_stream(emg)
        for f in _frames(emg, x, 10, t0=5.0, skip={3}):  # block 3 dropped
            w.append(f)
        w.append(Frame(emg, np.zeros((0, 3), np.float32), t0=0.0, seq=10))  # empty block
        w.append(Frame(emg, x[:10], t0=100.0, seq=11))  # a time jump
        rec.add_stream(gaze).append(Frame(gaze, g, times=np.array([0.1, 0.2, 0.4, 0.8, 1.6])))
    with open_recording(path) as r:
        assert set(r.streams) == {"emg", "gaze"} and r.streams["emg"] == emg
        assert r.n_samples("emg") == 100
        segs = r.segments("emg")
        assert [(s.start, s.stop, s.dropped_before) for s in segs] == [(0, 30, 0), (30, 90, 1), (90, 100, 0)]
        assert segs[1].t0 == pytest.approx(5.4) and segs[2].t0 == 100.0
        frames = list(r.frames("emg", block_size=25))
        assert [f.seq for f in frames] == [0, 1, 3, 4, 5, 6]  # the recorded drop reappears as a seq jump
        np.testing.assert_array_equal(np.concatenate([f.data for f in frames]), np.concatenate([x[:30], x[40:], x[:10]]))
        assert r.read("gaze").times.tolist() == [0.1, 0.2, 0.4, 0.8, 1.6]
        np.testing.assert_array_equal(r.read("gaze").data, g)
    report = run(ReplaySource(path, stream="emg", block_size=7), None)
    assert report.dropped_blocks == 1 and report.gaps == 1 and report.samples_in == 100


def test_hdf5_refuses_to_overwrite(tmp_path):
    (tmp_path / "a.h5").write_bytes(b"")
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(tmp_path / "a.h5")


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_audio_roundtrip(tmp_path, suffix):
    src = SynthSource("sine", rate=16000.0, channels=2, duration_s=0.5, amplitude=0.5, block_size=333, kind="audio")
    path = tmp_path / f"a{suffix}"
    run(src, None, AudioFileSink(path))
    with open_recording(path) as r:
        info = r.info()
        assert info.kind == "audio" and info.rate == 16000 and info.shape == (2,) and info.unit == "FS"
        y = r.read().data
    x = np.concatenate([f.data for f in SynthSource("sine", rate=16000.0, channels=2, duration_s=0.5, amplitude=0.5)])
    np.testing.assert_allclose(y, x, atol=1e-7 if suffix == ".wav" else 2**-22)


def test_csv_roundtrip_regular_and_irregular(tmp_path):
    info = StreamInfo("emg", "emg", 200.0, (2,), channels=("flexor", "extensor"))
    x = np.random.default_rng(0).standard_normal((50, 2))
    run(_frames(info, x, 16, t0=3.0), None, CSVSink(tmp_path / "emg.csv"), info=info)
    with open_recording(tmp_path / "emg.csv", kind="emg") as r:
        got = r.info()
        assert got.rate == pytest.approx(200.0) and got.channels == ("flexor", "extensor") and got.kind == "emg"
        f = r.read()
        np.testing.assert_array_equal(f.data, x)
        assert f.t0 == pytest.approx(3.0)
    (tmp_path / "ev.csv").write_text("timestamp,x\n0.0,1\n0.5,2\n0.7,3\n")
    with open_recording(tmp_path / "ev.csv") as r:
        assert r.info().rate == 0 and r.read().times.tolist() == [0.0, 0.5, 0.7]


def test_csv_time_in_milliseconds_is_read_or_warned_about(tmp_path, caplog):
    """A band's export stamped in milliseconds was read as seconds, silently: a 200 Hz band
    became 0.2 Hz over 10,000 s. A column named time_ms (_us, _ns) is read in its unit; a
    'timestamp' of no unit whose rate in seconds is no sensor's (under 1 Hz) is read in the unit
    that gives one, with a warning naming what was done and how to keep seconds (a Myo export in
    microseconds then calibrates; read in seconds, it ended in "less than one sample at 0.0002 Hz")."""
    x = np.random.default_rng(0).integers(-128, 127, (400, 2))
    ms = 1.7e12 + np.arange(400) * 5.0
    for name, scale in (("time_ms", 1.0), ("Timestamp_US", 1e3)):
        p = tmp_path / f"{name}.csv"
        p.write_text(f"{name},a,b\n" + "".join(f"{t * scale:.0f},{u},{v}\n" for t, (u, v) in zip(ms, x, strict=True)))
        with open_recording(p) as r:
            f = r.read()
            assert r.info().rate == 200.0 and f.t0 == pytest.approx(1.7e9) and r.duration_s() == pytest.approx(2.0)
            np.testing.assert_array_equal(f.data, x)
    for name, scale, unit in (("timestamp", 1.0, "ms"), ("t", 1e3, "us")):
        p = tmp_path / "band.csv"
        p.write_text(f"{name},a,b,label\n" + "".join(f"{t * scale:.0f},{u},{v},{'fist' if k >= 200 else 'rest'}\n"
                                                    for k, (t, (u, v)) in enumerate(zip(ms, x, strict=True))))
        with caplog.at_level("WARNING", logger="sensekit"), open_recording(p) as r:
            f = r.read()
            assert r.info().rate == 200.0 and r.duration_s() == pytest.approx(2.0) and f.t0 == pytest.approx(1.7e9)
            times, texts = r.markers()["label"]
            assert times[200] - times[0] == pytest.approx(1.0) and texts[200] == "fist"  # (the labels' times too)
        assert (f"column {name!r} read as seconds gives {0.2 / scale:.3g} Hz, no sensor's rate: read in {unit}; "
                "name the column time_s to keep seconds") in caplog.text
        caplog.clear()
    p.write_text("time_s,a\n" + "".join(f"{k * 5.0},{k % 3}\n" for k in range(10)))  # seconds, said: kept
    with open_recording(p) as r:
        assert r.info().rate == 0.2
    p.write_text("time,a\n" + "".join(f"{k * 0.5},{k % 3}\n" for k in range(10)))  # 2 Hz in seconds: no warning
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(p) as r:
        assert r.info().rate == 2.0
    assert caplog.text == ""


def test_edf_is_read_as_physical_values(tmp_path):
    edfio = pytest.importorskip("edfio")
    x = np.sin(np.linspace(0, 20, 512)) * 100
    edf = edfio.Edf([edfio.EdfSignal(x, sampling_frequency=256, label="EMG1", physical_dimension="uV"),
                     edfio.EdfSignal(-x, sampling_frequency=256, label="EMG2", physical_dimension="uV")])
    edf.write(tmp_path / "rec.edf")
    with open_recording(tmp_path / "rec.edf") as r:
        info = r.info()
        assert info.rate == 256 and info.channels == ("EMG1", "EMG2") and info.unit == "uV"
        np.testing.assert_allclose(r.read().data[:, 0], x, atol=0.01)  # 16-bit quantisation


def test_xdf_streams_are_read(tmp_path):
    t = 100 + np.arange(50) / 250
    data = np.random.default_rng(0).standard_normal((50, 3)).astype(np.float32)
    write_xdf(tmp_path / "rec.xdf", [
        {"name": "Myo", "type": "EMG", "rate": 250, "data": data, "times": t, "labels": ["a", "b", "c"]},
        {"name": "Markers", "type": "Gaze", "rate": 0, "data": np.array([[1.0], [2.0]]), "times": [100.1, 100.3]},
    ])
    with open_recording(tmp_path / "rec.xdf") as r:
        myo = r.info("Myo")
        assert myo.kind == "emg" and myo.rate == 250 and myo.channels == ("a", "b", "c")
        f = r.read("Myo")
        np.testing.assert_array_equal(f.data, data)
        assert f.t0 == pytest.approx(100.0, abs=1e-6)
        assert r.read("Markers").times.tolist() == pytest.approx([100.1, 100.3])


@pytest.mark.parametrize("stated", [1e-9, 100.0, 1e12])
def test_an_xdf_stream_stating_another_rate_than_its_stamps_is_read_at_theirs(tmp_path, caplog, stated):
    """An outlet that states the wrong rate: its samples came at its time stamps' rate. Read at
    the stated 1e-9 Hz its 2 s lasted 12,700 years (and the file was called damaged); now the
    stamps' rate is used, in one warning naming both."""
    t = 100 + np.arange(400) / 200
    write_xdf(tmp_path / "rec.xdf", [{"name": "EMG", "type": "EMG", "rate": stated, "times": t, "labels": ["a"],
                                      "data": np.arange(400, dtype=np.float32)[:, None]}])
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(tmp_path / "rec.xdf") as r:
        assert r.info("EMG").rate == 200.0 and r.duration_s("EMG") == pytest.approx(2.0)
        assert r.read("EMG").t0 == pytest.approx(100.0, abs=1e-6)
    assert caplog.text.count("WARNING") == 1 and "damaged" not in caplog.text
    assert f"rec.xdf: stream 'EMG' states {stated:g} Hz, but its 400 time stamps step at 200 Hz" in caplog.text


def test_an_xdf_stream_that_dropped_out_has_a_gap_and_is_not_called_damaged(tmp_path, caplog):
    """A device that dropped out for 5 s while LabRecorder kept recording: two runs, each at its
    own times (the replay keeps the gap), and no 'damaged' warning (pyxdf notes that its two
    segmentations differ; that is no damage)."""
    t = np.arange(2000) / 250.0
    t[1000:] += 5.0
    write_xdf(tmp_path / "gap.xdf", [{"name": "EMG", "type": "EMG", "rate": 250.0, "times": t, "labels": ["a", "b"],
                                      "data": np.arange(4000, dtype=np.float32).reshape(2000, 2)}])
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(tmp_path / "gap.xdf") as r:
        segments = r.segments("EMG")
        assert [(g.start, g.stop) for g in segments] == [(0, 1000), (1000, 2000)]
        assert segments[1].t0 - segments[0].t0 == pytest.approx(9.0, abs=1e-3)
        assert r.duration_s("EMG") == pytest.approx(13.0, abs=1e-3)
    assert "damaged" not in caplog.text


@pytest.mark.parametrize("name, content, match", [
    ("trunc.h5", None, "not a readable HDF5 file"),
    ("junk.h5", b"not hdf5 at all", "not a readable HDF5 file"),
    ("junk.wav", b"RIFF....WAVEfmt garbage", "not a readable audio file"),
    ("junk.xdf", b"XDF:\x01\x05", "not a readable XDF file"),
    ("junk.edf", b"0       garbage header", "not a readable EDF/BDF file"),
    ("notime.csv", b"a,b\n1,2\n", "no time column"),
    ("ragged.csv", b"time,a\n0,1\n1\n", "non-numeric or ragged row"),
    ("back.csv", b"time,a\n0,1\n1,2\n0.5,3\n", "time does not increase at line 4"),
    ("rec.mat", b"", "not a readable .mat file"),  # (a Ninapro file's type: an empty one is damaged)
    ("rec.npz", b"", "unknown file type '.npz'"),
    ("clip.MP4", b"", r"is a video: it is read as a source, video:.*fix: e.g. 'sensekit capture video:"),
    ("folder", "dir", "is a folder, not a recording; fix: name a file in it"),  # (was 'unknown file type (none)')
    ("folder.h5", "dir", "is a folder, not a recording"),
])
def test_corrupt_files_give_one_line_errors(tmp_path, name, content, match):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content is None:  # a real recording cut in half
        info = StreamInfo("x", "emg", 100.0, (4,))
        with RecordingWriter(tmp_path / "full.h5") as rec:
            rec.add_stream(info).append(Frame(info, np.zeros((5000, 4)), t0=0))
        raw = (tmp_path / "full.h5").read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    else:
        path.write_bytes(content)
    with pytest.raises(RecordingError, match=match) as e:
        open_recording(path)
    assert "\n" not in str(e.value)


def test_sinks_refuse_streams_their_format_cannot_hold(tmp_path):
    image = StreamInfo("cam", "image", 0.0, (4, 4), dtype="uint8")
    with pytest.raises(StreamFormatError, match="audio file holds a regular stream of 1-D samples"):
        AudioFileSink(tmp_path / "x.wav").open(image)
    with pytest.raises(StreamFormatError, match="CSV holds 1-D samples"):
        CSVSink(tmp_path / "x.csv").open(image)
    HDF5Sink(tmp_path / "x.h5").open(image)  # HDF5 takes any shape


def test_capture_several_sources_into_one_file(tmp_path, monkeypatch):
    """Issue 21: several sources into one recording, one stream each; a failing device stops the
    capture cleanly (everything kept) or, with --keep-going, the others go on."""
    import json

    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.core.sources import SynthSource, open_source
    from sensekit.errors import DeviceError

    runner = CliRunner()
    out = tmp_path / "session.h5"
    r = runner.invoke(app, ["capture", "synth:sine?rate=1000", "synth:noise?rate=500&channels=3", "synth:sine?rate=200",
                            "-o", str(out), "--duration", "2", "--quiet"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["info", "--json", str(out)])
    rows = {row["stream"]: row for row in json.loads(r.stdout)["streams"]}
    assert {k: v["samples"] for k, v in rows.items()} == {"synth-sine": 2000, "synth-noise": 1000, "synth-sine_2": 400}
    assert all(row["start_s"] == 0.0 and row["end_s"] == pytest.approx(2.0) for row in rows.values())

    class Failing(SynthSource):
        def _frames(self):
            for k, frame in enumerate(super()._frames()):
                if k == 3:
                    raise DeviceError("the band was unplugged")
                yield frame

    def fake_open(text, **kw):
        if text == "band":
            return Failing("noise", rate=100.0, channels=2, block_size=10)
        return open_source(text, **kw)

    import sensekit.core.sources as sources_module

    monkeypatch.setattr(sources_module, "open_source", fake_open)
    args = ["capture", "synth:sine?rate=1000&realtime=1", "band", "-o", str(tmp_path / "f.h5"), "--duration", "1",
            "--quiet"]
    r = runner.invoke(app, args)
    assert r.exit_code == 1 and "the band was unplugged" in r.stderr and "keeps every sample received" in r.stderr
    with open_recording(tmp_path / "f.h5") as rec:
        assert rec.n_samples("synth-noise") == 30 and rec.n_samples("synth-sine") < 1000
    r = runner.invoke(app, [*args[:-1], "--keep-going", "--quiet", "--overwrite"])
    assert r.exit_code == 0, r.output
    with open_recording(tmp_path / "f.h5") as rec:
        assert rec.n_samples("synth-sine") == 1000 and rec.n_samples("synth-noise") == 30


def test_calibrate_sync_recovers_a_camera_lag_within_one_frame(tmp_path):
    """Issue 21: a simulated camera + microphone pair with a known lag: 'calibrate sync' recovers
    it within one frame, and replay --sync puts the camera on the microphone's clock."""
    import json

    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter

    rng = np.random.default_rng(3)
    fs, fps, lag = 16000.0, 30.0, 0.133  # the camera stamps the clap 133 ms late
    audio = rng.normal(0, 0.01, int(3 * fs)).astype("float32")
    i = int(1.0 * fs)
    audio[i:i + 400] += (rng.normal(0, 0.8, 400) * np.exp(-np.arange(400) / 100)).astype("float32")
    t = np.arange(int(3 * fps)) / fps + 0.004
    imgs = np.full((len(t), 12, 16), 30, dtype=np.uint8)
    seen = t >= 1.0 + lag
    imgs[seen] += (120 * np.exp(-(t[seen] - 1.0 - lag) / 0.2))[:, None, None].astype(np.uint8)  # the hands meet
    path = tmp_path / "clap.h5"
    mic = StreamInfo("mic", "audio", fs, (1,), dtype="float32")
    cam = StreamInfo("camera", "image", 0.0, (12, 16), dtype="uint8")
    with RecordingWriter(path) as w:
        w.add_stream(mic).append(Frame(mic, audio[:, None], t0=0.0))
        w.add_stream(cam).append(Frame(cam, imgs, times=t))
    runner = CliRunner()
    out = tmp_path / "sync.json"
    r = runner.invoke(app, ["calibrate", "sync", str(path), "--reference", "mic", "--stream", "camera", "-o", str(out)])
    assert r.exit_code == 0, r.output
    found = json.loads(out.read_text())["params"]["offsets_s"]["camera"]
    assert abs(found - lag) < 1 / fps
    r = runner.invoke(app, ["replay", str(path), "--stream", "camera", "--to", "jsonl", "--sync", str(out)])
    assert r.exit_code == 0, r.output
    first = json.loads(r.stdout.splitlines()[1])
    assert first["t"] == pytest.approx(t[0] - found)
    # the outlet keeps the name it was given (--sync had replaced it with the stream's)
    r = runner.invoke(app, ["replay", str(path), "--stream", "camera", "--to", "lsl", "--sync", str(out), "--name",
                            "SyncedCam"])
    assert r.exit_code == 0 and "on LSL as 'SyncedCam'" in r.stderr, r.output
    assert "(0.0x real time)" not in r.stdout  # an irregular stream's seconds are its timestamps' span
    r = runner.invoke(app, ["replay", str(path), "--stream", "camera", "--to", "jsonl", "--name", "SyncedCam"])
    assert r.exit_code == 2 and "--name names an LSL outlet" in r.stderr
    r = runner.invoke(app, ["calibrate", "check", str(out)])
    assert r.exit_code == 0 and "a valid 'sync' calibration" in r.stdout


def test_xdf_clock_offsets_are_kept_on_convert_and_shown_by_info(tmp_path):
    """Issue 21: an XDF stream's clock-offset measurements travel into the .h5 on convert, and
    info shows the fitted offset and drift."""
    import json

    from typer.testing import CliRunner

    from sensekit.cli import app

    t = 50 + np.arange(2500) / 250
    clock = [(50 + 5 * k, 0.75 + 20e-6 * 5 * k) for k in range(3)]  # offset 0.75 s, drift 20 ppm
    write_xdf(tmp_path / "rec.xdf", [{"name": "Myo", "type": "EMG", "rate": 250,
                                      "data": np.zeros((2500, 2), dtype=np.float32), "times": t, "clock": clock}])
    runner = CliRunner()
    r = runner.invoke(app, ["convert", str(tmp_path / "rec.xdf"), str(tmp_path / "rec.h5")])
    assert r.exit_code == 0, r.output
    with open_recording(tmp_path / "rec.xdf") as a, open_recording(tmp_path / "rec.h5") as b:
        np.testing.assert_array_equal(a.clock("Myo").measurements(), b.clock("Myo").measurements())
        assert b.read("Myo").t0 == pytest.approx(a.read("Myo").t0)
    for f in ("rec.xdf", "rec.h5"):
        row = json.loads(runner.invoke(app, ["info", "--json", str(tmp_path / f)]).stdout)["streams"][0]
        assert row["clock"] == "remote" and row["clock_measurements"] == 3
        assert row["clock_offset_s"] == pytest.approx(0.75, abs=1e-4) and row["clock_drift_ppm"] == pytest.approx(20, 0.01)
    r = runner.invoke(app, ["info", str(tmp_path / "rec.h5")])
    assert "remote clock, offset +0.75" in r.stdout and "drift +20.0 ppm" in r.stdout


def test_capture_stores_a_remote_clock_and_info_shows_it(tmp_path):
    """Issue 21: a captured stream with a remote clock (an LSL outlet on another computer) keeps
    its clock-offset measurements in the recording; a local one says 'local'."""
    from sensekit.core.clock import ClockMap
    from sensekit.core.multicapture import capture_sources
    from sensekit.core.sources import SynthSource

    class Remote(SynthSource):
        """A simulator whose clock is 2.5 s behind with 30 ppm drift, measured at every block."""

        def __init__(self):
            super().__init__("sine", rate=100.0, channels=1, block_size=50)
            self.clock_map = ClockMap()

        def _frames(self):
            for k, frame in enumerate(super()._frames()):
                self.clock_map.add(0.5 * k, 2.5 + 30e-6 * 0.5 * k)
                yield frame

    capture_sources([Remote(), SynthSource("noise", rate=200.0, channels=2)], tmp_path / "s.h5", duration_s=10)
    from sensekit.cli.info import describe

    rows = {r["stream"]: r for r in describe(tmp_path / "s.h5")}
    assert rows["synth-noise"]["clock"] == "local"
    remote = rows["synth-sine"]
    assert remote["clock"] == "remote" and remote["clock_measurements"] == 20
    assert remote["clock_drift_ppm"] == pytest.approx(30, rel=1e-3) and remote["clock_offset_s"] == pytest.approx(2.5, abs=1e-3)


def test_replaying_a_session_without_naming_a_stream_says_which_it_reads(tmp_path, caplog):
    """A source string naming a multi-stream recording read its first stream without a word
    ('run emg session.h5' read the session's gaze): it says which, and how to name another."""
    path = tmp_path / "session.h5"
    a, b = StreamInfo("a-gaze", "gaze", 90.0, (2,)), StreamInfo("b-emg", "emg", 200.0, (4,))
    with RecordingWriter(path) as w:
        w.add_stream(a).append(Frame(a, np.zeros((9, 2)), t0=0.0))
        w.add_stream(b).append(Frame(b, np.zeros((20, 4)), t0=0.0))
    with caplog.at_level("WARNING", logger="sensekit"):
        src = ReplaySource(path)
    src.close()
    assert src.info.name == "a-gaze"
    assert "session.h5 holds 2 streams (a-gaze, b-emg): reading the first, 'a-gaze'; name one as " \
           "session.h5#STREAM" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"):
        named = ReplaySource(path, stream="b-emg")
        named.close()
    assert named.info.name == "b-emg"
    assert caplog.text == ""
    # a reader that says what it wants (run emg: its calibration's kind) gets the only such stream
    with caplog.at_level("WARNING", logger="sensekit"):
        wanted = ReplaySource(path, kinds=("image", "emg"))
        wanted.close()
    assert wanted.info.name == "b-emg" and caplog.text == ""
    with RecordingWriter(tmp_path / "two.h5") as w:  # two of the kind wanted: named, never guessed
        for name in ("left", "right"):
            w.add_stream(b.replace(name=name)).append(Frame(b.replace(name=name), np.zeros((20, 4)), t0=0.0))
    with pytest.raises(ParameterError, match=r"two.h5 holds 2 emg streams \(left, right\)") as e:
        ReplaySource(tmp_path / "two.h5", kinds=("emg",))
    assert e.value.fix == "name one as two.h5#STREAM"


def test_csv_timestamps_rounded_to_the_microsecond_keep_a_2048_hz_rate(tmp_path):
    """An HD-EMG amplifier's 2048 Hz stamped to six decimals steps 488 and 489 µs: read by the
    median step it was '2049 Hz', which a calibration made on the amplifier's 2048 Hz refuses."""
    t = np.round(np.arange(4096) / 2048, 6)
    p = tmp_path / "hd.csv"
    p.write_text("time,a\n" + "".join(f"{a:.6f},1\n" for a in t))
    with open_recording(p) as r:
        assert r.info().rate == 2048.0


@pytest.mark.parametrize("name, text", [
    ("semicolons.csv", "Time (s);EMG 1 (mV);EMG 2 (mV)\n{rows}"),  # a spreadsheet of a decimal-comma locale
    ("delsys.csv", "X[s],EMG 1,X[s],EMG 2\n{rows_delsys}"),  # Delsys' export: each sensor's own time axis
    ("tabs.tsv", "Timestamp [ms]\tch1\tch2\n{rows_ms}"),
    ("export.txt", "time_s\tch1\tch2\n{rows}"),
])
def test_tables_with_tabs_semicolons_and_units_in_brackets(tmp_path, name, text):
    """Tables as spreadsheets and vendors write them: tab- or semicolon-separated, a .tsv or .txt,
    the time column's unit in brackets ('Time (s)', 'Timestamp [ms]'): read as a comma CSV with a
    time_s / time_ms column is (they were 'no time column' or 'unknown file type'); the decimal
    commas of a semicolon- or tab-separated table are read (they had been refused)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 2))
    sep = ";" if name.endswith(".csv") else "\t"
    rows = "".join(f"{k / 500:.6f}{sep}{a:.17g}{sep}{b:.17g}\n" for k, (a, b) in enumerate(x))
    rows_ms = "".join(f"{2 * k}{sep}{a:.17g}{sep}{b:.17g}\n" for k, (a, b) in enumerate(x))
    rows_delsys = "".join(f"{k / 500:.6f},{a:.17g},{k / 500:.6f},{b:.17g}\n" for k, (a, b) in enumerate(x))
    p = tmp_path / name
    p.write_text(text.format(rows=rows, rows_ms=rows_ms, rows_delsys=rows_delsys))
    with open_recording(p) as r:
        assert r.info().rate == 500.0 and r.info().channels[1] in ("EMG 2 (mV)", "ch2", "EMG 2")
        np.testing.assert_array_equal(r.read().data, x)
    p.write_text("time;ch1\n0,000;1,5\n0,002;1,6\n0,004;-1,7e-3\n")  # (a German spreadsheet: read, with a warning)
    with open_recording(p) as r:
        assert r.info().rate == 500.0 and r.read().data[:, 0].tolist() == [1.5, 1.6, -1.7e-3]
    p.write_text("time,ch1\n0,1\n0.002,abc\n")
    with pytest.raises(RecordingError, match="non-numeric or ragged row"):
        open_recording(p)


def test_a_vendor_preamble_before_the_header_is_skipped(tmp_path):
    """Delsys EMGworks exports open with a preamble (the application, the date, the collection's
    length, a blank line) before the header; the file was "no time column (header: ['Application:
    EMGworks'])". The header is the first of the first lines to name a time column; line numbers in
    errors count the preamble."""
    x = np.random.default_rng(4).normal(size=(300, 2))
    preamble = "Application: EMGworks Analysis\nDate/Time: 05/01/2024 12:00:00 PM\nCollection Length (seconds): 0.3\n\n"
    p = tmp_path / "emgworks.csv"
    rows = [f"{k / 1000:.4f},{a:.17g},{b:.17g},{'fist' if k >= 150 else 'rest'}" for k, (a, b) in enumerate(x)]
    p.write_text(preamble + "X[s],EMG 1,EMG 2,label\n" + "\n".join(rows) + "\n")
    with open_recording(p) as r:
        assert r.info().rate == 1000.0 and r.info().channels == ("EMG 1", "EMG 2")
        np.testing.assert_array_equal(r.read().data, x)
        assert r.markers()["label"][1][150] == "fist"
    rows[9] = rows[8]
    p.write_text(preamble + "X[s],EMG 1,EMG 2,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(RecordingError, match="time does not increase at line 15"):  # (4 preamble lines, the header)
        open_recording(p)


@pytest.mark.parametrize("stamp", ["2024-05-01 12:00:{s:06.3f}", "2024-05-01T12:00:{s:06.3f}Z",
                                   "2024-05-01T14:00:{s:06.3f}+02:00"])
def test_a_time_column_of_date_times_is_read(tmp_path, stamp):
    """Apps that stamp samples with the wall clock write ISO 8601 date-times; the file was refused as
    "non-numeric or ragged". Read as seconds since 1970 (UTC where no zone is named), the label column
    before the time column or after it; a later cell that is no date-time is still one line."""
    x = np.random.default_rng(3).normal(size=(400, 2))
    lines = ["label,time,a,b"] + [f"{'fist' if k >= 200 else 'rest'},{stamp.format(s=k * 0.005)},{a:.17g},{b:.17g}"
                                   for k, (a, b) in enumerate(x)]
    p = tmp_path / "app.csv"
    p.write_text("\n".join(lines) + "\n")
    with open_recording(p) as r:
        f = r.read()
        assert r.info().rate == 200.0 and f.t0 == pytest.approx(1714564800.0) and r.duration_s() == pytest.approx(2.0)
        np.testing.assert_array_equal(f.data, x)
        assert r.markers()["label"][1][200] == "fist"
    p.write_text("\n".join(lines[:50] + [lines[50].replace("2024-05-01", "yesterday")] + lines[51:]) + "\n")
    with pytest.raises(RecordingError, match="non-numeric or ragged row"):
        open_recording(p)


@pytest.mark.parametrize("acc_first", [False, True])
def test_a_delsys_export_with_an_imu_keeps_the_emg(tmp_path, caplog, acc_first):
    """A Delsys Trigno export holds each sensor's EMG and its accelerometer, each with its own time
    column; the accelerometer's 148 Hz column ends early, leaving empty cells, and the file was
    refused whole ("non-numeric or ragged row"). The sensors with the most samples (the EMG) are
    read, the rest named in a warning, the label column kept row for row; a cell of text is still
    one line."""
    rng = np.random.default_rng(2)
    emg, acc = rng.normal(size=(600, 2)), rng.normal(size=45)
    head = ["X[s]", "Avanti 1: EMG 1 (mV)", "X[s]", "Avanti 1: ACC.X 1 (g)", "X[s]", "Avanti 2: EMG 2 (mV)", "label"]
    rows = []
    for k in range(600):
        e1, a, e2 = [f"{k / 1925.926:.7f}", f"{emg[k, 0]:.17g}"], ([f"{k / 148.148:.7f}", f"{acc[k]:.17g}"]
                                                                     if k < 45 else ["", ""]), [f"{k / 1925.926:.7f}",
                                                                                               f"{emg[k, 1]:.17g}"]
        rows.append(",".join((a + e1 if acc_first else e1 + a) + e2 + ["fist" if k >= 300 else "rest"]))
    order = [2, 3, 0, 1, 4, 5, 6] if acc_first else list(range(7))
    p = tmp_path / "trigno.csv"
    p.write_text(",".join(head[i] for i in order) + "\n" + "\n".join(rows) + "\n")
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(p) as r:
        assert r.info().rate == 1926.0 and r.info().channels == ("Avanti 1: EMG 1 (mV)", "Avanti 2: EMG 2 (mV)")
        np.testing.assert_array_equal(r.read().data, emg)
        times, texts = r.markers()["label"]
        assert len(texts) == 600 and texts[300] == "fist"
    assert "1 column(s) at another rate" in caplog.text and "'Avanti 1: ACC.X 1 (g)'" in caplog.text
    p.write_text(",".join(head[i] for i in order) + "\n" + "\n".join(rows[:5] + [rows[5].replace(
        f"{emg[5, 1]:.17g}", "n/a")] + rows[6:]) + "\n")
    with pytest.raises(RecordingError, match="non-numeric or ragged row"):
        open_recording(p)


def test_the_unit_a_delsys_preamble_states_is_the_streams(tmp_path):
    """EMGworks states each channel's unit in its preamble ('Label: NAME Sampling frequency: ...
    Unit: V Domain Unit: s', a spreadsheet's trailing commas after it or not); the stream's unit
    was none, so a calibration made on a millivolt recording read volts 1000 times too small
    without a word. The unit of the kept columns is the stream's where they agree, none where
    they do not."""
    from sensekit.core.units import voltage_factor

    rng = np.random.default_rng(5)
    emg, acc = rng.normal(size=(600, 2)) * 1e-4, rng.normal(size=45)

    def write(units: tuple[str, str], trailing: str) -> Path:
        names = ["Mini sensor 1: EMG 1", "Mini sensor 1: ACC.X 1", "Mini sensor 2: EMG 2"]
        rates, points = [1259.259, 148.1481, 1259.259], [600, 45, 600]
        pre = [f"Label: {n} Sampling frequency: {f:.6e} Number of points: {k} start: 0.000000e+000 Unit: {u} Domain "
               f"Unit: s{trailing}" for n, f, k, u in zip(names, rates, points, (units[0], "g", units[1]), strict=True)]
        pre += [f"Start Trigger Method: None{trailing}", f"Stop Trigger Method: None{trailing}", f" {trailing}"]
        rows = [",".join([f"{k / 1259.259:.10g}", f"{emg[k, 0]:.17g}"] + ([f"{k / 148.1481:.10g}", f"{acc[k]:.17g}"]
                                                                          if k < 45 else ["", ""])
                         + [f"{k / 1259.259:.10g}", f"{emg[k, 1]:.17g}"]) for k in range(600)]
        p = tmp_path / "trigno.csv"
        p.write_text("\n".join(pre + [",".join(f'X[s],"{n}"' for n in names)] + rows) + "\n")
        return p

    for trailing in ("", ",,,,,"):
        with open_recording(write(("V", "V"), trailing)) as r:
            assert r.info().unit == "V" and r.info().channels == ("Mini sensor 1: EMG 1", "Mini sensor 2: EMG 2")
            np.testing.assert_array_equal(r.read().data, emg)
            assert voltage_factor(r.info().unit, "mV") == 1000.0
    with open_recording(write(("V", "mV"), "")) as r:
        assert r.info().unit == ""


def test_a_counter_a_second_clock_or_labels_among_the_channels_are_said(tmp_path, caplog):
    """A packet counter or a vendor's second time column in a table is read as a channel (and was
    decoded as a signal without a word): the columns that rise at every row are named."""
    rng = np.random.default_rng(0)
    p = tmp_path / "band.csv"
    p.write_text("time,ch1,counter,t_sensor2\n" + "".join(
        f"{k / 500:.6f},{rng.normal():.5f},{k},{k / 500 + 0.0004:.6f}\n" for k in range(500)))
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(p) as r:
        assert r.info().channels == ("ch1", "counter", "t_sensor2")
    assert "'counter', 't_sensor2' rise at every row" in caplog.text and "'ch1'" not in caplog.text
    # a label column of a name no reader knows held the answer as a channel (decoding would leak it);
    # Ninapro's 'restimulus' is read as the labels it is, and a Myo's 8-bit samples are no labels
    held = np.repeat([0, 1, 2, 0, 1, 2], 100)
    myo = rng.integers(-128, 127, 600)
    p.write_text("time,emg,myo,mov,restimulus\n" + "".join(
        f"{k / 500:.6f},{rng.normal():.5f},{m},{c},{c}\n" for k, (m, c) in enumerate(zip(myo, held, strict=True))))
    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(p) as r:
        assert r.info().channels == ("emg", "myo", "mov") and "restimulus" in r.markers()
    assert "'mov' hold a few whole numbers in long runs, as class labels do" in caplog.text
    assert "'myo'" not in caplog.text and "'emg'" not in caplog.text
    # Ninapro's two label columns: neither is a channel; the refined restimulus is the class held
    from sensekit.emg.datasets import load_recording_trials

    refined = np.where(np.arange(600) % 100 < 80, held, 0)
    p.write_text("time,emg,stimulus,restimulus\n" + "".join(
        f"{k / 500:.6f},{rng.normal():.5f},{c},{d}\n" for k, (c, d) in enumerate(zip(held, refined, strict=True))))
    with open_recording(p) as r:
        assert r.info().channels == ("emg",) and set(r.markers()) == {"stimulus", "restimulus"}
    trials = load_recording_trials(p, classes=("0", "1", "2"))
    assert sum(len(t.data) for t in trials.trials) == 600 and sum(len(t.data) for t in trials.trials if t.label) == 320


def test_an_xdf_stream_that_states_no_rate_but_comes_steadily_is_regular(tmp_path, caplog):
    """Some armband apps publish EMG over LSL with nominal rate 0 and stamp each packet on arrival:
    LabRecorder's file then held an 'irregular' EMG stream, and calibrating from it was refused
    ('rate expected > 0 Hz ... give the stream a nominal rate', which a user cannot). Samples within
    two periods of one fitted clock, with no gap, are read as regular at that clock's rate (said);
    a stream whose stamps keep no clock stays irregular, and so does a kind that is no sampled
    signal (a camera's landmarks keep their own times)."""
    rng = np.random.default_rng(0)
    n = 2000
    packets = 100.0 + np.repeat(np.arange(n // 2) * 0.010, 2) + rng.uniform(0, 0.002, n // 2).repeat(2)  # 2 a packet
    x = rng.normal(size=(n, 4)).astype(np.float32)
    events = np.sort(100.0 + rng.uniform(0, 10, 200))
    frames = 100.0 + np.arange(300) / 30.0  # a camera's landmarks, steady, keep their own times
    write_xdf(tmp_path / "band.xdf", [dict(name="Band", type="EMG", rate=0, data=x, times=packets),
                                      dict(name="Events", type="gaze", rate=0, data=x[:200], times=events),
                                      dict(name="Hands", type="landmarks", rate=0, data=x[:300], times=frames)])
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(tmp_path / "band.xdf") as r:
        band, other, hands = r.info("Band"), r.info("Events"), r.info("Hands")
        assert band.rate == 200.0 and other.rate == 0 and hands.rate == 0
        np.testing.assert_array_equal(r.read("Band").data, x)
    assert "'Band' states no sampling rate, but its 2000 samples come steadily at 200 Hz" in caplog.text


def test_a_calibration_made_on_an_export_accepts_the_device_that_states_its_exact_rate(tmp_path):
    """A Delsys Trigno samples EMG at 1925.926 Hz: its CSV export's timestamps give a rate snapped to
    1926 Hz, its LSL outlet states 1925.926; a calibration made on the file refused the live band
    ('rate: expected 1926.0, got 1925.926'). Rates within the snapping's 0.2 % are one rate; 2000 Hz is not."""
    from sensekit.core.calibration import Calibration
    from sensekit.errors import CalibrationError

    p = tmp_path / "trigno.csv"
    p.write_text("time,ch1\n" + "".join(f"{k / 1925.925926:.6f},0.1\n" for k in range(5000)))
    with open_recording(p) as r:
        info = r.info()
    assert info.rate == 1926.0
    band = Calibration("emg", info, {})
    band.check_stream(StreamInfo("trigno", "emg", 1925.925926, (1,), channels=("ch1",)), fields=("rate",))
    with pytest.raises(CalibrationError, match=r"rate: expected 1926\.0, got 2000\.0"):
        band.check_stream(StreamInfo("trigno", "emg", 2000.0, (1,), channels=("ch1",)), fields=("rate",))


def test_csv_timestamps_stamped_on_arrival_are_read_on_their_clock(tmp_path, caplog):
    """A band's samples stamped by the host on arrival jitter around their clock: the file was
    irregular, and its calibration was refused for 'rate: expected 1000.0, got 0.0'. Stamps
    within a quarter of a period of one fitted clock are read as regular (said in the log); a missing
    sample keeps the file irregular, and a calibration then says why it refuses it."""
    from sensekit.core.calibration import Calibration
    from sensekit.errors import CalibrationError

    rng = np.random.default_rng(0)
    t = np.arange(3000) / 1000.0 + rng.uniform(-2e-4, 2e-4, 3000)
    x = rng.normal(size=(3000, 2))
    p = tmp_path / "band.csv"
    p.write_text("time,a,b\n" + "".join(f"{a:.6f},{u},{v}\n" for a, (u, v) in zip(t, x, strict=True)))
    with caplog.at_level("INFO", logger="sensekit"), open_recording(p) as r:
        assert r.info().rate == 1000.0
        np.testing.assert_array_equal(r.read().data, x)
    assert "around one 1000 Hz clock; read as regular" in caplog.text
    gap = np.delete(np.arange(3000) / 1000.0, 1500)  # one sample lost: the later stamps a period off
    p.write_text("time,a\n" + "".join(f"{a:.6f},1\n" for a in gap))
    with open_recording(p) as r:
        info = r.info()
    assert info.rate == 0
    band = Calibration("emg", StreamInfo("band", "emg", 1000.0, (1,)), {})
    with pytest.raises(CalibrationError, match=r"rate: expected 1000\.0, got an irregular stream"):
        band.check_stream(info, fields=("rate",))


def _mat_variables(path):
    from sensekit.core.matlab import read_mat

    shapes, arrays = read_mat(path, ["emg"])
    return shapes, arrays["emg"]


def test_a_mat_file_is_read_in_a_child_process_and_in_a_daemonic_worker(tmp_path):
    """read_mat reads in a forked child (a crash of scipy's reader is one line: test_emg_cli); in a
    daemonic worker, which may have no children (multiprocessing.Pool's), it reads in place."""
    import multiprocessing

    from scipy.io import savemat

    from sensekit.core.matlab import read_mat

    path = tmp_path / "a.mat"
    emg = np.arange(12.0).reshape(6, 2)
    savemat(path, {"emg": emg, "restimulus": np.zeros((6, 1)), "other": np.ones(3)})
    shapes, arrays = read_mat(path, ["emg", "absent"])
    assert shapes == {"emg": (6, 2), "restimulus": (6, 1), "other": (1, 3)} and list(arrays) == ["emg"]
    np.testing.assert_array_equal(arrays["emg"], emg)
    if "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(1) as pool:
            shapes, got = pool.apply(_mat_variables, (path,))
        np.testing.assert_array_equal(got, emg)
    with pytest.raises(RecordingError, match="declares a variable of more than 1e\\+01 values"):
        read_mat(path, ["emg"], max_values=10)
