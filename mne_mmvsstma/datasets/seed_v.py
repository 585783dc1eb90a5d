"""SEED-V: Neuroscan .cnt recordings, npz feature files and a simulator of both.

Real layout (16 subjects x 3 sessions x 15 trials)::

    <root>/EEG_raw/<sub>_<ses>_<yyyymmdd>.cnt        1000 Hz, 66 channels
    <root>/EEG_DE_features/<sub>_123.npz             keys "data", "label"
    <root>/Eye_movement_features/<sub>_123.npz       keys "data", "label"

Channels of the .cnt files: the 62 SEED channels
(:data:`mne_mmvsstma.SEED_CH_NAMES`) with M1 and M2 inserted at indices 32 and
42 (after T8 and after TP8) and VEO, HEO last (indices 64, 65). This is the
Neuroscan Quik-Cap order printed by third-party loaders for the raw .cnt files
of SEED recorded with the same system; the readers never rely on positions:
they drop M1, M2, VEO and HEO **by name** and reorder the rest to
``SEED_CH_NAMES``.

Trials are cut with the start/end seconds of the dataset description
(:data:`SEED_V_TRIAL_TIMES`), not with triggers of the files. Labels use the
dataset's codes (:data:`SEED_V_EVENT_ID`: 0 disgust, 1 fear, 2 sad,
3 neutral, 4 happy). Because MNE event codes must be positive, Epochs use
``label + 1`` as event code; the metadata column ``label`` keeps the dataset
code.

The npz feature files hold two pickled dicts ``{k: array}`` with
``k = 0..44``: session ``k // 15 + 1`` (1-based here), trial ``k % 15``
(0-based). EEG arrays are DE features ``(n_windows, 310)`` of 4-s windows,
eye arrays ``(n_windows, 33)``.
"""

from __future__ import annotations

import io
import pickle
import re
from pathlib import Path

import mne
import numpy as np

from ..channels import SEED_BANDS, SEED_CH_NAMES, make_seed_montage
from ..utils import check_option, check_path, fill_doc, logger, verbose
from ._base import EYE_EVENT_STAT_NAMES, FeatureRecording, natural_key
from ._cnt import read_cnt_header
from ._io import check_trial_count

# --------------------------------------------------------------------------- tables
SEED_V_EVENT_ID: dict[str, int] = {"disgust": 0, "fear": 1, "sad": 2, "neutral": 3, "happy": 4}
"""Emotion name -> SEED-V label code."""

_S23 = (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0)
SEED_V_LABELS: dict[int, tuple[int, ...]] = {1: (4, 1, 3, 2, 0) * 3, 2: _S23, 3: _S23}
"""Session (1-based) -> label code of each of the 15 trials."""

SEED_V_TRIAL_TIMES: dict[int, tuple[tuple[int, int], ...]] = {
    1: tuple(
        zip(
            (30, 132, 287, 555, 773, 982, 1271, 1628, 1730, 2025, 2227, 2435, 2667, 2932, 3204),
            (102, 228, 524, 742, 920, 1240, 1568, 1697, 1994, 2166, 2401, 2607, 2901, 3172, 3359),
        )
    ),
    2: tuple(
        zip(
            (30, 299, 548, 646, 836, 1000, 1091, 1392, 1657, 1809, 1966, 2186, 2333, 2490, 2741),
            (267, 488, 614, 773, 967, 1059, 1331, 1622, 1777, 1908, 2153, 2302, 2428, 2709, 2817),
        )
    ),
    3: tuple(
        zip(
            (30, 353, 478, 674, 825, 908, 1200, 1346, 1451, 1711, 2055, 2307, 2457, 2726, 2888),
            (321, 418, 643, 764, 877, 1147, 1284, 1418, 1679, 1996, 2275, 2425, 2664, 2857, 3066),
        )
    ),
}
"""Session (1-based) -> ``(start, end)`` seconds of each trial in the .cnt recording."""

SEED_V_EYE_FEATURE_NAMES: list[str] = (
    [
        f"pupil_{axis}_{stat}"
        for axis in ("x", "y")
        for stat in ("mean", "std", "de_0-0.2Hz", "de_0.2-0.4Hz", "de_0.4-0.6Hz", "de_0.6-1Hz")
    ]
    + ["dispersion_x_mean", "dispersion_x_std", "dispersion_y_mean", "dispersion_y_std"]
    + ["fixation_duration_mean", "fixation_duration_std"]
    + ["blink_duration_mean", "blink_duration_std"]
    + [
        "saccade_duration_mean",
        "saccade_duration_std",
        "saccade_amplitude_mean",
        "saccade_amplitude_std",
    ]
    + list(EYE_EVENT_STAT_NAMES)
)
"""Names of the 33 SEED-V eye-movement features, in the order of the feature
table of the dataset description (pupil diameter X/Y: mean, std and DE in four
bands; dispersion; fixation, blink and saccade statistics; event statistics).
The column order of the real files is assumed to follow that table."""

