"""Normalisation of features, fitted on training data only.

Both scalers follow the scikit-learn API (``fit`` / ``transform`` /
``fit_transform`` / ``inverse_transform``). Fit them on the training part of
a subject-session only and apply the fitted statistics to the test part, so
that no statistic of the test data leaks into training.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils import check_finite, check_option


def _as_float(X, name, ndims, *, hint=""):
    X = np.asarray(X)
    if X.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.ndim not in ndims:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, ndims))} dimensions, got {X.shape}"
        )
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    try:
        check_finite(X, name)
    except ValueError as err:
        raise ValueError(f"{err}{hint}") from None
    return X if X.dtype.kind == "f" else X.astype(np.float64)


class BandScaler(TransformerMixin, BaseEstimator):
    """Standardise features per frequency band with training statistics.

    Mean and standard deviation of every band (last axis) are computed over
    all other axes (samples, channels and, for windows, time steps) of the
    training data; ``transform`` applies ``(X - mean_) / scale_``.

    Parameters
    ----------
    per_channel : bool
        If True, statistics are computed per (channel, band) pair (axis 1 and
        the last axis) instead of per band.

    Attributes
    ----------
    mean_ : ndarray, shape (n_bands,) | (n_channels, n_bands)
        Training mean.
    scale_ : ndarray, shape (n_bands,) | (n_channels, n_bands)
        Training standard deviation (1 where it is 0, i.e. constant bands are
        only centred).
    n_bands_ : int
        Number of bands (size of the last axis) seen in ``fit``.
    n_channels_ : int
        Number of channels (axis 1) seen in ``fit``.
    """

    def __init__(self, per_channel=False):
        self.per_channel = per_channel

    def _axes(self, X):
        keep = {1, X.ndim - 1} if self.per_channel else {X.ndim - 1}
        return tuple(ax for ax in range(X.ndim) if ax not in keep)

    def _shaped(self, stat, X):
        if not self.per_channel:
            return stat
        # (C, F) -> broadcastable against (n, C, F) or (N, C, T, F)
        return stat.reshape((stat.shape[0],) + (1,) * (X.ndim - 3) + (stat.shape[1],))

    def fit(self, X, y=None):
        """Compute the per-band mean and standard deviation of training data.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels, n_bands) | (n_windows, n_channels, T, n_bands)
            Training features.
        y : None
            Ignored.

        Returns
        -------
        self : BandScaler
            The fitted scaler.
        """
        X = _as_float(X, "X", (3, 4))
        axes = self._axes(X)
        mean = X.mean(axis=axes, dtype=np.float64)
        std = X.std(axis=axes, dtype=np.float64)
        std[std == 0] = 1.0
        self.mean_ = mean
        self.scale_ = std
        self.n_bands_ = X.shape[-1]
        self.n_channels_ = X.shape[1]
        return self

    def _check(self, X):
        check_is_fitted(self, ("mean_", "scale_"))
        X = _as_float(X, "X", (3, 4))
        if X.shape[-1] != self.n_bands_:
            raise ValueError(
                f"X has {X.shape[-1]} bands (last axis) but the scaler was fitted on "
                f"{self.n_bands_}"
            )
        if self.per_channel and X.shape[1] != self.n_channels_:
            raise ValueError(
                f"X has {X.shape[1]} channels (axis 1) but the scaler was fitted on "
                f"{self.n_channels_}"
            )
        return X

    def transform(self, X):
        """Standardise ``X`` with the training statistics.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels, n_bands) | (n_windows, n_channels, T, n_bands)
            Features.

        Returns
        -------
        X_new : ndarray, same shape as ``X``
            Standardised features (float dtype of ``X``, float64 for integers).
        """
        X = self._check(X)
        out = (X - self._shaped(self.mean_, X)) / self._shaped(self.scale_, X)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo :meth:`transform`.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_channels, n_bands) | (n_windows, n_channels, T, n_bands)
            Standardised features.

        Returns
        -------
        X_orig : ndarray, same shape as ``X``
            Features on the original scale.
        """
        X = self._check(X)
        out = X * self._shaped(self.scale_, X) + self._shaped(self.mean_, X)
        return out.astype(X.dtype, copy=False)


