"""Predictions and scores of fitted models for MNE-side inputs.

:func:`predict_proba` and :func:`evaluate` (one classifier or a seed ensemble of
them, test trials checked against the trials each was fitted on) and
:func:`reconstruction_loss` (a fitted pretrainer's masked-reconstruction error).
"""

from __future__ import annotations

import numpy as np

from ..features._inputs import _as_recordings, as_inputs, check_labels, recordings_to_inputs
from ..utils import check_int, fill_doc, logger, verbose
from ._data import _per_recording_scaling
from ._provenance import (
    _check_identity,
    _check_not_fitted_on,
    _identity,
    _trials_of,
)


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
        A fitted classifier (:func:`~mne_mmvsstma.finetune`), or an ensemble of them
        fitted on the same classes (e.g. on extractors pretrained with
        different seeds): their probabilities are averaged.
    X : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Test data (see :func:`~mne_mmvsstma.finetune`).
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
        A fitted classifier (:func:`~mne_mmvsstma.finetune`) or an ensemble of them (see
        :func:`predict_proba`).
    X : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Test data (see :func:`~mne_mmvsstma.finetune`).
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
        Data of the model's modality, scaled like in :func:`~mne_mmvsstma.pretrain`.
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

