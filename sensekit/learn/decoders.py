"""Decoders: trained with scikit-learn, run in plain numpy, stored as numbers.

Each decoder is fitted with scikit-learn and then reduced to arrays (``params``) from
which :func:`predict_proba` computes class scores in numpy alone, so that a calibration
file holds numbers only (no pickle) and the live path avoids scikit-learn's per-call
overhead. Supported: ``lda`` (default), ``svm`` (RBF, one-vs-one), ``mlp``, ``rf``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["DECODERS", "fit_decoder", "decision_scores", "predict_proba"]

DECODERS = ("lda", "svm", "mlp", "rf")


def fit_decoder(kind: str, X: np.ndarray, y: np.ndarray, *, seed: int = 0, **options) -> dict:
    """Fit a decoder on feature rows ``X`` (n, F) and labels ``y`` (n,); return its numeric params.

    Parameters
    ----------
    kind : {"lda", "svm", "mlp", "rf"}
    X, y : ndarray
        Standardised features and integer labels.
    seed : int
        Random state of stochastic decoders.
    **options
        ``svm``: ``C`` (default 10), ``gamma`` ("scale"); ``mlp``: ``hidden`` (tuple, default
        (64, 32)), ``alpha``; ``rf``: ``n_trees`` (default 100), ``max_depth``; ``lda``:
        ``shrinkage`` (None or 0..1, default "auto" with the lsqr solver).
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ParameterError(f"a decoder needs at least 2 classes in the training data, got {classes.tolist()}")
    if kind == "lda":
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        shrinkage = options.get("shrinkage", "auto")
        clf = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage).fit(X, y)
        coef, intercept = clf.coef_, clf.intercept_
        if len(classes) == 2:  # sklearn stores one row for two classes
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        # the pooled (shrunk) covariance's inverse and the priors: what moving a class mean needs
        # (sensekit.learn.transfer.self_trained_means)
        return {"kind": "lda", "classes": classes.tolist(), "coef": coef.tolist(), "intercept": intercept.tolist(),
                "precision": np.linalg.pinv(clf.covariance_).tolist(), "log_priors": np.log(clf.priors_).tolist()}
    if kind == "svm":
        from sklearn.svm import SVC

        clf = SVC(kernel="rbf", C=options.get("C", 10.0), gamma=options.get("gamma", "scale"),
                  decision_function_shape="ovo").fit(X, y)
        return {"kind": "svm", "classes": clf.classes_.tolist(), "support_vectors": clf.support_vectors_.tolist(),
                "dual_coef": clf.dual_coef_.tolist(), "intercept": clf.intercept_.tolist(),
                "n_support": clf.n_support_.tolist(), "gamma": float(clf._gamma)}
    if kind == "mlp":
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(hidden_layer_sizes=tuple(options.get("hidden", (64, 32))), alpha=options.get("alpha", 1e-3),
                            max_iter=options.get("max_iter", 500), random_state=seed, early_stopping=False).fit(X, y)
        return {"kind": "mlp", "classes": clf.classes_.tolist(), "weights": [w.tolist() for w in clf.coefs_],
                "biases": [b.tolist() for b in clf.intercepts_], "activation": clf.activation}
    if kind == "rf":
        from sklearn.ensemble import RandomForestClassifier

        clf = RandomForestClassifier(n_estimators=options.get("n_trees", 100), max_depth=options.get("max_depth"),
                                     random_state=seed, n_jobs=1).fit(X, y)
        trees = []
        for est in clf.estimators_:
            t = est.tree_
            value = t.value[:, 0, :]
            value = value / np.maximum(value.sum(axis=1, keepdims=True), 1e-300)
            trees.append({"left": t.children_left.tolist(), "right": t.children_right.tolist(),
                          "feature": t.feature.tolist(), "threshold": t.threshold.tolist(), "value": value.tolist()})
        return {"kind": "rf", "classes": clf.classes_.tolist(), "trees": trees}
    raise ParameterError(f"unknown decoder {kind!r}", f"use one of {', '.join(DECODERS)}")


