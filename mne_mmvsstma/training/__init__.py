"""Training API (pretrain, finetune, evaluate) and the paper's experiment protocols."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "pretrain": "api",
        "finetune": "api",
        "evaluate": "api",
        "run_protocol": "protocol",
    },
)
