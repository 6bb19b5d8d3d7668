"""MATLAB ``.mat`` files read by scipy in a child process.

scipy's reader is compiled code, and a damaged file can crash it, not raise: in scipy 1.17 a
data element whose declared size runs past the file stops the process with a bus error (found
by the mutation fuzzer on a Ninapro file with one byte changed). A file from a user is untrusted,
so it is read in a forked child: a crash there is one error line here, never the end of
sensekit. Forking costs milliseconds (scipy is already imported); the arrays come back through a
private temporary folder: a ``.mat`` file that the child wrote with scipy from scipy's own arrays
(well formed, so reading it cannot crash) and a JSON file of the shapes. Nothing is unpickled.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import RecordingError

__all__ = ["read_mat"]

#: Seconds a .mat file may take to read before it is given up.
READ_TIMEOUT_S = 300.0


def _isolated(path: str, names: list[str] | None, max_values: float | None, out: str) -> None:
    """:func:`_child` as the child process runs it."""
    import faulthandler

    faulthandler.disable()  # (a crash here is reported by the parent in one line, without a stack dump)
    _child(path, names, max_values, out)


def _child(path: str, names: list[str] | None, max_values: float | None, out: str) -> None:
    """Read the file's variable shapes and ``names``' arrays into the folder ``out``: ``meta.json``
    (shapes, the variables too big to read, or an error) and ``arrays.mat`` (written by scipy)."""
    from scipy.io import loadmat, savemat, whosmat

    try:
        shapes = {name: tuple(int(v) for v in shape) for name, shape, _ in whosmat(path)}
        wanted = [n for n in shapes if names is None or n in names]
        big = [n for n in wanted if max_values is not None and float(np.prod(shapes[n], dtype=np.float64)) > max_values]
        meta: dict = {"shapes": shapes, "big": big}
        if not big and wanted:
            arrays = {k: v for k, v in loadmat(path, variable_names=wanted).items() if not k.startswith("__")}
            savemat(os.path.join(out, "arrays.mat"), arrays)
    except Exception as e:  # (scipy raises several kinds on a damaged file)
        meta = {"error": str(e)[:200] or type(e).__name__}
    with open(os.path.join(out, "meta.json"), "w") as fh:
        json.dump(meta, fh)


def read_mat(path: str | os.PathLike, names: list[str] | None = None, *, max_values: float | None = None
             ) -> tuple[dict[str, tuple[int, ...]], dict[str, np.ndarray]]:
    """The variables of a ``.mat`` file: every variable's shape, and the arrays of ``names``
    (all where None; names the file lacks are left out), as :func:`scipy.io.loadmat` gives them.

    Raises
    ------
    RecordingError
        A damaged file (one line, whether scipy raised or crashed), or, with ``max_values``, a
        wanted variable that declares more values than that (nothing of it is read).
    """
    import scipy.io  # noqa: F401 - imported here, once: a forked child inherits it (else ~80 ms a file)

    path = Path(path)
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with tempfile.TemporaryDirectory(prefix="sensekit-mat-") as tmp:
        out = tmp
        if multiprocessing.current_process().daemon:  # (a daemonic worker, e.g. multiprocessing.Pool's, may
            _child(str(path), names, max_values, out)  # have no children: read here, unprotected)
            return _result(path, out, max_values)
        child = multiprocessing.get_context(method).Process(target=_isolated, args=(str(path), names, max_values, out),
                                                            daemon=True)
        child.start()
        child.join(READ_TIMEOUT_S)
        if child.is_alive():
            child.kill()
            child.join()
            raise RecordingError(f"{path.name}: reading it took over {READ_TIMEOUT_S:g} s", "check the file")
        if child.exitcode != 0 or not os.path.exists(os.path.join(out, "meta.json")):
            how = f"signal {-child.exitcode}" if child.exitcode and child.exitcode < 0 else f"exit {child.exitcode}"
            raise RecordingError(f"{path.name} is not a readable .mat file (scipy's reader crashed on it: {how})",
                                 "check the file; a copy saved again by MATLAB or scipy reads")
        return _result(path, out, max_values)


def _result(path: Path, out: str, max_values: float | None) -> tuple[dict, dict]:
    from scipy.io import loadmat

    with open(os.path.join(out, "meta.json")) as fh:
        meta = json.load(fh)
    if "error" in meta:
        raise RecordingError(f"{path.name} is not a readable .mat file ({meta['error'][:100]})")
    shapes = {name: tuple(shape) for name, shape in meta["shapes"].items()}
    if meta["big"]:
        raise RecordingError(f"{path.name} declares a variable of more than {max_values:.0e} values "
                             f"({meta['big'][0]!r}, {shapes[meta['big'][0]]})")
    arrays = os.path.join(out, "arrays.mat")  # (the child's own file: well formed)
    mat = loadmat(arrays) if os.path.exists(arrays) else {}
    return shapes, {k: v for k, v in mat.items() if not k.startswith("__")}
