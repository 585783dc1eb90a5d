"""Resume bookkeeping of a protocol run: its settings, the hash of its data, its files.

The settings and a hash of the data of a run are stored next to its results
(``results_settings.json``); a run resumes from an ``out_dir`` only with the
same ones, and reads the rows of ``results.csv`` checked line by line.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from ..training import distributed
from ..utils import _validate_type, logger
from .report import RESULT_COLUMNS

SETTINGS_FORMAT = "mne_mmvsstma-protocol-settings"
#: the columns of ``results.csv``
CSV_COLUMNS = RESULT_COLUMNS + ["classes", "confusion_matrix"]


@dataclasses.dataclass
class _Settings:
    """The settings of a run that its results depend on, the recipe's where not given.

    Stored (with the dataset, the training trials and a hash of the data) in
    the settings sidecar of ``out_dir``, see :meth:`record`.
    """

    n_labels: int
    n_labels_per: str
    mask_ratios: tuple
    pretrain_mask_ratio: float
    pretrain_feature: str | None
    pretrain_epochs: int
    finetune_epochs: int
    pretrain_batch_size: int
    batch_size: int
    model_kwargs: dict | None
    eye_model_kwargs: dict | None
    fusion_dim: int | None
    patience: int | None
    pretrain_kwargs: dict
    classifier_kwargs: dict
    ensemble: int | None
    svm_kernel: str
    svm_C: float
    fill_eye: str | None
    random_state: object

    def record(self, *, dataset, n_train_trials, data):
        """The settings as stored in the sidecar: ``{name: repr(value)}`` and ``data``."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        record = {k: repr(v) for k, v in dict(
            dataset=dataset, n_train_trials=n_train_trials, **values).items()}
        record["data"] = data
        return record


def _data_hash(recs):
    """SHA-256 of the recordings of a run (features, labels, trials)."""
    from ..training.callbacks import hash_arrays

    arrays = []
    for r in recs:
        arrays += [r.eeg, r.eye, r.labels, r.trial_ids, np.array([r.subject, r.session])]
    return hash_arrays(arrays)


def _check_settings(sidecar, settings, results_csv):
    """Refuse to resume from a folder written with other settings (names the files)."""
    try:
        stored = json.loads(sidecar.read_text())
    except OSError as exc:
        raise OSError(f"Cannot resume: cannot read {sidecar} ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"Cannot resume: {sidecar} is not valid JSON ({exc}); it is "
                         "truncated or corrupt") from None
    if not isinstance(stored, dict) or stored.get("format") != SETTINGS_FORMAT:
        raise ValueError(f"Cannot resume: {sidecar} is not a protocol settings file")
    old = stored.get("settings", {})
    diff = [k for k in sorted(set(old) | set(settings)) if old.get(k) != settings.get(k)]
    if diff:
        what = ", ".join("the data (recordings selected or their content)" if k == "data"
                         else f"{k}={old.get(k)} (now {settings.get(k)})" for k in diff)
        raise ValueError(f"Cannot resume: {results_csv} and the models next to it were "
                         f"computed with other settings ({sidecar}: {what}); use another "
                         "out_dir or resume=False")


def _read_results(results_csv, columns):
    """Rows of a ``results.csv``, each checked; errors name the file and the line."""
    import pandas as pd

    try:
        df = pd.read_csv(results_csv, dtype={"table": str})
    except OSError as exc:
        raise OSError(f"Cannot read {results_csv}: {exc}") from None
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{results_csv} is truncated or corrupt ({exc}); delete it to "
                         "recompute its results") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{results_csv} lacks the columns {missing}; it is truncated or "
                         "not a results file")
    rows = df.to_dict("records")
    for i, r in enumerate(rows):
        line = i + 2  # the header is line 1
        try:
            if any(pd.isna(r[c]) for c in columns):
                raise ValueError("missing values")
            r["subject"], r["session"] = int(r["subject"]), int(r["session"])
            for c in ("n_train", "n_labeled", "n_test", "n_classes"):
                r[c] = int(r[c])
            r["accuracy"] = float(r["accuracy"])
            if not 0.0 <= r["accuracy"] <= 1.0:
                raise ValueError(f"accuracy {r['accuracy']} not in [0, 1]")
            classes = json.loads(r["classes"])
            cm = np.asarray(json.loads(r["confusion_matrix"]))
            if cm.shape != (len(classes), len(classes)) or len(classes) != r["n_classes"]:
                raise ValueError("confusion matrix and classes do not match")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{results_csv}, line {line}: invalid row ({exc}); the file is "
                             "truncated or corrupt (delete it to recompute)") from None
    return rows


