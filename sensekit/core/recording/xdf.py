"""XDF files (Lab Streaming Layer recordings, e.g. from LabRecorder), read with pyxdf."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ...errors import DeviceError, RecordingError
from ..clock import STEADY_KINDS, ClockMap, stamped_rate_differs, steady_clock
from ..info import StreamInfo
from .base import Recording, Segment

__all__ = ["XDFRecording"]

_LSL_FORMATS = {"float32": "float32", "double64": "float64", "int8": "int8", "int16": "int16",
                "int32": "int32", "int64": "int64"}


def _first(v, default=None):
    while isinstance(v, list):
        if not v:
            return default
        v = v[0]
    return default if v is None else v


def _channel_labels(stream: dict, n: int) -> tuple[str, ...]:
    try:
        chans = stream["info"]["desc"][0]["channels"][0]["channel"]
        labels = tuple(str(_first(c.get("label"), f"ch{i}")) for i, c in enumerate(chans))
        if len(labels) == n and len(set(labels)) == n:
            return labels
    except (KeyError, IndexError, TypeError):
        pass
    return tuple(f"ch{i}" for i in range(n))


def _channel_unit(stream: dict) -> str:
    """The first channel's unit (as the LSL source reads a live stream's), or ""."""
    try:
        return str(_first(stream["info"]["desc"][0]["channels"][0]["channel"][0].get("unit"), "") or "")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""


log = logging.getLogger("sensekit")


class _Collect(logging.Handler):
    """Gathers pyxdf's reports of a damaged file."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Segments and clock-segments differ" not in message:  # (a dropout, or no clock offsets: not damage)
            self.messages.append(message)


def _stamped_rate(where: str, nominal: float, times: np.ndarray) -> float:
    """A regular stream's rate: the nominal one, unless its (dejittered) time stamps step at a rate
    more than 10 % off it (pyxdf's own bound; an outlet that states the wrong rate: its samples came
    at the stamps' rate), which is then used, with a warning."""
    stamped = stamped_rate_differs(nominal, times)
    if stamped is None:
        return nominal
    log.warning("%s states %g Hz, but its %d time stamps step at %g Hz: read at %g Hz", where, nominal, len(times),
                stamped, stamped)
    return stamped


