"""A minimal writer of Neuroscan continuous (.cnt) files.

Only the subset of the format that :func:`mne.io.read_raw_cnt` reads is
filled in (everything else is zero):

- a 900-byte ``SETUP`` header (offsets below, after the ``SETUP`` structure
  documented at http://paulbourke.net/dataformats/eeg/ and MNE's reader),
- one 75-byte ``ELECTLOC`` record per channel (name, 2-D position, baseline,
  sensitivity, calibration),
- multiplexed little-endian ``int16`` or ``int32`` samples (sample 0 of every
  channel, then sample 1 of every channel, ...),
- an event table (``TEEG`` header + ``EVENT2`` records).

A stored count ``c`` of channel ``i`` reads back (in volts) as
``(c - baseline) * calib * sensitivity / 204.8 * 1e-6``; the writer sets
``baseline = 0`` and ``sensitivity = 204.8`` and stores the resolution in
``calib`` (microvolts per count), so values read back are exact multiples of
the per-channel resolution returned by :meth:`CntWriter.cals`.

Event offsets are byte offsets into the file. MNE converts an offset ``o`` to
the sample ``(o - data_start) // (n_channels * n_bytes) - 1``, so the event of
sample ``s`` is stored at offset ``data_start + (s + 1) * n_channels * n_bytes``.
"""

from __future__ import annotations

import datetime
import os
import struct
from pathlib import Path

import numpy as np

from ..utils import check_option, logger

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


def _put(buf: bytearray, offset: int, fmt: str, value) -> None:
    struct.pack_into(fmt, buf, offset, value)


def _put_str(buf: bytearray, offset: int, size: int, text: str, what: str) -> None:
    raw = str(text).encode("ascii")
    if len(raw) >= size:
        raise ValueError(f"{what} {text!r} is too long for the .cnt header ({size - 1} chars max)")
    buf[offset : offset + len(raw)] = raw


def _effective_cals(resolution_uv: np.ndarray) -> np.ndarray:
    """Volts per count exactly as MNE computes them from the float32 header fields."""
    calib = np.asarray(resolution_uv, dtype="<f4")
    sens = float(np.float32(_SENSITIVITY))
    return np.array([float(c) * sens * 1e-6 / 204.8 for c in calib])


