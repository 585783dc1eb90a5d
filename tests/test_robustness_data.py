"""Robustness catalogue of data handling: one case per test id.

Readers and simulators (truncated and incomplete files, folders the
simulators did not write, files that are not regular files, one subject
twice, empty trials, NaN in raw EEG), training batches of one window, and the
one random-state policy. Every bad case must end in an error that names the
file or parameter and the problem (or, where asked for, read what is there and
say so). tests/test_robustness.py holds the catalogue of model files,
checkpoints, the protocol and the command line.
"""

import os
import pickle
import shutil

import numpy as np
import pytest
import scipy.io
from mne.utils import catch_logging

from mne_mmvsstma.datasets import (
    read_raw_seed_iv,
    read_seed_features,
    read_seed_iv_features,
    read_seed_v_features,
)
from mne_mmvsstma.datasets._io import SIMULATED_MARKER
from mne_mmvsstma.simulation import simulate_seed, simulate_seed_iv, simulate_seed_v

CUTS = np.linspace(0.02, 0.98, 16)


@pytest.fixture(scope="module")
def seed_root(tmp_path_factory):
    """A full-size SEED session (15 trials) with short trials, features only."""
    return simulate_seed(tmp_path_factory.mktemp("seed"), n_subjects=1, n_windows=2,
                         raw=False, verbose="error")


@pytest.fixture(scope="module")
def seed_iv_root(tmp_path_factory):
    """SEED-IV, 24 trials of 2 windows, raw and features."""
    return simulate_seed_iv(tmp_path_factory.mktemp("seed_iv"), n_subjects=1, n_windows=2,
                            verbose="error")


@pytest.fixture(scope="module")
def seed_v_root(tmp_path_factory):
    return simulate_seed_v(tmp_path_factory.mktemp("seed_v") / "SEED-V", n_subjects=1,
                           raw=False, verbose="error")


def _feature_file(root, dataset):
    if dataset == "SEED":
        return next((root / "ExtractedFeatures").glob("1_*.mat"))
    return next((root / "eeg_feature_smooth" / "1").glob("1_*.mat"))


def _read(root, dataset, **kwargs):
    if dataset == "SEED":
        return read_seed_features(root, **kwargs)
    return read_seed_iv_features(root, eye=False, **kwargs)


# ------------------------------------------------------------------ truncation
@pytest.mark.parametrize("dataset", ["SEED", "SEED-IV"])
@pytest.mark.parametrize("cut", CUTS, ids=[f"cut{c:.2f}" for c in CUTS])
def test_truncated_feature_file_is_an_error(seed_root, seed_iv_root, tmp_path, dataset, cut):
    src = seed_root if dataset == "SEED" else seed_iv_root
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    path = _feature_file(copy, dataset)
    content = path.read_bytes()
    path.write_bytes(content[: int(cut * len(content))])
    with pytest.raises(ValueError, match=f"{path.name}.*(truncated|corrupt)"):
        _read(copy, dataset)


@pytest.mark.parametrize("cut", CUTS[::3], ids=[f"cut{c:.2f}" for c in CUTS[::3]])
def test_truncated_raw_file_is_an_error(seed_iv_root, tmp_path, cut):
    src = next((seed_iv_root / "eeg_raw_data" / "1").glob("1_*.mat"))
    dst = tmp_path / "eeg_raw_data" / "1" / src.name
    dst.parent.mkdir(parents=True)
    content = src.read_bytes()
    dst.write_bytes(content[: int(cut * len(content))])
    with pytest.raises(ValueError, match=f"{dst.name}.*(truncated|corrupt)"):
        read_raw_seed_iv(dst, allow_partial=True)


# --------------------------------------------------------- incomplete sessions
def _drop_last_trials(path, prefix, keep):
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    kept = {}
    for key, value in mat.items():
        digits = "".join(ch for ch in key if ch.isdigit())
        if not key.startswith(prefix) or int(digits) <= keep:
            kept[key] = value
    scipy.io.savemat(path, kept)


@pytest.mark.parametrize("dataset, prefix, n_full", [("SEED", "de_", 15),
                                                     ("SEED-IV", "de_", 24)])
def test_fewer_trials_than_the_dataset_has(tmp_path, dataset, prefix, n_full):
    # the real trial lengths: a real folder (no marker) is checked against them
    simulate = simulate_seed if dataset == "SEED" else simulate_seed_iv
    copy = simulate(tmp_path / "copy", n_subjects=1, sessions=(1,), raw=False, verbose="error")
    (copy / SIMULATED_MARKER).unlink()  # as a real folder: the full count is expected
    path = _feature_file(copy, dataset)
    # an element-aligned cut: whole trailing trials are missing, the file is well formed
    _drop_last_trials(path, prefix, keep=n_full - 2)
    missing = f"\\[{n_full - 1}, {n_full}\\]"
    with pytest.raises(ValueError, match=f"{path.name}: {n_full - 2} of the {n_full} .*"
                                          f"missing trial\\(s\\) {missing}.*allow_partial"):
        _read(copy, dataset)
    with catch_logging() as log:
        (rec,) = _read(copy, dataset, allow_partial=True, verbose="info")
    assert rec.n_trials == n_full - 2
    assert f"missing trial(s) [{n_full - 1}, {n_full}]" in log.getvalue()


