"""Recordings: sensekit HDF5 (read and write), XDF, WAV/FLAC, CSV, EDF/BDF, OpenBCI GUI and OpenSignals text files,
BrainFlow files and .mat files of an EMG matrix and its labels, Ninapro's (read)."""

from __future__ import annotations

import os
from pathlib import Path

from ...errors import ParameterError, RecordingError
from ..checks import live_source_fix
from .audio import AUDIO_SUFFIXES, AudioRecording
from .base import DEFAULT_BLOCK_S, Recording, Segment
from .brainflowfile import BrainFlowFileRecording, is_brainflow_file
from .csvfile import CSVRecording
from .edf import EDFRecording
from .hdf5 import HDF5Recording, RecordingWriter, StreamWriter
from .matfile import MatRecording
from .openbci import OpenBCIRecording, is_openbci
from .opensignals import OpenSignalsRecording, is_opensignals
from .xdf import XDFRecording

__all__ = [
    "open_recording",
    "Recording",
    "Segment",
    "RecordingWriter",
    "StreamWriter",
    "HDF5Recording",
    "AudioRecording",
    "CSVRecording",
    "XDFRecording",
    "EDFRecording",
    "OpenBCIRecording",
    "OpenSignalsRecording",
    "BrainFlowFileRecording",
    "MatRecording",
    "RECORDING_SUFFIXES",
    "DEFAULT_BLOCK_S",
]

def _kind_and_unit(kwargs: dict) -> dict:
    """The options a reader of a file that names its own columns takes (not a CSV's ``time_column``)."""
    return {k: v for k, v in kwargs.items() if k in ("kind", "unit")}


def _states_its_rate(path: Path) -> RecordingError:
    return RecordingError(f"--rate does not apply: {path.name} states its own rate", "leave --rate out")


def _text_recording(path: Path, **kwargs) -> Recording:
    """A text table: an OpenBCI GUI recording (its first line says so), a BrainFlow file (named
    ``BrainFlow-RAW*``, as the GUI names it), else a CSV table (commas, tabs or semicolons,
    :class:`CSVRecording`; the only one of them a ``rate`` may be given: where it has no clock)."""
    reader = (OpenBCIRecording if is_openbci(path) else OpenSignalsRecording if is_opensignals(path)
              else BrainFlowFileRecording if is_brainflow_file(path) else None)
    if reader is None:
        return CSVRecording(path, **kwargs)
    if kwargs.get("rate") is not None:
        raise _states_its_rate(path)
    return reader(path, **_kind_and_unit(kwargs))


_READERS = {
    ".h5": HDF5Recording,
    ".hdf5": HDF5Recording,
    ".xdf": XDFRecording,
    ".xdfz": XDFRecording,
    ".csv": _text_recording,
    ".tsv": _text_recording,
    ".txt": _text_recording,
    ".edf": EDFRecording,
    ".bdf": EDFRecording,
    ".mat": lambda path, **kwargs: MatRecording(path, **_kind_and_unit(kwargs), rate=kwargs.get("rate")),
    **{s: AudioRecording for s in AUDIO_SUFFIXES},
}

#: File name endings that :func:`open_recording` reads.
RECORDING_SUFFIXES = tuple(_READERS)


#: Video files: sources (``video:FILE``), not recordings.
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
#: Gaze files that are no recording of streams ('sensekit eyetrack events' reads them), and what
#: each is.
GAZE_FILE_SUFFIXES = {".asc": "EyeLink's ASC", ".arff": "GazeCom's ARFF",
                      ".gz": "a Tobii Pro Glasses recording's gaze, or a compressed gaze table",
                      ".pldata": "a Pupil Core recording's data"}


def open_recording(path: str | os.PathLike, **kwargs) -> Recording:
    """Open a recording by its file name ending.

    Parameters
    ----------
    path : path-like
        ``.h5``/``.hdf5`` (sensekit), ``.xdf``, ``.wav``/``.flac``/``.ogg``/``.aiff``,
        ``.csv``/``.tsv``/``.txt`` tables, ``.edf``/``.bdf``, OpenBCI GUI ``.txt`` (or ``.csv``) files.
    **kwargs
        Passed to the format's reader (e.g. ``time_column`` and ``kind`` for CSV); ``rate`` (Hz)
        for a table with no time column or a ``.mat`` file that states no rate, refused for a
        file that states its own.

    Raises
    ------
    RecordingError
        Unknown ending, missing file, or a file that is corrupt, truncated or not of
        the format its name says.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    live = live_source_fix(path) if reader is None and not path.exists() else None
    if live:
        raise RecordingError(f"cannot read {str(path)!r}: there is no such file", live)
    if reader is None and path.suffix.lower() in VIDEO_SUFFIXES:
        raise RecordingError(f"{str(path)!r} is a video: it is read as a source, video:{path}",
                             f"e.g. 'sensekit capture video:{path} -o clip.h5', or 'sensekit run gesture video:{path}'")
    if reader is None and path.suffix.lower() in GAZE_FILE_SUFFIXES:
        raise RecordingError(f"cannot read {str(path)!r} as a recording of streams: sensekit reads "
                             f"{path.suffix.lower()} files as gaze ({GAZE_FILE_SUFFIXES[path.suffix.lower()]})",
                             f"sensekit eyetrack events {path}")
    if path.is_dir():  # (checked before the ending: a folder had been 'unknown file type (none)')
        raise RecordingError(f"{str(path)!r} is a folder, not a recording", "name a file in it")
    if reader is None:
        raise RecordingError(
            f"cannot read {str(path)!r}: unknown file type {path.suffix or '(none)'!r}",
            f"use one of {', '.join(RECORDING_SUFFIXES)}",
        )
    if kwargs.get("rate") is None:
        kwargs.pop("rate", None)
    elif reader not in (_text_recording, _READERS[".mat"]):
        raise _states_its_rate(path)
    try:
        return reader(path, **kwargs)
    except ParameterError as e:  # a stream description the file states (its rate, shape): name the file
        raise RecordingError(f"{path.name}: {e.problem}", e.fix) from None
