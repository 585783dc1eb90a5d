"""Tests of the DifferentialEntropy scikit-learn transformer."""

import mne
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mne_mmvsstma.features import SEED_BANDS, DifferentialEntropy, compute_de

SFREQ = 200.0


# The generic checks pass 2-D arrays of a few samples ("time points" here):
# far shorter than one period of the SEED bands, hence on_short="ignore".
@parametrize_with_checks(
    [
        DifferentialEntropy(sfreq=SFREQ, on_short="ignore"),
        DifferentialEntropy(sfreq=SFREQ, method="gaussian", on_short="ignore"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _epochs(rng, n_epochs=4, n_times=400):
    info = mne.create_info(["FP1", "CZ", "OZ", "STI"], SFREQ, ["eeg"] * 3 + ["stim"])
    data = rng.normal(scale=5e-6, size=(n_epochs, 4, n_times))
    return mne.EpochsArray(data, info, verbose=False), data


def test_epochs_input_and_feature_names(rng):
    epochs, data = _epochs(rng)
    de = DifferentialEntropy()
    out = de.fit_transform(epochs)
    assert out.shape == (4, 3 * 5)
    expected = compute_de(data[:, :3] * 1e6, SFREQ)
    np.testing.assert_allclose(out, expected.reshape(4, -1))
    names = de.get_feature_names_out()
    assert names[0] == "FP1_delta" and names[5] == "CZ_delta" and names[-1] == "OZ_gamma"
    assert len(names) == out.shape[1]
    # unflattened output, other picks, Gaussian method
    de3 = DifferentialEntropy(flatten=False, picks=["OZ"], method="gaussian").fit(epochs)
    out3 = de3.transform(epochs)
    assert out3.shape == (4, 1, 5)
    np.testing.assert_allclose(out3, compute_de(epochs, picks=["OZ"], method="gaussian"))
    assert list(de3.get_feature_names_out()) == [f"OZ_{band}" for band in SEED_BANDS]
    with pytest.raises(ValueError, match="does not match"):
        DifferentialEntropy(sfreq=100.0).fit(epochs)
    with pytest.raises(ValueError, match=r"X has other channels than the channels "
                                         r"DifferentialEntropy was fitted on .*missing "
                                         r"\['FP1', 'OZ'\], extra \[\]"):
        de.transform(epochs.copy().pick(["CZ"]))


def test_array_input(rng):
    x = rng.normal(size=(5, 2, 400))
    de = DifferentialEntropy(sfreq=SFREQ, bands={"alpha": (8, 14)})
    out = de.fit_transform(x)
    np.testing.assert_allclose(out, compute_de(x, SFREQ, bands={"alpha": (8, 14)})[..., 0])
    assert list(de.get_feature_names_out()) == ["ch0_alpha", "ch1_alpha"]
    assert list(de.get_feature_names_out(["C3", "C4"])) == ["C3_alpha", "C4_alpha"]
    # 2-D input = one channel; stateless: transform works without fit
    np.testing.assert_allclose(
        DifferentialEntropy(sfreq=SFREQ).transform(x[:, 0]),
        compute_de(x[:, :1], SFREQ).reshape(5, -1),
    )
    with pytest.raises(ValueError, match="needs sfreq"):
        DifferentialEntropy().fit(x)
    with pytest.raises(ValueError, match="shorter than one period"):
        DifferentialEntropy(sfreq=SFREQ).fit_transform(x[..., :50])
    with pytest.raises(ValueError, match="Nyquist"):
        DifferentialEntropy(sfreq=60.0).fit(x)


def test_pipeline_decodes_alpha_power(rng):
    """End to end: alpha-band power differs between classes and is decoded."""
    n_epochs, n_times = 40, 400
    t = np.arange(n_times) / SFREQ
    y = np.repeat([0, 1], n_epochs // 2)
    data = rng.normal(scale=2e-6, size=(n_epochs, 3, n_times))
    phase = rng.uniform(0, 2 * np.pi, size=(n_epochs, 3, 1))
    data += (1 + 2 * y)[:, None, None] * 2e-6 * np.sin(2 * np.pi * 10 * t + phase)
    # cross-validation indexes X like an array: pass the data (microvolts) and sfreq
    pipe = make_pipeline(DifferentialEntropy(sfreq=SFREQ), StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, data * 1e6, y, cv=4)
    assert scores.mean() > 0.9
