"""Unsupervised session transfer (issue 19): Riemannian re-centring and CORAL do what they claim."""

from __future__ import annotations

import numpy as np
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from sensekit.learn.transfer import coral, covariances, recentre, riemann_mean, tangent_space


def _spd(rng, n=4):
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def test_riemann_mean_is_affine_invariant():
    rng = np.random.default_rng(0)
    covs = np.stack([_spd(rng) for _ in range(6)])
    a = rng.standard_normal((4, 4)) + 3 * np.eye(4)
    m = riemann_mean(covs)
    np.testing.assert_allclose(riemann_mean(a @ covs @ a.T), a @ m @ a.T, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(riemann_mean(np.stack([covs[0]] * 3)), covs[0], rtol=1e-10)
    assert np.abs(tangent_space(m[None], m)).max() < 1e-9  # the mean sits at the tangent space's origin


def test_recentring_undoes_a_new_mixing_of_the_channels():
    """Two sessions of the same three classes (different channel covariances); the second seen
    with new channel gains (electrode impedances changed overnight). Re-centred tangent vectors
    of session 2 are classified by the session-1 model about as well as session 1's own; without
    re-centring they are not. (A mixing that rotates the channels far is not undone: re-centring
    leaves a rotation, the method's stated failure mode.)"""
    rng = np.random.default_rng(1)
    classes = [_spd(rng) for _ in range(3)]

    def session(mix):
        w, y = [], []
        for k, c in enumerate(classes):
            chol = np.linalg.cholesky(c)
            for _ in range(60):
                w.append(rng.standard_normal((100, 4)) @ chol.T @ mix.T)
                y.append(k)
        return np.stack(w), np.array(y)

    w1, y1 = session(np.eye(4))
    w2, y2 = session(np.diag([2.5, 0.4, 1.8, 0.6]) + 0.05 * rng.standard_normal((4, 4)))
    c1, c2 = covariances(w1), covariances(w2)
    model = LinearDiscriminantAnalysis().fit(recentre(c1, c1), y1)
    own = np.mean(model.predict(recentre(c1, c1)) == y1)
    moved = np.mean(model.predict(tangent_space(c2, riemann_mean(c1))) == y2)
    fixed = np.mean(model.predict(recentre(c2, c2)) == y2)
    assert fixed > 0.9 and fixed >= own - 0.05 and moved < fixed - 0.2


def test_coral_gives_the_session_the_training_covariance():
    rng = np.random.default_rng(2)
    train = rng.standard_normal((500, 3)) @ np.array([[1, 0.8, 0], [0, 1, 0], [0, 0, 1]])
    session = rng.standard_normal((500, 3))
    out = coral(session, session, train, ridge=0.0)
    np.testing.assert_allclose(np.cov(out.T), np.cov(train.T), atol=1e-8)


def test_self_trained_means_follow_classes_that_moved_apart_and_keep_the_ones_never_sure():
    """Three classes; in the new session two of them moved differently (no common shift for
    re-standardisation to undo). Self-training from the confident windows wins accuracy back; a
    class the decoder is never sure of keeps its mean; equal to sklearn's LDA before any move."""
    from sensekit.learn.transfer import lda_coefficients, self_trained_means

    rng = np.random.default_rng(3)
    means = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    y = np.repeat([0, 1, 2], 200)
    train = means[y] + rng.normal(0, 0.7, (600, 2))
    lda = LinearDiscriminantAnalysis(store_covariance=True).fit(train, y)
    precision, log_priors = np.linalg.inv(lda.covariance_), np.log(lda.priors_)
    coef, intercept = lda_coefficients(lda.means_, precision, log_priors)
    np.testing.assert_array_equal(np.argmax(train @ coef.T + intercept, axis=1), lda.predict(train))
    moved = means + np.array([[0.0, 0.0], [-1.2, 0.0], [0.0, -1.2]])  # both drawn towards the rest class
    new = moved[y] + rng.normal(0, 0.7, (600, 2))
    before = np.mean(np.argmax(new @ coef.T + intercept, axis=1) == y)
    adapted = self_trained_means(lda.means_, precision, log_priors, new)
    coef2, intercept2 = lda_coefficients(adapted, precision, log_priors)
    after = np.mean(np.argmax(new @ coef2.T + intercept2, axis=1) == y)
    assert after > before + 0.03, (before, after)  # 0.78 -> 0.83: one partial step
    unsure = self_trained_means(lda.means_, precision, log_priors, new, confidence=1.0)  # no window is sure
    np.testing.assert_array_equal(unsure, lda.means_)


def test_labelled_means_win_back_a_band_rotated_by_a_whole_electrode():
    """A simulated band rotated by one electrode (the classes' patterns cross, so neither
    re-standardisation nor self-training can tell them apart): one labelled second per class
    of the new session, through ``EMGPipeline.adapt(labelled=True)``, decodes the session again;
    a class absent from the top-up keeps its mean."""
    import copy

    from sensekit.emg.bench import CROSS
    from sensekit.emg.pipeline import EMGPipeline
    from sensekit.emg.synth import EMGSimulator
    from sensekit.learn.transfer import labelled_means

    train = EMGSimulator(8, 5, rate=1000.0, snr_db=0, seed=2).trials(reps=2, duration_s=1.0, session=1)
    band = EMGSimulator(8, 5, rate=1000.0, snr_db=0, electrode_shift=1.0, seed=2)
    top_up, later = band.trials(reps=1, duration_s=1.0, session=3), band.trials(reps=1, duration_s=1.0, session=2)
    pipe = EMGPipeline(**{**CROSS, "bandpass_hz": (20.0, 450.0)}).fit(train)

    def accuracy(p):
        y, decisions, _ = p.decide(later)
        return np.mean(decisions[:, 0] == y)

    unlabelled = accuracy(copy.deepcopy(pipe).adapt(top_up))
    labelled = accuracy(copy.deepcopy(pipe).adapt(top_up, labelled=True))
    assert labelled > 0.95 and unlabelled < 0.5, (unlabelled, labelled)
    means = np.arange(6.0).reshape(3, 2)
    moved = labelled_means(means, np.ones((4, 2)), np.array([0, 0, 0, 2]), weight=0.5)
    np.testing.assert_allclose(moved, [[0.5, 1.0], [2.0, 3.0], [4.0, 5.0]])  # 1 absent, 2 under 3 windows


def test_adapting_a_decoder_without_class_means_says_so(caplog):
    """An SVM calibration adapts its standardisation only: said in a warning, not silently."""
    import logging

    from sensekit.emg.pipeline import EMGPipeline
    from sensekit.emg.synth import EMGSimulator

    sim = EMGSimulator(4, 3, rate=200.0, seed=2)
    pipe = EMGPipeline(features="HTD", decoder="svm").fit(sim.trials(reps=2, duration_s=2.0))
    before = list(pipe.learned_["mean"])
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        pipe.adapt(sim.trials(reps=1, duration_s=2.0, session=2), labelled=True)
    assert "only the feature standardisation adapted" in caplog.text and "svm" in caplog.text
    assert pipe.learned_["mean"] != before
    # an LDA calibration without its class means (valid: older files): the same, not a KeyError
    lda = EMGPipeline(features="HTD").fit(sim.trials(reps=2, duration_s=2.0))
    del lda.learned_["class_means"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sensekit"):
        for labelled in (True, False):
            lda.adapt(sim.trials(reps=1, duration_s=2.0, session=2), labelled=labelled)
    assert caplog.text.count("only the feature standardisation adapted") == 2 and "lda without them" in caplog.text
