"""A guided EMG calibration session: prompts on a timeline in stream time, segments, fit, CV.

The protocol is laid out in the stream's own time (seconds since its first sample), so the
same code drives a live band (prompts follow the real clock) and a replayed or simulated
stream (which may run faster than real time): ``lead_s`` to get ready, then for each
repetition and each class a hold of ``hold_s`` seconds, then ``pause_s`` of relaxation
(not recorded). The first ``trim_s`` of each hold (reaction time) is not used.
"""

from __future__ import annotations

import copy
import dataclasses
import logging

import numpy as np

from ..core import Frame
from ..core.stages import ABSURD_SAMPLE, lost_samples
from ..errors import ParameterError
from ..learn.metrics import classification_metrics
from .datasets import EMGTrials, Trial
from .pipeline import EMGPipeline

__all__ = ["Protocol", "Prompt", "Problem", "SessionRecorder", "cross_validate", "trial_problems", "dead_channels"]

#: Mains frequencies looked for in a trial.
MAINS_HZ = (50.0, 60.0)


class Problem(str):
    """What is wrong with a channel, as text, with its ``kind``: ``nonfinite``, ``flat``,
    ``clipped`` or ``mains``."""

    kind: str

    def __new__(cls, kind: str, text: str) -> Problem:
        out = super().__new__(cls, text)
        out.kind = kind
        return out


#: Problems that leave nothing to learn from a channel.
DEAD = ("nonfinite", "flat")


def trial_problems(data: np.ndarray, rate: float, channels) -> list[tuple[str, Problem]]:
    """What is wrong with each channel of one recorded trial: ``(channel, problem)`` for NaN,
    infinite or absurd samples (:data:`~sensekit.core.stages.ABSURD_SAMPLE`), a flat
    (disconnected) channel, a clipped one (more than 1 % of the samples, and more than two, at
    the channel's extreme), and one dominated by mains hum (more than half its power within ±2 Hz
    of 50 or 60 Hz or their harmonics)."""
    x = np.asarray(data, dtype=np.float64)
    out = []
    if x.ndim != 2 or not len(x):
        return out
    for c, name in enumerate(channels):
        v = x[:, c]
        lost = lost_samples(v)
        if lost.any():
            out.append((name, Problem("nonfinite", f"{int(lost.sum())} NaN, infinite or absurd (beyond "
                                                   f"{ABSURD_SAMPLE:g}) samples")))
            continue
        spread = float(np.std(v))
        if spread <= 1e-12 * max(1.0, float(np.abs(v).max())):
            out.append((name, Problem("flat", "flat (a disconnected electrode?)")))
            continue
        peak = float(np.abs(v).max())
        at_peak = int(np.sum(np.abs(v) >= peak * (1 - 1e-9)))
        if at_peak > max(0.01 * len(v), 2):  # a short trial's one largest sample is no clipping
            out.append((name, Problem("clipped", "clipped (the amplifier saturates)")))
        if rate >= 200 and len(v) >= rate / 2:
            spec = np.abs(np.fft.rfft(v - v.mean())) ** 2
            f = np.fft.rfftfreq(len(v), 1 / rate)
            for mains in MAINS_HZ:
                hum = np.zeros(len(f), dtype=bool)
                for h in np.arange(mains, rate / 2, mains):
                    hum |= np.abs(f - h) <= 2.0
                if spec[hum].sum() > 0.5 * spec.sum():
                    out.append((name, Problem("mains", f"dominated by {mains:g} Hz mains hum (notch it: --notch {mains:g})")))
                    break
    return out


def dead_channels(problems, n_trials: int) -> list[str]:
    """The channels flat or non-finite (:data:`DEAD`) in every one of ``n_trials`` trials, from
    ``(trial, channel, problem)`` triples (``trial``: any key of the trial): nothing to learn
    from them."""
    dead: dict[str, set] = {}
    for trial, channel, problem in problems:
        if problem.kind in DEAD:
            dead.setdefault(channel, set()).add(trial)
    return [c for c, trials in dead.items() if len(trials) == n_trials]


@dataclasses.dataclass(frozen=True)
class Prompt:
    """One instruction: hold ``label`` (class index) from ``start_s`` for ``hold_s`` seconds."""

    label: int
    rep: int
    start_s: float
    hold_s: float


@dataclasses.dataclass(frozen=True)
class Protocol:
    """The session's timeline.

    ``only``: ``(label, rep)`` pairs to prompt, in the session's order, and no others (a session
    that records some trials again); ``None``: every class in every repetition.
    """

    classes: tuple[str, ...]
    reps: int = 3
    hold_s: float = 3.0
    pause_s: float = 2.0
    lead_s: float = 3.0
    trim_s: float = 0.5
    only: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if len(self.classes) < 2:
            raise ParameterError(f"calibration needs at least 2 classes, got {list(self.classes)}")
        if len({c.lower() for c in self.classes}) < len(self.classes):
            raise ParameterError(f"calibration classes {list(self.classes)} name one class twice",
                                 "give each class one name")
        if self.reps < 1 or self.hold_s <= self.trim_s:
            raise ParameterError(f"need reps >= 1 and hold_s > trim_s, got reps={self.reps}, hold_s={self.hold_s}, "
                                 f"trim_s={self.trim_s}")

    @property
    def prompts(self) -> list[Prompt]:
        out, t = [], self.lead_s
        for rep in range(self.reps):
            for label in range(len(self.classes)):
                if self.only is not None and (label, rep) not in self.only:
                    continue
                out.append(Prompt(label, rep, t, self.hold_s))
                t += self.hold_s + self.pause_s
        return out

    def again(self, prompts) -> Protocol:
        """A session that prompts ``prompts`` (of this one) again, and nothing else."""
        return dataclasses.replace(self, only=tuple(sorted({(p.label, p.rep) for p in prompts},
                                                           key=lambda lr: (lr[1], lr[0]))))

    @property
    def duration_s(self) -> float:
        p = self.prompts[-1]
        return p.start_s + p.hold_s

    def prompt_at(self, t: float) -> tuple[Prompt | None, float]:
        """The prompt active at stream time ``t`` (None between holds) and the seconds until
        the next change."""
        for p in self.prompts:
            if t < p.start_s:
                return None, p.start_s - t
            if t < p.start_s + p.hold_s:
                return p, p.start_s + p.hold_s - t
        return None, 0.0


