"""Tests of LDS and moving-average smoothing against plain loop implementations."""

import numpy as np
import pytest

from mne_mmvsstma.features import moving_average, smooth_lds


def _lds_loop(seq, q=1e-4, r=1.0, v0=0.01):
    """Scalar Kalman filter + RTS smoother of one 1-D sequence, written out in full."""
    n = len(seq)
    a = c = 1.0
    u0 = sum(seq) / n
    mu, v, p = [0.0] * n, [0.0] * n, [0.0] * n
    k = v0 * c / (c * v0 * c + r)
    mu[0] = u0 + k * (seq[0] - c * u0)
    v[0] = (1 - k * c) * v0
    for t in range(1, n):
        p[t - 1] = a * v[t - 1] * a + q
        k = p[t - 1] * c / (c * p[t - 1] * c + r)
        mu[t] = a * mu[t - 1] + k * (seq[t] - c * a * mu[t - 1])
        v[t] = (1 - k * c) * p[t - 1]
    out = [0.0] * n
    out[-1] = mu[-1]
    for t in range(n - 2, -1, -1):
        j = v[t] * a / p[t]
        out[t] = mu[t] + j * (out[t + 1] - a * mu[t])
    return np.array(out)


def _per_dim_per_trial(func, features, trial_ids, **kwargs):
    flat = features.reshape(len(features), -1)
    out = np.empty_like(flat, dtype=float)
    for tid in np.unique(trial_ids):
        rows = np.flatnonzero(trial_ids == tid)
        for d in range(flat.shape[1]):
            out[rows, d] = func(list(flat[rows, d]), **kwargs)
    return out.reshape(features.shape)


@pytest.fixture
def trial_data(rng):
    trial_ids = np.repeat([3, 0, 7, 1], [9, 1, 14, 2])  # any ids, incl. 1-sample trial
    features = rng.normal(loc=15.0, scale=2.0, size=(len(trial_ids), 4, 5))
    return features, trial_ids


def test_lds_matches_loop(trial_data):
    features, trial_ids = trial_data
    out = smooth_lds(features, trial_ids)
    assert out.shape == features.shape and out.dtype == np.float64
    np.testing.assert_allclose(out, _per_dim_per_trial(_lds_loop, features, trial_ids), rtol=1e-12)
    # other noise parameters
    kw = dict(q=0.05, r=0.5, v0=2.0)
    out = smooth_lds(features, trial_ids, process_noise=0.05, observation_noise=0.5, v0=2.0)
    np.testing.assert_allclose(
        out, _per_dim_per_trial(_lds_loop, features, trial_ids, **kw), rtol=1e-12
    )
    # 2-D (eye) features, float32 kept
    eye = features[:, 0].astype(np.float32)
    out = smooth_lds(eye, trial_ids)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _per_dim_per_trial(_lds_loop, eye, trial_ids), rtol=1e-5)


def test_lds_smooths_and_stays_within_trials(rng):
    trial_ids = np.repeat([0, 1], 200)
    clean = np.concatenate([np.full(200, 10.0), np.full(200, 30.0)])
    noisy = clean + rng.normal(size=400)
    out = smooth_lds(noisy[:, None], trial_ids)[:, 0]
    # strong denoising, and the 20-unit jump between trials is not smeared
    assert np.abs(out - clean).std() < 0.35 * np.abs(noisy - clean).std()
    assert abs(out[199] - 10) < 1 and abs(out[200] - 30) < 1
    # changing one trial leaves the other untouched
    changed = noisy.copy()
    changed[200:] += 100.0
    out2 = smooth_lds(changed[:, None], trial_ids)[:, 0]
    np.testing.assert_array_equal(out2[:200], out[:200])


def _ma_loop(seq, size, mode):
    n = len(seq)
    before, after = (size // 2, (size - 1) // 2) if mode == "centered" else (size - 1, 0)
    out = []
    for i in range(n):
        vals = [seq[j] for j in range(i - before, i + after + 1) if 0 <= j < n]
        out.append(sum(vals) / len(vals))
    return np.array(out)


@pytest.mark.parametrize("size", [1, 2, 5, 6, 30])
@pytest.mark.parametrize("mode", ["centered", "causal"])
def test_moving_average_matches_loop(trial_data, size, mode):
    features, trial_ids = trial_data
    out = moving_average(features, trial_ids, size=size, mode=mode)
    expected = _per_dim_per_trial(_ma_loop, features, trial_ids, size=size, mode=mode)
    np.testing.assert_allclose(out, expected, rtol=1e-10)
    if size == 1:
        np.testing.assert_allclose(out, features, rtol=1e-12)


def test_moving_average_within_trials(rng):
    trial_ids = np.repeat([5, 2], [10, 10])
    x = rng.normal(size=(20, 3))
    ref = moving_average(x, trial_ids, size=5)
    x2 = x.copy()
    x2[10:] = 1e6
    np.testing.assert_array_equal(moving_average(x2, trial_ids, size=5)[:10], ref[:10])


def _nan_in_features(func, features, trial_ids):
    bad = features.copy()
    bad[2, 1, 0] = np.nan
    func(bad, trial_ids)


@pytest.mark.parametrize(
    "call, match",
    [
        pytest.param(
            lambda func, f, t: func(f[:12], np.r_[t[:10], [3, 3]]),
            "not contiguous: trial 3 reappears",
            id="trial-not-contiguous",
        ),
        pytest.param(
            lambda func, f, t: func(f, t[:5]), "trial_ids has 5 entries", id="trial_ids-too-short"
        ),
        pytest.param(_nan_in_features, "features contains 1 NaN", id="features-nan"),
        pytest.param(
            lambda func, f, t: func(f[:0], t[:0]), "at least one sample", id="no-samples"
        ),
    ],
)
@pytest.mark.parametrize("func", [smooth_lds, moving_average], ids=lambda f: f.__name__)
def test_smoothing_errors(trial_data, func, call, match):
    with pytest.raises(ValueError, match=match):
        call(func, *trial_data)


@pytest.mark.parametrize(
    "func, kwargs, match",
    [
        pytest.param(
            smooth_lds,
            dict(observation_noise=0),
            "observation_noise must be a finite positive",
            id="smooth_lds-observation_noise-zero",
        ),
        pytest.param(
            smooth_lds,
            dict(process_noise=-1),
            "process_noise",
            id="smooth_lds-process_noise-negative",
        ),
        pytest.param(
            moving_average,
            dict(size=0),
            "size must be an int >= 1",
            id="moving_average-size-zero",
        ),
        pytest.param(
            moving_average,
            dict(mode="future"),
            "Invalid value for the 'mode' parameter",
            id="moving_average-mode-unknown",
        ),
    ],
)
def test_smoothing_parameter_errors(trial_data, func, kwargs, match):
    features, trial_ids = trial_data
    with pytest.raises(ValueError, match=match):
        func(features, trial_ids, **kwargs)
