"""EMG datasets: a common trial structure and loaders for the public sets and our recordings.

Every loader returns an :class:`EMGTrials`: the stream format, the class names and one
:class:`Trial` per contiguous repetition of one class (subject, session, repetition), so
that protocols (within session, across sessions, learning curves) are selections.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..core import StreamInfo
from ..errors import DatasetError, RecordingError

__all__ = ["Trial", "EMGTrials", "load_myo_readings_wrist8", "load_libemg_myo_test", "load_recording_trials",
           "load_ninapro", "load_emg_epn612", "load_putemg", "MYO_WRIST8_CLASSES", "EPN612_CLASSES",
           "PUTEMG_CLASSES"]

EPN612_CLASSES = ("noGesture", "fist", "waveIn", "waveOut", "open", "pinch")
#: putEMG gesture codes (TRAJ_GT) -> names.
PUTEMG_CLASSES = {0: "idle", 1: "fist", 2: "flexion", 3: "extension", 6: "pinch_index", 7: "pinch_middle",
                  8: "pinch_ring", 9: "pinch_small"}

MYO_WRIST8_CLASSES = ("rest", "wrist_flexion", "wrist_extension", "radial_deviation", "ulnar_deviation",
                      "pronation", "supination", "fist")
LIBEMG_MYO_CLASSES = ("hand_close", "hand_open", "no_motion", "wrist_extension", "wrist_flexion")


@dataclasses.dataclass(frozen=True)
class Trial:
    """One contiguous repetition of one class.

    Attributes
    ----------
    data : ndarray, shape (n, channels)
        Samples in the stream's unit.
    label : int
        Class index into :attr:`EMGTrials.classes`.
    subject : str
    session : int
    rep : int
        Repetition index within the session and class, from 0.
    """

    data: np.ndarray
    label: int
    subject: str
    session: int
    rep: int


@dataclasses.dataclass(frozen=True)
class EMGTrials:
    """Trials of one dataset with their stream format and class names."""

    info: StreamInfo
    classes: tuple[str, ...]
    trials: tuple[Trial, ...]

    def select(self, *, subject=None, session=None, rep=None, label=None) -> EMGTrials:
        """Trials whose fields equal the value, or are in the collection, given."""

        def ok(value, want) -> bool:
            if want is None:
                return True
            if isinstance(want, (list, tuple, set, range, frozenset)):
                return value in want
            return value == want

        kept = tuple(t for t in self.trials if ok(t.subject, subject) and ok(t.session, session) and ok(t.rep, rep)
                     and ok(t.label, label))
        return dataclasses.replace(self, trials=kept)

    def replaced(self, new: EMGTrials) -> EMGTrials:
        """These trials with each one of ``new`` in place of the trial of the same class,
        subject, session and repetition (recorded again)."""
        key = {(t.label, t.subject, t.session, t.rep): t for t in new}
        return dataclasses.replace(self, trials=tuple(key.get((t.label, t.subject, t.session, t.rep), t)
                                                      for t in self.trials))

    @property
    def subjects(self) -> list[str]:
        return sorted({t.subject for t in self.trials})

    @property
    def sessions(self) -> list[int]:
        return sorted({t.session for t in self.trials})

    def __len__(self) -> int:
        return len(self.trials)

    def __iter__(self):
        return iter(self.trials)


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """Contiguous runs of equal labels: (label, start, stop)."""
    if len(labels) == 0:
        return []
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [len(labels)]))
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _read_int_table(path: Path, columns: int) -> np.ndarray:
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int16, ndmin=2)
    except (OSError, ValueError) as e:
        raise DatasetError(f"{path} is not a numeric CSV table ({e})") from None
    if table.shape[1] != columns:
        raise DatasetError(f"{path}: {table.shape[1]} columns, expected {columns}")
    return table


def load_myo_readings_wrist8(path: str | os.PathLike, *, subjects: Iterable[str] | None = None,
                             sessions: Iterable[int] | None = None) -> EMGTrials:
    """Myo readings, 8 wrist/hand classes (``myo_readings_wrist8`` card).

    Gesture files ``1..7.txt`` alternate rest and gesture every ~5 s: repetition ``r`` of
    a class is the ``r``-th contiguous run of its label (6 a file; ``45612-3/6.txt`` has
    5). The rest file ``0.txt`` is one minute, split into 6 equal repetitions. Values are
    raw int8 counts (unit ``"counts"``), 8 channels at 200 Hz.
    """
    root = Path(path)
    base = root / "_readings_right_hand"
    if not base.is_dir():
        raise DatasetError(f"{root} does not hold _readings_right_hand/", "point at the myo_readings_wrist8 folder")
    subjects = set(subjects) if subjects is not None else None
    sessions = set(sessions) if sessions is not None else None
    trials = []
    for folder in sorted(base.iterdir()):
        m = re.fullmatch(r"(\d+)-(\d+)", folder.name)
        if not m:
            continue
        subject, session = m.group(1), int(m.group(2))
        if (subjects is not None and subject not in subjects) or (sessions is not None and session not in sessions):
            continue
        for label in range(len(MYO_WRIST8_CLASSES)):
            f = folder / f"{label}.txt"
            if not f.exists():
                raise DatasetError(f"{f} is missing", "run 'sensekit datasets verify myo_readings_wrist8'")
            table = _read_int_table(f, 9)
            x = table[:, :8].astype(np.float64)
            if label == 0:
                bounds = np.linspace(0, len(x), 7).astype(int)
                for rep in range(6):
                    trials.append(Trial(x[bounds[rep]:bounds[rep + 1]], 0, subject, session, rep))
            else:
                rep = 0
                for lab, a, b in _runs(table[:, 8]):
                    if lab == label:
                        trials.append(Trial(x[a:b], label, subject, session, rep))
                        rep += 1
    if not trials:
        raise DatasetError(f"no sessions found under {base}")
    info = StreamInfo("myo", "emg", 200.0, (8,), dtype="float64", unit="counts", meta={"device": "Thalmic Myo"})
    return EMGTrials(info, MYO_WRIST8_CLASSES, tuple(trials))


def load_libemg_myo_test(path: str | os.PathLike) -> EMGTrials:
    """LibEMG's Myo test set (``libemg_myo_test``): files ``R_<rep>_C_<class>_EMG.csv``,
    5 classes x 4 reps, 8 channels at 200 Hz. Rep 3 was recorded with the band shifted
    (an electrode-shift case). Class names follow LibEMG's OneSubjectMyoDataset."""
    root = Path(path)
    trials = []
    for f in sorted(root.glob("R_*_C_*_EMG.csv")):
        m = re.fullmatch(r"R_(\d+)_C_(\d+)_EMG\.csv", f.name)
        if m:
            x = _read_int_table(f, 8).astype(np.float64)
            trials.append(Trial(x, int(m.group(2)), "S0", 1, int(m.group(1))))
    if not trials:
        raise DatasetError(f"no R_<rep>_C_<class>_EMG.csv files in {root}")
    info = StreamInfo("myo", "emg", 200.0, (8,), dtype="float64", unit="counts", meta={"device": "Thalmic Myo"})
    return EMGTrials(info, LIBEMG_MYO_CLASSES, tuple(trials))


