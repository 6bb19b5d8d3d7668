"""Gaze files of Tobii's older tools, whose validity is a code per eye (0 sure ... 4 not found).

Two formats, both tab-separated, both with each eye's gaze and validity and no one gaze column:

- **Tobii Analytics SDK sample files** (the TX300/T60 era; the form of I2MC's example data, which
  its TX300 importer reads): ``Time`` (µs, the tracker's clock),
  ``LGazePos2dx``/``LGazePos2dy`` and ``RGazePos2dx``/``RGazePos2dy`` in fractions of the display
  (-1 where the eye was not found), ``LValidity``/``RValidity``;
- **Tobii Studio exports**: ``RecordingTimestamp`` (ms), ``GazePointLeftX (ADCSpx)``... in pixels of
  the display, ``ValidityLeft``/``ValidityRight``; the rows of Studio's events (no validity) are left
  out, and an export of several recordings (``RecordingName``) is refused without ``--recording``.

An eye's sample is lost where its code is above
:data:`~sensekit.eyetrack.datasets.TOBII_SEEN_CODE` (1) or its gaze is more than half a screen off the display
(:data:`~sensekit.eyetrack.datasets.OFF_DISPLAY`);
the gaze is the eyes' mean (where one is lost, the other moved by half their usual difference).
"""

from __future__ import annotations

import logging

import numpy as np

from ..core.recording.csvfile import DELIMITERS
from ..errors import DatasetError, RecordingError
from .datasets import (
    OFF_DISPLAY,
    TOBII_SEEN_CODE,
    GazeRecording,
    _column,
    _mean_of_eyes,
    _need,
    _nominal_rate,
    _one_recording,
    _read_table,
    _to_deg,
)
from .geometry import Screen

log = logging.getLogger("sensekit")

__all__ = ["load_tobii_legacy", "is_tobii_legacy"]

#: Each format: its time column and scale to seconds, whether the gaze is in fractions of the
#: display, and each eye's (x, y, validity) columns.
_FORMATS = {
    "Tobii Analytics SDK": ("Time", 1e-6, True, (("LGazePos2dx", "LGazePos2dy", "LValidity"),
                                                 ("RGazePos2dx", "RGazePos2dy", "RValidity"))),
    "Tobii Studio": ("RecordingTimestamp", 1e-3, False,
                     (("GazePointLeftX (ADCSpx)", "GazePointLeftY (ADCSpx)", "ValidityLeft"),
                      ("GazePointRightX (ADCSpx)", "GazePointRightY (ADCSpx)", "ValidityRight"))),
}


def _format(header) -> str | None:
    names = set(header)
    for kind, (time, _, _, eyes) in _FORMATS.items():
        if time in names and all(c in names for eye in eyes for c in eye):
            return kind
    return None


def is_tobii_legacy(head: str) -> bool:
    """Whether a table's header line is one of these formats' (split as :func:`_read_table` splits it)."""
    return _format(h.strip() for h in head.split(max(DELIMITERS, key=head.count))) is not None


def load_tobii_legacy(path, *, screen: Screen | None = None, recording: str | None = None) -> GazeRecording:
    """A Tobii Analytics SDK sample file or Tobii Studio export (see the module): the eyes' mean
    gaze, each eye lost where its validity code is above :data:`TOBII_SEEN_CODE`.

    Examples
    --------
    >>> from sensekit.eyetrack.geometry import Screen
    >>> rec = load_tobii_legacy("participant1/1.txt", screen=Screen(531, 299, 1920, 1080, 650))  # doctest: +SKIP
    """
    path = _need(path)
    rows = _read_table(path)
    kind = _format(rows[0])
    if kind is None:
        raise RecordingError(f"{path.name} is not a Tobii Analytics SDK or Tobii Studio gaze file")
    time, scale, fractions, eyes = _FORMATS[kind]
    if kind == "Tobii Studio":
        rows = [r for r in rows if any((r.get(eye[2]) or "").strip() for eye in eyes)]  # (event rows have no codes)
        rows = _one_recording(rows, path, recording, column="RecordingName")
    elif recording is not None:
        raise RecordingError(f"--recording does not apply: {path.name} is a {kind} file, one recording", "leave it out")
    if len(rows) < 2:
        raise RecordingError(f"{path.name}: {len(rows)} gaze sample(s); at least 2 are needed")
    if screen is None:
        raise DatasetError(f"{path.name} is a {kind} file: its gaze is in {'fractions' if fractions else 'pixels'} "
                           "of the display; a screen geometry is needed", "give --screen WxHmm@WxH and --distance MM",
                           python_fix="screen=Screen(...)")
    t = _column(rows, path, time)
    if not np.isfinite(t).all():
        raise RecordingError(f"{path.name}: the time column {time!r} has empty or non-numeric cells")
    t = (t - t[0]) * scale
    size = (float(screen.width_px), float(screen.height_px))
    gaze, lost = [], []
    for cx, cy, cv in eyes:
        x, y, code = _column(rows, path, cx), _column(rows, path, cy), _column(rows, path, cv)
        if fractions:
            x, y = x * size[0], y * size[1]
        off = (np.abs(x / size[0] - 0.5) > OFF_DISPLAY) | (np.abs(y / size[1] - 0.5) > OFF_DISPLAY)
        gone = ~(code <= TOBII_SEEN_CODE) | off | ~np.isfinite(x) | ~np.isfinite(y)
        gaze.append((np.where(gone, np.nan, x), np.where(gone, np.nan, y)))
        lost.append(gone)
    x = _mean_of_eyes(gaze[0][0], gaze[1][0])
    y = _mean_of_eyes(gaze[0][1], gaze[1][1])
    both = lost[0] & lost[1]
    log.info("%s: %s file; %.1f %% of the samples lost in both eyes (validity code above %d)", path.name, kind,
             100 * float(both.mean()), TOBII_SEEN_CODE)
    x, y = _to_deg(x, y, screen, "px")
    return GazeRecording(t, x, y, _nominal_rate(t, path.name), screen, {}, path.stem)
