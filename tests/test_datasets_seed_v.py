"""SEED-V: .cnt writer, raw/epochs readers, npz feature readers, simulator."""

from __future__ import annotations

import datetime
import pickle
import shutil
from fractions import Fraction

import mne
import numpy as np
import pytest

from mne_mmvsstma.channels import SEED_BANDS, SEED_CH_NAMES, create_seed_info
from mne_mmvsstma.datasets import seed_v as sv
from mne_mmvsstma.datasets._cnt import read_cnt_header
from mne_mmvsstma.datasets.seed_v import (
    SEED_V_EVENT_ID,
    SEED_V_EYE_FEATURE_NAMES,
    SEED_V_LABELS,
    SEED_V_TRIAL_TIMES,
    read_epochs_seed_v,
    read_raw_seed_v,
    read_seed_v_features,
    seed_v_trial_times,
)
from mne_mmvsstma.simulation import simulate_seed_v
from mne_mmvsstma.simulation._cnt import CntWriter, write_cnt

TS = 0.05  # time scale of the simulated recordings
N_TRIALS = 3


@pytest.fixture(scope="module")
def sim_root(tmp_path_factory):
    """One subject, sessions 1 and 2, three trials each, raw + features."""
    root = tmp_path_factory.mktemp("seedv") / "SEED-V"
    return simulate_seed_v(
        root, n_subjects=1, sessions=(1, 2), n_trials=N_TRIALS, time_scale=TS, verbose="error"
    )


# the features-only folder of ``feat_root`` (tests rebuild it to compare)
FEAT_KW = dict(
    n_subjects=2, sessions=(1, 3), n_trials=4, time_scale=0.1, raw=False, verbose="error"
)


@pytest.fixture(scope="module")
def feat_root(tmp_path_factory):
    """Features only: two subjects, sessions 1 and 3."""
    return simulate_seed_v(tmp_path_factory.mktemp("seedv_feat"), **FEAT_KW)


def _cnt_file(sim_root, session=1):
    (fname,) = sorted((sim_root / "EEG_raw").glob(f"1_{session}_*.cnt"))
    return fname


def _write_66(fname, *, ch_names=None, sfreq=1000, seconds=12, data=None, data_format="int16"):
    ch_names = list(sv._CNT_CH_NAMES if ch_names is None else ch_names)
    if data is None:
        rng = np.random.default_rng(0)
        data = rng.standard_normal((len(ch_names), int(seconds * sfreq))) * 1e-5
    return write_cnt(
        fname,
        data,
        sfreq,
        ch_names,
        data_format=data_format,
        meas_date=datetime.datetime(2019, 1, 2),
        overwrite=True,
    )


def _load_npz_dict(fname, key):
    with np.load(fname) as npz:
        return pickle.loads(npz[key])


# ----------------------------------------------------------------------------- .cnt
@pytest.mark.parametrize("data_format", ["int16", "int32"])
def test_write_cnt_roundtrip(tmp_path, data_format):
    rng = np.random.default_rng(1)
    names = ["FP1", "FPZ", "M1", "VEO", "HEO"]
    data = rng.standard_normal((5, 2345)) * 30e-6
    data[2] = 0.0  # a flat channel
    fname = tmp_path / "x.cnt"
    cals = write_cnt(
        fname,
        data,
        1000,
        names,
        events=[[10, 1], [2000, 7]],
        data_format=data_format,
        meas_date=datetime.datetime(2018, 5, 3, 14, 2, 1),
        heog="HEO",
        veog="VEO",
        label="ses",
        patient_id=12,
    )
    raw = mne.io.read_raw_cnt(fname, preload=True, verbose="error")
    assert raw.ch_names == names
    assert raw.info["sfreq"] == 1000
    expected = np.rint(data / cals[:, None]) * cals[:, None]
    np.testing.assert_array_equal(raw.get_data(), expected)  # exact: ints times cals
    assert np.abs(raw.get_data() - data).max() <= cals.max() / 2 * (1 + 1e-9)
    assert np.array_equal(raw.get_data()[2], np.zeros(2345))
    np.testing.assert_allclose(raw.annotations.onset, [0.010, 2.0])
    assert list(raw.annotations.description) == ["1", "7"]
    assert raw.info["meas_date"].date() == datetime.date(2018, 5, 3)
    assert raw.info["description"] == "ses"
    assert raw.info["subject_info"]["id"] == 12
    header = read_cnt_header(fname)
    assert header["n_bytes"] == (2 if data_format == "int16" else 4)
    assert header["n_samples"] == 2345 and header["ch_names"] == names
    raw_eog = mne.io.read_raw_cnt(fname, eog="header", verbose="error")
    assert raw_eog.get_channel_types() == ["eeg", "eeg", "eeg", "eog", "eog"]


