"""Gesture datasets: landmark keypoint tables and fingertip point histories (the CSV
formats of kazuhito00/hand-gesture-recognition-using-mediapipe and its kinivi fork), and
the real hand images and video of ``mediapipe-hand-images``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..core.checks import not_a_file
from ..errors import DatasetError

__all__ = ["load_keypoints", "load_point_history", "load_crossperson", "ordered_split", "read_labels", "load_hand_images"]


def read_labels(path: str | os.PathLike) -> list[str]:
    """Class names, one a line; BOMs on any line and CRLF endings are stripped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise DatasetError(f"cannot read label file {path} ({e})") from None
    return [line.replace("\ufeff", "").strip() for line in text.splitlines() if line.strip()]


def _has_header(path: Path) -> bool:
    """Whether the table's first line is a header: names, no cell a number ('label,x0,y0,...', as
    pandas writes a table; a damaged first row, numbers and a bad cell, is not one)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            cells = [c.strip() for c in fh.readline().split(",") if c.strip()]
    except OSError:
        return False
    return bool(cells) and not any(_number(c) for c in cells)


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _table(path: Path, columns: int | tuple[int, ...]) -> tuple[np.ndarray, list[str] | None]:
    """A numeric CSV of ``columns`` columns (label, then coordinates; one of several widths where
    a tuple), with or without a header line, and the class names where its labels are names
    (``Open,0.0,0.0,...``, as a recorder of one's own writes them: indices in the order the names
    first appear) rather than indices (None): an empty file, a ragged or non-numeric row, NaN/inf
    values or labels that are not whole numbers are one-line errors."""
    import warnings

    widths = (columns,) if isinstance(columns, int) else tuple(columns)
    skip = int(_has_header(path))
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            lines = [line for _, line in zip(range(skip + 1), fh, strict=False)]
    except OSError:
        lines = []
    label = lines[skip].split(",", 1)[0].strip() if len(lines) > skip else ""
    names: dict[str, int] | None = {} if label and not _number(label) else None  # (a name in the label column)

    def index(text: str) -> float:
        return float(names.setdefault(text.strip(), len(names)))

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data": said below
            t = np.loadtxt(path, delimiter=",", ndmin=2, encoding="utf-8-sig",  # (a BOM, as from Excel)
                           skiprows=skip, converters={0: index} if names is not None else None)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path} is not a numeric CSV table ({str(e)[:120]})") from None
    if t.size == 0:
        raise DatasetError(f"{path} holds no rows", "record some samples first")
    if t.shape[1] not in widths:
        expected = " or ".join(str(w) for w in widths)
        raise DatasetError(f"{path}: {t.shape[1]} columns, expected {expected} (label + coordinates)")
    bad = ~np.isfinite(t).all(axis=1)
    if bad.any():
        raise DatasetError(f"{path}: row {int(np.argmax(bad)) + 1} holds NaN or infinite values",
                           "remove the rows where no hand was seen")
    if (t[:, 0] != np.round(t[:, 0])).any() or (t[:, 0] < 0).any():
        raise DatasetError(f"{path}: the first column (the class index) holds values that are not whole numbers >= 0")
    far = np.abs(t[:, 1:]).max(axis=1) > MAX_COORDINATE
    if far.any():
        raise DatasetError(f"{path}: row {int(np.argmax(far)) + 1} holds a coordinate of "
                           f"{np.abs(t[int(np.argmax(far)), 1:]).max():.3g}, not a landmark's",
                           f"coordinates are relative (about -1..1) or pixels (under {MAX_COORDINATE:g})")
    return t, (list(names) if names is not None else None)


#: The most classes a keypoint table may index (a label of 1e11 would make 1e11 class names), and
#: the largest coordinate (relative coordinates lie within about -1..1, pixels within an image).
MAX_CLASSES, MAX_COORDINATE = 1000, 1e5


def _labelled_table(path: str | os.PathLike, default_name: str, names_name: str,
                    columns: int | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The table ``path`` (any name; a folder: its ``default_name``), its class indices and the
    class names of ``names_name`` beside it ("class 0", "class 1"... where there is none)."""
    root = Path(path)
    table = root / default_name if root.is_dir() else root
    if not table.is_file():
        raise DatasetError(f"{table} {not_a_file(table)}", f"give a {default_name} table or its folder")
    t, named = _table(table, columns)
    if t[:, 0].max() > MAX_CLASSES:
        raise DatasetError(f"{table}: a class index of {t[:, 0].max():.0f}; at most {MAX_CLASSES} classes")
    labels = t[:, 0].astype(int)
    names_file = table.parent / names_name
    if named is not None:  # (the rows name their classes)
        names = named
    elif names_file.exists():
        names = read_labels(names_file)
        if labels.max() >= len(names):
            raise DatasetError(f"{table}: class index {labels.max()} but {names_file.name} names {len(names)} classes",
                               "add the missing names, one a line")
    else:
        names = [f"class {i}" for i in range(int(labels.max()) + 1)]
    return t[:, 1:], labels, names


