"""Read the feature files of any SEED-family dataset, detected from the folder layout."""

from __future__ import annotations

from pathlib import Path

from ..utils import check_path

#: Dataset -> folders that identify it (feature folders first).
LAYOUT_FOLDERS = {
    "SEED-IV": ("eeg_feature_smooth", "eye_feature_smooth", "eeg_raw_data"),
    "SEED-V": ("EEG_DE_features", "Eye_movement_features", "EEG_raw"),
    "SEED": ("ExtractedFeatures", "Preprocessed_EEG"),
}

_ALIASES = {
    "SEED": "SEED",
    "SEEDIV": "SEED-IV",
    "SEED4": "SEED-IV",
    "SEEDV": "SEED-V",
    "SEED5": "SEED-V",
}


def _normalize_dataset(dataset) -> str:
    if not isinstance(dataset, str):
        raise TypeError(f"dataset must be a str or None, got {type(dataset).__name__}")
    key = "".join(ch for ch in dataset.upper() if ch.isalnum())
    if key not in _ALIASES:
        raise ValueError(
            f"Invalid value for 'dataset': {dataset!r}. Allowed values are "
            f"{', '.join(repr(name) for name in LAYOUT_FOLDERS)} (or None to detect it)."
        )
    return _ALIASES[key]


def detect_dataset(root) -> str:
    """Return ``"SEED"``, ``"SEED-IV"`` or ``"SEED-V"`` from the folders inside ``root``.

    ``root`` may also be one of the identifying folders itself (e.g.
    ``.../eeg_feature_smooth``).

    Parameters
    ----------
    root : path-like
        Dataset root folder, or one of its identifying sub-folders.

    Returns
    -------
    dataset : str
        ``"SEED"``, ``"SEED-IV"`` or ``"SEED-V"``.
    """
    root = check_path(root, kind="root", is_dir=True)
    found = {}
    for dataset, folders in LAYOUT_FOLDERS.items():
        if root.name in folders:
            return dataset
        present = [name for name in folders if (root / name).is_dir()]
        if present:
            found[dataset] = present
    if not found:
        expected = "; ".join(f"{ds}: {', '.join(f)}" for ds, f in LAYOUT_FOLDERS.items())
        raise FileNotFoundError(
            f"Cannot detect the dataset of {root}: it contains none of the expected "
            f"folders ({expected})"
        )
    if len(found) > 1:
        raise ValueError(
            f"{root} holds the folders of several datasets ({found}); pass dataset= to choose"
        )
    return next(iter(found))


def read_features(root, dataset=None, **kwargs):
    """Read the feature files of SEED, SEED-IV or SEED-V into feature recordings.

    Parameters
    ----------
    root : path-like
        Dataset folder (the one that holds ``eeg_feature_smooth/``,
        ``EEG_DE_features/`` or ``ExtractedFeatures/``; a SEED-IV folder with
        ``eye_feature_smooth/`` only gives eye-only recordings).
    dataset : ``"SEED"`` | ``"SEED-IV"`` | ``"SEED-V"`` | None
        The dataset; ``None`` detects it from the folders in ``root`` (see
        :data:`LAYOUT_FOLDERS`). Case and dashes are ignored (``"seed_iv"``
        works).
    **kwargs
        Passed to :func:`~mne_mmvsstma.datasets.read_seed_iv_features`,
        :func:`~mne_mmvsstma.datasets.read_seed_v_features` or
        :func:`~mne_mmvsstma.datasets.read_seed_features` (``subjects``,
        ``sessions``, ``verbose``...).

    Returns
    -------
    recordings : list of FeatureRecording
        One per (subject, session), sorted by subject then session.
    """
    root = check_path(root, kind="root", is_dir=True)
    detected = detect_dataset(root) if dataset is None else _normalize_dataset(dataset)
    if root.name in LAYOUT_FOLDERS[detected]:
        root = Path(root).parent
    if detected == "SEED-IV":
        from .seed_iv import read_seed_iv_features as reader
    elif detected == "SEED-V":
        from .seed_v import read_seed_v_features as reader
    else:
        from .seed import read_seed_features as reader
    return reader(root, **kwargs)
