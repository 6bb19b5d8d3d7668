"""Gesture benchmark tasks: static gestures on the keypoint sets (ordered split) beside
scikit-learn's SVC and MLP, and MediaPipe landmarks on real images and video."""

from __future__ import annotations

import time

import numpy as np

from ..bench.task import Task, register
from ..learn.metrics import classification_metrics
from .datasets import load_hand_images, load_keypoints, load_point_history, ordered_split
from .scoring import UNTAUGHT, score_gestures
from .static import StaticGestureClassifier

#: sensekit's static-gesture configuration.
STATIC = {"decoder": "svm", "features": "raw", "decoder_options": {"C": 2.0}}


def _us_per_frame(clf, one: np.ndarray, n: int = 300) -> float:
    """Microseconds of ``clf.predict`` on one frame (the live case; a sensekit classifier or a
    scikit-learn model), mean of ``n`` calls."""
    t = time.perf_counter()
    for _ in range(n):
        clf.predict(one)
    return (time.perf_counter() - t) / n * 1e6


def _hand_feature_speed(one: np.ndarray) -> dict:
    """Microseconds of the hand features of one live frame (the plain-Python path) and of the
    same frame through the whole-array path (the reference), each the best of 7 repeats of 2000
    calls (the least disturbed by other work on the machine)."""
    import timeit

    from .normalize import _hand_features_array, hand_features

    pts = one.reshape(1, 21, 2) * 500.0 + 100.0  # pixels, as a camera gives them
    np.testing.assert_allclose(hand_features(pts), _hand_features_array(pts, None), atol=1e-12)

    def best(f) -> float:
        return min(timeit.repeat(f, number=2000, repeat=7)) / 2000 * 1e6

    return {"hand_features_us_per_frame": best(lambda: hand_features(pts)),
            "hand_features_array_path_us_per_frame": best(lambda: _hand_features_array(pts, None))}


def _static_run(dataset: str):
    def run(key: dict, quick: bool) -> dict:
        from ..datasets import dataset_dir

        points, labels, classes = load_keypoints(dataset_dir(dataset))
        tr, te = ordered_split(labels)
        clf = StaticGestureClassifier(input_format="kazuhito", **STATIC).fit(points[tr], labels[tr], classes)
        raw, _, _ = clf.predict_open(points[te], calibrated=False)  # the decoder alone
        metrics, confusion = classification_metrics(labels[te], raw, labels=list(range(len(classes))))
        pred, _ = clf.predict(points[te])  # with the open-set model: held-out frames unlike the calibration are none
        metrics.update(accuracy_with_rejection=float(np.mean(pred == labels[te])), rejected=float(np.mean(pred == -1)))
        speed = {"inference_us_per_frame": _us_per_frame(clf, points[te[:1]])}
        peers = {}
        from sklearn.neural_network import MLPClassifier
        from sklearn.svm import SVC

        x = points.reshape(len(points), -1)
        for name, model in (("scikit-learn SVC(rbf)", SVC()),
                            ("scikit-learn MLP(20,10)", MLPClassifier((20, 10), max_iter=1000, random_state=0))):
            model.fit(x[tr], labels[tr])
            p = model.predict(x[te])
            m, _ = classification_metrics(labels[te], p, labels=list(range(len(classes))))
            peers[name] = {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"],
                           "inference_us_per_frame": _us_per_frame(model, x[te[:1]])}
        return {"metrics": metrics, "confusion": confusion, "speed": speed, "peers": peers}

    return run


for _name, _ds in (("kazuhito00", "kazuhito00-hand-keypoints"), ("kinivi", "kinivi-hand-keypoints")):
    register(Task(
        name=f"gesture.static-{_name}", chain="gesture", dataset=_ds,
        description=f"{_ds}: ordered split (first 75 % of each class trains); standardised rows + RBF SVM beside "
                    "scikit-learn SVC(rbf) and MLP(20,10) on the raw rows",
        units=lambda quick: [{}], run_unit=_static_run(_ds),
    ))