def test_cnt_writer_chunks_and_errors(tmp_path):
    rng = np.random.default_rng(2)
    data = rng.standard_normal((3, 3000)) * 1e-5
    fname = tmp_path / "chunks.cnt"
    with CntWriter(fname, ["A", "B", "C"], 500, resolution=0.01, data_format="int32") as w:
        for c0 in range(0, 3000, 700):
            w.write(data[:, c0 : c0 + 700])
        w.add_events([5, 2999], [3, 4])
    raw = mne.io.read_raw_cnt(fname, preload=True, verbose="error")
    np.testing.assert_allclose(raw.get_data(), data, atol=0.006e-6)
    assert raw.n_times == 3000 and raw.info["sfreq"] == 500

    with pytest.raises(FileExistsError, match="exists"):
        CntWriter(fname, ["A"], 100)
    with pytest.raises(ValueError, match="too long"):
        write_cnt(tmp_path / "a.cnt", data[:1], 100, ["ABCDEFGHIJK"])
    with pytest.raises(ValueError, match="unique"):
        write_cnt(tmp_path / "a.cnt", data[:2], 100, ["A", "A"])
    with pytest.raises(ValueError, match="integer"):
        write_cnt(tmp_path / "a.cnt", data[:1], 99.5, ["A"])
    with pytest.raises(ValueError, match="2 names"):
        write_cnt(tmp_path / "a.cnt", data, 100, ["A", "B"])
    with pytest.raises(ValueError, match="int16 range"):
        write_cnt(
            tmp_path / "a.cnt", data[:1] * 1e3, 100, ["A"], data_format="int16", resolution=0.1
        )
    assert not (tmp_path / "a.cnt").exists()  # failed writes leave no file
    with pytest.raises(ValueError, match="beyond"):
        write_cnt(tmp_path / "a.cnt", data[:1], 100, ["A"], events=[[3000, 1]])
    assert not (tmp_path / "a.cnt").exists()
    with pytest.raises(ValueError, match="NaN"):
        write_cnt(tmp_path / "a.cnt", np.full((1, 10), np.nan), 100, ["A"])


def test_read_cnt_header_corrupt(tmp_path):
    fname = tmp_path / "1_1_20180101.cnt"
    _write_66(fname, seconds=2)
    size = fname.stat().st_size
    cut = tmp_path / "cut.cnt"
    cut.write_bytes(fname.read_bytes()[: size - 5000])
    with pytest.raises(ValueError, match=r"cut\.cnt is truncated"):
        read_cnt_header(cut)
    cut.write_bytes(fname.read_bytes()[:600])
    with pytest.raises(ValueError, match="smaller than the 900-byte"):
        read_cnt_header(cut)
    cut.write_bytes(fname.read_bytes()[:2000])
    with pytest.raises(ValueError, match="truncated: the header lists 66 channels"):
        read_cnt_header(cut)
    # header sample count inconsistent with the data size
    raw_bytes = bytearray(fname.read_bytes())
    raw_bytes[864:868] = (123).to_bytes(4, "little")
    cut.write_bytes(bytes(raw_bytes))
    with pytest.raises(ValueError, match="corrupt.*123 samples"):
        read_cnt_header(cut)


# ---------------------------------------------------------------------------- tables
def test_label_and_trial_tables():
    assert SEED_V_EVENT_ID == {"disgust": 0, "fear": 1, "sad": 2, "neutral": 3, "happy": 4}
    assert SEED_V_LABELS[1] == (4, 1, 3, 2, 0) * 3
    assert SEED_V_LABELS[2] == SEED_V_LABELS[3] == (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0)
    for session in (1, 2, 3):
        labels = np.array(SEED_V_LABELS[session])
        assert np.array_equal(np.bincount(labels), [3] * 5)  # 3 trials per emotion
        table = np.array(SEED_V_TRIAL_TIMES[session])
        assert table.shape == (15, 2)
        assert np.all(table[:, 1] > table[:, 0]) and np.all(table[1:, 0] >= table[:-1, 1])
        np.testing.assert_array_equal(seed_v_trial_times(session), table)
    assert SEED_V_TRIAL_TIMES[1][0] == (30, 102) and SEED_V_TRIAL_TIMES[1][-1] == (3204, 3359)
    assert SEED_V_TRIAL_TIMES[2][5] == (1000, 1059) and SEED_V_TRIAL_TIMES[3][-1] == (2888, 3066)
    # feature windows per trial: (end - start) // 4, e.g. 18 for the first trial of session 1
    assert (102 - 30) // 4 == 18
    assert len(SEED_V_EYE_FEATURE_NAMES) == 33 == len(set(SEED_V_EYE_FEATURE_NAMES))
    # file channel order: M1/M2 at 32/42, VEO/HEO last, the rest is SEED_CH_NAMES
    names = sv._CNT_CH_NAMES
    assert len(names) == 66 and names[32] == "M1" and names[42] == "M2"
    assert names[64:] == ["VEO", "HEO"]
    assert [ch for ch in names if ch not in ("M1", "M2", "VEO", "HEO")] == SEED_CH_NAMES


