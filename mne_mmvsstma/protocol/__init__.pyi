__all__ = [
    "ProtocolResult",
    "format_summary",
    "plot_results",
    "pretraining_parts",
    "read_recordings",
    "run_protocol",
    "split_recording",
    "summarize",
    "svm_baseline",
]

from .baselines import (
    svm_baseline,
)
from .recordings import (
    pretraining_parts,
    read_recordings,
    split_recording,
)
from .report import (
    format_summary,
    plot_results,
    summarize,
)
from .runner import (
    ProtocolResult,
    run_protocol,
)