class XDFRecording(Recording):
    """Every numeric stream of an XDF file; string (marker) streams are kept apart, in :meth:`markers`.

    A stream with a nominal rate becomes a regular stream whose ``t0`` is its first
    (dejittered) timestamp; an irregular one keeps per-sample times. Stream kinds are
    the LSL ``type`` in lower case. Timestamps are mapped onto the recording computer's clock
    through the file's clock-offset measurements (pyxdf's clock synchronisation); the
    measurements themselves stay available through :meth:`clock` and travel on ``convert``.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            import pyxdf
        except ImportError:
            raise DeviceError("reading XDF needs pyxdf", "pip install 'sensekit[lsl]'") from None
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"XDF file {str(self.path)!r} does not exist", "check the path")
        problems = _Collect()
        xdf_log = logging.getLogger("pyxdf")
        xdf_log.addHandler(problems)
        propagate, xdf_log.propagate = xdf_log.propagate, False
        try:
            streams, _ = pyxdf.load_xdf(str(self.path), dejitter_timestamps=True)
        except Exception as e:
            raise RecordingError(f"{str(self.path)!r} is not a readable XDF file ({type(e).__name__}: {e})") from None
        finally:
            xdf_log.removeHandler(problems)
            xdf_log.propagate = propagate
        damage = [m for m in problems.messages if "effective sampling rate" not in m]  # (said per stream, below)
        if damage:
            log.warning("%s is damaged (%s); reading what could be recovered", self.path.name,
                        "; ".join(dict.fromkeys(damage))[:300])
        self.streams = {}
        self._data: dict[str, np.ndarray] = {}
        self._times: dict[str, np.ndarray] = {}
        self._clock: dict[str, ClockMap] = {}
        self._markers: dict[str, tuple[np.ndarray, tuple[str, ...]]] = {}
        for s in streams:
            info = s["info"]
            fmt = _first(info.get("channel_format"), "float32")
            if fmt == "string":  # a marker stream: text events, kept apart from the signals
                self._add_markers(s)
                continue
            if fmt not in _LSL_FORMATS:
                continue
            data = np.asarray(s["time_series"], dtype=_LSL_FORMATS[fmt])
            n_ch = int(_first(info.get("channel_count"), data.shape[1] if data.ndim == 2 else 1))
            data = data.reshape(-1, n_ch)
            name = str(_first(info.get("name"), f"stream{len(self.streams)}"))
            if name in self.streams:
                name = f"{name}_{_first(info.get('stream_id'), len(self.streams))}"
            times = np.asarray(s["time_stamps"], dtype=np.float64)
            rate = _stamped_rate(f"{self.path.name}: stream {name!r}", float(_first(info.get("nominal_srate"), 0.0)),
                                 times)
            kind = str(_first(info.get("type"), "signal")).lower() or "signal"
            if not rate and kind in STEADY_KINDS and (steady := steady_clock(times)) is not None:
                rate, times = steady
                log.warning("%s: stream %r states no sampling rate, but its %d samples come steadily at %g Hz (each "
                            "stamp but a few within 2 periods of one clock): read as a regular %g Hz stream", self.path.name,
                            name, len(times), rate, rate)
            self.streams[name] = StreamInfo(
                name=name, kind=kind, rate=rate, shape=(n_ch,), channels=_channel_labels(s, n_ch),
                dtype=data.dtype.name, unit=_channel_unit(s), meta={"source_id": str(_first(info.get("source_id"), ""))},
            )
            self._data[name] = data
            self._times[name] = times
            ct, cv = s.get("clock_times") or [], s.get("clock_values") or []
            if len(ct) and len(ct) == len(cv):
                self._clock[name] = ClockMap.from_measurements(ct, cv)

        if not self.streams:
            raise RecordingError(f"{str(self.path)!r} holds no numeric stream", "is it a complete XDF recording?")

    def _add_markers(self, s: dict) -> None:
        info = s["info"]
        name = str(_first(info.get("name"), f"markers{len(self._markers)}"))
        if name in self._markers:
            name = f"{name}_{_first(info.get('stream_id'), len(self._markers))}"
        times = np.asarray(s["time_stamps"], dtype=np.float64).reshape(-1)
        values = tuple(str(v[0] if isinstance(v, (list, tuple)) and v else v).strip() for v in s["time_series"])
        if len(values) == len(times):
            self._markers[name] = (times, values)

    def markers(self) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        """The file's string (marker) streams: name -> (times, the first channel's text each)."""
        return dict(self._markers)

    def n_samples(self, name: str) -> int:
        return len(self._data[name])

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._data[name][start:stop]

    def _read_times(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._times[name][start:stop]

    def clock(self, name: str) -> ClockMap | None:
        return self._clock.get(self.stream_name(name))

    def segments(self, name: str) -> list[Segment]:
        """Gap-free runs of a regular stream: its (dejittered) timestamps jump by more than
        1.5 sample periods between two runs (LabRecorder keeps recording across a stream's
        dropout). pyxdf's dejittering fits each run apart only where the gap exceeds 1 s and
        500 sample periods; a shorter dropout is spread over its run by that linear fit (as
        every pyxdf reader sees it). The period is the nominal one or the median step, the
        longer: a stream slower than it says is not cut at every sample."""
        t = self._times[name]
        rate = self.streams[name].rate
        if len(t) < 2 or rate <= 0:
            return [Segment(0, len(t), float(t[0]) if len(t) else 0.0)]
        step = np.diff(t)
        period = max(1.0 / rate, float(np.median(step)))
        edges = [0, *(np.flatnonzero(step > 1.5 * period) + 1).tolist(), len(t)]
        return [Segment(a, b, float(t[a])) for a, b in zip(edges[:-1], edges[1:], strict=True)]
