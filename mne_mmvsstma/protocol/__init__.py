"""The paper's protocol: experiment grid per subject-session, SVM baselines, tables and plots."""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
