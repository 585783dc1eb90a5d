"""SEED-IV: raw EEG, EEG/eye feature files, and a simulator of the real layout.

Layout of the dataset (one folder per modality, one sub-folder per session)::

    <root>/eeg_raw_data/<session>/<subject>_<yyyymmdd>.mat
        keys <prefix>_eeg1 .. <prefix>_eeg24, arrays (62, 200 * seconds + 1), microvolts
    <root>/eeg_feature_smooth/<session>/<subject>_<yyyymmdd>.mat
        keys de_movingAve{t}, de_LDS{t}, psd_movingAve{t}, psd_LDS{t} (interleaved per
        trial t = 1..24), arrays (62, n_windows, 5): 4-s non-overlapping windows
    <root>/eye_feature_smooth/<session>/<subject>_<yyyymmdd>.mat
        keys eye_1 .. eye_24, arrays (31, n_windows), the same windows as the EEG

Session folders are named ``1``, ``2``, ``3``. Subjects are parsed from the
file names and sorted numerically; trials are found with regular expressions
on the variable names (the ``<prefix>`` differs per subject), never by
position.
"""

from __future__ import annotations

import datetime
import re
from numbers import Integral
from pathlib import Path

import numpy as np

from ..channels import SEED_CH_NAMES
from ..features.de import SEED_BANDS
from ..features.smoothing import moving_average, smooth_lds
from ..utils import check_option, check_random_state, docdict, fill_doc, logger, verbose
from ._base import EYE_EVENT_STAT_NAMES, FeatureRecording
from ._io import (
    FileTrials,
    check_eeg_array,
    collect_eeg_trials,
    find_session_folders,
    find_subject_files,
    list_mat_variables,
    load_mat,
    parse_subject_file_name,
    parse_trial_keys,
    select_values,
    trials_to_epochs,
    trials_to_raw,
)

DATASET = "SEED-IV"
SFREQ = 200.0
WINDOW = 4.0  # seconds per feature window

SEED_IV_EVENT_ID: dict[str, int] = {"neutral": 0, "sad": 1, "fear": 2, "happy": 3}
"""Emotion name -> SEED-IV label code."""

SEED_IV_LABELS: dict[int, tuple[int, ...]] = {
    1: (1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3),
    2: (2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1),
    3: (1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0),
}
"""Session (1-3) -> label code of trials 1..24 (same for every subject)."""

SEED_IV_N_WINDOWS: dict[int, tuple[int, ...]] = {
    1: (42, 23, 49, 32, 22, 40, 38, 52, 36, 42, 12, 27, 54, 42, 64, 35, 17, 44, 35, 12, 28, 28, 43,
        34),
    2: (55, 25, 34, 36, 53, 27, 34, 46, 34, 20, 60, 12, 36, 27, 44, 15, 46, 49, 45, 10, 37, 44, 24,
        19),
    3: (42, 32, 23, 45, 48, 26, 64, 23, 26, 16, 51, 41, 39, 19, 28, 44, 14, 17, 45, 22, 39, 38, 41,
        39),
}  # fmt: skip
"""Session (1-3) -> number of 4-s feature windows of trials 1..24."""


def _eye_feature_names() -> list[str]:
    names = []
    for stat in ("mean", "std"):
        names += [f"pupil_x_{stat}", f"pupil_y_{stat}"]
    for band in ("0.0-0.2Hz", "0.2-0.4Hz", "0.4-0.6Hz", "0.6-1.0Hz"):
        names += [f"pupil_x_de_{band}", f"pupil_y_de_{band}"]
    names += ["dispersion_x_mean", "dispersion_y_mean", "dispersion_x_std", "dispersion_y_std"]
    names += ["fixation_duration_mean", "fixation_duration_std"]
    names += [
        "saccade_duration_mean",
        "saccade_duration_std",
        "saccade_amplitude_mean",
        "saccade_amplitude_std",
    ]
    names += EYE_EVENT_STAT_NAMES
    return names


EYE_FEATURE_NAMES: list[str] = _eye_feature_names()
"""Names of the 31 SEED-IV eye-movement features, in file row order.

The group boundaries follow the dataset's readme: rows 1-12 pupil diameter
(X and Y: mean, standard deviation, DE in 0-0.2, 0.2-0.4, 0.4-0.6, 0.6-1 Hz),
13-16 dispersion (X and Y: mean, std), 17-18 fixation duration (mean, std),
19-22 saccade (mean and std of duration and amplitude), 23-31 event
statistics. The readme does not give the order *inside* a group; the X/Y
interleaving used here is our assumption, so rely on the groups, not on the
exact name of a single row.
"""

BAND_NAMES = list(SEED_BANDS)
_BAND_EDGES = tuple(SEED_BANDS.values())
FEATURE_KINDS = ("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve")
_FEATURE_WRITE_ORDER = ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS")
_RAW_KEY_RE = r"^(?P<prefix>[A-Za-z][A-Za-z0-9]*?)_eeg(?P<trial>\d+)$"
_EYE_KEY_RE = r"^eye_(?P<trial>\d+)$"
_FOLDERS = {"raw": "eeg_raw_data", "eeg": "eeg_feature_smooth", "eye": "eye_feature_smooth"}
#: MNE event codes must be >= 1: Epochs use ``label + 1`` (neutral=1 ... happy=4).
EVENT_OFFSET = 1

docdict["seed_subjects"] = """
subjects : int | list of int | None
    Subjects to read (numbers as in the file names). ``None`` reads all."""
docdict["seed_sessions"] = """
sessions : int | list of int | None
    Sessions to read. ``None`` reads all."""
