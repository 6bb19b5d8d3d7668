"""Source strings: one string names any source on the command line.

===========================================  ==================================
string                                       source
===========================================  ==================================
``mic``, ``mic:2``, ``mic:"ReSpeaker"``       microphone by default/index/name
``camera:0``                                 camera by index
``video:clip.mp4``                           video file
``lsl:type=EMG``, ``lsl:name=MyoEMG``        LSL stream by property (``?rate=90``: its
                                             rate, where its outlet states a wrong one)
``brainflow:synthetic``                      BrainFlow board by name
``brainflow:cyton?serial_port=/dev/ttyUSB0`` ... with BrainFlow parameters
``synth:sine``, ``synth:noise?channels=8``   simulators
``capture.h5``, ``rec.xdf``, ``take.wav``    replay of a recording
``session.h5#gaze``                          one stream of a multi-stream recording
===========================================  ==================================

Options after ``?`` are ``key=value`` pairs joined by ``&``; the command line's
``--channels``, ``--rate`` and ``--block-size`` fill the same fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ...errors import ParameterError, SourceStringError
from ..recording import RECORDING_SUFFIXES
from .base import Source

__all__ = ["SourceSpec", "parse_source", "open_source", "SCHEMES", "SETTABLE", "STATED"]

#: The settings ``open_source`` may give each kind of source (the others have their own rate,
#: channels and blocks, and refuse them).
SETTABLE = {"mic": ("channels", "rate", "block_size"), "synth": ("channels", "rate", "block_size"),
            "file": ("block_size",)}
#: What a user may state of a source that does not: the rate of a recording that states none (a
#: table with no clock; the recording's reader refuses it where the file states its own), or of
#: an LSL stream whose outlet states none or a wrong one. Not a setting: ``capture`` gives a
#: shared ``--rate`` to the sources of :data:`SETTABLE` alone.
STATED = {"file": ("rate",), "lsl": ("rate",)}

SCHEMES = ("mic", "camera", "video", "lsl", "brainflow", "synth", "file")


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """A parsed source string: ``scheme``, ``target`` and ``options``."""

    scheme: str
    target: str
    options: dict[str, str]


def _number(key: str, value: Any, kind=float):
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise SourceStringError(f"source option {key}={value!r} is not a{'n integer' if kind is int else ' number'}") from None


def recording_stream(text: str) -> tuple[str, str] | None:
    """``FILE#STREAM`` (one stream of a recording) -> ``(FILE, STREAM)``, where FILE has a
    recording's suffix; None for anything else."""
    path, hash_, name = text.rpartition("#")
    if hash_ and name and Path(path).suffix.lower() in RECORDING_SUFFIXES:
        return path, name
    return None


def parse_source(text: str) -> SourceSpec:
    """Split a source string into scheme, target and options.

    Raises
    ------
    SourceStringError
        Unknown scheme, or malformed options; the message lists the valid forms.
    """
    text = text.strip()
    if not text:
        raise SourceStringError("empty source string", "e.g. mic:0, camera:0, lsl:type=EMG, synth:sine or FILE.h5")
    scheme, sep, rest = text.partition(":")
    if not sep or scheme not in SCHEMES:
        if Path(text).suffix.lower() in RECORDING_SUFFIXES or Path(text).exists():
            return SourceSpec("file", text, {})
        one = recording_stream(text)
        if one is not None:
            return SourceSpec("file", one[0], {"stream": one[1]})
        if sep and len(scheme) > 1:
            raise SourceStringError(f"unknown source type {scheme!r} in {text!r}",
                                    f"use one of {', '.join(s + ':' for s in SCHEMES[:-1])} or a recording's path")
        if scheme in ("mic", "camera"):
            return SourceSpec(scheme, "", {})
        raise SourceStringError(f"{text!r} is neither a source string nor a recording file",
                                "e.g. mic:0, camera:0, lsl:type=EMG, synth:sine or a .h5/.xdf/.wav/.csv/.edf file")
    target, _, query = rest.partition("?")
    target = target.strip()
    if len(target) >= 2 and target[0] == target[-1] and target[0] in "\"'":
        target = target[1:-1]
    try:
        options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    except ValueError:
        raise SourceStringError(f"cannot read the options {query!r} of {text!r}", "write them as key=value&key=value") from None
    return SourceSpec(scheme, target, options)