#: Open-set factors of trajectories swept to choose the default (the static classifier's rule).
DYNAMIC_FACTOR_SWEEP = (2.0, 3.0, 4.0, 5.0, 6.0)


def _dynamic_run(key: dict, quick: bool) -> dict:
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    from ..datasets import dataset_dir
    from .dynamic import DTWTemplates, TrajectoryClassifier

    traj, labels, classes = load_point_history(dataset_dir("kazuhito00-hand-keypoints"))
    tr, te = ordered_split(labels)
    lab = list(range(len(classes)))
    clf = TrajectoryClassifier().fit(traj[tr], labels[tr])
    raw, _, _ = clf.predict_open(traj[te], calibrated=False)  # the decoder alone
    metrics, confusion = classification_metrics(labels[te], raw, labels=lab)
    sub = te[:: (10 if quick else 2)]
    dtw = DTWTemplates(per_class=10 if quick else 30).fit(traj[tr], labels[tr])
    metrics["accuracy_dtw_templates"] = classification_metrics(labels[sub], dtw.predict(traj[sub])[0], labels=lab)[0][
        "accuracy"]
    n = 300
    t = time.perf_counter()
    for i in range(n):
        clf.predict(traj[te[i : i + 1]])
    speed = {"inference_us_per_frame": (time.perf_counter() - t) / n * 1e6}
    pred = clf.predict(traj[te])  # with the open-set model (the default)
    metrics["openset_accuracy"] = float(np.mean(pred == labels[te]))
    metrics["openset_rejected"] = float(np.mean(pred == -1))
    correct = raw == labels[te]
    for factor in DYNAMIC_FACTOR_SWEEP:  # how the default factor was chosen
        swept = TrajectoryClassifier(openset_factor=factor)._load(clf.learned_)
        metrics[f"correct_kept_at_factor_{factor:g}"] = float(np.mean(swept.predict(traj[te])[correct] != -1))
    old = TrajectoryClassifier()._load({**clf.learned_, "nearest": None})  # the class-mean distance of before
    metrics["openset_accuracy_class_mean"] = float(np.mean(old.predict(traj[te]) == labels[te]))
    for out, name in enumerate(classes):  # leave one class out: how much of it is rejected
        keep = tr[labels[tr] != out]
        fitted = TrajectoryClassifier().fit(traj[keep], labels[keep])
        metrics[f"openset_left_out_rejected_{name}"] = float(np.mean(fitted.predict(traj[te])[labels[te] == out] == -1))
        before = TrajectoryClassifier()._load({**fitted.learned_, "nearest": None})
        metrics[f"openset_left_out_rejected_{name}_class_mean"] = float(
            np.mean(before.predict(traj[te])[labels[te] == out] == -1))
    other, other_labels = _crossperson_move_rows()
    if other is not None:
        move = classes.index("Move")
        metrics["crossperson_move_accuracy"] = float(np.mean(clf.predict_open(other, calibrated=False)[0] == move))
        metrics["crossperson_move_accuracy_openset"] = float(np.mean(clf.predict(other) == move))
        metrics["crossperson_move_accuracy_openset_class_mean"] = float(np.mean(old.predict(other) == move))
    x = traj.reshape(len(traj), -1)
    peers = {}
    for name, model in (("scikit-learn SVC(rbf)", SVC()),
                        ("scikit-learn MLP(20,10)", MLPClassifier((20, 10), max_iter=1000, random_state=0))):
        model.fit(x[tr], labels[tr])
        peers[name] = {"accuracy": classification_metrics(labels[te], model.predict(x[te]), labels=lab)[0]["accuracy"]}
    return {"metrics": metrics, "confusion": confusion, "speed": speed, "peers": peers}


def _crossperson_move_rows():
    """The point-history rows another person recorded (kch3coo's fork: all map to Move), or None."""
    from ..datasets import dataset_dir

    try:
        root = dataset_dir("gesture-forks-crossperson") / "kch3coo__hand-gesture-recognition-mediapipe"
    except Exception:  # noqa: BLE001 - the dataset is optional for this task
        return None, None
    trajectories, labels, _ = load_point_history(root)
    return trajectories, labels