def load_keypoints(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Static-gesture rows: ``(points (n, 21, 2), labels (n,), class names)`` from the table
    ``path`` (any name), or ``keypoint.csv`` in the folder ``path``, and the class names of
    ``keypoint_classifier_label.csv`` beside it ("class 0", "class 1"... where there is none).
    Rows of 21 (x, y, z) landmarks, as some recorders write them, keep their x and y."""
    rows, labels, names = _labelled_table(path, "keypoint.csv", "keypoint_classifier_label.csv", (43, 64))
    if rows.shape[1] == 63:
        return rows.reshape(-1, 21, 3)[:, :, :2].copy(), labels, names
    return rows.reshape(-1, 21, 2), labels, names


def load_crossperson(path: str | os.PathLike, *, poses: bool = False):
    """The keypoint rows of ``gesture-forks-crossperson`` (other people's hands):
    ``(points (n, 21, 2), development label per row ("" for a pose none of the development
    sets has), fork per row)``, in each fork's file order. With ``poses``, a fourth array: each
    row's pose name (its fork's own label name) in lower case without spaces or hyphens, so that
    "Thumbs up" and "ThumbsUp" of two forks are one pose."""
    import csv

    root = Path(path)
    mapping = {}
    with open(root / "mapping.csv", newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            mapping[(row["fork"], int(row["label_index"]))] = row
    pts, labels, forks, names = [], [], [], []
    for folder in sorted(p for p in root.iterdir() if (p / "keypoint.csv").exists()):
        fork = folder.name.replace("__", "/", 1)
        t, _ = _table(folder / "keypoint.csv", 43)
        pts.append(t[:, 1:].reshape(-1, 21, 2))
        rows = [mapping.get((fork, int(i)), {}) for i in t[:, 0]]
        labels += [r.get("dev_label", "").strip() for r in rows]
        names += [r.get("label_name", "?").lower().replace(" ", "").replace("-", "") for r in rows]
        forks += [fork] * len(t)
    out = (np.concatenate(pts), np.asarray(labels), np.asarray(forks))
    return (*out, np.asarray(names)) if poses else out


def load_point_history(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Fingertip histories: ``(trajectories (n, 16, 2), labels (n,), class names)`` from the
    table ``path`` (any name), or ``point_history.csv`` in the folder ``path``, and the class
    names of ``point_history_classifier_label.csv`` beside it. Each row is the index fingertip
    over 16 frames, relative to the first point, in image widths (x) and heights (y), seen in
    mirrored images (the recorder flips the camera image)."""
    rows, labels, names = _labelled_table(path, "point_history.csv", "point_history_classifier_label.csv", 33)
    return rows.reshape(-1, 16, 2), labels, names


def ordered_split(labels: np.ndarray, train_fraction: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
    """For each class, the first ``train_fraction`` of its rows in file order train and the
    rest test (neighbouring rows are near-duplicate video frames: a random split leaks)."""
    train, test = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        k = int(len(idx) * train_fraction)
        train.append(idx[:k])
        test.append(idx[k:])
    return np.concatenate(train), np.concatenate(test)


def load_hand_images(path: str | os.PathLike) -> dict[str, list[Path]]:
    """The photos and the video of ``mediapipe-hand-images``: ``{"images": [...], "video": [...]}``."""
    root = Path(path)
    images = sorted(root.glob("gesture_recognizer_testdata/*/*.jpg")) + sorted(
        p for p in root.glob("mediapipe_samples/*") if p.suffix.lower() in (".jpg", ".png"))
    if not images:
        raise DatasetError(f"no hand images under {root}")
    return {"images": images, "video": sorted(root.glob("mediapipe_samples/*.mp4"))}
