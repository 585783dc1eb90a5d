"""Estimators on skorch (Pretrainer, EmotionClassifier), pretrain/finetune/evaluate,
safe model files and distributed launch helpers."""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
