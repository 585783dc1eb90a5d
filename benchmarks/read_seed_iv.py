"""Benchmark: read one real-size SEED-IV session into Raw and into Epochs.

Simulates one SEED-IV recording of the real size with
:func:`mne_mmvsstma.simulation.simulate_seed_iv` (24 trials with the real
window counts of session 1: 851 windows of 4 s, about 57 minutes of 62-channel
EEG at 200 Hz, ~340 MB of float64 in the .mat file), then times

* ``read_raw_seed_iv``: load the .mat, check, concatenate, scale to volts,
  montage and annotations;
* ``read_epochs_seed_iv``: the same plus cutting the 851 non-overlapping 4-s
  windows into an :class:`mne.EpochsArray` with metadata.

The first call of each reader is reported separately ("cold": includes
imports and the OS file cache filling); the table shows the best and median
of ``--repeat`` further calls. Target: Epochs in under 5 s on 2 CPU cores.

Run::

    python benchmarks/read_seed_iv.py              # writes ~340 MB to a temp folder
    python benchmarks/read_seed_iv.py --repeat 5 --keep /tmp/seed_iv_bench
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import cpu_info  # benchmarks/ is on sys.path when run as a script


def _time(func, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return out, min(times), float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per reader")
    parser.add_argument("--session", type=int, default=1, choices=(1, 2, 3))
    parser.add_argument(
        "--keep", type=Path, default=None, help="folder to write (and keep) the data in"
    )
    args = parser.parse_args(argv)

    t_import = time.perf_counter()
    import mne

    from mne_mmvsstma.datasets import (
        SEED_IV_N_WINDOWS,
        read_epochs_seed_iv,
        read_raw_seed_iv,
    )
    from mne_mmvsstma.simulation import simulate_seed_iv

    t_import = time.perf_counter() - t_import
    mne.set_log_level("WARNING")
    model, n_cpu, n_avail = cpu_info()
    print("SEED-IV session read benchmark")
    print(f"machine : {platform.platform()} | Python {platform.python_version()}")
    print(f"CPU     : {model} | os.cpu_count()={n_cpu}, available to this process={n_avail}")
    print(f"versions: mne {mne.__version__}, numpy {np.__version__}")

    tmp = None
    root = args.keep
    if root is None:
        tmp = tempfile.mkdtemp(prefix="seed_iv_bench_")
        root = Path(tmp)
    try:
        t0 = time.perf_counter()
        simulate_seed_iv(root, n_subjects=1, sessions=(args.session,), features=False)
        t_sim = time.perf_counter() - t0
        (fname,) = (root / "eeg_raw_data" / str(args.session)).glob("*.mat")
        n_windows = sum(SEED_IV_N_WINDOWS[args.session])
        size_mb = fname.stat().st_size / 1e6
        print(
            f"data    : {fname.name}, 24 trials, {n_windows} windows of 4 s, 62 ch x 200 Hz, "
            f"{size_mb:.0f} MB (simulated in {t_sim:.1f} s)"
        )

        t0 = time.perf_counter()
        raw = read_raw_seed_iv(fname)
        cold_raw = time.perf_counter() - t0
        t0 = time.perf_counter()
        read_epochs_seed_iv(fname)
        cold_epochs = time.perf_counter() - t0
        raw, raw_best, raw_med = _time(lambda: read_raw_seed_iv(fname), args.repeat)
        epochs, ep_best, ep_med = _time(lambda: read_epochs_seed_iv(fname), args.repeat)
        assert len(epochs) == n_windows, (len(epochs), n_windows)

        minutes = raw.n_times / raw.info["sfreq"] / 60
        rows = [
            ("read_raw_seed_iv -> Raw", f"{raw.n_times} samples ({minutes:.1f} min)", cold_raw,
             raw_best, raw_med),
            ("read_epochs_seed_iv -> Epochs", f"{len(epochs)} x 62 x {len(epochs.times)}",
             cold_epochs, ep_best, ep_med),
        ]  # fmt: skip
        print()
        print(f"imports (mne + package, once): {t_import:.2f} s")
        header = f"{'reader':<31} {'output':<28} {'cold (s)':>9} {'best (s)':>9} {'median (s)':>11}"
        print(header)
        print("-" * len(header))
        for name, shape, cold, best, med in rows:
            print(f"{name:<31} {shape:<28} {cold:>9.2f} {best:>9.2f} {med:>11.2f}")
        status = "OK" if ep_med < 5.0 else "SLOWER THAN TARGET"
        print(f"\ntarget: Epochs < 5 s -> median {ep_med:.2f} s: {status}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
