"""Hand landmarks from an image stream with MediaPipe's Hand Landmarker (Tasks API, video mode).

Output: a ``landmarks`` stream, one sample per image, of shape ``(max_hands, 22, 6)``:
rows 0-20 are the landmarks as ``(x_px, y_px, z, x_m, y_m, z_m)`` (image coordinates in
pixels with MediaPipe's relative depth, then metric world coordinates centred on the hand),
row 21 is ``(hand, hand_score, presence, 0, 0, 0)`` with ``hand`` +1 for the person's right
hand and -1 for the left. Hands not found are NaN: a frame with no hand gives an all-NaN
sample, never the last one seen.

Handedness: MediaPipe labels hands as if the image were mirrored (a selfie view). Say
whether your camera's images are mirrored with ``mirrored``; the output is always the
person's true hand.
"""

from __future__ import annotations

import atexit
import os
import weakref
from pathlib import Path

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.sources.base import quiet_stderr
from ..core.stage import Stage
from ..errors import DeviceError, StreamFormatError
from .openxr import OPENXR_JOINTS, from_openxr

__all__ = ["HandLandmarks", "LandmarkSamples", "find_model", "hand_points", "hands_of", "stated_mirroring", "MODEL_NAME"]

MODEL_NAME = "hand_landmarker.task"

# MediaPipe landmarkers left open can deadlock the interpreter's exit: close them first
_OPEN: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for stage in list(_OPEN):
        stage.close()


def find_model(path: str | os.PathLike | None = None) -> Path:
    """The hand-landmarker model: ``path`` (a file, or a folder holding it), else
    ``$SENSEKIT_MODELS/hand_landmarker/``, else the cache where ``sensekit datasets fetch
    hand_landmarker`` puts it (model card ``hand_landmarker``); a clear error when none
    exists."""
    if path is not None:  # a path the user gave is the model or an error, never silently another one
        p = Path(path)
        p = p / MODEL_NAME if p.is_dir() else p
        if not p.is_file():
            raise DeviceError(f"hand landmarker model {str(path)!r} does not exist", "check the --model path")
        return p
    candidates = []
    if os.environ.get("SENSEKIT_MODELS"):
        candidates.append(Path(os.environ["SENSEKIT_MODELS"]) / "hand_landmarker" / MODEL_NAME)
    from ..datasets import cache_dir

    candidates.append(cache_dir() / "datasets" / "hand_landmarker" / MODEL_NAME)
    for c in candidates:
        if c.is_file():
            return c
    raise DeviceError("no hand landmarker model found",
                      "run 'sensekit datasets fetch hand_landmarker', or pass --model PATH to a "
                      f"{MODEL_NAME} file, or set SENSEKIT_MODELS to a folder with hand_landmarker/")