BAND_NAMES = list(SEED_BANDS)
_DROP_CHANNELS = ("M1", "M2", "VEO", "HEO")
_CNT_CH_NAMES = SEED_CH_NAMES[:32] + ["M1"] + SEED_CH_NAMES[32:41] + ["M2"] + SEED_CH_NAMES[41:]
_CNT_CH_NAMES += ["VEO", "HEO"]
_N_TRIALS = 15
_N_SESSIONS = 3
_N_EEG = 310
_N_EYE = len(SEED_V_EYE_FEATURE_NAMES)
_CNT_RE = re.compile(r"^(\d+)_(\d+)_(\d{8})\.cnt$", re.IGNORECASE)
_NPZ_RE = re.compile(r"^(\d+)_123\.npz$", re.IGNORECASE)
_EEG_DIR = "EEG_DE_features"
_EYE_DIR = "Eye_movement_features"
_RAW_DIR = "EEG_raw"
_EMOTIONS = {code: name for name, code in SEED_V_EVENT_ID.items()}


# ------------------------------------------------------------------ trial tables
def seed_v_trial_times(session, time_scale=1.0, *, n_trials=15, min_seconds=8):
    """Trial start/end seconds of a SEED-V session, optionally shrunk in time.

    With ``time_scale=1`` this is :data:`SEED_V_TRIAL_TIMES` of ``session``.
    Otherwise every trial duration and every gap before a trial (the first
    gap is the 30 s before trial 1) is multiplied by ``time_scale`` and
    rounded to whole seconds, durations are kept ``>= min_seconds`` and gaps
    ``>= 1`` s, and the table is rebuilt cumulatively (trials stay ordered and
    disjoint). :func:`~mne_mmvsstma.simulation.simulate_seed_v` writes
    recordings that follow this table, so pass it to the readers as
    ``trial_times``.

    Parameters
    ----------
    session : int
        Session number (1, 2 or 3).
    time_scale : float
        Factor applied to durations and gaps (e.g. ``0.01`` for tests).
    n_trials : int
        Number of (first) trials to return (1..15).
    min_seconds : int
        Minimum trial duration after scaling (``8`` = two 4-s windows).

    Returns
    -------
    times : ndarray of int, shape (n_trials, 2)
        ``(start, end)`` seconds of each trial.
    """
    session = _check_session(session)
    n_trials = _check_n_trials(n_trials)
    time_scale = float(time_scale)
    if not np.isfinite(time_scale) or time_scale <= 0:
        raise ValueError(f"time_scale must be a positive number, got {time_scale!r}")
    if int(min_seconds) != min_seconds or min_seconds < 1:
        raise ValueError(f"min_seconds must be a positive integer, got {min_seconds!r}")
    table = np.array(SEED_V_TRIAL_TIMES[session], dtype=np.int64)
    if time_scale == 1.0:
        return table[:n_trials].copy()
    starts, ends = table[:, 0], table[:, 1]
    gaps = starts - np.concatenate([[0], ends[:-1]])
    durations = ends - starts
    gaps = np.maximum(1, np.floor(gaps * time_scale + 0.5)).astype(np.int64)
    durations = np.maximum(int(min_seconds), np.floor(durations * time_scale + 0.5))
    durations = durations.astype(np.int64)
    ends = np.cumsum(gaps + durations)
    starts = ends - durations
    return np.column_stack([starts, ends])[:n_trials]


def _check_session(session) -> int:
    if isinstance(session, bool) or int(session) != session or session not in (1, 2, 3):
        raise ValueError(f"SEED-V session must be 1, 2 or 3, got {session!r}")
    return int(session)


def _check_n_trials(n_trials) -> int:
    if isinstance(n_trials, bool) or int(n_trials) != n_trials or not 1 <= n_trials <= 15:
        raise ValueError(f"n_trials must be an integer in 1..15, got {n_trials!r}")
    return int(n_trials)


