"""The mne-mmvsstma command line."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import numpy as np
import pytest

from mne_mmvsstma.cli import build_parser, main
from mne_mmvsstma.training import load_model

TINY_EPOCHS = ["--epochs", "2"]


@pytest.fixture(scope="module")
def seed_iv_root(tmp_path_factory):
    from mne_mmvsstma.simulation import simulate_seed_iv

    root = tmp_path_factory.mktemp("SEED-IV")
    return simulate_seed_iv(root, n_subjects=2, sessions=(1,), n_trials=12, n_windows=3,
                            raw=False, random_state=0, verbose=False)




def test_entry_point_and_help(capsys):
    eps = entry_points(group="console_scripts")
    assert any(ep.name == "mne-mmvsstma" and ep.value == "mne_mmvsstma.cli:main" for ep in eps)
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    assert "--out-dir" in capsys.readouterr().out
    for cmd in ("demo", "pretrain", "finetune", "evaluate", "protocol"):
        assert cmd in build_parser().format_help()


def test_cli_import_is_light():
    code = "import sys, mne_mmvsstma.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    ret = main(["demo", "--out-dir", str(out), "--subjects", "2", "--windows", "4",
                "--epochs", "2", "--pretrain-epochs", "1", "--tables", "2,baselines", "-q"])
    assert ret == 0
    text = capsys.readouterr().out
    for word in ("Table 2", "MV-SSTMA-EEG", "Concat", "Att", "SVM-EEG", "chance level 25%"):
        assert word in text
    assert (out / "SEED-IV" / "eeg_feature_smooth" / "1").is_dir()
    assert (out / "results" / "summary.md").is_file()
    assert (out / "results" / "bars_table2.png").is_file()
    # the demo keeps three members (the recipe's SEED-IV protocol has six)
    assert '"ensemble": "3"' in (out / "results" / "results_settings.json").read_text()


def test_pretrain_finetune_evaluate(seed_iv_root, tmp_path, capsys):
    common = ["--train-trials", "8", "--model-size", "demo", "-q"]
    eeg, eye, clf = tmp_path / "eeg.pt", tmp_path / "eye.pt", tmp_path / "clf.pt"
    assert main(["pretrain", str(seed_iv_root), "-o", str(eeg), *TINY_EPOCHS, *common]) == 0
    assert main(["pretrain", str(seed_iv_root), "--modality", "eye", "-o", str(eye),
                 "--epochs", "1", "--checkpoint-dir", str(tmp_path / "ck"), *common]) == 0
    assert (tmp_path / "ck" / "pretrain_eye.pt").is_file()
    assert "Pretrained eye extractor on 2 recordings" in capsys.readouterr().out
    assert main(["finetune", str(seed_iv_root), "--subject", "1", "--session", "1",
                 "--fusion", "attention", "--pretrained-eeg", str(eeg), "--pretrained-eye",
                 str(eye), "-o", str(clf), *TINY_EPOCHS, *common]) == 0
    text = capsys.readouterr().out
    assert "Fine-tuned attention classifier for sub-1 ses-1" in text
    # what was kept: a fine-tuned epoch, or the linear probe when none beat it on held-out trials
    fitted = load_model(clf)
    kept = (f"(best epoch {fitted.best_epoch_}, validation accuracy" if fitted.best_epoch_
            else "(the linear probe, no fine-tuned epoch beat it, validation accuracy")
    assert kept in text
    assert main(["evaluate", str(seed_iv_root), "--model", str(clf), "--subject", "1",
                 "--session", "1", "--train-trials", "8", "-q"]) == 0
    text = capsys.readouterr().out
    assert "test trials: accuracy" in text and "on 12 windows" in text
    assert "confusion matrix" in text and "mean attention weights" in text
    # single modality from a pretrained eye extractor
    clf_eye = tmp_path / "clf_eye.pt"
    assert main(["finetune", str(seed_iv_root), "--subject", "2", "--session", "1",
                 "--pretrained-eye", str(eye), "-o", str(clf_eye), *TINY_EPOCHS,
                 *common]) == 0
    assert "Fine-tuned eye classifier" in capsys.readouterr().out


def test_protocol_command(seed_iv_root, tmp_path, capsys):
    out = tmp_path / "proto"
    assert main(["protocol", str(seed_iv_root), "--tables", "baselines", "--out-dir", str(out),
                 "--train-trials", "8", "--no-plots", "-q"]) == 0
    text = capsys.readouterr().out
    assert "SVM-Concat" in text and "Baselines" in text
    assert (out / "results.csv").is_file() and not (out / "bars_tablebaselines.png").exists()
    # --ensemble reaches run_protocol (it is bound to the stored settings)
    settings = (out / "results_settings.json").read_text()
    assert '"ensemble": "6"' in settings  # the recipe's for SEED-IV
    out2 = tmp_path / "proto1"
    assert main(["protocol", str(seed_iv_root), "--tables", "baselines", "--out-dir", str(out2),
                 "--train-trials", "8", "--no-plots", "--ensemble", "1", "-q"]) == 0
    assert '"ensemble": "1"' in (out2 / "results_settings.json").read_text()
    # --n-jobs: the recordings in two processes, the same results
    out3 = tmp_path / "proto2"
    assert main(["protocol", str(seed_iv_root), "--tables", "baselines", "--out-dir", str(out3),
                 "--train-trials", "8", "--no-plots", "--n-jobs", "2", "-q"]) == 0
    assert (out3 / "results.csv").read_text() == (out / "results.csv").read_text()
    with pytest.raises(SystemExit) as exc:
        main(["protocol", str(seed_iv_root), "--ensemble", "0"])
    assert exc.value.code == 2
    assert "--ensemble" in capsys.readouterr().err


def test_cli_errors(seed_iv_root, tmp_path, capsys):
    ret = main(["evaluate", str(seed_iv_root), "--model", str(tmp_path / "missing.pt"),
                "--subject", "1", "--session", "1", "--train-trials", "8", "-q"])
    assert ret == 2
    assert "model does not exist" in capsys.readouterr().err
    ret = main(["protocol", str(tmp_path / "nope"), "--tables", "2", "-q"])
    assert ret == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["protocol", str(seed_iv_root), "--subjects", "a,b"])


def test_recipe_options(seed_iv_root, tmp_path, monkeypatch, capsys):
    """Options left unset take the --recipe's settings; given options win; --help says so."""
    import mne_mmvsstma.protocol
    import mne_mmvsstma.training
    from mne_mmvsstma.training.recipe import get_recipe

    seen = {}

    class Stop(Exception):
        pass

    def capture(name):
        def fn(*args, **kwargs):
            seen[name] = kwargs
            raise Stop
        return fn

    monkeypatch.setattr(mne_mmvsstma.training, "pretrain", capture("pretrain"))
    monkeypatch.setattr(mne_mmvsstma.protocol, "run_protocol", capture("protocol"))
    default, paper = get_recipe("default"), get_recipe("paper")
    base = ["pretrain", str(seed_iv_root), "--train-trials", "8", "-o", str(tmp_path / "m.pt")]
    for recipe, args in (("default", []), ("paper", ["--recipe", "paper"])):
        with pytest.raises(Stop):
            main(base + args)
        r = get_recipe(recipe)
        got = seen["pretrain"]
        assert (got["mask_ratio"], got["n_epochs"], got["lr"], got["whitening"]) == (
            r["pretrain_mask_ratio"], r["pretrain_epochs"], r["pretrain_lr"], r["whitening"])
        assert got["model_kwargs"]["n_layers"] == r["model_kwargs"]["n_layers"]
    with pytest.raises(Stop):
        main(base + ["--recipe", "paper", "--epochs", "2", "--model-size", "demo"])
    assert seen["pretrain"]["n_epochs"] == 2 and seen["pretrain"]["lr"] == paper["pretrain_lr"]
    assert seen["pretrain"]["model_kwargs"]["n_layers"] == 1
    with pytest.raises(Stop):
        main(["protocol", str(seed_iv_root), "--out-dir", str(tmp_path / "p")])
    got = seen["protocol"]
    assert got["recipe"] == "default" and got["tables"] == "1,2,baselines"
    assert all(got[k] is None for k in ("pretrain_epochs", "pretrain_mask_ratio",
                                        "finetune_epochs", "model_kwargs", "classifier_kwargs"))
    with pytest.raises(Stop):
        main(["protocol", str(seed_iv_root), "--out-dir", str(tmp_path / "p"), "--recipe",
              "paper", "--probe-c", "0"])
    assert seen["protocol"]["recipe"] == "paper"
    assert seen["protocol"]["classifier_kwargs"] == {"probe_C": None}
    assert default["pretrain_epochs"] < paper["pretrain_epochs"]
    with pytest.raises(SystemExit):
        main(["protocol", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--recipe {default,paper}" in text and "took 15-17 min on 2 CPU cores" in text


def test_pretrain_feature_option(seed_iv_root, tmp_path, monkeypatch, capsys):
    """--feature / --pretrain-feature choose the EEG pretraining corpus's feature family."""
    import mne_mmvsstma.protocol
    import mne_mmvsstma.training
    from mne_mmvsstma.datasets import read_seed_iv_features
    from mne_mmvsstma.training.recipe import get_recipe

    seen = {}

    class Stop(Exception):
        pass

    def capture(name):
        def fn(*args, **kwargs):
            seen[name] = (args, kwargs)
            raise Stop
        return fn

    monkeypatch.setattr(mne_mmvsstma.training, "pretrain", capture("pretrain"))
    monkeypatch.setattr(mne_mmvsstma.protocol, "run_protocol", capture("protocol"))
    base = ["pretrain", str(seed_iv_root), "--train-trials", "8", "-o", str(tmp_path / "m.pt")]
    recipe_feature = get_recipe()["pretrain_feature"] or "de_LDS"
    for extra, feature in (([], recipe_feature), (["--feature", "de_movingAve"], "de_movingAve"),
                           (["--feature", "de_LDS"], "de_LDS"), (["--modality", "eye"], "de_LDS")):
        with pytest.raises(Stop):
            main(base + extra)
        want = read_seed_iv_features(seed_iv_root, feature=feature, verbose="error")
        (data,), kwargs = seen["pretrain"]
        assert len(data) == len(want) == 2
        for part, rec in zip(data, want):
            np.testing.assert_array_equal(part.eeg, rec.eeg[rec.trial_ids < 8])
        # another family than the classifiers': the whitening learns from de_LDS
        white = kwargs["whitening_data"]
        if feature == "de_LDS":
            assert white is None
        else:
            lds = read_seed_iv_features(seed_iv_root, verbose="error")
            for part, rec in zip(white, lds):
                np.testing.assert_array_equal(part.eeg, rec.eeg[rec.trial_ids < 8])
        assert kwargs["whitening_covariance"] == "auto" and kwargs["target"] == "self"
    with pytest.raises(Stop):
        main(["protocol", str(seed_iv_root), "--out-dir", str(tmp_path / "p"),
              "--pretrain-feature", "de_movingAve"])
    assert seen["protocol"][1]["pretrain_feature"] == "de_movingAve"
    with pytest.raises(SystemExit):
        main(base + ["--feature", "psd_LDS"])
    assert main(base + ["--modality", "eye", "--feature", "de_movingAve"]) == 2
    assert "for --modality eeg only" in capsys.readouterr().err
    # --target: what the masked channels are compared with (default: the recipe's)
    assert kwargs["target"] == get_recipe()["pretrain_target"]
    with pytest.raises(Stop):
        main(base + ["--target", "teacher"])
    assert seen["pretrain"][1]["target"] == "teacher"
    with pytest.raises(SystemExit):
        main(base + ["--target", "others"])
    assert "invalid choice: 'others'" in capsys.readouterr().err
