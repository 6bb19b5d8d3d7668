"""Eye-movement label codes and run/event tables.

The codes follow the Lund 2013 and IRF datasets so that labels compare directly.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["UNDEFINED", "FIXATION", "SACCADE", "PSO", "PURSUIT", "BLINK", "LABEL_NAMES", "label_runs", "overlap_f1",
           "event_statistics",
           "EVENT_FIELDS", "events_table", "event_confidence", "event_f1", "agreement", "SCORED_CLASSES"]

UNDEFINED, FIXATION, SACCADE, PSO, PURSUIT, BLINK = 0, 1, 2, 3, 4, 5
#: Code → name.
LABEL_NAMES = {UNDEFINED: "undefined", FIXATION: "fixation", SACCADE: "saccade", PSO: "pso",
               PURSUIT: "pursuit", BLINK: "blink"}

#: Columns of an event table.
EVENT_FIELDS = ("type", "onset_s", "offset_s", "duration_s", "amplitude_deg", "peak_velocity_deg_s",
                "mean_x", "mean_y", "confidence")

#: Event confidence: a fixation or pursuit shorter than this (s) is less certain.
CONFIDENT_DURATION_S = 0.1
#: A saccade or PSO whose peak speed is this many times the preceding fixation's median speed
#: (the eye's noise just before) has confidence 0; ``+ CONTRAST_SPAN`` times, 1.
CONTRAST_FLOOR, CONTRAST_SPAN = 2.0, 8.0


def label_runs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal labels: ``(start, stop, code)`` with ``labels[start:stop] == code``."""
    labels = np.asarray(labels)
    if labels.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, labels[:0]
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [labels.size]])
    return starts, stops, labels[starts]


def event_confidence(codes: np.ndarray, duration_s: np.ndarray, measured: np.ndarray, peak: np.ndarray,
                     median_speed: np.ndarray, reference_speed: float = np.nan) -> np.ndarray:
    """How sure each event is, 0..1: the share of its samples with measured gaze times

    - a saccade or PSO: its contrast, ``(peak / reference - CONTRAST_FLOOR) / CONTRAST_SPAN``
      clipped to 0..1, where ``reference`` is the median speed of the fixation before it (the
      noise it had to rise above; ``reference_speed`` before the first fixation, 1 when unknown);
    - a fixation or pursuit: ``duration / CONFIDENT_DURATION_S``, at most 1;
    - a blink: 1; undefined: 0.

    The constants were set from the literature's typical durations and a tenfold contrast, not
    fitted; on Lund 2013 (coder RA) saccades of confidence >= 0.75 agree with the coder's class
    97 % of the time, below 0.5 under half (bench ``eyetrack.lund2013``, ``confidence_*``)."""
    out = np.zeros(len(codes))
    ref = float(reference_speed)
    for i, code in enumerate(codes.tolist()):
        if code in (SACCADE, PSO):
            contrast = 1.0
            if ref == ref and ref > 0 and peak[i] == peak[i]:
                contrast = min(max((peak[i] / ref - CONTRAST_FLOOR) / CONTRAST_SPAN, 0.0), 1.0)
            out[i] = measured[i] * contrast
        elif code in (FIXATION, PURSUIT):
            out[i] = measured[i] * min(duration_s[i] / CONFIDENT_DURATION_S, 1.0)
            if code == FIXATION and median_speed[i] == median_speed[i]:
                ref = float(median_speed[i])
        elif code == BLINK:
            out[i] = 1.0
    return out