def _resolve_trial_times(trial_times, session, where) -> np.ndarray:
    """Return the (n_trials, 2) table in seconds for ``session``."""
    if trial_times is None:
        table = np.array(SEED_V_TRIAL_TIMES[session], dtype=float)
    else:
        if isinstance(trial_times, dict):
            if session not in trial_times:
                raise ValueError(
                    f"trial_times has no entry for session {session} (needed for {where}); "
                    f"it has sessions {sorted(trial_times)}"
                )
            trial_times = trial_times[session]
        table = np.asarray(trial_times, dtype=float)
    if table.ndim != 2 or table.shape[1] != 2 or not 1 <= len(table) <= _N_TRIALS:
        raise ValueError(
            f"trial_times for {where} must have shape (n_trials, 2) with 1..15 trials "
            f"(start, end seconds), got shape {table.shape}"
        )
    if not np.all(np.isfinite(table)) or table.min() < 0:
        raise ValueError(f"trial_times for {where} must be finite and non-negative")
    if np.any(table[:, 1] <= table[:, 0]):
        bad = int(np.flatnonzero(table[:, 1] <= table[:, 0])[0])
        raise ValueError(f"trial_times for {where}: trial {bad} ends before it starts")
    if np.any(table[1:, 0] < table[:-1, 1]):
        bad = int(np.flatnonzero(table[1:, 0] < table[:-1, 1])[0]) + 1
        raise ValueError(f"trial_times for {where}: trial {bad} overlaps the previous trial")
    return table


# ------------------------------------------------------------------ file names
def _parse_cnt_name(fname) -> tuple[int, int, str]:
    name = Path(fname).name
    match = _CNT_RE.match(name)
    if match is None:
        raise ValueError(
            f"Cannot parse subject and session from the SEED-V file name {name!r} "
            f"({fname}); expected '<subject>_<session>_<yyyymmdd>.cnt', e.g. '3_1_20180804.cnt'"
        )
    subject, session, date = int(match.group(1)), int(match.group(2)), match.group(3)
    if session not in (1, 2, 3):
        raise ValueError(f"Session {session} in the file name of {fname} is not 1, 2 or 3")
    return subject, session, date


def _find_seed_v_cnt(root, subjects=None, sessions=None) -> list[tuple[int, int, Path]]:
    """List ``(subject, session, path)`` of the .cnt files, sorted numerically.

    ``root`` is the dataset folder (containing ``EEG_raw/``) or ``EEG_raw``.
    """
    root = check_path(root, kind="SEED-V root folder", is_dir=True)
    folder = root / _RAW_DIR if (root / _RAW_DIR).is_dir() else root
    found = {}
    for path in sorted(folder.glob("*.cnt"), key=natural_key):
        try:
            subject, session, _ = _parse_cnt_name(path)
        except ValueError:
            logger.info("Skipping %s: not a '<sub>_<ses>_<yyyymmdd>.cnt' file name", path)
            continue
        if (subject, session) in found:
            raise ValueError(
                f"Two SEED-V recordings for subject {subject} session {session}: "
                f"{found[(subject, session)]} and {path}"
            )
        found[(subject, session)] = path
    if not found:
        raise FileNotFoundError(f"No SEED-V '<sub>_<ses>_<yyyymmdd>.cnt' files in {folder}")
    out = [(sub, ses, path) for (sub, ses), path in sorted(found.items())]
    out = _filter_ids(out, subjects, sessions, folder)
    return out


def _filter_ids(items, subjects, sessions, where):
    if subjects is not None:
        subjects = [int(s) for s in np.atleast_1d(subjects)]
        missing = sorted(set(subjects) - {it[0] for it in items})
        if missing:
            raise ValueError(f"Subjects {missing} not found in {where}")
        items = [it for it in items if it[0] in subjects]
    if sessions is not None:
        sessions = [_check_session(s) for s in np.atleast_1d(sessions)]
        items = [it for it in items if it[1] in sessions]
        if not items:
            raise ValueError(f"Sessions {sessions} not found in {where}")
    return items


