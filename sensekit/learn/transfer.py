"""Unsupervised session transfer: what the EMG bench compares with re-standardisation.

Each method uses unlabeled data of the new session (a few seconds of every class) to undo the
shift between sessions; each assumes something that can fail:

- :func:`coral` (correlation alignment, Sun, Feng & Saenko 2016) whitens the new session's
  standardised features with their own covariance and re-colours them with the training
  session's. Assumes the class mixture of the adaptation data matches training and that there
  are enough windows to estimate a full covariance; with one short repetition per class it
  over-fits the noise (on myo_readings_wrist8 it loses 7 points).
- :func:`recentre` (Riemannian re-centring, Zanini et al. 2018, as in cross-session EEG
  transfer) moves each session's channel covariances so that their Riemannian mean is the
  identity, then classifies in the tangent space. Assumes the shift is a change of the
  channels' mixing (electrode displacement, impedance) common to all classes; a change of
  posture that alters one class more than the others is not undone.

- :func:`self_trained_means` (self-training of an LDA's class means) takes the windows the
  decoder is sure of (posterior >= 0.9) as labelled by its decision and moves each class mean
  part of the way (``weight``) to theirs, keeping the pooled covariance. Assumes the decoder is
  mostly right where it is confident; its failure mode is drift towards a wrong class from
  confident mistakes, held back by the confidence gate, the partial step and a minimum of
  windows per class (a class the decoder is never sure of keeps its mean).

With labels, one short repetition per class of the new session (``calibrate emg --top-up``
prompts each class, so it has them), :func:`labelled_means` is few-shot adaptation rather than
transfer: each class mean moves part of the way to the mean of that class's new windows.
Assumes the shift of a class is seen in a few seconds of it; its failure mode is a repetition
held badly (the class's mean follows it), bounded by the partial step.

All are plain numpy (eigendecompositions of small symmetric matrices); pyriemann implements
the same re-centring, which did not win enough to be worth the dependency.
"""

from __future__ import annotations

import numpy as np

__all__ = ["covariances", "riemann_mean", "tangent_space", "recentre", "coral", "lda_coefficients",
           "self_trained_means", "labelled_means", "SELF_TRAINING_WEIGHT", "SELF_TRAINING_CONFIDENCE",
           "LABELLED_WEIGHT"]

#: How far a class mean moves towards its confident new windows (chosen on the simulator with a
#: band rotated by half an electrode, 10 bands: 0 / 0.3 / 0.6 / 1 gave 98.4 / 99.7 / 100 / 100 %;
#: the myo sessions and LibEMG's rotated band were not used to choose it).
SELF_TRAINING_WEIGHT = 0.6
#: How far a class mean moves towards the mean of its labelled new windows (chosen on the
#: simulator, 10 bands rotated by half and by one electrode, for the best worst band: 0.3 / 0.5
#: / 0.7 / 1 gave 80.3 / 94.9 / 98.6 / 97.7 % at one electrode, all >= 99.4 % at half; the myo
#: sessions and LibEMG's rotated band were not used to choose it).
LABELLED_WEIGHT = 0.7
#: Posterior a window's decision needs to count as a label (set beforehand, not tuned).
SELF_TRAINING_CONFIDENCE = 0.9


def _eig_fn(c: np.ndarray, fn) -> np.ndarray:
    """``fn`` applied to the eigenvalues of symmetric matrices ``c`` (..., C, C)."""
    w, v = np.linalg.eigh(c)
    return (v * fn(w)[..., None, :]) @ np.swapaxes(v, -1, -2)


def covariances(windows: np.ndarray, shrink: float = 1e-6) -> np.ndarray:
    """Channel covariances ``(n, C, C)`` of windows ``(n, L, C)``, lightly regularised (a flat
    channel keeps them positive definite)."""
    x = windows - windows.mean(axis=1, keepdims=True)
    c = np.einsum("nlc,nld->ncd", x, x) / windows.shape[1]
    ridge = shrink * np.trace(c, axis1=1, axis2=2)[:, None, None] / c.shape[-1]
    return c + ridge * np.eye(c.shape[-1])


