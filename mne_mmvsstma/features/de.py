"""Differential entropy (DE) features.

Two families of DE features are used in the SEED literature; :func:`compute_de`
computes either of them (``method``):

``method="seed"`` (default)
    The definition behind the official SEED / SEED-IV / SEED-V feature files
    (values of about 10-30 for EEG in microvolts). Each window is multiplied by
    a Hann window, zero-padded to ``nfft`` points and Fourier transformed
    (unnormalised FFT). The band energy ``E`` is the mean of ``|X[k]|**2`` over
    the FFT bins ``k`` of the band and the feature is ``log2(100 * E)``. The
    bins of a band ``(f_lo, f_hi)`` are ``floor(f_lo * nfft / sfreq)`` to
    ``floor(f_hi * nfft / sfreq)`` inclusive (0-based, bin ``k`` is frequency
    ``k * sfreq / nfft``); adjacent bands share their edge bin, as in the
    reference implementation. The Hann window is MATLAB's ``hanning(n)``
    (symmetric, without zero end points: ``0.5 - 0.5 cos(2 pi k / (n + 1))``,
    ``k = 1..n``). Because the FFT is not normalised, the values depend on the
    window length (4-s and 1-s windows give different offsets), exactly as the
    official files do. Unit: log2 of (100 x squared signal units).

``method="gaussian"``
    The DE of a Gaussian variable, ``0.5 * log(2 pi e var(x_band))`` in nats,
    where ``x_band`` is the signal passed through a zero-phase Butterworth
    band-pass: the filter of :func:`scipy.signal.sosfiltfilt` (forward-backward,
    magnitude response ``|H(f)|**2``), applied in the frequency domain for
    speed (overlap-save FFT blocks with more context than the filter's impulse
    response needs; the band signals are synthesised in single precision).
    Away from the ends of the data the result agrees with ``sosfiltfilt`` to
    about 1e-6 nats. By default (``filter_edges="enbw"``) the filter edges are
    widened around the band's geometric centre so that the noise-equivalent
    bandwidth of the forward-backward filter equals ``f_hi - f_lo``: for white
    noise of variance ``s**2`` the feature is then, up to estimation noise, the
    analytic value ``0.5 * log(2 pi e s**2 * 2 (f_hi - f_lo) / sfreq)``.
    ``filter_edges="nominal"`` puts the -3 dB points of the single-pass filter
    at the band edges (-6 dB after the forward-backward pass, bandwidth about
    10 % smaller).

Windows
-------
Without ``window`` each epoch (or each last-axis vector of an array) is one
window. With ``window=<seconds>`` the last axis is cut into consecutive,
non-overlapping windows of ``round(window * sfreq)`` samples (trailing samples
that do not fill a window are dropped), like the 4-s (SEED-IV, SEED-V) and 1-s
(SEED) windows of the official features. For the Gaussian method, continuous
data are filtered as a whole before being cut, so windows have no filter edge
effects (only the ends of the recording are extended); when each epoch is a
window, each epoch is filtered on its own. The ends are extended by an odd
extension (``padtype="odd"`` of :func:`scipy.signal.sosfiltfilt`) over up to
three periods of the lowest band edge (at most the data length minus one),
then held constant.

Units
-----
:class:`mne.Epochs` and :class:`mne.io.Raw` are read in microvolts by default
(``units="uV"``, the scale of the SEED files; ``units=None`` keeps SI volts).
Arrays are used as given: the SEED ``.mat`` files already hold microvolts.
"""

from __future__ import annotations

import functools
import math
import numbers
import threading
from concurrent.futures import ThreadPoolExecutor

import mne
import numpy as np
from scipy import signal

from ..channels import SEED_BANDS
from ..utils import check_finite, check_option, fill_doc, logger, verbose

_LOG_2PIE = math.log(2 * math.pi * math.e)


def _check_sfreq(sfreq, name="sfreq"):
    if isinstance(sfreq, bool) or not isinstance(sfreq, numbers.Real):
        raise TypeError(f"{name} must be a number (Hz), got {type(sfreq).__name__}")
    sfreq = float(sfreq)
    if not math.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"{name} must be a positive, finite number (Hz), got {sfreq!r}")
    return sfreq


