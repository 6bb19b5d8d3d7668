import json

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.core.recording import open_recording
from sensekit.errors import SensekitError

runner = CliRunner()


@pytest.fixture
def rec(tmp_path):
    path = tmp_path / "rec.h5"
    r = runner.invoke(app, ["capture", "synth:sine?channels=3&rate=500&duration=2", "-o", str(path), "--quiet"])
    assert r.exit_code == 0, r.output
    assert "recorded 1,000 samples" in r.stdout
    return path


def test_info_json(rec):
    r = runner.invoke(app, ["info", str(rec), "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    (s,) = doc["streams"]
    assert s["samples"] == 1000 and s["rate_hz"] == 500 and s["duration_s"] == pytest.approx(2.0)
    assert s["gaps"] == 0 and s["dropped_blocks"] == 0


def test_convert_roundtrip_through_csv_and_wav(rec, tmp_path):
    for target in ("x.csv", "x.flac"):
        r = runner.invoke(app, ["convert", str(rec), str(tmp_path / target)])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["convert", str(tmp_path / "x.csv"), str(tmp_path / "back.h5")])
    assert r.exit_code == 0, r.output
    with open_recording(rec) as a, open_recording(tmp_path / "back.h5") as b, open_recording(tmp_path / "x.flac") as c:
        np.testing.assert_array_equal(a.read().data, b.read().data)
        assert b.info().rate == pytest.approx(500.0)
        np.testing.assert_allclose(c.read().data, a.read().data, atol=2**-22)
    r = runner.invoke(app, ["convert", str(rec), str(tmp_path / "x.csv")])
    assert r.exit_code == 2 and "already exists" in r.stderr
    assert not list(tmp_path.glob(".*partial*"))


def test_replay_to_jsonl_and_wav(rec, tmp_path):
    r = runner.invoke(app, ["replay", str(rec), "--to", "jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert lines[0]["stream_info"]["rate"] == 500 and len(lines) == 1001
    assert lines[1]["t"] == 0.0 and lines[2]["t"] == pytest.approx(0.002) and len(lines[1]["data"]) == 3
    r = runner.invoke(app, ["replay", str(rec), "--to", "wav", "-o", str(tmp_path / "out.wav")])
    assert r.exit_code == 0 and (tmp_path / "out.wav").exists()
    r = runner.invoke(app, ["replay", str(rec), "--to", "wav"])
    assert r.exit_code == 2 and "needs an output file" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["info", "missing.h5"], "does not exist"),
    (["capture", "bogus:1", "-o", "x.h5"], "unknown source type 'bogus'"),
    (["capture", "synth:triangle", "-o", "x.h5"], "unknown simulator 'synth:triangle'"),
    (["capture", "synth:sine?colour=red", "-o", "x.h5"], "unknown option 'colour' for synth:sine; fix: its options "
                                                          "are rate, channels, block_size, duration, freq_hz"),
    (["capture", "synth:emg?shift=0.5", "-o", "x.h5"], "options are channels, classes, rate, snr_db, mains_amplitude, "
                                                       "electrode_shift"),
    (["capture", "synth:sine", "-o", "x.wav"], "capture writes sensekit HDF5"),
    # a live source where a recording is read: the recording of it is what to give
    (["info", "mic:2"], "'mic:2' is a live source and this command reads a recording: record it first"),
    (["spatial", "localise", "synth:array"], "record it first (sensekit capture \"synth:array\" -o take.h5)"),
    (["eyetrack", "events", "lsl:type=Gaze"], "'lsl:type=Gaze' is a live source"),
])
def test_user_mistakes_give_one_line_and_exit_2(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.h5").exists()


def test_unknown_option_is_a_usage_error():
    r = runner.invoke(app, ["info", "--colour"])
    assert r.exit_code == 2 and "No such option" in r.output


def test_debug_flag_shows_the_exception():
    r = runner.invoke(app, ["--debug", "info", "missing.h5"])
    assert r.exit_code != 0 and isinstance(r.exception, SensekitError)


def test_demo_runs(tmp_path):
    r = runner.invoke(app, ["demo", "--seconds", "2", "--keep", str(tmp_path / "w.h5")])
    assert r.exit_code == 0, r.output
    with open_recording(tmp_path / "w.h5") as w:
        assert w.info().shape == (400, 8) and w.n_samples(w.stream_name(None)) == 37


def test_help_imports_nothing_heavy():
    """Issue 15: 'sensekit --help' and usage errors answer at once: the command line imports
    numpy, scipy, h5py, pydantic and the chains only when a command runs."""
    import subprocess
    import sys

    code = ("import sys, sensekit.cli; heavy = [m for m in ('numpy', 'scipy', 'h5py', 'pydantic', 'sensekit.core', "
            "'sensekit.emg', 'sensekit.bench') if m in sys.modules]; print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_help_text_flows_at_any_terminal_width():
    """A command's help is its docstring's paragraphs, each one line for the terminal to wrap:
    Typer's rich mode kept every source line break ('to LSL and/or' / 'JSON lines.')."""
    import typer

    def commands(group, path=()):
        ctx = typer.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            if hasattr(cmd, "list_commands"):  # a group (Typer has its own copy of click)
                yield from commands(cmd, (*path, name))
            else:
                yield " ".join((*path, name)), cmd

    found = dict(commands(typer.main.get_command(app)))
    assert len(found) > 25
    for name, cmd in found.items():
        assert cmd.help and all("\n" not in p for p in cmd.help.split("\n\n")), name
    r = runner.invoke(app, ["run", "--help"], terminal_width=80)
    assert "fixation/saccade/PSO/pursuit/blink label" in r.output
    from sensekit.cli._app import SensekitCommand

    assert all(isinstance(cmd, SensekitCommand) for cmd in found.values())


def test_options_help_is_readable_on_an_80_column_terminal(monkeypatch):
    """At 80 columns a Rich options panel left about 20 columns for the help text, a word or two a
    line ('calibrate gesture --help' ran to 180 lines): narrower than 100 columns, or piped, a
    command's options take click's plain layout; command lists stay panels."""
    phrase = "Open-set strictness: a pose farther than"
    monkeypatch.setenv("COLUMNS", "80")
    r = runner.invoke(app, ["calibrate", "gesture", "--help"])
    assert r.exit_code == 0 and phrase in r.output and "╭" not in r.output, r.output
    assert len(r.output.splitlines()) < 90
    assert "╭─ Commands" in runner.invoke(app, ["calibrate", "--help"]).output
    monkeypatch.setenv("COLUMNS", "140")
    r = runner.invoke(app, ["calibrate", "gesture", "--help"])
    assert r.exit_code == 0 and "╭─ Options" in r.output and phrase in r.output, r.output


def test_convert_and_replay_take_one_stream_as_file_hash_stream(tmp_path):
    """'FILE#STREAM' names one stream wherever a source goes; convert and replay read it too
    (it was 'unknown file type .h5#selection-gaze')."""
    session = tmp_path / "two.h5"
    r = runner.invoke(app, ["capture", "synth:sine?rate=100&duration=1", "synth:noise?rate=50&duration=1&channels=2",
                            "-o", str(session)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["convert", f"{session}#synth-noise", str(tmp_path / "noise.csv")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "noise.csv").read_text().splitlines()[0] == "time,ch0,ch1"
    r = runner.invoke(app, ["replay", f"{session}#synth-sine", "--to", "jsonl"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["stream_info"]["name"] == "synth-sine"
    r = runner.invoke(app, ["convert", f"{session}#synth-sine", str(tmp_path / "x.csv"), "--stream", "synth-noise"])
    assert r.exit_code == 2 and "give one" in r.stderr


def test_errors_name_the_python_api_only_to_python(tmp_path):
    """'(in Python: stream=NAME)' and 'screen=Screen(...)' had reached the command line's error
    lines: an error meant for both says its API fix in the exception, not in the CLI's line."""
    from sensekit.errors import DatasetError
    from sensekit.eyetrack.datasets import _to_deg

    e = DatasetError("no screen", "give --screen", python_fix="screen=Screen(...)")
    assert str(e) == "no screen; fix: give --screen (in Python: screen=Screen(...))"
    assert e.command_line_message == "no screen; fix: give --screen"
    assert DatasetError("a", python_fix="b").command_line_message == "a"
    with pytest.raises(DatasetError, match=r"in Python: screen=Screen"):
        _to_deg(np.zeros(2), np.zeros(2), None, "px")
    unlabelled = tmp_path / "band.csv"
    unlabelled.write_text("time,ch0,ch1\n0,1,2\n0.005,2,1\n")
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(unlabelled), "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 2 and "has no label column" in r.stderr and "Python" not in r.stderr, r.stderr
    unlabelled.write_text("time,ch0,ch1\n")  # a header only: refused as empty before anything else
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(unlabelled), "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 2 and "holds no samples" in r.stderr and "Python" not in r.stderr, r.stderr
    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter

    mic = StreamInfo("mic", "audio", 100.0, (2,))  # a session of no EMG: its fix names stream=NAME in Python only
    with RecordingWriter(tmp_path / "mic.h5") as w:
        w.add_stream(mic).append(Frame(mic, np.zeros((200, 2)), t0=0.0))
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(tmp_path / "mic.h5"), "-o", str(tmp_path / "b.json")])
    assert r.exit_code == 2 and "has no emg/exg stream" in r.stderr and "Python" not in r.stderr, r.stderr
