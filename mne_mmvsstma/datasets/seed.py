"""SEED: preprocessed EEG, ExtractedFeatures, and a simulator of the real layout.

Layout of the dataset::

    <root>/Preprocessed_EEG/<subject>_<yyyymmdd>.mat
        keys <prefix>_eeg1 .. <prefix>_eeg15, arrays (62, 200 * seconds + 1), microvolts
    <root>/Preprocessed_EEG/label.mat
        key label, shape (1, 15), values -1 (negative), 0 (neutral), 1 (positive)
    <root>/ExtractedFeatures/<subject>_<yyyymmdd>.mat
        12 keys per trial t = 1..15, interleaved: de_movingAve{t}, de_LDS{t},
        psd_movingAve{t}, psd_LDS{t}, dasm_*{t}, rasm_*{t}, asm_*{t}, dcau_*{t}
        (movingAve then LDS each); arrays (rows, n_windows, 5) with 1-s windows,
        rows = 62 (de, psd), 27 (dasm, rasm), 54 (asm), 23 (dcau)
    <root>/ExtractedFeatures/label.mat

Every subject has three files (sessions) named by recording date: the session
number is the rank of the date among the subject's files. Subjects are parsed
from the file names and sorted numerically (``'10_*'`` after ``'9_*'``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from mne.utils import _validate_type

from ..channels import SEED_CH_NAMES
from ..utils import check_int, check_option, fill_doc, logger, verbose
from ._base import FeatureRecording, natural_key
from ._io import (
    FileTrials,
    check_eeg_array,
    check_trial_count,
    check_window_counts,
    collect_eeg_trials,
    find_subject_files,
    list_mat_variables,
    load_mat,
    parse_subject_file_name,
    parse_trial_keys,
    select_values,
    trials_to_epochs,
    trials_to_raw,
)
from .seed_iv import (
    _RAW_KEY_RE,
    BAND_NAMES,
)

DATASET = "SEED"
_N_SESSIONS = 3
SFREQ = 200.0

SEED_EVENT_ID: dict[str, int] = {"negative": -1, "neutral": 0, "positive": 1}
"""Emotion name -> SEED label code (the codes of ``label.mat``)."""

SEED_LABELS: tuple[int, ...] = (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
"""Label code of trials 1..15 (the same for every subject and session)."""

SEED_N_WINDOWS: tuple[int, ...] = (
    235, 233, 206, 238, 185, 195, 237, 216, 265, 237, 235, 233, 235, 238, 206,
)  # fmt: skip
"""Duration in seconds (= number of 1-s feature windows) of trials 1..15."""

FEATURE_KINDS = ("de_LDS", "de_movingAve", "psd_LDS", "psd_movingAve")
#: MNE event codes must be >= 1: Epochs use ``label + 2`` (negative=1, neutral=2, positive=3).
EVENT_OFFSET = 2

_FOLDERS = {"raw": "Preprocessed_EEG", "features": "ExtractedFeatures"}
_LABEL_FILE = "label.mat"

#: 27 left/right electrode pairs of the DASM/RASM features (left minus/over right).
ASYMMETRY_PAIRS = [
    ("FP1", "FP2"), ("AF3", "AF4"), ("F7", "F8"), ("F5", "F6"), ("F3", "F4"), ("F1", "F2"),
    ("FT7", "FT8"), ("FC5", "FC6"), ("FC3", "FC4"), ("FC1", "FC2"), ("T7", "T8"), ("C5", "C6"),
    ("C3", "C4"), ("C1", "C2"), ("TP7", "TP8"), ("CP5", "CP6"), ("CP3", "CP4"), ("CP1", "CP2"),
    ("P7", "P8"), ("P5", "P6"), ("P3", "P4"), ("P1", "P2"), ("PO7", "PO8"), ("PO5", "PO6"),
    ("PO3", "PO4"), ("CB1", "CB2"), ("O1", "O2"),
]  # fmt: skip
#: 23 frontal/posterior electrode pairs of the DCAU features (frontal minus posterior).
CAUDALITY_PAIRS = [
    ("FT7", "TP7"), ("FC5", "CP5"), ("FC3", "CP3"), ("FC1", "CP1"), ("FCZ", "CPZ"),
    ("FC2", "CP2"), ("FC4", "CP4"), ("FC6", "CP6"), ("FT8", "TP8"), ("F7", "P7"), ("F5", "P5"),
    ("F3", "P3"), ("F1", "P1"), ("FZ", "PZ"), ("F2", "P2"), ("F4", "P4"), ("F6", "P6"),
    ("F8", "P8"), ("FP1", "O1"), ("FP2", "O2"), ("FPZ", "OZ"), ("AF3", "CB1"), ("AF4", "CB2"),
]  # fmt: skip


# --------------------------------------------------------------------------
# Labels and sessions
# --------------------------------------------------------------------------


def _read_labels(fname) -> tuple[int, ...]:
    """Read ``label.mat`` (key ``label``, 15 values in {-1, 0, 1})."""
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"SEED label file not found: {fname}")
    mat = load_mat(fname, what="SEED label file")
    if "label" not in mat:
        raise ValueError(f"SEED label file {fname} has no 'label' variable (found {sorted(mat)})")
    labels = np.asarray(mat["label"]).ravel()
    if labels.size == 0 or not np.all(np.isin(labels, list(SEED_EVENT_ID.values()))):
        raise ValueError(
            f"SEED label file {fname}: labels must be -1, 0 or 1, got {labels.tolist()}"
        )
    return tuple(int(v) for v in labels)


def _find_label_file(folder: Path) -> Path:
    """``label.mat`` of a SEED folder, or of its sibling folder (both hold one)."""
    candidates = [folder / _LABEL_FILE]
    candidates += [folder.parent / name / _LABEL_FILE for name in _FOLDERS.values()]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"SEED label file not found: expected {folder / _LABEL_FILE} "
        f"(or {_LABEL_FILE} in {' or '.join(_FOLDERS.values())})"
    )


def _sessions_by_date(found) -> dict[Path, int]:
    """Session number of every file: rank of its date among the subject's files."""
    by_subject: dict[int, list] = {}
    for subject, date, path in found:
        by_subject.setdefault(subject, []).append((date, path))
    sessions = {}
    for subject, items in by_subject.items():
        items.sort(key=lambda item: natural_key(item[0]))
        dates = [date for date, _ in items]
        if len(set(dates)) != len(dates):
            raise ValueError(
                f"Subject {subject} has two SEED files with the same date: "
                f"{[path.name for _, path in items]}"
            )
        if len(items) > _N_SESSIONS:
            raise ValueError(
                f"Subject {subject} has {len(items)} SEED files, but SEED has {_N_SESSIONS} "
                f"sessions per subject: {[path.name for _, path in items]}"
            )
        for rank, (_, path) in enumerate(items, start=1):
            sessions[path] = rank
    return sessions


