"""``sensekit calibrate gesture``: static (and dynamic) gestures from a camera session or the public keypoint CSVs."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from .._app import check_output, check_plot, err, fail, name_list, out, refuse_given, stop_on_signals
from .._lazy import lazy
from ._common import OVERWRITE_OPTION, app

np = lazy("numpy")
log = logging.getLogger("sensekit")


#: Hand samples a camera calibration collects per gesture. A short calibration shows little of the
#: variation its user makes next, and the open-set model turns those poses away: calibrated on 30 /
#: 60 / 90 consecutive frames per class of kinivi, it kept 79 / 91 / 93 % of the correct decisions
#: on each class's next 150 frames, of kazuhito00 65 / 90 / 94 % (mean of four places in each file;
#: the development sets chose it, no other data was looked at). 30 until this release.
CAMERA_SAMPLES = 90


@app.command("gesture")
def calibrate_gesture(
    ctx: typer.Context,
    source: str | None = typer.Argument(None, help="Image source: camera:0 or video:FILE (or --from a keypoint CSV); "
                                        "or hand landmarks (a headset's or another machine's: lsl:name=Hands)."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    gestures: str = typer.Option("open,fist,point", "--gestures", help="Gesture names, comma-separated; one named "
                                 "'other' records poses that must do nothing (decided as none)."),
    samples: int = typer.Option(CAMERA_SAMPLES, "--samples", min=5, max=100000, help="Hand samples to collect per "
                                "gesture (90: 3 s at 30 fps; the open-set model turns away fewer of the user's next "
                                "poses than after 30: README)."),
    countdown: float = typer.Option(3.0, "--countdown", min=0, max=600, help="Seconds to get ready before each gesture."),
    model: Path | None = typer.Option(None, "--model", help="hand_landmarker.task (default: $SENSEKIT_MODELS)."),
    mirrored: bool = typer.Option(False, "--mirrored", help="The camera delivers mirrored (selfie) images."),
    decoder: str = typer.Option("lda", "--decoder", help="lda, svm, mlp or rf."),
    features: str = typer.Option("hand", "--features", help="hand (invariant features; exportable to C) or raw "
                                 "(normalised coordinates; best with --decoder svm)."),
    reject: float | None = typer.Option(None, "--reject", min=0, max=1, help="Answer 'none' below this confidence."),
    unknown_factor: float = typer.Option(3.0, "--unknown-factor", min=0.1, max=100.0, help="Open-set strictness: a "
                                         "pose farther than this many typical distances from every calibration pose "
                                         "of its class is 'none' (smaller rejects more, taught poses too)."),
    motion_unknown_factor: float = typer.Option(5.0, "--motion-unknown-factor", min=0.1, max=100.0, help="The same "
                                                "for motions: a trajectory farther than this many typical distances "
                                                "from every calibration trajectory of its motion is 'none'."),
    window: bool = typer.Option(True, "--window/--no-window", help="Show the camera, landmarks and countdown."),
    overwrite: bool = OVERWRITE_OPTION,
    from_csv: Path | None = typer.Option(None, "--from", help="Train from keypoint rows (keypoint.csv, or its folder "
                                         "with keypoint_classifier_label.csv) instead of a camera."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the cross-validated decisions (confusion matrix, "
                                     "with the frames rejected as unknown)."),
    point_history: Path | None = typer.Option(None, "--point-history", help="Also train dynamic gestures from "
                                              "fingertip trajectories (point_history.csv, or its folder with "
                                              "point_history_classifier_label.csv); 'run gesture' publishes them."),
    motions: str | None = typer.Option(None, "--motions", help="Also record dynamic gestures with the camera: motion "
                                       "names, comma-separated (e.g. circle,swipe,still); each is made with the index "
                                       "finger and recorded as fingertip trajectories of 16 frames."),
    motion_pose: str | None = typer.Option(None, "--motion-pose", help="Follow the fingertip only while the hand "
                                           "holds this static gesture (e.g. point): in any other pose it makes no "
                                           "motion. Default: any pose."),
    motion_samples: int = typer.Option(60, "--motion-samples", min=5, max=100000, help="Trajectories to record per "
                                       "motion (one a frame, once the finger has been seen 16 frames)."),
    record: Path | None = typer.Option(None, "--record", help="Also keep the session's samples in this folder as "
                                       "the public CSVs (keypoint.csv, point_history.csv with --motions, and their "
                                       "label files; mirrored-image convention): train again with --from, or score "
                                       "another calibration on them with 'sensekit gesture score'."),
) -> None:
    """Guided per-user gesture calibration: for each gesture a countdown, then hand samples
    from the camera, then a fit, a cross-validated accuracy and a calibration file. With
    --from, the same from recorded keypoint rows (the public keypoint CSV format); with
    --point-history or --motions, dynamic gestures from fingertip trajectories as well."""
    from ...core.sources import open_source
    from ...errors import StreamFormatError
    from ...gesture.landmarks import HandLandmarks, LandmarkSamples
    from ...gesture.static import StaticGestureClassifier
    from ...learn.decoders import DECODERS

    check_output(output, overwrite)
    if decoder not in DECODERS:  # checked before any capture session
        fail(f"unknown decoder {decoder!r}; use one of {', '.join(DECODERS)}")
    if features not in ("hand", "raw"):
        fail(f"unknown gesture features {features!r}; use hand or raw")
    if (source is None) == (from_csv is None):
        fail("give an image source (camera:0, video:FILE) or --from keypoint.csv, one of the two")
    check_plot(plot)
    if from_csv is not None:  # the camera session's options (motions: give recorded ones with --point-history)
        refuse_given(ctx, ("gestures", "samples", "countdown", "model", "mirrored", "window", "motions",
                           "motion_samples", "record"),
                     "with --from, which trains from keypoint rows without a camera (recorded motions: --point-history)")
        _gesture_from_csv(from_csv, output, decoder, features, reject, unknown_factor, point_history, plot, motion_pose,
                          motion_unknown_factor)
        return
    names = list(name_list("--gestures", gestures, what="gestures"))
    motion_names = list(name_list("--motions", motions, at_least=0, what="motions"))
    if motion_names and point_history is not None:
        fail("give --motions (recorded now) or --point-history (recorded before), one of the two")
    if len(motion_names) == 1:
        fail(f"dynamic gestures need at least 2 motions, got {motion_names}")
    _check_motion_pose(motion_pose, names, bool(motion_names) or point_history is not None)
    # (the trajectories are read and fitted before the camera session: a bad table fails at once)
    dynamic = _dynamic_from_table(_read_point_history(point_history), reject, motion_pose, motion_unknown_factor)
    if record is not None:  # (checked before the session too)
        taken = [p for p in (record / "keypoint.csv", record / "point_history.csv") if p.exists()]
        if taken and not overwrite:
            fail(f"{taken[0]} already exists; choose another --record folder or pass --overwrite")
    import os

    from ...gesture.dynamic import TrajectoryRecorder

    src = open_source(source, kinds=("image", "landmarks"))
    if src.info.kind == "landmarks":  # a hand tracker's own landmarks: no landmarker, no camera window
        refuse_given(ctx, ("model", "mirrored", "window"), f"to {source!r}, hand landmarks already (they set the "
                     "camera's landmarker and its window)")
        try:
            stage = LandmarkSamples()
            stage.open(src.info)
        except StreamFormatError as e:
            src.close()
            fail(str(e))
        mirrored = stage.mirrored
        frames = _one_sample_a_frame(src)  # (a tracker's chunks: one hand sample at a time, as a camera's)
    elif src.info.kind != "image" or len(src.info.shape) != 3:
        src.close()
        fail(f"source {source!r} gives a {src.info.kind!r} stream; gesture calibration needs colour images or hand "
             "landmarks")
    else:
        stage = HandLandmarks(model, max_hands=1, mirrored=mirrored)
        stage.open(src.info)
        frames = iter(src)
    show = window and bool(os.environ.get("DISPLAY")) and src.info.kind == "image"
    points, labels, trajectories, motion_labels = [], [], [], []
    phases = [(name, samples, "turn and tilt the hand a little", None) for name in names]
    try:
        phases += [(name, motion_samples, "repeat the motion", TrajectoryRecorder(stage.output_info))
                   for name in motion_names]
    except StreamFormatError as e:  # (a tracker's 21 landmarks state no image size: no fingertip trajectories)
        src.close()
        fail(f"{e.problem}; motions are recorded from a camera or from a landmarks stream that states its image size")
    try:
        with stop_on_signals() as stop:
            for g, (name, count, hint, motion) in enumerate(phases):
                for sample in _capture_phase(frames, stage, name, count, countdown, hint, motion, show, stop):
                    if motion is None:
                        points.append(sample)
                        labels.append(g)
                    else:
                        trajectories.append(sample)
                        motion_labels.append(g - len(names))
    finally:
        src.close()
        stage.close()
        if show:
            import cv2

            cv2.destroyAllWindows()
    pts, y = np.asarray(points), np.asarray(labels)
    # the samples are the camera's own view: a mirroring camera's calibration says so, so that a
    # stream of the other convention is mirrored to it (it had said "not mirrored" for every camera)
    clf = StaticGestureClassifier(decoder=decoder, reject_below=reject, features=features, openset_factor=unknown_factor,
                                  mirrored_images=mirrored)
    folds = 5
    order = np.arange(len(y)) % folds  # interleaved folds: each holds every part of each gesture
    decided = _held_out(lambda a, b, c: StaticGestureClassifier(decoder=decoder, features=features,
                                                                openset_factor=unknown_factor).fit(a, b, names).predict(c)[0],
                        pts, y, order)
    accuracy, rej = float(np.mean(decided == y)), float(np.mean(decided == -1))
    out.print(f"{folds}-fold cross-validated accuracy: {accuracy:.1%} on {len(y)} samples; {rej:.1%} of held-out "
              "frames rejected as unknown (many: record more varied samples, or raise --unknown-factor)",
              highlight=False)
    if motion_names:  # recorded with this camera: its own mirroring
        rates = [p[3].frame_rate for p in phases if p[3] is not None and p[3].frame_rate]
        dynamic = _fit_dynamic(np.asarray(trajectories), np.asarray(motion_labels), motion_names, reject,
                               mirrored_images=mirrored, what="trajectories", pose=motion_pose,
                               frame_rate=float(np.median(rates)) if rates else None, factor=motion_unknown_factor)
    clf.fit(pts, y, names).save(output, device=source, dynamic=dynamic)
    if record is not None:
        _record_public_csvs(record, pts, y, names, np.asarray(trajectories), np.asarray(motion_labels), motion_names,
                            mirrored)
    out.print(f"calibration written to {output} ({len(names)} gestures: {', '.join(names)}"
              + (f"; dynamic: {', '.join(dynamic.learned_['classes'])}" if dynamic is not None else "") + ")",
              highlight=False)
    _plot_gestures(plot, y, decided, names)

def _gesture_from_csv(path: Path, output: Path, decoder: str, features: str, reject: float | None,
                      unknown_factor: float, point_history: Path | None, plot: Path | None = None,
                      motion_pose: str | None = None, motion_unknown_factor: float = 5.0) -> None:
    """Fit a static-gesture calibration from keypoint rows (and dynamic gestures from a
    point-history table); print the cross-validated accuracy (ordered folds) and how many
    held-out frames the open-set model rejected."""
    from ...gesture.datasets import load_keypoints
    from ...gesture.static import StaticGestureClassifier
    from ...learn.openset import ordered_folds

    points, labels, names = load_keypoints(path)
    _enough_rows(path, labels, names)
    _check_motion_pose(motion_pose, names, point_history is not None)
    table = _read_point_history(point_history)
    recipe = {"decoder": decoder, "features": features, "input_format": "kazuhito", "openset_factor": unknown_factor}
    decided = _held_out(lambda a, b, c: StaticGestureClassifier(**recipe).fit(a, b, names).predict(c)[0], points,
                        labels, ordered_folds(labels, 5))
    acc, rej = float(np.mean(decided == labels)), float(np.mean(decided == -1))
    out.print(f"5-fold (ordered) cross-validated accuracy: {acc:.1%} on {len(labels)} rows of {_with_rows(labels, names)}"
              f"; {rej:.1%} of held-out known frames rejected as unknown", highlight=False)
    dynamic = _dynamic_from_table(table, reject, motion_pose, motion_unknown_factor)
    StaticGestureClassifier(reject_below=reject, **recipe).fit(points, labels, names).save(output, device=str(path),
                                                                                          dynamic=dynamic)
    out.print(f"calibration written to {output} ({features} features, {decoder}"
              + (", with dynamic gestures" if dynamic is not None else "") + ")", highlight=False)
    _plot_gestures(plot, labels, decided, names)

def _record_public_csvs(folder: Path, points, labels, names: list[str], trajectories, motion_labels,
                        motions: list[str], mirrored: bool) -> None:
    """A camera session's samples as the public recorder's CSVs (kazuhito00's format: keypoint rows
    wrist-relative and max-abs scaled, trajectories relative to their first point in image
    widths and heights, both as seen in mirrored images, and a label file beside each)."""
    from ...gesture.normalize import kazuhito_normalize

    flip = np.array([1.0, 1.0]) if mirrored else np.array([-1.0, 1.0])  # the recorder's images are mirrored
    folder.mkdir(parents=True, exist_ok=True)
    rows = kazuhito_normalize(np.asarray(points)[..., :2] * flip)
    _write_table(folder / "keypoint.csv", labels, rows, folder / "keypoint_classifier_label.csv", names)
    written = [f"{len(rows)} keypoint rows"]
    if len(trajectories):
        t = (trajectories - trajectories[:, :1]) * flip
        _write_table(folder / "point_history.csv", motion_labels, t.reshape(len(t), -1),
                     folder / "point_history_classifier_label.csv", motions)
        written.append(f"{len(t)} trajectories")
    out.print(f"{' and '.join(written)} written to {folder} (the public CSV format)", highlight=False)


def _write_table(path: Path, labels, rows, names_path: Path, names: list[str]) -> None:
    with open(path, "w") as fh:
        for label, row in zip(np.asarray(labels).tolist(), rows.tolist(), strict=True):
            fh.write(f"{label}," + ",".join(f"{v:.9g}" for v in row) + "\n")
    names_path.write_text("\n".join(names) + "\n")


def _held_out(fit_decide, X, y, fold):
    """Each row's decision by a model fitted without the rows of its ``fold``:
    ``fit_decide(X_train, y_train, X_test)`` fits and returns the test rows' labels."""
    decided = np.empty_like(y)
    for k in np.unique(fold):
        decided[fold == k] = fit_decide(X[fold != k], y[fold != k], X[fold == k])
    return decided

