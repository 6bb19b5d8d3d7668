"""A corpus of damaged inputs, built at test time, for every reader sensekit has (issue 16).

Each case is ``(name, path, commands, expect)``: the CLI commands to run on the file, and what
a correct answer is — ``"refuse"`` (exit 2 with one error line), ``"warn"`` (a warning that
says what was changed, or a refusal) or ``"any"`` (the damage is harmless: a clean result).
"""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import h5py
import numpy as np
import soundfile as sf

from sensekit.core import Frame, StreamInfo
from sensekit.core.recording import RecordingWriter


class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang


def invoke_within(args: list[str], limit_s: int = 10):
    """``sensekit ARGS`` in this process (Typer's runner), or None when it gives no answer within
    ``limit_s`` seconds (a hang)."""
    from typer.testing import CliRunner

    from sensekit.cli import app

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(limit_s)
    try:
        return CliRunner().invoke(app, [str(a) for a in args])
    except _Hang:
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


REC_CMDS = (("info", "{p}"), ("info", "--json", "{p}"), ("replay", "{p}", "--to", "jsonl"),
            ("convert", "{p}", "{out}.h5"))
AUDIO_CMDS = (("info", "{p}"), ("convert", "{p}", "{out}.wav"), ("replay", "{p}", "--to", "jsonl"))


def _h5(path: Path) -> Path:
    rng = np.random.default_rng(0)
    info = StreamInfo("emg", "emg", 200.0, (8,), dtype="float32", unit="uV")
    lm = StreamInfo("hand", "landmarks", 0.0, (3,), dtype="float64")
    with RecordingWriter(path) as w:
        s = w.add_stream(info)
        for k in range(4):
            s.append(Frame(info, rng.normal(size=(50, 8)).astype("float32"), t0=k * 0.25, seq=k))
        s2 = w.add_stream(lm)
        s2.append(Frame(lm, rng.normal(size=(20, 3)), times=np.arange(20) / 30.0, seq=0))
    return path


def _tamper_h5(src: Path, dst: Path, fn) -> Path:
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        fn(f)
    return dst


def _set_attr(obj_path, key, value):
    def fn(f):
        f[obj_path].attrs[key] = value if obj_path != "/" else value
    return fn


def _info_edit(**changes):
    def fn(f):
        d = json.loads(f["streams/emg"].attrs["info"])
        d.update(changes)
        f["streams/emg"].attrs["info"] = json.dumps(d)
    return fn


def _delete(path):
    def fn(f):
        del f[path]
    return fn


def _replace(path, data):
    def fn(f):
        del f[path]
        f[path] = data
    return fn


def _blocks_edit(field, index, value):
    def fn(f):
        b = f["streams/emg/blocks"][:]
        b[field][index] = value
        f["streams/emg/blocks"][...] = b
    return fn