def _known_labels(markers) -> list[str]:
    """The marker streams of ``markers`` named as label columns are, in :data:`LABEL_COLUMNS` order."""
    from ..core.recording.csvfile import LABEL_COLUMNS

    return sorted((m for m in markers if m.lower() in LABEL_COLUMNS), key=lambda m: LABEL_COLUMNS.index(m.lower()))


def load_recording_trials(path: str | os.PathLike, *, stream: str | None = None, labels: str = "label",
                          classes: Iterable[str] | None = None, subject: str = "S0", session: int = 1,
                          rate: float | None = None) -> EMGTrials:
    """Trials from a recording with an EMG stream and its labels: a sensekit HDF5 session, an XDF
    file with a marker stream (LabRecorder), or a CSV export with a label column.

    The label stream (``labels``; one integer per sample of the EMG stream, or irregular
    class-change events; ``sensekit calibrate emg`` writes such recordings) cuts the EMG stream
    into contiguous runs of one class. An XDF's marker stream (``labels``, or its only one) does
    the same with text (a CSV's label column: a text per row): a marker naming a class starts
    it, any other (``"pause"``, ``"end"``, an empty cell) ends the trial; ``classes`` names the
    classes (default: every marker text, in the order it first appears), of which those that no
    marker names are left out. ``rate``: the rate (Hz) of a table with no time column or a .mat
    file that states none (:func:`~sensekit.core.recording.open_recording`).
    """
    from ..core.info import UNKNOWN_KIND
    from ..core.recording import open_recording

    with open_recording(path, rate=rate) as rec:
        if stream is not None and stream not in rec.streams:
            raise DatasetError(f"{Path(path).name} has no stream {stream!r} (it has {', '.join(map(repr, rec.streams))})")
        bands = [n for n, i in rec.streams.items() if i.kind in ("emg", "exg")]
        if stream is None and len(bands) > 1:  # (two bands recorded at once: which one was never said)
            raise DatasetError(f"{Path(path).name} holds {len(bands)} EMG streams ({', '.join(map(repr, bands))})",
                               f"name one: {Path(path).name}#{bands[0]}", python_fix="stream=NAME")
        name = stream or next(iter(bands), None)
        if name is None and len(rec.streams) == 1 and next(iter(rec.streams.values())).kind == UNKNOWN_KIND:
            name = next(iter(rec.streams))  # a file that says no kind (a CSV export): its one stream
        if name is None:
            raise DatasetError(f"{Path(path).name} has no emg/exg stream",
                               "a session recorded by 'sensekit calibrate emg --record' has one",
                               python_fix="stream=NAME")
        emg = rec.read(name)
        if len(emg.data) == 0:
            raise DatasetError(f"{Path(path).name}: its EMG stream {name!r} holds no samples",
                               "record the session again: nothing of the band reached the file")
        markers = rec.markers()
        known = _known_labels(markers)
        if labels in rec.streams:
            lab = rec.read(labels)
            marked = None
        elif labels in markers or (labels == "label" and (len(markers) == 1 or known)):
            # (several: the table's label column that LABEL_COLUMNS puts first, Ninapro's restimulus)
            marked = markers.get(labels) or markers[(known or list(markers))[0]]
        elif Path(path).suffix.lower() == ".csv":
            raise DatasetError(f"{Path(path).name} has no label column (label, class, gesture or marker)",
                               "add the class held at each row as a column 'label'")
        else:
            named = f" (its marker streams: {', '.join(markers)})" if markers else ""
            raise DatasetError(f"{Path(path).name} has no label stream {labels!r}{named}",
                               "record the session with 'sensekit calibrate emg --record S.h5'")
    t = emg.times
    if marked is not None:
        times, texts = marked
        wanted = tuple(classes) if classes is not None else tuple(dict.fromkeys(v for v in texts if v))
        present = set(texts)
        names = tuple(n for n in wanted if n in present)  # (a class no marker names has no trial: left out)
        index = {n: i for i, n in enumerate(names)}
        codes = np.array([index.get(v, -1) for v in texts], dtype=int)
        rate = emg.info.rate
        if len(times) == len(t) and rate > 0 and np.allclose(times, t, rtol=0, atol=0.5 / rate):
            # a label per sample (a CSV's label column): each row's own, not the nearest stamp's
            y = codes
        else:
            idx = np.searchsorted(times, t, side="right") - 1
            y = np.where(idx >= 0, codes[np.clip(idx, 0, None)] if len(codes) else -1, -1).astype(int)
        return EMGTrials(emg.info.replace(dtype="float64"), names, _trials(emg.data, y, subject, session))
    idx = np.searchsorted(lab.times, t, side="right") - 1
    y = np.where(idx >= 0, lab.data.reshape(len(lab.data), -1)[np.clip(idx, 0, None), 0], -1).astype(int)
    trials = _trials(emg.data, y, subject, session)
    held = {tr.label for tr in trials}
    stored = lab.info.meta.get("classes", ())
    if not isinstance(stored, (list, tuple)) or not all(isinstance(c, str) for c in stored):
        raise DatasetError(f"{Path(path).name}: the label stream's class names are {stored!r}, not a list of names",
                           "record the session with 'sensekit calibrate emg --record S.h5'")
    names = tuple(classes) if classes is not None else tuple(stored) or tuple(
        f"class{i}" for i in range(max(held, default=-1) + 1))
    beyond = sorted(c for c in held if c >= len(names))
    if beyond:
        raise DatasetError(f"{Path(path).name}: the label stream names class {beyond[0]}, but the session has "
                           f"{len(names)} classes ({', '.join(names)})",
                           "record the session with 'sensekit calibrate emg --record S.h5'")
    return EMGTrials(emg.info.replace(dtype="float64"), names, trials)


