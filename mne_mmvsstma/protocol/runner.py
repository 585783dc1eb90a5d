"""The paper's experiment grid on a dataset folder (subject-dependent, per session).

For every (subject, session) recording the first ``n_train_trials`` trials
(SEED-IV 16, SEED-V 9, SEED 9) are the training part and the remaining trials
the test part. Tables (names as in the paper):

``"1"``  single modality (MV-SSTMA-EEG, MV-SSTMA-EYE), with vs without
         pretrained weights, all labels;
``"2"``  MV-SSTMA-EEG, Concat and Att fusion, pretrained, all labels;
``"3"``  the same with partial labels (the first ``n_labels`` windows of every
         training trial, see :func:`~mne_mmvsstma.training.finetune`);
``"4"``  the same (partial labels) with channel mask ratios (0.3 / 0.5 / 0.7)
         applied to training *and* test data (missing-data robustness). In the
         paper, Table 4's 30 % column equals Table 3, i.e. it uses the partial
         labels of Table 3;
``"baselines"``  SVM on flattened DE (EEG), eye features and their
         concatenation (:mod:`~mne_mmvsstma.protocol.baselines`).

Pretraining data: one EEG and one eye extractor are pretrained on the
unlabeled *training parts* of all recordings in the run (every subject and
session selected), never on test trials; each recording is standardised with
statistics of its own training part. Every classifier is fine-tuned per
subject-session from copies of these extractors.

Identical configurations shared by several tables (e.g. MV-SSTMA-EEG
pretrained with all labels in Tables 1 and 2) are fitted once per recording
and reported in both tables.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import numbers
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..training import distributed
from ..utils import (
    _validate_type,
    check_int,
    check_option,
    check_random_state,
    fill_doc,
    logger,
    verbose,
)

DEFAULT_TRAIN_TRIALS = {"SEED-IV": 16, "SEED-V": 9, "SEED": 9}
# members of the seed ensemble, chosen per dataset on development data by
# benchmarks/accuracy.py (doc/recipe.rst); SEED-V is not simulated there
DEFAULT_ENSEMBLE = {"SEED-IV": 3, "SEED-V": 3, "SEED": 5}
ALL_TABLES = ("1", "2", "3", "4", "baselines")
DEFAULT_TABLES = ("1", "2", "baselines")
MODEL_NAMES = {"eeg": "MV-SSTMA-EEG", "eye": "MV-SSTMA-EYE", "concat": "Concat",
               "attention": "Att"}
SVM_NAMES = {"eeg": "SVM-EEG", "eye": "SVM-EYE", "concat": "SVM-Concat"}


class FitSpec(NamedTuple):
    """One model configuration fitted per recording."""

    kind: str  # "eeg", "eye", "concat", "attention", or "svm-<modality>"
    pretrained: bool = True
    n_labels: int | None = None
    mask_ratio: float = 0.0

    @property
    def needs_eye(self):
        return self.kind in ("eye", "concat", "attention", "svm-eye", "svm-concat")

    @property
    def needs_eeg(self):
        return self.kind in ("eeg", "concat", "attention", "svm-eeg", "svm-concat")


def default_n_train_trials(dataset):
    """Number of training trials per session of the paper's protocol."""
    if dataset not in DEFAULT_TRAIN_TRIALS:
        raise ValueError(
            f"No default number of training trials for dataset {dataset!r}; pass n_train_trials"
        )
    return DEFAULT_TRAIN_TRIALS[dataset]


def subset_recording(rec, mask):
    """Return a copy of a FeatureRecording with the windows where ``mask`` is True."""
    mask = np.asarray(mask, dtype=bool)
    return dataclasses.replace(
        rec,
        eeg=None if rec.eeg is None else rec.eeg[mask],
        eye=None if rec.eye is None else rec.eye[mask],
        labels=rec.labels[mask],
        trial_ids=rec.trial_ids[mask],
    )


def split_recording(rec, n_train_trials=None, *, fill_eye=None):
    """Split a recording into its first ``n_train_trials`` trials and the rest.

    Parameters
    ----------
    rec : FeatureRecording
        One subject-session.
    n_train_trials : int | None
        Number of training trials (``None``: the dataset's default, 16 for
        SEED-IV, 9 for SEED-V and SEED). Trials are ordered by trial id.
    fill_eye : str | None
        If given, NaN eye features of each part are filled separately
        (:func:`~mne_mmvsstma.features.fill_eye_nan` method, within trials).

    Returns
    -------
    train, test : FeatureRecording
    """
    from ..features._inputs import check_fill_eye

    check_fill_eye(fill_eye)
    if n_train_trials is None:
        n_train_trials = default_n_train_trials(rec.dataset)
    trials = np.unique(rec.trial_ids)
    if not 1 <= n_train_trials < len(trials):
        raise ValueError(
            f"{rec!r}: n_train_trials={n_train_trials} must be between 1 and the number of "
            f"trials minus one ({len(trials) - 1})"
        )
    train_mask = np.isin(rec.trial_ids, trials[:n_train_trials])
    parts = [subset_recording(rec, train_mask), subset_recording(rec, ~train_mask)]
    if fill_eye is not None:
        parts = _fill_eye(parts, fill_eye)
    return parts[0], parts[1]


