"""``sensekit demo``: the core at work on simulated data, no device needed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from ._app import err, out


def demo(
    seconds: float = typer.Option(60.0, "--seconds", min=1, help="Length of the simulated recording."),
    keep: Path | None = typer.Option(None, "--keep", help="Keep the processed recording at this .h5 path."),
) -> None:
    """Record a simulated 8-channel 2 kHz stream, replay it through notch + band-pass +
    200 ms windows, and show what came out."""
    from ..core import Chain, run
    from ..core.recording import open_recording
    from ..core.sinks import HDF5Sink
    from ..core.sources import SynthSource, open_source
    from ..core.stages import BandPass, Notch, Window
    from .info import show as show_info
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.h5"
        processed = keep or Path(tmp) / "windows.h5"
        src = SynthSource("noise", rate=2000.0, channels=8, block_size=200, duration_s=seconds, kind="emg", unit="uV")
        with err.status("simulating and recording..."):
            rec = run(src, None, HDF5Sink(raw, overwrite=True))
        out.print(f"1. recorded {rec.samples_in:,} samples of simulated 8-channel EMG at 2 kHz -> {raw.name}")
        chain = Chain(Notch(50.0, harmonics=3), BandPass(20.0, 450.0), Window(length_s=0.2, hop_s=0.05))
        with err.status("replaying through the chain..."):
            report = run(open_source(str(raw)), chain, HDF5Sink(processed, overwrite=True))
        out.print(f"2. replayed through {chain!r}")
        out.print(f"   {report.samples_in:,} samples in, {report.samples_out:,} windows out, "
                  f"{report.realtime_factor:,.0f}x real time, latency {chain.latency_s * 1000:.1f} ms")
        with open_recording(processed) as r:
            info = r.info()
            out.print(f"3. output stream {info.name!r}: {info.rate:g} windows/s of shape {info.shape}")
        show_info(processed)
