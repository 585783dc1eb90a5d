"""Shared pytest fixtures."""

from __future__ import annotations

import os

# OpenMP spin-waiting makes torch many times slower on a busy 2-core machine;
# this must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A seeded numpy Generator."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _torch_threads():
    """Run torch on one thread: the test models are tiny, and OpenMP synchronisation
    costs dominate on a busy 2-core CI machine."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
