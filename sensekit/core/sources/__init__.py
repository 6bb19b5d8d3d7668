"""Sources: microphones, cameras, video, LSL, BrainFlow, recordings and simulators."""

from .base import Source
from .replay import ReplaySource
from .spec import SourceSpec, open_source, parse_source
from .synth import SynthSource, synth_source

__all__ = ["Source", "ReplaySource", "SynthSource", "synth_source", "open_source", "parse_source",
           "SourceSpec"]
