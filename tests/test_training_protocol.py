"""Protocol runner, SVM baselines and reports on a tiny simulated SEED-IV folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mne_mmvsstma.protocol import run_protocol, split_recording, svm_baseline  # noqa: E402
from mne_mmvsstma.protocol.report import format_summary, summarize  # noqa: E402
from mne_mmvsstma.protocol.runner import read_recordings  # noqa: E402
from mne_mmvsstma.simulation import simulate_seed_iv  # noqa: E402

TINY = dict(emb_dim=8, n_layers=1, n_decoder_layers=1, n_heads=1, head_dim=8)
# 12 trials x 4 windows; the first 8 trials (all 4 classes) train, the last 4 test
N_TRIALS, N_TRAIN = 12, 8


@pytest.fixture(scope="module")
def seed_iv_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("SEED-IV")
    return simulate_seed_iv(root, n_subjects=2, sessions=(1,), n_trials=N_TRIALS, n_windows=4,
                            raw=False, random_state=0, verbose=False)




def test_split_recording(seed_iv_root):
    rec = read_recordings(seed_iv_root, subjects=[1])[0]
    assert np.isnan(rec.eye).any()  # the simulated files contain NaN like the real ones
    train, test = split_recording(rec, N_TRAIN, fill_eye="interpolate")
    assert set(np.unique(train.trial_ids)) == set(range(N_TRAIN))
    assert set(np.unique(test.trial_ids)) == set(range(N_TRAIN, N_TRIALS))
    assert len(train.labels) + len(test.labels) == rec.n_windows
    assert np.isfinite(train.eye).all() and np.isfinite(test.eye).all()
    full = rec.__class__(**{**rec.__dict__, "trial_ids": np.repeat(np.arange(24), 2),
                            "labels": np.zeros(48, int), "eeg": None, "eye": None})
    tr, te = split_recording(full)  # SEED-IV default: 16 / 8 trials
    assert len(np.unique(tr.trial_ids)) == 16 and len(np.unique(te.trial_ids)) == 8
    with pytest.raises(ValueError, match="n_train_trials"):
        split_recording(rec, N_TRIALS)


def test_svm_baseline_beats_chance(seed_iv_root):
    recs = read_recordings(seed_iv_root)
    accs = []
    for rec in recs:
        train, test = split_recording(rec, N_TRAIN, fill_eye="interpolate")
        for modality in ("eeg", "eye", "concat"):
            res = svm_baseline(train, test, modality=modality)
            assert res["confusion_matrix"].sum() == len(test.labels)
            accs.append(res["accuracy"])
    assert np.mean(accs) > 0.4  # chance 0.25
    with pytest.raises(ValueError, match="NaN"):
        svm_baseline(*split_recording(recs[0], N_TRAIN), modality="eye")


def test_run_protocol_all_tables(seed_iv_root, tmp_path, monkeypatch):
    out = tmp_path / "out"
    kw = dict(n_train_trials=N_TRAIN, pretrain_epochs=1, finetune_epochs=1, n_labels=2,
              model_kwargs=TINY, batch_size=16, verbose=False)
    result = run_protocol(seed_iv_root, out_dir=out, tables="1,2,3,4,baselines", **kw)
    res = result.results
    # rows per recording: T1 4, T2 3, T3 3, T4 9, baselines 3
    assert len(res) == 2 * 22
    assert set(res["table"]) == {"1", "2", "3", "4", "baselines"}
    assert res["accuracy"].between(0, 1).all()
    t3 = res[res["table"] == "3"]
    assert (t3["n_labeled"] == 2 * N_TRAIN).all()  # 2 labels per training trial
    # identical configurations are fitted once and reported in both tables
    t1 = res[(res["table"] == "1") & (res["setting"] == "pretrained")
             & (res["model"] == "MV-SSTMA-EEG")]
    t2 = res[(res["table"] == "2") & (res["model"] == "MV-SSTMA-EEG")]
    np.testing.assert_array_equal(t1["accuracy"].to_numpy(), t2["accuracy"].to_numpy())
    for name in ("results.csv", "summary.csv", "summary.md", "bars_table1.png",
                 "confusion_table4.png", "bars_tablebaselines.png",
                 "models/pretrained_eeg.pt", "models/pretrained_eye.pt"):
        assert (out / name).is_file(), name
    assert (out / "bars_table2.png").read_bytes()[:4] == b"\x89PNG"
    csv = pd.read_csv(out / "results.csv")
    assert list(csv.columns[:7]) == ["dataset", "table", "model", "setting", "subject",
                                     "session", "accuracy"]
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 22 and summary["n_subjects"].eq(2).all()
    md = (out / "summary.md").read_text()
    assert "Table 4" in md and "mask 70%" in md and "SVM-Concat" in md
    assert "(paper)" in md and "90.16/5.44" in md  # reference values of the real data
    text = str(result)
    assert "Att" in text and "/" in text

    # resume: everything is read back, nothing is refitted
    from mne_mmvsstma.training import api

    def fail(*args, **kwargs):
        raise AssertionError("should not train when resuming a finished run")

    monkeypatch.setattr(api, "finetune", fail)
    monkeypatch.setattr(api, "pretrain", fail)
    again = run_protocol(seed_iv_root, out_dir=out, resume=True, tables="1,2,3,4,baselines",
                         **kw)
    pd.testing.assert_frame_equal(again.results, result.results, check_dtype=False)


def test_run_protocol_eye_only_folder(seed_iv_root, tmp_path):
    """Without eeg_feature_smooth/ the eye rows run; tables with EEG rows only are refused."""
    import shutil

    from mne.utils import catch_logging

    from mne_mmvsstma.protocol.runner import DEFAULT_TABLES, _parse_tables, _table_rows

    root = shutil.copytree(seed_iv_root, tmp_path / "eye_only")
    shutil.rmtree(root / "eeg_feature_smooth")
    kw = dict(n_train_trials=N_TRAIN, pretrain_epochs=1, model_kwargs=TINY, ensemble=1,
              plot=False)
    with catch_logging() as log:
        result = run_protocol(root, tables="1,baselines", verbose="info", **kw)
    text = log.getvalue()
    assert ("no EEG features: skipping ['MV-SSTMA-EEG', 'SVM-EEG', 'SVM-Concat']"
            in text), text
    res = result.results
    assert sorted(set(zip(res["model"], res["setting"]))) == [
        ("MV-SSTMA-EYE", "pretrained"), ("MV-SSTMA-EYE", "w/o pretraining"),
        ("SVM-EYE", "all labels")]
    assert len(res) == 2 * 3 and res["accuracy"].between(0, 1).all()
    # the SVM-EYE rows equal those of the folder with EEG
    full = run_protocol(seed_iv_root, tables="baselines", verbose=False, **kw).results
    pd.testing.assert_frame_equal(
        res[res["model"] == "SVM-EYE"].reset_index(drop=True)[["subject", "accuracy"]],
        full[full["model"] == "SVM-EYE"].reset_index(drop=True)[["subject", "accuracy"]])
    # tables without an eye row, asked for, are an error naming them
    for tables, match in (("2", "Table 2 needs EEG features"),
                          ("1,2,4", "Tables 2, 4 need EEG features")):
        with pytest.raises(ValueError, match=match + ".*eye_feature_smooth"):
            run_protocol(root, tables=tables, verbose=False, **kw)
    # the default tables run their eye rows (Table 2 has none: skipped, not an error)
    rows = _table_rows(_parse_tables(DEFAULT_TABLES), 10, "trial", (0.3,), True,
                       has_eeg=False, explicit=False)
    assert [r[1] for r in rows] == ["MV-SSTMA-EYE", "MV-SSTMA-EYE", "SVM-EYE"]


def test_run_protocol_seed_ensemble(seed_iv_root, tmp_path, monkeypatch):
    from mne_mmvsstma.protocol.runner import member_seeds
    from mne_mmvsstma.training import api

    assert member_seeds(7, 1) == [7] and member_seeds(7, 3) == [7, 8, 9]
    drawn = member_seeds(np.random.default_rng(0), 3)
    assert len(set(drawn)) == 3 and drawn == member_seeds(np.random.default_rng(0), 3)
    out = tmp_path / "out"
    kw = dict(tables="2", n_train_trials=N_TRAIN, pretrain_epochs=1, model_kwargs=TINY,
              subjects=[1], plot=False, verbose=False)
    # each result averages the probabilities of one classifier per pretrained extractor
    # (fitted and evaluated per member, as soon as the member's extractors are trained)
    fitted, evaluate = [], api.evaluate

    def spy(model, *args, **kwargs):
        res = evaluate(model, *args, **kwargs)
        fitted.append((model, res["proba"]))
        return res

    monkeypatch.setattr(api, "evaluate", spy)
    result = run_protocol(seed_iv_root, out_dir=out, ensemble=2, **kw)
    for name in ("pretrained_eeg.pt", "pretrained_eeg_1.pt", "pretrained_eye_1.pt"):
        assert (out / "models" / name).is_file(), name
    assert len(fitted) == 2 * 3 and len(result.results) == 3  # EEG, Concat, Att
    test = split_recording(read_recordings(seed_iv_root, subjects=[1])[0], N_TRAIN,
                           fill_eye="interpolate")[1]
    assert [m.random_state for m, _ in fitted] == [0, 0, 0, 1, 1, 1]  # member by member
    first = []
    for (m0, p0), (m1, p1), (_, row) in zip(fitted[:3], fitted[3:], result.results.iterrows()):
        assert not isinstance(m0, list) and type(m0) is type(m1)
        assert not np.allclose(p0, p1)  # two different members
        # the ensemble of the two, evaluated by the public API
        ens = evaluate([m0, m1], [test], verbose=False)
        np.testing.assert_allclose(ens["proba"], (p0 + p1) / 2, rtol=1e-6)
        assert row["accuracy"] == ens["accuracy"]
        assert json.loads(row["confusion_matrix"]) == ens["confusion_matrix"].tolist()
        first.append(p0)
    # member 0 is the plain run
    fitted.clear()
    run_protocol(seed_iv_root, ensemble=1, **kw)
    assert len(fitted) == 3
    for (_, proba), member0 in zip(fitted, first):
        np.testing.assert_allclose(proba, member0, rtol=1e-6)
    monkeypatch.setattr(api, "evaluate", evaluate)
    # resume is bound to the ensemble size
    with pytest.raises(ValueError, match="ensemble"):
        run_protocol(seed_iv_root, out_dir=out, resume=True, ensemble=3, **kw)
    with pytest.raises(ValueError, match="ensemble must be an int >= 1"):
        run_protocol(seed_iv_root, ensemble=0, **kw)


def test_run_protocol_n_jobs_equals_one_process(seed_iv_root, tmp_path):
    """Fits in two processes (one torch thread each, as here) give the same results."""
    import torch

    kw = dict(tables="1,2,baselines", n_train_trials=N_TRAIN, pretrain_epochs=1,
              model_kwargs=TINY, ensemble=2, plot=False, verbose=False)
    assert torch.get_num_threads() == 1  # conftest: the workers get as many threads
    one = run_protocol(seed_iv_root, **kw)
    two = run_protocol(seed_iv_root, out_dir=tmp_path / "out", n_jobs=2, **kw)
    assert len(two.results) == 2 * 10 and two.results["subject"].nunique() == 2
    pd.testing.assert_frame_equal(two.results, one.results)
    # the parent process wrote the models and the results of every recording
    assert len(list((tmp_path / "out" / "models").glob("pretrained_*.pt"))) == 4
    assert len(pd.read_csv(tmp_path / "out" / "results.csv")) == 20
    for bad, match in [(0, "n_jobs must be a positive"), (-2, "n_jobs must be an int"),
                       (1.5, "n_jobs must be an int")]:
        with pytest.raises((ValueError, TypeError), match=match):
            run_protocol(seed_iv_root, n_jobs=bad, **kw)


def _nap(seconds, pretrained=None):
    import time

    time.sleep(seconds)
    return seconds, pretrained


def test_run_tasks_starts_each_fit_when_its_extractors_are_ready():
    """A fit waits only for the results it needs; a free process takes the next ready task."""
    from mne_mmvsstma.protocol.runner import _run_tasks, _Task

    tasks = [_Task("slow", _nap, (3.0,), {}), _Task("fast", _nap, (0.2,), {}),
             _Task("on fast", _nap, (0.2,), {}, {"eeg": "fast"}),
             _Task("on slow", _nap, (0.2,), {}, {"eeg": "slow", "eye": "fast"})]
    done = {}
    order = [(task.key, result) for task, result, _ in _run_tasks(2, tasks, done)]
    # the fit on the fast extractor ran while the slow one still trained
    assert [key for key, _ in order] == ["fast", "on fast", "slow", "on slow"]
    assert dict(order)["on fast"] == (0.2, {"eeg": (0.2, None)})
    assert dict(order)["on slow"] == (0.2, {"eeg": (3.0, None), "eye": (0.2, None)})
    assert set(done) == {t.key for t in tasks}
    # one job: here, in order; results of an earlier run count as done
    done = {"slow": "loaded"}
    order = [(t.key, r) for t, r, _ in _run_tasks(1, tasks[1:], done)]
    assert order == [("fast", (0.2, None)), ("on fast", (0.2, {"eeg": (0.2, None)})),
                     ("on slow", (0.2, {"eeg": "loaded", "eye": (0.2, None)}))]
    with pytest.raises(RuntimeError, match="wait for results that no task computes"):
        list(_run_tasks(1, tasks[2:], {}))


@pytest.mark.parametrize("dataset, members", [("SEED-IV", 6), ("SEED", 5)])
def test_run_protocol_default_ensemble(dataset, members, seed_iv_root, tmp_path):
    """ensemble=None takes the dataset's recipe (SEED: five members, SEED-IV: six)."""
    from mne_mmvsstma.simulation import simulate_seed

    root = seed_iv_root if dataset == "SEED-IV" else simulate_seed(
        tmp_path / "SEED", n_subjects=1, n_trials=6, n_windows=3, raw=False, verbose=False)
    out = tmp_path / "out"
    run_protocol(root, tables="baselines", n_train_trials=3, subjects=[1], out_dir=out,
                 plot=False, verbose=False)
    settings = json.loads((out / "results_settings.json").read_text())["settings"]
    assert settings["dataset"] == repr(dataset) and settings["ensemble"] == repr(members)


