"""Peer libraries measured beside sensekit, in this environment or in their own venvs.

Peers whose pins conflict with sensekit's (LibEMG 2 and REMoDNaV need numpy < 2;
REMoDNaV breaks on scipy >= 1.17) live in virtual environments that
``sensekit bench peers install NAME`` creates under the user data folder. A task calls a
peer through :func:`run_peer` with an *adapter*: a Python file that imports only numpy,
the standard library and the peer, and defines ``run(inputs: dict) -> dict``. Inputs and
outputs cross the process boundary as ``.npz`` and JSON files, so the peer sees exactly the
data sensekit saw, within the same benchmark run.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..errors import DeviceError, ParameterError

__all__ = ["peer_version", "peer_versions", "PeerSpec", "PEERS", "peer_python", "peer_status", "install_peer", "run_peer",
           "PeerUnavailable", "PeerFailed"]


class PeerUnavailable(Exception):
    """The peer is neither importable here nor installed in its own venv."""


class PeerFailed(PeerUnavailable):
    """The peer ran and failed on these inputs (its own error, or it ran past its time): a task
    reports it beside its figures, as it reports a peer that is not installed, and goes on."""


@dataclasses.dataclass(frozen=True)
class PeerSpec:
    """A peer library: its import name and the pip requirements of its own venv."""

    name: str
    module: str
    requirements: tuple[str, ...]
    description: str
    own_venv: bool = True


PEERS: dict[str, PeerSpec] = {p.name: p for p in (
    PeerSpec("scikit-learn", "sklearn", (), "scikit-learn estimators as plain baselines", own_venv=False),
    PeerSpec("libemg", "libemg", ("libemg==2.0.*", "numpy<2", "scipy<1.17"), "LibEMG (EMG features and classifiers)"),
    PeerSpec("remodnav", "remodnav", ("remodnav", "numpy<2", "scipy<1.17"), "REMoDNaV eye-movement event detection"),
    PeerSpec("pyroomacoustics", "pyroomacoustics", ("pyroomacoustics",), "pyroomacoustics (DOA, room simulation)"),
    PeerSpec("pupil-detectors", "pupil_detectors", ("pupil-detectors",), "Pupil Labs 2D pupil detector"),
    PeerSpec("spaudiopy", "spaudiopy", ("spaudiopy", "scipy<1.15"), "spaudiopy (spherical-array encoding)"),
)}


def _venv_root() -> Path:
    env = os.environ.get("SENSEKIT_PEERS")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("sensekit")) / "peers"


def _spec(name: str) -> PeerSpec:
    if name not in PEERS:
        raise ParameterError(f"unknown peer {name!r}", f"known peers: {', '.join(PEERS)}")
    return PEERS[name]


def peer_python(name: str) -> Path | None:
    """The Python of the peer's own venv, if it was installed."""
    py = _venv_root() / name / "bin" / "python"
    return py if py.exists() else None


def peer_status(name: str) -> str:
    """``"here"`` (importable in sensekit's environment), ``"venv"`` or ``"missing"``."""
    spec = _spec(name)
    if not spec.own_venv and importlib.util.find_spec(spec.module) is not None:
        return "here"
    if peer_python(name) is not None:
        return "venv"
    if importlib.util.find_spec(spec.module) is not None:
        return "here"
    return "missing"


def peer_version(name: str) -> str | None:
    """The installed version of a peer (in sensekit's environment or its own venv), or None."""
    spec = _spec(name)
    status = peer_status(name)
    if status == "missing":
        return None
    if status == "here":
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"
    py = peer_python(name)
    wanted = name.lower().replace("-", "_")
    for site in sorted(py.parent.parent.glob("lib/python*/site-packages")):
        for dist in importlib.metadata.distributions(path=[str(site)]):
            if (dist.metadata["Name"] or "").lower().replace("-", "_") == wanted:
                return dist.version
    return "unknown" if spec else None


def peer_versions() -> dict[str, dict]:
    """Every peer's status and version: part of a bench unit's cache key and of the results'
    environment, so that installing or upgrading a peer re-runs the units that use it."""
    return {name: {"status": peer_status(name), "version": peer_version(name)} for name in PEERS}


def install_peer(name: str, *, python: str | None = None, log=None) -> Path:
    """Create the peer's venv and pip-install its pinned requirements; return its Python.

    Raises
    ------
    DeviceError
        When venv creation or pip fails (the message holds pip's last line).
    """
    spec = _spec(name)
    if not spec.own_venv:
        raise ParameterError(f"peer {name!r} runs in sensekit's own environment; nothing to install")
    root = _venv_root() / name
    py = root / "bin" / "python"
    steps = [[python or sys.executable, "-m", "venv", str(root)],
             [str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"],
             [str(py), "-m", "pip", "install", "-q", *spec.requirements]]
    for cmd in steps:
        if log:
            log(" ".join(cmd))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise DeviceError(f"installing peer {name!r} failed: {last}", "check the network and Python version")
    return py


def run_peer(name: str, adapter: str | Path, inputs: dict[str, np.ndarray], *, timeout_s: float = 3600) -> dict:
    """Run ``adapter.run(inputs)`` with the peer: here if it imports, else in its venv.

    Parameters
    ----------
    name : str
        Peer name (see :data:`PEERS`).
    adapter : path
        The adapter file (imports only numpy, the standard library and the peer).
    inputs : dict of ndarray
        Arrays handed to the adapter.

    Returns
    -------
    dict
        What the adapter returned (JSON-compatible).

    Raises
    ------
    PeerUnavailable
        The peer is not installed anywhere (tasks report it as skipped), or, as
        :class:`PeerFailed`, it failed on these inputs (a bench run had ended in its traceback).
    """
    status = peer_status(name)
    if status == "missing":
        raise PeerUnavailable(f"not installed: sensekit bench peers install {name}")
    if status == "here":
        module = _load_adapter(Path(adapter))
        try:
            return module.run(dict(inputs))
        except Exception as e:  # (the peer's own error, whatever its kind)
            raise PeerFailed(f"failed: {type(e).__name__}: {str(e)[:300]}") from None
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = Path(tmp) / "in.npz", Path(tmp) / "out.json"
        np.savez(inp, **inputs)
        runner = Path(__file__).with_name("peer_runner.py")
        try:
            r = subprocess.run([str(peer_python(name)), str(runner), str(adapter), str(inp), str(outp)],
                               capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise PeerFailed(f"failed: still running after {timeout_s:g} s") from None
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise PeerFailed(f"failed: {last[:300]}")
        return json.loads(outp.read_text())


def _load_adapter(path: Path):
    spec = importlib.util.spec_from_file_location(f"sensekit_peer_adapter_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
