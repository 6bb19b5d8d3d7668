"""Channel selection."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ParameterError
from ..checks import check_stream
from ..frame import Frame
from ..info import StreamInfo
from ..stage import Stage

__all__ = ["SelectChannels", "SetMeta"]


class SelectChannels(Stage):
    """Keep some channels (the first sample axis), in the order given.

    Parameters
    ----------
    channels : sequence of str or int
        Channel names or 0-based indices; names and indices may be mixed.
    """

    def __init__(self, channels: Sequence[str | int]) -> None:
        self.channels = channels

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "SelectChannels", dtype_kinds=None)
        if not info.shape:
            raise ParameterError(f"SelectChannels: stream {info.name!r} has scalar samples; nothing to select")
        if isinstance(self.channels, (str, int)) or len(self.channels) == 0:
            raise ParameterError(f"SelectChannels: channels must be a non-empty list, got {self.channels!r}")
        idx = []
        for c in self.channels:
            if isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                if not 0 <= c < info.shape[0]:
                    raise ParameterError(
                        f"SelectChannels: channel index {c} out of range for stream {info.name!r} "
                        f"with {info.shape[0]} channels (0..{info.shape[0] - 1})"
                    )
                idx.append(int(c))
            elif isinstance(c, str) and c in info.channels:
                idx.append(info.channels.index(c))
            else:
                raise ParameterError(
                    f"SelectChannels: no channel {c!r} in stream {info.name!r}; channels are {list(info.channels)}"
                )
        self.indices_ = np.asarray(idx, dtype=np.intp)
        names = tuple(info.channels[i] for i in idx) if info.channels else ()
        if len(set(idx)) != len(idx):
            names = tuple(f"{n}#{k}" for k, n in enumerate(names))
        self._out_info = info.replace(shape=(len(idx), *info.shape[1:]), channels=names)
        return self._out_info

    def _process(self, frame: Frame) -> Frame:
        data = np.take(frame.data, self.indices_, axis=1)
        return Frame._trusted(self._out_info, data, frame.t0, frame._times, frame.seq)


class SetMeta(Stage):
    """Pass samples through unchanged; add or replace entries of the stream's meta (e.g.
    the array geometry a capture should carry).

    Parameters
    ----------
    **meta
        JSON-compatible values.
    """

    def __init__(self, **meta) -> None:
        self.meta = meta

    def _open(self, info: StreamInfo) -> StreamInfo:
        return info.replace(meta={**dict(info.meta), **self.meta})

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        if frame.info.rate > 0:
            return Frame._trusted(self.output_info, frame.data, frame.t0, None, frame.seq)
        return Frame._trusted(self.output_info, frame.data, frame.t0, frame.times, frame.seq)
