"""SVM baselines on per-window features (scikit-learn).

For every window the DE features are flattened (EEG: ``62 x 5 = 310``
values; eye: the ``n_eye`` values; concat: both), standardised with
statistics of the training part only (:class:`sklearn.preprocessing.StandardScaler`
inside the pipeline) and classified with :class:`sklearn.svm.SVC`. No
temporal windows, no pretraining: the classic SEED baseline.
"""

from __future__ import annotations

import numpy as np

from ..features._inputs import check_recording_finite
from ..utils import check_option

BASELINE_MODALITIES = ("eeg", "eye", "concat")


def svm_features(rec, modality):
    """Flattened per-window features of a recording.

    Parameters
    ----------
    rec : FeatureRecording
        Recording with ``eeg`` and/or ``eye`` features.
    modality : ``"eeg"`` | ``"eye"`` | ``"concat"``
        Which features.

    Returns
    -------
    X : ndarray, shape (n_windows, n_features)
    """
    check_option("modality", modality, BASELINE_MODALITIES)
    parts = []
    if modality in ("eeg", "concat"):
        if rec.eeg is None:
            raise ValueError(f"{rec!r}: EEG features are missing (SVM {modality})")
        parts.append(np.asarray(rec.eeg, dtype=np.float64).reshape(len(rec.eeg), -1))
    if modality in ("eye", "concat"):
        if rec.eye is None:
            raise ValueError(f"{rec!r}: eye features are missing (SVM {modality})")
        parts.append(np.asarray(rec.eye, dtype=np.float64))
    for m in ("eeg", "eye"):
        if m == modality or modality == "concat":  # names the file, trials and modality
            check_recording_finite(rec, m)
    return np.concatenate(parts, axis=1)


def make_svm(*, kernel="linear", C=1.0, random_state=0):
    """Standardisation + SVC pipeline."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return make_pipeline(StandardScaler(), SVC(kernel=kernel, C=C, random_state=random_state))


def svm_baseline(train, test, *, modality="eeg", kernel="linear", C=1.0, random_state=0):
    """Fit an SVM on the training recording and evaluate it on the test recording.

    Parameters
    ----------
    train, test : FeatureRecording
        Training and test parts (e.g. from
        :func:`~mne_mmvsstma.protocol.split_recording`).
    modality : ``"eeg"`` | ``"eye"`` | ``"concat"``
        Features used.
    kernel : str
        SVC kernel (``"linear"`` by default).
    C : float
        SVC regularisation.
    random_state : int
        Seed of the SVC.

    Returns
    -------
    results : dict
        ``accuracy``, ``y_true``, ``y_pred``, ``classes``, ``confusion_matrix``.
    """
    from sklearn.metrics import confusion_matrix

    X_train, X_test = svm_features(train, modality), svm_features(test, modality)
    y_train, y_test = np.asarray(train.labels), np.asarray(test.labels)
    classes = np.unique(y_train)
    if len(classes) < 2:
        raise ValueError(f"SVM baseline: the training part holds a single class {classes}")
    clf = make_svm(kernel=kernel, C=C, random_state=random_state).fit(X_train, y_train)
    y_pred = clf.predict(X_test)
    labels = np.union1d(classes, np.unique(y_test))
    return {
        "accuracy": float(np.mean(y_pred == y_test)),
        "y_true": y_test,
        "y_pred": y_pred,
        "classes": labels,
        "confusion_matrix": confusion_matrix(y_test, y_pred, labels=labels),
    }
