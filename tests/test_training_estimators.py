"""The skorch estimators: scikit-learn API, callbacks, exact resume, model files, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from skorch.callbacks import Callback

from mne_mmvsstma import EmotionClassifier, Pretrainer, TrialWindows
from mne_mmvsstma.training import TrialSplit, load_model, save_model

ARCH = dict(emb_dim=8, n_layers=1, n_heads=2, head_dim=4)
FIT = dict(ARCH, max_epochs=4, batch_size=16)
C, N_EYE, T = 6, 4, 4


def _data(n_trials=9, per=10, n_classes=3, seed=0):
    """Windows with a class pattern, trials of ``per`` windows, one class per trial."""
    rng = np.random.default_rng(seed)
    trial_class = np.arange(n_trials) % n_classes
    groups = np.repeat(np.arange(n_trials), per)
    y = trial_class[groups]
    chan = np.linspace(0, np.pi, C)
    pattern = np.stack([np.cos((k + 1) * chan) for k in range(n_classes)])
    eeg = pattern[y][:, :, None, None] + 0.5 * rng.normal(size=(len(y), C, T, 5))
    eye = 3 + rng.normal(size=(n_classes, N_EYE))[y][:, :, None, None] \
        + 0.5 * rng.normal(size=(len(y), N_EYE, T, 1))
    return eeg.astype(np.float32), eye.astype(np.float32), y, groups


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


# ---------------------------------------------------------------------------
# scikit-learn API


def test_get_set_params_and_clone():
    clf = EmotionClassifier(fusion="concat", dcca_weight=0.3, **FIT)
    params = clf.get_params()
    assert params["fusion"] == "concat" and params["dcca_weight"] == 0.3
    assert params["n_layers"] == 1 and params["max_epochs"] == 4
    clf.set_params(lr=0.01, optimizer__weight_decay=0.1)
    twin = clone(clf)
    assert twin.get_params()["lr"] == 0.01
    assert twin.get_params()["optimizer__weight_decay"] == 0.1
    assert not hasattr(twin, "module_")
    pre = Pretrainer(modality="eye", mask_ratio=0.5, **FIT)
    assert clone(pre).get_params()["mask_ratio"] == 0.5


def test_pretrainer_fit_transform_score_and_clone_keeps_weights():
    eeg, _, _, _ = _data()
    pre = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg)
    assert len(pre.history) == 4
    feats = pre.transform(eeg)
    assert feats.shape == (len(eeg), C * ARCH["emb_dim"])  # one vector per channel (default)
    assert pre.whitening_[1].shape == (C * ARCH["emb_dim"],) * 2
    enc = pre.encoder_
    assert enc.decoder is None and enc.final_layer is not None
    torch.testing.assert_close(enc.spectral_embedding.weight,
                               pre.module_.spectral_embedding.weight)
    assert np.isfinite(pre.score(eeg)) and pre.score(eeg) < 0  # minus an MSE
    # score: minus the window-weighted mean of the batches' masked MSE, masks drawn from
    # the estimator's evaluation generator (batches of 7 leave a short last batch)
    pre.iterator_valid__batch_size = 7
    Xs = torch.from_numpy(np.asarray(pre.scalers_["eeg"].transform(eeg), dtype=np.float32))
    gen = torch.Generator().manual_seed(pre._seed(2))
    with torch.no_grad():
        pre.module_.eval()
        parts = [(pre.module_.forward_pretrain(Xs[i:i + 7], mask_ratio=pre.mask_ratio,
                                               generator=gen)["loss"].item(), len(Xs[i:i + 7]))
                 for i in range(0, len(Xs), 7)]
    expected = sum(loss * n for loss, n in parts) / len(Xs)
    assert len(Xs) % 7 and pre.score(eeg) == pytest.approx(-expected, rel=1e-6)
    # a fitted Pretrainer passed as a parameter survives scikit-learn's cloning
    twin = clone(pre)
    for a, b in zip(pre.module_.state_dict().values(), twin.module_.state_dict().values()):
        assert torch.equal(a, b)


class _Weights(Callback):
    """The network's weights before training and after every training step."""

    def on_train_begin(self, net, **kwargs):
        self.steps = [{k: v.detach().clone() for k, v in net.module_.named_parameters()}]

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.steps.append({k: v.detach().clone() for k, v in net.module_.named_parameters()})


def test_pretrainer_teacher_target(tmp_path):
    """target='teacher': the decoder predicts the layer-normalised tokens of an encoder whose
    weights are the exponential moving average of the trained ones, step by step."""
    eeg, _, y, groups = _data()
    record = _Weights()
    pre = Pretrainer(n_decoder_layers=1, target="teacher", teacher_decay=0.9, **FIT,
                     callbacks=[("weights", record)]).fit(eeg)
    teacher = pre.teacher_
    assert teacher.decoder is None and not any(p.requires_grad for p in teacher.parameters())
    assert pre.module_.reconstruction.out_features == ARCH["emb_dim"]
    # the optimizer trains the network only
    n_opt = sum(p.numel() for g in pre.optimizer_.param_groups for p in g["params"])
    assert n_opt == sum(p.numel() for p in pre.module_.parameters())
    # teacher = EMA of the weights after every step, from the initial weights
    assert len(record.steps) == 1 + 4 * int(np.ceil(len(eeg) / FIT["batch_size"]))
    for name, weight in teacher.named_parameters():
        ema = record.steps[0][name]
        for step in record.steps[1:]:
            ema = 0.9 * ema + 0.1 * step[name]
        torch.testing.assert_close(weight, ema, rtol=1e-5, atol=1e-6)
        assert not torch.equal(weight, pre.module_.state_dict()[name])
    # the targets: every token of the teacher's encoding standardised over its emb_dim values
    Xs = torch.from_numpy(np.asarray(pre.scalers_["eeg"].transform(eeg), dtype=np.float32))
    x, target = pre._targets(Xs)
    with torch.no_grad():
        tokens = teacher.encode(Xs).numpy().astype(np.float64)
    mean, var = tokens.mean(-1, keepdims=True), tokens.var(-1, keepdims=True)
    np.testing.assert_allclose(target.numpy(), (tokens - mean) / np.sqrt(var + 1e-5),
                               rtol=1e-4, atol=1e-4)
    # score: minus the masked error against those targets (one batch here)
    pre.iterator_valid__batch_size = len(eeg)
    gen = torch.Generator().manual_seed(pre._seed(2))
    with torch.no_grad():
        loss = pre.module_.forward_pretrain(Xs, mask_ratio=pre.mask_ratio, generator=gen,
                                            target=target)["loss"].item()
    assert pre.score(eeg) == pytest.approx(-loss, rel=1e-6)
    own = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg)
    assert not np.allclose(pre.transform(eeg), own.transform(eeg))
    # the classifier starts from the encoder (the prediction layer is not part of it)
    clf = EmotionClassifier(pretrained=pre, probe_C=0.1, **{**FIT, "max_epochs": 0}).fit(
        eeg, y, groups=groups)
    assert clf.module_.reconstruction is None
    for name, _ in teacher.named_parameters():
        if name.startswith(("spectral_embedding.", "encoder.")):
            torch.testing.assert_close(clf.module_.state_dict()[name],
                                       pre.module_.state_dict()[name])
    # a Pretrainer read from a file scores against its own encoder as teacher
    loaded = load_model(save_model(pre, tmp_path / "pre.pt"))
    np.testing.assert_allclose(loaded.transform(eeg), pre.transform(eeg), rtol=1e-5, atol=1e-6)
    assert np.isfinite(loaded.score(eeg))
    for name, weight in loaded.teacher_.named_parameters():
        torch.testing.assert_close(weight, loaded.module_.state_dict()[name])
    with pytest.raises(ValueError, match=r"teacher_decay must be in \[0, 1\], got 1.5"):
        Pretrainer(target="teacher", teacher_decay=1.5, **FIT).fit(eeg)


