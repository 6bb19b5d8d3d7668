"""scikit-learn LDA as a peer: fit on training features, predict test windows one by one."""

import time

import numpy as np


def run(inputs):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    clf = LinearDiscriminantAnalysis().fit(inputs["X_train"], inputs["y_train"])
    X = inputs["X_test"]
    pred = np.empty(len(X), dtype=inputs["y_train"].dtype)
    t = time.perf_counter()
    for i in range(len(X)):  # one decision per window, as live
        pred[i] = clf.predict(X[i : i + 1])[0]
    elapsed = time.perf_counter() - t
    return {"pred": pred.tolist(), "seconds": elapsed}
