"""A simulated gaze-selection experiment with ground truth (the ``fusion.select`` bench task).

A user selects cued targets in a random layout, one after the other, by one of three methods:

- ``pinch``: look at the target, pinch to confirm (gaze + hand-landmark streams);
- ``dwell``: look at the target until it is selected (gaze stream only);
- ``ray``: point a hand ray at the target, pinch to confirm (ray + hand-landmark streams).

What is simulated, with the literature the numbers come from:

- gaze at ``rate`` Hz: fixations with white tracker noise (``noise_deg``) and slow drift, a
  constant calibration offset (``offset_deg``, 0.5-1 degree on headsets), saccades on the main
  sequence (duration 2.2 ms/degree + 21 ms) landing 10 % short with scatter, corrective saccades
  when the landing misses, blinks (15 a minute, 100-250 ms of lost samples, the lid pulling the
  estimate down on either side);
- visual search before a selection and idle looking between selections (fixations of 150 ms to
  over a second on other targets): what a dwell selects without being meant to (Midas touch);
- the confirmation: a pinch 350 ms (median) after the gaze reaches the target, with the eyes
  leaving up to 150 ms *before* the pinch in a quarter of trials (late trigger); for dwell, the
  user holds the gaze until the selection shows, plus a reaction;
- the hand: MediaPipe-like landmarks from a 30 Hz camera stamped 40 ms late, tracking lost in
  3 % of frames, fidgets (a minute apart on average) that half close the hand, sometimes enough
  to pinch;
- the hand ray: Fitts'-law movements (0.25 s + 0.15 s/bit), 0.3 degree tremor, and the pinch
  pulling the ray by about 0.7 degree as it closes (the "Heisenberg effect").

``population`` ``tune`` and ``report`` differ in tracker rate, noise and offset, so defaults
chosen on one can be scored on the other.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np

from ..core import Frame, StreamInfo
from ..errors import ParameterError
from .targets import TargetLayout

__all__ = ["Population", "POPULATIONS", "SelectionSession", "simulate_selection", "hand_landmarks"]


@dataclasses.dataclass(frozen=True)
class Population:
    """Device and user parameters of a simulated group."""

    rate: float = 120.0
    noise_deg: float = 0.2
    offset_deg: tuple[float, float] = (0.3, 1.0)
    search_p: float = 0.6
    idle_p: float = 0.4


POPULATIONS = {"tune": Population(), "report": Population(rate=90.0, noise_deg=0.3, offset_deg=(0.5, 1.3))}

GAZE = StreamInfo("gaze", "gaze", 120.0, (2,), channels=("x", "y"), dtype="float64", unit="deg")
HAND = StreamInfo("hand", "landmarks", 0.0, (21, 2), dtype="float64", unit="px")


@dataclasses.dataclass
class SelectionSession:
    """One simulated session: its streams, layout and trials (cue time, end, cued target,
    first arrival of the gaze on it)."""

    layout: TargetLayout
    gaze: Frame
    hand: Frame | None
    ray: Frame | None
    cue_t: np.ndarray
    end_t: np.ndarray
    target: np.ndarray
    arrive_t: np.ndarray
    duration_s: float


def _layout(rng, size: float) -> TargetLayout:
    spacing = size * rng.uniform(1.5, 3.0)
    cols, rows = 4, 3
    xs = (np.arange(cols) - (cols - 1) / 2) * spacing
    ys = (np.arange(rows) - (rows - 1) / 2) * spacing
    targets = [{"name": f"t{r}{c}", "x": float(x + rng.normal(0, 0.1 * size)), "y": float(y + rng.normal(0, 0.1 * size)),
                "radius": size / 2} for r, y in enumerate(ys) for c, x in enumerate(xs)]
    return TargetLayout(units="deg", targets=targets)


def _lognormal(rng, median: float, sigma: float) -> float:
    return float(median * np.exp(rng.normal(0, sigma)))


def hand_landmarks(aperture: np.ndarray, rng) -> np.ndarray:
    """Hand landmarks ``(n, 21, 2)`` in pixels for thumb-index apertures (hand sizes): the index
    out of the palm, the thumb tip ``aperture`` hand sizes from the index tip; NaN apertures give
    NaN hands."""
    base = np.array([[0, 0], [-.35, -.15], [-.55, -.35], [-.65, -.55], [0, 0], [-.3, -.95], [-.33, -1.25],
                     [-.34, -1.5], [-.35, -1.7], [0, -1], [0, -1.35], [0, -1.6], [0, -1.8], [.25, -.95], [.27, -1.25],
                     [.28, -1.45], [.29, -1.6], [.45, -.85], [.48, -1.05], [.5, -1.2], [.52, -1.35]])
    n = len(aperture)
    pts = np.repeat(base[None], n, axis=0) + rng.normal(0, 0.01, (n, 21, 2))
    toward_thumb = np.array([-0.6, 0.8])
    pts[:, 4] = pts[:, 8] + aperture[:, None] * toward_thumb
    pts = pts * 180.0 + np.array([320.0, 420.0])
    pts[~np.isfinite(aperture)] = np.nan
    return pts


def _pinch_aperture(times: np.ndarray, onsets: list[float], fidgets: list[tuple[float, float]], rng) -> np.ndarray:
    """Aperture over time: relaxed ~1.0, each pinch closing in 80 ms to ~0.08, held 150-300 ms,
    opening in 100 ms; fidgets close it part way."""
    a = 1.0 + 0.08 * np.sin(2 * np.pi * 0.3 * times + rng.uniform(0, 6)) + rng.normal(0, 0.03, len(times))
    events = [(t, rng.uniform(0.05, 0.12), rng.uniform(0.15, 0.3)) for t in onsets]
    events += [(t, depth, rng.uniform(0.1, 0.25)) for t, depth in fidgets]
    for t0, low, hold in events:
        # closing: reaches the threshold region at t0 (the onset the detector should see)
        close = (times >= t0 - 0.06) & (times < t0 + 0.02)
        a[close] = np.minimum(a[close], np.interp(times[close], [t0 - 0.06, t0 + 0.02], [1.0, low]))
        held = (times >= t0 + 0.02) & (times < t0 + 0.02 + hold)
        a[held] = np.minimum(a[held], low + rng.normal(0, 0.01, held.sum()))
        t1 = t0 + 0.02 + hold
        opening = (times >= t1) & (times < t1 + 0.1)
        a[opening] = np.minimum(a[opening], np.interp(times[opening], [t1, t1 + 0.1], [low, 1.0]))
    return a


def simulate_selection(seed: int, size: float, method: Literal["pinch", "dwell", "ray"] = "pinch", *,
                       dwell_s: float = 0.5, trials: int = 40, population: Population | str = "tune",
                       layout: TargetLayout | None = None) -> SelectionSession:
    """Simulate one session of ``trials`` selections of targets of diameter ``size`` degrees
    (in a random 4 x 3 layout, or in ``layout``, whose own sizes then count).

    The same ``seed`` gives the same layout, cues, searches, blinks and noise for every method:
    only how the user confirms (and so how long they look) differs.
    """
    pop = POPULATIONS[population] if isinstance(population, str) else population
    rng = np.random.default_rng(seed)
    if layout is None:
        layout = _layout(rng, size)
    else:
        if layout.units != "deg" or len(layout.targets) < 2:
            raise ParameterError("the simulator needs a layout in degrees with at least two targets")
        size = 2 * float(np.median(layout.arrays()[1]))
    centres, _ = layout.arrays()
    k = len(centres)
    ang = rng.uniform(0, 2 * np.pi)
    offset = rng.uniform(*pop.offset_deg) * np.array([np.cos(ang), np.sin(ang)])
    beh = np.random.default_rng(seed + 1_000_003)  # the user's timing, shared by the methods
    segs: list[tuple[float, float, np.ndarray]] = []  # (start, end, point) fixations; saccades between
    t, pos = 0.0, centres[0].copy()
    cue_t, end_t, target, arrive_t, pinch_t, fidgets = [], [], [], [], [], []

    def fixate(point, duration):
        nonlocal t, pos
        amp = float(np.hypot(*(point - pos)))
        t += 0.0022 * amp + 0.021 if amp > 0.3 else 0.0
        segs.append((t, t + duration, point.copy()))
        t += duration
        pos = point.copy()

    def land(point):
        vec = point - pos
        return point - 0.1 * vec + beh.normal(0, 0.15 + 0.03 * np.hypot(*vec), 2)

    prev = 0
    for _ in range(trials):
        if beh.random() < pop.idle_p:  # idle looking between selections
            for _ in range(beh.integers(1, 4)):
                fixate(land(centres[beh.integers(k)]), _lognormal(beh, 0.5, 0.4))
        cued = int(beh.choice([j for j in range(k) if j != prev]))
        prev = cued
        cue_t.append(t)
        target.append(cued)
        fixate(pos, _lognormal(beh, 0.2, 0.2))  # saccade latency after the cue
        if beh.random() < pop.search_p:  # visual search
            for _ in range(beh.integers(1, 4)):
                other = int(beh.choice([j for j in range(k) if j != cued]))
                fixate(land(centres[other]), _lognormal(beh, 0.28, 0.35))
        p = land(centres[cued])
        if np.hypot(*(p - centres[cued])) > layout.targets[cued].radius:  # corrective saccade
            fixate(p, beh.uniform(0.15, 0.25))
            p = centres[cued] + beh.normal(0, 0.2, 2)
        arrive = t + 0.0022 * float(np.hypot(*(p - pos))) + 0.021
        arrive_t.append(arrive)
        reaction = _lognormal(beh, 0.35, 0.3)
        leave = beh.uniform(-0.15, 0.0) if beh.random() < 0.25 else beh.uniform(0.1, 0.3)  # late trigger
        if method == "dwell":
            hold = dwell_s + _lognormal(beh, 0.25, 0.3)
        elif method == "ray":
            src = centres[target[-2]] if len(target) > 1 else centres[0]
            move = 0.2 + 0.25 + 0.15 * np.log2(float(np.hypot(*(centres[cued] - src))) / size + 1)
            pinch_t.append(cue_t[-1] + move + reaction)
            hold = max(pinch_t[-1] - arrive, 0.0) + 0.2
        else:
            hold = reaction + leave
            pinch_t.append(arrive + reaction)
        fixate(p, max(hold, 0.05))
        if method != "dwell" and t < pinch_t[-1] + 0.15:  # the eyes left before the hand confirmed
            other = int(beh.choice([j for j in range(k) if j != cued]))
            fixate(land(centres[other]), pinch_t[-1] + 0.15 - t + 0.1)
        end_t.append(t)
    duration = t + 0.5
    for _ in range(beh.poisson(duration / 60.0)):  # fidgets: about one a minute
        fidgets.append((beh.uniform(0, duration), beh.uniform(0.15, 0.5)))

    # gaze samples: fixation points, saccades interpolated, noise, drift, offset, blinks
    noise = np.random.default_rng(seed + 2_000_003)
    n = int(duration * pop.rate)
    ts = np.arange(n) / pop.rate
    starts = np.array([s[0] for s in segs])
    ends = np.array([s[1] for s in segs])
    pts = np.array([s[2] for s in segs])
    i = np.clip(np.searchsorted(starts, ts, side="right") - 1, 0, len(segs) - 1)
    gaze = pts[i].copy()
    moving = ts > ends[i]  # between a fixation's end and the next's start: a saccade
    j = np.minimum(i + 1, len(segs) - 1)
    frac = np.clip((ts - ends[i]) / np.maximum(starts[j] - ends[i], 1e-9), 0, 1)
    s = 0.5 - 0.5 * np.cos(np.pi * frac)
    gaze[moving] = pts[i][moving] + s[moving, None] * (pts[j][moving] - pts[i][moving])
    walk = np.cumsum(noise.normal(0, 0.4 / np.sqrt(pop.rate), (n, 2)), axis=0)  # drift restarts each fixation
    drift = walk - walk[np.clip(np.searchsorted(ts, starts), 0, n - 1)[i]]
    gaze = gaze + offset + drift + noise.normal(0, pop.noise_deg, (n, 2))
    for b in noise.uniform(0, duration, noise.poisson(duration / 4.0)):  # 15 blinks a minute
        lost = (ts >= b) & (ts < b + noise.uniform(0.1, 0.25))
        edge = ((ts >= b - 0.03) & (ts < b)) | ((ts >= b + 0.25) & (ts < b + 0.28))
        gaze[edge, 1] -= noise.uniform(2, 4)
        gaze[lost] = np.nan
    gaze_info = GAZE.replace(rate=pop.rate)
    session = SelectionSession(layout, Frame(gaze_info, gaze, t0=0.0), None, None, np.array(cue_t), np.array(end_t),
                               np.array(target), np.array(arrive_t), duration)
    if method == "dwell":
        return session
    # hand: 30 Hz camera, stamped 40 ms late, 3 % frames lost
    ht = np.cumsum(noise.uniform(1 / 33, 1 / 27, int(duration * 30) + 1))
    ht = ht[ht < duration]
    aperture = _pinch_aperture(ht, pinch_t, fidgets, noise)
    aperture[noise.random(len(ht)) < 0.03] = np.nan
    session.hand = Frame(HAND, hand_landmarks(aperture, noise), times=ht + 0.04)
    if method == "ray":
        ray = np.empty((n, 2))
        for q, (c, tc, te) in enumerate(zip(target, cue_t, end_t, strict=True)):
            src = centres[target[q - 1]] if q else centres[0]
            mt = 0.25 + 0.15 * np.log2(np.hypot(*(centres[c] - src)) / size + 1)
            sel = (ts >= tc) & (ts < (cue_t[q + 1] if q + 1 < len(target) else te))
            u = np.clip((ts[sel] - tc - 0.2) / mt, 0, 1)
            u = 10 * u**3 - 15 * u**4 + 6 * u**5  # minimum jerk
            aim = centres[c] + noise.normal(0, 0.15, 2)
            ray[sel] = src + u[:, None] * (aim - src)
            shove = (ts >= pinch_t[q] - 0.05) & (ts < pinch_t[q] + 0.2)  # the pinch pulls the ray
            ray[shove] += noise.normal(0, 0.7, 2)
        ray[ts < cue_t[0]] = centres[0]
        ray[ts >= end_t[-1]] = ray[np.searchsorted(ts, end_t[-1]) - 1]
        ray += noise.normal(0, 0.3 / np.sqrt(2), (n, 2))
        session.ray = Frame(gaze_info.replace(name="ray", kind="gaze"), ray, t0=0.0)
    return session