def test_pretrainer_whitening_auto_is_the_modality_shrinkage():
    """whitening='auto': the recipe's shrinkage of the modality (EEG 0.1, eye 3.0)."""
    from mne_mmvsstma.training.recipe import AUTO_WHITENING

    eeg, eye, _, _ = _data()
    assert AUTO_WHITENING == {"eeg": 0.1, "eye": 3.0}
    for modality, X in (("eeg", eeg), ("eye", eye)):
        pre = Pretrainer(modality=modality, n_decoder_layers=1, **FIT).fit(X)
        assert pre.whitening == "auto" and pre.whitening_shrinkage_ == AUTO_WHITENING[modality]
        feats = pre.transform(X).astype(np.float64)
        evals, evecs = np.linalg.eigh(np.cov(feats, rowvar=False))
        evals = np.maximum(evals, 0)
        ref = evecs @ np.diag(1 / np.sqrt(evals + AUTO_WHITENING[modality] * evals.mean())) \
            @ evecs.T
        np.testing.assert_allclose(pre.whitening_[1], ref, atol=1e-6 * np.abs(ref).max())
        np.testing.assert_allclose(pre.whitening_[0], feats.mean(0), rtol=1e-5, atol=1e-6)
    assert Pretrainer(whitening=None, **FIT).fit(eeg).whitening_shrinkage_ is None
    for bad in ("total", -1.0, float("nan")):
        with pytest.raises(ValueError, match="whitening"):
            Pretrainer(whitening=bad, **FIT).fit(eeg)


def test_pretrainer_resets_the_batchnorm_statistics_before_its_whitening():
    """reset_batchnorm: after training the batch normalisations hold their initial statistics
    (the trained ones otherwise), and the whitening is learned on the features of that network."""
    from mne_mmvsstma.training.probe import _zca_whitening

    eeg, _, _, _ = _data()

    def norms(pre):
        return [m for m in pre.module_.modules()
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]

    kept = Pretrainer(n_decoder_layers=1, reset_batchnorm=False, whitening=1.0, **FIT).fit(eeg)
    reset = Pretrainer(n_decoder_layers=1, whitening=1.0, **FIT).fit(eeg)
    assert reset.reset_batchnorm and len(norms(reset)) == 2  # encoder and decoder block
    for a, b in zip(norms(kept), norms(reset)):
        assert not torch.allclose(a.running_mean, torch.zeros_like(a.running_mean))
        assert not torch.allclose(a.running_var, torch.ones_like(a.running_var))
        torch.testing.assert_close(b.running_mean, torch.zeros_like(b.running_mean))
        torch.testing.assert_close(b.running_var, torch.ones_like(b.running_var))
    # the same training (weights), other statistics, other features
    for (name, a), b in zip(kept.module_.named_parameters(), reset.module_.parameters()):
        assert torch.equal(a, b), name
    feats = reset.transform(eeg)
    assert not np.allclose(feats, kept.transform(eeg), atol=1e-3)
    mean, W = _zca_whitening(feats.astype(np.float64), 1.0)
    np.testing.assert_allclose(reset.whitening_[0], mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reset.whitening_[1], W, rtol=1e-4, atol=1e-6)


def test_prediction_batches_default_to_64_windows_on_cpu():
    """Predictions run in cache-sized batches on CPU; the batch size changes no result."""
    eeg, _, y, groups = _data()
    clf = EmotionClassifier(modality="eeg", **dict(FIT, max_epochs=1)).fit(eeg, y, groups)
    assert clf._valid_batch_size() == 64
    batches = [len(xb) for xb, _ in clf.get_iterator(clf.get_dataset(eeg))]
    assert len(eeg) == 90 and batches == [64, 26]
    proba = clf.predict_proba(eeg)
    clf.iterator_valid__batch_size = 256
    assert clf._valid_batch_size() == 256
    np.testing.assert_allclose(clf.predict_proba(eeg), proba, rtol=1e-5, atol=1e-7)


def test_cross_val_score_grouped_by_trial(routing):
    eeg, _, y, groups = _data()
    clf = EmotionClassifier(**FIT).set_fit_request(groups=True)
    scores = cross_val_score(clf, eeg, y, cv=GroupKFold(n_splits=3), params={"groups": groups})
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))



def test_fit_without_groups():
    """Without trial ids, a probe alone needs no validation (no warning); training epochs run
    without validation, with a warning saying so (the default split cannot hold out trials)."""
    eeg, _, y, groups = _data()
    probe = EmotionClassifier(**{**FIT, "max_epochs": 0}).fit(eeg, y)  # warnings are errors
    grouped = EmotionClassifier(**{**FIT, "max_epochs": 0}).fit(eeg, y, groups=groups)
    np.testing.assert_allclose(probe.predict_proba(eeg), grouped.predict_proba(eeg), atol=1e-6)
    with pytest.warns(UserWarning, match=r"no whole training trial can be held out for "
                      r"validation: training 2 epochs without validation"):
        clf = EmotionClassifier(**{**FIT, "max_epochs": 2}).fit(eeg, y)
    assert len(clf.history) == 2 and "valid_loss" not in clf.history[-1]
    clf = EmotionClassifier(**{**FIT, "max_epochs": 2}).fit(eeg, y, groups=groups)
    assert "valid_loss" in clf.history[-1]
    with pytest.raises(ValueError, match="needs groups"):  # the split itself, called directly
        TrialSplit().indices(None, y)


def test_grid_search_over_a_pipeline_with_trial_windows(routing):
    eeg, _, y, groups = _data()
    per_sample = eeg[:, :, -1]  # (n, C, F) features; TrialWindows stacks T within trials
    pipe = make_pipeline(
        TrialWindows(T).set_fit_request(groups=True).set_transform_request(groups=True),
        EmotionClassifier(**FIT).set_fit_request(groups=True),
    )
    search = GridSearchCV(pipe, {"emotionclassifier__lr": [1e-3, 1e-2]}, cv=GroupKFold(3))
    search.fit(per_sample, y, groups=groups)
    assert search.best_params_["emotionclassifier__lr"] in (1e-3, 1e-2)
    assert search.best_estimator_.predict(per_sample, groups=groups).shape == y.shape


