"""WAV, FLAC and other libsndfile formats, read in blocks with soundfile."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo
from .base import Recording

__all__ = ["AudioRecording", "AUDIO_SUFFIXES"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")


class AudioRecording(Recording):
    """An audio file as one stream ``"audio"`` of kind ``audio``, float32 in full-scale
    units (-1..1), one channel per file channel."""

    def __init__(self, path: str | os.PathLike, *, name: str = "audio") -> None:
        import soundfile as sf

        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"audio file {str(self.path)!r} does not exist", "check the path")
        try:
            self._file = sf.SoundFile(str(self.path))
        except (sf.LibsndfileError, RuntimeError, TypeError) as e:
            raise RecordingError(f"{str(self.path)!r} is not a readable audio file ({e})") from None
        f = self._file
        self._n = f.frames
        self.streams = {
            name: StreamInfo(
                name=name, kind="audio", rate=float(f.samplerate), shape=(f.channels,), dtype="float32", unit="FS",
                meta={"format": f.format, "subtype": f.subtype},
            )
        }

    def n_samples(self, name: str) -> int:
        return self._n

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        try:
            self._file.seek(start)
            data = self._file.read(stop - start, dtype="float32", always_2d=True)
        except Exception as e:
            raise RecordingError(f"{str(self.path)!r}: cannot read samples {start}..{stop} ({e})") from None
        if len(data) != stop - start:
            raise RecordingError(
                f"{str(self.path)!r} is truncated: expected {stop - start} samples at {start}, read {len(data)}"
            )
        return data

    def close(self) -> None:
        self._file.close()
