"""Tobii Pro Glasses 2 and 3 recordings: the gaze as the glasses stored it.

A **Glasses 3** recording folder (the glasses' SD card, Glasses 3 Controller's download) holds
``gazedata.gz``: gzip-compressed JSON lines, one a sample, at 50 or 100 Hz::

    {"type": "gaze", "timestamp": 681.751, "data": {"gaze2d": [0.535, 0.477],
     "gaze3d": [-32.499, -4.491, 345.359],
     "eyeleft": {"gazeorigin": [30.221, -11.798, -23.935], "gazedirection": [-0.16, 0.0432, 0.986],
                 "pupildiameter": 2.653},
     "eyeright": {...}}}

``timestamp`` is in seconds from the recording's start; ``data`` is ``{}`` where no eye was
found. A **Glasses 2** recording folder (``recording.json``, ``segments/1/``) holds
``segments/N/livedata.json.gz``: one JSON line a measurement, the measurements of one sample
sharing its ``gidx``, ``ts`` in µs, ``s`` 0 where valid::

    {"ts": 3170660907, "s": 0, "gidx": 52598, "gp3": [-6.66, 159.54, 533.55]}
    {"ts": 3170680864, "s": 0, "gidx": 52599, "pc": [28.52, -23.18, -28.38], "eye": "left"}

(``gp3`` the 3-D gaze point, ``pc`` an eye's pupil centre; ``gp``, ``gd``, ``pd``, the
accelerometer's ``ac`` and gyroscope's ``gy`` and the video's ``vts`` are not needed). Both
give 3-D values in mm in the glasses' frame, with its origin at the scene camera: x to the
wearer's left, y up, z forward.

The gaze is read as a direction (:mod:`.directions`, x to the right): the 3-D gaze point seen
from the middle of the two eyes (the median over the recording of the midpoint of the eyes'
``gazeorigin`` or ``pc``; the scene camera where no sample has both). That is the direction of
the binocular gaze, which the glasses also give while one eye is lost: the two eyes' own
directions differ by their vergence (3.6 degrees at 50 cm), so switching between them and their
mean would make the gaze jump. A sample without a gaze point is lost.

Untrusted files: decompressed text over :data:`MAX_GLASSES_BYTES` or a line over
:data:`MAX_LINE_BYTES` is refused, a damaged line is named by its number, and a recording cut
off mid-write (a truncated gzip stream or last line, as when the battery runs out) keeps the
samples before the cut, with a warning.
"""

from __future__ import annotations

import gzip
import heapq
import json
import logging
import math
import zlib
from array import array
from pathlib import Path

import numpy as np

from ..errors import RecordingError
from .gaze_table import is_gzipped_table

__all__ = ["load_tobii_glasses", "is_tobii_glasses", "tobii_glasses_file", "MAX_GLASSES_BYTES", "MAX_LINE_BYTES"]

log = logging.getLogger("sensekit")

#: The most decompressed text read: a Glasses 3 sample is about 400 bytes (a Glasses 2 one about
#: 800, in several lines), so this is hours at 100 Hz; a gzip stream that inflates past it is
#: refused (a compression bomb).
MAX_GLASSES_BYTES = 512 * 1024**2
#: The longest line read: a sample is a few hundred bytes.
MAX_LINE_BYTES = 64 * 1024
_LOST = (math.nan,) * 3


def tobii_glasses_file(path: Path) -> Path:
    """The gaze file of a Glasses 3 recording folder (``gazedata.gz``) or of a Glasses 2 one of a
    single segment (``segments/N/livedata.json.gz``; one of several segments, each on its own
    clock, is refused by name), or ``path`` itself."""
    path = Path(path)
    if path.is_dir() and (path / "gazedata.gz").is_file():
        return path / "gazedata.gz"
    if path.is_dir() and (path / "segments").is_dir():
        segments = sorted(p for p in (path / "segments").glob("*/livedata.json.gz") if p.is_file())
        if len(segments) > 1:
            raise RecordingError(f"{path.name} holds {len(segments)} recording segments, each on its own clock",
                                 f"give one: {segments[0]}")
        if segments:
            return segments[0]
    return path


def is_tobii_glasses(path: Path) -> bool:
    """Whether ``path`` is read as a Tobii Pro Glasses recording: a ``.gz`` file (the only
    compressed gaze files sensekit reads), a recording folder (:func:`tobii_glasses_file`), or a
    file of another ending that starts with a Glasses 2 or 3 gaze line (decompressed)."""
    path = tobii_glasses_file(path)
    if not path.is_file():
        return False
    if path.suffix.lower() == ".gz":
        return not is_gzipped_table(path)
    return _generation(_head(path)) is not None


def _head(path: Path) -> bytes | None:
    """The file's first 4 KB, decompressed (None where it cannot be read)."""
    try:
        with _open(path) as f:
            return f.read(4096)
    except (OSError, EOFError, zlib.error):
        return None


