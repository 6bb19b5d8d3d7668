"""Outputs that appear whole or not at all.

A conversion, an export or a report interrupted half-way (Ctrl-C, SIGTERM, an error) must
not leave a file under its final name that looks complete. :func:`atomic_output` hands out a
temporary name beside the target and moves it into place only when the block ends normally.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import ParameterError, RecordingError

__all__ = ["atomic_output", "partial_name", "final_name"]


def partial_name(dest: str | os.PathLike) -> Path:
    """The temporary name beside ``dest`` (``out.wav`` -> ``.out.partial.wav``)."""
    dest = Path(dest)
    return dest.with_name(f".{dest.stem}.partial{dest.suffix}")


def final_name(path: str | os.PathLike) -> Path:
    """The name a file written under :func:`partial_name` gets (``.out.partial.wav`` ->
    ``out.wav``), for messages about it; any other path as it is."""
    path = Path(path)
    head, mark, tail = path.name.rpartition(".partial")
    if mark and head.startswith("."):
        dest = path.with_name(head[1:] + tail)
        if partial_name(dest) == path:
            return dest
    return path


@contextlib.contextmanager
def atomic_output(dest: str | os.PathLike, *, folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path for ``dest`` (its folder created if needed); on normal exit it
    replaces ``dest``, on any exception (KeyboardInterrupt included) it is removed and ``dest``
    is left as it was.

    Parameters
    ----------
    dest : path-like
        The final file (or folder, with ``folder=True``).
    folder : bool
        ``dest`` is a folder: the temporary folder is created, and on success each entry is
        moved into ``dest`` (created if needed; entries of the same name are replaced).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_output(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("whole")
    >>> (d / "a.txt").read_text()
    'whole'
    """
    dest = Path(dest)
    if dest.is_dir() and not folder:  # (the error had named the temporary '.NAME.partial' beside it)
        raise ParameterError(f"{str(dest)!r} is a folder", "name a file (in it, or elsewhere)")
    tmp = partial_name(dest)
    try:  # the folder it goes into is made, as for every output (some commands made it, some crashed)
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RecordingError(f"cannot create the folder of {str(dest)!r} ({e.strerror or e})",
                             "choose a folder you can write to") from None
    _remove(tmp)
    if folder:
        tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    if folder:
        dest.mkdir(parents=True, exist_ok=True)
        for entry in tmp.iterdir():
            target = dest / entry.name
            if target.is_dir() and not entry.is_dir():
                shutil.rmtree(target)
            os.replace(entry, target)
        tmp.rmdir()
    elif tmp.exists():
        os.replace(tmp, dest)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
