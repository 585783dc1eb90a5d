"""Small helpers shared by the model modules."""

from __future__ import annotations

import math
import warnings

import torch

# braindecode builds montages at import time with names that MNE >= 1.13
# deprecates (a FutureWarning raised inside braindecode, not our code)
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r"Montage name .* is deprecated", category=FutureWarning
    )
    from braindecode.models.base import EEGModuleMixin
    from braindecode.models.util import build_model_config, resolve_type_kwargs

__all__ = [
    "Dropout",
    "EEGModuleMixin",
    "build_model_config",
    "n_masked_channels",
    "random_channel_mask",
    "resolve_type_kwargs",
    "sincos_position_encoding",
]


class Dropout(torch.nn.Dropout):
    """:class:`torch.nn.Dropout` with a cheaper random mask on CPU.

    The same operation (every element kept with probability ``1 - p`` and
    scaled by ``1 / (1 - p)``, independently; identity in evaluation mode),
    with the mask drawn from 15-bit uniform integers, two per 32-bit number
    of torch's CPU generator (``random_`` on int32 gives 31 uniform bits):
    an element is kept when its integer is ``>= round(p * 2**15)``. On CPU,
    torch's ``bernoulli_`` (what :func:`torch.nn.functional.dropout` draws
    with) costs about four times as much and was a fifth of a pretraining
    step of the accuracy benchmark's model (``benchmarks/README.md``). ``p``
    is thereby rounded to a multiple of ``2**-15`` (0.1 -> 0.100006), and the
    kept elements are scaled by the inverse of the rounded keep probability,
    so that the expectation stays ``x``. Other devices, ``inplace=True`` and
    other dtypes than float32 / float64 use :class:`torch.nn.Dropout` itself.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if (not self.training or not 0.0 < self.p < 1.0 or self.inplace
                or x.device.type != "cpu" or x.dtype not in (torch.float32, torch.float64)):
            return super().forward(x)
        n, levels = x.numel(), 2**15
        threshold = min(max(round(self.p * levels), 1), levels - 1)
        # bits 0-14 and 16-30 of every int32 draw: two independent 15-bit integers
        draws = torch.empty((n + 1) // 2, dtype=torch.int32).random_()
        uniform = draws.view(torch.int16)[:n].bitwise_and_(levels - 1)
        keep = uniform.ge_(threshold).view(x.shape).to(x.dtype)
        return x * keep.mul_(levels / (levels - threshold))


def sincos_position_encoding(n_positions: int, dim: int) -> torch.Tensor:
    r"""Sine-cosine positional encoding (Vaswani et al. 2017) of ``n_positions`` tokens.

    ``pe[p, 2i] = sin(p / 10000^(2i / dim))`` and
    ``pe[p, 2i + 1] = cos(p / 10000^(2i / dim))``; an odd ``dim`` drops the
    last cosine column.

    Returns
    -------
    torch.Tensor, shape (n_positions, dim), float32
    """
    if n_positions < 1 or dim < 1:
        raise ValueError(f"n_positions and dim must be positive, got {n_positions}, {dim}")
    half = (dim + 1) // 2
    position = torch.arange(n_positions, dtype=torch.float64).unsqueeze(1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) * 2 / dim)
    angles = position * freq
    pe = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).reshape(n_positions, 2 * half)
    return pe[:, :dim].to(torch.float32)


def n_masked_channels(mask_ratio: float, n_chans: int, *, name: str = "mask_ratio") -> int:
    """Number of masked channels: ``floor(mask_ratio * n_chans + 0.5)``.

    This is rounding half up (not Python's round-half-to-even): e.g. 0.3 x 62
    = 18.6 -> 19 masked, 43 visible; 0.5 x 31 = 15.5 -> 16 masked. At least one
    channel must stay visible.
    """
    ratio = float(mask_ratio)
    if not 0.0 <= ratio < 1.0 or math.isnan(ratio):
        raise ValueError(f"{name} must be in [0, 1), got {mask_ratio!r}")
    n_mask = int(math.floor(ratio * n_chans + 0.5))
    if n_mask >= n_chans:
        raise ValueError(
            f"{name}={mask_ratio} masks {n_mask} of {n_chans} channels; at least one "
            "channel must stay visible"
        )
    return n_mask


def random_channel_mask(
    batch_size: int,
    n_chans: int,
    n_mask: int,
    *,
    device=None,
    generator: torch.Generator | None = None,
):
    """Draw a uniformly random set of ``n_mask`` masked channels per sample.

    Returns
    -------
    ids_keep : torch.Tensor of int64, shape (batch_size, n_chans - n_mask)
        Indices of the visible channels of every sample, in increasing order.
    mask : torch.Tensor of bool, shape (batch_size, n_chans)
        ``True`` where a channel is masked.
    """
    noise = torch.rand(batch_size, n_chans, device=device, generator=generator)
    ids_keep = torch.argsort(noise, dim=1)[:, : n_chans - n_mask]
    ids_keep = torch.sort(ids_keep, dim=1).values
    mask = torch.ones(batch_size, n_chans, dtype=torch.bool, device=device)
    mask.scatter_(1, ids_keep, False)
    return ids_keep, mask