def _check_bands(bands, sfreq, *, method):
    """Validate ``bands`` and return ``(names, edges (n_bands, 2) float array)``."""
    if bands is None:
        bands = SEED_BANDS
    if not isinstance(bands, dict) or len(bands) == 0:
        raise TypeError(
            "bands must be a non-empty dict {name: (f_lo, f_hi)}, "
            f"got {type(bands).__name__} {bands!r}"
        )
    nyquist = sfreq / 2.0
    names, edges = [], []
    for name, edge in bands.items():
        if not isinstance(name, str):
            raise TypeError(f"band names must be str, got {name!r}")
        try:
            lo, hi = (float(e) for e in edge)
        except (TypeError, ValueError):
            raise ValueError(
                f"band {name!r} must be a pair (f_lo, f_hi) of numbers in Hz, got {edge!r}"
            ) from None
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
            raise ValueError(f"band {name!r} must satisfy 0 < f_lo < f_hi, got ({lo}, {hi}) Hz")
        above = hi >= nyquist if method == "gaussian" else hi > nyquist
        if above:
            raise ValueError(
                f"band {name!r} ({lo:g}-{hi:g} Hz) reaches the Nyquist frequency "
                f"({nyquist:g} Hz for sfreq={sfreq:g} Hz); check sfreq or lower the band "
                "edge" + (" (the Gaussian method needs f_hi < Nyquist)" if hi == nyquist else "")
            )
        names.append(name)
        edges.append((lo, hi))
    return names, np.array(edges, dtype=float)


def _check_short(n_times, sfreq, names, edges, on_short):
    """Handle windows shorter than one period of a band's lower edge."""
    duration = n_times / sfreq
    short = [
        (name, lo, hi)
        for name, (lo, hi) in zip(names, edges)
        if n_times * lo < sfreq * (1 - 1e-9)  # duration < 1 / lo
    ]
    if not short or on_short == "ignore":
        return
    name, lo, hi = short[0]
    msg = (
        f"windows of {n_times} samples ({duration:g} s at {sfreq:g} Hz) are shorter "
        f"than one period ({1 / lo:g} s) of the lower edge of band {name!r} "
        f"({lo:g}-{hi:g} Hz)"
    )
    if len(short) > 1:
        msg += f" (also bands {[s[0] for s in short[1:]]})"
    msg += "; use longer windows, drop the band, or pass on_short='ignore'"
    if on_short == "raise":
        raise ValueError(msg)
    mne.utils.warn(msg, RuntimeWarning)


def _hann_matlab(n):
    """MATLAB ``hanning(n)``: symmetric Hann window without the zero end points."""
    k = np.arange(1, n + 1)
    return 0.5 - 0.5 * np.cos(2 * np.pi * k / (n + 1))


