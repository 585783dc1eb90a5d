"""Training API: self-supervised pretraining, fine-tuning and evaluation.

Design
------
- Plain PyTorch loops over in-memory float32 windows (no DataLoader: the data
  are small; batches are index slices in an order drawn from a seeded numpy
  generator, so the batch order is deterministic).
- Preprocessing is fitted on training data only and travels with the model:
  ``model.scalers_ = {"eeg": BandScaler | None, "eye": EyeRescaler | None}``;
  :func:`evaluate` applies the same transforms. Other fitted attributes:
  ``history_`` (list of per-epoch dicts), ``modality_`` (``"eeg"``, ``"eye"`` or
  ``"fusion"``), ``fusion_``, ``classes_`` (original label values),
  ``n_windows_``. Models stay plain :class:`torch.nn.Module` objects.
- Reproducibility: ``random_state`` seeds a :class:`numpy.random.SeedSequence`
  whose children seed the torch generator (weights, dropout, masks), the
  batch order, the validation split and the (fixed) validation masks. The
  caller's global torch RNG state is restored afterwards
  (:func:`torch.random.fork_rng`). The same seed on the same device gives the
  same result (CPU; cuDNN/CUDA kernels may add tiny non-determinism).
- Devices: ``device=None`` picks CUDA when available. Mixed precision
  (``torch.autocast`` in bfloat16, or float16 with a gradient scaler when the
  GPU lacks bfloat16) is used on CUDA only (``amp="auto"``); DCCA is computed in
  float64 regardless.
- Checkpoints (``checkpoint_dir``): after every epoch the full training state
  (model, optimizer, gradient scaler, epoch, history, early-stopping state and
  all RNG states) is written atomically; ``resume=True`` continues from it and
  gives the same result as an uninterrupted run.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from pathlib import Path

import numpy as np

from ..utils import check_option, docdict, fill_doc, logger, verbose
from ._data import Inputs, as_inputs, check_labels, recordings_to_inputs
from .checkpoint import CHECKPOINT_FORMAT, atomic_save, load_file

_GRAD_CLIP = 5.0  # max gradient norm (DCCA gradients can be large)
_FUSIONS = ("concat", "attention")

docdict["n_epochs"] = """
n_epochs : int
    Maximum number of passes over the training data."""
docdict["batch_size"] = """
batch_size : int
    Mini-batch size. The data are split into ``ceil(N / batch_size)`` batches
    of nearly equal sizes (never a tiny last batch)."""
docdict["weight_decay"] = """
weight_decay : float
    AdamW weight decay."""
docdict["X_test"] = """
X : ndarray | mne.Epochs | FeatureRecording | list | path-like
    Test data (see :func:`finetune`)."""
docdict["X_eye_test"] = """
X_eye : ndarray | None
    Eye windows for fusion models with array inputs."""
docdict["batch_size_eval"] = """
batch_size : int
    Batch size."""
docdict["n_windows_model"] = """
n_windows : int | None
    Window length when windows are stacked here (``None``: the model's)."""
docdict["random_state_masks"] = (
    docdict["random_state"]
    + """
    Seeds the random masks (``mask_ratio > 0``)."""
)
docdict["amp"] = """
amp : ``"auto"`` | bool
    Mixed precision. ``"auto"`` and ``True`` use :func:`torch.autocast`
    (bfloat16 when the GPU supports it, else float16 with gradient scaling) on
    CUDA devices; on CPU training is always float32. ``False`` disables it."""
docdict["checkpoint_dir"] = """
checkpoint_dir : path-like | None
    Folder where the training state is written atomically after every epoch
    (``pretrain_<modality>.pt`` / ``finetune.pt``). ``None`` writes nothing."""
docdict["resume"] = """
resume : bool
    Continue from the checkpoint in ``checkpoint_dir`` when there is one
    (written with the same data and settings; ``n_epochs`` may be larger).
    Model, optimizer, history, early-stopping and random states are restored,
    so an interrupted run resumed gives the same result as an uninterrupted
    one. Without a checkpoint, training starts from scratch."""
docdict["fill_eye"] = """
fill_eye : str | None
    How non-finite eye-movement features are filled
    (:func:`mne_mmvsstma.datasets.fill_eye_nan` method, e.g.
    ``"interpolate"``). ``None`` raises an error when there are any: the
    model never trains on NaN silently."""
docdict["n_windows_train"] = """
n_windows : int
    Window length ``T`` used when windows are stacked here (Epochs,
    recordings, dataset folders, per-sample arrays with ``trial_ids``).
    Ignored for 4-D window arrays."""
docdict["trial_ids_opt"] = """
trial_ids : array-like of int, shape (n_samples,) | None
    Trial of every sample, needed for 3-D EEG (``(n, C, F)``) / 2-D eye
    (``(n, n_eye)``) feature arrays, optional for window arrays (then used by
    ``n_labels`` and the validation split)."""


# ---------------------------------------------------------------------------
# helpers


def _torch():
    import torch

    return torch


def _resolve_device(device):
    torch = _torch()
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Invalid device {device!r}: {exc}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was requested but CUDA is not available")
    return device


def _amp_dtype(device, amp):
    torch = _torch()
    if amp not in ("auto", True, False):
        raise ValueError(f"amp must be 'auto', True or False, got {amp!r}")
    if amp is False or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def _autocast(device, dtype):
    torch = _torch()
    if dtype is None:
        import contextlib

        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def _check_positive_int(name, value, low=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_lr(lr):
    if not isinstance(lr, (int, float)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    return float(lr)


class _Seeds:
    """Independent seeds derived from ``random_state``."""

    def __init__(self, random_state):
        if isinstance(random_state, np.random.Generator):
            entropy = int(random_state.integers(2**63))
        elif random_state is None or isinstance(random_state, (int, np.integer)):
            entropy = None if random_state is None else int(random_state)
        else:
            raise TypeError(
                f"random_state must be None, an int or a numpy Generator, got {type(random_state)}"
            )
        children = np.random.SeedSequence(entropy).spawn(5)
        vals = [int(c.generate_state(1, np.uint32)[0]) for c in children]
        self.torch, self.shuffle, self.split, self.valid, self.eval = vals


def _progress_enabled():
    return logger.getEffectiveLevel() <= logging.INFO


def _progress(total, desc):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not _progress_enabled(), leave=False,
                dynamic_ncols=True)


def _generator(device, seed):
    torch = _torch()
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def _to_tensor(arr, device):
    torch = _torch()
    t = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    # small datasets live on the device; bigger ones are moved batch by batch
    if device.type != "cpu" and t.element_size() * t.nelement() < 2**31:
        t = t.to(device)
    return t


def _batches(n, batch_size):
    n_batches = max(1, math.ceil(n / batch_size))
    return n_batches


def _rng_state(shuffle_rng, device):
    torch = _torch()
    state = {"torch": torch.get_rng_state(),
             "numpy": copy.deepcopy(shuffle_rng.bit_generator.state)}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state, shuffle_rng, device):
    torch = _torch()
    torch.set_rng_state(state["torch"])
    shuffle_rng.bit_generator.state = state["numpy"]
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _meta_mismatch(saved, current):
    diffs = []
    for key, value in current.items():
        if saved.get(key) != value:
            diffs.append(f"{key}: checkpoint {saved.get(key)!r} != now {value!r}")
    return diffs


def _train_loop(
    model,
    *,
    loss_fn,
    valid_fn,
    n_train,
    n_epochs,
    batch_size,
    lr,
    weight_decay,
    device,
    amp_dtype,
    seeds,
    patience,
    ckpt_path,
    resume,
    meta,
    desc,
):
    """Generic epoch loop with early stopping, AMP, checkpoints and exact resume.

    ``loss_fn(batch_index) -> loss`` computes the training loss of a batch of
    training indices; ``valid_fn() -> dict`` returns validation metrics
    (``valid_loss`` is monitored) or is None.
    """
    torch = _torch()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    grad_scaler = None
    if amp_dtype == torch.float16:
        grad_scaler = torch.amp.GradScaler(device.type)
    shuffle_rng = np.random.default_rng(seeds.shuffle)
    state = dict(epoch=0, history=[], best_state=None, best_loss=math.inf, best_epoch=0,
                 bad_epochs=0, stopped=False)

    if resume:
        if ckpt_path is None:
            raise ValueError("resume=True needs checkpoint_dir")
        if ckpt_path.exists():
            ck = load_file(ckpt_path, kind="checkpoint")
            if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
                raise ValueError(f"{ckpt_path} is not a mne_mmvsstma training checkpoint")
            diffs = _meta_mismatch(ck["meta"], meta)
            if diffs:
                raise ValueError(
                    f"Cannot resume from {ckpt_path}: it was written with other data or "
                    f"settings ({'; '.join(diffs)}). Use resume=False or another checkpoint_dir."
                )
            model.load_state_dict(ck["model"])
            optimizer.load_state_dict(ck["optimizer"])
            if grad_scaler is not None and ck.get("grad_scaler") is not None:
                grad_scaler.load_state_dict(ck["grad_scaler"])
            for key in state:
                state[key] = ck[key]
            _set_rng_state(ck["rng"], shuffle_rng, device)
            logger.info(f"Resuming from {ckpt_path} after epoch {state['epoch']}")
        else:
            logger.info(f"resume=True but no checkpoint at {ckpt_path}: starting from scratch")

    def save():
        if ckpt_path is None:
            return
        ck = dict(
            format=CHECKPOINT_FORMAT,
            meta=meta,
            model={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            optimizer=optimizer.state_dict(),
            grad_scaler=None if grad_scaler is None else grad_scaler.state_dict(),
            rng=_rng_state(shuffle_rng, device),
            **state,
        )
        atomic_save(ck, ckpt_path)

    start = state["epoch"]
    if state["stopped"]:
        logger.info(f"{desc}: the checkpoint had already stopped early at epoch {start}")
    n_batches = _batches(n_train, batch_size)
    params = [p for p in model.parameters() if p.requires_grad]
    with _progress(n_epochs, desc) as pbar:
        pbar.update(start)
        for epoch in range(start, n_epochs):
            if state["stopped"]:
                break
            t0 = time.perf_counter()
            model.train()
            order = shuffle_rng.permutation(n_train)
            total = 0.0
            for batch in np.array_split(order, n_batches):
                optimizer.zero_grad(set_to_none=True)
                with _autocast(device, amp_dtype):
                    loss = loss_fn(batch)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"{desc}: the training loss became {loss.item()} at epoch {epoch + 1}; "
                        "lower lr or check the input features"
                    )
                if grad_scaler is not None:
                    grad_scaler.scale(loss).backward()
                    grad_scaler.unscale_(optimizer)
                    torch.nn.utils.clip_grad_norm_(params, _GRAD_CLIP)
                    grad_scaler.step(optimizer)
                    grad_scaler.update()
                else:
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(params, _GRAD_CLIP)
                    optimizer.step()
                total += float(loss.detach()) * len(batch)
            record = {"epoch": epoch + 1, "train_loss": total / n_train}
            if valid_fn is not None:
                model.eval()
                with torch.no_grad():
                    record.update(valid_fn())
                monitor = record["valid_loss"]
                if monitor < state["best_loss"]:
                    state["best_loss"] = monitor
                    state["best_epoch"] = epoch + 1
                    state["best_state"] = {
                        k: v.detach().cpu().clone() for k, v in model.state_dict().items()
                    }
                    state["bad_epochs"] = 0
                else:
                    state["bad_epochs"] += 1
                    if patience is not None and state["bad_epochs"] >= patience:
                        state["stopped"] = True
            record["dur"] = time.perf_counter() - t0
            state["history"].append(record)
            state["epoch"] = epoch + 1
            save()
            pbar.set_postfix({k: f"{v:.4g}" for k, v in record.items()
                              if k not in ("epoch", "dur")})
            pbar.update(1)
            if state["stopped"]:
                logger.info(
                    f"{desc}: early stopping at epoch {epoch + 1} (best epoch "
                    f"{state['best_epoch']}, valid_loss {state['best_loss']:.4g})"
                )
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    model.eval()
    return state["history"], state["best_epoch"]


def _fork_rng(device):
    torch = _torch()
    devices = [device] if device.type == "cuda" else []
    return torch.random.fork_rng(devices=devices)


def _ckpt_path(checkpoint_dir, name):
    if checkpoint_dir is None:
        return None
    path = Path(checkpoint_dir).expanduser()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"checkpoint_dir is not a directory: {path}")
    return path / name


