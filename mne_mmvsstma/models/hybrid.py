"""The MV-SSTMA hybrid block: causal temporal convolutions + channel attention.

One block maps tokens of shape ``(batch, n_chans, n_times, emb_dim)`` to the
same shape. It has ``len(kernel_sizes)`` branches (three in the paper: long,
medium and short kernels). Each branch is a causal convolution along the time
axis of every channel token, followed by batch normalisation and multi-head
self-attention across channels (one attention problem per sample, branch and
time step). The branch outputs are summed, added to the block input, and
normalised; a feed-forward network with its own residual connection and
normalisation follows.

All branches and time steps are computed with batched tensor operations:

* the branch convolutions, with the branch kernels stacked into one weight,
  are one matrix product with its block-Toeplitz (causal) matrix over the
  flattened time axis of every channel token (or one
  :func:`torch.nn.functional.conv1d` for long windows);
* batch normalisation of all branches is one :class:`torch.nn.BatchNorm1d`
  over the stacked branch features;
* attention is a single :func:`torch.nn.functional.scaled_dot_product_attention`
  call over ``batch * n_branches * n_times`` sequences of ``n_chans`` tokens
  (on CPU in eager mode, by default, the same computation in cache-sized
  chunks with a hand-written backward pass: the private kernel of
  ``models/_cpu_attention.py``, switched with
  :func:`~mne_mmvsstma.models.set_cpu_attention_kernel`);
* the branch sum is folded into one output projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..utils import check_int
from . import _cpu_attention
from ._utils import Dropout

__all__ = ["HybridBlock"]

#: longest window (time steps) whose branch convolutions are one block-Toeplitz
#: matrix product; longer ones use conv1d
TOEPLITZ_MAX_TIMES = 16


def _as_tuple(value, n: int, name: str) -> tuple[int, ...]:
    """Broadcast an int to an n-tuple of positive ints (or validate a sequence)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"HybridBlock: {name} must have {n} entries (one per branch), got {value}")
    for v in value:
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"HybridBlock: {name} must contain positive integers, got {value}")
    return value


