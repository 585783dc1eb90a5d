"""Atomic checkpoints and model files.

Two kinds of files are written with :func:`torch.save`:

- *training checkpoints* (``<checkpoint_dir>/<name>.pt``), rewritten after every
  epoch, hold the model and optimizer states, the epoch counter, the history, the
  early-stopping state and every random-number-generator state, so that
  ``resume=True`` continues exactly where an interrupted run stopped;
- *model files* (:func:`save_model` / :func:`load_model`) hold what is needed to
  rebuild a fitted estimator (:class:`~mne_mmvsstma.Pretrainer` or
  :class:`~mne_mmvsstma.EmotionClassifier`): its parameters, the network's
  braindecode configuration (``get_config`` / ``from_config``) and weights, the
  fitted scalers, the history and the fitted attributes (``classes_``...).

Every write goes to a temporary file in the destination folder which then
replaces the destination with :func:`os.replace`, so an interrupted write never
leaves a truncated file behind. Files are read with ``weights_only=True``: they
only contain tensors and plain Python containers (no arbitrary pickled objects).
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..utils import check_path, logger

MODEL_FORMAT = "mne_mmvsstma-model"
CHECKPOINT_FORMAT = "mne_mmvsstma-checkpoint"
FORMAT_VERSION = 2

# classes that may be rebuilt from a file (module, name)
_ALLOWED_CLASSES = {
    "MVSSTMA": "mne_mmvsstma.models",
    "MMVSSTMAClassifier": "mne_mmvsstma.models",
    "BandScaler": "mne_mmvsstma.features",
    "EyeRescaler": "mne_mmvsstma.features",
    "RobustEyeScaler": "mne_mmvsstma.features",
    "Pretrainer": "mne_mmvsstma.training.estimators",
    "EmotionClassifier": "mne_mmvsstma.training.estimators",
}
# fitted attributes stored with an estimator
MODEL_ATTRS = ("classes_inferred_", "input_shape_", "input_shapes_", "input_stats_",
               "whitening_")
_PLAIN = (int, float, str, bool, type(None))


def atomic_save(obj, fname) -> Path:
    """Save ``obj`` with :func:`torch.save` to ``fname`` atomically (temp file + rename)."""
    import torch

    fname = Path(fname).expanduser()
    fname.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{fname.name}.", suffix=".tmp", dir=fname.parent)
    try:
        with os.fdopen(fd, "wb") as fid:
            torch.save(obj, fid)
            fid.flush()
            os.fsync(fid.fileno())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return fname


def load_file(fname, *, kind="checkpoint"):
    """Load a file written by :func:`atomic_save` (``weights_only=True``)."""
    import torch

    fname = check_path(fname, kind=kind, is_dir=False)
    try:
        obj = torch.load(fname, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise OSError(f"Could not read {kind} file {fname}: {exc}") from exc
    return obj


# ---------------------------------------------------------------------------
# plain-container conversion (weights_only-safe)


def to_plain(obj):
    """Convert numpy arrays/scalars recursively to tensors / Python scalars."""
    import torch

    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return [to_plain(o) for o in obj.tolist()]
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj))}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        out = [to_plain(o) for o in obj]
        return tuple(out) if isinstance(obj, tuple) else out
    return obj


def from_plain(obj):
    """Inverse of :func:`to_plain`."""
    if isinstance(obj, dict):
        if set(obj) == {"__ndarray__"}:
            return obj["__ndarray__"].numpy()
        return {k: from_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        out = [from_plain(o) for o in obj]
        return tuple(out) if isinstance(obj, tuple) else out
    return obj


def _get_class(name):
    if name not in _ALLOWED_CLASSES:
        raise ValueError(f"Cannot rebuild an object of unknown class {name!r} from a file")
    module = importlib.import_module(_ALLOWED_CLASSES[name])
    return getattr(module, name)


def serialize_scaler(scaler):
    """Return a plain dict describing a fitted scaler (or None)."""
    if scaler is None:
        return None
    name = type(scaler).__name__
    if name not in _ALLOWED_CLASSES:
        raise TypeError(f"Cannot save a scaler of type {name}")
    return {"class": name, "state": to_plain(dict(vars(scaler)))}


def deserialize_scaler(spec):
    """Rebuild a scaler saved with :func:`serialize_scaler`."""
    if spec is None:
        return None
    cls = _get_class(spec["class"])
    obj = cls.__new__(cls)
    obj.__dict__.update(from_plain(spec["state"]))
    return obj


def _is_plain(value):
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return isinstance(value, _PLAIN)


# ---------------------------------------------------------------------------
# public model files


def save_model(estimator, fname, *, overwrite=True):
    """Save a fitted :class:`~mne_mmvsstma.Pretrainer` or :class:`~mne_mmvsstma.EmotionClassifier`.

    Parameters
    ----------
    estimator : Pretrainer | EmotionClassifier
        A fitted estimator.
    fname : path-like
        Destination file (``.pt``), written atomically (by rank 0 only in a
        multi-process run).
    overwrite : bool
        If False, raise when ``fname`` exists.

    Returns
    -------
    fname : pathlib.Path
        The file written.

    Notes
    -----
    Parameters that are plain values (sizes, learning rate, ``mask_ratio``...)
    are stored; callbacks, the optimizer class, ``train_split`` and
    ``pretrained`` are not (they take their defaults when loaded).
    """
    from . import distributed

    fname = Path(fname).expanduser()
    if fname.exists() and not overwrite:
        raise FileExistsError(f"{fname} exists; pass overwrite=True")
    name = type(estimator).__name__
    if name not in ("Pretrainer", "EmotionClassifier") or not hasattr(estimator, "module_"):
        raise TypeError(f"save_model needs a fitted Pretrainer or EmotionClassifier, got {name}")
    module = estimator.module_
    params = {k: v for k, v in estimator.get_params(deep=False).items()
              if _is_plain(v) and k not in ("checkpoint_dir", "resume", "device", "module")}
    obj = {
        "format": MODEL_FORMAT,
        "version": FORMAT_VERSION,
        "estimator": name,
        "params": to_plain(params),
        "module_class": type(module).__name__,
        "config": json.dumps(module.get_config()),
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "scalers": {k: serialize_scaler(v) for k, v in estimator.scalers_.items()},
        "attrs": {a: to_plain(getattr(estimator, a)) for a in MODEL_ATTRS
                  if hasattr(estimator, a)},
        "history": to_plain(list(estimator.history)),
    }
    if distributed.is_main_process():
        atomic_save(obj, fname)
        logger.info(f"Saved {name} to {fname}")
    distributed.barrier()
    return fname


def load_model(fname, *, device="cpu"):
    """Load an estimator written by :func:`save_model` (files are read ``weights_only``).

    Parameters
    ----------
    fname : path-like
        File written by :func:`save_model`.
    device : str
        Device of the loaded estimator (``"cpu"``, ``"cuda"``, ``"auto"``...).

    Returns
    -------
    estimator : Pretrainer | EmotionClassifier
        The fitted estimator (its network in eval mode).
    """
    from skorch.history import History

    obj = load_file(fname, kind="model")
    if not isinstance(obj, dict) or obj.get("format") != MODEL_FORMAT:
        raise ValueError(f"{fname} is not a mne_mmvsstma model file (see save_model)")
    if obj.get("version") != FORMAT_VERSION or "estimator" not in obj:
        raise ValueError(f"{fname} was written by another version of mne_mmvsstma "
                         f"(format version {obj.get('version')}, expected {FORMAT_VERSION})")
    cls = _get_class(obj["estimator"])
    module = _get_class(obj["module_class"]).from_config(json.loads(obj["config"]))
    module.load_state_dict(obj["state_dict"])
    est = cls(**from_plain(obj["params"]), module=module, device=device)
    for key, value in obj["attrs"].items():
        setattr(est, key, from_plain(value))
    est.scalers_ = {k: deserialize_scaler(v) for k, v in obj["scalers"].items()}
    est.initialize()
    est.history = History(from_plain(obj["history"]))
    est.module_.eval()
    return est
