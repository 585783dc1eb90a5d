"""scikit-learn transformer computing DE features of Epochs or arrays."""

from __future__ import annotations

import mne
import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted, validate_data

from ..utils import check_option, fill_doc
from ._inputs import check_ch_names
from .de import _check_bands, _check_sfreq, compute_de


@fill_doc
class DifferentialEntropy(TransformerMixin, BaseEstimator):
    """Differential-entropy features as a stateless scikit-learn transformer.

    Every epoch (or every sample of an array) is one window; see
    :func:`~mne_mmvsstma.features.compute_de` for the two DE definitions.

    Accepted inputs:

    - :class:`mne.Epochs`: channels (``picks``), sampling frequency and
      channel names come from ``info``; data are read in ``units``
      (microvolts by default). The list of one-epoch Epochs into which
      scikit-learn's splitters (``cross_val_score``...) index an Epochs
      object is joined back (:func:`mne.concatenate_epochs`).
    - 3-D arrays ``(n_samples, n_channels, n_times)``; ``sfreq`` is required.
    - 2-D arrays ``(n_samples, n_times)``, taken as a single channel (this is
      what scikit-learn's generic estimator checks pass); ``sfreq`` is required.

    Parameters
    ----------
    sfreq : float | None
        Sampling frequency (Hz) of array input. For Epochs it is read from
        ``info`` and, if given, must match.
    %(de_bands)s
    %(de_method)s
    flatten : bool
        If True (default), return ``(n_samples, n_channels * n_bands)``
        (channel-major: all bands of the first channel first, matching
        :meth:`get_feature_names_out`); otherwise ``(n_samples, n_channels,
        n_bands)``. Use ``flatten=False`` only with the default
        ``set_output`` container (pandas / polars output is 2-D).
    %(de_units)s
    %(de_nfft)s
    %(de_on_short)s
        Short inputs (a few samples) only make sense with ``"ignore"``.
    %(de_filter)s
    picks : str | list | slice | None
        Channels of Epochs input (``None``: all data channels).
    n_jobs : int
        Number of threads (see :func:`~mne_mmvsstma.features.compute_de`).

    Attributes
    ----------
    n_features_in_ : int
        Number of channels of Epochs / 3-D input, number of columns (time
        samples) of 2-D input, as seen in ``fit``.
    ch_names_ : list of str
        Channel names used in feature names: ``info`` names for Epochs,
        ``"ch0"``, ``"ch1"``... for arrays. After a fit on Epochs, the Epochs
        given to ``transform`` are matched to them by name: the same channels
        in another order are reordered, other channels are an error naming
        the missing and extra ones.
    band_names_ : list of str
        Band names, in output order.

    Notes
    -----
    The transformer has no learned state: ``fit`` only validates the input and
    records its shape and channel names, and ``transform`` works without
    ``fit`` (scikit-learn tag ``requires_fit=False``).
    """

    def __init__(
        self,
        sfreq=None,
        bands=None,
        method="seed",
        flatten=True,
        *,
        units="uV",
        nfft=None,
        on_short="raise",
        filter_order=4,
        filter_edges="enbw",
        picks=None,
        n_jobs=1,
    ):
        self.sfreq = sfreq
        self.bands = bands
        self.method = method
        self.flatten = flatten
        self.units = units
        self.nfft = nfft
        self.on_short = on_short
        self.filter_order = filter_order
        self.filter_edges = filter_edges
        self.picks = picks
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.three_d_array = True
        return tags

    def _check_params(self, sfreq):
        check_option("method", self.method, ("seed", "gaussian"))
        check_option("on_short", self.on_short, ("raise", "warn", "ignore"))
        check_option("flatten", self.flatten, (True, False))
        names, _ = _check_bands(self.bands, sfreq, method=self.method)
        return names

    def _validate_array(self, X, *, reset):
        X = validate_data(
            self,
            X,
            reset=reset,
            allow_nd=True,
            dtype=(np.float64, np.float32),
            ensure_min_features=1,
        )
        if X.ndim not in (2, 3):
            raise ValueError(
                "X must be mne.Epochs, a 3-D array (n_samples, n_channels, n_times) or a "
                f"2-D array (n_samples, n_times), got shape {X.shape}"
            )
        if self.sfreq is None:
            raise ValueError(
                "DifferentialEntropy needs sfreq (Hz) for array input: "
                "DifferentialEntropy(sfreq=...)"
            )
        return X

    @staticmethod
    def _gather_epochs(X):
        """Join the list of one-epoch Epochs that scikit-learn's splitters make of Epochs.

        ``cross_val_score`` and other splitters index an :class:`mne.Epochs`
        object epoch by epoch, which gives a list of Epochs; they are joined
        again here (:func:`mne.concatenate_epochs`).
        """
        if isinstance(X, (list, tuple)) and len(X) and any(
                isinstance(x, mne.BaseEpochs) for x in X):
            if not all(isinstance(x, mne.BaseEpochs) for x in X):
                raise TypeError("X mixes mne.Epochs and other objects; pass one Epochs "
                                "object or an array (epochs.get_data())")
            try:
                return mne.concatenate_epochs(list(X), add_offset=True, verbose=False)
            except (ValueError, RuntimeError) as exc:
                raise ValueError(f"X is a list of Epochs that cannot be joined ({exc}); pass "
                                 "one Epochs object or an array (epochs.get_data())") from None
        return X

    def _epochs_sfreq(self, X):
        sfreq = float(X.info["sfreq"])
        if self.sfreq is not None and not np.isclose(_check_sfreq(self.sfreq), sfreq):
            raise ValueError(
                f"sfreq={self.sfreq!r} does not match the Epochs sampling frequency "
                f"info['sfreq']={sfreq!r}"
            )
        return sfreq

    def fit(self, X, y=None):
        """Validate the input and record its shape and channel names.

        Parameters
        ----------
        X : mne.Epochs | array-like, shape (n_samples, n_channels, n_times) | (n_samples, n_times)
            Training signals.
        y : None
            Ignored.

        Returns
        -------
        self : DifferentialEntropy
            The transformer.
        """
        X = self._gather_epochs(X)
        if isinstance(X, mne.BaseEpochs):
            sfreq = self._epochs_sfreq(X)
            from mne._fiff.pick import _picks_to_idx

            idx = _picks_to_idx(X.info, self.picks, none="data", exclude=())
            self.ch_names_ = [X.ch_names[i] for i in idx]
            self.n_features_in_ = len(idx)
            self._input_ndim = 3
            self._named = True  # Epochs to transform are matched to these names
        else:
            X = self._validate_array(X, reset=True)
            sfreq = _check_sfreq(self.sfreq)
            n_ch = 1 if X.ndim == 2 else X.shape[1]
            self.ch_names_ = [f"ch{i}" for i in range(n_ch)]
            self._input_ndim = X.ndim
            self._named = False
        self.band_names_ = self._check_params(sfreq)
        return self

    def transform(self, X):
        """Compute DE features.

        Parameters
        ----------
        X : mne.Epochs | array-like, shape (n_samples, n_channels, n_times) | (n_samples, n_times)
            Signals, one window per epoch / sample.

        Returns
        -------
        X_new : ndarray, shape (n_samples, n_channels * n_bands) | (n_samples, n_channels, n_bands)
            DE features (float64), flat or not according to ``flatten``.
        """
        kwargs = dict(
            bands=self.bands,
            method=self.method,
            nfft=self.nfft,
            on_short=self.on_short,
            filter_order=self.filter_order,
            filter_edges=self.filter_edges,
            n_jobs=self.n_jobs,
            verbose=False,
        )
        X = self._gather_epochs(X)
        if isinstance(X, mne.BaseEpochs):
            self._epochs_sfreq(X)
            picks = self.picks
            if getattr(self, "_named", False):
                # the channels of the fit, by name (reordered as MNE does), never by position
                from mne._fiff.pick import _picks_to_idx

                names = [X.ch_names[i] for i in _picks_to_idx(X.info, self.picks, none="data",
                                                              exclude=())]
                picks = check_ch_names(names, self.ch_names_, name="X", against=(
                    f"the channels {type(self).__name__} was fitted on"))
            de = compute_de(X, picks=picks, units=self.units, **kwargs)
            if hasattr(self, "n_features_in_") and de.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {de.shape[1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input (channels of the Epochs)"
                )
        else:
            X = self._validate_array(X, reset=False)
            if X.ndim == 2:
                X = X[:, np.newaxis, :]
            self._check_params(_check_sfreq(self.sfreq))
            de = compute_de(X, sfreq=self.sfreq, **kwargs)
        if self.flatten:
            de = de.reshape(de.shape[0], -1)
        return de

    def get_feature_names_out(self, input_features=None):
        """Feature names ``"{channel}_{band}"`` in output (channel-major) order.

        Parameters
        ----------
        input_features : array-like of str | None
            For 3-D array input, the channel names to use (must have
            ``n_features_in_`` entries). For 2-D input the columns are time
            samples: they are validated but the single channel is ``"ch0"``.

        Returns
        -------
        feature_names_out : ndarray of str
            ``n_channels * n_bands`` names.
        """
        check_is_fitted(self, ("n_features_in_", "ch_names_"))
        ch_names = self.ch_names_
        if input_features is not None:
            input_features = _check_feature_names_in(self, input_features)
            if self._input_ndim == 3:
                ch_names = [str(name) for name in input_features]
        return np.asarray(
            [f"{ch}_{band}" for ch in ch_names for band in self.band_names_], dtype=object
        )
