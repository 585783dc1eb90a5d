"""
.. _tut-de-features:

=====================================================
10. Differential-entropy features and LDS smoothing
=====================================================

Emotion recognition on SEED-style data works on *differential entropy* (DE)
features: for every 4-s window, channel and frequency band, the log band
power. This tutorial

1. computes DE features from :class:`mne.Epochs` with
   :func:`~mne_mmvsstma.features.compute_de` (the definition of the official SEED
   feature files),
2. maps them per band and emotion with :func:`mne.viz.plot_topomap`,
3. smooths them over time within each trial with the linear dynamical system
   (LDS) of the SEED feature files (:func:`~mne_mmvsstma.features.smooth_lds`) and
   with a moving average (:func:`~mne_mmvsstma.features.moving_average`),
4. classifies windows with the scikit-learn transformer
   :class:`~mne_mmvsstma.features.DifferentialEntropy`,
5. stacks ``T`` consecutive windows into the model input of MV-SSTMA with
   :func:`~mne_mmvsstma.features.make_windows`.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mne_mmvsstma.datasets import read_epochs_seed_iv, read_seed_iv_features
from mne_mmvsstma.features import (
    SEED_BANDS,
    DifferentialEntropy,
    compute_de,
    fill_eye_nan,
    make_windows,
    moving_average,
    smooth_lds,
)
from mne_mmvsstma.simulation import simulate_seed_iv

mne.set_log_level("warning")

# %%
# Simulated SEED-IV EEG, cut into 4-s epochs
# ------------------------------------------
# One subject, one session, 24 trials of 10 windows (40 s) each.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV", n_subjects=1, sessions=(1,), n_windows=10, random_state=1,
)
fname = next((root / "eeg_raw_data" / "1").glob("*.mat"))
epochs = read_epochs_seed_iv(fname, window=4.0)
trial_ids = epochs.metadata["trial"].to_numpy()
labels = epochs.metadata["label"].to_numpy()
print(epochs)

# %%
# DE features
# -----------
# With the default ``method="seed"``, :func:`~mne_mmvsstma.features.compute_de` follows
# the official SEED feature files: each window is Hann-windowed and Fourier
# transformed, ``E`` is the mean power over the FFT bins of the band and the
# feature is ``log2(100 E)``, with the signal in microvolts. Values are about
# 10-30. ``method="gaussian"`` gives the textbook Gaussian DE,
# ``0.5 log(2 pi e var)`` of the band-passed signal (in nats).

de = compute_de(epochs)  # (n_epochs, n_channels, n_bands)
print("DE shape:", de.shape, "bands:", list(SEED_BANDS))
print(f"value range: {de.min():.1f} .. {de.max():.1f}")
de_gauss = compute_de(epochs, method="gaussian")

fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
for b, band in enumerate(SEED_BANDS):
    ax.scatter(de[:, :, b].ravel()[::25], de_gauss[:, :, b].ravel()[::25], s=3, label=band)
ax.set(xlabel="SEED-style DE (log2)", ylabel="Gaussian DE (nats)", title="Two DE definitions")
ax.legend(markerscale=4, fontsize="small")

# %%
# Topographies per band and emotion
# ---------------------------------
# The first row shows the mean DE of every band (the overall level falls with
# frequency). The other rows show, for every emotion, the difference between
# its mean DE and the mean over all windows: the emotion-specific pattern the
# classifiers have to learn.

emotions = {name: code - 1 for name, code in epochs.event_id.items()}  # label codes
mean_de = de.mean(axis=0)
n_bands = len(SEED_BANDS)
fig, axes = plt.subplots(
    1 + len(emotions), n_bands, figsize=(2.1 * n_bands, 2.0 * (1 + len(emotions))),
    layout="constrained",
)
for b, band in enumerate(SEED_BANDS):
    im, _ = mne.viz.plot_topomap(
        mean_de[:, b], epochs.info, axes=axes[0, b], show=False, cmap="viridis", contours=0,
        vlim=(mean_de[:, b].min(), mean_de[:, b].max()),
    )
    axes[0, b].set_title(f"{band}\n{SEED_BANDS[band][0]}-{SEED_BANDS[band][1]} Hz")
    fig.colorbar(im, ax=axes[0, b], shrink=0.6)
diff = {name: de[labels == code].mean(axis=0) - mean_de for name, code in emotions.items()}
vmax = max(np.abs(d).max() for d in diff.values())
for row, (name, d) in enumerate(diff.items(), start=1):
    for b in range(n_bands):
        im, _ = mne.viz.plot_topomap(
            d[:, b], epochs.info, axes=axes[row, b], show=False, cmap="RdBu_r",
            vlim=(-vmax, vmax), contours=0,
        )
    axes[row, 0].set_ylabel(name, fontsize="large")
    axes[row, 0].yaxis.set_visible(True)
    axes[row, 0].set_yticks([])
fig.colorbar(im, ax=axes[1:, :], shrink=0.5, label="DE - mean DE (log2)")
fig.suptitle("Mean DE (top) and emotion effects (rows)")

# %%
# LDS and moving-average smoothing
# --------------------------------
# DE fluctuates strongly from one window to the next. The official files also
# provide features smoothed over time within each trial: ``movingAve``
# (a moving average) and ``LDS`` (a Kalman filter and Rauch-Tung-Striebel
# smoother of a random-walk state-space model with process noise ``1e-4`` and
# observation noise ``1``). Both operate on the windows of one trial only:
# ``trial_ids`` tells where trials start and end, so values never leak from
# one film clip into the next.

de_lds = smooth_lds(de, trial_ids)
de_ma = moving_average(de, trial_ids, size=5)

ch, band = epochs.ch_names.index("T8"), list(SEED_BANDS).index("gamma")
show = trial_ids < 8  # the first 8 trials
x = np.arange(show.sum())
fig, ax = plt.subplots(figsize=(9, 3.5), layout="constrained")
colors = dict(zip(emotions, ["0.85", "lightblue", "thistle", "navajowhite"]))
code_to_name = {code: name for name, code in emotions.items()}
for trial in np.unique(trial_ids[show]):
    idx = np.flatnonzero(trial_ids[show] == trial)
    name = code_to_name[labels[idx[0]]]
    ax.axvspan(idx[0] - 0.5, idx[-1] + 0.5, color=colors[name], alpha=0.6, lw=0)
    ax.text(idx.mean(), 1.0, name, transform=ax.get_xaxis_transform(), ha="center",
            va="bottom", fontsize="small")
ax.plot(x, de[show, ch, band], ".-", color="0.3", lw=0.8, label="DE")
ax.plot(x, de_ma[show, ch, band], color="tab:green", lw=1.5, label="moving average (5)")
ax.plot(x, de_lds[show, ch, band], color="tab:red", lw=2, label="LDS")
ax.set(xlabel="window (4 s)", ylabel="DE (log2)", xlim=(-0.5, x[-1] + 0.5))
ax.set_title("T8, gamma band: smoothing within trials", pad=18)
ax.legend(loc="lower right", fontsize="small")

# %%
# A classic pipeline is DE + standardisation + a linear classifier. Windows of
# one trial are strongly correlated, so the cross-validation keeps every trial
# in a single fold (``GroupKFold``). The smoothing is applied before splitting,
# which is safe here: it only mixes windows of the same trial, so no
# information crosses folds.
#
# Smoothing removes window-to-window noise; on the real SEED data, Zheng & Lu
# (2015) found LDS-smoothed DE to give the best accuracies. It also makes the
# windows of a trial nearly identical, i.e. leaves fewer effectively
# independent training samples. The simulated EEG here is calibrated to real
# SEED DE (most of the variance is trial-to-trial and window-to-window
# fluctuation unrelated to emotion); on this simulated subject and with four
# folds of six test trials, the smoothed features do not score higher (compare
# the two numbers below). One subject says little: accuracies of any method
# spread widely from recording to recording, in the real data as in the
# simulation.

cv = GroupKFold(n_splits=4)
clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))
for name, feats in [("DE", de), ("LDS-smoothed DE", de_lds)]:
    scores = cross_val_score(clf, feats.reshape(len(feats), -1), labels, cv=cv, groups=trial_ids)
    print(f"{name:16s} accuracy {100 * scores.mean():5.1f}% (chance 25%)")

# %%
# The same DE features are available as a stateless scikit-learn transformer,
# :class:`~mne_mmvsstma.features.DifferentialEntropy`. It accepts :class:`mne.Epochs`
# (read in microvolts) or data arrays; arrays are used as given, so we pass
# the epochs data in microvolts together with the sampling frequency:

X_uv = epochs.get_data(units="uV")
pipe = make_pipeline(DifferentialEntropy(sfreq=epochs.info["sfreq"]), StandardScaler(),
                     LogisticRegression(C=0.1, max_iter=500))
scores = cross_val_score(pipe, X_uv, labels, cv=cv, groups=trial_ids)
print(f"DifferentialEntropy pipeline accuracy {100 * scores.mean():.1f}%")

# %%
# The official feature files
# --------------------------
# The feature files of the datasets hold DE already computed and smoothed
# (``de_LDS``, ``de_movingAve``...) and, for SEED-IV and SEED-V, eye-movement
# features of the same windows. :func:`~mne_mmvsstma.datasets.read_seed_iv_features`
# reads them into one :class:`~mne_mmvsstma.datasets.FeatureRecording` per
# subject and session, with the same ``(n_windows, 62, 5)`` layout as
# :func:`~mne_mmvsstma.features.compute_de`. (The simulated feature files are drawn
# from the same model as the simulated EEG, not computed from it.)

recordings = read_seed_iv_features(root, feature="de_LDS")
for rec in recordings:  # the real eye files contain NaN: fill them within trials
    rec.eye = fill_eye_nan(rec.eye, rec.trial_ids)
rec = recordings[0]
print(rec)
print("eeg", rec.eeg.shape, "eye", rec.eye.shape, "labels", np.bincount(rec.labels))

# %%
# Windows of ``T`` consecutive samples
# ------------------------------------
# MV-SSTMA reads ``T=10`` consecutive DE samples at once, an array of shape
# ``(N, C, T, F)``. :func:`~mne_mmvsstma.features.make_windows` builds one window per
# sample that ends at that sample, inside its trial: at the start of a trial
# the first sample is repeated (``start="pad"``), so windows never mix trials
# and every sample keeps its label.

windows = make_windows(rec.eeg, rec.trial_ids, n_windows=10, labels=rec.labels, eye=rec.eye)
print("EEG windows:", windows.eeg.shape, windows.eeg.dtype)
print("eye windows:", windows.eye.shape)
print("labels:", windows.labels.shape, "last sample of window 0..3:", windows.index[:4])

# %%
tmp.cleanup()