def _plot_gestures(plot: Path | None, labels, decided, names) -> None:
    """The cross-validated decisions of a gesture calibration as a confusion matrix PNG (the
    last column: rejected as unknown)."""
    if plot is None:
        return
    from ...plots import draw_confusion, png_figure

    k = len(names)
    matrix = np.zeros((k, k + 1), dtype=int)
    np.add.at(matrix, (labels, np.where(decided < 0, k, decided)), 1)
    with png_figure(plot, figsize=(1.0 * k + 3.5, 0.8 * k + 2.5)) as ax:
        draw_confusion(ax, matrix, names, title="cross-validated decisions")
    out.print(f"plot written to {plot}", highlight=False)

def _read_point_history(path: Path | None):
    """The trajectories, labels and class names of a point-history table (None without one),
    checked before any other work."""
    if path is None:
        return None
    from ...gesture.datasets import load_point_history

    trajectories, labels, names = load_point_history(path)
    _enough_rows(path, labels, names)
    return trajectories, labels, names

def _dynamic_from_table(table, reject: float | None, pose: str | None, factor: float):
    """The dynamic gestures of a point-history table (:func:`_read_point_history`), or None."""
    if table is None:
        return None
    # the point-history recorder flips its images
    return _fit_dynamic(*table, reject, mirrored_images=True, what="trajectories", pose=pose, factor=factor)

