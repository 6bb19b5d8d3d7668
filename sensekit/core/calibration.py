"""Calibration files: JSON with a schema version, the stream format and learned numbers.

A calibration file never holds code or pickled objects; loading it executes nothing.
Format (schema 1)::

    {
      "format": "sensekit-calibration",
      "schema_version": 1,
      "sensekit_version": "0.1.0",
      "chain": "emg",
      "device": "Myo armband (lsl:type=EMG)",
      "created": "2026-11-25T12:00:00+00:00",
      "stream": {... StreamInfo.to_dict() ...},
      "params": {... chain-specific numbers, lists and strings ...}
    }
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import CalibrationError
from .info import StreamInfo

__all__ = ["Calibration", "save_calibration", "load_calibration", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
_FORMAT = "sensekit-calibration"

#: Stream fields compared by default when a calibration is loaded for a stream.
STREAM_FIELDS = ("kind", "rate", "shape", "channels", "unit")


@dataclasses.dataclass(frozen=True)
class Calibration:
    """A loaded calibration file.

    Attributes
    ----------
    chain : str
        The chain it was made for (``"emg"``, ``"eyetrack"``, ...).
    stream : StreamInfo
        The input stream format it was made for.
    params : dict
        Learned parameters (numbers, lists, strings).
    device : str
        Free text naming the device or source.
    created : str
        ISO 8601 creation time (UTC).
    schema_version : int
        Version of the file format.
    sensekit_version : str
        Version of sensekit that wrote it.
    """

    chain: str
    stream: StreamInfo
    params: Mapping[str, Any]
    device: str = ""
    created: str = ""
    schema_version: int = SCHEMA_VERSION
    sensekit_version: str = ""

    def check_stream(self, info: StreamInfo, fields: Sequence[str] = STREAM_FIELDS) -> None:
        """Refuse a stream whose format differs from the calibration's, naming the field."""
        diffs = self.stream.differences(info, fields)
        if diffs:
            raise CalibrationError(
                f"calibration for chain {self.chain!r} was made for another stream format ({'; '.join(diffs)})",
                f"calibrate again on this device/stream (sensekit calibrate {self.chain})",
            )


def _check_numbers(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise CalibrationError(f"calibration value {path} is {value}; only finite numbers can be stored")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_numbers(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_numbers(v, f"{path}[{i}]")


def save_calibration(
    path: str | os.PathLike,
    *,
    chain: str,
    stream: StreamInfo,
    params: Mapping[str, Any],
    device: str = "",
) -> Path:
    """Write a calibration file (atomically: a crash leaves the old file or none).

    Parameters
    ----------
    path : path-like
        Output ``.json`` file.
    chain : str
        Chain name.
    stream : StreamInfo
        Input stream format the parameters were learned on.
    params : mapping
        JSON-compatible learned parameters (numpy arrays must be converted with ``tolist``).
    device : str
        Device description.

    Returns
    -------
    Path
        The written file.
    """
    from .. import __version__

    _check_numbers(dict(params), "params")
    doc = {
        "format": _FORMAT,
        "schema_version": SCHEMA_VERSION,
        "sensekit_version": __version__,
        "chain": chain,
        "device": device,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "stream": stream.to_dict(),
        "params": params,
    }
    try:
        text = json.dumps(doc, indent=2, allow_nan=False)
    except TypeError as e:
        raise CalibrationError(f"calibration params are not JSON numbers/lists/strings: {e}") from None
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def load_calibration(
    path: str | os.PathLike,
    *,
    chain: str | None = None,
    stream: StreamInfo | None = None,
    fields: Sequence[str] = STREAM_FIELDS,
) -> Calibration:
    """Read a calibration file; optionally check its chain and stream format.

    Raises
    ------
    CalibrationError
        Unreadable or malformed file, a newer schema, another chain, or a stream whose
        ``fields`` differ (the message names each differing field).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise CalibrationError(f"calibration file {str(path)!r} does not exist", "check the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CalibrationError(f"calibration file {str(path)!r} is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise CalibrationError(f"{str(path)!r} is not a sensekit calibration file (no format={_FORMAT!r})")
    version = doc.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise CalibrationError(
            f"{str(path)!r} has calibration schema {version!r}; this sensekit reads up to {SCHEMA_VERSION}",
            "upgrade sensekit",
        )
    for key in ("chain", "stream", "params"):
        if key not in doc:
            raise CalibrationError(f"calibration file {str(path)!r} lacks the field {key!r}")
    try:
        info = StreamInfo.from_dict(doc["stream"])
    except Exception as e:
        raise CalibrationError(f"calibration file {str(path)!r}: bad stream description ({e})") from None
    cal = Calibration(
        chain=doc["chain"],
        stream=info,
        params=doc["params"],
        device=doc.get("device", ""),
        created=doc.get("created", ""),
        schema_version=version,
        sensekit_version=doc.get("sensekit_version", ""),
    )
    if chain is not None and cal.chain != chain:
        raise CalibrationError(
            f"calibration file {str(path)!r} is for chain {cal.chain!r}, not {chain!r}",
            f"use a file made by 'sensekit calibrate {chain}'",
        )
    if stream is not None:
        cal.check_stream(stream, fields)
    return cal
