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
