"""``sensekit info``: what a recording holds."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ..errors import RecordingError
from ._app import out


def describe(path: Path, rate: float | None = None) -> list[dict]:
    """One dict per stream: format, samples, duration, gaps, dropped blocks, span and clock
    (``rate``: of a table with no time column)."""
    return _describe(path, rate)[0]


def _gaze_export(path: Path) -> str | None:
    """What gaze export a table is, or gaze recording a folder (None: another table or folder,
    or neither)."""
    from ..eyetrack.datasets import gaze_export_kind, gaze_folder_kind

    if Path(path).is_dir():
        return gaze_folder_kind(path)
    if Path(path).suffix.lower() not in (".csv", ".tsv", ".txt") or not Path(path).is_file():
        return None
    return gaze_export_kind(path)


def _describe(path: Path, rate: float | None = None) -> tuple[list[dict], dict[str, dict[str, int]]]:
    """:func:`describe`'s rows, and the marker streams (an XDF's text events): name -> each
    text's count, in the order the texts first appear (the file read once)."""
    from collections import Counter

    from ..core.recording import HDF5Recording, open_recording
    rows = []
    try:
        rec = open_recording(path, rate=rate)
    except RecordingError:
        kind = _gaze_export(path)
        if kind:  # (a gaze export is no recording of streams: its own reader knows its columns)
            raise RecordingError(f"{path.name} is {kind}, which sensekit reads as gaze",
                                 f"sensekit eyetrack events {path}") from None
        raise
    with rec:
        markers = {name: dict(Counter(texts)) for name, (_, texts) in rec.markers().items()}
        for name, info in rec.streams.items():
            n = rec.n_samples(name)
            segs = rec.segments(name) if info.rate > 0 else []
            dropped = sum(s.dropped_before for s in segs)
            row = {"stream": name, "kind": info.kind, "rate_hz": info.rate, "shape": list(info.shape),
                   "channels": list(info.channels), "dtype": info.dtype, "unit": info.unit, "samples": n,
                   "duration_s": rec.duration_s(name), "gaps": sum(1 for s in segs[1:] if not s.dropped_before),
                   "dropped_blocks": dropped, **_span(rec, name, info, segs, n)}
            row.update(_clock(rec, name, row["start_s"]))
            if isinstance(rec, HDF5Recording):
                row["blocks"] = int(len(rec.blocks(name)))
            if getattr(rec, "truncated", False):
                row["truncated"] = True
            rows.append(row)
    return rows, markers


def _clock(rec, name: str, start_s: float | None) -> dict:
    """A stream with a remote clock: the fitted offset (at its first sample) and drift, the
    measurements' jitter and count; ``clock: local`` for one stamped on the recording's clock."""
    cm = rec.clock(name)
    if cm is None:
        return {"clock": "local"}
    t0 = cm.measurements()[0, 0] if start_s is None else start_s - cm.offset_s
    return {"clock": "remote", "clock_offset_s": cm.offset_at(t0), "clock_drift_ppm": cm.drift * 1e6,
            "clock_jitter_ms": cm.jitter_s * 1e3, "clock_measurements": len(cm.measurements())}


def _span(rec, name: str, info, segs, n: int) -> dict:
    """The times (s, the stream's clock) of a stream's first sample and of the end of its last."""
    if n == 0:
        return {"start_s": None, "end_s": None}
    if info.rate > 0:
        last = segs[-1]
        return {"start_s": segs[0].t0, "end_s": last.t0 + (last.stop - last.start) / info.rate}
    t = rec.read(name, 0, 1).times[0], rec.read(name, n - 1, n).times[0]
    return {"start_s": float(t[0]), "end_s": float(t[1])}


def info(
    path: Path = typer.Argument(..., help="Recording: .h5, .xdf, .wav/.flac, .csv, .edf/.bdf, OpenBCI GUI .txt."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    rate: float | None = typer.Option(None, "--rate", min=1, max=100000, help="The rate (Hz) of a table with no time "
                                      "column (its rows evenly spaced) or a .mat file that states none."),
) -> None:
    """Show a recording's streams, formats, durations, gaps and dropped blocks."""
    show(path, as_json=as_json, rate=rate)


def show(path: Path, *, as_json: bool = False, rate: float | None = None) -> None:
    """Print what :func:`info` prints (for other commands: a typer command's defaults are
    typer objects, not values)."""
    rows, events = _describe(path, rate)
    if as_json:
        out.print_json(json.dumps({"file": str(path), "streams": rows, **({"markers": events} if events else {})}))
        return
    table = Table(title=str(path), title_justify="left", box=None, pad_edge=False,
                  padding=(0, 1, 0, 0), header_style="bold")  # fits 80 columns
    for col in ("stream", "kind", "rate", "sample", "unit", "samples", "duration", "gaps", "drops"):
        table.add_column(col, justify="right" if col in ("rate", "samples", "duration", "gaps", "drops") else "left",
                         overflow="fold")  # a narrow terminal folds a cell; it never cuts a number
    for r in rows:
        sample = "x".join(map(str, r["shape"])) + f" {r['dtype']}"  # channel names: see --json
        table.add_row(r["stream"], r["kind"], f"{r['rate_hz']:g} Hz" if r["rate_hz"] else "irregular", sample,
                      r["unit"] or "-", f"{r['samples']:,}", f"{r['duration_s']:.3f} s", str(r["gaps"]),
                      str(r["dropped_blocks"]), style="red" if r["dropped_blocks"] or r["gaps"] else None)
    out.print(table)
    if len(rows) > 1:  # several streams of one capture: where each lies on the shared clock
        for r in rows:
            if r["start_s"] is not None:
                out.print(f"{r['stream']}: {r['start_s']:.3f} .. {r['end_s']:.3f} s", highlight=False)
    for r in rows:
        if r["clock"] == "remote":
            out.print(f"{r['stream']}: remote clock, offset {r['clock_offset_s']:+.6f} s at its start, drift "
                      f"{r['clock_drift_ppm']:+.1f} ppm, jitter {r['clock_jitter_ms']:.2f} ms "
                      f"({r['clock_measurements']} measurements; timestamps already mapped)", highlight=False)
    for name, counts in events.items():
        shown = ", ".join(f"{text or '(empty)'} x{n:,}" for text, n in list(counts.items())[:10])
        out.print(f"{name}: markers, {sum(counts.values()):,} events ({shown}{', ...' if len(counts) > 10 else ''})",
                  highlight=False)
    for r in rows:
        if r.get("truncated"):
            out.print(Text.assemble((f"{r['stream']}: truncated", "red"),
                                    f" - only the {r['samples']:,} samples shown can be read"), highlight=False)
