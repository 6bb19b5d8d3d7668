"""The EMG chain from the command line: guided calibration on a simulated band, live decoding."""

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.emg.datasets import load_recording_trials
from sensekit.emg.pipeline import EMGPipeline

runner = CliRunner()
SRC = "synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=inf&seed=3"


def test_calibrate_then_run(tmp_path):
    cal, session = tmp_path / "cal.json", tmp_path / "session.h5"
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "3", "--hold", "2",
                            "--pause", "0", "--lead", "0", "--trim", "0.3", "-o", str(cal), "--record", str(session),
                            "--plot", str(tmp_path / "cal.png")])
    assert r.exit_code == 0, r.output
    assert "leave-one-repetition-out accuracy" in r.stdout
    assert (tmp_path / "cal.png").read_bytes()[:4] == b"\x89PNG"
    cv = float(r.stdout.split("accuracy: ")[1].split("%")[0])
    assert cv > 90
    doc = json.loads(cal.read_text())
    assert doc["chain"] == "emg" and doc["stream"]["shape"] == [4] and doc["params"]["learned"]["classes"] == ["rest", "a", "b"]
    # the recorded session re-trains to the same calibration
    trials = load_recording_trials(session)
    assert trials.classes == ("rest", "a", "b") and len(trials) == 9
    again = EMGPipeline.load(cal)
    assert np.allclose(EMGPipeline(**{**again.config(), "bandpass_hz": None}).fit(trials).learned_["mean"],
                       again.learned_["mean"])
    # live decoding: the simulator cycles rest, a, b every 2 s
    r = runner.invoke(app, ["run", "emg", "synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=12&seed=3",
                            "-c", str(cal), "--jsonl"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines()[1:]]
    t = np.array([row["t"] for row in rows])
    labels = np.array([row["data"][0] for row in rows])
    truth = (np.floor((t - 0.1) / 2.0).astype(int)) % 3  # the window centre's class
    settled = np.abs(((t - 0.1) % 2.0) - 1.0) < 0.8  # away from the class changes
    assert np.mean(labels[settled] == truth[settled]) > 0.9
    # the recorded session (the band beside its label stream) replays through 'run emg' and
    # 'export emg --golden-from' as its band's stream: the label stream, first by name, had been
    # read and refused as 'made for another stream format ... calibrate again'
    r = runner.invoke(app, ["run", "emg", str(session), "-c", str(cal), "--jsonl"])
    named = runner.invoke(app, ["run", "emg", f"{session}#synth-emg", "-c", str(cal), "--jsonl"])
    assert r.exit_code == 0 and named.exit_code == 0, r.output
    assert r.stdout == named.stdout and len(r.stdout.splitlines()) > 100
    r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "fw"), "--golden", "2",
                            "--golden-from", str(session)])
    assert r.exit_code == 0, r.output


def test_calibrate_from_a_recorded_session(tmp_path):
    """'calibrate emg --from S.h5' fits from a session recorded with --record: the same
    calibration as the live session with the same recipe, another recipe on the same trials,
    a top-up from a recorded session; damaged or wrong sessions and session options are one line."""
    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter

    live, session = tmp_path / "live.json", tmp_path / "s.h5"
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "3", "--hold", "2", "--pause",
                            "0", "--lead", "0", "--trim", "0.3", "-o", str(live), "--record", str(session)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(session), "-o", str(tmp_path / "again.json")])
    assert r.exit_code == 0, r.output
    assert json.loads(live.read_text())["params"] == json.loads((tmp_path / "again.json").read_text())["params"]
    assert "leave-one-repetition-out accuracy: 100.0%" in r.stdout
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(session), "--window-ms", "300", "--decoder", "svm",
                            "-o", str(tmp_path / "svm.json")])
    assert r.exit_code == 0 and "HTD+LOGVAR, svm" in r.stdout, r.output
    assert EMGPipeline.load(tmp_path / "svm.json").window_ms == 300
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(session), "--top-up", str(live), "-o",
                            str(tmp_path / "up.json")])
    assert r.exit_code == 0 and "by the updated one" in r.stdout, r.output
    # a channel that died in the recording is named once, with its trials
    data = np.random.default_rng(0).normal(size=(2000, 4))
    data[:, 2] = 0.0
    emg = StreamInfo("band", "emg", 200.0, (4,))
    labels = StreamInfo("label", "label", 0.0, (1,), channels=("class",), dtype="int32", meta={"classes": ["rest", "a"]})
    with RecordingWriter(tmp_path / "dead.h5") as w:
        w.add_stream(emg).append(Frame(emg, data, t0=0.0))
        w.add_stream(labels).append(Frame(labels, np.array([[0], [1], [0], [1]], dtype=np.int32),
                                          times=np.array([0.0, 2.5, 5.0, 7.5])))
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(tmp_path / "dead.h5"), "-o", str(tmp_path / "d.json")])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("channel 'ch2' flat") == 1 and "in 4 of 4 trials (rest 1, a 1, rest 2, a 2)" in r.stderr
    for args, message in (
            (["--from", str(session), "--reps", "2"], "--reps does not apply with --from"),
            ([], "give an EMG source"),
            ([SRC, "--from", str(session)], "one of the two"),
            (["--from", str(tmp_path / "nope.h5")], "does not exist"),
            (["--from", str(tmp_path / "d.json")], "d.json"),
            (["--from", str(tmp_path / "dead.h5"), "--top-up", str(live)], "holds the classes rest, a; the calibration"),
    ):
        r = runner.invoke(app, ["calibrate", "emg", *args, "-o", str(tmp_path / "x.json")])
        assert r.exit_code == 2 and message in r.stderr and r.stderr.count("error:") == 1, (args, r.output)
        assert not (tmp_path / "x.json").exists()


def test_calibrate_emg_defaults_are_the_pipelines():
    """A calibration made without options is EMGPipeline() (the recipe the bench scores as
    'calibrate emg's defaults')."""
    import dataclasses

    import typer

    command = typer.main.get_command(app).commands["calibrate"].commands["emg"]
    given = {p.name: p.default for p in command.params}
    fields = {f.name: f.default for f in dataclasses.fields(EMGPipeline)}
    for name in ("window_ms", "increment_ms", "features", "decoder"):
        assert given[name] == fields[name], name


