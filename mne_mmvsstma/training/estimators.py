"""scikit-learn estimators on skorch: :class:`Pretrainer` and :class:`EmotionClassifier`.

Both are :class:`skorch.NeuralNet` subclasses, so they clone, take part in
:class:`~sklearn.pipeline.Pipeline`, :func:`~sklearn.model_selection.cross_val_score`
and :class:`~sklearn.model_selection.GridSearchCV`, accept skorch callbacks and
keep a skorch :class:`~skorch.history.History`. What they add to skorch:

- the network is built at ``fit`` from the shape of the data (like braindecode's
  ``EEGClassifier`` infers its signal parameters), randomly or from pretrained
  encoders;
- preprocessing fitted on the training data travels with the estimator
  (``scalers_``);
- model selection on whole held-out training trials (:class:`TrialSplit`,
  ``groups`` = trial id of every window);
- reproducibility: ``random_state`` seeds the weights, dropout and masks (the
  caller's global torch random state is left as it was) and the window order of
  every epoch; :class:`~mne_mmvsstma.training.callbacks.ExactResume` makes an
  interrupted and resumed fit equal an uninterrupted one;
- data-parallel training under ``torchrun``
  (:mod:`mne_mmvsstma.training.distributed`);
- GPU hygiene: the windows are moved to the device once per fit (batches are
  index slices of device tensors), no host synchronisation per batch (losses
  are gathered once per epoch), bfloat16 autocast on CUDA, ``compile=True``
  for :func:`torch.compile`.
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import warnings
from pathlib import Path

import numpy as np
import torch
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import GradientNormClipping, ProgressBar
from skorch.utils import to_tensor

from ..features._inputs import MODALITIES, check_labels, check_windows
from ..features.normalize import make_scaler
from ..utils import check_float, check_int, check_option, check_random_state, logger
from . import distributed
from .callbacks import (
    ExactResume,
    TrialEarlyStopping,
    fingerprint,
    hash_arrays,
    module_hash,
    warmup_cosine,
)

FUSIONS = ("concat", "attention")
# constructor parameters of MVSSTMA that the estimators expose
ARCH_PARAMS = ("emb_dim", "n_layers", "n_decoder_layers", "n_heads", "head_dim", "drop_prob",
               "pool", "kernel_sizes")


# ---------------------------------------------------------------------------
# data


class WindowDataset(torch.utils.data.Dataset):
    """Windows (a tensor or a dict of tensors) and optional labels, fetched a batch at a time.

    ``__getitems__`` returns a whole batch with one indexing operation per
    tensor, so a batch costs a few kernels whatever its size (no per-window
    stacking).
    """

    def __init__(self, X, y=None):
        self.X = X
        self.y = y

    def _first(self):
        """The first (or only) tensor of ``X``: its length and device are the dataset's."""
        return next(iter(self.X.values())) if isinstance(self.X, dict) else self.X

    def __len__(self):
        return len(self._first())

    def _take(self, idx):
        if isinstance(self.X, dict):
            X = {k: v[idx] for k, v in self.X.items()}
        else:
            X = self.X[idx]
        return X, None if self.y is None else self.y[idx]

    def __getitem__(self, i):
        return self._take(i)

    def __getitems__(self, indices):
        return self._take(torch.as_tensor(indices, dtype=torch.long,
                                          device=self._first().device))

    def subset(self, idx):
        """The windows at ``idx`` (a new dataset)."""
        X, y = self._take(torch.as_tensor(np.asarray(idx), dtype=torch.long,
                                          device=self._first().device))
        return WindowDataset(X, y)


def _batch(batch):
    return batch


