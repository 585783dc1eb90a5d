"""The README's commands and code are the ones CI runs, and its MNE example works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.skipif(not README.is_file(), reason="no README.md")


def _section(title):
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : None if end < 0 else end]


def _blocks(section, lang):
    return re.findall(rf"```{lang}\n(.*?)```", section, flags=re.S)


def test_quick_start_commands_are_what_ci_runs():
    commands = [b.strip() for b in _blocks(_section("Quick start"), "bash")]
    assert len(commands) == 2, "the quick start is two commands: install + demo, tests"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci, f".ci/run does not run the README command {command!r}"


def test_mne_script_example_runs(tmp_path, monkeypatch, capsys):
    (code,) = _blocks(_section("Using it from an MNE script"), "python")
    monkeypatch.chdir(tmp_path)  # the example writes its simulated folder here
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})
    out = capsys.readouterr().out
    match = re.search(r"accuracy on held-out trials: ([0-9.]+) \+- ([0-9.]+)", out)
    assert match, out
    assert 0 <= float(match.group(1)) <= 1 and float(match.group(2)) >= 0
    match = re.search(r"pretrained, 8 held-out trials: ([0-9.]+)", out)
    assert match, out
    assert 0 <= float(match.group(1)) <= 1
    assert (tmp_path / "sim_seed_iv").is_dir()
