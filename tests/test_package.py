"""The public namespace resolves and stays light to import."""

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import mne_mmvsstma


@pytest.mark.parametrize("name", sorted(mne_mmvsstma._public_homes()))
def test_public_names_resolve(name):
    home = importlib.import_module(f"mne_mmvsstma.{mne_mmvsstma._public_homes()[name]}")
    assert getattr(mne_mmvsstma, name) is getattr(home, name)
    assert name in dir(mne_mmvsstma)


@pytest.mark.parametrize("sub", ["datasets", "simulation", "features", "models", "training",
                                 "protocol"])
def test_subpackage_maps_resolve(sub):
    """Every name of a subpackage's stub is the object its defining module holds."""
    package = importlib.import_module(f"mne_mmvsstma.{sub}")
    tree = ast.parse(Path(package.__file__).with_suffix(".pyi").read_text(encoding="utf-8"))
    n_checked = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(f"mne_mmvsstma.{sub}.{node.module}")
            for alias in node.names:
                assert getattr(package, alias.name) is getattr(module, alias.name), alias.name
                n_checked += 1
    assert n_checked == len([n for n in package.__all__
                             if not isinstance(getattr(package, n), types.ModuleType)])


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="nope"):
        mne_mmvsstma.nope  # noqa: B018


def test_import_does_not_load_torch():
    code = (
        "import sys, mne_mmvsstma, mne_mmvsstma.datasets; "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_from_import_pretrain():
    from mne_mmvsstma import pretrain

    assert callable(pretrain)
    assert pretrain.__doc__


def test_datasets_imports_neither_simulation_nor_features(tmp_path):
    """The read-only datasets room: its names and readers load no writer and no feature code."""
    from mne_mmvsstma.simulation import simulate_seed, simulate_seed_iv, simulate_seed_v

    roots = {
        "iv": simulate_seed_iv(tmp_path / "iv", n_subjects=1, sessions=(1,), n_trials=2,
                               n_windows=2, verbose="error"),
        "seed": simulate_seed(tmp_path / "seed", n_subjects=1, n_trials=2, n_windows=2,
                              verbose="error"),
        "v": simulate_seed_v(tmp_path / "v", n_subjects=1, verbose="error"),
    }
    code = f"""
import sys
from pathlib import Path
import mne_mmvsstma.datasets as ds
roots = {{k: Path(v) for k, v in {({k: str(v) for k, v in roots.items()})!r}.items()}}
for name in ds.__all__:
    getattr(ds, name)
for root in roots.values():
    assert ds.read_features(root, allow_partial=True, verbose="error")
ds.read_epochs_seed_iv(next((roots["iv"] / "eeg_raw_data" / "1").glob("*.mat")),
                       allow_partial=True, verbose="error")
ds.read_raw_seed(next((roots["seed"] / "Preprocessed_EEG").glob("1_*.mat")),
                 allow_partial=True, verbose="error")
ds.read_raw_seed_v(next((roots["v"] / "EEG_raw").glob("*.cnt")),
                   trial_times=ds.seed_v_trial_times(1, 0.01), verbose="error")
print(sorted(m for m in sys.modules if m.startswith("mne_mmvsstma.")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.strip()
    assert "mne_mmvsstma.datasets.seed_v" in loaded  # the readers did run
    assert "mne_mmvsstma.simulation" not in loaded
    assert "mne_mmvsstma.features" not in loaded


@pytest.mark.parametrize("name, home", [
    ("simulate_seed", "simulation"),
    ("simulate_seed_iv", "simulation"),
    ("simulate_seed_v", "simulation"),
    ("fill_eye_nan", "features"),
])
def test_datasets_moved_names_warn_and_forward(name, home):
    from mne_mmvsstma import datasets

    new = getattr(importlib.import_module(f"mne_mmvsstma.{home}"), name)
    match = rf"mne_mmvsstma\.datasets\.{name} is deprecated.*mne_mmvsstma\.{home}\.{name}"
    with pytest.warns(FutureWarning, match=match):
        old = getattr(datasets, name)
    assert old is new
    with pytest.warns(FutureWarning, match=match):
        exec(f"from mne_mmvsstma.datasets import {name} as old_import", {})
    assert name not in datasets.__all__ and name not in dir(datasets)
    with pytest.raises(AttributeError, match="nope"):
        datasets.nope  # noqa: B018
