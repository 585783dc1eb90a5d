"""The fits of a protocol run: its tasks, the fits per recording and their result rows.

Every extractor is pretrained once per modality and member of the seed
ensemble on the training parts of all recordings; per recording, the SVM
baselines and, per ensemble member, every neural-network configuration are
fitted on the training part and evaluated on the test part. The rows of a
recording average the class probabilities of its members (soft voting).
"""

from __future__ import annotations

import itertools
import json
from typing import NamedTuple

import numpy as np

from ..utils import logger
from ._tasks import _Task


class _Plan(NamedTuple):
    """The tasks of a run and what turns their results into result rows."""

    tasks: list  # in the order they start when several can
    done: dict  # task key -> result: the extractors of an earlier run, then the tasks'
    fnames: dict  # (modality, member) -> file of the pretrained extractor (None: not kept)
    todo_rows: list  # per recording: its rows that no earlier run computed
    parts: list  # per recording: the keys of its tasks
    fit_kwargs: dict  # of every fine-tuning


def _plan_fits(recs, splits, rows, done, seeds, pre_eeg, settings, *, out_dir, resume,
               device):
    """The tasks of a run (:class:`_Plan`), those of the ``done`` rows left out.

    In the order they start when several can: every pretraining (training
    parts of all recordings), the fits that need no extractor (SVM, random
    encoders: they keep the processes busy while the last extractors train),
    then per member of the ensemble the fits on its extractors (they start as
    soon as those are there).
    """
    done_keys = {(str(r["table"]), r["model"], r["setting"], int(r["subject"]),
                  int(r["session"])) for r in done}
    todo_rows = [[r for r in rows if (r[0], r[1], r[2], rec.subject, rec.session)
                  not in done_keys] for rec in recs]
    model_kwargs = dict(settings.model_kwargs or {})
    eye_model_kwargs = dict(model_kwargs if settings.eye_model_kwargs is None
                            else settings.eye_model_kwargs)
    tasks, loaded, fnames = _pretrain_tasks(
        todo_rows, [tr for tr, _ in splits], pre_eeg, seeds, settings,
        model_kwargs=model_kwargs, eye_model_kwargs=eye_model_kwargs, out_dir=out_dir,
        resume=resume, device=device)
    fit_kwargs = dict(n_epochs=settings.finetune_epochs, batch_size=settings.batch_size,
                      patience=settings.patience, n_labels_per=settings.n_labels_per,
                      device=device, random_state=settings.random_state,
                      fusion_dim=settings.fusion_dim,
                      classifier_kwargs=settings.classifier_kwargs)
    fits, parts = _recording_tasks(
        splits, todo_rows, seeds, svm_kernel=settings.svm_kernel, svm_C=settings.svm_C,
        nn_kwargs=dict(fit_kwargs=fit_kwargs, model_kwargs=model_kwargs,
                       eye_model_kwargs=eye_model_kwargs))
    return _Plan(tasks + fits, loaded, fnames, todo_rows, parts, fit_kwargs)


def _pretrain_tasks(todo_rows, train_parts, pre_eeg, seeds, settings, *, model_kwargs,
                    eye_model_kwargs, out_dir, resume, device):
    """The pretraining of every modality and ensemble member that the rows need.

    Returns the tasks, ``{key: extractor}`` of the ones an earlier run saved
    (``resume``) and ``{(modality, member): file}`` of the extractors.
    """
    from ..training.api import pretrain
    from ..training.checkpoint import load_model

    kinds = {s.kind for todo in todo_rows for (_, _, _, s) in todo if s.pretrained}
    need_pre = {m for m in ("eeg", "eye") if m in kinds or kinds & {"concat", "attention"}}
    results_done, tasks, fnames = {}, [], {}
    for modality, (k, seed) in itertools.product(sorted(need_pre), enumerate(seeds)):
        name = f"pretrained_{modality}{f'_{k}' if k else ''}.pt"  # member 0: the plain name
        fname = fnames[modality, k] = None if out_dir is None else out_dir / "models" / name
        if resume and fname is not None and fname.exists():
            results_done["pretrain", modality, k] = load_model(fname)
            logger.info(f"Loaded the pretrained {modality} extractor from {fname}")
            continue
        other = modality == "eeg" and pre_eeg is not None  # another EEG feature family
        corpus = pre_eeg if other else train_parts
        tasks.append(_Task(("pretrain", modality, k), pretrain, (corpus,), dict(
            # the whitening is learned on the classifiers' features of the same trials
            whitening_data=train_parts if other else None, modality=modality,
            mask_ratio=settings.pretrain_mask_ratio,
            n_epochs=settings.pretrain_epochs, batch_size=settings.pretrain_batch_size,
            model_kwargs=model_kwargs if modality == "eeg" else eye_model_kwargs,
            device=device, random_state=seed,
            checkpoint_dir=None if out_dir is None else
            out_dir / "checkpoints" / (f"member_{k}" if k else ""),
            resume=resume, **(settings.pretrain_kwargs or {}))))
    return tasks, results_done, fnames


def _recording_tasks(splits, todo_rows, seeds, *, svm_kernel, svm_C, nn_kwargs):
    """The fits of every recording: its SVM baselines, then per ensemble member its
    networks on random encoders, then (by member) those on the pretrained extractors.

    Returns the tasks and, per recording, the keys of its tasks.
    """
    parts = []  # per recording: the keys of its tasks
    svm_fits, random_fits, pretrained_fits = [], [], []
    for r, ((train, test), todo) in enumerate(zip(splits, todo_rows)):
        parts.append([])
        specs = list(dict.fromkeys(spec for *_, spec in todo))
        svm = [s for s in specs if s.kind.startswith("svm-")]
        if svm:
            svm_fits.append(_Task(("svm", r), _svm_results, (svm, train, test),
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
    # the fits on pretrained extractors by member
    return svm_fits + random_fits + sorted(pretrained_fits, key=lambda t: t.key[2]), parts


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
    from ..training.evaluation import _scores

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
