import mne
import numpy as np
import pytest

from mne_mmvsstma.channels import SEED_CH_NAMES, create_seed_info, make_seed_montage


def test_channel_list():
    assert len(SEED_CH_NAMES) == 62
    assert len(set(SEED_CH_NAMES)) == 62
    assert SEED_CH_NAMES[:3] == ["FP1", "FPZ", "FP2"]
    assert SEED_CH_NAMES[57] == "CB1" and SEED_CH_NAMES[61] == "CB2"
    assert "M1" not in SEED_CH_NAMES and "VEO" not in SEED_CH_NAMES


def test_montage_positions():
    montage = make_seed_montage()
    assert montage.ch_names == SEED_CH_NAMES
    pos = montage.get_positions()["ch_pos"]
    xyz = np.array([pos[ch] for ch in SEED_CH_NAMES])
    assert np.isfinite(xyz).all()
    # all positions distinct (CB1/CB2 do not collide with PO7/O1 etc.)
    assert len(np.unique(np.round(xyz, 6), axis=0)) == 62
    # CB1/CB2 are the template's POO7/POO8 and are left/right symmetric
    template = mne.channels.make_standard_montage("colin27_1005").get_positions()["ch_pos"]
    np.testing.assert_allclose(pos["CB1"], template["POO7"])
    np.testing.assert_allclose(pos["CB2"], template["POO8"])
    assert pos["CB1"][0] < 0 < pos["CB2"][0]
    np.testing.assert_allclose(pos["FZ"], template["Fz"])
    # CB1 is posterior to PO7 and O1 is more posterior than POZ
    assert pos["CB1"][1] < pos["PO7"][1]


def test_create_info_and_raw():
    info = create_seed_info(200.0)
    assert info["sfreq"] == 200.0
    assert info["ch_names"] == SEED_CH_NAMES
    raw = mne.io.RawArray(np.zeros((62, 10)), info, verbose=False)
    assert np.isfinite(raw.get_montage().get_positions()["ch_pos"]["CB2"]).all()


def test_create_info_errors():
    with pytest.raises(ValueError, match="Unknown SEED channel names.*M1"):
        create_seed_info(200.0, ch_names=["FP1", "M1"])
    with pytest.raises(ValueError, match="sfreq"):
        create_seed_info(-1)
