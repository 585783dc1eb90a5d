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

import re
from numbers import Integral
from pathlib import Path

import numpy as np
from mne.utils import _validate_type

from ..channels import SEED_BANDS, SEED_CH_NAMES
from ..utils import check_option, fill_doc, logger, verbose
from ._base import EYE_EVENT_STAT_NAMES, FeatureRecording
from ._io import (
    FileTrials,
    check_eeg_array,
    check_trial_count,
    check_window_counts,
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
FEATURE_KINDS = ("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve")
_RAW_KEY_RE = r"^(?P<prefix>[A-Za-z][A-Za-z0-9]*?)_eeg(?P<trial>\d+)$"
_EYE_KEY_RE = r"^eye_(?P<trial>\d+)$"
_FOLDERS = {"raw": "eeg_raw_data", "eeg": "eeg_feature_smooth", "eye": "eye_feature_smooth"}
#: MNE event codes must be >= 1: Epochs use ``label + 1`` (neutral=1 ... happy=4).
EVENT_OFFSET = 1


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


def _check_n_trials(n_trials: int, n_labels: int, *, fname, what: str, session: int,
                    allow_partial: bool) -> None:
    if n_trials > n_labels:
        raise ValueError(
            f"{fname}: {n_trials} {what} trials but the label table of {DATASET} session "
            f"{session} has only {n_labels} labels (label/trial count mismatch)"
        )
    check_trial_count(range(1, n_trials + 1), n_labels, fname=fname, what=what,
                      dataset=DATASET, allow_partial=allow_partial)


@verbose
@fill_doc
def read_raw_seed_iv(fname, *, session=None, allow_partial=False, verbose=None):
    """Read one SEED-IV preprocessed EEG file (``eeg_raw_data``) into a Raw.

    Parameters
    ----------
    fname : path-like
        ``eeg_raw_data/<session>/<subject>_<yyyymmdd>.mat``. The subject is
        parsed from the file name, the session from the folder name.
    session : int | None
        Session number (1-3), needed only when the file is not inside its
        session folder.
    %(allow_partial)s
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
    return trials_to_raw(_read_eeg_trials(fname, session, allow_partial))


def _read_eeg_trials(fname, session, allow_partial) -> FileTrials:
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"SEED-IV EEG file not found: {fname}")
    session = _session_of(fname, session)
    subject, date = parse_subject_file_name(fname)
    mat = load_mat(fname, what="SEED-IV EEG file")
    trials = parse_trial_keys(mat, _RAW_KEY_RE, fname=fname, what="<prefix>_eeg<trial>")
    labels = SEED_IV_LABELS[session]
    _check_n_trials(len(trials), len(labels), fname=fname, what="EEG", session=session,
                    allow_partial=allow_partial)
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
def read_epochs_seed_iv(fname, *, window=4.0, session=None, allow_partial=False, verbose=None):
    """Read one SEED-IV EEG file into fixed-length windows (Epochs), trial by trial.

    Parameters
    ----------
    fname : path-like
        ``eeg_raw_data/<session>/<subject>_<yyyymmdd>.mat``.
    window : float
        Window length in seconds (default 4 s, the windows of the feature files).
    session : int | None
        Session number, needed only when the file is not in its session folder.
    %(allow_partial)s
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
    trials = _read_eeg_trials(fname, session, allow_partial)
    return trials_to_epochs(trials, window=window, event_offset=EVENT_OFFSET)


# --------------------------------------------------------------------------
# Feature files
# --------------------------------------------------------------------------


def _feature_root(root) -> Path:
    _validate_type(root, "path-like", "root")
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
    mat = load_mat(fname, variable_names=list(trials.values()), what=f"SEED-IV {what} file",
                   check=False)
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
    eeg=None,
    allow_partial=False,
    verbose=None,
):
    """Read SEED-IV EEG (and eye-movement) feature files.

    Parameters
    ----------
    root : path-like
        Folder that contains ``eeg_feature_smooth/`` and/or
        ``eye_feature_smooth/`` (see ``eeg`` and ``eye``).
    %(seed_subjects)s
    %(seed_sessions)s
    feature : ``"de_LDS"`` | ``"de_movingAve"`` | ``"psd_LDS"`` | ``"psd_movingAve"``
        EEG feature family to read (differential entropy or power spectral
        density, smoothed with a linear dynamical system or a moving average).
        Only the variables of this family are read: files without the others
        (e.g. without ``psd_*``) are fine.
    eye : bool
        Also read the 31 eye-movement features of the same windows.
    eeg : bool | None
        Read the EEG features. ``None`` (default) reads them when
        ``eeg_feature_smooth/`` exists; a folder with ``eye_feature_smooth/``
        only then gives eye-only recordings (``eeg`` is ``None``; the log says
        so). ``True`` requires the EEG folder, ``False`` reads the eye features
        only.
    %(allow_partial)s
    %(verbose)s

    Returns
    -------
    recordings : list of FeatureRecording
        One per (subject, session), sorted by subject then session, with
        ``eeg`` of shape ``(n_windows, 62, 5)`` (file arrays ``(62, n, 5)``
        transposed) or ``None`` (eye only), ``eye`` of shape ``(n_windows, 31)``
        or ``None``, ``labels`` (codes of :data:`SEED_IV_EVENT_ID`) and 0-based
        ``trial_ids``. The real eye-feature files contain NaN: they are kept,
        counted and reported in the log; fill them within trials with
        :func:`mne_mmvsstma.features.fill_eye_nan`.
    """
    check_option("feature", feature, FEATURE_KINDS)
    _validate_type(eeg, (bool, None), "eeg")
    root = _feature_root(root)
    eeg_dir = root / _FOLDERS["eeg"]
    eye_dir = root / _FOLDERS["eye"]
    if eeg is None:
        eeg = eeg_dir.is_dir() or not eye or not eye_dir.is_dir()
        if not eeg:
            logger.info(
                f"{root} has no {_FOLDERS['eeg']}/ folder: reading the eye-movement features "
                "only (the recordings have no EEG)"
            )
    if not eeg and not eye:
        raise ValueError("eeg=False and eye=False: there is nothing to read")
    if eeg and not eeg_dir.is_dir():
        hint = (f"; {_FOLDERS['eye']}/ is there: pass eeg=False (or leave eeg=None) to "
                "read the eye features only" if eye and eye_dir.is_dir() else "")
        raise FileNotFoundError(f"SEED-IV EEG feature folder not found: {eeg_dir}{hint}")
    if eye and not eye_dir.is_dir():
        raise FileNotFoundError(
            f"SEED-IV eye feature folder not found: {eye_dir} (pass eye=False to read EEG only)"
        )
    # the folder whose files define the recordings: EEG, or eye for eye-only reading
    main_dir, main_what = (
        (eeg_dir, "SEED-IV EEG feature") if eeg else (eye_dir, "SEED-IV eye feature")
    )
    session_dirs = find_session_folders(main_dir, what=main_what)
    use_sessions = select_values(session_dirs, sessions, name="sessions", where=main_dir)
    files = []
    for ses in use_sessions:
        if ses not in SEED_IV_LABELS:
            raise ValueError(
                f"SEED-IV has labels for sessions {sorted(SEED_IV_LABELS)} only; found the "
                f"session folder {session_dirs[ses]}"
            )
        found = find_subject_files(session_dirs[ses], what=main_what)
        _check_unique_subjects(found, session_dirs[ses])
        files += [(sub, ses, path) for sub, _, path in found]
    all_subjects = sorted({sub for sub, _, _ in files})
    use_subjects = select_values(all_subjects, subjects, name="subjects", where=main_dir)
    files = sorted((f for f in files if f[0] in use_subjects), key=lambda f: (f[0], f[1]))
    recordings = []
    n_nan_total = 0
    for subject, session, path in files:
        labels = SEED_IV_LABELS[session]
        if not eeg:  # eye only: the eye files define the trials and windows
            eye_path = path
            eye_trials = _read_eye_trials(path)
            _check_n_trials(len(eye_trials), len(labels), fname=path, what="eye",
                            session=session, allow_partial=allow_partial)
            check_window_counts([arr.shape[1] for _, _, arr in eye_trials],
                                SEED_IV_N_WINDOWS[session], fname=path, what="eye",
                                dataset=DATASET, session=session, sessions=SEED_IV_N_WINDOWS)
            trial_ids, window_labels = _trial_table(eye_trials, labels)
            eye_data = np.concatenate([arr.T for _, _, arr in eye_trials])
            n_nan_total += _report_nan(eye_data, eye_path)
            recordings.append(_recording(subject, session, None, eye_data, window_labels,
                                         trial_ids, eye_path))
            continue
        eeg_trials = _read_trials(
            path,
            rf"^{re.escape(feature)}(?P<trial>\d+)$",
            what=feature,
            n_rows=len(SEED_CH_NAMES),
            n_bands=len(BAND_NAMES),
        )
        _check_n_trials(len(eeg_trials), len(labels), fname=path, what=feature, session=session,
                        allow_partial=allow_partial)
        check_window_counts([arr.shape[1] for _, _, arr in eeg_trials],
                            SEED_IV_N_WINDOWS[session], fname=path, what=feature,
                            dataset=DATASET, session=session, sessions=SEED_IV_N_WINDOWS)
        trial_ids, window_labels = _trial_table(eeg_trials, labels)
        eeg_data = np.concatenate([arr.transpose(1, 0, 2) for _, _, arr in eeg_trials])
        eye_data = None
        if eye:
            eye_path = eye_dir / path.parent.name / path.name
            if not eye_path.is_file():
                raise FileNotFoundError(
                    f"Eye feature file not found for {path}: expected {eye_path}"
                )
            eye_trials = _read_eye_trials(eye_path)
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
        recordings.append(_recording(subject, session, eeg_data, eye_data, window_labels,
                                     trial_ids, path))
    if n_nan_total:
        logger.warning(
            f"The SEED-IV eye features contain {n_nan_total} NaN values in total; they were "
            "kept. Fill them within trials (mne_mmvsstma.features.fill_eye_nan, or the "
            "fill_eye option of the training functions) before models or scalers that "
            "reject NaN."
        )
    logger.info(f"Read {len(recordings)} SEED-IV recordings from {root}")
    return recordings


def _read_eye_trials(fname):
    return _read_trials(fname, _EYE_KEY_RE, what="eye_<trial>", n_rows=len(EYE_FEATURE_NAMES),
                        n_bands=None)


def _recording(subject, session, eeg, eye, labels, trial_ids, fname) -> FeatureRecording:
    """A SEED-IV FeatureRecording (``eeg`` and/or ``eye`` may be ``None``)."""
    return FeatureRecording(
        dataset=DATASET,
        subject=subject,
        session=session,
        eeg=eeg,
        eye=eye,
        labels=labels,
        trial_ids=trial_ids,
        event_id=dict(SEED_IV_EVENT_ID),
        ch_names=list(SEED_CH_NAMES) if eeg is not None else [],
        band_names=list(BAND_NAMES) if eeg is not None else [],
        eye_names=list(EYE_FEATURE_NAMES) if eye is not None else None,
        fname=str(fname),
    )


def _check_unique_subjects(found, folder) -> None:
    seen = {}
    for sub, _, path in found:
        if sub in seen:
            raise ValueError(
                f"Two files for subject {sub} in the session folder {folder}: "
                f"{seen[sub].name} and {path.name}"
            )
        seen[sub] = path