def _table_rows(tables, n_labels, n_labels_per, mask_ratios, has_eye, has_eeg=True,
                explicit=True):
    """(table, model, setting, FitSpec) rows of the requested tables.

    Rows that need a modality the recordings lack are skipped (logged); without
    EEG, a table left with no row is an error when the tables were asked for
    (``explicit``), skipped (logged) when they are the defaults.
    """
    per = "per trial" if n_labels_per == "trial" else "in total"
    rows = []
    for table in tables:
        if table == "1":
            for kind in ("eeg", "eye"):
                for pre in (False, True):
                    rows.append((table, MODEL_NAMES[kind],
                                 "pretrained" if pre else "w/o pretraining", FitSpec(kind, pre)))
        elif table == "2":
            for kind in ("eeg", "concat", "attention"):
                rows.append((table, MODEL_NAMES[kind], "all labels", FitSpec(kind, True)))
        elif table == "3":
            for kind in ("eeg", "concat", "attention"):
                rows.append((table, MODEL_NAMES[kind], f"{n_labels} labels {per}",
                             FitSpec(kind, True, n_labels)))
        elif table == "4":
            for kind in ("eeg", "concat", "attention"):
                for ratio in mask_ratios:
                    rows.append((table, MODEL_NAMES[kind], f"mask {100 * ratio:g}%",
                                 FitSpec(kind, True, n_labels, float(ratio))))
        elif table == "baselines":
            for kind in ("eeg", "eye", "concat"):
                rows.append((table, SVM_NAMES[kind], "all labels", FitSpec(f"svm-{kind}", False)))
    if not has_eye:
        dropped = sorted({r[1] for r in rows if r[3].needs_eye})
        if dropped:
            logger.warning(f"The dataset has no eye-movement features: skipping {dropped}")
        rows = [r for r in rows if not r[3].needs_eye]
    if not has_eeg:
        empty = [t for t in tables if all(r[3].needs_eeg for r in rows if r[0] == t)]
        if empty and explicit:
            raise ValueError(
                f"Table{'s' if len(empty) > 1 else ''} {', '.join(empty)} "
                f"need{'' if len(empty) > 1 else 's'} EEG features, but the recordings have "
                "none (e.g. a SEED-IV folder with eye_feature_smooth/ and no "
                "eeg_feature_smooth/); without EEG only the eye rows of tables 1 "
                "(MV-SSTMA-EYE) and baselines (SVM-EYE) can run"
            )
        dropped = list(dict.fromkeys(r[1] for r in rows if r[3].needs_eeg))
        if dropped:
            logger.warning(f"The dataset has no EEG features: skipping {dropped} (the rows "
                           "that need EEG), running the eye rows only")
        rows = [r for r in rows if not r[3].needs_eeg]
    return rows


def _parse_tables(tables):
    if isinstance(tables, str):
        tables = [t.strip() for t in tables.split(",") if t.strip()]
    tables = [str(t).lower() for t in tables]
    tables = ["baselines" if t in ("baseline", "svm") else t for t in tables]
    for t in tables:
        check_option("tables", t, ALL_TABLES)
    if not tables:
        raise ValueError("tables must name at least one table")
    return list(dict.fromkeys(tables))


SETTINGS_FORMAT = "mne_mmvsstma-protocol-settings"


def _data_hash(recs):
    """SHA-256 of the recordings of a run (features, labels, trials)."""
    from ..training.callbacks import hash_arrays

    arrays = []
    for r in recs:
        arrays += [r.eeg, r.eye, r.labels, r.trial_ids, np.array([r.subject, r.session])]
    return hash_arrays(arrays)


def _check_settings(sidecar, settings, results_csv):
    """Refuse to resume from a folder written with other settings (names the files)."""
    try:
        stored = json.loads(sidecar.read_text())
    except OSError as exc:
        raise OSError(f"Cannot resume: cannot read {sidecar} ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"Cannot resume: {sidecar} is not valid JSON ({exc}); it is "
                         "truncated or corrupt") from None
    if not isinstance(stored, dict) or stored.get("format") != SETTINGS_FORMAT:
        raise ValueError(f"Cannot resume: {sidecar} is not a protocol settings file")
    old = stored.get("settings", {})
    diff = [k for k in sorted(set(old) | set(settings)) if old.get(k) != settings.get(k)]
    if diff:
        what = ", ".join("the data (recordings selected or their content)" if k == "data"
                         else f"{k}={old.get(k)} (now {settings.get(k)})" for k in diff)
        raise ValueError(f"Cannot resume: {results_csv} and the models next to it were "
                         f"computed with other settings ({sidecar}: {what}); use another "
                         "out_dir or resume=False")


def _read_results(results_csv, columns):
    """Rows of a ``results.csv``, each checked; errors name the file and the line."""
    import pandas as pd

    try:
        df = pd.read_csv(results_csv, dtype={"table": str})
    except OSError as exc:
        raise OSError(f"Cannot read {results_csv}: {exc}") from None
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{results_csv} is truncated or corrupt ({exc}); delete it to "
                         "recompute its results") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{results_csv} lacks the columns {missing}; it is truncated or "
                         "not a results file")
    rows = df.to_dict("records")
    for i, r in enumerate(rows):
        line = i + 2  # the header is line 1
        try:
            if any(pd.isna(r[c]) for c in columns):
                raise ValueError("missing values")
            r["subject"], r["session"] = int(r["subject"]), int(r["session"])
            for c in ("n_train", "n_labeled", "n_test", "n_classes"):
                r[c] = int(r[c])
            r["accuracy"] = float(r["accuracy"])
            if not 0.0 <= r["accuracy"] <= 1.0:
                raise ValueError(f"accuracy {r['accuracy']} not in [0, 1]")
            classes = json.loads(r["classes"])
            cm = np.asarray(json.loads(r["confusion_matrix"]))
            if cm.shape != (len(classes), len(classes)) or len(classes) != r["n_classes"]:
                raise ValueError("confusion matrix and classes do not match")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{results_csv}, line {line}: invalid row ({exc}); the file is "
                             "truncated or corrupt (delete it to recompute)") from None
    return rows


@dataclasses.dataclass
class ProtocolResult:
    """Results of :func:`run_protocol`.

    Attributes
    ----------
    results : pandas.DataFrame
        One row per (table, model, setting, subject, session): ``accuracy``
        (0..1), sizes and the confusion matrix (JSON).
    summary : pandas.DataFrame
        Mean / std over subjects in percent (see
        :func:`~mne_mmvsstma.protocol.report.summarize`).
    out_dir : pathlib.Path | None
        Folder of the written files.
    files : list of pathlib.Path
        Files written (CSV, Markdown, PNG, model files).
    """

    results: object
    summary: object
    out_dir: Path | None = None
    files: list = dataclasses.field(default_factory=list)

    def format(self, *, markdown=False, paper=False):
        """The summary as text tables (see :func:`~mne_mmvsstma.protocol.report.format_summary`).

        Parameters
        ----------
        markdown : bool
            Format the tables as Markdown instead of aligned plain text.
        paper : bool
            Add the paper's reported values next to ours where they exist.

        Returns
        -------
        text : str
            One table per experiment table, in the paper's "mean/std" format.
        """
        from .report import format_summary

        return format_summary(self.summary, markdown=markdown, paper=paper)

    def __str__(self):
        return self.format()


def _fill_eye(recs, fill_eye):
    from ..features import fill_eye_nan
    from ..features._inputs import check_fill_eye, check_recording_finite

    check_fill_eye(fill_eye)
    out = []
    for rec in recs:
        if rec.eye is not None and not np.isfinite(rec.eye).all():
            if fill_eye is None:
                check_recording_finite(rec, "eye")
            n_bad = int((~np.isfinite(rec.eye)).sum())
            logger.debug(f"{rec!r}: filling {n_bad} NaN eye values ({fill_eye})")
            rec = dataclasses.replace(rec, eye=fill_eye_nan(rec.eye, rec.trial_ids,
                                                            method=fill_eye))
        out.append(rec)
    return out