# ---------------------------------------------------------------------------
# scaling


def _init_input_scale(encoder, X):
    """Data-dependent initialisation of a new MV-SSTMA for inputs of any scale.

    The spectral embedding is rescaled so that, at initialisation, it sees
    inputs standardised per band (``W <- W / s``, ``b <- b - W m`` with the
    training mean ``m`` and standard deviation ``s`` of every band), and the
    reconstruction layer (if any) starts by predicting ``m`` with the spread
    ``s`` (``W <- W s``, ``b <- b s + m``). This is a no-op for standardised
    EEG DE and lets the model work with eye features rescaled to 10..100 (a
    post-norm transformer cannot otherwise recover the value of a large,
    positive scalar token, and the reconstruction bias would need ~1e5 steps
    at the pretraining learning rate to reach the data mean).
    """
    torch = _torch()
    axes = (0, 1, 2)
    mean = torch.as_tensor(X.mean(axis=axes, dtype=np.float64), dtype=torch.float32)
    std = torch.as_tensor(X.std(axis=axes, dtype=np.float64), dtype=torch.float32)
    std = torch.where(std > 0, std, torch.ones_like(std))
    with torch.no_grad():
        emb = encoder.spectral_embedding
        device = emb.weight.device
        m, sd = mean.to(device), std.to(device)
        emb.weight.div_(sd)  # (D, F) / (F,)
        emb.bias.sub_(emb.weight @ m)
        rec = getattr(encoder, "reconstruction", None)
        if rec is not None:
            rec.weight.mul_(sd[:, None])  # (F, D)
            rec.bias.mul_(sd).add_(m)


