"""LibEMG as a peer: its feature extractor and classifier on the windows sensekit used.

Inputs: ``W_train``, ``W_test`` (n, channels, length) windows, ``y_train``; ``model``
("LDA" or "SVM-RBF": RBF SVC on standardised features); ``group`` (feature group);
``n_live`` decisions to time one window at a time; ``vote`` (majority vote length).
"""

import time

import numpy as np


def run(inputs):
    from libemg.emg_predictor import EMGClassifier
    from libemg.feature_extractor import FeatureExtractor

    group = str(inputs.get("group", "HTD"))
    model = str(inputs.get("model", "LDA"))
    vote = int(inputs.get("vote", 5))
    W_train, W_test, y_train = inputs["W_train"], inputs["W_test"], inputs["y_train"]
    fe = FeatureExtractor()
    f_train = fe.extract_feature_group(group, W_train)
    if model == "SVM-RBF":
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        clf = EMGClassifier(make_pipeline(StandardScaler(), SVC(kernel="rbf", probability=True, random_state=0)),
                            silent=True)
    else:
        clf = EMGClassifier(model, silent=True)
    clf.fit(feature_dictionary={"training_features": f_train, "training_labels": y_train})
    t = time.perf_counter()
    f_test = fe.extract_feature_group(group, W_test)
    batch_s = time.perf_counter() - t
    pred, _ = clf.run(f_test)
    # the live path: one decision per increment, one window at a time
    n_live = min(int(inputs.get("n_live", 200)), len(W_test))
    t_feat = t_pred = t_vote = 0.0
    history = []
    clf_vote = EMGClassifier(model, silent=True) if model != "SVM-RBF" else None
    if clf_vote is not None:
        clf_vote.fit(feature_dictionary={"training_features": f_train, "training_labels": y_train})
        clf_vote.add_majority_vote(vote)
    for i in range(n_live):
        a = time.perf_counter()
        f = fe.extract_feature_group(group, W_test[i : i + 1])
        b = time.perf_counter()
        p, _ = clf.run(f)
        c = time.perf_counter()
        history.append(p[0])
        if clf_vote is not None:
            clf_vote._majority_vote_helper(np.array(history[-vote:]))
        d = time.perf_counter()
        t_feat, t_pred, t_vote = t_feat + b - a, t_pred + c - b, t_vote + d - c
    return {
        "pred": np.asarray(pred).tolist(),
        "features_batch_s": batch_s,
        "features": {k: np.asarray(v).tolist() for k, v in f_test.items()} if inputs.get("return_features") else None,
        "live_feature_us": t_feat / n_live * 1e6,
        "live_predict_us": t_pred / n_live * 1e6,
        "live_vote_us": t_vote / n_live * 1e6,
        "live_decision_us": (t_feat + t_pred + t_vote) / n_live * 1e6,
    }