def test_seed_ensemble_with_voting_classifier(routing):
    # a seed ensemble the scikit-learn way: soft voting over classifiers of extractors
    # pretrained with different seeds (what run_protocol(ensemble=...) averages)
    from sklearn.ensemble import VotingClassifier

    eeg, _, y, groups = _data()
    pres = [Pretrainer(n_decoder_layers=1, random_state=k, **FIT).fit(eeg) for k in range(2)]
    vote = VotingClassifier(
        [(f"seed{k}", EmotionClassifier(pretrained=p, random_state=k, **FIT)
          .set_fit_request(groups=True)) for k, p in enumerate(pres)], voting="soft",
    ).fit(eeg, y, groups=groups)
    each = [member.predict_proba(eeg) for member in vote.estimators_]
    assert not np.allclose(each[0], each[1])
    np.testing.assert_allclose(vote.predict_proba(eeg), (each[0] + each[1]) / 2, rtol=1e-6)
    np.testing.assert_array_equal(vote.classes_, np.unique(y))
    # the members start from the fitted extractors (clone keeps their weights)
    for member, pre in zip(vote.estimators_, pres):
        assert member.pretrained is not pre
        for a, b in zip(member.pretrained.module_.state_dict().values(),
                        pre.module_.state_dict().values()):
            assert torch.equal(a, b)


def test_trial_windows_needs_groups():
    with pytest.raises(ValueError, match="needs groups"):
        TrialWindows(4).fit_transform(np.zeros((8, C, 5)))
    out = TrialWindows(3, modality="eye").fit_transform(np.arange(12.0).reshape(6, 2),
                                                        groups=[0, 0, 0, 1, 1, 1])
    assert out.shape == (6, 2, 3, 1)
    np.testing.assert_array_equal(out[4, :, :, 0], [[6, 6, 8], [7, 7, 9]])  # padded start


def test_fusion_with_pretrainers_predicts_original_labels():
    eeg, eye, y, groups = _data()
    pre = {"eeg": Pretrainer(n_decoder_layers=1, **FIT).fit(eeg),
           "eye": Pretrainer(modality="eye", n_decoder_layers=1, **FIT).fit(eye)}
    clf = EmotionClassifier(fusion="attention", pretrained=pre, **FIT)
    clf.fit({"eeg": eeg, "eye": eye}, y + 10, groups=groups)
    np.testing.assert_array_equal(clf.classes_, [10, 11, 12])
    proba = clf.predict_proba({"eeg": eeg, "eye": eye})
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert set(clf.predict({"eeg": eeg, "eye": eye})) <= {10, 11, 12}
    assert clf.last_attention_.shape == (len(y), 2)
    # the pretrained encoders were copied, not trained further
    torch.testing.assert_close(pre["eeg"].module_.spectral_embedding.weight,
                               pre["eeg"].encoder_.spectral_embedding.weight)
    assert not torch.equal(clf.module_.eeg_encoder.spectral_embedding.weight,
                           pre["eeg"].module_.spectral_embedding.weight)


# ---------------------------------------------------------------------------
# model selection on held-out trials


def test_trial_split_holds_out_one_whole_trial_per_class():
    _, _, y, groups = _data(n_trials=12)
    train, valid = TrialSplit(n_per_class=1, random_state=0).indices(groups, y)
    held = np.unique(groups[valid])
    assert len(held) == 3 and sorted(y[np.isin(groups, held)][::10]) == [0, 1, 2]
    assert not set(groups[train]) & set(held)  # whole trials only
    # a class with a single trial keeps it for training
    _, valid = TrialSplit().indices(np.array([0, 0, 1, 1, 2, 2]), np.array([0, 0, 1, 1, 1, 1]))
    assert set(np.array([0, 0, 1, 1, 2, 2])[valid]) <= {1, 2} and len(valid) == 2


def test_early_stopping_restores_the_best_validation_epoch():
    eeg, _, _, groups = _data()
    # trial labels unrelated to the class patterns: the fit memorises its trials and the
    # validation loss rises again (well above float32 rounding, unlike a solvable problem)
    y = np.array([1, 2, 0, 0, 1, 2, 2, 0, 1])[groups]
    # (a random classification layer: a probe start would be the first candidate, see below)
    clf = EmotionClassifier(**{**FIT, "max_epochs": 12}, lr=0.05, patience=3, probe_C=None)
    clf.fit(eeg, y, groups=groups)
    valid_loss = clf.history[:, "valid_loss"]
    assert clf.best_epoch_ == int(np.argmin(valid_loss)) + 1
    assert clf.best_epoch_ < len(valid_loss)  # the last epoch's weights were replaced
    # the kept weights are those of the best epoch: recompute its validation loss
    _, valid = TrialSplit().indices(groups, y)
    proba = clf.predict_proba(eeg[valid])
    ce = -np.mean(np.log(proba[np.arange(len(valid)), y[valid]]))
    np.testing.assert_allclose(ce, min(valid_loss), rtol=1e-4)


def _batchnorms(module):
    return [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def test_fine_tuning_from_the_probe_keeps_the_batchnorm_statistics():
    eeg, _, y, _ = _data()
    pre = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg)
    start = [(m.running_mean.clone(), m.running_var.clone(), m.weight.detach().clone())
             for m in _batchnorms(pre.encoder_)]
    assert start
    kw = dict(pretrained=pre, **{**FIT, "max_epochs": 3}, lr=0.01, train_split=None)
    frozen = EmotionClassifier(**kw).fit(eeg, y)  # "auto": the layer starts from the probe
    for (mean, var, weight), m in zip(start, _batchnorms(frozen.module_), strict=True):
        assert torch.equal(mean, m.running_mean) and torch.equal(var, m.running_var)
        assert not torch.equal(weight, m.weight.detach())  # scale and shift still learn
    # a random classification layer (the paper's fine-tuning), or False: the statistics train
    for extra in (dict(probe_C=None), dict(freeze_batchnorm=False)):
        moving = EmotionClassifier(**kw, **extra).fit(eeg, y)
        assert not all(torch.equal(mean, m.running_mean)
                       for (mean, _, _), m in zip(start, _batchnorms(moving.module_)))
    with pytest.raises(ValueError, match="freeze_batchnorm"):
        EmotionClassifier(**kw, freeze_batchnorm="yes").fit(eeg, y)