docdict["seed_raw_returns"] = """
raw : mne.io.RawArray
    All trials of the file concatenated in trial order, in volts (the files
    store microvolts), with the 62-channel montage set. Every trial has one
    annotation: onset = its first sample, duration = all its samples,
    description = emotion name; ``raw.annotations.extras`` holds ``dataset``,
    ``subject``, ``session``, ``trial`` (0-based index, the variable is
    ``<prefix>_eeg{trial + 1}``), ``label`` (dataset code) and ``key``. Trial
    junctions carry ``"BAD boundary"`` and ``"EDGE boundary"`` annotations (as
    :func:`mne.concatenate_raws` adds), so filtering never mixes two trials.
    All samples are kept, including the extra last sample of each trial
    (the files hold ``200 * seconds + 1`` samples)."""
docdict["seed_epochs_notes"] = """
Windows start at each trial's first sample and never cross a trial
boundary; the samples at the end of a trial that do not fill a whole window
(at least the extra ``+1`` sample of every file trial) are dropped, so a
trial of ``200 * 4 * n + 1`` samples gives exactly the ``n`` windows of the
feature files. ``epochs.metadata`` has the columns ``dataset``, ``subject``,
``session``, ``trial`` (0-based, as ``FeatureRecording.trial_ids``),
``window`` (0-based index inside the trial) and ``label`` (the dataset's code).
MNE event codes must be positive, so ``epochs.event_id`` maps each emotion
name to ``label + offset``; use ``epochs.metadata["label"]`` for the codes."""


# --------------------------------------------------------------------------
# Raw EEG
# --------------------------------------------------------------------------


def _session_of(fname: Path, session) -> int:
    if session is not None:
        if not isinstance(session, Integral) or isinstance(session, bool):
            raise TypeError(f"session must be an int or None, got {session!r}")
        session = int(session)
    elif fname.parent.name.isdigit():
        session = int(fname.parent.name)
    else:
        raise ValueError(
            f"Cannot infer the SEED-IV session of {fname}: its folder "
            f"{fname.parent.name!r} is not a session number (1, 2 or 3); pass session="
        )
    if session not in SEED_IV_LABELS:
        raise ValueError(
            f"SEED-IV has labels for sessions {sorted(SEED_IV_LABELS)} only, got session "
            f"{session} for {fname}"
        )
    return session


def _check_n_trials(n_trials: int, n_labels: int, *, fname, what: str, session: int) -> None:
    if n_trials > n_labels:
        raise ValueError(
            f"{fname}: {n_trials} {what} trials but the label table of {DATASET} session "
            f"{session} has only {n_labels} labels (label/trial count mismatch)"
        )
    if n_trials < n_labels:
        logger.info(f"{fname}: {n_trials} of {n_labels} trials present")


@verbose
@fill_doc
def read_raw_seed_iv(fname, *, session=None, verbose=None):
    """Read one SEED-IV preprocessed EEG file (``eeg_raw_data``) into a Raw.

    Parameters
    ----------
    fname : path-like
        ``eeg_raw_data/<session>/<subject>_<yyyymmdd>.mat``. The subject is
        parsed from the file name, the session from the folder name.
    session : int | None
        Session number (1-3), needed only when the file is not inside its
        session folder.
    %(verbose)s

    Returns
    -------
    %(seed_raw_returns)s

    Notes
    -----
    The .mat files do not store the sampling rate: trials that last more than
    1.5 times the known duration of their film clip are rejected as data at
    another rate than the 200 Hz of the preprocessed EEG.
    """
    return trials_to_raw(_read_eeg_trials(fname, session))


def _read_eeg_trials(fname, session) -> FileTrials:
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"SEED-IV EEG file not found: {fname}")
    session = _session_of(fname, session)
    subject, date = parse_subject_file_name(fname)
    mat = load_mat(fname, what="SEED-IV EEG file")
    trials = parse_trial_keys(mat, _RAW_KEY_RE, fname=fname, what="<prefix>_eeg<trial>")
    labels = SEED_IV_LABELS[session]
    _check_n_trials(len(trials), len(labels), fname=fname, what="EEG", session=session)
    return collect_eeg_trials(
        mat,
        trials,
        labels=labels,
        # a trial of n 4-s windows lasts between 4 n and 4 (n + 1) seconds
        durations=[WINDOW * (n + 0.5) for n in SEED_IV_N_WINDOWS[session]],
        event_id=SEED_IV_EVENT_ID,
        fname=fname,
        dataset=DATASET,
        subject=subject,
        session=session,
        date=date,
        sfreq=SFREQ,
    )


@verbose
@fill_doc
def read_epochs_seed_iv(fname, *, window=4.0, session=None, verbose=None):
    """Read one SEED-IV EEG file into fixed-length windows (Epochs), trial by trial.

    Parameters
    ----------
    fname : path-like
        ``eeg_raw_data/<session>/<subject>_<yyyymmdd>.mat``.
    window : float
        Window length in seconds (default 4 s, the windows of the feature files).
    session : int | None
        Session number, needed only when the file is not in its session folder.
    %(verbose)s

    Returns
    -------
    epochs : mne.EpochsArray
        Non-overlapping windows, in volts, with ``event_id`` ``{"neutral": 1,
        "sad": 2, "fear": 3, "happy": 4}`` (label code + 1).

    Notes
    -----
    %(seed_epochs_notes)s
    """
    trials = _read_eeg_trials(fname, session)
    return trials_to_epochs(trials, window=window, event_offset=EVENT_OFFSET)


# --------------------------------------------------------------------------
# Feature files
# --------------------------------------------------------------------------


def _feature_root(root) -> Path:
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a str or pathlib.Path, got {type(root).__name__}")
    root = Path(root).expanduser()
    if root.name in (_FOLDERS["eeg"], _FOLDERS["eye"], _FOLDERS["raw"]):
        root = root.parent
    if not root.is_dir():
        raise FileNotFoundError(f"SEED-IV root folder not found: {root}")
    return root


