"""Shared utilities: docstring templates, validation helpers, random state handling."""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
from mne.utils import logger, verbose  # noqa: F401  (re-exported for the package)

docdict: dict[str, str] = {}

docdict["verbose"] = """
verbose : bool | str | int | None
    Control verbosity of the logging output. If ``None``, use the default
    verbosity level of MNE-Python (see :func:`mne.set_log_level`)."""

docdict["random_state"] = """
random_state : int | numpy.random.Generator | None
    Seed or generator for reproducible results. ``None`` draws fresh entropy."""

docdict["n_windows"] = """
n_windows : int
    Number of consecutive feature samples ``T`` stacked into one model input
    (the paper uses ``T=10``)."""

docdict["trial_ids"] = """
trial_ids : array-like of int, shape (n_samples,)
    Trial identifier of every feature sample. Samples of one trial must be
    contiguous and in time order; operations never cross trial boundaries."""

docdict["order_310"] = """
order : ``"band"`` | ``"channel"``
    Layout of the 310 DE values of SEED-V feature files: ``"band"`` means
    band-major (5 blocks of 62 channels, as described by the dataset authors),
    ``"channel"`` means channel-major (62 blocks of 5 bands, as used by some
    third-party loaders)."""

docdict["device"] = """
device : str | torch.device | None
    Device to run on (``"cpu"``, ``"cuda"``, ``"cuda:1"``...). ``None`` picks
    CUDA when available, else CPU."""


def _indent(text: str, n_spaces: int) -> str:
    pad = " " * n_spaces
    lines = text.strip("\n").split("\n")
    return "\n".join([lines[0]] + [pad + line if line else line for line in lines[1:]])


def fill_doc(func):
    """Fill ``%(key)s`` placeholders of a docstring from :data:`docdict`.

    Multi-line entries are re-indented to the indentation of the placeholder,
    like :func:`mne.utils.fill_doc` does for MNE's own docstrings.
    """
    doc = func.__doc__
    if not doc:
        return func
    lines = doc.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("%(") and stripped.rstrip().endswith(")s"):
            key = stripped.strip()[2:-2]
            if key not in docdict:
                raise KeyError(f"fill_doc: unknown docdict key {key!r} in {func.__qualname__}")
            out.append(" " * indent + _indent(docdict[key], indent))
        else:
            out.append(line)
    func.__doc__ = "\n".join(out)
    return func


def check_random_state(seed) -> np.random.Generator:
    """Turn ``seed`` (None, int or Generator) into a :class:`numpy.random.Generator`."""
    if seed is None or isinstance(seed, numbers.Integral):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(2**31))
    raise TypeError(f"random_state must be None, an int or a numpy Generator, got {type(seed)}")


def check_path(path, *, kind: str = "path", must_exist: bool = True, is_dir: bool | None = None):
    """Return ``path`` as :class:`pathlib.Path`, with clear errors when it is missing."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{kind} must be a str or pathlib.Path, got {type(path).__name__}")
    path = Path(path).expanduser()
    if must_exist and not path.exists():
        raise FileNotFoundError(f"{kind} does not exist: {path}")
    if must_exist and is_dir is True and not path.is_dir():
        raise NotADirectoryError(f"{kind} is not a directory: {path}")
    if must_exist and is_dir is False and not path.is_file():
        raise IsADirectoryError(f"{kind} is not a file: {path}")
    return path


def check_option(name: str, value, allowed) -> None:
    """Raise a ValueError naming ``name`` when ``value`` is not in ``allowed``."""
    if value not in allowed:
        allowed_str = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"Invalid value for {name!r}: {value!r}. Allowed values are {allowed_str}."
        )


def check_finite(array, name: str) -> None:
    """Raise a ValueError reporting how many NaN/inf values ``array`` holds."""
    array = np.asarray(array)
    bad = ~np.isfinite(array)
    if bad.any():
        n_nan = int(np.isnan(array).sum())
        n_inf = int(bad.sum()) - n_nan
        raise ValueError(
            f"{name} contains {n_nan} NaN and {n_inf} infinite values "
            f"(out of {array.size}); clean or fill them first"
        )
