"""SEED, SEED-IV and SEED-V: readers of the real file layouts.

Submodules: ``seed_iv`` (SEED-IV raw EEG and feature files), ``seed_v`` (SEED-V
Neuroscan .cnt recordings and npz features), ``seed`` (SEED preprocessed EEG and
ExtractedFeatures). This package only reads; the simulators that write
folders in these layouts live in :mod:`mne_mmvsstma.simulation` (and are
re-exported here under their usual names, as is
:func:`mne_mmvsstma.features.fill_eye_nan`).
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