def test_run_refuses_a_calibration_for_another_band(tmp_path):
    cal = tmp_path / "cal.json"
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "1", "--hold", "2",
                            "--pause", "0", "--lead", "0", "-o", str(cal)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["run", "emg", "synth:emg?channels=8&classes=3&rate=200", "-c", str(cal)])
    assert r.exit_code == 2 and "shape: expected [4], got [8]" in r.stderr
    r = runner.invoke(app, ["run", "emg", SRC, "-c", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "does not exist" in r.stderr
    # --latency says where the time went and changes nothing published
    once = "synth:emg?channels=4&classes=3&rate=200&hold_s=2&duration=2&seed=3"
    plain = runner.invoke(app, ["run", "emg", once, "-c", str(cal), "--jsonl"])
    timed = runner.invoke(app, ["run", "emg", once, "-c", str(cal), "--jsonl", "--latency"])
    assert plain.exit_code == timed.exit_code == 0 and plain.stdout == timed.stdout and plain.stdout
    assert "processing and publishing p50" in timed.stderr and "EMGDecoder: p50" in timed.stderr
    assert "no capture latency" in timed.stderr
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "at least 2 classes" in r.stderr
    # a class named twice had been two classes of one name, prompted twice, told apart by nothing
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,fist,Fist", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and "--classes names 'fist' and 'Fist'" in r.stderr and not (tmp_path / "x.json").exists()
    from sensekit.emg.calibrate import Protocol
    from sensekit.errors import ParameterError

    with pytest.raises(ParameterError, match="name one class twice"):
        Protocol(classes=("rest", "fist", "fist"))


def _csv_of(path, x, rate, t0=0.0, jitter=0.0, seed=0):
    """A CSV as other tools write it: time in seconds (with clock jitter), one column per channel."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(len(x)) / rate + rng.uniform(-jitter, jitter, len(x))
    header = "time," + ",".join(f"ch{i}" for i in range(x.shape[1]))
    np.savetxt(path, np.column_stack([t, x]), delimiter=",", header=header, comments="", fmt="%.9f")
    return path


def test_a_calibration_from_the_simulator_runs_on_csvs_of_the_same_band(tmp_path):
    """Issue 15: a CSV carries no kind and its rate is estimated from timestamps; a calibration of
    the same band (4 channels, 200 Hz) runs on it, and on a CSV whose estimated rate differs
    from the first in the 8th digit; --kind states the kind."""
    cal = tmp_path / "cal.json"
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "1", "--hold", "2",
                            "--pause", "0", "--lead", "0", "-o", str(cal)])
    assert r.exit_code == 0, r.output
    x = np.random.default_rng(1).normal(size=(1200, 4))
    for i, (t0, jitter) in enumerate(((0.0, 0.0), (1234.56789, 2e-5))):
        csv = _csv_of(tmp_path / f"band{i}.csv", x, 200.0, t0=t0, jitter=jitter)
        for extra in ([], ["--kind", "emg"]):
            r = runner.invoke(app, ["run", "emg", str(csv), "-c", str(cal), "--jsonl", *extra])
            assert r.exit_code == 0, r.output
            assert len(r.stdout.splitlines()) > 100
    # another kind stated is refused, naming it
    r = runner.invoke(app, ["run", "emg", str(tmp_path / "band0.csv"), "-c", str(cal), "--kind", "eeg"])
    assert r.exit_code == 2 and "kind: expected 'emg', got 'eeg'" in r.stderr
    # a calibration made from a CSV runs on another CSV of the same device
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=500.0, seed=4)
    trials = sim.trials(reps=2, duration_s=2.0)
    pipe = EMGPipeline().fit(trials)
    info500 = _csv_info(_csv_of(tmp_path / "a.csv", trials.trials[0].data, 500.0000000000551))
    pipe.info_ = info500
    pipe.save(tmp_path / "cal500.json")
    other = _csv_of(tmp_path / "b.csv", trials.trials[1].data, 500.00000001182343, t0=99.5)
    r = runner.invoke(app, ["run", "emg", str(other), "-c", str(tmp_path / "cal500.json"), "--jsonl"])
    assert r.exit_code == 0, r.output


def _csv_info(path):
    from sensekit.core.recording import open_recording

    with open_recording(path) as rec:
        return next(iter(rec.streams.values()))


def test_cli_run_equals_the_pipeline_and_the_bench_path(tmp_path):
    """Issue 15: 'run emg' on a recording gives what EMGPipeline's chain gives fed in blocks,
    and what the bench's decide() gives on the same trial (label, confidence, velocity)."""
    from sensekit.core import Frame, run
    from sensekit.core.sinks import HDF5Sink
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=500.0, seed=9)
    pipe = EMGPipeline(features="HTD+LOGVAR", bandpass_hz=(20, 240), notch_hz=50, vote=3).fit(
        sim.trials(reps=2, duration_s=2.0))
    cal = pipe.save(tmp_path / "cal.json")
    trials = sim.trials(reps=1, duration_s=3.0, session=2)
    trial = trials.trials[1]
    frame = Frame(trials.info, np.asarray(trial.data, dtype=trials.info.dtype), t0=0.0)
    rec = tmp_path / "trial.h5"
    run(iter([frame]), None, HDF5Sink(rec), info=trials.info)
    r = runner.invoke(app, ["run", "emg", str(rec), "-c", str(cal), "--jsonl"])
    assert r.exit_code == 0, r.output
    cli = np.array([json.loads(line)["data"] for line in r.stdout.splitlines() if line.startswith("{\"stream\":")])
    _, bench, _ = pipe.decide(trials.select(rep=trial.rep, label=trial.label))
    chain = EMGPipeline.load(cal).chain(trials.info)
    chain.open(trials.info)
    from sensekit.testing import feed, split_frames

    piped = feed(chain, split_frames(trials.info, frame.data, [37, 400, 401, 977])).data
    assert len(cli) > 20
    np.testing.assert_array_equal(cli, piped)
    np.testing.assert_array_equal(piped, bench)


def test_trials_are_checked_as_they_are_recorded(tmp_path):
    """Issue 19: a NaN channel was reported only after the whole session (naming a
    cross-validation fold), a flat channel warned 7 times, and an empty recording reached the
    chain as numpy warnings."""
    from sensekit.core import Frame, StreamInfo, run
    from sensekit.core.sinks import HDF5Sink
    from sensekit.emg.calibrate import trial_problems
    from sensekit.emg.synth import EMGSimulator

    rate = 500.0
    t = np.arange(1000) / rate
    good = np.random.default_rng(0).normal(size=1000)
    x = np.column_stack([good, np.zeros(1000), np.sin(2 * np.pi * 50 * t) * 5 + 0.1 * good,
                         np.clip(good * 3, -1, 1), np.where(t > 1, np.nan, good)])
    found = dict(trial_problems(x, rate, ["ok", "flat", "hum", "clip", "nan"]))
    assert set(found) == {"flat", "hum", "clip", "nan"}
    assert "flat" in found["flat"] and "50 Hz" in found["hum"] and "clipped" in found["clip"] and "NaN" in found["nan"]
    # a short trial's single largest sample is more than 1 % of it, but no clipping; three at the rail are
    assert trial_problems(x[:37, :1], rate, ["ok"]) == []
    assert dict(trial_problems(np.r_[x[:100, :1], [[1e300]]], rate, ["huge"]))["huge"].kind == "nonfinite"
    assert dict(trial_problems(np.clip(x[:37, :1] * 3, -2, 2), rate, ["clip"]))["clip"].kind == "clipped"
    # a session recorded with a dead electrode: one warning for it, naming the trial, during the session
    sim = EMGSimulator(4, 3, rate=rate, seed=1)
    trials = sim.trials(reps=2, duration_s=2.0)
    data = np.concatenate([tr.data for tr in trials.trials]).astype("float32")
    data[:, 2] = 0.0
    info = StreamInfo("band", "emg", rate, (4,), dtype="float32")
    rec = tmp_path / "session.h5"
    run(iter([Frame(info, data, t0=0.0)]), None, HDF5Sink(rec), info=info)
    r = runner.invoke(app, ["calibrate", "emg", str(rec), "--classes", "rest,a,b", "--reps", "2", "--hold", "2",
                            "--pause", "0", "--lead", "0", "-o", str(tmp_path / "cal.json")])
    assert r.stderr.count("flat (a disconnected electrode?)") == 1, r.stderr
    assert "rest (repetition 1): channel 'ch2'" in r.stderr
    # the calibration figure shows the dead electrode: a flat column in every class
    import dataclasses

    from sensekit.emg.plot import class_patterns

    dead = tuple(dataclasses.replace(t, data=np.where(np.arange(4) == 2, 0.0, t.data)) for t in trials.trials)
    patterns = class_patterns(dataclasses.replace(trials, trials=dead))
    assert np.isneginf(patterns[:, 2]).all() and np.isfinite(np.delete(patterns, 2, axis=1)).all()
    r = runner.invoke(app, ["calibrate", "emg", str(rec), "-o", str(tmp_path / "x.json"), "--plot", "x.jpg"])
    assert r.exit_code == 2 and "name it *.png" in r.stderr  # before any session
    empty = tmp_path / "empty.csv"
    empty.write_text("time,a,b,c,d\n")
    r = runner.invoke(app, ["run", "emg", str(empty), "-c", str(tmp_path / "cal.json")])
    assert r.exit_code == 2 and "holds no samples" in r.stderr and "Traceback" not in r.output


def test_trials_with_problems_are_offered_again(tmp_path):
    """Issue 19: a trial with a problem can be recorded again at the end of the session (asked on
    a terminal, --redo/--no-redo otherwise); the new recording replaces that trial alone."""
    from sensekit.core import Frame, StreamInfo, run
    from sensekit.core.recording import open_recording
    from sensekit.core.sinks import HDF5Sink
    from sensekit.emg.calibrate import Protocol, SessionRecorder
    from sensekit.emg.synth import EMGSimulator

    rate = 500.0
    trials = EMGSimulator(4, 3, rate=rate, seed=1).trials(reps=2, duration_s=2.0)
    data = np.concatenate([tr.data for tr in trials.trials]).astype("float32")
    data[1000:2000] = 0.0  # every electrode off during the second hold ('a', repetition 1)
    info = StreamInfo("band", "emg", rate, (4,), dtype="float32")
    rec = tmp_path / "session.h5"
    run(iter([Frame(info, data, t0=0.0)]), None, HDF5Sink(rec), info=info)
    args = ["calibrate", "emg", str(rec), "--classes", "rest,a,b", "--reps", "2", "--hold", "2", "--pause", "0",
            "--lead", "0"]
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "kept.json")])  # no terminal to ask: kept, and said so
    assert r.exit_code == 0 and "1 trial(s) had problems: a (repetition 1); kept as recorded" in r.stderr, r.output
    r = runner.invoke(app, [*args, "-o", str(tmp_path / "cal.json"), "--record", str(tmp_path / "s.h5"), "--redo"])
    assert r.exit_code == 0, r.output
    assert r.stderr.count("flat (a disconnected electrode?)") == 4  # the four channels, once each, at the first pass
    with open_recording(tmp_path / "s-again.h5") as again:  # the one trial again: 2 s from the restarted file
        np.testing.assert_array_equal(again.read(again.stream_name("band")).data, data[:1000])
    # the trial is replaced, the others stay
    protocol = Protocol(("rest", "a", "b"), reps=2, hold_s=2.0, pause_s=0.0, lead_s=0.0)
    info = info.replace(dtype="float64")
    first = SessionRecorder(protocol)
    first(Frame(info, data.astype(float), t0=0.0), None, None)
    bad = first.problem_prompts()
    assert [(p.label, p.rep) for p in bad] == [(1, 0)] and first.unusable_channels() == []
    redo = SessionRecorder(protocol.again(bad))
    redo(Frame(info, data[:1000].astype(float), t0=0.0), None, None)
    merged = first.trials().replaced(redo.trials())
    assert [(t.label, t.rep) for t in merged] == [(t.label, t.rep) for t in first.trials()]
    np.testing.assert_array_equal(merged.trials[1].data, data[250:1000])  # (the first 0.5 s trimmed)
    np.testing.assert_array_equal(merged.trials[2].data, first.trials().trials[2].data)
    # a channel losing a different number of samples in each trial is one warning, and counts as dead
    said = []
    nan = data.astype(float)
    nan[::7, 0], nan[1::5, 0] = np.nan, np.nan
    lossy = SessionRecorder(protocol, on_problem=lambda p, channel, what: said.append((channel, what.kind)))
    lossy(Frame(info, nan, t0=0.0), None, None)
    assert said.count(("ch0", "nonfinite")) == 1 and lossy.unusable_channels() == ["ch0"]
    # a band flat everywhere in that trial, and again in the redo: that is not "every channel in every trial"
    flat = SessionRecorder(protocol.again(bad))
    flat(Frame(info, np.zeros((1000, 4)), t0=0.0), None, None)
    assert first.unusable_channels(flat) == []