def test_evaluate_ensemble_errors(seed_iv_root):
    from mne_mmvsstma.training import api

    train, test = split_recording(read_recordings(seed_iv_root, subjects=[1])[0], N_TRAIN,
                                  fill_eye="interpolate")
    clf = api.finetune([train], modality="eeg", n_epochs=0, model_kwargs=TINY, verbose=False)
    keep = np.isin(train.labels, [0, 1])
    few = split_recording(read_recordings(seed_iv_root, subjects=[1])[0], N_TRAIN)[0]
    few = few.__class__(**{**few.__dict__, "eeg": few.eeg[keep], "eye": None,
                           "labels": few.labels[keep], "trial_ids": few.trial_ids[keep]})
    other = api.finetune([few], modality="eeg", n_epochs=0, model_kwargs=TINY, verbose=False)
    with pytest.raises(ValueError, match="share their classes"):
        api.evaluate([clf, other], [test], verbose=False)
    shorter = api.finetune([train], modality="eeg", n_epochs=0, model_kwargs=TINY, n_windows=2,
                           verbose=False)
    with pytest.raises(ValueError, match="must take the same inputs"):
        api.evaluate([clf, shorter], [test], verbose=False)
    with pytest.raises(ValueError, match="empty list"):
        api.evaluate([], [test], verbose=False)
    with pytest.raises(TypeError, match="fitted EmotionClassifier"):
        api.evaluate([clf, "model"], [test], verbose=False)
    # an ensemble of one equals the classifier
    np.testing.assert_array_equal(api.evaluate([clf], [test], verbose=False)["proba"],
                                  api.evaluate(clf, [test], verbose=False)["proba"])


