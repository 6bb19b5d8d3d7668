"""OpenSignals text files (``opensignals_<MAC>_<date>.txt``): a PLUX biosignalsplux or BITalino
recording, as the OpenSignals software writes it.

The file opens with ``# OpenSignals Text File Format``, a ``#`` line holding the header as JSON
(per device, by its MAC address: ``sampling rate``, ``column`` names, the analog channels'
``label``, ``sensor`` types and ADC ``resolution`` in bits), and ``# EndOfHeader``; then one
tab-separated row a sample: ``nSeq`` (a counter that wraps, 0-15 on a BITalino), the digital
inputs and outputs, and the analog channels in ADC counts::

    # OpenSignals Text File Format. Version 1
    # {"00:07:80:4D:2E:76": {"sampling rate": 1000, "column": ["nSeq", "I1", "I2", "O1", "O2", "A1"],
    #    "label": ["A1"], "sensor": ["EMG"], "resolution": [4, 1, 1, 1, 1, 10], ...}}
    # EndOfHeader
    0	0	0	0	0	512

The analog channels are read as one stream of counts (their sensors and resolutions in its meta):
the counts-to-volts transfer function differs between sensor versions, and a calibration learned
on counts decodes counts. The ``nSeq`` counter shows lost samples (Bluetooth drops), counted in a
warning. A file of several devices is refused by name (each has its own clock).
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo, nominal_rate
from .base import OneStreamRecording
from .openbci import _check_counter

__all__ = ["OpenSignalsRecording", "OPENSIGNALS_FIRST_LINE", "is_opensignals"]

log = logging.getLogger("sensekit")

#: The first line of a file OpenSignals writes.
OPENSIGNALS_FIRST_LINE = "# OpenSignals Text File Format"
#: The longest header line read (a device's JSON header is a few kB).
MAX_HEADER_CHARS = 1 << 20


def is_opensignals(path: Path) -> bool:
    """Whether ``path`` starts as an OpenSignals text file does."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline(200).startswith(OPENSIGNALS_FIRST_LINE)
    except OSError:
        return False


class OpenSignalsRecording(OneStreamRecording):
    """An OpenSignals text file as one stream: its analog channels (ADC counts) at the rate the
    header states; the header's sensors and resolutions in the stream's meta."""

    def __init__(self, path: str | os.PathLike, *, kind: str | None = None, unit: str = "counts") -> None:
        from ..schema import json_of

        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"OpenSignals file {str(self.path)!r} does not exist", "check the path")
        header, skip = self._header_lines()
        try:
            doc = json_of(header)
        except (ValueError, RecursionError) as e:
            raise RecordingError(f"{self.path.name}: its header is not a JSON object ({str(e)[:80]})",
                                 "export the recording again from OpenSignals") from None
        if not isinstance(doc, dict) or len(doc) != 1 or not isinstance(next(iter(doc.values())), dict):
            n = len(doc) if isinstance(doc, dict) else 0
            raise RecordingError(f"{self.path.name} holds {n} devices' header (one expected: each device has its own "
                                 "clock)", "export each device to its own file (OpenSignals: one file per device)")
        device = next(iter(doc.values()))
        rate = device.get("sampling rate")
        columns = device.get("column")
        labels = device.get("label")
        if not (isinstance(rate, (int, float)) and 1.0 <= rate <= 100_000.0):
            raise RecordingError(f"{self.path.name}: its header states no sampling rate (\"sampling rate\")")
        if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns) and isinstance(labels, list)
                and labels and all(isinstance(c, str) and c in columns for c in labels)):
            raise RecordingError(f"{self.path.name}: its header names no analog channel among its columns "
                                 "(\"label\", \"column\")", "export the recording again from OpenSignals")
        cols = [columns.index(c) for c in labels] + ([columns.index("nSeq")] if "nSeq" in columns else [])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # (no rows: said below)
                table = np.loadtxt(self.path, comments="#", skiprows=skip, usecols=cols, ndmin=2, dtype=np.float64,
                                   encoding="utf-8")
        except (ValueError, UnicodeDecodeError) as e:
            raise RecordingError(f"{self.path.name} has a non-numeric or ragged row ({str(e)[:120]})") from None
        if table.shape[0] == 0:
            raise RecordingError(f"{self.path.name} holds no samples (a header only)")
        self._data = np.ascontiguousarray(table[:, : len(labels)])
        if "nSeq" in columns:
            _check_counter(self.path.name, table[:, -1])
        self._t0 = 0.0
        self._markers = {}
        self.rate = nominal_rate(float(rate))
        sensors = device.get("sensor") if isinstance(device.get("sensor"), list) else []
        if kind is None:  # (a file of EMG sensors alone is EMG)
            kind = "emg" if sensors and all(str(s).upper().startswith("EMG") for s in sensors) else "biosignal"
        meta = {"device": str(device.get("device", ""))[:100], "sensors": [str(s)[:40] for s in sensors][:64],
                "resolution_bits": [r for r in device.get("resolution", []) if isinstance(r, int)][:64]}
        name = self.path.stem
        self.streams = {name: StreamInfo(name=name, kind=kind, rate=self.rate, shape=(len(labels),),
                                         channels=tuple(labels), dtype="float64", unit=unit, meta=meta)}

    def _header_lines(self) -> tuple[str, int]:
        """The header's JSON text and how many lines precede the samples."""
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            header = None
            for k, line in enumerate(fh):
                if len(line) > MAX_HEADER_CHARS:
                    raise RecordingError(f"{self.path.name}: line {k + 1} is over {MAX_HEADER_CHARS:,} characters")
                if line.startswith("# EndOfHeader"):
                    if header is None:
                        break
                    return header, k + 1
                if k == 1 and line.startswith("#"):
                    header = line[1:].strip()
                if k > 10:
                    break
        raise RecordingError(f"{self.path.name} has no OpenSignals header (a '# {{...}}' line, then '# EndOfHeader')",
                             "export the recording again from OpenSignals")

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._t0 + np.arange(start, stop) / self.rate
