"""``sensekit spatial``: microphone arrays, sweeps, and localisation of recordings."""

from __future__ import annotations

import logging
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import ParameterError
from ._app import check_output, check_plot, checked_numbers, err, fail, new_app, out, refuse_given, split_stream
from ._lazy import lazy

np = lazy("numpy")

app = new_app("Spatial audio: array presets, calibration sweeps, sound-source localisation, binaural rendering, "
              "microphone-array recordings to Ambisonics.")


def _audio_stream(rec, path: Path, stream: str | None) -> str:
    """The stream of recording ``rec`` that a spatial command reads: ``stream`` (``FILE#STREAM`` or
    ``--stream``), else the only one, else the only audio one. Several to choose from are refused
    by name: the first stream of a session had been taken, a gaze stream read as two microphones.
    A stream with no samples is refused (an empty render had written a FLAC file that does not
    open)."""
    name = rec.choose_stream(stream, ("audio",))
    if name is None:
        fail(f"{path.name} holds {len(rec.streams)} streams ({', '.join(rec.streams)}) and none of them audio; "
             f"name the microphones' stream: {path.name}#STREAM")
    if rec.n_samples(name) == 0:
        fail(f"{path} holds no samples (stream {name!r}); fix: record some data first")
    return name


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
        from ..core.atomic import atomic_output

        with atomic_output(path) as tmp:  # (its folder made: a missing one had been a traceback)
            geom.save(tmp)
        out.print(f"{save} written to {path}", highlight=False)
        return
    if output is not None:
        fail("-o is where --save writes a preset's geometry: give --save PRESET")
    table = Table(title="array presets (x forward, y left, z up; mm)")
    for c in ("name", "mics", "aperture (mm)", "positions (mm)"):
        table.add_column(c)
    for name in PRESETS:
        g = array_preset(name)
        pos = "  ".join(f"({x * 1000:.1f}, {y * 1000:.1f}, {z * 1000:.1f})" for x, y, z in g.positions)
        table.add_row(name, str(g.n_mics), f"{g.aperture * 1000:.1f}", pos)
    out.print(table)


MICS_OPTION = typer.Option(None, "--mics", help="The stream's channels that are the array's microphones, 0-based, in "
                           "the geometry's order: e.g. 1-4 for a ReSpeaker USB array (0: processed, 5: playback); "
                           "default: all.")


