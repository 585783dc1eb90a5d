"""dcca_loss against a NumPy / SciPy reference."""

import numpy as np
import pytest
import scipy.linalg
import torch

from mne_mmvsstma.models import dcca_loss


def _reference(h1, h2, reg=1e-3, out_dim=None):
    """Andrew et al. (2013) total correlation with SciPy's matrix square root and SVD."""
    n = h1.shape[0]
    h1 = h1 - h1.mean(0)
    h2 = h2 - h2.mean(0)
    s11 = h1.T @ h1 / (n - 1) + reg * np.eye(h1.shape[1])
    s22 = h2.T @ h2 / (n - 1) + reg * np.eye(h2.shape[1])
    s12 = h1.T @ h2 / (n - 1)
    inv1 = np.linalg.inv(np.real(scipy.linalg.sqrtm(s11)))
    inv2 = np.linalg.inv(np.real(scipy.linalg.sqrtm(s22)))
    sing = np.linalg.svd(inv1 @ s12 @ inv2, compute_uv=False)  # descending
    if out_dim is not None:
        sing = sing[:out_dim]
    return -sing.sum()


@pytest.mark.parametrize("d1, d2", [(6, 6), (4, 9), (10, 3)])
@pytest.mark.parametrize("out_dim", [None, 1, 3])
@pytest.mark.parametrize("reg", [1e-3, 0.5])
@pytest.mark.parametrize("method", ["cholesky", "eigh"])
def test_matches_numpy_reference(d1, d2, out_dim, reg, method):
    rng = np.random.default_rng(d1 * 10 + d2)
    n = 50
    shared = rng.standard_normal((n, 3))
    h1 = shared @ rng.standard_normal((3, d1)) + 0.7 * rng.standard_normal((n, d1))
    h2 = shared @ rng.standard_normal((3, d2)) + 0.7 * rng.standard_normal((n, d2))
    expected = _reference(h1, h2, reg, out_dim)
    for dtype in (torch.float64, torch.float32):
        loss = dcca_loss(
            torch.tensor(h1, dtype=dtype),
            torch.tensor(h2, dtype=dtype),
            reg=reg,
            out_dim=out_dim,
            method=method,
        )
        assert loss.ndim == 0 and loss.dtype == dtype
        np.testing.assert_allclose(
            loss.item(), expected, rtol=1e-5 if dtype == torch.float32 else 1e-10
        )


def _full_width_loss(h1, h2, reg=1e-3, eps=1e-12):
    """The loss with d x d covariances (no reduction to the samples' span), in torch."""
    n = h1.shape[0]
    x1, x2 = h1 - h1.mean(0), h2 - h2.mean(0)
    s11 = x1.T @ x1 / (n - 1) + reg * torch.eye(x1.shape[1], dtype=x1.dtype)
    s22 = x2.T @ x2 / (n - 1) + reg * torch.eye(x2.shape[1], dtype=x2.dtype)
    t = torch.linalg.solve_triangular(torch.linalg.cholesky(s11), x1.T @ x2 / (n - 1),
                                      upper=False)
    t = torch.linalg.solve_triangular(torch.linalg.cholesky(s22), t.T, upper=False).T
    sq = torch.linalg.eigvalsh(t @ t.T if t.shape[0] <= t.shape[1] else t.T @ t)
    return -sq.clamp_min(eps).sqrt().sum()


@pytest.mark.parametrize("d1, d2", [(40, 25), (40, 5), (3, 30)])
@pytest.mark.parametrize("method", ["cholesky", "eigh"])
def test_views_wider_than_the_batch(d1, d2, method):
    # views wider than the batch are reduced to the span of their samples: same value
    # and same gradient as with the full d x d covariances
    rng = np.random.default_rng(d1 + d2)
    n = 12
    shared = rng.standard_normal((n, 2))
    h1 = shared @ rng.standard_normal((2, d1)) + 0.5 * rng.standard_normal((n, d1))
    h2 = shared @ rng.standard_normal((2, d2)) + 0.5 * rng.standard_normal((n, d2))
    loss = dcca_loss(torch.tensor(h1), torch.tensor(h2), method=method).item()
    # the reference's zero correlations are exact, the loss floors them at sqrt(eps)
    np.testing.assert_allclose(loss, _reference(h1, h2), atol=min(d1, d2) * 1e-6)
    np.testing.assert_allclose(
        loss, _full_width_loss(torch.tensor(h1), torch.tensor(h2)).item(), rtol=1e-9)
    a1, a2 = (torch.tensor(h, requires_grad=True) for h in (h1, h2))
    b1, b2 = (torch.tensor(h, requires_grad=True) for h in (h1, h2))
    dcca_loss(a1, a2, method=method).backward()
    _full_width_loss(b1, b2).backward()
    for a, b in ((a1, b1), (a2, b2)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-9)
    if method == "cholesky":  # "eigh" is documented to give NaN for degenerate views
        # a wide view of identical samples (rank 0 after centring): finite gradients
        z = torch.tensor(np.tile(h1[:1], (n, 1)), requires_grad=True)
        dcca_loss(z, torch.tensor(h2)).backward()
        assert torch.isfinite(z.grad).all()


