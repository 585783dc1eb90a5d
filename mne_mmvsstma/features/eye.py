"""Missing values of eye-movement features: filled within trials."""

from __future__ import annotations

import numpy as np

from ..utils import check_option, logger

_FILL_METHODS = ("interpolate", "mean", "zero")


def fill_eye_nan(eye, trial_ids, method="interpolate"):
    """Fill the NaN values of eye-movement features, trial by trial.

    Parameters
    ----------
    eye : array-like, shape (n_windows, n_eye)
        Eye features (e.g. ``FeatureRecording.eye``); not modified.
    trial_ids : array-like of int, shape (n_windows,)
        Trial of every window; values are filled from the same trial only.
    method : ``"interpolate"`` | ``"mean"`` | ``"zero"``
        ``"interpolate"``: linear interpolation over the windows of the trial
        (in time order), the first/last valid value repeated at the trial's
        edges. ``"mean"``: the mean of the feature's valid values in the trial.
        ``"zero"``: zeros. With ``"interpolate"`` and ``"mean"``, a feature
        without any valid value in a trial takes its mean over the whole
        recording, and a feature that is NaN everywhere becomes 0 (logged).
        That fallback mixes trials: fill training and test windows in separate
        calls (as :func:`~mne_mmvsstma.protocol.split_recording` does), so that
        no test value ever fills a training window.

    Returns
    -------
    filled : ndarray, shape (n_windows, n_eye)
        A float64 copy without NaN (infinite values are left untouched).
    """
    check_option("method", method, _FILL_METHODS)
    eye = np.array(eye, dtype=np.float64, copy=True)
    trial_ids = np.asarray(trial_ids)
    if eye.ndim != 2:
        raise ValueError(f"eye must be 2D (n_windows, n_eye), got shape {eye.shape}")
    if trial_ids.shape != (eye.shape[0],):
        raise ValueError(
            f"trial_ids must have shape ({eye.shape[0]},) to match eye, got {trial_ids.shape}"
        )
    nan = np.isnan(eye)
    if not nan.any():
        return eye
    if method == "zero":
        eye[nan] = 0.0
        return eye
    with np.errstate(invalid="ignore"):
        n_valid = (~nan).sum(axis=0)
        global_mean = np.where(n_valid > 0, np.nansum(eye, axis=0) / np.maximum(n_valid, 1), 0.0)
    if (n_valid == 0).any():
        all_nan = np.flatnonzero(n_valid == 0).tolist()
        logger.info(f"Eye features {all_nan} are NaN everywhere: set to 0")
    for trial in np.unique(trial_ids):
        rows = np.flatnonzero(trial_ids == trial)
        block = eye[rows]
        block_nan = nan[rows]
        for col in np.flatnonzero(block_nan.any(axis=0)):
            valid = ~block_nan[:, col]
            if not valid.any():
                block[:, col] = global_mean[col]
            elif method == "mean":
                block[~valid, col] = block[valid, col].mean()
            else:
                idx = np.arange(len(rows))
                block[~valid, col] = np.interp(idx[~valid], idx[valid], block[valid, col])
        eye[rows] = block
    return eye
