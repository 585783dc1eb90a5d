"""SEED, SEED-IV and SEED-V: readers of the real file layouts.

Submodules: ``seed_iv`` (SEED-IV raw EEG and feature files), ``seed_v`` (SEED-V
Neuroscan .cnt recordings and npz features), ``seed`` (SEED preprocessed EEG and
ExtractedFeatures). This package only reads and imports neither
:mod:`mne_mmvsstma.simulation` (the simulators that write folders in these
layouts) nor :mod:`mne_mmvsstma.features`. The names that used to be
re-exported here (``simulate_seed``, ``simulate_seed_iv``, ``simulate_seed_v``,
``fill_eye_nan``) still resolve, with a :class:`FutureWarning` naming their home.
"""

import lazy_loader as lazy

_stub_getattr, __dir__, __all__ = lazy.attach_stub(__name__, __file__)

#: Deprecated names of this package -> the package they live in now.
_MOVED = {
    "fill_eye_nan": "mne_mmvsstma.features",
    "simulate_seed": "mne_mmvsstma.simulation",
    "simulate_seed_iv": "mne_mmvsstma.simulation",
    "simulate_seed_v": "mne_mmvsstma.simulation",
}


def __getattr__(name):
    home = _MOVED.get(name)
    if home is None:
        return _stub_getattr(name)
    import importlib

    from mne.utils import warn

    warn(
        f"mne_mmvsstma.datasets.{name} is deprecated and will be removed in 0.2: the "
        f"datasets package only reads. Use {home}.{name} instead.",
        FutureWarning,
        module="mne_mmvsstma",
        ignore_namespaces=("mne_mmvsstma", "mne"),
    )
    return getattr(importlib.import_module(home), name)
