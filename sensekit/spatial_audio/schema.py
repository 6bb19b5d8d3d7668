"""Schema of a microphone-array calibration (kind ``array``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ..core.info import StreamInfo
from ..core.schema import Finite, Strict

__all__ = ["ArrayParams"]

MAX_MICS = 1024
Coordinate = Annotated[float, Field(ge=-100, le=100, allow_inf_nan=False)]


Position = Annotated[list[Coordinate], Field(min_length=3, max_length=3)]


class GeometrySchema(Strict):
    """An :class:`~sensekit.spatial_audio.arrays.ArrayGeometry` as ``to_dict`` writes it."""

    name: Annotated[str, Field(max_length=200)] = "array"
    channels: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=MAX_MICS)] = []
    positions: Annotated[list[Position], Field(min_length=1, max_length=MAX_MICS)]
    baffle: Literal["open", "rigid"] = "open"
    directivity: Literal["omni", "cardioid"] = "omni"


class ArrayParams(Strict):
    """``params`` of an ``array`` calibration: per-channel gain, delay, polarity, and refined
    microphone positions (m)."""

    gains: Annotated[list[Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]], Field(min_length=1,
                                                                                               max_length=MAX_MICS)]
    delays_s: Annotated[list[Annotated[Finite, Field(ge=-1, le=1)]], Field(max_length=MAX_MICS)]
    polarity: Annotated[list[Literal[1.0, -1.0, 1, -1]], Field(max_length=MAX_MICS)]
    positions: Annotated[list[Position], Field(max_length=MAX_MICS)] | None = None
    array: GeometrySchema | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ArrayParams:
        m = len(self.gains)
        if len(self.delays_s) != m or len(self.polarity) != m or (self.positions is not None and len(self.positions) != m):
            raise ValueError(f"{m} gains, {len(self.delays_s)} delays, {len(self.polarity)} polarities"
                             + (f", {len(self.positions)} positions" if self.positions is not None else ""))
        if self.array is not None:
            if len(self.array.positions) != m:
                raise ValueError(f"array has {len(self.array.positions)} microphones, the corrections {m}")
            if self.array.channels and len(self.array.channels) != m:
                raise ValueError(f"array names {len(self.array.channels)} channels for {m} microphones")
        return self

    def check_stream(self, stream: StreamInfo) -> None:
        if len(stream.shape) != 1 or stream.shape[0] != len(self.gains):
            raise ValueError(f"stream.shape {list(stream.shape)}: the corrections are for {len(self.gains)} channels")