@pytest.mark.parametrize("time_scale", [0.01, 0.05, 0.3])
def test_scaled_trial_times(time_scale):
    for session in (1, 2, 3):
        table = seed_v_trial_times(session, time_scale)
        assert table.dtype.kind == "i" and table.shape == (15, 2)
        durations = table[:, 1] - table[:, 0]
        assert durations.min() >= 8
        assert table[0, 0] >= 1 and np.all(table[1:, 0] - table[:-1, 1] >= 1)
        real = np.diff(np.array(SEED_V_TRIAL_TIMES[session]), axis=1)[:, 0]
        expect = np.maximum(8, np.floor(real * time_scale + 0.5))
        np.testing.assert_array_equal(durations, expect)
    np.testing.assert_array_equal(
        seed_v_trial_times(2, time_scale, n_trials=4), seed_v_trial_times(2, time_scale)[:4]
    )


def test_trial_times_errors():
    with pytest.raises(ValueError, match="session must be 1, 2 or 3"):
        seed_v_trial_times(4)
    with pytest.raises(ValueError, match="time_scale"):
        seed_v_trial_times(1, 0)
    with pytest.raises(ValueError, match="n_trials"):
        seed_v_trial_times(1, n_trials=16)
    for bad, match in [
        (np.zeros((3, 3)), "shape"),
        ([[10, 5]], "ends before it starts"),
        ([[0, 10], [5, 20]], "overlaps"),
        ({3: [[0, 10]]}, "no entry for session 1"),
    ]:
        with pytest.raises(ValueError, match=match):
            sv._resolve_trial_times(bad, 1, "x.cnt")


# -------------------------------------------------------------------------- features
def test_features_roundtrip(feat_root):
    recs = read_seed_v_features(feat_root, verbose="error")
    assert [(r.subject, r.session) for r in recs] == [(1, 1), (1, 3), (2, 1), (2, 3)]
    for rec in recs:
        fname = feat_root / "EEG_DE_features" / f"{rec.subject}_123.npz"
        data = _load_npz_dict(fname, "data")
        label = _load_npz_dict(fname, "label")
        eye = _load_npz_dict(feat_root / "Eye_movement_features" / f"{rec.subject}_123.npz", "data")
        assert sorted(data) == [0, 1, 2, 3, 30, 31, 32, 33]  # k = 15 * (session - 1) + trial
        table = seed_v_trial_times(rec.session, 0.1, n_trials=4)
        n_win = (table[:, 1] - table[:, 0]) // 4
        assert rec.dataset == "SEED-V" and rec.fname == str(fname)
        assert rec.eeg.shape == (n_win.sum(), 62, 5) and rec.eye.shape == (n_win.sum(), 33)
        assert rec.ch_names == SEED_CH_NAMES and rec.eye_names == SEED_V_EYE_FEATURE_NAMES
        assert rec.band_names == ["delta", "theta", "alpha", "beta", "gamma"]
        assert rec.event_id == SEED_V_EVENT_ID
        np.testing.assert_array_equal(rec.trial_ids, np.repeat(np.arange(4), n_win))
        np.testing.assert_array_equal(rec.labels, np.repeat(SEED_V_LABELS[rec.session][:4], n_win))
        for trial in range(4):
            k = 15 * (rec.session - 1) + trial
            sel = rec.trial_ids == trial
            flat = data[k]
            assert flat.shape == (n_win[trial], 310)
            # band-major: column b * 62 + c is channel c, band b
            np.testing.assert_array_equal(rec.eeg[sel][:, 7, 3], flat[:, 3 * 62 + 7])
            np.testing.assert_array_equal(rec.eeg[sel].transpose(0, 2, 1).reshape(-1, 310), flat)
            np.testing.assert_array_equal(rec.eye[sel], eye[k])
            np.testing.assert_array_equal(rec.labels[sel], label[k])
        # SEED-style DE scale; eye features non-negative, zero only where a window
        # has no event (blink frequency, as in the real SEED-IV files)
        assert 10 < rec.eeg.mean() < 30 and np.all(rec.eye >= 0)
        zero_cols = set(np.flatnonzero((rec.eye == 0).any(axis=0)))
        assert zero_cols <= {SEED_V_EYE_FEATURE_NAMES.index("blink_frequency")}


