"""JSON lines on a text stream (stdout by default), for scripting."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import numpy as np

from ..frame import Frame
from ..info import StreamInfo

__all__ = ["JSONLinesSink"]


class JSONLinesSink:
    """Write one JSON object per sample: ``{"stream", "t", "seq", "block", "data"}``.

    ``seq`` counts the samples written (for a decoder: its decisions, 0, 1, 2, ...), ``block``
    is the sequence number of the block that carried the sample. ``data`` is a number for
    scalar samples, else a (nested) list. Non-finite values are written as ``null``. A
    ``{"stream_info": ...}`` line comes first.

    Parameters
    ----------
    out : text file, optional
        Where to write; default ``sys.stdout``.
    header : bool
        Write the stream info line first.
    """

    def __init__(self, out: TextIO | None = None, *, header: bool = True) -> None:
        self.out = out
        self.header = header

    def open(self, info: StreamInfo) -> None:
        self._out = self.out if self.out is not None else sys.stdout
        self._name = info.name
        self._count = 0
        if self.header:
            self._out.write(json.dumps({"stream_info": info.to_dict()}) + "\n")

    def write(self, frame: Frame) -> None:
        data = frame.data
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            bad = ~np.isfinite(data)
            data = data.astype(object)
            data[bad] = None
        lines = []
        for t, row in zip(frame.times.tolist(), data.tolist(), strict=True):
            lines.append(json.dumps({"stream": self._name, "t": t, "seq": self._count, "block": frame.seq, "data": row}))
            self._count += 1
        self._out.write("\n".join(lines) + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._out is not sys.stdout:
            self._out.flush()