def test_fine_tuning_keeps_the_probe_unless_an_epoch_beats_it_on_held_out_trials(tmp_path):
    eeg, _, y, groups = _data(n_trials=12)
    pre = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg)
    kw = dict(pretrained=pre, scale=False, **{**FIT, "max_epochs": 3}, patience=2)
    # a learning rate too small to change anything: no epoch beats the probe
    kept = EmotionClassifier(**kw, lr=1e-12).fit(eeg, y, groups=groups)
    assert kept.best_epoch_ == 0 and kept.probe_validation_["kept"]
    assert len(kept.history) == 2  # patience 2: stopped after two epochs without a gain
    # the probe's validation record, independently: the probe of the other trials alone
    train, valid = TrialSplit().indices(groups, y)
    part = EmotionClassifier(**{**kw, "max_epochs": 0}).fit(eeg[train], y[train])
    proba = part.predict_proba(eeg[valid])
    ce = -np.mean(np.log(proba[np.arange(len(valid)), y[valid]]))
    np.testing.assert_allclose(kept.probe_validation_["valid_loss"], ce, rtol=1e-4)
    assert kept.probe_validation_["valid_acc"] == pytest.approx(
        np.mean(part.predict(eeg[valid]) == y[valid]))
    # the kept probe is then fitted on every training trial, as the probe alone would be
    alone = EmotionClassifier(**{**kw, "max_epochs": 0}).fit(eeg, y, groups=groups)
    np.testing.assert_allclose(kept.predict_proba(eeg), alone.predict_proba(eeg), atol=1e-5)
    assert alone.probe_validation_ is None and alone.best_epoch_ == 0  # nothing validated
    save_model(kept, tmp_path / "kept.pt")
    loaded = load_model(tmp_path / "kept.pt")
    assert loaded.best_epoch_ == 0 and loaded.probe_validation_ == kept.probe_validation_
    # an epoch that beats the probe is kept: a probe regularised to near chance
    better = EmotionClassifier(**{**kw, "probe_C": 1e-6}, lr=0.01).fit(eeg, y, groups=groups)
    valid_loss = better.history[:, "valid_loss"]
    assert not better.probe_validation_["kept"]
    assert better.best_epoch_ == int(np.argmin(valid_loss)) + 1
    assert min(valid_loss) < better.probe_validation_["valid_loss"]
    # without early stopping the last epoch is kept and the probe is not validated
    last = EmotionClassifier(**{**kw, "patience": None}, lr=1e-12).fit(eeg, y, groups=groups)
    assert last.best_epoch_ == 3 and last.probe_validation_ is None


def test_lr_schedule_and_gradient_clipping(monkeypatch):
    eeg, _, y, groups = _data()
    from skorch.callbacks import regularization

    clip = []
    real = regularization.clip_grad_norm_

    def spy(params, max_norm, **kwargs):
        clip.append(max_norm)
        return real(params, max_norm, **kwargs)

    monkeypatch.setattr(regularization, "clip_grad_norm_", spy)
    clf = EmotionClassifier(**{**FIT, "max_epochs": 6}, lr_schedule="cosine", warmup_epochs=2,
                            grad_clip=1.5, train_split=None).fit(eeg, y)
    lrs = clf.history[:, "event_lr"]
    assert lrs[0] < lrs[1] < lrs[2]  # warmup
    assert lrs[2] > lrs[3] > lrs[4] > lrs[5]  # cosine decay
    assert clip and set(clip) == {1.5}


# ---------------------------------------------------------------------------
# reproducibility and exact resume


def test_random_state_is_reproducible_and_leaves_global_rng_alone():
    eeg, eye, y, groups = _data()
    kw = dict(fusion="concat", mask_ratio=0.3, random_state=3, **FIT)
    X = {"eeg": eeg, "eye": eye}
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = EmotionClassifier(**kw).fit(X, y, groups=groups)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = EmotionClassifier(**kw).fit(X, y, groups=groups)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    for va, vb in zip(a.module_.state_dict().values(), b.module_.state_dict().values()):
        assert torch.equal(va, vb)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))  # fixed test masks
    c = EmotionClassifier(**{**kw, "random_state": 4}).fit(X, y, groups=groups)
    assert c.history[:, "train_loss"] != a.history[:, "train_loss"]


class _Interrupt(Callback):
    """Stop training like Ctrl-C after ``n`` epochs (skorch ends the fit cleanly)."""

    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.n:
            raise KeyboardInterrupt


def _epochs(est):
    return [(h["epoch"], h["train_loss"], h.get("valid_loss")) for h in est.history]


@pytest.mark.parametrize("kind", ["pretrainer", "teacher", "classifier"])
def test_interrupted_and_resumed_fit_equals_uninterrupted(tmp_path, kind):
    eeg, _, y, groups = _data()
    if kind in ("pretrainer", "teacher"):
        target = "teacher" if kind == "teacher" else "self"
        make = lambda **kw: Pretrainer(n_decoder_layers=1, target=target,  # noqa: E731
                                       **{**FIT, "max_epochs": 5}, **kw)
        fit = lambda est: est.fit(eeg)  # noqa: E731
    else:
        make = lambda **kw: EmotionClassifier(  # noqa: E731
            **{**FIT, "max_epochs": 5}, lr_schedule="cosine", patience=10, **kw)
        fit = lambda est: est.fit(eeg, y, groups=groups)  # noqa: E731
    full = fit(make())
    ckpt = tmp_path / "ckpt"
    first = fit(make(checkpoint_dir=ckpt, callbacks=[("stop", _Interrupt(2))]))
    assert len(first.history) == 2
    assert not list(ckpt.glob("*.tmp"))  # atomic writes
    resumed = fit(make(checkpoint_dir=ckpt, resume=True))
    assert _epochs(resumed)[:2] == _epochs(first)
    assert _epochs(resumed) == _epochs(full)  # bit for bit
    # the classifier's probe, the first candidate of its early stopping, is in the checkpoint
    assert getattr(resumed, "probe_validation_", None) == getattr(full, "probe_validation_", None)
    for va, vb in zip(resumed.module_.state_dict().values(), full.module_.state_dict().values()):
        assert torch.equal(va, vb)
    if kind == "teacher":  # the checkpoint holds the teacher too
        for va, vb in zip(resumed.teacher_.state_dict().values(),
                          full.teacher_.state_dict().values()):
            assert torch.equal(va, vb)
    # resuming a finished run trains nothing more
    again = fit(make(checkpoint_dir=ckpt, resume=True))
    assert _epochs(again) == _epochs(full)


def test_resume_refuses_a_checkpoint_of_other_data(tmp_path):
    eeg, _, y, groups = _data()
    EmotionClassifier(**FIT, checkpoint_dir=tmp_path).fit(eeg, y, groups=groups)
    assert (tmp_path / "finetune.pt").is_file()
    with pytest.raises(ValueError, match="Cannot resume.*other data or settings"):
        EmotionClassifier(**FIT, checkpoint_dir=tmp_path, resume=True).fit(
            eeg[:-10], y[:-10], groups=groups[:-10])
    with pytest.raises(ValueError, match="Cannot resume"):
        EmotionClassifier(**{**FIT, "lr": 0.5}, checkpoint_dir=tmp_path, resume=True).fit(
            eeg, y, groups=groups)
    with pytest.raises(ValueError, match="needs checkpoint_dir"):
        EmotionClassifier(**FIT, resume=True).fit(eeg, y, groups=groups)


# ---------------------------------------------------------------------------
# training further: partial_fit and warm_start


def _state(est):
    return {k: v.clone() for k, v in est.module_.state_dict().items()}


