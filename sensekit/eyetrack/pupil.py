"""Dark-pupil detection in infrared eye images: pupil ellipse, diameter and confidence.

The detector (:func:`detect_pupil`) works in the spirit of ElSe, PuRe and Pupil Labs' 2D
detector:

1. *Coarse*: the darkest pupil-sized blob (box-filtered image minimum).
2. *Region*: a threshold just above the region's darkest grey levels, glints and lashes
   removed by morphology; the connected component at the coarse position.
3. *Edges*: the component's outline, without the points that touch a glint or the
   image border; an ellipse fitted by RANSAC (outliers: eyelid and lash edges) and refit
   on the inliers.
4. *Confidence*: the fraction of the ellipse's outline with a dark-inside/bright-outside
   contrast. Below ``min_confidence`` the frame has no pupil: NaN, confidence 0.

:class:`PupilDetector` is the stage: an image stream in, a ``pupil`` stream out.
"""

from __future__ import annotations

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_scalar, check_stream
from ..core.stage import Stage
from ..errors import StreamFormatError

__all__ = ["detect_pupil", "PupilDetector", "PUPIL_CHANNELS"]

#: Channels of a pupil stream.
PUPIL_CHANNELS = ("x", "y", "major", "minor", "angle", "diameter", "confidence", "glint_x", "glint_y")

_NAN_RESULT = (np.nan,) * 6 + (0.0, np.nan, np.nan)


def _to_gray(img: np.ndarray) -> np.ndarray:
    import cv2

    if img.ndim == 3 and img.shape[2] == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    elif img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return img


def _fit(pts: np.ndarray):
    import cv2

    (cx, cy), (w, h), ang = cv2.fitEllipseDirect(pts.astype(np.float32))
    return cx, cy, w, h, ang


def _residuals(pts: np.ndarray, e) -> np.ndarray:
    """Approximate distance (px) of points from an ellipse (radial, in the ellipse frame)."""
    cx, cy, w, h, ang = e
    a, b = max(w / 2, 1e-6), max(h / 2, 1e-6)
    t = np.radians(ang)
    dx, dy = pts[:, 0] - cx, pts[:, 1] - cy
    u = dx * np.cos(t) + dy * np.sin(t)
    v = -dx * np.sin(t) + dy * np.cos(t)
    r = np.sqrt((u / a) ** 2 + (v / b) ** 2)
    return np.abs(r - 1.0) * np.sqrt(u * u + v * v) / np.maximum(r, 1e-9)


def _ransac(pts: np.ndarray, rng: np.random.Generator, iters: int, tol: float):
    n = len(pts)
    best, best_in = None, None
    for _ in range(iters):
        sub = pts[rng.choice(n, 6, replace=False)]
        try:
            e = _fit(sub)
        except Exception:  # noqa: BLE001 - a degenerate sample
            continue
        if not (np.isfinite(e[2]) and np.isfinite(e[3])) or min(e[2], e[3]) <= 1:
            continue
        inl = _residuals(pts, e) < tol
        if best_in is None or inl.sum() > best_in.sum():
            best, best_in = e, inl
            if inl.mean() > 0.9:
                break
    return best, best_in


def _support(gray: np.ndarray, e, min_contrast: float) -> float:
    """Fraction of 48 outline points with inside darker than outside by ``min_contrast``."""
    cx, cy, w, h, ang = e
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    c, s = np.cos(np.radians(ang)), np.sin(np.radians(ang))
    def pts(scale):
        u, v = scale * w / 2 * np.cos(t), scale * h / 2 * np.sin(t)
        return cx + u * c - v * s, cy + u * s + v * c
    hgt, wid = gray.shape
    xi, yi = pts(0.8)
    xo, yo = pts(1.25)
    ok = (xi >= 0) & (xi < wid - 1) & (yi >= 0) & (yi < hgt - 1) & (xo >= 0) & (xo < wid - 1) & (yo >= 0) & (yo < hgt - 1)
    if not ok.any():
        return 0.0
    inside = gray[yi[ok].astype(int), xi[ok].astype(int)].astype(np.float64)
    outside = gray[yo[ok].astype(int), xo[ok].astype(int)].astype(np.float64)
    return float(np.sum(outside - inside > min_contrast) / t.size)


