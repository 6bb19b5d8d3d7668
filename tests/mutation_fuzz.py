"""Random mutants of valid inputs through the command line: the fuzz corpus's complement.

``fuzz_corpus`` holds damage we thought of; this makes damage nobody thought of. Each mutant is a
valid file of one format (a sensekit recording, an XDF, a WAV, an EDF, a SOFA, an OpenBCI GUI
file, a labelled CSV, a gaze export, keypoint rows, a calibration) changed at random, then run
through the commands that read that format; ``ear`` mutants are renders (signals, options,
scenes, SOFA contents), ``values`` mutants each chain's recordings with rewritten samples, ``meta``
mutants recordings with rewritten stream meta (as a file or another machine's LSL outlet states it). A
correct answer is a clean result, a warning, or one error line with exit code 2; a traceback, a
hang or another exit code is a finding, and so is audio written non-finite or at full scale.
``test_fuzz.py`` runs a few seeds of each family; a long run, for a developer::

    python tests/mutation_fuzz.py text 0 3000     # families: text, json, bytes, ear, values, meta; first seed; count

Every finding so far became a corpus case (a gaze rate of 3 GHz that crashed OpenBLAS, a
labelled CSV with a header only, an HDF5 extent of 1e11 samples, ...).
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

#: Values a mutated calibration field takes.
JSON_VALUES = (None, True, False, 0, -1, 1, 2, 0.5, -1e300, 1e300, 10**12, 10**400, "", "abc", "NaN", [], {}, [0],
               [[1.0]], "x" * 1000, [1.0] * 5, {"a": 1})
#: Cells a mutated text field takes.
TEXT_TOKENS = ("", "nan", "inf", "-inf", "1e309", "abc", "-1", "0", "1e300", "1,2", " ", "\x00", "NaN", "-0", "9" * 40,
               "9" * 400, "1.5", "é")  # (400 digits: a whole number no float holds)


def _text_bases(d: Path) -> dict[str, tuple[Path, list[list[str]]]]:
    """Valid text inputs and the commands that read each."""
    from test_emg_cli import _openbci_file
    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.emg.synth import EMGSimulator
    from sensekit.eyetrack.synth import gaze_signal

    runner = CliRunner()
    sim = EMGSimulator(4, 3, rate=250.0, seed=3)
    order = [(c, r) for r in range(2) for c in range(3)]
    obci = _openbci_file(d / "OpenBCI-RAW-base.txt", sim, order=order)
    band = d / "band.json"
    runner.invoke(app, ["calibrate", "emg", "--from", str(obci), "--classes", "rest=1,fist=2,open=3", "-o", str(band)])
    rows, t = ["time,ch0,ch1,ch2,ch3,label"], 0.0
    for c, rep in order:
        for x in sim.trial(c, 2.0, seed=10 * c + rep):
            rows.append(f"{t:.6f}," + ",".join(f"{v:.5f}" for v in x) + f",{('rest', 'fist', 'open')[c]}")
            t += 1 / 250
    labelled = d / "labelled.csv"
    labelled.write_text("\n".join(rows) + "\n")
    plux = d / "opensignals_0007804D2E76_2019-01-10_10-41-52.txt"  # (a BITalino's OpenSignals file: JSON header, counts)
    plux.write_text("# OpenSignals Text File Format. Version 1\n# " + json.dumps({"00:07:80:4D:2E:76": {
        "sensor": ["EMG", "EMG"], "column": ["nSeq", "I1", "I2", "O1", "O2", "A1", "A2"], "sampling rate": 1000,
        "label": ["A1", "A2"], "resolution": [4, 1, 1, 1, 1, 10, 10], "device": "bitalino_rev"}}) + "\n# EndOfHeader\n"
        + "".join(f"{i % 16}\t0\t0\t0\t0\t{512 + (i * 37) % 81 - 40}\t{512 + (i * 53) % 61 - 30}\n" for i in range(800)))
    clockless = d / "clockless.csv"  # (a dataset's table of channels and a label, its rate in its documentation)
    clockless.write_text("\n".join(["ch0,ch1,ch2,ch3,label"] + [r.split(",", 1)[1] for r in rows[1:]]) + "\n")
    x, y, truth = gaze_signal(duration_s=3.0, rate=300.0, rng=4)
    ok = np.isfinite(x)
    tt, x, y, truth = np.arange(len(x))[ok] / 300.0, x[ok], y[ok], truth[ok]
    gaze = list(zip(tt, x, y, truth, strict=True))
    coded = d / "coded.csv"
    coded.write_text("time,x,y,coder\n" + "".join(f"{a:.5f},{b:.4f},{c:.4f},{k}\n" for a, b, c, k in gaze))
    tobii = d / "tobii.tsv"
    tobii.write_text("Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]\tEye movement "
                     "type\n" + "".join(f"{a * 1000:.1f}\tEye Tracker\t{960 + b * 40:.1f}\t{540 + c * 40:.1f}\t"
                                        f"{'Fixation' if k == 1 else 'Saccade'}\n" for a, b, c, k in gaze))
    cloud = d / "gaze.csv"
    cloud.write_text("section id,recording id,timestamp [ns],gaze x [px],gaze y [px],worn,fixation id,blink id,"
                     "azimuth [deg],elevation [deg]\n" + "".join(
                         f"s,r,{int(a * 1e9) + 1_700_000_000_000_000_000},{800 + b * 30:.1f},{600 + c * 30:.1f},1.0,"
                         f"{1 if k == 1 else ''},,{b:.3f},{c:.3f}\n" for a, b, c, k in gaze))
    core = d / "gaze_positions.csv"
    core.write_text("gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\n" + "".join(
        f"{1000 + a:.5f},{i // 4},{0.95 if i % 50 else 0.3},{0.5 + b / 60:.5f},{0.5 + c / 40:.5f}\n"
        for i, (a, b, c, _) in enumerate(gaze)))
    sdk = d / "tx300.txt"  # (a Tobii Analytics SDK sample file: each eye's gaze in fractions, validity codes)
    sdk.write_text("Time\tLGazePos2dx\tLGazePos2dy\tLValidity\tRGazePos2dx\tRGazePos2dy\tRValidity\n" + "".join(
        f"{2619771723 + round(a * 1e6)}\t{0.5 + b / 40:.4f}\t{0.5 + c / 40:.4f}\t{4 * (i % 97 == 0)}\t"
        f"{0.51 + b / 40:.4f}\t{0.5 + c / 40:.4f}\t{2 * (i % 89 == 0)}\n" for i, (a, b, c, _) in enumerate(gaze)))
    studio = d / "studio.tsv"  # (a Tobii Studio export: pixels, codes, an event row, two recordings)
    studio.write_text("RecordingName\tRecordingTimestamp\tStudioEvent\tGazePointLeftX (ADCSpx)\tGazePointLeftY (ADCSpx)\t"
                      "GazePointRightX (ADCSpx)\tGazePointRightY (ADCSpx)\tValidityLeft\tValidityRight\n" + "".join(
                          f"R{1 + (i >= len(gaze) // 2)}\t{a * 1000:.0f}\t{'ImageStart' if i % 300 == 0 else ''}\t"
                          f"{960 + b * 40:.0f}\t{540 + c * 40:.0f}\t{965 + b * 40:.0f}\t{540 + c * 40:.0f}\t0\t"
                          f"{4 * (i % 53 == 0)}\n" for i, (a, b, c, _) in enumerate(gaze)))
    varjo = d / "varjo.csv"  # (a headset's gaze log: directions, an ns clock, both eyes', a lost sample)
    varjo.write_text("raw_timestamp,status,gaze_forward_x,gaze_forward_y,gaze_forward_z,left_forward_x,left_forward_y,"
                     "left_forward_z,right_forward_x,right_forward_y,right_forward_z\n" + "".join(
                         f"{1700000000000000000 + round(a * 1e9)},{0 if i % 71 == 0 else 2},"
                         + ",".join([f"{np.sin(np.radians(b)):.6f},{np.sin(np.radians(c)):.6f},0.999"] * 3) + "\n"
                         for i, (a, b, c, _) in enumerate(gaze)))
    gazecom = d / "gazecom.arff"  # (GazeCom's hand labels: screen metadata, us clock, codes, a lost sample)
    gazecom.write_text("%@METADATA width_px 1280\n%@METADATA height_px 720\n%@METADATA width_mm 400\n"
                       "%@METADATA height_mm 225\n%@METADATA distance_mm 450\n@RELATION gaze_labels\n"
                       "@ATTRIBUTE time INTEGER\n@ATTRIBUTE x NUMERIC\n@ATTRIBUTE y NUMERIC\n@ATTRIBUTE confidence NUMERIC\n"
                       "@ATTRIBUTE handlabeller_final INTEGER\n@DATA\n" + "".join(
                           f"{round(a * 1e6)},{640 + b * 30:.2f},{360 + c * 30:.2f},{0 if i % 61 == 0 else 1},"
                           f"{min(int(k), 2)}\n" for i, (a, b, c, k) in enumerate(gaze)))
    smi = d / "s01 Samples.txt"  # (an SMI BeGaze export: ## preamble with the screen, us clock, messages, events)
    smi.write_text("## [BeGaze]\n## Sample Rate:\t250\n## Calibration Area:\t1680\t1050\n"
                   "## Stimulus Dimension [mm]:\t474\t297\n## Head Distance [mm]:\t700\n##\n"
                   "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Event Info\n" + "".join(
                       (f"{round(a * 1e6) - 1}\tMSG\t1\t# Message: trial\n" if i % 97 == 0 else "")
                       + f"{round(a * 1e6)}\tSMP\t1\t{840 + b * 30:.2f}\t{525 + c * 30:.2f}\t"
                       f"{('Fixation', 'Saccade', 'Blink', '-')[min(int(k), 3)]}\n" for i, (a, b, c, k) in enumerate(gaze)))
    gazepoint = d / "User 0_all_gaze.csv"  # (a Gazepoint export: fractions of the screen, BPOGV 0 where lost)
    gazepoint.write_text("MEDIA_ID,CNT,TIME(2024/03/01 10:12:01.123),BPOGX,BPOGY,BPOGV,AOI,\n" + "".join(
        f"0,{i},{a:.5f},{0.5 + b / 60:.5f},{0.5 + c / 60:.5f},{0 if i % 71 == 0 else 1},,\n"
        for i, (a, b, c, _) in enumerate(gaze)))
    glasses = d / "gazedata"  # (Tobii Pro Glasses 3's gaze, decompressed: JSON lines, one eye lost, no eye found)
    glasses.write_text("".join(json.dumps({"type": "gaze", "timestamp": 2.5 + a, "data": {} if i % 67 == 0 else {
        "gaze2d": [0.5, 0.5], "gaze3d": [-600 * np.tan(np.radians(b)), 600 * np.tan(np.radians(c)), 600.0],
        **({} if i % 23 == 0 else {"eyeleft": {"gazeorigin": [31.0, -12.0, -24.0], "pupildiameter": 3.0}}),
        "eyeright": {"gazeorigin": [-31.0, -12.0, -24.0], "pupildiameter": 3.1}}}) + "\n"
        for i, (a, b, c, _) in enumerate(gaze)))
    glasses2 = d / "livedata.json"  # (Tobii Pro Glasses 2, decompressed: a measurement a line, gathered by gidx)
    glasses2.write_text("".join(json.dumps(line) + "\n" for i, (a, b, c, _) in enumerate(gaze) for line in (
        {"ts": 3170660907 + round(a * 1e6), "s": 0, "gidx": i, "gp3": [-550 * np.tan(np.radians(b)),
                                                                      550 * np.tan(np.radians(c)), 550.0]},
        {"ts": 3170660907 + round(a * 1e6), "s": int(i % 41 == 0), "gidx": i, "pc": [31.0, -23.0, -28.0], "eye": "left"},
        {"ts": 3170660907 + round(a * 1e6), "s": 0, "gidx": i, "pc": [-31.0, -23.0, -28.0], "eye": "right"},
        {"ts": 3170660907 + round(a * 1e6) + 2, "s": 0, "ac": [0.1, -9.8, 0.2]})))
    aria = d / "general_eye_gaze.csv"  # (Project Aria's eye gaze: us clock, radians in CPF, each eye's yaw)
    aria.write_text("tracking_timestamp_us,left_yaw_rads_cpf,right_yaw_rads_cpf,pitch_rads_cpf,depth_m,session_uid\n"
                    + "".join(f"{round(a * 1e6)},{np.radians(-b) + 0.02:.6f},{np.radians(-b) - 0.02:.6f},"
                              f"{'' if i % 59 == 0 else f'{np.radians(c):.6f}'},1.1,u\n" for i, (a, b, c, _) in enumerate(gaze)))
    neon = d / "neon" / "gaze.csv"  # (Neon Player: scene-camera pixels, with the camera's intrinsics beside them)
    neon.parent.mkdir()
    neon.write_text("timestamp [ns],gaze x [px],gaze y [px]\n" + "".join(
        f"{1700000000000000000 + round(a * 1e9)},{800 + 890 * np.tan(np.radians(b)):.3f},"
        f"{600 + 890 * np.tan(np.radians(c)):.3f}\n" for a, b, c, _ in gaze))
    (neon.parent / "scene_camera.json").write_text(json.dumps({
        "camera_matrix": [[891.0, 0.0, 812.0], [0.0, 890.0, 604.0], [0.0, 0.0, 1.0]],
        "dist_coefs": [[-0.13, 0.11, 0.0002, -0.0003, 0.002, 0.17, 0.05, 0.02]]}))
    asc = d / "base.asc"
    lines = ["** CONVERTED FROM x.edf", "MSG\t1000 !MODE RECORD CR 500 2 1 L",
             "SAMPLES\tGAZE\tLEFT\tRATE\t500.00\tTRACKING\tCR\tFILTER\t2", "START\t1000 \tLEFT\tSAMPLES\tEVENTS",
             "MSG\t1001 TRIALID 1"]
    lines += [f"{1000 + 2 * i}\t{960 + 40 * np.sin(i / 50):.1f}\t540.0\t1000.0\t..." if i != 90 else f"{1000 + 2 * i}"
              "\t.\t.\t0.0\t..." for i in range(900)]
    lines[60:60] = ["SBLINK L 1100", "EBLINK L 1100 1120 20", "ESACC L 1130 1150 20 900.0 540.0 1000.0 540.0 2.5 300"]
    lines.append("EFIX L 1000 1400 400 960 540 1000")
    asc.write_text("\n".join(lines) + "\n")
    shared = Path(os.environ.get("SENSEKIT_DATA") or "/nonexistent") / "kinivi-hand-keypoints"
    out = {"opensignals": (plux, [["info", "{p}"], ["replay", "{p}", "--to", "jsonl"], ["convert", "{p}", "{o}.h5"]]),
           "openbci": (obci, [["info", "{p}"], ["calibrate", "emg", "--from", "{p}", "--classes",
                                                "rest=1,fist=2,open=3", "-o", "{o}.json"],
                              ["emg", "score", str(band), "{p}", "--markers", "rest=1,fist=2,open=3"]]),
           "labelled csv": (labelled, [["info", "{p}"], ["calibrate", "emg", "--from", "{p}", "--classes",
                                                         "rest,fist,open", "-o", "{o}.json"],
                                       ["emg", "score", str(band), "{p}", "--adapt-on", "1", "--labelled"],
                                       ["export", "emg", "-c", str(band), "-o", "{o}", "--golden", "2", "--golden-from",
                                        "{p}"]]),
           "clockless csv": (clockless, [["info", "{p}", "--rate", "250"], [
               "calibrate", "emg", "--from", "{p}", "--classes", "rest,fist,open", "--rate", "250", "-o", "{o}.json"],
               ["emg", "score", str(band), "{p}", "--rate", "250"]]),
           "gaze table": (coded, [["eyetrack", "events", "{p}", "--units", "deg", "--reference", "coder"],
                                  ["eyetrack", "events", "{p}", "--units", "deg", "--reference", "coder", "--online"]]),
           "tobii": (tobii, [["eyetrack", "events", "{p}", *SCREEN]]),
           "pupil cloud": (cloud, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"],
                                   ["export", "eyetrack", "--rate", "300", "-o", "{o}", "--golden", "1",
                                    "--golden-from", "{p}"]]),
           "pupil core": (core, [["eyetrack", "events", "{p}", *SCREEN]]),
           "eyelink": (asc, [["eyetrack", "events", "{p}", *SCREEN]]),
           "tobii sdk": (sdk, [["eyetrack", "events", "{p}", *SCREEN], ["eyetrack", "events", "{p}", *SCREEN,
                                                                       "--online"]]),
           "gazecom": (gazecom, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "headset": (varjo, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"],
                               ["export", "eyetrack", "--rate", "300", "-o", "{o}", "--golden", "1", "--golden-from",
                                "{p}", "--input", "direction"]]),
           "glasses 3": (glasses, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "glasses 2": (glasses2, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "aria": (aria, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "neon player": (neon, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "tobii studio": (studio, [["eyetrack", "events", "{p}", *SCREEN, "--recording", "R2"]]),
           "smi": (smi, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
           "gazepoint": (gazepoint, [["eyetrack", "events", "{p}", *SCREEN], ["info", "{p}"]])}
    if shared.is_dir():  # keypoint rows and trajectories (the public format), and a calibration of them
        rows_dir, ph_dir = d / "rows", d / "ph"
        for folder, name in ((rows_dir, "keypoint"), (ph_dir, "point_history")):
            folder.mkdir()
            src = next(shared.rglob(f"{name}.csv"))
            (folder / f"{name}.csv").write_text("\n".join(src.read_text().splitlines()[::40]) + "\n")
            shutil.copy(next(shared.rglob(f"{name}_classifier_label.csv")), folder)
        hand = d / "hand.json"
        runner.invoke(app, ["calibrate", "gesture", "--from", str(rows_dir / "keypoint.csv"), "--point-history",
                            str(ph_dir / "point_history.csv"), "-o", str(hand)])
        out["keypoint rows"] = (rows_dir / "keypoint.csv", [["gesture", "score", str(hand), "{p}"],
                                                            ["calibrate", "gesture", "--from", "{p}", "-o", "{o}.json"]])
        out["point history"] = (ph_dir / "point_history.csv", [
            ["gesture", "score", str(hand), str(rows_dir / "keypoint.csv"), "--point-history", "{p}"],
            ["calibrate", "gesture", "--from", str(rows_dir / "keypoint.csv"), "--point-history", "{p}", "-o",
             "{o}.json"]])
    return out


SCREEN = ["--screen", "531x299mm@1920x1080", "--distance", "650"]


def _byte_bases(d: Path) -> dict[str, tuple[Path, list[list[str]]]]:
    import edfio
    import soundfile as sf
    from xdf_writer import write_xdf

    from sensekit.core import Frame, StreamInfo
    from sensekit.core.recording import RecordingWriter

    rng = np.random.default_rng(0)
    h5 = d / "base.h5"
    emg = StreamInfo("emg", "emg", 200.0, (4,), dtype="float32", unit="uV")
    gaze = StreamInfo("gaze", "gaze", 250.0, (2,), channels=("x", "y"), unit="deg", meta={"gaze_units": "deg"})
    with RecordingWriter(h5) as w:
        s = w.add_stream(emg)
        for k in range(4):
            s.append(Frame(emg, rng.normal(size=(100, 4)).astype("float32"), t0=k * 0.5, seq=k))
        w.add_stream(gaze).append(Frame(gaze, rng.normal(size=(500, 2)), t0=0.0))
    xdf = d / "base.xdf"
    write_xdf(xdf, [{"name": "EMG", "type": "EMG", "rate": 200.0, "data": rng.normal(size=(800, 4)).astype("float32"),
                     "times": 100 + np.arange(800) / 200, "labels": ["a", "b", "c", "d"]},
                    {"name": "Markers", "type": "Markers", "rate": 0.0, "data": np.array(["rest", "fist"] * 2),
                     "times": 100 + np.arange(4.0)}])
    wav, flac = d / "base.wav", d / "base.flac"
    sf.write(str(wav), rng.normal(0, 0.1, (8000, 4)), 16000)
    sf.write(str(flac), rng.normal(0, 0.1, (8000, 2)), 16000)
    edf = d / "base.edf"
    edfio.Edf([edfio.EdfSignal(np.sin(np.linspace(0, 20, 512)) * 100, sampling_frequency=256, label=f"EMG{i}",
                               physical_dimension="uV") for i in range(2)]).write(edf)
    from scipy.io import savemat

    mat = d / "S1_E1_A1.mat"  # (a Ninapro file: EMG and its stimulus codes)
    savemat(mat, {"emg": rng.normal(size=(1200, 4)), "restimulus": np.repeat([0, 1, 0, 2, 0, 1, 0, 2], 150)[:, None],
                  "frequency": np.array([[200]])})
    glasses = d / "gazedata.gz"  # (Tobii Pro Glasses 3's gaze as the glasses store it)
    glasses.write_bytes(gzip.compress("".join(json.dumps(
        {"type": "gaze", "timestamp": i / 100, "data": {"gaze3d": [float(v), 5.0, 700.0], "eyeleft": {
            "gazeorigin": [31.0, -12.0, -24.0]}, "eyeright": {"gazeorigin": [-31.0, -12.0, -24.0]}}}) + "\n"
        for i, v in enumerate(np.repeat(rng.normal(0, 60, 8), 60))).encode()))
    import msgpack

    packer = msgpack.Packer(use_bin_type=True)
    pldata = d / "gaze.pldata"  # (a Pupil Core recording's gaze: msgpack records of (topic, msgpack payload))
    data = [{"topic": "gaze.3d.01." if i % 9 else "gaze.3d.1.", "timestamp": 500 + i / 200, "norm_pos": [0.5, 0.5],
             "confidence": 0.2 if i % 89 == 0 else 0.9, "gaze_point_3d": [float(v), 4.0, 500.0]}
            for i, v in enumerate(np.repeat(rng.normal(0, 60, 8), 100))]
    pldata.write_bytes(b"".join(packer.pack((datum["topic"], packer.pack(datum))) for datum in data))
    table = d / "export.tsv.gz"  # (a large export kept compressed)
    table.write_bytes(gzip.compress(("stamp\tgx\tgy\n" + "".join(
        f"{4 * i}\t{v:.4f}\t{0.5 * v:.4f}\n" for i, v in enumerate(np.repeat(rng.normal(0, 5, 10), 125)))).encode()))
    extra = {}
    sofa = Path(os.environ.get("SENSEKIT_DATA") or "/nonexistent") / "hrtf-mit-kemar" / "MIT_KEMAR_normal_pinna.sofa"
    if sofa.is_file():
        shutil.copy(sofa, d / "base.sofa")
        extra["sofa"] = (d / "base.sofa", [["spatial", "hrtf", "{p}"]])
    return {**extra, "edf": (edf, [["info", "{p}"], ["replay", "{p}", "--to", "jsonl"], ["convert", "{p}", "{o}.h5"]]),
            "hdf5": (h5, [["info", "{p}"], ["replay", "{p}", "--to", "jsonl"], ["eyetrack", "events", "{p}#gaze"]]),
            "xdf": (xdf, [["info", "{p}"], ["replay", "{p}", "--to", "jsonl"],
                          ["calibrate", "emg", "--from", "{p}", "--classes", "rest,fist", "-o", "{o}.json"]]),
            "wav": (wav, [["info", "{p}"], ["spatial", "localise", "{p}", "--array", "respeaker4"]]),
            "flac": (flac, [["info", "{p}"], ["convert", "{p}", "{o}.wav"]]),
            "glasses 3": (glasses, [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"]]),
            "pupil core": (pldata, [["eyetrack", "events", "{p}"], ["info", "{p}"]]),
            "compressed table": (table, [["eyetrack", "events", "{p}", "--columns", "stamp,gx,gy", "--time-unit", "ms",
                                          "--units", "deg"]]),
            "mat": (mat, [["info", "{p}"], ["calibrate", "emg", "--from", "{p}", "--classes", "rest=0,a=1,b=2", "-o",
                          "{o}.json"]])}


def _json_bases(d: Path) -> dict[str, tuple[Path, list[list[str]]]]:
    import soundfile as sf
    import test_calibration_files as cal

    from sensekit.spatial_audio.arrays import array_preset

    x = np.random.default_rng(3).normal(size=(1650, 4))
    names = ["rest"] * 400 + ["class1"] * 400 + ["class2"] * 400 + ["rest"] * 400 + [""] * 50
    session = d / "session.csv"
    session.write_text("time,ch0,ch1,ch2,ch3,label\n" + "".join(
        f"{i / 200:.3f}," + ",".join(f"{v:.4f}" for v in r) + f",{n}\n" for i, (r, n) in enumerate(zip(x, names, strict=True))))
    rows = d / "rows.csv"
    rows.write_text("".join(f"{i % 3}," + ",".join(f"{v:.3f}" for v in np.random.default_rng(i).uniform(-1, 1, 42))
                            + "\n" for i in range(30)))
    wav = d / "mic.wav"
    sf.write(str(wav), np.random.default_rng(0).normal(0, 0.1, (16000, 4)), 16000)
    geometry = d / "geometry" / "respeaker4.json"  # (a folder of its own: the calibration's file is array.json)
    geometry.parent.mkdir()
    array_preset("respeaker4").save(geometry)
    layout = d / "targets" / "layout.json"
    layout.parent.mkdir()
    layout.write_text(json.dumps({"units": "deg", "targets": [{"name": n, "x": x, "y": y, "radius": 1.5} for n, x, y in
                                                              (("a", -6, 3), ("b", 6, 3), ("c", 0, -3))]}))
    emg = [["calibrate", "check", "{p}"], ["emg", "score", "{p}", str(session), "--adapt-on", "1"],
           ["run", "emg", str(session), "-c", "{p}", "--jsonl"], ["export", "emg", "-c", "{p}", "-o", "{o}"],
           ["calibrate", "emg", "--top-up", "{p}", "--from", str(session), "-o", "{o}.json"]]
    return {"emg lda": (cal._emg(d), emg), "emg mlp": (cal._emg(d, "mlp"), emg),
            "gesture": (cal._gesture(d), [["calibrate", "check", "{p}"], ["gesture", "score", "{p}", str(rows)],
                                          ["export", "gesture", "-c", "{p}", "-o", "{o}"]]),
            "eyetrack": (cal._eyetrack(d), [["calibrate", "check", "{p}"], ["run", "eyetrack", "synth:eye?rate=60",
                                                                             "-c", "{p}", "--duration", "1", "--jsonl"]]),
            "array": (cal._array(d), [["calibrate", "check", "{p}"], ["spatial", "localise", str(wav), "--array",
                                                                       "respeaker4", "-c", "{p}"]]),
            "array geometry": (geometry, [["spatial", "localise", str(wav), "--array", "{p}"],
                                          ["run", "spatial-localise", str(wav), "--array", "{p}", "--jsonl"]]),
            "target layout": (layout, [["run", "select", "--gaze", "synth:selection?stream=gaze&trials=3", "--dwell",
                                        "0.5", "--targets", "{p}", "--jsonl"]])}


def _value_bases(d: Path) -> dict[str, tuple[Path, list[list[str]], np.ndarray, object]]:
    """Valid recordings of each chain's signal (a sensekit recording, a labelled CSV or a float
    WAV), the commands that run the chain on them, their samples and their stream's description:
    the ``values`` family rewrites the samples and runs the commands again."""
    import soundfile as sf
    from test_spatial_localisation import FS, GEOM, _record_sweeps
    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.core import StreamInfo
    from sensekit.core.recording import open_recording
    from sensekit.emg.synth import EMGSimulator
    from sensekit.eyetrack.synth import gaze_signal
    from sensekit.spatial_audio.calibrate import exponential_sweep

    sim = EMGSimulator(4, 3, rate=250.0, seed=3)
    emg = np.concatenate([sim.trial(c, 2.0, seed=10 * c + r) for r in range(2) for c in range(3)])
    session = d / "emg_session.csv"
    session.write_text("time,ch0,ch1,ch2,ch3,label\n" + "".join(
        f"{i / 250:.4f}," + ",".join(f"{v:.5f}" for v in row) + f",{('rest', 'fist', 'open')[(i // 500) % 3]}\n"
        for i, row in enumerate(emg)))
    band = d / "band.json"
    CliRunner().invoke(app, ["calibrate", "emg", "--from", str(session), "--classes", "rest,fist,open", "-o", str(band)])
    x, y, _ = gaze_signal(duration_s=4.0, rate=300.0, rng=5)
    gaze = np.stack([x, y], axis=1)
    rng = np.random.default_rng(1)
    mics = rng.normal(0, 0.05, (8000, 4))
    mics[:, 1:] += np.stack([np.roll(mics[:, 0], k) for k in (2, 4, 6)], axis=1)  # one source, delayed per mic
    mono = rng.normal(0, 0.1, (6000, 1))
    jl = ["--jsonl"]
    layout = d / "layout.json"
    layout.write_text(json.dumps({"units": "deg", "targets": [{"name": n, "x": x, "y": y, "radius": 1.5} for n, x, y in
                                                              (("a", -6, 3), ("b", 6, 3), ("c", 0, -3))]}))
    src = f"synth:selection?seed=7&trials=4&layout={layout}"
    CliRunner().invoke(app, ["capture", src + "&stream=gaze", src + "&stream=hand", "-o", str(d / "s.h5"), "--quiet"])
    with open_recording(d / "s.h5") as rec:
        seen = rec.read("selection-gaze")
    select = ["run", "select", "--gaze", "{p}", "--targets", str(layout), *jl]
    sweeps = [x / np.abs(x).max() * 0.5 for x in _record_sweeps(GEOM, np.ones(6), np.zeros(6), np.ones(6),
                                                                   [(0.0, 0.0), (120.0, 0.0), (240.0, 0.0)],
                                                                   exponential_sweep(FS, 1.0))]
    for i in (1, 2):
        sf.write(str(d / f"sweep{i}.wav"), sweeps[i], int(FS), subtype="DOUBLE")
    calibrate_array = ["calibrate", "array", "{p}", str(d / "sweep1.wav"), str(d / "sweep2.wav"), "--array",
                       "respeaker6", "--seconds", "1", "--direction", "0", "--direction", "120", "--direction", "240",
                       "-o", "{o}.json"]
    labelled = np.column_stack([emg, (np.arange(len(emg)) // 500) % 3])  # (the last column: the class's index)
    return {"emg session": (d / "session.csv", [["calibrate", "emg", "--from", "{p}", "--classes", "rest,fist,open",
                                                 "-o", "{o}.json"], ["emg", "score", str(band), "{p}", "--json"],
                                                ["emg", "score", str(band), "{p}", "--adapt-on", "1", "--labelled"]],
                            labelled, StreamInfo("session", "emg", 250.0, (5,))),
            "emg": (d / "emg.h5", [["run", "emg", "{p}", "-c", str(band), *jl],
                                   ["run", "emg", "{p}", "-c", str(band), "--adapt", *jl]],
                    emg, StreamInfo("emg", "emg", 250.0, (4,), unit="uV")),
            "gaze": (d / "gaze.h5", [["eyetrack", "events", "{p}"], ["eyetrack", "events", "{p}", "--online"],
                                     ["run", "eyetrack", "{p}", "--online", *jl]],
                     gaze, StreamInfo("gaze", "gaze", 300.0, (2,), channels=("x", "y"), unit="deg",
                                      meta={"gaze_units": "deg"})),
            "mics": (d / "mics.wav", [["spatial", "localise", "{p}", "--array", "respeaker4"],
                                      ["run", "spatial-localise", "{p}", "--array", "respeaker4", *jl],
                                      ["spatial", "encode", "{p}", "--array", "tetra", "-o", "{o}.wav"]],
                     mics, StreamInfo("audio", "audio", 16000.0, (4,))),
            "selection gaze": (d / "selection-gaze.h5", [[*select, "--pinch", f"{d / 's.h5'}#selection-hand"],
                                                         [*select, "--dwell", "0.5"]], seen.data, seen.info),
            "array sweep": (d / "sweep0.wav", [calibrate_array], sweeps[0], StreamInfo("audio", "audio", FS, (6,))),
            "mono": (d / "mono.wav", [["spatial", "render", "{p}", "--az", "30", "-o", "{o}.wav"],
                                      ["spatial", "render", "{p}", "--az", "30", "--room", "5x4x3", "-o", "{o}.flac"]],
                     mono, StreamInfo("audio", "audio", 16000.0, (1,)))}


#: Meta keys that chains read from a stream, added to a mutant's meta at random.
META_KEYS = ("gaze_units", "screen", "scene_camera", "gaze_azimuth", "classes", "image_size", "mirrored",
             "full_scale", "array", "rows", "columns")


def _meta_bases(d: Path) -> dict[str, tuple[Path, list[list[str]], np.ndarray, object]]:
    """The ``values`` family's sensekit recordings, and recordings whose stream meta the chains
    read (a screen's pixels, a scene camera's, hand landmarks, decisions, microphones with their
    geometry): the ``meta`` family rewrites the meta, as a file or another machine's LSL outlet
    may state it."""
    import test_calibration_files as cal
    from typer.testing import CliRunner

    from sensekit.cli import app
    from sensekit.core import StreamInfo
    from sensekit.core.recording import open_recording
    from sensekit.spatial_audio.arrays import array_preset

    bases = {name: base for name, base in _value_bases(d).items() if base[0].suffix == ".h5"}
    CliRunner().invoke(app, ["capture", "synth:eye?duration=0.5", "-o", str(d / "eye_base.h5"), "--quiet"])
    with open_recording(d / "eye_base.h5") as rec:
        eye = rec.read()
    gaze = bases["gaze"][2]
    layout = d / "layout.json"
    select = ["run", "select", "--gaze", f"{d / 's.h5'}#selection-gaze", "--targets", str(layout), "--jsonl"]
    with open_recording(d / "s.h5") as rec:
        hand = rec.read("selection-hand")
    hands = np.full((len(hand.data), 1, 22, 6), np.nan)  # (as a camera chain's landmarks: one hand, right)
    hands[:, 0, :21, :2], hands[:, 0, 21, :3] = hand.data, (1.0, 1.0, 1.0)
    screen = {"width_mm": 531, "height_mm": 299, "width_px": 1920, "height_px": 1080, "distance_mm": 650}
    camera = {"camera_matrix": [[890.0, 0, 800], [0, 890.0, 600], [0, 0, 1]], "dist_coefs": [0.0] * 8}
    events = [["eyetrack", "events", "{p}"], ["run", "eyetrack", "{p}", "--online", "--jsonl"]]
    mics = np.random.default_rng(2).normal(0, 0.05, (8000, 6))
    bases.update({
        "gaze px": (d / "gaze_px.h5", events, gaze * 30 + 900,
                    StreamInfo("gaze", "gaze", 300.0, (2,), meta={"gaze_units": "px", "screen": screen})),
        "scene px": (d / "scene_px.h5", events, gaze * 20 + 800,
                     StreamInfo("gaze", "gaze", 300.0, (2,), meta={"gaze_units": "px", "scene_camera": camera})),
        "hands": (d / "hands.h5", [[*select, "--pinch", "{p}"], ["run", "gesture", "{p}", "-c", str(cal._gesture(d)),
                                                                 "--jsonl"]], hands,
                  hand.info.replace(rate=30.0, shape=(1, 22, 6), meta={**dict(hand.info.meta), "image_size": [640, 480],
                                                                       "mirrored": False})),
        "eye images": (d / "eye.h5", [["run", "eyetrack", "{p}", "-c", str(cal._eyetrack(d)), "--jsonl"]], eye.data,
                       eye.info.replace(meta={**dict(eye.info.meta), "image_size": [192, 192]})),
        "decisions": (d / "decisions.h5", [[*select, "--pinch", "{p}"]], np.zeros((400, 3)),
                      StreamInfo("band", "label", 20.0, (3,), meta={"classes": ["rest", "pinch"]})),
        "mics h5": (d / "mics.h5", [["run", "spatial-localise", "{p}", "--jsonl"], ["spatial", "localise", "{p}"]],
                    mics, StreamInfo("mics", "audio", 16000.0, (6,), meta={
                        "full_scale": 1.0, "array": array_preset("respeaker6").to_dict()})),
    })
    return bases


def meta_mutant(seed: int, bases: dict, d: Path) -> tuple[str, Path, list[list[str]]]:
    """Mutant ``seed`` of the ``meta`` family, written into folder ``d``: a recording whose
    stream meta has keys added, replaced, dropped, scaled or cut (:func:`mutate_json`)."""
    rnd = random.Random(seed)
    name = rnd.choice(sorted(bases))
    base, commands, x, info = bases[name]
    meta = json.loads(info.to_json())["meta"]
    for _ in range(rnd.randint(0, 2)):
        meta[rnd.choice(META_KEYS)] = rnd.choice(JSON_VALUES)
    if meta:
        meta = mutate_json(meta, rnd)
    mutant = d / base.name
    _write_values(mutant, np.asarray(x), info.replace(meta=meta))
    return name, mutant, commands


def mutate_values(x: np.ndarray, rnd: random.Random) -> np.ndarray:
    """One to three edits of a recording's samples: a NaN burst, an infinity, a huge or denormal
    sample, a flat or dead channel, a DC offset, saturation, a cut to a few samples."""
    x = np.array(x, dtype=np.float64)
    for _ in range(rnd.randint(1, 3)):
        n, c = x.shape
        if not n:
            break
        a, ch = rnd.randrange(n), rnd.randrange(c)
        k = rnd.choice((1, 2, 10, 300, n))
        op = rnd.choice(("nan", "inf", "huge", "flat", "dead", "dc", "denormal", "clip", "allnan", "cut"))
        if op == "nan":
            x[a:a + k, rnd.choice((ch, slice(None)))] = np.nan
        elif op == "inf":
            x[a, ch] = rnd.choice((np.inf, -np.inf))
        elif op == "huge":
            x[a:a + rnd.choice((1, 5)), ch] = rnd.choice((1e300, -1e30, 1e9, 5e-324))
        elif op == "flat":
            x[a:a + k, ch] = x[a, ch]
        elif op == "dead":
            x[:, ch] = 0.0
        elif op == "dc":
            x[:, ch] += rnd.choice((1e6, -3.0, 1e-3))
        elif op == "denormal":
            x *= 1e-310
        elif op == "clip":
            x = np.clip(x, -0.01, 0.01) if rnd.random() < 0.5 else np.sign(x)
        elif op == "allnan":
            x[:] = np.nan
        else:
            x = x[: rnd.choice((0, 1, 2, 5, 64))]
    return x


def mutate_block_times(n: int, rate: float, rnd: random.Random) -> list[float]:
    """Start times of ``n`` blocks of 100 samples with one or two clock faults: a jump back, a
    gap of seconds or of years, a block stamped twice, a block overlapping the one before."""
    t0 = [k * 100 / rate for k in range(n)]
    for _ in range(rnd.randint(1, 2)):
        if n < 2:
            break
        k = rnd.randrange(1, n)
        op = rnd.choice(("back", "gap", "years", "twice", "overlap"))
        shift = {"back": -rnd.choice((0.05, 1.0, 100.0)), "gap": rnd.choice((0.5, 5.0)), "years": 1e9,
                 "twice": t0[k - 1] - t0[k], "overlap": -50 / rate}[op]
        t0[k:] = [t + shift for t in t0[k:]]
    return t0


def _write_values(path: Path, x: np.ndarray, info, block_times: list[float] | None = None) -> None:
    """``x`` as a float WAV, a labelled CSV (its last column the class's index; any other value
    leaves the row unlabelled) or a one-stream sensekit recording of stream ``info`` in blocks of
    100 samples (starting at ``block_times``, default one after the other)."""
    if path.suffix == ".csv":
        names = ("rest", "fist", "open")
        path.write_text("time," + ",".join(f"ch{c}" for c in range(x.shape[1] - 1)) + ",label\n" + "".join(
            f"{i / info.rate!r}," + ",".join(repr(float(v)) for v in row[:-1])
            + f",{names[int(row[-1])] if row[-1] in (0, 1, 2) else ''}\n" for i, row in enumerate(x)))
    elif path.suffix == ".wav":
        import soundfile as sf

        sf.write(str(path), x, int(info.rate), subtype="DOUBLE")
    else:
        from sensekit.core import Frame
        from sensekit.core.recording import RecordingWriter

        with RecordingWriter(path) as w:
            s = w.add_stream(info)
            for k in range(0, len(x), 100):
                t0 = block_times[k // 100] if block_times is not None else k / info.rate
                s.append(Frame(info, x[k:k + 100], t0=t0, seq=k // 100))


def _strict_json_lines(text: str) -> str | None:
    """The first stdout line that looks like a JSON object but is not strict JSON (NaN and
    Infinity are not JSON), or None."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    for line in text.splitlines():
        if line.startswith("{"):
            try:
                json.loads(line, parse_constant=refuse)
            except ValueError as e:
                return f"{e}: {line[:200]}"
    return None