def test_partial_fit_trains_the_fitted_classifier_further():
    eeg, _, y, groups = _data()
    labels = np.array([-1, 0, 1])[y]  # any integer coding
    clf = EmotionClassifier(**FIT).fit(eeg, labels, groups=groups)
    scalers, layer = clf.scalers_, clf.module_.final_layer.weight.detach().clone()
    # with a negligible lr (Adam's steps are about lr), the weights stay: no new linear probe
    clf.set_params(lr=1e-9)
    clf.partial_fit(eeg[groups < 6], labels[groups < 6], groups=groups[groups < 6])
    assert len(clf.history) == 2 * FIT["max_epochs"]
    assert [h["epoch"] for h in clf.history] == list(range(1, 9))
    assert clf.scalers_ is scalers and clf.classes_.tolist() == [-1, 0, 1]
    torch.testing.assert_close(clf.module_.final_layer.weight, layer, rtol=0, atol=1e-6)
    before = _state(clf)
    clf.set_params(lr=1e-2)
    clf.partial_fit(eeg, labels, classes=[1, 0, -1], groups=groups)
    assert len(clf.history) == 12
    assert not torch.equal(clf.module_.final_layer.weight, before["final_layer.weight"])
    assert set(clf.predict(eeg)) <= {-1, 0, 1}
    # the added epochs draw new window orders: the same epochs again train differently
    other = EmotionClassifier(**FIT).fit(eeg, labels, groups=groups)
    assert other.history[:, "train_loss"] != clf.history[8:, "train_loss"]


def test_partial_fit_of_an_unfitted_estimator_is_fit():
    eeg, _, y, groups = _data()
    a = EmotionClassifier(**FIT).partial_fit(eeg, y, groups=groups)
    b = EmotionClassifier(**FIT).fit(eeg, y, groups=groups)
    assert a.history[:, "train_loss"] == b.history[:, "train_loss"]
    for va, vb in zip(_state(a).values(), _state(b).values()):
        assert torch.equal(va, vb)


def test_warm_start_fit_continues_and_pretrainer_relearns_its_whitening():
    eeg, _, y, groups = _data()
    pre = Pretrainer(n_decoder_layers=1, warm_start=True, **FIT).fit(eeg[:45])
    scaler, white = pre.scalers_["eeg"], pre.whitening_
    pre.fit(eeg[45:])  # warm start: further training, the scaler of the first fit
    assert len(pre.history) == 8 and pre.scalers_["eeg"] is scaler
    assert not np.allclose(pre.whitening_[1], white[1])  # learned again on the new encoder
    assert pre.transform(eeg).shape == (len(eeg), pre.module_.feature_dim)
    cold = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg[:45])
    cold.fit(eeg[45:])  # no warm start: a new fit
    assert len(cold.history) == 4


def test_pickled_estimators_predict_the_same_and_train_further():
    """scikit-learn's persistence (pickle / joblib) of fitted estimators."""
    import pickle

    eeg, eye, y, groups = _data()
    X = {"eeg": eeg, "eye": eye}
    pre = Pretrainer(modality="eye", n_decoder_layers=1, **FIT).fit(eye)
    clf = EmotionClassifier(fusion="attention", pretrained={"eye": pre}, **FIT)
    clf.fit(X, y, groups=groups)
    for est, x, out in ((pre, eye, "transform"), (clf, X, "predict_proba")):
        twin = pickle.loads(pickle.dumps(est))
        np.testing.assert_array_equal(getattr(twin, out)(x), getattr(est, out)(x))
        twin.partial_fit(x, None if est is pre else y, groups=groups)
        assert len(twin.history) == 2 * FIT["max_epochs"]


def test_partial_fit_bad_input(tmp_path):
    eeg, eye, y, groups = _data()
    clf = EmotionClassifier(**FIT).fit(eeg, y, groups=groups)
    with pytest.raises(ValueError, match=r"labels \[7\] unseen in the first fit"):
        clf.partial_fit(eeg, np.where(y == 2, 7, y), groups=groups)
    with pytest.raises(ValueError, match="classes=.*but the classifier was fitted"):
        clf.partial_fit(eeg, y, classes=[0, 1], groups=groups)
    with pytest.raises(ValueError, match="y has 10 labels but X has 90 windows"):
        clf.partial_fit(eeg, y[:10], groups=groups)
    with pytest.raises(ValueError, match="y is required"):
        clf.partial_fit(eeg, groups=groups)
    with pytest.raises(ValueError, match="windows have shape"):
        clf.partial_fit(eeg[:, :4], y, groups=groups)
    with pytest.raises(ValueError, match="writes no checkpoint"):
        clf.set_params(checkpoint_dir=tmp_path).partial_fit(eeg, y, groups=groups)
    # a checkpoint of the first fit is never touched by a continuation
    ckpt = EmotionClassifier(**FIT, checkpoint_dir=tmp_path / "c").fit(eeg, y, groups=groups)
    before = (tmp_path / "c" / "finetune.pt").read_bytes()
    ckpt.set_params(checkpoint_dir=None).partial_fit(eeg, y, groups=groups)
    assert len(ckpt.history) == 8
    assert (tmp_path / "c" / "finetune.pt").read_bytes() == before
    with pytest.raises(ValueError, match="schedule spans the max_epochs of the first fit"):
        clf.set_params(checkpoint_dir=None, lr_schedule="cosine").partial_fit(
            eeg, y, groups=groups)
    with pytest.raises(ValueError, match="max_epochs >= 1"):
        clf.set_params(lr_schedule=None, max_epochs=0).partial_fit(eeg, y, groups=groups)
    assert len(clf.history) == FIT["max_epochs"]  # nothing trained


# ---------------------------------------------------------------------------
# model files


def test_save_load_roundtrip(tmp_path):
    eeg, eye, y, groups = _data()
    pre = Pretrainer(modality="eye", n_decoder_layers=1, **FIT).fit(eye)
    clf = EmotionClassifier(fusion="attention", pretrained={"eye": pre}, fusion_dim=8, **FIT)
    X = {"eeg": eeg, "eye": eye}
    clf.fit(X, y + 1, groups=groups)
    loaded = load_model(save_model(clf, tmp_path / "clf.pt"))
    assert type(loaded) is EmotionClassifier and loaded.fusion == "attention"
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-5,
                               atol=1e-6)
    assert loaded.history[:, "train_loss"] == clf.history[:, "train_loss"]
    pre2 = load_model(save_model(pre, tmp_path / "pre.pt"))
    assert pre2.modality == "eye"
    np.testing.assert_allclose(pre2.transform(eye), pre.transform(eye), rtol=1e-5, atol=1e-6)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_model(pre, tmp_path / "pre.pt", overwrite=False)
    with pytest.raises(TypeError, match="fitted Pretrainer or EmotionClassifier"):
        save_model(Pretrainer(), tmp_path / "x.pt")


# ---------------------------------------------------------------------------
# bad input


