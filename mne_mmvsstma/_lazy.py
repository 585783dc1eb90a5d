"""Lazy attribute loading for subpackages (keeps ``import mne_mmvsstma`` light)."""

from __future__ import annotations

import importlib


def attach(package: str, mapping: dict[str, str]):
    """Return ``(__getattr__, __dir__, __all__)`` resolving ``mapping[name]`` lazily.

    ``mapping`` maps a public name to the (relative) submodule defining it.
    """
    names = sorted(mapping)

    def __getattr__(name):
        if name in mapping:
            module = importlib.import_module(f".{mapping[name]}", package)
            return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return names

    return __getattr__, __dir__, names
