"""Binaural room impulse responses: image-source early reflections through HRTFs, and a
feedback-delay-network late reverberation with a target RT60 per octave band.

:func:`binaural_room_ir` builds the response from a source to a listener's ears in a
shoebox room:

- **early**: every image source up to ``max_order`` reflections, rendered through the
  HRTF of its direction (relative to the head), delayed by its distance, attenuated by
  1/distance and by the walls' reflection coefficient per octave band
  (``sqrt(1 - α_b)`` per reflection, ``α_b`` from Sabine's formula for that band's RT60);
- **late**: a feedback delay network (``lines`` delay lines of mutually prime lengths, a
  Hadamard feedback matrix, per-line gains that give each band its RT60), run per
  octave band, two decorrelated output mixes for the ears, started at the mixing time
  with a 10 ms fade-in and scaled so that its energy continues the diffuse field's
  (Sabine: reverberant/direct energy (r/r_c)², r_c = 0.057 √(V/T));
- bands are split with complementary raised-cosine crossovers, a quarter octave wide at
  the midpoints between centres (they sum to one).

:func:`schroeder_rt60` measures T20/T30 per octave band on the result.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from .arrays import SPEED_OF_SOUND
from .hrtf import HRTF
from .scene import head_rotation

__all__ = ["OCTAVE_BANDS", "band_weights", "binaural_room_ir", "fdn_impulse_response", "schroeder_rt60",
           "rt60_per_band"]

#: Octave-band centres (Hz).
OCTAVE_BANDS = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)


def band_weights(freqs: np.ndarray, centres=OCTAVE_BANDS, transition: float = 0.25) -> np.ndarray:
    """Complementary band weights (B, F): each band is flat around its centre, with
    raised-cosine crossovers ``transition`` octaves wide at the geometric midpoints
    between centres (flat beyond the outer centres); they sum to 1 at every frequency."""
    c = np.log2(np.asarray(centres, dtype=float))
    lf = np.log2(np.maximum(freqs, 1e-6))
    edges = 0.5 * (c[1:] + c[:-1])  # crossovers
    # the share of the band above each crossover
    up = [np.clip((lf - e) / transition + 0.5, 0, 1) for e in edges]
    up = [0.5 - 0.5 * np.cos(np.pi * u) for u in up]
    w = np.zeros((len(c), len(freqs)))
    for k in range(len(c)):
        lo = up[k - 1] if k > 0 else np.ones_like(lf)
        hi = 1 - up[k] if k < len(edges) else np.ones_like(lf)
        w[k] = lo * hi
    return w / w.sum(axis=0, keepdims=True)


def rt60_per_band(rt60) -> np.ndarray:
    """RT60 per octave band from a number or a sequence of 7 numbers (s)."""
    r = np.broadcast_to(np.asarray(rt60, dtype=float), (len(OCTAVE_BANDS),)).copy()
    if not (r > 0).all():
        raise ParameterError(f"rt60 must be > 0 s in every band, got {r.tolist()}")
    return r


def _primes_near(targets: np.ndarray) -> np.ndarray:
    out = []
    for t in targets.astype(int):
        k = max(int(t), 2)
        while any(k % p == 0 for p in range(2, int(k ** 0.5) + 1)) or k in out:
            k += 1
        out.append(k)
    return np.array(out)


def _feedback_matrix(n: int) -> np.ndarray:
    """An orthogonal, dense mixing matrix: normalised Hadamard when n is a power of two,
    else Householder."""
    if n & (n - 1) == 0:
        from scipy.linalg import hadamard

        return hadamard(n) / np.sqrt(n)
    return np.eye(n) - 2.0 / n


def fdn_impulse_response(rt60: float, fs: float, n: int, *, lines: int = 16, rng=None,
                         delays: np.ndarray | None = None) -> np.ndarray:
    """Impulse response (2, n) of a lossy feedback delay network with a uniform decay to
    −60 dB in ``rt60`` s: Hadamard feedback (Householder when ``lines`` is not a power of
    two), prime delay lengths of 20–45 ms, two random ±1 output mixes (left, right)."""
    rng = np.random.default_rng(rng)
    m = delays if delays is not None else _primes_near(np.geomspace(0.020, 0.045, lines) * fs)
    lines = len(m)
    g = 10 ** (-3 * m / (fs * rt60))  # per-line attenuation: -60 dB after rt60 seconds of travel
    A = _feedback_matrix(lines)
    b = rng.choice([-1.0, 1.0], lines)
    c = rng.choice([-1.0, 1.0], (2, lines))
    c[1] *= np.where(np.arange(lines) % 2 == 0, 1.0, -1.0)  # decorrelate the ears
    s = np.zeros((lines, n + m.max()))  # the delay lines' inputs
    y = np.zeros((lines, n))
    s[:, 0] = b  # the impulse enters every line at t = 0
    step = int(m.min())
    for n0 in range(0, n, step):
        n1 = min(n0 + step, n)
        for i in range(lines):
            lo = n0 - m[i]
            if n1 - m[i] > 0:
                a0 = max(lo, 0)
                y[i, a0 + m[i] : n1] = s[i, a0 : n1 - m[i]]
        s[:, n0:n1] += A @ (g[:, None] * y[:, n0:n1])
    return (c @ (g[:, None] * y)) / np.sqrt(lines)


def binaural_room_ir(room_size, source, listener, hrtf: HRTF, *, rt60=0.4, max_order: int = 3,
                     yaw_deg: float = 0.0, length_s: float | None = None, lines: int = 16,
                     mixing_time_s: float | None = None, c: float = SPEED_OF_SOUND, rng=0) -> np.ndarray:
    """Binaural impulse response (2, L) of ``source`` heard at ``listener`` (positions in
    metres in a room spanning [0, room_size]), head turned by ``yaw_deg``.

    ``rt60`` is one value or one per band of :data:`OCTAVE_BANDS`. The direct sound has
    amplitude 1/distance (1 at 1 m).
    """
    from .room import ShoeboxRoom

    fs = hrtf.rate
    rts = rt60_per_band(rt60)
    size = np.asarray(room_size, dtype=float)
    room = ShoeboxRoom(tuple(size), rt60=float(np.median(rts)), max_order=max_order, c=c)  # checks the geometry
    src = room.check_inside(source, "source")[0]
    lis = room.check_inside(listener, "listener")[0]
    volume, surface = np.prod(size), 2 * (size[0] * size[1] + size[0] * size[2] + size[1] * size[2])
    alpha = 0.161 * volume / (surface * rts)
    if (alpha >= 1).any():
        raise ParameterError(f"RT60 {rts.min():g} s is too short for a {'x'.join(f'{v:g}' for v in size)} m room",
                             "give a longer RT60 or a larger room")
    beta = np.sqrt(1 - alpha)  # (B,)
    length = length_s if length_s is not None else 1.2 * float(rts.max())
    n = int(length * fs)
    nfft = int(2 ** np.ceil(np.log2(n + hrtf.n_taps + 1)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    W = band_weights(f)  # (B, F)
    # early part: image sources through the HRTF
    pos, order = room._images(src)
    rel = (pos - lis) @ head_rotation(yaw_deg)  # world → head frame
    d = np.linalg.norm(rel, axis=1)
    az = np.degrees(np.arctan2(rel[:, 1], rel[:, 0])) % 360
    el = np.degrees(np.arcsin(np.clip(rel[:, 2] / d, -1, 1)))
    H = np.fft.rfft(hrtf.interpolate(az, el), nfft, axis=2)  # (I, 2, F)
    gain = (beta[None, :] ** order[:, None]) @ W / d[:, None]  # (I, F)
    phase = np.exp(-2j * np.pi * f[None, :] * (d / c)[:, None])
    spec = np.einsum("ief,if->ef", H, gain * phase)
    early = np.fft.irfft(spec, nfft, axis=1)[:, :n]
    # late part: per-band FDN, level from the diffuse field, from the mixing time
    t_mix = mixing_time_s if mixing_time_s is not None else 0.002 * np.sqrt(volume) * 1.0 + d.min() / c
    i_mix = int(t_mix * fs)
    t = np.arange(n) / fs
    late = np.zeros((2, nfft // 2 + 1), dtype=complex)
    for b, rt in enumerate(rts):
        r_c = 0.057 * np.sqrt(volume / rt)
        # per-sample energy of the diffuse decay that integrates to (1/r_c)^2 from the direct arrival on
        e0 = (1.0 / r_c) ** 2 * 13.8155 / (rt * fs)
        tail = fdn_impulse_response(rt, fs, n, lines=lines, rng=np.random.default_rng(rng).integers(1 << 31) + b)
        env = np.exp(-6.9078 * (t - d.min() / c) / rt)
        # normalise the FDN's own envelope to the target
        ref = np.sqrt(np.mean(tail[:, i_mix : i_mix + int(0.05 * fs)] ** 2)) + 1e-30
        tail = tail / ref * np.sqrt(e0) * env[i_mix]
        ramp = np.clip((np.arange(n) - i_mix) / max(int(0.01 * fs), 1), 0, 1)
        late += np.fft.rfft(tail * ramp, nfft, axis=1) * W[b]
    late_t = np.fft.irfft(late, nfft, axis=1)[:, :n]
    return early + late_t


def schroeder_rt60(ir: np.ndarray, fs: float, *, band: float | None = None, decay_db: float = 30.0) -> float:
    """RT60 (s) from the Schroeder backward integral of ``ir`` — (n,), or (channels, n)
    whose energies are summed (both ears of a binaural response) — optionally in the
    octave band centred at ``band`` (Hz): a line fitted between −5 and −(5 + decay_db) dB
    (T30 by default, T20 with 20), extrapolated to −60 dB."""
    x = np.atleast_2d(np.asarray(ir, dtype=float))
    if band is not None:
        from scipy.signal import butter, sosfiltfilt

        lo, hi = band / np.sqrt(2), min(band * np.sqrt(2), 0.45 * fs)
        x = sosfiltfilt(butter(4, [lo, hi], btype="bandpass", fs=fs, output="sos"), x, axis=1)
    e = np.cumsum((x ** 2).sum(axis=0)[::-1])[::-1]
    level = 10 * np.log10(np.maximum(e / e[0], 1e-30))
    i0 = int(np.argmax(level <= -5.0))
    i1 = int(np.argmax(level <= -5.0 - decay_db))
    if i1 <= i0:
        return float("nan")
    k = np.arange(i0, i1)
    slope = np.polyfit(k / fs, level[i0:i1], 1)[0]
    return float(-60.0 / slope)
