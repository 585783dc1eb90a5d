"""HybridBlock: shapes, causality, attention equivalences, gradients."""

import contextlib
import copy
import pickle

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from mne_mmvsstma.models import HybridBlock, _cpu_attention, set_cpu_attention_kernel


@contextlib.contextmanager
def cpu_kernel(enabled):
    before = _cpu_attention._ENABLED
    set_cpu_attention_kernel(enabled)
    try:
        yield
    finally:
        set_cpu_attention_kernel(before)


@pytest.fixture(params=[True, False], ids=["cpu-kernel", "sdpa"])
def kernel(request):
    """The chunked CPU kernel on, or off (the SDPA call)."""
    with cpu_kernel(request.param):
        yield request.param




def _block(**kwargs):
    torch.manual_seed(0)
    params = dict(emb_dim=8, n_heads=2, head_dim=8, drop_prob=0.0)
    params.update(kwargs)
    return HybridBlock(**params)


def _randomise_biases(block):
    with torch.no_grad():
        for p in (block.q_bias, block.v_bias, block.out_bias):
            p.normal_()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        dict(kernel_sizes=(3,), dilation=2),
        dict(kernel_sizes=(9, 4, 2, 1), dilation=(1, 2, 3, 1)),
        dict(emb_dim=12, n_heads=3, head_dim=4, ff_dim=7),  # head_dim < emb_dim
        dict(activation=nn.ReLU, drop_prob=0.3),
    ],
)
def test_shapes(kwargs, kernel):
    block = _block(**kwargs)
    D = block.emb_dim
    for shape in [(3, 5, 4, D), (1, 2, 1, D), (2, 7, 12, D)]:
        x = torch.randn(shape)
        assert block(x).shape == shape
        block.eval()
        assert block(x).shape == shape
        block.train()


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        pytest.param(dict(emb_dim=0), ValueError, "emb_dim", id="emb_dim-zero"),
        pytest.param(dict(kernel_sizes=()), ValueError, "kernel_sizes", id="kernel_sizes-empty"),
        pytest.param(
            dict(kernel_sizes=(3, 3), dilation=(1, 2, 3)),
            ValueError,
            "dilation",
            id="dilation-length-mismatch",
        ),
        pytest.param(dict(drop_prob=1.0), ValueError, "drop_prob", id="drop_prob-one"),
        # a global switch now (set_cpu_attention_kernel), not a parameter
        pytest.param(
            dict(attention_backend="sdpa"),
            TypeError,
            "attention_backend",
            id="attention_backend-removed",
        ),
    ],
)
def test_invalid_parameters(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        HybridBlock(**kwargs)


def test_wrong_embedding_size():
    with pytest.raises(ValueError, match=r"emb_dim=16\)"):
        HybridBlock()(torch.randn(2, 3, 4, 8))


@pytest.mark.parametrize("dilation", [1, 2])
def test_causal(kernel, dilation):
    """Perturbing time steps > t leaves the outputs at times <= t unchanged."""
    block = _block(kernel_sizes=(5, 3, 2), dilation=dilation)
    _randomise_biases(block)
    block.eval()
    x = torch.randn(2, 6, 9, 8)
    y = block(x)
    for t in range(9):
        x2 = x.clone()
        x2[:, :, t + 1 :] += 10 * torch.randn_like(x2[:, :, t + 1 :])
        y2 = block(x2)
        torch.testing.assert_close(y2[:, :, : t + 1], y[:, :, : t + 1])
        if t < 8:  # the future does change the future
            assert not torch.allclose(y2[:, :, t + 1 :], y[:, :, t + 1 :])


@pytest.mark.parametrize("n_times", [1, 11, 16, 17, 40])  # block-Toeplitz up to 16, conv1d after
def test_causal_conv_matches_conv1d(n_times):
    """The stacked-kernel convolution equals per-branch causal Conv1d, values and gradients."""
    from mne_mmvsstma.models.hybrid import TOEPLITZ_MAX_TIMES

    assert TOEPLITZ_MAX_TIMES == 16
    block = _block(kernel_sizes=(5, 3, 2), dilation=(1, 2, 3)).double()
    x = torch.randn(2, 3, n_times, 8, dtype=torch.float64, requires_grad=True)
    out = block.causal_conv(x)
    seq = x.permute(0, 1, 3, 2).reshape(6, 8, n_times)  # (B*C, D, T)
    refs = []
    for w, k, d in zip(block.conv_weights, (5, 3, 2), (1, 2, 3)):
        ref = F.conv1d(F.pad(seq, ((k - 1) * d, 0)), w, dilation=d)  # (B*C, D, T)
        refs.append(ref.reshape(2, 3, 8, n_times).permute(0, 1, 3, 2))
    ref = torch.cat(refs, dim=-1)
    torch.testing.assert_close(out, ref)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, [x, *block.conv_weights], g)
    ref_grads = torch.autograd.grad(ref, [x, *block.conv_weights], g)
    for a, b in zip(grads, ref_grads):
        torch.testing.assert_close(a, b)
    # the index of each window length is built once
    assert set(block._toeplitz_cache) == ({(n_times, "cpu")} if n_times <= 16 else set())


