"""A sink that plays a stream on an audio output (PyAudio)."""

from __future__ import annotations

import numpy as np

from ...errors import DeviceError, StreamFormatError
from ..frame import Frame
from ..info import StreamInfo
from .safety import DEFAULT_CEILING_DB, PeakLimiter, check_finite

__all__ = ["SpeakerSink"]


class SpeakerSink:
    """Play a regular audio stream on an output device (blocking writes pace the run).

    Every block is checked for NaN/inf (refused, naming ``producer``) and passes a
    :class:`~sensekit.core.sinks.safety.PeakLimiter`: nothing is played above ``ceiling_db``.

    Parameters
    ----------
    device : int, optional
        PortAudio output device index; default the system's default output.
    ceiling_db : float
        Output ceiling in dB full scale (default -1 dBFS).
    producer : str, optional
        The stage whose output is played, named in errors.
    """

    def __init__(self, device: int | None = None, *, ceiling_db: float = DEFAULT_CEILING_DB,
                 producer: str | None = None) -> None:
        self.device = device
        self.ceiling_db = ceiling_db
        self.producer = producer
        self._pa = self._stream = None
        self._limiter: PeakLimiter | None = None

    def open(self, info: StreamInfo) -> None:
        from ..sources.base import quiet_stderr
        from ..sources.mic import import_pyaudio

        if len(info.shape) != 1 or not info.rate:
            raise StreamFormatError(f"the speaker plays regular audio, stream {info.name!r} is {info.shape} at "
                                    f"{info.rate:g} Hz")
        self._limiter = PeakLimiter(info.rate, self.ceiling_db)
        pyaudio = import_pyaudio()
        try:
            with quiet_stderr():  # ALSA and JACK print their probing to fd 2
                self._pa = pyaudio.PyAudio()
                self._stream = self._pa.open(format=pyaudio.paFloat32, channels=info.shape[0], rate=int(info.rate),
                                             output=True, output_device_index=self.device)
        except Exception as e:  # noqa: BLE001 - PortAudio reports device problems as plain exceptions
            if self._pa is not None:
                self._pa.terminate()
            self._pa = None
            raise DeviceError(f"cannot open an audio output for {info.shape[0]} channels at {info.rate:g} Hz ({e})",
                              "connect headphones or pick another device (sensekit devices)") from None

    def write(self, frame: Frame) -> None:
        check_finite(frame, self.producer)
        self._stream.write(self._limiter.process(frame.data).astype(np.float32).tobytes())

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop_stream()
            self._stream.close()
            self._stream = None
        if self._pa is not None:
            self._pa.terminate()
            self._pa = None
