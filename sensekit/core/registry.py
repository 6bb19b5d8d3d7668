"""How chains plug into the core: one registry, filled by the ``sensekit.chains`` entry points.

The core and the bench name no chain. Each chain package has a small ``plugin`` module,
declared in ``pyproject.toml`` under ``[project.entry-points."sensekit.chains"]``, that
registers what the chain brings:

- simulators behind ``synth:NAME`` source strings (:func:`register_synth`),
- benchmark-task modules (:func:`register_bench_tasks`),
- calibration kinds with their schema (:func:`register_calibration`).

Registrations name their implementation as ``"module:attribute"`` strings, so loading the
plugins imports nothing heavy. A third-party package adds a chain the same way.

Examples
--------
A plugin module of a chain ``mychain``::

    from sensekit.core.registry import register_calibration, register_synth

    register_synth("mysensor", "mychain.synth:MySensorSource", "a simulated sensor")
    register_calibration("mychain", "mychain.schema:MyCalibration", made_by="mychain-calibrate")
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

__all__ = ["ENTRY_POINT_GROUP", "SynthEntry", "CalibrationKind", "register_synth", "register_bench_tasks",
           "register_calibration", "load_plugins", "synth_entries", "bench_task_modules", "calibration_kinds",
           "resolve"]

log = logging.getLogger("sensekit")

#: Entry-point group whose modules register the chains.
ENTRY_POINT_GROUP = "sensekit.chains"


@dataclasses.dataclass(frozen=True)
class SynthEntry:
    """A ``synth:NAME`` simulator: its factory (``"module:attr"`` or a callable) and one line."""

    name: str
    factory: str | Callable[..., Any]
    description: str


@dataclasses.dataclass(frozen=True)
class CalibrationKind:
    """A calibration kind: the schema of its ``params`` (``"module:attr"`` of a pydantic
    model), the command that makes such a file, and older chain names it replaces."""

    name: str
    schema: str
    made_by: str
    aliases: tuple[str, ...] = ()


_SYNTHS: dict[str, SynthEntry] = {}
_TASK_MODULES: list[str] = []
_KINDS: dict[str, CalibrationKind] = {}
_loaded = False


def register_synth(name: str, factory: str | Callable[..., Any], description: str) -> None:
    """Make ``synth:NAME`` open ``factory(**options)``."""
    _SYNTHS[name] = SynthEntry(name, factory, description)


def register_bench_tasks(module: str) -> None:
    """A module that registers benchmark tasks when imported (imported when tasks are listed)."""
    if module not in _TASK_MODULES:
        _TASK_MODULES.append(module)


def register_calibration(name: str, schema: str, *, made_by: str, aliases: tuple[str, ...] = ()) -> None:
    """Declare the calibration kind ``name`` (the file's ``chain`` field) and its schema."""
    _KINDS[name] = CalibrationKind(name, schema, made_by, tuple(aliases))


def load_plugins() -> None:
    """Import every ``sensekit.chains`` entry point once (a broken one is logged and skipped)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            ep.load()
        except Exception as e:  # noqa: BLE001 - a broken third-party plugin must not stop sensekit
            log.warning("chain plugin %r (%s) could not be loaded: %s", ep.name, ep.value, e)


def synth_entries() -> dict[str, SynthEntry]:
    """Every registered simulator, by name."""
    load_plugins()
    return dict(_SYNTHS)


def bench_task_modules() -> tuple[str, ...]:
    """Every registered benchmark-task module."""
    load_plugins()
    return tuple(_TASK_MODULES)


def calibration_kinds() -> dict[str, CalibrationKind]:
    """Every registered calibration kind, by name (aliases included)."""
    load_plugins()
    out = dict(_KINDS)
    for kind in _KINDS.values():
        for alias in kind.aliases:
            out.setdefault(alias, kind)
    return out


def resolve(target: str | Callable[..., Any]) -> Any:
    """The object a ``"module:attr"`` string names (a callable is returned as is)."""
    if not isinstance(target, str):
        return target
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