def events_table(labels, t, x, y, speed, *, rate: float | None = None,
                 reference_speed: float = np.nan) -> dict[str, np.ndarray]:
    """Events of a labelled recording, one row per run of equal labels.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
    t : ndarray, shape (n,)
        Sample times (s).
    x, y : ndarray, shape (n,)
        Gaze (deg); NaN for loss.
    speed : ndarray, shape (n,)
        Gaze speed (deg/s).
    rate : float, optional
        Sampling rate (Hz); by default from the median time step.
    reference_speed : float
        The median speed of the last fixation before these samples (a stream's earlier
        events), for the first saccade's confidence.

    Returns
    -------
    dict of ndarray
        :data:`EVENT_FIELDS`: ``type`` (code), ``onset_s`` (first sample's time),
        ``offset_s`` (last sample's time plus one sample period), ``duration_s``,
        ``amplitude_deg`` (distance from the first to the last valid sample),
        ``peak_velocity_deg_s``, ``mean_x`` and ``mean_y`` (deg; NaN when all lost),
        ``confidence`` (:func:`event_confidence`); and ``median_speed_deg_s``.
    """
    labels = np.asarray(labels)
    t = np.asarray(t, dtype=np.float64)
    starts, stops, codes = label_runs(labels)
    if starts.size == 0:
        return {k: np.zeros(0) for k in (*EVENT_FIELDS, "median_speed_deg_s")}
    dt = 1.0 / rate if rate else (float(np.median(np.diff(t))) if t.size > 1 else 0.0)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    cnt = np.add.reduceat(ok.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.add.reduceat(np.where(ok, x, 0.0), starts) / cnt
        my = np.add.reduceat(np.where(ok, y, 0.0), starts) / cnt
    sp = np.where(np.isfinite(speed), speed, -np.inf)
    peak = np.maximum.reduceat(sp, starts)
    peak[~np.isfinite(peak)] = np.nan
    # first and last valid sample of each run
    idx = np.arange(labels.size)
    first = np.minimum.reduceat(np.where(ok, idx, labels.size), starts)
    last = np.maximum.reduceat(np.where(ok, idx, -1), starts)
    has = cnt > 0
    amp = np.full(starts.size, np.nan)
    f, la = first[has], last[has]
    amp[has] = np.hypot(x[la] - x[f], y[la] - y[f])
    onset = t[starts]
    offset = t[stops - 1] + dt
    speed = np.asarray(speed, dtype=np.float64)
    median = np.array([np.nanmedian(s) if np.isfinite(s).any() else np.nan for s in np.split(speed, starts[1:])])
    measured = cnt / (stops - starts)
    confidence = event_confidence(codes, offset - onset, measured, peak, median, reference_speed)
    return {"type": codes.astype(np.int64), "onset_s": onset, "offset_s": offset, "duration_s": offset - onset,
            "amplitude_deg": amp, "peak_velocity_deg_s": peak, "mean_x": mx, "mean_y": my,
            "confidence": confidence, "median_speed_deg_s": median}


def event_f1(true_labels, pred_labels, code: int, rate: float, tolerance_s: float = 0.02) -> dict[str, float]:
    """Event-level precision, recall and F1 of one class.

    A true event (a run of ``code``) is found when a predicted run of ``code`` overlaps
    it with both onset and offset within ``tolerance_s``; each predicted run matches at
    most one true run.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``n_true``, ``n_pred``, ``n_matched``.
    """
    t_start, t_stop = _class_runs(np.asarray(true_labels), code)
    p_start, p_stop = _class_runs(np.asarray(pred_labels), code)
    tol = tolerance_s * rate
    matched = 0
    j = 0
    used = np.zeros(p_start.size, dtype=bool)
    for a, b in zip(t_start.tolist(), t_stop.tolist(), strict=True):
        while j < p_start.size and p_stop[j] <= a:  # predicted runs wholly before this one
            j += 1
        k = j
        while k < p_start.size and p_start[k] < b:  # overlapping candidates
            if not used[k] and abs(p_start[k] - a) <= tol and abs(p_stop[k] - b) <= tol:
                used[k] = True
                matched += 1
                break
            k += 1
    prec = matched / p_start.size if p_start.size else float("nan")
    rec = matched / t_start.size if t_start.size else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "n_true": int(t_start.size), "n_pred": int(p_start.size),
            "n_matched": matched}


