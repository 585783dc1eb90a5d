"""Accuracy on the real SEED-IV features: the protocol as a user runs it, against linear references.

The judge of the recipe during development. It runs :func:`run_protocol` with
its defaults (Tables 1 and 2 and the SVM baselines; the paper's split: first 16
trials train, last 8 test) on the real SEED-IV feature files of sessions 1 and
2, **each session on its own** (its own pretraining corpus, as a user runs one
session), and adds the strongest linear references found on these features.
Printed per model: mean / std over the recordings of each session and over
both, recordings predicted as one class ("collapsed"), the time taken, the
machine, and the paper's numbers beside ours.

The data are licensed by their authors and are never part of the project. The
folder is found through the environment variable ``MMV_SEED_IV_ROOT`` (or
``--root``) and must hold ``eeg_feature_smooth/<session>/`` and
``eye_feature_smooth/<session>/`` for sessions 1 and 2, in the real layout
(the files as distributed by the lab, or a copy rebuilt from the public
exports, see ``doc/real_data.rst``). Session 3 is never read: it is kept for
the final check of the recipe.

Run::

    MMV_SEED_IV_ROOT=/path/to/SEED_IV python benchmarks/real_accuracy.py
    python benchmarks/real_accuracy.py --smoke      # seconds, on a simulated folder (tests)
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

ENV = "MMV_SEED_IV_ROOT"
SESSIONS = (1, 2)
N_SUBJECTS = 15
TABLES = "1,2,baselines"
BUILD_HINT = (
    "Point {env} (or --root) at a SEED-IV folder holding eeg_feature_smooth/<session>/ and "
    "eye_feature_smooth/<session>/ for sessions 1 and 2 (15 .mat files each): your copy of "
    "the dataset from the lab (https://bcmi.sjtu.edu.cn/home/seed/), or a development copy "
    "rebuilt from the public exports as doc/real_data.rst explains ('Development data')."
)
# the paper's subject-dependent SEED-IV results (SPEC; mean over 15 subjects x 3 sessions)
PAPER = {
    "SVM-EEG": None, "SVM-EYE": None, "SVM-Concat": None,
    "MV-SSTMA-EEG (w/o pretraining)": 56.97, "MV-SSTMA-EEG (pretrained)": 85.40,
    "MV-SSTMA-EYE (w/o pretraining)": 64.98, "MV-SSTMA-EYE (pretrained)": 78.16,
    "MV-SSTMA-EEG": 87.78, "Concat": 89.56, "Att": 90.16,
}


def check_root(root, sessions=SESSIONS):
    """The real folder, or a ``FileNotFoundError`` naming what is missing and how to build it."""
    hint = BUILD_HINT.format(env=ENV)
    if root is None:
        raise FileNotFoundError(f"No real SEED-IV folder: {ENV} is not set. {hint}")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{ENV}={root} is not a folder. {hint}")
    missing = []
    for kind in ("eeg_feature_smooth", "eye_feature_smooth"):
        for ses in sessions:
            folder = root / kind / str(ses)
            n = len(list(folder.glob("*.mat"))) if folder.is_dir() else 0
            if n < N_SUBJECTS:
                missing.append(f"{folder} ({n} of {N_SUBJECTS} .mat files)")
    if missing:
        raise FileNotFoundError(f"The real SEED-IV folder {root} is incomplete: "
                                f"{'; '.join(missing)}. {hint}")
    return root


def linear_references(root, session, *, n_train_trials=None):
    """Per-recording accuracies of linear models on the EEG DE features (no network).

    ``LDA-EEG``: shrinkage LDA (Ledoit-Wolf) on DE standardised with each
    recording's training trials, the strongest linear reference found on these
    features; ``Logistic-EEG (whitened)``: logistic regression (C=1) on DE
    whitened (shrunk ZCA) with the training windows of all the session's
    recordings, standardised per recording first (no label, no test window).
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression

    from mne_mmvsstma.protocol.runner import read_recordings, split_recording

    recs = read_recordings(root, sessions=[session], fill_eye=None)
    splits = [split_recording(rec, n_train_trials) for rec in recs]

    def standardise(train, test):
        flat = [x.eeg.reshape(len(x.eeg), -1) for x in (train, test)]
        mean, std = flat[0].mean(0), flat[0].std(0)
        std[std == 0] = 1
        return [(f - mean) / std for f in flat]

    parts = [standardise(tr, te) for tr, te in splits]
    corpus = np.concatenate([p[0] for p in parts])
    cov = np.cov(corpus, rowvar=False)
    evals, evecs = np.linalg.eigh(cov + np.eye(len(cov)) * np.trace(cov) / len(cov))
    white = evecs @ np.diag(evals ** -0.5) @ evecs.T
    out = {"LDA-EEG": [], "Logistic-EEG (whitened)": []}
    for (train, test), (xtr, xte) in zip(splits, parts):
        lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
        out["LDA-EEG"].append(_result(lda.fit(xtr, train.labels).predict(xte), test.labels))
        log = LogisticRegression(C=1.0, max_iter=5000)
        out["Logistic-EEG (whitened)"].append(
            _result(log.fit(xtr @ white, train.labels).predict(xte @ white), test.labels))
    return out