def detect_pupil(image: np.ndarray, *, min_diameter: float = 8.0, max_diameter: float = 100.0,
                 min_confidence: float = 0.5, min_contrast: float = 25.0, ransac_iters: int = 40,
                 rng: np.random.Generator | int | None = 0) -> tuple[float, ...]:
    """Find the dark pupil in one eye image.

    Parameters
    ----------
    image : ndarray
        Grey (h, w) or BGR (h, w, 3) image, uint8.
    min_diameter, max_diameter : float
        Expected pupil size (px).
    min_confidence : float
        Below this outline support, the frame has no pupil.
    min_contrast : float
        Grey levels by which the outline's outside must be brighter than its inside.
    ransac_iters : int
        Ellipse hypotheses tried on the outline.
    rng : Generator or int, optional
        RANSAC's sampling (fixed by default: the same image gives the same result).

    Returns
    -------
    tuple of float
        ``(x, y, major, minor, angle, diameter, confidence, glint_x, glint_y)``: centre
        (px), full axes (px), major-axis angle (deg), diameter (the major axis, px),
        confidence in [0, 1] and the mean centre of the corneal reflections near the pupil
        (px; NaN when none is seen); NaN and confidence 0 when there is no pupil.
    """
    import cv2

    gray = _to_gray(np.asarray(image))
    hgt, wid = gray.shape
    rng = np.random.default_rng(rng)
    # 1. coarse: the darkest pupil-sized region (glints and lashes averaged away)
    small = cv2.blur(gray, (max(int(min_diameter), 3),) * 2)
    _, _, (mx, my), _ = cv2.minMaxLoc(small)
    r = int(max_diameter * 0.75)
    x0, y0 = max(mx - r, 0), max(my - r, 0)
    roi = gray[y0 : my + r, x0 : mx + r]
    # 2. region: threshold just above the darkest levels
    blurred = cv2.GaussianBlur(roi, (5, 5), 0)
    low = float(cv2.minMaxLoc(blurred)[0])  # the pupil's level (blurred: noise averaged)
    mid = float(np.median(blurred[::2, ::2]))  # the surround's (no full resolution needed)
    thr = low + max(min_contrast * 0.6, 0.35 * (mid - low))
    bright = cv2.dilate((roi > 230).astype(np.uint8), np.ones((5, 5), np.uint8))
    e = _fit_region(blurred, thr, (mx - x0, my - y0), bright, min_diameter, max_diameter, rng, ransac_iters)
    if e is None:
        return _NAN_RESULT
    # 3. refine: re-threshold half-way between the pupil's and its surround's grey levels,
    # where a blurred edge really is, and fit again
    inner, outer = _levels(cv2.GaussianBlur(roi, (3, 3), 0), e, bright)
    if np.isfinite(inner) and np.isfinite(outer) and outer - inner > min_contrast:
        fine = cv2.GaussianBlur(roi, (3, 3), 0)
        e2 = _fit_region(fine, 0.5 * (inner + outer), (int(e[0]), int(e[1])), bright, min_diameter, max_diameter, rng,
                         ransac_iters, prior=e)
        if e2 is not None:
            e = e2
    cx, cy, w, h, ang = e
    # the outline runs along the centres of the edge's dark pixels: half a pixel inside
    w, h = w + 1.0, h + 1.0
    cx, cy = cx + x0, cy + y0
    major, minor = (w, h) if w >= h else (h, w)
    angle = ang if w >= h else ang + 90.0
    if not (min_diameter <= major <= max_diameter) or minor < 0.2 * major:
        return _NAN_RESULT
    conf = _support(gray, (cx, cy, w, h, ang), min_contrast)
    if conf < min_confidence:
        return _NAN_RESULT
    gx, gy = _glints(gray, cx, cy, major)
    return float(cx), float(cy), float(major), float(minor), float(angle % 180.0), float(major), conf, gx, gy


def _glints(gray: np.ndarray, cx: float, cy: float, major: float, min_contrast: float = 50.0,
            saturation: int = 230) -> tuple[float, float]:
    """Mean centre of the corneal reflections — small, compact, (near) saturated spots
    ``min_contrast`` above their surround — within 1.2 pupil diameters of the pupil
    centre, or NaN when there is none."""
    import cv2

    r = int(1.2 * major) + 2
    x0, y0 = max(int(cx) - r, 0), max(int(cy) - r, 0)
    roi = gray[y0 : int(cy) + r, x0 : int(cx) + r]
    # white top-hat: spots smaller than the kernel stand out, the sclera and skin do not;
    # a glint lies on the dark iris or pupil, so its surround (the opening) is dark too
    size = max(int(0.3 * major) | 1, 7)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    opened = cv2.morphologyEx(roi, cv2.MORPH_OPEN, kernel)
    hat = roi.astype(np.int16) - opened
    spots = (hat > min_contrast) & (roi >= saturation)  # IR glints are (near) saturated
    n, _, stats, cents = cv2.connectedComponentsWithStats(spots.astype(np.uint8), connectivity=8)
    if n < 2:
        return float("nan"), float("nan")
    area = stats[1:, cv2.CC_STAT_AREA]
    w, h = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    keep = (area >= 2) & (w < size) & (h < size) & (area >= 0.4 * w * h)  # small and compact
    if not keep.any():
        return float("nan"), float("nan")
    c = cents[1:][keep]
    return float(c[:, 0].mean() + x0), float(c[:, 1].mean() + y0)