register(Task(
    name="gesture.dynamic", chain="gesture", dataset="kazuhito00-hand-keypoints",
    description="point_history (16-frame fingertip trajectories, 4 classes), ordered split; trajectory SVM and DTW "
                "templates beside scikit-learn SVC(rbf) and MLP(20,10); open-set rejection (leave one class out, "
                "another person's Move rows)",
    units=lambda quick: [{}], run_unit=_dynamic_run,
))


def _landmarks_run(key: dict, quick: bool) -> dict:
    import cv2

    from ..core import Frame, StreamInfo
    from ..datasets import dataset_dir
    from .landmarks import HandLandmarks

    files = load_hand_images(dataset_dir("mediapipe-hand-images"))
    metrics, speed, peers = {}, {}, {}
    # the video through the sensekit stage, and through MediaPipe alone, same frames
    cap = cv2.VideoCapture(str(files["video"][0]))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    cap.release()
    if quick:
        frames = frames[:60]
    info = StreamInfo("video", "image", 25.0, frames[0].shape, dtype="uint8")
    stage = HandLandmarks(max_hands=1)
    stage.open(info)
    t = time.perf_counter()
    found = 0
    for i, img in enumerate(frames):
        out = stage.process(Frame(info, img[None], t0=i / 25.0, seq=i))
        found += bool(np.isfinite(out.data[0, 0, 0, 0]))
    ours = (time.perf_counter() - t) / len(frames)
    import mediapipe as mp

    stage.reset()
    lm = stage._landmarker
    t = time.perf_counter()
    mp_found = 0
    for i, img in enumerate(frames):
        res = lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=cv2.cvtColor(img, cv2.COLOR_BGR2RGB)),
                                  10_000 + i * 40)
        mp_found += bool(res.hand_landmarks)
    alone = (time.perf_counter() - t) / len(frames)
    stage.close()
    metrics.update(video_frames=float(len(frames)), video_frames_with_hand=float(found))
    speed.update(ms_per_frame=ours * 1e3, overhead_vs_mediapipe_percent=(ours / alone - 1) * 100)
    peers["mediapipe alone"] = {"video_frames_with_hand": float(mp_found), "ms_per_frame": alone * 1e3}
    # still images, each its own stream
    hits = 0
    for path in files["images"]:
        img = cv2.imread(str(path))
        st = HandLandmarks(max_hands=1)
        st.open(StreamInfo("img", "image", 0.0, img.shape, dtype="uint8"))
        hits += bool(np.isfinite(st.detect(img, 0.0)[0, 0, 0]))
        st.close()
    metrics.update(images=float(len(files["images"])), images_with_hand=float(hits))
    return {"metrics": metrics, "speed": speed, "peers": peers}


register(Task(
    name="gesture.landmarks", chain="gesture", dataset="mediapipe-hand-images",
    description="MediaPipe hand landmarker through sensekit's stage on the 20 photos and the 202-frame video; "
                "detections, ms per frame, overhead against MediaPipe alone on the same frames",
    units=lambda quick: [{}], run_unit=_landmarks_run,
))

__all__ = ["STATIC"]


#: The default, exportable recipe (chosen cross-person: see the README).
DEFAULT = {"decoder": "lda", "features": "hand"}
#: Relative open-set distances swept for the trade-off curve (1 = the default threshold).
OPENSET_SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5)


def _openset_curve(raw: np.ndarray, distance: np.ndarray, truth: np.ndarray, known: np.ndarray) -> dict:
    """Known-class accuracy and unknown-pose rejection for each relative threshold of the sweep."""
    acc, rej = [], []
    for q in OPENSET_SWEEP:
        labels = np.where(distance > q, -1, raw)
        acc.append(float(np.mean(labels[known] == truth[known])))
        rej.append(float(np.mean(labels[~known] == -1)))
    return {"x": rej, "y": acc, "t": list(OPENSET_SWEEP), "xlabel": "unknown-pose frames rejected",
            "ylabel": "known-class accuracy"}


