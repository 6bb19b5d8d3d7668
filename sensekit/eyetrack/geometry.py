"""Screen geometry and visual angle: where a gaze position in pixels is, in degrees.

A :class:`Screen` says how big a display is (mm), its resolution (px) and how far the
eye is from it (mm). Gaze streams carry it in their meta as ``meta["screen"]`` so that
every chain stage downstream can report in degrees of visual angle.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping

import numpy as np

from ..core.checks import positive_number
from ..errors import ParameterError, StreamFormatError

__all__ = ["Screen", "SCREEN_LIMITS", "screen_from_meta", "pixels_to_degrees", "angular_distance_deg"]


log = logging.getLogger("sensekit")

#: What a :class:`Screen`'s numbers may be: a display from a phone's to a cinema's, 16K and
#: beyond, an eye from a headset's lens to across a hall (a number past these is a mistake,
#: which would read every gaze as a few hundredths of a degree, or a whole screen as one point).
SCREEN_LIMITS = {"width_mm": (1.0, 100_000.0, "a display's width in mm"),
                 "height_mm": (1.0, 100_000.0, "a display's height in mm"),
                 "width_px": (1, 100_000, "a display's width in pixels"),
                 "height_px": (1, 100_000, "a display's height in pixels"),
                 "distance_mm": (10.0, 100_000.0, "a viewing distance in mm")}

#: A flat screen that spans more than this (deg, horizontally) is said to be odd: a desk's
#: spans 30-60, a headset's virtual screen about 100; 531 mm at 65 mm (the distance given in cm)
#: would span 152.
WIDEST_SCREEN_DEG = 120.0


@dataclasses.dataclass(frozen=True)
class Screen:
    """A flat display seen by the eye from straight ahead of its centre.

    Parameters
    ----------
    width_mm, height_mm : float
        Visible size of the display (mm).
    width_px, height_px : int
        Resolution (px).
    distance_mm : float
        Eye-to-screen distance, perpendicular to the screen through its centre (mm).
    """

    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    distance_mm: float

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            v = getattr(self, field.name)
            if not positive_number(v):  # (a file's or a network stream's meta: "x", [1], true or 10**400 are no size)
                raise ParameterError(f"screen {field.name} must be a positive number, got {repr(v)[:40]}",
                                     "give the display size in mm, its resolution in px and the viewing distance in mm")
            low, high, what = SCREEN_LIMITS[field.name]
            if not low <= v <= high:
                raise ParameterError(f"screen {field.name} {v:g} is not {what} ({low:g} to {high:g})",
                                     "give the display size in mm, its resolution in px and the viewing distance in mm")
        span = 2 * np.degrees(np.arctan2(self.width_mm / 2, self.distance_mm))
        if span > WIDEST_SCREEN_DEG:
            log.warning("a %g mm wide screen seen from %g mm spans %.0f degrees: is the distance in mm (%g cm is %g mm)?",
                        self.width_mm, self.distance_mm, span, self.distance_mm, self.distance_mm * 10)
        sx, sy = self.mm_per_px
        if max(sx, sy) > 1.5 * min(sx, sy):
            log.warning("screen %gx%gmm@%dx%d has pixels %.1f times as %s as they are %s: displays' pixels are square; "
                        "check its size and resolution", self.width_mm, self.height_mm, self.width_px, self.height_px,
                        max(sx, sy) / min(sx, sy), *(("wide", "tall") if sx > sy else ("tall", "wide")))

    @classmethod
    def parse(cls, size: str, distance_mm: float) -> Screen:
        """From ``"531x299mm@1920x1080"`` and a distance in mm."""
        m = re.fullmatch(r"\s*([\d.]+)x([\d.]+)mm@(\d+)x(\d+)\s*", size)
        if not m:
            raise ParameterError(f"screen {size!r} is not WIDTHxHEIGHTmm@WIDTHxHEIGHT",
                                 "write it like 531x299mm@1920x1080")
        return cls(float(m[1]), float(m[2]), int(m[3]), int(m[4]), float(distance_mm))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def mm_per_px(self) -> tuple[float, float]:
        return self.width_mm / self.width_px, self.height_mm / self.height_px

    @property
    def deg_per_px(self) -> float:
        """Horizontal degrees per pixel at the screen centre."""
        return float(np.degrees(np.arctan2(self.mm_per_px[0], self.distance_mm)))

    def to_degrees(self, x_px, y_px) -> tuple[np.ndarray, np.ndarray]:
        """Pixel positions → visual angle (deg) from the screen centre (x right, y down).

        Each axis is the angle of the projection of the line of sight on that axis's
        plane, ``atan(offset_mm / distance_mm)``, so that equal angles are equal
        rotations of the eye even far from the centre.
        """
        sx, sy = self.mm_per_px
        x = (np.asarray(x_px, dtype=np.float64) - self.width_px / 2) * sx
        y = (np.asarray(y_px, dtype=np.float64) - self.height_px / 2) * sy
        return np.degrees(np.arctan2(x, self.distance_mm)), np.degrees(np.arctan2(y, self.distance_mm))

    def to_pixels(self, x_deg, y_deg) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`to_degrees`."""
        sx, sy = self.mm_per_px
        x = np.tan(np.radians(np.asarray(x_deg, dtype=np.float64))) * self.distance_mm / sx + self.width_px / 2
        y = np.tan(np.radians(np.asarray(y_deg, dtype=np.float64))) * self.distance_mm / sy + self.height_px / 2
        return x, y


