"""Synthetic signals with known content: sines and noise; chains register their simulators."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Iterator

import numpy as np

from ...errors import ParameterError, SensekitError, SourceStringError
from ..checks import check_option, check_scalar
from ..frame import Frame
from ..info import StreamInfo
from ..registry import register_synth, resolve, synth_entries
from .base import Source

__all__ = ["SynthSource", "synth_source"]

#: The simulator's limits: faster or wider than any sensor (a typo like 1e20 Hz would spin forever).
MAX_SYNTH_RATE, MAX_SYNTH_CHANNELS = 10e6, 4096


class SynthSource(Source):
    """Sine waves or Gaussian noise, generated block by block (deterministic for a seed).

    Parameters
    ----------
    signal : {"sine", "noise"}
        Sine: channel ``c`` is ``amplitude * sin(2 pi (freq_hz * (c + 1)) t)``.
        Noise: white Gaussian noise of standard deviation ``amplitude``.
    rate : float
        Sampling rate in Hz.
    channels : int
        Number of channels.
    block_size : int
        Samples per frame.
    duration_s : float or None
        Length of the stream; ``None`` for endless.
    freq_hz, amplitude : float
        Sine frequency of channel 0 and amplitude.
    kind, unit : str
        Stream kind and unit.
    seed : int
        Noise seed.
    realtime : bool
        Deliver blocks at the stream's pace, like a device, instead of at once.
    """

    def __init__(self, signal: str = "sine", *, rate: float = 1000.0, channels: int = 1, block_size: int = 100,
                 duration_s: float | None = 10.0, freq_hz: float = 10.0, amplitude: float = 1.0,
                 kind: str = "signal", unit: str = "", seed: int = 0, realtime: bool = False) -> None:
        check_option(signal, "signal", ("sine", "noise"))
        check_scalar(rate, "rate", min_value=0, include_min=False, max_value=MAX_SYNTH_RATE)
        check_scalar(channels, "channels", kind=int, min_value=1, max_value=MAX_SYNTH_CHANNELS)
        check_scalar(block_size, "block_size", kind=int, min_value=1)
        if duration_s is not None:
            check_scalar(duration_s, "duration_s", min_value=0, max_value=1e9)
        check_scalar(freq_hz, "freq_hz", min_value=0, max_value=rate / 2)  # (above Nyquist it aliases)
        check_scalar(amplitude, "amplitude", min_value=-1e6, max_value=1e6)
        self.signal, self.rate, self.block_size = signal, float(rate), block_size
        self.duration_s, self.freq_hz, self.amplitude, self.seed = duration_s, freq_hz, amplitude, seed
        self.realtime = realtime
        self.info = StreamInfo(name=f"synth-{signal}", kind=kind, rate=self.rate, shape=(channels,),
                               dtype="float64", unit=unit, meta={"synth": signal, "freq_hz": freq_hz})
        self.description = f"synth:{signal}"

    def _frames(self) -> Iterator[Frame]:
        rng = np.random.default_rng(self.seed)
        total = None if self.duration_s is None else int(round(self.duration_s * self.rate))
        n_ch = self.info.shape[0]
        freqs = self.freq_hz * np.arange(1, n_ch + 1)
        i = seq = 0
        wall0 = time.monotonic()
        while total is None or i < total:
            n = self.block_size if total is None else min(self.block_size, total - i)
            if self.signal == "sine":
                t = (i + np.arange(n))[:, None] / self.rate
                data = self.amplitude * np.sin(2 * np.pi * freqs[None, :] * t)
            else:
                data = self.amplitude * rng.standard_normal((n, n_ch))
            if self.realtime:
                delay = wall0 + (i + n) / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield Frame(self.info, data, t0=i / self.rate, seq=seq)
            i += n
            seq += 1


register_synth("sine", SynthSource, "sine waves (rate, channels, freq_hz options)")
register_synth("noise", functools.partial(SynthSource, "noise"), "white Gaussian noise")


def _option_names(factory) -> list[str]:
    """A simulator's options as a source string spells them (``duration`` for ``duration_s``)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "signal"]
    return ["duration" if n == "duration_s" else n for n in names]


def synth_source(name: str, /, **options) -> Source:
    """Build the ``synth:NAME`` source with keyword options (rate, channels, ...)."""
    entries = synth_entries()
    if name not in entries:
        raise SourceStringError(f"unknown simulator 'synth:{name}'", f"use one of: synth:{', synth:'.join(entries)}")
    factory = resolve(entries[name].factory)
    try:
        return factory(**options)
    except SensekitError:
        raise
    except TypeError as e:
        if "unexpected keyword" in str(e):
            bad = str(e).rsplit(" ", 1)[-1].strip(chr(39))
            known = _option_names(factory)
            raise ParameterError(f"unknown option {bad!r} for synth:{name}",
                                 f"its options are {', '.join(known)}" if known else
                                 "see the simulator's parameters in its docstring") from None
        raise ParameterError(f"synth:{name}: {e}") from None
    except ValueError as e:  # an option that is not a number ('seed=abc')
        raise ParameterError(f"synth:{name}: {e}", "options are key=value, numbers where numbers are meant") from None