def open_source(
    text: str,
    *,
    channels: int | None = None,
    rate: float | None = None,
    block_size: int | None = None,
    realtime: bool = False,
    stream: str | None = None,
    timeout_s: float = 5.0,
    kind: str | None = None,
    kinds: Sequence[str] = (),
) -> Source:
    """Open the source a source string names.

    Parameters
    ----------
    text : str
        The source string (see the module docstring).
    channels, rate, block_size : optional
        Capture format where the source takes one (microphones, simulators).
    realtime : bool
        Pace a replayed recording at its recorded rate.
    stream : str, optional
        Stream of a multi-stream recording.
    timeout_s : float
        How long to look for an LSL stream.
    kind : str, optional
        The stream's kind, stated by the user (``emg`` for a CSV that does not say so).
    kinds : sequence of str
        The stream kinds the command reads, in order of preference: of a recording of several
        streams, none named, the only one of such a kind is read (see
        :class:`~sensekit.core.sources.replay.ReplaySource`).

    Raises
    ------
    SourceStringError, DeviceError, RecordingError
        With one line naming the problem and the fix.
    """
    source = _open(text, channels=channels, rate=rate, block_size=block_size, realtime=realtime, stream=stream,
                   timeout_s=timeout_s, kinds=tuple(kinds))
    if kind and kind != source.info.kind:
        from .base import KindOverride

        return KindOverride(source, kind)
    return source


def _open(text: str, *, channels, rate, block_size, realtime, stream, timeout_s, kinds) -> Source:
    spec = parse_source(text)
    opts = dict(spec.options)
    s = spec.scheme
    given = {"channels": channels, "rate": rate, "block_size": block_size}
    ignored = [name for name, value in given.items()
               if value is not None and name not in SETTABLE.get(s, ()) + STATED.get(s, ())]
    if ignored:  # (never silently ignored: a camera, a video, an LSL stream or a board has its own)
        raise ParameterError(f"the {', '.join(ignored)} of {text!r} cannot be set: a {s} source has its own",
                             "leave that option out")
    if s == "file":
        from .replay import ReplaySource

        return ReplaySource(spec.target, stream=opts.get("stream", stream), block_size=block_size, realtime=realtime,
                            rate=rate, kinds=kinds)
    if s == "mic":
        from .mic import MicSource

        device: int | str | None = spec.target or None
        if isinstance(device, str) and device.isdigit():
            device = int(device)
        ch = channels or (int(_number("channels", opts.pop("channels"), int)) if "channels" in opts else None)
        r = rate or (_number("rate", opts.pop("rate")) if "rate" in opts else None)
        bs = block_size or (_number("block_size", opts.pop("block_size"), int) if "block_size" in opts else 1024)
        _no_more(opts, text)
        return MicSource(device, channels=ch, rate=r, block_size=bs)
    if s == "camera":
        from .camera import CameraSource

        index = _number("camera index", spec.target or "0", int)
        kw = {k: _number(k, opts.pop(k), int) for k in ("width", "height") if k in opts}
        if "fps" in opts:
            kw["fps"] = _number("fps", opts.pop("fps"))
        grey = opts.pop("grey", "0") in ("1", "true", "yes")
        _no_more(opts, text)
        return CameraSource(index, grey=grey, **kw)
    if s == "video":
        from .camera import VideoFileSource

        grey = opts.pop("grey", "0") in ("1", "true", "yes")
        _no_more(opts, text)
        return VideoFileSource(spec.target, grey=grey)
    if s == "lsl":
        from .lsl import LSLSource

        prop, eq, value = spec.target.partition("=")
        if not eq or not value:
            raise SourceStringError(f"{text!r}: an LSL source names a property, e.g. lsl:type=EMG or lsl:name=MyStream")
        timeout = _number("timeout", opts.pop("timeout")) if "timeout" in opts else timeout_s
        kind = opts.pop("kind", None)
        stated = rate or (_number("rate", opts.pop("rate")) if "rate" in opts else None)
        _no_more(opts, text)
        return LSLSource(prop.strip(), value.strip(), timeout_s=timeout, kind=kind, rate=stated)
    if s == "brainflow":
        from .brainflow import BrainFlowSource

        return BrainFlowSource(spec.target or "synthetic", **opts)
    # synth: every option goes to the simulator, numbers converted
    from .synth import synth_source

    kw: dict[str, Any] = {key: _auto(v) for key, v in opts.items()}
    if "duration" in kw:
        kw["duration_s"] = kw.pop("duration")
    if kw.get("duration_s") == float("inf"):  # duration=inf: endless
        kw["duration_s"] = None
    if channels:
        kw["channels"] = channels
    if rate:
        kw["rate"] = rate
    if block_size:
        kw["block_size"] = block_size
    if realtime:
        kw["realtime"] = True
    return synth_source(spec.target or "sine", **kw)


def _auto(value: str):
    """A source option's value as int, float, bool or str."""
    low = value.lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def _no_more(opts: dict, text: str) -> None:
    if opts:
        raise ParameterError(f"unknown option(s) {', '.join(sorted(opts))} in source {text!r}")
