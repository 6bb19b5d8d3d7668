"""Streaming IIR filters in second-order sections, with state carried across blocks.

The numeric core is :func:`scipy.signal.sosfilt` with ``zi`` carried from block to
block, so filtering a recording in blocks of any size gives exactly the output of
filtering it whole. The start state is all zeros (the filter at rest), restored by
``reset()``.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import signal

from ...errors import ParameterError, StreamFormatError
from ..checks import check_option, check_scalar, check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..stage import Stage

__all__ = ["SOSFilter", "IIRFilter", "BandPass", "HighPass", "LowPass", "Notch", "butter_sos"]

log = logging.getLogger("sensekit")

_NAN_POLICIES = ("raise", "zero", "propagate")


class SOSFilter(Stage):
    """Filter every channel of a regular stream with fixed second-order sections.

    Parameters
    ----------
    sos : array_like, shape (n_sections, 6)
        Second-order sections, as returned by ``scipy.signal.butter(..., output="sos")``.
    rate_hz : float, optional
        The rate the sections were designed for. When given, ``open`` refuses a stream
        of another rate.
    nan_policy : {"raise", "zero", "propagate"}
        What to do with NaN or infinite input samples, which would otherwise poison the
        filter state for good: raise :class:`StreamFormatError` naming the channel
        (default), replace them by 0 before filtering, or let them through.

    Notes
    -----
    Input of any numeric dtype and any sample shape is filtered along time (axis 0)
    for every element of a sample; the output dtype is ``float64``.
    """

    def __init__(self, sos=None, *, rate_hz: float | None = None, nan_policy: str = "raise") -> None:
        self.sos = sos
        self.rate_hz = rate_hz
        self.nan_policy = nan_policy

    def _design(self, rate: float) -> np.ndarray:
        sos = np.atleast_2d(np.asarray(self.sos, dtype=np.float64))
        if sos.ndim != 2 or sos.shape[1] != 6 or sos.shape[0] < 1:
            raise ParameterError(f"sos must have shape (n_sections, 6), got {sos.shape}")
        if self.rate_hz is not None and not np.isclose(rate, self.rate_hz):
            raise StreamFormatError(
                f"{type(self).__name__} was designed for {self.rate_hz:g} Hz but the stream runs at {rate:g} Hz",
                "redesign the filter for the stream's rate or resample the stream",
            )
        return sos

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, type(self).__name__, regular=True, dtype_kinds="fiu")
        check_option(self.nan_policy, "nan_policy", _NAN_POLICIES)
        self.sos_ = self._design(info.rate)
        self._width = int(np.prod(info.shape, dtype=np.int64))
        self._out_info = info.replace(dtype="float64", channels=info.channels)
        return self._out_info

    def _reset(self) -> None:
        self._zi = np.zeros((self.sos_.shape[0], self._width, 2))

    def _process(self, frame: Frame) -> Frame:
        if frame.data.shape[0] == 0:
            empty = np.empty(frame.data.shape, dtype=np.float64)
            return Frame._trusted(self._out_info, empty, frame.t0, None, frame.seq)
        data = frame.data
        x = data.T if data.ndim == 2 else data.reshape(data.shape[0], self._width).T
        if self.nan_policy == "zero" and x.dtype.kind == "f":
            x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
        y, zi = signal.sosfilt(self.sos_, x, axis=-1, zi=self._zi)
        if self.nan_policy == "raise" and not np.isfinite(zi).all():
            self._raise_non_finite(frame)
        self._zi = zi
        out = y.T if data.ndim == 2 else y.T.reshape(data.shape)
        return Frame._trusted(self._out_info, out, frame.t0, None, frame.seq)

    def _raise_non_finite(self, frame: Frame) -> None:
        flat = frame.data.reshape(frame.data.shape[0], self._width)
        bad = ~np.isfinite(flat)
        ch = int(np.argmax(bad.any(axis=0)))
        names = self.input_info.channels
        name = names[ch] if names and len(self.input_info.shape) == 1 else f"element {ch}"
        raise StreamFormatError(
            f"{type(self).__name__}: stream {frame.info.name!r} channel {name!r} holds "
            f"{int(bad[:, ch].sum())} NaN/infinite sample(s) in block {frame.seq}",
            "fix or drop the channel", python_fix="nan_policy='zero'",
        )


class IIRFilter(SOSFilter):
    """A Butterworth filter designed at ``open`` for the stream's rate.

    Parameters
    ----------
    btype : {"bandpass", "highpass", "lowpass", "bandstop"}
        Filter type.
    cutoff_hz : float or (float, float)
        Cut-off frequency in Hz (a pair for band filters), below the Nyquist frequency.
    order : int
        Butterworth order (per edge for band filters), 1 to 16.
    nan_policy : {"raise", "zero", "propagate"}
        See :class:`SOSFilter`.
    """

    def __init__(self, btype: str, cutoff_hz, *, order: int = 4, nan_policy: str = "raise") -> None:
        self.btype = btype
        self.cutoff_hz = cutoff_hz
        self.order = order
        self.nan_policy = nan_policy

    def _design(self, rate: float) -> np.ndarray:
        return butter_sos(self.btype, self.cutoff_hz, self.order, rate, type(self).__name__)


def butter_sos(btype: str, cutoff_hz, order: int, rate: float, name: str = "IIRFilter") -> np.ndarray:
    """Butterworth second-order sections, with every parameter checked against ``rate`` (Hz)."""
    check_option(btype, "btype", ("bandpass", "highpass", "lowpass", "bandstop"))
    check_scalar(order, "order", kind=int, min_value=1, max_value=16)
    edges = np.atleast_1d(np.asarray(cutoff_hz, dtype=float))
    need = 2 if btype in ("bandpass", "bandstop") else 1
    if edges.shape != (need,):
        raise ParameterError(f"{name}: cutoff_hz needs {need} frequency(ies) for {btype}, got {cutoff_hz!r}")
    nyquist = rate / 2.0
    if not (np.all(edges > 0) and np.all(edges < nyquist)):
        raise StreamFormatError(
            f"{name}: cut-off {cutoff_hz!r} Hz must lie in (0, {nyquist:g}) Hz for a {rate:g} Hz stream",
            f"lower the cut-off below the Nyquist frequency {nyquist:g} Hz",
        )
    if need == 2 and edges[0] >= edges[1]:
        raise ParameterError(f"{name}: cutoff_hz must be (low, high) with low < high, got {cutoff_hz!r}")
    wn = edges if need == 2 else float(edges[0])
    return signal.butter(order, wn, btype=btype, fs=rate, output="sos")


class BandPass(SOSFilter):
    """Butterworth band-pass between ``low_hz`` and ``high_hz`` (Hz).

    If ``clip_high`` is true and ``high_hz`` is at or above the Nyquist frequency, the
    upper edge is lowered to 0.95 x Nyquist with a warning (useful for one chain
    configuration across devices of several rates, e.g. 20-450 Hz on a 200 Hz Myo).
    """

    def __init__(self, low_hz: float, high_hz: float, *, order: int = 4, clip_high: bool = False,
                 nan_policy: str = "raise") -> None:
        self.low_hz = low_hz
        self.high_hz = high_hz
        self.order = order
        self.clip_high = clip_high
        self.nan_policy = nan_policy

    def _design(self, rate: float) -> np.ndarray:
        high = self.high_hz
        if self.clip_high and high >= rate / 2:
            high = 0.95 * rate / 2
            log.warning("BandPass: high edge %g Hz is above Nyquist at %g Hz; using %g Hz", self.high_hz, rate, high)
        return butter_sos("bandpass", (self.low_hz, high), self.order, rate, "BandPass")


class HighPass(IIRFilter):
    """Butterworth high-pass above ``cutoff_hz`` (Hz)."""

    btype = "highpass"

    def __init__(self, cutoff_hz: float, *, order: int = 4, nan_policy: str = "raise") -> None:
        self.cutoff_hz = cutoff_hz
        self.order = order
        self.nan_policy = nan_policy


class LowPass(IIRFilter):
    """Butterworth low-pass below ``cutoff_hz`` (Hz)."""

    btype = "lowpass"

    def __init__(self, cutoff_hz: float, *, order: int = 4, nan_policy: str = "raise") -> None:
        self.cutoff_hz = cutoff_hz
        self.order = order
        self.nan_policy = nan_policy


class Notch(SOSFilter):
    """Power-line notch at ``freq_hz`` and its harmonics, as a cascade of 2nd-order notches.

    Parameters
    ----------
    freq_hz : float
        Fundamental in Hz (50 or 60 for mains).
    quality : float
        Quality factor Q = centre / -3 dB bandwidth of each notch, > 0.
    harmonics : int
        Number of frequencies notched: ``freq_hz * k`` for ``k = 1..harmonics``; those
        at or above Nyquist are skipped.
    nan_policy : {"raise", "zero", "propagate"}
        See :class:`SOSFilter`.
    """

    def __init__(self, freq_hz: float = 50.0, *, quality: float = 30.0, harmonics: int = 1,
                 nan_policy: str = "raise") -> None:
        self.freq_hz = freq_hz
        self.quality = quality
        self.harmonics = harmonics
        self.nan_policy = nan_policy

    def _design(self, rate: float) -> np.ndarray:
        check_scalar(self.freq_hz, "freq_hz", min_value=0, include_min=False)
        check_scalar(self.quality, "quality", min_value=0, include_min=False)
        check_scalar(self.harmonics, "harmonics", kind=int, min_value=1)
        freqs = [self.freq_hz * k for k in range(1, self.harmonics + 1) if self.freq_hz * k < rate / 2]
        if not freqs:
            raise StreamFormatError(
                f"Notch: {self.freq_hz:g} Hz is at or above the Nyquist frequency of a {rate:g} Hz stream",
                "drop the notch or use a stream of a higher rate",
            )
        sections = [signal.tf2sos(*signal.iirnotch(f, self.quality, fs=rate)) for f in freqs]
        return np.vstack(sections)
