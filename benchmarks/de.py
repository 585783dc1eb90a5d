"""Benchmark of :func:`mne_mmvsstma.features.compute_de` throughput and memory.

Simulates a continuous 62-channel, 200 Hz recording (1 hour by default,
float64 microvolts) and computes DE features in 4-s and 1-s non-overlapping
windows with both methods, printing wall time (best of ``--repeat`` runs,
``time.perf_counter``), throughput in samples/s (time points x channels per
second), and the peak memory allocated during one call (``tracemalloc``; numpy
reports its buffers to it), relative to the size of the input array.

Target: a whole SEED-IV session (about 50 minutes) in under 1 s on 2 CPU cores
with peak memory (input + everything allocated during the call) under 3x the
input size. The last section times exactly such a session.

Run::

    python benchmarks/de.py              # full size (needs ~1 GB of RAM)
    python benchmarks/de.py --duration 600 --repeat 1   # quick
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
import tracemalloc

import numpy as np
import scipy
from _machine import cpu_info  # benchmarks/ is on sys.path when run as a script

from mne_mmvsstma.features import compute_de


def _time(func, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def _peak(func):
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds (default 1 h)")
    parser.add_argument("--n-channels", type=int, default=62)
    parser.add_argument("--sfreq", type=float, default=200.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--methods", default="seed,gaussian")
    parser.add_argument("--n-jobs", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--session-minutes", type=float, default=50.0)
    args = parser.parse_args(argv)

    model, n_cpu, n_avail = cpu_info()
    print(f"platform : {platform.platform()}")
    print(f"cpu      : {model} ({n_cpu} logical CPUs, {n_avail} available to this process)")
    print(f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load avg : {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min)")

    n_times = int(round(args.duration * args.sfreq))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.n_channels, n_times))
    x *= 10.0  # microvolts
    size_mb = x.nbytes / 2**20
    print(
        f"input    : {args.n_channels} channels x {n_times} samples "
        f"({args.duration / 60:g} min at {args.sfreq:g} Hz), float64, {size_mb:.0f} MiB"
    )
    n_values = x.size
    methods = args.methods.split(",")
    jobs = [int(j) for j in args.n_jobs.split(",")]
    compute_de(x[:, : int(8 * args.sfreq)], args.sfreq, window=4.0, verbose=False)  # warm-up

    header = (
        f"{'method':<9}{'window':>7}{'n_jobs':>7}{'windows':>9}{'best s':>9}{'median s':>10}"
        f"{'Msamples/s':>12}{'peak extra':>12}{'peak/input':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for method in methods:
        for window in (4.0, 1.0):
            for n_jobs in jobs:

                def run(method=method, window=window, n_jobs=n_jobs):
                    return compute_de(
                        x, args.sfreq, window=window, method=method, n_jobs=n_jobs, verbose=False
                    )

                best, median = _time(run, args.repeat)
                peak = _peak(run)
                n_win = n_times // int(round(window * args.sfreq))
                print(
                    f"{method:<9}{window:>6g}s{n_jobs:>7}{n_win:>9}{best:>9.3f}{median:>10.3f}"
                    f"{n_values / best / 1e6:>12.1f}{peak / 2**20:>10.0f}Mi"
                    f"{(x.nbytes + peak) / x.nbytes:>10.2f}x"
                )
    print("-" * len(header))
    print(
        "peak extra = memory allocated during one call (tracemalloc); "
        "peak/input = (input + peak extra) / input"
    )

    # the target: one SEED-IV session (~50 min) in under 1 s on 2 cores
    n_session = int(round(args.session_minutes * 60 * args.sfreq))
    if n_session <= n_times:
        xs = x[:, :n_session]
        xs = np.ascontiguousarray(xs)
        n_jobs = min(2, n_avail or 1)

        print()
        for method in methods:

            def session(method=method):
                return compute_de(
                    xs, args.sfreq, window=4.0, method=method, n_jobs=n_jobs, verbose=False
                )

            best, median = _time(session, max(args.repeat, 3))
            peak = _peak(session)
            ratio = (xs.nbytes + peak) / xs.nbytes
            print(
                f"SEED-IV session ({args.session_minutes:g} min, {args.n_channels} ch, "
                f"4-s windows, {method} method, n_jobs={n_jobs}): best {best:.3f} s, median "
                f"{median:.3f} s [target < 1 s: {'met' if best < 1 else 'NOT met'}], "
                f"peak {ratio:.2f}x input [target < 3x: {'met' if ratio < 3 else 'NOT met'}]"
            )
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {max_rss:.0f} MiB (input {size_mb:.0f} MiB)")


if __name__ == "__main__":
    main()