@fill_doc
def read_recordings(root, *, dataset=None, subjects=None, sessions=None, fill_eye=None,
                    allow_partial=False, feature=None):
    """Read the feature recordings of a dataset folder.

    Parameters
    ----------
    root : path-like
        Dataset folder.
    dataset : str | None
        Dataset name (``None``: detected).
    subjects, sessions : list of int | None
        Selection (``None``: all).
    fill_eye : str | None
        :func:`~mne_mmvsstma.features.fill_eye_nan` method applied to whole
        recordings; ``None`` keeps NaN (fill the training and test parts
        separately with :func:`split_recording`'s ``fill_eye``, as
        :func:`run_protocol` does, so that no test statistic fills a
        training value).
    %(allow_partial)s
    feature : str | None
        EEG feature family of SEED and SEED-IV files (e.g. ``"de_movingAve"``;
        ``None``: the readers' default, ``"de_LDS"``). SEED-V files hold one
        DE family: a feature other than ``None`` is an error there.

    Returns
    -------
    recordings : list of FeatureRecording
    """
    from ..datasets import read_features
    from ..utils import check_path

    root = check_path(root, kind="Dataset folder", is_dir=True)  # missing vs a file
    kwargs = {}
    if subjects is not None:
        kwargs["subjects"] = list(subjects)
    if sessions is not None:
        kwargs["sessions"] = list(sessions)
    if feature is not None:
        from ..datasets._read import _normalize_dataset, detect_dataset

        name = detect_dataset(root) if dataset is None else _normalize_dataset(dataset)
        if name == "SEED-V":
            raise ValueError(f"feature={feature!r}: SEED-V files hold one DE feature family "
                             "(EEG_DE_features/); leave feature=None")
        kwargs["feature"] = feature
    # NaN eye values are counted and handled here (the reader's notice is silenced)
    recs = read_features(root, dataset=dataset, allow_partial=allow_partial, verbose="error",
                         **kwargs)
    if not recs:
        raise ValueError(f"No recordings found in {root} (subjects={subjects}, "
                         f"sessions={sessions})")
    n_nan = sum(int(np.isnan(r.eye).sum()) for r in recs if r.eye is not None)
    if n_nan:
        logger.info(f"{recs[0].dataset}: {n_nan} NaN eye-feature values in {len(recs)} "
                    "recordings")
    return recs if fill_eye is None else _fill_eye(recs, fill_eye)


def resolve_pretrain_feature(feature, dataset, recipe="default"):
    """The EEG feature family of a pretraining corpus, ``None`` for the classifiers' own.

    ``feature=None`` takes the recipe's ``pretrain_feature``; ``"de_LDS"``
    (the classifiers' features) gives ``None``. SEED-V files hold one DE
    family: the recipe's setting is ignored there (logged) and a given
    feature is an error.
    """
    from ..training.recipe import PRETRAIN_FEATURES, get_recipe

    given = feature is not None
    feature = get_recipe(recipe)["pretrain_feature"] if feature is None else feature
    if feature is None:
        return None
    check_option("pretrain_feature", feature, PRETRAIN_FEATURES)
    if dataset == "SEED-V":
        if given:
            raise ValueError(f"pretrain_feature={feature!r}: SEED-V files hold one DE feature "
                             "family; leave pretrain_feature=None")
        logger.info(f"SEED-V has one DE feature family: pretraining on it (the recipe's "
                    f"{feature} is for SEED and SEED-IV)")
        return None
    return None if feature == "de_LDS" else feature


@fill_doc
def pretraining_parts(root, recs, n_train_trials=None, *, feature, allow_partial=False):
    """The training parts of ``recs`` read with another EEG feature family.

    The EEG extractors can be pretrained on other features of the same
    windows than the ones the classifiers see (e.g. ``de_movingAve``, which
    varies within trials, for classifiers of ``de_LDS``). The windows, trials
    and labels must be those of ``recs``: a file whose ``feature`` trials do
    not match is an error naming it.

    Parameters
    ----------
    root : path-like
        The dataset folder of ``recs``.
    recs : list of FeatureRecording
        The recordings of the run (as read by :func:`read_recordings`).
    n_train_trials : int | None
        Training trials per recording (see :func:`split_recording`).
    feature : ``"de_LDS"`` | ``"de_movingAve"``
        EEG feature family.
    %(allow_partial)s

    Returns
    -------
    parts : list of FeatureRecording
        The training part of every recording, EEG only, in the order of
        ``recs``; no test window is read into them.
    """
    from ..features._inputs import check_recording_finite
    from ..training.recipe import PRETRAIN_FEATURES

    check_option("pretrain_feature", feature, PRETRAIN_FEATURES)
    other = read_recordings(root, dataset=recs[0].dataset,
                            subjects=sorted({r.subject for r in recs}),
                            sessions=sorted({r.session for r in recs}),
                            allow_partial=allow_partial, feature=feature)
    by_key = {(r.subject, r.session): r for r in other}
    parts = []
    for rec in recs:
        alt = by_key.get((rec.subject, rec.session))
        if alt is None or alt.eeg is None or alt.eeg.shape != rec.eeg.shape or not (
                np.array_equal(alt.trial_ids, rec.trial_ids)
                and np.array_equal(alt.labels, rec.labels)):
            what = "is missing" if alt is None else (
                "has no EEG" if alt.eeg is None else
                f"has {alt.eeg.shape} windows x channels x bands and "
                f"{len(np.unique(alt.trial_ids))} trials, the classifiers' features "
                f"{rec.eeg.shape} and {len(np.unique(rec.trial_ids))}")
            raise ValueError(f"{rec!r}: its {feature} features (pretraining corpus) {what}; "
                             "they must hold the same windows and trials")
        train = split_recording(dataclasses.replace(alt, eye=None), n_train_trials)[0]
        check_recording_finite(train, "eeg", part=f"training trials ({feature})")
        parts.append(train)
    return parts


def member_seeds(random_state, ensemble):
    """Seeds of the members of a seed ensemble: ``random_state + k`` for an int.

    A single member keeps ``random_state`` itself (an ensemble of one is the
    plain run); ``None`` or a Generator give ``ensemble`` seeds drawn once.
    """
    if ensemble == 1:
        return [random_state]
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return [int(random_state) + k for k in range(ensemble)]
    return check_random_state(random_state).integers(2**31, size=ensemble).tolist()


