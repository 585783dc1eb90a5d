"""mne_mmvsstma: Multimodal MV-SSTMA emotion recognition for MNE-Python.

Self-supervised multi-view spectral-spatial-temporal masked autoencoders for
EEG and eye-movement features, multimodal fusion (concatenation or attention
with a DCCA correlation loss) and per-subject fine-tuning on few labels.

Heavy dependencies (torch, braindecode) are imported lazily (``lazy_loader``
stubs, as in MNE): reading data or computing features never imports torch.
"""

import lazy_loader as lazy

__version__ = "0.1.0.dev0"

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)


def _public_homes() -> dict[str, str]:
    """Top-level public name -> subpackage defining it (read from the stub)."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).with_suffix(".pyi").read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
