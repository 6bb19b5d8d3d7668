"""Building blocks of the calibration schemas (pydantic v2): finite numbers, bounded arrays,
and one-line messages for a file that breaks its schema.

pydantic was chosen over msgspec because its validators express the cross-field checks a
calibration needs (array shapes consistent with each other, tree indices in range) next to
the field types, and its errors carry the path of the offending field. Models are strict
(no string-to-number coercion) and forbid unknown fields.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Strict", "Finite", "Positive", "Name", "Text", "Vector", "Matrix", "Probability", "shape_of",
           "validation_message", "read_json", "read_at_most", "json_of", "MAX_VALUES"]

#: The most numbers any one array of a calibration may hold (a 4 GB state from a tampered
#: size field is refused before anything is allocated).
MAX_VALUES = 2_000_000

Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(allow_inf_nan=False, gt=0)]
Probability = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=2000)]
Vector = Annotated[list[Finite], Field(max_length=MAX_VALUES)]
Matrix = Annotated[list[Vector], Field(max_length=MAX_VALUES)]


class Strict(BaseModel):
    """Base of every schema: strict types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def shape_of(rows: list[list[float]], what: str) -> tuple[int, int]:
    """``(rows, columns)`` of a list of equal-length rows, else a ValueError naming ``what``."""
    widths = {len(r) for r in rows}
    if len(widths) > 1:
        raise ValueError(f"{what}: rows of different lengths {sorted(widths)[:4]}")
    n_cols = widths.pop() if widths else 0
    if len(rows) * n_cols > MAX_VALUES:
        raise ValueError(f"{what}: {len(rows)} x {n_cols} values, at most {MAX_VALUES}")
    return len(rows), n_cols


def validation_message(error: ValidationError) -> str:
    """The first problem of a ValidationError as one line: the field's path, what was
    expected and what was found."""
    first = error.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    found = _short(first.get("input"))
    msg = first["msg"].removeprefix("Value error, ")
    more = error.error_count() - 1
    tail = f"; and {more} more problem(s)" if more > 0 else ""
    if not loc:  # a check across fields: its message names them
        return msg + tail
    return f"field {loc}: {msg} (found {found})" + tail


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with keys {list(value)[:5]}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def as_array(values, dtype=np.float64) -> np.ndarray:
    """A validated list as a numpy array."""
    return np.asarray(values, dtype=dtype)


def read_json(path, *, what: str = "file", error: type[Exception] = ValueError, max_bytes: int = 64 << 20) -> Any:
    """The JSON document of an untrusted file: refused with one line (raised as ``error``) when
    missing, larger than ``max_bytes``, not UTF-8, not strict JSON (NaN and Infinity are not
    JSON) or nested too deeply."""
    import json
    from pathlib import Path

    path = Path(path)
    where = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{what} {where!r} is {size:,} bytes; at most {max_bytes:,}")
        data = read_at_most(path, max_bytes)
        if data is None:
            raise error(f"{what} {where!r} holds more than {max_bytes:,} bytes")
        return json_of(data.decode("utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {where!r} does not exist", "check the path") from None
    except IsADirectoryError:
        raise error(f"{where!r} is a folder, not a {what}") from None
    except RecursionError:
        raise error(f"{what} {where!r} is nested too deeply") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as e:
        if isinstance(e, error):
            raise
        raise error(f"{what} {where!r} is not valid JSON ({str(e)[:120]})") from None


def read_at_most(path, max_bytes: int) -> bytes | None:
    """A file's bytes, or None where it holds more than ``max_bytes``: at most ``max_bytes + 1``
    are read, for a size check alone misses a device or pipe (``/dev/zero``, or a link to it,
    states size 0 and never ends)."""
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    return data if len(data) <= max_bytes else None


def json_of(text: str) -> Any:
    """Untrusted JSON text as :func:`read_json` reads a file's: strict JSON (no NaN or Infinity),
    numbers a float holds; raises ``json.JSONDecodeError``, ``ValueError`` or ``RecursionError``."""
    import json

    return json.loads(text, parse_constant=_no_constant, parse_int=_float_sized_int, parse_float=_finite_float)


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _float_sized_int(text: str) -> int:
    """A JSON whole number that a float can hold (one of 400 digits had crashed the scene
    reader's conversion to floats with an OverflowError)."""
    if len(text.lstrip("-")) > 308:
        raise ValueError(f"a whole number of {len(text.lstrip('-'))} digits is beyond any float")
    return int(text)


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent, finite (1e400 is read as infinity otherwise)."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:30]} is beyond any float")
    return value
