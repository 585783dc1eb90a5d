"""Functional API: :func:`pretrain`, :func:`finetune`, :func:`evaluate`.

Thin wrappers over the estimators (:class:`~mne_mmvsstma.Pretrainer`,
:class:`~mne_mmvsstma.EmotionClassifier`) that also accept MNE-side inputs:
:class:`mne.Epochs` (DE is computed per epoch and windows are stacked within
trials), :class:`~mne_mmvsstma.datasets.FeatureRecording` objects or a dataset
folder, or per-sample feature arrays with ``trial_ids``. They return the fitted
estimators.
"""

from __future__ import annotations

import numpy as np
from mne.utils import _on_missing

from ..features._inputs import _as_recordings, as_inputs, check_labels, recordings_to_inputs
from ..utils import check_int, check_option, fill_doc, logger, verbose


def _identity(data):
    """``(data, dataset, event_id)`` of recordings or Epochs (folders are read once)."""
    from ..features._inputs import _is_epochs

    recs = _as_recordings(data, "X")
    if recs is not None:
        datasets = sorted({str(r.dataset) for r in recs})
        if len(datasets) > 1:
            raise ValueError(f"X mixes recordings of several datasets ({datasets})")
        event_id = getattr(recs[0], "event_id", None)
        return recs, datasets[0], None if event_id is None else dict(event_id)
    if _is_epochs(data):
        return data, None, dict(data.event_id)
    return data, None, None


def _trials_of(data):
    """The trials ``data`` holds, per recording: ``[{dataset, subject, session, trials}]``.

    Known for recordings (and folders) and for Epochs whose metadata has
    ``subject``, ``session`` and ``trial`` columns (the readers' Epochs);
    ``None`` for arrays, whose trials cannot be told apart from another
    recording's. Trials are the 0-based ids of the recordings.
    """
    from ..features._inputs import _is_epochs

    recs = _as_recordings(data, "X")
    if recs is not None:
        parts = [(str(r.dataset), int(r.subject), int(r.session), r.trial_ids) for r in recs]
    elif _is_epochs(data) and data.metadata is not None and \
            {"subject", "session", "trial"} <= set(data.metadata.columns):
        meta = data.metadata
        parts = []
        for (sub, ses), rows in meta.groupby(["subject", "session"], sort=True):
            name = str(rows["dataset"].iloc[0]) if "dataset" in rows.columns else None
            parts.append((name, int(sub), int(ses), rows["trial"].to_numpy()))
    else:
        return None
    out = {}
    for dataset, subject, session, trials in parts:
        key = (dataset, subject, session)
        old = out.get(key, [])
        out[key] = sorted(set(old) | {int(t) for t in np.unique(trials)})
    return [dict(dataset=d, subject=sub, session=ses, trials=t)
            for (d, sub, ses), t in out.items()]


def _format_trials(trials):
    """Trials (0-based ids) as the files number them: ``1-16, 18``."""
    nums = sorted(int(t) + 1 for t in trials)
    runs, start = [], None
    for i, n in enumerate(nums):
        if start is None:
            start = n
        if i + 1 == len(nums) or nums[i + 1] != n + 1:
            runs.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ", ".join(runs)


def _fitted_trials(model, dataset, subject, session):
    """The trials (0-based ids) of one recording a classifier was fitted on, or None.

    Parameters
    ----------
    model : EmotionClassifier
        A classifier fitted by :func:`finetune` (its ``fit_trials_``).
    dataset : str | None
        Dataset of the recording (``None``: any).
    subject, session : int
        The recording.

    Returns
    -------
    trials : list of int | None
        ``None`` when the classifier does not know the trials it was
        fitted on (array inputs), an empty list when it was not fitted on
        this recording.
    """
    record = getattr(model, "fit_trials_", None)
    if record is None:
        return None
    out = set()
    for r in record:
        same = dataset is None or r["dataset"] is None or str(r["dataset"]) == str(dataset)
        if same and int(r["subject"]) == int(subject) and int(r["session"]) == int(session):
            out |= {int(t) for t in r["trials"]}
    return sorted(out)