def _generation(head: bytes | None) -> int | None:
    """2 or 3 by the keys of a file's first lines (:func:`_head`: Glasses 2's ``gidx``/``ts``,
    Glasses 3's ``type``/``timestamp``), None when neither."""
    if head is None or not head.lstrip().startswith(b"{"):
        return None
    if b'"gidx"' in head or b'"ts"' in head:
        return 2
    return 3 if b'"timestamp"' in head or b'"gaze' in head else None


def _open(path: Path):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _lines(path: Path):
    """Numbered lines of the file; a stream cut off mid-write ends them with a warning."""
    read = 0
    try:
        with _open(path) as f:
            for number in range(1, 1 << 62):
                line = f.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                read += len(line)
                if read > MAX_GLASSES_BYTES:
                    raise RecordingError(f"{path.name} decompresses to over {MAX_GLASSES_BYTES / 1e6:.0f} MB",
                                         "split the recording, or check that it is a Tobii Pro Glasses gaze file")
                if len(line) > MAX_LINE_BYTES:
                    raise RecordingError(f"{path.name}: line {number} is over {MAX_LINE_BYTES // 1024} KB, not a "
                                         "gaze sample", "check that it is a Tobii Pro Glasses gaze file")
                yield number, line
    except EOFError:
        log.warning("%s is cut off (its gzip stream ends early, as when a recording stops mid-write): the samples "
                    "before the cut are read", path.name)
    except (OSError, zlib.error) as e:
        raise RecordingError(f"{path.name} is not a readable gzip file ({e})", "copy the recording again") from None


def _finite(value) -> bool:
    """A JSON number that is a finite float (a whole number of 400 digits is none)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _vector(value, path: Path, number: int, what: str) -> list[float] | None:
    """A 3-D vector of finite numbers, None where absent; anything else is damage."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) == 3 and all(_finite(v) for v in value):
        return [float(v) for v in value]
    raise RecordingError(f"{path.name}: line {number}, {what} is {json.dumps(value)[:40]}, not three numbers",
                         "fix or remove that line")


def _sample(record, path: Path, number: int):
    """(time, gaze3d, left origin, right origin) of one Glasses 3 gaze line; None for other lines."""
    if record.get("type", "gaze") != "gaze":
        return None
    t, data = record.get("timestamp"), record.get("data", {})
    if not _finite(t):
        raise RecordingError(f"{path.name}: line {number} has no timestamp in seconds (got "
                             f"{json.dumps(t)[:30]})", "fix or remove that line")
    if not isinstance(data, dict):
        raise RecordingError(f"{path.name}: line {number}, 'data' is no JSON object", "fix or remove that line")
    origins = []
    for eye in ("eyeleft", "eyeright"):
        one = data.get(eye)
        if one is not None and not isinstance(one, dict):
            raise RecordingError(f"{path.name}: line {number}, {eye!r} is no JSON object", "fix or remove that line")
        origins.append(_vector((one or {}).get("gazeorigin"), path, number, f"{eye}.gazeorigin"))
    return float(t), _vector(data.get("gaze3d"), path, number, "gaze3d"), origins[0], origins[1]


def _records(path: Path):
    """The file's JSON records with their line numbers, streamed (a line is parsed once the next
    has come, so that the last line alone may be cut off)."""
    pending = None
    for number, line in _lines(path):
        if pending is not None:
            yield from _parse(*pending, path, last=False)
        pending = (number, line)
    if pending is not None:
        yield from _parse(*pending, path, last=True)


def _parse(number: int, line: bytes, path: Path, *, last: bool):
    if not line.strip():
        return
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        if last and not line.endswith(b"\n"):  # (the last line of a recording cut off)
            log.warning("%s: its last line is cut off and left out", path.name)
            return
        raise RecordingError(f"{path.name}: line {number} is not JSON ({line[:40]!r})",
                             "fix or remove that line") from None
    if not isinstance(record, dict):
        raise RecordingError(f"{path.name}: line {number} is no JSON object", "fix or remove that line")
    yield number, record


def _glasses3_samples(path: Path):
    """(time, gaze point, left origin, right origin) of each Glasses 3 gaze line."""
    for number, record in _records(path):
        sample = _sample(record, path, number)
        if sample is not None:
            yield sample


#: A Glasses 2 sample's measurements come within this many samples of each other (out of order
#: by one or two): the samples further back than it are complete, and memory stays bounded by it.
GIDX_WINDOW = 200


