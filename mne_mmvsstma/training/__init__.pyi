__all__ = [
    "EmotionClassifier",
    "ExactResume",
    "Pretrainer",
    "TrialSplit",
    "distributed",
    "evaluate",
    "finetune",
    "load_model",
    "predict_proba",
    "pretrain",
    "recipe",
    "reconstruction_loss",
    "save_model",
    "warmup_cosine",
]

from . import (
    distributed,
    recipe,
)
from ._data import (
    TrialSplit,
)
from .api import (
    finetune,
    pretrain,
)
from .callbacks import (
    ExactResume,
    warmup_cosine,
)
from .checkpoint import (
    load_model,
    save_model,
)
from .classifier import (
    EmotionClassifier,
)
from .evaluation import (
    evaluate,
    predict_proba,
    reconstruction_loss,
)
from .pretrainer import (
    Pretrainer,
)
