"""Inputs of the training API: Epochs, recordings, dataset folders, arrays."""

from __future__ import annotations

import numpy as np
import pytest

from mne_mmvsstma.datasets import read_epochs_seed_iv, read_seed_iv_features  # noqa: E402
from mne_mmvsstma.features._inputs import as_inputs  # noqa: E402
from mne_mmvsstma.simulation import simulate_seed_iv  # noqa: E402
from mne_mmvsstma.training import evaluate, finetune, pretrain  # noqa: E402

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=8)




@pytest.fixture(scope="module")
def sim_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("SEED-IV")
    return simulate_seed_iv(root, n_subjects=1, sessions=(1,), n_trials=6, n_windows=3,
                            raw=True, random_state=0, verbose=False)


def test_epochs_input(sim_root):
    fname = sorted((sim_root / "eeg_raw_data" / "1").glob("*.mat"))[0]
    epochs = read_epochs_seed_iv(fname, verbose=False)
    inp = as_inputs(epochs, n_windows=4)
    assert inp.eeg.shape == (18, 62, 4, 5)
    np.testing.assert_array_equal(inp.labels, epochs.metadata["label"])
    np.testing.assert_array_equal(inp.trial_ids, epochs.metadata["trial"])
    # windows never cross trials: the first window of trial 1 repeats its first sample
    first = np.flatnonzero(inp.trial_ids == 1)[0]
    assert np.allclose(inp.eeg[first, :, 0], inp.eeg[first, :, -1])
    model = pretrain(epochs, n_epochs=1, n_windows=4, model_kwargs=TINY, verbose=False)
    assert model.module_.n_chans == 62 and model.module_.n_times == 4
    clf = finetune(epochs, model=model, n_epochs=1, n_labels=2, verbose=False)  # y from metadata
    assert clf.input_shapes_["eeg"][1:] == (62, 4, 5)
    with pytest.raises(ValueError, match=r"fitted on trials 1-6 of SEED-IV sub-1 ses-1"):
        evaluate(clf, epochs, verbose=False)  # its training trials are no test trials
    res = evaluate(clf, epochs, on_fitted_trials="ignore", verbose=False)
    assert res["n_samples"] == 18
    with pytest.raises(ValueError, match="Epochs hold EEG only"):
        finetune(epochs, fusion="concat", n_epochs=1, verbose=False)
    with pytest.raises(ValueError, match="y has 3 labels but X has 18 epochs"):
        finetune(epochs, [0, 1, 2], n_epochs=1, verbose=False)


def test_recordings_and_folder_inputs(sim_root):
    recs = read_seed_iv_features(sim_root, verbose=False)
    assert np.isnan(recs[0].eye).any()
    with pytest.raises(ValueError, match="fill_eye"):
        pretrain(sim_root, modality="eye", n_epochs=1, model_kwargs=TINY, verbose=False)
    model = pretrain(sim_root, modality="eye", fill_eye="interpolate", n_epochs=1,
                     model_kwargs=TINY, verbose=False)
    # a folder is scaled per recording before the estimator sees it
    assert model.scale is False and model.scalers_["eye"] is None
    assert model.module_.n_chans == 31
    clf = finetune(recs, fusion="attention", fill_eye="interpolate", n_epochs=1,
                   model={"eye": model}, model_kwargs=TINY, verbose=False)
    res = evaluate(clf, recs, fill_eye="interpolate", on_fitted_trials="ignore", verbose=False)
    assert res["confusion_matrix"].sum() == recs[0].n_windows
    with pytest.raises(ValueError, match="X_eye must be None"):
        finetune(recs, X_eye=np.zeros((18, 31, 10, 1)), fusion="concat", verbose=False)
    no_eye = [recs[0].__class__(**{**recs[0].__dict__, "eye": None})]
    with pytest.raises(ValueError, match="eye-movement features are missing"):
        finetune(no_eye, fusion="concat", n_epochs=1, verbose=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        pretrain(sim_root / "missing", n_epochs=1, verbose=False)


def test_feature_arrays_with_trial_ids():
    rng = np.random.default_rng(0)
    de = rng.normal(size=(20, 4, 5))
    trials = np.repeat([0, 1], 10)
    inp = as_inputs(de, trial_ids=trials, n_windows=3)
    assert inp.eeg.shape == (20, 4, 3, 5)
    np.testing.assert_allclose(inp.eeg[12, :, -1], de[12])
    np.testing.assert_allclose(inp.eeg[12, :, 0], de[10])
    eye = as_inputs(rng.normal(size=(20, 6)), need=("eye",), trial_ids=trials, n_windows=3)
    assert eye.eye.shape == (20, 6, 3, 1)
    with pytest.raises(ValueError, match="pass trial_ids"):
        as_inputs(de)
    with pytest.raises(TypeError, match="must be an ndarray"):
        as_inputs({"a": 1})
