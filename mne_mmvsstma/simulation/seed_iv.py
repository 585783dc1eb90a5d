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
    _SEED_IV_DE,
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
    The data come from one calibrated generative core (``_Simulator``) with
    SEED-IV's calibration: its defaults reproduce statistics measured on the
    real files. EEG: the real ``de_LDS`` of sessions 1 and 2 (15 recordings
    each), session by session; session 3, never measured, takes the middle of
    the two. Real against simulated (mean of 10 folders of 15 subjects,
    ``random_state`` 0-9; variance fractions and accuracies in %%; SVM:
    StandardScaler + linear SVC per recording, first 16 trials train, last 8
    test; drift: mean squared difference of standardised trial means 16-23
    trials apart minus that of neighbouring trials):

    ================================  ===================  ===================
    statistic (``de_LDS``)            session 1            session 2
    ================================  ===================  ===================
    variance between class / trial /  26.6 / 72.6 / 0.84   32.6 / 66.5 / 0.90
    within trial (real)
    simulated                         25.7 / 73.5 / 0.86   29.7 / 69.4 / 0.93
    lag-1 autocorrelation (real /     .951 / .954          .953 / .955
    simulated)
    inter-channel correlation per     .61 .61 .70 .67 .65  .55 .46 .64 .53 .45
    band, a session's windows pooled
    simulated                         .59 .54 .69 .66 .65  .55 .43 .60 .51 .48
    same, within each recording       .63 .61 .70 .61 .62  .64 .60 .63 .60 .64
    simulated                         .64 .66 .65 .64 .65  .64 .63 .63 .62 .63
    drift of trial means (real /      0.89 / 0.89          0.60 / 0.50
    simulated)
    SVM mean / std (real)             50.0 / 18.7          68.6 / 20.5
    simulated                         50.5 / 21.6          70.9 / 21.9
    SVM min / median / max (real)     17.8 / 49.0 / 80.5   16.4 / 76.3 / 96.4
    simulated                         12.1 / 50.9 / 89.8   27.9 / 73.8 / 99.6
    ================================  ===================  ===================

    Session 2 is easier than session 1 by 18.6 points in the real data, by
    20.5 on average here (from -2.4 to +34.7 over the 10 folders: the mean
    of 15 recordings moves by ~6 points from draw to draw). What sets the
    difficulty: an emotion effect that varies over channels as much as the
    trial-to-trial fluctuations do, trial-to-trial variation unrelated to
    emotion (~70 %% of the variance), a random walk over the session that
    moves the late (test) trials away from the early (training) ones, and
    recordings that differ widely in how much emotion their features carry
    (some near chance). Recording offsets shared by the channels of a band
    give the pooled inter-channel correlation; one recording in 15 of
    session 1 (as in the real data) has an artifact episode that raises a
    run of trials on all channels by several log2 units. Before this
    calibration the simulator gave a pooled correlation of .21-.36, SVM
    75.8 %% (std 18.9, min 50.6) and no session difference.

    The unsmoothed DE is simulated at 1-s resolution (AR(1) + white noise
    within trials) and averaged to the 4-s windows; ``de_movingAve`` /
    ``de_LDS`` are its smoothed versions, ``psd_*`` the same for
    ``2 ** DE / 100``. The within-trial noise is set so that
    ``de_movingAve`` varies within trials as the real files do (within-trial
    variance 0.2 log2 units squared; 52 %% of the variance here, 67 %% in the
    real files, whose lag-1 autocorrelation is lower, 0.58 against 0.82).
    The ``*_LDS`` files use :func:`~mne_mmvsstma.features.smooth_lds` with
    ``process_noise=2e-3``: the real ``de_LDS`` files keep ~50 times more
    within-trial variation than the package's LDS default (``1e-4``) would
    (their within-trial course matches that LDS with ``1e-3`` applied to
    their ``de_movingAve``), so windows of a trial are nearly, not exactly,
    identical.

    Eye features: variance fractions, lag-1 autocorrelation, per-feature
    scales and tails, the NaN pattern and a per-recording linear-SVM
    accuracy spread (mean ~57 %%, std ~18-20 %%) of the real files. The raw
    EEG is random-phase noise whose band powers reproduce the unsmoothed DE
    of every 4-s window, so :func:`~mne_mmvsstma.features.compute_de`
    (``window=4.``) on the raw data returns it within ~0.05 (log2 units) and
    smoothing that gives the feature files. Effect sizes are calibrated to
    statistics, not tuned to any model.
    """
    sessions = _check_sim_args(
        n_subjects, sessions, n_trials, 24, SEED_IV_LABELS, "simulate_seed_iv"
    )
    if not 0.0 <= float(eye_nan) < 1.0:
        raise ValueError(f"eye_nan must be in [0, 1), got {eye_nan!r}")
    root = _prepare_root(root, dataset="SEED-IV", n_trials=n_trials, overwrite=overwrite,
                         name="simulate_seed_iv")
    sim = _Simulator(
        random_state, len(SEED_IV_EVENT_ID), effect_size, de_calibration=_SEED_IV_DE
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
            rec = sim.recording(subject, session, klasses)
            de_rng, eye_rng = sim.rng(3, subject, session), sim.rng(5, subject, session)
            raw_rng = sim.rng(4, subject, session)
            raw_dict, eeg_dict, eye_dict = {}, {}, {}
            for t, n_win in enumerate(counts, start=1):
                de = sim.de_trial(de_rng, rec, rec.de_mean[t - 1], n_win, window=WINDOW)
                if features:
                    eeg_dict.update(
                        _smoothed_features(de, t, process_noise=rec.cal.lds_process_noise)
                    )
                    eye_dict[f"eye_{t}"] = sim.eye_trial(
                        eye_rng, rec.eye_mean[t - 1], rec.artifacts, t - 1, n_win
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
