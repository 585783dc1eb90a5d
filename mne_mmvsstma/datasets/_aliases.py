"""Names kept importable from :mod:`mne_mmvsstma.datasets` for existing scripts.

Their home is elsewhere: the simulators in :mod:`mne_mmvsstma.simulation`, the
NaN filling of eye features in :mod:`mne_mmvsstma.features`. Nothing in the
readers imports this module.
"""

from ..features.eye import fill_eye_nan
from ..simulation.seed import simulate_seed
from ..simulation.seed_iv import simulate_seed_iv
from ..simulation.seed_v import simulate_seed_v

__all__ = ["fill_eye_nan", "simulate_seed", "simulate_seed_iv", "simulate_seed_v"]
