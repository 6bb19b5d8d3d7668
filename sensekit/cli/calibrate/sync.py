"""``sensekit calibrate sync``: a device's latency from one clap seen and heard."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from .._app import check_output, out
from ._common import OVERWRITE_OPTION, app

log = logging.getLogger("sensekit")


@app.command("sync")
def calibrate_sync(
    recording: Path = typer.Argument(..., help="A recording holding the event in every stream (e.g. a capture of "
                                     "camera:0 and mic:0 while you clap once)."),
    reference: str = typer.Option(..., "--reference", help="The stream whose clock the others are put on."),
    streams: list[str] = typer.Option(..., "--stream", help="A stream to align to the reference (repeatable)."),
    output: Path = typer.Option(..., "-o", "--output", help="Sync calibration to write (.json)."),
    max_lag: float = typer.Option(1.0, "--max-lag", min=0.001, max=30, help="Largest latency looked for (s)."),
    overwrite: bool = OVERWRITE_OPTION,
) -> None:
    """Measure each stream's latency against a reference from one event all of them saw (a clap
    seen by a camera and heard by a microphone, a tap seen on EMG and a camera), and store it;
    'sensekit replay --sync FILE' puts the stream on the reference's clock."""
    from ...core.calibration import save_calibration
    from ...core.recording import open_recording
    from ...core.sync import event_lag

    check_output(output, overwrite)
    with open_recording(recording) as rec:
        ref = rec.read(rec.stream_name(reference))
        offsets, strength = {}, {}
        for name in streams:
            lag, how_sure = event_lag(ref, rec.read(rec.stream_name(name)), max_lag_s=max_lag)
            offsets[name], strength[name] = lag, how_sure
            out.print(f"{name}: {1000 * lag:+.1f} ms behind {reference} (match {how_sure:.2f})", highlight=False)
            if how_sure < 0.2:
                log.warning("the event is hard to find in %r (match %.2f); record one clear, isolated event", name,
                            how_sure)
    save_calibration(output, chain="sync", stream=ref.info, device=str(recording),
                     params={"reference": reference, "offsets_s": offsets, "strength": strength})
    out.print(f"sync calibration written to {output}", highlight=False)