def _member_results(specs, train, test, *, pretrained, seed, fit_kwargs, model_kwargs,
                    eye_model_kwargs):
    """Test results of one member of the seed ensemble for every neural-network spec.

    ``pretrained``: ``{modality: extractor}`` of this member (``None`` for
    randomly initialised encoders). Returns ``{spec: result}``, the
    ``proba``, ``y_true`` and ``classes`` of :func:`~mne_mmvsstma.evaluate`
    on the test part.
    """
    from ..training.api import evaluate, finetune

    fit_kwargs = dict(fit_kwargs)
    extra = fit_kwargs.pop("classifier_kwargs", None) or {}
    fusion_dim = fit_kwargs.pop("fusion_dim", None)
    out = {}
    for spec in specs:
        if spec.kind in ("concat", "attention"):
            fusion, modality, arch = spec.kind, None, model_kwargs
            kw = dict(fit_kwargs, fusion_dim=fusion_dim)
            model = None if pretrained is None else {m: pretrained[m] for m in ("eeg", "eye")}
        else:
            fusion, modality, kw = None, spec.kind, fit_kwargs
            arch = eye_model_kwargs if spec.kind == "eye" else model_kwargs
            model = None if pretrained is None else pretrained[spec.kind]
        clf = finetune(
            [train], model=model, modality=modality, fusion=fusion, n_labels=spec.n_labels,
            mask_ratio=spec.mask_ratio, model_kwargs=None if spec.pretrained else arch,
            **dict(kw, random_state=seed), **extra, verbose=False,
        )
        res = evaluate(clf, [test], mask_ratio=spec.mask_ratio, verbose=False)
        out[spec] = {k: res[k] for k in ("proba", "y_true", "classes")}
    return out


def _n_labeled(train, spec, fit_kwargs):
    if spec.n_labels is None:
        return len(train.labels)
    if fit_kwargs.get("n_labels_per", "trial") == "total":
        return min(spec.n_labels, len(train.labels))
    _, counts = np.unique(train.trial_ids, return_counts=True)
    return int(np.minimum(counts, spec.n_labels).sum())


def _svm_results(specs, train, test, *, svm_kernel, svm_C):
    """``{spec: result}`` of the SVM baselines of one recording."""
    from .baselines import svm_baseline

    return {spec: svm_baseline(train, test, modality=spec.kind[4:], kernel=svm_kernel, C=svm_C)
            for spec in specs}


def _recording_rows(rec, train, specs, svm, members, *, dataset, fit_kwargs):
    """The result rows of one recording.

    ``svm``: ``{spec: result}`` of the baselines; ``members``: per member of
    the seed ensemble, ``{spec: result}`` of the neural networks, whose
    probabilities are averaged (soft voting, as :func:`~mne_mmvsstma.evaluate`
    of an ensemble).
    """
    from ..training.api import _scores

    cache, rows = {}, []
    for table, model_name, setting, spec in specs:
        if spec not in cache:  # identical configurations of several tables: fitted once
            if spec.kind.startswith("svm-"):
                res = dict(svm[spec], n_train=len(train.labels), n_labeled=len(train.labels))
            else:
                parts = [m[spec] for m in members]
                proba = np.mean([p["proba"] for p in parts], axis=0)  # one member: itself
                res = dict(_scores(proba, parts[0]["y_true"], parts[0]["classes"]),
                           n_train=len(train.labels),
                           n_labeled=_n_labeled(train, spec, fit_kwargs))
            cache[spec] = res
        res = cache[spec]
        rows.append(dict(
            dataset=dataset, table=table, model=model_name, setting=setting,
            subject=rec.subject, session=rec.session, accuracy=res["accuracy"],
            n_train=res["n_train"], n_labeled=res["n_labeled"],
            n_test=len(res["y_true"]), n_classes=len(res["classes"]),
            classes=json.dumps(np.asarray(res["classes"]).tolist()),
            confusion_matrix=json.dumps(np.asarray(res["confusion_matrix"]).tolist()),
        ))
    return rows


class _Task(NamedTuple):
    """A fit of the protocol: ``fn(*args, **kwargs, pretrained={modality: result})``.

    ``needs``: ``{modality: key}`` of the tasks (pretrainings) whose results
    it takes as ``pretrained`` (it waits for them).
    """

    key: tuple
    fn: object
    args: tuple
    kwargs: dict
    needs: dict | None = None


def _timed(fn, args, kwargs):
    """``(fn(*args, **kwargs), seconds)``."""
    t0 = time.perf_counter()
    return fn(*args, **kwargs), time.perf_counter() - t0


def _in_process(threads, fn, args, kwargs):
    """:func:`_timed` in a worker process with ``threads`` torch threads, warnings only."""
    import torch
    from mne.utils import use_log_level

    torch.set_num_threads(threads)
    with use_log_level("WARNING"):
        return _timed(fn, args, kwargs)


def _check_n_jobs(n_jobs):
    n_jobs = check_int(n_jobs, "n_jobs", minimum=-1)
    if n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of processes or -1 (all cores)")
    if n_jobs != 1 and distributed.is_distributed():
        raise ValueError(f"n_jobs={n_jobs} cannot be combined with torchrun "
                         f"({distributed.world_size()} processes); use n_jobs=1")
    return n_jobs