def _read_trials(fname, pattern, *, what, n_rows, n_bands):
    """Read the arrays of one feature family of a file: list of (trial, key, array)."""
    variables = list_mat_variables(fname, what=f"SEED-IV {what} file")
    trials = parse_trial_keys(variables, pattern, fname=fname, what=what)
    mat = load_mat(fname, variable_names=list(trials.values()), what=f"SEED-IV {what} file")
    out = []
    for trial, key in trials.items():
        arr = np.asarray(mat[key], dtype=np.float64)
        ndim = 2 if n_bands is None else 3
        check_eeg_array(arr, fname=fname, key=key, n_channels=n_rows, ndim=ndim)
        if n_bands is not None and arr.shape[2] != n_bands:
            raise ValueError(
                f"{fname}: variable {key!r} has shape {arr.shape}, expected {n_bands} bands "
                "in the last dimension"
            )
        out.append((trial, key, arr))
    return out


def _trial_table(arrays, labels):
    n_windows = [arr.shape[1] for _, _, arr in arrays]
    trial_ids = np.repeat(np.arange(len(arrays)), n_windows)
    label_arr = np.repeat(np.asarray(labels[: len(arrays)], dtype=np.int64), n_windows)
    return trial_ids.astype(np.int64), label_arr


def _report_nan(eye, fname) -> int:
    n_nan = int(np.isnan(eye).sum())
    if n_nan:
        rows = int(np.isnan(eye).any(axis=1).sum())
        logger.info(f"{fname}: {n_nan} NaN eye-feature values in {rows} of {len(eye)} windows")
    return n_nan


@verbose
@fill_doc
def read_seed_iv_features(
    root,
    *,
    subjects=None,
    sessions=None,
    feature="de_LDS",
    eye=True,
    fill_eye=None,
    verbose=None,
):
    """Read SEED-IV EEG (and eye-movement) feature files.

    Parameters
    ----------
    root : path-like
        Folder that contains ``eeg_feature_smooth/`` (and ``eye_feature_smooth/``
        when ``eye=True``).
    %(seed_subjects)s
    %(seed_sessions)s
    feature : ``"de_LDS"`` | ``"de_movingAve"`` | ``"psd_LDS"`` | ``"psd_movingAve"``
        EEG feature family to read (differential entropy or power spectral
        density, smoothed with a linear dynamical system or a moving average).
    eye : bool
        Also read the 31 eye-movement features of the same windows.
    fill_eye : None | ``"interpolate"`` | ``"mean"`` | ``"zero"``
        The real eye-feature files contain NaN. ``None`` keeps them (they are
        counted and reported in the log); a method name fills them with
        :func:`fill_eye_nan`.
    %(verbose)s

    Returns
    -------
    recordings : list of FeatureRecording
        One per (subject, session), sorted by subject then session, with
        ``eeg`` of shape ``(n_windows, 62, 5)`` (file arrays ``(62, n, 5)``
        transposed), ``eye`` of shape ``(n_windows, 31)`` or ``None``,
        ``labels`` (codes of :data:`SEED_IV_EVENT_ID`) and 0-based ``trial_ids``.
    """
    check_option("feature", feature, FEATURE_KINDS)
    if fill_eye is not None:
        check_option("fill_eye", fill_eye, _FILL_METHODS)
    root = _feature_root(root)
    eeg_dir = root / _FOLDERS["eeg"]
    eye_dir = root / _FOLDERS["eye"]
    if not eeg_dir.is_dir():
        raise FileNotFoundError(f"SEED-IV EEG feature folder not found: {eeg_dir}")
    if eye and not eye_dir.is_dir():
        raise FileNotFoundError(
            f"SEED-IV eye feature folder not found: {eye_dir} (pass eye=False to read EEG only)"
        )
    session_dirs = find_session_folders(eeg_dir, what="SEED-IV EEG feature")
    use_sessions = select_values(session_dirs, sessions, name="sessions", where=eeg_dir)
    files = []
    for ses in use_sessions:
        if ses not in SEED_IV_LABELS:
            raise ValueError(
                f"SEED-IV has labels for sessions {sorted(SEED_IV_LABELS)} only; found the "
                f"session folder {session_dirs[ses]}"
            )
        found = find_subject_files(session_dirs[ses], what="SEED-IV EEG feature")
        _check_unique_subjects(found, session_dirs[ses])
        files += [(sub, ses, path) for sub, _, path in found]
    all_subjects = sorted({sub for sub, _, _ in files})
    use_subjects = select_values(all_subjects, subjects, name="subjects", where=eeg_dir)
    files = sorted((f for f in files if f[0] in use_subjects), key=lambda f: (f[0], f[1]))
    recordings = []
    n_nan_total = 0
    for subject, session, path in files:
        labels = SEED_IV_LABELS[session]
        eeg_trials = _read_trials(
            path,
            rf"^{re.escape(feature)}(?P<trial>\d+)$",
            what=feature,
            n_rows=len(SEED_CH_NAMES),
            n_bands=len(BAND_NAMES),
        )
        _check_n_trials(len(eeg_trials), len(labels), fname=path, what=feature, session=session)
        trial_ids, window_labels = _trial_table(eeg_trials, labels)
        eeg_data = np.concatenate([arr.transpose(1, 0, 2) for _, _, arr in eeg_trials])
        eye_data = None
        if eye:
            eye_path = eye_dir / path.parent.name / path.name
            if not eye_path.is_file():
                raise FileNotFoundError(
                    f"Eye feature file not found for {path}: expected {eye_path}"
                )
            eye_trials = _read_trials(
                eye_path,
                _EYE_KEY_RE,
                what="eye_<trial>",
                n_rows=len(EYE_FEATURE_NAMES),
                n_bands=None,
            )
            if len(eye_trials) != len(eeg_trials):
                raise ValueError(
                    f"{eye_path} has {len(eye_trials)} trials but {path} has "
                    f"{len(eeg_trials)} {feature} trials"
                )
            for (trial, key, arr), (_, eeg_key, eeg_arr) in zip(eye_trials, eeg_trials):
                if arr.shape[1] != eeg_arr.shape[1]:
                    raise ValueError(
                        f"{eye_path}: {key!r} has {arr.shape[1]} windows but {eeg_key!r} in "
                        f"{path} has {eeg_arr.shape[1]} (trial {trial}): the eye and EEG "
                        "windows do not match"
                    )
            eye_data = np.concatenate([arr.T for _, _, arr in eye_trials])
            n_nan_total += _report_nan(eye_data, eye_path)
            if fill_eye is not None:
                eye_data = fill_eye_nan(eye_data, trial_ids, method=fill_eye)
        recordings.append(
            FeatureRecording(
                dataset=DATASET,
                subject=subject,
                session=session,
                eeg=eeg_data,
                eye=eye_data,
                labels=window_labels,
                trial_ids=trial_ids,
                event_id=dict(SEED_IV_EVENT_ID),
                ch_names=list(SEED_CH_NAMES),
                band_names=list(BAND_NAMES),
                eye_names=list(EYE_FEATURE_NAMES) if eye else None,
                fname=str(path),
            )
        )
    if n_nan_total and fill_eye is None:
        logger.warning(
            f"The SEED-IV eye features contain {n_nan_total} NaN values in total; they were "
            "kept. Fill them with fill_eye='interpolate' (or mne_mmvsstma.datasets."
            "fill_eye_nan) before models or scalers that reject NaN."
        )
    logger.info(f"Read {len(recordings)} SEED-IV recordings from {root}")
    return recordings


