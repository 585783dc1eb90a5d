"""Machine description shared by the benchmark scripts (printed with every table)."""

from __future__ import annotations

import os
import platform


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
