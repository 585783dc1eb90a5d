"""Shared pieces of the dataset readers: the feature container and file helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The 9 eye-movement "event statistics" features, the last rows of the SEED-IV
#: (23-31) and SEED-V (25-33) eye-feature tables, in the same order in both.
EYE_EVENT_STAT_NAMES: tuple[str, ...] = (
    "blink_frequency",
    "fixation_frequency",
    "fixation_duration_max",
    "fixation_dispersion_total",
    "fixation_dispersion_max",
    "saccade_frequency",
    "saccade_duration_average",
    "saccade_amplitude_average",
    "saccade_latency_average",
)


@dataclass
class FeatureRecording:
    """Features of one recording (one subject, one session), window by window.

    Attributes
    ----------
    dataset : str
        ``"SEED"``, ``"SEED-IV"`` or ``"SEED-V"``.
    subject : int
        Subject number as in the file names (1-based).
    session : int
        Session number (1-based).
    eeg : ndarray, shape (n_windows, n_channels, n_bands) | None
        EEG features (e.g. DE), channels in :data:`mne_mmvsstma.SEED_CH_NAMES` order.
    eye : ndarray, shape (n_windows, n_eye) | None
        Eye-movement features, or ``None`` when not read / not available.
    labels : ndarray of int, shape (n_windows,)
        Emotion label of every window (dataset coding, see ``event_id``).
    trial_ids : ndarray of int, shape (n_windows,)
        0-based trial index within the session of every window.
    event_id : dict of str to int
        Emotion name -> label code.
    ch_names : list of str
        EEG channel names.
    band_names : list of str
        Names of the EEG feature bands.
    eye_names : list of str | None
        Names of the eye features.
    fname : str
        File the EEG features were read from (the eye-feature file of
        recordings without EEG).
    """

    dataset: str
    subject: int
    session: int
    eeg: np.ndarray | None
    eye: np.ndarray | None
    labels: np.ndarray
    trial_ids: np.ndarray
    event_id: dict
    ch_names: list = field(default_factory=list)
    band_names: list = field(default_factory=list)
    eye_names: list | None = None
    fname: str = ""

    @property
    def n_windows(self) -> int:
        """Number of feature windows."""
        return int(len(self.labels))

    @property
    def n_trials(self) -> int:
        """Number of distinct trials."""
        return int(len(np.unique(self.trial_ids)))

    def __repr__(self) -> str:
        eeg = "None" if self.eeg is None else "x".join(map(str, self.eeg.shape))
        eye = "None" if self.eye is None else "x".join(map(str, self.eye.shape))
        return (
            f"<FeatureRecording {self.dataset} sub-{self.subject} ses-{self.session} | "
            f"{self.n_windows} windows, {self.n_trials} trials, eeg {eeg}, eye {eye}>"
        )


def natural_key(path) -> tuple:
    """Sort key that orders numbers numerically (``'10_x'`` after ``'9_x'``).

    Parameters
    ----------
    path : path-like | str
        File or folder; only its name is used.

    Returns
    -------
    key : tuple
        Name split into text (lower case) and integer parts.
    """
    name = Path(path).name
    return tuple(int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name))