def _calibration_and_shifted_session(tmp_path):
    """A simulated band's calibration and a second session with its electrodes shifted, recorded:
    ``(calibration path, trials, samples, recording path)``."""
    from sensekit.core import Frame, run
    from sensekit.core.sinks import HDF5Sink
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=500.0, seed=9)
    cal = EMGPipeline(features="HTD+LOGVAR").fit(sim.trials(reps=2, duration_s=2.0)).save(tmp_path / "cal.json")
    trials = EMGSimulator(4, 3, rate=500.0, seed=9, electrode_shift=0.2).trials(reps=1, duration_s=2.0, session=2)
    x = np.concatenate([t.data for t in trials.trials]).astype(trials.info.dtype)
    rec = tmp_path / "session2.h5"
    run(iter([Frame(trials.info, x, t0=0.0)]), None, HDF5Sink(rec), info=trials.info)
    return cal, trials, x, rec


def test_run_adapt_equals_the_adapting_pipeline_and_is_refused_where_it_cannot_run(tmp_path):
    """'run emg --adapt' publishes what the adapting chain gives (with its 'shift' channel); a
    calibration without class means is refused in one line; the C export refuses adaptation."""
    from sensekit.emg.pipeline import ADAPT_RATE
    from sensekit.errors import ParameterError
    from sensekit.export import export_emg_c
    from sensekit.testing import feed, split_frames

    cal, trials, x, rec = _calibration_and_shifted_session(tmp_path)
    r = runner.invoke(app, ["run", "emg", str(rec), "-c", str(cal), "--adapt", "--jsonl"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{\"stream\":")]
    cli = np.array([d["data"] for d in lines])
    loaded = EMGPipeline.load(cal)
    loaded.adapt_rate = ADAPT_RATE
    chain = loaded.chain(trials.info)
    chain.open(trials.info)
    piped = feed(chain, split_frames(trials.info, x, [301, 999, 1000])).data
    assert cli.shape == (len(piped), 4) and cli[-1, 3] > 0
    np.testing.assert_array_equal(cli, piped)

    old = json.loads(cal.read_text())
    del old["params"]["learned"]["class_means"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    r = runner.invoke(app, ["run", "emg", str(rec), "-c", str(tmp_path / "old.json"), "--adapt", "--jsonl"])
    assert r.exit_code != 0 and "class means" in r.output and "Traceback" not in r.output
    with pytest.raises(ParameterError, match="adaptation"):
        export_emg_c(loaded, tmp_path / "c")


def test_top_up_updates_a_calibration_for_a_new_session(tmp_path):
    """calibrate emg --top-up: one short repetition per class of a noisier session re-standardises an
    existing calibration and moves its LDA's class means (the pooled covariance kept); the update
    decodes that session better and runs."""
    cal, new = tmp_path / "cal.json", tmp_path / "day2.json"
    steps = ["--hold", "2", "--pause", "0", "--lead", "0", "--trim", "0.3"]
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "2", *steps, "-o", str(cal)])
    assert r.exit_code == 0, r.output
    day2 = SRC + "&snr_db=5"  # worse skin contact: more noise on every channel
    r = runner.invoke(app, ["calibrate", "emg", day2, "--top-up", str(cal), "--reps", "1", *steps, "-o", str(new)])
    assert r.exit_code == 0, r.output
    before, after = (float(s.split("%")[0]) for s in r.stdout.split("calibration: ")[1].split("one: "))
    assert after > before + 5, r.stdout
    old, updated = EMGPipeline.load(cal), EMGPipeline.load(new)
    kept = ("kind", "classes", "precision", "log_priors")
    assert {k: updated.learned_["decoder"][k] for k in kept} == {k: old.learned_["decoder"][k] for k in kept}
    assert updated.learned_["decoder"]["coef"] != old.learned_["decoder"]["coef"]
    assert updated.classes_ == ("rest", "a", "b")
    assert not np.allclose(updated.learned_["mean"], old.learned_["mean"])
    r = runner.invoke(app, ["calibrate", "emg", SRC.replace("channels=4", "channels=6"), "--top-up", str(cal),
                            "--reps", "1", *steps, "-o", str(tmp_path / "other.json")])
    assert r.exit_code != 0 and "Traceback" not in r.output and not (tmp_path / "other.json").exists()
    r = runner.invoke(app, ["calibrate", "emg", day2, "--top-up", str(cal), "--decoder", "svm", "--classes", "x,y",
                            *steps, "-o", str(tmp_path / "svm.json")])  # the recipe is the calibration's: never ignored
    assert r.exit_code == 2 and "--classes, --decoder do not apply with --top-up" in r.stderr