def untrained_encoder_rows(root, session, *, ensemble=None, n_train_trials=None,
                           model_kwargs=None, modalities=("eeg", "eye")):
    """Per-recording accuracies of the recipe's single-modality pipelines without pretraining
    of the weights.

    An ablation: the recipe's extractors with their weights left at the
    random initialisation (``Pretrainer(max_epochs=0)``) but their whitening
    learned as the recipe learns it, from the session's training trials
    (EEG de_LDS, eye features with their NaN filled as the protocol fills
    them; each recording scaled on its own; by stimulus); then the same probes
    and seed ensemble as the protocol's MV-SSTMA-EEG / -EYE rows. What a
    pretrained row gains over its ablation is what the pretraining of the
    weights adds. ``ensemble=None``: the protocol's members for SEED-IV.
    """
    import mne

    from mne_mmvsstma import Pretrainer
    from mne_mmvsstma.features._inputs import recording_stimuli, recordings_to_inputs
    from mne_mmvsstma.protocol.runner import DEFAULT_ENSEMBLE, read_recordings, split_recording
    from mne_mmvsstma.training import evaluate, finetune
    from mne_mmvsstma.training._data import _per_recording_scaling
    from mne_mmvsstma.training.recipe import pretrainer_params

    if ensemble is None:  # the protocol's
        ensemble = DEFAULT_ENSEMBLE["SEED-IV"]
    recs = read_recordings(root, sessions=[session], fill_eye=None)
    splits = [split_recording(rec, n_train_trials, fill_eye="interpolate") for rec in recs]
    train = [tr for tr, _ in splits]
    rows = {}
    for modality in modalities:
        inp = recordings_to_inputs(train, need=(modality,), n_windows=10,
                                   transform=_per_recording_scaling(modality))
        params = dict(pretrainer_params(), modality=modality, max_epochs=0, scale=False,
                      **(model_kwargs or {}))
        stimuli = recording_stimuli(train, inp)[0]
        with mne.utils.use_log_level("error"):  # max_epochs=0 is the point here
            members = [Pretrainer(**params, random_state=seed).fit(
                getattr(inp, modality), groups=inp.trial_ids, stimuli=stimuli)
                for seed in range(ensemble)]
        out = []
        for tr, te in splits:
            probas = []
            for seed, member in enumerate(members):
                clf = finetune([tr], model=member, modality=modality, random_state=seed,
                               verbose=False)
                res = evaluate(clf, [te], verbose=False)
                probas.append(res["proba"])
            pred = np.asarray(res["classes"])[np.mean(probas, axis=0).argmax(axis=1)]
            out.append(_result(pred, res["y_true"]))
        rows[f"MV-SSTMA-{modality.upper()} (untrained, whitened)"] = out
    return rows


def _result(pred, y):
    return {"accuracy": float(np.mean(pred == y)), "collapsed": len(np.unique(pred)) <= 1}


def _row_name(table, model, setting):
    return f"{model} ({setting})" if str(table) == "1" else model


def protocol_rows(results):
    """``{row name: [{"accuracy", "collapsed"} per recording]}`` of a protocol result."""
    rows = {}
    for (table, model, setting), grp in results.groupby(["table", "model", "setting"],
                                                        sort=False):
        rows[_row_name(table, model, setting)] = [
            {"accuracy": float(acc),
             # a recording whose predictions fall into one class
             "collapsed": int((np.asarray(json.loads(cm)).sum(axis=0) > 0).sum()) <= 1}
            for acc, cm in zip(grp["accuracy"], grp["confusion_matrix"])]
    return rows


