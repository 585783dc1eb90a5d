"""File helpers shared by the SEED-family readers.

* :func:`load_mat` / :func:`list_mat_variables`: read MATLAB files with
  :func:`scipy.io.loadmat` and turn every low-level failure (truncated,
  corrupt, HDF5/v7.3) into an error that names the file and the problem.
  Each file read is checked for completeness once: a feature file's data
  elements are walked once, to check that the file is whole and to name its
  variables (:func:`list_mat_variables`); then only the wanted variables are
  loaded (``load_mat(..., check=False)``).
* :func:`find_session_folders` / :func:`find_subject_files`: discover
  recordings by parsing folder and file names (never by listing order), with
  natural sort (``'10_x'`` after ``'9_x'``).
* :func:`parse_trial_keys`: map trial numbers to MATLAB variable names with a
  regular expression (never by key position) and check that the trials are
  numbered ``1..n`` without gaps or duplicates.
"""

from __future__ import annotations

import functools
import json
import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.io
from mne.utils import _validate_type
from scipy.io.matlab import MatReadError

from ..utils import logger
from ._base import natural_key

#: ``<subject>_<yyyymmdd>.mat`` (SEED-IV raw and feature files, SEED files).
SUBJECT_DATE_RE = re.compile(r"^(?P<subject>\d+)_(?P<date>\d{8})\.mat$")

_READ_ERRORS = (
    ValueError,
    OSError,
    EOFError,
    TypeError,
    IndexError,
    KeyError,
    NotImplementedError,
    UnicodeDecodeError,
    AttributeError,
    zlib.error,
    struct.error,
    MatReadError,
)


def _mat_error(fname: Path, err: Exception) -> Exception:
    msg = str(err)
    if isinstance(err, PermissionError):  # not a damaged file: say what it is
        return PermissionError(f"Could not read {fname}: permission denied")
    if isinstance(err, NotImplementedError) or "HDF" in msg or "7.3" in msg:
        return ValueError(
            f"Could not read {fname}: MATLAB v7.3 (HDF5) files are not supported; "
            f"re-save it with MATLAB's save(..., '-v7') ({type(err).__name__}: {msg})"
        )
    return ValueError(
        f"Could not read {fname}: the file is truncated or corrupt ({type(err).__name__}: {msg})"
    )


def _check_file(fname, what: str) -> Path:
    _validate_type(fname, "path-like", what)
    fname = Path(fname).expanduser()
    if not fname.exists():
        raise FileNotFoundError(f"{what} not found: {fname}")
    if not fname.is_file():
        raise IsADirectoryError(f"{what} is not a file: {fname}")
    return fname


#: file the simulators write at the root of every folder they create: which
#: datasets it holds and how many trials per session (the readers then expect
#: that many instead of the real count)
SIMULATED_MARKER = ".mne_mmvsstma_simulated.json"

_MAT5_HEADER = 128
_MI_INT8, _MI_INT32, _MI_UINT32, _MI_MATRIX, _MI_COMPRESSED = 1, 5, 6, 14, 15
_MX_CHAR, _MX_UINT64 = 4, 15  # classes cell (1) .. uint64 (15) have dims and a name
#: bytes read of an element for its matrix header (tag, array flags, dimensions,
#: name): enough in all but exotic files (which fall back to scipy's listing)
_HEAD_BYTES = 512
#: compressed bytes of an element that scipy's listing decompresses (and so checks)
_ZLIB_BLOCK = 131072


def check_mat_complete(fname: Path) -> None:
    """Raise when a MATLAB 5 file does not end where its last data element ends.

    A MAT-file (v5/v7) is a 128-byte header followed by tagged data elements
    (8-byte tag: type, byte count; data padded to 8 bytes unless compressed).
    A file cut while copying usually ends inside an element, which scipy's
    reader skips silently (fewer variables). Other files (v4, v7.3/HDF5) are
    left to the reader.
    """
    _walk_mat5(fname, list_variables=False)


