"""A minimal XDF 1.0 writer for tests (pyxdf only reads): numeric and string (marker) streams, one
chunk each."""

from __future__ import annotations

import struct

import numpy as np

_FMT = {"float32": ("float32", "<f4"), "float64": ("double64", "<f8"), "int16": ("int16", "<i2")}


def _varlen(n: int) -> bytes:
    if n < 256:
        return struct.pack("<BB", 1, n)
    if n < 2**32:
        return struct.pack("<BI", 4, n)
    return struct.pack("<BQ", 8, n)


def _chunk(tag: int, content: bytes) -> bytes:
    return _varlen(len(content) + 2) + struct.pack("<H", tag) + content


def write_xdf(path, streams: list[dict]) -> None:
    """Each stream: name, type, rate, data (n, ch), times (n,), labels and units (optional), clock
    (optional ``(m, 2)`` ClockOffset measurements: collection time, offset)."""
    out = bytearray(b"XDF:")
    out += _chunk(1, b'<?xml version="1.0"?><info><version>1.0</version></info>')
    for sid, s in enumerate(streams, start=1):
        data = np.asarray(s["data"])
        if data.dtype.kind in "US":  # a marker stream: text samples
            out += _marker_stream(sid, s, data.reshape(len(data), -1))
            continue
        fmt, np_fmt = _FMT[data.dtype.name]
        units = s.get("units", [""] * len(s.get("labels", [])))
        labels = "".join(f"<channel><label>{lab}</label>{f'<unit>{unit}</unit>' if unit else ''}</channel>"
                         for lab, unit in zip(s.get("labels", []), units, strict=True))
        header = (f'<?xml version="1.0"?><info><name>{s["name"]}</name><type>{s["type"]}</type>'
                  f'<channel_count>{data.shape[1]}</channel_count><nominal_srate>{s["rate"]}</nominal_srate>'
                  f'<channel_format>{fmt}</channel_format><source_id>src{sid}</source_id>'
                  f"<desc><channels>{labels}</channels></desc></info>")
        out += _chunk(2, struct.pack("<I", sid) + header.encode())
        body = bytearray(struct.pack("<I", sid) + _varlen(len(data)))
        for row, t in zip(data, s["times"], strict=True):
            body += struct.pack("<Bd", 8, float(t)) + np.asarray(row, dtype=np_fmt).tobytes()
        out += _chunk(3, bytes(body))
        for ct, cv in s.get("clock", []):
            out += _chunk(4, struct.pack("<Idd", sid, float(ct), float(cv)))
        footer = (f'<?xml version="1.0"?><info><first_timestamp>{s["times"][0]}</first_timestamp>'
                  f'<last_timestamp>{s["times"][-1]}</last_timestamp><sample_count>{len(data)}</sample_count></info>')
        out += _chunk(6, struct.pack("<I", sid) + footer.encode())
    with open(path, "wb") as fh:
        fh.write(bytes(out))


def _marker_stream(sid: int, s: dict, data: np.ndarray) -> bytes:
    """A string stream (irregular: LSL markers), its header, samples and footer."""
    out = bytearray()
    header = (f'<?xml version="1.0"?><info><name>{s["name"]}</name><type>{s["type"]}</type>'
              f'<channel_count>{data.shape[1]}</channel_count><nominal_srate>0</nominal_srate>'
              f'<channel_format>string</channel_format><source_id>src{sid}</source_id></info>')
    out += _chunk(2, struct.pack("<I", sid) + header.encode())
    body = bytearray(struct.pack("<I", sid) + _varlen(len(data)))
    for row, t in zip(data, s["times"], strict=True):
        body += struct.pack("<Bd", 8, float(t))
        for value in row:
            text = str(value).encode()
            body += _varlen(len(text)) + text
    out += _chunk(3, bytes(body))
    footer = (f'<?xml version="1.0"?><info><first_timestamp>{s["times"][0]}</first_timestamp>'
              f'<last_timestamp>{s["times"][-1]}</last_timestamp><sample_count>{len(data)}</sample_count></info>')
    out += _chunk(6, struct.pack("<I", sid) + footer.encode())
    return bytes(out)