def _check_not_fitted_on(models, test, on_fitted_trials):
    """Refuse to score trials a classifier was fitted on as test trials (names them)."""
    if test is None:
        return
    for k, model in enumerate(models):
        for part in test:
            fitted = _fitted_trials(model, part["dataset"], part["subject"], part["session"])
            both = sorted(set(fitted or ()) & set(part["trials"]))
            if not both:
                continue
            who = "The classifier" if len(models) == 1 else f"Member {k} of the ensemble"
            name = f"{part['dataset'] or ''} sub-{part['subject']} ses-{part['session']}"
            _on_missing(
                on_fitted_trials,
                f"{who} was fitted on trials {_format_trials(fitted)} of {name.strip()}, and X "
                f"holds windows of trials {_format_trials(both)} of them: a score on trials "
                "a classifier was fitted on is not a test score. Evaluate the other trials "
                "(e.g. split_recording with the number of training trials the classifier was "
                "fitted with), or pass on_fitted_trials='ignore' to score them anyway.",
                name="on_fitted_trials")


def _check_identity(model, dataset, event_id):
    """Refuse data of another dataset / label coding than the model's (names both)."""
    mine = getattr(model, "dataset_", None)
    my_ids = getattr(model, "event_id_", None)
    if mine is not None and dataset is not None and mine != dataset:
        raise ValueError(
            f"The classifier was fitted on {mine} data (event_id {my_ids}) but X is {dataset} "
            f"data (event_id {event_id}); a classifier only predicts the dataset and "
            "emotion coding it was fitted on")
    if my_ids is not None and event_id is not None and \
            {str(k): int(v) for k, v in my_ids.items()} != \
            {str(k): int(v) for k, v in event_id.items()}:
        raise ValueError(
            f"The classifier was fitted with event_id {my_ids} ({mine or 'unknown dataset'}) "
            f"but X has event_id {event_id} ({dataset or 'unknown dataset'}); the label "
            "codes mean other emotions")


def _check_epochs(n_epochs, *, minimum):
    n_epochs = check_int(n_epochs, "n_epochs", minimum=0)
    if n_epochs < minimum:
        raise ValueError(f"n_epochs={n_epochs} would return an untrained model; pass "
                         f"n_epochs >= {minimum}")
    return n_epochs


def _device(device):
    return "auto" if device is None else device


def _arch_kwargs(model_kwargs, *, decoder=True):
    from ._base import ARCH_PARAMS

    out = {}
    for key, value in (model_kwargs or {}).items():
        if key in ("n_outputs", "n_chans", "n_times", "n_bands", "mask_ratio"):
            raise ValueError(f"model_kwargs must not set {key!r} (it is given by the data)")
        if key == "n_decoder_layers" and not decoder:
            continue
        out[key if key in ARCH_PARAMS else f"module__{key}"] = value
    return out


#: architecture parameters a classifier built from a pretrained network takes from it
_NET_ARCH = ("emb_dim", "n_layers", "n_heads", "head_dim", "drop_prob", "pool", "kernel_sizes")


def _net_arch(net):
    """The architecture parameters of an MV-SSTMA network (``_NET_ARCH``)."""
    config = net.get_config()
    return {k: tuple(config[k]) if isinstance(config[k], list) else config[k]
            for k in _NET_ARCH}


