"""The linear probe: standardisation, whitening, logistic regression and attention fit.

This is the part of the recipe that decides the accuracy (``doc/recipe.rst``).
:class:`~mne_mmvsstma.training.Pretrainer` learns a whitening of its encoder's
features (:func:`_zca_whitening`); :class:`~mne_mmvsstma.training.EmotionClassifier`
fits its classification layer in closed form on the frozen features: an L2
logistic regression on standardised (and whitened) features
(:func:`_logistic_probe`), folded into the layer (:func:`_fold_probe`), and for
attention fusion the attention vector fitted to that probe
(:func:`_attention_fuse`, :func:`_fit_attention`).
"""

from __future__ import annotations

import numpy as np
import torch


def _attention_fuse(h, w):
    """``sum_m alpha_m h_m`` with ``alpha = softmax_m(w^T tanh h_m)``; ``h`` is ``(N, 2, d)``."""
    alpha = torch.softmax(torch.tanh(h) @ w, dim=1)
    return (alpha.unsqueeze(-1) * h).sum(dim=1)


def _standardise(feats):
    """``(mean, std, z)``: every feature centred and scaled to unit variance (constant: 1)."""
    mean, std = feats.mean(axis=0), feats.std(axis=0)
    std[std == 0] = 1.0
    return mean, std, (feats - mean) / std


def _zca_whitening(feats, shrink):
    """``(mean, W)``: ZCA whitening of ``feats`` with shrinkage.

    The eigenvalues of the covariance plus ``shrink`` times their mean are
    whitened: ``(feats - mean) @ W`` has unit variance along directions of
    large variance, less along small ones.
    """
    feats = feats.astype(np.float64)
    return feats.mean(axis=0), _zca_matrix(np.cov(feats, rowvar=False), shrink)


def _zca_matrix(cov, shrink):
    """``W = V (L + shrink * mean(L))^(-1/2) V^T`` for the covariance ``cov = V L V^T``."""
    evals, evecs = np.linalg.eigh(cov)
    evals = np.maximum(evals, 0)
    scale = 1.0 / np.sqrt(evals + float(shrink) * max(evals.mean(), 1e-12))
    return (evecs * scale) @ evecs.T


def _stimulus_whitening(feats, trials, stimuli, shrink, *, require=True):
    """``(mean, W)``: ZCA whitening of how trials of the same stimulus differ.

    Every trial is summarised by the mean feature of its windows; the
    covariance is that of the trial means around the mean of the trials of
    the same stimulus (pooled over stimuli seen in at least two trials), so
    that directions in which recordings differ in their response to the same
    stimulus weigh less and directions the recordings share weigh more.
    ``mean`` is the mean of all windows.

    Parameters
    ----------
    feats : ndarray, shape (N, d)
    trials : ndarray, shape (N,)
        Trial of every window (unique over recordings).
    stimuli : ndarray, shape (N,)
        Stimulus of every window (equal for the windows of a trial).
    shrink : float
    require : bool
        No stimulus shown in two trials: an error (True) or ``None``.

    Returns
    -------
    mean : ndarray, shape (d,)
    W : ndarray, shape (d, d)
    n_stimuli : int
        Stimuli seen in at least two trials (those the covariance uses).
    """
    feats = feats.astype(np.float64)
    trial_set, first, inverse = np.unique(trials, return_index=True, return_inverse=True)
    counts = np.bincount(inverse)
    means = np.zeros((len(trial_set), feats.shape[1]))
    np.add.at(means, inverse, feats)
    means /= counts[:, None]
    stimuli = np.asarray(stimuli)
    trial_stim = stimuli[first]
    mixed = np.unique(trials[stimuli != trial_stim[inverse]])
    if len(mixed):
        raise ValueError(f"stimuli: the windows of trial(s) {mixed[:5].tolist()} name "
                         "different stimuli; every trial shows one stimulus")
    stim_set, stim_inv = np.unique(trial_stim, return_inverse=True)
    n_trials = np.bincount(stim_inv)
    shared = n_trials[stim_inv] >= 2
    if not shared.any():
        if not require:
            return None
        raise ValueError(
            f"stimulus whitening needs a stimulus shown in at least two trials (e.g. the "
            f"same film clip in two recordings); the {len(trial_set)} trials show "
            f"{len(stim_set)} different stimuli")
    stim_means = np.zeros((len(stim_set), feats.shape[1]))
    np.add.at(stim_means, stim_inv, means)
    stim_means /= n_trials[:, None]
    dev = (means - stim_means[stim_inv])[shared]
    n_used = int((n_trials >= 2).sum())
    cov = dev.T @ dev / max(len(dev) - n_used, 1)
    return feats.mean(axis=0), _zca_matrix(cov, shrink), n_used