def test_features_order_channel(tmp_path, feat_root):
    root = simulate_seed_v(tmp_path, order="channel", **FEAT_KW)
    band = read_seed_v_features(feat_root, eye=False, verbose="error")
    chan = read_seed_v_features(root, order="channel", eye=False, verbose="error")
    for a, b in zip(band, chan):
        np.testing.assert_array_equal(a.eeg, b.eeg)  # same draws, other file layout
        assert b.eye is None and b.eye_names is None
    flat = _load_npz_dict(root / "EEG_DE_features" / "1_123.npz", "data")[0]
    np.testing.assert_array_equal(chan[0].eeg[: len(flat), 7, 3], flat[:, 7 * 5 + 3])
    wrong = read_seed_v_features(root, order="band", eye=False, verbose="error")
    assert not np.array_equal(wrong[0].eeg, chan[0].eeg)
    with pytest.raises(ValueError, match="order"):
        read_seed_v_features(root, order="time")


def test_features_subject_sort_and_filters(tmp_path):
    root = simulate_seed_v(
        tmp_path,
        n_subjects=11,
        sessions=(2,),
        n_trials=1,
        time_scale=0.01,
        raw=False,
        verbose="error",
    )
    recs = read_seed_v_features(root, eye=False, verbose="error")
    assert [r.subject for r in recs] == list(range(1, 12))  # '10' after '9', not after '1'
    assert all(r.session == 2 for r in recs)
    recs = read_seed_v_features(root, subjects=[10, 2], sessions=[2], verbose="error")
    assert [r.subject for r in recs] == [2, 10]
    (root / "EEG_DE_features" / "README.txt").write_text("not a feature file")
    assert len(read_seed_v_features(root, subjects=[3], verbose="error")) == 1
    with pytest.raises(ValueError, match=r"Subjects \[12\] not found"):
        read_seed_v_features(root, subjects=[12])
    with pytest.raises(ValueError, match="no trial of session 1"):
        read_seed_v_features(root, subjects=[1], sessions=[1])


def test_features_reproducible_and_independent_of_raw(tmp_path, feat_root):
    a = read_seed_v_features(feat_root, verbose="error")
    root = simulate_seed_v(tmp_path, **FEAT_KW)  # the same folder as feat_root's
    b = read_seed_v_features(root, verbose="error")
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.eeg, y.eeg)
        np.testing.assert_array_equal(x.eye, y.eye)
    other = simulate_seed_v(
        tmp_path / "other",
        n_subjects=1,
        sessions=(1,),
        n_trials=4,
        time_scale=0.1,
        raw=False,
        random_state=1,
        verbose="error",
    )
    c = read_seed_v_features(other, verbose="error")[0]
    assert not np.array_equal(c.eeg, a[0].eeg)


def test_features_learnable_not_trivial(tmp_path):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    def accuracy(effect_size, path):
        root = simulate_seed_v(
            path,
            n_subjects=3,
            sessions=(1,),
            time_scale=1.0,
            raw=False,
            effect_size=effect_size,
            random_state=1,
            verbose="error",
        )
        accs = []
        for rec in read_seed_v_features(root, verbose="error"):
            train = rec.trial_ids < 9  # paper protocol: first 9 trials / last 6
            x = np.hstack([rec.eeg.reshape(len(rec.eeg), -1), np.log1p(rec.eye)])
            clf = make_pipeline(StandardScaler(), SVC(kernel="linear"))  # SPEC's baseline
            clf.fit(x[train], rec.labels[train])
            accs.append(clf.score(x[~train], rec.labels[~train]))
        return np.mean(accs)

    acc = accuracy(1.0, tmp_path / "a")
    assert 0.5 < acc < 0.97, acc  # learnable, not trivial (chance: 0.2)
    assert accuracy(0.0, tmp_path / "b") < 0.4


