"""The one docstring dictionary of the package, and :func:`fill_doc`.

Entries shared with MNE-Python (``verbose``) are taken from MNE's own
``mne.utils.docs.docdict``, as MNE plugins do; the others are this package's.
A docstring line holding only ``%(key)s`` is replaced by the entry, re-indented
to the placeholder's indentation.
"""

from __future__ import annotations

from mne.utils.docs import docdict as _mne_docdict

docdict: dict[str, str] = {}

# MNE's entry, with its cross-reference into MNE's tutorials spelled out (this
# documentation is built offline, without MNE's labels)
docdict["verbose"] = "\n" + _mne_docdict["verbose"].strip("\n").replace(
    ":ref:`logging documentation <tut-logging>`", "logging documentation of MNE-Python"
)

# ---------------------------------------------------------------- general
docdict["random_state"] = """
random_state : int | numpy.random.Generator | None
    Seed or generator for reproducible results. ``None`` draws fresh entropy."""

docdict["n_windows"] = """
n_windows : int
    Number of consecutive feature samples ``T`` stacked into one model input
    (the paper uses ``T=10``)."""

docdict["trial_ids"] = """
trial_ids : array-like of int, shape (n_samples,)
    Trial identifier of every feature sample. Samples of one trial must be
    contiguous and in time order; operations never cross trial boundaries."""

docdict["order_310"] = """
order : ``"band"`` | ``"channel"``
    Layout of the 310 DE values of SEED-V feature files: ``"band"`` means
    band-major (5 blocks of 62 channels, as described by the dataset authors),
    ``"channel"`` means channel-major (62 blocks of 5 bands, as used by some
    third-party loaders)."""

docdict["device"] = """
device : str | torch.device | None
    Device to run on (``"cpu"``, ``"cuda"``, ``"cuda:1"``...). ``None`` picks
    CUDA when available, else CPU."""

# ---------------------------------------------------------------- features
docdict["de_bands"] = """
bands : dict of str -> (float, float) | None
    Frequency bands in Hz, ``{name: (f_lo, f_hi)}`` with ``0 < f_lo < f_hi``,
    in output order. ``None`` uses :data:`SEED_BANDS` (delta 1-4, theta 4-8,
    alpha 8-14, beta 14-31, gamma 31-50 Hz)."""

docdict["de_method"] = """
method : ``"seed"`` | ``"gaussian"``
    ``"seed"``: SEED-style ``log2(100 E)`` with ``E`` the mean Hann-windowed
    FFT power over the band's bins (the scale of the official feature files).
    ``"gaussian"``: ``0.5 log(2 pi e var)`` (nats) of the zero-phase
    band-passed signal. See the module documentation for details."""

docdict["de_units"] = """
units : str | None
    Units in which :class:`mne.Epochs` / :class:`mne.io.Raw` data are read
    (passed to their ``get_data``). Default ``"uV"`` (microvolts, the scale
    of the SEED files); ``None`` keeps SI units (volts). Ignored for arrays,
    which are used as given (SEED ``.mat`` arrays are already microvolts)."""

docdict["de_nfft"] = """
nfft : int | None
    FFT length of the SEED-style method, at least the window length. ``None``
    uses the next power of two of the window length (1024 for 4-s windows at
    200 Hz, 256 for 1-s windows)."""

docdict["de_on_short"] = """
on_short : ``"raise"`` | ``"warn"`` | ``"ignore"``
    What to do when a window is shorter than one period of a band's lower
    edge (``n_times / sfreq < 1 / f_lo``; such a band is not resolved by the
    window). ``"raise"`` (default) raises a ``ValueError``, ``"warn"`` emits a
    ``RuntimeWarning``, ``"ignore"`` computes the features anyway (the band
    energy is then dominated by spectral leakage)."""

docdict["de_filter"] = """
filter_order : int
    Order of the Butterworth band-pass of the Gaussian method (applied
    forward and backward, so the magnitude response is squared).
filter_edges : ``"enbw"`` | ``"nominal"``
    Gaussian method only. ``"enbw"`` widens the filter edges so that the
    forward-backward filter's noise-equivalent bandwidth equals the band width
    (white noise then gives the analytic DE); ``"nominal"`` uses the band edges
    as the filter's -3 dB frequencies."""

docdict["de_n_jobs"] = """
n_jobs : int
    Number of threads used over data chunks (FFT and filtering release the
    GIL). ``-1`` uses all CPU cores.
chunk_mb : float
    Approximate size in megabytes of the input processed at once; bounds the
    memory used for intermediate arrays (spectra, filtered signals)."""

# ---------------------------------------------------------------- datasets
docdict["seed_subjects"] = """
subjects : int | list of int | None
    Subjects to read (numbers as in the file names). ``None`` reads all."""

