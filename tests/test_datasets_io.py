"""datasets/_io.py: one walk of a .mat file's elements checks completeness and lists variables."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io
import scipy.sparse

from mne_mmvsstma.datasets import _io, read_seed_features, read_seed_iv_features
from mne_mmvsstma.datasets._io import list_mat_variables
from mne_mmvsstma.simulation import simulate_seed, simulate_seed_iv

VARIABLES = {
    "de_LDS1": np.random.default_rng(0).normal(size=(62, 40, 5)),
    "eye_1": np.ones((31, 5)),
    "abc": 1.5,  # a name short enough for a small data element
    "empty": np.zeros((0, 3)),
    "text": "hello",
    "chars": np.array(["ab", "cd"]),
    "cell": np.array([[1, "x"]], dtype=object),
    "st": {"f": 1, "g": np.ones(3)},
    "flags": np.array([True, False]),
    "i8": np.int8(3),
    "cplx": np.array([1 + 2j]),
    "sp": scipy.sparse.csc_matrix(np.eye(4)),
    "f32": np.ones((2, 3, 4, 5), np.float32),
    "a_rather_long_variable_name_for_a_test": np.ones(2),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "compressed"])
def test_list_mat_variables_matches_whosmat(tmp_path, compress, monkeypatch):
    fname = tmp_path / "vars.mat"
    scipy.io.savemat(fname, VARIABLES, do_compression=compress)
    expected = {name: tuple(shape) for name, shape, _ in scipy.io.whosmat(fname)}
    monkeypatch.setattr(scipy.io, "whosmat", _no_whosmat)  # the walk alone names them
    assert list_mat_variables(fname) == expected
    assert set(expected) == set(VARIABLES)


def test_list_mat_variables_leaves_other_files_to_scipy(tmp_path):
    fname = tmp_path / "v4.mat"
    scipy.io.savemat(fname, {"a": np.ones((2, 3))}, format="4")
    assert list_mat_variables(fname) == {"a": (2, 3)}


def test_damaged_compressed_variable_is_an_error(tmp_path):
    """A damaged stream (complete file) is refused while listing, as scipy's listing did."""
    fname = tmp_path / "vars.mat"
    scipy.io.savemat(fname, {"de_LDS1": VARIABLES["de_LDS1"], "eye_1": np.ones((31, 5))},
                     do_compression=True)
    content = bytearray(fname.read_bytes())
    content[1000] ^= 0xFF  # inside the compressed data of de_LDS1
    fname.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"Could not read .*vars\.mat: the file is truncated "
                                         r"or corrupt \(error: Error -3 while decompressing"):
        list_mat_variables(fname)


def _no_whosmat(*args, **kwargs):
    raise AssertionError("scipy.io.whosmat walked the file a second time")


def test_feature_file_read_walks_its_elements_once(tmp_path, monkeypatch):
    roots = {
        "SEED-IV": simulate_seed_iv(tmp_path / "iv", n_subjects=1, sessions=(1,), n_trials=2,
                                    n_windows=2, raw=False, verbose="error"),
        "SEED": simulate_seed(tmp_path / "seed", n_subjects=1, n_trials=2, n_windows=2,
                              raw=False, verbose="error"),
    }
    walks = []
    walk = _io._walk_mat5

    def spy(fname, *, list_variables):
        walks.append(fname)
        return walk(fname, list_variables=list_variables)

    monkeypatch.setattr(_io, "_walk_mat5", spy)
    monkeypatch.setattr(scipy.io, "whosmat", _no_whosmat)
    read_seed_iv_features(roots["SEED-IV"], allow_partial=True, verbose="error")
    assert sorted(walks) == [roots["SEED-IV"] / folder / "1" / "1_20160518.mat"
                             for folder in ("eeg_feature_smooth", "eye_feature_smooth")]
    walks.clear()
    read_seed_features(roots["SEED"], allow_partial=True, verbose="error")
    # the feature file once; label.mat is loaded whole (one check, one read)
    folder = roots["SEED"] / "ExtractedFeatures"
    assert sorted(walks) == [folder / "1_20130718.mat", folder / "label.mat"]
