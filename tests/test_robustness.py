"""Robustness catalogue: bad input, faults and attacks, one case per test id.

Files are never silently replaced, damaged or foreign files are refused, runs and
models are bound to their data and settings, and user errors are clear.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch  # noqa: E402,F401

from mne_mmvsstma import EmotionClassifier, Pretrainer  # noqa: E402
from mne_mmvsstma._files import check_output_file  # noqa: E402
from mne_mmvsstma.cli import main  # noqa: E402
from mne_mmvsstma.protocol import run_protocol  # noqa: E402
from mne_mmvsstma.training import (  # noqa: E402
    evaluate,
    finetune,
    load_model,
    pretrain,
    save_model,
)
from mne_mmvsstma.training.checkpoint import atomic_save, load_file  # noqa: E402

ARCH = dict(emb_dim=8, n_layers=1, n_heads=2, head_dim=4)
FIT = dict(ARCH, max_epochs=2, batch_size=16)
C, T = 6, 4
DEMO = ["--model-size", "demo", "--train-trials", "8", "-q"]


def _data(n_trials=6, per=8, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_trials), per)
    y = groups % 2
    X = rng.normal(size=(len(y), C, T, 5)).astype(np.float32) + y[:, None, None, None]
    return X, y, groups


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def fitted():
    X, y, groups = _data()
    return EmotionClassifier(**FIT).fit(X, y, groups=groups)


@pytest.fixture(scope="module")
def seed_iv_root(tmp_path_factory):
    from mne_mmvsstma.simulation import simulate_seed_iv

    root = tmp_path_factory.mktemp("SEED-IV")
    return simulate_seed_iv(root, n_subjects=2, sessions=(1,), n_trials=12, n_windows=3,
                            raw=False, random_state=0, verbose=False)


@pytest.fixture(scope="module")
def recordings(seed_iv_root):
    from mne_mmvsstma.datasets import read_features
    from mne_mmvsstma.protocol import split_recording

    return [split_recording(r, 8) for r in read_features(seed_iv_root, verbose=False)]


@pytest.fixture(scope="module")
def rec_classifier(recordings):
    return finetune([recordings[0][0]], model_kwargs=ARCH, n_epochs=1, verbose=False)


# ---------------------------------------------------------------------------
# 2: model files are never silently replaced, never written into a dataset folder


def _case_overwrite(fitted, tmp_path, root):
    fname = save_model(fitted, tmp_path / "m.pt")
    before = fname.read_bytes()
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        save_model(fitted, fname)
    assert fname.read_bytes() == before
    save_model(fitted, fname, overwrite=True)  # explicit


def _case_dataset_folder(fitted, tmp_path, root):
    target = next(root.rglob("*.mat")).parent / "model.pt"
    with pytest.raises(ValueError, match="inside the dataset folder"):
        save_model(fitted, target)
    assert not target.exists()


def _case_data_suffix(fitted, tmp_path, root):
    with pytest.raises(ValueError, match=r"\.mat is a data file extension"):
        save_model(fitted, tmp_path / "1_20160518.mat")


def _case_missing_parent(fitted, tmp_path, root):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(fitted, tmp_path / "missing" / "m.pt")


def _case_parent_is_file(fitted, tmp_path, root):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        save_model(fitted, tmp_path / "afile" / "m.pt")


def _case_overwrite_type(fitted, tmp_path, root):
    with pytest.raises(TypeError, match="overwrite"):
        check_output_file(tmp_path / "m.pt", overwrite="yes")


SAVE_CASES = {
    "save-refuses-overwrite": _case_overwrite,
    "save-refuses-dataset-folder": _case_dataset_folder,
    "save-refuses-data-suffix": _case_data_suffix,
    "save-missing-parent": _case_missing_parent,
    "save-parent-is-file": _case_parent_is_file,
    "save-overwrite-type": _case_overwrite_type,
}


@pytest.mark.parametrize("case", SAVE_CASES.values(), ids=SAVE_CASES.keys())
def test_save_model_refuses(case, fitted, tmp_path, seed_iv_root):
    case(fitted, tmp_path, seed_iv_root)


# ---------------------------------------------------------------------------
# 4, 8, 12: integrity, refused pickles, config bounds, permissions, temp files


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def _write_raw(obj, fname):
    torch.save(obj, fname)
    return fname


def _case_truncated(tmp_path):
    fname = atomic_save({"w": torch.arange(100.0)}, tmp_path / "f.pt")
    fname.write_bytes(fname.read_bytes()[: len(fname.read_bytes()) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        load_file(fname)


def _case_pickle(tmp_path):
    fname = _write_raw({"x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="Refusing to load") as exc:
        load_file(fname)
    assert "weights_only=False" not in str(exc.value)  # torch's advice never reaches users


def _case_no_integrity_record(tmp_path):
    fname = _write_raw({"format": "mne_mmvsstma-model", "w": torch.ones(3)}, tmp_path / "o.pt")
    with pytest.raises(ValueError, match="no integrity record"):
        load_file(fname)


def _case_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match="not a file"):
        load_file(tmp_path)


def _case_unreadable(tmp_path, monkeypatch):
    fname = atomic_save({"w": torch.ones(2)}, tmp_path / "f.pt")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(fname)
                        else real(p, mode))
    with pytest.raises(PermissionError, match="permission denied"):
        load_file(fname)


FILE_CASES = {
    "load-truncated": _case_truncated,
    "load-pickle-refused": _case_pickle,
    "load-no-integrity-record": _case_no_integrity_record,
    "load-directory": _case_directory,
}


@pytest.mark.parametrize("case", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_damaged_or_foreign_files_are_refused(case, tmp_path):
    case(tmp_path)


def test_unreadable_file_says_permission_denied(tmp_path, monkeypatch):
    _case_unreadable(tmp_path, monkeypatch)


def test_flipped_bytes_never_load_silently(tmp_path):
    orig = {"w": torch.arange(64.0), "name": "abc"}
    fname = atomic_save(orig, tmp_path / "f.pt")
    data = fname.read_bytes()
    n_refused = 0
    for pos in range(0, len(data), max(1, len(data) // 300)):
        bad = bytearray(data)
        bad[pos] ^= 0x20
        fname.write_bytes(bytes(bad))
        try:
            obj = load_file(fname)
        except ValueError:
            n_refused += 1
            continue
        # flips in padding or zip metadata may leave the content intact, never changed
        assert obj["name"] == "abc" and torch.equal(obj["w"], orig["w"])
    assert n_refused > 100


def _tampered_model(fitted, tmp_path, edit):
    fname = save_model(fitted, tmp_path / "m.pt")
    obj = load_file(fname, kind="model")
    config = json.loads(obj["config"])
    edit(config)
    obj["config"] = json.dumps(config)
    atomic_save(obj, fname)  # a valid integrity record: only the bounds can stop it
    return fname


CONFIG_CASES = {
    "n-layers-200000": (lambda c: c.update(n_layers=200_000), "n_layers=200000"),
    "n-heads-huge": (lambda c: c.update(n_heads=10**5), "n_heads"),
    "kernel-sizes-huge": (lambda c: c.update(kernel_sizes=[10**5]), "kernel_sizes"),
    "many-kernels": (lambda c: c.update(kernel_sizes=[3] * 1000), "1000 items"),
    "activation-not-torch": (lambda c: c.update(activation="os.system"), "activation"),
    "n-chans-huge": (lambda c: c.update(n_chans=10**5), "n_chans"),
}


@pytest.mark.parametrize("edit, match", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_model_config_bounds_checked_before_building(edit, match, fitted, tmp_path):
    fname = _tampered_model(fitted, tmp_path, edit)
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        load_model(fname)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)],
                         ids=["umask-022", "umask-077", "umask-002"])
def test_files_respect_umask(umask, mode, tmp_path):
    old = os.umask(umask)
    try:
        fname = atomic_save({"w": torch.ones(2)}, tmp_path / "f.pt")
    finally:
        os.umask(old)
    assert fname.stat().st_mode & 0o777 == mode


def test_stale_temp_files_of_dead_processes_are_removed(tmp_path):
    fname = tmp_path / "f.pt"
    dead = tmp_path / f".f.pt.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".f.pt.{os.getppid()}.abc123.tmp"  # a running process
    other = tmp_path / ".g.pt.1.abc.tmp"  # not a temp file of f.pt
    foreign = tmp_path / ".f.pt.notours.tmp"  # not our naming pattern
    for f in (dead, live, other, foreign):
        f.write_bytes(b"x" * 100)
    atomic_save({"w": torch.ones(2)}, fname)
    assert not dead.exists()
    assert live.exists() and other.exists() and foreign.exists()
    assert sorted(p.name for p in tmp_path.glob(".f.pt.*.tmp")) == sorted(
        [live.name, foreign.name])  # the write itself leaves none


# ---------------------------------------------------------------------------
# 3: resume is bound to its data, seed, scaling, starting point, and one process


def _fit_ck(ck, **kw):
    X, y, groups = _data()
    params = {**FIT, "checkpoint_dir": ck, **kw}
    return EmotionClassifier(**params).fit(X, y, groups=groups)


RESUME_CASES = {
    "other-seed": (dict(random_state=1), "random_state=0 \\(now 1\\)"),
    "other-scaling": (dict(scale=False), "scale=True \\(now False\\)"),
    "other-eye-scaling": (dict(eye_scaling="minmax"), "eye_scaling"),
    "other-lr": (dict(lr=0.5), "lr="),
}


@pytest.mark.parametrize("kw, match", RESUME_CASES.values(), ids=RESUME_CASES.keys())
def test_resume_refuses_other_settings(kw, match, tmp_path):
    _fit_ck(tmp_path)
    with pytest.raises(ValueError, match="Cannot resume.*" + match):
        _fit_ck(tmp_path, resume=True, **kw)


def test_resume_refuses_other_data_naming_it(tmp_path):
    _fit_ck(tmp_path)
    X, y, groups = _data(seed=1)  # same shapes, other values (another subject)
    with pytest.raises(ValueError, match="Cannot resume.*the training data"):
        EmotionClassifier(**FIT, checkpoint_dir=tmp_path, resume=True).fit(X, y,
                                                                          groups=groups)


def test_resume_refuses_another_pretrained_start(tmp_path):
    X, y, groups = _data()
    pre = [Pretrainer(**FIT, n_decoder_layers=1, random_state=s).fit(X) for s in (0, 1)]
    EmotionClassifier(pretrained=pre[0], **FIT, checkpoint_dir=tmp_path).fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="Cannot resume.*pretrained starting point"):
        EmotionClassifier(pretrained=pre[1], **FIT, checkpoint_dir=tmp_path, resume=True).fit(
            X, y, groups=groups)


def test_checkpoint_lock_refuses_another_run(tmp_path):
    from filelock import FileLock

    other = FileLock(tmp_path / "finetune.pt.lock")  # another run holds the checkpoint
    other.acquire(timeout=0)
    try:
        with pytest.raises(FileExistsError, match="finetune.pt is in use by another run"):
            _fit_ck(tmp_path)
    finally:
        other.release()
    assert not (tmp_path / "finetune.pt").exists()  # nothing written


def test_checkpoint_lock_of_a_dead_process_is_free(tmp_path):
    # a process killed while fitting leaves its lock file; the system released the lock
    code = ("import sys, os; from filelock import FileLock; "
            "FileLock(sys.argv[1]).acquire(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "finetune.pt.lock")],
                   check=True)
    assert (tmp_path / "finetune.pt.lock").exists()
    est = _fit_ck(tmp_path)
    assert len(est.history) == 2 and (tmp_path / "finetune.pt").is_file()


def test_checkpoint_lock_released_after_a_failed_fit(tmp_path):
    from filelock import FileLock
    from skorch.callbacks import Callback

    class Boom(Callback):
        def on_epoch_end(self, net, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        _fit_ck(tmp_path, callbacks=[("boom", Boom())])
    lock = FileLock(tmp_path / "finetune.pt.lock")
    lock.acquire(timeout=0)  # free again
    lock.release()
    _fit_ck(tmp_path)  # the folder is usable again


def test_read_only_checkpoint_dir_fails_before_training(tmp_path, monkeypatch):
    ck = tmp_path / "ck"
    ck.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(ck)
                        else real(p, mode))
    epochs = []
    from skorch.callbacks import Callback

    class Count(Callback):
        def on_epoch_end(self, net, **kwargs):
            epochs.append(1)

    with pytest.raises(PermissionError, match="checkpoint_dir .*permission denied"):
        _fit_ck(ck, callbacks=[("count", Count())])
    assert epochs == [] and not list(ck.iterdir())


# ---------------------------------------------------------------------------
# 5, 6: models know their dataset, coding and shapes; batch sizes are checked


IDENTITY_CASES = {
    "other-dataset": (lambda r: dataclasses.replace(r, dataset="SEED-V"),
                      "fitted on SEED-IV data .* SEED-V data"),
    "other-event-id": (lambda r: dataclasses.replace(
        r, event_id={"neutral": 0, "sad": 1, "fear": 2, "happy": 3, "disgust": 4}),
        "event_id"),
}


@pytest.mark.parametrize("edit, match", IDENTITY_CASES.values(), ids=IDENTITY_CASES.keys())
@pytest.mark.parametrize("loaded", [False, True], ids=["in-memory", "loaded"])
def test_evaluate_refuses_another_dataset(edit, match, loaded, rec_classifier, recordings,
                                          tmp_path):
    clf = rec_classifier
    assert clf.dataset_ == "SEED-IV" and clf.event_id_ == recordings[0][1].event_id
    if loaded:
        clf = load_model(save_model(clf, tmp_path / "clf.pt"))
    test = recordings[0][1]
    assert 0 <= evaluate(clf, [test], verbose=False)["accuracy"] <= 1
    with pytest.raises(ValueError, match=match):
        evaluate(clf, [edit(test)], verbose=False)


def test_evaluate_refuses_another_window_length(rec_classifier, recordings):
    with pytest.raises(ValueError, match="n_windows=5 .*T=10"):
        evaluate(rec_classifier, [recordings[0][1]], n_windows=5, verbose=False)


BATCH_CASES = {
    "evaluate-batch-size-0": (lambda f, X, y, g: evaluate(f, X, y, batch_size=0),
                              "batch_size must be an int >= 1"),
    "evaluate-batch-size-float": (lambda f, X, y, g: evaluate(f, X, y, batch_size=2.5),
                                  "batch_size must be an int"),
    "fit-batch-size-0": (lambda f, X, y, g: EmotionClassifier(**{**FIT, "batch_size": 0})
                         .fit(X, y, groups=g), "batch_size must be an int >= 1"),
    "fit-valid-batch-size-0": (lambda f, X, y, g: EmotionClassifier(
        **FIT, iterator_valid__batch_size=0).fit(X, y, groups=g),
        "iterator_valid__batch_size must be an int >= 1"),
    "pretrain-batch-size-0": (lambda f, X, y, g: pretrain(X, batch_size=0),
                              "batch_size must be an int >= 1"),
    "lr-nan": (lambda f, X, y, g: EmotionClassifier(**{**FIT, "lr": float("nan")})
               .fit(X, y, groups=g), "lr must be a finite number"),
    "lr-negative": (lambda f, X, y, g: Pretrainer(**{**FIT, "lr": -1.0}).fit(X),
                    "lr must be a finite number > 0"),
    "max-epochs-negative": (lambda f, X, y, g: Pretrainer(**{**FIT, "max_epochs": -1}).fit(X),
                            "max_epochs must be an int >= 0"),
    "patience-0": (lambda f, X, y, g: EmotionClassifier(**FIT, patience=0)
                   .fit(X, y, groups=g), "patience must be an int >= 1"),
}


@pytest.mark.parametrize("call, match", BATCH_CASES.values(), ids=BATCH_CASES.keys())
def test_sizes_and_rates_are_validated(call, match, fitted):
    X, y, groups = _data()
    with pytest.raises((ValueError, TypeError), match=match):
        call(fitted, X, y, groups)


# ---------------------------------------------------------------------------
# 13: zero epochs, Epochs in cross-validation


def test_zero_epochs():
    X, y, groups = _data()
    with pytest.raises(ValueError, match="n_epochs=0 would return an untrained model"):
        pretrain(X, n_epochs=0, model_kwargs=ARCH, verbose=False)
    with pytest.raises(ValueError, match="max_epochs=0: EmotionClassifier would return an "
                                         "untrained model"):
        EmotionClassifier(**{**FIT, "max_epochs": 0}, probe_C=None).fit(X, y, groups=groups)
    # 0 fine-tuning epochs after the linear probe: the probe alone (documented)
    probe = EmotionClassifier(**{**FIT, "max_epochs": 0}).fit(X, y, groups=groups)
    assert len(probe.history) == 0 and probe.score(X, y) > 0.5


def test_differential_entropy_with_epochs_in_cross_val_score():
    import mne
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from mne_mmvsstma import DifferentialEntropy

    rng = np.random.default_rng(0)
    y = np.arange(24) % 2
    data = rng.normal(size=(24, 3, 400)) * 1e-5 * (1 + y[:, None, None])
    epochs = mne.EpochsArray(data, mne.create_info(3, 200.0, "eeg"), verbose=False)
    pipe = make_pipeline(DifferentialEntropy(), LogisticRegression(max_iter=1000))
    scores = cross_val_score(pipe, epochs, y, cv=KFold(3), error_score="raise")
    assert scores.mean() > 0.8
    de = DifferentialEntropy()
    with pytest.raises(TypeError, match="epochs.get_data"):
        de.fit_transform([epochs[0], np.zeros((1, 3, 400))])


# ---------------------------------------------------------------------------
# 7: protocol results bound to their settings


def _protocol(root, out, **kw):
    kw = {"tables": "baselines", "n_train_trials": 8, "plot": False, "verbose": False, **kw}
    return run_protocol(root, out_dir=out, **kw)


def _truncate_last_row(out):
    csv = out / "results.csv"
    lines = csv.read_text().splitlines()
    lines[-1] = ",".join(lines[-1].split(",")[:5])  # a row cut short by an interruption
    csv.write_text("\n".join(lines) + "\n")


PROTOCOL_CASES = {
    "other-settings": (lambda out: None, dict(svm_C=2.0), r"svm_C=1.0 \(now 2.0\)"),
    "other-subjects": (lambda out: None, dict(subjects=[1]), "the data"),
    "truncated-row": (_truncate_last_row, {}, "results.csv, line 7: invalid row"),
    "no-sidecar": (lambda out: (out / "results_settings.json").unlink(), {},
                   "results_settings.json .* is missing"),
    "corrupt-sidecar": (lambda out: (out / "results_settings.json").write_text("{"), {},
                        "not valid JSON"),
    "empty-csv": (lambda out: (out / "results.csv").write_text(""), {},
                  "results.csv is truncated or corrupt"),
}


@pytest.fixture(scope="module")
def protocol_out(seed_iv_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("proto")
    _protocol(seed_iv_root, out)
    return out


@pytest.mark.parametrize("damage, kw, match", PROTOCOL_CASES.values(),
                         ids=PROTOCOL_CASES.keys())
def test_protocol_resume_refuses(damage, kw, match, seed_iv_root, protocol_out, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(protocol_out, out)
    damage(out)
    with pytest.raises(ValueError, match=match):
        _protocol(seed_iv_root, out, resume=True, **kw)


def test_protocol_resume_same_settings_and_files(seed_iv_root, protocol_out):
    again = _protocol(seed_iv_root, protocol_out, resume=True)
    assert len(again.results) == 6
    settings = json.loads((protocol_out / "results_settings.json").read_text())
    assert settings["settings"]["svm_C"] == "1.0" and "data" in settings["settings"]
    assert not list(protocol_out.glob(".*.tmp"))


def test_protocol_refuses_out_dir_inside_dataset(seed_iv_root):
    with pytest.raises(ValueError, match="inside the dataset folder"):
        _protocol(seed_iv_root, seed_iv_root / "results")
    assert not (seed_iv_root / "results").exists()


def test_protocol_creates_no_out_dir_for_unreadable_data(tmp_path):
    # a missing or unrecognisable dataset folder leaves no empty output folder behind
    (tmp_path / "empty").mkdir()
    for root in (tmp_path / "missing", tmp_path / "empty"):
        with pytest.raises(FileNotFoundError, match="does not exist|Cannot detect the dataset"):
            _protocol(root, tmp_path / "out")
        assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------
# 8: misleading errors


def test_mat_permission_denied_is_not_called_corrupt(tmp_path, monkeypatch):
    import scipy.io

    from mne_mmvsstma.datasets._io import load_mat

    fname = tmp_path / "1_20160518.mat"
    scipy.io.savemat(fname, {"a": np.ones(3)})

    def deny(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(scipy.io, "loadmat", deny)
    with pytest.raises(PermissionError, match="permission denied") as exc:
        load_mat(fname)
    assert "corrupt" not in str(exc.value)


def test_root_that_is_a_file_is_not_called_missing(tmp_path):
    from mne_mmvsstma.protocol import read_recordings

    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a directory"):
        read_recordings(tmp_path / "afile")


# ---------------------------------------------------------------------------
# 2, 8, 10: the command line


ARG_CASES = {
    "threads-negative": ["pretrain", "ROOT", "-o", "m.pt", "--threads", "-1"],
    "lr-huge": ["pretrain", "ROOT", "-o", "m.pt", "--lr", "1e9"],
    "lr-zero": ["finetune", "ROOT", "--subject", "1", "--session", "1", "-o", "m.pt",
                "--lr", "0"],
    "batch-size-0": ["pretrain", "ROOT", "-o", "m.pt", "--batch-size", "0"],
    "pretrain-epochs-0": ["pretrain", "ROOT", "-o", "m.pt", "--epochs", "0"],
    "mask-ratio-1": ["finetune", "ROOT", "--subject", "1", "--session", "1", "-o", "m.pt",
                     "--mask-ratio", "1"],
    "subject-0": ["evaluate", "ROOT", "--model", "m.pt", "--subject", "0", "--session", "1"],
    "protocol-pretrain-epochs-0": ["protocol", "ROOT", "--pretrain-epochs", "0"],
    "seed-nan": ["pretrain", "ROOT", "-o", "m.pt", "--seed", "nan"],
    "probe-c-negative": ["protocol", "ROOT", "--probe-c", "-1"],
    "n-jobs-0": ["protocol", "ROOT", "--n-jobs", "0"],
    "n-jobs-minus-2": ["demo", "--n-jobs", "-2"],
}


@pytest.mark.parametrize("argv", ARG_CASES.values(), ids=ARG_CASES.keys())
def test_cli_numeric_ranges(argv, seed_iv_root, capsys, monkeypatch):
    import mne_mmvsstma.cli

    def ran(args):
        raise AssertionError("the command ran with an out-of-range value")

    monkeypatch.setattr(mne_mmvsstma.cli, "COMMANDS", dict.fromkeys(mne_mmvsstma.cli.COMMANDS,
                                                                    ran))
    argv = [str(seed_iv_root) if a == "ROOT" else a for a in argv]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("out of range" in err or "expected" in err)


def _cli_missing_parent(root, tmp_path):
    return ["-o", str(tmp_path / "missing" / "m.pt")], "does not exist"


def _cli_parent_file(root, tmp_path):
    (tmp_path / "afile").write_text("x")
    return ["-o", str(tmp_path / "afile" / "m.pt")], "not a folder"


def _cli_existing(root, tmp_path):
    (tmp_path / "m.pt").write_text("precious")
    return ["-o", str(tmp_path / "m.pt")], "exists; pass overwrite=True"


def _cli_inside_dataset(root, tmp_path):
    return ["-o", str(root / "model.pt")], "inside the dataset folder"


def _cli_onto_mat(root, tmp_path):
    mat = next(root.rglob("*.mat"))
    return ["-o", str(mat), "--overwrite"], "data file extension"


def _cli_checkpoint_file(root, tmp_path):
    (tmp_path / "ckfile").write_text("x")
    return ["-o", str(tmp_path / "m.pt"), "--checkpoint-dir",
            str(tmp_path / "ckfile" / "sub")], "is a file, not a folder"


def _cli_resume_without_dir(root, tmp_path):
    return ["-o", str(tmp_path / "m.pt"), "--resume"], "--resume needs --checkpoint-dir"


CLI_OUT_CASES = {
    "out-missing-parent": _cli_missing_parent,
    "out-parent-is-file": _cli_parent_file,
    "out-exists": _cli_existing,
    "out-inside-dataset": _cli_inside_dataset,
    "out-onto-dataset-mat": _cli_onto_mat,
    "checkpoint-dir-under-file": _cli_checkpoint_file,
    "resume-without-checkpoint-dir": _cli_resume_without_dir,
}


@pytest.mark.parametrize("case", CLI_OUT_CASES.values(), ids=CLI_OUT_CASES.keys())
def test_cli_checks_outputs_before_training(case, seed_iv_root, tmp_path, capsys,
                                            monkeypatch):
    import mne_mmvsstma.training

    def no_training(*args, **kwargs):
        raise AssertionError("training started before the outputs were checked")

    monkeypatch.setattr(mne_mmvsstma.training, "pretrain", no_training)
    before = {p: p.read_bytes() for p in seed_iv_root.rglob("*.mat")}
    extra, match = case(seed_iv_root, tmp_path)
    ret = main(["pretrain", str(seed_iv_root), "--train-trials", "8", "-q", *extra])
    assert ret == 2
    err = capsys.readouterr().err.strip()
    assert match in err and "\n" not in err
    assert {p: p.read_bytes() for p in seed_iv_root.rglob("*.mat")} == before
    if (tmp_path / "m.pt").exists():
        assert (tmp_path / "m.pt").read_text() == "precious"


def test_cli_overwrite_flag(seed_iv_root, tmp_path, capsys):
    out = tmp_path / "m.pt"
    out.write_text("old")
    assert main(["pretrain", str(seed_iv_root), "-o", str(out), "--epochs", "1",
                 "--overwrite", *DEMO]) == 0
    assert type(load_model(out)).__name__ == "Pretrainer"


def test_cli_bad_files_end_in_one_line(seed_iv_root, tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    torch.save({"x": _Evil()}, evil)
    ret = main(["evaluate", str(seed_iv_root), "--model", str(evil), "--subject", "1",
                "--session", "1", "--train-trials", "8", "-q"])
    err = capsys.readouterr().err.strip()
    assert ret == 2 and "Refusing to load" in err and "weights_only" not in err
    assert "\n" not in err
    out = tmp_path / "proto"
    assert main(["protocol", str(seed_iv_root), "--tables", "baselines", "--out-dir", str(out),
                 "--train-trials", "8", "--no-plots", "-q"]) == 0
    capsys.readouterr()
    _truncate_last_row(out)
    ret = main(["protocol", str(seed_iv_root), "--tables", "baselines", "--out-dir", str(out),
                "--train-trials", "8", "--no-plots", "-q", "--resume"])
    err = capsys.readouterr().err.strip()
    assert ret == 2 and "results.csv, line" in err and "\n" not in err
