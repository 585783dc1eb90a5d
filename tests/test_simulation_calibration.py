"""The simulators reproduce the real-data statistics of SPEC ("Real-data statistics").

Every statistic is computed here from the written files, independently of the
simulator's code: variance fractions of standardised features (between class /
between trial within class / within trial), lag-1 autocorrelation within trials,
inter-channel and inter-band correlation of DE, eye-feature quantiles, the NaN
pattern, and the per-recording accuracy of StandardScaler + linear SVC on the
paper's split. Tolerances allow for the sampling noise of the reduced sizes used.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from mne_mmvsstma.datasets import (
    SEED_IV_LABELS,
    SEED_LABELS,
    read_seed_iv_features,
    simulate_seed,
    simulate_seed_iv,
)
from mne_mmvsstma.features import compute_de
from mne_mmvsstma.features.smoothing import smooth_lds

# real SEED-IV eye quantiles (p1, median, p99), 1-based rows as in SPEC
EYE_TARGETS = {
    1: (51, 86, 142), 2: (35, 64, 109), 17: (122, 249, 502), 18: (51, 164, 463),
    19: (72, 79, 91), 21: (11, 18, 38), 24: (1.3, 2.5, 3.4), 25: (466, 1764, 14070),
    26: (2247, 9481, 33950), 28: (1, 2.4, 4), 29: (73, 79, 91), 31: (166, 329, 858),
}  # fmt: skip
HEAVY = {20: 612 / 5.8, 22: 1455 / 4.7, 27: 3545 / 228, 30: 603 / 5.8}


def _fractions(x, labels, trials):
    """Mean over features of the variance fractions of the z-scored features."""
    x = x.reshape(len(x), -1)
    x = np.where(np.isfinite(x), x, np.nanmean(x, axis=0))
    z = (x - x.mean(0)) / x.std(0)
    out = np.zeros(3)
    for k in np.unique(labels):
        mk = z[labels == k].mean(0)
        out[0] += (labels == k).sum() * (mk**2).mean()
        for t in np.unique(trials[labels == k]):
            zt = z[trials == t]
            out[1] += len(zt) * ((zt.mean(0) - mk) ** 2).mean()
            out[2] += ((zt - zt.mean(0)) ** 2).sum(0).mean()
    return out / len(z)


def _lag1(x, trials):
    x = x.reshape(len(x), -1)
    num = den = 0.0
    for t in np.unique(trials):
        d = x[trials == t] - np.nanmean(x[trials == t], 0)
        d = np.nan_to_num(d)
        num, den = num + (d[1:] * d[:-1]).sum(0), den + (d**2).sum(0)
    return float(np.mean(num[den > 0] / den[den > 0]))


def _svm_accuracy(x, labels, trials, n_train):
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    x = x.reshape(len(x), -1)
    x = np.where(np.isfinite(x), x, np.nanmean(x, axis=0))
    train = trials < n_train
    scaler = StandardScaler().fit(x[train])
    clf = SVC(kernel="linear").fit(scaler.transform(x[train]), labels[train])
    return float(np.mean(clf.predict(scaler.transform(x[~train])) == labels[~train]))


@pytest.fixture(scope="module")
def seed_de(tmp_path_factory):
    """1-s DE computed from simulated SEED raw EEG: 6 recordings, 15 trials x 40 s."""
    n_win = 40
    root = simulate_seed(
        tmp_path_factory.mktemp("seed_cal"), n_subjects=6, n_windows=n_win, features=False
    )
    out = []
    for fname in sorted((root / "Preprocessed_EEG").glob("[0-9]*_*.mat")):
        mat = scipy.io.loadmat(fname)
        keys = sorted((k for k in mat if "_eeg" in k), key=lambda k: int(k.split("_eeg")[1]))
        de = np.concatenate([compute_de(mat[k], 200.0, window=1.0, verbose=False) for k in keys])
        labels = np.repeat(SEED_LABELS[: len(keys)], n_win)
        out.append((de, labels, np.repeat(np.arange(len(keys)), n_win)))
    return out


def test_seed_raw_de_statistics(seed_de):
    frac = np.mean([_fractions(*rec) for rec in seed_de], axis=0) * 100
    print("SEED fractions", frac)
    assert np.all(np.abs(frac - [6.6, 33.4, 60.0]) < [2.5, 6.0, 6.0]), frac
    # 40-window trials bias the estimate down by ~(1 + 3 r) / n = 0.04 (real: 0.16)
    lag1 = np.mean([_lag1(de, tri) for de, _, tri in seed_de])
    assert 0.08 < lag1 < 0.22, lag1
    chan = np.mean(
        [
            [np.corrcoef(de[:, :, b].T)[np.triu_indices(62, 1)].mean() for b in range(5)]
            for de, _, _ in seed_de
        ],
        axis=0,
    )
    print("inter-channel", chan)
    np.testing.assert_allclose(chan, [0.39, 0.54, 0.59, 0.71, 0.71], atol=0.06)
    bands = np.mean([np.corrcoef(de.mean(1).T) for de, _, _ in seed_de], axis=0)
    off = bands[np.triu_indices(5, 1)]
    assert 0.6 < off.min() and off.max() < 0.95, bands
    neighbours = np.diag(bands, 1)
    assert neighbours.min() > bands[0, 2:].max() and neighbours.min() > bands[1, 3:].max()
    acc = [_svm_accuracy(de, lab, tri, 9) for de, lab, tri in seed_de]
    print("SEED SVM", acc)
    assert 0.55 < np.mean(acc) < 0.80  # real: 67-69 %


@pytest.fixture(scope="module")
def seed_iv_eye(tmp_path_factory):
    """Eye features of 10 subjects x 3 sessions at the real window counts."""
    root = simulate_seed_iv(
        tmp_path_factory.mktemp("seed_iv_cal"), n_subjects=10, sessions=(1, 2, 3), raw=False
    )
    return read_seed_iv_features(root, verbose=False)


def test_seed_iv_eye_statistics(seed_iv_eye):
    recs = seed_iv_eye
    frac = np.mean([_fractions(r.eye, r.labels, r.trial_ids) for r in recs], axis=0) * 100
    print("eye fractions", frac)
    np.testing.assert_allclose(frac[:2], [35, 64], atol=5)
    assert 0.3 < frac[2] < 1.5  # real 0.7 %
    lag1 = np.mean([_lag1(r.eye, r.trial_ids) for r in recs])
    assert 0.58 < lag1 < 0.72, lag1  # real 0.65
    acc = np.array([_svm_accuracy(r.eye, r.labels, r.trial_ids, 16) for r in recs]) * 100
    print(f"eye SVM {acc.mean():.1f} +- {acc.std():.1f}, min {acc.min():.1f} max {acc.max():.1f}")
    assert 48 < acc.mean() < 66 and 12 < acc.std() < 26  # real 56.9 / 18.4
    assert acc.min() < 35 and acc.max() > 75  # some recordings near chance, some high


def test_seed_iv_eye_scales_tails_nan(seed_iv_eye):
    recs = seed_iv_eye
    eye = np.concatenate([r.eye for r in recs])
    q = np.nanpercentile(eye, [1, 50, 99], axis=0).T
    for row, target in EYE_TARGETS.items():
        ratio = q[row - 1] / np.array(target)
        assert np.all((ratio > 1 / 1.4) & (ratio < 1.4)), (row, q[row - 1], target)
    for row, tail in HEAVY.items():  # p99 / median 15-300x as in the real files
        got = q[row - 1, 2] / q[row - 1, 1]
        assert tail / 2.5 < got < 2.5 * tail, (row, got, tail)
    blink = eye[:, 22]
    assert 0.03 < np.mean(blink[np.isfinite(blink)] == 0) < 0.12  # real: 7 % zeros
    # NaN in a minority of recordings only, ~0.8 % of their values
    nan_frac = np.array([np.isnan(r.eye).mean() for r in recs])
    assert 1 <= (nan_frac > 0).sum() <= len(recs) // 5
    assert np.all((nan_frac == 0) | ((nan_frac > 0.004) & (nan_frac < 0.015)))
    # recording-to-recording spread of the median: 0.3-0.9 within-recording std
    medians = np.array([np.nanmedian(r.eye, 0) for r in recs])
    stds = np.array([np.nanstd(r.eye, 0) for r in recs])
    spread = medians.std(0) / stds.mean(0)
    assert 0.3 < np.median(spread) < 0.9
    assert np.mean((spread > 0.25) & (spread < 1.0)) > 0.7


def test_seed_iv_raw_matches_feature_files(tmp_path):
    """DE of the raw EEG (4-s windows), LDS-smoothed, gives the de_LDS files."""
    root = simulate_seed_iv(tmp_path, n_subjects=1, n_trials=3, n_windows=8)
    raw = scipy.io.loadmat(next((root / "eeg_raw_data" / "1").glob("*.mat")))
    feat = scipy.io.loadmat(next((root / "eeg_feature_smooth" / "1").glob("*.mat")))
    keys = sorted((k for k in raw if "_eeg" in k), key=lambda k: int(k.split("_eeg")[1]))
    for t, key in enumerate(keys, start=1):
        de = compute_de(raw[key], 200.0, window=4.0, verbose=False)
        lds = smooth_lds(de, np.zeros(len(de), int))
        np.testing.assert_allclose(lds, feat[f"de_LDS{t}"].transpose(1, 0, 2), atol=0.05)
        # smoothed windows barely move within a trial (as in the real files)
        assert np.std(lds, axis=0).mean() < 0.1 * np.std(de, axis=0).mean()
    assert len(SEED_IV_LABELS[1]) == 24