def _pretrained_arch(pretrained, model_kwargs, *, modality, fusion):
    """``model_kwargs`` of a classifier started from ``pretrained``, checked against it.

    A single-modality classifier is the pretrained network with a new head, so its
    parameters are the network's (``model_kwargs=None`` takes them); a size in
    ``model_kwargs`` that differs from the network's is an error (the network would
    not be the size the parameters say). For fusion, ``model_kwargs`` sizes the
    encoders that are not pretrained.
    """
    from ..models import MVSSTMA
    from .pretrainer import Pretrainer

    def net_of(obj):
        if isinstance(obj, Pretrainer) and hasattr(obj, "module_"):
            return obj.module_
        return obj if isinstance(obj, MVSSTMA) else None

    if isinstance(pretrained, dict):
        pretrained = pretrained.get(modality)
    if fusion is not None or pretrained is None:
        return model_kwargs
    net = net_of(pretrained)
    if net is None:
        return model_kwargs
    arch = _net_arch(net)
    given = dict(model_kwargs or {})
    diff = {k: (v, arch[k]) for k, v in given.items() if k in arch and
            (tuple(v) if isinstance(v, list) else v) != arch[k]}
    if diff:
        what = ", ".join(f"{k}={a!r} (the network: {b!r})" for k, (a, b) in diff.items())
        raise ValueError(f"model_kwargs set {what}, but the classifier is the pretrained "
                         "network with a new head and keeps its architecture; leave these "
                         "out (or pass model_kwargs=None) to use the pretrained network's")
    return {**given, **arch}


def _pretrained_ch_names(pretrained):
    """The EEG channels (in order) the pretrained EEG extractor was fitted on, or None."""
    if isinstance(pretrained, dict):
        pretrained = pretrained.get("eeg")
    names = getattr(pretrained, "ch_names_", None)
    if names is None or getattr(pretrained, "modality", "eeg") != "eeg":
        return None
    return list(names)


def _skorch_verbose():
    import logging

    from . import distributed

    return int(logger.getEffectiveLevel() <= logging.INFO and distributed.is_main_process())


def _per_recording_scaling(modality):
    from ..features.normalize import make_scaler

    def transform(_, eeg, eye):
        if eeg is not None:
            eeg = make_scaler("eeg").fit(eeg).transform(eeg)
        if eye is not None:
            eye = make_scaler("eye").fit(eye).transform(eye)
        return eeg, eye

    return transform


@verbose
@fill_doc
def pretrain(data, *, modality="eeg", mask_ratio=0.7, n_epochs=3, batch_size=64, lr=1e-3,
             weight_decay=0.01, model_kwargs=None, n_windows=10, trial_ids=None, scale=True,
             fill_eye=None, device=None, random_state=0, checkpoint_dir=None, resume=False,
             verbose=None, **kwargs):
    """Pretrain an MV-SSTMA feature extractor by masked reconstruction (no labels).

    Parameters
    ----------
    data : ndarray | mne.Epochs | FeatureRecording | list of FeatureRecording | path-like
        Unlabeled training data of one modality: windows ``(N, C, T, F)`` /
        ``(N, n_eye, T, 1)``, per-sample features with ``trial_ids``, EEG
        :class:`mne.Epochs`, recordings or a dataset folder. Only pass
        training data.
    modality : ``"eeg"`` | ``"eye"``
        Which extractor to train.
    mask_ratio : float
        Fraction of channels masked and reconstructed (the default recipe's
        0.7; the paper's 0.3).
    n_epochs : int
        Training epochs (the default recipe's 3 over the training trials of a
        session's recordings; the paper's 100).
    batch_size : int
        Mini-batch size (global, over all processes).
    lr : float
        AdamW learning rate (the default recipe's 1e-3; 1.5e-4 in the paper).
    weight_decay : float
        AdamW weight decay.
    %(model_kwargs)s
    n_windows : int
        Window length ``T`` when windows are stacked here.
    %(trial_ids_opt)s
    scale : bool
        Scale the features: a list of recordings (or a folder) per recording
        (per subject-session normalisation), other inputs with one scaler
        fitted on ``data`` and kept in ``scalers_``.
    %(fill_eye)s
    %(device)s
    %(random_state)s
    %(checkpoint_resume)s
    %(verbose)s
    %(estimator_kwargs)s

    Returns
    -------
    pretrainer : Pretrainer
        The fitted estimator; pass it to :func:`finetune` or to
        :class:`~mne_mmvsstma.EmotionClassifier` (``pretrained=``).
    """
    from .pretrainer import Pretrainer

    check_option("modality", modality, ("eeg", "eye"))
    _check_epochs(n_epochs, minimum=1)
    check_int(batch_size, "batch_size")
    recs = _as_recordings(data, "data")
    if recs is not None:
        inp = recordings_to_inputs(recs, need=(modality,), n_windows=n_windows,
                                   fill_eye=fill_eye, name="data",
                                   transform=_per_recording_scaling(modality) if scale else None)
        scale = False
    else:
        inp = as_inputs(data, need=(modality,), trial_ids=trial_ids, n_windows=n_windows,
                        fill_eye=fill_eye, name="data")
    est = Pretrainer(
        modality=modality, mask_ratio=mask_ratio, max_epochs=n_epochs, batch_size=batch_size,
        lr=lr, optimizer__weight_decay=weight_decay, scale=scale, device=_device(device),
        random_state=random_state, checkpoint_dir=checkpoint_dir, resume=resume,
        verbose=_skorch_verbose(), **_arch_kwargs(model_kwargs), **kwargs)
    est.fit(getattr(inp, modality), groups=inp.trial_ids)
    est.ch_names_ = inp.ch_names if modality == "eeg" else None  # None: arrays (unknown)
    if recs is not None:
        est.dataset_ = str(recs[0].dataset)
        ev = getattr(recs[0], "event_id", None)
        est.event_id_ = None if ev is None else dict(ev)
    return est