def _bad_cases():
    eeg, eye, y, groups = _data()
    return {
        "fusion-not-a-dict": (dict(fusion="concat"), eeg, y, groups, TypeError,
                              "needs X as a dict"),
        "fusion-missing-eye": (dict(fusion="concat"), {"eeg": eeg}, y, groups, ValueError,
                               r"missing \['eye'\]"),
        "fusion-extra-key": (dict(fusion="concat"), {"eeg": eeg, "eye": eye, "emg": eye}, y,
                             groups, ValueError, r"unexpected \['emg'\]"),
        "fusion-lengths": (dict(fusion="concat"), {"eeg": eeg, "eye": eye[:-1]}, y, groups,
                           ValueError, "X\\['eye'\\] has 89 windows"),
        "labels-length": ({}, eeg, y[:-1], groups, ValueError, "y has 89 labels but X has 90"),
        "groups-length": ({}, eeg, y, groups[:-1], ValueError, "groups has 89 entries"),
        "single-class": ({}, eeg, np.zeros_like(y), groups, ValueError, "single class"),
        "nan": ({}, np.where(np.arange(eeg.size).reshape(eeg.shape) == 7, np.nan, eeg), y,
                groups, ValueError, "1 NaN"),
        "shape": ({}, eeg[:, 0], y, groups, ValueError, "windows of shape"),
        "fusion-name": (dict(fusion="sum"), {"eeg": eeg, "eye": eye}, y, groups, ValueError,
                        "fusion"),
        "mask-ratio": (dict(mask_ratio=1.5), eeg, y, groups, ValueError, "mask_ratio"),
        "fewer-trials-than-classes": ({}, eeg, y, groups % 2, ValueError,
                                      "2 labeled trial\\(s\\) for 3 classes"),
        "probe-C-name": (dict(probe_C="auto"), eeg, y, groups, TypeError, "probe_C"),
        "probe-C-negative": (dict(probe_C=-1.0), eeg, y, groups, ValueError,
                             "probe_C must be a finite number > 0"),
    }


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_classifier_bad_input(case):
    kwargs, X, y, groups, exc, match = _bad_cases()[case]
    with pytest.raises(exc, match=match):
        EmotionClassifier(**FIT, **kwargs).fit(X, y, groups=groups)


def test_pretrainer_of_the_wrong_modality_is_refused():
    eeg, eye, y, groups = _data()
    pre_eye = Pretrainer(modality="eye", n_decoder_layers=1, **FIT).fit(eye)
    with pytest.raises(ValueError, match=r"pretrained\['eeg'\].*trained on 'eye'"):
        EmotionClassifier(fusion="concat", pretrained={"eeg": pre_eye}, **FIT).fit(
            {"eeg": eeg, "eye": eye}, y, groups=groups)
    with pytest.raises(ValueError, match="trained on 'eye'"):
        EmotionClassifier(pretrained=pre_eye, **FIT).fit(eeg, y, groups=groups)
    with pytest.raises(ValueError, match="not fitted"):
        EmotionClassifier(pretrained=Pretrainer(), **FIT).fit(eeg, y, groups=groups)


@pytest.mark.parametrize(
    "device, match",
    [
        ("cuda:99", "device='cuda:99' was requested but (CUDA is not available|this machine has)"),
        ("tpu", "Invalid device 'tpu'"),
    ],
)
def test_unavailable_device(device, match):
    eeg, _, y, groups = _data()
    with pytest.raises(ValueError, match=match):
        EmotionClassifier(**FIT, device=device).fit(eeg, y, groups=groups)


def test_predict_checks_shapes():
    eeg, _, y, groups = _data()
    clf = EmotionClassifier(**FIT).fit(eeg, y, groups=groups)
    with pytest.raises(ValueError, match=r"windows have shape \(5, 4, 5\) but the classifier"):
        clf.predict(eeg[:, :5])


def test_compile_option_compiles_the_training_step(monkeypatch):
    eeg, _, y, groups = _data()
    compiled = []

    def fake_compile(module, **kwargs):  # inductor needs a C++ toolchain and a minute on CI
        compiled.append((type(module).__name__, kwargs))
        return module

    monkeypatch.setattr(torch, "compile", fake_compile)
    clf = EmotionClassifier(**FIT, compile=True, compile__mode="reduce-overhead")
    clf.fit(eeg, y, groups=groups)
    assert compiled == [("_TrainTask", {"mode": "reduce-overhead"})]
    assert type(clf.module_).__name__ == "MVSSTMA"  # the saved network is plain


def test_linear_probe_equals_logistic_regression_on_frozen_features():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    eeg, eye, y, groups = _data()
    pre = Pretrainer(n_decoder_layers=1, pool="channels", whitening=None, **FIT).fit(eeg)
    clf = EmotionClassifier(pretrained=pre, probe_C=0.1, **{**FIT, "max_epochs": 0})
    clf.fit(eeg, y + 3, groups=groups)
    assert len(clf.history) == 0  # a pure probe: no gradient step
    # independently: the pretrained encoder's features of the scaled windows
    X = clf.scalers_["eeg"].transform(eeg)
    with torch.no_grad():
        feats = pre.encoder_.eval()(torch.from_numpy(X), return_features=True).double().numpy()
    assert feats.shape == (len(y), C * ARCH["emb_dim"])  # pool="channels": one vector / channel
    sc = StandardScaler().fit(feats)
    ref = LogisticRegression(C=0.1, max_iter=5000).fit(sc.transform(feats), y)
    np.testing.assert_allclose(clf.predict_proba(eeg), ref.predict_proba(sc.transform(feats)),
                               atol=1e-4)
    np.testing.assert_array_equal(clf.predict(eeg), ref.predict(sc.transform(feats)) + 3)
    # with the Pretrainer's whitening: the same regression on ZCA-whitened features
    pre.whitening = 1.0
    pre.whitening_ = pre._learn_whitening(pre.scalers_["eeg"].transform(eeg))
    mean, W = pre.whitening_
    pre_feats = pre.transform(eeg).astype(np.float64)
    evals, evecs = np.linalg.eigh(np.cov(pre_feats, rowvar=False))
    ref_W = evecs @ np.diag(1 / np.sqrt(np.maximum(evals, 0) + evals.mean())) @ evecs.T
    np.testing.assert_allclose(W, ref_W, atol=1e-6 * np.abs(ref_W).max())
    white = EmotionClassifier(pretrained=pre, probe_C=0.1, **{**FIT, "max_epochs": 0})
    white.fit(eeg, y, groups=groups)
    zf = (feats - mean) @ W
    sz = StandardScaler().fit(zf)
    ref = LogisticRegression(C=0.1, max_iter=5000).fit(sz.transform(zf), y)
    np.testing.assert_allclose(white.predict_proba(eeg), ref.predict_proba(sz.transform(zf)),
                               atol=1e-4)
    # fusion: whitening per modality (block-diagonal for concatenation, folded into the
    # projections with attention)
    pre_eye = Pretrainer(modality="eye", n_decoder_layers=1, pool="channels", whitening=0.5,
                         **FIT).fit(eye)
    assert pre_eye.whitening_[1].shape == (N_EYE * ARCH["emb_dim"],) * 2
    # "auto": an eye-only probe does not whiten (its features are those of the encoder)
    eye_only = EmotionClassifier(modality="eye", pretrained=pre_eye, probe_C=0.1,
                                 **{**FIT, "max_epochs": 0}).fit(eye, y, groups=groups)
    assert eye_only._probe_whitening() is None
    # ... unless its Pretrainer learned the whitening by stimulus (then it does, as EEG)
    stim_eye = Pretrainer(modality="eye", n_decoder_layers=1, pool="channels", whitening=0.5,
                          **FIT).fit(eye, groups=groups, stimuli=groups % 3)
    assert stim_eye.whitening_covariance_ == "stimulus"
    for use, want in (("auto", stim_eye.whitening_), (False, None)):
        probe = EmotionClassifier(modality="eye", pretrained=stim_eye, probe_C=0.1,
                                  probe_whitening=use, **{**FIT, "max_epochs": 0})
        probe.fit(eye, y, groups=groups)
        assert probe._probe_whitening() is want
    for fusion in ("concat", "attention"):
        f = EmotionClassifier(fusion=fusion, pretrained={"eeg": pre, "eye": pre_eye},
                              probe_C=1.0, **{**FIT, "max_epochs": 0})
        f.fit({"eeg": eeg, "eye": eye}, y, groups=groups)
        assert np.isfinite(f.predict_proba({"eeg": eeg, "eye": eye})).all()
    # probe, then fine-tune (fusion): the probe is the starting point of training
    fused = EmotionClassifier(fusion="concat", probe_C=1.0, **FIT)
    fused.fit({"eeg": eeg, "eye": eye}, y, groups=groups)
    assert len(fused.history) >= 1 and "valid_loss" in fused.history[-1]


