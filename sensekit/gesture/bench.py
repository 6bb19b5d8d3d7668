"""Gesture benchmark tasks: static gestures on the keypoint sets (ordered split) beside
scikit-learn's SVC and MLP, and MediaPipe landmarks on real images and video."""

from __future__ import annotations

import time

import numpy as np

from ..bench.task import Task, register
from ..learn.metrics import classification_metrics
from .datasets import load_hand_images, load_keypoints, ordered_split
from .static import StaticGestureClassifier

#: sensekit's static-gesture configuration.
STATIC = {"decoder": "svm", "features": "raw", "decoder_options": {"C": 2.0}}


def _static_run(dataset: str):
    def run(key: dict, quick: bool) -> dict:
        from ..datasets import dataset_dir

        points, labels, classes = load_keypoints(dataset_dir(dataset))
        tr, te = ordered_split(labels)
        clf = StaticGestureClassifier(input_format="kazuhito", **STATIC).fit(points[tr], labels[tr], classes)
        pred, _ = clf.predict(points[te])
        metrics, confusion = classification_metrics(labels[te], pred, labels=list(range(len(classes))))
        one = points[te[:1]]
        n = 300
        t = time.perf_counter()
        for _ in range(n):
            clf.predict(one)
        speed = {"inference_us_per_frame": (time.perf_counter() - t) / n * 1e6}
        peers = {}
        from sklearn.neural_network import MLPClassifier
        from sklearn.svm import SVC

        x = points.reshape(len(points), -1)
        for name, model in (("scikit-learn SVC(rbf)", SVC()),
                            ("scikit-learn MLP(20,10)", MLPClassifier((20, 10), max_iter=1000, random_state=0))):
            model.fit(x[tr], labels[tr])
            p = model.predict(x[te])
            t = time.perf_counter()
            for _ in range(n):
                model.predict(x[te[:1]])
            m, _ = classification_metrics(labels[te], p, labels=list(range(len(classes))))
            peers[name] = {"accuracy": m["accuracy"], "balanced_accuracy": m["balanced_accuracy"],
                           "inference_us_per_frame": (time.perf_counter() - t) / n * 1e6}
        return {"metrics": metrics, "confusion": confusion, "speed": speed, "peers": peers}

    return run


for _name, _ds in (("kazuhito00", "kazuhito00-hand-keypoints"), ("kinivi", "kinivi-hand-keypoints")):
    register(Task(
        name=f"gesture.static-{_name}", chain="gesture", dataset=_ds,
        description=f"{_ds}: ordered split (first 75 % of each class trains); standardised rows + RBF SVM beside "
                    "scikit-learn SVC(rbf) and MLP(20,10) on the raw rows",
        units=lambda quick: [{}], run_unit=_static_run(_ds),
    ))


def _dynamic_run(key: dict, quick: bool) -> dict:
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    from ..datasets import dataset_dir
    from .datasets import load_point_history
    from .dynamic import DTWTemplates, TrajectoryClassifier

    traj, labels, classes = load_point_history(dataset_dir("kazuhito00-hand-keypoints"))
    tr, te = ordered_split(labels)
    lab = list(range(len(classes)))
    clf = TrajectoryClassifier().fit(traj[tr], labels[tr])
    metrics, confusion = classification_metrics(labels[te], clf.predict(traj[te]), labels=lab)
    sub = te[:: (10 if quick else 2)]
    dtw = DTWTemplates(per_class=10 if quick else 30).fit(traj[tr], labels[tr])
    metrics["accuracy_dtw_templates"] = classification_metrics(labels[sub], dtw.predict(traj[sub])[0], labels=lab)[0][
        "accuracy"]
    n = 300
    t = time.perf_counter()
    for i in range(n):
        clf.predict(traj[te[i : i + 1]])
    speed = {"inference_us_per_frame": (time.perf_counter() - t) / n * 1e6}
    x = traj.reshape(len(traj), -1)
    peers = {}
    for name, model in (("scikit-learn SVC(rbf)", SVC()),
                        ("scikit-learn MLP(20,10)", MLPClassifier((20, 10), max_iter=1000, random_state=0))):
        model.fit(x[tr], labels[tr])
        peers[name] = {"accuracy": classification_metrics(labels[te], model.predict(x[te]), labels=lab)[0]["accuracy"]}
    return {"metrics": metrics, "confusion": confusion, "speed": speed, "peers": peers}


register(Task(
    name="gesture.dynamic", chain="gesture", dataset="kazuhito00-hand-keypoints",
    description="point_history (16-frame fingertip trajectories, 4 classes), ordered split; trajectory SVM and DTW "
                "templates beside scikit-learn SVC(rbf) and MLP(20,10)",
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
