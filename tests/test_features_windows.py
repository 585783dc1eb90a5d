"""Tests of make_windows: windows never mix trials."""

import numpy as np
import pytest

from mne_mmvsstma.features import make_windows
from mne_mmvsstma.features.windows import Windows

LENGTHS = [12, 3, 1, 10, 7]


@pytest.fixture
def data(rng):
    trial_ids = np.repeat([4, 0, 9, 2, 1], LENGTHS)
    n = len(trial_ids)
    # encode the sample index in every value, so that windows can be decoded
    features = np.arange(n, dtype=float)[:, None, None] + np.zeros((1, 3, 2))
    features[..., 1] += 0.5
    eye = np.arange(n, dtype=float)[:, None] * np.array([1.0, -1.0, 2.0, 10.0])[None]
    labels = rng.integers(0, 4, n)
    return features, trial_ids, eye, labels


def _expected_source(trial_ids, t):
    """Source sample of every window position, computed one window at a time."""
    rows = []
    for i in range(len(trial_ids)):
        first = i
        while first > 0 and trial_ids[first - 1] == trial_ids[i]:
            first -= 1
        rows.append([max(j, first) for j in range(i - t + 1, i + 1)])
    return np.array(rows)


@pytest.mark.parametrize("t", [1, 4, 10])
def test_pad_windows(data, t):
    features, trial_ids, eye, labels = data
    win = make_windows(features, trial_ids, t, labels=labels, eye=eye)
    assert isinstance(win, Windows)
    n = len(trial_ids)
    assert win.eeg.shape == (n, 3, t, 2) and win.eeg.dtype == np.float32
    assert win.eye.shape == (n, 4, t, 1) and win.eye.dtype == np.float32
    np.testing.assert_array_equal(win.index, np.arange(n))
    np.testing.assert_array_equal(win.labels, labels)
    np.testing.assert_array_equal(win.trial_ids, trial_ids)
    src = _expected_source(trial_ids, t)
    np.testing.assert_array_equal(win.eeg[:, 0, :, 0], src)  # (N, T) sample indices
    np.testing.assert_array_equal(win.eeg[:, 2, :, 1], src + 0.5)
    np.testing.assert_array_equal(win.eye[:, 3, :, 0], 10 * src)
    # the last position is the current sample; no window holds another trial's sample
    np.testing.assert_array_equal(win.eeg[:, 0, -1, 0], np.arange(n))
    assert np.all(trial_ids[src] == win.trial_ids[:, None])


def test_drop_windows(data):
    features, trial_ids, eye, labels = data
    t = 4
    win = make_windows(features, trial_ids, t, labels=labels, eye=eye, start="drop")
    n_expected = sum(max(length - t + 1, 0) for length in LENGTHS)
    assert win.eeg.shape == (n_expected, 3, t, 2)
    src = win.eeg[:, 0, :, 0].astype(int)
    np.testing.assert_array_equal(np.diff(src, axis=1), 1)  # full consecutive windows
    assert np.all(trial_ids[src] == win.trial_ids[:, None])
    np.testing.assert_array_equal(src[:, -1], win.index)
    np.testing.assert_array_equal(win.labels, labels[win.index])
    np.testing.assert_array_equal(win.eye[:, 0, :, 0], src)
    assert set(win.trial_ids) == {4, 2, 1}  # trials of 3 and 1 samples give no window
    with pytest.raises(ValueError, match="no window of 13 samples fits"):
        make_windows(features, trial_ids, 13, start="drop")


def test_optional_outputs_none(data):
    features, trial_ids, _, _ = data
    win = make_windows(features, trial_ids, n_windows=2)
    assert win.eye is None and win.labels is None


def _reappearing_trial(features, trial_ids, eye, labels):
    ids = trial_ids.copy()
    ids[-1] = 4  # trial 4 reappears after other trials
    make_windows(features, ids)


def _nan_in_features(features, trial_ids, eye, labels):
    bad = features.copy()
    bad[3, 0, 0] = np.nan
    make_windows(bad, trial_ids)


def _nan_in_eye(features, trial_ids, eye, labels):
    bad_eye = eye.copy()
    bad_eye[5, 1] = np.nan
    make_windows(features, trial_ids, eye=bad_eye)


@pytest.mark.parametrize(
    "call, match",
    [
        pytest.param(
            _reappearing_trial,
            "not contiguous: trial 4 reappears at sample 32",
            id="trial-not-contiguous",
        ),
        pytest.param(_nan_in_features, "^features contains 1 NaN", id="features-nan"),
        pytest.param(_nan_in_eye, "^eye .*contains 1 NaN", id="eye-nan"),
        pytest.param(
            lambda f, t, e, l: make_windows(f, t, 0),
            "n_windows must be an int >= 1",
            id="n_windows-zero",
        ),
        pytest.param(
            lambda f, t, e, l: make_windows(f, t, start="zero"),
            "Invalid value for the 'start' parameter",
            id="start-unknown",
        ),
        pytest.param(
            lambda f, t, e, l: make_windows(f[:, 0], t),
            "shape \\(n_samples, n_channels, n_bands\\)",
            id="features-2d",
        ),
        pytest.param(
            lambda f, t, e, l: make_windows(f, t[:3]),
            "trial_ids has 3 entries",
            id="trial_ids-too-short",
        ),
        pytest.param(
            lambda f, t, e, l: make_windows(f, t, labels=l[:-1]),
            "labels must have shape",
            id="labels-too-short",
        ),
        pytest.param(
            lambda f, t, e, l: make_windows(f, t, eye=e[:, :, None]),
            "eye must have shape",
            id="eye-3d",
        ),
    ],
)
def test_window_errors(data, call, match):
    with pytest.raises(ValueError, match=match):
        call(*data)
