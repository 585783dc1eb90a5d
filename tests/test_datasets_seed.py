"""SEED: simulated real layout -> readers (raw, epochs, ExtractedFeatures), sessions by date."""

from __future__ import annotations

import shutil

import mne
import numpy as np
import pytest
import scipy.io

from mne_mmvsstma.channels import SEED_CH_NAMES
from mne_mmvsstma.datasets import (
    SEED_EVENT_ID,
    SEED_LABELS,
    SEED_N_WINDOWS,
    read_epochs_seed,
    read_raw_seed,
    read_seed_features,
)
from mne_mmvsstma.datasets.seed import ASYMMETRY_PAIRS, CAUDALITY_PAIRS
from mne_mmvsstma.simulation import simulate_seed

N_TRIALS = 3
N_WIN = 4  # 1-s windows


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """2 subjects x 3 sessions x 3 trials x 4 s."""
    path = tmp_path_factory.mktemp("seed")
    return simulate_seed(path, n_subjects=2, sessions=(1, 2, 3), n_trials=N_TRIALS, n_windows=N_WIN)


def _files(folder, subject):
    return sorted(folder.glob(f"{subject}_*.mat"))


def _rewrite(path, change):
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    change(mat)
    scipy.io.savemat(path, mat)


def test_label_tables():
    assert SEED_EVENT_ID == {"negative": -1, "neutral": 0, "positive": 1}
    assert SEED_LABELS == (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
    np.testing.assert_array_equal(np.bincount(np.array(SEED_LABELS) + 1), [5, 5, 5])
    assert len(SEED_N_WINDOWS) == 15 and SEED_N_WINDOWS[0] == 235 and SEED_N_WINDOWS[8] == 265
    assert len(ASYMMETRY_PAIRS) == 27 and len(CAUDALITY_PAIRS) == 23
    for pairs in (ASYMMETRY_PAIRS, CAUDALITY_PAIRS):
        assert {ch for pair in pairs for ch in pair} <= set(SEED_CH_NAMES)


def test_simulated_layout(root):
    for folder in ("Preprocessed_EEG", "ExtractedFeatures"):
        names = sorted(p.name for p in (root / folder).iterdir())
        assert "label.mat" in names and len(names) == 2 * 3 + 1
        label = scipy.io.loadmat(root / folder / "label.mat")["label"]
        assert label.shape == (1, 15)
        np.testing.assert_array_equal(label[0], SEED_LABELS)
    feat = scipy.io.whosmat(_files(root / "ExtractedFeatures", 1)[0])
    keys = [k for k, _, _ in feat]
    assert len(keys) == 12 * N_TRIALS
    assert keys[:12] == [
        f"{family}_{smooth}1"
        for family in ("de", "psd", "dasm", "rasm", "asm", "dcau")
        for smooth in ("movingAve", "LDS")
    ]
    rows = {"de": 62, "psd": 62, "dasm": 27, "rasm": 27, "asm": 54, "dcau": 23}
    for key, shape, _ in feat:
        assert shape == (rows[key.split("_")[0]], N_WIN, 5)
    raw = scipy.io.whosmat(_files(root / "Preprocessed_EEG", 2)[1])
    assert [k.split("_eeg")[1] for k, _, _ in raw] == ["1", "2", "3"]
    assert all(shape == (62, 200 * N_WIN + 1) for _, shape, _ in raw)
    # DASM = left - right of the DE features
    mat = scipy.io.loadmat(_files(root / "ExtractedFeatures", 1)[0])
    idx = {ch: i for i, ch in enumerate(SEED_CH_NAMES)}
    left, right = ASYMMETRY_PAIRS[5]
    np.testing.assert_allclose(
        mat["dasm_LDS2"][5], mat["de_LDS2"][idx[left]] - mat["de_LDS2"][idx[right]]
    )


def test_simulate_real_size_and_errors(tmp_path):
    path = simulate_seed(tmp_path / "a", n_subjects=1, n_trials=2, raw=False)
    (fname,) = _files(path / "ExtractedFeatures", 1)
    shapes = dict((k, s) for k, s, _ in scipy.io.whosmat(fname))
    assert shapes["de_LDS1"] == (62, 235, 5) and shapes["de_LDS2"] == (62, 233, 5)
    assert not (path / "Preprocessed_EEG").exists()
    with pytest.raises(ValueError, match="sessions must be 1..k"):
        simulate_seed(tmp_path / "b", sessions=(2,))
    with pytest.raises(ValueError, match="n_trials"):
        simulate_seed(tmp_path / "b", n_trials=16)


def test_read_raw_and_sessions_by_date(root):
    for session, fname in enumerate(_files(root / "Preprocessed_EEG", 2), start=1):
        raw = read_raw_seed(fname)
        extras = [e for e in raw.annotations.extras if e and "trial" in e]
        assert [e["session"] for e in extras] == [session] * N_TRIALS
        assert [e["label"] for e in extras] == list(SEED_LABELS[:N_TRIALS])
        mat = scipy.io.loadmat(fname)
        keys = sorted((k for k in mat if "_eeg" in k), key=lambda k: int(k.split("_eeg")[1]))
        np.testing.assert_array_equal(
            raw.get_data(), np.concatenate([mat[k] for k in keys], axis=1) * 1e-6
        )
        assert raw.ch_names == SEED_CH_NAMES and raw.info["sfreq"] == 200.0
        assert raw.get_montage() is not None
        descriptions = [d for d in raw.annotations.description if "boundary" not in d]
        assert descriptions == ["positive", "neutral", "negative"]
    assert read_raw_seed(fname, session=3).annotations.extras[0]["session"] == 3


def test_read_epochs(root):
    fname = _files(root / "Preprocessed_EEG", 1)[0]
    epochs = read_epochs_seed(fname)
    assert isinstance(epochs, mne.BaseEpochs)
    assert epochs.event_id == {"negative": 1, "neutral": 2, "positive": 3}
    assert len(epochs) == N_TRIALS * N_WIN
    assert epochs.times[-1] == pytest.approx(1.0 - 1 / 200)
    md = epochs.metadata
    assert (md["dataset"] == "SEED").all() and (md["session"] == 1).all()
    np.testing.assert_array_equal(md["label"], np.repeat(SEED_LABELS[:N_TRIALS], N_WIN))
    np.testing.assert_array_equal(epochs.events[:, 2], md["label"] + 2)
    np.testing.assert_array_equal(md["trial"], np.repeat(np.arange(N_TRIALS), N_WIN))
    assert len(epochs["negative"]) == N_WIN
    # 4-s windows: one per trial (4 s + 1 sample each), none crossing trials
    ep4 = read_epochs_seed(fname, window=4.0)
    assert len(ep4) == N_TRIALS
    np.testing.assert_array_equal(ep4.events[:, 0], np.arange(N_TRIALS) * (200 * N_WIN + 1))
    with pytest.raises(ValueError, match="no trial of 5.0 s or longer"):
        read_epochs_seed(fname, window=5.0)


def test_read_features_round_trip(root):
    recs = read_seed_features(root)
    assert [(r.subject, r.session) for r in recs] == [(s, k) for s in (1, 2) for k in (1, 2, 3)]
    for rec in recs:
        mat = scipy.io.loadmat(rec.fname)
        assert rec.dataset == "SEED" and rec.eye is None
        assert rec.eeg.shape == (N_TRIALS * N_WIN, 62, 5)
        for t in range(N_TRIALS):
            np.testing.assert_array_equal(
                rec.eeg[t * N_WIN : (t + 1) * N_WIN], mat[f"de_LDS{t + 1}"].transpose(1, 0, 2)
            )
        np.testing.assert_array_equal(rec.labels, np.repeat(SEED_LABELS[:N_TRIALS], N_WIN))
        np.testing.assert_array_equal(rec.trial_ids, np.repeat(np.arange(N_TRIALS), N_WIN))
        assert rec.event_id == SEED_EVENT_ID
    # session = date rank: the file of session 2 has the middle date
    dates = sorted(p.name for p in _files(root / "ExtractedFeatures", 1))
    assert recs[1].fname.endswith(dates[1])
    psd = read_seed_features(
        root / "ExtractedFeatures", subjects=[2], sessions=3, feature="psd_LDS"
    )
    assert [(r.subject, r.session) for r in psd] == [(2, 3)]
    with pytest.raises(ValueError, match="feature"):
        read_seed_features(root, feature="dasm_LDS")
    with pytest.raises(ValueError, match="subjects \\[5\\] not found"):
        read_seed_features(root, subjects=5)


def test_subject_sort_order(tmp_path):
    root = simulate_seed(tmp_path, n_subjects=10, n_trials=1, n_windows=1, raw=False)
    assert [r.subject for r in read_seed_features(root)] == list(range(1, 11))


def _raw_file(copy):
    return _files(copy / "Preprocessed_EEG", 1)[0]


def _remove_labels(copy):
    for folder in ("Preprocessed_EEG", "ExtractedFeatures"):
        (copy / folder / "label.mat").unlink()


def _eeg_label(variables):
    def mutate(copy):
        scipy.io.savemat(copy / "Preprocessed_EEG" / "label.mat", variables)

    return mutate


def _rewrite_raw(change):
    return lambda copy: _rewrite(_raw_file(copy), change)


def _truncate_raw(copy):
    raw_file = _raw_file(copy)
    raw_file.write_bytes(raw_file.read_bytes()[:1000])


def _four_bands(copy):
    feat_file = _files(copy / "ExtractedFeatures", 2)[0]
    _rewrite(feat_file, lambda m: m.update(de_LDS3=m["de_LDS3"][:, :, :4]))


# (change a fresh copy of the module's folders, read it, exception, message regex or a
#  function of the copy that gives it)
_BAD_INPUT = [
    pytest.param(
        None,
        lambda copy: read_seed_features(copy.parent / "nope"),
        FileNotFoundError,
        "ExtractedFeatures folder not found",
        id="features-folder-missing",
    ),
    # label.mat: missing (in both folders), missing key, bad values, too few labels
    pytest.param(
        _remove_labels,
        lambda copy: read_raw_seed(_raw_file(copy)),
        FileNotFoundError,
        "SEED label file not found.*label.mat",
        id="raw-label-file-missing",
    ),
    pytest.param(
        _remove_labels,
        read_seed_features,
        FileNotFoundError,
        "SEED label file not found",
        id="features-label-file-missing",
    ),
    pytest.param(
        _eeg_label({"labels": np.zeros((1, 15))}),
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        "label.mat has no 'label' variable",
        id="label-variable-missing",
    ),
    pytest.param(
        _eeg_label({"label": np.full((1, 15), 2.0)}),
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        "labels must be -1, 0 or 1",
        id="label-values-bad",
    ),
    pytest.param(
        _eeg_label({"label": np.array([[1.0, 0.0]])}),
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        "3 EEG trials but .*label.mat has only 2 labels",
        id="label-too-few",
    ),
    # wrong channel count, missing key, corrupt file
    pytest.param(
        _rewrite_raw(lambda m: m.update({k: v[:60] for k, v in m.items() if k.endswith("2")})),
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        "_eeg2.*\\(60, 801\\).*62 channels",
        id="raw-wrong-channel-count",
    ),
    pytest.param(
        _rewrite_raw(lambda m: [m.pop(k) for k in list(m) if k.endswith("_eeg2")]),
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        "missing trial\\(s\\) \\[2\\]",
        id="raw-trial-missing",
    ),
    pytest.param(
        _truncate_raw,
        lambda copy: read_raw_seed(_raw_file(copy)),
        ValueError,
        lambda copy: f"{_raw_file(copy).name} is truncated",
        id="raw-truncated",
    ),
    pytest.param(
        _four_bands,
        lambda copy: read_seed_features(copy, subjects=2),
        ValueError,
        "de_LDS3.*expected 5 bands",
        id="features-wrong-band-count",
    ),
]


@pytest.mark.parametrize("mutate, read, exc, match", _BAD_INPUT)
def test_bad_input(root, tmp_path, mutate, read, exc, match):
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    if mutate is not None:
        mutate(copy)
    if callable(match):
        match = match(copy)
    with pytest.raises(exc, match=match):
        read(copy)


def test_label_file_falls_back_on_features_folder(root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    (copy / "Preprocessed_EEG" / "label.mat").unlink()
    assert read_raw_seed(_raw_file(copy))  # falls back on ExtractedFeatures/label.mat


def test_wrong_sampling_rate(tmp_path):
    folder = tmp_path / "Preprocessed_EEG"
    folder.mkdir()
    scipy.io.savemat(folder / "label.mat", {"label": np.array([SEED_LABELS], float)})
    # trial 1 lasts 235 s; 80001 samples are 400 s at 200 Hz (e.g. 235 s sampled at 340 Hz)
    data = np.zeros((62, 400 * 200 + 1), np.float32)
    scipy.io.savemat(folder / "3_20130101.mat", {"ab_eeg1": data})
    with pytest.raises(ValueError, match="ab_eeg1.*400.0 s at 200 Hz.*about 340 Hz.*sampling"):
        read_raw_seed(folder / "3_20130101.mat", allow_partial=True)
