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

from ..datasets._cnt import (
    _DTYPES,
    _ELECTLOC_SIZE,
    _EOFF,
    _EVENT2,
    _MAX_FILE_SIZE,
    _OFF,
    _SENSITIVITY,
    _SETUP_SIZE,
    _TEEG,
)
from ..utils import check_option, logger


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
