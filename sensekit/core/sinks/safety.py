"""Hearing safety at every audio output: no non-finite sample, and a ceiling on live output.

Two guards sit in front of every audio sink (:class:`~sensekit.core.sinks.AudioFileSink`,
:class:`~sensekit.core.sinks.SpeakerSink`):

- :func:`check_finite` refuses a block with a NaN or an infinity, naming the stage (or
  stream) that produced it: a NaN turned into a click, or an infinity clipped to full-scale
  DC, must never reach a file or an ear.
- :class:`PeakLimiter` keeps live output at or below a ceiling (default -1 dBFS): the gain
  drops at once to what the loudest channel of each sample allows and recovers with a release
  time constant (50 ms). No sample leaves above the ceiling, whatever the input; a signal that
  stays under it is untouched. Its output does not depend on the block size.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import StreamFormatError
from ..frame import Frame
from ..units import db_to_amplitude

__all__ = ["check_finite", "PeakLimiter", "DEFAULT_CEILING_DB"]

#: Live output ceiling in dB full scale.
DEFAULT_CEILING_DB = -1.0


def check_finite(frame: Frame, producer: str | None = None) -> None:
    """Raise :class:`StreamFormatError` when ``frame`` holds a NaN or an infinity.

    Parameters
    ----------
    frame : Frame
        An audio block about to be written or played.
    producer : str, optional
        The stage that produced it (named in the error); default the stream's name.
    """
    data = frame.data
    if data.dtype.kind != "f" or not data.size:
        return
    finite = np.isfinite(data)
    if finite.all():
        return
    bad = int(np.size(finite) - np.count_nonzero(finite))
    first = int(np.flatnonzero(~finite.all(axis=tuple(range(1, data.ndim))) if data.ndim > 1 else ~finite)[0])
    t = frame.times[first] if frame.n else frame.t0
    who = producer or f"stream {frame.info.name!r}"
    raise StreamFormatError(f"{who} produced {bad} non-finite audio sample(s) (NaN/inf) at t = {t:.3f} s; "
                            "refused before the audio output", "check the parameters of that stage (angles, gains)")


class PeakLimiter:
    """A sample-exact peak limiter: ``|output| <= ceiling`` always.

    Parameters
    ----------
    rate : float
        Sampling rate in Hz.
    ceiling_db : float
        Ceiling in dB full scale (<= 0).
    release_s : float
        Time constant of the gain's recovery after a peak.

    Examples
    --------
    >>> import numpy as np
    >>> lim = PeakLimiter(48000.0)
    >>> y = lim.process(np.array([[0.1, 0.1], [4.0, -2.0], [0.1, 0.1]]))
    >>> bool(np.abs(y).max() <= lim.ceiling)
    True
    """

    #: longest run computed in one vectorised pass (keeps ``a ** -n`` finite)
    _CHUNK = 4096

    def __init__(self, rate: float, ceiling_db: float = DEFAULT_CEILING_DB, release_s: float = 0.05) -> None:
        if not (math.isfinite(ceiling_db) and ceiling_db <= 0):
            raise StreamFormatError(f"limiter ceiling {ceiling_db} dBFS must be finite and <= 0")
        self.ceiling = float(db_to_amplitude(ceiling_db))
        self.a = math.exp(-1.0 / (max(release_s, 1e-4) * rate))
        self.reset()

    def reset(self) -> None:
        """Full gain again."""
        self._u = 0.0  # 1 - gain of the last sample

    def process(self, x: np.ndarray) -> np.ndarray:
        """Limit a block ``(n, channels)`` (or ``(n,)``); returns a new array."""
        x = np.asarray(x, dtype=np.float64)
        if not x.size:
            return x.copy()
        peak = np.abs(x).reshape(len(x), -1).max(axis=1)
        with np.errstate(divide="ignore"):
            need = 1.0 - np.minimum(1.0, self.ceiling / peak)  # 1 - largest gain each sample allows
        u = np.empty(len(x))
        for s in range(0, len(x), self._CHUNK):
            w = need[s:s + self._CHUNK]
            k = np.arange(1, len(w) + 1)
            decay = self.a ** k
            # u[n] = max(need[n], a * u[n-1]) unrolled: a^n * cummax(need[j] / a^j, u_prev)
            held = np.maximum.accumulate(np.maximum(w / decay, self._u))
            u[s:s + len(w)] = np.minimum(1.0, held * decay)
            self._u = float(u[s + len(w) - 1])
        gain = 1.0 - u
        y = x * gain.reshape((-1,) + (1,) * (x.ndim - 1))
        return np.clip(y, -self.ceiling, self.ceiling)  # rounding of the gain cannot pass the ceiling
