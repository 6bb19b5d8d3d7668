"""Gaze calibration and validation: pupil position → screen position, in degrees.

- :class:`GazeMapper` — a learning stage: a 2nd-order polynomial (as Pupil Core) fitted
  with outlier removal and a refit, or a homography; pupil stream in, gaze stream (px,
  with the screen geometry in its meta) out.
- :func:`target_layout` — 5, 9 or 13 calibration targets, and validation targets
  between them.
- :func:`accuracy_precision` — accuracy (mean angular offset, deg) and precision (RMS
  sample-to-sample, deg; and SD) per target and overall.
- :func:`run_session` — the guided session: show each target, wait for the eye to
  settle, collect pupil samples; calibrate, then validate on separate targets.
  :class:`OpenCVTargetDisplay` draws full-screen targets; :class:`SimulatedEye` stands in
  for the person and the eye camera in tests and demos.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence

import numpy as np

from ..core import Frame, StreamInfo
from ..core.checks import check_option, check_stream, stated_image_size
from ..core.stage import LearningStage
from ..errors import CalibrationError, DeviceError, ParameterError, StreamFormatError
from .geometry import Screen, angular_distance_deg
from .pupil import PUPIL_CHANNELS

__all__ = ["GazeMapper", "target_layout", "accuracy_precision", "TargetSamples", "run_session",
           "OpenCVTargetDisplay", "HeadlessDisplay", "SimulatedEye", "SourceEye", "SessionResult", "plot_validation",
           "load_gaze_mapper", "MAPPINGS", "FEATURES", "MIN_TARGETS", "TARGET_COUNTS"]

log = logging.getLogger("sensekit")


def _poly2(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    return np.column_stack([np.ones_like(x), x, y, x * y, x * x, y * y])


def _poly2_cross(p: np.ndarray) -> np.ndarray:
    x, y = p[:, 0], p[:, 1]
    return np.column_stack([np.ones_like(x), x, y, x * y, x * x, y * y, x * y * y, x * x * y])


#: Polynomial maps: name → (terms function, number of terms).
_POLYS = {"poly2": (_poly2, 6), "poly2x": (_poly2_cross, 8)}
#: The maps :class:`GazeMapper` fits, the features it maps, and the targets each map needs at the least.
MAPPINGS = (*_POLYS, "homography")
FEATURES = ("pupil", "pupil-glint")
MIN_TARGETS = {"poly2": 5, "poly2x": 9, "homography": 4}
#: Calibration target layouts (:func:`target_layout`).
TARGET_COUNTS = (5, 9, 13)


class GazeMapper(LearningStage):
    """Pupil (image px) → gaze on the screen (px).

    Parameters
    ----------
    screen : dict
        :class:`~sensekit.eyetrack.geometry.Screen` fields (mm, px, mm).
    method : {"poly2", "poly2x", "homography"}
        2nd-order polynomial per screen axis (6 terms); the same plus the cross terms
        x·y² and x²·y (8 terms, 9 or more targets), which model how the horizontal pupil
        movement shrinks when the eye looks up or down; or a projective map.
    outlier_deg : float
        Calibration samples whose fitted gaze is further than this from their target are
        dropped and the map refit (once).
    feature : {"pupil", "pupil-glint"}
        Map the pupil centre, or the pupil centre minus the corneal reflections' centre
        (less sensitive to the headset slipping on the head; needs IR glints).
    min_confidence : float
        Pupil samples below this confidence are ignored in ``fit`` and give NaN gaze.

    Notes
    -----
    Input: a ``pupil`` stream (:data:`~sensekit.eyetrack.pupil.PUPIL_CHANNELS`). Output:
    a ``gaze`` stream, channels ``x, y`` (screen px), ``meta["gaze_units"] = "px"`` and
    ``meta["screen"]``. Learned: ``coef_`` (2 × terms), ``scale_`` and ``offset_`` (pupil
    normalisation), ``image_size_`` (the eye camera's image size, checked on load).
    """

    calibration_kind = "eyetrack"

    def __init__(self, screen: dict, method: str = "poly2", feature: str = "pupil", outlier_deg: float = 2.5,
                 min_confidence: float = 0.6) -> None:
        self.screen = screen
        self.method = method
        self.feature = feature
        self.outlier_deg = outlier_deg
        self.min_confidence = min_confidence

    @property
    def screen_(self) -> Screen:
        return Screen(**self.screen)

    def _terms(self, p: np.ndarray) -> np.ndarray:
        q = (p - self.offset_) / self.scale_
        if self.method in _POLYS:
            return _POLYS[self.method][0](q)
        return np.column_stack([q, np.ones(len(q))])

    def _apply(self, p: np.ndarray) -> np.ndarray:
        """Pupil px → screen px (the maps are fitted in degrees of visual angle)."""
        t = self._terms(p)
        if self.method in _POLYS:
            d = t @ self.coef_.T
        else:
            h = t @ self.coef_.T  # (n, 3)
            with np.errstate(invalid="ignore", divide="ignore"):
                d = h[:, :2] / h[:, 2:3]
        return np.column_stack(self.screen_.to_pixels(d[:, 0], d[:, 1]))

    def features(self, rows: np.ndarray) -> np.ndarray:
        """The mapped feature of pupil-stream rows (n, 9): pupil centre, or pupil − glint
        (image px); NaN where the confidence is below ``min_confidence`` or no glint was
        seen. Rows of 2 columns are taken as features already."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] not in (2, len(PUPIL_CHANNELS)):
            raise ParameterError(f"GazeMapper needs pupil rows (n, {len(PUPIL_CHANNELS)}) or features (n, 2), got "
                                 f"shape {rows.shape}")
        if rows.shape[1] == 2:
            return rows
        check_option(self.feature, "feature", FEATURES)
        f = rows[:, :2].copy() if self.feature == "pupil" else rows[:, :2] - rows[:, 7:9]
        f[rows[:, 6] < self.min_confidence] = np.nan
        return f

    def fit(self, pupil: np.ndarray, target_xy: np.ndarray) -> GazeMapper:
        """Fit from pupil-stream rows (n, 9) — or features (n, 2; image px) — and the
        screen targets looked at (n, 2; px).

        Raises
        ------
        CalibrationError
            Fewer usable samples than the map has terms, or targets that do not span
            the screen in two dimensions.
        """
        check_option(self.method, "method", MAPPINGS)
        p = self.features(pupil)
        t = np.asarray(target_xy, dtype=np.float64)
        ok = np.isfinite(p).all(axis=1) & np.isfinite(t).all(axis=1)
        p, t = p[ok], t[ok]
        need = _POLYS[self.method][1] if self.method in _POLYS else 4
        min_targets = MIN_TARGETS[self.method]
        seen = len(np.unique(np.round(t, 3), axis=0))
        if seen < min_targets or len(p) < 2 * need:
            raise CalibrationError(f"gaze calibration ({self.method}) needs samples at >= {min_targets} targets "
                                   f"(got {len(p)} usable samples at {seen} targets)",
                                   "look at each target until it moves on; check the pupil confidence")
        self.offset_ = p.mean(axis=0)
        self.scale_ = np.maximum(p.std(axis=0), 1e-6)
        screen = self.screen_
        keep = np.ones(len(p), dtype=bool)
        for _ in range(2):  # fit, drop outliers, refit
            self._solve(p[keep], t[keep])
            g = self._apply(p)
            err = angular_distance_deg(g[:, 0], g[:, 1], t[:, 0], t[:, 1], screen)
            new_keep = err <= self.outlier_deg
            if new_keep.sum() < 2 * need or (new_keep == keep).all():
                break
            keep = new_keep
        self.n_used_ = int(keep.sum())
        self.fit_error_deg_ = float(np.nanmean(err[keep]))
        return self

    def _solve(self, p: np.ndarray, t: np.ndarray) -> None:
        t = np.column_stack(self.screen_.to_degrees(t[:, 0], t[:, 1]))  # fit in visual angle
        if self.method in _POLYS:
            a = self._terms(p)
            self.coef_ = np.linalg.lstsq(a, t, rcond=None)[0].T  # (2, 6)
            return
        import cv2

        q = (p - self.offset_) / self.scale_
        h, _ = cv2.findHomography(q.astype(np.float64), t.astype(np.float64), 0)
        if h is None:
            raise CalibrationError("the homography fit failed: the targets or pupil positions are degenerate",
                                   "use targets spread over the screen")
        self.coef_ = h

    def predict(self, pupil: np.ndarray) -> np.ndarray:
        """Screen positions (n, 2; px) of pupil-stream rows (n, 9) or features (n, 2)."""
        self.check_is_fitted()
        return self._apply(self.features(pupil))

    def _open(self, info: StreamInfo) -> StreamInfo:
        self.check_is_fitted()
        check_stream(info, "GazeMapper", shape=(len(PUPIL_CHANNELS),))
        if tuple(info.channels or ()) != PUPIL_CHANNELS:
            raise StreamFormatError(f"GazeMapper needs a pupil stream {PUPIL_CHANNELS}, got {info.channels}",
                                    "put PupilDetector before GazeMapper")
        size = stated_image_size(info, "GazeMapper")
        if size is not None and hasattr(self, "image_size_") and [int(v) for v in size] != [int(v) for v in
                                                                                          self.image_size_]:
            raise CalibrationError(f"the gaze calibration was made for a {self.image_size_[0]:.0f}x"
                                   f"{self.image_size_[1]:.0f} eye camera, this one gives {size[0]}x{size[1]} "
                                   "(field image_size)", "calibrate again with this camera (sensekit calibrate eyetrack)")
        meta = {**dict(info.meta), "gaze_units": "px", "screen": self.screen_.to_dict()}
        return StreamInfo(info.name, "gaze", info.rate, (2,), channels=("x", "y"), dtype="float64", meta=meta)

    def _process(self, frame: Frame) -> Frame | None:
        if frame.n == 0:
            return None
        g = self._apply(self.features(frame.data))
        return Frame._trusted(self.output_info, g, frame.t0, frame.times if frame.info.rate == 0 else None, frame.seq)

    def check_screen(self, screen: Screen) -> None:
        """Refuse a screen other than the calibration's, naming the field."""
        mine = self.screen_
        for f in dataclasses.fields(Screen):
            a, b = getattr(mine, f.name), getattr(screen, f.name)
            if not np.isclose(a, b):
                raise CalibrationError(f"the gaze calibration was made for screen {f.name}={a:g}, not {b:g}",
                                       "calibrate again for this screen and viewing distance")


def target_layout(n: int, screen: Screen, *, margin: float = 0.1, validation: bool = False) -> np.ndarray:
    """Calibration (or validation) target positions (px), shape (k, 2).

    ``n`` is 5 (centre and corners), 9 (3 × 3 grid) or 13 (the 9 plus 4 in between);
    validation targets lie between the calibration ones (4 points, plus the centre).
    """
    if n not in TARGET_COUNTS:
        raise ParameterError(f"calibration targets must be 5, 9 or 13, got {n}", "use --targets 5, 9 or 13")
    lo, hi = margin, 1 - margin
    mid = 0.5
    if validation:
        q1, q3 = (lo + mid) / 2, (mid + hi) / 2
        pts = [(mid, mid), (q1, q1), (q3, q1), (q1, q3), (q3, q3)]
    elif n == 5:
        pts = [(mid, mid), (lo, lo), (hi, lo), (lo, hi), (hi, hi)]
    else:
        pts = [(mid, mid)] + [(a, b) for b in (lo, mid, hi) for a in (lo, mid, hi) if (a, b) != (mid, mid)]
        if n == 13:
            q1, q3 = (lo + mid) / 2, (mid + hi) / 2
            pts += [(q1, q1), (q3, q1), (q1, q3), (q3, q3)]
    return np.array(pts) * [screen.width_px, screen.height_px]


@dataclasses.dataclass
class TargetSamples:
    """Pupil samples recorded while one target was shown."""

    target: tuple[float, float]
    pupil: np.ndarray  # (n, 7) pupil stream rows
    t: np.ndarray  # (n,) times (s)


def accuracy_precision(gaze_px: np.ndarray, target_px, screen: Screen) -> dict:
    """Accuracy and precision of gaze samples recorded at one target.

    Returns
    -------
    dict
        ``accuracy_deg`` (mean angular offset from the target), ``precision_rms_deg``
        (RMS of the angles between successive samples), ``sd_deg`` (RMS angle from the
        samples' mean), ``n`` (valid samples).
    """
    g = np.asarray(gaze_px, dtype=np.float64)
    g = g[np.isfinite(g).all(axis=1)]
    nan = float("nan")
    if len(g) == 0:
        return {"accuracy_deg": nan, "precision_rms_deg": nan, "sd_deg": nan, "n": 0}
    tx, ty = target_px
    off = angular_distance_deg(g[:, 0], g[:, 1], np.full(len(g), tx), np.full(len(g), ty), screen)
    step = angular_distance_deg(g[1:, 0], g[1:, 1], g[:-1, 0], g[:-1, 1], screen) if len(g) > 1 else np.array([nan])
    m = g.mean(axis=0)
    sd = angular_distance_deg(g[:, 0], g[:, 1], np.full(len(g), m[0]), np.full(len(g), m[1]), screen)
    return {"accuracy_deg": float(off.mean()), "precision_rms_deg": float(np.sqrt(np.mean(step ** 2))),
            "sd_deg": float(np.sqrt(np.mean(sd ** 2))), "n": int(len(g))}


class HeadlessDisplay:
    """A display that shows nothing (tests, or a person following targets elsewhere)."""

    def show(self, target_px, progress: float) -> None:
        self.target = target_px

    def close(self) -> None:
        pass


class OpenCVTargetDisplay:
    """Full-screen OpenCV window with one shrinking target at a time."""

    def __init__(self, screen: Screen, window: str = "sensekit calibration") -> None:
        import cv2

        self.screen = screen
        self.window = window
        try:
            cv2.namedWindow(window, cv2.WND_PROP_FULLSCREEN)
            cv2.setWindowProperty(window, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error as e:
            raise DeviceError(f"cannot open a calibration window ({str(e).strip().splitlines()[-1]})",
                              "run on a machine with a display (or pass --headless to follow targets elsewhere)"
                              ) from None

    def show(self, target_px, progress: float) -> None:
        import cv2

        img = np.full((self.screen.height_px, self.screen.width_px, 3), 128, np.uint8)
        c = (int(target_px[0]), int(target_px[1]))
        r = int(20 * (1 - 0.6 * progress)) + 6
        cv2.circle(img, c, r, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(img, c, 3, (0, 0, 0), -1, cv2.LINE_AA)
        cv2.imshow(self.window, img)
        if cv2.waitKey(1) & 0xFF == 27:
            raise KeyboardInterrupt

    def close(self) -> None:
        import cv2

        cv2.destroyWindow(self.window)


class SimulatedEye:
    """A simulated person and eye camera: follows the display's target and yields pupil
    rows, either through rendered images and the :class:`~sensekit.eyetrack.pupil.
    PupilDetector` (``render=True``) or as the exact pupil centre plus noise.

    Parameters
    ----------
    model : EyeModel
    display : HeadlessDisplay
        The display whose current target the eye looks at.
    rate : float
        Eye-camera frame rate (Hz).
    fixation_noise_deg : float
        Gaze jitter of the person (deg RMS per axis).
    render : bool
        Render eye images and detect the pupil (slower, realistic) or use the truth.
    """

    def __init__(self, model, display, *, rate: float = 120.0, fixation_noise_deg: float = 0.1, render: bool = True,
                 seed: int = 0) -> None:
        self.model = model
        self.display = display
        self.rate = rate
        self.noise = fixation_noise_deg
        self.render = render
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.info = StreamInfo("simulated-eye", "pupil", rate, (len(PUPIL_CHANNELS),), channels=PUPIL_CHANNELS,
                               dtype="float64", meta={"image_size": [self.model.camera.width, self.model.camera.height]})

    def read(self, n: int) -> np.ndarray:
        """The next ``n`` pupil rows while looking at the display's target."""
        from .pupil import detect_pupil
        from .synth import glint_centre, pupil_ellipse, render_eye

        tx, ty = self.display.target
        yaw, pitch = self.model.rotation_for(tx, ty)
        rows = np.empty((n, len(PUPIL_CHANNELS)))
        for i in range(n):
            jy, jp = self.rng.normal(0, self.noise, 2)
            if self.render:
                img, _ = render_eye(float(yaw) + jy, float(pitch) + jp, 2.0, camera=self.model.camera, rng=self.rng)
                rows[i] = detect_pupil(img)
            else:
                ex = pupil_ellipse(float(yaw) + jy, float(pitch) + jp, 2.0, self.model.camera)
                rows[i] = (*ex, ex[2], 1.0, *glint_centre(float(yaw) + jy, float(pitch) + jp, self.model.camera))
        self.t += n / self.rate
        return rows


class SourceEye:
    """A live eye camera (any image source) as the pupil input of :func:`run_session`:
    each ``read(n)`` takes the next ``n`` images and detects the pupil in each."""

    def __init__(self, source, **detector_params) -> None:
        from .pupil import PupilDetector

        self.source = source
        self.detector = PupilDetector(**detector_params)
        self.info = self.detector.open(source.info)
        self.rate = source.info.rate or 30.0
        self._frames = iter(source)
        self._pending = np.zeros((0, len(PUPIL_CHANNELS)))

    def read(self, n: int) -> np.ndarray:
        from ..errors import DeviceLostError

        while self._pending.shape[0] < n:
            try:
                frame = next(self._frames)
            except StopIteration:
                raise DeviceLostError("the eye camera stopped during calibration",
                                      "check the camera connection and run the session again") from None
            out = self.detector.process(frame)
            if out is not None:
                self._pending = np.concatenate([self._pending, out.data])
        rows, self._pending = self._pending[:n], self._pending[n:]
        return rows


@dataclasses.dataclass
class SessionResult:
    """What a guided session produced."""

    mapper: GazeMapper
    validation: list[dict]  # per target: target, accuracy_deg, precision_rms_deg, sd_deg, n
    overall: dict
    calibration_samples: list[TargetSamples]
    validation_samples: list[TargetSamples]


def _collect(eye: SimulatedEye | Callable, display, targets, rate: float, settle_s: float, sample_s: float,
             progress: Callable | None) -> list[TargetSamples]:
    out = []
    n_settle = int(round(settle_s * rate))
    n_keep = max(int(round(sample_s * rate)), 2)
    for i, tgt in enumerate(targets):
        display.show(tuple(tgt), 0.0)
        if n_settle:
            eye.read(n_settle)  # the eye travels to the target and settles: not used
        rows = []
        for k in range(n_keep):
            display.show(tuple(tgt), k / n_keep)
            rows.append(eye.read(1))
        pupil = np.concatenate(rows)
        out.append(TargetSamples((float(tgt[0]), float(tgt[1])), pupil, np.arange(n_keep) / rate))
        if progress is not None:
            progress(i + 1, len(targets))
    return out


def run_session(eye, display, screen: Screen, *, targets: int = 9, method: str = "poly2", feature: str = "pupil",
                rate: float | None = None,
                settle_s: float = 0.5, sample_s: float = 1.0, image_size: Sequence[int] | None = None,
                progress: Callable | None = None) -> SessionResult:
    """A guided calibration and validation session.

    Parameters
    ----------
    eye : object with ``read(n) -> (n, 7) pupil rows`` and ``rate``
        The pupil source (a live camera + :class:`~sensekit.eyetrack.pupil.PupilDetector`
        wrapper, or :class:`SimulatedEye`).
    display : object with ``show(target_px, progress)`` and ``close()``
    screen : Screen
    targets : int
        5, 9 or 13 calibration targets; validation uses 5 others.
    method, feature : str
        :class:`GazeMapper` method and mapped feature.
    settle_s, sample_s : float
        Time per target to wait, then to record (s).

    Returns
    -------
    SessionResult
    """
    rate = float(rate or eye.rate)
    cal_t = target_layout(targets, screen)
    val_t = target_layout(targets, screen, validation=True)
    cal = _collect(eye, display, cal_t, rate, settle_s, sample_s, progress)
    p = np.concatenate([s.pupil for s in cal])
    t = np.concatenate([np.repeat([s.target], len(s.pupil), axis=0) for s in cal])
    mapper = GazeMapper(screen.to_dict(), method=method, feature=feature).fit(p, t)
    size = image_size if image_size is not None else getattr(getattr(eye, "info", None), "meta", {}).get("image_size")
    if size is not None:
        mapper.image_size_ = np.asarray(size, dtype=float)
    val = _collect(eye, display, val_t, rate, settle_s, sample_s, progress)
    per = []
    for s in val:
        g = mapper.predict(s.pupil)
        per.append({"target": list(s.target), **accuracy_precision(g, s.target, screen)})
    overall = {k: float(np.nanmean([r[k] for r in per])) for k in ("accuracy_deg", "precision_rms_deg", "sd_deg")}
    overall["fit_error_deg"] = mapper.fit_error_deg_
    display.close()
    return SessionResult(mapper, per, overall, cal, val)


def plot_validation(result: SessionResult, screen: Screen, path) -> None:
    """Targets and validation gaze on the screen, with each target's accuracy (PNG)."""
    from ..plots import png_figure

    with png_figure(path, figsize=(8, 8 * screen.height_px / screen.width_px)) as ax:
        for s, r in zip(result.validation_samples, result.validation, strict=True):
            g = result.mapper.predict(s.pupil)
            ax.plot(g[:, 0], g[:, 1], ".", ms=2, alpha=0.5)
            ax.plot(*s.target, "k+", ms=14)
            ax.annotate(f"{r['accuracy_deg']:.2f}°", s.target, textcoords="offset points", xytext=(8, 8))
        for s in result.calibration_samples:
            ax.plot(*s.target, "o", mfc="none", mec="grey", ms=10)
        ax.set_xlim(0, screen.width_px)
        ax.set_ylim(screen.height_px, 0)
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
        o = result.overall
        ax.set_title(f"accuracy {o['accuracy_deg']:.2f}°, precision (RMS S2S) {o['precision_rms_deg']:.3f}°")


def load_gaze_mapper(path, *, stream: StreamInfo | None = None, screen: Screen | None = None) -> GazeMapper:
    """A fitted :class:`GazeMapper` from its calibration file.

    Raises
    ------
    CalibrationError
        The file is not a gaze calibration, or it was made for another eye camera
        (``image_size``) or screen (each field named).
    """
    from ..core.calibration import load_calibration

    cal = load_calibration(path, chain="eyetrack")
    try:
        mapper = GazeMapper(**cal.params["init"])
        mapper.set_calibration_params(dict(cal.params["learned"]))
    except (TypeError, KeyError, ParameterError) as e:
        raise CalibrationError(f"{str(path)!r} is a damaged gaze calibration ({e})",
                               "calibrate again (sensekit calibrate eyetrack)") from None
    if screen is not None:
        mapper.check_screen(screen)
    if stream is not None:
        size = stated_image_size(stream, "the gaze calibration") or (
            [stream.shape[1], stream.shape[0]] if len(stream.shape) >= 2 else None)
        if size is not None and hasattr(mapper, "image_size_") and [int(v) for v in size] != [
                int(v) for v in mapper.image_size_]:
            raise CalibrationError(f"the gaze calibration was made for a {int(mapper.image_size_[0])}x"
                                   f"{int(mapper.image_size_[1])} eye camera, this one gives {size[0]}x{size[1]} "
                                   "(field image_size)", "calibrate again with this camera (sensekit calibrate eyetrack)")
    return mapper
