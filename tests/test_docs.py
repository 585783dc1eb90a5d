"""The documentation covers the public API and the tutorials use only public API."""

from __future__ import annotations

import ast
import importlib
import re
import types
from pathlib import Path

import pytest

import mne_mmvsstma

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "doc"
TUTORIALS = ROOT / "tutorials"
SUBPACKAGES = ("datasets", "simulation", "features", "models", "training", "protocol")
# channels.py has no __all__: its public names are those of the top-level map
CHANNEL_NAMES = sorted(n for n, mod in mne_mmvsstma._public_homes().items() if mod == "channels")

pytestmark = pytest.mark.skipif(not (DOC / "api.rst").is_file(), reason="no doc/ folder")


def _documented_names(text: str) -> set[str]:
    """Fully qualified names listed in the autosummary blocks of an rst file."""
    names, module, in_block = set(), None, False
    for line in text.splitlines():
        stripped = line.strip()
        match = re.match(r"\.\. currentmodule:: (\S+)", stripped)
        if match:
            module = match.group(1)
            in_block = False
            continue
        if stripped.startswith(".. autosummary::"):
            in_block = True
            continue
        if in_block:
            if not stripped or stripped.startswith(":"):
                continue
            if not line.startswith("   "):
                in_block = False
                continue
            names.add(f"{module}.{stripped}")
    return names


@pytest.fixture(scope="module")
def documented():
    return _documented_names((DOC / "api.rst").read_text(encoding="utf-8"))


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_api_lists_every_public_name(sub, documented):
    module = importlib.import_module(f"mne_mmvsstma.{sub}")
    missing = [
        n
        for n in module.__all__
        if f"mne_mmvsstma.{sub}.{n}" not in documented
        and not isinstance(getattr(module, n), types.ModuleType)
    ]
    assert not missing, f"doc/api.rst lacks mne_mmvsstma.{sub} names: {missing}"


def test_api_lists_top_level_names(documented):
    missing = []
    for name, sub in mne_mmvsstma._public_homes().items():
        if f"mne_mmvsstma.{sub}.{name}" not in documented:
            missing.append(f"{sub}.{name}")
    assert not missing, f"doc/api.rst lacks top-level names: {missing}"
    assert CHANNEL_NAMES  # the channels section is checked through the top-level map


def test_api_entries_exist(documented):
    assert len(documented) > 40
    for qualname in sorted(documented):
        module, _, name = qualname.rpartition(".")
        assert hasattr(importlib.import_module(module), name), f"{qualname} does not exist"


def test_real_data_page_names_reader_folders():
    from mne_mmvsstma.datasets._read import LAYOUT_FOLDERS

    text = (DOC / "real_data.rst").read_text(encoding="utf-8")
    for dataset, folders in LAYOUT_FOLDERS.items():
        for folder in folders:
            assert f"{folder}/" in text, f"real_data.rst lacks the {dataset} folder {folder}"
    for func in ("read_seed_iv_features", "read_seed_v_features", "read_seed_features",
                 "read_raw_seed_iv", "read_raw_seed_v", "read_raw_seed"):
        assert func in text


def _tutorials():
    return sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))


def test_tutorials_exist():
    names = [p.name for p in _tutorials()]
    assert len(names) >= 5, names
    assert (TUTORIALS / "README.txt").is_file()


def _public(module: str) -> set[str]:
    if module == "mne_mmvsstma":
        return set(mne_mmvsstma.__all__)
    if module == "mne_mmvsstma.channels":
        return set(CHANNEL_NAMES)
    sub = module.split(".")[1]
    if module != f"mne_mmvsstma.{sub}" or sub not in SUBPACKAGES:
        return set()  # a private / implementation module: nothing may be imported
    return set(importlib.import_module(module).__all__)


@pytest.mark.parametrize("path", _tutorials(), ids=lambda p: p.name)
def test_tutorial_uses_public_api(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    assert doc and re.search(r"^={3,}$", doc, re.M), f"{path.name}: no sphinx-gallery title"
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mne_mmvsstma"):
            public = _public(node.module)
            bad += [f"{node.module}.{a.name}" for a in node.names if a.name not in public]
        elif isinstance(node, ast.Import):
            bad += [a.name for a in node.names
                    if a.name.startswith("mne_mmvsstma.") and not _public(a.name)]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            bad.append(f"attribute .{node.attr}")
    assert not bad, f"{path.name} uses non-public names: {bad}"


@pytest.mark.parametrize("room", ["training", "protocol"])
def test_architecture_page_lists_the_modules(room):
    """The architecture page names every module of training/ and protocol/, and only those."""
    text = (DOC / "architecture.rst").read_text()
    block = text.split(f"    {room}/", 1)[1]
    # the room's lines: up to the next room (a line starting at the block's indent)
    lines = []
    for line in block.splitlines()[1:]:
        if re.match(r"^    \S", line):
            break
        lines.append(line)
    named = set(re.findall(r"\b(\w+)\.py\b", "\n".join(lines)))
    have = {p.stem for p in (ROOT / "mne_mmvsstma" / room).glob("*.py")}
    have -= {"__init__", "estimators"}  # the package stub and the old import path
    assert named == have, f"{room}/: the page names {sorted(named)}, the room has {sorted(have)}"
