"""Estimators on skorch (Pretrainer, EmotionClassifier), pretrain/finetune/evaluate, protocols."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Pretrainer": "estimators",
        "EmotionClassifier": "estimators",
        "TrialSplit": "estimators",
        "ExactResume": "callbacks",
        "warmup_cosine": "callbacks",
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
