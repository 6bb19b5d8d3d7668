"""Issue 16: untrusted input never crashes, hangs, lies or reaches an ear at full scale."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core import Frame, StreamInfo
from sensekit.core.sinks import AudioFileSink
from sensekit.core.sinks.safety import PeakLimiter, check_finite
from sensekit.errors import ParameterError, StreamFormatError

runner = CliRunner()


@pytest.fixture
def noise(tmp_path):
    path = tmp_path / "noise.wav"
    sf.write(path, np.random.default_rng(0).normal(0, 0.1, (8000, 1)).astype("float32"), 16000)
    return path


@pytest.mark.parametrize("args, message", [
    (["--az", "nan"], "--az nan is not a finite number"),
    (["--az", "inf"], "--az inf is not a finite number"),
    (["--el", "100"], "--el 100 is out of range"),
    (["--el", "-95"], "--el -95 is out of range"),
    (["--distance", "-2"], "--distance -2 is out of range"),
    (["--distance", "0"], "--distance 0 is out of range"),
    (["--el", "10", "--el", "20"], "--el given 2 times; give one value for every source or one per input channel (1)"),
    (["--distance", "1", "--distance", "2"], "--distance given 2 times"),
    (["--room", "6x5x3", "--rt60", "nan"], "--rt60 nan is not a finite number"),
    (["--room", "6x5x3", "--rt60", "0.5,0.4"], "--rt60 given 2 times"),
    (["--room", "6x-5x3"], "--room -5 is out of range"),
    (["--block", "99999999999999999999"], "block must be <= 1048576"),
])
def test_render_numbers_are_checked_before_any_work(tmp_path, noise, args, message):
    out = tmp_path / "out.wav"
    r = runner.invoke(app, ["spatial", "render", str(noise), "-o", str(out), *args])
    assert r.exit_code == 2, r.output
    assert message in r.stderr and "Traceback" not in r.output
    assert not out.exists()


def test_render_output_is_finite_and_below_full_scale(tmp_path, noise):
    out = tmp_path / "out.wav"
    r = runner.invoke(app, ["spatial", "render", str(noise), "-o", str(out), "--az", "30", "--el", "10"])
    assert r.exit_code == 0, r.output
    y, _ = sf.read(out)
    assert np.isfinite(y).all() and np.abs(y).max() < 1.0 and np.abs(y).max() > 0.01


def _frame(x, rate=16000.0):
    x = np.asarray(x, dtype=np.float64)
    return Frame(StreamInfo("binaural", "audio", rate, (x.shape[1],)), x, t0=0.0)


def test_audio_sinks_refuse_non_finite_samples_naming_the_producer(tmp_path):
    x = np.zeros((100, 2))
    x[40, 1] = np.nan
    with pytest.raises(StreamFormatError, match=r"BinauralRenderer produced 1 non-finite audio sample.*t = 0\.003 s"):
        check_finite(_frame(x), "BinauralRenderer")
    sink = AudioFileSink(tmp_path / "o.wav", producer="Gain")
    sink.open(_frame(x).info)
    x = np.zeros((100, 2))
    x[40, 1] = np.inf
    with pytest.raises(StreamFormatError, match="Gain produced"):
        sink.write(_frame(x))
    sink.close()
    check_finite(_frame(np.ones((5, 2))))  # finite: no error


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 700), min_size=1, max_size=8), st.floats(0.1, 50.0), st.integers(0, 2**31 - 1))
def test_limiter_never_passes_the_ceiling_and_is_block_invariant(cuts, gain, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (1500, 2)) * gain
    x[rng.integers(0, 1500, 5)] *= 40  # isolated spikes
    whole = PeakLimiter(48000.0).process(x)
    lim = PeakLimiter(48000.0)
    edges = np.cumsum([0, *cuts])
    edges = np.unique(np.clip(np.append(edges, len(x)), 0, len(x)))
    parts = np.concatenate([lim.process(x[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    assert np.abs(whole).max() <= lim.ceiling
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-12)


def test_limiter_leaves_a_quiet_signal_alone_and_recovers_after_a_peak():
    lim = PeakLimiter(1000.0, release_s=0.01)
    x = np.full((200, 1), 0.5)
    np.testing.assert_array_equal(lim.process(x), x)
    x[50] = 10.0
    y = lim.process(x)
    assert y[50, 0] == pytest.approx(lim.ceiling) and y[49, 0] == 0.5
    assert y[51, 0] < 0.5 and y[199, 0] == pytest.approx(0.5, abs=1e-3)


@contextlib.contextmanager
def _stopped_at_once():
    stop = threading.Event()
    stop.set()
    yield stop


def test_interrupted_convert_leaves_no_output(tmp_path, monkeypatch):
    import sys

    replay_cli = sys.modules["sensekit.cli.replay"]

    src = tmp_path / "long.wav"
    sf.write(src, np.zeros((200_000, 1), dtype="float32"), 8000)
    monkeypatch.setattr(replay_cli, "stop_on_signals", _stopped_at_once)
    for dest in (tmp_path / "out.csv", tmp_path / "out.h5", tmp_path / "out.flac"):
        r = runner.invoke(app, ["convert", str(src), str(dest)])
        assert r.exit_code == 130, r.output
        assert "interrupted after" in r.stderr and "no output written" in r.stderr
        assert not dest.exists() and not list(tmp_path.glob(".*partial*"))
    r = runner.invoke(app, ["replay", str(src), "--to", "wav", "-o", str(tmp_path / "r.wav")])
    assert r.exit_code == 130 and not (tmp_path / "r.wav").exists()


@pytest.mark.parametrize("block, duration, rate", [(101, 5.0, 2000.0), (64, 0.333, 1000.0), (7, 1.0, 44100.0)])
def test_duration_gives_exactly_duration_times_rate_samples(tmp_path, block, duration, rate):
    """Issue 16: 'capture --duration 5' of a 2 kHz source gave 10,100 samples."""
    from sensekit.core.recording import open_recording

    out = tmp_path / "x.h5"
    r = runner.invoke(app, ["capture", f"synth:noise?channels=2&rate={rate:g}&block_size={block}", "-o", str(out),
                            "--duration", str(duration)])
    assert r.exit_code == 0, r.output
    with open_recording(out) as rec:
        assert rec.n_samples(next(iter(rec.streams))) == round(duration * rate)


@pytest.mark.parametrize("args, message", [
    (["--rate", "1e20"], "rate must be <= 1"),  # it spun for ever generating 1e20 samples a second
    (["--rate", "1e308"], "rate must be <= 1"),  # an OverflowError traceback
    (["--channels", "99999999999999999999"], "channels must be <= 4096"),
])
def test_capture_numbers_beyond_any_sensor_are_one_line(tmp_path, args, message):
    r = runner.invoke(app, ["capture", "synth:sine", "-o", str(tmp_path / "x.h5"), "-d", "0.1", *args])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.output


def test_capture_refuses_a_rate_or_channels_a_source_would_ignore(tmp_path):
    """--rate/--channels set a microphone's or a simulator's; a recording (or a camera, an LSL
    stream) has its own, and the option was silently ignored."""
    from sensekit.core.recording import open_recording

    rec = tmp_path / "r.h5"
    assert runner.invoke(app, ["capture", "synth:sine?duration=0.2", "-o", str(rec), "-q"]).exit_code == 0
    r = runner.invoke(app, ["capture", str(rec), "--rate", "50", "-o", str(tmp_path / "x.h5"), "-q"])
    assert r.exit_code == 2 and "--rate does not apply: r.h5 states its own rate" in r.stderr, r.output
    assert not (tmp_path / "x.h5").exists()
    # several sources: the rate goes to those that take it (a simulator beside a recording)
    both = tmp_path / "both.h5"
    r = runner.invoke(app, ["capture", "synth:sine?duration=0.2", str(rec), "--rate", "50", "-o", str(both), "-q"])
    assert r.exit_code == 0, r.output
    with open_recording(both) as got:
        assert sorted(got.n_samples(name) for name in got.streams) == [10, 200]


@pytest.mark.parametrize("args, message", [
    (["--notch", "inf"], "--notch inf is not a finite number"),  # (--hold inf: an OverflowError traceback before)
    (["--notch", "nan"], "--notch nan is not a finite number"),  # ValueError traceback before
    (["--hold", "1e20"], "--hold"),  # waited for ever
    (["--reps", "99999999999999999999"], "--reps"),  # prompted for ever
    (["--increment-ms", "1e308"], "--increment-ms"),  # OverflowError in numpy's as_strided
])
def test_calibration_numbers_are_finite_and_bounded_before_any_prompt(tmp_path, args, message):
    """Every float option of every command is finite (a wrapper on each command), and the
    session's lengths have a ceiling: checked before the session starts."""
    r = runner.invoke(app, ["calibrate", "emg", "synth:emg", "-o", str(tmp_path / "b.json"), *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, r.output
    assert not (tmp_path / "b.json").exists()


def test_outputs_go_into_new_folders_and_names_are_text(tmp_path):
    """'spatial sweep new/x.wav' and 'convert ... new/x.csv' were tracebacks where 'export' and
    'calibrate' made the folder; a file named with Rich markup ('[/red]') crashed a print."""
    r = runner.invoke(app, ["spatial", "sweep", str(tmp_path / "new" / "deeper" / "x.wav")])
    assert r.exit_code == 0 and (tmp_path / "new" / "deeper" / "x.wav").exists(), r.output
    odd = tmp_path / "take[/red].h5"
    r = runner.invoke(app, ["capture", "synth:sine", "-o", str(odd), "-d", "0.1"])
    assert r.exit_code == 0 and odd.exists() and "[/red]" in r.output, r.output
    r = runner.invoke(app, ["convert", str(odd), str(tmp_path / "csv" / "take.csv")])
    assert r.exit_code == 0 and (tmp_path / "csv" / "take.csv").exists(), r.output
    (tmp_path / "file").write_text("")
    r = runner.invoke(app, ["spatial", "sweep", str(tmp_path / "file" / "x.wav")])
    assert r.exit_code == 2 and "cannot create the folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    # the file system's refusals of a path are one line too (each was a traceback): a name over 255 bytes, to read
    # or to write, and a folder to make where a file is
    long = tmp_path / ("y" * 300 + ".h5")
    gaze = tmp_path / "gaze.csv"
    gaze.write_text("time,x,y\n" + "".join(f"{i / 500},{i % 7 * 0.1},0.5\n" for i in range(600)))
    for args, message in ((["info", str(long)], "File name too long"),
                          (["capture", "synth:sine", "-o", str(long), "-d", "0.1"], "File name too long"),
                          (["eyetrack", "events", str(gaze), "--units", "deg", "-o", str(tmp_path / "file" / "e.csv")],
                           "a part of the path is a file")):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.output)
        assert f"({len(str(long))} characters)" in r.stderr or args[0] == "eyetrack"  # a long path, shortened


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_given_as_a_file_is_one_line_not_a_hang(tmp_path):
    """A JSON file's size was checked with stat() (0 for /dev/zero), then read to the end: a
    hang ('calibrate check', '--scene') or the memory exhausted ('run emg -c')."""
    for args in (["calibrate", "check", "/dev/zero"], ["spatial", "hrtf", "/dev/zero"],
                 ["eyetrack", "events", "/dev/zero", "--units", "deg"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and ("holds more than" in r.stderr or "is not a regular file" in r.stderr), r.output
    (tmp_path / "gaze.csv").mkdir()
    r = runner.invoke(app, ["eyetrack", "events", str(tmp_path / "gaze.csv"), "--units", "deg"])
    assert r.exit_code == 2 and "is a folder, not a file" in r.stderr  # (it said "does not exist")


@pytest.mark.parametrize("source, message", [
    ("synth:emg?snr_db=nan", "snr_db"),  # ValueError traceback in the level meter
    ("synth:emg?mains_amplitude=1e308", "mains_amplitude must be <="),
    ("synth:eye?duration_s=-1", "duration_s must be > 0"),  # numpy's "negative dimensions"
    ("synth:eye?rate=1e308", "rate must be <="),  # OverflowError
    ("synth:selection?trials=99999999999999", "trials must be <="),  # simulated for ever
    ("synth:sine?freq_hz=1e308", "freq_hz must be <="),
    ("synth:sine?amplitude=1e308", "amplitude must be <="),
    ("synth:sine?name=abc", "unknown option 'name' for synth:sine"),  # TypeError: got multiple values for 'name'
])
def test_simulator_options_are_checked_in_one_line(tmp_path, source, message):
    r = runner.invoke(app, ["capture", source, "-o", str(tmp_path / "s.h5"), "-d", "0.2"])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.output


def test_the_level_meter_shows_a_signal_that_is_not_finite():
    from rich.console import Console

    from sensekit.cli.capture import CaptureDisplay
    from sensekit.core.run import RunReport
    from sensekit.core.sources import open_source

    src = open_source("synth:sine?channels=2")
    display = CaptureDisplay(src, Path("x.h5"), 1.0)
    data = np.ones((10, 2))
    data[:, 1] = 1e308  # its power overflows
    display.update(Frame(src.info, data, t0=0.0), None, RunReport())
    console = Console(record=True, width=100)
    console.print(display)
    assert "not finite" in console.export_text()


def test_a_band_flat_on_every_channel_saves_no_calibration(tmp_path):
    """It warned per channel, then saved a chance-level (33 %) calibration."""
    out = tmp_path / "flat.json"
    r = runner.invoke(app, ["calibrate", "emg", "synth:sine?kind=emg&channels=4&rate=1000&duration_s=100&amplitude=0",
                            "--classes", "a,b,c", "--reps", "2", "--hold", "1", "--pause", "0", "--lead", "0",
                            "-o", str(out)])
    assert r.exit_code == 2 and "every channel was flat" in r.stderr and not out.exists(), r.output


def test_an_infinite_duration_is_no_limit():
    """'-d inf' (or 1e308) raised OverflowError in round(duration x rate); it means no limit."""
    from sensekit.core import run
    from sensekit.core.sources import open_source

    for limit in (float("inf"), 1e308):
        report = run(open_source("synth:sine?duration_s=0.5&rate=1000"), max_duration_s=limit)
        assert report.samples_in == 500 and report.stopped_by == "end"
    with pytest.raises(ParameterError, match="NaN"):
        run(open_source("synth:sine?duration_s=0.5"), max_duration_s=float("nan"))


def test_localise_windows_beyond_a_day_are_one_line(tmp_path, noise):
    for option in ("--window", "--every"):
        r = runner.invoke(app, ["spatial", "localise", str(noise), "--array", "headset2", option, "1e308"])
        assert r.exit_code == 2 and "(a day)" in r.stderr and "Traceback" not in r.output, r.output


_STUCK = """
import sys, time
from sensekit.cli._app import stop_on_signals
with stop_on_signals() as stop:
    print("ready", flush=True)
    try:
        while True:  # a block stuck in pure Python (a loop that never checks the stop)
            sum(range(1000))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_the_first_signal_stops_a_stuck_block_within_a_second(sig):
    """Issue 16: the first SIGTERM only set a flag that a stuck block never read (748 s)."""
    import signal as signals
    import subprocess
    import sys
    import time

    proc = subprocess.Popen([sys.executable, "-c", _STUCK], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    start = time.monotonic()
    proc.send_signal(getattr(signals, sig))
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in out
    assert time.monotonic() - start < 5  # a liveness bound, not a speed figure (1 s plus a loaded machine)


def test_info_reports_a_truncated_flac_as_truncated(tmp_path):
    """Issue 16: a truncated FLAC was reported by 'info' as its full length."""
    path = tmp_path / "x.flac"
    sf.write(path, (np.sin(np.arange(96000) / 9)[:, None] * 0.5).astype("float32"), 16000)
    raw = path.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(raw[: len(raw) // 2])
    r = runner.invoke(app, ["info", "--json", str(cut)])
    assert r.exit_code == 0, r.output
    import json

    row = json.loads(r.stdout)["streams"][0]
    assert row["truncated"] is True and 0 < row["samples"] < 96000
    assert "truncated" in r.stderr and "96000" in r.stderr
    r = runner.invoke(app, ["info", str(path)])
    assert r.exit_code == 0 and "can be read" not in r.output and "96,000" in r.output


#: Commands whose number options the sweep below tries, each with arguments that run it on
#: inputs made in the test ({d}: its folder, {o}: a fresh output name).
NUMBER_SWEEP = {
    ("run", "emg"): ["synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=1&seed=3", "-c", "{d}/band.json",
                     "--jsonl"],
    ("run", "eyetrack"): ["synth:gaze?duration=1", "--jsonl"],
    ("run", "spatial-localise"): ["synth:array?duration_s=0.3", "--jsonl"],
    ("capture",): ["synth:noise?channels=2&rate=1000", "-o", "{o}.h5", "--quiet"],
    ("spatial", "render"): ["{d}/voice.wav", "-o", "{o}.wav"],
    ("spatial", "localise"): ["{d}/scene.h5"],
    ("spatial", "encode"): ["{d}/scene.h5", "--array", "respeaker6", "-o", "{o}.wav"],
    ("eyetrack", "events"): ["{d}/gaze.csv", "--units", "deg"],
    ("calibrate", "emg"): ["synth:emg?channels=4&classes=3&rate=200&hold_s=1&duration=inf", "--reps", "1", "--hold",
                           "1", "--pause", "0", "--lead", "0", "-o", "{o}.json"],
    ("calibrate", "array"): ["{d}/scene.h5", "--direction", "0", "-o", "{o}.json"],
    ("export", "emg"): ["-c", "{d}/band.json", "-o", "{o}"],
    ("replay",): ["{d}/scene.h5", "--to", "jsonl"],
}


def _is_number(param) -> bool:
    """Whether a CLI parameter takes a number (click's ``type``, or Typer's own ``bare_type``)."""
    kind = getattr(param, "type", None)
    name = getattr(kind, "name", "") if kind is not None else str(param.bare_type())
    return any(k in name.lower() for k in ("float", "int"))


def test_every_number_option_survives_absurd_values(tmp_path):
    """NaN, infinity, 1e308 and -1 in every number option of the commands above: a one-line
    refusal or a clean run, never a traceback (--chunk 1e308 overflowed once)."""
    import typer

    from sensekit.eyetrack.synth import gaze_signal

    d = tmp_path
    r = runner.invoke(app, ["calibrate", "emg", "synth:emg?channels=4&classes=3&rate=200&hold_s=1&duration=inf&seed=3",
                            "--classes", "rest,a,b", "--reps", "2", "--hold", "1", "--pause", "0", "--lead", "0",
                            "-o", str(d / "band.json")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["capture", "synth:array?sources=1&duration_s=0.5&seed=4", "--array", "respeaker6", "-o",
                            str(d / "scene.h5"), "--quiet"])
    assert r.exit_code == 0, r.output
    sf.write(str(d / "voice.wav"), np.random.default_rng(0).normal(0, 0.1, (8000, 2)), 16000)
    x, y, _ = gaze_signal(duration_s=2.0, rate=500.0)
    np.savetxt(d / "gaze.csv", np.column_stack([np.arange(len(x)) / 500.0, x, y]), delimiter=",", header="time,x,y",
               comments="")
    root = typer.main.get_command(app)
    runs, problems = 0, []
    for path, base in NUMBER_SWEEP.items():
        command = root
        for name in path:
            command = command.commands[name]
        numbers = [p for p in command.params if getattr(p, "opts", None) and p.opts[0].startswith("--")
                   and _is_number(p)]
        assert numbers or path == ("replay",), path
        for option in numbers:
            for value in ("nan", "inf", "1e308", "-1"):
                runs += 1
                args = [*path, *(a.format(d=d, o=d / f"out{runs}") for a in base), option.opts[0], value]
                r = runner.invoke(app, args)
                if r.exception is not None and not isinstance(r.exception, SystemExit):
                    problems.append(f"{' '.join(args)}: {type(r.exception).__name__}: {r.exception}")
                elif r.exit_code not in (0, 2):
                    problems.append(f"{' '.join(args)}: exit {r.exit_code}: {r.stderr[-200:]}")
    assert runs > 150 and not problems, "\n".join(problems)


def test_a_sofa_file_stating_gigabytes_is_refused_before_it_is_read(tmp_path, noise):
    """An 8 kB SOFA file of compressed zeros stated 4 GB of responses: reading it allocated them,
    and the analysis's padded spectra ran out of memory with a traceback. Its stated size is now
    checked first; and any out-of-memory error is one line."""
    import h5py

    bomb = tmp_path / "bomb.sofa"
    with h5py.File(bomb, "w") as f:
        f.attrs["Conventions"], f.attrs["SOFAConventions"] = "SOFA", "SimpleFreeFieldHRIR"
        f.create_dataset("Data.IR", shape=(100_000, 2, 10_000), dtype="f8", chunks=(1000, 2, 1000),
                         compression="gzip", fillvalue=0.0)
        f.create_dataset("Data.SamplingRate", data=np.array([48000.0]))
    assert bomb.stat().st_size < 100_000
    for args in (["spatial", "hrtf", str(bomb)],
                 ["spatial", "render", str(noise), "--hrtf", str(bomb), "-o", str(tmp_path / "o.wav")]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "states Data.IR 100000 x 2 x 10000" in r.stderr, r.output
        assert "Traceback" not in r.output


def test_out_of_memory_is_one_line(tmp_path, monkeypatch):
    import sensekit.core.recording as recording

    def huge(*args, **kwargs):
        raise MemoryError("Unable to allocate 59.6 GiB for an array with shape (25000, 2, 80001)")

    monkeypatch.setattr(recording, "open_recording", huge)
    (tmp_path / "x.h5").write_bytes(b"")
    r = runner.invoke(app, ["info", str(tmp_path / "x.h5")])
    assert r.exit_code == 1 and r.stderr.startswith("error: not enough memory: Unable to allocate 59.6 GiB"), r.output


def test_an_audio_file_past_full_scale_is_said_with_its_peak(tmp_path, caplog):
    """'convert emg.h5 emg.wav' wrote microvolts up to 4.7 into a float WAV, silently: a player
    clips them at full scale. The values are kept (a float file is a lossless container), and
    closing the file warns with its peak, under the output's own name; in PCM they are clipped."""
    info = StreamInfo("emg", "emg", 2000.0, (2,))
    x = np.random.default_rng(0).normal(0, 1.5, (4000, 2))
    for name, subtype, said in (("loud.wav", None, "kept in the float file, a player clips them"),
                                ("loud16.wav", "PCM_16", "clipped in PCM_16")):
        caplog.clear()
        with caplog.at_level("WARNING", logger="sensekit"):
            sink = AudioFileSink(tmp_path / f".{name[:-4]}.partial.wav", subtype=subtype)
            sink.open(info)
            sink.write(Frame(info, x, t0=0.0))
            sink.close()
        peak = np.abs(x).max()
        assert f"{name}: samples reach {peak:.3g}, beyond an audio file's full scale of 1 ({said})" in caplog.text
    kept, _ = sf.read(tmp_path / ".loud.partial.wav")
    np.testing.assert_allclose(kept, x, rtol=1e-6)
    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"):
        sink = AudioFileSink(tmp_path / "quiet.wav")
        sink.open(info)
        sink.write(Frame(info, x / 10, t0=0.0))
        sink.close()
    assert caplog.text == ""


def test_a_plot_path_is_checked_before_the_work_and_its_folder_made(tmp_path, noise):
    """--plot into a missing folder had been a traceback after the work, a folder given as the
    plot had been written as FOLDER.png beside it, and spatial/eyetrack took any suffix."""
    mics = tmp_path / "mics.wav"
    sf.write(mics, np.random.default_rng(1).normal(0, 0.1, (16000, 4)), 16000)
    gaze = tmp_path / "gaze.csv"
    gaze.write_text("time,x,y\n" + "".join(f"{i / 500:.4f},{np.sin(i / 40):.4f},0.0\n" for i in range(1000)))
    (tmp_path / "folder.png").mkdir()
    commands = {"spatial localise": ["spatial", "localise", str(mics), "--array", "respeaker4"],
                "eyetrack events": ["eyetrack", "events", str(gaze), "--units", "deg"],
                "spatial hrtf": ["spatial", "hrtf", "sphere"]}
    for name, args in commands.items():
        made = tmp_path / "new" / name.replace(" ", "_") / "plot.png"
        r = runner.invoke(app, [*args, "--plot", str(made)])
        assert r.exit_code == 0 and made.stat().st_size > 1000, (name, r.output)
        for plot, message in ((tmp_path / "folder.png", "is a folder; fix: name a .png file in it"),
                              (tmp_path / "plot.jpg", "--plot writes a PNG image: name it *.png, not 'plot.jpg'"),
                              (noise / "plot.png", "a part of the path is a file, not a folder")):
            r = runner.invoke(app, [*args, "--plot", str(plot)])
            assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (name, r.output)
            assert r.stdout == "", (name, r.stdout)  # (refused before any work)


def test_an_output_that_is_a_folder_or_in_a_missing_folder(tmp_path):
    """-o naming a folder had been refused naming the temporary '.NAME.partial' beside it, and
    'spatial arrays --save' into a missing folder was a traceback."""
    mics = tmp_path / "mics.wav"
    sf.write(mics, np.random.default_rng(1).normal(0, 0.1, (16000, 4)), 16000)
    r = runner.invoke(app, ["spatial", "localise", str(mics), "--array", "respeaker4", "-o", str(tmp_path)])
    assert r.exit_code == 2 and f"'{tmp_path}' is a folder; fix: name a file" in r.stderr, r.output
    r = runner.invoke(app, ["calibrate", "emg", "synth:emg", "--classes", "rest,fist", "-o", str(tmp_path), "--overwrite"])
    assert r.exit_code == 2 and f"'{tmp_path}' is a folder" in r.stderr and "rest" not in r.stdout, r.output  # (no session)
    saved = tmp_path / "new" / "geometry.json"
    r = runner.invoke(app, ["spatial", "arrays", "--save", "respeaker4", "-o", str(saved)])
    assert r.exit_code == 0 and '"respeaker4"' in saved.read_text(), r.output


@pytest.mark.parametrize("number", ["1" + "0" * 400, "-" + "9" * 309, "1e400", "-2E999"])
def test_json_numbers_no_float_holds_are_one_line(tmp_path, number):
    """A whole number of 400 digits in a scene file crashed the render with an OverflowError (its
    conversion to floats); 1e400 read as infinity. Every untrusted JSON file goes through
    read_json, which now refuses both by name: a scene, a target layout."""
    sf.write(str(tmp_path / "m.wav"), np.random.default_rng(0).normal(0, 0.1, 8000), 16000)
    (tmp_path / "scene.json").write_text('{"sources": [{"keyframes": [[0, ' + number + ', 0, 1]]}]}')
    (tmp_path / "layout.json").write_text('{"units": "deg", "targets": [{"name": "a", "x": ' + number + ', "y": 0, '
                                          '"radius": 1}, {"name": "b", "x": 5, "y": 0, "radius": 1}]}')
    for args in (["spatial", "render", str(tmp_path / "m.wav"), "--scene", str(tmp_path / "scene.json"), "-o",
                  str(tmp_path / "o.wav")],
                 ["run", "select", "--gaze", "synth:selection?stream=gaze", "--dwell", "0.5", "--targets",
                  str(tmp_path / "layout.json"), "--duration", "1"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "beyond any float" in r.output and "Traceback" not in r.output, (args, r.output)
    assert not (tmp_path / "o.wav").exists()


@pytest.mark.parametrize("meta, command, message", [
    ({"gaze_units": "px", "screen": "abc"}, ["eyetrack", "events"], "the stream's screen geometry is str 'abc'"),
    ({"gaze_units": "px", "screen": [1, 2]}, ["run", "eyetrack", "--online"], "geometry is tuple"),
    ({"gaze_units": "px", "screen": {"width_mm": "x", "height_mm": 300, "width_px": 1920, "height_px": 1080,
                                     "distance_mm": 600}}, ["eyetrack", "events"], "width_mm must be a positive number"),
    ({"gaze_units": "px", "screen": {"width_mm": [1], "height_mm": 300, "width_px": 1920, "height_px": 1080,
                                     "distance_mm": 600}}, ["eyetrack", "events"], "width_mm must be a positive number"),
    ({"gaze_units": "px", "screen": {"width_mm": 10**400, "height_mm": 300, "width_px": 1920, "height_px": 1080,
                                     "distance_mm": 600}}, ["eyetrack", "events"], "width_mm must be a positive number"),
    ({"classes": 5}, ["select"], "the decisions' class names are '5', not a list of names"),
    ({"classes": None}, ["select"], "the decisions' class names are 'None'"),
    ({"classes": "pinch"}, ["select"], "the decisions' class names are 'pinch'"),
])
def test_a_streams_meta_from_a_file_or_the_network_is_untrusted(tmp_path, meta, command, message):
    """A stream's meta comes from a recording's JSON (and now also from another machine's LSL
    outlet): a screen of the wrong type had crashed the gaze chain ('string indices must be
    integers'), and class names that were a number had crashed 'run select' (a traceback); a
    string of them had been read letter by letter."""
    from sensekit.core.recording import RecordingWriter

    rec = tmp_path / "s.h5"
    if "classes" in meta:
        info, data = StreamInfo("dec", "label", 20.0, (3,), meta=meta), np.zeros((100, 3))
    else:
        info, data = StreamInfo("g", "gaze", 100.0, (2,), meta=meta), np.random.default_rng(0).normal(size=(300, 2))
    with RecordingWriter(rec) as w:
        w.add_stream(info).append(Frame(info, data, t0=0.0))
    if command == ["select"]:
        gaze = StreamInfo("gaze", "gaze", 90.0, (2,), meta={"gaze_units": "deg"})
        with RecordingWriter(tmp_path / "g.h5") as w:
            w.add_stream(gaze).append(Frame(gaze, np.zeros((90, 2)), t0=0.0))
        layout = tmp_path / "layout.json"
        layout.write_text('{"units": "deg", "targets": [{"name": "a", "x": 0, "y": 0, "radius": 1}]}')
        args = ["run", "select", "--gaze", str(tmp_path / "g.h5"), "--pinch", str(rec), "--targets", str(layout)]
    else:
        args = [*command[:2], str(rec), *command[2:]]
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, r.output


@pytest.mark.parametrize("value", ["x", [1920], [0, 1080], [float("inf"), 1080], [True, 1080], 5])
def test_a_stated_image_size_is_two_sizes_in_pixels(value):
    """meta["image_size"] sets the unit of fingertip trajectories and the eye camera a gaze
    calibration checks: 'x' had been a traceback in the calibration's check (int('x')), and an
    infinite width had made every trajectory zero without a word."""
    from sensekit.core.checks import stated_image_size
    from sensekit.gesture.dynamic import fingertip_unit

    info = StreamInfo("hands", "landmarks", 30.0, (1, 22, 6), meta={"image_size": value})
    with pytest.raises(StreamFormatError, match="states an image size of"):
        stated_image_size(info, "a reader")
    with pytest.raises(StreamFormatError, match="states an image size of"):
        fingertip_unit(info, "DynamicGestures")
    assert stated_image_size(info.replace(meta={"image_size": [640, 480]}), "a reader") == (640.0, 480.0)


@pytest.mark.parametrize("value", ["x", [1], 0, -1.0, float("nan"), True, 10**400])
def test_a_microphone_streams_stated_full_scale_is_a_positive_number(tmp_path, value):
    """A recording's meta full_scale sets the microphones' clipping check: 'x' had been a
    traceback (float('x')), 0 had been taken for none."""
    from sensekit.core.recording import RecordingWriter

    info = StreamInfo("mics", "audio", 16000.0, (4,), dtype="float32", meta={"full_scale": value})
    with RecordingWriter(tmp_path / "m.h5") as w:
        w.add_stream(info).append(Frame(info, np.zeros((1600, 4), "float32"), t0=0.0))
    r = runner.invoke(app, ["run", "spatial-localise", str(tmp_path / "m.h5"), "--array", "respeaker4", "--jsonl"])
    assert r.exit_code == 2 and "states a full scale of" in r.stderr and "Traceback" not in r.output, r.output