def _crossperson_run(key: dict, quick: bool) -> dict:
    """Train on kinivi (all rows), test on other people's rows of the forks: accuracy on the
    mapped classes, and open-set rejection of the poses no development set has."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    from ..datasets import dataset_dir
    from .datasets import load_crossperson

    points, labels, classes = load_keypoints(dataset_dir("kinivi-hand-keypoints"))
    test, names, _ = load_crossperson(dataset_dir("gesture-forks-crossperson"))
    if quick:
        points, labels, test, names = points[::4], labels[::4], test[::3], names[::3]
    known = names != ""
    truth = np.array([classes.index(n) if n in classes else UNTAUGHT for n in names])
    clf = StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(points, labels, classes)
    scored = score_gestures(clf, test, truth)  # what 'sensekit gesture score' prints
    raw, distance = scored["decoder"], scored["distance"]
    metrics = {"crossperson_accuracy": scored["decoder_accuracy"],
               "crossperson_accuracy_with_rejection": scored["known_accuracy"],
               "known_rejected": scored["known_rejected"], "unknown_rejected": scored["untaught_rejected"]}
    speed = {"inference_us_per_frame": _us_per_frame(clf, test[:1]), **_hand_feature_speed(test[:1])}
    peers = {}
    alt = StaticGestureClassifier(input_format="kazuhito", **STATIC).fit(points, labels, classes)
    alt_raw, _, _ = alt.predict_open(test, calibrated=False)
    alt_pred, _ = alt.predict(test)
    peers["sensekit raw+SVM"] = {"crossperson_accuracy": float(np.mean(alt_raw[known] == truth[known])),
                                 "unknown_rejected": float(np.mean(alt_pred[~known] == -1))}
    x, xt = points.reshape(len(points), -1), test.reshape(len(test), -1)
    for name, model in (("scikit-learn SVC(rbf)", SVC()),
                        ("scikit-learn MLP(20,10)", MLPClassifier((20, 10), max_iter=1000, random_state=0))):
        model.fit(x, labels)
        peers[name] = {"crossperson_accuracy": float(np.mean(model.predict(xt[known]) == truth[known])),
                       "unknown_rejected": 0.0}
    return {"metrics": metrics, "speed": speed, "peers": peers,
            "curves": {"open-set trade-off (hand + LDA)": _openset_curve(raw, distance, truth, known)}}


register(Task(
    name="gesture.crossperson", chain="gesture", dataset="gesture-forks-crossperson",
    description="train on kinivi (all 4,787 rows), test on rows recorded by other people (forks): accuracy on the "
                "766 rows of Open/Close/Pointer, and open-set rejection of the 2,859 rows of poses no development "
                "set has; default hand features + LDA beside raw + SVM, scikit-learn SVC and MLP",
    units=lambda quick: [{}], run_unit=_crossperson_run,
))


def _other_poses_run(key: dict, quick: bool) -> dict:
    """An "other poses" class (poses recorded so that they do nothing), trained on kinivi plus
    other people's rows of poses no development set has: (a) a pose type never recorded as
    "other" (leave one pose type out), (b) the same pose recorded by another person."""
    from ..datasets import dataset_dir
    from .datasets import load_crossperson
    from .static import NONE

    points, labels, classes = load_keypoints(dataset_dir("kinivi-hand-keypoints"))
    test, names, forks, poses = load_crossperson(dataset_dir("gesture-forks-crossperson"), poses=True)
    known, unknown = names != "", names == ""
    truth = np.array([classes.index(n) if n in classes else -2 for n in names])
    other = len(classes)

    def fit(rows: np.ndarray) -> StaticGestureClassifier:
        x = np.concatenate([points, test[rows]])
        y = np.concatenate([labels, np.full(int(rows.sum()), other)])
        return StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(x, y, [*classes, "other"])

    plain, _ = StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(points, labels, classes).predict(test)
    held, held_plain, counts, accs = [], [], [], []
    for pose in sorted(set(poses[unknown].tolist()))[: 3 if quick else None]:
        pred, _ = fit(unknown & (poses != pose)).predict(test)
        rows = unknown & (poses == pose)
        held.append(float(np.mean(pred[rows] == NONE)))
        held_plain.append(float(np.mean(plain[rows] == NONE)))
        counts.append(int(rows.sum()))
        accs.append(float(np.mean(pred[known] == truth[known])))
    w = np.asarray(counts, dtype=float) / sum(counts)
    metrics = {"unseen_pose_rejected": float(w @ held), "unseen_pose_rejected_without_other": float(w @ held_plain),
               "known_accuracy_worst": min(accs),
               "known_accuracy_without_other": float(np.mean(plain[known] == truth[known]))}
    same, same_plain = [], []
    for pose in sorted(set(poses[unknown].tolist())):
        people = sorted(set(forks[unknown & (poses == pose)].tolist()))
        for a, b in ((a, b) for a in people for b in people if a != b):
            pred, _ = fit(unknown & (poses == pose) & (forks == a)).predict(test)
            rows = unknown & (poses == pose) & (forks == b)
            same.append(float(np.mean(pred[rows] == NONE)))
            same_plain.append(float(np.mean(plain[rows] == NONE)))
    if same:
        metrics["same_pose_other_person_rejected"] = float(np.mean(same))
        metrics["same_pose_other_person_rejected_without_other"] = float(np.mean(same_plain))
    return {"metrics": metrics}


register(Task(
    name="gesture.other-poses", chain="gesture", dataset="gesture-forks-crossperson",
    description="an 'other poses' class (poses recorded to do nothing) trained on kinivi plus other people's "
                "unknown poses: rejection of a pose type never recorded as other (leave one pose type out) and of "
                "the same pose made by another person, known-class accuracy kept",
    units=lambda quick: [{}], run_unit=_other_poses_run,
))


def _loco_run(key: dict, quick: bool) -> dict:
    """Leave one class out: train on the other classes (ordered split), count how many test frames
    of the left-out class are rejected, and the known classes' accuracy with and without it."""
    from ..datasets import dataset_dir

    points, labels, classes = load_keypoints(dataset_dir(key["dataset"]))
    tr, te = ordered_split(labels)
    out = key["left_out"]
    keep_tr = tr[labels[tr] != out]
    clf = StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(points[keep_tr], labels[keep_tr], classes)
    pred, _, _ = clf.predict_open(points[te])
    raw, _, _ = clf.predict_open(points[te], calibrated=False)
    known = labels[te] != out
    return {"metrics": {"left_out_rejected": float(np.mean(pred[~known] == -1)),
                        "known_accuracy": float(np.mean(raw[known] == labels[te][known])),
                        "known_accuracy_with_rejection": float(np.mean(pred[known] == labels[te][known]))}}