def _fit_region(img: np.ndarray, thr: float, seed, bright: np.ndarray, min_diameter: float, max_diameter: float,
                rng, iters: int, prior=None):
    """Ellipse (cx, cy, w, h, angle) of the dark region below ``thr`` at ``seed`` (or the
    largest), fitted by RANSAC on its outline without glint and border points (or, with a
    ``prior`` ellipse, on the outline points within 2 px of it); or None."""
    import cv2

    dark = (img < thr).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))  # fill glints
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))  # cut lashes
    n_lab, lab, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    if n_lab < 2:
        return None
    sx, sy = seed
    k = int(lab[sy, sx]) if 0 <= sy < lab.shape[0] and 0 <= sx < lab.shape[1] else 0
    if k == 0:
        k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    area = stats[k, cv2.CC_STAT_AREA]
    if area < np.pi * (min_diameter / 2) ** 2 * 0.3 or area > np.pi * (max_diameter / 2) ** 2 * 1.5:
        return None
    contours, _ = cv2.findContours((lab == k).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    pts = max(contours, key=len)[:, 0, :].astype(np.float64)
    keep = ((pts[:, 0] > 0) & (pts[:, 1] > 0) & (pts[:, 0] < img.shape[1] - 1) & (pts[:, 1] < img.shape[0] - 1)
            & (bright[pts[:, 1].astype(int), pts[:, 0].astype(int)] == 0))
    pts = pts[keep]
    if len(pts) < 8:
        return None
    if prior is not None:
        inl = _residuals(pts, prior) < 2.0
    else:
        e, inl = _ransac(pts, rng, iters, tol=1.5)
        if e is None:
            return None
    if inl.sum() < 6:
        return None
    try:
        return _fit(pts[inl])
    except Exception:  # noqa: BLE001 - degenerate inliers
        return None


def _levels(img: np.ndarray, e, bright: np.ndarray) -> tuple[float, float]:
    """Median grey inside 0.6 × the ellipse and in the ring 1.2–1.5 × outside it (glints out)."""
    import cv2

    cx, cy, w, h, ang = e
    masks = []
    for scale in (0.6, 1.2, 1.5):
        m = np.zeros(img.shape, np.uint8)
        cv2.ellipse(m, ((cx, cy), (w * scale, h * scale), ang), 1, -1)
        masks.append(m.astype(bool))
    ok = bright == 0
    inside = img[masks[0] & ok]
    ring = img[masks[2] & ~masks[1] & ok]
    return (float(np.median(inside)) if inside.size else np.nan, float(np.median(ring)) if ring.size else np.nan)


class PupilDetector(Stage):
    """Eye-camera image stream → ``pupil`` stream, one sample per image.

    Parameters
    ----------
    **params
        Parameters of :func:`detect_pupil` (``min_diameter``, ``max_diameter``,
        ``min_confidence``, ...), in pixels of the input images.

    Notes
    -----
    Input: a ``video`` stream of shape (h, w) or (h, w, 3), uint8. Output channels
    :data:`PUPIL_CHANNELS` (px, deg, confidence 0..1); a frame with no pupil (blink,
    occlusion) is NaN with confidence 0. Each image is detected on its own, with a fixed
    RANSAC seed, so the output never depends on block sizes.
    """

    def __init__(self, **params) -> None:
        self.params = params

    def _open(self, info: StreamInfo) -> StreamInfo:
        check_stream(info, "PupilDetector", dtype_kinds="u")
        if len(info.shape) not in (2, 3) or (len(info.shape) == 3 and info.shape[2] not in (1, 3)):
            raise StreamFormatError(f"PupilDetector needs images (h, w) or (h, w, 3), stream {info.name!r} has "
                                    f"samples of shape {info.shape}", "give an eye-camera or video source")
        for key in ("min_diameter", "max_diameter"):
            if key in self.params:
                check_scalar(self.params[key], key, min_value=1.0)
        meta = {k: v for k, v in dict(info.meta).items() if k not in ("pixel_format",)}
        meta["image_size"] = [int(info.shape[1]), int(info.shape[0])]
        return StreamInfo(info.name, "pupil", info.rate, (len(PUPIL_CHANNELS),), channels=PUPIL_CHANNELS,
                          dtype="float64", meta=meta)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        out = np.array([detect_pupil(img, **self.params) for img in frame.data], dtype=np.float64)
        if frame.info.rate > 0:
            return Frame._trusted(self.output_info, out, frame.t0, None, frame.seq)
        return Frame._trusted(self.output_info, out, frame.t0, frame.times, frame.seq)
