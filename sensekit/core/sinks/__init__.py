"""Sinks: where frames go (files, LSL, JSON lines, speakers)."""

from .files import AudioFileSink, CSVSink, HDF5Sink, file_sink
from .jsonl import JSONLinesSink
from .lsl import LSLOutletSink
from .speaker import SpeakerSink

__all__ = ["HDF5Sink", "AudioFileSink", "CSVSink", "file_sink", "JSONLinesSink", "LSLOutletSink", "SpeakerSink"]