class CntWriter:
    """Write a Neuroscan .cnt file chunk by chunk.

    Parameters
    ----------
    fname : path-like
        Output file (``.cnt``).
    ch_names : list of str
        Channel names (ASCII, at most 9 characters each, unique). Note that
        ``mne.io.read_raw_cnt(..., header="auto")`` reads byte 4 of the name
        field as an "old style" bad-channel flag, so channels with names
        longer than 4 characters are marked bad by MNE.
    sfreq : int
        Sampling frequency in Hz (stored as an unsigned 16-bit integer).
    resolution : float | array-like, shape (n_channels,)
        Resolution in microvolts per count, per channel or for all channels.
    data_format : ``"int16"`` | ``"int32"``
        Sample format.
    pos : array-like, shape (n_channels, 2) | None
        2-D channel positions for the header (any unit; MNE fits them to a
        sphere). ``None`` places the channels on a circle.
    meas_date : datetime.datetime | None
        Recording date and time (written as ``mm/dd/yy`` and ``hh:mm:ss``).
        ``None`` writes 01/01/00 00:00:00.
    patient_id : int
        Patient id (written as digits).
    label : str
        Session label (read back by MNE as ``info["description"]``).
    heog, veog : str | None
        Names of the horizontal / vertical EOG channels, whose indices are
        stored in the header (``-1`` if ``None`` or absent).
    overwrite : bool
        Overwrite an existing file.

    Notes
    -----
    Use as a context manager or call :meth:`close`; samples are appended
    with :meth:`write`, events are added with :meth:`add_events`.
    """

    def __init__(
        self,
        fname,
        ch_names,
        sfreq,
        *,
        resolution=0.01,
        data_format="int32",
        pos=None,
        meas_date=None,
        patient_id=0,
        label="",
        heog=None,
        veog=None,
        overwrite=False,
    ):
        check_option("data_format", data_format, tuple(_DTYPES))
        self.fname = Path(fname)
        if self.fname.exists() and not overwrite:
            raise FileExistsError(f"{self.fname} exists; pass overwrite=True to replace it")
        ch_names = [str(ch) for ch in ch_names]
        if len(ch_names) == 0:
            raise ValueError("ch_names must not be empty")
        if len(set(ch_names)) != len(ch_names):
            raise ValueError(f"Channel names must be unique, got {ch_names}")
        if len(ch_names) > 65535:
            raise ValueError(f"Too many channels for a .cnt file: {len(ch_names)}")
        if float(sfreq) != int(sfreq) or not 0 < int(sfreq) <= 65535:
            raise ValueError(f"sfreq must be an integer in 1..65535 Hz, got {sfreq!r}")
        self.ch_names = ch_names
        self.n_channels = len(ch_names)
        self.sfreq = int(sfreq)
        self.dtype = _DTYPES[data_format]
        self.n_bytes = self.dtype.itemsize
        resolution = np.broadcast_to(np.asarray(resolution, float), (self.n_channels,)).copy()
        if not np.all(np.isfinite(resolution)) or np.any(resolution <= 0):
            raise ValueError("resolution must be positive and finite (microvolts per count)")
        self._resolution = resolution
        self._cals = _effective_cals(resolution)
        if pos is None:
            angle = 2 * np.pi * np.arange(self.n_channels) / self.n_channels
            pos = np.column_stack([np.cos(angle), np.sin(angle)])
        pos = np.asarray(pos, float)
        if pos.shape != (self.n_channels, 2) or not np.all(np.isfinite(pos)):
            raise ValueError(f"pos must be a finite array of shape ({self.n_channels}, 2)")
        if np.hypot(pos[:, 0], pos[:, 1]).max() == 0:
            raise ValueError("pos must not place all channels at the origin")
        self._pos = pos
        self._meas_date = meas_date
        self._patient_id = int(patient_id)
        self._label = label
        self._heog = ch_names.index(heog) if heog in ch_names else -1
        self._veog = ch_names.index(veog) if veog in ch_names else -1
        self._events: list[tuple[int, int]] = []
        self.n_times = 0
        self.data_start = _SETUP_SIZE + _ELECTLOC_SIZE * self.n_channels
        self._fid = open(self.fname, "wb")  # noqa: SIM115 (closed in close())
        self._fid.write(bytes(self.data_start))  # placeholder, written in close()
        self._closed = False

    # ------------------------------------------------------------------ API
    def cals(self) -> np.ndarray:
        """Volts per count of every channel, exactly as MNE will read them."""
        return self._cals.copy()

    def write(self, data) -> np.ndarray:
        """Append samples.

        Parameters
        ----------
        data : array-like, shape (n_channels, n_times)
            Samples in volts.

        Returns
        -------
        counts : ndarray of int, shape (n_channels, n_times)
            The integer counts stored (``counts * cals()[:, None]`` is what
            MNE reads back).
        """
        self._check_open()
        data = np.asarray(data, dtype=float)
        if data.ndim != 2 or data.shape[0] != self.n_channels:
            raise ValueError(f"data must have shape ({self.n_channels}, n_times), got {data.shape}")
        if not np.all(np.isfinite(data)):
            raise ValueError("data contains NaN or infinite values")
        counts = np.rint(data / self._cals[:, None])
        info = np.iinfo(self.dtype)
        if counts.size and (counts.min() < info.min or counts.max() > info.max):
            bad = int(np.argmax(np.abs(counts).max(axis=1)))
            raise ValueError(
                f"data of channel {self.ch_names[bad]!r} exceeds the {self.dtype.name} range at "
                f"a resolution of {self._resolution[bad]} uV per count; use a coarser "
                "resolution or data_format='int32'"
            )
        counts = counts.astype(self.dtype)
        self._fid.write(np.ascontiguousarray(counts.T).tobytes())
        self.n_times += counts.shape[1]
        return counts

    def add_events(self, samples, codes) -> None:
        """Add events (stimulus codes 1..65535) at the given samples."""
        samples = np.atleast_1d(np.asarray(samples, dtype=np.int64))
        codes = np.broadcast_to(np.asarray(codes, dtype=np.int64), samples.shape)
        if samples.size and samples.min() < 0:
            raise ValueError("event samples must be >= 0")
        if codes.size and (codes.min() < 1 or codes.max() > 65535):
            raise ValueError("event codes must be in 1..65535")
        self._events.extend(zip(samples.tolist(), codes.tolist()))

    def close(self) -> None:
        """Write the event table and the header, and close the file."""
        if self._closed:
            return
        try:
            bad = [s for s, _ in self._events if s >= self.n_times]
            if bad:
                raise ValueError(
                    f"event samples {bad[:5]} lie beyond the {self.n_times} samples written"
                )
            event_table_pos = self.data_start + self.n_times * self.n_channels * self.n_bytes
            if event_table_pos > _MAX_FILE_SIZE:
                logger.info(
                    "%s is larger than 2 GB: mne.io.read_raw_cnt needs data_format=%r",
                    self.fname,
                    self.dtype.name,
                )
            body = bytearray()
            step = self.n_channels * self.n_bytes
            for sample, code in sorted(self._events):
                offset = self.data_start + (sample + 1) * step
                body += _EVENT2.pack(code, 0, b"\x00", offset, 0, 0, 0.0, b"\x00", b"\x00", b"\x00")
            self._fid.write(_TEEG.pack(2, len(body), 0))
            self._fid.write(bytes(body))
            self._fid.seek(0)
            self._fid.write(self._header(event_table_pos))
        finally:
            self._fid.close()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.close()
        except Exception:
            self._remove()
            raise
        if exc_type is not None:
            self._remove()
        return False

    def _remove(self):
        try:
            os.remove(self.fname)
        except OSError:  # pragma: no cover
            pass

    # -------------------------------------------------------------- helpers
    def _check_open(self):
        if self._closed:
            raise RuntimeError(f"{self.fname} is already closed")

    def _header(self, event_table_pos: int) -> bytes:
        buf = bytearray(self.data_start)
        _put_str(buf, _OFF["rev"], 12, "Version 3.0", "revision")
        _put(buf, _OFF["type"], "<B", 1)
        _put_str(buf, _OFF["id"], 20, str(self._patient_id), "patient id")
        _put_str(buf, _OFF["patient"], 20, "anonymous", "patient name")
        _put_str(buf, _OFF["sex"], 2, "U", "sex")
        _put_str(buf, _OFF["hand"], 2, "U", "hand")
        _put_str(buf, _OFF["label"], 20, self._label, "session label")
        date = self._meas_date or datetime.datetime(2000, 1, 1)
        _put_str(buf, _OFF["date"], 10, date.strftime("%m/%d/%y"), "date")
        _put_str(buf, _OFF["time"], 12, date.strftime("%H:%M:%S"), "time")
        _put(buf, _OFF["nchannels"], "<H", self.n_channels)
        _put(buf, _OFF["rate"], "<H", self.sfreq)
        _put(buf, _OFF["heogchnl"], "<h", self._heog)
        _put(buf, _OFF["veogchnl"], "<h", self._veog)
        _put(buf, _OFF["numsamples"], "<i", self.n_times)
        _put(buf, _OFF["continuous_type"], "<B", 1)
        _put(buf, _OFF["eventtablepos"], "<i", min(event_table_pos, 2**31 - 1))
        _put(buf, _OFF["continuous_seconds"], "<f", self.n_times / self.sfreq)
        _put(buf, _OFF["channeloffset"], "<i", self.n_bytes)
        for idx, name in enumerate(self.ch_names):
            base = _SETUP_SIZE + idx * _ELECTLOC_SIZE
            _put_str(buf, base + _EOFF["lab"], 10, name, "channel name")
            _put(buf, base + _EOFF["x"], "<f", self._pos[idx, 0])
            # Neuroscan stores screen coordinates (y downwards); MNE flips y.
            _put(buf, base + _EOFF["y"], "<f", -self._pos[idx, 1])
            _put(buf, base + _EOFF["baseline"], "<h", 0)
            _put(buf, base + _EOFF["sensitivity"], "<f", _SENSITIVITY)
            _put(buf, base + _EOFF["calib"], "<f", self._resolution[idx])
        return bytes(buf)


