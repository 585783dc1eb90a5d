"""Tests of BandScaler and EyeRescaler: statistics come from training data only."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mne_mmvsstma.features import BandScaler, EyeRescaler


def test_band_scaler_uses_training_statistics(rng):
    train = rng.normal(loc=[10, 20, 30, 40, 50], scale=[1, 2, 3, 4, 5], size=(40, 6, 5))
    test = rng.normal(loc=100.0, size=(7, 6, 5))
    scaler = BandScaler().fit(train)
    mean = np.array([train[..., b].mean() for b in range(5)])
    std = np.array([train[..., b].std() for b in range(5)])
    np.testing.assert_allclose(scaler.mean_, mean)
    np.testing.assert_allclose(scaler.scale_, std)
    np.testing.assert_allclose(scaler.transform(test), (test - mean) / std)
    out = scaler.fit_transform(train)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 1)), 1)
    # test statistics never enter: a refit on train + transform is unchanged by the test set
    np.testing.assert_array_equal(
        clone(scaler).fit(train).transform(test[:3]), scaler.transform(test)[:3]
    )
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)


def test_band_scaler_windows_and_per_channel(rng):
    x = rng.normal(size=(30, 4, 5)) * np.arange(1, 5)[None, :, None] + np.arange(5)
    windows = np.stack([x, x[::-1]], axis=2)  # (N, C, T=2, F)
    a = BandScaler().fit(x)
    b = BandScaler().fit(windows)
    np.testing.assert_allclose(a.mean_, b.mean_)
    np.testing.assert_allclose(a.scale_, b.scale_)
    np.testing.assert_allclose(a.transform(windows)[:, :, 0], a.transform(x))
    pc = BandScaler(per_channel=True).fit(x)
    assert pc.mean_.shape == (4, 5)
    np.testing.assert_allclose(pc.scale_, x.std(axis=0))
    out = pc.transform(windows)
    np.testing.assert_allclose(out.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2)), 1)
    x32 = x.astype(np.float32)
    assert BandScaler().fit(x32).transform(x32).dtype == np.float32
    const = np.ones((5, 2, 3))
    np.testing.assert_array_equal(BandScaler().fit_transform(const), 0.0)


def _with_nan(x, index):
    bad = x.copy()
    bad[index] = np.nan
    return bad


@pytest.mark.parametrize(
    "call, exc, match",
    [
        pytest.param(lambda x: BandScaler().transform(x), NotFittedError, None, id="not-fitted"),
        pytest.param(
            lambda x: BandScaler().fit(_with_nan(x, (0, 0, 0))),
            ValueError,
            "X contains 1 NaN",
            id="fit-nan",
        ),
        pytest.param(
            lambda x: BandScaler().fit(x).transform(_with_nan(x, (0, 0, 0))),
            ValueError,
            "X contains 1 NaN",
            id="transform-nan",
        ),
        pytest.param(
            lambda x: BandScaler().fit(x).transform(x[..., :4]),
            ValueError,
            "4 bands .* fitted on 5",
            id="transform-wrong-n_bands",
        ),
        pytest.param(
            lambda x: BandScaler().fit(x).fit(x[0]),
            ValueError,
            "3 or 4 dimensions",
            id="refit-2d",
        ),
        pytest.param(
            lambda x: BandScaler(per_channel=True).fit(x).transform(x[:, :2]),
            ValueError,
            "2 channels .* fitted on 3",
            id="per_channel-wrong-n_channels",
        ),
    ],
)
def test_band_scaler_errors(rng, call, exc, match):
    x = rng.normal(size=(10, 3, 5))
    with pytest.raises(exc, match=match):
        call(x)


def test_eye_rescaler(rng):
    train = rng.normal(size=(50, 4)) * [1, 10, 100, 0.1] + [0, 5, -3, 2]
    train[:, 3] = 2.0  # constant feature
    scaler = EyeRescaler().fit(train)
    out = scaler.transform(train)
    np.testing.assert_allclose(out[:, :3].min(axis=0), 10.0)
    np.testing.assert_allclose(out[:, :3].max(axis=0), 100.0)
    np.testing.assert_allclose(out[:, 3], 55.0)  # constant -> middle of the range
    lo, hi = train.min(axis=0), train.max(axis=0)
    test = rng.normal(size=(6, 4)) * 300
    expected = 10 + (test[:, :3] - lo[:3]) / (hi[:3] - lo[:3]) * 90
    np.testing.assert_allclose(scaler.transform(test)[:, :3], expected)
    np.testing.assert_allclose(scaler.transform(test)[:, 3], 55 + test[:, 3] - 2.0)
    assert scaler.transform(test).max() > 100  # outside the training range, no clipping
    clipped = EyeRescaler(clip=True).fit(train).transform(test)
    assert clipped.min() >= 10 and clipped.max() <= 100
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)
    # windows (N, n_eye, T, 1) use the same per-feature statistics
    windows = np.stack([train, train[::-1]], axis=2)[..., None]
    w_out = EyeRescaler(low=0.0, high=1.0).fit(windows).transform(windows)
    assert w_out.shape == windows.shape
    np.testing.assert_allclose(w_out[:, :3].min(axis=(0, 2, 3)), 0.0)
    np.testing.assert_allclose(w_out[:, :3].max(axis=(0, 2, 3)), 1.0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        pytest.param(lambda x: EyeRescaler().transform(x), NotFittedError, None, id="not-fitted"),
        pytest.param(
            lambda x: EyeRescaler().fit(_with_nan(x, (2, 5))),
            ValueError,
            "X .*contains 1 NaN.*fill_eye_nan",
            id="fit-nan",
        ),
        pytest.param(
            lambda x: EyeRescaler().fit(x).transform(_with_nan(x, (2, 5))),
            ValueError,
            "contains 1 NaN",
            id="transform-nan",
        ),
        pytest.param(
            lambda x: EyeRescaler().fit(x).transform(x[:, :30]),
            ValueError,
            "30 eye features .* fitted on 31",
            id="transform-wrong-n_features",
        ),
        pytest.param(
            lambda x: EyeRescaler(low=100.0, high=10.0).fit(x),
            ValueError,
            "low < high",
            id="low-above-high",
        ),
        pytest.param(
            lambda x: EyeRescaler().fit(x[..., None]),
            ValueError,
            "2 or 4 dimensions",
            id="fit-3d",
        ),
    ],
)
def test_eye_rescaler_errors(rng, call, exc, match):
    x = rng.normal(size=(10, 31))
    with pytest.raises(exc, match=match):
        call(x)


def test_robust_eye_scaler_against_an_independent_computation():
    from mne_mmvsstma.features import RobustEyeScaler

    rng = np.random.default_rng(0)
    n = 2000
    normal = rng.normal(50, 5, n)  # not skewed: kept linear
    heavy = np.exp(rng.normal(1.5, 1.5, n))  # p99 / median ~ 30: log1p
    signed = rng.standard_t(2, n)  # negative values: never logged
    X = np.stack([normal, heavy, signed], axis=1)
    sc = RobustEyeScaler(clip=5.0).fit(X)
    np.testing.assert_array_equal(sc.log_, [False, True, False])
    out = sc.transform(X)
    for j, col in enumerate([normal, np.log1p(heavy), signed]):
        q25, q50, q75 = np.percentile(col, [25, 50, 75])
        expected = np.clip((col - q50) / ((q75 - q25) / 1.349), -5, 5)
        np.testing.assert_allclose(out[:, j], expected, rtol=1e-10, atol=1e-12)
    # the min-max rescaling of the paper squeezes the heavy feature near its bottom
    from mne_mmvsstma.features import EyeRescaler

    minmax = EyeRescaler().fit_transform(X)[:, 1]
    assert np.median(minmax) < 12 and np.ptp(np.percentile(out[:, 1], [5, 95])) > 2
    # windows (N, n_eye, T, 1) give the same values as per-sample features
    win = np.repeat(X[:, :, None, None], 3, axis=2)
    np.testing.assert_allclose(RobustEyeScaler().fit(win).transform(win)[:, :, 1, 0],
                               out, rtol=1e-10)
    with pytest.raises(ValueError, match="3 eye features.*fitted on"):
        RobustEyeScaler().fit(X[:, :2]).transform(X)
