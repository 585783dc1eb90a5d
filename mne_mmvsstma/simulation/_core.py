"""The calibrated generative core shared by the SEED, SEED-IV and SEED-V simulators.

DE features, eye-movement features and raw EEG whose DE reproduces the
features, with the statistics of the real files (SPEC "Real-data statistics";
``tests/test_simulation_calibration.py`` checks them), and the helpers every
writer uses (argument checks, window counts, ``.mat`` writing).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field, replace
from numbers import Integral
from pathlib import Path
from typing import NamedTuple

import numpy as np
from mne.utils import _validate_type

from ..channels import SEED_BANDS, SEED_CH_NAMES
from ..datasets._io import SIMULATED_MARKER
from ..datasets.seed_iv import EYE_FEATURE_NAMES, SFREQ
from ..features.smoothing import moving_average, smooth_lds
from ..utils import check_int, check_random_state

#: feature-file variables of one trial, in the order of the real files
_FEATURE_WRITE_ORDER = ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS")
_BAND_EDGES = tuple(SEED_BANDS.values())


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
#: Within-trial part of 1-s DE: share of AR(1) (rest white) and its coefficient;
#: lag-1 autocorrelation = share * phi (real SEED: 0.16).
_DE_AR = (0.215, 0.8)
#: Fraction of the inter-channel correlation kept by the class pattern (the emotion
#: effect is more channel-specific than the trial-to-trial fluctuations).
_DE_CLASS_SHARED = 0.5


@dataclass(frozen=True)
class _DECalibration:
    """Parameters of the DE model of one dataset (see :class:`_Simulator`).

    Every variance is in units of ``sd ** 2`` (the within-recording spread of
    1-s DE); "shared" parts are common to all channels of a band, "own" parts
    independent per channel. ``sessions`` maps a session number to
    replacements of the recording-level fields (:data:`_SESSION_FIELDS`), so
    that one dataset can have sessions of different difficulty.
    """

    #: mean 1-s DE per band and within-recording sd of 1-s DE per band
    base: tuple = tuple(_DE_BASE)
    sd: tuple = tuple(_DE_SD)
    #: generative inter-channel correlation per band of the class, trial and
    #: within-trial components, and correlation of neighbouring bands (a band
    #: ``d`` apart correlates by ``band_corr ** d``)
    channel_corr: tuple = tuple(_DE_CHANNEL_CORR_GEN)
    band_corr: float = 0.91
    #: generative variances: class, trial (independent per trial), within-trial
    class_var: float = _DE_VAR["class"]
    trial_var: float = _DE_VAR["trial"]
    within_var: float = _DE_VAR["within"]
    #: within-trial part of 1-s DE: share of AR(1) (rest white) and its coefficient
    ar: tuple = _DE_AR
    #: factor on ``channel_corr`` of the class pattern (capped at 0.99)
    class_shared: float = _DE_CLASS_SHARED
    #: gamma shape of the per-recording effect strength (mean 1; smaller = wider)
    effect_shape: float = 8.0
    #: scale every recording's class pattern to unit mean square before the strength
    #: (its class variance is then ``class_var * strength`` exactly, not also the
    #: chance norm of a pattern that few channel-shared dimensions carry)
    class_unit: bool = False
    #: sd (log2 units) of the channel-specific levels of the population and the subject
    level_sd: tuple = (0.8, 0.7)
    #: sd (log2 units) of the channel-specific level offset of a recording (per band or one)
    recording_sd: float | tuple = 0.3
    #: sd (log2 units) of the level offsets shared by all channels of a band, of the
    #: subject and of the recording (each per band or one for all bands)
    shared_sd: tuple = (0.0, 0.0)
    #: lognormal sd of a per-recording factor on ``sd`` (recordings differ in spread)
    sd_jitter: float = 0.0
    #: variance of a random walk over the trials of a session (mean variance of the
    #: centred walk over 24 trials): slow drift across the session, unrelated to emotion
    drift_var: float = 0.0
    #: process noise of the LDS smoothing of the ``*_LDS`` feature files (SPEC's 1e-4
    #: is the package's :func:`~mne_mmvsstma.features.smooth_lds` default)
    lds_process_noise: float = 1e-4
    #: probability that a recording has an artifact episode: from a random trial to a
    #: random later one, every trial's level is raised by up to ``artifact_amp`` log2
    #: units (uniform per trial) times ``artifact_bands``, the same on all channels
    artifact_p: float = 0.0
    artifact_amp: float = 6.5
    artifact_bands: tuple = (0.85, 0.95, 1.0, 1.0, 1.3)
    sessions: dict = field(default_factory=dict)

    def session(self, session):
        """The calibration of the recordings of ``session`` (``sessions`` applied)."""
        changes = self.sessions.get(session, {})
        bad = set(changes) - set(_SESSION_FIELDS)
        if bad:
            raise ValueError(f"Session-level calibration cannot change {sorted(bad)}")
        return replace(self, sessions={}, **changes)

    @property
    def band_chol(self):
        corr = self.band_corr ** np.abs(np.subtract.outer(np.arange(5), np.arange(5)))
        return np.linalg.cholesky(corr)


#: Recording-level fields of :class:`_DECalibration` that may differ by session.
_SESSION_FIELDS = ("sd", "class_var", "trial_var", "effect_shape", "recording_sd",
                   "shared_sd", "sd_jitter", "drift_var", "artifact_p")

#: Real SEED, 1-s DE (SPEC "Real-data statistics": fractions, lag-1, inter-channel and
#: inter-band correlation, linear SVM ~67 %).
_SEED_DE = _DECalibration()
#: SEED-V has no measured target in SPEC: SEED's 1-s statistics (its recordings have
#: the setup of SEED) seen through 4-s windows, with a class variance that gives a
#: linear SVM ~70 % (the figure published for SEED-IV EEG, Zheng et al. 2019).
_SEED_V_DE = _DECalibration(class_var=0.07)
#: Recording-level parameters of real SEED-IV ``de_LDS``, sessions 1 and 2 (15
#: recordings each): spread per band (sd), emotion effect (class_var and the spread
#: of its strength over recordings, effect_shape), drift over the session, artifact
#: episodes (one recording of session 1) and level offsets per band.
_SEED_IV_SESSIONS = {
    1: dict(
        sd=(0.44, 0.32, 0.30, 0.46, 0.71), class_var=0.125, effect_shape=8.0, drift_var=0.2,
        artifact_p=1 / 15, recording_sd=(0.68, 0.62, 0.50, 0.60, 0.74),
        shared_sd=((0.62, 0.50, 0.59, 0.62, 0.66),) * 2,
    ),
    2: dict(
        sd=(0.45, 0.28, 0.31, 0.35, 0.69), class_var=0.22, effect_shape=1.6, drift_var=0.15,
        artifact_p=0.0, recording_sd=(0.56, 0.52, 0.40, 0.52, 0.69),
        shared_sd=((0.52, 0.41, 0.53, 0.49, 0.47),) * 2,
    ),
}
# session 3 has no measured statistic: the middle of sessions 1 and 2
_SEED_IV_SESSIONS[3] = {
    key: tuple(np.mean([_SEED_IV_SESSIONS[s][key] for s in (1, 2)], axis=0).tolist())
    if np.ndim(_SEED_IV_SESSIONS[1][key]) else
    float(np.mean([_SEED_IV_SESSIONS[s][key] for s in (1, 2)]))
    for key in _SEED_IV_SESSIONS[1]
}
#: Real SEED-IV ``de_LDS`` (SPEC "Real-data statistics", and the levels, drift and
#: artifacts measured beside them on the same development recordings; the
#: simulator's Notes list the targets and what the calibration gives). Compared with
#: SEED: 4-s windows smoothed over the trial, an emotion effect that varies over
#: channels as much as the trial-to-trial fluctuations do (class_shared 1.3 x 0.62),
#: a random walk over the session (the late test trials drift away from the early
#: training ones), recording offsets shared by the channels of a band, recordings
#: that differ widely in how much emotion their features carry, within-trial noise
#: that gives de_movingAve the real within-trial variance (~0.2 log2 units squared),
#: and an LDS that keeps the within-trial variation of the real de_LDS (they match
#: process noise ~1e-3 on their de_movingAve; here 2e-3 on the unsmoothed DE gives
#: their 0.8-0.9 % of the variance).
_SEED_IV_DE = _DECalibration(
    base=(22.3, 20.1, 19.2, 17.9, 16.5),
    channel_corr=(0.62,) * 5,
    band_corr=0.78,
    within_var=10.0,
    class_shared=1.3,
    class_unit=True,
    level_sd=(1.4, 0.375),
    sd_jitter=0.2,
    lds_process_noise=2e-3,
    sessions=_SEED_IV_SESSIONS,
)


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
#: Gamma shape of the per-recording strength (mean 1) of the eye features' emotion
#: effect: spreads per-recording accuracy as in the real data (some recordings near
#: chance). The DE one is :attr:`_DECalibration.effect_shape`.
_EYE_EFFECT_SHAPE = 30.0
#: Share of the class pattern common to the population / the subject / the session.
_CLASS_SHARES = (0.4, 0.3, 0.3)

_N_CH = len(SEED_CH_NAMES)
_N_EYE = len(_EYE_QUANTILES)

#: Eye features beyond SEED-IV's 31 (SEED-V has them) -> the calibrated row they are
#: modelled on. Blink duration mean / std have no measured target; they are modelled
#: like their nearest group, fixation duration (event durations in ms, a mean / std
#: pair): the same quantiles and log scale, a group of their own (SEED-V's feature
#: table lists blink duration as a group), no artifact tail.
_EYE_EXTRA = {"blink_duration_mean": 16, "blink_duration_std": 17}


def _eye_key(name):
    """Feature name with its numbers written alike ("0.0-0.2Hz" == "0-0.2Hz")."""
    return re.sub(r"\d+(?:\.\d+)?", lambda m: f"{float(m.group()):g}", name.lower())


class _EyeModel:
    """Calibrated eye rows and the file order of one dataset's eye features.

    The model rows are SEED-IV's 31 calibrated rows (:data:`_EYE_QUANTILES`, in
    :data:`~mne_mmvsstma.datasets.EYE_FEATURE_NAMES` order) followed by the
    :data:`_EYE_EXTRA` rows that ``names`` uses; ``order`` puts them in the order
    of ``names`` (features matched by name, numbers compared by value).
    ``names=None`` is SEED-IV's 31 features in their own order.
    """

    def __init__(self, names=None):
        extra = [] if names is None else [n for n in names if n in _EYE_EXTRA]
        src = [_EYE_EXTRA[n] for n in extra]
        self.quantiles = np.concatenate([_EYE_QUANTILES, _EYE_QUANTILES[src]])
        self.linear = np.concatenate([_EYE_LINEAR, _EYE_LINEAR[src]])
        n_groups = _EYE_GROUPS.max() + 1
        self.groups = np.concatenate([_EYE_GROUPS, np.full(len(src), n_groups)]).astype(int)
        self.n_rows = len(self.quantiles)
        if names is None:
            self.order = np.arange(_N_EYE)
            return
        index = {_eye_key(n): i for i, n in enumerate(EYE_FEATURE_NAMES)}
        index.update({_eye_key(n): _N_EYE + i for i, n in enumerate(extra)})
        unknown = [n for n in names if _eye_key(n) not in index]
        if unknown:
            raise ValueError(
                f"No calibrated eye model for the features {unknown}: the model knows "
                f"SEED-IV's {_N_EYE} features and {sorted(_EYE_EXTRA)}"
            )
        self.order = np.array([index[_eye_key(n)] for n in names])
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"eye feature names map twice onto one calibrated row: {names}")


def _de_field(rng, prefix, channel_corr=_DE_CHANNEL_CORR_GEN, band_chol=None):
    """Unit-variance (*prefix, 62, 5) field with the real inter-channel / inter-band structure.

    ``channel_corr``: inter-channel correlation per band; ``band_chol``: Cholesky
    factor of the inter-band correlation (``None``: :data:`_DE_BAND_CORR`).
    """
    chol = np.linalg.cholesky(_DE_BAND_CORR) if band_chol is None else band_chol
    channel_corr = np.asarray(channel_corr)
    shared = rng.standard_normal((*prefix, 1, 5)) @ chol.T
    own = rng.standard_normal((*prefix, _N_CH, 5)) @ chol.T
    return np.sqrt(channel_corr) * shared + np.sqrt(1.0 - channel_corr) * own


def _eye_field(rng, prefix, group_corr=_EYE_GROUP_CORR, groups=_EYE_GROUPS):
    """Unit-variance (*prefix, n_rows) eye field; features of a group correlate by ``group_corr``.

    ``groups`` gives the group of every row (:data:`_EYE_GROUPS`: SEED-IV's 31 rows).
    """
    group = rng.standard_normal((*prefix, groups.max() + 1))[..., groups]
    own = rng.standard_normal((*prefix, len(groups)))
    out = np.sqrt(group_corr) * group + np.sqrt(1 - group_corr) * own
    for row, src in _EYE_COPIES.items():
        out[..., row] = 0.995 * out[..., src] + 0.1 * own[..., row]
    return out


def _center_classes(pattern):
    n = len(pattern)
    return (pattern - pattern.mean(axis=0)) * np.sqrt(n / max(n - 1, 1))


class _RecordingDraw(NamedTuple):
    """Per-trial means and settings of one simulated recording (:meth:`_Simulator.recording`)."""

    de_mean: np.ndarray  # (n_trials, 62, 5) DE level of every trial
    eye_mean: np.ndarray  # (n_trials, n_rows) standardised eye means
    artifacts: dict  # heavy-tailed eye row -> factor per trial
    de_sd: np.ndarray  # (5,) within-recording spread of 1-s DE of this recording
    cal: _DECalibration  # the calibration of this recording's session


class _Simulator:
    """Calibrated generative core of the SEED / SEED-IV / SEED-V simulators.

    DE of channel ``c``, band ``b``, window ``t`` of trial ``j`` (class ``k``) of
    one recording, in SEED-style units (log2 of band power)::

        DE = level[c, b] + sd[b] * (class[k, c, b] + trial[j, c, b] + drift[j, c, b]
                                    + within[t, c, b])

    with independent unit-variance-field components whose variances and
    structure are those of the dataset's calibration (``de_calibration``, a
    :class:`_DECalibration`; its ``sessions`` entries change the
    recording-level parameters per session): ``class`` (a population, a
    subject and a session pattern, scaled by ``effect_size ** 2`` and by a
    random per-recording effect strength), ``trial`` (independent per trial),
    ``drift`` (a random walk over the trials of the session), ``within`` (1-s
    AR(1) + white noise, averaged over the seconds of longer windows, so 4-s
    windows vary less within a trial).
    ``level`` holds a population channel profile and subject and recording
    offsets, channel-specific and shared by the channels of a band. Every
    component has the calibrated inter-channel correlation per band and
    inter-band correlation. Eye features use the same scheme in standardised
    units (:data:`_EYE_VAR`), plus a recording offset, then a monotone map
    onto the real per-feature quantiles, artifact trials for the heavy-tailed
    rows and copies of duplicated rows (rows and their file order:
    :class:`_EyeModel` of ``eye_features``). The raw EEG of a window is
    random-phase noise whose band powers reproduce the window's DE (see
    :func:`_simulate_eeg`).

    Independent random streams are derived from one seed for the population,
    each subject and each (subject, session), so that e.g. subject 1 is the same
    whatever ``n_subjects`` is.
    """

    def __init__(
        self, random_state, n_classes, effect_size, de_calibration=_SEED_DE, eye_features=None,
    ):
        _validate_type(de_calibration, _DECalibration, "de_calibration")
        self.cal = de_calibration
        self.band_chol = de_calibration.band_chol
        self.eye = _EyeModel(eye_features)
        self.seed = int(check_random_state(random_state).integers(2**62))
        self.effect_size = float(effect_size)
        self.n_classes = n_classes
        rng = self.rng(0)
        self.class_corr = np.minimum(
            self.cal.class_shared * np.asarray(self.cal.channel_corr), 0.99
        )
        self.pattern = _center_classes(self.de_field(rng, (n_classes,), self.class_corr))
        self.eye_pattern = self._eye_class_pattern(rng)
        self.channel_base = np.asarray(self.cal.base) + self.cal.level_sd[0] * rng.standard_normal(
            (_N_CH, 5)
        )
        self._subjects = {}

    def rng(self, *key):
        return np.random.default_rng([self.seed, *key])

    def de_field(self, rng, prefix, channel_corr=None):
        """Unit-variance (*prefix, 62, 5) field with the calibrated correlations."""
        corr = self.cal.channel_corr if channel_corr is None else channel_corr
        return _de_field(rng, prefix, corr, self.band_chol)

    def _eye_class_pattern(self, rng):
        field = _eye_field(rng, (self.n_classes,), _EYE_CLASS_GROUP_CORR, self.eye.groups)
        return _center_classes(field)

    def subject(self, subject):
        if subject not in self._subjects:
            rng = self.rng(1, subject)
            pattern = _center_classes(self.de_field(rng, (self.n_classes,), self.class_corr))
            eye_pattern = self._eye_class_pattern(rng)
            base = self.channel_base + self.cal.level_sd[1] * rng.standard_normal((_N_CH, 5))
            eye_base = rng.standard_normal(self.eye.n_rows)
            # unit offset shared by the channels of a band, scaled per session
            shared = self.rng(10, subject).standard_normal(5) @ self.band_chol.T
            self._subjects[subject] = (base, pattern, eye_base, eye_pattern, shared)
        return self._subjects[subject]

    def recording(self, subject, session, klasses):
        """Per-trial means of one recording (a :class:`_RecordingDraw`).

        The eye means are in standardised units (before the quantile map), on the
        rows of the eye model (``self.eye``, before its file order).
        """
        cal = self.cal.session(session)
        base, pattern, eye_base, eye_pattern, sub_shared = self.subject(subject)
        rng = self.rng(2, subject, session)
        w_pop, w_sub, w_ses = np.sqrt(_CLASS_SHARES)
        strength = [rng.gamma(k, 1 / k) for k in (cal.effect_shape, _EYE_EFFECT_SHAPE)]
        ses = _center_classes(self.de_field(rng, (self.n_classes,), self.class_corr))
        klass = w_pop * self.pattern + w_sub * pattern + w_ses * ses
        if cal.class_unit and np.any(klass):
            klass /= np.sqrt(np.mean(klass**2))
        klass *= self.effect_size * np.sqrt(cal.class_var * strength[0])
        eye_ses = self._eye_class_pattern(rng)
        eye_klass = w_pop * self.eye_pattern + w_sub * eye_pattern + w_ses * eye_ses
        eye_klass *= self.effect_size * np.sqrt(_EYE_VAR["class"] * strength[1])
        level = base + np.asarray(cal.recording_sd) * rng.standard_normal((_N_CH, 5))
        eye_level = _EYE_RECORDING_SD * (
            0.7 * eye_base + np.sqrt(1 - 0.7**2) * rng.standard_normal(self.eye.n_rows)
        )
        klasses = np.asarray(klasses)
        n_trials = len(klasses)
        trial = np.sqrt(cal.trial_var) * self.de_field(rng, (n_trials,))
        # the parts without an equivalent in SEED's calibration come from a stream of their
        # own (SEED's draws stay as they were)
        extra = self.rng(9, subject, session)
        sd = np.asarray(cal.sd, float)
        if cal.sd_jitter:
            sd = sd * np.exp(cal.sd_jitter * extra.standard_normal())
        if np.any(cal.shared_sd[0]) or np.any(cal.shared_sd[1]):
            rec_shared = extra.standard_normal(5) @ self.band_chol.T
            sub_sd, rec_sd = (np.asarray(v, float) for v in cal.shared_sd)
            level = level + sub_sd * sub_shared + rec_sd * rec_shared
        if cal.drift_var:
            # random walk over the trials; its centred variance over 24 trials averages
            # 24 / 6 steps, hence steps of variance drift_var / 4
            steps = np.sqrt(cal.drift_var / 4) * self.de_field(extra, (n_trials,))
            trial = trial + np.cumsum(steps, axis=0)
        de_mean = level + sd * (klass[klasses] + trial)
        if cal.artifact_p and extra.random() < cal.artifact_p:
            first, last = np.sort(extra.integers(n_trials, size=2))
            amp = cal.artifact_amp * extra.random(last - first + 1)
            # nearly the same on every channel (real: inter-channel correlation 0.99)
            spread = np.exp(0.15 * extra.standard_normal((last - first + 1, _N_CH, 5)))
            de_mean[first : last + 1] += (
                amp[:, None, None] * np.asarray(cal.artifact_bands) * spread
            )
        eye_trial = np.sqrt(_EYE_VAR["trial"]) * _eye_field(
            rng, (n_trials,), groups=self.eye.groups
        )
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
        return _RecordingDraw(de_mean, eye_mean, artifacts, sd, cal)

    def de_trial(self, rng, rec, mean, n_windows, window=1.0):
        """Unsmoothed DE (n_windows, 62, 5) of one trial with ``window``-second windows.

        ``rec`` is the recording's :class:`_RecordingDraw`, ``mean`` the trial's
        DE level (a row of ``rec.de_mean``, or any level of that recording).
        """
        cal = rec.cal
        sub = max(1, int(round(window)))  # 1-s steps per window
        share, phi = cal.ar
        n = n_windows * sub
        within = np.sqrt(share) * self.de_field_ar(rng, n, phi) + np.sqrt(1 - share) * (
            self.de_field(rng, (n,))
        )
        within = np.sqrt(cal.within_var) * within
        within = within.reshape(n_windows, sub, _N_CH, 5).mean(axis=1)
        return mean + np.log2(window) + rec.de_sd * within

    def de_field_ar(self, rng, n, phi):
        """(n, 62, 5) field, AR(1) along the first axis, unit variance."""
        from scipy.signal import lfilter

        x = self.de_field(rng, (n,))
        x[1:] *= np.sqrt(1 - phi**2)
        return lfilter([1.0], [1.0, -phi], x, axis=0)

    def eye_trial(self, rng, mean, artifacts, trial, n_windows):
        """Eye features (n_windows, n_features) of one trial, on the real per-feature scales.

        The columns follow the file order of the eye model (``self.eye.order``).
        """
        within = np.sqrt(_EYE_VAR["within"]) * _eye_field_ar(
            rng, n_windows, _EYE_AR, self.eye.groups
        )
        z = (mean + within) / np.sqrt(1 + _EYE_RECORDING_SD**2)
        factors = {row: f[trial] for row, f in artifacts.items()}
        out = _eye_scale(z, factors, self.eye.quantiles, self.eye.linear)
        return out[:, self.eye.order]


def _eye_field_ar(rng, n, phi, groups=_EYE_GROUPS):
    from scipy.signal import lfilter

    x = _eye_field(rng, (n,), groups=groups)
    x[1:] *= np.sqrt(1 - phi**2)
    return lfilter([1.0], [1.0, -phi], x, axis=0)


_Z99 = 2.3263478740408408


def _eye_scale(z, artifacts, quantiles=_EYE_QUANTILES, linear=_EYE_LINEAR):
    """Map standard-normal eye values (n, n_rows) onto the real p1 / median / p99 per row."""
    p1, med, p99 = quantiles.T
    out = np.empty_like(z)
    lin = linear
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
    check_int(n_subjects, f"{name}: n_subjects")
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


def _smoothed_features(de, trial, kinds=_FEATURE_WRITE_ORDER, *, process_noise=1e-4):
    """Feature-file variables of one trial from unsmoothed DE (n, 62, 5).

    ``process_noise``: of the LDS smoothing (:func:`~mne_mmvsstma.features.smooth_lds`).
    """
    psd = 2.0**de / 100.0
    one_trial = np.zeros(len(de), dtype=int)
    smoothed = {
        "de_movingAve": lambda: moving_average(de, one_trial),
        "de_LDS": lambda: smooth_lds(de, one_trial, process_noise=process_noise),
        "psd_movingAve": lambda: moving_average(psd, one_trial),
        "psd_LDS": lambda: smooth_lds(psd, one_trial, process_noise=process_noise),
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


def _prepare_root(root, *, dataset: str, n_trials: int, overwrite: bool, name: str) -> Path:
    """Check and create the output folder of a simulator, and mark it as simulated.

    A folder that exists, is not empty and holds no marker of this package's
    simulators is refused unless ``overwrite=True`` (it may hold real data).
    The marker records the datasets written there and their trials per
    session, which the readers expect instead of the real counts.
    """
    _validate_type(root, "path-like", f"{name}: root")
    root = Path(root).expanduser()
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{name}: root {root} exists and is not a folder")
    marker = root / SIMULATED_MARKER
    if root.is_dir() and not marker.is_file() and any(root.iterdir()) and not overwrite:
        raise FileExistsError(
            f"{name}: {root} is not empty and was not written by mne_mmvsstma's simulators; "
            "pass overwrite=True to write into it anyway (files of the same names are "
            "replaced)"
        )
    root.mkdir(parents=True, exist_ok=True)
    info = {"written_by": "mne_mmvsstma.simulation", "datasets": {}}
    if marker.is_file():
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
            info.setdefault("datasets", {})
        except ValueError:
            pass  # a damaged marker of ours is rewritten
    info["datasets"][dataset] = {"n_trials": int(n_trials)}
    marker.write_text(json.dumps(info, indent=1, sort_keys=True), encoding="utf-8")
    return root
