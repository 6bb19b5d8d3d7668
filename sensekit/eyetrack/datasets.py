"""Gaze recordings from public datasets and eye-tracker exports.

Every loader returns a :class:`GazeRecording`: times (s), gaze x/y in degrees of visual
angle (NaN for loss), the rate, the screen geometry when known, and hand labels when the
file has them.

- :func:`load_lund2013` — Lund 2013 (Andersson et al. 2017) ``.mat`` files; lost gaze
  stored as (0, 0) becomes NaN; coders' files are cut to a common length.
- :func:`load_irf` — IRF lookAtPoint ``.npy`` files (degrees already; 1000 Hz).
- :func:`load_eyelink_asc` — EyeLink ASC sample lines (``edf2asc`` output).
- :func:`load_pupil_labs_csv` — Pupil Player's ``gaze_positions.csv``.
- :func:`load_pupil_cloud_csv` — Pupil Cloud's ``gaze.csv`` (Neon, Invisible; degrees).
- :func:`load_tobii_csv` — Tobii Pro Lab / Tobii Pro SDK tab- or comma-separated exports.

Eye images with labelled pupils, read from the user's copy (not redistributable):
:func:`load_swirski` (Świrski et al. 2012) and :func:`load_lpw` (Labelled Pupils in the
Wild, Tonsen et al. 2016).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import live_source_fix, not_a_file
from ..core.info import nominal_rate, rate_from_times
from ..core.recording.csvfile import PREAMBLE_LINES, TIME_UNITS, is_date_time, iso_seconds, time_column_name
from ..errors import DatasetError, RecordingError
from .detectors import MAX_GAZE_DEG, MAX_GAZE_RATE_HZ, gaze_as_loss
from .directions import direction_degrees, direction_reader
from .gaze_table import DECIMAL_COMMA, TableRow, gunzipped, is_gzipped_table, read_table
from .gaze_table import preamble as _preamble
from .geometry import Screen
from .labels import BLINK, FIXATION, LABEL_NAMES, SACCADE, UNDEFINED

__all__ = ["GazeRecording", "load_lund2013", "lund2013_files", "load_irf", "load_eyelink_asc",
           "load_pupil_labs_csv", "load_pupil_cloud_csv", "load_tobii_csv", "load_gaze", "LUND_STIMULI",
           "PupilImages", "load_swirski", "load_lpw", "load_pupil_images"]

log = logging.getLogger("sensekit")

#: Stimulus folders of Lund 2013's "data used in the article".
LUND_STIMULI = ("img", "dots", "video")


@dataclasses.dataclass
class GazeRecording:
    """A gaze recording in degrees.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Sample times (s).
    x, y : ndarray, shape (n,)
        Gaze (deg of visual angle from the screen centre; x right, y down); NaN for loss.
    rate : float
        Nominal sampling rate (Hz).
    screen : Screen or None
        Display geometry, when the file gives it.
    labels : dict of str to ndarray
        Hand labels by coder (codes of :mod:`sensekit.eyetrack.labels`).
    name : str
    label_classes : dict of str to tuple of int
        The classes a coder's labels code, where not all (a list of fixations says nothing of
        saccades): only these are scored against them.
    unwrapped : bool
        x is an azimuth kept continuous past straight behind (a headset's gaze direction,
        :mod:`sensekit.eyetrack.directions`): not bounded by
        :data:`~sensekit.eyetrack.detectors.MAX_GAZE_DEG`.
    """

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    rate: float
    screen: Screen | None = None
    labels: dict = dataclasses.field(default_factory=dict)
    name: str = "gaze"
    label_classes: dict = dataclasses.field(default_factory=dict)
    unwrapped: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.rate <= MAX_GAZE_RATE_HZ:
            raise RecordingError(f"{self.name}: {self.rate:g} Hz is no eye tracker's rate (at most {MAX_GAZE_RATE_HZ:g} Hz)",
                                 "check the file's sampling rate or time column (a plain table's unit: "
                                 "--time-unit s|ms|us)")
        x, y, beyond, largest = gaze_as_loss(self.x, self.y, unwrapped=self.unwrapped)  # (NaN in one: lost in both)
        if beyond:
            log.warning("%s: %d gaze sample(s) lie beyond %g deg from the centre (largest %.3g): not a gaze, treated "
                        "as data loss; check the units (--units) and the screen geometry", self.name, beyond,
                        MAX_GAZE_DEG, largest)
        self.x, self.y = x, y

    def __len__(self) -> int:
        return int(self.t.size)

    def regular(self) -> GazeRecording:
        """This recording on a regular grid at :attr:`rate`: samples go to the nearest grid
        point, and gaps in the timestamps (dropped samples, a pause) become NaN (loss),
        logged as a warning; duplicated or backward timestamps keep the first sample. Samples
        that come unevenly (more than 1 % of them would share a grid point with the one before,
        though their clock advances: two eye cameras' gaze interleaved) are interpolated onto
        the grid instead, with a warning."""
        if self.t.size < 2:
            raise RecordingError(f"{self.name}: {self.t.size} gaze sample(s); at least 2 are needed")
        k = np.round((self.t - self.t[0]) * self.rate).astype(np.int64)
        steps = np.diff(k)
        if (steps == 1).all():
            return self
        n = int(k.max()) + 1
        if n > 4 * self.t.size + 1000:
            raise RecordingError(f"{self.name}: timestamps span {self.t[-1] - self.t[0]:.0f} s for {self.t.size} samples "
                                 f"at {self.rate:g} Hz", "check the file's time column and the sampling rate")
        if (np.diff(self.t) > 0).all() and np.sum(steps == 0) > 0.01 * self.t.size:
            return self._interpolated(n)
        gaps = np.flatnonzero(steps > 1)
        if gaps.size:
            log.warning("%s: timestamps jump %d times (largest %.3f s at %.3f s); the gaps are filled as data loss",
                        self.name, gaps.size, float(steps[gaps].max() / self.rate), float(self.t[gaps[0]] - self.t[0]))
        keep = k > np.r_[-1, np.maximum.accumulate(k)[:-1]]  # later than every sample before it
        if keep.sum() < 2:
            raise RecordingError(f"{self.name}: the timestamps do not advance ({self.t.size} samples, all at or before "
                                 f"{self.t[0]:.6g})", "check the file's time column")
        if (~keep).any():
            first_bad = int(np.argmax(~keep))
            log.warning("%s: %d samples repeat or go back in time (the clock first goes back after %.3f s); they are "
                        "dropped", self.name, int((~keep).sum()), float(self.t[max(first_bad - 1, 0)] - self.t[0]))
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        x[k[keep]], y[k[keep]] = self.x[keep], self.y[keep]
        labels = {}
        for name, lab in self.labels.items():
            full = np.zeros(n, dtype=lab.dtype)
            full[k[keep]] = lab[keep]
            labels[name] = full
        return GazeRecording(self.t[0] + np.arange(n) / self.rate, x, y, self.rate, self.screen, labels, self.name,
                             dict(self.label_classes), self.unwrapped)

    def _interpolated(self, n: int) -> GazeRecording:
        """The gaze linearly interpolated at the ``n`` grid points, NaN where the step around a grid
        point is longer than three periods (a gap) or either sample is lost; labels of the nearest
        sample."""
        grid = self.t[0] + np.arange(n) / self.rate
        after = np.clip(np.searchsorted(self.t, grid), 1, self.t.size - 1)
        gap = self.t[after] - self.t[after - 1] > 3.0 / self.rate
        x, y = np.interp(grid, self.t, self.x), np.interp(grid, self.t, self.y)
        x[gap], y[gap] = np.nan, np.nan
        nearest = np.where(grid - self.t[after - 1] <= self.t[after] - grid, after - 1, after)
        steps = 1e3 * np.diff(self.t)
        log.warning("%s: samples come unevenly (steps %.3g to %.3g ms, median %.3g): interpolated onto the %g Hz grid%s",
                    self.name, np.percentile(steps, 5), np.percentile(steps, 95), np.median(steps), self.rate,
                    f"; {int(np.sum(np.diff(np.r_[False, gap]) == 1))} gaps filled as data loss" if gap.any() else "")
        return GazeRecording(grid, x, y, self.rate, self.screen, {name: lab[nearest] for name, lab in self.labels.items()},
                             self.name, dict(self.label_classes), self.unwrapped)

    def stream_info(self) -> StreamInfo:
        """A regular ``gaze`` stream (channels x, y in degrees)."""
        meta = {"gaze_units": "deg", **({"gaze_azimuth": "unwrapped"} if self.unwrapped else {})}
        if self.screen is not None:
            meta["screen"] = self.screen.to_dict()
        return StreamInfo(self.name, "gaze", self.rate, (2,), channels=("x", "y"), dtype="float64", unit="deg",
                          meta=meta)

    def to_frame(self) -> Frame:
        """The whole recording as one frame of :meth:`stream_info`."""
        t0 = float(self.t[0]) if self.t.size else 0.0
        return Frame(self.stream_info(), np.stack([self.x, self.y], axis=1), t0=t0)


def _nominal_rate(t: np.ndarray, name: str = "gaze", floor: float = 1.0) -> float:
    """Sampling rate (Hz) of timestamps ``t`` (s), at least ``floor``:
    :func:`~sensekit.core.info.rate_from_times`, which reads timestamps rounded to whole
    milliseconds right (a 300 Hz tracker's had read as 333 Hz, and every tenth sample as lost)."""
    if len(t) < 2:
        raise RecordingError(f"{name}: {len(t)} gaze sample(s); at least 2 are needed")
    step = float(np.median(np.diff(t)))
    if not np.isfinite(step) or step <= 0:
        raise RecordingError(f"{name}: the timestamps do not advance (median step {step:g} s)",
                             "check the file's time column")
    return max(rate_from_times(t), floor)


def _need(path: Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"gaze file {str(path)!r} {not_a_file(path)}", live_source_fix(path) or "check the path")
    return path


def _lund_one(path: Path):
    from ..core.matlab import read_mat

    _, m = read_mat(path, ["ETdata"])
    try:
        e = m["ETdata"]
        pos = np.asarray(e["pos"][0, 0], dtype=np.float64)
        fs = float(e["sampFreq"][0, 0][0, 0])
        res = np.asarray(e["screenRes"][0, 0][0], dtype=np.float64)
        dim = np.asarray(e["screenDim"][0, 0][0], dtype=np.float64)
        dist = float(e["viewDist"][0, 0][0, 0])
    except Exception as exc:  # noqa: BLE001 - any parse failure is a corrupt file
        raise RecordingError(f"{path.name} is not a Lund 2013 ETdata .mat file ({exc})",
                             "point at the annotated_data/ files of the Lund 2013 set") from None
    screen = Screen(dim[0] * 1000, dim[1] * 1000, int(res[0]), int(res[1]), dist * 1000)
    return pos, fs, screen


def load_lund2013(path_ra, path_mn=None) -> GazeRecording:
    """One Lund 2013 recording: gaze from the RA file, labels of RA (and MN when given).

    Gaze (0, 0) becomes NaN; pixels become degrees with the file's geometry; the two
    coders' files are cut to the shorter length (they differ by 1–3 samples). Times are
    sample index / rate: the files' clock column jitters around its 2 ms step.
    """
    pos, fs, screen = _lund_one(_need(path_ra))
    labels = {"RA": pos[:, 5].astype(np.int8)}
    n = len(pos)
    if path_mn is not None:
        pos_mn, _, _ = _lund_one(_need(path_mn))
        n = min(n, len(pos_mn))
        labels = {"RA": labels["RA"][:n], "MN": pos_mn[:n, 5].astype(np.int8)}
    pos = pos[:n]
    lost = (pos[:, 3] == 0) & (pos[:, 4] == 0)
    px = np.where(lost, np.nan, pos[:, 3])
    py = np.where(lost, np.nan, pos[:, 4])
    x, y = screen.to_degrees(px, py)
    t = np.arange(n) / fs  # the SMI clock column jitters around 2000 µs steps; samples are regular
    return GazeRecording(t, x, y, fs, screen, labels, Path(path_ra).name.replace("_labelled_RA.mat", ""))


def lund2013_files(root, stimulus: str) -> list[tuple[Path, Path]]:
    """(RA, MN) file pairs of one stimulus type (``img``, ``dots`` or ``video``) in
    ``annotated_data/data used in the article``."""
    if stimulus not in LUND_STIMULI:
        raise DatasetError(f"unknown Lund 2013 stimulus {stimulus!r}", f"use one of {', '.join(LUND_STIMULI)}")
    folder = Path(root) / "annotated_data" / "data used in the article" / stimulus
    pairs = []
    for ra in sorted(folder.glob("*_labelled_RA.mat")):
        mn = ra.with_name(ra.name.replace("_RA.mat", "_MN.mat"))
        if mn.exists():
            pairs.append((ra, mn))
    if not pairs:
        raise DatasetError(f"no Lund 2013 files in {str(folder)!r}", "sensekit datasets fetch lund2013")
    return pairs


def load_irf(path) -> GazeRecording:
    """An IRF lookAtPoint ``.npy`` file (fields t, x, y in deg, status, evt), 1000 Hz."""
    path = _need(path)
    try:
        a = np.load(path, allow_pickle=False)
        t, x, y, status, evt = (a[k] for k in ("t", "x", "y", "status", "evt"))
    except Exception as exc:  # noqa: BLE001
        raise RecordingError(f"{path.name} is not an IRF structured array ({exc})",
                             "point at a lookAtPoint_EL_S*.npy file") from None
    x = np.where(status, x, np.nan).astype(np.float64)
    y = np.where(status, y, np.nan).astype(np.float64)
    screen = None
    cfg = path.with_name("db_config.json")
    if cfg.exists():
        import json

        g = json.loads(cfg.read_text()).get("geom", {})
        try:
            screen = Screen(g["screen_width"], g["screen_height"], int(g["display_width_pix"]),
                            int(g["display_height_pix"]), g["eye_distance"])
        except (KeyError, TypeError):
            screen = None
    t = np.asarray(t, dtype=np.float64)
    rate = _nominal_rate(t)
    return GazeRecording(t, x, y, rate, screen, {"RZ": np.asarray(evt, dtype=np.int8)}, path.stem)


def _to_deg(x, y, screen: Screen | None, units: str):
    if units == "deg":
        return x, y
    if screen is None:
        raise DatasetError("gaze is in pixels but no screen geometry was given",
                           "give --screen WxHmm@WxH and --distance MM", python_fix="screen=Screen(...)")
    return screen.to_degrees(x, y)


def load_eyelink_asc(path, *, screen: Screen | None = None, eye: str = "auto") -> GazeRecording:
    """Samples of an EyeLink ASC file (``edf2asc`` output; ``.`` marks lost samples).

    The screen resolution is read from ``DISPLAY_COORDS`` when present; physical size and
    distance come from ``screen``. Binocular files give the left eye unless ``eye="R"``. The
    EyeLink parser's own events of that eye (``EFIX``, ``ESACC``, ``EBLINK``) are kept as the
    labels ``EyeLink`` (fixation, saccade, blink; else undefined) to compare with.
    """
    path = _need(path)
    ts, xs, ys = [], [], []
    events: list[tuple[int, float, float, str]] = []  # (code, start, end, eye) of the parser's events
    kinds = {"EFIX": FIXATION, "ESACC": SACCADE, "EBLINK": BLINK}
    coords = None
    rate = None
    binocular = False
    recorded = None  # the eye of a monocular recording
    with open(path, errors="replace") as f:
        for line in f:
            if not line or not line[0].isdigit():
                head = line.split(maxsplit=4)
                if head and head[0] in kinds and len(head) >= 4:
                    try:
                        events.append((kinds[head[0]], float(head[2]), float(head[3]), head[1].upper()))
                    except ValueError:
                        pass  # (a damaged event line: the samples still count)
                if line.startswith("MSG") and "DISPLAY_COORDS" in line:
                    p = line.split()
                    coords = (int(float(p[-2])) + 1, int(float(p[-1])) + 1)
                elif line.startswith("SAMPLES") or line.startswith("START"):
                    p = line.split()
                    if "RATE" in p:
                        rate = float(p[p.index("RATE") + 1])
                    if "LEFT" in p and "RIGHT" in p:
                        binocular = True
                    elif "LEFT" in p or "RIGHT" in p:
                        recorded = "L" if "LEFT" in p else "R"
                continue
            p = line.split()
            col = 4 if (binocular and eye.upper() == "R") else 1
            try:
                ts.append(float(p[0]))
                xs.append(float(p[col]) if p[col] != "." else np.nan)
                ys.append(float(p[col + 1]) if p[col + 1] != "." else np.nan)
            except (ValueError, IndexError):
                raise RecordingError(f"{path.name}: unreadable sample line {line.strip()[:60]!r}",
                                     "export with edf2asc -s (samples) and no extra columns") from None
    if not ts:
        raise RecordingError(f"{path.name} has no sample lines", "export samples with edf2asc")
    t = (np.asarray(ts) - ts[0]) / 1000.0
    if rate is None:
        rate = _nominal_rate(t)
    if screen is not None and coords is not None and (screen.width_px, screen.height_px) != coords:
        raise DatasetError(f"{path.name}: DISPLAY_COORDS say {coords[0]}x{coords[1]} px but the screen given is "
                           f"{screen.width_px}x{screen.height_px}", "give the resolution the recording used")
    x, y = _to_deg(np.asarray(xs), np.asarray(ys), screen, "px")
    side = ("R" if eye.upper() == "R" else "L") if binocular else recorded
    labels = _parser_labels(np.asarray(ts), [e for e in events if side is None or e[3] == side])
    return GazeRecording(t, x, y, rate, screen, {"EyeLink": labels} if labels is not None else {}, path.stem)


def _parser_labels(stamps: np.ndarray, events: list[tuple[int, float, float, str]]) -> np.ndarray | None:
    """Per-sample codes of a tracker's own events (samples stamped within [start, end]); fixations,
    then saccades, then blinks, so that a blink inside a saccade is a blink. None without events."""
    if not events:
        return None
    labels = np.full(len(stamps), UNDEFINED, dtype=np.int8)
    for code in (FIXATION, SACCADE, BLINK):
        for kind, start, end, _ in events:
            if kind == code:
                labels[np.searchsorted(stamps, start, "left"):np.searchsorted(stamps, end, "right")] = code
    return labels


def _table_head(path: Path) -> str:
    """A table's header line, after its preamble (the file's first lines only: a long recording
    is not read twice); empty where it cannot be read."""
    try:
        with open(path, errors="replace") as fh:
            top = [line for _, line in zip(range(PREAMBLE_LINES + 1), fh, strict=False)]
    except OSError:
        return ""
    return top[_preamble(top)] if top else ""


#: The largest gaze table read: it is read whole, its rows taking about six times its size in
#: memory (:mod:`.gaze_table`; twelve with a dict per row); 512 MB is hours of a few columns at
#: 1 kHz, and a long export of every column (Tobii Pro Lab's: about 90) is better exported with the
#: gaze columns alone.
MAX_GAZE_TABLE_BYTES = 512 * 1024**2


def _read_table(path: Path) -> list[TableRow]:
    size = path.stat().st_size
    if size > MAX_GAZE_TABLE_BYTES:
        raise RecordingError(f"{path.name} is {size / 1e6:.0f} MB, over the {MAX_GAZE_TABLE_BYTES / 1e6:.0f} MB a gaze "
                             "table is read whole to", "export its time, gaze and validity columns alone, or a "
                             "shorter stretch")
    rows, commas = read_table(path)
    if commas:
        log.warning("%s: decimal commas read as decimal points", path.name)
    if not rows:
        raise RecordingError(f"{path.name} has a header but no data rows", "export gaze samples, not events")
    return rows


def _column(rows, path: Path, *names: str) -> np.ndarray:
    for name in names:
        if name in rows[0]:
            out = np.empty(len(rows))
            for i, r in enumerate(rows):
                cell = (r.get(name) or "").strip()
                try:
                    out[i] = float(cell) if cell not in ("", ".", "NaN", "nan") else np.nan
                except ValueError:
                    comma = DECIMAL_COMMA.fullmatch(cell) is not None  # (a locale's decimal comma)
                    raise RecordingError(f"{path.name}: row {i + 2}, column {name!r} holds {cell[:30]!r}, not a number",
                                         "export with a decimal point, not a comma" if comma
                                         else "fix or remove that row") from None
            return out
    raise RecordingError(f"{path.name} has no column {names[0]!r}", f"export it with the column {names[0]!r}")


_TIME_NAMES = ("t", "time", "timestamp", "time_s", "timestamp_s", "gaze_timestamp", "time_ms", "timestamp_ms",
               "time_us", "timestamp_us", "time_ns", "timestamp_ns", "raw_timestamp")  # (Varjo's: ns)
#: Time columns whose unit their vendor documents, not their name: Varjo's gaze log.
VENDOR_TIME_UNITS = {"raw_timestamp": "ns"}
_X_NAMES = ("x", "gaze_x", "x_px", "x_deg", "gx", "por_x")
_Y_NAMES = ("y", "gaze_y", "y_px", "y_deg", "gy", "por_y")


def load_gaze_table(path, *, columns: tuple[str, ...] | None = None, time_unit: str | None = None,
                    units: str = "px", screen: Screen | None = None,
                    references: tuple[str, ...] | None = None,
                    reference_events: tuple[str | Path, ...] | None = None,
                    valid: str | None = None) -> GazeRecording:
    """A plain CSV/TSV gaze table with a header: a time column and the gaze x and y.

    Parameters
    ----------
    columns : (time, x, y) or (time, x, y, z) column names, optional
        Default: the first of the usual names (``t``/``time``/``timestamp``..., ``x``/``gaze_x``...,
        ``y``/``gaze_y``...), else a headset's gaze direction (Varjo's ``gaze_forward_x/y/z``,
        Tobii XR's ``GazeRayDirectionX/Y/Z``...: :mod:`sensekit.eyetrack.directions`), read as
        azimuth and elevation in degrees. Four names are a time and a direction's x, y and z.
    time_unit : {"s", "ms", "us", "ns"}, optional
        Default: seconds, or milliseconds for a column named ``*_ms``. Timestamps whose rate in
        that unit is implausible for an eye tracker (under 10 or over 5,000 Hz) while another
        unit gives a plausible one are read in the given unit with a warning naming the better one.
    units : {"px", "deg", "norm"}
        Gaze in screen pixels (needs ``screen``), in degrees of visual angle, or in fractions of
        the screen from its top left (0-1: Gazepoint's POG, Tobii's display area; needs
        ``screen``).
    references : column names, optional
        Columns of per-sample hand labels (a coder's each), kept in :attr:`GazeRecording.labels`
        under the column's name: codes 0 undefined, 1 fixation, 2 saccade, 3 PSO, 4 pursuit,
        5 blink (Lund 2013's and IRF's), or those names; an empty cell is undefined.
    reference_events : paths, optional
        Coders' tables of event start and end times, in this table's time unit and clock
        (:mod:`sensekit.eyetrack.reference_events`), kept as labels under each table's name.
    valid : str, optional
        A column of the tracker's validity flag (Gazepoint's ``BPOGV``, a ``validity`` column):
        where it is 0 (or ``false``, ``invalid``) the gaze is lost, whatever its coordinates say
        (a tracker may write 0, 0 for a sample it did not see). A column of Tobii's older validity
        codes (0 sure ... 4 not found) is told by its codes and read as seen where at most 1;
        ``"COL<=N"`` says so for any column (seen where at most N).
    """
    from .reference_events import reference_event_labels

    path = _need(path)
    rows = _read_table(path)
    header = list(rows[0])
    lower = {time_column_name(h): h for h in header if h}  # ('Time (ms)' is time_ms)
    if "type" in lower and any((r.get(lower["type"]) or "").strip() == "SMP" for r in rows[:1000]):
        # SMI BeGaze: samples (SMP) and messages (MSG) interleaved; the messages hold no gaze
        rows = [r for r in rows if (r.get(lower["type"]) or "").strip() == "SMP"]

    def pick(given: str | None, names: tuple[str, ...], what: str) -> str:
        if given is not None:
            if given not in rows[0] and time_column_name(given) not in lower:
                raise RecordingError(f"{path.name} has no column {given!r} (header: {header[:8]})")
            return given if given in rows[0] else lower[time_column_name(given)]
        for n in names:
            if n in lower:
                return lower[n]
        raise RecordingError(f"{path.name} is not a Pupil Labs, Tobii or time,x,y gaze table (no {what} column among "
                             f"{header[:8]})", "name the columns with --columns TIME,X,Y")

    one_x, one_y = (tuple(n for pair in _EYE_PAIRS for n in pair[axis]) for axis in (0, 1))
    eyes = None if columns is not None else _binocular_columns(lower)
    direction, direction_valid = None, None  # (a headset's gaze direction: x, y, z columns, or the two eyes' six)
    if columns is not None and len(columns) == 4:
        direction = [pick(c, (), "direction") for c in columns[1:]]
        columns = (columns[0], None, None)
    elif columns is None and eyes is None and not any(n in lower for n in _X_NAMES + one_x):
        found = direction_reader(header)  # (with the tracker's own validity column, last, where it has one)
        if found is not None:
            direction, direction_valid = [header[i] for i in found[0]], found[1].valid
    if direction is not None:
        tcol = pick(columns[0] if columns else None, _TIME_NAMES, "time")
        if units == "norm" or screen is not None:
            raise RecordingError(f"{path.name}: {', '.join(direction)} are a gaze direction, read in degrees",
                                 "leave --units and --screen/--distance out")
        units = "deg"
    elif eyes is not None:  # (left and right eyes' columns, no one gaze: their mean)
        tcol = pick(None, _TIME_NAMES, "time")
        xcol, ycol = eyes[0][0], eyes[1][0]
    else:  # (one gaze, or one eye's: a monocular recording's report names the eye)
        tcol, xcol, ycol = (pick(c, names, what) for c, names, what in zip(
            columns or (None, None, None), (_TIME_NAMES, _X_NAMES + one_x, _Y_NAMES + one_y), ("time", "x", "y"),
            strict=True))
    named = VENDOR_TIME_UNITS.get(time_column_name(tcol)) or next(  # (time_ms, 'Time [ms]')
        (u for u in TIME_UNITS if time_column_name(tcol).endswith(f"_{u}")), None)
    unit = time_unit or named or "s"
    if unit not in TIME_UNITS:
        raise RecordingError(f"time unit {unit!r} is not one of {', '.join(TIME_UNITS)}")
    raw = _dated_column(rows, path, tcol)
    if raw is not None:  # (wall-clock date-times: seconds since 1970)
        if time_unit not in (None, "s"):
            raise RecordingError(f"{path.name}: the time column {tcol!r} holds date-times, not a number of {time_unit}",
                                 "leave --time-unit out")
        named = unit = "s"
    else:
        raw = _column(rows, path, tcol)
    if not np.isfinite(raw).all():
        raise RecordingError(f"{path.name}: the time column {tcol!r} has empty or non-numeric cells")
    t = (raw - raw[0]) * TIME_UNITS[unit]
    measured = _nominal_rate(t, path.name, floor=0.0)  # (not floored at 1 Hz: the unit check below needs it)
    rate = max(measured, 1.0)
    if not 10 <= measured <= 5000:
        better = [u for u in TIME_UNITS if 10 <= measured * TIME_UNITS[unit] / TIME_UNITS[u] <= 5000]
        if better and time_unit is None and named is None:  # (no unit given anywhere: read in the one that fits)
            log.warning("%s: read in s the timestamps give %g Hz, not an eye tracker's rate: read in %s (%g Hz); "
                        "--time-unit says which", path.name, measured, better[0],
                        nominal_rate(measured * TIME_UNITS[unit] / TIME_UNITS[better[0]]))
            unit = better[0]
            t = (raw - raw[0]) * TIME_UNITS[unit]
            rate = _nominal_rate(t, path.name)
        elif better:
            log.warning("%s: read in %s the timestamps give %g Hz, not an eye tracker's rate; in %s they would give "
                        "%g Hz (--time-unit %s)", path.name, unit, measured, better[0],
                        nominal_rate(measured * TIME_UNITS[unit] / TIME_UNITS[better[0]]), better[0])
    if direction is not None:
        x, y = _direction_columns(rows, path, direction, direction_valid)
    elif eyes is not None:
        x, y = (_mean_of_eyes(_column(rows, path, a), _column(rows, path, b)) for a, b in eyes)
        log.warning("%s: no one gaze column: the mean of the two eyes' (%s and %s), or where one is lost the other "
                    "eye's, moved by half their median difference", path.name, "/".join(eyes[0]), "/".join(eyes[1]))
    else:
        x, y = _column(rows, path, xcol), _column(rows, path, ycol)
    if valid is not None:
        name, _, top = valid.partition("<=")
        flag = pick(name.strip(), (), "validity")
        seen = _validity(rows, flag, top.strip() or None, path.name)
        if not seen.all():
            log.info("%s: %d sample(s) the tracker marks invalid (%s) read as lost", path.name, int((~seen).sum()), flag)
        x, y = np.where(seen, x, np.nan), np.where(seen, y, np.nan)
    if units not in ("px", "deg", "norm"):
        raise RecordingError(f"gaze units {units!r} are not px, deg or norm")
    if units != "deg" and screen is None:
        raise DatasetError(f"{path.name}: gaze in {'pixels' if units == 'px' else 'screen fractions'} needs the "
                           "screen geometry for degrees",
                           "give --screen WxHmm@WxH and --distance MM (or --units deg for gaze in degrees)")
    if units == "norm":  # (fractions of the screen from its top left: Gazepoint's POG, Tobii's display area)
        x, y, units = x * screen.width_px, y * screen.height_px, "px"
    if units == "px":
        fx, fy = x / screen.width_px, y / screen.height_px
        off = (np.abs(fx - 0.5) > OFF_DISPLAY) | (np.abs(fy - 0.5) > OFF_DISPLAY)
        if off.any():  # (no tracker sees a gaze so far off; trackers and tools write their loss so)
            log.warning("%s: %d sample(s) more than half a screen off the display (a loss written as a position: "
                        "Tobii's SDK -1, -1, I2MC's -%d, -%d) read as lost", path.name, int(off.sum()),
                        screen.width_px, screen.height_px)
        x, y = np.where(off, np.nan, x), np.where(off, np.nan, y)
        _check_pixels(x, y, screen, path.name)
    x, y = _to_deg(x, y, screen, units)
    labels = {name: _label_column(rows, path, pick(name, (), "label")) for name in references or ()}
    classes = {}
    for table in reference_events or ():
        coder, coded, classes[coder] = reference_event_labels(table, raw, path.stem)
        if coder in labels:
            raise RecordingError(f"two references are named {coder!r}", "give each coder's table its own name")
        labels[coder] = coded
    return GazeRecording(t, x, y, rate, screen, labels, path.stem, classes, unwrapped=direction is not None)


#: The highest of Tobii's older validity codes (0 sure ... 4 not found) whose eye counts as seen
#: (Tobii's advice: 2 is a guess of which eye it is, 3 and 4 not found; I2MC reads them so too).
TOBII_SEEN_CODE = 1
#: Gaze (in fractions of the display's size) further than this from its centre, half a screen off
#: it in either axis, is no gaze on it but a loss written as a position: Tobii's SDK writes -1, -1
#: (fractions) for an eye it did not find, I2MC's importers minus the screen's width and height
#: (pixels).
OFF_DISPLAY = 1.0


def _direction_columns(rows: list[dict], path: Path, names: list[str], valid: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation (deg) of a table's gaze direction columns ``names`` (x, y, z, or the
    two eyes' six, then the validity column where ``valid`` says what it is: a flag, read as
    :func:`_valid_flag` reads one, or a confidence)."""
    cells = [_column(rows, path, c) for c in (names[:-1] if valid else names)]
    if valid == "flag":
        cells.append(np.array([1.0 if _valid_flag(r.get(names[-1])) else 0.0 for r in rows]))
    elif valid == "confidence":
        cells.append(_column(rows, path, names[-1]))
    log.info("%s: gaze direction %s read as azimuth and elevation (deg)", path.name, "/".join(names))
    return direction_degrees(np.stack(cells, axis=1), valid)


def _validity(rows: list[dict], flag: str, top: str | None, name: str) -> np.ndarray:
    """Which samples a tracker's validity column says were seen. A flag (Gazepoint's ``BPOGV``,
    Tobii Pro's ``validity``, Varjo's ``status``: 0 invalid, 2 valid): not 0, ``false``,
    ``invalid`` or empty. Tobii's older validity codes (Analytics SDK, Studio: 0 sure ... 4 not
    found), told by a code of 2 to 4 among whole numbers of 0 to 4 of which most are 0 or 1 (a
    tracker sees most samples): at most 1, as Tobii advises. ``top`` (``--valid "COL<=N"``): at
    most that number."""
    codes = np.array([_number_or_nan(r.get(flag)) for r in rows])
    if top is not None:
        try:
            return codes <= float(top)
        except ValueError:
            raise RecordingError(f"--valid {flag}<={top}: {top!r} is not a number", "e.g. --valid 'LValidity<=1'") from None
    whole = codes[np.isfinite(codes)]
    if (whole.size and np.all((whole == np.round(whole)) & (whole >= 0) & (whole <= 4)) and np.any(whole >= 2)
            and np.median(whole) <= TOBII_SEEN_CODE):  # (Varjo's status: 2 valid, mostly)
        log.warning("%s: %s holds Tobii's validity codes (0 sure ... 4 not found): a sample is seen where it is at "
                    "most %d", name, flag, TOBII_SEEN_CODE)
        return codes <= TOBII_SEEN_CODE
    seen = np.array([_valid_flag(r.get(flag)) for r in rows])
    if seen.size and seen.mean() < 0.5:
        log.warning("%s: %s marks %.0f %% of the samples invalid: if its 0 means valid (Tobii's validity codes), give "
                    "--valid '%s<=%d'", name, flag, 100 * (1 - seen.mean()), flag, TOBII_SEEN_CODE)
    return seen


def _number_or_nan(cell: str | None) -> float:
    try:
        return float((cell or "").strip())
    except ValueError:
        return float("nan")


def _valid_flag(cell: str | None) -> bool:
    """Whether a tracker's validity cell says the sample was seen: not 0, ``false``, ``invalid`` or
    empty."""
    text = (cell or "").strip().lower()
    if text in ("", "false", "invalid"):
        return False
    try:
        return float(text) != 0.0
    except ValueError:
        return True


def _dated_column(rows: list[dict], path: Path, name: str) -> np.ndarray | None:
    """The column ``name`` as seconds since 1970 where its first cell is an ISO 8601 date-time
    (an app that stamps with the wall clock), else None; a later cell that is none is one line."""
    if not is_date_time((rows[0].get(name) or "").strip()):
        return None
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        try:
            out[i] = iso_seconds(r.get(name) or "")
        except ValueError:
            raise RecordingError(f"{path.name}: row {i + 2}, column {name!r} holds {(r.get(name) or '')[:30]!r}, not a "
                                 "date-time as the rows before", "fix or remove that row") from None
    return out


#: Left and right eyes' gaze columns of a binocular table (x names, then y names), when it has no
#: one gaze column: the eyes' mean is read.
_EYE_PAIRS = ((("left_x", "right_x"), ("left_y", "right_y")), (("lx", "rx"), ("ly", "ry")),
              (("left_gaze_x", "right_gaze_x"), ("left_gaze_y", "right_gaze_y")),
              (("x_left", "x_right"), ("y_left", "y_right")), (("l_x", "r_x"), ("l_y", "r_y")))  # (I2MC's own)


def _binocular_columns(lower: dict[str, str]) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """The eyes' x and y column names of a table with no one gaze column (``lower``: names by their
    lower case), or None."""
    if any(n in lower for n in _X_NAMES) and any(n in lower for n in _Y_NAMES):
        return None
    for xs, ys in _EYE_PAIRS:
        if all(n in lower for n in (*xs, *ys)):
            return (lower[xs[0]], lower[xs[1]]), (lower[ys[0]], lower[ys[1]])
    return None


def _mean_of_eyes(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """The two eyes' mean; where one is lost, the other moved by half the eyes' median difference
    (so the gaze does not jump by the eyes' vergence when one drops out); NaN where both are."""
    both = np.isfinite(left) & np.isfinite(right)
    half = 0.5 * float(np.median(left[both] - right[both])) if both.any() else 0.0
    return np.where(both, 0.5 * (left + right), np.where(np.isfinite(left), left - half, right + half))


def _check_pixels(x: np.ndarray, y: np.ndarray, screen: Screen, name: str) -> None:
    """A warning when a table's gaze, read in pixels (the default), looks like another unit: a
    quarter or more of it left of or above the screen (degrees or centred units: half their
    values are negative), or all of it within 2 % of the screen's width and height (degrees,
    normalised 0-1 coordinates). Read so, every saccade had been a fraction of a degree."""
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 100:
        return
    gx, gy = x[ok], y[ok]
    negative = float(np.mean((gx < 0) | (gy < 0)))
    span_x, span_y = float(np.ptp(gx)), float(np.ptp(gy))
    if negative >= 0.25 or (span_x < 0.02 * screen.width_px and span_y < 0.02 * screen.height_px):
        log.warning("%s: read in pixels, the gaze spans %.3g x %.3g px of the %d x %d screen, %.0f %% of it at "
                    "negative pixels: is it in degrees (--units deg) or fractions of the screen (--units norm)?",
                    name, span_x, span_y,
                    screen.width_px, screen.height_px, 100 * negative)


def _label_column(rows, path: Path, name: str) -> np.ndarray:
    """A column of per-sample hand labels as codes (:mod:`sensekit.eyetrack.labels`)."""
    by_name = {v: k for k, v in LABEL_NAMES.items()}
    out = np.zeros(len(rows), dtype=np.int8)
    for i, r in enumerate(rows):
        cell = (r.get(name) or "").strip().lower()
        if not cell:
            continue
        code = by_name.get(cell, _whole_number(cell))
        if code not in LABEL_NAMES:
            raise RecordingError(f"{path.name}: row {i + 2}, label column {name!r} holds {cell[:30]!r}",
                                 "label samples with 0-5 (undefined, fixation, saccade, pso, pursuit, blink) or "
                                 "those names")
        out[i] = code
    return out


def _whole_number(text: str) -> int | None:
    """``text`` as a whole number ("2", "2.0"), else None."""
    try:
        v = float(text)
    except ValueError:
        return None
    return int(v) if v.is_integer() else None


def load_pupil_labs_csv(path, *, screen: Screen | None = None, min_confidence: float = 0.6) -> GazeRecording:
    """Pupil Player ``gaze_positions.csv``: ``gaze_timestamp``, ``norm_pos_x/y`` (0..1,
    origin bottom left), ``confidence`` (samples below ``min_confidence`` become NaN).
    Normalised positions become pixels of ``screen`` (y flipped), then degrees. Without a
    screen, the 3D gaze mapping's ``gaze_point_3d_x/y/z`` (mm in the scene camera's frame) is
    read as a direction (:mod:`sensekit.eyetrack.directions`): the scene camera is no screen.
    (:func:`pupil_gaze`; a Pupil Core recording's own ``gaze.pldata`` is read alike:
    :mod:`.pupil_core`.)"""
    path = _need(path)
    rows = _read_table(path)
    point = ("gaze_point_3d_x", "gaze_point_3d_y", "gaze_point_3d_z")
    v = np.stack([_column(rows, path, c) for c in point], axis=1) if all(c in rows[0] for c in point) else None
    norm = np.stack([_column(rows, path, "norm_pos_x"), _column(rows, path, "norm_pos_y")], axis=1)
    from .pupil_core import read_world_intrinsics

    return pupil_gaze(_column(rows, path, "gaze_timestamp"), norm, _column(rows, path, "confidence"), v,
                      screen=screen, name=path.stem, min_confidence=min_confidence,
                      camera=lambda: read_world_intrinsics(path.parent.parent.parent))  # (exports/NNN/ in its recording)


def pupil_gaze(t: np.ndarray, norm_pos: np.ndarray, confidence: np.ndarray, point_3d: np.ndarray | None, *,
               screen: Screen | None, name: str, min_confidence: float, camera=None) -> GazeRecording:
    """Pupil Core's gaze data (Pupil Player's export or the recording's own ``gaze.pldata``) in
    degrees, sorted by time: ``norm_pos`` (fractions of the scene image, origin bottom left) on
    ``screen``, else ``point_3d`` (mm in the scene camera's frame; NaN rows where a datum has
    none) as a direction, else (the 2-D gaze mapper's data have no 3-D point) ``norm_pos``
    through the scene camera's lens: ``camera()``, called only then, gives it (or None:
    :func:`~.pupil_core.read_world_intrinsics`: camera matrix, distortion coefficients, fisheye
    or not, resolution); data under ``min_confidence`` are lost."""
    bad = confidence < min_confidence
    order = np.argsort(t, kind="stable")
    t = t[order] - t[order][0]
    if screen is None:
        if point_3d is not None and np.isfinite(point_3d).all(axis=1).any():
            x, y = direction_degrees(np.where(bad[:, None], np.nan, point_3d)[order])
        elif camera is not None and (lens := camera()) is not None:
            from .scene_camera import scene_pixels_to_degrees

            matrix, dist, fisheye, (width, height) = lens
            px = np.where(bad, np.nan, norm_pos[:, 0] * width)[order]
            py = np.where(bad, np.nan, (1.0 - norm_pos[:, 1]) * height)[order]
            x, y = scene_pixels_to_degrees(px, py, matrix, dist, fisheye=fisheye)
        else:
            raise DatasetError("Pupil Labs gaze is normalised to the scene image, and this recording has no 3D gaze "
                               "(gaze_point_3d) to read in degrees, nor its scene camera's intrinsics "
                               "(world.intrinsics)", "give the recording folder (it holds world.intrinsics), or "
                               "--screen WxHmm@WxH and --distance MM for gaze mapped onto a screen",
                               python_fix="screen=Screen(...)")
        return GazeRecording(t, x, y, _nominal_rate(t, name), None, {}, name, unwrapped=True)
    x = np.where(bad, np.nan, norm_pos[:, 0] * screen.width_px)
    y = np.where(bad, np.nan, (1.0 - norm_pos[:, 1]) * screen.height_px)
    x, y = _to_deg(x[order], y[order], screen, "px")
    return GazeRecording(t, x, y, _nominal_rate(t, name), screen, {}, name)


def load_pupil_cloud_csv(path, *, scene_camera: tuple[np.ndarray, np.ndarray] | None = None) -> GazeRecording:
    """Pupil Cloud's ``gaze.csv`` (Neon, Invisible): ``timestamp [ns]``, the gaze direction in
    degrees (``azimuth [deg]``, ``elevation [deg]``; elevation up, so y is its negative here), no
    gaze where the glasses were not ``worn`` or during a blink (``blink id``); Pupil's own
    fixation detector (``fixation id``) and blinks are kept as the labels ``Pupil Cloud``
    (fixation, blink, else undefined: the file marks no saccades) to compare with. A
    ``gaze.csv`` of scene-camera pixels alone (Neon Player's export) is read in degrees with
    ``scene_camera`` (camera matrix, distortion coefficients), else the ``scene_camera.json``
    beside it (:mod:`.scene_camera`)."""
    from .scene_camera import SCENE_CAMERA_FILE, read_scene_camera, scene_pixels_to_degrees

    path = _need(path)
    rows = _read_table(path)
    t = _column(rows, path, "timestamp [ns]") * 1e-9
    if "azimuth [deg]" in rows[0]:
        x, y = _column(rows, path, "azimuth [deg]"), -_column(rows, path, "elevation [deg]")
    else:
        camera = scene_camera if scene_camera is not None else read_scene_camera(path.parent)
        if camera is None:
            raise RecordingError(f"{path.name}'s gaze is in the scene camera's pixels (gaze x [px]), and there is no "
                                 f"{SCENE_CAMERA_FILE} beside it to read them in degrees",
                                 f"put the recording's {SCENE_CAMERA_FILE} beside it (or give it with --scene-camera), "
                                 "or download the recording from "
                                 "Pupil Cloud (its gaze.csv has azimuth [deg] and elevation [deg])")
        x, y = scene_pixels_to_degrees(_column(rows, path, "gaze x [px]"), _column(rows, path, "gaze y [px]"), *camera)
    worn = _column(rows, path, "worn") if "worn" in rows[0] else np.ones(len(rows))
    blink = np.array([bool((r.get("blink id") or "").strip()) for r in rows])
    fixation = np.array([bool((r.get("fixation id") or "").strip()) for r in rows])
    lost = (worn == 0) | blink
    x, y = np.where(lost, np.nan, x), np.where(lost, np.nan, y)
    order = np.argsort(t, kind="stable")
    t = t[order] - t[order][0]
    labels = {}
    if "fixation id" in rows[0] or "blink id" in rows[0]:  # (Pupil's own detectors' events, to compare with)
        labels["Pupil Cloud"] = np.where(blink, BLINK, np.where(fixation, FIXATION, UNDEFINED)).astype(np.int8)[order]
    return GazeRecording(t, x[order], y[order], _nominal_rate(t, path.name), None, labels, path.stem)


#: Tobii Pro Lab's ``Eye movement type`` (its I-VT filter's classification) as label codes.
TOBII_MOVEMENT_TYPES = {"fixation": FIXATION, "saccade": SACCADE, "unclassified": UNDEFINED, "eyesnotfound": BLINK}


def _pro_lab_column(rows, path: Path, name: str) -> str:
    """The header of a Tobii Pro Lab column, with or without the unit newer exports append
    (``Gaze point X [DACS px]``, ``Recording timestamp [ms]``)."""
    for header in rows[0]:
        if header == name or (header or "").startswith(name + " ["):
            return header
    raise RecordingError(f"{path.name} has no column {name!r}", f"export it with the column {name!r}")


def load_tobii_csv(path, *, screen: Screen | None = None, recording: str | None = None) -> GazeRecording:
    """Tobii Pro Lab export (``Recording timestamp`` in µs or ms, ``Gaze point X/Y`` in
    px, with or without the unit newer exports append; only the ``Eye Tracker`` rows where a
    ``Sensor`` column says which; its ``Eye movement type``, Tobii's own I-VT classification,
    kept as the labels ``Tobii I-VT``) or Tobii Pro SDK CSV (``device_time_stamp`` µs,
    ``left_gaze_point_on_display_area`` normalised).

    A Pro Lab export of a project holds every recording it was given, one after the other, each
    with its own clock: ``recording`` (its ``Recording name``) picks one, and a file of several
    is refused without it (their clocks going back had dropped all but the first)."""
    path = _need(path)
    rows = _read_table(path)
    labels = {}
    pro_lab = any((h or "").startswith("Gaze point X") for h in rows[0])
    if recording is not None and not pro_lab:
        raise RecordingError(f"--recording does not apply: {path.name} is a Tobii Pro SDK file, one recording",
                             "leave it out")
    if pro_lab:
        if "Sensor" in rows[0]:  # mouse, keyboard and other sensors' rows hold no gaze
            rows = [r for r in rows if (r.get("Sensor") or "").strip() in ("Eye Tracker", "")] or rows[:0]
            if not rows:
                raise RecordingError(f"{path.name} has no 'Eye Tracker' rows", "export the eye tracker's data")
        rows = _one_recording(rows, path, recording)
        stamp = _pro_lab_column(rows, path, "Recording timestamp")
        t = _column(rows, path, stamp)
        unit = stamp.rpartition("[")[2].rstrip("]").strip()
        scale = {"ms": 1e-3, "μs": 1e-6, "µs": 1e-6, "us": 1e-6}.get(unit) or (
            1e-6 if np.nanmedian(np.diff(t)) > 100 else 1e-3)
        t = (t - t[0]) * scale
        if "Eye movement type" in rows[0]:
            kinds = [(r.get("Eye movement type") or "").strip().lower().replace(" ", "") for r in rows]
            labels["Tobii I-VT"] = np.array([TOBII_MOVEMENT_TYPES.get(k, UNDEFINED) for k in kinds], dtype=np.int8)
        header = list(rows[0])
        found = direction_reader(header) if screen is None else None
        if found is not None:  # (Pro Lab's glasses and VR exports: the gaze point is the scene camera's)
            x, y = _direction_columns(rows, path, [header[i] for i in found[0]], found[1].valid)
            return GazeRecording(t, x, y, _nominal_rate(t), None, labels, path.stem, unwrapped=True)
        x, y = (_column(rows, path, _pro_lab_column(rows, path, f"Gaze point {a}")) for a in "XY")
    else:
        t = _column(rows, path, "device_time_stamp", "system_time_stamp")
        t = (t - t[0]) * 1e-6
        if screen is None:
            raise DatasetError("Tobii SDK gaze is normalised to the display; a screen geometry is needed",
                               "give --screen WxHmm@WxH and --distance MM", python_fix="screen=Screen(...)")
        x = _column(rows, path, "left_gaze_point_on_display_area_x") * screen.width_px
        y = _column(rows, path, "left_gaze_point_on_display_area_y") * screen.height_px
    x, y = _to_deg(x, y, screen, "px")
    rate = _nominal_rate(t)
    return GazeRecording(t, x, y, rate, screen, labels, path.stem)


def _one_recording(rows: list[dict], path: Path, recording: str | None, *, column: str = "Recording name",
                   ) -> list[dict]:
    """The rows of one recording of a Tobii export of several (Pro Lab's ``Recording name`` column,
    Studio's ``RecordingName``)."""
    if not rows or column not in rows[0]:
        if recording is not None:
            raise RecordingError(f"--recording {recording!r}: {path.name} has no {column!r} column",
                                 "leave --recording out (the file is one recording)")
        return rows
    names = list(dict.fromkeys((r.get(column) or "").strip() for r in rows))
    if recording is None:
        if len(names) > 1:
            shown = ", ".join(repr(n) for n in names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            raise RecordingError(f"{path.name} holds {len(names)} recordings ({shown})",
                                 "choose one with --recording NAME")
        return rows
    mine = [r for r in rows if (r.get(column) or "").strip() == recording.strip()]
    if not mine:
        raise RecordingError(f"{path.name} has no recording {recording!r} (it has "
                             f"{', '.join(repr(n) for n in names[:6])})", "give one of those names")
    return mine


#: Recordings whose gaze stream :func:`load_gaze` reads (sensekit HDF5, XDF).
GAZE_RECORDING_SUFFIXES = (".h5", ".hdf5", ".xdf", ".xdfz")


def load_recorded_gaze(path, stream: str | None = None, *, screen: Screen | None = None,
                       scene_camera: tuple[np.ndarray, np.ndarray] | None = None,
                       units: str | None = None) -> GazeRecording:
    """The gaze stream of a recording: a sensekit HDF5 file (``sensekit capture lsl:type=Gaze``,
    ``synth:selection``) or an XDF file (LabRecorder). ``stream`` names it; by default the
    recording's only stream of kind ``gaze``. Its x and y are the channels of
    :func:`~sensekit.eyetrack.stages.gaze_input`, in degrees or in pixels with the screen
    geometry of the stream's meta or ``screen``, or, a glasses' scene-camera pixels (a Neon's LSL
    outlet), with ``scene_camera`` (:mod:`.scene_camera`); ``units`` states the units of a stream
    that says none (:data:`~sensekit.eyetrack.stages.GAZE_UNITS`, as ``run eyetrack --units``);
    gaps in a regular stream are data loss."""
    from ..core.recording import open_recording
    from .geometry import screen_from_meta
    from .stages import gaze_input, gaze_to_degrees, pixel_gaze_meta

    path = _need(path)
    with open_recording(path) as rec:
        if stream is None:
            gaze = [name for name, info in rec.streams.items() if info.kind == "gaze"]
            if len(gaze) != 1:
                raise RecordingError(f"{path.name} has {len(gaze)} gaze streams ({', '.join(gaze) or 'none'}) among "
                                     f"{', '.join(rec.streams) or 'no streams'}",
                                     f"name the stream of x, y gaze: {path.name}#STREAM")
            stream = gaze[0]
        elif stream not in rec.streams:
            raise RecordingError(f"{path.name} has no stream {stream!r}; its streams: {', '.join(rec.streams)}",
                                 f"name one: {path.name}#STREAM")
        info = rec.info(stream)
        frame = rec.read(stream)
        if info.rate > 0:  # the times of each gap-free run
            t = np.concatenate([seg.t0 + np.arange(seg.stop - seg.start) / info.rate for seg in rec.segments(stream)])
        else:
            t = np.asarray(frame.times, dtype=np.float64)
    if not np.isfinite(t).all():
        raise RecordingError(f"{path.name}#{stream}: {int((~np.isfinite(t)).sum())} of its {len(t)} timestamps are not "
                             "numbers", "check the recording (sensekit info)")
    if frame.data.ndim != 2 or frame.data.dtype.kind not in "fiu":
        raise RecordingError(f"{path.name}#{stream} is not a gaze stream of numbers per sample (shape "
                             f"{info.shape}, {info.dtype})", "name the stream of x, y gaze: FILE#STREAM")
    cols, to_degrees = gaze_input(info)
    meta = pixel_gaze_meta(info, screen=screen, scene_camera=scene_camera,  # (what applies, and what a Neon needs)
                           direction=to_degrees is not None, units=units)
    rate = info.rate if info.rate > 0 else _nominal_rate(t, stream)
    if to_degrees is not None:  # (a headset's gaze direction)
        x, y = direction_degrees(frame.data[:, cols], to_degrees.valid)
        return GazeRecording(t, x, y, rate, None, {}, stream, unwrapped=True)
    x, y = (frame.data[:, c].astype(np.float64) for c in cols)
    meta = {**dict(info.meta), **meta}  # (its own, and what the user gave: pixel_gaze_meta refused a conflict)
    x, y = gaze_to_degrees(meta, f"{path.name}#{stream}")(x, y)
    on_screen = meta.get("gaze_units") in ("px", "norm") and meta.get("scene_camera") is None
    return GazeRecording(t, x, y, rate, screen_from_meta(meta, stream) if on_screen else None, {}, stream)


#: The gaze exports a table's header line names (:func:`_export_of`), and what each is.
GAZE_EXPORTS = {"pupil labs": "a Pupil Labs gaze export", "aria": "a Project Aria eye gaze file",
                "pupil cloud": "a Pupil Cloud or Neon Player gaze export",
                "tobii legacy": "a Tobii Analytics SDK or Studio gaze export", "tobii": "a Tobii gaze export",
                "smi": "an SMI iView X or BeGaze sample export", "gazepoint": "a Gazepoint gaze export"}


def _export_of(head: str) -> str | None:
    """Which export of :data:`GAZE_EXPORTS` a table's header line names (None: a plain table)."""
    from .aria import is_aria_gaze
    from .smi import is_smi_export
    from .tobii_legacy import is_tobii_legacy

    if is_smi_export(head):
        return "smi"
    if _gazepoint_time(head) is not None:
        return "gazepoint"
    if "norm_pos_x" in head:
        return "pupil labs"
    if is_aria_gaze(head):
        return "aria"
    if "timestamp [ns]" in head and ("azimuth [deg]" in head or "gaze x [px]" in head):
        return "pupil cloud"
    if is_tobii_legacy(head):
        return "tobii legacy"
    if "Gaze point X" in head or "gaze_point_on_display_area" in head:
        return "tobii"
    return None


def _gazepoint_time(head: str) -> str | None:
    """The time column of a Gazepoint export's header (Gazepoint Analysis' and Control's
    ``TIME(2024/03/01 10:12:01.123)`` or ``TIME``, in seconds, beside the best point of gaze
    ``BPOGX``, ``BPOGY``, ``BPOGV``), or None where the header is none."""
    cells = [c.strip() for c in head.rstrip("\r\n").split(",")]
    if not {"BPOGX", "BPOGY", "BPOGV"} <= set(cells):
        return None
    return next((c for c in cells if c == "TIME" or c.startswith("TIME(")), None)


def gaze_export_kind(path) -> str | None:
    """What gaze export a table is, by its header line (a Pupil Labs, Pupil Cloud or Neon
    Player, Project Aria, Tobii or headset export), or None: for commands that read tables as
    recordings of streams (``sensekit info``) to point to ``eyetrack events``."""
    from .directions import direction_columns

    head = _table_head(Path(path))
    export = _export_of(head)
    if export is not None:
        return GAZE_EXPORTS[export]
    cells = [c.strip() for c in head.replace("\t", ",").replace(";", ",").split(",")]
    return "a headset's gaze log (gaze directions)" if direction_columns(cells) is not None else None


def gaze_folder_kind(folder) -> str | None:
    """What gaze recording a folder is (Tobii Pro Glasses, Pupil Core, Neon, a Project Aria MPS
    output), or None: for ``sensekit info`` to point to ``eyetrack events``."""
    from .aria import aria_gaze_file
    from .neon_native import is_neon_recording
    from .pupil_core import pupil_core_gaze_file
    from .tobii_glasses import is_tobii_glasses

    folder = Path(folder)
    if not folder.is_dir():
        return None
    if pupil_core_gaze_file(folder):
        return "a Pupil Core recording"
    if is_neon_recording(folder):
        return "a Neon recording"
    if aria_gaze_file(folder):
        return "a Project Aria MPS output"
    return "a Tobii Pro Glasses recording" if is_tobii_glasses(folder) else None


def load_gaze(path, *, screen: Screen | None = None, columns: tuple[str, ...] | None = None,
              time_unit: str | None = None, units: str | None = None, references: tuple[str, ...] | None = None,
              reference_events: tuple[str | Path, ...] | None = None, recording: str | None = None,
              valid: str | None = None, scene_camera: tuple[np.ndarray, np.ndarray] | None = None) -> GazeRecording:
    """Any supported gaze file, by its name: Lund ``.mat``, IRF ``.npy``, EyeLink ``.asc``, GazeCom
    ``.arff`` (:func:`~sensekit.eyetrack.arff.load_arff_gaze`), a Tobii Pro Glasses 3
    ``gazedata.gz`` or Glasses 2 ``livedata.json.gz`` or their recording folder
    (:func:`~sensekit.eyetrack.tobii_glasses.load_tobii_glasses`), a Pupil Core recording folder or
    its ``gaze.pldata`` (:func:`~sensekit.eyetrack.pupil_core.load_pupil_core`), a Neon native
    recording folder (:func:`~sensekit.eyetrack.neon_native.load_neon_recording`),
    a Project Aria eye gaze CSV (:func:`~sensekit.eyetrack.aria.load_aria_gaze`),
    Pupil Labs ``gaze_positions.csv``, SMI BeGaze (:mod:`.smi`) and Gazepoint exports, Tobii
    ``.tsv``/``.csv`` (``recording``: one recording of
    a Pro Lab export of several), a plain CSV/TSV table of
    time, x and y (:func:`load_gaze_table`; ``columns``, ``time_unit``, ``units``, ``references``,
    ``reference_events`` and ``valid`` are its), or
    the gaze stream of a sensekit HDF5 or XDF recording (``FILE#STREAM`` names one;
    :func:`load_recorded_gaze`). ``scene_camera`` (camera matrix, distortion coefficients) reads
    a glasses' scene-camera pixels, of a recorded stream or a Neon Player ``gaze.csv``, in degrees."""
    from ..core.sources.spec import recording_stream

    table_options = [flag for flag, given in (("--columns", columns is not None), ("--time-unit", time_unit is not None),
                                              ("--units", units is not None), ("--reference", bool(references)),
                                              ("--reference-events", bool(reference_events)),
                                              ("--valid", valid is not None)) if given]
    from .aria import aria_gaze_file, load_aria_gaze
    from .neon_native import is_neon_recording, load_neon_recording
    from .pupil_core import load_pupil_core, pupil_core_gaze_file
    from .tobii_glasses import is_tobii_glasses, load_tobii_glasses
    from .tobii_legacy import is_tobii_legacy, load_tobii_legacy

    if Path(path).is_dir():  # (an Aria MPS output folder, a Pupil Core recording: its gaze file)
        path = aria_gaze_file(path) or pupil_core_gaze_file(path) or path
    table = Path(path).suffix.lower() in (".csv", ".tsv", ".txt")
    head = _table_head(Path(path)) if table else ""  # (the header only: a long recording is not read twice)
    if recording is not None and (not ("Gaze point X" in head or is_tobii_legacy(head)) or columns is not None):
        raise RecordingError(f"--recording does not apply: {Path(path).name} is not a Tobii Pro Lab or Studio "
                             "export", "leave it out")

    def not_a_table(name: str, kind: str, own_screen: bool = False, camera: bool = False, units: bool = False) -> None:
        """Settings are never silently ignored: those that do not apply to the file are refused (a
        recording's stream that says no units takes ``--units``)."""
        extra = [flag for flag in table_options if not (units and flag == "--units")] + (
            ["--screen/--distance"] if own_screen and screen is not None else []) + (
            ["--scene-camera"] if scene_camera is not None and not camera else [])
        if extra:
            raise RecordingError(f"{', '.join(extra)} {'does' if len(extra) == 1 else 'do'} not apply: {name} is "
                                 f"{kind}, which says its own columns, time unit and gaze units"
                                 f"{' and screen' * own_screen}", "leave them out")

    def plain_table(name: str) -> None:
        if scene_camera is not None:
            raise RecordingError(f"--scene-camera does not apply: {name} is a plain table of gaze (a glasses' "
                                 "scene-camera pixels come from a Neon Player export or a recorded stream)",
                                 "leave it out")

    if is_gzipped_table(Path(path)):  # (a large export kept compressed: read as the table it holds)
        with gunzipped(Path(path), MAX_GAZE_TABLE_BYTES) as plain:
            rec = load_gaze(plain, screen=screen, columns=columns, time_unit=time_unit, units=units,
                            references=references, reference_events=reference_events, recording=recording,
                            valid=valid, scene_camera=scene_camera)
        return dataclasses.replace(rec, name=Path(Path(path).stem).stem) if rec.name == plain.stem else rec
    if is_tobii_glasses(Path(path)):
        not_a_table(Path(path).name, "a Tobii Pro Glasses recording (gaze directions)", own_screen=True)
        return load_tobii_glasses(path)
    if is_neon_recording(path):
        not_a_table(Path(path).name, "a Neon recording (gaze in its scene camera's pixels, read through its lens)",
                    own_screen=True)
        return load_neon_recording(path)
    if Path(path).suffix.lower() == ".pldata":
        not_a_table(Path(path).name, "a Pupil Core recording's gaze")
        return load_pupil_core(_need(path), screen=screen)
    one = recording_stream(str(path))
    if one is not None or Path(path).suffix.lower() in GAZE_RECORDING_SUFFIXES:
        not_a_table(Path(one[0] if one else path).name, "a recording", camera=True, units=True)
        return load_recorded_gaze(*(one if one else (path,)), screen=screen, scene_camera=scene_camera, units=units)
    path = _need(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        not_a_table(path.name, "a Lund 2013 recording", own_screen=True)
        return load_lund2013(path)
    if suffix == ".npy":
        not_a_table(path.name, "an IRF recording", own_screen=True)
        return load_irf(path)
    if suffix == ".asc":
        not_a_table(path.name, "an EyeLink .asc file")
        return load_eyelink_asc(path, screen=screen)
    if suffix == ".arff":
        from .arff import load_arff_gaze

        not_a_table(path.name, "a GazeCom ARFF file")
        return load_arff_gaze(path, screen=screen)
    if table:
        if columns is not None:
            plain_table(path.name)
            return load_gaze_table(path, columns=columns, time_unit=time_unit, units=units or "px",
                                   screen=screen, references=references, reference_events=reference_events, valid=valid)
        export = _export_of(head)
        if export == "pupil labs":
            not_a_table(path.name, "a Pupil Labs export")
            return load_pupil_labs_csv(path, screen=screen)
        if export == "aria":
            not_a_table(path.name, "a Project Aria eye gaze file (gaze directions)", own_screen=True)
            return load_aria_gaze(path)
        if export == "pupil cloud":
            not_a_table(path.name, "a Pupil Cloud or Neon Player export (gaze read in degrees)", own_screen=True,
                        camera="azimuth [deg]" not in head)
            return load_pupil_cloud_csv(path, scene_camera=scene_camera)
        if export == "gazepoint":  # (the best point of gaze, in fractions of the screen; BPOGV 0 where lost)
            not_a_table(path.name, "a Gazepoint export (BPOGX, BPOGY in fractions of the screen)")
            if screen is None:
                raise DatasetError(f"{path.name} is a Gazepoint export, its gaze in fractions of the screen, which "
                                   "need the screen geometry for degrees", "give --screen WxHmm@WxH and --distance MM",
                                   python_fix="screen=Screen(...)")
            return load_gaze_table(path, columns=(_gazepoint_time(head), "BPOGX", "BPOGY"), time_unit="s",
                                   units="norm", screen=screen, valid="BPOGV")
        if export == "smi":
            from .smi import load_smi, smi_screen

            own = smi_screen(path)
            not_a_table(path.name, "an SMI iView X or BeGaze export", own_screen=own is not None)
            return load_smi(path, screen=own or screen)
        if export == "tobii legacy":
            not_a_table(path.name, "a Tobii Analytics SDK or Studio file")
            return load_tobii_legacy(path, screen=screen, recording=recording)
        if export == "tobii":
            not_a_table(path.name, "a Tobii export")
            return load_tobii_csv(path, screen=screen, recording=recording)
        plain_table(path.name)
        return load_gaze_table(path, columns=columns, time_unit=time_unit, units=units or "px", screen=screen,
                               references=references, reference_events=reference_events, valid=valid)
    if suffix == ".edf":
        from ..core.recording.edf import EYELINK_EDF_FIX

        raise RecordingError(f"{path.name}: an EyeLink .edf is SR Research's binary format (and a European Data "
                             "Format recording holds no gaze)", EYELINK_EDF_FIX.format(path=path.with_suffix(".asc")))
    raise RecordingError(f"{path.name}: unknown gaze file type {suffix!r}",
                         "use a Lund .mat, IRF .npy, EyeLink .asc, GazeCom .arff, Pupil Labs (an export or a Pupil "
                         "Core recording), Tobii (Pro Lab, Glasses 2 and 3 recordings), Project Aria eye gaze or a "
                         "plain time,x,y CSV/TSV file, or a sensekit .h5 or .xdf recording")


# -- eye images with pupil ground truth (read from the user's copy) ----------------------
@dataclasses.dataclass
class PupilImages:
    """Eye images with hand-labelled pupils.

    Attributes
    ----------
    images : iterable of ndarray
        Grey images (uint8), lazily read.
    centres : ndarray, shape (n, 2)
        Labelled pupil centres (px); NaN where the frame has no label.
    n : int
    name : str
    """

    images: object
    centres: np.ndarray
    n: int
    name: str


def load_swirski(folder) -> PupilImages:
    """One case of Świrski et al. (2012) (``p1-left``, ...): ``frames/<id>-eye.png`` and
    ``pupil-ellipses.txt`` (``id | cx cy a b angle_rad``); only labelled frames are read."""
    import cv2

    folder = Path(folder)
    gt = folder / "pupil-ellipses.txt"
    if not gt.is_file():
        raise DatasetError(f"{str(folder)!r} has no pupil-ellipses.txt", "point at a Świrski case folder such as p1-left")
    ids, centres = [], []
    for line in gt.read_text().splitlines():
        if not line.strip():
            continue
        try:
            frame, ell = line.split("|", 1)
            vals = [float(v) for v in ell.split()]
            ids.append(int(frame))
            centres.append(vals[:2])
        except (ValueError, IndexError):
            raise RecordingError(f"{gt.name}: unreadable line {line[:60]!r}", "expected 'id | cx cy a b angle'") from None

    def images():
        for i in ids:
            img = cv2.imread(str(folder / "frames" / f"{i}-eye.png"), cv2.IMREAD_GRAYSCALE)
            if img is None:
                raise RecordingError(f"{folder.name}: frame {i}-eye.png is missing or unreadable",
                                     "copy the whole frames/ folder of the dataset")
            yield img

    return PupilImages(images(), np.array(centres, dtype=np.float64).reshape(-1, 2), len(ids), folder.name)


def load_lpw(video) -> PupilImages:
    """One video of Labelled Pupils in the Wild (Tonsen et al. 2016): ``N.avi`` and the
    ``N.txt`` beside it with one ``x y`` pupil centre per frame."""
    import cv2

    video = Path(video)
    gt = video.with_suffix(".txt")
    if not video.is_file() or not gt.is_file():
        raise DatasetError(f"LPW needs {video.name} and {gt.name} side by side", "point at an LPW .avi file")
    try:
        centres = np.loadtxt(gt, ndmin=2)[:, :2]
    except ValueError:
        raise RecordingError(f"{gt.name} is not 'x y' per line", "use the LPW annotation file") from None

    def images():
        cap = cv2.VideoCapture(str(video))
        try:
            for _ in range(len(centres)):
                ok, img = cap.read()
                if not ok:
                    return
                yield cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        finally:
            cap.release()

    return PupilImages(images(), centres, len(centres), video.stem)


def load_pupil_images(path) -> PupilImages:
    """A Świrski case folder or an LPW video, by what ``path`` is."""
    path = Path(path)
    if path.is_dir():
        return load_swirski(path)
    if path.suffix.lower() in (".avi", ".mp4"):
        return load_lpw(path)
    raise DatasetError(f"{str(path)!r} is neither a Świrski case folder nor an LPW video",
                       "point at e.g. swirski/p1-left or LPW/1/1.avi")
