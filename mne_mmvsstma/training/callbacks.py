"""skorch callbacks of the estimators: exact resume, early stopping on held-out trials, LR
schedules.

Everything else the estimators need comes from skorch itself
(:class:`~skorch.callbacks.GradientNormClipping`,
:class:`~skorch.callbacks.LRScheduler`, :class:`~skorch.callbacks.ProgressBar`,
the history and the print log).
"""

from __future__ import annotations

import hashlib
import math
import os
from functools import partial
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

from .._files import check_writable_dir, clean_stale_temp_files
from ..utils import logger
from . import distributed
from .checkpoint import CHECKPOINT_FORMAT, atomic_save, from_plain, load_file, to_plain


class TrialEarlyStopping(EarlyStopping):
    """:class:`skorch.callbacks.EarlyStopping` that waits when there is no validation set.

    The estimators validate on whole held-out training trials; when a fit has
    too few trials for that, no ``valid_loss`` is recorded and training runs
    for ``max_epochs`` (the last epoch's model is kept).
    """

    def on_epoch_end(self, net, **kwargs):  # noqa: D102
        if self.monitor not in net.history[-1]:
            return
        super().on_epoch_end(net, **kwargs)

    def on_train_end(self, net, **kwargs):  # noqa: D102
        if len(net.history) == 0 or self.best_model_weights_ is None:
            return  # no epoch or no validation: nothing to restore
        super().on_train_end(net, **kwargs)


def _warmup_cosine(epoch, *, warmup, total):
    """Learning-rate factor: linear warmup over ``warmup`` epochs, then cosine decay to 0."""
    if epoch < warmup:
        return (epoch + 1) / (warmup + 1)
    span = max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (epoch - warmup) / span)))


def warmup_cosine(warmup_epochs, max_epochs):
    """An :class:`~skorch.callbacks.LRScheduler`: linear warmup, then cosine decay.

    Parameters
    ----------
    warmup_epochs : int
        Epochs of linear warmup (the learning rate rises to ``lr``).
    max_epochs : int
        Total epochs; the learning rate reaches 0 at the last one.

    Returns
    -------
    scheduler : skorch.callbacks.LRScheduler
        Steps a :class:`torch.optim.lr_scheduler.LambdaLR` once per epoch.
    """
    from torch.optim.lr_scheduler import LambdaLR

    return LRScheduler(
        policy=LambdaLR,
        lr_lambda=partial(_warmup_cosine, warmup=int(warmup_epochs), total=int(max_epochs)),
        step_every="epoch",
    )


def fingerprint(arrays, settings) -> str:
    """SHA-256 of the training arrays and the settings that define a run."""
    h = hashlib.sha256()
    for arr in arrays:
        if arr is None:
            h.update(b"none")
            continue
        arr = np.ascontiguousarray(arr)
        h.update(str((arr.dtype.str, arr.shape)).encode())
        h.update(arr.tobytes())
    h.update(repr(sorted(settings.items())).encode())
    return h.hexdigest()


def hash_arrays(arrays) -> str:
    """SHA-256 of a list of arrays (dtype, shape and bytes; ``None`` entries allowed)."""
    return fingerprint(arrays, {})


def module_hash(obj) -> str | None:
    """SHA-256 of the weights of a network, a fitted estimator or a dict of them (or None)."""
    import torch

    if obj is None:
        return None
    if isinstance(obj, dict):
        return repr(sorted((k, module_hash(v)) for k, v in obj.items()))
    module = getattr(obj, "module_", obj)
    if not isinstance(module, torch.nn.Module):
        return repr(obj)
    items = sorted(module.state_dict().items())
    h = hashlib.sha256(repr([(k, tuple(v.shape)) for k, v in items]).encode())
    h.update(hash_arrays([v.detach().cpu().float().numpy() for _, v in items]).encode())
    return h.hexdigest()


def _state_dict(module):
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


