"""``sensekit calibrate eyetrack``: a gaze mapping from an eye camera and on-screen targets, validated."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from .._app import check_output, check_plot, err, fail, out
from ._common import OVERWRITE_OPTION, app


@app.command("eyetrack")
def calibrate_eyetrack(
    source: str = typer.Argument(..., help="Eye camera: camera:0, video:FILE, or synth:eye (a simulated eye)."),
    output: Path = typer.Option(..., "-o", "--output", help="Calibration file to write (.json)."),
    screen: str | None = typer.Option(None, "--screen", help="Screen WIDTHxHEIGHTmm@WIDTHxHEIGHT, e.g. 531x299mm@1920x1080."),
    distance: float | None = typer.Option(None, "--distance", min=1, help="Eye-to-screen distance (mm)."),
    targets: int = typer.Option(9, "--targets", help="Calibration targets: 5, 9 or 13 (5 more validate)."),
    method: str = typer.Option("poly2", "--method", help="poly2, poly2x (9+ targets) or homography."),
    feature: str = typer.Option("pupil", "--feature", help="pupil, or pupil-glint (IR glints; tolerates slip)."),
    settle: float = typer.Option(0.8, "--settle", min=0, max=600, help="Seconds per target before recording."),
    sample: float = typer.Option(1.0, "--sample", min=0.1, max=600, help="Seconds recorded per target."),
    plot: Path | None = typer.Option(None, "--plot", help="PNG of the validation: targets, gaze, accuracy."),
    headless: bool = typer.Option(False, "--headless", help="Show no window (targets shown by another program)."),
    device: str = typer.Option("", "--device", help="Device description stored in the file."),
    overwrite: bool = OVERWRITE_OPTION,
) -> None:
    """Guided gaze calibration: full-screen targets, pupil samples at each, a pupil -> screen
    map, then validation on 5 other targets with accuracy and precision in degrees."""
    from ...core.sources import open_source
    from ...eyetrack.calibrate import (
        FEATURES,
        MAPPINGS,
        MIN_TARGETS,
        TARGET_COUNTS,
        HeadlessDisplay,
        OpenCVTargetDisplay,
        SimulatedEye,
        SourceEye,
        plot_validation,
        run_session,
    )
    from ...eyetrack.synth import EyeCamera, EyeModel
    from ..eyetrack import screen_option

    check_output(output, overwrite)
    check_plot(plot)
    if targets not in TARGET_COUNTS:
        fail(f"--targets must be 5, 9 or 13, got {targets}")
    # (checked before the session: they were found out after it)
    if method not in MAPPINGS:
        fail(f"unknown --method {method!r}; use {', '.join(MAPPINGS)}")
    if feature not in FEATURES:
        fail(f"unknown --feature {feature!r}; use {' or '.join(FEATURES)}")
    if targets < MIN_TARGETS[method]:
        enough = " or ".join(str(n) for n in TARGET_COUNTS if n >= MIN_TARGETS[method])
        fail(f"--method {method} needs {MIN_TARGETS[method]} or more targets; give --targets {enough} (got {targets})")
    scr = screen_option(screen, distance, required=True, what="gaze calibration")
    simulated = source.startswith("synth:eye")
    if simulated:
        display = HeadlessDisplay()
        eye = SimulatedEye(EyeModel(scr, EyeCamera()), display, rate=60.0, render=True)
        stream = eye.info
    else:
        src = open_source(source, kinds=("image",))
        if src.info.kind not in ("image", "video") or len(src.info.shape) not in (2, 3):
            fail(f"source {source!r} gives a {src.info.kind!r} stream; gaze calibration needs eye-camera images")
        eye = SourceEye(src)
        stream = eye.info
        display = HeadlessDisplay() if headless else OpenCVTargetDisplay(scr)
    n_all = targets + 5
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("targets", total=n_all)
        done = [0]

        def progress(i, n):
            done[0] += 1
            bar.update(task, completed=done[0])

        try:
            result = run_session(eye, display, scr, targets=targets, method=method, feature=feature, settle_s=settle,
                                 sample_s=sample, progress=progress)
        finally:
            if not simulated:
                src.close()
    mapper = result.mapper
    table = Table(title=f"validation ({method}, {targets} calibration targets)")
    for c in ("target (px)", "accuracy (°)", "precision RMS S2S (°)", "SD (°)", "samples"):
        table.add_column(c, justify="right")
    for r in result.validation:
        table.add_row(f"{r['target'][0]:.0f}, {r['target'][1]:.0f}", f"{r['accuracy_deg']:.2f}",
                      f"{r['precision_rms_deg']:.3f}", f"{r['sd_deg']:.3f}", str(r["n"]))
    o = result.overall
    table.add_row("overall", f"{o['accuracy_deg']:.2f}", f"{o['precision_rms_deg']:.3f}", f"{o['sd_deg']:.3f}", "")
    out.print(table)
    mapper.save_calibration(output, stream, device=device or source)
    out.print(f"calibration written to {output}", highlight=False)
    if plot is not None:
        plot_validation(result, scr, plot)
        out.print(f"validation plot written to {plot}", highlight=False)