def _run_tasks(n_jobs, tasks, done):
    """Run ``tasks`` (in processes); yield ``(task, result, seconds)`` as each one ends.

    A task starts once the results it needs are in ``done`` (results of
    earlier runs or of tasks here, added as they arrive); among the tasks
    that can start, the first in ``tasks`` goes first. At most ``n_jobs``
    tasks run at a time, each in a process with an equal share of this
    process's torch threads; with one job everything runs here, in order.
    A process is thus never idle while a task could run (e.g. the members
    of an ensemble whose extractors are ready are fitted while the last
    extractor still trains).
    """
    import concurrent.futures as cf

    pending = list(tasks)

    def ready():
        for i, task in enumerate(pending):
            if all(key in done for key in (task.needs or {}).values()):
                return pending.pop(i)
        return None

    def call(task):
        kwargs = task.kwargs
        if task.needs is not None:
            kwargs = dict(kwargs, pretrained={m: done[key] for m, key in task.needs.items()})
        return task.fn, task.args, kwargs

    if n_jobs == 1 or len(tasks) <= 1:
        while pending:
            task = ready()
            if task is None:
                raise RuntimeError(f"Protocol tasks wait for results that no task computes: "
                                   f"{[t.key for t in pending]}")
            result, seconds = _timed(*call(task))
            done[task.key] = result
            yield task, result, seconds
        return
    import torch
    from joblib import effective_n_jobs
    from joblib.externals.loky import get_reusable_executor

    n_jobs = min(effective_n_jobs(n_jobs), len(tasks))
    threads = max(1, torch.get_num_threads() // n_jobs)
    logger.info(f"Running {len(tasks)} fits in {n_jobs} processes, {threads} torch "
                f"thread(s) each")
    executor = get_reusable_executor(max_workers=n_jobs, timeout=300)
    running = {}
    try:
        with warnings.catch_warnings():
            # loky replaces a worker whose memory grew by more than 300 MB after a task (its
            # leak protection) and warns; no task is lost
            warnings.filterwarnings("ignore", "A worker stopped while some jobs were given",
                                    UserWarning)
            while pending or running:
                while len(running) < n_jobs and (task := ready()) is not None:
                    running[executor.submit(_in_process, threads, *call(task))] = task
                if not running:
                    raise RuntimeError(f"Protocol tasks wait for results that no task "
                                       f"computes: {[t.key for t in pending]}")
                finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    result, seconds = future.result()
                    done[task.key] = result
                    yield task, result, seconds
    finally:
        for future in running:
            future.cancel()


#: files of a run in its out_dir (relative glob patterns), removed by overwrite=True
OUTPUT_PATTERNS = ("results.csv", "summary.csv", "summary.md", "bars_table*.png",
                   "confusion_table*.png", "models/pretrained_*.pt", "results_settings.json")


def _check_out_dir(out_dir, *, resume, overwrite):
    """Check ``out_dir`` before any work: outside datasets, writable, empty unless asked."""
    from .._files import _dataset_root_of, check_writable_dir

    _validate_type(out_dir, "path-like", "out_dir")
    out_dir = Path(out_dir).expanduser()
    inside = _dataset_root_of(out_dir / "results.csv")
    if inside is not None:
        raise ValueError(f"Refusing to write the protocol's files inside the dataset "
                         f"folder {inside} (out_dir={out_dir}); choose another out_dir")
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"out_dir {out_dir} is a file, not a folder")
    if resume and overwrite:
        raise ValueError("resume=True continues the run in out_dir and overwrite=True replaces "
                         "it; pass one of them")
    check_writable_dir(out_dir, kind="out_dir")
    if out_dir.is_dir():
        entries = sorted(p.name for p in out_dir.iterdir())
        if entries and not (resume or overwrite):
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise FileExistsError(
                f"out_dir {out_dir} is not empty ({shown}); pass resume=True to continue the "
                "run it holds or overwrite=True to replace its files (--resume / --overwrite "
                "on the command line), or choose an empty or new folder")
    return out_dir


def _remove_outputs(out_dir):
    """Remove the files an earlier run wrote in ``out_dir`` (results first)."""
    for pattern in OUTPUT_PATTERNS:
        for fname in sorted(out_dir.glob(pattern)):
            if fname.is_file():
                fname.unlink()
                logger.debug(f"Removed {fname} (overwrite=True)")


