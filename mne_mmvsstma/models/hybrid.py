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

* the branch convolutions are one matrix product over an unfolded (causally
  left-padded) time axis, with the branch kernels stacked into one weight;
* batch normalisation of all branches is one :class:`torch.nn.BatchNorm1d`
  over the stacked branch features;
* attention is a single :func:`torch.nn.functional.scaled_dot_product_attention`
  call over ``batch * n_branches * n_times`` sequences of ``n_chans`` tokens
  (on CPU, by default, the same batched computation in cache-sized chunks
  with a hand-written backward pass, see :class:`HybridBlock`);
* the branch sum is folded into one output projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["HybridBlock"]


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


_POOL_SIZE = 2  # attention buffers (of possibly different shapes) kept per block


class _BufferPool(list):
    """List of reusable attention buffers; never copied or pickled with its module."""

    def __deepcopy__(self, memo):
        return _BufferPool()

    def __reduce__(self):
        return (_BufferPool, ())


def _pool_take(pool, p_shape, o_shape, like):
    """Reuse a pooled ``(probs, heads)`` buffer pair of these shapes, or allocate one.

    Large fresh CPU allocations are returned to the operating system when
    freed, and touching new pages is expensive; reusing the buffers of the
    previous training step avoids that.
    """
    for i, (p, o) in enumerate(pool):
        if p.shape == p_shape and o.shape == o_shape and p.dtype == like.dtype:
            del pool[i]
            return p, o
    return like.new_empty(p_shape), like.new_empty(o_shape)