def _trials(data: np.ndarray, y: np.ndarray, subject: str, session: int) -> tuple[Trial, ...]:
    """The runs of one class (``y`` per sample, -1: none) of ``data`` as trials, each class's
    repetitions numbered in order."""
    reps: dict[int, int] = {}
    trials = []
    for label, a, b in _runs(y):
        if label < 0:
            continue
        trials.append(Trial(np.asarray(data[a:b], dtype=np.float64), label, subject, session, reps.get(label, 0)))
        reps[label] = reps.get(label, 0) + 1
    return tuple(trials)


def load_ninapro(path: str | os.PathLike, *, subject: str | None = None, exercise: int | None = None) -> EMGTrials:
    """Ninapro DB2/DB5 ``.mat`` files (``S<k>_E<e>_A1.mat``) from a user folder.

    Uses the ``emg``, ``restimulus`` (or ``stimulus``) and ``rerepetition`` fields; the
    rate is 2 kHz for DB2 (Delsys) and 200 Hz for DB5 (Myo), read from ``frequency`` when
    present. Rest (class 0) runs are numbered as repetitions in order.
    """
    from ..core.matlab import read_mat

    root = Path(path)
    files = sorted(root.glob("S*_E*_A1.mat"))
    if subject is not None:
        files = [f for f in files if f.name.startswith(f"S{subject}_")]
    if exercise is not None:
        files = [f for f in files if f"_E{exercise}_" in f.name]
    if not files:
        raise DatasetError(f"no Ninapro S<k>_E<e>_A1.mat files in {root}", "download DB2/DB5 from ninapro.hevs.ch")
    trials, rate, n_ch = [], None, None
    for f in files:
        try:
            _, mat = read_mat(f, ["emg", "restimulus", "stimulus", "frequency"])
        except RecordingError as e:
            raise DatasetError(str(e)) from None
        emg = np.asarray(mat["emg"], dtype=np.float64)
        stim = np.asarray(mat.get("restimulus", mat.get("stimulus"))).ravel().astype(int)
        rate = float(np.ravel(mat.get("frequency", [2000.0 if emg.shape[1] == 12 else 200.0]))[0])
        n_ch = emg.shape[1]
        subj = f.name.split("_")[0][1:]
        reps: dict[int, int] = {}
        for label, a, b in _runs(stim):
            trials.append(Trial(emg[a:b], label, subj, 1, reps.get(label, 0)))
            reps[label] = reps.get(label, 0) + 1
    classes = tuple(["rest"] + [f"movement{k}" for k in range(1, max(t.label for t in trials) + 1)])
    info = StreamInfo("ninapro", "emg", rate, (n_ch,), dtype="float64", unit="V")
    return EMGTrials(info, classes, tuple(trials))


