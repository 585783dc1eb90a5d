"""The ``mne-mmvsstma`` command line.

Sub-commands::

    mne-mmvsstma demo        simulate a small SEED-IV folder, pretrain, fine-tune,
                             evaluate and print the accuracy table
    mne-mmvsstma pretrain    pretrain an EEG or eye extractor on a dataset folder
    mne-mmvsstma finetune    fine-tune a classifier for one subject-session
    mne-mmvsstma evaluate    evaluate a fine-tuned classifier on the test trials
    mne-mmvsstma protocol    run the paper's tables on a dataset folder

Run ``mne-mmvsstma <command> --help`` for the options. Heavy modules (torch)
are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# the recipes and network sizes (no torch import)
from .training.recipe import (
    MODEL_SIZES,
    PRETRAIN_FEATURES,
    PRETRAIN_TARGETS,
    RECIPES,
)

DEMO_TABLES = "2,baselines"
RECIPE_HELP = (
    "settings of the options left unset: 'default', the recipe chosen on real SEED-IV "
    "features (benchmarks/real_accuracy.py): the 'demo' network size, 3 pretraining epochs "
    "at mask ratio 0.7 and lr 1e-3 (EEG on de_movingAve), whitened linear probes, no "
    "fine-tuning epochs; "
    "'paper', the published hyperparameters ('paper' size, 100 pretraining epochs at "
    "1.5e-4 and mask ratio 0.3, 100 fine-tuning epochs end to end; needs a GPU)")
# methods of mne_mmvsstma.features.fill_eye_nan
FILL_EYE = ("interpolate", "mean", "zero")


def _print(*args, **kwargs):
    """print on rank 0 only (one line per run under torchrun)."""
    from .training import distributed

    if distributed.is_main_process():
        print(*args, **kwargs)


def _int_list(text):
    try:
        return [int(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers like '1,2,3', got {text!r}") from None


def _float_list(text):
    try:
        return [float(v) for v in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like '0.3,0.5', got {text!r}") from None


def _number(kind, low=None, high=None, *, low_open=False, what=None):
    """An argparse type: an int or a float within ``[low, high]`` (``(low, high]``)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if kind is float and value != value:  # NaN
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
        bad_low = low is not None and (value <= low if low_open else value < low)
        bad_high = high is not None and value > high
        if bad_low or bad_high:
            lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
            hi = "" if high is None else f"<= {high}"
            raise argparse.ArgumentTypeError(
                f"{text} is out of range (must be {' and '.join(b for b in (lo, hi) if b)})")
        return value

    parse.__name__ = what or kind.__name__
    return parse


POS_INT = _number(int, 1, what="positive int")
NONNEG_INT = _number(int, 0, what="int >= 0")
RATIO = _number(float, 0.0, 0.99, what="ratio")
LR = _number(float, 0.0, 10.0, low_open=True, what="learning rate")
NONNEG = _number(float, 0.0, what="number >= 0")


def _n_jobs(text):
    value = _number(int, -1, what="n_jobs")(text)
    if value == 0:
        raise argparse.ArgumentTypeError("0 is out of range (must be >= 1, or -1 for one "
                                         "process per CPU core)")
    return value


def _add_n_jobs(p):
    p.add_argument("--n-jobs", type=_n_jobs, default=1,
                   help="processes for the independent fits (pretraining members, "
                        "recordings), each with an equal share of --threads; -1: one per "
                        "CPU core (default 1)")


def _add_common(p, *, seed=True):
    p.add_argument("--device", default=None,
                   help="'cpu', 'cuda', 'cuda:1'... (default: CUDA when available)")
    if seed:
        p.add_argument("--seed", type=NONNEG_INT, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=POS_INT, default=None,
                   help="torch CPU threads (default: 1 for demo, else torch's choice)")
    p.add_argument("-q", "--quiet", action="store_true", help="only print the results")


