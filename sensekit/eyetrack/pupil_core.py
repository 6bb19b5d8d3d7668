"""Pupil Core recordings as Pupil Capture writes them: the gaze, without Pupil Player's export.

A recording folder (``recordings/2026_12_02/000/``: ``info.player.json``, ``gaze.pldata``,
``gaze_timestamps.npy``, the world and eye videos) keeps the gaze as a sequence of msgpack
records, each a pair (topic, payload) whose payload is a msgpack map, one gaze datum::

    ("gaze.3d.01.", {"topic": "gaze.3d.01.", "timestamp": 8123.512, "confidence": 0.97,
                     "norm_pos": [0.512, 0.488], "gaze_point_3d": [-12.1, 8.4, 498.0], ...})

``timestamp`` is in seconds of Pupil time, ``norm_pos`` in fractions of the scene image (origin
at its bottom left), ``gaze_point_3d`` in mm in the scene camera's frame (the 3-D gaze mapper's;
the 2-D mapper's ``gaze.2d.*`` data have none). Pupil Player's post-hoc gaze mapping
is kept alike, in ``offline_data/gaze-mappings/NAME-ID.pldata``. Topics ``gaze.3d.01.`` (both eyes) and
``gaze.3d.0.`` / ``gaze.3d.1.`` (one eye) interleave, as in Pupil Player's ``gaze_positions.csv``,
and the file is read as that export is (:func:`~.datasets.load_pupil_labs_csv`): the same
samples, the same degrees.

Untrusted files: msgpack holds data only (nothing in it runs), a file over
:data:`MAX_PLDATA_BYTES` or a record over :data:`MAX_RECORD_BYTES` is refused, a damaged record
is named by its number, and a recording cut off mid-write (Pupil Capture closed by a crash or a
full disk) keeps the records before the cut, with a warning.
"""

from __future__ import annotations

import logging
import math
from array import array
from pathlib import Path

import numpy as np

from ..errors import RecordingError

__all__ = ["load_pupil_core", "pupil_core_gaze_file", "read_pldata_gaze", "read_world_intrinsics", "MAX_PLDATA_BYTES",
           "MAX_RECORD_BYTES"]

log = logging.getLogger("sensekit")

#: The largest ``gaze.pldata`` read: a datum with its two eyes' pupil data is 2-4 kB, so this is
#: hours at 200 Hz.
MAX_PLDATA_BYTES = 4 << 30
#: The largest record (one gaze datum with the pupil data it was mapped from).
MAX_RECORD_BYTES = 1 << 20
#: The file a Pupil Core recording folder keeps its gaze in.
GAZE_FILE = "gaze.pldata"


def pupil_core_gaze_file(folder) -> Path | None:
    """``gaze.pldata`` of a Pupil Core recording folder, or None where ``folder`` is none."""
    path = Path(folder) / GAZE_FILE
    return path if Path(folder).is_dir() and path.is_file() else None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(value, n: int) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == n and all(_number(v) for v in value)


def read_pldata_gaze(path) -> dict[str, np.ndarray]:
    """The gaze data of a ``gaze.pldata`` file, in file order: ``t`` (s), ``confidence``,
    ``norm_pos`` (n, 2) and ``gaze_point_3d`` (n, 3; NaN where a datum has none).

    One line (:class:`~sensekit.errors.RecordingError`) for a file that is too large, not
    msgpack, or a record that is no gaze datum (named by its number, from 1); a file cut off
    mid-record keeps the records before the cut, with a warning."""
    import msgpack

    path = Path(path)
    size = path.stat().st_size
    if size > MAX_PLDATA_BYTES:
        raise RecordingError(f"{path.name} is {size / 2**30:.1f} GiB, more than the {MAX_PLDATA_BYTES >> 30} GiB "
                             "of gaze read", "export the part you need with Pupil Player (gaze_positions.csv)")
    columns = {name: array("d") for name in ("t", "confidence", "nx", "ny", "px", "py", "pz")}
    nan3 = (math.nan, math.nan, math.nan)

    def damaged(number: int, why: str) -> RecordingError:
        return RecordingError(f"{path.name}: record {number} is not a Pupil gaze datum ({why})",
                              "re-export the recording's gaze with Pupil Player (gaze_positions.csv), or give "
                              "another recording")

    with open(path, "rb") as fh:
        unpacker = msgpack.Unpacker(fh, raw=False, use_list=False, strict_map_key=False,
                                    max_buffer_size=MAX_RECORD_BYTES)
        number = 0
        try:
            for number, record in enumerate(unpacker, start=1):
                if not (isinstance(record, tuple) and len(record) == 2 and isinstance(record[0], str)
                        and isinstance(record[1], bytes)):
                    raise damaged(number, "not a (topic, payload) pair")
                if not record[0].startswith("gaze"):
                    raise damaged(number, f"its topic is {record[0][:40]!r}, not gaze")
                try:
                    datum = msgpack.unpackb(record[1], raw=False, use_list=False, strict_map_key=False)
                except (ValueError, msgpack.UnpackException) as e:
                    raise damaged(number, f"its payload is unreadable msgpack: {str(e)[:80] or type(e).__name__}"
                                  ) from None
                if not isinstance(datum, dict):
                    raise damaged(number, "its payload is not a map")
                t, conf, norm = datum.get("timestamp"), datum.get("confidence"), datum.get("norm_pos")
                if not (_number(t) and math.isfinite(t)):
                    raise damaged(number, "no finite timestamp")
                if not (_number(conf) and _numbers(norm, 2)):
                    raise damaged(number, "no confidence and norm_pos")
                point = datum.get("gaze_point_3d")
                point = point if _numbers(point, 3) else nan3
                for name, value in zip(columns, (t, conf, *norm, *point), strict=True):
                    columns[name].append(float(value))
        except msgpack.BufferFull:
            raise damaged(number + 1, f"it says it is longer than the {MAX_RECORD_BYTES >> 20} MB a record may "
                                      "be") from None
        except (ValueError, msgpack.UnpackException) as e:  # (a damaged byte: msgpack's own errors)
            raise damaged(number + 1, f"unreadable msgpack: {str(e)[:80] or type(e).__name__}") from None
        kept = unpacker.tell()
    if kept < size:
        if number == 0:
            raise RecordingError(f"{path.name} is not a Pupil data file (no whole msgpack record in its first "
                                 f"{min(size, MAX_RECORD_BYTES)} bytes)", "give a Pupil Core recording's gaze.pldata")
        log.warning("%s is cut off mid-record after %d gaze data (%d of its %d bytes): the recording was not "
                    "closed; the data before the cut are kept", path.name, number, kept, size)
    v = {name: np.array(values, dtype=np.float64) for name, values in columns.items()}
    return {"t": v["t"], "confidence": v["confidence"], "norm_pos": np.stack([v["nx"], v["ny"]], axis=1),
            "gaze_point_3d": np.stack([v["px"], v["py"], v["pz"]], axis=1)}