def overlap_f1(true_labels, pred_labels, code: int) -> dict[str, float]:
    """Event-level F1 of one class by overlap matching: a true event is a hit when the predicted
    event that overlaps it most is of the same class (each predicted event counts once).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``, ``n_true``, ``n_pred``, ``n_matched``.
    """
    true_labels, pred_labels = np.asarray(true_labels), np.asarray(pred_labels)
    t_start, t_stop = _class_runs(true_labels, code)
    p_start, p_stop, p_code = label_runs(pred_labels)
    n_pred = int(np.sum(p_code == code))
    matched = 0
    used = np.zeros(len(p_start), dtype=bool)
    for a, b in zip(t_start.tolist(), t_stop.tolist(), strict=True):
        lo = int(np.searchsorted(p_stop, a, side="right"))
        hi = int(np.searchsorted(p_start, b, side="left"))
        if hi <= lo:
            continue
        overlap = np.minimum(p_stop[lo:hi], b) - np.maximum(p_start[lo:hi], a)
        best = lo + int(np.argmax(overlap))
        if p_code[best] == code and not used[best]:
            used[best] = True
            matched += 1
    prec = matched / n_pred if n_pred else float("nan")
    rec = matched / t_start.size if t_start.size else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec + rec > 0 else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "n_true": int(t_start.size), "n_pred": n_pred,
            "n_matched": matched}


def event_statistics(labels, code: int, rate: float) -> dict[str, float]:
    """How often events of one class occur and how long they last: ``per_minute`` (events per
    minute of recording) and ``mean_duration_ms`` (NaN without events), for comparing a
    detector's events with a reference's beside F1.

    Examples
    --------
    >>> event_statistics([1, 1, 2, 2, 2, 1, 1, 2], SACCADE, rate=60.0)["per_minute"]
    900.0
    """
    labels = np.asarray(labels)
    starts, stops = _class_runs(labels, code)
    minutes = labels.size / rate / 60.0 if rate > 0 and labels.size else float("nan")
    return {"per_minute": starts.size / minutes,
            "mean_duration_ms": float(np.mean(stops - starts)) / rate * 1000.0 if starts.size else float("nan")}


def _class_runs(labels: np.ndarray, code: int) -> tuple[np.ndarray, np.ndarray]:
    starts, stops, codes = label_runs(labels)
    keep = codes == code
    return starts[keep], stops[keep]


#: The classes :func:`agreement` scores, by name.
SCORED_CLASSES = {"fixation": FIXATION, "saccade": SACCADE, "pso": PSO, "pursuit": PURSUIT}


def agreement(true_labels, pred_labels, rate: float, classes: dict[str, int] | None = None) -> dict[str, dict]:
    """How a detector's per-sample labels agree with a reference's (a coder's), per class: sample
    Cohen's kappa of the class against the rest, event F1 by overlap matching
    (:func:`overlap_f1`) and with onset and offset within 20 ms (:func:`event_f1`), and events
    per minute of each (:func:`event_statistics`): the bench's measures, which ``sensekit
    eyetrack events`` prints for a file with hand labels. A class neither labels holds is left
    out.

    Returns
    -------
    dict
        Class name -> ``kappa``, ``f1_overlap``, ``f1_20ms``, ``events_per_min``,
        ``events_per_min_ref``.
    """
    from ..learn.metrics import cohen_kappa

    truth, pred = np.asarray(true_labels), np.asarray(pred_labels)
    if truth.shape != pred.shape:
        raise ParameterError(f"{truth.size} reference labels for {pred.size} samples")
    out = {}
    for name, code in (classes or SCORED_CLASSES).items():
        t, p = truth == code, pred == code
        if not (t.any() or p.any()):
            continue
        out[name] = {"kappa": cohen_kappa(t, p), "f1_overlap": overlap_f1(truth, pred, code)["f1"],
                     "f1_20ms": event_f1(truth, pred, code, rate, tolerance_s=0.02)["f1"],
                     "events_per_min": event_statistics(pred, code, rate)["per_minute"],
                     "events_per_min_ref": event_statistics(truth, code, rate)["per_minute"]}
    return out