def _check_n_eye(X, n_fitted, what):
    """Raise when ``X`` has another number of eye features (axis 1) than seen in ``fit``."""
    if X.shape[1] != n_fitted:
        raise ValueError(
            f"X has {X.shape[1]} eye features (axis 1) but the {what} was fitted on {n_fitted}"
        )
    return X


class EyeRescaler(TransformerMixin, BaseEstimator):
    """Rescale every eye-movement feature from its training range to ``[low, high]``.

    The paper rescales eye features to 10..100 before the encoder. Each
    feature's minimum and maximum are taken over the training data only;
    ``transform`` maps ``min_ -> low`` and ``max_ -> high`` linearly. Test
    values outside the training range map outside ``[low, high]`` unless
    ``clip=True``. A feature that is constant in the training data keeps a
    unit scale and is shifted so that its training value maps to
    ``(low + high) / 2``.

    Parameters
    ----------
    low, high : float
        Target range (``low < high``).
    clip : bool
        If True, clip transformed values to ``[low, high]``.

    Attributes
    ----------
    min_ : ndarray, shape (n_eye,)
        Training minimum of each feature.
    max_ : ndarray, shape (n_eye,)
        Training maximum of each feature.
    n_features_in_ : int
        Number of eye features (axis 1) seen in ``fit``.
    """

    def __init__(self, low=10.0, high=100.0, clip=False):
        self.low = low
        self.high = high
        self.clip = clip

    _HINT = " (the real eye-feature files contain NaN: fill them with fill_eye_nan)"

    def _check_range(self):
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number, got {value!r}")
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"need finite low < high, got low={self.low!r}, high={self.high!r}")

    @staticmethod
    def _shaped(stat, X):
        return stat.reshape((1, -1) + (1,) * (X.ndim - 2))

    def fit(self, X, y=None):
        """Find each feature's training minimum and maximum.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_eye) | (n_windows, n_eye, T, 1)
            Training eye features.
        y : None
            Ignored.

        Returns
        -------
        self : EyeRescaler
            The fitted rescaler.
        """
        self._check_range()
        X = _as_float(X, "X", (2, 4), hint=self._HINT)
        axes = tuple(ax for ax in range(X.ndim) if ax != 1)
        self.min_ = X.min(axis=axes).astype(np.float64)
        self.max_ = X.max(axis=axes).astype(np.float64)
        self.n_features_in_ = X.shape[1]
        return self

    def _params(self):
        span = self.max_ - self.min_
        constant = span == 0
        scale = np.where(constant, 1.0, (self.high - self.low) / np.where(constant, 1.0, span))
        offset = np.where(constant, (self.low + self.high) / 2.0, float(self.low))
        return scale, offset

    def _check(self, X):
        check_is_fitted(self, ("min_", "max_"))
        self._check_range()
        return _check_n_eye(_as_float(X, "X", (2, 4), hint=self._HINT), self.n_features_in_,
                            "rescaler")

    def transform(self, X):
        """Map every feature from its training range to ``[low, high]``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_eye) | (n_windows, n_eye, T, 1)
            Eye features.

        Returns
        -------
        X_new : ndarray, same shape as ``X``
            Rescaled features (float dtype of ``X``, float64 for integers).
        """
        X = self._check(X)
        scale, offset = self._params()
        out = (X - self._shaped(self.min_, X)) * self._shaped(scale, X) + self._shaped(offset, X)
        if self.clip:
            np.clip(out, self.low, self.high, out=out)
        return out.astype(X.dtype, copy=False)

    def inverse_transform(self, X):
        """Undo :meth:`transform` (exact unless values were clipped).

        Parameters
        ----------
        X : array-like, shape (n_samples, n_eye) | (n_windows, n_eye, T, 1)
            Rescaled eye features.

        Returns
        -------
        X_orig : ndarray, same shape as ``X``
            Features on the original scale.
        """
        X = self._check(X)
        scale, offset = self._params()
        out = (X - self._shaped(offset, X)) / self._shaped(scale, X) + self._shaped(self.min_, X)
        return out.astype(X.dtype, copy=False)


