"""C99 export of a static-gesture classifier (landmark normalisation, features, decoder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..gesture.static import StaticGestureClassifier
from .c_emg import _arr, _decode_lines
from .c_text import c_identifier, comment_list

__all__ = ["export_gesture_c"]


def export_gesture_c(clf: StaticGestureClassifier, folder: str | Path, *, name: str = "sensekit_gesture") -> dict:
    """Write ``<name>.h``, ``<name>.c`` and ``<name>_check.c`` for a fitted classifier."""
    if clf.learned_ is None:
        raise ParameterError("the gesture classifier is not fitted")
    lp = clf.learned_
    dec = lp["decoder"]
    if dec["kind"] not in ("lda", "mlp"):
        raise ParameterError(f"decoder {dec['kind']!r} cannot be exported to C", "fit the classifier with lda or mlp")
    if getattr(clf, "feature_set", "hand") != "hand":
        raise ParameterError(f"gesture features {clf.feature_set!r} cannot be exported to C",
                             "calibrate with --features hand")
    tables = ["#define SK_INPUT_RAW 1  /* the keypoint normalisation is idempotent: raw or keypoint rows */",
              f"#define SK_REJECT_BELOW {float(clf.reject_below or 0.0)!r}",
              _arr("SK_MEAN", lp["mean"]), _arr("SK_SCALE", lp["scale"]),
              _arr("SK_CLASSES", np.asarray(dec["classes"], dtype=int), "int")]
    decode_tables, decode = _decode_lines(dec)
    tables += decode_tables
    name = c_identifier(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    subs = {"@HEADER@": f"{name}.h", "@GUARD@": name.upper() + "_H",
            "@N_COLUMNS@": str(len(lp["mean"])), "@N_CLASSES@": str(len(dec["classes"])),
            "@CLASSES@": comment_list(list(lp.get("classes", []))), "@TABLES@": "\n".join(tables), "@DECODE@": decode,
            "@INPUT@": "pixels (or any unit), or the keypoint-CSV normalisation: both give the same result"}
    here = resources.files(__package__)
    for src, dst in (("c_gesture.h", f"{name}.h"), ("c_gesture.c", f"{name}.c"), ("c_gesture_check.c", f"{name}_check.c")):
        text = here.joinpath(src).read_text()
        for k, v in subs.items():
            text = text.replace(k, v)
        (folder / dst).write_text(text)
    return {"files": [f"{name}.h", f"{name}.c", f"{name}_check.c"], "columns": len(lp["mean"])}