def test_simulated_folder_declares_its_trial_count(tmp_path):
    root = simulate_seed_iv(tmp_path / "sim", n_subjects=1, n_trials=4, n_windows=1,
                            raw=False, verbose="error")
    assert len(read_seed_iv_features(root, eye=False)[0].labels) == 4  # no error: 4 declared
    path = _feature_file(root, "SEED-IV")
    _drop_last_trials(path, "de_", keep=3)  # but a trial lost from it is still found
    with pytest.raises(ValueError, match="3 of the 4 de_LDS trials.*missing trial\\(s\\) \\[4\\]"):
        read_seed_iv_features(root, eye=False)


def test_seed_v_session_with_missing_trials(seed_v_root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_v_root, copy)
    (copy / SIMULATED_MARKER).unlink()
    path = next((copy / "EEG_DE_features").glob("*.npz"))
    with np.load(path) as npz:  # pickled dicts, as in the real files
        data, label = pickle.loads(npz["data"].item()), pickle.loads(npz["label"].item())
    for k in (13, 14):  # the last two trials of session 1
        data.pop(k), label.pop(k)
    np.savez(path, data=pickle.dumps(data), label=pickle.dumps(label))
    with pytest.raises(ValueError, match="13 of the 15 session-1 trials.*\\[13, 14\\]"):
        read_seed_v_features(copy, eye=False, allow_pickle=True)
    recs = read_seed_v_features(copy, eye=False, allow_pickle=True, allow_partial=True)
    assert [r.n_trials for r in recs] == [13]


# ----------------------------------------------------------- files of SEED-V
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_seed_v_fifo_is_refused_not_read(seed_v_root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_v_root, copy)
    os.mkfifo(copy / "EEG_DE_features" / "2_123.npz")  # reading it would block forever
    with pytest.raises(ValueError, match="2_123.npz is not a regular file"):
        read_seed_v_features(copy, eye=False, allow_pickle=True)


def test_seed_v_subject_twice(seed_v_root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_v_root, copy)
    shutil.copy(copy / "EEG_DE_features" / "1_123.npz", copy / "EEG_DE_features" / "01_123.npz")
    with pytest.raises(ValueError, match="several files of the same subject.*01_123.npz"):
        read_seed_v_features(copy, eye=False, allow_pickle=True)


# ------------------------------------------------------ simulators and folders
SIMULATORS = {
    "SEED": lambda root, **kw: simulate_seed(root, n_subjects=1, n_trials=2, n_windows=1,
                                             raw=False, verbose="error", **kw),
    "SEED-IV": lambda root, **kw: simulate_seed_iv(root, n_subjects=1, n_trials=2, n_windows=1,
                                                   raw=False, verbose="error", **kw),
    "SEED-V": lambda root, **kw: simulate_seed_v(root, n_subjects=1, n_trials=2, raw=False,
                                                 verbose="error", **kw),
}


@pytest.mark.parametrize("dataset", sorted(SIMULATORS))
def test_simulator_refuses_a_foreign_folder(tmp_path, dataset):
    root = tmp_path / "data"
    root.mkdir()
    (root / "1_20130709.mat").write_bytes(b"someone's recording")
    with pytest.raises(FileExistsError, match="not empty and was not written by.*overwrite=True"):
        SIMULATORS[dataset](root)
    assert sorted(p.name for p in root.iterdir()) == ["1_20130709.mat"]  # nothing written
    SIMULATORS[dataset](root, overwrite=True)
    assert (root / SIMULATED_MARKER).is_file()
    assert (root / "1_20130709.mat").read_bytes() == b"someone's recording"


@pytest.mark.parametrize("dataset", sorted(SIMULATORS))
def test_simulator_rewrites_its_own_folder(tmp_path, dataset):
    root = SIMULATORS[dataset](tmp_path / "sim")
    SIMULATORS[dataset](root)  # its own folder: no overwrite needed


