"""The source interface: an iterable of frames with a ``StreamInfo``."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from ..frame import Frame
from ..info import StreamInfo

__all__ = ["Source", "KindOverride", "clock", "quiet_stderr"]


def clock() -> float:
    """sensekit's clock for device sources: monotonic seconds (``time.monotonic``)."""
    return time.monotonic()


@contextlib.contextmanager
def quiet_stderr():
    """Silence C libraries that print to file descriptor 2 (ALSA, JACK, liblsl) for a while."""
    try:
        fd = os.dup(2)
    except OSError:  # pragma: no cover - no stderr
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


class Source:
    """A stream of frames from a device, a file or a simulator.

    Subclasses set ``self.info`` in ``__init__`` (opening the device, so that a missing
    device is reported before any data flows) and implement ``_frames()``. Sources are
    context managers; ``close()`` releases the device and is safe to call twice.
    """

    info: StreamInfo
    description: str = ""

    @property
    def paced(self) -> bool:
        """Whether samples arrive at the pace they were sampled (a device, a replay with
        ``realtime``), not as fast as they can be read (a recording, a simulator)."""
        return bool(getattr(self, "realtime", True))

    def _frames(self) -> Iterator[Frame]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __iter__(self) -> Iterator[Frame]:
        return self._frames()

    def close(self) -> None:
        """Release the device or file."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description or self.info.name!r})"


class KindOverride(Source):
    """``source`` with its stream's kind stated by the user (a CSV or WAV file that does not
    say it holds EMG, say); data, timing and sequence numbers are unchanged."""

    def __init__(self, source: Source, kind: str) -> None:
        self.source = source
        self.info = source.info.replace(kind=kind)
        self.description = getattr(source, "description", "")

    @property
    def paced(self) -> bool:
        return self.source.paced

    def _frames(self) -> Iterator[Frame]:
        info = self.info
        for f in self.source:
            yield Frame._trusted(info, f.data, f.t0, f._times, f.seq)

    def close(self) -> None:
        self.source.close()