class RobustEyeScaler(TransformerMixin, BaseEstimator):
    """Scale eye-movement features robustly to their heavy tails.

    Real eye features are heavy-tailed: for saccade-duration and -amplitude
    spreads and the maximal fixation dispersion, the 99th percentile is
    100-300 times the median, so a min-max map to 10..100 (the paper's
    :class:`EyeRescaler`) squeezes almost every window into a few values near
    the bottom of the range. This scaler, fitted on training data only,

    1. takes ``log1p`` of every feature that is non-negative in the training
       data and right-skewed (99th percentile more than ``log_ratio`` times
       the median);
    2. centres every feature on its training median and divides by its
       interquartile range / 1.349 (the standard deviation for Gaussian data);
    3. clips the result to ``[-clip, clip]`` so that rare artifacts cannot
       dominate a batch.

    Parameters
    ----------
    log_ratio : float
        Right-skew threshold (p99 / median) above which a non-negative
        feature is log-transformed.
    clip : float | None
        Bound of the scaled values (``None``: no clipping).

    Attributes
    ----------
    log_ : ndarray of bool, shape (n_eye,)
        Features that are log-transformed.
    center_ : ndarray, shape (n_eye,)
        Training median (after the log).
    scale_ : ndarray, shape (n_eye,)
        Training IQR / 1.349 (1 where it is 0).
    n_features_in_ : int
        Number of eye features (axis 1) seen in ``fit``.
    """

    _HINT = EyeRescaler._HINT

    def __init__(self, log_ratio=10.0, clip=5.0):
        self.log_ratio = log_ratio
        self.clip = clip

    @staticmethod
    def _flat(X):
        # (n, n_eye) or (N, n_eye, T, 1) -> (samples, n_eye)
        return np.moveaxis(X, 1, -1).reshape(-1, X.shape[1])

    def _log(self, X):
        return np.where(EyeRescaler._shaped(self.log_, X), np.log1p(np.maximum(X, 0)), X)

    def fit(self, X, y=None):
        """Learn the log set, medians and interquartile ranges of training data.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_eye) | (n_windows, n_eye, T, 1)
            Training eye features.
        y : None
            Ignored.

        Returns
        -------
        self : RobustEyeScaler
            The fitted scaler.
        """
        X = _as_float(X, "X", (2, 4), hint=self._HINT)
        flat = self._flat(X)
        p50, p99 = np.percentile(flat, [50, 99], axis=0)
        self.log_ = (flat.min(axis=0) >= 0) & (p99 > self.log_ratio * np.maximum(p50, 1e-12))
        flat = self._flat(self._log(X))
        q25, q50, q75 = np.percentile(flat, [25, 50, 75], axis=0)
        scale = (q75 - q25) / 1.349
        scale[scale <= 0] = 1.0
        self.center_, self.scale_ = q50, scale
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Scale ``X`` with the training statistics.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_eye) | (n_windows, n_eye, T, 1)
            Eye features.

        Returns
        -------
        X_new : ndarray, same shape as ``X``
            Scaled features.
        """
        check_is_fitted(self, ("center_", "scale_"))
        X = _check_n_eye(_as_float(X, "X", (2, 4), hint=self._HINT), self.n_features_in_,
                         "scaler")
        _shaped = EyeRescaler._shaped
        out = (self._log(X) - _shaped(self.center_, X)) / _shaped(self.scale_, X)
        if self.clip is not None:
            np.clip(out, -self.clip, self.clip, out=out)
        return out.astype(X.dtype, copy=False)


EYE_SCALINGS = ("robust", "minmax")


def make_scaler(modality, eye_scaling="robust"):
    """The scaler of a modality: per-band z-scores for EEG; robust or 10..100 for eye."""
    if modality == "eeg":
        return BandScaler()
    check_option("eye_scaling", eye_scaling, EYE_SCALINGS)
    return RobustEyeScaler() if eye_scaling == "robust" else EyeRescaler()
