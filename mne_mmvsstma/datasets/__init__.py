"""SEED, SEED-IV and SEED-V: readers of the real file layouts and simulators writing them.

Submodules: ``seed_iv`` (SEED-IV raw EEG and feature files), ``seed_v`` (SEED-V
Neuroscan .cnt recordings and npz features), ``seed`` (SEED preprocessed EEG and
ExtractedFeatures). Every ``simulate_*`` function writes a small folder in the
exact real layout, so tests and tutorials never need the licensed data.
"""

from .._lazy import attach
from ._base import FeatureRecording, natural_key  # noqa: F401

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "FeatureRecording": "_base",
        "natural_key": "_base",
        # SEED-IV
        "SEED_IV_LABELS": "seed_iv",
        "SEED_IV_EVENT_ID": "seed_iv",
        "SEED_IV_N_WINDOWS": "seed_iv",
        "EYE_FEATURE_NAMES": "seed_iv",
        "read_raw_seed_iv": "seed_iv",
        "read_epochs_seed_iv": "seed_iv",
        "read_seed_iv_features": "seed_iv",
        "simulate_seed_iv": "seed_iv",
        "fill_eye_nan": "seed_iv",
        # SEED-V
        "SEED_V_LABELS": "seed_v",
        "SEED_V_EVENT_ID": "seed_v",
        "SEED_V_TRIAL_TIMES": "seed_v",
        "SEED_V_EYE_FEATURE_NAMES": "seed_v",
        "seed_v_trial_times": "seed_v",
        "read_raw_seed_v": "seed_v",
        "read_epochs_seed_v": "seed_v",
        "read_seed_v_features": "seed_v",
        "simulate_seed_v": "seed_v",
        # SEED
        "SEED_LABELS": "seed",
        "SEED_EVENT_ID": "seed",
        "SEED_N_WINDOWS": "seed",
        "read_raw_seed": "seed",
        "read_epochs_seed": "seed",
        "read_seed_features": "seed",
        "simulate_seed": "seed",
        # any dataset
        "read_features": "_read",
        "detect_dataset": "_read",
    },
)
