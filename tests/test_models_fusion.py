"""MMVSSTMAClassifier: fusion, missing modalities, DCCA loss, configuration."""

import json

import pytest
import torch
from torch import nn

from mne_mmvsstma.models import MVSSTMA, MMVSSTMAClassifier, dcca_loss

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=8)
C_EEG, C_EYE, T, F = 9, 5, 4, 3




def _clf(fusion="attention", **kwargs):
    torch.manual_seed(0)
    params = dict(
        fusion=fusion,
        n_eeg_chans=C_EEG,
        n_eye_features=C_EYE,
        n_times=T,
        n_bands=F,
        encoder_kwargs=TINY,
    )
    params.update(kwargs)
    return MMVSSTMAClassifier(3, **params)


def _data(B=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(B, C_EEG, T, F, generator=g),
        torch.randn(B, C_EYE, T, 1, generator=g),
        torch.randint(0, 3, (B,), generator=g),
    )


@pytest.mark.parametrize("fusion", ["attention", "concat"])
@pytest.mark.parametrize("mask_ratio", [0.0, 0.4])
def test_shapes(fusion, mask_ratio):
    clf = _clf(fusion)
    x_eeg, x_eye, _ = _data()
    assert clf(x_eeg, x_eye, mask_ratio=mask_ratio).shape == (8, 3)
    fused_dim = 8 if fusion == "attention" else 16
    assert clf.fused_dim == fused_dim
    assert clf(x_eeg, x_eye, return_features=True).shape == (8, fused_dim)
    h_eeg, h_eye = clf.encode(x_eeg, x_eye, mask_ratio=mask_ratio)
    assert h_eeg.shape == (8, 8) and h_eye.shape == (8, 8)
    assert clf.eye_encoder.n_bands == 1 and clf.eye_encoder.n_chans == C_EYE
    assert clf.eeg_encoder.decoder is None  # encoders only


def test_attention_weights_sum_to_one_and_fusion_formula():
    clf = _clf().eval()
    with torch.no_grad():  # starts at zero (equal weights); any vector follows the formula
        nn.init.normal_(clf.attention_vector)
    x_eeg, x_eye, _ = _data()
    fused = clf(x_eeg, x_eye, return_features=True)
    alpha = clf.last_attention_
    assert alpha.shape == (8, 2) and (alpha > 0).all()
    torch.testing.assert_close(alpha.sum(1), torch.ones(8))
    h_eeg, h_eye = clf.encode(x_eeg, x_eye)
    stacked = torch.stack([h_eeg, h_eye], 1)
    expected_alpha = torch.softmax(torch.tanh(stacked) @ clf.attention_vector, dim=1)
    torch.testing.assert_close(alpha, expected_alpha)
    torch.testing.assert_close(fused, (expected_alpha[..., None] * stacked).sum(1))


def test_concat_is_concatenation():
    clf = _clf("concat").eval()
    x_eeg, x_eye, _ = _data()
    h_eeg, h_eye = clf.encode(x_eeg, x_eye)
    torch.testing.assert_close(
        clf(x_eeg, x_eye, return_features=True), torch.cat([h_eeg, h_eye], 1)
    )