def _reference_block(block, x):
    """The plain form: per-branch, per-time-step multi-head attention with q, k, v, o."""
    B, C, T, D = x.shape
    H, hd = block.n_heads, block.head_dim
    z = block.norm_branches(block.causal_conv(x).reshape(B * C * T, -1)).view(B, C, T, -1)
    total = torch.zeros_like(x)
    for b in range(block.n_branches):
        for t in range(T):
            zt = z[:, :, t, b * D : (b + 1) * D]  # (B, C, D)
            q = (zt @ block.q_weight[b] + block.q_bias[b]).view(B, C, H, hd).transpose(1, 2)
            k = (zt @ block.k_weight[b]).view(B, C, H, hd).transpose(1, 2)
            v = (zt @ block.v_weight[b] + block.v_bias[b]).view(B, C, H, hd).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) / hd**0.5, dim=-1)
            o = (att @ v).transpose(1, 2).reshape(B, C, H * hd)
            total[:, :, t] += o @ block.out_weight[b]
    h = block.norm_attn(x + total + block.out_bias)
    return block.norm_ffn(h + block.ffn(h))


@pytest.mark.parametrize("kwargs", [{}, dict(emb_dim=8, n_heads=3, head_dim=4)])
def test_matches_plain_reference(kernel, kwargs):
    block = _block(**kwargs).double()
    _randomise_biases(block)
    x = torch.randn(3, 5, 6, 8, dtype=torch.float64)
    for mode in (True, False):  # batch statistics, then running statistics
        block.train(mode)
        torch.testing.assert_close(block(x), _reference_block(block, x))


def test_kernel_and_sdpa_agree_with_gradients(monkeypatch):
    """Chunked CPU kernel (keeping or recomputing probabilities) vs SDPA vs the plain form."""
    block = _block().double()
    _randomise_biases(block)
    x = torch.randn(4, 7, 5, 8, dtype=torch.float64)
    weight = torch.randn(4, 7, 5, 8, dtype=torch.float64)

    def run(forward):
        block.zero_grad()
        xx = x.clone().requires_grad_()
        y = forward(xx)
        (y * weight).sum().backward()
        grads = [xx.grad] + [p.grad for p in block.parameters()]
        assert all(g is not None and torch.isfinite(g).all() for g in grads)
        return y.detach(), grads

    y0, g0 = run(lambda xx: _reference_block(block, xx))
    for enabled, keep in ((True, 1 << 30), (True, 0), (False, 1 << 30)):
        monkeypatch.setattr(_cpu_attention, "KEEP_BYTES", keep)
        with cpu_kernel(enabled):
            y, grads = run(block)
        torch.testing.assert_close(y, y0)
        for g, ref in zip(grads, g0):
            torch.testing.assert_close(g, ref)


@pytest.mark.parametrize("shape", [(1, 5, 4), (1, 1, 1), (2, 1, 3), (1, 62, 1)])
def test_batch_of_one_trains(kernel, shape):
    """Training batches of one window (or one channel / time step) run forward and backward."""
    block = _block()
    x = torch.randn(*shape, 8, requires_grad=True)
    if shape[0] * shape[1] * shape[2] == 1:  # batch norm needs more than one value
        block.norm_branches.eval()
    block(x).sum().backward()
    assert x.grad.shape == x.shape and torch.isfinite(x.grad).all()