class SessionRecorder:
    """Collects the samples of each prompt from the frames of a run (``on_block``), and checks
    each trial as soon as it is complete (:func:`trial_problems`): ``on_problem(prompt, channel,
    problem)`` is called at once, once per channel and problem in the session."""

    def __init__(self, protocol: Protocol, on_problem=None) -> None:
        self.protocol = protocol
        self.chunks: list[np.ndarray] = []
        self.n = 0
        self.info = None
        self.on_problem = on_problem
        self._checked = 0
        self.problems: list[tuple[Prompt, str, Problem]] = []
        self._reported: set[tuple[str, str]] = set()

    def __call__(self, frame: Frame, _out, _report) -> None:
        if self.info is None:
            self.info = frame.info
        self.chunks.append(np.asarray(frame.data, dtype=np.float64))
        self.n += frame.n
        self._check_finished()

    def _check_finished(self) -> None:
        prompts = self.protocol.prompts
        rate = self.info.rate
        while self._checked < len(prompts):
            p = prompts[self._checked]
            b = int(round((p.start_s + p.hold_s) * rate))
            if b > self.n:
                return
            a = int(round((p.start_s + self.protocol.trim_s) * rate))
            x = np.concatenate(self.chunks)[a:b] if self.chunks else np.empty((0, 1))
            for channel, problem in trial_problems(x, rate, self.info.channels):
                self.problems.append((p, channel, problem))
                key = (channel, problem.kind)
                if key not in self._reported:
                    self._reported.add(key)
                    if self.on_problem is not None:
                        self.on_problem(p, channel, problem)
            self._checked += 1

    def problem_prompts(self) -> list[Prompt]:
        """The prompts whose trial had a problem, in session order."""
        return sorted({p for p, _, _ in self.problems}, key=lambda p: p.start_s)

    def unusable_channels(self, again: SessionRecorder | None = None) -> list[str]:
        """Channels that were flat or non-finite in every trial checked so far (nothing to
        learn from them); with ``again`` (a session that recorded some trials again), in every
        trial that is kept."""
        if not self._checked:
            return []
        problems = self.problems
        if again is not None:
            redone = {(p.label, p.rep) for p in again.protocol.prompts[:again._checked]}
            problems = [x for x in problems if (x[0].label, x[0].rep) not in redone] + again.problems
        return dead_channels((((p.label, p.rep), channel, problem) for p, channel, problem in problems), self._checked)

    @property
    def elapsed_s(self) -> float:
        return self.n / self.info.rate if self.info else 0.0

    def trials(self) -> EMGTrials:
        """One trial per completed prompt (trimmed)."""
        if self.info is None:
            raise ParameterError("the source delivered no samples")
        x = np.concatenate(self.chunks) if self.chunks else np.empty((0, 1))
        rate = self.info.rate
        out = []
        for p in self.protocol.prompts:
            a = int(round((p.start_s + self.protocol.trim_s) * rate))
            b = int(round((p.start_s + p.hold_s) * rate))
            if b <= len(x):
                out.append(Trial(x[a:b], p.label, "user", 1, p.rep))
        return EMGTrials(self.info.replace(dtype="float64"), tuple(self.protocol.classes), tuple(out))


def cross_validate(pipe: EMGPipeline, trials: EMGTrials) -> tuple[dict, dict]:
    """Leave-one-repetition-out accuracy of ``pipe``'s configuration on ``trials``."""
    reps = sorted({t.rep for t in trials})
    if len(reps) < 2:
        raise ParameterError("cross-validation needs at least 2 repetitions")
    held = {c: len({t.rep for t in trials if t.label == c}) for c in sorted({t.label for t in trials})}
    once = [trials.classes[c] for c, n in held.items() if n < 2]
    if once:  # (leaving its one repetition out would leave a fold without it, or with one class only)
        raise ParameterError(f"cross-validation needs 2 or more repetitions of every class; {', '.join(once[:6])} "
                             f"{'has' if len(once) == 1 else 'have'} one")
    ys, ps = [], []
    log = logging.getLogger("sensekit")
    level = log.level
    log.setLevel(logging.ERROR)  # the channel warnings were given when the trials were recorded
    try:
        for r in reps:
            fold = copy.deepcopy(pipe).fit(trials.select(rep=[k for k in reps if k != r]))
            y, d, _ = fold.decide(trials.select(rep=r))
            ys.append(y)
            ps.append(d[:, 0].astype(int))
    finally:
        log.setLevel(level)
    return classification_metrics(np.concatenate(ys), np.concatenate(ps), labels=list(range(len(trials.classes))))
