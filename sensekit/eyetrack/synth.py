"""Simulated eye-camera images and gaze with exact ground truth.

:func:`render_eye` draws a dark-pupil infrared eye image: skin, sclera between two
eyelids, a textured iris, the pupil (a circle of the 3-D eye, rotated by the gaze and
projected by a scaled orthographic camera, so the true ellipse is known exactly),
corneal glints, eyelashes, blur and sensor noise; a blink closes the lids and has no
pupil (truth NaN). :class:`EyeModel` maps a screen target to an eye rotation, so that the
calibration can be tested against known gaze. :func:`gaze_signal` makes gaze traces
with labelled fixations, saccades (main-sequence), PSOs, pursuits and blinks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core.checks import check_scalar
from ..core.sources.base import Source
from .geometry import Screen
from .labels import BLINK, FIXATION, PSO, PURSUIT, SACCADE

__all__ = ["EyeCamera", "EyeModel", "pupil_ellipse", "glint_centre", "render_eye", "eye_sequence", "gaze_signal",
           "EyeImageSource",
           "GazeSource"]

_SUB = 4  # OpenCV drawing sub-pixel bits: coordinates × 16


@dataclasses.dataclass(frozen=True)
class EyeCamera:
    """A scaled-orthographic eye camera.

    Attributes
    ----------
    width, height : int
        Image size (px).
    px_per_mm : float
        Scale at the eye (px/mm).
    centre : (float, float) or None
        Image position of the eyeball's rotation centre (px); default the image centre.
    """

    width: int = 192
    height: int = 192
    px_per_mm: float = 8.0
    centre: tuple[float, float] | None = None

    @property
    def c(self) -> tuple[float, float]:
        return self.centre if self.centre is not None else (self.width / 2, self.height / 2)


#: Eye geometry (mm): rotation centre to pupil plane, iris radius.
PUPIL_DEPTH_MM = 10.5
IRIS_RADIUS_MM = 6.0


def _gaze_vector(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Unit gaze vector in camera coordinates (x right, y down, z away from the camera);
    yaw 0, pitch 0 looks straight into the camera."""
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    return np.array([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), -np.cos(yaw) * np.cos(pitch)])


def pupil_ellipse(yaw_deg: float, pitch_deg: float, radius_mm: float, camera: EyeCamera = EyeCamera(),
                  depth_mm: float = PUPIL_DEPTH_MM) -> tuple[float, float, float, float, float]:
    """Exact image ellipse of a circle on the eye: ``(cx, cy, major, minor, angle_deg)``.

    The circle (pupil, or iris with ``depth_mm``) has radius ``radius_mm``, its normal is
    the gaze and its centre ``depth_mm`` along it from the rotation centre. Axes are full
    lengths (px); ``angle_deg`` is the major axis' direction (OpenCV's convention).
    """
    g = _gaze_vector(yaw_deg, pitch_deg)
    s = camera.px_per_mm
    cx = camera.c[0] + s * depth_mm * g[0]
    cy = camera.c[1] + s * depth_mm * g[1]
    major = 2 * s * radius_mm
    minor = major * abs(g[2])
    # the minor axis points along the gaze's image projection
    angle = (np.degrees(np.arctan2(g[1], g[0])) + 90.0) if np.hypot(g[0], g[1]) > 1e-12 else 0.0
    return float(cx), float(cy), float(major), float(minor), float(angle % 180.0)


_SS = 4  # supersampling of filled shapes: area coverage without an antialiasing halo


def _glint(yaw_deg: float, pitch_deg: float, camera: EyeCamera, k: int) -> tuple[float, float]:
    """Image position of the k-th LED's corneal reflection (LEDs around the camera)."""
    g = _gaze_vector(yaw_deg, pitch_deg)
    s = camera.px_per_mm
    ang = np.pi * (0.25 + 0.5 * k)
    return (camera.c[0] + s * 7.0 * g[0] + 2.2 * s * np.cos(ang), camera.c[1] + s * 7.0 * g[1] + 1.5 * s * np.sin(ang))


