"""The calibration figure: how the decoder confuses the classes, and each class's pattern over
the band's channels (a dead or swapped electrode shows as a column)."""

from __future__ import annotations

import os

import numpy as np

from ..plots import draw_confusion, png_figure
from .datasets import EMGTrials

__all__ = ["plot_calibration"]


def class_patterns(trials: EMGTrials) -> np.ndarray:
    """RMS of each channel for each class (mean over its trials), in dB re the largest: shape
    (classes, channels); -inf where a class has no trial or a channel is flat."""
    out = np.full((len(trials.classes), trials.info.shape[0]), np.nan)
    for k in range(len(trials.classes)):
        rms = [np.sqrt(np.nanmean(np.asarray(t.data, dtype=float) ** 2, axis=0)) for t in trials if t.label == k]
        if rms:
            out[k] = np.mean(rms, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 20 * np.log10(out / np.nanmax(out))


def plot_calibration(path: str | os.PathLike, trials: EMGTrials, matrix=None) -> None:
    """PNG of the calibration: the leave-one-repetition-out confusion matrix (when given) and
    the class-by-channel RMS pattern in dB (red: a channel flat or not finite in that class)."""
    patterns = class_patterns(trials)
    panels = 2 if matrix is not None else 1
    with png_figure(path, ncols=panels, figsize=(5.5 * panels, 4.5)) as axes:
        axes = np.atleast_1d(axes)
        if matrix is not None:
            draw_confusion(axes[0], matrix, trials.classes, title="leave-one-repetition-out decisions")
        ax = axes[-1]
        import matplotlib

        cmap = matplotlib.colormaps["viridis"].copy()
        cmap.set_bad("red")  # a flat or non-finite channel
        finite = patterns[np.isfinite(patterns)]
        low = max(-40.0, float(np.floor(finite.min())) - 1.0) if finite.size else -40.0
        im = ax.imshow(np.ma.clip(np.ma.masked_invalid(patterns), low, 0.0), cmap=cmap, vmin=low, vmax=0.0, aspect="auto")
        channels = list(trials.info.channels) or [f"ch{i}" for i in range(patterns.shape[1])]
        ax.set_xticks(range(len(channels)), channels, rotation=45, ha="right")
        ax.set_yticks(range(len(trials.classes)), trials.classes)
        ax.set_title("RMS per channel and class (dB re the largest; red: flat)")
        ax.figure.colorbar(im, ax=ax, label="dB")
