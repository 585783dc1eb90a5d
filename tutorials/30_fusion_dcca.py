"""
.. _tut-fusion:

=================================================
30. Multimodal fusion of EEG and eye movements
=================================================

Multimodal MV-SSTMA combines two pretrained extractors, one for EEG DE
features and one for eye-movement features, and fine-tunes them together
with a classifier for every subject:

* the two feature vectors ``F = (F_eeg, F_eye)`` are fused by
  **concatenation** or by **attention**: with a learned vector ``w``, the
  weights ``alpha = softmax(w^T tanh(F))`` over the two modalities give the
  fused feature ``alpha_eeg F_eeg + alpha_eye F_eye``;
* a **DCCA** term (deep canonical correlation analysis) added to the
  cross-entropy with weight 0.1 encourages correlated EEG and eye features.

This tutorial pretrains both extractors on simulated SEED-V data (five
emotions; tutorials 00-20 used SEED-IV),
fine-tunes single-modality and fusion classifiers per subject with
:func:`~mne_mmvsstma.training.finetune`, and shows the accuracy table (in the
style of the paper's Table 2), the attention weights given to each modality
and a confusion matrix.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import ConfusionMatrixDisplay

from mne_mmvsstma.datasets import read_seed_v_features, simulate_seed_v
from mne_mmvsstma.features import make_windows
from mne_mmvsstma.models import dcca_loss
from mne_mmvsstma.training import evaluate, finetune, pretrain, split_recording

mne.set_log_level("warning")

# %%
# Data and pretrained extractors
# ------------------------------
# Two simulated SEED-V subjects, one session of 15 trials. The simulator
# shrinks the real trial durations (``time_scale=0.2``: 2 to 14 four-second
# windows per trial) and we make the emotion effects strong
# (``effect_size=2``) so that the tiny models of this tutorial learn them
# within seconds. The first 9 trials of the session are the training part,
# the last 6 the test part (the paper's SEED-V protocol).
#
# As in tutorial :ref:`tut-pretraining`, the extractors are small versions of
# the paper's (``T = 5`` samples per window, two encoder blocks) trained
# briefly on the unlabeled training trials. The eye extractor treats each of
# the 33 eye features as a "channel" with one value; the eye features are
# rescaled to 10..100 as in the paper.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_v(
    Path(tmp.name) / "SEED-V", n_subjects=2, sessions=(1,), time_scale=0.2, raw=False,
    effect_size=2.0, random_state=3,
)
recordings = read_seed_v_features(root)
splits = [split_recording(rec) for rec in recordings]  # 9 training / 6 test trials
print(recordings)
event_id = recordings[0].event_id
class_names = sorted(event_id, key=event_id.get)

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
# Fine-tuning per subject
# -----------------------
# Every classifier starts from copies of the pretrained extractors (the
# extractors themselves are not modified) and is trained on the labeled
# training trials of one subject, with the last 20 % of every trial held out
# for early stopping. ``fusion=None`` trains a single-modality classifier,
# ``fusion="concat"`` or ``"attention"`` a multimodal one, with the DCCA
# weight ``dcca_weight=0.1`` of the paper (``0`` switches DCCA off). As for
# pretraining, a short schedule with a larger learning rate than the paper's
# ``1e-3`` keeps the run short.

configs = {
    "MV-SSTMA-EEG": dict(model=extractors["eeg"]),
    "MV-SSTMA-EYE": dict(model=extractors["eye"]),
    "Concat": dict(model=extractors, fusion="concat"),
    "Att": dict(model=extractors, fusion="attention"),
}
results, classifiers = [], {}
for train, test in splits:
    for name, kwargs in configs.items():
        clf = finetune(
            [train], n_epochs=15, batch_size=16, lr=3e-3, n_windows=T, random_state=0,
            **kwargs,
        )
        res = evaluate(clf, [test])
        classifiers[name, train.subject] = clf
        results.append(dict(model=name, subject=train.subject, accuracy=100 * res["accuracy"],
                            confusion=res["confusion_matrix"]))

# %%
# Accuracy table
# --------------
# Accuracy (%) on the 6 test trials of every subject, and the mean and
# standard deviation over subjects, the format of the paper's tables. Chance
# level is 20 %. With two simulated subjects, 6 test trials each and models
# trained for seconds, differences between the rows are mostly noise: run the
# same code on the real data (see :ref:`real-data`) with the paper's settings
# to compare the methods. (In this simulation the eye features carry weaker
# emotion effects than the EEG.)

table = pd.DataFrame(results).pivot(index="model", columns="subject", values="accuracy")
table = table.loc[list(configs)]
table.columns = [f"sub-{s}" for s in table.columns]
table["mean"] = table.mean(axis=1)
table["std"] = table.iloc[:, :-1].std(axis=1, ddof=0)
table.round(1)

# %%
# Attention weights per modality
# ------------------------------
# The attention fusion computes, for every window, one weight per modality
# (they sum to one). :func:`~mne_mmvsstma.training.evaluate` reports their
# mean; to look at single windows we run the model ourselves. The classifier
# stores the scalers fitted on its training data in ``scalers_``; the test
# windows are stacked and scaled the same way, then the weights of the last
# forward pass are in ``last_attention_`` (columns: EEG, eye).


def attention_weights(clf, rec):
    """Per-window (EEG, eye) attention weights of a fitted attention classifier."""
    windows = make_windows(rec.eeg, rec.trial_ids, n_windows=T, labels=rec.labels, eye=rec.eye)
    x_eeg = torch.from_numpy(clf.scalers_["eeg"].transform(windows.eeg))
    x_eye = torch.from_numpy(clf.scalers_["eye"].transform(windows.eye))
    with torch.no_grad():
        clf(x_eeg, x_eye)
    return clf.last_attention_.numpy(), windows.labels


fig, axes = plt.subplots(1, len(splits), figsize=(9, 3.2), layout="constrained", sharey=True)
for ax, (train, test) in zip(axes, splits):
    clf = classifiers["Att", train.subject]
    alpha, labels = attention_weights(clf, test)
    print(f"sub-{train.subject}: mean weights EEG {alpha[:, 0].mean():.2f}, "
          f"eye {alpha[:, 1].mean():.2f}")
    present = [c for c in class_names if (labels == event_id[c]).any()]
    x = np.arange(len(present))
    for k, (modality, color) in enumerate([("EEG", "tab:blue"), ("eye", "tab:orange")]):
        values = [alpha[labels == event_id[c], k].mean() for c in present]
        ax.bar(x + (k - 0.5) * 0.38, values, 0.38, label=modality, color=color)
    ax.set_xticks(x, present)
    ax.set_title(f"sub-{train.subject} (test windows)")
axes[0].set_ylabel("mean attention weight")
axes[0].legend()
fig.suptitle("Attention fusion: weight of each modality per true emotion")

# %%
# Confusion matrix
# ----------------
# Rows are the true emotions of the test windows, columns the predicted ones,
# for the attention-fusion classifiers (both subjects summed).

cm = sum(r["confusion"] for r in results if r["model"] == "Att")
fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
ConfusionMatrixDisplay(cm, display_labels=class_names).plot(ax=ax, colorbar=False, cmap="Blues")
ax.set_title("Att fusion, test windows")

# %%
# What DCCA measures
# ------------------
# :func:`~mne_mmvsstma.models.dcca_loss` is minus the total canonical
# correlation between two sets of features (computed in float64): about 0 for
# unrelated features and ``-min(d1, d2)`` for features that are linear
# transforms of each other.

gen = torch.Generator().manual_seed(0)
h_eeg = torch.randn(200, 4, generator=gen)
related = h_eeg @ torch.randn(4, 4, generator=gen) + 0.1 * torch.randn(200, 4, generator=gen)
print("unrelated features:", float(dcca_loss(h_eeg, torch.randn(200, 4, generator=gen))))
print("related features:  ", float(dcca_loss(h_eeg, related)))

# %%
# During fine-tuning of a fusion classifier, :func:`~mne_mmvsstma.training.finetune`
# adds ``dcca_weight`` times this loss, computed on the EEG and eye features
# of every batch (``clf.encode(x_eeg, x_eye)``), to the cross-entropy: the
# two extractors are pulled towards features that agree on the same windows.

# %%
tmp.cleanup()