@verbose
@fill_doc
def run_protocol(
    root,
    *,
    dataset=None,
    tables=DEFAULT_TABLES,
    recipe="default",
    subjects=None,
    sessions=None,
    out_dir=None,
    n_train_trials=None,
    n_labels=10,
    n_labels_per="trial",
    mask_ratios=(0.3, 0.5, 0.7),
    pretrain_mask_ratio=None,
    pretrain_feature=None,
    pretrain_epochs=None,
    finetune_epochs=None,
    pretrain_batch_size=None,
    batch_size=32,
    model_kwargs=None,
    eye_model_kwargs=None,
    fusion_dim=None,
    patience=20,
    pretrain_kwargs=None,
    classifier_kwargs=None,
    ensemble=None,
    svm_kernel="linear",
    svm_C=1.0,
    fill_eye="interpolate",
    allow_partial=False,
    plot=True,
    resume=False,
    overwrite=False,
    device=None,
    n_jobs=1,
    random_state=0,
    verbose=None,
):
    """Run the paper's subject-dependent experiments on a dataset folder.

    Parameters
    ----------
    root : path-like
        Dataset folder (SEED-IV, SEED-V or SEED layout; read with
        :func:`mne_mmvsstma.datasets.read_features`).
    dataset : ``"SEED-IV"`` | ``"SEED-V"`` | ``"SEED"`` | None
        Dataset name (``None``: detected from the folder layout).
    tables : str | list of str
        Tables to run, among ``"1"``, ``"2"``, ``"3"``, ``"4"`` and
        ``"baselines"`` (a comma-separated string is accepted). Default:
        Tables 1 and 2 and the SVM baselines (what
        ``benchmarks/real_accuracy.py`` measures). Rows need the modalities
        they name: without eye features the eye and fusion rows are skipped;
        without EEG (e.g. a SEED-IV folder with ``eye_feature_smooth/`` only)
        only MV-SSTMA-EYE (Table 1) and SVM-EYE (baselines) run, the log says
        which rows are skipped, and a table asked for that has no eye row
        (``"2"``, ``"3"``, ``"4"``) is an error (the default tables skip
        Table 2).
    recipe : ``"default"`` | ``"paper"``
        The settings that the parameters below left at ``None`` take
        (:func:`~mne_mmvsstma.training.recipe.get_recipe`). ``"default"``:
        the recipe chosen on real SEED-IV features with
        ``benchmarks/real_accuracy.py`` (:ref:`recipe`): the small network of
        ``training.recipe.CPU_ARCH``, 3 pretraining epochs at mask ratio 0.7
        and learning rate 1e-3, whitened linear probes, a seed ensemble; one
        SEED-IV session of 15 recordings (Tables 1, 2 and baselines) took 7
        minutes on 2 idle CPU cores with ``n_jobs=2`` and 14 on 2 shared ones
        (``benchmarks/README.md``; one process is about 1.5 times slower).
        ``"paper"``: the published
        hyperparameters (6 + 6 hybrid blocks with 6 heads, 100 pretraining
        epochs at 1.5e-4 and mask ratio 0.3, 100 epochs of end-to-end
        fine-tuning with early stopping, one model per setting); it needs a
        GPU.
    subjects, sessions : list of int | None
        Subjects and sessions to use (``None``: all found).
    out_dir : path-like | None
        Output folder: ``results.csv`` (per subject and session),
        ``summary.csv`` and ``summary.md`` (mean/std per model), PNG figures
        (``bars_table<t>.png``, ``confusion_table<t>.png``) and the pretrained
        extractors (``models/pretrained_<modality>.pt``). ``None`` writes
        nothing.
    n_train_trials : int | None
        Training trials per session (``None``: SEED-IV 16, SEED-V 9, SEED 9).
    n_labels : int
        Labeled windows of Tables 3 and 4 (see ``n_labels_per``).
    n_labels_per : ``"trial"`` | ``"total"``
        Count ``n_labels`` per training trial (default) or in total.
    mask_ratios : sequence of float
        Mask ratios of Table 4.
    pretrain_mask_ratio : float | None
        Mask ratio of self-supervised pretraining (``None``: the recipe's).
    pretrain_feature : ``"de_LDS"`` | ``"de_movingAve"`` | None
        EEG feature family of the pretraining corpus (the training parts of
        the recordings, :func:`pretraining_parts`); the classifiers always
        see ``de_LDS``. ``None``: the recipe's. SEED-V files hold one DE
        family: there the recipe's setting is ignored (logged) and another
        value is an error.
    pretrain_epochs, finetune_epochs : int | None
        Epochs of pretraining and maximum epochs of every fine-tuning
        (``None``: the recipe's). With the default recipe every classifier
        is a linear probe of the frozen (pretrained or random) encoder
        (``classifier_kwargs["probe_C"]``, the recipe's 1.0) and
        ``finetune_epochs=0`` keeps it; more epochs fine-tune from it
        (cross-entropy + DCCA for fusion, early stopping on held-out training
        trials).
    pretrain_batch_size, batch_size : int | None
        Batch sizes of pretraining (``None``: the recipe's) and fine-tuning.
    model_kwargs : dict | None
        :class:`~mne_mmvsstma.models.MVSSTMA` parameters of the EEG extractor
        (and of random-init fusion encoders); e.g. ``dict(n_layers=2)``.
        ``None``: the recipe's architecture.
    eye_model_kwargs : dict | None
        Parameters of the eye extractor (``None``: same as ``model_kwargs``).
    fusion_dim : int | None
        Width of the per-modality projections of the fusion classifiers
        (see :func:`~mne_mmvsstma.training.finetune`).
    patience : int | None
        Early-stopping patience of fine-tuning, on one held-out training
        trial per class (see :func:`~mne_mmvsstma.training.finetune`).
    pretrain_kwargs : dict | None
        Other :class:`~mne_mmvsstma.training.Pretrainer` parameters of the
        pretraining (e.g. ``lr``, ``lr_schedule``); ``lr`` and ``whitening``
        not given here are the recipe's.
    classifier_kwargs : dict | None
        Other :class:`~mne_mmvsstma.training.EmotionClassifier` parameters of
        every fine-tuning (e.g. ``probe_C``, ``train_split``); ``probe_C``
        not given here is the recipe's.
    ensemble : int | None
        Members of a seed ensemble: ``ensemble`` extractors are pretrained
        per modality (seeds ``random_state``, ``random_state + 1``, ...),
        every neural-network result averages the class probabilities of one
        classifier per member, and "w/o pretraining" averages as many random
        initialisations. ``None``: the recipe's (default recipe: 5 on SEED, 3
        on SEED-IV and SEED-V, see :ref:`recipe`; paper recipe: 1, one model
        per setting, as the paper does); the training time grows with the
        members.
    svm_kernel, svm_C : str, float
        SVM baseline settings.
    fill_eye : str | None
        Method filling NaN eye features (:func:`mne_mmvsstma.features.fill_eye_nan`,
        within trials); ``None`` raises an error when there are any.
    %(allow_partial)s
    plot : bool
        Write PNG figures (needs ``out_dir``).
    resume : bool
        Reuse ``results.csv`` rows and pretrained models already in
        ``out_dir`` and run only what is missing. The settings and a hash of
        the data of a run are stored in ``results_settings.json``; resuming
        with other settings or data is refused, and so is a damaged
        ``results.csv`` (every file is replaced whole, never half-written).
    overwrite : bool
        Replace the files of an earlier run in ``out_dir``: its results, summaries,
        figures and pretrained models are removed before the new settings are
        written, so that no result of other settings survives an interrupted
        run. ``False`` (default): an ``out_dir`` that is not empty is refused
        unless ``resume=True``.
    %(device)s
    n_jobs : int
        Processes (loky, the executor of :class:`joblib.Parallel`) for the
        independent fits: the pretraining of every modality and ensemble
        member first, then the fits that need no extractor (SVM, random
        encoders), then per recording and ensemble member the fits on that
        member's extractors, each started as soon as its extractors are
        trained (no process waits for the last extractor while there is work).
        Each process gets an equal share of this process's torch
        threads (at least one); on CPU, two single-thread processes train
        about 1.5 times faster than one process with two threads. ``-1``:
        one per CPU core. 1 (default) runs everything here. Results equal
        the single-process ones for the same number of threads per fit.
        Not combined with ``torchrun`` (which parallelises every fit).
    %(random_state)s
        The same seed is used for every fit (reproducible as a whole); the
        members of an ensemble use ``random_state + k`` (seeds drawn once
        from a Generator or fresh entropy for ``None``).
    %(verbose)s

    Returns
    -------
    result : ProtocolResult
        ``results`` (per fit), ``summary`` (mean/std) and the files written;
        ``print(result)`` shows the summary tables.
    """
    import pandas as pd

    from .._files import atomic_write_text
    from ..features._inputs import check_fill_eye, check_recording_finite
    from ..training.api import pretrain
    from ..training.checkpoint import load_model, save_model
    from ..training.recipe import get_recipe
    from .report import RESULT_COLUMNS, write_tables

    t_start = time.perf_counter()
    # the settings left at None are the recipe's
    r = get_recipe(recipe)
    model_kwargs = r["model_kwargs"] if model_kwargs is None else model_kwargs
    pretrain_mask_ratio = (r["pretrain_mask_ratio"] if pretrain_mask_ratio is None
                           else pretrain_mask_ratio)
    pretrain_epochs = r["pretrain_epochs"] if pretrain_epochs is None else pretrain_epochs
    finetune_epochs = r["finetune_epochs"] if finetune_epochs is None else finetune_epochs
    pretrain_batch_size = (r["pretrain_batch_size"] if pretrain_batch_size is None
                           else pretrain_batch_size)
    ensemble = r["ensemble"] if ensemble is None else ensemble
    pretrain_kwargs = {"lr": r["pretrain_lr"], "whitening": r["whitening"],
                       **(pretrain_kwargs or {})}
    classifier_kwargs = {"probe_C": r["probe_C"], "lr": r["finetune_lr"],
                         **(classifier_kwargs or {})}
    ensemble = check_int(ensemble, "ensemble", none=True)
    n_jobs = _check_n_jobs(n_jobs)
    tables = _parse_tables(tables)
    check_option("n_labels_per", n_labels_per, ("trial", "total"))
    mask_ratios = tuple(float(r) for r in mask_ratios)
    _validate_type(resume, bool, "resume")
    _validate_type(overwrite, bool, "overwrite")
    check_fill_eye(fill_eye)
    if out_dir is not None:
        out_dir = _check_out_dir(out_dir, resume=resume, overwrite=overwrite)
    elif resume:
        raise ValueError("resume=True needs out_dir")
    recs = read_recordings(root, dataset=dataset, subjects=subjects, sessions=sessions,
                           allow_partial=allow_partial)
    dataset = recs[0].dataset
    if ensemble is None:
        ensemble = DEFAULT_ENSEMBLE[dataset]
    pretrain_feature = resolve_pretrain_feature(pretrain_feature, dataset, recipe)
    seeds = member_seeds(random_state, ensemble)
    has_eye = all(r.eye is not None for r in recs)
    has_eeg = all(r.eeg is not None for r in recs)
    rows = _table_rows(tables, n_labels, n_labels_per, mask_ratios, has_eye, has_eeg,
                       explicit=tables != _parse_tables(DEFAULT_TABLES))
    if not rows:
        raise ValueError(f"Nothing to run for tables {tables} on {dataset}")
    splits = [split_recording(rec, n_train_trials, fill_eye=fill_eye) for rec in recs]
    # every part of every recording is checked before any training (hours at the paper's
    # settings): the errors name the file, the trials and the modality
    needs_eye = any(spec.needs_eye for *_, spec in rows)
    for train, test in splits:
        for part, name in ((train, "training trials"), (test, "test trials")):
            for modality in ("eeg", "eye") if needs_eye else ("eeg",):
                check_recording_finite(part, modality, part=name, fill_eye=fill_eye)
    pre_eeg = None  # the EEG pretraining corpus when its features are not the classifiers'
    if pretrain_feature is not None and any(
            spec.pretrained and spec.kind in ("eeg", "concat", "attention")
            for *_, spec in rows):
        pre_eeg = pretraining_parts(root, recs, n_train_trials, feature=pretrain_feature,
                                    allow_partial=allow_partial)
    if out_dir is not None:  # created once the data are known to be readable
        out_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        f"{dataset}: {len(recs)} recordings, tables {', '.join(tables)}: "
        f"{len(rows)} results per recording"
    )

    # previous results (resume), bound to the settings and data they were computed with
    results_csv = None if out_dir is None else out_dir / "results.csv"
    columns = RESULT_COLUMNS + ["classes", "confusion_matrix"]
    settings = {k: repr(v) for k, v in dict(
        dataset=dataset, n_train_trials=[len(np.unique(tr.trial_ids)) for tr, _ in splits],
        n_labels=n_labels, n_labels_per=n_labels_per, mask_ratios=mask_ratios,
        pretrain_mask_ratio=pretrain_mask_ratio, pretrain_feature=pretrain_feature,
        pretrain_epochs=pretrain_epochs,
        finetune_epochs=finetune_epochs, pretrain_batch_size=pretrain_batch_size,
        batch_size=batch_size, model_kwargs=model_kwargs, eye_model_kwargs=eye_model_kwargs,
        fusion_dim=fusion_dim, patience=patience, pretrain_kwargs=pretrain_kwargs,
        classifier_kwargs=classifier_kwargs, ensemble=ensemble, svm_kernel=svm_kernel,
        svm_C=svm_C,
        fill_eye=fill_eye, random_state=random_state).items()}
    settings["data"] = _data_hash(recs + (pre_eeg or []))
    sidecar = None if out_dir is None else out_dir / "results_settings.json"
    if overwrite and out_dir is not None and distributed.is_main_process():
        # the results of the earlier run go before its settings are replaced: an interrupted
        # run never leaves results next to settings they were not computed with
        _remove_outputs(out_dir)
    done = []
    if resume:
        models = out_dir / "models"
        if sidecar.exists():
            _check_settings(sidecar, settings, results_csv)
        elif results_csv.exists() or any(models.glob("pretrained_*.pt")):
            raise ValueError(f"Cannot resume from {out_dir}: {sidecar.name} (the settings of "
                             f"{results_csv.name} and the models) is missing; use another "
                             "out_dir or resume=False")
        if results_csv.exists():
            done = _read_results(results_csv, columns)
            logger.info(f"Resuming: {len(done)} results read from {results_csv}")
    if sidecar is not None and distributed.is_main_process():
        atomic_write_text(json.dumps({"format": SETTINGS_FORMAT, "settings": settings},
                                     indent=1), sidecar)
    done_keys = {(str(r["table"]), r["model"], r["setting"], int(r["subject"]),
                  int(r["session"])) for r in done}
    files = []

    def todo(rec):
        return [r for r in rows
                if (r[0], r[1], r[2], rec.subject, rec.session) not in done_keys]

    # the tasks, in the order they start when several can: every pretraining (training
    # parts of all recordings), the fits that need no extractor (SVM, random encoders: they
    # keep the processes busy while the last extractors train), then per member of the
    # ensemble the fits on its extractors (they start as soon as those are there)
    model_kwargs = dict(model_kwargs or {})
    eye_model_kwargs = dict(model_kwargs if eye_model_kwargs is None else eye_model_kwargs)
    kinds = {s.kind for rec in recs for (_, _, _, s) in todo(rec) if s.pretrained}
    need_pre = {m for m in ("eeg", "eye") if m in kinds or kinds & {"concat", "attention"}}
    train_parts = [tr for tr, _ in splits]
    results_done, tasks, fnames = {}, [], {}
    for modality, (k, seed) in itertools.product(sorted(need_pre), enumerate(seeds)):
        name = f"pretrained_{modality}{f'_{k}' if k else ''}.pt"  # member 0: the plain name
        fname = fnames[modality, k] = None if out_dir is None else out_dir / "models" / name
        if resume and fname is not None and fname.exists():
            results_done["pretrain", modality, k] = load_model(fname)
            logger.info(f"Loaded the pretrained {modality} extractor from {fname}")
            continue
        corpus = pre_eeg if modality == "eeg" and pre_eeg is not None else train_parts
        tasks.append(_Task(("pretrain", modality, k), pretrain, (corpus,), dict(
            modality=modality, mask_ratio=pretrain_mask_ratio, n_epochs=pretrain_epochs,
            batch_size=pretrain_batch_size,
            model_kwargs=model_kwargs if modality == "eeg" else eye_model_kwargs,
            device=device, random_state=seed,
            checkpoint_dir=None if out_dir is None else
            out_dir / "checkpoints" / (f"member_{k}" if k else ""),
            resume=resume, **(pretrain_kwargs or {}))))
    fit_kwargs = dict(n_epochs=finetune_epochs, batch_size=batch_size, patience=patience,
                      n_labels_per=n_labels_per, device=device, random_state=random_state,
                      fusion_dim=fusion_dim, classifier_kwargs=classifier_kwargs)
    nn_kwargs = dict(fit_kwargs=fit_kwargs, model_kwargs=model_kwargs,
                     eye_model_kwargs=eye_model_kwargs)
    parts, todo_rows = {}, {}  # per recording: the keys of its tasks, its rows
    random_fits, pretrained_fits = [], []
    for r, (rec, (train, test)) in enumerate(zip(recs, splits)):
        todo_rows[r], parts[r] = todo(rec), []
        specs = list(dict.fromkeys(spec for *_, spec in todo_rows[r]))
        svm = [s for s in specs if s.kind.startswith("svm-")]
        if svm:
            tasks.append(_Task(("svm", r), _svm_results, (svm, train, test),
                               dict(svm_kernel=svm_kernel, svm_C=svm_C)))
            parts[r].append(("svm", r))
        for pre, fits in ((False, random_fits), (True, pretrained_fits)):
            nn = [s for s in specs if not s.kind.startswith("svm-") and s.pretrained == pre]
            mods = {m for s in nn for m in
                    (("eeg", "eye") if s.kind in ("concat", "attention") else (s.kind,))}
            for k, seed in enumerate(seeds) if nn else ():
                fits.append(_Task(
                    ("nn", r, k, pre), _member_results, (nn, train, test),
                    dict(nn_kwargs, seed=seed, **({} if pre else {"pretrained": None})),
                    {m: ("pretrain", m, k) for m in sorted(mods)} if pre else None))
                parts[r].append(fits[-1].key)
    tasks += random_fits + sorted(pretrained_fits, key=lambda t: t.key[2])  # by member

    new_rows = []
    from tqdm.auto import tqdm

    with tqdm(total=sum(len(todo_rows[r]) for r in parts if parts[r]), desc="protocol",
              leave=False, dynamic_ncols=True,
              disable=logger.getEffectiveLevel() > logging.INFO
              or not distributed.is_main_process()) as pbar:
        for task, result, seconds in _run_tasks(n_jobs, tasks, results_done):
            if task.key[0] == "pretrain":
                _, modality, k = task.key
                member = f" {k + 1}/{ensemble}" if ensemble > 1 else ""
                logger.info(f"Pretrained the {modality} extractor{member} in {seconds:.1f} s")
                if fnames[modality, k] is not None:
                    fnames[modality, k].parent.mkdir(exist_ok=True)
                    files.append(save_model(result, fnames[modality, k], overwrite=True))
                continue
            r = task.key[1]
            rec = recs[r]
            logger.debug(f"sub-{rec.subject} ses-{rec.session}: {task.key[0]} fits"
                         + (f" of member {task.key[2] + 1}" if task.key[0] == "nn" else "")
                         + f" in {seconds:.1f} s")
            if not all(key in results_done for key in parts[r]):
                continue
            members = [{} for _ in seeds]  # the recording is complete: its rows
            for key in parts[r]:
                if key[0] == "nn":
                    members[key[2]].update(results_done.pop(key))
            rows_done = _recording_rows(rec, splits[r][0], todo_rows[r],
                                        results_done.pop(("svm", r), {}), members,
                                        dataset=dataset, fit_kwargs=fit_kwargs)
            new_rows.extend(rows_done)
            if results_csv is not None and distributed.is_main_process():
                atomic_write_text(pd.DataFrame(done + new_rows, columns=columns)
                                  .to_csv(index=False), results_csv)
            pbar.set_postfix_str(f"sub-{rec.subject} ses-{rec.session}")
            pbar.update(len(rows_done))

    results = pd.DataFrame(done + new_rows, columns=columns)
    results["table"] = results["table"].astype(str)
    order = {(r[0], r[1], r[2]): i for i, r in enumerate(rows)}
    results["_order"] = [order.get((t, m, s), len(order)) for t, m, s in
                         zip(results["table"], results["model"], results["setting"])]
    results = results.sort_values(["_order", "subject", "session"], kind="stable")
    results = results.drop(columns="_order").reset_index(drop=True)
    if out_dir is not None and distributed.is_main_process():
        summary, table_files = write_tables(results, out_dir)
        files.extend(table_files)
        if plot:
            files.extend(plot_results(results, out_dir, event_id=recs[0].event_id))
    else:
        from .report import summarize

        summary = summarize(results)
    logger.info(f"Protocol done in {time.perf_counter() - t_start:.1f} s")
    return ProtocolResult(results=results, summary=summary, out_dir=out_dir, files=files)


