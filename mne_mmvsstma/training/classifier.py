"""Emotion classification: :class:`EmotionClassifier`, a scikit-learn estimator on skorch.

An MV-SSTMA classifier of EEG, eye or EEG + eye (fusion) windows, built at
``fit`` randomly or from fitted Pretrainers
(:class:`~mne_mmvsstma.training.Pretrainer`); its classification layer starts as
a linear probe of the frozen network (:mod:`mne_mmvsstma.training.probe`), then
is optionally fine-tuned.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_tensor

from ..features._inputs import MODALITIES, check_labels, check_windows
from ..features.normalize import make_scaler
from ..utils import check_float, check_option
from ._base import ARCH_PARAMS, _MVSSTMANet, _resolve_device
from ._data import TrialSplit
from .pretrainer import _pretrained_module
from .probe import _attention_fuse, _fit_attention, _fold_probe, _logistic_probe

FUSIONS = ("concat", "attention")


class EmotionClassifier(_MVSSTMANet, NeuralNetClassifier):
    """MV-SSTMA emotion classifier (EEG, eye, or EEG + eye fusion), fine-tuned with skorch.

    Parameters
    ----------
    modality : ``"eeg"`` | ``"eye"``
        Input of a single-modality classifier (``fusion=None``).
    fusion : None | ``"concat"`` | ``"attention"``
        EEG + eye fusion (:class:`~mne_mmvsstma.models.MMVSSTMAClassifier`);
        ``X`` is then a dict ``{"eeg": (N, C, T, F), "eye": (N, n_eye, T, 1)}``.
    pretrained : Pretrainer | MVSSTMA | dict | MMVSSTMAClassifier | None
        Starting point: ``None`` builds a random network ("without pretrained
        weights"); a fitted :class:`Pretrainer` (or an MVSSTMA) gives the
        encoder of a single-modality classifier; for fusion,
        ``{"eeg": Pretrainer, "eye": Pretrainer}`` (either may be missing).
        What is passed is copied, never modified.
    dcca_weight : float
        Weight of the DCCA correlation loss added to the cross-entropy (fusion,
        0.1 in the paper).
    fusion_dim : int | None
        Width of the per-modality projections of a new fusion network.
    mask_ratio : float
        Fraction of channels masked at random in training and prediction (the
        missing-data setting of the paper's Table 4); 0 uses all channels.
    probe_C : float | None
        Linear probe: before any gradient step, the classification layer is
        fitted in closed form as an L2-regularised logistic regression
        (:class:`~sklearn.linear_model.LogisticRegression`, inverse
        regularisation ``C=probe_C``) on the standardised features of the
        frozen network (the encoders in eval mode; on the training windows,
        minus the validation trials when fine-tuning epochs follow), and
        folded into ``final_layer``. Single-modality classifiers from a
        :class:`Pretrainer` first whiten the features with the Pretrainer's
        ``whitening_``.
        ``max_epochs`` epochs of fine-tuning follow (probe, then fine-tune);
        ``max_epochs=0`` keeps the linear probe. With a validation split and
        early stopping, the probe is the starting candidate ("epoch 0"): a
        fine-tuned epoch is kept only when its ``valid_loss`` is lower; when
        none is, the probe is kept, fitted again on all training windows
        (``best_epoch_ == 0``, ``probe_validation_``). ``None``: the layer
        starts at random (then ``max_epochs=0``, an untrained classifier, is
        refused).
        The default (1.0) and the pure probe of the protocol runner were
        chosen with ``benchmarks/accuracy.py`` (``doc/recipe.rst``); to choose
        ``C`` per subject, search it with
        :class:`~sklearn.model_selection.GridSearchCV` over folds of whole
        trials (``GroupKFold``, ``groups``).
    probe_whitening : bool | ``"auto"``
        Whether the probe whitens the features with the Pretrainers'
        ``whitening_``. ``"auto"``: for EEG and fusion classifiers, and for
        eye-only classifiers whose Pretrainer learned its whitening by
        stimulus (``whitening_covariance_ == "stimulus"``). On the simulated
        data of ``benchmarks/accuracy.py`` the whitening of all windows
        lowered the eye-only accuracy while it raised that of fusion; on the
        real SEED-IV development sessions the whitening by stimulus (at the
        eye shrinkage of ``Pretrainer(whitening="auto")``) raised eye-only
        probes by about 4 points on both sessions (``benchmarks/README.md``).
    probe_attention : bool
        Attention fusion: the probe also fits the attention vector. On the
        frozen per-modality features of the probe's windows: the closed-form
        probe at the network's attention vector (zero for a new network: both
        modalities weigh 1/2), then the attention vector that minimises that
        probe's objective (cross-entropy plus the same L2 penalty, L-BFGS),
        then the closed-form probe again at the fitted attention (one round of
        block-coordinate descent; optimising both jointly overfitted the
        training trials, see ``doc/recipe.rst``). ``False`` keeps the
        attention vector as it is.
    freeze_batchnorm : bool | ``"auto"``
        Keep the batch normalisations' statistics fixed while fine-tuning
        (their layers stay in evaluation mode; their scale and shift still
        learn). ``"auto"``: when the classification layer starts from the
        linear probe (``probe_C`` not ``None``), which was fitted on features
        computed with these statistics: on the real SEED-IV development
        sessions, letting one fine-tuning epoch update them (even at a
        learning rate of 1e-9) took a recording's probe from 96 % to 25 %
        (``benchmarks/README.md``). With a random classification layer
        (``probe_C=None``, the paper's fine-tuning) the statistics train.
    emb_dim, n_layers, n_heads, head_dim, drop_prob, pool, kernel_sizes
        Architecture of randomly initialised encoders (the default recipe's
        one hybrid block with one head; the paper's are
        ``classifier_params("paper")``, see Notes).
    scale : bool
        Fit the per-modality scalers on ``X`` and apply them in ``fit`` and
        ``predict`` (``scalers_``).
    eye_scaling : ``"robust"`` | ``"minmax"``
        Eye scaler, as in :class:`Pretrainer`.
    lr, max_epochs, batch_size, optimizer, optimizer__weight_decay
        skorch training parameters (AdamW, lr 1e-3). The default recipe's
        ``max_epochs=0`` keeps the linear probe (no gradient step); the
        paper fine-tunes end to end (100 epochs, early stopping).
    train_split : TrialSplit | callable | None
        Validation split for early stopping and best-epoch selection. The
        default holds out one whole training trial per class, given ``groups``
        in ``fit``; ``None`` trains ``max_epochs`` without validation. Without
        ``groups`` nothing can be held out: the linear probe alone
        (``max_epochs=0``) needs no validation, training epochs run without
        it (a warning says so).
    patience : int | None
        Early stopping patience (epochs without a lower ``valid_loss``); the
        best epoch's weights are restored.
    grad_clip, lr_schedule, warmup_epochs, checkpoint_dir, resume, amp, random_state, device
        As in :class:`Pretrainer` (checkpoint file ``finetune.pt``).
    callbacks, verbose, **kwargs
        As in :class:`Pretrainer`.

    Attributes
    ----------
    module_ : MVSSTMA | MMVSSTMAClassifier
        The fitted network.
    classes_ : ndarray
        The labels seen in ``fit`` (any integer coding).
    scalers_ : dict
        Fitted scalers per modality.
    history : skorch.history.History
        Per-epoch ``train_loss``, ``valid_loss``, ``valid_acc``, ``dur``.
    best_epoch_ : int
        The epoch whose weights were kept (0: the linear probe).
    probe_validation_ : dict | None
        When fine-tuning started from the linear probe with a validation
        split and early stopping: the probe's ``valid_loss`` and
        ``valid_acc`` on the held-out trials and whether it was ``kept``;
        otherwise ``None``.

    Notes
    -----
    The defaults are the package's recipe (a whitened linear probe of the
    frozen encoder, :ref:`recipe`;
    :func:`~mne_mmvsstma.training.recipe.get_recipe`); the paper's end-to-end
    fine-tuning of its larger network is
    ``EmotionClassifier(**classifier_params("paper"))`` (from
    :mod:`mne_mmvsstma.training.recipe`).
    """

    def __init__(
        self,
        modality="eeg",
        fusion=None,
        pretrained=None,
        *,
        dcca_weight=0.1,
        fusion_dim=None,
        mask_ratio=0.0,
        probe_C=1.0,
        probe_whitening="auto",
        probe_attention=True,
        freeze_batchnorm="auto",
        emb_dim=16,
        n_layers=1,
        n_heads=1,
        head_dim=16,
        drop_prob=0.1,
        pool="channels",
        kernel_sizes=(7, 5, 3),
        scale=True,
        eye_scaling="robust",
        lr=1e-3,
        max_epochs=0,
        batch_size=32,
        optimizer=torch.optim.AdamW,
        train_split=TrialSplit(),  # noqa: B008  (an immutable split rule, as skorch's ValidSplit)
        patience=20,
        grad_clip=5.0,
        lr_schedule=None,
        warmup_epochs=0,
        checkpoint_dir=None,
        resume=False,
        amp="auto",
        random_state=0,
        device="cpu",
        callbacks=None,
        verbose=0,
        module=None,
        criterion=torch.nn.CrossEntropyLoss,
        **kwargs,
    ):
        kwargs.setdefault("optimizer__weight_decay", 0.01)
        super().__init__(module, criterion=criterion, optimizer=optimizer, lr=lr,
                         max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
                         callbacks=callbacks, device=device, verbose=verbose, **kwargs)
        self.modality = modality
        self.fusion = fusion
        self.pretrained = pretrained
        self.dcca_weight = dcca_weight
        self.fusion_dim = fusion_dim
        self.mask_ratio = mask_ratio
        self.probe_C = probe_C
        self.probe_whitening = probe_whitening
        self.probe_attention = probe_attention
        self.freeze_batchnorm = freeze_batchnorm
        self.emb_dim = emb_dim
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.drop_prob = drop_prob
        self.pool = pool
        self.kernel_sizes = kernel_sizes
        self.eye_scaling = eye_scaling
        self._init_common(scale=scale, random_state=random_state, patience=patience,
                          grad_clip=grad_clip, lr_schedule=lr_schedule,
                          warmup_epochs=warmup_epochs, checkpoint_dir=checkpoint_dir,
                          resume=resume, amp=amp)

    def _checkpoint_name(self):
        return "finetune.pt"

    @property
    def modalities_(self):
        """The modalities the classifier consumes."""
        return MODALITIES if self.fusion is not None else (self.modality,)

    @property
    def modality_(self):
        """``"eeg"``, ``"eye"`` or ``"fusion"``."""
        return "fusion" if self.fusion is not None else self.modality

    # -- network -----------------------------------------------------------
    def _arch(self):
        return {k: getattr(self, k) for k in ARCH_PARAMS if k != "n_decoder_layers"}

    def _build_module(self):
        from ..models import MVSSTMA, MMVSSTMAClassifier

        # per modality, from the Pretrainers (used by the probe): whitening and its covariance
        self.whitening_, self.whitening_covariance_ = {}, {}
        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        n_classes = len(self.classes_)
        shapes = self.input_shapes_
        pre = self.pretrained
        if self.fusion is None:
            _, n_chans, n_times, n_bands = shapes[self.modality]
            if isinstance(pre, dict):
                pre = pre.get(self.modality)
            if pre is None:
                net = MVSSTMA(n_outputs=n_classes, n_chans=n_chans, n_times=n_times,
                              n_bands=n_bands, n_decoder_layers=0, **self._arch(),
                              **self.get_params_for("module"))
                net.init_input_scale(*self.input_stats_[self.modality])
                return net
            if isinstance(pre, MMVSSTMAClassifier):
                raise ValueError("fusion=None but pretrained is a fusion network; "
                                 "pass fusion=...")
            src = _pretrained_module(pre, self.modality)
            self._check_encoder(src, self.modality)
            self.whitening_[self.modality] = getattr(pre, "whitening_", None)
            self.whitening_covariance_[self.modality] = getattr(pre, "whitening_covariance_",
                                                                None)
            return MVSSTMA.from_pretrained(src, n_classes)
        if isinstance(pre, MMVSSTMAClassifier):
            if pre.fusion != self.fusion:
                raise ValueError(f"pretrained uses fusion {pre.fusion!r} but "
                                 f"fusion={self.fusion!r}")
            net = copy.deepcopy(pre)
            net.reset_head(n_classes)
            return net
        if pre is not None and not isinstance(pre, dict):
            raise TypeError("For fusion, pretrained must be None, a dict {'eeg': Pretrainer, "
                            "'eye': Pretrainer} or an MMVSSTMAClassifier, got "
                            f"{type(pre).__name__}")
        pre = pre or {}
        if set(pre) - set(MODALITIES):
            raise ValueError(f"pretrained dict keys must be 'eeg' and/or 'eye', got {list(pre)}")
        encoders = {}
        for m in MODALITIES:
            if pre.get(m) is None:
                encoders[m] = None
                continue
            src = _pretrained_module(pre[m], m, where=f"pretrained[{m!r}]")
            self._check_encoder(src, m)
            encoders[m] = MVSSTMA.from_pretrained(src, None)
            self.whitening_[m] = getattr(pre[m], "whitening_", None)
            self.whitening_covariance_[m] = getattr(pre[m], "whitening_covariance_", None)
        _, n_eeg, n_times, n_bands = shapes["eeg"]
        net = MMVSSTMAClassifier(
            n_classes, eeg_encoder=encoders["eeg"], eye_encoder=encoders["eye"],
            fusion=self.fusion, n_eeg_chans=n_eeg, n_eye_features=shapes["eye"][1],
            n_times=n_times, n_bands=n_bands,
            encoder_kwargs={**self._arch(), "n_decoder_layers": 0}, fusion_dim=self.fusion_dim)
        for m in MODALITIES:
            if encoders[m] is None:
                getattr(net, f"{m}_encoder").init_input_scale(*self.input_stats_[m])
        return net

    def _check_encoder(self, enc, modality):
        shape = self.input_shapes_[modality]
        if (enc.n_chans, enc.n_bands) != (shape[1], shape[3]):
            raise ValueError(
                f"The pretrained {modality} model expects {enc.n_chans} channels x "
                f"{enc.n_bands} bands but the {modality} data have {shape[1]} x {shape[3]}")

    def _forward(self, model, X, generator=None):
        """Logits, and the per-modality features of fusion networks."""
        kw = {"mask_ratio": self.mask_ratio}
        if generator is not None:
            kw["generator"] = generator
        if self.fusion is None:
            return model(X, **kw), None
        feats = model.encode(X["eeg"], X["eye"], **kw)
        return model.final_layer(model.head_drop(model.fuse(*feats))), feats

    def _train_forward(self, model, X):
        return self._forward(model, X)

    def infer(self, x, **fit_params):  # noqa: D102
        x = to_tensor(x, device=self.device)
        logits, _ = self._forward(self.module_, x, self.eval_generator_
                                  if self.mask_ratio > 0 else None)
        return logits

    def evaluation_step(self, batch, training=False):  # noqa: D102
        with self._autocast():
            return super().evaluation_step(batch, training).float()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Cross-entropy (+ ``dcca_weight`` x DCCA for fusion networks in training)."""
        from ..models.fusion import fusion_loss

        y_true = to_tensor(y_true, device=self.device)
        if isinstance(y_pred, tuple):
            logits, feats = y_pred
            if feats is not None and len(y_true) > 2:
                return fusion_loss(logits, feats, y_true, dcca_weight=self.dcca_weight)
            y_pred = logits
        return torch.nn.functional.cross_entropy(y_pred.float(), y_true)

    # -- data --------------------------------------------------------------
    def _prepare(self, X, *, fit):
        check_option("modality", self.modality, MODALITIES)
        if self.fusion is not None:
            check_option("fusion", self.fusion, FUSIONS)
            if not isinstance(X, dict):
                raise TypeError(
                    f"fusion={self.fusion!r} needs X as a dict {{'eeg': windows, 'eye': "
                    f"windows}}, got {type(X).__name__}")
            missing = [m for m in MODALITIES if m not in X]
            extra = sorted(set(X) - set(MODALITIES))
            if missing or extra:
                raise ValueError(f"fusion X must have the keys 'eeg' and 'eye' (missing "
                                 f"{missing}, unexpected {extra})")
            X = {m: check_windows(X[m], f"X[{m!r}]", m) for m in MODALITIES}
            if len(X["eeg"]) != len(X["eye"]):
                raise ValueError(f"X['eye'] has {len(X['eye'])} windows but X['eeg'] has "
                                 f"{len(X['eeg'])}")
            if X["eeg"].shape[2] != X["eye"].shape[2]:
                raise ValueError(f"X['eye'] windows have T={X['eye'].shape[2]} but X['eeg'] "
                                 f"windows have T={X['eeg'].shape[2]}")
        else:
            if isinstance(X, dict):
                if set(X) != {self.modality}:
                    raise ValueError(f"fusion=None: X must be {self.modality} windows (or a "
                                     f"dict with the single key {self.modality!r}), got keys "
                                     f"{sorted(X)}")
                X = X[self.modality]
            X = {self.modality: check_windows(X, "X", self.modality)}
        if not 0.0 <= float(self.mask_ratio) < 1.0:
            raise ValueError(f"mask_ratio must be in [0, 1), got {self.mask_ratio!r}")
        if fit:
            self.scalers_ = {m: (make_scaler(m, self.eye_scaling).fit(X[m]) if self.scale
                                 else None) for m in MODALITIES if m in X}
            self.input_shapes_ = {m: X[m].shape for m in X}
        else:
            self.check_is_fitted()
            for m in X:
                if X[m].shape[1:] != tuple(self.input_shapes_[m][1:]):
                    raise ValueError(f"{m} windows have shape {X[m].shape[1:]} but the "
                                     f"classifier was fitted on "
                                     f"{tuple(self.input_shapes_[m][1:])}")
        for m in X:
            if self.scalers_.get(m) is not None:
                X[m] = np.asarray(self.scalers_[m].transform(X[m]), dtype=np.float32)
        return X if self.fusion is not None else X[self.modality]

    def fit(self, X, y, groups=None):
        """Fine-tune on labeled windows.

        Parameters
        ----------
        X : ndarray, shape (N, C, T, F) | (N, n_eye, T, 1) | dict
            Windows of the modality, or ``{"eeg": ..., "eye": ...}`` for fusion.
        y : array-like of int, shape (N,)
            Labels (any integer coding, kept in ``classes_``).
        groups : array-like, shape (N,) | None
            Trial id of every window: the default :class:`TrialSplit` holds
            out whole trials for validation.

        Returns
        -------
        self : EmotionClassifier
        """
        if self.warm_start and self._is_fitted():
            return self.partial_fit(X, y, groups=groups)
        # with a linear probe, max_epochs=0 is the probe alone
        self._check_params(min_epochs=0 if self.probe_C is not None else 1)
        Xp = self._prepare(X, fit=True)
        n = self._n(Xp)
        y = check_labels(y, "y", n=n)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"y contains a single class ({classes.tolist()}); fine-tuning a "
                             "classifier needs at least two classes")
        if self.dcca_weight < 0:
            raise ValueError(f"dcca_weight must be >= 0, got {self.dcca_weight!r}")
        if groups is not None and len(groups) == n:
            n_trials = len(np.unique(groups))
            if n_trials < len(classes):
                raise ValueError(
                    f"groups give {n_trials} labeled trial(s) for {len(classes)} classes; every "
                    "class needs at least one trial of its own (groups is the trial id of "
                    "every window)")
        check_float(self.probe_C, "probe_C", none=True)
        check_option("freeze_batchnorm", self.freeze_batchnorm, (True, False, "auto"))
        self.classes_inferred_ = classes
        self.y_fit_ = np.searchsorted(classes, y)
        arrays = Xp if isinstance(Xp, dict) else {self.modality: Xp}
        self.input_stats_ = {m: (a.mean(axis=(0, 1, 2), dtype=np.float64),
                                 a.std(axis=(0, 1, 2), dtype=np.float64))
                             for m, a in arrays.items()}
        self._log(
            f"Fine-tuning {self.fusion or self.modality} classifier "
            f"({'pretrained' if self.pretrained is not None else 'random init'}) on {n} "
            f"windows, {len(classes)} classes, mask ratio {self.mask_ratio}, device "
            f"{_resolve_device(self.device)}")
        return self._fit_seeded(Xp, self.y_fit_, groups, {"kind": "finetune"})

    def _continuation_data(self, X, y, classes):
        Xp = self._prepare(X, fit=False)
        if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={np.unique(classes).tolist()} but the classifier was "
                             f"fitted with classes_={self.classes_.tolist()}")
        if y is None:
            raise ValueError("y is required (labels of the training windows)")
        y = check_labels(y, "y", n=self._n(Xp), classes=self.classes_, seen="in the first fit")
        self.y_fit_ = np.searchsorted(self.classes_, y)
        return Xp, self.y_fit_

    def check_data(self, X, y):  # noqa: D102
        pass  # classes_ are set from the original labels in fit

    def _fit_seeded(self, X, y, groups, settings):
        if settings is not None:
            self.probe_validation_ = None
        super()._fit_seeded(X, y, groups, settings)
        es = dict(getattr(self, "callbacks_", [])).get("early_stopping")
        if (settings is not None and self.probe_validation_ is not None and es is not None
                and es.best_epoch_ == 0):
            # validation kept the probe (restored by the early stopping): the probe alone
            # needs no held-out trials, so it is fitted on all of them
            self.probe_validation_["kept"] = True
            self._fit_probe(X, y, held_out=False)
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):  # noqa: D102
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self._probe_started_ = self.probe_C is not None and not self._continuing_
        if self._probe_started_:
            self._fit_probe(X, y)

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):  # noqa: D102
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid,
                               **kwargs)
        es = dict(self.callbacks_).get("early_stopping")
        if (len(self.history) == 1 and self._probe_started_ and dataset_valid is not None
                and es is not None):
            # the probe is epoch 0: fine-tuned epochs are kept only when they beat it
            losses, sizes, correct = self._run_batches(
                self.get_iterator(dataset_valid, training=False), False,
                self.validation_step, notify=False)
            loss = float(np.dot(losses, sizes) / sum(sizes))
            self.probe_validation_ = {"valid_loss": loss, "kept": False,
                                      "valid_acc": None if correct is None
                                      else correct / sum(sizes)}
            es.dynamic_threshold_ = es._calc_new_threshold(loss)
            es.best_epoch_ = 0
            es.best_model_weights_ = copy.deepcopy(self.module_.state_dict())

    def _set_training(self, training=True):
        super()._set_training(training)
        freeze = self.freeze_batchnorm
        if freeze == "auto":
            freeze = self.probe_C is not None
        if training and freeze:  # statistics fixed, scale and shift still trained
            for module in self.module_.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.eval()

    def _features(self, X):
        """Features of the frozen network (what ``final_layer`` sees), on the host."""

        def fn(model, x):
            kw = {"mask_ratio": self.mask_ratio}
            if self.mask_ratio > 0:
                kw["generator"] = self.eval_generator_
            if self.fusion is None:
                return model(x, return_features=True, **kw)
            return model.fuse(*model.encode(x["eeg"], x["eye"], **kw))

        return self._predict_batches(X, fn)

    def _modality_features(self, X):
        """Per-modality features ``(N, 2, dim)`` of a frozen attention-fusion network."""

        def fn(model, x):
            kw = {"mask_ratio": self.mask_ratio}
            if self.mask_ratio > 0:
                kw["generator"] = self.eval_generator_
            return torch.stack(model.encode(x["eeg"], x["eye"], **kw), dim=1)

        return self._predict_batches(X, fn)

    def _probe_whitening(self):
        """``(mean, W)`` whitening of the input of ``final_layer`` from the Pretrainers, or None.

        Fusion networks with projections get the whitening folded into their
        projection layers instead (the final layer then needs none).
        """
        use = self.probe_whitening
        if use == "auto":
            use = (self.fusion is not None or self.modality == "eeg"
                   or (getattr(self, "whitening_covariance_", None) or {}).get("eye")
                   == "stimulus")
        whites = getattr(self, "whitening_", None) or {}
        if not use or all(w is None for w in whites.values()):
            return None
        if self.fusion is None:
            return whites.get(self.modality)
        net = self.module_
        blocks = []
        for m in MODALITIES:
            white, proj = whites.get(m), getattr(net, f"{m}_projection")
            if isinstance(proj, torch.nn.Linear):
                if white is not None:  # P W (f - mu) + b
                    with torch.no_grad():
                        # copies (the arrays may be read-only, e.g. in a joblib worker)
                        w = torch.tensor(white[1], dtype=proj.weight.dtype,
                                         device=proj.weight.device)
                        mu = torch.tensor(white[0], dtype=proj.weight.dtype,
                                          device=proj.weight.device)
                        folded = proj.weight @ w
                        proj.bias.sub_(folded @ mu)
                        proj.weight.copy_(folded)
                continue
            blocks.append((getattr(net, f"{m}_encoder").feature_dim, white))
        if not blocks:
            return None
        # concatenation without projections: block-diagonal whitening
        dim = sum(d for d, _ in blocks)
        mean, W = np.zeros(dim), np.eye(dim)
        start = 0
        for d, white in blocks:
            if white is not None:
                mean[start:start + d] = white[0]
                W[start:start + d, start:start + d] = white[1]
            start += d
        return mean, W

    def _fit_probe(self, X, y, held_out=True):
        """Fit ``final_layer`` as a logistic regression on the frozen features.

        ``held_out``: leave out the validation trials when fine-tuning epochs
        will be selected on them.

        With attention fusion (``probe_attention``): probe at the network's
        attention vector, fit the attention vector to that probe, probe again
        at the fitted attention (one round of block-coordinate descent of
        the probe's objective).
        """
        idx = np.arange(len(y))
        # the validation trials stay unseen when fine-tuning epochs will be selected on them
        if (held_out and self.max_epochs > 0 and isinstance(self.train_split, TrialSplit)
                and self.groups_fit_ is not None):
            idx, valid = self.train_split.indices(self.groups_fit_, y)
            if len(valid) == 0:
                idx = np.arange(len(y))
        Xi = {m: a[idx] for m, a in X.items()} if isinstance(X, dict) else X[idx]
        yi = y[idx]
        C = self.probe_C
        white = self._probe_whitening()
        if self.fusion == "attention" and self.probe_attention:
            # per-modality features (the whitening is in the projections)
            h = torch.from_numpy(self._modality_features(Xi).astype(np.float64))
            w = self.module_.attention_vector.detach().cpu().double()
            probe = _logistic_probe(_attention_fuse(h, w).numpy(), yi, C)
            w = _fit_attention(h, yi, w, probe, C=C)
            with torch.no_grad():
                self.module_.attention_vector.copy_(w.to(self.module_.attention_vector))
            feats = _attention_fuse(h, w).numpy()
        else:
            feats = self._features(Xi).astype(np.float64)
            if white is not None:  # learned by the Pretrainer(s) on all their recordings
                feats = (feats - white[0]) @ white[1]
        # folded into the layer with the whitening, if any
        weight, bias = _fold_probe(_logistic_probe(feats, yi, C), len(self.classes_), white)
        layer = self.module_.final_layer
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(weight, dtype=layer.weight.dtype))
            layer.bias.copy_(torch.as_tensor(bias, dtype=layer.bias.dtype))

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : ndarray | dict
            Windows, as in :meth:`fit`.

        Returns
        -------
        proba : ndarray, shape (N, n_classes)
        """
        Xp = self._prepare(X, fit=False)
        self.last_attention_ = None
        attention = []

        def fn(model, x):
            logits, _ = self._forward(model, x, self.eval_generator_
                                      if self.mask_ratio > 0 else None)
            if self.fusion == "attention" and model.last_attention_ is not None:
                attention.append(model.last_attention_.float().cpu())
            return torch.softmax(logits.float(), dim=1)

        proba = self._predict_batches(Xp, fn)
        if attention:
            self.last_attention_ = torch.cat(attention).numpy()
        return proba

    def predict(self, X):
        """Predicted labels (values of ``classes_``).

        Parameters
        ----------
        X : ndarray | dict
            Windows, as in :meth:`fit`.

        Returns
        -------
        y_pred : ndarray, shape (N,)
        """
        return self.classes_[self.predict_proba(X).argmax(axis=1)]
