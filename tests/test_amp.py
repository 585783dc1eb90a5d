"""Mixed-precision code paths, exercised on CPU.

On CUDA, the estimators train and predict under :func:`torch.autocast`
(bfloat16). CI has no GPU, so these tests run the same code under CPU autocast:
the models' autocast branches (SDPA attention instead of the chunked CPU kernel,
float64 DCCA with autocast disabled) and the estimators' training steps.
"""

from __future__ import annotations

import numpy as np
import torch  # noqa: E402

from mne_mmvsstma.models import MVSSTMA, MMVSSTMAClassifier  # noqa: E402
from mne_mmvsstma.models.hybrid import HybridBlock  # noqa: E402
from mne_mmvsstma.training import api  # noqa: E402

SMALL = dict(n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=16, drop_prob=0.0)


def _bf16():
    return torch.autocast("cpu", dtype=torch.bfloat16)


def test_hybrid_block_autocast_uses_sdpa_and_matches_float32(monkeypatch):
    torch.manual_seed(0)
    block = HybridBlock(emb_dim=16, n_heads=2, head_dim=16, drop_prob=0.0).eval()
    x = torch.randn(3, 12, 10, 16)
    used = []
    orig = torch.nn.functional.scaled_dot_product_attention

    def spy(*args, **kwargs):
        used.append(args[0].dtype)
        return orig(*args, **kwargs)

    with torch.no_grad():
        ref = block(x)  # float32, chunked CPU kernel
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention", spy)
    with _bf16(), torch.no_grad():
        out = block(x)
    assert used and used[0] == torch.bfloat16  # "auto" switched to SDPA under autocast
    assert out.shape == ref.shape
    # bfloat16 keeps ~3 significant digits; the block output is layer-normalised
    np.testing.assert_allclose(out.float().numpy(), ref.numpy(), atol=0.1)
    assert torch.corrcoef(torch.stack([out.float().ravel(), ref.ravel()]))[0, 1] > 0.999


def test_pretraining_and_fusion_losses_under_autocast():
    torch.manual_seed(0)
    eeg = MVSSTMA(n_chans=8, n_bands=5, **SMALL)
    eye = MVSSTMA(n_chans=4, n_bands=1, **SMALL)
    x, x_eye = torch.randn(6, 8, 10, 5), torch.randn(6, 4, 10, 1)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    with _bf16():
        out = eeg.forward_pretrain(x, generator=torch.Generator().manual_seed(1))
    loss = out["loss"]
    assert torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in eeg.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert all(p.dtype == torch.float32 for p in eeg.parameters())  # weights stay float32

    clf = MMVSSTMAClassifier(3, eeg_encoder=eeg, eye_encoder=eye, fusion="attention")
    with _bf16():
        total, ce, dcca = clf.loss(x, x_eye, y)
    assert total.dtype == ce.dtype == dcca.dtype == torch.float32
    assert torch.isfinite(total) and dcca.item() < 0  # minus a total correlation
    total.backward()
    # the DCCA term is computed in float64 with autocast disabled: from the same
    # (bfloat16-computed) features it equals the float32 run's up to feature rounding
    with torch.no_grad():
        _, _, dcca_ref = clf.loss(x, x_eye, y)
    np.testing.assert_allclose(dcca.item(), dcca_ref.item(), rtol=0.1, atol=0.05)


def test_training_loop_with_amp(monkeypatch, rng):
    """pretrain / finetune / evaluate run under the estimators' autocast context (bfloat16)."""
    from mne_mmvsstma.training import estimators

    calls = []

    def cpu_autocast(self):
        calls.append(type(self).__name__)
        return torch.autocast("cpu", dtype=torch.bfloat16)

    # on CUDA the estimators use bfloat16 autocast; CI has no GPU, so the same code runs
    # under CPU autocast here
    monkeypatch.setattr(estimators._MVSSTMANet, "_autocast", cpu_autocast)
    n_trials, per = 6, 12
    y = np.repeat(np.arange(3), 2 * per)
    trial_ids = np.repeat(np.arange(n_trials), per)
    X = rng.normal(size=(n_trials * per, 8, 5)) + y[:, None, None] * 0.8
    kw = dict(trial_ids=trial_ids, n_windows=4, device="cpu", verbose=False)
    small = dict(SMALL, pool="flatten")
    model = api.pretrain(X, n_epochs=2, batch_size=16, model_kwargs=small, **kw)
    assert np.isfinite(model.history[-1, "train_loss"])
    clf = api.finetune(X, y, model=model, n_epochs=3, batch_size=16, **kw)
    assert all(np.isfinite(clf.history[:, "train_loss"]))
    assert all(np.isfinite(clf.history[:, "valid_loss"]))
    scores = api.evaluate(clf, X, y, trial_ids=trial_ids, n_windows=4, verbose=False)
    assert scores["proba"].dtype == np.float32 and np.isfinite(scores["proba"]).all()
    np.testing.assert_allclose(scores["proba"].sum(axis=1), 1.0, rtol=1e-3)
    assert {"Pretrainer", "EmotionClassifier"} <= set(calls)
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())