def test_run_adapt_saves_what_it_learned(tmp_path):
    """'run emg --adapt --save-adapted F': F is the calibration with the final shift taken off
    (the adapting chain's own shift), loadable for the next session; without --adapt, one line."""
    from sensekit.emg.pipeline import ADAPT_RATE
    from sensekit.emg.stages import EMGDecoder
    from sensekit.testing import feed, split_frames

    cal, trials, x, rec = _calibration_and_shifted_session(tmp_path)
    out = tmp_path / "adapted.json"
    r = runner.invoke(app, ["run", "emg", str(rec), "-c", str(cal), "--adapt", "--save-adapted", str(out), "--jsonl"])
    assert r.exit_code == 0, r.output
    assert "adapted calibration" in r.stderr
    loaded = EMGPipeline.load(cal)
    loaded.adapt_rate = ADAPT_RATE
    chain = loaded.chain(trials.info)
    chain.open(trials.info)
    feed(chain, split_frames(trials.info, x, [700]))  # ends with flush, which resets
    shift = next(st.final_shift_ for st in chain if isinstance(st, EMGDecoder))
    saved = EMGPipeline.load(out)
    np.testing.assert_allclose(saved.learned_["mean"], loaded.shifted(shift).learned_["mean"], rtol=1e-12)
    assert saved.adapt_rate is None and np.abs(shift).max() > 0
    r = runner.invoke(app, ["run", "emg", str(rec), "-c", str(cal), "--save-adapted", str(out)])
    assert r.exit_code != 0 and "give both" in r.output


def test_emg_score_a_calibration_on_another_days_session(tmp_path):
    """'sensekit emg score': a calibration decides a labelled session of another day (the band
    rotated by a whole electrode, noisier skin contact) as score_session does, the bench's
    cross-session protocol: as is, adapted on repetition 1 without its labels, and topped up with
    them (the only one that undoes a whole electrode), each scored on the other repetitions beside
    the calibration as it was on those. Bad options are one line."""
    from sensekit.emg.scoring import score_session

    src = "synth:emg?channels=8&classes=5&rate=200&hold_s=2&duration=inf&seed=3"
    steps = ["--classes", "rest,a,b,c,d", "--hold", "2", "--pause", "0", "--lead", "0", "--trim", "0.3"]
    cal, day2 = tmp_path / "day1.json", tmp_path / "day2.h5"
    r = runner.invoke(app, ["calibrate", "emg", src, *steps, "--reps", "2", "-o", str(cal)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["calibrate", "emg", src + "&electrode_shift=1&snr_db=10", *steps, "--reps", "3",
                            "-o", str(tmp_path / "unused.json"), "--record", str(day2)])
    assert r.exit_code == 0, r.output
    pipe, trials = EMGPipeline.load(cal), load_recording_trials(day2)
    got = {}
    for name, args, options in (("as is", [], {}), ("unlabeled", ["--adapt-on", "1"], {"adapt_reps": [0]}),
                                ("top-up", ["--adapt-on", "1", "--labelled"], {"adapt_reps": [0], "labelled": True})):
        r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--json", *args])
        assert r.exit_code == 0, r.output
        got[name] = json.loads(r.stdout.splitlines()[0])
        want = score_session(pipe, trials, **options)
        for key in ("accuracy", "balanced_accuracy", "kappa", "decisions", "trials"):
            assert got[name][key] == pytest.approx(want[key], abs=1e-12), (name, key)
    assert got["as is"]["trials"] == 15 and got["top-up"]["trials"] == 10
    assert got["top-up"]["before"]["accuracy"] == pytest.approx(
        score_session(pipe, trials.select(rep=[1, 2]))["accuracy"], abs=1e-12)
    assert got["as is"]["accuracy"] < 0.85 and got["top-up"]["accuracy"] > 0.95  # a whole electrode: labels needed
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--adapt-on", "1", "--plot", str(tmp_path / "d.png")],
                      terminal_width=200)
    assert r.exit_code == 0 and "adapted on repetition(s) 1 without their labels" in r.stdout, r.output
    assert "the same trials by the calibration as it was" in r.stdout
    assert (tmp_path / "d.png").read_bytes()[:4] == b"\x89PNG"
    for args, message in ((["--labelled"], "--labelled goes with --adapt-on"),
                          (["--adapt-on", "0"], "counted from 1"), (["--adapt-on", "x"], "counted from 1"),
                          (["--adapt-on", "4"], "the session has no repetition 4 (it has 1, 2, 3)"),
                          (["--adapt-on", "1,2,3"], "none is left to score"),
                          (["--plot", "d.jpg"], "--plot writes a PNG")):
        r = runner.invoke(app, ["emg", "score", str(cal), str(day2), *args])
        assert r.exit_code == 2 and message in r.stderr and r.stderr.count("error:") == 1, (args, r.output)
    other = tmp_path / "other.json"
    r = runner.invoke(app, ["calibrate", "emg", src, *steps[2:], "--classes", "rest,a", "--reps", "2", "-o", str(other)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["emg", "score", str(other), str(day2)])  # the session's b, c, d: not the calibration's
    assert r.exit_code == 2 and "holds the class(es) b, c, d, which the calibration" in r.stderr, r.output
    # the same session with its classes listed in another order: the labels follow the names
    from sensekit.core import Frame
    from sensekit.core.recording import RecordingWriter, open_recording

    order = ["d", "c", "b", "a", "rest"]
    with open_recording(day2) as rec:
        emg, lab = rec.read(next(n for n, i in rec.streams.items() if i.kind == "emg")), rec.read("label")
    old = list(lab.info.meta["classes"])
    codes = np.array([order.index(old[c]) if c >= 0 else c for c in lab.data[:, 0]], dtype=np.int32)
    info = lab.info.replace(meta={**lab.info.meta, "classes": order})
    with RecordingWriter(tmp_path / "reordered.h5") as w:
        w.add_stream(emg.info).append(emg)
        w.add_stream(info).append(Frame(info, codes[:, None], times=lab.times))
    r = runner.invoke(app, ["emg", "score", str(cal), str(tmp_path / "reordered.h5"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["accuracy"] == pytest.approx(got["as is"]["accuracy"], abs=1e-12)


def _xdf_session(path, sim, *, order, pause_s=0.5, start=1000.0, extra=()):
    """An XDF file as LabRecorder writes one: the band's EMG stream and a marker stream naming
    each held class at its start, with "pause" between holds. ``order``: (class index, rep) per
    hold. Returns the file and the trials' data in order."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from xdf_writer import write_xdf

    rate, parts, markers, held = sim.rate, [], [], []
    names = ("rest", *(f"class{k}" for k in range(1, sim.n_classes)))
    t = start
    for c, r in order:
        data = sim.trial(c, 2.0, seed=100 + 10 * c + r)
        markers.append((t, names[c]))
        parts.append(data)
        held.append(data)
        t += len(data) / rate
        pause = np.zeros((int(pause_s * rate), sim.n_channels))
        markers.append((t, "pause"))
        parts.append(pause)
        t += len(pause) / rate
    data = np.concatenate(parts)
    write_xdf(path, [{"name": "Band", "type": "EMG", "rate": rate, "data": data.astype(np.float32),
                      "times": start + np.arange(len(data)) / rate},
                     {"name": "Markers", "type": "Markers", "rate": 0, "data": np.array([[m] for _, m in markers]),
                      "times": np.array([t for t, _ in markers])},
                     *({"name": name, "type": "EMG", "rate": rate, "data": np.zeros((len(data), 2), np.float32),
                        "times": start + np.arange(len(data)) / rate} for name in extra)])
    return path, held


def test_an_xdf_of_two_bands_names_the_band(tmp_path):
    """A LabRecorder file of two bands recorded at once: '--from FILE' had taken the first EMG stream
    without a word. It names them and asks for one; FILE#STREAM picks it for calibrate and score."""
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=200.0, seed=3)
    both, _ = _xdf_session(tmp_path / "both.xdf", sim, order=[(c, r) for r in range(3) for c in (1, 0, 2)],
                           extra=("Spare",))
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(both), "--classes", "rest,class1,class2", "-o", str(cal)])
    assert r.exit_code == 2 and "both.xdf holds 2 EMG streams ('Band', 'Spare'); fix: name one: both.xdf#Band" in \
        r.stderr, r.output
    r = runner.invoke(app, ["calibrate", "emg", "--from", f"{both}#Band", "--classes", "rest,class1,class2", "-o",
                            str(cal)])
    assert r.exit_code == 0 and EMGPipeline.load(cal).classes_ == ("rest", "class1", "class2"), r.output
    r = runner.invoke(app, ["emg", "score", str(cal), f"{both}#Band", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.9, r.output
    r = runner.invoke(app, ["emg", "score", str(cal), f"{both}#Other"])
    assert r.exit_code == 2 and "has no stream 'Other'" in r.stderr, r.output


def test_an_xdf_session_with_markers_calibrates_and_scores(tmp_path):
    """A session recorded with LabRecorder (an XDF of the band's EMG stream and a marker stream
    naming each hold's class, "pause" between holds) calibrates like a sensekit session: each
    marker naming a class starts a trial of it, any other ends it; --classes picks the classes;
    'emg score' maps the markers to the calibration's classes. --classes with a sensekit session
    is one line."""
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=200.0, seed=3)
    order = [(c, r) for r in range(3) for c in (1, 0, 2)]  # markers first name class1, then rest, then class2
    day1, held = _xdf_session(tmp_path / "day1.xdf", sim, order=order)
    trials = load_recording_trials(day1, classes=["rest", "class1", "class2", "never held"])
    assert trials.classes == ("rest", "class1", "class2") and len(trials) == 9  # (a class no marker names: left out)
    assert load_recording_trials(day1).classes == ("class1", "pause", "rest", "class2")  # every marker text
    r = runner.invoke(app, ["info", str(day1)], terminal_width=200)
    assert "Markers: markers, 18 events (class1 x3, pause x9, rest x3, class2 x3)" in r.stdout, r.output
    r = runner.invoke(app, ["convert", str(day1), str(tmp_path / "day1.h5")], terminal_width=200)
    assert r.exit_code == 0 and "marker stream(s) Markers (18 events) are not converted" in r.stderr, r.output
    assert trials.info.rate == 200.0 and trials.info.shape == (4,)
    for trial, data in zip(trials.trials, held, strict=True):
        assert trial.data.shape == data.shape and np.allclose(trial.data, data.astype(np.float32), atol=1e-6)
    assert [t.rep for t in trials.trials] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [t.label for t in trials.trials] == [1, 0, 2] * 3
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "-o", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "its markers start trials of 1 of the classes" in r.stderr, r.output  # default: rest, fist, ...
    assert "Its markers: class1, class2, pause, rest (name the classes with --classes)" in r.stderr
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "--classes", "rest,class1,class2", "-o", str(cal)])
    assert r.exit_code == 0, r.output
    assert float(r.stdout.split("accuracy: ")[1].split("%")[0]) > 90
    assert EMGPipeline.load(cal).classes_ == ("rest", "class1", "class2")
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "--classes", "rest,class2", "-o",
                            str(tmp_path / "two.json")])  # class1's markers then end a trial: not a class
    assert r.exit_code == 0 and EMGPipeline.load(tmp_path / "two.json").classes_ == ("rest", "class2"), r.output
    day2, _ = _xdf_session(tmp_path / "day2.xdf", EMGSimulator(4, 3, rate=200.0, seed=3),
                           order=[(c, r) for r in range(2) for c in (2, 1, 0)], start=5000.0)
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout.splitlines()[0])
    assert got["trials"] == 6 and got["accuracy"] > 0.9 and set(got["recall"]) == {"rest", "class1", "class2"}
    session = tmp_path / "s.h5"
    r = runner.invoke(app, ["calibrate", "emg", SRC, "--classes", "rest,a,b", "--reps", "1", "--hold", "2", "--pause",
                            "0", "--lead", "0", "--trim", "0.3", "-o", str(tmp_path / "x.json"), "--record", str(session)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(session), "--classes", "x,y", "-o", str(tmp_path / "y.json")])
    assert r.exit_code == 2 and "--classes does not apply with --from a sensekit session" in r.stderr, r.output
    other = tmp_path / "session.npz"  # (a file of another type says so first, not that --classes does not apply)
    other.write_bytes(b"PK")
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(other), "--classes", "x,y", "-o", str(tmp_path / "y.json")])
    assert r.exit_code == 2 and "unknown file type '.npz'" in r.stderr, r.output