def screen_from_meta(meta: Mapping, what: str) -> Screen:
    """The :class:`Screen` in a stream's meta, or a one-line error naming the field."""
    s = meta.get("screen")
    if s and not isinstance(s, Mapping):
        raise StreamFormatError(f"{what}: the stream's screen geometry is {type(s).__name__} {str(s)[:40]!r}, not "
                                "width_mm, height_mm, width_px, height_px and distance_mm",
                                "give --screen WxHmm@WxH and --distance MM")
    if not s:
        units = "fractions of the screen" if meta.get("gaze_units") == "norm" else "pixels"
        raise StreamFormatError(f"{what}: the gaze stream is in {units} but its meta has no 'screen' geometry",
                                "give --screen WxHmm@WxH and --distance MM (a screen's pixels), --scene-camera "
                                "scene_camera.json (glasses' scene-camera pixels), or gaze in degrees")
    try:
        return Screen(**{k: s[k] for k in ("width_mm", "height_mm", "width_px", "height_px", "distance_mm")})
    except KeyError as e:
        raise StreamFormatError(f"{what}: screen geometry lacks the field {e.args[0]!r}",
                                "give width_mm, height_mm, width_px, height_px and distance_mm") from None


def pixels_to_degrees(x, y, screen: Screen) -> tuple[np.ndarray, np.ndarray]:
    """Alias of :meth:`Screen.to_degrees`."""
    return screen.to_degrees(x, y)


def angular_distance_deg(x1, y1, x2, y2, screen: Screen | None = None) -> np.ndarray:
    """Angle (deg) between two lines of sight given as screen positions.

    With ``screen``, positions are in pixels and the true 3-D angle between the two
    rays from the eye is returned; without, positions are already in degrees
    (x, y angles) and the angle between the corresponding rays is returned.
    """
    if screen is not None:
        sx, sy = screen.mm_per_px
        def ray(x, y):
            return np.stack([(np.asarray(x, float) - screen.width_px / 2) * sx,
                             (np.asarray(y, float) - screen.height_px / 2) * sy,
                             np.full(np.shape(x), screen.distance_mm, dtype=float)], axis=-1)
        a, b = ray(x1, y1), ray(x2, y2)
    else:
        def ray(x, y):
            return np.stack([np.tan(np.radians(np.asarray(x, float))), np.tan(np.radians(np.asarray(y, float))),
                             np.ones(np.shape(x))], axis=-1)
        a, b = ray(x1, y1), ray(x2, y2)
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