class HybridBlock(nn.Module):
    r"""Hybrid spatial-temporal block of MV-SSTMA.

    Input and output are tokens of shape ``(batch, n_chans, n_times, emb_dim)``
    (one ``emb_dim`` token per channel and time step).

    For every branch :math:`b` with kernel size :math:`k_b` and dilation
    :math:`d_b`:

    .. math::

        Z_b = \mathrm{MHSA}_b\big(\mathrm{BN}_b(\mathrm{CausalConv}_b(X))\big),

    where ``CausalConv`` is a full (``emb_dim -> emb_dim``) convolution along
    time, applied to each channel token sequence with ``(k_b - 1) d_b`` zeros of
    left padding, so that the output at time :math:`t` depends on inputs at
    times :math:`\le t` only; ``BN`` is batch normalisation of the
    ``emb_dim`` features; and ``MHSA`` is multi-head self-attention across the
    channels at each time step, with ``n_heads`` heads of width ``head_dim``
    (inner dimension ``n_heads * head_dim`` projected back to ``emb_dim``).
    The block output is

    .. math::

        H = \mathrm{LN}_1\big(X + \mathrm{Dropout}(\textstyle\sum_b Z_b)\big),\quad
        Y = \mathrm{LN}_2\big(H + \mathrm{Dropout}(\mathrm{FFN}(H))\big),

    with ``FFN = Linear(emb_dim, ff_dim) -> activation -> Dropout ->
    Linear(ff_dim, emb_dim)``.

    Parameters
    ----------
    emb_dim : int
        Token width ``D`` (16 in the paper).
    n_heads : int
        Number of attention heads (6 in the paper).
    head_dim : int
        Width of each head. The paper's 6 heads do not divide ``D=16``, so the
        per-head width is a separate parameter (default 16).
    kernel_sizes : sequence of int
        Kernel size of each temporal branch, long to short. The paper does not
        give them; ``(7, 5, 3)`` is this package's choice.
    drop_prob : float
        Dropout probability on the attention and feed-forward residual
        branches and inside the feed-forward network. Attention probabilities
        are not dropped.
    activation : type of torch.nn.Module
        Activation class of the feed-forward network (instantiated without
        arguments).
    dilation : int | sequence of int
        Dilation of the temporal convolutions (one value, or one per branch).
        Default 1.
    ff_dim : int | None
        Hidden width of the feed-forward network; ``None`` means
        ``4 * emb_dim``.

    Notes
    -----
    *Causality.* In evaluation mode the block is strictly causal along time:
    perturbing inputs at times ``> t`` leaves outputs at times ``<= t``
    unchanged. In training mode batch normalisation uses statistics of the
    current batch (pooled over samples, channels and time steps), as any batch
    normalisation does.

    *Parameters.* Per branch: a convolution kernel ``(emb_dim, emb_dim, k)``
    without bias (the batch normalisation removes it), query, key and value
    projections ``(emb_dim, n_heads * head_dim)`` with query and value biases
    (a key bias only adds a per-query constant to the scores, which the
    softmax ignores), and an output projection ``(n_heads * head_dim,
    emb_dim)``; one output bias (per-branch output biases would only be
    summed).

    *Attention computation.* The attention is mathematically the usual
    multi-head attention with the per-branch projections above, evaluated in
    an equivalent, cheaper form: the products ``W_q,h W_k,h^T`` and
    ``W_v,h W_o,h`` of each head are formed once per call; keys and values are
    then the (normalised) branch tokens themselves, shared by all heads, so the
    queries of all heads can be stacked along the query axis of a single
    :func:`~torch.nn.functional.scaled_dot_product_attention` problem per
    sequence. Bias terms carry over exactly (query-key terms constant along
    the key axis cancel in the softmax; the value bias passes through because
    attention rows sum to one). Outputs and gradients with respect to all
    parameters equal those of the plain form up to floating-point rounding
    (the tests compare both). On CPU in eager mode without autocast the same
    form runs in a chunked kernel with its own backward pass (1.4-1.6x faster
    training at paper size, ``benchmarks/model.py``); one global switch,
    :func:`~mne_mmvsstma.models.set_cpu_attention_kernel`, turns it off.
    """

    def __init__(
        self,
        emb_dim: int = 16,
        n_heads: int = 6,
        head_dim: int = 16,
        kernel_sizes: Sequence[int] = (7, 5, 3),
        drop_prob: float = 0.1,
        activation: type[nn.Module] = nn.GELU,
        *,
        dilation: int | Sequence[int] = 1,
        ff_dim: int | None = None,
    ):
        super().__init__()
        for name, val in (("emb_dim", emb_dim), ("n_heads", n_heads), ("head_dim", head_dim)):
            check_int(val, f"HybridBlock: {name}")
        if not 0.0 <= float(drop_prob) < 1.0:
            raise ValueError(f"HybridBlock: drop_prob must be in [0, 1), got {drop_prob!r}")
        kernel_sizes = tuple(kernel_sizes)
        if len(kernel_sizes) == 0:
            raise ValueError("HybridBlock: kernel_sizes must contain at least one kernel size")
        kernel_sizes = _as_tuple(kernel_sizes, len(kernel_sizes), "kernel_sizes")
        dilations = _as_tuple(dilation, len(kernel_sizes), "dilation")
        ff_dim = 4 * emb_dim if ff_dim is None else int(ff_dim)
        if ff_dim < 1:
            raise ValueError(f"HybridBlock: ff_dim must be positive, got {ff_dim}")

        self.emb_dim = emb_dim
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.kernel_sizes = kernel_sizes
        self.dilations = dilations
        self.n_branches = len(kernel_sizes)
        self.drop_prob = float(drop_prob)
        # receptive field of each branch and of the stacked kernel
        self._fields = tuple((k - 1) * d + 1 for k, d in zip(kernel_sizes, dilations))
        self._field = max(self._fields)
        self._toeplitz_cache = {}  # (n_times, device) -> index (see _toeplitz_index)

        nb, D, E = self.n_branches, emb_dim, n_heads * head_dim
        # temporal convolutions, one weight per branch (out, in, kernel); no
        # bias: the batch normalisation that follows removes it.
        self.conv_weights = nn.ParameterList(
            [nn.Parameter(torch.empty(D, D, k)) for k in kernel_sizes]
        )
        self.norm_branches = nn.BatchNorm1d(nb * D)
        # per-branch attention projections (x @ W convention)
        self.q_weight = nn.Parameter(torch.empty(nb, D, E))
        self.k_weight = nn.Parameter(torch.empty(nb, D, E))
        self.v_weight = nn.Parameter(torch.empty(nb, D, E))
        # no key bias: it adds a per-query constant to the scores, which the
        # softmax ignores
        self.q_bias = nn.Parameter(torch.zeros(nb, E))
        self.v_bias = nn.Parameter(torch.zeros(nb, E))
        self.out_weight = nn.Parameter(torch.empty(nb, E, D))
        # one output bias: the per-branch biases would only be summed
        self.out_bias = nn.Parameter(torch.zeros(D))
        self.drop_attn = Dropout(drop_prob)
        self.norm_attn = nn.LayerNorm(D)
        self.ffn = nn.Sequential(
            nn.Linear(D, ff_dim),
            activation(),
            Dropout(drop_prob),
            nn.Linear(ff_dim, D),
        )
        self.drop_ffn = Dropout(drop_prob)
        self.norm_ffn = nn.LayerNorm(D)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise like :class:`torch.nn.Conv1d` and :class:`torch.nn.MultiheadAttention`."""
        for w in self.conv_weights:
            nn.init.kaiming_uniform_(w, a=math.sqrt(5))
        for w in (self.q_weight, self.k_weight, self.v_weight, self.out_weight):
            for b in range(self.n_branches):
                nn.init.xavier_uniform_(w.data[b])
        for b in (self.q_bias, self.v_bias, self.out_bias):
            nn.init.zeros_(b)

    def extra_repr(self) -> str:
        return (
            f"emb_dim={self.emb_dim}, n_heads={self.n_heads}, head_dim={self.head_dim}, "
            f"kernel_sizes={self.kernel_sizes}, dilations={self.dilations}"
        )

    def _stacked_conv_weight(self) -> torch.Tensor:
        """All branch kernels as one ``(n_branches * emb_dim, emb_dim, field)`` conv1d weight.

        Each branch kernel is dilated (zeros between taps) and left-padded
        with zeros to the largest receptive field, so that one causal
        convolution with left padding ``field - 1`` computes every branch.
        """
        R = self._field
        dense = []
        for w, k, d, r in zip(self.conv_weights, self.kernel_sizes, self.dilations, self._fields):
            if d > 1:  # insert d - 1 zeros after every tap, drop the trailing ones
                w = F.pad(w.unsqueeze(-1), (0, d - 1)).reshape(w.shape[0], w.shape[1], k * d)
                w = w[..., :r]
            dense.append(F.pad(w, (R - r, 0)))
        return torch.cat(dense, 0)

    def _toeplitz_index(self, n_times: int, device) -> torch.Tensor:
        """Index of the block-Toeplitz matrix of the stacked kernels (cached per length).

        Entry ``[t_in * D + d, t_out * n_branches * D + o]`` points into the
        flattened ``(n_branches * D, D, field)`` weight at tap
        ``field - 1 - (t_out - t_in)`` when ``0 <= t_out - t_in < field`` (a
        causal convolution), else at one extra zero appended to it.
        """
        key = (n_times, str(device))
        idx = self._toeplitz_cache.get(key)
        if idx is None:
            T, D, R = n_times, self.emb_dim, self._field
            n_out = self.n_branches * D
            t_in = torch.arange(T).view(T, 1, 1, 1)
            d = torch.arange(D).view(1, D, 1, 1)
            t_out = torch.arange(T).view(1, 1, T, 1)
            o = torch.arange(n_out).view(1, 1, 1, n_out)
            lag = t_out - t_in
            flat = (o * D + d) * R + (R - 1 - lag).clamp(0, R - 1)
            idx = torch.where((lag >= 0) & (lag < R), flat, n_out * D * R)
            idx = idx.reshape(T * D, T * n_out).to(device)
            if not (torch.compiler.is_compiling() or torch.compiler.is_exporting()):
                self._toeplitz_cache[key] = idx  # (graphs own their constants)
        return idx

    def causal_conv(self, x: torch.Tensor) -> torch.Tensor:
        """Apply all causal branch convolutions.

        For windows of at most :data:`TOEPLITZ_MAX_TIMES` time steps (T=10 in
        the paper) the convolution is one matrix product of every channel's
        flattened ``(n_times * emb_dim)`` token sequence with the block-Toeplitz
        matrix of the stacked kernels: no padding, transposes or copies, and a
        large matrix product, which is faster on CPU than a convolution kernel
        at these sizes although half of the matrix is zeros. Longer windows use
        :func:`torch.nn.functional.conv1d` over the time axis.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)

        Returns
        -------
        torch.Tensor, shape (batch, n_chans, n_times, n_branches * emb_dim)
            Branch ``b`` occupies features ``b * emb_dim:(b + 1) * emb_dim``.
        """
        B, C, T, D = x.shape
        weight = self._stacked_conv_weight().to(x.dtype)
        if T <= TOEPLITZ_MAX_TIMES:
            padded = torch.cat([weight.reshape(-1), weight.new_zeros(1)])
            toeplitz = padded[self._toeplitz_index(T, x.device)]
            return torch.matmul(x.reshape(B, C, T * D), toeplitz).view(B, C, T, -1)
        seqs = x.reshape(B * C, T, D).transpose(1, 2)  # (B * C, D, T)
        # causal: zeros before the first time step
        out = F.conv1d(F.pad(seqs, (self._field - 1, 0)), weight)
        return out.transpose(1, 2).reshape(B, C, T, -1)

    def _attention(self, z: torch.Tensor) -> torch.Tensor:
        """Multi-head attention across channels for every branch and time step.

        ``z`` is ``(batch, n_chans, n_times, n_branches * emb_dim)``; returns the
        sum over branches of the attention outputs, ``(batch, n_chans, n_times,
        emb_dim)`` (without the output bias).
        """
        B, C, T, _ = z.shape
        nb, D, H, hd = self.n_branches, self.emb_dim, self.n_heads, self.head_dim
        # (nb, B * T, C, D): one sequence over channels for every (branch, b, t)
        zb = z.reshape(B, C, T, nb, D).permute(3, 0, 2, 1, 4).reshape(nb, B * T, C, D)
        # scores_h = (z W_q,h + b_q,h)(z W_k,h + b_k,h)^T
        #          = (z W_q,h W_k,h^T + b_q,h W_k,h^T) z^T + (constant along keys)
        scale = hd**-0.5
        wq = self.q_weight.view(nb, D, H, hd)
        wk = self.k_weight.view(nb, D, H, hd)
        m = torch.einsum("bdhe,bfhe->bdhf", wq, wk).reshape(nb, D, H * D) * scale
        u = torch.einsum("bhe,bfhe->bhf", self.q_bias.view(nb, H, hd), wk).reshape(nb, H * D)
        u = u * scale
        # output = sum_h (P_h z) W_v,h W_o,h  (+ value bias, see _value_bias)
        wv = self.v_weight.view(nb, D, H, hd)
        wo = self.out_weight.view(nb, H, hd, D)
        w = torch.einsum("bdhe,bhef->bhdf", wv, wo).reshape(nb, H * D, D)
        m, u, w = m.to(zb.dtype), u.to(zb.dtype), w.to(zb.dtype)
        if _cpu_attention.applies(zb):
            out = _cpu_attention.chunked_attention(self, zb, m, u, w)
        else:
            # heads stacked along the query axis: C * H queries, C shared keys
            q = torch.matmul(zb.reshape(nb, B * T * C, D), m) + u.unsqueeze(1)
            q = q.view(nb * B * T, 1, C * H, D)
            kv = zb.reshape(nb * B * T, 1, C, D)
            o = F.scaled_dot_product_attention(q, kv, kv, scale=1.0)
            out = torch.matmul(o.view(nb, B * T * C, H * D), w).sum(0)
        return out.view(B, T, C, D).transpose(1, 2)

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Attention probabilities across channels, for inspection.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)
            Block input.

        Returns
        -------
        torch.Tensor, shape (batch, n_branches, n_times, n_heads, n_chans, n_chans)
            ``[b, r, t, h, i, j]`` is the weight of channel ``j`` in the
            output of channel ``i`` (head ``h`` of branch ``r`` at time ``t``);
            every row sums to one.
        """
        B, C, T, _ = x.shape
        nb, D, H, hd = self.n_branches, self.emb_dim, self.n_heads, self.head_dim
        z = self.causal_conv(x)
        z = self.norm_branches(z.reshape(B * C * T, -1)).view(B, C, T, nb, D)
        z = z.permute(0, 3, 2, 1, 4)  # (B, nb, T, C, D)
        q = torch.einsum("brtcd,rde->brtce", z, self.q_weight) + self.q_bias[:, None, None]
        k = torch.einsum("brtcd,rde->brtce", z, self.k_weight)
        q = q.reshape(B, nb, T, C, H, hd).transpose(3, 4)
        k = k.reshape(B, nb, T, C, H, hd).transpose(3, 4)
        return torch.softmax(q @ k.transpose(-1, -2) * hd**-0.5, dim=-1)

    def _value_bias(self) -> torch.Tensor:
        """Output bias including the value biases of the fused form."""
        nb, H, hd = self.n_branches, self.n_heads, self.head_dim
        vb = self.v_bias.view(nb, H, hd)
        wo = self.out_weight.view(nb, H, hd, self.emb_dim)
        return self.out_bias + torch.einsum("bhe,bhef->f", vb, wo)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)

        Returns
        -------
        torch.Tensor, shape (batch, n_chans, n_times, emb_dim)
        """
        if x.ndim != 4 or x.shape[-1] != self.emb_dim:
            raise ValueError(
                "HybridBlock: expected input of shape (batch, n_chans, n_times, "
                f"emb_dim={self.emb_dim}), got {tuple(x.shape)}"
            )
        B, C, T, D = x.shape
        z = self.causal_conv(x)
        z = self.norm_branches(z.reshape(B * C * T, -1)).view(B, C, T, -1)
        a = self._attention(z) + self._value_bias().to(z.dtype)
        h = self.norm_attn(x + self.drop_attn(a))
        return self.norm_ffn(h + self.drop_ffn(self.ffn(h)))
