"""Simulated SEED-IV folders in the exact real layout."""

from __future__ import annotations

from ..datasets.seed_iv import (
    _FOLDERS,
    SEED_IV_EVENT_ID,
    SEED_IV_LABELS,
    SEED_IV_N_WINDOWS,
    WINDOW,
)
from ..utils import fill_doc, logger, verbose
from ._core import (
    _SEED_IV_DE_CLASS_VAR,
    _add_eye_nan,
    _check_sim_args,
    _file_date,
    _has_eye_nan,
    _prepare_root,
    _savemat,
    _simulate_eeg,
    _Simulator,
    _smoothed_features,
    _subject_prefix,
    _window_counts,
)


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
    overwrite=False,
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
    %(simulate_overwrite)s
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
    root = _prepare_root(root, dataset="SEED-IV", n_trials=n_trials, overwrite=overwrite,
                         name="simulate_seed_iv")
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