def write_cnt(
    fname,
    data,
    sfreq,
    ch_names,
    *,
    events=None,
    data_format="int32",
    resolution=None,
    pos=None,
    meas_date=None,
    patient_id=0,
    label="",
    heog=None,
    veog=None,
    overwrite=False,
):
    """Write a Neuroscan .cnt file that :func:`mne.io.read_raw_cnt` reads.

    Parameters
    ----------
    fname : path-like
        Output file.
    data : array-like, shape (n_channels, n_times)
        Samples in volts.
    sfreq : int
        Sampling frequency in Hz.
    ch_names : list of str
        Channel names.
    events : array-like, shape (n_events, 2) | None
        ``(sample, code)`` rows written to the event table (MNE reads them as
        annotations described by ``str(code)``).
    data_format : ``"int16"`` | ``"int32"``
        Sample format.
    resolution : float | array-like | None
        Microvolts per count. ``None`` scales every channel so that its largest
        absolute value uses about 97% of the integer range.
    pos, meas_date, patient_id, label, heog, veog, overwrite
        See :class:`CntWriter`.

    Returns
    -------
    cals : ndarray, shape (n_channels,)
        Volts per count; MNE reads ``round(data / cals) * cals``.
    """
    check_option("data_format", data_format, tuple(_DTYPES))
    data = np.asarray(data, dtype=float)
    if data.ndim != 2:
        raise ValueError(f"data must be 2-D (n_channels, n_times), got shape {data.shape}")
    if data.shape[0] != len(ch_names):
        raise ValueError(f"data has {data.shape[0]} channels but {len(ch_names)} names were given")
    if resolution is None:
        peak = np.abs(data).max(axis=1) if data.shape[1] else np.zeros(len(data))
        full = 0.97 * np.iinfo(_DTYPES[data_format]).max
        resolution = np.where(peak > 0, peak * 1e6 / full, 1e-3)
        # float32 rounding of calib must not push the peak out of range
        resolution = np.nextafter(resolution.astype(np.float32), np.float32(np.inf))
    with CntWriter(
        fname,
        ch_names,
        sfreq,
        resolution=resolution,
        data_format=data_format,
        pos=pos,
        meas_date=meas_date,
        patient_id=patient_id,
        label=label,
        heog=heog,
        veog=veog,
        overwrite=overwrite,
    ) as writer:
        writer.write(data)
        if events is not None:
            events = np.asarray(events, dtype=np.int64).reshape(-1, 2)
            writer.add_events(events[:, 0], events[:, 1])
    return writer.cals()


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
