__all__ = [
    "HybridBlock",
    "MMVSSTMAClassifier",
    "MVSSTMA",
    "dcca_loss",
    "set_cpu_attention_kernel",
]

from ._cpu_attention import (
    set_cpu_attention_kernel,
)
from .dcca import (
    dcca_loss,
)
from .fusion import (
    MMVSSTMAClassifier,
)
from .hybrid import (
    HybridBlock,
)
from .mvsstma import (
    MVSSTMA,
)
