"""Simulated SEED-V folders (.cnt recordings and npz feature files) in the exact real layout."""

from __future__ import annotations

import datetime
import pickle

import numpy as np

from ..channels import SEED_CH_NAMES, make_seed_montage
from ..datasets.seed_v import (
    _CNT_CH_NAMES,
    _CNT_RE,
    _EEG_DIR,
    _EYE_DIR,
    _N_TRIALS,
    _RAW_DIR,
    SEED_V_EVENT_ID,
    SEED_V_EYE_FEATURE_NAMES,
    SEED_V_LABELS,
    _check_n_trials,
    _check_session,
    _to_310,
    seed_v_trial_times,
)
from ..utils import check_int, check_option, fill_doc, logger, verbose
from ._cnt import CntWriter
from ._core import _SEED_V_DE, _prepare_root, _simulate_eeg, _Simulator

#: seconds per feature window (the windows of the npz files)
_WINDOW = 4.0
#: the DE of the feature files is that of the EEG at the readers' 200 Hz
_FEATURE_SFREQ = 200
#: sampling rate of the .cnt files, an integer multiple of the feature rate
_CNT_SFREQ = 1000
_UP = _CNT_SFREQ // _FEATURE_SFREQ


def _eeg_200(sim, rng, table, de_trials, rec, tail):
    """EEG (62, n_seconds * 200) of one recording, float32, microvolts, at 200 Hz.

    Every trial's 4-s windows reproduce ``de_trials`` (the unsmoothed DE of the
    feature files, :func:`~._core._simulate_eeg`; ``rec`` is the recording's draw of
    the core); the seconds of a trial after
    its last full window, the gaps between trials and the ``tail`` after the last
    trial are 1-s windows drawn by the core around the trial's mean DE (gaps: the
    recording's mean over trials). Consecutive pieces are joined without a step:
    the last 10 % of a piece (where the Hann window of the DE is nearly zero)
    bends towards the first sample of the next.
    """
    pieces = []  # (de, window)
    prev_end = 0
    rest = rec.de_mean.mean(axis=0)
    for j, ((start, end), de) in enumerate(zip(table, de_trials)):
        if start > prev_end:
            pieces.append((sim.de_trial(rng, rec, rest, int(start - prev_end), window=1.0), 1.0))
        pieces.append((de, _WINDOW))
        left = int(end - start - _WINDOW * len(de))
        if left > 0:
            pieces.append((sim.de_trial(rng, rec, rec.de_mean[j], left, window=1.0), 1.0))
        prev_end = end
    pieces.append((sim.de_trial(rng, rec, rest, int(tail), window=1.0), 1.0))
    n_total = int(round((table[-1, 1] + tail) * _FEATURE_SFREQ))
    out = np.empty((len(SEED_CH_NAMES), n_total), np.float32)
    pos, prev, prev_m = 0, None, 0
    for de, window in pieces:
        x = _simulate_eeg(rng, de, window=window, sfreq=_FEATURE_SFREQ)
        if prev is not None:  # x[:, -1] continues the last window periodically: drop it
            step = x[:, :1] - prev[:, -1:]
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(prev_m) + 1) / prev_m)
            prev[:, -1 - prev_m : -1] += ramp * step
            out[:, pos : pos + prev.shape[1] - 1] = prev[:, :-1]
            pos += prev.shape[1] - 1
        prev, prev_m = x, max(1, int(round(window * _FEATURE_SFREQ)) // 10)
    out[:, pos:] = prev[:, :-1]
    return out


def _write_cnt_recording(fname, eeg, eog_rng, table, *, data_format, date, subject, session):
    """Write one 66-channel 1000-Hz .cnt file from the 200-Hz EEG of :func:`_eeg_200`.

    The EEG is upsampled by polyphase filtering (its content is below 100 Hz, so
    the readers' resampling to 200 Hz gives it back). M1 / M2 carry a third of
    the neighbouring TP7 / TP8 plus weak noise, VEO blinks and HEO saccade steps
    (no EOG leaks into the EEG channels, whose DE stays that of the feature files).
    """
    from scipy.signal import lfilter, resample_poly

    n_total = eeg.shape[1] * _UP
    sfreq = _CNT_SFREQ
    ch_index = {ch: i for i, ch in enumerate(_CNT_CH_NAMES)}
    eeg_idx = np.array([ch_index[ch] for ch in SEED_CH_NAMES])
    tp7, tp8 = SEED_CH_NAMES.index("TP7"), SEED_CH_NAMES.index("TP8")
    n_blinks = eog_rng.poisson(0.3 * n_total / sfreq)
    blink_t = np.sort(eog_rng.uniform(0, n_total / sfreq, n_blinks))
    blink_amp = eog_rng.uniform(80, 200, n_blinks)
    heo_zi = np.zeros(1)
    pos2d = np.zeros((len(_CNT_CH_NAMES), 2))
    montage_pos = make_seed_montage().get_positions()["ch_pos"]
    extra = {"M1": (-0.085, -0.03), "M2": (0.085, -0.03), "VEO": (-0.04, 0.11), "HEO": (0.04, 0.11)}
    for ch, i in ch_index.items():
        pos2d[i] = extra[ch] if ch in extra else montage_pos[ch][:2]
    resolution = 0.01 if data_format == "int32" else 0.05
    chunk, pad = 10 * _FEATURE_SFREQ, 32  # 200-Hz samples per chunk / of filter context
    with CntWriter(
        fname,
        _CNT_CH_NAMES,
        sfreq,
        resolution=resolution,
        data_format=data_format,
        pos=pos2d,
        meas_date=date,
        patient_id=subject,
        label=f"SEED-V sim s{session}",
        heog="HEO",
        veog="VEO",
        overwrite=True,
    ) as writer:
        for c0 in range(0, eeg.shape[1], chunk):
            c1 = min(c0 + chunk, eeg.shape[1])
            lo, hi = max(0, c0 - pad), min(eeg.shape[1], c1 + pad)
            up = resample_poly(eeg[:, lo:hi].astype(np.float64), _UP, 1, axis=1)
            up = up[:, _UP * (c0 - lo) : _UP * (c1 - lo)]
            n = up.shape[1]
            t = (_UP * c0 + np.arange(n)) / sfreq
            out = np.zeros((len(_CNT_CH_NAMES), n))
            out[eeg_idx] = up
            out[ch_index["M1"]] = up[tp7] / 3 + 0.5 * eog_rng.standard_normal(n)
            out[ch_index["M2"]] = up[tp8] / 3 + 0.5 * eog_rng.standard_normal(n)
            sel = (blink_t > t[0] - 1) & (blink_t < t[-1] + 1)
            veo = 3.0 * eog_rng.standard_normal(n)
            for bt, ba in zip(blink_t[sel], blink_amp[sel]):
                veo += ba * np.exp(-0.5 * ((t - bt) / 0.05) ** 2)
            steps = np.zeros(n)
            jumps = eog_rng.random(n) < 0.5 / sfreq
            steps[jumps] = eog_rng.normal(0, 40, jumps.sum())
            heo, heo_zi = lfilter([1.0], [1.0, -0.9995], steps, zi=heo_zi)
            out[ch_index["VEO"]] = veo
            out[ch_index["HEO"]] = heo + 3.0 * eog_rng.standard_normal(n)
            writer.write(out * 1e-6)
        writer.add_events(np.round(table[:, 0] * sfreq).astype(int), 1)
        writer.add_events(np.round(table[:, 1] * sfreq).astype(int), 2)


@verbose
@fill_doc
def simulate_seed_v(
    root,
    *,
    n_subjects=2,
    sessions=(1,),
    n_trials=15,
    time_scale=0.01,
    raw=True,
    features=True,
    effect_size=1.0,
    order="band",
    data_format="int32",
    random_state=0,
    overwrite=False,
    verbose=None,
):
    """Write a small synthetic SEED-V folder in the exact real layout.

    Writes ``EEG_raw/<sub>_<ses>_<yyyymmdd>.cnt`` (Neuroscan, 1000 Hz, the
    66 channels of SEED-V in file order: the 62 EEG channels with M1 and M2
    at indices 32 and 42, VEO and HEO last, as
    :func:`~mne_mmvsstma.datasets.read_raw_seed_v` expects),
    ``EEG_DE_features/<sub>_123.npz`` and ``Eye_movement_features/<sub>_123.npz``
    (keys ``data`` and ``label``, pickled dicts ``{k: array}`` with
    ``k = 15 * (session - 1) + trial``; EEG ``(n_windows, 310)``, eye
    ``(n_windows, 33)`` in the order of
    :data:`~mne_mmvsstma.datasets.SEED_V_EYE_FEATURE_NAMES`).

    The trials follow ``seed_v_trial_times(session, time_scale, n_trials=n_trials)``
    (pass that table as ``trial_times`` to
    :func:`~mne_mmvsstma.datasets.read_raw_seed_v` /
    :func:`~mne_mmvsstma.datasets.read_epochs_seed_v`); each trial gives ``(end - start) // 4``
    feature windows. The simulated .cnt files also store event markers
    (code 1 at trial starts, 2 at trial ends), which the readers do not need.

    Parameters
    ----------
    root : path-like
        Output folder (created if needed; existing files of the same names
        are overwritten).
    n_subjects : int
        Number of subjects (numbered 1..n_subjects).
    sessions : tuple of int
        Sessions to write (1..3).
    n_trials : int
        Number of trials per session (the first ``n_trials`` of 15).
    time_scale : float
        Factor applied to the real trial durations and gaps (see
        :func:`~mne_mmvsstma.datasets.seed_v_trial_times`); ``1.0`` gives real
        sizes (about one hour per recording, ~1 GB per .cnt file).
    raw : bool
        Write the .cnt recordings.
    features : bool
        Write the npz feature files.
    effect_size : float
        Scale of the between-class (emotion) part relative to its calibrated
        value: ``1.0`` (default) = calibrated, ``0`` = no emotion information,
        ``2`` = twice the calibrated amplitude.
    %(order_310)s
    data_format : ``"int16"`` | ``"int32"``
        Sample format of the .cnt files.
    %(random_state)s
    %(simulate_overwrite)s
    %(verbose)s

    Returns
    -------
    root : pathlib.Path
        The folder written.

    Notes
    -----
    The data come from the calibrated generative core shared with
    :func:`simulate_seed_iv` and :func:`simulate_seed` (``_Simulator``), with
    five classes and SEED-IV's settings: 4-s windows, whose unsmoothed DE is
    simulated at 1-s resolution with SEED's measured statistics (variance
    fractions between class / between trial / within trial, lag-1
    autocorrelation, inter-channel and inter-band correlation) and averaged to
    4 s, and a between-class variance that gives a linear SVM of ~70 %% on these
    4-s windows (SEED-V has no measured target of its own; the calibration of
    :func:`simulate_seed_iv` to real SEED-IV ``de_LDS`` files is not carried
    over to SEED-V's unsmoothed DE). The EEG files hold this DE, not smoothed,
    in SEED-style units (log2 of band power). The eye features follow the model
    calibrated on the real SEED-IV eye files (variance fractions, lag-1
    autocorrelation, per-feature quantiles and heavy tails,
    recording-to-recording spread): the 31 features that SEED-IV also has are
    matched by name (the pupil, dispersion, fixation, saccade and
    event-statistics features; the SEED-IV row order inside a group is itself an
    assumption, see :data:`~mne_mmvsstma.datasets.EYE_FEATURE_NAMES`), and
    ``blink_duration_mean`` / ``blink_duration_std``, which SEED-IV lacks, are
    modelled like the nearest group, fixation duration (same quantiles, a group
    of their own). The eye files hold no NaN (no SEED-V statistic says
    otherwise); ``blink_frequency`` is 0 in ~7 %% of the windows, as in SEED-IV.

    The raw EEG is random-phase noise whose band powers reproduce the DE of
    every 4-s window (at the readers' 200 Hz, upsampled to 1000 Hz by
    polyphase filtering), so DE computed from
    :func:`~mne_mmvsstma.datasets.read_epochs_seed_v` windows (SEED method,
    :func:`~mne_mmvsstma.features.compute_de`) returns the feature files within
    ~0.05 (log2 units). The seconds of a trial after its last full window hold
    1-s windows drawn by the core around the trial's mean DE, the gaps between
    trials and after the last trial 1-s windows around the mean over trials.
    M1 / M2 carry a third of the neighbouring TP7 / TP8 signal plus weak
    noise, VEO blinks and HEO saccade steps; the EOG does not leak into the
    EEG channels.
    """
    name = "simulate_seed_v"
    check_option("order", order, ("band", "channel"))
    check_option("data_format", data_format, ("int16", "int32"))
    n_subjects = check_int(n_subjects, "n_subjects")
    sessions = sorted({_check_session(s) for s in np.atleast_1d(sessions)})
    n_trials = _check_n_trials(n_trials)
    effect_size = float(effect_size)
    if not np.isfinite(effect_size) or effect_size < 0:
        raise ValueError(f"effect_size must be a non-negative number, got {effect_size!r}")
    tables = {s: seed_v_trial_times(s, time_scale, n_trials=n_trials) for s in sessions}
    tail = max(1.0, float(np.floor(30 * float(time_scale) + 0.5)))
    root = _prepare_root(root, dataset="SEED-V", n_trials=n_trials, overwrite=overwrite, name=name)
    sim = _Simulator(
        random_state,
        len(SEED_V_EVENT_ID),
        effect_size,
        de_calibration=_SEED_V_DE,
        eye_features=SEED_V_EYE_FEATURE_NAMES,
    )
    if raw:
        (root / _RAW_DIR).mkdir(parents=True, exist_ok=True)
    if features:
        (root / _EEG_DIR).mkdir(parents=True, exist_ok=True)
        (root / _EYE_DIR).mkdir(parents=True, exist_ok=True)
    for subject in range(1, int(n_subjects) + 1):
        day_rng = sim.rng(8, subject)
        first_day = datetime.datetime(2018, 4, 1) + datetime.timedelta(
            days=int(day_rng.integers(300))
        )
        eeg_dict, eye_dict, lab_dict = {}, {}, {}
        for session in sessions:
            table = tables[session]
            klasses = SEED_V_LABELS[session][:n_trials]  # the label codes are 0..4
            rec = sim.recording(subject, session, klasses)
            de_rng, eye_rng = sim.rng(3, subject, session), sim.rng(5, subject, session)
            de_trials = []
            for trial, (start, end) in enumerate(table):
                n_win = int((end - start) // _WINDOW)
                de = sim.de_trial(de_rng, rec, rec.de_mean[trial], n_win, window=_WINDOW)
                de_trials.append(de)
                if features:
                    k = (session - 1) * _N_TRIALS + trial
                    eeg_dict[k] = _to_310(de, order)
                    eye_dict[k] = sim.eye_trial(
                        eye_rng, rec.eye_mean[trial], rec.artifacts, trial, n_win
                    )
                    lab_dict[k] = np.full(n_win, klasses[trial], dtype=np.int64)
            if raw:
                day = first_day + datetime.timedelta(
                    days=int(7 * (session - 1) + day_rng.integers(7)), hours=9 + session
                )
                fname = root / _RAW_DIR / f"{subject}_{session}_{day:%Y%m%d}.cnt"
                for old in (root / _RAW_DIR).glob(f"{subject}_{session}_*.cnt"):
                    if old != fname and _CNT_RE.match(old.name):
                        old.unlink()
                eeg = _eeg_200(sim, sim.rng(4, subject, session), table, de_trials, rec, tail)
                _write_cnt_recording(
                    fname,
                    eeg,
                    sim.rng(7, subject, session),
                    table.astype(float),
                    data_format=data_format,
                    date=day,
                    subject=subject,
                    session=session,
                )
                logger.info("Wrote %s", fname)
        if features:
            for folder, data in ((_EEG_DIR, eeg_dict), (_EYE_DIR, eye_dict)):
                fname = root / folder / f"{subject}_123.npz"
                np.savez(fname, data=pickle.dumps(data), label=pickle.dumps(lab_dict))
                logger.info("Wrote %s", fname)
    return root
