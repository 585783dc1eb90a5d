"""Shared pytest fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded numpy Generator."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _torch_threads():
    """Keep torch deterministic and light on the 2-core CI machine."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(min(n, 2))
    yield
    torch.set_num_threads(n)
