"""SEED-IV: simulated real layout -> readers (raw, epochs, features), label tables, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import mne
import numpy as np
import pytest
import scipy.io
from mne.utils import catch_logging

from mne_mmvsstma.channels import SEED_CH_NAMES, create_seed_info, make_seed_montage
from mne_mmvsstma.datasets import (
    EYE_FEATURE_NAMES,
    SEED_IV_EVENT_ID,
    SEED_IV_LABELS,
    SEED_IV_N_WINDOWS,
    read_epochs_seed_iv,
    read_raw_seed_iv,
    read_seed_iv_features,
)
from mne_mmvsstma.datasets._io import find_subject_files
from mne_mmvsstma.features import fill_eye_nan
from mne_mmvsstma.simulation import simulate_seed_iv

N_TRIALS = 5
N_WIN = 3


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """2 subjects x 2 sessions x 5 trials x 3 windows, raw and features."""
    path = tmp_path_factory.mktemp("seed_iv")
    out = simulate_seed_iv(
        path, n_subjects=2, sessions=(1, 2), n_trials=N_TRIALS, n_windows=N_WIN, eye_nan=0.05
    )
    assert out == path
    return path


def _raw_file(root, subject=1, session=1):
    (path,) = (root / "eeg_raw_data" / str(session)).glob(f"{subject}_*.mat")
    return path


def _copy_to(tmp_path, root, sub="eeg_raw_data"):
    dst = tmp_path / "copy"
    shutil.copytree(root, dst)
    return dst


def _rewrite(path, change):
    """Load a .mat, let ``change`` edit the dict, write it back (key order kept)."""
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    change(mat)
    scipy.io.savemat(path, mat)


# --------------------------------------------------------------------------- tables


def test_label_tables():
    assert SEED_IV_EVENT_ID == {"neutral": 0, "sad": 1, "fear": 2, "happy": 3}
    assert sorted(SEED_IV_LABELS) == [1, 2, 3] == sorted(SEED_IV_N_WINDOWS)
    for session in (1, 2, 3):
        labels = np.array(SEED_IV_LABELS[session])
        assert labels.shape == (24,)
        # 6 trials per emotion in every session
        np.testing.assert_array_equal(np.bincount(labels), [6, 6, 6, 6])
        assert len(SEED_IV_N_WINDOWS[session]) == 24
    assert SEED_IV_LABELS[1][:5] == (1, 2, 3, 0, 2)
    assert SEED_IV_LABELS[3][-3:] == (0, 1, 0)
    assert SEED_IV_N_WINDOWS[2][:3] == (55, 25, 34)
    assert sum(SEED_IV_N_WINDOWS[1]) == 851
    assert len(EYE_FEATURE_NAMES) == 31 == len(set(EYE_FEATURE_NAMES))
    assert all(name.startswith("pupil") for name in EYE_FEATURE_NAMES[:12])
    assert all(name.startswith("dispersion") for name in EYE_FEATURE_NAMES[12:16])
    assert EYE_FEATURE_NAMES[22] == "blink_frequency"
    assert EYE_FEATURE_NAMES[30] == "saccade_latency_average"


# --------------------------------------------------------------------------- layout


def test_simulated_layout(root):
    tree = sorted(str(p.relative_to(root)) for p in root.rglob("*.mat"))
    names = ["1_20160518.mat", "2_20160521.mat", "1_20160601.mat", "2_20160604.mat"]
    expected = sorted(
        f"{folder}/{ses}/{name}"
        for folder in ("eeg_raw_data", "eeg_feature_smooth", "eye_feature_smooth")
        for ses, name in zip((1, 1, 2, 2), names)
    )
    assert tree == expected
    feat = scipy.io.whosmat(root / "eeg_feature_smooth" / "1" / "1_20160518.mat")
    keys = [k for k, _, _ in feat]
    assert keys[:5] == ["de_movingAve1", "de_LDS1", "psd_movingAve1", "psd_LDS1", "de_movingAve2"]
    assert len(keys) == 4 * N_TRIALS
    assert all(shape == (62, N_WIN, 5) and cls == "double" for _, shape, cls in feat)
    eye = scipy.io.whosmat(root / "eye_feature_smooth" / "1" / "1_20160518.mat")
    assert [k for k, _, _ in eye] == [f"eye_{t}" for t in range(1, N_TRIALS + 1)]
    assert all(shape == (31, N_WIN) for _, shape, _ in eye)
    raw = scipy.io.whosmat(_raw_file(root))
    prefixes = {k.split("_eeg")[0] for k, _, _ in raw}
    assert len(prefixes) == 1 and prefixes.pop().isalpha()
    assert all(shape == (62, 800 * N_WIN + 1) for _, shape, _ in raw)
    # DE values on the scale of the official files
    de = scipy.io.loadmat(root / "eeg_feature_smooth" / "1" / "1_20160518.mat")["de_LDS1"]
    assert 5 < de.min() and de.max() < 35


def test_simulate_reproducible_and_real_size_counts(tmp_path):
    a = simulate_seed_iv(tmp_path / "a", n_subjects=1, n_trials=2, raw=False, random_state=3)
    b = simulate_seed_iv(tmp_path / "b", n_subjects=2, n_trials=2, raw=False, random_state=3)
    c = simulate_seed_iv(tmp_path / "c", n_subjects=1, n_trials=2, raw=False, random_state=4)
    rel = Path("eeg_feature_smooth", "1", "1_20160518.mat")
    ma, mb, mc = (scipy.io.loadmat(r / rel) for r in (a, b, c))
    # real window counts by default; subject 1 does not depend on n_subjects
    assert ma["de_LDS1"].shape == (62, SEED_IV_N_WINDOWS[1][0], 5)
    assert ma["de_LDS2"].shape == (62, SEED_IV_N_WINDOWS[1][1], 5)
    np.testing.assert_array_equal(ma["de_LDS1"], mb["de_LDS1"])
    assert not np.allclose(ma["de_LDS1"], mc["de_LDS1"])
    assert not (a / "eeg_raw_data").exists()
    with pytest.raises(ValueError, match="sessions"):
        simulate_seed_iv(tmp_path / "d", sessions=(4,))
    with pytest.raises(ValueError, match="n_trials"):
        simulate_seed_iv(tmp_path / "d", n_trials=25)
    with pytest.raises(ValueError, match="n_windows"):
        simulate_seed_iv(tmp_path / "d", n_trials=2, n_windows=[1, 2, 3])
    with pytest.raises(ValueError, match="eye_nan"):
        simulate_seed_iv(tmp_path / "d", eye_nan=1.5)


# --------------------------------------------------------------------------- raw / epochs


def test_read_raw_round_trip(root):
    fname = _raw_file(root, subject=2, session=2)
    mat = scipy.io.loadmat(fname)
    keys = sorted((k for k in mat if "_eeg" in k), key=lambda k: int(k.split("_eeg")[1]))
    raw = read_raw_seed_iv(fname)
    assert isinstance(raw, mne.io.BaseRaw)
    assert raw.ch_names == SEED_CH_NAMES
    assert raw.info["sfreq"] == 200.0
    assert raw.n_times == N_TRIALS * (800 * N_WIN + 1)
    expected = np.concatenate([mat[k] for k in keys], axis=1) * 1e-6
    np.testing.assert_array_equal(raw.get_data(), expected)
    # montage positions
    pos = raw.get_montage().get_positions()["ch_pos"]
    ref = create_seed_info(200.0).get_montage().get_positions()["ch_pos"]
    assert set(ref) == set(make_seed_montage().ch_names)
    for ch in SEED_CH_NAMES:
        np.testing.assert_allclose(pos[ch], ref[ch])
    # one annotation per trial, with the trial number, plus boundaries
    annot = raw.annotations
    trial_idx = [i for i, e in enumerate(annot.extras) if e and "trial" in e]
    assert len(trial_idx) == N_TRIALS
    codes = {v: k for k, v in SEED_IV_EVENT_ID.items()}
    n = 800 * N_WIN + 1
    for t, i in enumerate(trial_idx):
        assert annot.extras[i]["trial"] == t
        assert annot.extras[i]["key"] == keys[t]
        assert annot.extras[i]["session"] == 2 and annot.extras[i]["subject"] == 2
        assert annot.extras[i]["label"] == SEED_IV_LABELS[2][t]
        assert annot.description[i] == codes[SEED_IV_LABELS[2][t]]
        assert annot.onset[i] == pytest.approx(t * n / 200.0)
        assert annot.duration[i] == pytest.approx(n / 200.0)
    assert list(annot.description).count("EDGE boundary") == N_TRIALS - 1
    assert raw.info["meas_date"].strftime("%Y%m%d") == fname.stem.split("_")[1]
    assert raw.info["subject_info"]["id"] == 2


def test_read_epochs(root):
    fname = _raw_file(root)
    raw = read_raw_seed_iv(fname)
    epochs = read_epochs_seed_iv(fname)
    assert isinstance(epochs, mne.BaseEpochs)
    assert epochs.event_id == {"neutral": 1, "sad": 2, "fear": 3, "happy": 4}
    assert len(epochs) == N_TRIALS * N_WIN
    assert epochs.times[-1] == pytest.approx(4.0 - 1 / 200)
    md = epochs.metadata
    assert list(md.columns) == ["dataset", "subject", "session", "trial", "window", "label"]
    assert (md["dataset"] == "SEED-IV").all() and (md["subject"] == 1).all()
    np.testing.assert_array_equal(md["trial"], np.repeat(np.arange(N_TRIALS), N_WIN))
    np.testing.assert_array_equal(md["window"], np.tile(np.arange(N_WIN), N_TRIALS))
    np.testing.assert_array_equal(md["label"], np.repeat(SEED_IV_LABELS[1][:N_TRIALS], N_WIN))
    np.testing.assert_array_equal(epochs.events[:, 2], md["label"] + 1)
    # windows start at trial starts and never reach the next trial: the +1 sample is dropped
    n = 800 * N_WIN + 1
    starts = np.arange(N_TRIALS) * n
    np.testing.assert_array_equal(
        epochs.events[:, 0], (starts[:, None] + 800 * np.arange(N_WIN)).ravel()
    )
    data = raw.get_data()
    np.testing.assert_array_equal(epochs.get_data()[N_WIN], data[:, n : n + 800])
    last = epochs.events[-1, 0] + 800
    assert last == N_TRIALS * n - 1  # only the extra sample of the trial is left
    # selection by emotion name works
    fear = epochs["fear"]
    assert (fear.metadata["label"] == 2).all()
    # other window length, still inside trials
    ep2 = read_epochs_seed_iv(fname, window=2.0)
    assert len(ep2) == N_TRIALS * 2 * N_WIN
    with pytest.raises(ValueError, match="whole number of samples"):
        read_epochs_seed_iv(fname, window=0.0123)
    with pytest.raises(ValueError, match="positive"):
        read_epochs_seed_iv(fname, window=-1.0)


def test_read_raw_session_inference(root, tmp_path):
    src = _raw_file(root, session=2)
    dst = tmp_path / "flat" / src.name
    dst.parent.mkdir()
    shutil.copy(src, dst)
    with pytest.raises(ValueError, match="Cannot infer the SEED-IV session.*pass session="):
        read_raw_seed_iv(dst)
    with pytest.raises(ValueError, match="5 of the 24 EEG trials.*allow_partial=True"):
        read_raw_seed_iv(dst, session=2)  # the copy left the simulated folder behind
    raw = read_raw_seed_iv(dst, session=2, allow_partial=True)
    assert raw.annotations.extras[0]["session"] == 2
    with pytest.raises(ValueError, match="sessions \\[1, 2, 3\\] only"):
        read_raw_seed_iv(dst, session=4)
    bad = tmp_path / "1" / "subject1.mat"
    bad.parent.mkdir()
    shutil.copy(src, bad)
    with pytest.raises(ValueError, match="Cannot parse the subject.*subject1.mat"):
        read_raw_seed_iv(bad)
    with pytest.raises(FileNotFoundError, match="not found.*9_20160518.mat"):
        read_raw_seed_iv(tmp_path / "1" / "9_20160518.mat")


# --------------------------------------------------------------------------- features


def test_read_features_round_trip(root):
    recs = read_seed_iv_features(root, verbose=False)
    assert [(r.subject, r.session) for r in recs] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    for rec in recs:
        assert rec.dataset == "SEED-IV"
        path = Path(rec.fname)
        assert path.parent.name == str(rec.session) and path.name.startswith(f"{rec.subject}_")
        eeg_mat = scipy.io.loadmat(path)
        eye_mat = scipy.io.loadmat(root / "eye_feature_smooth" / path.parent.name / path.name)
        assert rec.eeg.shape == (N_TRIALS * N_WIN, 62, 5)
        assert rec.eye.shape == (N_TRIALS * N_WIN, 31)
        for t in range(N_TRIALS):
            sl = slice(t * N_WIN, (t + 1) * N_WIN)
            np.testing.assert_array_equal(rec.eeg[sl], eeg_mat[f"de_LDS{t + 1}"].transpose(1, 0, 2))
            np.testing.assert_array_equal(rec.eye[sl], eye_mat[f"eye_{t + 1}"].T)
        np.testing.assert_array_equal(rec.trial_ids, np.repeat(np.arange(N_TRIALS), N_WIN))
        np.testing.assert_array_equal(
            rec.labels, np.repeat(SEED_IV_LABELS[rec.session][:N_TRIALS], N_WIN)
        )
        assert rec.labels.dtype == np.int64 and rec.trial_ids.dtype == np.int64
        assert rec.event_id == SEED_IV_EVENT_ID
        assert rec.ch_names == SEED_CH_NAMES
        assert rec.band_names == ["delta", "theta", "alpha", "beta", "gamma"]
        assert rec.eye_names == EYE_FEATURE_NAMES
        assert rec.n_trials == N_TRIALS
    # NaN are kept and reported
    assert any(np.isnan(r.eye).any() for r in recs)
    with catch_logging() as log:
        read_seed_iv_features(root, verbose="info")
    text = log.getvalue()
    assert "NaN eye-feature values" in text and "fill_eye_nan" in text


def test_read_features_options(root):
    psd = read_seed_iv_features(root, subjects=2, sessions=[1], feature="psd_movingAve", eye=False)
    assert len(psd) == 1 and (psd[0].subject, psd[0].session) == (2, 1)
    assert psd[0].eye is None and psd[0].eye_names is None
    mat = scipy.io.loadmat(psd[0].fname)
    np.testing.assert_array_equal(psd[0].eeg[:N_WIN], mat["psd_movingAve1"].transpose(1, 0, 2))
    # also accepts the feature folder itself
    again = read_seed_iv_features(root / "eeg_feature_smooth", eye=False)
    assert len(again) == 4
    with pytest.raises(ValueError, match="subjects \\[3\\] not found"):
        read_seed_iv_features(root, subjects=[3])
    with pytest.raises(ValueError, match="sessions \\[3\\] not found"):
        read_seed_iv_features(root, sessions=3)
    with pytest.raises(ValueError, match="feature"):
        read_seed_iv_features(root, feature="dasm_LDS")
    with pytest.raises(TypeError, match="fill_eye"):  # filling lives in features/
        read_seed_iv_features(root, fill_eye="interpolate")


def test_subject_sort_order(tmp_path):
    root = simulate_seed_iv(
        tmp_path, n_subjects=11, n_trials=1, n_windows=1, raw=False, eye_nan=0.0
    )
    recs = read_seed_iv_features(root)
    assert [r.subject for r in recs] == list(range(1, 12))
    folder = tmp_path / "names"
    folder.mkdir()
    for name in ("10_20160101.mat", "9_20160101.mat", "2_20160101.mat", "label.mat"):
        (folder / name).touch()
    found = find_subject_files(folder, what="test")
    assert [path.name for _, _, path in found] == [
        "2_20160101.mat",
        "9_20160101.mat",
        "10_20160101.mat",
    ]


# --------------------------------------------------------------------------- fill_eye_nan


def test_fill_eye_nan():
    eye = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, np.nan], [10.0, np.nan], [np.nan, np.nan]])
    orig = eye.copy()
    trial_ids = np.array([0, 0, 0, 1, 1])
    interp = fill_eye_nan(eye, trial_ids)
    # column 0: interpolated inside trial 0, edge value repeated in trial 1
    np.testing.assert_allclose(interp[:, 0], [1, 2, 3, 10, 10])
    # column 1: edges of trial 0 take the nearest value; trial 1 has none -> global mean (2)
    np.testing.assert_allclose(interp[:, 1], [2, 2, 2, 2, 2])
    mean = fill_eye_nan(eye, trial_ids, method="mean")
    np.testing.assert_allclose(mean[:, 0], [1, 2, 3, 10, 10])
    zero = fill_eye_nan(eye, trial_ids, method="zero")
    np.testing.assert_allclose(zero[:, 0], [1, 0, 3, 10, 0])
    np.testing.assert_array_equal(eye, orig)  # input untouched (NaN compare equal here)
    # no mixing across trials: trial 1 is filled from its own value only
    eye2 = np.array([[0.0], [np.nan], [100.0], [np.nan]])
    np.testing.assert_allclose(fill_eye_nan(eye2, [0, 0, 1, 1])[:, 0], [0, 0, 100, 100])
    all_nan = fill_eye_nan(np.full((3, 2), np.nan), [0, 0, 1])
    np.testing.assert_array_equal(all_nan, 0.0)
    with pytest.raises(ValueError, match="method"):
        fill_eye_nan(eye, trial_ids, method="median")
    with pytest.raises(ValueError, match="trial_ids must have shape"):
        fill_eye_nan(eye, trial_ids[:3])
    with pytest.raises(ValueError, match="2D"):
        fill_eye_nan(eye[:, 0], trial_ids)


# --------------------------------------------------------------------------- learnability


def _lda_accuracy(x, y, train, shrinkage=0.5):
    """Shrinkage LDA in plain numpy (fast, no sklearn import): test accuracy."""
    mean, std = x[train].mean(0), x[train].std(0) + 1e-12
    z = (x - mean) / std
    classes = np.unique(y[train])
    centroids = np.array([z[train & (y == k)].mean(0) for k in classes])
    resid = z[train] - centroids[np.searchsorted(classes, y[train])]
    cov = (1 - shrinkage) * np.cov(resid.T) + shrinkage * np.eye(z.shape[1])
    w = np.linalg.solve(cov, centroids.T)  # (n_features, n_classes)
    scores = z @ w - 0.5 * np.sum(centroids.T * w, axis=0)
    return float(np.mean(classes[scores[~train].argmax(1)] == y[~train]))


def test_simulated_effects_are_learnable(tmp_path):
    def accuracy(effect_size):
        # both development sessions: the first is as hard as the real one (linear
        # classifiers ~50 %), the second easier (~69 %)
        path = simulate_seed_iv(
            tmp_path / str(effect_size), n_subjects=3, sessions=(1, 2), raw=False,
            effect_size=effect_size,
        )
        out = {"eeg": [], "eye": []}
        for rec in read_seed_iv_features(path, verbose=False):
            rec.eye = fill_eye_nan(rec.eye, rec.trial_ids)
            train = rec.trial_ids < 16  # the paper's split: first 16 trials / last 8
            for name, x in (("eeg", rec.eeg.reshape(rec.n_windows, -1)), ("eye", rec.eye)):
                out[name].append(_lda_accuracy(x, rec.labels, train))
        return {k: float(np.mean(v)) for k, v in out.items()}

    acc = accuracy(1.0)
    print(acc)
    assert 0.5 < acc["eeg"] < 0.98  # chance = 0.25: clearly learnable, not trivial
    assert 0.4 < acc["eye"] < 0.98
    null = accuracy(0.0)
    print(null)
    assert null["eeg"] < 0.45 and null["eye"] < 0.45


# --------------------------------------------------------------------------- bad input


def _empty_folder(root, tmp_path):
    (tmp_path / "empty").mkdir()
    return tmp_path / "empty"


def _without_eye(root, tmp_path):
    copy = _copy_to(tmp_path, root)
    shutil.rmtree(copy / "eye_feature_smooth")
    return copy


def _empty_eye_session(root, tmp_path):
    copy = _without_eye(root, tmp_path)
    (copy / "eye_feature_smooth" / "1").mkdir(parents=True)
    return copy


def _two_files_one_subject(root, tmp_path):
    copy = _copy_to(tmp_path, root)
    dup = copy / "eeg_feature_smooth" / "2"
    shutil.copy(dup / "1_20160601.mat", dup / "1_20160602.mat")
    return copy


def _no_session_folders(root, tmp_path):
    empty = tmp_path / "empty" / "eeg_feature_smooth"
    empty.mkdir(parents=True)
    return empty.parent


@pytest.mark.parametrize(
    "make_root, kwargs, exc, match",
    [
        pytest.param(
            lambda root, tmp_path: tmp_path / "nope",
            {},
            FileNotFoundError,
            "root folder not found",
            id="root-missing",
        ),
        pytest.param(
            _empty_folder, {}, FileNotFoundError, "eeg_feature_smooth", id="eeg-folder-missing"
        ),
        pytest.param(
            _without_eye,
            {},
            FileNotFoundError,
            "eye_feature_smooth.*eye=False",
            id="eye-folder-missing",
        ),
        pytest.param(
            _empty_eye_session,
            dict(sessions=1),
            FileNotFoundError,
            "Eye feature file not found.*1_20160518.mat",
            id="eye-file-missing",
        ),
        pytest.param(
            _two_files_one_subject,
            dict(eye=False),
            ValueError,
            "Two files for subject 1 in the session folder",
            id="two-files-one-subject",
        ),
        pytest.param(
            _no_session_folders,
            dict(eye=False),
            FileNotFoundError,
            "No session folders",
            id="no-session-folders",
        ),
    ],
)
def test_missing_folders(root, tmp_path, make_root, kwargs, exc, match):
    folder = make_root(root, tmp_path)
    with pytest.raises(exc, match=match):
        read_seed_iv_features(folder, **kwargs)


def test_eye_folder_missing_is_fine_without_eye(root, tmp_path):
    assert len(read_seed_iv_features(_without_eye(root, tmp_path), eye=False)) == 4


def test_read_eye_only_folder(root, tmp_path):
    """A folder with eye_feature_smooth/ and no eeg_feature_smooth/ reads its eye features."""
    from mne_mmvsstma.datasets import read_features

    full = read_seed_iv_features(root, verbose=False)
    copy = _copy_to(tmp_path, root)
    shutil.rmtree(copy / "eeg_feature_smooth")
    shutil.rmtree(copy / "eeg_raw_data")
    with catch_logging() as log:
        recs = read_seed_iv_features(copy, verbose="info")
    assert "no eeg_feature_smooth/ folder: reading the eye-movement features only" in (
        log.getvalue())
    assert [(r.subject, r.session) for r in recs] == [(r.subject, r.session) for r in full]
    for rec, ref in zip(recs, full):
        assert rec.eeg is None and rec.ch_names == [] and rec.eye_names == EYE_FEATURE_NAMES
        np.testing.assert_array_equal(rec.eye, ref.eye)  # NaN kept, as with EEG
        np.testing.assert_array_equal(rec.labels, ref.labels)
        np.testing.assert_array_equal(rec.trial_ids, ref.trial_ids)
        assert "eye_feature_smooth" in rec.fname
        assert "eeg None" in repr(rec)
    for rec, ref in zip(read_features(copy, subjects=[2], sessions=[1], verbose=False),
                        [r for r in full if (r.subject, r.session) == (2, 1)]):
        assert rec.eeg is None and rec.dataset == "SEED-IV"
        np.testing.assert_array_equal(rec.eye, ref.eye)
    # EEG asked for explicitly; nothing asked for
    with pytest.raises(FileNotFoundError, match="EEG feature folder not found.*eeg=False"):
        read_seed_iv_features(copy, eeg=True)
    with pytest.raises(FileNotFoundError, match="EEG feature folder not found"):
        read_seed_iv_features(copy, eye=False)
    with pytest.raises(ValueError, match="nothing to read"):
        read_seed_iv_features(root, eeg=False, eye=False)
    with pytest.raises(TypeError, match="eeg must be an instance of bool or None"):
        read_seed_iv_features(root, eeg="yes")
    # eeg=False reads the eye features only where the EEG is there too
    eye_only = read_seed_iv_features(root, eeg=False, verbose=False)
    assert all(r.eeg is None for r in eye_only)
    np.testing.assert_array_equal(eye_only[0].eye, full[0].eye)
    # the eye files are checked as the EEG files are: trials against the label table
    _rewrite(copy / "eye_feature_smooth" / "1" / "1_20160518.mat", lambda m: m.pop("eye_2"))
    with pytest.raises(ValueError, match="1_20160518.mat.*eye.*missing trial\\(s\\) \\[2\\]"):
        read_seed_iv_features(copy, subjects=1, sessions=1)


def test_psd_keys_absent(root, tmp_path):
    """Files without psd_* variables (as real copies without them) still read de_*."""
    copy = _copy_to(tmp_path, root)
    for path in (copy / "eeg_feature_smooth").rglob("*.mat"):
        _rewrite(path, lambda m: [m.pop(k) for k in list(m) if k.startswith("psd_")])
        assert not any(name.startswith("psd") for name, *_ in scipy.io.whosmat(path))
    for feature in ("de_LDS", "de_movingAve"):
        recs = read_seed_iv_features(copy, feature=feature, verbose=False)
        ref = read_seed_iv_features(root, feature=feature, verbose=False)
        assert len(recs) == len(ref) == 4
        for rec, want in zip(recs, ref):
            np.testing.assert_array_equal(rec.eeg, want.eeg)
            np.testing.assert_array_equal(rec.eye, want.eye)
    with pytest.raises(ValueError, match="no psd_LDS keys found"):
        read_seed_iv_features(copy, feature="psd_LDS")


def test_missing_and_bad_keys(root, tmp_path):
    copy = _copy_to(tmp_path, root)
    feat = copy / "eeg_feature_smooth" / "1" / "1_20160518.mat"
    _rewrite(feat, lambda m: m.pop("de_LDS2"))
    with pytest.raises(ValueError, match="1_20160518.mat.*de_LDS.*missing trial\\(s\\) \\[2\\]"):
        read_seed_iv_features(copy, subjects=1, sessions=1)
    # other feature families of the file are still readable
    assert read_seed_iv_features(copy, subjects=1, sessions=1, feature="psd_LDS")
    _rewrite(feat, lambda m: [m.pop(k) for k in list(m) if k.startswith("de_LDS")])
    with pytest.raises(ValueError, match="no de_LDS keys found"):
        read_seed_iv_features(copy, subjects=1, sessions=1)
    raw = _raw_file(copy)

    def two_prefixes(m):
        key = next(k for k in m if k.endswith("_eeg2"))
        m["zz_eeg2"] = m.pop(key)

    _rewrite(raw, two_prefixes)
    with pytest.raises(ValueError, match="several prefixes"):
        read_raw_seed_iv(raw)
    _rewrite(raw, lambda m: [m.pop(k) for k in list(m)] and m.update(data=np.zeros((62, 10))))
    with pytest.raises(ValueError, match="no <prefix>_eeg<trial> keys found"):
        read_raw_seed_iv(raw)


def test_wrong_channel_count(root, tmp_path):
    copy = _copy_to(tmp_path, root)
    raw = _raw_file(copy)

    def drop_channel(m):
        key = next(k for k in m if k.endswith("_eeg3"))
        m[key] = m[key][:61]

    _rewrite(raw, drop_channel)
    with pytest.raises(ValueError, match="1_20160518.mat.*_eeg3.*\\(61, 2401\\).*62 channels"):
        read_raw_seed_iv(raw)
    feat = copy / "eeg_feature_smooth" / "2" / "2_20160604.mat"
    _rewrite(feat, lambda m: m.update(de_LDS1=m["de_LDS1"].transpose(1, 0, 2)))
    with pytest.raises(ValueError, match="2_20160604.mat.*de_LDS1.*62 channels"):
        read_seed_iv_features(copy, subjects=2, sessions=2)
    eye = copy / "eye_feature_smooth" / "1" / "2_20160521.mat"
    _rewrite(eye, lambda m: m.update(eye_1=m["eye_1"][:30]))
    with pytest.raises(ValueError, match="2_20160521.mat.*eye_1.*31 channels"):
        read_seed_iv_features(copy, subjects=2, sessions=1)


@pytest.mark.parametrize(
    "damage, match",
    [
        ("truncate", "1_20160518.mat is truncated: the data element at byte"),
        ("garbage", "Could not read .*1_20160518.mat: the file is truncated or corrupt"),
        ("empty", "Could not read .*1_20160518.mat: the file is truncated or corrupt"),
    ],
)
def test_corrupt_files(root, tmp_path, damage, match):
    copy = _copy_to(tmp_path, root)
    for path in (_raw_file(copy), copy / "eeg_feature_smooth" / "1" / "1_20160518.mat"):
        content = path.read_bytes()
        if damage == "truncate":
            path.write_bytes(content[: len(content) // 2])
        elif damage == "garbage":
            path.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(range(256)) * 4)
        else:
            path.write_bytes(b"")
    with pytest.raises(ValueError, match=match):
        read_raw_seed_iv(_raw_file(copy))
    with pytest.raises(ValueError, match=match):
        read_seed_iv_features(copy, eye=False)


def test_label_and_window_mismatch(root, tmp_path):
    copy = _copy_to(tmp_path, root)
    feat = copy / "eeg_feature_smooth" / "1" / "1_20160518.mat"
    eye = copy / "eye_feature_smooth" / "1" / "1_20160518.mat"
    _rewrite(eye, lambda m: m.update(eye_2=m["eye_2"][:, :2]))
    with pytest.raises(ValueError, match="eye_2.*2 windows.*de_LDS2.*3.*do not match"):
        read_seed_iv_features(copy, subjects=1, sessions=1)
    _rewrite(eye, lambda m: m.pop("eye_5"))
    with pytest.raises(ValueError, match="4 trials.*5 de_LDS trials"):
        read_seed_iv_features(copy, subjects=1, sessions=1)

    def extra_trials(m):
        for t in range(N_TRIALS + 1, 26):
            m[f"de_LDS{t}"] = m["de_LDS1"]

    _rewrite(feat, extra_trials)
    with pytest.raises(ValueError, match="25 de_LDS trials.*only 24 labels.*mismatch"):
        read_seed_iv_features(copy, subjects=1, sessions=1, eye=False)


def test_wrong_sampling_rate(root, tmp_path):
    # trial 11 of session 1 lasts ~48 s (12 windows); write it as if sampled at 1000 Hz
    path = tmp_path / "1" / "1_20160518.mat"
    path.parent.mkdir()
    rng = np.random.default_rng(0)
    mat = {f"ab_eeg{t}": rng.standard_normal((62, 801)) for t in range(1, 11)}
    mat["ab_eeg11"] = rng.standard_normal((62, 48 * 1000 + 1))
    scipy.io.savemat(path, mat)
    with pytest.raises(
        ValueError, match="ab_eeg11.*240.0 s at 200 Hz.*about 9\\d\\d Hz.*wrong sampling rate"
    ):
        read_raw_seed_iv(path, allow_partial=True)
    mat["ab_eeg11"] = mat["ab_eeg11"][:, : 48 * 200 + 1]
    scipy.io.savemat(path, mat)
    assert read_raw_seed_iv(path, allow_partial=True).n_times == 10 * 801 + 48 * 200 + 1
