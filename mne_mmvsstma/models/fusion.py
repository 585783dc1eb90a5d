"""Multimodal (EEG + eye movement) MV-SSTMA classifier with feature fusion."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..utils import check_int
from ._utils import Dropout, EEGModuleMixin, build_model_config, resolve_type_kwargs
from .dcca import dcca_loss
from .mvsstma import MVSSTMA

__all__ = ["MMVSSTMAClassifier"]

_FUSIONS = ("concat", "attention")
_MODALITIES = ("eeg", "eye")


def _encoder_config(encoder: MVSSTMA) -> dict:
    """JSON-able constructor arguments of an encoder (without head and channel info)."""
    config = build_model_config(encoder)
    for key in ("n_outputs", "chs_info"):
        config.pop(key, None)
    return config


class MMVSSTMAClassifier(EEGModuleMixin, nn.Module):
    r"""Multimodal MV-SSTMA: two encoders, feature fusion and a linear classifier.

    Each modality has its own :class:`~mne_mmvsstma.models.MVSSTMA` encoder
    (EEG windows ``(batch, n_eeg_chans, n_times, n_bands)``, eye windows
    ``(batch, n_eye_features, n_times, 1)``) producing a feature vector
    ``F_m``; an optional linear projection maps both to a common width; the
    features are fused and a linear ``final_layer`` gives the logits (no
    softmax).

    Fusion
        ``"concat"``: ``[F_eeg, F_eye]``.
        ``"attention"``: with a learnable vector ``w``,
        :math:`\alpha_m = \mathrm{softmax}_m(w^\top \tanh F_m)` over the two
        modalities and the fused feature is :math:`\sum_m \alpha_m F_m`
        (the weights of the last forward pass are stored in
        ``last_attention_``, shape ``(batch, 2)``, columns EEG, eye).

    Missing modalities
        Either input may be ``None`` (absent at test time), and ``present``
        can mark absent modalities per sample. With attention fusion, the
        softmax is renormalised over the present modalities (an absent one
        gets weight 0); with concatenation, the absent part is filled with
        zeros. ``mask_ratio > 0`` additionally masks that fraction of the
        channels (features) of every present modality (partially missing
        data, Table 4 of the paper).

    Training uses cross-entropy plus ``0.1`` times the DCCA loss between the
    two (projected) modality features, see :meth:`loss` and
    :func:`~mne_mmvsstma.models.dcca_loss`.

    Parameters
    ----------
    n_outputs : int
        Number of classes.
    eeg_encoder, eye_encoder : MVSSTMA | None
        (Pretrained) encoders. They are copied, encoder part only
        (:meth:`MVSSTMA.from_pretrained` with no head), so the models passed
        are not modified by fine-tuning. ``None`` builds a fresh encoder from
        ``encoder_kwargs`` and the shape parameters below.
    fusion : ``"attention"`` | ``"concat"``
        Fusion method.
    n_eeg_chans : int
        Number of EEG channels of a fresh EEG encoder (ignored when
        ``eeg_encoder`` is given: its ``n_chans`` is used).
    n_eye_features : int
        Number of eye features of a fresh eye encoder (31 for SEED-IV, 33 for
        SEED-V; ignored when ``eye_encoder`` is given).
    n_times : int
        Window length ``T`` of fresh encoders.
    n_bands : int
        Number of bands of a fresh EEG encoder (eye encoders use 1).
    encoder_kwargs : dict | None
        Keyword arguments of :class:`MVSSTMA` for fresh encoders, either one
        dict for both modalities or ``{"eeg": {...}, "eye": {...}}``.
    drop_prob : float
        Dropout probability before ``final_layer``.
    fusion_dim : int | None
        Width of the per-modality projections (randomly initialised). ``None``:
        no projection when both feature widths are equal (or with
        concatenation); attention over features of different widths
        ``d_eeg`` and ``d_eye`` then uses a common space of width
        ``d_eeg + d_eye`` whose projections start as the placement of each
        modality in its own block (so that the attention-weighted sum keeps
        both modalities: ``[alpha_eeg F_eeg, alpha_eye F_eye]`` until training
        changes the projections).

    Notes
    -----
    The attention vector ``w`` starts at zero (equal weights 1/2);
    :class:`~mne_mmvsstma.training.EmotionClassifier` fits it with its linear
    probe (``probe_attention``) or by gradient fine-tuning.
    """

    _HUB_NOTES_TEMPLATE = ""

    def __init__(
        self,
        n_outputs: int,
        *,
        eeg_encoder: MVSSTMA | None = None,
        eye_encoder: MVSSTMA | None = None,
        fusion: str = "attention",
        n_eeg_chans: int = 62,
        n_eye_features: int = 31,
        n_times: int = 10,
        n_bands: int = 5,
        encoder_kwargs: dict | None = None,
        drop_prob: float = 0.1,
        fusion_dim: int | None = None,
    ):
        if fusion not in _FUSIONS:
            raise ValueError(
                f"MMVSSTMAClassifier: fusion must be one of {_FUSIONS}, got {fusion!r}"
            )
        eeg = self._build_encoder("eeg", eeg_encoder, n_eeg_chans, n_times, n_bands, encoder_kwargs)
        eye = self._build_encoder("eye", eye_encoder, n_eye_features, n_times, 1, encoder_kwargs)
        if eeg.n_times != eye.n_times:
            raise ValueError(
                "MMVSSTMAClassifier: the EEG and eye encoders must use the same window length, "
                f"got n_times={eeg.n_times} and {eye.n_times}"
            )
        super().__init__(n_outputs=n_outputs, n_chans=eeg.n_chans, n_times=eeg.n_times)
        check_int(n_outputs, "MMVSSTMAClassifier: n_outputs")
        self.fusion = fusion
        self.drop_prob = float(drop_prob)
        self.eeg_encoder = eeg
        self.eye_encoder = eye

        d_eeg, d_eye = eeg.feature_dim, eye.feature_dim
        if fusion_dim is None and (fusion == "concat" or d_eeg == d_eye):
            self.eeg_projection, self.eye_projection = nn.Identity(), nn.Identity()
            d_eeg_out, d_eye_out = d_eeg, d_eye
        elif fusion_dim is None:
            # attention over features of different widths: a common space of width
            # d_eeg + d_eye in which the projections start as the placement of each
            # modality in its own block (nothing of either modality is lost, whatever the
            # attention weights; training may then mix them)
            d = d_eeg + d_eye
            self.eeg_projection = nn.Linear(d_eeg, d)
            self.eye_projection = nn.Linear(d_eye, d)
            with torch.no_grad():
                for proj, start in ((self.eeg_projection, 0), (self.eye_projection, d_eeg)):
                    n = proj.in_features
                    proj.weight.zero_()
                    proj.weight[start:start + n] = torch.eye(n)
                    proj.bias.zero_()
            d_eeg_out = d_eye_out = d
        else:
            d = int(fusion_dim)
            self.eeg_projection = nn.Linear(d_eeg, d)
            self.eye_projection = nn.Linear(d_eye, d)
            d_eeg_out = d_eye_out = d
        if fusion == "attention":
            # zero: both modalities start with weight 1/2 (the probe of EmotionClassifier,
            # or training, then fits the vector)
            self.attention_vector = nn.Parameter(torch.zeros(d_eeg_out))
            self.fused_dim = d_eeg_out
        else:
            self.attention_vector = None
            self.fused_dim = d_eeg_out + d_eye_out
        self._dims = (d_eeg_out, d_eye_out)
        self.last_attention_ = None
        self.head_drop = Dropout(drop_prob)
        self.final_layer = nn.Linear(self.fused_dim, n_outputs)

    # ------------------------------------------------------------------ construction
    def get_config(self) -> dict:
        """Constructor arguments (braindecode config) that rebuild this network.

        The encoders are recorded by their architectures, not as modules, so
        that ``from_config(get_config())`` builds a network whose state dict
        fits, also for networks built from pretrained encoders.

        Returns
        -------
        dict
            JSON-serializable configuration.
        """
        config = super().get_config()
        eeg, eye = self.eeg_encoder, self.eye_encoder
        config.update(
            eeg_encoder=None, eye_encoder=None, n_eeg_chans=eeg.n_chans,
            n_eye_features=eye.n_chans, n_times=eeg.n_times, n_bands=eeg.n_bands,
            encoder_kwargs={"eeg": _encoder_config(eeg), "eye": _encoder_config(eye)},
        )
        return config

    @staticmethod
    def _build_encoder(modality, encoder, n_chans, n_times, n_bands, encoder_kwargs):
        if encoder is not None:
            if not isinstance(encoder, MVSSTMA):
                raise TypeError(
                    f"MMVSSTMAClassifier: {modality}_encoder must be an MVSSTMA instance or "
                    f"None, got {type(encoder).__name__}"
                )
            return MVSSTMA.from_pretrained(encoder, n_outputs=None)
        kwargs = dict(encoder_kwargs or {})
        if set(kwargs) & set(_MODALITIES):
            unknown = set(kwargs) - set(_MODALITIES)
            if unknown:
                raise ValueError(
                    "MMVSSTMAClassifier: encoder_kwargs must be one dict of MVSSTMA "
                    "parameters or {'eeg': {...}, 'eye': {...}}, got keys "
                    f"{sorted(kwargs)}"
                )
            kwargs = dict(kwargs.get(modality) or {})
        params = dict(n_chans=n_chans, n_times=n_times, n_bands=n_bands)
        params.update(kwargs)
        params["n_outputs"] = None
        params["n_decoder_layers"] = 0  # classifier encoders need no decoder
        resolve_type_kwargs(MVSSTMA, params)  # e.g. activation given as a dotted string
        return MVSSTMA(**params)

    def reset_head(self, n_outputs: int) -> None:
        """Replace ``final_layer`` by a freshly initialised one.

        Parameters
        ----------
        n_outputs : int
            Number of outputs (classes) of the new head.
        """
        self._set_n_outputs(int(n_outputs))
        device = self.final_layer.weight.device
        self.final_layer = nn.Linear(self.fused_dim, n_outputs).to(device)

    # ------------------------------------------------------------------ forward
    def encode(
        self,
        x_eeg: torch.Tensor | None,
        x_eye: torch.Tensor | None,
        mask_ratio: float = 0.0,
        *,
        generator: torch.Generator | None = None,
    ):
        """Per-modality features (after the projections), e.g. for the DCCA loss.

        Parameters
        ----------
        x_eeg : torch.Tensor, shape (batch, n_eeg_chans, n_times, n_bands) | None
        x_eye : torch.Tensor, shape (batch, n_eye_features, n_times, 1) | None
        mask_ratio : float
            Fraction of channels (features) masked at random in each present
            modality.
        generator : torch.Generator | None
            Random generator of the masks.

        Returns
        -------
        h_eeg, h_eye : torch.Tensor, shape (batch, dim) | None
            ``None`` for an absent modality.
        """
        if x_eeg is None and x_eye is None:
            raise ValueError("MMVSSTMAClassifier: at least one of x_eeg and x_eye must be given")
        if x_eeg is not None and x_eye is not None and x_eeg.shape[0] != x_eye.shape[0]:
            raise ValueError(
                "MMVSSTMAClassifier: x_eeg and x_eye must have the same batch size, got "
                f"{x_eeg.shape[0]} and {x_eye.shape[0]}"
            )
        h_eeg = h_eye = None
        if x_eeg is not None:
            h_eeg = self.eeg_projection(
                self.eeg_encoder(
                    x_eeg, return_features=True, mask_ratio=mask_ratio, generator=generator
                )
            )
        if x_eye is not None:
            h_eye = self.eye_projection(
                self.eye_encoder(
                    x_eye, return_features=True, mask_ratio=mask_ratio, generator=generator
                )
            )
        return h_eeg, h_eye

    def fuse(
        self,
        h_eeg: torch.Tensor | None,
        h_eye: torch.Tensor | None,
        present: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Fuse per-modality features (``None`` = absent) into ``(batch, fused_dim)``.

        Parameters
        ----------
        h_eeg, h_eye : torch.Tensor, shape (batch, dim) | None
            Features of each modality (after projection); ``None`` marks the
            modality as absent for the whole batch.
        present : torch.Tensor of bool, shape (batch, 2) | None
            Per-sample availability of (EEG, eye); ``None`` means every given
            modality is present.

        Returns
        -------
        fused : torch.Tensor, shape (batch, fused_dim)
            Concatenated or attention-weighted features.
        """
        ref = h_eeg if h_eeg is not None else h_eye
        B = ref.shape[0]
        feats = []
        avail = []
        for h, d in zip((h_eeg, h_eye), self._dims):
            if h is None:
                feats.append(ref.new_zeros(B, d))
                avail.append(torch.zeros(B, dtype=torch.bool, device=ref.device))
            else:
                feats.append(h)
                avail.append(torch.ones(B, dtype=torch.bool, device=ref.device))
        avail = torch.stack(avail, dim=1)  # (B, 2)
        if present is not None:
            present = torch.as_tensor(present, dtype=torch.bool, device=ref.device)
            if present.shape != (B, 2):
                raise ValueError(
                    f"MMVSSTMAClassifier: present must have shape ({B}, 2), got "
                    f"{tuple(present.shape)}"
                )
            if not bool(present.any(dim=1).all()):
                raise ValueError("MMVSSTMAClassifier: every sample needs one present modality")
            avail = avail & present
            feats = [
                torch.where(avail[:, i : i + 1], f, torch.zeros_like(f))
                for i, f in enumerate(feats)
            ]
        if self.fusion == "concat":
            return torch.cat(feats, dim=1)
        stacked = torch.stack(feats, dim=1)  # (B, 2, d)
        scores = torch.tanh(stacked) @ self.attention_vector.to(stacked.dtype)  # (B, 2)
        scores = scores.masked_fill(~avail, float("-inf"))
        alpha = torch.softmax(scores.float(), dim=1).to(stacked.dtype)
        if not (torch.compiler.is_compiling() or torch.compiler.is_exporting()):
            self.last_attention_ = alpha.detach()
        return (alpha.unsqueeze(-1) * stacked).sum(dim=1)

    def forward(
        self,
        x_eeg: torch.Tensor | None,
        x_eye: torch.Tensor | None = None,
        return_features: bool = False,
        mask_ratio: float = 0.0,
        *,
        present: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Logits ``(batch, n_outputs)`` (or fused features ``(batch, fused_dim)``).

        Parameters
        ----------
        x_eeg : torch.Tensor, shape (batch, n_eeg_chans, n_times, n_bands) | None
            EEG windows, ``None`` if absent.
        x_eye : torch.Tensor, shape (batch, n_eye_features, n_times, 1) | None
            Eye-movement windows, ``None`` if absent.
        return_features : bool
            Return the fused features instead of the logits.
        mask_ratio : float
            Fraction of channels masked at random in every present modality.
        present : torch.Tensor of bool, shape (batch, 2) | None
            Optional per-sample availability of (EEG, eye); the features of
            an unavailable modality are ignored as if it were ``None``.
        generator : torch.Generator | None
            Random generator of the masks.
        """
        h_eeg, h_eye = self.encode(x_eeg, x_eye, mask_ratio=mask_ratio, generator=generator)
        fused = self.fuse(h_eeg, h_eye, present=present)
        if return_features:
            return fused
        return self.final_layer(self.head_drop(fused))

    def loss(
        self,
        x_eeg: torch.Tensor,
        x_eye: torch.Tensor,
        y: torch.Tensor,
        *,
        dcca_weight: float = 0.1,
        reg: float = 1e-3,
        out_dim: int | None = None,
        mask_ratio: float = 0.0,
        generator: torch.Generator | None = None,
    ):
        """Training loss: cross-entropy + ``dcca_weight`` x DCCA loss.

        Parameters
        ----------
        x_eeg, x_eye : torch.Tensor
            Windows of both modalities (the DCCA term needs both; if one is
            ``None`` the DCCA term is 0).
        y : torch.Tensor of int64, shape (batch,)
            Class labels.
        dcca_weight : float
            Weight of the DCCA term (0.1 in the paper).
        reg, out_dim
            Passed to :func:`~mne_mmvsstma.models.dcca_loss`.
        mask_ratio : float
            Channel masking of the inputs (Table 4 protocol trains with it).
        generator : torch.Generator | None
            Random generator of the masks.

        Returns
        -------
        total : torch.Tensor
            Scalar ``ce + dcca_weight * dcca`` (float32).
        ce : torch.Tensor
            Cross-entropy term.
        dcca : torch.Tensor
            DCCA term (minus the total canonical correlation; 0 when a
            modality is absent or ``dcca_weight`` is 0).
        """
        h_eeg, h_eye = self.encode(x_eeg, x_eye, mask_ratio=mask_ratio, generator=generator)
        logits = self.final_layer(self.head_drop(self.fuse(h_eeg, h_eye)))
        return fusion_loss(logits, (h_eeg, h_eye), y, dcca_weight=dcca_weight, reg=reg,
                           out_dim=out_dim, return_terms=True)


def fusion_loss(logits, features, y, *, dcca_weight=0.1, reg=1e-3, out_dim=None,
                return_terms=False):
    """Cross-entropy of ``logits`` plus ``dcca_weight`` times the DCCA loss of ``features``.

    Parameters
    ----------
    logits : torch.Tensor, shape (batch, n_classes)
        Classifier outputs.
    features : tuple of torch.Tensor | None
        ``(h_eeg, h_eye)`` per-modality features (the DCCA term is 0 when one is
        ``None``).
    y : torch.Tensor of int64, shape (batch,)
        Class labels.
    dcca_weight : float
        Weight of the DCCA term (0.1 in the paper).
    reg, out_dim
        Passed to :func:`~mne_mmvsstma.models.dcca_loss`.
    return_terms : bool
        Also return the two terms.

    Returns
    -------
    total : torch.Tensor
        Scalar ``ce + dcca_weight * dcca`` (float32); with ``return_terms``,
        ``(total, ce, dcca)``.
    """
    ce = F.cross_entropy(logits.float(), y)
    h_eeg, h_eye = features if features is not None else (None, None)
    if h_eeg is None or h_eye is None or dcca_weight == 0:
        dcca = ce.new_zeros(())
    else:
        dcca = dcca_loss(h_eeg, h_eye, reg=reg, out_dim=out_dim).to(ce.dtype)
    total = ce + dcca_weight * dcca
    return (total, ce, dcca) if return_terms else total
