"""OpenBCI GUI recordings (``OpenBCI-RAW-*.txt``): a Cyton or Ganglion board's ExG channels, and the
GUI's marker channel as the file's markers."""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo, nominal_rate
from .base import OneStreamRecording

__all__ = ["OpenBCIRecording", "OPENBCI_FIRST_LINE", "is_openbci"]

log = logging.getLogger("sensekit")

#: The first line of a recording the OpenBCI GUI writes.
OPENBCI_FIRST_LINE = "%OpenBCI Raw EXG Data"


def is_openbci(path: Path) -> bool:
    """Whether ``path`` starts as an OpenBCI GUI recording does."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline().strip().startswith(OPENBCI_FIRST_LINE)
    except OSError:
        return False


class OpenBCIRecording(OneStreamRecording):
    """An OpenBCI GUI recording as one stream: the ``EXG Channel`` columns (µV), at the rate the
    header states.

    The GUI stamps samples as they arrive in packets, so many share a time stamp: the samples are
    placed on the stated rate from the first stamp instead. The ``Sample Index`` counter shows lost
    packets; they are counted in a warning, and the samples on either side are read
    as contiguous. The non-zero values of the ``Marker Channel`` (the GUI's markers, 1-9 from the
    keyboard or UDP) are the file's :meth:`markers`.
    """

    def __init__(self, path: str | os.PathLike, *, kind: str = "exg", unit: str = "uV") -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"OpenBCI file {str(self.path)!r} does not exist", "check the path")
        meta, header, skip = self._header()
        rate = _stated(meta, "Sample Rate")
        if not rate or not 1.0 <= rate <= 100_000.0:
            raise RecordingError(f"{self.path.name}: the header states no sampling rate (%Sample Rate = ... Hz)")
        exg = [i for i, h in enumerate(header) if h.lower().startswith("exg channel")]
        if not exg:
            raise RecordingError(f"{self.path.name} has no 'EXG Channel' column (header: {header[:6]})")
        wanted = {name: header.index(name) for name in ("Sample Index", "Timestamp", "Marker Channel") if name in header}
        cols = exg + sorted(wanted.values())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # (no rows: said below)
                table = np.loadtxt(self.path, delimiter=",", comments="%", skiprows=skip, usecols=cols, ndmin=2,
                                   dtype=np.float64, encoding="utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            raise RecordingError(f"{self.path.name} has a non-numeric or ragged row ({e})") from None
        if table.shape[0] == 0:
            raise RecordingError(f"{self.path.name} holds no samples (a header only)")
        column = {name: table[:, cols.index(i)] for name, i in wanted.items()}
        self._data = np.ascontiguousarray(table[:, : len(exg)])
        self._t0 = _first_stamp(column.get("Timestamp"))
        self.rate = nominal_rate(rate)
        if "Sample Index" in column:
            _check_counter(self.path.name, column["Sample Index"])
        times = self._t0 + np.arange(len(self._data)) / self.rate
        marks = column.get("Marker Channel")
        self._markers = {}
        if marks is not None and np.any(marks != 0):
            at = np.flatnonzero(marks != 0)
            self._markers["Marker Channel"] = (times[at], tuple(f"{v:g}" for v in marks[at]))
        name = self.path.stem
        self.streams = {name: StreamInfo(name=name, kind=kind, rate=self.rate, shape=(len(exg),),
                                         channels=tuple(header[i] for i in exg), dtype="float64", unit=unit,
                                         meta={"board": meta.get("Board", "")})}

    def _header(self) -> tuple[dict[str, str], list[str], int]:
        """The ``%Key = value`` lines, the column names and how many lines precede the data."""
        meta: dict[str, str] = {}
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for k, line in enumerate(fh):
                line = line.strip()
                if line.startswith("%"):
                    key, eq, value = line[1:].partition("=")
                    if eq:
                        meta[key.strip()] = value.strip()
                    continue
                if not line:
                    continue
                return meta, [h.strip() for h in line.split(",")], k + 1
        raise RecordingError(f"{self.path.name} has an OpenBCI header but no column names or samples")

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._t0 + np.arange(start, stop) / self.rate


def _stated(meta: dict[str, str], key: str) -> float | None:
    """A number the header states (``Sample Rate = 250 Hz`` -> 250.0), or None."""
    found = re.match(r"\s*([0-9.eE+-]+)", meta.get(key, ""))
    try:
        return float(found.group(1)) if found else None
    except ValueError:
        return None


def _first_stamp(stamps: np.ndarray | None) -> float:
    """The first time stamp in seconds (the GUI writes Unix seconds; some exports milliseconds), or
    0 without a plausible one."""
    if stamps is None or not len(stamps) or not np.isfinite(stamps[0]) or stamps[0] <= 0:
        return 0.0
    first = float(stamps[0])
    return first / 1000.0 if first > 1e11 else first


#: The largest Sample Index a board's packet counter reaches (a Cyton's wraps at 255; others, larger).
COUNTER_MAX = 65535


def _check_counter(name: str, index: np.ndarray) -> None:
    """Warn of lost packets: the ``Sample Index`` counter stepping otherwise than it mostly does (1
    for a Cyton, 2 with a Daisy), counted modulo where it wraps (the largest value it reaches
    plus that step: 256 for a Cyton)."""
    if len(index) < 3:
        return
    if not (np.isfinite(index).all() and 0 <= index.min() and index.max() <= COUNTER_MAX
            and (index == np.round(index)).all()):
        log.warning("%s: the Sample Index holds values no packet counter has (not whole numbers from 0 to %d): lost "
                    "packets are not counted", name, COUNTER_MAX)
        return
    diffs = np.diff(index)
    rising = diffs[diffs > 0].astype(np.int64)
    if not rising.size:
        return
    usual = int(np.bincount(rising).argmax())
    wrap = int(index.max()) + usual  # (255 + 1 for a Cyton, 254 + 2 with a Daisy)
    steps = np.mod(diffs, wrap)
    odd = int(np.sum(steps != usual))
    if odd:
        log.warning("%s: the Sample Index jumps %d times (packets lost over the radio); the samples on either side "
                    "are read as contiguous", name, odd)
