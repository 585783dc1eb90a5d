"""braindecode-style PyTorch models: hybrid block, MV-SSTMA autoencoder, fusion classifier."""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
