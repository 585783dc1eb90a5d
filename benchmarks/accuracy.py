"""Accuracy of MV-SSTMA against DE + linear SVM on calibrated simulated SEED-IV and SEED.

The paper's subject-dependent protocol (SEED-IV: first 16 trials train, last 8
test; SEED: 9 / 6) on folders written by the package's simulators, whose
statistics are calibrated to real recordings (SPEC "Real-data statistics":
variance fractions, autocorrelation, correlations, eye-feature tails, SVM
spread), with the real trial counts and lengths. Printed per dataset: linear
SVM (StandardScaler + SVC), MV-SSTMA without and with pretraining, and, with
eye features, Concat and Att fusion, as mean / std over subject-sessions, and
the time taken.

The recipe measured is the package's ("choose defaults by the benchmark"):
self-supervised pretraining on the training trials of every recording, then a
linear probe (``EmotionClassifier(probe_C=...)``) on the frozen encoder's
features; "without pretraining" is the same probe on a randomly initialised
encoder. Model selection never sees a test trial.

Run::

    python benchmarks/accuracy.py                 # two processes of one thread each
    python benchmarks/accuracy.py --smoke         # seconds (tests)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from _machine import cpu_info, sgemm_gflops  # noqa: E402

# the CPU model size of the benchmark (the CLI's "demo" size: 1 + 1 hybrid blocks, one
# feature vector per channel) and the recipe
ARCH = dict(emb_dim=16, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=16, pool="channels")
# (the whitening of all windows, as recorded in benchmarks/README.md: the simulated folders
# share their stimulus order too, and the stimulus whitening was chosen on real data; the
# batch-norm statistics of the pretraining batches kept, as recorded: their reset after
# pretraining was chosen on real data too)
RECIPE = dict(pretrain_lr=1e-3, pretrain_mask_ratio=0.3, whitening=1.0,
              whitening_covariance="total", reset_batchnorm=False, probe_C=1.0,
              probe_whitening="auto", probe_attention=True, finetune_epochs=0, fusion_dim=None)
# members of the seed ensemble, as recorded in benchmarks/README.md (the protocol's default
# for SEED-IV became 6 on real data; this simulated regression check keeps 3)
ENSEMBLE = {"SEED-IV": 3, "SEED": 5}
DATASETS = {
    # dataset: (simulator, tables, pretraining epochs)
    "SEED-IV": ("simulate_seed_iv", "1,2,baselines", 10),
    # SEED's 1-s windows give ~3x more windows per epoch; 10 epochs scored lower (66.9 %)
    "SEED": ("simulate_seed", "1,baselines", 3),
}


def _row_name(table, model, setting):
    if table == "baselines":
        return f"SVM {model.split('-')[-1].upper()}" if "-" in model else model
    if table == "1":
        return f"{model} ({setting})"
    return model


def run(dataset, root, *, n_subjects, pretrain_epochs, n_windows, threads, seed, ensemble,
        mask_ratio, n_jobs=1, out_dir=None):
    import mne
    import torch

    from mne_mmvsstma import simulation
    from mne_mmvsstma.protocol import run_protocol

    mne.set_log_level("WARNING")
    torch.set_num_threads(threads)
    simulate, tables, _ = DATASETS[dataset]
    t0 = time.perf_counter()
    getattr(simulation, simulate)(root, n_subjects=n_subjects, sessions=(1,), raw=False,
                                n_windows=n_windows, random_state=seed, verbose=False)
    t_sim = time.perf_counter() - t0
    result = run_protocol(
        root, dataset=dataset, tables=tables, sessions=[1], model_kwargs=ARCH,
        pretrain_epochs=pretrain_epochs,
        pretrain_mask_ratio=mask_ratio,
        pretrain_kwargs=dict(lr=RECIPE["pretrain_lr"], whitening=RECIPE["whitening"],
                             whitening_covariance=RECIPE["whitening_covariance"],
                             reset_batchnorm=RECIPE["reset_batchnorm"]),
        finetune_epochs=RECIPE["finetune_epochs"], fusion_dim=RECIPE["fusion_dim"],
        classifier_kwargs=dict(probe_C=RECIPE["probe_C"],
                               probe_whitening=RECIPE["probe_whitening"],
                               probe_attention=RECIPE["probe_attention"]),
        ensemble=ensemble, plot=False, device="cpu", n_jobs=n_jobs, out_dir=out_dir,
        random_state=seed, verbose=False,
    )
    return result.results, t_sim, time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="SEED-IV,SEED")
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--pretrain-epochs", type=int, default=None,
                        help="default: SEED-IV 10, SEED 3")
    parser.add_argument("--mask-ratio", type=float, default=RECIPE["pretrain_mask_ratio"],
                        help="pretraining mask ratio (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="processes of the protocol (run_protocol(n_jobs=...)), "
                             "--threads shared among them (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ensemble", type=int, default=None,
                        help="members of the seed ensemble (default: SEED-IV 3, SEED 5, as "
                             "recorded)")
    parser.add_argument("--out-dir", default=None,
                        help="keep the protocol's outputs (tables, pretrained extractors) in "
                             "OUT_DIR/<dataset> (default: nothing kept)")
    parser.add_argument("--smoke", action="store_true",
                        help="2 subjects, 6 windows per trial, 1 pretraining epoch, ensemble of 2")
    args = parser.parse_args(argv)
    n_windows = None
    if args.smoke:
        args.subjects, args.pretrain_epochs, n_windows, args.ensemble = 2, 1, 6, 2
    import mne
    import torch

    model, n_cpu, n_avail = cpu_info()
    torch.set_num_threads(args.threads)
    print(f"Machine: {model} ({n_avail} of {n_cpu} CPUs), {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, torch "
          f"{torch.__version__}, mne {mne.__version__}, {args.threads} torch threads in "
          f"{args.n_jobs} process(es), "
          f"float32 GEMM reference {sgemm_gflops():.0f} GFLOP/s"
          + (f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""))
    lengths = "6 windows per trial" if n_windows else "real trial counts and lengths"
    recipe = dict(RECIPE, pretrain_mask_ratio=args.mask_ratio)
    print(f"Model: MV-SSTMA {ARCH}; recipe {recipe}; simulated session 1, "
          f"{args.subjects} subjects, {lengths}")
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets.split(","):
            epochs = DATASETS[dataset][2] if args.pretrain_epochs is None else args.pretrain_epochs
            members = ENSEMBLE[dataset] if args.ensemble is None else args.ensemble
            res, t_sim, t_all = run(dataset, Path(tmp) / dataset, n_subjects=args.subjects,
                                    pretrain_epochs=epochs, n_windows=n_windows,
                                    threads=args.threads, seed=args.seed, ensemble=members,
                                    mask_ratio=args.mask_ratio, n_jobs=args.n_jobs,
                                    out_dir=None if args.out_dir is None
                                    else Path(args.out_dir) / dataset)
            print(f"\n{dataset}: {res['subject'].nunique()} subject-sessions, "
                  f"{epochs} pretraining epochs, ensemble of {members}, "
                  f"{res['n_test'].iloc[0]} test windows per session (chance "
                  f"{100 / res['n_classes'].iloc[0]:.0f} %), {t_all:.0f} s "
                  f"(simulation {t_sim:.0f} s)")
            print(f"{'model':<34}{'mean %':>8}{'std':>7}{'min':>7}{'max':>7}"
                  f"{'collapsed':>11}")
            for (table, name, setting), grp in res.groupby(["table", "model", "setting"],
                                                           sort=False):
                acc = 100 * grp["accuracy"].to_numpy()
                # a recording whose predictions fall into one class
                collapsed = sum(
                    int((np.asarray(json.loads(cm)).sum(axis=0) > 0).sum() <= 1)
                    for cm in grp["confusion_matrix"])
                print(f"{_row_name(table, name, setting):<34}{acc.mean():>8.1f}"
                      f"{acc.std():>7.1f}{acc.min():>7.1f}{acc.max():>7.1f}{collapsed:>11d}")
    minutes, seconds = divmod(round(time.perf_counter() - t_start), 60)
    print(f"\nTotal: {minutes} min {seconds} s")


if __name__ == "__main__":
    main()