def hdf5_cases(tmp: Path) -> list[tuple]:
    good = _h5(tmp / "good.h5")
    edits = {
        "format attr wrong": (_set_attr("/", "format", "not-sensekit"), "refuse"),
        "schema_version abc": (_set_attr("/", "schema_version", "abc"), "refuse"),
        "schema_version 99": (_set_attr("/", "schema_version", 99), "refuse"),
        "info null": (_set_attr("streams/emg", "info", "null"), "refuse"),
        "info not json": (_set_attr("streams/emg", "info", "{{{"), "refuse"),
        "info empty object": (_set_attr("streams/emg", "info", "{}"), "refuse"),
        "info 4 channels over 8": (_info_edit(shape=[4], channels=["a", "b", "c", "d"]), "refuse"),
        "info dtype int16 over float32": (_info_edit(dtype="int16"), "refuse"),
        "info rate nan": (_info_edit(rate="nan"), "refuse"),
        "info rate negative": (_info_edit(rate=-5), "refuse"),
        "info rate 0 (no times)": (_info_edit(rate=0), "refuse"),
        "info unknown field": (_info_edit(evil="x"), "refuse"),
        "info attr missing": (lambda f: f["streams/emg"].attrs.__delitem__("info"), "refuse"),
        "data missing": (_delete("streams/emg/data"), "refuse"),
        "blocks missing": (_delete("streams/emg/blocks"), "refuse"),
        "times missing": (_delete("streams/hand/times"), "refuse"),
        "data 1-D": (_replace("streams/emg/data", np.zeros(10)), "refuse"),
        "data strings": (_replace("streams/emg/data", np.array([b"x"] * 10)), "refuse"),
        "blocks wrong dtype": (_replace("streams/emg/blocks", np.zeros(4)), "refuse"),
        "blocks t0 nan": (_blocks_edit("t0", 0, np.nan), "refuse"),
        "blocks t0 inf later": (_blocks_edit("t0", 2, np.inf), "refuse"),
        "blocks start beyond data": (_blocks_edit("start", 3, 10_000), "warn"),
        "blocks n negative": (_blocks_edit("n", 1, -7), "refuse"),
        "blocks seq going back": (_blocks_edit("seq", 3, 0), "warn"),
        "times nan": (_replace("streams/hand/times", np.full(20, np.nan)), "refuse"),
        "times going back": (_replace("streams/hand/times", np.arange(20)[::-1] / 30.0), "refuse"),
        "times too short": (_replace("streams/hand/times", np.arange(5) / 30.0), "refuse"),
        "no streams group": (_delete("streams"), "refuse"),
        "empty streams group": (lambda f: [f["streams"].__delitem__(k) for k in list(f["streams"])], "refuse"),
        "stream group a dataset": (_replace("streams/hand", np.zeros(3)), "refuse"),
        "data with NaN samples": (lambda f: f["streams/emg/data"].__setitem__((5, 2), np.nan), "any"),
        "data extent of 1e11 samples": (lambda f: f["streams/emg/data"].resize(10**11, axis=0), "refuse"),  # 3 TB
    }
    cases = []
    for i, (name, (fn, expect)) in enumerate(edits.items()):
        cases.append((f"h5 {name}", _tamper_h5(good, tmp / f"t{i}.h5", fn), REC_CMDS, expect))
    raw = good.read_bytes()
    tree = raw.find(b"TREE", raw.find(b"TREE") + 4)  # a chunk index's B-tree node (the first is the groups')
    p = tmp / "tree.h5"
    p.write_bytes(raw[:tree] + b"XXXX" + raw[tree + 4:])
    cases.append(("h5 chunk index damaged (wrong B-tree signature)", p, REC_CMDS, "refuse"))
    for frac in np.linspace(0.0, 0.99, 30):
        p = tmp / f"trunc{int(frac * 100)}.h5"
        p.write_bytes(raw[: int(len(raw) * frac)])
        cases.append((f"h5 truncated at {frac:.0%}", p, REC_CMDS, "refuse"))
    for seed in range(10):
        p = tmp / f"random{seed}.h5"
        p.write_bytes(b"\x89HDF\r\n\x1a\n" * (seed % 2) + np.random.default_rng(seed).bytes(4096))
        cases.append((f"h5 random bytes {seed}", p, REC_CMDS, "refuse"))
    return cases


def audio_cases(tmp: Path) -> list[tuple]:
    x = (np.sin(np.arange(48000) / 10)[:, None] * [0.5, 0.25]).astype("float32")
    cases = []
    for fmt in ("wav", "flac"):
        good = tmp / f"good.{fmt}"
        sf.write(good, x, 16000)
        raw = good.read_bytes()
        for frac in (0.001, 0.05, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95, 0.999):
            p = tmp / f"trunc{int(frac * 1000)}.{fmt}"
            p.write_bytes(raw[: max(int(len(raw) * frac), 4)])
            cases.append((f"{fmt} truncated at {frac:.1%}", p, AUDIO_CMDS, "warn"))
        p = tmp / f"random.{fmt}"
        p.write_bytes(np.random.default_rng(2).bytes(2048))
        cases.append((f"{fmt} random bytes", p, AUDIO_CMDS, "refuse"))
        p = tmp / f"empty.{fmt}"
        p.write_bytes(b"")
        cases.append((f"{fmt} empty", p, AUDIO_CMDS, "refuse"))
        p = tmp / f"no_samples.{fmt}"  # a whole header and no sample: an empty render wrote a FLAC that did not open
        sf.write(p, np.zeros((0, 4)), 16000)
        cases.append((f"{fmt} with no samples", p, (*AUDIO_CMDS[1:], ("spatial", "render", "{p}", "-o", "{out}.flac"),
                                                    ("spatial", "encode", "{p}", "--array", "tetra", "-o", "{out}.wav"),
                                                    ("spatial", "localise", "{p}", "--array", "tetra")), "refuse"))
    return cases


