"""C99 export of the online saccade detector (:class:`~sensekit.eyetrack.online.OnlineSaccades`)
for a headset's firmware: its parameters, resolved for one sample rate, compiled in."""

from __future__ import annotations

import math
from importlib import resources
from pathlib import Path

from ..errors import ParameterError
from ..eyetrack.online import _MAX_LOG_SCALE, DECELERATION_HOLD, WIDEN_UNTIL_SPEED, OnlineSaccades
from .c_text import c_identifier, comment_text

__all__ = ["export_saccades_c"]


def _real(value: float) -> str:
    """A double as C source that reads back to the same bits."""
    if not math.isfinite(value):
        raise ParameterError(f"a parameter of the saccade detector is {value!r}, not a finite number")
    return f"({float(value)!r})"


def export_saccades_c(stage: OnlineSaccades, folder: str | Path, *, name: str = "sensekit_saccades") -> dict:
    """Write ``<name>.h``, ``<name>.c`` and ``<name>_check.c`` for an opened ``stage`` (its
    rate fixes the derived constants: the speed's lag, the confirming samples, the noise
    averages' rates).

    Returns
    -------
    dict
        ``files``, ``lag`` (samples the speed spans at first), ``max_lag`` (the most it may span,
        on a noisy tracker), ``confirm`` (samples) and ``latency_s`` (the declared detection
        latency, with the longest span).
    """
    if stage.input_info is None:
        raise ParameterError("open the saccade detector on a gaze stream first (its rate fixes the C constants)")
    rate = float(stage.input_info.rate)
    defines = {"SK_K": _real(stage.k), "SK_FLOOR": _real(stage.floor), "SK_ALPHA": _real(stage._alpha),
               "SK_BETA": _real(stage._beta), "SK_REFRACTORY": _real(stage.refractory_s),
               "SK_VMAX": _real(stage.vmax), "SK_C": _real(stage.c), "SK_COHERENT": str(int(stage.coherent)),
               "SK_RISING": str(int(stage.rising)),
               "SK_LEARN": _real(stage.learn_saccades) if stage.learn_saccades is not None else "(0.0)",
               "SK_MAX_LOG_SCALE": _real(_MAX_LOG_SCALE), "SK_DECELERATION_HOLD": _real(DECELERATION_HOLD),
               "SK_PI": _real(math.pi), "SK_TARGET": _real(WIDEN_UNTIL_SPEED)}
    name = c_identifier(name)
    params = comment_text(", ".join(f"{k} {getattr(stage, k)}" for k in (
        "k", "floor", "noise_tau_s", "speed_window_s", "max_speed_window_s", "vmax", "c", "coherent", "confirm",
        "refractory_s", "rising",
        "burst_tau_s", "learn_saccades")), 400)
    subs = {"@HEADER@": f"{name}.h", "@GUARD@": name.upper() + "_H", "@RATE@": _real(rate),
            "@LAG0@": str(stage._lag0), "@MAX_LAG@": str(stage._max_lag), "@SPAN@": f"{stage._span}ULL",
            "@CONFIRM@": str(stage._confirm), "@PARAMS@": params,
            "@TABLES@": "\n".join(f"#define {k} {v}" for k, v in defines.items())}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    here = resources.files(__package__)
    files = [f"{name}.h", f"{name}.c", f"{name}_check.c"]
    for src, dst in zip(("c_saccades.h", "c_saccades.c", "c_saccades_check.c"), files, strict=True):
        text = here.joinpath(src).read_text()
        for k, v in subs.items():
            text = text.replace(k, v)
        (folder / dst).write_text(text)
    return {"files": files, "lag": stage._lag0, "max_lag": stage._max_lag, "confirm": stage._confirm,
            "latency_s": stage.latency_s}
