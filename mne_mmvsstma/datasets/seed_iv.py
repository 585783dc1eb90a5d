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

#: Typical SEED-style DE level (log2(100 E)) of each band, the scale of the
#: official feature files (values ~10-30).
_DE_BASE = np.array([24.0, 21.5, 20.0, 18.0, 15.5])
#: How strongly each band carries the emotion effect (higher bands more, as
#: reported for SEED: beta/gamma are the most discriminative).
_BAND_EFFECT = np.array([0.4, 0.5, 0.8, 1.0, 1.2])

# eye features: (location, spread, positive-only) -> simulated on the log scale when positive
_EYE_SCALE = (
    [(3.5, 0.08, True)] * 2  # pupil mean (mm)
    + [(0.15, 0.25, True)] * 2  # pupil std
    + [(-1.0, 0.4, False), (-1.0, 0.4, False), (-2.0, 0.4, False), (-2.0, 0.4, False),
       (-2.8, 0.4, False), (-2.8, 0.4, False), (-3.3, 0.4, False), (-3.3, 0.4, False)]
    + [(60.0, 0.25, True)] * 2 + [(30.0, 0.3, True)] * 2  # dispersion
    + [(280.0, 0.2, True), (150.0, 0.25, True)]  # fixation duration
    + [(45.0, 0.2, True), (20.0, 0.25, True), (4.0, 0.25, True), (2.5, 0.3, True)]  # saccade
    + [(0.3, 0.4, True), (2.5, 0.2, True), (800.0, 0.25, True), (150.0, 0.25, True),
       (40.0, 0.25, True), (2.0, 0.2, True), (45.0, 0.2, True), (4.0, 0.25, True),
       (250.0, 0.2, True)]  # event statistics
)  # fmt: skip
#: Eye features that carry the emotion effect most (pupil, then events).
_EYE_EFFECT = np.array([1.2] * 12 + [0.6] * 4 + [0.8] * 2 + [0.6] * 4 + [0.8] * 9)


class _Simulator:
    """Emotion-dependent EEG band power / eye features with subject variability.

    The model, in SEED-style DE units (log2 of band power):

    ``DE[t, c, b] = base[c, b] + subject[c, b] + effect_s[k, c, b] + trial[c, b]
    + AR1[t, c, b]`` for a window ``t`` of a trial of class ``k``, where
    ``effect_s`` is a population class pattern plus a subject-specific part,
    ``trial`` a random offset per trial (shared in part by all channels of a
    band) and ``AR1`` temporally autocorrelated noise. The same
    ``effect_s + trial`` sets the band amplitudes of the simulated raw EEG.
    Eye features follow the same scheme in standardised units.

    Independent random streams are derived from one seed for the population,
    each subject, and each (subject, session) for trial offsets, features and
    raw EEG, so that e.g. subject 1 is the same whatever ``n_subjects`` is and
    the raw EEG does not depend on whether features are written too.
    """

    def __init__(self, random_state, n_classes, effect_size):
        self.seed = int(check_random_state(random_state).integers(2**62))
        self.effect_size = float(effect_size)
        rng = self.rng(0)
        n_ch = len(SEED_CH_NAMES)
        pattern = rng.standard_normal((n_classes, n_ch, 5)) * _BAND_EFFECT
        self.pattern = pattern - pattern.mean(axis=0)
        self.channel_base = _DE_BASE + 0.8 * rng.standard_normal((n_ch, 5))
        eye_pattern = rng.standard_normal((n_classes, len(_EYE_SCALE))) * _EYE_EFFECT
        self.eye_pattern = eye_pattern - eye_pattern.mean(axis=0)
        self._subjects = {}

    def rng(self, *key):
        return np.random.default_rng([self.seed, *key])

    def subject(self, subject):
        if subject not in self._subjects:
            rng = self.rng(1, subject)
            n_ch = len(SEED_CH_NAMES)
            eff = self.pattern + 0.6 * rng.standard_normal(self.pattern.shape) * _BAND_EFFECT
            eff = self.effect_size * 0.3 * (eff - eff.mean(axis=0))
            base = self.channel_base + 0.7 * rng.standard_normal((n_ch, 5))
            eye_eff = self.eye_pattern + 0.6 * rng.standard_normal(self.eye_pattern.shape)
            eye_eff = self.effect_size * 0.4 * (eye_eff - eye_eff.mean(axis=0))
            eye_base = 0.7 * rng.standard_normal(len(_EYE_SCALE))
            self._subjects[subject] = (base, eff, eye_base, eye_eff)
        return self._subjects[subject]

    def trial_offsets(self, subject, session, n_trials):
        """Random per-trial band-power offsets (log2 units), shape (n_trials, 62, 5)."""
        rng = self.rng(2, subject, session)
        n_ch = len(SEED_CH_NAMES)
        return 0.35 * rng.standard_normal((n_trials, n_ch, 5)) + 0.35 * rng.standard_normal(
            (n_trials, 1, 5)
        )

    def de_trial(self, rng, subject, klass, offset, n_windows, rho):
        base, eff, _, _ = self.subject(subject)
        noise = _ar1(rng, (n_windows, len(SEED_CH_NAMES), 5), rho)
        return base + eff[klass] + offset + noise

    def eye_trial(self, rng, subject, klass, n_windows, rho):
        _, _, eye_base, eye_eff = self.subject(subject)
        n_eye = len(_EYE_SCALE)
        offset = 0.4 * rng.standard_normal(n_eye)
        z = eye_base + eye_eff[klass] + offset + 0.8 * _ar1(rng, (n_windows, n_eye), rho)
        loc = np.array([s[0] for s in _EYE_SCALE])
        spread = np.array([s[1] for s in _EYE_SCALE])
        positive = np.array([s[2] for s in _EYE_SCALE])
        return np.where(positive, loc * np.exp(spread * z), loc + spread * z)

    def raw_gain(self, subject, klass, offset):
        """log2 band-power change (62, 5) of the raw EEG of one trial."""
        return self.subject(subject)[1][klass] + offset


