"""Binaural rendering: N mono sources at (moving) positions → two ears.

:class:`BinauralRenderer` is a stage on a multichannel audio stream (one channel per
source) that outputs left/right:

- uniformly partitioned overlap-save convolution in the frequency domain (partitions of
  ``block`` samples), so that the latency is one block and the cost per block grows with
  ``taps / block`` partitions, not with the taps themselves;
- every block, each source's direction relative to the head (from a :class:`Scene`) is
  looked up; a source that moved more than ``update_deg`` gets a new filter
  (interpolated HRIR × distance gain), and its old and new outputs are cross-faded over
  the block, so that filter switches make no clicks;
- distance attenuation ``min_distance / max(d, min_distance)`` (1 at and inside
  ``min_distance``).

Blocks are fixed sample indices of the stream, so the output never depends on how the
input was cut; a moving scene's output equals a whole-signal reference that switches
filters at the same block boundaries.
"""

from __future__ import annotations

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.stage import Stage
from ..core.units import full_scale
from ..errors import ParameterError, StreamFormatError
from .hrtf import HRTF, _fractional_delay, spherical_head
from .scene import Scene

__all__ = ["BinauralRenderer", "BlockRenderer", "partitions"]

#: An input sample this far over its stream's full scale is not audio but a broken or misread
#: file (it would overflow the FFTs into NaN); refused by name.
NOT_AUDIO_DB_OVER_FULL_SCALE = 120


def partitions(ir: np.ndarray, block: int) -> np.ndarray:
    """Spectra (..., P, block + 1) of ``ir`` (..., N) cut into P partitions of ``block``
    taps, each zero-padded to 2 × block."""
    n = ir.shape[-1]
    p = int(np.ceil(n / block))
    padded = np.zeros((*ir.shape[:-1], p * block))
    padded[..., :n] = ir
    parts = padded.reshape(*ir.shape[:-1], p, block)
    return np.fft.rfft(parts, 2 * block, axis=-1)


def refuse_not_audio(x: np.ndarray, info: StreamInfo, where: str, when: str = "") -> None:
    """Raise :class:`ParameterError` when a sample of ``x`` (of stream ``info``) lies more than
    :data:`NOT_AUDIO_DB_OVER_FULL_SCALE` over its :func:`~sensekit.core.units.full_scale`: a
    broken or misread file, not audio. ``where`` names it in the error, ``when`` (e.g. " at t =
    1.000 s") follows its peak."""
    peak = float(np.nanmax(np.abs(x), initial=0.0))
    if peak > full_scale(info) * 10 ** (NOT_AUDIO_DB_OVER_FULL_SCALE / 20):
        raise ParameterError(f"{where} reaches {peak:.3g}{when}, over {NOT_AUDIO_DB_OVER_FULL_SCALE} dB above its full "
                             "scale: not audio", "check the file's format and scaling (float audio lies within about +-1)")