def _check_unique_subjects(found, folder) -> None:
    seen = {}
    for sub, _, path in found:
        if sub in seen:
            raise ValueError(
                f"Two files for subject {sub} in the session folder {folder}: "
                f"{seen[sub].name} and {path.name}"
            )
        seen[sub] = path


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
        calls (as :func:`~mne_mmvsstma.training.split_recording` does), so that
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


# --------------------------------------------------------------------------
# Simulation (shared with the SEED simulator)
# --------------------------------------------------------------------------

# The generative core is calibrated to the statistics of the real files listed in
# SPEC "Real-data statistics" (tests/test_simulation_calibration.py checks them).
# Every feature of a recording is the sum of three independent components, in
# units of the feature's within-recording standard deviation:
#   class  (one value per emotion: population + subject + session pattern, scaled
#           per recording by a random "effect strength"),
#   trial  (one value per trial, unrelated to the emotion),
#   within (a value per window: AR(1) + white noise).
# The component variances below are *generative* values: the fractions measured
# on a session (between-class / between-trial-within-class / within-trial) differ
# because e.g. with 5-6 trials per class the class means also carry trial noise.

#: Mean SEED-style DE (log2(100 E)) of each band for 1-s windows, the scale of the
#: official files; a window of ``w`` seconds adds ``log2(w)`` (same amplitude).
_DE_BASE = np.array([24.0, 21.5, 20.0, 18.0, 15.5])
#: Within-recording standard deviation of 1-s DE per band (log2 units).
_DE_SD = np.array([1.2, 1.1, 1.1, 1.0, 1.1])
#: Real SEED 1-s DE: mean inter-channel correlation per band.
_DE_CHANNEL_CORR = np.array([0.39, 0.54, 0.59, 0.71, 0.71])
#: Generative inter-channel correlation: a little above the target because a
#: session's 15 trials under-sample the trial component.
_DE_CHANNEL_CORR_GEN = np.minimum(1.04 * _DE_CHANNEL_CORR, 0.99)
#: Correlation between bands of the part shared by all channels (neighbours highest;
#: gives channel-mean correlations .66-.90 as the real .65-.91).
_DE_BAND_CORR = 0.91 ** np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
#: Generative variances of 1-s DE (sum 1): class, trial, within-trial.
_DE_VAR = {"class": 0.024, "trial": 0.416, "within": 0.56}
#: SEED-IV EEG has no measured target in SPEC: its class variance is set so that a
#: linear SVM on 4-s de_LDS gives ~70 % (the SVM figure published for SEED-IV EEG,
#: Zheng et al. 2019, EmotionMeter); trial and within-trial parts are SEED's.
_SEED_IV_DE_CLASS_VAR = 0.07
#: Within-trial part of 1-s DE: share of AR(1) (rest white) and its coefficient;
#: lag-1 autocorrelation = share * phi (real SEED: 0.16).
_DE_AR = (0.215, 0.8)
#: Fraction of the inter-channel correlation kept by the class pattern (the emotion
#: effect is more channel-specific than the trial-to-trial fluctuations).
_DE_CLASS_SHARED = 0.5