CSV_TEXTS = {
    "header only": ("time,a,b\n", "warn"),
    "empty": ("", "refuse"),
    "no time column": ("x,a\n1,2\n2,3\n", "refuse"),
    "non-numeric cell": ("time,a\n0,1\n0.01,abc\n0.02,3\n", "refuse"),
    "ragged row": ("time,a,b\n0,1,2\n0.01,1\n", "refuse"),
    "time going back": ("time,a\n0,1\n0.02,2\n0.01,3\n", "refuse"),
    "time all equal": ("time,a\n5,1\n5,2\n5,3\n", "refuse"),
    "time nan": ("time,a\n0,1\nnan,2\n0.02,3\n", "refuse"),
    "value inf": ("time,a\n0,1\n0.01,inf\n0.02,3\n0.03,4\n", "any"),
    "one row": ("time,a\n0,1\n", "any"),
    "semicolons": ("time;a\n0;1\n0.01;2\n", "any"),  # (a spreadsheet's separator: read)
    "decimal commas": ("time;a\n0,00;1,5\n0,01;2,5\n", "warn"),  # (a German spreadsheet: read, said)
    "bom and crlf": ("\ufefftime,a\r\n0,1\r\n0.01,2\r\n0.02,3\r\n", "any"),
    "huge values": ("time,a\n0,1e308\n0.01,-1e308\n0.02,1e308\n", "any"),
    "binary junk": ("time,a\n\x00\x01\x02,\xff\n", "refuse"),
    "irregular times": ("time,a\n0,1\n0.01,2\n0.5,3\n0.51,4\n", "any"),
}


def csv_cases(tmp: Path) -> list[tuple]:
    cases = []
    for i, (name, (text, expect)) in enumerate(CSV_TEXTS.items()):
        p = tmp / f"c{i}.csv"
        p.write_bytes(text.encode("utf-8", errors="surrogateescape") if "\xff" not in text else text.encode("latin-1"))
        cases.append((f"csv {name}", p, REC_CMDS[:3], expect))
    return cases


def edf_cases(tmp: Path) -> list[tuple]:
    import edfio

    x = np.sin(np.linspace(0, 20, 512)) * 100
    good = tmp / "good.edf"
    edfio.Edf([edfio.EdfSignal(x, sampling_frequency=256, label="EMG1", physical_dimension="uV")]).write(good)
    raw = bytearray(good.read_bytes())
    cases = []

    def variant(name, data, expect="refuse"):
        p = tmp / f"e{len(cases)}.edf"
        p.write_bytes(bytes(data))
        cases.append((f"edf {name}", p, REC_CMDS[:3], expect))

    variant("truncated header", raw[:100])
    variant("truncated data", raw[: len(raw) - 300], "warn")
    variant("random bytes", np.random.default_rng(3).bytes(1024))
    for field, value in (("number of records -1 (unknown: counted)", b"-1      "),
                         ("number of records huge", b"99999999"), ("number of records 0", b"0       ")):
        d = bytearray(raw)
        d[236:244] = value
        variant(field, d, "warn")
    for field, (a, b), value in (("header bytes text", (184, 192), b"abcdefgh"),
                                 ("signals 9999", (252, 256), b"9999"),
                                 ("record duration 0", (244, 252), b"0       "),
                                 ("record duration nan", (244, 252), b"nan     ")):
        d = bytearray(raw)
        d[a:b] = value
        variant(field, d)
    return cases