def _select_labeled(n, trial_ids, n_labels, per):
    """Indices of the labeled calibration samples (the first ones, in time order)."""
    if n_labels is None:
        return np.arange(n)
    n_labels = check_int(n_labels, "n_labels")
    if per == "trial":
        if trial_ids is None:
            raise ValueError(
                "n_labels_per='trial' needs trial ids (recordings, a dataset folder, Epochs "
                "with a 'trial' metadata column, or trial_ids=); use n_labels_per='total' "
                "for the first n_labels samples overall"
            )
        idx = [np.flatnonzero(trial_ids == t)[:n_labels] for t in np.unique(trial_ids)]
        return np.sort(np.concatenate(idx))
    return np.arange(min(int(n_labels), n))


def _finetune_start(model, modality, fusion):
    """(modality, pretrained) of the estimator from the ``model`` argument."""
    from .classifier import EmotionClassifier
    from .pretrainer import Pretrainer

    if isinstance(model, EmotionClassifier):
        model = model.module_
    if fusion is not None:
        if modality not in (None, "fusion"):
            raise ValueError(f"modality={modality!r} cannot be combined with fusion={fusion!r}")
        if isinstance(model, Pretrainer):
            model = {model.modality: model}
        return "eeg", model
    if modality is None:
        src = model.get("eeg", model.get("eye")) if isinstance(model, dict) else model
        if isinstance(model, dict) and set(model) == {"eye"}:
            modality = "eye"
        else:
            modality = getattr(src, "modality", None) if isinstance(src, Pretrainer) else None
            modality = modality or getattr(src, "modality_", None) or "eeg"
    return modality, model


