"""Simulated SEED folders in the exact real layout."""

from __future__ import annotations

import datetime

import numpy as np

from ..channels import SEED_CH_NAMES
from ..datasets.seed import (
    _FOLDERS,
    _LABEL_FILE,
    ASYMMETRY_PAIRS,
    CAUDALITY_PAIRS,
    SEED_EVENT_ID,
    SEED_LABELS,
    SEED_N_WINDOWS,
)
from ..utils import fill_doc, logger, verbose
from ._core import (
    _check_sim_args,
    _prepare_root,
    _savemat,
    _simulate_eeg,
    _Simulator,
    _smoothed_features,
    _subject_prefix,
    _window_counts,
)


def _pair_index(pairs):
    index = {name: i for i, name in enumerate(SEED_CH_NAMES)}
    return np.array([index[a] for a, _ in pairs]), np.array([index[b] for _, b in pairs])


def _extracted_features(de, trial):
    """The 12 ExtractedFeatures variables of one trial, in the real key order."""
    base = _smoothed_features(de, trial)
    left, right = _pair_index(ASYMMETRY_PAIRS)
    front, back = _pair_index(CAUDALITY_PAIRS)
    out = dict(base)
    for smooth in ("movingAve", "LDS"):
        smoothed = base[f"de_{smooth}{trial}"]  # (62, n, 5)
        dasm = smoothed[left] - smoothed[right]
        out[f"dasm_{smooth}{trial}"] = dasm
        out[f"rasm_{smooth}{trial}"] = smoothed[left] / smoothed[right]
        out[f"asm_{smooth}{trial}"] = np.concatenate([dasm, smoothed[left] / smoothed[right]])
        out[f"dcau_{smooth}{trial}"] = smoothed[front] - smoothed[back]
    order = [
        f"{family}_{smooth}{trial}"
        for family in ("de", "psd", "dasm", "rasm", "asm", "dcau")
        for smooth in ("movingAve", "LDS")
    ]
    return {key: out[key] for key in order}


def _seed_date(subject: int, session: int) -> str:
    date = datetime.date(2013, 7, 9) + datetime.timedelta(days=5 * (subject - 1) + 9 * session)
    return date.strftime("%Y%m%d")


@verbose
@fill_doc
def simulate_seed(
    root,
    *,
    n_subjects=2,
    sessions=(1,),
    n_trials=15,
    n_windows=None,
    raw=True,
    features=True,
    effect_size=1.0,
    random_state=0,
    overwrite=False,
    verbose=None,
):
    """Write a simulated SEED folder in the exact real layout.

    Parameters
    ----------
    root : path-like
        Output folder (created). ``Preprocessed_EEG/`` and
        ``ExtractedFeatures/`` are written inside, each with the real
        ``label.mat`` (15 labels) and files ``<subject>_<yyyymmdd>.mat``.
    n_subjects : int
        Number of subjects (numbered 1..n_subjects).
    sessions : int | tuple of int
        Sessions to write; SEED numbers sessions by date, so they must be
        ``1..k`` (e.g. ``(1,)`` or ``(1, 2, 3)``).
    n_trials : int
        Trials per session (the first ``n_trials`` of the 15).
    n_windows : int | list of int | None
        1-s windows (= seconds) per trial: ``None`` uses the real durations of
        :data:`SEED_N_WINDOWS` (about 57 min of EEG per session), an int that
        many for every trial.
    raw : bool
        Write ``Preprocessed_EEG`` (62 channels, 200 Hz, ``200 * n_windows + 1``
        samples per trial, microvolts).
    features : bool
        Write ``ExtractedFeatures`` (the 12 variables per trial of the real
        files: de/psd ``(62, n, 5)``, dasm/rasm ``(27, n, 5)``, asm
        ``(54, n, 5)``, dcau ``(23, n, 5)``, each as movingAve and LDS).
    effect_size : float
        Scale of the between-class (emotion) part relative to its calibrated
        value: ``1.0`` (default) = calibrated to real SEED (SPEC "Real-data
        statistics"), ``0`` = no emotion information.
    %(random_state)s
    %(simulate_overwrite)s
    %(verbose)s

    Returns
    -------
    root : pathlib.Path
        The output folder.

    Notes
    -----
    The feature and raw models are those of
    :func:`~mne_mmvsstma.simulation.simulate_seed_iv` with three classes and
    1-s windows, calibrated to real SEED 1-s unsmoothed DE: variance fractions
    6.6 / 33.4 / 60 %% (between class / trial / within trial), lag-1
    autocorrelation 0.16, inter-channel correlation per band .39-.71, linear
    SVM (9 / 6 trials) ~67 %%. The raw EEG reproduces that DE window by window
    (:func:`~mne_mmvsstma.features.compute_de` with ``window=1.``). The asymmetry
    features are computed from the simulated DE
    with :data:`ASYMMETRY_PAIRS` (DASM = left - right, RASM = left / right,
    ASM = [DASM, RASM]) and :data:`CAUDALITY_PAIRS` (DCAU = frontal - posterior).
    """
    sessions = _check_sim_args(n_subjects, sessions, n_trials, 15, (1, 2, 3), "simulate_seed")
    if sorted(sessions) != list(range(1, len(sessions) + 1)):
        raise ValueError(
            f"simulate_seed: SEED numbers sessions by recording date, so sessions must be 1..k "
            f"(e.g. (1,) or (1, 2, 3)), got {sessions}"
        )
    root = _prepare_root(root, dataset="SEED", n_trials=n_trials, overwrite=overwrite,
                         name="simulate_seed")
    sim = _Simulator(random_state, len(SEED_EVENT_ID), effect_size)
    codes = sorted(SEED_EVENT_ID.values())
    labels = SEED_LABELS[:n_trials]
    klasses = [codes.index(label) for label in labels]
    counts = _window_counts(n_windows, SEED_N_WINDOWS, n_trials, "simulate_seed")
    label_mat = {"label": np.array([SEED_LABELS], dtype=np.float64)}
    if raw:
        _savemat(root / _FOLDERS["raw"] / _LABEL_FILE, label_mat)
    if features:
        _savemat(root / _FOLDERS["features"] / _LABEL_FILE, label_mat)
    for subject in range(1, n_subjects + 1):
        for session in sessions:
            name = f"{subject}_{_seed_date(subject, session)}.mat"
            prefix = _subject_prefix(subject)
            rec = sim.recording(subject, session, klasses)
            de_rng, raw_rng = sim.rng(3, subject, session), sim.rng(4, subject, session)
            raw_dict, feat_dict = {}, {}
            for t, n_win in enumerate(counts, start=1):
                de = sim.de_trial(de_rng, rec, rec.de_mean[t - 1], n_win, window=1.0)
                if features:
                    feat_dict.update(_extracted_features(de, t))
                if raw:
                    raw_dict[f"{prefix}_eeg{t}"] = _simulate_eeg(raw_rng, de, window=1.0)
            if raw:
                _savemat(root / _FOLDERS["raw"] / name, raw_dict)
            if features:
                _savemat(root / _FOLDERS["features"] / name, feat_dict)
            logger.info(f"Wrote simulated SEED sub-{subject} ses-{session} ({name})")
    return root