@app.command("encode")
def encode(
    path: Path = typer.Argument(..., help="Microphone-array recording (.h5, .wav, .flac, ...): one channel per "
                                "microphone (FILE#STREAM: one stream of a multi-stream recording)."),
    array: str = typer.Option(..., "--array", help="Geometry: a preset (tetra, sphere32, respeaker4, respeaker6, uma8, "
                              "...) or a geometry JSON (positions, baffle open/rigid, directivity omni/cardioid)."),
    output: Path = typer.Option(..., "-o", "--output", help="Ambisonic output (.wav/.flac; AmbiX: ACN, SN3D)."),
    order: int | None = typer.Option(None, "--order", min=1, max=4, help="Ambisonic order (default: the highest the "
                                     "array allows)."),
    n3d: bool = typer.Option(False, "--n3d", help="N3D instead of SN3D normalisation."),
    stream: str | None = typer.Option(None, "--stream", help="Stream of a multi-stream recording."),
    mics: str | None = MICS_OPTION,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Encode a microphone-array recording into Ambisonics (AmbiX), aligned sample for sample with
    the input; prints each order's usable frequency band and noise gain."""
    import soundfile as sf

    from ..core.atomic import atomic_output
    from ..core.recording import open_recording
    from ..spatial_audio.arrays import load_array
    from ..spatial_audio.encode import encode_recording
    from ..spatial_audio.pipeline import check_channels, parse_channels

    _check_audio_output(output, overwrite)
    geom = load_array(array)
    picked = parse_channels(mics)
    path, stream = split_stream(path, stream)
    with open_recording(path) as rec:
        stream = _audio_stream(rec, path, stream)
        info = rec.info(stream)
        if len(info.shape) != 1 or not info.rate:
            fail(f"{path.name} holds a {info.kind!r} stream of shape {info.shape}; encoding needs audio channels")
        if picked is not None:
            check_channels(picked, info.shape[0], path.name)
        geom.check_stream(info.shape[0] if picked is None else len(picked), f"{path.name}")
        whole = rec.read(stream)
    if picked is not None:
        from ..core.stages import SelectChannels

        select = SelectChannels(list(picked))
        select.open(info)
        whole = select.process(whole)
    field, scale, rep = encode_recording(whole, geom, order, n3d=n3d)
    with atomic_output(output) as tmp:
        sf.write(str(tmp), field.astype(np.float32), int(info.rate),
                 subtype="FLOAT" if output.suffix.lower() == ".wav" else None)
    out.print(f"{whole.n / info.rate:.2f} s of {geom.name} ({geom.n_mics} mics) encoded to order {rep.order} "
              f"{'horizontal-only ' if rep.horizontal else ''}Ambisonics ({'N3D' if n3d else 'AmbiX, SN3D'}) in "
              f"{output}" + (f"; scaled by {scale:.3f} to stay below full scale" if scale != 1.0 else ""),
              highlight=False)
    for line in rep.lines():
        out.print("  " + line, highlight=False)
    out.print(f"  spatial aliasing expected above about {rep.aliasing_hz:,.0f} Hz (order x c / (2 pi r))",
              highlight=False)


@app.command("sweep")
def sweep(
    output: Path = typer.Argument(..., help="WAV file to write."),
    rate: int = typer.Option(48000, "--rate", min=8000, max=768000, help="Sampling rate (Hz)."),
    seconds: float = typer.Option(2.0, "--seconds", min=0.2, max=600, help="Sweep length (s)."),
    f1: float = typer.Option(50.0, "--f1", min=1, help="Start frequency (Hz)."),
    f2: float | None = typer.Option(None, "--f2", help="End frequency (Hz; default 0.45 × rate)."),
    level_db: float = typer.Option(-6.0, "--level-db", min=-120, max=0, help="Peak level (dBFS)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file."),
) -> None:
    """Write the exponential sine sweep that 'sensekit calibrate array' expects (play it
    from a known direction while the array records)."""
    import soundfile as sf

    from ..core.atomic import atomic_output
    from ..spatial_audio.calibrate import exponential_sweep

    _check_audio_output(output, overwrite)
    x = exponential_sweep(rate, seconds, f1, f2) * 10 ** (level_db / 20)
    pad = np.zeros(int(0.5 * rate))
    with atomic_output(output) as tmp:
        sf.write(str(tmp), np.r_[pad, x, pad].astype(np.float32), rate)
    out.print(f"{seconds:g} s sweep {f1:g}..{f2 or 0.45 * rate:g} Hz at {rate} Hz written to {output}", highlight=False)


def _check_audio_output(path: Path, overwrite: bool) -> None:
    """Before any work: an audio ``path`` to write is new (or ``overwrite``) and of a type the
    audio writers know (:data:`~sensekit.core.recording.audio.AUDIO_SUFFIXES`, as the audio sink
    checks; an unknown one was a soundfile traceback after the work)."""
    from ..core.recording.audio import AUDIO_SUFFIXES

    check_output(path, overwrite)
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        fail(f"{path.name}: {path.suffix or 'no extension'} is not an audio format sensekit writes; use one of "
             f"{', '.join(AUDIO_SUFFIXES)}")


GATE_DB_OPTION = typer.Option(6.0, "--gate-db", help="Activity gate: frames less than this above the noise floor "
                              "are left out (dB).")
NO_GATE_OPTION = typer.Option(False, "--no-gate", help="Estimate in every window (continuous sources).")
ARRAY_OPTION = typer.Option(None, "--array", help="Geometry (preset or .json) if the stream carries none.")
METHOD_OPTION = typer.Option("srp-phat", "--method", help="srp-phat, gcc-phat, music or normmusic.")
SOURCES_OPTION = typer.Option(1, "--sources", min=1, max=8, help="Directions per estimate.")
CALIBRATION_OPTION = typer.Option(None, "--calibration", "-c", help="Array calibration (JSON).")
HRTF_RATE_OPTION = typer.Option(None, "--hrtf-rate", help="The SOFA file's true sampling rate (Hz), when its "
                                "Data.SamplingRate is wrong.")
AZ_RANGE_OPTION = typer.Option(None, "--az-range", help="Search only azimuths MIN:MAX (deg, counter-clockwise; "
                               "0 = front, 90 = left) or front, back, left, right: one side of a linear array.")
WINDOW_OPTION = typer.Option(0.25, "--window", min=0.01, help="Seconds of audio per estimate.")


@app.command("localise")
def localise(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Array recording: .h5 (with its geometry), .wav/.flac, ...; FILE#STREAM: "
                                "one stream of a multi-stream recording."),
    array: str | None = ARRAY_OPTION,
    mics: str | None = MICS_OPTION,
    method: str = METHOD_OPTION,
    sources: int = SOURCES_OPTION,
    window: float = WINDOW_OPTION,
    every: float | None = typer.Option(None, "--every", min=0, help="Seconds between estimates (0: every STFT hop); "
                                       "default: one per window."),
    calibration: Path | None = CALIBRATION_OPTION,
    gate_db: float = GATE_DB_OPTION,
    no_gate: bool = NO_GATE_OPTION,
    az_range: str | None = AZ_RANGE_OPTION,
    track: bool = typer.Option(False, "--track/--no-track", help="Follow sources over time (identities)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="CSV of the estimates."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG: azimuth over time."),
) -> None:
    """Directions of arrival over a recording, one estimate per --window seconds (the chain
    'sensekit run spatial-localise' runs live, and the spatial.doa bench task scores)."""
    from ..core.atomic import atomic_output
    from ..core.recording import open_recording
    from ..core.sinks import CSVSink
    from ..spatial_audio.pipeline import LocalisePipeline, parse_az_range, parse_channels

    checked_numbers("--gate-db", [gate_db])
    check_plot(plot)
    if no_gate:
        refuse_given(ctx, ("gate_db",), "with --no-gate")
    pipe = LocalisePipeline(method, sources, window_s=window, every_s=every, gate_db=None if no_gate else gate_db,
                            track=track, array=array, calibration=calibration, az_range=parse_az_range(az_range),
                            mics=parse_channels(mics))
    path, stream = split_stream(path, None)
    with open_recording(path) as rec:
        whole = rec.read(_audio_stream(rec, path, stream))
    res = pipe.localise(whole)
    summary = pipe.summary(res)
    table = Table(title=f"{path.name}: {res.n} estimates, {method}")
    col = 1 if track else 0  # a track row starts with its id
    table.add_column("t (s)", justify="right")
    for k in range(sources):
        table.add_column(f"azimuth {k} (°)", justify="right")
        table.add_column(f"confidence {k}", justify="right")
    step = max(res.n // 20, 1)
    for t, row in list(zip(res.times, res.data, strict=True))[::step]:
        cells = []
        for k in range(sources):
            cells += [f"{row[4 * k + col]:.1f}" if np.isfinite(row[4 * k + col]) else "-",
                      f"{row[4 * k + 3]:.2f}" if np.isfinite(row[4 * k + 3]) else "-"]
        table.add_row(f"{t:.2f}", *cells)
    out.print(table)
    out.print(summary.describe(pipe.gate_db), highlight=False, soft_wrap=True)
    if output is not None:
        with atomic_output(output) as tmp:
            sink = CSVSink(tmp)
            sink.open(res.info)
            sink.write(res)
            sink.close()
        out.print(f"{res.n} estimates written to {output}", highlight=False)
    if plot is not None:
        from ..plots import png_figure

        with png_figure(plot, figsize=(10, 4)) as ax:
            for k in range(sources):
                ax.scatter(res.times, res.data[:, 4 * k + col], s=6 + 30 * np.nan_to_num(res.data[:, 4 * k + 3]),
                           label=f"source {k}")
            ax.set_ylim(0, 360)
            ax.set_xlabel("time (s)")
            ax.set_ylabel("azimuth (deg)")
            ax.legend()
        out.print(f"plot written to {plot}", highlight=False)


def _room(text: str):
    try:
        size = tuple(float(v) for v in text.lower().replace("m", "").split("x"))
    except ValueError:
        size = ()
    if len(size) != 3:
        fail(f"--room {text!r} is not LENGTHxWIDTHxHEIGHT in metres, e.g. 6x5x3")
    return tuple(checked_numbers("--room", size, low=0.0, low_open=True, high=1000.0))


@app.command("render")
def render(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Input audio (WAV/FLAC/.h5): one channel per source (FILE#STREAM: one "
                                "stream of a multi-stream recording)."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Binaural output (.wav/.flac)."),
    az: list[float] = typer.Option(None, "--az", help="Azimuth (deg, 90 = left) per source; repeat per channel."),
    el: list[float] = typer.Option(None, "--el", help="Elevation (deg) per source."),
    distance: list[float] = typer.Option(None, "--distance", help="Distance (m) per source."),
    scene: Path | None = typer.Option(None, "--scene", help="Scene JSON: moving sources, head orientation."),
    hrtf: Path | None = typer.Option(None, "--hrtf", help="SOFA file (SimpleFreeFieldHRIR or -HRTF); default a spherical head."),
    hrtf_rate: float | None = HRTF_RATE_OPTION,
    room: str | None = typer.Option(None, "--room", help="Shoebox room LxWxH (m), listener at its centre: adds "
                                    "early reflections and late reverberation (static sources)."),
    rt60: str = typer.Option("0.5", "--rt60", help="Reverberation time (s): one value or 7 per octave 125..8k Hz."),
    block: int = typer.Option(256, "--block", min=16, help="Processing block (samples): the latency."),
    mode: str = typer.Option("auto", "--mode", help="direct (HRTF per source), ambisonics, or auto (direct up to "
                             "64 sources)."),
    field: str | None = typer.Option(None, "--field", help="The input is a recorded Ambisonic field: sn3d (AmbiX; "
                                     "the default for *.ambix.wav) or n3d. The head turns with the scene's listener "
                                     "or --head."),
    order: int = typer.Option(3, "--order", min=1, max=3, help="Ambisonic order (1-3)."),
    live: bool = typer.Option(False, "--live", help="Play on the audio output in real time instead of writing."),
    head: str | None = typer.Option(None, "--head", help="Head orientation source for --live, e.g. "
                                    "lsl:type=HeadOrientation (yaw, pitch, roll in deg, or a quaternion)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Place mono sources around the listener (HRTF), optionally moving (--scene) or in a
    reverberant room (--room, --rt60), or decode a recorded Ambisonic field (*.ambix.wav,
    --field) turned with the listener's head, and write the binaural result."""
    import soundfile as sf

    from ..core.atomic import atomic_output
    from ..core.recording import open_recording
    from ..spatial_audio.pipeline import RenderPipeline

    if output is None and not live:
        fail("give -o OUTPUT.wav, or --live to play on the audio output")
    if output is not None:
        _check_audio_output(output, overwrite)
    if head is not None and not live:
        fail("--head tracks the listener live: use it with --live (files take the scene's listener keyframes)")
    if field is None and path.name.lower().endswith((".ambix.wav", ".ambix.flac")):
        field = "sn3d"
    if field not in (None, "sn3d", "n3d"):
        fail(f"--field {field!r}: use sn3d (AmbiX) or n3d")
    _refuse_unused_render_options(ctx, field, scene, room, hrtf, mode)
    path, stream = split_stream(path, None)
    with open_recording(path) as rec:
        stream = _audio_stream(rec, path, stream)
        info = rec.streams[stream]
        if len(info.shape) != 1 or not info.rate:
            fail(f"{path.name} holds a {info.kind!r} stream of shape {info.shape}; rendering needs audio channels")
        n_ch = info.shape[0]
        per = {"counts": (0, 1, n_ch), "hint": f"give one value for every source or one per input channel ({n_ch})"}
        pipe = RenderPipeline(
            azimuths=checked_numbers("--az", az, **per) or [0.0],
            elevations=checked_numbers("--el", el, low=-90, high=90, **per) or [0.0],
            distances=checked_numbers("--distance", distance, low=0.0, low_open=True, high=1000.0, **per) or [1.0],
            rt60=checked_numbers("--rt60", _floats_of(rt60, "--rt60"), low=0.0, low_open=True, high=30.0, counts=(1, 7)),
            room=_room(room) if room is not None else None, scene=scene, hrtf=hrtf, block=block, mode=mode, order=order,
            field=field,
            hrtf_rate=checked_numbers("--hrtf-rate", [hrtf_rate], low=1000, high=768000)[0] if hrtf_rate else None)
        if live:
            _play_live(f"{path}#{stream}" if len(rec.streams) > 1 else str(path), pipe.stage(info), pipe.scene_, head)
            return
        whole = rec.read(stream)
    with Progress(TextColumn("rendering"), BarColumn(), TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("", total=whole.n)
        rendered, scale = pipe.render(whole, progress=lambda done, _total: bar.update(task, completed=done))
    if scale != 1.0:
        out.print(f"scaled by {scale:.3f} to avoid clipping", highlight=False)
    with atomic_output(output) as tmp:
        subtype = "FLOAT" if output.suffix.lower() == ".wav" else None  # a WAV keeps the rendered samples exactly
        sf.write(str(tmp), rendered.data.astype(np.float32), int(info.rate), subtype=subtype)
    what = (f"an order-{int(round(np.sqrt(n_ch))) - 1} Ambisonic field" if field else
            f"{len(pipe.scene_.sources)} source(s)")
    out.print(f"{rendered.n / info.rate:.2f} s of binaural audio ({what}, HRTF "
              f"{pipe.hrtf_.name}{', room ' + room if room else ''}) written to {output}", highlight=False)


def _refuse_unused_render_options(ctx: typer.Context, field: str | None, scene: Path | None, room: str | None,
                                  hrtf: Path | None, mode: str) -> None:
    """One line for the options this render would ignore (a field has no sources; a scene places
    them; a room renders each source's room response directly; ...): never silently ignored."""
    if field is not None:
        refuse_given(ctx, ("az", "el", "distance", "room", "rt60", "mode", "order"),
                     "to a recorded Ambisonic field (--field), which has no sources to place or room to add")
    if scene is not None:
        refuse_given(ctx, ("az", "el", "distance"), "with --scene, which places the sources")
    if room is None:
        refuse_given(ctx, ("rt60",), "without --room")
    else:
        refuse_given(ctx, ("mode", "order"), "with --room, which renders each source's room response directly")
    if hrtf is None:
        refuse_given(ctx, ("hrtf_rate",), "without --hrtf (the rate of a SOFA file)")
    if mode == "direct":
        refuse_given(ctx, ("order",), "with --mode direct (no Ambisonic stage)")


def _floats_of(text: str, option: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        fail(f"{option} {text!r} is not a comma-separated list of numbers")


def _play_live(path: str, stage, scene, head: str | None) -> None:
    """Replay ``path`` in real time through ``stage`` to the speakers, with live head tracking."""
    from ..core import run
    from ..core.sinks import SpeakerSink
    from ..core.sources import open_source
    from ..spatial_audio.scene import HeadTracker
    from ._app import stop_on_signals

    tracker = None
    with stop_on_signals() as stop:
        if head is not None:
            tracker = HeadTracker(open_source(head))
            scene.head = tracker
        src = open_source(path, realtime=True)
        try:
            report = run(src, stage, SpeakerSink(producer=type(stage).__name__), stop=stop)
        finally:
            if tracker is not None:
                tracker.close()
    out.print(f"played {report.samples_out / src.info.rate:.1f} s; stopped by {report.stopped_by}", highlight=False)


@app.command("hrtf")
def hrtf_info(
    path: Path = typer.Argument(..., help="SOFA file (SimpleFreeFieldHRIR or -HRTF), or 'sphere' for the built-in model."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG: ITD over azimuth and magnitude responses."),
    hrtf_rate: float | None = HRTF_RATE_OPTION,
) -> None:
    """Directions (and their spacing), rate, length, ITD/ILD of an HRTF set, how smooth the ITD
    is between neighbouring directions, and any direction whose ITD and ILD disagree."""
    from ..spatial_audio.hrtf import HRTF, hrtf_diagnostics, spherical_head, woodworth_itd

    if hrtf_rate is not None:
        checked_numbers("--hrtf-rate", [hrtf_rate], low=1000, high=768000)
    check_plot(plot)
    h = spherical_head() if str(path) == "sphere" else HRTF.from_sofa(path, rate=hrtf_rate)
    itd = h.itd()
    ild = h.ild_db()
    diag = hrtf_diagnostics(h, itd, ild)
    t = Table(title=f"{h.name}")
    t.add_column("field")
    t.add_column("value")
    t.add_row("directions", str(h.n_directions))
    t.add_row("azimuth (deg)", f"{h.azimuth.min():.1f} .. {h.azimuth.max():.1f}")
    t.add_row("elevation (deg)", f"{h.elevation.min():.1f} .. {h.elevation.max():.1f}")
    t.add_row("rate (Hz)", f"{h.rate:g}")
    t.add_row("taps", f"{h.n_taps} ({1000 * h.n_taps / h.rate:.1f} ms)")
    t.add_row("max |ITD| (µs)", f"{1e6 * np.abs(itd).max():.0f}")
    t.add_row("max |ILD| 1-8 kHz (dB)", f"{np.abs(ild).max():.1f}")
    t.add_row("spacing to the nearest direction (deg)", f"median {diag['spacing_median_deg']:.1f}, max "
              f"{diag['spacing_max_deg']:.1f}")
    t.add_row("ITD jump to the nearest direction (µs)", f"median {diag['itd_jump_median_us']:.0f}, max "
              f"{diag['itd_jump_max_us']:.0f}")
    t.add_row("directions whose ITD and ILD disagree", str(diag["itd_ild_disagree"]))
    if h.removed_delay_s:
        t.add_row("common delay removed (ms)", f"{1000 * h.removed_delay_s:.2f}")
    try:  # what 'spatial render' needs of the set: directions all around the head
        h.weights(0.0, 0.0)
        interpolates = True
    except ParameterError as e:
        interpolates = False
        logging.getLogger("sensekit").warning("spatial render cannot use this set: %s", e.problem)
    t.add_row("renders any direction", "yes" if interpolates else "no (see the warning)")
    out.print(t)
    if plot is not None:
        from ..plots import png_figure

        with png_figure(plot, ncols=2, figsize=(12, 4)) as (a1, a2):
            hz = np.abs(h.elevation) < 5
            order = np.argsort(h.azimuth[hz])
            a1.plot(h.azimuth[hz][order], 1e6 * itd[hz][order], ".-", label="measured (onsets)")
            grid = np.arange(0, 360, 2.0)
            a1.plot(grid, 1e6 * woodworth_itd(grid), "--", label="Woodworth, 8.75 cm sphere")
            a1.set_xlabel("azimuth (deg)")
            a1.set_ylabel("ITD (µs)")
            a1.legend()
            f = np.fft.rfftfreq(4 * h.n_taps, 1 / h.rate)
            for a in (0, 90, 180, 270):
                ir = h.interpolate(float(a), 0.0) if interpolates else h.nearest(float(a), 0.0)
                spec = np.abs(np.fft.rfft(ir[0], 4 * h.n_taps))
                a2.semilogx(f[1:], 20 * np.log10(spec[1:] + 1e-12), label=f"left, az {a}")
            a2.set_xlabel("frequency (Hz)")
            a2.set_ylabel("magnitude (dB)")
            a2.legend()
        out.print(f"plot written to {plot}", highlight=False)