# ------------------------------------------------------------------ raw / epochs
def _check_cnt_channels(ch_names, fname):
    """Map the 66 file channels to SEED names; clear errors for anything else."""
    upper = {name.upper(): name for name in ch_names}
    if len(upper) != len(ch_names):
        raise ValueError(f"{fname} has duplicate channel names: {ch_names}")
    missing = [ch for ch in SEED_CH_NAMES if ch.upper() not in upper]
    if missing:
        raise ValueError(
            f"{fname} lacks {len(missing)} of the 62 SEED EEG channels: {missing} "
            f"(file channels: {ch_names})"
        )
    expected = {ch.upper() for ch in _CNT_CH_NAMES}
    unexpected = [ch for ch in ch_names if ch.upper() not in expected]
    if unexpected or len(ch_names) != len(_CNT_CH_NAMES):
        raise ValueError(
            f"{fname} has {len(ch_names)} channels, expected the {len(_CNT_CH_NAMES)} channels of "
            f"SEED-V (62 EEG + M1, M2, VEO, HEO); unexpected: {unexpected}, missing: "
            f"{[ch for ch in _DROP_CHANNELS if ch not in upper]}"
        )
    return upper


@verbose
@fill_doc
def read_raw_seed_v(
    fname,
    *,
    trial_times=None,
    sfreq=200.0,
    expected_sfreq=1000.0,
    data_format="auto",
    verbose=None,
):
    """Read one SEED-V recording (``EEG_raw/<sub>_<ses>_<yyyymmdd>.cnt``).

    Steps: check the header (clear errors for truncated/corrupt files, wrong
    channel count or sampling rate, trials beyond the end of the recording),
    read with :func:`mne.io.read_raw_cnt`, drop M1, M2, VEO and HEO **by
    name**, reorder to :data:`mne_mmvsstma.SEED_CH_NAMES`, set the SEED
    montage (:func:`mne_mmvsstma.make_seed_montage`), resample from
    ``expected_sfreq`` to ``sfreq`` with :meth:`mne.io.Raw.resample`
    (polyphase method: a Kaiser-windowed anti-aliasing FIR low-pass before
    decimation), and add one annotation per trial named by its emotion.

    Parameters
    ----------
    fname : path-like
        The .cnt file. Subject and session are parsed from its name
        (``<subject>_<session>_<yyyymmdd>.cnt``); the date is not used.
    trial_times : None | array-like, shape (n_trials, 2) | dict
        Start/end seconds of the trials. ``None`` uses
        :data:`SEED_V_TRIAL_TIMES` of the session; a dict maps session ->
        table. Tables may list only the first ``n_trials`` trials. Use
        :func:`seed_v_trial_times` for folders written by
        :func:`~mne_mmvsstma.simulation.simulate_seed_v` with ``time_scale != 1``.
    sfreq : float | None
        Output sampling frequency (Hz); ``None`` keeps the file's rate.
    expected_sfreq : float
        Sampling frequency the file must have (SEED-V: 1000 Hz).
    data_format : ``"auto"`` | ``"int16"`` | ``"int32"``
        Sample format, passed to :func:`mne.io.read_raw_cnt` (``"auto"``
        infers it from the header).
    %(verbose)s

    Returns
    -------
    raw : mne.io.Raw
        62 EEG channels in volts, montage set, annotations ``disgust``,
        ``fear``, ``sad``, ``neutral``, ``happy`` spanning the trials (plus
        any event markers stored in the file).
    """
    raw, _, _, _ = _read_raw(fname, trial_times, sfreq, expected_sfreq, data_format)
    return raw


def _read_raw(fname, trial_times, sfreq, expected_sfreq, data_format):
    fname = check_path(fname, kind="SEED-V .cnt file", is_dir=False)
    subject, session, _ = _parse_cnt_name(fname)
    table = _resolve_trial_times(trial_times, session, fname)
    header = read_cnt_header(fname, data_format=data_format)
    upper = _check_cnt_channels(header["ch_names"], fname)
    if not np.isclose(header["sfreq"], float(expected_sfreq)):
        raise ValueError(
            f"{fname} is sampled at {header['sfreq']:g} Hz, expected {float(expected_sfreq):g} Hz "
            "for SEED-V (pass expected_sfreq to read other rates)"
        )
    duration = header["n_samples"] / header["sfreq"]
    if table[-1, 1] > duration:
        late = int(np.flatnonzero(table[:, 1] > duration)[0])
        raise ValueError(
            f"Trial {late} of session {session} ends at {table[late, 1]:g} s but the recording "
            f"{fname} lasts only {duration:g} s: the file is truncated or the trial table does "
            "not belong to it (see trial_times / seed_v_trial_times)"
        )
    logger.info("Reading SEED-V subject %d session %d from %s", subject, session, fname)
    try:
        raw = mne.io.read_raw_cnt(fname, data_format=data_format, preload=False, verbose=False)
        raw.drop_channels([upper[ch] for ch in _DROP_CHANNELS])  # before loading: less memory
        raw.load_data(verbose=False)
    except Exception as err:  # MNE raises RuntimeError with a traceback text
        raise ValueError(f"Could not read the Neuroscan .cnt file {fname}: {err}") from err
    rename = {upper[ch.upper()]: ch for ch in SEED_CH_NAMES if upper[ch.upper()] != ch}
    if rename:
        raw.rename_channels(rename)
    raw.reorder_channels(list(SEED_CH_NAMES))
    raw.set_montage(make_seed_montage(), on_missing="raise")
    if sfreq is not None and not np.isclose(float(sfreq), raw.info["sfreq"]):
        logger.info("Resampling %s from %g Hz to %g Hz", fname.name, raw.info["sfreq"], sfreq)
        raw.resample(float(sfreq), method="polyphase", verbose=False)
    labels = np.array(SEED_V_LABELS[session][: len(table)])
    trials = mne.Annotations(
        onset=table[:, 0] + raw.first_time,
        duration=table[:, 1] - table[:, 0],
        description=[_EMOTIONS[int(c)] for c in labels],
        orig_time=raw.annotations.orig_time,
    )
    raw.set_annotations(raw.annotations + trials)
    raw.info["description"] = f"SEED-V subject {subject} session {session}"
    return raw, subject, session, table