def _fit_scalers(inp: Inputs, scale: bool):
    from ..features import BandScaler, EyeRescaler

    scalers = {"eeg": None, "eye": None}
    if not scale:
        return scalers
    if inp.eeg is not None:
        scalers["eeg"] = BandScaler().fit(inp.eeg)
    if inp.eye is not None:
        scalers["eye"] = EyeRescaler().fit(inp.eye)
    return scalers


def _apply_scalers(inp: Inputs, scalers) -> Inputs:
    out = copy.copy(inp)
    scalers = scalers or {}
    if inp.eeg is not None and scalers.get("eeg") is not None:
        out.eeg = np.asarray(scalers["eeg"].transform(inp.eeg), dtype=np.float32)
    if inp.eye is not None and scalers.get("eye") is not None:
        out.eye = np.asarray(scalers["eye"].transform(inp.eye), dtype=np.float32)
    return out


def _per_recording_transform(scale):
    """Scale every recording with scalers fitted on that recording (pretraining)."""
    from ..features import BandScaler, EyeRescaler

    def transform(_, eeg, eye):
        if not scale:
            return eeg, eye
        if eeg is not None:
            eeg = BandScaler().fit(eeg).transform(eeg)
        if eye is not None:
            eye = EyeRescaler().fit(eye).transform(eye)
        return eeg, eye

    return transform


# ---------------------------------------------------------------------------
# pretrain


