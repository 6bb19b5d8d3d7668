"""Microphones and microphone arrays through PyAudio (PortAudio)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ...errors import DeviceError, DeviceLostError
from ..checks import check_scalar
from ..frame import Frame
from ..info import StreamInfo
from .base import Source, clock, quiet_stderr

__all__ = ["MicSource", "list_audio_devices", "import_pyaudio"]

_INPUT_OVERFLOWED = -9981


def import_pyaudio():
    """Import PyAudio, or raise a :class:`DeviceError` that says how to install it."""
    try:
        import pyaudio
    except ImportError:
        raise DeviceError(
            "microphone input needs PyAudio, which is not installed",
            "apt-get install portaudio19-dev && pip install 'sensekit[audio]'",
        ) from None
    return pyaudio


def _open_pyaudio():
    pyaudio = import_pyaudio()
    with quiet_stderr():
        return pyaudio, pyaudio.PyAudio()


def list_audio_devices() -> list[dict]:
    """Input devices: ``index``, ``name``, ``channels`` (max input), ``rate`` (default Hz)."""
    pyaudio, pa = _open_pyaudio()
    try:
        out = []
        for i in range(pa.get_device_count()):
            d = pa.get_device_info_by_index(i)
            if d.get("maxInputChannels", 0) > 0:
                out.append({"index": i, "name": d["name"], "channels": int(d["maxInputChannels"]),
                            "rate": float(d["defaultSampleRate"])})
        return out
    finally:
        pa.terminate()


class MicSource(Source):
    """Capture from a microphone or microphone array.

    Parameters
    ----------
    device : int or str, optional
        Device index, or a case-insensitive part of its name (``"ReSpeaker"``);
        default the system's default input.
    channels : int, optional
        Channels to capture; default all of the device's input channels (at most 32).
    rate : float, optional
        Sampling rate in Hz; default the device's default rate.
    block_size : int
        Samples per frame (PortAudio buffer size).
    geometry : dict, optional
        Array geometry to carry in the stream's meta (positions in metres).

    Notes
    -----
    Samples are captured as 16-bit PCM and given as float32 full-scale (-1..1). An
    input overflow (the host did not read in time) counts as one dropped block: the
    next frame's ``seq`` skips one.
    """

    def __init__(self, device: int | str | None = None, *, channels: int | None = None, rate: float | None = None,
                 block_size: int = 1024, geometry: dict | None = None) -> None:
        check_scalar(block_size, "block_size", kind=int, min_value=1)
        self._pyaudio, self._pa = _open_pyaudio()
        try:
            info = self._find(device)
            self.device_index = info["index"]
            self.device_name = info["name"]
            max_ch = int(info["maxInputChannels"])
            channels = channels or min(max_ch, 32)
            if channels > max_ch:
                raise DeviceError(f"audio device {self.device_name!r} has {max_ch} input channel(s), asked for {channels}",
                                  f"use --channels {max_ch} or fewer")
            rate = float(rate or info["defaultSampleRate"])
            self.block_size = block_size
            with quiet_stderr():
                try:
                    self._pa.is_format_supported(rate, input_device=self.device_index, input_channels=channels,
                                                 input_format=self._pyaudio.paInt16)
                    self._stream = self._pa.open(format=self._pyaudio.paInt16, channels=channels, rate=int(rate),
                                                 input=True, input_device_index=self.device_index,
                                                 frames_per_buffer=block_size, start=False)
                except (ValueError, OSError) as e:
                    raise DeviceError(
                        f"audio device {self.device_name!r} cannot capture {channels} channel(s) at {rate:g} Hz ({e})",
                        "try another --rate or --channels (see 'sensekit devices')",
                    ) from None
        except BaseException:
            self._pa.terminate()
            raise
        meta = {"device": self.device_name, "device_index": self.device_index}
        if geometry is not None:
            meta["geometry"] = geometry
        self.info = StreamInfo(name="mic", kind="audio", rate=rate, shape=(channels,), dtype="float32", unit="FS",
                               meta=meta)
        self.description = f"mic:{self.device_index} ({self.device_name})"

    def _find(self, device) -> dict:
        n = self._pa.get_device_count()
        inputs = [self._pa.get_device_info_by_index(i) for i in range(n)]
        inputs = [d for d in inputs if d.get("maxInputChannels", 0) > 0]
        if not inputs:
            raise DeviceError("no audio input device found", "plug in a microphone; 'sensekit devices' lists inputs")
        if device is None:
            try:
                return self._pa.get_default_input_device_info()
            except OSError:
                return inputs[0]
        if isinstance(device, int) or (isinstance(device, str) and device.isdigit()):
            idx = int(device)
            for d in inputs:
                if d["index"] == idx:
                    return d
            raise DeviceError(f"no audio input device with index {idx}",
                              f"use one of {[d['index'] for d in inputs]} (see 'sensekit devices')")
        matches = [d for d in inputs if str(device).lower() in d["name"].lower()]
        if not matches:
            raise DeviceError(f"no audio input device named like {device!r}",
                              f"inputs are: {', '.join(repr(d['name']) for d in inputs)}")
        return matches[0]

    def _frames(self) -> Iterator[Frame]:
        stream, n_ch, rate = self._stream, self.info.shape[0], self.info.rate
        scale = np.float32(1.0 / 32768.0)
        stream.start_stream()
        t_start = clock()
        got = 0
        seq = 0
        while True:
            try:
                raw = stream.read(self.block_size, exception_on_overflow=True)
            except OSError as e:
                if getattr(e, "errno", None) == _INPUT_OVERFLOWED:
                    seq += 1  # a block was lost
                    got += self.block_size
                    continue
                raise DeviceLostError(f"audio device {self.device_name!r} stopped delivering samples ({e})") from None
            data = np.frombuffer(raw, dtype="<i2").reshape(-1, n_ch).astype(np.float32) * scale
            yield Frame(self.info, data, t0=t_start + got / rate, seq=seq)
            got += len(data)
            seq += 1

    def close(self) -> None:
        if getattr(self, "_pa", None) is not None:
            try:
                if self._stream.is_active():
                    self._stream.stop_stream()
                self._stream.close()
            except Exception:
                pass
            self._pa.terminate()
            self._pa = None
