"""A glasses' gaze in scene-camera pixels, read in degrees with the camera's own intrinsics.

Wearable eye trackers map the gaze into their scene camera's image. Pupil Labs' Neon Player
exports only that (``gaze x [px]``, ``gaze y [px]``); Pupil Cloud's exports add the direction
in degrees. A wide-angle scene camera (Neon's: 103 x 77 degrees) is far from a pinhole, so pixels
become degrees only through the camera's intrinsics, which both write beside ``gaze.csv`` as
``scene_camera.json``: ``camera_matrix`` (3 x 3) and ``dist_coefs`` (OpenCV's distortion model,
``k1, k2, p1, p2, k3, k4, k5, k6``). :func:`scene_pixels_to_degrees` undistorts the pixels with OpenCV
(iterated to 1e-15, not its default 5 steps, which leave tenths of a degree at the image's
edge) and reads the ray ``(x, y, 1)`` (x right, y down, z ahead) as azimuth and elevation, as
:mod:`.directions` does. A live stream of such pixels (a Neon's LSL outlet, ``[Device]_Neon
Gaze``) carries the intrinsics in ``meta["scene_camera"]`` (``run eyetrack --scene-camera``), and
:class:`~sensekit.eyetrack.stages.GazeDegrees` reads it so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import RecordingError

__all__ = ["read_scene_camera", "read_scene_camera_file", "scene_camera_from_meta", "scene_camera_meta",
           "scene_pixels_to_degrees", "SCENE_CAMERA_FILE"]

#: The intrinsics file Pupil Cloud and Neon Player write beside ``gaze.csv``.
SCENE_CAMERA_FILE = "scene_camera.json"
#: The distortion coefficient counts OpenCV's model takes.
_DISTORTION_COUNTS = (4, 5, 8, 12, 14)


def read_scene_camera(folder: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The camera matrix and distortion coefficients of ``folder/scene_camera.json`` (None where
    there is no such file; :func:`read_scene_camera_file`)."""
    path = Path(folder) / SCENE_CAMERA_FILE
    return read_scene_camera_file(path) if path.is_file() else None


def read_scene_camera_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The camera matrix and distortion coefficients of a ``scene_camera.json``; a file that
    cannot be read or holds no such numbers is refused in one line."""
    from ..core.schema import read_json

    path = Path(path)
    return scene_camera_from_meta(read_json(path, what="scene camera intrinsics", error=RecordingError,
                                            max_bytes=1 << 20), str(path))


def scene_camera_from_meta(meta, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``camera_matrix`` and ``dist_coefs`` (or ``distortion_coefficients``) of a mapping, as a
    ``scene_camera.json`` or a gaze stream's ``meta["scene_camera"]`` holds them."""
    try:
        matrix = np.array(meta["camera_matrix"], dtype=np.float64)
        dist = np.array(meta.get("dist_coefs", meta.get("distortion_coefficients")), dtype=np.float64).reshape(-1)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        matrix, dist = None, None
    if (matrix is None or matrix.shape != (3, 3) or dist.size not in _DISTORTION_COUNTS
            or not (np.isfinite(matrix).all() and np.isfinite(dist).all())
            or not (matrix[0, 0] > 0 and matrix[1, 1] > 0)):
        raise RecordingError(f"{what}: no camera_matrix (3 x 3, focal lengths > 0) and dist_coefs ("
                             f"{', '.join(map(str, _DISTORTION_COUNTS))} numbers) in it",
                             "download the recording's scene_camera.json again")
    return matrix, dist


def scene_camera_meta(matrix: np.ndarray, dist: np.ndarray) -> dict:
    """The intrinsics as a gaze stream carries them in ``meta["scene_camera"]`` (JSON numbers)."""
    return {"camera_matrix": np.asarray(matrix).tolist(), "dist_coefs": np.asarray(dist).ravel().tolist()}


def scene_pixels_to_degrees(px: np.ndarray, py: np.ndarray, matrix: np.ndarray, dist: np.ndarray, *,
                            fisheye: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation (deg; x right, y down) of scene-camera pixels ``px``, ``py``; NaN
    stays NaN. ``fisheye``: ``dist`` is OpenCV's fisheye model's four coefficients (Pupil Core's
    1080p wide-angle lens), not the pinhole model's.

    Examples
    --------
    >>> k = np.array([[800.0, 0.0, 800.0], [0.0, 800.0, 600.0], [0.0, 0.0, 1.0]])
    >>> x, y = scene_pixels_to_degrees(np.array([800.0, 1600.0]), np.array([600.0, 600.0]), k, np.zeros(8))
    >>> x.round(6).tolist(), y.round(6).tolist()
    ([0.0, 45.0], [0.0, 0.0])
    """
    import cv2

    from .directions import direction_degrees

    px, py = np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64)
    seen = np.isfinite(px) & np.isfinite(py)
    ray = np.full((px.size, 3), np.nan)
    if seen.any():
        points = np.stack([px[seen], py[seen]], axis=1).reshape(-1, 1, 2)
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-15)
        undistort = cv2.fisheye.undistortPoints if fisheye else cv2.undistortPoints
        flat = undistort(points, matrix, dist, R=np.eye(3), P=np.eye(3), criteria=criteria).reshape(-1, 2)
        ray[seen] = np.column_stack([flat, np.ones(len(flat))])
    return direction_degrees(ray)