def test_run_protocol_errors(seed_iv_root, tmp_path):
    with pytest.raises(ValueError, match="tables"):
        run_protocol(seed_iv_root, tables="5", verbose=False)
    with pytest.raises(ValueError, match="NaN"):
        run_protocol(seed_iv_root, tables="baselines", fill_eye=None,
                     n_train_trials=N_TRAIN, verbose=False)
    with pytest.raises(FileNotFoundError):
        run_protocol(tmp_path / "nope", tables="2", verbose=False)
    with pytest.raises(ValueError, match="resume=True needs out_dir"):
        run_protocol(seed_iv_root, tables="2", resume=True, verbose=False)


def test_summarize_paper_format():
    rows = []
    for subject, accs in ((1, (0.8, 0.9)), (2, (0.6, 0.6))):
        for session, acc in enumerate(accs, 1):
            rows.append(dict(dataset="SEED-IV", table="2", model="Att", setting="all labels",
                             subject=subject, session=session, accuracy=acc))
    summary = summarize(pd.DataFrame(rows))
    row = summary.iloc[0]
    # sessions averaged per subject (85 %, 60 %), then mean/std over subjects
    assert row["mean"] == pytest.approx(72.5) and row["std"] == pytest.approx(12.5)
    assert row["mean/std"] == "72.50/12.50" and row["n_subjects"] == 2 and row["n_fits"] == 4
    text = format_summary(summary, paper=True)
    assert "72.50/12.50" in text and "90.16/5.44" in text
    md = format_summary(summary, markdown=True)
    assert md.startswith("## Table 2") and "| model" in md


