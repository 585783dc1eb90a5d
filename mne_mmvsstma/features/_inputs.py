"""Turn the inputs accepted by the training API into model-ready float32 windows.

Accepted inputs (see :func:`as_inputs`):

- ``numpy.ndarray`` windows: EEG ``(N, C, T, F)``, eye ``(N, n_eye, T, 1)`` or
  ``(N, n_eye, T)``; or per-sample features EEG ``(n, C, F)`` / eye ``(n, n_eye)``
  together with ``trial_ids`` (windows are then stacked with
  :func:`mne_mmvsstma.features.make_windows`, never across trials);
- :class:`mne.Epochs`: DE per epoch with :func:`mne_mmvsstma.features.compute_de`,
  windows over consecutive epochs of one trial (``metadata["trial"]`` when present,
  else all epochs form one sequence), labels from ``metadata["label"]`` when present,
  else the event codes;
- a :class:`~mne_mmvsstma.datasets.FeatureRecording` or a list of them;
- a path to a dataset folder (read with :func:`mne_mmvsstma.datasets.read_features`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets._base import FeatureRecording
from ..utils import check_finite, check_option, logger

MODALITIES = ("eeg", "eye")


@dataclass
class Inputs:
    """Windows of one or two modalities, with labels and trial ids.

    Attributes
    ----------
    eeg : ndarray, shape (N, C, T, F) | None
    eye : ndarray, shape (N, n_eye, T, 1) | None
    labels : ndarray, shape (N,) | None
    trial_ids : ndarray, shape (N,) | None
        Unique over recordings (``recording * 100000 + trial``) when several
        recordings were given.
    groups : ndarray, shape (N,) | None
        Recording index of every window (lists of recordings only).
    ch_names : list of str | None
        EEG channels in window order (recordings, Epochs), ``None`` for arrays.
    """

    eeg: np.ndarray | None = None
    eye: np.ndarray | None = None
    labels: np.ndarray | None = None
    trial_ids: np.ndarray | None = None
    groups: np.ndarray | None = None
    ch_names: list | None = None

    def __len__(self):
        for arr in (self.eeg, self.eye, self.labels):
            if arr is not None:
                return len(arr)
        return 0

    def subset(self, idx) -> Inputs:
        """Return the windows at ``idx``."""

        def take(a):
            return None if a is None else a[idx]

        return Inputs(take(self.eeg), take(self.eye), take(self.labels),
                      take(self.trial_ids), take(self.groups), self.ch_names)


def check_ch_names(ch_names, reference, *, name="X", against="the fitted channels"):
    """Return ``reference`` when ``ch_names`` holds the same channels (in any order).

    The data are then read in the order of ``reference`` (by name, as MNE
    does); other channels are an error naming the missing and the extra ones.

    Parameters
    ----------
    ch_names : list of str
        Channels of the input.
    reference : list of str
        The channels expected, in their order.
    name : str
        The input (for the message).
    against : str
        What ``reference`` is (for the message).

    Returns
    -------
    ch_names : list of str
        ``reference``, as a list.
    """
    ch_names, reference = [str(c) for c in ch_names], [str(c) for c in reference]
    if ch_names == reference:
        return reference
    missing = [c for c in reference if c not in ch_names]
    extra = [c for c in ch_names if c not in reference]
    if missing or extra or len(ch_names) != len(reference):
        def shown(names):
            return f"{names[:10]}{f' and {len(names) - 10} more' if len(names) > 10 else ''}"

        raise ValueError(
            f"{name} has other channels than {against} ({len(reference)} channels): missing "
            f"{shown(missing)}, extra {shown(extra)}; pick, rename or drop channels so that "
            "the names match (the order does not matter)")
    logger.info(f"{name}: channels reordered by name to the order of {against}")
    return reference


def _is_epochs(obj) -> bool:
    try:
        from mne import BaseEpochs
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, BaseEpochs)


def _as_recordings(data, name):
    """Return a list of FeatureRecording, or None when ``data`` is not recording-like."""
    if isinstance(data, FeatureRecording):
        return [data]
    if isinstance(data, (str, Path)):
        from ..datasets import read_features

        path = Path(data).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"{name}: dataset folder does not exist: {path}")
        recs = read_features(path)
        if len(recs) == 0:
            raise ValueError(f"{name}: no feature files found in dataset folder {path}")
        return list(recs)
    if isinstance(data, (list, tuple)) and len(data) > 0:
        if all(isinstance(r, FeatureRecording) for r in data):
            return list(data)
        if any(isinstance(r, FeatureRecording) for r in data):
            raise TypeError(f"{name}: a list must hold only FeatureRecording objects")
    return None


def check_recording_finite(rec, modality, *, part=None, fill_eye=None, name=None):
    """Raise a ValueError when a recording holds NaN / inf features of ``modality``.

    The message names the file, the recording, the trials (numbered from 1,
    as in the files), the number of values of each and the modality.

    Parameters
    ----------
    rec : FeatureRecording
        The recording (or a part of it).
    modality : ``"eeg"`` | ``"eye"``
        Which features to check.
    part : str | None
        Which part of the recording ``rec`` is (e.g. ``"test trials"``).
    fill_eye : str | None
        The eye filling method already applied (for the advice given).
    name : str | None
        What the recording is to the caller (e.g. a parameter name).
    """
    arr = rec.eeg if modality == "eeg" else rec.eye
    if arr is None:
        return
    arr = np.asarray(arr)
    bad = ~np.isfinite(arr).reshape(len(arr), -1)
    if not bad.any():
        return
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(bad.sum()) - n_nan
    trial_ids = np.asarray(rec.trial_ids)
    trials, first = np.unique(trial_ids, return_index=True)
    per_trial = [(t, int(bad[trial_ids == t].sum())) for t in trials[np.argsort(first)]]
    per_trial = [(int(t) + 1, n) for t, n in per_trial if n]
    shown = ", ".join(f"trial {t}: {n}" for t, n in per_trial[:10])
    if len(per_trial) > 10:
        shown += f", ... ({len(per_trial) - 10} more trials)"
    what = "EEG" if modality == "eeg" else "eye-movement"
    where = f"{rec.fname or 'recording'} ({rec.dataset} sub-{rec.subject} ses-{rec.session}"
    where += f", {part})" if part else ")"
    if name:
        where = f"{name}: {where}"
    if modality == "eye" and n_nan and fill_eye is None:
        advice = ("fill them within trials (fill_eye='interpolate', --fill-eye on the command "
                  "line, or mne_mmvsstma.features.fill_eye_nan)")
    elif modality == "eye" and fill_eye is not None:
        advice = (f"fill_eye={fill_eye!r} fills NaN only; infinite values are damaged data: "
                  "fix or remove these trials")
    else:
        advice = "the file is damaged or not a feature file: fix or remove these trials"
    raise ValueError(
        f"{where}: the {what} features hold {n_nan} NaN and {n_inf} infinite values in "
        f"{len(per_trial)} trial(s) (values per trial: {shown}); {advice}. Nothing is "
        "trained on non-finite values."
    )


def check_fill_eye(fill_eye):
    """Validate a ``fill_eye`` option (``None`` or a method of ``fill_eye_nan``), always."""
    from .eye import _FILL_METHODS

    if fill_eye is not None:
        check_option("fill_eye", fill_eye, _FILL_METHODS)
    return fill_eye


def fill_or_check_eye(eye, trial_ids, fill_eye, name, *, check=True):
    """Fill NaN eye features with ``fill_eye`` or raise a clear error.

    ``check=False`` leaves values that are still not finite after filling
    (infinite ones) to the caller.
    """
    check_fill_eye(fill_eye)
    eye = np.asarray(eye, dtype=np.float64)
    n_bad = int((~np.isfinite(eye)).sum())
    if n_bad == 0:
        return eye
    if fill_eye is None:
        raise ValueError(
            f"{name}: eye-movement features contain {n_bad} NaN/inf values (out of {eye.size}). "
            "Fill them first (mne_mmvsstma.features.fill_eye_nan) or pass fill_eye=<method>; "
            "training on NaN is never done silently."
        )
    if trial_ids is None:
        raise ValueError(f"{name}: filling eye NaN values (fill_eye={fill_eye!r}) needs trial_ids")
    from .eye import fill_eye_nan

    logger.info(f"{name}: filling {n_bad} non-finite eye values with method {fill_eye!r}")
    eye = fill_eye_nan(eye, trial_ids, method=fill_eye)
    if check:
        check_finite(eye, f"{name} eye features after fill_eye={fill_eye!r}")
    return np.asarray(eye, dtype=np.float64)


def _window_features(eeg, eye, trial_ids, labels, n_windows):
    from .windows import make_windows

    base = eeg if eeg is not None else eye[:, :, None]
    win = make_windows(base, trial_ids, n_windows, labels=labels,
                       eye=eye if eeg is not None else None)
    out_eeg = np.asarray(win.eeg, dtype=np.float32) if eeg is not None else None
    if eeg is not None:
        out_eye = None if win.eye is None else np.asarray(win.eye, dtype=np.float32)
    else:  # eye only: the windows of (n, n_eye, 1) are (N, n_eye, T, 1)
        out_eye = np.asarray(win.eeg, dtype=np.float32)
    return out_eeg, out_eye, win.labels, np.asarray(win.trial_ids)


def _no_eye_advice(rec):
    """What to do when a recording has no eye features (SEED has none at all)."""
    if rec.dataset == "SEED":
        return ("SEED has no eye-movement data: use an EEG-only model (modality='eeg', no "
                "fusion)")
    return "read the dataset with eye=True or use an EEG-only model"


def _short_name(rec):
    """A recording's file name, or its subject and session."""
    return str(rec.fname) if getattr(rec, "fname", None) else f"sub-{rec.subject} ses-{rec.session}"