def _add_data(p):
    p.add_argument("root", type=Path, help="dataset folder (SEED-IV, SEED-V or SEED layout)")
    p.add_argument("--dataset", default=None, choices=["SEED-IV", "SEED-V", "SEED"],
                   help="dataset name (default: detected from the folder)")
    p.add_argument("--train-trials", type=POS_INT, default=None,
                   help="training trials per session (default: SEED-IV 16, SEED-V 9, SEED 9)")
    p.add_argument("--fill-eye", default="interpolate", choices=FILL_EYE,
                   help="method filling NaN eye features within trials, separately in the "
                        "training and test trials (default 'interpolate')")
    p.add_argument("--allow-partial", action="store_true",
                   help="read sessions with fewer trials than the dataset has (default: "
                        "refuse them, naming the file and the missing trials)")


def _add_out(p):
    p.add_argument("-o", "--out", type=Path, required=True, help="model file to write (.pt)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the model file if it exists (default: refuse)")


def _check_outputs(args):
    """Check the model file and the checkpoint folder before any training."""
    from ._files import check_output_file, check_writable_dir

    out = check_output_file(args.out, overwrite=args.overwrite)
    root = args.root.expanduser().resolve()  # links resolved: a link into root is inside it
    if out.resolve().is_relative_to(root):
        raise ValueError(f"Refusing to write the model file {out} inside the dataset folder "
                         f"{root}; choose a file outside it")
    if args.checkpoint_dir is not None:
        check_writable_dir(args.checkpoint_dir, kind="--checkpoint-dir")
    if args.resume and args.checkpoint_dir is None:
        raise ValueError("--resume needs --checkpoint-dir")


def _add_recipe(p):
    p.add_argument("--recipe", choices=["default", "paper"], default="default",
                   help=RECIPE_HELP + " (default 'default')")


def _add_arch(p, default=None, *, pretrained=False):
    shown = (f"{default!r}" if default is not None else
             "the pretrained extractors' size, else the recipe's" if pretrained else
             "the recipe's: 'demo' for --recipe default, 'paper' for --recipe paper")
    p.add_argument("--model-size", choices=list(MODEL_SIZES), default=default,
                   help="'paper': emb_dim 16, 6 encoder + 6 decoder layers, 6 heads; "
                        "'small': 2 + 2 layers, 4 heads; 'demo': 1 + 1 layer, 1 head "
                        f"(fast on CPU) (default {shown})")


def _add_checkpoint(p):
    p.add_argument("--checkpoint-dir", type=Path, default=None,
                   help="folder of the training checkpoint, rewritten every epoch "
                        "(default: none)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in --checkpoint-dir (only one of the "
                        "same data and settings)")


def _add_recording(p):
    p.add_argument("--subject", type=POS_INT, required=True, help="subject number (required)")
    p.add_argument("--session", type=POS_INT, required=True, help="session number (required)")


def _add_pretrain_feature(p, flag):
    default, paper = (RECIPES[r]["pretrain_feature"] or "de_LDS" for r in ("default", "paper"))
    p.add_argument(flag, choices=PRETRAIN_FEATURES, default=None,
                   help="EEG feature family of the EEG extractor's pretraining corpus (SEED "
                        "and SEED-IV files; the classifiers see de_LDS) (default: the "
                        f"recipe's, {default}; paper {paper})")


def _recipe(args):
    """The settings of ``--recipe`` (``"default"`` for commands without it)."""
    from .training.recipe import get_recipe

    return get_recipe(getattr(args, "recipe", "default"))


def _option(args, name, key):
    """An option's value, or the recipe's setting ``key`` when it was left unset."""
    value = getattr(args, name)
    return _recipe(args)[key] if value is None else value


def _model_kwargs(args):
    size = args.model_size
    arch = _recipe(args)["model_kwargs"] if size is None else MODEL_SIZES[size]
    return {k: v for k, v in arch.items() if k != "pool"}