def _walk_mat5(fname: Path, *, list_variables: bool) -> dict[str, tuple] | None:
    """Walk the data elements of a MATLAB 5 file once: completeness and variables.

    Raises the errors of :func:`check_mat_complete` when the file ends inside
    an element. With ``list_variables``, also returns ``{name: shape}`` of the
    variables (as :func:`scipy.io.whosmat` gives them) from the matrix header
    at the start of each element; ``None`` when the file is not MATLAB 5 or
    an element is not a variable this walk can name (scipy then lists it and
    raises its own errors for damaged headers).
    """
    size = fname.stat().st_size
    with open(fname, "rb") as fid:
        header = fid.read(_MAT5_HEADER)
        if len(header) < _MAT5_HEADER or not header.startswith(b"MATLAB 5.0"):
            return None
        endian = {b"IM": "<", b"MI": ">"}.get(header[126:128])
        if endian is None:
            return None
        variables = None
        if list_variables and struct.unpack(endian + "H", header[124:126])[0] == 0x0100:
            variables = {}
        pos = _MAT5_HEADER
        while pos < size:
            tag = fid.read(8)
            if len(tag) < 8:
                raise ValueError(
                    f"{fname} is truncated: it ends {size - pos} bytes into the tag of a data "
                    f"element at byte {pos} (the file was probably cut off while copying)"
                )
            dtype, nbytes = struct.unpack(endian + "II", tag)
            if dtype >> 16:  # small data element: the data sit in the tag
                pos += 8
                variables = None  # not a variable: scipy refuses it
                continue
            data_end = pos + 8 + nbytes
            if data_end > size:
                raise ValueError(
                    f"{fname} is truncated: the data element at byte {pos} holds "
                    f"{nbytes} bytes but the file ends {size - pos - 8} bytes after its tag "
                    "(the file was probably cut off while copying)"
                )
            if variables is not None:
                named = _variable_of_element(fid, dtype, nbytes, endian)
                if named is None:
                    variables = None
                else:
                    variables[named[0]] = named[1]
            # uncompressed elements are padded to 8 bytes (the last one may not be)
            pos = data_end if dtype == _MI_COMPRESSED else data_end + (-nbytes % 8)
            fid.seek(pos)
    return variables


def _variable_of_element(fid, dtype: int, nbytes: int, endian: str) -> tuple | None:
    """``(name, shape)`` of the data element whose tag was just read, else ``None``."""
    if nbytes == 0:
        return None
    if dtype == _MI_MATRIX:
        return _matrix_name_shape(fid.read(min(nbytes, _HEAD_BYTES)), endian)
    if dtype != _MI_COMPRESSED:
        return None
    # decompress the first block of the element, as scipy's listing does, so that a
    # damaged stream raises here (through scipy's listing) as it did
    try:
        head = zlib.decompressobj().decompress(fid.read(min(nbytes, _ZLIB_BLOCK)))
    except zlib.error:
        return None
    if len(head) < 8 or struct.unpack(endian + "I", head[:4])[0] != _MI_MATRIX:
        return None
    return _matrix_name_shape(head[8:], endian)


def _matrix_name_shape(data: bytes, endian: str) -> tuple | None:
    """Name and whosmat shape of a matrix element (data after its tag), else ``None``."""

    def subelement(offset):
        if offset + 8 > len(data):
            return None
        kind, count = struct.unpack(endian + "II", data[offset : offset + 8])
        if kind >> 16:  # small element: 2-byte count, 2-byte type, 4 data bytes
            kind, count = kind & 0xFFFF, kind >> 16
            if count > 4:
                return None
            return kind, data[offset + 4 : offset + 4 + count], offset + 8
        end = offset + 8 + count
        if end > len(data):
            return None
        return kind, data[offset + 8 : end], end + (-count % 8)

    flags = subelement(0)
    if flags is None or flags[0] != _MI_UINT32 or len(flags[1]) != 8:
        return None
    mclass = struct.unpack(endian + "I", flags[1][:4])[0] & 0xFF
    dims = subelement(flags[2])
    if not 1 <= mclass <= _MX_UINT64 or dims is None or dims[0] != _MI_INT32 \
            or len(dims[1]) % 4:
        return None
    name = subelement(dims[2])
    if name is None or name[0] != _MI_INT8:
        return None
    shape = struct.unpack(f"{endian}{len(dims[1]) // 4}i", dims[1])
    if mclass == _MX_CHAR:  # whosmat reads char arrays as strings
        shape = shape[:-1]
    return name[1].decode("latin1") or "__function_workspace__", tuple(shape)


