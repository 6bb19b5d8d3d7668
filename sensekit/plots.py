"""Figures written straight to PNG files, with no display needed (matplotlib's Agg)."""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def png_figure(path: str | os.PathLike, *, nrows: int = 1, ncols: int = 1, figsize=(10.0, 4.0)):
    """A figure whose axes the ``with`` body draws on; saved to ``path`` (PNG, 100 dpi)
    when the body finishes, closed in any case.

    Yields
    ------
    matplotlib Axes, or an array of them for several panels
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
    try:
        yield axes
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def draw_confusion(ax, matrix, classes, *, title: str = "", counts: bool = False, xlabel: str = "decided",
                   ylabel: str = "held", row_names=None) -> None:
    """A confusion matrix (rows: the true class, columns: the decision) shaded by row shares;
    each non-zero cell annotated with its share, or with ``counts`` every cell with its count. A
    decision column past the classes (none/rejected) is drawn when present. ``row_names``: the
    rows' names where they are not the decisions' classes."""
    import numpy as np

    m = np.asarray(matrix, dtype=float)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1.0)
    ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    names = [str(c) for c in classes]
    ax.set_xticks(range(m.shape[1]), (names + ["none"])[: m.shape[1]], rotation=45, ha="right")
    ax.set_yticks(range(m.shape[0]), ([str(c) for c in row_names] if row_names is not None else names)[: m.shape[0]])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for (i, j), v in np.ndenumerate(m):
        if counts:
            text, size = f"{int(v)}", None
        elif v:
            text, size = (f"{share[i, j]:.0%}" if share[i, j] >= 0.005 else "<1%"), 8
        else:
            continue
        ax.text(j, i, text, ha="center", va="center", fontsize=size, color="white" if share[i, j] > 0.5 else "black")
    if title:
        ax.set_title(title)
