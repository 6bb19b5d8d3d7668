"""``sensekit calibrate check``: validate a calibration file without using it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .._app import out
from ._common import app


@app.command("check")
def check_calibration(
    path: Path = typer.Argument(..., help="A calibration file of any kind (emg, gesture, eyetrack, array)."),
) -> None:
    """Validate a calibration file against its kind's schema and describe it: kind, device,
    stream format, classes. A damaged or tampered file is refused with one line naming the field."""
    from ...core.calibration import load_calibration

    cal = load_calibration(path)
    s = cal.stream
    table = Table(title=str(path), show_header=False)
    table.add_row("kind", cal.chain)
    table.add_row("device", cal.device or "-")
    table.add_row("created", f"{cal.created or '-'} (sensekit {cal.sensekit_version or '?'}, schema {cal.schema_version})")
    table.add_row("stream", f"{s.kind}, {s.rate:g} Hz, shape {list(s.shape)}" + (f", {s.unit}" if s.unit else ""))
    learned = cal.params.get("learned", {}) if isinstance(cal.params, dict) else {}
    classes = learned.get("classes") if isinstance(learned, dict) else None
    if classes:
        table.add_row("classes", ", ".join(str(c) for c in classes))
    dynamic = cal.params.get("dynamic") if isinstance(cal.params, dict) else None
    if isinstance(dynamic, dict):  # a gesture calibration's dynamic gestures
        table.add_row("motions", ", ".join(str(c) for c in dynamic["learned"]["classes"])
                      + f" ({dynamic['learned']['points']}-frame fingertip trajectories)")
    out.print(table)
    out.print(f"{path}: a valid {cal.chain!r} calibration", highlight=False, soft_wrap=True)