def simulated_trials(path, dataset: str) -> int | None:
    """Trials per session of a folder written by this package's simulators, else ``None``.

    The marker file is looked up in ``path`` and up to three parent folders
    (file -> session folder -> modality folder -> dataset root).
    """
    path = Path(path)
    for folder in [path, *path.parents][:4]:
        marker = folder / SIMULATED_MARKER
        try:
            stat = marker.stat()
        except OSError:
            continue
        if marker.is_file():
            return _marker_trials(str(marker), stat.st_mtime_ns, stat.st_size, dataset)
    return None


@functools.lru_cache(maxsize=64)
def _marker_trials(marker: str, mtime_ns: int, size: int, dataset: str) -> int | None:
    """The trial count in a marker file, read once per version of the file."""
    try:
        info = json.loads(Path(marker).read_text(encoding="utf-8"))
        return int(info["datasets"][dataset]["n_trials"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_trial_count(trials, n_full: int, *, fname, what: str, dataset: str,
                      allow_partial: bool, first: int = 1) -> None:
    """Refuse a file with fewer trials than the dataset has (truncated or incomplete).

    Parameters
    ----------
    trials : collection of int
        Trial numbers found in the file (consecutive from ``first``).
    n_full : int
        Trials per session of the dataset (SEED 15, SEED-IV 24, SEED-V 15);
        a folder written by the simulators declares its own count.
    allow_partial : bool
        Accept fewer trials (logged).
    """
    n_expected = simulated_trials(fname, dataset) or n_full
    if len(trials) > n_expected:
        raise ValueError(
            f"{fname}: {len(trials)} {what} trials, more than the {n_expected} trials per "
            f"session of {dataset}"
        )
    if len(trials) < n_expected:
        missing = sorted(set(range(first, first + n_expected)) - set(trials))
        msg = (f"{fname}: {len(trials)} of the {n_expected} {what} trials of a {dataset} "
               f"session are present; missing trial(s) {missing}")
        if not allow_partial:
            raise ValueError(
                msg + " (a truncated or incomplete file?). Pass allow_partial=True "
                "(--allow-partial on the command line) to read the trials that are present."
            )
        logger.info(msg)


def check_window_counts(counts, expected, *, fname, what: str, dataset: str, session=None,
                        sessions=None) -> None:
    """Refuse trials whose number of feature windows differs from the dataset's.

    The real files of a session have known window counts per trial (the
    film clips of that session), so a file of another session copied into
    this session's folder, which would silently get this session's labels,
    is found here. A folder written by the simulators (marker file) has its
    own trial lengths and is not checked.

    Parameters
    ----------
    counts : sequence of int
        Windows of trials 1, 2, ... of the file.
    expected : sequence of int
        The dataset's window counts of the trials of this session.
    fname : path-like
        The file (for the message).
    what : str
        The variables counted (e.g. ``"de_LDS"``).
    dataset : str
        Dataset name.
    session : int | None
        Session of the file (``None``: the counts are the same in every session).
    sessions : dict of int to sequence of int | None
        Window counts of every session, to name the session whose counts the
        file has.
    """
    if simulated_trials(fname, dataset) is not None:
        return
    counts = [int(n) for n in counts]
    bad = [(t, n, int(e)) for t, (n, e) in enumerate(zip(counts, expected), start=1) if n != e]
    if not bad:
        return
    where = f"{dataset} session {session}" if session is not None else dataset
    shown = ", ".join(f"trial {t}: {n} (expected {e})" for t, n, e in bad[:8])
    if len(bad) > 8:
        shown += f", ... ({len(bad) - 8} more)"
    hint = (f" The file is not one of {where} (or it is damaged); its trials would get "
            "wrong labels.")
    for other, table in (sessions or {}).items():
        if other != session and tuple(table[: len(counts)]) == tuple(counts):
            hint = (f" These are the window counts of session {other}: the file belongs to "
                    f"session {other}, not to the folder of session {session}, and would "
                    "get the labels of the wrong session.")
            break
    raise ValueError(
        f"{fname}: the {what} trials {[t for t, _, _ in bad]} have other numbers of windows "
        f"than the trials of {where} ({shown}).{hint}"
    )


def list_mat_variables(fname, *, what: str = "MATLAB file") -> dict[str, tuple]:
    """Return ``{name: shape}`` of the variables of a .mat file without loading them.

    Parameters
    ----------
    fname : path-like
        The .mat file.
    what : str
        Description of the file used in error messages.

    Returns
    -------
    variables : dict of str to tuple
        Variable names (MATLAB header entries excluded) and their shapes.
    """
    fname = _check_file(fname, what)
    # one walk of the element tags checks completeness and names the variables;
    # scipy lists the files the walk cannot (v4, v7.3, damaged headers)
    variables = _walk_mat5(fname, list_variables=True)
    if variables is None:
        try:
            variables = {name: tuple(shape) for name, shape, _ in scipy.io.whosmat(fname)}
        except _READ_ERRORS as err:
            raise _mat_error(fname, err) from err
    return {name: shape for name, shape in variables.items() if not name.startswith("__")}


def load_mat(fname, *, variable_names=None, what: str = "MATLAB file",
             check: bool = True) -> dict[str, np.ndarray]:
    """Load a .mat file (or some of its variables) with clear errors.

    Parameters
    ----------
    fname : path-like
        The .mat file.
    variable_names : list of str | None
        Variables to read; ``None`` reads all. Every requested name must exist.
    what : str
        Description of the file used in error messages.
    check : bool
        Check that the file is complete (:func:`check_mat_complete`);
        ``False`` when :func:`list_mat_variables` has just checked it.

    Returns
    -------
    data : dict of str to ndarray
        The variables (MATLAB header entries ``__header__`` etc. removed).
    """
    fname = _check_file(fname, what)
    if check:
        check_mat_complete(fname)
    try:
        mat = scipy.io.loadmat(fname, variable_names=variable_names, squeeze_me=False)
    except _READ_ERRORS as err:
        raise _mat_error(fname, err) from err
    data = {key: val for key, val in mat.items() if not key.startswith("__")}
    if variable_names is not None:
        missing = [name for name in variable_names if name not in data]
        if missing:
            raise ValueError(f"{what} {fname} lacks the variable(s) {missing}")
    return data


def find_session_folders(folder, *, what: str) -> dict[int, Path]:
    """Return ``{session: path}`` of the sub-folders of ``folder`` named by a number.

    Other entries (files, folders with non-numeric names) are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} folder not found: {folder}")
    sessions = {}
    for path in sorted(folder.iterdir(), key=natural_key):
        if path.is_dir() and path.name.isdigit():
            session = int(path.name)
            if session in sessions:
                raise ValueError(
                    f"Two {what} session folders have number {session}: "
                    f"{sessions[session].name!r} and {path.name!r} in {folder}"
                )
            sessions[session] = path
    if not sessions:
        raise FileNotFoundError(
            f"No session folders (named 1, 2, 3...) found in the {what} folder {folder}"
        )
    return sessions


def find_subject_files(folder, *, what: str, pattern=SUBJECT_DATE_RE) -> list[tuple]:
    """Return ``(subject, date, path)`` of the files in ``folder`` matching ``pattern``.

    ``pattern`` needs the named groups ``subject`` and ``date``. Files are
    sorted numerically by subject, then by date (natural sort: ``'10_*'``
    after ``'9_*'``). Files that do not match (``label.mat``, ``readme.txt``)
    are ignored.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{what} folder not found: {folder}")
    out = []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match is not None and path.is_file():
            out.append((int(match.group("subject")), match.group("date"), path))
    out.sort(key=lambda item: (item[0], natural_key(item[1]), natural_key(item[2])))
    if not out:
        raise FileNotFoundError(
            f"No {what} files named like <subject>_<yyyymmdd>.mat found in {folder}"
        )
    return out


def parse_subject_file_name(fname, *, pattern=SUBJECT_DATE_RE) -> tuple[int, str]:
    """Parse ``<subject>_<yyyymmdd>.mat`` into ``(subject, date)`` with a clear error."""
    fname = Path(fname)
    match = pattern.match(fname.name)
    if match is None:
        raise ValueError(
            f"Cannot parse the subject from the file name {fname.name!r} ({fname}): "
            "expected <subject>_<yyyymmdd>.mat, e.g. 1_20160518.mat"
        )
    return int(match.group("subject")), match.group("date")


def parse_trial_keys(keys: Iterable[str], pattern, *, fname, what: str) -> dict:
    """Map trial numbers (1-based, as in the files) to variable names with a regex.

    Parameters
    ----------
    keys : iterable of str
        Variable names of one file.
    pattern : str | re.Pattern
        Regular expression with a named group ``trial`` (digits) and, optionally,
        a named group ``prefix`` that must be the same for all matching keys.
    fname : path-like
        File name used in error messages.
    what : str
        Description of the keys used in error messages (e.g. ``"de_LDS"``).

    Returns
    -------
    trials : dict of int to str
        ``{trial_number: key}`` sorted by trial number; numbers are ``1..n``.
    """
    pattern = re.compile(pattern)
    trials: dict[int, str] = {}
    prefixes = set()
    for key in keys:
        match = pattern.match(key)
        if match is None:
            continue
        trial = int(match.group("trial"))
        if "prefix" in pattern.groupindex:
            prefixes.add(match.group("prefix"))
        if trial in trials:
            raise ValueError(
                f"{fname}: two {what} keys for trial {trial}: {trials[trial]!r} and {key!r}"
            )
        trials[trial] = key
    if not trials:
        shown = sorted(keys, key=natural_key)[:10]
        raise ValueError(
            f"{fname}: no {what} keys found (expected names matching {pattern.pattern!r}); "
            f"keys present: {shown}"
        )
    if len(prefixes) > 1:
        raise ValueError(
            f"{fname}: {what} keys use several prefixes {sorted(prefixes)}; expected one "
            "prefix per subject"
        )
    numbers = sorted(trials)
    expected = list(range(1, numbers[-1] + 1))
    if numbers != expected:
        missing = sorted(set(expected) - set(numbers))
        bad = [n for n in numbers if n < 1]
        raise ValueError(
            f"{fname}: {what} trial keys must be numbered 1..n; missing trial(s) {missing}"
            + (f", invalid number(s) {bad}" if bad else "")
        )
    return {trial: trials[trial] for trial in numbers}


def select_values(available, requested, *, name: str, where) -> list[int]:
    """Return the requested subset of ``available`` (all when ``requested`` is None)."""
    available = sorted(available)
    if requested is None:
        return available
    if isinstance(requested, Integral):
        requested = [requested]
    try:
        requested = [int(r) for r in requested]
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be None, an int or a list of int, got {requested!r}") from err
    missing = sorted(set(requested) - set(available))
    if missing:
        raise ValueError(f"{name} {missing} not found in {where}; available: {available}")
    return sorted(set(requested))


def check_eeg_array(array, *, fname, key: str, n_channels: int = 62, ndim: int = 2) -> np.ndarray:
    """Check the shape of an EEG array from a file (channels first)."""
    array = np.asarray(array)
    if array.ndim != ndim or array.shape[0] != n_channels:
        hint = ""
        if array.ndim >= 2 and array.shape[1] == n_channels:
            hint = " (it looks transposed)"
        raise ValueError(
            f"{fname}: variable {key!r} has shape {array.shape}, expected {n_channels} "
            f"channels in the first of {ndim} dimensions{hint}"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{fname}: variable {key!r} is not numeric (dtype {array.dtype})")
    if array.shape[1] == 0:
        raise ValueError(f"{fname}: variable {key!r} has shape {array.shape}: the trial is empty")
    return array


# --------------------------------------------------------------------------
# Raw / Epochs construction shared by the SEED and SEED-IV readers
# --------------------------------------------------------------------------

#: Annotation descriptions that mark the junction of two concatenated trials
#: (the same pair :func:`mne.concatenate_raws` inserts): filters run on each
#: trial separately (``skip_by_annotation="edge"``) and ``mne.Epochs`` rejects
#: windows that would straddle two trials.
BOUNDARY_DESCRIPTIONS = ("BAD boundary", "EDGE boundary")


def check_trial_duration(n_samples, *, fname, key, sfreq, expected_seconds, dataset, trial):
    """Raise when a trial is much longer than the dataset's known trial duration.

    The .mat files do not store the sampling rate. A trial that is more than
    1.5 times longer than the known duration of that film clip at ``sfreq``
    means the data were sampled faster (e.g. the 1000 Hz recordings) than the
    preprocessed 200 Hz data the reader expects. Shorter trials are accepted
    (small simulated files).
    """
    seconds = (n_samples - 1) / sfreq
    if expected_seconds is not None and seconds > 1.5 * expected_seconds:
        approx = sfreq * seconds / expected_seconds
        raise ValueError(
            f"{fname}: variable {key!r} (trial {trial}) has {n_samples} samples = "
            f"{seconds:.1f} s at {sfreq:g} Hz, but {dataset} trial {trial} lasts about "
            f"{expected_seconds:g} s. The data look sampled at about {approx:.0f} Hz, not at "
            f"the {sfreq:g} Hz of the preprocessed {dataset} EEG (wrong sampling rate?)"
        )


@dataclass
class FileTrials:
    """The EEG trials of one file, as read and checked by a dataset reader.

    ``arrays`` are the ``(n_channels, n_samples)`` trial arrays in file order
    and in microvolts (not copied); ``labels``/``keys`` the label code and the
    variable name of each trial.
    """

    arrays: list
    labels: list
    keys: list
    event_id: dict
    fname: Path
    dataset: str
    subject: int
    session: int
    date: str | None
    sfreq: float

    @property
    def n_samples(self) -> list[int]:
        return [arr.shape[1] for arr in self.arrays]

    @property
    def starts(self) -> np.ndarray:
        """First sample of each trial in the concatenated recording."""
        return np.concatenate([[0], np.cumsum(self.n_samples)[:-1]]).astype(int)

    def extras(self, trial: int) -> dict:
        return {
            "dataset": self.dataset,
            "subject": int(self.subject),
            "session": int(self.session),
            "trial": int(trial),
            "label": int(self.labels[trial]),
            "key": str(self.keys[trial]),
        }

    def info(self):
        """:class:`mne.Info` with montage, subject and (from the file name) date."""
        import datetime

        from ..channels import create_seed_info

        info = create_seed_info(self.sfreq)
        info["subject_info"] = {"id": int(self.subject), "his_id": f"sub-{int(self.subject):02d}"}
        info["description"] = (
            f"{self.dataset} sub-{self.subject} ses-{self.session} ({Path(self.fname).name})"
        )
        if self.date is not None:
            try:
                meas_date = datetime.datetime.strptime(self.date, "%Y%m%d").replace(
                    tzinfo=datetime.timezone.utc
                )
            except ValueError:
                meas_date = None
            info.set_meas_date(meas_date)
        return info


def collect_eeg_trials(
    mat, trials, *, labels, durations, event_id, fname, dataset, subject, session, date, sfreq
) -> FileTrials:
    """Check the EEG trial arrays of one file and gather them into a :class:`FileTrials`.

    Every trial array must have the 62 channels first
    (:func:`check_eeg_array`) and must not last much longer than its known
    duration (:func:`check_trial_duration`).

    Parameters
    ----------
    mat : dict of str to ndarray
        The variables of the file (:func:`load_mat`).
    trials : dict of int to str
        ``{trial_number: key}`` of the EEG trials (:func:`parse_trial_keys`).
    labels : sequence of int
        Label code of the trials of the session, in trial order; the first
        ``len(trials)`` are used.
    durations : sequence of float
        Known duration in seconds of trials 1, 2, ...; trials past its end
        are not checked.
    event_id : dict of str to int
        Emotion name -> label code.
    fname : path-like
        The file (error messages and ``FileTrials.fname``).
    dataset : str
        Dataset name (``"SEED"``, ``"SEED-IV"``).
    subject : int
        Subject number.
    session : int
        Session number.
    date : str | None
        Recording date ``yyyymmdd`` of the file name.
    sfreq : float
        Sampling frequency of the preprocessed EEG (Hz).

    Returns
    -------
    trials : FileTrials
        The checked arrays (not copied) with their labels and variable names.
    """
    arrays, keys = [], []
    for trial, key in trials.items():
        arr = check_eeg_array(mat[key], fname=fname, key=key)
        n_bad = int(np.size(arr) - np.isfinite(arr).sum())
        if n_bad:
            bad_channels = int((~np.isfinite(arr)).any(axis=1).sum())
            logger.warning(
                f"{fname}: trial {trial} ({key!r}) holds {n_bad} NaN or infinite samples "
                f"in {bad_channels} channel(s); filtering and DE spread them, so interpolate "
                "or drop them first"
            )
        check_trial_duration(
            arr.shape[1],
            fname=fname,
            key=key,
            sfreq=sfreq,
            expected_seconds=durations[trial - 1] if trial <= len(durations) else None,
            dataset=dataset,
            trial=trial,
        )
        arrays.append(arr)
        keys.append(key)
    logger.info(f"Read {len(arrays)} trials from {fname} (sub-{subject}, ses-{session})")
    return FileTrials(
        arrays=arrays,
        labels=list(labels[: len(arrays)]),
        keys=keys,
        event_id=event_id,
        fname=fname,
        dataset=dataset,
        subject=subject,
        session=int(session),
        date=date,
        sfreq=sfreq,
    )


def trials_to_raw(trials: FileTrials):
    """Concatenate the trials (microvolts) into one annotated :class:`mne.io.RawArray`.

    Each trial gets one annotation (onset = its first sample, duration = all of
    its samples, description = emotion name, ``extras`` = dataset, subject,
    session, trial index (0-based), label code and variable name); trial
    junctions get the :data:`BOUNDARY_DESCRIPTIONS` annotations.
    """
    import mne

    code_to_name = {code: name for name, code in trials.event_id.items()}
    n_samples, starts = trials.n_samples, trials.starts
    data = np.empty((trials.arrays[0].shape[0], sum(n_samples)))
    for arr, start, n in zip(trials.arrays, starts, n_samples):
        np.multiply(arr, 1e-6, out=data[:, start : start + n])  # microvolts -> volts
    raw = mne.io.RawArray(data, trials.info(), copy=None, verbose=False)
    sfreq = trials.sfreq
    onset, duration, description, extras = [], [], [], []
    for trial, (start, n, label) in enumerate(zip(starts, n_samples, trials.labels)):
        if trial > 0:
            for desc in BOUNDARY_DESCRIPTIONS:
                onset.append(start / sfreq)
                duration.append(0.0)
                description.append(desc)
                extras.append(None)
        onset.append(start / sfreq)
        duration.append(n / sfreq)
        description.append(code_to_name[int(label)])
        extras.append(trials.extras(trial))
    raw.set_annotations(mne.Annotations(onset, duration, description, extras=extras))
    return raw


def trials_to_epochs(trials: FileTrials, *, window: float, event_offset: int):
    """Cut non-overlapping windows inside each trial into an :class:`mne.EpochsArray`.

    Windows start at each trial's first sample and never cross trial
    boundaries; the samples at a trial's end that do not fill a whole window
    (at least the extra ``+1`` sample of the files) are dropped. Event sample
    numbers are those of the Raw of :func:`trials_to_raw` (trials concatenated).
    The windows are copied (and scaled to volts) straight from the file arrays,
    without building the Raw first.
    """
    import mne
    import pandas as pd

    sfreq = trials.sfreq
    if (
        isinstance(window, bool)
        or not isinstance(window, (int, float))
        or not np.isfinite(window)
        or window <= 0
    ):
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    n_win_samples = int(round(window * sfreq))
    if n_win_samples < 1 or abs(n_win_samples - window * sfreq) > 1e-6:
        raise ValueError(f"window={window} s is not a whole number of samples at {sfreq:g} Hz")
    n_windows = [n // n_win_samples for n in trials.n_samples]
    for trial, (n, n_win) in enumerate(zip(trials.n_samples, n_windows)):
        if n_win == 0:
            logger.info(f"{trials.fname}: trial {trial} ({n} samples) is shorter than {window} s")
    if sum(n_windows) == 0:
        raise ValueError(f"{trials.fname}: no trial of {window} s or longer")
    n_channels = trials.arrays[0].shape[0]
    data = np.empty((sum(n_windows), n_channels, n_win_samples))
    events, rows = [], []
    first = 0
    for trial, (arr, start, n_win) in enumerate(zip(trials.arrays, trials.starts, n_windows)):
        if n_win == 0:
            continue
        block = arr[:, : n_win * n_win_samples].reshape(n_channels, n_win, n_win_samples)
        np.multiply(block.transpose(1, 0, 2), 1e-6, out=data[first : first + n_win])
        first += n_win
        extra = trials.extras(trial)
        samples = start + np.arange(n_win) * n_win_samples
        code = extra["label"] + event_offset
        events.append(np.column_stack([samples, np.zeros(n_win, int), np.full(n_win, code)]))
        rows.append(
            pd.DataFrame(
                {
                    "dataset": extra["dataset"],
                    "subject": extra["subject"],
                    "session": extra["session"],
                    "trial": trial,
                    "window": np.arange(n_win),
                    "label": extra["label"],
                }
            )
        )
    codes = {name: int(code) + event_offset for name, code in trials.event_id.items()}
    return mne.EpochsArray(
        data,
        trials.info(),
        events=np.concatenate(events).astype(int),
        tmin=0.0,
        event_id=codes,
        on_missing="ignore",
        metadata=pd.concat(rows, ignore_index=True),
        verbose=False,
    )
