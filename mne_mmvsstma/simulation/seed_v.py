"""Simulated SEED-V folders (.cnt recordings and npz feature files) in the exact real layout."""

from __future__ import annotations

import datetime
import pickle

import numpy as np

from ..channels import SEED_BANDS, SEED_CH_NAMES, make_seed_montage
from ..datasets.seed_v import (
    _CNT_CH_NAMES,
    _CNT_RE,
    _EEG_DIR,
    _EYE_DIR,
    _N_EYE,
    _N_SESSIONS,
    _N_TRIALS,
    _RAW_DIR,
    SEED_V_LABELS,
    _check_n_trials,
    _check_session,
    _to_310,
    seed_v_trial_times,
)
from ..utils import (
    check_int,
    check_option,
    check_random_state,
    fill_doc,
    logger,
    verbose,
)
from ._cnt import CntWriter
from ._core import _prepare_root

_BAND_EDGES = tuple(SEED_BANDS.values())

# SEED-style DE (log2(100 E), E = mean Hann-windowed |FFT|^2 of a 4-s window at
# 200 Hz over the band's bins) of band-limited noise with standard deviation
# sigma (uV) and bandwidth B: DE = log2(sigma^2 K_B), K_B = 100 * 800 * (fs / 2B)
# * 0.375 (Hann power). The simulator draws DE values and turns them back into
# band amplitudes with this relation, so DE computed from the simulated raw
# EEG roughly reproduces the simulated feature files.
_SIM_WIN = 4.0
_SIM_FS_FEAT = 200.0
_K_BAND = np.array(
    [
        100 * _SIM_WIN * _SIM_FS_FEAT * (_SIM_FS_FEAT / (2 * (hi - lo))) * 0.375
        for lo, hi in _BAND_EDGES
    ]
)
_SIGMA_UV = np.array([12.0, 6.0, 6.0, 4.0, 2.0])  # typical band amplitudes (uV)
_BASE_DE = np.log2(_SIGMA_UV**2 * _K_BAND)  # ~ 27, 25, 24, 21, 19
_EYE_BASE = np.array(
    [4.0, 0.3, 1.2, 0.9, 0.7, 0.5] * 2  # pupil X/Y: mean (mm), std, DE in 4 bands
    + [0.05, 0.03, 0.05, 0.03]  # dispersion
    + [300.0, 150.0]  # fixation duration (ms)
    + [150.0, 50.0]  # blink duration (ms)
    + [50.0, 20.0, 6.0, 3.0]  # saccade duration (ms) / amplitude (deg)
    + [0.3, 2.5, 900.0, 0.4, 0.15, 2.0, 50.0, 6.0, 200.0]  # event statistics
)


def _smooth_fields(rng, n, pos, length=0.05):
    """``n`` random spatially smooth fields over the 62 electrodes (unit RMS)."""
    dist2 = ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)
    chol = np.linalg.cholesky(np.exp(-dist2 / (2 * length**2)) + 1e-6 * np.eye(len(pos)))
    fields = rng.standard_normal((n, len(pos))) @ chol.T
    fields -= fields.mean(axis=1, keepdims=True) * 0.5
    return fields / np.sqrt((fields**2).mean(axis=1, keepdims=True))


def _patterns(rng, n, pos, n_components=2):
    """``n`` smooth (62, 5) patterns: sums of spatial fields x band loadings, unit RMS."""
    fields = _smooth_fields(rng, n * n_components, pos).reshape(n, n_components, 62)
    bands = rng.standard_normal((n, n_components, 5))
    pats = np.einsum("ncs,ncb->nsb", fields, bands)
    return pats / np.sqrt((pats**2).mean(axis=(1, 2), keepdims=True))


def _ar1(rng, n, shape, phi, sd):
    """AR(1) series along axis 0 with stationary standard deviation ``sd``."""
    out = np.empty((n, *shape))
    innov = rng.standard_normal((n, *shape)) * sd * np.sqrt(1 - phi**2)
    out[0] = rng.standard_normal(shape) * sd
    for t in range(1, n):
        out[t] = phi * out[t - 1] + innov[t]
    return out


class _Latents:
    """Dataset-level effects shared by all simulated subjects."""

    def __init__(self, rng, effect_size):
        pos = make_seed_montage().get_positions()["ch_pos"]
        self.pos = np.array([pos[ch] for ch in SEED_CH_NAMES])
        self.class_de = effect_size * 0.224 * _patterns(rng, 5, self.pos)
        self.class_eye = effect_size * 0.036 * rng.standard_normal((5, _N_EYE))
        self.base_de = _BASE_DE[None, :] + 0.4 * _patterns(rng, 1, self.pos)[0]
        self.log_eye = np.log(_EYE_BASE)