def glint_centre(yaw_deg: float, pitch_deg: float, camera: EyeCamera = EyeCamera(), glints: int = 2):
    """Exact mean image position (px) of the ``glints`` corneal reflections."""
    pts = [_glint(yaw_deg, pitch_deg, camera, k) for k in range(glints)]
    return float(np.mean([p[0] for p in pts])), float(np.mean([p[1] for p in pts]))


def _ellipse(img, e, value):
    """Fill ellipse ``e`` into ``img`` (uint8) with exact area coverage (4 × 4 supersampling)."""
    import cv2

    cx, cy, major, minor, angle = e
    h, w = img.shape
    big = np.zeros((h * _SS, w * _SS), np.uint8)
    f = 1 << _SUB
    # pixel i covers [i, i+1) in image coordinates whose centres are at i + 0.5; supersampled
    # pixel centres sit at (j + 0.5) / SS
    cv2.ellipse(big, (int(round((cx + 0.5) * _SS * f - 0.5 * f)), int(round((cy + 0.5) * _SS * f - 0.5 * f))),
                (int(round(major / 2 * _SS * f)), int(round(minor / 2 * _SS * f))), angle, 0, 360, 255, -1,
                cv2.LINE_8, _SUB)
    cover = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
    np.maximum(img, (cover.astype(np.float32) * (value / 255.0)).astype(np.uint8), out=img)


def render_eye(yaw_deg: float = 0.0, pitch_deg: float = 0.0, pupil_radius_mm: float = 1.8, *,
               camera: EyeCamera = EyeCamera(), openness: float = 1.0, glints: int = 2, lashes: bool = True,
               blur_sigma: float = 1.0, noise_sd: float = 4.0, rng: np.random.Generator | int | None = None):
    """One dark-pupil IR eye image and its ground truth.

    Parameters
    ----------
    yaw_deg, pitch_deg : float
        Eye rotation (deg; 0, 0 looks into the camera; positive yaw to image right,
        positive pitch up).
    pupil_radius_mm : float
    camera : EyeCamera
    openness : float
        Eyelid opening, 1 wide open, 0 closed (a blink).
    glints : int
        Corneal reflections (bright dots near the pupil).
    lashes : bool
        Draw eyelashes across the upper part of the eye.
    blur_sigma, noise_sd : float
        Gaussian blur (px) and sensor noise (grey levels).
    rng : Generator or int, optional

    Returns
    -------
    image : ndarray of uint8, shape (height, width)
    truth : dict
        ``centre`` (x, y px), ``axes`` (major, minor px), ``angle`` (deg),
        ``diameter`` (px, the major axis), ``visible`` (fraction of the pupil not
        covered by the lids), ``glint`` (mean centre of the reflections, px); all NaN in
        a blink.
    """
    import cv2

    rng = np.random.default_rng(rng)
    w, h = camera.width, camera.height
    s = camera.px_per_mm
    cx0, cy0 = camera.c
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = (150 + 25 * (xx / w) - 10 * (yy / h)).astype(np.float32)  # skin with shading
    # eye opening: between two parabolic lids around the rotation centre
    half_w = 15.0 * s
    lid_open = max(min(openness, 1.0), 0.0)
    u = np.clip((xx - cx0) / half_w, -1.2, 1.2)
    upper = cy0 - (11.0 * s * lid_open) * (1 - u ** 2) + 2.0 * s * (1 - lid_open)
    lower = cy0 + (7.0 * s * lid_open) * (1 - u ** 2) + 2.0 * s * (1 - lid_open)
    inside = (yy > upper) & (yy < lower) & (np.abs(xx - cx0) < half_w)
    eye = np.full((h, w), 205.0, np.float32)  # sclera
    iris = pupil_ellipse(yaw_deg, pitch_deg, IRIS_RADIUS_MM, camera, depth_mm=PUPIL_DEPTH_MM - 0.5)
    mask = np.zeros((h, w), np.uint8)
    _ellipse(mask, iris, 255)
    tex = cv2.GaussianBlur(rng.normal(0, 12, (h, w)).astype(np.float32), (0, 0), 1.5)
    eye = np.where(mask > 0, 110 + tex - 20 * (mask / 255.0), eye)  # textured iris
    pupil = pupil_ellipse(yaw_deg, pitch_deg, pupil_radius_mm, camera)
    pm = np.zeros((h, w), np.uint8)
    _ellipse(pm, pupil, 255)
    a = pm / 255.0
    eye = eye * (1 - a) + 22.0 * a
    img = np.where(inside, eye, img)
    # glints: corneal reflections of LEDs, near the cornea's image centre
    glint_centres = []
    if glints and lid_open > 0:
        g = np.zeros((h, w), np.uint8)
        for k in range(glints):
            glint_centres.append(_glint(yaw_deg, pitch_deg, camera, k))
            _ellipse(g, (*glint_centres[-1], 0.7 * s, 0.7 * s, 0), 255)
        img = np.where(inside & (g > 0), 255.0 * g / 255.0 + img * (1 - g / 255.0), img)
    if lashes and lid_open > 0:
        lash = np.zeros((h, w), np.uint8)
        for x0 in np.linspace(cx0 - half_w * 0.8, cx0 + half_w * 0.8, 14):
            uu = (x0 - cx0) / half_w
            y0 = cy0 - (11.0 * s * lid_open) * (1 - uu ** 2) + 2.0 * s * (1 - lid_open)
            x1 = x0 + rng.normal(0, 3)
            cv2.line(lash, (int(x0), int(y0)), (int(x1), int(y0 + rng.uniform(0.8, 1.8) * s)), 255, 1, cv2.LINE_AA)
        img = img * (1 - 0.75 * lash / 255.0) + 40 * (0.75 * lash / 255.0)
    if blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), blur_sigma)
    img = img + rng.normal(0, noise_sd, img.shape)
    image = np.clip(np.round(img), 0, 255).astype(np.uint8)
    total = pm.astype(np.float64).sum()
    visible = float((pm * inside).sum() / total) if total > 0 else 0.0
    nan = float("nan")
    glint = tuple(np.mean(glint_centres, axis=0)) if glint_centres else (nan, nan)
    if lid_open < 0.15 or visible < 0.25:
        return image, {"centre": (nan, nan), "axes": (nan, nan), "angle": nan, "diameter": nan, "visible": visible,
                       "glint": (nan, nan)}
    return image, {"centre": (pupil[0], pupil[1]), "axes": (pupil[2], pupil[3]), "angle": pupil[4],
                   "diameter": pupil[2], "visible": visible, "glint": glint}


