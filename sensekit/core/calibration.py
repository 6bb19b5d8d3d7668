"""Calibration files: JSON with a schema version, the stream format and learned numbers.

A calibration file never holds code or pickled objects; loading it executes nothing. It is
untrusted input: the envelope below and the ``params`` of its kind are validated against
declared schemas (:mod:`sensekit.core.schema`; each kind's schema is registered by its chain,
see :mod:`sensekit.core.registry`) before anything is built from it, and a file that breaks
them is refused with one line naming the field, the expected and the found value. Format
(schema 1)::

    {
      "format": "sensekit-calibration",
      "schema_version": 1,
      "sensekit_version": "0.1.0",
      "chain": "emg",                      one registered calibration kind
      "device": "Myo armband (lsl:type=EMG)",
      "created": "2026-11-25T12:00:00+00:00",
      "stream": {... StreamInfo.to_dict() ...},
      "params": {... the kind's schema ...}
    }
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from ..errors import CalibrationError, ParameterError
from .atomic import atomic_output
from .info import MAX_RATE_HZ, StreamInfo
from .registry import CalibrationKind, calibration_kinds, resolve
from .schema import Name, Strict, Text, read_json, validation_message

__all__ = ["Calibration", "save_calibration", "load_calibration", "SCHEMA_VERSION", "MAX_FILE_BYTES"]

SCHEMA_VERSION = 1
_FORMAT = "sensekit-calibration"

#: Stream fields compared by default when a calibration is loaded for a stream.
STREAM_FIELDS = ("kind", "rate", "shape", "channels", "unit")

#: Larger files are refused unread.
MAX_FILE_BYTES = 64 * 1024 * 1024

_DTYPES = Literal["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16",
                  "uint8", "bool", "complex64", "complex128"]


class StreamSchema(Strict):
    """The ``stream`` of a calibration file (a :class:`StreamInfo`)."""

    name: Name
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    rate: Annotated[float, Field(ge=0, le=MAX_RATE_HZ, allow_inf_nan=False)]
    shape: Annotated[list[Annotated[int, Field(ge=1, le=1_000_000)]], Field(max_length=4)]
    channels: Annotated[list[Name], Field(max_length=100_000)] = []
    dtype: _DTYPES = "float64"
    unit: Annotated[str, Field(max_length=64)] = ""
    meta: dict[str, Any] = {}


class CalibrationFile(Strict):
    """The envelope every calibration file shares."""

    format: Literal["sensekit-calibration"]
    schema_version: Annotated[int, Field(ge=1)]
    sensekit_version: Annotated[str, Field(max_length=64)] = ""
    chain: Annotated[str, Field(min_length=1, max_length=64)]
    device: Text = ""
    created: Annotated[str, Field(max_length=64)] = ""
    stream: StreamSchema
    params: dict[str, Any]


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
    model: BaseModel | None = dataclasses.field(default=None, compare=False, repr=False)

    def check_stream(self, info: StreamInfo, fields: Sequence[str] = STREAM_FIELDS) -> None:
        """Refuse a stream whose format differs from the calibration's, naming the field."""
        diffs = self.stream.differences(info, fields)
        if diffs:
            raise CalibrationError(
                f"calibration for chain {self.chain!r} was made for another stream format ({'; '.join(diffs)})",
                f"calibrate again on this device/stream ({_made_by(self.chain)})",
            )


def _made_by(kind: str) -> str:
    known = calibration_kinds().get(kind)
    return known.made_by if known else f"sensekit calibrate {kind}"


def _kind(name: str, path: str) -> CalibrationKind:
    from . import sync  # noqa: F401 - the core's own kinds register on import
    from .stages import normalize  # noqa: F401

    kinds = calibration_kinds()
    if name not in kinds:
        raise CalibrationError(f"calibration file {path!r} is of unknown kind {name!r}",
                               f"known kinds: {', '.join(sorted({k.name for k in kinds.values()}))}")
    return kinds[name]


def validate_params(kind: CalibrationKind, params: Any, stream: StreamInfo, path: str) -> BaseModel:
    """``params`` checked against the kind's schema (and the stream, where it says how)."""
    model = resolve(kind.schema)
    try:
        valid = model.model_validate(params)
        check = getattr(valid, "check_stream", None)
        if check is not None:
            check(stream)
    except ValidationError as e:
        raise CalibrationError(f"calibration file {path!r} is not a valid {kind.name!r} calibration: "
                               f"{validation_message(e)}", f"make a new one with '{kind.made_by}'") from None
    except ValueError as e:
        raise CalibrationError(f"calibration file {path!r} is not a valid {kind.name!r} calibration: {e}",
                               f"make a new one with '{kind.made_by}'") from None
    return valid


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

    kind = _kind(chain, str(path))
    try:
        validate_params(kind, json.loads(json.dumps(params, allow_nan=False)), stream, str(path))
    except (TypeError, ValueError) as e:
        raise CalibrationError(f"calibration params are not finite JSON numbers/lists/strings: {e}") from None
    doc = {
        "format": _FORMAT,
        "schema_version": SCHEMA_VERSION,
        "sensekit_version": __version__,
        "chain": kind.name,
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
    with atomic_output(path) as tmp:
        tmp.write_text(text)
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
    where = str(path)
    doc = _read_json(path)
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise CalibrationError(f"{where!r} is not a sensekit calibration file (no format={_FORMAT!r})")
    version = doc.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise CalibrationError(f"{where!r} has calibration schema {version!r}; this sensekit reads up to {SCHEMA_VERSION}",
                               "upgrade sensekit")
    try:
        env = CalibrationFile.model_validate(doc)
        info = StreamInfo.from_dict(env.stream.model_dump())
    except ValidationError as e:
        raise CalibrationError(f"calibration file {where!r} is damaged: {validation_message(e)}") from None
    except ParameterError as e:
        raise CalibrationError(f"calibration file {where!r}: bad stream description ({e})") from None
    kind = _kind(env.chain, where)
    if chain is not None:
        wanted = _kind(chain, where)
        if kind.name != wanted.name:
            raise CalibrationError(f"calibration file {where!r} is for the {kind.name!r} chain, not {wanted.name!r}",
                                   f"make one with '{wanted.made_by}'")
    model = validate_params(kind, env.params, info, where)
    cal = Calibration(chain=kind.name, stream=info, params=env.params, device=env.device, created=env.created,
                      schema_version=env.schema_version, sensekit_version=env.sensekit_version, model=model)
    if stream is not None:
        cal.check_stream(stream, fields)
    return cal


def _read_json(path: Path) -> Any:
    return read_json(path, what="calibration file", error=CalibrationError, max_bytes=MAX_FILE_BYTES)
