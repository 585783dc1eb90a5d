#!/usr/bin/env python3
"""Build the real SEED-IV development folder (sessions 1 and 2) from two public copies.

    python benchmarks/real_seed_iv.py EEG_GIT_DIR EYE_GIT_DIR OUT_DIR

EEG_GIT_DIR: a clone (its .git folder) of github ScienHAC/eeg-seed-IV, a per-trial CSV
  export of the original eeg_feature_smooth files: csv/<session>/<subject>/<de_LDS|
  de_movingAve><trial>.csv, one row per 4-s window, 310 columns channel-major; float64
  written with repr, so the round trip is exact.
EYE_GIT_DIR: a clone (its .git folder) of github david-bethge/happypredictioneyetracking,
  the original eye_feature_smooth .mat files at commit d083b756.
OUT_DIR (outside the repository) gets OUT_DIR/eeg_feature_smooth/{1,2}/<subject>_<date>.mat
  (keys de_LDS1..24 and de_movingAve1..24, (62, W, 5); the psd_* keys of the originals are
  not in the export) and OUT_DIR/eye_feature_smooth/{1,2}/<same names>.mat (eye_1..eye_24,
  (31, W)): the real layout, readable by mne_mmvsstma.datasets.read_seed_iv_features.

The data are licensed by their authors: use them for development on your machine only, never
commit them. Session 3 is kept out of development on purpose (it is the final judge): this
tool does not build it, and nothing in the project may read it.
"""
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.io as sio

EYE_COMMIT = "d083b756c2d72a3053277055184f3af64b7b4aaf"
SESSIONS = (1, 2)
NAMES = {  # official file names: subject_date, per session folder
    1: "1_20160518 2_20150915 3_20150919 4_20151111 5_20160406 6_20150507 7_20150715 8_20151103 "
       "9_20151028 10_20151014 11_20150916 12_20150725 13_20151115 14_20151205 15_20150508",
    2: "1_20161125 2_20150920 3_20151018 4_20151118 5_20160413 6_20150511 7_20150717 8_20151110 "
       "9_20151119 10_20151021 11_20150921 12_20150804 13_20151125 14_20151208 15_20150514",
}
HEADER = ",".join(f"Ch{c + 1}_Freq{f + 1}" for c in range(62) for f in range(5))


def blob(git_dir, rev, path):
    return subprocess.check_output(["git", "--git-dir", str(git_dir), "cat-file", "blob",
                                    f"{rev}:{path}"])


def eeg_trial(git_dir, rev, path):
    first, rest = blob(git_dir, rev, path).decode().split("\n", 1)
    if first.strip() != HEADER:
        raise ValueError(f"{path}: unexpected header {first[:60]!r}")
    arr = np.loadtxt(io.StringIO(rest), delimiter=",", dtype=np.float64, ndmin=2)
    return arr.reshape(len(arr), 62, 5).transpose(1, 0, 2).copy()  # (62, W, 5)


def main(eeg_git, eye_git, out):
    eeg_git, eye_git, out = Path(eeg_git), Path(eye_git), Path(out)
    rev = subprocess.check_output(["git", "--git-dir", str(eeg_git), "rev-parse", "HEAD"],
                                  text=True).strip()
    for ses in SESSIONS:
        for kind in ("eeg", "eye"):
            (out / f"{kind}_feature_smooth" / str(ses)).mkdir(parents=True, exist_ok=True)
        for name in NAMES[ses].split():
            sub = name.split("_")[0]
            eeg = {f"{k}{t}": eeg_trial(eeg_git, rev, f"csv/{ses}/{sub}/{k}{t}.csv")
                   for k in ("de_LDS", "de_movingAve") for t in range(1, 25)}
            sio.savemat(out / "eeg_feature_smooth" / str(ses) / f"{name}.mat", eeg,
                        do_compression=False)
            eye = out / "eye_feature_smooth" / str(ses) / f"{name}.mat"
            eye.write_bytes(blob(eye_git, EYE_COMMIT, f"data/eye_feature_smooth/{ses}/{name}.mat"))
            n = [eeg[f"de_LDS{t}"].shape[1] for t in range(1, 25)]
            m = sio.loadmat(eye)
            if [m[f"eye_{t}"].shape[1] for t in range(1, 25)] != n:
                raise ValueError(f"{name}: EEG and eye window counts differ")
            print(f"session {ses} {name}: {sum(n)} windows", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
