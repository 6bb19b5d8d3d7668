"""Any Lab Streaming Layer stream (EMG amplifiers, eye trackers, motion capture)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import numpy as np

from ...errors import DeviceError, DeviceLostError, SourceStringError
from ..clock import STEADY_KINDS, ClockMap, stamped_rate_differs, steady_clock
from ..frame import Frame
from ..info import StreamInfo
from ..sinks.lsl import import_pylsl
from .base import Source

log = logging.getLogger("sensekit")

__all__ = ["LSLSource", "list_lsl_streams"]

_PROPS = ("name", "type", "source_id", "hostname")
_DTYPES = {1: "float32", 2: "float64", 4: "int32", 5: "int16", 6: "int8", 7: "int64"}
#: Seconds of a stream that states its rate after which its stamps' rate is checked against it.
RATE_CHECK_S = 0.5
#: The highest rate ``lsl:...?rate=`` takes (a microphone's 192 kHz, with room).
MAX_STATED_RATE_HZ = 1e6


def list_lsl_streams(wait_s: float = 1.0) -> list[dict]:
    """Streams visible on the network: ``name``, ``type``, ``channels``, ``rate``, ``source_id``."""
    pylsl = import_pylsl()
    return [{"name": s.name(), "type": s.type(), "channels": s.channel_count(), "rate": s.nominal_srate(),
             "source_id": s.source_id(), "hostname": s.hostname()} for s in pylsl.resolve_streams(wait_time=wait_s)]


#: The most dimensions a sample shape stated in an outlet's description may have.
MAX_STATED_DIMS = 4


def _sensekit_desc(full, n: int) -> tuple[tuple[int, ...], dict]:
    """The sample shape and ``meta`` a sensekit outlet states in its description
    (``desc/sensekit``: see :class:`~sensekit.core.sinks.lsl.LSLOutletSink`); ``((n,), {})`` for
    any other outlet. The description is untrusted: a shape that does not hold ``n`` channels, or
    meta that is not a JSON object of at most ``MAX_META_CHARS``, is said once and left out."""
    from ..schema import json_of
    from ..sinks.lsl import MAX_META_CHARS

    sk = full.desc().child("sensekit")
    if sk.empty():
        return (n,), {}
    shape, meta = (n,), {}
    text = sk.child_value("shape")
    try:
        dims = tuple(int(v) for v in text.split(",")) if text else (n,)
    except ValueError:
        dims = ()
    if 1 <= len(dims) <= MAX_STATED_DIMS and all(d >= 1 for d in dims) and math.prod(dims) == n:  # (no int64 overflow)
        shape = dims
    else:
        log.warning("LSL stream %r states a sample shape %r that does not hold its %d channels: read as %d channels",
                    full.name(), text[:40], n, n)
    text = sk.child_value("meta")
    if text:
        try:
            value = json_of(text) if len(text) <= MAX_META_CHARS else None
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            meta = value
        else:
            log.warning("LSL stream %r states stream meta that is no JSON object of at most %d characters: left out",
                        full.name(), MAX_META_CHARS)
    return shape, meta


class LSLSource(Source):
    """Pull a stream from an LSL inlet.

    Parameters
    ----------
    prop, value : str
        Resolve the stream whose ``prop`` (``name``, ``type``, ``source_id`` or
        ``hostname``) equals ``value``, e.g. ``("type", "EMG")``.
    timeout_s : float
        How long to look for the stream.
    kind : str, optional
        sensekit stream kind; default the LSL type in lower case.
    max_block : int
        Largest number of samples pulled per frame.
    stall_timeout_s : float
        A stream that delivers nothing for this long is reported as lost.
    rate : float, optional
        The stream's sampling rate, where its outlet states none or a wrong one (``lsl:...?rate=``).
        A stream of sampled signal (EMG, gaze, audio...) that states a rate more than 10 % off
        its stamps' in its first :data:`RATE_CHECK_S` seconds is refused, naming this fix.

    Notes
    -----
    Timestamps are LSL's, mapped onto the local clock through a :class:`ClockMap` fitted to
    the inlet's ``time_correction`` measurements (offset and drift, outliers dropped; the
    fit is in ``self.clock_map``). A stream with a nominal rate is regular: a frame's ``t0`` is
    its first sample's timestamp.
    """

    def __init__(self, prop: str = "type", value: str = "EMG", *, timeout_s: float = 5.0, kind: str | None = None,
                 max_block: int = 1024, stall_timeout_s: float = 5.0, rate: float | None = None) -> None:
        if prop not in _PROPS:
            raise SourceStringError(f"cannot resolve LSL streams by {prop!r}", f"use one of {', '.join(_PROPS)}")
        pylsl = self._pylsl = import_pylsl()
        found = pylsl.resolve_byprop(prop, value, timeout=timeout_s)
        if not found:
            raise DeviceError(f"no LSL stream with {prop}={value!r} found within {timeout_s:g} s",
                              "start the device's LSL app; 'sensekit devices' lists visible streams")
        s = found[0]
        self._inlet = pylsl.StreamInlet(s, max_buflen=60, recover=True)
        full = self._inlet.info(timeout=timeout_s)
        n = full.channel_count()
        fmt = full.channel_format()
        if fmt not in _DTYPES:
            raise DeviceError(f"LSL stream {full.name()!r} carries strings (markers); sensekit needs numbers")
        labels = []
        ch = full.desc().child("channels").child("channel")
        while not ch.empty() and len(labels) < n:
            labels.append(ch.child_value("label") or f"ch{len(labels)}")
            ch = ch.next_sibling()
        if len(labels) != n or len(set(labels)) != n:
            labels = [f"ch{i}" for i in range(n)]
        unit = full.desc().child("channels").child("channel").child_value("unit") or ""
        shape, meta = _sensekit_desc(full, n)  # (a sensekit outlet's: the stream as it was)
        self.info = StreamInfo(name=full.name() or "lsl", kind=kind or (full.type().lower() or "signal"),
                               rate=full.nominal_srate(), shape=shape, channels=tuple(labels) if len(shape) == 1 else (),
                               dtype=_DTYPES[fmt], unit=unit,
                               meta={**meta, "source_id": full.source_id(), "hostname": full.hostname()})
        self.max_block = max_block
        self.stall_timeout_s = stall_timeout_s
        self.description = f"lsl:{prop}={value}"
        self._buf = np.empty((max_block, n), dtype=self.info.dtype)
        self._tbuf = np.empty(max_block, dtype=np.float64)
        self._inlet.open_stream(timeout=timeout_s)
        self.clock_map = ClockMap()
        self._next_correction = 0.0
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._stamps: list[np.ndarray] | None = None  # (the first seconds' stamps, to check the stated rate)
        if rate is not None:  # (the user states it: the outlet states none, or a wrong one)
            if not (np.isfinite(rate) and 0 < rate <= MAX_STATED_RATE_HZ):
                raise SourceStringError(f"lsl:...?rate={rate!r}: a sampling rate is a number of Hz above 0",
                                        "e.g. lsl:type=Gaze?rate=90")
            self.info = self.info.replace(rate=float(rate))
        elif self.info.rate == 0 and self.info.kind in STEADY_KINDS:
            self._probe_rate()
        elif self.info.rate > 0 and self.info.kind in STEADY_KINDS:
            self._stamps = []

    def _probe_rate(self, probe_s: float = 2.0) -> None:
        """An outlet that states no rate (some armband apps publish EMG so, stamping packets on
        arrival): its first ``probe_s`` seconds, kept for the first frames, decide whether its
        samples come steadily (:func:`~sensekit.core.clock.steady_clock`); if so the stream is
        regular at that rate, as an XDF file of it reads, and a calibration made on that file
        accepts it."""
        from .base import clock

        end, got = clock() + probe_s, 0
        while clock() < end:
            try:
                _, ts = self._inlet.pull_chunk(timeout=0.1, max_samples=self.max_block, dest_obj=self._buf)
            except self._pylsl.LostError:
                raise DeviceLostError(f"LSL stream {self.info.name!r} was lost") from None
            if ts:
                self._pending.append((self._buf[:len(ts)].copy(), np.asarray(ts, dtype=np.float64)))
                got += len(ts)
        steady = steady_clock(np.concatenate([t for _, t in self._pending])) if got else None
        if steady is not None:
            self.info = self.info.replace(rate=steady[0])
            log.warning("LSL stream %r states no sampling rate, but its samples come steadily at %g Hz: read as a "
                        "regular %g Hz stream", self.info.name, steady[0], steady[0])

    def _frames(self) -> Iterator[Frame]:
        from .base import clock

        seq = 0
        last = clock()
        info = self.info
        while True:
            if self._pending:  # (what the rate probe pulled)
                data, remote = self._pending.pop(0)
                ts = remote
            else:
                try:
                    _, ts = self._inlet.pull_chunk(timeout=0.2, max_samples=self.max_block, dest_obj=self._buf)
                except self._pylsl.LostError:
                    raise DeviceLostError(f"LSL stream {info.name!r} was lost") from None
                data, remote = None, None
            n = len(ts)
            if n == 0:
                if clock() - last > self.stall_timeout_s:
                    raise DeviceLostError(f"LSL stream {info.name!r} delivered nothing for {self.stall_timeout_s:g} s",
                                          "check the sending device and its app")
                continue
            last = clock()
            remote = np.asarray(ts, dtype=np.float64) if remote is None else remote
            if last >= self._next_correction:  # a new offset measurement every 2 s
                self.clock_map.add(float(remote[-1]), float(self._inlet.time_correction()))
                self._next_correction = last + 2.0
            times = self.clock_map(remote)
            if self._stamps is not None:
                self._check_stated_rate(remote)
            data = self._buf[:n].copy() if data is None else data
            if len(info.shape) > 1:
                data = data.reshape(n, *info.shape)
            if info.rate > 0:
                yield Frame(info, data, t0=float(times[0]), seq=seq)
            else:
                yield Frame(info, data, times=times, seq=seq)
            seq += 1

    def _check_stated_rate(self, remote: np.ndarray) -> None:
        """Once the stream's first :data:`RATE_CHECK_S` seconds are in, its stamps' rate against
        the one it states: a regular stream is read at the stated rate, so an app that states
        the wrong one (a Unity outlet of gaze stating its physics step, 20 or 50, for 90 samples a
        second) would have every duration and speed read wrong; it is refused in one line."""
        self._stamps.append(remote)
        stamps = np.concatenate(self._stamps)
        if stamps[-1] - stamps[0] < RATE_CHECK_S:
            return
        self._stamps = None
        stamped = stamped_rate_differs(self.info.rate, stamps)
        if stamped is not None:
            raise DeviceError(f"LSL stream {self.info.name!r} states {self.info.rate:g} Hz, but its samples come at "
                              f"{stamped:g} Hz: its durations and speeds would be read wrong",
                              f"state the rate: {self.description}?rate={stamped:g} (or fix the outlet's nominal rate)")

    def close(self) -> None:
        if getattr(self, "_inlet", None) is not None:
            self._inlet.close_stream()
            self._inlet = None