@verbose
@fill_doc
def read_epochs_seed_v(
    fname,
    *,
    trial_times=None,
    window=4.0,
    sfreq=200.0,
    expected_sfreq=1000.0,
    data_format="auto",
    verbose=None,
):
    """Cut one SEED-V recording into fixed windows inside each trial.

    Each trial ``[start, end)`` gives ``floor((end - start) / window)``
    non-overlapping windows starting at ``start`` (for 4-s windows exactly the
    windows of the feature files); windows never cross trial boundaries.

    Parameters
    ----------
    fname : path-like
        The .cnt file (see :func:`read_raw_seed_v`).
    trial_times : None | array-like | dict
        See :func:`read_raw_seed_v`.
    window : float
        Window length in seconds (``window * sfreq`` must be an integer).
    sfreq, expected_sfreq, data_format
        See :func:`read_raw_seed_v`.
    %(verbose)s

    Returns
    -------
    epochs : mne.Epochs
        One epoch per window, ``tmin=0``, ``tmax=window - 1/sfreq``, no
        baseline. ``event_id`` maps emotion names to ``label + 1`` (MNE event
        codes must be positive). ``metadata`` columns: ``dataset``
        (``"SEED-V"``), ``subject``, ``session`` (1-based), ``trial``
        (0-based), ``label`` (dataset code 0..4), ``window`` (0-based index
        within the trial).
    """
    import pandas as pd

    window = float(window)
    if not np.isfinite(window) or window <= 0:
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    raw, subject, session, table = _read_raw(fname, trial_times, sfreq, expected_sfreq, data_format)
    fs = raw.info["sfreq"]
    n_win_samples = window * fs
    if not np.isclose(n_win_samples, round(n_win_samples)):
        raise ValueError(f"window * sfreq must be an integer, got {window} s x {fs} Hz")
    n_win_samples = int(round(n_win_samples))
    labels = np.array(SEED_V_LABELS[session][: len(table)])
    rows, samples = [], []
    for trial, ((start, end), label) in enumerate(zip(table, labels)):
        n_windows = int(np.floor((end - start) / window + 1e-9))
        first = int(round(start * fs))
        for w in range(n_windows):
            samples.append(raw.first_samp + first + w * n_win_samples)
            rows.append((trial, int(label), w))
    if not samples:
        raise ValueError(f"No trial of {fname} is at least {window} s long")
    rows = np.array(rows, dtype=np.int64)
    events = np.column_stack(
        [np.array(samples, dtype=np.int64), np.zeros(len(samples), np.int64), rows[:, 1] + 1]
    )
    metadata = pd.DataFrame(
        dict(
            dataset="SEED-V",
            subject=subject,
            session=session,
            trial=rows[:, 0],
            label=rows[:, 1],
            window=rows[:, 2],
        )
    )
    event_id = {name: code + 1 for name, code in SEED_V_EVENT_ID.items()}
    epochs = mne.Epochs(
        raw,
        events,
        event_id=event_id,
        tmin=0.0,
        tmax=(n_win_samples - 1) / fs,
        baseline=None,
        preload=True,
        reject_by_annotation=False,
        metadata=metadata,
        on_missing="ignore",
        verbose=False,
    )
    if len(epochs) != len(events):  # pragma: no cover (defensive)
        raise RuntimeError(f"{len(events) - len(epochs)} windows of {fname} were dropped")
    logger.info("SEED-V sub-%d ses-%d: %d windows of %g s", subject, session, len(epochs), window)
    return epochs