#: Real SEED-IV eye features: p1 / median / p99 per row (SPEC); ``lin`` rows are
#: interpolated linearly (DE values, counts), the others on the log scale. The four
#: heavy-tailed rows get their bulk here (p99 = median^2 / p1) and their tail from
#: artifact trials (see ``_EYE_HEAVY``).
_EYE_QUANTILES = np.array(
    [(51, 86, 142), (35, 64, 109), (2.5, 5.2, 12), (2.5, 5.5, 19)]  # pupil mean, std
    + [(23.6, 25, 27), (23.6, 25, 27), (17, 20, 23), (17, 20, 23),  # pupil DE, 4 bands
       (10, 15, 19), (10, 15, 19), (3.2, 12, 16), (3.2, 12, 16)]
    + [(4.4, 9.7, 23), (5.8, 11, 41), (4.4, 9.7, 23), (5.8, 11, 41)]  # dispersion
    + [(122, 249, 502), (51, 164, 463)]  # fixation duration mean, std
    + [(72, 79, 91), (2.7, 5.8, 5.8**2 / 2.7), (11, 18, 38), (2.0, 4.7, 4.7**2 / 2.0)]  # saccade
    + [(0, 0.3, 1.2), (1.3, 2.5, 3.4), (466, 1764, 14070), (2247, 9481, 33950),
       (81, 228, 228**2 / 81), (1, 2.4, 4), (73, 79, 91), (2.7, 5.8, 5.8**2 / 2.7),
       (166, 329, 858)]  # event statistics
)  # fmt: skip
_EYE_LINEAR = np.zeros(31, bool)
_EYE_LINEAR[4:12] = True
_EYE_LINEAR[22] = True  # blink frequency: 7 % zeros
_EYE_ZERO_FRACTION = {22: 0.07}
#: 0-based heavy-tailed rows (1-based 20, 22, 27, 30) -> real p99 / median. Their
#: tail comes from trials with artifacts (3 % of the trials, the whole trial
#: multiplied by a log-uniform factor, as the smoothing of the real files spreads
#: one bad window over its trial).
_EYE_HEAVY = {19: 105.0, 21: 310.0, 26: 15.5, 29: 104.0}
_EYE_ARTIFACT_P = 0.03
#: Rows that duplicate others in the real files (29 ~ 19, 30 ~ 20, 1-based).
_EYE_COPIES = {28: 18, 29: 19}
#: Feature groups (the readme's): features of a group share half their variance.
_EYE_GROUPS = np.repeat(np.arange(7), [2, 2, 8, 4, 2, 4, 9])
_EYE_GROUP_CORR = 0.75
#: The emotion effect of the eye features is carried by fewer dimensions (groups
#: move together more), which sets the linear-SVM accuracy for a given class variance.
_EYE_CLASS_GROUP_CORR = 0.95
#: Generative variances of the smoothed eye features (sum 1) and AR(1) coefficient.
_EYE_VAR = {"class": 0.30, "trial": 0.692, "within": 0.008}
_EYE_AR = 0.72
#: Recording-to-recording spread of the median, in within-recording std units.
_EYE_RECORDING_SD = 0.6
#: Gamma shape of the per-recording effect strength (mean 1): spreads per-recording
#: accuracy as in the real data (some recordings near chance).
_EFFECT_SHAPE = {"de": 8.0, "eye": 30.0}
#: Share of the class pattern common to the population / the subject / the session.
_CLASS_SHARES = (0.4, 0.3, 0.3)

_N_CH = len(SEED_CH_NAMES)
_N_EYE = len(_EYE_QUANTILES)


def _de_field(rng, prefix, channel_corr=_DE_CHANNEL_CORR_GEN):
    """Unit-variance (*prefix, 62, 5) field with the real inter-channel / inter-band structure."""
    chol = np.linalg.cholesky(_DE_BAND_CORR)
    shared = rng.standard_normal((*prefix, 1, 5)) @ chol.T
    own = rng.standard_normal((*prefix, _N_CH, 5)) @ chol.T
    return np.sqrt(channel_corr) * shared + np.sqrt(1.0 - channel_corr) * own


def _eye_field(rng, prefix, group_corr=_EYE_GROUP_CORR):
    """Unit-variance (*prefix, 31) eye field: features of a group correlate by ``group_corr``."""
    group = rng.standard_normal((*prefix, _EYE_GROUPS.max() + 1))[..., _EYE_GROUPS]
    own = rng.standard_normal((*prefix, _N_EYE))
    out = np.sqrt(group_corr) * group + np.sqrt(1 - group_corr) * own
    for row, src in _EYE_COPIES.items():
        out[..., row] = 0.995 * out[..., src] + 0.1 * own[..., row]
    return out


def _center_classes(pattern):
    n = len(pattern)
    return (pattern - pattern.mean(axis=0)) * np.sqrt(n / max(n - 1, 1))


