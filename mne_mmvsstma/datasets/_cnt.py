"""Header checks of Neuroscan continuous (.cnt) files before MNE reads them.

The layout constants are shared with the writer of
:mod:`mne_mmvsstma.simulation` (``simulation/_cnt.py``), which documents the format.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..utils import check_option

_SETUP_SIZE = 900
_ELECTLOC_SIZE = 75
_EVENT2 = struct.Struct("<HBclhhfccc")  # 19 bytes
_TEEG = struct.Struct("<Bll")  # 9 bytes
_SENSITIVITY = 204.8
_MAX_FILE_SIZE = 2e9  # MNE computes sizes itself above 2 GB (needs data_format)

# SETUP offsets (bytes)
_OFF = dict(
    rev=0,
    type=20,
    id=21,
    patient=121,
    sex=143,
    hand=144,
    label=205,
    date=225,
    time=235,
    nchannels=370,
    rate=376,
    heogchnl=402,
    veogchnl=404,
    lowpass_toggle=438,
    highpass_toggle=439,
    numsamples=864,
    lowcutoff=869,
    highcutoff=875,
    continuous_type=885,
    eventtablepos=886,
    continuous_seconds=890,
    channeloffset=894,
)
# ELECTLOC offsets (bytes, relative to the record)
_EOFF = dict(lab=0, bad_old=4, bad=14, x=19, y=23, baseline=47, sensitivity=59, calib=71)

_DTYPES = {"int16": np.dtype("<i2"), "int32": np.dtype("<i4")}


def read_cnt_header(fname, *, data_format="auto") -> dict:
    """Read and sanity-check the parts of a .cnt header that MNE relies on.

    Raises a :class:`ValueError` naming the file when it is too small,
    truncated (the event table offset lies beyond the end of the file) or
    internally inconsistent, instead of the opaque errors of the reader.

    Parameters
    ----------
    fname : path-like
        The .cnt file.
    data_format : ``"auto"`` | ``"int16"`` | ``"int32"``
        Sample format; ``"auto"`` infers it from the header like MNE does.

    Returns
    -------
    header : dict
        Keys ``ch_names``, ``n_channels``, ``sfreq``, ``n_samples``,
        ``n_bytes``, ``event_table_pos``, ``file_size``.
    """
    check_option("data_format", data_format, ("auto", "int16", "int32"))
    fname = Path(fname)
    file_size = fname.stat().st_size
    where = f"Neuroscan .cnt file {fname}"
    if file_size < _SETUP_SIZE:
        raise ValueError(
            f"{where} is truncated or not a .cnt file: {file_size} bytes, smaller than the "
            f"{_SETUP_SIZE}-byte SETUP header"
        )
    with open(fname, "rb") as fid:
        setup = fid.read(_SETUP_SIZE)
        n_channels = struct.unpack_from("<H", setup, _OFF["nchannels"])[0]
        sfreq = struct.unpack_from("<H", setup, _OFF["rate"])[0]
        n_samples = struct.unpack_from("<i", setup, _OFF["numsamples"])[0]
        event_pos = struct.unpack_from("<i", setup, _OFF["eventtablepos"])[0]
        if n_channels == 0 or sfreq == 0:
            raise ValueError(
                f"{where} is corrupt: header gives {n_channels} channels at {sfreq} Hz"
            )
        data_start = _SETUP_SIZE + _ELECTLOC_SIZE * n_channels
        if file_size < data_start:
            raise ValueError(
                f"{where} is truncated: the header lists {n_channels} channels "
                f"({data_start} header bytes) but the file has only {file_size} bytes"
            )
        elec = fid.read(_ELECTLOC_SIZE * n_channels)
    ch_names = []
    for idx in range(n_channels):
        raw = elec[idx * _ELECTLOC_SIZE : idx * _ELECTLOC_SIZE + 10]
        ch_names.append(raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip())
    if file_size < _MAX_FILE_SIZE:
        if event_pos < data_start or event_pos + _TEEG.size > file_size:
            raise ValueError(
                f"{where} is truncated or corrupt: the event table offset in the header "
                f"({event_pos}) lies outside the data/file ({data_start}..{file_size} bytes); "
                "the file was probably cut off while copying"
            )
        n_data = event_pos - data_start
        candidates = (2, 4) if data_format == "auto" else (_DTYPES[data_format].itemsize,)
        n_bytes = None
        for nb in candidates:
            if n_samples > 0 and n_data == n_samples * n_channels * nb:
                n_bytes = nb
        if n_bytes is None:
            raise ValueError(
                f"{where} is corrupt: {n_data} data bytes do not match the header's "
                f"{n_samples} samples x {n_channels} channels x {candidates} bytes per sample"
            )
    else:
        if data_format == "auto":
            raise ValueError(
                f"{where} is larger than 2 GB: pass data_format='int16' or 'int32' explicitly"
            )
        n_bytes = _DTYPES[data_format].itemsize
        if data_start + n_samples * n_channels * n_bytes > file_size:
            raise ValueError(
                f"{where} is truncated: the header's {n_samples} samples need more than the "
                f"{file_size} bytes of the file"
            )
    return dict(
        ch_names=ch_names,
        n_channels=int(n_channels),
        sfreq=float(sfreq),
        n_samples=int(n_samples),
        n_bytes=int(n_bytes),
        event_table_pos=int(event_pos),
        file_size=int(file_size),
    )