docdict["seed_sessions"] = """
sessions : int | list of int | None
    Sessions to read. ``None`` reads all."""

docdict["seed_raw_returns"] = """
raw : mne.io.RawArray
    All trials of the file concatenated in trial order, in volts (the files
    store microvolts), with the 62-channel montage set. Every trial has one
    annotation: onset = its first sample, duration = all its samples,
    description = emotion name; ``raw.annotations.extras`` holds ``dataset``,
    ``subject``, ``session``, ``trial`` (0-based index, the variable is
    ``<prefix>_eeg{trial + 1}``), ``label`` (dataset code) and ``key``. Trial
    junctions carry ``"BAD boundary"`` and ``"EDGE boundary"`` annotations (as
    :func:`mne.concatenate_raws` adds), so filtering never mixes two trials.
    All samples are kept, including the extra last sample of each trial
    (the files hold ``200 * seconds + 1`` samples)."""

docdict["seed_epochs_notes"] = """
Windows start at each trial's first sample and never cross a trial
boundary; the samples at the end of a trial that do not fill a whole window
(at least the extra ``+1`` sample of every file trial) are dropped, so a
trial of ``200 * 4 * n + 1`` samples gives exactly the ``n`` windows of the
feature files. ``epochs.metadata`` has the columns ``dataset``, ``subject``,
``session``, ``trial`` (0-based, as ``FeatureRecording.trial_ids``),
``window`` (0-based index inside the trial) and ``label`` (the dataset's code).
MNE event codes must be positive, so ``epochs.event_id`` maps each emotion
name to ``label + offset``; use ``epochs.metadata["label"]`` for the codes."""

docdict["allow_partial"] = """
allow_partial : bool
    Accept files with fewer trials than a session of the dataset has (logged).
    By default fewer trials are an error naming the file and the missing
    trials: the real files always hold all trials, so fewer means a truncated
    or incomplete copy. Folders written by :mod:`mne_mmvsstma.simulation`
    declare their own trial count."""

# ---------------------------------------------------------------- training
docdict["simulate_overwrite"] = """
overwrite : bool
    Write into ``root`` even when it is a non-empty folder that these
    simulators did not write (files of the same names are replaced)."""

docdict["estimator_kwargs"] = """
**kwargs
    Other parameters of the estimator (``lr_schedule="cosine"``,
    ``warmup_epochs``, ``grad_clip``, ``callbacks``, ``compile``...)."""

docdict["fill_eye"] = """
fill_eye : str | None
    How non-finite eye-movement features are filled
    (:func:`mne_mmvsstma.features.fill_eye_nan` method, e.g.
    ``"interpolate"``). ``None`` raises an error when there are any: the
    model never trains on NaN silently."""

docdict["trial_ids_opt"] = """
trial_ids : array-like of int, shape (n_samples,) | None
    Trial of every sample: needed for per-sample feature arrays (EEG
    ``(n, C, F)``, eye ``(n, n_eye)``, stacked here into windows within
    trials), used by ``n_labels`` and the validation on held-out trials."""

docdict["checkpoint_resume"] = """
checkpoint_dir : path-like | None
    Folder where the whole training state is written after every epoch.
resume : bool
    Continue from the checkpoint in ``checkpoint_dir`` (same data and
    settings): an interrupted run resumed equals an uninterrupted one."""

docdict["model_kwargs"] = """
model_kwargs : dict | None
    Architecture of new networks (``emb_dim``, ``n_layers``,
    ``n_decoder_layers``, ``n_heads``, ``head_dim``, ``drop_prob``, ``pool``,
    ``kernel_sizes``; other :class:`~mne_mmvsstma.models.MVSSTMA` parameters
    are passed as ``module__<name>``). ``None``: the default recipe's one
    encoder and one decoder hybrid block with one head
    (``training.recipe.CPU_ARCH``); the paper's is
    ``training.recipe.PAPER_ARCH``."""


def _indent(text: str, n_spaces: int) -> str:
    pad = " " * n_spaces
    lines = text.strip("\n").split("\n")
    return "\n".join([lines[0]] + [pad + line if line else line for line in lines[1:]])


def fill_doc(func):
    """Fill ``%(key)s`` placeholders of a docstring from :data:`docdict`.

    Multi-line entries are re-indented to the indentation of the placeholder,
    like :func:`mne.utils.fill_doc` does for MNE's own docstrings.
    """
    doc = func.__doc__
    if not doc:
        return func
    lines = doc.split("\n")
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("%(") and stripped.rstrip().endswith(")s"):
            key = stripped.strip()[2:-2]
            if key not in docdict:
                raise KeyError(f"fill_doc: unknown docdict key {key!r} in {func.__qualname__}")
            out.append(" " * indent + _indent(docdict[key], indent))
        else:
            out.append(line)
    func.__doc__ = "\n".join(out)
    return func
