__all__ = [
    "ProtocolResult",
    "format_summary",
    "plot_results",
    "read_recordings",
    "run_protocol",
    "split_recording",
    "summarize",
    "svm_baseline",
]

from .baselines import (
    svm_baseline,
)
from .report import (
    format_summary,
    summarize,
)
from .runner import (
    ProtocolResult,
    plot_results,
    read_recordings,
    run_protocol,
    split_recording,
)