def test_a_ninapro_file_calibrates_and_scores(tmp_path, monkeypatch):
    """A Ninapro .mat file (emg, restimulus, frequency) is a recording: its stimulus codes are markers,
    named as classes with --classes rest=0,... (as an OpenBCI GUI's codes are); 'sensekit calibrate emg
    --from S1_E1_A1.mat' had said "unknown file type". Another lab's .mat of the usual names (data,
    label, fs; channels x samples) too. Damaged files, files of other variables or no rate, and a
    movement held once (no cross-validation), are one line."""
    from scipy.io import savemat

    from sensekit.core.recording import open_recording

    rng = np.random.default_rng(0)
    patterns = rng.uniform(0.2, 1.0, (4, 12))
    emg, stimulus = [], []
    for _ in range(3):
        for movement in (1, 2, 3):
            emg += [rng.normal(size=(2000, 12)) * 0.05, rng.normal(size=(2000, 12)) * patterns[movement]]
            stimulus += [np.zeros(2000), np.full(2000, movement)]
    mat = tmp_path / "S1_E1_A1.mat"
    savemat(mat, {"emg": np.concatenate(emg), "restimulus": np.concatenate(stimulus)[:, None],
                  "frequency": np.array([[2000]])})
    with open_recording(mat) as rec:
        assert rec.info().rate == 2000.0 and rec.info().kind == "emg" and rec.info().shape == (12,)
        times, codes = rec.markers()["restimulus"]
        assert codes[:4] == ("0", "1", "0", "2") and times[1] == 1.0
    cal = tmp_path / "nin.json"
    classes = "rest=0,m1=1,m2=2,m3=3"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(mat), "--classes", classes, "-o", str(cal)])
    assert r.exit_code == 0 and "4 classes" in r.stdout, r.output
    r = runner.invoke(app, ["emg", "score", str(cal), str(mat), "--markers", classes, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.95, r.output
    savemat(mat, {"emg": np.concatenate(emg)[:8000], "restimulus": np.r_[np.zeros(2000), np.ones(2000),
                                                                         np.zeros(2000), np.full(2000, 2)][:, None]})
    cal = tmp_path / "again.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(mat), "--classes", "rest=0,m1=1,m2=2", "-o", str(cal)])
    assert r.exit_code == 2 and "2 or more repetitions of every class; m1, m2 have one" in r.stderr, r.output
    savemat(mat, {"values": np.zeros((10, 2))})
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(mat), "--classes", classes, "-o", str(cal)])
    assert r.exit_code == 2 and "holds no EMG matrix and label vector (variables values" in r.stderr, r.output
    # another lab's file: 'data' stored channels x samples, 'label', 'fs' (any other file must state its rate)
    other = tmp_path / "user1_day2.mat"
    savemat(other, {"data": np.concatenate(emg).T, "label": np.concatenate(stimulus), "fs": 2000.0})
    r = runner.invoke(app, ["emg", "score", str(tmp_path / "nin.json"), str(other), "--markers", classes, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.95, r.output
    savemat(other, {"data": np.concatenate(emg), "label": np.concatenate(stimulus)})
    r = runner.invoke(app, ["info", str(other)])
    assert r.exit_code == 2 and "states no rate" in r.stderr and "--rate HZ" in r.stderr, r.output
    r = runner.invoke(app, ["emg", "score", str(tmp_path / "nin.json"), str(other), "--markers", classes, "--json",
                            "--rate", "2000"])  # (the rate its documentation gives)
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.95, r.output
    savemat(other, {"data": np.concatenate(emg), "label": np.concatenate(stimulus), "fs": 2000.0})
    r = runner.invoke(app, ["info", str(other), "--rate", "1000"])
    assert r.exit_code == 2 and "--rate does not apply" in r.stderr, r.output  # (it states its rate)
    savemat(mat, {"emg": np.zeros((1000, 8)), "restimulus": np.zeros((1000, 1))}, do_compression=True)
    import sensekit.core.recording.matfile as matfile  # (sizes are read before any data: a compressed variable may
    monkeypatch.setattr(matfile, "MAX_MAT_VALUES", 5000)  # declare far more than the file holds)
    r = runner.invoke(app, ["info", str(mat)])
    assert r.exit_code == 2 and "declares a variable of more than" in r.stderr, r.output
    mat.write_bytes(b"MATLAB 5.0 MAT-file, damaged")
    r = runner.invoke(app, ["info", str(mat)])
    assert r.exit_code == 2 and "not a readable .mat file" in r.stderr and "Traceback" not in r.output, r.output
    # one byte of a data element's type changed (found by the mutation fuzzer): scipy's compiled reader
    # crashes the process on it (a bus error); it is read in a child process, so this is one line
    savemat(mat, {"emg": np.zeros((1200, 4)), "restimulus": np.zeros((1200, 1), dtype=np.int64)})
    raw = bytearray(mat.read_bytes())
    raw[raw.find(b"restimulus") + 17] = 125
    mat.write_bytes(bytes(raw))
    for args in (["info", str(mat)], ["calibrate", "emg", "--from", str(mat), "--classes", classes, "-o", str(cal)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and "scipy's reader crashed on it" in r.stderr, r.output


def test_a_ninapro_file_without_its_frequency_is_read_at_its_databases_rate(tmp_path, caplog):
    """Ninapro files that state no frequency had been read at 2 kHz for 12 channels and 200 Hz for
    any other count: DB1's 10 Otto Bock channels (100 Hz) ran at twice their rate, every window
    half as long as asked, silently. Each database is told by its channels; DB1 is said to be an
    RMS envelope; an unknown count asks for --rate."""
    from scipy.io import savemat

    from sensekit.core.recording import open_recording

    codes = np.repeat([0, 1, 0, 2] * 3, 100)[:, None]
    for channels, rate in ((10, 100.0), (12, 2000.0), (16, 200.0), (8, 200.0)):
        mat = tmp_path / f"S1_A1_E1_{channels}.mat"
        savemat(mat, {"emg": np.abs(np.random.default_rng(0).normal(size=(len(codes), channels))), "stimulus": codes,
                      "restimulus": codes})
        with caplog.at_level("WARNING", logger="sensekit"), open_recording(mat) as rec:
            assert rec.info().rate == rate, channels
        assert ("RMS envelope at 100 Hz" in caplog.text) == (channels == 10)
        caplog.clear()
    savemat(mat, {"emg": np.zeros((len(codes), 14)), "restimulus": codes})
    r = runner.invoke(app, ["info", str(mat)])
    assert r.exit_code == 2 and "of 14 channels that states no frequency" in r.stderr and "--rate HZ" in r.stderr
    r = runner.invoke(app, ["info", str(mat), "--rate", "2000"])
    assert r.exit_code == 0 and re.search(r"2,?000 Hz", r.stdout), r.output


def test_a_csv_export_with_a_label_column_calibrates_and_scores(tmp_path):
    """A band's CSV export with a label column (text or numbers: the class held at each row, an
    empty cell between holds) calibrates and scores like a recorded session; the label column is
    never read as a channel (it had been a fifth EMG channel, silently), and 'info' lists it."""
    from sensekit.core.recording import open_recording
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=200.0, seed=3)
    names = ["rest", "fist", "open"]

    def export(path, start_seed, numeric=False):
        lines, t = ["time,ch1,ch2,ch3,ch4,label"], 0.0
        for r in range(3):
            for c in range(3):
                for x in sim.trial(c, 2.0, seed=start_seed + 10 * c + r):
                    lines.append(f"{t:.4f}," + ",".join(f"{v:.6f}" for v in x) + f",{c if numeric else names[c]}")
                    t += 1 / 200
                for _ in range(100):  # a pause: no label
                    lines.append(f"{t:.4f},0,0,0,0,")
                    t += 1 / 200
        path.write_text("\n".join(lines) + "\n")
        return path

    day1, day2 = export(tmp_path / "day1.csv", 0), export(tmp_path / "day2.csv", 500)
    with open_recording(day1) as rec:
        assert rec.info().shape == (4,) and rec.info().channels == ("ch1", "ch2", "ch3", "ch4")
        times, texts = rec.markers()["label"]
        assert len(texts) == 4500 and texts[:2] == ("rest", "rest") and texts.count("") == 900
    trials = load_recording_trials(day1, classes=names)
    assert trials.classes == ("rest", "fist", "open") and len(trials) == 9
    assert all(t.data.shape == (400, 4) for t in trials.trials)
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "--classes", "rest,fist,open", "-o", str(cal)])
    assert r.exit_code == 0 and float(r.stdout.split("accuracy: ")[1].split("%")[0]) > 90, r.output
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.9
    coded = export(tmp_path / "coded.csv", 0, numeric=True)  # class numbers instead of names
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(coded), "--classes", "0,1,2", "-o",
                            str(tmp_path / "coded.json")])
    assert r.exit_code == 0 and EMGPipeline.load(tmp_path / "coded.json").classes_ == ("0", "1", "2"), r.output
    r = runner.invoke(app, ["info", str(day1)], terminal_width=200)
    assert "label: markers, 4,500 events (rest x1,200, (empty) x900, fist x1,200, open x1,200)" in r.stdout, r.output


