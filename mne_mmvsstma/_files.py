"""Safe file writing: atomic writes, output-file checks, stale temporary files.

Every write of the package (model files, checkpoints, result tables) goes to a
temporary file in the destination folder which then replaces the destination
with :func:`os.replace` (the folder is synced after), so an interrupted write
never leaves a truncated file behind; temporary files of killed processes are
removed by the next write. Files get the permissions of any new file (the umask
applies). Output files are checked before any work: never inside a dataset
folder, never with a data-file extension, never replaced without
``overwrite=True``.
"""

from __future__ import annotations

import glob
import os
import re
import tempfile
from pathlib import Path

from .utils import logger

# extensions of dataset files, never the target of a model file
DATA_SUFFIXES = (".mat", ".npz", ".npy", ".cnt", ".csv", ".fif", ".edf")


def _umask():
    """The process umask (read without changing it where the system allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    except OSError:
        return False
    return True


def _temp_prefix(fname, pid=None):
    return f".{fname.name}.{os.getpid() if pid is None else pid}."


def clean_stale_temp_files(fname):
    """Remove temporary files of earlier writes of ``fname`` whose process is dead.

    Only files named like this module's own temporary files
    (``.<name>.<pid>.<random>.tmp`` next to ``fname``) are considered, and
    only those of processes that no longer run on this machine.

    Parameters
    ----------
    fname : path-like
        The destination file.

    Returns
    -------
    removed : list of pathlib.Path
        The files removed.
    """
    fname = Path(fname).expanduser()
    pattern = re.compile(re.escape(f".{fname.name}.") + r"(\d+)\.[A-Za-z0-9_]+\.tmp")
    removed = []
    if not fname.parent.is_dir():
        return removed
    for tmp in fname.parent.glob(f".{glob.escape(fname.name)}.*.tmp"):
        match = pattern.fullmatch(tmp.name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        try:
            tmp.unlink()
        except OSError:
            continue
        removed.append(tmp)
    if removed:
        logger.info(f"Removed {len(removed)} stale temporary file(s) of {fname} left by "
                    "interrupted processes")
    return removed


def _fsync_dir(folder):
    if os.name != "posix":  # pragma: no cover
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_writable_dir(folder, *, kind="folder"):
    """Raise a clear error unless ``folder`` is (or can be created as) a writable folder.

    Parameters
    ----------
    folder : path-like
        The folder.
    kind : str
        What the folder is, for the error messages.

    Returns
    -------
    folder : pathlib.Path
    """
    folder = Path(folder).expanduser()
    root = _dataset_root_of(folder / "file")
    if root is not None:
        raise ValueError(f"Refusing to write the {kind} {folder} inside the dataset folder "
                         f"{root}; choose a folder outside it")
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(f"{kind} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"{kind} {folder}: permission denied (cannot write in "
                              f"{existing})")
    return folder


def _dataset_root_of(path):
    """The dataset folder (SEED layout) that contains ``path``, or None.

    Symbolic links are resolved first: a link to a folder of a dataset leads
    inside the dataset.
    """
    from .datasets._read import LAYOUT_FOLDERS

    names = {n for folders in LAYOUT_FOLDERS.values() for n in folders}
    for parent in Path(path).expanduser().resolve().parents:
        if parent.name in names:
            return parent.parent
        try:
            if any((parent / n).is_dir() for n in names):
                return parent
        except OSError:
            continue
    return None


def check_output_file(fname, *, overwrite=False, kind="model file"):
    """Check, before any work, that ``fname`` may be written.

    Parameters
    ----------
    fname : path-like
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced.
    kind : str
        What the file is, for the error messages.

    Returns
    -------
    fname : pathlib.Path
    """
    from mne.utils import _validate_type

    _validate_type(fname, "path-like", kind)
    _validate_type(overwrite, bool, "overwrite")
    fname = Path(fname).expanduser()
    if fname.suffix.lower() in DATA_SUFFIXES:
        raise ValueError(f"Refusing to write a {kind} to {fname}: {fname.suffix} is a data "
                         "file extension (use .pt)")
    root = _dataset_root_of(fname)
    if root is not None:
        raise ValueError(f"Refusing to write a {kind} inside the dataset folder {root}: "
                         f"{fname}; choose a file outside it")
    if fname.is_dir():
        raise IsADirectoryError(f"{kind} {fname} is a folder")
    if fname.exists() and not overwrite:
        raise FileExistsError(f"{kind} {fname} exists; pass overwrite=True (--overwrite on "
                              "the command line) to replace it")
    parent = fname.parent
    if not parent.exists():
        raise FileNotFoundError(f"Cannot write {kind} {fname}: its folder {parent} does not "
                                "exist")
    if not parent.is_dir():
        raise NotADirectoryError(f"Cannot write {kind} {fname}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"Cannot write {kind} {fname}: permission denied in {parent}")
    return fname


def atomic_write_bytes(data, fname) -> Path:
    """Write ``data`` (bytes) to ``fname`` atomically.

    The data go to a temporary file next to ``fname``
    (``.<name>.<pid>.<random>.tmp``), are flushed to disk, get the permissions
    of a normal new file (``0o666`` minus the umask) and then replace
    ``fname`` (:func:`os.replace`); the folder is synced afterwards.
    Temporary files of dead processes writing ``fname`` are removed first.

    Parameters
    ----------
    data : bytes
        The content.
    fname : path-like
        The destination.

    Returns
    -------
    fname : pathlib.Path
    """
    fname = Path(fname).expanduser()
    fname.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temp_files(fname)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(fname), suffix=".tmp", dir=fname.parent)
    try:
        with os.fdopen(fd, "wb") as fid:
            fid.write(data)
            fid.flush()
            os.fsync(fid.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, fname)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(fname.parent)
    return fname


def atomic_write_text(text, fname) -> Path:
    """Write ``text`` (UTF-8) to ``fname`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(text.encode("utf-8"), fname)
