"""Smoothing of feature sequences within trials: LDS (Kalman + RTS) and moving average.

Both smoothers act along axis 0 (time, i.e. consecutive windows) independently
for every other feature dimension (channel x band, eye feature...), and within
each trial only: a trial's values never influence another trial's.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..utils import check_finite, check_int, check_option, fill_doc
from .windows import _trial_segments


def _check_features(features):
    features = np.asarray(features)
    if features.ndim < 1 or features.shape[0] == 0:
        raise ValueError(
            f"features must have at least one sample along axis 0 (time), got shape "
            f"{features.shape}"
        )
    if features.dtype.kind not in "fiu":
        raise TypeError(f"features must be numeric, got dtype {features.dtype}")
    check_finite(features, "features")
    out_dtype = features.dtype if features.dtype.kind == "f" else np.float64
    flat = features.reshape(features.shape[0], -1).astype(np.float64, copy=False)
    return features.shape, out_dtype, flat


def _check_positive(value, name, *, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    value = float(value)
    ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and ok):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {kind} number, got {value!r}")
    return value


def _lds_segment(x, q, r, v0):
    """Kalman filter + RTS smoother of one trial, x (n_t, n_dims), A = C = 1."""
    n_t = x.shape[0]
    mu = np.empty_like(x)
    # filtered variances V_t and predicted variances P_t = V_t + q (for t + 1);
    # they do not depend on the data, so they are scalars shared by all dims
    v = np.empty(n_t)
    p = np.empty(n_t)
    prior_mean = x.mean(axis=0)
    k = v0 / (v0 + r)
    mu[0] = prior_mean + k * (x[0] - prior_mean)
    v[0] = (1.0 - k) * v0
    for t in range(1, n_t):
        p[t - 1] = v[t - 1] + q
        k = p[t - 1] / (p[t - 1] + r)
        mu[t] = mu[t - 1] + k * (x[t] - mu[t - 1])
        v[t] = (1.0 - k) * p[t - 1]
    # Rauch-Tung-Striebel backward pass
    smoothed = np.empty_like(x)
    smoothed[-1] = mu[-1]
    for t in range(n_t - 2, -1, -1):
        j = v[t] / p[t]
        smoothed[t] = mu[t] + j * (smoothed[t + 1] - mu[t])
    return smoothed


@fill_doc
def smooth_lds(features, trial_ids, *, process_noise=1e-4, observation_noise=1.0, v0=0.01):
    """Smooth features with a linear dynamical system (Kalman filter + RTS smoother).

    The SEED ``*_LDS`` smoothing: for every feature dimension separately and
    within each trial, a scalar random-walk state-space model
    ``z_t = z_{t-1} + w_t``, ``x_t = z_t + e_t`` (``A = C = 1``) is filtered
    forward (Kalman) and smoothed backward (Rauch-Tung-Striebel). The prior of
    the first state has the trial's mean as mean and ``v0`` as variance; the
    first observation is filtered directly against that prior (no prediction
    step before it).

    Parameters
    ----------
    features : array-like, shape (n_samples, ...)
        Features in time order along axis 0 (e.g. ``(n, 62, 5)`` DE or
        ``(n, n_eye)`` eye features).
    %(trial_ids)s
    process_noise : float
        Variance ``Q`` of the random-walk state noise ``w_t``.
    observation_noise : float
        Variance ``R`` of the observation noise ``e_t``.
    v0 : float
        Variance of the prior of the first state.

    Returns
    -------
    smoothed : ndarray, shape (n_samples, ...)
        Smoothed features (input float dtype, else float64).
    """
    shape, dtype, flat = _check_features(features)
    q = _check_positive(process_noise, "process_noise", allow_zero=True)
    r = _check_positive(observation_noise, "observation_noise")
    v0 = _check_positive(v0, "v0")
    starts, stops = _trial_segments(trial_ids, shape[0])
    out = np.empty_like(flat)
    for s, e in zip(starts, stops):
        out[s:e] = _lds_segment(flat[s:e], q, r, v0)
    return out.reshape(shape).astype(dtype, copy=False)


@fill_doc
def moving_average(features, trial_ids, *, size=5, mode="centered"):
    """Moving-average smoothing of features within each trial.

    Parameters
    ----------
    features : array-like, shape (n_samples, ...)
        Features in time order along axis 0.
    %(trial_ids)s
    size : int
        Number of samples averaged.
    mode : ``"centered"`` | ``"causal"``
        ``"centered"``: sample ``i`` averages samples ``i - size // 2`` to
        ``i + (size - 1) // 2``; ``"causal"``: samples ``i - size + 1`` to ``i``.
        Near trial boundaries the window is truncated to the samples of the
        same trial (the mean is over the available samples), so values never
        mix trials.

    Returns
    -------
    smoothed : ndarray, shape (n_samples, ...)
        Smoothed features (input float dtype, else float64).
    """
    check_option("mode", mode, ("centered", "causal"))
    size = check_int(size, "size")
    shape, dtype, flat = _check_features(features)
    n = shape[0]
    starts, stops = _trial_segments(trial_ids, n)
    lengths = stops - starts
    first = np.repeat(starts, lengths)
    last = np.repeat(stops, lengths) - 1
    idx = np.arange(n)
    before, after = (size // 2, (size - 1) // 2) if mode == "centered" else (size - 1, 0)
    lo = np.maximum(idx - before, first)
    hi = np.minimum(idx + after, last)
    csum = np.zeros((n + 1, flat.shape[1]))
    np.cumsum(flat, axis=0, out=csum[1:])
    out = (csum[hi + 1] - csum[lo]) / (hi - lo + 1)[:, None]
    return out.reshape(shape).astype(dtype, copy=False)