def _check_n_trials(n_trials, labels, *, fname, label_fname, what, allow_partial) -> None:
    if n_trials > len(labels):
        raise ValueError(
            f"{fname}: {n_trials} {what} trials but {label_fname} has only {len(labels)} "
            "labels (label/trial count mismatch)"
        )
    check_trial_count(range(1, n_trials + 1), len(labels), fname=fname, what=what,
                      dataset=DATASET, allow_partial=allow_partial)


# --------------------------------------------------------------------------
# Raw EEG
# --------------------------------------------------------------------------


@verbose
@fill_doc
def read_raw_seed(fname, *, session=None, allow_partial=False, verbose=None):
    """Read one SEED preprocessed EEG file (``Preprocessed_EEG``) into a Raw.

    Parameters
    ----------
    fname : path-like
        ``Preprocessed_EEG/<subject>_<yyyymmdd>.mat``. Labels come from
        ``label.mat`` in the same folder.
    session : int | None
        Session number. ``None`` derives it from the date order of the
        subject's files in the same folder (first date = session 1).
    %(allow_partial)s
    %(verbose)s

    Returns
    -------
    %(seed_raw_returns)s

    Notes
    -----
    The .mat files do not store the sampling rate: trials that last more than
    1.5 times the known duration of their film clip (:data:`SEED_N_WINDOWS`)
    are rejected as data at another rate than the 200 Hz of the preprocessed
    EEG.
    """
    return trials_to_raw(_read_eeg_trials(fname, session, allow_partial))


def _read_eeg_trials(fname, session, allow_partial) -> FileTrials:
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"SEED EEG file not found: {fname}")
    subject, date = parse_subject_file_name(fname)
    if session is None:
        found = find_subject_files(fname.parent, what="SEED EEG")
        session = _sessions_by_date([f for f in found if f[0] == subject])[fname]
    else:
        session = check_int(session, "session")
        if session > _N_SESSIONS:
            raise ValueError(f"SEED has sessions 1..{_N_SESSIONS}, got session={session}")
    label_fname = _find_label_file(fname.parent)
    labels = _read_labels(label_fname)
    mat = load_mat(fname, what="SEED EEG file")
    trials = parse_trial_keys(mat, _RAW_KEY_RE, fname=fname, what="<prefix>_eeg<trial>")
    _check_n_trials(len(trials), labels, fname=fname, label_fname=label_fname, what="EEG",
                    allow_partial=allow_partial)
    return collect_eeg_trials(
        mat,
        trials,
        labels=labels,
        durations=SEED_N_WINDOWS,  # 1-s windows: the number of windows is the duration
        event_id=SEED_EVENT_ID,
        fname=fname,
        dataset=DATASET,
        subject=subject,
        session=session,
        date=date,
        sfreq=SFREQ,
    )


