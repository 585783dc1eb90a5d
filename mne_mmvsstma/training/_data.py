"""Data plumbing of the estimators: the window dataset, its batches, the trial split.

:class:`WindowDataset` holds the windows of a fit (moved to the device once)
and serves whole batches by index; :class:`TrialSplit` holds out whole
training trials for validation (skorch's ``train_split``);
``_per_recording_scaling`` scales each recording of a corpus on its own.
"""

from __future__ import annotations

import numpy as np
import torch

from ..utils import check_random_state, logger


class WindowDataset(torch.utils.data.Dataset):
    """Windows (a tensor or a dict of tensors) and optional labels, fetched a batch at a time.

    ``__getitems__`` returns a whole batch with one indexing operation per
    tensor, so a batch costs a few kernels whatever its size (no per-window
    stacking).
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def _first(self):
        """The first (or only) tensor of ``X``: its length and device are the dataset's."""
        return next(iter(self.X.values())) if isinstance(self.X, dict) else self.X

    def __len__(self):
        return len(self._first())

    def _take(self, idx):
        if isinstance(self.X, dict):
            X = {k: v[idx] for k, v in self.X.items()}
        else:
            X = self.X[idx]
        return X, None if self.y is None else self.y[idx]

    def __getitem__(self, i):
        return self._take(i)

    def __getitems__(self, indices):
        return self._take(torch.as_tensor(indices, dtype=torch.long,
                                          device=self._first().device))

    def subset(self, idx):
        """The windows at ``idx`` (a new dataset)."""
        X, y = self._take(torch.as_tensor(np.asarray(idx), dtype=torch.long,
                                          device=self._first().device))
        return WindowDataset(X, y)


def _batch(batch):
    return batch


class TrialSplit:
    """Hold out whole training trials for validation (a skorch ``train_split``).

    Early stopping and best-epoch selection on windows of trials that are also
    used for fitting reward memorising trials: windows of one trial are nearly
    identical once smoothed. This split holds out ``n_per_class`` whole trials
    of every class (chosen at random with ``random_state``), so the validation
    loss measures generalisation to unseen trials, like the test.

    Parameters
    ----------
    n_per_class : int
        Trials of every class held out (a class keeps at least one training
        trial; a class with a single trial contributes no validation trial,
        which is logged).
    random_state : int | numpy.random.Generator | None
        Seed of the choice of trials.
    """

    def __init__(self, n_per_class=1, random_state=0):
        self.n_per_class = n_per_class
        self.random_state = random_state

    def __repr__(self):
        return f"TrialSplit(n_per_class={self.n_per_class}, random_state={self.random_state})"

    def indices(self, groups, y=None):
        """Return ``(train_idx, valid_idx)``; ``valid_idx`` is empty when no trial can be held out.

        Parameters
        ----------
        groups : array-like, shape (n_windows,)
            Trial id of every window.
        y : array-like, shape (n_windows,) | None
            Labels (``None``: hold out ``n_per_class`` trials in total).

        Returns
        -------
        train_idx, valid_idx : ndarray of int
        """
        if groups is None:
            raise ValueError(
                "TrialSplit holds out whole trials for validation and needs groups= (the "
                "trial id of every window) in fit; pass groups, or train_split=None to train "
                "without validation (the last epoch's model is kept)"
            )
        groups = np.asarray(groups)
        rng = check_random_state(self.random_state)
        trial_list, first = np.unique(groups, return_index=True)
        trial_label = (np.zeros(len(trial_list), int) if y is None
                       else np.asarray(y)[first])
        valid_trials = []
        for c in np.unique(trial_label):
            trials = trial_list[trial_label == c]
            k = min(self.n_per_class, len(trials) - 1)
            if k < 1:
                logger.info(f"TrialSplit: class {c} has a single training trial; "
                            "none of its trials is held out for validation")
                continue
            valid_trials.extend(rng.choice(trials, size=k, replace=False).tolist())
        valid = np.isin(groups, valid_trials)
        return np.flatnonzero(~valid), np.flatnonzero(valid)

    def __call__(self, dataset, y=None, groups=None):  # noqa: D102
        train_idx, valid_idx = self.indices(groups, y)
        if len(valid_idx) == 0:
            logger.info("TrialSplit: no trial can be held out; training without validation")
            return dataset, None
        return dataset.subset(train_idx), dataset.subset(valid_idx)


def _per_recording_scaling(modality):
    from ..features.normalize import make_scaler

    def transform(_, eeg, eye):
        if eeg is not None:
            eeg = make_scaler("eeg").fit(eeg).transform(eeg)
        if eye is not None:
            eye = make_scaler("eye").fit(eye).transform(eye)
        return eeg, eye

    return transform


def _stimulus_targets(X, trials, stimuli):
    """The other trials' mean window of the same stimulus at the same place in the trial.

    For every window, the mean of the windows of the *other* trials of its
    stimulus (the other recordings' responses to the same film clip) at the
    same position in their trial (windows in time order within a trial); a
    window that no other trial matches keeps itself as its target.

    Parameters
    ----------
    X : ndarray, shape (N, ...)
    trials, stimuli : ndarray, shape (N,)
        Trial (unique over recordings) and stimulus of every window.

    Returns
    -------
    targets : ndarray, shape of ``X`` (float32)
    """
    trials, stimuli = np.asarray(trials), np.asarray(stimuli)
    order = np.argsort(trials, kind="stable")
    sorted_trials = trials[order]
    starts = np.r_[0, np.flatnonzero(sorted_trials[1:] != sorted_trials[:-1]) + 1]
    lengths = np.diff(np.r_[starts, len(order)])
    position = np.empty(len(trials), dtype=np.int64)
    position[order] = np.arange(len(order)) - np.repeat(starts, lengths)
    _, key = np.unique(np.stack([stimuli, position]), axis=1, return_inverse=True)
    key = key.ravel()
    flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    sums = np.zeros((key.max() + 1, flat.shape[1]))
    np.add.at(sums, key, flat)
    count = np.bincount(key)[key]
    others = (sums[key] - flat) / np.maximum(count - 1, 1)[:, None]
    targets = np.where((count > 1)[:, None], others, flat)
    return targets.reshape(np.shape(X)).astype(np.float32)