def recording_stimuli(recs, inp):
    """The stimulus of every window of ``recordings_to_inputs(recs)``.

    In the SEED family, the same trial number of the same session (and
    dataset) is the same film clip in every recording: the stimulus code is
    ``(dataset, session)`` index ``* 100000 +`` trial number. The labels check
    it: recordings whose trials of the same number carry different labels do
    not show the same stimuli in the same order.

    Returns
    -------
    stimuli : ndarray, shape (N,) | None
        ``None`` when the labels contradict the shared order.
    problem : str | None
        Why ``stimuli`` is ``None``.
    """
    sessions = [(str(r.dataset), str(r.session)) for r in recs]
    code = {k: i for i, k in enumerate(dict.fromkeys(sessions))}
    rec_code = np.array([code[k] for k in sessions])
    stimuli = rec_code[inp.groups] * 100000 + inp.trial_ids % 100000
    if inp.labels is not None:
        seen = {}
        for s, g, lab in zip(*np.unique(np.stack([stimuli, inp.groups, inp.labels]), axis=1)):
            if s in seen and seen[s][1] != lab:
                other = recs[seen[s][0]]
                dataset, session = sessions[g]
                return None, (
                    f"trial {s % 100000 + 1} of {dataset} session {session} has label "
                    f"{seen[s][1]} in {_short_name(other)} but label {lab} in "
                    f"{_short_name(recs[g])}: the recordings do not show the same stimulus at "
                    "the same trial number")
            seen.setdefault(s, (g, lab))
    return stimuli, None


