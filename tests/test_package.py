"""The public namespace resolves and stays light to import."""

import subprocess
import sys

import pytest

import mne_mmvsstma


@pytest.mark.parametrize("name", sorted(mne_mmvsstma._public_homes()))
def test_public_names_resolve(name):
    obj = getattr(mne_mmvsstma, name)
    assert obj is not None
    assert name in dir(mne_mmvsstma)


def test_subpackage_maps_resolve():
    from mne_mmvsstma import datasets, features, models, protocol, simulation, training

    for sub in (datasets, simulation, features, models, training, protocol):
        for name in sub.__all__:
            assert getattr(sub, name) is not None, f"{sub.__name__}.{name}"


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
