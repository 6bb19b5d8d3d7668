"""Hand-coded events as a reference: a coder's table of event start and end times (the form many
datasets give their coders' work in, e.g. Hooge et al. 2018's ``FixStart``/``FixEnd`` lists, one
file a coder, every trial in it) turned into per-sample labels of a gaze table, to score a
detector against as a Lund or IRF file's labels are.

The table's columns, found by name (case ignored):

- start and end times (``start``/``end``, ``onset``/``offset``, or any names ending in them, such as
  ``FixStart``/``FixEnd``), in the gaze table's time unit and on its clock;
- optionally the event type (``type``, ``event``, ``label``, ``class``: fixation, saccade, pso,
  pursuit, blink or their codes 1-5); without it every event is a fixation;
- optionally the trial (``trial``, ``file``, ``recording``): only the rows naming the gaze file
  (its name without the suffix) are used.

A sample belongs to an event when its time lies within [start, end], or within half a sample period
of either (times written to fewer decimals than the samples'). Only the classes the table codes are
scored against it: a list of fixations says nothing about saccades.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import RecordingError
from .labels import FIXATION, LABEL_NAMES, UNDEFINED

__all__ = ["reference_event_labels"]

_STARTS, _ENDS = ("start", "onset", "begin"), ("end", "offset", "stop")
_TYPES, _TRIALS = ("type", "event", "label", "class"), ("trial", "file", "recording")


def _find(header: list[str], endings: tuple[str, ...], exact: bool = False) -> str | None:
    for name in header:
        low = name.strip().lower().replace("_", "").replace(" ", "")
        if any(low == e or (not exact and low.endswith(e)) for e in endings):
            return name
    return None


def _number(cell: str, path: Path, row: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        raise RecordingError(f"{path.name}: row {row}, column {column!r} holds {cell[:30]!r}, not a time",
                             "fix or remove that row")
    return value


def _code(cell: str) -> int:
    """A type cell that is a whole number (``"1"``, ``"1.0"``) as that code, else -1."""
    try:
        value = float(cell)
    except ValueError:
        return -1
    return int(value) if value.is_integer() else -1


def reference_event_labels(path: str | Path, times: np.ndarray, trial: str) -> tuple[str, np.ndarray, tuple[int, ...]]:
    """The coder's name (the table's file name without the suffix), per-sample labels of the samples
    at ``times`` (in the table's time unit and clock) and the class codes the table codes.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> table = os.path.join(folder, "RA.txt")
    >>> _ = open(table, "w").write("Trial\\tFixStart\\tFixEnd\\nrec1\\t0\\t20\\nrec2\\t0\\t50\\nrec1\\t40\\t50\\n")
    >>> name, labels, classes = reference_event_labels(table, np.arange(0, 60, 10.0), "rec1")
    >>> name, labels.tolist(), classes
    ('RA', [1, 1, 1, 0, 1, 1], (1,))
    """
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"reference events {str(path)!r} is not a file", "give a coder's table of events")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise RecordingError(f"{path.name} is empty", "give a table with a header: start, end (and type, trial)")
    dialect = "excel-tab" if lines[0].count("\t") > lines[0].count(",") else "excel"
    reader = csv.DictReader(lines, dialect=dialect)
    header = [h for h in reader.fieldnames or () if h]
    rows = list(enumerate(reader, start=2))  # (with their line numbers, for the messages)
    start, end = _find(header, _STARTS), _find(header, _ENDS)
    if start is None or end is None or start == end:
        raise RecordingError(f"{path.name} has no start and end columns (header: {header[:8]})",
                             "name them start and end (or onset/offset, FixStart/FixEnd)")
    kind, trial_column = _find(header, _TYPES, exact=True), _find(header, _TRIALS, exact=True)
    if trial_column is not None:
        named = [(i, r) for i, r in rows if (r.get(trial_column) or "").strip()]
        rows = [(i, r) for i, r in named if Path((r.get(trial_column) or "").strip()).stem == trial]
        if not rows:
            trials = sorted({(r.get(trial_column) or "").strip() for _, r in named})
            raise RecordingError(f"{path.name} has no events of trial {trial!r} (column {trial_column!r} names "
                                 f"{len(trials)} others, e.g. {trials[:3]})", "give the table of this file's coder")
    by_name = {v: k for k, v in LABEL_NAMES.items()}
    t = np.asarray(times, dtype=np.float64)
    order = np.argsort(t, kind="stable")  # (a clock that goes back: those samples are dropped later, not here)
    ordered = t[order]
    steps = np.diff(ordered)
    # a start or end within half a sample of a sample's time is that sample's (Hooge et al.'s coders wrote times to
    # 0.01 ms of samples stamped to 0.001 ms: 796.67 for the sample at 796.667)
    near = 0.49 * float(np.median(steps[steps > 0])) if (steps > 0).any() else 0.0
    labels = np.full(t.size, UNDEFINED, dtype=np.int8)
    coded = set()
    for i, r in rows:
        a = _number((r.get(start) or "").strip(), path, i, start)
        b = _number((r.get(end) or "").strip(), path, i, end)
        if b < a:
            raise RecordingError(f"{path.name}: row {i} ends ({b:g}) before it starts ({a:g})", "fix or remove that row")
        code = FIXATION
        if kind is not None:
            cell = (r.get(kind) or "").strip().lower()
            code = by_name.get(cell, _code(cell))
            if code not in LABEL_NAMES or code == UNDEFINED:
                raise RecordingError(f"{path.name}: row {i}, column {kind!r} holds {cell[:30]!r}",
                                     "name the event: fixation, saccade, pso, pursuit or blink (or 1-5)")
        labels[order[np.searchsorted(ordered, a - near, "left"):np.searchsorted(ordered, b + near, "right")]] = code
        coded.add(code)
    return path.stem, labels, tuple(sorted(coded or {FIXATION}))
