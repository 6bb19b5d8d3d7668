"""``sensekit calibrate array``: a microphone array's gains, delays and responses from a played sweep."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from .._app import check_output, fail, out
from .._lazy import lazy
from ._common import OVERWRITE_OPTION, app

np = lazy("numpy")


@app.command("array")
def calibrate_array_cmd(
    recordings: list[str] = typer.Argument(..., help="Recordings of the sweep (one per direction), or one mic:N "
                                           "source with --play."),
    direction: list[str] = typer.Option(..., "--direction", help="Source direction of each recording: AZ or AZ,EL "
                                        "in degrees (array frame; repeat per recording)."),
    array: str | None = typer.Option(None, "--array", help="Geometry (preset or .json) if the recording has none."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    seconds: float = typer.Option(2.0, "--seconds", min=0.2, max=600, help="Sweep length (s), as written by 'spatial sweep'."),
    f1: float = typer.Option(50.0, "--f1", help="Sweep start (Hz)."),
    f2: float | None = typer.Option(None, "--f2", help="Sweep end (Hz; default 0.45 x rate)."),
    play: bool = typer.Option(False, "--play", help="Play the sweep on this machine's audio output while recording."),
    mics: str | None = typer.Option(None, "--mics", help="The recordings' channels that are the array's microphones, "
                                    "0-based (a ReSpeaker USB array: 1-4); default: all. Localise with the same --mics."),
    overwrite: bool = OVERWRITE_OPTION,
) -> None:
    """Per-channel gain, delay mismatch and polarity of a microphone array (and, from three
    or more directions, refined positions) from recordings of a sweep; prints the table and
    writes the calibration JSON that 'run spatial-localise -c' applies."""
    from ...core.recording import open_recording
    from ...spatial_audio.arrays import array_from_meta, load_array
    from ...spatial_audio.calibrate import calibrate_array, exponential_sweep, measure_responses
    from ...spatial_audio.pipeline import check_channels, parse_channels
    from ...spatial_audio.renderer import refuse_not_audio

    check_output(output, overwrite)
    picked = parse_channels(mics)
    if len(direction) != len(recordings):
        fail(f"{len(recordings)} recording(s) but {len(direction)} --direction value(s): give one per recording")
    dirs = []
    for d in direction:
        try:
            v = [float(p) for p in d.split(",")]
        except ValueError:
            fail(f"--direction {d!r} is not AZ or AZ,EL in degrees")
        if len(v) not in (1, 2):
            fail(f"--direction {d!r} is not AZ or AZ,EL in degrees")
        dirs.append((v[0], v[1] if len(v) == 2 else 0.0))
    geom = load_array(array) if array is not None else None
    responses, info = [], None
    for path, _ in zip(recordings, dirs, strict=True):
        if play:
            data, info, sweep = _play_and_record(path, seconds, f1, f2)
            rate = info.rate
        else:
            with open_recording(path) as rec:
                whole = rec.read()
            data, info = np.asarray(whole.data, dtype=np.float64), whole.info
            rate = info.rate
            sweep = exponential_sweep(rate, seconds, f1, f2)
        if data.ndim != 2 or data.shape[1] < 2:
            fail(f"{path}: array calibration needs a multichannel recording, got shape {data.shape}")
        if picked is not None:
            check_channels(picked, data.shape[1], str(path))
            data = data[:, list(picked)]
            info = info.replace(shape=(len(picked),), channels=tuple(info.channels[i] for i in picked)
                                if info.channels else ())
        refuse_not_audio(data, info, str(path))  # (a sample of 1e9 gave that microphone's gain from a spike)
        g = array_from_meta(info.meta, "calibrate array", data.shape[1], geom)
        responses.append(measure_responses(data, sweep, rate, name=str(path)))
    cal = calibrate_array(responses, g, rate, dirs)
    table = Table(title=f"array calibration: {g.name}, {len(dirs)} direction(s)")
    for c in ("channel", "gain", "delay (µs)", "polarity", "position (mm)"):
        table.add_column(c, justify="right")
    for i, ch in enumerate(g.channels):
        pos = "-" if cal.positions is None else ", ".join(f"{v * 1000:.1f}" for v in cal.positions[i])
        table.add_row(ch, f"{cal.gains[i]:.3f}", f"{cal.delays_s[i] * 1e6:+.1f}", f"{int(cal.polarity[i]):+d}", pos)
    out.print(table)
    cal.save(output, info.replace(meta={**dict(info.meta), "array": g.to_dict()}), device=",".join(recordings))
    out.print(f"calibration written to {output}", highlight=False)

def _play_and_record(source: str, seconds: float, f1: float, f2: float | None, tail_s: float = 1.0):
    """Play the calibration sweep (at the microphones' rate) on the audio output while
    recording it, plus ``tail_s`` of decay, from ``source``: ``(data, info, sweep)``."""
    import threading

    from ...core import Frame, StreamInfo
    from ...core.sinks import SpeakerSink
    from ...core.sources import open_source
    from ...spatial_audio.calibrate import exponential_sweep

    src = open_source(source)
    try:
        rate = src.info.rate
        sweep = exponential_sweep(rate, seconds, f1, f2)
        speaker = SpeakerSink()
        out_info = StreamInfo("sweep", "audio", rate, (1,), dtype="float64")
        speaker.open(out_info)
        player = threading.Thread(target=speaker.write, daemon=True,
                                  args=(Frame(out_info, np.r_[sweep, np.zeros(int(tail_s * rate))][:, None], t0=0.0),))
        frames, got, need = [], 0, int((seconds + tail_s) * rate)
        player.start()
        for frame in src:
            frames.append(frame.data)
            got += frame.n
            if got >= need:
                break
        player.join()
        speaker.close()
    finally:
        src.close()
    return np.concatenate(frames).astype(np.float64), src.info, sweep