@verbose
@fill_doc
def pretrain(
    data,
    *,
    modality="eeg",
    mask_ratio=0.3,
    n_epochs=100,
    batch_size=64,
    lr=1.5e-4,
    weight_decay=0.01,
    model_kwargs=None,
    n_windows=10,
    trial_ids=None,
    scale=True,
    fill_eye=None,
    valid_size=0.0,
    patience=None,
    device=None,
    amp="auto",
    random_state=0,
    checkpoint_dir=None,
    resume=False,
    verbose=None,
):
    """Pretrain an MV-SSTMA feature extractor by masked reconstruction (no labels).

    Parameters
    ----------
    data : ndarray | mne.Epochs | FeatureRecording | list of FeatureRecording | path-like
        Unlabeled training data of one modality. Arrays: EEG windows
        ``(N, C, T, F)`` or eye windows ``(N, n_eye, T, 1)`` (or per-sample
        features with ``trial_ids``). :class:`mne.Epochs`: EEG epochs; DE is
        computed per epoch and windows are stacked over consecutive epochs of
        the same trial (``metadata["trial"]``). Recordings or a dataset folder
        (read with :func:`mne_mmvsstma.datasets.read_features`): their
        ``eeg`` or ``eye`` features. Only pass training data (never the test
        trials you will evaluate on).
    modality : ``"eeg"`` | ``"eye"``
        Which extractor to train. Eye features are rescaled to 10..100
        (:class:`~mne_mmvsstma.features.EyeRescaler`), EEG DE is standardised
        per band (:class:`~mne_mmvsstma.features.BandScaler`).
    mask_ratio : float
        Fraction of channels (eye features) masked and reconstructed (0.3).
    %(n_epochs)s
    %(batch_size)s
    lr : float
        AdamW learning rate (1.5e-4 in the paper).
    %(weight_decay)s
    model_kwargs : dict | None
        Extra :class:`~mne_mmvsstma.models.MVSSTMA` parameters (``emb_dim``,
        ``n_layers``, ``n_decoder_layers``, ``n_heads``, ``drop_prob``...).
    %(n_windows_train)s
    %(trial_ids_opt)s
    scale : bool
        Fit and apply the scaler. For a list of recordings (or a folder) each
        recording is scaled with a scaler fitted on its own data (per
        subject-session normalisation) and ``scalers_`` is None; otherwise one
        scaler is fitted on ``data`` and stored in ``model.scalers_``.
    %(fill_eye)s
    valid_size : float
        Fraction of windows held out to monitor the reconstruction loss (with
        fixed masks) for early stopping and best-epoch selection; 0 trains on
        everything for ``n_epochs``.
    patience : int | None
        Stop after this many epochs without improvement of the validation
        loss (``None``: never stop early).
    %(device)s
    %(amp)s
    %(random_state)s
    %(checkpoint_dir)s
    %(resume)s
    %(verbose)s

    Returns
    -------
    model : MVSSTMA
        The pretrained model (no classification head) in eval mode, with
        ``history_`` (per-epoch ``train_loss`` and, with validation,
        ``valid_loss``), ``scalers_``, ``modality_``, ``mask_ratio_`` and
        ``n_windows_``. Pass it to :func:`finetune`.
    """
    torch = _torch()
    from ..models import MVSSTMA

    check_option("modality", modality, ("eeg", "eye"))
    n_epochs = _check_positive_int("n_epochs", n_epochs, low=0)
    batch_size = _check_positive_int("batch_size", batch_size)
    lr = _check_lr(lr)
    if not 0.0 < float(mask_ratio) < 1.0:
        raise ValueError(f"mask_ratio must be in (0, 1) for pretraining, got {mask_ratio!r}")
    device = _resolve_device(device)
    amp_dtype = _amp_dtype(device, amp)
    seeds = _Seeds(random_state)
    need = (modality,)

    from ._data import _as_recordings

    recs = _as_recordings(data, "data")
    if recs is not None:
        inp = recordings_to_inputs(recs, need=need, n_windows=n_windows, fill_eye=fill_eye,
                                   transform=_per_recording_transform(scale), name="data")
        scalers = {"eeg": None, "eye": None}
        scaling = "recording" if scale else None
    else:
        if modality == "eye" and not isinstance(data, np.ndarray) and data is not None \
                and not hasattr(data, "__array__"):
            raise ValueError(
                "modality='eye' needs eye-movement features: an array (N, n_eye, T, 1), "
                "FeatureRecording objects or a dataset folder"
            )
        inp = as_inputs(data, need=need, trial_ids=trial_ids, n_windows=n_windows,
                        fill_eye=fill_eye, name="data")
        scalers = _fit_scalers(inp, scale)
        inp = _apply_scalers(inp, scalers)
        scaling = "global" if scale else None
    X = inp.eeg if modality == "eeg" else inp.eye
    n = len(X)
    if n < 2:
        raise ValueError(f"pretrain needs at least 2 windows, got {n}")
    _, n_chans, n_times, n_bands = X.shape

    # validation split (random windows; reconstruction needs no labels)
    valid_idx = np.array([], dtype=int)
    if valid_size:
        if not 0 < valid_size < 1:
            raise ValueError(f"valid_size must be in [0, 1), got {valid_size!r}")
        n_valid = int(round(valid_size * n))
        if n_valid >= 1 and n - n_valid >= 2:
            perm = np.random.default_rng(seeds.split).permutation(n)
            valid_idx = np.sort(perm[:n_valid])
        else:
            logger.info(f"pretrain: too few windows ({n}) for a validation split; none used")
    train_idx = np.setdiff1d(np.arange(n), valid_idx)

    kwargs = dict(model_kwargs or {})
    for key in ("n_outputs", "n_chans", "n_times", "n_bands", "mask_ratio"):
        if key in kwargs:
            raise ValueError(f"model_kwargs must not set {key!r} (it is given by the data)")
    meta = dict(kind="pretrain", modality=modality, shape=tuple(X.shape),
                n_train=int(len(train_idx)), batch_size=batch_size, lr=lr,
                mask_ratio=float(mask_ratio), model_kwargs=repr(sorted(kwargs.items())),
                weight_decay=float(weight_decay))
    ckpt_path = _ckpt_path(checkpoint_dir, f"pretrain_{modality}.pt")
    logger.info(
        f"Pretraining the {modality.upper()} extractor on {len(train_idx)} windows "
        f"{X.shape[1:]} (mask ratio {mask_ratio}, {n_epochs} epochs, device {device})"
    )

    with _fork_rng(device):
        torch.manual_seed(seeds.torch)
        model = MVSSTMA(n_outputs=None, n_chans=n_chans, n_times=n_times, n_bands=n_bands,
                        mask_ratio=float(mask_ratio), **kwargs).to(device)
        _init_input_scale(model, X[train_idx])
        Xt = _to_tensor(X, device)

        def loss_fn(batch):
            xb = Xt[torch.from_numpy(train_idx[batch])].to(device, non_blocking=True)
            return model.forward_pretrain(xb, mask_ratio=mask_ratio)["loss"]

        valid_fn = None
        if len(valid_idx):
            def valid_fn():
                gen = _generator(device, seeds.valid)
                total = 0.0
                for b in np.array_split(valid_idx, _batches(len(valid_idx), batch_size)):
                    xb = Xt[torch.from_numpy(b)].to(device)
                    with _autocast(device, amp_dtype):
                        out = model.forward_pretrain(xb, mask_ratio=mask_ratio, generator=gen)
                    total += float(out["loss"]) * len(b)
                return {"valid_loss": total / len(valid_idx)}

        history, _ = _train_loop(
            model, loss_fn=loss_fn, valid_fn=valid_fn, n_train=len(train_idx),
            n_epochs=n_epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
            device=device, amp_dtype=amp_dtype, seeds=seeds, patience=patience,
            ckpt_path=ckpt_path, resume=resume, meta=meta, desc=f"pretrain {modality}",
        )
    model.history_ = history
    model.scalers_ = scalers
    model.scaling_ = scaling
    model.modality_ = modality
    model.fusion_ = None
    model.mask_ratio_ = float(mask_ratio)
    model.n_windows_ = int(n_times)
    return model


@verbose
@fill_doc
def reconstruction_loss(model, data, *, mask_ratio=None, batch_size=256, n_windows=10,
                        trial_ids=None, fill_eye=None, device=None, random_state=0,
                        verbose=None):
    """Masked-reconstruction loss of a pretraining model on ``data``.

    Parameters
    ----------
    model : MVSSTMA
        A model with a decoder (e.g. returned by :func:`pretrain`).
    data : ndarray | mne.Epochs | FeatureRecording | list | path-like
        Data of the model's modality (see :func:`pretrain`). Scaled like in
        :func:`pretrain`: with ``model.scalers_`` when they exist, else per
        recording.
    mask_ratio : float | None
        ``None`` uses the model's ``mask_ratio``.
    %(batch_size_eval)s
    %(n_windows_train)s
    %(trial_ids_opt)s
    %(fill_eye)s
    %(device)s
    %(random_state)s
        Seeds the (fixed) random masks.
    %(verbose)s

    Returns
    -------
    loss : float
        Mean squared error over the masked channels, averaged over windows.
    """
    torch = _torch()
    from ._data import _as_recordings

    modality = getattr(model, "modality_", "eeg")
    mask_ratio = model.mask_ratio if mask_ratio is None else mask_ratio
    device = _resolve_device(device)
    recs = _as_recordings(data, "data")
    scalers = getattr(model, "scalers_", None)
    if recs is not None:
        per_rec = not scalers or all(v is None for v in scalers.values())
        inp = recordings_to_inputs(recs, need=(modality,), n_windows=n_windows,
                                   fill_eye=fill_eye, name="data",
                                   transform=_per_recording_transform(per_rec))
        if not per_rec:
            inp = _apply_scalers(inp, scalers)
    else:
        inp = as_inputs(data, need=(modality,), trial_ids=trial_ids, n_windows=n_windows,
                        fill_eye=fill_eye, name="data")
        inp = _apply_scalers(inp, scalers)
    X = inp.eeg if modality == "eeg" else inp.eye
    model_device = next(model.parameters()).device
    model.to(device).eval()
    gen = _generator(device, _Seeds(random_state).eval)
    total = 0.0
    with torch.no_grad():
        for b in np.array_split(np.arange(len(X)), _batches(len(X), batch_size)):
            xb = torch.from_numpy(X[b]).to(device)
            total += float(model.forward_pretrain(xb, mask_ratio=mask_ratio,
                                                  generator=gen)["loss"]) * len(b)
    model.to(model_device)
    return total / len(X)


