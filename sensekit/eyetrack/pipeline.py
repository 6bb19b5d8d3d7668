"""``EyePipeline``: the eye-tracking chain as one object, for the command line, the bench and
the API alike.

Gaze (deg) -> :class:`~sensekit.eyetrack.stages.EventDetector` (fixation, saccade, PSO,
pursuit, blink per sample) -> :class:`~sensekit.eyetrack.stages.GazeEvents`; from an eye
camera, :class:`~sensekit.eyetrack.pupil.PupilDetector` -> the gaze calibration
(:class:`~sensekit.eyetrack.calibrate.GazeMapper`) -> :class:`~sensekit.eyetrack.stages.GazeDegrees`
first. ``sensekit eyetrack events``, ``sensekit run eyetrack`` and the bench's Lund and IRF
tasks all run :meth:`EyePipeline.events_chain` block by block, so a figure the bench reports is
what the command gives on that file.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from ..core import Chain, Frame, StreamInfo, feed
from ..errors import ParameterError
from .geometry import Screen
from .stages import EventDetector, GazeDegrees, GazeEvents, check_detector_params, gaze_input, pixel_gaze_meta

__all__ = ["EyePipeline", "OFFLINE_BLOCK_S", "STIMULI"]

#: What the eye may look at (``EyePipeline(stimulus=...)``, ``--stimulus``).
STIMULI = ("unknown", "static", "dynamic")

#: Block length (s) in which recordings are fed to the chain offline, as a live source would.
OFFLINE_BLOCK_S = 1.0
#: The chunk a live run labels by (s) when none is given: the labels' latency.
LIVE_CHUNK_S = 0.5


@dataclasses.dataclass
class EyePipeline:
    """Settings of the eye-movement chain.

    Parameters
    ----------
    detector : str
        ``adaptive`` (default), ``adaptive-hr``, ``nh2010``, ``ivt`` or ``idt``.
    chunk_s : float or None
        None (offline, the default): the detector sees the whole recording, its labels come at
        the end. Seconds (live): labels every chunk, ``chunk_s + context_s`` behind the input.
    context_s : float or None
        Seconds either side of a chunk the detector sees (live); None: half the chunk, at most
        0.25 s (what ``run eyetrack`` and ``eyetrack events --chunk`` both use).
    params : dict
        The detector's parameters (checked: names, types, ranges); with ``online``, those of
        :class:`~sensekit.eyetrack.online.OnlineSaccades` (e.g. ``confirm``).
    online : bool
        Causal saccade onsets, offsets and blinks as they happen
        (:class:`~sensekit.eyetrack.online.OnlineSaccades`, a few ms behind) instead of labels.
    stimulus : {"unknown", "static", "dynamic"}
        What the eye looked at. ``static`` (images, text, fixation targets: nothing moves)
        forbids smooth pursuit, so a drifting fixation is not called pursuit; ``dynamic`` and
        ``unknown`` allow it.

    Examples
    --------
    >>> from sensekit.core import Frame, StreamInfo
    >>> from sensekit.eyetrack.synth import gaze_signal
    >>> x, y, truth = gaze_signal(duration_s=3.0, rate=500.0)
    >>> gaze = Frame(StreamInfo("gaze", "gaze", 500.0, (2,)), np.column_stack([x, y]), t0=0.0)
    >>> labels = EyePipeline().label(gaze)
    >>> float(np.mean(labels == truth)) > 0.8
    True
    """

    detector: str = "adaptive"
    chunk_s: float | None = None
    context_s: float | None = None
    params: dict = dataclasses.field(default_factory=dict)
    online: bool = False
    stimulus: str = "unknown"

    def __post_init__(self) -> None:
        if self.context_s is None:
            self.context_s = min(self.chunk_s / 2, 0.25) if self.chunk_s else 0.25
        if self.stimulus not in STIMULI:
            raise ParameterError(f"unknown stimulus {self.stimulus!r}", f"use one of {', '.join(STIMULI)}")
        params = dict(self.params)
        if self.online:  # --set goes to the online detector
            from .online import OnlineSaccades

            if self.detector != "adaptive" or self.stimulus != "unknown":  # (never silently ignored)
                given = f"detector {self.detector!r}" if self.detector != "adaptive" else f"stimulus {self.stimulus!r}"
                raise ParameterError(f"the online detector has its own rule and labels no pursuit: a {given} does "
                                     "not apply to it", "leave --detector and --stimulus out with --online")
            if self.chunk_s is not None:
                raise ParameterError(f"the online detector publishes each event as it happens: a chunk of "
                                     f"{self.chunk_s} s does not apply to it", "leave --chunk out with --online")
            self.params = check_detector_params("online", params, fn=OnlineSaccades)
            return
        if self.stimulus == "static" and self.detector in ("adaptive", "adaptive-hr"):
            params["pursuit"] = False  # the other detectors label no pursuit
        self.params = check_detector_params(self.detector, params)

    def events_chain(self) -> Chain:
        """Gaze (deg) -> per-sample labels (x, y, speed, label), or online events."""
        if self.online:
            from .online import OnlineSaccades

            return Chain(OnlineSaccades(**self.params))
        return Chain(EventDetector(self.detector, chunk_s=self.chunk_s, context_s=self.context_s, **self.params))

    def gaze_chain(self, gaze_info: StreamInfo, *, screen: Screen | None = None,
                   scene_camera: tuple[np.ndarray, np.ndarray] | None = None, units: str | None = None) -> Chain:
        """A live gaze stream (an eye tracker's, over LSL or recorded) -> labels or online events.

        The stream's x and y are its channels ``x``/``y`` (or ``gaze_x``/``gaze_y``,
        ``az``/``el``), else its first two; in degrees, or in pixels: a screen's, with the screen
        geometry in its meta (as sensekit's gaze streams carry it) or ``screen``, or a glasses'
        scene camera's, with the camera's intrinsics ``scene_camera`` (camera matrix, distortion
        coefficients: :mod:`sensekit.eyetrack.scene_camera`; a Neon's LSL outlet,
        ``[Device]_Neon Gaze``, is such a stream); or in fractions of the screen. ``units``
        states the units of a stream that says none. A headset's gaze direction (channels
        ``gaze_forward_x/y/z``, ``GazeRayDirectionX/Y/Z``...) is turned into degrees
        (:mod:`sensekit.eyetrack.directions`)."""
        from ..core.stages import SelectChannels, SetMeta

        cols, to_degrees = gaze_input(gaze_info)
        pick = [] if gaze_info.shape == (2,) and cols == [0, 1] else [SelectChannels(cols)]
        meta = pixel_gaze_meta(gaze_info, screen=screen, scene_camera=scene_camera, direction=to_degrees is not None,
                               units=units)
        if to_degrees is not None:  # (a headset's gaze direction)
            return Chain(*pick, to_degrees, GazeDegrees(), *self.events_chain().stages)
        if meta:
            pick.append(SetMeta(**meta))  # (GazeDegrees then reads the pixels with them, or asks for them)
        return Chain(*pick, GazeDegrees(), *self.events_chain().stages)

    def camera_chain(self, image_info: StreamInfo, calibration: str | os.PathLike | None = None) -> Chain:
        """Eye images -> pupil (no calibration) or -> gaze (deg) -> labels (with one)."""
        from .calibrate import load_gaze_mapper
        from .pupil import PupilDetector

        pupil = PupilDetector()
        if calibration is None:
            return Chain(pupil)
        pupil_info = pupil.open(image_info)
        return Chain(pupil, load_gaze_mapper(calibration, stream=pupil_info), GazeDegrees(),
                     *self.events_chain().stages)

    def labelled(self, gaze: Frame, block_s: float = OFFLINE_BLOCK_S) -> Frame:
        """A whole gaze recording (one frame, deg) through :meth:`events_chain`, fed in blocks of
        ``block_s`` as a live source would: the labelled frame (x, y, speed, label); with
        ``online``, the events (:data:`~sensekit.eyetrack.online.ONLINE_CHANNELS`)."""
        chain = self.events_chain()
        chain.open(gaze.info)
        return feed(chain, _blocks(gaze, block_s))

    def label(self, gaze: Frame, block_s: float = OFFLINE_BLOCK_S) -> np.ndarray:
        """Per-sample label codes (:mod:`sensekit.eyetrack.labels`) of a gaze recording."""
        return self.labelled(gaze, block_s).data[:, 3].astype(int)

    def events(self, labelled: Frame) -> np.ndarray:
        """The event table (:data:`~sensekit.eyetrack.labels.EVENT_FIELDS`) of a labelled frame."""
        stage = GazeEvents()
        stage.open(labelled.info)
        return feed(stage, [labelled]).data


def _blocks(frame: Frame, block_s: float) -> list[Frame]:
    n = max(int(round(block_s * frame.info.rate)), 1) if frame.info.rate else len(frame.data)
    out = []
    for seq, a in enumerate(range(0, max(frame.n, 1), n)):
        out.append(Frame(frame.info, frame.data[a:a + n], t0=frame.t0 + a / frame.info.rate, seq=seq))
    return out
