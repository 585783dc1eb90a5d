"""Training API (pretrain, finetune, evaluate) and the paper's experiment protocols."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "pretrain": "api",
        "finetune": "api",
        "evaluate": "api",
        "predict_proba": "api",
        "reconstruction_loss": "api",
        "save_model": "checkpoint",
        "load_model": "checkpoint",
        "run_protocol": "protocol",
        "split_recording": "protocol",
        "plot_results": "protocol",
        "ProtocolResult": "protocol",
        "svm_baseline": "baselines",
        "summarize": "report",
        "format_summary": "report",
    },
)
