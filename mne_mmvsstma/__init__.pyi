__all__ = [
    "BandScaler",
    "DifferentialEntropy",
    "EmotionClassifier",
    "EyeRescaler",
    "HybridBlock",
    "MMVSSTMAClassifier",
    "MVSSTMA",
    "Pretrainer",
    "RobustEyeScaler",
    "SEED_BANDS",
    "SEED_CH_NAMES",
    "TrialWindows",
    "channels",
    "cli",
    "compute_de",
    "create_seed_info",
    "datasets",
    "dcca_loss",
    "evaluate",
    "features",
    "fill_eye_nan",
    "finetune",
    "make_seed_montage",
    "make_windows",
    "models",
    "moving_average",
    "pretrain",
    "protocol",
    "run_protocol",
    "simulation",
    "smooth_lds",
    "training",
    "utils",
    "__version__",
]

from . import (
    channels,
    cli,
    datasets,
    features,
    models,
    protocol,
    simulation,
    training,
    utils,
)
from .channels import (
    SEED_CH_NAMES,
    create_seed_info,
    make_seed_montage,
)
from .features import (
    SEED_BANDS,
    BandScaler,
    DifferentialEntropy,
    EyeRescaler,
    RobustEyeScaler,
    TrialWindows,
    compute_de,
    fill_eye_nan,
    make_windows,
    moving_average,
    smooth_lds,
)
from .models import (
    MVSSTMA,
    HybridBlock,
    MMVSSTMAClassifier,
    dcca_loss,
)
from .protocol import (
    run_protocol,
)
from .training import (
    EmotionClassifier,
    Pretrainer,
    evaluate,
    finetune,
    pretrain,
)

__version__: str
