"""Tests of compute_de against independent computations."""

import math

import mne
import numpy as np
import pytest

from mne_mmvsstma.features import SEED_BANDS, compute_de

SFREQ = 200.0
EDGES = np.array(list(SEED_BANDS.values()), dtype=float)


def _direct_seed_de(x, sfreq, nfft, edges=EDGES):
    """SEED-style DE written out per signal: Hann, full FFT, band mean of |X|^2."""
    n = x.shape[-1]
    hann = np.array([0.5 - 0.5 * math.cos(2 * math.pi * k / (n + 1)) for k in range(1, n + 1)])
    flat = x.reshape(-1, n)
    out = np.empty((flat.shape[0], len(edges)))
    for i, sig in enumerate(flat):
        mag = np.abs(np.fft.fft(sig * hann, nfft))[: nfft // 2 + 1]
        for b, (lo, hi) in enumerate(edges):
            k0, k1 = int(lo * nfft // sfreq), int(hi * nfft // sfreq)
            energy = np.mean(mag[k0 : k1 + 1] ** 2)
            out[i, b] = math.log2(100 * energy)
    return out.reshape(x.shape[:-1] + (len(edges),))


@pytest.mark.parametrize(
    "n_times, nfft, expected_nfft",
    [(800, None, 1024), (800, 800, 800), (200, None, 256), (400, 1000, 1000)],
)
def test_seed_matches_direct_fft(rng, n_times, nfft, expected_nfft):
    x = rng.normal(scale=20.0, size=(3, 4, n_times))  # microvolts
    de = compute_de(x, SFREQ, nfft=nfft)
    assert de.shape == (3, 4, 5)
    assert de.dtype == np.float64
    np.testing.assert_allclose(de, _direct_seed_de(x, SFREQ, expected_nfft), rtol=1e-10)
    # microvolt EEG gives the scale of the official files (about 10-30)
    assert 10 < de.mean() < 30


def test_seed_custom_bands_and_leading_dims(rng):
    bands = {"low": (2, 6.5), "high": (40, 100)}  # up to Nyquist is fine for "seed"
    x = rng.normal(size=(2, 3, 5, 400))
    de = compute_de(x, SFREQ, bands=bands)
    assert de.shape == (2, 3, 5, 2)
    np.testing.assert_allclose(
        de, _direct_seed_de(x, SFREQ, 512, edges=np.array([(2, 6.5), (40, 100)])), rtol=1e-10
    )


def test_seed_white_noise_analytic(rng):
    """E[|X_k|^2] = sigma^2 * sum(w^2) for white noise, in every band."""
    sigma, n = 5.0, 800
    x = rng.normal(scale=sigma, size=(20, 62, n))
    de = compute_de(x, SFREQ)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(1, n + 1) / (n + 1))
    expected = sigma**2 * np.sum(hann**2)
    energy = (2.0**de / 100.0).mean(axis=(0, 1))  # average energy per band
    np.testing.assert_allclose(energy, expected, rtol=0.03)


def test_window_cuts_continuous_data(rng):
    x = rng.normal(size=(4, int(SFREQ) * 13 + 1))  # 13 s + 1 sample, like SEED files
    for method in ("seed", "gaussian"):
        de = compute_de(x, SFREQ, window=4.0, method=method)
        assert de.shape == (3, 4, 5)  # (n_windows, n_channels, n_bands)
        assert np.isfinite(de).all()
    # SEED-style DE per window does not depend on how the data were cut
    epochs = x[:, : 3 * 800].reshape(4, 3, 800).transpose(1, 0, 2)
    np.testing.assert_allclose(compute_de(x, SFREQ, window=4.0), compute_de(epochs, SFREQ))
    # leading axes are kept, the window axis comes before the channel axis
    de = compute_de(np.stack([x, 2 * x]), SFREQ, window=1.0)
    assert de.shape == (2, 13, 4, 5)
    np.testing.assert_allclose(de[1] - de[0], 2.0)  # log2 of a 4x power ratio


def _enbw_var(var, edges=EDGES, sfreq=SFREQ):
    return var * 2 * (edges[:, 1] - edges[:, 0]) / sfreq


def test_gaussian_white_noise_analytic(rng):
    """0.5 log(2 pi e s^2 2 (f2 - f1) / fs) for white noise band-passed to [f1, f2]."""
    sigma = 2.0
    x = rng.normal(scale=sigma, size=(4, int(SFREQ) * 400))
    de = compute_de(x, SFREQ, method="gaussian", window=4.0)
    assert de.shape == (100, 4, 5)
    expected = 0.5 * np.log(2 * np.pi * np.e * _enbw_var(sigma**2))
    # average the variance over windows (not the log) to remove the Jensen bias
    var = np.exp(2 * de - np.log(2 * np.pi * np.e)).mean(axis=(0, 1))
    np.testing.assert_allclose(0.5 * np.log(2 * np.pi * np.e * var), expected, atol=0.03)
    # each window's DE scatters around the analytic value
    assert np.abs(np.median(de, axis=(0, 1)) - expected).max() < 0.1
    # the nominal design (edges at -6 dB after forward-backward) passes ~10 % less
    de_nom = compute_de(x, SFREQ, method="gaussian", window=4.0, filter_edges="nominal")
    var_nom = np.exp(2 * de_nom - np.log(2 * np.pi * np.e)).mean(axis=(0, 1))
    assert np.all((var_nom / var > 0.85) & (var_nom / var < 0.95))


def test_gaussian_band_limited_noise(rng):
    """Noise confined to 9-13 Hz: the alpha DE is the DE of the signal itself."""
    n = int(SFREQ) * 200
    spec = np.fft.rfft(rng.normal(size=(3, n)))
    freqs = np.fft.rfftfreq(n, 1 / SFREQ)
    spec[:, (freqs < 9) | (freqs > 13)] = 0
    x = np.fft.irfft(spec, n)
    x *= 3.0 / x.std(axis=1, keepdims=True)  # variance exactly 9
    de = compute_de(x, SFREQ, method="gaussian", window=4.0)
    var = np.exp(2 * de - np.log(2 * np.pi * np.e)).mean(axis=(0, 1))
    np.testing.assert_allclose(var[2], 9.0, rtol=0.03)  # alpha keeps all the power
    assert np.all(var[[0, 1, 4]] < 0.01 * 9.0)  # far bands see (almost) nothing
    # each epoch filtered on its own (no window=): edge effects stay small
    epochs = x[:, : 50 * 800].reshape(3, 50, 800).transpose(1, 0, 2)
    de_ep = compute_de(epochs, SFREQ, method="gaussian")
    var_ep = np.exp(2 * de_ep[..., 2] - np.log(2 * np.pi * np.e)).mean()
    np.testing.assert_allclose(var_ep, 9.0, rtol=0.05)
    # SEED-style: alpha dominates, delta is tiny
    de_seed = compute_de(x, SFREQ, window=4.0).mean(axis=(0, 1))
    assert de_seed[2] > de_seed[0] + 10


def _sosfiltfilt_de(x, win_len, filter_edges="enbw", sfreq=SFREQ, edges=EDGES):
    """Gaussian DE written out with scipy's time-domain forward-backward filter."""
    from scipy import signal

    from mne_mmvsstma.features.de import _design_bandpass

    n_win = x.shape[-1] // win_len
    out = []
    for lo, hi in edges:
        sos = _design_bandpass(float(lo), float(hi), sfreq, 4, filter_edges)
        y = signal.sosfiltfilt(sos, x, axis=-1, padlen=min(x.shape[-1] - 1, 600))
        var = y[..., : n_win * win_len].reshape(x.shape[:-1] + (n_win, win_len)).var(axis=-1)
        out.append(0.5 * np.log(2 * np.pi * np.e * var))
    return np.stack(out, axis=-1)  # (..., n_win, n_bands)


@pytest.mark.parametrize("window, filter_edges", [(4.0, "enbw"), (1.0, "enbw"), (4.0, "nominal")])
def test_gaussian_matches_sosfiltfilt(rng, window, filter_edges):
    """The frequency-domain band-pass equals scipy's sosfiltfilt away from the ends."""
    n = int(SFREQ) * 300  # several overlap-save blocks
    # white + brown noise (1/f^2, like EEG) on a large DC offset
    x = rng.normal(size=(3, n)) + 0.1 * np.cumsum(rng.normal(size=(3, n)), axis=1) + 500.0
    de = compute_de(x, SFREQ, method="gaussian", window=window, filter_edges=filter_edges)
    win_len = int(window * SFREQ)
    ref = np.moveaxis(_sosfiltfilt_de(x, win_len, filter_edges), 1, 0)  # (n_win, C, F)
    assert de.shape == ref.shape == (n // win_len, 3, 5)
    skip = int(8 / window)  # the ends are extended differently (no lfilter_zi)
    np.testing.assert_allclose(de[skip:-skip], ref[skip:-skip], rtol=0, atol=1e-4)
    np.testing.assert_allclose(de, ref, rtol=0, atol=5e-3)
    # epochs: each filtered on its own; only delta (longest response) feels the ends
    epochs = x[:, : 40 * 800].reshape(3, 40, 800).transpose(1, 0, 2)
    de_ep = compute_de(epochs, SFREQ, method="gaussian", filter_edges=filter_edges)
    ref_ep = _sosfiltfilt_de(epochs, 800, filter_edges)[..., 0, :]
    np.testing.assert_allclose(de_ep[..., 1:], ref_ep[..., 1:], rtol=0, atol=1e-4)
    np.testing.assert_allclose(de_ep[..., 0], ref_ep[..., 0], rtol=0, atol=1e-2)


def test_gaussian_flat_channel_gives_minus_inf(rng):
    x = np.zeros((2, 3, 800))
    x[:, 1] = rng.normal(size=(2, 800))
    de = compute_de(x, SFREQ, method="gaussian")
    assert np.isneginf(de[:, [0, 2]]).all() and np.isfinite(de[:, 1]).all()


def _make_epochs(rng, n_epochs=3, n_times=800, with_stim=True):
    ch_names = ["FP1", "FZ", "CZ", "OZ"] + (["STI"] if with_stim else [])
    ch_types = ["eeg"] * 4 + (["stim"] if with_stim else [])
    info = mne.create_info(ch_names, SFREQ, ch_types)
    data = rng.normal(scale=10e-6, size=(n_epochs, len(ch_names), n_times))
    if with_stim:
        data[:, -1] = 1.0
    return mne.EpochsArray(data, info, verbose=False), data


def test_epochs_and_raw_input(rng):
    epochs, data = _make_epochs(rng)
    de, names = compute_de(epochs, return_ch_names=True)
    assert names == ["FP1", "FZ", "CZ", "OZ"]  # stim channel not picked
    np.testing.assert_allclose(de, compute_de(data[:, :4] * 1e6, SFREQ))  # V -> uV
    np.testing.assert_allclose(
        compute_de(epochs, units=None), compute_de(data[:, :4], SFREQ), rtol=1e-12
    )
    np.testing.assert_allclose(compute_de(epochs, picks=["CZ"]), de[:, [2]])
    np.testing.assert_allclose(compute_de(epochs, sfreq=200.0), de)
    with pytest.raises(ValueError, match="does not match"):
        compute_de(epochs, sfreq=100.0)
    g = compute_de(epochs, method="gaussian")
    assert g.shape == (3, 4, 5) and np.isfinite(g).all()

    raw = mne.io.RawArray(data[0, :4], mne.pick_info(epochs.info, range(4)), verbose=False)
    np.testing.assert_allclose(
        compute_de(raw, window=1.0), compute_de(data[0, :4] * 1e6, SFREQ, window=1.0)
    )
    with pytest.raises(ValueError, match="needs window"):
        compute_de(raw)


def test_chunking_and_threads_do_not_change_results(rng):
    x = rng.normal(size=(3, 2, int(SFREQ) * 21))
    for method in ("seed", "gaussian"):
        ref = compute_de(x, SFREQ, window=4.0, method=method)
        # tiny chunks split rows and windows; threads run chunks concurrently
        for kwargs in (dict(chunk_mb=0.01), dict(chunk_mb=0.01, n_jobs=2), dict(n_jobs=-1)):
            np.testing.assert_allclose(
                compute_de(x, SFREQ, window=4.0, method=method, **kwargs), ref, rtol=1e-12
            )
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(
        compute_de(x32, SFREQ, window=4.0), compute_de(x32.astype(float), SFREQ, window=4.0)
    )


def test_flat_channel_gives_minus_inf(rng):
    x = rng.normal(size=(2, 3, 400))
    x[:, 1] = 0.0
    de = compute_de(x, SFREQ)
    assert np.isneginf(de[:, 1]).all() and np.isfinite(de[:, [0, 2]]).all()


def _bad_x():
    return np.random.default_rng(0).normal(size=(2, 3, 800))


def _with_nan(x):
    x = x.copy()
    x[1, 2, 3] = np.nan
    return x


def _with_nan_and_inf(x):
    x = _with_nan(x)
    x[0, 0, 0] = np.inf
    return x


def _keep(x):
    return x


# (make data from the (2, 3, 800) array, positional args after the data, kwargs,
#  exception, message regex)
_BAD_INPUT = [
    pytest.param(_keep, (), {}, ValueError, "sfreq.*required", id="sfreq-missing"),
    *(
        pytest.param(_keep, (bad,), {}, ValueError, "sfreq must be a positive", id=f"sfreq-{name}")
        for name, bad in (("negative", -200.0), ("zero", 0), ("nan", np.nan), ("inf", np.inf))
    ),
    pytest.param(_keep, ("200",), {}, TypeError, "sfreq must be a number", id="sfreq-str"),
    # gamma (31-50 Hz) is above the Nyquist frequency of 80 Hz data
    pytest.param(
        _keep, (80.0,), {}, ValueError, "'gamma'.*Nyquist.*sfreq=80", id="band-above-nyquist"
    ),
    pytest.param(
        _keep,
        (SFREQ,),
        dict(bands={"hf": (60, 100)}, method="gaussian"),
        ValueError,
        "Nyquist",
        id="gaussian-band-at-nyquist",
    ),
    # 0.5-s windows are shorter than one period of delta's 1 Hz lower edge
    pytest.param(
        lambda x: x[..., :100],
        (SFREQ,),
        {},
        ValueError,
        r"shorter than one period \(1 s\).*'delta'",
        id="window-shorter-than-period",
    ),
    pytest.param(
        _keep, (SFREQ,), dict(window=5.0), ValueError, "fewer than one window", id="window-too-long"
    ),
    pytest.param(_with_nan, (SFREQ,), {}, ValueError, "data contains 1 NaN", id="data-nan"),
    pytest.param(
        _with_nan_and_inf,
        (SFREQ,),
        dict(method="gaussian"),
        ValueError,
        "1 NaN and 1 infinite",
        id="data-nan-and-inf-gaussian",
    ),
    pytest.param(
        lambda x: x[0, 0], (SFREQ,), {}, ValueError, "at least 2 dimensions", id="data-1d"
    ),
    pytest.param(_keep, (SFREQ,), dict(nfft=512), ValueError, "nfft must be", id="nfft-too-small"),
    pytest.param(
        _keep,
        (SFREQ,),
        dict(bands={"bad": (8, 4)}),
        ValueError,
        "0 < f_lo < f_hi",
        id="band-reversed",
    ),
    pytest.param(_keep, (SFREQ,), dict(bands={"bad": 8}), ValueError, "pair", id="band-not-a-pair"),
    pytest.param(_keep, (SFREQ,), dict(bands={}), TypeError, "non-empty dict", id="bands-empty"),
    pytest.param(
        _keep,
        (SFREQ,),
        dict(method="psd"),
        ValueError,
        "Invalid value for the 'method' parameter",
        id="method-unknown",
    ),
    pytest.param(
        _keep,
        (SFREQ,),
        dict(window=-1),
        ValueError,
        "window must be a positive",
        id="window-negative",
    ),
    pytest.param(_keep, (SFREQ,), dict(n_jobs=0), ValueError, "n_jobs", id="n_jobs-zero"),
    pytest.param(
        lambda x: x.astype(complex), (SFREQ,), {}, TypeError, "complex", id="data-complex"
    ),
]


@pytest.mark.parametrize("make_x, args, kwargs, exc, match", _BAD_INPUT)
def test_bad_input(make_x, args, kwargs, exc, match):
    x = make_x(_bad_x())
    with pytest.raises(exc, match=match):
        compute_de(x, *args, **kwargs)


def test_short_window_options():
    """on_short= lets windows shorter than one period through, with or without a warning."""
    x = _bad_x()
    with pytest.warns(RuntimeWarning, match="shorter than one period"):
        de = compute_de(x[..., :100], SFREQ, on_short="warn")
    assert np.isfinite(de).all()
    assert compute_de(x[..., :100], SFREQ, on_short="ignore").shape == (2, 3, 5)
    compute_de(x[..., :200], SFREQ)  # exactly one period: fine (1-s SEED windows)
