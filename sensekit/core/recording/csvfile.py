"""CSV recordings: a header row naming the columns, one of them the time (seconds, or the unit its
name ends in)."""

from __future__ import annotations

import csv
import datetime
import logging
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..checks import check_scalar
from ..clock import steady_clock
from ..info import UNKNOWN_KIND, StreamInfo, rate_from_times
from .base import OneStreamRecording

__all__ = ["CSVRecording", "TIME_COLUMNS", "LABEL_COLUMNS", "TIME_UNITS", "DELIMITERS", "PREAMBLE_LINES",
           "time_column_name", "has_label_column", "iso_seconds", "is_date_time"]

#: Column names recognised as the time column, case-insensitive: seconds, unless the name ends
#: in a unit of :data:`TIME_UNITS` (``time_ms``, ``timestamp_us``).
TIME_COLUMNS = ("time", "timestamp", "t", "time_s", "timestamp_s", "lsl_timestamp", "time_ms", "timestamp_ms",
                "time_us", "timestamp_us", "time_ns", "timestamp_ns", "x_s")  # (x_s: Delsys' "X[s]")
#: Column names (case-insensitive) read as per-sample labels, not as a channel: their texts are the
#: recording's :meth:`~CSVRecording.markers` (a gesture or class held at each sample); where a table
#: has several, the first of this list is the class held (Ninapro's refined ``restimulus`` before
#: its ``stimulus``).
LABEL_COLUMNS = ("label", "labels", "class", "gesture", "marker", "markers", "restimulus", "stimulus", "target",
                 "class_id", "label_id", "gesture_id")
#: Seconds per unit of a time column whose name ends in ``_<unit>`` (or the unit in brackets:
#: ``Time (s)``, ``Timestamp [ms]``, as spreadsheets and vendors' exports name it).
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
#: The column separators read: commas, tabs (TSV) and semicolons (spreadsheets of decimal-comma locales).
DELIMITERS = (",", "\t", ";")


def time_column_name(header: str) -> str:
    """A column name in the form :data:`TIME_COLUMNS` are written in: lower case, a unit in brackets
    after an underscore (``Time (s)`` -> ``time_s``, ``Timestamp [µs]`` -> ``timestamp_us``)."""
    name = header.strip().lower().replace("µs", "us").replace("μs", "us")
    match = re.fullmatch(r"(.*?)\s*[(\[]\s*(s|ms|us|ns)\s*[)\]]", name)
    return f"{match.group(1).strip()}_{match.group(2)}" if match else name

log = logging.getLogger("sensekit")


#: A channel's line in a Delsys export's preamble: its name and its unit.
_DELSYS_LABEL = re.compile(r"Label:\s*(.+?)\s+Sampling frequency:.*?\sUnit:\s*(\S+)\s+Domain Unit:")

#: Lines before a table's header that are searched for it: vendors' exports open with a
#: preamble (Delsys EMGworks: the application, the date, the collection's length, a blank line).
PREAMBLE_LINES = 64


def _header(path: Path, errors: str = "strict", time_column: str | None = None
            ) -> tuple[str, list[str], int, list[str]]:
    """A table's separator (:data:`DELIMITERS`: the one its header line holds most of), header
    cells, the number of lines before the data, and the lines before the header (a vendor's
    preamble). The header is the first line, or, where that names no time column, the first of
    the next :data:`PREAMBLE_LINES` that does (``time_column``, or one of :data:`TIME_COLUMNS`)."""
    wanted = {time_column_name(time_column)} if time_column else set(TIME_COLUMNS)
    with open(path, newline="", encoding="utf-8-sig", errors=errors) as fh:
        lines = [line for _, line in zip(range(PREAMBLE_LINES + 1), fh, strict=False)]

    def cells(line: str) -> tuple[str, list[str]]:
        delimiter = max(DELIMITERS, key=line.count)  # (a comma unless the header has more tabs or ';')
        return delimiter, [h.strip() for h in next(csv.reader([line], delimiter=delimiter), [])]

    for i, line in enumerate(lines):
        delimiter, header = cells(line)
        if len(header) > 1 and any(time_column_name(h) in wanted for h in header):
            return delimiter, header, i + 1, lines[:i]
    return (*cells(lines[0] if lines else ""), 1, [])


