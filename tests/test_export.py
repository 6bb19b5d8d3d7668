"""Firmware export: the generated C compiled with cc and checked block by block against
the Python chain on golden vectors of random block sizes; ONNX against numpy."""

import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from sensekit.cli import app
from sensekit.emg.pipeline import EMGPipeline
from sensekit.emg.synth import EMGSimulator
from sensekit.errors import ParameterError
from sensekit.export import export_emg_c, read_golden, write_golden
from sensekit.export.golden import golden_blocks

CC = shutil.which("cc") or shutil.which("gcc")
runner = CliRunner()


@pytest.fixture(scope="module")
def sim():
    return EMGSimulator(4, 3, rate=1000.0, mains_amplitude=0.3, seed=2)


def _fit(sim, **cfg):
    return EMGPipeline(**cfg).fit(sim.trials(reps=2, duration_s=2.0))


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("decoder", ["lda", "mlp"])
def test_exported_c_equals_python_block_by_block(tmp_path, sim, decoder):
    pipe = _fit(sim, features="HTD+LOGVAR+RMS+WAMP+LD+MOB+DASDV+MFL+IAV+ACT+VAR", decoder=decoder,
                bandpass_hz=(20, 450), notch_hz=50, vote=3, reject_below=0.6, window_ms=100, increment_ms=25)
    export_emg_c(pipe, tmp_path)
    x = np.concatenate([t.data for t in sim.trials(reps=1, duration_s=1.0, session=5).trials])
    blocks = golden_blocks(pipe.chain(pipe.info_), pipe.info_, x, seed=1)
    assert any(len(b) == 0 for b, _ in blocks) and sum(len(r) for _, r in blocks) > 50
    write_golden(tmp_path / "golden.bin", blocks, 4, 3)
    # float64: equal to the Python chain to 1e-9, every label; float32 (default): labels all equal
    # here, confidence and velocity within 1e-3
    for flags, tol in ((["-DSK_DOUBLE"], "1e-9"), ([], "1e-3")):
        subprocess.run([CC, "-std=c99", "-Wall", "-Werror", "-O2", *flags, "sensekit_emg.c", "sensekit_emg_check.c",
                        "-lm", "-o", "check"], cwd=tmp_path, check=True, capture_output=True)
        r = subprocess.run(["./check", "golden.bin", "0", tol], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "label mismatches 0" in r.stdout


def test_golden_roundtrip(tmp_path):
    blocks = [(np.arange(6.0).reshape(3, 2), np.ones((1, 3))), (np.empty((0, 2)), np.empty((0, 3)))]
    write_golden(tmp_path / "g.bin", blocks, 2, 3)
    ch, outs, back = read_golden(tmp_path / "g.bin")
    assert (ch, outs, len(back)) == (2, 3, 2)
    np.testing.assert_array_equal(back[0][0], blocks[0][0])
    assert back[1][0].shape == (0, 2)


def test_unexportable_stages_are_named(tmp_path, sim):
    with pytest.raises(ParameterError, match="decoder 'svm' cannot be exported to C"):
        export_emg_c(_fit(sim, decoder="svm"), tmp_path)
    with pytest.raises(ParameterError, match="feature.s. MNF cannot be exported to C"):
        export_emg_c(_fit(sim, features="HTD+MNF"), tmp_path)


def test_onnx_decoder_equals_numpy(tmp_path, sim):
    pytest.importorskip("onnxruntime")
    from sensekit.emg.features import compute_features
    from sensekit.export.onnx_decoder import export_decoder_onnx, run_onnx
    from sensekit.learn.decoders import CompiledDecoder

    for decoder in ("lda", "mlp"):
        pipe = _fit(sim, features="HTD+LOGVAR", decoder=decoder)
        path = export_decoder_onnx(pipe.learned_, tmp_path / f"{decoder}.onnx")
        w, _, _ = pipe.windows(sim.trials(reps=1, duration_s=2.0, session=3))
        f = compute_features(w, pipe.learned_["features"], rate=1000.0)
        ref = CompiledDecoder(pipe.learned_["decoder"]).scores((f - pipe.learned_["mean"]) / pipe.learned_["scale"])
        probs, labels = run_onnx(path, f)
        np.testing.assert_allclose(probs, ref, atol=1e-4)
        np.testing.assert_array_equal(labels, ref.argmax(axis=1))


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_cli_writes_c_golden_budget_and_json(tmp_path, sim):
    cal = _fit(sim, features="HTD+LOGVAR", bandpass_hz=(20, 450)).save(tmp_path / "cal.json")
    r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "c"), "--golden", "3"])
    assert r.exit_code == 0, r.output
    assert "label mismatches 0" in r.stdout and "python_over_c_float32" in r.stdout
    import json

    budget = json.loads((tmp_path / "c" / "budget.json").read_text())
    assert budget["state_bytes_float32"] > 0 and budget["latency_input_to_decision_s"] == pytest.approx(0.199)
    # the stack the library uses, measured by the compiler (gcc and clang have -fstack-usage); the
    # decision reads the window in place, so no window-sized copy lands on the stack
    assert 0 < budget["stack_bytes_upper_bound_float32"] < 4096
    r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "j"), "-f", "json"])
    assert r.exit_code == 0 and (tmp_path / "j" / "cal.json").read_text() == cal.read_text()
    r = runner.invoke(app, ["export", "emg", "-c", str(tmp_path / "none.json"), "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "does not exist" in r.stderr
    for extra, message in ((["-f", "json", "--golden", "3"], "--golden does not apply to --format json"),
                           (["--check"], "--check does not apply without --golden")):  # never silently ignored
        r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "n"), *extra])
        assert r.exit_code == 2 and message in r.stderr and not (tmp_path / "n").exists()


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_emg_checks_the_c_on_a_recording_of_the_band(tmp_path, shared_data):
    """A firmware engineer checks the C on their own band's samples: --golden-from takes the golden
    input from a recording (here a Myo's int8 counts of the next session, whose many equal
    neighbouring samples take the slope-sign and zero-crossing comparisons to their edge), its first
    --golden seconds exactly; a recording too short, of another band, or without --golden is one
    line."""
    from sensekit.emg.datasets import load_myo_readings_wrist8

    trials = load_myo_readings_wrist8(shared_data / "myo_readings_wrist8", subjects=["12345"])
    cal = EMGPipeline().fit(trials.select(session=1)).save(tmp_path / "band.json")
    x = np.concatenate([t.data for t in trials.select(session=2).trials])[:200 * 12]
    header = "time," + ",".join(f"ch{i}" for i in range(8))
    np.savetxt(tmp_path / "day2.csv", np.column_stack([np.arange(len(x)) / 200.0, x]), delimiter=",", header=header,
               comments="", fmt="%.9g")
    r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "c"), "--golden", "10",
                            "--golden-from", str(tmp_path / "day2.csv")])
    assert r.exit_code == 0, r.output
    assert r.stdout.count("label mismatches 0") == 2  # float32 and float64
    channels, _, blocks = read_golden(tmp_path / "c" / "golden.bin")
    assert channels == 8
    np.testing.assert_array_equal(np.concatenate([b[0] for b in blocks]), x[:2000])
    np.savetxt(tmp_path / "four.csv", np.column_stack([np.arange(len(x)) / 200.0, x[:, :4]]), delimiter=",",
               header=header.rsplit(",", 4)[0], comments="", fmt="%.9g")
    for args, message in ((["--golden", "20", "--golden-from", str(tmp_path / "day2.csv")],
                           "holds 12.0 s of samples, fewer than the 20 s of --golden; fix: --golden 12"),
                          (["--golden-from", str(tmp_path / "day2.csv")], "say how many seconds of it with --golden N"),
                          (["--golden", "5", "--golden-from", str(tmp_path / "four.csv")],
                           "is no recording of the calibrated band"),
                          (["-f", "json", "--golden-from", str(tmp_path / "day2.csv")], "--golden-from does not apply")):
        r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "n"), *args])
        assert r.exit_code == 2 and message in r.stderr and "Traceback" not in r.output, (args, r.output)
        assert not (tmp_path / "n").exists()


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("decoder, fmt", [("lda", "landmarks"), ("mlp", "kazuhito")])
def test_exported_gesture_classifier_equals_python(tmp_path, decoder, fmt):
    from sensekit.export import export_gesture_c
    from sensekit.export.golden import random_splits
    from sensekit.gesture.normalize import kazuhito_normalize
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(0)
    base = rng.normal(size=(3, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 6, (80, 21, 2)) for b in base]) + 300
    y = np.repeat([0, 1, 2], 80)
    if fmt == "kazuhito":
        pts = kazuhito_normalize(pts).reshape(-1, 21, 2)
    clf = StaticGestureClassifier(decoder=decoder, input_format=fmt, reject_below=0.7).fit(pts[::2], y[::2])
    export_gesture_c(clf, tmp_path)
    # the header says in which image convention the landmarks must come (keypoint rows: mirrored images)
    said = "Seen in mirrored (selfie) images" if fmt == "kazuhito" else "Seen in images that are not mirrored"
    assert said in (tmp_path / "sensekit_gesture.h").read_text()
    rows = pts[1::2].reshape(-1, 42)
    rows[::7, 8:12] = np.nan  # frames with missing landmarks: none, confidence 0
    rows[3::7, 32:34] = rows[3::7, 30:32]  # a bone of no length: its angle 0 in C as in Python
    labels, conf, distance = clf.predict_open(rows)
    assert 0.05 < np.mean(labels == -1) < 0.5  # accepted poses and rejected ones
    blocks = [(rows[s], np.column_stack([labels[s], conf[s], distance[s]]))
              for s in random_splits(len(rows), seed=2, max_block=16)]
    write_golden(tmp_path / "golden.bin", blocks, 42, 3)
    for flags, tol in ((["-DSK_DOUBLE"], "1e-9"), ([], "1e-3")):
        subprocess.run([CC, "-std=c99", "-Wall", "-Werror", "-O2", *flags, "sensekit_gesture.c", "sensekit_gesture_check.c",
                        "-lm", "-o", "check"], cwd=tmp_path, check=True, capture_output=True)
        r = subprocess.run(["./check", "golden.bin", "0", tol, "50"], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "label mismatches 0" in r.stdout


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_exported_gesture_classifier_takes_a_headsets_openxr_joints(tmp_path):
    """Firmware on a headset has OpenXR's 26 joints, not MediaPipe's 21 landmarks:
    sk_gesture_from_openxr picks the 21 as sensekit.gesture.openxr.from_openxr does, and the
    classifier then decides as Python does on the same joints."""
    from sensekit.core import Frame, StreamInfo
    from sensekit.export import export_gesture_c
    from sensekit.gesture.openxr import to_openxr
    from sensekit.gesture.static import StaticGestureClassifier, StaticGestures

    rng = np.random.default_rng(5)
    base = rng.normal(size=(3, 21, 2)) * 0.04  # (metres, as a headset gives them)
    pts = np.concatenate([b + rng.normal(0, 0.006, (40, 21, 2)) for b in base])
    clf = StaticGestureClassifier().fit(pts[::2], np.repeat([0, 1, 2], 40)[::2])
    export_gesture_c(clf, tmp_path)
    joints = to_openxr(np.concatenate([pts[1::2], rng.normal(0, 0.01, (60, 21, 1))], axis=2))
    joints[:, 0] += 5.0  # (the palm, which MediaPipe has not, moved away: it must not count)
    info = StreamInfo("xr", "landmarks", 90.0, (26, 3))
    stage = StaticGestures(clf)
    stage.open(info)
    want = stage.process(Frame(info, joints, t0=0.0)).data[:, 0]
    rows = ",\n".join("{" + ", ".join(repr(float(v)) for v in j.ravel()) + "}" for j in joints)
    (tmp_path / "xr.c").write_text(f"""#include "sensekit_gesture.h"
#include <stdio.h>
static const sk_real J[{len(joints)}][78] = {{{rows}}};
int main(void) {{
    int i;
    sk_real xy[42], conf;
    for (i = 0; i < {len(joints)}; ++i) {{
        sk_gesture_from_openxr(J[i], xy);
        int label = sk_gesture_classify(xy, 0, &conf);
        printf("%d %.12g\\n", label, (double)conf);
    }}
    return 0;
}}
""")
    subprocess.run([CC, "-std=c99", "-Wall", "-Werror", "-O2", "-DSK_DOUBLE", "sensekit_gesture.c", "xr.c", "-lm", "-o",
                    "xr"], cwd=tmp_path, check=True, capture_output=True)
    got = np.loadtxt(subprocess.run(["./xr"], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.splitlines())
    np.testing.assert_array_equal(got[:, 0], want[:, 0])
    np.testing.assert_allclose(got[:, 1], want[:, 1], rtol=1e-9, atol=1e-12)
    assert np.mean(got[:, 0] == np.repeat([0, 1, 2], 20)) > 0.9


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_gesture_cli(tmp_path):
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(4)
    base = rng.normal(size=(3, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 6, (50, 21, 2)) for b in base]) + 300
    cal = StaticGestureClassifier().fit(pts, np.repeat([0, 1, 2], 50), ["a", "b", "c"]).save(tmp_path / "g.json")
    r = runner.invoke(app, ["export", "gesture", "-c", str(cal), "-o", str(tmp_path / "c"), "--golden", "200"])
    assert r.exit_code == 0, r.output
    assert "label mismatches 0" in r.stdout
    import json

    assert json.loads((tmp_path / "c" / "budget.json").read_text())["time_per_frame_us_float32"] > 0
    # golden frames from keypoint rows: real poses, so that accepted decisions are checked too
    from sensekit.gesture.normalize import kazuhito_normalize

    held = np.concatenate([b + rng.normal(0, 6, (20, 21, 2)) for b in base]) + 300
    rows = np.column_stack([np.repeat([0, 1, 2], 20), kazuhito_normalize(held)])
    np.savetxt(tmp_path / "keypoint.csv", rows, delimiter=",", fmt="%.6f")
    r = runner.invoke(app, ["export", "gesture", "-c", str(cal), "-o", str(tmp_path / "k"), "--golden", "60",
                            "--golden-rows", str(tmp_path / "keypoint.csv")])
    assert r.exit_code == 0 and "label mismatches 0" in r.stdout, r.output
    decided = int(r.stderr.split("golden frames: 60, ")[1].split(" decided")[0])
    assert decided > 40  # poses like the calibration's are accepted, and the C agrees on each
    r = runner.invoke(app, ["export", "gesture", "-c", str(cal), "-o", str(tmp_path / "n"), "--golden-rows",
                            str(tmp_path / "keypoint.csv")])
    assert r.exit_code == 2 and "--golden N" in r.stderr and not (tmp_path / "n").exists()


def test_export_gesture_onnx(tmp_path):
    pytest.importorskip("onnxruntime")
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(5)
    base = rng.normal(size=(3, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 6, (50, 21, 2)) for b in base]) + 300
    cal = StaticGestureClassifier().fit(pts, np.repeat([0, 1, 2], 50)).save(tmp_path / "g.json")
    r = runner.invoke(app, ["export", "gesture", "-c", str(cal), "-o", str(tmp_path / "o"), "-f", "onnx"])
    assert r.exit_code == 0, r.output
    assert "labels agree 100.0%" in r.stdout and (tmp_path / "o" / "gesture_decoder.onnx").exists()