def _copy_feat(feat_root, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(feat_root, root)
    return root, root / "EEG_DE_features" / "1_123.npz"


def test_features_bad_input(tmp_path, feat_root):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_seed_v_features(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="EEG feature folder not found"):
        read_seed_v_features(tmp_path)
    (tmp_path / "EEG_DE_features").mkdir()
    with pytest.raises(FileNotFoundError, match="eye feature folder not found"):
        read_seed_v_features(tmp_path)
    with pytest.raises(FileNotFoundError, match="No SEED-V"):
        read_seed_v_features(tmp_path, eye=False)

    root, fname = _copy_feat(feat_root, tmp_path)
    data = _load_npz_dict(fname, "data")
    label = _load_npz_dict(fname, "label")

    def save(**arrays):
        np.savez(fname, **arrays)

    save(data=pickle.dumps(data))
    with pytest.raises(ValueError, match=r"1_123\.npz has no key 'label'"):
        read_seed_v_features(root, eye=False)
    save(data=pickle.dumps({k: v for k, v in data.items() if k != 2}), label=pickle.dumps(label))
    with pytest.raises(ValueError, match=r"missing key.*only in label \[2\]"):
        read_seed_v_features(root, eye=False)
    bad = dict(label)
    bad[1] = bad[1][:-1]
    save(data=pickle.dumps(data), label=pickle.dumps(bad))
    with pytest.raises(ValueError, match="trial key 1 has .*label/trial count mismatch"):
        read_seed_v_features(root, eye=False)
    bad = dict(label)
    bad[0] = np.full_like(bad[0], 2)
    save(data=pickle.dumps(data), label=pickle.dumps(bad))
    with pytest.raises(ValueError, match="labeled 2 but the SEED-V label table says 4"):
        read_seed_v_features(root, eye=False)
    bad = dict(data)
    bad[3] = bad[3][:, :300]
    save(data=pickle.dumps(bad), label=pickle.dumps(label))
    with pytest.raises(ValueError, match=r"trial key 3 .*shape \(\d+, 300\), expected"):
        read_seed_v_features(root, eye=False)
    bad = {k: v for k, v in data.items() if k != 1}
    save(data=pickle.dumps(bad), label=pickle.dumps({k: label[k] for k in bad}))
    with pytest.raises(ValueError, match=r"session 1 lacks trial keys \[1\]"):
        read_seed_v_features(root, eye=False)
    # corrupt / truncated npz
    save(data=pickle.dumps(data), label=pickle.dumps(label))
    content = fname.read_bytes()
    fname.write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"1_123\.npz is not a readable \.npz"):
        read_seed_v_features(root, eye=False)
    fname.write_bytes(b"garbage" * 100)
    with pytest.raises(ValueError, match="not a readable"):
        read_seed_v_features(root, eye=False)
    save(data=pickle.dumps(data)[:-50], label=pickle.dumps(label))
    with pytest.raises(ValueError, match=r"1_123\.npz\['data'\] is corrupt: pickle data was trunc"):
        read_seed_v_features(root, eye=False)
    save(data=np.zeros(3), label=pickle.dumps(label))
    with pytest.raises(ValueError, match="should hold a pickled dict"):
        read_seed_v_features(root, eye=False)

    # eye file problems
    save(data=pickle.dumps(data), label=pickle.dumps(label))
    eye_file = root / "Eye_movement_features" / "1_123.npz"
    eye = _load_npz_dict(eye_file, "data")
    bad = dict(eye)
    bad[2] = bad[2][:, :31]
    np.savez(eye_file, data=pickle.dumps(bad), label=pickle.dumps(label))
    with pytest.raises(ValueError, match=r"trial key 2 has eye features of shape \(\d+, 31\)"):
        read_seed_v_features(root)
    bad = dict(eye)
    bad[2] = bad[2][:-1]
    np.savez(eye_file, data=pickle.dumps(bad), label=pickle.dumps(label))
    with pytest.raises(ValueError, match="window count mismatch"):
        read_seed_v_features(root)
    eye_file.unlink()
    with pytest.raises(FileNotFoundError, match="Eye-movement feature file missing"):
        read_seed_v_features(root)
    assert len(read_seed_v_features(root, eye=False, verbose="error")) == 4


def test_features_pickle_safety(tmp_path, feat_root):
    root, fname = _copy_feat(feat_root, tmp_path)
    data = _load_npz_dict(fname, "data")
    label = _load_npz_dict(fname, "label")
    # old-style pickles (protocol 2, numpy.core paths) load with the restricted unpickler
    np.savez(fname, data=pickle.dumps(data, protocol=2), label=pickle.dumps(label, protocol=5))
    rec = read_seed_v_features(root, eye=False, verbose="error")[0]
    np.testing.assert_array_equal(
        rec.eeg[:, 0, 0], np.concatenate([data[k][:, 0] for k in range(4)])
    )
    # a pickle that needs other globals is refused unless allow_pickle=True
    evil = dict(label)
    evil[0] = [Fraction(4, 1)] * len(label[0])
    np.savez(fname, data=pickle.dumps(data), label=pickle.dumps(evil))
    with pytest.raises(ValueError, match="fractions.Fraction is not allowed.*allow_pickle=True"):
        read_seed_v_features(root, eye=False)
    rec = read_seed_v_features(root, eye=False, allow_pickle=True, verbose="error")[0]
    assert rec.labels[0] == 4
    # dicts saved directly by np.savez become object arrays: need allow_pickle
    np.savez(fname, data=np.array(data, dtype=object), label=np.array(label, dtype=object))
    with pytest.raises(ValueError, match="pickled object array; pass allow_pickle=True"):
        read_seed_v_features(root, eye=False)
    rec2 = read_seed_v_features(root, eye=False, allow_pickle=True, verbose="error")[0]
    np.testing.assert_array_equal(rec2.eeg, rec.eeg)


