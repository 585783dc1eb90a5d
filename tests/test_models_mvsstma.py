"""MVSSTMA: shapes, masking, reconstruction loss, features, heads, pretrained copies."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from mne_mmvsstma.models import MVSSTMA
from mne_mmvsstma.models._utils import n_masked_channels, sincos_position_encoding

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=8)




def _model(**kwargs):
    torch.manual_seed(0)
    params = dict(n_chans=10, n_times=4, n_bands=3, **TINY)
    params.update(kwargs)
    return MVSSTMA(**params)


def _x(B=6, C=10, T=4, F=3, seed=1):
    return torch.randn(B, C, T, F, generator=torch.Generator().manual_seed(seed))


def test_paper_defaults():
    model = MVSSTMA()
    assert (model.n_chans, model.n_times, model.n_bands, model.emb_dim) == (62, 10, 5, 16)
    assert len(model.encoder) == 6 and len(model.decoder) == 6
    block = model.encoder[0]
    assert (block.n_heads, block.head_dim, block.kernel_sizes) == (6, 16, (7, 5, 3))
    assert model.mask_ratio == 0.3 and model.pool == "mean" and model.feature_dim == 16
    assert model.input_shape == (1, 62, 10, 5)
    out = model.forward_pretrain(torch.randn(2, 62, 10, 5))
    assert out["reconstruction"].shape == (2, 62, 10, 5)
    assert out["mask"].sum(1).tolist() == [19, 19]  # round half up: 0.3 * 62 = 18.6


@pytest.mark.parametrize("pool", ["mean", "flatten", "channels"])
@pytest.mark.parametrize("n_outputs", [None, 3])
@pytest.mark.parametrize("mask_ratio", [0.0, 0.5])
def test_forward_shapes(pool, n_outputs, mask_ratio):
    model = _model(pool=pool, n_outputs=n_outputs)
    x = _x()
    feat_dim = {"mean": 8, "flatten": 10 * 4 * 8, "channels": 10 * 8}[pool]
    assert model.feature_dim == feat_dim
    feats = model(x, return_features=True, mask_ratio=mask_ratio)
    assert feats.shape == (6, feat_dim)
    if pool == "channels" and mask_ratio == 0:  # the window mean of every channel's tokens
        model.eval()
        torch.testing.assert_close(model(x, return_features=True),
                                   model.encode(x).mean(dim=2).flatten(1))
    out = model(x, mask_ratio=mask_ratio)
    assert out.shape == ((6, feat_dim) if n_outputs is None else (6, n_outputs))
    tokens, mask = model.encode(x, mask_ratio=mask_ratio, return_mask=True)
    assert tokens.shape == (6, 10, 4, 8) and mask.shape == (6, 10)
    assert (tokens[mask] == 0).all()


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n_chans=31, n_bands=1),  # eye features
        dict(n_chans=5, n_times=1, n_bands=2, kernel_sizes=(3, 1)),
        dict(emb_dim=12, n_heads=3, head_dim=4, ff_dim=10, activation=nn.ELU),
        dict(n_decoder_layers=2, dilation=2),
    ],
)
def test_options(kwargs):
    model = _model(**kwargs)
    C, T, F = model.n_chans, model.n_times, model.n_bands
    x = torch.randn(4, C, T, F)
    assert model(x).shape == (4, model.emb_dim)
    out = model.forward_pretrain(x)
    assert out["reconstruction"].shape == (4, C, T, F)
    assert torch.isfinite(out["loss"])


def test_mean_pool_accepts_other_window_lengths():
    model = _model()
    assert model(torch.randn(2, 10, 7, 3)).shape == (2, 8)
    with pytest.raises(ValueError, match=r"\(batch, 10, 4, 3\)"):
        _model(pool="flatten")(torch.randn(2, 10, 7, 3))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        pytest.param(
            lambda: _model()(torch.randn(2, 10, 4)), ValueError, "got 3-D input", id="input-3d"
        ),
        pytest.param(
            lambda: _model()(torch.randn(2, 9, 4, 3)),
            ValueError,
            "n_chans, n_times, n_bands",
            id="input-wrong-n_chans",
        ),
        pytest.param(
            lambda: _model()(torch.randn(2, 10, 4, 5)),
            ValueError,
            "n_chans, n_times, n_bands",
            id="input-wrong-n_bands",
        ),
        pytest.param(
            lambda: _model()(_x(), mask_ratio=1.0), ValueError, "mask_ratio", id="mask_ratio-one"
        ),
        pytest.param(
            lambda: _model()(_x(), mask_ratio=0.99),
            ValueError,
            "at least one",
            id="mask_ratio-masks-all-channels",
        ),
        pytest.param(
            lambda: _model().forward_pretrain(_x(), mask_ratio=0.01),
            ValueError,
            "masks no channel",
            id="pretrain-masks-no-channel",
        ),
        pytest.param(lambda: _model(pool="max"), ValueError, "pool", id="pool-unknown"),
        pytest.param(
            lambda: _model(n_decoder_layers=-1),
            ValueError,
            "n_decoder_layers",
            id="n_decoder_layers-negative",
        ),
        pytest.param(
            lambda: _model(activation=torch.relu),
            TypeError,
            "activation",
            id="activation-function-not-class",
        ),
        pytest.param(
            lambda: _model(n_decoder_layers=0).forward_pretrain(_x()),
            RuntimeError,
            "no decoder",
            id="pretrain-without-decoder",
        ),
    ],
)
def test_input_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(
    "ratio, n_chans, expected",
    [
        (0.3, 62, 19),
        (0.5, 62, 31),
        (0.7, 62, 43),
        (0.5, 31, 16),
        (0.3, 31, 9),
        (0.25, 10, 3),
        (0.0, 10, 0),
        (0.04, 10, 0),
        (0.05, 10, 1),
    ],
)
def test_mask_count_rounds_half_up(ratio, n_chans, expected):
    assert n_masked_channels(ratio, n_chans) == expected
    assert expected == int(np.floor(ratio * n_chans + 0.5))


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5, 0.7])
def test_masking_ratio_honoured_exactly(ratio):
    model = _model(n_chans=31, n_bands=1)
    x = torch.randn(50, 31, 4, 1)
    out = model.forward_pretrain(x, mask_ratio=ratio)
    n_mask = int(np.floor(ratio * 31 + 0.5))
    assert out["mask"].dtype == torch.bool
    assert (out["mask"].sum(1) == n_mask).all()
    # masks differ between samples (uniformly random channel subsets)
    assert len({tuple(m.tolist()) for m in out["mask"]}) > 40
    _, mask = model.encode(x, mask_ratio=ratio, return_mask=True)
    assert (mask.sum(1) == n_mask).all()


def test_mask_generator_reproducible():
    model = _model().eval()
    x = _x()
    a = model.forward_pretrain(x, generator=torch.Generator().manual_seed(3))
    b = model.forward_pretrain(x, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a["mask"], b["mask"])
    torch.testing.assert_close(a["loss"], b["loss"])


def test_reconstruction_loss_only_over_masked_channels():
    model = _model().eval()
    x = _x()
    gen = torch.Generator().manual_seed(7)
    out = model.forward_pretrain(x, mask_ratio=0.3, generator=gen)
    rec, mask = out["reconstruction"], out["mask"]
    expected = ((rec - x) ** 2)[mask].mean()
    torch.testing.assert_close(out["loss"], expected)
    # changing the input at visible channels changes the loss only via the
    # encoder, not the target; the target at masked channels enters directly
    x2 = x.clone()
    x2[mask] += 1.0  # masked channels: only the target changes (they are not encoded)
    out2 = model.forward_pretrain(x2, mask_ratio=0.3, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(out2["reconstruction"], rec)  # encoder never saw them
    torch.testing.assert_close(out2["loss"], ((rec - x2) ** 2)[mask].mean())


def test_encoder_ignores_masked_channels():
    """Masked channels are removed: features do not depend on their values."""
    model = _model(n_outputs=3).eval()
    x = _x()
    gen = torch.Generator().manual_seed(5)
    feats = model(x, return_features=True, mask_ratio=0.4, generator=gen)
    _, mask = model.encode(x, 0.4, return_mask=True, generator=torch.Generator().manual_seed(5))
    x2 = x.clone()
    x2[mask] = 1e3
    feats2 = model(
        x2, return_features=True, mask_ratio=0.4, generator=torch.Generator().manual_seed(5)
    )
    torch.testing.assert_close(feats2, feats)
    x2[~mask] += 1.0
    feats3 = model(
        x2, return_features=True, mask_ratio=0.4, generator=torch.Generator().manual_seed(5)
    )
    assert not torch.allclose(feats3, feats)


def test_mean_features_are_token_means():
    model = _model().eval()
    x = _x()
    torch.testing.assert_close(model(x, return_features=True), model.encode(x).mean(dim=(1, 2)))
    flat = _model(pool="flatten").eval()
    torch.testing.assert_close(flat(x, return_features=True), flat.encode(x).flatten(1))


def test_encoder_causal_in_time():
    model = _model().eval()
    x = _x()
    tokens = model.encode(x)
    x2 = x.clone()
    x2[:, :, 2:] = torch.randn_like(x2[:, :, 2:])
    torch.testing.assert_close(model.encode(x2)[:, :, :2], tokens[:, :, :2])


def test_pretraining_gradients_finite_and_loss_decreases():
    torch.manual_seed(0)
    model = _model()
    x = _x(B=16)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(25):
        out = model.forward_pretrain(x, generator=torch.Generator().manual_seed(0))
        opt.zero_grad()
        out["loss"].backward()
        for name, p in model.named_parameters():
            assert p.grad is not None, name
            assert torch.isfinite(p.grad).all(), name
        opt.step()
        losses.append(out["loss"].item())
    assert losses[-1] < 0.8 * losses[0]
    # the classifier head gets no gradient from pretraining; the mask token does
    assert model.mask_token.grad.abs().sum() > 0


def test_positional_encoding():
    pe = sincos_position_encoding(62, 16)
    assert pe.shape == (62, 16)
    torch.testing.assert_close(pe[0, 0::2], torch.zeros(8))
    torch.testing.assert_close(pe[0, 1::2], torch.ones(8))
    expected = torch.tensor(np.sin(3 / 10000 ** (2 / 16)), dtype=torch.float32)
    torch.testing.assert_close(pe[3, 2], expected)
    assert len({tuple(r.tolist()) for r in pe}) == 62  # every channel distinct
    assert sincos_position_encoding(5, 7).shape == (5, 7)
    model = _model()
    assert "pos_embedding" not in model.state_dict()  # fixed, recomputed


def test_reset_head():
    model = _model(n_outputs=3)
    model.reset_head(5)
    assert model.n_outputs == 5 and model.final_layer.out_features == 5
    assert model(_x()).shape == (6, 5)
    assert model.get_config()["n_outputs"] == 5
    model.reset_head(None)
    assert isinstance(model.final_layer, nn.Identity)
    assert model(_x()).shape == (6, 8)


def test_from_pretrained():
    pre = _model()
    with torch.no_grad():
        for p in pre.parameters():
            p.add_(0.1 * torch.randn_like(p))
    clf = MVSSTMA.from_pretrained(pre, n_outputs=4)
    assert clf.n_outputs == 4 and clf.decoder is None and clf.n_decoder_layers == 0
    assert clf.get_config()["n_decoder_layers"] == 0
    pre_state = pre.state_dict()
    for key, value in clf.state_dict().items():
        if key.startswith("final_layer"):
            continue
        assert torch.equal(value, pre_state[key]), key
        assert value.data_ptr() != pre_state[key].data_ptr()  # a copy
    pre.eval()
    clf.eval()
    x = _x()
    torch.testing.assert_close(clf(x, return_features=True), pre(x, return_features=True))
    assert clf(x).shape == (6, 4)
    # fine-tuning the copy leaves the source untouched
    before = {k: v.clone() for k, v in pre.state_dict().items()}
    clf(x).sum().backward()
    with torch.no_grad():
        for p in clf.parameters():
            p.add_(1.0)
    assert all(torch.equal(before[k], v) for k, v in pre.state_dict().items())
    kept = MVSSTMA.from_pretrained(pre, 2, keep_decoder=True, drop_prob=0.0)
    assert kept.decoder is not None and kept.drop_prob == 0.0
    torch.testing.assert_close(kept.mask_token, pre.mask_token)
    with pytest.raises(TypeError, match="MVSSTMA instance"):
        MVSSTMA.from_pretrained(nn.Linear(2, 2), 2)


def test_state_dict_and_config_round_trip(tmp_path):
    model = _model(n_outputs=3, kernel_sizes=(5, 3, 2), activation=nn.ELU, pool="flatten")
    config = json.loads(json.dumps(model.get_config()))
    assert config["activation"].endswith("ELU") and config["kernel_sizes"] == [5, 3, 2]
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    (tmp_path / "config.json").write_text(json.dumps(config))
    new = MVSSTMA.from_config(json.loads((tmp_path / "config.json").read_text()))
    new.load_state_dict(torch.load(tmp_path / "weights.pt", weights_only=True))
    assert new.encoder[0].kernel_sizes == (5, 3, 2)
    assert isinstance(new.encoder[0].ffn[1], nn.ELU)
    model.eval()
    new.eval()
    x = _x()
    torch.testing.assert_close(new(x), model(x))
    torch.testing.assert_close(
        new.forward_pretrain(x, generator=torch.Generator().manual_seed(0))["loss"],
        model.forward_pretrain(x, generator=torch.Generator().manual_seed(0))["loss"],
    )


def test_summary_uses_4d_input():
    text = str(_model(n_outputs=2))
    assert "[1, 10, 4, 3]" in text


def test_autocast_bfloat16():
    """Mixed precision (as on GPU) runs, with a float32 loss and finite gradients."""
    model = _model()
    clf = MVSSTMA.from_pretrained(model, 3)
    x = _x()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model.forward_pretrain(x)
        logits = clf(x, mask_ratio=0.3)
    assert out["loss"].dtype == torch.float32 and torch.isfinite(out["loss"])
    assert logits.shape == (6, 3) and torch.isfinite(logits).all()
    (out["loss"] + logits.float().sum()).backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        ref = clf.eval()(x).float()
    torch.testing.assert_close(ref, clf(x), atol=0.1, rtol=0.1)


def test_forward_pretrain_target():
    """target: the masked channels' error against another tensor (default: x itself)."""
    model = _model().eval()
    x, other = _x(), _x(seed=2)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731 (the same mask twice)
    own = model.forward_pretrain(x, generator=gen())
    out = model.forward_pretrain(x, generator=gen(), target=other)
    torch.testing.assert_close(out["reconstruction"], own["reconstruction"])
    mask = out["mask"]
    err = (out["reconstruction"] - other).square().mean(dim=(2, 3))
    torch.testing.assert_close(out["loss"], err[mask].mean())
    same = model.forward_pretrain(x, generator=gen(), target=x)
    torch.testing.assert_close(same["loss"], own["loss"])
    with pytest.raises(ValueError, match=r"target must have shape .* = \(6, 10, 4, 3\), got "
                                         r"\(6, 5, 4, 3\)"):
        model.forward_pretrain(x, target=other[:, :5])


