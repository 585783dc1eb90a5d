"""The paper's experiment grid on a dataset folder (subject-dependent, per session).

For every (subject, session) recording the first ``n_train_trials`` trials
(SEED-IV 16, SEED-V 9, SEED 9) are the training part and the remaining trials
the test part. The tables, their rows and the fits they share are described in
:mod:`~mne_mmvsstma.protocol.grid`.

Pretraining data: one EEG and one eye extractor are pretrained on the
unlabeled *training parts* of all recordings in the run (every subject and
session selected), never on test trials (the EEG ones on the features named
by ``pretrain_feature``); each recording is standardised with statistics of
its own training part. Every classifier is fine-tuned per
subject-session from copies of these extractors.

:func:`run_protocol` runs the steps of the other modules of the room in turn:

- :mod:`~mne_mmvsstma.protocol.grid`: the tables as fit specifications;
- :mod:`~mne_mmvsstma.protocol.recordings`: reading the recordings, their
  training and test parts, the pretraining corpus;
- :mod:`~mne_mmvsstma.protocol._resume`: the settings of a run, resuming it;
- :mod:`~mne_mmvsstma.protocol.fits`: the tasks (pretraining, the fits per
  recording) and the result rows;
- :mod:`~mne_mmvsstma.protocol._tasks`: the scheduler running the tasks;
- :mod:`~mne_mmvsstma.protocol.report`: the tables and figures written.

The names these modules define remain importable from here.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..training import distributed
from ..utils import _validate_type, check_int, check_option, fill_doc, logger, verbose
from ._resume import (  # noqa: F401
    CSV_COLUMNS,
    OUTPUT_PATTERNS,
    SETTINGS_FORMAT,
    _check_out_dir,
    _check_settings,
    _data_hash,
    _read_results,
    _remove_outputs,
    _resume_state,
    _Settings,
)
from ._tasks import _check_n_jobs, _in_process, _run_tasks, _Task, _timed  # noqa: F401
from .fits import (  # noqa: F401
    _member_results,
    _n_labeled,
    _plan_fits,
    _recording_rows,
    _svm_results,
)
from .grid import (  # noqa: F401
    ALL_TABLES,
    DEFAULT_ENSEMBLE,
    DEFAULT_TABLES,
    MODEL_NAMES,
    SVM_NAMES,
    FitSpec,
    _parse_tables,
    _table_rows,
    member_seeds,
)
from .recordings import (  # noqa: F401
    DEFAULT_TRAIN_TRIALS,
    _fill_eye,
    default_n_train_trials,
    pretraining_parts,
    read_recordings,
    resolve_pretrain_feature,
    split_recording,
    subset_recording,
)
from .report import plot_results


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
        and learning rate 1e-3 (the EEG extractors on ``de_movingAve``),
        whitened linear probes, a seed ensemble; one
        SEED-IV session of 15 recordings (Tables 1, 2 and baselines) took 6
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
        the recordings, :func:`~mne_mmvsstma.protocol.pretraining_parts`); the classifiers always
        see ``de_LDS``. ``None``: the recipe's (default recipe
        ``"de_movingAve"``, paper ``"de_LDS"``). SEED-V files hold one DE
        family: there the recipe's setting is ignored (logged) and another
        value is an error.
    pretrain_epochs, finetune_epochs : int | None
        Epochs of pretraining and maximum epochs of every fine-tuning
        (``None``: the recipe's). With the default recipe every classifier
        is a linear probe of the frozen (pretrained or random) encoder
        (``classifier_kwargs["probe_C"]``, the recipe's 1.0) and
        ``finetune_epochs=0`` keeps it; more epochs fine-tune from it
        (cross-entropy + DCCA for fusion, early stopping on held-out training
        trials, the probe kept when no epoch beats it; on the real SEED-IV
        development sessions 20 epochs lost 3.7 points to the probe alone).
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
        initialisations. ``None``: the recipe's (default recipe: 6 on SEED-IV,
        5 on SEED, 3 on SEED-V, see :ref:`recipe`; paper recipe: 1, one model
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
    t_start = time.perf_counter()
    settings, n_jobs, tables, out_dir = _resolve_arguments(
        recipe, _Settings(
            n_labels=n_labels, n_labels_per=n_labels_per, mask_ratios=mask_ratios,
            pretrain_mask_ratio=pretrain_mask_ratio, pretrain_feature=pretrain_feature,
            pretrain_epochs=pretrain_epochs, finetune_epochs=finetune_epochs,
            pretrain_batch_size=pretrain_batch_size, batch_size=batch_size,
            model_kwargs=model_kwargs, eye_model_kwargs=eye_model_kwargs,
            fusion_dim=fusion_dim, patience=patience, pretrain_kwargs=pretrain_kwargs,
            classifier_kwargs=classifier_kwargs, ensemble=ensemble, svm_kernel=svm_kernel,
            svm_C=svm_C, fill_eye=fill_eye, random_state=random_state),
        n_jobs=n_jobs, tables=tables, out_dir=out_dir, resume=resume, overwrite=overwrite)
    data = _read_data(root, settings, tables, recipe=recipe, dataset=dataset,
                      subjects=subjects, sessions=sessions, n_train_trials=n_train_trials,
                      allow_partial=allow_partial)
    dataset = data.recs[0].dataset
    if out_dir is not None:  # created once the data are known to be readable
        out_dir.mkdir(parents=True, exist_ok=True)
    logger.info(
        f"{dataset}: {len(data.recs)} recordings, tables {', '.join(tables)}: "
        f"{len(data.rows)} results per recording"
    )
    # previous results (resume), bound to the settings and data they were computed with
    done = _resume_state(out_dir, _settings_record(settings, data), resume=resume,
                         overwrite=overwrite)
    plan = _plan_fits(data.recs, data.splits, data.rows, done, data.seeds, data.pre_eeg,
                      settings, out_dir=out_dir, resume=resume, device=device)
    results_csv = None if out_dir is None else out_dir / "results.csv"
    new_rows, files = _run_and_collect(plan, data, done, n_jobs=n_jobs,
                                       ensemble=settings.ensemble, results_csv=results_csv)
    results = _results_table(done + new_rows, data.rows)
    summary, written = _write_outputs(results, out_dir, plot=plot,
                                      event_id=data.recs[0].event_id)
    files.extend(written)
    logger.info(f"Protocol done in {time.perf_counter() - t_start:.1f} s")
    return ProtocolResult(results=results, summary=summary, out_dir=out_dir, files=files)


def _resolve_arguments(recipe, given, *, n_jobs, tables, out_dir, resume, overwrite):
    """The settings of a run (the recipe's where ``given`` has None) and the checked
    ``n_jobs``, ``tables`` and ``out_dir``, before any data are read."""
    from ..features._inputs import check_fill_eye
    from ..training.recipe import get_recipe

    # the settings left at None are the recipe's
    r = get_recipe(recipe)
    s = dataclasses.replace(
        given,
        model_kwargs=r["model_kwargs"] if given.model_kwargs is None else given.model_kwargs,
        pretrain_mask_ratio=(r["pretrain_mask_ratio"] if given.pretrain_mask_ratio is None
                             else given.pretrain_mask_ratio),
        pretrain_epochs=(r["pretrain_epochs"] if given.pretrain_epochs is None
                         else given.pretrain_epochs),
        finetune_epochs=(r["finetune_epochs"] if given.finetune_epochs is None
                         else given.finetune_epochs),
        pretrain_batch_size=(r["pretrain_batch_size"] if given.pretrain_batch_size is None
                             else given.pretrain_batch_size),
        ensemble=r["ensemble"] if given.ensemble is None else given.ensemble,
        pretrain_kwargs={"lr": r["pretrain_lr"], "whitening": r["whitening"],
                         "whitening_covariance": r["whitening_covariance"],
                         "target": r["pretrain_target"],
                         "reset_batchnorm": r["reset_batchnorm"],
                         **(given.pretrain_kwargs or {})},
        classifier_kwargs={"probe_C": r["probe_C"], "lr": r["finetune_lr"],
                           **(given.classifier_kwargs or {})},
    )
    s.ensemble = check_int(s.ensemble, "ensemble", none=True)
    n_jobs = _check_n_jobs(n_jobs)
    tables = _parse_tables(tables)
    check_option("n_labels_per", s.n_labels_per, ("trial", "total"))
    s.mask_ratios = tuple(float(x) for x in s.mask_ratios)
    _validate_type(resume, bool, "resume")
    _validate_type(overwrite, bool, "overwrite")
    check_fill_eye(s.fill_eye)
    if out_dir is not None:
        out_dir = _check_out_dir(out_dir, resume=resume, overwrite=overwrite)
    elif resume:
        raise ValueError("resume=True needs out_dir")
    return s, n_jobs, tables, out_dir


class _Data(NamedTuple):
    """The data of a run: recordings, their parts, the rows to compute per recording."""

    recs: list
    splits: list  # (train, test) per recording
    rows: list  # (table, model, setting, FitSpec) per recording
    seeds: list  # of the ensemble members
    pre_eeg: list | None  # the EEG pretraining corpus when not the classifiers' features


def _read_data(root, settings, tables, *, recipe, dataset, subjects, sessions, n_train_trials,
               allow_partial):
    """Read the recordings, split and check them (:class:`_Data`); completes the settings
    that depend on the dataset (``ensemble``, ``pretrain_feature``)."""
    from ..features._inputs import check_recording_finite

    recs = read_recordings(root, dataset=dataset, subjects=subjects, sessions=sessions,
                           allow_partial=allow_partial)
    dataset = recs[0].dataset
    if settings.ensemble is None:
        settings.ensemble = DEFAULT_ENSEMBLE[dataset]
    settings.pretrain_feature = resolve_pretrain_feature(settings.pretrain_feature, dataset,
                                                         recipe)
    seeds = member_seeds(settings.random_state, settings.ensemble)
    has_eye = all(r.eye is not None for r in recs)
    has_eeg = all(r.eeg is not None for r in recs)
    rows = _table_rows(tables, settings.n_labels, settings.n_labels_per, settings.mask_ratios,
                       has_eye, has_eeg, explicit=tables != _parse_tables(DEFAULT_TABLES))
    if not rows:
        raise ValueError(f"Nothing to run for tables {tables} on {dataset}")
    fill_eye = settings.fill_eye
    splits = [split_recording(rec, n_train_trials, fill_eye=fill_eye) for rec in recs]
    # every part of every recording is checked before any training (hours at the paper's
    # settings): the errors name the file, the trials and the modality
    needs_eye = any(spec.needs_eye for *_, spec in rows)
    for train, test in splits:
        for part, name in ((train, "training trials"), (test, "test trials")):
            for modality in ("eeg", "eye") if needs_eye else ("eeg",):
                check_recording_finite(part, modality, part=name, fill_eye=fill_eye)
    pre_eeg = None  # the EEG pretraining corpus when its features are not the classifiers'
    if settings.pretrain_feature is not None and any(
            spec.pretrained and spec.kind in ("eeg", "concat", "attention")
            for *_, spec in rows):
        pre_eeg = pretraining_parts(root, recs, n_train_trials,
                                    feature=settings.pretrain_feature,
                                    allow_partial=allow_partial)
    return _Data(recs, splits, rows, seeds, pre_eeg)


def _settings_record(settings, data):
    """The settings sidecar of a run: its settings, training trials and data hash."""
    return settings.record(
        dataset=data.recs[0].dataset,
        n_train_trials=[len(np.unique(tr.trial_ids)) for tr, _ in data.splits],
        data=_data_hash(data.recs + (data.pre_eeg or [])))


def _run_and_collect(plan, data, done, *, n_jobs, ensemble, results_csv):
    """Run the tasks of ``plan``; returns the rows of the recordings and the model files.

    Each pretrained extractor is saved as it arrives; the rows of a recording
    are made once all its fits are done and ``results.csv`` is rewritten with
    them (``done`` first).
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from .._files import atomic_write_text
    from ..training.checkpoint import save_model

    recs, results_done, parts = data.recs, plan.done, plan.parts
    dataset = recs[0].dataset
    new_rows, files = [], []
    with tqdm(total=sum(len(todo) for todo, keys in zip(plan.todo_rows, parts) if keys),
              desc="protocol", leave=False, dynamic_ncols=True,
              disable=logger.getEffectiveLevel() > logging.INFO
              or not distributed.is_main_process()) as pbar:
        for task, result, seconds in _run_tasks(n_jobs, plan.tasks, results_done):
            if task.key[0] == "pretrain":
                _, modality, k = task.key
                member = f" {k + 1}/{ensemble}" if ensemble > 1 else ""
                logger.info(f"Pretrained the {modality} extractor{member} in {seconds:.1f} s")
                if plan.fnames[modality, k] is not None:
                    plan.fnames[modality, k].parent.mkdir(exist_ok=True)
                    files.append(save_model(result, plan.fnames[modality, k], overwrite=True))
                continue
            r = task.key[1]
            rec = recs[r]
            logger.debug(f"sub-{rec.subject} ses-{rec.session}: {task.key[0]} fits"
                         + (f" of member {task.key[2] + 1}" if task.key[0] == "nn" else "")
                         + f" in {seconds:.1f} s")
            if not all(key in results_done for key in parts[r]):
                continue
            members = [{} for _ in data.seeds]  # the recording is complete: its rows
            for key in parts[r]:
                if key[0] == "nn":
                    members[key[2]].update(results_done.pop(key))
            rows_done = _recording_rows(rec, data.splits[r][0], plan.todo_rows[r],
                                        results_done.pop(("svm", r), {}), members,
                                        dataset=dataset, fit_kwargs=plan.fit_kwargs)
            new_rows.extend(rows_done)
            if results_csv is not None and distributed.is_main_process():
                atomic_write_text(pd.DataFrame(done + new_rows, columns=CSV_COLUMNS)
                                  .to_csv(index=False), results_csv)
            pbar.set_postfix_str(f"sub-{rec.subject} ses-{rec.session}")
            pbar.update(len(rows_done))
    return new_rows, files


def _results_table(rows, grid):
    """The result rows as a DataFrame, in the order of the ``grid`` rows, then subjects and
    sessions."""
    import pandas as pd

    results = pd.DataFrame(rows, columns=CSV_COLUMNS)
    results["table"] = results["table"].astype(str)
    order = {(r[0], r[1], r[2]): i for i, r in enumerate(grid)}
    results["_order"] = [order.get((t, m, s), len(order)) for t, m, s in
                         zip(results["table"], results["model"], results["setting"])]
    results = results.sort_values(["_order", "subject", "session"], kind="stable")
    return results.drop(columns="_order").reset_index(drop=True)


def _write_outputs(results, out_dir, *, plot, event_id):
    """The summary; the tables and figures written to ``out_dir`` (rank 0), if any."""
    from .report import summarize, write_tables

    files = []
    if out_dir is not None and distributed.is_main_process():
        summary, table_files = write_tables(results, out_dir)
        files.extend(table_files)
        if plot:
            files.extend(plot_results(results, out_dir, event_id=event_id))
    else:
        summary = summarize(results)
    return summary, files