def test_perfectly_correlated_and_independent():
    rng = np.random.default_rng(0)
    h1 = torch.tensor(rng.standard_normal((500, 5)))
    mix = torch.tensor(rng.standard_normal((5, 5)))
    h2 = h1 @ mix + 3.0  # invertible linear map: all canonical correlations are 1
    for method in ("cholesky", "eigh"):
        loss = dcca_loss(h1, h2, reg=1e-8, method=method)
        np.testing.assert_allclose(loss.item(), -5.0, atol=1e-5)
    assert dcca_loss(h1, h2, reg=1e-8, out_dim=2).item() == pytest.approx(-2.0, abs=1e-5)
    # with the default ridge the correlations are slightly below one
    assert -5.0 < dcca_loss(h1, h2).item() < -4.9
    h3 = torch.tensor(rng.standard_normal((5000, 4)))
    h4 = torch.tensor(rng.standard_normal((5000, 4)))
    assert -0.2 < dcca_loss(h3, h4).item() <= 0.0


def test_gradients_finite_and_increase_correlation():
    torch.manual_seed(0)
    h1 = torch.randn(64, 8, requires_grad=True)
    h2 = torch.randn(64, 8, requires_grad=True)
    loss = dcca_loss(h1, h2)
    loss.backward()
    assert torch.isfinite(h1.grad).all() and torch.isfinite(h2.grad).all()
    # rank-deficient and constant inputs still give finite gradients
    for a in (torch.zeros(16, 4), torch.randn(16, 1).repeat(1, 4), torch.randn(3, 6)):
        a = a.clone().requires_grad_()
        b = torch.randn(a.shape[0], 5, requires_grad=True)
        dcca_loss(a, b).backward()
        assert torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all()
    # gradient descent on the loss increases the total correlation
    a = torch.randn(64, 4, requires_grad=True)
    b = torch.randn(64, 4)
    opt = torch.optim.SGD([a], lr=0.5)
    start = dcca_loss(a, b).item()
    for _ in range(20):
        opt.zero_grad()
        dcca_loss(a, b).backward()
        opt.step()
    assert dcca_loss(a, b).item() < start - 0.4


def test_autocast_and_dtypes():
    h1, h2 = torch.randn(32, 4), torch.randn(32, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = dcca_loss(h1.bfloat16(), h2.bfloat16())
    assert loss.dtype == torch.float32
    np.testing.assert_allclose(
        loss.item(),
        _reference(h1.bfloat16().double().numpy(), h2.bfloat16().double().numpy()),
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "h1, h2, kwargs, exc, match",
    [
        pytest.param((4,), (4, 2), {}, ValueError, "2-D", id="h1-1d"),
        pytest.param((4, 2), (5, 2), {}, ValueError, "same number of samples", id="n-mismatch"),
        pytest.param((1, 2), (1, 2), {}, ValueError, "at least 2", id="one-sample"),
        pytest.param((4, 2), (4, 3), dict(out_dim=3), ValueError, "out_dim", id="out_dim-too-big"),
        pytest.param((4, 2), (4, 3), dict(reg=-1), ValueError, "reg", id="reg-negative"),
        pytest.param((4, 2), (4, 3), dict(method="svd"), ValueError, "method", id="method-unknown"),
        pytest.param("numpy", (4, 2), {}, TypeError, "tensors", id="h1-numpy"),
    ],
)
def test_invalid_inputs(h1, h2, kwargs, exc, match):
    h1 = np.zeros((4, 2)) if h1 == "numpy" else torch.randn(*h1)
    with pytest.raises(exc, match=match):
        dcca_loss(h1, torch.randn(*h2), **kwargs)