@verbose
@fill_doc
def finetune(X, y=None, *, X_eye=None, model=None, modality=None, fusion=None, dcca_weight=0.1,
             fusion_dim=None, lr=1e-3, weight_decay=0.01, n_epochs=0, batch_size=32,
             n_labels=None, n_labels_per="trial", patience=20, mask_ratio=0.0,
             model_kwargs=None, n_windows=None, trial_ids=None, scale=True, fill_eye=None,
             device=None, random_state=0, checkpoint_dir=None, resume=False, verbose=None,
             **kwargs):
    """Fine-tune an emotion classifier (one subject) on labeled windows.

    Early stopping and the choice of the best epoch use whole held-out training
    trials (:class:`~mne_mmvsstma.training.TrialSplit`, one trial per class)
    whenever the trials are known (recordings, Epochs with a ``trial``
    metadata column, ``trial_ids``); otherwise the model trains ``n_epochs``
    without validation.

    Parameters
    ----------
    X : ndarray | mne.Epochs | FeatureRecording | list of FeatureRecording | path-like
        Training data: windows ``(N, C, T, F)`` (eye windows when
        ``modality="eye"``), per-sample features with ``trial_ids``, EEG
        Epochs, recordings or a dataset folder (these also give labels and
        eye features).
    y : array-like of int | None
        Labels (``None``: from recordings / Epochs).
    X_eye : ndarray | None
        Eye windows aligned with ``X`` (fusion with array inputs).
    model : Pretrainer | dict | MVSSTMA | MMVSSTMAClassifier | None
        Starting point (see :class:`~mne_mmvsstma.EmotionClassifier`'s
        ``pretrained``); ``None``: random initialisation.
    modality : ``"eeg"`` | ``"eye"`` | None
        Single-modality input (``None``: the pretrained model's, else EEG).
    fusion : None | ``"concat"`` | ``"attention"``
        EEG + eye fusion.
    dcca_weight : float
        Weight of the DCCA loss (fusion).
    fusion_dim : int | None
        Width of the fusion projections.
    lr, weight_decay : float
        AdamW settings.
    n_epochs : int
        Maximum epochs of fine-tuning after the linear probe (the default
        recipe's 0 keeps the probe; the paper fine-tunes 100 epochs end to end,
        with ``probe_C=None``).
    batch_size : int
        Mini-batch size.
    n_labels : int | None
        Partial calibration set (Table 3): the first ``n_labels`` windows of
        every trial (``n_labels_per="trial"``) or overall (``"total"``).
    n_labels_per : ``"trial"`` | ``"total"``
        How ``n_labels`` counts.
    patience : int | None
        Early-stopping patience.
    mask_ratio : float
        Channels masked at random in training (Table 4).
    %(model_kwargs)s
    n_windows : int | None
        Window length when windows are stacked here (``None``: the
        pretrained model's, else 10).
    %(trial_ids_opt)s
    scale : bool
        Fit and apply the per-modality scalers.
    %(fill_eye)s
    %(device)s
    %(random_state)s
    %(checkpoint_resume)s
    %(verbose)s
    %(estimator_kwargs)s

    Returns
    -------
    classifier : EmotionClassifier
        The fitted estimator. ``fit_trials_`` records the trials of every
        recording it was fitted on (recordings, folders and the readers'
        Epochs; ``None`` for arrays), which :func:`evaluate` never scores
        as test trials; ``ch_names_`` the EEG channels in the order the
        network takes them (Epochs of the same channels in another order
        are reordered by name, other channels are refused).
    """
    from ._data import TrialSplit
    from .classifier import EmotionClassifier

    check_int(batch_size, "batch_size")
    if fusion is not None:
        check_option("fusion", fusion, ("concat", "attention"))
    check_option("n_labels_per", n_labels_per, ("trial", "total"))
    modality, pretrained = _finetune_start(model, modality, fusion)
    need = ("eeg", "eye") if fusion is not None else (modality,)
    if n_windows is None:
        srcs = list(pretrained.values()) if isinstance(pretrained, dict) else [pretrained]
        sizes = [getattr(getattr(m, "module_", m), "n_times", None) for m in srcs
                 if m is not None]
        n_windows = int(sizes[0]) if sizes and sizes[0] else 10
    if need == ("eye",) and X is None and X_eye is not None:
        X, X_eye = X_eye, None
    if fusion is None and X_eye is not None:
        raise ValueError("X_eye was given but fusion=None (single-modality model)")
    X, dataset, event_id = _identity(X)
    fit_trials = _trials_of(X)
    inp = as_inputs(X, need=need, labels=y, X_eye=X_eye, trial_ids=trial_ids,
                    n_windows=n_windows, fill_eye=fill_eye, name="X",
                    ch_names=_pretrained_ch_names(pretrained) if "eeg" in need else None)
    if inp.labels is None:
        raise ValueError("y is required (labels of the training windows)")
    labels = check_labels(inp.labels, "y")
    if len(np.unique(labels)) < 2:
        raise ValueError(f"y contains a single class ({np.unique(labels).tolist()}); "
                         "fine-tuning a classifier needs at least two classes")
    labeled = _select_labeled(len(inp), inp.trial_ids, n_labels, n_labels_per)
    inp = inp.subset(labeled)
    labels = labels[labeled]
    if len(np.unique(labels)) < 2:
        raise ValueError(
            f"The {len(labeled)} labeled windows selected by n_labels={n_labels} "
            f"(n_labels_per={n_labels_per!r}) hold a single class ({np.unique(labels).tolist()})")
    if inp.trial_ids is None:
        logger.info("finetune: no trial ids, so no held-out trials for validation; training "
                    f"{n_epochs} epochs and keeping the last epoch's model")
    Xfit = {m: getattr(inp, m) for m in need} if fusion is not None else getattr(inp, modality)
    model_kwargs = _pretrained_arch(pretrained, model_kwargs, modality=modality, fusion=fusion)
    est = EmotionClassifier(
        modality=modality, fusion=fusion, pretrained=pretrained, dcca_weight=dcca_weight,
        fusion_dim=fusion_dim, mask_ratio=mask_ratio, lr=lr, optimizer__weight_decay=weight_decay,
        max_epochs=n_epochs, batch_size=batch_size, patience=patience,
        train_split=TrialSplit(random_state=random_state) if inp.trial_ids is not None else None,
        scale=scale, device=_device(device), random_state=random_state,
        checkpoint_dir=checkpoint_dir, resume=resume, verbose=_skorch_verbose(),
        **_arch_kwargs(model_kwargs, decoder=False), **kwargs)
    est.fit(Xfit, labels, groups=inp.trial_ids)
    est.n_labels_ = n_labels
    est.dataset_, est.event_id_ = dataset, event_id
    # every trial of X counts, also those held out for early stopping and the windows
    # n_labels leaves out: the model was selected on them
    est.fit_trials_ = fit_trials
    est.ch_names_ = inp.ch_names if "eeg" in need else None
    return est