@pytest.mark.parametrize("fusion", ["attention", "concat"])
def test_missing_modality(fusion):
    clf = _clf(fusion).eval()
    x_eeg, x_eye, _ = _data()
    h_eeg, h_eye = clf.encode(x_eeg, x_eye)
    eeg_only = clf(x_eeg, None, return_features=True)
    eye_only = clf(None, x_eye, return_features=True)
    if fusion == "attention":  # renormalised over the present modality
        torch.testing.assert_close(eeg_only, h_eeg)
        torch.testing.assert_close(clf.last_attention_, torch.tensor([[0.0, 1.0]]).repeat(8, 1))
        torch.testing.assert_close(eye_only, h_eye)
    else:  # the absent part is zero
        torch.testing.assert_close(eeg_only, torch.cat([h_eeg, torch.zeros(8, 8)], 1))
        torch.testing.assert_close(eye_only, torch.cat([torch.zeros(8, 8), h_eye], 1))
    assert clf(None, x_eye).shape == (8, 3)
    # per-sample availability
    present = torch.tensor([[True, True], [True, False], [False, True]] * 2 + [[True, True]] * 2)
    mixed = clf(x_eeg, x_eye, return_features=True, present=present)
    both = clf(x_eeg, x_eye, return_features=True)
    torch.testing.assert_close(mixed[0], both[0])
    torch.testing.assert_close(mixed[1], eeg_only[1])
    torch.testing.assert_close(mixed[2], eye_only[2])
    # partially masked modalities still predict
    assert torch.isfinite(clf(x_eeg, x_eye, mask_ratio=0.5)).all()
    assert torch.isfinite(clf(None, x_eye, mask_ratio=0.7)).all()
    with pytest.raises(ValueError, match="at least one"):
        clf(None, None)
    with pytest.raises(ValueError, match="one present modality"):
        clf(x_eeg, x_eye, present=torch.zeros(8, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="shape"):
        clf(x_eeg, x_eye, present=torch.ones(8, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="same batch size"):
        clf(x_eeg, x_eye[:3])


def test_loss_and_training():
    clf = _clf()
    x_eeg, x_eye, y = _data(B=32)
    total, ce, dcca = clf.loss(x_eeg, x_eye, y)
    h_eeg, h_eye = clf.eval().encode(x_eeg, x_eye)
    clf.train()
    assert total.dtype == torch.float32 and total.ndim == 0
    torch.testing.assert_close(total, ce + 0.1 * dcca)
    assert dcca.item() < 0  # minus a correlation
    # the DCCA term is dcca_loss of the projected per-modality features
    clf.eval()
    _, _, dcca_eval = clf.loss(x_eeg, x_eye, y, dcca_weight=1.0)
    torch.testing.assert_close(dcca_eval, dcca_loss(h_eeg, h_eye).float())
    clf.train()
    _, _, zero = clf.loss(x_eeg, None, y)
    assert zero.item() == 0
    opt = torch.optim.Adam(clf.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        total, _, _ = clf.loss(x_eeg, x_eye, y)
        opt.zero_grad()
        total.backward()
        for name, p in clf.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
        opt.step()
        first = total.item() if first is None else first
    assert total.item() < first


def test_pretrained_encoders_are_copied():
    torch.manual_seed(0)
    eeg = MVSSTMA(n_chans=C_EEG, n_times=T, n_bands=F, **TINY)
    eye = MVSSTMA(n_chans=C_EYE, n_times=T, n_bands=1, **{**TINY, "emb_dim": 4, "head_dim": 4})
    before = {k: v.clone() for k, v in eeg.state_dict().items()}
    clf = MMVSSTMAClassifier(3, eeg_encoder=eeg, eye_encoder=eye, fusion="attention")
    # different feature widths (8, 4): a common space of 12 with one block per modality,
    # and equal attention weights: the fused feature is [F_eeg, F_eye] / 2
    assert isinstance(clf.eeg_projection, nn.Linear) and clf.fused_dim == 12
    x_eeg, x_eye, _ = _data()
    with torch.no_grad():
        clf.eval()
        f_eeg = clf.eeg_encoder(x_eeg, return_features=True)
        f_eye = clf.eye_encoder(x_eye, return_features=True)
        fused = clf(x_eeg, x_eye, return_features=True)
    torch.testing.assert_close(fused, torch.cat([f_eeg, f_eye], dim=1) / 2)
    torch.testing.assert_close(clf.last_attention_, torch.full((8, 2), 0.5))
    with_dim = MMVSSTMAClassifier(3, eeg_encoder=eeg, eye_encoder=eye, fusion="attention",
                                  fusion_dim=5)
    assert with_dim.fused_dim == 5
    for key, value in clf.eeg_encoder.state_dict().items():
        assert torch.equal(value, eeg.state_dict()[key])
    x_eeg, x_eye, y = _data()
    clf.loss(x_eeg, x_eye, y)[0].backward()
    with torch.no_grad():
        for p in clf.parameters():
            p.add_(1.0)
    assert all(torch.equal(before[k], v) for k, v in eeg.state_dict().items())
    assert clf.get_config()["n_eeg_chans"] == C_EEG
    concat = MMVSSTMAClassifier(3, eeg_encoder=eeg, eye_encoder=eye, fusion="concat")
    assert concat.fused_dim == 12 and isinstance(concat.eeg_projection, nn.Identity)
    proj = MMVSSTMAClassifier(3, eeg_encoder=eeg, eye_encoder=eye, fusion="concat", fusion_dim=6)
    assert proj.fused_dim == 12 and proj(x_eeg, x_eye).shape == (8, 3)
    with pytest.raises(TypeError, match="eeg_encoder"):
        MMVSSTMAClassifier(3, eeg_encoder=nn.Linear(2, 2))
    with pytest.raises(ValueError, match="n_times"):
        MMVSSTMAClassifier(
            3, eeg_encoder=eeg, eye_encoder=MVSSTMA(n_chans=C_EYE, n_times=T + 1, n_bands=1, **TINY)
        )


def test_invalid_and_per_modality_kwargs():
    with pytest.raises(ValueError, match="fusion"):
        _clf("sum")
    with pytest.raises(ValueError, match="encoder_kwargs"):
        _clf(encoder_kwargs={"eeg": TINY, "emb_dim": 4})
    clf = _clf(encoder_kwargs={"eeg": TINY, "eye": {**TINY, "emb_dim": 4, "head_dim": 4}})
    assert clf.eye_encoder.emb_dim == 4 and clf.fused_dim == 8 + 4  # one block each


@pytest.mark.parametrize("fusion", ["attention", "concat"])
def test_config_and_state_dict_round_trip(tmp_path, fusion):
    torch.manual_seed(0)
    eeg = MVSSTMA(n_chans=C_EEG, n_times=T, n_bands=F, activation=nn.ReLU, **TINY)
    clf = MMVSSTMAClassifier(
        3, eeg_encoder=eeg, fusion=fusion, n_eye_features=C_EYE, n_times=T, encoder_kwargs=TINY
    ).eval()
    config = json.loads(json.dumps(clf.get_config()))
    assert config["eeg_encoder"] is None
    torch.save(clf.state_dict(), tmp_path / "w.pt")
    new = MMVSSTMAClassifier.from_config(config)
    new.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    new.eval()
    assert isinstance(new.eeg_encoder.encoder[0].ffn[1], nn.ReLU)
    x_eeg, x_eye, _ = _data()
    torch.testing.assert_close(new(x_eeg, x_eye), clf(x_eeg, x_eye))
    clf.reset_head(5)
    assert clf(x_eeg, x_eye).shape == (8, 5) and clf.n_outputs == 5