def _seed_weights(edges, sfreq, nfft):
    """Band-averaging matrix over FFT bins, shape (2 * (k_max + 1), n_bands).

    Rows alternate real / imaginary parts so that ``(spec_as_float ** 2) @ w``
    gives the mean power ``|X|**2`` of each band directly.
    """
    k_lo = np.floor(edges[:, 0] * nfft / sfreq).astype(int)
    k_hi = np.floor(edges[:, 1] * nfft / sfreq).astype(int)
    k_hi = np.minimum(k_hi, nfft // 2)
    k_max = int(k_hi.max())
    w = np.zeros((k_max + 1, len(edges)))
    for b, (lo, hi) in enumerate(zip(k_lo, k_hi)):
        w[lo : hi + 1, b] = 1.0 / (hi - lo + 1)
    return k_max, np.repeat(w, 2, axis=0)


def _enbw(sos, sfreq, width):
    """Noise-equivalent bandwidth (Hz) of the forward-backward filter ``|H|**4``."""
    n_freqs = int(min(2**20, max(2**14, math.ceil(100 * sfreq / width))))
    freqs, h = signal.sosfreqz(sos, worN=n_freqs, fs=sfreq)
    return float(np.trapezoid(np.abs(h) ** 4, freqs))


@functools.lru_cache(maxsize=256)
def _design_bandpass(lo, hi, sfreq, order, edges):
    """Butterworth band-pass (sos) for the Gaussian method (cached; do not modify)."""
    nyquist = sfreq / 2.0
    if edges == "nominal":
        sos = signal.butter(order, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
        return sos
    # widen the band around its geometric centre until the forward-backward
    # noise-equivalent bandwidth equals hi - lo (a few fixed-point iterations)
    target = hi - lo
    centre2 = lo * hi
    width = target
    sos = None
    for _ in range(8):
        f1 = -width / 2 + math.sqrt(width**2 / 4 + centre2)
        f2 = min(f1 + width, nyquist * 0.999)
        sos = signal.butter(order, [f1, f2], btype="bandpass", fs=sfreq, output="sos")
        enbw = _enbw(sos, sfreq, target)
        if abs(enbw / target - 1) < 1e-4 or f2 >= nyquist * 0.999:
            break
        width *= target / enbw
    return sos


def _chunks(n_rows, n_win, win_len, chunk_bytes, itemsize=8):
    """Yield (r0, r1, w0, w1) blocks of about ``chunk_bytes`` input bytes."""
    row_bytes = n_win * win_len * itemsize
    if row_bytes <= chunk_bytes:
        step = max(1, int(chunk_bytes // max(row_bytes, 1)))
        for r0 in range(0, n_rows, step):
            yield r0, min(r0 + step, n_rows), 0, n_win
    else:
        wstep = max(1, int(chunk_bytes // (win_len * itemsize)))
        for r0 in range(n_rows):
            for w0 in range(0, n_win, wstep):
                yield r0, r0 + 1, w0, min(w0 + wstep, n_win)


def _run_chunks(func, blocks, n_jobs):
    blocks = list(blocks)
    if n_jobs == 1 or len(blocks) == 1:
        for block in blocks:
            func(block)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        for _ in pool.map(func, blocks):
            pass


def _de_seed(x2, out, sfreq, win_len, edges, nfft, chunk_bytes, n_jobs):
    """SEED-style DE of ``x2`` (n_rows, n_times) into ``out`` (n_rows, n_win, n_bands)."""
    n_rows, n_win, n_bands = out.shape
    hann = _hann_matlab(win_len)
    k_max, weights = _seed_weights(edges, sfreq, nfft)
    blocks = list(_chunks(n_rows, n_win, win_len, chunk_bytes))
    max_windows = max((r1 - r0) * (w1 - w0) for r0, r1, w0, w1 in blocks)
    local = threading.local()  # one set of work buffers per thread, reused across chunks

    def work(block):
        r0, r1, w0, w1 = block
        n = (r1 - r0) * (w1 - w0)
        if not hasattr(local, "padded"):
            # zero padding beyond win_len is written once and never touched again
            local.padded = np.zeros((max_windows, nfft))
            local.spec = np.empty((max_windows, nfft // 2 + 1), complex)
        xc = x2[r0:r1, w0 * win_len : w1 * win_len].reshape(r1 - r0, w1 - w0, win_len)
        padded = local.padded[:n]
        np.multiply(xc, hann, out=padded[:, :win_len].reshape(xc.shape))
        spec = np.fft.rfft(padded, axis=-1, out=local.spec[:n])
        parts = np.ascontiguousarray(spec[:, : k_max + 1]).view(np.float64)  # re, im
        np.square(parts, out=parts)
        energy = parts @ weights  # mean |X|^2 over each band's bins
        energy *= 100.0
        with np.errstate(divide="ignore"):
            np.log2(energy, out=energy)
        out[r0:r1, w0:w1] = energy.reshape(r1 - r0, w1 - w0, n_bands)

    _run_chunks(work, blocks, n_jobs)


# relative tail energy of the zero-phase impulse response that may be cut off,
# and relative response below which FFT bins of a band are treated as zero
_KERNEL_TAIL = 1e-12
_RESPONSE_FLOOR = 1e-10


def _zero_phase_response(sos, sfreq, freqs):
    """``|H(f)|**2``: the magnitude response of ``sosfiltfilt`` with ``sos``."""
    _, h = signal.sosfreqz(sos, worN=freqs, fs=sfreq)
    return h.real**2 + h.imag**2


@functools.lru_cache(maxsize=64)
def _kernel_halflength(edges, sfreq, order, filter_edges):
    """Samples after which the zero-phase impulse responses of all bands have decayed.

    The impulse response of the forward-backward filter is symmetric; the
    returned ``M`` is the smallest lag beyond which at most ``_KERNEL_TAIL`` of
    its energy remains, maximised over the bands (``edges`` is a tuple of
    ``(lo, hi)`` pairs).
    """
    half = 0
    for lo, hi in edges:
        sos = _design_bandpass(lo, hi, sfreq, order, filter_edges)
        n = 1 << max(14, math.ceil(math.log2(64 * sfreq / min(lo, hi - lo))))
        while True:
            resp = _zero_phase_response(sos, sfreq, np.fft.rfftfreq(n, 1.0 / sfreq))
            energy = np.fft.irfft(resp, n)[: n // 2] ** 2
            tail = np.cumsum(energy[::-1])[::-1] / (2 * energy.sum() - energy[0])
            below = np.flatnonzero(tail < _KERNEL_TAIL)
            if below.size or n >= 2**26:
                break
            n *= 2
        half = max(half, int(below[0]) if below.size else n // 2)
    return half


def _band_spectra(soses, sfreq, nfft):
    """Per band: first bin, and ``|H|**2`` over the bins where it is not negligible."""
    freqs = np.fft.rfftfreq(nfft, 1.0 / sfreq)
    out = []
    for sos in soses:
        resp = _zero_phase_response(sos, sfreq, freqs)
        keep = np.flatnonzero(resp > _RESPONSE_FLOOR * resp.max())
        k1, k2 = int(keep[0]), int(keep[-1]) + 1
        out.append((k1, resp[k1:k2]))
    return out


def _de_gaussian(x2, out, sfreq, win_len, edges, order, filter_edges, chunk_bytes, n_jobs):
    """Gaussian DE of ``x2`` (n_rows, n_times) into ``out`` (n_rows, n_win, n_bands).

    The zero-phase band-pass is applied in the frequency domain: each row is
    extended at both ends (odd extension over ``pad`` samples as in
    :func:`scipy.signal.sosfiltfilt`, then constant), cut into overlapping
    blocks of ``nfft`` samples (overlap-save; ``half`` samples of context on each
    side, more than the impulse response's effective half-length), transformed
    once, and every band is synthesised by multiplying the spectrum with the
    Butterworth ``|H|**2`` (the exact magnitude response of the
    forward-backward filter) and transforming back in single precision. Window
    variances are then sums over each window (blocks hold whole windows).
    """
    from numpy.lib.stride_tricks import sliding_window_view
    from scipy import fft as sp_fft

    n_rows, n_win, n_bands = out.shape
    n_times = x2.shape[1]
    soses = [_design_bandpass(float(lo), float(hi), sfreq, order, filter_edges) for lo, hi in edges]
    half = _kernel_halflength(tuple(map(tuple, edges.tolist())), sfreq, order, filter_edges)
    # odd extension over 3 periods of the lowest band edge, at most what the
    # data allow, then constant continuation
    pad = min(n_times - 1, int(math.ceil(3 * sfreq / edges[:, 0].min())), half)
    # windows per block: blocks of at least ~16k samples (and 2x the context)
    per_block = min(n_win, max(1, math.ceil(max(2 * half, 16384) / win_len)))
    nfft = sp_fft.next_fast_len(2 * half + per_block * win_len, real=True)
    step = (nfft - 2 * half) // win_len * win_len  # valid samples per block
    per_block = step // win_len
    n_blocks = math.ceil(n_win / per_block)
    ext_len = (n_blocks - 1) * step + nfft
    spectra = _band_spectra(soses, sfreq, nfft)
    row_bytes = ext_len * 8 * 2  # extended row and its spectrum
    rows_per = max(1, int(chunk_bytes // row_bytes))
    blocks = [(r0, min(r0 + rows_per, n_rows)) for r0 in range(0, n_rows, rows_per)]

    def work(block):
        r0, r1 = block
        xc = x2[r0:r1].astype(np.float64, copy=False)
        n = r1 - r0
        # odd extension (sosfiltfilt's padtype="odd"), then constant to the
        # block grid; trailing samples past the last block are not needed
        ext = np.pad(xc, ((0, 0), (pad, pad)), mode="reflect", reflect_type="odd")
        after = max(0, ext_len - half - n_times - pad)
        ext = np.pad(ext, ((0, 0), (half - pad, after)), mode="edge")[:, :ext_len]
        segments = sliding_window_view(ext, nfft, axis=-1)[:, ::step][:, :n_blocks]
        spec = sp_fft.rfft(segments, axis=-1)
        del ext, segments
        band = np.zeros(spec.shape, np.complex64)
        for b, (k1, resp) in enumerate(spectra):
            k2 = k1 + resp.size
            np.multiply(spec[..., k1:k2], resp, out=band[..., k1:k2], casting="same_kind")
            y = sp_fft.irfft(band, nfft, axis=-1)
            band[..., k1:k2] = 0
            y = y[..., half : half + step].reshape(n, n_blocks, per_block, win_len)
            sum2 = np.einsum("...i,...i->...", y, y).reshape(n, -1)[:, :n_win]
            mean = y.sum(axis=-1).reshape(n, -1)[:, :n_win] / win_len
            var = sum2 / win_len - mean.astype(np.float64) ** 2
            del y
            with np.errstate(divide="ignore"):
                out[r0:r1, :, b] = 0.5 * (_LOG_2PIE + np.log(np.maximum(var, 0.0)))

    _run_chunks(work, blocks, n_jobs)


def _get_mne_data(data, picks, units):
    """Return (array, sfreq, ch_names) of Epochs / Raw."""
    from mne._fiff.pick import _picks_to_idx

    idx = _picks_to_idx(data.info, picks, none="data", exclude=())
    ch_names = [data.ch_names[i] for i in idx]
    arr = data.get_data(picks=idx, units=units)
    return arr, float(data.info["sfreq"]), ch_names


def _check_finite_fast(x, name):
    """NaN / inf check without a full-size boolean temporary in the common case."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(x, dtype=np.float64)
    if not np.isfinite(total):
        check_finite(x, name)  # raises with counts (passes on mere overflow)


@verbose
@fill_doc
def compute_de(
    data,
    sfreq=None,
    *,
    bands=None,
    method="seed",
    window=None,
    picks=None,
    units="uV",
    nfft=None,
    filter_order=4,
    filter_edges="enbw",
    on_short="raise",
    n_jobs=1,
    chunk_mb=16.0,
    return_ch_names=False,
    verbose=None,
):
    """Compute differential-entropy (DE) features per window, channel and band.

    Parameters
    ----------
    data : mne.Epochs | mne.io.Raw | array-like, shape (..., n_channels, n_times)
        The signals. For :class:`mne.Epochs` each epoch is one window (unless
        ``window`` is given); :class:`mne.io.Raw` requires ``window``. Arrays
        may have any leading dimensions; every vector along the last axis is
        one window (unless ``window`` is given).
    sfreq : float | None
        Sampling frequency in Hz. Required for arrays; for Epochs / Raw it is
        read from ``info`` and, if given, must match it.
    %(de_bands)s
    %(de_method)s
    window : float | None
        If given, cut the last axis into consecutive non-overlapping windows
        of ``round(window * sfreq)`` samples (trailing samples that do not fill
        a window are dropped) and return one value per window: the output gets
        an extra ``n_windows`` axis before the channel axis. Use this on
        continuous recordings (``window=4.`` reproduces the windows of the
        SEED-IV / SEED-V feature files, ``window=1.`` those of SEED).
    picks : str | list | slice | None
        Channels to use for Epochs / Raw (MNE ``picks`` semantics; ``None``
        = all data channels, including bad ones). Ignored for arrays.
    %(de_units)s
    %(de_nfft)s
    %(de_filter)s
    %(de_on_short)s
    %(de_n_jobs)s
    return_ch_names : bool
        If True, also return the channel names (from ``info`` for Epochs /
        Raw, ``"ch0"``, ``"ch1"``... for arrays).
    %(verbose)s

    Returns
    -------
    de : ndarray of float64, shape (..., n_channels, n_bands)
        DE features. Epochs give ``(n_epochs, n_channels, n_bands)``; with
        ``window``, ``(..., n_windows, n_channels, n_bands)`` where ``...`` are
        the leading axes of the input (none for Raw or a 2-D array, i.e.
        ``(n_windows, n_channels, n_bands)``, the SEED feature-file layout
        with the window axis first). A window with zero power in a band gives
        ``-inf``.
    ch_names : list of str
        Only if ``return_ch_names`` is True.

    Notes
    -----
    The computation is vectorised over windows, channels and bands and runs on
    chunks of about ``chunk_mb`` megabytes, so the extra memory beyond the input
    and the output is bounded (FFT spectra are never held for the whole input).
    """
    check_option("method", method, ("seed", "gaussian"))
    check_option("on_short", on_short, ("raise", "warn", "ignore"))
    check_option("filter_edges", filter_edges, ("enbw", "nominal"))
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int, got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs < 0:
        import os

        n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    if not (isinstance(chunk_mb, numbers.Real) and chunk_mb > 0):
        raise ValueError(f"chunk_mb must be a positive number, got {chunk_mb!r}")

    is_raw = isinstance(data, mne.io.BaseRaw)
    if isinstance(data, mne.BaseEpochs) or is_raw:
        kind = "Raw" if is_raw else "Epochs"
        if is_raw and window is None:
            raise ValueError(
                "compute_de on a Raw needs window=<seconds> to cut it into windows "
                "(e.g. window=4.0), or make Epochs first (mne.make_fixed_length_epochs)"
            )
        x, info_sfreq, ch_names = _get_mne_data(data, picks, units)
        if sfreq is not None and not math.isclose(_check_sfreq(sfreq), info_sfreq, rel_tol=1e-9):
            raise ValueError(
                f"sfreq={sfreq!r} does not match the {kind} sampling frequency "
                f"info['sfreq']={info_sfreq!r}; leave sfreq=None for {kind}"
            )
        sfreq = info_sfreq
        name = f"{kind} data"
    else:
        if sfreq is None:
            raise ValueError("sfreq (Hz) is required when data is an array")
        sfreq = _check_sfreq(sfreq)
        x = np.asarray(data)
        if x.dtype.kind not in "fiu" or x.dtype == np.float16:
            if x.dtype.kind == "c":
                raise TypeError("data must be real-valued, got a complex array")
            x = x.astype(np.float64)
        name = "data"
        ch_names = None
    if x.ndim < 2:
        raise ValueError(
            f"{name} must have at least 2 dimensions (..., n_channels, n_times), "
            f"got shape {x.shape}"
        )
    if x.size == 0:
        raise ValueError(f"{name} is empty (shape {x.shape})")
    if ch_names is None:
        ch_names = [f"ch{i}" for i in range(x.shape[-2])]
    _check_finite_fast(x, name)

    names, edges = _check_bands(bands, sfreq, method=method)
    n_times = x.shape[-1]
    if window is None:
        win_len, n_win = n_times, 1
    else:
        if isinstance(window, bool) or not isinstance(window, numbers.Real) or window <= 0:
            raise ValueError(f"window must be a positive duration in seconds, got {window!r}")
        win_len = int(round(float(window) * sfreq))
        if win_len < 1:
            raise ValueError(f"window={window} s is shorter than one sample at {sfreq:g} Hz")
        n_win = n_times // win_len
        if n_win == 0:
            raise ValueError(
                f"{name} has {n_times} samples ({n_times / sfreq:g} s), fewer than one "
                f"window of {win_len} samples ({window} s)"
            )
    _check_short(win_len, sfreq, names, edges, on_short)
    if method == "seed":
        if nfft is None:
            nfft = 1 << max(0, (win_len - 1).bit_length())
        elif isinstance(nfft, bool) or not isinstance(nfft, numbers.Integral) or nfft < win_len:
            raise ValueError(
                f"nfft must be an int >= the window length ({win_len} samples), got {nfft!r}"
            )
        nfft = int(nfft)

    lead = x.shape[:-1]
    x2 = x.reshape(-1, n_times)
    out = np.empty((x2.shape[0], n_win, len(names)))
    chunk_bytes = float(chunk_mb) * 2**20
    logger.info(
        f"Computing {method} DE: {x2.shape[0]} signals x {n_win} window(s) of {win_len} "
        f"samples ({win_len / sfreq:g} s at {sfreq:g} Hz), bands {names}"
    )
    if method == "seed":
        _de_seed(x2, out, sfreq, win_len, edges, nfft, chunk_bytes, n_jobs)
    else:
        if not isinstance(filter_order, numbers.Integral) or filter_order < 1:
            raise ValueError(f"filter_order must be a positive int, got {filter_order!r}")
        _de_gaussian(
            x2,
            out,
            sfreq,
            win_len,
            edges,
            int(filter_order),
            filter_edges,
            chunk_bytes,
            n_jobs,
        )
    n_inf = int(np.isinf(out).sum())
    if n_inf:
        logger.warning(
            f"compute_de: {n_inf} DE values are -inf (windows with zero power in a band, "
            "e.g. flat channels)"
        )
    if window is None:
        de = out.reshape(lead + (len(names),))
    else:
        # (..., C, n_win, F) -> (..., n_win, C, F)
        de = out.reshape(lead + (n_win, len(names)))
        de = np.ascontiguousarray(np.moveaxis(de, -2, -3))
    if return_ch_names:
        return de, list(ch_names)
    return de