def mutate_text(text: str, rnd: random.Random) -> str:
    """One to four line edits: delete, repeat, swap, a field or a header name changed, cut, junk
    bytes appended, a blank line."""
    lines = text.split("\n")
    for _ in range(rnd.randint(1, 4)):
        lines = lines or [""]
        i = rnd.randrange(len(lines))
        op = rnd.choice(("del", "dup", "swap", "field", "header", "trunc", "bytes", "blank"))
        if op == "del" and len(lines) > 1:
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rnd.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op in ("field", "header"):
            i = 0 if op == "header" else i
            sep = "\t" if "\t" in lines[i] else ","
            cells = lines[i].split(sep)
            k = rnd.randrange(len(cells))
            cells[k] = rnd.choice(TEXT_TOKENS if op == "field" else (*TEXT_TOKENS, cells[k].upper(), cells[k] + "x"))
            lines[i] = sep.join(cells)
        elif op == "trunc":
            lines = lines[: rnd.randrange(len(lines) + 1)]
        elif op == "bytes":
            lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)] + "".join(
                chr(rnd.randrange(256)) for _ in range(rnd.randrange(1, 8)))
        elif op == "blank":
            lines.insert(i, "")
    return "\n".join(lines)


def mutate_bytes(data: bytes, rnd: random.Random) -> bytes:
    """Bytes flipped, a block overwritten or zeroed, or the file cut."""
    data = bytearray(data)
    op = rnd.choice(("flip", "flip", "block", "zero", "trunc"))
    if op == "flip":
        for _ in range(rnd.randint(1, 20)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    elif op == "block":
        a, n = rnd.randrange(len(data)), rnd.randint(4, 512)
        data[a:a + n] = bytes(rnd.randrange(256) for _ in range(n))
    elif op == "zero":
        a = rnd.randrange(len(data))
        data[a:a + rnd.randint(4, 4096)] = bytes(rnd.randint(4, 4096))
    else:
        data = data[: rnd.randrange(len(data))]
    return bytes(data)


def mutate_json(doc, rnd: random.Random):
    """One to three fields of a JSON document replaced, dropped, scaled, negated, shortened or
    lengthened."""
    doc = copy.deepcopy(doc)

    def leaves(o, path=()):
        yield path
        items = o.items() if isinstance(o, dict) else enumerate(o[:6]) if isinstance(o, list) else ()
        for k, v in items:
            yield from leaves(v, (*path, k))

    paths = [p for p in leaves(doc) if p]
    for _ in range(rnd.randint(1, 3)):
        path = rnd.choice(paths)
        parent = doc
        try:
            for k in path[:-1]:
                parent = parent[k]
            old = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # (an earlier edit removed it)
        if not isinstance(parent, (dict, list)):
            continue  # (an earlier edit made it text)
        key, number = path[-1], isinstance(old, (int, float)) and not isinstance(old, bool)
        op = rnd.choice(("value", "value", "drop", "scale", "neg", "shrink", "grow"))
        if op == "value":
            parent[key] = rnd.choice(JSON_VALUES)
        elif op == "drop":
            del parent[key]
        elif op == "scale" and number:
            factor = rnd.choice((0, 1e6, -1, 1e-9, 3))
            parent[key] = old * factor if abs(old) < 1e300 else old * int(factor)  # (10**400 times a float overflows)
        elif op == "neg" and number:
            parent[key] = -old
        elif op == "shrink" and isinstance(old, list) and old:
            parent[key] = old[: rnd.randrange(len(old))]
        elif op == "grow" and isinstance(old, list) and old:
            parent[key] = old + old[:1]
    return doc


def _judge(r, what: str, limit_s: int) -> str | None:
    """A finding from one command's result (None: a clean result, a warning or one error line)."""
    if r is None:
        return f"{what}: no answer in {limit_s} s"
    if r.exception is not None and not isinstance(r.exception, SystemExit) or "Traceback" in r.output:
        return f"{what}: {type(r.exception).__name__}: {str(r.exception)[:200]}"
    if r.exit_code not in (0, 2):
        return f"{what}: exit {r.exit_code}: {r.output[-200:]!r}"
    if r.exit_code == 2 and sum(line.startswith("error:") for line in r.stderr.splitlines()) != 1:
        return f"{what}: not one error line: {r.stderr[-300:]!r}"
    return None


#: Input signals of the ``ear`` family: (name, channels, rate, samples from (rng, n, channels)).
EAR_SIGNALS = (
    ("noise", 2, 16000, lambda g, n, c: g.normal(0, 0.1, (n, c))),
    ("full-scale square", 1, 16000, lambda g, n, c: np.sign(np.sin(np.arange(n) / 3))[:, None] * np.ones(c)),
    ("float 1e6", 2, 16000, lambda g, n, c: g.normal(0, 1e6, (n, c))),
    ("float 1e30", 1, 16000, lambda g, n, c: np.full((n, c), 1e30)),
    ("impulse", 1, 48000, lambda g, n, c: np.eye(n, c) * 1.0),
    ("denormal", 1, 16000, lambda g, n, c: np.full((n, c), 1e-310)),
    ("silence", 3, 16000, lambda g, n, c: np.zeros((n, c))),
    ("dc", 1, 8000, lambda g, n, c: np.ones((n, c))),
    ("four mics", 4, 16000, lambda g, n, c: g.normal(0, 0.3, (n, c))),
    ("first-order field", 4, 16000, lambda g, n, c: g.normal(0, 0.5, (n, c))),
    ("one sample", 1, 16000, lambda g, n, c: np.ones((1, c)) * 0.5),
    ("192 kHz", 1, 192000, lambda g, n, c: g.normal(0, 0.1, (n, c))),
)
#: Option values of the ``ear`` family (CLI text, as a user types it).
EAR_OPTIONS = {
    "--az": ("0", "90", "-30", "359.9", "1e3", "1e300", "nan", "-inf"),
    "--el": ("0", "45", "90", "-90", "91", "nan"),
    "--distance": ("1", "0.01", "1e-9", "0", "-1", "1000", "1e300"),
    "--room": ("6x5x3", "0.1x0.1x0.1", "1000x1000x1000", "1e-9x1x1", "3x3x3x3", "nanx2x2", "1e300x2x2"),
    "--rt60": ("0.5", "0.01", "30", "0", "1e300", "0.1,0.2,0.3,0.4,0.5,0.6,0.7", "nan"),
    "--block": ("16", "17", "4096", "100000"),
    "--mode": ("direct", "ambisonics", "auto"),
    "--order": ("1", "2", "3"),
    "--hrtf-rate": ("44100", "8000", "1000", "768000"),
}


def _mutate_sofa(src: Path, dst: Path, rnd: random.Random) -> None:
    """A SOFA file whose contents (not its bytes) are changed: responses scaled, zeroed, one
    direction made huge, the rate, positions, view or delays changed."""
    import h5py

    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        for _ in range(rnd.randint(1, 2)):
            op = rnd.choice(("scale", "one", "tap", "rate", "pos", "view", "delay"))
            if op == "scale":
                f["Data.IR"][...] = f["Data.IR"][...] * rnd.choice((1e30, 1e6, 1e-30, -1.0, 0.0, 1e300))
            elif op == "one":
                ir = f["Data.IR"][...]
                ir[rnd.randrange(len(ir))] *= rnd.choice((1e6, 1e12, 0.0))
                f["Data.IR"][...] = ir
            elif op == "tap":
                ir = np.zeros(f["Data.IR"].shape)
                ir[:, :, rnd.randrange(ir.shape[2])] = rnd.choice((1.0, 1e9, 5e-324))
                f["Data.IR"][...] = ir
            elif op == "rate":
                f["Data.SamplingRate"][...] = rnd.choice((1.0, 8000.0, 1e9, 0.0, -44100.0, np.nan, 22050.0))
            elif op == "pos":
                pos = f["SourcePosition"][...]
                col = rnd.randrange(3)
                pos[:, col] = rnd.choice((0.0, 1e30, -1.0, pos[0, col]))
                if rnd.random() < 0.3:
                    pos[rnd.randrange(len(pos)), col] = np.nan
                f["SourcePosition"][...] = pos
            elif op == "view":
                f["ListenerView"][...] = rnd.choice((0.0, 1e300, -1.0))
            else:
                f["Data.Delay"][...] = rnd.choice((0.0, 1e9, -5.0, 3.5, np.nan))


def _ear_mutant(rnd: random.Random, d: Path, sofa: Path | None) -> tuple[str, list[str]]:
    """One input signal and one command line that writes audio from it (``spatial render`` or
    ``spatial encode``), with random options, scene and HRTF."""
    import soundfile as sf

    name, channels, rate, make = rnd.choice(EAR_SIGNALS)
    n = rnd.choice((1, 300, 4000))
    x = np.asarray(make(np.random.default_rng(rnd.randrange(1 << 30)), n, channels), dtype=np.float64)
    wav = d / ("in.ambix.wav" if name == "first-order field" else "in.wav")
    subtype = rnd.choice(("DOUBLE", "FLOAT", "PCM_16")) if np.abs(x).max(initial=0) <= 1 else "DOUBLE"
    sf.write(str(wav), x, rate, subtype=subtype)
    out = d / rnd.choice(("out.wav", "out.flac"))
    what = f"{name} {subtype}"
    if channels == 4 and name == "four mics" and rnd.random() < 0.5:
        args = ["spatial", "encode", str(wav), "--array", rnd.choice(("respeaker4", "tetra")), "-o", str(out)]
        if rnd.random() < 0.5:
            args += ["--order", rnd.choice(("1", "2"))]
        return what, args
    args = ["spatial", "render", str(wav), "-o", str(out)]
    hrtf = sofa is not None and rnd.random() < 0.5
    scene = rnd.random() < 0.3
    options = set(rnd.sample(sorted(EAR_OPTIONS), rnd.randint(0, 4)))
    if rnd.random() < 0.8:  # mostly options that go together (the rest: their refusals)
        field = wav.name.endswith(".ambix.wav")
        options -= {o for o, clash in (("--rt60", "--room" not in options), ("--hrtf-rate", not hrtf),
                                       ("--order", "--room" in options or field), ("--mode", "--room" in options or field),
                                       ("--rt60", field), ("--az", scene or field), ("--el", scene or field),
                                       ("--distance", scene or field), ("--room", field)) if clash}
    for option in sorted(options):
        values = EAR_OPTIONS[option]
        repeat = channels if option in ("--az", "--el", "--distance") and rnd.random() < 0.8 else 1
        for _ in range(repeat):
            args += [option, rnd.choice(values)]
    if hrtf:
        mutated = d / "hrtf.sofa"
        _mutate_sofa(sofa, mutated, rnd)
        args += ["--hrtf", str(mutated)]
        what += " mutated sofa"
    if scene:
        doc = {"sources": [{"channel": c, "keyframes": [[0, 30 * c, 0, 1.5], [0.01, 30 * c + 90, 10, 2.0]]}
                           for c in range(channels)], "listener": {"keyframes": [[0, 0, 0, 0], [0.01, 90, 0, 0]]}}
        (d / "scene.json").write_text(json.dumps(mutate_json(doc, rnd) if rnd.random() < 0.7 else doc))
        args += ["--scene", str(d / "scene.json")]
        what += " scene"
    return what, args


def _audio_finding(path: Path) -> str | None:
    """What is wrong with an audio file a command wrote: a non-finite sample, or one at or past
    full scale (None: nothing)."""
    import soundfile as sf

    try:
        y, _ = sf.read(str(path), dtype="float64", always_2d=True)
    except sf.LibsndfileError as e:
        return f"an audio file that does not open: {e}"
    if not np.isfinite(y).all():
        return f"{int((~np.isfinite(y)).sum())} non-finite samples written"
    if y.size and np.abs(y).max() >= 1.0:
        return f"a sample at {np.abs(y).max():.3g}, at or past full scale"
    return None


def values_mutant(seed: int, bases: dict, d: Path) -> tuple[str, Path, list[list[str]]]:
    """Mutant ``seed`` of the ``values`` family, written into folder ``d``: the base's name, the
    mutant's path and the commands to run on it."""
    rnd = random.Random(seed)
    name = rnd.choice(sorted(bases))
    base, commands, x, info = bases[name]
    mutant = d / base.name
    values = mutate_values(x, rnd) if rnd.random() < 0.8 else np.array(x, dtype=np.float64)
    times = mutate_block_times(-(-len(values) // 100), info.rate, rnd) if mutant.suffix == ".h5" and \
        rnd.random() < 0.4 else None
    _write_values(mutant, values, info, times)
    return name, mutant, commands


def _calibration_finding(path: Path) -> str | None:
    """What is wrong with a calibration file a command wrote: one its own loader refuses."""
    from sensekit.core.calibration import load_calibration
    from sensekit.errors import SensekitError

    try:
        load_calibration(path)
    except SensekitError as e:
        return f"a calibration written that does not load: {e}"
    return None


def _file_maker(family: str, folder: Path):
    """Mutants of the ``text``, ``bytes`` or ``json`` family: a valid file of one format, changed
    (with the files beside it that it needs: keypoint rows' labels, a scene camera's intrinsics)."""
    bases = {"text": _text_bases, "bytes": _byte_bases, "json": _json_bases}[family](folder)

    def make(seed: int, d: Path) -> tuple[str, Path, list[list[str]]]:
        rnd = random.Random(seed)
        name = rnd.choice(sorted(bases))
        base, commands = bases[name]
        mutant = d / base.name
        for label in [*base.parent.glob("*_label.csv"), *base.parent.glob("scene_camera.json")]:
            shutil.copy(label, d)
        if family == "text":
            mutant.write_bytes(mutate_text(base.read_text(), rnd).encode("utf-8", "surrogateescape"))
        elif family == "bytes":
            mutant.write_bytes(mutate_bytes(base.read_bytes(), rnd))
        else:
            mutant.write_text(json.dumps(mutate_json(json.loads(base.read_text()), rnd)))
        return name, mutant, commands

    return make


def _ear_maker(folder: Path):
    """Mutants of the ``ear`` family: one render or encode command line each (:func:`_ear_mutant`)."""
    sofa = Path(os.environ.get("SENSEKIT_DATA") or "/nonexistent") / "hrtf-mit-kemar" / "MIT_KEMAR_normal_pinna.sofa"
    sofa = sofa if sofa.is_file() else None

    def make(seed: int, d: Path) -> tuple[str, Path, list[list[str]]]:
        what, args = _ear_mutant(random.Random(seed), d, sofa)
        return what, d, [args]

    return make


def _values_maker(folder: Path):
    """Mutants of the ``values`` family (:func:`values_mutant`)."""
    bases = _value_bases(folder)
    return lambda seed, d: values_mutant(seed, bases, d)


def _meta_maker(folder: Path):
    """Mutants of the ``meta`` family (:func:`meta_mutant`)."""
    bases = _meta_bases(folder)
    return lambda seed, d: meta_mutant(seed, bases, d)


#: How each family makes mutant ``seed`` in a folder: ``(name, mutant's path, commands)``.
MAKERS = {"text": lambda folder: _file_maker("text", folder), "bytes": lambda folder: _file_maker("bytes", folder),
          "json": lambda folder: _file_maker("json", folder), "ear": _ear_maker, "values": _values_maker,
          "meta": _meta_maker}
#: Families whose commands' outputs are checked too: JSON lines strict JSON, audio finite and under
#: full scale (renders), a calibration that loads.
OUTPUTS_CHECKED = ("ear", "values", "meta")


def _output_finding(stdout: str, d: Path) -> str | None:
    """What is wrong with what a command printed or wrote into ``d`` (``out.*``)."""
    bad = _strict_json_lines(stdout)
    audio = next((o for o in d.glob("out.*") if o.suffix in (".wav", ".flac")), None)
    bad = bad or (_audio_finding(audio) if audio is not None else None)
    cal = d / "out.json"
    return bad or (_calibration_finding(cal) if cal.exists() else None)


def run_mutants(family: str, seeds, folder: Path, *, limit_s: int = 60) -> tuple[int, list[str]]:
    """Mutants ``seeds`` of ``family`` (text, bytes, json, ear, values, meta) through their commands, in
    ``folder``: the number of command runs and the findings (a traceback, a hang, an exit code
    other than 0 and 2, an error that is not one line; for ``ear`` and ``values``, also JSON lines
    that are not strict JSON, audio written with a non-finite sample or one at or past full scale,
    and a calibration written that does not load)."""
    from fuzz_corpus import invoke_within

    folder.mkdir(parents=True, exist_ok=True)
    make = MAKERS[family](folder)
    runs, findings = 0, []
    for seed in seeds:
        d = folder / f"m{seed}"
        d.mkdir()
        name, mutant, commands = make(seed, d)
        for command in commands:
            args = [a.format(p=mutant, o=d / "out") for a in command]
            runs += 1
            what = f"{family} seed {seed} ({name}) {' '.join(command[:2])}"
            r = invoke_within(args, limit_s)
            finding = _judge(r, what, limit_s)
            if finding is None and r.exit_code == 0 and family in OUTPUTS_CHECKED:
                bad = _output_finding(r.stdout, d)
                finding = f"{what}: {bad}" if bad else None
            if finding:
                findings.append(finding)
            for out in d.glob("out.*"):
                if out.is_file():
                    out.unlink()
        shutil.rmtree(d)
    return runs, findings


if __name__ == "__main__":  # python tests/mutation_fuzz.py FAMILY FIRST_SEED COUNT [FOLDER]
    import tempfile

    family, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    folder = Path(sys.argv[4]) if len(sys.argv) > 4 else Path(tempfile.mkdtemp(prefix="sensekit-mutants-"))
    n, found = run_mutants(family, range(first, first + count), folder)
    print("\n".join(found))
    print(f"{family}: {count} mutants, {n} command runs, {len(found)} findings (in {folder})")