def xdf_cases(tmp: Path) -> list[tuple]:
    from xdf_writer import write_xdf

    good = tmp / "good.xdf"
    write_xdf(good, [{"name": "EMG", "type": "EMG", "rate": 250.0, "data": np.ones((50, 2), dtype="float32"),
                      "times": 100 + np.arange(50) / 250}])
    raw = good.read_bytes()
    cases = []
    for frac in (0.1, 0.5, 0.9):
        p = tmp / f"x{int(frac * 10)}.xdf"
        p.write_bytes(raw[: int(len(raw) * frac)])
        cases.append((f"xdf truncated at {frac:.0%}", p, REC_CMDS[:3], "warn"))
    for name, data in (("random", np.random.default_rng(4).bytes(600)), ("magic only", b"XDF:"), ("empty", b"")):
        p = tmp / f"x_{name.replace(' ', '_')}.xdf"
        p.write_bytes(data)
        cases.append((f"xdf {name}", p, REC_CMDS[:3], "refuse"))
    # EMG sessions from LabRecorder whose markers cannot make a calibration
    emg = {"name": "Band", "type": "EMG", "rate": 200.0, "data": np.random.default_rng(8).normal(size=(2000, 4))
           .astype("float32"), "times": 50 + np.arange(2000) / 200}
    for i, (name, texts, times) in enumerate((
            ("markers naming no class", ["start", "stop"], [50.0, 55.0]),
            ("markers before the EMG", ["rest", "fist"], [1.0, 2.0]),
            ("markers after the EMG", ["rest", "fist"], [900.0, 901.0]),
            ("one class marked", ["rest", "pause", "rest"], [50.0, 53.0, 56.0]),
            ("empty marker texts", ["", ""], [50.0, 55.0]))):
        p = tmp / f"marked{i}.xdf"
        write_xdf(p, [emg, {"name": "Markers", "type": "Markers", "rate": 0, "data": np.array([[v] for v in texts]),
                            "times": np.array(times)}])
        cases.append((f"xdf session: {name}", p, (("calibrate", "emg", "--from", "{p}", "--classes", "rest,fist",
                                                   "-o", "{out}.json"), ("info", "{p}")), "any"))
    only = tmp / "markers_only.xdf"
    write_xdf(only, [{"name": "Markers", "type": "Markers", "rate": 0, "data": np.array([["rest"]]),
                      "times": np.array([1.0])}])
    cases.append(("xdf of markers only", only, (("info", "{p}"), ("calibrate", "emg", "--from", "{p}", "-o",
                                                                  "{out}.json")), "refuse"))
    return cases


def openbci_cases(tmp: Path) -> list[tuple]:
    """OpenBCI GUI text files, damaged: through the recording commands and an EMG calibration."""
    head = ["%OpenBCI Raw EXG Data", "%Number of channels = 2", "%Sample Rate = 250 Hz"]
    columns = "Sample Index, EXG Channel 0, EXG Channel 1, Timestamp, Marker Channel, Timestamp (Formatted)"
    row = "{i}.0, 1.5, -2.5, 1700000000.0, 0.0, 2023-11-14 22:13:20.000"
    good = [row.format(i=i % 256) for i in range(600)]
    texts = {
        "header only": (head + [columns], "refuse"),
        "no column names": (head, "refuse"),
        "no rate": (head[:2] + [columns] + good, "refuse"),
        "rate of zero": (head[:2] + ["%Sample Rate = 0 Hz", columns] + good, "refuse"),
        "no EXG column": (head + ["Sample Index, Timestamp"] + [f"{i}.0, 1.0" for i in range(50)], "refuse"),
        "ragged row": (head + [columns] + good[:100] + ["5.0, 1.0"] + good[100:200], "refuse"),
        "text in a channel": (head + [columns] + good[:100] + ["5.0, abc, 1.0, 1.0, 0.0, x"], "refuse"),
        "lost packets": (head + [columns] + good[:300] + good[310:], "warn"),
        "a counter of 1e300": (head + [columns] + good[:300] + [good[300].replace("44.0", "1e300", 1)] + good[301:],
                               "warn"),
        "first line only": (head[:1], "refuse"),
    }
    cases = []
    for i, (name, (lines, expect)) in enumerate(texts.items()):
        p = tmp / f"OpenBCI-RAW-{i}.txt"
        p.write_text("\n".join(lines) + "\n")
        cases.append((f"openbci {name}", p, (*REC_CMDS[:3], ("calibrate", "emg", "--from", "{p}", "-o", "{out}.json")),
                      "any" if expect == "warn" else expect))
    return cases