def eye_sequence(n: int, *, rng: np.random.Generator | int | None = 0, camera: EyeCamera = EyeCamera(),
                 blink_rate: float = 0.05, max_angle: float = 25.0, noise_sd: float = 4.0, blur_sigma: float = 1.0,
                 partial_lids: bool = True):
    """``n`` random eye images (uniform gaze within ``max_angle``, random pupil size,
    lid opening, blinks at ``blink_rate``): ``(images (n, h, w) uint8, truth list)``."""
    rng = np.random.default_rng(rng)
    images, truths = [], []
    for _ in range(n):
        blink = rng.random() < blink_rate
        openness = 0.0 if blink else (rng.uniform(0.45, 1.0) if partial_lids else 1.0)
        img, t = render_eye(rng.uniform(-max_angle, max_angle), rng.uniform(-max_angle * 0.7, max_angle * 0.7),
                            rng.uniform(1.2, 3.0), camera=camera, openness=openness, glints=int(rng.integers(0, 4)),
                            blur_sigma=blur_sigma, noise_sd=noise_sd, rng=rng)
        images.append(img)
        truths.append(t)
    return np.stack(images), truths


@dataclasses.dataclass(frozen=True)
class EyeModel:
    """Where an eye looks on a screen, and where its pupil then is in the eye camera.

    The eye sits ``screen.distance_mm`` in front of the screen centre; the camera looks
    at the eye (so the image's x is mirrored with respect to the screen's).
    """

    screen: Screen
    camera: EyeCamera = EyeCamera()
    kappa_deg: tuple[float, float] = (1.5, 0.5)  # angle between optical and visual axis

    def rotation_for(self, x_px, y_px) -> tuple[np.ndarray, np.ndarray]:
        """Eye rotation (yaw, pitch; deg) that looks at screen position (x, y px)."""
        xd, yd = self.screen.to_degrees(x_px, y_px)
        return -(xd + self.kappa_deg[0]), -(yd + self.kappa_deg[1])

    def pupil_centre(self, x_px, y_px) -> tuple[np.ndarray, np.ndarray]:
        """Exact pupil centre in the eye image (px) when looking at screen position (x, y)."""
        yaw, pitch = self.rotation_for(x_px, y_px)
        yaw = np.radians(np.asarray(yaw, dtype=float))
        pitch = np.radians(np.asarray(pitch, dtype=float))
        s = self.camera.px_per_mm * PUPIL_DEPTH_MM
        return self.camera.c[0] + s * np.sin(yaw) * np.cos(pitch), self.camera.c[1] - s * np.sin(pitch)


