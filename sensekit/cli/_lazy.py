"""Modules imported on first use, so that ``sensekit --help`` and usage errors answer at once
(numpy, scipy and the chains load only when a command runs)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

__all__ = ["lazy"]


class _LazyModule(ModuleType):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_target"] = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_target"])
        self.__dict__.update(module.__dict__)
        return getattr(module, attr)


def lazy(name: str) -> Any:
    """A stand-in for the module ``name`` that imports it on the first attribute access.

    >>> np = lazy("numpy")
    >>> int(np.arange(3).sum())
    3
    """
    return _LazyModule(name)
