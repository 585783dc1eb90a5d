"""pretrain / finetune / evaluate on tiny simulated windows."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

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
    init = pretrain(eeg, n_epochs=0, model_kwargs=TINY, verbose=False)
    model = pretrain(eeg, n_epochs=15, batch_size=16, lr=3e-3, model_kwargs=TINY,
                     verbose=False)
    assert init.history_ == []
    assert len(model.history_) == 15
    assert model.modality_ == "eeg" and model.scalers_["eeg"] is not None
    losses = [h["train_loss"] for h in model.history_]
    assert losses[-1] < 0.8 * losses[0]
    before = reconstruction_loss(init, eeg, verbose=False)
    after = reconstruction_loss(model, eeg, verbose=False)
    assert after < 0.8 * before


def test_pretrain_eye_with_validation():
    _, eye, _, _ = _simulate()
    model = pretrain(eye, modality="eye", n_epochs=3, batch_size=32, valid_size=0.2,
                     patience=1, model_kwargs=TINY, verbose=False)
    assert model.n_chans == N_EYE and model.n_bands == 1
    assert "valid_loss" in model.history_[0]
    scaled = model.scalers_["eye"].transform(eye)
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
    assert clf.modality_ == "eeg" and clf.fusion_ is None
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
    assert not hasattr(pre_eeg, "classes_")


def test_seed_gives_identical_results():
    eeg, eye, y, _ = _simulate()
    kw = dict(X_eye=eye, fusion="concat", model_kwargs=TINY, random_state=3, mask_ratio=0.3,
              **FIT)
    a = finetune(eeg, y, **kw)
    b = finetune(eeg, y, **kw)
    ha = [(h["train_loss"], h.get("valid_loss")) for h in a.history_]
    hb = [(h["train_loss"], h.get("valid_loss")) for h in b.history_]
    assert ha == hb
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    ra = evaluate(a, eeg, y, X_eye=eye, mask_ratio=0.3, verbose=False)
    rb = evaluate(b, eeg, y, X_eye=eye, mask_ratio=0.3, verbose=False)
    np.testing.assert_array_equal(ra["proba"], rb["proba"])
    c = finetune(eeg, y, **{**kw, "random_state": 4})
    assert [h["train_loss"] for h in c.history_] != [h[0] for h in ha]


def _history(model):
    return [(h["epoch"], h["train_loss"], h.get("valid_loss")) for h in model.history_]


def test_resume_continues_from_checkpoint(tmp_path):
    eeg, _, y, trials = _simulate()
    kw = dict(trial_ids=trials, model_kwargs=TINY, batch_size=16, random_state=1,
              patience=None, verbose=False)
    full = finetune(eeg, y, n_epochs=4, **kw)
    ckpt = tmp_path / "ckpt"
    first = finetune(eeg, y, n_epochs=2, checkpoint_dir=ckpt, **kw)
    assert (ckpt / "finetune.pt").exists()
    assert len(first.history_) == 2
    resumed = finetune(eeg, y, n_epochs=4, checkpoint_dir=ckpt, resume=True, **kw)
    assert len(resumed.history_) == 4
    assert _history(resumed)[:2] == _history(first)
    # identical to the uninterrupted run (RNG states are restored)
    assert _history(resumed) == _history(full)
    for va, vb in zip(resumed.state_dict().values(), full.state_dict().values()):
        assert torch.equal(va, vb)
    # resuming a finished run trains nothing more
    again = finetune(eeg, y, n_epochs=4, checkpoint_dir=ckpt, resume=True, **kw)
    assert _history(again) == _history(full)
    # a checkpoint written for other data is refused
    with pytest.raises(ValueError, match="Cannot resume"):
        finetune(eeg[:-10], y[:-10], n_epochs=4, checkpoint_dir=ckpt, resume=True,
                 **{**kw, "trial_ids": trials[:-10]})


def test_resume_after_interruption(tmp_path, monkeypatch):
    eeg, _, _, _ = _simulate()
    kw = dict(model_kwargs=TINY, batch_size=32, random_state=0, verbose=False)
    full = pretrain(eeg, n_epochs=3, **kw)
    from mne_mmvsstma.training import api

    calls = {"n": 0}
    real_save = api.atomic_save

    def crash_after_two(obj, fname):
        real_save(obj, fname)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(api, "atomic_save", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        pretrain(eeg, n_epochs=3, checkpoint_dir=tmp_path, **kw)
    monkeypatch.setattr(api, "atomic_save", real_save)
    assert not list(tmp_path.glob("*.tmp"))  # atomic: no temp file left behind
    resumed = pretrain(eeg, n_epochs=3, checkpoint_dir=tmp_path, resume=True, **kw)
    assert [h["train_loss"] for h in resumed.history_] == [
        h["train_loss"] for h in full.history_
    ]


def test_partial_labels_and_mask_ratio():
    eeg, _, y, trials = _simulate()
    clf = finetune(eeg, y, trial_ids=trials, n_labels=3, model_kwargs=TINY, valid_size=0.0,
                   mask_ratio=0.5, **FIT)
    assert clf.n_labels_ == 3 and clf.mask_ratio_ == 0.5
    assert clf.best_epoch_ == len(clf.history_) == FIT["n_epochs"]
    # first 3 windows overall come from one trial = one class
    with pytest.raises(ValueError, match="single class"):
        finetune(eeg, y, n_labels=3, n_labels_per="total", model_kwargs=TINY, **FIT)
    with pytest.raises(ValueError, match="needs trial ids"):
        finetune(eeg, y, n_labels=3, model_kwargs=TINY, **FIT)


def test_save_load_model_roundtrip(tmp_path):
    eeg, eye, y, _ = _simulate()
    clf = finetune(eeg, y + 10, X_eye=eye, fusion="attention", model_kwargs=TINY, **FIT)
    fname = save_model(clf, tmp_path / "clf.pt")
    loaded = load_model(fname)
    np.testing.assert_array_equal(loaded.classes_, [10, 11, 12])
    r1 = evaluate(clf, eeg, y + 10, X_eye=eye, verbose=False)
    r2 = evaluate(loaded, eeg, y + 10, X_eye=eye, verbose=False)
    np.testing.assert_allclose(r1["proba"], r2["proba"], rtol=1e-5, atol=1e-6)
    assert set(np.unique(r1["y_pred"])) <= {10, 11, 12}
    pre = pretrain(eye, modality="eye", n_epochs=1, model_kwargs=TINY, verbose=False)
    pre2 = load_model(save_model(pre, tmp_path / "eye.pt"))
    assert pre2.modality_ == "eye"
    clf2 = finetune(eye, y, model=pre2, **FIT)  # modality from the pretrained model
    assert clf2.modality_ == "eye"


def test_bad_inputs():
    eeg, eye, y, trials = _simulate()
    kw = dict(model_kwargs=TINY, n_epochs=1, verbose=False)
    with pytest.raises(ValueError, match="y has 89 labels but X has 90"):
        finetune(eeg, y[:-1], **kw)
    with pytest.raises(ValueError, match="single class"):
        finetune(eeg, np.zeros(len(eeg), int), **kw)
    with pytest.raises(ValueError, match="X_eye is required"):
        finetune(eeg, y, fusion="concat", **kw)
    with pytest.raises(ValueError, match="X_eye has 80 windows"):
        finetune(eeg, y, X_eye=eye[:80], fusion="concat", **kw)
    bad = eeg.copy()
    bad[3, 1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="1 NaN"):
        finetune(bad, y, **kw)
    bad_eye = eye.copy()
    bad_eye[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        finetune(eeg, y, X_eye=bad_eye, fusion="attention", **kw)
    with pytest.raises(ValueError, match="NaN"):
        pretrain(bad_eye, modality="eye", **kw)
    with pytest.raises(ValueError, match="shape"):
        finetune(eeg[:, 0], y, **kw)
    with pytest.raises(ValueError, match="fusion"):
        finetune(eeg, y, fusion="sum", **kw)
    with pytest.raises(ValueError, match="lr"):
        finetune(eeg, y, lr=-1, **kw)
    with pytest.raises(ValueError, match="CUDA is not available"):
        if not torch.cuda.is_available():
            finetune(eeg, y, device="cuda", **kw)
        else:  # pragma: no cover
            raise ValueError("CUDA is not available (skipped)")
    pre_eye = pretrain(eye, modality="eye", n_epochs=0, model_kwargs=TINY, verbose=False)
    with pytest.raises(ValueError, match="trained on 'eye'"):
        finetune(eeg, y, model=pre_eye, modality="eeg", **kw)
    with pytest.raises(ValueError, match="needs checkpoint_dir"):
        finetune(eeg, y, resume=True, **kw)
    clf = finetune(eeg, y, **kw)
    with pytest.raises(ValueError, match="unseen in training"):
        evaluate(clf, eeg, y + 5, verbose=False)
    with pytest.raises(ValueError, match="y is required"):
        evaluate(clf, eeg, verbose=False)
