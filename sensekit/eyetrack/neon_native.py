"""Neon recordings as the Companion app writes them ("Native Recording Data"): the gaze, without
Neon Player or Pupil Cloud.

A recording folder, copied from the phone or downloaded from Pupil Cloud as native data, keeps
the gaze in scene-camera pixels as raw binary files, each beside its timestamps:
``gaze_200hz.raw`` / ``gaze_200hz.time`` (the full-rate gaze, where present) or the real-time
gaze in parts, ``gaze ps1.raw`` / ``gaze ps1.time``, ``gaze ps2.raw``, ... . A ``.raw`` file is
little-endian float32 pairs (x, y in pixels), a ``.time`` file little-endian uint64 nanoseconds,
one a sample. The scene camera's intrinsics are in ``calibration.bin``: one record of a version
byte, the module's serial (6 bytes), then float64 matrices (the scene camera's 3 x 3 matrix and
8 distortion coefficients, OpenCV's model, first), as Pupil Labs' ``pl-neon-recording`` reads
it. The gaze is read in degrees through that lens, as Neon Player's ``gaze.csv`` with its
``scene_camera.json`` is (:mod:`.scene_camera`). Where the glasses were not worn (``worn``: one
byte a sample, 0 off the face) or the eyes blinked (``blinks``: int64 start and end in ns) the
gaze is lost, as Pupil Cloud's ``gaze.csv`` marks it.

Untrusted files: gaze over :data:`MAX_NEON_GAZE_BYTES`, a ``calibration.bin`` of another size
or with no usable scene camera, non-finite or backward timestamps are one line; a part whose
two files hold different numbers of samples (the phone stopped mid-write) keeps the samples
both have, with a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..errors import RecordingError

__all__ = ["is_neon_recording", "load_neon_recording", "read_neon_calibration", "neon_gaze_files",
           "NEON_CALIBRATION_DTYPE", "MAX_NEON_GAZE_BYTES"]

log = logging.getLogger("sensekit")

#: ``calibration.bin``'s one record (pl-neon-recording's ``Calibration``).
NEON_CALIBRATION_DTYPE = np.dtype([
    ("version", "u1"), ("serial", "S6"),
    ("scene_camera_matrix", "<f8", (3, 3)), ("scene_distortion_coefficients", "<f8", (8,)),
    ("scene_extrinsics_affine_matrix", "<f8", (4, 4)),
    ("right_camera_matrix", "<f8", (3, 3)), ("right_distortion_coefficients", "<f8", (8,)),
    ("right_extrinsics_affine_matrix", "<f8", (4, 4)),
    ("left_camera_matrix", "<f8", (3, 3)), ("left_distortion_coefficients", "<f8", (8,)),
    ("left_extrinsics_affine_matrix", "<f8", (4, 4)),
    ("crc", "<u4")])
#: The most gaze read (8 bytes a sample): hours at 200 Hz.
MAX_NEON_GAZE_BYTES = 512 << 20
CALIBRATION_FILE = "calibration.bin"


def neon_gaze_files(folder) -> list[tuple[Path, Path]]:
    """The (``.raw``, ``.time``) pairs of a Neon recording folder's gaze, in order: the 200 Hz
    gaze where there is one, else the real-time gaze's parts by their number; [] for none."""
    folder = Path(folder)
    full = (folder / "gaze_200hz.raw", folder / "gaze_200hz.time")
    return [full] if all(p.is_file() for p in full) else _multipart(folder, "gaze")


def is_neon_recording(folder) -> bool:
    """Whether ``folder`` is a Neon native recording: gaze files beside a ``calibration.bin``."""
    return Path(folder).is_dir() and (Path(folder) / CALIBRATION_FILE).is_file() and bool(neon_gaze_files(folder))


def read_neon_calibration(path) -> tuple[np.ndarray, np.ndarray]:
    """The scene camera's matrix and 8 distortion coefficients of a ``calibration.bin``; one line
    for a file of another size or without a usable scene camera."""
    from .scene_camera import scene_camera_from_meta

    path = Path(path)
    size = path.stat().st_size
    if size != NEON_CALIBRATION_DTYPE.itemsize:
        raise RecordingError(f"{path}: {size} bytes, not a Neon calibration ({NEON_CALIBRATION_DTYPE.itemsize})",
                             "copy the recording folder from the phone again, or export it with Neon Player")
    record = np.frombuffer(path.read_bytes(), dtype=NEON_CALIBRATION_DTYPE)[0]
    return scene_camera_from_meta({"camera_matrix": record["scene_camera_matrix"].tolist(),
                                   "dist_coefs": record["scene_distortion_coefficients"].tolist()}, str(path))


def _capped_bytes(file: Path) -> bytes:
    """A Neon file's bytes, refused in one line past :data:`MAX_NEON_GAZE_BYTES` before it is read."""
    from ..core.schema import read_at_most

    size = file.stat().st_size
    data = read_at_most(file, MAX_NEON_GAZE_BYTES) if size <= MAX_NEON_GAZE_BYTES else None
    if data is None:  # (a size past the cap, or a device that states none: a link to /dev/zero had hung)
        raise RecordingError(f"{file.name}: {size / 2**20:.0f} MB, more than the {MAX_NEON_GAZE_BYTES >> 20} MB a "
                             "Neon file is read to", "export the part you need with Neon Player")
    return data