def _stated_unit(preamble: list[str], columns: list[str]) -> str:
    """The unit a Delsys export's ``preamble`` states for every one of ``columns`` (a line
    ``Label: NAME Sampling frequency: ... Unit: V Domain Unit: s`` for each), where they agree;
    else none. EMGworks writes volts, other exports millivolts: the unit lets a calibration
    made on one read the other (:func:`~sensekit.core.units.voltage_factor`)."""
    stated = {}
    for line in preamble:
        match = _DELSYS_LABEL.match(line.strip().rstrip(","))
        if match:
            stated[match.group(1).strip()] = match.group(2)
    units = {stated.get(c.strip().strip('"')) for c in columns}
    return units.pop() if len(units) == 1 and None not in units else ""


def has_label_column(path: str | os.PathLike) -> bool:
    """Whether a table's header names a label column (:data:`LABEL_COLUMNS`)."""
    try:
        _, header, _, _ = _header(Path(path), errors="replace")
    except OSError:
        return False
    return any(h.lower() in LABEL_COLUMNS for h in header)


class CSVRecording(OneStreamRecording):
    """A CSV file as one stream: a header row, a time column in seconds, numeric channels, and
    optionally a label column (:data:`LABEL_COLUMNS`: the class held at each row, kept apart as
    :meth:`markers`, each row's text at its time).

    Parameters
    ----------
    path : path-like
        The file.
    time_column : str, optional
        Name of the time column; default: the first header named one of
        :data:`TIME_COLUMNS`. In seconds, unless its name ends in ``_ms``, ``_us`` or ``_ns``;
        timestamps that give no sensor's rate in seconds (under 1 Hz) but one in another unit
        (milliseconds read as seconds: 0.2 Hz) are read in it, with a warning. Where each
        sensor has its own time column (a Delsys export), the columns of another rate than the
        sensors with the most samples (their cells end early) are left out, with a warning.
    kind : str
        Stream kind to give the data (``"signal"`` by default, e.g. ``"emg"``).
    unit : str
        Unit of the channel values.
    rate : float, optional
        The rate (Hz) of a table with no time column, whose rows are evenly spaced (a dataset
        that states its rate in its documentation); refused where the table has a time column.

    Notes
    -----
    The stream is regular when the time steps agree within 1 % of their median (rate: the
    nominal rate of their mean, see :func:`~sensekit.core.info.rate_from_times`), or when
    every timestamp lies within a quarter of a period of one fitted clock (stamped by a host on
    arrival, as Bluetooth bands' exports are: rate, the nominal rate of that clock; said in the
    log); otherwise irregular with per-sample times.
    """

    def __init__(self, path: str | os.PathLike, *, time_column: str | None = None, kind: str = UNKNOWN_KIND,
                 unit: str = "", rate: float | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"CSV file {str(self.path)!r} does not exist", "check the path")
        try:
            self._delimiter, header, self._skip, preamble = _header(self.path, time_column=time_column)
        except (OSError, UnicodeDecodeError) as e:
            raise RecordingError(f"cannot read {str(self.path)!r} as text CSV ({e})") from None
        if not header:
            raise RecordingError(f"CSV file {str(self.path)!r} is empty", "a header row naming the columns is needed")
        lower = [time_column_name(h) for h in header]
        if rate is not None:
            check_scalar(rate, "rate", min_value=0.01, max_value=1e6)
        if time_column is None:
            tcol = next((i for i, h in enumerate(lower) if h in TIME_COLUMNS), None)
            if tcol is None and rate is None:
                raise RecordingError(
                    f"CSV file {str(self.path)!r} has no time column (header: {header[:8]})",
                    f"name one column {', '.join(TIME_COLUMNS[:3])} (seconds) or time_ms, time_us, or give its "
                    "rate (--rate HZ) if its rows are evenly spaced", python_fix="time_column=NAME or rate=HZ")
            if tcol is not None and rate is not None:
                raise RecordingError(f"--rate does not apply: CSV file {self.path.name!r} has a time column "
                                     f"({header[tcol]!r}), whose timestamps give its rate", "leave --rate out")
        else:
            if time_column_name(time_column) not in lower:
                raise RecordingError(f"CSV file {str(self.path)!r} has no column {time_column!r} (header: {header[:8]})")
            tcol = lower.index(time_column_name(time_column))
        lcols = [i for i, h in enumerate(lower) if h in LABEL_COLUMNS and i != tcol]  # (Ninapro has two)
        numeric = [i for i in range(len(header)) if i not in lcols]
        clockless = tcol is None  # (rows evenly spaced at the given rate)
        copies = [] if clockless else [i for i in numeric if lower[i] == lower[tcol]]  # (Delsys: one for each sensor)
        rows_read = None
        dated = not clockless and self._dated(tcol)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data": said below
                table = np.loadtxt(self.path, delimiter=self._delimiter, skiprows=self._skip, ndmin=2, dtype=np.float64,
                                   usecols=numeric if lcols else None, encoding="utf-8-sig",
                                   converters={tcol: iso_seconds} if dated else None)
        except (ValueError, UnicodeDecodeError) as e:
            table = self._decimal_commas(numeric, tcol, dated) if self._delimiter != "," else None
            if table is None:
                sensors = self._sensors_at_one_rate(header, numeric, copies, tcol) if len(copies) > 1 else None
                if sensors is None:
                    raise RecordingError(f"CSV file {str(self.path)!r} has a non-numeric or ragged row ({e})") from None
                table, numeric, rows_read, tcol = sensors
        if table.shape[0] and table.shape[1] != len(numeric):
            raise RecordingError(
                f"CSV file {str(self.path)!r}: rows have {table.shape[1]} values, header names {len(header)}"
            )
        if table.shape[0] == 0:
            table = np.empty((0, len(numeric)))
            log.warning("CSV file %s holds no samples (a header only)", str(self.path))
        if clockless:
            log.info("CSV file %s has no time column: its rows are read %g Hz apart", self.path.name, rate)
            self._times, cols = np.arange(len(table)) / rate, list(numeric)
        else:
            time_unit = "s" if dated else lower[tcol].rpartition("_")[2]  # (date-times: seconds since 1970)
            self._times = table[:, numeric.index(tcol)] * TIME_UNITS.get(time_unit, 1.0)
            cols = [i for i in numeric if lower[i] != lower[tcol]]  # (a sensor's own copy of the time column too)
        if not clockless and len(cols) < len(numeric) - 1:
            log.info("CSV file %s: %d more time column(s) %r left out", self.path.name, len(numeric) - 1 - len(cols),
                     header[tcol])
        self._data = np.ascontiguousarray(table[:, [numeric.index(i) for i in cols]])
        _warn_odd_columns(self.path, [header[i] for i in cols], self._data)
        self._markers = {header[i]: (self._times, self._label_texts(i, rows_read or len(table))[:len(table)])
                         for i in lcols}
        if not np.all(np.isfinite(self._times)):
            raise RecordingError(f"CSV file {str(self.path)!r}: the time column holds empty or non-numeric values")
        if len(self._times) > 1 and np.any(np.diff(self._times) <= 0):
            i = int(np.argmax(np.diff(self._times) <= 0))
            raise RecordingError(f"CSV file {str(self.path)!r}: time does not increase at line {i + self._skip + 2}")
        if clockless:
            rate = float(rate)
        elif len(self._times) <= 2:
            rate = 0.0
        else:
            step = float(np.median(np.diff(self._times)))
            better = None if time_unit in TIME_UNITS else _plausible_unit(step)
            if better is not None:  # (no unit named: read in the one that gives a sensor's rate)
                log.warning("CSV file %s: column %r read as seconds gives %.3g Hz, no sensor's rate: read in %s; name "
                            "the column time_s to keep seconds", self.path.name, header[tcol], 1.0 / step, better)
                self._times *= TIME_UNITS[better]  # (in place: the markers' times are this array)
            d = np.diff(self._times)
            med = float(np.median(d))
            if np.all(np.abs(d - med) <= 0.01 * med):
                rate = rate_from_times(self._times)
            else:
                rate = _dejittered_rate(self.path, self._times)
        self._t0 = float(self._times[0]) if len(self._times) else 0.0
        name = self.path.stem
        unit = unit or _stated_unit(preamble, [header[i] for i in cols])
        self.streams = {
            name: StreamInfo(name=name, kind=kind, rate=rate, shape=(len(cols),),
                             channels=tuple(header[i] for i in cols), dtype="float64", unit=unit)
        }

    def _rows(self, fh):
        """The rows of the open file ``fh`` after the header (and any preamble before it)."""
        rows = csv.reader(fh, delimiter=self._delimiter)
        for _ in range(self._skip):
            next(rows, None)
        return rows

    def _decimal_commas(self, numeric: list[int], tcol: int | None, dated: bool) -> np.ndarray | None:
        """The table of a semicolon- or tab-separated file written with decimal commas (a
        spreadsheet of a German or French locale), read with a warning; None where that is not
        what failed."""
        def number(text: str) -> float:
            return float(text.replace(",", "."))

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(self.path, delimiter=self._delimiter, skiprows=self._skip, ndmin=2,
                                   dtype=np.float64, usecols=numeric, encoding="utf-8-sig",
                                   converters={i: iso_seconds if dated and i == tcol else number for i in numeric})
        except (ValueError, UnicodeDecodeError):
            return None
        log.warning("CSV file %s: decimal commas read as decimal points", self.path.name)
        return table

    def _dated(self, tcol: int) -> bool:
        """Whether the time column holds ISO 8601 date-times (``2024-05-01 12:00:00.005``), as
        apps that stamp with the wall clock write them, rather than numbers."""
        with open(self.path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            first = next((row for row in self._rows(fh) if row), None)
        if first is None or tcol >= len(first) or not is_date_time(first[tcol]):
            return False
        log.info("CSV file %s: the time column holds date-times, read as seconds", self.path.name)
        return True

    def _sensors_at_one_rate(self, header: list[str], numeric: list[int], copies: list[int], tcol: int):
        """A table whose sensors each have their own time column (a Delsys export), some at
        another rate, whose columns end early (empty cells): ``(table, numeric columns kept, rows
        in the file, the time column)`` with the columns of the time column with the most samples
        (the fastest sensors: EMG rather than an IMU) and its rows, the others left out with a
        warning; None where a cell is not a number or empty."""
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            try:
                cells = [[float(row[i]) if i < len(row) and row[i].strip() else np.nan for i in numeric]
                         for row in self._rows(fh) if row]
            except ValueError:
                return None
        table = np.array(cells, dtype=np.float64).reshape(len(cells), len(numeric))
        tcol = max(copies, key=lambda t: (int(np.isfinite(table[:, numeric.index(t)]).sum()), -t))
        main = table[:, numeric.index(tcol)]
        n = int(np.flatnonzero(np.isfinite(main))[-1]) + 1 if np.isfinite(main).any() else 0
        table = table[:n]
        clock = [max((t for t in copies if t <= c), default=tcol) for c in numeric]  # (each column's time column)
        same = {t: bool(np.array_equal(table[:, numeric.index(t)], table[:, numeric.index(tcol)])) for t in copies}
        kept = [c for c, t in zip(numeric, clock, strict=True) if same[t]]
        other = [header[c] for c, t in zip(numeric, clock, strict=True) if not same[t] and c not in copies]
        if other:
            log.warning("CSV file %s: %d column(s) at another rate than the sensors with the most samples left out "
                        "(each sensor's own time column %r says which): %s", self.path.name, len(other), header[tcol],
                        ", ".join(repr(h) for h in other[:6]) + (" ..." if len(other) > 6 else ""))
        return table[:, [numeric.index(c) for c in kept]], kept, len(cells), tcol

    def _label_texts(self, column: int, n: int) -> tuple[str, ...]:
        """The label column's text of each row (stripped; a missing cell is empty)."""
        with open(self.path, newline="", encoding="utf-8-sig") as fh:
            texts = tuple((row[column].strip() if column < len(row) else "") for row in self._rows(fh) if row)
        if len(texts) != n:
            raise RecordingError(f"CSV file {str(self.path)!r}: {len(texts)} label cells for {n} rows")
        return texts

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._times[start:stop]


def _warn_odd_columns(path: Path, names: list[str], data: np.ndarray) -> None:
    """Warnings naming the columns that are read as channels but look like something else: those
    that rise at every row, as a clock or a packet counter does (a vendor's export with a time
    column for each sensor), and those that hold a few whole numbers in long runs, as class labels
    do (a label column of another name: decoded as a signal, it would have leaked the answer)."""
    if len(data) < 10:
        return
    steps = np.diff(data, axis=0)
    rising = np.all(steps > 0, axis=0)
    if rising.any():
        shown = [names[i] for i in np.flatnonzero(rising)[:4]]
        log.warning("CSV file %s: column(s) %s rise at every row, as a clock or a counter does: they are read as "
                    "channels; leave them out of the table", path.name, ", ".join(repr(n) for n in shown))
    finite = np.isfinite(data).all(axis=0)
    whole = finite & np.all(data == np.round(data), axis=0)
    changes = np.count_nonzero(steps, axis=0)
    labels = [i for i in np.flatnonzero(whole & (changes > 0) & (changes * 100 < len(data)))
              if 2 <= len(np.unique(data[:, i])) <= 50]
    if labels:
        shown = [names[i] for i in labels[:4]]
        log.warning("CSV file %s: column(s) %s hold a few whole numbers in long runs, as class labels do: they are "
                    "read as channels; if one is the class held, name it label", path.name,
                    ", ".join(repr(n) for n in shown))


def iso_seconds(text: str) -> float:
    """Seconds since 1970 of an ISO 8601 date-time (UTC where it names no zone)."""
    stamp = datetime.datetime.fromisoformat(text.strip())
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.UTC)).timestamp()


