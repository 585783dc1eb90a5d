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
:func:`~mne_mmvsstma.training.pretrain`, plots the loss curve and shows the
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
from mne_mmvsstma.datasets import read_seed_iv_features, simulate_seed_iv
from mne_mmvsstma.features import SEED_BANDS, BandScaler, make_windows
from mne_mmvsstma.training import pretrain, reconstruction_loss, split_recording

mne.set_log_level("warning")

# %%
# Data: the training trials of two subjects
# -----------------------------------------
# Two simulated subjects, one session, 24 trials of 10 four-second windows.
# As in the paper's protocol the first 16 trials of a session are the
# training part and the last 8 the test part
# (:func:`~mne_mmvsstma.training.split_recording`). Pretraining uses only the
# training parts, so the test trials stay unseen.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV", n_subjects=2, sessions=(1,), n_windows=10, raw=False,
    random_state=2,
)
recordings = read_seed_iv_features(root, fill_eye="interpolate")
splits = [split_recording(rec) for rec in recordings]
train = [tr for tr, _ in splits]
test = [te for _, te in splits]
for tr, te in splits:
    print(f"sub-{tr.subject}: {tr.n_windows} training windows, {te.n_windows} test windows")

# %%
# Pretraining
# -----------
# The paper uses ``T = 10`` samples per window, an embedding width of 16, six
# encoder and six decoder blocks and six attention heads. To finish in seconds
# on a laptop CPU this tutorial uses ``T = 5``, two encoder blocks, one decoder
# block and two heads, and trains for only 12 epochs with small batches and
# a large learning rate (the paper: ``1.5e-4``); the method is the same.
# :func:`~mne_mmvsstma.training.pretrain` standardises the DE of every
# recording per band, stacks windows inside trials
# (:func:`~mne_mmvsstma.features.make_windows`), and minimises the mean
# squared error over the masked channels with AdamW. A fifth of the windows is
# held out to monitor the loss on windows the model does not train on.

T = 5
model_kwargs = dict(emb_dim=16, n_layers=2, n_decoder_layers=1, n_heads=2, head_dim=16)
model = pretrain(
    train,
    modality="eeg",
    mask_ratio=0.3,
    n_epochs=12,
    batch_size=16,
    lr=1e-2,
    model_kwargs=model_kwargs,
    n_windows=T,
    valid_size=0.2,
    random_state=0,
)
print(model.__class__.__name__, "with", sum(p.numel() for p in model.parameters()), "weights")

# %%
# The loss curve. The loss is in units of the standardised DE: predicting the
# band mean for every masked channel would give an error of about 1.

history = model.history_
epochs = np.arange(1, len(history) + 1)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(epochs, [h["train_loss"] for h in history], "o-", label="training windows")
ax.plot(epochs, [h["valid_loss"] for h in history], "s-", label="held-out windows")
ax.axhline(1.0, color="k", ls=":", lw=1, label="predict the band mean")
ax.set(xlabel="epoch", ylabel="masked-channel MSE", title="MV-SSTMA pretraining loss")
ax.legend()

# %%
# On the test trials, which pretraining never saw, the pretrained model
# reconstructs masked channels much better than the same architecture before
# training (``n_epochs=0`` returns the initialised model):

untrained = pretrain(train, n_epochs=0, model_kwargs=model_kwargs, n_windows=T, random_state=0)
for name, m in [("untrained", untrained), ("pretrained", model)]:
    loss = reconstruction_loss(m, test, mask_ratio=0.3, n_windows=T)
    print(f"{name:10s} test reconstruction MSE: {loss:.3f}")

# %%
# Reconstruction of masked channels
# ---------------------------------
# Now look at one test window. We standardise the subject's test part with a
# :class:`~mne_mmvsstma.features.BandScaler` fitted on its training part,
# stack windows of ``T`` samples and run
# :meth:`~mne_mmvsstma.models.MVSSTMA.forward_pretrain`, which returns the
# reconstruction of *every* channel and the random mask.

scaler = BandScaler().fit(train[0].eeg)
windows = make_windows(scaler.transform(test[0].eeg), test[0].trial_ids, n_windows=T)
idx = 40  # one test window
x = torch.from_numpy(windows.eeg[idx : idx + 1])  # (1, C, T, F)
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
batch = torch.from_numpy(windows.eeg)
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
# ``finetune(data, model=model)`` copies it (the decoder is dropped) and adds
# a classification head, see :ref:`tut-fusion`.

tmp.cleanup()
