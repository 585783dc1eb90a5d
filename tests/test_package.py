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
