"""GazeCom's ARFF gaze files: hand-labelled gaze with smooth pursuit.

GazeCom (Dorr et al. 2010; hand labels by Agtzidis, Startsev and Dorr 2016), Hollywood2EM
(Agtzidis et al. 2020) and the files of their tools (``sp_tool``, ``deep_em_classifier``) are
ARFF tables (read with :func:`scipy.io.arff.loadarff`):

- ``%@METADATA width_px 1280`` comment lines give the screen (``width_px``, ``height_px``,
  ``width_mm``, ``height_mm``, ``distance_mm``);
- attributes ``time`` (µs), ``x`` and ``y`` (screen pixels) and ``confidence`` (0: tracking
  lost, 1: tracked; under :data:`ARFF_MIN_CONFIDENCE` a sample is lost);
- the coders' labels, ``handlabeller1``, ``handlabeller2``, ``handlabeller_final``..., as codes
  (0 unknown, 1 fixation, 2 saccade, 3 smooth pursuit, 4 noise) or names (``{FIX, SACCADE, SP,
  NOISE}``), and a tool's own (``EYE_MOVEMENT_TYPE``), kept as labels to score against (noise:
  the blink / loss class; a coder who codes no PSO is not scored on PSO).

A 360-degree video's gaze (equirectangular, head and eye columns) is refused by name.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from ..errors import DatasetError, ParameterError, RecordingError
from .geometry import Screen
from .labels import BLINK, FIXATION, PSO, PURSUIT, SACCADE, UNDEFINED

__all__ = ["load_arff_gaze", "load_gazecom", "gazecom_clips", "GAZECOM_CODES", "GAZECOM_NAMES",
           "ARFF_MIN_CONFIDENCE"]

#: GazeCom's label codes -> sensekit's (:mod:`sensekit.eyetrack.labels`).
GAZECOM_CODES = {0: UNDEFINED, 1: FIXATION, 2: SACCADE, 3: PURSUIT, 4: BLINK}
#: The label names of ARFF files' nominal attributes (sp_tool's set) -> sensekit's codes.
GAZECOM_NAMES = {"UNKNOWN": UNDEFINED, "FIX": FIXATION, "SACCADE": SACCADE, "SP": PURSUIT, "NOISE": BLINK,
                 "BLINK": BLINK, "NOISE_CLUSTER": BLINK, "PSO": PSO}
#: The largest ARFF file read (it is parsed whole): hours of gaze at 1 kHz; GazeCom's are about 1 MB.
MAX_ARFF_BYTES = 512 * 1024**2
#: Between GazeCom's confidence values, 0 (tracking lost) and 1: a sample under it is lost.
ARFF_MIN_CONFIDENCE = 0.5
_LABEL_ATTRIBUTE = re.compile(r"^(handlabeller.*|eye_movement_type)$", re.IGNORECASE)
_METADATA = re.compile(r"^%@METADATA\s+(\w+)\s+(\S+)", re.IGNORECASE)


def _header(text: str) -> dict[str, str]:
    """The ``%@METADATA key value`` lines before ``@DATA``."""
    meta = {}
    for line in text.splitlines():
        if line.strip().lower().startswith("@data"):
            break
        match = _METADATA.match(line.strip())
        if match:
            meta[match.group(1).lower()] = match.group(2)
    return meta


def _screen(meta: dict[str, str], name: str) -> Screen | None:
    keys = ("width_mm", "height_mm", "width_px", "height_px", "distance_mm")
    if not all(k in meta for k in keys):
        return None
    try:
        w_mm, h_mm, w_px, h_px, dist = (float(meta[k]) for k in keys)
        return Screen(w_mm, h_mm, int(round(w_px)), int(round(h_px)), dist)
    except (ValueError, ParameterError) as e:
        raise RecordingError(f"{name}: its screen metadata ({', '.join(f'{k} {meta[k]}' for k in keys)}) is no "
                             f"screen: {e}", "fix the %@METADATA lines, or remove them and give --screen/--distance"
                             ) from None


def _labels(column: np.ndarray, kind: str, attribute: str, name: str) -> np.ndarray:
    """A label attribute's values as sensekit's codes."""
    if kind == "nominal":
        values = [v.decode() if isinstance(v, bytes) else str(v) for v in column]
        unknown = sorted({v for v in values if v.upper() not in GAZECOM_NAMES and v != "?"})
        if unknown:
            raise RecordingError(f"{name}: {attribute} holds labels {unknown[:5]} beside GazeCom's "
                                 f"({', '.join(GAZECOM_NAMES)})", "rename them, or remove the attribute")
        return np.array([GAZECOM_NAMES.get(v.upper(), UNDEFINED) for v in values], dtype=np.int8)
    codes = np.where(np.isfinite(column), column, 0)
    unknown = sorted(set(np.unique(codes).tolist()) - set(GAZECOM_CODES))
    if unknown:
        raise RecordingError(f"{name}: {attribute} holds codes [{', '.join(f'{c:g}' for c in unknown[:5])}], not "
                             "GazeCom's 0-4 (unknown, fixation, saccade, smooth pursuit, noise)",
                             "recode them, or remove the attribute")
    return np.array([GAZECOM_CODES[int(c)] for c in codes], dtype=np.int8)


def load_arff_gaze(path, *, screen: Screen | None = None):
    """A GazeCom-style ARFF gaze file (module docstring) as a
    :class:`~sensekit.eyetrack.datasets.GazeRecording` in degrees, with its coders' labels.

    Parameters
    ----------
    screen : Screen, optional
        For a file whose ``%@METADATA`` lines do not give its screen; one that does refuses it.
    """
    from scipy.io import arff

    from .datasets import GazeRecording, _nominal_rate, _to_deg

    path = Path(path)
    try:
        if path.stat().st_size > MAX_ARFF_BYTES:
            raise RecordingError(f"{path.name} is {path.stat().st_size / 1e6:.0f} MB, over the "
                                 f"{MAX_ARFF_BYTES / 1e6:.0f} MB an ARFF gaze file is read whole to",
                                 "split the recording")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise RecordingError(f"cannot read {path.name}: {e.strerror or e}") from None
    try:
        data, meta = arff.loadarff(io.StringIO(text))
    except Exception as e:  # (scipy's parser raises ValueError, ParseArffError, NotImplementedError...)
        why = (str(e).strip().splitlines() or [type(e).__name__])[0][:120]
        raise RecordingError(f"{path.name} is not an ARFF table sensekit reads: {why}",
                             "check the file (GazeCom's layout: time, x, y, confidence, labels)") from None
    names = [n.lower() for n in meta.names()]
    types = dict(zip(names, meta.types(), strict=True))
    if any(n.startswith(("x_head", "y_head", "head_")) for n in names):
        raise RecordingError(f"{path.name} is a 360-degree video's gaze (head and eye in equirectangular pixels), "
                             "which sensekit does not read", "convert its eye-in-head gaze to degrees first")
    missing = [n for n in ("time", "x", "y") if n not in names]
    if missing:
        raise RecordingError(f"{path.name}: no {', '.join(missing)} attribute among {meta.names()[:8]}",
                             "GazeCom's layout: time (us), x and y (px), confidence, labels")
    if any(types[n] != "numeric" for n in ("time", "x", "y")):
        raise RecordingError(f"{path.name}: its time, x and y attributes must be numbers")
    if len(data) < 2:
        raise RecordingError(f"{path.name} holds {len(data)} sample(s)", "a recording of gaze has many")
    column = {n: data[orig] for n, orig in zip(names, meta.names(), strict=True)}
    raw = np.asarray(column["time"], dtype=np.float64)
    if not np.isfinite(raw).all():
        raise RecordingError(f"{path.name}: its time attribute has missing values")
    t = (raw - raw[0]) * 1e-6
    own = _screen(_header(text), path.name)
    if own is not None and screen is not None:
        raise RecordingError(f"--screen/--distance do not apply: {path.name} states its screen (%@METADATA)",
                             "leave them out")
    screen = own or screen
    if screen is None:
        raise DatasetError(f"{path.name}: gaze in pixels, and no %@METADATA lines give its screen",
                           "give --screen WxHmm@WxH and --distance MM")
    x, y = (np.asarray(column[a], dtype=np.float64) for a in ("x", "y"))
    if "confidence" in column and types["confidence"] == "numeric":
        seen = np.asarray(column["confidence"], dtype=np.float64) >= ARFF_MIN_CONFIDENCE
        x, y = np.where(seen, x, np.nan), np.where(seen, y, np.nan)
    x, y = _to_deg(x, y, screen, "px")
    labels, classes = {}, {}
    for n, orig in zip(names, meta.names(), strict=True):
        if _LABEL_ATTRIBUTE.match(n):
            labels[orig] = _labels(column[n], types[n], orig, path.name)
            coded = (FIXATION, SACCADE, PURSUIT) + ((PSO,) if (labels[orig] == PSO).any() else ())
            classes[orig] = coded
    return GazeRecording(t, x, y, _nominal_rate(t, path.name), screen, labels, path.stem, classes)


def gazecom_clips(root) -> dict[str, list[Path]]:
    """GazeCom's hand-labelled files by clip: ``ground_truth/<clip>/*.arff`` under ``root`` (the
    annotations repository), in name order."""
    root = Path(root)
    folder = root / "ground_truth" if (root / "ground_truth").is_dir() else root
    clips = {}
    if folder.is_dir():
        clips = {d.name: sorted(d.glob("*.arff")) for d in sorted(folder.iterdir()) if d.is_dir()}
    clips = {c: files for c, files in clips.items() if files}
    if not clips:
        raise DatasetError(f"{root} holds no GazeCom clips (ground_truth/<clip>/<viewer>_<clip>.arff)",
                           "set SENSEKIT_GAZECOM to the annotations repository's folder")
    return clips


def load_gazecom(root, clip: str | None = None) -> list:
    """Every labelled recording of GazeCom under ``root`` (or of one ``clip``), as
    :class:`~sensekit.eyetrack.datasets.GazeRecording` objects."""
    clips = gazecom_clips(root)
    if clip is not None and clip not in clips:
        raise DatasetError(f"GazeCom has no clip {clip!r}; its clips: {', '.join(clips)}")
    return [load_arff_gaze(f) for c, files in clips.items() if clip in (None, c) for f in files]