def _logistic_probe(feats, y, C):
    """L2 logistic regression (inverse strength ``C``) on standardised features.

    Returns
    -------
    classes : ndarray
        The classes in ``y`` (rows of ``coef``).
    mean, std : ndarray, shape (d,)
        The standardisation.
    coef, intercept : ndarray, shapes (k, d) and (k,)
        The regression in standardised coordinates (two rows for two classes).
    """
    from sklearn.linear_model import LogisticRegression

    mean, std, z = _standardise(feats)
    lr = LogisticRegression(C=float(C), max_iter=5000).fit(z, y)
    coef, intercept = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # two classes: logit of class 1 against 0
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    return lr.classes_, mean, std, coef, intercept


def _fold_probe(probe, n_classes, white=None):
    """Weight and bias of a linear layer on the raw features that gives the probe's logits.

    Parameters
    ----------
    probe : tuple
        ``(classes, mean, std, coef, intercept)`` of :func:`_logistic_probe`
        (``classes``: rows of the layer, class indices in ``range(n_classes)``).
    n_classes : int
        Rows of the layer; classes absent from the probe's data get a bias of
        -1e4.
    white : tuple | None
        ``(mean, W)`` whitening applied to the features before the probe,
        folded into the layer too.

    Returns
    -------
    weight, bias : ndarray, shapes (n_classes, d) and (n_classes,)
    """
    classes, mean, std, coef, intercept = probe
    weight = np.zeros((n_classes, len(mean)))
    bias = np.full(n_classes, -1e4)  # classes absent from the probe's data
    weight[classes] = coef / std
    bias[classes] = intercept - weight[classes] @ mean
    if white is not None:  # fold the whitening into the layer too
        bias[classes] -= weight[classes] @ white[1] @ white[0]
        weight = weight @ white[1]
    return weight, bias


def _fit_attention(h, y, w, probe, *, C, max_iter=100):
    """Fit the attention vector to a linear probe on frozen per-modality features.

    Minimises the probe's objective over the attention vector ``w`` with the
    probe fixed: the mean cross-entropy of the probe's logits of the fused
    features plus ``|w|^2 / (2 C n)`` (the probe's L2 penalty), by L-BFGS in
    float64 from the given ``w``.

    Parameters
    ----------
    h : torch.Tensor, shape (n, 2, d)
        Projected EEG and eye features of the training windows.
    y : ndarray of int, shape (n,)
        Labels.
    w : torch.Tensor, shape (d,)
        Starting attention vector.
    probe : tuple
        ``(classes, mean, std, coef, intercept)`` of :func:`_logistic_probe`.
    C : float
        Inverse regularisation strength of the probe.
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    w : torch.Tensor, shape (d,)
        The fitted attention vector.
    """
    classes, mean, std, coef, intercept = (torch.as_tensor(np.asarray(a), dtype=torch.float64)
                                           for a in probe[:5])
    h = torch.as_tensor(h, dtype=torch.float64)
    yt = torch.as_tensor(np.searchsorted(classes.numpy(), y), dtype=torch.long)
    w = w.detach().cpu().double().clone().requires_grad_()
    penalty = 1.0 / (2.0 * C * len(yt))
    opt = torch.optim.LBFGS([w], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        z = (_attention_fuse(h, w) - mean) / std
        loss = (torch.nn.functional.cross_entropy(z @ coef.T + intercept, yt)
                + penalty * w.square().sum())
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach()