# ------------------------------------------------------------------------ raw/epochs
def test_simulated_layout(sim_root):
    names = sorted(p.name for p in (sim_root / "EEG_raw").iterdir())
    assert len(names) == 2 and all(sv._CNT_RE.match(n) for n in names)
    assert [n.split("_")[:2] for n in names] == [["1", "1"], ["1", "2"]]
    assert sorted(p.name for p in sim_root.iterdir()) == [
        ".mne_mmvsstma_simulated.json",
        "EEG_DE_features",
        "EEG_raw",
        "Eye_movement_features",
    ]
    raw = mne.io.read_raw_cnt(_cnt_file(sim_root), verbose="error")
    assert raw.ch_names == sv._CNT_CH_NAMES and raw.info["sfreq"] == 1000
    table = seed_v_trial_times(1, TS, n_trials=N_TRIALS)
    assert raw.times[-1] > table[-1, 1]
    starts = raw.annotations.onset[raw.annotations.description == "1"]
    np.testing.assert_allclose(starts, table[:, 0])


def test_read_raw_seed_v(sim_root):
    fname = _cnt_file(sim_root)
    table = seed_v_trial_times(1, TS, n_trials=N_TRIALS)
    raw = read_raw_seed_v(fname, trial_times=table, verbose="error")
    assert raw.ch_names == SEED_CH_NAMES
    assert raw.info["sfreq"] == 200.0
    assert set(raw.get_channel_types()) == {"eeg"}
    expected = create_seed_info(200.0)  # the SEED montage, in head coordinates
    for ch, ref in zip(raw.info["chs"], expected["chs"]):
        assert ch["ch_name"] == ref["ch_name"]
        np.testing.assert_allclose(ch["loc"][:3], ref["loc"][:3])
    assert np.isfinite(np.array([ch["loc"][:3] for ch in raw.info["chs"]])).all()
    orig = mne.io.read_raw_cnt(fname, preload=True, verbose="error")
    assert raw.n_times == orig.n_times // 5
    # no resampling: exactly the file's EEG channels, picked by name, in SEED order
    raw_1k = read_raw_seed_v(fname, trial_times=table, sfreq=None, verbose="error")
    np.testing.assert_array_equal(raw_1k.get_data(), orig.get_data(picks=SEED_CH_NAMES))
    # trial annotations named by emotion
    ann = raw.annotations[np.isin(raw.annotations.description, list(SEED_V_EVENT_ID))]
    np.testing.assert_allclose(ann.onset, table[:, 0])
    np.testing.assert_allclose(ann.duration, table[:, 1] - table[:, 0])
    assert list(ann.description) == ["happy", "fear", "neutral"]
    # amplitude in volts, EEG-like
    assert 1e-6 < raw.get_data().std() < 1e-4


def test_resample_anti_aliasing(tmp_path):
    """A 450 Hz tone must not alias into the 200 Hz data (plain slicing would give 50 Hz)."""
    sfreq, seconds = 1000, 8
    t = np.arange(seconds * sfreq) / sfreq
    data = np.tile(50e-6 * np.sin(2 * np.pi * 450 * t), (66, 1))
    data[:, :] += 20e-6 * np.sin(2 * np.pi * 10 * t)
    fname = tmp_path / "3_1_20180101.cnt"
    _write_66(fname, data=data, data_format="int32")
    raw = read_raw_seed_v(fname, trial_times=[[1, 7]], verbose="error")
    x = raw.get_data(picks="OZ")[0, 200:-200]
    spec = np.abs(np.fft.rfft(x)) / len(x)
    freqs = np.fft.rfftfreq(len(x), 1 / 200)
    amp10 = spec[np.argmin(np.abs(freqs - 10))]
    amp50 = spec[np.argmin(np.abs(freqs - 50))]
    assert amp50 < 0.01 * amp10
    sliced = mne.io.read_raw_cnt(fname, verbose="error").get_data(picks="OZ")[0, ::5][200:-200]
    spec_sl = np.abs(np.fft.rfft(sliced)) / len(sliced)
    assert spec_sl[np.argmin(np.abs(freqs - 50))] > 0.5 * amp10  # the alias this avoids


