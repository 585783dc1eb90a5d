__all__ = [
    "EYE_FEATURE_NAMES",
    "FeatureRecording",
    "SEED_EVENT_ID",
    "SEED_IV_EVENT_ID",
    "SEED_IV_LABELS",
    "SEED_IV_N_WINDOWS",
    "SEED_LABELS",
    "SEED_N_WINDOWS",
    "SEED_V_EVENT_ID",
    "SEED_V_EYE_FEATURE_NAMES",
    "SEED_V_LABELS",
    "SEED_V_TRIAL_TIMES",
    "detect_dataset",
    "natural_key",
    "read_epochs_seed",
    "read_epochs_seed_iv",
    "read_epochs_seed_v",
    "read_features",
    "read_raw_seed",
    "read_raw_seed_iv",
    "read_raw_seed_v",
    "read_seed_features",
    "read_seed_iv_features",
    "read_seed_v_features",
    "seed_v_trial_times",
]

from ._base import (
    FeatureRecording,
    natural_key,
)
from ._read import (
    detect_dataset,
    read_features,
)
from .seed import (
    SEED_EVENT_ID,
    SEED_LABELS,
    SEED_N_WINDOWS,
    read_epochs_seed,
    read_raw_seed,
    read_seed_features,
)
from .seed_iv import (
    EYE_FEATURE_NAMES,
    SEED_IV_EVENT_ID,
    SEED_IV_LABELS,
    SEED_IV_N_WINDOWS,
    read_epochs_seed_iv,
    read_raw_seed_iv,
    read_seed_iv_features,
)
from .seed_v import (
    SEED_V_EVENT_ID,
    SEED_V_EYE_FEATURE_NAMES,
    SEED_V_LABELS,
    SEED_V_TRIAL_TIMES,
    read_epochs_seed_v,
    read_raw_seed_v,
    read_seed_v_features,
    seed_v_trial_times,
)