def _check_fitted(model):
    from .classifier import EmotionClassifier

    if not isinstance(model, EmotionClassifier) or not hasattr(model, "module_"):
        raise TypeError(f"model must be a fitted EmotionClassifier (see finetune), got "
                        f"{type(model).__name__}")


def _test_inputs(models, X, X_eye, trial_ids, fill_eye, n_windows, on_fitted_trials="ignore"):
    """Test windows for fitted classifiers that take the same inputs (read once)."""
    model = models[0]
    need = model.modalities_
    shapes = model.input_shapes_
    n_windows = n_windows or shapes[need[0]][2]
    if n_windows != shapes[need[0]][2]:
        raise ValueError(f"n_windows={n_windows} but the classifier was fitted on windows of "
                         f"T={shapes[need[0]][2]} samples")
    if need == ("eye",) and X is None and X_eye is not None:
        X, X_eye = X_eye, None
    X, dataset, event_id = _identity(X)
    for m in models:
        _check_identity(m, dataset, event_id)
    _check_not_fitted_on(models, _trials_of(X), on_fitted_trials)
    names = [list(n) for m in models if (n := getattr(m, "ch_names_", None)) is not None]
    if any(n != names[0] for n in names):
        raise ValueError("The classifiers of an ensemble must take the same EEG channels in "
                         f"the same order (ch_names_: {names})")
    inp = as_inputs(X, need=need, X_eye=X_eye, trial_ids=trial_ids, n_windows=n_windows,
                    fill_eye=fill_eye, name="X",
                    ch_names=names[0] if names and "eeg" in need else None)
    Xt = {m: getattr(inp, m) for m in need} if model.fusion is not None \
        else getattr(inp, need[0])
    return Xt, inp.labels


