"""The linear probe (:mod:`mne_mmvsstma.training.probe`): standardisation, whitening, the
logistic regression and its folding into a linear layer, the attention fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from mne_mmvsstma.training.probe import (
    _attention_fuse,
    _fit_attention,
    _fold_probe,
    _logistic_probe,
    _standardise,
    _stimulus_whitening,
    _zca_whitening,
)


def _features(rng, n=150, classes=(0, 1, 2)):
    """Features of different scales and offsets with a class pattern (every class present)."""
    y = np.asarray(classes)[rng.permutation(np.arange(n) % len(classes))]
    d = 5
    X = (rng.normal(size=(n, d)) * [1.0, 2.0, 0.5, 3.0, 1.0] + [0.0, 5.0, -2.0, 1.0, 10.0]
         + 1.5 * np.eye(max(classes) + 1, d)[y])
    return X, y


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# standardisation and whitening


def test_standardise_matches_numpy_and_scikit_learn(rng):
    X = rng.normal(size=(50, 4)) * [1.0, 3.0, 0.1, 1.0] + [2.0, -1.0, 0.0, 0.0]
    X[:, 3] = 7.0  # a constant feature
    mean, std, z = _standardise(X.copy())
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(std[:3], X[:, :3].std(axis=0))
    assert std[3] == 1.0  # a constant feature is centred, not divided by 0
    np.testing.assert_allclose(z[:, :3], (X[:, :3] - X[:, :3].mean(axis=0)) / X[:, :3].std(axis=0))
    np.testing.assert_array_equal(z[:, 3], 0.0)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[:, :3].std(axis=0), 1.0)
    np.testing.assert_allclose(z, StandardScaler().fit_transform(X), atol=1e-12)


def test_zca_whitening(rng):
    X = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4)) + [3.0, -1.0, 0.0, 2.0]
    mean, W = _zca_whitening(X, 0.0)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(W, W.T, atol=1e-10)  # ZCA: symmetric
    # no shrinkage: the whitened features have the identity covariance
    np.testing.assert_allclose(np.cov((X - mean) @ W, rowvar=False), np.eye(4), atol=1e-8)
    # shrinkage: variances below one, the lower the more shrinkage
    var = [np.diag(np.cov((X - mean) @ _zca_whitening(X, s)[1], rowvar=False))
           for s in (1.0, 10.0)]
    assert np.all(var[0] < 1.0) and np.all(var[1] < var[0])
    # float32 features (as the network gives them) are whitened in float64
    mean32, W32 = _zca_whitening(X.astype(np.float32), 1.0)
    assert mean32.dtype == W32.dtype == np.float64


# ---------------------------------------------------------------------------
# the logistic probe


def test_stimulus_whitening_against_a_direct_computation(rng):
    """The covariance of trial means around their stimulus' mean, from a plain loop; trials
    of a stimulus seen once do not count; the whitened differences have unit covariance."""
    n_rec, n_stim, per_trial, d = 12, 5, 3, 4
    mix = rng.normal(size=(d, d))
    stim_effect = rng.normal(size=(n_stim, d)) * 5  # shared responses, large
    feats, trials, stimuli = [], [], []
    for r in range(n_rec):
        for s in range(n_stim):
            mean = stim_effect[s] + rng.normal(size=d) @ mix  # the recording's own part
            feats.append(mean + 0.1 * rng.normal(size=(per_trial, d)))
            trials += [r * 100 + s] * per_trial
            stimuli += [s] * per_trial
    # one more stimulus, in one trial only: no difference to learn from
    feats.append(rng.normal(size=(per_trial, d)) + 100.0)
    trials += [999] * per_trial
    stimuli += [77] * per_trial
    feats, trials, stimuli = np.concatenate(feats), np.array(trials), np.array(stimuli)
    mean, W, n_used = _stimulus_whitening(feats, trials, stimuli, 0.0)
    assert n_used == n_stim
    np.testing.assert_allclose(mean, feats.mean(axis=0))
    devs = []
    for s in range(n_stim):
        means = np.array([feats[trials == t].mean(axis=0)
                          for t in np.unique(trials[stimuli == s])])
        devs.append(means - means.mean(axis=0))
    devs = np.concatenate(devs)
    cov = devs.T @ devs / (len(devs) - n_stim)
    evals, evecs = np.linalg.eigh(cov)
    np.testing.assert_allclose(W, evecs @ np.diag(evals ** -0.5) @ evecs.T, rtol=1e-8)
    np.testing.assert_allclose(W @ cov @ W, np.eye(d), atol=1e-8)
    # the shared stimulus responses are not what is equalised: the total whitening differs
    assert not np.allclose(W, _zca_whitening(feats, 0.0)[1], atol=1e-2)
    # shrinkage: eigenvalues plus shrink times their mean
    W1 = _stimulus_whitening(feats, trials, stimuli, 1.0)[1]
    np.testing.assert_allclose(
        W1, evecs @ np.diag((evals + evals.mean()) ** -0.5) @ evecs.T, rtol=1e-8)


def test_stimulus_whitening_errors(rng):
    feats = rng.normal(size=(8, 3))
    trials = np.repeat([0, 1, 2, 3], 2)
    with pytest.raises(ValueError, match="at least two trials.*4 different stimuli"):
        _stimulus_whitening(feats, trials, trials, 0.1)
    assert _stimulus_whitening(feats, trials, trials, 0.1, require=False) is None
    stimuli = np.array([0, 0, 1, 1, 0, 1, 1, 1])  # trial 2 shows two stimuli
    with pytest.raises(ValueError, match=r"trial\(s\) \[2\].*one stimulus"):
        _stimulus_whitening(feats, trials, stimuli, 0.1)


@pytest.mark.parametrize("C", [0.01, 1.0])
def test_logistic_probe_matches_scikit_learn(rng, C):
    X, y = _features(rng)
    classes, mean, std, coef, intercept = _logistic_probe(X, y, C)
    ref = LogisticRegression(C=C, max_iter=5000).fit(StandardScaler().fit_transform(X), y)
    np.testing.assert_array_equal(classes, ref.classes_)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(std, X.std(axis=0))
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercept, ref.intercept_, rtol=1e-6, atol=1e-8)


def test_logistic_probe_two_classes_gives_one_row_per_class(rng):
    X, y = _features(rng, classes=(0, 1))
    classes, mean, std, coef, intercept = _logistic_probe(X, y, 1.0)
    ref = LogisticRegression(C=1.0, max_iter=5000).fit(StandardScaler().fit_transform(X), y)
    assert coef.shape == (2, X.shape[1]) and intercept.shape == (2,)
    np.testing.assert_allclose(coef[0], -coef[1])
    # the logit of class 1 against class 0 is scikit-learn's
    np.testing.assert_allclose(coef[1] - coef[0], ref.coef_[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercept[1] - intercept[0], ref.intercept_[0], rtol=1e-6)
    proba = _softmax(((X - mean) / std) @ coef.T + intercept)
    np.testing.assert_allclose(proba, ref.predict_proba(StandardScaler().fit_transform(X)),
                               atol=1e-8)


@pytest.mark.parametrize("whiten", [False, True])
def test_fold_probe_layer_gives_the_probe_on_raw_features(rng, whiten):
    X, y = _features(rng, classes=(0, 2, 3))  # class 1 absent from the probe's data
    white = _zca_whitening(X, 1.0) if whiten else None
    feats = (X - white[0]) @ white[1] if whiten else X
    probe = _logistic_probe(feats, y, 1.0)
    weight, bias = _fold_probe(probe, 4, white)
    assert weight.shape == (4, X.shape[1]) and bias.shape == (4,)
    np.testing.assert_array_equal(weight[1], 0.0)
    assert bias[1] == -1e4  # never predicted
    # the layer on the raw features gives the probe's logits of the (whitened) features
    logits = X @ weight.T + bias
    _, mean, std, coef, intercept = probe
    np.testing.assert_allclose(logits[:, [0, 2, 3]], ((feats - mean) / std) @ coef.T + intercept,
                               rtol=1e-8, atol=1e-8)
    # ... and scikit-learn's probabilities with the same C on the same features
    z = StandardScaler().fit_transform(feats)
    ref = LogisticRegression(C=1.0, max_iter=5000).fit(z, y)
    proba = _softmax(logits)
    np.testing.assert_allclose(proba[:, [0, 2, 3]], ref.predict_proba(z), atol=1e-6)
    np.testing.assert_allclose(proba[:, 1], 0.0, atol=1e-12)


def test_logistic_probe_errors(rng):
    X, y = _features(rng)
    with pytest.raises(ValueError, match="class"):
        _logistic_probe(X, np.zeros(len(X), int), 1.0)  # a single class
    with pytest.raises(ValueError, match="C"):
        _logistic_probe(X, y, 0.0)
    with pytest.raises(ValueError):
        _logistic_probe(X, y[:-1], 1.0)  # one label too few


# ---------------------------------------------------------------------------
# attention fusion


def test_attention_fuse_weights_sum_to_one(rng):
    h = torch.from_numpy(rng.normal(size=(40, 2, 3)))
    w = torch.from_numpy(rng.normal(size=3))
    fused = _attention_fuse(h, w).numpy()
    hn = h.numpy()
    score = np.tanh(hn) @ w.numpy()  # (40, 2)
    alpha = np.exp(score) / np.exp(score).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0)
    np.testing.assert_allclose(fused, alpha[:, :1] * hn[:, 0] + alpha[:, 1:] * hn[:, 1])
    # a convex combination: fused - h_eye = alpha_eeg (h_eeg - h_eye), alpha_eeg in (0, 1)
    diff, rel = hn[:, 0] - hn[:, 1], fused - hn[:, 1]
    a = (rel * diff).sum(axis=1) / (diff * diff).sum(axis=1)
    np.testing.assert_allclose(rel, a[:, None] * diff, atol=1e-12)
    assert np.all((a > 0) & (a < 1))
    # a zero attention vector weighs both modalities 1/2
    np.testing.assert_allclose(_attention_fuse(h, torch.zeros(3, dtype=torch.float64)).numpy(),
                               hn.mean(axis=1))


def _probe_objective(h, y, w, probe, C):
    """The probe's cross-entropy at attention ``w`` plus the L2 penalty of ``w`` (numpy)."""
    classes, mean, std, coef, intercept = probe
    fused = _attention_fuse(h, torch.as_tensor(w)).numpy()
    proba = _softmax(((fused - mean) / std) @ coef.T + intercept)
    ce = -np.mean(np.log(proba[np.arange(len(y)), np.searchsorted(classes, y)]))
    return ce + np.sum(np.asarray(w) ** 2) / (2 * C * len(y))


def test_fit_attention_lowers_the_probe_objective(rng):
    n, d = 200, 4
    y = np.arange(n) % 3
    h = np.zeros((n, 2, 2 * d))
    h[:, 0, :d] = 1.0 + np.eye(3, d)[y] + 0.5 * rng.normal(size=(n, d))  # informative
    h[:, 1, d:] = 1.0 + 0.5 * rng.normal(size=(n, d))  # noise
    h = torch.from_numpy(h)
    w0 = torch.zeros(2 * d, dtype=torch.float64)
    probe = _logistic_probe(_attention_fuse(h, w0).numpy(), y, 1.0)
    norms = []
    for C in (0.01, 1.0):
        w = _fit_attention(h, y, w0, probe, C=C)
        assert w.shape == w0.shape and w.dtype == torch.float64 and not w.requires_grad
        assert _probe_objective(h, y, w, probe, C) < _probe_objective(h, y, w0, probe, C)
        norms.append(float(w.norm()))
    assert norms[0] < norms[1]  # a stronger penalty, a smaller attention vector
    np.testing.assert_array_equal(w0.numpy(), 0.0)  # the starting vector is not modified
