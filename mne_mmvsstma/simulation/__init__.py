"""Simulators writing SEED, SEED-IV and SEED-V folders in the exact real layouts.

Every ``simulate_*`` function writes a folder that the readers of
:mod:`mne_mmvsstma.datasets` read like the licensed data, with statistics
calibrated to real recordings, so tests and tutorials never need the data.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