def recordings_to_inputs(
    recs, *, need, n_windows, fill_eye=None, transform=None, name="data"
) -> Inputs:
    """Window a list of recordings; ``transform(rec_index, eeg, eye)`` may rescale them first."""
    check_fill_eye(fill_eye)
    eegs, eyes, labels, trials, groups = [], [], [], [], []
    for ri, rec in enumerate(recs):
        rec_name = f"{name} ({rec!r})"
        eeg = eye = None
        if "eeg" in need:
            if rec.eeg is None:
                raise ValueError(f"{rec_name}: EEG features are missing (modality 'eeg' requested)")
            eeg = np.asarray(rec.eeg, dtype=np.float64)
            check_recording_finite(rec, "eeg", name=name)
        if "eye" in need:
            if rec.eye is None:
                raise ValueError(f"{rec_name}: eye-movement features are missing (modality "
                                 f"'eye' requested); {_no_eye_advice(rec)}")
            if fill_eye is None:
                check_recording_finite(rec, "eye", name=name)
            eye = fill_or_check_eye(rec.eye, rec.trial_ids, fill_eye, rec_name, check=False)
            check_recording_finite(dataclasses.replace(rec, eye=eye), "eye", fill_eye=fill_eye,
                                   name=name)
        if transform is not None:
            eeg, eye = transform(ri, eeg, eye)
        e, y, lab, tid = _window_features(eeg, eye, rec.trial_ids, rec.labels, n_windows)
        eegs.append(e)
        eyes.append(y)
        labels.append(np.asarray(lab))
        trials.append(ri * 100000 + tid)
        groups.append(np.full(len(tid), ri))
    names = [list(r.ch_names) for r in recs if r.ch_names]
    return Inputs(
        eeg=np.concatenate(eegs) if "eeg" in need else None,
        eye=np.concatenate(eyes) if "eye" in need else None,
        labels=np.concatenate(labels),
        trial_ids=np.concatenate(trials),
        groups=np.concatenate(groups),
        ch_names=names[0] if "eeg" in need and len(names) == len(recs) else None,
    )


