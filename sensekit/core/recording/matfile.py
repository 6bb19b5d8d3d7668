"""MATLAB ``.mat`` files of an EMG matrix and a label vector: Ninapro's (``S<k>_E<e>_A1.mat``:
``emg``, ``restimulus``, ``frequency``; DB2 with a Delsys Trigno, DB5 with two Myo bands) and
others of the usual variable names. Each change of the labels is a marker holding its code.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo
from .base import OneStreamRecording

log = logging.getLogger("sensekit")

__all__ = ["MatRecording", "MAX_MAT_BYTES", "MAX_MAT_VALUES", "SIGNAL_NAMES", "LABEL_NAMES", "RATE_NAMES"]

#: The largest ``.mat`` file read (it is read whole; a Ninapro DB2 file is about 200 MB), and the
#: most values a variable of it may declare (a compressed variable can declare far more than the
#: file holds; a DB2 file's EMG is about 4e7).
MAX_MAT_BYTES, MAX_MAT_VALUES = 2 * 1024**3, 5e8
#: Variable names read, the first found of each: the EMG matrix (samples x channels, or channels x
#: samples), the per-sample labels, and the rate (Hz).
SIGNAL_NAMES = ("emg", "EMG", "data", "signal", "signals", "X")
LABEL_NAMES = ("restimulus", "stimulus", "label", "labels", "class", "gesture", "y", "Y")
RATE_NAMES = ("frequency", "fs", "Fs", "FS", "rate", "srate", "sampling_rate", "sample_rate")
#: The rate of a Ninapro file that does not state its ``frequency``, by its number of channels:
#: DB1's 10 Otto Bock electrodes (their RMS envelope at 100 Hz), the 12 of DB2/DB3/DB7's Delsys
#: Trigno and DB4's Cometa (2 kHz), DB5's two Myo bands (16) or one of them (8) at 200 Hz. Any
#: other count must be given its rate.
NINAPRO_RATES = {10: 100.0, 12: 2000.0, 16: 200.0, 8: 200.0}


class MatRecording(OneStreamRecording):
    """A ``.mat`` file of an EMG matrix and its per-sample labels as one EMG stream, each change of
    the labels a marker holding its code (``"0"`` where a Ninapro movement ends: rest), named as
    classes with ``--classes rest=0,fist=1,...``, as an OpenBCI GUI's codes are.

    The variables are the first of :data:`SIGNAL_NAMES`, :data:`LABEL_NAMES` and
    :data:`RATE_NAMES` the file has; a matrix stored channels x samples is turned. A Ninapro file
    without its ``frequency`` is read at its database's rate, told by its channels
    (:data:`NINAPRO_RATES`); any other file must state its rate, or be given it (``rate``,
    ``--rate``).
    """

    def __init__(self, path: str | os.PathLike, *, kind: str = "emg", unit: str = "", rate: float | None = None) -> None:
        from ..matlab import read_mat

        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f".mat file {str(self.path)!r} does not exist", "check the path")
        if self.path.stat().st_size > MAX_MAT_BYTES:
            raise RecordingError(f"{self.path.name} is {self.path.stat().st_size / 1e9:.1f} GB, over the "
                                 f"{MAX_MAT_BYTES / 1e9:.1f} GB a .mat file is read whole to")
        # (the sizes come first: a variable over MAX_MAT_VALUES is refused before any data is read)
        shapes, mat = read_mat(self.path, [*SIGNAL_NAMES, *LABEL_NAMES, *RATE_NAMES], max_values=MAX_MAT_VALUES)
        signal, labels, rate_name = (next((n for n in names if n in shapes), None)
                                     for names in (SIGNAL_NAMES, LABEL_NAMES, RATE_NAMES))
        if signal is None or labels is None:
            raise RecordingError(f"{self.path.name} holds no EMG matrix and label vector (variables "
                                 f"{', '.join(list(shapes)[:8]) or 'none'}; read: {SIGNAL_NAMES[0]} or "
                                 f"{SIGNAL_NAMES[2]}, and {LABEL_NAMES[0]} or {LABEL_NAMES[2]})",
                                 "name them so, or read the file in Python (scipy.io.loadmat)")
        emg, codes = np.asarray(mat[signal]), np.asarray(mat[labels]).ravel()
        if emg.ndim == 2 and emg.shape[0] != len(codes) and emg.shape[1] == len(codes):
            emg = emg.T  # (stored channels x samples)
        if emg.ndim != 2 or not emg.size or not np.issubdtype(emg.dtype, np.number) or len(codes) != len(emg):
            raise RecordingError(f"{self.path.name}: {signal!r} is no samples x channels matrix of numbers with one "
                                 f"{labels!r} value a sample (shapes {shapes[signal]}, {shapes[labels]})")
        if not np.issubdtype(codes.dtype, np.number) or not np.isfinite(codes.astype(np.float64)).all():
            raise RecordingError(f"{self.path.name}: {labels!r} holds values that are not numbers")
        if rate_name is not None:
            if rate is not None:
                raise RecordingError(f"--rate does not apply: {self.path.name} states its rate ({rate_name!r})",
                                     "leave --rate out")
            stated = np.ravel(mat[rate_name])
            self.rate = float(stated[0]) if stated.size and np.issubdtype(stated.dtype, np.number) else 0.0
        elif rate is not None:  # (the rate its dataset's documentation gives)
            self.rate = float(rate)
        elif signal == "emg" and labels in ("restimulus", "stimulus") and emg.shape[1] in NINAPRO_RATES:
            self.rate = NINAPRO_RATES[emg.shape[1]]  # (a Ninapro file without its frequency)
            if emg.shape[1] == 10:
                log.warning("%s: read as Ninapro DB1 (10 channels, no frequency): the Otto Bock electrodes' RMS "
                            "envelope at 100 Hz, not raw EMG; the features of its amplitude (MAV, RMS, WL, LOGVAR) "
                            "suit it, those of a raw signal's zero crossings (ZC, SSC) do not: --features "
                            "MAV+WL+LOGVAR", self.path.name)
        elif signal == "emg" and labels in ("restimulus", "stimulus"):
            raise RecordingError(f"{self.path.name}: a Ninapro file of {emg.shape[1]} channels that states no "
                                 "frequency, of no database whose rate is known by its channels",
                                 "give the rate its database documents (--rate HZ)")
        else:
            raise RecordingError(f"{self.path.name} states no rate (a variable {', '.join(RATE_NAMES[:3])}...)",
                                 "give it (--rate HZ), or save it with the data, e.g. fs = 1000")
        if not 1.0 <= self.rate <= 100_000.0:
            raise RecordingError(f"{self.path.name} states a rate of {self.rate:g} Hz")
        self._data = np.ascontiguousarray(emg, dtype=np.float64)
        self._t0 = 0.0
        codes = np.rint(codes.astype(np.float64)).astype(np.int64)
        change = np.flatnonzero(np.diff(codes, prepend=codes[0] - 1) != 0)
        self._markers = {labels: (change / self.rate, tuple(str(int(c)) for c in codes[change]))}
        name = self.path.stem
        self.streams = {name: StreamInfo(name=name, kind=kind, rate=self.rate, shape=(emg.shape[1],),
                                         channels=tuple(f"emg{i + 1}" for i in range(emg.shape[1])),
                                         dtype="float64", unit=unit)}

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._t0 + np.arange(start, stop) / self.rate
