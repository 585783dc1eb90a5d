"""Robustness catalogue of real-data reliability: one case per test id.

No silent wrong score, no silent replacement, inputs bound to what they claim.
Every case runs on simulated folders in the real SEED-IV layout (the real trial
lengths where a case needs them, read as a real folder once the simulators'
marker is removed).
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import scipy.io

from mne_mmvsstma.cli import main
from mne_mmvsstma.datasets import read_features
from mne_mmvsstma.datasets._io import SIMULATED_MARKER
from mne_mmvsstma.simulation import simulate_seed_iv

DEMO = ["--model-size", "demo", "-q"]
TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=8)


@pytest.fixture(scope="module")
def short_root(tmp_path_factory):
    """SEED-IV, 2 subjects, session 1: 24 trials of 3 windows (features)."""
    return simulate_seed_iv(tmp_path_factory.mktemp("short") / "SEED-IV", n_subjects=2,
                            sessions=(1,), n_windows=3, raw=False, random_state=0,
                            verbose="error")


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory):
    """SEED-IV raw EEG and features, 1 subject, 6 trials of 3 windows."""
    return simulate_seed_iv(tmp_path_factory.mktemp("raw") / "SEED-IV", n_subjects=1,
                            sessions=(1,), n_trials=6, n_windows=3, random_state=0,
                            verbose="error")


def _copy(root, tmp_path):
    copy = tmp_path / "SEED-IV"
    shutil.copytree(root, copy)
    return copy


def _edit_mat(path, edit):
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    edit(mat)
    scipy.io.savemat(path, mat)


def _files(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(argv, capsys):
    """``(exit status, stdout, stderr)`` of the command line."""
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _real_lengths(folder, **kwargs):
    """A SEED-IV folder with the real trial lengths, read as a real folder (no marker)."""
    root = simulate_seed_iv(folder, n_subjects=1, raw=False, random_state=0, verbose="error",
                            **kwargs)
    (root / SIMULATED_MARKER).unlink()
    return root


# ---------------------------------------------------------------------------
# 1: a classifier knows the trials it was fitted on; evaluation never scores them as test


def _case_fitted_trials(tmp_path, request, capsys):
    from mne_mmvsstma.protocol import read_recordings, split_recording
    from mne_mmvsstma.training import evaluate, load_model

    root = request.getfixturevalue("short_root")
    model = tmp_path / "m.pt"
    rec = ["--subject", 1, "--session", 1]
    assert _cli(["finetune", root, *rec, "--train-trials", 22, "-o", model, *DEMO],
                capsys)[0] == 0
    rc, out, _ = _cli(["evaluate", root, "--model", model, *rec, "-q"], capsys)
    assert rc == 0 and "test trials: accuracy" in out and "on 6 windows of trials 23-24" in out
    rc, _, err = _cli(["evaluate", root, "--model", model, *rec, "--train-trials", 16, "-q"],
                      capsys)
    assert rc == 2 and "fitted on trials 1-22 of sub-1 ses-1" in err
    assert "would score trials 17-22 of them as test trials" in err
    rc, out, _ = _cli(["evaluate", root, "--model", model, *rec, "--split", "train", "-q"],
                      capsys)  # on request, and said
    assert rc == 0 and "train trials: accuracy" in out and "66 windows of trials 1-22" in out
    # the Python API: the model file keeps the trials
    clf = load_model(model)
    assert clf.fit_trials_ == [dict(dataset="SEED-IV", subject=1, session=1,
                                    trials=list(range(22)))]
    (sub1,), (sub2,) = (read_recordings(root, subjects=[s]) for s in (1, 2))
    with pytest.raises(ValueError, match=r"fitted on trials 1-22 of SEED-IV sub-1 ses-1, and "
                                         r"X holds windows of trials 17-22"):
        evaluate(clf, [split_recording(sub1, 16)[1]], verbose=False)
    assert evaluate(clf, [split_recording(sub1, 22)[1]], verbose=False)["n_samples"] == 6
    assert evaluate(clf, [split_recording(sub2, 16)[1]], verbose=False)["n_samples"] == 24


# ---------------------------------------------------------------------------
# 2, 3: protocol results are never replaced unasked, nor reused with other settings


PROTOCOL = ["--tables", "baselines", "--no-plots", *DEMO]


def _protocol(root, out, capsys, *extra):
    return _cli(["protocol", root, "--out-dir", out, *PROTOCOL, *extra], capsys)


def _n_train(out):
    import pandas as pd

    return sorted(set(pd.read_csv(out / "results.csv")["n_train"]))


def _case_resume_other_settings(tmp_path, request, capsys):
    import mne_mmvsstma.protocol.runner as runner

    root = request.getfixturevalue("short_root")
    out = tmp_path / "R"
    assert _protocol(root, out, capsys, "--train-trials", 12)[0] == 0
    assert _n_train(out) == [36]  # 12 trials of 3 windows
    # a run with other settings into the same folder, killed before its first result
    monkeypatch = request.getfixturevalue("monkeypatch")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(runner, "_run_tasks", killed)
        assert _protocol(root, out, capsys, "--overwrite")[0] == 130
    settings = json.loads((out / "results_settings.json").read_text())["settings"]
    assert settings["n_train_trials"] == repr([16, 16])
    assert not (out / "results.csv").exists()  # the 12-trial rows went with their settings
    rc, _, err = _protocol(root, out, capsys, "--train-trials", 12, "--resume")
    assert rc == 2 and "other settings" in err
    assert _protocol(root, out, capsys, "--resume")[0] == 0
    assert _n_train(out) == [48]  # every row computed with 16 training trials


def _case_out_dir_not_replaced(tmp_path, request, capsys):
    from mne_mmvsstma.protocol import run_protocol

    root = request.getfixturevalue("short_root")
    out = tmp_path / "R"
    assert _protocol(root, out, capsys, "--train-trials", 12)[0] == 0
    (out / "models").mkdir()
    (out / "models" / "pretrained_eeg.pt").write_bytes(b"an extractor of the earlier run")
    (out / "notes.txt").write_text("the user's own file")
    before = _files(out)
    rc, _, err = _protocol(root, out, capsys)
    assert rc == 2 and f"out_dir {out} is not empty" in err and "--overwrite" in err
    with pytest.raises(FileExistsError, match="pass resume=True .* or overwrite=True"):
        run_protocol(root, out_dir=out, tables="baselines", verbose=False)
    with pytest.raises(ValueError, match="pass one of them"):
        run_protocol(root, out_dir=out, tables="baselines", resume=True, overwrite=True)
    assert _files(out) == before
    assert _protocol(root, out, capsys, "--overwrite")[0] == 0
    assert _n_train(out) == [48]
    assert not (out / "models" / "pretrained_eeg.pt").exists()  # the earlier run's files
    assert (out / "notes.txt").read_text() == "the user's own file"  # only those
    # an empty folder is used as it is
    (tmp_path / "empty").mkdir()
    assert _protocol(root, tmp_path / "empty", capsys)[0] == 0


# ---------------------------------------------------------------------------
# 4: the files of a session are bound to their session by the real window counts


def _case_session_files(tmp_path, request, capsys):
    root = _real_lengths(tmp_path / "SEED-IV", sessions=(1, 2))
    assert [r.session for r in read_features(root)] == [1, 2]  # the real counts pass
    for folder in ("eeg_feature_smooth", "eye_feature_smooth"):  # session 2 as session 1
        (ses1,) = (root / folder / "1").glob("1_*.mat")
        (ses2,) = (root / folder / "2").glob("1_*.mat")
        ses1.unlink()
        shutil.copy(ses2, ses1.parent / ses2.name)
    match = (r"1/1_\d{8}\.mat: the de_LDS trials \[1, 2, .*\] have other numbers of windows "
             r"than the trials of SEED-IV session 1 \(trial 1: 55 \(expected 42\).*session 2")
    with pytest.raises(ValueError, match=match):
        read_features(root, sessions=[1])
    rc, _, err = _cli(["protocol", root, "--tables", "baselines", "--out-dir",
                       tmp_path / "res", *DEMO], capsys)
    assert rc == 2 and "session 2, not to the folder of session 1" in err
    assert not (tmp_path / "res").exists()
    # a simulated folder (marker) keeps its own trial lengths
    short = simulate_seed_iv(tmp_path / "short", n_subjects=1, n_windows=2, raw=False,
                             verbose="error")
    assert read_features(short)[0].n_windows == 48


# ---------------------------------------------------------------------------
# 5: Epochs channels are matched by name, never by position


def _case_channel_names(tmp_path, request, capsys):
    from mne_mmvsstma import DifferentialEntropy
    from mne_mmvsstma.channels import SEED_CH_NAMES
    from mne_mmvsstma.datasets import read_epochs_seed_iv
    from mne_mmvsstma.training import evaluate, finetune, load_model, pretrain, save_model

    root = request.getfixturevalue("raw_root")
    epochs = read_epochs_seed_iv(next((root / "eeg_raw_data" / "1").glob("*.mat")))
    order = list(np.random.default_rng(0).permutation(SEED_CH_NAMES))
    shuffled = epochs.copy().reorder_channels(order)
    renamed = epochs.copy().rename_channels({c: f"E{i}" for i, c in enumerate(SEED_CH_NAMES)})
    # the transformer: reordered by name to the fitted order, other names refused
    de = DifferentialEntropy(flatten=False).fit(epochs)
    np.testing.assert_array_equal(de.transform(shuffled), de.transform(epochs))
    with pytest.raises(ValueError, match=r"other channels than the channels Differential"
                                         r"Entropy was fitted on \(62 channels\): missing "
                                         r"\['FP1', 'FPZ'.* extra \['E0', 'E1'"):
        de.transform(renamed)
    # finetune / evaluate: the SEED order, whatever the order of the Epochs
    kw = dict(model_kwargs=TINY, n_epochs=0, n_windows=3, verbose=False)
    clf = finetune(epochs, **kw)
    assert clf.ch_names_ == list(SEED_CH_NAMES)
    same = finetune(shuffled, **kw)
    assert same.ch_names_ == list(SEED_CH_NAMES)
    kw = dict(on_fitted_trials="ignore", verbose=False)
    proba = evaluate(clf, epochs, **kw)["proba"]
    np.testing.assert_allclose(evaluate(same, epochs, **kw)["proba"], proba, rtol=1e-6)
    np.testing.assert_allclose(evaluate(clf, shuffled, **kw)["proba"], proba, rtol=1e-6)
    loaded = load_model(save_model(clf, tmp_path / "clf.pt"))
    np.testing.assert_allclose(evaluate(loaded, shuffled, **kw)["proba"], proba, rtol=1e-6)
    for model in (clf, loaded):
        with pytest.raises(ValueError, match=r"X has other channels than the fitted channels "
                                             r"\(62 channels\): missing \['FP1'"):
            evaluate(model, renamed, **kw)
    # an extractor pretrained on the recordings (SEED order) takes only those channels
    pre = pretrain(root, n_epochs=1, n_windows=3, model_kwargs=TINY, verbose=False)
    assert pre.ch_names_ == list(SEED_CH_NAMES)
    with pytest.raises(ValueError, match="missing .*extra \\['E0'"):
        finetune(renamed, model=pre, n_epochs=0, verbose=False)


# ---------------------------------------------------------------------------
# 6: symbolic links do not lead writers into a dataset folder


def _case_symlink_into_dataset(tmp_path, request, capsys):
    from mne_mmvsstma.protocol import run_protocol
    from mne_mmvsstma.training import pretrain, save_model

    root = request.getfixturevalue("short_root")
    link = tmp_path / "L"
    link.symlink_to(root / "eye_feature_smooth" / "1", target_is_directory=True)
    before = _files(root)
    common = ["--train-trials", 8, "--epochs", 1, *DEMO]
    for argv in (["pretrain", root, "-o", link / "m.pt", *common],
                 ["pretrain", root, "-o", tmp_path / "m.pt", "--checkpoint-dir", link / "ck",
                  *common],
                 ["protocol", root, "--out-dir", link / "res", *PROTOCOL]):
        rc, _, err = _cli(argv, capsys)
        assert rc == 2 and f"inside the dataset folder {root}" in err, err
    model = pretrain(read_features(root, subjects=[1]), n_epochs=1, n_windows=3,
                     fill_eye="interpolate", model_kwargs=TINY, verbose=False)
    with pytest.raises(ValueError, match="inside the dataset folder"):
        save_model(model, link / "m.pt")
    with pytest.raises(ValueError, match="inside the dataset folder"):
        run_protocol(root, out_dir=link / "res", tables="baselines", verbose=False)
    with pytest.raises(ValueError, match="inside the dataset folder"):
        pretrain(read_features(root, subjects=[1]), n_epochs=1, n_windows=3,
                 model_kwargs=TINY, checkpoint_dir=link / "ck", verbose=False)
    assert _files(root) == before


# ---------------------------------------------------------------------------
# 7: NaN / inf anywhere is found before any training, naming file, trials and modality


def _case_nan_before_training(tmp_path, request, capsys):
    import mne_mmvsstma.training.api as api
    from mne_mmvsstma.protocol import run_protocol

    root = _copy(request.getfixturevalue("short_root"), tmp_path)
    monkeypatch = request.getfixturevalue("monkeypatch")

    def no_training(*args, **kwargs):
        raise AssertionError("training started before the data were checked")

    monkeypatch.setattr(api, "pretrain", no_training)
    monkeypatch.setattr(api, "finetune", no_training)
    (eeg,) = (root / "eeg_feature_smooth" / "1").glob("2_*.mat")

    def damage(mat):
        mat["de_LDS20"][3, 1, 2] = np.nan  # a test trial (16 training trials)
        mat["de_LDS23"][0, 0, :2] = np.inf

    _edit_mat(eeg, damage)
    match = (rf"{eeg} \(SEED-IV sub-2 ses-1, test trials\): the EEG features hold 1 NaN and 2 "
             r"infinite values in 2 trial\(s\) \(values per trial: trial 20: 1, trial 23: 2\)")
    with pytest.raises(ValueError, match=match):
        run_protocol(root, tables="1,2,baselines", pretrain_epochs=1, verbose=False)
    rc, _, err = _cli(["protocol", root, "--out-dir", tmp_path / "res", *DEMO], capsys)
    assert rc == 2 and "trial 20: 1, trial 23: 2" in err and "fill eye" not in err
    assert not (tmp_path / "res").exists()
    shutil.copy(request.getfixturevalue("short_root") / eeg.relative_to(root), eeg)
    # eye: infinite values are not NaN, and no fill_eye method fills them
    (eye,) = (root / "eye_feature_smooth" / "1").glob("1_*.mat")
    _edit_mat(eye, lambda mat: mat["eye_18"].__setitem__((4, 1), -np.inf))
    with pytest.raises(ValueError, match=r"sub-1 ses-1, test trials\): the eye-movement "
                                         r"features hold 0 NaN and 1 infinite .*trial 18: 1\); "
                                         r"fill_eye='interpolate' fills NaN only"):
        run_protocol(root, tables="2", pretrain_epochs=1, verbose=False)


# ---------------------------------------------------------------------------
# 8: options are validated always; a model's size is the size its file says


def _case_options_and_sizes(tmp_path, request, capsys):
    from mne_mmvsstma import EmotionClassifier
    from mne_mmvsstma.protocol import read_recordings, run_protocol, split_recording
    from mne_mmvsstma.training import finetune, load_model, pretrain, save_model

    root = request.getfixturevalue("short_root")
    rec = read_recordings(root, subjects=[2])[0]  # no NaN at all
    assert np.isfinite(rec.eye).all()
    bogus = "Invalid value for the 'fill_eye' parameter"
    with pytest.raises(ValueError, match=bogus):
        split_recording(rec, 8, fill_eye="bogus")
    with pytest.raises(ValueError, match=bogus):
        finetune([rec], fill_eye="bogus", n_epochs=0, verbose=False)
    with pytest.raises(ValueError, match=bogus):
        run_protocol(root, tables="baselines", fill_eye="bogus", verbose=False)
    with pytest.raises(SystemExit):
        main(["finetune", str(root), "--subject", "2", "--session", "1", "-o",
              str(tmp_path / "c.pt"), "--fill-eye", "bogus"])
    assert "invalid choice: 'bogus'" in capsys.readouterr().err
    # a demo-size extractor: --model-size paper is a conflict, no size takes its size
    train = split_recording(rec, 8)[0]
    pre = save_model(pretrain([train], n_epochs=1, n_windows=3, verbose=False,
                              model_kwargs=dict(n_layers=1, n_decoder_layers=1, n_heads=1)),
                     tmp_path / "pre.pt")
    args = ["finetune", root, "--subject", 2, "--session", 1, "--train-trials", 8,
            "--pretrained-eeg", pre, "-q"]
    rc, _, err = _cli([*args, "--model-size", "paper", "-o", tmp_path / "paper.pt"], capsys)
    assert rc == 2 and "--model-size paper (emb_dim 16, 6 layer(s), 6 head(s)" in err
    assert "is 'demo' size (emb_dim 16, 1 layer(s), 1 head(s)" in err
    assert not (tmp_path / "paper.pt").exists()
    assert _cli([*args, "-o", tmp_path / "c.pt"], capsys)[0] == 0
    clf = load_model(tmp_path / "c.pt")
    net = clf.module_.get_config()
    assert (clf.n_layers, clf.n_heads) == (net["n_layers"], net["n_heads"]) == (1, 1)
    # the API: a conflicting size is an error, none takes the network's
    with pytest.raises(ValueError, match=r"model_kwargs set n_layers=6 \(the network: 1\)"):
        finetune([train], model=load_model(pre), model_kwargs=dict(n_layers=6), n_epochs=0,
                 verbose=False)
    assert finetune([train], model=load_model(pre), n_epochs=0, verbose=False).n_layers == 1
    # an estimator whose parameters differ from its pretrained network saves the network's
    W = np.random.default_rng(0).normal(size=(40, 62, 3, 5)).astype(np.float32)
    y, groups = np.repeat([0, 1], 20), np.repeat(np.arange(8), 5)
    est = EmotionClassifier(pretrained=load_model(pre), n_layers=6, n_heads=6,
                            max_epochs=0).fit(W, y, groups=groups)
    assert est.n_layers == 6
    assert load_model(save_model(est, tmp_path / "est.pt")).n_layers == 1


# ---------------------------------------------------------------------------
# 9: messages say what is wrong and what to do; outputs are legible


def _captured_figures(monkeypatch):
    import mne_mmvsstma.protocol.report as report

    figures, make = [], report._figure

    def keep(*args, **kwargs):
        figures.append(make(*args, **kwargs))
        return figures[-1]

    monkeypatch.setattr(report, "_figure", keep)
    return figures


def _case_messages(tmp_path, request, capsys):
    import argparse

    import pandas as pd

    from mne_mmvsstma.cli import build_parser
    from mne_mmvsstma.datasets import read_epochs_seed_iv, read_seed_features
    from mne_mmvsstma.protocol.report import (
        TABLE_TITLES,
        plot_confusion_matrices,
        plot_subject_bars,
    )
    from mne_mmvsstma.simulation import simulate_seed
    from mne_mmvsstma.training import finetune, save_model
    from mne_mmvsstma.training.checkpoint import load_file

    short = request.getfixturevalue("short_root")
    monkeypatch = request.getfixturevalue("monkeypatch")
    # a session with fewer trials: the command line names its own option, which exists
    root = _copy(short, tmp_path)
    (eeg,) = (root / "eeg_feature_smooth" / "1").glob("1_*.mat")
    (eye,) = (root / "eye_feature_smooth" / "1").glob("1_*.mat")
    _edit_mat(eeg, lambda mat: [mat.pop(k) for k in list(mat) if k.endswith("24")])
    _edit_mat(eye, lambda mat: mat.pop("eye_24"))
    rc, _, err = _protocol(root, tmp_path / "p1", capsys)
    assert rc == 2 and "Pass allow_partial=True (--allow-partial on the command line)" in err
    assert _protocol(root, tmp_path / "p1", capsys, "--allow-partial")[0] == 0
    # a model file with a changed byte in its header is called damaged
    fitted = finetune(read_features(short, subjects=[1]), fill_eye="interpolate", n_epochs=0,
                      n_windows=3, model_kwargs=TINY, verbose=False)
    fname = save_model(fitted, tmp_path / "m.pt")
    data = fname.read_bytes()
    pos = data.index(b"mne_mmvsstma-file")
    for flip in range(pos, pos + 17):
        bad = bytearray(data)
        bad[flip] ^= 0x01
        fname.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match="is damaged: its integrity record is corrupt"):
            load_file(fname, kind="model")
    for flip in range(0, 400):  # never "rewrite it with this version" for a damaged file
        bad = bytearray(data)
        bad[flip] ^= 0x01
        fname.write_bytes(bytes(bad))
        try:
            load_file(fname, kind="model")
        except ValueError as exc:
            assert "rewrite" not in str(exc) and "not a model file" not in str(exc), flip
    # Epochs without metadata: the missing trial column is named
    epochs = read_epochs_seed_iv(next((request.getfixturevalue("raw_root") / "eeg_raw_data"
                                       / "1").glob("*.mat")))
    epochs.metadata = None
    with pytest.raises(ValueError, match=r"the Epochs have no metadata\['trial'\] column "
                                         r"\(metadata is missing\), but they hold 4 emotions"):
        finetune(epochs, model_kwargs=TINY, n_epochs=0, verbose=False)
    # SEED has no eye data at all
    seed = simulate_seed(tmp_path / "SEED", n_subjects=1, n_trials=6, n_windows=3, raw=False,
                         verbose="error")
    with pytest.raises(ValueError, match="SEED has no eye-movement data: use an EEG-only"):
        finetune(read_seed_features(seed), fusion="concat", n_epochs=0, verbose=False)
    # a read-only out-dir: said before any work, no raw error on a temporary file
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    with monkeypatch.context() as m:
        m.setattr(os, "access", lambda p, mode: False if str(p) == str(ro) else real(p, mode))
        rc, _, err = _protocol(short, ro, capsys)
    assert rc == 2 and f"out_dir {ro}: permission denied" in err and ".tmp" not in err
    # evaluate prints the accuracy once, and says why a confusion row is empty
    model = tmp_path / "clf.pt"
    rec = ["--subject", 1, "--session", 1, "--train-trials", 16]
    assert _cli(["finetune", short, *rec, "-o", model, *DEMO], capsys)[0] == 0
    rc, out, err = _cli(["evaluate", short, "--model", model, *rec[:4]], capsys)
    assert rc == 0 and (out + err).lower().count("accuracy") == 1
    absent = [line for line in out.splitlines() if line.endswith("(no test trial of this class)")]
    assert [line.split()[0] for line in absent] == ["sad"]  # trials 17-24: no sad one
    # figures: whole titles; empty confusion rows say the class is not in the test trials
    figures = _captured_figures(monkeypatch)
    rows = [dict(model=m, setting=s, subject=sub, accuracy=0.5)
            for m in ("MV-SSTMA-EEG", "MV-SSTMA-EYE") for s in ("w/o pretraining",
                                                                  "pretrained")
            for sub in (1, 2)]
    plot_subject_bars(pd.DataFrame(rows), tmp_path / "bars.png", title=TABLE_TITLES["1"])
    plot_confusion_matrices({"Att": np.array([[3, 1], [0, 0]])}, tmp_path / "cm.png",
                            class_names=["neutral", "sad"], title=TABLE_TITLES["4"])
    for fig in figures:
        box = fig.bbox
        title = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
        assert box.x0 <= title.x0 and title.x1 <= box.x1 and title.y1 <= box.y1
    ticks = [t.get_text() for t in figures[1].axes[0].get_yticklabels()]
    assert ticks == ["neutral", "sad\n(not in test)"]
    # every option of every command has help text, with its default where it has one
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings:
                continue
            what = f"{name} {action.option_strings[-1]}"
            assert action.help, what
            if action.default not in (None, False, argparse.SUPPRESS):
                assert "default" in action.help, what


CASES = {
    "1-evaluate-never-scores-fitted-trials": _case_fitted_trials,
    "2-resume-never-reuses-results-of-other-settings": _case_resume_other_settings,
    "3-out-dir-never-replaced-unasked": _case_out_dir_not_replaced,
    "4-session-files-bound-by-window-counts": _case_session_files,
    "5-channels-matched-by-name": _case_channel_names,
    "6-symlinks-never-lead-into-datasets": _case_symlink_into_dataset,
    "7-non-finite-values-found-before-training": _case_nan_before_training,
    "8-options-validated-sizes-consistent": _case_options_and_sizes,
    "9-messages-say-what-is-wrong": _case_messages,
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_real_data_reliability(case, tmp_path, request, capsys):
    case(tmp_path, request, capsys)