def load_emg_epn612(path: str | os.PathLike, *, split: str = "training", users: Iterable[str] | None = None,
                    trim: bool = True) -> EMGTrials:
    """EMG-EPN-612 user files (``user<k>.json``, Myo 8 ch 200 Hz) from a user folder.

    Parameters
    ----------
    path : path-like
        Folder searched recursively for ``*.json`` user files (``trainingJSON/``,
        ``testingJSON/``).
    split : {"training", "testing"}
        Which samples to read (``trainingSamples`` or ``testingSamples``; the public
        testing samples have no labels and are skipped).
    users : iterable of str, optional
        File stems to read (``"user1"``).
    trim : bool
        Keep only the labelled gesture segment (``groundTruthIndex``, 1-based inclusive)
        of each sample; ``noGesture`` samples are kept whole.
    """
    import json

    if split not in ("training", "testing"):
        raise DatasetError(f"split must be 'training' or 'testing', got {split!r}")
    root = Path(path)
    files = sorted(root.rglob("*.json"))
    if users is not None:
        wanted = set(users)
        files = [f for f in files if f.stem in wanted]
    if not files:
        raise DatasetError(f"no EMG-EPN-612 user .json files under {root}",
                           "download the dataset (https://doi.org/10.5281/zenodo.4421500) and point here")
    index = {name.lower(): i for i, name in enumerate(EPN612_CLASSES)}
    trials = []
    rate = 200.0
    for f in files:
        try:
            doc = json.loads(f.read_text())
        except (OSError, ValueError) as e:
            raise DatasetError(f"{f} is not readable JSON ({e})") from None
        rate = float(doc.get("generalInfo", {}).get("samplingFrequencyInHertz", rate))
        reps: dict[int, int] = {}
        for sample in doc.get(f"{split}Samples", {}).values():
            name = str(sample.get("gestureName", "")).lower()
            if name not in index:
                continue
            emg = sample["emg"]
            x = np.column_stack([np.asarray(emg[f"ch{k}"], dtype=np.float64) for k in range(1, 9)])
            gt = sample.get("groundTruthIndex")
            if trim and gt and name != "nogesture":
                x = x[int(gt[0]) - 1 : int(gt[1])]
            label = index[name]
            trials.append(Trial(x, label, f.stem, 1, reps.get(label, 0)))
            reps[label] = reps.get(label, 0) + 1
    if not trials:
        raise DatasetError(f"no labelled {split} samples in {len(files)} EMG-EPN-612 file(s) under {root}")
    info = StreamInfo("myo", "emg", rate, (8,), dtype="float64", unit="counts", meta={"device": "Thalmic Myo"})
    return EMGTrials(info, EPN612_CLASSES, tuple(trials))


