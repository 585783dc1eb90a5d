"""Stacking of ``T`` consecutive feature samples into model inputs, within trials.

The model input of MV-SSTMA is a window of ``T`` consecutive DE samples,
``(C, T, F)``. Windows never cross trial boundaries. Two rules exist for the
first ``T - 1`` samples of a trial (``start``):

``"pad"`` (default)
    One window per sample: the window of sample ``i`` holds samples
    ``i - T + 1 .. i`` of the same trial (causal, the current sample last);
    positions before the trial's first sample repeat that first sample. Every
    sample of the data set gets a prediction, so accuracies are per 4-s
    window, like in the paper's tables.
``"drop"``
    Only full windows: the first ``T - 1`` samples of each trial get no window
    of their own (trials shorter than ``T`` give no window at all).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils import check_finite, check_int, check_option, fill_doc, logger


class Windows(NamedTuple):
    """Windows of ``T`` consecutive samples built by :func:`make_windows`.

    Attributes
    ----------
    eeg : ndarray of float32, shape (n_windows, n_channels, T, n_bands)
        Windows of the main features.
    eye : ndarray of float32, shape (n_windows, n_eye, T, 1) | None
        Matching eye-movement windows (``None`` when no eye features were given).
    labels : ndarray, shape (n_windows,) | None
        Label of the last (current) sample of each window.
    trial_ids : ndarray, shape (n_windows,)
        Trial of each window.
    index : ndarray of int, shape (n_windows,)
        Index (into the input samples) of the last (current) sample of each window.
    """

    eeg: np.ndarray
    eye: np.ndarray | None
    labels: np.ndarray | None
    trial_ids: np.ndarray
    index: np.ndarray


def _trial_segments(trial_ids, n_samples, *, name="trial_ids"):
    """Return the ``(start, stop)`` sample ranges of the contiguous trials.

    Raises a ``ValueError`` when ``trial_ids`` has the wrong length, is not
    1-D, or when a trial id reappears after another trial (trials must be
    contiguous).
    """
    trial_ids = np.asarray(trial_ids)
    if trial_ids.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {trial_ids.shape}")
    if len(trial_ids) != n_samples:
        raise ValueError(
            f"{name} has {len(trial_ids)} entries but the features have {n_samples} "
            "samples (axis 0)"
        )
    if n_samples == 0:
        return np.zeros(0, int), np.zeros(0, int)
    if trial_ids.dtype.kind == "f" and not np.isfinite(trial_ids).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    change = np.flatnonzero(trial_ids[1:] != trial_ids[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [n_samples]])
    seg_ids = trial_ids[starts]
    uniq, counts = np.unique(seg_ids, return_counts=True)
    if (counts > 1).any():
        bad = uniq[counts > 1][0]
        bad_str = repr(bad.item() if hasattr(bad, "item") else bad)
        where = starts[seg_ids == bad]
        raise ValueError(
            f"{name} are not contiguous: trial {bad_str} reappears at sample {where[1]} "
            f"after other trials (first block starts at sample {where[0]}); the samples "
            "of each trial must be contiguous and in time order"
        )
    return starts, stops


def _window_index(starts, stops, n_windows, start):
    """Source indices (n_out, T) and current-sample indices (n_out,)."""
    lengths = stops - starts
    if start == "pad":
        current = np.arange(int(stops[-1]) if len(stops) else 0)
        trial_start = np.repeat(starts, lengths)
    else:
        keep = lengths >= n_windows
        current = np.concatenate(
            [np.arange(s + n_windows - 1, e) for s, e in zip(starts[keep], stops[keep])]
            or [np.zeros(0, int)]
        ).astype(int)
        trial_start = np.repeat(starts[keep], np.maximum(lengths[keep] - n_windows + 1, 0))
    offsets = np.arange(-n_windows + 1, 1)
    src = current[:, None] + offsets[None, :]
    np.maximum(src, trial_start[:, None], out=src)  # pad: repeat the trial's first sample
    return src, current


@fill_doc
def make_windows(features, trial_ids, n_windows=10, *, labels=None, eye=None, start="pad"):
    """Stack ``T`` consecutive feature samples into windows that never cross trials.

    Parameters
    ----------
    features : array-like, shape (n_samples, n_channels, n_bands)
        Features in time order (e.g. DE, ``(n, 62, 5)``).
    %(trial_ids)s
    %(n_windows)s
    labels : array-like, shape (n_samples,) | None
        Label of every sample; each window gets the label of its last
        (current) sample.
    eye : array-like, shape (n_samples, n_eye) | None
        Eye-movement features aligned with ``features``; windowed the same way.
    start : ``"pad"`` | ``"drop"``
        Rule for the first ``T - 1`` samples of a trial. ``"pad"``: one window
        per sample, positions before the trial start repeat the trial's first
        sample (the window of sample ``i`` holds samples ``i - T + 1 .. i`` of
        the same trial). ``"drop"``: only full windows.

    Returns
    -------
    windows : Windows
        Named tuple ``(eeg, eye, labels, trial_ids, index)``: ``eeg`` float32
        ``(N, C, T, F)``, ``eye`` float32 ``(N, n_eye, T, 1)`` or ``None``,
        ``labels`` ``(N,)`` or ``None``, ``trial_ids`` ``(N,)`` and ``index``
        ``(N,)``, the sample index of the last (current) sample of each window.
    """
    check_option("start", start, ("pad", "drop"))
    n_windows = check_int(n_windows, "n_windows")
    n_windows = int(n_windows)
    features = np.asarray(features)
    if features.ndim != 3:
        raise ValueError(
            f"features must have shape (n_samples, n_channels, n_bands), got shape {features.shape}"
        )
    if features.dtype.kind not in "fiu":
        raise TypeError(f"features must be numeric, got dtype {features.dtype}")
    check_finite(features, "features")
    n = features.shape[0]
    if n == 0:
        raise ValueError("features is empty (0 samples)")
    starts, stops = _trial_segments(trial_ids, n)
    trial_ids = np.asarray(trial_ids)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    if eye is not None:
        eye = np.asarray(eye)
        if eye.ndim != 2 or eye.shape[0] != n:
            raise ValueError(f"eye must have shape ({n}, n_eye), got {eye.shape}")
        if eye.dtype.kind not in "fiu":
            raise TypeError(f"eye must be numeric, got dtype {eye.dtype}")
        try:
            check_finite(eye, "eye")
        except ValueError as err:
            raise ValueError(
                f"{err} (the real eye-feature files contain NaN: fill them with fill_eye_nan)"
            ) from None

    src, current = _window_index(starts, stops, n_windows, start)
    if start == "drop":
        short = int(np.sum(stops - starts < n_windows))
        if short:
            logger.info(f"make_windows: {short} trial(s) shorter than {n_windows} samples dropped")
        if len(current) == 0:
            raise ValueError(
                f"no window of {n_windows} samples fits in any trial (longest trial: "
                f"{int((stops - starts).max())} samples); use start='pad' or a smaller "
                "n_windows"
            )
    feats32 = features.astype(np.float32, copy=False)
    # (N, T, C, F) -> (N, C, T, F)
    eeg = np.ascontiguousarray(feats32[src].transpose(0, 2, 1, 3))
    eye_w = None
    if eye is not None:
        eye32 = eye.astype(np.float32, copy=False)
        eye_w = np.ascontiguousarray(eye32[src].transpose(0, 2, 1))[..., None]
    return Windows(
        eeg=eeg,
        eye=eye_w,
        labels=None if labels is None else labels[current],
        trial_ids=trial_ids[current],
        index=current,
    )


class TrialWindows(TransformerMixin, BaseEstimator):
    """Stack ``T`` consecutive samples within trials: a scikit-learn pipeline step.

    One window per sample (``start="pad"`` of :func:`make_windows`), so the
    number of samples, and therefore ``y``, is unchanged. The trial of every
    sample is given as ``groups`` (the same trial ids a grouped
    cross-validation splits on). Inside a :class:`~sklearn.pipeline.Pipeline`
    they reach this step through scikit-learn's metadata routing::

        import sklearn
        sklearn.set_config(enable_metadata_routing=True)
        pipe = make_pipeline(
            DifferentialEntropy(flatten=False),
            TrialWindows(10).set_fit_request(groups=True).set_transform_request(groups=True),
            EmotionClassifier().set_fit_request(groups=True),
        )
        cross_val_score(pipe, epochs.get_data(), y, cv=GroupKFold(), params={"groups": trial})

    Samples of one trial must be in time order (grouped splits keep whole
    trials, so they are).

    Parameters
    ----------
    n_windows : int
        Window length ``T`` (10 in the paper).
    modality : ``"eeg"`` | ``"eye"``
        ``"eeg"``: input ``(n, C, F)``, output ``(n, C, T, F)``; ``"eye"``:
        input ``(n, n_eye)``, output ``(n, n_eye, T, 1)``.
    """

    def __init__(self, n_windows=10, modality="eeg"):
        self.n_windows = n_windows
        self.modality = modality

    def fit(self, X, y=None, groups=None):
        """Check the parameters (nothing is learned).

        Parameters
        ----------
        X : array-like, shape (n, C, F) | (n, n_eye)
            Per-sample features.
        y : None
            Ignored.
        groups : array-like, shape (n,) | None
            Trial of every sample.

        Returns
        -------
        self : TrialWindows
        """
        check_option("modality", self.modality, ("eeg", "eye"))
        return self

    def transform(self, X, groups=None):
        """Return the windows.

        Parameters
        ----------
        X : array-like, shape (n, C, F) | (n, n_eye)
            Per-sample features in time order.
        groups : array-like, shape (n,)
            Trial of every sample (windows never cross trials).

        Returns
        -------
        windows : ndarray of float32, shape (n, C, T, F) | (n, n_eye, T, 1)
        """
        check_option("modality", self.modality, ("eeg", "eye"))
        if groups is None:
            raise ValueError(
                "TrialWindows needs groups (the trial of every sample) so that windows never "
                "cross trials; in a Pipeline enable metadata routing and call "
                "set_transform_request(groups=True) (see the class docstring)"
            )
        X = np.asarray(X)
        if self.modality == "eye":
            if X.ndim != 2:
                raise ValueError(f"eye features must have shape (n, n_eye), got {X.shape}")
            return make_windows(X[:, :, None], groups, self.n_windows).eeg
        return make_windows(X, groups, self.n_windows).eeg

    def fit_transform(self, X, y=None, groups=None):
        """:meth:`fit`, then :meth:`transform` (both with ``groups``).

        Parameters
        ----------
        X : array-like, shape (n, C, F) | (n, n_eye)
            Per-sample features.
        y : None
            Ignored.
        groups : array-like, shape (n,)
            Trial of every sample.

        Returns
        -------
        windows : ndarray of float32
        """
        return self.fit(X, y, groups=groups).transform(X, groups=groups)