def _fit_dynamic(trajectories, labels, names: list[str], reject: float | None, *, mirrored_images: bool, what: str,
                 pose: str | None = None, frame_rate: float | None = None, factor: float = 5.0):
    """A trajectory classifier for dynamic gestures; print its cross-validated accuracy (ordered
    folds) and how many held-out trajectories the open-set model and ``--reject`` turned to none."""
    from ...gesture.dynamic import TrajectoryClassifier
    from ...learn.openset import ordered_folds

    recipe = {"reject_below": reject, "mirrored_images": mirrored_images, "pose": pose, "frame_rate": frame_rate,
              "openset_factor": factor}
    decided = _held_out(lambda a, b, c: TrajectoryClassifier(**recipe).fit(a, b, names).predict(c), trajectories,
                        labels, ordered_folds(labels, 5))
    out.print(f"dynamic gestures: 5-fold (ordered) cross-validated accuracy {np.mean(decided == labels):.1%} on "
              f"{len(labels)} {what} of {_with_rows(labels, names)}; {np.mean(decided == -1):.1%} of "
              "held-out known trajectories rejected as unknown", highlight=False)
    return TrajectoryClassifier(**recipe).fit(trajectories, labels, names)

def _check_motion_pose(pose: str | None, names, dynamic: bool) -> None:
    """--motion-pose names one of the static gestures, and goes with dynamic gestures."""
    if pose is None:
        return
    if not dynamic:
        fail("--motion-pose goes with dynamic gestures (--motions or --point-history)")
    if pose not in names:
        fail(f"--motion-pose {pose!r} is none of the static gestures ({', '.join(names)})")