def is_date_time(text: str) -> bool:
    """Whether a time cell is an ISO 8601 date-time (:func:`iso_seconds` reads it) rather than a
    number, as apps that stamp samples with the wall clock write them."""
    try:
        float(text)
        return False
    except ValueError:
        pass
    try:
        iso_seconds(text)
    except ValueError:
        return False
    return True


def _plausible_unit(step: float) -> str | None:
    """The unit (ms, us, ns) in which a time column of no stated unit and a median ``step`` gives a
    sensor's rate (1 Hz to 100 kHz), where seconds give none (under 1 Hz, over 10 MHz); else None.
    Milliseconds read as seconds had made a 200 Hz band a silent 0.2 Hz."""
    if not step > 0 or 1e-7 <= step <= 1.0:
        return None
    return next((unit for unit in ("ms", "us", "ns") if 1.0 <= 1.0 / (step * TIME_UNITS[unit]) <= 1e5), None)


def _dejittered_rate(path: Path, times: np.ndarray) -> float:
    """The nominal rate of timestamps that jitter around one clock (each within a quarter of a
    period of the least-squares line through them: :func:`~sensekit.core.clock.steady_clock`),
    else 0 (irregular). A band's samples stamped by the host on arrival jitter so; read as
    irregular, its calibration was refused for "rate: expected 1000.0, got 0.0". A missing sample
    moves the later stamps a whole period off the earlier ones' clock (half a period off the line
    at both ends), so a file with a gap stays irregular."""
    steady = steady_clock(times, within=0.25, at_most=0.25, min_samples=3)
    if steady is None:
        return 0.0
    rate, fitted = steady
    log.info("CSV file %s: timestamps jitter by up to %.3g ms around one %g Hz clock; read as regular",
             path.name, float(np.max(np.abs(times - fitted))) * 1e3, rate)
    return rate