class CompiledDecoder:
    """Numpy arrays of a decoder's params, ready for fast inference."""

    def __init__(self, params: dict) -> None:
        self.kind = params["kind"]
        self.classes = np.asarray(params["classes"])
        if self.kind == "lda":
            self.coef_t = np.ascontiguousarray(np.asarray(params["coef"], dtype=np.float64).T)
            self.intercept = np.asarray(params["intercept"], dtype=np.float64)
        elif self.kind == "svm":
            self.sv = np.asarray(params["support_vectors"], dtype=np.float64)
            self.gamma = float(params["gamma"])
            # exp(-gamma ||x - sv||^2) = exp(x · 2 gamma sv - gamma ||sv||^2 - gamma ||x||^2)
            self.sv_t2g = np.ascontiguousarray(self.sv.T) * (2.0 * self.gamma)
            self.sv_sq_g = np.sum(self.sv**2, axis=1) * self.gamma
            self.dual = np.asarray(params["dual_coef"], dtype=np.float64)
            self.intercept = np.asarray(params["intercept"], dtype=np.float64)
            self.n_support = np.asarray(params["n_support"], dtype=int)
            n_cls = len(self.n_support)
            if n_cls == 2:  # scikit-learn negates a two-class SVC's public dual_coef_ and intercept_ (its
                self.dual, self.intercept = -self.dual, -self.intercept  # decision > 0 means the second class)
            self.pair_i, self.pair_j = (np.array(v, dtype=int) for v in np.triu_indices(n_cls, 1))
            # the class of each support vector, to sum kernel x dual coefficient per class block
            # votes = win @ (I - J) + column sums of J, with I, J (pairs, K) one-hot: the
            # first class of a pair gets the vote when d > 0, the second otherwise
            vote_i, vote_j = np.eye(n_cls)[self.pair_i], np.eye(n_cls)[self.pair_j]
            self.vote_diff = (vote_i - vote_j) / len(self.pair_i)
            self.vote_base = vote_j.sum(axis=0) / len(self.pair_i)
            # one matrix that maps kernel values to every pair's decision value:
            # d(i, j) = sum_{sv in i} k dual[j-1] + sum_{sv in j} k dual[i] + b
            sv_class = np.repeat(np.arange(n_cls), self.n_support)
            pairs = np.zeros((len(self.sv), len(self.pair_i)))
            for p_, (i, j) in enumerate(zip(self.pair_i.tolist(), self.pair_j.tolist(), strict=True)):
                pairs[sv_class == i, p_] = self.dual[j - 1, sv_class == i]
                pairs[sv_class == j, p_] = self.dual[i, sv_class == j]
            self.pair_weights = pairs
        elif self.kind == "mlp":
            self.weights = [np.asarray(w, dtype=np.float64) for w in params["weights"]]
            self.biases = [np.asarray(b, dtype=np.float64) for b in params["biases"]]
            if params.get("activation", "relu") != "relu":
                raise ParameterError(f"MLP activation {params['activation']!r} is not supported (relu only)")
        elif self.kind == "rf":
            self.trees = [{k: np.asarray(v) for k, v in t.items()} for t in params["trees"]]
        else:
            raise ParameterError(f"unknown decoder kind {self.kind!r} in the parameters")

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (LDA, MLP, RF) or vote shares (SVM), shape (n, n_classes)."""
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "lda":
            z = X @ self.coef_t + self.intercept
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        if self.kind == "mlp":
            h = X
            for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
                h = np.maximum(h @ w + b, 0.0)
            z = h @ self.weights[-1] + self.biases[-1]
            if z.shape[1] == 1:  # binary: logistic output
                p = 1 / (1 + np.exp(-z[:, 0]))
                return np.column_stack([1 - p, p])
            z -= z.max(axis=1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)
        if self.kind == "svm":
            # exp(-gamma ||x - sv||^2), in place: x·sv terms first, then the norms
            k = X @ self.sv_t2g
            k -= self.sv_sq_g
            k -= (self.gamma * np.einsum("ij,ij->i", X, X))[:, None]
            np.exp(k, out=k)
            d = k @ self.pair_weights + self.intercept  # every one-vs-one decision at once
            return (d > 0) @ self.vote_diff + self.vote_base  # vote shares
        # random forest: mean of the leaves' class fractions
        out = np.zeros((len(X), len(self.classes)))
        rows = np.arange(len(X))
        for t in self.trees:
            node = np.zeros(len(X), dtype=np.int64)
            while True:
                left = t["left"][node]
                inner = left >= 0
                if not inner.any():
                    break
                go_left = X[rows, np.maximum(t["feature"][node], 0)] <= t["threshold"][node]
                node = np.where(inner, np.where(go_left, left, t["right"][node]), node)
            out += t["value"][node]
        return out / len(self.trees)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most likely class label of each row."""
        return self.classes[np.argmax(self.scores(X), axis=1)]


def decision_scores(params: dict, X: np.ndarray) -> np.ndarray:
    """Class scores of ``X`` from a decoder's params (see :class:`CompiledDecoder`)."""
    return CompiledDecoder(params).scores(X)


def predict_proba(params: dict, X: np.ndarray) -> np.ndarray:
    """Alias of :func:`decision_scores` (probabilities for LDA, MLP and RF)."""
    return decision_scores(params, X)