def test_probe_c_is_searched_over_folds_of_whole_trials(routing):
    # choosing the probe's C per subject, the scikit-learn way: GridSearchCV over
    # GroupKFold folds (whole trials held out)
    eeg, _, y, groups = _data(n_trials=12)
    probe = EmotionClassifier(train_split=None, **{**FIT, "max_epochs": 0})
    search = GridSearchCV(probe.set_fit_request(groups=True), {"probe_C": [1e-3, 1.0]},
                          cv=GroupKFold(4)).fit(eeg, y, groups=groups)
    assert search.best_params_["probe_C"] in (1e-3, 1.0)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    # C is the inverse strength of the L2 penalty: a smaller C, smaller weights
    norms = [np.linalg.norm(clone(probe).set_params(probe_C=c).fit(eeg, y).module_
                            .final_layer.weight.detach().numpy()) for c in (1e-3, 1.0)]
    assert norms[0] < norms[1]


# ---------------------------------------------------------------------------
# the probe: attention fitted


def test_fit_attention_favours_the_informative_modality():
    from mne_mmvsstma.training.estimators import (
        _attention_fuse,
        _fit_attention,
        _logistic_probe,
    )

    rng = np.random.default_rng(0)
    n, d = 300, 6
    y = rng.integers(0, 3, n)
    # block layout of the fusion projections: EEG in the first half, eye in the second
    h = np.zeros((n, 2, 2 * d))
    h[:, 0, :d] = 1.0 + np.eye(3, d)[y] + 0.3 * rng.normal(size=(n, d))  # informative
    h[:, 1, d:] = 1.0 + 0.3 * rng.normal(size=(n, d))  # noise
    h = torch.from_numpy(h)
    w0 = torch.zeros(2 * d, dtype=torch.float64)
    probe = _logistic_probe(_attention_fuse(h, w0).numpy(), y, 1.0)
    w = _fit_attention(h, y, w0, probe, C=1.0)
    alpha = torch.softmax(torch.tanh(h) @ w, dim=1)
    assert float(alpha[:, 0].mean()) > 0.6  # weight moved to the EEG features
    # swapping the roles of the modalities swaps the weights
    h_swap = torch.stack([h[:, 1].roll(d, dims=1), h[:, 0].roll(d, dims=1)], dim=1)
    probe = _logistic_probe(_attention_fuse(h_swap, w0).numpy(), y, 1.0)
    w_swap = _fit_attention(h_swap, y, w0, probe, C=1.0)
    assert float(torch.softmax(torch.tanh(h_swap) @ w_swap, dim=1)[:, 1].mean()) > 0.6


def test_attention_probe_fits_the_attention_vector_then_the_probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    eeg, eye, y, groups = _data()
    X = {"eeg": eeg, "eye": eye}
    kw = dict(fusion="attention", probe_C=0.5, **{**FIT, "max_epochs": 0})
    fixed = EmotionClassifier(probe_attention=False, **kw).fit(X, y, groups=groups)
    assert torch.count_nonzero(fixed.module_.attention_vector) == 0  # equal weights 1/2
    fixed.predict_proba(X)
    np.testing.assert_allclose(fixed.last_attention_, 0.5)
    clf = EmotionClassifier(**kw).fit(X, y, groups=groups)
    w = clf.module_.attention_vector.detach()
    assert torch.isfinite(w).all() and float(w.norm()) > 0
    clf.predict_proba(X)
    assert clf.last_attention_.std(axis=0).max() > 0  # per-window weights
    # other data, other attention
    other = EmotionClassifier(**kw).fit({"eeg": eeg, "eye": eye[::-1].copy()}, y,
                                        groups=groups)
    assert not torch.allclose(other.module_.attention_vector, w)
    # the final layer is the logistic regression of the fused features at the fitted weights
    net = clf.module_
    Xs = {m: torch.from_numpy(clf.scalers_[m].transform(X[m]).astype(np.float32))
          for m in X}
    with torch.no_grad():
        fused = net.fuse(*net.encode(Xs["eeg"], Xs["eye"])).double().numpy()
    sc = StandardScaler().fit(fused)
    ref = LogisticRegression(C=0.5, max_iter=5000).fit(sc.transform(fused), y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(sc.transform(fused)),
                               atol=1e-4)


def test_defaults_are_the_recipe():
    """The estimators' and functions' defaults are the default recipe; the paper's settings
    are one call away."""
    import inspect

    from mne_mmvsstma.training import finetune, pretrain
    from mne_mmvsstma.training.recipe import classifier_params, get_recipe, pretrainer_params

    for est, params in ((Pretrainer(), pretrainer_params()),
                        (EmotionClassifier(), classifier_params())):
        got = est.get_params()
        assert {k: got[k] for k in params} == params, type(est).__name__
    r = get_recipe()
    pre = {k: v.default for k, v in inspect.signature(pretrain).parameters.items()}
    assert (pre["mask_ratio"], pre["n_epochs"], pre["lr"], pre["batch_size"]) == (
        r["pretrain_mask_ratio"], r["pretrain_epochs"], r["pretrain_lr"],
        r["pretrain_batch_size"])
    fit = {k: v.default for k, v in inspect.signature(finetune).parameters.items()}
    assert (fit["n_epochs"], fit["lr"]) == (r["finetune_epochs"], r["finetune_lr"])
    paper = Pretrainer(**pretrainer_params("paper"))
    assert (paper.n_layers, paper.n_decoder_layers, paper.n_heads, paper.lr,
            paper.max_epochs, paper.mask_ratio) == (6, 6, 6, 1.5e-4, 100, 0.3)
    assert Pretrainer().reset_batchnorm and not paper.reset_batchnorm
    clf = EmotionClassifier(**classifier_params("paper"))
    assert (clf.n_layers, clf.max_epochs, clf.probe_C) == (6, 100, None)
    r["pretrain_epochs"] = 7  # a copy: changing it changes no default
    assert get_recipe()["pretrain_epochs"] == pretrainer_params()["max_epochs"] != 7
    with pytest.raises(ValueError, match="recipe"):
        get_recipe("fast")


