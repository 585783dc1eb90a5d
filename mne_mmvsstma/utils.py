"""Shared utilities: docstring templates, validation helpers, random state handling."""

from __future__ import annotations

import math
import numbers
from pathlib import Path

import numpy as np
from mne.utils import _check_option as check_option  # noqa: F401  (MNE's validators)
from mne.utils import _ensure_int, _validate_type, logger, verbose  # noqa: F401  (re-exported for the package)

from ._docs import docdict, fill_doc  # noqa: F401  (re-exported for the package)


def check_int(value, name: str, *, minimum: int = 1, none: bool = False) -> int | None:
    """Validate an integer parameter: the package's one integer validator.

    NumPy integers are accepted and ``bool`` is refused (MNE's
    :func:`mne.utils._ensure_int`, which raises :class:`TypeError`); a value
    below ``minimum`` raises :class:`ValueError`; ``None`` passes when
    ``none``. Returns a Python ``int`` (or ``None``).
    """
    if value is None and none:
        return None
    value = _ensure_int(value, name)
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def check_float(value, name: str, *, low: float = 0.0, inclusive: bool = False,
                none: bool = False) -> float | None:
    """Return ``value`` as a finite float > ``low`` (>= with ``inclusive``; None with ``none``)."""
    if value is None and none:
        return None
    _validate_type(value, "numeric", name)
    value = float(value)
    if not math.isfinite(value) or value < low or (value == low and not inclusive):
        raise ValueError(f"{name} must be a finite number {'>=' if inclusive else '>'} {low}, "
                         f"got {value!r}")
    return value


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
    _validate_type(path, "path-like", kind)
    path = Path(path).expanduser()
    if must_exist and not path.exists():
        raise FileNotFoundError(f"{kind} does not exist: {path}")
    if must_exist and is_dir is True and not path.is_dir():
        raise NotADirectoryError(f"{kind} is not a directory: {path}")
    if must_exist and is_dir is False and not path.is_file():
        raise IsADirectoryError(f"{kind} is not a file: {path}")
    return path


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
