"""``sensekit spatial``: microphone arrays, sweeps, and localisation of recordings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from ._app import fail, new_app, out

app = new_app("Spatial audio: array presets, calibration sweeps, sound-source localisation of recordings.")


@app.command("arrays")
def arrays(
    save: str | None = typer.Option(None, "--save", help="Write this preset's geometry as JSON (a template to edit)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Where --save writes (default PRESET.json)."),
) -> None:
    """List the built-in microphone-array geometries (positions in mm)."""
    from ..spatial_audio.arrays import PRESETS, array_preset

    if save is not None:
        geom = array_preset(save)
        path = output or Path(f"{save}.json")
        if path.exists():
            fail(f"{str(path)!r} already exists; choose another name with -o")
        geom.save(path)
        out.print(f"{save} written to {path}", highlight=False)
        return
    table = Table(title="array presets (x forward, y left, z up; mm)")
    for c in ("name", "mics", "aperture (mm)", "positions (mm)"):
        table.add_column(c)
    for name in PRESETS:
        g = array_preset(name)
        pos = "  ".join(f"({x * 1000:.1f}, {y * 1000:.1f}, {z * 1000:.1f})" for x, y, z in g.positions)
        table.add_row(name, str(g.n_mics), f"{g.aperture * 1000:.1f}", pos)
    out.print(table)


@app.command("sweep")
def sweep(
    output: Path = typer.Argument(..., help="WAV file to write."),
    rate: int = typer.Option(48000, "--rate", min=8000, help="Sampling rate (Hz)."),
    seconds: float = typer.Option(2.0, "--seconds", min=0.2, help="Sweep length (s)."),
    f1: float = typer.Option(50.0, "--f1", min=1, help="Start frequency (Hz)."),
    f2: float | None = typer.Option(None, "--f2", help="End frequency (Hz; default 0.45 × rate)."),
    level_db: float = typer.Option(-6.0, "--level-db", max=0, help="Peak level (dBFS)."),
) -> None:
    """Write the exponential sine sweep that 'sensekit calibrate array' expects (play it
    from a known direction while the array records)."""
    import soundfile as sf

    from ..spatial_audio.calibrate import exponential_sweep

    x = exponential_sweep(rate, seconds, f1, f2) * 10 ** (level_db / 20)
    pad = np.zeros(int(0.5 * rate))
    sf.write(str(output), np.r_[pad, x, pad].astype(np.float32), rate)
    out.print(f"{seconds:g} s sweep {f1:g}..{f2 or 0.45 * rate:g} Hz at {rate} Hz written to {output}", highlight=False)


@app.command("localise")
def localise(
    path: Path = typer.Argument(..., help="Array recording: .h5 (with its geometry), .wav/.flac, ..."),
    array: str | None = typer.Option(None, "--array", help="Geometry (preset or .json) if the file has none."),
    method: str = typer.Option("srp-phat", "--method", help="srp-phat, gcc-phat, music or normmusic."),
    sources: int = typer.Option(1, "--sources", min=1, max=8, help="Directions per estimate."),
    window: float = typer.Option(0.25, "--window", min=0.01, help="Seconds per estimate."),
    calibration: Path | None = typer.Option(None, "--calibration", "-c", help="Array calibration (JSON)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="CSV of the estimates."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG: azimuth over time."),
) -> None:
    """Directions of arrival over a recording, one estimate per --window seconds."""
    from ..core.recording import open_recording
    from ..core.sinks import CSVSink
    from ..core.stages import SetMeta
    from ..spatial_audio.arrays import load_array
    from ..spatial_audio.stages import STFT, DOAEstimator
    from ..testing import feed

    with open_recording(path) as rec:
        whole = rec.read()
    info = whole.info
    if len(info.shape) != 1 or info.shape[0] < 2:
        fail(f"{path.name} holds a {info.kind!r} stream of shape {info.shape}; localisation needs >= 2 audio channels")
    frames = [whole]
    stages = []
    if array is not None:
        stages.append(SetMeta(array=load_array(array).to_dict()))
    if calibration is not None:
        from ..spatial_audio.calibrate import ArrayCorrection, load_array_calibration

        stages.append(ArrayCorrection(load_array_calibration(calibration)))
    nfft = 1024 if info.rate > 24000 else 512
    hop = nfft // 2
    per = max(int(round(window * info.rate / hop)), 1)
    stages += [STFT(nfft, hop), DOAEstimator(method, sources, window_frames=per, every=per)]
    from ..core import Chain

    chain = Chain(*stages)
    chain.open(info)
    res = feed(chain, frames)
    table = Table(title=f"{path.name}: {res.n} estimates, {method}")
    table.add_column("t (s)", justify="right")
    for k in range(sources):
        table.add_column(f"azimuth {k} (°)", justify="right")
        table.add_column(f"confidence {k}", justify="right")
    step = max(res.n // 20, 1)
    for t, row in list(zip(res.times, res.data, strict=True))[::step]:
        cells = []
        for k in range(sources):
            cells += [f"{row[4 * k]:.1f}" if np.isfinite(row[4 * k]) else "-",
                      f"{row[4 * k + 3]:.2f}" if np.isfinite(row[4 * k + 3]) else "-"]
        table.add_row(f"{t:.2f}", *cells)
    out.print(table)
    if output is not None:
        sink = CSVSink(output)
        sink.open(res.info)
        sink.write(res)
        sink.close()
        out.print(f"{res.n} estimates written to {output}", highlight=False)
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(10, 4))
        for k in range(sources):
            ax.scatter(res.times, res.data[:, 4 * k], s=6 + 30 * np.nan_to_num(res.data[:, 4 * k + 3]),
                       label=f"source {k}")
        ax.set_ylim(0, 360)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("azimuth (deg)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
        plt.close(fig)
        out.print(f"plot written to {plot}", highlight=False)