GAZE_CMDS = (("eyetrack", "events", "{p}", "--screen", "531x299mm@1920x1080", "--distance", "650"),)


def gaze_cases(tmp: Path) -> list[tuple]:
    head = "SAMPLES\tGAZE\tLEFT\tRATE\t500.00\n"
    texts = {
        "asc no samples": (head, "refuse"),
        "asc non-numeric": (head + "1000\tabc\t10\t100\n1002\t11\t10\t100\n", "any"),
        "asc all times equal": (head + "".join(f"1000\t{i}\t10\t100\n" for i in range(50)), "refuse"),
        "asc clock jump back": (head + "".join(f"{1000 + 2 * i if i < 30 else 900 + 2 * i}\t{i % 5}\t10\t100\n"
                                               for i in range(60)), "warn"),
        "asc one row": (head + "1000\t10\t10\t100\n", "refuse"),
        "asc random": (np.random.default_rng(5).bytes(500).decode("latin-1"), "refuse"),
        "empty csv": ("", "refuse"),
        "pupil csv header only": ("gaze_timestamp,norm_pos_x,norm_pos_y,confidence\n", "refuse"),
        "pupil csv nan": ("gaze_timestamp,norm_pos_x,norm_pos_y,confidence\n" + "".join(
            f"{i / 120},nan,nan,0.9\n" for i in range(40)), "refuse"),
        "tobii junk": ("Gaze point X\tGaze point Y\n,,\n", "refuse"),
        "tobii mouse rows only": ("Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]\n"
                                  + "".join(f"{i * 8.3:.1f}\tMouse\t\t\n" for i in range(20)), "refuse"),
        "pupil cloud text in a direction": ("section id,recording id,timestamp [ns],worn,fixation id,blink id,"
                                            "azimuth [deg],elevation [deg]\n" + "".join(
                                                f"s,r,{i * 5_000_000},1.0,,,{'x' if i == 7 else 1.0},2.0\n"
                                                for i in range(50)), "refuse"),
        "pupil cloud stamps 1 us apart": ("section id,recording id,timestamp [ns],worn,fixation id,blink id,"  # 1 MHz
                                          "azimuth [deg],elevation [deg]\n" + "".join(
                                              f"s,r,{1_700_000_000_000_000_000 + 1000 * i},1.0,,,{i % 9 * 0.1},2.0\n"
                                              for i in range(300)), "refuse"),
        "pupil cloud all blink": ("section id,recording id,timestamp [ns],worn,fixation id,blink id,azimuth [deg],"
                                  "elevation [deg]\n" + "".join(f"s,r,{i * 5_000_000},1.0,,1,0,0\n"
                                                                 for i in range(50)), "refuse"),
        "tobii unknown movement types": ("Recording timestamp\tGaze point X\tGaze point Y\tEye movement type\n"
                                         + "".join(f"{i * 8333}\t960\t540\tWobble\n" for i in range(60)), "any"),
    }
    cases = []
    for i, (name, (text, expect)) in enumerate(texts.items()):
        suffix = ".asc" if name.startswith("asc") else ".csv"
        p = tmp / f"g{i}{suffix}"
        p.write_text(text, encoding="latin-1")
        cases.append((f"gaze {name}", p, GAZE_CMDS, expect))
    for name, data in (("mat random", np.random.default_rng(6).bytes(300)), ("npy random", b"\x93NUMPY" + b"\x00" * 40)):
        p = tmp / f"g_{name.split()[0]}.{name.split()[0]}"
        p.write_bytes(data)
        cases.append((f"gaze {name}", p, GAZE_CMDS, "refuse"))
    # a coder's labels that name no class, an empty label column, a label column that is not there
    coded = ("time,x,y,coder\n" + "".join(f"{i / 500},{i % 7 * 0.1},0.5,{'fixation' if i % 9 else 'banana'}\n"
                                          for i in range(600)))
    for i, (name, text, column, expect) in enumerate((
            ("a label that names no class", coded, "coder", "refuse"),
            ("a label code 9", coded.replace("banana", "9"), "coder", "refuse"),
            ("empty label cells", coded.replace("fixation", "").replace("banana", ""), "coder", "any"),
            ("no such label column", coded, "nope", "refuse"))):
        p = tmp / f"coded{i}.csv"
        p.write_text(text)
        cases.append((f"gaze table: {name}", p, (("eyetrack", "events", "{p}", "--units", "deg", "--reference", column),
                                                ("eyetrack", "events", "{p}", "--units", "deg", "--reference", column,
                                                 "--online")), expect))
    # a captured gaze stream (degrees), cut short: read by the offline and the online detector
    info = StreamInfo("gaze", "gaze", 250.0, (2,), channels=("x", "y"), unit="deg", meta={"gaze_units": "deg"})
    good = tmp / "gaze_good.h5"
    with RecordingWriter(good) as w:
        w.add_stream(info).append(Frame(info, np.random.default_rng(7).normal(0, 1, (500, 2)), t0=0.0))
    raw = good.read_bytes()
    recorded = (("eyetrack", "events", "{p}"), ("eyetrack", "events", "{p}", "--online"))
    fast = tmp / "gaze_20kHz.h5"  # a rate no eye tracker has
    with RecordingWriter(fast) as w:
        w.add_stream(info.replace(rate=2e4)).append(Frame(info.replace(rate=2e4), np.zeros((900, 2)), t0=0.0))
    on_gaze = (*recorded, ("run", "eyetrack", "{p}"), ("run", "eyetrack", "{p}", "--online"))
    cases.append(("gaze h5 at 20 kHz", fast, on_gaze, "refuse"))

    def at_3_ghz(f):  # time stamps in ns read as s: the filters had millions of taps (OpenBLAS crashed)
        d = json.loads(f["streams/gaze"].attrs["info"])
        f["streams/gaze"].attrs["info"] = json.dumps({**d, "rate": 3e9})

    cases.append(("gaze h5 at 3 GHz", _tamper_h5(fast, tmp / "gaze_3GHz.h5", at_3_ghz), on_gaze, "refuse"))
    for frac in (0.2, 0.5, 0.8, 0.95):
        p = tmp / f"gaze_trunc{int(frac * 100)}.h5"
        p.write_bytes(raw[: int(len(raw) * frac)])
        cases.append((f"gaze h5 truncated at {frac:.0%}", p, recorded, "refuse"))
    return cases


