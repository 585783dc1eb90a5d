"""Atomic checkpoints and model files.

Two kinds of files are written with :func:`torch.save`:

- *training checkpoints* (``<checkpoint_dir>/<name>.pt``), rewritten after every
  epoch, hold the model and optimizer states, the epoch counter, the history, the
  early-stopping state and every random-number-generator state, so that
  ``resume=True`` continues exactly where an interrupted run stopped;
- *model files* (:func:`save_model` / :func:`load_model`) hold what is needed to
  rebuild a fitted model: its constructor arguments, its weights, the fitted
  scalers and the fitted attributes (``classes_``, ``history_``...).

Every write goes to a temporary file in the destination folder which then
replaces the destination with :func:`os.replace`, so an interrupted write never
leaves a truncated file behind. Files are read with ``weights_only=True``: they
only contain tensors and plain Python containers (no arbitrary pickled objects).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import os
import tempfile
from pathlib import Path

import numpy as np

from ..utils import check_path, logger

MODEL_FORMAT = "mne_mmvsstma-model"
CHECKPOINT_FORMAT = "mne_mmvsstma-checkpoint"
FORMAT_VERSION = 1

# classes that may be rebuilt from a file (module, name)
_ALLOWED_CLASSES = {
    "MVSSTMA": "mne_mmvsstma.models",
    "MMVSSTMAClassifier": "mne_mmvsstma.models",
    "BandScaler": "mne_mmvsstma.features",
    "EyeRescaler": "mne_mmvsstma.features",
}
# fitted attributes stored with a model
MODEL_ATTRS = ("classes_", "modality_", "fusion_", "history_", "n_windows_", "scaling_",
               "n_labels_", "mask_ratio_")


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
    state = {k: v for k, v in vars(scaler).items()}
    return {"class": name, "state": to_plain(state)}


def deserialize_scaler(spec):
    """Rebuild a scaler saved with :func:`serialize_scaler`."""
    if spec is None:
        return None
    cls = _get_class(spec["class"])
    obj = cls.__new__(cls)
    obj.__dict__.update(from_plain(spec["state"]))
    return obj


# ---------------------------------------------------------------------------
# model construction specs


def _default_activation(cls):
    param = inspect.signature(cls.__init__).parameters.get("activation")
    return None if param is None else param.default


def build_model(spec):
    """Instantiate a model from a build spec (see :func:`model_spec`)."""
    cls = _get_class(spec["class"])
    kwargs = dict(from_plain(spec["kwargs"]))
    for key in ("eeg_encoder", "eye_encoder"):
        if spec.get(key) is not None:
            kwargs[key] = build_model(spec[key])
    model = cls(**kwargs)
    model.build_spec_ = copy.deepcopy(spec)
    return model


def model_spec(model):
    """Return the build spec of ``model``.

    Models built by this package carry ``build_spec_``; for others the
    constructor arguments are recovered from same-named attributes.
    """
    spec = getattr(model, "build_spec_", None)
    if spec is not None:
        return copy.deepcopy(spec)
    cls_name = type(model).__name__
    cls = _get_class(cls_name)
    init = getattr(model, "_braindecode_init_kwargs", None)
    if init:  # braindecode models record their constructor arguments
        kwargs = {k: v for k, v in init.items() if k not in ("chs_info", "activation")}
        activation = init.get("activation")
        if activation is not None and activation is not _default_activation(cls):
            raise ValueError(
                f"Cannot save a {cls_name} with a non-default activation ({activation!r})"
            )
        return {"class": cls_name, "kwargs": kwargs}
    kwargs = {}
    for pname, param in inspect.signature(cls.__init__).parameters.items():
        if pname in ("self", "eeg_encoder", "eye_encoder", "activation") or param.kind in (
            param.VAR_POSITIONAL,
            param.VAR_KEYWORD,
        ):
            continue
        if hasattr(model, pname):
            value = getattr(model, pname)
            if isinstance(value, (int, float, str, bool, tuple, list, dict, type(None))):
                kwargs[pname] = value
    if cls_name == "MVSSTMA" and "chs_info" in kwargs:
        kwargs.pop("chs_info")
    return {"class": cls_name, "kwargs": kwargs}


# ---------------------------------------------------------------------------
# public model files


def save_model(model, fname, *, overwrite=True):
    """Save a fitted model (weights, constructor arguments, scalers, attributes).

    Parameters
    ----------
    model : MVSSTMA | MMVSSTMAClassifier
        A model returned by :func:`~mne_mmvsstma.training.pretrain` or
        :func:`~mne_mmvsstma.training.finetune`.
    fname : path-like
        Destination file (``.pt``), written atomically.
    overwrite : bool
        If False, raise when ``fname`` exists.

    Returns
    -------
    fname : pathlib.Path
        The file written.
    """
    fname = Path(fname).expanduser()
    if fname.exists() and not overwrite:
        raise FileExistsError(f"{fname} exists; pass overwrite=True")
    scalers = getattr(model, "scalers_", None) or {}
    obj = {
        "format": MODEL_FORMAT,
        "version": FORMAT_VERSION,
        "spec": to_plain(model_spec(model)),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "scalers": {k: serialize_scaler(v) for k, v in scalers.items()},
        "attrs": {a: to_plain(getattr(model, a)) for a in MODEL_ATTRS if hasattr(model, a)},
    }
    atomic_save(obj, fname)
    logger.info(f"Saved model to {fname}")
    return fname


def load_model(fname, *, device=None):
    """Load a model written by :func:`save_model`.

    Parameters
    ----------
    fname : path-like
        File written by :func:`save_model`.
    device : str | torch.device | None
        Device to move the model to (default CPU).

    Returns
    -------
    model : MVSSTMA | MMVSSTMAClassifier
        The model in eval mode, with its fitted attributes and ``scalers_``.
    """
    obj = load_file(fname, kind="model")
    if not isinstance(obj, dict) or obj.get("format") != MODEL_FORMAT:
        raise ValueError(f"{fname} is not a mne_mmvsstma model file (see save_model)")
    model = build_model(from_plain(obj["spec"]))
    model.load_state_dict(obj["state_dict"])
    model.scalers_ = {k: deserialize_scaler(v) for k, v in obj["scalers"].items()}
    for key, value in obj["attrs"].items():
        value = from_plain(value)
        if key == "classes_" and value is not None:
            value = np.asarray(value)
        setattr(model, key, value)
    if device is not None:
        model.to(device)
    model.eval()
    return model
