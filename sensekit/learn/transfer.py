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

Both are plain numpy (eigendecompositions of small symmetric matrices); pyriemann implements
the same re-centring, which did not win enough to be worth the dependency.
"""

from __future__ import annotations

import numpy as np

__all__ = ["covariances", "riemann_mean", "tangent_space", "recentre", "coral"]


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
