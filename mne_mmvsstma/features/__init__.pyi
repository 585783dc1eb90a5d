__all__ = [
    "BandScaler",
    "DifferentialEntropy",
    "EyeRescaler",
    "RobustEyeScaler",
    "SEED_BANDS",
    "TrialWindows",
    "Windows",
    "compute_de",
    "fill_eye_nan",
    "make_windows",
    "moving_average",
    "smooth_lds",
]

from .de import (
    SEED_BANDS,
    compute_de,
)
from .eye import (
    fill_eye_nan,
)
from .normalize import (
    BandScaler,
    EyeRescaler,
    RobustEyeScaler,
)
from .smoothing import (
    moving_average,
    smooth_lds,
)
from .transformer import (
    DifferentialEntropy,
)
from .windows import (
    TrialWindows,
    Windows,
    make_windows,
)
