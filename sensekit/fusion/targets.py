"""Selectable targets: a JSON layout of named discs, in degrees of visual angle or pixels.

A layout file is untrusted input: it is validated (finite numbers, sizes, unique names, at most
10,000 targets) and refused with one line naming the field.

Example ``layout.json``::

    {"units": "deg",
     "targets": [{"name": "play", "x": -5, "y": 0, "radius": 1.5},
                 {"name": "stop", "x": 5, "y": 0, "radius": 1.5}]}
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from ..core.schema import Name, Strict, read_json, validation_message
from ..errors import ParameterError

__all__ = ["Target", "TargetLayout", "load_layout"]

Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-1e5, le=1e5)]


class Target(Strict):
    """One disc: its name, centre and radius (the layout's units)."""

    name: Name
    x: Coordinate
    y: Coordinate
    radius: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e5)]


class TargetLayout(Strict):
    """Targets and their units (``deg``: degrees of visual angle, as gaze streams give them;
    ``px``: screen pixels)."""

    units: Literal["deg", "px"] = "deg"
    targets: Annotated[list[Target], Field(min_length=1, max_length=10_000)]

    @model_validator(mode="after")
    def _unique(self) -> TargetLayout:
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ValueError(f"target name {dup!r} is used twice")
        return self

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.targets]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres ``(k, 2)`` and radii ``(k,)``."""
        return (np.array([[t.x, t.y] for t in self.targets], dtype=np.float64),
                np.array([t.radius for t in self.targets], dtype=np.float64))

    def hit(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Index of the target under each point ``(n, 2)`` — the nearest whose edge, widened by
        ``margin``, contains it — or -1 (none, or a NaN point)."""
        centres, radii = self.arrays()
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        diff = p[:, None, :] - centres[None]
        d = np.hypot(diff[..., 0], diff[..., 1]) - radii[None]  # distance to each edge (no overflow at 1e300)
        d = np.where(np.isnan(d), np.inf, d)
        best = np.argmin(d, axis=1)
        return np.where(d[np.arange(len(p)), best] <= margin, best, -1)


def load_layout(path: str | os.PathLike) -> TargetLayout:
    """Read and validate a layout file (one-line :class:`ParameterError` when it is not one)."""
    doc = read_json(path, what="target layout", error=ParameterError, max_bytes=8 << 20)
    try:
        return TargetLayout.model_validate(doc)
    except ValidationError as e:
        raise ParameterError(f"target layout {str(path)!r}: {validation_message(e)}") from None