# ---------------------------------------------------------------------------
# finetune


def _select_labeled(n, trial_ids, n_labels, per):
    """Indices of the labeled calibration samples (the first ones, in time order)."""
    if n_labels is None:
        return np.arange(n)
    n_labels = _check_positive_int("n_labels", n_labels)
    if per == "trial":
        if trial_ids is None:
            raise ValueError(
                "n_labels_per='trial' needs trial ids (recordings, a dataset folder, Epochs "
                "with a 'trial' metadata column, or trial_ids=); use n_labels_per='total' "
                "for the first n_labels samples overall"
            )
        idx = []
        _, first = np.unique(trial_ids, return_index=True)
        for t in trial_ids[np.sort(first)]:
            idx.extend(np.flatnonzero(trial_ids == t)[:n_labels])
        return np.sort(np.asarray(idx, dtype=int))
    return np.arange(min(n_labels, n))


def _valid_split(labels, trial_ids, valid_size, rng):
    """Split labeled indices into (train, valid); valid may be empty (fallback)."""
    n = len(labels)
    all_idx = np.arange(n)
    if not valid_size:
        return all_idx, np.array([], dtype=int)
    if not 0 < valid_size < 1:
        raise ValueError(f"valid_size must be in [0, 1), got {valid_size!r}")
    valid = []
    if trial_ids is not None:
        # the last valid_size fraction of every trial (later in time than its training part)
        for t in np.unique(trial_ids):
            idx = np.flatnonzero(trial_ids == t)
            k = int(round(valid_size * len(idx)))
            if len(idx) >= 2 and k >= 1:
                valid.extend(idx[-k:])
    else:
        # stratified random split
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            k = int(round(valid_size * len(idx)))
            if len(idx) >= 2 and k >= 1:
                valid.extend(rng.choice(idx, size=k, replace=False))
    valid = np.sort(np.asarray(valid, dtype=int))
    train = np.setdiff1d(all_idx, valid)
    classes = np.unique(labels)
    if (
        len(valid) < max(2, len(classes))
        or len(np.unique(labels[train])) < len(classes)
        or len(train) < 2
    ):
        return all_idx, np.array([], dtype=int)
    return train, valid


def _build_classifier(model, *, fusion, modality, n_classes, shapes, model_kwargs,
                      fusion_dim=None):
    """Create the network to fine-tune (copies any pretrained model given)."""
    from ..models import MVSSTMA

    kwargs = dict(model_kwargs or {})
    if fusion is None:
        _, n_chans, n_times, n_bands = shapes[modality]
        if isinstance(model, dict):
            if set(model) - {"eeg", "eye"}:
                raise ValueError(f"model dict keys must be 'eeg' and/or 'eye', got {list(model)}")
            model = model.get(modality)
        if model is None:  # same architecture as a pretrained encoder (no decoder)
            kwargs["n_decoder_layers"] = 0
            return MVSSTMA(n_outputs=n_classes, n_chans=n_chans, n_times=n_times,
                           n_bands=n_bands, **kwargs)
        if type(model).__name__ == "MMVSSTMAClassifier":
            raise ValueError("fusion=None but model is a fusion classifier; pass fusion=...")
        if not isinstance(model, MVSSTMA):
            raise TypeError(f"model must be an MVSSTMA, a dict of them or None, got {type(model)}")
        src_mod = getattr(model, "modality_", None)
        if src_mod is not None and src_mod != modality:
            raise ValueError(
                f"The pretrained model was trained on {src_mod!r} features but modality="
                f"{modality!r}"
            )
        if model.n_chans != n_chans or model.n_bands != n_bands:
            raise ValueError(
                f"The pretrained model expects {model.n_chans} channels x {model.n_bands} "
                f"bands but the {modality} data have {n_chans} x {n_bands}"
            )
        if model_kwargs:
            raise ValueError("model_kwargs can only be used to build a new model (model=None)")
        return MVSSTMA.from_pretrained(model, n_classes)
    # fusion
    from ..models import MMVSSTMAClassifier

    _, n_eeg, n_times, n_bands = shapes["eeg"]
    _, n_eye, _, _ = shapes["eye"]
    if isinstance(model, MMVSSTMAClassifier):
        if model_kwargs:
            raise ValueError("model_kwargs can only be used to build a new model")
        new = copy.deepcopy(model)
        if getattr(new, "fusion", fusion) != fusion:
            raise ValueError(f"model uses fusion {new.fusion!r} but fusion={fusion!r}")
        return new
    encoders = {"eeg": None, "eye": None}
    if model is not None:
        if isinstance(model, MVSSTMA):
            model = {getattr(model, "modality_", "eeg"): model}
        if not isinstance(model, dict):
            raise TypeError(
                "For fusion, model must be None, a dict {'eeg': MVSSTMA, 'eye': MVSSTMA} or an "
                f"MMVSSTMAClassifier, got {type(model).__name__}"
            )
        if set(model) - {"eeg", "eye"}:
            raise ValueError(f"model dict keys must be 'eeg' and/or 'eye', got {list(model)}")
        for key, enc in model.items():
            if enc is None:
                continue
            if not isinstance(enc, MVSSTMA):
                raise TypeError(f"model[{key!r}] must be an MVSSTMA, got {type(enc).__name__}")
            src_mod = getattr(enc, "modality_", key)
            if src_mod != key:
                raise ValueError(f"model[{key!r}] was pretrained on {src_mod!r} features")
            n_expected = n_eeg if key == "eeg" else n_eye
            if enc.n_chans != n_expected:
                raise ValueError(
                    f"model[{key!r}] expects {enc.n_chans} channels but the {key} data have "
                    f"{n_expected}"
                )
            encoders[key] = MVSSTMA.from_pretrained(enc, None)
    return MMVSSTMAClassifier(
        n_classes,
        eeg_encoder=encoders["eeg"],
        eye_encoder=encoders["eye"],
        fusion=fusion,
        n_eeg_chans=n_eeg,
        n_eye_features=n_eye,
        n_times=n_times,
        n_bands=n_bands,
        encoder_kwargs=kwargs or None,
        fusion_dim=fusion_dim,
    )


def _new_encoders(net, model, fusion, modality):
    """Encoders of ``net`` that were randomly initialised (not copied from ``model``)."""
    from ..models import MVSSTMA

    if fusion is None:
        src = model.get(modality) if isinstance(model, dict) else model
        return {} if src is not None else {modality: net}
    if type(model).__name__ == "MMVSSTMAClassifier":
        return {}
    if isinstance(model, MVSSTMA):
        model = {getattr(model, "modality_", "eeg"): model}
    given = model or {}
    return {m: getattr(net, f"{m}_encoder") for m in ("eeg", "eye") if given.get(m) is None}