def _enough_rows(path: Path, labels, names: list[str]) -> None:
    """One line when a class has fewer rows than the 5 folds of cross-validation; a warning
    naming the label file's classes that have no rows (the calibration never decides them)."""
    counts = np.bincount(labels, minlength=len(names))
    few = [names[c] for c in np.flatnonzero((counts > 0) & (counts < 5))]
    if few:
        fail(f"{path}: class(es) {', '.join(map(repr, few[:5]))} have fewer than 5 rows; 5-fold cross-validation "
             "needs at least one row a fold")
    held = [names[c] for c in np.flatnonzero(counts)]
    if len(held) < 2:
        fail(f"{path} holds rows of {'one class only (' + held[0] + ')' if held else 'no class'}: a classifier needs "
             "two or more")
    empty = [names[c] for c in np.flatnonzero(counts == 0)]
    if empty:
        err.print(f"warning: {path}: {len(empty)} class(es) of the label file have no rows "
                  f"({', '.join(map(repr, empty[:8]))}{', ...' if len(empty) > 8 else ''}); the calibration never "
                  "decides them", style="yellow", highlight=False)

def _with_rows(labels, names: list[str]) -> str:
    """The names of the classes that have rows, for the accuracy line."""
    present = np.unique(labels)
    return f"{len(present)} classes ({', '.join(names[c] for c in present)})"