def format_table(per_session, seconds):
    """The printed table: per session and over both, with the paper beside it."""
    sessions = list(per_session)
    names = list(dict.fromkeys(n for rows in per_session.values() for n in rows))
    head = f"{'model':<34}" + "".join(f"{f'session {s}':>15}" for s in sessions)
    head += f"{'both':>15}{'collapsed':>11}{'paper':>8}"
    lines = [head]
    for name in names:
        cells, accs, collapsed = [], [], 0
        for s in sessions:
            res = per_session[s].get(name, [])
            acc = 100 * np.array([r["accuracy"] for r in res])
            accs.append(acc)
            collapsed += sum(r["collapsed"] for r in res)
            cells.append(f"{acc.mean():>8.1f} / {acc.std():4.1f}" if len(acc) else f"{'-':>15}")
        both = np.concatenate(accs)
        paper = PAPER.get(name)
        lines.append(f"{name:<34}" + "".join(f"{c:>15}" for c in cells)
                     + f"{both.mean():>8.1f} / {both.std():4.1f}{collapsed:>11d}"
                     + f"{'-' if paper is None else f'{paper:.1f}':>8}")
    lines.append("time: " + ", ".join(f"session {s} {seconds[s]:.0f} s" for s in sessions))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None,
                        help=f"real SEED-IV folder (default: ${ENV})")
    parser.add_argument("--sessions", default="1,2",
                        help="development sessions, each run on its own (default %(default)s)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--n-jobs", type=int, default=2,
                        help="processes of the protocol, --threads shared among them "
                             "(default %(default)s)")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="keep the protocol's outputs in OUT_DIR/session-<s> (outside the "
                             "repository: they derive from licensed data)")
    parser.add_argument("--smoke", action="store_true",
                        help="a simulated 2-subject folder, tiny model and 1 pretraining epoch")
    args = parser.parse_args(argv)
    sessions = [int(s) for s in args.sessions.split(",")]
    if 3 in sessions:
        parser.error("session 3 is kept for the final check of the recipe; develop on 1 and 2")
    overrides, tmp = {}, None
    if not args.smoke:
        try:
            root = check_root(args.root or os.environ.get(ENV), sessions)
        except FileNotFoundError as exc:
            parser.exit(2, f"error: {exc}\n")
    import mne
    import torch

    from mne_mmvsstma.protocol import run_protocol

    mne.set_log_level("WARNING")
    torch.set_num_threads(args.threads)
    if args.smoke:
        from mne_mmvsstma.simulation import simulate_seed_iv

        tmp = tempfile.TemporaryDirectory()
        root = simulate_seed_iv(Path(tmp.name) / "seed_iv", n_subjects=2, sessions=sessions,
                                raw=False, n_windows=6, random_state=0, verbose=False)
        overrides = dict(pretrain_epochs=1, ensemble=1, model_kwargs=dict(
            emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=8))
    model, n_cpu, n_avail = cpu_info()
    print(f"Machine: {model} ({n_avail} of {n_cpu} CPUs), {platform.system()} "
          f"{platform.release()}, Python {platform.python_version()}, torch "
          f"{torch.__version__}, mne {mne.__version__}, {args.threads} torch threads in "
          f"{args.n_jobs} process(es), float32 GEMM reference {sgemm_gflops():.0f} GFLOP/s"
          + (f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""))
    print(f"Data: {'simulated (smoke)' if args.smoke else 'real SEED-IV'} sessions "
          f"{sessions}, each on its own; run_protocol defaults"
          + (f" except {overrides}" if overrides else ""))
    per_session, seconds = {}, {}
    t_start = time.perf_counter()
    for ses in sessions:
        t0 = time.perf_counter()
        result = run_protocol(
            root, dataset="SEED-IV", tables=TABLES, sessions=[ses], plot=False,
            out_dir=None if args.out_dir is None else args.out_dir / f"session-{ses}",
            n_jobs=args.n_jobs, device="cpu", verbose=False, **overrides)
        rows = protocol_rows(result.results)
        rows.update(untrained_encoder_rows(
            root, ses, ensemble=overrides.get("ensemble"),
            model_kwargs=overrides.get("model_kwargs")))
        rows.update(linear_references(root, ses))
        per_session[ses], seconds[ses] = rows, time.perf_counter() - t0
        print(f"session {ses}: {result.results['subject'].nunique()} recordings, "
              f"{seconds[ses]:.0f} s", flush=True)
    print()
    print(format_table(per_session, seconds))
    minutes, secs = divmod(round(time.perf_counter() - t_start), 60)
    print(f"\nTotal: {minutes} min {secs} s")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