#: The scene camera's intrinsics in a Pupil Core recording folder (msgpack).
INTRINSICS_FILE = "world.intrinsics"


def read_world_intrinsics(folder) -> tuple[np.ndarray, np.ndarray, bool, tuple[int, int]] | None:
    """The scene camera's intrinsics of a Pupil Core recording folder (``world.intrinsics``, as
    Pupil Capture writes it: msgpack, ``{"version": 1, "(1280, 720)": {"camera_matrix": ...,
    "dist_coefs": ..., "resolution": [1280, 720], "cam_type": "radial"}}``): camera matrix,
    distortion coefficients, whether OpenCV's fisheye model (``cam_type`` fisheye, the 1080p
    wide-angle lens) and the resolution; None where the folder has no such file. One line for a
    file that holds anything else, or several resolutions."""
    import msgpack

    from ..core.schema import read_at_most
    from .scene_camera import scene_camera_from_meta

    path = Path(folder) / INTRINSICS_FILE
    if not path.is_file():
        return None
    fix = "give the recording's world.intrinsics as Pupil Capture wrote it, or export gaze_positions.csv"
    data = read_at_most(path, MAX_RECORD_BYTES) if path.stat().st_size <= MAX_RECORD_BYTES else None
    if data is None:  # (past the cap, or a device that states no size)
        raise RecordingError(f"{path}: {path.stat().st_size} bytes, not camera intrinsics", fix)
    try:
        doc = msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, msgpack.UnpackException) as e:
        raise RecordingError(f"{path}: not readable msgpack ({str(e)[:80] or type(e).__name__})", fix) from None
    entries = [v for k, v in doc.items() if k != "version"] if isinstance(doc, dict) else []
    if len(entries) != 1 or not isinstance(entries[0], dict):
        raise RecordingError(f"{path}: {len(entries)} sets of intrinsics (one resolution's expected)", fix)
    entry = entries[0]
    matrix, dist = scene_camera_from_meta(entry, str(path))
    fisheye = entry.get("cam_type") == "fisheye"
    resolution = entry.get("resolution")
    if entry.get("cam_type") not in ("radial", "fisheye") or (fisheye and dist.size != 4) or not (
            isinstance(resolution, (list, tuple)) and len(resolution) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 100_000 for v in resolution)):
        raise RecordingError(f"{path}: no cam_type (radial, or fisheye with 4 coefficients) and resolution (two "
                             "whole numbers of pixels)", fix)
    return matrix, dist, fisheye, (int(resolution[0]), int(resolution[1]))


def load_pupil_core(path, *, screen=None, min_confidence: float | None = None):
    """The gaze of a Pupil Core recording folder or its ``gaze.pldata``, read as Pupil Player's
    ``gaze_positions.csv`` export of it is (:func:`~.datasets.load_pupil_labs_csv`): with
    ``screen``, ``norm_pos`` on it; else the 3-D gaze point as a direction. ``min_confidence``:
    that loader's (:data:`~.directions.MIN_CONFIDENCE`)."""
    from .datasets import pupil_gaze
    from .directions import MIN_CONFIDENCE

    path = Path(path)
    file = pupil_core_gaze_file(path) or path
    name = path.name if file is not path else (path.parent.name if path.name == GAZE_FILE else path.stem)
    data = read_pldata_gaze(file)
    if len(data["t"]) < 2:
        mapped = sorted((file.parent / "offline_data" / "gaze-mappings").glob("*.pldata"))
        raise RecordingError(f"{file} holds {len(data['t'])} gaze data: Pupil Capture records gaze only once it is "
                             "calibrated", f"give Pupil Player's post-hoc gaze mapping, {mapped[0]}" if mapped else
                             "calibrate post hoc in Pupil Player (its gaze mapping is kept in offline_data/gaze-mappings/) "
                             "or export gaze_positions.csv")
    recording = file.parent if file.parent.name != "gaze-mappings" else file.parents[2]
    return pupil_gaze(data["t"], data["norm_pos"], data["confidence"], data["gaze_point_3d"], screen=screen,
                      name=name, min_confidence=MIN_CONFIDENCE if min_confidence is None else min_confidence,
                      camera=lambda: read_world_intrinsics(recording))
