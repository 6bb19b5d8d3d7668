"""Biosensing boards (OpenBCI Cyton/Ganglion, Muse, the synthetic board, ...) via BrainFlow."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from ...errors import DeviceError, DeviceLostError
from ..frame import Frame
from ..info import StreamInfo
from .base import Source, clock

__all__ = ["BrainFlowSource", "brainflow_boards", "import_brainflow"]

_PARAMS = ("serial_port", "mac_address", "ip_address", "ip_port", "ip_protocol", "other_info", "timeout",
           "serial_number", "file", "master_board")


def import_brainflow():
    """Import BrainFlow's board module, or raise a :class:`DeviceError` on how to install it."""
    try:
        from brainflow import board_shim
    except ImportError:
        raise DeviceError("BrainFlow boards need the brainflow package", "pip install 'sensekit[brainflow]'") from None
    return board_shim


def brainflow_boards() -> dict[str, int]:
    """Board names accepted in ``brainflow:NAME`` (lower case, ``_board`` dropped) -> board id."""
    bs = import_brainflow()
    out = {}
    for b in bs.BoardIds:
        if b.value < -1:
            continue
        name = b.name.lower().removesuffix("_board")
        out[name] = int(b.value)
    return out


class BrainFlowSource(Source):
    """Stream a board's EXG channels (EEG/EMG/ECG) through BrainFlow.

    Parameters
    ----------
    board : str or int
        Board name as listed by :func:`brainflow_boards` (``"synthetic"``, ``"cyton"``,
        ``"ganglion"``) or a BrainFlow board id.
    poll_s : float
        How often the board's buffer is read.
    stall_timeout_s : float
        A board that delivers nothing for this long is reported as lost.
    **params
        BrainFlow input parameters: ``serial_port``, ``mac_address``, ``ip_address``,
        ``ip_port``, ``serial_number``, ``other_info``, ``timeout``, ``file``.

    Notes
    -----
    Values are in microvolts (BrainFlow's unit for EXG). Timestamps come from the
    board's timestamp channel (UNIX seconds, the host's wall clock), moved onto sensekit's
    monotonic clock (:func:`~sensekit.core.sources.base.clock`) as every device source's are, so
    a board captured beside a camera or a microphone shares their time base (its first block
    had been stamped 1.8e9 s after theirs).
    """

    def __init__(self, board: str | int = "synthetic", *, poll_s: float = 0.05, stall_timeout_s: float = 5.0,
                 **params) -> None:
        bs = self._bs = import_brainflow()
        boards = brainflow_boards()
        if isinstance(board, str) and not board.lstrip("-").isdigit():
            if board.lower() not in boards:
                close = [b for b in boards if board.lower() in b][:8]
                raise DeviceError(f"unknown BrainFlow board {board!r}",
                                  f"use one of {close or list(boards)[:12]} (see 'sensekit devices')")
            board_id = boards[board.lower()]
        else:
            board_id = int(board)
        unknown = set(params) - set(_PARAMS)
        if unknown:
            raise DeviceError(f"unknown BrainFlow parameter(s) {sorted(unknown)}", f"use {', '.join(_PARAMS)}")
        p = bs.BrainFlowInputParams()
        for k, v in params.items():
            setattr(p, k, int(v) if k in ("ip_port", "ip_protocol", "timeout", "master_board") else str(v))
        bs.BoardShim.disable_board_logger()
        self._board = bs.BoardShim(board_id, p)
        try:
            self._board.prepare_session()
        except bs.BrainFlowError as e:
            raise DeviceError(f"BrainFlow board {board!r} cannot be opened ({e})",
                              "check the dongle/port (serial_port=...) and that no other app holds the board") from None
        self.board_id = board_id
        descr = bs.BoardShim.get_board_descr(board_id)
        self._exg = bs.BoardShim.get_exg_channels(board_id)
        self._ts_row = bs.BoardShim.get_timestamp_channel(board_id)
        rate = float(bs.BoardShim.get_sampling_rate(board_id))
        names = descr.get("eeg_names", "")
        labels = names.split(",") if names and len(names.split(",")) == len(self._exg) else [
            f"exg{i}" for i in range(len(self._exg))]
        self.info = StreamInfo(name=f"brainflow-{descr.get('name', board)}".lower(), kind="exg", rate=rate,
                               shape=(len(self._exg),), channels=tuple(labels), dtype="float64", unit="uV",
                               meta={"board": str(board), "board_id": board_id})
        self.poll_s, self.stall_timeout_s = poll_s, stall_timeout_s
        self.description = f"brainflow:{board}"

    def _frames(self) -> Iterator[Frame]:
        self._board.start_stream()
        seq, got, last = 0, 0, clock()
        t0 = None
        rate = self.info.rate
        while True:
            time.sleep(self.poll_s)
            try:
                raw = self._board.get_board_data()
            except self._bs.BrainFlowError as e:
                raise DeviceLostError(f"BrainFlow board {self.description!r} failed ({e})") from None
            if raw.shape[1] == 0:
                if clock() - last > self.stall_timeout_s:
                    raise DeviceLostError(f"BrainFlow board {self.description!r} delivered nothing for "
                                          f"{self.stall_timeout_s:g} s")
                continue
            last = clock()
            if t0 is None:  # (wall clock -> monotonic clock, read together now)
                t0 = float(raw[self._ts_row, 0]) + (clock() - time.time())
            data = np.ascontiguousarray(raw[self._exg].T)
            yield Frame(self.info, data, t0=t0 + got / rate, seq=seq)
            got += data.shape[0]
            seq += 1

    def close(self) -> None:
        board = getattr(self, "_board", None)
        if board is not None:
            try:
                if board.is_prepared():
                    try:
                        board.stop_stream()
                    except self._bs.BrainFlowError:
                        pass
                    board.release_session()
            finally:
                self._board = None
