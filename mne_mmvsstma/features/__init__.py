"""Differential-entropy features, LDS / moving-average smoothing, eye NaN filling,
T-windows and scalers."""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
