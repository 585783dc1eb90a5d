"""
.. _tut-pretraining:

==========================================
20. Self-supervised pretraining (MV-SSTMA)
==========================================

MV-SSTMA is a *masked autoencoder* for band features: for every input window
of ``T`` consecutive DE samples (``C = 62`` channels x ``F = 5`` bands), a
random 30 % of the channels is removed, the encoder sees only the remaining
channels, and a decoder has to reconstruct the removed ones. No emotion label
is needed, so the extractor can learn from all unlabeled recordings; the
encoder is later fine-tuned as an emotion classifier (tutorials
:ref:`tut-fusion` and :ref:`tut-missing-data`).

This tutorial pretrains a small MV-SSTMA on simulated SEED-IV features with
the scikit-learn estimator :class:`~mne_mmvsstma.training.Pretrainer`
(``fit(X)`` without labels), plots the loss curve and shows the
reconstruction of masked channels as topographic maps.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import torch

from mne_mmvsstma.channels import create_seed_info
from mne_mmvsstma.datasets import read_seed_iv_features
from mne_mmvsstma.features import SEED_BANDS, BandScaler, fill_eye_nan, make_windows
from mne_mmvsstma.protocol import split_recording
from mne_mmvsstma.simulation import simulate_seed_iv
from mne_mmvsstma.training import Pretrainer, TrialSplit

mne.set_log_level("warning")

# %%
# Data: the training trials of two subjects
# -----------------------------------------
# Two simulated subjects, one session, 24 trials of 10 four-second windows.
# The simulator is calibrated to statistics of the real data (most of the
# variance of the DE features is trial-to-trial and window-to-window
# fluctuation unrelated to emotion). As in the paper's protocol the first 16
# trials of a session are the training part and the last 8 the test part
# (:func:`~mne_mmvsstma.protocol.split_recording`). Pretraining uses only the
# training parts, so the test trials stay unseen.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV", n_subjects=2, sessions=(1,), n_windows=10, raw=False,
    random_state=2,
)
recordings = read_seed_iv_features(root)
for rec in recordings:  # the real eye files contain NaN: fill them within trials
    rec.eye = fill_eye_nan(rec.eye, rec.trial_ids)
splits = [split_recording(rec) for rec in recordings]
train = [tr for tr, _ in splits]
test = [te for _, te in splits]
for tr, te in splits:
    print(f"sub-{tr.subject}: {tr.n_windows} training windows, {te.n_windows} test windows")

# %%
# Model input: standardised windows
# ---------------------------------
# MV-SSTMA reads windows of ``T`` consecutive DE samples, ``(N, C, T, F)``.
# Every recording is standardised per band with a
# :class:`~mne_mmvsstma.features.BandScaler` fitted on its training part (the
# per subject-session normalisation of the protocol; the test part uses the
# training statistics), then :func:`~mne_mmvsstma.features.make_windows`
# stacks the windows inside trials. The trial of every window (made unique
# over the two subjects) is kept as ``groups``: validation holds out whole
# trials, never windows of trials used for fitting.

T = 5
scalers = [BandScaler().fit(tr.eeg) for tr in train]


def stack(recs):
    """Standardised windows of the recordings and a unique trial id per window."""
    X, groups = [], []
    for k, (rec, scaler) in enumerate(zip(recs, scalers)):
        win = make_windows(scaler.transform(rec.eeg), rec.trial_ids, n_windows=T)
        X.append(win.eeg)
        groups.append(100 * k + win.trial_ids)
    return np.concatenate(X), np.concatenate(groups)


X_train, groups_train = stack(train)
X_test, _ = stack(test)
print("training windows", X_train.shape, "test windows", X_test.shape)

# %%
# Pretraining
# -----------
# The paper uses ``T = 10`` samples per window, an embedding width of 16, six
# encoder and six decoder blocks and six attention heads. To finish in seconds
# on a laptop CPU this tutorial uses ``T = 5``, two encoder blocks, one decoder
# block and two heads, and trains for only 12 epochs with small batches and
# a large learning rate (the paper: ``1.5e-4``); the method is the same.
# :class:`~mne_mmvsstma.training.Pretrainer` minimises the mean squared error
# over the masked channels with AdamW. It is a scikit-learn estimator built on
# skorch: the hyper-parameters go to the constructor, ``fit(X)`` needs no
# labels. ``scale=False`` because the windows are already standardised (with
# ``scale=True`` it fits one scaler on ``X``).
# ``train_split=TrialSplit(n_per_class=4)`` holds out 4 whole training trials
# (no labels here, so 4 in total) to monitor the loss on trials the model
# does not train on; ``groups`` tells it the trial of every window.

arch = dict(emb_dim=16, n_layers=2, n_decoder_layers=1, n_heads=2, head_dim=16)
pre = Pretrainer(
    modality="eeg",
    mask_ratio=0.3,
    **arch,
    max_epochs=12,
    batch_size=16,
    lr=1e-2,
    scale=False,
    train_split=TrialSplit(n_per_class=4),
    random_state=0,
)
pre.fit(X_train, groups=groups_train)
print(type(pre.module_).__name__, "with", sum(p.numel() for p in pre.module_.parameters()),
      "weights")

# %%
# The loss curve, from the estimator's skorch
# :class:`~skorch.history.History` (``pre.history[:, "train_loss"]``). The
# loss is in units of the standardised DE: predicting the band mean for every
# masked channel would give an error of about 1.

epochs = pre.history[:, "epoch"]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(epochs, pre.history[:, "train_loss"], "o-", label="training trials")
ax.plot(epochs, pre.history[:, "valid_loss"], "s-", label="4 held-out training trials")
ax.axhline(1.0, color="k", ls=":", lw=1, label="predict the band mean")
ax.set(xlabel="epoch", ylabel="masked-channel MSE", title="MV-SSTMA pretraining loss")
ax.legend()

# %%
# On the test trials, which pretraining never saw, compare the pretrained
# model with the same architecture before training (``max_epochs=0`` fits
# nothing and keeps the initialised network). ``score`` returns minus the
# masked-channel MSE, with the same fixed masks for both models:

untrained = Pretrainer(**arch, max_epochs=0, scale=False, random_state=0).fit(X_train)
for name, m in [("untrained", untrained), ("pretrained", pre)]:
    print(f"{name:10s} test reconstruction MSE: {-m.score(X_test):.3f}")

# %%
# ``transform`` returns the encoder's features of every window (all channels
# visible), e.g. for a linear probe; ``pre.encoder_`` is the encoder itself.

features = pre.transform(X_test)
print("encoder features of the test windows:", features.shape)

# %%
# Reconstruction of masked channels
# ---------------------------------
# Now look at one test window of the first subject. The fitted network is
# ``pre.module_`` (an :class:`~mne_mmvsstma.models.MVSSTMA`); its
# :meth:`~mne_mmvsstma.models.MVSSTMA.forward_pretrain` returns the
# reconstruction of *every* channel and the random mask.

model = pre.module_
windows = X_test[: test[0].n_windows]  # the first subject's test windows
idx = 40  # one test window
x = torch.from_numpy(windows[idx : idx + 1])  # (1, C, T, F)
generator = torch.Generator().manual_seed(3)
with torch.no_grad():
    out = model.forward_pretrain(x, mask_ratio=0.3, generator=generator)
masked = out["mask"][0].numpy()
original = x[0, :, -1].numpy()  # last (current) time step, (C, F)
recon = out["reconstruction"][0, :, -1].numpy()
print(f"{masked.sum()} of {masked.size} channels masked")

# %%
# For two bands: the original map (masked channels marked with white
# circles), what the encoder sees (the visible channels only), and the map
# with the masked channels filled in by the decoder, whose predictions come
# from the visible channels only.

info = create_seed_info()
visible_info = mne.pick_info(info, np.flatnonzero(~masked))
bands = ["alpha", "gamma"]
fig, axes = plt.subplots(len(bands), 3, figsize=(8, 5.4), layout="constrained")
mask_params = dict(marker="o", markerfacecolor="w", markeredgecolor="k", markersize=6)
for row, band in enumerate(bands):
    b = list(SEED_BANDS).index(band)
    vlim = (-2.5, 2.5)
    kwargs = dict(show=False, cmap="RdBu_r", vlim=vlim, contours=0)
    im, _ = mne.viz.plot_topomap(original[:, b], info, axes=axes[row, 0], mask=masked,
                                 mask_params=mask_params, **kwargs)
    mne.viz.plot_topomap(original[~masked, b], visible_info, axes=axes[row, 1], **kwargs)
    filled = np.where(masked, recon[:, b], original[:, b])
    mne.viz.plot_topomap(filled, info, axes=axes[row, 2], mask=masked,
                         mask_params=mask_params, **kwargs)
    axes[row, 0].set_ylabel(band, fontsize="large")
    axes[row, 0].yaxis.set_visible(True)
    axes[row, 0].set_yticks([])
for col, title in enumerate(["original", "visible channels", "masked channels filled in"]):
    axes[0, col].set_title(title)
fig.colorbar(im, ax=axes, shrink=0.6, label="standardised DE")

# %%
# Over many test windows and new random masks, the reconstructed values of
# the masked channels follow the true ones:

gen = torch.Generator().manual_seed(4)
batch = torch.from_numpy(windows)
with torch.no_grad():
    out = model.forward_pretrain(batch, mask_ratio=0.3, generator=gen)
m = out["mask"].numpy()
true_vals = batch[:, :, -1].numpy()[m]  # (n_masked, F)
pred_vals = out["reconstruction"][:, :, -1].numpy()[m]
fig, axes = plt.subplots(1, len(SEED_BANDS), figsize=(12, 2.8), layout="constrained",
                         sharex=True, sharey=True)
for b, (ax, band) in enumerate(zip(axes, SEED_BANDS)):
    r = np.corrcoef(true_vals[:, b], pred_vals[:, b])[0, 1]
    ax.scatter(true_vals[:, b], pred_vals[:, b], s=2, alpha=0.3)
    ax.plot([-3, 3], [-3, 3], "k:", lw=1)
    ax.set(title=f"{band} (r = {r:.2f})", xlabel="true")
axes[0].set_ylabel("reconstructed")
fig.suptitle("Masked channels of all test windows")

# %%
# The pretrained encoder is the starting point of fine-tuning:
# ``EmotionClassifier(pretrained=pre)`` (or ``finetune(data, model=pre)``)
# copies it (the decoder is dropped) and adds a classification head, see
# :ref:`tut-fusion`. For whole dataset folders, lists of recordings or
# :class:`mne.Epochs`, :func:`~mne_mmvsstma.training.pretrain` does the
# scaling and windowing of this tutorial and returns the same estimator.

tmp.cleanup()