class _Simulator:
    """Calibrated generative core of the SEED / SEED-IV simulators.

    DE of channel ``c``, band ``b``, window ``t`` of trial ``j`` (class ``k``) of
    one recording, in SEED-style units (log2 of band power)::

        DE = level[c, b] + sd[b] * (class[k, c, b] + trial[j, c, b] + within[t, c, b])

    with independent unit-variance-field components whose variances are
    :data:`_DE_VAR` (``class`` scaled by ``effect_size ** 2`` and by a random
    per-recording effect strength). Every component has the real inter-channel
    correlation per band and inter-band correlation. ``within`` is generated at
    1-s resolution (AR(1) + white) and averaged over the seconds of longer
    windows, so 4-s windows vary less within a trial. Eye features use the
    same scheme in standardised units (:data:`_EYE_VAR`), plus a recording
    offset, then a monotone map onto the real per-feature quantiles, artifact
    trials for the heavy-tailed rows and copies of duplicated rows. The raw EEG
    of a window is random-phase noise whose band powers reproduce the window's
    DE (see :func:`_simulate_eeg`).

    Independent random streams are derived from one seed for the population,
    each subject and each (subject, session), so that e.g. subject 1 is the same
    whatever ``n_subjects`` is.
    """

    def __init__(self, random_state, n_classes, effect_size, de_class_var=_DE_VAR["class"]):
        self.de_class_var = float(de_class_var)
        self.seed = int(check_random_state(random_state).integers(2**62))
        self.effect_size = float(effect_size)
        self.n_classes = n_classes
        rng = self.rng(0)
        self.class_corr = _DE_CLASS_SHARED * _DE_CHANNEL_CORR_GEN
        self.pattern = _center_classes(_de_field(rng, (n_classes,), self.class_corr))
        self.eye_pattern = _center_classes(_eye_field(rng, (n_classes,), _EYE_CLASS_GROUP_CORR))
        self.channel_base = _DE_BASE + 0.8 * rng.standard_normal((_N_CH, 5))
        self._subjects = {}

    def rng(self, *key):
        return np.random.default_rng([self.seed, *key])

    def subject(self, subject):
        if subject not in self._subjects:
            rng = self.rng(1, subject)
            pattern = _center_classes(_de_field(rng, (self.n_classes,), self.class_corr))
            eye_pattern = _center_classes(_eye_field(rng, (self.n_classes,), _EYE_CLASS_GROUP_CORR))
            base = self.channel_base + 0.7 * rng.standard_normal((_N_CH, 5))
            eye_base = rng.standard_normal(_N_EYE)
            self._subjects[subject] = (base, pattern, eye_base, eye_pattern)
        return self._subjects[subject]

    def recording(self, subject, session, klasses):
        """Per-trial means of one recording: DE level (n_trials, 62, 5), eye (n_trials, 31).

        The eye means are in standardised units (before the quantile map).
        """
        base, pattern, eye_base, eye_pattern = self.subject(subject)
        rng = self.rng(2, subject, session)
        w_pop, w_sub, w_ses = np.sqrt(_CLASS_SHARES)
        strength = [rng.gamma(k, 1 / k) for k in (_EFFECT_SHAPE["de"], _EFFECT_SHAPE["eye"])]
        ses = _center_classes(_de_field(rng, (self.n_classes,), self.class_corr))
        klass = w_pop * self.pattern + w_sub * pattern + w_ses * ses
        klass *= self.effect_size * np.sqrt(self.de_class_var * strength[0])
        eye_ses = _center_classes(_eye_field(rng, (self.n_classes,), _EYE_CLASS_GROUP_CORR))
        eye_klass = w_pop * self.eye_pattern + w_sub * eye_pattern + w_ses * eye_ses
        eye_klass *= self.effect_size * np.sqrt(_EYE_VAR["class"] * strength[1])
        level = base + 0.3 * rng.standard_normal((_N_CH, 5))
        eye_level = _EYE_RECORDING_SD * (
            0.7 * eye_base + np.sqrt(1 - 0.7**2) * rng.standard_normal(_N_EYE)
        )
        klasses = np.asarray(klasses)
        n_trials = len(klasses)
        trial = np.sqrt(_DE_VAR["trial"]) * _de_field(rng, (n_trials,))
        de_mean = level + _DE_SD * (klass[klasses] + trial)
        eye_trial = np.sqrt(_EYE_VAR["trial"]) * _eye_field(rng, (n_trials,))
        eye_mean = eye_level + eye_klass[klasses] + eye_trial
        artifacts = {
            row: np.where(
                rng.random(n_trials) < _EYE_ARTIFACT_P,
                np.exp(rng.uniform(np.log(ratio / 6), np.log(3 * ratio), n_trials)),
                1.0,
            )
            for row, ratio in _EYE_HEAVY.items()
        }
        for row, src in _EYE_COPIES.items():
            if row in artifacts and src in artifacts:
                artifacts[row] = artifacts[src]
        return de_mean, eye_mean, artifacts

    def de_trial(self, rng, mean, n_windows, window=1.0):
        """Unsmoothed DE (n_windows, 62, 5) of one trial with ``window``-second windows."""
        sub = max(1, int(round(window)))  # 1-s steps per window
        share, phi = _DE_AR
        n = n_windows * sub
        within = np.sqrt(share) * _de_field_ar(rng, n, phi) + np.sqrt(1 - share) * _de_field(
            rng, (n,)
        )
        within = within.reshape(n_windows, sub, _N_CH, 5).mean(axis=1)
        return mean + np.log2(window) + _DE_SD * np.sqrt(_DE_VAR["within"]) * within

    def eye_trial(self, rng, mean, artifacts, trial, n_windows):
        """Eye features (n_windows, 31) of one trial, on the real per-feature scales."""
        within = np.sqrt(_EYE_VAR["within"]) * _eye_field_ar(rng, n_windows, _EYE_AR)
        z = (mean + within) / np.sqrt(1 + _EYE_RECORDING_SD**2)
        return _eye_scale(z, {row: f[trial] for row, f in artifacts.items()})


def _de_field_ar(rng, n, phi):
    """(n, 62, 5) field, AR(1) along the windows, unit variance."""
    from scipy.signal import lfilter

    x = _de_field(rng, (n,))
    x[1:] *= np.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], x, axis=0)


def _eye_field_ar(rng, n, phi):
    from scipy.signal import lfilter

    x = _eye_field(rng, (n,))
    x[1:] *= np.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], x, axis=0)


_Z99 = 2.3263478740408408


def _eye_scale(z, artifacts):
    """Map standard-normal eye values (n, 31) onto the real p1 / median / p99 per row."""
    p1, med, p99 = _EYE_QUANTILES.T
    out = np.empty_like(z)
    lin = _EYE_LINEAR
    lo = np.where(lin, med - p1, np.log(med / np.where(lin, 1, p1))) / _Z99
    hi = np.where(lin, p99 - med, np.log(p99 / med)) / _Z99
    step = np.where(z < 0, lo, hi) * z
    out[:, lin] = (med + step)[:, lin]
    out[:, ~lin] = (med * np.exp(step))[:, ~lin]
    for row, frac in _EYE_ZERO_FRACTION.items():
        # a point mass at 0: the lowest ``frac`` of the values are 0
        from scipy.special import ndtri

        z0 = ndtri(frac)
        slope = med[row] / -z0
        step = np.where(z[:, row] < 0, slope, hi[row]) * z[:, row]
        out[:, row] = np.maximum(0.0, med[row] + step)
    for row, factor in artifacts.items():
        out[:, row] *= factor
    return out