for _name, _ds in (("kazuhito00", "kazuhito00-hand-keypoints"), ("kinivi", "kinivi-hand-keypoints")):
    register(Task(
        name=f"gesture.leave-one-class-out-{_name}", chain="gesture", dataset=_ds,
        description=f"{_ds}: each class left out of training in turn (ordered split, default hand + LDA with the "
                    "open-set model): share of its frames rejected, known-class accuracy with and without rejection",
        units=lambda quick, _ds=_ds: [{"dataset": _ds, "left_out": c} for c in range(4 if _ds.startswith("kinivi")
                                                                                       else 3)],
        run_unit=_loco_run,
        unit_metrics=("left_out_rejected", "known_accuracy", "known_accuracy_with_rejection"),
    ))


#: Open-set factors swept on the development sets to choose the default.
FACTOR_SWEEP = (1.5, 2.0, 2.5, 3.0, 4.0)
#: The default factor is the smallest of the sweep keeping this share of the correctly decided
#: held-out frames of both development sets (ordered split).
FACTOR_KEEP = 0.975


def _factor_run(key: dict, quick: bool) -> dict:
    """How the open-set factor was chosen: trained on the ordered split's first part (default
    hand + LDA), the share of correctly decided held-out frames each factor keeps."""
    from ..datasets import dataset_dir

    points, labels, classes = load_keypoints(dataset_dir(key["dataset"]))
    tr, te = ordered_split(labels)
    fitted = StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(points[tr], labels[tr], classes)
    raw, _, _ = fitted.predict_open(points[te], calibrated=False)
    correct = raw == labels[te]
    kept = []
    for factor in FACTOR_SWEEP:
        clf = StaticGestureClassifier(input_format="kazuhito", openset_factor=factor, **DEFAULT)
        clf.learned_ = fitted.learned_
        kept.append(float(np.mean(clf.predict(points[te])[0][correct] != -1)))
    ok = [f for f, k in zip(FACTOR_SWEEP, kept, strict=True) if k >= FACTOR_KEEP]
    metrics = {f"correct_kept_at_factor_{f:g}": k for f, k in zip(FACTOR_SWEEP, kept, strict=True)}
    metrics["smallest_factor_keeping_enough"] = min(ok) if ok else 0.0  # 0: none of the sweep
    return {"metrics": metrics}


