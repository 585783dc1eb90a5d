"""read_features: dataset detection from the folder layout and dispatch to the readers."""

from __future__ import annotations

import numpy as np
import pytest

from mne_mmvsstma.datasets import (
    FeatureRecording,
    detect_dataset,
    read_features,
    read_seed_features,
    read_seed_iv_features,
)
from mne_mmvsstma.datasets import seed_v as seed_v_module
from mne_mmvsstma.simulation import simulate_seed, simulate_seed_iv, simulate_seed_v


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    base = tmp_path_factory.mktemp("read")
    seed_iv = simulate_seed_iv(
        base / "SEED-IV", n_subjects=2, n_trials=3, n_windows=2, raw=False, eye_nan=0.0
    )
    seed = simulate_seed(base / "SEED", n_subjects=2, n_trials=2, n_windows=3, raw=False)
    return {"SEED-IV": seed_iv, "SEED": seed}


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.dataset, x.subject, x.session, x.fname) == (
            y.dataset,
            y.subject,
            y.session,
            y.fname,
        )
        np.testing.assert_array_equal(x.eeg, y.eeg)
        np.testing.assert_array_equal(x.labels, y.labels)


def test_detect_dataset(roots, tmp_path):
    assert detect_dataset(roots["SEED-IV"]) == "SEED-IV"
    assert detect_dataset(roots["SEED"]) == "SEED"
    assert detect_dataset(roots["SEED-IV"] / "eye_feature_smooth") == "SEED-IV"
    assert detect_dataset(roots["SEED"] / "ExtractedFeatures") == "SEED"
    (tmp_path / "v" / "EEG_DE_features").mkdir(parents=True)
    assert detect_dataset(tmp_path / "v") == "SEED-V"
    (tmp_path / "raw_only" / "Preprocessed_EEG").mkdir(parents=True)
    assert detect_dataset(tmp_path / "raw_only") == "SEED"
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="Cannot detect the dataset.*eeg_feature_smooth"):
        detect_dataset(tmp_path / "empty")
    (tmp_path / "v" / "ExtractedFeatures").mkdir()
    with pytest.raises(ValueError, match="several datasets.*pass dataset="):
        detect_dataset(tmp_path / "v")
    with pytest.raises(FileNotFoundError, match="root does not exist"):
        detect_dataset(tmp_path / "missing")


def test_read_features_dispatch(roots):
    _same(read_features(roots["SEED-IV"]), read_seed_iv_features(roots["SEED-IV"]))
    _same(read_features(roots["SEED"]), read_seed_features(roots["SEED"]))
    # keyword arguments reach the reader
    recs = read_features(roots["SEED-IV"], "seed_iv", subjects=[2], eye=False, feature="psd_LDS")
    assert [(r.subject, r.eye) for r in recs] == [(2, None)]
    _same(recs, read_seed_iv_features(roots["SEED-IV"], subjects=2, eye=False, feature="psd_LDS"))
    # the feature folder itself, and dataset name spellings
    _same(
        read_features(roots["SEED"] / "ExtractedFeatures", dataset="SEED"),
        read_features(roots["SEED"]),
    )
    for name in ("SEED-IV", "seed-iv", "SEEDIV", "seed_iv"):
        assert read_features(roots["SEED-IV"], dataset=name)[0].dataset == "SEED-IV"
    with pytest.raises(ValueError, match="Invalid value for 'dataset'.*'SEED-IV'"):
        read_features(roots["SEED"], dataset="DEAP")
    with pytest.raises(TypeError, match="dataset must be a str"):
        read_features(roots["SEED"], dataset=4)
    with pytest.raises(TypeError, match="unexpected keyword"):
        read_features(roots["SEED"], eye=True)  # SEED has no eye features
    # the dataset asked for wins over the layout: a clear error from that reader
    with pytest.raises(FileNotFoundError, match="ExtractedFeatures folder not found"):
        read_features(roots["SEED-IV"], dataset="SEED")


def test_read_features_seed_v_dispatch(tmp_path, monkeypatch):
    (tmp_path / "EEG_DE_features").mkdir()
    calls = []

    def fake_reader(root, **kwargs):
        calls.append((root, kwargs))
        return ["sentinel"]

    monkeypatch.setattr(seed_v_module, "read_seed_v_features", fake_reader)
    assert read_features(tmp_path, subjects=[1], order="channel") == ["sentinel"]
    assert calls == [(tmp_path, {"subjects": [1], "order": "channel"})]
    read_features(tmp_path / "EEG_DE_features")
    assert calls[-1] == (tmp_path, {})


def test_read_features_seed_v_end_to_end(tmp_path):
    root = simulate_seed_v(tmp_path, n_subjects=1, n_trials=15, raw=False)
    recs = read_features(root)
    assert len(recs) >= 1 and all(isinstance(r, FeatureRecording) for r in recs)
    assert recs[0].dataset == "SEED-V" and recs[0].eeg.shape[1:] == (62, 5)
