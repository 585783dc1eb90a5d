"""The former single module of the estimators, kept so that its import path works.

The estimators and their parts live in modules named after their concern, and
are re-exported here unchanged (``from mne_mmvsstma.training.estimators import
Pretrainer`` and the private helpers keep working):

- :mod:`mne_mmvsstma.training._data`: the window dataset, its batches and
  :class:`~mne_mmvsstma.training.TrialSplit`;
- :mod:`mne_mmvsstma.training._base`: device resolution, seeds and the shared
  skorch base of the estimators;
- :mod:`mne_mmvsstma.training.pretrainer`: :class:`~mne_mmvsstma.training.Pretrainer`;
- :mod:`mne_mmvsstma.training.probe`: the linear probe (standardisation,
  whitening, logistic regression, attention fit);
- :mod:`mne_mmvsstma.training.classifier`:
  :class:`~mne_mmvsstma.training.EmotionClassifier`.
"""

from ._base import (  # noqa: F401
    ARCH_PARAMS,
    _entropy,
    _MVSSTMANet,
    _resolve_device,
    _TrainTask,
)
from ._data import TrialSplit, WindowDataset, _batch  # noqa: F401
from .classifier import FUSIONS, EmotionClassifier
from .pretrainer import Pretrainer, _pretrained_module  # noqa: F401
from .probe import (  # noqa: F401
    _attention_fuse,
    _fit_attention,
    _logistic_probe,
    _standardise,
)

__all__ = [
    "ARCH_PARAMS",
    "FUSIONS",
    "EmotionClassifier",
    "Pretrainer",
    "TrialSplit",
    "WindowDataset",
]