for _name, _ds in (("kazuhito00", "kazuhito00-hand-keypoints"), ("kinivi", "kinivi-hand-keypoints")):
    register(Task(
        name=f"gesture.openset-factor-{_name}", chain="gesture", dataset=_ds,
        description=f"{_ds}: how the default open-set factor was chosen: share of correctly decided held-out "
                    f"frames (ordered split) kept by each factor of {list(FACTOR_SWEEP)}",
        units=lambda quick, _ds=_ds: [{"dataset": _ds}], run_unit=_factor_run,
    ))


def _camera_opens(index: int = 0) -> bool:
    """Whether ``camera:index`` opens here (the bench then measures it too)."""
    from ..core.sources.base import quiet_stderr

    try:
        import cv2

        with quiet_stderr():
            cap = cv2.VideoCapture(index)
            ok = cap.isOpened()
            cap.release()
        return bool(ok)
    except Exception:  # no OpenCV, no video backend: no camera
        return False


def _latency_units(quick: bool) -> list[dict]:
    units = [{}] if quick else [{}, {"dynamic": True}]
    return units + ([{"camera": 0}] if _camera_opens() else [])


def _paced_video(info, images: list, fps: float):
    """The video's images as a camera gives them: at its frame rate, each stamped on sensekit's
    clock when it is handed over."""
    from ..core import Frame
    from ..core.sources.base import clock

    start = clock()
    for i, img in enumerate(images):
        delay = start + i / fps - clock()
        if delay > 0:
            time.sleep(delay)
        yield Frame(info, img[None], times=np.array([clock()]), seq=i)


def _latency_run(key: dict, quick: bool) -> dict:
    """The whole path from a frame's capture to its published label: GesturePipeline (landmarks,
    One-Euro filter, static gestures with the default classifier trained on kinivi, and with
    ``dynamic`` the dynamic gestures trained on its point history beside them) into a
    JSON-lines sink, on the shared video played at its frame rate, or with ``camera`` on that
    camera (where one opens); each stage timed apart (:class:`~sensekit.core.latency.LatencyMeter`,
    what ``run gesture --latency`` prints)."""
    import io

    import cv2

    from ..core import StreamInfo, run
    from ..core.latency import LatencyMeter
    from ..core.sinks import JSONLinesSink
    from ..datasets import dataset_dir
    from .pipeline import GesturePipeline

    points, labels, classes = load_keypoints(dataset_dir("kinivi-hand-keypoints"))
    clf = StaticGestureClassifier(input_format="kazuhito", **DEFAULT).fit(points, labels, classes)
    dynamic = None
    if key.get("dynamic"):  # as 'calibrate gesture --point-history' fits them
        from .dynamic import TrajectoryClassifier

        trajectories, motions, motion_names = load_point_history(dataset_dir("kinivi-hand-keypoints"))
        dynamic = TrajectoryClassifier(mirrored_images=True).fit(trajectories, motions, motion_names)
    n_frames = 60 if quick else 10_000
    if key.get("camera") is not None:
        from ..core.sources import open_source

        source = open_source(f"camera:{key['camera']}")
        info, fps, n_frames = source.info, float(source.info.meta.get("fps") or 30.0), 60 if quick else 600
    else:
        cap = cv2.VideoCapture(str(load_hand_images(dataset_dir("mediapipe-hand-images"))["video"][0]))
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        images = []
        while len(images) < n_frames:
            ok, img = cap.read()
            if not ok:
                break
            images.append(img)
        cap.release()
        info = StreamInfo("video", "image", 0.0, images[0].shape, dtype="uint8")
        source = _paced_video(info, images, fps)
    meter = LatencyMeter(GesturePipeline(classifier=clf, dynamic=dynamic, max_hands=1).chain(info))
    try:
        report = run(source, meter.chain, JSONLinesSink(io.StringIO()), info=info, max_blocks=n_frames,
                     on_block=meter.on_block)
    finally:
        meter.chain.close()
    s = meter.summary()
    whole = s["capture_ms"] or s["processing_ms"]  # (a source off sensekit's clock: the processing alone)
    speed = {"latency_p50_ms": whole[0], "latency_p99_ms": whole[1],
             **{f"{n}_p50_ms": v[0] for n, v in s["stages"].items() if v}, "publish_p50_ms": s["publish_ms"][0]}
    return {"metrics": {"frames": float(report.blocks), "fps": float(fps)}, "speed": speed,
            "latencies_ms": meter.capture_ms}