def _simulate_features(rng, latents, table, session, subject_fx, window=_SIM_WIN):
    """DE (n, 62, 5) and eye (n, 33) features, labels and trial ids of one session."""
    labels = SEED_V_LABELS[session]
    ses_de = 0.25 * _patterns(rng, 1, latents.pos)[0]
    ses_eye = 0.03 * rng.standard_normal(_N_EYE)
    de, eye, lab, tri = [], [], [], []
    for trial, (start, end) in enumerate(table):
        n = int((end - start) // window)
        c = labels[trial]
        trial_de = 0.35 * _patterns(rng, 1, latents.pos)[0] + 0.15 * rng.standard_normal((62, 5))
        mean_de = (
            latents.base_de
            + subject_fx["de"]
            + ses_de
            + latents.class_de[c]
            + subject_fx["class_de"][c]
            + trial_de
        )
        x = mean_de + _ar1(rng, n, (62, 5), 0.7, 0.45) + 0.3 * rng.standard_normal((n, 62, 5))
        mean_eye = (
            latents.log_eye
            + subject_fx["eye"]
            + ses_eye
            + latents.class_eye[c]
            + subject_fx["class_eye"][c]
            + 0.05 * rng.standard_normal(_N_EYE)
        )
        e = np.exp(
            mean_eye + _ar1(rng, n, (_N_EYE,), 0.7, 0.06) + 0.04 * rng.standard_normal((n, _N_EYE))
        )
        de.append(x)
        eye.append(e)
        lab.append(np.full(n, c, dtype=np.int64))
        tri.append(np.full(n, trial, dtype=np.int64))
    return de, eye, lab, tri


def _subject_effects(rng, latents, effect_size):
    return dict(
        de=0.8 * _patterns(rng, 1, latents.pos)[0] + 0.2 * rng.standard_normal((62, 5)),
        class_de=effect_size * 0.112 * _patterns(rng, 5, latents.pos),
        eye=0.12 * rng.standard_normal(_N_EYE),
        class_eye=effect_size * 0.0176 * rng.standard_normal((5, _N_EYE)),
    )


def _band_sos(fs):
    from scipy.signal import butter

    return [butter(4, (lo, hi), btype="bandpass", fs=fs, output="sos") for lo, hi in _BAND_EDGES]


def _write_raw_recording(
    fname, rng, table, de_trials, baseline_de, *, sfreq, data_format, date, subject, session, tail
):
    """Write one 66-channel .cnt file whose band amplitudes follow the DE windows."""
    from scipy.signal import lfilter, sosfilt

    n_total = int(round((table[-1, 1] + tail) * sfreq))
    # knots of the log-amplitude envelope: window centres inside trials, gap centres
    knot_t, knot_v = [0.0], [baseline_de]
    prev_end = 0.0
    for (start, end), de in zip(table, de_trials):
        knot_t.append((prev_end + start) / 2)
        knot_v.append(baseline_de)
        for w in range(len(de)):
            knot_t.append(start + (w + 0.5) * _SIM_WIN)
            knot_v.append(de[w])
        prev_end = end
    knot_t += [(prev_end + n_total / sfreq) / 2, n_total / sfreq]
    knot_v += [baseline_de, baseline_de]
    knot_t = np.asarray(knot_t)
    # log2 sigma (uV) = (DE - log2 K) / 2, shape (n_knots, 5, 62)
    knot_ls = ((np.asarray(knot_v) - np.log2(_K_BAND)) / 2).transpose(0, 2, 1)
    mastoid_ls = (baseline_de.mean(axis=0) - np.log2(_K_BAND)) / 2 - 1.0  # (5,)

    sos = _band_sos(sfreq)
    gain = np.array([1.0 / np.sqrt(2 * (hi - lo) / sfreq) for lo, hi in _BAND_EDGES])
    n_sig = 62 + 2  # EEG + mastoids
    zi = [np.zeros((len(s), n_sig, 2)) for s in sos]  # filter states carried across chunks
    # EOG: blinks (VEO) and saccade steps (HEO)
    n_blinks = rng.poisson(0.3 * n_total / sfreq)
    blink_t = np.sort(rng.uniform(0, n_total / sfreq, n_blinks))
    blink_amp = rng.uniform(80, 200, n_blinks)
    heo_zi = np.zeros(1)
    ch_index = {ch: i for i, ch in enumerate(_CNT_CH_NAMES)}
    eeg_idx = np.array([ch_index[ch] for ch in SEED_CH_NAMES])
    frontal = np.array([SEED_CH_NAMES.index(ch) for ch in ("FP1", "FPZ", "FP2", "AF3", "AF4")])
    leak = np.array([0.25, 0.3, 0.25, 0.1, 0.1])[:, None]

    pos2d = np.zeros((len(_CNT_CH_NAMES), 2))
    montage_pos = make_seed_montage().get_positions()["ch_pos"]
    extra = {"M1": (-0.085, -0.03), "M2": (0.085, -0.03), "VEO": (-0.04, 0.11), "HEO": (0.04, 0.11)}
    for ch, i in ch_index.items():
        pos2d[i] = extra[ch] if ch in extra else montage_pos[ch][:2]
    resolution = 0.01 if data_format == "int32" else 0.05
    chunk = int(10 * sfreq)
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
        for c0 in range(0, n_total, chunk):
            n = min(chunk, n_total - c0)
            t = (c0 + np.arange(n)) / sfreq
            idx = np.clip(np.searchsorted(knot_t, t, side="right") - 1, 0, len(knot_t) - 2)
            frac = ((t - knot_t[idx]) / (knot_t[idx + 1] - knot_t[idx]))[:, None, None]
            ls = knot_ls[idx] * (1 - frac) + knot_ls[idx + 1] * frac  # (n, 5, 62)
            out = np.zeros((len(_CNT_CH_NAMES), n))
            sig = np.zeros((n_sig, n))
            for b in range(5):
                noise = rng.standard_normal((n_sig, n))
                band, zi[b] = sosfilt(sos[b], noise, axis=-1, zi=zi[b])
                band *= gain[b]
                amp = np.concatenate([2.0 ** ls[:, b, :].T, np.full((2, n), 2.0 ** mastoid_ls[b])])
                sig += amp * band
            sig += 0.5 * rng.standard_normal((n_sig, n))  # amplifier noise floor
            sel = (blink_t > t[0] - 1) & (blink_t < t[-1] + 1)
            veo = np.zeros(n)
            for bt, ba in zip(blink_t[sel], blink_amp[sel]):
                veo += ba * np.exp(-0.5 * ((t - bt) / 0.05) ** 2)
            steps = np.zeros(n)
            jumps = rng.random(n) < 0.5 / sfreq
            steps[jumps] = rng.normal(0, 40, jumps.sum())
            heo, heo_zi = lfilter([1.0], [1.0, -0.9995], steps, zi=heo_zi)
            veo += 3.0 * rng.standard_normal(n)
            heo = heo + 3.0 * rng.standard_normal(n)
            sig[frontal] += leak * veo[None, :]
            out[eeg_idx] = sig[:62]
            out[ch_index["M1"]], out[ch_index["M2"]] = sig[62], sig[63]
            out[ch_index["VEO"]], out[ch_index["HEO"]] = veo, heo
            writer.write(out * 1e-6)
        starts = np.round(table[:, 0] * sfreq).astype(int)
        ends = np.round(table[:, 1] * sfreq).astype(int)
        writer.add_events(starts, 1)
        writer.add_events(ends, 2)


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
    66 channels of SEED-V in file order, see the module docstring),
    ``EEG_DE_features/<sub>_123.npz`` and ``Eye_movement_features/<sub>_123.npz``
    (keys ``data`` and ``label``, pickled dicts ``{k: array}`` with
    ``k = 15 * (session - 1) + trial``).

    The trials follow ``seed_v_trial_times(session, time_scale, n_trials=n_trials)``
    (pass that table as ``trial_times`` to :func:`read_raw_seed_v` /
    :func:`read_epochs_seed_v`); each trial gives ``(end - start) // 4``
    feature windows. The simulated .cnt files also store event markers
    (code 1 at trial starts, 2 at trial ends), which the readers do not need.

    Model (SEED-style DE scale, ~19-27): DE = band/channel baseline + subject
    offset + session offset + emotion pattern (smooth over the scalp, shared by
    subjects, plus a subject-specific part) + trial offset + AR(1) noise over
    windows + white noise. Eye features are log-normal with emotion,
    subject, trial and AR(1) effects (weaker than EEG). The raw EEG is
    band-limited noise (delta..gamma) whose band amplitudes follow the DE of
    each 4-s window, so DE computed from the raw data tracks the feature
    files; M1/M2 carry low-amplitude noise, VEO blinks (leaking into the
    frontal channels) and HEO saccade steps. Classification is learnable but
    not trivial: per-trial offsets are larger than the emotion effects.

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
        :func:`seed_v_trial_times`); ``1.0`` gives real sizes (about one hour
        per recording, ~1 GB per .cnt file).
    raw : bool
        Write the .cnt recordings.
    features : bool
        Write the npz feature files.
    effect_size : float
        Multiplier of the emotion effects (``0`` = no information).
    %(order_310)s
    data_format : ``"int16"`` | ``"int32"``
        Sample format of the .cnt files.
    %(random_state)s
    overwrite : bool
        Write into ``root`` even when it is a non-empty folder that these
        simulators did not write (files of the same names are replaced).
    %(verbose)s

    Returns
    -------
    root : pathlib.Path
        The folder written.
    """
    check_option("order", order, ("band", "channel"))
    check_option("data_format", data_format, ("int16", "int32"))
    n_subjects = check_int(n_subjects, "n_subjects")
    sessions = sorted({_check_session(s) for s in np.atleast_1d(sessions)})
    n_trials = _check_n_trials(n_trials)
    effect_size = float(effect_size)
    if not np.isfinite(effect_size) or effect_size < 0:
        raise ValueError(f"effect_size must be a non-negative number, got {effect_size!r}")
    tables = {s: seed_v_trial_times(s, time_scale, n_trials=n_trials) for s in sessions}
    root = _prepare_root(root, dataset="SEED-V", n_trials=n_trials, overwrite=overwrite,
                         name="simulate_seed_v")
    rng = check_random_state(random_state)
    seeds = np.random.SeedSequence(int(rng.integers(2**63))).spawn(1 + int(n_subjects))
    latents = _Latents(np.random.default_rng(seeds[0]), effect_size)
    if raw:
        (root / _RAW_DIR).mkdir(parents=True, exist_ok=True)
    if features:
        (root / _EEG_DIR).mkdir(parents=True, exist_ok=True)
        (root / _EYE_DIR).mkdir(parents=True, exist_ok=True)
    for subject in range(1, int(n_subjects) + 1):
        sub_seeds = seeds[subject].spawn(2 * _N_SESSIONS + 1)
        sub_rng = np.random.default_rng(sub_seeds[0])
        fx = _subject_effects(sub_rng, latents, effect_size)
        first_day = datetime.datetime(2018, 4, 1) + datetime.timedelta(
            days=int(sub_rng.integers(300))
        )
        eeg_dict, eye_dict, lab_dict = {}, {}, {}
        for session in sessions:
            ses_rng = np.random.default_rng(sub_seeds[session])
            table = tables[session]
            de, eye, lab, _ = _simulate_features(ses_rng, latents, table, session, fx)
            for trial in range(len(table)):
                k = (session - 1) * _N_TRIALS + trial
                eeg_dict[k] = _to_310(de[trial], order)
                eye_dict[k] = eye[trial]
                lab_dict[k] = lab[trial]
            if raw:
                day = first_day + datetime.timedelta(
                    days=int(7 * (session - 1) + sub_rng.integers(7)), hours=9 + session
                )
                fname = root / _RAW_DIR / f"{subject}_{session}_{day:%Y%m%d}.cnt"
                for old in (root / _RAW_DIR).glob(f"{subject}_{session}_*.cnt"):
                    if old != fname and _CNT_RE.match(old.name):
                        old.unlink()
                _write_raw_recording(
                    fname,
                    np.random.default_rng(sub_seeds[_N_SESSIONS + session]),
                    table.astype(float),
                    de,
                    latents.base_de + fx["de"],
                    sfreq=1000,
                    data_format=data_format,
                    date=day,
                    subject=subject,
                    session=session,
                    tail=max(1.0, float(np.floor(30 * float(time_scale) + 0.5))),
                )
                logger.info("Wrote %s", fname)
        if features:
            for folder, data in ((_EEG_DIR, eeg_dict), (_EYE_DIR, eye_dict)):
                fname = root / folder / f"{subject}_123.npz"
                np.savez(fname, data=pickle.dumps(data), label=pickle.dumps(lab_dict))
                logger.info("Wrote %s", fname)
    return root