def _epochs_to_inputs(epochs, *, n_windows, name, ch_names=None):
    """Windows of the DE of Epochs, channels in the order of ``ch_names``.

    ``ch_names=None``: the SEED order when the Epochs hold the 62 SEED
    channels, else the Epochs' own order.
    """
    from mne._fiff.pick import _picks_to_idx

    from ..channels import SEED_CH_NAMES
    from .de import compute_de

    names = [epochs.ch_names[i] for i in _picks_to_idx(epochs.info, None, none="data",
                                                       exclude=())]
    if ch_names is not None:
        names = check_ch_names(names, ch_names, name=name)
    elif sorted(names) == sorted(SEED_CH_NAMES) and names != list(SEED_CH_NAMES):
        names = check_ch_names(names, SEED_CH_NAMES, name=name, against="the SEED order")
    de = np.asarray(compute_de(epochs, picks=names, verbose=False), dtype=np.float64)
    meta = epochs.metadata
    if meta is not None and "label" in meta.columns:
        labels = np.asarray(meta["label"]).astype(int)
    else:
        labels = epochs.events[:, 2].astype(int)
    if meta is not None and "trial" in meta.columns:
        trial_ids = np.asarray(meta["trial"]).astype(int)
    elif len(np.unique(labels)) > 1:
        raise ValueError(
            f"{name}: the Epochs have no metadata['trial'] column (metadata is "
            f"{'missing' if meta is None else 'without it'}), but they hold "
            f"{len(np.unique(labels))} emotions: the trial of every epoch is needed, so that "
            "windows never cross trials and validation holds out whole trials. Add it "
            "(epochs.metadata = pandas.DataFrame({'trial': ...})); the package's readers "
            "(read_epochs_seed_iv...) write it")
    else:
        trial_ids = np.zeros(len(de), dtype=int)  # one sequence of epochs
    check_finite(de, f"{name} DE features")
    e, _, lab, tid = _window_features(de, None, trial_ids, labels, n_windows)
    return Inputs(eeg=e, labels=np.asarray(lab), trial_ids=tid, ch_names=list(names))


