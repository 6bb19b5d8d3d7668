"""Replay a recording as a source, as fast as possible or at its recorded pace."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence

from ...errors import RecordingError
from ..frame import Frame
from ..recording import open_recording
from .base import Source

__all__ = ["ReplaySource"]

log = logging.getLogger("sensekit")


class ReplaySource(Source):
    """Frames of one stream of a recording (any format :func:`open_recording` reads).

    Parameters
    ----------
    path : path-like
        The recording.
    stream : str, optional
        Stream name; default the only stream, else the only one of the first of ``kinds`` the
        recording holds one of (:meth:`~sensekit.core.recording.base.Recording.choose_stream`),
        else the first, with a warning.
    block_size : int, optional
        Samples per frame (default: 8192 samples of a regular stream, 0.5 s when
        ``realtime``; 1 sample of an irregular stream).
    realtime : bool
        Pace frames at the recorded rate.
    time_offset_s : float
        Subtracted from every timestamp: a latency measured by ``sensekit calibrate sync``
        puts this stream on its reference's clock.
    kinds : sequence of str
        The stream kinds the reader wants, in order of preference (a calibration's ``emg``): a
        session recorded beside its labels or other devices is read without naming the stream.
    """

    def __init__(self, path: str | os.PathLike, *, stream: str | None = None, block_size: int | None = None,
                 realtime: bool = False, time_offset_s: float = 0.0, rate: float | None = None,
                 kinds: Sequence[str] = ()) -> None:
        self.recording = open_recording(path, rate=rate)  # (rate: of a table with no time column)
        try:
            chosen = self.recording.choose_stream(stream, kinds)
        except Exception:
            self.recording.close()
            raise
        self.stream = chosen if chosen is not None else self.recording.stream_name(None)
        if chosen is None:  # the first, of several, none of the kinds wanted: said, not silently
            name = os.path.basename(path)
            log.warning("%s holds %d streams (%s): reading the first, %r; name one as %s#STREAM", name,
                        len(self.recording.streams), ", ".join(self.recording.streams), self.stream, name)
        self.info = self.recording.streams[self.stream]
        if self.recording.n_samples(self.stream) == 0:
            self.recording.close()
            raise RecordingError(f"{path} holds no samples (stream {self.stream!r})", "record some data first")
        self.block_size = block_size
        self.realtime = realtime
        self.time_offset_s = float(time_offset_s)
        self.description = f"{path} [{self.stream}]"

    def _frames(self) -> Iterator[Frame]:
        frames = self.recording.frames(self.stream, block_size=self.block_size, realtime=self.realtime)
        if not self.time_offset_s:
            return frames
        shift = self.time_offset_s
        return (Frame._trusted(f.info, f.data, f.t0 - shift, None if f._times is None else f._times - shift, f.seq)
                for f in frames)

    def close(self) -> None:
        self.recording.close()