def riemann_mean(covs: np.ndarray, iterations: int = 20, tol: float = 1e-8) -> np.ndarray:
    """The affine-invariant Riemannian (Karcher) mean of covariances ``(n, C, C)``."""
    m = covs.mean(axis=0)
    for _ in range(iterations):
        m_isqrt, m_sqrt = _eig_fn(m, lambda w: w ** -0.5), _eig_fn(m, np.sqrt)
        step = _eig_fn(m_isqrt @ covs @ m_isqrt, np.log).mean(axis=0)
        m = m_sqrt @ _eig_fn(step, np.exp) @ m_sqrt
        if np.linalg.norm(step) < tol:
            break
    return m


def tangent_space(covs: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Tangent-space vectors ``(n, C (C + 1) / 2)`` of covariances at ``reference``: the upper
    triangle of ``log(R^-1/2 C R^-1/2)``, off-diagonal terms × sqrt 2 (distances preserved)."""
    r_isqrt = _eig_fn(reference, lambda w: w ** -0.5)
    logs = _eig_fn(r_isqrt @ covs @ r_isqrt, np.log)
    iu = np.triu_indices(covs.shape[-1])
    return logs[:, iu[0], iu[1]] * np.where(iu[0] == iu[1], 1.0, np.sqrt(2.0))


def recentre(covs: np.ndarray, session_covs: np.ndarray) -> np.ndarray:
    """Tangent vectors of ``covs`` at the Riemannian mean of their session's (unlabeled)
    covariances ``session_covs``: every session's mean lands on the identity."""
    return tangent_space(covs, riemann_mean(session_covs))


def coral(z: np.ndarray, z_session: np.ndarray, z_train: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Features ``z`` (standardised with the new session's statistics) whitened by the new
    session's covariance (from ``z_session``) and re-coloured with the training features'."""
    eye = ridge * np.eye(z.shape[1])
    whiten = _eig_fn(np.cov(z_session.T) + eye, lambda w: w ** -0.5)
    colour = _eig_fn(np.cov(z_train.T) + eye, np.sqrt)
    return z @ whiten @ colour


def lda_coefficients(means: np.ndarray, precision: np.ndarray, log_priors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An LDA's ``coef`` (k, f) and ``intercept`` (k,) from its class ``means`` (k, f), the
    inverse pooled covariance ``precision`` (f, f) and the classes' ``log_priors`` (k,)."""
    means = np.asarray(means, dtype=np.float64)
    coef = means @ np.asarray(precision, dtype=np.float64)
    return coef, -0.5 * np.einsum("kf,kf->k", coef, means) + np.asarray(log_priors, dtype=np.float64)


def self_trained_means(means: np.ndarray, precision: np.ndarray, log_priors: np.ndarray, z: np.ndarray, *,
                       weight: float = SELF_TRAINING_WEIGHT, confidence: float = SELF_TRAINING_CONFIDENCE,
                       min_windows: int = 5) -> np.ndarray:
    """Class means moved towards the new session's windows ``z`` (standardised features, no
    labels) that the LDA decides with a posterior of at least ``confidence``: each class with
    ``min_windows`` such windows moves ``weight`` of the way to their mean."""
    means = np.asarray(means, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    coef, intercept = lda_coefficients(means, precision, log_priors)
    scores = z @ coef.T + intercept
    scores -= scores.max(axis=1, keepdims=True)
    posterior = np.exp(scores)
    posterior /= posterior.sum(axis=1, keepdims=True)
    decided = np.where(posterior.max(axis=1) >= confidence, posterior.argmax(axis=1), -1)  # -1: not sure
    return labelled_means(means, z, decided, weight=weight, min_windows=min_windows)


def labelled_means(means: np.ndarray, z: np.ndarray, y: np.ndarray, *, weight: float = LABELLED_WEIGHT,
                   min_windows: int = 3) -> np.ndarray:
    """Class means (k, f) moved towards the new session's labelled windows: class ``i`` (label
    ``i`` in ``y``) with at least ``min_windows`` rows of ``z`` (standardised features) moves
    ``weight`` of the way to their mean; the others keep theirs.

    Examples
    --------
    >>> labelled_means(np.zeros((2, 1)), np.array([[1.0], [1.0], [1.0]]), np.array([1, 1, 1]), weight=0.5)
    array([[0. ],
           [0.5]])
    """
    means = np.asarray(means, dtype=np.float64)
    z, y = np.asarray(z, dtype=np.float64), np.asarray(y)
    out = means.copy()
    for k in range(len(means)):
        mine = y == k
        if mine.sum() >= min_windows:
            out[k] = (1.0 - weight) * means[k] + weight * z[mine].mean(axis=0)
    return out
