"""Time the paper's Tables 1-2 on a real-size simulated SEED-IV folder; extrapolate Tables 1-4.

A simulated SEED-IV folder with 15 subjects x 3 sessions and the real trial
counts and lengths (features only) is written, then
:func:`~mne_mmvsstma.protocol.run_protocol` runs Tables 1 and 2 with the
package's recipe (pretraining of both extractors, linear probes) at the
requested model size. The time of Tables 1-4 is extrapolated from the measured
pretraining time and the mean time per classifier fit.

Run::

    python benchmarks/protocol_time.py --device cuda            # paper size, one GPU
    python benchmarks/protocol_time.py --smoke                  # seconds, CPU (tests)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--model-size", default="paper", choices=["paper", "small", "demo"])
    parser.add_argument("--pretrain-epochs", type=int, default=100)
    parser.add_argument("--pretrain-batch-size", type=int, default=1024)
    parser.add_argument("--ensemble", type=int, default=3,
                        help="members of the seed ensemble (default 3, the recipe; 1 fits one "
                             "model per setting as the paper does)")
    parser.add_argument("--smoke", action="store_true",
                        help="1 subject, 1 session, 4 windows per trial, demo size, 1 epoch, CPU")
    args = parser.parse_args(argv)
    import mne
    import torch

    from mne_mmvsstma.cli import MODEL_SIZES
    from mne_mmvsstma.protocol import run_protocol
    from mne_mmvsstma.protocol import runner as protocol
    from mne_mmvsstma.simulation import simulate_seed_iv

    mne.set_log_level("WARNING")
    n_subjects, sessions, n_windows = 15, (1, 2, 3), None
    if args.smoke:
        n_subjects, sessions, n_windows = 1, (1,), 4
        args.model_size, args.pretrain_epochs, args.device = "demo", 1, "cpu"
        args.pretrain_batch_size = 64
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" \
        else args.device
    name = torch.cuda.get_device_name(0) if device.startswith("cuda") else "CPU"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "SEED-IV"
        t0 = time.perf_counter()
        simulate_seed_iv(root, n_subjects=n_subjects, sessions=sessions, n_windows=n_windows,
                         raw=False, verbose=False)
        t_sim = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = run_protocol(root, dataset="SEED-IV", tables="1,2", plot=False, device=device,
                           model_kwargs=MODEL_SIZES[args.model_size],
                           pretrain_epochs=args.pretrain_epochs,
                           pretrain_batch_size=args.pretrain_batch_size,
                           ensemble=args.ensemble, verbose=False)
        t_all = time.perf_counter() - t0
    n_rec = n_subjects * len(sessions)
    fits_12 = res.results.drop_duplicates(["model", "setting", "subject", "session"]).shape[0]
    rows_1234 = protocol._table_rows(["1", "2", "3", "4"], 10, "trial", (0.3, 0.5, 0.7), True)
    fits_1234 = n_rec * len({spec for *_, spec in rows_1234})
    print(f"SEED-IV simulated: {n_subjects} subjects x {len(sessions)} sessions "
          f"(simulation {t_sim:.0f} s); model size {args.model_size}; device {name}; "
          f"pretraining {args.pretrain_epochs} epochs, batch {args.pretrain_batch_size}; "
          f"seed ensemble of {args.ensemble}")
    print(f"Tables 1-2: {t_all:.0f} s for {fits_12} results ({fits_12 * args.ensemble} "
          f"classifier fits) + pretraining of {2 * args.ensemble} extractors")
    # upper bound: all of the time counted as per-fit time
    print(f"Tables 1-4 (extrapolated, {fits_1234} results): "
          f"<= {t_all * fits_1234 / fits_12:.0f} s")


if __name__ == "__main__":
    main()
