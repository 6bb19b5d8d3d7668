"""pyroomacoustics' shoebox room (image sources, Sabine absorption) as a peer: room impulse
responses at two ear-spaced microphones, and the time to compute them.

Inputs: ``size`` (3,), ``rt60``, ``fs``, ``source`` (3,), ``mics`` (3, 2). Returns ``rir``
(2, n) and ``s`` (seconds in ``compute_rir``).
"""

import time

import numpy as np


def run(inputs):
    import pyroomacoustics as pra

    size = [float(v) for v in inputs["size"]]
    rt60, fs = float(inputs["rt60"]), int(inputs["fs"])
    e_abs, max_order = pra.inverse_sabine(rt60, size)
    room = pra.ShoeBox(size, fs=fs, materials=pra.Material(e_abs), max_order=max_order)
    room.add_source(np.asarray(inputs["source"], dtype=float).tolist())
    room.add_microphone_array(np.asarray(inputs["mics"], dtype=float))
    t = time.perf_counter()
    room.compute_rir()
    spent = time.perf_counter() - t
    n = min(len(r[0]) for r in room.rir)
    return {"rir": np.array([r[0][:n] for r in room.rir]).tolist(), "s": spent, "max_order": int(max_order)}
