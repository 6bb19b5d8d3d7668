"""pyroomacoustics' DOA estimators as a peer, on the signals sensekit used.

Inputs: ``x`` (trials, n, M) microphone signals, ``mics`` (3, M) positions (m), ``fs``,
``nfft``, ``num_src``, ``freq_lo``/``freq_hi`` (Hz), ``methods`` (comma-separated names of
``pra.doa.algorithms``). Returns, per method, ``azimuths`` (trials × num_src, deg) and
``ms_per_call`` (median time of ``locate_sources``, STFT excluded).
"""

import time

import numpy as np


def run(inputs):
    import pyroomacoustics as pra

    x = np.asarray(inputs["x"], dtype=np.float64)
    mics = np.asarray(inputs["mics"], dtype=np.float64)
    fs, nfft, k = float(inputs["fs"]), int(inputs["nfft"]), int(inputs["num_src"])
    band = [float(inputs["freq_lo"]), float(inputs["freq_hi"])]
    methods = str(inputs["methods"]).split(",")
    out = {}
    stfts = [pra.transform.stft.analysis(trial, nfft, nfft // 2).transpose([2, 1, 0]) for trial in x]
    for name in methods:
        az, times = [], []
        for X in stfts:
            doa = pra.doa.algorithms[name](mics, fs, nfft, c=343.0, num_src=k)
            t = time.perf_counter()
            doa.locate_sources(X, freq_range=band)
            times.append(time.perf_counter() - t)
            est = np.degrees(np.asarray(doa.azimuth_recon, dtype=float)) % 360
            est = np.concatenate([est, np.full(max(k - est.size, 0), np.nan)])[:k]
            az.append(est.tolist())
        out[name] = {"azimuths": az, "ms_per_call": float(np.median(times) * 1e3)}
    return out
