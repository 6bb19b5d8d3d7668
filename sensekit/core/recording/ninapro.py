"""Ninapro ``.mat`` files (``S<k>_E<e>_A1.mat``: DB2 with a Delsys Trigno, DB5 with two Myo
bands): the ``emg`` matrix as one stream, and each change of the refined stimulus
(``restimulus``, else ``stimulus``) as a marker holding the movement's code (``0`` rest)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo
from .base import OneStreamRecording

__all__ = ["NinaproRecording", "MAX_MAT_BYTES", "MAX_MAT_VALUES"]

#: The largest ``.mat`` file read (it is read whole; a Ninapro DB2 file is about 200 MB), and the
#: most values a variable of it may declare (a compressed variable can declare far more than the
#: file holds; a DB2 file's EMG is about 4e7).
MAX_MAT_BYTES, MAX_MAT_VALUES = 2 * 1024**3, 5e8


class NinaproRecording(OneStreamRecording):
    """A Ninapro ``.mat`` file as one EMG stream, with its stimulus as markers.

    The rate is the file's ``frequency`` where it has one, else 2 kHz for 12 channels (DB2's
    Delsys) and 200 Hz otherwise (DB5's Myo bands). The markers are the movement codes where the
    stimulus changes (``"0"`` where a movement ends: rest), named as classes with
    ``--classes rest=0,fist=1,...``, as an OpenBCI GUI's codes are.
    """

    def __init__(self, path: str | os.PathLike, *, kind: str = "emg", unit: str = "") -> None:
        from scipy.io import loadmat, whosmat

        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"Ninapro file {str(self.path)!r} does not exist", "check the path")
        if self.path.stat().st_size > MAX_MAT_BYTES:
            raise RecordingError(f"{self.path.name} is {self.path.stat().st_size / 1e9:.1f} GB, over the "
                                 f"{MAX_MAT_BYTES / 1e9:.1f} GB a .mat file is read whole to")
        try:
            shapes = {name: shape for name, shape, _ in whosmat(self.path)}  # (the sizes, before any data is read)
            wanted = [shapes.get(v, ()) for v in ("emg", "restimulus", "stimulus", "frequency")]
            if any(int(np.prod(shape, dtype=np.float64)) > MAX_MAT_VALUES for shape in wanted):
                raise RecordingError(f"{self.path.name} declares a variable of more than {MAX_MAT_VALUES:.0e} values")
            mat = loadmat(self.path, variable_names=("emg", "restimulus", "stimulus", "frequency"))
        except RecordingError:
            raise
        except Exception as e:  # (scipy raises several kinds on a damaged file)
            raise RecordingError(f"{self.path.name} is not a readable .mat file ({str(e)[:100]})") from None
        emg = np.asarray(mat.get("emg", np.empty((0, 0))))
        stimulus = mat.get("restimulus", mat.get("stimulus"))
        if emg.ndim != 2 or not emg.size or stimulus is None:
            raise RecordingError(f"{self.path.name} is not a Ninapro file (an 'emg' matrix and a 'restimulus' or "
                                 "'stimulus' column)", "read other .mat files in Python (scipy.io.loadmat)")
        stimulus = np.asarray(stimulus).ravel()
        if not np.issubdtype(emg.dtype, np.number) or len(stimulus) != len(emg):
            raise RecordingError(f"{self.path.name}: {len(stimulus)} stimulus values for {len(emg)} EMG samples, "
                                 "or an EMG matrix that is not numbers")
        if not np.isfinite(stimulus.astype(np.float64)).all():
            raise RecordingError(f"{self.path.name}: the stimulus holds values that are not numbers")
        frequency = np.ravel(mat.get("frequency", []))
        self.rate = float(frequency[0]) if frequency.size else (2000.0 if emg.shape[1] == 12 else 200.0)
        if not 1.0 <= self.rate <= 100_000.0:
            raise RecordingError(f"{self.path.name} states a rate of {self.rate:g} Hz")
        self._data = np.ascontiguousarray(emg, dtype=np.float64)
        self._t0 = 0.0
        codes = np.rint(stimulus.astype(np.float64)).astype(np.int64)
        change = np.flatnonzero(np.diff(codes, prepend=codes[0] - 1) != 0)
        self._markers = {"stimulus": (change / self.rate, tuple(str(int(c)) for c in codes[change]))}
        name = self.path.stem
        self.streams = {name: StreamInfo(name=name, kind=kind, rate=self.rate, shape=(emg.shape[1],),
                                         channels=tuple(f"emg{i + 1}" for i in range(emg.shape[1])),
                                         dtype="float64", unit=unit)}

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._t0 + np.arange(start, stop) / self.rate
