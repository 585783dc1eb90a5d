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

Every write is atomic (``mne_mmvsstma._files``: a temporary file in the
destination folder replaces the destination), so an interrupted write never
leaves a truncated file behind. Every file stores the SHA-256 of its
content, checked before anything is used. Files are read with
``weights_only=True``: they only contain tensors and plain Python containers
(no arbitrary pickled objects); other files are refused. Model files are
written with ``overwrite=False`` by default, never inside a dataset folder,
and their network configuration is checked against sane bounds before a
network is built.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
from pathlib import Path

import numpy as np

from .._files import atomic_write_bytes, check_output_file
from ..utils import check_path, logger

MODEL_FORMAT = "mne_mmvsstma-model"
CHECKPOINT_FORMAT = "mne_mmvsstma-checkpoint"
FILE_FORMAT = "mne_mmvsstma-file"
FORMAT_VERSION = 3

# classes that may be rebuilt from a file (module, name)
_ALLOWED_CLASSES = {
    "MVSSTMA": "mne_mmvsstma.models",
    "MMVSSTMAClassifier": "mne_mmvsstma.models",
    "BandScaler": "mne_mmvsstma.features",
    "EyeRescaler": "mne_mmvsstma.features",
    "RobustEyeScaler": "mne_mmvsstma.features",
    "Pretrainer": "mne_mmvsstma.training.pretrainer",
    "EmotionClassifier": "mne_mmvsstma.training.classifier",
}
# fitted attributes stored with an estimator
MODEL_ATTRS = ("classes_inferred_", "input_shape_", "input_shapes_", "input_stats_", "dataset_",
               "event_id_", "fit_trials_", "ch_names_",
               "whitening_", "whitening_covariance_", "whitening_shrinkage_",
               "probe_validation_")
_PLAIN = (int, float, str, bool, type(None))
# estimator parameters that describe the network (stored as the network has them)
ARCH_KEYS = ("emb_dim", "n_layers", "n_decoder_layers", "n_heads", "head_dim", "drop_prob",
             "pool", "kernel_sizes")


def atomic_save(obj, fname) -> Path:
    """Save ``obj`` to ``fname`` atomically, with a SHA-256 integrity record.

    ``obj`` is serialised with :func:`torch.save`; the file holds these bytes
    and their SHA-256 (checked by :func:`load_file`), written with
    :func:`atomic_write_bytes`.
    """
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    payload = buf.getvalue()
    record = {
        "format": FILE_FORMAT,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8),
    }
    out = io.BytesIO()
    torch.save(record, out)
    return atomic_write_bytes(out.getvalue(), fname)


def load_file(fname, *, kind="checkpoint"):
    """Load a file written by :func:`atomic_save`, after checking its SHA-256.

    Files are read with ``weights_only=True``: a file that holds other objects
    than tensors and plain containers is refused.
    """
    import pickle

    import torch

    fname = check_path(fname, kind=kind, is_dir=False)
    if not os.access(fname, os.R_OK):
        raise PermissionError(f"Cannot read {kind} file {fname}: permission denied")

    def _load(src, what):
        try:
            return torch.load(src, map_location="cpu", weights_only=True)
        except PermissionError as exc:
            raise PermissionError(f"Cannot read {kind} file {fname}: permission "
                                  "denied") from exc
        except pickle.UnpicklingError:
            # torch's message advises weights_only=False, which runs arbitrary code
            raise ValueError(
                f"Refusing to load {kind} file {fname}: {what} holds objects other than "
                "tensors and plain Python containers, or is damaged (mne_mmvsstma never "
                "writes such files; do not load files of unknown origin with pickle)") from None
        except Exception as exc:
            raise ValueError(f"Could not read {kind} file {fname}: the file is truncated or "
                             f"corrupt ({type(exc).__name__}: {exc})") from None

    record = _load(fname, "it")
    if (not isinstance(record, dict) or record.get("format") != FILE_FORMAT
            or not isinstance(record.get("payload"), torch.Tensor)
            or not isinstance(record.get("sha256"), str)):
        items = []
        if isinstance(record, dict):
            items = list(record) + list(record.values())
        elif isinstance(record, (list, tuple)):
            items = list(record)
        words = {x for x in items if isinstance(x, str)}
        if len(words & {"format", "sha256", "payload"}) >= 2 or FILE_FORMAT in words:
            # the integrity record with a changed key or value: a damaged file of ours
            raise ValueError(f"{kind} file {fname} is damaged: its integrity record is corrupt "
                             "(changed on disk or in transfer); use an intact copy")
        raise ValueError(f"{fname} is not a {kind} file written by this version of "
                         "mne_mmvsstma (no integrity record): a file of another program or of "
                         "a version before integrity records, which cannot be checked")
    payload = record["payload"]
    if payload.dtype != torch.uint8 or payload.ndim != 1:
        raise ValueError(f"{kind} file {fname} is corrupt (malformed payload)")
    data = payload.numpy().tobytes()
    if hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ValueError(f"{kind} file {fname} is corrupt: its content does not match its "
                         "SHA-256 integrity record (damaged on disk or in transfer)")
    return _load(io.BytesIO(data), "its content")


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
# configuration bounds (checked before a network is built from a file)

