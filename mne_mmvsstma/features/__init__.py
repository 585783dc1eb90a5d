"""Differential-entropy features, LDS / moving-average smoothing, T-windows and scalers."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "SEED_BANDS": "de",
        "compute_de": "de",
        "smooth_lds": "smoothing",
        "moving_average": "smoothing",
        "DifferentialEntropy": "transformer",
        "make_windows": "windows",
        "Windows": "windows",
        "TrialWindows": "windows",
        "BandScaler": "normalize",
        "EyeRescaler": "normalize",
        "RobustEyeScaler": "normalize",
    },
)
