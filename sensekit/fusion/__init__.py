"""Fusion of interaction channels: gaze points, a pinch confirms ("look and pinch").

Fusion sits above the chains: it combines their output streams (gaze from the eye chain, hand
landmarks from the gesture chain, decisions from the EMG chain) on one timeline with
:class:`~sensekit.core.align.Align`. Chains never import it.
"""

from .select import DwellSelector, GazeFixationFilter, LookAndPinch
from .targets import TargetLayout, load_layout

__all__ = ["DwellSelector", "GazeFixationFilter", "LookAndPinch", "TargetLayout", "load_layout"]
