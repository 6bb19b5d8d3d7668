"""sensekit: streaming signal processing for hand gestures, eye tracking, spatial audio and EMG."""

__version__ = "0.1.0"