def _simulate_eeg(rng, de, *, window, sfreq=SFREQ, n_iter=1):
    """Raw EEG (62, n_windows * window * sfreq + 1) in microvolts whose DE follows ``de``.

    Each ``window``-second window is random-phase noise with a 1/f-shaped
    spectrum inside each band. The band amplitudes solve the (measured) leakage
    of the Hann-windowed FFT between bands, then ``n_iter`` refinement passes
    through :func:`~mne_mmvsstma.features.compute_de` (SEED method, the
    package's defaults) make the SEED-style DE of every window equal the
    target ``de`` (n_windows, 62, 5) within ~0.05 log2 units. Consecutive
    windows are cross-faded over their outer 10 % (where the Hann window of
    the DE is nearly zero) so the signal is continuous; 0-1 Hz is empty (the
    data are band-passed) and 50-100 Hz holds weak noise.
    """
    from ..features.de import compute_de

    n_win = len(de)
    n = int(round(window * sfreq))
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq)
    # each band is synthesised on the bins at least 1.5 FFT bins away from its edges
    # (the centre bin if none), so that the Hann window of the DE leaks little power
    # into the neighbouring bands and any combination of band levels can be reached
    margin = 1.5 * sfreq / n
    band_of_bin = np.full(len(freqs), -1)
    for idx, (lo, hi) in enumerate(_BAND_EDGES):
        sel = (freqs >= lo + margin) & (freqs <= hi - margin)
        if not sel.any():
            sel = freqs == freqs[np.argmin(np.abs(freqs - (lo + hi) / 2))]
        band_of_bin[sel] = idx
    shape = 1.0 / np.sqrt(np.maximum(freqs, 1.0))
    phases = np.exp(2j * np.pi * rng.random((n_win, _N_CH, len(freqs))))
    # bins of each source band; weak noise above the bands rides on the gamma level
    high = freqs >= _BAND_EDGES[-1][1] + margin
    source = np.where(band_of_bin >= 0, band_of_bin, np.where(high, 4, -1))
    weight = np.where(band_of_bin >= 0, 1.0, 0.3) * shape

    def synth(gain):  # gain (n_win, 62, 5) amplitude factor per source band
        amp = np.where(source >= 0, gain[..., np.maximum(source, 0)], 0.0) * weight
        return np.fft.irfft(phases * amp, n=n, axis=-1)

    # the DE of band b is (nearly) linear in the powers of the source bands: measure
    # the leakage matrix of every window / channel, solve it, then refine
    leak = np.empty((n_win, _N_CH, 5, 5))
    for src in range(5):
        unit = np.zeros((n_win, _N_CH, 5))
        unit[..., src] = 1.0
        leak[..., src] = 2.0 ** compute_de(synth(unit), sfreq, verbose=False)
    power = np.linalg.solve(leak, 2.0 ** de[..., None])[..., 0]
    gain = np.sqrt(np.maximum(power, 1e-3 * 2.0**de / np.diagonal(leak, axis1=-2, axis2=-1)))
    for _ in range(n_iter):
        got = compute_de(synth(gain), sfreq, verbose=False)
        gain *= 2.0 ** ((de - got) / 2.0)
    x = synth(gain)  # (n_win, 62, n)
    m = max(1, n // 10)
    ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(m) + 0.5) / m)
    if n_win > 1:  # windows are periodic: blend the end of w into the end of w + 1
        x[:-1, :, n - m :] = (1 - ramp) * x[:-1, :, n - m :] + ramp * x[1:, :, n - m :]
    out = np.concatenate([x.transpose(1, 0, 2).reshape(_N_CH, n_win * n), x[-1, :, :1]], axis=1)
    return out


def _subject_prefix(subject: int) -> str:
    """Letters-only key prefix per subject (the real files use initials)."""
    consonants = "bcdfghjklmnpqrstwxyz"
    return consonants[(7 * subject) % 20] + consonants[(3 * subject + 5) % 20]


def _file_date(subject: int, session: int, start=datetime.date(2016, 5, 18)) -> str:
    date = start + datetime.timedelta(days=3 * (subject - 1) + 14 * (session - 1))
    return date.strftime("%Y%m%d")


def _window_counts(n_windows, table, n_trials, name):
    if n_windows is None:
        counts = list(table[:n_trials])
    elif isinstance(n_windows, Integral):
        counts = [int(n_windows)] * n_trials
    else:
        counts = [int(n) for n in n_windows]
        if len(counts) != n_trials:
            raise ValueError(f"{name}: n_windows has {len(counts)} entries but n_trials={n_trials}")
    if min(counts) < 1:
        raise ValueError(f"{name}: n_windows must be >= 1, got {counts}")
    return counts


def _check_sim_args(n_subjects, sessions, n_trials, max_trials, valid_sessions, name):
    if not isinstance(n_subjects, Integral) or n_subjects < 1:
        raise ValueError(f"{name}: n_subjects must be a positive int, got {n_subjects!r}")
    if isinstance(sessions, Integral):
        sessions = (sessions,)
    sessions = tuple(int(s) for s in sessions)
    bad = sorted(set(sessions) - set(valid_sessions))
    if bad or not sessions or len(set(sessions)) != len(sessions):
        raise ValueError(
            f"{name}: sessions must be distinct values among {sorted(valid_sessions)}, "
            f"got {sessions}"
        )
    if not isinstance(n_trials, Integral) or not 1 <= n_trials <= max_trials:
        raise ValueError(f"{name}: n_trials must be an int in 1..{max_trials}, got {n_trials!r}")
    return sessions


def _smoothed_features(de, trial, kinds=_FEATURE_WRITE_ORDER):
    """Feature-file variables of one trial from unsmoothed DE (n, 62, 5)."""
    psd = 2.0**de / 100.0
    one_trial = np.zeros(len(de), dtype=int)
    smoothed = {
        "de_movingAve": lambda: moving_average(de, one_trial),
        "de_LDS": lambda: smooth_lds(de, one_trial),
        "psd_movingAve": lambda: moving_average(psd, one_trial),
        "psd_LDS": lambda: smooth_lds(psd, one_trial),
    }
    return {f"{kind}{trial}": smoothed[kind]().transpose(1, 0, 2) for kind in kinds}


def _savemat(path: Path, data: dict) -> None:
    import scipy.io

    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, data, do_compression=False, oned_as="row")


def _has_eye_nan(subject, session, sessions):
    """The real files hold NaN in one recording of 45: here the first written session
    of subjects 1, 16, 31... (so that every simulated folder exercises the NaN path)."""
    return subject % 15 == 1 and session == sessions[0]


def _add_eye_nan(rng, eye_dict, fraction):
    """Set ``fraction`` of the values of one recording's eye arrays to NaN (at least one)."""
    sizes = [arr.size for arr in eye_dict.values()]
    flat_nan = rng.random(sum(sizes)) < fraction
    if not flat_nan.any():
        flat_nan[rng.integers(len(flat_nan))] = True
    for arr, mask in zip(eye_dict.values(), np.split(flat_nan, np.cumsum(sizes)[:-1])):
        arr[mask.reshape(arr.shape)] = np.nan