class HandLandmarks(Stage):
    """MediaPipe Hand Landmarker on every image of a BGR (OpenCV) image stream.

    Parameters
    ----------
    model_path : path, optional
        The ``hand_landmarker.task`` bundle (see :func:`find_model`).
    max_hands : int
        Hands per image.
    mirrored : bool
        True when the camera delivers mirrored (selfie) images.
    min_detection, min_presence, min_tracking : float
        MediaPipe's confidence thresholds.
    """

    def __init__(self, model_path: str | os.PathLike | None = None, *, max_hands: int = 2, mirrored: bool = False,
                 min_detection: float = 0.5, min_presence: float = 0.5, min_tracking: float = 0.5) -> None:
        self.model_path = model_path
        self.max_hands = max_hands
        self.mirrored = mirrored
        self.min_detection = min_detection
        self.min_presence = min_presence
        self.min_tracking = min_tracking
        self._landmarker = None

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "HandLandmarks", kinds=("image",), ndim=3, dtype_kinds="u")
        if info.shape[2] != 3:
            from ..errors import StreamFormatError

            raise StreamFormatError(f"HandLandmarks needs colour images (H, W, 3), stream {info.name!r} has {info.shape}")
        check_scalar(self.max_hands, "max_hands", kind=int, min_value=1)
        model = find_model(self.model_path)
        try:
            import mediapipe as mp
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError:
            raise DeviceError("hand landmarks need mediapipe", "pip install 'sensekit[gesture]'") from None
        self._mp = mp
        try:
            self._options = vision.HandLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.VIDEO,
                num_hands=self.max_hands, min_hand_detection_confidence=self.min_detection,
                min_hand_presence_confidence=self.min_presence, min_tracking_confidence=self.min_tracking)
            self._vision = vision
        except Exception as e:  # pragma: no cover - mediapipe API errors
            raise DeviceError(f"cannot configure MediaPipe ({e})") from None
        self._size = (info.shape[1], info.shape[0])
        self._out = StreamInfo(info.name, "landmarks", info.rate, (self.max_hands, 22, 6), dtype="float64", unit="px",
                               meta={"image_size": list(self._size), "mirrored": self.mirrored,
                                     "layout": "rows 0-20: x_px, y_px, z, x_m, y_m, z_m; row 21: hand (+1 right), "
                                               "hand score, presence"})
        return self._out

    def close(self) -> None:
        """Release MediaPipe's landmarker (its threads and model); ``reset`` makes a new one."""
        if self._landmarker is not None:
            with quiet_stderr():  # LiteRT logs each accelerator it destroys to fd 2
                self._landmarker.close()
            self._landmarker = None
        _OPEN.discard(self)

    def _reset(self) -> None:
        self.close()
        try:
            with quiet_stderr():  # MediaPipe/LiteRT print their start-up (delegates, feedback tensors) to fd 2
                self._landmarker = self._vision.HandLandmarker.create_from_options(self._options)
            _OPEN.add(self)
        except Exception as e:
            raise DeviceError(f"the hand landmarker model {str(find_model(self.model_path))!r} cannot be loaded "
                              f"({str(e).splitlines()[0][:120]})", "check that it is a hand_landmarker.task") from None
        self._last_ms = -1

    def detect(self, image_bgr: np.ndarray, t_s: float) -> np.ndarray:
        """Landmarks of one image at time ``t_s`` (s): array of shape (max_hands, 22, 6)."""
        import cv2

        out = np.full((self.max_hands, 22, 6), np.nan)
        first = self._last_ms < 0
        ms = max(int(round(t_s * 1000)), self._last_ms + 1)  # MediaPipe wants increasing times
        self._last_ms = ms
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        if first:  # LiteRT and MediaPipe warn about tensor alignment and ROIs on the first image, to fd 2
            with quiet_stderr():
                res = self._landmarker.detect_for_video(image, ms)
        else:
            res = self._landmarker.detect_for_video(image, ms)
        w, h = self._size
        for k, (lms, world, hand) in enumerate(zip(res.hand_landmarks, res.hand_world_landmarks, res.handedness,
                                                   strict=False)):
            if k >= self.max_hands:
                break
            out[k, :21, 0] = [p.x * w for p in lms]
            out[k, :21, 1] = [p.y * h for p in lms]
            out[k, :21, 2] = [p.z for p in lms]
            out[k, :21, 3] = [p.x for p in world]
            out[k, :21, 4] = [p.y for p in world]
            out[k, :21, 5] = [p.z for p in world]
            label = 1.0 if hand[0].category_name == "Right" else -1.0
            out[k, 21, :3] = [label if self.mirrored else -label, hand[0].score, 1.0]
            out[k, 21, 3:] = 0.0
        return out

    def _process(self, frame: Frame) -> Frame:
        times = frame.times
        data = np.stack([self.detect(img, float(t)) for img, t in zip(frame.data, times, strict=True)]) if frame.n \
            else np.empty((0, self.max_hands, 22, 6))
        return Frame._trusted(self._out, data, frame.t0, frame._times, frame.seq)


