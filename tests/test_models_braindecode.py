"""braindecode / PyTorch integration: EEGClassifier, save/load, torch.compile, torch.export."""

import json
import os
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from mne_mmvsstma.models import MVSSTMA, MMVSSTMAClassifier

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"Montage name .* is deprecated", category=FutureWarning
    )
    from braindecode import EEGClassifier
    from braindecode.models.base import EEGModuleMixin

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=2, head_dim=8)
C, T, F = 6, 4, 3




def _dataset(n=64, seed=0):
    """Two classes that differ by a mean shift of a few channels."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    X = torch.randn(n, C, T, F, generator=g)
    X[:, :3] += 1.5 * (2 * y[:, None, None, None] - 1)
    return X, y


def test_braindecode_conventions():
    model = MVSSTMA(n_outputs=3, n_chans=C, n_times=T, n_bands=F, **TINY)
    assert isinstance(model, EEGModuleMixin) and isinstance(model, nn.Module)
    assert isinstance(model.final_layer, nn.Linear) and model.final_layer.out_features == 3
    assert "Hugging Face" not in MVSSTMA.__doc__ and "braindecode.models import" not in (
        MVSSTMA.__doc__ + MMVSSTMAClassifier.__doc__
    )
    assert isinstance(model.encoder[0].ffn[1], nn.GELU)  # activation is a class
    assert model.get_output_shape() == (1, 3)
    assert isinstance(
        MMVSSTMAClassifier(
            2, n_eeg_chans=C, n_eye_features=3, n_times=T, n_bands=F, encoder_kwargs=TINY
        ),
        EEGModuleMixin,
    )


@pytest.mark.parametrize("as_instance", [False, True])
def test_eeg_classifier_trains_on_tensor_dataset(as_instance, tmp_path):
    torch.manual_seed(0)
    X, y = _dataset()
    module_kwargs = dict(n_outputs=2, n_chans=C, n_times=T, n_bands=F, drop_prob=0.0, **TINY)
    common = dict(
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        optimizer__lr=1e-2,
        train_split=None,
        batch_size=16,
        max_epochs=4,
        device="cpu",
        classes=[0, 1],
        verbose=0,
    )
    if as_instance:
        net = EEGClassifier(MVSSTMA(**module_kwargs), **common)
    else:  # the 4-D shape cannot be inferred from the data: give it explicitly
        net = EEGClassifier(
            MVSSTMA, **{f"module__{k}": v for k, v in module_kwargs.items()}, **common
        )
    net.fit(TensorDataset(X, y), y=None)
    losses = net.history[:, "train_loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    proba = net.predict_proba(X)
    assert proba.shape == (64, 2)
    assert (net.predict(X) == y.numpy()).mean() > 0.8
    # skorch parameter checkpoint round trip
    net.save_params(f_params=tmp_path / "params.pt")
    net2 = EEGClassifier(MVSSTMA(**module_kwargs), **common).initialize()
    net2.load_params(f_params=tmp_path / "params.pt")
    np.testing.assert_allclose(net2.predict_proba(X), proba, rtol=1e-5, atol=1e-6)


def test_state_dict_config_round_trip(tmp_path):
    torch.manual_seed(0)
    model = MVSSTMA(n_outputs=2, n_chans=C, n_times=T, n_bands=F, **TINY).eval()
    torch.save(model.state_dict(), tmp_path / "model.pt")
    (tmp_path / "config.json").write_text(json.dumps(model.get_config()))
    new = MVSSTMA.from_config(json.loads((tmp_path / "config.json").read_text()))
    new.load_state_dict(torch.load(tmp_path / "model.pt", weights_only=True))
    new.eval()
    X, _ = _dataset(8)
    torch.testing.assert_close(new(X), model(X))
    # the whole module pickles as well
    torch.save(model, tmp_path / "full.pt")
    full = torch.load(tmp_path / "full.pt", weights_only=False)
    torch.testing.assert_close(full(X), model(X))


def test_torch_export():
    torch.manual_seed(0)
    X, _ = _dataset(5)
    model = MVSSTMA(n_outputs=3, n_chans=C, n_times=T, n_bands=F, **TINY).eval()
    program = torch.export.export(model, (X,))
    other = torch.randn(5, C, T, F)
    torch.testing.assert_close(program.module()(other), model(other))
    clf = MMVSSTMAClassifier(
        3, n_eeg_chans=C, n_eye_features=4, n_times=T, n_bands=F, encoder_kwargs=TINY
    ).eval()
    x_eye = torch.randn(5, 4, T, 1)
    program = torch.export.export(clf, (X, x_eye))
    torch.testing.assert_close(program.module()(X, x_eye), clf(X, x_eye))
    program = torch.export.export(clf, (None, x_eye))
    torch.testing.assert_close(program.module()(None, x_eye), clf(None, x_eye))


def test_torch_compile_graph_capture():
    """The forward passes compile as one graph (fullgraph=True), training included."""
    torch.manual_seed(0)
    X, y = _dataset(8)
    model = MVSSTMA(n_outputs=2, n_chans=C, n_times=T, n_bands=F, drop_prob=0.0, **TINY)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    loss = nn.functional.cross_entropy(compiled(X), y)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    nn.functional.cross_entropy(model(X), y).backward()
    for name, p in model.named_parameters():
        if name in grads:
            torch.testing.assert_close(grads[name], p.grad, rtol=1e-4, atol=1e-6)
    pretrain = torch.compile(model.forward_pretrain, fullgraph=True, backend="aot_eager")
    out = pretrain(X, mask_ratio=0.5)
    out["loss"].backward()
    assert (out["mask"].sum(1) == 3).all()


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("MNE_MMVSSTMA_SLOW_TESTS"),
    reason="inductor C++ compilation takes about a minute on 2 CPU cores; "
    "set MNE_MMVSSTMA_SLOW_TESTS=1",
)
def test_torch_compile_inductor():
    torch.manual_seed(0)
    X, _ = _dataset(8)
    model = MVSSTMA(n_outputs=2, n_chans=C, n_times=T, n_bands=F, **TINY).eval()
    compiled = torch.compile(model, fullgraph=True)
    torch.testing.assert_close(compiled(X), model(X), rtol=1e-4, atol=1e-5)
