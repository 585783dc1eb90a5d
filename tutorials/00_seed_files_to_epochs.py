"""
.. _tut-seed-files:

========================================
00. From SEED-format files to MNE Epochs
========================================

The SEED family of emotion datasets (SEED, SEED-IV, SEED-V) distributes EEG
as MATLAB ``.mat`` files (SEED, SEED-IV) or Neuroscan ``.cnt`` recordings
(SEED-V), one file per subject and session, with the emotion labels in
separate tables. This tutorial turns such files into :class:`mne.io.Raw` and
:class:`mne.Epochs` objects with

* the 62-channel montage (including the two cerebellar channels CB1/CB2),
* one annotation per film clip (trial), named by its emotion,
* fixed-length windows that never cross a trial boundary, with the emotion as
  event name and the subject / session / trial in ``epochs.metadata``.

The licensed data are not needed: :func:`mne_mmvsstma.simulation.simulate_seed_iv`
writes a small folder in the exact SEED-IV layout (see :ref:`real-data` to use
the real files instead).
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np

from mne_mmvsstma.channels import SEED_CH_NAMES, make_seed_montage
from mne_mmvsstma.datasets import (
    SEED_IV_EVENT_ID,
    read_epochs_seed,
    read_epochs_seed_iv,
    read_epochs_seed_v,
    read_raw_seed_iv,
    seed_v_trial_times,
)
from mne_mmvsstma.simulation import simulate_seed, simulate_seed_iv, simulate_seed_v

mne.set_log_level("warning")
mne.viz.set_browser_backend("matplotlib")

# %%
# Write a simulated SEED-IV folder
# --------------------------------
# One subject, session 1, all 24 trials, but only 6 four-second windows
# (24 s) per trial instead of the real 1-4 minutes, so that everything stays
# small. ``raw=True`` writes ``eeg_raw_data/``; we skip the feature files here
# (tutorial :ref:`tut-de-features` uses them).

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV",
    n_subjects=1,
    sessions=(1,),
    n_trials=24,
    n_windows=6,
    raw=True,
    features=False,
    random_state=42,
)
for path in sorted(root.rglob("*.mat")):
    print(path.relative_to(root.parent), f"{path.stat().st_size / 1e6:.1f} MB")

# %%
# Each file holds one variable per trial, ``<prefix>_eeg1`` ...
# ``<prefix>_eeg24`` (the prefix is the subject's initials in the real data),
# arrays of shape ``(62, 200 * seconds + 1)`` in microvolts at 200 Hz. The
# readers find trials with a regular expression on these names, never by
# position.
fname = next((root / "eeg_raw_data" / "1").glob("*.mat"))
from scipy.io import whosmat  # noqa: E402

for name, shape, dtype in whosmat(fname)[:3]:
    print(name, shape, dtype)

# %%
# The 62-channel montage
# ----------------------
# All three datasets use the same 62 channels in the same order
# (:data:`~mne_mmvsstma.channels.SEED_CH_NAMES`). CB1 and CB2 exist in no standard MNE
# montage; :func:`~mne_mmvsstma.channels.make_seed_montage` places them at the POO7 /
# POO8 positions of MNE's ``colin27_1005`` template, the same choice MNE's
# channel aliases make.

montage = make_seed_montage()
print(len(SEED_CH_NAMES), "channels:", " ".join(SEED_CH_NAMES[:8]), "...", SEED_CH_NAMES[-1])
fig = montage.plot(kind="topomap", show_names=True, sphere="auto")
fig.suptitle("SEED 62-channel montage (CB1/CB2 at POO7/POO8)")

# %%
# Raw EEG with one annotation per trial
# -------------------------------------
# :func:`~mne_mmvsstma.datasets.read_raw_seed_iv` concatenates the 24 trials of
# the file, converts microvolts to volts, sets the montage and annotates every
# trial with its emotion (the SEED-IV session 1 label table). Junctions between
# trials carry ``BAD boundary`` / ``EDGE boundary`` annotations, so MNE never
# filters across two film clips.

raw = read_raw_seed_iv(fname)
print(raw)
annot = raw.annotations.to_data_frame(time_format=None)
columns = ["onset", "duration", "description", "trial", "label", "key"]
print(annot.loc[~annot["description"].str.endswith("boundary"), columns].head(8))

# %%
# The annotations are drawn on top of the signals (here without the boundary
# annotations, whose labels would cover the emotion names).
keep = [not desc.endswith("boundary") for desc in raw.annotations.description]
fig = raw.copy().set_annotations(raw.annotations[keep]).plot(
    start=0.0,
    duration=60.0,
    n_channels=12,
    scalings=dict(eeg=60e-6),
    show_scrollbars=False,
    show_scalebars=False,
)

# %%
# Epochs: 4-s windows with emotion labels
# ---------------------------------------
# :func:`~mne_mmvsstma.datasets.read_epochs_seed_iv` cuts every trial into
# non-overlapping 4-s windows (the windows of the official feature files).
# MNE event codes must be positive, so the event code is the SEED-IV label + 1;
# the dataset's own code is in ``epochs.metadata["label"]``.

epochs = read_epochs_seed_iv(fname, window=4.0)
print(epochs)
print("SEED-IV codes:", SEED_IV_EVENT_ID)
print("event_id:     ", epochs.event_id)
print(epochs.metadata.head())

# %%
# Windows per emotion and the trial each window comes from:

fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
names = list(SEED_IV_EVENT_ID)
colors = ["0.5", "tab:blue", "tab:purple", "tab:orange"]
counts = [len(epochs[name]) for name in names]
axes[0].bar(names, counts, color=colors)
axes[0].set(ylabel="windows", title="Windows per emotion")
meta = epochs.metadata
for name, color in zip(names, colors):
    rows = np.flatnonzero(meta["label"] == SEED_IV_EVENT_ID[name])
    axes[1].scatter(rows, meta["trial"].iloc[rows], color=color, s=8, label=name)
axes[1].set(xlabel="window (epoch index)", ylabel="trial (0-based)", title="Trial of each window")
axes[1].legend(fontsize="small", markerscale=2)

# %%
# Epochs behave like any MNE Epochs. For example, the power spectrum averaged
# over channels for each emotion. The simulator is calibrated to the real data
# (emotion explains only a few percent of the variance of the band powers,
# trial-to-trial fluctuations unrelated to emotion much more, and the emotion
# pattern differs between channels and subjects). The channel-averaged spectra
# of the four emotions therefore differ little compared with the range of the
# spectrum, and part of what differs comes from the six trials that happen to
# carry each emotion, not from the emotion:

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for name, color in zip(names, colors):
    spectrum = epochs[name].compute_psd(fmin=1.0, fmax=50.0)
    psd, freqs = spectrum.get_data(return_freqs=True)
    ax.semilogy(freqs, psd.mean(axis=(0, 1)) * 1e12, label=name, color=color)
for edge in (4, 8, 14, 31):
    ax.axvline(edge, color="k", lw=0.5, ls=":")
ax.set(xlabel="frequency (Hz)", ylabel="PSD (µV²/Hz)", title="Mean spectrum per emotion")
ax.legend()

# %%
# SEED-V and SEED
# ---------------
# The other two datasets work the same way. SEED-V stores one Neuroscan
# ``.cnt`` file per session at 1000 Hz with 66 channels: the reader drops M1,
# M2, VEO and HEO by name, resamples to 200 Hz with an anti-aliasing filter and
# cuts the trials with the published start/end table. The simulator shrinks
# that table in time (``time_scale``), so we pass the matching table to the
# reader.

root_v = simulate_seed_v(
    Path(tmp.name) / "SEED-V", n_subjects=1, sessions=(1,), n_trials=5, time_scale=0.05,
    features=False,
)
cnt = next((root_v / "EEG_raw").glob("*.cnt"))
epochs_v = read_epochs_seed_v(cnt, trial_times=seed_v_trial_times(1, 0.05, n_trials=5))
print(cnt.name, "->", epochs_v)

# %%
# SEED (three emotions) keeps the labels in ``Preprocessed_EEG/label.mat`` and
# numbers the sessions by recording date; its official features use 1-s
# windows, the default of :func:`~mne_mmvsstma.datasets.read_epochs_seed`.

root_s = simulate_seed(Path(tmp.name) / "SEED", n_subjects=1, n_trials=15, n_windows=8,
                       features=False)
eeg_file = next(p for p in (root_s / "Preprocessed_EEG").glob("*.mat") if p.name != "label.mat")
epochs_s = read_epochs_seed(eeg_file)
print(eeg_file.name, "->", epochs_s)

# %%
# Clean up the temporary folder.
tmp.cleanup()
