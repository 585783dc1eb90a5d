"""mne_mmvsstma: Multimodal MV-SSTMA emotion recognition for MNE-Python.

Self-supervised multi-view spectral-spatial-temporal masked autoencoders for
EEG and eye-movement features, multimodal fusion (concatenation or attention
with a DCCA correlation loss) and per-subject fine-tuning on few labels.

Heavy dependencies (torch, braindecode) are imported lazily: reading data or
computing features never imports torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0.dev0"

# public name -> submodule that defines it (resolved on first access)
_LAZY = {
    # channels
    "SEED_CH_NAMES": "channels",
    "make_seed_montage": "channels",
    "create_seed_info": "channels",
    # features
    "compute_de": "features",
    "smooth_lds": "features",
    "moving_average": "features",
    "DifferentialEntropy": "features",
    "make_windows": "features",
    "TrialWindows": "features",
    "BandScaler": "features",
    "EyeRescaler": "features",
    # models
    "MVSSTMA": "models",
    "MMVSSTMAClassifier": "models",
    "HybridBlock": "models",
    "dcca_loss": "models",
    # training
    "Pretrainer": "training",
    "EmotionClassifier": "training",
    "pretrain": "training",
    "finetune": "training",
    "evaluate": "training",
    "run_protocol": "training",
}

_SUBMODULES = {"channels", "datasets", "features", "models", "training", "utils", "cli"}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