def test_forward_pretrain_target_dim():
    """target_dim: the decoder predicts targets of another width (e.g. a teacher's tokens)."""
    model = _model(target_dim=7).eval()
    assert model.reconstruction.out_features == 7
    x = _x()
    target = torch.randn(6, 10, 4, 7, generator=torch.Generator().manual_seed(5))
    out = model.forward_pretrain(x, generator=torch.Generator().manual_seed(3), target=target)
    assert out["reconstruction"].shape == (6, 10, 4, 7)
    err = (out["reconstruction"] - target).square().mean(dim=(2, 3))
    torch.testing.assert_close(out["loss"], err[out["mask"]].mean())
    with pytest.raises(ValueError, match="predicts target_dim=7 values per token, not the 3 "
                                         "input features; pass target="):
        model.forward_pretrain(x)
    with pytest.raises(ValueError, match=r"= \(6, 10, 4, 7\), got \(6, 10, 4, 3\)"):
        model.forward_pretrain(x, target=x)
    # the input-scale initialisation leaves a layer that does not predict the input alone
    ref = _model(target_dim=7)
    ref.init_input_scale([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    torch.testing.assert_close(ref.reconstruction.weight,
                               _model(target_dim=7).reconstruction.weight)
    # the encoder of a classifier built from it is that of any MVSSTMA
    clf = MVSSTMA.from_pretrained(model, 2)
    assert clf.reconstruction is None and clf.n_outputs == 2
    torch.testing.assert_close(clf.eval().encode(x), model.encode(x))
    with pytest.raises(ValueError, match="target_dim"):
        _model(target_dim=0)