def plot_results(results, out_dir, *, event_id=None):
    """Write per-subject bar charts and confusion matrices (PNG) for every table.

    Parameters
    ----------
    results : pandas.DataFrame
        Per-fit results (from :func:`run_protocol` or ``results.csv``).
    out_dir : path-like
        Folder of the PNG files.
    event_id : dict | None
        Emotion name -> label code, to name the confusion-matrix classes.

    Returns
    -------
    files : list of pathlib.Path
    """
    from .report import TABLE_TITLES, plot_confusion_matrices, plot_subject_bars

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    code_to_name = {v: k for k, v in (event_id or {}).items()}
    for table in dict.fromkeys(results["table"].astype(str)):
        sub = results[results["table"].astype(str) == table]
        n_classes = int(sub["n_classes"].max())
        title = TABLE_TITLES.get(table, f"Table {table}")
        files.append(plot_subject_bars(sub, out_dir / f"bars_table{table}.png", title=title,
                                       chance=1.0 / n_classes))
        matrices, names = {}, None
        for (model, setting), grp in sub.groupby(["model", "setting"], sort=False):
            total = None
            for cm_json, cls_json in zip(grp["confusion_matrix"], grp["classes"]):
                cm = np.asarray(json.loads(cm_json))
                classes = json.loads(cls_json)
                if total is None:
                    total, names = cm, classes
                elif cm.shape == total.shape and classes == names:
                    total = total + cm
            label = f"{model} | {setting}" if setting else model
            matrices[label] = total
        class_names = None if names is None else [str(code_to_name.get(c, c)) for c in names]
        files.append(plot_confusion_matrices(matrices, out_dir / f"confusion_table{table}.png",
                                             class_names=class_names, title=title))
    return files