def load_putemg(path: str | os.PathLike, *, subjects: Iterable[str] | None = None) -> EMGTrials:
    """putEMG recordings (``emg_gestures-<subject>-<trajectory>-<date>.hdf5``, 24 ch 5120 Hz)
    from a user folder; needs pandas and PyTables (``pip install 'sensekit[datasets]'``).

    Each contiguous run of the ground-truth gesture (``TRAJ_GT``; -1 = unlabelled, skipped)
    is a trial; classes follow :data:`PUTEMG_CLASSES` in code order. The session number is
    the file's order for its subject.
    """
    try:
        import pandas as pd
    except ImportError:
        raise DatasetError("reading putEMG needs pandas and PyTables", "pip install 'sensekit[datasets]'") from None
    root = Path(path)
    files = sorted(root.rglob("emg_gestures-*.hdf5"))
    if subjects is not None:
        wanted = set(subjects)
        files = [f for f in files if f.name.split("-")[1] in wanted]
    if not files:
        raise DatasetError(f"no putEMG emg_gestures-*.hdf5 files under {root}",
                           "download putEMG (https://biolab.put.poznan.pl/putemg-dataset/) and point here")
    codes = sorted(PUTEMG_CLASSES)
    index = {c: i for i, c in enumerate(codes)}
    trials, sessions = [], {}
    for f in files:
        subject = f.name.split("-")[1]
        sessions[subject] = sessions.get(subject, 0) + 1
        try:
            df = pd.read_hdf(f)
        except Exception as e:
            raise DatasetError(f"{f} is not a readable putEMG file ({type(e).__name__}: {e})") from None
        emg_cols = [c for c in df.columns if str(c).startswith("EMG_")]
        if not emg_cols or "TRAJ_GT" not in df.columns:
            raise DatasetError(f"{f} lacks EMG_* or TRAJ_GT columns")
        emg_cols.sort(key=lambda c: int(str(c).split("_")[1]))
        x = df[emg_cols].to_numpy(dtype=np.float64)
        gt = df["TRAJ_GT"].to_numpy().astype(int)
        reps: dict[int, int] = {}
        for code, a, b in _runs(gt):
            if code not in index:
                continue
            label = index[code]
            trials.append(Trial(x[a:b], label, subject, sessions[subject], reps.get(label, 0)))
            reps[label] = reps.get(label, 0) + 1
    n_ch = trials[0].data.shape[1] if trials else 24
    info = StreamInfo("putemg", "emg", 5120.0, (n_ch,), dtype="float64", unit="counts", meta={"device": "putEMG bands"})
    return EMGTrials(info, tuple(PUTEMG_CLASSES[c] for c in codes), tuple(trials))
