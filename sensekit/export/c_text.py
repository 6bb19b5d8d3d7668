"""What generated C may contain besides numbers: validated identifiers and sanitised comment text.

Calibration files are untrusted: a class name or a unit could carry ``*/`` and C code, or
``#include`` after a newline. Nothing from a calibration reaches the generated files except
numbers (written by ``repr(float)``/``int``), identifiers checked by :func:`c_identifier`,
and comment text passed through :func:`comment_text`.
"""

from __future__ import annotations

import json
import re

from ..errors import ParameterError

__all__ = ["c_identifier", "comment_text", "comment_list"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
#: Characters a comment keeps; everything else (``*``, ``/``, ``\\``, ``#``, quotes, control
#: characters, non-ASCII) becomes ``?``, so no comment can be closed or continued.
_UNSAFE = re.compile(r"[^A-Za-z0-9 _.,:;+=()\[\]<>%!?&|^~{}$-]")


def c_identifier(name: str, what: str = "--name") -> str:
    """``name`` if it is a C identifier of at most 63 characters, else a ParameterError.

    >>> c_identifier("sensekit_emg")
    'sensekit_emg'
    """
    if not isinstance(name, str) or not _IDENT.fullmatch(name):
        raise ParameterError(f"{what} {name!r} is not a C identifier",
                             "use letters, digits and underscores, starting with a letter (at most 63)")
    return name


def comment_text(text: object, limit: int = 200) -> str:
    """``text`` made safe inside a ``/* ... */`` comment: printable ASCII without ``*``, ``/``,
    ``\\``, ``#`` and quotes, at most ``limit`` characters.

    >>> comment_text("uV */ int evil;")
    'uV ?? int evil;'
    """
    s = _UNSAFE.sub("?", str(text))
    return s if len(s) <= limit else s[: limit - 3] + "..."


def comment_list(items: list, limit: int = 400) -> str:
    """A list of names (class names) as safe comment text."""
    return comment_text(json.dumps([str(i) for i in items], ensure_ascii=True).replace('"', "'"), limit)