def test_run_protocol_defaults_are_the_recipe(seed_iv_root, monkeypatch):
    """Without options: Tables 1, 2 and baselines with the default recipe's settings; the
    paper's recipe one argument away; explicit settings win over the recipe's."""
    from mne_mmvsstma.protocol import runner
    from mne_mmvsstma.training import recipe as recipe_mod

    calls = {"pretrain": [], "finetune": []}

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            calls[name].append(kwargs)
            return fn(*args, **kwargs)
        return wrapped

    from mne_mmvsstma.training import api
    monkeypatch.setattr(api, "pretrain", spy("pretrain", api.pretrain))
    monkeypatch.setattr(api, "finetune", spy("finetune", api.finetune))
    # a recipe cut to one tiny epoch and one member, so that the test runs in seconds
    tiny = dict(recipe_mod.RECIPES["default"], pretrain_epochs=1, ensemble=1,
                model_kwargs=dict(TINY, pool="channels"))
    monkeypatch.setitem(recipe_mod.RECIPES, "default", tiny)
    res = runner.run_protocol(seed_iv_root, n_train_trials=N_TRAIN, verbose=False).results
    assert list(dict.fromkeys(res["table"])) == ["1", "2", "baselines"]
    pre = calls["pretrain"][0]
    assert (pre["mask_ratio"], pre["n_epochs"], pre["lr"], pre["whitening"]) == (
        tiny["pretrain_mask_ratio"], 1, tiny["pretrain_lr"], tiny["whitening"])
    assert pre["whitening_covariance"] == tiny["whitening_covariance"] == "auto"
    assert pre["model_kwargs"] == tiny["model_kwargs"]
    fit = calls["finetune"][0]
    assert (fit["n_epochs"], fit["probe_C"], fit["lr"]) == (0, tiny["probe_C"], 1e-3)
    assert len(calls["pretrain"]) == 2  # eeg and eye, one member each
    # the paper's recipe: its settings, unless given
    calls["pretrain"].clear()
    calls["finetune"].clear()
    paper = recipe_mod.get_recipe("paper")
    runner.run_protocol(seed_iv_root, recipe="paper", tables="1", n_train_trials=N_TRAIN,
                        pretrain_epochs=1, finetune_epochs=1, model_kwargs=TINY,
                        subjects=[1], verbose=False)
    pre = calls["pretrain"][0]
    assert (pre["mask_ratio"], pre["n_epochs"], pre["lr"], pre["whitening"]) == (
        0.3, 1, paper["pretrain_lr"], None)
    fit = calls["finetune"][0]
    assert (fit["n_epochs"], fit["probe_C"]) == (1, None)
    assert len(calls["pretrain"]) == 2  # the paper's recipe: one model per setting
    with pytest.raises(ValueError, match="recipe"):
        runner.run_protocol(seed_iv_root, recipe="fast", verbose=False)