SOFA_CMDS = (("spatial", "hrtf", "{p}"),)


def sofa_cases(tmp: Path, shared: Path | None) -> list[tuple]:
    cases = []
    for name, data in (("random", np.random.default_rng(7).bytes(2000)), ("empty", b""),
                       ("hdf5 not sofa", None)):
        p = tmp / f"s_{name.replace(' ', '_')}.sofa"
        if data is None:
            with h5py.File(p, "w") as f:
                f["x"] = np.zeros(3)
        else:
            p.write_bytes(data)
        cases.append((f"sofa {name}", p, SOFA_CMDS, "refuse"))
    if shared is not None:
        src = next((shared / "hrtf-mit-kemar").glob("*.sofa"), None)
        if src is not None:
            raw = src.read_bytes()
            for frac in (0.3, 0.8):
                p = tmp / f"s_trunc{int(frac * 10)}.sofa"
                p.write_bytes(raw[: int(len(raw) * frac)])
                cases.append((f"sofa truncated at {frac:.0%}", p, SOFA_CMDS, "refuse"))
            cases += _sofa_content_cases(tmp, src)
    return cases


def _sofa_content_cases(tmp: Path, src: Path) -> list[tuple]:
    """Readable SOFA files whose contents cannot render (found by the ``ear`` mutants: a NaN
    rate, directions on one meridian, responses scaled by 1e300 and a listener view of 1e300 were
    tracebacks or numpy warnings in ``spatial render``; all-zero responses rendered silence without
    a word)."""
    wav = tmp / "s_mono.wav"
    sf.write(str(wav), np.random.default_rng(0).normal(0, 0.1, 4000), 16000)
    render = ("spatial", "render", str(wav), "-o", "{out}.wav", "--hrtf", "{p}")

    def variant(name: str, field: str, edit) -> Path:
        p = tmp / f"s_{name}.sofa"
        shutil.copy(src, p)
        with h5py.File(p, "r+") as f:
            f[field][...] = edit(f[field][...])
        return p

    def front_half(pos):  # azimuths folded into -90..90: nothing behind the listener
        pos[:, 0] = (pos[:, 0] + 90) % 180 - 90
        return pos

    def meridian(pos):
        pos[:, 0] = 0.0
        return pos

    return [("sofa sampling rate NaN", variant("rate_nan", "Data.SamplingRate", lambda r: r * np.nan),
             (*SOFA_CMDS, render), "refuse"),
            ("sofa directions on one meridian", variant("meridian", "SourcePosition", meridian), (*SOFA_CMDS, render),
             "warn"),
            ("sofa directions in front only", variant("front", "SourcePosition", front_half), (*SOFA_CMDS, render),
             "warn"),
            ("sofa responses scaled by 1e300", variant("ir_1e300", "Data.IR", lambda ir: ir * 1e300),
             (*SOFA_CMDS, render), "refuse"),
            ("sofa responses all zero", variant("ir_zero", "Data.IR", lambda ir: ir * 0), (*SOFA_CMDS, render),
             "refuse"),
            ("sofa responses scaled by 1e-30", variant("ir_1e-30", "Data.IR", lambda ir: ir * 1e-30),
             (*SOFA_CMDS, render), "refuse"),
            ("sofa responses scaled by 1e-10", variant("ir_tiny", "Data.IR", lambda ir: ir * 1e-10),
             (*SOFA_CMDS, render), "warn"),
            ("sofa listener view of 1e300", variant("view", "ListenerView", lambda v: v * 0 + 1e300),
             (*SOFA_CMDS, render), "any")]


