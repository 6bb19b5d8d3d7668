"""File sinks: sensekit HDF5, WAV/FLAC and CSV."""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

import numpy as np

from ...errors import ParameterError, RecordingError, StreamFormatError
from ..atomic import final_name
from ..frame import Frame
from ..info import StreamInfo
from ..recording.audio import AUDIO_SUFFIXES
from ..recording.hdf5 import RecordingWriter
from .safety import check_finite

__all__ = ["HDF5Sink", "AudioFileSink", "CSVSink", "file_sink"]

log = logging.getLogger("sensekit")


class HDF5Sink:
    """Record a stream into a sensekit HDF5 file (see :class:`RecordingWriter`).

    Several ``HDF5Sink`` objects may share one :class:`RecordingWriter` (pass
    ``writer``) to record several streams into one file. ``swmr``: other processes can read
    the file while it is written (see :class:`RecordingWriter`).
    """

    def __init__(self, path: str | os.PathLike | None = None, *, overwrite: bool = False,
                 writer: RecordingWriter | None = None, swmr: bool = False) -> None:
        if (path is None) == (writer is None):
            raise ParameterError("HDF5Sink needs exactly one of path or writer")
        self.path = Path(path) if path is not None else writer.path
        self.overwrite = overwrite
        self._writer = writer
        self._owns = writer is None
        self._stream = None
        self.swmr = swmr

    def open(self, info: StreamInfo) -> None:
        if self._writer is None:
            self._writer = RecordingWriter(self.path, overwrite=self.overwrite, swmr=self.swmr)
        self._stream = self._writer.add_stream(info)

    def write(self, frame: Frame) -> None:
        self._stream.append(frame)

    @property
    def n_samples(self) -> int:
        """Samples written so far."""
        return 0 if self._stream is None else self._stream.n

    def close(self) -> None:
        if self._writer is not None:
            if self._owns:
                self._writer.close()
            else:
                self._writer.flush()


class AudioFileSink:
    """Write a regular 1-D-sample stream to WAV/FLAC/OGG with soundfile.

    Parameters
    ----------
    path : path-like
        Output file; the format follows the ending.
    subtype : str, optional
        libsndfile subtype (``"PCM_16"``, ``"PCM_24"``, ``"FLOAT"``); default ``FLOAT``
        for WAV and ``PCM_24`` for FLAC. Values are taken as full-scale (-1..1); integer
        PCM clips outside, a float file keeps them (and a player clips them): either way a
        file whose samples passed full scale is warned about when it is closed, with its peak.
    overwrite : bool
        Replace an existing file.
    producer : str, optional
        The stage whose output is written, named when a block holds NaN/inf (refused:
        see :func:`~sensekit.core.sinks.safety.check_finite`).
    """

    def __init__(self, path: str | os.PathLike, *, subtype: str | None = None, overwrite: bool = False,
                 producer: str | None = None) -> None:
        self.path = Path(path)
        self.subtype = subtype
        self.overwrite = overwrite
        self.producer = producer
        self._file = None
        self._peak = 0.0

    def open(self, info: StreamInfo) -> None:
        import soundfile as sf

        if not info.is_regular or len(info.shape) != 1:
            raise StreamFormatError(
                f"an audio file holds a regular stream of 1-D samples; stream {info.name!r} has rate "
                f"{info.rate:g} Hz and sample shape {info.shape}",
                "write it to .h5 or .csv instead",
            )
        if self.path.exists() and not self.overwrite:
            raise RecordingError(f"{str(self.path)!r} already exists", "choose another name or pass --overwrite")
        if self.path.suffix.lower() not in AUDIO_SUFFIXES:
            raise RecordingError(f"{str(self.path)!r}: unknown audio file type", f"use one of {AUDIO_SUFFIXES}")
        subtype = self.subtype or ("PCM_24" if self.path.suffix.lower() == ".flac" else
                                   "VORBIS" if self.path.suffix.lower() == ".ogg" else "FLOAT")
        rate = int(round(info.rate))
        if abs(rate - info.rate) > 1e-6:
            raise StreamFormatError(f"audio files need an integer rate; stream {info.name!r} runs at {info.rate} Hz",
                                    "resample the stream first")
        try:
            self._file = sf.SoundFile(str(self.path), "w", samplerate=rate, channels=info.shape[0], subtype=subtype)
        except (sf.LibsndfileError, ValueError, TypeError) as e:
            raise RecordingError(f"cannot write {str(self.path)!r} ({e})") from None

    def write(self, frame: Frame) -> None:
        check_finite(frame, self.producer)
        data = frame.data
        if data.dtype.kind in "iu":
            data = data / float(np.iinfo(data.dtype).max + 1)
        if data.size:
            self._peak = max(self._peak, float(np.max(np.abs(data))))
        self._file.write(np.asarray(data, dtype=np.float32))

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            subtype = self._file.subtype
            self._file.close()
            if self._peak > 1.0:  # an audio file's full scale is 1: a player (or integer PCM) clips beyond it
                log.warning("%s: samples reach %.3g, beyond an audio file's full scale of 1 (%s); scale the stream "
                            "first if it is to be heard", final_name(self.path).name, self._peak,
                            "kept in the float file, a player clips them" if subtype in ("FLOAT", "DOUBLE")
                            else f"clipped in {subtype}")


class CSVSink:
    """Write a stream of 1-D samples as CSV: a ``time`` column (s) then one per channel."""

    def __init__(self, path: str | os.PathLike, *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        self._fh = None

    def open(self, info: StreamInfo) -> None:
        if len(info.shape) != 1:
            raise StreamFormatError(
                f"CSV holds 1-D samples; stream {info.name!r} has sample shape {info.shape}", "write it to .h5"
            )
        if self.path.exists() and not self.overwrite:
            raise RecordingError(f"{str(self.path)!r} already exists", "choose another name or pass --overwrite")
        self._fh = open(self.path, "w", newline="")
        csv.writer(self._fh).writerow(["time", *info.channels])

    def write(self, frame: Frame) -> None:
        table = np.column_stack([frame.times, frame.data.astype(np.float64)])
        np.savetxt(self._fh, table, delimiter=",", fmt="%.17g")

    def close(self) -> None:
        if self._fh is not None and not self._fh.closed:
            self._fh.close()


def file_sink(path: str | os.PathLike, *, overwrite: bool = False):
    """The sink for a file name ending: ``.h5``/``.hdf5``, audio (``.wav``, ``.flac``, ...)
    or ``.csv``."""
    suffix = Path(path).suffix.lower()
    if suffix in (".h5", ".hdf5"):
        return HDF5Sink(path, overwrite=overwrite)
    if suffix in AUDIO_SUFFIXES:
        return AudioFileSink(path, overwrite=overwrite)
    if suffix == ".csv":
        return CSVSink(path, overwrite=overwrite)
    raise RecordingError(
        f"cannot write {str(path)!r}: unknown output type {suffix or '(none)'!r}",
        "use .h5, .wav, .flac or .csv (XDF and EDF are read-only)",
    )
