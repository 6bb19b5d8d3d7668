"""``list_devices``: what can be opened on this machine, as source strings."""

from __future__ import annotations

import dataclasses

from ...errors import DeviceError

__all__ = ["DeviceEntry", "list_devices"]


@dataclasses.dataclass(frozen=True)
class DeviceEntry:
    """One openable source: its ``category``, the ``source`` string and a ``description``."""

    category: str
    source: str
    description: str


def list_devices(*, lsl_wait_s: float = 1.0) -> tuple[list[DeviceEntry], list[str]]:
    """Find audio inputs, cameras, LSL streams and BrainFlow boards.

    Returns
    -------
    entries : list of DeviceEntry
        Everything found.
    problems : list of str
        One line per front end that could not be asked (package missing, ...).
    """
    from .brainflow import brainflow_boards
    from .camera import list_cameras
    from .lsl import list_lsl_streams
    from .mic import list_audio_devices

    entries: list[DeviceEntry] = []
    problems: list[str] = []
    try:
        for d in list_audio_devices():
            entries.append(DeviceEntry("audio", f"mic:{d['index']}",
                                       f"{d['name']} - {d['channels']} ch, {d['rate']:g} Hz"))
    except (DeviceError, OSError) as e:
        problems.append(f"audio: {e}")
    try:
        for c in list_cameras():
            entries.append(DeviceEntry("camera", f"camera:{c['index']}", f"{c['width']}x{c['height']} @ {c['fps']:g} fps"))
    except DeviceError as e:
        problems.append(f"camera: {e}")
    try:
        for s in list_lsl_streams(lsl_wait_s):
            entries.append(DeviceEntry("lsl", f"lsl:name={s['name']}",
                                       f"type {s['type']}, {s['channels']} ch, {s['rate']:g} Hz, on {s['hostname']}"))
    except DeviceError as e:
        problems.append(f"lsl: {e}")
    try:
        boards = brainflow_boards()
        entries.append(DeviceEntry("brainflow", "brainflow:synthetic", "BrainFlow synthetic board (no hardware)"))
        import glob

        for port in sorted(glob.glob("/dev/ttyUSB*") + glob.glob("/dev/ttyACM*")):
            entries.append(DeviceEntry("brainflow", f"brainflow:cyton?serial_port={port}",
                                       f"serial port {port} (OpenBCI Cyton/Ganglion dongles appear here)"))
        entries.append(DeviceEntry("brainflow", "brainflow:NAME", f"{len(boards)} board types: "
                                   + ", ".join(sorted(boards)[:10]) + ", ..."))
    except DeviceError as e:
        problems.append(f"brainflow: {e}")
    from ..registry import synth_entries

    for entry in synth_entries().values():
        entries.append(DeviceEntry("synth", f"synth:{entry.name}", entry.description))
    return entries, problems