def _forward(model, batch, fusion, modality, mask_ratio, generator=None, features=False):
    """Logits (and per-modality features for DCCA when ``features``)."""
    if fusion is None:
        x = batch[modality]
        return model(x, mask_ratio=mask_ratio, generator=generator), None
    kwargs = {"mask_ratio": mask_ratio}
    if generator is not None:
        kwargs["generator"] = generator
    if features and hasattr(model, "fuse"):  # one encoder pass for logits and DCCA
        feats = model.encode(batch["eeg"], batch["eye"], **kwargs)
        logits = model.final_layer(model.head_drop(model.fuse(*feats)))
        return logits, feats
    logits = model(batch["eeg"], batch["eye"], **kwargs)
    feats = model.encode(batch["eeg"], batch["eye"], **kwargs) if features else None
    return logits, feats


@verbose
@fill_doc
def finetune(
    X,
    y=None,
    *,
    X_eye=None,
    model=None,
    modality=None,
    fusion=None,
    dcca_weight=0.1,
    fusion_dim=None,
    lr=1e-3,
    weight_decay=0.01,
    n_epochs=100,
    batch_size=32,
    n_labels=None,
    n_labels_per="trial",
    valid_size=0.2,
    patience=20,
    mask_ratio=0.0,
    model_kwargs=None,
    n_windows=None,
    trial_ids=None,
    scale=True,
    fill_eye=None,
    device=None,
    amp="auto",
    random_state=0,
    checkpoint_dir=None,
    resume=False,
    verbose=None,
):
    """Fine-tune an emotion classifier (one subject) on labeled windows.

    Parameters
    ----------
    X : ndarray | mne.Epochs | FeatureRecording | list of FeatureRecording | path-like
        Training data. Arrays: EEG windows ``(N, C, T, F)`` (or eye windows
        ``(N, n_eye, T, 1)`` when ``modality="eye"``). Recordings / a dataset
        folder also provide the labels and the eye features.
    y : array-like of int, shape (N,) | None
        Labels (any integer coding; stored in ``classes_``). ``None`` takes
        them from recordings / Epochs.
    X_eye : ndarray, shape (N, n_eye, T, 1) | None
        Eye windows aligned with ``X`` (fusion with array inputs).
    model : MVSSTMA | dict | MMVSSTMAClassifier | None
        Starting point. ``None``: random initialisation ("without pretrained
        weights", Table 1). A pretrained :class:`~mne_mmvsstma.models.MVSSTMA`
        (single modality): its encoder is copied
        (:meth:`~mne_mmvsstma.models.MVSSTMA.from_pretrained`) and a new head
        added. ``{"eeg": MVSSTMA, "eye": MVSSTMA}`` (fusion): copies of both
        pretrained encoders in a :class:`~mne_mmvsstma.models.MMVSSTMAClassifier`.
        The models passed are never modified.
    modality : ``"eeg"`` | ``"eye"`` | None
        Modality of a single-modality classifier (``fusion=None``). ``None``
        uses the pretrained model's ``modality_``, else ``"eeg"``.
    fusion : None | ``"concat"`` | ``"attention"``
        ``None``: single modality. Otherwise EEG + eye fusion.
    dcca_weight : float
        Weight of the DCCA correlation loss added to the cross-entropy
        (fusion only; 0.1 in the paper). It is computed on the per-modality
        features of every batch of more than 2 windows.
    fusion_dim : int | None
        Width of the per-modality linear projections of a new fusion
        classifier (see :class:`~mne_mmvsstma.models.MMVSSTMAClassifier`);
        ``None`` keeps the encoders' feature widths when possible. Set it
        with ``pool="flatten"`` encoders, whose features are wide (DCCA costs
        grow with the cube of the width).
    lr : float
        AdamW learning rate (1e-3).
    %(weight_decay)s
    %(n_epochs)s
    %(batch_size)s
    n_labels : int | None
        Partial calibration set (Table 3): use only the first ``n_labels``
        labeled windows (in time order) of every trial (``n_labels_per="trial"``)
        or overall (``"total"``). ``None`` uses all labels.
    n_labels_per : ``"trial"`` | ``"total"``
        How ``n_labels`` counts. The paper's "first 10 labeled samples of the
        training part" is read per trial: the first 10 windows overall come
        from one trial, i.e. one emotion, which cannot train a classifier.
    valid_size : float
        Fraction of the labeled training windows held out for early stopping
        and best-epoch selection (validation cross-entropy, fixed masks). With
        trial ids, the *last* ``valid_size`` fraction of every trial is held
        out; otherwise a stratified random subset. Fallback: when this leaves
        fewer than ``max(2, n_classes)`` validation windows, fewer than 2
        training windows, or a class without training windows, no validation
        set is used and the model of the last epoch is returned (logged).
    patience : int | None
        Early-stopping patience in epochs (``None``: train ``n_epochs`` and
        keep the best validation epoch).
    mask_ratio : float
        Fraction of channels (and eye features) masked at random in training
        (and, when passed to :func:`evaluate`, at test) — the missing-data
        setting of Table 4. 0 uses all channels.
    model_kwargs : dict | None
        :class:`~mne_mmvsstma.models.MVSSTMA` parameters of newly built
        (random-init) encoders.
    n_windows : int | None
        Window length ``T`` used when windows are stacked here (Epochs,
        recordings, dataset folders, per-sample arrays with ``trial_ids``).
        ``None``: the pretrained model's window length, else 10. Ignored for
        4-D window arrays.
    %(trial_ids_opt)s
    scale : bool
        Fit a :class:`~mne_mmvsstma.features.BandScaler` (EEG) /
        :class:`~mne_mmvsstma.features.EyeRescaler` (eye) on ``X`` (all given
        windows, labeled or not: pass only training data) and apply it here
        and in :func:`evaluate`.
    %(fill_eye)s
    %(device)s
    %(amp)s
    %(random_state)s
    %(checkpoint_dir)s
    %(resume)s
    %(verbose)s

    Returns
    -------
    model : MVSSTMA | MMVSSTMAClassifier
        The fitted classifier in eval mode, with ``history_`` (per-epoch
        ``train_loss``, ``valid_loss``, ``valid_accuracy``), ``best_epoch_``,
        ``classes_``, ``scalers_``, ``modality_`` (``"eeg"``, ``"eye"`` or
        ``"fusion"``), ``fusion_``, ``n_labels_``, ``mask_ratio_``,
        ``n_windows_``.
    """
    torch = _torch()
    from ..models import MVSSTMA

    if fusion is not None:
        check_option("fusion", fusion, _FUSIONS)
        if modality not in (None, "fusion"):
            raise ValueError(f"modality={modality!r} cannot be combined with fusion={fusion!r}")
        need = ("eeg", "eye")
    else:
        if modality is None:
            src = model.get("eeg") if isinstance(model, dict) else model
            modality = getattr(src, "modality_", None) if isinstance(src, MVSSTMA) else None
            if modality is None and isinstance(model, dict) and set(model) == {"eye"}:
                modality = "eye"
            modality = modality or "eeg"
        check_option("modality", modality, ("eeg", "eye"))
        need = (modality,)
    check_option("n_labels_per", n_labels_per, ("trial", "total"))
    n_epochs = _check_positive_int("n_epochs", n_epochs, low=0)
    batch_size = _check_positive_int("batch_size", batch_size)
    lr = _check_lr(lr)
    if patience is not None:
        patience = _check_positive_int("patience", patience)
    if not 0.0 <= float(mask_ratio) < 1.0:
        raise ValueError(f"mask_ratio must be in [0, 1), got {mask_ratio!r}")
    if dcca_weight < 0:
        raise ValueError(f"dcca_weight must be >= 0, got {dcca_weight!r}")
    device = _resolve_device(device)
    amp_dtype = _amp_dtype(device, amp)
    seeds = _Seeds(random_state)

    if n_windows is None:
        srcs = list(model.values()) if isinstance(model, dict) else [model]
        sizes = [getattr(m, "n_windows_", getattr(m, "n_times", None)) for m in srcs
                 if m is not None]
        n_windows = int(sizes[0]) if sizes and sizes[0] else 10
    if need == ("eye",) and X is None and X_eye is not None:
        X, X_eye = X_eye, None
    inp = as_inputs(X, need=need, labels=y, X_eye=X_eye, trial_ids=trial_ids,
                    n_windows=n_windows, fill_eye=fill_eye, name="X")
    if inp.labels is None:
        raise ValueError("y is required (labels of the training windows)")
    labels = check_labels(inp.labels, "y")
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(
            f"y contains a single class ({classes.tolist()}); fine-tuning a classifier needs "
            "at least two classes"
        )
    scalers = _fit_scalers(inp, scale)
    inp = _apply_scalers(inp, scalers)
    labeled = _select_labeled(len(inp), inp.trial_ids, n_labels, n_labels_per)
    inp = inp.subset(labeled)
    y_idx = np.searchsorted(classes, labels[labeled])
    present = np.unique(y_idx)
    if len(present) < 2:
        raise ValueError(
            f"The {len(labeled)} labeled windows selected by n_labels={n_labels} "
            f"(n_labels_per={n_labels_per!r}) hold a single class ({classes[present].tolist()})"
        )
    if len(present) < len(classes):
        logger.warning(
            f"Classes {np.setdiff1d(classes, classes[present]).tolist()} have no labeled "
            f"window among the {len(labeled)} selected by n_labels={n_labels}"
        )
    split_trials = inp.trial_ids
    train_idx, valid_idx = _valid_split(y_idx, split_trials, valid_size,
                                        np.random.default_rng(seeds.split))
    if valid_size and len(valid_idx) == 0:
        logger.info(
            f"finetune: too few labeled windows ({len(y_idx)}) for a validation split of "
            f"{valid_size}; training {n_epochs} epochs without early stopping, the last "
            "epoch's model is returned"
        )
    shapes = {m: getattr(inp, m).shape for m in need}
    if fusion is None and X_eye is not None:
        raise ValueError("X_eye was given but fusion=None (single-modality model)")

    meta = dict(kind="finetune", modality=modality if fusion is None else "fusion",
                fusion=fusion, shapes=repr(shapes), n_train=int(len(train_idx)),
                n_valid=int(len(valid_idx)), classes=classes.tolist(),
                batch_size=batch_size, lr=lr, mask_ratio=float(mask_ratio),
                dcca_weight=float(dcca_weight), n_labels=n_labels, fusion_dim=fusion_dim,
                pretrained=model is not None, weight_decay=float(weight_decay),
                model_kwargs=repr(sorted((model_kwargs or {}).items())))
    ckpt_path = _ckpt_path(checkpoint_dir, "finetune.pt")
    name = fusion or modality
    logger.info(
        f"Fine-tuning {name} classifier ({'pretrained' if model is not None else 'random init'})"
        f" on {len(train_idx)} windows ({len(valid_idx)} validation), {len(classes)} classes, "
        f"mask ratio {mask_ratio}, device {device}"
    )

    with _fork_rng(device):
        torch.manual_seed(seeds.torch)
        net = _build_classifier(model, fusion=fusion, modality=modality,
                                n_classes=len(classes), shapes=shapes,
                                model_kwargs=model_kwargs, fusion_dim=fusion_dim).to(device)
        for m, encoder in _new_encoders(net, model, fusion, modality).items():
            _init_input_scale(encoder, getattr(inp, m)[train_idx])
        data = {m: _to_tensor(getattr(inp, m), device) for m in need}
        y_t = torch.from_numpy(y_idx.astype(np.int64)).to(data[need[0]].device)
        use_dcca = fusion is not None and dcca_weight > 0
        if use_dcca:
            from ..models import dcca_loss

        def batch_of(idx):
            it = torch.from_numpy(idx)
            return {m: data[m][it].to(device, non_blocking=True) for m in need}, \
                y_t[it].to(device)

        def loss_fn(batch):
            xb, yb = batch_of(train_idx[batch])
            logits, feats = _forward(net, xb, fusion, modality, mask_ratio,
                                     features=use_dcca and len(batch) > 2)
            loss = torch.nn.functional.cross_entropy(logits.float(), yb)
            if feats is not None:
                loss = loss + dcca_weight * dcca_loss(feats[0].float(), feats[1].float())
            return loss

        valid_fn = None
        if len(valid_idx):
            def valid_fn():
                gen = _generator(device, seeds.valid) if mask_ratio > 0 else None
                total, correct = 0.0, 0
                for b in np.array_split(valid_idx, _batches(len(valid_idx), 256)):
                    xb, yb = batch_of(b)
                    with _autocast(device, amp_dtype):
                        logits, _ = _forward(net, xb, fusion, modality, mask_ratio, gen)
                    total += float(torch.nn.functional.cross_entropy(
                        logits.float(), yb, reduction="sum"))
                    correct += int((logits.argmax(1) == yb).sum())
                return {"valid_loss": total / len(valid_idx),
                        "valid_accuracy": correct / len(valid_idx)}

        history, best_epoch = _train_loop(
            net, loss_fn=loss_fn, valid_fn=valid_fn, n_train=len(train_idx),
            n_epochs=n_epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
            device=device, amp_dtype=amp_dtype, seeds=seeds, patience=patience,
            ckpt_path=ckpt_path, resume=resume, meta=meta, desc=f"finetune {name}",
        )
    net.history_ = history
    net.best_epoch_ = best_epoch if len(valid_idx) else len(history)
    net.classes_ = classes
    net.scalers_ = scalers
    net.modality_ = modality if fusion is None else "fusion"
    net.fusion_ = fusion
    net.n_labels_ = n_labels
    net.mask_ratio_ = float(mask_ratio)
    net.n_windows_ = int(shapes[need[0]][2])
    return net