def test_chunked_kernel_gradcheck(monkeypatch):
    block = _block(emb_dim=4, n_heads=2, head_dim=4, kernel_sizes=(2, 1)).double()
    monkeypatch.setattr(_cpu_attention, "CHUNK_ELEMENTS", 8)  # several chunks, one partial
    _randomise_biases(block)
    block.eval()
    x = torch.randn(2, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    with cpu_kernel(True):
        assert torch.autograd.gradcheck(block, (x,))
        monkeypatch.setattr(_cpu_attention, "KEEP_BYTES", 0)
        assert torch.autograd.gradcheck(block, (x,))


def test_chunked_kernel_buffers():
    pools = _cpu_attention._POOLS
    block = _block()
    x = torch.randn(2, 5, 4, 8, requires_grad=True)
    with cpu_kernel(True):
        block(x).sum().backward()
        assert len(pools[block]) == 1
        probs = pools[block][0][0]
        block(x).sum().backward()  # reuses the pooled buffers
        assert len(pools[block]) == 1 and pools[block][0][0] is probs
        # retained graph: a second backward still works
        x.grad = None
        y = block(x)
        y.sum().backward(retain_graph=True)
        g = x.grad.clone()
        y.sum().backward()
        torch.testing.assert_close(x.grad, 2 * g)
        # the pool is neither copied nor pickled with the block
        assert copy.deepcopy(block) not in pools
        assert pickle.loads(pickle.dumps(block)) not in pools
        # evaluation without gradients releases it, and so does dropping the block
        with torch.no_grad():
            block(x)
        assert block not in pools
        del y
        block(x).sum().backward()
        assert block in pools
        n = len(pools)
        del block
        assert len(pools) == n - 1
    with cpu_kernel(False):  # the switch: no kernel, no buffers
        other = _block()
        other(x).sum().backward()
        assert other not in pools


def test_attention_weights(kernel):
    """Attention rows sum to one, and they reproduce the block's attention output."""
    block = _block().double().eval()
    _randomise_biases(block)
    B, C, T, D = 2, 6, 3, 8
    x = torch.randn(B, C, T, D, dtype=torch.float64)
    att = block.attention_weights(x)
    assert att.shape == (B, 3, T, 2, C, C)
    assert (att >= 0).all()
    torch.testing.assert_close(att.sum(-1), torch.ones(B, 3, T, 2, C, dtype=torch.float64))
    # sum_branches sum_heads att @ (z W_v + b_v) W_o + b_o = the block's attention output
    z = block.norm_branches(block.causal_conv(x).reshape(B * C * T, -1)).view(B, C, T, 3, D)
    expected = torch.zeros(B, C, T, D, dtype=torch.float64) + block.out_bias
    for r in range(3):
        v = (z[:, :, :, r] @ block.v_weight[r] + block.v_bias[r]).view(B, C, T, 2, 8)
        v = v.permute(0, 2, 3, 1, 4)  # (B, T, H, C, hd)
        o = (att[:, r] @ v).permute(0, 3, 1, 2, 4).reshape(B, C, T, 16)
        expected += o @ block.out_weight[r]
    with torch.no_grad():
        actual = block._attention(z.reshape(B, C, T, -1)) + block._value_bias()
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("dtype, p", [(torch.float32, 0.25), (torch.float64, 0.25),
                                      (torch.float32, 0.1)])
def test_dropout_mask_and_gradient(dtype, p):
    """The CPU dropout keeps each element with probability 1 - p, scaled by 1 / (1 - p).

    p is rounded to a multiple of 2**-15 (exact for 0.25; 0.1 -> 3277 / 32768).
    """
    from mne_mmvsstma.models._utils import Dropout

    drop = Dropout(p).train()
    p = round(p * 32768) / 32768
    x = torch.rand(200_000, dtype=dtype) + 1.0  # no zeros of its own
    x.requires_grad_(True)
    torch.manual_seed(0)
    y = drop(x)
    kept = y != 0
    # kept fraction within 5 binomial standard deviations of 1 - p
    sd = (p * (1 - p) / x.numel()) ** 0.5
    assert abs(kept.double().mean().item() - (1 - p)) < 5 * sd
    torch.testing.assert_close(y[kept], x[kept] / (1 - p))
    y.sum().backward()
    expected = kept.to(dtype) / (1 - p)
    torch.testing.assert_close(x.grad, expected)
    # the same draws from the same seed; a different mask from another seed
    torch.manual_seed(0)
    assert torch.equal(drop(x.detach()), y.detach())
    torch.manual_seed(1)
    assert not torch.equal(drop(x.detach()) != 0, kept)
    # independent elements: the masks of two halves are uncorrelated
    a, b = kept[::2].double(), kept[1::2].double()
    assert abs(torch.corrcoef(torch.stack([a, b]))[0, 1].item()) < 0.02
    # an odd number of elements (half a draw left over) and a non-contiguous input
    ones = torch.ones(7, 5, 3, dtype=dtype).transpose(0, 2)
    y = drop(ones)
    assert y.shape == (3, 5, 7)
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / (1 - p)))


def test_dropout_falls_back_to_torch():
    """Evaluation mode is the identity; p=0 / p=1, in-place and other dtypes use nn.Dropout."""
    from mne_mmvsstma.models._utils import Dropout

    x = torch.randn(1000)
    assert torch.equal(Dropout(0.5).eval()(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)
    assert torch.equal(Dropout(1.0).train()(x), torch.zeros_like(x))
    torch.manual_seed(3)
    ref = F.dropout(x, 0.3, training=True)
    torch.manual_seed(3)
    assert torch.equal(Dropout(0.3, inplace=True).train()(x.clone()), ref)
    xh = x.to(torch.bfloat16)
    torch.manual_seed(3)
    ref = F.dropout(xh, 0.3, training=True)
    torch.manual_seed(3)
    assert torch.equal(Dropout(0.3).train()(xh), ref)
    assert isinstance(HybridBlock().drop_attn, Dropout)
