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

This tutorial pretrains both extractors on simulated SEED-IV data (four
emotions, calibrated to the statistics of the real data), fine-tunes
single-modality and fusion classifiers per subject with the scikit-learn
estimator :class:`~mne_mmvsstma.training.EmotionClassifier`, and shows the
accuracy table (in the style of the paper's Table 2), the attention weights
given to each modality and a confusion matrix.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix

from mne_mmvsstma.datasets import read_seed_iv_features
from mne_mmvsstma.features import fill_eye_nan, make_windows
from mne_mmvsstma.models import dcca_loss
from mne_mmvsstma.protocol import split_recording
from mne_mmvsstma.simulation import simulate_seed_iv
from mne_mmvsstma.training import EmotionClassifier, pretrain

mne.set_log_level("warning")

# %%
# Data and pretrained extractors
# ------------------------------
# Two simulated SEED-IV subjects, one session of 24 trials, shortened to 10
# four-second windows per trial (the real trials have 10 to 64). The
# simulator's effect sizes are the calibrated ones: emotion explains a
# minor part of the variance of the features, trial-to-trial shifts
# unrelated to emotion a larger one, and the smoothed eye features barely move
# within a trial, as in the real files. The first 16 trials of the session
# are the training part, the last 8 the test part (the paper's SEED-IV
# protocol).
#
# As in tutorial :ref:`tut-pretraining`, the extractors are small versions of
# the paper's (``T = 5`` samples per window, two encoder blocks) trained
# briefly on the unlabeled training trials, here with
# :func:`~mne_mmvsstma.training.pretrain`, which takes the recordings
# directly (it standardises every recording, stacks the windows within
# trials and returns a fitted :class:`~mne_mmvsstma.training.Pretrainer`).
# The eye extractor treats each of the 31 eye features as a "channel" with one
# value; the eye features are rescaled to 10..100 as in the paper.

tmp = tempfile.TemporaryDirectory(prefix="mne_mmvsstma_")
root = simulate_seed_iv(
    Path(tmp.name) / "SEED_IV", n_subjects=2, sessions=(1,), n_windows=10, raw=False,
    random_state=3,
)
recordings = read_seed_iv_features(root)
for rec in recordings:  # the real eye files contain NaN: fill them within trials
    rec.eye = fill_eye_nan(rec.eye, rec.trial_ids)
splits = [split_recording(rec) for rec in recordings]  # 16 training / 8 test trials
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
# :class:`~mne_mmvsstma.training.EmotionClassifier` takes windows of
# ``T`` samples: an array ``(N, C, T, F)`` for one modality, a dict
# ``{"eeg": ..., "eye": ...}`` for fusion. ``fit(X, y, groups=trial_ids)``
# fits a scaler per modality on the training windows and holds out one whole
# training trial per emotion (:class:`~mne_mmvsstma.training.TrialSplit`,
# which needs the trial of every window in ``groups``) to choose the best
# epoch; the model never trains on those trials and the test trials play no
# part in any choice. ``pretrained=`` starts from copies of the pretrained
# extractors (the extractors themselves are not modified); ``fusion="concat"``
# or ``"attention"`` trains a multimodal classifier with the DCCA weight
# ``dcca_weight=0.1`` of the paper (``0`` switches DCCA off). A classifier
# without ``pretrained`` starts from random weights. As for pretraining, a
# short schedule with a larger learning rate than the paper's ``1e-3`` keeps
# the run short.


def model_input(rec):
    """EEG and eye windows of a recording, with the label and trial of every window."""
    win = make_windows(rec.eeg, rec.trial_ids, n_windows=T, labels=rec.labels, eye=rec.eye)
    return {"eeg": win.eeg, "eye": win.eye}, win.labels, win.trial_ids


arch = dict(emb_dim=16, n_layers=2, n_heads=2, head_dim=16)  # of randomly initialised models
fit = dict(max_epochs=15, batch_size=16, lr=3e-3, random_state=0)
configs = {
    "EEG, no pretraining": dict(modality="eeg"),
    "MV-SSTMA-EEG": dict(modality="eeg", pretrained=extractors["eeg"]),
    "MV-SSTMA-EYE": dict(modality="eye", pretrained=extractors["eye"]),
    "Concat": dict(fusion="concat", pretrained=extractors),
    "Att": dict(fusion="attention", pretrained=extractors),
}
results, classifiers = [], {}
for train, test in splits:
    X, y, trial_ids = model_input(train)
    X_test, y_test, _ = model_input(test)
    for name, kwargs in configs.items():
        clf = EmotionClassifier(**kwargs, **arch, **fit)
        inputs = X if clf.fusion else X[clf.modality]
        test_inputs = X_test if clf.fusion else X_test[clf.modality]
        clf.fit(inputs, y, groups=trial_ids)
        y_pred = clf.predict(test_inputs)
        classifiers[name, train.subject] = clf
        results.append(dict(
            model=name, subject=train.subject, accuracy=100 * np.mean(y_pred == y_test),
            best_epoch=clf.best_epoch_,
            confusion=confusion_matrix(y_test, y_pred, labels=clf.classes_)))

# %%
# The fitted classifier keeps skorch's training history: the loss on the
# training windows (for fusion: cross-entropy plus ``dcca_weight`` times the
# DCCA loss, which is negative) and, on the held-out training trials, the
# cross-entropy and accuracy; the epoch of lowest validation loss is the one
# whose weights are kept (``best_epoch_``):

clf = classifiers["Att", splits[0][0].subject]
print(pd.DataFrame({key: clf.history[:, key]
                    for key in ("epoch", "train_loss", "valid_loss", "valid_acc")}).round(3))
print("best epoch:", clf.best_epoch_)

# %%
# Accuracy table
# --------------
# Accuracy (%) on the 8 test trials of every subject, and the mean and
# standard deviation over subjects, the format of the paper's tables. Chance
# level is 25 %.

table = pd.DataFrame(results).pivot(index="model", columns="subject", values="accuracy")
table = table.loc[list(configs)]
table.columns = [f"sub-{s}" for s in table.columns]
table["mean"] = table.mean(axis=1)
table["std"] = table.iloc[:, :-1].std(axis=1, ddof=0)
table.round(1)

# %%
# On these calibrated data the tiny models of this tutorial, trained for
# seconds and pretrained on two recordings only, range from chance level to
# well above it, and two subjects do not rank the methods (on real SEED-IV
# features, 30 recordings, pretraining gains about one point over random
# encoders and fusion one to two points over EEG alone: see :ref:`real-data`;
# simulated accuracies say nothing about real data). A subject has 16
# training trials;
# with one trial per emotion held out for validation, 1 to 5 trials per
# emotion remain for fitting, and the shifts from trial to trial, unrelated to
# emotion, are larger than the emotion effects. The windows of one test
# trial are mostly classified alike, so a subject's accuracy moves in steps
# of about 12.5 % (one of 8 test trials): rows that differ by one or two test
# trials are not a ranking of the methods. Rows below chance are not a
# scoring error either: in session 1 of SEED-IV, 4 of the 8 test trials are
# "happy", an emotion with only 2 training trials (one of them held out for
# validation), and no test trial is "sad".
#
# Comparing methods needs many subjects, the paper's model sizes and
# schedules, and the baselines (e.g. DE + linear SVM,
# :func:`~mne_mmvsstma.protocol.svm_baseline`):
# :func:`~mne_mmvsstma.protocol.run_protocol` runs the paper's tables on a
# dataset folder, simulated or real (see :ref:`real-data`).

# %%
# Attention weights per modality
# ------------------------------
# The attention fusion computes, for every window, one weight per modality
# (they sum to one). After ``predict`` or ``predict_proba``, the weights of
# the windows just classified are in ``last_attention_`` (columns: EEG, eye).


def attention_weights(clf, rec):
    """Per-window (EEG, eye) attention weights of a fitted attention classifier."""
    X_rec, labels, _ = model_input(rec)
    clf.predict_proba(X_rec)
    return clf.last_attention_, labels


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
# During fine-tuning of a fusion classifier,
# :class:`~mne_mmvsstma.training.EmotionClassifier` adds ``dcca_weight`` times
# this loss, computed on the EEG and eye features of every training batch
# (``clf.module_.encode(x_eeg, x_eye)``), to the cross-entropy: the two
# extractors are pulled towards features that agree on the same windows.

# %%
tmp.cleanup()
