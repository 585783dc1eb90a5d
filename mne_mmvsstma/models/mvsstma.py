"""MV-SSTMA: multi-view spectral-spatial-temporal masked autoencoder (Li et al. 2022)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..utils import check_int
from ._utils import (
    Dropout,
    EEGModuleMixin,
    n_masked_channels,
    random_channel_mask,
    sincos_position_encoding,
)
from .hybrid import HybridBlock

__all__ = ["MVSSTMA"]

_POOLS = ("mean", "flatten", "channels")


class MVSSTMA(EEGModuleMixin, nn.Module):
    r"""Multi-view spectral-spatial-temporal masked autoencoder (MV-SSTMA).

    The model reads windows of band features ``x`` of shape
    ``(batch, n_chans, n_times, n_bands)`` (``C x T x F``: channels, ``T``
    consecutive feature samples, frequency bands) and

    1. embeds the ``F`` band values of every channel and time step into
       ``emb_dim`` dimensions (*spectral embedding*, a linear layer);
    2. adds a fixed sine-cosine *spatial positional encoding* over the channel
       axis (every channel is a patch; the same encoding at every time step);
    3. optionally *masks channels*: for every sample, exactly
       ``floor(mask_ratio * n_chans + 0.5)`` channels, drawn uniformly at
       random, are removed (the mask is shared over time and bands). As in
       masked autoencoders, the encoder processes only the visible channels;
    4. applies ``n_layers`` :class:`~mne_mmvsstma.models.HybridBlock` encoder
       blocks (causal temporal convolutions + attention across channels).

    For self-supervised pretraining (:meth:`forward_pretrain`), a decoder of
    ``n_decoder_layers`` hybrid blocks receives the encoded visible tokens with
    a learnable mask token at the masked channels (positional encoding
    re-added), and a linear layer reconstructs the ``F`` band values of every
    channel; the loss is the mean squared error over the masked channels only.

    For classification (:meth:`forward`), encoder tokens are pooled into a
    feature vector (``pool="mean"``: mean over visible channels and time,
    ``feature_dim = emb_dim``; ``pool="flatten"``: all ``C x T x D`` tokens,
    masked channels set to zero) followed by dropout and the linear
    ``final_layer``.

    The same class serves eye-movement features: pass ``n_chans`` = number of
    eye features and ``n_bands=1`` and feed ``(batch, n_eye, T, 1)`` windows
    (each eye feature is a "channel" token embedded from one value into
    ``emb_dim``). Groups of eye features can instead be fed as channels with
    ``n_bands`` values each (``(batch, n_groups, T, group_size)``; groups must
    then have equal sizes, padded by the caller).

    Parameters
    ----------
    n_outputs : int | None
        Number of classes. ``None`` builds a model without classification
        head (``final_layer`` is the identity and :meth:`forward` returns
        features), e.g. for pretraining.
    n_chans : int
        Number of channels (62 EEG channels, or the number of eye features).
    chs_info : list of dict | None
        ``info["chs"]`` of the channels (optional, stored only).
    n_times : int
        Number of consecutive feature samples ``T`` in a window (10).
    input_window_seconds : float | None
        Window length in seconds (optional, braindecode convention).
    sfreq : float | None
        Rate of the feature samples in Hz (0.25 for 4-s DE windows; optional).
    n_bands : int
        Number of values per channel and time step ``F`` (5 DE bands; 1 for
        eye features).
    emb_dim : int
        Embedding width ``D`` (16 in the paper).
    n_layers : int
        Number of encoder hybrid blocks ``L`` (6 in the paper).
    n_decoder_layers : int
        Number of decoder hybrid blocks. The paper's decoder is symmetric (6);
        fewer is allowed; 0 builds an encoder-only model (no decoder, no
        reconstruction layer, :meth:`forward_pretrain` unavailable), which is
        what :meth:`from_pretrained` returns.
    n_heads : int
        Attention heads per branch (6 in the paper).
    head_dim : int
        Width of each attention head (16 by default; the paper's 6 heads do
        not divide ``D=16``).
    kernel_sizes : sequence of int
        Temporal kernel sizes of the hybrid-block branches (long, medium,
        short). Not given by the paper; default ``(7, 5, 3)``.
    mask_ratio : float
        Default fraction of masked channels in :meth:`forward_pretrain`
        (0.3 in the paper).
    drop_prob : float
        Dropout probability in the hybrid blocks and before ``final_layer``.
    activation : type of torch.nn.Module
        Activation class of the feed-forward networks.
    pool : ``"mean"`` | ``"flatten"`` | ``"channels"``
        How encoder tokens become the feature vector of :meth:`forward`:
        the mean of all tokens (``emb_dim``), all tokens (``C x T x D``) or
        the mean over the window of every channel (``C x D``).
    dilation : int | sequence of int
        Dilation of the temporal convolutions (default 1).
    ff_dim : int | None
        Hidden width of the feed-forward networks (``None``: ``4 * emb_dim``).
    target_dim : int | None
        Width of what the decoder predicts at every channel and time step
        (the output of ``reconstruction``). ``None`` (default): ``n_bands``,
        the input features themselves (the masked autoencoder). Another width
        predicts other targets passed to :meth:`forward_pretrain`, e.g. the
        ``emb_dim`` tokens of a teacher network
        (:class:`~mne_mmvsstma.training.Pretrainer`'s ``target="teacher"``).

    Notes
    -----
    Choices not fixed by the paper and made here: kernel sizes 7/5/3 with
    dilation 1 and causal left padding; a channel mask shared over time and
    bands; a learnable mask token (initialised with standard deviation 0.02)
    in the decoder; masked channels are *removed* from the encoder input
    (not replaced); the number of masked channels is rounded half up;
    post-norm residual blocks.

    References
    ----------
    .. [1] Li, R., Wang, Y., Zheng, W.-L., Lu, B.-L. (2022). A multi-view
       spectral-spatial-temporal masked autoencoder for decoding emotions
       with self-supervised learning. ACM Multimedia 2022, 6-14.
    .. [2] He, K. et al. (2022). Masked autoencoders are scalable vision
       learners. CVPR 2022.
    """

    _HUB_NOTES_TEMPLATE = ""

    def __init__(
        self,
        n_outputs: int | None = None,
        n_chans: int = 62,
        chs_info: list[dict] | None = None,
        n_times: int = 10,
        input_window_seconds: float | None = None,
        sfreq: float | None = None,
        *,
        n_bands: int = 5,
        emb_dim: int = 16,
        n_layers: int = 6,
        n_decoder_layers: int = 6,
        n_heads: int = 6,
        head_dim: int = 16,
        kernel_sizes: Sequence[int] = (7, 5, 3),
        mask_ratio: float = 0.3,
        drop_prob: float = 0.1,
        activation: type[nn.Module] = nn.GELU,
        pool: str = "mean",
        dilation: int | Sequence[int] = 1,
        ff_dim: int | None = None,
        target_dim: int | None = None,
    ):
        super().__init__(
            n_outputs=n_outputs,
            n_chans=n_chans,
            chs_info=chs_info,
            n_times=n_times,
            input_window_seconds=input_window_seconds,
            sfreq=sfreq,
        )
        del n_outputs, n_chans, chs_info, n_times, input_window_seconds, sfreq
        out_dim = n_bands if target_dim is None else target_dim  # of the reconstruction
        for name, val, low in (
            ("n_bands", n_bands, 1),
            ("emb_dim", emb_dim, 1),
            ("n_layers", n_layers, 1),
            ("n_decoder_layers", n_decoder_layers, 0),
            ("target_dim", out_dim, 1),
        ):
            check_int(val, f"MVSSTMA: {name}", minimum=low)
        if pool not in _POOLS:
            raise ValueError(f"MVSSTMA: pool must be one of {_POOLS}, got {pool!r}")
        n_masked_channels(mask_ratio, self.n_chans, name="MVSSTMA: mask_ratio")
        if not isinstance(activation, type) or not issubclass(activation, nn.Module):
            raise TypeError(
                f"MVSSTMA: activation must be a torch.nn.Module class, got {activation!r}"
            )
        kernel_sizes = tuple(int(k) for k in kernel_sizes)
        if isinstance(dilation, (list, tuple)):
            dilation = tuple(int(d) for d in dilation)

        self.n_bands = n_bands
        self.emb_dim = emb_dim
        self.n_layers = n_layers
        self.n_decoder_layers = n_decoder_layers
        self.target_dim = target_dim
        self.mask_ratio = float(mask_ratio)
        self.pool = pool
        self.drop_prob = float(drop_prob)

        block_kwargs = dict(
            emb_dim=emb_dim,
            n_heads=n_heads,
            head_dim=head_dim,
            kernel_sizes=kernel_sizes,
            drop_prob=drop_prob,
            activation=activation,
            dilation=dilation,
            ff_dim=ff_dim,
        )
        self.spectral_embedding = nn.Linear(n_bands, emb_dim)
        self.register_buffer(
            "pos_embedding", sincos_position_encoding(self.n_chans, emb_dim), persistent=False
        )
        self.encoder = nn.Sequential(*[HybridBlock(**block_kwargs) for _ in range(n_layers)])
        if n_decoder_layers > 0:
            self.mask_token = nn.Parameter(torch.zeros(emb_dim))
            nn.init.normal_(self.mask_token, std=0.02)
            self.decoder = nn.Sequential(
                *[HybridBlock(**block_kwargs) for _ in range(n_decoder_layers)]
            )
            self.reconstruction = nn.Linear(emb_dim, out_dim)
        else:
            self.mask_token = None
            self.decoder = None
            self.reconstruction = None
        self.head_drop = Dropout(drop_prob)
        self.final_layer = self._make_head(self._n_outputs)

    # ------------------------------------------------------------------ helpers
    @property
    def feature_dim(self) -> int:
        """Length of the feature vector returned by ``forward(x, return_features=True)``."""
        if self.pool == "mean":
            return self.emb_dim
        if self.pool == "channels":
            return self.n_chans * self.emb_dim
        return self.n_chans * self.n_times * self.emb_dim

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """Input shape for a batch of one: ``(1, n_chans, n_times, n_bands)``."""
        return (1, self.n_chans, self.n_times, self.n_bands)

    def get_torchinfo_statistics(
        self,
        col_names=("input_size", "output_size", "num_params"),
        row_settings=("var_names", "depth"),
    ):
        """Summarise the model with :func:`torchinfo.summary` on a 4-D input."""
        from torchinfo import summary

        return summary(
            self,
            input_size=self.input_shape,
            col_names=col_names,
            row_settings=row_settings,
            verbose=0,
        )

    def _make_head(self, n_outputs):
        if n_outputs is None:
            return nn.Identity()
        return nn.Linear(self.feature_dim, n_outputs)

    def reset_head(self, n_outputs: int | None) -> None:
        """Replace ``final_layer`` by a freshly initialised one with ``n_outputs`` outputs.

        Parameters
        ----------
        n_outputs : int | None
            Number of outputs of the new head. ``None`` removes the head
            (``final_layer`` becomes the identity).
        """
        if n_outputs is not None:
            self._set_n_outputs(int(n_outputs))
        else:
            self._n_outputs = None
            if getattr(self, "_braindecode_init_kwargs", None) is not None:
                self._braindecode_init_kwargs["n_outputs"] = None
        device = self.spectral_embedding.weight.device
        self.final_layer = self._make_head(n_outputs).to(device)

    @torch.no_grad()
    def init_input_scale(self, mean, std) -> None:
        """Data-dependent initialisation for inputs of any scale.

        Rescales the spectral embedding so that, at initialisation, it sees
        inputs standardised per band (``W <- W / s``, ``b <- b - W m`` with the
        training mean ``m`` and standard deviation ``s`` of every band), and
        the reconstruction layer (if any, and if it predicts the input
        features: ``target_dim=None``) starts by predicting ``m`` with the
        spread ``s``. A no-op for standardised EEG DE; it lets the model work
        with eye features on a 10..100 scale.

        Parameters
        ----------
        mean, std : array-like, shape (n_bands,)
            Per-band mean and standard deviation of the training inputs.
        """
        emb = self.spectral_embedding
        m = torch.as_tensor(mean, dtype=torch.float32, device=emb.weight.device)
        sd = torch.as_tensor(std, dtype=torch.float32, device=emb.weight.device)
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        emb.weight.div_(sd)
        emb.bias.sub_(emb.weight @ m)
        if self.reconstruction is not None and self.target_dim is None:
            self.reconstruction.weight.mul_(sd[:, None])
            self.reconstruction.bias.mul_(sd).add_(m)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.ndim != 4:
            raise ValueError(
                "MVSSTMA: x must have shape (batch, n_chans, n_times, n_bands), got "
                f"{x.ndim}-D input of shape {tuple(x.shape)}"
            )
        expected_t = self.n_times if self.pool == "flatten" else x.shape[2]
        if x.shape[1] != self.n_chans or x.shape[3] != self.n_bands or x.shape[2] != expected_t:
            raise ValueError(
                "MVSSTMA: x must have shape (batch, n_chans, n_times, n_bands) = "
                f"(batch, {self.n_chans}, {self.n_times}, {self.n_bands}), "
                f"got {tuple(x.shape)}"
            )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Spectral embedding + spatial positional encoding: ``(B, C, T, F) -> (B, C, T, D)``.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, n_bands)
            Input features.

        Returns
        -------
        tokens : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)
            Embedded tokens with the sine-cosine channel encoding added.
        """
        tokens = self.spectral_embedding(x)
        return tokens + self.pos_embedding.to(tokens.dtype).unsqueeze(1)

    def _encode_visible(self, x, mask_ratio, generator=None):
        """Encode the visible channels. Returns ``(tokens, ids_keep, mask)``.

        ``tokens`` is ``(B, C_visible, T, D)``; ``ids_keep`` ``(B, C_visible)``
        and ``mask`` ``(B, C)`` are ``None`` when nothing is masked.
        """
        self._check_input(x)
        tokens = self.embed(x)
        n_mask = n_masked_channels(mask_ratio, self.n_chans)
        if n_mask == 0:
            return self.encoder(tokens), None, None
        B, C, T, D = tokens.shape
        ids_keep, mask = random_channel_mask(
            B, C, n_mask, device=tokens.device, generator=generator
        )
        index = ids_keep[:, :, None, None].expand(-1, -1, T, D)
        tokens = torch.gather(tokens, 1, index)
        return self.encoder(tokens), ids_keep, mask

    @staticmethod
    def _unshuffle(tokens, ids_keep, fill, n_chans):
        """Put visible tokens ``(B, C_vis, T, D)`` back at their channels; ``fill`` elsewhere."""
        B, _, T, D = tokens.shape
        full = fill.expand(B, n_chans, T, D)
        index = ids_keep[:, :, None, None].expand(-1, -1, T, D)
        return torch.scatter(full, 1, index, tokens)

    # ------------------------------------------------------------------ API
    def encode(
        self,
        x: torch.Tensor,
        mask_ratio: float = 0.0,
        *,
        return_mask: bool = False,
        generator: torch.Generator | None = None,
    ):
        """Encoder tokens of all channels.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, n_bands)
        mask_ratio : float
            Fraction of channels removed at random before encoding (see the
            class notes for the rounding). Their tokens are zero in the output.
        return_mask : bool
            Also return the ``(batch, n_chans)`` boolean mask (``True`` =
            masked), all ``False`` when ``mask_ratio`` is 0.
        generator : torch.Generator | None
            Random generator of the mask.

        Returns
        -------
        tokens : torch.Tensor, shape (batch, n_chans, n_times, emb_dim)
        mask : torch.Tensor, shape (batch, n_chans)
            Only when ``return_mask`` is True.
        """
        tokens, ids_keep, mask = self._encode_visible(x, mask_ratio, generator)
        if ids_keep is not None:
            tokens = self._unshuffle(tokens, ids_keep, tokens.new_zeros(()), self.n_chans)
        if return_mask:
            if mask is None:
                mask = torch.zeros(x.shape[0], self.n_chans, dtype=torch.bool, device=x.device)
            return tokens, mask
        return tokens

    def forward(
        self,
        x: torch.Tensor,
        return_features: bool = False,
        mask_ratio: float = 0.0,
        *,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Classify windows (or return their features).

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, n_bands)
        return_features : bool
            Return the pooled features ``(batch, feature_dim)`` instead of logits.
        mask_ratio : float
            Fraction of channels masked at random in every sample (missing
            data, e.g. the paper's Table 4); features pool over the visible
            channels only. 0 (default) uses all channels.
        generator : torch.Generator | None
            Random generator of the mask.

        Returns
        -------
        torch.Tensor
            Logits ``(batch, n_outputs)``, or features ``(batch, feature_dim)``
            when ``return_features`` is True or the model has no head.
        """
        tokens, ids_keep, _ = self._encode_visible(x, mask_ratio, generator)
        if self.pool == "mean":
            features = tokens.mean(dim=(1, 2))
        else:
            if ids_keep is not None:
                tokens = self._unshuffle(tokens, ids_keep, tokens.new_zeros(()), self.n_chans)
            if self.pool == "channels":  # mean over the window, one vector per channel
                tokens = tokens.mean(dim=2)
            features = tokens.flatten(1)
        if return_features:
            return features
        return self.final_layer(self.head_drop(features))

    def forward_pretrain(
        self,
        x: torch.Tensor,
        mask_ratio: float | None = None,
        *,
        generator: torch.Generator | None = None,
        target: torch.Tensor | None = None,
    ) -> dict:
        """Masked-autoencoder pretraining step.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_chans, n_times, n_bands)
        mask_ratio : float | None
            Fraction of masked channels (``None``: the model's ``mask_ratio``).
            Must mask at least one channel.
        generator : torch.Generator | None
            Random generator of the mask.
        target : torch.Tensor | None
            What the masked channels are compared with, shape
            ``(batch, n_chans, n_times, target_dim)`` (``None``: ``x`` itself,
            the masked autoencoder, when ``target_dim`` is ``n_bands``; e.g.
            the other recordings' mean response to the same stimulus, or a
            teacher network's tokens, see
            :class:`~mne_mmvsstma.training.Pretrainer`'s ``target``).

        Returns
        -------
        dict
            ``loss``: scalar float32 mean squared error over the masked
            channels (all their time steps and bands) only;
            ``reconstruction``: ``(batch, n_chans, n_times, target_dim)``
            prediction of every channel; ``mask``: ``(batch, n_chans)`` bool,
            ``True`` at masked channels.
        """
        if self.decoder is None:
            raise RuntimeError(
                "MVSSTMA.forward_pretrain: this model has no decoder (n_decoder_layers=0); "
                "build it with n_decoder_layers >= 1 for pretraining"
            )
        mask_ratio = self.mask_ratio if mask_ratio is None else mask_ratio
        if n_masked_channels(mask_ratio, self.n_chans) == 0:
            raise ValueError(
                f"MVSSTMA.forward_pretrain: mask_ratio={mask_ratio} masks no channel of "
                f"{self.n_chans}; the reconstruction loss would be undefined"
            )
        latent, ids_keep, mask = self._encode_visible(x, mask_ratio, generator)
        full = self._unshuffle(latent, ids_keep, self.mask_token.to(latent.dtype), self.n_chans)
        full = full + self.pos_embedding.to(full.dtype).unsqueeze(1)
        reconstruction = self.reconstruction(self.decoder(full))
        if target is None:
            if self.target_dim is not None and self.target_dim != self.n_bands:
                raise ValueError(f"MVSSTMA.forward_pretrain: this model predicts "
                                 f"target_dim={self.target_dim} values per token, not the "
                                 f"{self.n_bands} input features; pass target=")
            target = x
        if target.shape != reconstruction.shape:
            raise ValueError(f"MVSSTMA.forward_pretrain: target must have shape (batch, n_chans, "
                             f"n_times, target_dim) = {tuple(reconstruction.shape)}, got "
                             f"{tuple(target.shape)}")
        err = (reconstruction.float() - target.float()).square().mean(dim=(2, 3))  # (B, C)
        weight = mask.to(err.dtype)
        loss = (err * weight).sum() / weight.sum()
        return {"loss": loss, "reconstruction": reconstruction, "mask": mask}

    @classmethod
    def from_pretrained(
        cls, model: MVSSTMA, n_outputs: int | None = None, *, keep_decoder: bool = False, **kwargs
    ) -> MVSSTMA:
        """Build a classifier from a (pretrained) MV-SSTMA.

        Parameters
        ----------
        model : MVSSTMA
            Source model; its weights are copied (the source is not modified).
        n_outputs : int | None
            Number of classes of the new, freshly initialised ``final_layer``
            (``None``: no head, a feature extractor).
        keep_decoder : bool
            Also copy the decoder (default: the new model is encoder-only,
            ``n_decoder_layers=0``).
        **kwargs
            Other constructor parameters to override (e.g. ``drop_prob``,
            ``pool``). Parameters that change weight shapes are rejected by
            the state-dict copy.

        Returns
        -------
        MVSSTMA
            New model with the encoder (embedding, encoder blocks) weights of
            ``model``.
        """
        if not isinstance(model, MVSSTMA):
            raise TypeError(
                f"{cls.__name__}.from_pretrained: model must be an MVSSTMA instance, "
                f"got {type(model).__name__}"
            )
        config = dict(getattr(model, "_braindecode_init_kwargs", {}))
        if not config:
            raise RuntimeError(
                f"{cls.__name__}.from_pretrained: the source model has no recorded "
                "constructor arguments"
            )
        config.update(kwargs)
        config["n_outputs"] = n_outputs
        if not keep_decoder:
            config["n_decoder_layers"] = 0
        new = cls(**config)
        state = {k: v for k, v in model.state_dict().items() if not k.startswith("final_layer.")}
        if not keep_decoder:
            state = {
                k: v
                for k, v in state.items()
                if not k.startswith(("decoder.", "reconstruction.", "mask_token"))
            }
        missing, unexpected = new.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.startswith("final_layer.")]
        if missing or unexpected:
            raise RuntimeError(
                f"{cls.__name__}.from_pretrained: weights do not match (missing {missing}, "
                f"unexpected {unexpected})"
            )
        device = next(model.parameters()).device
        return new.to(device)
