"""The shared base of the estimators: device resolution, seeds and the skorch machinery.

:class:`~mne_mmvsstma.training.Pretrainer` and
:class:`~mne_mmvsstma.training.EmotionClassifier` are scikit-learn estimators on
skorch built on the mixin ``_MVSSTMANet`` of this module.

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
import math
import numbers
import warnings
from pathlib import Path

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import GradientNormClipping, ProgressBar

from ..utils import check_float, check_int, check_option, check_random_state, logger
from . import distributed
from ._data import TrialSplit, WindowDataset, _batch
from .callbacks import (
    ExactResume,
    TrialEarlyStopping,
    fingerprint,
    hash_arrays,
    module_hash,
    warmup_cosine,
)

# constructor parameters of MVSSTMA that the estimators expose
ARCH_PARAMS = ("emb_dim", "n_layers", "n_decoder_layers", "n_heads", "head_dim", "drop_prob",
               "pool", "kernel_sizes")


# ---------------------------------------------------------------------------
# seeds and devices


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
        values, sizes, correct = self._run_batches(iterator, training, step_fn, **fit_params)
        batches = self.history[-1]["batches"]
        for entry, value, size in zip(batches[-len(values):], values, sizes):
            entry[prefix + "_loss"] = value
            entry[prefix + "_batch_size"] = size
        if values and not math.isfinite(values[-1]):
            raise FloatingPointError(
                f"{type(self).__name__}: the {prefix} loss became {values[-1]} at epoch "
                f"{len(self.history)}; lower lr or check the input features")
        self.history.record(prefix + "_batch_count", len(values))
        if correct is not None:
            self.history.record(prefix + "_acc", correct / sum(sizes))

    def _run_batches(self, iterator, training, step_fn, notify=True, **fit_params):
        """Apply ``step_fn`` to every batch: the batch losses, sizes and correct predictions.

        Returns ``(losses, sizes, correct)``: lists of floats and ints, and the
        number of correctly predicted windows (validation of a classifier) or
        ``None``. The losses reach the host once, at the end.
        """
        if training:
            iterator.sampler.set_epoch(len(self.history) - 1)
        else:
            self.eval_generator_ = self._generator()
        losses, sizes, correct = [], [], []
        for batch in iterator:
            if notify:
                self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach().float())
            if not training and batch[1] is not None and step["y_pred"].ndim == 2:
                correct.append((step["y_pred"].argmax(1) == batch[1]).sum())
            first = next(iter(batch[0].values())) if isinstance(batch[0], dict) else batch[0]
            sizes.append(len(first))
            if notify:
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
        return values, sizes, float(torch.stack(correct).sum()) if correct else None

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
        """Epoch whose weights were kept (best validation loss, else the last epoch).

        0: a classifier's validation kept its linear probe (no fine-tuned epoch).
        """
        if (getattr(self, "probe_validation_", None) or {}).get("kept"):
            return 0
        flags = [h.get("valid_loss_best") for h in self.history]
        best = [i + 1 for i, f in enumerate(flags) if f]
        if best and self.patience is not None:
            return best[-1]
        return len(self.history)


# ---------------------------------------------------------------------------
# Pretrainer