HOSTILE = ["*/ int evil(void){return system(\"touch pwned\");} /*", "#include <stdlib.h>\n#define X", "a\\\nb",
           "'\"quotes\"'", "µV ✓ naïve", "@TABLES@", "*/\n#error injected\n/*"]


def _assert_inert(code: str) -> None:
    """Hostile text may only appear inside comments it cannot close."""
    import re

    assert code.isascii()
    outside = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    assert "*/" not in outside and "evil" not in outside and "pwned" not in outside
    assert "#error" not in outside and "#define X" not in outside


def _hostile_emg_calibration(tmp_path, sim, text):
    import json

    cal = _fit(sim, features="HTD", bandpass_hz=(20, 450)).save(tmp_path / "cal.json")
    doc = json.loads(cal.read_text())
    doc["stream"]["unit"] = text
    doc["stream"]["name"] = text
    doc["device"] = text
    doc["params"]["learned"]["classes"] = [text, "b" + text, "c"]
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(doc))
    return evil


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("text", HOSTILE)
def test_export_emg_takes_no_free_text_into_c(tmp_path, sim, text):
    evil = _hostile_emg_calibration(tmp_path, sim, text)
    r = runner.invoke(app, ["export", "emg", "-c", str(evil), "-o", str(tmp_path / "fw"), "--golden", "1"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "fw" / "pwned").exists()
    for f in (tmp_path / "fw").glob("*.[ch]"):
        _assert_inert(f.read_text())
    # and every file compiles pedantically
    subprocess.run([CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", "sensekit_emg.c"],
                   cwd=tmp_path / "fw", check=True, capture_output=True)


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_refuses_a_name_that_is_not_an_identifier(tmp_path, sim):
    cal = _fit(sim, features="HTD").save(tmp_path / "cal.json")
    r = runner.invoke(app, ["export", "emg", "-c", str(cal), "-o", str(tmp_path / "fw"), "--name", "x */ evil"])
    assert r.exit_code == 2 and "is not a C identifier" in r.stderr and "Traceback" not in r.output
    assert not (tmp_path / "fw").exists()


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_gesture_takes_no_free_text_into_c(tmp_path):
    from sensekit.gesture.static import StaticGestureClassifier

    rng = np.random.default_rng(4)
    base = rng.normal(size=(3, 21, 2)) * 40
    pts = np.concatenate([b + rng.normal(0, 6, (50, 21, 2)) for b in base]) + 300
    cal = StaticGestureClassifier().fit(pts, np.repeat([0, 1, 2], 50), HOSTILE[:3]).save(tmp_path / "g.json")
    r = runner.invoke(app, ["export", "gesture", "-c", str(cal), "-o", str(tmp_path / "c"), "--golden", "50"])
    assert r.exit_code == 0, r.output
    assert "label mismatches 0" in r.stdout and not (tmp_path / "c" / "pwned").exists()
    for f in (tmp_path / "c").glob("*.[ch]"):
        _assert_inert(f.read_text())


def _built_checker(tmp_path, sim, flags=()):
    pipe = _fit(sim, features="HTD+LOGVAR", bandpass_hz=(20, 450), vote=3, window_ms=100, increment_ms=25)
    export_emg_c(pipe, tmp_path)
    x = np.concatenate([t.data for t in sim.trials(reps=1, duration_s=1.0, session=5).trials])
    write_golden(tmp_path / "golden.bin", golden_blocks(pipe.chain(pipe.info_), pipe.info_, x, seed=3), 4, 3)
    r = subprocess.run([CC, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g", *flags,
                        "sensekit_emg.c", "sensekit_emg_check.c", "-lm", "-o", "check"],
                       cwd=tmp_path, capture_output=True, text=True)
    return r


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("start", ["0", str(2**31 - 700), str(2**32 - 700), str(2**63 - 700)])
def test_exported_c_survives_years_of_uptime(tmp_path, sim, start):
    """The sample counter started near 2^31, 2^32 and 2^63 samples: the same decisions as Python,
    every block refused whole when there is no room for its decisions (the checker tries that
    first), sample indices in range."""
    assert _built_checker(tmp_path, sim).returncode == 0
    r = subprocess.run(["./check", "golden.bin", "0", "1e-3", "0", start], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "label mismatches 0" in r.stdout and "bad sample indices 0" in r.stdout


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("flags", [("-m32",), ("-fsanitize=address,undefined", "-fno-sanitize-recover=all")])
def test_exported_c_under_m32_and_sanitizers(tmp_path, sim, flags):
    r = _built_checker(tmp_path, sim, flags)
    if r.returncode != 0:
        pytest.skip(f"the compiler cannot build with {' '.join(flags)} here: {r.stderr.strip()[:200]}")
    probe = subprocess.run(["./check", "golden.bin", "0", "1e-3", "0", str(2**31 - 700)], cwd=tmp_path,
                           capture_output=True, text=True)
    assert probe.returncode == 0, probe.stdout + probe.stderr
    assert "runtime error" not in probe.stderr and "LeakSanitizer" not in probe.stderr


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize(("rate", "settings"), [("500", []), ("1000", ["--set", "burst_tau_s=0.05", "--set",
                                                                      "learn_saccades=none"]),
                                                ("120", ["--set", "rising=false", "--set", "confirm=3"])])
def test_export_eyetrack_c_equals_the_online_detector(tmp_path, rate, settings):
    """'export eyetrack' writes the online saccade detector as C whose events (codes, times,
    delays, gaze, landing points) equal the Python stage's to 1e-9 on simulated gaze with blinks
    fed in random blocks; the budget gives its state, time per sample and latency."""
    import json

    from sensekit.core import StreamInfo
    from sensekit.eyetrack.pipeline import EyePipeline

    out = tmp_path / "fw"
    r = runner.invoke(app, ["export", "eyetrack", "--rate", rate, "-o", str(out), "--golden", "20", *settings])
    assert r.exit_code == 0, r.output
    assert "code mismatches 0" in r.stdout
    events = int(r.stdout.split("events ")[1].split(",")[0])
    assert events > 200  # onsets, offsets, landing updates and blinks of 20 s
    budget = json.loads((out / "budget.json").read_text())
    params = dict(s.split("=") for s in settings[1::2])
    params = {k: {"none": None, "false": False}.get(v, v) for k, v in params.items()}
    pipe = EyePipeline(online=True, params={k: float(v) if isinstance(v, str) else v for k, v in params.items()})
    info = StreamInfo("g", "gaze", float(rate), (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    chain = pipe.gaze_chain(info)
    chain.open(info)
    assert budget["latency_s"] == pytest.approx(chain.latency_s)
    assert budget["state_bytes"] < 1024 and budget["time_per_sample_us_c"] > 0  # (20 ms of history at 1000 Hz)
    # the same C under the sanitizers, where the compiler has them
    build = subprocess.run([CC, "-std=c99", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                            "sensekit_saccades.c", "sensekit_saccades_check.c", "-lm", "-o", "check_san"], cwd=out,
                           capture_output=True, text=True)
    if build.returncode == 0:
        run = subprocess.run(["./check_san", "golden.bin", "1e-9"], cwd=out, capture_output=True, text=True)
        assert run.returncode == 0 and "runtime error" not in run.stderr, run.stdout + run.stderr


@pytest.mark.skipif(CC is None, reason="no C compiler")
@pytest.mark.parametrize("given", ["direction", "eye-directions"])
def test_export_eyetrack_c_takes_a_headsets_gaze_direction(tmp_path, given):
    """A headset's firmware has the gaze as a direction (its frame: -z ahead in OpenXR's), or each
    eye's: the exported C turns it into degrees (sk_direction_degrees) as
    sensekit.eyetrack.directions does, and its events equal the Python chain's to 1e-9."""
    out = tmp_path / "fw"
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "250", "-o", str(out), "--golden", "20",
                            "--input", given])
    assert r.exit_code == 0, r.output
    assert "code mismatches 0" in r.stdout and int(r.stdout.split("events ")[1].split(",")[0]) > 200
    from sensekit.export.golden import read_golden

    channels, outputs, blocks = read_golden(out / "golden.bin")
    assert (channels, outputs) == ({"direction": 3, "eye-directions": 6}[given], 7)
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "250", "-o", str(tmp_path / "no"), "--input", "vector"])
    assert r.exit_code == 2 and "is not one of degrees, direction, eye-directions" in r.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_eyetrack_c_widens_the_speed_window_as_python_does(tmp_path):
    """On a noisy tracker (0.3 deg of white noise at 300 Hz) the detector averages its speed over
    more samples once its noise level has started up; the C does the same, to 1e-9, and the
    budget declares the longest span."""
    from sensekit.core import Chain, StreamInfo
    from sensekit.export import export_saccades_c, write_golden
    from sensekit.export.golden import golden_blocks
    from sensekit.eyetrack.online import OnlineSaccades
    from sensekit.eyetrack.synth import gaze_signal

    info = StreamInfo("gaze", "gaze", 300.0, (2,), channels=("x", "y"), meta={"gaze_units": "deg"})
    stage = OnlineSaccades()
    stage.open(info)
    report = export_saccades_c(stage, tmp_path)
    assert (report["lag"], report["max_lag"]) == (1, 6)
    x, y, _ = gaze_signal(duration_s=20.0, rate=300.0, rng=5, noise_deg=0.3)
    chain = Chain(OnlineSaccades())
    blocks = golden_blocks(chain, info, np.column_stack([x, y]), seed=1)
    assert chain.stages[0]._lag > 1  # widened
    write_golden(tmp_path / "golden.bin", [(b, rows.reshape(-1, 7)) for b, rows in blocks], 2, 7)
    build = subprocess.run([CC, "-std=c99", "-O2", "-DSK_DOUBLE", "sensekit_saccades.c", "sensekit_saccades_check.c",
                            "-lm", "-o", "check"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run(["./check", "golden.bin", "1e-9"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0 and "code mismatches 0" in run.stdout, run.stdout + run.stderr


def test_export_eyetrack_refuses_in_one_line(tmp_path, monkeypatch):
    for args, message in ((["--set", "bogus=1"], "online has no parameter 'bogus'"),
                          (["--set", "confirm=0"], "confirm"),
                          (["--name", "a b"], "is not a C identifier")):
        r = runner.invoke(app, ["export", "eyetrack", "--rate", "500", "-o", str(tmp_path / "fw"), *args])
        assert r.exit_code == 2 and message in r.stderr, (args, r.output)
        assert not (tmp_path / "fw").exists()
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "nan", "-o", str(tmp_path / "fw")])
    assert r.exit_code == 2 and not (tmp_path / "fw").exists()
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no compiler: say how to export without one
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "500", "--golden", "1", "-o", str(tmp_path / "fw")])
    assert r.exit_code == 2 and "leave --golden out" in r.stderr and not (tmp_path / "fw").exists(), r.output


@pytest.mark.skipif(CC is None, reason="no C compiler")
def test_export_eyetrack_checks_the_c_on_a_gaze_recording(tmp_path, shared_data):
    """A headset engineer checks the C on their own tracker's gaze: --golden-from reads a gaze file
    as 'eyetrack events' does (here IRF's EyeLink recording, blinks and losses included), its first
    --golden seconds exactly, as degrees or turned into the directions --input says; another rate,
    too short a file, or no --golden is one line."""
    from sensekit.eyetrack.datasets import load_gaze

    irf = shared_data / "irf-lookatpoint" / "lookAtPoint_EL_S1.npy"
    rec = load_gaze(irf).regular()
    for given, width in (("degrees", 2), ("direction", 3)):
        out = tmp_path / given
        r = runner.invoke(app, ["export", "eyetrack", "--rate", "1000", "-o", str(out), "--golden", "5",
                                "--golden-from", str(irf), "--input", given])
        assert r.exit_code == 0 and "code mismatches 0" in r.stdout, r.output
        channels, _, blocks = read_golden(out / "golden.bin")
        inputs = np.concatenate([b[0] for b in blocks])
        assert channels == width and len(inputs) == 5000
        if given == "degrees":
            np.testing.assert_array_equal(inputs, np.column_stack([rec.x[:5000], rec.y[:5000]]))
            assert np.isnan(inputs).any()  # the recording's losses reach the C as they are
    for args, message in ((["--rate", "500", "--golden", "5"], "sampled at 1000 Hz, not the --rate 500"),
                          (["--rate", "1000", "--golden", "3600"], "fewer than the 3600 s of --golden"),
                          (["--rate", "1000"], "say how many seconds of it with --golden N")):
        r = runner.invoke(app, ["export", "eyetrack", "-o", str(tmp_path / "n"), "--golden-from", str(irf), *args])
        assert r.exit_code == 2 and message in r.stderr and not (tmp_path / "n").exists(), (args, r.output)
    r = runner.invoke(app, ["export", "eyetrack", "--rate", "1000", "-o", str(tmp_path / "n"), "--screen",
                            "531x299mm@1920x1080"])
    assert r.exit_code == 2 and "go with --golden-from" in r.stderr