class _ChunkedChannelAttention(torch.autograd.Function):
    """Fused-form channel attention for CPU, evaluated in cache-sized chunks.

    Inputs: ``z`` ``(n_branches, n_seq, C, D)`` branch tokens (keys = values),
    ``m`` ``(n_branches, D, H * D)`` and ``u`` ``(n_branches, H * D)`` the
    (pre-scaled) query maps ``q = z m + u``, ``w`` ``(n_branches, H * D, D)``
    the combined value-output maps. Output ``(n_seq, C, D)``: the sum over
    branches and heads of ``softmax(q_h z^T) z W_h``.

    Queries of all heads are stacked along the query axis (``C * H`` rows per
    sequence), so one batched matrix product gives every head's scores.
    Scores are computed chunk by chunk (``chunk`` sequences at a time) so that
    they stay in cache. With a buffer ``pool`` (training), the attention
    probabilities and head outputs are kept in (reused) buffers for the
    backward pass; without (``pool=None``) nothing is kept and the backward
    pass recomputes them chunk by chunk, as flash attention does.
    """

    @staticmethod
    def forward(ctx, z, m, u, w, chunk, pool):
        nb, S, C, D = z.shape
        HD = m.shape[2]
        keep = pool is not None
        out = z.new_zeros(S, C, D)
        probs = heads = None
        if keep:
            probs, heads = _pool_take(pool, (nb, S, C * HD // D, C), (nb, S, C * HD // D, D), z)
        for b in range(nb):
            q = torch.addmm(u[b], z[b].reshape(S * C, D), m[b]).view(S, -1, D)
            for s0 in range(0, S, chunk):
                s1 = min(s0 + chunk, S)
                zc = z[b, s0:s1]
                scores = torch.bmm(q[s0:s1], zc.transpose(1, 2))
                if keep:
                    p = torch.ops.aten._softmax.out(scores, -1, False, out=probs[b, s0:s1])
                    torch.bmm(p, zc, out=heads[b, s0:s1])
                else:
                    o = torch.bmm(torch.softmax(scores, dim=-1), zc)
                    out[s0:s1].view(-1, D).addmm_(o.view(-1, HD), w[b])
            if keep:
                out.view(S * C, D).addmm_(heads[b].view(S * C, HD), w[b])
        ctx.save_for_backward(z, m, u, w, probs, heads)
        ctx.chunk = chunk
        ctx.pool = pool
        ctx.released = False
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        z, m, u, w, probs, heads = ctx.saved_tensors
        keep = ctx.pool is not None
        if keep and ctx.released:
            # second backward through a retained graph: the buffers went back
            # to the pool after the first one; reclaim them if still unused
            for i, entry in enumerate(ctx.pool):
                if entry[0] is probs:
                    del ctx.pool[i]
                    break
            else:  # pragma: no cover (autograd's version check fires first)
                raise RuntimeError(
                    "HybridBlock (chunked CPU attention): the attention buffers of this graph "
                    "were reused by a later forward pass; a second backward through it "
                    "(retain_graph=True) needs attention_backend='sdpa'"
                )
        chunk = ctx.chunk
        nb, S, C, D = z.shape
        HD = m.shape[2]
        grad = grad.contiguous().view(S * C, D)
        dz = torch.empty_like(z)
        dm, du, dw = torch.empty_like(m), torch.empty_like(u), torch.empty_like(w)
        dq = z.new_empty(S * C, HD)
        for b in range(nb):
            zf = z[b].reshape(S * C, D)
            q = torch.addmm(u[b], zf, m[b]).view(S, -1, D)
            do = torch.mm(grad, w[b].t())  # (S * C, HD)
            if keep:
                o = heads[b].view(S * C, HD)
                torch.mm(o.t(), grad, out=dw[b])
                delta = (do * o).view(S, -1, D).sum(-1, keepdim=True)
            else:
                dw[b].zero_()
            do = do.view(S, -1, D)
            dqb = dq.view(S, -1, D)
            for s0 in range(0, S, chunk):
                s1 = min(s0 + chunk, S)
                zc, qc, doc = z[b, s0:s1], q[s0:s1], do[s0:s1]
                if keep:
                    p, dlt = probs[b, s0:s1], delta[s0:s1]
                else:
                    p = torch.softmax(torch.bmm(qc, zc.transpose(1, 2)), dim=-1)
                    o = torch.bmm(p, zc)
                    dw[b].addmm_(o.view(-1, HD).t(), grad.view(S, C, D)[s0:s1].reshape(-1, D))
                    dlt = (doc * o).sum(-1, keepdim=True)
                ds = torch.bmm(doc, zc.transpose(1, 2)).sub_(dlt).mul_(p)
                torch.bmm(ds, zc, out=dqb[s0:s1])
                dzc = torch.bmm(ds.transpose(1, 2), qc, out=dz[b, s0:s1])
                dzc.baddbmm_(p.transpose(1, 2), doc)
            dz[b].view(S * C, D).addmm_(dq, m[b].t())
            torch.mm(zf.t(), dq, out=dm[b])
            torch.sum(dq, dim=0, out=du[b])
        if keep:
            ctx.released = True
            ctx.pool.append((probs, heads))
            del ctx.pool[:-_POOL_SIZE]
        return dz, dm, du, dw, None, None


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
    fused_attention : bool | None
        Evaluate attention in the fused form described in the notes
        (``None``: when ``head_dim >= emb_dim``).
    attention_backend : ``"auto"`` | ``"sdpa"`` | ``"chunked"``
        Kernel of the fused form. ``"sdpa"``: one
        :func:`~torch.nn.functional.scaled_dot_product_attention` call over
        all ``batch * n_branches * n_times`` sequences. ``"chunked"``: a
        custom autograd function computing the same attention with batched
        matrix products over cache-sized chunks of sequences (faster on CPU
        for these small heads, see the notes). ``"auto"``: ``"chunked"`` on
        CPU in eager mode without autocast, ``"sdpa"`` otherwise (CUDA,
        autocast, :func:`torch.compile`, :func:`torch.export.export`).

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
    multi-head attention with the per-branch projections above. When
    ``head_dim >= emb_dim`` it is evaluated in an equivalent, cheaper form:
    the products ``W_q,h W_k,h^T`` and ``W_v,h W_o,h`` of each head are
    formed once per call; keys and values are then the (normalised) branch
    tokens themselves, shared by all heads, so the queries of all heads can
    be stacked along the query axis of a single attention problem per
    sequence. Bias terms carry over exactly (query-key terms constant along
    the key axis cancel in the softmax; the value bias passes through because
    attention rows sum to one). Outputs and gradients with respect to all
    parameters equal those of the plain form up to floating-point rounding;
    ``fused_attention=False`` uses the plain form (one
    :func:`~torch.nn.functional.scaled_dot_product_attention` call with
    ``n_heads`` heads of width ``head_dim``).

    *CPU kernel.* ``attention_backend="chunked"`` computes scores, softmax
    and weighted sums chunk by chunk (``chunk_elements`` attention scores at
    a time). In training it keeps the attention probabilities for the
    backward pass in buffers that are reused from one step to the next
    (fresh multi-megabyte allocations are slow on CPU); the buffers of a
    block are released by ``block.eval()``. Above ``keep_bytes`` (1 GiB by
    default) per block and call nothing is kept and the backward pass
    recomputes the probabilities chunk by chunk, as flash attention does.
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
        fused_attention: bool | None = None,
        attention_backend: str = "auto",
    ):
        super().__init__()
        for name, val in (("emb_dim", emb_dim), ("n_heads", n_heads), ("head_dim", head_dim)):
            if not isinstance(val, int) or isinstance(val, bool) or val < 1:
                raise ValueError(f"HybridBlock: {name} must be a positive int, got {val!r}")
        if not 0.0 <= float(drop_prob) < 1.0:
            raise ValueError(f"HybridBlock: drop_prob must be in [0, 1), got {drop_prob!r}")
        kernel_sizes = tuple(kernel_sizes)
        if len(kernel_sizes) == 0:
            raise ValueError("HybridBlock: kernel_sizes must contain at least one kernel size")
        kernel_sizes = _as_tuple(kernel_sizes, len(kernel_sizes), "kernel_sizes")
        dilations = _as_tuple(dilation, len(kernel_sizes), "dilation")
        if attention_backend not in ("auto", "sdpa", "chunked"):
            raise ValueError(
                "HybridBlock: attention_backend must be 'auto', 'sdpa' or 'chunked', "
                f"got {attention_backend!r}"
            )
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
        self.fused_attention = (
            (head_dim >= emb_dim) if fused_attention is None else bool(fused_attention)
        )
        self.attention_backend = attention_backend
        #: largest attention-probability buffer (bytes) kept for the backward
        #: pass by the chunked CPU kernel; larger ones are recomputed
        self.keep_bytes = 1 << 30
        self._buffer_pool = _BufferPool()
        #: attention-score elements per chunk of the chunked CPU kernel
        self.chunk_elements = 1 << 21

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
        self.drop_attn = nn.Dropout(drop_prob)
        self.norm_attn = nn.LayerNorm(D)
        self.ffn = nn.Sequential(
            nn.Linear(D, ff_dim),
            activation(),
            nn.Dropout(drop_prob),
            nn.Linear(ff_dim, D),
        )
        self.drop_ffn = nn.Dropout(drop_prob)
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

    def train(self, mode: bool = True):
        """Set training mode; leaving it releases the CPU attention buffers."""
        if not mode:
            self._buffer_pool.clear()
        return super().train(mode)

    def extra_repr(self) -> str:
        return (
            f"emb_dim={self.emb_dim}, n_heads={self.n_heads}, head_dim={self.head_dim}, "
            f"kernel_sizes={self.kernel_sizes}, dilations={self.dilations}, "
            f"fused_attention={self.fused_attention}"
        )

    def _stacked_conv_weight(self) -> torch.Tensor:
        """All branch kernels as one ``(emb_dim * field, n_branches * emb_dim)`` matrix.

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
        weight = torch.stack(dense, 0)  # (nb, D_out, D_in, R)
        return weight.permute(2, 3, 0, 1).reshape(self.emb_dim * R, self.n_branches * self.emb_dim)

    def causal_conv(self, x: torch.Tensor) -> torch.Tensor:
        """Apply all causal branch convolutions.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)

        Returns
        -------
        torch.Tensor, shape (batch, n_chans, n_times, n_branches * emb_dim)
            Branch ``b`` occupies features ``b * emb_dim:(b + 1) * emb_dim``.
        """
        B, C, T, D = x.shape
        R = self._field
        weight = self._stacked_conv_weight().to(x.dtype)
        xp = F.pad(x, (0, 0, R - 1, 0))  # causal: zeros before the first time step
        cols = xp.unfold(2, R, 1)  # (B, C, T, D, R): window ending at t
        return torch.matmul(cols.reshape(B, C, T, D * R), weight)

    def _use_chunked(self, z: torch.Tensor) -> bool:
        if self.attention_backend == "sdpa" or not self.fused_attention:
            return False
        if self.attention_backend == "chunked":
            return True
        # "auto": the chunked kernel on CPU in eager mode without autocast
        return (
            z.device.type == "cpu"
            and not torch.compiler.is_compiling()
            and not torch.compiler.is_exporting()
            and not torch.is_autocast_enabled("cpu")
        )

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
        scale = hd**-0.5
        if self.fused_attention:
            # scores_h = (z W_q,h + b_q,h)(z W_k,h + b_k,h)^T
            #          = (z W_q,h W_k,h^T + b_q,h W_k,h^T) z^T + (constant along keys)
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
            if self._use_chunked(zb):
                chunk = max(1, -(-self.chunk_elements // (C * C * H)))
                needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (zb, m, u, w))
                # keep attention probabilities for the backward pass when they
                # fit in the memory budget, else recompute them there
                n_bytes = (zb.numel() // D) * H * (C + D) * zb.element_size()
                keep = needs_grad and n_bytes <= self.keep_bytes
                pool = self._buffer_pool if keep else None
                out = _ChunkedChannelAttention.apply(zb, m, u, w, chunk, pool)
            else:
                # heads stacked along the query axis: C * H queries, C shared keys
                q = torch.matmul(zb.view(nb, B * T * C, D), m) + u.unsqueeze(1)
                q = q.view(nb * B * T, 1, C * H, D)
                kv = zb.view(nb * B * T, 1, C, D)
                o = F.scaled_dot_product_attention(q, kv, kv, scale=1.0)
                out = torch.matmul(o.view(nb, B * T * C, H * D), w).sum(0)
            return out.view(B, T, C, D).transpose(1, 2)
        w_qkv = torch.cat([self.q_weight, self.k_weight, self.v_weight], dim=2).to(zb.dtype)
        b_qkv = torch.cat([self.q_bias, torch.zeros_like(self.q_bias), self.v_bias], dim=1).to(
            zb.dtype
        )
        qkv = torch.matmul(zb.view(nb, B * T * C, D), w_qkv) + b_qkv.unsqueeze(1)
        qkv = qkv.view(nb * B * T, C, 3, H, hd).permute(2, 0, 3, 1, 4)  # (3, N, H, C, hd)
        o = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], scale=scale)
        o = o.view(nb, B * T, H, C, hd).permute(0, 1, 3, 2, 4).reshape(nb, B * T * C, H * hd)
        out = torch.matmul(o, self.out_weight.to(o.dtype)).sum(0)
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
        if not self.fused_attention:
            return self.out_bias
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
