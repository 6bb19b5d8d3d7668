"""The ``fusion.select`` bench task: look-and-pinch against gaze dwell and hand-ray pointing on
a simulated selection experiment (:mod:`sensekit.fusion.synth`).

Every method runs through :class:`~sensekit.fusion.pipeline.SelectPipeline`, the object
``sensekit run select`` uses. Defaults (look-back 0.4 s, margin 1 degree) were chosen on the
simulator's ``tune`` population (120 Hz, 0.2 degree noise, seeds 0-4); the task reports the
``report`` population (90 Hz, 0.3 degree noise, larger calibration offsets, seeds from 100).
"""

from __future__ import annotations

import time

import numpy as np

from ..bench.task import Task, register
from .pipeline import SelectPipeline
from .select import GazeFixationFilter
from .synth import SelectionSession, simulate_selection

#: Target diameters (degrees) of the experiment.
SIZES = (1.0, 1.5, 2.0, 3.0, 4.0)
DWELLS = (0.3, 0.5, 0.8)


def score_selections(session: SelectionSession, times: np.ndarray, events: np.ndarray) -> dict[str, float]:
    """Accuracy (the first selection of each trial is its cued target), time per selection
    (cue to that selection), confirmation time (gaze arrival to selection) and unintended
    selections (every other selection of a target) per minute."""
    bounds = np.r_[session.cue_t[1:], session.duration_s]
    picked = events[:, 0] >= 0
    correct, times_ok, confirm, used = 0, [], [], 0
    for c0, c1, target, arrive in zip(session.cue_t, bounds, session.target, session.arrive_t, strict=True):
        inside = np.flatnonzero(picked & (times >= c0) & (times < c1))
        if len(inside) and events[inside[0], 0] == target:
            correct += 1
            used += 1
            times_ok.append(times[inside[0]] - c0)
            confirm.append(times[inside[0]] - arrive)
    n = len(session.target)
    return {"accuracy": correct / n, "time_s": float(np.mean(times_ok)) if times_ok else float("nan"),
            "confirm_s": float(np.median(confirm)) if confirm else float("nan"),
            "unintended_per_min": (int(picked.sum()) - used) / (session.duration_s / 60.0)}


def run_method(method: str, seed: int, size: float, population: str = "report") -> dict[str, float]:
    """One simulated session of ``method`` (``pinch``, ``dwell0.5``, ``ray``) scored."""
    if method.startswith("dwell"):
        dwell = float(method[5:])
        s = simulate_selection(seed, size, "dwell", dwell_s=dwell, population=population)
        times, events = SelectPipeline(s.layout, method="dwell", dwell_s=dwell).run(s.gaze)
    elif method == "ray":  # the ray is drawn, so no margin; its value at the pinch, not smoothed
        s = simulate_selection(seed, size, "ray", population=population)
        pipe = SelectPipeline(s.layout, margin=0.0, look_back_s=0.0, fixation=GazeFixationFilter(window_s=0.0))
        times, events = pipe.run(s.ray, s.hand)
    else:
        s = simulate_selection(seed, size, "pinch", population=population)
        times, events = SelectPipeline(s.layout).run(s.gaze, s.hand)
    return score_selections(s, times, events)


def _mean(rows: list[dict]) -> dict[str, float]:
    return {k: float(np.nanmean([r[k] for r in rows])) for k in rows[0]}


def _select_run(key: dict, quick: bool) -> dict:
    seeds = range(100, 103 if quick else 110)
    methods = ["pinch", *(f"dwell{d:g}" for d in DWELLS), "ray"]
    t = time.perf_counter()
    by = {m: {size: _mean([run_method(m, seed, size) for seed in seeds]) for size in SIZES} for m in methods}
    wall = time.perf_counter() - t

    def flat(m: str) -> dict[str, float]:
        out = {}
        for size, r in by[m].items():
            out.update({f"{k}@{size:g}deg": v for k, v in r.items()})
        big = [r for size, r in by[m].items() if size >= 2.0]
        out.update({f"{k}@>=2deg": float(np.mean([r[k] for r in big])) for k in big[0]})
        return out

    names = {"pinch": "look-and-pinch", "ray": "hand-ray + pinch", **{f"dwell{d:g}": f"dwell {d * 1000:g} ms"
                                                                      for d in DWELLS}}
    curve = {"x": list(SIZES), "y": [by["pinch"][s]["accuracy"] for s in SIZES], "xlabel": "target diameter (deg)",
             "ylabel": "selection accuracy",
             "series": {names[m]: [by[m][s]["accuracy"] for s in SIZES] for m in methods}}
    return {"metrics": flat("pinch"), "speed": {"wall_s": wall},
            "peers": {names[m]: flat(m) for m in methods if m != "pinch"},
            "curves": {"accuracy vs target size": curve}}


register(Task(
    name="fusion.select", chain="fusion",
    description="simulated gaze selection (12 targets of 1-4 deg, visual search, idle looking, blinks, calibration "
                "offset, 30 Hz hand camera 40 ms late; held-out population: 90 Hz, 0.3 deg noise): look-and-pinch "
                "beside gaze dwell 300/500/800 ms and hand-ray pointing; accuracy, time, unintended selections",
    units=lambda quick: [{}], run_unit=_select_run, version="1",
))
