"""Functional API: :func:`pretrain`, :func:`finetune` (and :func:`evaluate`, from
:mod:`~mne_mmvsstma.training.evaluation`).

Thin wrappers over the estimators (:class:`~mne_mmvsstma.Pretrainer`,
:class:`~mne_mmvsstma.EmotionClassifier`) that also accept MNE-side inputs:
:class:`mne.Epochs` (DE is computed per epoch and windows are stacked within
trials), :class:`~mne_mmvsstma.datasets.FeatureRecording` objects or a dataset
folder, or per-sample feature arrays with ``trial_ids``. They return the fitted
estimators.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..features._inputs import (
    _as_recordings,
    as_inputs,
    check_labels,
    recording_stimuli,
    recordings_to_inputs,
)
from ..utils import check_int, check_option, fill_doc, logger, verbose
from ._data import _per_recording_scaling
from ._provenance import (  # noqa: F401 (the names' old home)
    _check_identity,
    _check_not_fitted_on,
    _fitted_trials,
    _format_trials,
    _identity,
    _trials_of,
)
from .evaluation import (  # noqa: F401 (evaluation's functions, from their old home too)
    _check_ensemble,
    _check_fitted,
    _predict_proba,
    _proba,
    _scores,
    _test_inputs,
    _window_shapes,
    evaluate,
    predict_proba,
    reconstruction_loss,
)


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


@verbose
@fill_doc
def pretrain(data, *, modality="eeg", mask_ratio=0.7, n_epochs=3, batch_size=64, lr=1e-3,
             weight_decay=0.01, model_kwargs=None, n_windows=10, trial_ids=None, scale=True,
             fill_eye=None, device=None, random_state=0, checkpoint_dir=None, resume=False,
             stimuli=None, whitening_data=None, verbose=None, **kwargs):
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
    stimuli : array-like | None
        Stimulus of every window or sample of array / Epochs ``data`` (for
        the Pretrainer's ``whitening_covariance``). Recordings and folders
        give their own: the same trial number of the same session is the same
        stimulus (checked against the labels; a contradiction falls back to
        the whitening from all windows, with a warning, unless
        ``whitening_covariance="stimulus"`` was asked for).
    whitening_data : list of FeatureRecording | path-like | None
        Recordings whose features the whitening is learned from after
        pretraining (e.g. the classifiers' ``de_LDS`` features of the same
        training trials when ``data`` holds ``de_movingAve``); ``None``:
        ``data``.
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
    per_recording = _per_recording_scaling(modality) if scale else None
    recs = _as_recordings(data, "data")
    if recs is not None and stimuli is not None:
        raise ValueError("stimuli= is for arrays and Epochs; recordings give their own (the "
                         "same trial number of a session is the same stimulus)")
    white_recs = None
    if whitening_data is not None:
        white_recs = _as_recordings(whitening_data, "whitening_data")
        if white_recs is None or recs is None:
            raise TypeError("whitening_data must be recordings or a dataset folder, with "
                            "recordings (or a folder) as data")
    est = Pretrainer(
        modality=modality, mask_ratio=mask_ratio, max_epochs=n_epochs, batch_size=batch_size,
        lr=lr, optimizer__weight_decay=weight_decay, scale=scale and recs is None,
        device=_device(device), random_state=random_state, checkpoint_dir=checkpoint_dir,
        resume=resume, verbose=_skorch_verbose(), **_arch_kwargs(model_kwargs), **kwargs)
    if recs is not None:  # scaled here, per recording
        inp = recordings_to_inputs(recs, need=(modality,), n_windows=n_windows,
                                   fill_eye=fill_eye, name="data", transform=per_recording)
        stimuli = _stimuli_of(recs, inp, est)
    else:
        inp = as_inputs(data, need=(modality,), trial_ids=trial_ids, n_windows=n_windows,
                        fill_eye=fill_eye, name="data")
        if stimuli is not None:
            stimuli = _window_stimuli(stimuli, inp)
    est.fit(getattr(inp, modality), groups=inp.trial_ids, stimuli=stimuli)
    if white_recs is not None:
        w_inp = recordings_to_inputs(white_recs, need=(modality,), n_windows=n_windows,
                                     fill_eye=fill_eye, name="whitening_data",
                                     transform=per_recording)  # scaled as data are
        est.fit_whitening(getattr(w_inp, modality), groups=w_inp.trial_ids,
                          stimuli=_stimuli_of(white_recs, w_inp, est, training=False))
    est.ch_names_ = inp.ch_names if modality == "eeg" else None  # None: arrays (unknown)
    if recs is not None:
        est.dataset_ = str(recs[0].dataset)
        ev = getattr(recs[0], "event_id", None)
        est.event_id_ = None if ev is None else dict(ev)
    return est


def _stimuli_of(recs, inp, est, *, training=True):
    """The stimulus of every window of recordings for the Pretrainer ``est`` (None where its
    whitening and, when ``training``, its reconstruction target need none)."""
    target = est.target if training else "self"
    covariance = est.whitening_covariance
    if covariance == "total" and target != "stimulus":
        return None
    stimuli, problem = recording_stimuli(recs, inp)
    if problem is not None:
        if target == "stimulus":
            raise ValueError(f"target='stimulus': {problem}")
        if covariance == "stimulus":
            raise ValueError(f"whitening_covariance='stimulus': {problem}")
        warnings.warn(f"{problem}; the whitening uses the covariance of all windows",
                      UserWarning, stacklevel=3)
    return stimuli


def _window_stimuli(stimuli, inp):
    """``stimuli`` of array / Epochs data, one per window (= per sample: windows are padded)."""
    stimuli = np.asarray(stimuli)
    if stimuli.ndim != 1 or len(stimuli) != len(inp):
        raise ValueError(f"stimuli must have one entry per sample ({len(inp)}), got shape "
                         f"{stimuli.shape}")
    return stimuli


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
    without validation. Fine-tuning that starts from the linear probe keeps
    the probe when no epoch beats it on the held-out trials
    (:class:`~mne_mmvsstma.training.EmotionClassifier`'s ``probe_C``).

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


