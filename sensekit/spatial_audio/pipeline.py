"""``LocalisePipeline``: sound-source localisation as one object for the command line, the
bench and the API.

Array audio -> channel checks -> geometry (``array``) -> array calibration -> STFT ->
:class:`~sensekit.spatial_audio.stages.DOAEstimator` (with its activity gate) -> optionally
:class:`~sensekit.spatial_audio.stages.DOATracker`. ``sensekit spatial localise``, ``sensekit run
spatial-localise`` and the ``spatial.doa`` bench task all build their chain here, so the gate,
the STFT window and the band are decided in one place.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os

import numpy as np

from ..core import Chain, Frame, StreamInfo, blocks_of, feed
from ..core.units import full_scale
from ..errors import ParameterError, StreamFormatError
from .doa import ESTIMATORS

__all__ = ["LocalisePipeline", "RenderPipeline", "STFT_WINDOWS", "LocaliseSummary", "parse_az_range", "AZ_RANGES",
           "parse_channels", "check_channels"]

#: The longest localisation window or interval (s): a day; more is a typo, not a recording.
MAX_WINDOW_S = 86400.0
#: The shortest window ``--window`` takes (s); a recording with room for none is too short.
MIN_WINDOW_S = 0.01

log = logging.getLogger("sensekit")

#: The STFT window of each estimator (chosen on the spatial.doa grid of simulated rooms).
STFT_WINDOWS = {"srp-phat": "hann", "gcc-phat": "hann", "music": "boxcar", "normmusic": "boxcar"}


#: Named azimuth ranges (deg, counter-clockwise from the first to the second; 0 = the array's
#: front (+x), 90 = its left).
AZ_RANGES = {"front": (270.0, 90.0), "back": (90.0, 270.0), "left": (0.0, 180.0), "right": (180.0, 360.0)}


def parse_az_range(text: str | None) -> tuple[float, float] | None:
    """``"MIN:MAX"`` (deg) or a name of :data:`AZ_RANGES` as a range; None for none.

    >>> parse_az_range("left"), parse_az_range("-45:45")
    ((0.0, 180.0), (-45.0, 45.0))
    """
    if text is None:
        return None
    if text in AZ_RANGES:
        return AZ_RANGES[text]
    low, sep, high = text.partition(":")
    try:
        values = (float(low), float(high))
    except ValueError:
        values = ()
    if not sep or len(values) != 2 or not all(np.isfinite(values)) or values[0] == values[1]:
        raise ParameterError(f"azimuth range {text!r} is not MIN:MAX in degrees or one of {', '.join(AZ_RANGES)}",
                             "e.g. --az-range 0:180 (counter-clockwise from 0 to 180) or --az-range left")
    return values


def parse_channels(text: str | None) -> tuple[int, ...] | None:
    """The stream channels that are an array's microphones, 0-based, as a device's documentation
    numbers them: ``"1-4"`` or ``"1,2,3,4"`` (a ReSpeaker USB array streams a processed channel, four
    microphones and a playback channel); None for all.

    >>> parse_channels("1-4"), parse_channels("0,2, 4-5")
    ((1, 2, 3, 4), (0, 2, 4, 5))
    """
    if text is None:
        return None
    out: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            first, dash, last = part.partition("-")
            a, b = int(first), int(last) if dash else int(first)
            if a < 0 or b < a or b - a > 1024:
                raise ValueError
            out += range(a, b + 1)
    except ValueError:
        out = []
    if len(out) < 2 or len(set(out)) != len(out):
        raise ParameterError(f"microphone channels {text!r} are not two or more different 0-based channel numbers",
                             "e.g. --mics 1-4 or --mics 0,1,2,3,4,5")
    return tuple(out)


def check_channels(mics: tuple[int, ...], n_channels: int, where: str) -> None:
    """Refuse microphone channels (:func:`parse_channels`) that ``where``, of ``n_channels``
    channels, does not have."""
    if max(mics) >= n_channels:
        raise StreamFormatError(f"microphone channel {max(mics)} given, but {where} has {n_channels} channels "
                                f"(0-{n_channels - 1})", "check --mics")


@dataclasses.dataclass(frozen=True)
class LocaliseSummary:
    """What a localisation run gave: estimates made and windows left without one (and why)."""

    windows: int
    estimated: int
    gated: int

    def describe(self, gate_db: float | None) -> str:
        text = f"{self.estimated} of {self.windows} window(s) gave a direction"
        if self.gated:
            text += (f"; {self.gated} had no frame louder than {gate_db:g} dB above the noise floor "
                     "(quiet, or a continuous source: --no-gate or a lower --gate-db estimates in every window)")
        return text


@dataclasses.dataclass
class LocalisePipeline:
    """Settings of the localisation chain.

    Parameters
    ----------
    method : str
        ``srp-phat`` (default), ``gcc-phat``, ``music`` or ``normmusic``.
    sources : int
        Directions per estimate.
    window_s : float or None
        Seconds of audio per estimate. None: one estimate over the whole recording
        (:meth:`localise` only).
    every_s : float or None
        Seconds between estimates (at least one STFT hop); None: one per window (no overlap).
    gate_db : float or None
        Frames less than this above the tracked noise floor are left out; a window with no
        loud frame gives no direction (NaN). None: no gate (continuous sources).
    track : bool
        Follow sources over time with identities (:class:`DOATracker`).
    array : str or None
        Geometry (a preset or a JSON file) when the stream carries none.
    calibration : path or None
        Array calibration (``sensekit calibrate array``).
    freq_range : (float, float)
        Band used (Hz).
    az_range : (float, float) or None
        Report only azimuths from the first value counter-clockwise to the second (deg); see
        :func:`parse_az_range`. A linear array cannot tell a direction from its mirror image
        across its axis: without a range, more than one source gives a warning.
    mics : tuple of int or None
        The stream's channels that are the array's microphones, in the geometry's order (0-based,
        :func:`parse_channels`); None: all of them.

    Examples
    --------
    >>> from sensekit.spatial_audio.arrays import array_preset
    >>> from sensekit.spatial_audio.synth import doa_scene
    >>> geom = array_preset("respeaker6")
    >>> x = doa_scene(geom, azimuths=[60.0], rt60=0.2, snr_db=20.0, duration_s=1.0, fs=16000.0, rng=0)
    >>> info = StreamInfo("mic", "audio", 16000.0, (6,), meta={"array": geom.to_dict()})
    >>> est = LocalisePipeline(window_s=None, gate_db=None).localise(Frame(info, x, t0=0.0))
    >>> abs(float(est.data[0, 0]) - 60.0) < 5
    True
    """

    method: str = "srp-phat"
    sources: int = 1
    window_s: float | None = 0.25
    every_s: float | None = None
    gate_db: float | None = 6.0
    track: bool = False
    array: str | None = None
    calibration: str | os.PathLike | None = None
    freq_range: tuple[float, float] = (300.0, 3500.0)
    az_range: tuple[float, float] | None = None
    mics: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.method not in ESTIMATORS:
            raise ParameterError(f"unknown localisation method {self.method!r}", f"use one of {', '.join(ESTIMATORS)}")
        if not isinstance(self.sources, int) or not 1 <= self.sources <= 8:
            raise ParameterError(f"sources must be 1..8, got {self.sources!r}")
        if self.window_s is not None and not (np.isfinite(self.window_s) and 0 < self.window_s <= MAX_WINDOW_S):
            raise ParameterError(f"window must be a positive number of seconds up to {MAX_WINDOW_S:g} (a day), "
                                 f"got {self.window_s!r}")
        if self.every_s is not None and not (np.isfinite(self.every_s) and 0 <= self.every_s <= MAX_WINDOW_S):
            raise ParameterError(f"every must be a number of seconds from 0 to {MAX_WINDOW_S:g} (a day), "
                                 f"got {self.every_s!r}")
        if self.gate_db is not None and not np.isfinite(self.gate_db):
            raise ParameterError(f"gate must be a finite number of dB, got {self.gate_db!r}")

    @staticmethod
    def nfft_for(rate: float) -> int:
        """The STFT size at a sampling rate (1024 above 24 kHz, else 512)."""
        return 1024 if rate > 24000 else 512

    def chain(self, info: StreamInfo, *, n_samples: int | None = None) -> Chain:
        """The stages for audio stream ``info``; ``n_samples`` (the recording's length) is
        needed when ``window_s`` is None (one estimate over all of it)."""
        from ..core.stages import SelectChannels, SetMeta, SignalCheck
        from .arrays import load_array
        from .stages import STFT, DOAEstimator, DOATracker

        if len(info.shape) != 1 or info.shape[0] < 2 or not info.rate:
            raise StreamFormatError(f"stream {info.name!r} is {info.kind!r} of shape {info.shape}; localisation needs "
                                    ">= 2 regular audio channels")
        stages = []
        if self.mics is not None:
            check_channels(self.mics, info.shape[0], f"stream {info.name!r}")
            stages.append(SelectChannels(list(self.mics)))
        stages.append(SignalCheck(full_scale=full_scale(info), label="microphone"))
        if self.array is not None:
            stages.append(SetMeta(array=load_array(self.array).to_dict()))
        if self.calibration is not None:
            from .calibrate import ArrayCorrection, load_array_calibration

            stages.append(ArrayCorrection(load_array_calibration(self.calibration)))
        nfft = self.nfft_for(info.rate)
        hop = nfft // 2
        if self.window_s is None:
            if n_samples is None:
                raise ParameterError("window_s=None (one estimate over the whole recording) needs its length")
            per = max((n_samples - nfft) // hop + 1, 1)
        else:
            per = max(int(round(self.window_s * info.rate / hop)), 1)
            if n_samples is not None and n_samples < nfft:
                raise ParameterError(f"the recording ({n_samples / info.rate:.3g} s) is shorter than one STFT frame "
                                     f"({nfft} samples, {nfft / info.rate:.3g} s at {info.rate:g} Hz): no estimate "
                                     "could be made", f"record at least {nfft / info.rate:.2g} s")
            if n_samples is not None and n_samples < nfft + (per - 1) * hop:
                longest = math.floor(((n_samples - nfft) // hop + 1) * hop / info.rate * 100) / 100  # (rounded down)
                if longest < MIN_WINDOW_S:
                    raise ParameterError(f"the recording ({n_samples / info.rate:.3g} s at {info.rate:g} Hz) is too short "
                                         f"for the shortest --window ({MIN_WINDOW_S:g} s) of {nfft}-sample STFT frames",
                                         "record longer, or check the file's sample rate")
                raise ParameterError(f"--window {self.window_s:g} s is longer than the recording "
                                     f"({n_samples / info.rate:.3g} s) allows with {nfft}-sample STFT frames: no "
                                     "estimate could be made", f"use --window {longest:g} or less")
        mics = len(self.mics) if self.mics is not None else info.shape[0]
        self._warn_if_linear(info, stages)
        if self.method in ("music", "normmusic") and self.sources >= mics:
            log.warning("%s finds at most %d source(s) with %d microphones: --sources %d is reduced to %d",
                        self.method, mics - 1, mics, self.sources, mics - 1)
        every = per if self.every_s is None or self.window_s is None else max(int(round(self.every_s * info.rate / hop)), 1)
        stages += [STFT(nfft, hop, STFT_WINDOWS[self.method]),
                   DOAEstimator(self.method, self.sources, freq_range=self.freq_range, window_frames=per, every=every,
                                gate_db=self.gate_db, azimuth_range=self.az_range)]
        if self.track:
            stages.append(DOATracker(self.sources))
        return Chain(*stages)

    def _warn_if_linear(self, info: StreamInfo, stages) -> None:
        from .arrays import ArrayGeometry, load_array

        try:
            geom = load_array(self.array) if self.array is not None else ArrayGeometry.from_dict(info.meta["array"])
        except (KeyError, TypeError, ParameterError):
            return  # no geometry yet: the estimator names the problem
        if geom.is_linear and self.sources > 1 and self.az_range is None:
            log.warning("%s is a linear array: each source also appears as its mirror image across the array's "
                        "axis, so %d sources may come out as one source and its mirror; restrict the search to one "
                        "side (--az-range left, right, front, back or MIN:MAX)", geom.name, self.sources)

    def localise(self, audio: Frame, block_s: float = 0.5) -> Frame:
        """Estimates of a whole recording (one frame), fed in blocks of ``block_s`` as live."""
        chain = self.chain(audio.info, n_samples=audio.n)
        chain.open(audio.info)
        return feed(chain, blocks_of(audio, block_s))

    def summary(self, estimates: Frame) -> LocaliseSummary:
        """How many windows gave a direction (the tracker's output counts as estimated)."""
        data = np.asarray(estimates.data)
        found = np.isfinite(data[:, 0]) if not self.track else np.isfinite(data[:, 1])
        return LocaliseSummary(windows=len(data), estimated=int(found.sum()),
                               gated=int((~found).sum()) if self.gate_db is not None else 0)


@dataclasses.dataclass
class RenderPipeline:
    """Settings of binaural rendering: the object ``sensekit spatial render`` builds.

    Parameters
    ----------
    azimuths, elevations, distances : list of float
        Static sources (one value for every input channel, or one each); ignored with ``scene``.
    scene : path or None
        Scene JSON (moving sources, listener keyframes).
    hrtf : path or None
        SOFA file; None: the spherical head.
    hrtf_rate : float or None
        The SOFA file's true sampling rate, where its stated one is wrong.
    room : (float, float, float) or None
        Shoebox room (m), listener at its centre: early reflections and late reverberation.
    rt60 : list of float
        One reverberation time (s) or 7 per octave 125..8000 Hz.
    block : int
        Processing block (samples): the latency.
    mode : str
        ``direct``, ``ambisonics`` or ``auto``.
    order : int
        Ambisonic order.
    field : {None, "sn3d", "n3d"}
        The input is a recorded Ambisonic field (an AmbiX file: ``sn3d``), rendered with the
        listener's head orientation (the scene's listener keyframes, or live); sources ignored.
    """

    azimuths: list[float] = dataclasses.field(default_factory=lambda: [0.0])
    elevations: list[float] = dataclasses.field(default_factory=lambda: [0.0])
    distances: list[float] = dataclasses.field(default_factory=lambda: [1.0])
    scene: str | os.PathLike | None = None
    hrtf: str | os.PathLike | None = None
    hrtf_rate: float | None = None
    room: tuple[float, float, float] | None = None
    rt60: list[float] = dataclasses.field(default_factory=lambda: [0.5])
    block: int = 256
    mode: str = "auto"
    order: int = 3
    field: str | None = None

    def __post_init__(self) -> None:
        if len(self.rt60) not in (1, 7) or not all(np.isfinite(v) and 0 < v <= 30 for v in self.rt60):
            raise ParameterError(f"rt60 needs 1 or 7 finite values in (0, 30] s, got {list(self.rt60)}")
        if self.room is not None and (len(self.room) != 3 or not all(np.isfinite(v) and 0 < v <= 1000
                                                                        for v in self.room)):
            raise ParameterError(f"room needs 3 finite sizes in (0, 1000] m, got {self.room}")

    def stage(self, info: StreamInfo):
        """The renderer for an audio stream of one channel per source."""
        from .ambisonics import make_renderer
        from .hrtf import load_hrtf
        from .renderer import BinauralRenderer
        from .scene import Scene

        if len(info.shape) != 1 or not info.rate:
            raise StreamFormatError(f"stream {info.name!r} is a {info.kind!r} stream of shape {info.shape}; rendering "
                                    "needs audio channels")
        n = info.shape[0]
        if self.field is not None:
            from .ambisonics import AmbisonicFieldRenderer

            self.scene_ = Scene([], Scene.load(self.scene, sources=False).listener if self.scene else None)
            self.hrtf_ = load_hrtf(str(self.hrtf) if self.hrtf else None, info.rate, hrtf_rate=self.hrtf_rate)
            return AmbisonicFieldRenderer(self.hrtf_, scene=self.scene_, normalisation=self.field, block=self.block)
        if self.scene is not None:
            scene = Scene.load(self.scene)
        else:
            values = [v if len(v) != 1 else list(v) * n for v in (self.azimuths, self.elevations, self.distances)]
            if any(len(v) != n for v in values):
                raise ParameterError(f"give one azimuth, elevation and distance for every source or one per input "
                                     f"channel ({n})")
            scene = Scene.static(*values)
        self.scene_ = scene
        h = load_hrtf(str(self.hrtf) if self.hrtf else None, info.rate, hrtf_rate=self.hrtf_rate)
        self.hrtf_ = h
        if scene.is_static:  # a direction the set does not measure near: said, not silently interpolated
            from .hrtf import uncovered_directions

            a, e, _ = scene.relative(0.0)
            for i, gap, widest in uncovered_directions(h, a, e):
                log.warning("HRTF %s measures no direction within %.0f deg of source %d (az %g, el %g deg; its "
                            "measured directions are at most %.0f deg from a neighbour, elevations %g to %g): its "
                            "response is interpolated across the gap", h.name, gap, i + 1, a[i], e[i], widest,
                            float(h.elevation.min()), float(h.elevation.max()))
        if self.room is None:
            return make_renderer(scene, h, mode=self.mode, order=self.order, block=self.block)
        from .arrays import unit_vector
        from .reverb import binaural_room_ir

        if not scene.is_static:
            raise ParameterError("a room renders static sources only; remove the scene's motion or the room")
        size = np.asarray(self.room, dtype=float)
        centre = size / 2
        a, e, d = scene.relative(0.0)
        rt = list(self.rt60) if len(self.rt60) == 7 else self.rt60[0]
        brirs = [binaural_room_ir(tuple(size), centre + d[i] * unit_vector(a[i], e[i]), centre, h, rt60=rt)
                 for i in range(len(a))]
        return BinauralRenderer(scene, h, block=self.block, brirs=np.stack(brirs))

    def render(self, audio: Frame, block_s: float = 0.5, progress=None) -> tuple[Frame, float]:
        """A whole recording rendered block by block, scaled (never up) so that no sample
        exceeds 0.99 full scale: ``(binaural frame, scale)``. NaN or infinite output is refused
        naming the renderer. ``progress(done, total)``, if given, is called with the samples
        rendered after each block."""
        from ..core.sinks.safety import check_finite

        stage = self.stage(audio.info)
        stage.open(audio.info)
        blocks = blocks_of(audio, block_s)

        def reported():
            done = 0
            for block in blocks:
                yield block
                done += block.n
                progress(done, audio.n)

        out = feed(stage, reported() if progress is not None else blocks)
        check_finite(out, type(stage).__name__)
        peak = float(np.abs(out.data).max()) if out.n else 0.0
        scale = 0.99 / peak if peak > 1.0 else 1.0
        if scale != 1.0:
            out = out.with_data((out.data * scale).astype(out.data.dtype))
        return out, scale