def test_read_epochs_seed_v(sim_root):
    fname = _cnt_file(sim_root, session=2)
    table = seed_v_trial_times(2, TS, n_trials=N_TRIALS)
    epochs = read_epochs_seed_v(fname, trial_times={2: table}, verbose="error")
    n_win = (table[:, 1] - table[:, 0]) // 4
    assert len(epochs) == n_win.sum()
    assert epochs.event_id == {name: code + 1 for name, code in SEED_V_EVENT_ID.items()}
    md = epochs.metadata
    assert list(md.columns[:5]) == ["dataset", "subject", "session", "trial", "label"]
    assert set(md.dataset) == {"SEED-V"} and set(md.subject) == {1} and set(md.session) == {2}
    np.testing.assert_array_equal(md.trial, np.repeat(np.arange(N_TRIALS), n_win))
    labels = np.repeat(SEED_V_LABELS[2][:N_TRIALS], n_win)
    np.testing.assert_array_equal(md.label, labels)
    np.testing.assert_array_equal(epochs.events[:, 2], labels + 1)
    np.testing.assert_array_equal(md.window, np.concatenate([np.arange(n) for n in n_win]))
    # trial boundaries: window w of trial k starts at start_k + 4 w, ends inside the trial
    onsets = table[md.trial, 0] + 4 * md.window.to_numpy()
    np.testing.assert_array_equal(epochs.events[:, 0], onsets * 200)
    assert np.all(onsets + 4 <= table[md.trial, 1])
    assert epochs.get_data().shape == (n_win.sum(), 62, 800)
    assert epochs.ch_names == SEED_CH_NAMES
    raw = read_raw_seed_v(fname, trial_times={2: table}, verbose="error")
    k = 3
    start = epochs.events[k, 0]
    np.testing.assert_allclose(epochs.get_data()[k], raw.get_data(start=start, stop=start + 800))
    # agrees with the feature files: same windows, labels and trial ids
    rec = read_seed_v_features(sim_root, sessions=[2], verbose="error")[0]
    np.testing.assert_array_equal(rec.trial_ids, md.trial)
    np.testing.assert_array_equal(rec.labels, md.label)
    # DE of the raw windows tracks the feature files (same channel/band profile)
    x = epochs.get_data() * 1e6
    power = np.abs(np.fft.rfft(x * np.hanning(800), axis=-1)) ** 2
    freqs = np.fft.rfftfreq(800, 1 / 200)
    de = np.stack(
        [
            np.log2(100 * power[..., (freqs >= lo) & (freqs < hi)].mean(-1))
            for lo, hi in SEED_BANDS.values()
        ],
        axis=-1,
    )
    for band in range(5):
        r = np.corrcoef(de.mean(0)[:, band], rec.eeg.mean(0)[:, band])[0, 1]
        assert r > 0.5, (band, r)
    # 2-s windows
    ep2 = read_epochs_seed_v(fname, trial_times=table, window=2.0, verbose="error")
    assert len(ep2) == ((table[:, 1] - table[:, 0]) // 2).sum()
    assert ep2.get_data().shape[-1] == 400
    with pytest.raises(ValueError, match="window must be a positive"):
        read_epochs_seed_v(fname, trial_times=table, window=0)
    with pytest.raises(ValueError, match="must be an integer"):
        read_epochs_seed_v(fname, trial_times=table, window=0.0033)


def test_session_from_file_name_and_sort(tmp_path, sim_root):
    # session comes from the name, not from the date (session 1 dated after session 2 here)
    src = _cnt_file(sim_root, session=1)
    dst = tmp_path / "EEG_raw" / "5_2_19990101.cnt"
    dst.parent.mkdir()
    shutil.copy(src, dst)
    table = seed_v_trial_times(1, TS, n_trials=N_TRIALS)
    epochs = read_epochs_seed_v(dst, trial_times={2: table}, verbose="error")
    assert set(epochs.metadata.subject) == {5} and set(epochs.metadata.session) == {2}
    assert epochs.metadata.label.iloc[0] == SEED_V_LABELS[2][0]
    for name in ("10_1_20180101.cnt", "9_3_20180101.cnt", "9_1_20190101.cnt", "notes.cnt"):
        (dst.parent / name).write_bytes(b"")
    found = sv._find_seed_v_cnt(tmp_path)
    assert [(s, k) for s, k, _ in found] == [(5, 2), (9, 1), (9, 3), (10, 1)]
    found = sv._find_seed_v_cnt(tmp_path / "EEG_raw", subjects=[10, 9], sessions=[1])
    assert [(s, k) for s, k, _ in found] == [(9, 1), (10, 1)]
    (dst.parent / "9_1_20200101.cnt").write_bytes(b"")
    with pytest.raises(ValueError, match="Two SEED-V recordings for subject 9 session 1"):
        sv._find_seed_v_cnt(tmp_path)


def test_read_raw_bad_input(tmp_path, sim_root):
    table = [[1, 9]]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_raw_seed_v(tmp_path / "1_1_20180101.cnt")
    fname = tmp_path / "subject1.cnt"
    _write_66(fname)
    with pytest.raises(ValueError, match=r"Cannot parse subject and session .*subject1\.cnt"):
        read_raw_seed_v(fname)
    fname = tmp_path / "1_4_20180101.cnt"
    _write_66(fname)
    with pytest.raises(ValueError, match="Session 4 in the file name"):
        read_raw_seed_v(fname)
    # wrong channel count: HEO missing
    fname = tmp_path / "1_1_20180101.cnt"
    _write_66(fname, ch_names=sv._CNT_CH_NAMES[:-1])
    with pytest.raises(ValueError, match=r"1_1_20180101\.cnt has 65 channels.*missing: \['HEO'\]"):
        read_raw_seed_v(fname, trial_times=table)
    # one of the 62 EEG channels missing
    names = list(sv._CNT_CH_NAMES)
    names[names.index("OZ")] = "EKG"
    _write_66(fname, ch_names=names)
    with pytest.raises(ValueError, match=r"lacks 1 of the 62 SEED EEG channels: \['OZ'\]"):
        read_raw_seed_v(fname, trial_times=table)
    # lower-case names are matched and renamed
    _write_66(fname, ch_names=[ch.lower() for ch in sv._CNT_CH_NAMES])
    raw = read_raw_seed_v(fname, trial_times=table, verbose="error")
    assert raw.ch_names == SEED_CH_NAMES
    # wrong sampling rate
    _write_66(fname, sfreq=500)
    with pytest.raises(ValueError, match=r"sampled at 500 Hz, expected 1000 Hz"):
        read_raw_seed_v(fname, trial_times=table)
    raw = read_raw_seed_v(fname, trial_times=table, expected_sfreq=500, verbose="error")
    assert raw.info["sfreq"] == 200
    # trial beyond the end of the recording (default table: one hour)
    _write_66(fname)
    with pytest.raises(ValueError, match=r"Trial 0 of session 1 ends at 102 s .* lasts only 12 s"):
        read_raw_seed_v(fname)
    with pytest.raises(ValueError, match="Trial 1 .* truncated"):
        read_epochs_seed_v(fname, trial_times=[[1, 5], [6, 13]])
    # truncated copy of a simulated recording
    src = _cnt_file(sim_root)
    cut = tmp_path / "1_1_20180102.cnt"
    content = src.read_bytes()
    cut.write_bytes(content[: len(content) * 2 // 3])
    with pytest.raises(ValueError, match=r"1_1_20180102\.cnt is truncated or corrupt"):
        read_raw_seed_v(cut, trial_times=seed_v_trial_times(1, TS, n_trials=N_TRIALS))
    cut.write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="smaller than the 900-byte SETUP header"):
        read_raw_seed_v(cut)


def test_simulate_seed_v_errors(tmp_path):
    for kwargs, match in [
        (dict(n_subjects=0), "n_subjects"),
        (dict(sessions=(4,)), "session must be 1, 2 or 3"),
        (dict(n_trials=0), "n_trials"),
        (dict(time_scale=-1), "time_scale"),
        (dict(effect_size=-1), "effect_size"),
        (dict(order="x"), "order"),
        (dict(data_format="float32"), "data_format"),
    ]:
        with pytest.raises(ValueError, match=match):
            simulate_seed_v(tmp_path, **kwargs)


def test_public_names():
    from mne_mmvsstma import datasets

    for name in (
        "SEED_V_LABELS",
        "SEED_V_EVENT_ID",
        "SEED_V_TRIAL_TIMES",
        "SEED_V_EYE_FEATURE_NAMES",
        "read_raw_seed_v",
        "read_epochs_seed_v",
        "read_seed_v_features",
        "seed_v_trial_times",
    ):
        assert getattr(datasets, name) is getattr(sv, name)
    # the simulator lives in mne_mmvsstma.simulation; the old name still works, deprecated
    with pytest.warns(FutureWarning, match="mne_mmvsstma.simulation.simulate_seed_v"):
        assert datasets.simulate_seed_v is simulate_seed_v