def _openbci_file(path, sim, *, order, lost_at=None, t0=1_700_000_000.0):
    """A recording as the OpenBCI GUI writes one (``OpenBCI-RAW-*.txt``): % header lines, a Sample
    Index counter (mod 256), the ExG channels, accelerometer and other columns, time stamps shared
    by each packet of 10 samples, the marker channel (the class's code at each hold's first
    sample) and a formatted time. ``lost_at``: a sample index after which 5 samples are missing."""
    rows = []
    for c, r in order:
        for k, x in enumerate(sim.trial(c, 2.0, seed=10 * c + r)):
            rows.append((x, c + 1 if k == 0 else 0))
    lines = ["%OpenBCI Raw EXG Data", f"%Number of channels = {sim.n_channels}", f"%Sample Rate = {sim.rate:g} Hz",
             "%Board = OpenBCI_GUI$BoardCytonSerial",
             "Sample Index, " + ", ".join(f"EXG Channel {i}" for i in range(sim.n_channels))
             + ", Accel Channel 0, Accel Channel 1, Accel Channel 2, Other, Timestamp, Marker Channel, "
               "Timestamp (Formatted)"]
    counter = 0
    for i, (x, mark) in enumerate(rows):
        stamp = t0 + (i // 10) * 10 / sim.rate  # the GUI stamps packets as they arrive
        lines.append(f"{counter % 256:.1f}, " + ", ".join(f"{v:.6f}" for v in x)
                     + f", 0.0, 0.0, 0.0, 0.0, {stamp:.6f}, {mark:.1f}, 2023-11-14 22:13:20.000")
        counter += 6 if lost_at is not None and i == lost_at else 1
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_openbci_gui_recording_calibrates_and_scores(tmp_path, caplog):
    """An OpenBCI GUI recording (a Cyton board's ExG channels, the GUI's marker channel) is a
    session like any other: its channels at the stated rate from the first stamp (the GUI's
    stamps are shared by packets), lost packets counted from the Sample Index, the markers'
    codes named with --classes NAME=MARKER; 'emg score --markers' maps them for a calibration. A
    .txt that is not one is one line."""
    from sensekit.core.recording import open_recording
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(8, 3, rate=250.0, seed=3)
    order = [(c, r) for r in range(3) for c in range(3)]
    day1 = _openbci_file(tmp_path / "OpenBCI-RAW-day1.txt", sim, order=order, lost_at=700)
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(day1) as rec:
        info = rec.info()
        assert info.kind == "exg" and info.unit == "uV" and info.rate == 250.0 and info.shape == (8,)
        assert info.channels[0] == "EXG Channel 0"
        frame = rec.read()
        assert frame.t0 == 1_700_000_000.0 and np.allclose(np.diff(frame.times), 1 / 250, rtol=0, atol=1e-6)
        times, texts = rec.markers()["Marker Channel"]
        assert texts == ("1", "2", "3") * 3 and times[1] == pytest.approx(1_700_000_000.0 + 500 / 250)
    assert "the Sample Index jumps 1 times" in caplog.text
    from sensekit.core.recording.openbci import _check_counter

    caplog.clear()
    with caplog.at_level("WARNING", logger="sensekit"):  # counters that wrap as they should: no word
        _check_counter("daisy", np.array([(2 * i) % 256 for i in range(1000)], dtype=float))  # steps of 2
        _check_counter("ganglion", np.array([i % 201 for i in range(1000)], dtype=float))  # wraps at 200
    assert "jumps" not in caplog.text
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "--classes", "rest=1,fist=2,open=3", "-o", str(cal)])
    assert r.exit_code == 0 and float(r.stdout.split("accuracy: ")[1].split("%")[0]) > 90, r.output
    assert EMGPipeline.load(cal).classes_ == ("rest", "fist", "open")
    day2 = _openbci_file(tmp_path / "OpenBCI-RAW-day2.txt", sim, order=[(c, r) for r in range(2) for c in (2, 0, 1)])
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--markers", "rest=1,fist=2,open=3", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.9, r.output
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2)])  # its markers are codes, not the class names
    assert r.exit_code == 2 and "Its markers: 1, 2, 3" in r.stderr, r.output
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day2), "--top-up", str(cal), "--classes",
                            "rest=1,fist=2,open=3", "-o", str(tmp_path / "day2.json")])  # a top-up names them so too
    assert r.exit_code == 0 and "updated calibration written" in r.stdout, r.output
    r = runner.invoke(app, ["info", str(day1)], terminal_width=200)
    assert "Marker Channel: markers, 9 events (1 x3, 2 x3, 3 x3)" in r.stdout, r.output
    notes = tmp_path / "notes.txt"  # a .txt that is no OpenBCI recording is a table, or says why it is none
    notes.write_text("time\ta\n0\t1\n0.001\t2\n0.002\t3\n")
    r = runner.invoke(app, ["info", str(notes)], terminal_width=200)
    assert r.exit_code == 0 and "1000 Hz" in r.stdout, r.output
    notes.write_text("Day 2, band re-donned\n")
    r = runner.invoke(app, ["info", str(notes)])
    assert r.exit_code == 2 and "has no time column" in r.stderr, r.output