class BlockRenderer(Stage):
    """Base of the renderers: cuts the input into blocks of ``self.block`` samples at fixed
    stream indices, refuses NaN, and renders what is held at :meth:`flush`. Subclasses set
    ``self._t0``, ``self._k`` (blocks done) and ``self._pending`` in ``_reset`` and
    implement ``_render_block(x (block, channels)) -> (block, 2)``."""

    def _render_block(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _open_scene(self, info: StreamInfo) -> HRTF:
        """The checks every renderer makes of its input and of ``self.block`` and
        ``self.scene``; sets ``self._chans`` (the input channel of each source) and
        ``self._fade`` (the cross-fade ramp over a block), and returns
        ``self.hrtf`` (the spherical head when None) at the stream's rate."""
        check_stream(info, type(self).__name__, regular=True, ndim=1, dtype_kinds="fiu")
        check_scalar(self.block, "block", kind=int, min_value=16, max_value=1 << 20)
        chans = self.scene.channels
        bad = [c for c in chans if not 0 <= c < info.shape[0]]
        if bad:
            raise StreamFormatError(f"the scene plays input channel {bad[0]} but stream {info.name!r} has "
                                    f"{info.shape[0]} channels", "give one input channel per scene source")
        self._chans = np.asarray(chans)
        self._fade = (np.arange(self.block) + 0.5) / self.block
        return (self.hrtf if self.hrtf is not None else spherical_head(info.rate)).resample(info.rate)

    def _run(self, data: np.ndarray, seq: int) -> Frame | None:
        self._pending = np.concatenate([self._pending, data])
        nb = self._pending.shape[0] // self.block
        if nb == 0:
            return None
        start = self._k
        out = np.concatenate([self._render_block(self._pending[i * self.block : (i + 1) * self.block])
                              for i in range(nb)])
        self._pending = self._pending[nb * self.block :]
        t0 = self._t0 + start * self.block / self.input_info.rate
        return Frame._trusted(self.output_info, out, t0, None, seq)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if self._t0 is None:
            self._t0 = frame.t0
        x = np.asarray(frame.data, dtype=np.float64)
        if not np.isfinite(x).all():
            raise ParameterError(f"stream {self.input_info.name!r} has NaN or inf samples at t = {frame.t0:.3f} s; "
                                 "the renderer will not turn them into noise", "clean the input (or replace NaN by 0)")
        refuse_not_audio(x, self.input_info, f"stream {self.input_info.name!r}", f" at t = {frame.t0:.3f} s")
        return self._run(x, frame.seq)

    def _flush(self) -> Frame | None:
        held = self._pending.shape[0]
        if self._t0 is None or held == 0:
            return None
        out = self._run(np.zeros((self.block - held, self.input_info.shape[0])), self._k + 1)
        return Frame._trusted(self.output_info, out.data[:held], out.t0, None, out.seq)


class PartitionedFIR(BlockRenderer):
    """A block renderer whose work is one fixed multichannel FIR: filters ``(inputs, outputs,
    N)`` run as a uniformly partitioned convolution (the Ambisonic encoder and both Ambisonic
    decoders). Latency: one block plus the filters' own delay."""

    def _set_filters(self, h: np.ndarray, delay: int) -> None:
        """Filters ``(inputs, outputs, N)`` and their delay (samples)."""
        self._delay = int(delay)
        self._H = partitions(h, self.block)  # (I, O, P, F)

    @property
    def latency_s(self) -> float:
        if self.input_info is None:
            return 0.0
        return (self.block + self._delay) / self.input_info.rate

    def _reset_filters(self) -> None:
        i, p, f = self._H.shape[0], self._H.shape[2], self.block + 1
        self._fdl = np.zeros((i, p, f), dtype=complex)
        self._prev = np.zeros((i, self.block))
        self._pending = np.zeros((0, self.input_info.shape[0]))
        self._k = 0
        self._t0 = None

    def _convolve(self, b: np.ndarray) -> np.ndarray:
        """One block ``b`` (inputs, B) through the filters: the block's (B, outputs) output."""
        spec = np.fft.rfft(np.concatenate([self._prev, b], axis=1), axis=1)
        self._prev = b
        self._fdl = np.roll(self._fdl, 1, axis=1)
        self._fdl[:, 0] = spec
        y = np.einsum("ipf,iopf->of", self._fdl, self._H)
        self._k += 1
        return np.fft.irfft(y, 2 * self.block, axis=1)[:, self.block:].T


class BinauralRenderer(BlockRenderer):
    """Mono sources → binaural stereo through HRTFs.

    Parameters
    ----------
    scene : Scene
        Source positions (and head orientation) over time; one source per input channel
        listed in it.
    hrtf : HRTF, optional
        Resampled to the stream's rate at ``open``; default :func:`spherical_head`.
    block : int
        Partition and processing block (samples): the latency.
    update_deg : float
        A source's filter is replaced when its direction moved more than this.
    crossfade : bool
        Cross-fade old and new filters over a block when they change (else switch).
    distance_gain : bool
        Attenuate with distance beyond ``min_distance``.
    min_distance : float
        Metres.
    propagation_delay : bool
        Delay each source by its distance beyond ``min_distance`` (/ 343 m/s), put into its
        filter; a moving source's changing delay, cross-faded block by block, gives an
        approximate Doppler shift.
    brirs : ndarray (S, 2, L), optional
        Fixed binaural room responses per source (from
        :func:`~sensekit.spatial_audio.reverb.binaural_room_ir`), used instead of HRTF
        lookups: a static scene in a room.

    Notes
    -----
    Output: a 2-channel ``audio`` stream (``left``, ``right``), sample for sample with
    the input (the same times), available ``block`` samples later (:attr:`latency_s`);
    :meth:`flush` renders the samples still held.
    """

    def __init__(self, scene: Scene, hrtf: HRTF | None = None, *, block: int = 256, update_deg: float = 1.0,
                 crossfade: bool = True, distance_gain: bool = True, min_distance: float = 1.0,
                 propagation_delay: bool = False, brirs: np.ndarray | None = None) -> None:
        self.scene = scene
        self.hrtf = hrtf
        self.block = block
        self.update_deg = update_deg
        self.crossfade = crossfade
        self.distance_gain = distance_gain
        self.min_distance = min_distance
        self.propagation_delay = propagation_delay
        self.brirs = brirs

    def _open(self, info: StreamInfo) -> StreamInfo:
        self._hrtf = self._open_scene(info)
        if self.brirs is not None:
            b = np.asarray(self.brirs, dtype=np.float64)
            if b.ndim != 3 or b.shape[:2] != (len(self._chans), 2):
                raise ParameterError(f"brirs must be (sources={len(self._chans)}, 2, taps), got {b.shape}")
            self._brir_parts = partitions(b, self.block)
            self._p = self._brir_parts.shape[2]
        else:
            self._max_delay = 0
            if self.propagation_delay:
                far = max(float(src.keyframes[:, 3].max()) for src in self.scene.sources)
                self._max_delay = int(np.ceil(max(far - self.min_distance, 0.0) / 343.0 * info.rate)) + 1
            self._p = int(np.ceil((self._hrtf.n_taps + self._max_delay) / self.block))
        return StreamInfo(info.name, "audio", info.rate, (2,), channels=("left", "right"), dtype="float64",
                          unit=info.unit, meta={**dict(info.meta), "binaural": True})

    @property
    def latency_s(self) -> float:
        return self.block / self.input_info.rate if self.input_info is not None else 0.0

    def _reset(self) -> None:
        s = len(self._chans)
        f = self.block + 1
        self._fdl = np.zeros((s, self._p, f), dtype=complex)  # input spectra, newest first
        self._prev = np.zeros((s, self.block))  # the previous input block (overlap-save)
        self._H = None  # (S, 2, P, F)
        self._dirs = None
        self._pending = np.zeros((0, self.input_info.shape[0]))
        self._k = 0  # blocks rendered
        self._t0 = None

    def _filters(self, az, el, dist) -> np.ndarray:
        ir = self._hrtf.interpolate(az, el)  # (S, 2, N)
        if self.distance_gain:
            ir = ir * (self.min_distance / np.maximum(dist, self.min_distance))[:, None, None]
        if self._max_delay:
            ir = np.concatenate([ir, np.zeros((*ir.shape[:2], self._max_delay))], axis=2)
            delay = np.maximum(dist - self.min_distance, 0.0) / 343.0 * self.input_info.rate
            ir = _fractional_delay(ir, np.repeat(delay[:, None], 2, axis=1))
        return partitions(ir, self.block)

    def _render_block(self, x: np.ndarray) -> np.ndarray:
        """One block (B, channels) in → (B, 2) out."""
        t = self._t0 + (self._k + 0.5) * self.block / self.input_info.rate  # the block's centre
        az, el, dist = self.scene.relative(t)
        src = x[:, self._chans].T  # (S, B)
        spec = np.fft.rfft(np.concatenate([self._prev, src], axis=1), axis=1)  # (S, F)
        self._prev = src
        self._fdl = np.roll(self._fdl, 1, axis=1)
        self._fdl[:, 0] = spec
        if self.brirs is not None:
            if self._H is None:
                self._H = self._brir_parts
            changed = np.zeros(len(az), dtype=bool)
        elif self._H is None:
            self._H = self._filters(az, el, dist)
            self._dirs = (az, el, dist)
            changed = np.zeros(len(az), dtype=bool)
        else:
            a0, e0, d0 = self._dirs
            from .arrays import unit_vector

            cosang = np.einsum("si,si->s", unit_vector(az, el), unit_vector(a0, e0))
            moved = np.degrees(np.arccos(np.clip(cosang, -1, 1)))
            changed = (moved > self.update_deg) | (np.abs(dist - d0) > 0.01 * np.maximum(d0, 0.1))
        Y = np.einsum("spf,sepf->ef", self._fdl, self._H)
        y = np.fft.irfft(Y, 2 * self.block, axis=1)[:, self.block :]
        if changed.any():
            idx = np.flatnonzero(changed)
            H_new = self._filters(az[idx], el[idx], dist[idx])
            d_new = np.einsum("spf,sepf->ef", self._fdl[idx], H_new - self._H[idx])
            dy = np.fft.irfft(d_new, 2 * self.block, axis=1)[:, self.block :]
            y = y + (dy * self._fade if self.crossfade else dy)
            self._H[idx] = H_new
            a0, e0, d0 = self._dirs
            a0, e0, d0 = a0.copy(), e0.copy(), d0.copy()
            a0[idx], e0[idx], d0[idx] = az[idx], el[idx], dist[idx]
            self._dirs = (a0, e0, d0)
        self._k += 1
        return y.T
