"""Pupil Labs' ``pupil-detectors`` Detector2D as a peer: centres and confidence per image.

Inputs: ``images`` (n, h, w) uint8. Returns ``centre`` (n, 2; NaN where confidence is
0), ``confidence`` (n,), ``s_per_frame``.
"""

import time

import numpy as np


def run(inputs):
    from pupil_detectors import Detector2D

    images = inputs["images"]
    det = Detector2D()
    det.detect(np.ascontiguousarray(images[0]))  # warm-up
    centre = np.full((len(images), 2), np.nan)
    conf = np.zeros(len(images))
    t = time.perf_counter()
    results = [det.detect(np.ascontiguousarray(img)) for img in images]
    dt = (time.perf_counter() - t) / len(images)
    for i, r in enumerate(results):
        conf[i] = r["confidence"]
        if r["confidence"] > 0:
            centre[i] = r["ellipse"]["center"]
    return {"centre": centre.tolist(), "confidence": conf.tolist(), "s_per_frame": dt}