def gaze_signal(duration_s: float = 10.0, rate: float = 500.0, *, noise_deg: float = 0.03,
                rng: np.random.Generator | int | None = 0, pursuit: bool = True, blinks: bool = True):
    """A gaze trace (deg) with exact labels: fixations with drift and noise, saccades with
    main-sequence durations and a damped overshoot (PSO), linear pursuits and blinks (NaN).

    Returns
    -------
    x, y : ndarray
        Gaze (deg); NaN during blinks.
    labels : ndarray of int8
        Codes of :mod:`sensekit.eyetrack.labels`.
    """
    rng = np.random.default_rng(rng)
    n = int(round(duration_s * rate))
    x = np.zeros(n)
    y = np.zeros(n)
    lab = np.zeros(n, dtype=np.int8)
    i, px, py = 0, 0.0, 0.0
    while i < n:
        kind = rng.choice(["fix", "pur", "blink"], p=[0.75, 0.2 if pursuit else 0.0, 0.05 if blinks else 0.0]
                          / np.array([0.75, 0.2 if pursuit else 0.0, 0.05 if blinks else 0.0]).sum())
        if kind == "fix":
            k = int(rng.uniform(0.15, 0.6) * rate)
            drift = np.cumsum(rng.normal(0, 0.004, (k, 2)), axis=0)
            x[i : i + k] = px + drift[: n - i, 0]
            y[i : i + k] = py + drift[: n - i, 1]
            lab[i : i + k] = FIXATION
        elif kind == "pur":
            k = int(rng.uniform(0.4, 1.2) * rate)
            v = rng.uniform(5, 20)
            ang = rng.uniform(0, 2 * np.pi)
            tt = np.arange(k) / rate
            x[i : i + k] = (px + v * np.cos(ang) * tt)[: n - i]
            y[i : i + k] = (py + v * np.sin(ang) * tt)[: n - i]
            lab[i : i + k] = PURSUIT
        else:
            k = int(rng.uniform(0.08, 0.2) * rate)
            x[i : i + k] = np.nan
            y[i : i + k] = np.nan
            lab[i : i + k] = BLINK
        if k <= 0:
            k = 1
        i = min(i + k, n)
        if kind != "blink":
            px, py = x[i - 1], y[i - 1]
        if i >= n:
            break
        # a saccade to a new place, with a PSO
        amp = rng.uniform(2, 15)
        ang = rng.uniform(0, 2 * np.pi)
        tx = float(np.clip(px + amp * np.cos(ang), -15, 15))
        ty = float(np.clip(py + amp * np.sin(ang), -10, 10))
        amp = float(np.hypot(tx - px, ty - py))
        dur = 0.021 + 0.0022 * amp  # main sequence (Carpenter)
        k = max(int(round(dur * rate)), 2)
        prog = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, k + 1) / k)
        sl = slice(i, min(i + k, n))
        m = sl.stop - sl.start
        x[sl] = px + (tx - px) * prog[:m]
        y[sl] = py + (ty - py) * prog[:m]
        lab[sl] = SACCADE
        i = sl.stop
        kp = int(0.02 * rate)
        tt = np.arange(1, kp + 1) / rate
        wob = 0.08 * amp * np.exp(-tt / 0.006) * np.sin(2 * np.pi * 40 * tt)
        sl = slice(i, min(i + kp, n))
        m = sl.stop - sl.start
        ux, uy = (tx - px) / max(amp, 1e-9), (ty - py) / max(amp, 1e-9)
        x[sl] = tx + ux * wob[:m]
        y[sl] = ty + uy * wob[:m]
        lab[sl] = PSO
        i = sl.stop
        px, py = tx, ty
    ok = np.isfinite(x)
    x[ok] += rng.normal(0, noise_deg, ok.sum())
    y[ok] += rng.normal(0, noise_deg, ok.sum())
    return x, y, lab