CAL_CMDS = (("calibrate", "check", "{p}"),)


SESSION_CMDS = (("calibrate", "emg", "--from", "{p}", "-o", "{out}.json"),)


def _session(path: Path, labels: np.ndarray, times: np.ndarray, classes, emg: np.ndarray | None = None) -> Path:
    """A recorded calibration session (as ``calibrate emg --record`` writes it), made from parts."""
    info = StreamInfo("band", "emg", 200.0, (4,), dtype="float64")
    lab = StreamInfo("label", "label", 0.0, (1,), channels=("class",), dtype="int32",
                     meta={} if classes is None else {"classes": classes})
    x = np.random.default_rng(1).normal(size=(2000, 4)) if emg is None else emg
    with RecordingWriter(path) as w:
        w.add_stream(info).append(Frame(info, x, t0=0.0))
        w.add_stream(lab).append(Frame(lab, np.asarray(labels, dtype=np.int32)[:, None], times=np.asarray(times)))
    return path


def session_cases(tmp: Path) -> list[tuple]:
    """Recorded calibration sessions whose label stream or EMG is wrong, for 'calibrate emg --from'."""
    t4 = np.array([0.0, 2.5, 5.0, 7.5])
    nan_emg = np.random.default_rng(2).normal(size=(2000, 4))
    nan_emg[:, :] = np.nan
    made = {
        "no class named": (np.full(4, -1), t4, ["rest", "a"], None, "refuse"),
        "a label beyond the classes": (np.array([0, 7, 0, 7]), t4, ["rest", "a"], None, "refuse"),
        "labels after the recording": (np.array([0, 1]), np.array([100.0, 102.0]), ["rest", "a"], None, "refuse"),
        "one class only": (np.array([0, -1, 0, -1]), t4, ["rest", "a"], None, "refuse"),
        "no class names": (np.array([0, 1, 0, 1]), t4, None, None, "any"),
        "classes not a list": (np.array([0, 1, 0, 1]), t4, "rest", None, "refuse"),
        "every sample NaN": (np.array([0, 1, 0, 1]), t4, ["rest", "a"], nan_emg, "refuse"),
    }
    import test_calibration_files as cal

    band = cal.MAKERS["emg"](tmp)  # a good calibration of the sessions' band, to score them with
    commands = (*SESSION_CMDS, ("emg", "score", str(band), "{p}"))
    cases = [(f"session {name}", _session(tmp / f"session{i}.h5", y, t, classes, x), commands, expect)
             for i, (name, (y, t, classes, x, expect)) in enumerate(made.items())]
    rows = np.random.default_rng(3).normal(size=(1650, 4))  # a band's CSV export: 200 Hz, a label per row
    names = ["rest"] * 400 + ["class1"] * 400 + ["class2"] * 400 + ["rest"] * 30 + [""] * 420
    text = "time,ch0,ch1,ch2,ch3,label\n" + "".join(
        f"{i / 200:.3f}," + ",".join(f"{v:.4f}" for v in row) + f",{name}\n"
        for i, (row, name) in enumerate(zip(rows, names, strict=True)))
    top_up = ("emg", "score", str(band), "{p}", "--adapt-on", "1", "--labelled")
    for name, body, run in (("header only", text.splitlines()[0] + "\n", (*commands, top_up)),
                            ("cut in the second repetition", text, (top_up,))):  # adapted on the first: 150 ms left
        p = tmp / f"labelled_{len(cases)}.csv"
        p.write_text(body)
        cases.append((f"labelled csv {name}", p, run, "refuse"))
    return cases


