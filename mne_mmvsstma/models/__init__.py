"""braindecode-style PyTorch models: hybrid block, MV-SSTMA autoencoder, fusion classifier."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "HybridBlock": "hybrid",
        "MVSSTMA": "mvsstma",
        "MMVSSTMAClassifier": "fusion",
        "dcca_loss": "dcca",
    },
)
