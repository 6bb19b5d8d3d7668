"""SMI iView X and BeGaze sample exports (the IDF converter's text files): gaze on the screen,
the screen as the file states it, and BeGaze's own events to compare with.

SMI's trackers (RED, RED250mobile, HiSpeed, iView X: the tracker of Lund 2013) are out of
production, but their exports fill archives. A file opens with a ``##`` preamble that states the
screen: ``## Calibration Area:`` (px), ``## Stimulus Dimension [mm]:`` and ``## Head Distance
[mm]:``; then a tab-separated table, ``Time`` (µs), ``Type`` (``SMP`` a sample, ``MSG`` a
message), ``Trial``, and per eye ``L POR X [px]``, ``L POR Y [px]`` (the point of regard) ...
and, from BeGaze, the event of each sample in ``L Event Info`` / ``R Event Info`` (or ``Info``):
Fixation, Saccade, Blink, ``-``::

    ## [BeGaze]
    ## Sample Rate:	500
    ## Calibration Area:	1680	1050
    ## Stimulus Dimension [mm]:	474	297
    ## Head Distance [mm]:	700
    Time	Type	Trial	L POR X [px]	L POR Y [px]	L Event Info
    10000000123	SMP	1	850.71	717.53	Fixation
    10000001123	MSG	1	# Message: stim1.jpg

The left eye is read where the file has it, else the right. A sample in a blink, or at (0, 0)
(where SMI writes a lost eye), is data loss; BeGaze's events are kept as the labels ``BeGaze``.
With the three geometry lines the file is read in degrees without ``--screen``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError, RecordingError
from .labels import BLINK, FIXATION, SACCADE, UNDEFINED

__all__ = ["is_smi_export", "smi_screen", "load_smi"]

#: BeGaze's event names as label codes (anything else, ``-`` included: undefined).
BEGAZE_EVENTS = {"fixation": FIXATION, "saccade": SACCADE, "blink": BLINK}
#: How many lines of ``##`` preamble are read for the screen.
PREAMBLE_READ = 200


def is_smi_export(head: str) -> bool:
    """Whether a table's header line is an SMI sample export's."""
    cells = [c.strip() for c in head.rstrip("\r\n").split("\t")]
    return cells[:2] == ["Time", "Type"] and any(c in ("L POR X [px]", "R POR X [px]") for c in cells)


def smi_screen(path):
    """The :class:`~.geometry.Screen` an SMI export's preamble states (calibration area in px,
    stimulus dimension and head distance in mm), or None where it states no whole geometry; one
    line for numbers no display has."""
    from .geometry import Screen

    found: dict[str, list[str]] = {}
    with open(path, errors="replace") as fh:
        for _, line in zip(range(PREAMBLE_READ), fh, strict=False):
            if not line.startswith("##"):
                break
            key, _, values = line[2:].partition(":")
            found[key.strip()] = values.split()
    try:
        width_px, height_px = (int(v) for v in found["Calibration Area"][:2])
        width_mm, height_mm = (float(v) for v in found["Stimulus Dimension [mm]"][:2])
        distance = float(found["Head Distance [mm]"][0])
    except (KeyError, ValueError, IndexError):
        return None
    return Screen(width_mm, height_mm, width_px, height_px, distance)


def load_smi(path, *, screen=None):
    """An SMI sample export as a :class:`~.datasets.GazeRecording` in degrees on ``screen`` (the
    file's own, :func:`smi_screen`, by default), BeGaze's events as the labels ``BeGaze``."""
    from .datasets import GazeRecording, _nominal_rate, _read_table, _to_deg

    path = Path(path)
    screen = screen or smi_screen(path)
    if screen is None:
        raise DatasetError(f"{path.name} is an SMI export whose preamble states no screen geometry (Calibration "
                           "Area, Stimulus Dimension [mm], Head Distance [mm])",
                           "give --screen WxHmm@WxH and --distance MM", python_fix="screen=Screen(...)")
    rows = _read_table(path)
    eye = "L" if "L POR X [px]" in rows[0] else "R"
    events = next((c for c in (f"{eye} Event Info", "Info") if c in rows[0]), None)
    t, x, y, codes = [], [], [], []
    for number, row in enumerate(rows, start=2):
        if (row.get("Type") or "").strip() != "SMP":
            continue
        cells = [(row.get(c) or "").strip() for c in ("Time", f"{eye} POR X [px]", f"{eye} POR Y [px]")]
        try:
            ts, px, py = (float(c) if c else np.nan for c in cells)
        except ValueError:
            raise RecordingError(f"{path.name}: sample row {number} holds {cells!r}, not three numbers",
                                 "fix or remove that row") from None
        event = BEGAZE_EVENTS.get((row.get(events) or "").strip().lower(), UNDEFINED) if events else UNDEFINED
        lost = event == BLINK or (px == 0 and py == 0)
        t.append(ts)
        x.append(np.nan if lost else px)
        y.append(np.nan if lost else py)
        codes.append(event)
    if len(t) < 2:
        raise RecordingError(f"{path.name} holds {len(t)} samples (rows of Type SMP)", "export the samples")
    t_s = np.asarray(t) * 1e-6
    if not np.isfinite(t_s).all():
        raise RecordingError(f"{path.name}: a sample has no time", "fix or remove that row")
    order = np.argsort(t_s, kind="stable")
    t_s = t_s[order] - t_s[order][0]
    xd, yd = _to_deg(np.asarray(x)[order], np.asarray(y)[order], screen, "px")
    labels = {"BeGaze": np.asarray(codes, dtype=np.int8)[order]} if events else {}
    return GazeRecording(t_s, xd, yd, _nominal_rate(t_s, path.name), screen, labels, path.stem)
