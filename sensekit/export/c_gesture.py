"""C99 export of a static-gesture classifier (landmark normalisation, features, decoder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from ..gesture.normalize import _SIG_PAIRS, N_SIGNATURE, ZERO_BONES
from ..gesture.openxr import _MEDIAPIPE_FROM_OPENXR
from ..gesture.static import OTHER_CLASSES, StaticGestureClassifier
from .c_emg import _arr, _decode_lines, _nested
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
              f"#define SK_ZERO_BONES {ZERO_BONES!r}  /* two bones' lengths' product at most this: angle 0 */",
              f"#define SK_REJECT_BELOW {float(clf.reject_below or 0.0)!r}",
              _arr("SK_MEAN", lp["mean"]), _arr("SK_SCALE", lp["scale"]),
              _arr("SK_CLASSES", np.asarray(dec["classes"], dtype=int), "int"),
              _arr("SK_MEDIAPIPE_FROM_OPENXR", _MEDIAPIPE_FROM_OPENXR, "int")]
    decode_tables, decode = _decode_lines(dec, logits=True)
    tables += decode_tables + _openset_tables(clf)
    name = c_identifier(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    subs = {"@HEADER@": f"{name}.h", "@GUARD@": name.upper() + "_H",
            "@N_COLUMNS@": str(len(lp["mean"])), "@N_CLASSES@": str(len(dec["classes"])),
            "@CLASSES@": comment_list(list(lp.get("classes", []))), "@TABLES@": "\n".join(tables), "@DECODE@": decode,
            "@INPUT@": "pixels (or any unit), or the keypoint-CSV normalisation: both give the same result",
            "@CONVENTION@": _convention(clf)}
    here = resources.files(__package__)
    for src, dst in (("c_gesture.h", f"{name}.h"), ("c_gesture.c", f"{name}.c"), ("c_gesture_check.c", f"{name}_check.c")):
        text = here.joinpath(src).read_text()
        for k, v in subs.items():
            text = text.replace(k, v)
        (folder / dst).write_text(text)
    return {"files": [f"{name}.h", f"{name}.c", f"{name}_check.c"], "columns": len(lp["mean"]),
            "openset_constants": _openset_constants(clf)}


def _convention(clf: StaticGestureClassifier) -> str:
    """The header's line on the image convention the landmarks must be in (the calibration's)."""
    if clf.mirrored_images:
        return ("Seen in mirrored (selfie) images, as the calibration's were: a camera that does not mirror negates "
                "x first.")
    return "Seen in images that are not mirrored, as the calibration's were: a selfie camera's x is negated first."


def _openset_parts(clf: StaticGestureClassifier) -> tuple[dict | None, dict | None]:
    params = clf.learned_.get("openset")
    return params, (params.get("nearest") if params else None)


def _openset_tables(clf: StaticGestureClassifier) -> list[str]:
    """The C tables of the calibrated confidence and the open-set model (as
    :class:`~sensekit.learn.openset.OpenSet` and :class:`~sensekit.learn.openset.NearestOpenSet`
    hold them), and the indices of the "other poses" classes."""
    names = [str(n).strip().lower() for n in clf.learned_.get("classes", [])]
    other = [i for i, n in enumerate(names) if n in OTHER_CLASSES]
    out = [f"#define SK_N_OTHER {len(other)}", _arr("SK_OTHER", np.asarray(other or [-2]), "int")]
    params, near = _openset_parts(clf)
    out.append(f"#define SK_OPENSET {int(params is not None)}")
    out.append(f"#define SK_NEAR {int(near is not None)}")
    if params is not None:
        whiten = np.asarray(params["whiten"], dtype=np.float64)
        wm = np.asarray(params["means"], dtype=np.float64) @ whiten.T
        out += [f"#define SK_TEMPERATURE {float(params['temperature'])!r}",
                f"#define SK_OPEN_THRESHOLD {float(params['threshold'])!r}",
                _nested("SK_OPEN_WHITEN", whiten), _nested("SK_OPEN_WM", wm), _arr("SK_OPEN_WM_SQ", (wm * wm).sum(1))]
    if near is not None:
        rows = np.asarray(near["rows"], dtype=np.float64)
        labels = np.asarray(near["labels"])
        classes = np.unique(labels)
        inv = 1.0 / np.asarray(near.get("class_scale") or np.ones((len(classes), rows.shape[1])), dtype=np.float64)
        rows = rows * inv[np.searchsorted(classes, labels)]  # each pose in its class's own spread
        out += [f"#define SK_N_SIGNATURE {rows.shape[1]}", f"#define SK_N_NEAR {len(rows)}",
                f"#define SK_N_NEAR_CLASSES {len(classes)}",
                f"#define SK_NEAR_UNIT {float(near['median']) * clf.openset_factor!r}",
                f"#define SK_N_SIG_PAIRS {len(_SIG_PAIRS)}", f"#define SK_N_SIGNATURE_FULL {N_SIGNATURE}",
                f"static const int SK_SIG_PAIRS[{len(_SIG_PAIRS)}][2] = {{"
                + ", ".join(f"{{{a}, {b}}}" for a, b in _SIG_PAIRS) + "};",
                _arr("SK_NEAR_MEAN", near["mean"]),
                _arr("SK_NEAR_SCALE", near["scale"]), _arr("SK_NEAR_CLASSES", classes, "int"),
                _nested("SK_NEAR_INV", inv), _nested("SK_NEAR_ROWS", rows),
                _arr("SK_NEAR_SQ", (rows * rows).sum(1)), _arr("SK_NEAR_LABELS", labels, "int")]
    return out


def _openset_constants(clf: StaticGestureClassifier) -> int:
    """Numbers in the open-set tables (for the budget)."""
    params, near = _openset_parts(clf)
    n = 0
    if params is not None:
        n += np.asarray(params["whiten"]).size + np.asarray(params["means"]).size + len(params["means"]) + 2
    if near is not None:
        rows = np.asarray(near["rows"])
        n_classes = len(set(near["labels"]))
        n += rows.size + 2 * len(rows) + (2 + n_classes) * rows.shape[1] + n_classes + 1
    return int(n)