def test_an_annotated_edf_and_a_tab_separated_table_calibrate_as_marked_sessions(tmp_path):
    """EDF+ files carry a session's holds as annotations (onset, duration, text): they were skipped,
    and '--from session.edf --classes ...' was refused as 'a sensekit session'. A tab-separated table
    with a label column was not seen as marked either (its header was split at commas). Both
    calibrate as an XDF or CSV session with markers does, and give the same trials."""
    edfio = pytest.importorskip("edfio")
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=500.0, seed=3)
    names = ["rest", "fist", "open"]
    chunks, notes, rows, t = [], [], ["time\tch1\tch2\tch3\tch4\tlabel"], 0.0
    for r in range(3):
        for c in range(3):
            for x, label in ((sim.trial(c, 2.0, seed=r), names[c]), (sim.trial(0, 1.0, seed=90 + 3 * r + c), "")):
                if label:
                    notes.append(edfio.EdfAnnotation(t, len(x) / 500.0, label))
                rows += [f"{t + k / 500:.4f}\t" + "\t".join(f"{v:.6f}" for v in row) + f"\t{label}"
                         for k, row in enumerate(x)]
                chunks.append(x)
                t += len(x) / 500.0
    x = np.concatenate(chunks)
    edfio.Edf([edfio.EdfSignal(x[:, i], sampling_frequency=500, label=f"ch{i + 1}", physical_dimension="uV")
               for i in range(4)], annotations=notes).write(tmp_path / "day1.edf")
    (tmp_path / "day1.tsv").write_text("\n".join(rows) + "\n")
    for name in ("day1.edf", "day1.tsv"):
        r = runner.invoke(app, ["calibrate", "emg", "--from", str(tmp_path / name), "--classes", "rest,fist,open",
                                "-o", str(tmp_path / f"{name}.json")])
        assert r.exit_code == 0 and "(3 classes" in r.stdout, (name, r.output)
    edf_trials, tsv_trials = (load_recording_trials(tmp_path / n, classes=names) for n in ("day1.edf", "day1.tsv"))
    assert len(edf_trials) == len(tsv_trials) == 9
    for a, b in zip(edf_trials.trials, tsv_trials.trials, strict=True):
        assert a.label == b.label and abs(len(a.data) - len(b.data)) <= 1