def calibration_cases(tmp: Path) -> list[tuple]:
    """Every calibration kind, tampered as test_calibration_files does."""
    import copy

    import test_calibration_files as cal

    rows = tmp / "rows.csv"  # labelled keypoint rows and a recorded session to score the calibrations on
    rows.write_text("".join(f"{i % 3}," + ",".join(f"{v:.3f}" for v in np.random.default_rng(i).uniform(-1, 1, 42))
                            + "\n" for i in range(12)))
    session = _session(tmp / "cal_session.h5", np.array([0, 1, 0, 1]), np.array([0.0, 2.5, 5.0, 7.5]), ["rest", "a"])
    scoring = {"gesture": (("gesture", "score", "{p}", str(rows)),), "emg": (("emg", "score", "{p}", str(session)),)}
    cases = []
    for kind, make in cal.MAKERS.items():
        good = make(tmp)
        doc = json.loads(good.read_text())
        for i, (what, path, value) in enumerate(cal.COMMON + cal.SPECIFIC[kind]):
            bad = copy.deepcopy(doc)
            cal._drop(bad, path) if value is cal._DROP else cal._set(bad, path, value)
            p = tmp / f"cal_{kind}_{i}.json"
            p.write_text(json.dumps(bad))
            cases.append((f"{kind} calibration: {what}", p, CAL_CMDS + scoring.get(kind, ()), "refuse"))
    return cases


def all_cases(tmp: Path, shared: Path | None = None) -> list[tuple]:
    tmp.mkdir(parents=True, exist_ok=True)
    return (hdf5_cases(tmp) + audio_cases(tmp) + csv_cases(tmp) + edf_cases(tmp) + xdf_cases(tmp) + openbci_cases(tmp)
            + gaze_cases(tmp)
            + sofa_cases(tmp, shared) + calibration_cases(tmp) + session_cases(tmp))