def test_run_protocol_pretrain_feature(seed_iv_root, tmp_path, monkeypatch):
    """pretrain_feature: the EEG extractors learn from the training windows of another
    feature family; the eye extractors and every classifier keep their own features."""
    from mne_mmvsstma.datasets import read_seed_iv_features
    from mne_mmvsstma.protocol import runner
    from mne_mmvsstma.training import api

    corpora, fits, whitening = {}, [], {}

    def spy_pretrain(parts, **kwargs):
        corpora[kwargs["modality"]] = parts
        whitening[kwargs["modality"]] = kwargs["whitening_data"]
        return pretrain(parts, **kwargs)

    def spy_finetune(data, **kwargs):
        fits.append(data[0])
        return finetune(data, **kwargs)

    pretrain, finetune = api.pretrain, api.finetune
    monkeypatch.setattr(api, "pretrain", spy_pretrain)
    monkeypatch.setattr(api, "finetune", spy_finetune)
    kw = dict(tables="2", n_train_trials=N_TRAIN, subjects=[1, 2], pretrain_epochs=1,
              model_kwargs=TINY, ensemble=1, verbose=False)
    res = run_protocol(seed_iv_root, pretrain_feature="de_movingAve", **kw)
    assert res.results["accuracy"].between(0, 1).all()
    lds = read_seed_iv_features(seed_iv_root, verbose="error")
    ma = read_seed_iv_features(seed_iv_root, feature="de_movingAve", eye=False, verbose="error")
    assert not np.allclose(lds[0].eeg, ma[0].eeg)  # two feature families
    for parts, rec_ma, rec_lds in zip(corpora["eeg"], ma, lds):
        train = rec_ma.trial_ids < N_TRAIN  # the training trials only, no test window
        np.testing.assert_array_equal(parts.eeg, rec_ma.eeg[train])
        np.testing.assert_array_equal(parts.trial_ids, rec_lds.trial_ids[train])
        assert parts.eye is None
    for parts, rec_lds in zip(corpora["eye"], lds):
        np.testing.assert_array_equal(parts.eeg, rec_lds.eeg[rec_lds.trial_ids < N_TRAIN])
    # the EEG whitening learns from the classifiers' de_LDS windows of the same trials
    assert whitening["eye"] is None
    for parts, rec_lds in zip(whitening["eeg"], lds):
        np.testing.assert_array_equal(parts.eeg, rec_lds.eeg[rec_lds.trial_ids < N_TRAIN])
    for data in fits:  # the classifiers see de_LDS
        rec_lds = lds[data.subject - 1]
        np.testing.assert_array_equal(data.eeg, rec_lds.eeg[rec_lds.trial_ids < N_TRAIN])
    # de_LDS (the classifiers' features) and the paper recipe's None read no other family
    for value, recipe in (("de_LDS", "default"), (None, "paper")):
        corpora.clear()
        run_protocol(seed_iv_root, recipe=recipe, pretrain_feature=value, tables="1",
                     subjects=[1], n_train_trials=N_TRAIN, pretrain_epochs=1,
                     finetune_epochs=1, ensemble=1, model_kwargs=TINY, verbose=False)
        np.testing.assert_array_equal(corpora["eeg"][0].eeg,
                                      lds[0].eeg[lds[0].trial_ids < N_TRAIN])
    # the default recipe pretrains the EEG extractors on de_movingAve
    corpora.clear()
    run_protocol(seed_iv_root, tables="1", subjects=[1], n_train_trials=N_TRAIN,
                 pretrain_epochs=1, ensemble=1, model_kwargs=TINY, verbose=False)
    np.testing.assert_array_equal(corpora["eeg"][0].eeg, ma[0].eeg[ma[0].trial_ids < N_TRAIN])
    # the family is part of the settings a run resumes with
    out = tmp_path / "run"
    run_protocol(seed_iv_root, out_dir=out, plot=False, pretrain_feature="de_LDS",
                 **dict(kw, subjects=[1]))
    for value in ("de_movingAve", None):  # None: the default recipe's de_movingAve
        with pytest.raises(ValueError, match="pretrain_feature"):
            run_protocol(seed_iv_root, out_dir=out, resume=True, pretrain_feature=value,
                         plot=False, **dict(kw, subjects=[1]))
    with pytest.raises(ValueError, match="pretrain_feature"):
        run_protocol(seed_iv_root, pretrain_feature="psd_LDS", **kw)
    # windows that do not match the classifiers' recordings are refused, naming them
    recs = read_recordings(seed_iv_root, subjects=[1])
    short = runner.subset_recording(recs[0], np.arange(recs[0].n_windows) > 0)
    with pytest.raises(ValueError, match=r"de_movingAve features .*same windows and trials"):
        runner.pretraining_parts(seed_iv_root, [short], N_TRAIN, feature="de_movingAve")


def test_run_protocol_pretrain_feature_seed_v(tmp_path):
    """SEED-V files hold one DE family: an explicit pretrain_feature is an error there."""
    from mne_mmvsstma.simulation import simulate_seed_v

    root = simulate_seed_v(tmp_path / "SEED-V", n_subjects=1, sessions=(1,), n_trials=10,
                           time_scale=0.05, raw=False, verbose="error")
    with pytest.raises(ValueError, match="SEED-V files hold one DE"):
        run_protocol(root, pretrain_feature="de_movingAve", tables="1", verbose=False)
    # the default recipe's de_movingAve does not apply there: the run pretrains on the DE
    res = run_protocol(root, tables="1", n_train_trials=5, pretrain_epochs=1, ensemble=1,
                       model_kwargs=TINY, verbose=False)
    assert res.results["accuracy"].between(0, 1).all()
    with pytest.raises(ValueError, match="SEED-V files hold one DE"):
        read_recordings(root, feature="de_movingAve")