@verbose
@fill_doc
def predict_proba(model, X, *, X_eye=None, mask_ratio=None, n_windows=None, trial_ids=None,
                  fill_eye=None, batch_size=None, verbose=None):
    """Class probabilities of a fine-tuned classifier for MNE-side inputs.

    Parameters
    ----------
    model : EmotionClassifier | list of EmotionClassifier
        A fitted classifier (:func:`finetune`), or an ensemble of them
        fitted on the same classes (e.g. on extractors pretrained with
        different seeds): their probabilities are averaged.
    X : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Test data (see :func:`finetune`).
    X_eye : ndarray | None
        Eye windows for fusion models with array inputs.
    mask_ratio : float | None
        Fraction of channels masked at random (Table 4); ``None``: the
        classifier's ``mask_ratio``.
    n_windows : int | None
        Window length when windows are stacked here (``None``: the model's).
    %(trial_ids_opt)s
    %(fill_eye)s
    batch_size : int | None
        Windows per prediction batch (``None``: the classifier's
        ``iterator_valid__batch_size``: by default 64 on CPU, 256 on other
        devices).
    %(verbose)s

    Returns
    -------
    proba : ndarray, shape (N, n_classes)
        Probabilities in the order of ``model.classes_``.
    labels : ndarray | None
        Labels found in the input (recordings / Epochs), else None.

    Notes
    -----
    Data of another dataset or emotion coding (``event_id``) than the
    classifier was fitted on, or windows of another length or feature shape,
    are refused.
    """

    return _predict_proba(model, X, X_eye=X_eye, mask_ratio=mask_ratio, n_windows=n_windows,
                          trial_ids=trial_ids, fill_eye=fill_eye, batch_size=batch_size)


def _predict_proba(model, X, *, X_eye, mask_ratio, n_windows, trial_ids, fill_eye, batch_size,
                   on_fitted_trials="ignore"):
    check_int(batch_size, "batch_size", none=True)
    members = _check_ensemble(model)
    Xt, labels = _test_inputs(members, X, X_eye, trial_ids, fill_eye, n_windows,
                              on_fitted_trials)
    probas = [_proba(m, Xt, mask_ratio, batch_size) for m in members]
    return np.mean(probas, axis=0), labels  # one member: its probabilities exactly


def _proba(model, Xt, mask_ratio, batch_size):
    """``model.predict_proba(Xt)`` with a temporary mask ratio and batch size."""
    key = "iterator_valid__batch_size"
    old = model.mask_ratio, model.__dict__.get(key)
    if mask_ratio is not None:
        model.mask_ratio = mask_ratio
    if batch_size is not None:
        setattr(model, key, batch_size)
    try:
        return model.predict_proba(Xt)
    finally:
        model.mask_ratio = old[0]
        if batch_size is not None:
            if old[1] is None:
                delattr(model, key)
            else:
                setattr(model, key, old[1])


def _window_shapes(model):
    """``{modality: window shape}`` a fitted classifier takes."""
    return {m: tuple(model.input_shapes_[m][1:]) for m in model.modalities_}


def _check_ensemble(model):
    """A fitted classifier, or the members of an ensemble, as a list (checked).

    The members of an ensemble must share their classes and take the same
    inputs (modalities and window shapes).
    """
    if not isinstance(model, (list, tuple)):
        _check_fitted(model)
        return [model]
    if len(model) == 0:
        raise ValueError("model is an empty list; an ensemble needs at least one classifier")
    for m in model:
        _check_fitted(m)
    first = model[0]
    for i, m in enumerate(model[1:], 1):
        if not np.array_equal(np.asarray(m.classes_), np.asarray(first.classes_)):
            raise ValueError(f"The classifiers of an ensemble must share their classes: member "
                             f"0 has {np.asarray(first.classes_).tolist()}, member {i} "
                             f"{np.asarray(m.classes_).tolist()}")
        if _window_shapes(m) != _window_shapes(first):
            raise ValueError(f"The classifiers of an ensemble must take the same inputs: member "
                             f"0 takes windows {_window_shapes(first)}, member {i} "
                             f"{_window_shapes(m)}")
    return list(model)


def _scores(proba, y, classes):
    """What :func:`evaluate` reports of class probabilities ``proba`` for labels ``y``."""
    from sklearn.metrics import confusion_matrix

    classes = np.asarray(classes)
    y = check_labels(y, "y", n=len(proba), classes=classes)
    y_pred = classes[proba.argmax(axis=1)]
    return {
        "accuracy": float(np.mean(y_pred == y)),
        "y_true": y,
        "y_pred": y_pred,
        "proba": proba,
        "classes": classes,
        "confusion_matrix": confusion_matrix(y, y_pred, labels=classes),
        "n_samples": int(len(y)),
    }


