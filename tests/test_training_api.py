"""pretrain / finetune / evaluate on tiny simulated windows."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from mne_mmvsstma import Pretrainer  # noqa: E402
from mne_mmvsstma.training import (  # noqa: E402
    evaluate,
    finetune,
    load_model,
    pretrain,
    reconstruction_loss,
    save_model,
)

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=4)
N_CHANS, N_EYE, T = 8, 5, 4




def _simulate(n_per_class=30, n_classes=3, effect=1.0, seed=0):
    """EEG (N, C, T, F) and eye (N, n_eye, T, 1) windows with class-dependent means.

    Trials of 10 windows, one class per trial; a smooth spatial pattern so that
    masked channels can be reconstructed from their neighbours.
    """
    rng = np.random.default_rng(seed)
    n = n_per_class * n_classes
    y = np.repeat(np.arange(n_classes), n_per_class)
    trial_ids = np.repeat(np.arange(n // 10), 10)
    y = y[np.argsort(trial_ids, kind="stable")]
    chan = np.linspace(0, np.pi, N_CHANS)
    base = np.sin(chan)[None, :, None, None] * rng.normal(1, 0.3, (n, 1, T, 5))
    pattern = np.stack([np.cos((k + 1) * chan) for k in range(n_classes)])  # (K, C)
    eeg = base + effect * pattern[y][:, :, None, None] + 0.3 * rng.normal(size=(n, N_CHANS, T, 5))
    eye_pattern = rng.normal(size=(n_classes, N_EYE))
    eye = 3 + effect * eye_pattern[y][:, :, None, None] + 0.5 * rng.normal(size=(n, N_EYE, T, 1))
    return eeg.astype(np.float32), eye.astype(np.float32), y, trial_ids


FIT = dict(n_epochs=6, batch_size=16, verbose=False)


def test_pretrain_lowers_reconstruction_loss():
    eeg, _, _, _ = _simulate()
    init = Pretrainer(**TINY, max_epochs=0).fit(eeg)  # untrained baseline
    model = pretrain(eeg, n_epochs=15, batch_size=16, lr=3e-3, model_kwargs=TINY,
                     verbose=False)
    assert len(init.history) == 0 and len(model.history) == 15
    assert model.modality == "eeg" and model.scalers_["eeg"] is not None
    losses = model.history[:, "train_loss"]
    assert losses[-1] < 0.8 * losses[0]
    before = reconstruction_loss(init, eeg, verbose=False)
    after = reconstruction_loss(model, eeg, verbose=False)
    assert after < 0.8 * before


def test_pretrain_eye_scaling_robust_by_default_minmax_on_request():
    from mne_mmvsstma.features import EyeRescaler, RobustEyeScaler

    _, eye, _, _ = _simulate()
    model = pretrain(eye, modality="eye", n_epochs=1, batch_size=32, model_kwargs=TINY,
                     verbose=False)
    assert model.module_.n_chans == N_EYE and model.module_.n_bands == 1
    assert isinstance(model.scalers_["eye"], RobustEyeScaler)
    paper = pretrain(eye, modality="eye", n_epochs=1, batch_size=32, model_kwargs=TINY,
                     eye_scaling="minmax", verbose=False)
    assert isinstance(paper.scalers_["eye"], EyeRescaler)
    scaled = paper.scalers_["eye"].transform(eye)
    assert scaled.min() == pytest.approx(10) and scaled.max() == pytest.approx(100)


def test_finetune_single_and_fusion_beat_chance():
    eeg, eye, y, trials = _simulate(n_per_class=40)
    test = np.isin(trials, [3, 7, 11])  # one held-out trial per class
    train = ~test
    pre_eeg = pretrain(eeg[train], n_epochs=2, model_kwargs=TINY, verbose=False)
    pre_eye = pretrain(eye[train], modality="eye", n_epochs=2, model_kwargs=TINY,
                       verbose=False)
    clf = finetune(eeg[train], y[train], model=pre_eeg, trial_ids=trials[train], n_epochs=15,
                   batch_size=16, verbose=False)
    assert clf.modality_ == "eeg" and clf.fusion is None
    assert "valid_loss" in clf.history[-1]  # early stopping on held-out training trials
    res = evaluate(clf, eeg[test], y[test], verbose=False)
    assert res["confusion_matrix"].sum() == test.sum()
    assert res["accuracy"] > 0.6  # chance 1/3
    fused = finetune(eeg[train], y[train], X_eye=eye[train], model={"eeg": pre_eeg,
                     "eye": pre_eye}, fusion="attention", trial_ids=trials[train],
                     n_epochs=15, batch_size=16, verbose=False)
    res = evaluate(fused, eeg[test], y[test], X_eye=eye[test], verbose=False)
    assert res["accuracy"] > 0.6
    assert res["attention"].shape == (2,)
    # the pretrained models were not modified
    assert not hasattr(pre_eeg, "classes_inferred_")


def test_evaluate_with_masks_is_reproducible():
    eeg, eye, y, trials = _simulate()
    kw = dict(X_eye=eye, fusion="concat", model_kwargs=TINY, random_state=3, mask_ratio=0.3,
              trial_ids=trials, **FIT)
    a = finetune(eeg, y, **kw)
    ra = evaluate(a, eeg, y, X_eye=eye, verbose=False)
    rb = evaluate(a, eeg, y, X_eye=eye, verbose=False)
    np.testing.assert_array_equal(ra["proba"], rb["proba"])
    r0 = evaluate(a, eeg, y, X_eye=eye, mask_ratio=0.0, verbose=False)
    assert not np.array_equal(ra["proba"], r0["proba"])
    assert a.mask_ratio == 0.3  # restored after evaluating with another ratio


def test_partial_labels():
    eeg, _, y, trials = _simulate()
    clf = finetune(eeg, y, trial_ids=trials, n_labels=3, model_kwargs=TINY, mask_ratio=0.5,
                   **FIT)
    assert clf.n_labels_ == 3 and clf.mask_ratio == 0.5
    assert clf.input_shapes_["eeg"][0] == 3 * len(np.unique(trials))
    # first 3 windows overall come from one trial = one class
    with pytest.raises(ValueError, match="single class"):
        finetune(eeg, y, n_labels=3, n_labels_per="total", model_kwargs=TINY, **FIT)
    with pytest.raises(ValueError, match="needs trial ids"):
        finetune(eeg, y, n_labels=3, model_kwargs=TINY, **FIT)


def test_without_trial_ids_there_is_no_validation():
    eeg, _, y, _ = _simulate()
    clf = finetune(eeg, y, model_kwargs=TINY, **FIT)
    assert "valid_loss" not in clf.history[-1]
    assert clf.best_epoch_ == len(clf.history) == FIT["n_epochs"]


def test_save_load_model_roundtrip(tmp_path):
    eeg, eye, y, _ = _simulate()
    pre = pretrain(eye, modality="eye", n_epochs=1, model_kwargs=TINY, verbose=False)
    pre2 = load_model(save_model(pre, tmp_path / "eye.pt"))
    assert pre2.modality == "eye"
    clf2 = finetune(eye, y, model=pre2, **FIT)  # modality from the pretrained model
    assert clf2.modality_ == "eye"
    loaded = load_model(save_model(clf2, tmp_path / "clf.pt"))
    np.testing.assert_allclose(evaluate(loaded, eye, y, verbose=False)["proba"],
                               evaluate(clf2, eye, y, verbose=False)["proba"], rtol=1e-5,
                               atol=1e-6)


BAD = {
    "labels-length": (lambda d: finetune(d[0], d[2][:-1], model_kwargs=TINY, n_epochs=1,
                                         verbose=False), "y has 89 labels but X has 90"),
    "single-class": (lambda d: finetune(d[0], np.zeros(90, int), model_kwargs=TINY,
                                        n_epochs=1, verbose=False), "single class"),
    "fusion-no-eye": (lambda d: finetune(d[0], d[2], fusion="concat", n_epochs=1,
                                         verbose=False), "X_eye is required"),
    "eye-length": (lambda d: finetune(d[0], d[2], X_eye=d[1][:80], fusion="concat",
                                      n_epochs=1, verbose=False), "X_eye has 80 windows"),
    "eye-without-fusion": (lambda d: finetune(d[0], d[2], X_eye=d[1], n_epochs=1,
                                              verbose=False), "fusion=None"),
    "pretrain-nan": (lambda d: pretrain(np.where(d[1] > 3.5, np.nan, d[1]), modality="eye",
                                        n_epochs=1, verbose=False), "NaN"),
    "evaluate-unseen": (lambda d: evaluate(finetune(d[0], d[2], model_kwargs=TINY, n_epochs=1,
                                                    verbose=False), d[0], d[2] + 5,
                                           verbose=False), "unseen in training"),
    "evaluate-no-y": (lambda d: evaluate(finetune(d[0], d[2], model_kwargs=TINY, n_epochs=1,
                                                  verbose=False), d[0], verbose=False),
                      "y is required"),
    "evaluate-pretrainer": (lambda d: evaluate(pretrain(d[0], n_epochs=1, model_kwargs=TINY,
                                                        verbose=False), d[0], d[2],
                                               verbose=False), "fitted EmotionClassifier"),
    "model-kwargs-shape": (lambda d: pretrain(d[0], model_kwargs={"n_chans": 3},
                                              verbose=False), "must not set 'n_chans'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs(case):
    call, match = BAD[case]
    with pytest.raises((ValueError, TypeError), match=match):
        call(_simulate())


# ---------------------------------------------------------------------------
# the stimuli of the whitening


def _feature_recordings(n_rec=3, n_trials=6, per=8, sessions=(1,), swap=None, seed=0):
    """FeatureRecordings (no eye) of ``n_rec`` subjects per session, trial k showing the same
    stimulus (and label) in every recording; ``swap``: a recording whose labels of trials 0
    and 1 are exchanged (another stimulus order)."""
    from mne_mmvsstma.datasets import FeatureRecording

    rng = np.random.default_rng(seed)
    recs = []
    for session in sessions:
        for r in range(n_rec):
            labels = np.repeat(np.arange(n_trials) % 3, per)
            if swap == r:
                labels = np.repeat((np.arange(n_trials) % 3)[[1, 0, *range(2, n_trials)]], per)
            recs.append(FeatureRecording(
                dataset="SEED-IV", subject=r + 1, session=session,
                eeg=rng.normal(size=(n_trials * per, N_CHANS, 5)), eye=None, labels=labels,
                trial_ids=np.repeat(np.arange(n_trials), per),
                event_id={"a": 0, "b": 1, "c": 2}))
    return recs


def test_recording_stimuli():
    """The same trial number of the same session is the same stimulus; the labels check it."""
    from mne_mmvsstma.features._inputs import recording_stimuli, recordings_to_inputs

    recs = _feature_recordings(sessions=(1, 2))
    inp = recordings_to_inputs(recs, need=("eeg",), n_windows=4)
    stimuli, problem = recording_stimuli(recs, inp)
    assert problem is None and len(stimuli) == len(inp)
    trial = inp.trial_ids % 100000
    session = np.array([recs[g].session for g in inp.groups])
    for s in (1, 2):  # one code per (session, trial), equal over the session's recordings
        codes = [np.unique(stimuli[(session == s) & (trial == k)]) for k in range(6)]
        assert all(len(c) == 1 for c in codes) and len({int(c[0]) for c in codes}) == 6
    assert not set(stimuli[session == 1]) & set(stimuli[session == 2])
    bad = _feature_recordings(swap=2)
    stimuli, problem = recording_stimuli(bad, recordings_to_inputs(bad, need=("eeg",),
                                                                   n_windows=4))
    assert stimuli is None
    assert problem.startswith("trial 1 of SEED-IV session 1 has label 0 in sub-1 ses-1 but label 1 "
                              "in sub-3 ses-1: the recordings do not show the same stimulus")


def test_pretrain_whitens_by_stimulus_on_recordings():
    """Recordings: the stimulus whitening by default; whitening_data: learned on other
    features of the same trials; stimulus orders the labels contradict: a warning and the
    whitening of all windows ('stimulus' asked for: an error)."""
    from mne_mmvsstma.features._inputs import recording_stimuli, recordings_to_inputs
    from mne_mmvsstma.training._data import _per_recording_scaling

    recs = _feature_recordings()
    kw = dict(n_epochs=1, model_kwargs=dict(TINY, pool="channels"), n_windows=4)
    pre = pretrain(recs, **kw)
    assert pre.whitening_covariance_ == "stimulus"
    assert pretrain(recs, whitening_covariance="total", **kw).whitening_covariance_ == "total"
    other = [dataclasses.replace(r, eeg=r.eeg ** 2) for r in recs]
    white = pretrain(recs, whitening_data=other, **kw)
    inp = recordings_to_inputs(other, need=("eeg",), n_windows=4,
                               transform=_per_recording_scaling("eeg"))
    pre.fit_whitening(inp.eeg, groups=inp.trial_ids, stimuli=recording_stimuli(other, inp)[0])
    for a, b in zip(white.whitening_, pre.whitening_):  # the same network, other features
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    # scale=False: neither data nor whitening_data are rescaled
    raw = pretrain(recs, whitening_data=other, scale=False, **kw)
    inp = recordings_to_inputs(other, need=("eeg",), n_windows=4)
    unscaled = pretrain(recs, scale=False, **kw).fit_whitening(
        inp.eeg, groups=inp.trial_ids, stimuli=recording_stimuli(other, inp)[0])
    for a, b in zip(raw.whitening_, unscaled.whitening_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)
    bad = _feature_recordings(swap=1)
    with pytest.warns(UserWarning, match="do not show the same stimulus.*all windows"):
        assert pretrain(bad, **kw).whitening_covariance_ == "total"
    with pytest.raises(ValueError, match="whitening_covariance='stimulus': trial 1 of"):
        pretrain(bad, whitening_covariance="stimulus", **kw)
    with pytest.raises(ValueError, match="recordings give their own"):
        pretrain(recs, stimuli=np.zeros(3), **kw)
    with pytest.raises(TypeError, match="whitening_data must be recordings"):
        pretrain(recs, whitening_data=np.zeros((10, N_CHANS, 4, 5)), **kw)


def test_pretrain_stimuli_of_arrays():
    """Per-sample features with trial ids: one stimulus per sample, one per trial."""
    recs = _feature_recordings()
    eeg = np.concatenate([r.eeg for r in recs])
    trial_ids = np.concatenate([r.trial_ids + 100 * i for i, r in enumerate(recs)])
    stimuli = trial_ids % 100
    kw = dict(n_epochs=1, model_kwargs=dict(TINY, pool="channels"), n_windows=4,
              trial_ids=trial_ids)
    pre = pretrain(eeg, stimuli=stimuli, **kw)
    assert pre.whitening_covariance_ == "stimulus"
    assert pretrain(eeg, **kw).whitening_covariance_ == "total"
    with pytest.raises(ValueError, match=r"one entry per sample \(144\)"):
        pretrain(eeg, stimuli=stimuli[:7], **kw)
    mixed = stimuli.copy()
    mixed[1] = 5  # a sample of trial 0 names another stimulus
    with pytest.raises(ValueError, match=r"trial\(s\) \[0\] name different stimuli"):
        pretrain(eeg, stimuli=mixed, **kw)


def test_pretrain_stimulus_target_on_recordings():
    """target='stimulus' takes the recordings' stimuli; a contradicting order is an error."""
    kw = dict(n_epochs=1, model_kwargs=dict(TINY, pool="channels"), n_windows=4,
              target="stimulus")
    pre = pretrain(_feature_recordings(), **kw)
    assert pre.target == "stimulus" and len(pre.history) == 1
    assert pretrain(_feature_recordings(), whitening_covariance="total",
                    **kw).whitening_covariance_ == "total"
    with pytest.raises(ValueError, match="target='stimulus': trial 1 of SEED-IV session 1"):
        pretrain(_feature_recordings(swap=1), **kw)
    # the teacher's target needs no stimulus: contradicting stimuli do not matter when the
    # whitening does not use them either
    kw["target"] = "teacher"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pre = pretrain(_feature_recordings(swap=1), whitening_covariance="total", **kw)
    assert pre.target == "teacher" and pre.teacher_ is not None
    assert pre.whitening_covariance_ == "total"
