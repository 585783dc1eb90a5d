"""The 62 SEED channels and their montage.

All three datasets (SEED, SEED-IV, SEED-V) record the same 62 channels of the
ESI NeuroScan system in the same order. Names are kept exactly as the datasets
spell them (upper case, e.g. ``"FP1"``, ``"CB1"``).

CB1 and CB2 (cerebellar electrodes) exist in no standard MNE montage. We place
them at the positions of POO7 and POO8, the same choice MNE makes through its
channel aliases (``set_montage(..., match_alias=True)`` maps CB1 -> POO7 and
CB2 -> POO8). All other positions come from the ``colin27_1005`` template
(the non-deprecated name of the former ``standard_1005`` positions in MNE 1.13).
"""

from __future__ import annotations

import mne
import numpy as np

SEED_CH_NAMES: list[str] = (
    "FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 "
    "FC4 FC6 FT8 T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 "
    "P7 P5 P3 P1 PZ P2 P4 P6 P8 PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2"
).split()
"""The 62 EEG channels of SEED, SEED-IV and SEED-V, in file order."""

#: Template positions used for the cerebellar channels (see module docstring).
CB_POSITIONS = {"CB1": "POO7", "CB2": "POO8"}

_TEMPLATE = "colin27_1005"

SEED_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1, 4),
    "theta": (4, 8),
    "alpha": (8, 14),
    "beta": (14, 31),
    "gamma": (31, 50),
}
"""The five frequency bands (Hz) of the SEED feature files, in file order."""



def make_seed_montage() -> mne.channels.DigMontage:
    """Return a :class:`mne.channels.DigMontage` with positions for all 62 SEED channels.

    Positions come from MNE's ``colin27_1005`` template; CB1/CB2 are placed at
    POO7/POO8 (see the module docstring). Channel names are the SEED spelling.

    Returns
    -------
    montage : mne.channels.DigMontage
        Montage in head coordinates with the template's fiducials.
    """
    template = mne.channels.make_standard_montage(_TEMPLATE)
    positions = template.get_positions()
    lookup = {name.upper(): name for name in positions["ch_pos"]}
    ch_pos = {}
    for name in SEED_CH_NAMES:
        template_name = lookup[CB_POSITIONS.get(name, name)]
        ch_pos[name] = np.asarray(positions["ch_pos"][template_name], dtype=float)
    return mne.channels.make_dig_montage(
        ch_pos=ch_pos,
        nasion=positions["nasion"],
        lpa=positions["lpa"],
        rpa=positions["rpa"],
        coord_frame=positions["coord_frame"],
    )


def create_seed_info(sfreq: float = 200.0, ch_names=None) -> mne.Info:
    """Create :class:`mne.Info` for SEED EEG with the montage set.

    Parameters
    ----------
    sfreq : float
        Sampling frequency in Hz (200 Hz for the preprocessed SEED data).
    ch_names : list of str | None
        Subset of :data:`SEED_CH_NAMES` (default: all 62, in file order).

    Returns
    -------
    info : mne.Info
        EEG info with positions for every channel.
    """
    ch_names = list(SEED_CH_NAMES if ch_names is None else ch_names)
    unknown = sorted(set(ch_names) - set(SEED_CH_NAMES))
    if unknown:
        raise ValueError(f"Unknown SEED channel names: {unknown}")
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise ValueError(f"sfreq must be a positive number, got {sfreq!r}")
    info = mne.create_info(ch_names, sfreq=float(sfreq), ch_types="eeg")
    info.set_montage(make_seed_montage(), on_missing="raise")
    return info