# ---------------------------------------------------------------------------
# the Pretrainer's whitening by stimulus


def _stimulus_data():
    """9 trials: 3 'recordings' showing the same 3 stimuli (trial k of a recording: stimulus
    k), trial ids unique over recordings."""
    eeg, _, _, groups = _data()
    return eeg, groups, groups % 3


def test_pretrainer_stimulus_whitening_and_fit_whitening(tmp_path):
    """stimuli -> the whitening of trial-mean differences within stimuli (the probe module's
    computation on the encoder's features); "total" ignores them; fit_whitening learns it
    again from other windows without touching the network; a model file keeps the kind."""
    from mne_mmvsstma.training.probe import _stimulus_whitening, _zca_whitening

    eeg, groups, stimuli = _stimulus_data()
    pre = Pretrainer(n_decoder_layers=1, scale=False, **FIT).fit(eeg, groups=groups,
                                                                 stimuli=stimuli)
    assert pre.whitening_covariance_ == "stimulus"
    feats = pre.transform(eeg)
    mean, W, n_used = _stimulus_whitening(feats, groups, stimuli, pre.whitening_shrinkage_)
    assert n_used == 3
    np.testing.assert_allclose(pre.whitening_[0], mean, rtol=1e-6)
    np.testing.assert_allclose(pre.whitening_[1], W, rtol=1e-5, atol=1e-8)
    total = Pretrainer(n_decoder_layers=1, scale=False, whitening_covariance="total",
                       **FIT).fit(eeg, groups=groups, stimuli=stimuli)
    assert total.whitening_covariance_ == "total"
    np.testing.assert_allclose(total.whitening_[1], _zca_whitening(feats, 0.1)[1], rtol=1e-5,
                               atol=1e-8)
    assert Pretrainer(n_decoder_layers=1, **FIT).fit(eeg).whitening_covariance_ == "total"
    # fit_whitening: other windows of the same trials, the same network
    other = eeg + 0.3
    weights = {k: v.clone() for k, v in pre.module_.state_dict().items()}
    pre.fit_whitening(other, groups=groups, stimuli=stimuli)
    mean2, W2, _ = _stimulus_whitening(pre.transform(other), groups, stimuli,
                                       pre.whitening_shrinkage_)
    np.testing.assert_allclose(pre.whitening_[1], W2, rtol=1e-5, atol=1e-8)
    assert not np.allclose(W2, W)
    assert all(torch.equal(v, pre.module_.state_dict()[k]) for k, v in weights.items())
    fname = save_model(pre, tmp_path / "pre.pt")
    back = load_model(fname)
    assert back.whitening_covariance_ == "stimulus"
    np.testing.assert_allclose(back.whitening_[1], pre.whitening_[1])


def test_pretrainer_stimulus_whitening_errors():
    eeg, groups, stimuli = _stimulus_data()
    pre = Pretrainer(n_decoder_layers=1, whitening_covariance="stimulus", **FIT)
    with pytest.raises(ValueError, match="needs the stimulus of every window"):
        pre.fit(eeg, groups=groups)
    with pytest.raises(ValueError, match=r"one entry per window \(90\)"):
        pre.fit(eeg, groups=groups, stimuli=stimuli[:10])
    with pytest.raises(ValueError, match="stimuli needs groups"):
        pre.fit(eeg, stimuli=stimuli)
    with pytest.raises(ValueError, match="whitening_covariance"):
        Pretrainer(whitening_covariance="trials", **FIT).fit(eeg)
    with pytest.raises(ValueError, match="at least two trials"):  # every stimulus once
        Pretrainer(n_decoder_layers=1, whitening_covariance="stimulus",
                   **FIT).fit(eeg, groups=groups, stimuli=groups)
    # "auto": then the whitening of all windows (e.g. one recording)
    once = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg, groups=groups, stimuli=groups)
    assert once.whitening_covariance_ == "total"
    with pytest.raises(sklearn.exceptions.NotFittedError):
        Pretrainer(**FIT).fit_whitening(eeg, groups=groups, stimuli=stimuli)
    # no whitening at all: stimuli are not needed
    assert Pretrainer(n_decoder_layers=1, whitening=None, whitening_covariance="stimulus",
                      **FIT).fit(eeg).whitening_ is None


def test_stimulus_targets_against_a_loop():
    """Every window's target: the mean of the other trials' windows of its stimulus at the same
    position in their trial; unmatched windows keep themselves."""
    from mne_mmvsstma.training._data import _stimulus_targets

    rng = np.random.default_rng(0)
    lengths = {0: 4, 1: 4, 2: 3, 3: 4, 4: 2}  # trial: windows (trial 2 shorter)
    stim_of = {0: 7, 1: 7, 2: 7, 3: 8, 4: 9}   # stimulus 9 in one trial only
    trials = np.concatenate([[t] * n for t, n in lengths.items()])
    perm = rng.permutation(len(trials))  # windows of trials interleaved, time order kept
    trials = np.concatenate([trials[np.sort(perm[:7])], trials[np.sort(perm[7:])]])
    stimuli = np.array([stim_of[t] for t in trials])
    X = rng.normal(size=(len(trials), 2, 3)).astype(np.float32)
    got = _stimulus_targets(X, trials, stimuli)
    pos = np.array([(trials[:i] == t).sum() for i, t in enumerate(trials)])
    for i in range(len(X)):
        others = [j for j in range(len(X)) if stimuli[j] == stimuli[i]
                  and trials[j] != trials[i] and pos[j] == pos[i]]
        want = X[others].mean(axis=0) if others else X[i]
        np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float32 and got.shape == X.shape


def test_pretrainer_stimulus_target():
    """target='stimulus': trained towards the other trials' mean (another network than
    target='self' from the same seed); needs stimuli; partial_fit keeps the targets."""
    eeg, groups, stimuli = _stimulus_data()
    own = Pretrainer(n_decoder_layers=1, **FIT).fit(eeg, groups=groups, stimuli=stimuli)
    pre = Pretrainer(n_decoder_layers=1, target="stimulus", **FIT).fit(
        eeg, groups=groups, stimuli=stimuli)
    assert len(pre.history) == 4 and np.isfinite(pre.history[-1, "train_loss"])
    assert not np.allclose(pre.transform(eeg), own.transform(eeg))
    assert pre.whitening_covariance_ == "stimulus"
    pre.partial_fit(eeg, groups=groups, stimuli=stimuli)
    assert len(pre.history) == 8
    with pytest.raises(ValueError, match="target='stimulus' needs the stimulus of every"):
        Pretrainer(n_decoder_layers=1, target="stimulus", **FIT).fit(eeg, groups=groups)
    with pytest.raises(ValueError, match="target"):
        Pretrainer(n_decoder_layers=1, target="others", **FIT).fit(eeg)
    # the whitening alone needs no stimuli of the new windows
    pre.set_params(whitening_covariance="auto")
    assert pre.fit_whitening(eeg).whitening_covariance_ == "total"