def _ar1(rng, shape, rho):
    """Unit-variance AR(1) noise along axis 0 (stationary from the first sample)."""
    out = rng.standard_normal(shape)
    scale = np.sqrt(1 - rho**2)
    for t in range(1, shape[0]):  # short loop (windows); avoids importing scipy.signal
        out[t] = rho * out[t - 1] + scale * out[t]
    return out


def _simulate_eeg(rng, n_samples, log2_gain, sfreq=SFREQ, amplitude=20.0):
    """Simulate (62, n_samples) EEG in microvolts by spectral shaping of noise.

    Every band's power is multiplied by ``2 ** log2_gain[:, band]`` so the
    SEED-style DE of the band moves by ``log2_gain`` (the feature model).
    """
    n_ch = log2_gain.shape[0]
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    f = np.maximum(freqs, 1.0)
    spectrum = 1.0 / f + 0.12 * np.exp(-0.5 * ((freqs - 10.0) / 1.5) ** 2)
    spectrum[freqs < 0.5] = 0.0  # no DC / drift (the data are band-passed)
    spectrum[freqs > 75.0] *= 0.05
    norm = 2.0 * np.sqrt(np.sum(spectrum**2)) / n_samples
    band_of_bin = np.zeros(len(freqs), dtype=np.intp)  # 0 = outside the 5 bands
    for idx, (lo, hi) in enumerate(_BAND_EDGES):
        band_of_bin[(freqs >= lo) & (freqs < hi)] = idx + 1
    gains = np.concatenate([np.ones((n_ch, 1)), 2.0 ** (0.5 * log2_gain)], axis=1)
    shape = gains[:, band_of_bin] * (amplitude / norm * spectrum)
    coefs = rng.standard_normal((n_ch, len(freqs))) + 1j * rng.standard_normal((n_ch, len(freqs)))
    coefs *= shape
    return np.fft.irfft(coefs, n=n_samples, axis=-1)


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
    eye_nan=0.01,
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
        Probability that an eye-feature value is NaN (the real files have NaN).
    effect_size : float
        Scale of the emotion effects (1 gives clearly-above-chance but not
        perfect per-subject classification; 0 gives no effect).
    %(random_state)s
    %(verbose)s

    Returns
    -------
    root : pathlib.Path
        The output folder.

    Notes
    -----
    EEG features follow a SEED-style DE model (values ~10-30): band/channel
    levels plus a subject offset, a class pattern per channel and band
    (a population pattern plus a subject-specific part), a random offset per
    trial and AR(1) noise over windows; ``de_movingAve``/``de_LDS`` are its
    moving-average / LDS-smoothed versions and ``psd_*`` the same for
    ``2 ** DE / 100``. Eye features use the same scheme with class effects
    mostly on the pupil features. The raw EEG is coloured noise whose band
    amplitudes follow the same class pattern and trial offsets, but it is
    simulated independently of the feature files (they need not match
    sample by sample).
    """
    sessions = _check_sim_args(
        n_subjects, sessions, n_trials, 24, SEED_IV_LABELS, "simulate_seed_iv"
    )
    if not 0.0 <= float(eye_nan) < 1.0:
        raise ValueError(f"eye_nan must be in [0, 1), got {eye_nan!r}")
    root = Path(root).expanduser()
    sim = _Simulator(random_state, len(SEED_IV_EVENT_ID), effect_size)
    codes = sorted(SEED_IV_EVENT_ID.values())
    for subject in range(1, n_subjects + 1):
        for session in sessions:
            labels = SEED_IV_LABELS[session][:n_trials]
            counts = _window_counts(
                n_windows, SEED_IV_N_WINDOWS[session], n_trials, "simulate_seed_iv"
            )
            name = f"{subject}_{_file_date(subject, session)}.mat"
            prefix = _subject_prefix(subject)
            offsets = sim.trial_offsets(subject, session, n_trials)
            feat_rng, raw_rng = sim.rng(3, subject, session), sim.rng(4, subject, session)
            raw_dict, eeg_dict, eye_dict = {}, {}, {}
            for t, (label, n_win) in enumerate(zip(labels, counts), start=1):
                klass = codes.index(label)
                if features:
                    de = sim.de_trial(feat_rng, subject, klass, offsets[t - 1], n_win, rho=0.7)
                    eeg_dict.update(_smoothed_features(de, t))
                    eye = sim.eye_trial(feat_rng, subject, klass, n_win, rho=0.7)
                    eye[feat_rng.random(eye.shape) < eye_nan] = np.nan
                    eye_dict[f"eye_{t}"] = eye.T
                if raw:
                    raw_dict[f"{prefix}_eeg{t}"] = _simulate_eeg(
                        raw_rng,
                        int(WINDOW * SFREQ) * n_win + 1,
                        sim.raw_gain(subject, klass, offsets[t - 1]),
                    )
            ses = str(session)
            if raw:
                _savemat(root / _FOLDERS["raw"] / ses / name, raw_dict)
            if features:
                _savemat(root / _FOLDERS["eeg"] / ses / name, eeg_dict)
                _savemat(root / _FOLDERS["eye"] / ses / name, eye_dict)
            logger.info(f"Wrote simulated SEED-IV sub-{subject} ses-{session} ({name})")
    return root
