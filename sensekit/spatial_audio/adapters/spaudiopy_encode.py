"""spaudiopy's spherical-array encoder as a peer: the spherical-harmonic transform of the
microphone signals (least squares at the capsules' directions, ``sph.sh_matrix``) followed by
radial filters that invert ``sph.mode_strength`` with Tikhonov regularisation.

Inputs: ``x`` (trials, n, M) signals, ``azi``/``zen`` (M,) capsule directions (rad), ``radius``
(m), ``fs``, ``order``, ``rigid`` (1/0), ``reg`` (the regularisation, relative). Returns
``b`` (trials, n, Q) in spaudiopy's real SH (orthonormal, ACN) and ``seconds``.
"""

import time

import numpy as np


def run(inputs):
    import spaudiopy as spa

    x = np.asarray(inputs["x"], dtype=np.float64)
    azi, zen = np.asarray(inputs["azi"], dtype=float), np.asarray(inputs["zen"], dtype=float)
    r, fs, order = float(inputs["radius"]), float(inputs["fs"]), int(inputs["order"])
    kind = "rigid" if int(inputs["rigid"]) else "open"
    reg = float(inputs["reg"])
    t = time.perf_counter()
    Y = spa.sph.sh_matrix(order, azi, zen, "real")  # (M, Q)
    pinv = np.linalg.pinv(Y)  # (Q, M)
    n = x.shape[1]
    nfft = int(2 ** np.ceil(np.log2(n)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    kr = np.maximum(2 * np.pi * f / 343.0 * r, 1e-6)
    orders = np.concatenate([[k] * (2 * k + 1) for k in range(order + 1)])
    b_n = np.stack([spa.sph.mode_strength(k, kr, kind) for k in range(order + 1)])  # (N+1, F)
    w = np.conj(b_n) / (np.abs(b_n) ** 2 + reg * np.max(np.abs(b_n) ** 2, axis=0))
    out = []
    for trial in x:
        P = np.fft.rfft(trial, nfft, axis=0)  # (F, M)
        S = P @ pinv.T  # (F, Q)
        B = S * w[orders].T
        out.append(np.fft.irfft(B, nfft, axis=0)[:n])
    return {"b": np.asarray(out).tolist(), "seconds": time.perf_counter() - t}