class TrialSplit:
    """Hold out whole training trials for validation (a skorch ``train_split``).

    Early stopping and best-epoch selection on windows of trials that are also
    used for fitting reward memorising trials: windows of one trial are nearly
    identical once smoothed. This split holds out ``n_per_class`` whole trials
    of every class (chosen at random with ``random_state``), so the validation
    loss measures generalisation to unseen trials, like the test.

    Parameters
    ----------
    n_per_class : int
        Trials of every class held out (a class keeps at least one training
        trial; a class with a single trial contributes no validation trial,
        which is logged).
    random_state : int | numpy.random.Generator | None
        Seed of the choice of trials.
    """

    def __init__(self, n_per_class=1, random_state=0):
        self.n_per_class = n_per_class
        self.random_state = random_state

    def __repr__(self):
        return f"TrialSplit(n_per_class={self.n_per_class}, random_state={self.random_state})"

    def indices(self, groups, y=None):
        """Return ``(train_idx, valid_idx)``; ``valid_idx`` is empty when no trial can be held out.

        Parameters
        ----------
        groups : array-like, shape (n_windows,)
            Trial id of every window.
        y : array-like, shape (n_windows,) | None
            Labels (``None``: hold out ``n_per_class`` trials in total).

        Returns
        -------
        train_idx, valid_idx : ndarray of int
        """
        if groups is None:
            raise ValueError(
                "TrialSplit holds out whole trials for validation and needs groups= (the "
                "trial id of every window) in fit; pass groups, or train_split=None to train "
                "without validation (the last epoch's model is kept)"
            )
        groups = np.asarray(groups)
        rng = check_random_state(self.random_state)
        trial_list, first = np.unique(groups, return_index=True)
        trial_label = (np.zeros(len(trial_list), int) if y is None
                       else np.asarray(y)[first])
        valid_trials = []
        for c in np.unique(trial_label):
            trials = trial_list[trial_label == c]
            k = min(self.n_per_class, len(trials) - 1)
            if k < 1:
                logger.info(f"TrialSplit: class {c} has a single training trial; "
                            "none of its trials is held out for validation")
                continue
            valid_trials.extend(rng.choice(trials, size=k, replace=False).tolist())
        valid = np.isin(groups, valid_trials)
        return np.flatnonzero(~valid), np.flatnonzero(valid)

    def __call__(self, dataset, y=None, groups=None):  # noqa: D102
        train_idx, valid_idx = self.indices(groups, y)
        if len(valid_idx) == 0:
            logger.info("TrialSplit: no trial can be held out; training without validation")
            return dataset, None
        return dataset.subset(train_idx), dataset.subset(valid_idx)


def _entropy(random_state) -> int:
    """Integer seed of a ``random_state``: an int as is, else one draw of
    :func:`~mne_mmvsstma.utils.check_random_state` (``None``: fresh entropy; a
    NumPy Generator advances, as scikit-learn's RandomState instances do)."""
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).integers(2**63))


def _resolve_device(device):
    if device in (None, "auto"):
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Invalid device {device!r}: {exc}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was requested but CUDA is not available")
    if device.type == "cuda" and device.index is not None:
        n = torch.cuda.device_count()
        if device.index >= n:
            raise ValueError(f"device={str(device)!r} was requested but this machine has "
                             f"{n} CUDA device(s)")
    return distributed.process_device(device)


# ---------------------------------------------------------------------------
# shared machinery


class _TrainTask(torch.nn.Module):
    """The training forward pass of an estimator, as one module (what DDP wraps)."""

    def __init__(self, model, fn):
        super().__init__()
        self.model = model
        self.fn = fn

    def forward(self, X):
        return self.fn(self.model, X)