# upper bounds of the integer sizes of a network configuration: far above any
# realistic model, far below what would exhaust memory or time when building it
CONFIG_BOUNDS = {
    "n_layers": 64, "n_decoder_layers": 64, "n_heads": 256, "head_dim": 4096,
    "emb_dim": 4096, "ff_dim": 65536, "fusion_dim": 65536, "n_chans": 4096,
    "n_eeg_chans": 4096, "n_eye_features": 4096, "n_times": 100_000, "n_bands": 1024,
    "n_outputs": 100_000, "dilation": 1024, "kernel_sizes": 1024,
}
_ANY_INT_BOUND = 1_000_000
_ACTIVATION_PREFIX = "torch.nn.modules.activation."


def check_config(config, fname):
    """Raise a ValueError naming ``fname`` when a stored network configuration is unsafe.

    Every integer size must lie within :data:`CONFIG_BOUNDS` (other integers
    within one million) and activations must be classes of
    :mod:`torch.nn.modules.activation`, so that a damaged or crafted file
    cannot make building the network take unbounded memory or time.

    Parameters
    ----------
    config : dict
        The configuration (``get_config()`` of the network).
    fname : path-like
        The file it comes from (for the messages).
    """
    if not isinstance(config, dict):
        raise ValueError(f"{fname}: the stored network configuration is not a dict")

    def walk(value, key, where):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k, f"{where}.{k}" if where else str(k))
        elif isinstance(value, (list, tuple)):
            if len(value) > 64:
                raise ValueError(f"{fname}: configuration entry {where} has {len(value)} "
                                 "items (at most 64)")
            for v in value:
                walk(v, key, where)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, int):
            bound = CONFIG_BOUNDS.get(key, _ANY_INT_BOUND)
            if not -1 <= value <= bound:
                raise ValueError(f"{fname}: configuration entry {where}={value} is out of "
                                 f"bounds (at most {bound}); the file is corrupt or not "
                                 "a model of this package")
        elif isinstance(value, float):
            if not np.isfinite(value):
                raise ValueError(f"{fname}: configuration entry {where}={value} is not "
                                 "finite")
        elif isinstance(value, str) and key == "activation":
            if not value.startswith(_ACTIVATION_PREFIX):
                raise ValueError(f"{fname}: configuration entry {where}={value!r} is not an "
                                 "activation of torch.nn")

    walk(config, None, "")


# ---------------------------------------------------------------------------
# public model files


def save_model(estimator, fname, *, overwrite=False):
    """Save a fitted :class:`~mne_mmvsstma.Pretrainer` or :class:`~mne_mmvsstma.EmotionClassifier`.

    Parameters
    ----------
    estimator : Pretrainer | EmotionClassifier
        A fitted estimator.
    fname : path-like
        Destination file (``.pt``), written atomically (by rank 0 only in a
        multi-process run).
    overwrite : bool
        If False (default), raise when ``fname`` exists. A file inside a
        dataset folder, or with a data-file extension (``.mat``, ``.npz``...),
        is never written.

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

    name = type(estimator).__name__
    if name not in ("Pretrainer", "EmotionClassifier") or not hasattr(estimator, "module_"):
        raise TypeError(f"save_model needs a fitted Pretrainer or EmotionClassifier, got {name}")
    fname = check_output_file(fname, overwrite=overwrite)
    module = estimator.module_
    params = {k: v for k, v in estimator.get_params(deep=False).items()
              if _is_plain(v) and k not in ("checkpoint_dir", "resume", "device", "module")}
    if type(module).__name__ == "MVSSTMA":
        # the architecture stored is the network's (a classifier built from a pretrained
        # network has that network's size, whatever its own parameters say)
        config = module.get_config()
        params.update({k: config[k] for k in ARCH_KEYS if k in params and k in config})
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
    distributed.barrier()  # every process checked fname before rank 0 writes it
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
    try:
        config = json.loads(obj["config"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{fname}: the stored network configuration is not valid JSON "
                         f"({exc})") from None
    check_config(config, fname)
    module = _get_class(obj["module_class"]).from_config(config)
    module.load_state_dict(obj["state_dict"])
    est = cls(**from_plain(obj["params"]), module=module, device=device)
    for key, value in obj["attrs"].items():
        setattr(est, key, from_plain(value))
    est.scalers_ = {k: deserialize_scaler(v) for k, v in obj["scalers"].items()}
    est.initialize()
    est.history = History(from_plain(obj["history"]))
    est.module_.eval()
    return est
