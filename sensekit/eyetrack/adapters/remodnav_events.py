"""REMoDNaV as a peer: per-sample labels (Lund codes) of gaze recordings.

Inputs: ``x``, ``y`` (px, NaN for loss; all recordings concatenated), ``lengths`` (samples
per recording), ``px2deg``, ``rate``, ``repeat`` (at least this many passes over all
recordings, default 3) and ``min_total_s`` (and at least this long in all, default 0.5 s:
the rule sensekit's own timing follows). Returns ``labels`` and ``s`` (seconds spent in
preprocessing and classification of all recordings: the best pass).

REMoDNaV's Savitzky-Golay filter must span an odd number of samples, at least 3; where its
default length (19 ms) rounds down to an even number (250 Hz: 4), the next odd number is used
(5: 20 ms), as its error message asks.
"""

import time
import warnings

import numpy as np

_CODES = {"FIXA": 1, "SACC": 2, "ISAC": 2, "HPSO": 3, "IHPS": 3, "LPSO": 3, "ILPS": 3, "PURS": 4}


def run(inputs):
    from remodnav.clf import EyegazeClassifier

    x, y = np.asarray(inputs["x"], float), np.asarray(inputs["y"], float)
    lengths = np.asarray(inputs["lengths"], int)
    px2deg, rate = float(inputs["px2deg"]), float(inputs["rate"])
    span = int(0.019 * rate)  # (REMoDNaV's default savgol_length, in samples as it rounds it)
    span = max(3, span + 1 if span % 2 == 0 else span)
    savgol = {} if span == int(0.019 * rate) else {"savgol_length": (span + 0.5) / rate}
    out = np.zeros(x.size, dtype=np.int8)
    best = float("inf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import logging

        logging.getLogger("remodnav").setLevel(logging.ERROR)
        passes, total = 0, 0.0
        while passes < int(inputs.get("repeat", 3)) or total < float(inputs.get("min_total_s", 0.5)):
            spent, start = 0.0, 0
            for n in lengths.tolist():
                data = np.rec.fromarrays([x[start : start + n], y[start : start + n]], names="x,y")
                t = time.perf_counter()
                clf = EyegazeClassifier(px2deg=px2deg, sampling_rate=rate)
                events = clf(clf.preproc(data, **savgol))
                spent += time.perf_counter() - t
                lab = np.zeros(n, dtype=np.int8)
                for ev in events:
                    code = _CODES.get(ev["label"])
                    if code:
                        lab[int(ev["start_time"] * rate) : int(ev["end_time"] * rate)] = code
                out[start : start + n] = lab
                start += n
            best, passes, total = min(best, spent), passes + 1, total + spent
    return {"labels": out.tolist(), "s": best}