# what a --model-size fixes of an encoder
SIZE_KEYS = ("emb_dim", "n_layers", "n_heads", "head_dim")


def _size(name):
    """The encoder sizes (``SIZE_KEYS``) of a ``--model-size``."""
    return {k: MODEL_SIZES[name][k] for k in SIZE_KEYS}


def _check_pretrained_size(args, pre, fnames):
    """The ``model_kwargs`` of ``finetune`` given the pretrained extractors ``pre``.

    Without ``--model-size`` the extractors' size is used; an explicit
    ``--model-size`` that differs from an extractor's size is an error (the
    network would not be the size asked for, nor the size its file would say).
    """
    if args.model_size is None:
        if not pre:
            return _model_kwargs(args)
        config = next(iter(pre.values())).module_.get_config()  # random encoders: the same
        return {k: config[k] for k in SIZE_KEYS}
    want = _size(args.model_size)
    for modality, model in pre.items():
        config = model.module_.get_config()
        have = {k: config[k] for k in SIZE_KEYS}
        if have != want:
            named = [n for n in MODEL_SIZES if _size(n) == have]
            raise ValueError(
                f"--model-size {args.model_size} ({_format_size(want)}) but the pretrained "
                f"{modality} extractor {fnames[modality]} is "
                f"{repr(named[0]) + ' size' if named else 'of another size'} "
                f"({_format_size(have)}); omit --model-size to use the extractor's size, or "
                "pretrain an extractor of that size")
    return _model_kwargs(args)


def _format_size(size):
    return (f"emb_dim {size['emb_dim']}, {size['n_layers']} layer(s), {size['n_heads']} "
            f"head(s) of width {size['head_dim']}")