class ExactResume(Callback):
    """Write the whole training state after every epoch; continue from it on the next fit.

    The checkpoint (one file, written atomically by rank 0) holds the model
    (and a Pretrainer's ``teacher_``), optimizer and learning-rate-scheduler
    states, the history, the early-stopping state (including the best weights
    so far) and the random number generator state, so that a fit interrupted
    after epoch ``k`` and resumed gives the same result as an uninterrupted
    one, bit for bit on the same device. The window order of every epoch is drawn from
    ``random_state`` and the epoch number, not from a running generator.

    Parameters
    ----------
    fname : path-like
        Checkpoint file.
    resume : bool
        Load ``fname`` at the start of training when it exists. A checkpoint of
        other data or settings (another fingerprint: the training arrays,
        labels and trial ids, the seed, every estimator parameter, the weights
        of the pretrained starting point) is refused, naming what differs.

    Notes
    -----
    While a fit runs, a lock on ``<fname>.lock`` (:class:`filelock.FileLock`,
    released by the system when a process dies) keeps other processes from
    writing or resuming the same checkpoint. The checkpoint folder is checked
    to be writable before training starts.
    """

    def __init__(self, fname, resume=False):
        self.fname = fname
        self.resume = resume

    def initialize(self):  # noqa: D102
        self.lock_ = None
        return self

    def release(self):
        """Release the checkpoint lock (at the end of a fit, also a failed one)."""
        lock = getattr(self, "lock_", None)
        if lock is not None:
            lock.release()
        self.lock_ = None

    def _acquire(self, fname):
        if not distributed.is_main_process():
            return
        check_writable_dir(fname.parent, kind="checkpoint_dir")
        fname.parent.mkdir(parents=True, exist_ok=True)
        if fname.exists() and not os.access(fname, os.W_OK):
            raise PermissionError(f"Cannot write the checkpoint {fname}: permission denied")
        from filelock import FileLock, Timeout

        self.release()
        lock = FileLock(fname.with_name(fname.name + ".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise FileExistsError(
                f"The checkpoint {fname} is in use by another run (lock {lock.lock_file}); "
                "two runs cannot share a checkpoint: use another checkpoint_dir") from None
        self.lock_ = lock
        clean_stale_temp_files(fname)

    @staticmethod
    def _mismatch(stored, current):
        """Names of what differs between two fingerprint descriptions."""
        if not isinstance(stored, dict):
            return "other data or settings"
        keys = sorted(set(stored) | set(current))
        diff = [k for k in keys if stored.get(k) != current.get(k)]
        if not diff:
            return "other data or settings"
        parts = []
        for k in diff:
            if k == "data":
                parts.append("the training data (arrays, labels or trial ids)")
            elif k == "pretrained":
                parts.append("the pretrained starting point")
            else:
                parts.append(f"{k}={stored.get(k)} (now {current.get(k)})")
        return ", ".join(parts)

    def _callback(self, net, cls):
        for _, cb in net.callbacks_:
            if isinstance(cb, cls):
                return cb
        return None

    def on_train_begin(self, net, X=None, y=None, **kwargs):  # noqa: D102
        import torch
        from skorch.history import History

        fname = Path(self.fname).expanduser()
        self._acquire(fname)
        if not self.resume:
            return
        if not fname.exists():
            logger.info(f"resume=True but no checkpoint at {fname}: starting from scratch")
            return
        ck = load_file(fname, kind="checkpoint")
        if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{fname} is not a mne_mmvsstma training checkpoint")
        if ck.get("fingerprint") != net.fingerprint_:
            what = self._mismatch(from_plain(ck.get("fingerprint_parts")),
                                  getattr(net, "fingerprint_parts_", {}))
            raise ValueError(
                f"Cannot resume from {fname}: it was written with other data or settings "
                f"(fingerprint mismatch: {what}). Use resume=False or another "
                "checkpoint_dir."
            )
        net.module_.load_state_dict(ck["module"])
        net.optimizer_.load_state_dict(ck["optimizer"])
        if ck.get("teacher") is not None:  # a Pretrainer's target="teacher"
            net.teacher_.load_state_dict(ck["teacher"])
        net.history = History(from_plain(ck["history"]))
        torch.set_rng_state(ck["rng"])
        if ck.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state(ck["cuda_rng"], net.device)
        es = self._callback(net, EarlyStopping)
        if es is not None and ck.get("early_stopping") is not None:
            state = ck["early_stopping"]
            es.misses_ = state["misses"]
            es.dynamic_threshold_ = state["threshold"]
            es.best_epoch_ = state["best_epoch"]
            es.best_model_weights_ = state["best_weights"]
            if state.get("probe") is not None:  # a classifier's probe, the first candidate
                net.probe_validation_ = state["probe"]
        sched = self._callback(net, LRScheduler)
        if sched is not None and ck.get("lr_scheduler") is not None:
            sched.lr_scheduler_.load_state_dict(ck["lr_scheduler"])
        net.epochs_done_ = len(net.history)
        net.stopped_early_ = bool(ck.get("stopped", False))
        logger.info(f"Resuming from {fname} after epoch {net.epochs_done_}")

    def _save(self, net, stopped=False):
        import torch

        if not distributed.is_main_process():
            return
        es = self._callback(net, EarlyStopping)
        es_state = None
        if es is not None:
            es_state = dict(misses=es.misses_, threshold=float(es.dynamic_threshold_),
                            best_epoch=es.best_epoch_, best_weights=es.best_model_weights_,
                            probe=getattr(net, "probe_validation_", None))
        sched = self._callback(net, LRScheduler)
        ck = dict(
            format=CHECKPOINT_FORMAT,
            fingerprint=net.fingerprint_,
            fingerprint_parts=to_plain(getattr(net, "fingerprint_parts_", None)),
            module=_state_dict(net.module_),
            teacher=None if getattr(net, "teacher_", None) is None else _state_dict(net.teacher_),
            optimizer=net.optimizer_.state_dict(),
            history=to_plain(list(net.history)),
            rng=torch.get_rng_state(),
            cuda_rng=(torch.cuda.get_rng_state(net.device)
                      if torch.device(net.device).type == "cuda" else None),
            early_stopping=to_plain(es_state),
            lr_scheduler=None if sched is None else sched.lr_scheduler_.state_dict(),
            stopped=stopped,
        )
        atomic_save(ck, Path(self.fname).expanduser())

    def on_epoch_end(self, net, **kwargs):  # noqa: D102
        self._save(net)

    def on_train_end(self, net, **kwargs):  # noqa: D102
        es = self._callback(net, EarlyStopping)
        if es is not None and es.misses_ >= es.patience:
            # early stopping ended the run: record it (with the restored best weights), so
            # that resuming trains nothing more
            self._save(net, stopped=True)
        self.release()
