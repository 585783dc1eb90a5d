"""Robustness catalogue of real-data reliability: one case per test id.

No silent wrong score, no silent replacement, inputs bound to what they claim.
Every case runs on simulated folders in the real SEED-IV layout (the real trial
lengths where a case needs them, read as a real folder once the simulators'
marker is removed).
"""

from __future__ import annotations

import shutil

import pytest

from mne_mmvsstma.cli import main
from mne_mmvsstma.datasets import read_features
from mne_mmvsstma.datasets._io import SIMULATED_MARKER
from mne_mmvsstma.simulation import simulate_seed_iv

DEMO = ["--model-size", "demo", "-q"]


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


CASES = {
    "4-session-files-bound-by-window-counts": _case_session_files,
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_real_data_reliability(case, tmp_path, request, capsys):
    case(tmp_path, request, capsys)