class EyeImageSource(Source):
    """``synth:eye`` — eye-camera images of a simulated eye following :func:`gaze_signal`
    (fixations, saccades, pursuits, blinks), with the exact pupil ellipse of each frame
    in :attr:`truth`.

    Parameters
    ----------
    rate : float
        Frames per second.
    duration_s : float
        Stream length (s).
    seed : int
    block_size : int
        Images per frame.
    """

    def __init__(self, *, rate: float = 120.0, duration_s: float = 5.0, seed: int = 0, block_size: int = 1,
                 width: int = 192, height: int = 192) -> None:
        from ..core import StreamInfo

        _check_simulation(rate, duration_s, block_size)
        check_scalar(width, "width", kind=int, min_value=32, max_value=4096)
        check_scalar(height, "height", kind=int, min_value=32, max_value=4096)
        self.rate, self.duration_s, self.seed, self.block_size = float(rate), float(duration_s), int(seed), int(block_size)
        self.camera = EyeCamera(int(width), int(height), 8.0 * min(int(width), int(height)) / 192)
        self.info = StreamInfo("synth-eye", "image", self.rate, (self.camera.height, self.camera.width), dtype="uint8",
                               meta={"pixel_format": "GRAY8"})
        self.description = "synth:eye"
        self.truth: list[dict] = []

    def _frames(self):
        from ..core import Frame

        n = int(round(self.duration_s * self.rate))
        x, y, _ = gaze_signal(self.duration_s, self.rate, rng=self.seed, noise_deg=0.05)
        rng = np.random.default_rng(self.seed + 1)
        seq = 0
        for a in range(0, n, self.block_size):
            imgs = []
            for i in range(a, min(a + self.block_size, n)):
                blink = not np.isfinite(x[i])
                img, t = render_eye(0.0 if blink else -float(x[i]), 0.0 if blink else -float(y[i]), 2.0,
                                    camera=self.camera, openness=0.0 if blink else 1.0, rng=rng)
                imgs.append(img)
                self.truth.append(t)
            yield Frame(self.info, np.stack(imgs), t0=a / self.rate, seq=seq)
            seq += 1



class GazeSource(Source):
    """``synth:gaze`` — a gaze stream (deg) from :func:`gaze_signal`; :attr:`labels` holds
    the true label of every sample."""

    def __init__(self, *, rate: float = 500.0, duration_s: float = 10.0, seed: int = 0, block_size: int = 50,
                 noise_deg: float = 0.03) -> None:
        from ..core import StreamInfo

        _check_simulation(rate, duration_s, block_size)
        check_scalar(noise_deg, "noise_deg", min_value=0, max_value=10)
        self.rate, self.block_size = float(rate), int(block_size)
        self.x, self.y, self.labels = gaze_signal(float(duration_s), self.rate, rng=int(seed), noise_deg=float(noise_deg))
        self.info = StreamInfo("synth-gaze", "gaze", self.rate, (2,), channels=("x", "y"), dtype="float64",
                               meta={"gaze_units": "deg"})
        self.description = "synth:gaze"

    def _frames(self):
        from ..core import Frame

        xy = np.stack([self.x, self.y], axis=1)
        for seq, a in enumerate(range(0, len(xy), self.block_size)):
            yield Frame(self.info, xy[a : a + self.block_size].copy(), t0=a / self.rate, seq=seq)


def _check_simulation(rate, duration_s, block_size) -> None:
    """The eye simulators' common options: a tracker's rate (up to 10 kHz), up to a day, blocks
    of at least one sample (one line for a bad one, not a numpy error)."""
    check_scalar(rate, "rate", min_value=1, max_value=10_000)
    check_scalar(duration_s, "duration_s", min_value=0, include_min=False, max_value=86_400)
    check_scalar(block_size, "block_size", kind=int, min_value=1, max_value=1 << 20)
