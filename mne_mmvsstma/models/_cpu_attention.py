"""The hybrid block's channel attention on CPU, evaluated in cache-sized chunks.

A private kernel behind one global switch (:func:`set_cpu_attention_kernel`,
as timm's ``set_fused_attn``). It computes exactly the fused form of
:meth:`HybridBlock._attention <mne_mmvsstma.models.HybridBlock>` with
batched matrix products over chunks of sequences and a hand-written backward
pass, and keeps the attention probabilities for the backward pass in buffers
reused from one training step to the next (fresh multi-megabyte allocations are
slow on CPU). Above :data:`KEEP_BYTES` per block and call nothing is kept and
the backward pass recomputes the probabilities chunk by chunk, as flash
attention does.

It stays because ``benchmarks/model.py`` measures it 1.4-1.6x faster end to end
than the same fused form on :func:`torch.nn.functional.scaled_dot_product_attention`
at paper size on CPU (benchmarks/README.md). It is used only on CPU, in eager
mode, without autocast; everywhere else (CUDA, autocast, ``torch.compile``,
``torch.export``) the block calls ``scaled_dot_product_attention``.
"""

from __future__ import annotations

import weakref

import torch

__all__ = ["set_cpu_attention_kernel"]

_ENABLED = True
#: largest attention-probability buffer (bytes) kept per block and call for the
#: backward pass; larger ones are recomputed there
KEEP_BYTES = 1 << 30
#: attention-score elements per chunk
CHUNK_ELEMENTS = 1 << 21
# reusable buffers of every block (dropped with the block)
_POOLS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def set_cpu_attention_kernel(enabled: bool = True) -> None:
    """Use (default) or not the chunked CPU attention kernel of :class:`HybridBlock`.

    Parameters
    ----------
    enabled : bool
        ``False`` makes every block call
        :func:`torch.nn.functional.scaled_dot_product_attention` on CPU too
        (same function, slower; needed for a second backward pass through a
        retained graph).
    """
    global _ENABLED
    _ENABLED = bool(enabled)


def applies(z: torch.Tensor) -> bool:
    """Whether the kernel computes the attention of ``z`` (CPU, eager, no autocast)."""
    return (
        _ENABLED
        and z.device.type == "cpu"
        and not torch.compiler.is_compiling()
        and not torch.compiler.is_exporting()
        and not torch.is_autocast_enabled("cpu")
    )


def chunked_attention(owner, z, m, u, w) -> torch.Tensor:
    """Fused-form attention of ``owner`` (a block) with the chunked kernel.

    ``z`` ``(n_branches, n_seq, C, D)``, ``m`` ``(n_branches, D, H * D)``,
    ``u`` ``(n_branches, H * D)``, ``w`` ``(n_branches, H * D, D)``; returns
    ``(n_seq, C, D)`` (see :class:`_ChunkedChannelAttention`).
    """
    nb, S, C, D = z.shape
    H = m.shape[2] // D
    chunk = max(1, -(-CHUNK_ELEMENTS // (C * C * H)))
    needs_grad = torch.is_grad_enabled() and any(t.requires_grad for t in (z, m, u, w))
    n_bytes = nb * S * C * H * (C + D) * z.element_size()
    if needs_grad and n_bytes <= KEEP_BYTES:
        pool = _POOLS.setdefault(owner, [])
    else:
        pool = None
        if not needs_grad:
            _POOLS.pop(owner, None)  # evaluation: release the training buffers
    return _ChunkedChannelAttention.apply(z.contiguous(), m, u, w, chunk, pool)


_POOL_SIZE = 2  # attention buffers (of possibly different shapes) kept per block


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
                    "(retain_graph=True) needs set_cpu_attention_kernel(False)"
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
