"""Lab Streaming Layer outlet: publish a stream to Unity, LabRecorder or any LSL app."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ...errors import DeviceError, StreamFormatError
from ..frame import Frame
from ..info import StreamInfo

__all__ = ["LSLOutletSink", "import_pylsl"]

_FORMATS = {"float32": "float32", "float64": "double64", "int8": "int8", "int16": "int16", "int32": "int32",
            "int64": "int64", "uint8": "int16", "uint16": "int32", "bool": "int8"}


def _quiet_liblsl() -> None:
    """Point liblsl at a config that logs errors only (its default logs INFO lines to
    stderr), unless the user has a config of their own (``LSLAPICFG``)."""
    if "LSLAPICFG" in os.environ:
        return
    cfg = Path(tempfile.gettempdir()) / "sensekit-lsl_api.cfg"
    try:
        if not cfg.exists():
            cfg.write_text("[log]\nlevel = -2\n")
        os.environ["LSLAPICFG"] = str(cfg)
    except OSError:  # read-only temp: keep liblsl's default logging
        pass


#: The longest ``meta`` an outlet's description carries (JSON characters); a longer one is left out.
MAX_META_CHARS = 16384


def _meta_text(info: StreamInfo) -> str:
    """The stream's ``meta`` as strict JSON for the outlet's description; empty where there is
    none, where it holds what JSON cannot (NaN), or where it is longer than :data:`MAX_META_CHARS`."""
    import json

    if not info.meta:
        return ""
    try:
        text = json.dumps(info.to_dict()["meta"], allow_nan=False, sort_keys=True)
    except (TypeError, ValueError):
        return ""
    return text if len(text) <= MAX_META_CHARS else ""


def _grid_labels(info: StreamInfo) -> tuple[str, ...] | None:
    """Channel labels of a (rows, columns) stream whose meta names them (``rows``: what a row is,
    ``columns``: what each column holds), e.g. ``hand0_label``, ``hand0_confidence``, ...; else None."""
    rows, columns = info.meta.get("rows"), info.meta.get("columns")
    if len(info.shape) != 2 or not isinstance(rows, str) or not isinstance(columns, (list, tuple)) or len(
            columns) != info.shape[1]:
        return None
    return tuple(f"{rows}{i}_{c}" for i in range(info.shape[0]) for c in columns)


def import_pylsl():
    """Import pylsl, or raise a :class:`DeviceError` that says how to install it."""
    _quiet_liblsl()
    try:
        import pylsl
    except (ImportError, RuntimeError, OSError) as e:
        raise DeviceError(f"Lab Streaming Layer is not available ({e})", "pip install 'sensekit[lsl]'") from None
    return pylsl


class LSLOutletSink:
    """Publish frames on an LSL outlet with the stream's name, kind, rate and channel labels.

    Parameters
    ----------
    name : str, optional
        Outlet name; default the stream's name.
    source_id : str, optional
        Unique source id, so that receivers reconnect after a restart.
    chunk_size : int
        Preferred chunk size for transmission (0: as pushed).

    Notes
    -----
    Multi-dimensional samples are flattened to ``prod(shape)`` channels (C order);
    the shape travels in the outlet's description (``desc/sensekit/shape``), and so does the
    stream's ``meta`` as JSON (``desc/sensekit/meta``, up to :data:`MAX_META_CHARS`): a sensekit
    reader of the outlet (:class:`~sensekit.core.sources.lsl.LSLSource`) gets the stream back as
    it was, hand landmarks with their image size. Sample timestamps are the frames' timestamps on
    the source clock.
    """

    def __init__(self, name: str | None = None, *, source_id: str | None = None, chunk_size: int = 0) -> None:
        self.name = name
        self.source_id = source_id
        self.chunk_size = chunk_size
        self.outlet = None

    def open(self, info: StreamInfo) -> None:
        pylsl = import_pylsl()
        fmt = _FORMATS.get(info.dtype)
        if fmt is None:
            raise StreamFormatError(f"LSL cannot carry dtype {info.dtype} of stream {info.name!r}")
        self._dtype = {"double64": np.float64, "float32": np.float32, "int8": np.int8, "int16": np.int16,
                       "int32": np.int32, "int64": np.int64}[fmt]
        self._width = int(np.prod(info.shape, dtype=np.int64)) if info.shape else 1
        lsl_info = pylsl.StreamInfo(self.name or info.name, info.kind.upper() if info.kind == "emg" else info.kind,
                                    self._width, info.rate, fmt, self.source_id or f"sensekit-{info.name}")
        desc = lsl_info.desc()
        chans = desc.append_child("channels")
        names = info.channels if len(info.shape) == 1 else _grid_labels(info) or tuple(f"e{i}" for i in range(self._width))
        for c in names or ("value",):
            ch = chans.append_child("channel")
            ch.append_child_value("label", c)
            ch.append_child_value("unit", info.unit)
            ch.append_child_value("type", info.kind)
        sk = desc.append_child("sensekit")
        sk.append_child_value("shape", ",".join(map(str, info.shape)))
        sk.append_child_value("kind", info.kind)
        meta = _meta_text(info)
        if meta:
            sk.append_child_value("meta", meta)
        self.outlet = pylsl.StreamOutlet(lsl_info, chunk_size=self.chunk_size)

    def write(self, frame: Frame) -> None:
        if frame.n == 0:
            return
        data = np.ascontiguousarray(frame.data.reshape(frame.n, self._width), dtype=self._dtype)
        self.outlet.push_chunk(data, frame.times.tolist())

    def close(self) -> None:
        self.outlet = None