def hands_of(info: StreamInfo, what: str) -> int:
    """The hands a landmarks stream holds a sample: ``hands`` of the (hands, 22, 6) stream
    :class:`HandLandmarks` makes (a camera's here, or another machine's, or a recording of
    them), 1 of one hand's 21 MediaPipe landmarks (21, 2 or 3) as other hand trackers give
    them, or of its 26 OpenXR joints (26, 3), a headset's hand tracking; one line for any other
    stream."""
    check_stream(info, what, kinds=("landmarks",))
    shape = info.shape
    if len(shape) == 3 and shape[1:] == (22, 6):
        return shape[0]
    if len(shape) == 2 and (shape[0] == 21 and shape[1] in (2, 3) or shape == (26, 3)):
        return 1
    raise StreamFormatError(f"{what} takes hand landmarks of shape (hands, 22, 6), (21, 2|3) or OpenXR's (26, 3), "
                            f"stream {info.name!r} has {shape}")


def hand_points(data: np.ndarray) -> np.ndarray:
    """The (x, y) of each hand's 21 MediaPipe landmarks, shape (n, hands, 21, 2), of a block of a
    landmarks stream :func:`hands_of` takes (OpenXR joints through
    :func:`~sensekit.gesture.openxr.from_openxr`; their x and y as sent: in a headset's view
    space, the hand as a head-mounted camera sees it)."""
    d = np.asarray(data, dtype=np.float64)
    if d.ndim == 4:
        return d[:, :, :21, :2]
    if d.shape[1] == len(OPENXR_JOINTS):
        d = from_openxr(d)
    return d[:, None, :, :2]


def stated_mirroring(info: StreamInfo) -> bool | None:
    """Whether a landmarks stream says its images were mirrored (``meta["mirrored"]``; None where
    it does not say). The meta may come from the network: anything but true or false is one line."""
    value = info.meta.get("mirrored")
    if value is not None and not isinstance(value, bool):
        raise StreamFormatError(f"stream {info.name!r} says its images were mirrored with {value!r}, not true or false")
    return value


class LandmarkSamples(Stage):
    """A hand tracker's landmarks as :class:`HandLandmarks` with ``max_hands=1`` gives them, so
    that what is done with a camera's hands (a calibration) is done with a tracker's: the first
    hand of a (hands, 22, 6) stream, or one hand's landmarks (:func:`hand_points`: 21 MediaPipe
    landmarks or 26 OpenXR joints), their (x, y), handedness unknown (0), the other columns NaN.
    ``mirrored``, after :meth:`open`: what the stream says of its images (False where it says
    nothing).

    Examples
    --------
    >>> import numpy as np
    >>> from sensekit.core import Frame, StreamInfo
    >>> info = StreamInfo("tracker", "landmarks", 30.0, (21, 2))
    >>> stage = LandmarkSamples(); stage.open(info).shape
    (1, 22, 6)
    >>> stage.process(Frame(info, np.ones((4, 21, 2)), t0=0.0)).data.shape
    (4, 1, 22, 6)
    """

    def _open(self, info: StreamInfo) -> StreamInfo:
        hands_of(info, "LandmarkSamples")
        self.mirrored = bool(stated_mirroring(info))
        self._out = StreamInfo(info.name, "landmarks", info.rate, (1, 22, 6), dtype="float64", unit=info.unit,
                               meta=dict(info.meta))
        return self._out

    def _process(self, frame: Frame) -> Frame:
        d = np.asarray(frame.data, dtype=np.float64)
        if d.ndim == 4:
            out = d[:, :1].copy()
        else:
            out = np.full((len(d), 1, 22, 6), np.nan)
            out[:, 0, :21, :2] = hand_points(d)[:, 0]
            out[:, 0, 21, 0] = 0.0  # (whose hand: unknown)
        return Frame._trusted(self._out, out, frame.t0, frame._times, frame.seq)