# ---------------------------------------------------------------------------
# evaluate


def _model_need(model):
    fusion = getattr(model, "fusion_", None)
    if type(model).__name__ == "MMVSSTMAClassifier" or fusion is not None:
        return ("eeg", "eye"), fusion or getattr(model, "fusion", "attention"), None
    modality = getattr(model, "modality_", None) or "eeg"
    return (modality,), None, modality


@verbose
@fill_doc
def predict_proba(model, X, *, X_eye=None, mask_ratio=0.0, batch_size=256, n_windows=None,
                  trial_ids=None, fill_eye=None, device=None, random_state=0, verbose=None):
    """Class probabilities of a fine-tuned model (same preprocessing as training).

    Parameters
    ----------
    model : MVSSTMA | MMVSSTMAClassifier
        Model returned by :func:`finetune` (or :func:`load_model`).
    %(X_test)s
    %(X_eye_test)s
    mask_ratio : float
        Fraction of channels masked at random (Table 4).
    %(batch_size_eval)s
    %(n_windows_model)s
    %(trial_ids_opt)s
    %(fill_eye)s
    %(device)s
    %(random_state_masks)s
    %(verbose)s

    Returns
    -------
    proba : ndarray, shape (N, n_classes)
        Probabilities in the order of ``model.classes_``.
    labels : ndarray | None
        Labels found in the input (recordings / Epochs), else None.
    """
    torch = _torch()
    need, fusion, modality = _model_need(model)
    device = _resolve_device(device)
    n_windows = n_windows or getattr(model, "n_windows_", 10)
    if need == ("eye",) and X is None and X_eye is not None:
        X, X_eye = X_eye, None
    inp = as_inputs(X, need=need, X_eye=X_eye, trial_ids=trial_ids, n_windows=n_windows,
                    fill_eye=fill_eye, name="X")
    inp = _apply_scalers(inp, getattr(model, "scalers_", None))
    model_device = next(model.parameters()).device
    model.to(device).eval()
    gen = _generator(device, _Seeds(random_state).eval) if mask_ratio > 0 else None
    probas = []
    attention = []
    with torch.no_grad():
        for b in np.array_split(np.arange(len(inp)), _batches(len(inp), batch_size)):
            it = torch.from_numpy(b)
            xb = {m: torch.from_numpy(getattr(inp, m))[it].to(device) for m in need}
            logits, _ = _forward(model, xb, fusion, modality, mask_ratio, gen)
            probas.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
            att = getattr(model, "last_attention_", None)
            if fusion == "attention" and att is not None:
                attention.append(att.detach().float().cpu().numpy())
    model.to(model_device)
    proba = np.concatenate(probas)
    model._last_eval_attention = np.concatenate(attention) if attention else None
    return proba, inp.labels


