"""WAV, FLAC and other libsndfile formats, read in blocks with soundfile."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from ...errors import RecordingError
from ..info import StreamInfo
from .base import Recording

__all__ = ["AudioRecording", "AUDIO_SUFFIXES"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif")
_WAV_BYTES = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "PCM_U8": 1, "FLOAT": 4, "DOUBLE": 8}

log = logging.getLogger("sensekit")


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
        self.truncated = False
        stated = self._stated_frames()
        readable = self._readable_frames(stated)
        if readable < stated:
            self.truncated = True
            self._n = readable
            log.warning("%s is truncated: its header says %d samples, %d can be read (%.3f of %.3f s); reading those",
                        str(self.path), stated, readable, readable / f.samplerate, stated / f.samplerate)
        self.streams = {
            name: StreamInfo(
                name=name, kind="audio", rate=float(f.samplerate), shape=(f.channels,), dtype="float32", unit="FS",
                meta={"format": f.format, "subtype": f.subtype},
            )
        }

    def _stated_frames(self) -> int:
        """Samples the file's header promises: a WAV's 'data' chunk size (libsndfile clamps
        its own count to the file), else libsndfile's count."""
        f = self._file
        if f.format != "WAV" or f.subtype not in _WAV_BYTES:
            return f.frames
        with open(self.path, "rb") as fh:
            head = fh.read(1 << 16)
        i = 12
        while i + 8 <= len(head):
            size = int.from_bytes(head[i + 4:i + 8], "little")
            if head[i:i + 4] == b"data":
                return max(f.frames, size // (_WAV_BYTES[f.subtype] * f.channels))
            i += 8 + size + (size & 1)
        return f.frames

    def _readable_frames(self, stated: int) -> int:
        """How many of ``stated`` samples decode: the tail is probed, and a failing tail is
        found by reading through in small blocks (on separate handles: a failed seek leaves
        libsndfile's handle unusable)."""
        import soundfile as sf

        if stated == 0:
            return 0
        try:
            with sf.SoundFile(str(self.path)) as probe:
                probe.seek(max(stated - 1024, 0))
                if len(probe.read(1024, dtype="float32")) == stated - max(stated - 1024, 0):
                    return stated
        except Exception:  # noqa: BLE001 - libsndfile reports a damaged tail in many ways
            pass
        count = 0
        try:
            with sf.SoundFile(str(self.path)) as probe:
                while count < stated:
                    got = len(probe.read(4096, dtype="float32"))
                    count += got
                    if got < 4096:
                        break
        except Exception:  # noqa: BLE001
            pass
        return min(count, stated)

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