def test_simulator_root_is_a_file(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"):
        SIMULATORS["SEED-IV"](path)


def test_simulators_share_a_folder(tmp_path):
    root = SIMULATORS["SEED"](tmp_path / "both")
    SIMULATORS["SEED-IV"](root)
    assert len(read_seed_features(root)) == 1 and len(read_seed_iv_features(root)) == 1


# ------------------------------------------------------------ odd trial contents
@pytest.mark.parametrize("dataset", ["SEED", "SEED-IV"])
def test_empty_trial_is_an_error(seed_root, seed_iv_root, tmp_path, dataset):
    src = seed_root if dataset == "SEED" else seed_iv_root
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    path = _feature_file(copy, dataset)
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    mat["de_LDS2"] = mat["de_LDS2"][:, :0]
    scipy.io.savemat(path, mat)
    with pytest.raises(ValueError, match=f"{path.name}: variable 'de_LDS2' has shape "
                                         "\\(62, 0, 5\\): the trial is empty"):
        _read(copy, dataset)


def test_nan_in_raw_eeg_is_reported(seed_iv_root, tmp_path):
    src = next((seed_iv_root / "eeg_raw_data" / "1").glob("1_*.mat"))
    dst = tmp_path / "eeg_raw_data" / "1" / src.name
    dst.parent.mkdir(parents=True)
    mat = {k: v for k, v in scipy.io.loadmat(src).items() if not k.startswith("__")}
    key = sorted(k for k in mat if k.endswith("_eeg3"))[0]
    mat[key][[4, 9], 10:13] = np.nan
    mat[key][4, 20] = np.inf
    scipy.io.savemat(dst, mat)
    with catch_logging() as log:
        read_raw_seed_iv(dst, allow_partial=True, verbose="warning")
    assert f"trial 3 ('{key}') holds 7 NaN or infinite samples in 2 channel(s)" in log.getvalue()


def test_seed_session_out_of_range(seed_root, tmp_path):
    from mne_mmvsstma.datasets import read_raw_seed

    raw_root = simulate_seed(tmp_path / "raw", n_subjects=1, n_trials=1, n_windows=1,
                             features=False, verbose="error")
    path = next((raw_root / "Preprocessed_EEG").glob("1_*.mat"))
    with pytest.raises(ValueError, match="SEED has sessions 1..3, got session=7"):
        read_raw_seed(path, session=7)


def test_four_seed_sessions_are_an_error(seed_root, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(seed_root, copy)
    folder = copy / "ExtractedFeatures"
    src = next(folder.glob("1_*.mat"))
    for day in ("20140101", "20140201", "20140301"):
        shutil.copy(src, folder / f"1_{day}.mat")
    with pytest.raises(ValueError, match="Subject 1 has 4 SEED files, but SEED has 3 sessions"):
        read_seed_features(copy)


# ----------------------------------------------------- training batches of one
@pytest.mark.parametrize("n_windows, batch_size", [(5, 4), (9, 8), (3, 1)])
def test_training_batches_of_one_window(n_windows, batch_size):
    """A last (or only) training batch of one window trains (it crashed the CPU kernel)."""
    from mne_mmvsstma import EmotionClassifier, Pretrainer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_windows, 6, 4, 5)).astype(np.float32)
    pre = Pretrainer(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=4,
                     max_epochs=2, batch_size=batch_size, whitening=None).fit(X)
    assert len(pre.history) == 2 and np.isfinite(pre.history[-1, "train_loss"])
    y = np.arange(n_windows) % 2
    clf = EmotionClassifier(pretrained=pre, probe_C=None, max_epochs=2, batch_size=batch_size,
                            train_split=None).fit(X, y)
    assert clf.predict(X).shape == (n_windows,)


# ------------------------------------------------------- one random-state policy
def test_estimators_take_the_package_random_states(tmp_path):
    """int (reproducible), Generator (drawn once per fit, reproducible from its seed), None."""
    from mne_mmvsstma import Pretrainer
    from mne_mmvsstma.training import load_model, save_model

    X = np.random.default_rng(0).normal(size=(12, 6, 4, 5)).astype(np.float32)

    def fit(random_state):
        return Pretrainer(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=4,
                          max_epochs=2, batch_size=4, whitening=None,
                          random_state=random_state).fit(X)

    def weights(est):
        return np.concatenate([p.detach().numpy().ravel() for p in est.module_.parameters()])

    np.testing.assert_array_equal(weights(fit(3)), weights(fit(3)))
    a, b = fit(np.random.default_rng(5)), fit(np.random.default_rng(5))
    np.testing.assert_array_equal(weights(a), weights(b))
    gen = np.random.default_rng(5)
    first, second = fit(gen), fit(gen)  # the generator advances between fits
    assert not np.array_equal(weights(first), weights(second))
    assert np.isfinite(weights(fit(None))).all()
    save_model(fit(3), tmp_path / "m.pt")
    np.testing.assert_array_equal(weights(load_model(tmp_path / "m.pt")), weights(fit(3)))
