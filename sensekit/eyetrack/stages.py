"""Streaming eye-tracking stages on gaze streams.

- :class:`GazeDegrees` — gaze in screen pixels → degrees of visual angle (needs the
  stream's ``meta["screen"]``).
- :class:`GazeVelocity` — Savitzky–Golay velocity; equal to
  :func:`~sensekit.eyetrack.detectors.gaze_velocity` on the whole recording.
- :class:`EventDetector` — per-sample eye-movement labels by any detector of
  :data:`~sensekit.eyetrack.detectors.DETECTORS`, run on fixed chunks (with context
  on both sides) so that labels never depend on block boundaries.
- :class:`GazeEvents` — labels → one event per run (type, onset, offset, duration,
  amplitude, peak velocity, mean position).

A gaze stream is regular, channels ``("x", "y")``, ``meta["gaze_units"]`` ``"deg"`` or
``"px"``; lost samples are NaN.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import sys

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.stage import Stage
from ..errors import ParameterError, StreamFormatError
from .detectors import (
    DETECTORS,
    MAX_GAZE_DEG,
    MAX_GAZE_RATE_HZ,
    MIN_RATE_HZ,
    _odd_window,
    gaze_as_loss,
    gaze_velocity,
    savgol_kernel,
    speed_of,
)
from .directions import direction_reader
from .geometry import screen_from_meta
from .labels import EVENT_FIELDS, FIXATION, events_table, label_runs

__all__ = ["GazeDegrees", "gaze_to_degrees", "GazeVelocity", "EventDetector", "GazeEvents", "LABEL_CHANNELS", "check_gaze_stream",
           "gaze_input"]

log = logging.getLogger("sensekit")

#: Channels of an :class:`EventDetector` output.
LABEL_CHANNELS = ("x", "y", "speed", "label")


def gaze_input(info: StreamInfo) -> tuple[list[int], Stage | None]:
    """The columns of a gaze stream to read, and the stage that turns them into degrees where
    they are a headset's gaze direction (else None): channels ``x``/``y``, ``gaze_x``/``gaze_y``
    or ``az``/``el`` (any case); else the three (or the two eyes' six) of a direction and its
    validity's (:func:`~sensekit.eyetrack.directions.direction_reader`: ``gaze_forward_x``...);
    else the first two."""
    chans = [c.lower() for c in info.channels]
    for x, y in (("x", "y"), ("gaze_x", "gaze_y"), ("az", "el")):
        if x in chans and y in chans:
            return [chans.index(x), chans.index(y)], None
    direction = direction_reader(info.channels) if len(info.shape) == 1 else None
    if direction is not None:
        return direction
    if len(info.shape) != 1 or info.shape[0] < 2:
        raise StreamFormatError(f"a gaze stream needs x and y per sample, {info.name!r} has shape {info.shape}")
    return [0, 1], None



#: Channel units as gaze streams spell them, and the units they mean: degrees of visual angle, a
#: screen's (or scene camera's) pixels, fractions of the screen from its top left.
GAZE_UNIT_NAMES = {"deg": "deg", "degree": "deg", "degrees": "deg", "px": "px", "pixel": "px", "pixels": "px",
                   "norm": "norm", "normalized": "norm", "normalised": "norm", "fraction": "norm"}
#: The gaze units a user can state for a stream that says none (``run eyetrack --units``).
GAZE_UNITS = ("deg", "px", "norm")


def stream_gaze_units(info: StreamInfo) -> str:
    """``"deg"``, ``"px"`` or ``"norm"``: a gaze stream's units, from its meta (sensekit's
    streams) or its channel unit (another program's, :data:`GAZE_UNIT_NAMES`; none said is read
    as degrees, with a warning that names ``--units``); any other unit is a one-line error."""
    if "gaze_units" in info.meta:
        return str(info.meta["gaze_units"])
    unit = info.unit.strip().lower()
    if unit == "":
        log.warning("gaze stream %r does not say its unit: read as degrees of visual angle (--units px or norm "
                    "says otherwise)", info.name)
        return "deg"
    if unit not in GAZE_UNIT_NAMES:
        raise StreamFormatError(f"gaze stream {info.name!r} is in {info.unit!r}; the event detectors need degrees "
                                "of visual angle", "publish gaze in degrees (or pixels with the screen geometry)")
    return GAZE_UNIT_NAMES[unit]


#: Below this rate (Hz) a saccade, 20-80 ms, is not resolved at all: two samples are 67 ms apart
#: at 30 Hz (:class:`EventDetector` says what its labels then are).
UNRESOLVED_SACCADE_HZ = 30.0


def is_neon_outlet(info: StreamInfo) -> bool:
    """A Neon's LSL outlet (``[Device]_Neon Gaze``): its ``x``, ``y`` are its scene camera's pixels."""
    return info.name.strip().lower().endswith("_neon gaze")


def known_gaze_units(info: StreamInfo, *, direction: bool = False) -> str | None:
    """``"deg"``, ``"px"`` or ``"norm"`` where a gaze stream says its units (its meta, its channel
    unit, a gaze ``direction``, read in degrees, or a Neon's outlet: scene-camera pixels), else
    None."""
    if direction:
        return "deg"
    if "gaze_units" in info.meta:
        return str(info.meta["gaze_units"])
    unit = info.unit.strip().lower()
    return "px" if not unit and is_neon_outlet(info) else GAZE_UNIT_NAMES.get(unit)


def pixel_gaze_meta(info: StreamInfo, *, screen=None, scene_camera=None, direction: bool = False,
                    units: str | None = None) -> dict:
    """The meta a gaze stream needs added before :class:`GazeDegrees` reads it: where it is in
    pixels, ``gaze_units`` and the ``screen`` geometry (a :class:`~.geometry.Screen`) or the
    glasses' ``scene_camera`` intrinsics (camera matrix, distortion coefficients:
    :mod:`.scene_camera`) that the user gave; nothing where the stream says all (empty). A
    Neon's LSL outlet (``[Device]_Neon Gaze``) is in its scene camera's pixels. ``units`` states
    the units of a stream that says none (:data:`GAZE_UNITS`; ``norm``: fractions of the screen,
    which need the screen too). Settings that do not apply (to a stream in degrees, a gaze
    ``direction``, a stream with its own screen or units, a Neon given a screen, fractions given
    a scene camera) are one-line errors."""
    from .scene_camera import scene_camera_meta

    given = [flag for flag, value in (("--screen/--distance", screen), ("--scene-camera", scene_camera))
             if value is not None]
    refused = f"{' and '.join(given)} {'does' if given == ['--scene-camera'] else 'do'} not apply"
    stated = known_gaze_units(info, direction=direction)
    if units is not None:
        if units not in GAZE_UNITS:
            raise ParameterError(f"--units {units!r} is not one of {', '.join(GAZE_UNITS)}")
        if stated is not None and stated != units:
            raise ParameterError(f"--units {units} does not apply: gaze stream {info.name!r} says it is in {stated}",
                                 "leave it out")
    if direction:
        if given:
            raise ParameterError(f"{refused}: gaze stream {info.name!r} is a gaze direction, read in degrees",
                                 "leave them out")
        return {}
    neon = is_neon_outlet(info)
    if units is None:
        units = stated or stream_gaze_units(info)  # (unstated: degrees, with a warning; an unknown unit: refused)
    if units == "deg":
        if given:
            raise ParameterError(f"{refused}: gaze stream {info.name!r} is in degrees", "leave them out")
        return {}
    if units == "norm" and scene_camera is not None:
        raise ParameterError(f"--scene-camera does not apply: gaze stream {info.name!r} is in fractions of a screen",
                             "give --screen and --distance")
    if len(given) > 1:
        raise ParameterError("--screen/--distance and --scene-camera: a gaze is in one of them, a screen's pixels or "
                             "a scene camera's", "give one")
    if given and info.meta.get("screen"):
        raise ParameterError(f"{refused}: gaze stream {info.name!r} carries its own screen geometry", "leave them out")
    if screen is not None and neon:
        raise ParameterError(f"--screen/--distance do not apply: gaze stream {info.name!r} is a Neon's gaze in its "
                             "scene camera's pixels, not a screen's",
                             "give --scene-camera scene_camera.json (the recording's, from Pupil Cloud)")
    if neon and scene_camera is None and "scene_camera" not in info.meta:
        raise ParameterError(f"gaze stream {info.name!r} is a Neon's gaze in its scene camera's pixels, which its "
                             "lens maps to degrees", "give --scene-camera scene_camera.json (a recording's of this "
                             "Neon module, as Pupil Cloud downloads it)")
    meta = {} if info.meta.get("gaze_units") == units else {"gaze_units": units}
    if screen is not None:
        meta["screen"] = screen.to_dict()
    if scene_camera is not None:
        meta["scene_camera"] = scene_camera_meta(*scene_camera)
    return meta


def check_gaze_stream(info: StreamInfo, what: str, *, units: str | None = "deg") -> None:
    """A regular 2-channel gaze stream (in ``units`` when given), or a one-line error."""
    check_stream(info, what, regular=True, shape=(2,), dtype_kinds="fiu")
    if not info.rate <= MAX_GAZE_RATE_HZ:
        raise StreamFormatError(f"{what}: gaze stream {info.name!r} at {info.rate:g} Hz is faster than any eye tracker "
                                f"(at most {MAX_GAZE_RATE_HZ:g} Hz)", "check the stream's rate, or its time stamps' unit")
    have = info.meta.get("gaze_units", "deg")
    if units is not None and have != units:
        raise StreamFormatError(f"{what} needs gaze in {units}, stream {info.name!r} is in {have}",
                                "put GazeDegrees first (it needs the screen geometry in the stream's meta)")


def gaze_to_degrees(meta, what: str):
    """How a gaze stream's x, y become degrees, by its meta: a function of the two arrays.

    ``gaze_units`` (:data:`GAZE_UNITS`; degrees when absent) says what they are: degrees as they
    are, a ``screen``'s pixels or fractions of it (from its top left) through its geometry, or
    a glasses' scene-camera pixels (``gaze_units`` px with ``scene_camera`` intrinsics) through its
    lens. What the units need and the meta lacks is a one-line error naming ``what``. The one
    rule of :class:`GazeDegrees` (live) and :func:`~.datasets.load_recorded_gaze` (recorded).

    >>> to_deg = gaze_to_degrees({"gaze_units": "deg"}, "a stream")
    >>> to_deg(1.0, 2.0)
    (1.0, 2.0)
    """
    from .scene_camera import scene_camera_from_meta, scene_pixels_to_degrees

    units = meta.get("gaze_units", "deg")
    if units not in GAZE_UNITS:
        raise StreamFormatError(f"{what}: the gaze stream is in {units!r}, not one of {', '.join(GAZE_UNITS)}")
    if units == "deg":
        return lambda x, y: (x, y)
    if units == "px" and meta.get("scene_camera") is not None:
        camera = scene_camera_from_meta(meta["scene_camera"], what)
        return lambda x, y: scene_pixels_to_degrees(x, y, *camera)
    screen = screen_from_meta(meta, what)
    if units == "norm":
        return lambda x, y: screen.to_degrees(x * screen.width_px, y * screen.height_px)
    return screen.to_degrees


class GazeDegrees(Stage):
    """Gaze in screen pixels (or fractions of the screen) → visual angle (deg) with the stream's
    screen geometry (or, in a glasses' scene-camera pixels, with the camera's intrinsics:
    :mod:`.scene_camera`); a sample
    that is no gaze (NaN in one coordinate, infinite, or beyond
    :data:`~sensekit.eyetrack.detectors.MAX_GAZE_DEG`) becomes data loss in both, with one
    warning a run (an infinity in a live stream had reached the detectors)."""

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_gaze_stream(info, "GazeDegrees", units=None)
        self._to_degrees = gaze_to_degrees(info.meta, "GazeDegrees")
        self._unwrapped = info.meta.get("gaze_azimuth") == "unwrapped"  # (a headset's gaze direction)
        return info.replace(dtype="float64", meta={**dict(info.meta), "gaze_units": "deg"})

    def _reset(self) -> None:
        self._warned = False

    def _process(self, frame: Frame) -> Frame | None:
        x, y = self._to_degrees(frame.data[:, 0], frame.data[:, 1])
        x, y, beyond, largest = gaze_as_loss(x, y, unwrapped=self._unwrapped)
        if beyond and not self._warned:
            self._warned = True
            log.warning("gaze stream %r: samples beyond %g deg from the centre (up to %.3g in the block at t = %.3f s): not a "
                        "gaze, treated as data loss", self.input_info.name, MAX_GAZE_DEG, largest, frame.t0)
        return Frame._trusted(self.output_info, np.stack([x, y], axis=1), frame.t0, None, frame.seq)


class GazeVelocity(Stage):
    """Savitzky–Golay gaze velocity, streaming.

    Parameters
    ----------
    window_s : float
        Filter length (s), odd number of samples, at least ``order + 2``.
    order : int
        Polynomial order.

    Notes
    -----
    Output channels ``x, y, vx, vy, speed`` (deg, deg/s), delayed by half a window
    (:attr:`latency_s`); NaN within half a window of lost data. The stream's first and
    last samples are repeated at its edges, so that the output equals
    :func:`~sensekit.eyetrack.detectors.gaze_velocity` on the whole recording.
    """

    CHANNELS = ("x", "y", "vx", "vy", "speed")

    def __init__(self, window_s: float = 0.02, order: int = 2) -> None:
        self.window_s = window_s
        self.order = order

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_gaze_stream(info, "GazeVelocity")
        check_scalar(self.order, "order", kind=int, min_value=1)
        self._w = _odd_window(self.window_s, info.rate, self.order + 2 - self.order % 2)
        self._k = savgol_kernel(self._w, self.order, 1, float(info.rate))
        return StreamInfo(info.name, "gaze_velocity", info.rate, (5,), channels=self.CHANNELS, dtype="float64",
                          meta=dict(info.meta))

    @property
    def latency_s(self) -> float:
        return (self._w // 2) / self.input_info.rate if self.input_info is not None else 0.0

    def _reset(self) -> None:
        self._buf = None  # the last w - 1 samples (x, y), or None before the first
        self._t_next = None  # time of the next output sample
        self._seq = 0  # seq of the last input frame

    def _emit(self, xy: np.ndarray, t0: float, seq) -> Frame | None:
        w = self._w
        n_out = xy.shape[0] - (w - 1)
        if n_out <= 0:
            return None
        vx = np.convolve(xy[:, 0], self._k, mode="valid")
        vy = np.convolve(xy[:, 1], self._k, mode="valid")
        h = w // 2
        centre = xy[h : h + n_out]
        out = np.column_stack([centre[:, 0], centre[:, 1], vx, vy, speed_of(vx, vy)])
        return Frame._trusted(self.output_info, out, t0, None, seq)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        xy = np.asarray(frame.data, dtype=np.float64)
        self._seq = frame.seq
        h = self._w // 2
        if self._buf is None:  # pad the start with the first sample (as the whole-recording filter does)
            self._buf = np.repeat(xy[:1], h, axis=0)
            self._t_next = frame.t0
        joined = np.concatenate([self._buf, xy])
        out = self._emit(joined, self._t_next, frame.seq)
        keep = self._w - 1
        self._buf = joined[-keep:] if joined.shape[0] >= keep else joined
        if out is not None:
            self._t_next += out.n / self.input_info.rate
        return out

    def _flush(self) -> Frame | None:
        if self._buf is None:
            return None
        h = self._w // 2
        joined = np.concatenate([self._buf, np.repeat(self._buf[-1:], h, axis=0)])
        return self._emit(joined, self._t_next, self._seq + 1)


#: The longest time a detector parameter (``*_s``: a filter window, a minimum duration, a gap)
#: may be: eye movements last milliseconds to seconds (a window of 1e6 s had crashed the
#: process sizing its filter).
MAX_PARAM_S = 60.0


@functools.cache
def _signature(detector: str):
    return inspect.signature(DETECTORS[detector]).parameters


def check_detector_params(detector: str, params: dict, *, fn=None) -> dict:
    """Detector parameters checked before any work, by the detector's signature: a known name; a
    number parameter a finite number (> 0 for windows, >= 0 otherwise), None only where the
    parameter takes None, a switch true/false (or 1/0), a text one its documented text.
    Returns them with switches as bools; a bad one raises :class:`ParameterError`. ``fn``: check
    against this callable's signature instead (``detector`` then only names it)."""
    if fn is None:
        fn = DETECTORS.get(detector)
        if fn is None:
            raise ParameterError(f"unknown event detector {detector!r}", f"use one of {', '.join(DETECTORS)}")
    sig = inspect.signature(fn).parameters
    names = [n for n, p in sig.items() if p.kind is p.KEYWORD_ONLY and n != "velocity"]
    out = {}
    for key, value in params.items():
        if key not in names:
            raise ParameterError(f"{detector} has no parameter {key!r}", f"its parameters are {', '.join(names)}")
        default, ann = sig[key].default, str(sig[key].annotation)
        if isinstance(default, bool):
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"
            elif isinstance(value, (int, float)) and value in (0, 1):
                value = bool(value)
            if not isinstance(value, bool):
                raise ParameterError(f"{detector} parameter {key} is a switch: true or false, got {value!r}")
        elif value is None:
            if "None" not in ann:
                raise ParameterError(f"{detector} parameter {key} cannot be none", f"give a number (default {default})")
        elif isinstance(value, str):
            if value != default:
                raise ParameterError(f"{detector} parameter {key} must be a number"
                                     + (f" or {default!r}" if isinstance(default, str) else "") + f", got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParameterError(f"{detector} parameter {key} must be a finite number, got {value!r}")
        elif "int" in ann and "float" not in ann and value != int(value):
            raise ParameterError(f"{detector} parameter {key} must be a whole number, got {value!r}")
        elif value < 0 or (value == 0 and "window" in key):
            raise ParameterError(f"{detector} parameter {key} must be {'> 0' if 'window' in key else '>= 0'}, "
                                 f"got {value:g}")
        elif key.endswith("_s") and value > MAX_PARAM_S:
            raise ParameterError(f"{detector} parameter {key} is a time in seconds, at most {MAX_PARAM_S:g}, got "
                                 f"{value:g}", f"give seconds (default {default})")
        out[key] = value
    return out


#: The longest chunk (and context) of :class:`EventDetector`, in seconds.
MAX_CHUNK_S = 3600.0


class EventDetector(Stage):
    """Per-sample eye-movement labels from a gaze stream (deg).

    Parameters
    ----------
    detector : str
        A name of :data:`~sensekit.eyetrack.detectors.DETECTORS` (``"adaptive"``,
        ``"nh2010"``, ``"ivt"``, ``"idt"``).
    chunk_s : float or None
        Labels are decided chunk by chunk (s); the adaptive thresholds are those of each
        chunk plus its context. None: one chunk, the whole stream, labelled at :meth:`flush`
        (offline use: exactly the detector called on the whole recording).
    context_s : float
        Samples either side of a chunk that the detector sees but whose labels come from
        the neighbouring chunk (s).
    **params
        The detector's parameters.

    Notes
    -----
    Output channels ``x, y, speed, label`` (deg, deg/s, code of
    :mod:`sensekit.eyetrack.labels`) at the input rate, :attr:`latency_s` =
    ``chunk_s + context_s`` behind the input; :meth:`flush` labels the rest. Chunk
    borders are fixed sample indices, so the labels do not depend on block sizes.
    """

    def __init__(self, detector: str = "adaptive", *, chunk_s: float | None = 2.0, context_s: float = 0.5,
                 **params) -> None:
        self.detector = detector
        self.chunk_s = chunk_s
        self.context_s = context_s
        self.params = params

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_gaze_stream(info, "EventDetector")
        if self.detector not in DETECTORS:
            raise ParameterError(f"unknown event detector {self.detector!r}", f"use one of {', '.join(DETECTORS)}")
        if self.chunk_s is not None:  # (an hour at most: None labels the whole recording at once)
            check_scalar(self.chunk_s, "chunk_s", min_value=1e-9, max_value=MAX_CHUNK_S)
        check_scalar(self.context_s, "context_s", min_value=0.0, max_value=MAX_CHUNK_S)
        self.params = check_detector_params(self.detector, self.params)
        if info.rate < UNRESOLVED_SACCADE_HZ:  # (Aria glasses' eye gaze: often 10 Hz)
            log.warning("EventDetector: stream %r is %g Hz, a sample every %.0f ms: a saccade (20-80 ms) falls between "
                        "samples, so the labels are fixations and the gaze's moves between them, and a move over "
                        "several samples reads as pursuit; no saccade timing, amplitude or PSO can be had (bench "
                        "eyetrack.rates reports 60 Hz and up)", info.name, info.rate, 1000.0 / info.rate)
        elif info.rate < MIN_RATE_HZ[self.detector]:
            log.warning("EventDetector: %s needs >= %g Hz for reliable saccade timing and PSOs; stream %r is %g Hz: "
                        "fixation and saccade events remain usable, PSOs do not (bench eyetrack.rates)",
                        self.detector, MIN_RATE_HZ[self.detector], info.name, info.rate)
        self._fn = DETECTORS[self.detector]
        sig = _signature(self.detector)  # the parameters were checked (names, types, ranges) above
        self._takes_velocity = "velocity" in sig or any(p.kind is p.VAR_KEYWORD for p in sig.values())
        self._chunk = sys.maxsize // 4 if self.chunk_s is None else max(int(round(self.chunk_s * info.rate)), 1)
        self._ctx = int(round(self.context_s * info.rate))
        return StreamInfo(info.name, "gaze_labels", info.rate, (4,), channels=LABEL_CHANNELS, dtype="float64",
                          meta={**dict(info.meta), "detector": self.detector, "labels": "lund2013"})

    @property
    def latency_s(self) -> float:
        if self.input_info is None:
            return 0.0
        if self.chunk_s is None:
            return float("inf")
        return (self._chunk + self._ctx) / self.input_info.rate

    def _reset(self) -> None:
        self._buf = np.zeros((0, 2))  # samples from (next chunk start - context) on
        self._buf_start = 0  # stream index of self._buf[0]
        self._next = 0  # stream index of the next sample to label
        self._t0 = None
        self._seq = 0

    def _label(self, xy: np.ndarray, first: int, count: int) -> np.ndarray:
        """Labels, x, y and speed of ``xy[first:first + count]`` with all of ``xy`` as context."""
        rate = float(self.input_info.rate)
        x, y = xy[:, 0], xy[:, 1]
        window = {"window_s": self.params["window_s"]} if "window_s" in self.params else {}
        velocity = gaze_velocity(x, y, rate, **window)  # once, for the detector and the output
        labels = self._fn(x, y, rate, **self.params, **({"velocity": velocity} if self._takes_velocity else {}))
        speed = velocity[2]
        sl = slice(first, first + count)
        return np.column_stack([x[sl], y[sl], speed[sl], labels[sl].astype(np.float64)])

    def _chunks(self, final: bool) -> Frame | None:
        out = []
        n_have = self._buf_start + self._buf.shape[0]
        while True:
            a = self._next
            b = a + self._chunk
            need = b + self._ctx
            if n_have < need and not (final and n_have > a):
                break
            b = min(b, n_have)
            lo = max(a - self._ctx, 0)
            hi = min(b + self._ctx, n_have)
            seg = self._buf[lo - self._buf_start : hi - self._buf_start]
            out.append(self._label(seg, a - lo, b - a))
            self._next = b
        if not out:
            return None
        drop = max(self._next - self._ctx, self._buf_start) - self._buf_start
        self._buf = self._buf[drop:]
        self._buf_start += drop
        data = np.concatenate(out)
        start = self._next - data.shape[0]
        return Frame._trusted(self.output_info, data, self._t0 + start / self.input_info.rate, None, self._seq)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if self._t0 is None:
            self._t0 = frame.t0
        self._seq = frame.seq
        self._buf = np.concatenate([self._buf, np.asarray(frame.data, dtype=np.float64)])
        return self._chunks(final=False)

    def _flush(self) -> Frame | None:
        if self._t0 is None:
            return None
        self._seq += 1
        return self._chunks(final=True)


class GazeEvents(Stage):
    """Labelled gaze (:class:`EventDetector` output) → one sample per event.

    Notes
    -----
    Output: an irregular ``gaze_events`` stream, one sample per run of equal labels,
    time-stamped at the event's onset, emitted when the event ends (or at
    :meth:`flush`); channels :data:`~sensekit.eyetrack.labels.EVENT_FIELDS`.
    """

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "GazeEvents", regular=True, shape=(4,), dtype_kinds="f")
        if tuple(info.channels or ()) != LABEL_CHANNELS:
            raise StreamFormatError(f"GazeEvents needs channels {LABEL_CHANNELS}, got {info.channels}",
                                    "put EventDetector before GazeEvents")
        return StreamInfo(info.name, "gaze_events", 0.0, (len(EVENT_FIELDS),), channels=EVENT_FIELDS,
                          dtype="float64", meta=dict(info.meta))

    def _reset(self) -> None:
        self._run = np.zeros((0, 4))  # samples of the event in progress
        self._run_index = 0  # stream index of self._run[0]
        self._t0 = None
        self._seq = 0
        self._reference = math.nan  # median speed of the last fixation emitted

    def _table(self, data: np.ndarray, complete: bool) -> Frame | None:
        labels = data[:, 3].astype(np.int64)
        if not complete:  # keep the run in progress for the next block
            last = int(label_runs(labels)[0][-1])
            done, self._run = data[:last], data[last:]
        else:
            done, self._run = data, data[:0]
        first = self._run_index
        self._run_index += done.shape[0]
        if done.shape[0] == 0:
            return None
        rate = self.input_info.rate
        t = self._t0 + (first + np.arange(done.shape[0])) / rate
        ev = events_table(labels[: done.shape[0]], t, done[:, 0], done[:, 1], done[:, 2], rate=rate,
                          reference_speed=self._reference)
        fixations = np.flatnonzero((ev["type"] == FIXATION) & np.isfinite(ev["median_speed_deg_s"]))
        if fixations.size:  # the noise the next saccade's confidence is measured against
            self._reference = float(ev["median_speed_deg_s"][fixations[-1]])
        rows = np.column_stack([ev[f].astype(np.float64) for f in EVENT_FIELDS])
        return Frame._trusted(self.output_info, rows, float(ev["onset_s"][0]), ev["onset_s"].copy(), self._seq)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if self._t0 is None:
            self._t0 = frame.t0
        self._seq = frame.seq
        return self._table(np.concatenate([self._run, np.asarray(frame.data, dtype=np.float64)]), complete=False)

    def _flush(self) -> Frame | None:
        if self._run.shape[0] == 0:
            return None
        self._seq += 1
        return self._table(self._run, complete=True)
