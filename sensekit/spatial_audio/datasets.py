"""Array recordings with ground truth: the LOCATA challenge data, read from your copy.

LOCATA (Evers et al. 2020; ODC-By) is not redistributed: download the dev (and eval)
sets and set ``SENSEKIT_LOCATA`` to the folder holding ``dev/``. :func:`locata_recordings`
lists ``<set>/task<k>/recording<r>/<array>/`` folders; :func:`load_locata` reads one:
``audio_array_<array>.wav`` and the tab-separated position files (header row; columns
``x y z`` for positions, ``rotation_11 .. rotation_33`` for the array's orientation,
``mic<i>_x/_y/_z`` for microphone positions when present; time columns ``year .. second``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from ..errors import DatasetError, RecordingError
from .arrays import ArrayGeometry

__all__ = ["LocataRecording", "load_locata", "locata_recordings"]


@dataclasses.dataclass
class LocataRecording:
    """One LOCATA recording of one array.

    Attributes
    ----------
    audio : ndarray (n, M)
    rate : float
    geometry : ArrayGeometry or None
        Microphone positions in the array's own frame (from the position file), if given.
    times : ndarray (T,)
        Times (s from the start) of the ground-truth positions.
    azimuths : dict of str to ndarray (T,)
        Each source's azimuth (deg) in the array's frame over ``times``.
    elevations : dict of str to ndarray (T,)
    name : str
    """

    audio: np.ndarray
    rate: float
    geometry: ArrayGeometry | None
    times: np.ndarray
    azimuths: dict
    elevations: dict
    name: str


def _table(path: Path) -> dict[str, np.ndarray]:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if len(lines) < 2:
        raise RecordingError(f"{path.name} has no data rows", "use the LOCATA position files as distributed")
    head = lines[0].split()
    try:
        data = np.array([[float(v) for v in ln.split()] for ln in lines[1:]])
    except ValueError:
        raise RecordingError(f"{path.name}: non-numeric values after the header", "use the LOCATA files") from None
    if data.shape[1] != len(head):
        raise RecordingError(f"{path.name}: {len(head)} header names for {data.shape[1]} columns")
    return dict(zip(head, data.T, strict=True))


def _col(t: dict, path: Path, *names: str) -> np.ndarray:
    for n in names:
        if n in t:
            return t[n]
    raise RecordingError(f"{path.name} has no column {names[0]!r}", "use the LOCATA position files as distributed")


def _seconds(t: dict, path: Path) -> np.ndarray:
    h, m, s = _col(t, path, "hour"), _col(t, path, "minute"), _col(t, path, "second")
    sec = h * 3600 + m * 60 + s
    return sec - sec[0]


def load_locata(folder, *, array: str | None = None) -> LocataRecording:
    """One recording folder ``.../recording<r>/<array>/``."""
    import soundfile as sf

    folder = Path(folder)
    name = array or folder.name
    wav = folder / f"audio_array_{name}.wav"
    pos = folder / f"position_array_{name}.txt"
    for f in (wav, pos):
        if not f.is_file():
            raise DatasetError(f"{str(folder)!r} lacks {f.name}", "point at a LOCATA <task>/<recording>/<array> folder")
    audio, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    ta = _table(pos)
    t_arr = _seconds(ta, pos)
    p_arr = np.column_stack([_col(ta, pos, "x"), _col(ta, pos, "y"), _col(ta, pos, "z")])
    rot = np.stack([np.column_stack([_col(ta, pos, f"rotation_{i}{j}") for j in (1, 2, 3)]) for i in (1, 2, 3)],
                   axis=1)  # (T, 3, 3): array frame → room frame
    geometry = None
    mic_cols = sorted({k.rsplit("_", 1)[0] for k in ta if k.startswith("mic") and k.endswith("_x")},
                      key=lambda s: int("".join(ch for ch in s if ch.isdigit()) or 0))
    if mic_cols:
        mics = np.stack([np.array([ta[f"{m}_x"][0], ta[f"{m}_y"][0], ta[f"{m}_z"][0]]) for m in mic_cols])
        local = (mics - p_arr[0]) @ rot[0]  # room → array frame (rotation is orthonormal)
        geometry = ArrayGeometry(tuple(map(tuple, local.tolist())), name)
    az, el = {}, {}
    for src in sorted(folder.glob("position_source_*.txt")):
        ts = _table(src)
        t_src = _seconds(ts, src)
        p_src = np.column_stack([_col(ts, src, "x"), _col(ts, src, "y"), _col(ts, src, "z")])
        p = np.column_stack([np.interp(t_arr, t_src, p_src[:, k]) for k in range(3)])
        v = np.einsum("tij,ti->tj", rot, p - p_arr)  # source in the array's frame
        key = src.stem.replace("position_source_", "")
        az[key] = np.degrees(np.arctan2(v[:, 1], v[:, 0])) % 360
        el[key] = np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))
    if geometry is not None and geometry.n_mics != audio.shape[1]:
        raise DatasetError(f"{wav.name} has {audio.shape[1]} channels but the position file {geometry.n_mics} mics")
    return LocataRecording(audio, float(rate), geometry, t_arr, az, el,
                           f"{folder.parent.parent.name}/{folder.parent.name}/{name}")


def locata_recordings(root, *, array: str = "benchmark2", tasks=(1, 2, 3, 4, 5, 6)) -> list[Path]:
    """Folders of one array's recordings under a LOCATA root (``dev/`` and ``eval/``)."""
    root = Path(root)
    out = []
    for t in tasks:
        out += sorted(root.glob(f"*/task{t}/recording*/{array}"))
    return out