@verbose
@fill_doc
def read_epochs_seed(fname, *, window=1.0, session=None, allow_partial=False, verbose=None):
    """Read one SEED EEG file into fixed-length windows (Epochs), trial by trial.

    Parameters
    ----------
    fname : path-like
        ``Preprocessed_EEG/<subject>_<yyyymmdd>.mat``.
    window : float
        Window length in seconds (default 1 s, the windows of SEED's
        ExtractedFeatures; use 4 to match the SEED-IV/SEED-V convention).
    session : int | None
        Session number; ``None`` derives it from the date order.
    %(allow_partial)s
    %(verbose)s

    Returns
    -------
    epochs : mne.EpochsArray
        Non-overlapping windows, in volts, with ``event_id``
        ``{"negative": 1, "neutral": 2, "positive": 3}`` (label code + 2).

    Notes
    -----
    %(seed_epochs_notes)s
    """
    trials = _read_eeg_trials(fname, session, allow_partial)
    return trials_to_epochs(trials, window=window, event_offset=EVENT_OFFSET)


# --------------------------------------------------------------------------
# ExtractedFeatures
# --------------------------------------------------------------------------


@verbose
@fill_doc
def read_seed_features(root, *, subjects=None, sessions=None, feature="de_LDS",
                       allow_partial=False, verbose=None):
    """Read SEED ``ExtractedFeatures`` (1-s windows) into feature recordings.

    Parameters
    ----------
    root : path-like
        Folder that contains ``ExtractedFeatures/`` (or that folder itself).
    %(seed_subjects)s
    %(seed_sessions)s
    feature : ``"de_LDS"`` | ``"de_movingAve"`` | ``"psd_LDS"`` | ``"psd_movingAve"``
        Feature family (the 62-channel ones; the asymmetry features dasm,
        rasm, asm and dcau are not channel features and are not read).
    %(allow_partial)s
    %(verbose)s

    Returns
    -------
    recordings : list of FeatureRecording
        One per (subject, session), sorted by subject then session (session =
        date rank), with ``eeg`` of shape ``(n_windows, 62, 5)``, ``eye=None``,
        ``labels`` in SEED's coding (-1 negative, 0 neutral, 1 positive; see
        :data:`SEED_EVENT_ID`) and 0-based ``trial_ids``.
    """
    check_option("feature", feature, FEATURE_KINDS)
    _validate_type(root, "path-like", "root")
    root = Path(root).expanduser()
    if root.name in _FOLDERS.values():
        root = root.parent
    folder = root / _FOLDERS["features"]
    if not folder.is_dir():
        raise FileNotFoundError(f"SEED ExtractedFeatures folder not found: {folder}")
    found = find_subject_files(folder, what="SEED ExtractedFeatures")
    session_of = _sessions_by_date(found)
    use_subjects = select_values(
        {sub for sub, _, _ in found}, subjects, name="subjects", where=folder
    )
    use_sessions = select_values(set(session_of.values()), sessions, name="sessions", where=folder)
    label_fname = _find_label_file(folder)
    labels = _read_labels(label_fname)
    files = sorted(
        (
            (sub, session_of[path], path)
            for sub, _, path in found
            if sub in use_subjects and session_of[path] in use_sessions
        ),
        key=lambda item: (item[0], item[1]),
    )
    recordings = []
    pattern = rf"^{re.escape(feature)}(?P<trial>\d+)$"
    for subject, session, path in files:
        variables = list_mat_variables(path, what="SEED ExtractedFeatures file")
        trials = parse_trial_keys(variables, pattern, fname=path, what=feature)
        _check_n_trials(len(trials), labels, fname=path, label_fname=label_fname, what=feature,
                        allow_partial=allow_partial)
        mat = load_mat(path, variable_names=list(trials.values()), what="SEED feature file",
                       check=False)
        blocks = []
        for key in trials.values():
            arr = check_eeg_array(mat[key], fname=path, key=key, ndim=3)
            if arr.shape[2] != len(BAND_NAMES):
                raise ValueError(
                    f"{path}: variable {key!r} has shape {arr.shape}, expected "
                    f"{len(BAND_NAMES)} bands in the last dimension"
                )
            blocks.append(np.asarray(arr, dtype=np.float64).transpose(1, 0, 2))
        n_windows = [len(block) for block in blocks]
        check_window_counts(n_windows, SEED_N_WINDOWS, fname=path, what=feature,
                            dataset=DATASET)
        recordings.append(
            FeatureRecording(
                dataset=DATASET,
                subject=subject,
                session=session,
                eeg=np.concatenate(blocks),
                eye=None,
                labels=np.repeat(np.asarray(labels[: len(blocks)], dtype=np.int64), n_windows),
                trial_ids=np.repeat(np.arange(len(blocks), dtype=np.int64), n_windows),
                event_id=dict(SEED_EVENT_ID),
                ch_names=list(SEED_CH_NAMES),
                band_names=list(BAND_NAMES),
                eye_names=None,
                fname=str(path),
            )
        )
    logger.info(f"Read {len(recordings)} SEED recordings from {root}")
    return recordings
