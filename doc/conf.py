"""Sphinx configuration for mne_mmvsstma (offline build, warnings as errors in CI)."""

import os

# Thread settings must be made before torch is imported (nothing above does).
# The tutorials train tiny models: a second torch thread gains little, and
# when the cores are busy the extra OpenMP threads spin: with the default two
# threads 30_fusion_dcca.py took 465 s instead of 63 s with one thread on a
# loaded 2-core machine. Callers can still override both variables.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import sys  # noqa: E402
import warnings  # noqa: E402
from datetime import date  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")

# numpy/scipy BLAS: tutorials only do tiny BLAS operations, and spinning
# OpenBLAS threads made scipy's topomap interpolation take seconds per map on a
# busy 2-core machine (numpy may already be loaded, so limit the pool directly).
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1, user_api="blas")

sys.path.insert(0, os.path.abspath(".."))
import mne_mmvsstma  # noqa: E402

project = "mne_mmvsstma"
author = "mne_mmvsstma developers"
copyright = f"{date.today().year}, {author}"
version = release = mne_mmvsstma.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# intersphinx needs the network; enable it explicitly with MNE_MMVSSTMA_DOC_INTERSPHINX=1
if os.environ.get("MNE_MMVSSTMA_DOC_INTERSPHINX"):
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "mne": ("https://mne.tools/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_tutorials/*.ipynb"]
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
default_role = "py:obj"
nitpicky = False
suppress_warnings = ["config.cache"]
# Cross-references to the short public names (``mne_mmvsstma.compute_de``) resolve
# to the documented objects of the subpackages (``mne_mmvsstma.features.compute_de``),
# see _resolve_top_level below.

numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "mne_mmvsstma"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 1,
}
html_show_sourcelink = False

# braindecode/wfdb emit import-time warnings unrelated to our code
warnings.filterwarnings("ignore", category=FutureWarning, module="braindecode")
warnings.filterwarnings("ignore", message=".*inplace keyword.*")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")
warnings.filterwarnings("ignore", message=".*Montage name 'standard_1020' is deprecated")

sphinx_gallery_conf = {
    "examples_dirs": ["../tutorials"],
    "gallery_dirs": ["auto_tutorials"],
    # MNE_MMVSSTMA_DOC_PATTERN=20_ runs only matching tutorials (for fast iteration)
    "filename_pattern": os.environ.get("MNE_MMVSSTMA_DOC_PATTERN", r"/\d\d_"),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "plot_gallery": "True",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "image_scrapers": ("matplotlib",),
    # show rich (HTML) reprs of a cell's last value (tables), not e.g. "<Legend ...>"
    "capture_repr": ("_repr_html_",),
    "doc_module": ("mne_mmvsstma",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"mne_mmvsstma": None},
    "exclude_implicit_doc": {r"mne_mmvsstma\._.*"},
}


def _resolve_top_level(app, env, node, contnode):
    """Resolve ``mne_mmvsstma.<name>`` to the subpackage that documents ``<name>``."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    parts = target.split(".")
    if len(parts) != 2 or parts[0] != "mne_mmvsstma":
        return None
    module = mne_mmvsstma._public_homes().get(parts[1])
    if module is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env,
        node["refdoc"],
        app.builder,
        node["reftype"],
        f"mne_mmvsstma.{module}.{parts[1]}",
        node,
        contnode,
    )


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    """Skip the "Alias for field number N" entries of NamedTuple classes."""
    doc = getattr(obj, "__doc__", None) or ""
    if what == "class" and doc.startswith("Alias for field number"):
        return True
    # scikit-learn's generated metadata-routing setters (set_fit_request...): their
    # docstrings link into scikit-learn's glossary, which an offline build cannot resolve
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    """Connect the cross-reference and member-skipping helpers."""
    app.connect("missing-reference", _resolve_top_level)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