def _array_windows(arr, *, modality, n_windows, trial_ids, name):
    """Check an array input and return windows (N, C, T, F) float32."""
    arr = np.asarray(arr)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if modality == "eye" and arr.ndim == 3 and trial_ids is None:
        arr = arr[..., None]  # (N, n_eye, T) -> (N, n_eye, T, 1)
    feat_ndim = 3 if modality == "eeg" else 2
    if arr.ndim == feat_ndim:
        if trial_ids is None:
            raise ValueError(
                f"{name} has shape {arr.shape} (per-sample features); pass trial_ids so that "
                f"windows of {n_windows} samples are stacked within trials, or pass 4-D windows"
            )
        trial_ids = np.asarray(trial_ids)
        if len(trial_ids) != len(arr):
            raise ValueError(
                f"trial_ids has {len(trial_ids)} entries but {name} has {len(arr)} samples"
            )
        check_finite(arr, name)
        if modality == "eeg":
            e, _, _, _ = _window_features(arr.astype(np.float64), None, trial_ids, None, n_windows)
            return e
        _, y, _, _ = _window_features(None, arr.astype(np.float64), trial_ids, None, n_windows)
        return y
    return check_windows(arr, name, modality)


def as_inputs(
    data,
    *,
    need=("eeg",),
    labels=None,
    X_eye=None,
    trial_ids=None,
    n_windows=10,
    fill_eye=None,
    name="X",
    require_labels=False,
    ch_names=None,
) -> Inputs:
    """Convert ``data`` (+ ``X_eye``, ``labels``) to :class:`Inputs` holding ``need`` modalities.

    ``need`` lists the modalities the model consumes. When ``need == ("eye",)``
    and ``data`` is an array, ``data`` itself holds the eye features.
    ``ch_names``: the EEG channels expected (recordings and Epochs are
    checked against them; Epochs are reordered by name).
    """
    for m in need:
        check_option("modality", m, MODALITIES)
    check_fill_eye(fill_eye)
    recs = _as_recordings(data, name)
    if recs is not None:
        if X_eye is not None:
            raise ValueError(
                f"X_eye must be None when {name} is a dataset folder or FeatureRecording list "
                "(eye features are read from the recordings)"
            )
        inp = recordings_to_inputs(recs, need=need, n_windows=n_windows, fill_eye=fill_eye,
                                   name=name)
        if ch_names is not None and "eeg" in need and inp.ch_names is not None:
            check_ch_names(inp.ch_names, ch_names, name=name)
        if labels is not None:
            labels = np.asarray(labels)
            if len(labels) != len(inp):
                raise ValueError(
                    f"y has {len(labels)} labels but {name} gives {len(inp)} windows; "
                    "leave y=None to use the recordings' labels"
                )
            inp.labels = labels
        return inp
    if _is_epochs(data):
        if "eye" in need:
            raise ValueError(
                f"{name}: mne.Epochs hold EEG only, but the eye modality is needed; pass eye "
                "features as X_eye (fusion) or use FeatureRecording objects"
            )
        inp = _epochs_to_inputs(data, n_windows=n_windows, name=name, ch_names=ch_names)
        if labels is not None:
            labels = np.asarray(labels)
            if len(labels) != len(inp):
                raise ValueError(f"y has {len(labels)} labels but {name} has {len(inp)} epochs")
            inp.labels = labels
        if "eye" in need:  # pragma: no cover  (rejected above)
            pass
        return inp
    if data is None:
        if need == ("eye",) and X_eye is not None:
            data, X_eye = X_eye, None
        else:
            raise ValueError(f"{name} must not be None")
    if not isinstance(data, np.ndarray) and not hasattr(data, "__array__"):
        raise TypeError(
            f"{name} must be an ndarray, mne.Epochs, FeatureRecording list or dataset path, "
            f"got {type(data).__name__}"
        )
    inp = Inputs()
    if trial_ids is not None:
        inp.trial_ids = np.asarray(trial_ids)
    if need == ("eye",):
        inp.eye = _array_windows(data, modality="eye", n_windows=n_windows, trial_ids=trial_ids,
                                 name=name)
    else:
        inp.eeg = _array_windows(data, modality="eeg", n_windows=n_windows, trial_ids=trial_ids,
                                 name=name)
        if "eye" in need:
            if X_eye is None:
                raise ValueError(
                    "X_eye is required for fusion (the eye modality is missing); pass eye "
                    "windows of shape (N, n_eye, T, 1)"
                )
            eye = np.asarray(X_eye)
            if not np.isfinite(eye).all():
                n_bad = int((~np.isfinite(eye)).sum())
                raise ValueError(
                    f"X_eye contains {n_bad} NaN/inf values; fill them first "
                    "(mne_mmvsstma.features.fill_eye_nan)"
                )
            inp.eye = _array_windows(eye, modality="eye", n_windows=n_windows,
                                     trial_ids=trial_ids, name="X_eye")
            if len(inp.eye) != len(inp.eeg):
                raise ValueError(
                    f"X_eye has {len(inp.eye)} windows but {name} has {len(inp.eeg)}"
                )
            if inp.eye.shape[2] != inp.eeg.shape[2]:
                raise ValueError(
                    f"X_eye windows have T={inp.eye.shape[2]} but {name} windows have "
                    f"T={inp.eeg.shape[2]}"
                )
        elif X_eye is not None:
            raise ValueError("X_eye was given but the model uses EEG only (fusion=None)")
    n = len(inp)
    if inp.trial_ids is not None and len(inp.trial_ids) != n:
        raise ValueError(f"trial_ids has {len(inp.trial_ids)} entries but {name} has {n} windows")
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {labels.shape}")
        if len(labels) != n:
            raise ValueError(f"y has {len(labels)} labels but {name} has {n} samples")
        inp.labels = labels
    if require_labels and inp.labels is None:
        raise ValueError(f"y is required when {name} is an array")
    return inp