@verbose
@fill_doc
def simulate_seed_iv(
    root,
    *,
    n_subjects=2,
    sessions=(1,),
    n_trials=24,
    n_windows=None,
    raw=True,
    features=True,
    eye_nan=0.008,
    effect_size=1.0,
    random_state=0,
    verbose=None,
):
    """Write a simulated SEED-IV folder in the exact real layout.

    Parameters
    ----------
    root : path-like
        Output folder (created). ``eeg_raw_data/``, ``eeg_feature_smooth/`` and
        ``eye_feature_smooth/`` are written inside, with session folders
        ``1``-``3`` and files ``<subject>_<yyyymmdd>.mat``.
    n_subjects : int
        Number of subjects (numbered 1..n_subjects).
    sessions : int | tuple of int
        Sessions to write (among 1, 2, 3); labels follow :data:`SEED_IV_LABELS`.
    n_trials : int
        Trials per session (the first ``n_trials`` of the 24).
    n_windows : int | list of int | None
        4-s windows per trial: ``None`` uses the real counts of
        :data:`SEED_IV_N_WINDOWS` (about 50 min of EEG per session), an int
        that many windows for every trial (small test folders).
    raw : bool
        Write ``eeg_raw_data`` (62 channels, 200 Hz, ``800 * n_windows + 1``
        samples per trial, microvolts).
    features : bool
        Write ``eeg_feature_smooth`` (de/psd, movingAve/LDS, ``(62, n, 5)``)
        and ``eye_feature_smooth`` (``(31, n)``).
    eye_nan : float
        Fraction of the eye-feature values set to NaN in the recordings that
        hold NaN. As in the real files (NaN in one recording of 45, 0.8 %% of its
        values), only the first written session of subjects 1, 16, 31, ... has
        NaN (at least one value when ``eye_nan > 0``); ``0`` writes none.
    effect_size : float
        Scale of the between-class (emotion) part relative to its calibrated
        value: ``1.0`` (default) = calibrated to the real-data statistics
        (SPEC "Real-data statistics"), ``0`` = no emotion information, ``2`` =
        twice the calibrated amplitude.
    %(random_state)s
    %(verbose)s

    Returns
    -------
    root : pathlib.Path
        The output folder.

    Notes
    -----
    The data come from one calibrated generative core (``_Simulator``), whose
    defaults reproduce the statistics measured on the real files: variance
    fractions between class / between trial / within trial, lag-1
    autocorrelation, inter-channel and inter-band correlation of DE, per-feature
    scales and tails of the eye features, the NaN pattern, and a per-recording
    linear-SVM accuracy spread (eye: mean ~57 %%, std ~18-20 %%). The unsmoothed
    DE is simulated at 1-s resolution with SEED's statistics and averaged to
    the 4-s windows; ``de_movingAve`` / ``de_LDS`` are its smoothed versions
    (LDS-smoothed windows barely move within a trial, as in the real files),
    ``psd_*`` the same for ``2 ** DE / 100``. The raw EEG is random-phase noise
    whose band powers reproduce the unsmoothed DE of every 4-s window, so
    :func:`~mne_mmvsstma.features.compute_de` (``window=4.``) on the raw data
    returns it within ~0.05 (log2 units) and smoothing that gives the feature
    files. Effect sizes are calibrated to statistics, not tuned to any model.
    """
    sessions = _check_sim_args(
        n_subjects, sessions, n_trials, 24, SEED_IV_LABELS, "simulate_seed_iv"
    )
    if not 0.0 <= float(eye_nan) < 1.0:
        raise ValueError(f"eye_nan must be in [0, 1), got {eye_nan!r}")
    root = Path(root).expanduser()
    sim = _Simulator(
        random_state, len(SEED_IV_EVENT_ID), effect_size, de_class_var=_SEED_IV_DE_CLASS_VAR
    )
    codes = sorted(SEED_IV_EVENT_ID.values())
    for subject in range(1, n_subjects + 1):
        for session in sessions:
            labels = SEED_IV_LABELS[session][:n_trials]
            klasses = [codes.index(label) for label in labels]
            counts = _window_counts(
                n_windows, SEED_IV_N_WINDOWS[session], n_trials, "simulate_seed_iv"
            )
            name = f"{subject}_{_file_date(subject, session)}.mat"
            prefix = _subject_prefix(subject)
            de_mean, eye_mean, artifacts = sim.recording(subject, session, klasses)
            de_rng, eye_rng = sim.rng(3, subject, session), sim.rng(5, subject, session)
            raw_rng = sim.rng(4, subject, session)
            raw_dict, eeg_dict, eye_dict = {}, {}, {}
            for t, n_win in enumerate(counts, start=1):
                de = sim.de_trial(de_rng, de_mean[t - 1], n_win, window=WINDOW)
                if features:
                    eeg_dict.update(_smoothed_features(de, t))
                    eye_dict[f"eye_{t}"] = sim.eye_trial(
                        eye_rng, eye_mean[t - 1], artifacts, t - 1, n_win
                    ).T
                if raw:
                    raw_dict[f"{prefix}_eeg{t}"] = _simulate_eeg(raw_rng, de, window=WINDOW)
            if features and eye_nan > 0 and _has_eye_nan(subject, session, sessions):
                _add_eye_nan(sim.rng(6, subject, session), eye_dict, eye_nan)
            ses = str(session)
            if raw:
                _savemat(root / _FOLDERS["raw"] / ses / name, raw_dict)
            if features:
                _savemat(root / _FOLDERS["eeg"] / ses / name, eeg_dict)
                _savemat(root / _FOLDERS["eye"] / ses / name, eye_dict)
            logger.info(f"Wrote simulated SEED-IV sub-{subject} ses-{session} ({name})")
    return root
