"""Self-supervised pretraining: :class:`Pretrainer`, a scikit-learn estimator on skorch.

Masked channel reconstruction with an :class:`~mne_mmvsstma.models.MVSSTMA`
encoder-decoder; the fitted Pretrainer (or its network) is the starting point of
:class:`~mne_mmvsstma.training.EmotionClassifier`.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from skorch import NeuralNet
from skorch.utils import to_tensor

from ..features._inputs import MODALITIES, check_windows
from ..features.normalize import make_scaler
from ..utils import check_option, logger
from ._base import ARCH_PARAMS, _MVSSTMANet, _resolve_device
from ._data import _stimulus_targets
from .probe import _stimulus_whitening, _zca_whitening
from .recipe import AUTO_WHITENING, PRETRAIN_TARGETS

#: what the covariance of :attr:`Pretrainer.whitening_` is computed from
WHITENING_COVARIANCES = ("auto", "total", "stimulus")


class Pretrainer(_MVSSTMANet, NeuralNet):
    """Self-supervised MV-SSTMA pretraining by masked channel reconstruction (no labels).

    ``fit(X)`` trains an :class:`~mne_mmvsstma.models.MVSSTMA` encoder-decoder
    to reconstruct a random ``mask_ratio`` of the channels (eye features) of
    every window from the visible ones; ``transform(X)`` returns the encoder's
    features. The fitted network is ``module_`` and its encoder part
    ``encoder_`` (a copy without decoder); pass the fitted Pretrainer to
    :class:`EmotionClassifier` (``pretrained=``).

    Parameters
    ----------
    modality : ``"eeg"`` | ``"eye"``
        EEG DE windows ``(N, C, T, F)`` or eye-movement windows
        ``(N, n_eye, T, 1)``.
    mask_ratio : float
        Fraction of channels masked and reconstructed (the default recipe's
        0.7; 0.3 in the paper).
    target : ``"self"`` | ``"stimulus"``
        What the decoder reconstructs at the masked channels. ``"self"``
        (default): the window itself (the paper's masked autoencoder).
        ``"stimulus"``: the mean window of the *other* trials of the same
        stimulus at the same place in their trial, i.e. what the other
        recordings show at that moment of the same film clip (a window that
        no other trial matches keeps itself). The encoder then learns what a
        recording's visible channels say about the response the subjects
        share. Needs ``stimuli`` and ``groups`` in :meth:`fit`.
        ``"teacher"``: what a teacher network makes of the whole window (a
        data2vec-style objective [1]_): the decoder predicts, at the masked
        channels, the layer-normalised encoder tokens of all channels computed
        by a copy of the encoder (``teacher_``) whose weights follow the
        trained ones as an exponential moving average (``teacher_decay``);
        the prediction layer then has ``emb_dim`` outputs. The encoder learns
        to predict its own features of the full window rather than the band
        values themselves.
    teacher_decay : float
        ``target="teacher"``: after every optimizer step, each teacher weight
        becomes ``teacher_decay * teacher + (1 - teacher_decay) * trained``
        (0: the teacher is the trained encoder of the previous step; 1: the
        teacher keeps its initial weights). The teacher runs in evaluation
        mode (no dropout; batch normalisation with its initial statistics).
    emb_dim, n_layers, n_decoder_layers, n_heads, head_dim, drop_prob, pool, kernel_sizes
        :class:`~mne_mmvsstma.models.MVSSTMA` architecture (by default the
        recipe's 1 + 1 hybrid blocks with one head of width 16, which a CPU
        affords; the paper's 6 + 6 blocks and 6 heads are
        ``pretrainer_params("paper")``, see Notes; features: the mean over the
        window of every channel, which the accuracy benchmark chose over the
        mean of all tokens and the flattened tokens).
    scale : bool
        Fit a :class:`~mne_mmvsstma.features.BandScaler` (EEG) or an eye
        scaler (``eye_scaling``) on ``X`` and apply it in ``fit`` and
        ``transform`` (``scalers_``). ``False`` for data scaled beforehand
        (e.g. per recording).
    eye_scaling : ``"robust"`` | ``"minmax"``
        Eye scaler: :class:`~mne_mmvsstma.features.RobustEyeScaler` (log of
        heavy-tailed features, median / IQR, clipped; the default, because
        real eye features have p99 up to 300 times the median) or the paper's
        :class:`~mne_mmvsstma.features.EyeRescaler` to 10..100.
    whitening : ``"auto"`` | float | None
        After training, learn a whitening of the encoder's features from the
        (unlabeled) training windows: ZCA with shrinkage, eigenvalues plus
        ``whitening`` times their mean (``whitening_``). A linear probe of
        :class:`EmotionClassifier` on this Pretrainer's encoder applies it, so
        that directions in which windows vary most over all the pretraining
        recordings (trial-to-trial shifts, unrelated to emotion) weigh less.
        ``"auto"`` (default): the recipe's shrinkage of the modality
        (:data:`~mne_mmvsstma.training.recipe.AUTO_WHITENING`: EEG 0.1, eye
        3.0; the eye features, 31 values per time step, have few directions
        of large variance and need more shrinkage: on the real SEED-IV
        development sessions eye-only probes on untrained encoders scored
        50.0 / 59.1 % unwhitened, 51.0 / 65.8 at 1.0 and 55.2 / 63.3 at 3.0,
        sessions 1 / 2; ``benchmarks/README.md``). The value used is
        ``whitening_shrinkage_``. Computed when the features have at most
        4096 dimensions (``pool="channels"`` or ``"mean"``). ``None``: none.
    reset_batchnorm : bool
        After training, set the running statistics of the network's batch
        normalisations (one per hybrid block, after its temporal
        convolutions) back to their initial values (mean 0, variance 1), so
        that the extractor normalises as at initialisation and only the
        learned weights, scales and shifts change its features. The recipe's
        ``True`` was chosen on the real SEED-IV development sessions: the
        statistics of the pretraining batches cost the probes about 4 points
        (untrained encoders with them against without them: 54.3 / 75.6 %
        against 58.4 / 77.7 % on sessions 1 / 2), and with the reset the
        pretrained EEG extractors scored 1.3 to 2.9 points higher on both
        sessions and two sets of seeds (``benchmarks/README.md``). ``False``
        keeps the statistics of the pretraining batches (the paper's
        setting).
    whitening_covariance : ``"auto"`` | ``"total"`` | ``"stimulus"``
        What the whitening equalises. ``"total"``: the covariance of all
        training windows. ``"stimulus"``: how the recordings' trials of the
        same stimulus differ (the covariance of every trial's mean feature
        around the mean of the trials of its stimulus); directions in which
        the recordings respond alike to a stimulus then weigh more than those
        in which each recording differs (on the real SEED-IV development
        sessions, the probe of the recipe gained 2 to 5 points from it,
        ``doc/recipe.rst``). It needs ``stimuli`` in :meth:`fit`: the
        stimulus of every window (:func:`~mne_mmvsstma.training.pretrain`
        derives them from recordings: the same trial number of the same
        session and dataset is the same film clip). ``"auto"`` (default):
        ``"stimulus"`` when ``fit`` gets ``stimuli``, else ``"total"``.
    lr, max_epochs, batch_size, optimizer, optimizer__weight_decay
        skorch training parameters (AdamW; the default recipe's lr 1e-3 for 3
        epochs over a session's training trials; the paper's 1.5e-4 for 100
        epochs). ``batch_size`` is the global batch of a multi-process run.
        ``max_epochs=0`` fits the scalers and initialises the network without
        training it (an untrained baseline, logged as a warning);
        :func:`~mne_mmvsstma.training.pretrain` and the command line refuse 0
        epochs.
    train_split : TrialSplit | callable | None
        Validation split (``None``: none, the paper's setting). With
        :class:`TrialSplit`, pass ``groups`` to ``fit``.
    patience : int | None
        Early-stopping patience on the validation loss (needs ``train_split``).
    grad_clip : float | None
        Maximum gradient norm (:class:`~skorch.callbacks.GradientNormClipping`).
    lr_schedule : None | ``"cosine"``
        ``"cosine"``: linear warmup over ``warmup_epochs``, then cosine decay.
    warmup_epochs : int
        Warmup epochs of the cosine schedule.
    checkpoint_dir : path-like | None
        Folder of the training checkpoint (``pretrain_<modality>.pt``),
        written after every epoch.
    resume : bool
        Continue from the checkpoint (same data and settings; ``max_epochs``
        may be larger), see :class:`~mne_mmvsstma.training.callbacks.ExactResume`.
    amp : ``"auto"`` | bool
        bfloat16 autocast on CUDA (never on CPU).
    random_state : int | numpy.random.Generator | None
        Seed of the weights, masks, dropout and window order (as everywhere in
        the package: an int for reproducible fits; a Generator is drawn once
        per fit; ``None`` fresh entropy).
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"`` (CUDA when available).
    callbacks : list | None
        Extra skorch callbacks.
    verbose : int
        skorch's print log and a progress bar when > 0.
    **kwargs
        Other :class:`skorch.NeuralNet` parameters (``compile=True``,
        ``iterator_valid__batch_size``: windows per prediction batch, by
        default 64 on CPU and 256 on other devices; ``optimizer__betas``...).

    Attributes
    ----------
    module_ : MVSSTMA
        The fitted encoder-decoder.
    encoder_ : MVSSTMA
        Its encoder (no decoder, no head), e.g. for feature extraction.
    scalers_ : dict
        ``{"eeg": scaler | None, "eye": scaler | None}``.
    whitening_ : tuple of ndarray | None
        ``(mean, W)``: the feature whitening (see ``whitening``).
    whitening_covariance_ : ``"stimulus"`` | ``"total"`` | None
        What the whitening equalises (see ``whitening_covariance``).
    whitening_shrinkage_ : float | None
        Its shrinkage (``whitening`` with ``"auto"`` resolved).
    teacher_ : MVSSTMA | None
        ``target="teacher"``: the teacher encoder (``None`` otherwise). It is
        part of the training checkpoint (``checkpoint_dir``) but not of
        :func:`~mne_mmvsstma.training.save_model` files: a Pretrainer read
        from a file, trained further or scored, starts from a teacher equal to
        its own encoder.
    history : skorch.history.History
        Per-epoch ``train_loss`` (masked MSE), ``valid_loss``, ``dur``.

    Notes
    -----
    The defaults are the package's recipe, chosen on real SEED-IV features
    (``benchmarks/real_accuracy.py``, :ref:`recipe`;
    :func:`~mne_mmvsstma.training.recipe.get_recipe`). The paper's
    hyperparameters are one argument away::

        from mne_mmvsstma.training.recipe import pretrainer_params

        Pretrainer(**pretrainer_params("paper"))

    References
    ----------
    .. [1] Baevski, A., Hsu, W.-N., Xu, Q., Babu, A., Gu, J., Auli, M. (2022).
       data2vec: a general framework for self-supervised learning in speech,
       vision and language. ICML 2022.
    """

    def __init__(
        self,
        modality="eeg",
        mask_ratio=0.7,
        *,
        target="self",
        teacher_decay=0.99,
        emb_dim=16,
        n_layers=1,
        n_decoder_layers=1,
        n_heads=1,
        head_dim=16,
        drop_prob=0.1,
        pool="channels",
        kernel_sizes=(7, 5, 3),
        scale=True,
        eye_scaling="robust",
        whitening="auto",
        whitening_covariance="auto",
        reset_batchnorm=True,
        lr=1e-3,
        max_epochs=3,
        batch_size=64,
        optimizer=torch.optim.AdamW,
        train_split=None,
        patience=None,
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
        criterion=torch.nn.MSELoss,
        **kwargs,
    ):
        kwargs.setdefault("optimizer__weight_decay", 0.01)
        super().__init__(module, criterion, optimizer=optimizer, lr=lr, max_epochs=max_epochs,
                         batch_size=batch_size, train_split=train_split, callbacks=callbacks,
                         device=device, verbose=verbose, **kwargs)
        self.modality = modality
        self.mask_ratio = mask_ratio
        self.target = target
        self.teacher_decay = teacher_decay
        self.emb_dim = emb_dim
        self.n_layers = n_layers
        self.n_decoder_layers = n_decoder_layers
        self.n_heads = n_heads
        self.head_dim = head_dim
        self.drop_prob = drop_prob
        self.pool = pool
        self.kernel_sizes = kernel_sizes
        self.eye_scaling = eye_scaling
        self.whitening = whitening
        self.whitening_covariance = whitening_covariance
        self.reset_batchnorm = reset_batchnorm
        self._init_common(scale=scale, random_state=random_state, patience=patience,
                          grad_clip=grad_clip, lr_schedule=lr_schedule,
                          warmup_epochs=warmup_epochs, checkpoint_dir=checkpoint_dir,
                          resume=resume, amp=amp)

    def __sklearn_clone__(self):
        """Clones of a fitted Pretrainer keep its weights.

        An :class:`EmotionClassifier` holds its Pretrainer as a parameter, and
        scikit-learn clones parameters (``GridSearchCV``, ``cross_val_score``);
        ``fit`` retrains from scratch regardless.
        """
        if getattr(self, "initialized_", False) and hasattr(self, "module_"):
            return copy.deepcopy(self)
        from sklearn.base import _clone_parametrized

        return _clone_parametrized(self)

    def _checkpoint_name(self):
        return f"pretrain_{self.modality}.pt"

    def _build_module(self):
        from ..models import MVSSTMA

        if isinstance(self.module, torch.nn.Module):
            return copy.deepcopy(self.module)
        _, n_chans, n_times, n_bands = self.input_shape_
        net = MVSSTMA(
            n_outputs=None, n_chans=n_chans, n_times=n_times, n_bands=n_bands,
            mask_ratio=float(self.mask_ratio), **{k: getattr(self, k) for k in ARCH_PARAMS},
            target_dim=self.emb_dim if self.target == "teacher" else None,
            **self.get_params_for("module"))
        net.init_input_scale(*self.input_stats_)
        return net

    def initialize_module(self):  # noqa: D102
        super().initialize_module()
        # not a skorch module: neither trained by the optimizer nor part of module_
        object.__setattr__(self, "teacher_", None)
        if self.target == "teacher":
            self._teacher()
        return self

    def _teacher(self):
        """The teacher of ``target="teacher"`` (a copy of the encoder when there is none yet,
        e.g. in a Pretrainer read from a file)."""
        from ..models import MVSSTMA

        teacher = getattr(self, "teacher_", None)
        if teacher is None:
            teacher = MVSSTMA.from_pretrained(self.module_, None).requires_grad_(False).eval()
            object.__setattr__(self, "teacher_", teacher)
        return teacher

    def _targets(self, x):
        """What the masked channels of the windows ``x`` are compared with (None: ``x``)."""
        if isinstance(x, dict):  # windows and their reconstruction targets
            return x["x"], x["target"]
        if self.target != "teacher":
            return x, None
        with torch.no_grad():
            tokens = self._teacher().encode(x).float()
        return x, torch.nn.functional.layer_norm(tokens, tokens.shape[-1:])

    def train_step(self, batch, **fit_params):  # noqa: D102
        step = super().train_step(batch, **fit_params)
        if self.target == "teacher":  # the teacher follows the weights just updated
            trained = dict(self.module_.named_parameters())
            with torch.no_grad():
                for name, weight in self._teacher().named_parameters():
                    weight.lerp_(trained[name].detach(), 1.0 - float(self.teacher_decay))
        return step

    def _train_forward(self, model, X):
        x, target = self._targets(X)
        return model.forward_pretrain(x, mask_ratio=self.mask_ratio, target=target)["loss"]

    def infer(self, x, **fit_params):  # noqa: D102
        x, target = self._targets(to_tensor(x, device=self.device))
        return self.module_.forward_pretrain(x, mask_ratio=self.mask_ratio, target=target,
                                             generator=self.eval_generator_)["loss"]

    def evaluation_step(self, batch, training=False):  # noqa: D102
        with self._autocast():
            return super().evaluation_step(batch, training)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The masked reconstruction error returned by the forward pass."""
        return y_pred

    def _prepare(self, X, *, fit):
        check_option("modality", self.modality, MODALITIES)
        X = check_windows(X, "X", self.modality)
        if fit:
            if not 0.0 < float(self.mask_ratio) < 1.0:
                raise ValueError(f"mask_ratio must be in (0, 1) for pretraining, "
                                 f"got {self.mask_ratio!r}")
            if len(X) < 2:
                raise ValueError(f"Pretrainer needs at least 2 windows, got {len(X)}")
            scaler = (make_scaler(self.modality, self.eye_scaling).fit(X) if self.scale
                      else None)
            self.scalers_ = {"eeg": None, "eye": None, self.modality: scaler}
        else:
            self.check_is_fitted()
            if X.shape[1:] != tuple(self.input_shape_[1:]):
                raise ValueError(f"X windows have shape {X.shape[1:]} but the Pretrainer was "
                                 f"fitted on {tuple(self.input_shape_[1:])}")
        scaler = self.scalers_[self.modality]
        if scaler is not None:
            X = np.asarray(scaler.transform(X), dtype=np.float32)
        return X

    def fit(self, X, y=None, groups=None, stimuli=None):
        """Pretrain on unlabeled windows.

        Parameters
        ----------
        X : ndarray, shape (N, C, T, F) | (N, n_eye, T, 1)
            Windows of the estimator's modality (training data only).
        y : None
            Ignored (self-supervised).
        groups : array-like, shape (N,) | None
            Trial id of every window (for a :class:`TrialSplit` validation,
            and for the stimulus whitening).
        stimuli : array-like, shape (N,) | None
            Stimulus of every window (e.g. the film clip), for the whitening
            by stimulus (``whitening_covariance``) and ``target="stimulus"``;
            needs ``groups``.

        Returns
        -------
        self : Pretrainer
        """
        self.stimuli_fit_ = self._check_stimuli(X, groups, stimuli)
        if self.warm_start and self._is_fitted():
            return self.partial_fit(X, groups=groups, stimuli=stimuli)
        self._check_params(min_epochs=0)
        if self.max_epochs == 0:
            logger.warning("Pretrainer: max_epochs=0 initialises the network without training "
                           "it (an untrained baseline)")
        X = self._prepare(X, fit=True)
        self.input_shape_ = X.shape
        axes = (0, 1, 2)
        self.input_stats_ = (X.mean(axis=axes, dtype=np.float64),
                             X.std(axis=axes, dtype=np.float64))
        self.y_fit_ = None
        self._log(f"Pretraining the {self.modality.upper()} extractor on {len(X)} windows "
                    f"{X.shape[1:]} (mask ratio {self.mask_ratio}, {self.max_epochs} epochs, "
                    f"device {_resolve_device(self.device)})")
        return self._fit_seeded(self._with_targets(X, groups), None, groups,
                                {"kind": "pretrain"})

    def _with_targets(self, X, groups):
        """``X``, or ``{"x": X, "target": ...}`` when the target is fixed data other than the
        window itself."""
        if self.target != "stimulus":
            return X
        return {"x": X, "target": _stimulus_targets(X, groups, self.stimuli_fit_)}

    def partial_fit(self, X, y=None, classes=None, groups=None, stimuli=None):
        """Train further (see :meth:`EmotionClassifier.partial_fit`); ``whitening_`` is learned
        again on ``X`` (with ``stimuli`` as in :meth:`fit`)."""
        if not self._is_fitted():
            return self.fit(X, groups=groups, stimuli=stimuli)
        self.stimuli_fit_ = self._check_stimuli(X, groups, stimuli)
        self.groups_fit_ = None if groups is None else np.asarray(groups)  # for the targets
        return super().partial_fit(X, y, classes=classes, groups=groups)

    def _check_stimuli(self, X, groups, stimuli, *, training=True):
        """``stimuli`` as an array (or None), checked against ``X``, ``groups`` and the setting
        (``training``: also the reconstruction target's needs)."""
        check_option("whitening_covariance", self.whitening_covariance, WHITENING_COVARIANCES)
        check_option("target", self.target, PRETRAIN_TARGETS)
        self._whitening_shrinkage()  # checked before training
        if not 0.0 <= float(self.teacher_decay) <= 1.0:
            raise ValueError(f"teacher_decay must be in [0, 1], got {self.teacher_decay!r}")
        if stimuli is None:
            if self.target == "stimulus" and training:
                raise ValueError(
                    "target='stimulus' needs the stimulus of every window: pass stimuli= (and "
                    "groups=, the trial of every window) to fit, or use target='self'")
            if self.whitening_covariance == "stimulus" and self.whitening is not None:
                raise ValueError(
                    "whitening_covariance='stimulus' needs the stimulus of every window: pass "
                    "stimuli= (and groups=, the trial of every window) to fit, or use "
                    "whitening_covariance='total'")
            return None
        stimuli = np.asarray(stimuli)
        if stimuli.ndim != 1 or len(stimuli) != self._n(X):
            raise ValueError(f"stimuli must have one entry per window ({self._n(X)}), got "
                             f"shape {stimuli.shape}")
        if groups is None:
            raise ValueError("stimuli needs groups (the trial of every window): the stimulus "
                             "whitening and targets compare trials")
        return stimuli

    def _continuation_data(self, X, y, classes):
        self.y_fit_ = None
        return self._with_targets(self._prepare(X, fit=False), self.groups_fit_), None

    def _after_training(self, X):
        if isinstance(X, dict):
            X = X["x"]
        if self.reset_batchnorm:  # before the whitening, which learns the final features
            for module in self.module_.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.reset_running_stats()
        stimuli = getattr(self, "stimuli_fit_", None)
        self.whitening_ = self._learn_whitening(
            X, self.groups_fit_, None if self.whitening_covariance == "total" else stimuli)

    def fit_whitening(self, X, groups=None, stimuli=None):
        """Learn ``whitening_`` again from the encoder's features of ``X``.

        E.g. from the classifiers' features of the same training trials when
        the network was pretrained on another feature family (the protocol
        pretrains SEED-IV extractors on ``de_movingAve`` and whitens with
        ``de_LDS``). The network is not changed.

        Parameters
        ----------
        X : ndarray, shape (N, C, T, F) | (N, n_eye, T, 1)
            Unlabeled training windows (scaled like those of :meth:`fit`).
        groups, stimuli : array-like, shape (N,) | None
            Trial and stimulus of every window, as in :meth:`fit`.

        Returns
        -------
        self : Pretrainer
        """
        self.check_is_fitted()
        stimuli = self._check_stimuli(X, groups, stimuli, training=False)
        if self.whitening_covariance == "total":
            stimuli = None
        X = self._prepare(X, fit=False)
        self.whitening_ = self._learn_whitening(X, None if groups is None else
                                                np.asarray(groups), stimuli)
        return self

    def _whitening_shrinkage(self):
        """The shrinkage of the whitening (``"auto"`` resolved; None: no whitening)."""
        shrink = self.whitening
        if isinstance(shrink, str):
            check_option("whitening", shrink, ("auto",))
            return AUTO_WHITENING[self.modality]
        if shrink is not None and not (isinstance(shrink, (int, float, np.number))
                                       and 0 <= shrink < np.inf):
            raise ValueError(f"whitening must be 'auto', a shrinkage >= 0 or None, got "
                             f"{shrink!r}")
        return shrink

    def _learn_whitening(self, X, groups=None, stimuli=None):
        """``(mean, W)`` of the ZCA whitening of the encoder features of ``X``, or None."""
        shrink = self._whitening_shrinkage()
        self.whitening_covariance_ = None
        self.whitening_shrinkage_ = shrink
        if shrink is None:
            return None
        dim = self.module_.feature_dim
        if dim > 4096:
            logger.info(f"Pretrainer: no feature whitening for {dim}-dimensional features "
                        "(pool='flatten'); use pool='channels'")
            return None
        feats = self._predict_batches(X, lambda m, x: m(x, return_features=True))
        found = None if stimuli is None else _stimulus_whitening(
            feats, groups, stimuli, shrink, require=self.whitening_covariance == "stimulus")
        if found is None:
            if stimuli is not None:
                logger.info("Pretrainer: no stimulus in two trials (e.g. one recording): "
                            "whitening from all windows")
            self.whitening_covariance_ = "total"
            return _zca_whitening(feats, shrink)
        mean, W, n_stim = found
        self.whitening_covariance_ = "stimulus"
        self._log(f"Pretrainer: whitening from the differences between trials of {n_stim} "
                  "stimuli")
        return mean, W

    def transform(self, X):
        """Encoder features of ``X`` (all channels visible).

        Parameters
        ----------
        X : ndarray, shape (N, C, T, F) | (N, n_eye, T, 1)

        Returns
        -------
        features : ndarray, shape (N, feature_dim)
        """
        X = self._prepare(X, fit=False)
        return self._predict_batches(X, lambda m, x: m(x, return_features=True))

    def score(self, X, y=None):
        """Negative masked reconstruction error on ``X`` (fixed masks; higher is better)."""
        X = self._prepare(X, fit=False)
        # every window carries the loss of its batch: their mean weighs batches by size
        losses = self._predict_batches(X, lambda m, x: self.infer(x).float().expand(len(x)))
        return -float(losses.mean(dtype=np.float64))

    @property
    def encoder_(self):
        """The fitted encoder (a copy without decoder and head)."""
        from ..models import MVSSTMA

        self.check_is_fitted()
        return MVSSTMA.from_pretrained(self.module_, None)


# ---------------------------------------------------------------------------
# EmotionClassifier


def _pretrained_module(obj, modality, where="pretrained"):
    """The MVSSTMA of a fitted Pretrainer / an MVSSTMA, checked against ``modality``."""
    from ..models import MVSSTMA

    if isinstance(obj, Pretrainer):
        if not hasattr(obj, "module_"):
            raise ValueError(f"{where}: the Pretrainer is not fitted")
        if obj.modality != modality:
            raise ValueError(f"{where}: the Pretrainer was trained on {obj.modality!r} "
                             f"features but {modality!r} is needed")
        return obj.module_
    if isinstance(obj, MVSSTMA):
        src = getattr(obj, "modality_", None)
        if src is not None and src != modality:
            raise ValueError(f"{where}: the model was pretrained on {src!r} features but "
                             f"{modality!r} is needed")
        return obj
    raise TypeError(f"{where} must be a fitted Pretrainer or an MVSSTMA, got "
                    f"{type(obj).__name__}")