def _capture_phase(frames, stage, name: str, count: int, countdown: float, hint: str, motion, show: bool, stop):
    """One phase of a camera calibration: a countdown, then ``count`` samples of the hand (its 21
    landmarks, or with ``motion`` a fingertip trajectory per frame); the status shown in the
    window, redrawn on a terminal, or a line per phase in a log."""
    got, t_start, last_phase = 0, None, None
    while got < count:
        if stop.is_set():
            fail("calibration interrupted; nothing was saved", 130)
        try:
            frame = next(frames)
        except StopIteration:
            what = "motion" if motion is not None else "gesture"
            fail(f"the source ended during {what} {name!r} ({got}/{count} samples); fix: a longer recording, or "
                 f"fewer samples a {what} (--{'motion-' if motion is not None else ''}samples)")
        t = float(frame.times[0])
        t_start = t if t_start is None else t_start
        lm = stage.process(frame).data[0, 0]
        ready = t - t_start >= countdown
        sample = None
        if motion is not None:
            trajectory = motion.add(lm, t)
            sample = trajectory if ready else None
        elif ready and np.isfinite(lm[0, 0]):
            sample = lm[:21, :2].copy()
        if sample is not None:
            got += 1
            yield sample
        status = (f"{name.upper()}: get ready {countdown - (t - t_start):.1f} s" if not ready
                  else f"{name.upper()}: {got}/{count}, {hint}" + ("" if np.isfinite(lm[0, 0]) else " (no hand)"))
        if show:
            _show(frame.data[0], lm, status)
        elif err.is_terminal:
            err.print(status, end="\r", highlight=False)
        elif ready != last_phase:  # a log, not an animation: a line per phase
            err.print(f"{name.upper()}: " + (f"collecting {count} samples" if ready else
                                             f"get ready ({countdown:g} s)"), highlight=False)
            last_phase = ready
    if err.is_terminal and not show:
        err.print()

def _one_sample_a_frame(frames):
    """The samples of ``frames`` one a frame, as a camera gives its images."""
    from ...core import Frame

    for f in frames:
        times = f.times
        for i in range(f.n):
            yield Frame._trusted(f.info, f.data[i:i + 1], float(times[i]), None if f._times is None else times[i:i + 1],
                                 f.seq)


def _show(image, lm, status: str) -> None:
    import cv2

    img = image.copy()
    if np.isfinite(lm[0, 0]):
        for x, y in lm[:21, :2]:
            cv2.circle(img, (int(x), int(y)), 4, (0, 255, 0), -1)
    cv2.putText(img, status, (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 200, 255), 2)
    cv2.imshow("sensekit calibrate gesture", img)
    cv2.waitKey(1)