@verbose
@fill_doc
def evaluate(model, X, y=None, *, X_eye=None, mask_ratio=None, n_windows=None, trial_ids=None,
             fill_eye=None, batch_size=None, on_fitted_trials="raise", verbose=None):
    """Evaluate a fine-tuned classifier on test data.

    Parameters
    ----------
    model : EmotionClassifier | list of EmotionClassifier
        A fitted classifier (:func:`finetune`) or an ensemble of them (see
        :func:`predict_proba`).
    X : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Test data (see :func:`finetune`).
    y : array-like of int | None
        True labels (``None``: from recordings / Epochs).
    X_eye : ndarray | None
        Eye windows for fusion models with array inputs.
    mask_ratio : float | None
        Fraction of channels masked at random at test time (``None``: the
        classifier's).
    n_windows : int | None
        Window length when windows are stacked here.
    %(trial_ids_opt)s
    %(fill_eye)s
    batch_size : int | None
        Windows per prediction batch (see :func:`predict_proba`).
    on_fitted_trials : ``"raise"`` | ``"warn"`` | ``"ignore"``
        What to do when ``X`` holds windows of trials the classifier was
        fitted on (``fit_trials_``: known when it was fitted on recordings,
        a dataset folder or the readers' Epochs): by default an error naming
        the trials, since a score on them is not a test score.
    %(verbose)s

    Returns
    -------
    results : dict
        ``accuracy`` (0..1), ``y_true``, ``y_pred`` (original label values),
        ``proba``, ``classes``, ``confusion_matrix`` (rows true, columns
        predicted), ``n_samples`` and, for attention fusion, ``attention``
        (mean EEG / eye fusion weights).
    """
    proba, found = _predict_proba(model, X, X_eye=X_eye, mask_ratio=mask_ratio,
                                  n_windows=n_windows, trial_ids=trial_ids, fill_eye=fill_eye,
                                  batch_size=batch_size, on_fitted_trials=on_fitted_trials)
    members = list(model) if isinstance(model, (list, tuple)) else [model]  # checked above
    y = found if y is None else y
    if y is None:
        raise ValueError("y is required to evaluate array inputs")
    out = _scores(proba, y, members[0].classes_)
    attention = [m.last_attention_.mean(axis=0) for m in members
                 if getattr(m, "last_attention_", None) is not None]
    if attention:
        out["attention"] = np.mean(attention, axis=0)
    logger.info(f"Accuracy: {100 * out['accuracy']:.2f}% on {len(y)} windows")
    return out


@verbose
def reconstruction_loss(model, data, *, n_windows=None, trial_ids=None, fill_eye=None,
                        verbose=None):
    """Masked-reconstruction error of a fitted :class:`~mne_mmvsstma.Pretrainer` on ``data``.

    Parameters
    ----------
    model : Pretrainer
        A fitted pretrainer.
    data : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Data of the model's modality, scaled like in :func:`pretrain`.
    n_windows : int | None
        Window length when windows are stacked here (``None``: the model's).
    trial_ids : array-like | None
        Trial of every sample of per-sample feature arrays.
    fill_eye : str | None
        Eye NaN filling method.
    verbose : bool | str | int | None
        Verbosity (MNE convention).

    Returns
    -------
    loss : float
        Mean squared error over the masked channels (fixed masks).
    """
    modality = model.modality
    n_windows = n_windows or model.input_shape_[2]
    recs = _as_recordings(data, "data")
    if recs is not None:
        per_rec = model.scalers_.get(modality) is None
        inp = recordings_to_inputs(recs, need=(modality,), n_windows=n_windows,
                                   fill_eye=fill_eye, name="data",
                                   transform=_per_recording_scaling(modality) if per_rec
                                   else None)
    else:
        inp = as_inputs(data, need=(modality,), trial_ids=trial_ids, n_windows=n_windows,
                        fill_eye=fill_eye, name="data")
    return -model.score(getattr(inp, modality))