#: files of a run in its out_dir (relative glob patterns), removed by overwrite=True
OUTPUT_PATTERNS = ("results.csv", "summary.csv", "summary.md", "bars_table*.png",
                   "confusion_table*.png", "models/pretrained_*.pt", "results_settings.json")


def _check_out_dir(out_dir, *, resume, overwrite):
    """Check ``out_dir`` before any work: outside datasets, writable, empty unless asked."""
    from .._files import _dataset_root_of, check_writable_dir

    _validate_type(out_dir, "path-like", "out_dir")
    out_dir = Path(out_dir).expanduser()
    inside = _dataset_root_of(out_dir / "results.csv")
    if inside is not None:
        raise ValueError(f"Refusing to write the protocol's files inside the dataset "
                         f"folder {inside} (out_dir={out_dir}); choose another out_dir")
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"out_dir {out_dir} is a file, not a folder")
    if resume and overwrite:
        raise ValueError("resume=True continues the run in out_dir and overwrite=True replaces "
                         "it; pass one of them")
    check_writable_dir(out_dir, kind="out_dir")
    if out_dir.is_dir():
        entries = sorted(p.name for p in out_dir.iterdir())
        if entries and not (resume or overwrite):
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise FileExistsError(
                f"out_dir {out_dir} is not empty ({shown}); pass resume=True to continue the "
                "run it holds or overwrite=True to replace its files (--resume / --overwrite "
                "on the command line), or choose an empty or new folder")
    return out_dir


def _remove_outputs(out_dir):
    """Remove the files an earlier run wrote in ``out_dir`` (results first)."""
    for pattern in OUTPUT_PATTERNS:
        for fname in sorted(out_dir.glob(pattern)):
            if fname.is_file():
                fname.unlink()
                logger.debug(f"Removed {fname} (overwrite=True)")


def _resume_state(out_dir, settings, *, resume, overwrite):
    """The rows of an earlier run to keep (``resume``); writes the settings sidecar.

    ``settings``: the :meth:`_Settings.record` of this run. With
    ``overwrite``, the files of an earlier run go first; with ``resume``, its
    settings must equal these and its ``results.csv`` rows are returned.
    """
    from .._files import atomic_write_text

    results_csv = None if out_dir is None else out_dir / "results.csv"
    sidecar = None if out_dir is None else out_dir / "results_settings.json"
    if overwrite and out_dir is not None and distributed.is_main_process():
        # the results of the earlier run go before its settings are replaced: an interrupted
        # run never leaves results next to settings they were not computed with
        _remove_outputs(out_dir)
    done = []
    if resume:
        models = out_dir / "models"
        if sidecar.exists():
            _check_settings(sidecar, settings, results_csv)
        elif results_csv.exists() or any(models.glob("pretrained_*.pt")):
            raise ValueError(f"Cannot resume from {out_dir}: {sidecar.name} (the settings of "
                             f"{results_csv.name} and the models) is missing; use another "
                             "out_dir or resume=False")
        if results_csv.exists():
            done = _read_results(results_csv, CSV_COLUMNS)
            logger.info(f"Resuming: {len(done)} results read from {results_csv}")
    if sidecar is not None and distributed.is_main_process():
        atomic_write_text(json.dumps({"format": SETTINGS_FORMAT, "settings": settings},
                                     indent=1), sidecar)
    return done