def build_parser():
    """Return the :class:`argparse.ArgumentParser` of ``mne-mmvsstma``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="mne-mmvsstma",
        description="Multimodal MV-SSTMA: self-supervised EEG + eye-movement emotion "
                    "recognition (MNE-Python plugin).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")

    p = sub.add_parser("demo", help="simulate a small SEED-IV folder and run a reduced "
                                    "protocol (a few minutes on a laptop CPU)")
    p.add_argument("--out-dir", type=Path, default=Path("mmvsstma_demo"),
                   help="output folder (default ./mmvsstma_demo)")
    p.add_argument("--subjects", type=POS_INT, default=3, help="simulated subjects (default 3)")
    p.add_argument("--windows", type=POS_INT, default=None,
                   help="4-s windows per simulated trial (default: the real trial lengths, "
                        "about 40 windows; shorter trials leave too little to pretrain on)")
    p.add_argument("--effect-size", type=NONNEG, default=1.0,
                   help="emotion effects relative to the real-data calibration (default 1)")
    p.add_argument("--epochs", type=NONNEG_INT, default=0,
                   help="fine-tuning epochs after the linear probe (default 0: the probe)")
    p.add_argument("--pretrain-epochs", type=POS_INT, default=10,
                   help="pretraining epochs (default 10)")
    p.add_argument("--tables", default=DEMO_TABLES,
                   help=f"tables to run among 1,2,3,4,baselines (default {DEMO_TABLES})")
    p.add_argument("--ensemble", type=POS_INT, default=3,
                   help="extractors pretrained with different seeds (default 3, to keep the "
                        "demo short; the recipe's for SEED-IV is 6)")
    p.add_argument("--n-labels", type=POS_INT, default=5,
                   help="labeled windows per training trial in tables 3 and 4 (default 5)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier demo in --out-dir (default: "
                        "refuse a results folder that is not empty)")
    _add_arch(p, default="demo")
    _add_n_jobs(p)
    _add_common(p)
    # the demo's small tensors run fastest on one thread (and robustly on a busy machine)
    p.set_defaults(threads=1)

    p = sub.add_parser("pretrain", help="pretrain an EEG or eye extractor (no labels)")
    _add_data(p)
    p.add_argument("--modality", choices=["eeg", "eye"], default="eeg",
                   help="features the extractor is trained on (default 'eeg')")
    _add_out(p)
    p.add_argument("--subjects", type=_int_list, default=None, help="e.g. 1,2,3 (default all)")
    p.add_argument("--sessions", type=_int_list, default=None, help="e.g. 1,2 (default all)")
    p.add_argument("--all-trials", action="store_true",
                   help="also use the test trials (default: training trials only)")
    _add_recipe(p)
    p.add_argument("--epochs", type=POS_INT, default=None,
                   help="pretraining epochs (default: the recipe's, 3; paper 100)")
    p.add_argument("--batch-size", type=POS_INT, default=None,
                   help="windows per mini-batch (default: the recipe's, 64)")
    p.add_argument("--lr", type=LR, default=None,
                   help="AdamW learning rate (default: the recipe's, 1e-3; paper 1.5e-4)")
    p.add_argument("--mask-ratio", type=_number(float, 0.0, 0.99, low_open=True,
                                                what="ratio"), default=None,
                   help="fraction of the channels masked and reconstructed (default: the "
                        "recipe's, 0.7; paper 0.3)")
    p.add_argument("--target", choices=list(PRETRAIN_TARGETS), default=None,
                   help="what the masked channels are compared with: 'self' (the window, the "
                        "masked autoencoder), 'stimulus' (the other recordings' mean window of "
                        "the same film clip) or 'teacher' (an EMA teacher's tokens of the whole "
                        "window, data2vec-style); default: the recipe's, 'self'")
    _add_pretrain_feature(p, "--feature")
    _add_arch(p)
    _add_checkpoint(p)
    _add_common(p)

    p = sub.add_parser("finetune", help="fine-tune a classifier on one subject-session")
    _add_data(p)
    _add_recording(p)
    _add_out(p)
    p.add_argument("--fusion", choices=["none", "concat", "attention"], default="none",
                   help="EEG + eye fusion (default 'none': a single modality)")
    p.add_argument("--modality", choices=["eeg", "eye"], default=None,
                   help="single-modality model (default: the pretrained model's, else eeg)")
    p.add_argument("--pretrained-eeg", type=Path, default=None,
                   help="EEG extractor written by 'pretrain' (default: random init)")
    p.add_argument("--pretrained-eye", type=Path, default=None,
                   help="eye extractor written by 'pretrain' (default: random init)")
    p.add_argument("--n-labels", type=POS_INT, default=None,
                   help="labeled windows per training trial (default: all)")
    p.add_argument("--mask-ratio", type=RATIO, default=0.0,
                   help="fraction of the channels masked at random in training (default 0)")
    p.add_argument("--dcca-weight", type=NONNEG, default=0.1,
                   help="weight of the DCCA loss of fusion fine-tuning (default 0.1)")
    _add_recipe(p)
    p.add_argument("--probe-c", type=NONNEG, default=None,
                   help="inverse L2 strength of the linear probe; 0 disables the probe "
                        "(default: the recipe's, 1.0; paper 0)")
    p.add_argument("--epochs", type=NONNEG_INT, default=None,
                   help="fine-tuning epochs after the probe (default: the recipe's, 0: the "
                        "probe alone; paper 100)")
    p.add_argument("--batch-size", type=POS_INT, default=32,
                   help="windows per mini-batch (default 32)")
    p.add_argument("--lr", type=LR, default=1e-3, help="AdamW learning rate (default 1e-3)")
    p.add_argument("--patience", type=POS_INT, default=20,
                   help="early-stopping patience in epochs, on held-out training trials "
                        "(default 20)")
    _add_arch(p, pretrained=True)
    _add_checkpoint(p)
    _add_common(p)

    p = sub.add_parser("evaluate", help="evaluate a fine-tuned model on the test trials")
    _add_data(p)
    p.add_argument("--model", type=Path, required=True, help="file written by 'finetune'")
    _add_recording(p)
    p.add_argument("--split", choices=["test", "train", "all"], default="test",
                   help="trials scored: 'test' (those the model was not fitted on), 'train' "
                        "or 'all' (default 'test')")
    p.add_argument("--batch-size", type=POS_INT, default=None,
                   help="windows per prediction batch (default 64 on CPU, 256 on GPUs)")
    p.add_argument("--mask-ratio", type=RATIO, default=None,
                   help="default: the mask ratio the model was trained with")
    _add_common(p)

    p = sub.add_parser("protocol", help="run the paper's experiment tables on a dataset")
    _add_data(p)
    _add_recipe(p)
    p.add_argument("--tables", default="1,2,baselines",
                   help="comma-separated among 1,2,3,4,baselines (default 1,2,baselines: "
                        "with the default recipe, six extractors per modality, one real "
                        "SEED-IV session of 15 recordings took 15-17 min on 2 CPU cores with "
                        "--n-jobs 2, the real-data benchmark's extra rows included; one "
                        "process is about 1.5 times slower)")
    p.add_argument("--out-dir", type=Path, default=Path("mmvsstma_protocol"),
                   help="output folder: results.csv, summaries, figures, pretrained models "
                        "(default ./mmvsstma_protocol; refused when not empty unless "
                        "--resume or --overwrite)")
    p.add_argument("--subjects", type=_int_list, default=None, help="e.g. 1,2,3 (default all)")
    p.add_argument("--sessions", type=_int_list, default=None, help="e.g. 1,2 (default all)")
    p.add_argument("--pretrain-epochs", type=POS_INT, default=None,
                   help="pretraining epochs of every extractor (default: the recipe's, 3; "
                        "paper 100)")
    p.add_argument("--pretrain-mask-ratio", type=_number(float, 0.0, 0.99, low_open=True,
                                                         what="ratio"), default=None,
                   help="mask ratio of pretraining (default: the recipe's, 0.7; paper 0.3)")
    _add_pretrain_feature(p, "--pretrain-feature")
    p.add_argument("--finetune-epochs", type=NONNEG_INT, default=None,
                   help="fine-tuning epochs after the linear probe (default: the recipe's, "
                        "0: the probe; paper 100)")
    p.add_argument("--probe-c", type=NONNEG, default=None,
                   help="inverse L2 strength of the linear probe; 0 disables the probe "
                        "(default: the recipe's, 1.0; paper 0)")
    p.add_argument("--n-labels", type=POS_INT, default=10,
                   help="labeled windows per training trial in tables 3 and 4 (default 10)")
    p.add_argument("--ensemble", type=POS_INT, default=None,
                   help="extractors pretrained with different seeds per modality; every "
                        "result averages one classifier per extractor (default: the "
                        "recipe's, 6 on SEED-IV, 5 on SEED, 3 on SEED-V; paper 1)")
    p.add_argument("--mask-ratios", type=_float_list, default=[0.3, 0.5, 0.7],
                   help="channel mask ratios of table 4 (default 0.3,0.5,0.7)")
    _add_arch(p)
    p.add_argument("--no-plots", action="store_true",
                   help="write no PNG figures (default: bar charts and confusion matrices)")
    p.add_argument("--resume", action="store_true",
                   help="reuse results and pretrained models already in --out-dir (only "
                        "those of the same settings and data)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results, figures and models of an earlier run in "
                        "--out-dir (default: refuse an --out-dir that is not empty)")
    _add_n_jobs(p)
    _add_common(p)
    return parser


def _setup(args):
    from mne.utils import set_log_level

    set_log_level("WARNING" if args.quiet else "INFO")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)


def _recordings(args, subjects=None, sessions=None, feature=None):
    from .protocol.recordings import read_recordings

    return read_recordings(args.root, dataset=args.dataset, subjects=subjects,
                           sessions=sessions, allow_partial=args.allow_partial,
                           feature=feature)


def _split(args, rec):
    from .protocol.recordings import split_recording

    return split_recording(rec, args.train_trials, fill_eye=args.fill_eye)


def cmd_demo(args):
    """Simulate a SEED-IV-format folder and run a reduced protocol."""
    t0 = time.perf_counter()
    from .protocol import run_protocol
    from .simulation import simulate_seed_iv

    out_dir = args.out_dir.expanduser()
    root = out_dir / "SEED-IV"
    lengths = "real trial lengths" if args.windows is None else f"{args.windows} windows per trial"
    print(f"Simulating {args.subjects} SEED-IV subjects ({lengths}, "
          f"effect size {args.effect_size}) in {root}", flush=True)
    simulate_seed_iv(root, n_subjects=args.subjects, sessions=(1,), n_windows=args.windows,
                     raw=False, effect_size=args.effect_size, random_state=args.seed,
                     verbose=False)
    result = run_protocol(
        root, dataset="SEED-IV", tables=args.tables, subjects=list(range(1, args.subjects + 1)),
        sessions=[1], out_dir=out_dir / "results", pretrain_epochs=args.pretrain_epochs,
        finetune_epochs=args.epochs, model_kwargs=_model_kwargs(args), n_labels=args.n_labels,
        ensemble=args.ensemble, patience=5, overwrite=args.overwrite, device=args.device,
        n_jobs=args.n_jobs, random_state=args.seed,
    )
    print()
    print(result.format())
    print("4 classes (chance level 25%). Simulated data: compare models with each other, "
          "not with the paper; simulated accuracies say nothing about real data (the "
          "recipe's real-data numbers: doc/real_data.rst, 'Development data and the real-data "
          "benchmark').")
    print(f"Files: {result.out_dir} (results.csv, summary.md, *.png)")
    print(f"Done in {time.perf_counter() - t0:.0f} s")
    return 0


def cmd_pretrain(args):
    """Pretrain an extractor on the training trials of a dataset folder."""
    from .training import pretrain, save_model

    _check_outputs(args)
    if args.modality != "eeg" and args.feature is not None:
        raise ValueError(f"--feature {args.feature}: an EEG feature family, for --modality eeg "
                         "only")
    feature = None
    if args.modality == "eeg":  # the recipe's pretraining features, where the files have them
        from .datasets import detect_dataset
        from .protocol.recordings import resolve_pretrain_feature

        dataset = args.dataset or detect_dataset(args.root)
        feature = resolve_pretrain_feature(args.feature, dataset, args.recipe)
    def training_part(recs):
        if args.all_trials:
            from .protocol.recordings import _fill_eye

            return _fill_eye(recs, args.fill_eye)
        return [_split(args, r)[0] for r in recs]

    data = training_part(_recordings(args, args.subjects, args.sessions, feature=feature))
    # pretrained on another DE family: the whitening learns from the classifiers' de_LDS
    white = (training_part(_recordings(args, args.subjects, args.sessions))
             if feature not in (None, "de_LDS") else None)
    model = pretrain(
        data, modality=args.modality, mask_ratio=_option(args, "mask_ratio", "pretrain_mask_ratio"),
        n_epochs=_option(args, "epochs", "pretrain_epochs"),
        batch_size=_option(args, "batch_size", "pretrain_batch_size"),
        lr=_option(args, "lr", "pretrain_lr"), whitening=_recipe(args)["whitening"],
        whitening_covariance=_recipe(args)["whitening_covariance"], whitening_data=white,
        target=_option(args, "target", "pretrain_target"),
        reset_batchnorm=_recipe(args)["reset_batchnorm"],
        model_kwargs=_model_kwargs(args),
        device=args.device, random_state=args.seed, checkpoint_dir=args.checkpoint_dir,
        resume=args.resume,
    )
    save_model(model, args.out, overwrite=args.overwrite)
    last = model.history[-1, "train_loss"] if len(model.history) else float("nan")
    what = f" ({feature})" if feature else ""
    _print(f"Pretrained {args.modality} extractor on {len(data)} recordings{what} "
           f"({len(model.history)} epochs, final training loss {last:.4f}) -> {args.out}")
    return 0


def _one_recording(args):
    return _recordings(args, [args.subject], [args.session])[0]


def cmd_finetune(args):
    """Fine-tune a classifier on the training trials of one subject-session."""
    from .training import finetune, load_model, save_model

    _check_outputs(args)
    train, _ = _split(args, _one_recording(args))
    fusion = None if args.fusion == "none" else args.fusion
    pre, fnames = {}, {"eeg": args.pretrained_eeg, "eye": args.pretrained_eye}
    for modality, fname in fnames.items():
        if fname is not None:
            pre[modality] = load_model(fname)
            if type(pre[modality]).__name__ != "Pretrainer":
                raise ValueError(f"{fname} holds a {type(pre[modality]).__name__}, not a "
                                 "pretrained extractor (written by 'pretrain')")
    size_kwargs = _check_pretrained_size(args, pre, fnames)
    if fusion is None:
        modality = args.modality or ("eye" if set(pre) == {"eye"} else "eeg")
        model = pre.get(modality)
        if pre and model is None:
            raise ValueError(f"no pretrained {modality} model given (--pretrained-"
                             f"{modality})")
    else:
        modality, model = None, (pre or None)
    clf = finetune(
        [train], model=model, modality=modality, fusion=fusion, dcca_weight=args.dcca_weight,
        lr=args.lr, n_epochs=_option(args, "epochs", "finetune_epochs"),
        batch_size=args.batch_size, n_labels=args.n_labels,
        patience=args.patience, mask_ratio=args.mask_ratio,
        model_kwargs=size_kwargs,  # the extractors' size, checked above
        probe_C=_option(args, "probe_c", "probe_C") or None, device=args.device,
        random_state=args.seed, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
    )
    save_model(clf, args.out, overwrite=args.overwrite)
    if clf.best_epoch_ == 0:  # the linear probe alone, or kept by the validation
        hist = clf.probe_validation_ or {}
        kept = "the linear probe" + (", no fine-tuned epoch beat it" if hist else "")
    else:
        hist = clf.history[clf.best_epoch_ - 1]
        kept = f"best epoch {clf.best_epoch_}"
    va = hist.get("valid_acc")
    va = "" if va is None else f", validation accuracy on held-out trials {100 * va:.1f}%"
    _print(f"Fine-tuned {fusion or modality} classifier for sub-{args.subject} "
          f"ses-{args.session} ({kept}{va}) -> {args.out}")
    return 0


def cmd_evaluate(args):
    """Evaluate a saved classifier on one subject-session."""
    import numpy as np

    from .protocol.recordings import _fill_eye, subset_recording
    from .training import evaluate, load_model
    from .training._provenance import _fitted_trials, _format_trials

    model = load_model(args.model, device=args.device or "auto")
    if type(model).__name__ != "EmotionClassifier":
        raise ValueError(f"{args.model} holds a {type(model).__name__}, not a fine-tuned "
                         "classifier (written by 'finetune')")
    rec = _one_recording(args)
    fitted = _fitted_trials(model, rec.dataset, rec.subject, rec.session)
    if fitted and args.train_trials is None:
        # the test trials are those the model was not fitted on
        is_train = np.isin(rec.trial_ids, fitted)
        train, test = _fill_eye([subset_recording(rec, is_train),
                                 subset_recording(rec, ~is_train)], args.fill_eye)
    else:  # --train-trials, or a model that does not know its trials
        train, test = _split(args, rec)
    both = sorted(set(fitted or ()) & set(np.unique(test.trial_ids).tolist()))
    if args.split == "test" and both:
        raise ValueError(
            f"{args.model} was fitted on trials {_format_trials(fitted)} of sub-{rec.subject} "
            f"ses-{rec.session}, and --train-trials {args.train_trials} would score trials "
            f"{_format_trials(both)} of them as test trials; omit --train-trials (the test "
            "trials are then those the model was not fitted on)")
    if args.split == "all":
        rec = _fill_eye([rec], args.fill_eye)[0]
    data = {"test": test, "train": train, "all": rec}[args.split]
    if data.n_windows == 0:
        raise ValueError(f"sub-{args.subject} ses-{args.session} has no {args.split} trials: "
                         f"the model was fitted on all its trials ({_format_trials(fitted)})")
    mask_ratio = model.mask_ratio if args.mask_ratio is None else args.mask_ratio
    # --split train / all score the training trials on request, and say so
    res = evaluate(model, [data], mask_ratio=mask_ratio, batch_size=args.batch_size,
                   on_fitted_trials="raise" if args.split == "test" else "ignore",
                   verbose=False)  # the accuracy is printed once, below
    names = {v: k for k, v in rec.event_id.items()}
    trials = _format_trials(np.unique(data.trial_ids))
    print(f"sub-{args.subject} ses-{args.session} {args.split} trials: accuracy "
          f"{100 * res['accuracy']:.2f}% on {res['n_samples']} windows of trials {trials} "
          f"(mask ratio {mask_ratio})")
    labels = [str(names.get(c, c)) for c in res["classes"]]
    cm = np.asarray(res["confusion_matrix"])
    width = max(len(s) for s in labels) + 2
    print("confusion matrix (rows true, columns predicted):")
    print(" " * width + "".join(s.rjust(width) for s in labels))
    for name, row in zip(labels, cm):  # an empty row says why it is empty
        print(name.rjust(width) + "".join(str(v).rjust(width) for v in row)
              + (f"  (no {args.split} trial of this class)" if row.sum() == 0 else ""))
    if "attention" in res:
        att = res["attention"]
        print(f"mean attention weights: EEG {att[0]:.3f}, eye {att[1]:.3f}")
    return 0


def cmd_protocol(args):
    """Run the paper's tables on a dataset folder."""
    from .protocol import run_protocol

    result = run_protocol(
        args.root, dataset=args.dataset, tables=args.tables, subjects=args.subjects,
        sessions=args.sessions, out_dir=args.out_dir, n_train_trials=args.train_trials,
        n_labels=args.n_labels, mask_ratios=args.mask_ratios,
        recipe=args.recipe, pretrain_epochs=args.pretrain_epochs,
        pretrain_mask_ratio=args.pretrain_mask_ratio, pretrain_feature=args.pretrain_feature,
        finetune_epochs=args.finetune_epochs,
        model_kwargs=None if args.model_size is None else _model_kwargs(args),
        classifier_kwargs=None if args.probe_c is None else dict(probe_C=args.probe_c or None),
        ensemble=args.ensemble, fill_eye=args.fill_eye, allow_partial=args.allow_partial,
        plot=not args.no_plots, resume=args.resume, overwrite=args.overwrite,
        device=args.device, n_jobs=args.n_jobs, random_state=args.seed,
    )
    _print(result.format(paper=True))
    _print(f"Files: {result.out_dir}")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "pretrain": cmd_pretrain,
    "finetune": cmd_finetune,
    "evaluate": cmd_evaluate,
    "protocol": cmd_protocol,
}


# errors that report a problem with the user's files, data or settings
USER_ERRORS = (ValueError, OSError, FloatingPointError)


def main(argv=None):
    """Entry point of ``mne-mmvsstma``; returns the exit status."""
    # OpenMP threads spin-wait by default, which makes torch many times slower
    # on a shared or busy CPU; must be set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _setup(args)
    try:
        return COMMANDS[args.command](args)
    except USER_ERRORS as exc:
        # a problem with the input (files, data, settings): one line, exit status 2 as
        # argparse's own errors; genuine bugs keep their traceback
        msg = " ".join(str(exc).split()) or type(exc).__name__
        print(f"mne-mmvsstma {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