def _glasses2_samples(path: Path):
    """(time, gaze point, left pupil centre, right pupil centre) of each Glasses 2 sample, in the
    order of ``gidx``: its measurements gathered by ``gidx`` (they come out of order, by a
    sample or two; a sample is passed on once the file is :data:`GIDX_WINDOW` samples further,
    and a measurement later than that is left out, with a warning that counts them)."""
    rows: dict[int, list] = {}
    pending: list[int] = []  # (a heap of the rows' gidx)
    done, late = None, 0  # (the last gidx passed on)
    for number, record in _records(path):
        index = record.get("gidx")
        if index is None:  # (the accelerometer, gyroscope, video and sync lines)
            continue
        if not isinstance(index, int) or isinstance(index, bool) or not _finite(record.get("ts")):
            raise RecordingError(f"{path.name}: line {number} has no whole-number gidx and time in us (ts)",
                                 "fix or remove that line")
        if done is not None and index <= done:
            late += 1
            continue
        row = rows.get(index)
        if row is None:
            row = rows[index] = [float(record["ts"]) * 1e-6, None, None, None]
            heapq.heappush(pending, index)
            if len(rows) > GIDX_WINDOW:  # (the sample furthest back is complete)
                done = heapq.heappop(pending)
                yield tuple(rows.pop(done))
        if record.get("s", 0) != 0:  # (an invalid measurement)
            continue
        if "gp3" in record:
            row[1] = _vector(record["gp3"], path, number, "gp3")
        elif "pc" in record:
            eye = record.get("eye")
            if eye not in ("left", "right"):
                raise RecordingError(f"{path.name}: line {number}, a pupil centre of no eye ({str(eye)[:20]!r})",
                                     "fix or remove that line")
            row[2 if eye == "left" else 3] = _vector(record["pc"], path, number, "pc")
    while pending:
        yield tuple(rows.pop(heapq.heappop(pending)))
    if late:
        log.warning("%s: %d measurements came more than %d samples after their sample's and are left out",
                    path.name, late, GIDX_WINDOW)


def load_tobii_glasses(path):
    """A Tobii Pro Glasses 3 ``gazedata.gz`` or Glasses 2 ``livedata.json.gz`` (or the
    recording folder that holds it; or the file decompressed) as a
    :class:`~sensekit.eyetrack.datasets.GazeRecording` in degrees: the binocular gaze's
    direction from the middle of the eyes (module docstring).

    Examples
    --------
    >>> import gzip, json, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> lines = [json.dumps({"type": "gaze", "timestamp": i / 100, "data": {"gaze3d": [-100.0 * (i > 5), 0.0, 1000.0],
    ...          "eyeleft": {"gazeorigin": [30.0, 0.0, -25.0]}, "eyeright": {"gazeorigin": [-30.0, 0.0, -25.0]}}})
    ...          for i in range(10)]
    >>> _ = (folder / "gazedata.gz").write_bytes(gzip.compress("\\n".join(lines).encode()))
    >>> rec = load_tobii_glasses(folder)
    >>> rec.rate, rec.x.round(2).tolist()[4:7]
    (100.0, [0.0, 0.0, 5.57])
    """
    from .datasets import GazeRecording, _need, _nominal_rate
    from .directions import X_LEFT_TO_RIGHT, direction_degrees

    path = _need(tobii_glasses_file(path))
    head = _head(path)
    generation = _generation(head)
    if head and not head.lstrip().startswith(b"{"):  # (readable, but no JSON objects: a gzipped table)
        raise RecordingError(f"{path.name} holds no Tobii Pro Glasses gaze (JSON lines)", "a compressed table is "
                             f"read as one when its name says so ({path.name.split('.')[0]}.tsv.gz, .csv.gz), or "
                             f"gunzip {path.name} and give the table")
    samples = _glasses2_samples(path) if generation == 2 else _glasses3_samples(path)  # (else 3: its reader says
    # what is wrong with a file it cannot read)
    t, point, middles = array("d"), array("d"), array("d")  # (8 bytes a number: hours of samples fit)
    for time, gaze, left, right in samples:
        t.append(time)
        point.extend(gaze if gaze is not None else _LOST)
        if left is not None and right is not None:
            middles.extend((a + b) / 2 for a, b in zip(left, right, strict=True))
    if not t:
        raise RecordingError(f"{path.name} holds no gaze samples", "check that it is a Tobii Pro Glasses gaze file")
    t, point = np.frombuffer(t), np.frombuffer(point).reshape(-1, 3)
    middle = np.median(np.frombuffer(middles).reshape(-1, 3), axis=0) if middles else np.zeros(3)
    x, y = direction_degrees((point - middle) * X_LEFT_TO_RIGHT)
    t = t - t[0]
    return GazeRecording(t, x, y, _nominal_rate(t, path.name), None, {}, _recording_name(path), unwrapped=True)


def _recording_name(path: Path) -> str:
    """The recording folder's name (``REC/gazedata.gz``, ``REC/segments/1/livedata.json.gz``), else
    the file's."""
    if path.name.lower().startswith("gazedata") and path.parent.name:
        return path.parent.name
    if path.name.lower().startswith("livedata") and path.parent.parent.name == "segments":
        return path.parent.parent.parent.name
    return path.name.split(".")[0]