def test_a_brainflow_file_of_the_openbci_gui_calibrates_and_scores(tmp_path, caplog):
    """The OpenBCI GUI records a BrainFlow file beside its own text file (BrainFlow-RAW_*.csv: every
    row of the board as BrainFlow returns it, tab-separated, no header). It was 'no time column':
    it is read by the board's layout (a Cyton's 24 rows; WiFi's 1000 Hz told from the stamps), the
    markers as codes, and calibrates and scores as the GUI's text file does; a file of no board's
    width is one line."""
    from sensekit.core.recording import open_recording
    from sensekit.core.recording.brainflowfile import BOARD_LAYOUTS
    from sensekit.emg.synth import EMGSimulator

    brainflow = pytest.importorskip("brainflow")  # the layouts are BrainFlow's own board descriptions
    from brainflow.board_shim import BoardIds, BoardShim

    for board in (BoardIds.CYTON_BOARD, BoardIds.CYTON_DAISY_BOARD, BoardIds.GANGLION_BOARD,
                  BoardIds.CYTON_WIFI_BOARD, BoardIds.GANGLION_WIFI_BOARD):
        d = BoardShim.get_board_descr(board.value)
        layout = BOARD_LAYOUTS[d["num_rows"]]
        assert layout["exg"] == tuple(d["eeg_channels"]) and layout["stamp"] == d["timestamp_channel"]
        assert layout["marker"] == d["marker_channel"] and d["sampling_rate"] in layout["boards"].values()
    assert brainflow  # (used)
    sim = EMGSimulator(8, 3, rate=250.0, seed=3)

    def record(path, start_seed, rate=250.0):
        rows, k = [], 0
        for r in range(3):
            for c in range(3):
                x = sim.trial(c, 2.0, seed=start_seed + 10 * c + r)
                block = np.zeros((len(x), 24))
                block[:, 0] = (np.arange(k, k + len(x))) % 256
                block[:, 1:9] = x
                block[:, 22] = 1.7e9 + (k + np.arange(len(x)) // 6 * 6) / rate  # stamped per packet of 6
                block[0, 23] = c + 1  # the GUI's marker at each hold's start
                rows.append(block)
                k += len(x)
        np.savetxt(path, np.concatenate(rows), delimiter="\t", fmt="%.6f")
        return path

    day1 = record(tmp_path / "BrainFlow-RAW_day1_0.csv", 0)
    with open_recording(day1) as rec:
        info = rec.info()
        assert (info.rate, info.shape, info.meta["board"], info.unit) == (250.0, (8,), "Cyton", "uV")
        assert rec.markers()["Marker Channel"][1] == ("1", "2", "3") * 3
    wifi = record(tmp_path / "BrainFlow-RAW_wifi_0.csv", 0, rate=1000.0)
    with open_recording(wifi) as rec:
        assert rec.info().rate == 1000.0 and rec.info().meta["board"] == "CytonWifi"
    cal = tmp_path / "band.json"
    r = runner.invoke(app, ["calibrate", "emg", "--from", str(day1), "--classes", "rest=1,fist=2,open=3", "-o", str(cal)])
    assert r.exit_code == 0 and float(r.stdout.split("accuracy: ")[1].split("%")[0]) > 90, r.output
    day2 = record(tmp_path / "BrainFlow-RAW_day2_0.csv", 500)
    r = runner.invoke(app, ["emg", "score", str(cal), str(day2), "--markers", "rest=1,fist=2,open=3", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.9, r.output
    odd = tmp_path / "BrainFlow-RAW_odd.csv"
    np.savetxt(odd, np.zeros((10, 7)), delimiter="\t")
    r = runner.invoke(app, ["info", str(odd)])
    assert r.exit_code == 2 and "7 columns, which no OpenBCI board's BrainFlow file has" in r.stderr, r.output


def test_a_table_with_no_time_column_reads_at_a_given_rate(tmp_path):
    """A dataset's table of channels and a label, no time column, its rate in its documentation
    (as many research sets ship them) was refused with 'no time column' and nothing to do but edit the
    file: --rate HZ reads its rows that far apart in 'info', 'calibrate emg --from', 'emg score',
    'run emg' and 'replay', the same as the table with a time column; a table with a clock, a file that states its rate and a
    live source refuse --rate by name."""
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=500.0, seed=5)
    rows, timed, t = ["ch1,ch2,ch3,ch4,label"], ["time,ch1,ch2,ch3,ch4,label"], 0.0
    for rep in range(3):
        for c, name in enumerate(("rest", "fist", "open")):
            for x in sim.trial(c, 2.0, seed=10 * c + rep):
                cells = ",".join(f"{v:.5f}" for v in x) + f",{name}"
                rows.append(cells)
                timed.append(f"{t:.4f},{cells}")
                t += 1 / 500
    bare, clocked = tmp_path / "user1_day1.csv", tmp_path / "timed.csv"
    bare.write_text("\n".join(rows) + "\n")
    clocked.write_text("\n".join(timed) + "\n")
    r = runner.invoke(app, ["info", str(bare)])
    assert r.exit_code == 2 and "no time column" in r.stderr and "--rate HZ" in r.stderr, r.output
    r = runner.invoke(app, ["info", str(bare), "--rate", "500", "--json"])
    assert r.exit_code == 0, r.output
    stream = json.loads(r.stdout)["streams"][0]
    assert stream["rate_hz"] == 500 and stream["samples"] == len(rows) - 1 and stream["duration_s"] == 18.0
    cals = {}
    for name, path, extra in (("bare", bare, ["--rate", "500"]), ("timed", clocked, [])):
        cals[name] = tmp_path / f"{name}.json"
        r = runner.invoke(app, ["calibrate", "emg", "--from", str(path), "--classes", "rest,fist,open", "-o",
                                str(cals[name]), *extra])
        assert r.exit_code == 0, r.output
    assert json.loads(cals["bare"].read_text())["params"] == json.loads(cals["timed"].read_text())["params"]
    r = runner.invoke(app, ["emg", "score", str(cals["bare"]), str(bare), "--rate", "500", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout.splitlines()[0])["accuracy"] > 0.9, r.output
    decided = {}
    for name, args in (("bare", [str(bare), "--rate", "500"]), ("timed", [str(clocked)])):
        r = runner.invoke(app, ["run", "emg", *args, "-c", str(cals["bare"]), "--jsonl", "--kind", "emg"])
        assert r.exit_code == 0, r.output
        decided[name] = [json.loads(line)["data"] for line in r.stdout.splitlines()[1:]]
    assert decided["bare"] == decided["timed"] and len(decided["bare"]) > 300
    r = runner.invoke(app, ["replay", str(bare), "--to", "jsonl", "--rate", "500"])
    samples = [json.loads(line) for line in r.stdout.splitlines()[1:]]  # (a line a sample)
    assert r.exit_code == 0 and len(samples) == 9000 and samples[-1]["t"] == pytest.approx(8999 / 500)
    for args, message in ((["info", str(clocked), "--rate", "500"], "has a time column ('time')"),
                          (["info", str(bare), "--rate", "0"], "greater than or equal to 1"),
                          (["calibrate", "emg", "synth:emg", "--rate", "500", "-o", str(tmp_path / "x.json")],
                           "--rate")):
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, (args, r.output)


def _opensignals_file(path, counts, *, rate=1000, lost_at=None, devices=1, sensors=("EMG", "EMG")):
    """A recording as OpenSignals (PLUX biosignalsplux, BITalino) writes one: the JSON header
    line per device, nSeq (mod 16), digital I/O, the analog channels in ADC counts."""
    n = counts.shape[1]
    device = {"sensor": list(sensors), "device name": "00:07:80:4D:2E:76", "column": ["nSeq", "I1", "I2", "O1", "O2",
              *[f"A{k + 1}" for k in range(n)]], "sync interval": 2, "time": "10:41:52.631", "comments": "",
              "channels": list(range(1, n + 1)), "date": "2019-1-10", "mode": 0, "digital IO": [0, 0, 1, 1],
              "firmware version": 1281, "device": "bitalino_rev", "position": 0, "sampling rate": rate,
              "label": [f"A{k + 1}" for k in range(n)], "resolution": [4, 1, 1, 1, 1] + [10] * n}
    header = {f"00:07:80:4D:2E:7{d}": device for d in range(devices)}
    lines = ["# OpenSignals Text File Format. Version 1", "# " + json.dumps(header), "# EndOfHeader"]
    seq = 0
    for i, row in enumerate(counts):
        lines.append("\t".join([str(seq % 16), "0", "0", "0", "0", *(f"{v:.0f}" for v in row)]))
        seq += 4 if lost_at is not None and i == lost_at else 1
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_opensignals_file_is_read_as_its_bands_counts(tmp_path, caplog):
    """A PLUX biosignalsplux / BITalino recording (OpenSignals' text file): its analog channels
    in ADC counts at the header's rate, kind emg where its sensors are EMG, lost samples counted
    from nSeq; a file of two devices, a damaged header and a header alone are one line each."""
    from sensekit.core.recording import open_recording

    rng = np.random.default_rng(2)
    counts = np.round(512 + 40 * rng.standard_normal((3000, 2))).clip(0, 1023)
    path = _opensignals_file(tmp_path / "opensignals_0007804D2E76_2019-01-10_10-41-52.txt", counts, lost_at=900)
    with caplog.at_level("WARNING", logger="sensekit"), open_recording(path) as rec:
        info = rec.info()
        assert (info.kind, info.unit, info.rate, info.shape, info.channels) == ("emg", "counts", 1000.0, (2,),
                                                                              ("A1", "A2"))
        assert list(info.meta["sensors"]) == ["EMG", "EMG"] and info.meta["device"] == "bitalino_rev"
        np.testing.assert_array_equal(rec.read().data, counts)
    assert "jumps 1 times" in caplog.text
    other = _opensignals_file(tmp_path / "acc.txt", counts, sensors=("EMG", "ACC"))
    with open_recording(other) as rec:
        assert rec.info().kind == "biosignal"
    r = runner.invoke(app, ["convert", str(path), str(tmp_path / "band.h5")])
    assert r.exit_code == 0, r.output
    with open_recording(tmp_path / "band.h5") as rec:
        np.testing.assert_array_equal(rec.read().data, counts)
    for made, said in ((_opensignals_file(tmp_path / "two.txt", counts, devices=2), "holds 2 devices' header"),
                       (tmp_path / "damaged.txt", "its header is not a JSON object"),
                       (tmp_path / "empty.txt", "holds no samples")):
        if made.name == "damaged.txt":
            made.write_text(path.read_text().replace('"sampling rate": 1000', '"sampling rate": NaN'))
        if made.name == "empty.txt":
            made.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n")
        r = runner.invoke(app, ["info", str(made)])
        assert r.exit_code == 2 and said in r.stderr and len(r.stderr.strip().splitlines()) == 1, (said, r.output)