def _read_part(raw: Path, time: Path, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """A part's values (of ``dtype``, one a sample) and its stamps (int64 ns), cut to the samples
    both files hold whole (with a warning where they differ: the phone stopped mid-write)."""
    data = _capped_bytes(raw)
    values = np.frombuffer(data[: len(data) // dtype.itemsize * dtype.itemsize], dtype=dtype)
    stamps = _capped_bytes(time)
    t = np.frombuffer(stamps[: len(stamps) // 8 * 8], dtype="<u8").astype(np.int64)
    if len(values) != len(t) or len(data) % dtype.itemsize or len(stamps) % 8:
        n = min(len(values), len(t))
        log.warning("%s and %s hold %d and %d samples: the recording was cut off; the %d samples both have are kept",
                    raw.name, time.name, len(values), len(t), n)
        values, t = values[:n], t[:n]
    return values, t


def _parts(pairs: list[tuple[Path, Path]], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    read = [_read_part(raw, time, dtype) for raw, time in pairs]
    if not read:
        return np.zeros(0, dtype=dtype), np.zeros(0, dtype=np.int64)
    return np.concatenate([r[0] for r in read]), np.concatenate([r[1] for r in read])


def _multipart(folder: Path, name: str) -> list[tuple[Path, Path]]:
    parts = []
    for raw in folder.glob(f"{name} ps*.raw"):
        number = raw.stem[len(name) + 3:]
        if number.isdigit() and raw.with_suffix(".time").is_file():
            parts.append((int(number), raw, raw.with_suffix(".time")))
    return [(raw, time) for _, raw, time in sorted(parts)]


def _not_seen(folder: Path, t: np.ndarray, full_rate: bool) -> np.ndarray:
    """Where the gaze at stamps ``t`` (ns) is no gaze: the glasses not worn (``worn`` 0; the
    200 Hz file shares the gaze's stamps, the real-time parts have their own: the latest at or
    before each gaze sample counts) or the eyes in a blink (``blinks`` parts: int64 start and
    end in ns)."""
    lost = np.zeros(len(t), dtype=bool)
    worn_200hz = folder / "worn_200hz.raw"
    if full_rate and worn_200hz.is_file():
        worn = np.frombuffer(_capped_bytes(worn_200hz), dtype="u1")
        if len(worn) == len(t):
            lost |= worn == 0
        else:
            log.warning("%s holds %d samples, the gaze %d: not used", worn_200hz.name, len(worn), len(t))
    else:
        worn, stamps = _parts(_multipart(folder, "worn"), np.dtype("u1"))
        if len(worn):
            order = np.argsort(stamps, kind="stable")
            at = np.searchsorted(stamps[order], t, side="right") - 1
            lost |= (at >= 0) & (worn[order][np.clip(at, 0, None)] == 0)
    blinks, _ = _parts(_multipart(folder, "blinks"), np.dtype([("start", "<i8"), ("end", "<i8")]))
    for start, end in zip(blinks["start"], blinks["end"], strict=True):
        lost[np.searchsorted(t, start, side="left"):np.searchsorted(t, end, side="right")] = True
    return lost


def load_neon_recording(folder):
    """The gaze of a Neon native recording folder in degrees (x right, y down), through its
    scene camera's lens; a :class:`~.datasets.GazeRecording`."""
    from .datasets import GazeRecording, _nominal_rate
    from .scene_camera import scene_pixels_to_degrees

    folder = Path(folder)
    pairs = neon_gaze_files(folder)
    total = sum(raw.stat().st_size for raw, _ in pairs)
    if total > MAX_NEON_GAZE_BYTES:
        raise RecordingError(f"{folder.name}: {total / 2**20:.0f} MB of gaze, more than the "
                             f"{MAX_NEON_GAZE_BYTES >> 20} MB read", "export the part you need with Neon Player")
    matrix, dist = read_neon_calibration(folder / CALIBRATION_FILE)
    xy, stamps = _parts(pairs, np.dtype([("x", "<f4"), ("y", "<f4")]))
    if (np.diff(stamps) < 0).any():
        raise RecordingError(f"{folder.name}: its gaze timestamps are not in order",
                             "copy the recording folder from the phone again")
    lost = _not_seen(folder, stamps, pairs[:1] == [(folder / "gaze_200hz.raw", folder / "gaze_200hz.time")])
    t = (stamps - stamps[0]) * 1e-9 if len(stamps) else np.zeros(0)
    px, py = (np.where(lost, np.nan, xy[c].astype(np.float64)) for c in ("x", "y"))
    x, y = scene_pixels_to_degrees(px, py, matrix, dist)
    return GazeRecording(t, x, y, _nominal_rate(t, folder.name), None, {}, folder.name)
