"""Smoke tests: the benchmark scripts run end to end on tiny inputs and print their tables.

Only that they run and report is checked; their numbers are never asserted.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, *args):
    if not (BENCH / script).is_file():
        pytest.skip(f"benchmarks/{script} is not part of this checkout")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=BENCH,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_de_benchmark_runs():
    out = _run("de.py", "--duration", "30", "--repeat", "1", "--session-minutes", "0.4")
    for method in ("seed", "gaussian"):
        assert f"SEED-IV session (0.4 min, 62 ch, 4-s windows, {method} method" in out
        # one table row per window length and thread count
        rows = [line for line in out.splitlines() if line.startswith(method)]
        assert len(rows) == 4, out
    assert "peak/input" in out


def test_model_benchmark_runs():
    out = _run(
        "model.py",
        "--batch-size",
        "2",
        "--steps",
        "1",
        "--warmup",
        "0",
        "--workloads",
        "pretrain",
        "inference-eeg",
        "--estimator-windows",
        "4",
        "--estimator-epochs",
        "2",
    )
    assert "float32 GEMM reference" in out
    assert "| Pretrainer.fit samples/s | bare loop samples/s | engine overhead |" in out
    assert len([line for line in out.splitlines() if line.startswith("| 2 | ")]) == 1, out
    assert "parameters: pretraining model 302,021" in out
    rows = [line for line in out.splitlines() if line.startswith("| pretrain | kernel | 2 |")]
    assert len(rows) == 1, out
    gflop = float(rows[0].split("|")[9])
    # at paper defaults a pretraining step costs ~1.9 GFLOP per sample in matmuls
    assert 1.0 < gflop < 3.0


def test_model_benchmark_demo_size():
    """--size demo times the accuracy benchmark's CPU model (its parameter count)."""
    sys.path.insert(0, str(BENCH))
    try:
        from accuracy import ARCH
    finally:
        sys.path.remove(str(BENCH))
    from mne_mmvsstma.models import MVSSTMA

    n_params = sum(p.numel() for p in MVSSTMA(**ARCH).parameters())
    out = _run("model.py", "--size", "demo", "--batch-size", "2", "--steps", "1", "--warmup",
               "0", "--workloads", "pretrain", "--estimator-windows", "0")
    assert "MV-SSTMA (demo size) throughput" in out
    assert f"parameters: pretraining model {n_params:,} " in out, out
    assert len([line for line in out.splitlines()
                if line.startswith("| pretrain | kernel | 2 |")]) == 1, out


def test_accuracy_benchmark_runs():
    out = _run("accuracy.py", "--smoke")
    for dataset, rows in (("SEED-IV", ("SVM EEG", "SVM EYE", "Concat", "Att")),
                          ("SEED", ("SVM EEG",))):
        assert f"\n{dataset}: 2 subject-sessions" in out, out
        for row in rows + ("MV-SSTMA-EEG (w/o pretraining)", "MV-SSTMA-EEG (pretrained)"):
            assert any(line.startswith(row) for line in out.splitlines()), (row, out)
    assert re.search(r"\nTotal: \d+ min \d+ s\n", out), out


def test_gpu_script_smoke_mode_runs_on_cpu():
    import shutil

    if shutil.which("bash") is None:
        pytest.skip("no bash")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONWARNINGS="ignore")
    proc = subprocess.run(["bash", str(BENCH / "gpu.sh"), "--smoke"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "torch " in out and "skorch " in out
    for step in ("(a) model throughput", "(b) protocol time", "(c) DE"):
        assert f"::: {step}" in out, out
    assert "Tables 1-2:" in out and "Tables 1-4 (extrapolated" in out, out