register(Task(
    name="gesture.latency", chain="gesture", dataset="mediapipe-hand-images",
    description="capture-to-published-label latency on the shared video played at its frame rate (and on camera:0 "
                "where one opens): landmarks + One-Euro filter + static gestures (hand + LDA, open-set) + JSON lines, "
                "p50/p99 and per stage; and with dynamic gestures beside the static ones",
    units=_latency_units, run_unit=_latency_run,
))


def _pinch_run(key: dict, quick: bool) -> dict:
    """Pinch detection on single keypoint rows: thresholds chosen on kinivi (OK sign = pinch,
    Open/Close/Pointer = not), false pinches counted on other people's rows (forks), beside the
    thumb-index distance alone (the usual demo rule), which takes a fist for a pinch."""
    from ..datasets import dataset_dir
    from .datasets import load_crossperson
    from .pinch import is_pinch, pinch_features

    points, labels, classes = load_keypoints(dataset_dir("kinivi-hand-keypoints"))
    ok = labels == classes.index("OK")
    test, names, _ = load_crossperson(dataset_dir("gesture-forks-crossperson"))
    mapped = names != ""
    close = names == "Close"
    t = time.perf_counter()
    dev, other = is_pinch(points), is_pinch(test)
    us = (time.perf_counter() - t) / (len(points) + len(test)) * 1e6
    metrics = {"tuning_ok_pinched": float(dev[ok].mean()), "tuning_others_pinched": float(dev[~ok].mean()),
               "heldout_known_pinched": float(other[mapped].mean()), "heldout_fist_pinched": float(other[close].mean()),
               "heldout_unknown_poses_pinched": float(other[~mapped].mean())}
    aperture_dev, aperture_other = pinch_features(points)[0] < 0.25, pinch_features(test)[0] < 0.25
    peers = {"aperture-only": {"tuning_ok_pinched": float(aperture_dev[ok].mean()),
                               "tuning_others_pinched": float(aperture_dev[~ok].mean()),
                               "heldout_known_pinched": float(aperture_other[mapped].mean()),
                               "heldout_fist_pinched": float(aperture_other[close].mean()),
                               "heldout_unknown_poses_pinched": float(aperture_other[~mapped].mean())}}
    return {"metrics": metrics, "speed": {"us_per_row": us}, "peers": peers}


register(Task(
    name="gesture.pinch", chain="gesture", dataset="kinivi-hand-keypoints",
    description="pinch from keypoints (thumb-index aperture + index out of the palm, thresholds chosen on kinivi's OK "
                "vs other rows): pinch rate on kinivi OK/others (tuning data) and false pinches on other people's "
                "rows (forks), beside the aperture alone",
    units=lambda quick: [{}], run_unit=_pinch_run,
))
