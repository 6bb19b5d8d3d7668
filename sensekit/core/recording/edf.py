"""EDF and BDF files (European Data Format), read with edfio."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ...errors import DeviceError, RecordingError
from ..info import StreamInfo
from .base import Recording

__all__ = ["EDFRecording", "has_annotations"]

log = logging.getLogger("sensekit")


#: What to do with an EyeLink .edf: SR Research's binary format, which edf2asc (their EyeLink
#: Developers Kit, or the EDF Converter) turns into the ASC text sensekit reads.
EYELINK_EDF_FIX = "convert it with SR Research's edf2asc and give the .asc: sensekit eyetrack events {path}"


def is_eyelink_edf(path: Path) -> bool:
    """Whether ``path`` starts as an EyeLink data file does (``SR_RESEARCH``), not as a European
    Data Format recording (``0`` and spaces)."""
    try:
        with open(path, "rb") as f:
            return f.read(11) == b"SR_RESEARCH"
    except OSError:
        return False


class EDFRecording(Recording):
    """An EDF/EDF+/BDF file: its signals grouped into one stream per sampling rate.

    Streams are named ``"<file stem>"`` when all signals share one rate, else
    ``"<file stem>_<rate>Hz"``; values are physical (float64) in the signals' unit
    when they agree. EDF+/BDF+ annotations are the recording's :meth:`markers` (``annotations``:
    each one's text at its onset, and an empty marker where one with a duration ends), so a
    session whose holds are annotated calibrates as a marked XDF or CSV session does.
    """

    def __init__(self, path: str | os.PathLike, *, kind: str = "exg") -> None:
        try:
            import edfio
        except ImportError:
            raise DeviceError("reading EDF/BDF needs edfio", "pip install edfio") from None
        self.path = Path(path)
        if not self.path.exists():
            raise RecordingError(f"EDF/BDF file {str(self.path)!r} does not exist", "check the path")
        if is_eyelink_edf(self.path):
            raise RecordingError(f"{self.path.name} is an EyeLink data file (SR Research's .edf), not a European "
                                 "Data Format recording", EYELINK_EDF_FIX.format(path=self.path.with_suffix(".asc")))
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                edf = edfio.read_bdf(self.path) if self.path.suffix.lower() == ".bdf" else edfio.read_edf(self.path)
            for w in caught:  # edfio repairs damaged headers and short records: say so
                log.warning("%s: %s", self.path.name, w.message)
            signals = [s for s in edf.signals]
            self._markers = _annotation_markers(edf)
            groups: dict[float, list] = {}
            for s in signals:
                groups.setdefault(float(s.sampling_frequency), []).append(s)
            self.streams, self._data = {}, {}
            for rate, sigs in groups.items():
                n = min(len(s.data) for s in sigs)
                data = np.stack([np.asarray(s.data[:n], dtype=np.float64) for s in sigs], axis=1)
                units = {s.physical_dimension for s in sigs}
                name = self.path.stem if len(groups) == 1 else f"{self.path.stem}_{rate:g}Hz"
                labels = [s.label or f"ch{i}" for i, s in enumerate(sigs)]
                if len(set(labels)) != len(labels):
                    labels = [f"{lab}#{i}" for i, lab in enumerate(labels)]
                self.streams[name] = StreamInfo(
                    name=name, kind=kind, rate=rate, shape=(len(sigs),), channels=tuple(labels), dtype="float64",
                    unit=units.pop() if len(units) == 1 else "", meta={"units": [s.physical_dimension for s in sigs]},
                )
                self._data[name] = data
        except RecordingError:
            raise
        except Exception as e:
            raise RecordingError(f"{str(self.path)!r} is not a readable EDF/BDF file ({type(e).__name__}: {e})") from None

    def markers(self) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
        """The file's annotations as one marker stream, ``annotations`` (none without any)."""
        return dict(self._markers)

    def n_samples(self, name: str) -> int:
        return len(self._data[name])

    def _read_data(self, name: str, start: int, stop: int) -> np.ndarray:
        return self._data[name][start:stop]


def has_annotations(path: str | os.PathLike) -> bool:
    """Whether an EDF+/BDF+ file holds annotations, read without its signals (edfio loads them
    lazily); False for a file edfio cannot read (the recording's reader says why)."""
    try:
        import edfio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            edf = edfio.read_bdf(path) if Path(path).suffix.lower() == ".bdf" else edfio.read_edf(path)
        return bool(_annotation_markers(edf))
    except Exception:  # noqa: BLE001 - any damage: not a marked session; opening it names the problem
        return False


def _annotation_markers(edf) -> dict[str, tuple[np.ndarray, tuple[str, ...]]]:
    """EDF+ annotations as markers: each text at its onset, an empty text where a timed one ends."""
    events = []
    for a in getattr(edf, "annotations", ()) or ():
        text = str(a.text or "").strip()
        if not text or not np.isfinite(a.onset):
            continue
        events.append((float(a.onset), text))
        if a.duration and np.isfinite(a.duration) and a.duration > 0:
            events.append((float(a.onset) + float(a.duration), ""))
    if not events:
        return {}
    events.sort(key=lambda e: (e[0], e[1] != ""))  # (an end before a start at the same time)
    return {"annotations": (np.array([t for t, _ in events]), tuple(text for _, text in events))}
