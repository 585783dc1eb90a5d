"""
.. _tut-missing-data:

======================================
40. Few labels and missing channels
======================================

Two situations of practical emotion recognition are studied in the paper:

* **few labels** (its Table 3): a new user can only label a few seconds of
  every film clip. The classifier is fine-tuned on the first ``n_labels``
  windows of every training trial;
* **missing data** (its Table 4): electrodes (and eye features) drop out. A
  fraction of the channels of every window, 30 %, 50 % or 70 %, is removed
  at random, in training *and* test data.

Self-supervised pretraining on unlabeled data is meant to help in both. This
tutorial runs both experiments on simulated SEED-IV data (calibrated to the
statistics of the real data) with
:func:`~mne_mmvsstma.training.finetune` (``n_labels``, ``mask_ratio``) and
:func:`~mne_mmvsstma.training.evaluate` (``mask_ratio``), and prints the
results in the layout of the paper's tables with
:func:`~mne_mmvsstma.protocol.summarize` and
:func:`~mne_mmvsstma.protocol.format_summary`.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd

from mne_mmvsstma.channels import create_seed_info
from mne_mmvsstma.datasets import read_seed_iv_features
from mne_mmvsstma.features import SEED_BANDS, fill_eye_nan
from mne_mmvsstma.protocol import format_summary, split_recording, summarize
from mne_mmvsstma.simulation import simulate_seed_iv
from mne_mmvsstma.training import (
    evaluate,
    finetune,
    pretrain,
)

mne.set_log_level("warning")

# %%
# Data and pretrained extractors
# ------------------------------
# The same setting as tutorial :ref:`tut-fusion`: two simulated SEED-IV
# subjects, 16 training and 8 test trials of 10 windows, and small MV-SSTMA
# extractors for EEG and eye features pretrained on the (unlabeled) training
# trials with :func:`~mne_mmvsstma.training.pretrain`.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV", n_subjects=2, sessions=(1,), n_windows=10, raw=False,
    random_state=3,
)
recordings = read_seed_iv_features(root)
for rec in recordings:  # the real eye files contain NaN: fill them within trials
    rec.eye = fill_eye_nan(rec.eye, rec.trial_ids)
splits = [split_recording(rec) for rec in recordings]

T = 5
model_kwargs = dict(emb_dim=16, n_layers=2, n_decoder_layers=1, n_heads=2, head_dim=16)
extractors = {
    modality: pretrain(
        [train for train, _ in splits], modality=modality, n_epochs=8, batch_size=16, lr=1e-2,
        model_kwargs=model_kwargs, n_windows=T, random_state=0,
    )
    for modality in ("eeg", "eye")
}

# %%
# Few labels
# ----------
# ``n_labels=3`` keeps the first 3 windows (12 s) of every training trial as
# labeled data (``n_labels_per="total"`` would instead count the first
# windows of the whole training part, which would all come from the first
# film clip, i.e. one emotion). The rest of the training part stays unlabeled;
# it was used for pretraining only.

N_LABELS = 3
train = splits[0][0]
labeled = np.zeros(train.n_windows, bool)
for trial in np.unique(train.trial_ids):
    labeled[np.flatnonzero(train.trial_ids == trial)[:N_LABELS]] = True
fig, ax = plt.subplots(figsize=(9, 2.4), layout="constrained")
ax.scatter(np.flatnonzero(~labeled), train.trial_ids[~labeled], marker="|", s=80,
           color="0.7", label="unlabeled (pretraining only)")
ax.scatter(np.flatnonzero(labeled), train.trial_ids[labeled], marker="|", s=80,
           color="tab:red", label=f"labeled (first {N_LABELS} of each trial)")
ax.set(xlabel="window of the training part", ylabel="trial",
       title=f"sub-{train.subject}: {labeled.sum()} of {train.n_windows} windows labeled")
ax.legend(loc="lower right", fontsize="small")

# %%
# Missing channels
# ----------------
# With ``mask_ratio`` the models drop that fraction of the 62 EEG channels
# (and of the eye features), drawn anew for every window. This is how the
# gamma-band DE of one window looks with 30, 50 and 70 % of the channels
# missing:

info = create_seed_info()
rng = np.random.default_rng(0)
gamma = train.eeg[5, :, list(SEED_BANDS).index("gamma")]
fig, axes = plt.subplots(1, 4, figsize=(10, 3.2), layout="constrained")
for ax, ratio in zip(axes, (0.0, 0.3, 0.5, 0.7)):
    n_keep = len(info.ch_names) - int(round(ratio * len(info.ch_names)))
    keep = np.sort(rng.permutation(len(info.ch_names))[:n_keep])
    mne.viz.plot_topomap(gamma[keep], mne.pick_info(info, keep), axes=ax, show=False,
                         contours=0, cmap="viridis", vlim=(gamma.min(), gamma.max()))
    ax.set_title(f"{int(100 * ratio)}% missing\n({n_keep} channels)")

# %%
# The experiments
# ---------------
# For every subject and every model (EEG only, concatenation and attention
# fusion, all starting from the pretrained extractors), we fine-tune with
# ``n_labels=3``: without masking (Table 3) and with each mask ratio applied
# to training and test data (Table 4). The models fine-tuned without masking
# are also tested with masked channels, to see what training with masks buys.
# This uses the functional form, :func:`~mne_mmvsstma.training.finetune` and
# :func:`~mne_mmvsstma.training.evaluate`, which take the recordings directly
# (labels and trials come with them) and return / use a fitted
# :class:`~mne_mmvsstma.training.EmotionClassifier`. As there, the best epoch
# is chosen on whole labeled training trials held out from fitting (one per
# emotion), never on test trials.

models = {
    "MV-SSTMA-EEG": dict(model=extractors["eeg"]),
    "Concat": dict(model=extractors, fusion="concat"),
    "Att": dict(model=extractors, fusion="attention"),
}
mask_ratios = (0.3, 0.5, 0.7)
fit = dict(n_labels=N_LABELS, n_epochs=15, batch_size=16, lr=3e-3, n_windows=T, random_state=0)
rows = []
for train, test in splits:
    meta = dict(dataset=train.dataset, subject=train.subject, session=train.session)
    for name, kwargs in models.items():
        clf = finetune([train], **fit, **kwargs)
        acc = evaluate(clf, [test])["accuracy"]
        rows.append(dict(meta, table="3", model=name, setting=f"first {N_LABELS} labels",
                         accuracy=acc))
        for ratio in mask_ratios:
            setting = f"mask {int(100 * ratio)}%"
            acc = evaluate(clf, [test], mask_ratio=ratio)["accuracy"]
            rows.append(dict(meta, table="4 (trained without masking)", model=name,
                             setting=setting, accuracy=acc))
            clf_masked = finetune([train], mask_ratio=ratio, **fit, **kwargs)
            acc = evaluate(clf_masked, [test], mask_ratio=ratio)["accuracy"]
            rows.append(dict(meta, table="4", model=name, setting=setting, accuracy=acc))
results = pd.DataFrame(rows)

# %%
# Tables 3 and 4
# --------------
# :func:`~mne_mmvsstma.protocol.summarize` averages the sessions of every
# subject and reports the mean and standard deviation over subjects, in
# percent (here 2 subjects and 1 session); chance is 25 %. The last table
# holds the models fine-tuned *without* masking but tested with masked
# channels. These are tiny models trained for seconds on two simulated
# subjects, with 3 labeled windows per trial: the numbers show how to run and
# read the experiments, not the paper's results (see :ref:`real-data` to run
# them on the real datasets, e.g. with
# :func:`~mne_mmvsstma.protocol.run_protocol`).
#
# From 3 labeled windows of each training trial, these tiny models range from
# chance level to well above it on calibrated data, and two subjects cannot
# show an effect of the number of labels or of the masking (a difference of
# one test trial is 12.5 points). Rows below chance are not
# a scoring error: in session 1 of SEED-IV, 4 of the 8 test trials are
# "happy", an emotion with only 2 training trials, one of which is held out
# for validation, and no test trial is "sad". Study these questions with
# :func:`~mne_mmvsstma.protocol.run_protocol` over many subjects.

summary = summarize(results)
print(format_summary(summary))

# %%
# Accuracy as a function of the fraction of missing channels, for models
# trained with the same masking as the test data (solid) and without masking
# (dashed):

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ratios = (0.0,) + mask_ratios
for (name, _), color in zip(models.items(), ["tab:blue", "tab:green", "tab:red"]):
    sub = summary[summary["model"] == name]
    no_mask = float(sub.loc[sub["table"] == "3", "mean"].iloc[0])
    for table, style in [("4", "o-"), ("4 (trained without masking)", "s--")]:
        values = [no_mask] + [
            float(sub.loc[(sub["table"] == table) & (sub["setting"] == f"mask {int(100 * r)}%"),
                          "mean"].iloc[0])
            for r in mask_ratios
        ]
        label = name if table == "4" else None
        ax.plot(100 * np.array(ratios), values, style, color=color, label=label)
ax.axhline(25, color="k", ls=":", lw=1, label="chance")
ax.plot([], [], "k-", label="trained with masking")
ax.plot([], [], "k--", label="trained without masking")
ax.set(xlabel="missing channels (%)", ylabel="accuracy (%)", ylim=(0, 100),
       title=f"First {N_LABELS} labels per trial, mean of {len(splits)} subjects")
ax.legend(fontsize="small", ncols=2)

# %%
tmp.cleanup()
