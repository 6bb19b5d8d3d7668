"""BrainFlow files (``BrainFlow-RAW_*.csv``, which the OpenBCI GUI writes by default beside its
``OpenBCI-RAW-*.txt``): every row of the board's data as BrainFlow returns it, tab-separated, with
no header, so the board's layout says which column holds what."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo, rate_from_times
from .base import OneStreamRecording
from .openbci import _check_counter, _first_stamp

__all__ = ["BrainFlowFileRecording", "BRAINFLOW_FILE_PREFIX", "BOARD_LAYOUTS", "is_brainflow_file"]

#: How the OpenBCI GUI names the BrainFlow files it records.
BRAINFLOW_FILE_PREFIX = "BrainFlow-RAW"

#: The OpenBCI boards' rows in BrainFlow (its board descriptions, by the number of rows a file of
#: each has): the board names and their sampling rates, the ExG rows, and the rows of the packet
#: counter, the time stamp (Unix seconds) and the marker. Boards of one row count differ only in
#: their rate (a Cyton by its dongle, 250 Hz, or over WiFi, 1000 Hz): the time stamps tell them apart.
BOARD_LAYOUTS = {
    24: {"boards": {"Cyton": 250.0, "CytonWifi": 1000.0}, "exg": tuple(range(1, 9)), "counter": 0, "stamp": 22,
         "marker": 23},
    32: {"boards": {"CytonDaisy": 125.0, "CytonDaisyWifi": 1000.0}, "exg": tuple(range(1, 17)), "counter": 0,
         "stamp": 30, "marker": 31},
    15: {"boards": {"Ganglion": 200.0}, "exg": tuple(range(1, 5)), "counter": 0, "stamp": 13, "marker": 14},
    25: {"boards": {"GanglionWifi": 1600.0}, "exg": tuple(range(1, 5)), "counter": 0, "stamp": 23, "marker": 24},
}


def is_brainflow_file(path: Path) -> bool:
    """Whether ``path`` is named as the OpenBCI GUI names its BrainFlow files."""
    return Path(path).name.startswith(BRAINFLOW_FILE_PREFIX) and Path(path).suffix.lower() in (".csv", ".txt")


class BrainFlowFileRecording(OneStreamRecording):
    """A BrainFlow file of an OpenBCI board as one stream: its ExG rows (µV), at the board's rate.

    The board is known by the file's number of columns (:data:`BOARD_LAYOUTS`) and, where two
    boards share it, by the rate its time stamps keep. Samples are placed on that rate from the
    first stamp (the stamps are the host's, per packet); lost packets in the counter are counted
    in a warning, as for the GUI's own text files. The marker row's non-zero values (markers the
    GUI or a script inserted) are the file's :meth:`markers`, as codes.
    """

    def __init__(self, path: str | os.PathLike, *, kind: str = "exg", unit: str = "uV") -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"BrainFlow file {str(self.path)!r} does not exist", "check the path")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # (no rows: said below)
                table = np.loadtxt(self.path, delimiter="\t", ndmin=2, dtype=np.float64, encoding="utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            raise RecordingError(f"{self.path.name} is not a BrainFlow file: a non-numeric or ragged row ({e})",
                                 "rename it if it is another table") from None
        if table.size == 0:
            raise RecordingError(f"{self.path.name} holds no samples")
        layout = BOARD_LAYOUTS.get(table.shape[1])
        if layout is None:
            known = ", ".join(f"{'/'.join(v['boards'])} {n}" for n, v in BOARD_LAYOUTS.items())
            raise RecordingError(f"{self.path.name}: {table.shape[1]} columns, which no OpenBCI board's BrainFlow file "
                                 f"has ({known})", "record it with the OpenBCI GUI, or rename it if it is another table")
        stamps = table[:, layout["stamp"]]
        stamped = rate_from_times(stamps) if len(stamps) > 2 else 0.0
        board, self.rate = min(layout["boards"].items(), key=lambda b: abs(np.log(b[1] / stamped)) if stamped else 0)
        self._data = np.ascontiguousarray(table[:, list(layout["exg"])])
        self._t0 = _first_stamp(stamps)
        _check_counter(self.path.name, table[:, layout["counter"]])
        marks = table[:, layout["marker"]]
        times = self._t0 + np.arange(len(self._data)) / self.rate
        at = np.flatnonzero(np.isfinite(marks) & (marks != 0))
        self._markers = {"Marker Channel": (times[at], tuple(f"{v:g}" for v in marks[at]))} if at.size else {}
        name = self.path.stem
        self.streams = {name: StreamInfo(name=name, kind=kind, rate=self.rate, shape=(len(layout["exg"]),),
                                         channels=tuple(f"EXG Channel {i}" for i in range(len(layout["exg"]))),
                                         dtype="float64", unit=unit, meta={"board": board})}

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._t0 + np.arange(start, stop) / self.rate
