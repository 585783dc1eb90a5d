"""Machine description shared by the benchmark scripts (printed with every table)."""

from __future__ import annotations

import math
import os
import platform
import time


def cpu_info():
    """Return ``(cpu model name, os.cpu_count(), CPUs available to this process)``."""
    try:
        n_avail = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n_avail = os.cpu_count()
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fid:
            for line in fid:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    return model, os.cpu_count(), n_avail


def sgemm_gflops(size=2048, repeat=5):
    """Float32 GFLOP/s of a large square matrix product: the machine's practical peak.

    Printed with the tables so that runs on a shared or throttled machine can be
    compared (the same VM has measured anywhere from about 150 to 220 GFLOP/s on 2 threads).
    """
    import torch

    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9