# ------------------------------------------------------------------ feature files
_SAFE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
    ("collections", "OrderedDict"),
}


class _ForbiddenGlobal(pickle.UnpicklingError):
    """A pickle refers to a global outside of the allow-list."""


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds numpy arrays/scalars and builtin containers."""

    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS or (module == "numpy.dtypes" and name.endswith("DType")):
            return super().find_class(module, name)
        raise _ForbiddenGlobal(f"global {module}.{name} is not allowed")


def _load_pickled_dict(npz, key, fname, allow_pickle):
    if key not in npz.files:
        raise ValueError(f"{fname} has no key {key!r} (keys: {list(npz.files)})")
    try:
        arr = npz[key]
    except ValueError as err:  # object array stored with pickle by np.savez
        if "allow_pickle" not in str(err):
            raise ValueError(f"{fname}[{key!r}] is corrupt: {err}") from err
        if not allow_pickle:
            raise ValueError(
                f"{fname}[{key!r}] is a pickled object array; pass allow_pickle=True to load "
                "it (only for files you trust: unpickling can execute code)"
            ) from err
        with np.load(fname, allow_pickle=True) as npz_obj:
            value = npz_obj[key].item()
    else:
        if arr.dtype.kind not in "SV" or arr.ndim != 0:
            raise ValueError(
                f"{fname}[{key!r}] should hold a pickled dict (bytes), got an array of dtype "
                f"{arr.dtype} and shape {arr.shape}"
            )
        payload = arr.tobytes()
        try:
            if allow_pickle:
                value = pickle.loads(payload)
            else:
                value = _ArrayUnpickler(io.BytesIO(payload)).load()
        except _ForbiddenGlobal as err:
            raise ValueError(
                f"Could not unpickle {fname}[{key!r}]: {err} (restricted loading rebuilds only "
                "numpy arrays; pass allow_pickle=True for files you trust)"
            ) from err
        except Exception as err:
            raise ValueError(f"{fname}[{key!r}] is corrupt: {err}") from err
    if not isinstance(value, dict):
        raise ValueError(f"{fname}[{key!r}] should be a dict {{0..44: array}}, got {type(value)}")
    out = {}
    for k, v in value.items():
        try:
            ki = int(k)
        except (TypeError, ValueError):
            raise ValueError(f"{fname}[{key!r}] has a non-integer trial key {k!r}") from None
        if not 0 <= ki < _N_SESSIONS * _N_TRIALS:
            raise ValueError(f"{fname}[{key!r}] has trial key {k!r} outside 0..44")
        out[ki] = np.asarray(v)
    return out


def _read_npz(fname, allow_pickle):
    with open(fname, "rb") as fid:
        try:
            npz = np.load(fid, allow_pickle=False)
        except Exception as err:
            raise ValueError(
                f"{fname} is not a readable .npz file (corrupt or truncated?): {err}"
            ) from err
        if not hasattr(npz, "files"):
            raise ValueError(f"{fname} holds a single array, not an .npz archive")
        try:
            data = _load_pickled_dict(npz, "data", fname, allow_pickle)
            label = _load_pickled_dict(npz, "label", fname, allow_pickle)
        except ValueError:
            raise
        except Exception as err:  # zip CRC errors etc. of a damaged archive
            raise ValueError(f"{fname} is corrupt or truncated: {err}") from err
        finally:
            npz.close()
    if set(data) != set(label):
        only_data = sorted(set(data) - set(label))
        only_label = sorted(set(label) - set(data))
        raise ValueError(
            f"{fname}: the 'data' and 'label' dicts have different trial keys (missing key: "
            f"only in data {only_data}, only in label {only_label})"
        )
    return data, label


def _trial_labels(label, n, fname, k):
    try:
        label = np.asarray(label, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{fname}: labels of trial key {k} are not numeric ({err})") from None
    label = label.reshape(-1) if label.ndim else np.full(n, float(label))
    if label.shape[0] != n:
        raise ValueError(
            f"{fname}: trial key {k} has {n} feature windows but {label.shape[0]} labels "
            "(label/trial count mismatch)"
        )
    if n and (not np.all(np.isfinite(label)) or np.any(label != np.round(label))):
        raise ValueError(f"{fname}: labels of trial key {k} are not integers")
    label = label.astype(np.int64)
    codes = np.unique(label)
    if codes.size > 1 or (codes.size and not 0 <= codes[0] <= 4):
        raise ValueError(
            f"{fname}: trial key {k} has labels {codes.tolist()}; expected one code in 0..4"
        )
    session, trial = k // _N_TRIALS + 1, k % _N_TRIALS
    expected = SEED_V_LABELS[session][trial]
    if codes.size and codes[0] != expected:
        raise ValueError(
            f"{fname}: trial key {k} (session {session}, trial {trial}) is labeled {codes[0]} "
            f"but the SEED-V label table says {expected} ({_EMOTIONS[expected]})"
        )
    return label


def _features_310(x, order, fname, k):
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != _N_EEG:
        raise ValueError(
            f"{fname}: trial key {k} has EEG features of shape {x.shape}, expected "
            f"(n_windows, 310) = 62 channels x 5 bands"
        )
    if order == "band":
        return x.reshape(len(x), 5, 62).transpose(0, 2, 1).copy()
    return x.reshape(len(x), 62, 5).copy()


def _to_310(eeg, order):
    """Inverse of :func:`_features_310`: (n, 62, 5) -> (n, 310)."""
    if order == "band":
        return eeg.transpose(0, 2, 1).reshape(len(eeg), _N_EEG)
    return eeg.reshape(len(eeg), _N_EEG)


@verbose
@fill_doc
def read_seed_v_features(
    root,
    *,
    subjects=None,
    sessions=None,
    eye=True,
    order="band",
    allow_pickle=False,
    allow_partial=False,
    verbose=None,
):
    """Read SEED-V DE and eye-movement feature files.

    Reads ``<root>/EEG_DE_features/<sub>_123.npz`` (and, with ``eye=True``,
    ``<root>/Eye_movement_features/<sub>_123.npz``). Both hold keys ``data``
    and ``label``, each a pickled dict ``{k: array}``; ``k // 15`` is the
    session (0-based in the file, 1-based here) and ``k mod 15`` the trial.
    Subjects come from the file names (sorted numerically); sessions from the
    keys present. Labels are checked against :data:`SEED_V_LABELS`.

    .. warning:: The dicts are Python pickles. By default they are loaded with
       a restricted unpickler that only rebuilds numpy arrays (no code is
       executed). ``allow_pickle=True`` uses :func:`pickle.loads`, which can
       execute arbitrary code: only use it for files you trust (ones you
       pointed this function at yourself, from the dataset distribution).

    Parameters
    ----------
    root : path-like
        SEED-V folder containing ``EEG_DE_features/`` (and
        ``Eye_movement_features/`` when ``eye=True``).
    subjects : list of int | None
        Subjects to read (``None``: all files found).
    sessions : list of int | None
        Sessions (1..3) to read (``None``: all sessions present in the files).
    eye : bool
        Also read the eye-movement features (33 per window).
    %(order_310)s
    allow_pickle : bool
        Use unrestricted :func:`pickle.loads` (see the warning above).
    %(allow_partial)s
    %(verbose)s

    Returns
    -------
    recordings : list of FeatureRecording
        One per (subject, session), sorted by subject then session, with
        ``eeg`` of shape ``(n_windows, 62, 5)`` (channels in
        :data:`mne_mmvsstma.SEED_CH_NAMES` order, bands delta..gamma),
        ``eye`` of shape ``(n_windows, 33)`` or ``None``, ``labels`` (dataset
        codes 0..4) and 0-based ``trial_ids``.
    """
    check_option("order", order, ("band", "channel"))
    root = check_path(root, kind="SEED-V root folder", is_dir=True)
    eeg_dir = root / _EEG_DIR
    if not eeg_dir.is_dir():
        raise FileNotFoundError(
            f"SEED-V EEG feature folder not found: {eeg_dir} (expected '{_EEG_DIR}/' in {root})"
        )
    if eye and not (root / _EYE_DIR).is_dir():
        raise FileNotFoundError(
            f"SEED-V eye feature folder not found: {root / _EYE_DIR} (pass eye=False to read "
            "EEG features only)"
        )
    files = []
    for path in sorted(eeg_dir.glob("*.npz"), key=natural_key):
        match = _NPZ_RE.match(path.name)
        if match is None:
            logger.info("Skipping %s: not a '<subject>_123.npz' file name", path)
            continue
        if not path.is_file():  # a FIFO or device would block the reader
            raise ValueError(f"{path} is not a regular file")
        files.append((int(match.group(1)), path))
    by_subject = {}
    for subject, path in files:
        by_subject.setdefault(subject, []).append(path)
    twice = {s: [p.name for p in ps] for s, ps in by_subject.items() if len(ps) > 1}
    if twice:
        raise ValueError(
            f"{eeg_dir} holds several files of the same subject: {twice}; keep one per subject"
        )
    if not files:
        raise FileNotFoundError(f"No SEED-V '<subject>_123.npz' files in {eeg_dir}")
    if subjects is not None:
        wanted = [int(s) for s in np.atleast_1d(subjects)]
        missing = sorted(set(wanted) - {s for s, _ in files})
        if missing:
            raise ValueError(f"Subjects {missing} not found in {eeg_dir}")
        files = [(s, p) for s, p in files if s in wanted]
    if sessions is not None:
        sessions = sorted({_check_session(s) for s in np.atleast_1d(sessions)})

    recordings = []
    for subject, eeg_path in files:
        data, label = _read_npz(eeg_path, allow_pickle)
        if eye:
            eye_path = root / _EYE_DIR / eeg_path.name
            if not eye_path.is_file():
                raise FileNotFoundError(
                    f"Eye-movement feature file missing for subject {subject}: {eye_path} "
                    "(pass eye=False to read EEG features only)"
                )
            eye_data, eye_label = _read_npz(eye_path, allow_pickle)
        present = sorted({k // _N_TRIALS + 1 for k in data})
        use = present if sessions is None else sessions
        for session in use:
            keys = sorted(k for k in data if k // _N_TRIALS + 1 == session)
            if not keys:
                raise ValueError(
                    f"{eeg_path} has no trial of session {session} (missing keys "
                    f"{(session - 1) * 15}..{session * 15 - 1})"
                )
            if keys != list(range(keys[0], keys[0] + len(keys))) or keys[0] % _N_TRIALS:
                missing = sorted(set(range((session - 1) * 15, keys[-1] + 1)) - set(keys))
                raise ValueError(f"{eeg_path}: session {session} lacks trial keys {missing}")
            check_trial_count([k % _N_TRIALS for k in keys], _N_TRIALS, fname=eeg_path,
                              what=f"session-{session}", dataset="SEED-V",
                              allow_partial=allow_partial, first=0)
            eeg_blocks, eye_blocks, lab_blocks, trial_blocks = [], [], [], []
            for k in keys:
                x = _features_310(data[k], order, eeg_path, k)
                y = _trial_labels(label[k], len(x), eeg_path, k)
                eeg_blocks.append(x)
                lab_blocks.append(y)
                trial_blocks.append(np.full(len(x), k % _N_TRIALS, dtype=np.int64))
                if eye:
                    if k not in eye_data:
                        raise ValueError(f"{eye_path} has no trial key {k} (missing key)")
                    e = np.asarray(eye_data[k], dtype=float)
                    if e.ndim != 2 or e.shape[1] != _N_EYE:
                        raise ValueError(
                            f"{eye_path}: trial key {k} has eye features of shape {e.shape}, "
                            f"expected (n_windows, {_N_EYE})"
                        )
                    if len(e) != len(x):
                        raise ValueError(
                            f"{eye_path}: trial key {k} has {len(e)} windows but the EEG file "
                            f"{eeg_path} has {len(x)} (window count mismatch)"
                        )
                    ey = _trial_labels(eye_label[k], len(e), eye_path, k)
                    if not np.array_equal(ey, y):
                        raise ValueError(f"{eye_path}: labels of trial key {k} differ from EEG")
                    eye_blocks.append(e)
            rec = FeatureRecording(
                dataset="SEED-V",
                subject=subject,
                session=session,
                eeg=np.concatenate(eeg_blocks),
                eye=np.concatenate(eye_blocks) if eye else None,
                labels=np.concatenate(lab_blocks),
                trial_ids=np.concatenate(trial_blocks),
                event_id=dict(SEED_V_EVENT_ID),
                ch_names=list(SEED_CH_NAMES),
                band_names=list(BAND_NAMES),
                eye_names=list(SEED_V_EYE_FEATURE_NAMES) if eye else None,
                fname=str(eeg_path),
            )
            logger.info("Read %r", rec)
            recordings.append(rec)
    return recordings