class _MVSSTMANet:
    """Mixin of the two estimators (before the skorch class in the MRO)."""

    def _init_common(self, *, scale, random_state, patience, grad_clip, lr_schedule,
                     warmup_epochs, checkpoint_dir, resume, amp):
        self.scale = scale
        self.random_state = random_state
        self.patience = patience
        self.grad_clip = grad_clip
        self.lr_schedule = lr_schedule
        self.warmup_epochs = warmup_epochs
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.amp = amp

    # -- parameters --------------------------------------------------------
    def _valid_batch_size(self):
        size = self.get_params_for("iterator_valid").get("batch_size")
        if size is None:
            # CPU: batches whose activations stay in cache (benchmarks/README.md: 64 windows
            # predict 1.45x faster than 256 with the demo model, 1.2x at paper size)
            size = 64 if _resolve_device(self.device).type == "cpu" else 256
        return check_int(size, "iterator_valid__batch_size")

    def _check_params(self, *, min_epochs):
        """Validate the training parameters before any work (clear errors naming them)."""
        check_int(self.batch_size, "batch_size")
        self._valid_batch_size()
        epochs = check_int(self.max_epochs, "max_epochs", minimum=0)
        if epochs < min_epochs:
            raise ValueError(
                f"max_epochs={epochs}: {type(self).__name__} would return an untrained "
                f"model; pass max_epochs >= {min_epochs}")
        check_float(self.lr, "lr")
        check_int(self.patience, "patience", none=True)
        check_int(self.warmup_epochs, "warmup_epochs", minimum=0)
        check_float(self.grad_clip, "grad_clip", inclusive=True, none=True)

    # -- callbacks ---------------------------------------------------------
    def _builtin_callbacks(self):
        cbs = []
        if self.grad_clip:
            cbs.append(("grad_clip", GradientNormClipping(gradient_clip_value=self.grad_clip)))
        if self.lr_schedule is not None:
            check_option("lr_schedule", self.lr_schedule, ("cosine",))
            cbs.append(("lr_schedule", warmup_cosine(self.warmup_epochs, self.max_epochs)))
        if self.patience is not None and self.train_split is not None:
            cbs.append(("early_stopping", TrialEarlyStopping(
                monitor="valid_loss", patience=self.patience, load_best=True)))
        if self.verbose and distributed.is_main_process():
            cbs.append(("progress", ProgressBar(postfix_keys=())))
        if self.checkpoint_dir is not None:
            path = Path(self.checkpoint_dir).expanduser()
            if path.exists() and not path.is_dir():
                raise NotADirectoryError(f"checkpoint_dir is not a directory: {path}")
            cbs.append(("resume", ExactResume(path / self._checkpoint_name(),
                                              resume=self.resume)))
        elif self.resume:
            raise ValueError("resume=True needs checkpoint_dir")
        return cbs

    def get_default_callbacks(self):  # noqa: D102
        # skorch's valid_acc scoring re-predicts the validation set; the accuracy is counted
        # from the validation batches instead (run_single_epoch)
        defaults = [(name, cb) for name, cb in super().get_default_callbacks()
                    if name != "valid_acc"]
        return defaults + self._builtin_callbacks()

    # -- devices, precision ------------------------------------------------
    def _autocast(self):
        dev = torch.device(self.device)
        if dev.type == "cuda" and self.amp in ("auto", True) and torch.cuda.is_bf16_supported():
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _to_device_tensors(self, X, y=None):
        dev = torch.device(self.device)

        def move(a):
            a = np.ascontiguousarray(a)
            # torch tensors share the array: read-only ones (joblib memmaps) are copied
            t = torch.from_numpy(a if a.flags.writeable else a.copy())
            if dev.type != "cpu":
                t = t.to(dev, non_blocking=True)
            return t

        Xt = {k: move(v) for k, v in X.items()} if isinstance(X, dict) else move(X)
        yt = None if y is None else move(np.asarray(y, dtype=np.int64))
        return WindowDataset(Xt, yt)

    # -- the skorch hooks --------------------------------------------------
    def get_dataset(self, X, y=None):  # noqa: D102
        if isinstance(X, WindowDataset):
            return X
        return self._to_device_tensors(X, y)

    def get_iterator(self, dataset, training=False):  # noqa: D102
        if training:
            world = distributed.world_size()
            if self.batch_size % world:
                raise ValueError(f"batch_size={self.batch_size} must be divisible by the "
                                 f"number of processes ({world})")
            # process r of w takes positions r, r + w, ... of the epoch's permutation, so the
            # w per-process batches of one step hold the windows of one single-process batch;
            # run_single_epoch sets the epoch (the permutation depends on the seed and the
            # epoch number only: a resumed fit draws the batches of an uninterrupted one)
            sampler = torch.utils.data.DistributedSampler(
                dataset, num_replicas=world, rank=distributed.rank(), seed=self._seed(1),
                shuffle=self.get_params_for("iterator_train").get("shuffle", True))
            batch_size = self.batch_size // world
        else:
            sampler = torch.utils.data.SequentialSampler(dataset)
            batch_size = self._valid_batch_size()
        return torch.utils.data.DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                                           collate_fn=_batch)

    def get_split_datasets(self, X, y=None, **fit_params):  # noqa: D102
        dataset = self.get_dataset(X, y)
        if not self.train_split:
            return dataset, None
        if isinstance(self.train_split, TrialSplit) and self.groups_fit_ is None:
            # no trial ids: nothing to hold out; a linear probe alone (max_epochs=0) needs no
            # validation, training epochs run without it (said, as it changes what is kept)
            if self.max_epochs > 0:
                warnings.warn(
                    f"{type(self).__name__}.fit got no groups (the trial id of every window), "
                    f"so no whole training trial can be held out for validation: training "
                    f"{self.max_epochs} epochs without validation or early stopping and "
                    "keeping the last epoch's model. Pass groups, or train_split=None to "
                    "silence this warning.", UserWarning, stacklevel=2)
            return dataset, None
        return self.train_split(dataset, self.y_fit_, groups=self.groups_fit_)

    def initialize_module(self):  # noqa: D102
        self.module_ = self._build_module().to(self.device)
        self._make_train_task()
        return self

    def _make_train_task(self):
        # The training forward pass, as one module: what DDP wraps and, with compile=True,
        # what torch.compile compiles. It is not registered as a skorch module (it shares
        # module_'s parameters); module_ itself stays a plain, saveable network.
        task = _TrainTask(self.module_, self._train_forward)
        if self.compile:
            task = torch.compile(task, **self.get_params_for("compile"))
        object.__setattr__(self, "train_task_",
                           distributed.wrap_ddp(task, torch.device(self.device)))

    def torch_compile(self, module, name):
        """Keep ``module_`` and the criterion uncompiled (the training step is compiled)."""
        return module

    def train_step_single(self, batch, **fit_params):  # noqa: D102
        self._set_training(True)
        Xi, yi = batch
        with self._autocast():
            y_pred = self.train_task_(Xi)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over ``iterator``; batch losses reach the host once, at the end."""
        if iterator is None:
            return
        if training:
            iterator.sampler.set_epoch(len(self.history) - 1)
        else:
            self.eval_generator_ = self._generator()
        losses, sizes, correct = [], [], []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach().float())
            if not training and batch[1] is not None and step["y_pred"].ndim == 2:
                correct.append((step["y_pred"].argmax(1) == batch[1]).sum())
            first = next(iter(batch[0].values())) if isinstance(batch[0], dict) else batch[0]
            sizes.append(len(first))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        values = torch.stack(losses) if losses else None
        if values is not None and distributed.is_distributed():
            # training: the loss of the global batches; validation: every process must see
            # the same value (batch-norm statistics may differ per process on CPU), or they
            # would disagree on early stopping
            values = distributed.all_mean(values)
            if correct:
                correct = [distributed.all_mean(torch.stack(correct).float())]
        values = values.cpu().tolist() if values is not None else []
        batches = self.history[-1]["batches"]
        for entry, value, size in zip(batches[-len(values):], values, sizes):
            entry[prefix + "_loss"] = value
            entry[prefix + "_batch_size"] = size
        if values and not math.isfinite(values[-1]):
            raise FloatingPointError(
                f"{type(self).__name__}: the {prefix} loss became {values[-1]} at epoch "
                f"{len(self.history)}; lower lr or check the input features")
        self.history.record(prefix + "_batch_count", len(values))
        if correct:
            self.history.record(prefix + "_acc", float(torch.stack(correct).sum()) / sum(sizes))

    def fit_loop(self, X, y=None, epochs=None, **fit_params):  # noqa: D102
        if epochs is None:
            epochs = 0 if self.stopped_early_ else max(0, self.max_epochs - self.epochs_done_)
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def on_train_begin(self, net, X=None, y=None, **kwargs):  # noqa: D102
        self.epochs_done_ = 0
        self.stopped_early_ = False

    def initialize(self):  # noqa: D102
        self.device = str(_resolve_device(self.device))
        distributed.init_distributed(torch.device(self.device))
        return super().initialize()

    # -- seeding -----------------------------------------------------------
    def _seed(self, k):
        entropy = getattr(self, "entropy_", None)
        if entropy is None:
            entropy = _entropy(self.random_state)
        return int(np.random.SeedSequence(entropy).spawn(k + 1)[k].generate_state(1)[0])

    def _generator(self):
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self._seed(2))
        return gen

    def _fork_rng(self):
        dev = torch.device(_resolve_device(self.device))
        return torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else [])

    def _fit_seeded(self, X, y, groups, settings):
        """Train on prepared data: a new network, or (``settings=None``) the fitted one further."""
        self.groups_fit_ = None if groups is None else np.asarray(groups)
        if self.groups_fit_ is not None and len(self.groups_fit_) != self._n(X):
            raise ValueError(f"groups has {len(self.groups_fit_)} entries but X has "
                             f"{self._n(X)} windows")
        if settings is not None:
            arrays = list(X.values()) if isinstance(X, dict) else [X]
            # one seed for the whole fit (the package's random-state policy)
            self.entropy_ = _entropy(self.random_state)
            # what defines a run: the data, every parameter (the seed, the scaling...) and
            # the weights of the starting point (a pretrained model or a given network)
            parts = {**settings, **{k: repr(v) for k, v in self.get_params(deep=False).items()
                                    if k not in ("callbacks", "verbose", "resume",
                                                 "checkpoint_dir", "pretrained", "module")}}
            parts["data"] = hash_arrays(arrays + [y, self.groups_fit_])
            parts["pretrained"] = module_hash(getattr(self, "pretrained", None))
            parts["module"] = module_hash(self.module)
            self.fingerprint_parts_ = parts
            self.fingerprint_ = fingerprint([], parts)
        # (a trailing underscore: skorch takes other attributes for parameters)
        self._continuing_ = settings is None
        try:
            with self._fork_rng():
                if self._continuing_:  # new dropout draws for the added epochs
                    torch.manual_seed(self._seed(3 + len(self.history)))
                    self._make_train_task()
                    # callbacks of the current parameters (set_params after the fit)
                    self.initialize_callbacks()
                else:
                    torch.manual_seed(self._seed(0))
                    self.initialize()
                NeuralNet.partial_fit(self, X, y)
        finally:
            self._continuing_ = False
            object.__setattr__(self, "train_task_", None)  # DDP wrappers do not pickle
            for _, cb in getattr(self, "callbacks_", []):
                if isinstance(cb, ExactResume):
                    cb.release()
        # per-process batch-norm statistics (CPU): every process keeps rank 0's
        distributed.broadcast_buffers(self.module_)
        self.module_.eval()
        self._after_training(X)
        return self

    def _after_training(self, X):
        """What a fit learns from the trained network (nothing by default)."""

    def _is_fitted(self):
        return getattr(self, "initialized_", False) and hasattr(self, "scalers_")

    def partial_fit(self, X, y=None, classes=None, groups=None):
        """Train a fitted estimator further: ``max_epochs`` more epochs on ``X``.

        The network, its optimizer state and the fitted preprocessing
        (``scalers_``) are kept, and for a classifier ``classes_`` and the
        classification layer (no new linear probe); the epochs are appended to
        ``history`` and draw new window orders and dropout; a
        :class:`Pretrainer` learns its ``whitening_`` again on ``X``. The
        callbacks follow the current parameters (e.g. ``patience`` changed with
        ``set_params``). An estimator that is not fitted yet is fitted
        (:meth:`fit`). With ``warm_start=True``, :meth:`fit` of a fitted
        estimator continues the same way.

        Parameters
        ----------
        X : ndarray | dict
            Windows, as in :meth:`fit`.
        y : array-like | None
            Labels of a classifier (values of ``classes_``); ignored by a
            :class:`Pretrainer`.
        classes : array-like | None
            scikit-learn's ``partial_fit`` argument; when given, it must equal
            ``classes_`` (the classes are those of the first fit's labels).
        groups : array-like, shape (N,) | None
            Trial id of every window (for a :class:`TrialSplit` validation).

        Returns
        -------
        self
        """
        if not self._is_fitted():
            return self.fit(X, y, groups=groups)
        if self.checkpoint_dir is not None:
            raise ValueError(
                "partial_fit trains a fitted estimator further and writes no checkpoint (a "
                "continuation cannot be resumed); set checkpoint_dir=None, or fit anew")
        if self.lr_schedule is not None:
            raise ValueError(
                f"partial_fit with lr_schedule={self.lr_schedule!r}: the schedule spans the "
                "max_epochs of the first fit and ended at a learning rate of 0; continue "
                "with lr_schedule=None")
        self._check_params(min_epochs=1)
        X, y = self._continuation_data(X, y, classes)
        self._log(f"{type(self).__name__}: {self.max_epochs} more epochs on {self._n(X)} "
                  f"windows (after {len(self.history)})")
        return self._fit_seeded(X, y, groups, None)

    def _log(self, msg):
        if self.verbose and distributed.is_main_process():
            logger.info(msg)

    @staticmethod
    def _n(X):
        return len(next(iter(X.values()))) if isinstance(X, dict) else len(X)

    def _predict_batches(self, X, fn):
        """Apply ``fn(module, batch)`` to ``X`` in evaluation mode, concatenated on the host."""
        self.check_is_fitted()
        dataset = self.get_dataset(X)
        self.eval_generator_ = self._generator()
        out = []
        self.module_.eval()
        with torch.no_grad(), self._autocast():
            for Xi, _ in self.get_iterator(dataset, training=False):
                out.append(fn(self.module_, Xi).float())
        return torch.cat(out).cpu().numpy()

    @property
    def best_epoch_(self):
        """Epoch whose weights were kept (best validation loss, else the last epoch)."""
        flags = [h.get("valid_loss_best") for h in self.history]
        best = [i + 1 for i, f in enumerate(flags) if f]
        if best and self.patience is not None:
            return best[-1]
        return len(self.history)


# ---------------------------------------------------------------------------
# Pretrainer


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
    whitening : float | None
        After training, learn a whitening of the encoder's features from the
        (unlabeled) training windows: ZCA with shrinkage, eigenvalues plus
        ``whitening`` times their mean (``whitening_``). A linear probe of
        :class:`EmotionClassifier` on this Pretrainer's encoder applies it, so
        that directions in which windows vary most over all the pretraining
        recordings (trial-to-trial shifts, unrelated to emotion) weigh less.
        Computed when the features have at most 4096 dimensions
        (``pool="channels"`` or ``"mean"``). ``None``: none.
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
    """

    def __init__(
        self,
        modality="eeg",
        mask_ratio=0.7,
        *,
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
        whitening=1.0,
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
            **self.get_params_for("module"))
        net.init_input_scale(*self.input_stats_)
        return net

    def _train_forward(self, model, X):
        return model.forward_pretrain(X, mask_ratio=self.mask_ratio)["loss"]

    def infer(self, x, **fit_params):  # noqa: D102
        x = to_tensor(x, device=self.device)
        return self.module_.forward_pretrain(x, mask_ratio=self.mask_ratio,
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

    def fit(self, X, y=None, groups=None):
        """Pretrain on unlabeled windows.

        Parameters
        ----------
        X : ndarray, shape (N, C, T, F) | (N, n_eye, T, 1)
            Windows of the estimator's modality (training data only).
        y : None
            Ignored (self-supervised).
        groups : array-like, shape (N,) | None
            Trial id of every window (for a :class:`TrialSplit` validation).

        Returns
        -------
        self : Pretrainer
        """
        if self.warm_start and self._is_fitted():
            return self.partial_fit(X, groups=groups)
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
        return self._fit_seeded(X, None, groups, {"kind": "pretrain"})

    def _continuation_data(self, X, y, classes):
        self.y_fit_ = None
        return self._prepare(X, fit=False), None

    def _after_training(self, X):
        self.whitening_ = self._learn_whitening(X)

    def _learn_whitening(self, X):
        """``(mean, W)`` of the ZCA whitening of the encoder features of ``X``, or None."""
        shrink = self.whitening
        if shrink is None:
            return None
        dim = self.module_.feature_dim
        if dim > 4096:
            logger.info(f"Pretrainer: no feature whitening for {dim}-dimensional features "
                        "(pool='flatten'); use pool='channels'")
            return None
        feats = self._predict_batches(X, lambda m, x: m(x, return_features=True))
        feats = feats.astype(np.float64)
        mean = feats.mean(axis=0)
        evals, evecs = np.linalg.eigh(np.cov(feats, rowvar=False))
        evals = np.maximum(evals, 0)
        scale = 1.0 / np.sqrt(evals + float(shrink) * max(evals.mean(), 1e-12))
        return mean, (evecs * scale) @ evecs.T

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


def _attention_fuse(h, w):
    """``sum_m alpha_m h_m`` with ``alpha = softmax_m(w^T tanh h_m)``; ``h`` is ``(N, 2, d)``."""
    alpha = torch.softmax(torch.tanh(h) @ w, dim=1)
    return (alpha.unsqueeze(-1) * h).sum(dim=1)


def _standardise(feats):
    """``(mean, std, z)``: every feature centred and scaled to unit variance (constant: 1)."""
    mean, std = feats.mean(axis=0), feats.std(axis=0)
    std[std == 0] = 1.0
    return mean, std, (feats - mean) / std


def _logistic_probe(feats, y, C):
    """L2 logistic regression (inverse strength ``C``) on standardised features.

    Returns
    -------
    classes : ndarray
        The classes in ``y`` (rows of ``coef``).
    mean, std : ndarray, shape (d,)
        The standardisation.
    coef, intercept : ndarray, shapes (k, d) and (k,)
        The regression in standardised coordinates (two rows for two classes).
    """
    from sklearn.linear_model import LogisticRegression

    mean, std, z = _standardise(feats)
    lr = LogisticRegression(C=float(C), max_iter=5000).fit(z, y)
    coef, intercept = lr.coef_, lr.intercept_
    if coef.shape[0] == 1:  # two classes: logit of class 1 against 0
        coef = np.concatenate([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    return lr.classes_, mean, std, coef, intercept


def _fit_attention(h, y, w, probe, *, C, max_iter=100):
    """Fit the attention vector to a linear probe on frozen per-modality features.

    Minimises the probe's objective over the attention vector ``w`` with the
    probe fixed: the mean cross-entropy of the probe's logits of the fused
    features plus ``|w|^2 / (2 C n)`` (the probe's L2 penalty), by L-BFGS in
    float64 from the given ``w``.

    Parameters
    ----------
    h : torch.Tensor, shape (n, 2, d)
        Projected EEG and eye features of the training windows.
    y : ndarray of int, shape (n,)
        Labels.
    w : torch.Tensor, shape (d,)
        Starting attention vector.
    probe : tuple
        ``(classes, mean, std, coef, intercept)`` of :func:`_logistic_probe`.
    C : float
        Inverse regularisation strength of the probe.
    max_iter : int
        L-BFGS iterations.

    Returns
    -------
    w : torch.Tensor, shape (d,)
        The fitted attention vector.
    """
    classes, mean, std, coef, intercept = (torch.as_tensor(np.asarray(a), dtype=torch.float64)
                                           for a in probe[:5])
    h = torch.as_tensor(h, dtype=torch.float64)
    yt = torch.as_tensor(np.searchsorted(classes.numpy(), y), dtype=torch.long)
    w = w.detach().cpu().double().clone().requires_grad_()
    penalty = 1.0 / (2.0 * C * len(yt))
    opt = torch.optim.LBFGS([w], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        z = (_attention_fuse(h, w) - mean) / std
        loss = (torch.nn.functional.cross_entropy(z @ coef.T + intercept, yt)
                + penalty * w.square().sum())
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach()


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
        ``max_epochs=0`` keeps the linear probe. ``None``: the layer starts at
        random (then ``max_epochs=0``, an untrained classifier, is refused).
        The default (1.0) and the pure probe of the protocol runner were
        chosen with ``benchmarks/accuracy.py`` (``doc/recipe.rst``); to choose
        ``C`` per subject, search it with
        :class:`~sklearn.model_selection.GridSearchCV` over folds of whole
        trials (``GroupKFold``, ``groups``).
    probe_whitening : bool | ``"auto"``
        Whether the probe whitens the features with the Pretrainers'
        ``whitening_``. ``"auto"`` (chosen with ``benchmarks/accuracy.py``):
        for EEG and fusion classifiers, not for eye-only classifiers (there it
        lowered the accuracy, while it raised that of fusion).
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
        The epoch whose weights were kept.

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

        self.whitening_ = {}  # per modality, from the Pretrainers (used by the probe)
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

    def on_train_begin(self, net, X=None, y=None, **kwargs):  # noqa: D102
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if self.probe_C is not None and not self._continuing_:
            self._fit_probe(X, y)

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
            use = self.fusion is not None or self.modality == "eeg"
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

    def _fit_probe(self, X, y):
        """Fit ``final_layer`` as a logistic regression on the frozen features.

        With attention fusion (``probe_attention``): probe at the network's
        attention vector, fit the attention vector to that probe, probe again
        at the fitted attention (one round of block-coordinate descent of
        the probe's objective).
        """
        idx = np.arange(len(y))
        # the validation trials stay unseen when fine-tuning epochs will be selected on them
        if (self.max_epochs > 0 and isinstance(self.train_split, TrialSplit)
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
        classes, mean, std, coef, intercept = _logistic_probe(feats, yi, C)
        weight = np.zeros((len(self.classes_), feats.shape[1]))
        bias = np.full(len(self.classes_), -1e4)  # classes absent from the probe's data
        weight[classes] = coef / std
        bias[classes] = intercept - weight[classes] @ mean
        if white is not None:  # fold the whitening into the layer too
            bias[classes] -= weight[classes] @ white[1] @ white[0]
            weight = weight @ white[1]
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
