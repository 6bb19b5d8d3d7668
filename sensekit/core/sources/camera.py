"""Cameras, eye cameras and video files through OpenCV."""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator

import numpy as np

from ...errors import DeviceError, DeviceLostError, RecordingError
from ..frame import Frame
from ..info import StreamInfo
from .base import Source, clock, quiet_stderr

__all__ = ["CameraSource", "VideoFileSource", "list_cameras", "import_cv2"]

log = logging.getLogger("sensekit")


def import_cv2():
    """Import OpenCV, or raise a :class:`DeviceError` that says how to install it. FFmpeg's own
    lines (a damaged file's "partial file", "Error splitting the input into NAL units", one per
    frame) are silenced unless ``OPENCV_FFMPEG_LOGLEVEL`` says otherwise: sensekit says what
    matters once (:class:`VideoFileSource`)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # (read at OpenCV's first use of FFmpeg)
    try:
        import cv2
    except ImportError as e:
        raise DeviceError(f"camera and video input need OpenCV ({e})", "pip install 'sensekit[camera]'") from None
    return cv2


def list_cameras(max_index: int = 8) -> list[dict]:
    """Cameras that open: ``index``, ``width``, ``height``, ``fps``. On Linux only
    ``/dev/video*`` nodes are tried."""
    cv2 = import_cv2()
    if os.name == "posix" and os.path.isdir("/dev"):
        indices = sorted(int(p[len("/dev/video"):]) for p in glob.glob("/dev/video[0-9]*"))
    else:  # pragma: no cover - other systems
        indices = list(range(max_index))
    found = []
    for i in indices[:max_index]:
        with quiet_stderr():  # OpenCV's backends print their probing to fd 2
            cap = cv2.VideoCapture(i)
        if cap.isOpened():
            found.append({"index": i, "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                          "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), "fps": float(cap.get(cv2.CAP_PROP_FPS))})
        cap.release()
    return found


class _OpenCVSource(Source):
    def _image_info(self, name: str, first: np.ndarray, rate: float, meta: dict) -> StreamInfo:
        return StreamInfo(name=name, kind="image", rate=rate, shape=first.shape, dtype=first.dtype.name, unit="",
                          meta=meta)

    def close(self) -> None:
        if getattr(self, "_cap", None) is not None:
            self._cap.release()
            self._cap = None


class CameraSource(_OpenCVSource):
    """Frames from a camera as an irregular ``image`` stream (one image per frame).

    Parameters
    ----------
    index : int
        Camera index (``/dev/video<index>`` on Linux).
    width, height, fps : optional
        Requested capture format (the camera may choose the nearest it supports).
    grey : bool
        Convert to single-channel grey images (eye cameras).

    Notes
    -----
    Timestamps are sensekit's clock when each image was read; the camera's nominal
    fps is in ``meta["fps"]``. A camera that stops delivering raises
    :class:`DeviceLostError` after ``timeout_s``.
    """

    def __init__(self, index: int = 0, *, width: int | None = None, height: int | None = None,
                 fps: float | None = None, grey: bool = False, timeout_s: float = 2.0) -> None:
        cv2 = self._cv2 = import_cv2()
        self.index, self.grey, self.timeout_s = index, grey, timeout_s
        with quiet_stderr():
            self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            self._cap.release()
            self._cap = None
            raise DeviceError(f"camera {index} cannot be opened (missing, busy or no permission)",
                              "check 'sensekit devices' for the cameras that open")
        for prop, v in ((cv2.CAP_PROP_FRAME_WIDTH, width), (cv2.CAP_PROP_FRAME_HEIGHT, height), (cv2.CAP_PROP_FPS, fps)):
            if v:
                self._cap.set(prop, v)
        ok, img = self._cap.read()
        if not ok:
            self.close()
            raise DeviceError(f"camera {index} opened but delivered no image", "check the cable and other users")
        self._first = self._convert(img)
        meta = {"device": f"camera:{index}", "fps": float(self._cap.get(cv2.CAP_PROP_FPS))}
        self.info = self._image_info("camera", self._first, 0.0, meta)
        self.description = f"camera:{index}"

    def _convert(self, img: np.ndarray) -> np.ndarray:
        return self._cv2.cvtColor(img, self._cv2.COLOR_BGR2GRAY) if self.grey else img

    def _frames(self) -> Iterator[Frame]:
        img, seq = self._first, 0
        last_ok = clock()
        while True:
            t = clock()
            yield Frame(self.info, img[None], times=np.array([t]), seq=seq)
            seq += 1
            while True:
                ok, raw = self._cap.read()
                if ok:
                    img = self._convert(raw)
                    last_ok = clock()
                    break
                if clock() - last_ok > self.timeout_s:
                    raise DeviceLostError(f"camera {self.index} stopped delivering images")


class VideoFileSource(_OpenCVSource):
    """Frames of a video file as a regular ``image`` stream at the file's frame rate."""

    def __init__(self, path: str | os.PathLike, *, grey: bool = False) -> None:
        cv2 = self._cv2 = import_cv2()
        self.path, self.grey = str(path), grey
        if not os.path.exists(self.path):
            raise RecordingError(f"video file {self.path!r} does not exist", "check the path")
        self._cap = cv2.VideoCapture(self.path)
        ok, img = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok:
            self.close()
            raise RecordingError(f"{self.path!r} is not a readable video file")
        self._first = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if grey else img
        fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        self._stated = max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        self.info = self._image_info("video", self._first, fps, {"file": self.path, "frame_count": self._stated})
        self.description = f"video:{self.path}"

    def _frames(self) -> Iterator[Frame]:
        img, seq, rate = self._first, 0, self.info.rate
        while img is not None:
            yield Frame(self.info, img[None], t0=seq / rate, seq=seq)
            seq += 1
            ok, raw = self._cap.read()
            img = (self._cv2.cvtColor(raw, self._cv2.COLOR_BGR2GRAY) if self.grey else raw) if ok else None
        if seq < self._stated - max(1, self._stated // 100):  # (a container's count may be off by a frame or so)
            log.warning("%s: the video ended after %d of the %d frames its header states: the file is cut short or "
                        "damaged", self.path, seq, self._stated)