@verbose
@fill_doc
def evaluate(model, X, y=None, *, X_eye=None, mask_ratio=0.0, batch_size=256, n_windows=None,
             trial_ids=None, fill_eye=None, device=None, random_state=0, verbose=None):
    """Evaluate a fine-tuned classifier on test data.

    Parameters
    ----------
    model : MVSSTMA | MMVSSTMAClassifier
        Model returned by :func:`finetune` (its ``scalers_`` are applied).
    %(X_test)s
    y : array-like of int | None
        True labels (``None``: taken from recordings / Epochs).
    %(X_eye_test)s
    mask_ratio : float
        Fraction of channels masked at random at test time (Table 4).
    %(batch_size_eval)s
    %(n_windows_model)s
    %(trial_ids_opt)s
    %(fill_eye)s
    %(device)s
    %(random_state_masks)s
    %(verbose)s

    Returns
    -------
    results : dict
        ``accuracy`` (float in 0..1), ``y_true``, ``y_pred`` (original label
        values), ``proba`` ``(N, n_classes)``, ``classes``,
        ``confusion_matrix`` (rows = true, columns = predicted, in
        ``classes`` order), ``n_samples`` and, for attention fusion,
        ``attention`` (mean EEG / eye fusion weights).
    """
    from sklearn.metrics import confusion_matrix

    classes = getattr(model, "classes_", None)
    if classes is None:
        raise ValueError("model has no classes_: evaluate a model returned by finetune")
    classes = np.asarray(classes)
    proba, found = predict_proba(model, X, X_eye=X_eye, mask_ratio=mask_ratio,
                                 batch_size=batch_size, n_windows=n_windows,
                                 trial_ids=trial_ids, fill_eye=fill_eye, device=device,
                                 random_state=random_state)
    if y is None:
        y = found
    if y is None:
        raise ValueError("y is required to evaluate array inputs")
    y = check_labels(y, "y")
    if len(y) != len(proba):
        raise ValueError(f"y has {len(y)} labels but X has {len(proba)} windows")
    unknown = np.setdiff1d(np.unique(y), classes)
    if len(unknown):
        raise ValueError(
            f"y holds labels {unknown.tolist()} unseen in training (classes_ = "
            f"{classes.tolist()})"
        )
    y_pred = classes[proba.argmax(axis=1)]
    out = {
        "accuracy": float(np.mean(y_pred == y)),
        "y_true": y,
        "y_pred": y_pred,
        "proba": proba,
        "classes": classes,
        "confusion_matrix": confusion_matrix(y, y_pred, labels=classes),
        "n_samples": int(len(y)),
    }
    att = getattr(model, "_last_eval_attention", None)
    if att is not None:
        out["attention"] = att.mean(axis=0)
    logger.info(f"Accuracy: {100 * out['accuracy']:.2f}% on {len(y)} windows")
    return out