def check_windows(X, name, modality):
    """Check windows of one modality and return float32 ``(N, C, T, F)``."""
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {X.dtype}")
    if modality == "eye" and X.ndim == 3:
        X = X[..., None]  # (N, n_eye, T) -> (N, n_eye, T, 1)
    if X.ndim != 4:
        shape = "(N, C, T, F)" if modality == "eeg" else "(N, n_eye, T, 1)"
        raise ValueError(
            f"{name} must be {modality} windows of shape {shape}, got shape {X.shape}; stack "
            "per-sample features into windows first (mne_mmvsstma.features.TrialWindows or "
            "make_windows)"
        )
    if modality == "eye" and X.shape[-1] != 1:
        raise ValueError(f"{name}: eye windows must have a last axis of size 1, got {X.shape}")
    if len(X) == 0:
        raise ValueError(f"{name} is empty")
    check_finite(X, name)
    return np.ascontiguousarray(X, dtype=np.float32)


def check_labels(labels, name="y", *, n=None, classes=None, seen="in training"):
    """Check that labels are finite integers and return them as int64.

    With ``n``, there must be one label per window; with ``classes``, every
    label must be one of them (``seen`` says where they were seen).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {labels.shape}")
    if np.issubdtype(labels.dtype, np.floating):
        if not np.isfinite(labels).all():
            raise ValueError(f"{name} contains NaN/inf labels")
        if not np.all(labels == np.round(labels)):
            raise ValueError(f"{name} must hold integer class labels")
    elif not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    if n is not None and len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels but X has {n} windows")
    if classes is not None:
        unknown = np.setdiff1d(np.unique(labels), classes)
        if len(unknown):
            raise ValueError(f"{name} holds labels {unknown.tolist()} unseen {seen} (classes_ = "
                             f"{np.asarray(classes).tolist()})")
    return labels.astype(np.int64)
